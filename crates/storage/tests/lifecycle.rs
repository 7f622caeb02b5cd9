//! Retention and the purge against a real catalog (SQLite) and a real
//! local store, on injected time: the grace period and the rules' ages are
//! judged at the `now` each call is given, never by sleeping.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use callvault_model::*;
use callvault_storage::retention::{GUARD_ALERT, RetentionConfig, RunMode, run_all};
use callvault_storage::trash::{StoreLookup, VaultStores, purge};
use callvault_store::*;
use callvault_vault::stores::StoreSet;
use chrono::{DateTime, Duration, TimeZone, Utc};

struct Fixture {
    catalog: Arc<dyn Catalog>,
    store: Arc<BlobStore>,
    tenant: Tenant,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    let catalog = open_catalog(&url, 4).await.unwrap();
    let root = dir.path().join("objects");
    let store = BlobStore::open(&StoreConfig {
        name: "primary".into(),
        url: format!("file://{}", root.display()),
        options: BTreeMap::new(),
        staging_dir: root.join(".staging"),
    })
    .unwrap();
    let tenant = catalog.create_tenant("acme", "test").await.unwrap();
    Fixture { catalog, store: Arc::new(store), tenant, _dir: dir }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

impl Fixture {
    /// A recording whose object is really in the store, of its own call.
    async fn record(&self, n: u64, number: &str, started: DateTime<Utc>) -> Recording {
        let mut staging = self.store.stage("test").unwrap();
        staging.write(format!("audio {n}").repeat(50).as_bytes()).unwrap();
        let staged = staging.finish().unwrap();
        let (size, sha) = (staged.size, staged.sha256.clone());
        let id = RecordingId::new();
        let key = format!("tenants/{}/recordings/{id}.wav", self.tenant.id);
        self.store.commit(staged, &key).await.unwrap();
        let new = NewRecording {
            id,
            tenant_id: self.tenant.id,
            idempotency_key: None,
            upload_key: format!("{n:064x}"),
            conversation: ConversationHints {
                external_ids: vec![ExternalId::new("call_id", format!("call-{n}"))],
                direction: Some(Direction::Inbound),
                external_number: Some(number.into()),
                company_number: Some("101".into()),
                rejoin_window: None,
            },
            participants: vec![],
            source: RecordingSource::Upload,
            format: AudioFormat::Wav,
            codec: "pcm_s16le".into(),
            channels: 1,
            sample_rate: 8000,
            duration_ms: 1000,
            size_bytes: size,
            sha256: sha,
            started_at: started,
            ended_at: started + Duration::seconds(1),
            object_key: key,
            flags: vec![],
            store: "primary".into(),
            actor: "test".into(),
            settle_at: started,
            encryption: None,
            events: vec![],
        };
        match self.catalog.commit_recording(new).await.unwrap() {
            CommitOutcome::Created(r) => r,
            CommitOutcome::Existing(r) => panic!("duplicate {}", r.id),
        }
    }

    async fn rule(&self, days: u32) {
        let new = NewRetentionRule {
            tenant_id: self.tenant.id,
            days,
            direction: None,
            number_prefix: None,
            source: None,
        };
        self.catalog.create_retention_rule(new, "test", now()).await.unwrap();
    }

