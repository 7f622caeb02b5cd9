//! The customer's own bucket: each recording as an object, with a JSON
//! sidecar that describes it, every object read back and checked.
//!
//! Settings (`config`):
//! - `url`: `s3://bucket/prefix`, `gs://bucket/prefix` or
//!   `az://container/prefix` (Azure also needs `account`);
//! - S3: `endpoint` (for S3-compatible stores; path-style requests),
//!   `region` (`us-east-1` by default); `allow_http` for a plain-http
//!   endpoint;
//! - `key_template`: where an object goes under the prefix, by default
//!   [`DEFAULT_KEY_TEMPLATE`]. Placeholders: `{tenant}` (the tenant's name),
//!   `{tenant_id}`, `{conversation}`, `{recording}`, `{direction}`, `{yyyy}`,
//!   `{mm}`, `{dd}`, `{hh}` (the conversation's start, UTC) and `{ext}` (the
//!   delivered format's extension). A template must name `{conversation}` or
//!   `{recording}`. When it does not name `{recording}`, a conversation's
//!   second and later recordings (in the order they were stored) get `-2`,
//!   `-3`, ... before `.{ext}` (or at the end): the first recording keeps the
//!   plain key, so a key never changes when later recordings arrive;
//! - `format`: `original` (the stored object as it is, the default), `mp3`,
//!   `wav` or `opus`;
//! - `timeout_secs`: one request's timeout (60 by default, 1 to 600).
//!
//! Secrets: S3 `access_key_id`, `secret_access_key` and optional
//! `session_token`; GCS `service_account_key` (the JSON key); Azure
//! `access_key`. Credentials are required: a bucket destination never falls
//! back to the credentials of the machine callvault runs on.
//!
//! Each recording goes to its templated key and the payload ([`crate::payload`])
//! (plus an `object` member describing that file) to `{key}.json`. After
//! each PUT the object is read back and its size and sha256 compared, and the
//! delivery's progress is checkpointed (`{"objects": {key: {"sha256", "size"}}}`).
//! A later attempt of the same delivery reads back the objects its progress
//! names and uploads again only those that are missing or differ, so a
//! retry neither repeats finished uploads nor trusts an object that changed
//! meanwhile. Keys are deterministic, so a repeated PUT overwrites the same
//! object with the same bytes: no duplicates. The answer is
//! `Delivered { verified: true }` once every object is verified.
//!
//! A `test` delivery writes and reads back `callvault-test/{delivery}.json`
//! under the prefix. Alerts are not delivered to buckets.
//!
//! Errors: a missing bucket (404 on PUT) or refused credentials (401/403)
//! are configuration problems: dead at once, with a message that says so
//! (the outbox raises the alert). Anything else (network, timeouts, 5xx, a
//! read-back that differs) is retried.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_model::Recording;
use callvault_store::ConversationDetail;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::channel::{
    Attempt, Channel, CheckpointError, DeliveryFormat, Event, Job, MediaError, Outcome, RetryClass,
    Subject,
};
use crate::payload;

/// The key template used when a destination sets none.
pub const DEFAULT_KEY_TEMPLATE: &str = "{tenant}/{yyyy}/{mm}/{dd}/{conversation}.{ext}";
const DEFAULT_TIMEOUT_SECS: u64 = 60;
const MAX_TIMEOUT_SECS: u64 = 600;
const PLACEHOLDERS: &[&str] = &[
    "tenant",
    "tenant_id",
    "conversation",
    "recording",
    "direction",
    "yyyy",
    "mm",
    "dd",
    "hh",
    "ext",
];

/// A bucket destination's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct BucketConfig {
    /// `s3://bucket/prefix`, `gs://bucket/prefix` or `az://container/prefix`.
    pub url: String,
    /// An S3-compatible endpoint (or an Azure one), path-style requests.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The S3 region (`us-east-1` by default).
    #[serde(default)]
    pub region: Option<String>,
    /// Azure: the storage account.
    #[serde(default)]
    pub account: Option<String>,
    /// Allow a plain-http endpoint.
    #[serde(default)]
    pub allow_http: bool,
    /// Where objects go under the prefix ([`DEFAULT_KEY_TEMPLATE`] if unset).
    #[serde(default)]
    pub key_template: Option<String>,
    /// The audio format delivered (`original` by default).
    #[serde(default = "original")]
    pub format: DeliveryFormat,
    /// One request's timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn original() -> DeliveryFormat {
    DeliveryFormat::Original
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

