//! The contract between the outbox and a destination kind.
//!
//! The runner claims a delivery, builds a [`Job`] (the destination, what is
//! delivered, what earlier attempts completed) and calls
//! [`Channel::deliver`]. The channel talks to its destination and answers
//! with an [`Attempt`]; the outbox ([`crate::outbox`]) turns that answer into
//! the delivery's next state. A channel never decides *when* to retry, only
//! *whether* the failure is worth retrying and how long the destination asked
//! it to wait.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use callvault_model::{Recording, TenantId};
use callvault_store::ConversationDetail;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a delivery is about. Its string form is the webhook event type and
/// the value in the catalog's `deliveries.event` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// A conversation settled (ended, or no recording arrived for
    /// `settle_secs`): its one entry in e-mail and CRMs.
    #[serde(rename = "conversation.settled")]
    ConversationSettled,
    /// A recording arrived after the conversation was delivered.
    #[serde(rename = "conversation.updated")]
    ConversationUpdated,
    /// One recording was stored (webhooks and buckets that ask for it).
    #[serde(rename = "recording.stored")]
    RecordingStored,
    /// An alert of the destination's tenant was raised.
    #[serde(rename = "alert")]
    Alert,
    /// An alert of the whole installation (no tenant) was raised.
    #[serde(rename = "alert.system")]
    SystemAlert,
    /// `POST /v1/destinations/{id}/test`.
    #[serde(rename = "test")]
    Test,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Event::ConversationSettled,
        Event::ConversationUpdated,
        Event::RecordingStored,
        Event::Alert,
        Event::SystemAlert,
        Event::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::ConversationSettled => "conversation.settled",
            Event::ConversationUpdated => "conversation.updated",
            Event::RecordingStored => "recording.stored",
            Event::Alert => "alert",
            Event::SystemAlert => "alert.system",
            Event::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// An alert as a channel renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: Uuid,
    pub tenant_id: Option<TenantId>,
    pub kind: String,
    pub subject: String,
    pub severity: String,
    pub message: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The destination a job goes to, as its channel sees it. Its `Debug`
/// leaves out the secrets.
#[derive(Clone)]
pub struct DestinationView {
    pub id: Uuid,
    pub name: String,
    /// The kind's own settings (never secret), as stored.
    pub config: Value,
    /// The kind's secrets (passwords, tokens, webhook secrets). Never
    /// logged, never returned by the API.
    pub secrets: Value,
}

impl std::fmt::Debug for DestinationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DestinationView")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("config", &self.config)
            .field("secrets", &callvault_store::redacted_secrets(&self.secrets))
            .finish()
    }
}

/// What is delivered.
#[derive(Debug, Clone)]
pub enum Subject {
    /// [`Event::ConversationSettled`] and [`Event::ConversationUpdated`].
    Conversation(Box<ConversationDetail>),
    /// [`Event::RecordingStored`]: the conversation, and which of its
    /// recordings was stored.
    Recording { conversation: Box<ConversationDetail>, recording_id: Uuid },
    /// [`Event::Alert`] and [`Event::SystemAlert`].
    Alert(AlertView),
    /// [`Event::Test`]: a synthetic delivery that exercises the destination
    /// end to end (the channel sends something the receiver can recognise
    /// as a test).
    Test,
}

/// One delivery attempt's input.
pub struct Job {
    /// The delivery's id: the idempotency key for every destination that
    /// accepts one (webhook-id, Message-ID, amoCRM `uniq` suffix, ...).
    pub delivery_id: Uuid,
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub event: Event,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When the delivery was created.
    pub created_at: DateTime<Utc>,
    pub destination: DestinationView,
    pub subject: Subject,
    /// What earlier attempts of this delivery completed, as the channel
    /// last saved it ([`Value::Null`] at first).
    pub progress: Value,
    pub media: Arc<dyn Media>,
    pub checkpoint: Arc<dyn Checkpoint>,
    pub secrets: Arc<dyn SecretStore>,
}

impl Job {
    /// The conversation, for conversation and recording events.
    pub fn conversation(&self) -> Option<&ConversationDetail> {
        match &self.subject {
            Subject::Conversation(c) => Some(c),
            Subject::Recording { conversation, .. } => Some(conversation),
            Subject::Alert(_) | Subject::Test => None,
        }
    }
}

/// Audio as a channel sends it.
#[derive(Debug, Clone)]
pub struct Audio {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// File extension without the dot (`mp3`, `opus`, `wav`, `flac`).
    pub extension: &'static str,
    /// Lowercase hex sha256 of `bytes`.
    pub sha256: String,
}

