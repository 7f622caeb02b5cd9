//! The bucket channel against moto's S3 server (`CV_TEST_S3_ENDPOINT`), one
//! fresh bucket per test. The tests read and tamper with objects through
//! plain HTTP requests, behind the channel's back. Without the endpoint they
//! fail, unless `CV_TEST_SKIP_SERVICES=1`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_delivery::bucket::BucketChannel;
use callvault_delivery::channel::*;
use callvault_model::*;
use callvault_store::{ConversationDetail, RecordingWithCopies};
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

// --- moto ------------------------------------------------------------------------

fn endpoint() -> Option<String> {
    match std::env::var("CV_TEST_S3_ENDPOINT") {
        Ok(e) => Some(e.trim_end_matches('/').to_owned()),
        Err(_) if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") => {
            eprintln!("skipping: CV_TEST_S3_ENDPOINT is not set and CV_TEST_SKIP_SERVICES=1");
            None
        }
        Err(_) => panic!("CV_TEST_S3_ENDPOINT is not set (or set CV_TEST_SKIP_SERVICES=1)"),
    }
}

struct Moto {
    endpoint: String,
    bucket: String,
    /// The bucket as the tests see it: signed requests, like a customer's
    /// own tools would make.
    store: object_store::aws::AmazonS3,
}

impl Moto {
    /// A new, empty bucket (moto takes an unsigned create).
    async fn bucket() -> Option<Moto> {
        let endpoint = endpoint()?;
        let bucket = format!("cv-bucket-test-{}", Uuid::new_v4().simple());
        let r = reqwest::Client::new()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .expect("moto answers");
        assert!(r.status().is_success(), "create bucket: {}", r.status());
        let store = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&bucket)
            .with_region("us-east-1")
            .with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap();
        Some(Moto { endpoint, bucket, store })
    }

    fn config(&self, extra: Value) -> Value {
        let mut c = json!({
            "url": format!("s3://{}/exports/calls", self.bucket),
            "endpoint": self.endpoint,
            "allow_http": true,
        });
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    }

    fn path(key: &str) -> Path {
        Path::parse(format!("exports/calls/{key}")).unwrap()
    }

    async fn get(&self, key: &str) -> Option<Bytes> {
        match self.store.get(&Self::path(key)).await {
            Ok(r) => Some(r.bytes().await.unwrap()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("GET {key}: {e}"),
        }
    }

    async fn put(&self, key: &str, body: Bytes, marked: bool) {
        let mut attributes = Attributes::new();
        if marked {
            attributes.insert(Attribute::Metadata("seen".into()), "before".into());
        }
        let opts = PutOptions { attributes, ..Default::default() };
        self.store.put_opts(&Self::path(key), PutPayload::from_bytes(body), opts).await.unwrap();
    }

    /// Mark an object by writing it again, same bytes, with user metadata:
    /// the channel's PUT drops that metadata, so a mark that survives an
    /// attempt proves the attempt did not upload the object again.
    async fn mark(&self, key: &str) {
        let bytes = self.get(key).await.expect("object to mark");
        self.put(key, bytes, true).await;
        assert!(self.marked(key).await);
    }

    async fn marked(&self, key: &str) -> bool {
        let r = self.store.get(&Self::path(key)).await.unwrap();
        r.attributes
            .get(&Attribute::Metadata("seen".into()))
            .is_some_and(|v| v.as_ref() == "before")
    }

    /// Every key in the bucket, under the prefix, sorted.
    async fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> =
            self.store.list(None).map(|m| m.unwrap().location.to_string()).collect().await;
        keys.sort();
        keys
    }
}

// --- a Media, a Checkpoint and a SecretStore -----------------------------------

/// Audio kept in memory: the original WAV of each recording; `wav` is the
/// original itself (the recordings are WAV), other formats cannot be made.
#[derive(Default)]
struct TestMedia {
    audio: Mutex<HashMap<RecordingId, Bytes>>,
    /// Recordings whose next `audio` call fails as unavailable.
    fail_once: Mutex<Vec<RecordingId>>,
    calls: Mutex<Vec<RecordingId>>,
}