#[derive(Deserialize, Default)]
struct BucketSecrets {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    service_account_key: Option<String>,
    access_key: Option<String>,
}

impl BucketConfig {
    /// Parse and check a destination's settings.
    pub fn parse(config: &Value) -> Result<BucketConfig, String> {
        let config: BucketConfig =
            serde_json::from_value(config.clone()).map_err(|e| format!("bucket settings: {e}"))?;
        if config.timeout_secs == 0 || config.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(format!("bucket timeout_secs must be 1 to {MAX_TIMEOUT_SECS}"));
        }
        check_template(config.template())?;
        let url = url::Url::parse(&config.url).map_err(|e| format!("bucket url: {e}"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("bucket url names no bucket (s3://bucket/prefix)".into());
        }
        match url.scheme() {
            "s3" | "s3a" | "gs" => {}
            "az" | "azure" if config.account.is_some() => {}
            "az" | "azure" => return Err("an az:// bucket needs the account setting".into()),
            other => {
                return Err(format!("bucket url scheme {other:?}: use s3://, gs:// or az://"));
            }
        }
        if let Some(endpoint) = &config.endpoint {
            let e = url::Url::parse(endpoint).map_err(|e| format!("bucket endpoint: {e}"))?;
            if e.scheme() == "http" && !config.allow_http {
                return Err("bucket endpoint is plain http: set allow_http".into());
            }
        }
        Ok(config)
    }

    fn template(&self) -> &str {
        self.key_template.as_deref().unwrap_or(DEFAULT_KEY_TEMPLATE)
    }
}

/// Check that a template uses known placeholders only and names the
/// conversation or the recording.
fn check_template(template: &str) -> Result<(), String> {
    let mut rest = template;
    let mut names_object = false;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| "bucket key_template has an unclosed {".to_owned())?;
        let name = &rest[start + 1..start + end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "bucket key_template: unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        names_object |= name == "conversation" || name == "recording";
        rest = &rest[start + end + 1..];
    }
    if !names_object {
        return Err("bucket key_template must contain {conversation} or {recording}".into());
    }
    if template.starts_with('/') || template.contains("//") || template.contains("..") {
        return Err("bucket key_template must be a relative path without empty or .. parts".into());
    }
    Ok(())
}

/// A key part from a value someone typed: path-safe.
fn safe(value: &str) -> String {
    let s: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') { "_".into() } else { s }
}

/// The object key (under the prefix) of a conversation's recording:
/// `position` is its 1-based place among the conversation's recordings in
/// the order they were stored.
pub fn object_key(
    template: &str,
    tenant_name: &str,
    detail: &ConversationDetail,
    recording: &Recording,
    position: usize,
    ext: &str,
) -> String {
    let c = &detail.conversation;
    let start = c.started_at;
    let mut template = template.to_owned();
    if position > 1 && !template.contains("{recording}") {
        let suffix = format!("-{position}");
        match template.strip_suffix(".{ext}") {
            Some(stem) => template = format!("{stem}{suffix}.{{ext}}"),
            None => template.push_str(&suffix),
        }
    }
    let values = [
        ("tenant", safe(tenant_name)),
        ("tenant_id", c.tenant_id.to_string()),
        ("conversation", c.id.to_string()),
        ("recording", recording.id.to_string()),
        ("direction", c.direction.as_str().to_owned()),
        ("yyyy", start.format("%Y").to_string()),
        ("mm", start.format("%m").to_string()),
        ("dd", start.format("%d").to_string()),
        ("hh", start.format("%H").to_string()),
        ("ext", ext.to_owned()),
    ];
    values.iter().fold(template, |t, (name, value)| t.replace(&format!("{{{name}}}"), value))
}

fn extension(recording: &Recording, format: DeliveryFormat) -> &'static str {
    match format {
        DeliveryFormat::Original => recording.format.extension(),
        DeliveryFormat::Mp3 => "mp3",
        DeliveryFormat::Wav => "wav",
        DeliveryFormat::Opus => "opus",
    }
}

