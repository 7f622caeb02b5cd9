//! `callvault serve`: the composition root. Opens the vault, recovers,
//! starts the background workers, the HTTP API, the SIPREC server and live
//! capture, and stops them in the reverse order on SIGINT/SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::Duration;

use anyhow::Context;
use callvault_api::AppState;
use callvault_api::deliveries::DeliveryApi;
use callvault_api::edge::{EdgeLimits, EdgeMetrics, Readiness};
use callvault_api::listener::{EdgeSettings, connection_cap, raise_descriptor_limit, serve_http};
use callvault_api::readiness::ReadinessCheck;
use callvault_delivery::media_service::MediaService;
use callvault_delivery::runner::{Drainer, GaugeRefresher, MediaFactory, Runner};
use callvault_store::{BlobStore, Catalog};
use callvault_vault::instance::Instance;
use callvault_vault::metrics::Metrics;
use callvault_vault::worker::{Next, WorkError, Worker, Workers, every};
use callvault_vault::{Vault, recovery};

use crate::config::Config;

/// Run the server until SIGINT/SIGTERM, then finish in-flight requests
/// (uploads included) within `server.shutdown_grace_secs`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let nofile = raise_descriptor_limit();
    let vault = Vault::open(config.vault()).await?;
    vault.recover().await.context("start-up recovery failed")?;
    let listen = config.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    let cap = connection_cap(config.server.max_connections, nofile);
    if cap < config.server.max_connections {
        tracing::warn!(
            configured = config.server.max_connections,
            cap,
            descriptors = nofile,
            "server.max_connections lowered to fit the descriptor limit"
        );
    }
    let cursor_path = config.data_dir.join("audit-cursor.key");
    let cursor_key = callvault_api::cursor::CursorKey::load_or_create(&cursor_path)
        .with_context(|| format!("cannot read or create {}", cursor_path.display()))?;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let workers = Workers::new(vault.metrics.clone(), stop_rx.clone());
    spawn_workers(&vault, &workers);
    spawn_disk_watch(&config, &vault, &workers);
    if config.storage.jobs.enabled {
        workers.spawn(callvault_storage::jobs::StorageWorker {
            engine: callvault_storage::jobs::Engine {
                catalog: vault.catalog.clone(),
                stores: vault.stores.clone(),
                metrics: vault.metrics.clone(),
                owner: vault.instance.id().to_owned(),
                default_policy: config.storage.policy.clone(),
                config: config.storage.jobs.clone(),
            },
        });
    }
    let (delivery_api, delivery_drain) = start_delivery(&config, &vault, &workers)?;
    spawn_retention(&config, &vault, &workers);
    let assurance_api = start_assurance(&config, &vault, &workers);
    let edge_metrics = Arc::new(EdgeMetrics::new());
    let state = Arc::new(AppState {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        stores: vault.stores.clone(),
        metrics: vault.metrics.clone(),
        keys: callvault_api::auth::KeyCache::new(Duration::from_secs(config.server.key_cache_secs)),
        ingestor: vault.ingestor(),
        max_metadata_bytes: config.server.max_metadata_bytes,
        ready: AtomicBool::new(false),
        workers: workers.clone(),
        limits: EdgeLimits {
            body_idle_timeout: Duration::from_secs(config.server.body_idle_timeout_secs),
            max_uploads_per_tenant: config.server.max_uploads_per_tenant,
            ..EdgeLimits::default()
        },
        uploads: Default::default(),
        readiness: Readiness::default(),
        edge_metrics: edge_metrics.clone(),
        cursor_key,
        delivery: delivery_api.clone(),
        retention: config.retention.clone(),
        storage: Some(Arc::new(callvault_api::storage::StorageApi {
            capacity: capacity_source(&config, &vault),
            disk: vault.disk.clone(),
            section: config.storage.clone(),
        })),
        reader: vault.reader(),
        assurance: Some(assurance_api),
        console: config.console.clone(),
    });
    workers.spawn(ReadinessCheck::new(state.clone(), vault.disk.clone()));
    let sip = if config.sip.enabled {
        let deps = callvault_siprec::SipDeps {
            catalog: vault.catalog.clone(),
            ingestor: vault.ingestor(),
            metrics: vault.metrics.clone(),
            instance: vault.instance.clone(),
            data_dir: config.data_dir.clone(),
            grace: vault.config.recovery_grace,
            disk: vault.disk.clone(),
        };
        let server =
            callvault_siprec::start(config.sip.clone(), deps.clone(), stop_rx.clone()).await?;
        // What a previous process left in its spools, beside the new calls.
        workers.spawn(callvault_siprec::Recovery { deps, config: config.sip.clone() });
        Some(server)
    } else {
        None
    };
    // Live capture (`[capture]`), next to the API until shutdown.
    let live_capture = callvault_capture_driver::spawn_configured(&vault, &config.capture).await?;
    state.ready.store(true, Ordering::Release);
    tracing::info!(
        %listen,
        catalog = vault.catalog.backend(),
        store = vault.store.kind(),
        max_connections = cap,
        "callvault serving"
    );
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let app = callvault_api::router(state.clone());
    let settings = EdgeSettings {
        cap,
        header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
    };
    let http = serve_http(listener, app, edge_metrics, settings, stop_rx.clone());
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut http = std::pin::pin!(http);
    tokio::select! {
        _ = &mut http => {}
        _ = async {
            let _ = stop_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time");
        }
    }
    state.ready.store(false, Ordering::Release);
    if let Some(c) = live_capture {
        c.stop().await;
    }
    if let Some(sip) = sip {
        // The SRS ends its sessions and stores their recordings; what does
        // not finish in time stays in the spools for the next start.
        if tokio::time::timeout(grace, sip.task).await.is_err() {
            tracing::warn!("SIPREC sessions not stored in time; their spools are kept");
        }
    }
    if tokio::time::timeout(grace, workers.join()).await.is_err() {
        tracing::warn!("background workers did not finish their runs in time");
    }
    // The outbox stopped claiming with its worker; let the attempts in
    // flight record their outcomes. One cut short is retried, with the same
    // idempotency key, once its lease expires.
    if let Some(drain) = delivery_drain
        && tokio::time::timeout(grace, drain.drain()).await.is_err()
    {
        tracing::warn!(
            "deliveries still in flight at shutdown; they are retried after their lease"
        );
    }
    tracing::info!("stopped");
    Ok(())
}

