//! The catalog: one trait, two SQL backends (SQLite, PostgreSQL).
//!
//! Every method that changes state runs in one transaction and appends to the
//! audit log in that same transaction, so the log never disagrees with the
//! rows it describes. Every query that touches tenant data takes the tenant
//! id and filters by it: there is no method that reads another tenant's rows
//! by id alone.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use callvault_model::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::assurance::*;
use crate::outbox::*;
use crate::retention::*;

/// Errors of the catalog. Messages never carry SQL or connection strings.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("catalog unavailable: {0}")]
    Unavailable(String),
    #[error("catalog error: {0}")]
    Backend(String),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Manages tenants and keys; sees no recordings.
    Admin,
    /// Reads and writes one tenant's data.
    Tenant,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Admin => "admin",
            KeyRole::Tenant => "tenant",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(KeyRole::Admin),
            "tenant" => Ok(KeyRole::Tenant),
            _ => Err(CatalogError::Backend(format!("unknown key role {s:?}"))),
        }
    }
}

/// A stored API key. The secret itself is never stored, only its sha256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: Option<TenantId>,
    pub role: KeyRole,
    pub label: String,
    /// The first characters of the key, shown in listings to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to insert; `hash` is the lowercase hex sha256 of the full secret.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub tenant_id: Option<TenantId>,
    pub role: KeyRole,
    pub label: String,
    pub prefix: String,
    pub hash: String,
}

/// A participant as an upload or a capture reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewParticipant {
    pub side: Side,
    pub address: Option<String>,
    pub display_name: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// What is known about the conversation a new recording belongs to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversationHints {
    /// Ids that find (or, when new, identify) the conversation.
    pub external_ids: Vec<ExternalId>,
    pub direction: Option<Direction>,
    pub external_number: Option<String>,
    pub company_number: Option<String>,
    /// Join a conversation found by a key only if it ended at most this
    /// long before the recording starts; later, the key was reused by the
    /// source for another call (SBCs with fixed or wrapping group ids) and
    /// the recording starts a new conversation. `None`: join whatever the
    /// gap (a session of the group was live when this one started).
    pub rejoin_window: Option<std::time::Duration>,
}

/// A recording whose object is already durably stored and verified, to be
/// made visible in one transaction together with its conversation,
/// participants, copy and audit entries.
#[derive(Debug, Clone)]
pub struct NewRecording {
    pub id: RecordingId,
    pub tenant_id: TenantId,
    pub idempotency_key: Option<String>,
    /// Identifies the upload (its bytes and its metadata): the same upload
    /// again is a duplicate, the same bytes for another call are not.
    pub upload_key: String,
    pub conversation: ConversationHints,
    pub participants: Vec<NewParticipant>,
    pub source: RecordingSource,
    pub format: AudioFormat,
    pub codec: String,
    pub channels: u16,
    pub sample_rate: u32,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub sha256: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub object_key: String,
    pub flags: Vec<String>,
    /// The store that holds the object (the copy row's `store`).
    pub store: String,
    pub actor: String,
    /// When the conversation counts as settled if no other recording of it
    /// arrives: its `conversation.settled` deliveries are due then (and
    /// postponed to a later recording's `settle_at`).
    pub settle_at: DateTime<Utc>,
    /// What happened during the recording (DTMF, media gaps), stored with
    /// it in the same transaction.
    pub events: Vec<NewConversationEvent>,
    /// Set when the object is encrypted: its wrapped data key (stored in
    /// the same transaction) and the stored bytes' size and sha256, which
    /// the copy row describes; `size_bytes` and `sha256` above stay the
    /// audio's.
    pub encryption: Option<NewRecordingKey>,
}

/// Something that happened on a conversation at an instant, besides who
/// was on it: `dtmf` (detail: `digit`, `duration_ms`, ...), `media_gap`
/// (detail: `end`, `duration_ms`), `no_media` (detail: `reason`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewConversationEvent {
    pub at: DateTime<Utc>,
    /// Lowercase, `[a-z0-9_]`, at most 32 characters.
    pub kind: String,
    /// Who it came from: an index into the participants of the same
    /// [`NewRecording`] or [`NewEmptySession`] (the catalog turns it into
    /// the merged participant's id).
    pub participant: Option<usize>,
    /// A JSON object.
    pub detail: Value,
}

/// A stored [`NewConversationEvent`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationEvent {
    pub id: Uuid,
    pub conversation_id: ConversationId,
    /// The recording it was stored with; None for a session stored without
    /// one ([`Catalog::record_empty_session`]).
    pub recording_id: Option<RecordingId>,
    pub participant_id: Option<ParticipantId>,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: Value,
}

/// A recording session that brought no audio to store (nothing decodable
/// arrived), kept as a conversation with its participants so that every
/// call is accounted for: its event of kind `kind` (e.g. `no_media`, with
/// the reason in `detail`) says why there is no recording.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmptySession {
    pub tenant_id: TenantId,
    /// Identifies the session: storing it again finds the first.
    pub session_key: String,
    pub conversation: ConversationHints,
    pub participants: Vec<NewParticipant>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub kind: String,
    pub detail: Value,
    /// Further events of the session (DTMF received without audio).
    pub events: Vec<NewConversationEvent>,
    pub actor: String,
}

