//! The API's JSON shapes, converted from domain types at the boundary.

use base64::Engine;
use callvault_model::*;
use callvault_store::{
    ApiKey, ConversationDetail, ConversationFlag, ConversationQuery, ConversationSummary, Cursor,
    Page,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Problem;

#[derive(Debug, Serialize, Deserialize)]
pub struct RecordingDto {
    pub id: RecordingId,
    pub conversation_id: ConversationId,
    pub participant_id: Option<ParticipantId>,
    pub source: RecordingSource,
    pub format: AudioFormat,
    pub content_type: String,
    pub channels: u16,
    pub sample_rate: u32,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub sha256: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub flags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub audio_url: String,
}

impl From<&Recording> for RecordingDto {
    fn from(r: &Recording) -> Self {
        Self {
            id: r.id,
            conversation_id: r.conversation_id,
            participant_id: r.participant_id,
            source: r.source,
            format: r.format,
            content_type: r.format.content_type().to_owned(),
            channels: r.channels,
            sample_rate: r.sample_rate,
            duration_ms: r.duration_ms,
            size_bytes: r.size_bytes,
            sha256: r.sha256.clone(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            flags: r.flags.clone(),
            created_at: r.created_at,
            audio_url: format!("/v1/recordings/{}/audio", r.id),
        }
    }
}

/// Query parameters of `GET /v1/conversations`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationParams {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub number: Option<String>,
    pub participant: Option<String>,
    /// `kind:value` or a bare value matching any kind.
    pub external_id: Option<String>,
    pub has_recording: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// `inbound`, `outbound` or `internal`.
    pub direction: Option<String>,
    /// `upload`, `import`, `capture` or `siprec`: a live recording from it.
    pub source: Option<String>,
    /// The longest recording lasts at least this many seconds.
    pub min_duration_s: Option<u64>,
    /// The longest recording lasts at most this many whole seconds.
    pub max_duration_s: Option<u64>,
    /// `cut_by_crash`, `incomplete` or `undelivered`.
    pub flag: Option<String>,
}

impl ConversationParams {
    pub fn into_query(self) -> Result<ConversationQuery, Problem> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(Problem::bad_request("invalid_query", "limit must be between 1 and 500"));
        }
        for (name, v) in [
            ("number", &self.number),
            ("participant", &self.participant),
            ("external_id", &self.external_id),
        ] {
            if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > 256) {
                return Err(Problem::bad_request(
                    "invalid_query",
                    format!("{name} must be 1-256 characters"),
                ));
            }
        }
        if let Some(n) = &self.number
            && !n.bytes().any(|b| b.is_ascii_digit())
        {
            return Err(Problem::bad_request("invalid_query", "number has no digits"));
        }
        let external_id = self.external_id.map(|raw| match raw.split_once(':') {
            Some((kind, value))
                if !kind.is_empty()
                    && kind
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                (Some(kind.to_owned()), value.to_owned())
            }
            _ => (None, raw),
        });
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        let direction = match self.direction.as_deref() {
            None => None,
            Some(d @ ("inbound" | "outbound" | "internal")) => d.parse().ok(),
            Some(_) => {
                return Err(Problem::bad_request(
                    "invalid_query",
                    "direction must be inbound, outbound or internal",
                ));
            }
        };
        let source = self
            .source
            .as_deref()
            .map(|s| {
                s.parse::<RecordingSource>().map_err(|_| {
                    Problem::bad_request(
                        "invalid_query",
                        "source must be upload, import, capture or siprec",
                    )
                })
            })
            .transpose()?;
        let flag = self
            .flag
            .as_deref()
            .map(|f| {
                ConversationFlag::parse(f).ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_query",
                        "flag must be cut_by_crash, incomplete or undelivered",
                    )
                })
            })
            .transpose()?;
        const MAX_SECS: u64 = 366 * 86_400;
        if [self.min_duration_s, self.max_duration_s].into_iter().flatten().any(|s| s > MAX_SECS) {
            return Err(Problem::bad_request(
                "invalid_query",
                "min_duration_s and max_duration_s must be at most 31622400 (a year)",
            ));
        }
        if let (Some(min), Some(max)) = (self.min_duration_s, self.max_duration_s)
            && min > max
        {
            return Err(Problem::bad_request(
                "invalid_query",
                "min_duration_s must not be above max_duration_s",
            ));
        }
        Ok(ConversationQuery {
            direction,
            source,
            // Whole seconds: a 60.4 s call is within max_duration_s=60.
            min_duration_ms: self.min_duration_s.map(|s| s * 1000),
            max_duration_ms: self.max_duration_s.map(|s| s * 1000 + 999),
            flag,
            from: self.from,
            to: self.to,
            number: self.number,
            participant: self.participant,
            external_id,
            has_recording: self.has_recording,
            after,
            limit,
        })
    }
}

