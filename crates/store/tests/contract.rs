//! The catalog contract: one suite, run against every backend.
//!
//! SQLite runs on a temporary file. PostgreSQL runs on a fresh database per
//! test, created through `CV_TEST_POSTGRES_URL` (the README's test
//! command starts a server and sets it). Without that variable the
//! PostgreSQL half fails, unless `CV_TEST_SKIP_SERVICES=1` says to skip it
//! on purpose.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use callvault_model::*;
use callvault_store::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

struct Db {
    catalog: Arc<dyn Catalog>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    let catalog = open_catalog(&url, 4).await.unwrap();
    catalog.migrate().await.unwrap(); // a second run is a no-op
    Db { catalog, _dir: Some(dir) }
}

async fn postgres() -> Option<Db> {
    let Ok(admin_url) = std::env::var("CV_TEST_POSTGRES_URL") else {
        if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
            eprintln!("skipping the PostgreSQL contract suite: CV_TEST_SKIP_SERVICES=1");
            return None;
        }
        panic!("CV_TEST_POSTGRES_URL is not set (or set CV_TEST_SKIP_SERVICES=1)");
    };
    let name = format!("cv_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let catalog = open_catalog(url.as_str(), 8).await.unwrap();
    catalog.migrate().await.unwrap();
    Some(Db { catalog, _dir: None })
}

macro_rules! contract {
    (@more $module:ident; $($name:ident),* $(,)?) => {
        mod $module {
            use super::*;
            contract!($($name),*);
        }
    };
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::sqlite().await;
                    super::$name(db.catalog.as_ref()).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = super::postgres().await {
                        super::$name(db.catalog.as_ref()).await;
                    }
                }
            )*
        }
    };
}

contract!(
    tenants_are_unique_and_validated,
    api_keys_are_found_by_hash_until_revoked,
    uploads_sharing_a_conversation_key_form_one_conversation,
    a_group_id_reused_after_the_rejoin_window_starts_a_new_conversation,
    duplicates_are_found_by_idempotency_key_and_by_content,
    tenants_never_see_each_other,
    search_filters_and_paginates,
    pending_objects_are_cleared_by_commit,
    concurrent_commits_of_one_call_make_one_conversation,
    copies_are_listed_and_verified,
    audit_log_records_every_change,
    invalid_recordings_are_refused,
    destinations_are_per_tenant_and_deleted_softly,
    commits_queue_the_deliveries_of_their_destinations,
    deliveries_are_claimed_under_a_lease_and_finished_by_its_holder,
    deliveries_are_listed_retried_and_counted,
    alerts_open_once_and_reach_their_subscribers,
    named_leases_have_one_holder,
    events_are_stored_with_their_recording,
    sessions_without_a_recording_are_accounted_for,
    retention_rules_are_per_tenant_and_audited,
    holds_keep_recordings_from_the_trash,
    the_trash_hides_restores_and_purges_in_steps,
    the_guard_confirmation_and_trash_stats,
    encrypted_recordings_keep_their_wrapped_key_and_stored_bytes_on_the_copy,
    tenants_switch_encryption_on_and_off,
    master_keys_keep_their_check_value_and_count_their_data_keys,
    rotation_rewraps_only_keys_still_under_the_old_master_key,
    calls_are_registered_once_per_leg,
    call_checks_open_keep_and_resolve_findings,
    match_candidates_and_facts_are_per_tenant,
    orphans_summary_and_cursors,
);

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, s).unwrap()
}

fn sha(n: u64) -> String {
    format!("{n:064x}")
}

fn recording(
    tenant: &Tenant,
    n: u64,
    ids: &[(&str, &str)],
    start: DateTime<Utc>,
    secs: i64,
) -> NewRecording {
    let id = RecordingId::new();
    NewRecording {
        id,
        tenant_id: tenant.id,
        idempotency_key: None,
        upload_key: sha(n),
        conversation: ConversationHints {
            external_ids: ids.iter().map(|(k, v)| ExternalId::new(*k, *v)).collect(),
            direction: Some(Direction::Inbound),
            external_number: Some("+7 912 345-67-89".into()),
            company_number: Some("+74951234567".into()),
            rejoin_window: None,
        },
        participants: vec![NewParticipant {
            side: Side::Company,
            address: Some(format!("10{n}")),
            display_name: Some(format!("agent {n}")),
            joined_at: start,
            left_at: Some(start + Duration::seconds(secs)),
        }],
        source: RecordingSource::Upload,
        format: AudioFormat::Wav,
        codec: "pcm_s16le".into(),
        channels: 1,
        sample_rate: 8000,
        duration_ms: (secs * 1000) as u64,
        size_bytes: 1000 + n,
        sha256: sha(n),
        started_at: start,
        ended_at: start + Duration::seconds(secs),
        object_key: format!("tenants/{}/recordings/{id}.wav", tenant.id),
        flags: vec![],
        store: "primary".into(),
        actor: "test".into(),
        settle_at: start + Duration::minutes(2),
        events: vec![],
        encryption: None,
    }
}

fn created(outcome: CommitOutcome) -> Recording {
    match outcome {
        CommitOutcome::Created(r) => r,
        CommitOutcome::Existing(r) => panic!("expected a new recording, got existing {}", r.id),
    }
}

async fn tenants_are_unique_and_validated(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "test").await.unwrap();
    assert!(matches!(c.create_tenant("acme", "test").await, Err(CatalogError::Conflict { .. })));
    for bad in ["", "Acme", "a b", "-x", &"x".repeat(65)] {
        assert!(
            matches!(c.create_tenant(bad, "test").await, Err(CatalogError::Invalid { .. })),
            "{bad:?}"
        );
    }
    assert_eq!(c.tenant_by_name("acme").await.unwrap(), Some(a.clone()));
    assert_eq!(c.tenant(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(c.tenant_by_name("nope").await.unwrap(), None);
    c.create_tenant("beta", "test").await.unwrap();
    let names: Vec<_> = c.list_tenants().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["acme", "beta"]);
}

async fn api_keys_are_found_by_hash_until_revoked(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let key = c
        .create_api_key(
            NewApiKey {
                tenant_id: Some(t.id),
                role: KeyRole::Tenant,
                label: "pbx".into(),
                prefix: "cvk_abcd".into(),
                hash: sha(1),
            },
            "test",
        )
        .await
        .unwrap();
    let admin = c
        .create_api_key(
            NewApiKey {
                tenant_id: None,
                role: KeyRole::Admin,
                label: "ops".into(),
                prefix: "cva_x".into(),
                hash: sha(2),
            },
            "test",
        )
        .await
        .unwrap();
    assert_eq!(c.api_key_by_hash(&sha(1)).await.unwrap(), Some(key.clone()));
    assert_eq!(c.api_key_by_hash(&sha(2)).await.unwrap().map(|k| k.role), Some(KeyRole::Admin));
    assert_eq!(c.api_key_by_hash(&sha(3)).await.unwrap(), None);
    // Same hash twice, admin with a tenant, tenant key for a missing tenant.
    let dup = NewApiKey {
        tenant_id: Some(t.id),
        role: KeyRole::Tenant,
        label: "x".into(),
        prefix: "p".into(),
        hash: sha(1),
    };
    assert!(matches!(c.create_api_key(dup, "test").await, Err(CatalogError::Conflict { .. })));
    let bad = NewApiKey {
        tenant_id: Some(t.id),
        role: KeyRole::Admin,
        label: "x".into(),
        prefix: "p".into(),
        hash: sha(4),
    };
    assert!(matches!(c.create_api_key(bad, "test").await, Err(CatalogError::Invalid { .. })));
    let orphan = NewApiKey {
        tenant_id: Some(TenantId::new()),
        role: KeyRole::Tenant,
        label: "x".into(),
        prefix: "p".into(),
        hash: sha(5),
    };
    assert!(matches!(c.create_api_key(orphan, "test").await, Err(CatalogError::NotFound { .. })));

    assert_eq!(c.list_api_keys(Some(t.id)).await.unwrap(), vec![key.clone()]);
    assert_eq!(c.list_api_keys(None).await.unwrap().len(), 2);
    c.revoke_api_key(key.id, "test").await.unwrap();
    assert_eq!(c.api_key_by_hash(&sha(1)).await.unwrap(), None);
    assert!(matches!(c.revoke_api_key(key.id, "test").await, Err(CatalogError::NotFound { .. })));
    assert!(c.list_api_keys(Some(t.id)).await.unwrap()[0].revoked_at.is_some());
    let _ = admin;
}

async fn a_group_id_reused_after_the_rejoin_window_starts_a_new_conversation(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let window = Some(std::time::Duration::from_secs(300));
    let with_window = |mut r: NewRecording| {
        r.conversation.rejoin_window = window;
        r
    };
    // An SBC with a fixed group id: a call at 10:00 (two sessions, the
    // second starting while the first was on), then an unrelated one at
    // 11:00, then a third at 11:02 that overlaps the second's end + window.
    let a1 = with_window(recording(&t, 1, &[("siprec_group", "FIXED")], at(10, 0, 0), 60));
    let a2 = with_window(recording(&t, 2, &[("siprec_group", "FIXED")], at(10, 0, 30), 90));
    let b1 = with_window(recording(&t, 3, &[("siprec_group", "FIXED")], at(11, 0, 0), 60));
    let b2 = with_window(recording(&t, 4, &[("siprec_group", "FIXED")], at(11, 4, 0), 60));
    let c1 = with_window(recording(&t, 5, &[("siprec_group", "FIXED")], at(12, 0, 0), 60));
    let a1 = created(c.commit_recording(a1).await.unwrap());
    let a2 = created(c.commit_recording(a2).await.unwrap());
    let b1 = created(c.commit_recording(b1).await.unwrap());
    let b2 = created(c.commit_recording(b2).await.unwrap());
    assert_eq!(a1.conversation_id, a2.conversation_id, "overlapping sessions: one call");
    assert_ne!(a1.conversation_id, b1.conversation_id, "an hour later: another call");
    assert_eq!(b1.conversation_id, b2.conversation_id, "3 minutes after its end: the same");
    // Without a window (a session of the group was live), the newest
    // conversation of the key is joined however long the gap.
    let mut late = recording(&t, 6, &[("siprec_group", "FIXED")], at(12, 0, 0), 60);
    late.conversation.rejoin_window = None;
    let late = created(c.commit_recording(late).await.unwrap());
    assert_eq!(late.conversation_id, b1.conversation_id);
    let c1 = created(c.commit_recording(c1).await.unwrap());
    assert_eq!(c1.conversation_id, b1.conversation_id, "12:00 is within the window of 12:01");
    // Both calls keep the key; a search by it finds both.
    for id in [a1.conversation_id, b1.conversation_id] {
        let d = c.conversation(t.id, id).await.unwrap().unwrap();
        assert!(d.conversation.external_ids.iter().any(|e| e.value == "FIXED"), "{id}");
    }
    let q = ConversationQuery {
        external_id: Some((Some("siprec_group".into()), "FIXED".into())),
        limit: 10,
        ..Default::default()
    };
    let page = c.search_conversations(t.id, &q).await.unwrap();
    assert_eq!(page.items.len(), 2);
}

async fn uploads_sharing_a_conversation_key_form_one_conversation(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    // The secretary's MixMonitor file, then the colleague's after the transfer.
    let first = recording(
        &t,
        1,
        &[("asterisk_linkedid", "1700.1"), ("asterisk_uniqueid", "1700.1")],
        at(10, 0, 0),
        30,
    );
    let second = recording(
        &t,
        2,
        &[("asterisk_linkedid", "1700.1"), ("asterisk_uniqueid", "1700.7")],
        at(10, 0, 25),
        95,
    );
    let r1 = created(c.commit_recording(first).await.unwrap());
    let r2 = created(c.commit_recording(second).await.unwrap());
    assert_eq!(r1.conversation_id, r2.conversation_id);

    let d = c.conversation(t.id, r1.conversation_id).await.unwrap().unwrap();
    assert_eq!(d.conversation.started_at, at(10, 0, 0));
    assert_eq!(d.conversation.ended_at, Some(at(10, 2, 0)));
    assert_eq!(d.conversation.direction, Direction::Inbound);
    let mut ids: Vec<_> =
        d.conversation.external_ids.iter().map(|e| (e.kind.as_str(), e.value.as_str())).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            ("asterisk_linkedid", "1700.1"),
            ("asterisk_uniqueid", "1700.1"),
            ("asterisk_uniqueid", "1700.7")
        ]
    );
    let who: Vec<_> = d.participants.iter().map(|p| p.address.as_deref().unwrap()).collect();
    assert_eq!(who, ["101", "102"]);
    assert_eq!(d.recordings.len(), 2);
    assert_eq!(d.recordings[0].recording.id, r1.id);
    assert_eq!(d.recordings[1].recording.started_at, at(10, 0, 25));
    assert_eq!(d.recordings[0].copies.len(), 1);
    assert_eq!(d.recordings[0].copies[0].sha256, sha(1));
    assert!(d.recordings[0].copies[0].verified_at.is_some());
    assert_eq!(d.recordings[0].codec, "pcm_s16le");

    // The same participant again only widens their time on the call.
    let mut third = recording(&t, 3, &[("asterisk_linkedid", "1700.1")], at(10, 1, 0), 90);
    third.participants[0].address = Some("102".into());
    created(c.commit_recording(third).await.unwrap());
    let d = c.conversation(t.id, r1.conversation_id).await.unwrap().unwrap();
    assert_eq!(d.participants.len(), 2);
    assert_eq!(d.participants[1].left_at, Some(at(10, 2, 30)));
    assert_eq!(d.conversation.ended_at, Some(at(10, 2, 30)));

    // A leg that started earlier moves the conversation's start, and the
    // number and participant searches follow it.
    let before_ten = |number: Option<&str>, who: Option<&str>| ConversationQuery {
        number: number.map(str::to_owned),
        participant: who.map(str::to_owned),
        to: Some(at(10, 0, 0)),
        limit: 10,
        ..Default::default()
    };
    assert!(
        c.search_conversations(t.id, &before_ten(Some("89123456789"), None))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    created(
        c.commit_recording(recording(&t, 5, &[("asterisk_linkedid", "1700.1")], at(9, 59, 0), 30))
            .await
            .unwrap(),
    );
    let found = c.search_conversations(t.id, &before_ten(Some("89123456789"), None)).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].conversation.started_at, at(9, 59, 0));
    assert_eq!(
        c.search_conversations(t.id, &before_ten(None, Some("agent 1"))).await.unwrap().items.len(),
        1
    );
    assert_eq!(
        c.search_conversations(t.id, &before_ten(Some("89123456789"), Some("102")))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        c.search_conversations(t.id, &before_ten(Some("89123456789"), Some("999")))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A different linkedid is a different conversation.
    let other = created(
        c.commit_recording(recording(&t, 4, &[("asterisk_linkedid", "1800.1")], at(11, 0, 0), 10))
            .await
            .unwrap(),
    );
    assert_ne!(other.conversation_id, r1.conversation_id);
}

async fn duplicates_are_found_by_idempotency_key_and_by_content(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let mut a = recording(&t, 1, &[("sip_call_id", "abc@pbx")], at(9, 0, 0), 10);
    a.idempotency_key = Some("upload-1".into());
    let first = created(c.commit_recording(a.clone()).await.unwrap());

    let mut retry = recording(&t, 2, &[("sip_call_id", "abc@pbx")], at(9, 0, 0), 10);
    retry.idempotency_key = Some("upload-1".into());
    assert_eq!(c.commit_recording(retry).await.unwrap(), CommitOutcome::Existing(first.clone()));

    let same_upload = recording(&t, 1, &[], at(9, 0, 0), 10);
    assert_eq!(
        c.commit_recording(same_upload).await.unwrap(),
        CommitOutcome::Existing(first.clone())
    );

    // The same bytes for another call (two silent recordings of one length)
    // are two recordings.
    let mut other_call = recording(&t, 1, &[("sip_call_id", "other@pbx")], at(11, 0, 0), 10);
    other_call.upload_key = sha(1001);
    let second = created(c.commit_recording(other_call).await.unwrap());
    assert_ne!(second.conversation_id, first.conversation_id);
    assert_eq!(second.sha256, first.sha256);

    assert_eq!(
        c.find_duplicate(t.id, Some("upload-1"), &sha(99)).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(c.find_duplicate(t.id, None, &sha(1)).await.unwrap(), Some(first.clone()));
    assert_eq!(c.find_duplicate(t.id, Some("other"), &sha(99)).await.unwrap(), None);
    assert_eq!(c.totals().await.unwrap().recordings, 2);
}

async fn tenants_never_see_each_other(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "test").await.unwrap();
    let b = c.create_tenant("beta", "test").await.unwrap();
    let ra = created(
        c.commit_recording(recording(&a, 1, &[("asterisk_linkedid", "1.1")], at(9, 0, 0), 10))
            .await
            .unwrap(),
    );
    // The same external id in another tenant is another conversation.
    let rb = created(
        c.commit_recording(recording(&b, 2, &[("asterisk_linkedid", "1.1")], at(9, 0, 0), 10))
            .await
            .unwrap(),
    );
    assert_ne!(ra.conversation_id, rb.conversation_id);
    // The same bytes in another tenant are not a duplicate of the first.
    let rb2 = created(c.commit_recording(recording(&b, 1, &[], at(9, 5, 0), 10)).await.unwrap());

    assert!(c.conversation(b.id, ra.conversation_id).await.unwrap().is_none());
    assert!(c.recording(b.id, ra.id).await.unwrap().is_none());
    assert!(c.recording(a.id, ra.id).await.unwrap().is_some());
    assert!(c.find_duplicate(b.id, None, &sha(1)).await.unwrap().map(|r| r.id) == Some(rb2.id));
    let q = ConversationQuery {
        external_id: Some((None, "1.1".into())),
        limit: 10,
        ..Default::default()
    };
    let page = c.search_conversations(a.id, &q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].conversation.id, ra.conversation_id);
    assert_eq!(page.items[0].conversation.tenant_id, a.id);
}

