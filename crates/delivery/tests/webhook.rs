//! The webhook channel against a real receiver: `tests/servers/webhook_receiver.py`
//! verifies every request with the PyPI `standardwebhooks` library, not with
//! callvault's signing code, and is scripted to time out, throttle, fail,
//! redirect or ask to be removed.
//!
//! Needs `CV_TEST_PYTHON` (a Python with `standardwebhooks`), or a `python3`
//! that has it; without one the tests fail, unless `CV_TEST_SKIP_SERVICES=1`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use callvault_delivery::channel::*;
use callvault_delivery::webhook::WebhookChannel;
use callvault_model::*;
use callvault_store::{ConversationDetail, RecordingWithCopies};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

// --- the receiver ------------------------------------------------------------

/// The Python to run test servers with, or None when skipping is allowed.
fn python() -> Option<String> {
    let skip = std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1");
    if let Ok(p) = std::env::var("CV_TEST_PYTHON") {
        return Some(p);
    }
    let ok = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some("python3".into());
    }
    if skip {
        eprintln!("skipping: no Python with standardwebhooks and CV_TEST_SKIP_SERVICES=1");
        return None;
    }
    panic!(
        "CV_TEST_PYTHON is not set and python3 cannot import standardwebhooks \
         (pip install standardwebhooks, or set CV_TEST_SKIP_SERVICES=1)"
    );
}