/// The outbox: its runner (when `delivery.enabled`), the gauges, and what
/// the API needs for destinations, deliveries, alerts and links.
fn start_delivery(
    config: &Config,
    vault: &Vault,
    workers: &Workers,
) -> anyhow::Result<(Option<Arc<DeliveryApi>>, Option<Drainer>)> {
    let channels = Arc::new(config.delivery.channels().map_err(anyhow::Error::msg)?);
    let public_url = config.public_url();
    if config.server.public_url.is_empty() {
        tracing::warn!(
            %public_url,
            "server.public_url is not set: signed links in e-mails, CRM cards and webhooks \
             point at this machine's listen address"
        );
    }
    let links = MediaService::new(vault.reader(), public_url, vault.instance.id());
    let media: Arc<dyn MediaFactory> = Arc::new(links.clone());
    let mut wake = None;
    let mut drainer = None;
    if config.delivery.enabled {
        let runner = Runner::new(
            vault.catalog.clone(),
            channels.clone(),
            media.clone(),
            vault.metrics.clone(),
            config.delivery.runner(vault.instance.id().to_owned()),
        );
        wake = Some(runner.waker());
        drainer = Some(runner.drainer());
        workers.spawn(runner);
    }
    workers.spawn(GaugeRefresher {
        catalog: vault.catalog.clone(),
        metrics: vault.metrics.clone(),
        every: Duration::from_secs(config.delivery.gauges_secs.max(1)),
    });
    let api =
        Arc::new(DeliveryApi { channels, media, links, wake, defaults: config.delivery.clone() });
    Ok((Some(api), drainer))
}

/// The vault's own background jobs.
/// Retention, the trash's purge and their gauges (issue 14, item 4).
fn spawn_retention(config: &Config, vault: &Vault, workers: &Workers) {
    use callvault_storage::{retention, trash};
    workers.spawn(trash::TrashGauges {
        catalog: vault.catalog.clone(),
        metrics: vault.metrics.clone(),
    });
    if !config.retention.enabled {
        return;
    }
    workers.spawn(retention::RetentionWorker {
        catalog: vault.catalog.clone(),
        config: config.retention.clone(),
        metrics: vault.metrics.clone(),
    });
    workers.spawn(trash::PurgeWorker {
        catalog: vault.catalog.clone(),
        stores: Arc::new(trash::VaultStores::of(vault)),
        config: config.retention.clone(),
        metrics: vault.metrics.clone(),
    });
}

fn spawn_workers(vault: &Vault, workers: &Workers) {
    workers.spawn(OrphanScan {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        metrics: vault.metrics.clone(),
    });
    workers.spawn(PeriodicRecovery {
        catalog: vault.catalog.clone(),
        stores: vault.stores.clone(),
        metrics: vault.metrics.clone(),
        instance: vault.instance.clone(),
        grace: vault.config.recovery_grace,
        first: true,
    });
    workers.spawn(CatalogMaintenance { catalog: vault.catalog.clone() });
    workers.spawn(CatalogTotals { catalog: vault.catalog.clone(), metrics: vault.metrics.clone() });
}

/// The data_dir's watermarks (every `server.disk_check_secs`), the
/// stores' capacity (`[capacity]`) and the scrubber (`[scrub]`).
fn spawn_disk_watch(config: &Config, vault: &Vault, workers: &Workers) {
    workers.spawn(callvault_vault::disk::DiskWatch::new(
        vault.disk.clone(),
        vault.catalog.clone(),
        vault.metrics.clone(),
        Duration::from_secs(config.server.disk_check_secs.max(1)),
    ));
    workers.spawn(callvault_storage::capacity::CapacityWatch {
        source: capacity_source(config, vault),
        metrics: vault.metrics.clone(),
        config: config.capacity.clone(),
    });
    if config.scrub.enabled {
        workers.spawn(callvault_storage::scrub::ScrubWorker { scrubber: scrubber(config, vault) });
    }
}

