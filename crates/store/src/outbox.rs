//! The durable outbox's types: destinations, deliveries and their attempts,
//! alerts, named leases.
//!
//! The catalog keeps them next to the recordings so that one transaction can
//! make a recording visible *and* queue its deliveries
//! ([`Catalog::commit_recording`](crate::Catalog::commit_recording)): a
//! recording is never visible without its deliveries queued, and a crash can
//! never lose one. The delivery runner claims deliveries under a lease
//! ([`Catalog::claim_deliveries`](crate::Catalog::claim_deliveries)); every
//! later change of a claimed delivery is guarded by that lease.
//!
//! **Architecture invariant:** the store knows the events by name only; what
//! an event means to a destination and when a failed delivery is retried is
//! the delivery crate's business. The store decides what is due and who
//! holds it.

use callvault_model::{ConversationId, RecordingId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::catalog::{CatalogError, Result};

/// The event of one recording stored.
pub const EVENT_RECORDING_STORED: &str = "recording.stored";
/// The event of a conversation settled (no recording arrived for its settle
/// time).
pub const EVENT_CONVERSATION_SETTLED: &str = "conversation.settled";
/// The event of a recording that arrived after its conversation settled.
pub const EVENT_CONVERSATION_UPDATED: &str = "conversation.updated";
/// The event of an alert of the destination's tenant.
pub const EVENT_ALERT: &str = "alert";
/// The event of an alert of the whole installation.
pub const EVENT_SYSTEM_ALERT: &str = "alert.system";
/// The event of a test delivery: enqueued on request, never subscribed to.
pub const EVENT_TEST: &str = "test";

/// The events a destination may subscribe to.
pub const SUBSCRIBABLE_EVENTS: &[&str] = &[
    EVENT_CONVERSATION_SETTLED,
    EVENT_CONVERSATION_UPDATED,
    EVENT_RECORDING_STORED,
    EVENT_ALERT,
    EVENT_SYSTEM_ALERT,
];

/// A destination to create for a tenant. Its `Debug` leaves out the
/// secrets.
#[derive(Clone, PartialEq)]
pub struct NewDestination {
    pub tenant_id: TenantId,
    /// Unique among the tenant's destinations that are not deleted.
    pub name: String,
    /// The channel that delivers to it (`email`, `webhook`, `amocrm`, ...).
    pub kind: String,
    pub enabled: bool,
    /// The events it receives (see [`SUBSCRIBABLE_EVENTS`]).
    pub events: Vec<String>,
    /// The kind's settings, never secret.
    pub config: Value,
    /// The kind's secrets; never written to the audit log.
    pub secrets: Value,
    /// Which conversations it receives, as the delivery crate reads them.
    pub filters: Value,
    /// After how long (from [`Delivery::age_from`]) a failing delivery is
    /// given up.
    pub max_age_secs: u64,
    /// How long the links to audio sent to it stay valid.
    pub link_ttl_secs: u64,
}

/// A destination as stored. Its `Debug` leaves out the secrets and the
/// link key.
#[derive(Clone, PartialEq)]
pub struct Destination {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    /// Why the system disabled it (a revoked token, a 410), until it is
    /// enabled again.
    pub disabled_reason: Option<String>,
    pub events: Vec<String>,
    pub config: Value,
    pub secrets: Value,
    pub filters: Value,
    pub max_age_secs: u64,
    pub link_ttl_secs: u64,
    /// 32 random bytes made on create (and on rotation) that sign the links
    /// to audio sent to this destination.
    pub link_key: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a `Debug` shows of secrets: their names only.
pub fn redacted_secrets(secrets: &Value) -> Vec<String> {
    match secrets {
        Value::Object(map) => map.keys().map(|k| format!("{k}=<redacted>")).collect(),
        Value::Null => Vec::new(),
        _ => vec!["<redacted>".to_owned()],
    }
}

impl std::fmt::Debug for NewDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDestination")
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .field("events", &self.events)
            .field("config", &self.config)
            .field("secrets", &redacted_secrets(&self.secrets))
            .field("filters", &self.filters)
            .field("max_age_secs", &self.max_age_secs)
            .field("link_ttl_secs", &self.link_ttl_secs)
            .finish()
    }
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .field("disabled_reason", &self.disabled_reason)
            .field("events", &self.events)
            .field("config", &self.config)
            .field("secrets", &redacted_secrets(&self.secrets))
            .field("filters", &self.filters)
            .field("max_age_secs", &self.max_age_secs)
            .field("link_ttl_secs", &self.link_ttl_secs)
            .field("link_key", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

impl std::fmt::Debug for DestinationUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DestinationUpdate")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("events", &self.events)
            .field("config", &self.config)
            .field("secrets", &self.secrets.as_ref().map(redacted_secrets))
            .field("filters", &self.filters)
            .field("max_age_secs", &self.max_age_secs)
            .field("link_ttl_secs", &self.link_ttl_secs)
            .field("rotate_link_key", &self.rotate_link_key)
            .finish()
    }
}

