//! Alerts: one open alert per scope, kind and subject. Raising an open one
//! counts it; opening one queues its deliveries in the same transaction.

use callvault_model::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::destinations::subscribers;
use super::error::Result;
use super::outbox::{Queued, insert};
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::catalog_time;
use crate::outbox::{
    Alert, AlertScope, EVENT_ALERT, EVENT_SYSTEM_ALERT, NewAlert, validate_new_alert,
};

const ALERT_COLUMNS: &str = "id, tenant_id, kind, subject, severity, message, detail, \
     first_seen, last_seen, count, resolved_at";

/// How often raising an alert is run again after losing a race to open it.
const MAX_RETRIES: u32 = 4;

/// The most alerts one listing returns.
const MAX_LIST: u32 = 1000;

fn alert(row: &impl SqlRow) -> Result<Alert> {
    Ok(Alert {
        id: row.uuid("id")?,
        tenant_id: row.opt_uuid("tenant_id")?.map(TenantId),
        kind: row.text("kind")?,
        subject: row.text("subject")?,
        severity: row.text("severity")?,
        message: row.text("message")?,
        detail: row.json("detail")?,
        first_seen: row.time("first_seen")?,
        last_seen: row.time("last_seen")?,
        count: u64::try_from(row.i64("count")?).unwrap_or_default(),
        resolved_at: row.opt_time("resolved_at")?,
    })
}

/// The value of the `scope` column: the tenant's id, or '' for the
/// installation. Not null, so the unique index of open alerts covers system
/// alerts too (NULLs are never equal in a unique index).
fn scope(tenant: Option<TenantId>) -> String {
    tenant.map(|t| t.0.to_string()).unwrap_or_default()
}

pub(crate) async fn raise<D: Dialect>(
    db: &D,
    new: NewAlert,
    now: DateTime<Utc>,
) -> Result<(Alert, bool)> {
    validate_new_alert(&new)?;
    let now = catalog_time(now);
    let mut attempts = 0;
    loop {
        match try_raise(db, &new, now).await {
            // Another process opened the same alert first: count it there.
            Err(e) if e.is_retryable() && attempts < MAX_RETRIES => attempts += 1,
            outcome => return outcome,
        }
    }
}

async fn try_raise<D: Dialect>(
    db: &D,
    new: &NewAlert,
    now: DateTime<Utc>,
) -> Result<(Alert, bool)> {
    let mut tx = db.begin_write().await?;
    let bumped = sql(format!(
        "UPDATE alerts SET last_seen = $1, count = count + 1, message = $2, detail = $3, \
         severity = $4 WHERE scope = $5 AND kind = $6 AND subject = $7 AND resolved_at IS NULL \
         RETURNING {ALERT_COLUMNS}"
    ))
    .bind(now)
    .bind(&new.message)
    .bind(new.detail.clone())
    .bind(&new.severity)
    .bind(scope(new.tenant_id))
    .bind(&new.kind)
    .bind(&new.subject)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = bumped {
        let open = alert(&row)?;
        tx.commit().await?;
        return Ok((open, false));
    }
    let row = sql(format!(
        "INSERT INTO alerts (id, tenant_id, scope, kind, subject, severity, message, detail, \
         first_seen, last_seen, count, resolved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1, NULL) RETURNING {ALERT_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.tenant_id.map(|t| t.0))
    .bind(scope(new.tenant_id))
    .bind(&new.kind)
    .bind(&new.subject)
    .bind(&new.severity)
    .bind(&new.message)
    .bind(new.detail.clone())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let opened = alert(&row)?;
    let queued = queue_for_alert(&mut *tx, &opened, now).await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: opened.tenant_id,
            actor: "system",
            action: "alert.raised",
            subject: format!("alert:{}", opened.id),
            detail: json!({
                "kind": opened.kind,
                "subject": opened.subject,
                "severity": opened.severity,
                "deliveries": queued,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((opened, true))
}

/// One delivery, due now, per enabled live destination subscribed: a
/// tenant's alert to that tenant's `alert` subscribers, a system alert to
/// every tenant's `alert.system` subscribers. How many were queued.
async fn queue_for_alert(tx: &mut impl SqlConn, a: &Alert, now: DateTime<Utc>) -> Result<u64> {
    let event = if a.tenant_id.is_some() { EVENT_ALERT } else { EVENT_SYSTEM_ALERT };
    let mut queued = 0;
    for (destination, tenant, kind, events) in subscribers(&mut *tx, a.tenant_id).await? {
        if !events.iter().any(|e| e == event) {
            continue;
        }
        let q = Queued {
            tenant,
            destination,
            kind,
            event,
            conversation: None,
            recording: None,
            alert: Some(a.id),
            due_at: now,
        };
        insert(&mut *tx, q, now).await?;
        queued += 1;
    }
    Ok(queued)
}

pub(crate) async fn resolve<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    kind: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sql("UPDATE alerts SET resolved_at = $1 WHERE scope = $2 AND kind = $3 \
                   AND subject = $4 AND resolved_at IS NULL RETURNING id")
    .bind(now)
    .bind(scope(tenant))
    .bind(kind)
    .bind(subject)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    audit::append(
        &mut *tx,
        Entry {
            tenant,
            actor: "system",
            action: "alert.resolved",
            subject: format!("alert:{}", row.uuid("id")?),
            detail: json!({ "kind": kind, "subject": subject }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn get<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Option<Alert>> {
    let mut stmt = sql(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1")).bind(id);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    let row = stmt.fetch_optional(&mut *db.read().await?).await?;
    row.as_ref().map(alert).transpose()
}

pub(crate) async fn list<D: Dialect>(
    db: &D,
    scope_of: AlertScope,
    open_only: bool,
    limit: u32,
) -> Result<Vec<Alert>> {
    let mut stmt = sql(format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1 = 1"));
    match scope_of {
        AlertScope::All => {}
        AlertScope::Tenant(t) => {
            stmt.push(" AND scope = ").push_bind(scope(Some(t)));
        }
        AlertScope::System => {
            stmt.push(" AND scope = ").push_bind(scope(None));
        }
    }
    if open_only {
        stmt.push(" AND resolved_at IS NULL");
    }
    let limit = if limit == 0 { 100 } else { limit.min(MAX_LIST) };
    stmt.push(" ORDER BY last_seen DESC, id DESC LIMIT ").push_bind(i64::from(limit));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(alert).collect()
}

pub(crate) async fn open_counts<D: Dialect>(db: &D) -> Result<Vec<(String, String, u64)>> {
    let rows = sql("SELECT kind, severity, COUNT(*) AS n FROM alerts WHERE resolved_at IS NULL \
                    GROUP BY kind, severity ORDER BY kind, severity")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.text("kind")?,
                r.text("severity")?,
                u64::try_from(r.i64("n")?).unwrap_or_default(),
            ))
        })
        .collect()
}