async fn search_filters_and_paginates(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let mut expected = Vec::new();
    for i in 0..25u64 {
        let mut r = recording(
            &t,
            i,
            &[("sip_call_id", &format!("call-{i}"))],
            at(8, 0, 0) + Duration::minutes(i as i64),
            60,
        );
        r.conversation.external_number =
            Some(if i % 5 == 0 { "8 (916) 000-11-22".into() } else { format!("+1555000{i:04}") });
        r.participants[0].address = Some(if i % 2 == 0 { "201".into() } else { "202".into() });
        r.participants[0].display_name = Some(if i == 7 { "Olga".into() } else { "agent".into() });
        expected.push(created(c.commit_recording(r).await.unwrap()).conversation_id);
    }
    expected.reverse(); // newest first

    // Cursor pagination visits every conversation once, newest first.
    let mut seen = Vec::new();
    let mut q = ConversationQuery { limit: 7, ..Default::default() };
    loop {
        let page = c.search_conversations(t.id, &q).await.unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|s| s.conversation.id));
        match page.next {
            Some(cursor) => q.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, expected);

    // Paging through a participant's conversations (the key index drives).
    let mut seen = Vec::new();
    let mut q =
        ConversationQuery { participant: Some("201".into()), limit: 4, ..Default::default() };
    loop {
        let page = c.search_conversations(t.id, &q).await.unwrap();
        seen.extend(page.items.iter().map(|s| s.conversation.id));
        match page.next {
            Some(cursor) => q.after = Some(cursor),
            None => break,
        }
    }
    let even: Vec<_> =
        expected.iter().enumerate().filter(|(i, _)| (24 - i) % 2 == 0).map(|(_, id)| *id).collect();
    assert_eq!(seen, even);

    let count = |q: ConversationQuery| async move {
        c.search_conversations(t.id, &ConversationQuery { limit: 100, ..q })
            .await
            .unwrap()
            .items
            .len()
    };
    assert_eq!(
        count(ConversationQuery { number: Some("+79160001122".into()), ..Default::default() })
            .await,
        5
    );
    assert_eq!(
        count(ConversationQuery { number: Some("9160001122".into()), ..Default::default() }).await,
        5
    );
    // The company number and participant addresses are numbers too.
    assert_eq!(
        count(ConversationQuery { number: Some("8 495 123 45 67".into()), ..Default::default() })
            .await,
        25
    );
    assert_eq!(
        count(ConversationQuery { participant: Some("201".into()), ..Default::default() }).await,
        13
    );
    assert_eq!(
        count(ConversationQuery { participant: Some("Olga".into()), ..Default::default() }).await,
        1
    );
    assert_eq!(
        count(ConversationQuery {
            external_id: Some((Some("sip_call_id".into()), "call-3".into())),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(ConversationQuery {
            external_id: Some((Some("other".into()), "call-3".into())),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(ConversationQuery {
            from: Some(at(8, 10, 0)),
            to: Some(at(8, 20, 0)),
            ..Default::default()
        })
        .await,
        10
    );
    assert_eq!(
        count(ConversationQuery { has_recording: Some(true), ..Default::default() }).await,
        25
    );
    assert_eq!(
        count(ConversationQuery { has_recording: Some(false), ..Default::default() }).await,
        0
    );
    let page = c
        .search_conversations(
            t.id,
            &ConversationQuery { participant: Some("Olga".into()), limit: 5, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].recording_count, 1);
    assert_eq!(page.items[0].participant_count, 1);
    assert_eq!(
        page.items[0].conversation.external_ids,
        vec![ExternalId::new("sip_call_id", "call-7")]
    );
    assert!(page.next.is_none());
    assert!(matches!(
        c.search_conversations(
            t.id,
            &ConversationQuery { number: Some("abc".into()), limit: 5, ..Default::default() }
        )
        .await,
        Err(CatalogError::Invalid { .. })
    ));
}

async fn pending_objects_are_cleared_by_commit(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let r = recording(&t, 1, &[], at(9, 0, 0), 10);
    let pending = PendingObject {
        store: "primary".into(),
        object_key: r.object_key.clone(),
        owner: "instance-1".into(),
        tenant_id: t.id,
        created_at: catalog_time(Utc::now()),
    };
    c.add_pending_object(&pending).await.unwrap();
    assert!(matches!(c.add_pending_object(&pending).await, Err(CatalogError::Conflict { .. })));
    assert_eq!(c.pending_objects().await.unwrap(), vec![pending.clone()]);
    let keys = vec![r.object_key.clone(), "tenants/x/unknown.wav".to_string()];
    let known = c.known_object_keys("primary", &keys).await.unwrap();
    assert!(known.contains(&r.object_key) && known.len() == 1);
    assert!(c.known_object_keys("offsite", &keys).await.unwrap().is_empty());

    created(c.commit_recording(r.clone()).await.unwrap());
    assert!(c.pending_objects().await.unwrap().is_empty());
    assert!(c.known_object_keys("primary", &keys).await.unwrap().contains(&r.object_key));

    let other = PendingObject { object_key: "tenants/x/gone.wav".into(), ..pending };
    c.add_pending_object(&other).await.unwrap();
    c.remove_pending_object("primary", &other.object_key).await.unwrap();
    assert!(c.pending_objects().await.unwrap().is_empty());
    let last = c.audit_events(Some(t.id), 0, 100).await.unwrap().pop().unwrap();
    assert_eq!((last.action.as_str(), last.actor.as_str()), ("upload.discarded", "system"));
    assert_eq!(last.subject, "object:primary/tenants/x/gone.wav");
    // Removing it again is a no-op, not an error, and audits nothing.
    c.remove_pending_object("primary", &other.object_key).await.unwrap();
    assert_eq!(c.audit_events(Some(t.id), last.seq, 100).await.unwrap().len(), 0);
}

async fn concurrent_commits_of_one_call_make_one_conversation(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let commits = (0..8u64).map(|i| {
        let r = recording(
            &t,
            100 + i,
            &[("siprec_group", "grp-1"), ("sip_call_id", &format!("leg-{i}"))],
            at(12, 0, i as u32),
            30,
        );
        c.commit_recording(r)
    });
    let results = futures::future::join_all(commits).await;
    let convs: std::collections::HashSet<_> =
        results.into_iter().map(|r| created(r.unwrap()).conversation_id).collect();
    assert_eq!(convs.len(), 1);
    let d = c.conversation(t.id, *convs.iter().next().unwrap()).await.unwrap().unwrap();
    assert_eq!(d.recordings.len(), 8);
    assert_eq!(d.conversation.external_ids.len(), 9);
}

async fn copies_are_listed_and_verified(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    for i in 0..5 {
        created(c.commit_recording(recording(&t, i, &[], at(9, i as u32, 0), 10)).await.unwrap());
    }
    let first = c.list_copies("primary", None, 3).await.unwrap();
    assert_eq!(first.len(), 3);
    let rest = c.list_copies("primary", Some(&first[2].object_key), 3).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(first.windows(2).all(|w| w[0].object_key < w[1].object_key));
    assert!(first[2].object_key < rest[0].object_key);
    assert!(c.list_copies("offsite", None, 3).await.unwrap().is_empty());
    let when = catalog_time(Utc::now() + Duration::hours(1));
    c.mark_copy_verified(first[0].id, when).await.unwrap();
    let again = c.list_copies("primary", None, 1).await.unwrap();
    assert_eq!(again[0].verified_at, Some(when));
    assert!(matches!(
        c.mark_copy_verified(CopyId::new(), when).await,
        Err(CatalogError::NotFound { .. })
    ));
    let totals = c.totals().await.unwrap();
    assert_eq!((totals.tenants, totals.conversations, totals.recordings), (1, 5, 5));
    assert_eq!(totals.recording_bytes, 1000 + 1001 + 1002 + 1003 + 1004);
}

async fn audit_log_records_every_change(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "cli").await.unwrap();
    let b = c.create_tenant("beta", "cli").await.unwrap();
    let r = created(c.commit_recording(recording(&a, 1, &[], at(9, 0, 0), 10)).await.unwrap());
    let all = c.audit_events(None, 0, 100).await.unwrap();
    let actions: Vec<_> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["tenant.created", "tenant.created", "conversation.created", "recording.stored"]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(all[3].subject, format!("recording:{}", r.id));
    assert_eq!(all[3].detail["sha256"], sha(1));
    assert_eq!(all[0].actor, "cli");
    let only_b = c.audit_events(Some(b.id), 0, 100).await.unwrap();
    assert_eq!(only_b.len(), 1);
    let after = c.audit_events(None, all[1].seq, 100).await.unwrap();
    assert_eq!(after.len(), 2);
}

async fn invalid_recordings_are_refused(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let mut bad_sha = recording(&t, 1, &[], at(9, 0, 0), 10);
    bad_sha.sha256 = "xyz".into();
    let mut backwards = recording(&t, 2, &[], at(9, 0, 0), 10);
    backwards.ended_at = at(8, 0, 0);
    let mut empty_id = recording(&t, 3, &[("", "x")], at(9, 0, 0), 10);
    empty_id.object_key = "k".into();
    for r in [bad_sha, backwards, empty_id] {
        assert!(matches!(c.commit_recording(r).await, Err(CatalogError::Invalid { .. })));
    }
    assert_eq!(c.totals().await.unwrap().recordings, 0);
}

// --- the outbox ---------------------------------------------------------------

fn destination(tenant: &Tenant, name: &str, events: &[&str]) -> NewDestination {
    NewDestination {
        tenant_id: tenant.id,
        name: name.into(),
        kind: "webhook".into(),
        enabled: true,
        events: events.iter().map(|e| e.to_string()).collect(),
        config: serde_json::json!({ "url": "https://example.com/hook" }),
        secrets: serde_json::json!({ "signing_secret": "whsec_TOPSECRET" }),
        filters: serde_json::json!({}),
        max_age_secs: 86_400,
        link_ttl_secs: 604_800,
    }
}

/// A recording of the call `call` (its linkedid), settling at `settle_at`.
fn call_recording(t: &Tenant, n: u64, call: &str, settle_at: DateTime<Utc>) -> NewRecording {
    let mut r = recording(t, n, &[("asterisk_linkedid", call)], at(9, 0, n as u32), 10);
    r.settle_at = settle_at;
    r
}

async fn of_conversation(c: &dyn Catalog, t: &Tenant, conv: ConversationId) -> Vec<Delivery> {
    let q = DeliveryQuery { conversation_id: Some(conv), limit: 100, ..Default::default() };
    let mut all = c.list_deliveries(Some(t.id), &q).await.unwrap();
    all.reverse(); // oldest first
    all
}

fn to(deliveries: &[Delivery], dest: &Destination, event: &str) -> Vec<Delivery> {
    deliveries.iter().filter(|d| d.destination_id == dest.id && d.event == event).cloned().collect()
}

fn finish(state: DeliveryState, due_at: Option<DateTime<Utc>>) -> DeliveryFinish {
    DeliveryFinish {
        state,
        due_at,
        error: Some("boom".into()),
        status: Some("503".into()),
        progress: serde_json::json!({ "step": 1 }),
    }
}

fn test_delivery(t: &Tenant, d: &Destination, due_at: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        tenant_id: t.id,
        destination_id: d.id,
        event: "test".into(),
        conversation_id: None,
        recording_id: None,
        alert_id: None,
        due_at,
    }
}

async fn destinations_are_per_tenant_and_deleted_softly(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "test").await.unwrap();
    let b = c.create_tenant("beta", "test").await.unwrap();
    let now = catalog_time(Utc::now());
    let crm = c
        .create_destination(destination(&a, "crm", &["conversation.settled"]), "key:1", now)
        .await
        .unwrap();
    assert_eq!(crm.link_key.len(), 32);
    assert_eq!((crm.created_at, crm.updated_at), (now, now));
    assert_eq!(crm.secrets["signing_secret"], "whsec_TOPSECRET");
    assert!(crm.enabled && crm.disabled_reason.is_none());
    assert!(matches!(
        c.create_destination(destination(&a, "crm", &[]), "key:1", now).await,
        Err(CatalogError::Conflict { .. })
    ));
    assert!(matches!(
        c.create_destination(destination(&a, "x", &["conversation.setled"]), "key:1", now).await,
        Err(CatalogError::Invalid { .. })
    ));
    assert!(matches!(
        c.create_destination(destination(&ghost(), "x", &[]), "k", now).await,
        Err(CatalogError::NotFound { .. })
    ));
    // The same name in another tenant is another destination.
    let other = c.create_destination(destination(&b, "crm", &[]), "key:2", now).await.unwrap();
    assert_ne!(other.link_key, crm.link_key);

    assert_eq!(c.list_destinations(a.id).await.unwrap(), vec![crm.clone()]);
    assert_eq!(c.get_destination(Some(a.id), crm.id).await.unwrap(), Some(crm.clone()));
    assert_eq!(c.get_destination(None, crm.id).await.unwrap(), Some(crm.clone()));
    // Another tenant's destination is invisible, and neither changes nor goes.
    assert_eq!(c.get_destination(Some(b.id), crm.id).await.unwrap(), None);
    let rename = DestinationUpdate { name: Some("stolen".into()), ..Default::default() };
    assert_eq!(c.update_destination(Some(b.id), crm.id, rename, "k", now).await.unwrap(), None);
    assert!(!c.delete_destination(Some(b.id), crm.id, "k", now).await.unwrap());
    assert_eq!(c.get_destination(None, crm.id).await.unwrap(), Some(crm.clone()));

    // Updates; a rename onto a live name conflicts.
    c.create_destination(destination(&a, "mail", &[]), "key:1", now).await.unwrap();
    let onto = DestinationUpdate { name: Some("mail".into()), ..Default::default() };
    assert!(matches!(
        c.update_destination(Some(a.id), crm.id, onto, "k", now).await,
        Err(CatalogError::Conflict { .. })
    ));
    let later = now + Duration::seconds(5);
    let change = DestinationUpdate {
        name: Some("crm main".into()),
        events: Some(vec!["conversation.settled".into(), "alert".into()]),
        secrets: Some(serde_json::json!({ "token": "NEWSECRET" })),
        rotate_link_key: true,
        ..Default::default()
    };
    let changed =
        c.update_destination(Some(a.id), crm.id, change, "key:1", later).await.unwrap().unwrap();
    assert_eq!(changed.name, "crm main");
    assert_eq!(changed.events, ["conversation.settled", "alert"]);
    assert_eq!(changed.secrets, serde_json::json!({ "token": "NEWSECRET" }));
    assert_ne!(changed.link_key, crm.link_key);
    assert_eq!(changed.config, crm.config);
    assert_eq!((changed.created_at, changed.updated_at), (now, later));
    assert_eq!(c.get_destination(None, crm.id).await.unwrap(), Some(changed.clone()));

    // The system disables; enabling again clears the reason.
    assert!(c.disable_destination(crm.id, "token revoked", later).await.unwrap());
    let d = c.get_destination(None, crm.id).await.unwrap().unwrap();
    assert_eq!((d.enabled, d.disabled_reason.as_deref()), (false, Some("token revoked")));
    let enable = DestinationUpdate { enabled: Some(true), ..Default::default() };
    let d = c.update_destination(None, crm.id, enable, "admin", later).await.unwrap().unwrap();
    assert_eq!((d.enabled, d.disabled_reason), (true, None));
    assert!(!c.disable_destination(uuid::Uuid::now_v7(), "x", later).await.unwrap());

    // Secrets are swapped only if they are still what the refresher read.
    let stale = serde_json::json!({ "token": "OLD" });
    let fresh = serde_json::json!({ "token": "REFRESHED" });
    assert!(!c.replace_destination_secrets(crm.id, &stale, &fresh, later).await.unwrap());
    let current = d.secrets.clone();
    assert!(c.replace_destination_secrets(crm.id, &current, &fresh, later).await.unwrap());
    assert_eq!(c.get_destination(None, crm.id).await.unwrap().unwrap().secrets, fresh);

    // Deleting cancels what is still to deliver, not what is under way.
    let waiting = c.enqueue_delivery(test_delivery(&a, &crm, at(9, 0, 0)), now).await.unwrap();
    let busy = c.enqueue_delivery(test_delivery(&a, &crm, at(9, 0, 0)), now).await.unwrap();
    let claimed = c.claim_deliveries("runner", at(9, 0, 0), StdDuration::from_secs(60), 1).await;
    assert_eq!(claimed.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(), [waiting.id]);
    let claimed = c.claim_deliveries("runner", at(9, 0, 0), StdDuration::from_secs(60), 1).await;
    assert_eq!(claimed.unwrap()[0].id, busy.id);
    assert!(
        c.finish_delivery(waiting.id, "runner", finish(DeliveryState::RetryWait, Some(later)), now)
            .await
            .unwrap()
    );
    assert!(c.delete_destination(Some(a.id), crm.id, "key:1", later).await.unwrap());
    assert!(!c.delete_destination(Some(a.id), crm.id, "key:1", later).await.unwrap());
    let waiting = c.get_delivery(Some(a.id), waiting.id).await.unwrap().unwrap();
    assert_eq!((waiting.state, waiting.finished_at), (DeliveryState::Cancelled, Some(later)));
    assert_eq!(
        c.get_delivery(None, busy.id).await.unwrap().unwrap().state,
        DeliveryState::InFlight
    );
    assert_eq!(c.get_destination(None, crm.id).await.unwrap(), None);
    let names: Vec<_> =
        c.list_destinations(a.id).await.unwrap().into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["mail"]);
    // The name is free again.
    c.create_destination(destination(&a, "crm main", &[]), "key:1", later).await.unwrap();
    // Queuing to a deleted destination is refused.
    assert!(matches!(
        c.enqueue_delivery(test_delivery(&a, &crm, now), now).await,
        Err(CatalogError::NotFound { .. })
    ));

    // Every change is audited, never with a secret in it.
    let audit = c.audit_events(Some(a.id), 0, 100).await.unwrap();
    let actions: Vec<_> = audit
        .iter()
        .filter(|e| e.subject == format!("destination:{}", crm.id))
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("destination.created", "key:1"),
            ("destination.updated", "key:1"),
            ("destination.disabled", "system"),
            ("destination.updated", "admin"),
            ("destination.secrets_replaced", "system"),
            ("destination.deleted", "key:1"),
        ]
    );
    let text = serde_json::to_string(&audit.iter().map(|e| &e.detail).collect::<Vec<_>>()).unwrap();
    for secret in ["TOPSECRET", "NEWSECRET", "REFRESHED"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    assert!(text.contains("signing_secret"), "the audit names which secrets there are");
}

