//! Deliveries: queued in the transaction of what they deliver, claimed under
//! a lease, finished or checkpointed only by the lease's holder.

use callvault_model::{ConversationId, RecordingId, TenantId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Dialect;
use super::destinations::subscribers;
use super::error::Result;
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::{CatalogError, catalog_time};
use crate::outbox::{
    Delivery, DeliveryAttempt, DeliveryFinish, DeliveryQuery, DeliveryState, DeliveryStats,
    DestinationBacklog, EVENT_CONVERSATION_SETTLED, EVENT_CONVERSATION_UPDATED,
    EVENT_RECORDING_STORED, NewDelivery,
};

/// The columns of a delivery row, in [`delivery`]'s terms.
const DELIVERY_COLUMNS: &str = "id, tenant_id, destination_id, destination_kind, event, \
     conversation_id, recording_id, alert_id, state, attempts, due_at, age_from, lease_owner, \
     lease_expires_at, last_error, last_status, progress, created_at, updated_at, finished_at";

/// The longest error text kept on a delivery and its attempts.
const MAX_ERROR_CHARS: usize = 2000;

/// The most deliveries one listing returns.
const MAX_LIST: u32 = 1000;

fn delivery(row: &impl SqlRow) -> Result<Delivery> {
    let state = row.text("state")?;
    Ok(Delivery {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        destination_id: row.uuid("destination_id")?,
        destination_kind: row.text("destination_kind")?,
        event: row.text("event")?,
        conversation_id: row.opt_uuid("conversation_id")?.map(ConversationId),
        recording_id: row.opt_uuid("recording_id")?.map(RecordingId),
        alert_id: row.opt_uuid("alert_id")?,
        state: parse_state(&state)?,
        attempts: u32::try_from(row.i32("attempts")?).unwrap_or_default(),
        due_at: row.time("due_at")?,
        age_from: row.time("age_from")?,
        lease_owner: row.opt_text("lease_owner")?,
        lease_expires_at: row.opt_time("lease_expires_at")?,
        last_error: row.opt_text("last_error")?,
        last_status: row.opt_text("last_status")?,
        progress: row.json("progress")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        finished_at: row.opt_time("finished_at")?,
    })
}

fn parse_state(s: &str) -> Result<DeliveryState> {
    DeliveryState::parse(s).ok_or_else(|| {
        CatalogError::Backend(format!("unexpected delivery state {s:?} in catalog")).into()
    })
}

/// `now` plus `d`, saturating far in the future instead of overflowing.
pub(crate) fn after(now: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .min(crate::catalog::from_micros(i64::MAX / 2))
}

fn cut(text: Option<String>) -> Option<String> {
    text.map(|t| t.chars().take(MAX_ERROR_CHARS).collect())
}

/// What a new delivery row holds besides its destination.
pub(crate) struct Queued {
    pub tenant: TenantId,
    pub destination: Uuid,
    pub kind: String,
    pub event: &'static str,
    pub conversation: Option<Uuid>,
    pub recording: Option<Uuid>,
    pub alert: Option<Uuid>,
    pub due_at: DateTime<Utc>,
}

/// Insert one pending delivery, inside the caller's transaction.
pub(crate) async fn insert(
    tx: &mut impl SqlConn,
    q: Queued,
    now: DateTime<Utc>,
) -> Result<Delivery> {
    let row = sql(format!(
        "INSERT INTO deliveries (id, tenant_id, destination_id, destination_kind, event, \
         conversation_id, recording_id, alert_id, state, attempts, due_at, age_from, progress, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $11, $10, $10) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(q.tenant.0)
    .bind(q.destination)
    .bind(q.kind)
    .bind(q.event)
    .bind(q.conversation)
    .bind(q.recording)
    .bind(q.alert)
    .bind(q.due_at)
    .bind(now)
    .bind(serde_json::json!({}))
    .fetch_one(tx)
    .await?;
    delivery(&row)
}

/// The deliveries a committed recording causes, inside its commit's
/// transaction: `recording.stored` at once; `conversation.settled` at
/// `settle_at`, postponed while the conversation still grows; once it was
/// attempted, `conversation.updated` instead.
pub(crate) async fn queue_for_recording(
    tx: &mut impl SqlConn,
    tenant: TenantId,
    conversation: Uuid,
    recording: Uuid,
    settle_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    for (destination, _, kind, events) in subscribers(&mut *tx, Some(tenant)).await? {
        let wants = |event: &str| events.iter().any(|e| e == event);
        let queued = |event, due_at, recording| Queued {
            tenant,
            destination,
            kind: kind.clone(),
            event,
            conversation: Some(conversation),
            recording,
            alert: None,
            due_at,
        };
        if wants(EVENT_RECORDING_STORED) {
            insert(&mut *tx, queued(EVENT_RECORDING_STORED, now, Some(recording)), now).await?;
        }
        if !wants(EVENT_CONVERSATION_SETTLED) {
            continue;
        }
        if postpone(&mut *tx, destination, conversation, EVENT_CONVERSATION_SETTLED, settle_at, now)
            .await?
        {
            continue;
        }
        let settled = sql("SELECT id FROM deliveries WHERE destination_id = $1 \
                           AND conversation_id = $2 AND event = $3")
        .bind(destination)
        .bind(conversation)
        .bind(EVENT_CONVERSATION_SETTLED)
        .fetch_optional(&mut *tx)
        .await?;
        if settled.is_none() {
            insert(&mut *tx, queued(EVENT_CONVERSATION_SETTLED, settle_at, None), now).await?;
        } else if wants(EVENT_CONVERSATION_UPDATED)
            && !postpone(
                &mut *tx,
                destination,
                conversation,
                EVENT_CONVERSATION_UPDATED,
                settle_at,
                now,
            )
            .await?
        {
            insert(&mut *tx, queued(EVENT_CONVERSATION_UPDATED, settle_at, None), now).await?;
        }
    }
    Ok(())
}

/// Move a not yet attempted delivery of `event` for the conversation to no
/// earlier than `settle_at`; whether there was one. Guarded in the statement
/// itself, so a runner claiming it at the same moment wins cleanly.
async fn postpone(
    tx: &mut impl SqlConn,
    destination: Uuid,
    conversation: Uuid,
    event: &str,
    settle_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let moved =
        sql("UPDATE deliveries SET due_at = CASE WHEN due_at < $1 THEN $1 ELSE due_at END, \
                     updated_at = $2 WHERE destination_id = $3 AND conversation_id = $4 \
                     AND event = $5 AND state = 'pending' AND attempts = 0")
        .bind(settle_at)
        .bind(now)
        .bind(destination)
        .bind(conversation)
        .bind(event)
        .execute(tx)
        .await?;
    Ok(moved > 0)
}

pub(crate) async fn enqueue<D: Dialect>(
    db: &D,
    new: NewDelivery,
    now: DateTime<Utc>,
) -> Result<Delivery> {
    let event = crate::outbox::SUBSCRIBABLE_EVENTS
        .iter()
        .chain(&[crate::outbox::EVENT_TEST])
        .find(|e| **e == new.event)
        .copied()
        .ok_or_else(|| CatalogError::Invalid {
            what: "delivery event",
            reason: format!("unknown event {:?}", new.event),
        })?;
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let kind = sql("SELECT kind FROM destinations WHERE id = $1 AND tenant_id = $2 \
                    AND deleted_at IS NULL")
    .bind(new.destination_id)
    .bind(new.tenant_id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(CatalogError::NotFound { what: "destination" })?
    .text("kind")?;
    let queued = Queued {
        tenant: new.tenant_id,
        destination: new.destination_id,
        kind,
        event,
        conversation: new.conversation_id.map(|c| c.0),
        recording: new.recording_id.map(|r| r.0),
        alert: new.alert_id,
        due_at: new.due_at,
    };
    let created = insert(&mut *tx, queued, now).await.map_err(|e| {
        if e.is_foreign_key_violation() {
            CatalogError::NotFound { what: "conversation, recording or alert" }.into()
        } else {
            e
        }
    })?;
    tx.commit().await?;
    Ok(created)
}

pub(crate) async fn claim<D: Dialect>(
    db: &D,
    owner: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: u32,
) -> Result<Vec<Delivery>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    // Due: waiting and due, or in flight under a lease that ran out (its
    // runner died). Only of destinations that are enabled and not deleted.
    let rows = sql(format!(
        "WITH due AS (SELECT d.id FROM deliveries d JOIN destinations t ON t.id = d.destination_id \
         WHERE ((d.state IN ('pending', 'retry_wait') AND d.due_at <= $1) \
         OR (d.state = 'in_flight' AND d.lease_expires_at <= $1)) \
         AND t.enabled = $2 AND t.deleted_at IS NULL \
         ORDER BY d.due_at, d.id LIMIT $3{}) \
         UPDATE deliveries SET state = 'in_flight', lease_owner = $4, lease_expires_at = $5, \
         attempts = attempts + 1, updated_at = $1 WHERE id IN (SELECT id FROM due) \
         RETURNING {DELIVERY_COLUMNS}",
        D::CLAIM_LOCK
    ))
    .bind(now)
    .bind(true)
    .bind(i64::from(limit))
    .bind(owner)
    .bind(after(now, lease))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut claimed = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
    claimed.sort_by_key(|d| (d.due_at, d.id));
    Ok(claimed)
}

pub(crate) async fn checkpoint<D: Dialect>(
    db: &D,
    id: Uuid,
    owner: &str,
    progress: &serde_json::Value,
    now: DateTime<Utc>,
    lease: std::time::Duration,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let saved = sql("UPDATE deliveries SET progress = $1, lease_expires_at = $2, updated_at = $3 \
                     WHERE id = $4 AND state = 'in_flight' AND lease_owner = $5")
    .bind(progress.clone())
    .bind(after(now, lease))
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(saved == 1)
}

pub(crate) async fn finish<D: Dialect>(
    db: &D,
    id: Uuid,
    owner: &str,
    fin: DeliveryFinish,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !fin.state.can_finish_in() {
        return Err(CatalogError::Invalid {
            what: "delivery finish",
            reason: format!("an attempt cannot end in state {}", fin.state),
        }
        .into());
    }
    let due_at = match (fin.state, fin.due_at) {
        (DeliveryState::RetryWait, None) => {
            return Err(CatalogError::Invalid {
                what: "delivery finish",
                reason: "retry_wait needs a due time".into(),
            }
            .into());
        }
        (DeliveryState::RetryWait, due) => due,
        _ => None,
    };
    let (error, status) = (cut(fin.error), cut(fin.status));
    let mut tx = db.begin_write().await?;
    let row = sql("UPDATE deliveries SET state = $1, due_at = COALESCE($2, due_at), \
                   last_error = $3, last_status = $4, progress = $5, lease_owner = NULL, \
                   lease_expires_at = NULL, updated_at = $6, finished_at = $7 \
                   WHERE id = $8 AND state = 'in_flight' AND lease_owner = $9 RETURNING attempts")
    .bind(fin.state.as_str())
    .bind(due_at)
    .bind(&error)
    .bind(&status)
    .bind(fin.progress)
    .bind(now)
    .bind(fin.state.is_final().then_some(now))
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    sql("INSERT INTO delivery_attempts (delivery_id, attempt, at, outcome, status, error) \
         VALUES ($1, $2, $3, $4, $5, $6)")
    .bind(id)
    .bind(row.i32("attempts")?)
    .bind(now)
    .bind(fin.state.as_str())
    .bind(status)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn get<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Option<Delivery>> {
    let mut stmt = sql(format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1")).bind(id);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    let row = stmt.fetch_optional(&mut *db.read().await?).await?;
    row.as_ref().map(delivery).transpose()
}

pub(crate) async fn list<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    q: &DeliveryQuery,
) -> Result<Vec<Delivery>> {
    let mut stmt = sql(format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE 1 = 1"));
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    if let Some(state) = q.state {
        stmt.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(destination) = q.destination_id {
        stmt.push(" AND destination_id = ").push_bind(destination);
    }
    if let Some(conversation) = q.conversation_id {
        stmt.push(" AND conversation_id = ").push_bind(conversation.0);
    }
    if let Some((created_at, id)) = q.before {
        stmt.push(" AND (created_at < ").push_bind(created_at);
        stmt.push(" OR (created_at = ").push_bind(created_at);
        stmt.push(" AND id < ").push_bind(id).push("))");
    }
    let limit = if q.limit == 0 { 100 } else { q.limit.min(MAX_LIST) };
    stmt.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(delivery).collect()
}

pub(crate) async fn attempts<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
) -> Result<Vec<DeliveryAttempt>> {
    let mut stmt = sql("SELECT a.delivery_id, a.attempt, a.at, a.outcome, a.status, a.error \
                        FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id \
                        WHERE a.delivery_id = $1")
    .bind(id);
    if let Some(tenant) = tenant {
        stmt.push(" AND d.tenant_id = ").push_bind(tenant.0);
    }
    stmt.push(" ORDER BY a.attempt");
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryAttempt {
                delivery_id: r.uuid("delivery_id")?,
                attempt: u32::try_from(r.i32("attempt")?).unwrap_or_default(),
                at: r.time("at")?,
                outcome: r.text("outcome")?,
                status: r.opt_text("status")?,
                error: r.opt_text("error")?,
            })
        })
        .collect()
}

pub(crate) async fn retry<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Delivery>> {
    let now = catalog_time(now);
    let retryable: Vec<&str> = DeliveryState::ALL
        .into_iter()
        .filter(|s| s.can_retry_from())
        .map(DeliveryState::as_str)
        .collect();
    let mut tx = db.begin_write().await?;
    let mut stmt = sql(
        "UPDATE deliveries SET state = 'pending', due_at = $1, age_from = $1, updated_at = $1, \
         finished_at = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE id = $2 \
         AND destination_id IN (SELECT id FROM destinations WHERE deleted_at IS NULL)",
    )
    .bind(now)
    .bind(id);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    stmt.push(" AND state IN (").push_list(retryable).push(")");
    stmt.push(&format!(" RETURNING {DELIVERY_COLUMNS}"));
    let row = stmt.fetch_optional(&mut *tx).await?;
    if let Some(row) = row {
        let retried = delivery(&row)?;
        tx.commit().await?;
        return Ok(Some(retried));
    }
    drop(tx);
    match get(db, tenant, id).await? {
        None => Ok(None),
        Some(d) if d.state.can_retry_from() => Err(CatalogError::Invalid {
            what: "delivery retry",
            reason: "its destination was deleted".into(),
        }
        .into()),
        Some(d) => Err(CatalogError::Invalid {
            what: "delivery retry",
            reason: format!("a delivery that is {} cannot be retried", d.state),
        }
        .into()),
    }
}

/// See [`crate::Catalog::delivery_backlog`]. The counts read the states'
/// index; the latest error is looked up per destination (a handful).
pub(crate) async fn backlog<D: Dialect>(
    db: &D,
    tenant: TenantId,
) -> Result<Vec<DestinationBacklog>> {
    let mut conn = db.read().await?;
    let rows = sql("SELECT destination_id, destination_kind, state, COUNT(*) AS n FROM deliveries \
                    WHERE tenant_id = $1 AND state IN ('pending', 'in_flight', 'retry_wait', 'dead') \
                    GROUP BY destination_id, destination_kind, state \
                    ORDER BY destination_id, state")
    .bind(tenant.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<DestinationBacklog> = Vec::new();
    for r in &rows {
        let id = r.uuid("destination_id")?;
        if out.last().is_none_or(|b| b.destination_id != id) {
            out.push(DestinationBacklog {
                destination_id: id,
                destination_kind: r.text("destination_kind")?,
                pending: 0,
                in_flight: 0,
                retry_wait: 0,
                dead: 0,
                last_error: None,
            });
        }
        let Some(b) = out.last_mut() else { continue };
        let n = u64::try_from(r.i64("n")?).unwrap_or_default();
        match parse_state(&r.text("state")?)? {
            DeliveryState::Pending => b.pending = n,
            DeliveryState::InFlight => b.in_flight = n,
            DeliveryState::RetryWait => b.retry_wait = n,
            DeliveryState::Dead => b.dead = n,
            _ => {}
        }
    }
    for b in &mut out {
        let row = sql("SELECT last_error, updated_at FROM deliveries \
                       WHERE tenant_id = $1 AND destination_id = $2 AND last_error IS NOT NULL \
                       AND state IN ('pending', 'in_flight', 'retry_wait', 'dead') \
                       ORDER BY updated_at DESC LIMIT 1")
        .bind(tenant.0)
        .bind(b.destination_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(r) = row {
            b.last_error = Some((r.time("updated_at")?, r.text("last_error")?));
        }
    }
    Ok(out)
}

pub(crate) async fn stats<D: Dialect>(db: &D, now: DateTime<Utc>) -> Result<DeliveryStats> {
    let mut conn = db.read().await?;
    let rows = sql("SELECT destination_kind, state, COUNT(*) AS n FROM deliveries \
                    GROUP BY destination_kind, state ORDER BY destination_kind, state")
    .fetch_all(&mut *conn)
    .await?;
    let by_state = rows
        .iter()
        .map(|r| {
            Ok((
                r.text("destination_kind")?,
                parse_state(&r.text("state")?)?,
                u64::try_from(r.i64("n")?).unwrap_or_default(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    // A pending delivery not yet due (a conversation still settling) is not
    // late: only what is due or under way counts.
    let rows = sql("SELECT destination_id, tenant_id, destination_kind, \
                    MIN(created_at) AS oldest FROM deliveries \
                    WHERE state IN ('in_flight', 'retry_wait') \
                    OR (state = 'pending' AND due_at <= $1) \
                    GROUP BY destination_id, tenant_id, destination_kind \
                    ORDER BY oldest, destination_id")
    .bind(catalog_time(now))
    .fetch_all(&mut *conn)
    .await?;
    let oldest_undelivered = rows
        .iter()
        .map(|r| {
            Ok((
                r.uuid("destination_id")?,
                TenantId(r.uuid("tenant_id")?),
                r.text("destination_kind")?,
                r.time("oldest")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DeliveryStats { by_state, oldest_undelivered })
}
