//! The runner: the I/O edge of the outbox. It claims due deliveries from the
//! catalog under a lease, hands each to its channel, and writes the
//! outcome back through [`crate::outbox::decide`]. One runs in every
//! `callvault serve`; several processes on one PostgreSQL share the work
//! (the catalog's claim skips rows another process holds).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use callvault_model::TenantId;
use callvault_store::{Catalog, Delivery, DeliveryFinish, DeliveryState, Destination, NewAlert};
use callvault_vault::metrics::{DeliveryLabels, Metrics};
use callvault_vault::worker::{Next, WorkError, Worker};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::channel::{
    AlertView, Attempt, Channel, Checkpoint, CheckpointError, DestinationView, Event, Job, Media,
    Outcome, RetryClass, SecretError, SecretStore, Subject,
};
use crate::filter::Filter;
use crate::media_service::{LinkDestination, LinkKeys, MediaService};
use crate::outbox::{self, AlertKind, Facts, Next as OutboxNext, RetryPolicy};

/// Attempts beyond the schedule's length after which a delivery that never
/// records an outcome (its process dies in every attempt) is dead.
const MAX_UNFINISHED_ATTEMPTS: u32 = 5;

/// Makes the [`Media`] of a job for its destination.
pub trait MediaFactory: Send + Sync {
    /// Err when the destination's link key cannot sign.
    fn for_destination(&self, destination: &Destination) -> Result<Arc<dyn Media>, String>;
}

impl MediaFactory for Arc<MediaService> {
    fn for_destination(&self, d: &Destination) -> Result<Arc<dyn Media>, String> {
        MediaService::for_destination(
            self,
            d.id,
            &d.link_key,
            Duration::from_secs(d.link_ttl_secs.max(60)),
        )
        .map_err(|e| format!("the destination's link key: {e}"))
    }
}

/// [`LinkKeys`] from the catalog: a destination's tenant and current key.
pub struct CatalogLinkKeys(pub Arc<dyn Catalog>);

#[async_trait]
impl LinkKeys for CatalogLinkKeys {
    async fn destination(&self, id: Uuid) -> Result<Option<LinkDestination>, String> {
        match self.0.get_destination(None, id).await {
            Ok(Some(d)) => {
                Ok(Some(LinkDestination { tenant_id: d.tenant_id, link_key: d.link_key }))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// How the runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Who holds the leases: the process instance id.
    pub owner: String,
    /// How long a claim holds a delivery; an attempt that runs longer is
    /// cut (and retried), a node that dies frees its rows after this.
    pub lease: Duration,
    /// Deliveries claimed per round.
    pub batch: u32,
    /// Attempts running at once in this process.
    pub concurrency: usize,
    /// How often an idle runner looks for due deliveries.
    pub poll: Duration,
    pub policy: RetryPolicy,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            owner: format!("runner-{}", Uuid::now_v7()),
            lease: Duration::from_secs(300),
            batch: 64,
            concurrency: 16,
            poll: Duration::from_secs(1),
            policy: RetryPolicy::default(),
        }
    }
}

/// The channels by kind.
pub type Channels = HashMap<&'static str, Arc<dyn Channel>>;

/// The outbox's runner.
pub struct Runner {
    catalog: Arc<dyn Catalog>,
    channels: Arc<Channels>,
    media: Arc<dyn MediaFactory>,
    metrics: Arc<Metrics>,
    config: RunnerConfig,
    slots: Arc<Semaphore>,
    wake: Arc<tokio::sync::Notify>,
    tenant_names: TenantNames,
}

/// Tenants' names by id, looked up once: a tenant's name never changes,
/// and every attempt needs it.
type TenantNames = Arc<std::sync::Mutex<HashMap<TenantId, String>>>;

impl Runner {
    pub fn new(
        catalog: Arc<dyn Catalog>,
        channels: Arc<Channels>,
        media: Arc<dyn MediaFactory>,
        metrics: Arc<Metrics>,
        config: RunnerConfig,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Self {
            catalog,
            channels,
            media,
            metrics,
            config,
            slots,
            wake: Arc::new(tokio::sync::Notify::new()),
            tenant_names: TenantNames::default(),
        }
    }