/// The opened bucket: its store and the prefix keys go under.
struct Bucket {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    prefix: String,
}

impl Bucket {
    fn open(config: &BucketConfig, secrets: &Value) -> Result<Bucket, String> {
        let secrets: BucketSecrets = serde_json::from_value(secrets.clone())
            .map_err(|_| "bucket secrets: expected an object of strings".to_owned())?;
        let url = url::Url::parse(&config.url).map_err(|e| format!("bucket url: {e}"))?;
        let bucket = url.host_str().unwrap_or_default().to_owned();
        let prefix = url.path().trim_matches('/').to_owned();
        let timeout = Duration::from_secs(config.timeout_secs);
        let client = ClientOptions::new()
            .with_timeout(timeout)
            .with_connect_timeout(timeout.min(Duration::from_secs(10)))
            .with_allow_http(config.allow_http);
        // Retrying is the outbox's job; a couple of quick retries only smooth
        // over a dropped connection.
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(1),
                base: 2.0,
            },
            max_retries: 2,
            retry_timeout: timeout,
        };
        let missing = |what: &str| format!("bucket secrets: {what} is required");
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&bucket)
                    .with_region(config.region.as_deref().unwrap_or("us-east-1"))
                    .with_access_key_id(
                        secrets.access_key_id.ok_or_else(|| missing("access_key_id"))?,
                    )
                    .with_secret_access_key(
                        secrets.secret_access_key.ok_or_else(|| missing("secret_access_key"))?,
                    )
                    .with_allow_http(config.allow_http)
                    .with_client_options(client)
                    .with_retry(retry);
                if let Some(token) = secrets.session_token {
                    b = b.with_token(token);
                }
                if let Some(endpoint) = &config.endpoint {
                    b = b.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
                }
                Arc::new(b.build().map_err(|e| format!("bucket: {e}"))?)
            }
            "gs" => {
                let b = object_store::gcp::GoogleCloudStorageBuilder::new()
                    .with_bucket_name(&bucket)
                    .with_service_account_key(
                        secrets
                            .service_account_key
                            .ok_or_else(|| missing("service_account_key"))?,
                    )
                    .with_client_options(client)
                    .with_retry(retry);
                Arc::new(b.build().map_err(|e| format!("bucket: {e}"))?)
            }
            _ => {
                let account = config.account.clone().unwrap_or_default();
                let mut b = object_store::azure::MicrosoftAzureBuilder::new()
                    .with_account(account)
                    .with_container_name(&bucket)
                    .with_access_key(secrets.access_key.ok_or_else(|| missing("access_key"))?)
                    .with_allow_http(config.allow_http)
                    .with_client_options(client)
                    .with_retry(retry);
                if let Some(endpoint) = &config.endpoint {
                    b = b.with_endpoint(endpoint.clone());
                }
                Arc::new(b.build().map_err(|e| format!("bucket: {e}"))?)
            }
        };
        Ok(Bucket { store, bucket, prefix })
    }

    fn path(&self, key: &str) -> Result<Path, Failure> {
        let full =
            if self.prefix.is_empty() { key.to_owned() } else { format!("{}/{key}", self.prefix) };
        Path::parse(&full).map_err(|e| Failure::dead(format!("bucket key {full:?}: {e}"), None))
    }

    /// PUT then read back; an object that reads back different is retried.
    async fn put_verified(&self, key: &str, bytes: Bytes, sha256: &str) -> Result<(), Failure> {
        let path = self.path(key)?;
        let size = bytes.len() as u64;
        self.store
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.failure(e, key, true))?;
        match self.read_back(key).await? {
            Some((s, h)) if s == size && h == sha256 => Ok(()),
            Some((s, h)) => Err(Failure::retry(
                format!(
                    "object {key} read back as {s} bytes, sha256 {h}; wrote {size} bytes, sha256 {sha256}"
                ),
                None,
            )),
            None => Err(Failure::retry(format!("object {key} missing right after its PUT"), None)),
        }
    }

    /// The size and sha256 of an object, or None if it does not exist.
    async fn read_back(&self, key: &str) -> Result<Option<(u64, String)>, Failure> {
        let path = self.path(key)?;
        let result = match self.store.get(&path).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failure(e, key, false)),
        };
        let mut stream = result.into_stream();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.failure(e, key, false))?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(Some((size, hex::encode(hasher.finalize()))))
    }

    /// Whether an object already holds exactly what `expected` recorded.
    async fn still_verified(&self, key: &str, expected: &Value) -> Result<bool, Failure> {
        let (Some(size), Some(sha)) = (
            expected.get("size").and_then(Value::as_u64),
            expected.get("sha256").and_then(Value::as_str),
        ) else {
            return Ok(false);
        };
        Ok(matches!(self.read_back(key).await?, Some((s, h)) if s == size && h == sha))
    }

    fn failure(&self, e: object_store::Error, key: &str, writing: bool) -> Failure {
        match e {
            object_store::Error::NotFound { .. } if writing => Failure::dead(
                format!("bucket {:?} does not exist (NoSuchBucket)", self.bucket),
                Some("HTTP 404"),
            ),
            object_store::Error::PermissionDenied { .. } => Failure::dead(
                format!(
                    "access to bucket {:?} denied (AccessDenied): check the keys and the bucket's policy",
                    self.bucket
                ),
                Some("HTTP 403"),
            ),
            object_store::Error::Unauthenticated { .. } => Failure::dead(
                format!("bucket {:?} refused the credentials: check the keys", self.bucket),
                Some("HTTP 401"),
            ),
            other => Failure::retry(format!("object {key}: {other}"), None),
        }
    }
}