struct Receiver {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// A receiver that knows `secret`, or None when skipping.
    fn start(secret: &str) -> Option<Receiver> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("deliveries.jsonl");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/servers/webhook_receiver.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--secret", secret, "--log"])
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the webhook receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("webhook receiver did not start: {line:?}"));
        Some(Receiver { child, port, log, _dir: dir })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/callvault", self.port)
    }

    async fn script(&self, rules: Value) {
        let r = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/_control", self.port))
            .json(&json!({ "rules": rules }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    fn records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- a Media, a Checkpoint and a SecretStore -----------------------------------

/// Links signed with a test key; audio is not needed by webhooks.
struct TestMedia;

#[async_trait]
impl Media for TestMedia {
    async fn audio(&self, r: &Recording, _: DeliveryFormat) -> Result<Audio, MediaError> {
        Err(MediaError::Unavailable(format!("no audio for {}", r.id)))
    }
    async fn size_hint(&self, r: &Recording, _: DeliveryFormat) -> Result<u64, MediaError> {
        Ok(r.size_bytes)
    }
    fn link(&self, r: &Recording, format: DeliveryFormat) -> String {
        let fmt = serde_json::to_value(format).unwrap();
        let fmt = fmt.as_str().unwrap();
        let sig = callvault_delivery::webhook::sign(
            b"test link key",
            &r.id.to_string(),
            1,
            fmt.as_bytes(),
        );
        let sig = sig.replace(['+', '/', '='], "_");
        format!("https://vault.example/v1/media/{}.{fmt}?exp=1900000000&sig={sig}", r.id)
    }
}

#[derive(Default)]
struct TestCheckpoint(Mutex<Vec<Value>>);

#[async_trait]
impl Checkpoint for TestCheckpoint {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError> {
        self.0.lock().unwrap().push(progress.clone());
        Ok(())
    }
}

struct TestSecrets(Mutex<Value>);

#[async_trait]
impl SecretStore for TestSecrets {
    async fn load(&self) -> Result<Value, SecretError> {
        Ok(self.0.lock().unwrap().clone())
    }
    async fn replace(&self, expected: &Value, new: &Value) -> Result<bool, SecretError> {
        let mut s = self.0.lock().unwrap();
        if *s != *expected {
            return Ok(false);
        }
        *s = new.clone();
        Ok(true)
    }
    async fn lock(&self, _: Duration) -> Result<bool, SecretError> {
        Ok(true)
    }
    async fn unlock(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

// --- fixtures --------------------------------------------------------------------

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, m, s).unwrap()
}

fn secret(byte: u8) -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode([byte; 32]))
}

fn conversation() -> ConversationDetail {
    let tenant = TenantId::new();
    let conv = Conversation {
        id: ConversationId::new(),
        tenant_id: tenant,
        direction: Direction::Inbound,
        external_number: Some("+493012345678".into()),
        company_number: Some("100".into()),
        started_at: at(10, 0, 0),
        ended_at: Some(at(10, 1, 30)),
        external_ids: vec![],
        created_at: at(10, 0, 0),
        updated_at: at(10, 1, 30),
    };
    let participant = |side, address: &str, joined| Participant {
        id: ParticipantId::new(),
        conversation_id: conv.id,
        side,
        address: Some(address.into()),
        display_name: None,
        joined_at: joined,
        left_at: Some(at(10, 1, 30)),
    };
    let recording = |start, end, flags: Vec<String>| RecordingWithCopies {
        recording: Recording {
            id: RecordingId::new(),
            tenant_id: tenant,
            conversation_id: conv.id,
            participant_id: None,
            source: RecordingSource::Upload,
            format: AudioFormat::Wav,
            channels: 2,
            sample_rate: 8000,
            duration_ms: 45_000,
            size_bytes: 1_440_044,
            sha256: "ab".repeat(32),
            started_at: start,
            ended_at: end,
            object_key: "k".into(),
            flags,
            created_at: end,
        },
        codec: "pcm_s16le".into(),
        copies: vec![],
    };
    ConversationDetail {
        events: Vec::new(),
        participants: vec![
            participant(Side::External, "+493012345678", at(10, 0, 0)),
            participant(Side::Company, "100", at(10, 0, 2)),
        ],
        recordings: vec![
            recording(at(10, 0, 0), at(10, 0, 45), vec!["truncated".into()]),
            recording(at(10, 0, 45), at(10, 1, 30), vec!["gap".into(), "truncated".into()]),
        ],
        conversation: conv,
    }
}

fn job(config: Value, secrets: Value, subject: Subject, event: Event, attempt: u32) -> Job {
    Job {
        delivery_id: Uuid::now_v7(),
        tenant_id: TenantId::new(),
        tenant_name: "acme".into(),
        event,
        attempt,
        created_at: at(10, 5, 0),
        destination: DestinationView {
            id: Uuid::now_v7(),
            name: "crm hook".into(),
            config,
            secrets: secrets.clone(),
        },
        subject,
        progress: Value::Null,
        media: Arc::new(TestMedia),
        checkpoint: Arc::new(TestCheckpoint::default()),
        secrets: Arc::new(TestSecrets(Mutex::new(secrets))),
    }
}

fn conversation_job(url: &str, secrets: Value) -> Job {
    job(
        json!({ "url": url, "timeout_secs": 2 }),
        secrets,
        Subject::Conversation(Box::new(conversation())),
        Event::ConversationSettled,
        1,
    )
}

fn channel() -> WebhookChannel {
    WebhookChannel::new().unwrap()
}

fn retry_error(outcome: &Outcome) -> (&str, Option<Duration>) {
    match outcome {
        Outcome::Retry { error, retry_after, class: RetryClass::Transient } => {
            (error.as_str(), *retry_after)
        }
        other => panic!("expected a transient retry, got {other:?}"),
    }
}

// --- tests -----------------------------------------------------------------------

#[tokio::test]
async fn a_conversation_arrives_signed_and_whole() {
    let Some(rx) = Receiver::start(&secret(1)) else { return };
    let job = conversation_job(&rx.url(), json!({ "secret": secret(1) }));
    let attempt = channel().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: false });
    assert_eq!(attempt.status.as_deref(), Some("HTTP 200"));

    let records = rx.records();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["webhook_id"], job.delivery_id.to_string());
    assert_eq!(r["content_type"], "application/json");
    assert!(r["user_agent"].as_str().unwrap().starts_with("callvault"));
    let body = &r["body"];
    let Subject::Conversation(detail) = &job.subject else { unreachable!() };
    assert_eq!(body["type"], "conversation.settled");
    assert_eq!(body["timestamp"], "2024-05-01T10:05:00.000Z");
    let data = &body["data"];
    assert_eq!(data["conversation"], detail.conversation.id.to_string());
    assert_eq!(data["tenant"]["name"], "acme");
    assert_eq!(data["direction"], "inbound");
    assert_eq!(data["external_number"], "+493012345678");
    assert_eq!(data["duration_ms"], 90_000);
    assert_eq!(data["flags"], json!(["gap", "truncated"]));
    assert_eq!(data["participants"].as_array().unwrap().len(), 2);
    assert_eq!(data["participants"][0]["side"], "external");
    let recs = data["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    let first = &detail.recordings[0].recording;
    assert_eq!(recs[0]["id"], first.id.to_string());
    assert_eq!(recs[0]["sha256"], first.sha256);
    assert_eq!(recs[0]["format"], "wav");
    assert_eq!(recs[0]["links"]["original"], TestMedia.link(first, DeliveryFormat::Original));
    assert_eq!(recs[0]["links"]["mp3"], TestMedia.link(first, DeliveryFormat::Mp3));
    assert!(data.get("recording").is_none());
}

