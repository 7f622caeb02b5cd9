//! Reconciliation against a real catalog (SQLite in a temporary file, and
//! PostgreSQL through `CV_TEST_POSTGRES_URL`): CDR legs of calls whose
//! recordings are complete, missing, short, cut by a crash or undelivered
//! give each finding once, with its kind and reason; the same legs again
//! change nothing; a late recording resolves its finding.

use std::sync::Arc;

use callvault_assurance::cdr::{CdrFormat, CdrLeg, Disposition, LegId};
use callvault_assurance::register::new_call;
use callvault_assurance::{AssuranceSection, Reconciler};
use callvault_model::*;
use callvault_store::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::seconds(s)
}

fn leg(key: &str, linkedid: &str, answered: i64, talk: u64) -> CdrLeg {
    CdrLeg {
        format: CdrFormat::AsteriskCsv,
        leg_key: key.into(),
        ids: vec![LegId { kind: "asterisk_linkedid".into(), value: linkedid.into() }],
        caller: Some("+79123456789".into()),
        callee: Some("101".into()),
        started_at: at(answered - 5),
        answered_at: Some(at(answered)),
        ended_at: at(answered + talk as i64),
        talk_secs: talk,
        disposition: Disposition::Answered,
    }
}

fn recording(
    t: &Tenant,
    n: u64,
    linkedid: &str,
    start: i64,
    ms: u64,
    flags: &[&str],
) -> NewRecording {
    let id = RecordingId::new();
    NewRecording {
        id,
        tenant_id: t.id,
        idempotency_key: None,
        upload_key: format!("{n:064x}"),
        conversation: ConversationHints {
            external_ids: vec![ExternalId::new("asterisk_linkedid", linkedid)],
            ..Default::default()
        },
        participants: vec![],
        source: RecordingSource::Upload,
        format: AudioFormat::Wav,
        codec: "pcm_s16le".into(),
        channels: 1,
        sample_rate: 8000,
        duration_ms: ms,
        size_bytes: 1000,
        sha256: format!("{n:064x}"),
        started_at: at(start),
        ended_at: at(start) + Duration::milliseconds(ms as i64),
        object_key: format!("t/{id}.wav"),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        store: "primary".into(),
        actor: "test".into(),
        settle_at: at(start + 120),
        encryption: None,
        events: vec![],
    }
}

fn section() -> AssuranceSection {
    AssuranceSection { settle_secs: 0, alerts: true, orphan_grace_secs: 0, ..Default::default() }
}

async fn open_findings(c: &dyn Catalog, t: &Tenant) -> Vec<Finding> {
    let q = FindingQuery { open_only: true, limit: 100, ..Default::default() };
    let mut f = c.list_findings(Some(t.id), &q).await.unwrap();
    f.sort_by(|a, b| a.kind.cmp(&b.kind));
    f
}