/// A tenant that does not exist in the catalog.
fn ghost() -> Tenant {
    Tenant { id: TenantId::new(), name: "ghost".into(), created_at: at(0, 0, 0) }
}

async fn commits_queue_the_deliveries_of_their_destinations(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("beta", "test").await.unwrap();
    let now = catalog_time(Utc::now());
    let mk = |t: &Tenant, name: &str, events: &[&str]| {
        let new = destination(t, name, events);
        async move { c.create_destination(new, "test", now).await.unwrap() }
    };
    let crm = mk(&t, "crm", &["conversation.settled", "conversation.updated"]).await;
    let mail = mk(&t, "mail", &["conversation.settled"]).await;
    let hook = mk(&t, "hook", &["recording.stored"]).await;
    let off = mk(&t, "off", &["conversation.settled", "recording.stored"]).await;
    c.update_destination(
        None,
        off.id,
        DestinationUpdate { enabled: Some(false), ..Default::default() },
        "test",
        now,
    )
    .await
    .unwrap();
    let elsewhere = mk(&other, "crm", &["conversation.settled", "recording.stored"]).await;

    // The first recording: settled due at its settle time, stored at once.
    let settle1 = now + Duration::minutes(2);
    let r1 = created(c.commit_recording(call_recording(&t, 1, "call-1", settle1)).await.unwrap());
    let conv = r1.conversation_id;
    let all = of_conversation(c, &t, conv).await;
    assert_eq!(all.len(), 3, "{all:#?}");
    let settled = to(&all, &crm, "conversation.settled");
    assert_eq!(settled.len(), 1);
    let s = &settled[0];
    assert_eq!((s.state, s.attempts, s.due_at), (DeliveryState::Pending, 0, settle1));
    assert_eq!((s.conversation_id, s.recording_id, s.tenant_id), (Some(conv), None, t.id));
    assert_eq!(s.destination_kind, "webhook");
    assert_eq!(s.age_from, s.created_at);
    assert_eq!(to(&all, &mail, "conversation.settled").len(), 1);
    let stored = to(&all, &hook, "recording.stored");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].recording_id, Some(r1.id));
    assert!(stored[0].due_at <= catalog_time(Utc::now()));
    assert!(all.iter().all(|d| d.destination_id != off.id), "a disabled destination gets none");
    let q = DeliveryQuery { destination_id: Some(elsewhere.id), limit: 10, ..Default::default() };
    assert!(c.list_deliveries(None, &q).await.unwrap().is_empty());

    // More of the call before it settles: the same delivery, later.
    let settle2 = now + Duration::minutes(5);
    created(c.commit_recording(call_recording(&t, 2, "call-1", settle2)).await.unwrap());
    // A recording whose settle time is earlier moves nothing back.
    created(c.commit_recording(call_recording(&t, 3, "call-1", settle1)).await.unwrap());
    let all = of_conversation(c, &t, conv).await;
    let settled = to(&all, &crm, "conversation.settled");
    assert_eq!(settled.len(), 1);
    assert_eq!((settled[0].id, settled[0].due_at), (s.id, settle2));
    assert_eq!(to(&all, &hook, "recording.stored").len(), 3);
    assert!(to(&all, &crm, "conversation.updated").is_empty());

    // The same upload again queues nothing.
    let again = c.commit_recording(call_recording(&t, 1, "call-1", settle2)).await.unwrap();
    assert!(matches!(again, CommitOutcome::Existing(_)));
    assert_eq!(of_conversation(c, &t, conv).await.len(), all.len());

    // Settled and attempted: a later recording is an update, for those that
    // subscribe to updates.
    let due = c.claim_deliveries("runner", settle2, StdDuration::from_secs(60), 100).await.unwrap();
    assert_eq!(due.len(), 5, "two settled, three stored");
    for d in &due {
        assert!(
            c.finish_delivery(d.id, "runner", finish(DeliveryState::Delivered, None), settle2)
                .await
                .unwrap()
        );
    }
    let settle3 = now + Duration::minutes(10);
    created(c.commit_recording(call_recording(&t, 4, "call-1", settle3)).await.unwrap());
    let settle4 = now + Duration::minutes(12);
    created(c.commit_recording(call_recording(&t, 5, "call-1", settle4)).await.unwrap());
    let all = of_conversation(c, &t, conv).await;
    let updated = to(&all, &crm, "conversation.updated");
    assert_eq!(updated.len(), 1, "one update, postponed by the second recording");
    assert_eq!((updated[0].state, updated[0].due_at), (DeliveryState::Pending, settle4));
    assert_eq!(to(&all, &crm, "conversation.settled").len(), 1);
    assert!(to(&all, &mail, "conversation.updated").is_empty(), "mail wants no updates");
    assert_eq!(to(&all, &mail, "conversation.settled").len(), 1);
    assert_eq!(to(&all, &hook, "recording.stored").len(), 5);

    // Another call is another settled delivery.
    let r6 = created(c.commit_recording(call_recording(&t, 6, "call-2", settle1)).await.unwrap());
    assert_eq!(
        to(&of_conversation(c, &t, r6.conversation_id).await, &crm, "conversation.settled").len(),
        1
    );
}

async fn deliveries_are_claimed_under_a_lease_and_finished_by_its_holder(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let d = c.create_destination(destination(&t, "hook", &[]), "test", at(8, 0, 0)).await.unwrap();
    let lease = StdDuration::from_secs(60);
    let now = at(12, 0, 0);
    let mut queued = Vec::new();
    for s in [3, 1, 2] {
        let due = at(11, 0, s);
        queued.push(c.enqueue_delivery(test_delivery(&t, &d, due), at(10, 0, 0)).await.unwrap());
    }
    let future = c.enqueue_delivery(test_delivery(&t, &d, at(13, 0, 0)), now).await.unwrap();
    assert_eq!((queued[0].state, queued[0].attempts), (DeliveryState::Pending, 0));

    // Oldest due first, each claimed once.
    let a = c.claim_deliveries("a", now, lease, 2).await.unwrap();
    assert_eq!(a.iter().map(|d| d.id).collect::<Vec<_>>(), [queued[1].id, queued[2].id]);
    for x in &a {
        assert_eq!((x.state, x.attempts), (DeliveryState::InFlight, 1));
        assert_eq!(x.lease_owner.as_deref(), Some("a"));
        assert_eq!(x.lease_expires_at, Some(now + Duration::seconds(60)));
    }
    let b = c.claim_deliveries("b", now, lease, 10).await.unwrap();
    assert_eq!(b.iter().map(|d| d.id).collect::<Vec<_>>(), [queued[0].id]);
    assert!(
        c.claim_deliveries("c", now + Duration::seconds(59), lease, 10).await.unwrap().is_empty()
    );
    assert!(c.claim_deliveries("c", now, lease, 0).await.unwrap().is_empty());

    // Runner a died: once its leases run out, c takes them over.
    let later = now + Duration::seconds(61);
    let c2 = c.claim_deliveries("c", later, lease, 2).await.unwrap();
    assert_eq!(c2.iter().map(|d| d.id).collect::<Vec<_>>(), [queued[1].id, queued[2].id]);
    assert!(c2.iter().all(|d| d.attempts == 2 && d.lease_owner.as_deref() == Some("c")));

    // a's late answers change nothing.
    let id = queued[1].id;
    let before = c.get_delivery(None, id).await.unwrap().unwrap();
    assert!(
        !c.finish_delivery(id, "a", finish(DeliveryState::Delivered, None), later).await.unwrap()
    );
    let progress = serde_json::json!({ "uploaded": true });
    assert!(!c.checkpoint_delivery(id, "a", &progress, later, lease).await.unwrap());
    assert_eq!(c.get_delivery(None, id).await.unwrap().unwrap(), before);
    assert!(c.delivery_attempts(None, id).await.unwrap().is_empty());

    // The holder checkpoints (and keeps its lease longer) ...
    let cp = later + Duration::seconds(30);
    assert!(c.checkpoint_delivery(id, "c", &progress, cp, lease).await.unwrap());
    let held = c.get_delivery(None, id).await.unwrap().unwrap();
    assert_eq!(held.progress, progress);
    assert_eq!(held.lease_expires_at, Some(cp + Duration::seconds(60)));
    assert!(
        c.claim_deliveries("d", later + Duration::seconds(61), lease, 10)
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != id),
        "a checkpoint extends the lease"
    );

    // ... and finishes: retry later.
    assert!(matches!(
        c.finish_delivery(id, "c", finish(DeliveryState::RetryWait, None), cp).await,
        Err(CatalogError::Invalid { .. })
    ));
    assert!(matches!(
        c.finish_delivery(id, "c", finish(DeliveryState::Pending, None), cp).await,
        Err(CatalogError::Invalid { .. })
    ));
    let retry_at = at(12, 10, 0);
    assert!(
        c.finish_delivery(id, "c", finish(DeliveryState::RetryWait, Some(retry_at)), cp)
            .await
            .unwrap()
    );
    assert!(
        !c.finish_delivery(id, "c", finish(DeliveryState::Dead, None), cp).await.unwrap(),
        "not twice"
    );
    let waiting = c.get_delivery(None, id).await.unwrap().unwrap();
    assert_eq!(
        (waiting.state, waiting.due_at, waiting.attempts),
        (DeliveryState::RetryWait, retry_at, 2)
    );
    assert_eq!(
        (waiting.lease_owner, waiting.lease_expires_at, waiting.finished_at),
        (None, None, None)
    );
    assert_eq!(
        (waiting.last_error.as_deref(), waiting.last_status.as_deref()),
        (Some("boom"), Some("503"))
    );
    assert_eq!(waiting.progress, serde_json::json!({ "step": 1 }));
    assert!(
        c.claim_deliveries("c", at(12, 9, 59), lease, 10).await.unwrap().iter().all(|x| x.id != id)
    );

    // Due again: a third attempt, which gives up.
    let third = c.claim_deliveries("c", retry_at, lease, 10).await.unwrap();
    assert!(third.iter().any(|x| x.id == id && x.attempts == 3));
    assert!(third.iter().all(|x| x.id != future.id), "not due yet");
    let end = at(12, 10, 5);
    assert!(c.finish_delivery(id, "c", finish(DeliveryState::Dead, None), end).await.unwrap());
    let dead = c.get_delivery(Some(t.id), id).await.unwrap().unwrap();
    assert_eq!(
        (dead.state, dead.finished_at, dead.due_at),
        (DeliveryState::Dead, Some(end), retry_at)
    );
    let attempts = c.delivery_attempts(Some(t.id), id).await.unwrap();
    let summary: Vec<_> = attempts.iter().map(|a| (a.attempt, a.outcome.as_str(), a.at)).collect();
    assert_eq!(summary, [(2, "retry_wait", cp), (3, "dead", end)]);
    assert_eq!(attempts[0].status.as_deref(), Some("503"));

    // Nothing of a disabled destination is claimed.
    c.disable_destination(d.id, "gone", end).await.unwrap();
    assert!(c.claim_deliveries("c", at(14, 0, 0), lease, 10).await.unwrap().is_empty());
}