#[tokio::test]
async fn test_and_alert_deliveries_verify_too() {
    let Some(rx) = Receiver::start(&secret(2)) else { return };
    let secrets = json!({ "secret": secret(2) });
    let config = json!({ "url": rx.url() });
    let test = job(config.clone(), secrets.clone(), Subject::Test, Event::Test, 1);
    assert_eq!(channel().deliver(&test).await.outcome, Outcome::Delivered { verified: false });
    let alert = AlertView {
        id: Uuid::now_v7(),
        tenant_id: None,
        kind: "store.unavailable".into(),
        subject: "store primary".into(),
        severity: "critical".into(),
        message: "the store does not answer".into(),
        first_seen: at(9, 0, 0),
        last_seen: at(9, 30, 0),
        count: 4,
        resolved_at: None,
    };
    let alert_job = job(config, secrets, Subject::Alert(alert), Event::SystemAlert, 1);
    assert_eq!(channel().deliver(&alert_job).await.outcome, Outcome::Delivered { verified: false });

    let records = rx.records();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["verified"] == true));
    assert_eq!(records[0]["body"]["type"], "test");
    assert_eq!(records[0]["body"]["data"]["test"], true);
    assert_eq!(records[0]["body"]["data"]["destination"]["name"], "crm hook");
    assert_eq!(records[1]["body"]["type"], "alert.system");
    assert_eq!(records[1]["body"]["data"]["kind"], "store.unavailable");
    assert_eq!(records[1]["body"]["data"]["count"], 4);
}

#[tokio::test]
async fn a_receiver_that_knows_only_the_previous_secret_still_verifies() {
    let (old, new) = (secret(3), secret(4));
    let Some(rx) = Receiver::start(&old) else { return };
    let job = conversation_job(&rx.url(), json!({ "secret": new, "previous_secrets": [old] }));
    let attempt = channel().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: false });
    let records = rx.records();
    assert_eq!(records[0]["verified"], true);
    let sigs: Vec<&str> = records[0]["webhook_signature"].as_str().unwrap().split(' ').collect();
    assert_eq!(sigs.len(), 2);
    assert!(sigs.iter().all(|s| s.starts_with("v1,")));
}

#[tokio::test]
async fn a_signature_the_receiver_rejects_is_dead() {
    let Some(rx) = Receiver::start(&secret(5)) else { return };
    let job = conversation_job(&rx.url(), json!({ "secret": secret(6) }));
    let attempt = channel().deliver(&job).await;
    assert!(matches!(attempt.outcome, Outcome::Dead { .. }), "{attempt:?}");
    assert_eq!(attempt.status.as_deref(), Some("HTTP 400"));
    let records = rx.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["verified"], false);
}

#[tokio::test]
async fn a_scripted_400_is_dead() {
    let Some(rx) = Receiver::start(&secret(7)) else { return };
    rx.script(json!([{ "status": 400 }])).await;
    let attempt =
        channel().deliver(&conversation_job(&rx.url(), json!({ "secret": secret(7) }))).await;
    match &attempt.outcome {
        Outcome::Dead { error } => assert!(error.starts_with("HTTP 400"), "{error}"),
        other => panic!("expected dead, got {other:?}"),
    }
    assert_eq!(rx.records()[0]["verified"], true);
}

#[tokio::test]
async fn a_slow_receiver_is_retried() {
    let Some(rx) = Receiver::start(&secret(8)) else { return };
    rx.script(json!([{ "delay": 4 }])).await;
    let mut job = conversation_job(&rx.url(), json!({ "secret": secret(8) }));
    job.destination.config = json!({ "url": rx.url(), "timeout_secs": 1 });
    let attempt = channel().deliver(&job).await;
    let (error, retry_after) = retry_error(&attempt.outcome);
    assert!(error.contains("no answer within 1 s"), "{error}");
    assert_eq!(retry_after, None);
    assert_eq!(attempt.status, None);
    assert_eq!(rx.records().len(), 1);
}