/// The result of [`Catalog::record_empty_session`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptySessionOutcome {
    /// Stored now, in this conversation.
    Created(ConversationId),
    /// Stored before (same session key), in this conversation.
    Existing(ConversationId),
}

/// The result of [`Catalog::commit_recording`].
#[derive(Debug, Clone, PartialEq)]
pub enum CommitOutcome {
    /// A new recording is now visible.
    Created(Recording),
    /// The same upload was already stored (same idempotency key, or the same
    /// upload key): nothing was written; the caller removes its own object.
    Existing(Recording),
}

/// A conversation as the search lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    pub recording_count: u32,
    pub participant_count: u32,
    /// The longest live recording's duration; 0 without one.
    pub duration_ms: u64,
    /// The sources of its live recordings, each once, in
    /// [`RecordingSource`] order.
    pub sources: Vec<RecordingSource>,
    /// What the console flags it with, each once, in
    /// [`ConversationFlag`] order.
    pub flags: Vec<ConversationFlag>,
}

/// A mark the console searches by and shows on a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationFlag {
    /// One of its live recordings was cut short by a crash (recording flag
    /// `cut_by_crash`: audio up to the recorder's last sync).
    CutByCrash,
    /// An open assurance finding of kind `incomplete` names it.
    Incomplete,
    /// An open assurance finding of kind `undelivered` names it.
    Undelivered,
}

impl ConversationFlag {
    /// Every flag, in display order.
    pub const ALL: [ConversationFlag; 3] =
        [ConversationFlag::CutByCrash, ConversationFlag::Incomplete, ConversationFlag::Undelivered];

    /// The flag's name in the API (and, for the two findings, the finding's kind).
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationFlag::CutByCrash => "cut_by_crash",
            ConversationFlag::Incomplete => "incomplete",
            ConversationFlag::Undelivered => "undelivered",
        }
    }

    /// The flag of its API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A recording together with its copies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingWithCopies {
    pub recording: Recording,
    pub codec: String,
    pub copies: Vec<Copy>,
}

/// Everything the API shows about one conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub participants: Vec<Participant>,
    pub recordings: Vec<RecordingWithCopies>,
    /// DTMF, media gaps and the like, in time order.
    pub events: Vec<ConversationEvent>,
}

/// A position in the conversation listing (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub started_at: DateTime<Utc>,
    pub id: ConversationId,
}

/// Filters of [`Catalog::search_conversations`]; all of them combine with AND.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversationQuery {
    /// Conversations that started at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Conversations that started before this instant.
    pub to: Option<DateTime<Utc>>,
    /// A phone number in any notation; matched on its last 10 digits against
    /// the external and company numbers and every participant's address.
    pub number: Option<String>,
    /// A participant's address (extension, number, SIP user) or display name.
    pub participant: Option<String>,
    /// An external id; `kind` None matches any kind.
    pub external_id: Option<(Option<String>, String)>,
    pub has_recording: Option<bool>,
    pub after: Option<Cursor>,
    pub limit: u32,
    /// The conversation's direction.
    pub direction: Option<Direction>,
    /// At least one live recording from this source.
    pub source: Option<RecordingSource>,
    /// The longest live recording lasts at least this long (ms).
    pub min_duration_ms: Option<u64>,
    /// The longest live recording lasts at most this long (ms); a
    /// conversation without a live recording never matches.
    pub max_duration_ms: Option<u64>,
    /// Carries this flag.
    pub flag: Option<ConversationFlag>,
}

/// One page of results and the cursor of the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
    /// Set when the search stopped at its scan budget (the page may be
    /// short): every match that started at or after this instant (before
    /// the cursor) is on the page; older ones may follow on the next page.
    pub searched_back_to: Option<DateTime<Utc>>,
}

/// An object written to a store whose recording was not yet committed.
/// Rows like this exist only while an upload is in flight; after a crash
/// they name exactly the objects to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingObject {
    pub store: String,
    pub object_key: String,
    /// The process instance writing it; recovery removes the object only
    /// once that instance is known to be dead.
    pub owner: String,
    pub tenant_id: TenantId,
    pub created_at: DateTime<Utc>,
}

