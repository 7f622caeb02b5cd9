//! The scrubber against two real stores: a local primary and moto's S3
//! server (`CV_TEST_S3_ENDPOINT`), each recording with a copy on both.
//! One copy's bytes corrupted and another's object deleted behind the
//! vault's back are found and repaired from the good copy; a recording
//! whose every copy is bad is reported unrepairable with an alert; a pass
//! cut short resumes from its saved cursor.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use callvault_model::{Recording, RecordingSource, TenantId};
use callvault_storage::scrub::{ALERT_UNREPAIRABLE, ScrubConfig, Scrubber};
use callvault_store::{
    AlertScope, BlobStore, NewCopy, PendingObject, ScrubOutcome, ScrubProblem, StoreConfig,
};
use callvault_vault::ingest::{IngestRequest, RecordingMetadata};
use callvault_vault::stores::{NamedStore, StoreRole};
use callvault_vault::{Vault, VaultConfig};
use chrono::Utc;
use futures::StreamExt;

mod common;
use common::{s3_store, wav};

struct World {
    _dir: tempfile::TempDir,
    vault: Vault,
    offsite: Arc<BlobStore>,
    tenant: TenantId,
    recordings: Vec<Recording>,
}

/// A vault with a local primary, an S3 store `offsite`, and `n`
/// recordings with a verified copy on each.
async fn world(n: u64) -> Option<World> {
    let dir = tempfile::tempdir().unwrap();
    let offsite_config = s3_store("offsite", &dir.path().join("staging-offsite")).await?;
    let config = VaultConfig {
        data_dir: dir.path().to_owned(),
        catalog_url: format!("sqlite://{}", dir.path().join("catalog.db").display()),
        catalog_max_connections: 4,
        store: StoreConfig {
            name: "primary".into(),
            url: format!("file://{}", dir.path().join("objects").display()),
            options: Default::default(),
            staging_dir: dir.path().join("staging"),
        },
        max_concurrent_commits: 4,
        max_upload_bytes: 1 << 30,
        recovery_grace: Duration::from_secs(60),
        settle: Default::default(),
        disk: Default::default(),
        encryption: Default::default(),
        stores: vec![NamedStore { config: offsite_config, role: StoreRole::Replica }],
    };
    let vault = Vault::open(config).await.unwrap();
    vault.recover().await.unwrap();
    let offsite = vault.stores.get("offsite").unwrap().clone();
    let tenant = vault.catalog.create_tenant("acme", "test").await.unwrap().id;
    let mut recordings = Vec::new();
    for i in 0..n {
        let metadata =
            RecordingMetadata { linkedid: Some(format!("call-{i}")), ..Default::default() };
        let req = IngestRequest {
            tenant,
            description: metadata.describe().unwrap(),
            idempotency_key: None,
            source: RecordingSource::Upload,
            actor: "test".into(),
            flags: Vec::new(),
        };
        let audio = Bytes::from(wav(3000 + i as usize * 10, i));
        let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(audio.clone())]);
        let rec = vault.ingestor().ingest(req, body).await.unwrap().recording().clone();
        // The second copy, made as replication makes it: named in the
        // catalog first, written create-only, verified, recorded.
        vault
            .catalog
            .add_pending_object(&PendingObject {
                store: "offsite".into(),
                object_key: rec.object_key.clone(),
                owner: vault.instance.id().to_owned(),
                tenant_id: tenant,
                created_at: Utc::now(),
            })
            .await
            .unwrap();
        let mut staging = offsite.stage(vault.instance.id()).unwrap();
        staging.write(&audio).unwrap();
        offsite.commit(staging.finish().unwrap(), &rec.object_key).await.unwrap();
        vault
            .catalog
            .add_copy(
                NewCopy {
                    tenant_id: tenant,
                    recording_id: rec.id,
                    store: "offsite".into(),
                    object_key: rec.object_key.clone(),
                    size_bytes: rec.size_bytes,
                    sha256: rec.sha256.clone(),
                    reason: "replicate".into(),
                    owner: vault.instance.id().to_owned(),
                },
                "test",
                Utc::now(),
            )
            .await
            .unwrap();
        recordings.push(rec);
    }
    Some(World { _dir: dir, vault, offsite, tenant, recordings })
}

impl World {
    fn scrubber(&self, batch: u32) -> Scrubber {
        Scrubber {
            catalog: self.vault.catalog.clone(),
            stores: callvault_storage::stores_of(&self.vault),
            metrics: self.vault.metrics.clone(),
            config: ScrubConfig { rate_bytes_per_sec: 0, batch, ..ScrubConfig::default() },
            owner: self.vault.instance.id().to_owned(),
        }
    }

    fn local_path(&self, key: &str) -> std::path::PathBuf {
        self.vault.store.local_root().unwrap().join(key)
    }

    /// Whether `store` holds the recording's bytes exactly.
    async fn holds(&self, store: &BlobStore, rec: &Recording) -> bool {
        store.verify(&rec.object_key, &rec.sha256, rec.size_bytes).await.is_ok()
    }
}

