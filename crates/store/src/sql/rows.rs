//! Rows into the model's types, the same for both backends.

use callvault_model::*;

use super::error::Result;
use super::stmt::SqlRow;
use crate::catalog::{ApiKey, CatalogError, ConversationEvent, KeyRole, PendingObject};

/// The columns every recording query selects, in [`recording`]'s terms.
pub(crate) const RECORDING_COLUMNS: &str = "id, tenant_id, conversation_id, participant_id, source, \
     format, codec, channels, sample_rate, duration_ms, size_bytes, sha256, started_at, ended_at, \
     object_key, flags, created_at";

/// The columns of a participant row, in [`participant`]'s terms.
pub(crate) const PARTICIPANT_COLUMNS: &str =
    "id, conversation_id, side, address, display_name, joined_at, left_at";

/// A text column holding one of the model's enums.
fn parse_enum<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| CatalogError::Backend(format!("unexpected value {s:?} in catalog")).into())
}

/// A non-negative count or size stored as a signed integer.
fn unsigned<T: TryFrom<i64> + Default>(v: impl Into<i64>) -> T {
    T::try_from(v.into()).unwrap_or_default()
}

/// An unsigned value into the signed column that stores it.
pub(crate) fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn tenant(row: &impl SqlRow) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(row.uuid("id")?),
        name: row.text("name")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn api_key(row: &impl SqlRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(row.uuid("id")?),
        tenant_id: row.opt_uuid("tenant_id")?.map(TenantId),
        role: KeyRole::parse(&row.text("role")?)?,
        label: row.text("label")?,
        prefix: row.text("prefix")?,
        created_at: row.time("created_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

pub(crate) fn conversation(
    row: &impl SqlRow,
    external_ids: Vec<ExternalId>,
) -> Result<Conversation> {
    Ok(Conversation {
        id: ConversationId(row.uuid("id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        direction: parse_enum(&row.text("direction")?)?,
        external_number: row.opt_text("external_number")?,
        company_number: row.opt_text("company_number")?,
        started_at: row.time("started_at")?,
        ended_at: row.opt_time("ended_at")?,
        external_ids,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn participant(row: &impl SqlRow) -> Result<Participant> {
    Ok(Participant {
        id: ParticipantId(row.uuid("id")?),
        conversation_id: ConversationId(row.uuid("conversation_id")?),
        side: parse_enum(&row.text("side")?)?,
        address: row.opt_text("address")?,
        display_name: row.opt_text("display_name")?,
        joined_at: row.time("joined_at")?,
        left_at: row.opt_time("left_at")?,
    })
}

/// A conversation event.
pub(crate) fn event(row: &impl SqlRow) -> Result<ConversationEvent> {
    Ok(ConversationEvent {
        id: row.uuid("id")?,
        conversation_id: ConversationId(row.uuid("conversation_id")?),
        recording_id: row.opt_uuid("recording_id")?.map(RecordingId),
        participant_id: row.opt_uuid("participant_id")?.map(ParticipantId),
        at: row.time("at")?,
        kind: row.text("kind")?,
        detail: row.json("detail")?,
    })
}

/// A recording and its codec, from [`RECORDING_COLUMNS`].
pub(crate) fn recording(row: &impl SqlRow) -> Result<(Recording, String)> {
    let recording = Recording {
        id: RecordingId(row.uuid("id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        conversation_id: ConversationId(row.uuid("conversation_id")?),
        participant_id: row.opt_uuid("participant_id")?.map(ParticipantId),
        source: parse_enum(&row.text("source")?)?,
        format: parse_enum(&row.text("format")?)?,
        channels: unsigned(row.i32("channels")?),
        sample_rate: unsigned(row.i32("sample_rate")?),
        duration_ms: unsigned(row.i64("duration_ms")?),
        size_bytes: unsigned(row.i64("size_bytes")?),
        sha256: row.text("sha256")?,
        started_at: row.time("started_at")?,
        ended_at: row.time("ended_at")?,
        object_key: row.text("object_key")?,
        flags: row.json("flags")?,
        created_at: row.time("created_at")?,
    };
    Ok((recording, row.text("codec")?))
}

pub(crate) fn copy(row: &impl SqlRow) -> Result<Copy> {
    Ok(Copy {
        id: CopyId(row.uuid("id")?),
        recording_id: RecordingId(row.uuid("recording_id")?),
        store: row.text("store")?,
        object_key: row.text("object_key")?,
        size_bytes: unsigned(row.i64("size_bytes")?),
        sha256: row.text("sha256")?,
        created_at: row.time("created_at")?,
        verified_at: row.opt_time("verified_at")?,
    })
}

pub(crate) fn pending_object(row: &impl SqlRow) -> Result<PendingObject> {
    Ok(PendingObject {
        store: row.text("store")?,
        object_key: row.text("object_key")?,
        owner: row.text("owner")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn audit_event(row: &impl SqlRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: row.i64("seq")?,
        tenant_id: row.opt_uuid("tenant_id")?.map(TenantId),
        at: row.time("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        subject: row.text("subject")?,
        detail: row.json("detail")?,
    })
}
