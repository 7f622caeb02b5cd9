//! What one recording's copies need, decided from the catalog's rows, the
//! policy and the time alone: no I/O, so that `--dry-run` prints exactly
//! what a run does and tests can check every case.
//!
//! A recording belongs on its policy's placement (its `stores`, with the
//! tiered store replaced once the recording is old enough). A placement
//! store without a copy gets one, copied from the best verified copy; a
//! verified copy on a store outside the placement is removed, but only
//! after every placement store holds a verified copy and while at least
//! `copies` verified copies remain besides it (the catalog checks both
//! again, under the recording's lock, when the removal begins).

use callvault_model::{CopyId, RecordingId, TenantId};
use callvault_store::{RecordingCopies, StoragePolicy};
use callvault_vault::stores::{StoreRole, StoreSet};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Why a copy is made or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// A placement store lacks a copy.
    Replicate,
    /// The recording is old enough to move to its tier's store.
    Tier,
    /// The recording went to the fallback store and returns to the primary.
    Return,
    /// A copy on a store the policy no longer names.
    Unplaced,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Replicate => "replicate",
            Reason::Tier => "tier",
            Reason::Return => "return",
            Reason::Unplaced => "unplaced",
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Copy the object from the store `from` to `to`, verified against the
    /// source copy's size and sha256.
    Copy {
        tenant: TenantId,
        recording: RecordingId,
        object_key: String,
        from: String,
        to: String,
        size_bytes: u64,
        sha256: String,
        reason: Reason,
    },
    /// Remove the copy `copy` in `store`, keeping at least `min_remaining`
    /// verified copies, one on each store of `keep_on`.
    Delete {
        tenant: TenantId,
        recording: RecordingId,
        copy: CopyId,
        object_key: String,
        store: String,
        min_remaining: u32,
        keep_on: Vec<String>,
        reason: Reason,
    },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Copy { recording, from, to, size_bytes, reason, .. } => write!(
                f,
                "copy   {recording} {from} -> {to} ({size_bytes} bytes, {})",
                reason.as_str()
            ),
            Action::Delete { recording, store, min_remaining, keep_on, reason, .. } => write!(
                f,
                "delete {recording} {store} ({}; once {} verified on {})",
                reason.as_str(),
                min_remaining,
                keep_on.join(",")
            ),
        }
    }
}

/// A recording's state and what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Copies first, then deletions.
    pub actions: Vec<Action>,
    /// Verified copies not being deleted, in configured stores.
    pub verified: u32,
    /// The policy's minimum.
    pub required: u32,
    /// Whether a verified copy is on the fallback store.
    pub on_fallback: bool,
}

impl Assessment {
    pub fn under_replicated(&self) -> bool {
        self.verified < self.required
    }
}

