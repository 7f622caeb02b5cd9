//! The call register and the findings of assurance (migration 0007).
//!
//! Reads are set-based and chunked (`IN` lists of at most [`CHUNK`]
//! values); a batch of verdicts is written in one transaction.

use std::collections::HashMap;

use callvault_model::{ConversationId, RecordingId, TenantId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::error::Result;
use super::rows::i64_of;
use super::search;
use super::stmt::{SqlConn, SqlRow, Stmt, sql};
use crate::assurance::*;
use crate::catalog::{ConversationFlag, catalog_time, number_tail};

/// The most values in one `IN` list, and calls in one insert.
const CHUNK: usize = 400;

/// The most findings one listing returns.
const MAX_LIST: u32 = 1000;

const CALL_COLUMNS: &str = "id, tenant_id, source, leg_key, ids, caller, callee, caller_tail, \
     callee_tail, started_at, answered_at, ended_at, talk_secs, disposition, conversation_id, \
     no_audio_reason, checked_at, next_check_at, created_at";

const FINDING_COLUMNS: &str = "id, tenant_id, call_id, recording_id, conversation_id, kind, \
     reason, detail, first_seen, last_seen, resolved_at, resolution";

fn call(row: &impl SqlRow) -> Result<Call> {
    Ok(Call {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        source: row.text("source")?,
        leg_key: row.text("leg_key")?,
        ids: row.json("ids")?,
        caller: row.opt_text("caller")?,
        callee: row.opt_text("callee")?,
        caller_tail: row.opt_text("caller_tail")?,
        callee_tail: row.opt_text("callee_tail")?,
        started_at: row.time("started_at")?,
        answered_at: row.opt_time("answered_at")?,
        ended_at: row.time("ended_at")?,
        talk_secs: u64::try_from(row.i64("talk_secs")?).unwrap_or_default(),
        disposition: row.text("disposition")?,
        conversation_id: row.opt_uuid("conversation_id")?.map(ConversationId),
        no_audio_reason: row.opt_text("no_audio_reason")?,
        checked_at: row.opt_time("checked_at")?,
        next_check_at: row.opt_time("next_check_at")?,
        created_at: row.time("created_at")?,
    })
}

fn finding(row: &impl SqlRow) -> Result<Finding> {
    Ok(Finding {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        call_id: row.opt_uuid("call_id")?,
        recording_id: row.opt_uuid("recording_id")?.map(RecordingId),
        conversation_id: row.opt_uuid("conversation_id")?.map(ConversationId),
        kind: row.text("kind")?,
        reason: row.text("reason")?,
        detail: row.json("detail")?,
        first_seen: row.time("first_seen")?,
        last_seen: row.time("last_seen")?,
        resolved_at: row.opt_time("resolved_at")?,
        resolution: row.opt_text("resolution")?,
    })
}

fn count(row: &impl SqlRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(row.i64(col)?).unwrap_or_default())
}