impl TestMedia {
    fn calls_for(&self, id: RecordingId) -> usize {
        self.calls.lock().unwrap().iter().filter(|r| **r == id).count()
    }
}

#[async_trait]
impl Media for TestMedia {
    async fn audio(&self, r: &Recording, format: DeliveryFormat) -> Result<Audio, MediaError> {
        self.calls.lock().unwrap().push(r.id);
        {
            let mut fail = self.fail_once.lock().unwrap();
            if let Some(i) = fail.iter().position(|id| *id == r.id) {
                fail.remove(i);
                return Err(MediaError::Unavailable(format!("object of {} unreadable", r.id)));
            }
        }
        if !matches!(format, DeliveryFormat::Original | DeliveryFormat::Wav) {
            return Err(MediaError::Unconvertible(format!("{format:?} is not made in tests")));
        }
        let bytes = self.audio.lock().unwrap().get(&r.id).cloned();
        let bytes =
            bytes.ok_or_else(|| MediaError::Unavailable(format!("no object for {}", r.id)))?;
        Ok(Audio {
            sha256: hex::encode(Sha256::digest(&bytes)),
            bytes,
            content_type: "audio/wav",
            extension: "wav",
        })
    }
    async fn size_hint(&self, r: &Recording, _: DeliveryFormat) -> Result<u64, MediaError> {
        Ok(r.size_bytes)
    }
    fn link(&self, r: &Recording, format: DeliveryFormat) -> String {
        format!(
            "https://vault.example/v1/media/{}?format={format:?}&exp=1900000000&sig=0f3a9c",
            r.id
        )
    }
}

#[derive(Default)]
struct TestCheckpoint(Mutex<Vec<Value>>);