/// Plan one recording.
pub fn plan(
    rc: &RecordingCopies,
    policy: &StoragePolicy,
    stores: &StoreSet,
    now: DateTime<Utc>,
) -> Assessment {
    let rec = &rc.recording;
    let placement: Vec<String> = policy
        .placement(rec.started_at, now)
        .into_iter()
        .filter(|s| stores.get(s).is_some())
        .collect();
    let tiered = policy.tier.as_ref().filter(|t| placement.contains(&t.to));
    let readable = stores.readable(&rc.copies);
    let verified = u32::try_from(readable.len()).unwrap_or(u32::MAX);
    let on_fallback =
        readable.iter().any(|c| stores.role(&c.copy.store) == Some(StoreRole::Fallback));
    let mut actions = Vec::new();
    let Some(source) = readable.first() else {
        // Nothing verified to copy from: only an operator (or the scrubber)
        // can help; the recording counts as under-replicated.
        return Assessment { actions, verified, required: policy.copies, on_fallback };
    };
    for store in &placement {
        // Any row on the store (even unverified, or being deleted) means a
        // copy there is in some state another step must settle first.
        if rc.copies.iter().any(|c| c.copy.store == *store) {
            continue;
        }
        let reason = if tiered.is_some_and(|t| t.to == *store) {
            Reason::Tier
        } else if on_fallback && stores.role(store) == Some(StoreRole::Primary) {
            Reason::Return
        } else {
            Reason::Replicate
        };
        actions.push(Action::Copy {
            tenant: rec.tenant_id,
            recording: rec.id,
            object_key: source.copy.object_key.clone(),
            from: source.copy.store.clone(),
            to: store.clone(),
            size_bytes: source.copy.size_bytes,
            sha256: source.copy.sha256.clone(),
            reason,
        });
    }
    for copy in &readable {
        if placement.contains(&copy.copy.store) {
            continue;
        }
        let reason = if policy.tier.as_ref().is_some_and(|t| t.from == copy.copy.store) {
            Reason::Tier
        } else if stores.role(&copy.copy.store) == Some(StoreRole::Fallback) {
            Reason::Return
        } else {
            Reason::Unplaced
        };
        actions.push(Action::Delete {
            tenant: rec.tenant_id,
            recording: rec.id,
            copy: copy.copy.id,
            object_key: copy.copy.object_key.clone(),
            store: copy.copy.store.clone(),
            min_remaining: policy.copies,
            keep_on: placement.clone(),
            reason,
        });
    }
    Assessment { actions, verified, required: policy.copies, on_fallback }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::*;
    use callvault_store::{BlobStore, StoreConfig, StoredCopy, TierRule};
    use chrono::TimeZone;
    use std::sync::Arc;

    fn store(dir: &std::path::Path, name: &str) -> Arc<BlobStore> {
        Arc::new(
            BlobStore::open(&StoreConfig {
                name: name.into(),
                url: format!("file://{}", dir.join(name).display()),
                options: Default::default(),
                staging_dir: dir.join("staging"),
            })
            .unwrap(),
        )
    }

    fn world() -> (tempfile::TempDir, StoreSet) {
        let dir = tempfile::tempdir().unwrap();
        let set = StoreSet::from_stores(
            store(dir.path(), "primary"),
            vec![
                (StoreRole::Replica, store(dir.path(), "offsite")),
                (StoreRole::Archive, store(dir.path(), "archive")),
                (StoreRole::Fallback, store(dir.path(), "fallback")),
            ],
        );
        (dir, set)
    }

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn rec(copies: &[(&str, bool, bool)]) -> RecordingCopies {
        let id = RecordingId::new();
        let tenant = TenantId(uuid::Uuid::nil());
        let recording = Recording {
            id,
            tenant_id: tenant,
            conversation_id: ConversationId(uuid::Uuid::nil()),
            participant_id: None,
            source: RecordingSource::Upload,
            format: AudioFormat::Wav,
            channels: 1,
            sample_rate: 8000,
            duration_ms: 1000,
            size_bytes: 100,
            sha256: "ab".repeat(32),
            started_at: start(),
            ended_at: start(),
            object_key: "tenants/x/k.wav".into(),
            flags: vec![],
            created_at: start(),
        };
        let copies = copies
            .iter()
            .map(|(store, verified, deleting)| StoredCopy {
                copy: Copy {
                    id: CopyId::new(),
                    recording_id: id,
                    store: (*store).into(),
                    object_key: "tenants/x/k.wav".into(),
                    size_bytes: 100,
                    sha256: "ab".repeat(32),
                    created_at: start(),
                    verified_at: verified.then(start),
                },
                tenant_id: tenant,
                deleting_at: deleting.then(start),
            })
            .collect();
        RecordingCopies { recording, copies }
    }

    fn kinds(a: &Assessment) -> Vec<String> {
        a.actions
            .iter()
            .map(|a| match a {
                Action::Copy { from, to, reason, .. } => {
                    format!("copy {from}->{to} {}", reason.as_str())
                }
                Action::Delete { store, reason, .. } => {
                    format!("delete {store} {}", reason.as_str())
                }
            })
            .collect()
    }

    #[test]
    fn plans_follow_policy_age_and_existing_copies() {
        let (_dir, stores) = world();
        let two = StoragePolicy {
            copies: 2,
            stores: vec!["primary".into(), "offsite".into()],
            tier: Some(TierRule { after_days: 30, from: "primary".into(), to: "archive".into() }),
            alert_after_secs: 60,
        };
        let young = start() + chrono::Duration::days(1);
        let old = start() + chrono::Duration::days(31);
        let check = |copies: &[(&str, bool, bool)], now, want: &[&str], verified| {
            let a = plan(&rec(copies), &two, &stores, now);
            assert_eq!(kinds(&a), want, "{copies:?}");
            assert_eq!(a.verified, verified, "{copies:?}");
        };
        // Fresh upload: replicate to the second store.
        check(&[("primary", true, false)], young, &["copy primary->offsite replicate"], 1);
        // Done.
        check(&[("primary", true, false), ("offsite", true, false)], young, &[], 2);
        // Old: move to the archive, then drop the primary copy.
        check(
            &[("primary", true, false), ("offsite", true, false)],
            old,
            &["copy primary->archive tier", "delete primary tier"],
            2,
        );
        // Spilled: return to the primary, replicate, drop the fallback copy.
        check(
            &[("fallback", true, false)],
            young,
            &[
                "copy fallback->primary return",
                "copy fallback->offsite replicate",
                "delete fallback return",
            ],
            1,
        );
        // A copy being deleted neither counts nor is copied over.
        check(&[("primary", true, false), ("offsite", true, true)], young, &[], 1);
        // Unverified copies are no source.
        check(&[("primary", false, false)], young, &[], 0);
        // The archive copy is read first only after the others.
        let r = rec(&[("archive", true, false), ("offsite", true, false)]);
        assert_eq!(stores.readable(&r.copies)[0].copy.store, "offsite");
    }
}