/// The stores capacity is computed for, with their quotas.
pub fn capacity_source(
    config: &Config,
    vault: &Vault,
) -> callvault_storage::capacity::CapacitySource {
    callvault_storage::capacity::CapacitySource {
        catalog: vault.catalog.clone(),
        stores: callvault_storage::stores_of(vault),
        quotas: config.capacity.quota_bytes.clone(),
    }
}

/// The scrubber of every store.
pub fn scrubber(config: &Config, vault: &Vault) -> callvault_storage::scrub::Scrubber {
    callvault_storage::scrub::Scrubber {
        catalog: vault.catalog.clone(),
        stores: callvault_storage::stores_of(vault),
        metrics: vault.metrics.clone(),
        config: config.scrub.clone(),
        owner: vault.instance.id().to_owned(),
    }
}

/// Once at start-up: report objects that no row knows (never deleted).
struct OrphanScan {
    catalog: Arc<dyn Catalog>,
    store: Arc<BlobStore>,
    metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for OrphanScan {
    fn name(&self) -> &str {
        "orphan-scan"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let report = recovery::scan_orphans(self.catalog.as_ref(), &self.store).await?;
        self.metrics.orphan_objects.set(i64::try_from(report.orphans.len()).unwrap_or(i64::MAX));
        if report.orphans.is_empty() {
            tracing::info!(
                objects = report.objects_scanned,
                "store scan: every object is known to the catalog"
            );
        } else {
            for key in report.orphans.iter().take(100) {
                tracing::warn!(%key, "object unknown to the catalog");
            }
            tracing::warn!(
                orphans = report.orphans.len(),
                objects = report.objects_scanned,
                "store scan found objects unknown to the catalog; see `callvault fsck`"
            );
        }
        Ok(Next::Done)
    }

    /// A failed scan is tried again an hour later.
    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(3600)).await;
    }
}

/// What other processes (a crashed import) left behind, every 10 minutes.
/// Start-up recovery has just run, so the first run waits too.
struct PeriodicRecovery {
    catalog: Arc<dyn Catalog>,
    stores: Arc<callvault_vault::stores::StoreSet>,
    metrics: Arc<Metrics>,
    instance: Arc<Instance>,
    grace: Duration,
    first: bool,
}

#[async_trait::async_trait]
impl Worker for PeriodicRecovery {
    fn name(&self) -> &str {
        "recovery"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        if std::mem::take(&mut self.first) {
            return Ok(Next::Idle);
        }
        // Every store; one that is down keeps its leftovers for next time.
        let stores: Vec<&BlobStore> = self.stores.iter().map(|(s, _)| s.as_ref()).collect();
        recovery::recover_in(
            self.catalog.as_ref(),
            &stores,
            &self.metrics,
            &self.instance,
            self.grace,
            |_| true,
        )
        .await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(600)).await;
    }
}

/// Planner statistics and the purge of ended console sessions: at start-up,
/// then hourly.
struct CatalogMaintenance {
    catalog: Arc<dyn Catalog>,
}

#[async_trait::async_trait]
impl Worker for CatalogMaintenance {
    fn name(&self) -> &str {
        "catalog-maintenance"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        self.catalog.maintain().await?;
        let ended = self.catalog.purge_console_sessions(chrono::Utc::now()).await?;
        if ended > 0 {
            tracing::debug!(ended, "expired console sessions purged");
        }
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(3600)).await;
    }
}

/// Catalog totals for the metrics endpoint, every minute.
struct CatalogTotals {
    catalog: Arc<dyn Catalog>,
    metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for CatalogTotals {
    fn name(&self) -> &str {
        "catalog-totals"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let t = self.catalog.totals().await?;
        let m = &self.metrics;
        m.catalog_conversations.set(i64::try_from(t.conversations).unwrap_or(i64::MAX));
        m.catalog_recordings.set(i64::try_from(t.recordings).unwrap_or(i64::MAX));
        m.catalog_recording_bytes.set(i64::try_from(t.recording_bytes).unwrap_or(i64::MAX));
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(60)).await;
    }
}

/// Resolves at the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Assurance: the reconciliation worker (when `assurance.enabled`) and what
/// the API needs for reports and CDR imports.
fn start_assurance(
    config: &Config,
    vault: &Vault,
    workers: &Workers,
) -> Arc<callvault_api::assurance::AssuranceApi> {
    let mut wake = None;
    if config.assurance.enabled {
        let reconciler = callvault_assurance::Reconciler::new(
            vault.catalog.clone(),
            config.assurance.clone(),
            Some(vault.metrics.clone()),
        )
        .with_default_copies(config.storage.policy.copies);
        wake = Some(reconciler.waker());
        workers.spawn(reconciler);
    }
    Arc::new(callvault_api::assurance::AssuranceApi { config: config.assurance.clone(), wake })
}