async fn deliveries_are_listed_retried_and_counted(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let u = c.create_tenant("beta", "test").await.unwrap();
    let d = c.create_destination(destination(&t, "hook", &[]), "test", at(8, 0, 0)).await.unwrap();
    let e = c.create_destination(destination(&u, "hook", &[]), "test", at(8, 0, 0)).await.unwrap();
    let lease = StdDuration::from_secs(60);
    let mut ids = Vec::new();
    for i in 0..5 {
        let created_at = at(10, 0, i);
        ids.push(
            c.enqueue_delivery(test_delivery(&t, &d, at(11, 0, i)), created_at).await.unwrap().id,
        );
    }
    let theirs =
        c.enqueue_delivery(test_delivery(&u, &e, at(11, 0, 10)), at(10, 0, 0)).await.unwrap();

    // Newest first, page by page.
    let mut seen = Vec::new();
    let mut q = DeliveryQuery { limit: 2, ..Default::default() };
    loop {
        let page = c.list_deliveries(Some(t.id), &q).await.unwrap();
        if page.is_empty() {
            break;
        }
        q.before = page.last().map(|d| (d.created_at, d.id));
        seen.extend(page.into_iter().map(|d| d.id));
    }
    assert_eq!(seen, ids.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(c.list_deliveries(None, &DeliveryQuery::default()).await.unwrap().len(), 6);
    assert!(c.get_delivery(Some(t.id), theirs.id).await.unwrap().is_none());

    // Three claimed: one dies, one is delivered, one stays in flight.
    let claimed = c.claim_deliveries("r", at(11, 0, 2), lease, 3).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let (dead, done, busy) = (claimed[0].id, claimed[1].id, claimed[2].id);
    assert!(
        c.finish_delivery(dead, "r", finish(DeliveryState::Dead, None), at(11, 0, 3))
            .await
            .unwrap()
    );
    assert!(
        c.finish_delivery(done, "r", finish(DeliveryState::Delivered, None), at(11, 0, 3))
            .await
            .unwrap()
    );
    let q = DeliveryQuery { state: Some(DeliveryState::Dead), limit: 10, ..Default::default() };
    assert_eq!(
        c.list_deliveries(Some(t.id), &q).await.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(),
        [dead]
    );

    // Stats: by kind and state; the oldest still to deliver per destination
    // (a pending one not yet due does not count).
    let stats = c.delivery_stats(at(11, 0, 3)).await.unwrap();
    let by: HashMap<_, _> = stats.by_state.iter().map(|(k, s, n)| ((k.as_str(), *s), *n)).collect();
    assert_eq!(by.get(&("webhook", DeliveryState::Pending)), Some(&3));
    assert_eq!(by.get(&("webhook", DeliveryState::InFlight)), Some(&1));
    assert_eq!(by.get(&("webhook", DeliveryState::Dead)), Some(&1));
    assert_eq!(by.get(&("webhook", DeliveryState::Delivered)), Some(&1));
    let oldest: HashMap<_, _> =
        stats.oldest_undelivered.iter().map(|(d, t, k, at)| (*d, (*t, k.clone(), *at))).collect();
    assert_eq!(oldest.get(&d.id), Some(&(t.id, "webhook".to_string(), at(10, 0, 2))));
    assert_eq!(oldest.get(&e.id), None, "pending, due only at 11:00:10");
    let early = c.delivery_stats(at(10, 30, 0)).await.unwrap();
    let early: Vec<_> = early.oldest_undelivered.iter().map(|x| x.0).collect();
    assert_eq!(early, [d.id], "only the one in flight: nothing else is due yet");

    // The console's backlog: exact counts per destination of what is not
    // through yet, with the latest error; each tenant sees its own.
    let backlog = c.delivery_backlog(t.id).await.unwrap();
    assert_eq!(backlog.len(), 1, "{backlog:?}");
    let b = &backlog[0];
    assert_eq!((b.destination_id, b.destination_kind.as_str()), (d.id, "webhook"));
    assert_eq!((b.pending, b.in_flight, b.retry_wait, b.dead), (2, 1, 0, 1));
    assert_eq!(b.last_error, Some((at(11, 0, 3), "boom".to_string())));
    let theirs_backlog = c.delivery_backlog(u.id).await.unwrap();
    assert_eq!(theirs_backlog.len(), 1);
    assert_eq!((theirs_backlog[0].destination_id, theirs_backlog[0].pending), (e.id, 1));
    assert_eq!(theirs_backlog[0].last_error, None);

    // A manual retry: due now, its age counted from now.
    let now = at(15, 0, 0);
    assert!(c.retry_delivery(Some(u.id), dead, now).await.unwrap().is_none(), "another tenant's");
    assert!(c.retry_delivery(Some(t.id), uuid::Uuid::now_v7(), now).await.unwrap().is_none());
    let again = c.retry_delivery(Some(t.id), dead, now).await.unwrap().unwrap();
    assert_eq!((again.state, again.due_at, again.age_from), (DeliveryState::Pending, now, now));
    assert_eq!((again.attempts, again.finished_at), (1, None));
    assert!(again.created_at < again.age_from);
    for refused in [busy, done] {
        assert!(matches!(
            c.retry_delivery(Some(t.id), refused, now).await,
            Err(CatalogError::Invalid { .. })
        ));
    }
    let retried = c.claim_deliveries("r", now, lease, 10).await.unwrap();
    assert!(retried.iter().any(|x| x.id == dead && x.attempts == 2));
}

async fn alerts_open_once_and_reach_their_subscribers(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "test").await.unwrap();
    let b = c.create_tenant("beta", "test").await.unwrap();
    let now = at(12, 0, 0);
    let mk = |t: &Tenant, name: &str, events: &[&str]| {
        let new = destination(t, name, events);
        async move { c.create_destination(new, "test", now).await.unwrap() }
    };
    let a_alerts = mk(&a, "ops", &["alert"]).await;
    let a_system = mk(&a, "noc", &["alert.system"]).await;
    let b_system = mk(&b, "noc", &["alert.system", "alert"]).await;
    mk(&a, "crm", &["conversation.settled"]).await;
    let raise = |tenant: Option<TenantId>, kind: &str, message: &str| NewAlert {
        tenant_id: tenant,
        kind: kind.into(),
        subject: "dest-1".into(),
        severity: "warning".into(),
        message: message.into(),
        detail: serde_json::json!({ "message": message }),
    };
    let for_alert = |id: uuid::Uuid| async move {
        let all = c
            .list_deliveries(None, &DeliveryQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        let mut to: Vec<_> = all
            .into_iter()
            .filter(|d| d.alert_id == Some(id))
            .map(|d| (d.destination_id, d.tenant_id, d.event))
            .collect();
        to.sort();
        to
    };

    let (first, opened) =
        c.raise_alert(raise(Some(a.id), "delivery.failing", "one"), now).await.unwrap();
    assert!(opened);
    assert_eq!((first.count, first.first_seen, first.last_seen), (1, now, now));
    let later = now + Duration::minutes(1);
    let mut second = raise(Some(a.id), "delivery.failing", "two");
    second.severity = "critical".into();
    let (bumped, opened) = c.raise_alert(second, later).await.unwrap();
    assert!(!opened);
    assert_eq!(bumped.id, first.id);
    assert_eq!((bumped.count, bumped.first_seen, bumped.last_seen), (2, now, later));
    assert_eq!((bumped.message.as_str(), bumped.severity.as_str()), ("two", "critical"));
    assert_eq!(bumped.detail["message"], "two");
    assert_eq!(for_alert(first.id).await, [(a_alerts.id, a.id, "alert".to_string())]);
    let d = c.list_deliveries(Some(a.id), &DeliveryQuery::default()).await.unwrap();
    assert_eq!((d[0].due_at, d[0].state), (now, DeliveryState::Pending));

    // The installation's alerts reach every tenant's alert.system subscribers.
    let (system, opened) = c.raise_alert(raise(None, "disk.low", "90%"), now).await.unwrap();
    assert!(opened && system.tenant_id.is_none());
    let mut expected = vec![
        (a_system.id, a.id, "alert.system".to_string()),
        (b_system.id, b.id, "alert.system".to_string()),
    ];
    expected.sort();
    assert_eq!(for_alert(system.id).await, expected);
    // The same kind and subject in another scope is another alert.
    let (b_alert, opened) =
        c.raise_alert(raise(Some(b.id), "delivery.failing", "b"), now).await.unwrap();
    assert!(opened && b_alert.id != first.id);
    assert_eq!(for_alert(b_alert.id).await, [(b_system.id, b.id, "alert".to_string())]);

    let ids = |v: Vec<Alert>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(c.list_alerts(AlertScope::Tenant(a.id), true, 10).await.unwrap()), [first.id]);
    assert_eq!(ids(c.list_alerts(AlertScope::System, false, 10).await.unwrap()), [system.id]);
    assert_eq!(
        c.list_alerts(AlertScope::All, true, 10).await.unwrap()[0].id,
        first.id,
        "last seen first"
    );
    assert_eq!(c.list_alerts(AlertScope::All, true, 10).await.unwrap().len(), 3);
    assert_eq!(
        c.open_alert_counts().await.unwrap(),
        [
            ("delivery.failing".to_string(), "critical".to_string(), 1),
            ("delivery.failing".to_string(), "warning".to_string(), 1),
            ("disk.low".to_string(), "warning".to_string(), 1),
        ]
    );
    assert_eq!(c.get_alert(Some(a.id), first.id).await.unwrap().map(|x| x.count), Some(2));
    assert_eq!(c.get_alert(Some(b.id), first.id).await.unwrap(), None);
    assert_eq!(c.get_alert(None, system.id).await.unwrap().map(|x| x.id), Some(system.id));

    // Resolved, then raised again: a new alert, new deliveries.
    let end = now + Duration::minutes(5);
    assert!(c.resolve_alert(Some(a.id), "delivery.failing", "dest-1", end).await.unwrap());
    assert!(!c.resolve_alert(Some(a.id), "delivery.failing", "dest-1", end).await.unwrap());
    assert!(!c.resolve_alert(None, "delivery.failing", "dest-1", end).await.unwrap());
    assert_eq!(c.get_alert(None, first.id).await.unwrap().unwrap().resolved_at, Some(end));
    let (reopened, opened) =
        c.raise_alert(raise(Some(a.id), "delivery.failing", "three"), end).await.unwrap();
    assert!(opened && reopened.id != first.id && reopened.count == 1);
    assert_eq!(for_alert(reopened.id).await, [(a_alerts.id, a.id, "alert".to_string())]);
    assert_eq!(c.list_alerts(AlertScope::Tenant(a.id), false, 10).await.unwrap().len(), 2);

    // Raised at once from many places: still one open alert.
    let raises = (0..6).map(|i| c.raise_alert(raise(None, "store.down", &format!("{i}")), end));
    let results = futures::future::join_all(raises).await;
    let opened: Vec<_> = results.into_iter().map(|r| r.unwrap()).filter(|(_, o)| *o).collect();
    assert_eq!(opened.len(), 1);
    let open = c.list_alerts(AlertScope::System, true, 10).await.unwrap();
    let down: Vec<_> = open.iter().filter(|a| a.kind == "store.down").collect();
    assert_eq!((down.len(), down[0].count), (1, 6));
    assert_eq!(for_alert(down[0].id).await.len(), 2);

    let audit = c.audit_events(Some(a.id), 0, 100).await.unwrap();
    let actions: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("alert."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(actions, ["alert.raised", "alert.resolved", "alert.raised"]);

    let mut bad = raise(None, "x", "y");
    bad.severity = "info".into();
    assert!(matches!(c.raise_alert(bad, now).await, Err(CatalogError::Invalid { .. })));
}

async fn named_leases_have_one_holder(c: &dyn Catalog) {
    let ttl = StdDuration::from_secs(30);
    let now = at(12, 0, 0);
    assert!(c.try_lock("amocrm-refresh:1", "a", ttl, now).await.unwrap());
    assert!(!c.try_lock("amocrm-refresh:1", "b", ttl, now + Duration::seconds(29)).await.unwrap());
    assert!(c.try_lock("other", "b", ttl, now).await.unwrap());
    // The holder extends it.
    assert!(c.try_lock("amocrm-refresh:1", "a", ttl, now + Duration::seconds(20)).await.unwrap());
    assert!(!c.try_lock("amocrm-refresh:1", "b", ttl, now + Duration::seconds(45)).await.unwrap());
    // Expired, it can be taken.
    assert!(c.try_lock("amocrm-refresh:1", "b", ttl, now + Duration::seconds(50)).await.unwrap());
    c.unlock("amocrm-refresh:1", "a").await.unwrap(); // not a's any more: no effect
    assert!(!c.try_lock("amocrm-refresh:1", "a", ttl, now + Duration::seconds(51)).await.unwrap());
    c.unlock("amocrm-refresh:1", "b").await.unwrap();
    assert!(c.try_lock("amocrm-refresh:1", "a", ttl, now + Duration::seconds(51)).await.unwrap());
}

/// PostgreSQL only: claimers running at once never take the same delivery
/// (`FOR UPDATE SKIP LOCKED`). SQLite has one writer, so there the question
/// does not arise.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_take_each_delivery_once_on_postgres() {
    let Some(db) = postgres().await else { return };
    let c = db.catalog.clone();
    let t = c.create_tenant("acme", "test").await.unwrap();
    let d = c.create_destination(destination(&t, "hook", &[]), "test", at(8, 0, 0)).await.unwrap();
    let total = 500;
    for i in 0..total {
        let due = at(9, 0, 0) + Duration::milliseconds(i);
        c.enqueue_delivery(test_delivery(&t, &d, due), at(8, 0, 0)).await.unwrap();
    }
    let now = at(12, 0, 0);
    // All start at once, each with its own connection, so their claims
    // overlap rather than run one after the other.
    let start = Arc::new(tokio::sync::Barrier::new(4));
    let claimers = (0..4).map(|n| {
        let c = c.clone();
        let start = start.clone();
        tokio::spawn(async move {
            let owner = format!("runner-{n}");
            let mut mine = Vec::new();
            start.wait().await;
            loop {
                let got =
                    c.claim_deliveries(&owner, now, StdDuration::from_secs(600), 7).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                assert!(got.iter().all(|x| x.lease_owner.as_deref() == Some(owner.as_str())));
                mine.extend(got.into_iter().map(|x| x.id));
            }
        })
    });
    let claimers: Vec<_> = claimers.collect(); // spawned now, not one by one below
    let mut counts: HashMap<uuid::Uuid, usize> = HashMap::new();
    let mut per_claimer = Vec::new();
    for handle in claimers {
        let mine = handle.await.unwrap();
        per_claimer.push(mine.len());
        for id in mine {
            *counts.entry(id).or_default() += 1;
        }
    }
    assert_eq!(counts.len(), total as usize, "every delivery claimed ({per_claimer:?})");
    assert!(counts.values().all(|&n| n == 1), "each exactly once");
    assert!(
        c.claim_deliveries("late", now, StdDuration::from_secs(600), 10).await.unwrap().is_empty()
    );
    let stats = c.delivery_stats(now).await.unwrap();
    assert_eq!(stats.by_state, [("webhook".to_string(), DeliveryState::InFlight, total as u64)]);
}

fn event(
    at: DateTime<Utc>,
    kind: &str,
    participant: Option<usize>,
    detail: serde_json::Value,
) -> NewConversationEvent {
    NewConversationEvent { at, kind: kind.into(), participant, detail }
}

async fn events_are_stored_with_their_recording(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let start = at(9, 0, 0);
    let mut new = recording(&t, 1, &[("siprec_group", "g-1")], start, 60);
    new.participants.push(NewParticipant {
        side: Side::External,
        address: Some("+79123456789".into()),
        display_name: None,
        joined_at: start,
        left_at: None,
    });
    new.events = vec![
        event(
            start + Duration::seconds(50),
            "media_gap",
            None,
            serde_json::json!({ "end": start + Duration::seconds(60), "duration_ms": 10_000 }),
        ),
        event(
            start + Duration::seconds(5),
            "dtmf",
            Some(1),
            serde_json::json!({ "digit": "5", "duration_ms": 160 }),
        ),
        event(
            start + Duration::seconds(6),
            "dtmf",
            Some(0),
            serde_json::json!({ "digit": "#", "duration_ms": 200 }),
        ),
    ];
    let rec = created(c.commit_recording(new.clone()).await.unwrap());
    let d = c.conversation(t.id, rec.conversation_id).await.unwrap().unwrap();
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["dtmf", "dtmf", "media_gap"], "in time order");
    assert!(
        d.events
            .iter()
            .all(|e| e.recording_id == Some(rec.id) && e.conversation_id == rec.conversation_id)
    );
    let external = d.participants.iter().find(|p| p.side == Side::External).unwrap();
    let company = d.participants.iter().find(|p| p.side == Side::Company).unwrap();
    assert_eq!(d.events[0].participant_id, Some(external.id));
    assert_eq!(d.events[0].detail["digit"], "5");
    assert_eq!(d.events[0].at, start + Duration::seconds(5));
    assert_eq!(d.events[1].participant_id, Some(company.id));
    assert_eq!(d.events[2].participant_id, None);
    assert_eq!(d.events[2].detail["duration_ms"], 10_000);

    // The same upload again is a duplicate and adds no events.
    assert!(matches!(c.commit_recording(new.clone()).await.unwrap(), CommitOutcome::Existing(_)));
    let again = c.conversation(t.id, rec.conversation_id).await.unwrap().unwrap();
    assert_eq!(again.events.len(), 3);

    // A second recording of the call adds its own, naming the same
    // (merged) participant.
    let mut second = recording(&t, 2, &[("siprec_group", "g-1")], start, 60);
    second.participants[0] = new.participants[1].clone();
    second.events = vec![event(
        start + Duration::seconds(7),
        "dtmf",
        Some(0),
        serde_json::json!({ "digit": "1" }),
    )];
    let rec2 = created(c.commit_recording(second).await.unwrap());
    assert_eq!(rec2.conversation_id, rec.conversation_id);
    let d = c.conversation(t.id, rec.conversation_id).await.unwrap().unwrap();
    assert_eq!(d.events.len(), 4);
    let e = d.events.iter().find(|e| e.recording_id == Some(rec2.id)).unwrap();
    assert_eq!(e.participant_id, Some(external.id));

    // Refused: a participant the recording does not have, a bad kind, a
    // detail that is not an object; nothing is written.
    for bad in [
        event(start, "dtmf", Some(2), serde_json::json!({})),
        event(start, "DTMF digit", None, serde_json::json!({})),
        event(start, "dtmf", None, serde_json::json!("5")),
    ] {
        let mut r = recording(&t, 3, &[("siprec_group", "g-2")], start, 60);
        r.events = vec![bad.clone()];
        let err = c.commit_recording(r).await.unwrap_err();
        assert!(matches!(err, CatalogError::Invalid { .. }), "{bad:?}: {err}");
    }
    // Another tenant sees none of them.
    let other = c.create_tenant("beta", "test").await.unwrap();
    assert!(c.conversation(other.id, rec.conversation_id).await.unwrap().is_none());
}

async fn sessions_without_a_recording_are_accounted_for(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let start = at(11, 0, 0);
    let session = NewEmptySession {
        tenant_id: t.id,
        session_key: "siprec:one".into(),
        conversation: ConversationHints {
            external_ids: vec![
                ExternalId::new("siprec_group", "g-empty"),
                ExternalId::new("sip_call_id", "c-1"),
            ],
            direction: None,
            external_number: Some("+79123456789".into()),
            company_number: Some("201".into()),
            rejoin_window: None,
        },
        participants: vec![
            NewParticipant {
                side: Side::External,
                address: Some("+79123456789".into()),
                display_name: Some("Caller".into()),
                joined_at: start,
                left_at: Some(start + Duration::seconds(30)),
            },
            NewParticipant {
                side: Side::Company,
                address: Some("201".into()),
                display_name: None,
                joined_at: start,
                left_at: Some(start + Duration::seconds(30)),
            },
        ],
        started_at: start,
        ended_at: start + Duration::seconds(30),
        kind: "no_media".into(),
        detail: serde_json::json!({ "reason": "undecodable payload types 98", "packets": 1500 }),
        events: vec![event(
            start + Duration::seconds(3),
            "dtmf",
            Some(0),
            serde_json::json!({ "digit": "9" }),
        )],
        actor: "siprec".into(),
    };
    let EmptySessionOutcome::Created(conv) = c.record_empty_session(session.clone()).await.unwrap()
    else {
        panic!("expected a new session");
    };
    let d = c.conversation(t.id, conv).await.unwrap().unwrap();
    assert!(d.recordings.is_empty());
    assert_eq!(d.participants.len(), 2);
    assert_eq!(d.conversation.started_at, start);
    assert_eq!(d.conversation.ended_at, Some(start + Duration::seconds(30)));
    assert_eq!(d.conversation.external_number.as_deref(), Some("+79123456789"));
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["no_media", "dtmf"]);
    assert_eq!(d.events[0].detail["reason"], "undecodable payload types 98");
    assert_eq!(d.events[0].recording_id, None);
    let caller = d.participants.iter().find(|p| p.side == Side::External).unwrap();
    assert_eq!(d.events[1].participant_id, Some(caller.id));

    // Found by number, and listed as a conversation without a recording.
    let q = ConversationQuery {
        number: Some("8 912 345-67-89".into()),
        limit: 10,
        ..Default::default()
    };
    let page = c.search_conversations(t.id, &q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].conversation.id, conv);
    assert_eq!(page.items[0].recording_count, 0);
    let q = ConversationQuery { has_recording: Some(false), limit: 10, ..Default::default() };
    assert_eq!(c.search_conversations(t.id, &q).await.unwrap().items.len(), 1);

    // Stored again (a retry, recovery): found, nothing written twice.
    assert_eq!(
        c.record_empty_session(session.clone()).await.unwrap(),
        EmptySessionOutcome::Existing(conv)
    );
    assert_eq!(c.conversation(t.id, conv).await.unwrap().unwrap().events.len(), 2);

    // A later session of the same group with audio joins the conversation.
    let rec = created(
        c.commit_recording(recording(
            &t,
            9,
            &[("siprec_group", "g-empty")],
            start + Duration::seconds(40),
            20,
        ))
        .await
        .unwrap(),
    );
    assert_eq!(rec.conversation_id, conv);
    let d = c.conversation(t.id, conv).await.unwrap().unwrap();
    assert_eq!(d.recordings.len(), 1);
    assert_eq!(d.conversation.ended_at, Some(start + Duration::seconds(60)));

    // Audited; invalid sessions are refused.
    let audit = c.audit_events(Some(t.id), 0, 100).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "conversation.session_without_recording"));
    let mut bad = session.clone();
    bad.session_key = String::new();
    assert!(matches!(c.record_empty_session(bad).await, Err(CatalogError::Invalid { .. })));
    let mut bad = session;
    bad.session_key = "siprec:two".into();
    bad.ended_at = start - Duration::seconds(1);
    assert!(matches!(c.record_empty_session(bad).await, Err(CatalogError::Invalid { .. })));
}