impl TestCheckpoint {
    fn saves(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl Checkpoint for TestCheckpoint {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError> {
        self.0.lock().unwrap().push(progress.clone());
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
        Err(SecretError("bucket secrets do not change".into()))
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

/// A PCM WAV of `samples` 8 kHz mono samples of a sawtooth.
fn wav(samples: u32, seed: u8) -> Bytes {
    let data_len = samples * 2;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let v = ((i.wrapping_mul(u32::from(seed) + 3) % 2000) as i16 - 1000) * 8;
        b.extend_from_slice(&v.to_le_bytes());
    }
    Bytes::from(b)
}

struct Fixture {
    detail: ConversationDetail,
    media: Arc<TestMedia>,
}

/// A conversation with `n` WAV recordings whose audio `media` holds.
fn fixture(n: usize) -> Fixture {
    let tenant = TenantId::new();
    let conv = Conversation {
        id: ConversationId::new(),
        tenant_id: tenant,
        direction: Direction::Outbound,
        external_number: Some("+442071234567".into()),
        company_number: Some("201".into()),
        started_at: at(23, 59, 0),
        ended_at: Some(Utc.with_ymd_and_hms(2024, 5, 2, 0, 1, 0).unwrap()),
        external_ids: vec![],
        created_at: at(23, 59, 0),
        updated_at: at(23, 59, 0),
    };
    let media = Arc::new(TestMedia::default());
    let mut recordings = Vec::new();
    for i in 0..n {
        let audio = wav(8000 + 1000 * i as u32, i as u8);
        let rec = Recording {
            id: RecordingId::new(),
            tenant_id: tenant,
            conversation_id: conv.id,
            participant_id: None,
            source: RecordingSource::Capture,
            format: AudioFormat::Wav,
            channels: 1,
            sample_rate: 8000,
            duration_ms: 1000 + 125 * i as u64,
            size_bytes: audio.len() as u64,
            sha256: hex::encode(Sha256::digest(&audio)),
            started_at: at(23, 59, i as u32),
            ended_at: at(23, 59, 30),
            object_key: format!("objects/{i}"),
            flags: vec![],
            created_at: at(23, 59, 30),
        };
        media.audio.lock().unwrap().insert(rec.id, audio);
        recordings.push(RecordingWithCopies {
            recording: rec,
            codec: "pcm_s16le".into(),
            copies: vec![],
        });
    }
    Fixture {
        detail: ConversationDetail {
            conversation: conv,
            participants: vec![],
            recordings,
            events: vec![],
        },
        media,
    }
}

fn secrets() -> Value {
    json!({ "access_key_id": "testing", "secret_access_key": "testing" })
}

fn job(
    config: Value,
    subject: Subject,
    event: Event,
    media: Arc<TestMedia>,
) -> (Job, Arc<TestCheckpoint>) {
    let checkpoint = Arc::new(TestCheckpoint::default());
    let job = Job {
        delivery_id: Uuid::now_v7(),
        tenant_id: TenantId::new(),
        tenant_name: "acme".into(),
        event,
        attempt: 1,
        created_at: at(23, 59, 40),
        destination: DestinationView {
            id: Uuid::now_v7(),
            name: "customer bucket".into(),
            config,
            secrets: secrets(),
        },
        subject,
        progress: Value::Null,
        media,
        checkpoint: checkpoint.clone(),
        secrets: Arc::new(NoSecrets),
    };
    (job, checkpoint)
}

fn conversation_job(config: Value, f: &Fixture) -> (Job, Arc<TestCheckpoint>) {
    job(
        config,
        Subject::Conversation(Box::new(f.detail.clone())),
        Event::ConversationSettled,
        f.media.clone(),
    )
}

/// The next attempt of a delivery, with the progress the last one left.
fn next_attempt(job: &Job, progress: Value) -> (Job, Arc<TestCheckpoint>) {
    let checkpoint = Arc::new(TestCheckpoint::default());
    let next = Job {
        delivery_id: job.delivery_id,
        tenant_id: job.tenant_id,
        tenant_name: job.tenant_name.clone(),
        event: job.event,
        attempt: job.attempt + 1,
        created_at: job.created_at,
        destination: job.destination.clone(),
        subject: job.subject.clone(),
        progress,
        media: job.media.clone(),
        checkpoint: checkpoint.clone(),
        secrets: job.secrets.clone(),
    };
    (next, checkpoint)
}

fn audio_of(f: &Fixture, i: usize) -> Bytes {
    f.media.audio.lock().unwrap()[&f.detail.recordings[i].recording.id].clone()
}

// --- tests -----------------------------------------------------------------------

#[tokio::test]
async fn recordings_and_sidecars_land_under_the_default_keys() {
    let Some(moto) = Moto::bucket().await else { return };
    let f = fixture(2);
    let (job, checkpoint) = conversation_job(moto.config(json!({})), &f);
    let attempt = BucketChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true }, "{attempt:?}");

    let conv = f.detail.conversation.id;
    let k1 = format!("acme/2024/05/01/{conv}.wav");
    let k2 = format!("acme/2024/05/01/{conv}-2.wav");
    let mut expected = vec![k1.clone(), format!("{k1}.json"), k2.clone(), format!("{k2}.json")];
    expected.sort();
    let listed: Vec<String> =
        moto.keys().await.into_iter().map(|k| k.replacen("exports/calls/", "", 1)).collect();
    assert_eq!(listed, expected);

    assert_eq!(moto.get(&k1).await.unwrap(), audio_of(&f, 0));
    assert_eq!(moto.get(&k2).await.unwrap(), audio_of(&f, 1));
    let sidecar: Value =
        serde_json::from_slice(&moto.get(&format!("{k2}.json")).await.unwrap()).unwrap();
    let second = &f.detail.recordings[1].recording;
    assert_eq!(sidecar["type"], "conversation.settled");
    assert_eq!(sidecar["data"]["conversation"], conv.to_string());
    assert_eq!(sidecar["data"]["direction"], "outbound");
    assert_eq!(sidecar["data"]["recordings"].as_array().unwrap().len(), 2);
    assert_eq!(sidecar["object"]["key"], k2);
    assert_eq!(sidecar["object"]["recording"], second.id.to_string());
    assert_eq!(sidecar["object"]["sha256"], second.sha256);
    assert_eq!(sidecar["object"]["size_bytes"], second.size_bytes);

    // One checkpoint per object; the last names all four, as the answer does.
    let saves = checkpoint.saves();
    assert_eq!(saves.len(), 4);
    let objects = attempt.progress["objects"].as_object().unwrap();
    assert_eq!(objects.len(), 4);
    assert_eq!(saves[3], attempt.progress);
    assert_eq!(objects[&k1]["sha256"], f.detail.recordings[0].recording.sha256);
}

#[tokio::test]
async fn a_custom_template_and_format_name_each_recording() {
    let Some(moto) = Moto::bucket().await else { return };
    let f = fixture(2);
    let config = moto.config(json!({
        "key_template": "{tenant}/{direction}/{yyyy}{mm}{dd}{hh}/{recording}.{ext}",
        "format": "wav",
    }));
    // recording.stored: only that recording goes.
    let stored = f.detail.recordings[1].recording.id;
    let subject =
        Subject::Recording { conversation: Box::new(f.detail.clone()), recording_id: stored.0 };
    let (job, _) = job(config, subject, Event::RecordingStored, f.media.clone());
    let attempt = BucketChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true }, "{attempt:?}");
    let key = format!("acme/outbound/2024050123/{stored}.wav");
    assert_eq!(
        moto.keys().await,
        vec![format!("exports/calls/{key}"), format!("exports/calls/{key}.json")]
    );
    let sidecar: Value =
        serde_json::from_slice(&moto.get(&format!("{key}.json")).await.unwrap()).unwrap();
    assert_eq!(sidecar["type"], "recording.stored");
    assert_eq!(sidecar["data"]["recording"], stored.to_string());

    // A format the media engine cannot make is dead, not retried forever.
    let (job, _) = conversation_job(moto.config(json!({ "format": "opus" })), &f);
    let attempt = BucketChannel::new().deliver(&job).await;
    assert!(matches!(attempt.outcome, Outcome::Dead { .. }), "{attempt:?}");
}