    async fn live(&self) -> u64 {
        self.catalog.live_recording_count(self.tenant.id).await.unwrap()
    }
}

#[tokio::test]
async fn retention_keeps_held_recordings_and_trashes_the_rest_at_the_given_now() {
    let f = fixture().await;
    let c = f.catalog.as_ref();
    let config = RetentionConfig::default();
    let mut recs = Vec::new();
    for n in 0..18 {
        recs.push(f.record(n, &format!("+1 555 01{n:02}"), now() - Duration::days(5)).await);
    }
    let held = f.record(100, "+7 900 123-45-67", now() - Duration::days(100)).await;
    let old = f.record(101, "+7 900 765-43-21", now() - Duration::days(100)).await;
    f.rule(90).await;
    let hold = NewHold {
        tenant_id: f.tenant.id,
        scope: HoldScope::number("8 (900) 123 45 67").unwrap(),
        reason: "case 7".into(),
    };
    c.create_hold(hold, "legal", now()).await.unwrap();

    // Judged 15 days earlier, nothing is old enough.
    let early =
        run_all(c, None, &config, now() - Duration::days(15), RunMode::Apply).await.unwrap();
    assert_eq!((early[0].matched, early[0].trashed), (0, 0));
    // A dry run counts and moves nothing.
    let dry = run_all(c, None, &config, now(), RunMode::DryRun).await.unwrap();
    assert_eq!((dry[0].matched, dry[0].trashed), (1, 0));
    assert_eq!(f.live().await, 20);

    let run = run_all(c, None, &config, now(), RunMode::Apply).await.unwrap();
    assert_eq!(run[0].matched, 1, "the held one is no candidate");
    assert_eq!(run[0].trashed, 1);
    assert!(!run[0].guard_tripped);
    assert!(c.recording(f.tenant.id, held.id).await.unwrap().is_some());
    assert!(c.recording(f.tenant.id, old.id).await.unwrap().is_none());
    let trash = c.list_trash(Some(f.tenant.id), None, 10).await.unwrap();
    assert_eq!(trash.len(), 1);
    assert!(trash[0].trashed_by.starts_with("rule:"));
    // Run again: nothing left to do.
    let again = run_all(c, None, &config, now(), RunMode::Apply).await.unwrap();
    assert_eq!((again[0].matched, again[0].trashed), (0, 0));
    // The object is still in the store until the purge.
    assert!(f.store.size(&old.object_key).await.unwrap().is_some());
}

#[tokio::test]
async fn the_guard_trips_above_ten_percent_and_trashes_nothing_until_confirmed() {
    let f = fixture().await;
    let c = f.catalog.as_ref();
    let config = RetentionConfig::default();
    for n in 0..17 {
        f.record(n, &format!("+1 555 01{n:02}"), now() - Duration::days(1)).await;
    }
    for n in 17..20 {
        f.record(n, &format!("+1 555 01{n:02}"), now() - Duration::days(40)).await;
    }
    f.rule(30).await;
    // 3 of 20 is 15 %.
    let run = run_all(c, None, &config, now(), RunMode::Apply).await.unwrap();
    assert!(run[0].guard_tripped);
    assert_eq!((run[0].matched, run[0].trashed), (3, 0));
    assert_eq!(f.live().await, 20);
    assert!(c.list_trash(None, None, 10).await.unwrap().is_empty());
    let alerts = c.list_alerts(AlertScope::Tenant(f.tenant.id), true, 10).await.unwrap();
    let alert = alerts.iter().find(|a| a.kind == GUARD_ALERT).expect("a guard alert");
    assert_eq!(alert.detail["would_trash"], 3);
    assert_eq!(alert.tenant_id, Some(f.tenant.id));

    // A confirmation for fewer is not enough.
    c.confirm_retention_run(f.tenant.id, 2, "ops", now()).await.unwrap();
    assert!(run_all(c, None, &config, now(), RunMode::Apply).await.unwrap()[0].guard_tripped);
    assert_eq!(f.live().await, 20);
    // The operator confirms: this run proceeds, and uses the confirmation up.
    c.confirm_retention_run(f.tenant.id, 3, "ops", now()).await.unwrap();
    let run = run_all(c, None, &config, now(), RunMode::Apply).await.unwrap();
    assert!(!run[0].guard_tripped && run[0].confirmed);
    assert_eq!(run[0].trashed, 3);
    assert_eq!(f.live().await, 17);
    assert_eq!(c.retention_confirmation(f.tenant.id).await.unwrap(), None);
    let open = c.list_alerts(AlertScope::Tenant(f.tenant.id), true, 10).await.unwrap();
    assert!(open.iter().all(|a| a.kind != GUARD_ALERT), "resolved once the run went through");

    // A restored recording still old enough goes again with the next run
    // (1 of 18: within the guard).
    c.restore_trashed(Some(f.tenant.id), run_ids(c, &f).await[0].0, "test", now()).await.unwrap();
    let run = run_all(c, None, &config, now(), RunMode::Apply).await.unwrap();
    assert_eq!((run[0].trashed, run[0].guard_tripped), (1, false));
}

async fn run_ids(c: &dyn Catalog, f: &Fixture) -> Vec<RecordingId> {
    c.list_trash(Some(f.tenant.id), None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.recording_id)
        .collect()
}

#[tokio::test]
async fn the_purge_waits_for_the_grace_period_then_removes_objects_and_rows() {
    let f = fixture().await;
    let c = f.catalog.as_ref();
    let keep = f.record(1, "+1 555 0101", now()).await;
    let gone = f.record(2, "+1 555 0102", now()).await;
    let cause = TrashCause { by: "cli".into(), actor: "test".into() };
    let trashed_at = now();
    c.trash_recordings(f.tenant.id, &[gone.id], &cause, trashed_at).await.unwrap();
    let stores = VaultStores(Arc::new(StoreSet::from_stores(f.store.clone(), Vec::new())));
    let week = StdDuration::from_secs(7 * 86_400);
    // Media derived from each (delivery's MP3, the console's peaks).
    let derived = |id: RecordingId, name: &str| format!("derived/{}/{id}/{name}", f.tenant.id);
    for key in [
        derived(gone.id, "mp3-1.mp3"),
        derived(gone.id, "peaks-2.bin"),
        derived(keep.id, "mp3-3.mp3"),
    ] {
        let mut staging = f.store.stage("test").unwrap();
        staging.write(b"derived").unwrap();
        f.store.commit(staging.finish().unwrap(), &key).await.unwrap();
    }

    // Six days later: still restorable, object in place.
    let r = purge(c, &stores, None, trashed_at + Duration::days(6), week, 100).await.unwrap();
    assert_eq!(r.purged, 0);
    assert!(f.store.size(&gone.object_key).await.unwrap().is_some());
    // Exactly seven days: not yet (the grace is a full period).
    let r = purge(c, &stores, None, trashed_at + Duration::days(7), week, 100).await.unwrap();
    assert_eq!(r.purged, 0);
    // After it: the object, the copy, the recording and its conversation go.
    let later = trashed_at + Duration::days(7) + Duration::seconds(1);
    let r = purge(c, &stores, None, later, week, 100).await.unwrap();
    assert_eq!((r.purged, r.objects), (1, 1));
    assert_eq!(r.bytes, gone.size_bytes);
    assert!(f.store.size(&gone.object_key).await.unwrap().is_none());
    assert!(f.store.size(&keep.object_key).await.unwrap().is_some());
    // Its derived media go with it; the other's stay.
    assert!(f.store.size(&derived(gone.id, "mp3-1.mp3")).await.unwrap().is_none());
    assert!(f.store.size(&derived(gone.id, "peaks-2.bin")).await.unwrap().is_none());
    assert!(f.store.size(&derived(keep.id, "mp3-3.mp3")).await.unwrap().is_some());
    let copies = c.list_copies("primary", None, 100).await.unwrap();
    assert_eq!(copies.iter().map(|k| k.recording_id).collect::<Vec<_>>(), [keep.id]);
    assert!(c.conversation(f.tenant.id, gone.conversation_id).await.unwrap().is_none());
    assert!(c.list_trash(None, None, 10).await.unwrap().is_empty());
    let audit = c.audit_events(Some(f.tenant.id), 0, 1000).await.unwrap();
    let purged: Vec<_> = audit.iter().filter(|e| e.action == "recording.purged").collect();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].subject, format!("recording:{}", gone.id));
    let started = audit.iter().find(|e| e.action == "recording.purge_started").unwrap();
    assert_eq!(started.detail["copies"][0]["object_key"], gone.object_key.as_str());
    // Again: nothing.
    assert_eq!(purge(c, &stores, None, later, week, 100).await.unwrap().purged, 0);
}