// --- retention, legal hold, trash --------------------------------------------

/// A recording of its own call with its own external number.
fn lone_recording(t: &Tenant, n: u64, number: &str, start: DateTime<Utc>) -> NewRecording {
    let call = format!("call-{n}");
    let mut r = recording(t, n, &[("asterisk_linkedid", call.as_str())], start, 10);
    r.conversation.external_number = Some(number.into());
    r.participants[0].address = Some(format!("20{n}"));
    r
}

fn cli_cause() -> TrashCause {
    TrashCause { by: "cli".into(), actor: "test".into() }
}

async fn actions(c: &dyn Catalog, t: &Tenant) -> Vec<String> {
    c.audit_events(Some(t.id), 0, 1000).await.unwrap().into_iter().map(|e| e.action).collect()
}

async fn retention_rules_are_per_tenant_and_audited(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("beta", "test").await.unwrap();
    let now = at(12, 0, 0);
    let bad = NewRetentionRule {
        tenant_id: t.id,
        days: 0,
        direction: None,
        number_prefix: None,
        source: None,
    };
    assert!(matches!(
        c.create_retention_rule(bad.clone(), "test", now).await,
        Err(CatalogError::Invalid { .. })
    ));
    let no_digits = NewRetentionRule { days: 30, number_prefix: Some("+-".into()), ..bad.clone() };
    assert!(matches!(
        c.create_retention_rule(no_digits, "test", now).await,
        Err(CatalogError::Invalid { .. })
    ));
    let rule = c
        .create_retention_rule(
            NewRetentionRule {
                days: 90,
                direction: Some(Direction::Outbound),
                number_prefix: Some("+7 495".into()),
                source: Some(RecordingSource::Siprec),
                ..bad.clone()
            },
            "cli",
            now,
        )
        .await
        .unwrap();
    assert_eq!(rule.number_prefix.as_deref(), Some("7495"), "kept as digits");
    assert_eq!(rule.direction, Some(Direction::Outbound));
    assert_eq!(rule.source, Some(RecordingSource::Siprec));
    let second = c
        .create_retention_rule(NewRetentionRule { days: 365, ..bad.clone() }, "cli", now)
        .await
        .unwrap();
    let theirs = c
        .create_retention_rule(
            NewRetentionRule { tenant_id: other.id, days: 7, ..bad.clone() },
            "cli",
            now,
        )
        .await
        .unwrap();
    let mine: Vec<_> =
        c.list_retention_rules(Some(t.id)).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(mine, [rule.id, second.id]);
    assert_eq!(c.list_retention_rules(None).await.unwrap().len(), 3);
    // A tenant cannot remove another's rule.
    assert!(!c.delete_retention_rule(Some(t.id), theirs.id, "test").await.unwrap());
    assert!(c.delete_retention_rule(Some(t.id), rule.id, "test").await.unwrap());
    assert!(!c.delete_retention_rule(None, rule.id, "test").await.unwrap());
    assert_eq!(c.list_retention_rules(Some(t.id)).await.unwrap().len(), 1);
    let log = actions(c, &t).await;
    assert_eq!(log.iter().filter(|a| *a == "retention.rule_created").count(), 2);
    assert_eq!(log.iter().filter(|a| *a == "retention.rule_deleted").count(), 1);
}

async fn holds_keep_recordings_from_the_trash(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let old = at(8, 0, 0);
    let a =
        created(c.commit_recording(lone_recording(&t, 1, "+7 900 000-00-01", old)).await.unwrap());
    let b =
        created(c.commit_recording(lone_recording(&t, 2, "8 900 000 00 02", old)).await.unwrap());
    let d =
        created(c.commit_recording(lone_recording(&t, 3, "+7 900 000-00-03", old)).await.unwrap());
    let now = at(12, 0, 0);
    let on_a = c
        .create_hold(
            NewHold {
                tenant_id: t.id,
                scope: HoldScope::Conversation { conversation_id: a.conversation_id },
                reason: "case 1".into(),
            },
            "legal",
            now,
        )
        .await
        .unwrap();
    // A number hold, in another notation than the recording's.
    let on_b = c
        .create_hold(
            NewHold {
                tenant_id: t.id,
                scope: HoldScope::number("+79000000002").unwrap(),
                reason: "case 2".into(),
            },
            "legal",
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        c.create_hold(
            NewHold { tenant_id: t.id, scope: HoldScope::Tenant, reason: "  ".into() },
            "legal",
            now
        )
        .await,
        Err(CatalogError::Invalid { .. })
    ));
    assert!(matches!(
        c.create_hold(
            NewHold {
                tenant_id: t.id,
                scope: HoldScope::Conversation { conversation_id: ConversationId::new() },
                reason: "x".into()
            },
            "legal",
            now
        )
        .await,
        Err(CatalogError::NotFound { .. })
    ));
    assert_eq!(c.list_holds(Some(t.id), true).await.unwrap().len(), 2);

    // Held recordings are no candidates, and trashing them is refused in
    // the transaction too.
    let candidates: Vec<_> = c
        .retention_candidates(t.id, now, None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(candidates, [d.id]);
    let outcome = c.trash_recordings(t.id, &[a.id, b.id, d.id], &cli_cause(), now).await.unwrap();
    assert_eq!(outcome.trashed, [d.id]);
    assert_eq!(outcome.held, [a.id, b.id]);
    let whole = c.trash_conversation(t.id, a.conversation_id, &cli_cause(), now).await.unwrap();
    assert!(whole.trashed.is_empty());
    assert_eq!(whole.held, [a.id]);
    assert!(c.recording(t.id, a.id).await.unwrap().is_some());

    // A tenant hold covers everything, trashed recordings' purge included.
    let all = c
        .create_hold(
            NewHold { tenant_id: t.id, scope: HoldScope::Tenant, reason: "audit".into() },
            "legal",
            now,
        )
        .await
        .unwrap();
    assert!(c.purge_due(Some(t.id), now + Duration::days(30), 100).await.unwrap().is_empty());
    assert_eq!(c.begin_purge(d.id, now).await.unwrap(), PurgeStart::Held);
    assert!(c.list_trash(Some(t.id), None, 100).await.unwrap()[0].held);

    for h in [on_a.id, on_b.id, all.id] {
        assert!(c.release_hold(Some(t.id), h, "legal", now).await.unwrap());
    }
    assert!(!c.release_hold(Some(t.id), all.id, "legal", now).await.unwrap(), "released once");
    assert!(c.list_holds(Some(t.id), true).await.unwrap().is_empty());
    assert_eq!(c.list_holds(Some(t.id), false).await.unwrap().len(), 3);
    let outcome = c.trash_recordings(t.id, &[a.id, b.id], &cli_cause(), now).await.unwrap();
    assert_eq!(outcome.trashed, [a.id, b.id]);
    let log = actions(c, &t).await;
    assert_eq!(log.iter().filter(|a| *a == "hold.placed").count(), 3);
    assert_eq!(log.iter().filter(|a| *a == "hold.released").count(), 3);
    assert_eq!(log.iter().filter(|a| *a == "recording.trashed").count(), 3);
}

async fn the_trash_hides_restores_and_purges_in_steps(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let now = catalog_time(Utc::now());
    c.create_destination(
        destination(&t, "hook", &["recording.stored", "conversation.settled"]),
        "test",
        now,
    )
    .await
    .unwrap();
    let start = at(8, 0, 0);
    // Two recordings of one call, and one of another.
    let first = created(
        c.commit_recording(recording(&t, 1, &[("asterisk_linkedid", "one")], start, 10))
            .await
            .unwrap(),
    );
    let second = created(
        c.commit_recording(recording(&t, 2, &[("asterisk_linkedid", "one")], start, 20))
            .await
            .unwrap(),
    );
    let other = created(
        c.commit_recording(lone_recording(&t, 3, "+7 900 111-22-33", start)).await.unwrap(),
    );
    let conv = first.conversation_id;
    let everything = ConversationQuery { limit: 10, ..Default::default() };
    assert_eq!(c.search_conversations(t.id, &everything).await.unwrap().items.len(), 2);
    assert_eq!(c.live_recording_count(t.id).await.unwrap(), 3);

    // One recording trashed: hidden from the conversation and reads; the
    // conversation stays with one recording.
    let cause = TrashCause { by: "key:test".into(), actor: "api_key:test".into() };
    assert_eq!(
        c.trash_recordings(t.id, &[first.id], &cause, now).await.unwrap().trashed,
        [first.id]
    );
    assert!(c.recording(t.id, first.id).await.unwrap().is_none());
    let detail = c.conversation(t.id, conv).await.unwrap().unwrap();
    assert_eq!(detail.recordings.len(), 1);
    let page = c.search_conversations(t.id, &everything).await.unwrap();
    assert_eq!(page.items.iter().find(|s| s.conversation.id == conv).unwrap().recording_count, 1);
    // Trashing again is a no-op.
    assert!(c.trash_recordings(t.id, &[first.id], &cause, now).await.unwrap().trashed.is_empty());

    // The last one: the conversation is trashed and hidden from search, by
    // number too, and its pending deliveries are cancelled.
    c.trash_recordings(t.id, &[second.id], &cause, now).await.unwrap();
    assert!(c.conversation(t.id, conv).await.unwrap().is_none());
    let page = c.search_conversations(t.id, &everything).await.unwrap();
    assert_eq!(
        page.items.iter().map(|s| s.conversation.id).collect::<Vec<_>>(),
        [other.conversation_id]
    );
    let by_number =
        ConversationQuery { number: Some("74951234567".into()), limit: 10, ..Default::default() };
    let page = c.search_conversations(t.id, &by_number).await.unwrap();
    assert_eq!(
        page.items.iter().map(|s| s.conversation.id).collect::<Vec<_>>(),
        [other.conversation_id]
    );
    let pending: Vec<_> = c
        .list_deliveries(Some(t.id), &DeliveryQuery { limit: 100, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.conversation_id == Some(conv) && d.state != DeliveryState::Cancelled)
        .collect();
    assert!(pending.is_empty(), "{pending:?}");
    let trash = c.list_trash(Some(t.id), None, 100).await.unwrap();
    assert_eq!(trash.len(), 2);
    assert_eq!(trash[0].trashed_by, "key:test");
    assert!(!trash[0].purging && !trash[0].held);

    // Restore by the conversation's id brings both back whole.
    let mut restored = c.restore_trashed(Some(t.id), conv.0, "test", now).await.unwrap();
    restored.sort_by_key(|r| r.0);
    let mut both = vec![first.id, second.id];
    both.sort_by_key(|r| r.0);
    assert_eq!(restored, both);
    let detail = c.conversation(t.id, conv).await.unwrap().unwrap();
    assert_eq!(detail.recordings.len(), 2);
    assert_eq!(detail.recordings[0].copies.len(), 1);
    let page = c.search_conversations(t.id, &everything).await.unwrap();
    assert_eq!(page.items.iter().find(|s| s.conversation.id == conv).unwrap().recording_count, 2);
    assert!(matches!(
        c.restore_trashed(Some(t.id), conv.0, "test", now).await,
        Err(CatalogError::NotFound { .. })
    ));

    // Trashed whole, then purged after the grace period, in steps.
    let whole = c.trash_conversation(t.id, conv, &cause, now).await.unwrap();
    assert_eq!(whole.trashed.len(), 2);
    assert!(matches!(
        c.trash_conversation(t.id, conv, &cause, now).await,
        Err(CatalogError::NotFound { .. })
    ));
    assert!(c.purge_due(None, now, 100).await.unwrap().is_empty(), "grace not over");
    let due = c.purge_due(None, now + Duration::seconds(1), 100).await.unwrap();
    assert_eq!(due.len(), 2);
    let PurgeStart::Purge { copies, tenant_id } = c.begin_purge(first.id, now).await.unwrap()
    else {
        panic!("expected a purge")
    };
    assert_eq!(tenant_id, t.id);
    assert_eq!(copies.len(), 1);
    // Once begun: no restore, and it comes back first whatever its age.
    assert!(matches!(
        c.restore_trashed(Some(t.id), first.id.0, "test", now).await,
        Err(CatalogError::Invalid { .. })
    ));
    assert_eq!(c.purge_due(None, start, 100).await.unwrap(), [first.id]);
    assert!(!c.finish_purge(first.id, "test", now).await.unwrap(), "a copy is left");
    c.remove_purged_copy(copies[0].id).await.unwrap();
    c.remove_purged_copy(copies[0].id).await.unwrap(); // again: nothing
    assert!(c.finish_purge(first.id, "test", now).await.unwrap());
    assert!(!c.finish_purge(first.id, "test", now).await.unwrap());
    assert_eq!(c.begin_purge(first.id, now).await.unwrap(), PurgeStart::NotTrashed);
    // The live recording's copies are never removed this way.
    let other_copy = c.list_copies("primary", None, 100).await.unwrap();
    let other_copy = other_copy.iter().find(|k| k.recording_id == other.id).unwrap();
    c.remove_purged_copy(other_copy.id).await.unwrap();
    assert!(
        c.list_copies("primary", None, 100).await.unwrap().iter().any(|k| k.id == other_copy.id)
    );

    let PurgeStart::Purge { copies, .. } = c.begin_purge(second.id, now).await.unwrap() else {
        panic!("expected a purge")
    };
    c.remove_purged_copy(copies[0].id).await.unwrap();
    assert!(c.finish_purge(second.id, "test", now).await.unwrap());
    // The conversation went with its last recording; deliveries included.
    assert!(c.restore_trashed(Some(t.id), conv.0, "test", now).await.is_err());
    let left: Vec<_> = c
        .list_deliveries(Some(t.id), &DeliveryQuery { limit: 100, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.conversation_id == Some(conv))
        .collect();
    assert!(left.is_empty());
    assert_eq!(c.totals().await.unwrap().recordings, 1);
    assert!(c.list_trash(Some(t.id), None, 100).await.unwrap().is_empty());
    let log = actions(c, &t).await;
    for action in [
        "conversation.trashed",
        "recording.restored",
        "recording.purge_started",
        "recording.purged",
    ] {
        assert!(log.iter().any(|a| a == action), "{action} in {log:?}");
    }
    assert_eq!(log.iter().filter(|a| *a == "recording.purged").count(), 2);

    // A conversation without recordings (a session without audio) trashed
    // whole is purged on its own.
    let empty = NewEmptySession {
        tenant_id: t.id,
        session_key: "s1".into(),
        conversation: ConversationHints {
            external_ids: vec![ExternalId::new("siprec_group", "g1")],
            direction: Some(Direction::Inbound),
            external_number: Some("+7 900 555-55-55".into()),
            company_number: None,
            rejoin_window: None,
        },
        participants: vec![],
        started_at: start,
        ended_at: start + Duration::seconds(5),
        kind: "no_media".into(),
        detail: serde_json::json!({ "reason": "none" }),
        events: vec![],
        actor: "test".into(),
    };
    let EmptySessionOutcome::Created(silent) = c.record_empty_session(empty).await.unwrap() else {
        panic!("expected a new conversation")
    };
    assert!(c.trash_conversation(t.id, silent, &cause, now).await.unwrap().trashed.is_empty());
    assert_eq!(c.purge_empty_conversations(now, "test", 100).await.unwrap(), 0, "grace not over");
    assert_eq!(
        c.purge_empty_conversations(now + Duration::seconds(1), "test", 100).await.unwrap(),
        1
    );
    assert!(c.conversation(t.id, silent).await.unwrap().is_none());
}

async fn the_guard_confirmation_and_trash_stats(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let now = at(12, 0, 0);
    assert_eq!(c.retention_confirmation(t.id).await.unwrap(), None);
    c.confirm_retention_run(t.id, 40, "ops", now).await.unwrap();
    c.confirm_retention_run(t.id, 50, "ops", now).await.unwrap();
    assert_eq!(c.retention_confirmation(t.id).await.unwrap(), Some(50));
    c.consume_retention_confirmation(t.id).await.unwrap();
    assert_eq!(c.retention_confirmation(t.id).await.unwrap(), None);
    assert!(matches!(
        c.confirm_retention_run(ghost().id, 1, "ops", now).await,
        Err(CatalogError::NotFound { .. })
    ));
    let r = created(
        c.commit_recording(lone_recording(&t, 1, "+7 900 000-00-01", at(8, 0, 0))).await.unwrap(),
    );
    // A hold on another number: counted, and it does not cover `r`.
    c.create_hold(
        NewHold {
            tenant_id: t.id,
            scope: HoldScope::number("+1 555 0100").unwrap(),
            reason: "x".into(),
        },
        "legal",
        now,
    )
    .await
    .unwrap();
    c.trash_recordings(t.id, &[r.id], &cli_cause(), now).await.unwrap();
    let stats = c.trash_stats().await.unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].trashed_recordings, 1);
    assert_eq!(stats[0].trashed_bytes, r.size_bytes);
    assert_eq!(stats[0].holds_in_force, 1);
    assert_eq!(c.live_recording_count(t.id).await.unwrap(), 0);
    assert!(actions(c, &t).await.iter().any(|a| a == "retention.guard_confirmed"));
}

