//! Retention rules, legal holds, the trash and the purge.
//!
//! Holds are checked in SQL inside every transaction that trashes or
//! purges ([`held`]), so that a hold placed while a run is deciding still
//! stops it: the catalog, not the job, is what keeps held recordings.

use callvault_model::*;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::error::Result;
use super::rows::{self, i64_of};
use super::search;
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::{CatalogError, ConversationFlag, catalog_time};
use crate::retention::*;

/// The most rows one listing returns.
const MAX_LIST: u32 = 1000;

/// A condition true when a hold in force covers the conversation
/// `conversation` (a column expression) of tenant `tenant`: a tenant hold,
/// a hold on the conversation, or a hold on a number the conversation is
/// indexed by.
fn held(tenant: &str, conversation: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = {tenant} \
         AND h.released_at IS NULL AND (h.scope = 'tenant' \
         OR (h.scope = 'conversation' AND h.conversation_id = {conversation}) \
         OR (h.scope = 'number' AND h.number_tail IN (SELECT k.value FROM conversation_keys k \
         WHERE k.conversation_id = {conversation} AND k.kind = 'number'))))"
    )
}

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| CatalogError::Backend(format!("unexpected value {s:?} in catalog")).into())
}

const RULE_COLUMNS: &str =
    "id, tenant_id, days, direction, number_prefix, source, created_at, created_by";

fn rule(row: &impl SqlRow) -> Result<RetentionRule> {
    Ok(RetentionRule {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        days: u32::try_from(row.i64("days")?).unwrap_or(u32::MAX),
        direction: row.opt_text("direction")?.map(|d| parse(&d)).transpose()?,
        number_prefix: row.opt_text("number_prefix")?,
        source: row.opt_text("source")?.map(|s| parse(&s)).transpose()?,
        created_at: row.time("created_at")?,
        created_by: row.text("created_by")?,
    })
}

const HOLD_COLUMNS: &str = "id, tenant_id, scope, conversation_id, number_tail, reason, \
     created_by, created_at, released_at, released_by";

fn hold(row: &impl SqlRow) -> Result<LegalHold> {
    let scope = match row.text("scope")?.as_str() {
        "tenant" => HoldScope::Tenant,
        "conversation" => HoldScope::Conversation {
            conversation_id: ConversationId(row.opt_uuid("conversation_id")?.unwrap_or_default()),
        },
        "number" => {
            HoldScope::Number { number_tail: row.opt_text("number_tail")?.unwrap_or_default() }
        }
        other => return Err(CatalogError::Backend(format!("unknown hold scope {other:?}")).into()),
    };
    Ok(LegalHold {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        scope,
        reason: row.text("reason")?,
        created_by: row.text("created_by")?,
        created_at: row.time("created_at")?,
        released_at: row.opt_time("released_at")?,
        released_by: row.opt_text("released_by")?,
    })
}

async fn tenant_exists(conn: &mut impl SqlConn, tenant: TenantId) -> Result<()> {
    let found = sql("SELECT id FROM tenants WHERE id = $1")
        .bind(tenant.0)
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(CatalogError::NotFound { what: "tenant" }.into()),
    }
}

// --- rules --------------------------------------------------------------------