/// The catalog of tenants, keys, conversations, recordings and copies.
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
    /// Which backend this is (`sqlite`, `postgres`), for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Apply pending migrations; idempotent.
    async fn migrate(&self) -> Result<()>;

    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<()>;

    /// Whether a write can be made now, for readiness checks: the writer
    /// connection works (SQLite: a stuck one is replaced), a write
    /// transaction can be started (SQLite: the write lock taken, so this may
    /// wait behind a long write) and, after a write found the storage full,
    /// a write that changes nothing commits. `Ok` is no promise that the next
    /// write succeeds.
    ///
    /// The default, for a catalog that cannot tell, is [`Catalog::ping`].
    async fn check_writable(&self) -> Result<()> {
        self.ping().await
    }

    /// Refresh the query planner's statistics. Run at start-up and
    /// periodically: without them SQLite may walk the time index of every
    /// conversation to find the one with a given number.
    async fn maintain(&self) -> Result<()>;

    // --- tenants and keys -------------------------------------------------

    async fn create_tenant(&self, name: &str, actor: &str) -> Result<Tenant>;
    async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>>;
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    async fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey>;
    /// The active (not revoked) key with this hash.
    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(&self, id: ApiKeyId, actor: &str) -> Result<()>;

    // --- ingest -----------------------------------------------------------

    /// Note that `object_key` is about to be written for `tenant`. Must be
    /// called before the object is stored.
    async fn add_pending_object(&self, pending: &PendingObject) -> Result<()>;
    /// Forget a pending object (its upload failed and the object is gone).
    async fn remove_pending_object(&self, store: &str, object_key: &str) -> Result<()>;
    async fn pending_objects(&self) -> Result<Vec<PendingObject>>;

    /// The recording stored earlier under this idempotency key, or with this
    /// upload key, in this tenant.
    async fn find_duplicate(
        &self,
        tenant: TenantId,
        idempotency_key: Option<&str>,
        upload_key: &str,
    ) -> Result<Option<Recording>>;

    /// Make a stored recording visible: find or create its conversation by
    /// its external ids, merge participants, insert the recording and its
    /// copy, clear the pending object, queue its deliveries and write the
    /// audit log, atomically.
    ///
    /// For each enabled, live destination of the tenant: `recording.stored`
    /// (if subscribed) due now; `conversation.settled` due at
    /// [`NewRecording::settle_at`], or, while that one is pending and not yet
    /// attempted, postponed to it; once it was attempted,
    /// `conversation.updated` (if subscribed) likewise. A duplicate
    /// ([`CommitOutcome::Existing`]) queues nothing.
    async fn commit_recording(&self, new: NewRecording) -> Result<CommitOutcome>;

    /// Account for a session without a recording: find or create its
    /// conversation by its external ids (as a commit does), merge its
    /// participants, index it for search, store its events (the first of
    /// kind [`NewEmptySession::kind`]) and write the audit log, atomically.
    /// The conversation's recording count is unchanged and no delivery is
    /// queued. The same session key again is
    /// [`EmptySessionOutcome::Existing`] and writes nothing.
    async fn record_empty_session(&self, new: NewEmptySession) -> Result<EmptySessionOutcome>;

    // --- reads ------------------------------------------------------------

    async fn search_conversations(
        &self,
        tenant: TenantId,
        query: &ConversationQuery,
    ) -> Result<Page<ConversationSummary>>;
    async fn conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
    ) -> Result<Option<ConversationDetail>>;
    async fn recording(&self, tenant: TenantId, id: RecordingId) -> Result<Option<Recording>>;

    // --- copies and consistency --------------------------------------------

    /// Copies in `store`, ordered by object key, after `after`.
    async fn list_copies(&self, store: &str, after: Option<&str>, limit: u32) -> Result<Vec<Copy>>;
    /// Which of `keys` the catalog knows in `store` (as a copy or a pending
    /// object).
    async fn known_object_keys(&self, store: &str, keys: &[String]) -> Result<HashSet<String>>;
    async fn mark_copy_verified(&self, id: CopyId, at: DateTime<Utc>) -> Result<()>;

    /// Audit events, oldest first, after sequence number `after`.
    async fn audit_events(
        &self,
        tenant: Option<TenantId>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditEvent>>;

    /// Counts for the metrics endpoint: conversations, recordings, bytes.
    async fn totals(&self) -> Result<Totals>;

    // --- destinations --------------------------------------------------------

    /// Create a destination with a fresh link key. A name already used by a
    /// live destination of the tenant is a `Conflict`; unknown events are
    /// `Invalid`.
    async fn create_destination(
        &self,
        new: NewDestination,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Destination>;
    /// A tenant's destinations that are not deleted, oldest first.
    async fn list_destinations(&self, tenant: TenantId) -> Result<Vec<Destination>>;
    /// A live destination. `tenant` None is the system's view (the runner,
    /// an admin); Some finds only that tenant's.
    async fn get_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
    ) -> Result<Option<Destination>>;
    /// Change a live destination (tenant as in [`Catalog::get_destination`]);
    /// None when there is none to change. Enabling clears its disabled
    /// reason.
    async fn update_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        update: DestinationUpdate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Destination>>;
    /// Delete a destination (it stays in the catalog, marked deleted); its
    /// pending and retry-waiting deliveries are cancelled. False when there
    /// was none to delete.
    async fn delete_destination(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Disable a destination for `reason` (the system's verdict: a revoked
    /// token, a 410). False when it does not exist.
    async fn disable_destination(&self, id: Uuid, reason: &str, now: DateTime<Utc>)
    -> Result<bool>;
    /// Replace a destination's secrets if they still equal `expected`
    /// (compare-and-swap, for an OAuth refresh); whether they were replaced.
    async fn replace_destination_secrets(
        &self,
        id: Uuid,
        expected: &Value,
        new: &Value,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Take the named lease for `ttl` if it is free, expired or already
    /// `owner`'s (then it is extended).
    async fn try_lock(
        &self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Give the named lease up, if `owner` holds it.
    async fn unlock(&self, name: &str, owner: &str) -> Result<()>;

    // --- deliveries (the outbox) --------------------------------------------

    /// Queue a delivery to a live destination of the delivery's tenant.
    async fn enqueue_delivery(&self, new: NewDelivery, now: DateTime<Utc>) -> Result<Delivery>;
    /// Take up to `limit` due deliveries, oldest due first, for `owner` until
    /// `now + lease`: pending or retry-waiting ones due by `now`, and in-flight
    /// ones whose lease ran out (their runner died); only of enabled, live
    /// destinations. Each is counted as one more attempt. Claimers running at
    /// once never take the same delivery.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>>;
    /// Save a claimed delivery's progress and extend its lease to
    /// `now + lease`; false when `owner` no longer holds it.
    async fn checkpoint_delivery(
        &self,
        id: Uuid,
        owner: &str,
        progress: &Value,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool>;
    /// End an attempt of a claimed delivery: its next state, the lease
    /// released, `finished_at` set for a final state, the attempt recorded,
    /// in one transaction. False (and nothing changed) when `owner` no
    /// longer holds it.
    async fn finish_delivery(
        &self,
        id: Uuid,
        owner: &str,
        fin: DeliveryFinish,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// A delivery; `tenant` None is the system's view.
    async fn get_delivery(&self, tenant: Option<TenantId>, id: Uuid) -> Result<Option<Delivery>>;
    /// Deliveries, newest first (keyset on `(created_at, id)`).
    async fn list_deliveries(
        &self,
        tenant: Option<TenantId>,
        query: &DeliveryQuery,
    ) -> Result<Vec<Delivery>>;
    /// A delivery's finished attempts, in order.
    async fn delivery_attempts(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
    ) -> Result<Vec<DeliveryAttempt>>;
    /// Queue a delivery again, due now, its maximum age counted from now:
    /// from dead, no_match, skipped, cancelled, retry_wait (and pending: made
    /// due now). None when there is no such delivery; `Invalid` when it is in
    /// flight, delivered or verified, or its destination was deleted.
    async fn retry_delivery(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>>;
    /// The outbox in figures.
    async fn delivery_stats(&self, now: DateTime<Utc>) -> Result<DeliveryStats>;
    /// A tenant's deliveries not through yet (pending, in flight, waiting
    /// for a retry, dead), counted per destination, with the latest error.
    async fn delivery_backlog(&self, tenant: TenantId) -> Result<Vec<DestinationBacklog>>;

    // --- alerts -------------------------------------------------------------

    /// Raise an alert: the open one of its scope, kind and subject is counted
    /// (last seen, count, severity, message and detail updated); otherwise a
    /// new one opens (true) and, in the same transaction, one delivery per
    /// enabled live destination subscribed is queued: `alert` for the
    /// alert's tenant's destinations, `alert.system` for a system alert to
    /// every tenant's.
    async fn raise_alert(&self, new: NewAlert, now: DateTime<Utc>) -> Result<(Alert, bool)>;
    /// Resolve the open alert of this scope, kind and subject; whether there
    /// was one.
    async fn resolve_alert(
        &self,
        tenant: Option<TenantId>,
        kind: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// An alert; `tenant` None is the system's view, Some finds only that
    /// tenant's.
    async fn get_alert(&self, tenant: Option<TenantId>, id: Uuid) -> Result<Option<Alert>>;
    /// Alerts, most recently seen first.
    async fn list_alerts(
        &self,
        scope: AlertScope,
        open_only: bool,
        limit: u32,
    ) -> Result<Vec<Alert>>;
    /// Open alerts by kind and severity.
    async fn open_alert_counts(&self) -> Result<Vec<(String, String, u64)>>;

    // --- retention, legal hold, trash (issue 14, item 4) ---------------------

    /// Add a retention rule; audited.
    async fn create_retention_rule(
        &self,
        new: NewRetentionRule,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<RetentionRule>;
    /// Retention rules, oldest first; `tenant` None lists every tenant's.
    async fn list_retention_rules(&self, tenant: Option<TenantId>) -> Result<Vec<RetentionRule>>;
    /// Remove a rule (`tenant` as in [`Catalog::get_destination`]); whether
    /// there was one. Audited.
    async fn delete_retention_rule(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
    ) -> Result<bool>;

    /// Place a legal hold; audited. A conversation hold names a conversation
    /// of the tenant (`NotFound` otherwise).
    async fn create_hold(&self, new: NewHold, actor: &str, now: DateTime<Utc>)
    -> Result<LegalHold>;
    /// Holds, newest first; `in_force_only` leaves out released ones.
    async fn list_holds(
        &self,
        tenant: Option<TenantId>,
        in_force_only: bool,
    ) -> Result<Vec<LegalHold>>;
    /// Release a hold in force; whether there was one. Audited.
    async fn release_hold(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// Live (not trashed) recordings of `tenant` whose call started before
    /// `started_before` and that no hold in force covers, by id after
    /// `after`, at most `limit`.
    async fn retention_candidates(
        &self,
        tenant: TenantId,
        started_before: DateTime<Utc>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<RetentionCandidate>>;
    /// How many live (not trashed) recordings `tenant` has.
    async fn live_recording_count(&self, tenant: TenantId) -> Result<u64>;
    /// Move recordings of `tenant` to the trash, in one transaction: each
    /// live one under no hold is marked (with `cause.by`), its
    /// conversation's recording count lowered, the conversation trashed too
    /// once none of its recordings is live, its pending deliveries
    /// cancelled, and one audit entry written per recording. Ids that are
    /// unknown or already trashed are skipped.
    async fn trash_recordings(
        &self,
        tenant: TenantId,
        ids: &[RecordingId],
        cause: &TrashCause,
        now: DateTime<Utc>,
    ) -> Result<TrashOutcome>;
    /// Move a conversation and all its live recordings to the trash, as
    /// [`Catalog::trash_recordings`] does; nothing is trashed if a hold
    /// covers it (then `held` names its recordings). `NotFound` when the
    /// tenant has no such live conversation.
    async fn trash_conversation(
        &self,
        tenant: TenantId,
        id: ConversationId,
        cause: &TrashCause,
        now: DateTime<Utc>,
    ) -> Result<TrashOutcome>;
    /// The trash, oldest first (after `after`, a recording id).
    async fn list_trash(
        &self,
        tenant: Option<TenantId>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<TrashedRecording>>;
    /// Bring a trashed recording back (by its id), or every trashed
    /// recording of a conversation (by the conversation's id): visible,
    /// downloadable and counted again. The recordings restored; `Invalid`
    /// once the purge has begun. Audited.
    async fn restore_trashed(
        &self,
        tenant: Option<TenantId>,
        id: Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<RecordingId>>;
    /// Trashed recordings to purge: trashed before `trashed_before`, or
    /// whose purge began already (a crashed one resumes), oldest first.
    async fn purge_due(
        &self,
        tenant: Option<TenantId>,
        trashed_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RecordingId>>;
    /// The purge's first step: re-check holds and mark the recording as
    /// purging, in one transaction (audited once, when first marked).
    async fn begin_purge(&self, id: RecordingId, now: DateTime<Utc>) -> Result<PurgeStart>;
    /// The purge's second step, once per copy, after its object was
    /// deleted from its store: forget the copy row.
    async fn remove_purged_copy(&self, id: CopyId) -> Result<()>;
    /// The purge's last step, once every copy is gone: the recording's rows
    /// (events, deliveries), and its conversation's when it was trashed and
    /// has no recording left, removed with an audit entry. False when it
    /// was not purging (or is gone already) or still has copies.
    async fn finish_purge(&self, id: RecordingId, actor: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Remove conversations trashed before `trashed_before` that have no
    /// recording (a session without audio, a conversation deleted whole),
    /// unless held; audited. How many were removed.
    async fn purge_empty_conversations(
        &self,
        trashed_before: DateTime<Utc>,
        actor: &str,
        limit: u32,
    ) -> Result<u64>;
    /// An operator lets the next retention run of `tenant` trash up to
    /// `max_count` recordings despite the mass-deletion guard. Audited.
    async fn confirm_retention_run(
        &self,
        tenant: TenantId,
        max_count: u64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The confirmed count for `tenant`'s next run, if any.
    async fn retention_confirmation(&self, tenant: TenantId) -> Result<Option<u64>>;
    /// A run finished with its confirmation: it is used up.
    async fn consume_retention_confirmation(&self, tenant: TenantId) -> Result<()>;
    /// Trash size and holds in force, per tenant (every tenant, zeros too).
    async fn trash_stats(&self) -> Result<Vec<TrashStats>>;
    // --- assurance: the call register and its findings ----------------------

    /// Register calls of `tenant`; a call already registered (same source
    /// and leg key) is left as it is, so importing twice changes nothing.
    async fn import_calls(
        &self,
        tenant: TenantId,
        calls: &[NewCall],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<CallImport>;
    /// Answered calls due for a check by `now` (any tenant: the
    /// reconciliation's queue), earliest due first.
    async fn calls_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Call>>;
    /// One call of a tenant.
    async fn call(&self, tenant: TenantId, id: Uuid) -> Result<Option<Call>>;
    /// Conversations of `tenant` that a batch of calls may match: by the
    /// value of an external id, or by a number's last 10 digits with the
    /// conversation started within `[from, to]`.
    async fn call_match_candidates(
        &self,
        tenant: TenantId,
        id_values: &[String],
        number_tails: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<MatchCandidates>;
    /// Recordings (with their verified copies), gaps and deliveries of
    /// conversations of `tenant`.
    async fn conversation_facts(
        &self,
        tenant: TenantId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ConversationFacts>>;
    /// Write a batch of call checks in one transaction; the findings opened
    /// now (findings still open are brought up to date, fixed ones
    /// resolved with their reason).
    async fn record_call_checks(
        &self,
        checks: &[CallCheck],
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>>;
    /// Tenants that import CDRs.
    async fn cdr_tenants(&self) -> Result<Vec<TenantId>>;
    /// Conversations of `tenant` with a recording and no call, started
    /// after `after` (a `(started_at, id)` position) and by `until`.
    async fn orphan_candidates(
        &self,
        tenant: TenantId,
        after: Option<(DateTime<Utc>, Uuid)>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OrphanCandidate>>;
    /// Hold open one `orphan_recording` finding per recording; the ones
    /// opened now.
    async fn record_orphans(
        &self,
        tenant: TenantId,
        orphans: &[(OrphanCandidate, NewFinding)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>>;
    /// Where a named incremental pass of assurance stands.
    async fn assurance_cursor(&self, name: &str) -> Result<Option<(DateTime<Utc>, Option<Uuid>)>>;
    async fn set_assurance_cursor(
        &self,
        name: &str,
        at: DateTime<Utc>,
        id: Option<Uuid>,
    ) -> Result<()>;
    /// Answered calls in `[from, to)` and how many are complete.
    async fn assurance_summary(
        &self,
        tenant: Option<TenantId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<AssuranceSummary>;
    /// Findings, newest first (keyset on `(first_seen, id)`); `tenant` None
    /// is the system's view.
    async fn list_findings(
        &self,
        tenant: Option<TenantId>,
        query: &FindingQuery,
    ) -> Result<Vec<Finding>>;
    /// Answered calls registered, and open findings by tenant and kind.
    async fn assurance_gauges(&self) -> Result<(u64, Vec<(TenantId, String, u64)>)>;
    /// Insert `count` synthetic conversations (each with a recording and
    /// its verified copy) and `count` answered CDR calls due by `now`, for
    /// the assurance benchmark only: one call in 100 has no conversation,
    /// one in 100 a recording 20 s short. Bulk inserts; no audit entries.
    #[doc(hidden)]
    async fn bench_seed_assurance(
        &self,
        tenant: TenantId,
        count: u64,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Insert `count` synthetic conversations for `tenant`, for the search
    /// benchmark only. Uses the backend's bulk path; writes no audit entries.
    #[doc(hidden)]
    async fn bench_seed(&self, tenant: TenantId, count: u64, seed: u64) -> Result<()>;

    // --- storage lifecycle (crate::storage) ----------------------------------

    /// A recording's copy rows in every store (with their deletion state),
    /// oldest first; only the tenant's.
    async fn recording_copies(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<Vec<crate::storage::StoredCopy>>;
    /// Recordings with their copies, by id after `after` (keyset), of one
    /// tenant or (None) of all: what a storage pass walks.
    async fn storage_scan(
        &self,
        tenant: Option<TenantId>,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<crate::storage::RecordingCopies>>;
    /// Record a copy a storage job wrote and read back, verified now, and
    /// clear its pending-object row (which must still be `new.owner`'s),
    /// with an audit entry, in one transaction. The same copy recorded
    /// again is returned as it is; another object under the same store and
    /// key (or one being deleted), or a pending row gone, is a `Conflict`;
    /// a recording not of `new.tenant_id` is `NotFound`.
    async fn add_copy(
        &self,
        new: crate::storage::NewCopy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::storage::StoredCopy>;
    /// First phase of removing a copy: mark it `deleting` (reads stop
    /// choosing it) only if, besides it, at least `min_remaining` verified
    /// copies not being deleted exist, one on each store of `keep_on`;
    /// audited with `reason`. Decided under the recording's row lock, so
    /// jobs running at once cannot together go below the minimum. False
    /// (and nothing changed) when the copies are not there; true also when
    /// the copy was already marked.
    #[allow(clippy::too_many_arguments)]
    async fn begin_copy_delete(
        &self,
        copy: CopyId,
        min_remaining: u32,
        keep_on: &[String],
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Last phase: remove the row of a copy marked `deleting` whose object
    /// is gone. False when there is no such row (finished before).
    async fn finish_copy_delete(&self, copy: CopyId, actor: &str) -> Result<bool>;
    /// Copies marked `deleting`, oldest mark first: removals a crash
    /// interrupted.
    async fn deleting_copies(&self, limit: u32) -> Result<Vec<crate::storage::StoredCopy>>;
    /// A tenant's own storage policy; None: the configured default applies.
    async fn storage_policy(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::storage::StoragePolicy>>;
    /// Set a tenant's storage policy, or (None) return it to the default;
    /// audited.
    async fn set_storage_policy(
        &self,
        tenant: TenantId,
        policy: Option<&crate::storage::StoragePolicy>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Every tenant's own storage policy.
    async fn list_storage_policies(&self)
    -> Result<Vec<(TenantId, crate::storage::StoragePolicy)>>;
    /// Recordings by their number of verified copies not being deleted:
    /// `(copies, recordings)`, ascending.
    async fn copy_histogram(&self) -> Result<Vec<(u32, u64)>>;

    // --- capacity and scrubbing ---------------------------------------------

    /// Copies and their bytes per store and tenant (the copy rows' sizes:
    /// the stored object bytes).
    async fn storage_usage(&self) -> Result<Vec<crate::capacity::StoreUsage>>;
    /// Record a day's usage sample; a later sample of the same store,
    /// scope and day replaces it.
    async fn record_storage_sample(&self, sample: &crate::capacity::StorageSample) -> Result<()>;
    /// A store's daily samples (`tenant` None: the whole store) from
    /// `since` on, oldest first.
    async fn storage_samples(
        &self,
        store: &str,
        tenant: Option<TenantId>,
        since: chrono::NaiveDate,
    ) -> Result<Vec<crate::capacity::StorageSample>>;
    /// A store's copies with their tenants, in object key order after
    /// `after` (the scrubber's walk; a system view).
    async fn scrub_copies(
        &self,
        store: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<crate::capacity::TenantCopy>>;
    /// Insert or update (by id) a scrub pass: its cursor and counters.
    async fn save_scrub_run(&self, run: &crate::capacity::ScrubRun) -> Result<()>;
    /// Scrub passes, newest first, of one store or of all.
    async fn scrub_runs(
        &self,
        store: Option<&str>,
        limit: u32,
    ) -> Result<Vec<crate::capacity::ScrubRun>>;
    /// Record what a pass found wrong with a copy.
    async fn add_scrub_finding(&self, finding: &crate::capacity::ScrubFinding) -> Result<()>;
    /// What a pass found, in the order found.
    async fn scrub_findings(&self, run_id: Uuid) -> Result<Vec<crate::capacity::ScrubFinding>>;

    // --- encryption at rest -------------------------------------------------

    /// The master key ids the catalog knows, with their check values and
    /// how many data keys each wraps, by id.
    async fn master_keys(&self) -> Result<Vec<MasterKeyRecord>>;
    /// Note a master key id and its check value; an id already known keeps
    /// the value it has. Returns the stored value (compare it with yours).
    async fn register_master_key(
        &self,
        id: &str,
        check_value: &str,
        now: DateTime<Utc>,
    ) -> Result<String>;
    /// Encrypt (or stop encrypting) a tenant's new recordings; audited.
    /// `NotFound` for an unknown tenant.
    async fn set_tenant_encryption(
        &self,
        tenant: TenantId,
        enabled: bool,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Whether a tenant's new recordings are encrypted.
    async fn tenant_encryption(&self, tenant: TenantId) -> Result<bool>;
    /// The tenants whose new recordings are encrypted.
    async fn encrypted_tenants(&self) -> Result<Vec<TenantId>>;
    /// A recording's wrapped data key; None for a recording stored in the
    /// clear (or of another tenant).
    async fn recording_key(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<Option<RecordingKey>>;
    /// Data keys wrapped by any master key but `master_key_id`, ordered by
    /// recording id, after `after` (the system's view, for rotation).
    async fn recording_keys_not_under(
        &self,
        master_key_id: &str,
        after: Option<RecordingId>,
        limit: u32,
    ) -> Result<Vec<RecordingKey>>;
    /// Replace wrapped data keys, each only while it is still wrapped by
    /// the key it was read under (so a concurrent rotation is harmless), in
    /// one transaction with one audit entry; how many were replaced.
    async fn rewrap_recording_keys(
        &self,
        rewraps: &[Rewrap],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    // --- console sessions (issue 16) ----------------------------------------

    /// Store a new console session (a sign-in), audited as
    /// `console_session.created`. `NotFound` for an unknown key or tenant.
    async fn create_console_session(&self, session: &ConsoleSession, actor: &str) -> Result<()>;
    /// The live session with this id (the sha256 of its token) and its key:
    /// None when unknown, past either end at `now`, or when its key is
    /// revoked.
    async fn console_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ApiKey, ConsoleSession)>>;
    /// Note a session's use at `now` and move its idle end to
    /// `idle_expires_at` (capped at the absolute end); not audited.
    async fn touch_console_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        idle_expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Make a session act as `tenant` (None: no tenant), audited as
    /// `console_session.tenant_switched`. `NotFound` for an unknown session
    /// or tenant.
    async fn set_console_session_tenant(
        &self,
        id: &str,
        tenant: Option<TenantId>,
        actor: &str,
    ) -> Result<()>;
    /// End a session (a sign-out), audited as `console_session.ended`;
    /// whether it existed.
    async fn delete_console_session(&self, id: &str, actor: &str) -> Result<bool>;
    /// Delete the sessions past either end at `now` or whose key is revoked;
    /// how many.
    async fn purge_console_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
}

/// An encrypted recording's key, for [`NewRecording::encryption`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecordingKey {
    /// The master key that wrapped the data key.
    pub master_key_id: String,
    /// The data key, wrapped (`crypt::wrap_data_key`).
    pub wrapped_key: Vec<u8>,
    /// The stored (encrypted) object's size and sha256: the copy row's.
    pub stored_size: u64,
    pub stored_sha256: String,
}

/// A stored recording's wrapped data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingKey {
    pub recording_id: RecordingId,
    pub tenant_id: TenantId,
    pub master_key_id: String,
    pub wrapped_key: Vec<u8>,
}

/// A data key wrapped anew, for [`Catalog::rewrap_recording_keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrap {
    pub recording_id: RecordingId,
    /// The master key it was read under; the row changes only if it still is.
    pub from_key_id: String,
    pub to_key_id: String,
    pub wrapped_key: Vec<u8>,
}

/// A master key id as the catalog knows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterKeyRecord {
    pub id: String,
    pub check_value: String,
    pub created_at: DateTime<Utc>,
    /// Data keys it wraps.
    pub data_keys: u64,
}

/// Catalog-wide counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub tenants: u64,
    pub conversations: u64,
    pub recordings: u64,
    pub recording_bytes: u64,
}

/// The last up to 10 digits of a phone number in any notation, the form in
/// which numbers are indexed and searched (`+7 (912) 345-67-89` and
/// `89123456789` both give `9123456789`). None when there are no digits.
pub fn number_tail(number: &str) -> Option<String> {
    let digits: Vec<u8> = number.bytes().filter(u8::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let start = digits.len().saturating_sub(10);
    Some(String::from_utf8_lossy(&digits[start..]).into_owned())
}

/// The tails to index for a conversation.
pub(crate) fn number_tails<'a>(numbers: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut tails: Vec<String> = numbers.into_iter().filter_map(number_tail).collect();
    tails.sort();
    tails.dedup();
    tails
}

/// Checks shared by both backends before a commit touches the database.
pub(crate) fn validate_new_recording(new: &NewRecording) -> Result<()> {
    let invalid = |reason: &str| CatalogError::Invalid { what: "recording", reason: reason.into() };
    if new.sha256.len() != 64 || !new.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("sha256 must be 64 hex digits"));
    }
    if new.ended_at < new.started_at {
        return Err(invalid("ends before it starts"));
    }
    if new.object_key.is_empty() {
        return Err(invalid("empty object key"));
    }
    if let Some(enc) = &new.encryption {
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex64(&enc.stored_sha256) || enc.wrapped_key.is_empty() || enc.master_key_id.is_empty()
        {
            return Err(invalid(
                "an encrypted recording needs its key id, wrapped key and stored sha256",
            ));
        }
    }
    for id in &new.conversation.external_ids {
        if id.kind.is_empty() || id.value.is_empty() {
            return Err(invalid("external ids need a kind and a value"));
        }
    }
    validate_events(&new.events, new.participants.len())
        .map_err(|reason| CatalogError::Invalid { what: "recording", reason })
}

/// Checks of a session stored without a recording.
pub(crate) fn validate_empty_session(new: &NewEmptySession) -> Result<()> {
    let invalid = |reason: String| CatalogError::Invalid { what: "session", reason };
    if new.session_key.is_empty() || new.session_key.len() > 256 {
        return Err(invalid("the session key must have 1 to 256 characters".into()));
    }
    if new.ended_at < new.started_at {
        return Err(invalid("ends before it starts".into()));
    }
    if new.conversation.external_ids.iter().any(|id| id.kind.is_empty() || id.value.is_empty()) {
        return Err(invalid("external ids need a kind and a value".into()));
    }
    let first = NewConversationEvent {
        at: new.started_at,
        kind: new.kind.clone(),
        participant: None,
        detail: new.detail.clone(),
    };
    validate_events(std::slice::from_ref(&first), 0).map_err(invalid)?;
    validate_events(&new.events, new.participants.len()).map_err(invalid)
}

/// Events: a short lowercase kind, an object as detail, a participant
/// index within bounds.
fn validate_events(events: &[NewConversationEvent], participants: usize) -> Result<(), String> {
    for e in events {
        let kind_ok = !e.kind.is_empty()
            && e.kind.len() <= 32
            && e.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !kind_ok {
            return Err(format!("event kind {:?} is not [a-z0-9_]{{1,32}}", e.kind));
        }
        if !e.detail.is_object() {
            return Err("event detail must be a JSON object".into());
        }
        if e.participant.is_some_and(|i| i >= participants) {
            return Err("event names a participant the recording does not have".into());
        }
    }
    Ok(())
}

/// Microseconds since the Unix epoch: the precision the catalog keeps.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::UNIX_EPOCH)
}

/// Truncate to the catalog's precision, so that values read back compare
/// equal to values written.
pub fn catalog_time(t: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(to_micros(t))
}

/// The statements of a migration script: split at a `;` that ends a line
/// (statements whose bodies contain `;`, such as triggers, keep those inside
/// one line), without empty and comment-only pieces.
pub(crate) fn sql_statements(script: &str) -> impl Iterator<Item = &str> {
    script
        .split(";\n")
        .map(str::trim)
        .filter(|s| s.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--")))
}

/// Tenant names are short, lowercase identifiers that the CLI and URLs use.
pub(crate) fn validate_tenant_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(CatalogError::Invalid {
            what: "tenant name",
            reason: "use 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_tail_normalises_notations() {
        assert_eq!(number_tail("+7 (912) 345-67-89").as_deref(), Some("9123456789"));
        assert_eq!(number_tail("89123456789").as_deref(), Some("9123456789"));
        assert_eq!(number_tail("101").as_deref(), Some("101"));
        assert_eq!(number_tail("sip:alice@example.com"), None);
    }
}

/// A web console session. The cookie's token itself is never stored: `id`
/// is its lowercase hex sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub id: String,
    /// The key signed in with; its revocation ends the session.
    pub api_key_id: ApiKeyId,
    /// The tenant the session acts as: a tenant key's own, or the one an
    /// admin switched to (None: none).
    pub tenant_id: Option<TenantId>,
    /// What state-changing requests must carry in `X-CSRF-Token`.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The sliding end: moved forward as the session is used.
    pub idle_expires_at: DateTime<Utc>,
    /// The absolute end, however active the session.
    pub expires_at: DateTime<Utc>,
}
