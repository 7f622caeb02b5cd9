//! Retention rules, legal holds and the trash: the catalog's side of
//! deleting recordings (issue 14, item 4).
//!
//! A deletion is never immediate. Retention runs and manual deletions move
//! recordings to the **trash** (hidden from search, downloads and
//! deliveries, restorable), each with what trashed it and an audit entry in
//! the same transaction. After the grace period the purge removes the
//! objects of every copy and then the rows, in three steps through the
//! catalog ([`Catalog::begin_purge`](crate::Catalog::begin_purge), one
//! [`Catalog::remove_purged_copy`](crate::Catalog::remove_purged_copy) per
//! copy after its object is deleted,
//! [`Catalog::finish_purge`](crate::Catalog::finish_purge)), so that a crash
//! at any point resumes. A **legal hold** in force blocks all of it: the
//! catalog re-checks holds inside every transaction that trashes or purges.

use callvault_model::{ConversationId, Copy, Direction, RecordingId, RecordingSource, TenantId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::catalog::{CatalogError, Result, number_tail};

/// A rule: recordings whose call started more than `days` days ago and that
/// match every filter set are trashed by the retention run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionRule {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub days: u32,
    pub direction: Option<Direction>,
    /// Digits a number of the call starts with (the full number's digits or
    /// its last 10).
    pub number_prefix: Option<String>,
    pub source: Option<RecordingSource>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A rule to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRetentionRule {
    pub tenant_id: TenantId,
    pub days: u32,
    pub direction: Option<Direction>,
    pub number_prefix: Option<String>,
    pub source: Option<RecordingSource>,
}

impl NewRetentionRule {
    /// Checks before anything is written: 1 to 36,500 days, a number prefix
    /// of 1 to 15 digits (other characters are dropped: `+7 495` is `7495`).
    pub fn validate(mut self) -> Result<Self> {
        if self.days == 0 || self.days > 36_500 {
            return Err(CatalogError::Invalid {
                what: "retention rule",
                reason: "days must be 1 to 36500".into(),
            });
        }
        if let Some(p) = &self.number_prefix {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            if digits.is_empty() || digits.len() > 15 {
                return Err(CatalogError::Invalid {
                    what: "retention rule",
                    reason: "the number prefix must have 1 to 15 digits".into(),
                });
            }
            self.number_prefix = Some(digits);
        }
        Ok(self)
    }
}

/// What a legal hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "lowercase")]
pub enum HoldScope {
    /// Every recording of the tenant.
    Tenant,
    /// One conversation's recordings.
    Conversation { conversation_id: ConversationId },
    /// Every conversation on which this number appears, by its last 10
    /// digits ([`number_tail`]).
    Number { number_tail: String },
}

impl HoldScope {
    /// A number hold from a number in any notation.
    pub fn number(number: &str) -> Result<Self> {
        number_tail(number).map(|number_tail| HoldScope::Number { number_tail }).ok_or_else(|| {
            CatalogError::Invalid { what: "hold", reason: "the number has no digits".into() }
        })
    }

    /// The value of the `scope` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            HoldScope::Tenant => "tenant",
            HoldScope::Conversation { .. } => "conversation",
            HoldScope::Number { .. } => "number",
        }
    }
}

/// A legal hold, in force while `released_at` is None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalHold {
    pub id: Uuid,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub scope: HoldScope,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by: Option<String>,
}

/// A hold to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub tenant_id: TenantId,
    pub scope: HoldScope,
    /// Why (a case number, a request): 1 to 1000 characters.
    pub reason: String,
}

/// A live recording old enough for some rule of its tenant and under no
/// hold, with what the rules filter on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionCandidate {
    pub id: RecordingId,
    pub conversation_id: ConversationId,
    pub started_at: DateTime<Utc>,
    pub source: RecordingSource,
    pub size_bytes: u64,
    pub direction: Direction,
    pub external_number: Option<String>,
    pub company_number: Option<String>,
}

/// Who or what moved recordings to the trash, as the audit log and the
/// trash listing name it: `rule:<id>`, `key:<id>`, `cli`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashCause {
    /// `rule:<uuid>` for a retention rule, `key:<uuid>` for an API key,
    /// `cli` for the command line.
    pub by: String,
    /// The actor written to the audit log.
    pub actor: String,
}

/// What a request to trash recordings did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrashOutcome {
    /// Moved to the trash now.
    pub trashed: Vec<RecordingId>,
    /// Left alone: under a legal hold.
    pub held: Vec<RecordingId>,
}

/// A recording in the trash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrashedRecording {
    pub recording_id: RecordingId,
    pub tenant_id: TenantId,
    pub conversation_id: ConversationId,
    pub size_bytes: u64,
    pub sha256: String,
    pub started_at: DateTime<Utc>,
    pub trashed_at: DateTime<Utc>,
    pub trashed_by: String,
    /// The purge has begun deleting its objects: it can no longer be
    /// restored.
    pub purging: bool,
    /// A legal hold placed after it was trashed keeps it from the purge.
    pub held: bool,
}

/// What [`Catalog::begin_purge`](crate::Catalog::begin_purge) found.
#[derive(Debug, Clone, PartialEq)]
pub enum PurgeStart {
    /// Marked as purging (or it already was): delete these copies' objects,
    /// then their rows, then finish.
    Purge { tenant_id: TenantId, copies: Vec<Copy> },
    /// Under a legal hold: left in the trash.
    Held,
    /// Not in the trash (restored meanwhile) or gone (purged already).
    NotTrashed,
}

/// The trash and the holds of one tenant, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrashStats {
    pub tenant_id: TenantId,
    pub trashed_recordings: u64,
    pub trashed_bytes: u64,
    pub holds_in_force: u64,
}