/// Register calls; the ones already registered (same tenant, source and
/// leg key) stay as they are.
pub(crate) async fn import<D: Dialect>(
    db: &D,
    tenant: TenantId,
    calls: &[NewCall],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<CallImport> {
    for c in calls {
        validate_new_call(c)?;
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let mut inserted = 0u64;
    for chunk in calls.chunks(CHUNK) {
        let mut stmt =
            sql("INSERT INTO calls (id, tenant_id, source, leg_key, ids, caller, callee, \
             caller_tail, callee_tail, started_at, answered_at, ended_at, talk_secs, disposition, \
             conversation_id, no_audio_reason, checked_at, next_check_at, created_at) ");
        for (i, c) in chunk.iter().enumerate() {
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(Uuid::now_v7()).push(", ").push_bind(tenant.0);
            stmt.push(", ").push_bind(&c.source).push(", ").push_bind(&c.leg_key);
            stmt.push(", ").push_bind(json!(c.ids));
            stmt.push(", ").push_bind(&c.caller).push(", ").push_bind(&c.callee);
            stmt.push(", ").push_bind(c.caller.as_deref().and_then(number_tail));
            stmt.push(", ").push_bind(c.callee.as_deref().and_then(number_tail));
            stmt.push(", ").push_bind(catalog_time(c.started_at));
            stmt.push(", ").push_bind(c.answered_at.map(catalog_time));
            stmt.push(", ").push_bind(catalog_time(c.ended_at));
            stmt.push(", ").push_bind(i64_of(c.talk_secs));
            stmt.push(", ").push_bind(&c.disposition);
            stmt.push(", ").push_bind(c.conversation_id.map(|id| id.0));
            stmt.push(", ").push_bind(&c.no_audio_reason);
            stmt.push(", ").push_bind(None::<DateTime<Utc>>);
            let check_at = c.answered_at.and(c.check_at).map(catalog_time);
            stmt.push(", ").push_bind(check_at).push(", ").push_bind(now).push(")");
        }
        stmt.push(" ON CONFLICT (tenant_id, source, leg_key) DO NOTHING RETURNING id");
        inserted += stmt.fetch_all(&mut *tx).await?.len() as u64;
    }
    let outcome = CallImport { inserted, existing: calls.len() as u64 - inserted };
    if inserted > 0 {
        let mut sources: Vec<&str> = calls.iter().map(|c| c.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        audit::append(
            &mut *tx,
            Entry {
                tenant: Some(tenant),
                actor,
                action: "calls.registered",
                subject: format!("tenant:{}", tenant.0),
                detail: json!({ "inserted": inserted, "existing": outcome.existing, "sources": sources }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Answered calls due for a check by `now`, earliest due first.
pub(crate) async fn due<D: Dialect>(db: &D, now: DateTime<Utc>, limit: u32) -> Result<Vec<Call>> {
    let rows = sql(format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE next_check_at IS NOT NULL AND next_check_at <= $1 \
         ORDER BY next_check_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(i64::from(limit.max(1)))
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(call).collect()
}

/// One call of a tenant.
pub(crate) async fn get<D: Dialect>(db: &D, tenant: TenantId, id: Uuid) -> Result<Option<Call>> {
    let row = sql(format!("SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.as_ref().map(call).transpose()
}

/// Conversations of `tenant` carrying one of `values` as an external id,
/// or one of `tails` as a number, started within `[from, to]`.
pub(crate) async fn candidates<D: Dialect>(
    db: &D,
    tenant: TenantId,
    values: &[String],
    tails: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MatchCandidates> {
    let mut conn = db.read().await?;
    let mut out = MatchCandidates::default();
    for chunk in values.chunks(CHUNK) {
        let mut stmt = sql("SELECT kind, value, conversation_id FROM conversation_external_ids \
                            WHERE tenant_id = $1 AND value IN (")
        .bind(tenant.0);
        stmt.push_list(chunk.iter()).push(")");
        for row in stmt.fetch_all(&mut *conn).await? {
            out.by_id.push((
                row.text("kind")?,
                row.text("value")?,
                ConversationId(row.uuid("conversation_id")?),
            ));
        }
    }
    for chunk in tails.chunks(CHUNK) {
        let mut stmt = sql("SELECT value, conversation_id, started_at FROM conversation_keys \
                            WHERE tenant_id = $1 AND kind = 'number' AND started_at >= $2 \
                            AND started_at <= $3 AND value IN (")
        .bind(tenant.0)
        .bind(from)
        .bind(to);
        stmt.push_list(chunk.iter()).push(")");
        for row in stmt.fetch_all(&mut *conn).await? {
            out.by_number.push((
                row.text("value")?,
                ConversationId(row.uuid("conversation_id")?),
                row.time("started_at")?,
            ));
        }
    }
    Ok(out)
}

fn in_list(stmt: &mut Stmt, ids: &[ConversationId]) {
    stmt.push_list(ids.iter().map(|c| c.0)).push(")");
}

/// What reconciliation reads about each of `conversations` (of `tenant`).
pub(crate) async fn facts<D: Dialect>(
    db: &D,
    tenant: TenantId,
    conversations: &[ConversationId],
) -> Result<Vec<ConversationFacts>> {
    let mut conn = db.read().await?;
    let mut by_id: HashMap<ConversationId, ConversationFacts> = HashMap::new();
    let mut order = Vec::new();
    for chunk in conversations.chunks(CHUNK) {
        let mut stmt = sql("SELECT id, started_at, ended_at FROM conversations \
                            WHERE tenant_id = $1 AND id IN (")
        .bind(tenant.0);
        in_list(&mut stmt, chunk);
        for row in stmt.fetch_all(&mut *conn).await? {
            let id = ConversationId(row.uuid("id")?);
            order.push(id);
            by_id.insert(
                id,
                ConversationFacts {
                    conversation_id: id,
                    started_at: row.time("started_at")?,
                    ended_at: row.opt_time("ended_at")?,
                    recordings: Vec::new(),
                    events: Vec::new(),
                    deliveries: Vec::new(),
                },
            );
        }

        let mut stmt = sql("SELECT r.id, r.conversation_id, r.started_at, r.ended_at, \
             r.duration_ms, r.flags, r.source, (SELECT COUNT(*) FROM copies c \
             WHERE c.recording_id = r.id AND c.verified_at IS NOT NULL) AS verified \
             FROM conversations k JOIN recordings r ON r.conversation_id = k.id \
             WHERE k.tenant_id = $1 AND k.id IN (")
        .bind(tenant.0);
        in_list(&mut stmt, chunk);
        for row in stmt.fetch_all(&mut *conn).await? {
            let conv = ConversationId(row.uuid("conversation_id")?);
            if let Some(f) = by_id.get_mut(&conv) {
                f.recordings.push(RecordingFacts {
                    id: RecordingId(row.uuid("id")?),
                    started_at: row.time("started_at")?,
                    ended_at: row.time("ended_at")?,
                    duration_ms: count(&row, "duration_ms")?,
                    flags: row.json("flags")?,
                    source: row.text("source")?,
                    verified_copies: u32::try_from(count(&row, "verified")?).unwrap_or(u32::MAX),
                });
            }
        }

        let mut stmt = sql("SELECT e.conversation_id, e.kind, e.at, e.detail \
             FROM conversations k JOIN conversation_events e ON e.conversation_id = k.id \
             WHERE k.tenant_id = $1 AND e.kind IN ('media_gap', 'no_media') AND k.id IN (")
        .bind(tenant.0);
        in_list(&mut stmt, chunk);
        for row in stmt.fetch_all(&mut *conn).await? {
            let conv = ConversationId(row.uuid("conversation_id")?);
            if let Some(f) = by_id.get_mut(&conv) {
                f.events.push(EventFacts {
                    kind: row.text("kind")?,
                    at: row.time("at")?,
                    detail: row.json("detail")?,
                });
            }
        }

        let mut stmt = sql("SELECT d.conversation_id, d.destination_id, t.name, \
             d.destination_kind, d.event, d.state, d.last_error, d.attempts, d.age_from, \
             t.max_age_secs, d.updated_at \
             FROM conversations k JOIN deliveries d ON d.conversation_id = k.id \
             JOIN destinations t ON t.id = d.destination_id \
             WHERE k.tenant_id = $1 AND k.id IN (")
        .bind(tenant.0);
        in_list(&mut stmt, chunk);
        for row in stmt.fetch_all(&mut *conn).await? {
            let conv = ConversationId(row.uuid("conversation_id")?);
            if let Some(f) = by_id.get_mut(&conv) {
                f.deliveries.push(DeliveryFacts {
                    destination_id: row.uuid("destination_id")?,
                    destination: row.text("name")?,
                    destination_kind: row.text("destination_kind")?,
                    event: row.text("event")?,
                    state: row.text("state")?,
                    last_error: row.opt_text("last_error")?,
                    attempts: u32::try_from(row.i32("attempts")?).unwrap_or_default(),
                    age_from: row.time("age_from")?,
                    max_age_secs: count(&row, "max_age_secs")?,
                    updated_at: row.time("updated_at")?,
                });
            }
        }
    }
    Ok(order.into_iter().filter_map(|id| by_id.remove(&id)).collect())
}

/// The subject of a finding: a call or a recording.
enum Subject {
    Call(Uuid),
    Recording(RecordingId),
}

impl Subject {
    fn id(&self) -> Uuid {
        match self {
            Subject::Call(id) => *id,
            Subject::Recording(id) => id.0,
        }
    }
}

/// Keep `f` open for `subject`: the open one is brought up to date (last
/// seen, reason, detail), else a new one opens (returned).
async fn hold_open(
    tx: &mut impl SqlConn,
    tenant: TenantId,
    subject: Subject,
    conversation: Option<ConversationId>,
    f: &NewFinding,
    now: DateTime<Utc>,
) -> Result<Option<Finding>> {
    let bumped = sql("UPDATE findings SET last_seen = $1, reason = $2, detail = $3 \
                      WHERE subject_id = $4 AND kind = $5 AND resolved_at IS NULL RETURNING id")
    .bind(now)
    .bind(&f.reason)
    .bind(f.detail.clone())
    .bind(subject.id())
    .bind(&f.kind)
    .fetch_optional(&mut *tx)
    .await?;
    if bumped.is_some() {
        return Ok(None);
    }
    let (call_id, recording_id) = match subject {
        Subject::Call(id) => (Some(id), None),
        Subject::Recording(id) => (None, Some(id.0)),
    };
    let row = sql(format!(
        "INSERT INTO findings (id, tenant_id, subject_id, call_id, recording_id, \
         conversation_id, kind, reason, detail, first_seen, last_seen, resolved_at, resolution) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, NULL, NULL) \
         RETURNING {FINDING_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(tenant.0)
    .bind(call_id.or(recording_id).unwrap_or_default())
    .bind(call_id)
    .bind(recording_id)
    .bind(conversation.map(|c| c.0))
    .bind(&f.kind)
    .bind(&f.reason)
    .bind(f.detail.clone())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(finding(&row)?))
}

/// Write a batch of checks: each call's verdict and schedule, its findings
/// held open, the ones it no longer lacks resolved with their reason, and
/// orphan findings of a conversation a call now matches resolved. The
/// findings opened now.
pub(crate) async fn record_checks<D: Dialect>(
    db: &D,
    checks: &[CallCheck],
    now: DateTime<Utc>,
) -> Result<Vec<Finding>> {
    for c in checks {
        for f in &c.findings {
            validate_finding(f)?;
        }
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let mut opened = Vec::new();
    for c in checks {
        sql("UPDATE calls SET conversation_id = $1, recorded = $2, copies = $3, delivered = $4, \
             checked_at = $5, next_check_at = $6 WHERE id = $7 AND tenant_id = $8")
        .bind(c.conversation_id.map(|id| id.0))
        .bind(i32::from(c.recorded))
        .bind(i32::from(c.copies))
        .bind(i32::from(c.delivered))
        .bind(now)
        .bind(c.next_check_at.map(catalog_time))
        .bind(c.call_id)
        .bind(c.tenant_id.0)
        .execute(&mut *tx)
        .await?;
        // Conversations whose flags (open incomplete/undelivered findings)
        // this call changes: their flag search keys follow.
        let mut flagged: Vec<Uuid> = Vec::new();
        let is_flag = |kind: &str| ConversationFlag::parse(kind).is_some();
        for f in &c.findings {
            let subject = Subject::Call(c.call_id);
            if let Some(new) =
                hold_open(&mut *tx, c.tenant_id, subject, c.conversation_id, f, now).await?
            {
                if is_flag(&new.kind) {
                    flagged.extend(new.conversation_id.map(|id| id.0));
                }
                opened.push(new);
            }
        }
        for (kind, why) in &c.resolutions {
            let rows = sql("UPDATE findings SET resolved_at = $1, resolution = $2 \
                 WHERE subject_id = $3 AND kind = $4 AND resolved_at IS NULL \
                 RETURNING conversation_id")
            .bind(now)
            .bind(why)
            .bind(c.call_id)
            .bind(kind)
            .fetch_all(&mut *tx)
            .await?;
            if is_flag(kind) {
                for row in &rows {
                    flagged.extend(row.opt_uuid("conversation_id")?);
                }
            }
        }
        flagged.sort();
        flagged.dedup();
        for conversation in flagged {
            search::sync_flag_keys(&mut *tx, conversation).await?;
        }
        if let Some(conv) = c.conversation_id {
            sql("UPDATE findings SET resolved_at = $1, resolution = $2 \
                 WHERE conversation_id = $3 AND tenant_id = $4 AND kind = 'orphan_recording' \
                 AND resolved_at IS NULL")
            .bind(now)
            .bind(format!("call {} matches its conversation", c.call_id))
            .bind(conv.0)
            .bind(c.tenant_id.0)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(opened)
}

/// Tenants that import CDRs (have a call of a `cdr:` source).
pub(crate) async fn cdr_tenants<D: Dialect>(db: &D) -> Result<Vec<TenantId>> {
    let rows = sql("SELECT t.id FROM tenants t WHERE EXISTS (SELECT 1 FROM calls k \
                    WHERE k.tenant_id = t.id AND k.source >= 'cdr:' AND k.source < 'cdr;') \
                    ORDER BY t.id")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(|r| Ok(TenantId(r.uuid("id")?))).collect()
}

/// Conversations of `tenant` with a recording and no call, started after
/// `after` and by `until`, oldest first.
pub(crate) async fn orphan_candidates<D: Dialect>(
    db: &D,
    tenant: TenantId,
    after: Option<(DateTime<Utc>, Uuid)>,
    until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<OrphanCandidate>> {
    let mut stmt = sql("SELECT c.id, c.started_at, (SELECT r.id FROM recordings r \
         WHERE r.conversation_id = c.id ORDER BY r.started_at, r.id LIMIT 1) AS recording_id \
         FROM conversations c WHERE c.tenant_id = $1 AND c.recording_count > 0 \
         AND c.started_at <= $2 \
         AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.conversation_id = c.id)")
    .bind(tenant.0)
    .bind(until);
    if let Some((at, id)) = after {
        stmt.push(" AND (c.started_at > ").push_bind(at);
        stmt.push(" OR (c.started_at = ").push_bind(at).push(" AND c.id > ").push_bind(id);
        stmt.push("))");
    }
    stmt.push(" ORDER BY c.started_at, c.id LIMIT ").push_bind(i64::from(limit.max(1)));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    let mut out = Vec::new();
    for row in rows {
        let Some(recording) = row.opt_uuid("recording_id")? else { continue };
        out.push(OrphanCandidate {
            conversation_id: ConversationId(row.uuid("id")?),
            recording_id: RecordingId(recording),
            started_at: row.time("started_at")?,
        });
    }
    Ok(out)
}

/// Hold open an orphan finding per recording; the ones opened now.
pub(crate) async fn record_orphans<D: Dialect>(
    db: &D,
    tenant: TenantId,
    orphans: &[(OrphanCandidate, NewFinding)],
    now: DateTime<Utc>,
) -> Result<Vec<Finding>> {
    for (_, f) in orphans {
        validate_finding(f)?;
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let mut opened = Vec::new();
    for (o, f) in orphans {
        let subject = Subject::Recording(o.recording_id);
        if let Some(new) =
            hold_open(&mut *tx, tenant, subject, Some(o.conversation_id), f, now).await?
        {
            opened.push(new);
        }
    }
    tx.commit().await?;
    Ok(opened)
}

pub(crate) async fn cursor<D: Dialect>(
    db: &D,
    name: &str,
) -> Result<Option<(DateTime<Utc>, Option<Uuid>)>> {
    let row = sql("SELECT at, id FROM assurance_cursors WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.map(|r| Ok((r.time("at")?, r.opt_uuid("id")?))).transpose()
}

pub(crate) async fn set_cursor<D: Dialect>(
    db: &D,
    name: &str,
    at: DateTime<Utc>,
    id: Option<Uuid>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO assurance_cursors (name, at, id) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET at = excluded.at, id = excluded.id")
    .bind(name)
    .bind(catalog_time(at))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Answered calls in `[from, to)` and how many are complete, with the open
/// findings of those calls (and of orphan recordings started then).
pub(crate) async fn summary<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<AssuranceSummary> {
    let mut conn = db.read().await?;
    let mut stmt = sql("SELECT COUNT(*) AS n, \
         COALESCE(SUM(CASE WHEN checked_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS checked, \
         COALESCE(SUM(CASE WHEN checked_at IS NOT NULL THEN recorded ELSE 0 END), 0) AS recorded, \
         COALESCE(SUM(CASE WHEN checked_at IS NOT NULL THEN copies ELSE 0 END), 0) AS copies, \
         COALESCE(SUM(CASE WHEN checked_at IS NOT NULL THEN delivered ELSE 0 END), 0) AS delivered \
         FROM calls WHERE answered_at >= $1 AND answered_at < $2")
    .bind(from)
    .bind(to);
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    let row = stmt.fetch_one(&mut *conn).await?;
    let mut out = AssuranceSummary {
        calls: count(&row, "n")?,
        checked: count(&row, "checked")?,
        recorded: count(&row, "recorded")?,
        copies: count(&row, "copies")?,
        delivered: count(&row, "delivered")?,
        open_findings: Vec::new(),
    };
    let mut stmt = sql("SELECT kind, COUNT(*) AS n FROM (\
         SELECT f.kind FROM findings f JOIN calls k ON k.id = f.call_id \
         WHERE f.resolved_at IS NULL AND k.answered_at >= $1 AND k.answered_at < $2")
    .bind(from)
    .bind(to);
    if let Some(t) = tenant {
        stmt.push(" AND f.tenant_id = ").push_bind(t.0);
    }
    stmt.push(
        " UNION ALL SELECT f.kind FROM findings f JOIN recordings r ON r.id = f.recording_id \
               WHERE f.resolved_at IS NULL AND r.started_at >= $1 AND r.started_at < $2",
    );
    if let Some(t) = tenant {
        stmt.push(" AND f.tenant_id = ").push_bind(t.0);
    }
    stmt.push(") AS open_findings GROUP BY kind ORDER BY kind");
    for row in stmt.fetch_all(&mut *conn).await? {
        out.open_findings.push((row.text("kind")?, count(&row, "n")?));
    }
    Ok(out)
}

pub(crate) async fn list<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    q: &FindingQuery,
) -> Result<Vec<Finding>> {
    let mut stmt = sql(format!("SELECT {FINDING_COLUMNS} FROM findings WHERE 1 = 1"));
    if let Some(t) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(t.0);
    }
    if let Some(since) = q.since {
        stmt.push(" AND first_seen >= ").push_bind(since);
    }
    if let Some(until) = q.until {
        stmt.push(" AND first_seen < ").push_bind(until);
    }
    if let Some(kind) = &q.kind {
        stmt.push(" AND kind = ").push_bind(kind);
    }
    if q.open_only {
        stmt.push(" AND resolved_at IS NULL");
    }
    if let Some(after) = q.after {
        stmt.push(" AND (first_seen < ").push_bind(after.first_seen);
        stmt.push(" OR (first_seen = ").push_bind(after.first_seen);
        stmt.push(" AND id < ").push_bind(after.id).push("))");
    }
    let limit = if q.limit == 0 { 100 } else { q.limit.min(MAX_LIST) };
    stmt.push(" ORDER BY first_seen DESC, id DESC LIMIT ").push_bind(i64::from(limit));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(finding).collect()
}

/// Answered calls registered, and open findings by tenant and kind.
pub(crate) async fn gauges<D: Dialect>(db: &D) -> Result<(u64, Vec<(TenantId, String, u64)>)> {
    let mut conn = db.read().await?;
    let row = sql("SELECT COUNT(*) AS n FROM calls WHERE answered_at IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    let calls = count(&row, "n")?;
    let rows = sql("SELECT tenant_id, kind, COUNT(*) AS n FROM findings \
                    WHERE resolved_at IS NULL GROUP BY tenant_id, kind ORDER BY tenant_id, kind")
    .fetch_all(&mut *conn)
    .await?;
    let open = rows
        .iter()
        .map(|r| Ok((TenantId(r.uuid("tenant_id")?), r.text("kind")?, count(r, "n")?)))
        .collect::<Result<Vec<_>>>()?;
    Ok((calls, open))
}

/// Rows per statement of the benchmark's seed.
const SEED_BATCH: u64 = 500;

/// See [`crate::Catalog::bench_seed_assurance`]. Conversation `n` starts
/// `n` seconds after `now` minus `count` seconds (so a 24 h report sees
/// them all up to 86 400), lasts 60 s and carries linkedid `bench-n`; call
/// `n` names it, except every 100th (`bench-missing-n`).
pub(crate) async fn bench_seed<D: Dialect>(
    db: &D,
    tenant: TenantId,
    count: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    let base = catalog_time(now) - chrono::Duration::seconds(count as i64 + 600);
    let mut done = 0u64;
    while done < count {
        let n_rows = (count - done).min(SEED_BATCH);
        let rows: Vec<(u64, Uuid, Uuid, DateTime<Utc>)> = (done..done + n_rows)
            .map(|n| {
                (n, Uuid::now_v7(), Uuid::now_v7(), base + chrono::Duration::seconds(n as i64))
            })
            .collect();
        let end = |t: DateTime<Utc>| t + chrono::Duration::seconds(60);
        let mut tx = db.begin_write().await?;
        let mut stmt =
            sql("INSERT INTO conversations (id, tenant_id, direction, external_number, \
             company_number, started_at, ended_at, recording_count, created_at, updated_at) ");
        for (i, (n, conv, _, t)) in rows.iter().enumerate() {
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(*conv).push(", ").push_bind(tenant.0).push(", ").push_bind("inbound");
            stmt.push(", ").push_bind(format!("+7912{:07}", n % 10_000_000));
            stmt.push(", ").push_bind("101").push(", ").push_bind(*t).push(", ").push_bind(end(*t));
            stmt.push(", ").push_bind(1i32).push(", ").push_bind(*t).push(", ").push_bind(*t);
            stmt.push(")");
        }
        stmt.execute(&mut *tx).await?;
        let mut stmt = sql("INSERT INTO conversation_external_ids (tenant_id, kind, value, \
                            conversation_id) ");
        for (i, (n, conv, _, _)) in rows.iter().enumerate() {
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(tenant.0).push(", ").push_bind("asterisk_linkedid");
            stmt.push(", ").push_bind(format!("bench-{n}")).push(", ").push_bind(*conv).push(")");
        }
        stmt.execute(&mut *tx).await?;
        let mut stmt = sql("INSERT INTO recordings (id, tenant_id, conversation_id, upload_key, \
             source, format, codec, channels, sample_rate, duration_ms, size_bytes, sha256, \
             started_at, ended_at, object_key, flags, created_at) ");
        for (i, (n, conv, rec, t)) in rows.iter().enumerate() {
            let ms: i64 = if n % 100 == 50 { 40_000 } else { 60_000 };
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(*rec).push(", ").push_bind(tenant.0).push(", ").push_bind(*conv);
            stmt.push(", ").push_bind(format!("bench-{n}")).push(", ").push_bind("upload");
            stmt.push(", ").push_bind("wav").push(", ").push_bind("pcm_s16le");
            stmt.push(", ").push_bind(1i32).push(", ").push_bind(8000i32).push(", ").push_bind(ms);
            stmt.push(", ").push_bind(1000i64).push(", ").push_bind(format!("{n:064x}"));
            stmt.push(", ")
                .push_bind(*t)
                .push(", ")
                .push_bind(*t + chrono::Duration::milliseconds(ms));
            stmt.push(", ").push_bind(format!("bench/{rec}.wav")).push(", ");
            stmt.push_bind(json!([])).push(", ").push_bind(*t).push(")");
        }
        stmt.execute(&mut *tx).await?;
        let mut stmt = sql("INSERT INTO copies (id, tenant_id, recording_id, store, object_key, \
                            size_bytes, sha256, created_at, verified_at) ");
        for (i, (n, _, rec, t)) in rows.iter().enumerate() {
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(Uuid::now_v7())
                .push(", ")
                .push_bind(tenant.0)
                .push(", ")
                .push_bind(*rec);
            stmt.push(", ").push_bind("primary").push(", ").push_bind(format!("bench/{rec}.wav"));
            stmt.push(", ").push_bind(1000i64).push(", ").push_bind(format!("{n:064x}"));
            stmt.push(", ").push_bind(*t).push(", ").push_bind(*t).push(")");
        }
        stmt.execute(&mut *tx).await?;
        let mut stmt = sql("INSERT INTO calls (id, tenant_id, source, leg_key, ids, caller, \
             callee, caller_tail, callee_tail, started_at, answered_at, ended_at, talk_secs, \
             disposition, created_at, next_check_at) ");
        for (i, (n, _, _, t)) in rows.iter().enumerate() {
            let value =
                if n % 100 == 0 { format!("bench-missing-{n}") } else { format!("bench-{n}") };
            let caller = format!("+7912{:07}", n % 10_000_000);
            stmt.push(if i == 0 { "VALUES (" } else { ", (" });
            stmt.push_bind(Uuid::now_v7()).push(", ").push_bind(tenant.0);
            stmt.push(", ")
                .push_bind("cdr:asterisk_csv")
                .push(", ")
                .push_bind(format!("bench-{n}"));
            stmt.push(", ").push_bind(json!([{ "kind": "asterisk_linkedid", "value": value }]));
            stmt.push(", ").push_bind(&caller).push(", ").push_bind("101");
            stmt.push(", ").push_bind(number_tail(&caller)).push(", ").push_bind("101");
            stmt.push(", ").push_bind(*t - chrono::Duration::seconds(3)).push(", ").push_bind(*t);
            stmt.push(", ").push_bind(end(*t)).push(", ").push_bind(60i64);
            stmt.push(", ").push_bind("answered").push(", ").push_bind(*t).push(", ");
            stmt.push_bind(end(*t)).push(")");
        }
        stmt.execute(&mut *tx).await?;
        tx.commit().await?;
        done += n_rows;
    }
    Ok(())
}
