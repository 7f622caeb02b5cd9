//! Prometheus metrics. Every error both logs and counts.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

/// A delivery channel (`email`, `webhook`, ...) and an attempt's outcome
/// or a delivery's state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DestinationLabels {
    pub destination: String,
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabels {
    pub kind: String,
    pub severity: String,
}

/// A kind (of assurance finding).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
    pub worker: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerOutcomeLabels {
    pub worker: String,
    pub outcome: String,
}

/// A tenant, by name.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    pub tenant: String,
}

pub struct Metrics {
    pub registry: Registry,
    /// Background job runs by worker and outcome: ok, error.
    pub worker_runs: Family<WorkerOutcomeLabels, Counter>,
    /// Unix time of each worker's last successful run.
    pub worker_last_success: Family<WorkerLabels, Gauge>,
    /// Seconds each worker spent in its runs.
    pub worker_busy_seconds: Family<WorkerLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    /// Recordings offered for ingest by outcome: created, duplicate,
    /// `refused_<reason>`, failed.
    pub ingest: Family<OutcomeLabels, Counter>,
    pub ingest_bytes: Counter,
    pub uploads_in_flight: Gauge,
    pub orphan_objects: Gauge,
    pub recovered_pending_objects: Counter,
    pub catalog_conversations: Gauge,
    pub catalog_recordings: Gauge,
    pub catalog_recording_bytes: Gauge,
    /// SIPREC sessions by outcome: started, refused_no_tenant, recorded,
    /// empty, failed.
    pub sip_sessions: Family<OutcomeLabels, Counter>,
    pub sip_sessions_active: Gauge,
    /// SIP messages not processed: unparsable, queue full, oversized.
    pub sip_dropped: Family<OutcomeLabels, Counter>,
    pub sip_rtp_packets: Counter,
    /// RTP packets the SRS dropped because they came from an address the
    /// SRC did not announce (neither its signalling address nor an SDP
    /// `c=` address of the session).
    pub sip_rtp_foreign: Counter,
    /// Group syncs of live capture's open spools, by outcome: ok, failed.
    pub spool_syncs: Family<OutcomeLabels, Counter>,
    /// Live or file capture: frames read, frames the filter skipped,
    /// packets the kernel dropped (receive buffer full), calls open now.
    pub capture_frames: Counter,
    pub capture_filtered: Counter,
    pub capture_kernel_drops: Counter,
    pub capture_calls_open: Gauge,
    /// Captured conversations by outcome: stored, duplicate, empty,
    /// refused, unavailable (will be retried).
    pub capture_conversations: Family<OutcomeLabels, Counter>,
    /// Captured conversations waiting in their spools for the vault.
    pub capture_waiting: Gauge,
    /// SIPREC recordings that ended while the vault was unavailable and
    /// wait, in their spools, for it to come back.
    pub sip_recordings_waiting: Gauge,
    /// BYEs the SRS sent, by outcome: answered, timed_out.
    pub sip_byes: Family<OutcomeLabels, Counter>,
    /// Delivery attempts by channel and outcome (delivered, verified,
    /// retry_wait, dead, no_match, skipped, lease_lost).
    pub delivery_attempts: Family<DeliveryLabels, Counter>,
    /// Deliveries by channel and state (`outcome` carries the state), as
    /// of the last refresh.
    pub deliveries: Family<DeliveryLabels, Gauge>,
    /// Age in seconds of the oldest undelivered row per destination.
    pub delivery_oldest_undelivered: Family<DestinationLabels, Gauge>,
    /// Open alerts by kind and severity.
    pub alerts_open: Family<AlertLabels, Gauge>,
    /// Retention and the trash (issue 14): recordings in the trash and
    /// their bytes, legal holds in force, per tenant; recordings retention
    /// moved to the trash, runs the mass-deletion guard stopped, recordings
    /// purged.
    pub trash_recordings: Family<TenantLabels, Gauge>,
    pub trash_bytes: Family<TenantLabels, Gauge>,
    pub legal_holds: Family<TenantLabels, Gauge>,
    pub retention_trashed: Family<TenantLabels, Counter>,
    pub retention_guard_trips: Family<TenantLabels, Counter>,
    pub trash_purged: Counter,
    /// The storage lifecycle's figures (`callvault_storage_*`).
    pub storage: StorageMetrics,
    /// The data_dir's watermarks, capacity and scrubbing.
    pub capacity: CapacityMetrics,
    // --- assurance ---
    /// Answered calls in the call register.
    pub assurance_calls: Gauge,
    /// Open assurance findings by kind.
    pub assurance_findings: Family<KindLabels, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CopiesLabels {
    /// A number of verified copies.
    pub copies: String,
}

/// A storage job's action (`copy`, `delete`) and its outcome (`done`,
/// `failed`, `skipped`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StorageJobLabels {
    pub action: String,
    pub outcome: String,
}