pub(crate) async fn create_rule<D: Dialect>(
    db: &D,
    new: NewRetentionRule,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<RetentionRule> {
    let new = new.validate()?;
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    tenant_exists(&mut *tx, new.tenant_id).await?;
    let row = sql(format!(
        "INSERT INTO retention_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {RULE_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.tenant_id.0)
    .bind(i64::from(new.days))
    .bind(new.direction.map(|d| d.as_str().to_owned()))
    .bind(new.number_prefix.clone())
    .bind(new.source.map(|s| s.as_str().to_owned()))
    .bind(now)
    .bind(actor)
    .fetch_one(&mut *tx)
    .await?;
    let created = rule(&row)?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(created.tenant_id),
            actor,
            action: "retention.rule_created",
            subject: format!("retention_rule:{}", created.id),
            detail: json!({
                "days": created.days,
                "direction": created.direction.map(Direction::as_str),
                "number_prefix": created.number_prefix,
                "source": created.source.map(RecordingSource::as_str),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub(crate) async fn list_rules<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
) -> Result<Vec<RetentionRule>> {
    let mut stmt = sql(format!("SELECT {RULE_COLUMNS} FROM retention_rules"));
    if let Some(t) = tenant {
        stmt.push(" WHERE tenant_id = ").push_bind(t.0);
    }
    stmt.push(" ORDER BY created_at, id");
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(rule).collect()
}

pub(crate) async fn delete_rule<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    actor: &str,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let mut stmt = sql("DELETE FROM retention_rules WHERE id = ");
    stmt.push_bind(id);
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    stmt.push(&format!(" RETURNING {RULE_COLUMNS}"));
    let Some(row) = stmt.fetch_optional(&mut *tx).await? else {
        return Ok(false);
    };
    let deleted = rule(&row)?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(deleted.tenant_id),
            actor,
            action: "retention.rule_deleted",
            subject: format!("retention_rule:{id}"),
            detail: json!({ "days": deleted.days }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

// --- holds --------------------------------------------------------------------

pub(crate) async fn create_hold<D: Dialect>(
    db: &D,
    new: NewHold,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<LegalHold> {
    let reason = new.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(CatalogError::Invalid {
            what: "hold",
            reason: "give a reason of 1 to 1000 characters".into(),
        }
        .into());
    }
    if let HoldScope::Number { number_tail } = &new.scope {
        let digits = !number_tail.is_empty() && number_tail.len() <= 10;
        if !digits || !number_tail.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CatalogError::Invalid {
                what: "hold",
                reason: "a number hold needs the number's last digits".into(),
            }
            .into());
        }
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    tenant_exists(&mut *tx, new.tenant_id).await?;
    let (conversation, tail) = match &new.scope {
        HoldScope::Tenant => (None, None),
        HoldScope::Conversation { conversation_id } => {
            let found = sql("SELECT id FROM conversations WHERE id = $1 AND tenant_id = $2")
                .bind(conversation_id.0)
                .bind(new.tenant_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(CatalogError::NotFound { what: "conversation" }.into());
            }
            (Some(conversation_id.0), None)
        }
        HoldScope::Number { number_tail } => (None, Some(number_tail.clone())),
    };
    let row = sql(format!(
        "INSERT INTO legal_holds ({HOLD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL) \
         RETURNING {HOLD_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.tenant_id.0)
    .bind(new.scope.as_str())
    .bind(conversation)
    .bind(tail)
    .bind(reason)
    .bind(actor)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let placed = hold(&row)?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(placed.tenant_id),
            actor,
            action: "hold.placed",
            subject: format!("hold:{}", placed.id),
            detail: json!({ "scope": placed.scope, "reason": placed.reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(placed)
}

pub(crate) async fn list_holds<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    in_force_only: bool,
) -> Result<Vec<LegalHold>> {
    let mut stmt = sql(format!("SELECT {HOLD_COLUMNS} FROM legal_holds WHERE 1 = 1"));
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    if in_force_only {
        stmt.push(" AND released_at IS NULL");
    }
    stmt.push(" ORDER BY created_at DESC, id DESC");
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(hold).collect()
}

pub(crate) async fn release_hold<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let mut stmt = sql("UPDATE legal_holds SET released_at = ");
    stmt.push_bind(catalog_time(now))
        .push(", released_by = ")
        .push_bind(actor)
        .push(" WHERE id = ")
        .push_bind(id)
        .push(" AND released_at IS NULL");
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    stmt.push(&format!(" RETURNING {HOLD_COLUMNS}"));
    let Some(row) = stmt.fetch_optional(&mut *tx).await? else {
        return Ok(false);
    };
    let released = hold(&row)?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(released.tenant_id),
            actor,
            action: "hold.released",
            subject: format!("hold:{id}"),
            detail: json!({ "scope": released.scope, "reason": released.reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

// --- retention runs -----------------------------------------------------------

pub(crate) async fn candidates<D: Dialect>(
    db: &D,
    tenant: TenantId,
    started_before: DateTime<Utc>,
    after: Option<RecordingId>,
    limit: u32,
) -> Result<Vec<RetentionCandidate>> {
    let rows = sql(format!(
        "SELECT r.id, r.conversation_id, r.started_at, r.source, r.size_bytes, c.direction, \
         c.external_number, c.company_number FROM recordings r \
         JOIN conversations c ON c.id = r.conversation_id \
         WHERE r.tenant_id = $1 AND r.trashed_at IS NULL AND r.started_at < $2 AND r.id > $3 \
         AND NOT {} ORDER BY r.id LIMIT $4",
        held("r.tenant_id", "r.conversation_id")
    ))
    .bind(tenant.0)
    .bind(started_before)
    .bind(after.map(|a| a.0).unwrap_or_default())
    .bind(i64::from(limit.clamp(1, MAX_LIST)))
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RetentionCandidate {
                id: RecordingId(row.uuid("id")?),
                conversation_id: ConversationId(row.uuid("conversation_id")?),
                started_at: row.time("started_at")?,
                source: parse(&row.text("source")?)?,
                size_bytes: unsigned(row.i64("size_bytes")?),
                direction: parse(&row.text("direction")?)?,
                external_number: row.opt_text("external_number")?,
                company_number: row.opt_text("company_number")?,
            })
        })
        .collect()
}

pub(crate) async fn live_count<D: Dialect>(db: &D, tenant: TenantId) -> Result<u64> {
    let row =
        sql("SELECT COUNT(*) AS n FROM recordings WHERE tenant_id = $1 AND trashed_at IS NULL")
            .bind(tenant.0)
            .fetch_one(&mut *db.read().await?)
            .await?;
    Ok(unsigned(row.i64("n")?))
}

// --- the trash ----------------------------------------------------------------

/// Mark one live recording of `tenant` as trashed unless a hold covers it.
/// `Ok(Err(held))`: not trashed (`held` says whether for a hold, or because
/// it is not a live recording of the tenant).
async fn trash_one(
    conn: &mut impl SqlConn,
    tenant: TenantId,
    id: RecordingId,
    cause: &TrashCause,
    now: DateTime<Utc>,
) -> Result<Result<ConversationId, bool>> {
    let row = sql(format!(
        "UPDATE recordings SET trashed_at = $1, trashed_by = $2 WHERE id = $3 AND tenant_id = $4 \
         AND trashed_at IS NULL AND NOT {} \
         RETURNING conversation_id, size_bytes, sha256, started_at, source, flags",
        held("recordings.tenant_id", "recordings.conversation_id")
    ))
    .bind(now)
    .bind(&cause.by)
    .bind(id.0)
    .bind(tenant.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        let held_row = sql(format!(
            "SELECT CASE WHEN {} THEN 1 ELSE 0 END AS held FROM recordings r \
             WHERE r.id = $1 AND r.tenant_id = $2 AND r.trashed_at IS NULL",
            held("r.tenant_id", "r.conversation_id")
        ))
        .bind(id.0)
        .bind(tenant.0)
        .fetch_optional(&mut *conn)
        .await?;
        let is_held = match held_row {
            Some(r) => r.i32("held")? == 1,
            None => false,
        };
        return Ok(Err(is_held));
    };
    let conversation = ConversationId(row.uuid("conversation_id")?);
    sql("UPDATE conversations SET recording_count = recording_count - 1 \
         WHERE id = $1 AND recording_count > 0")
    .bind(conversation.0)
    .execute(&mut *conn)
    .await?;
    // A trashed crash cut no longer flags its conversation.
    let flags: Vec<String> = row.json("flags")?;
    if flags.iter().any(|f| f == ConversationFlag::CutByCrash.as_str()) {
        search::sync_flag_keys(&mut *conn, conversation.0).await?;
    }
    cancel_deliveries(&mut *conn, "recording_id", id.0, now).await?;
    audit::append(
        &mut *conn,
        Entry {
            tenant: Some(tenant),
            actor: &cause.actor,
            action: "recording.trashed",
            subject: format!("recording:{id}"),
            detail: json!({
                "by": cause.by,
                "conversation": conversation,
                "size_bytes": unsigned(row.i64("size_bytes")?),
                "sha256": row.text("sha256")?,
                "started_at": row.time("started_at")?,
                "source": row.text("source")?,
            }),
        },
    )
    .await?;
    Ok(Ok(conversation))
}

/// Deliveries not yet attempted or waiting for a retry, of a recording or
/// a conversation (`column`), are cancelled: the trash is hidden from
/// deliveries.
async fn cancel_deliveries(
    conn: &mut impl SqlConn,
    column: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    sql(format!(
        "UPDATE deliveries SET state = 'cancelled', finished_at = $1, updated_at = $1, \
         last_error = 'moved to the trash' WHERE {column} = $2 \
         AND state IN ('pending', 'retry_wait')"
    ))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Trash the conversation too once none of its recordings is live.
async fn trash_conversation_if_empty(
    conn: &mut impl SqlConn,
    conversation: ConversationId,
    cause: &TrashCause,
    now: DateTime<Utc>,
) -> Result<()> {
    let updated = sql("UPDATE conversations SET trashed_at = $1, trashed_by = $2 \
                       WHERE id = $3 AND trashed_at IS NULL AND NOT EXISTS \
                       (SELECT 1 FROM recordings r WHERE r.conversation_id = $3 \
                       AND r.trashed_at IS NULL)")
    .bind(now)
    .bind(&cause.by)
    .bind(conversation.0)
    .execute(&mut *conn)
    .await?;
    if updated > 0 {
        cancel_deliveries(&mut *conn, "conversation_id", conversation.0, now).await?;
    }
    Ok(())
}

pub(crate) async fn trash_recordings<D: Dialect>(
    db: &D,
    tenant: TenantId,
    ids: &[RecordingId],
    cause: &TrashCause,
    now: DateTime<Utc>,
) -> Result<TrashOutcome> {
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let mut outcome = TrashOutcome::default();
    let mut conversations = Vec::new();
    for &id in ids {
        match trash_one(&mut *tx, tenant, id, cause, now).await? {
            Ok(conversation) => {
                outcome.trashed.push(id);
                conversations.push(conversation);
            }
            Err(true) => outcome.held.push(id),
            Err(false) => {}
        }
    }
    conversations.sort_by_key(|c| c.0);
    conversations.dedup();
    for conversation in conversations {
        trash_conversation_if_empty(&mut *tx, conversation, cause, now).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

pub(crate) async fn trash_conversation<D: Dialect>(
    db: &D,
    tenant: TenantId,
    id: ConversationId,
    cause: &TrashCause,
    now: DateTime<Utc>,
) -> Result<TrashOutcome> {
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let row = sql(format!(
        "SELECT CASE WHEN {} THEN 1 ELSE 0 END AS held FROM conversations c \
         WHERE c.id = $1 AND c.tenant_id = $2 AND c.trashed_at IS NULL",
        held("c.tenant_id", "c.id")
    ))
    .bind(id.0)
    .bind(tenant.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(CatalogError::NotFound { what: "conversation" }.into());
    };
    let live: Vec<RecordingId> = sql("SELECT id FROM recordings WHERE conversation_id = $1 \
                                      AND tenant_id = $2 AND trashed_at IS NULL ORDER BY id")
    .bind(id.0)
    .bind(tenant.0)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.uuid("id").map(RecordingId))
    .collect::<Result<_, _>>()?;
    if row.i32("held")? == 1 {
        return Ok(TrashOutcome { trashed: Vec::new(), held: live });
    }
    let mut outcome = TrashOutcome::default();
    for rid in live {
        match trash_one(&mut *tx, tenant, rid, cause, now).await? {
            Ok(_) => outcome.trashed.push(rid),
            Err(true) => outcome.held.push(rid),
            Err(false) => {}
        }
    }
    sql("UPDATE conversations SET trashed_at = $1, trashed_by = $2 WHERE id = $3 \
         AND trashed_at IS NULL")
    .bind(now)
    .bind(&cause.by)
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    cancel_deliveries(&mut *tx, "conversation_id", id.0, now).await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor: &cause.actor,
            action: "conversation.trashed",
            subject: format!("conversation:{id}"),
            detail: json!({ "by": cause.by, "recordings": outcome.trashed }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

pub(crate) async fn list_trash<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    after: Option<RecordingId>,
    limit: u32,
) -> Result<Vec<TrashedRecording>> {
    let mut stmt = sql(format!(
        "SELECT r.id, r.tenant_id, r.conversation_id, r.size_bytes, r.sha256, r.started_at, \
         r.trashed_at, r.trashed_by, r.purging_at, CASE WHEN {} THEN 1 ELSE 0 END AS held \
         FROM recordings r WHERE r.trashed_at IS NOT NULL AND r.id > ",
        held("r.tenant_id", "r.conversation_id")
    ));
    stmt.push_bind(after.map(|a| a.0).unwrap_or_default());
    if let Some(t) = tenant {
        stmt.push(" AND r.tenant_id = ").push_bind(t.0);
    }
    stmt.push(" ORDER BY r.id LIMIT ").push_bind(i64::from(limit.clamp(1, MAX_LIST)));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter()
        .map(|row| {
            Ok(TrashedRecording {
                recording_id: RecordingId(row.uuid("id")?),
                tenant_id: TenantId(row.uuid("tenant_id")?),
                conversation_id: ConversationId(row.uuid("conversation_id")?),
                size_bytes: unsigned(row.i64("size_bytes")?),
                sha256: row.text("sha256")?,
                started_at: row.time("started_at")?,
                trashed_at: row.time("trashed_at")?,
                trashed_by: row.opt_text("trashed_by")?.unwrap_or_default(),
                purging: row.opt_time("purging_at")?.is_some(),
                held: row.i32("held")? == 1,
            })
        })
        .collect()
}

pub(crate) async fn restore<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    id: Uuid,
    actor: &str,
    _now: DateTime<Utc>,
) -> Result<Vec<RecordingId>> {
    let mut tx = db.begin_write().await?;
    let mut stmt = sql("SELECT id, tenant_id, conversation_id, purging_at FROM recordings \
                        WHERE trashed_at IS NOT NULL AND (id = $1 OR conversation_id = $1)");
    stmt = stmt.bind(id);
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    let rows = stmt.fetch_all(&mut *tx).await?;
    let mut restored = Vec::new();
    let mut conversations: Vec<(TenantId, ConversationId, i32)> = Vec::new();
    for row in &rows {
        if row.opt_time("purging_at")?.is_some() {
            return Err(CatalogError::Invalid {
                what: "restore",
                reason: "the purge of this recording has begun; it can no longer be restored"
                    .into(),
            }
            .into());
        }
        let rid = RecordingId(row.uuid("id")?);
        let t = TenantId(row.uuid("tenant_id")?);
        let conversation = ConversationId(row.uuid("conversation_id")?);
        sql("UPDATE recordings SET trashed_at = NULL, trashed_by = NULL WHERE id = $1")
            .bind(rid.0)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut *tx,
            Entry {
                tenant: Some(t),
                actor,
                action: "recording.restored",
                subject: format!("recording:{rid}"),
                detail: json!({ "conversation": conversation }),
            },
        )
        .await?;
        match conversations.iter_mut().find(|(_, c, _)| *c == conversation) {
            Some((_, _, n)) => *n += 1,
            None => conversations.push((t, conversation, 1)),
        }
        restored.push(rid);
    }
    if conversations.is_empty() {
        // A conversation trashed without recordings (deleted whole, or a
        // session that brought no audio).
        let mut stmt = sql("SELECT tenant_id FROM conversations WHERE id = $1 \
                            AND trashed_at IS NOT NULL");
        stmt = stmt.bind(id);
        if let Some(t) = tenant {
            stmt.push(" AND tenant_id = ").push_bind(t.0);
        }
        match stmt.fetch_optional(&mut *tx).await? {
            Some(row) => {
                conversations.push((TenantId(row.uuid("tenant_id")?), ConversationId(id), 0))
            }
            None => return Err(CatalogError::NotFound { what: "trashed recording" }.into()),
        }
    }
    for (t, conversation, n) in conversations {
        search::sync_flag_keys(&mut *tx, conversation.0).await?;
        let updated = sql("UPDATE conversations SET recording_count = recording_count + $1, \
                           trashed_at = NULL, trashed_by = NULL WHERE id = $2 \
                           AND trashed_at IS NOT NULL")
        .bind(n)
        .bind(conversation.0)
        .execute(&mut *tx)
        .await?;
        if updated == 0 {
            sql("UPDATE conversations SET recording_count = recording_count + $1 WHERE id = $2")
                .bind(n)
                .bind(conversation.0)
                .execute(&mut *tx)
                .await?;
        } else {
            audit::append(
                &mut *tx,
                Entry {
                    tenant: Some(t),
                    actor,
                    action: "conversation.restored",
                    subject: format!("conversation:{conversation}"),
                    detail: json!({}),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(restored)
}

// --- the purge ----------------------------------------------------------------

pub(crate) async fn purge_due<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    trashed_before: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<RecordingId>> {
    let mut stmt = sql(format!(
        "SELECT r.id FROM recordings r WHERE r.trashed_at IS NOT NULL \
         AND (r.purging_at IS NOT NULL OR (r.trashed_at < $1 AND NOT {}))",
        held("r.tenant_id", "r.conversation_id")
    ));
    stmt = stmt.bind(trashed_before);
    if let Some(t) = tenant {
        stmt.push(" AND r.tenant_id = ").push_bind(t.0);
    }
    stmt.push(" ORDER BY r.trashed_at, r.id LIMIT ").push_bind(i64::from(limit.clamp(1, MAX_LIST)));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(|r| Ok(RecordingId(r.uuid("id")?))).collect()
}

pub(crate) async fn begin_purge<D: Dialect>(
    db: &D,
    id: RecordingId,
    now: DateTime<Utc>,
) -> Result<PurgeStart> {
    let mut tx = db.begin_write().await?;
    let row = sql(format!(
        "SELECT r.tenant_id, r.conversation_id, r.trashed_at, r.trashed_by, r.purging_at, \
         r.sha256, r.size_bytes, CASE WHEN {} THEN 1 ELSE 0 END AS held \
         FROM recordings r WHERE r.id = $1",
        held("r.tenant_id", "r.conversation_id")
    ))
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(PurgeStart::NotTrashed) };
    if row.opt_time("trashed_at")?.is_none() {
        return Ok(PurgeStart::NotTrashed);
    }
    let tenant_id = TenantId(row.uuid("tenant_id")?);
    let copies =
        sql("SELECT id, recording_id, store, object_key, size_bytes, sha256, created_at, \
                      verified_at FROM copies WHERE recording_id = $1 ORDER BY id")
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(rows::copy)
        .collect::<Result<Vec<_>>>()?;
    if row.opt_time("purging_at")?.is_none() {
        // A purge already begun goes on whatever is placed later: some of
        // its objects may be gone.
        if row.i32("held")? == 1 {
            return Ok(PurgeStart::Held);
        }
        sql("UPDATE recordings SET purging_at = $1 WHERE id = $2")
            .bind(catalog_time(now))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut *tx,
            Entry {
                tenant: Some(tenant_id),
                actor: "system:purge",
                action: "recording.purge_started",
                subject: format!("recording:{id}"),
                detail: json!({
                    "conversation": row.uuid("conversation_id")?,
                    "trashed_by": row.opt_text("trashed_by")?,
                    "trashed_at": row.opt_time("trashed_at")?,
                    "sha256": row.text("sha256")?,
                    "size_bytes": unsigned(row.i64("size_bytes")?),
                    "copies": copies.iter().map(|c| json!({
                        "store": c.store, "object_key": c.object_key
                    })).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(PurgeStart::Purge { tenant_id, copies })
}

pub(crate) async fn remove_purged_copy<D: Dialect>(db: &D, id: CopyId) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("DELETE FROM copies WHERE id = $1 AND recording_id IN \
         (SELECT id FROM recordings WHERE purging_at IS NOT NULL)")
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Remove a conversation's own rows (none of its recordings is left).
async fn delete_conversation_rows(conn: &mut impl SqlConn, id: ConversationId) -> Result<()> {
    sql("DELETE FROM delivery_attempts WHERE delivery_id IN \
         (SELECT id FROM deliveries WHERE conversation_id = $1)")
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    for table in [
        "deliveries",
        "conversation_events",
        "conversation_keys",
        "conversation_external_ids",
        "participants",
    ] {
        sql(format!("DELETE FROM {table} WHERE conversation_id = $1"))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    // The call register keeps the call (it happened) without its match.
    for table in ["calls", "findings"] {
        sql(format!("UPDATE {table} SET conversation_id = NULL WHERE conversation_id = $1"))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    sql("DELETE FROM conversations WHERE id = $1").bind(id.0).execute(&mut *conn).await?;
    Ok(())
}

pub(crate) async fn finish_purge<D: Dialect>(
    db: &D,
    id: RecordingId,
    actor: &str,
    _now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sql("SELECT tenant_id, conversation_id, sha256, size_bytes, trashed_by, \
                   (SELECT COUNT(*) FROM copies c WHERE c.recording_id = r.id) AS copies \
                   FROM recordings r WHERE r.id = $1 AND r.purging_at IS NOT NULL")
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    if row.i64("copies")? > 0 {
        return Ok(false);
    }
    let tenant = TenantId(row.uuid("tenant_id")?);
    let conversation = ConversationId(row.uuid("conversation_id")?);
    sql("DELETE FROM delivery_attempts WHERE delivery_id IN \
         (SELECT id FROM deliveries WHERE recording_id = $1)")
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    // Findings keep their history without the recording they named.
    sql("UPDATE findings SET recording_id = NULL WHERE recording_id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    // Its wrapped data key goes with it: the audio is gone from every store.
    for table in ["deliveries", "conversation_events", "recording_keys"] {
        sql(format!("DELETE FROM {table} WHERE recording_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    sql("DELETE FROM recordings WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
    // The conversation goes with its last recording if it was trashed.
    let empty = sql("SELECT id FROM conversations c WHERE c.id = $1 AND c.trashed_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.conversation_id = c.id)")
    .bind(conversation.0)
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    if empty {
        delete_conversation_rows(&mut *tx, conversation).await?;
    }
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor,
            action: "recording.purged",
            subject: format!("recording:{id}"),
            detail: json!({
                "conversation": conversation,
                "conversation_removed": empty,
                "sha256": row.text("sha256")?,
                "size_bytes": unsigned(row.i64("size_bytes")?),
                "trashed_by": row.opt_text("trashed_by")?,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn purge_empty_conversations<D: Dialect>(
    db: &D,
    trashed_before: DateTime<Utc>,
    actor: &str,
    limit: u32,
) -> Result<u64> {
    let rows = sql(format!(
        "SELECT c.id, c.tenant_id, c.trashed_by FROM conversations c \
         WHERE c.trashed_at IS NOT NULL AND c.trashed_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.conversation_id = c.id) \
         AND NOT {} ORDER BY c.trashed_at LIMIT $2",
        held("c.tenant_id", "c.id")
    ))
    .bind(trashed_before)
    .bind(i64::from(limit.clamp(1, MAX_LIST)))
    .fetch_all(&mut *db.read().await?)
    .await?;
    let mut removed = 0;
    for row in &rows {
        let id = ConversationId(row.uuid("id")?);
        let mut tx = db.begin_write().await?;
        // Checked again inside the transaction: a recording or a hold may
        // have arrived since.
        let still = sql(format!(
            "SELECT c.id FROM conversations c WHERE c.id = $1 AND c.trashed_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.conversation_id = c.id) \
             AND NOT {}",
            held("c.tenant_id", "c.id")
        ))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        if still.is_none() {
            continue;
        }
        delete_conversation_rows(&mut *tx, id).await?;
        audit::append(
            &mut *tx,
            Entry {
                tenant: Some(TenantId(row.uuid("tenant_id")?)),
                actor,
                action: "conversation.purged",
                subject: format!("conversation:{id}"),
                detail: json!({ "trashed_by": row.opt_text("trashed_by")? }),
            },
        )
        .await?;
        tx.commit().await?;
        removed += 1;
    }
    Ok(removed)
}

// --- the mass-deletion guard ---------------------------------------------------

pub(crate) async fn confirm<D: Dialect>(
    db: &D,
    tenant: TenantId,
    max_count: u64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    tenant_exists(&mut *tx, tenant).await?;
    sql("INSERT INTO retention_confirmations (tenant_id, max_count, confirmed_by, confirmed_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET \
         max_count = excluded.max_count, confirmed_by = excluded.confirmed_by, \
         confirmed_at = excluded.confirmed_at")
    .bind(tenant.0)
    .bind(i64_of(max_count))
    .bind(actor)
    .bind(catalog_time(now))
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor,
            action: "retention.guard_confirmed",
            subject: format!("tenant:{tenant}"),
            detail: json!({ "max_count": max_count }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn confirmation<D: Dialect>(db: &D, tenant: TenantId) -> Result<Option<u64>> {
    let row = sql("SELECT max_count FROM retention_confirmations WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.map(|r| Ok(unsigned(r.i64("max_count")?))).transpose()
}

pub(crate) async fn consume_confirmation<D: Dialect>(db: &D, tenant: TenantId) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("DELETE FROM retention_confirmations WHERE tenant_id = $1")
        .bind(tenant.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn stats<D: Dialect>(db: &D) -> Result<Vec<TrashStats>> {
    let rows = sql("SELECT t.id, \
         (SELECT COUNT(*) FROM recordings r WHERE r.tenant_id = t.id \
          AND r.trashed_at IS NOT NULL) AS n, \
         (SELECT CAST(COALESCE(SUM(r.size_bytes), 0) AS BIGINT) FROM recordings r \
          WHERE r.tenant_id = t.id AND r.trashed_at IS NOT NULL) AS bytes, \
         (SELECT COUNT(*) FROM legal_holds h WHERE h.tenant_id = t.id \
          AND h.released_at IS NULL) AS holds \
         FROM tenants t ORDER BY t.name")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TrashStats {
                tenant_id: TenantId(row.uuid("id")?),
                trashed_recordings: unsigned(row.i64("n")?),
                trashed_bytes: unsigned(row.i64("bytes")?),
                holds_in_force: unsigned(row.i64("holds")?),
            })
        })
        .collect()
}