    /// Wakes the runner before its next poll (a test delivery, a retry).
    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Claim what is due and start an attempt for each, up to the free
    /// slots. Returns how many were started.
    pub async fn round(&self) -> Result<usize, WorkError> {
        let free = self.slots.available_permits().min(self.config.batch as usize);
        if free == 0 {
            return Ok(0);
        }
        let now = Utc::now();
        let claimed = self
            .catalog
            .claim_deliveries(&self.config.owner, now, self.config.lease, free as u32)
            .await?;
        let n = claimed.len();
        for delivery in claimed {
            let permit = self.slots.clone().acquire_owned().await?;
            let attempt = AttemptRun {
                catalog: self.catalog.clone(),
                channels: self.channels.clone(),
                media: self.media.clone(),
                metrics: self.metrics.clone(),
                config: self.config.clone(),
                tenant_names: self.tenant_names.clone(),
            };
            let wake = self.wake.clone();
            tokio::spawn(async move {
                let id = delivery.id;
                if let Err(e) = attempt.run(delivery).await {
                    tracing::warn!(delivery = %id, error = %e, "delivery attempt not recorded; its lease will expire and it will be tried again");
                }
                drop(permit);
                // A slot is free: claim again now rather than after the
                // poll interval (a full runner would otherwise make at most
                // `concurrency` attempts per `poll`).
                wake.notify_one();
            });
        }
        Ok(n)
    }

    /// Wait until every running attempt has finished (tests, shutdown).
    pub async fn drain(&self) {
        self.drainer().drain().await;
    }

    /// A handle that waits for the running attempts after the runner was
    /// handed to a worker registry.
    pub fn drainer(&self) -> Drainer {
        Drainer { slots: self.slots.clone(), all: self.config.concurrency.max(1) as u32 }
    }
}

/// Waits for a runner's attempts in flight (see [`Runner::drainer`]).
pub struct Drainer {
    slots: Arc<Semaphore>,
    all: u32,
}

impl Drainer {
    /// Returns once no attempt is running. Call it after the runner stopped
    /// claiming (its worker ended), within a shutdown grace period: an
    /// attempt cut by the process's exit is retried with the same
    /// idempotency key once its lease expires.
    pub async fn drain(&self) {
        if let Ok(permits) = self.slots.acquire_many(self.all).await {
            drop(permits);
        }
    }
}

#[async_trait]
impl Worker for Runner {
    fn name(&self) -> &str {
        "deliveries"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let started = self.round().await?;
        Ok(if started > 0 { Next::Busy } else { Next::Idle })
    }