impl Destination {
    /// Whether it receives `event`.
    pub fn subscribes(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// Changes to a destination; `None` leaves a field as it is. Its `Debug`
/// leaves out the secrets.
#[derive(Clone, Default, PartialEq)]
pub struct DestinationUpdate {
    pub name: Option<String>,
    /// Enabling clears [`Destination::disabled_reason`].
    pub enabled: Option<bool>,
    pub events: Option<Vec<String>>,
    pub config: Option<Value>,
    /// Replaces all the secrets.
    pub secrets: Option<Value>,
    pub filters: Option<Value>,
    pub max_age_secs: Option<u64>,
    pub link_ttl_secs: Option<u64>,
    /// Make a new link key: every link signed with the old one stops working.
    pub rotate_link_key: bool,
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its due time (a conversation still settling, or new).
    Pending,
    /// Claimed by a runner, which holds its lease.
    InFlight,
    /// Failed, to be tried again at its due time.
    RetryWait,
    /// The destination accepted it.
    Delivered,
    /// The destination accepted it and reading it back confirmed it.
    Verified,
    /// Given up: a permanent failure, or too old.
    Dead,
    /// The destination has nothing to attach it to (a CRM without the
    /// number).
    NoMatch,
    /// Not for this destination (its filters).
    Skipped,
    /// Its destination was deleted before it was delivered.
    Cancelled,
}

impl DeliveryState {
    /// Every state, in the order of a delivery's life.
    pub const ALL: [DeliveryState; 9] = [
        DeliveryState::Pending,
        DeliveryState::InFlight,
        DeliveryState::RetryWait,
        DeliveryState::Delivered,
        DeliveryState::Verified,
        DeliveryState::Dead,
        DeliveryState::NoMatch,
        DeliveryState::Skipped,
        DeliveryState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::RetryWait => "retry_wait",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Verified => "verified",
            DeliveryState::Dead => "dead",
            DeliveryState::NoMatch => "no_match",
            DeliveryState::Skipped => "skipped",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    /// The state named `s` (as [`as_str`](Self::as_str) writes it).
    pub fn parse(s: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// A state a delivery leaves only by a manual retry.
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Pending | DeliveryState::InFlight | DeliveryState::RetryWait)
    }

    /// A state [`Catalog::finish_delivery`](crate::Catalog::finish_delivery)
    /// may set.
    pub fn can_finish_in(self) -> bool {
        matches!(
            self,
            DeliveryState::RetryWait
                | DeliveryState::Delivered
                | DeliveryState::Verified
                | DeliveryState::Dead
                | DeliveryState::NoMatch
                | DeliveryState::Skipped
        )
    }

    /// A state [`Catalog::retry_delivery`](crate::Catalog::retry_delivery)
    /// takes back to pending (pending itself: made due now).
    pub fn can_retry_from(self) -> bool {
        matches!(
            self,
            DeliveryState::Pending
                | DeliveryState::RetryWait
                | DeliveryState::Dead
                | DeliveryState::NoMatch
                | DeliveryState::Skipped
                | DeliveryState::Cancelled
        )
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event to deliver to one destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub destination_id: Uuid,
    /// The destination's kind when the delivery was queued.
    pub destination_kind: String,
    pub event: String,
    pub conversation_id: Option<ConversationId>,
    pub recording_id: Option<RecordingId>,
    pub alert_id: Option<Uuid>,
    pub state: DeliveryState,
    /// How often it was claimed.
    pub attempts: u32,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// Its maximum age counts from here: its creation, or a manual retry.
    pub age_from: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The destination's last answer (an HTTP status, an SMTP reply code).
    pub last_status: Option<String>,
    /// What earlier attempts completed, as the channel checkpointed it.
    pub progress: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it reached a final state.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub tenant_id: TenantId,
    pub destination_id: Uuid,
    pub event: String,
    pub conversation_id: Option<ConversationId>,
    pub recording_id: Option<RecordingId>,
    pub alert_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
}

/// How an attempt ended, for [`Catalog::finish_delivery`](crate::Catalog::finish_delivery).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFinish {
    /// One of RetryWait, Delivered, Verified, Dead, NoMatch, Skipped.
    pub state: DeliveryState,
    /// When to try again; required for RetryWait, ignored otherwise.
    pub due_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub status: Option<String>,
    pub progress: Value,
}

/// One finished attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryAttempt {
    pub delivery_id: Uuid,
    /// The delivery's attempt count when it ended.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The state it led to.
    pub outcome: String,
    pub status: Option<String>,
    pub error: Option<String>,
}

/// Filters of [`Catalog::list_deliveries`](crate::Catalog::list_deliveries),
/// combined with AND; newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryQuery {
    pub state: Option<DeliveryState>,
    pub destination_id: Option<Uuid>,
    pub conversation_id: Option<ConversationId>,
    /// Keyset: deliveries created before this `(created_at, id)`.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// At most this many (1 to 1000; 0 means 100).
    pub limit: u32,
}

