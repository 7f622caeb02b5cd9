//! Committing a recording: one transaction that finds or creates its
//! conversation, merges participants, indexes the search keys, inserts the
//! recording and its copy, clears the pending object and writes the audit
//! log. [`commit_recording`] runs it again when it lost a race.

use std::collections::{HashMap, HashSet};

use callvault_model::*;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::error::Result;
use super::ingest::find_duplicate;
use super::rows::{self, PARTICIPANT_COLUMNS, RECORDING_COLUMNS, i64_of};
use super::search;
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::{
    CommitOutcome, ConversationFlag, ConversationHints, EmptySessionOutcome, NewConversationEvent,
    NewEmptySession, NewParticipant, NewRecording, catalog_time, number_tails,
    validate_empty_session, validate_new_recording,
};

/// How often a commit that lost a race is run again.
const MAX_RETRIES: u32 = 8;

pub(crate) async fn commit_recording<D: Dialect>(
    db: &D,
    new: NewRecording,
) -> Result<CommitOutcome> {
    validate_new_recording(&new)?;
    let new = at_catalog_precision(new);
    // A unique violation means another writer committed the same
    // conversation key or upload first: run again and find it.
    let mut attempts = 0;
    loop {
        match try_commit(db, &new).await {
            Err(e) if e.is_retryable() && attempts < MAX_RETRIES => {
                attempts += 1;
                tracing::debug!(attempts, "commit raced another writer; retrying");
            }
            outcome => return outcome,
        }
    }
}

/// Times truncated to what the catalog keeps, so that the merges below
/// compare them as they will be read back.
fn at_catalog_precision(mut new: NewRecording) -> NewRecording {
    new.started_at = catalog_time(new.started_at);
    new.ended_at = catalog_time(new.ended_at);
    new.settle_at = catalog_time(new.settle_at);
    for p in &mut new.participants {
        p.joined_at = catalog_time(p.joined_at);
        p.left_at = p.left_at.map(catalog_time);
    }
    for e in &mut new.events {
        e.at = catalog_time(e.at);
    }
    new
}

/// What a commit and a recording-less session share: the call they belong
/// to and who was on it.
struct Call<'a> {
    tenant: TenantId,
    actor: &'a str,
    conversation: &'a ConversationHints,
    participants: &'a [NewParticipant],
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
}

impl<'a> Call<'a> {
    fn of_recording(new: &'a NewRecording) -> Self {
        Call {
            tenant: new.tenant_id,
            actor: &new.actor,
            conversation: &new.conversation,
            participants: &new.participants,
            started_at: new.started_at,
            ended_at: new.ended_at,
        }
    }

    fn of_session(new: &'a NewEmptySession) -> Self {
        Call {
            tenant: new.tenant_id,
            actor: &new.actor,
            conversation: &new.conversation,
            participants: &new.participants,
            started_at: new.started_at,
            ended_at: new.ended_at,
        }
    }
}

/// Stores a session without a recording, running again when it lost a
/// race like a commit.
pub(crate) async fn record_empty_session<D: Dialect>(
    db: &D,
    new: NewEmptySession,
) -> Result<EmptySessionOutcome> {
    validate_empty_session(&new)?;
    let mut new = new;
    new.started_at = catalog_time(new.started_at);
    new.ended_at = catalog_time(new.ended_at);
    for p in &mut new.participants {
        p.joined_at = catalog_time(p.joined_at);
        p.left_at = p.left_at.map(catalog_time);
    }
    for e in &mut new.events {
        e.at = catalog_time(e.at);
    }
    let mut attempts = 0;
    loop {
        match try_record_empty_session(db, &new).await {
            Err(e) if e.is_retryable() && attempts < MAX_RETRIES => {
                attempts += 1;
                tracing::debug!(attempts, "empty session raced another writer; retrying");
            }
            outcome => return outcome,
        }
    }
}