    async fn wait_for_work(&mut self) {
        // A slot frees up, a waker fires, or the poll interval passes.
        let _ = tokio::time::timeout(self.config.poll, self.wake.notified()).await;
    }
}

/// Everything one attempt needs, detached from the runner.
struct AttemptRun {
    catalog: Arc<dyn Catalog>,
    channels: Arc<Channels>,
    media: Arc<dyn MediaFactory>,
    metrics: Arc<Metrics>,
    config: RunnerConfig,
    tenant_names: TenantNames,
}

type RunError = Box<dyn std::error::Error + Send + Sync>;

impl AttemptRun {
    async fn run(&self, delivery: Delivery) -> Result<(), RunError> {
        let Some(destination) = self.catalog.get_destination(None, delivery.destination_id).await?
        else {
            return self.skip(&delivery, "destination deleted").await;
        };
        if !destination.enabled {
            return self.skip(&delivery, "destination disabled").await;
        }
        // A delivery whose attempts never finish (the process died or was
        // killed in each, its lease expired each time) never reaches the
        // outbox's decision: bound it here by its age and its attempts.
        let age = (Utc::now() - delivery.age_from).to_std().unwrap_or(Duration::ZERO);
        let max_attempts = self.config.policy.schedule.len() as u32 + MAX_UNFINISHED_ATTEMPTS;
        if age > Duration::from_secs(destination.max_age_secs.max(1))
            || delivery.attempts > max_attempts
        {
            let error = format!(
                "gave up after {} attempts over {} without an outcome (each attempt ended with its process)",
                delivery.attempts,
                outbox::human(Duration::from_secs(age.as_secs()))
            );
            return self.finish_dead(&delivery, &destination, error).await;
        }
        let Some(channel) = self.channels.get(destination.kind.as_str()).cloned() else {
            let error = format!("no channel for destination kind {:?}", destination.kind);
            return self.finish_dead(&delivery, &destination, error).await;
        };
        let Some(event) = Event::parse(&delivery.event) else {
            let error = format!("unknown event {:?}", delivery.event);
            return self.finish_dead(&delivery, &destination, error).await;
        };
        if !channel.accepts(event, &destination.config) {
            let reason =
                format!("{} destinations do not take {}", destination.kind, event.as_str());
            return self.skip(&delivery, &reason).await;
        }
        let subject = match self.subject(&delivery, event).await? {
            Ok(subject) => subject,
            Err(reason) => {
                return self.skip(&delivery, &reason).await;
            }
        };
        if let Subject::Conversation(c) | Subject::Recording { conversation: c, .. } = &subject {
            match Filter::from_json(&destination.filters) {
                Ok(filter) => {
                    if let Err(which) = filter.check(c) {
                        let reason = format!("filtered out by {which}");
                        return self.skip(&delivery, &reason).await;
                    }
                }
                Err(e) => return self.finish_dead(&delivery, &destination, e.to_string()).await,
            }
        }
        let tenant_name = self.tenant_name(delivery.tenant_id).await?;
        let media = match self.media.for_destination(&destination) {
            Ok(m) => m,
            Err(e) => return self.finish_dead(&delivery, &destination, e).await,
        };
        let checkpoint = Arc::new(CatalogCheckpoint {
            catalog: self.catalog.clone(),
            delivery: delivery.id,
            owner: self.config.owner.clone(),
            lease: self.config.lease,
            last: std::sync::Mutex::new(None),
        });
        let job = Job {
            delivery_id: delivery.id,
            tenant_id: delivery.tenant_id,
            tenant_name,
            event,
            attempt: delivery.attempts,
            created_at: delivery.created_at,
            destination: DestinationView {
                id: destination.id,
                name: destination.name.clone(),
                config: destination.config.clone(),
                secrets: destination.secrets.clone(),
            },
            subject,
            progress: delivery.progress.clone(),
            media,
            checkpoint: checkpoint.clone(),
            secrets: Arc::new(CatalogSecrets {
                catalog: self.catalog.clone(),
                destination: destination.id,
                // Each attempt its own lock owner: two attempts of one
                // process must not both think they hold the refresh lock.
                owner: format!("{}:{}:{}", self.config.owner, delivery.id, delivery.attempts),
            }),
        };
        // The attempt must end while the lease is still ours: cut it a
        // little before, so that no other node starts the same delivery
        // while this one may still be sending.
        let budget = self.config.lease.saturating_sub(self.config.lease / 10);
        let attempt = match tokio::time::timeout(budget, channel.deliver(&job)).await {
            Ok(attempt) => attempt,
            Err(_) => Attempt {
                outcome: Outcome::Retry {
                    error: format!("the attempt took longer than {}", outbox::human(budget)),
                    retry_after: None,
                    class: RetryClass::Transient,
                },
                progress: checkpoint.last_saved().unwrap_or_else(|| job.progress.clone()),
                status: None,
            },
        };
        self.finish(&delivery, &destination, &job, attempt).await
    }

    /// What the delivery is about, loaded from the catalog; `Ok(Err(reason))`
    /// when it no longer exists.
    async fn subject(
        &self,
        delivery: &Delivery,
        event: Event,
    ) -> Result<Result<Subject, String>, RunError> {
        Ok(match event {
            Event::ConversationSettled | Event::ConversationUpdated | Event::RecordingStored => {
                let Some(id) = delivery.conversation_id else {
                    return Ok(Err("the delivery names no conversation".into()));
                };
                let Some(detail) = self.catalog.conversation(delivery.tenant_id, id).await? else {
                    return Ok(Err("the conversation no longer exists".into()));
                };
                match (event, delivery.recording_id) {
                    (Event::RecordingStored, Some(r)) => {
                        Ok(Subject::Recording { conversation: Box::new(detail), recording_id: r.0 })
                    }
                    (Event::RecordingStored, None) => Err("the delivery names no recording".into()),
                    _ => Ok(Subject::Conversation(Box::new(detail))),
                }
            }
            Event::Alert | Event::SystemAlert => {
                let Some(id) = delivery.alert_id else {
                    return Ok(Err("the delivery names no alert".into()));
                };
                // A tenant's alert is read as that tenant's: a delivery never
                // carries another tenant's alert. System alerts have none.
                let scope = (event == Event::Alert).then_some(delivery.tenant_id);
                match self.catalog.get_alert(scope, id).await? {
                    Some(a) => Ok(Subject::Alert(AlertView {
                        id: a.id,
                        tenant_id: a.tenant_id,
                        kind: a.kind,
                        subject: a.subject,
                        severity: a.severity,
                        message: a.message,
                        first_seen: a.first_seen,
                        last_seen: a.last_seen,
                        count: a.count,
                        resolved_at: a.resolved_at,
                    })),
                    None => Err("the alert no longer exists".into()),
                }
            }
            Event::Test => Ok(Subject::Test),
        })
    }