pub fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}.{}",
        c.started_at.timestamp_micros(),
        c.id
    ))
}

fn decode_cursor(s: &str) -> Result<Cursor, Problem> {
    let bad = || Problem::bad_request("invalid_cursor", "the cursor is not one this API returned");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (us, id) = text.split_once('.').ok_or_else(bad)?;
    let us: i64 = us.parse().map_err(|_| bad())?;
    Ok(Cursor {
        started_at: DateTime::from_timestamp_micros(us).ok_or_else(bad)?,
        id: id.parse().map_err(|_| bad())?,
    })
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConversationDto {
    pub id: ConversationId,
    pub direction: Direction,
    pub external_number: Option<String>,
    pub company_number: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub external_ids: Vec<ExternalId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Conversation> for ConversationDto {
    fn from(c: Conversation) -> Self {
        Self {
            id: c.id,
            direction: c.direction,
            external_number: c.external_number,
            company_number: c.company_number,
            started_at: c.started_at,
            ended_at: c.ended_at,
            external_ids: c.external_ids,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConversationSummaryDto {
    #[serde(flatten)]
    pub conversation: ConversationDto,
    pub recording_count: u32,
    pub participant_count: u32,
    /// The longest live recording, 0 without one.
    pub duration_ms: u64,
    /// Where its live recordings came from.
    pub sources: Vec<RecordingSource>,
    /// `cut_by_crash`, `incomplete`, `undelivered`.
    pub flags: Vec<ConversationFlag>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConversationPage {
    pub items: Vec<ConversationSummaryDto>,
    pub next_cursor: Option<String>,
    /// The search stopped at its scan budget (the page may be short): the
    /// calls that match and started at or after this instant are all here;
    /// `next_cursor` searches further back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searched_back_to: Option<DateTime<Utc>>,
}

impl From<Page<ConversationSummary>> for ConversationPage {
    fn from(p: Page<ConversationSummary>) -> Self {
        Self {
            items: p
                .items
                .into_iter()
                .map(|s| ConversationSummaryDto {
                    conversation: s.conversation.into(),
                    recording_count: s.recording_count,
                    participant_count: s.participant_count,
                    duration_ms: s.duration_ms,
                    sources: s.sources,
                    flags: s.flags,
                })
                .collect(),
            next_cursor: p.next.as_ref().map(encode_cursor),
            searched_back_to: p.searched_back_to,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ParticipantDto {
    pub id: ParticipantId,
    pub side: Side,
    pub address: Option<String>,
    pub display_name: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CopyDto {
    pub store: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConversationRecordingDto {
    #[serde(flatten)]
    pub recording: RecordingDto,
    pub codec: String,
    /// Where the recording starts on the conversation's timeline.
    pub offset_ms: i64,
    pub copies: Vec<CopyDto>,
}

/// One event of the conversation's timeline.
#[derive(Debug, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub offset_ms: i64,
    /// `joined`, `left`, `recording_started`, `recording_ended`, and what
    /// the recorder saw: `dtmf` (detail: `digit`, `duration_ms`, `stream`,
    /// `side`; the participant who sent it), `media_gap` (detail: `end`,
    /// `duration_ms`: no media arrived, rendered as silence), `no_media`
    /// (detail: `reason`: a session that brought no decodable audio).
    pub event: String,
    pub participant_id: Option<ParticipantId>,
    pub recording_id: Option<RecordingId>,
    /// What the event carries beyond its time (recorder events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ConversationDetailDto {
    #[serde(flatten)]
    pub conversation: ConversationDto,
    pub participants: Vec<ParticipantDto>,
    pub recordings: Vec<ConversationRecordingDto>,
    pub timeline: Vec<TimelineEvent>,
}

impl From<ConversationDetail> for ConversationDetailDto {
    fn from(d: ConversationDetail) -> Self {
        let origin = d.conversation.started_at;
        let offset = |t: DateTime<Utc>| (t - origin).num_milliseconds();
        let mut timeline = Vec::new();
        for p in &d.participants {
            timeline.push(TimelineEvent {
                at: p.joined_at,
                offset_ms: offset(p.joined_at),
                event: "joined".into(),
                participant_id: Some(p.id),
                recording_id: None,
                detail: None,
            });
            if let Some(left) = p.left_at {
                timeline.push(TimelineEvent {
                    at: left,
                    offset_ms: offset(left),
                    event: "left".into(),
                    participant_id: Some(p.id),
                    recording_id: None,
                    detail: None,
                });
            }
        }
        for r in &d.recordings {
            for (at, event) in [
                (r.recording.started_at, "recording_started"),
                (r.recording.ended_at, "recording_ended"),
            ] {
                timeline.push(TimelineEvent {
                    at,
                    offset_ms: offset(at),
                    event: event.into(),
                    participant_id: r.recording.participant_id,
                    recording_id: Some(r.recording.id),
                    detail: None,
                });
            }
        }
        for e in d.events {
            timeline.push(TimelineEvent {
                at: e.at,
                offset_ms: offset(e.at),
                event: e.kind,
                participant_id: e.participant_id,
                recording_id: e.recording_id,
                detail: Some(e.detail),
            });
        }
        // Stable: events at one instant keep their order.
        timeline.sort_by_key(|e| e.at);
        Self {
            participants: d
                .participants
                .into_iter()
                .map(|p| ParticipantDto {
                    id: p.id,
                    side: p.side,
                    address: p.address,
                    display_name: p.display_name,
                    joined_at: p.joined_at,
                    left_at: p.left_at,
                })
                .collect(),
            recordings: d
                .recordings
                .into_iter()
                .map(|r| ConversationRecordingDto {
                    offset_ms: offset(r.recording.started_at),
                    recording: RecordingDto::from(&r.recording),
                    codec: r.codec,
                    copies: r
                        .copies
                        .into_iter()
                        .map(|c| CopyDto {
                            store: c.store,
                            size_bytes: c.size_bytes,
                            sha256: c.sha256,
                            created_at: c.created_at,
                            verified_at: c.verified_at,
                        })
                        .collect(),
                })
                .collect(),
            conversation: d.conversation.into(),
            timeline,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenantDto {
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TenantDto {
    pub id: TenantId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        Self { id: t.id, name: t.name, created_at: t.created_at }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKeyDto {
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct KeyDto {
    pub id: ApiKeyId,
    pub tenant_id: Option<TenantId>,
    pub role: String,
    pub label: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for KeyDto {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            tenant_id: k.tenant_id,
            role: k.role.as_str().to_owned(),
            label: k.label,
            prefix: k.prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new key: the secret is shown here once and never again.
#[derive(Debug, Serialize, Deserialize)]
pub struct IssuedKeyDto {
    pub secret: String,
    #[serde(flatten)]
    pub key: KeyDto,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// A sequence number (admin keys) or a cursor (tenant keys).
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AuditEventDto {
    pub seq: i64,
    pub tenant_id: Option<TenantId>,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        Self {
            seq: e.seq,
            tenant_id: e.tenant_id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        }
    }
}

/// An audit event as a tenant key sees it: no global sequence number.
#[derive(Debug, Serialize)]
pub struct TenantAuditEventDto {
    /// Opaque; `after=<cursor>` pages on from this event.
    pub cursor: String,
    pub tenant_id: Option<TenantId>,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

impl TenantAuditEventDto {
    pub fn new(e: AuditEvent, cursor: String) -> Self {
        Self {
            cursor,
            tenant_id: e.tenant_id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct WorkerDto {
    pub name: String,
    pub state: &'static str,
    pub runs: u64,
    pub errors: u64,
    pub busy_secs: f64,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

impl From<callvault_vault::worker::WorkerInfo> for WorkerDto {
    fn from(w: callvault_vault::worker::WorkerInfo) -> Self {
        Self {
            name: w.name,
            state: w.state.as_str(),
            runs: w.runs,
            errors: w.errors,
            busy_secs: w.busy.as_secs_f64(),
            last_success: w.last_success,
            last_error: w.last_error,
            last_error_at: w.last_error_at,
        }
    }
}
