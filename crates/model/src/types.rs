use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::*;

/// A customer organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Unique, human-chosen name (`acme`), used by the CLI.
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Which way the call went, seen from the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
    Unknown,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
            Direction::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "inbound" | "in" | "incoming" => Ok(Direction::Inbound),
            "outbound" | "out" | "outgoing" => Ok(Direction::Outbound),
            "internal" => Ok(Direction::Internal),
            "unknown" | "" => Ok(Direction::Unknown),
            _ => Err(ParseEnumError { kind: "direction", value: s.to_owned() }),
        }
    }
}

/// The side of the conversation a participant is on. A stereo recording puts
/// the external side on the left channel and the company side on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The caller or callee outside the company.
    External,
    /// Anyone on the company's side: secretary, colleague, IVR, queue.
    Company,
    Unknown,
}

impl Side {
    /// The side a recording puts this party on: a party not known to be
    /// external is the company's (the right channel).
    pub fn external_or_company(self) -> Side {
        if self == Side::External { Side::External } else { Side::Company }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::External => "external",
            Side::Company => "company",
            Side::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for Side {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "external" => Ok(Side::External),
            "company" | "internal" => Ok(Side::Company),
            "unknown" | "" => Ok(Side::Unknown),
            _ => Err(ParseEnumError { kind: "side", value: s.to_owned() }),
        }
    }
}

/// A value that does not name a variant of one of the model's enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct ParseEnumError {
    pub kind: &'static str,
    pub value: String,
}

/// An identifier that some other system gave to (part of) a conversation.
/// Conversations are found and merged by these keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExternalId {
    /// `sip_call_id`, `asterisk_linkedid`, `asterisk_uniqueid`,
    /// `siprec_session`, `siprec_group`, `cisco_guid`, `import`, ...
    pub kind: String,
    pub value: String,
}

impl ExternalId {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Self { kind: kind.into(), value: value.into() }
    }
}

/// External id kinds that identify a whole conversation (as opposed to one
/// leg of it): uploads sharing one of these belong to the same conversation.
pub const CONVERSATION_KEY_KINDS: &[&str] =
    &["asterisk_linkedid", "siprec_group", "cisco_guid", "conversation_key"];

/// One call from first answer to last hang-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub tenant_id: TenantId,
    pub direction: Direction,
    /// The external party's number as signalled (E.164 where known).
    pub external_number: Option<String>,
    /// The company-side number or extension first reached.
    pub company_number: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub external_ids: Vec<ExternalId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Someone on the call, with the time they were on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub conversation_id: ConversationId,
    pub side: Side,
    /// Number, extension or SIP URI user part.
    pub address: Option<String>,
    pub display_name: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// The container/codec of a stored recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    Wav,
    Mp3,
    Opus,
    Flac,
}

impl AudioFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Opus => "opus",
            AudioFormat::Flac => "flac",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Opus => "audio/ogg; codecs=opus",
            AudioFormat::Flac => "audio/flac",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Opus => "opus",
            AudioFormat::Flac => "flac",
        }
    }
}

impl std::str::FromStr for AudioFormat {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wav" => Ok(AudioFormat::Wav),
            "mp3" => Ok(AudioFormat::Mp3),
            "opus" | "ogg" => Ok(AudioFormat::Opus),
            "flac" => Ok(AudioFormat::Flac),
            _ => Err(ParseEnumError { kind: "audio format", value: s.to_owned() }),
        }
    }
}

/// How a recording came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingSource {
    /// Uploaded through the API (a PBX hook, a script).
    Upload,
    /// Bulk-imported from an existing archive.
    Import,
    /// Rendered by callvault's own media engine from captured RTP.
    Capture,
    /// Rendered from a SIPREC session.
    Siprec,
}

impl RecordingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingSource::Upload => "upload",
            RecordingSource::Import => "import",
            RecordingSource::Capture => "capture",
            RecordingSource::Siprec => "siprec",
        }
    }
}

impl std::str::FromStr for RecordingSource {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "upload" => Ok(RecordingSource::Upload),
            "import" => Ok(RecordingSource::Import),
            "capture" => Ok(RecordingSource::Capture),
            "siprec" => Ok(RecordingSource::Siprec),
            _ => Err(ParseEnumError { kind: "recording source", value: s.to_owned() }),
        }
    }
}

/// One audio object of a conversation. A recording row exists only once its
/// object is durably stored and its sha256 verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub id: RecordingId,
    pub tenant_id: TenantId,
    pub conversation_id: ConversationId,
    pub participant_id: Option<ParticipantId>,
    pub source: RecordingSource,
    pub format: AudioFormat,
    pub channels: u16,
    pub sample_rate: u32,
    pub duration_ms: u64,
    pub size_bytes: u64,
    /// Lowercase hex sha256 of the stored object.
    pub sha256: String,
    /// The wall-clock span the audio covers.
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// The object key in the primary store.
    pub object_key: String,
    /// Set when the recording is incomplete (e.g. cut by a crash).
    pub flags: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A stored copy of a recording's object in one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Copy {
    pub id: CopyId,
    pub recording_id: RecordingId,
    /// The configured name of the store (`primary`, `offsite`, ...).
    pub store: String,
    pub object_key: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// An entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub tenant_id: Option<TenantId>,
    pub at: DateTime<Utc>,
    /// Who did it: `api_key:<id>`, `cli`, `system`.
    pub actor: String,
    /// What happened: `tenant.created`, `recording.stored`, ...
    pub action: String,
    /// The kind and id of the subject.
    pub subject: String,
    pub detail: serde_json::Value,
}