    async fn finish(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        job: &Job,
        attempt: Attempt,
    ) -> Result<(), RunError> {
        let now = Utc::now();
        let mut policy = self.config.policy.clone();
        policy.max_age = Duration::from_secs(destination.max_age_secs.max(1));
        if let Some(secs) =
            destination.config.get("mailbox_full_max_age_secs").and_then(Value::as_u64)
        {
            policy.mailbox_full_max_age = Duration::from_secs(secs.max(1));
        }
        let facts = Facts {
            attempts: delivery.attempts,
            age_from: delivery.age_from,
            now,
            sample: rand::random::<f64>(),
        };
        let decision = outbox::decide(&policy, &attempt, facts);
        let state = match decision.next {
            OutboxNext::Delivered => DeliveryState::Delivered,
            OutboxNext::Verified => DeliveryState::Verified,
            OutboxNext::RetryWait => DeliveryState::RetryWait,
            OutboxNext::Dead => DeliveryState::Dead,
            OutboxNext::NoMatch => DeliveryState::NoMatch,
        };
        let finished = self
            .catalog
            .finish_delivery(
                delivery.id,
                &self.config.owner,
                DeliveryFinish {
                    state,
                    due_at: decision.due_at,
                    error: decision.error.clone(),
                    status: attempt.status.clone(),
                    progress: attempt.progress.clone(),
                },
                now,
            )
            .await?;
        let outcome = if finished { state.as_str() } else { "lease_lost" };
        self.count(&destination.kind, outcome);
        if !finished {
            tracing::warn!(delivery = %delivery.id, "the delivery's lease was lost before its outcome was recorded");
            return Ok(());
        }
        match state {
            DeliveryState::RetryWait => tracing::info!(
                delivery = %delivery.id, destination = %destination.id, kind = %destination.kind,
                attempt = delivery.attempts, status = attempt.status.as_deref().unwrap_or(""),
                error = decision.error.as_deref().unwrap_or(""), due_at = ?decision.due_at,
                "delivery will be retried"
            ),
            DeliveryState::Delivered | DeliveryState::Verified => tracing::info!(
                delivery = %delivery.id, destination = %destination.id, kind = %destination.kind,
                event = %delivery.event, attempt = delivery.attempts, state = state.as_str(),
                "delivered"
            ),
            _ => tracing::warn!(
                delivery = %delivery.id, destination = %destination.id, kind = %destination.kind,
                state = state.as_str(), error = decision.error.as_deref().unwrap_or(""),
                "delivery failed for good"
            ),
        }
        if let Some(reason) = &decision.disable {
            self.catalog.disable_destination(destination.id, reason, now).await?;
        }
        if let Some(kind) = decision.alert {
            let what = match &job.subject {
                Subject::Conversation(c) | Subject::Recording { conversation: c, .. } => {
                    format!("conversation {}", c.conversation.id)
                }
                Subject::Alert(a) => format!("alert {}", a.kind),
                Subject::Test => "a test delivery".into(),
            };
            let error = decision.error.as_deref().unwrap_or("");
            self.alert(kind, delivery, destination, &what, error, now).await?;
        }
        Ok(())
    }

