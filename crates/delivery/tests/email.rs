//! The e-mail channel against a real SMTP server (aiosmtpd, driven by
//! `tests/servers/smtp_server.py`), with real MP3 audio from the media
//! crate's encoder.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_delivery::channel::{
    AlertView, Attempt, Audio, Channel, Checkpoint, CheckpointError, DeliveryFormat,
    DestinationView, Event, Job, Media, MediaError, Outcome, RetryClass, SecretError, SecretStore,
    Subject,
};
use callvault_delivery::email::{EmailChannel, EmailDestination, EmailSettings};
use callvault_model::{
    AudioFormat, Conversation, ConversationId, Direction, Participant, ParticipantId, Recording,
    RecordingId, RecordingSource, Side, TenantId,
};
use callvault_store::{ConversationDetail, RecordingWithCopies};
use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

// ---------------------------------------------------------------- server

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("CV_TEST_PYTHON") {
        return Some(p);
    }
    let ok =
        Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    if ok {
        return Some("python3".into());
    }
    if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
        return None;
    }
    panic!(
        "the e-mail tests need Python with aiosmtpd: set CV_TEST_PYTHON \
         (or CV_TEST_SKIP_SERVICES=1 to skip them)"
    );
}

/// The SMTP test server: started, killed and restarted by the test.
struct SmtpServer {
    python: String,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    extra: Vec<String>,
}

impl SmtpServer {
    fn start(extra: &[&str]) -> Option<SmtpServer> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let mut s = SmtpServer {
            python,
            dir,
            port: 0,
            child: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.set_rules(json!([]));
        s.spawn();
        Some(s)
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    fn spawn(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/smtp_server.py");
        let mut child = Command::new(&self.python)
            .arg(script)
            .arg("--dir")
            .arg(self.mail_dir())
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--rules")
            .arg(self.dir.path().join("rules.json"))
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the SMTP test server did not start: {line:?}"));
        self.port = port;
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn set_rules(&self, rules: Value) {
        let tmp = self.dir.path().join("rules.tmp");
        std::fs::write(&tmp, rules.to_string()).unwrap();
        std::fs::rename(tmp, self.dir.path().join("rules.json")).unwrap();
    }

    /// Every accepted message: its envelope and its bytes.
    fn messages(&self) -> Vec<(Value, Vec<u8>)> {
        let Ok(rd) = std::fs::read_dir(self.mail_dir()) else { return Vec::new() };
        let mut names: Vec<PathBuf> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let meta: Value =
                    serde_json::from_slice(&std::fs::read(p.with_extension("json")).unwrap())
                        .unwrap();
                (meta, std::fs::read(p).unwrap())
            })
            .collect()
    }

