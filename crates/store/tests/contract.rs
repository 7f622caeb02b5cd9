//! The catalog contract: one suite, run against every backend.
//!
//! SQLite runs on a temporary file. PostgreSQL runs on a fresh database per
//! test, created through `CV_TEST_POSTGRES_URL` (the README's test
//! command starts a server and sets it). Without that variable the
//! PostgreSQL half fails, unless `CV_TEST_SKIP_SERVICES=1` says to skip it
//! on purpose.

use std::sync::Arc;

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
    duplicates_are_found_by_idempotency_key_and_by_content,
    tenants_never_see_each_other,
    search_filters_and_paginates,
    pending_objects_are_cleared_by_commit,
    concurrent_commits_of_one_call_make_one_conversation,
    copies_are_listed_and_verified,
    audit_log_records_every_change,
    invalid_recordings_are_refused,
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