#[tokio::test]
async fn throttling_passes_retry_after_on() {
    let Some(rx) = Receiver::start(&secret(9)) else { return };
    rx.script(json!([
        { "status": 429, "headers": { "Retry-After": "7" } },
        { "status": 503, "headers": { "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" } },
    ]))
    .await;
    let job = conversation_job(&rx.url(), json!({ "secret": secret(9) }));
    let attempt = channel().deliver(&job).await;
    assert_eq!(retry_error(&attempt.outcome).1, Some(Duration::from_secs(7)));
    assert_eq!(attempt.status.as_deref(), Some("HTTP 429"));
    // A date in the past: retry now.
    let attempt = channel().deliver(&job).await;
    assert_eq!(retry_error(&attempt.outcome).1, Some(Duration::ZERO));
    assert_eq!(attempt.status.as_deref(), Some("HTTP 503"));
}

#[tokio::test]
async fn a_server_error_is_retried_under_the_same_webhook_id() {
    let Some(rx) = Receiver::start(&secret(10)) else { return };
    rx.script(json!([{ "status": 500, "times": 2 }])).await;
    let mut job = conversation_job(&rx.url(), json!({ "secret": secret(10) }));
    for n in 1..=3 {
        job.attempt = n;
        let attempt = channel().deliver(&job).await;
        if n < 3 {
            let (error, _) = retry_error(&attempt.outcome);
            assert!(error.starts_with("HTTP 500"), "{error}");
            assert_eq!(attempt.status.as_deref(), Some("HTTP 500"));
        } else {
            assert_eq!(attempt.outcome, Outcome::Delivered { verified: false });
        }
    }
    let records = rx.records();
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(r["verified"], true);
        assert_eq!(r["webhook_id"], job.delivery_id.to_string());
        assert_eq!(r["body"], records[0]["body"]);
    }
}

#[tokio::test]
async fn gone_disables_the_destination() {
    let Some(rx) = Receiver::start(&secret(11)) else { return };
    rx.script(json!([{ "status": 410 }])).await;
    let attempt =
        channel().deliver(&conversation_job(&rx.url(), json!({ "secret": secret(11) }))).await;
    assert!(matches!(attempt.outcome, Outcome::DisableDestination { .. }), "{attempt:?}");
    assert_eq!(attempt.status.as_deref(), Some("HTTP 410"));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let Some(rx) = Receiver::start(&secret(12)) else { return };
    let elsewhere = format!("http://127.0.0.1:{}/elsewhere", rx.port);
    rx.script(json!([{ "status": 301, "headers": { "Location": elsewhere } }])).await;
    let attempt =
        channel().deliver(&conversation_job(&rx.url(), json!({ "secret": secret(12) }))).await;
    let (error, _) = retry_error(&attempt.outcome);
    assert!(error.contains("redirect not followed"), "{error}");
    assert_eq!(attempt.status.as_deref(), Some("HTTP 301"));
    let records = rx.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["path"], "/hooks/callvault");
}

#[tokio::test]
async fn a_receiver_that_is_down_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let attempt = channel().deliver(&conversation_job(&url, json!({ "secret": secret(13) }))).await;
    let (error, _) = retry_error(&attempt.outcome);
    assert!(error.contains("cannot connect"), "{error}");
    assert!(!error.contains(&url), "the url stays out of errors: {error}");
}

#[tokio::test]
async fn bad_settings_are_dead_without_showing_the_secret() {
    let job = conversation_job("http://127.0.0.1:9/x", json!({ "secret": "whsec_dG9vIHNob3J0" }));
    let attempt = channel().deliver(&job).await;
    match &attempt.outcome {
        Outcome::Dead { error } => assert!(!error.contains("dG9vIHNob3J0"), "{error}"),
        other => panic!("expected dead, got {other:?}"),
    }
    let ch = channel();
    assert!(
        ch.validate(&json!({"url": "http://example.com/x"}), &json!({"secret": secret(1)}))
            .is_err()
    );
    assert!(
        ch.validate(&json!({"url": "https://example.com/x"}), &json!({"secret": secret(1)}))
            .is_ok()
    );
    assert!(ch.validate(&json!({"url": "https://example.com/x"}), &json!({})).is_err());
    assert!(ch.accepts(Event::SystemAlert, &json!({})));
}
