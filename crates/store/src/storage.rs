//! The catalog's side of the storage lifecycle: copy rows as the jobs see
//! them (with their deletion state), and each tenant's storage policy.
//!
//! A copy row's `size_bytes` and `sha256` describe the bytes stored in its
//! store (for an encrypted recording, the ciphertext), and every copy of a
//! recording has the recording's `object_key` in its store. A copy is
//! removed in two phases ([`crate::Catalog::begin_copy_delete`], then the
//! object, then [`crate::Catalog::finish_copy_delete`]), so that a crash
//! anywhere leaves a state the next run completes.

use callvault_model::{Copy, Recording, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{CatalogError, Result};

/// A copy row with what only the storage jobs care about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCopy {
    #[serde(flatten)]
    pub copy: Copy,
    pub tenant_id: TenantId,
    /// Set once the copy is being removed: reads never choose it, and it
    /// no longer counts towards a recording's verified copies.
    pub deleting_at: Option<DateTime<Utc>>,
}

impl StoredCopy {
    /// Verified and not being removed: a copy that counts.
    pub fn counts(&self) -> bool {
        self.copy.verified_at.is_some() && self.deleting_at.is_none()
    }
}

/// A recording with all its copy rows, as a storage pass reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingCopies {
    pub recording: Recording,
    pub copies: Vec<StoredCopy>,
}

/// A copy written and verified by a storage job, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCopy {
    pub tenant_id: TenantId,
    pub recording_id: callvault_model::RecordingId,
    pub store: String,
    pub object_key: String,
    /// Of the stored bytes, as read back.
    pub size_bytes: u64,
    pub sha256: String,
    /// Why it was made (`replicate`, `tier`, `return`), for the audit log.
    pub reason: String,
    /// The process instance whose pending-object row names the object: the
    /// copy is recorded only while that row is still there (recovery has
    /// not taken the object for an abandoned one).
    pub owner: String,
}

/// Moving a recording's copy from one store to another after some days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    /// Days of call time (from the recording's start).
    pub after_days: u32,
    /// The store whose copy moves (usually `primary`).
    pub from: String,
    /// The store it moves to (usually an archive).
    pub to: String,
}

/// How a tenant's recordings are kept. Fields left out take their
/// defaults: one copy, on the primary, no tiering, an alert after an hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoragePolicy {
    /// Verified copies a recording must have at every moment; no copy is
    /// ever removed that would leave fewer.
    pub copies: u32,
    /// The stores a copy is placed on, in preference order (reads prefer
    /// the first). Replication makes a copy on each.
    pub stores: Vec<String>,
    /// Tiering, if any.
    pub tier: Option<TierRule>,
    /// How long a recording may have fewer than `copies` verified copies
    /// before an `under_replicated` alert is raised.
    pub alert_after_secs: u64,
}

impl Default for StoragePolicy {
    fn default() -> Self {
        Self { copies: 1, stores: vec!["primary".into()], tier: None, alert_after_secs: 3600 }
    }
}

impl StoragePolicy {
    /// Checks that need no knowledge of the configured stores.
    pub fn validate(&self) -> Result<()> {
        let invalid = |reason: String| CatalogError::Invalid { what: "storage policy", reason };
        if self.copies == 0 {
            return Err(invalid("copies must be at least 1".into()));
        }
        if self.stores.is_empty() {
            return Err(invalid("stores must name at least one store".into()));
        }
        let mut names = self.stores.clone();
        names.sort();
        names.dedup();
        if names.len() != self.stores.len() {
            return Err(invalid("stores names a store twice".into()));
        }
        if self.stores.iter().any(|s| !valid_store_name(s)) {
            return Err(invalid("store names are 1-64 characters of a-z, 0-9, '-', '_'".into()));
        }
        if usize::try_from(self.copies).unwrap_or(usize::MAX) > self.stores.len() {
            return Err(invalid(format!(
                "copies ({}) exceeds the number of stores ({})",
                self.copies,
                self.stores.len()
            )));
        }
        if let Some(tier) = &self.tier {
            if !self.stores.contains(&tier.from) {
                return Err(invalid(format!("tier.from {:?} is not one of stores", tier.from)));
            }
            if self.stores.contains(&tier.to) {
                return Err(invalid(format!("tier.to {:?} already holds a copy", tier.to)));
            }
            if !valid_store_name(&tier.to) {
                return Err(invalid("tier.to is not a store name".into()));
            }
        }
        Ok(())
    }

    /// The stores a recording that started at `started_at` belongs on at
    /// `now`: `stores`, with the tier's `from` replaced by `to` once the
    /// recording is old enough.
    pub fn placement(&self, started_at: DateTime<Utc>, now: DateTime<Utc>) -> Vec<String> {
        match &self.tier {
            Some(tier) if self.tiered(tier, started_at, now) => self
                .stores
                .iter()
                .map(|s| if *s == tier.from { tier.to.clone() } else { s.clone() })
                .collect(),
            _ => self.stores.clone(),
        }
    }

    fn tiered(&self, tier: &TierRule, started_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now.signed_duration_since(started_at) >= chrono::Duration::days(i64::from(tier.after_days))
    }
}

/// Store names as configuration and policies use them.
pub fn valid_store_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn placement_moves_the_tiered_copy_once_old_enough() {
        let policy = StoragePolicy {
            copies: 2,
            stores: vec!["primary".into(), "offsite".into()],
            tier: Some(TierRule { after_days: 30, from: "primary".into(), to: "archive".into() }),
            alert_after_secs: 60,
        };
        policy.validate().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let young = start + chrono::Duration::days(29);
        let old = start + chrono::Duration::days(30);
        assert_eq!(policy.placement(start, young), ["primary", "offsite"]);
        assert_eq!(policy.placement(start, old), ["archive", "offsite"]);
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        let base = StoragePolicy::default();
        let cases = [
            (StoragePolicy { copies: 0, ..base.clone() }, "at least 1"),
            (StoragePolicy { copies: 2, ..base.clone() }, "exceeds"),
            (StoragePolicy { stores: vec![], ..base.clone() }, "at least one store"),
            (StoragePolicy { stores: vec!["a".into(), "a".into()], ..base.clone() }, "twice"),
            (StoragePolicy { stores: vec!["A B".into()], ..base.clone() }, "store names"),
            (
                StoragePolicy {
                    tier: Some(TierRule { after_days: 1, from: "x".into(), to: "y".into() }),
                    ..base.clone()
                },
                "tier.from",
            ),
            (
                StoragePolicy {
                    tier: Some(TierRule {
                        after_days: 1,
                        from: "primary".into(),
                        to: "primary".into(),
                    }),
                    ..base.clone()
                },
                "tier.to",
            ),
        ];
        for (policy, want) in cases {
            let err = policy.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{err} should mention {want}");
        }
    }
}