/// The outbox in figures, for metrics and alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryStats {
    /// Deliveries by destination kind and state.
    pub by_state: Vec<(String, DeliveryState, u64)>,
    /// Per destination (id, tenant, kind): the oldest creation time among its
    /// deliveries still to make (in flight, waiting for a retry, or pending
    /// and due).
    pub oldest_undelivered: Vec<(Uuid, TenantId, String, DateTime<Utc>)>,
}

/// One destination's deliveries of a tenant that are not through yet
/// (the console's deliveries board), and the latest error among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationBacklog {
    pub destination_id: Uuid,
    pub destination_kind: String,
    pub pending: u64,
    pub in_flight: u64,
    pub retry_wait: u64,
    pub dead: u64,
    /// The most recently updated error of these deliveries, and when.
    pub last_error: Option<(DateTime<Utc>, String)>,
}

/// An alert to raise.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// None: an alert of the whole installation.
    pub tenant_id: Option<TenantId>,
    /// What is wrong (`delivery.failing`, `disk.low`, ...).
    pub kind: String,
    /// What it is wrong with (a destination id, a path).
    pub subject: String,
    /// `warning` or `critical`.
    pub severity: String,
    pub message: String,
    pub detail: Value,
}

/// An alert: open until resolved; raising it again while open only counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: Uuid,
    pub tenant_id: Option<TenantId>,
    pub kind: String,
    pub subject: String,
    pub severity: String,
    pub message: String,
    pub detail: Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// How often it was raised while open.
    pub count: u64,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Whose alerts [`Catalog::list_alerts`](crate::Catalog::list_alerts) lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertScope {
    /// Every tenant's and the installation's.
    All,
    /// One tenant's.
    Tenant(TenantId),
    /// The installation's (no tenant).
    System,
}