async fn try_record_empty_session<D: Dialect>(
    db: &D,
    new: &NewEmptySession,
) -> Result<EmptySessionOutcome> {
    let mut tx = db.begin_write().await?;
    let existing = sql("SELECT conversation_id FROM conversation_events \
                        WHERE tenant_id = $1 AND session_key = $2")
    .bind(new.tenant_id.0)
    .bind(&new.session_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = existing {
        let id = super::stmt::SqlRow::uuid(&row, "conversation_id")?;
        return Ok(EmptySessionOutcome::Existing(ConversationId(id)));
    }
    let call = Call::of_session(new);
    let now = Utc::now();
    let found = find_conversation(&mut *tx, &call).await?;
    let conversation = match found.conversation {
        Some(id) => join_conversation(&mut *tx, id, &call, now).await?,
        None => create_conversation(&mut *tx, &call, now).await?,
    };
    claim_external_ids(&mut *tx, &call, &conversation, &found.next_generation).await?;
    let participants = merge_participants(&mut *tx, &call, conversation.id).await?;
    index_search_keys(&mut *tx, &call, &conversation).await?;
    let first = NewConversationEvent {
        at: new.started_at,
        kind: new.kind.clone(),
        participant: None,
        detail: new.detail.clone(),
    };
    insert_event(
        &mut *tx,
        new.tenant_id,
        conversation.id,
        None,
        &[],
        &first,
        Some(&new.session_key),
    )
    .await?;
    for e in &new.events {
        insert_event(&mut *tx, new.tenant_id, conversation.id, None, &participants, e, None)
            .await?;
    }
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(new.tenant_id),
            actor: &new.actor,
            action: "conversation.session_without_recording",
            subject: format!("conversation:{}", conversation.id),
            detail: serde_json::json!({ "kind": new.kind, "detail": new.detail }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(EmptySessionOutcome::Created(ConversationId(conversation.id)))
}

/// One event; its participant index is looked up in `participants` (the
/// merged ids of the recording's or session's participants, in order).
async fn insert_event(
    tx: &mut impl SqlConn,
    tenant: TenantId,
    conversation_id: Uuid,
    recording_id: Option<Uuid>,
    participants: &[Uuid],
    event: &NewConversationEvent,
    session_key: Option<&str>,
) -> Result<()> {
    let participant = event.participant.and_then(|i| participants.get(i).copied());
    sql("INSERT INTO conversation_events (id, tenant_id, conversation_id, recording_id, \
         participant_id, at, kind, detail, session_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
    .bind(Uuid::now_v7())
    .bind(tenant.0)
    .bind(conversation_id)
    .bind(recording_id)
    .bind(participant)
    .bind(event.at)
    .bind(&event.kind)
    .bind(event.detail.clone())
    .bind(session_key.map(str::to_owned))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One attempt, in one transaction.
async fn try_commit<D: Dialect>(db: &D, new: &NewRecording) -> Result<CommitOutcome> {
    let mut tx = db.begin_write().await?;
    let existing =
        find_duplicate(&mut *tx, new.tenant_id, new.idempotency_key.as_deref(), &new.upload_key)
            .await?;
    if let Some(recording) = existing {
        return Ok(CommitOutcome::Existing(recording));
    }
    let now = Utc::now();
    let call = Call::of_recording(new);
    let found = find_conversation(&mut *tx, &call).await?;
    let conversation = match found.conversation {
        Some(id) => join_conversation(&mut *tx, id, &call, now).await?,
        None => create_conversation(&mut *tx, &call, now).await?,
    };
    claim_external_ids(&mut *tx, &call, &conversation, &found.next_generation).await?;
    let participants = merge_participants(&mut *tx, &call, conversation.id).await?;
    index_search_keys(&mut *tx, &call, &conversation).await?;
    let recording =
        insert_recording(&mut *tx, new, conversation.id, participants.first().copied(), now)
            .await?;
    if new.flags.iter().any(|f| f == ConversationFlag::CutByCrash.as_str()) {
        search::sync_flag_keys(&mut *tx, conversation.id).await?;
    }
    for e in &new.events {
        insert_event(
            &mut *tx,
            new.tenant_id,
            conversation.id,
            Some(new.id.0),
            &participants,
            e,
            None,
        )
        .await?;
    }
    insert_copy(&mut *tx, new, now).await?;
    if let Some(enc) = &new.encryption {
        super::encryption::insert_recording_key(&mut *tx, new, enc, now).await?;
    }
    clear_pending_object(&mut *tx, new).await?;
    // In this transaction: a recording is never visible without its
    // deliveries queued.
    super::outbox::queue_for_recording(
        &mut *tx,
        new.tenant_id,
        conversation.id,
        new.id.0,
        new.settle_at,
        now,
    )
    .await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(new.tenant_id),
            actor: &new.actor,
            action: "recording.stored",
            subject: format!("recording:{}", new.id),
            detail: serde_json::json!({
                "conversation_id": conversation.id,
                "sha256": new.sha256,
                "size_bytes": new.size_bytes,
                "store": new.store,
                "object_key": new.object_key,
                "source": new.source.as_str(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CommitOutcome::Created(recording))
}

/// The conversation a recording joins, as far as this commit is concerned.
struct Joined {
    id: Uuid,
    /// Created by this commit (its external ids are not claimed yet).
    is_new: bool,
    /// The conversation's start once this recording is in, which the search
    /// keys carry.
    started_at: DateTime<Utc>,
}

/// What [`find_conversation`] found.
struct Found {
    /// The conversation the recording joins.
    conversation: Option<Uuid>,
    /// Keys whose newest conversation is too old to join: the generation
    /// the new conversation claims for each.
    next_generation: HashMap<(String, String), i64>,
}

/// The conversation that already holds one of the recording's external ids.
/// Conversation-wide keys are tried first, so that a leg id never wins over
/// the linkedid or SIPREC group that names the whole call. Only the newest
/// generation of a key counts; with a rejoin window, a conversation that
/// ended longer than the window before this recording starts is a finished
/// call whose key the source reused: the recording starts a new generation.
async fn find_conversation(tx: &mut impl SqlConn, new: &Call<'_>) -> Result<Found> {
    let mut hints: Vec<&ExternalId> = new.conversation.external_ids.iter().collect();
    hints.sort_by_key(|id| !CONVERSATION_KEY_KINDS.contains(&id.kind.as_str()));
    let mut next_generation = HashMap::new();
    for id in hints {
        let row = sql("SELECT e.conversation_id, e.generation, c.started_at, c.ended_at \
                       FROM conversation_external_ids e JOIN conversations c ON c.id = e.conversation_id \
                       WHERE e.tenant_id = $1 AND e.kind = $2 AND e.value = $3 \
                       ORDER BY e.generation DESC LIMIT 1")
        .bind(new.tenant.0)
        .bind(&id.kind)
        .bind(&id.value)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { continue };
        let conversation = row.uuid("conversation_id")?;
        if let Some(window) = new.conversation.rejoin_window {
            let generation = row.i64("generation")?;
            let started = row.time("started_at")?;
            let ended = row.opt_time("ended_at")?.unwrap_or(started);
            let window = chrono::Duration::from_std(window).unwrap_or(chrono::TimeDelta::MAX);
            if ended.checked_add_signed(window).is_some_and(|until| new.started_at > until) {
                tracing::info!(
                    kind = %id.kind,
                    previous = %conversation,
                    "a conversation key came back after the rejoin window: a new conversation"
                );
                next_generation.insert((id.kind.clone(), id.value.clone()), generation + 1);
                continue;
            }
        }
        return Ok(Found { conversation: Some(conversation), next_generation });
    }
    Ok(Found { conversation: None, next_generation })
}

/// Widen an existing conversation to cover the recording: the earlier start,
/// the later end, a direction where it had none, numbers it lacked.
async fn join_conversation(
    tx: &mut impl SqlConn,
    id: Uuid,
    new: &Call<'_>,
    now: DateTime<Utc>,
) -> Result<Joined> {
    // An UPDATE rather than a SELECT: it takes the row lock before reading,
    // so concurrent commits to one conversation (PostgreSQL) merge instead of
    // overwriting each other's start, end and direction.
    let row = sql("UPDATE conversations SET updated_at = updated_at WHERE id = $1 AND tenant_id = $2 \
                   RETURNING id, tenant_id, direction, external_number, company_number, started_at, \
                   ended_at, created_at, updated_at")
    .bind(id)
    .bind(new.tenant.0)
    .fetch_one(&mut *tx)
    .await?;
    let current = rows::conversation(&row, Vec::new())?;
    let started = current.started_at.min(new.started_at);
    if started != current.started_at {
        sql("UPDATE conversation_keys SET started_at = $1 WHERE conversation_id = $2")
            .bind(started)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let ended = current.ended_at.map_or(new.ended_at, |e| e.max(new.ended_at));
    let direction = match (current.direction, new.conversation.direction) {
        (Direction::Unknown, Some(d)) => d,
        (d, _) => d,
    };
    sql("UPDATE conversations SET started_at = $1, ended_at = $2, direction = $3, \
         external_number = COALESCE(external_number, $4), \
         company_number = COALESCE(company_number, $5), updated_at = $6 WHERE id = $7")
    .bind(started)
    .bind(ended)
    .bind(direction.as_str())
    .bind(&new.conversation.external_number)
    .bind(&new.conversation.company_number)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(Joined { id, is_new: false, started_at: started })
}

async fn create_conversation(
    tx: &mut impl SqlConn,
    new: &Call<'_>,
    now: DateTime<Utc>,
) -> Result<Joined> {
    let id = ConversationId::new().0;
    let direction = new.conversation.direction.unwrap_or(Direction::Unknown);
    sql("INSERT INTO conversations (id, tenant_id, direction, external_number, \
         company_number, started_at, ended_at, recording_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)")
    .bind(id)
    .bind(new.tenant.0)
    .bind(direction.as_str())
    .bind(&new.conversation.external_number)
    .bind(&new.conversation.company_number)
    .bind(new.started_at)
    .bind(new.ended_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(new.tenant),
            actor: new.actor,
            action: "conversation.created",
            subject: format!("conversation:{id}"),
            detail: serde_json::json!({ "direction": direction.as_str() }),
        },
    )
    .await?;
    Ok(Joined { id, is_new: true, started_at: new.started_at })
}

/// Record the recording's external ids as the conversation's.
async fn claim_external_ids(
    tx: &mut impl SqlConn,
    new: &Call<'_>,
    conversation: &Joined,
    next_generation: &HashMap<(String, String), i64>,
) -> Result<()> {
    // A new conversation claims its ids without ON CONFLICT: if a concurrent
    // writer claimed one first, the unique violation rolls this attempt back
    // and the retry joins that conversation instead of creating a second one.
    // A key reused after the rejoin window is claimed in its next
    // generation, also without ON CONFLICT: two writers starting the same
    // generation race like two writers of a new key.
    let claim = if conversation.is_new {
        "INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id, generation) \
         VALUES ($1, $2, $3, $4, $5)"
    } else {
        "INSERT INTO conversation_external_ids (tenant_id, kind, value, conversation_id, generation) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
    };
    let mut claimed = HashSet::new();
    for id in &new.conversation.external_ids {
        if !claimed.insert((id.kind.as_str(), id.value.as_str())) {
            continue;
        }
        let generation =
            next_generation.get(&(id.kind.clone(), id.value.clone())).copied().unwrap_or(0);
        sql(claim)
            .bind(new.tenant.0)
            .bind(&id.kind)
            .bind(&id.value)
            .bind(conversation.id)
            .bind(generation)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Add the recording's participants to the conversation's: the same address
/// on the same side is the same person, whose time on the call grows to
/// cover both uploads. Returns the ids of the call's participants, in the
/// order they were given.
async fn merge_participants(
    tx: &mut impl SqlConn,
    new: &Call<'_>,
    conversation_id: Uuid,
) -> Result<Vec<Uuid>> {
    let rows =
        sql(format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE conversation_id = $1"))
            .bind(conversation_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut known = rows.iter().map(rows::participant).collect::<Result<Vec<_>>>()?;
    let mut ids = Vec::with_capacity(new.participants.len());
    for p in new.participants {
        let same = known
            .iter()
            .find(|k| k.side == p.side && k.address.is_some() && k.address == p.address);
        let id = match same {
            Some(k) => {
                let joined = k.joined_at.min(p.joined_at);
                let left = match (k.left_at, p.left_at) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                sql("UPDATE participants SET joined_at = $1, left_at = $2, \
                     display_name = COALESCE(display_name, $3) WHERE id = $4")
                .bind(joined)
                .bind(left)
                .bind(&p.display_name)
                .bind(k.id.0)
                .execute(&mut *tx)
                .await?;
                k.id.0
            }
            None => {
                let id = ParticipantId::new().0;
                sql("INSERT INTO participants (id, tenant_id, conversation_id, side, address, \
                     display_name, joined_at, left_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(new.tenant.0)
                .bind(conversation_id)
                .bind(p.side.as_str())
                .bind(&p.address)
                .bind(&p.display_name)
                .bind(p.joined_at)
                .bind(p.left_at)
                .execute(&mut *tx)
                .await?;
                known.push(Participant {
                    id: ParticipantId(id),
                    conversation_id: ConversationId(conversation_id),
                    side: p.side,
                    address: p.address.clone(),
                    display_name: p.display_name.clone(),
                    joined_at: p.joined_at,
                    left_at: p.left_at,
                });
                id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// The search keys the recording adds to its conversation: the tails of
/// every number on the call, and each participant's address and name.
fn search_keys(new: &Call<'_>) -> Vec<(&'static str, String)> {
    let numbers = [&new.conversation.external_number, &new.conversation.company_number]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(new.participants.iter().filter_map(|p| p.address.as_deref()));
    let mut keys: Vec<(&str, String)> =
        number_tails(numbers).into_iter().map(|tail| ("number", tail)).collect();
    for p in new.participants {
        keys.extend(
            [&p.address, &p.display_name].into_iter().flatten().map(|v| ("participant", v.clone())),
        );
    }
    keys.sort();
    keys.dedup();
    keys
}

async fn index_search_keys(
    tx: &mut impl SqlConn,
    new: &Call<'_>,
    conversation: &Joined,
) -> Result<()> {
    for (kind, value) in search_keys(new) {
        sql("INSERT INTO conversation_keys (tenant_id, kind, value, conversation_id, started_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(new.tenant.0)
        .bind(kind)
        .bind(value)
        .bind(conversation.id)
        .bind(conversation.started_at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Insert the recording and count it in its conversation.
async fn insert_recording(
    tx: &mut impl SqlConn,
    new: &NewRecording,
    conversation_id: Uuid,
    participant_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Recording> {
    let row = sql(format!(
        "INSERT INTO recordings ({RECORDING_COLUMNS}, idempotency_key, upload_key) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
         RETURNING {RECORDING_COLUMNS}"
    ))
    .bind(new.id.0)
    .bind(new.tenant_id.0)
    .bind(conversation_id)
    .bind(participant_id)
    .bind(new.source.as_str())
    .bind(new.format.as_str())
    .bind(&new.codec)
    .bind(i32::from(new.channels))
    .bind(i32::try_from(new.sample_rate).unwrap_or(i32::MAX))
    .bind(i64_of(new.duration_ms))
    .bind(i64_of(new.size_bytes))
    .bind(&new.sha256)
    .bind(new.started_at)
    .bind(new.ended_at)
    .bind(&new.object_key)
    .bind(serde_json::Value::from(new.flags.clone()))
    .bind(now)
    .bind(&new.idempotency_key)
    .bind(&new.upload_key)
    .fetch_one(&mut *tx)
    .await?;
    let (recording, _) = rows::recording(&row)?;
    // A recording joining a trashed conversation brings it back (its
    // trashed recordings stay in the trash).
    sql("UPDATE conversations SET recording_count = recording_count + 1, trashed_at = NULL, \
         trashed_by = NULL WHERE id = $1")
    .bind(conversation_id)
    .execute(&mut *tx)
    .await?;
    Ok(recording)
}

/// The copy in the store that holds the object, verified as it was just
/// written and hashed.
async fn insert_copy(tx: &mut impl SqlConn, new: &NewRecording, now: DateTime<Utc>) -> Result<()> {
    sql("INSERT INTO copies (id, tenant_id, recording_id, store, object_key, size_bytes, sha256, \
         created_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
    .bind(CopyId::new().0)
    .bind(new.tenant_id.0)
    .bind(new.id.0)
    .bind(&new.store)
    .bind(&new.object_key)
    // The copy describes the stored bytes: the ciphertext when encrypted.
    .bind(i64_of(new.encryption.as_ref().map_or(new.size_bytes, |e| e.stored_size)))
    .bind(new.encryption.as_ref().map_or(&new.sha256, |e| &e.stored_sha256))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn clear_pending_object(tx: &mut impl SqlConn, new: &NewRecording) -> Result<()> {
    sql("DELETE FROM pending_objects WHERE store = $1 AND object_key = $2")
        .bind(&new.store)
        .bind(&new.object_key)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