    /// Raise the alert a decision names. One open alert per destination
    /// and kind: further failures count on it instead of flooding.
    /// Raise the alert a decision names. One open alert per destination
    /// and kind: further failures count on it instead of flooding. `what`
    /// names what was being delivered.
    async fn alert(
        &self,
        kind: AlertKind,
        delivery: &Delivery,
        destination: &Destination,
        what: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RunError> {
        let (severity, message) = match kind {
            AlertKind::DeliveryDead => (
                "critical",
                format!(
                    "{} destination {:?} gave up on {what}: {error}",
                    destination.kind, destination.name
                ),
            ),
            AlertKind::DeliveryNoMatch => (
                "warning",
                format!(
                    "{} destination {:?} found nothing to attach {what} to: {error}",
                    destination.kind, destination.name
                ),
            ),
            AlertKind::EndpointDisabled => (
                "critical",
                format!(
                    "{} destination {:?} was disabled: {error}",
                    destination.kind, destination.name
                ),
            ),
        };
        let new = NewAlert {
            tenant_id: Some(delivery.tenant_id),
            kind: kind.as_str().to_owned(),
            subject: format!("destination:{}", destination.id),
            severity: severity.to_owned(),
            message,
            detail: serde_json::json!({
                "destination_id": destination.id,
                "destination_kind": destination.kind,
                "delivery_id": delivery.id,
                "event": delivery.event,
                "conversation_id": delivery.conversation_id,
                "error": error,
            }),
        };
        self.catalog.raise_alert(new, now).await?;
        Ok(())
    }

    /// Record a delivery that was not attempted (skipped, or dead before
    /// its channel ran); true when the lease was still ours.
    async fn finish_plain(
        &self,
        delivery: &Delivery,
        state: DeliveryState,
        reason: &str,
    ) -> Result<bool, RunError> {
        let done = self
            .catalog
            .finish_delivery(
                delivery.id,
                &self.config.owner,
                DeliveryFinish {
                    state,
                    due_at: None,
                    error: Some(reason.to_owned()),
                    status: None,
                    progress: delivery.progress.clone(),
                },
                Utc::now(),
            )
            .await?;
        self.count(&delivery.destination_kind, if done { state.as_str() } else { "lease_lost" });
        tracing::info!(delivery = %delivery.id, state = state.as_str(), reason, "delivery not sent");
        Ok(done)
    }

    async fn tenant_name(&self, id: TenantId) -> Result<String, RunError> {
        let known = self.tenant_names.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned();
        if let Some(name) = known {
            return Ok(name);
        }
        let Some(tenant) = self.catalog.tenant(id).await? else { return Ok(String::new()) };
        self.tenant_names.lock().unwrap_or_else(|e| e.into_inner()).insert(id, tenant.name.clone());
        Ok(tenant.name)
    }

    async fn skip(&self, delivery: &Delivery, reason: &str) -> Result<(), RunError> {
        self.finish_plain(delivery, DeliveryState::Skipped, reason).await.map(|_| ())
    }

    async fn finish_dead(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        error: String,
    ) -> Result<(), RunError> {
        if self.finish_plain(delivery, DeliveryState::Dead, &error).await? {
            let what = format!("delivery {}", delivery.id);
            self.alert(AlertKind::DeliveryDead, delivery, destination, &what, &error, Utc::now())
                .await?;
        }
        Ok(())
    }

    fn count(&self, kind: &str, outcome: &str) {
        self.metrics
            .delivery_attempts
            .get_or_create(&DeliveryLabels { kind: kind.to_owned(), outcome: outcome.to_owned() })
            .inc();
    }
}

/// [`Checkpoint`] through the catalog, guarded by the lease. It remembers
/// the last progress saved, so that an attempt cut by its time budget
/// records what it completed instead of the progress it started from.
struct CatalogCheckpoint {
    catalog: Arc<dyn Catalog>,
    delivery: Uuid,
    owner: String,
    lease: Duration,
    last: std::sync::Mutex<Option<Value>>,
}

impl CatalogCheckpoint {
    fn last_saved(&self) -> Option<Value> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl Checkpoint for CatalogCheckpoint {
    async fn save(&self, progress: &Value) -> Result<(), CheckpointError> {
        let held = self
            .catalog
            .checkpoint_delivery(self.delivery, &self.owner, progress, Utc::now(), self.lease)
            .await
            .map_err(|e| CheckpointError::Catalog(e.to_string()))?;
        if held {
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(progress.clone());
            Ok(())
        } else {
            Err(CheckpointError::LeaseLost)
        }
    }
}

/// [`SecretStore`] through the catalog: compare-and-swap replacement and a
/// named lease per destination for OAuth refreshes.
struct CatalogSecrets {
    catalog: Arc<dyn Catalog>,
    destination: Uuid,
    owner: String,
}

impl CatalogSecrets {
    fn lock_name(&self) -> String {
        format!("destination-secrets:{}", self.destination)
    }
}

#[async_trait]
impl SecretStore for CatalogSecrets {
    async fn load(&self) -> Result<Value, SecretError> {
        match self.catalog.get_destination(None, self.destination).await {
            Ok(Some(d)) => Ok(d.secrets),
            Ok(None) => Err(SecretError("the destination was deleted".into())),
            Err(e) => Err(SecretError(e.to_string())),
        }
    }