/// Why an attempt stopped.
struct Failure {
    outcome: Outcome,
    status: Option<String>,
}

impl Failure {
    fn dead(error: String, status: Option<&str>) -> Failure {
        Failure { outcome: Outcome::Dead { error }, status: status.map(str::to_owned) }
    }

    fn retry(error: String, status: Option<&str>) -> Failure {
        Failure {
            outcome: Outcome::Retry { error, retry_after: None, class: RetryClass::Transient },
            status: status.map(str::to_owned),
        }
    }
}

impl From<MediaError> for Failure {
    fn from(e: MediaError) -> Failure {
        match e {
            MediaError::Unavailable(_) => Failure::retry(e.to_string(), None),
            MediaError::Unconvertible(_) => Failure::dead(e.to_string(), None),
        }
    }
}

impl From<CheckpointError> for Failure {
    fn from(e: CheckpointError) -> Failure {
        Failure::retry(format!("checkpoint: {e}"), None)
    }
}

/// One attempt's state: the objects verified so far.
struct Run<'a> {
    job: &'a Job,
    bucket: Bucket,
    /// Objects verified by earlier attempts, as their progress recorded.
    earlier: serde_json::Map<String, Value>,
    /// Objects verified by earlier attempts and this one.
    done: serde_json::Map<String, Value>,
}

impl Run<'_> {
    /// Make sure `key` holds `content`: skipped when an earlier attempt
    /// verified it and it still reads back the same; otherwise PUT, read
    /// back and checkpointed. `content` is only called when needed.
    async fn ensure<F, Fut>(&mut self, key: &str, content: F) -> Result<(), Failure>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Bytes, Failure>>,
    {
        if let Some(expected) = self.earlier.get(key)
            && self.bucket.still_verified(key, expected).await?
        {
            self.done.insert(key.to_owned(), expected.clone());
            return Ok(());
        }
        let bytes = content().await?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.bucket.put_verified(key, bytes, &sha256).await?;
        self.done.insert(key.to_owned(), json!({ "sha256": sha256, "size": size }));
        self.job.checkpoint.save(&self.progress()).await?;
        Ok(())
    }

    fn progress(&self) -> Value {
        json!({ "objects": self.done })
    }

    async fn conversation(
        &mut self,
        config: &BucketConfig,
        detail: &ConversationDetail,
        only: Option<uuid::Uuid>,
    ) -> Result<(), Failure> {
        let mut recordings: Vec<&Recording> =
            detail.recordings.iter().map(|r| &r.recording).collect();
        recordings.sort_by_key(|r| r.id);
        let payload = payload::job_payload(self.job);
        for (i, recording) in recordings.iter().enumerate() {
            if only.is_some_and(|id| id != recording.id.0) {
                continue;
            }
            let ext = extension(recording, config.format);
            let key =
                object_key(config.template(), &self.job.tenant_name, detail, recording, i + 1, ext);
            let media = self.job.media.clone();
            let format = config.format;
            self.ensure(&key, || async move { Ok(media.audio(recording, format).await?.bytes) })
                .await?;
            let file = self.done.get(&key).cloned().unwrap_or_default();
            let mut sidecar = payload.clone();
            if let Some(map) = sidecar.as_object_mut() {
                map.insert(
                    "object".into(),
                    json!({
                        "key": key,
                        "recording": recording.id.to_string(),
                        "format": ext,
                        "size_bytes": file["size"],
                        "sha256": file["sha256"],
                    }),
                );
            }
            let sidecar_key = format!("{key}.json");
            self.ensure(&sidecar_key, || async move {
                serde_json::to_vec_pretty(&sidecar)
                    .map(Bytes::from)
                    .map_err(|e| Failure::dead(format!("sidecar: {e}"), None))
            })
            .await?;
        }
        Ok(())
    }
}