// --- capacity and scrubbing (migration 0008) --------------------------------

contract!(@more capacity_contract;
    usage_is_summed_and_samples_kept_per_day,
    scrub_passes_keep_their_cursor_and_findings,
);

async fn usage_is_summed_and_samples_kept_per_day(c: &dyn Catalog) {
    let a = c.create_tenant("acme", "test").await.unwrap();
    let b = c.create_tenant("beta", "test").await.unwrap();
    for i in 0..3 {
        created(c.commit_recording(recording(&a, i, &[], at(9, i as u32, 0), 10)).await.unwrap());
    }
    created(c.commit_recording(recording(&b, 7, &[], at(9, 10, 0), 10)).await.unwrap());
    let usage = c.storage_usage().await.unwrap();
    let of = |t: &Tenant| usage.iter().find(|u| u.tenant_id == t.id).unwrap().clone();
    assert_eq!(usage.len(), 2);
    assert_eq!((of(&a).store.as_str(), of(&a).copies, of(&a).bytes), ("primary", 3, 3003));
    assert_eq!((of(&b).copies, of(&b).bytes), (1, 1007));

    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let sample = |d: u32, tenant: Option<TenantId>, used: u64| StorageSample {
        store: "primary".into(),
        tenant_id: tenant,
        day: day(d),
        used_bytes: used,
        copies: used / 10,
        sampled_at: at(12, 0, 0),
    };
    for (d, used) in [(1, 100), (2, 200), (3, 300)] {
        c.record_storage_sample(&sample(d, None, used)).await.unwrap();
    }
    // A later sample of the same day replaces it; a tenant's are its own.
    c.record_storage_sample(&sample(3, None, 350)).await.unwrap();
    c.record_storage_sample(&sample(3, Some(a.id), 42)).await.unwrap();
    let whole = c.storage_samples("primary", None, day(2)).await.unwrap();
    assert_eq!(
        whole.iter().map(|s| (s.day, s.used_bytes)).collect::<Vec<_>>(),
        [(day(2), 200), (day(3), 350)]
    );
    assert_eq!(whole[1].sampled_at, at(12, 0, 0));
    let mine = c.storage_samples("primary", Some(a.id), day(1)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].used_bytes, mine[0].tenant_id), (42, Some(a.id)));
    assert!(c.storage_samples("primary", Some(b.id), day(1)).await.unwrap().is_empty());
    assert!(c.storage_samples("offsite", None, day(1)).await.unwrap().is_empty());
}

async fn scrub_passes_keep_their_cursor_and_findings(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let mut recs = Vec::new();
    for i in 0..4 {
        recs.push(created(
            c.commit_recording(recording(&t, i, &[], at(9, i as u32, 0), 10)).await.unwrap(),
        ));
    }
    // The walk: every copy with its tenant, in key order, after a cursor.
    let first = c.scrub_copies("primary", "", 3).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|tc| tc.tenant_id == t.id));
    let rest = c.scrub_copies("primary", &first[2].copy.object_key, 3).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(c.scrub_copies("offsite", "", 3).await.unwrap().is_empty());

    let mut run = ScrubRun::start("primary", 4, at(10, 0, 0));
    c.save_scrub_run(&run).await.unwrap();
    // One unfinished pass per store.
    assert!(c.save_scrub_run(&ScrubRun::start("primary", 4, at(10, 0, 1))).await.is_err());
    run.cursor = first[2].copy.object_key.clone();
    run.copies_checked = 3;
    run.bytes_checked = 3003;
    run.damaged = 1;
    run.repaired = 1;
    run.busy_ms = 1500;
    run.updated_at = at(10, 1, 0);
    c.save_scrub_run(&run).await.unwrap();
    let back = c.scrub_runs(Some("primary"), 5).await.unwrap();
    assert_eq!(back, [run.clone()]);
    c.add_scrub_finding(&ScrubFinding {
        run_id: run.id,
        copy_id: first[1].copy.id,
        tenant_id: t.id,
        recording_id: first[1].copy.recording_id,
        store: "primary".into(),
        object_key: first[1].copy.object_key.clone(),
        problem: ScrubProblem::Damaged,
        outcome: ScrubOutcome::Repaired,
        detail: "sha256 differs".into(),
        found_at: at(10, 0, 30),
    })
    .await
    .unwrap();
    run.finished_at = Some(at(10, 2, 0));
    c.save_scrub_run(&run).await.unwrap();
    let next = ScrubRun::start("primary", 4, at(11, 0, 0));
    c.save_scrub_run(&next).await.unwrap();
    let all = c.scrub_runs(None, 5).await.unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [next.id, run.id], "newest first");
    assert!(c.scrub_runs(Some("offsite"), 5).await.unwrap().is_empty());
    let found = c.scrub_findings(run.id).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].problem, found[0].outcome),
        (ScrubProblem::Damaged, ScrubOutcome::Repaired)
    );
    assert_eq!(found[0].found_at, at(10, 0, 30));
    assert!(c.scrub_findings(next.id).await.unwrap().is_empty());
}

// --- storage lifecycle ----------------------------------------------------

mod storage_lifecycle {
    use super::*;

    contract!(
        storage_copies_are_added_and_removed_in_two_phases,
        storage_policies_are_per_tenant_and_audited,
    );
}

fn new_copy(rec: &Recording, store: &str, owner: &str) -> NewCopy {
    NewCopy {
        tenant_id: rec.tenant_id,
        recording_id: rec.id,
        store: store.into(),
        object_key: rec.object_key.clone(),
        size_bytes: rec.size_bytes,
        sha256: rec.sha256.clone(),
        reason: "replicate".into(),
        owner: owner.into(),
    }
}

async fn storage_copies_are_added_and_removed_in_two_phases(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    let rec = created(c.commit_recording(recording(&t, 1, &[], at(9, 0, 0), 10)).await.unwrap());
    let now = Utc::now();
    // A copy is recorded only while its writer's pending row is there.
    assert!(matches!(
        c.add_copy(new_copy(&rec, "offsite", "job1"), "storage", now).await,
        Err(CatalogError::Conflict { .. })
    ));
    let pending = PendingObject {
        store: "offsite".into(),
        object_key: rec.object_key.clone(),
        owner: "job1".into(),
        tenant_id: t.id,
        created_at: catalog_time(now),
    };
    c.add_pending_object(&pending).await.unwrap();
    assert!(matches!(
        c.add_copy(new_copy(&rec, "offsite", "job2"), "storage", now).await,
        Err(CatalogError::Conflict { .. })
    ));
    let added = c.add_copy(new_copy(&rec, "offsite", "job1"), "storage", now).await.unwrap();
    assert!(added.counts());
    assert!(c.pending_objects().await.unwrap().is_empty(), "the pending row went with it");
    // Recorded again (a job that died after its commit): the same copy.
    let again = c.add_copy(new_copy(&rec, "offsite", "job1"), "storage", now).await.unwrap();
    assert_eq!(again.copy.id, added.copy.id);
    // Another tenant's view finds nothing; its add is refused.
    assert!(c.recording_copies(other.id, rec.id).await.unwrap().is_empty());
    let mut foreign = new_copy(&rec, "archive", "job1");
    foreign.tenant_id = other.id;
    assert!(matches!(
        c.add_copy(foreign, "storage", now).await,
        Err(CatalogError::NotFound { .. })
    ));
    let copies = c.recording_copies(t.id, rec.id).await.unwrap();
    assert_eq!(copies.len(), 2);
    let primary = copies.iter().find(|c| c.copy.store == "primary").unwrap().copy.id;
    let offsite = added.copy.id;
    // Removing the primary copy needs one other verified copy on offsite.
    assert!(!c.begin_copy_delete(primary, 2, &[], "storage", "tier", now).await.unwrap());
    assert!(
        !c.begin_copy_delete(primary, 1, &["archive".into()], "storage", "tier", now)
            .await
            .unwrap()
    );
    assert!(
        c.begin_copy_delete(primary, 1, &["offsite".into()], "storage", "tier", now).await.unwrap()
    );
    // While marked, it no longer counts: the offsite copy cannot go too.
    assert!(!c.begin_copy_delete(offsite, 1, &[], "storage", "tier", now).await.unwrap());
    let marked = c.deleting_copies(10).await.unwrap();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].copy.id, primary);
    let scan = c.storage_scan(None, None, 10).await.unwrap();
    assert_eq!(scan.len(), 1);
    assert_eq!(scan[0].copies.iter().filter(|c| c.counts()).count(), 1);
    assert_eq!(c.copy_histogram().await.unwrap(), vec![(1, 1)]);
    assert!(c.finish_copy_delete(primary, "storage").await.unwrap());
    assert!(!c.finish_copy_delete(primary, "storage").await.unwrap());
    assert!(c.deleting_copies(10).await.unwrap().is_empty());
    assert!(c.storage_scan(Some(other.id), None, 10).await.unwrap().is_empty());
    let actions: Vec<String> =
        c.audit_events(Some(t.id), 0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    for want in ["copy.added", "copy.deleting", "copy.deleted"] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
}

async fn storage_policies_are_per_tenant_and_audited(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    assert_eq!(c.storage_policy(t.id).await.unwrap(), None);
    let policy = StoragePolicy {
        copies: 2,
        stores: vec!["primary".into(), "offsite".into()],
        tier: Some(TierRule { after_days: 30, from: "primary".into(), to: "archive".into() }),
        alert_after_secs: 600,
    };
    c.set_storage_policy(t.id, Some(&policy), "admin", Utc::now()).await.unwrap();
    assert_eq!(c.storage_policy(t.id).await.unwrap(), Some(policy.clone()));
    assert_eq!(c.storage_policy(other.id).await.unwrap(), None);
    let bad = StoragePolicy { copies: 3, ..policy.clone() };
    assert!(matches!(
        c.set_storage_policy(t.id, Some(&bad), "admin", Utc::now()).await,
        Err(CatalogError::Invalid { .. })
    ));
    assert!(matches!(
        c.set_storage_policy(TenantId(uuid::Uuid::now_v7()), Some(&policy), "admin", Utc::now())
            .await,
        Err(CatalogError::NotFound { .. })
    ));
    let untiered = StoragePolicy { tier: None, ..policy.clone() };
    c.set_storage_policy(t.id, Some(&untiered), "admin", Utc::now()).await.unwrap();
    assert_eq!(c.list_storage_policies().await.unwrap(), vec![(t.id, untiered)]);
    c.set_storage_policy(t.id, None, "admin", Utc::now()).await.unwrap();
    assert_eq!(c.storage_policy(t.id).await.unwrap(), None);
    let actions: Vec<String> =
        c.audit_events(Some(t.id), 0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "storage_policy.set").count(), 2);
    assert!(actions.iter().any(|a| a == "storage_policy.reset"));
}

// --- encryption at rest ------------------------------------------------------

fn encrypted(mut new: NewRecording, key_id: &str, n: u64) -> NewRecording {
    new.encryption = Some(NewRecordingKey {
        master_key_id: key_id.into(),
        wrapped_key: vec![n as u8; 61],
        stored_size: new.size_bytes + 36,
        stored_sha256: sha(n + 1_000_000),
    });
    new
}

async fn encrypted_recordings_keep_their_wrapped_key_and_stored_bytes_on_the_copy(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    assert_eq!(c.register_master_key("k1", "aa", at(9, 0, 0)).await.unwrap(), "aa");
    let plain = created(c.commit_recording(recording(&t, 1, &[], at(9, 0, 0), 10)).await.unwrap());
    let new = encrypted(recording(&t, 2, &[], at(9, 1, 0), 10), "k1", 2);
    let rec = created(c.commit_recording(new).await.unwrap());
    // The recording describes the audio, the copy the stored ciphertext.
    assert_eq!((rec.size_bytes, rec.sha256.as_str()), (1002, sha(2).as_str()));
    let copies = c.list_copies("primary", None, 10).await.unwrap();
    let copy = copies.iter().find(|k| k.recording_id == rec.id).unwrap();
    assert_eq!((copy.size_bytes, copy.sha256.clone()), (1002 + 36, sha(1_000_002)));
    let plain_copy = copies.iter().find(|k| k.recording_id == plain.id).unwrap();
    assert_eq!((plain_copy.size_bytes, plain_copy.sha256.clone()), (1001, sha(1)));
    let key = c.recording_key(t.id, rec.id).await.unwrap().unwrap();
    assert_eq!((key.master_key_id.as_str(), key.wrapped_key.clone()), ("k1", vec![2u8; 61]));
    assert_eq!(key.tenant_id, t.id);
    assert!(c.recording_key(t.id, plain.id).await.unwrap().is_none());
    assert!(c.recording_key(other.id, rec.id).await.unwrap().is_none(), "tenant filtered");
    // A key id the catalog does not know is refused with the whole commit.
    let unknown = encrypted(recording(&t, 3, &[], at(9, 2, 0), 10), "nope", 3);
    let unknown_id = unknown.id;
    assert!(c.commit_recording(unknown).await.is_err());
    assert!(c.recording(t.id, unknown_id).await.unwrap().is_none());
    let mut bad = encrypted(recording(&t, 4, &[], at(9, 3, 0), 10), "k1", 4);
    bad.encryption.as_mut().unwrap().stored_sha256 = "xyz".into();
    assert!(matches!(c.commit_recording(bad).await, Err(CatalogError::Invalid { .. })));
}

async fn tenants_switch_encryption_on_and_off(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let u = c.create_tenant("umbrella", "test").await.unwrap();
    assert!(!c.tenant_encryption(t.id).await.unwrap());
    c.set_tenant_encryption(t.id, true, "admin", at(9, 0, 0)).await.unwrap();
    c.set_tenant_encryption(t.id, true, "admin", at(9, 0, 1)).await.unwrap();
    assert!(c.tenant_encryption(t.id).await.unwrap());
    assert!(!c.tenant_encryption(u.id).await.unwrap());
    assert_eq!(c.encrypted_tenants().await.unwrap(), vec![t.id]);
    c.set_tenant_encryption(t.id, false, "admin", at(9, 0, 2)).await.unwrap();
    assert!(!c.tenant_encryption(t.id).await.unwrap());
    assert!(c.encrypted_tenants().await.unwrap().is_empty());
    assert!(matches!(
        c.set_tenant_encryption(TenantId::new(), true, "admin", at(9, 0, 3)).await,
        Err(CatalogError::NotFound { .. })
    ));
    let actions: Vec<String> =
        c.audit_events(Some(t.id), 0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "encryption.enabled").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "encryption.disabled").count(), 1);
}

async fn master_keys_keep_their_check_value_and_count_their_data_keys(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    assert!(c.master_keys().await.unwrap().is_empty());
    assert_eq!(c.register_master_key("k1", "c1", at(9, 0, 0)).await.unwrap(), "c1");
    // A second registration under the same id keeps the first value: the
    // caller compares and reports a wrong key.
    assert_eq!(c.register_master_key("k1", "other", at(9, 0, 1)).await.unwrap(), "c1");
    c.register_master_key("k2", "c2", at(9, 0, 2)).await.unwrap();
    for n in 0..3 {
        let new = encrypted(recording(&t, n, &[], at(9, n as u32, 0), 10), "k1", n);
        created(c.commit_recording(new).await.unwrap());
    }
    let keys = c.master_keys().await.unwrap();
    let view: Vec<(&str, &str, u64)> =
        keys.iter().map(|k| (k.id.as_str(), k.check_value.as_str(), k.data_keys)).collect();
    assert_eq!(view, vec![("k1", "c1", 3), ("k2", "c2", 0)]);
    assert_eq!(keys[0].created_at, at(9, 0, 0));
}

async fn rotation_rewraps_only_keys_still_under_the_old_master_key(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    c.register_master_key("k1", "c1", at(9, 0, 0)).await.unwrap();
    c.register_master_key("k2", "c2", at(9, 0, 0)).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        let key = if n == 4 { "k2" } else { "k1" };
        let new = encrypted(recording(&t, n, &[], at(9, n as u32, 0), 10), key, n);
        ids.push(created(c.commit_recording(new).await.unwrap()).id);
    }
    // Paged by recording id.
    let first = c.recording_keys_not_under("k2", None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = c.recording_keys_not_under("k2", Some(first[1].recording_id), 10).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(first[1].recording_id < rest[0].recording_id);
    let rewrap = |k: &RecordingKey, from: &str| Rewrap {
        recording_id: k.recording_id,
        from_key_id: from.into(),
        to_key_id: "k2".into(),
        wrapped_key: vec![0xee; 61],
    };
    // One row was already re-wrapped by someone else: compare-and-swap skips it.
    let mut batch: Vec<Rewrap> = first.iter().map(|k| rewrap(k, "k1")).collect();
    batch.push(rewrap(&rest[0], "k0"));
    assert_eq!(c.rewrap_recording_keys(&batch, "admin", at(10, 0, 0)).await.unwrap(), 2);
    assert_eq!(
        c.rewrap_recording_keys(&batch, "admin", at(10, 0, 0)).await.unwrap(),
        0,
        "idempotent"
    );
    let left = c.recording_keys_not_under("k2", None, 10).await.unwrap();
    assert_eq!(left.len(), 2);
    let moved = c.recording_key(t.id, first[0].recording_id).await.unwrap().unwrap();
    assert_eq!((moved.master_key_id.as_str(), moved.wrapped_key[0]), ("k2", 0xee));
    let all: Vec<Rewrap> = left.iter().map(|k| rewrap(k, "k1")).collect();
    assert_eq!(c.rewrap_recording_keys(&all, "admin", at(10, 0, 1)).await.unwrap(), 2);
    assert!(c.recording_keys_not_under("k2", None, 10).await.unwrap().is_empty());
    let counts: Vec<u64> = c.master_keys().await.unwrap().iter().map(|k| k.data_keys).collect();
    assert_eq!(counts, vec![0, 5]);
    assert!(c.rewrap_recording_keys(&[], "admin", at(10, 0, 2)).await.unwrap() == 0);
    let actions: Vec<String> =
        c.audit_events(None, 0, 1000).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "encryption.rewrapped"));
}
// --- assurance: the call register and its findings ------------------------------

