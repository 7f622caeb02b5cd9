//! The catalog's side of capacity and scrubbing: usage per store and
//! tenant, daily usage samples, scrub passes and what they found.

use callvault_model::{Copy, CopyId, RecordingId, TenantId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

/// What one tenant's copies take on one store (catalog sums).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreUsage {
    pub store: String,
    pub tenant_id: TenantId,
    pub copies: u64,
    pub bytes: u64,
}

/// One day's usage of a store (`tenant_id` None) or of one tenant on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageSample {
    pub store: String,
    pub tenant_id: Option<TenantId>,
    /// The UTC day; a later sample of the same day replaces it.
    pub day: NaiveDate,
    pub used_bytes: u64,
    pub copies: u64,
    pub sampled_at: DateTime<Utc>,
}

/// A copy with its tenant, as the scrubber walks them.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantCopy {
    pub tenant_id: TenantId,
    pub copy: Copy,
}

/// A scrubber's pass over one store: its cursor and its report so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubRun {
    pub id: Uuid,
    pub store: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// None while the pass runs (or was cut short and will resume).
    pub finished_at: Option<DateTime<Utc>>,
    /// The object key of the last copy checked ('' before the first).
    pub cursor: String,
    /// Copies on the store when the pass started.
    pub total_copies: u64,
    pub copies_checked: u64,
    pub bytes_checked: u64,
    pub damaged: u64,
    pub missing: u64,
    pub repaired: u64,
    pub unrepairable: u64,
    /// Time spent reading and repairing, in milliseconds (the rate's
    /// denominator: pauses of the rate limit and between passes excluded).
    pub busy_ms: u64,
}

impl ScrubRun {
    /// A pass over `store` starting at `now`.
    pub fn start(store: &str, total_copies: u64, now: DateTime<Utc>) -> Self {
        let now = crate::catalog_time(now);
        Self {
            id: Uuid::now_v7(),
            store: store.to_owned(),
            started_at: now,
            updated_at: now,
            finished_at: None,
            cursor: String::new(),
            total_copies,
            copies_checked: 0,
            bytes_checked: 0,
            damaged: 0,
            missing: 0,
            repaired: 0,
            unrepairable: 0,
            busy_ms: 0,
        }
    }
}

/// What was wrong with a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScrubProblem {
    /// The store has no object under the copy's key.
    Missing,
    /// The object's size or sha256 is not the copy row's.
    Damaged,
}

impl ScrubProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Damaged => "damaged",
        }
    }
}

/// What became of a copy found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScrubOutcome {
    /// Rewritten from a good copy, read back and verified.
    Repaired,
    /// No good copy of the recording to repair it from (or the repair
    /// failed): an alert is raised.
    Unrepairable,
}

impl ScrubOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repaired => "repaired",
            Self::Unrepairable => "unrepairable",
        }
    }
}

/// One copy a pass found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrubFinding {
    pub run_id: Uuid,
    pub copy_id: CopyId,
    pub tenant_id: TenantId,
    pub recording_id: RecordingId,
    pub store: String,
    pub object_key: String,
    pub problem: ScrubProblem,
    pub outcome: ScrubOutcome,
    /// Why, in words (`size 10 != 12`, `no good copy`).
    pub detail: String,
    pub found_at: DateTime<Utc>,
}
