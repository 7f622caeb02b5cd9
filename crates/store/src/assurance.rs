//! Assurance's side of the catalog: the call register (calls that happened,
//! from sources other than the recorder's own output) and the findings of
//! their reconciliation against recordings, copies and deliveries.
//!
//! The catalog stores and reads; deciding what a call lacks is the
//! `assurance` crate's. A reconciliation pass reads a batch of due calls
//! ([`Catalog::calls_due`]), the candidates and facts it needs, and writes
//! its verdicts back in one transaction per batch
//! ([`Catalog::record_call_checks`]).
//!
//! [`Catalog`]: crate::Catalog
//! [`Catalog::calls_due`]: crate::Catalog::calls_due
//! [`Catalog::record_call_checks`]: crate::Catalog::record_call_checks

use callvault_model::{ConversationId, RecordingId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::catalog::{CatalogError, Result};

/// The kinds of finding, as stored.
pub const FINDING_KINDS: &[&str] =
    &["missing", "incomplete", "under_replicated", "undelivered", "orphan_recording"];

/// The alert kind assurance raises for findings.
pub const ALERT_ASSURANCE_FINDING: &str = "assurance_finding";
/// The alert kind of the daily completeness report.
pub const ALERT_ASSURANCE_DAILY: &str = "assurance_daily";

/// One id a call carries (`sip_call_id`, `asterisk_linkedid`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallRef {
    pub kind: String,
    pub value: String,
}

/// A call to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    /// `cdr:<format>`, `capture` or `siprec`.
    pub source: String,
    /// Unique per tenant and source: registering the same key again changes
    /// nothing (idempotent imports).
    pub leg_key: String,
    pub ids: Vec<CallRef>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: DateTime<Utc>,
    /// None: the call was never answered (it is registered, never checked).
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub talk_secs: u64,
    /// `answered`, `no_answer`, `busy`, `failed`, `unknown`.
    pub disposition: String,
    /// The conversation the source already knows it made (capture, SIPREC).
    pub conversation_id: Option<ConversationId>,
    /// Why the source got no audio of the call, when it knows.
    pub no_audio_reason: Option<String>,
    /// When to check it first (after it settled); None: never (unanswered).
    pub check_at: Option<DateTime<Utc>>,
}

/// A registered call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub source: String,
    pub leg_key: String,
    pub ids: Vec<CallRef>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub caller_tail: Option<String>,
    pub callee_tail: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub talk_secs: u64,
    pub disposition: String,
    pub conversation_id: Option<ConversationId>,
    pub no_audio_reason: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallImport {
    /// Calls registered now.
    pub inserted: u64,
    /// Calls already registered (same source and leg key): unchanged.
    pub existing: u64,
}

/// Conversations a batch of calls may match, by id and by number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchCandidates {
    /// `(kind, value, conversation)` of external ids whose value was asked.
    pub by_id: Vec<(String, String, ConversationId)>,
    /// `(number tail, conversation, conversation start)`.
    pub by_number: Vec<(String, ConversationId, DateTime<Utc>)>,
}

/// A recording as reconciliation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingFacts {
    pub id: RecordingId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub flags: Vec<String>,
    pub source: String,
    /// Copies whose object was read back and checked.
    pub verified_copies: u32,
}

/// An event of a conversation that matters to reconciliation
/// (`media_gap`, `no_media`).
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub detail: Value,
}

/// A delivery of a conversation as reconciliation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFacts {
    pub destination_id: Uuid,
    pub destination: String,
    pub destination_kind: String,
    pub event: String,
    pub state: String,
    pub last_error: Option<String>,
    pub attempts: u32,
    /// Its age counts from here ...
    pub age_from: DateTime<Utc>,
    /// ... and it is retried for this many seconds.
    pub max_age_secs: u64,
    pub updated_at: DateTime<Utc>,
}

/// Everything reconciliation reads about one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationFacts {
    pub conversation_id: ConversationId,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub recordings: Vec<RecordingFacts>,
    pub events: Vec<EventFacts>,
    pub deliveries: Vec<DeliveryFacts>,
}