    fn messages_to(&self, rcpt: &str) -> Vec<Vec<u8>> {
        self.messages()
            .into_iter()
            .filter(|(m, _)| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == rcpt))
            .map(|(_, b)| b)
            .collect()
    }

    fn refusals(&self) -> Vec<Value> {
        std::fs::read_to_string(self.mail_dir().join("refusals.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------- media

/// A tone, encoded to MP3 by the media crate's LAME encoder.
fn tone_mp3(seconds: u32) -> Vec<u8> {
    let rate = 8000;
    let samples: Vec<i16> = (0..rate * seconds)
        .map(|i| {
            let t = i as f64 / rate as f64;
            ((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16
        })
        .collect();
    callvault_media::render::mp3::encode(&[samples], rate, 32).unwrap()
}

struct TestMedia {
    mp3: HashMap<RecordingId, Bytes>,
    /// Size hints that differ from the real size (a long recording).
    hints: HashMap<RecordingId, u64>,
    audio_calls: AtomicUsize,
}

#[async_trait]
impl Media for TestMedia {
    async fn audio(&self, r: &Recording, format: DeliveryFormat) -> Result<Audio, MediaError> {
        assert_eq!(format, DeliveryFormat::Mp3);
        self.audio_calls.fetch_add(1, Ordering::SeqCst);
        let bytes = self.mp3.get(&r.id).cloned().ok_or(MediaError::Unavailable("gone".into()))?;
        Ok(Audio {
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
            content_type: "audio/mpeg",
            extension: "mp3",
        })
    }

    async fn size_hint(&self, r: &Recording, _: DeliveryFormat) -> Result<u64, MediaError> {
        if let Some(h) = self.hints.get(&r.id) {
            return Ok(*h);
        }
        self.mp3.get(&r.id).map(|b| b.len() as u64).ok_or(MediaError::Unavailable("gone".into()))
    }

    fn link(&self, r: &Recording, format: DeliveryFormat) -> String {
        format!("https://vault.example.test/l/{}.{format:?}?sig=abc", r.id)
    }
}

#[derive(Default)]
struct Recorder {
    saves: Mutex<Vec<Value>>,
    /// Answer every save with "lease lost".
    lease_lost: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Checkpoint for Recorder {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError> {
        self.saves.lock().unwrap().push(progress.clone());
        if self.lease_lost.load(Ordering::SeqCst) {
            return Err(CheckpointError::LeaseLost);
        }
        Ok(())
    }
}

struct NoSecrets;

#[async_trait]
impl SecretStore for NoSecrets {
    async fn load(&self) -> Result<Value, SecretError> {
        Ok(Value::Null)
    }
    async fn replace(&self, _: &Value, _: &Value) -> Result<bool, SecretError> {
        Ok(false)
    }
    async fn lock(&self, _: Duration) -> Result<bool, SecretError> {
        Ok(true)
    }
    async fn unlock(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

// ---------------------------------------------------------------- fixtures

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn recording(tenant: TenantId, conv: ConversationId, seconds: u64, size: u64) -> Recording {
    Recording {
        id: RecordingId::new(),
        tenant_id: tenant,
        conversation_id: conv,
        participant_id: None,
        source: RecordingSource::Upload,
        format: AudioFormat::Wav,
        channels: 1,
        sample_rate: 8000,
        duration_ms: seconds * 1000,
        size_bytes: size,
        sha256: "00".repeat(32),
        started_at: at("2024-05-01T10:00:00Z"),
        ended_at: at("2024-05-01T10:00:00Z") + chrono::Duration::seconds(seconds as i64),
        object_key: "k".into(),
        flags: vec![],
        created_at: at("2024-05-01T10:03:13Z"),
    }
}

fn conversation(tenant: TenantId, recordings: Vec<Recording>) -> ConversationDetail {
    let id = recordings.first().map_or_else(ConversationId::new, |r| r.conversation_id);
    ConversationDetail {
        events: Vec::new(),
        conversation: Conversation {
            id,
            tenant_id: tenant,
            direction: Direction::Inbound,
            external_number: Some("+15550001234".into()),
            company_number: Some("201".into()),
            started_at: at("2024-05-01T10:00:00Z"),
            ended_at: Some(at("2024-05-01T10:03:12Z")),
            external_ids: vec![],
            created_at: at("2024-05-01T10:03:13Z"),
            updated_at: at("2024-05-01T10:03:13Z"),
        },
        participants: vec![
            Participant {
                id: ParticipantId::new(),
                conversation_id: id,
                side: Side::External,
                address: Some("+15550001234".into()),
                display_name: Some("Ann Caller".into()),
                joined_at: at("2024-05-01T10:00:00Z"),
                left_at: Some(at("2024-05-01T10:03:12Z")),
            },
            Participant {
                id: ParticipantId::new(),
                conversation_id: id,
                side: Side::Company,
                address: Some("201".into()),
                display_name: None,
                joined_at: at("2024-05-01T10:00:05Z"),
                left_at: Some(at("2024-05-01T10:03:12Z")),
            },
        ],
        recordings: recordings
            .into_iter()
            .map(|recording| RecordingWithCopies { recording, codec: "pcm".into(), copies: vec![] })
            .collect(),
    }
}

/// One delivery: a conversation with one 3-second recording, and the
/// pieces a test looks at afterwards.
struct Fixture {
    channel: EmailChannel,
    delivery_id: Uuid,
    tenant: TenantId,
    media: Arc<TestMedia>,
    checkpoint: Arc<Recorder>,
    detail: ConversationDetail,
    config: Value,
    secrets: Value,
}

impl Fixture {
    fn new(server: &SmtpServer, to: &[&str]) -> Fixture {
        let tenant = TenantId::new();
        let rec = recording(tenant, ConversationId::new(), 3, 48_000);
        let mp3 = Bytes::from(tone_mp3(3));
        let media = TestMedia {
            mp3: HashMap::from([(rec.id, mp3)]),
            hints: HashMap::new(),
            audio_calls: AtomicUsize::new(0),
        };
        let settings = EmailSettings {
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(10),
            hello_name: "callvault.test".into(),
            default_from: None,
        };
        Fixture {
            channel: EmailChannel::new(settings).unwrap(),
            delivery_id: Uuid::now_v7(),
            tenant,
            media: Arc::new(media),
            checkpoint: Arc::new(Recorder::default()),
            detail: conversation(tenant, vec![rec]),
            config: json!({
                "host": "127.0.0.1",
                "port": server.port,
                "tls": "none",
                "from": "Calls <calls@vault.example.com>",
                "to": to,
            }),
            secrets: Value::Null,
        }
    }

    fn job(&self, event: Event, subject: Subject, progress: Value, attempt: u32) -> Job {
        Job {
            delivery_id: self.delivery_id,
            tenant_id: self.tenant,
            tenant_name: "acme".into(),
            event,
            attempt,
            created_at: at("2024-05-01T10:03:13Z"),
            destination: DestinationView {
                id: Uuid::now_v7(),
                name: "front desk".into(),
                config: self.config.clone(),
                secrets: self.secrets.clone(),
            },
            subject,
            progress,
            media: self.media.clone(),
            checkpoint: self.checkpoint.clone(),
            secrets: Arc::new(NoSecrets),
        }
    }

    async fn deliver(&self, progress: Value, attempt: u32) -> Attempt {
        let job = self.job(
            Event::ConversationSettled,
            Subject::Conversation(Box::new(self.detail.clone())),
            progress,
            attempt,
        );
        self.channel.deliver(&job).await
    }
}

fn parsed(raw: &[u8]) -> mail_parser::Message<'_> {
    MessageParser::default().parse(raw).expect("a parsable e-mail")
}

/// The MP3's duration as ffprobe reads it.
fn mp3_seconds(bytes: &[u8]) -> f64 {
    let f = tempfile::Builder::new().suffix(".mp3").tempfile().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(f.path())
        .output()
        .expect("ffprobe is installed");
    assert!(out.status.success(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn retry_class(a: &Attempt) -> Option<RetryClass> {
    match &a.outcome {
        Outcome::Retry { class, .. } => Some(*class),
        _ => None,
    }
}

// ---------------------------------------------------------------- cases

#[tokio::test]
async fn a_conversation_arrives_with_a_playable_mp3() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com"]);
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false }, "{a:?}");
    assert!(a.status.as_deref().unwrap().starts_with("250"), "{a:?}");
    assert_eq!(a.progress["recipients"]["desk@example.com"]["state"], "sent");
    assert_eq!(f.checkpoint.saves.lock().unwrap().len(), 1);

    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0["mail_from"], "calls@vault.example.com");
    let m = parsed(&msgs[0].1);
    assert_eq!(m.subject(), Some("Call +15550001234 → 201, 3 min 12 s"));
    let mid = m.message_id().unwrap();
    assert!(mid.starts_with(&f.delivery_id.to_string()) && mid.ends_with("@vault.example.com"));
    let text = m.body_text(0).unwrap();
    for want in [
        "Inbound call",
        "+15550001234",
        "201",
        "Ann Caller",
        "external side",
        "company side",
        "3 min 12 s",
        "2024-05-01 10:00:00 UTC",
        "attached",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert!(m.body_html(0).unwrap().contains("<h2>Inbound call</h2>"));
    let att: Vec<_> = m.attachments().collect();
    assert_eq!(att.len(), 1);
    assert!(att[0].attachment_name().unwrap().ends_with(".mp3"));
    assert_eq!(att[0].contents(), &f.media.mp3.values().next().unwrap()[..]);
    let secs = mp3_seconds(att[0].contents());
    assert!((2.9..3.2).contains(&secs), "the attachment plays {secs} s");
}

#[tokio::test]
async fn alerts_and_tests_are_text_without_audio() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["ops@example.com"]);
    let alert = AlertView {
        id: Uuid::now_v7(),
        tenant_id: Some(f.tenant),
        kind: "delivery.dead".into(),
        subject: "webhook <crm>".into(),
        severity: "critical".into(),
        message: "deliveries to crm fail".into(),
        first_seen: at("2024-05-01T10:00:00Z"),
        last_seen: at("2024-05-01T11:00:00Z"),
        count: 3,
        resolved_at: None,
    };
    let a = f.channel.deliver(&f.job(Event::Alert, Subject::Alert(alert), Value::Null, 1)).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    let a = f.channel.deliver(&f.job(Event::Test, Subject::Test, Value::Null, 1)).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    let msgs = server.messages();
    assert_eq!(msgs.len(), 2);
    let alert = parsed(&msgs[0].1);
    assert_eq!(alert.subject(), Some("[callvault] critical: webhook <crm>"));
    assert!(alert.body_text(0).unwrap().contains("deliveries to crm fail"));
    assert!(alert.body_html(0).unwrap().contains("webhook &lt;crm&gt;"));
    assert_eq!(alert.attachments().count(), 0);
    let test = parsed(&msgs[1].1);
    assert!(test.body_text(0).unwrap().contains("test message"));
    assert_eq!(f.media.audio_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_going_away_is_transient() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com"]);
    for stage in ["connect", "mail"] {
        server.set_rules(json!([{"stage": stage, "reply": "421 4.3.2 Service shutting down"}]));
        let a = f.deliver(Value::Null, 1).await;
        assert_eq!(retry_class(&a), Some(RetryClass::Transient), "{stage}: {a:?}");
        assert!(a.status.as_deref().unwrap().contains("421"), "{a:?}");
        assert_eq!(a.progress["recipients"]["desk@example.com"]["state"], "retry");
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_full_mailbox_waits_longer() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com"]);
    let cases = [
        json!({"stage": "rcpt", "reply": "452 4.2.2 Mailbox full"}),
        json!({"stage": "message", "reply": "552 5.2.2 Mailbox full"}),
    ];
    for rule in cases {
        server.set_rules(json!([rule]));
        let a = f.deliver(Value::Null, 1).await;
        assert_eq!(retry_class(&a), Some(RetryClass::MailboxFull), "{rule}: {a:?}");
        assert_eq!(a.progress["recipients"]["desk@example.com"]["class"], "mailbox_full");
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_message_too_large_is_resent_at_once_with_links() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com"]);
    server.set_rules(json!([
        {"stage": "message", "reply": "552 5.3.4 Message size exceeds fixed limit", "min_size": 4000}
    ]));
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false }, "{a:?}");
    assert_eq!(a.progress["recipients"]["desk@example.com"]["links_only"], true);
    let refusals = server.refusals();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0]["reply"].as_str().unwrap().starts_with("552 5.3.4"));
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    let m = parsed(&msgs[0].1);
    assert_eq!(m.attachments().count(), 0);
    let rec = &f.detail.recordings[0].recording;
    let link = format!("https://vault.example.test/l/{}.Mp3?sig=abc", rec.id);
    assert!(m.body_text(0).unwrap().contains(&link), "{:?}", m.body_text(0));
    // The next attempt (a conversation.updated, say) goes links-only at once.
    server.set_rules(json!([]));
    let calls = f.media.audio_calls.load(Ordering::SeqCst);
    let mut progress = a.progress.clone();
    progress["recipients"]["desk@example.com"]["state"] = json!("retry");
    let a = f.deliver(progress, 2).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    assert_eq!(
        f.media.audio_calls.load(Ordering::SeqCst),
        calls,
        "no audio for a links-only recipient"
    );
    assert_eq!(parsed(&server.messages()[1].1).attachments().count(), 0);
}

#[tokio::test]
async fn an_unknown_user_is_dead() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["nobody@example.com"]);
    server.set_rules(json!([{"stage": "rcpt", "reply": "550 5.1.1 No such user"}]));
    let a = f.deliver(Value::Null, 1).await;
    match &a.outcome {
        Outcome::Dead { error } => {
            assert!(error.contains("nobody@example.com") && error.contains("5.1.1"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    // A later attempt does not write to a dead recipient again.
    let b = f.deliver(a.progress.clone(), 2).await;
    assert!(matches!(b.outcome, Outcome::Dead { .. }));
    assert_eq!(server.refusals().len(), 1);
}

#[tokio::test]
async fn each_recipient_has_its_own_fate() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["a@example.com", "b@example.com"]);
    server.set_rules(json!([
        {"stage": "rcpt", "rcpt": "b@example.com", "reply": "452 4.2.2 Mailbox full"}
    ]));
    let first = f.deliver(Value::Null, 1).await;
    assert_eq!(retry_class(&first), Some(RetryClass::MailboxFull), "{first:?}");
    assert_eq!(first.progress["recipients"]["a@example.com"]["state"], "sent");
    assert_eq!(first.progress["recipients"]["b@example.com"]["state"], "retry");
    // The checkpoint had A's success before B was tried.
    let saves = f.checkpoint.saves.lock().unwrap().clone();
    assert_eq!(saves[0]["recipients"]["a@example.com"]["state"], "sent");
    assert!(saves[0]["recipients"].get("b@example.com").is_none());

    server.set_rules(json!([]));
    let second = f.deliver(first.progress.clone(), 2).await;
    assert_eq!(second.outcome, Outcome::Delivered { verified: false }, "{second:?}");
    assert_eq!(server.messages_to("a@example.com").len(), 1, "A got it once in total");
    assert_eq!(server.messages_to("b@example.com").len(), 1);
    for (_, raw) in server.messages() {
        assert_eq!(parsed(&raw).attachments().count(), 1);
    }
}

#[tokio::test]
async fn a_stopped_server_is_retried_until_it_is_back() {
    let Some(mut server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com"]);
    server.stop();
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(retry_class(&a), Some(RetryClass::Transient), "{a:?}");
    server.restart();
    let b = f.deliver(a.progress.clone(), 2).await;
    assert_eq!(b.outcome, Outcome::Delivered { verified: false }, "{b:?}");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_long_recording_is_linked_without_transcoding() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let mut f = Fixture::new(&server, &["desk@example.com"]);
    let rec = f.detail.recordings[0].recording.id;
    // A 60-minute recording: about 14 MB as 32 kbit/s MP3.
    Arc::get_mut(&mut f.media).unwrap().hints.insert(rec, 14_400_000);
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    assert_eq!(f.media.audio_calls.load(Ordering::SeqCst), 0, "audio() was called");
    let msgs = server.messages();
    let m = parsed(&msgs[0].1);
    assert_eq!(m.attachments().count(), 0);
    assert!(m.body_text(0).unwrap().contains("https://vault.example.test/l/"));
    assert!(server.refusals().is_empty());
}

#[tokio::test]
async fn the_message_id_is_the_same_on_every_attempt() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["desk@example.com", "boss@example.com"]);
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false });
    // A retry that starts over (its progress lost) sends the same ids.
    let b = f.deliver(Value::Null, 2).await;
    assert_eq!(b.outcome, Outcome::Delivered { verified: false });
    let ids = |rcpt: &str| -> Vec<String> {
        server
            .messages_to(rcpt)
            .iter()
            .map(|raw| parsed(raw).message_id().unwrap().to_owned())
            .collect()
    };
    let (desk, boss) = (ids("desk@example.com"), ids("boss@example.com"));
    assert_eq!(desk.len(), 2);
    assert_eq!(desk[0], desk[1]);
    assert_eq!(boss[0], boss[1]);
    assert_ne!(desk[0], boss[0]);
}

#[tokio::test]
async fn login_is_required_and_a_wrong_password_is_dead() {
    let Some(server) = SmtpServer::start(&["--auth", "mailer:s3cret-pass"]) else { return };
    let mut f = Fixture::new(&server, &["desk@example.com"]);
    f.config["username"] = json!("mailer");
    f.secrets = json!({"password": "s3cret-pass"});
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(a.outcome, Outcome::Delivered { verified: false }, "{a:?}");

    f.secrets = json!({"password": "wrong-pass"});
    let b = f.deliver(Value::Null, 1).await;
    match &b.outcome {
        Outcome::Dead { error } => assert!(error.contains("535"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{b:?}").contains("wrong-pass"));
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let config = json!({
        "host": "smtp.example.com", "username": "mailer", "from": "a@example.com",
        "to": ["b@example.com"],
    });
    let secrets = json!({"password": "hunter2-very-secret"});
    let dest = EmailDestination::parse(&config, &secrets, None).unwrap();
    assert_eq!(dest.password.as_ref().unwrap().expose(), "hunter2-very-secret");
    let shown = format!("{dest:?} {:#?}", dest);
    assert!(!shown.contains("hunter2"), "{shown}");
    let channel = EmailChannel::new(EmailSettings::default()).unwrap();
    assert!(channel.validate(&config, &secrets).is_ok());
    assert!(!format!("{channel:?}").contains("hunter2"));
    let err = channel.validate(&config, &json!({"password": "hunter2", "x": 1})).unwrap_err();
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn events_taken() {
    let channel = EmailChannel::new(EmailSettings::default()).unwrap();
    let config = json!({"host": "h", "to": ["a@example.com"]});
    assert_eq!(channel.kind(), "email");
    for e in [Event::ConversationSettled, Event::Alert, Event::SystemAlert, Event::Test] {
        assert!(channel.accepts(e, &config), "{e:?}");
    }
    assert!(!channel.accepts(Event::ConversationUpdated, &config));
    assert!(!channel.accepts(Event::RecordingStored, &config));
    assert!(channel.accepts(Event::ConversationUpdated, &json!({"send_updates": true})));
    assert!(
        EmailChannel::new(EmailSettings { hello_name: "bad name".into(), ..Default::default() })
            .is_err()
    );
}

/// A self-signed certificate for 127.0.0.1 (openssl CLI): (dir, cert, key).
fn self_signed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    (dir, cert, key)
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_login() {
    let (_certs, cert, key) = self_signed();
    let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let pem = std::fs::read_to_string(&cert).unwrap();
    let auth = ["--auth", "mailer:tls-pass"];
    for (tls, extra) in [("starttls", vec![]), ("implicit", vec!["--implicit-tls"])] {
        let mut args = vec!["--tls-cert", c, "--tls-key", k];
        args.extend(auth);
        args.extend(extra);
        let Some(server) = SmtpServer::start(&args) else { return };
        let mut f = Fixture::new(&server, &["desk@example.com"]);
        f.config["tls"] = json!(tls);
        f.config["username"] = json!("mailer");
        f.secrets = json!({"password": "tls-pass"});
        // Not trusted: the server's certificate is refused, nothing is sent.
        let a = f.deliver(Value::Null, 1).await;
        assert!(retry_class(&a).is_some(), "{tls}: {a:?}");
        assert!(server.messages().is_empty());
        // Trusted through the destination's own root.
        f.config["tls_root_certificate_pem"] = json!(pem);
        let a = f.deliver(Value::Null, 2).await;
        assert_eq!(a.outcome, Outcome::Delivered { verified: false }, "{tls}: {a:?}");
        assert_eq!(server.messages().len(), 1);
        assert_eq!(parsed(&server.messages()[0].1).attachments().count(), 1);
    }
}

#[tokio::test]
async fn a_server_without_starttls_is_refused() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let mut f = Fixture::new(&server, &["desk@example.com"]);
    f.config["tls"] = json!("starttls");
    let a = f.deliver(Value::Null, 1).await;
    match &a.outcome {
        Outcome::Dead { error } => assert!(error.contains("STARTTLS"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_lost_lease_stops_the_attempt_and_a_dead_recipient_is_named() {
    let Some(server) = SmtpServer::start(&[]) else { return };
    let f = Fixture::new(&server, &["a@example.com", "b@example.com"]);
    f.checkpoint.lease_lost.store(true, Ordering::SeqCst);
    let a = f.deliver(Value::Null, 1).await;
    assert_eq!(retry_class(&a), Some(RetryClass::Transient), "{a:?}");
    assert!(server.messages_to("b@example.com").is_empty(), "sent after the lease was lost");
    assert_eq!(server.messages_to("a@example.com").len(), 1);

    f.checkpoint.lease_lost.store(false, Ordering::SeqCst);
    server.set_rules(
        json!([{"stage": "rcpt", "rcpt": "b@example.com", "reply": "550 5.1.1 No such user"}]),
    );
    let b = f.deliver(a.progress.clone(), 2).await;
    match &b.outcome {
        Outcome::Dead { error } => {
            assert!(error.contains("b@example.com") && !error.contains("a@example.com"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.messages_to("a@example.com").len(), 1);
}