/// What the storage lifecycle reports.
pub struct StorageMetrics {
    /// Recordings stored in the fallback store because the primary failed.
    pub spills: Counter,
    /// Recordings by their number of verified copies, as of the last pass.
    pub recordings_by_copies: Family<CopiesLabels, Gauge>,
    /// Recordings with fewer verified copies than their policy requires,
    /// as of the last pass.
    pub under_replicated: Gauge,
    /// Copies made and removed by the storage jobs, by outcome.
    pub jobs: Family<StorageJobLabels, Counter>,
    /// Bytes the storage jobs copied between stores.
    pub bytes_copied: Counter,
}

impl StorageMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = Self {
            spills: Counter::default(),
            recordings_by_copies: Family::default(),
            under_replicated: Gauge::default(),
            jobs: Family::default(),
            bytes_copied: Counter::default(),
        };
        registry.register(
            "storage_spills",
            "Recordings stored in the fallback store because the primary failed",
            m.spills.clone(),
        );
        registry.register(
            "storage_recordings_by_copies",
            "Recordings by their number of verified copies",
            m.recordings_by_copies.clone(),
        );
        registry.register(
            "storage_under_replicated",
            "Recordings with fewer verified copies than their policy requires",
            m.under_replicated.clone(),
        );
        registry.register(
            "storage_jobs",
            "Copies made and removed by the storage jobs, by action and outcome",
            m.jobs.clone(),
        );
        registry.register(
            "storage_bytes_copied",
            "Bytes copied between stores",
            m.bytes_copied.clone(),
        );
        m
    }

    /// Count one job action's outcome.
    pub fn job(&self, action: &str, outcome: &str) {
        self.jobs
            .get_or_create(&StorageJobLabels { action: action.into(), outcome: outcome.into() })
            .inc();
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabels {
    pub store: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreTenantLabels {
    pub store: String,
    pub tenant: String,
}

/// The data_dir's watermarks, the stores' capacity and the scrubber.
pub struct CapacityMetrics {
    /// Free bytes of the data_dir's file system at the last sample.
    pub data_dir_free_bytes: Gauge,
    /// 0 unknown, 1 ok, 2 under the low watermark, 3 under the critical one.
    pub data_dir_disk_level: Gauge,
    /// New calls live capture did not open, by reason (`disk`).
    pub capture_calls_refused: Family<ReasonLabels, Counter>,
    /// Bytes of the copies on each store (catalog sums).
    pub used_bytes: Family<StoreLabels, Gauge>,
    /// Each store's capacity: its file system's size, or its quota.
    pub capacity_bytes: Family<StoreLabels, Gauge>,
    /// Days until each store is full at its growth rate (-1: not growing).
    pub days_until_full: Family<StoreLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// Bytes of copies per store and tenant.
    pub tenant_used_bytes: Family<StoreTenantLabels, Gauge>,
    /// Copies the scrubber re-read, by store.
    pub scrub_copies_checked: Family<StoreLabels, Counter>,
    /// Bytes the scrubber re-read, by store.
    pub scrub_bytes: Family<StoreLabels, Counter>,
    /// Copies found damaged (size or sha256 differ), by store.
    pub scrub_damaged: Family<StoreLabels, Counter>,
    /// Copies found missing, by store.
    pub scrub_missing: Family<StoreLabels, Counter>,
    /// Copies repaired from a good copy, by store.
    pub scrub_repaired: Family<StoreLabels, Counter>,
    /// Copies with no good copy to repair them from, by store.
    pub scrub_unrepairable: Family<StoreLabels, Counter>,
    /// The running pass's progress per store, 0 to 1 (1 when idle).
    pub scrub_progress: Family<StoreLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

impl CapacityMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = Self {
            data_dir_free_bytes: Gauge::default(),
            data_dir_disk_level: Gauge::default(),
            capture_calls_refused: Family::default(),
            used_bytes: Family::default(),
            capacity_bytes: Family::default(),
            days_until_full: Family::default(),
            tenant_used_bytes: Family::default(),
            scrub_copies_checked: Family::default(),
            scrub_bytes: Family::default(),
            scrub_damaged: Family::default(),
            scrub_missing: Family::default(),
            scrub_repaired: Family::default(),
            scrub_unrepairable: Family::default(),
            scrub_progress: Family::default(),
        };
        let r = registry;
        r.register(
            "data_dir_free_bytes",
            "Free bytes of the data_dir's file system",
            m.data_dir_free_bytes.clone(),
        );
        r.register(
            "data_dir_disk_level",
            "The data_dir's free space: 0 unknown, 1 ok, 2 under the low watermark, 3 under the \
             critical one (new calls refused)",
            m.data_dir_disk_level.clone(),
        );
        r.register(
            "capture_calls_refused",
            "New calls live capture did not open, by reason",
            m.capture_calls_refused.clone(),
        );
        r.register("storage_used_bytes", "Bytes of copies per store", m.used_bytes.clone());
        r.register(
            "storage_capacity_bytes",
            "Capacity per store: its file system's size or its configured quota",
            m.capacity_bytes.clone(),
        );
        r.register(
            "storage_days_until_full",
            "Days until the store is full at its growth rate (-1: not growing or unknown)",
            m.days_until_full.clone(),
        );
        r.register(
            "storage_tenant_used_bytes",
            "Bytes of copies per store and tenant",
            m.tenant_used_bytes.clone(),
        );
        r.register(
            "scrub_copies_checked",
            "Copies re-read by the scrubber",
            m.scrub_copies_checked.clone(),
        );
        r.register("scrub_bytes", "Bytes re-read by the scrubber", m.scrub_bytes.clone());
        r.register(
            "scrub_damaged",
            "Copies found damaged by the scrubber",
            m.scrub_damaged.clone(),
        );
        r.register(
            "scrub_missing",
            "Copies found missing by the scrubber",
            m.scrub_missing.clone(),
        );
        r.register(
            "scrub_repaired",
            "Copies the scrubber repaired from a good copy",
            m.scrub_repaired.clone(),
        );
        r.register(
            "scrub_unrepairable",
            "Copies the scrubber found no good copy to repair from",
            m.scrub_unrepairable.clone(),
        );
        r.register(
            "scrub_progress",
            "Progress of the scrubber's current pass per store, 0 to 1",
            m.scrub_progress.clone(),
        );
        m
    }

    /// Counts a new call live capture did not open.
    pub fn capture_refused(&self, reason: &str) {
        self.capture_calls_refused.get_or_create(&ReasonLabels { reason: reason.to_owned() }).inc();
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("callvault");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 18))
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            http_duration.clone(),
        );
        let ingest = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ingest_recordings",
            "Recordings offered for ingest, by outcome",
            ingest.clone(),
        );
        let ingest_bytes = Counter::default();
        registry.register("ingest_bytes", "Audio bytes stored by ingest", ingest_bytes.clone());
        let uploads_in_flight = Gauge::default();
        registry.register(
            "uploads_in_flight",
            "Uploads being received right now",
            uploads_in_flight.clone(),
        );
        let orphan_objects = Gauge::default();
        registry.register(
            "orphan_objects",
            "Objects in the primary store that no catalog row knows, at the last scan",
            orphan_objects.clone(),
        );
        let recovered_pending_objects = Counter::default();
        registry.register(
            "recovered_pending_objects",
            "Unacknowledged objects removed at start-up after a crash",
            recovered_pending_objects.clone(),
        );
        let catalog_conversations = Gauge::default();
        registry.register(
            "catalog_conversations",
            "Conversations in the catalog",
            catalog_conversations.clone(),
        );
        let catalog_recordings = Gauge::default();
        registry.register(
            "catalog_recordings",
            "Recordings in the catalog",
            catalog_recordings.clone(),
        );
        let catalog_recording_bytes = Gauge::default();
        registry.register(
            "catalog_recording_bytes",
            "Bytes of recordings in the catalog",
            catalog_recording_bytes.clone(),
        );
        let sip_sessions = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sip_sessions",
            "SIPREC recording sessions, by outcome",
            sip_sessions.clone(),
        );
        let sip_sessions_active = Gauge::default();
        registry.register(
            "sip_sessions_active",
            "SIPREC recording sessions being recorded now",
            sip_sessions_active.clone(),
        );
        let sip_dropped = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sip_dropped_messages",
            "SIP messages dropped before the SRS core, by reason",
            sip_dropped.clone(),
        );
        let sip_rtp_packets = Counter::default();
        registry.register(
            "sip_rtp_packets",
            "RTP packets received by the SRS",
            sip_rtp_packets.clone(),
        );
        let sip_rtp_foreign = Counter::default();
        registry.register(
            "sip_rtp_foreign_packets",
            "RTP packets dropped by the SRS: sent from an address the SRC did not announce",
            sip_rtp_foreign.clone(),
        );
        let spool_syncs = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "spool_syncs",
            "Syncs of the open spools' file system (one per second while recording), by outcome",
            spool_syncs.clone(),
        );
        let capture_frames = Counter::default();
        registry.register("capture_frames", "Frames read by the capture", capture_frames.clone());
        let capture_filtered = Counter::default();
        registry.register(
            "capture_filtered_frames",
            "Frames the capture filter skipped (in user space)",
            capture_filtered.clone(),
        );
        let capture_kernel_drops = Counter::default();
        registry.register(
            "capture_kernel_drops",
            "Packets the kernel dropped before the capture read them (receive buffer full)",
            capture_kernel_drops.clone(),
        );
        let capture_calls_open = Gauge::default();
        registry.register(
            "capture_calls_open",
            "Captured conversations being recorded now",
            capture_calls_open.clone(),
        );
        let capture_conversations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "capture_conversations",
            "Captured conversations handed to the vault, by outcome",
            capture_conversations.clone(),
        );
        let capture_waiting = Gauge::default();
        registry.register(
            "capture_waiting_conversations",
            "Captured conversations waiting in their spools for the vault to come back",
            capture_waiting.clone(),
        );
        let sip_recordings_waiting = Gauge::default();
        registry.register(
            "sip_recordings_waiting",
            "SIPREC recordings waiting in their spools for the vault to come back",
            sip_recordings_waiting.clone(),
        );
        let worker_runs = Family::<WorkerOutcomeLabels, Counter>::default();
        registry.register(
            "worker_runs",
            "Background job runs by worker and outcome",
            worker_runs.clone(),
        );
        let worker_last_success = Family::<WorkerLabels, Gauge>::default();
        registry.register(
            "worker_last_success_timestamp_seconds",
            "Unix time of each background worker's last successful run",
            worker_last_success.clone(),
        );
        let worker_busy_seconds =
            Family::<WorkerLabels, Counter<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "worker_busy_seconds",
            "Seconds each background worker spent working",
            worker_busy_seconds.clone(),
        );
        let sip_byes = Family::<OutcomeLabels, Counter>::default();
        registry.register("sip_byes", "BYEs sent by the SRS, by outcome", sip_byes.clone());
        let delivery_attempts = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "delivery_attempts",
            "Delivery attempts by channel and outcome",
            delivery_attempts.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Gauge>::default();
        registry.register(
            "deliveries",
            "Deliveries by channel and state (label outcome), at the last refresh",
            deliveries.clone(),
        );
        let delivery_oldest_undelivered = Family::<DestinationLabels, Gauge>::default();
        registry.register(
            "delivery_oldest_undelivered_seconds",
            "Age of the oldest undelivered delivery per destination",
            delivery_oldest_undelivered.clone(),
        );
        let alerts_open = Family::<AlertLabels, Gauge>::default();
        registry.register("alerts_open", "Open alerts by kind and severity", alerts_open.clone());
        let trash_recordings = Family::<TenantLabels, Gauge>::default();
        registry.register(
            "trash_recordings",
            "Recordings in the trash, per tenant",
            trash_recordings.clone(),
        );
        let trash_bytes = Family::<TenantLabels, Gauge>::default();
        registry.register(
            "trash_bytes",
            "Bytes of the recordings in the trash, per tenant",
            trash_bytes.clone(),
        );
        let legal_holds = Family::<TenantLabels, Gauge>::default();
        registry.register("legal_holds", "Legal holds in force, per tenant", legal_holds.clone());
        let retention_trashed = Family::<TenantLabels, Counter>::default();
        registry.register(
            "retention_trashed_recordings",
            "Recordings the retention run moved to the trash, per tenant",
            retention_trashed.clone(),
        );
        let retention_guard_trips = Family::<TenantLabels, Counter>::default();
        registry.register(
            "retention_guard_trips",
            "Retention runs the mass-deletion guard stopped, per tenant",
            retention_guard_trips.clone(),
        );
        let trash_purged = Counter::default();
        registry.register(
            "trash_purged_recordings",
            "Recordings whose objects and rows the purge removed",
            trash_purged.clone(),
        );
        let storage = StorageMetrics::register(&mut registry);
        let capacity = CapacityMetrics::register(&mut registry);
        let assurance_calls = Gauge::default();
        registry.register(
            "assurance_calls_total",
            "Answered calls in the call register (CDRs, capture, SIPREC)",
            assurance_calls.clone(),
        );
        let assurance_findings = Family::<KindLabels, Gauge>::default();
        registry.register(
            "assurance_findings",
            "Open assurance findings by kind",
            assurance_findings.clone(),
        );
        Self {
            registry,
            worker_runs,
            worker_last_success,
            worker_busy_seconds,
            http_requests,
            http_duration,
            ingest,
            ingest_bytes,
            uploads_in_flight,
            orphan_objects,
            recovered_pending_objects,
            catalog_conversations,
            catalog_recordings,
            catalog_recording_bytes,
            sip_sessions,
            sip_sessions_active,
            sip_dropped,
            sip_rtp_packets,
            sip_rtp_foreign,
            spool_syncs,
            capture_frames,
            capture_filtered,
            capture_kernel_drops,
            capture_calls_open,
            capture_conversations,
            capture_waiting,
            sip_recordings_waiting,
            sip_byes,
            delivery_attempts,
            deliveries,
            delivery_oldest_undelivered,
            alerts_open,
            trash_recordings,
            trash_bytes,
            legal_holds,
            retention_trashed,
            retention_guard_trips,
            trash_purged,
            storage,
            capacity,
            assurance_calls,
            assurance_findings,
        }
    }

    /// Set the open findings of one kind.
    pub fn assurance_finding(&self, kind: &str, open: u64) {
        self.assurance_findings
            .get_or_create(&KindLabels { kind: kind.to_owned() })
            .set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    pub fn ingest_outcome(&self, outcome: &str) {
        self.ingest.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn sip_session(&self, outcome: &str) {
        self.sip_sessions.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn capture_conversation(&self, outcome: &str) {
        self.capture_conversations
            .get_or_create(&OutcomeLabels { outcome: outcome.to_owned() })
            .inc();
    }

    pub fn sip_drop(&self, reason: &str) {
        self.sip_dropped.get_or_create(&OutcomeLabels { outcome: reason.to_owned() }).inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
