//! Assurance through the real binary: the call register (capture, CDRs),
//! reconciliation, `callvault audit`, `GET /v1/assurance`, the alerts.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use callvault_capture::synth::{self, Encap};
use callvault_capture::{PcapWriter, Precision, Timestamp};
use chrono::{DateTime, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An environment whose reconciliation checks calls at once and often.
fn fast_env() -> Env {
    Env::new()
        .with("CALLVAULT_ASSURANCE__SETTLE_SECS", "0")
        .with("CALLVAULT_ASSURANCE__RECHECK_SECS", "1")
        .with("CALLVAULT_ASSURANCE__INTERVAL_SECS", "1")
        .with("CALLVAULT_ASSURANCE__ORPHAN_GRACE_SECS", "0")
        .with("CALLVAULT_DELIVERY__ALLOW_PRIVATE_TARGETS", "true")
        .with("CALLVAULT_DELIVERY__POLL_MILLIS", "100")
}

fn audit_json(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let out = env.cli(&all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind).collect()
}

// --- (a) a capture where one call has no RTP ------------------------------------

struct Capture {
    writer: PcapWriter<Vec<u8>>,
    now_ms: u64,
}

impl Capture {
    fn send(&mut self, src: &str, dst: &str, payload: &[u8]) {
        let (src, dst): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        let (_, frame) = synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, payload));
        self.writer.write_frame(Timestamp::from_nanos(self.now_ms * 1_000_000), &frame).unwrap();
    }

    fn sip(&mut self, src: &str, dst: &str, text: String) {
        self.now_ms += 10;
        self.send(src, dst, text.as_bytes());
    }

    /// `n` A-law packets each way, 20 ms apart.
    fn rtp(&mut self, x: &str, y: &str, n: u16, ssrc: u32) {
        for i in 0..n {
            self.now_ms += 20;
            let payload = [0xd5u8; 160];
            self.send(x, y, &synth::rtp(8, i, u32::from(i) * 160, ssrc, &payload));
            self.send(y, x, &synth::rtp(8, i, u32::from(i) * 160, ssrc + 1, &payload));
        }
    }

    /// Silence on the wire: no packet for `ms`.
    fn idle(&mut self, ms: u64) {
        self.now_ms += ms;
    }
}

/// A whole call: INVITE, 200, ACK, `packets` of RTP each way (none: the
/// line stays silent for as long), BYE.
fn call(
    c: &mut Capture,
    id: &str,
    caller: (&str, &str, &str),
    callee: (&str, &str, &str),
    packets: u16,
) {
    let (a, b) = ((caller.0, caller.1), (callee.0, callee.1));
    let invite = format!("INVITE sip:{}@{} SIP/2.0", b.0, b.1);
    c.sip(caller.1, callee.1, msg(&invite, &headers(id, a, b, "1 INVITE", false), &sdp(caller.2)));
    c.sip(
        callee.1,
        caller.1,
        msg("SIP/2.0 200 OK", &headers(id, a, b, "1 INVITE", true), &sdp(callee.2)),
    );
    let ack = format!("ACK sip:{}@{} SIP/2.0", b.0, b.1);
    c.sip(caller.1, callee.1, msg(&ack, &headers(id, a, b, "1 ACK", true), ""));
    if packets == 0 {
        c.idle(3_000);
    } else {
        c.rtp(caller.2, callee.2, packets, 0xCA11_0000);
    }
    let bye = format!("BYE sip:{}@{} SIP/2.0", b.0, b.1);
    c.sip(caller.1, callee.1, msg(&bye, &headers(id, a, b, "2 BYE", true), ""));
    c.sip(callee.1, caller.1, msg("SIP/2.0 200 OK", &headers(id, a, b, "2 BYE", true), ""));
}