fn new_call(leg: &str, caller: &str, answered: DateTime<Utc>, talk: u64) -> NewCall {
    NewCall {
        source: "cdr:asterisk_csv".into(),
        leg_key: leg.into(),
        ids: vec![CallRef { kind: "asterisk_linkedid".into(), value: format!("linked-{leg}") }],
        caller: Some(caller.into()),
        callee: Some("101".into()),
        started_at: answered - Duration::seconds(5),
        answered_at: Some(answered),
        ended_at: answered + Duration::seconds(talk as i64),
        talk_secs: talk,
        disposition: "answered".into(),
        conversation_id: None,
        no_audio_reason: None,
        check_at: Some(answered + Duration::seconds(talk as i64 + 60)),
    }
}

fn check(call: &Call, findings: &[(&str, &str)], resolutions: &[(&str, &str)]) -> CallCheck {
    CallCheck {
        tenant_id: call.tenant_id,
        call_id: call.id,
        conversation_id: call.conversation_id,
        recorded: findings.is_empty(),
        copies: findings.is_empty(),
        delivered: findings.is_empty(),
        findings: findings
            .iter()
            .map(|(k, r)| NewFinding {
                kind: k.to_string(),
                reason: r.to_string(),
                detail: serde_json::json!({}),
            })
            .collect(),
        resolutions: resolutions.iter().map(|(k, r)| (k.to_string(), r.to_string())).collect(),
        next_check_at: None,
    }
}

async fn calls_are_registered_once_per_leg(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    let mut unanswered = new_call("3", "+79120000003", at(9, 2, 0), 0);
    unanswered.answered_at = None;
    unanswered.disposition = "no_answer".into();
    let calls = vec![
        new_call("1", "+7 912 345-67-89", at(9, 0, 0), 60),
        new_call("2", "101", at(9, 1, 0), 30),
        unanswered,
    ];
    let first = c.import_calls(t.id, &calls, "test", at(10, 0, 0)).await.unwrap();
    assert_eq!(first, CallImport { inserted: 3, existing: 0 });
    // The same legs again change nothing; another tenant's are its own.
    let again = c.import_calls(t.id, &calls, "test", at(10, 5, 0)).await.unwrap();
    assert_eq!(again, CallImport { inserted: 0, existing: 3 });
    let theirs = c.import_calls(other.id, &calls[..1], "test", at(10, 0, 0)).await.unwrap();
    assert_eq!(theirs.inserted, 1);
    // Only answered calls are due, by their check time, earliest first.
    assert!(c.calls_due(at(9, 1, 59), 10).await.unwrap().is_empty());
    let due = c.calls_due(at(12, 0, 0), 10).await.unwrap();
    assert_eq!(due.len(), 3, "{due:?}");
    assert!(due.iter().all(|k| k.answered_at.is_some()));
    let mine: Vec<&Call> = due.iter().filter(|k| k.tenant_id == t.id).collect();
    assert_eq!(mine.len(), 2);
    let one = mine.iter().find(|k| k.leg_key == "1").unwrap();
    assert_eq!(one.caller_tail.as_deref(), Some("9123456789"));
    assert_eq!(one.ids[0].value, "linked-1");
    assert_eq!(one.talk_secs, 60);
    assert_eq!(one.answered_at, Some(at(9, 0, 0)));
    // Tenant-filtered reads.
    assert!(c.call(t.id, one.id).await.unwrap().is_some());
    assert!(c.call(other.id, one.id).await.unwrap().is_none());
    // Refused: a bad source, a call answered after it ended.
    let mut bad = new_call("9", "1", at(9, 0, 0), 10);
    bad.source = "pbx".into();
    assert!(matches!(
        c.import_calls(t.id, &[bad], "test", at(10, 0, 0)).await,
        Err(CatalogError::Invalid { .. })
    ));
    let mut bad = new_call("9", "1", at(9, 0, 0), 10);
    bad.answered_at = Some(at(11, 0, 0));
    assert!(matches!(
        c.import_calls(t.id, &[bad], "test", at(10, 0, 0)).await,
        Err(CatalogError::Invalid { .. })
    ));
}

async fn call_checks_open_keep_and_resolve_findings(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    c.import_calls(t.id, &[new_call("1", "+79123456789", at(9, 0, 0), 60)], "test", at(10, 0, 0))
        .await
        .unwrap();
    let call = c.calls_due(at(12, 0, 0), 10).await.unwrap().remove(0);
    // A first check opens the finding; a second keeps the same one open.
    let mut first = check(&call, &[("missing", "no recording")], &[]);
    first.next_check_at = Some(at(12, 5, 0));
    let opened = c.record_call_checks(&[first.clone()], at(12, 0, 0)).await.unwrap();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].kind, "missing");
    assert_eq!(opened[0].call_id, Some(call.id));
    let again = c.record_call_checks(&[first], at(12, 5, 0)).await.unwrap();
    assert!(again.is_empty(), "still open: not opened twice");
    let open = c
        .list_findings(
            Some(t.id),
            &FindingQuery { open_only: true, limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].last_seen, at(12, 5, 0));
    assert_eq!(open[0].first_seen, at(12, 0, 0));
    assert!(c.list_findings(Some(other.id), &FindingQuery::default()).await.unwrap().is_empty());
    // Due again at its next check; the verdict sticks.
    let due = c.calls_due(at(12, 5, 0), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].checked_at, Some(at(12, 5, 0)));
    let s = c.assurance_summary(Some(t.id), at(0, 0, 0), at(23, 0, 0)).await.unwrap();
    assert_eq!((s.calls, s.checked, s.recorded), (1, 1, 0));
    assert_eq!(s.open_findings, vec![("missing".to_owned(), 1)]);
    // Fixed: resolved with why, and settled.
    let fixed = check(&due[0], &[], &[("missing", "recording r1 arrived")]);
    assert!(c.record_call_checks(&[fixed], at(12, 10, 0)).await.unwrap().is_empty());
    let all = c
        .list_findings(Some(t.id), &FindingQuery { limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].resolved_at, Some(at(12, 10, 0)));
    assert_eq!(all[0].resolution.as_deref(), Some("recording r1 arrived"));
    assert!(c.calls_due(at(23, 0, 0), 10).await.unwrap().is_empty());
    let s = c.assurance_summary(None, at(0, 0, 0), at(23, 0, 0)).await.unwrap();
    assert_eq!((s.calls, s.checked, s.recorded, s.copies, s.delivered), (1, 1, 1, 1, 1));
    assert!(s.open_findings.is_empty());
    // A new gap later opens a new finding of the same kind.
    let again = check(&due[0], &[("missing", "gone again")], &[]);
    assert_eq!(c.record_call_checks(&[again], at(13, 0, 0)).await.unwrap().len(), 1);
    let (calls, open) = c.assurance_gauges().await.unwrap();
    assert_eq!(calls, 1);
    assert_eq!(open, vec![(t.id, "missing".to_owned(), 1)]);
    // Paging, newest first.
    let page =
        c.list_findings(None, &FindingQuery { limit: 1, ..Default::default() }).await.unwrap();
    assert_eq!(page[0].reason, "gone again");
    let after = FindingCursor { first_seen: page[0].first_seen, id: page[0].id };
    let next = c
        .list_findings(None, &FindingQuery { limit: 1, after: Some(after), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(next[0].reason, "no recording");
    // A bad kind is refused.
    let bad = check(&due[0], &[("lost", "x")], &[]);
    assert!(matches!(
        c.record_call_checks(&[bad], at(13, 0, 0)).await,
        Err(CatalogError::Invalid { .. })
    ));
}

async fn match_candidates_and_facts_are_per_tenant(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    let mut r = recording(&t, 1, &[("asterisk_linkedid", "L1")], at(9, 0, 0), 60);
    r.flags = vec!["cut_by_crash".into()];
    r.events = vec![NewConversationEvent {
        at: at(9, 0, 30),
        kind: "media_gap".into(),
        participant: None,
        detail: serde_json::json!({ "duration_ms": 7000 }),
    }];
    let rec = created(c.commit_recording(r).await.unwrap());
    let theirs = created(
        c.commit_recording(recording(&other, 2, &[("asterisk_linkedid", "L1")], at(9, 0, 0), 60))
            .await
            .unwrap(),
    );
    let found = c
        .call_match_candidates(
            t.id,
            &["L1".into(), "nope".into()],
            &["9123456789".into()],
            at(8, 59, 0),
            at(9, 1, 0),
        )
        .await
        .unwrap();
    assert_eq!(
        found.by_id,
        vec![("asterisk_linkedid".to_owned(), "L1".to_owned(), rec.conversation_id)]
    );
    assert_eq!(found.by_number, vec![("9123456789".to_owned(), rec.conversation_id, at(9, 0, 0))]);
    let outside = c
        .call_match_candidates(t.id, &[], &["9123456789".into()], at(9, 5, 0), at(9, 6, 0))
        .await
        .unwrap();
    assert!(outside.by_number.is_empty());
    let facts =
        c.conversation_facts(t.id, &[rec.conversation_id, theirs.conversation_id]).await.unwrap();
    assert_eq!(facts.len(), 1, "another tenant's conversation is not read");
    let f = &facts[0];
    assert_eq!(f.recordings.len(), 1);
    assert_eq!(f.recordings[0].id, rec.id);
    assert_eq!(f.recordings[0].duration_ms, 60_000);
    assert_eq!(f.recordings[0].verified_copies, 1);
    assert_eq!(f.recordings[0].flags, vec!["cut_by_crash".to_owned()]);
    assert_eq!(f.events.len(), 1);
    assert_eq!(f.events[0].kind, "media_gap");
    assert_eq!(f.events[0].detail["duration_ms"], 7000);
    assert!(f.deliveries.is_empty());
}

async fn orphans_summary_and_cursors(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    let a = created(
        c.commit_recording(recording(&t, 1, &[("asterisk_linkedid", "A")], at(9, 0, 0), 60))
            .await
            .unwrap(),
    );
    let b = created(
        c.commit_recording(recording(&t, 2, &[("asterisk_linkedid", "B")], at(9, 5, 0), 60))
            .await
            .unwrap(),
    );
    created(
        c.commit_recording(recording(&other, 3, &[("asterisk_linkedid", "C")], at(9, 0, 0), 60))
            .await
            .unwrap(),
    );
    assert!(c.cdr_tenants().await.unwrap().is_empty(), "no tenant imports CDRs yet");
    c.import_calls(t.id, &[new_call("1", "+79123456789", at(9, 0, 0), 60)], "test", at(10, 0, 0))
        .await
        .unwrap();
    assert_eq!(c.cdr_tenants().await.unwrap(), vec![t.id]);
    let orphans = c.orphan_candidates(t.id, None, at(23, 0, 0), 10).await.unwrap();
    assert_eq!(orphans.iter().map(|o| o.recording_id).collect::<Vec<_>>(), vec![a.id, b.id]);
    let after = Some((orphans[0].started_at, orphans[0].conversation_id.0));
    let rest = c.orphan_candidates(t.id, after, at(23, 0, 0), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].recording_id, b.id);
    let list: Vec<(OrphanCandidate, NewFinding)> = orphans
        .iter()
        .map(|o| {
            (
                o.clone(),
                NewFinding {
                    kind: "orphan_recording".into(),
                    reason: "no call".into(),
                    detail: serde_json::json!({}),
                },
            )
        })
        .collect();
    assert_eq!(c.record_orphans(t.id, &list, at(12, 0, 0)).await.unwrap().len(), 2);
    assert!(c.record_orphans(t.id, &list, at(12, 1, 0)).await.unwrap().is_empty());
    // A call matching A's conversation resolves A's orphan finding.
    let mut call = c.calls_due(at(23, 0, 0), 10).await.unwrap().remove(0);
    call.conversation_id = Some(a.conversation_id);
    c.record_call_checks(&[check(&call, &[], &[])], at(12, 2, 0)).await.unwrap();
    let open = c
        .list_findings(
            Some(t.id),
            &FindingQuery { open_only: true, limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].recording_id, Some(b.id));
    // A's conversation now has a call: no longer a candidate.
    let orphans = c.orphan_candidates(t.id, None, at(23, 0, 0), 10).await.unwrap();
    assert_eq!(orphans.len(), 1);
    let s = c.assurance_summary(Some(t.id), at(0, 0, 0), at(23, 0, 0)).await.unwrap();
    assert_eq!(s.open_findings, vec![("orphan_recording".to_owned(), 1)]);
    // Cursors.
    assert_eq!(c.assurance_cursor("x").await.unwrap(), None);
    c.set_assurance_cursor("x", at(9, 0, 0), Some(a.id.0)).await.unwrap();
    c.set_assurance_cursor("x", at(9, 5, 0), None).await.unwrap();
    assert_eq!(c.assurance_cursor("x").await.unwrap(), Some((at(9, 5, 0), None)));
}

// --- the console's search filters (migration 0011) ---------------------------

contract!(@more console_search_contract;
    console_filters_by_direction_source_duration_and_flag,
    a_rare_combination_pages_through_the_scan_budget_without_losing_a_match,
);

/// Ids of one search, newest first, paging `limit` at a time to the end.
async fn search_ids(
    c: &dyn Catalog,
    t: &Tenant,
    q: ConversationQuery,
    limit: u32,
) -> Vec<ConversationId> {
    let mut q = ConversationQuery { limit, ..q };
    let mut ids = Vec::new();
    loop {
        let page = c.search_conversations(t.id, &q).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.iter().map(|s| s.conversation.id));
        match page.next {
            Some(cursor) => q.after = Some(cursor),
            None => return ids,
        }
    }
}