#[tokio::test]
async fn an_object_changed_behind_our_back_is_uploaded_again_and_only_that_one() {
    let Some(moto) = Moto::bucket().await else { return };
    let f = fixture(2);
    let (job, _) = conversation_job(
        moto.config(json!({ "key_template": "{conversation}/{recording}.{ext}" })),
        &f,
    );
    let first = BucketChannel::new().deliver(&job).await;
    assert_eq!(first.outcome, Outcome::Delivered { verified: true });

    let conv = f.detail.conversation.id;
    let k1 = format!("{conv}/{}.wav", f.detail.recordings[0].recording.id);
    let k2 = format!("{conv}/{}.wav", f.detail.recordings[1].recording.id);
    moto.put(&k1, Bytes::from_static(b"RIFF but not the recording"), true).await;
    moto.mark(&k2).await;
    moto.mark(&format!("{k2}.json")).await;
    moto.mark(&format!("{k1}.json")).await;

    // The runner runs the delivery again (say, its answer was lost in a
    // crash): it checks what the last attempt verified.
    let (again, checkpoint) = next_attempt(&job, first.progress.clone());
    let second = BucketChannel::new().deliver(&again).await;
    assert_eq!(second.outcome, Outcome::Delivered { verified: true }, "{second:?}");
    assert_eq!(moto.get(&k1).await.unwrap(), audio_of(&f, 0));
    // The channel's PUT drops a mark: what the marks below rely on.
    assert!(!moto.marked(&k1).await);
    assert!(moto.marked(&k2).await, "an intact object was uploaded again");
    assert!(moto.marked(&format!("{k2}.json")).await);
    assert!(moto.marked(&format!("{k1}.json")).await);
    assert_eq!(checkpoint.saves().len(), 1, "only the damaged object was written");
    assert_eq!(second.progress, first.progress);
}

