//! Destinations: per tenant, soft-deleted, every change audited without its
//! secrets. Deleting one cancels what it still had to deliver.

use callvault_model::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::error::{Error, Result};
use super::rows::i64_of;
use super::stmt::{SqlConn, SqlRow, Stmt, sql};
use crate::catalog::{CatalogError, catalog_time};
use crate::outbox::{
    Destination, DestinationUpdate, NewDestination, validate_destination_name, validate_events,
    validate_new_destination,
};

/// The columns of a destination row, in [`destination`]'s terms.
pub(crate) const DESTINATION_COLUMNS: &str = "id, tenant_id, name, kind, enabled, \
     disabled_reason, events, config, secrets, filters, max_age_secs, link_ttl_secs, link_key, \
     created_at, updated_at";

pub(crate) fn destination(row: &impl SqlRow) -> Result<Destination> {
    Ok(Destination {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        name: row.text("name")?,
        kind: row.text("kind")?,
        enabled: row.bool("enabled")?,
        disabled_reason: row.opt_text("disabled_reason")?,
        events: row.json("events")?,
        config: row.json("config")?,
        secrets: row.json("secrets")?,
        filters: row.json("filters")?,
        max_age_secs: u64::try_from(row.i64("max_age_secs")?).unwrap_or_default(),
        link_ttl_secs: u64::try_from(row.i64("link_ttl_secs")?).unwrap_or_default(),
        link_key: row.bytes("link_key")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A fresh key for signing links: 32 bytes from the thread's CSPRNG.
fn new_link_key() -> Vec<u8> {
    rand::random::<[u8; 32]>().to_vec()
}

/// A unique live name, or a missing tenant, as the catalog reports it.
fn refused(err: sqlx::Error) -> Error {
    match Error::from(err) {
        e if e.is_foreign_key_violation() => CatalogError::NotFound { what: "tenant" }.into(),
        e if e.is_unique_violation() => CatalogError::Conflict { what: "destination name" }.into(),
        e => e,
    }
}

pub(crate) async fn create<D: Dialect>(
    db: &D,
    new: NewDestination,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Destination> {
    validate_new_destination(&new)?;
    let now = catalog_time(now);
    let id = Uuid::now_v7();
    let mut tx = db.begin_write().await?;
    let row = sql(format!(
        "INSERT INTO destinations ({DESTINATION_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
         RETURNING {DESTINATION_COLUMNS}"
    ))
    .bind(id)
    .bind(new.tenant_id.0)
    .bind(new.name)
    .bind(new.kind)
    .bind(new.enabled)
    .bind(serde_json::Value::from(new.events))
    .bind(new.config)
    .bind(new.secrets)
    .bind(new.filters)
    .bind(i64_of(new.max_age_secs))
    .bind(i64_of(new.link_ttl_secs))
    .bind(new_link_key())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(refused)?;
    let created = destination(&row)?;
    audit_change(&mut *tx, &created, actor, "destination.created", summary(&created)).await?;
    tx.commit().await?;
    Ok(created)
}

/// What the audit log says about a destination: everything but its secrets
/// (only which secret names it has) and its link key.
fn summary(d: &Destination) -> serde_json::Value {
    let secret_names: Vec<&String> =
        d.secrets.as_object().map(|m| m.keys().collect()).unwrap_or_default();
    json!({
        "name": d.name,
        "kind": d.kind,
        "enabled": d.enabled,
        "events": d.events,
        "config": d.config,
        "filters": d.filters,
        "max_age_secs": d.max_age_secs,
        "link_ttl_secs": d.link_ttl_secs,
        "secret_names": secret_names,
    })
}

async fn audit_change(
    tx: &mut impl SqlConn,
    d: &Destination,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    audit::append(
        tx,
        Entry {
            tenant: Some(d.tenant_id),
            actor,
            action,
            subject: format!("destination:{}", d.id),
            detail,
        },
    )
    .await
}

/// A live destination by id; `tenant` None is the system's view of all.
fn select_live(tenant: Option<TenantId>, id: Uuid, lock: bool) -> Stmt {
    // An UPDATE that changes nothing takes the row lock before reading
    // (PostgreSQL), as SELECT ... FOR UPDATE would; SQLite has no FOR UPDATE
    // and needs none inside its write transaction.
    let mut stmt = if lock {
        sql("UPDATE destinations SET updated_at = updated_at WHERE deleted_at IS NULL AND id = ")
    } else {
        sql(format!(
            "SELECT {DESTINATION_COLUMNS} FROM destinations WHERE deleted_at IS NULL AND id = "
        ))
    };
    stmt.push_bind(id);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    if lock {
        stmt.push(&format!(" RETURNING {DESTINATION_COLUMNS}"));
    }
    stmt
}

pub(crate) async fn get<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Option<Destination>> {
    let row = select_live(tenant, id, false).fetch_optional(&mut *db.read().await?).await?;
    row.as_ref().map(destination).transpose()
}

pub(crate) async fn list<D: Dialect>(db: &D, tenant: TenantId) -> Result<Vec<Destination>> {
    let rows = sql(format!(
        "SELECT {DESTINATION_COLUMNS} FROM destinations \
         WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    ))
    .bind(tenant.0)
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(destination).collect()
}

pub(crate) async fn update<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    change: DestinationUpdate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Destination>> {
    if let Some(name) = &change.name {
        validate_destination_name(name)?;
    }
    if let Some(events) = &change.events {
        validate_events(events)?;
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let Some(row) = select_live(tenant, id, true).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let mut d = destination(&row)?;
    let mut changed = Vec::new();
    if let Some(name) = change.name {
        changed.push("name");
        d.name = name;
    }
    if let Some(enabled) = change.enabled {
        changed.push("enabled");
        d.enabled = enabled;
        if enabled {
            d.disabled_reason = None;
        }
    }
    if let Some(events) = change.events {
        changed.push("events");
        d.events = events;
    }
    if let Some(config) = change.config {
        changed.push("config");
        d.config = config;
    }
    if let Some(secrets) = change.secrets {
        changed.push("secrets");
        d.secrets = secrets;
    }
    if let Some(filters) = change.filters {
        changed.push("filters");
        d.filters = filters;
    }
    if let Some(secs) = change.max_age_secs {
        changed.push("max_age_secs");
        d.max_age_secs = secs;
    }
    if let Some(secs) = change.link_ttl_secs {
        changed.push("link_ttl_secs");
        d.link_ttl_secs = secs;
    }
    if change.rotate_link_key {
        changed.push("link_key");
        d.link_key = new_link_key();
    }
    d.updated_at = now;
    sql("UPDATE destinations SET name = $1, enabled = $2, disabled_reason = $3, events = $4, \
         config = $5, secrets = $6, filters = $7, max_age_secs = $8, link_ttl_secs = $9, \
         link_key = $10, updated_at = $11 WHERE id = $12")
    .bind(&d.name)
    .bind(d.enabled)
    .bind(&d.disabled_reason)
    .bind(serde_json::Value::from(d.events.clone()))
    .bind(d.config.clone())
    .bind(d.secrets.clone())
    .bind(d.filters.clone())
    .bind(i64_of(d.max_age_secs))
    .bind(i64_of(d.link_ttl_secs))
    .bind(d.link_key.clone())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(refused)?;
    let mut detail = summary(&d);
    detail["changed"] = json!(changed);
    audit_change(&mut *tx, &d, actor, "destination.updated", detail).await?;
    tx.commit().await?;
    Ok(Some(d))
}

pub(crate) async fn delete<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let Some(row) = select_live(tenant, id, true).fetch_optional(&mut *tx).await? else {
        return Ok(false);
    };
    let d = destination(&row)?;
    sql("UPDATE destinations SET deleted_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let cancelled = sql("UPDATE deliveries SET state = 'cancelled', finished_at = $1, \
                         updated_at = $1, last_error = 'destination deleted' \
                         WHERE destination_id = $2 AND state IN ('pending', 'retry_wait')")
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_change(
        &mut *tx,
        &d,
        actor,
        "destination.deleted",
        json!({ "name": d.name, "kind": d.kind, "cancelled_deliveries": cancelled }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn disable<D: Dialect>(
    db: &D,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sql(format!(
        "UPDATE destinations SET enabled = $1, disabled_reason = $2, updated_at = $3 \
         WHERE id = $4 AND deleted_at IS NULL RETURNING {DESTINATION_COLUMNS}"
    ))
    .bind(false)
    .bind(reason)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let d = destination(&row)?;
    audit_change(&mut *tx, &d, "system", "destination.disabled", json!({ "reason": reason }))
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Replace the secrets only if they are still `expected`: two runners
/// refreshing one OAuth token at once, only the first one's token is kept.
pub(crate) async fn replace_secrets<D: Dialect>(
    db: &D,
    id: Uuid,
    expected: &serde_json::Value,
    new: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let Some(row) = select_live(None, id, true).fetch_optional(&mut *tx).await? else {
        return Ok(false);
    };
    let d = destination(&row)?;
    // Compared as JSON values, not as stored text: PostgreSQL's JSONB keeps
    // no key order.
    if d.secrets != *expected {
        return Ok(false);
    }
    sql("UPDATE destinations SET secrets = $1, updated_at = $2 WHERE id = $3")
        .bind(new.clone())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_change(&mut *tx, &d, "system", "destination.secrets_replaced", json!({})).await?;
    tx.commit().await?;
    Ok(true)
}

/// A tenant's enabled, live destinations (id, kind, events), to queue
/// deliveries for inside a transaction.
pub(crate) async fn subscribers(
    tx: &mut impl SqlConn,
    tenant: Option<TenantId>,
) -> Result<Vec<(Uuid, TenantId, String, Vec<String>)>> {
    let mut stmt = sql("SELECT id, tenant_id, kind, events FROM destinations \
                        WHERE enabled = $1 AND deleted_at IS NULL")
    .bind(true);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    stmt.push(" ORDER BY created_at, id");
    let rows = stmt.fetch_all(tx).await?;
    rows.iter()
        .map(|r| {
            Ok((r.uuid("id")?, TenantId(r.uuid("tenant_id")?), r.text("kind")?, r.json("events")?))
        })
        .collect()
}

pub(crate) async fn try_lock<D: Dialect>(
    db: &D,
    name: &str,
    owner: &str,
    ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<bool> {
    let expires = super::outbox::after(now, ttl);
    let mut tx = db.begin_write().await?;
    // Taken when free, expired, or already ours (then extended).
    let taken = sql("INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, \
                     expires_at = excluded.expires_at \
                     WHERE leases.expires_at <= $4 OR leases.owner = excluded.owner")
    .bind(name)
    .bind(owner)
    .bind(expires)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(taken == 1)
}

pub(crate) async fn unlock<D: Dialect>(db: &D, name: &str, owner: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("DELETE FROM leases WHERE name = $1 AND owner = $2")
        .bind(name)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