/// The severities an alert may have.
pub const ALERT_SEVERITIES: &[&str] = &["warning", "critical"];

pub(crate) fn validate_new_destination(new: &NewDestination) -> Result<()> {
    validate_destination_name(&new.name)?;
    if new.kind.is_empty()
        || new.kind.len() > 32
        || !new.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(CatalogError::Invalid {
            what: "destination kind",
            reason: "use 1-32 characters of a-z, 0-9 and '_'".into(),
        });
    }
    validate_events(&new.events)
}

pub(crate) fn validate_destination_name(name: &str) -> Result<()> {
    let trimmed = name.trim();
    if trimmed.is_empty()
        || trimmed != name
        || name.chars().count() > 100
        || name.chars().any(char::is_control)
    {
        return Err(CatalogError::Invalid {
            what: "destination name",
            reason: "use 1-100 characters without control characters or surrounding spaces".into(),
        });
    }
    Ok(())
}

pub(crate) fn validate_events(events: &[String]) -> Result<()> {
    match events.iter().find(|e| !SUBSCRIBABLE_EVENTS.contains(&e.as_str())) {
        Some(unknown) => Err(CatalogError::Invalid {
            what: "destination events",
            reason: format!("unknown event {unknown:?}; known: {}", SUBSCRIBABLE_EVENTS.join(", ")),
        }),
        None => Ok(()),
    }
}

pub(crate) fn validate_new_alert(new: &NewAlert) -> Result<()> {
    let invalid = |reason: &str| CatalogError::Invalid { what: "alert", reason: reason.into() };
    if new.kind.is_empty() || new.kind.len() > 100 {
        return Err(invalid("kind must be 1-100 characters"));
    }
    if new.subject.len() > 500 {
        return Err(invalid("subject must be at most 500 characters"));
    }
    if !ALERT_SEVERITIES.contains(&new.severity.as_str()) {
        return Err(invalid("severity must be warning or critical"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), Value::String(state.as_str().into()));
        }
        assert_eq!(DeliveryState::parse("done"), None);
        assert!(!DeliveryState::InFlight.can_retry_from());
        assert!(!DeliveryState::Delivered.can_retry_from());
        assert!(DeliveryState::Dead.can_retry_from());
        assert!(!DeliveryState::Cancelled.can_finish_in());
        assert!(DeliveryState::Skipped.is_final() && !DeliveryState::RetryWait.is_final());
    }

    #[test]
    fn unknown_events_and_odd_names_are_refused() {
        assert!(validate_events(&["alert".into(), "conversation.settled".into()]).is_ok());
        assert!(validate_events(&["test".into()]).is_err());
        assert!(validate_events(&["conversation.setled".into()]).is_err());
        assert!(validate_destination_name("CRM main").is_ok());
        for bad in ["", " x", "x ", "a\nb"] {
            assert!(validate_destination_name(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret_or_the_link_key() {
        let d = Destination {
            id: Uuid::nil(),
            tenant_id: TenantId(Uuid::nil()),
            name: "n".into(),
            kind: "webhook".into(),
            enabled: true,
            disabled_reason: None,
            events: vec![],
            config: serde_json::json!({"url": "https://x"}),
            secrets: serde_json::json!({"secret": "whsec_TOPSECRET"}),
            filters: Value::Null,
            max_age_secs: 1,
            link_ttl_secs: 1,
            link_key: b"KEYBYTES".to_vec(),
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        };
        let shown = format!("{d:?}");
        assert!(shown.contains("secret=<redacted>"), "{shown}");
        assert!(!shown.contains("TOPSECRET") && !shown.contains("75, 69, 89"), "{shown}");
        let update = DestinationUpdate { secrets: Some(d.secrets.clone()), ..Default::default() };
        assert!(!format!("{update:?}").contains("TOPSECRET"));
    }
}