/// A finding to hold open (or keep open) for a subject.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// One of [`FINDING_KINDS`].
    pub kind: String,
    pub reason: String,
    /// A JSON object.
    pub detail: Value,
}

/// The verdict of one check of one call, written with
/// [`Catalog::record_call_checks`](crate::Catalog::record_call_checks).
#[derive(Debug, Clone, PartialEq)]
pub struct CallCheck {
    pub tenant_id: TenantId,
    pub call_id: Uuid,
    pub conversation_id: Option<ConversationId>,
    /// Whether a recording covers the talk time.
    pub recorded: bool,
    /// Whether its recordings have their required verified copies.
    pub copies: bool,
    /// Whether every destination has it (or is still within its retry
    /// window: then `delivered` is false and the call is checked again).
    pub delivered: bool,
    /// What the call lacks now: each opens a finding or keeps it open.
    pub findings: Vec<NewFinding>,
    /// For each kind the call does *not* lack now, why (the resolution of
    /// an open finding of that kind).
    pub resolutions: Vec<(String, String)>,
    /// When to check it again; None: it is settled.
    pub next_check_at: Option<DateTime<Utc>>,
}

/// A conversation with recordings and no call, in a tenant that imports
/// CDRs.
#[derive(Debug, Clone, PartialEq)]
pub struct OrphanCandidate {
    pub conversation_id: ConversationId,
    pub recording_id: RecordingId,
    pub started_at: DateTime<Utc>,
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub call_id: Option<Uuid>,
    pub recording_id: Option<RecordingId>,
    pub conversation_id: Option<ConversationId>,
    pub kind: String,
    pub reason: String,
    pub detail: Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

/// A position in the findings listing (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingCursor {
    pub first_seen: DateTime<Utc>,
    pub id: Uuid,
}

/// Filters of [`Catalog::list_findings`](crate::Catalog::list_findings).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FindingQuery {
    /// Findings first seen at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Findings first seen before this instant.
    pub until: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub open_only: bool,
    pub after: Option<FindingCursor>,
    pub limit: u32,
}

/// Calls and how many of them are complete, over a window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssuranceSummary {
    /// Answered calls in the window.
    pub calls: u64,
    /// Of those, checked so far.
    pub checked: u64,
    /// Checked calls with a recording covering their talk time.
    pub recorded: u64,
    /// Checked calls whose recordings have their required copies.
    pub copies: u64,
    /// Checked calls delivered to every destination.
    pub delivered: u64,
    /// Open findings of the window's calls and recordings, by kind.
    pub open_findings: Vec<(String, u64)>,
}

/// Checks of a call to register.
pub(crate) fn validate_new_call(c: &NewCall) -> Result<()> {
    let invalid = |reason: &str| CatalogError::Invalid { what: "call", reason: reason.into() };
    let source_ok = c.source == "capture"
        || c.source == "siprec"
        || c.source.strip_prefix("cdr:").is_some_and(|f| {
            !f.is_empty() && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
    if !source_ok {
        return Err(invalid("source must be capture, siprec or cdr:<format>"));
    }
    if c.leg_key.is_empty() || c.leg_key.len() > 256 {
        return Err(invalid("the leg key must have 1 to 256 characters"));
    }
    if c.ended_at < c.started_at {
        return Err(invalid("ends before it starts"));
    }
    if c.answered_at.is_some_and(|a| a < c.started_at || a > c.ended_at) {
        return Err(invalid("answered outside its start and end"));
    }
    if c.ids.iter().any(|i| i.kind.is_empty() || i.value.is_empty()) {
        return Err(invalid("ids need a kind and a value"));
    }
    Ok(())
}

/// Checks of a finding.
pub(crate) fn validate_finding(f: &NewFinding) -> Result<()> {
    if !FINDING_KINDS.contains(&f.kind.as_str()) {
        return Err(CatalogError::Invalid {
            what: "finding",
            reason: format!("unknown kind {:?}", f.kind),
        });
    }
    if !f.detail.is_object() {
        return Err(CatalogError::Invalid {
            what: "finding",
            reason: "detail must be a JSON object".into(),
        });
    }
    Ok(())
}