async fn scenario(catalog: Arc<dyn Catalog>) {
    let c = catalog.as_ref();
    let t = c.create_tenant("acme", "test").await.unwrap();
    // An alert destination, so the debounced alert is queued.
    c.create_destination(
        NewDestination {
            tenant_id: t.id,
            name: "ops".into(),
            kind: "webhook".into(),
            enabled: true,
            events: vec!["alert".into()],
            config: serde_json::json!({ "url": "https://example.com/hook" }),
            secrets: serde_json::json!({ "secret": "whsec_x" }),
            filters: serde_json::json!({}),
            max_age_secs: 3600,
            link_ttl_secs: 3600,
        },
        "test",
        at(0),
    )
    .await
    .unwrap();
    // complete, short (40 of 60 s), cut by a crash, missing, and a recording nobody called.
    for r in [
        recording(&t, 1, "L-ok", 0, 60_000, &[]),
        recording(&t, 2, "L-short", 100, 40_000, &["ended_rtp_timeout"]),
        recording(&t, 3, "L-crash", 200, 30_000, &["cut_by_crash"]),
        recording(&t, 4, "L-orphan", 400, 10_000, &[]),
    ] {
        c.commit_recording(r).await.unwrap();
    }
    let legs = [
        leg("1", "L-ok", 0, 60),
        leg("2", "L-short", 100, 60),
        leg("3", "L-crash", 200, 60),
        leg("4", "L-missing", 300, 60),
    ];
    let calls: Vec<_> = legs.iter().map(|l| new_call(l, std::time::Duration::ZERO)).collect();
    assert_eq!(c.import_calls(t.id, &calls, "test", at(500)).await.unwrap().inserted, 4);

    let r = Reconciler::new(catalog.clone(), section(), None);
    let now = at(1000);
    let outcome = r.run_once(now).await.unwrap();
    assert_eq!((outcome.checked, outcome.opened, outcome.orphans), (4, 3, 1));
    let found = open_findings(c, &t).await;
    let kinds: Vec<(&str, &str)> =
        found.iter().map(|f| (f.kind.as_str(), f.reason.as_str())).collect();
    assert_eq!(kinds.len(), 4, "{kinds:#?}");
    assert!(
        kinds.contains(&(
            "incomplete",
            "the recording covers 40.0 s of 60.0 s talk time: 20.0 s lost; ended by RTP timeout"
        )),
        "{kinds:#?}"
    );
    assert!(kinds.contains(&("incomplete", "cut by crash: 30.0 s lost")), "{kinds:#?}");
    assert!(
        kinds.contains(&("missing", "no recording: no conversation matches this call")),
        "{kinds:#?}"
    );
    assert!(found.iter().any(|f| f.kind == "orphan_recording"), "{kinds:#?}");

    // One alert per kind, however many findings.
    let alerts = c.list_alerts(AlertScope::Tenant(t.id), true, 10).await.unwrap();
    let mut subjects: Vec<_> = alerts.iter().map(|a| a.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(subjects, ["incomplete", "missing", "orphan_recording"]);

    // The same legs again, and another pass: nothing new.
    assert_eq!(c.import_calls(t.id, &calls, "test", at(1100)).await.unwrap().existing, 4);
    let again = r.run_once(at(2000)).await.unwrap();
    assert_eq!(again.opened, 0);
    assert_eq!(open_findings(c, &t).await.len(), 4);
    let s = c.assurance_summary(Some(t.id), at(0), at(3600)).await.unwrap();
    assert_eq!((s.calls, s.checked, s.recorded, s.copies), (4, 4, 1, 3));

    // The missing call's recording arrives: resolved, with why.
    c.commit_recording(recording(&t, 5, "L-missing", 300, 60_000, &[])).await.unwrap();
    r.run_once(at(2000) + Duration::seconds(i64::try_from(section().recheck_secs).unwrap()))
        .await
        .unwrap();
    let q = FindingQuery { limit: 100, ..Default::default() };
    let all = c.list_findings(Some(t.id), &q).await.unwrap();
    let missing = all.iter().find(|f| f.kind == "missing").unwrap();
    assert!(missing.resolved_at.is_some(), "{missing:?}");
    assert!(missing.resolution.as_deref().unwrap().starts_with("recording "), "{missing:?}");
    assert_eq!(open_findings(c, &t).await.len(), 3);
    // Its alert closes once no finding of its kind is open.
    let alerts = c.list_alerts(AlertScope::Tenant(t.id), true, 10).await.unwrap();
    assert!(!alerts.iter().any(|a| a.subject == "missing"), "{alerts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    scenario(open_catalog(&url, 4).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let Ok(admin_url) = std::env::var("CV_TEST_POSTGRES_URL") else {
        if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
            return;
        }
        panic!("CV_TEST_POSTGRES_URL is not set (or set CV_TEST_SKIP_SERVICES=1)");
    };
    let name = format!("cv_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    scenario(open_catalog(&format!("{base}/{name}"), 4).await.unwrap()).await;
}