/// The bucket channel.
#[derive(Debug, Default)]
pub struct BucketChannel;

impl BucketChannel {
    /// The channel; it opens each destination's bucket per attempt.
    pub fn new() -> Self {
        BucketChannel
    }

    async fn run(&self, job: &Job) -> Result<Value, (Failure, Value)> {
        let config = BucketConfig::parse(&job.destination.config)
            .map_err(|e| (Failure::dead(e, None), job.progress.clone()))?;
        let bucket = Bucket::open(&config, &job.destination.secrets)
            .map_err(|e| (Failure::dead(e, None), job.progress.clone()))?;
        let earlier =
            job.progress.get("objects").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut run = Run { job, bucket, earlier, done: serde_json::Map::new() };
        let result = match &job.subject {
            Subject::Conversation(detail) => run.conversation(&config, detail, None).await,
            Subject::Recording { conversation, recording_id } => {
                run.conversation(&config, conversation, Some(*recording_id)).await
            }
            Subject::Test => {
                let key = format!("callvault-test/{}.json", job.delivery_id);
                let body =
                    serde_json::to_vec_pretty(&payload::test_payload(job)).unwrap_or_default();
                run.ensure(&key, || async move { Ok(Bytes::from(body)) }).await
            }
            Subject::Alert(_) => {
                Err(Failure::dead("bucket destinations do not take alerts".into(), None))
            }
        };
        // Keep what earlier attempts verified and this one did not reach.
        let mut all = run.earlier.clone();
        all.extend(run.done.clone());
        let progress = json!({ "objects": all });
        match result {
            Ok(()) => Ok(progress),
            Err(f) => Err((f, progress)),
        }
    }
}

#[async_trait]
impl Channel for BucketChannel {
    fn kind(&self) -> &'static str {
        "bucket"
    }

    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String> {
        let config = BucketConfig::parse(config)?;
        Bucket::open(&config, secrets).map(|_| ())
    }

    fn accepts(&self, event: Event, _config: &Value) -> bool {
        !matches!(event, Event::Alert | Event::SystemAlert)
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        match self.run(job).await {
            Ok(progress) => {
                Attempt { outcome: Outcome::Delivered { verified: true }, progress, status: None }
            }
            Err((failure, progress)) => {
                Attempt { outcome: failure.outcome, progress, status: failure.status }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_checked() {
        assert!(check_template(DEFAULT_KEY_TEMPLATE).is_ok());
        assert!(check_template("{recording}.{ext}").is_ok());
        assert!(check_template("{tenant}/{yyyy}.{ext}").is_err());
        assert!(check_template("{conversation}/{nope}").is_err());
        assert!(check_template("{conversation").is_err());
        assert!(check_template("../{conversation}").is_err());
        assert!(check_template("/{conversation}").is_err());
    }

    #[test]
    fn names_are_made_path_safe() {
        assert_eq!(safe("acme/../x"), "acme_.._x");
        assert_eq!(safe(".."), "_");
        assert_eq!(safe("Acme GmbH"), "Acme_GmbH");
    }
}