/// A format a channel may ask the media engine for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryFormat {
    /// The stored object as it is.
    Original,
    Mp3,
    Wav,
    Opus,
}

/// The audio of a job and links to it.
#[async_trait]
pub trait Media: Send + Sync {
    /// A recording in `format`; derived formats are transcoded once and then
    /// served from a cache that does not count as a copy.
    async fn audio(
        &self,
        recording: &Recording,
        format: DeliveryFormat,
    ) -> Result<Audio, MediaError>;
    /// The size `audio` would return, without transcoding when it is known
    /// (an estimate is acceptable for derived formats; never an
    /// underestimate of more than a few percent).
    async fn size_hint(
        &self,
        recording: &Recording,
        format: DeliveryFormat,
    ) -> Result<u64, MediaError>;
    /// A signed, expiring HTTPS link to a recording in `format`, signed with
    /// the destination's link key, valid for the destination's link TTL.
    /// Serves Range requests, needs no API key.
    fn link(&self, recording: &Recording, format: DeliveryFormat) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The object is missing or cannot be read right now: retry.
    #[error("audio unavailable: {0}")]
    Unavailable(String),
    /// The object cannot be transcoded: retrying will not help.
    #[error("audio cannot be converted: {0}")]
    Unconvertible(String),
}

/// Saves a delivery's progress while its runner holds the lease, so that a
/// retry (on this node or another, after a crash) resumes where this
/// attempt stopped.
#[async_trait]
pub trait Checkpoint: Send + Sync {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Another runner holds the delivery now: stop without sending more.
    #[error("the delivery's lease was lost")]
    LeaseLost,
    #[error("catalog: {0}")]
    Catalog(String),
}

/// The destination's secrets for channels whose secrets change (an OAuth2
/// refresh token that can be used once, for every node at once).
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The secrets as stored now (another node may have refreshed them).
    async fn load(&self) -> Result<Value, SecretError>;
    /// Replace the secrets if they still equal `expected`; false if they
    /// changed meanwhile.
    async fn replace(&self, expected: &Value, new: &Value) -> Result<bool, SecretError>;
    /// Take the destination's refresh lock for `ttl` (one node refreshes at
    /// a time); false if another node holds it.
    async fn lock(&self, ttl: Duration) -> Result<bool, SecretError>;
    async fn unlock(&self) -> Result<(), SecretError>;
}

#[derive(Debug, thiserror::Error)]
#[error("destination secrets: {0}")]
pub struct SecretError(pub String);

/// How a retryable failure is classed: each class has its own maximum age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// Timeouts, 5xx, 429, SMTP 4xx, connection refused.
    Transient,
    /// SMTP mailbox full (452, 4.2.2, 552 5.2.2): retried for the
    /// destination's `mailbox_full_max_age` (72 h by default).
    MailboxFull,
}

/// What one attempt achieved.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The destination accepted it. `verified` when the channel read it
    /// back (CRM notes, bucket object checksum).
    Delivered { verified: bool },
    /// Worth another try.
    Retry { error: String, retry_after: Option<Duration>, class: RetryClass },
    /// Retrying cannot help (unknown user, 4xx other than 429/410, bad
    /// configuration): dead at once, and an alert.
    Dead { error: String },
    /// The CRM has nothing to attach the call to and the destination is
    /// configured to report that rather than create a contact or lead.
    NoMatch { error: String },
    /// The endpoint told us to stop (webhook 410): the destination is
    /// disabled and an alert raised.
    DisableDestination { error: String },
}

/// A channel's answer for one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub outcome: Outcome,
    /// Progress to keep (the same as the last checkpoint, or later).
    pub progress: Value,
    /// The destination's status as it said it ("HTTP 503", "452 4.2.2"),
    /// for the delivery's history; never a secret.
    pub status: Option<String>,
}

/// A destination kind.
#[async_trait]
pub trait Channel: Send + Sync {
    /// `email`, `webhook`, `amocrm`, `bitrix24`, `bucket`.
    fn kind(&self) -> &'static str;
    /// Check a destination's settings and secrets when it is created or
    /// updated: a clear message for the API's problem+json on error.
    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String>;
    /// Which events this kind can deliver (an e-mail destination takes
    /// `conversation.updated` only if its config asks for it).
    fn accepts(&self, event: Event, config: &Value) -> bool;
    /// Make one attempt.
    async fn deliver(&self, job: &Job) -> Attempt;
}
