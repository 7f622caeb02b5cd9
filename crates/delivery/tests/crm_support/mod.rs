//! What the CRM channel tests share: the Python test servers, a job with
//! an in-memory checkpoint and secret store, and a `Media` that serves a
//! real MP3 (a tone encoded by the media crate's LAME encoder).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_delivery::channel::*;
use callvault_model::*;
use callvault_store::{ConversationDetail, RecordingWithCopies};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The Python interpreter for test servers: `CV_TEST_PYTHON`, else
/// `python3` (the servers need only the standard library).
fn python() -> String {
    std::env::var("CV_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A test server process, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

impl Server {
    /// Starts `tests/servers/{script}` with its JSON setup.
    pub fn start(script: &str, setup: Value) -> Server {
        let path = format!("{}/tests/servers/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(python())
            .arg(&path)
            .arg(setup.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {script} with {} (set CV_TEST_PYTHON): {e}", python())
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the port");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{script} did not announce its port: {line:?}"));
        Server { child, url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() }
    }

    pub async fn state(&self) -> Value {
        self.http
            .get(format!("{}/_control/state", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn control(&self, what: &str, body: Value) {
        let resp = self
            .http
            .post(format!("{}/_control/{what}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "control {what}: {}", resp.status());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Secrets in memory with a refresh lock, as the catalog keeps them for
/// every node. `on_replace` runs before a replace is applied (a test uses
/// it to prove the new tokens were stored before their first use).
#[derive(Default)]
pub struct MemSecrets {
    pub value: Mutex<Value>,
    locked: Mutex<bool>,
    pub replaced: Mutex<Vec<Value>>,
    pub server: Option<String>,
    pub uses_at_replace: Mutex<Vec<u64>>,
}

impl MemSecrets {
    pub fn new(v: Value) -> Arc<MemSecrets> {
        Arc::new(MemSecrets { value: Mutex::new(v), ..Default::default() })
    }

    /// A store that asks the amoCRM test server, at each replace, how many
    /// requests the new access token already made.
    pub fn watching(v: Value, server: &Server) -> Arc<MemSecrets> {
        Arc::new(MemSecrets {
            value: Mutex::new(v),
            server: Some(server.url.clone()),
            ..Default::default()
        })
    }

    pub fn get(&self) -> Value {
        self.value.lock().unwrap().clone()
    }
}

#[async_trait]
impl SecretStore for MemSecrets {
    async fn load(&self) -> Result<Value, SecretError> {
        Ok(self.get())
    }

    async fn replace(&self, expected: &Value, new: &Value) -> Result<bool, SecretError> {
        if let Some(url) = &self.server {
            let state: Value =
                reqwest::get(format!("{url}/_control/state")).await.unwrap().json().await.unwrap();
            let token = new["access_token"].as_str().unwrap_or_default();
            let uses = state["token_uses"][token].as_u64().unwrap_or(0);
            self.uses_at_replace.lock().unwrap().push(uses);
        }
        let mut v = self.value.lock().unwrap();
        if &*v != expected {
            return Ok(false);
        }
        *v = new.clone();
        self.replaced.lock().unwrap().push(new.clone());
        Ok(true)
    }

    async fn lock(&self, _ttl: Duration) -> Result<bool, SecretError> {
        let mut l = self.locked.lock().unwrap();
        if *l {
            return Ok(false);
        }
        *l = true;
        Ok(true)
    }

    async fn unlock(&self) -> Result<(), SecretError> {
        *self.locked.lock().unwrap() = false;
        Ok(())
    }
}

/// Every checkpoint a job saved.
#[derive(Default)]
pub struct MemCheckpoint {
    pub saved: Mutex<Vec<Value>>,
}

#[async_trait]
impl Checkpoint for MemCheckpoint {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError> {
        self.saved.lock().unwrap().push(progress.clone());
        Ok(())
    }
}

/// A real MP3 of a 440 Hz tone, `secs` seconds at 8 kHz mono.
pub fn mp3_tone(secs: u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..8000 * secs)
        .map(|i| ((i as f64 * 440.0 * 2.0 * std::f64::consts::PI / 8000.0).sin() * 8000.0) as i16)
        .collect();
    callvault_media::render::mp3::encode(&[samples], 8000, 32).expect("encode mp3")
}

/// Serves one MP3 for every recording; links are https URLs naming the
/// recording (or `bad_link` as given).
pub struct TestMedia {
    pub mp3: Bytes,
    pub bad_link: Option<String>,
}

impl TestMedia {
    pub fn new() -> Arc<TestMedia> {
        Arc::new(TestMedia { mp3: Bytes::from(mp3_tone(2)), bad_link: None })
    }

    pub fn link_of(rec: &Recording) -> String {
        format!("https://vault.test/v1/links/{}.mp3?sig=abc", rec.id)
    }
}

#[async_trait]
impl Media for TestMedia {
    async fn audio(&self, _rec: &Recording, format: DeliveryFormat) -> Result<Audio, MediaError> {
        assert_eq!(format, DeliveryFormat::Mp3, "CRMs get MP3");
        Ok(Audio {
            bytes: self.mp3.clone(),
            content_type: "audio/mpeg",
            extension: "mp3",
            sha256: hex::encode(Sha256::digest(&self.mp3)),
        })
    }

    async fn size_hint(
        &self,
        _rec: &Recording,
        _format: DeliveryFormat,
    ) -> Result<u64, MediaError> {
        Ok(self.mp3.len() as u64)
    }

    fn link(&self, rec: &Recording, format: DeliveryFormat) -> String {
        assert_eq!(format, DeliveryFormat::Mp3, "CRM players get MP3");
        self.bad_link.clone().unwrap_or_else(|| TestMedia::link_of(rec))
    }
}

fn recording(tenant: TenantId, conv: ConversationId, duration_ms: u64) -> RecordingWithCopies {
    let start = Utc.with_ymd_and_hms(2025, 3, 7, 10, 20, 30).unwrap();
    RecordingWithCopies {
        recording: Recording {
            id: RecordingId::new(),
            tenant_id: tenant,
            conversation_id: conv,
            participant_id: None,
            source: RecordingSource::Upload,
            format: AudioFormat::Wav,
            channels: 1,
            sample_rate: 8000,
            duration_ms,
            size_bytes: duration_ms * 16,
            sha256: "00".repeat(32),
            started_at: start,
            ended_at: start + chrono::Duration::milliseconds(duration_ms as i64),
            object_key: format!("k/{conv}"),
            flags: vec![],
            created_at: start,
        },
        codec: "pcm_s16le".into(),
        copies: vec![],
    }
}

/// A 95-second call between `phone` and extension 201, with two
/// recordings (the 95 s one is the main one).
pub fn conversation(phone: Option<&str>, direction: Direction) -> ConversationDetail {
    let tenant = TenantId::new();
    let id = ConversationId::new();
    let start = Utc.with_ymd_and_hms(2025, 3, 7, 10, 20, 30).unwrap();
    let party = |side, address: &str| Participant {
        id: ParticipantId::new(),
        conversation_id: id,
        side,
        address: Some(address.to_owned()),
        display_name: None,
        joined_at: start,
        left_at: None,
    };
    let mut participants = vec![party(Side::Company, "201")];
    if let Some(p) = phone {
        participants.push(party(Side::External, p));
    }
    ConversationDetail {
        events: Vec::new(),
        conversation: Conversation {
            id,
            tenant_id: tenant,
            direction,
            external_number: phone.map(str::to_owned),
            company_number: Some("+74950000000".into()),
            started_at: start,
            ended_at: Some(start + chrono::Duration::seconds(95)),
            external_ids: vec![],
            created_at: start,
            updated_at: start,
        },
        participants,
        recordings: vec![
            recording(tenant, id, 40_000),
            recording(tenant, id, 95_000),
            recording(tenant, id, 3_000),
        ],
    }
}

/// The main (longest) recording's id.
pub fn main_recording(conv: &ConversationDetail) -> &Recording {
    &conv.recordings.iter().max_by_key(|r| r.recording.duration_ms).unwrap().recording
}

/// A job for `conv` (or a test job) to a destination.
pub fn job(
    event: Event,
    conv: Option<&ConversationDetail>,
    destination: Uuid,
    config: Value,
    secrets: Arc<MemSecrets>,
    media: Arc<TestMedia>,
    progress: Value,
) -> (Job, Arc<MemCheckpoint>) {
    let checkpoint = Arc::new(MemCheckpoint::default());
    let subject = match conv {
        Some(c) => Subject::Conversation(Box::new(c.clone())),
        None => Subject::Test,
    };
    let job = Job {
        delivery_id: Uuid::now_v7(),
        tenant_id: conv.map(|c| c.conversation.tenant_id).unwrap_or_default(),
        tenant_name: "acme".into(),
        event,
        attempt: 1,
        created_at: Utc::now(),
        destination: DestinationView {
            id: destination,
            name: "crm".into(),
            config,
            secrets: secrets.get(),
        },
        subject,
        progress,
        media,
        checkpoint: checkpoint.clone(),
        secrets,
    };
    (job, checkpoint)
}