/// A store this process lacks keeps the recording for one that has it.
struct NoStores;

impl StoreLookup for NoStores {
    fn store(&self, _name: &str) -> Option<Arc<BlobStore>> {
        None
    }
}

#[tokio::test]
async fn a_copy_in_an_unknown_store_is_left_for_a_process_that_has_it() {
    let f = fixture().await;
    let c = f.catalog.as_ref();
    let r = f.record(1, "+1 555 0101", now()).await;
    let cause = TrashCause { by: "cli".into(), actor: "test".into() };
    c.trash_recordings(f.tenant.id, &[r.id], &cause, now()).await.unwrap();
    let later = now() + Duration::days(30);
    let week = StdDuration::from_secs(7 * 86_400);
    let report = purge(c, &NoStores, None, later, week, 10).await.unwrap();
    assert_eq!((report.purged, report.unreachable), (0, 1));
    assert!(f.store.size(&r.object_key).await.unwrap().is_some());
    let report = purge(
        c,
        &VaultStores(Arc::new(StoreSet::from_stores(f.store.clone(), Vec::new()))),
        None,
        later,
        week,
        10,
    )
    .await
    .unwrap();
    assert_eq!(report.purged, 1);
    assert!(f.store.size(&r.object_key).await.unwrap().is_none());
}