#[test]
fn a_captured_call_without_rtp_is_the_one_missing() {
    let mut c = Capture {
        writer: PcapWriter::new(
            Vec::new(),
            callvault_capture::LinkType::ETHERNET,
            Precision::Micro,
        )
        .unwrap(),
        now_ms: 1_764_000_000_000,
    };
    call(
        &mut c,
        "call-ok-1",
        ("79120000001", "203.0.113.1:5060", "203.0.113.1:20000"),
        ("101", "10.0.0.1:5060", "10.0.0.1:30000"),
        150,
    );
    c.idle(20_000);
    call(
        &mut c,
        "call-silent",
        ("79120000002", "203.0.113.2:5060", "203.0.113.2:20000"),
        ("102", "10.0.0.2:5060", "10.0.0.2:30000"),
        0,
    );
    c.idle(20_000);
    call(
        &mut c,
        "call-ok-3",
        ("79120000003", "203.0.113.3:5060", "203.0.113.3:20000"),
        ("103", "10.0.0.3:5060", "10.0.0.3:30000"),
        150,
    );

    let env = fast_env();
    env.tenant_with_key("acme");
    let pcap = env.data_dir().join("three.pcap");
    std::fs::write(&pcap, c.writer.into_inner().unwrap()).unwrap();
    let out = env.capture_read(&pcap, "acme");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let doc = audit_json(&env, &["--since", "2025-01-01T00:00:00Z", "--tenant", "acme"]);
    assert_eq!(doc["summary"]["calls"], 3, "{doc:#}");
    assert_eq!(doc["summary"]["checked"], 3, "{doc:#}");
    assert_eq!(doc["summary"]["recorded_completely"]["count"], 2, "{doc:#}");
    let all = doc["findings"].as_array().unwrap();
    assert_eq!(all.len(), 1, "exactly one finding: {doc:#}");
    let missing = &all[0];
    assert_eq!(missing["kind"], "missing");
    assert_eq!(missing["reason"], "capture saw no RTP for this call");
    // It is the silent call: its conversation carries that Call-ID.
    let call_id = missing["call_id"].as_str().unwrap();
    let csv =
        env.cli(&["audit", "--format", "csv", "--since", "2025-01-01T00:00:00Z", "--no-reconcile"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(call_id) && csv.contains("capture saw no RTP for this call"), "{csv}");
    let table = env.cli(&["audit", "--since", "2025-01-01T00:00:00Z", "--no-reconcile"]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("recorded completely          2   66.7 %"), "{table}");
    // A second audit changes nothing.
    let again = audit_json(&env, &["--since", "2025-01-01T00:00:00Z"]);
    assert_eq!(again["findings"].as_array().unwrap().len(), 1);
    assert_eq!(again["findings"][0]["id"], missing["id"]);
}

// --- (c), (d), (e): CDRs, a late upload, the alert ---------------------------------

/// CDR legs in callvault's own JSON shape (`cv_json`).
fn legs(now: DateTime<Utc>) -> Value {
    let leg = |key: &str, call_id: &str, caller: &str, ago: i64, talk: i64| {
        let answered = now - chrono::Duration::seconds(ago);
        json!({
            "format": "asterisk_csv",
            "leg_key": key,
            "ids": [{ "kind": "sip_call_id", "value": call_id }],
            "caller": caller,
            "callee": "101",
            "started_at": answered - chrono::Duration::seconds(4),
            "answered_at": answered,
            "ended_at": answered + chrono::Duration::seconds(talk),
            "talk_secs": talk,
            "disposition": "answered",
        })
    };
    let mut unanswered = leg("1700.3", "call-3@pbx", "+79120000003", 200, 0);
    unanswered["answered_at"] = Value::Null;
    unanswered["disposition"] = json!("no_answer");
    json!([
        leg("1700.1", "call-1@pbx", "+79120000001", 120, 1),
        leg("1700.2", "call-2@pbx", "+79120000002", 100, 1),
        unanswered,
    ])
}

async fn upload(url: &str, key: &str, call_id: &str, seed: u64) -> String {
    let meta = json!({ "final": true, "call_id": call_id });
    let rec = upload_stored(url, key, meta, wav(8000, seed)).await;
    rec["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn cdr_calls_without_recordings_are_missing_until_they_arrive() {
    let Some(python) = python() else { return };
    let env = fast_env();
    let key = env.tenant_with_key("acme");
    let receiver = Receiver::start(&python, &env.data_dir().join("hooks.jsonl"), 0);
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    // Alerts go to a webhook.
    let resp = client
        .post(format!("{}/v1/destinations", server.url))
        .bearer_auth(&key)
        .json(&json!({
            "name": "ops-hook", "kind": "webhook", "events": ["alert"],
            "config": { "url": format!("http://127.0.0.1:{}/hook", receiver.port), "timeout_secs": 5 },
            "secrets": { "secret": SECRET },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());

    // One call has its recording already; the other has none.
    upload(&server.url, &key, "call-1@pbx", 1).await;
    let cdrs = serde_json::to_vec(&legs(Utc::now())).unwrap();
    let imported_at = Instant::now();
    let resp = client
        .post(format!("{}/v1/cdrs?format=cv_json", server.url))
        .bearer_auth(&key)
        .body(cdrs.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "legs": 3, "inserted": 3, "existing": 0, "rejected": [] }));

    let report =
        until(&server.url, &key, "/v1/assurance?since=1h", |b| b["summary"]["checked"] == 2).await;
    let found_at = Instant::now();
    assert_eq!(
        report["summary"]["calls"], 2,
        "the unanswered leg is not a call to check: {report:#}"
    );
    assert_eq!(report["summary"]["recorded_completely"]["count"], 1);
    assert_eq!(report["summary"]["recorded_completely"]["percent"], 50.0);
    let missing = report["findings"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{report:#}");
    assert_eq!(missing[0]["kind"], "missing");
    assert_eq!(missing[0]["reason"], "no recording: no conversation matches this call");
    let finding_id = missing[0]["id"].as_str().unwrap().to_owned();
    let first_seen: DateTime<Utc> = missing[0]["first_seen"].as_str().unwrap().parse().unwrap();

    // (e) The alert: its delivery row, and the webhook it became.
    let alert_rows = |b: &Value| -> Vec<Value> {
        b["items"].as_array().unwrap().iter().filter(|d| d["event"] == "alert").cloned().collect()
    };
    let deliveries =
        until(&server.url, &key, "/v1/deliveries", |b| !alert_rows(b).is_empty()).await;
    let queued: DateTime<Utc> =
        alert_rows(&deliveries)[0]["created_at"].as_str().unwrap().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver.records().iter().any(|r| r["body"]["type"] == "alert") {
        assert!(Instant::now() < deadline, "no alert webhook: {:?}", receiver.records());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hook_at = Instant::now();
    println!(
        "time to alert: finding first seen → alert delivery queued {} ms; CDR import → finding \
         visible {} ms; CDR import → alert webhook received {} ms (seen by polling every 100 ms)",
        (queued - first_seen).num_milliseconds(),
        (found_at - imported_at).as_millis(),
        (hook_at - imported_at).as_millis(),
    );
    let alert = receiver.records().into_iter().find(|r| r["body"]["type"] == "alert").unwrap();
    assert!(alert.to_string().contains("assurance_finding"), "{alert:#}");

    // (d) The same CDRs again: nothing new, no second finding.
    let resp = client
        .post(format!("{}/v1/cdrs", server.url))
        .bearer_auth(&key)
        .body(cdrs)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({ "legs": 3, "inserted": 0, "existing": 3, "rejected": [] }));
    let file = env.data_dir().join("cdrs.json");
    std::fs::write(&file, serde_json::to_vec(&legs(Utc::now())).unwrap()).unwrap();
    let out = env.cli(&["cdr", "import", file.to_str().unwrap(), "--tenant", "acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("registered 0, already registered 3"), "{text}");
    let doc = audit_json(&env, &["--since", "1h", "--tenant", "acme"]);
    assert_eq!(doc["summary"]["calls"], 2, "{doc:#}");
    assert_eq!(findings(&doc, "missing").len(), 1, "{doc:#}");

    // The late upload: the finding resolves itself and says why.
    let rec = upload(&server.url, &key, "call-2@pbx", 2).await;
    let report = until(&server.url, &key, "/v1/assurance?since=1h&open=false", |b| {
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == finding_id.as_str() && !f["resolved_at"].is_null())
    })
    .await;
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == finding_id.as_str())
        .unwrap();
    assert_eq!(f["resolution"], format!("recording {rec} arrived"), "{f:#}");
    let open = until(&server.url, &key, "/v1/assurance?since=1h", |b| {
        b["summary"]["recorded_completely"]["count"] == 2
    })
    .await;
    assert!(open["findings"].as_array().unwrap().is_empty(), "{open:#}");
    assert_eq!(open["summary"]["recorded_completely"]["percent"], 100.0);
    // The alert closes once nothing of its kind is open.
    until(&server.url, &key, "/v1/alerts?open=true", |b| {
        !b.as_array().unwrap().iter().any(|a| a["kind"] == "assurance_finding")
    })
    .await;

    // The daily report of today is reachable; the gauges are there.
    let today = Utc::now().date_naive().to_string();
    let (status, daily) =
        get_json(&format!("{}/v1/assurance/daily?date={today}", server.url), &key).await;
    assert_eq!(status, StatusCode::OK, "{daily}");
    assert_eq!(daily["summary"]["calls"], 2);
    let metrics =
        client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("callvault_assurance_calls_total 2"), "{metrics}");
    assert!(metrics.contains("callvault_assurance_findings{kind=\"missing\"} 0"), "{metrics}");
    // Bad input is a clear 400.
    let resp = client
        .post(format!("{}/v1/cdrs?format=nope", server.url))
        .bearer_auth(&key)
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = client
        .post(format!("{}/v1/cdrs", server.url))
        .bearer_auth(&key)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&format!("{}/v1/assurance?since=yesterday", server.url), &key).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

// --- (f) the PBXs' own CDR files: crates/assurance/tests/fixtures/cdr -----------

/// Every fixture call is on 2026-12-01.
const FIXTURE_SINCE: &str = "2026-12-01T00:00:00Z";

fn fixture(rel: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assurance/tests/fixtures/cdr").join(rel);
    path.to_str().unwrap().to_owned()
}

/// A final recording of `secs` seconds described by `meta`.
async fn upload_secs(url: &str, key: &str, mut meta: Value, secs: usize, seed: u64) -> String {
    meta["final"] = json!(true);
    let rec = upload_stored(url, key, meta, wav(secs * 8000, seed)).await;
    rec["id"].as_str().unwrap().to_owned()
}

/// One fixture file (or folder) and what the vault must make of it.
struct Fixture {
    /// `cdr import` arguments after the path: format, time zone, fields...
    args: Vec<String>,
    path: String,
    /// Recordings uploaded before the import: metadata and seconds of audio.
    recordings: Vec<(Value, usize)>,
    /// A webhook destination that cannot be reached (the `undelivered` case).
    unreachable_webhook: bool,
    /// Legs the file holds, and how many of them are answered calls.
    legs: u64,
    answered: u64,
    /// What each rejected row or refused file is reported as.
    rejected: &'static [&'static str],
    /// The findings: kind, the call's talk seconds (-1: the finding's detail
    /// has none), its reason (undelivered: the reason's beginning; the error
    /// text is the OS's).
    findings: Vec<(&'static str, f64, String)>,
}

fn import_fixture(env: &Env, f: &Fixture) -> String {
    let mut args = vec!["cdr", "import", f.path.as_str(), "--tenant", "pbx"];
    args.extend(f.args.iter().map(String::as_str));
    let out = env.cli(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(3),
        "the fixtures hold malformed rows: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for r in f.rejected {
        assert!(text.contains(r), "{r:?} is not reported: {text}");
    }
    text
}

/// The open findings as (kind, talk seconds, reason, id), sorted.
fn finding_rows(doc: &Value) -> Vec<(String, f64, String, String)> {
    let mut rows: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["detail"]["talk_secs"].as_f64().unwrap_or(-1.0),
                f["reason"].as_str().unwrap().to_owned(),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).partial_cmp(&(&b.0, b.1)).unwrap());
    rows
}

async fn run_fixture(f: Fixture) {
    let env = Env::new()
        .with("CALLVAULT_ASSURANCE__SETTLE_SECS", "0")
        .with("CALLVAULT_ASSURANCE__RECHECK_SECS", "1")
        .with("CALLVAULT_ASSURANCE__INTERVAL_SECS", "1")
        // The uploads are seconds old: none is an orphan while the calls
        // that match it wait for their first check.
        .with("CALLVAULT_ASSURANCE__ORPHAN_GRACE_SECS", "3600")
        .with("CALLVAULT_DELIVERY__ALLOW_PRIVATE_TARGETS", "true")
        .with("CALLVAULT_DELIVERY__POLL_MILLIS", "100")
        .with("CALLVAULT_DELIVERY__MAX_AGE_SECS", "1");
    let key = env.tenant_with_key("pbx");
    let server = Server::start(&env);
    if f.unreachable_webhook {
        // A port nobody listens on: every attempt is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/destinations", server.url))
            .bearer_auth(&key)
            .json(&json!({
                "name": "crm-hook", "kind": "webhook", "events": ["conversation.settled"],
                "config": { "url": format!("http://127.0.0.1:{port}/hook"), "timeout_secs": 2 },
                "secrets": { "secret": SECRET },
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    }
    for (i, (meta, secs)) in f.recordings.iter().enumerate() {
        upload_secs(&server.url, &key, meta.clone(), *secs, i as u64 + 1).await;
    }

    let text = import_fixture(&env, &f);
    let summary = format!("legs {}, registered {}, already registered 0", f.legs, f.legs);
    assert!(text.contains(&summary), "{summary:?}: {text}");

    // The server's own reconciliation settles them (undelivered: once the
    // deliveries have outlived their maximum age).
    let path = format!("/v1/assurance?since={FIXTURE_SINCE}");
    until(&server.url, &key, &path, |b| {
        b["summary"]["checked"] == f.answered
            && b["findings"].as_array().unwrap().len() >= f.findings.len()
    })
    .await;

    let doc = audit_json(&env, &["--since", FIXTURE_SINCE, "--tenant", "pbx"]);
    assert_eq!(
        doc["summary"]["calls"], f.answered,
        "unanswered, busy and failed legs are no calls to check: {doc:#}"
    );
    let rows = finding_rows(&doc);
    assert_eq!(rows.len(), f.findings.len(), "{doc:#}");
    // Each finding is about a call of its own.
    let mut calls: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["call_id"].as_str().unwrap())
        .collect();
    calls.sort();
    calls.dedup();
    assert_eq!(calls.len(), rows.len(), "{doc:#}");
    for (row, want) in rows.iter().zip(&f.findings) {
        assert_eq!((row.0.as_str(), row.1), (want.0, want.1), "{doc:#}");
        if row.0 == "undelivered" {
            assert!(row.2.starts_with(&want.2), "{:?} for {want:?}", row.2);
            assert!(row.2.contains("cannot connect"), "{:?}", row.2);
        } else {
            assert_eq!(row.2, want.2, "{doc:#}");
        }
    }

    // The same file again: no new call, no new finding.
    let text = import_fixture(&env, &f);
    let summary = format!("legs {}, registered 0, already registered {}", f.legs, f.legs);
    assert!(text.contains(&summary), "{summary:?}: {text}");
    let again = audit_json(&env, &["--since", FIXTURE_SINCE, "--tenant", "pbx"]);
    assert_eq!(again["summary"]["calls"], f.answered, "{again:#}");
    assert_eq!(finding_rows(&again), rows, "{again:#}");
    let all = audit_json(&env, &["--since", FIXTURE_SINCE, "--tenant", "pbx", "--all"]);
    assert_eq!(all["findings"].as_array().unwrap().len(), rows.len(), "{all:#}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

const NO_RECORDING: &str = "no recording: no conversation matches this call";

#[tokio::test(flavor = "multi_thread")]
async fn asterisk_master_csv_fixture_findings() {
    run_fixture(Fixture {
        path: fixture("asterisk-csv/Master.csv"),
        args: strings(&["--format", "asterisk_csv", "--tz", "+03:00"]),
        recordings: vec![
            // Line 1, by linkedid: the whole 180 s.
            (json!({ "linkedid": "1796108400.1", "started_at": "2026-12-01T07:00:05Z" }), 181),
            // Line 2, the 3 s call: 2 s of audio is within the tolerance.
            (json!({ "linkedid": "1796109000.3", "started_at": "2026-12-01T07:10:12Z" }), 2),
            // Lines 6-8, the transfer: one recording of the whole call.
            (json!({ "linkedid": "1796110800.10", "started_at": "2026-12-01T07:40:03Z" }), 243),
        ],
        unreachable_webhook: false,
        legs: 9,
        answered: 6,
        rejected: &["rejected line 10:", "rejected line 11:", "rejected line 12:"],
        // Line 9: answered, no recording.
        findings: vec![("missing", 600.0, NO_RECORDING.into())],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn asterisk_cdr_custom_fixture_findings() {
    let conf = std::fs::read_to_string(fixture("asterisk-custom/cdr_custom.conf")).unwrap();
    let fields = conf
        .lines()
        .find_map(|l| l.strip_prefix("fields = "))
        .expect("the .conf has a fields line")
        .to_owned();
    let mut args = strings(&["--format", "asterisk_custom", "--tz", "+03:00", "--fields"]);
    args.push(fields);
    run_fixture(Fixture {
        path: fixture("asterisk-custom/Master.csv"),
        args,
        recordings: vec![
            // Line 1, by Call-ID: complete.
            (
                json!({ "call_id": "a84b4c76e66710@pbx2.example.com", "started_at": "2026-12-01T09:00:04Z" }),
                121,
            ),
            // Line 2: 20 s of a 45 s talk.
            (
                json!({ "call_id": "3848276298220188511@carrier.example.net", "started_at": "2026-12-01T09:05:10Z" }),
                20,
            ),
        ],
        unreachable_webhook: false,
        legs: 5,
        answered: 2,
        rejected: &["rejected line 6:", "rejected line 7:"],
        findings: vec![(
            "incomplete",
            45.0,
            "the recording covers 20.0 s of 45.0 s talk time: 25.0 s lost".into(),
        )],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn asterisk_cel_fixture_findings() {
    run_fixture(Fixture {
        path: fixture("asterisk-cel/Master.csv"),
        args: strings(&["--format", "asterisk_custom", "--tz", "+03:00"]),
        // The inbound call (both channels, by linkedid): complete, but its
        // one destination refuses every attempt.
        recordings: vec![(
            json!({ "linkedid": "1796119200.20", "started_at": "2026-12-01T10:00:04Z" }),
            181,
        )],
        unreachable_webhook: true,
        legs: 6,
        answered: 2,
        rejected: &[
            "rejected line 9:",
            "rejected line 22:",
            "rejected line 28:",
            "rejected line 34:",
        ],
        findings: vec![
            // One per leg (the trunk's 179 s, the agent's 180 s): an
            // undelivered finding names the destination, not the talk time.
            ("undelivered", -1.0, "crm-hook (webhook): gave up after ".into()),
            ("undelivered", -1.0, "crm-hook (webhook): gave up after ".into()),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn freeswitch_json_fixture_findings() {
    run_fixture(Fixture {
        path: fixture("freeswitch"),
        args: strings(&["--format", "auto"]),
        recordings: vec![
            // The first call, by its A leg's Call-ID and uuid (the B leg
            // names it as its bridge): complete.
            (
                json!({
                    "call_id": "8d3ab1e2-4c5f-11ef-9b1d-525400123456@198.51.100.10",
                    "external_ids": { "freeswitch_uuid": "3f6c2a90-8f5e-4d6e-9a41-0b1c2d3e4f01" },
                    "started_at": "2026-12-01T11:00:05Z",
                }),
                241,
            ),
            // The transfer, recorded 11:10:02-11:11:30 only: the first agent's
            // leg is covered, the A leg and the second agent's are not.
            (
                json!({
                    "external_ids": { "freeswitch_uuid": "9b2e51c4-0d7a-4c3b-8e6f-1a2b3c4d5a01" },
                    "started_at": "2026-12-01T11:10:02Z",
                }),
                88,
            ),
        ],
        unreachable_webhook: false,
        legs: 8,
        answered: 5,
        rejected: &[
            "broken.cdr.json: cannot read the CDRs",
            "not-a-cdr.json: format not recognised",
        ],
        findings: vec![
            (
                "incomplete",
                204.0,
                "the recording covers 88.0 s of 204.0 s talk time: 116.0 s lost".into(),
            ),
            (
                "incomplete",
                298.0,
                "the recording covers 88.0 s of 298.0 s talk time: 210.0 s lost".into(),
            ),
        ],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generic_csv_fixture_findings() {
    let mapping = fixture("generic/mapping.json");
    run_fixture(Fixture {
        path: fixture("generic/calls.csv"),
        args: strings(&["--format", "generic", "--mapping", &mapping]),
        recordings: vec![
            // cx-1001, by SIPREC group: complete.
            (
                json!({ "external_ids": { "siprec_group": "grp-1001" }, "started_at": "2026-12-01T12:00:06Z" }),
                301,
            ),
            // cx-1002, the 2 s call: no ids, matched by number and time.
            (
                json!({
                    "direction": "outbound",
                    "caller": "502", "callee": "+79161230000",
                    "external_number": "+79161230000", "company_number": "502",
                    "started_at": "2026-12-01T12:10:09Z",
                }),
                2,
            ),
        ],
        unreachable_webhook: false,
        legs: 6,
        answered: 3,
        rejected: &["rejected line 7:", "rejected line 8:", "rejected line 9:"],
        // cx-1008: answered, no recording.
        findings: vec![("missing", 290.0, NO_RECORDING.into())],
    })
    .await;
}