    async fn replace(&self, expected: &Value, new: &Value) -> Result<bool, SecretError> {
        self.catalog
            .replace_destination_secrets(self.destination, expected, new, Utc::now())
            .await
            .map_err(|e| SecretError(e.to_string()))
    }

    async fn lock(&self, ttl: Duration) -> Result<bool, SecretError> {
        self.catalog
            .try_lock(&self.lock_name(), &self.owner, ttl, Utc::now())
            .await
            .map_err(|e| SecretError(e.to_string()))
    }

    async fn unlock(&self) -> Result<(), SecretError> {
        self.catalog
            .unlock(&self.lock_name(), &self.owner)
            .await
            .map_err(|e| SecretError(e.to_string()))
    }
}

/// Refreshes the delivery and alert gauges from the catalog.
pub struct GaugeRefresher {
    pub catalog: Arc<dyn Catalog>,
    pub metrics: Arc<Metrics>,
    pub every: Duration,
}

impl GaugeRefresher {
    pub async fn refresh(&self) -> Result<(), RunError> {
        let now = Utc::now();
        let stats = self.catalog.delivery_stats(now).await?;
        self.metrics.deliveries.clear();
        for (kind, state, count) in stats.by_state {
            self.metrics
                .deliveries
                .get_or_create(&DeliveryLabels { kind, outcome: state.as_str().to_owned() })
                .set(count as i64);
        }
        self.metrics.delivery_oldest_undelivered.clear();
        for (destination, _tenant, kind, oldest) in stats.oldest_undelivered {
            let age = (now - oldest).num_seconds().max(0);
            self.metrics
                .delivery_oldest_undelivered
                .get_or_create(&callvault_vault::metrics::DestinationLabels {
                    destination: destination.to_string(),
                    kind,
                })
                .set(age);
        }
        self.metrics.alerts_open.clear();
        for (kind, severity, count) in self.catalog.open_alert_counts().await? {
            self.metrics
                .alerts_open
                .get_or_create(&callvault_vault::metrics::AlertLabels { kind, severity })
                .set(count as i64);
        }
        Ok(())
    }
}

#[async_trait]
impl Worker for GaugeRefresher {
    fn name(&self) -> &str {
        "delivery-gauges"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        self.refresh().await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        tokio::time::sleep(self.every).await;
    }
}

/// A progress store for a test delivery: kept in memory, never in the
/// outbox.
struct MemoryCheckpoint;

#[async_trait]
impl Checkpoint for MemoryCheckpoint {
    async fn save(&self, _progress: &Value) -> Result<(), CheckpointError> {
        Ok(())
    }
}

/// Send a real test delivery to `destination` now, outside the outbox, and
/// return what the destination answered (`POST /v1/destinations/{id}/test`,
/// `callvault destination test`). Err when the destination's kind has no
/// channel here.
pub async fn test_destination(
    catalog: Arc<dyn Catalog>,
    channels: &Channels,
    media: &dyn MediaFactory,
    destination: &Destination,
    timeout: Duration,
) -> Result<Attempt, String> {
    let channel = channels
        .get(destination.kind.as_str())
        .ok_or_else(|| format!("no channel for destination kind {:?}", destination.kind))?;
    let tenant_name = match catalog.tenant(destination.tenant_id).await {
        Ok(Some(t)) => t.name,
        _ => String::new(),
    };
    let job = Job {
        delivery_id: Uuid::now_v7(),
        tenant_id: destination.tenant_id,
        tenant_name,
        event: Event::Test,
        attempt: 1,
        created_at: Utc::now(),
        destination: DestinationView {
            id: destination.id,
            name: destination.name.clone(),
            config: destination.config.clone(),
            secrets: destination.secrets.clone(),
        },
        subject: Subject::Test,
        progress: Value::Null,
        media: media.for_destination(destination)?,
        checkpoint: Arc::new(MemoryCheckpoint),
        secrets: Arc::new(CatalogSecrets {
            catalog,
            destination: destination.id,
            owner: format!("test-{}", Uuid::now_v7()),
        }),
    };
    match tokio::time::timeout(timeout, channel.deliver(&job)).await {
        Ok(attempt) => Ok(attempt),
        Err(_) => Ok(Attempt {
            outcome: Outcome::Retry {
                error: format!("no answer within {}", outbox::human(timeout)),
                retry_after: None,
                class: RetryClass::Transient,
            },
            progress: Value::Null,
            status: None,
        }),
    }
}