#[tokio::test]
async fn a_retry_resumes_after_the_last_checkpoint() {
    let Some(moto) = Moto::bucket().await else { return };
    let f = fixture(3);
    let (r0, r1) = (f.detail.recordings[0].recording.id, f.detail.recordings[1].recording.id);
    f.media.fail_once.lock().unwrap().push(r1);
    let (job, checkpoint) = conversation_job(moto.config(json!({})), &f);
    let first = BucketChannel::new().deliver(&job).await;
    match &first.outcome {
        Outcome::Retry { error, class: RetryClass::Transient, .. } => {
            assert!(error.contains("unreadable"), "{error}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    let conv = f.detail.conversation.id;
    let k1 = format!("acme/2024/05/01/{conv}.wav");
    // The first recording and its sidecar were checkpointed.
    assert_eq!(checkpoint.saves().len(), 2);
    assert_eq!(first.progress, checkpoint.saves()[1]);
    assert!(first.progress["objects"].get(&k1).is_some());
    moto.mark(&k1).await;
    moto.mark(&format!("{k1}.json")).await;

    let (again, checkpoint) = next_attempt(&job, first.progress.clone());
    let second = BucketChannel::new().deliver(&again).await;
    assert_eq!(second.outcome, Outcome::Delivered { verified: true }, "{second:?}");
    assert!(moto.marked(&k1).await, "a verified object was uploaded again");
    assert!(moto.marked(&format!("{k1}.json")).await);
    assert_eq!(f.media.calls_for(r0), 1, "the first recording's audio was fetched again");
    assert_eq!(checkpoint.saves().len(), 4);
    assert_eq!(moto.keys().await.len(), 6);
    assert_eq!(moto.get(&format!("acme/2024/05/01/{conv}-3.wav")).await.unwrap(), audio_of(&f, 2));
}

#[tokio::test]
async fn a_test_delivery_writes_and_reads_back_a_marker() {
    let Some(moto) = Moto::bucket().await else { return };
    let (job, _) =
        job(moto.config(json!({})), Subject::Test, Event::Test, Arc::new(TestMedia::default()));
    let attempt = BucketChannel::new().deliver(&job).await;
    assert_eq!(attempt.outcome, Outcome::Delivered { verified: true });
    let body: Value = serde_json::from_slice(
        &moto.get(&format!("callvault-test/{}.json", job.delivery_id)).await.unwrap(),
    )
    .unwrap();
    assert_eq!(body["data"]["test"], true);
}

#[tokio::test]
async fn a_missing_bucket_is_dead() {
    let Some(endpoint) = endpoint() else { return };
    let f = fixture(1);
    let config = json!({
        "url": format!("s3://cv-no-such-bucket-{}", Uuid::new_v4().simple()),
        "endpoint": endpoint,
        "allow_http": true,
    });
    let (job, checkpoint) = conversation_job(config, &f);
    let attempt = BucketChannel::new().deliver(&job).await;
    match &attempt.outcome {
        Outcome::Dead { error } => assert!(error.contains("does not exist"), "{error}"),
        other => panic!("expected dead, got {other:?}"),
    }
    assert_eq!(attempt.status.as_deref(), Some("HTTP 404"));
    assert!(checkpoint.saves().is_empty());
}

#[tokio::test]
async fn an_endpoint_that_is_down_is_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let f = fixture(1);
    let config = json!({
        "url": "s3://some-bucket/prefix",
        "endpoint": format!("http://127.0.0.1:{port}"),
        "allow_http": true,
        "timeout_secs": 5,
    });
    let (job, _) = conversation_job(config, &f);
    let attempt = BucketChannel::new().deliver(&job).await;
    assert!(
        matches!(attempt.outcome, Outcome::Retry { class: RetryClass::Transient, .. }),
        "{attempt:?}"
    );
}

#[tokio::test]
async fn settings_are_checked() {
    let ch = BucketChannel::new();
    let ok = json!({ "url": "s3://b/p", "endpoint": "http://127.0.0.1:1", "allow_http": true });
    assert!(ch.validate(&ok, &secrets()).is_ok());
    assert!(ch.validate(&ok, &json!({})).unwrap_err().contains("access_key_id"));
    let plain = json!({ "url": "s3://b/p", "endpoint": "http://127.0.0.1:1" });
    assert!(ch.validate(&plain, &secrets()).is_err());
    let bad = json!({ "url": "s3://b/p", "key_template": "{tenant}/{when}.{ext}" });
    assert!(ch.validate(&bad, &secrets()).unwrap_err().contains("{when}"));
    assert!(ch.validate(&json!({ "url": "ftp://b/p" }), &secrets()).is_err());
    assert!(ch.validate(&json!({ "url": "s3://b", "format": "ogg" }), &secrets()).is_err());
    assert!(!ch.accepts(Event::Alert, &ok));
    assert!(ch.accepts(Event::RecordingStored, &ok));
}