/// Flips bytes in the middle of a local object, keeping its size.
fn corrupt(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b ^= 0xff;
    }
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_and_a_deleted_copy_are_found_and_repaired() {
    let Some(w) = world(4).await else { return };
    let (damaged, deleted) = (&w.recordings[0], &w.recordings[1]);
    // Behind the vault's back: bytes flipped on the local disk, an object
    // removed from the bucket.
    corrupt(&w.local_path(&damaged.object_key));
    w.offsite.delete(&deleted.object_key).await.unwrap();
    assert!(!w.holds(&w.vault.store, damaged).await);
    assert!(!w.holds(&w.offsite, deleted).await);

    let s = w.scrubber(100);
    let primary = s.run_pass("primary").await.unwrap();
    assert_eq!(
        (
            primary.copies_checked,
            primary.damaged,
            primary.missing,
            primary.repaired,
            primary.unrepairable
        ),
        (4, 1, 0, 1, 0),
        "{primary:?}"
    );
    assert!(primary.finished_at.is_some());
    let offsite = s.run_pass("offsite").await.unwrap();
    assert_eq!(
        (
            offsite.copies_checked,
            offsite.damaged,
            offsite.missing,
            offsite.repaired,
            offsite.unrepairable
        ),
        (4, 0, 1, 1, 0),
        "{offsite:?}"
    );
    // Both stores hold every recording's bytes again.
    for rec in &w.recordings {
        assert!(w.holds(&w.vault.store, rec).await, "primary {}", rec.id);
        assert!(w.holds(&w.offsite, rec).await, "offsite {}", rec.id);
    }
    // Every copy is marked verified by the pass.
    for rec in &w.recordings {
        let copies = w.vault.catalog.recording_copies(w.tenant, rec.id).await.unwrap();
        assert_eq!(copies.len(), 2);
        assert!(copies.iter().all(|c| c.copy.verified_at.is_some()));
    }
    // The findings.
    let f = w.vault.catalog.scrub_findings(primary.id).await.unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].problem, f[0].outcome), (ScrubProblem::Damaged, ScrubOutcome::Repaired));
    assert_eq!(f[0].recording_id, damaged.id);
    let f = w.vault.catalog.scrub_findings(offsite.id).await.unwrap();
    assert_eq!((f[0].problem, f[0].outcome), (ScrubProblem::Missing, ScrubOutcome::Repaired));
    assert_eq!(f[0].object_key, deleted.object_key);
    // The report, newest first.
    let runs = w.vault.catalog.scrub_runs(None, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    // Metrics.
    let m = w.vault.metrics.encode();
    assert!(m.contains("callvault_scrub_copies_checked_total{store=\"primary\"} 4"), "{m}");
    assert!(m.contains("callvault_scrub_damaged_total{store=\"primary\"} 1"));
    assert!(m.contains("callvault_scrub_missing_total{store=\"offsite\"} 1"));
    assert!(m.contains("callvault_scrub_repaired_total{store=\"offsite\"} 1"));
    assert!(m.contains("callvault_scrub_progress{store=\"primary\"} 1"));
    // Nothing to alert about.
    let alerts = w.vault.catalog.list_alerts(AlertScope::System, true, 100).await.unwrap();
    assert!(alerts.iter().all(|a| a.kind != ALERT_UNREPAIRABLE), "{alerts:?}");
    // A second pass finds nothing.
    let again = s.run_pass("primary").await.unwrap();
    assert_eq!((again.damaged, again.missing, again.repaired), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_with_no_good_copy_is_unrepairable_and_alerted() {
    let Some(w) = world(2).await else { return };
    let rec = &w.recordings[1];
    corrupt(&w.local_path(&rec.object_key));
    w.offsite.delete(&rec.object_key).await.unwrap();
    let s = w.scrubber(100);
    let run = s.run_pass("primary").await.unwrap();
    assert_eq!((run.damaged, run.repaired, run.unrepairable), (1, 0, 1), "{run:?}");
    let alerts = w.vault.catalog.list_alerts(AlertScope::System, true, 100).await.unwrap();
    let a = alerts.iter().find(|a| a.kind == ALERT_UNREPAIRABLE).expect("an alert");
    assert_eq!(a.severity, "critical");
    assert_eq!(a.subject, format!("primary:{}", rec.object_key));
    let f = w.vault.catalog.scrub_findings(run.id).await.unwrap();
    assert_eq!(f[0].outcome, ScrubOutcome::Unrepairable);
    // The damaged bytes are left as they were, not replaced by nothing.
    assert!(w.local_path(&rec.object_key).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_cut_short_resumes_from_its_cursor() {
    let Some(w) = world(5).await else { return };
    let first = w.scrubber(2);
    let mut run = first.due_pass("primary", true).await.unwrap().unwrap();
    assert!(!first.step(&mut run).await.unwrap());
    assert_eq!(run.copies_checked, 2);
    // A new process (a fresh scrubber) finds the same pass and its cursor.
    let second = w.scrubber(2);
    let mut resumed = second.due_pass("primary", false).await.unwrap().expect("the pass resumes");
    assert_eq!((resumed.id, resumed.cursor.as_str()), (run.id, run.cursor.as_str()));
    while !second.step(&mut resumed).await.unwrap() {}
    assert_eq!(resumed.copies_checked, 5, "each copy once");
    assert_eq!(resumed.total_copies, 5);
    // Finished and recent: no new pass is due.
    assert!(second.due_pass("primary", false).await.unwrap().is_none());
    let _ = futures::stream::empty::<()>().next().await;
}