async fn console_filters_by_direction_source_duration_and_flag(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let other = c.create_tenant("other", "test").await.unwrap();
    // a: inbound upload 30 s; b: outbound capture 200 s cut by a crash;
    // c: internal SIPREC 90 s plus an upload of 10 s; d: inbound capture
    // 600 s. Started a, b, c, d one minute apart.
    let commit = |n: u64,
                  linkedid: &str,
                  start: DateTime<Utc>,
                  secs: i64,
                  direction: Direction,
                  source: RecordingSource,
                  flags: &[&str]| {
        let mut r = recording(&t, n, &[("asterisk_linkedid", linkedid)], start, secs);
        r.conversation.direction = Some(direction);
        r.source = source;
        r.flags = flags.iter().map(|f| f.to_string()).collect();
        r
    };
    let a = created(
        c.commit_recording(commit(
            1,
            "A",
            at(9, 0, 0),
            30,
            Direction::Inbound,
            RecordingSource::Upload,
            &[],
        ))
        .await
        .unwrap(),
    );
    let b = created(
        c.commit_recording(commit(
            2,
            "B",
            at(9, 1, 0),
            200,
            Direction::Outbound,
            RecordingSource::Capture,
            &["cut_by_crash"],
        ))
        .await
        .unwrap(),
    );
    let c1 = created(
        c.commit_recording(commit(
            3,
            "C",
            at(9, 2, 0),
            90,
            Direction::Internal,
            RecordingSource::Siprec,
            &[],
        ))
        .await
        .unwrap(),
    );
    let c2 = created(
        c.commit_recording(commit(
            4,
            "C",
            at(9, 2, 30),
            10,
            Direction::Internal,
            RecordingSource::Upload,
            &[],
        ))
        .await
        .unwrap(),
    );
    assert_eq!(c1.conversation_id, c2.conversation_id);
    let d = created(
        c.commit_recording(commit(
            5,
            "D",
            at(9, 3, 0),
            600,
            Direction::Inbound,
            RecordingSource::Capture,
            &[],
        ))
        .await
        .unwrap(),
    );
    let b_rec = b.id;
    let (a, b, cc, d) =
        (a.conversation_id, b.conversation_id, c1.conversation_id, d.conversation_id);
    // Another tenant's crash cut and findings never show.
    let mut theirs = recording(&other, 6, &[("asterisk_linkedid", "B")], at(9, 1, 0), 200);
    theirs.flags = vec!["cut_by_crash".into()];
    c.commit_recording(theirs).await.unwrap();

    // Findings through the assurance checks: c incomplete, d undelivered
    // (open); a incomplete, then resolved.
    let calls: Vec<NewCall> = [("1", at(9, 0, 0)), ("2", at(9, 2, 0)), ("3", at(9, 3, 0))]
        .iter()
        .map(|(leg, when)| new_call(leg, "+79123456789", *when, 60))
        .collect();
    c.import_calls(t.id, &calls, "test", at(10, 0, 0)).await.unwrap();
    let mut due = c.calls_due(at(12, 0, 0), 10).await.unwrap();
    due.sort_by_key(|call| call.answered_at);
    assert_eq!(due.len(), 3);
    let with_conversation = |call: &Call, conv: ConversationId, f: &[(&str, &str)]| {
        let mut k = check(call, f, &[]);
        k.conversation_id = Some(conv);
        k
    };
    let checks = vec![
        with_conversation(&due[0], a, &[("incomplete", "short")]),
        with_conversation(&due[1], cc, &[("incomplete", "short")]),
        with_conversation(&due[2], d, &[("undelivered", "not sent")]),
    ];
    assert_eq!(c.record_call_checks(&checks, at(12, 0, 0)).await.unwrap().len(), 3);
    let mut fixed = check(&due[0], &[], &[("incomplete", "complete now")]);
    fixed.conversation_id = Some(a);
    c.record_call_checks(&[fixed], at(12, 5, 0)).await.unwrap();
    let their_call = new_call("9", "+79123456789", at(9, 1, 0), 60);
    c.import_calls(other.id, &[their_call], "test", at(10, 0, 0)).await.unwrap();

    let q = ConversationQuery::default;
    for limit in [1, 50] {
        assert_eq!(search_ids(c, &t, q(), limit).await, vec![d, cc, b, a]);
        let dir = |d| ConversationQuery { direction: Some(d), ..q() };
        assert_eq!(search_ids(c, &t, dir(Direction::Inbound), limit).await, vec![d, a]);
        assert_eq!(search_ids(c, &t, dir(Direction::Outbound), limit).await, vec![b]);
        assert_eq!(search_ids(c, &t, dir(Direction::Internal), limit).await, vec![cc]);
        let src = |s| ConversationQuery { source: Some(s), ..q() };
        assert_eq!(search_ids(c, &t, src(RecordingSource::Upload), limit).await, vec![cc, a]);
        assert_eq!(search_ids(c, &t, src(RecordingSource::Capture), limit).await, vec![d, b]);
        assert_eq!(search_ids(c, &t, src(RecordingSource::Siprec), limit).await, vec![cc]);
        assert!(search_ids(c, &t, src(RecordingSource::Import), limit).await.is_empty());
        // The longest recording counts: c's 10 s upload does not make it short.
        let dur = |min: Option<u64>, max: Option<u64>| ConversationQuery {
            min_duration_ms: min,
            max_duration_ms: max,
            ..q()
        };
        assert_eq!(search_ids(c, &t, dur(Some(90_000), None), limit).await, vec![d, cc, b]);
        assert_eq!(search_ids(c, &t, dur(Some(90_001), None), limit).await, vec![d, b]);
        assert_eq!(search_ids(c, &t, dur(None, Some(90_000)), limit).await, vec![cc, a]);
        assert_eq!(search_ids(c, &t, dur(None, Some(89_999)), limit).await, vec![a]);
        assert_eq!(search_ids(c, &t, dur(Some(60_000), Some(300_000)), limit).await, vec![cc, b]);
        let flag = |f| ConversationQuery { flag: Some(f), ..q() };
        assert_eq!(search_ids(c, &t, flag(ConversationFlag::CutByCrash), limit).await, vec![b]);
        // a's incomplete finding is resolved: only c is incomplete now.
        assert_eq!(search_ids(c, &t, flag(ConversationFlag::Incomplete), limit).await, vec![cc]);
        assert_eq!(search_ids(c, &t, flag(ConversationFlag::Undelivered), limit).await, vec![d]);
        // Combined with each other and with the key-driven filters.
        let number = Some("8 912 345 67 89".to_owned());
        assert_eq!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    number: number.clone(),
                    direction: Some(Direction::Inbound),
                    ..q()
                },
                limit
            )
            .await,
            vec![d, a]
        );
        assert_eq!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    number: number.clone(),
                    flag: Some(ConversationFlag::CutByCrash),
                    ..q()
                },
                limit
            )
            .await,
            vec![b]
        );
        // Flags checked row by row (a key drives).
        for (f, want) in
            [(ConversationFlag::Incomplete, vec![cc]), (ConversationFlag::Undelivered, vec![d])]
        {
            let q = ConversationQuery { number: number.clone(), flag: Some(f), ..q() };
            assert_eq!(search_ids(c, &t, q, limit).await, want);
        }
        assert_eq!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    participant: Some("104".into()),
                    source: Some(RecordingSource::Upload),
                    ..q()
                },
                limit
            )
            .await,
            vec![cc]
        );
        assert_eq!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    flag: Some(ConversationFlag::Undelivered),
                    direction: Some(Direction::Inbound),
                    source: Some(RecordingSource::Capture),
                    min_duration_ms: Some(600_000),
                    ..q()
                },
                limit
            )
            .await,
            vec![d]
        );
        assert!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    flag: Some(ConversationFlag::Undelivered),
                    direction: Some(Direction::Outbound),
                    ..q()
                },
                limit
            )
            .await
            .is_empty()
        );
        assert_eq!(
            search_ids(
                c,
                &t,
                ConversationQuery {
                    flag: Some(ConversationFlag::Incomplete),
                    from: Some(at(9, 2, 0)),
                    to: Some(at(9, 3, 0)),
                    ..q()
                },
                limit
            )
            .await,
            vec![cc]
        );
    }
    // The other tenant sees only its own.
    let theirs = search_ids(
        c,
        &other,
        ConversationQuery { flag: Some(ConversationFlag::CutByCrash), ..q() },
        50,
    )
    .await;
    assert_eq!(theirs.len(), 1);
    assert!(
        search_ids(
            c,
            &other,
            ConversationQuery { flag: Some(ConversationFlag::Incomplete), ..q() },
            50
        )
        .await
        .is_empty()
    );

    // Each item says its longest recording, sources and flags.
    let page = c.search_conversations(t.id, &ConversationQuery { limit: 10, ..q() }).await.unwrap();
    let item = |id| page.items.iter().find(|s| s.conversation.id == id).unwrap();
    assert_eq!(
        (item(cc).duration_ms, item(cc).sources.clone(), item(cc).flags.clone()),
        (
            90_000,
            vec![RecordingSource::Upload, RecordingSource::Siprec],
            vec![ConversationFlag::Incomplete]
        )
    );
    assert_eq!(item(b).flags, vec![ConversationFlag::CutByCrash]);
    assert_eq!(item(b).sources, vec![RecordingSource::Capture]);
    assert_eq!(item(d).flags, vec![ConversationFlag::Undelivered]);
    assert_eq!((item(a).duration_ms, item(a).flags.clone()), (30_000, vec![]));

    // A recording in the trash no longer counts: c's upload goes.
    c.trash_recordings(t.id, &[c2.id], &cli_cause(), at(13, 0, 0)).await.unwrap();
    let uploads = ConversationQuery { source: Some(RecordingSource::Upload), ..q() };
    assert_eq!(search_ids(c, &t, uploads, 50).await, vec![a]);
    let page = c.search_conversations(t.id, &ConversationQuery { limit: 10, ..q() }).await.unwrap();
    let item = page.items.iter().find(|s| s.conversation.id == cc).unwrap();
    assert_eq!(item.sources, vec![RecordingSource::Siprec]);
    assert!(matches!(
        c.search_conversations(
            t.id,
            &ConversationQuery {
                min_duration_ms: Some(10),
                max_duration_ms: Some(5),
                limit: 5,
                ..q()
            }
        )
        .await,
        Err(CatalogError::Invalid { .. })
    ));

    // Flags are search keys that follow the trash: b's crash cut trashed,
    // b is no longer cut by a crash; restored, it is again.
    let crash = || ConversationQuery { flag: Some(ConversationFlag::CutByCrash), ..q() };
    let with_direction = || ConversationQuery { direction: Some(Direction::Outbound), ..crash() };
    c.trash_recordings(t.id, &[b_rec], &cli_cause(), at(13, 1, 0)).await.unwrap();
    assert!(search_ids(c, &t, crash(), 50).await.is_empty());
    c.restore_trashed(Some(t.id), b_rec.0, "test", at(13, 2, 0)).await.unwrap();
    assert_eq!(search_ids(c, &t, crash(), 50).await, vec![b]);
    assert_eq!(search_ids(c, &t, with_direction(), 1).await, vec![b]);
}

// --- console sessions (migration 0010) --------------------------------------

contract!(@more console_sessions;
    console_sessions_live_until_an_end_or_their_key_is_revoked,
    console_sessions_switch_tenant_end_and_are_audited,
);

async fn session_key(c: &dyn Catalog, tenant: Option<&Tenant>, n: u64) -> ApiKey {
    let new = NewApiKey {
        tenant_id: tenant.map(|t| t.id),
        role: if tenant.is_some() { KeyRole::Tenant } else { KeyRole::Admin },
        label: "console".into(),
        prefix: format!("cv_{n}"),
        hash: sha(1000 + n),
    };
    c.create_api_key(new, "test").await.unwrap()
}

fn session(n: u64, key: &ApiKey, start: DateTime<Utc>) -> ConsoleSession {
    ConsoleSession {
        id: sha(2000 + n),
        api_key_id: key.id,
        tenant_id: key.tenant_id,
        csrf_token: format!("csrf-{n}"),
        created_at: start,
        last_seen_at: start,
        idle_expires_at: start + Duration::minutes(60),
        expires_at: start + Duration::hours(12),
    }
}

async fn console_sessions_live_until_an_end_or_their_key_is_revoked(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    let key = session_key(c, Some(&t), 1).await;
    let start = at(9, 0, 0);
    let s = session(1, &key, start);
    c.create_console_session(&s, "test").await.unwrap();
    let (found_key, found) = c.console_session(&s.id, start).await.unwrap().unwrap();
    assert_eq!(found_key, key);
    assert_eq!(found, s);
    assert!(c.console_session(&sha(9999), start).await.unwrap().is_none());
    // The same id twice; a session of a key that does not exist.
    assert!(matches!(
        c.create_console_session(&s, "test").await,
        Err(CatalogError::Conflict { .. })
    ));
    let ghost = ConsoleSession { id: sha(2100), api_key_id: ApiKeyId::new(), ..s.clone() };
    assert!(matches!(
        c.create_console_session(&ghost, "test").await,
        Err(CatalogError::NotFound { .. })
    ));

    // Idle end: gone at it, alive just before; a touch moves it forward.
    let idle_end = start + Duration::minutes(60);
    assert!(c.console_session(&s.id, idle_end - Duration::seconds(1)).await.unwrap().is_some());
    assert!(c.console_session(&s.id, idle_end).await.unwrap().is_none());
    let used = start + Duration::minutes(30);
    c.touch_console_session(&s.id, used, used + Duration::minutes(60)).await.unwrap();
    let (_, touched) = c.console_session(&s.id, idle_end).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, used);
    assert_eq!(touched.idle_expires_at, used + Duration::minutes(60));
    // A touch never moves the idle end back, nor past the absolute end.
    c.touch_console_session(&s.id, used, start).await.unwrap();
    let (_, same) = c.console_session(&s.id, idle_end).await.unwrap().unwrap();
    assert_eq!(same.idle_expires_at, used + Duration::minutes(60));
    let late = start + Duration::hours(11);
    c.touch_console_session(&s.id, late, late + Duration::hours(5)).await.unwrap();
    let (_, capped) = c.console_session(&s.id, late).await.unwrap().unwrap();
    assert_eq!(capped.idle_expires_at, s.expires_at);
    // Absolute end.
    assert!(c.console_session(&s.id, s.expires_at).await.unwrap().is_none());

    // Purge: expired ones and those of revoked keys go, live ones stay.
    let other = session_key(c, Some(&t), 2).await;
    let live = session(2, &key, late);
    let revoked = session(3, &other, late);
    c.create_console_session(&live, "test").await.unwrap();
    c.create_console_session(&revoked, "test").await.unwrap();
    assert!(c.console_session(&revoked.id, late).await.unwrap().is_some());
    c.revoke_api_key(other.id, "test").await.unwrap();
    assert!(c.console_session(&revoked.id, late).await.unwrap().is_none());
    // At 21:00 the first session is past its absolute end (21:00), the
    // second is alive (idle end 21:00 + 1 min after a touch).
    let purge_at = start + Duration::hours(12);
    c.touch_console_session(
        &live.id,
        purge_at - Duration::minutes(59),
        purge_at + Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(c.purge_console_sessions(purge_at).await.unwrap(), 2);
    assert!(c.console_session(&live.id, purge_at).await.unwrap().is_some());
    assert_eq!(c.purge_console_sessions(purge_at).await.unwrap(), 0);
    assert_eq!(c.purge_console_sessions(purge_at + Duration::minutes(1)).await.unwrap(), 1);
    assert!(c.console_session(&live.id, purge_at).await.unwrap().is_none());
}

async fn console_sessions_switch_tenant_end_and_are_audited(c: &dyn Catalog) {
    let a = c.create_tenant("alpha", "test").await.unwrap();
    let b = c.create_tenant("beta", "test").await.unwrap();
    let admin = session_key(c, None, 1).await;
    let start = at(9, 0, 0);
    let s = session(1, &admin, start);
    assert_eq!(s.tenant_id, None);
    let actor = format!("api_key:{}", admin.id);
    c.create_console_session(&s, &actor).await.unwrap();

    c.set_console_session_tenant(&s.id, Some(a.id), &actor).await.unwrap();
    let (_, now_a) = c.console_session(&s.id, start).await.unwrap().unwrap();
    assert_eq!(now_a.tenant_id, Some(a.id));
    c.set_console_session_tenant(&s.id, Some(b.id), &actor).await.unwrap();
    assert_eq!(c.console_session(&s.id, start).await.unwrap().unwrap().1.tenant_id, Some(b.id));
    c.set_console_session_tenant(&s.id, None, &actor).await.unwrap();
    assert_eq!(c.console_session(&s.id, start).await.unwrap().unwrap().1.tenant_id, None);
    assert!(matches!(
        c.set_console_session_tenant(&s.id, Some(TenantId::new()), &actor).await,
        Err(CatalogError::NotFound { .. })
    ));
    assert!(matches!(
        c.set_console_session_tenant(&sha(9999), Some(a.id), &actor).await,
        Err(CatalogError::NotFound { .. })
    ));

    assert!(c.delete_console_session(&s.id, &actor).await.unwrap());
    assert!(c.console_session(&s.id, start).await.unwrap().is_none());
    assert!(!c.delete_console_session(&s.id, &actor).await.unwrap());

    // Sign-in, the switch into a tenant and sign-out are in the audit log,
    // the switch visible to the tenant switched to; never the token.
    let all = c.audit_events(None, 0, 1000).await.unwrap();
    let mine: Vec<_> = all.iter().filter(|e| e.actor == actor).collect();
    let done: Vec<_> = mine.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        done,
        [
            "console_session.created",
            "console_session.tenant_switched",
            "console_session.tenant_switched",
            "console_session.tenant_switched",
            "console_session.ended",
        ]
    );
    assert!(mine.iter().all(|e| e.subject == actor));
    assert!(all.iter().all(|e| !e.detail.to_string().contains(&s.id)));
    assert!(actions(c, &a).await.contains(&"console_session.tenant_switched".to_owned()));
}

/// Filters that leave a few calls in thousands: each page checks at most
/// the scan budget's rows, says how far back it searched when it stopped
/// short, and the pages together hold exactly the matches, in order.
async fn a_rare_combination_pages_through_the_scan_budget_without_losing_a_match(c: &dyn Catalog) {
    let t = c.create_tenant("acme", "test").await.unwrap();
    c.bench_seed(t.id, 12_000, 7).await.unwrap();
    // Everything, through the time index alone (no row checks, no budget).
    let mut all = Vec::new();
    let mut q = ConversationQuery { limit: 1000, ..Default::default() };
    loop {
        let page = c.search_conversations(t.id, &q).await.unwrap();
        assert_eq!(page.searched_back_to, None, "an unfiltered page is never cut short");
        all.extend(page.items);
        match page.next {
            Some(cursor) => q.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(all.len(), 12_000);
    let expect = |keep: &dyn Fn(&ConversationSummary) -> bool| -> Vec<ConversationId> {
        all.iter().filter(|s| keep(s)).map(|s| s.conversation.id).collect()
    };
    let rare = ConversationQuery {
        direction: Some(Direction::Internal),
        source: Some(RecordingSource::Import),
        ..Default::default()
    };
    let with_flag = ConversationQuery {
        direction: Some(Direction::Internal),
        flag: Some(ConversationFlag::Undelivered),
        ..Default::default()
    };
    type Keep = Box<dyn Fn(&ConversationSummary) -> bool>;
    let cases: Vec<(ConversationQuery, Keep)> = vec![
        (
            rare,
            Box::new(|s| {
                s.conversation.direction == Direction::Internal
                    && s.sources.contains(&RecordingSource::Import)
            }),
        ),
        (
            with_flag,
            Box::new(|s| {
                s.conversation.direction == Direction::Internal
                    && s.flags.contains(&ConversationFlag::Undelivered)
            }),
        ),
    ];
    let mut cut_short = 0;
    for (query, keep) in cases {
        let want = expect(keep.as_ref());
        assert!(!want.is_empty(), "the seed has matches for {query:?}");
        let mut q = ConversationQuery { limit: 50, ..query.clone() };
        let mut got = Vec::new();
        loop {
            let page = c.search_conversations(t.id, &q).await.unwrap();
            assert!(page.items.iter().all(&keep), "every item matches {query:?}");
            got.extend(page.items.iter().map(|s| s.conversation.id));
            if let Some(back_to) = page.searched_back_to {
                cut_short += 1;
                assert!(page.items.len() < 50, "only a page that is not full is cut short");
                let next = page.next.expect("a page cut short goes on");
                assert_eq!(next.started_at, back_to);
                assert!(page.items.iter().all(|s| s.conversation.started_at >= back_to));
            }
            match page.next {
                Some(cursor) => q.after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(got, want, "the pages hold exactly the matches of {query:?}, newest first");
    }
    // 12 000 calls, one in about 200 internal imports: the first 3 000
    // checked hold fewer than a page.
    assert!(cut_short >= 2, "the rare search stopped at its budget ({cut_short} pages)");
}
