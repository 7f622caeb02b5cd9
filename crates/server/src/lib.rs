//! The callvault server: the only crate that owns sockets, tasks and the
//! clock.
//!
//! - [`config`]: the TOML + environment configuration.
//! - [`Vault`]: the opened catalog and primary store, with start-up recovery.
//! - [`ingest`]: the one path by which audio enters the vault.
//! - [`api`]: the HTTP API (axum) with problem+json errors and OpenAPI.
//! - [`recovery`]: crash recovery, orphan scans, copy checks.
//! - [`import`]: bulk import of existing archives.
//! - [`mod@bench`]: the benchmarks behind `callvault bench`.
//!
//! **Architecture invariant:** the HTTP layer never writes to the catalog or
//! a store directly; every recording goes through [`ingest::Ingestor`].
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod bench;
pub mod capture;
pub mod config;
pub mod import;
pub mod ingest;
pub mod instance;
pub mod metrics;
pub mod recovery;
pub mod siprec;
mod spool_sync;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use callvault_store::{BlobStore, Catalog, open_catalog};

use crate::api::AppState;
use crate::config::Config;
use crate::ingest::Ingestor;
use crate::metrics::Metrics;

/// The catalog and primary store, opened from a configuration.
pub struct Vault {
    pub catalog: Arc<dyn Catalog>,
    pub store: Arc<BlobStore>,
    pub metrics: Arc<Metrics>,
    pub instance: Arc<instance::Instance>,
    /// Shared by every ingestor of this process.
    commits: Arc<tokio::sync::Semaphore>,
    pub config: Config,
}

impl Vault {
    /// Open the catalog (applying migrations) and the primary store.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create data_dir {}", config.data_dir.display()))?;
        let catalog = open_catalog(&config.catalog_url(), config.catalog.max_connections)
            .await
            .context("cannot open the catalog (catalog.url)")?;
        let store = BlobStore::open(&config.primary_store())
            .context("cannot open the primary store (store.url)")?;
        let instance = instance::Instance::acquire(&config.data_dir)
            .context("cannot register this process in data_dir")?;
        Ok(Self {
            catalog,
            store: Arc::new(store),
            metrics: Arc::new(Metrics::new()),
            instance: Arc::new(instance),
            commits: Arc::new(tokio::sync::Semaphore::new(
                config.server.max_concurrent_commits.max(1),
            )),
            config,
        })
    }

    pub fn ingestor(&self) -> Ingestor {
        Ingestor {
            catalog: self.catalog.clone(),
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            owner: self.instance.id().to_owned(),
            commits: self.commits.clone(),
            max_upload_bytes: self.config.server.max_upload_bytes,
        }
    }

    /// Undo interrupted uploads. Must run before anything else writes.
    pub async fn recover(&self) -> anyhow::Result<recovery::RecoveryReport> {
        let grace = Duration::from_secs(self.config.server.recovery_grace_secs);
        let report = recovery::recover(
            self.catalog.as_ref(),
            &self.store,
            &self.metrics,
            &self.instance,
            grace,
        )
        .await?;
        if report != recovery::RecoveryReport::default() {
            tracing::warn!(
                staging_files = report.staging_files_removed,
                pending_objects = report.pending_objects_removed,
                "recovered from an interrupted run"
            );
        }
        Ok(report)
    }
}

/// Run the server until SIGINT/SIGTERM, then finish in-flight requests
/// (uploads included) within `server.shutdown_grace_secs`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let vault = Vault::open(config).await?;
    vault.recover().await.context("start-up recovery failed")?;
    let listen = vault.config.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    let state = Arc::new(AppState {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        metrics: vault.metrics.clone(),
        keys: auth::KeyCache::new(Duration::from_secs(vault.config.server.key_cache_secs)),
        ingestor: vault.ingestor(),
        max_metadata_bytes: vault.config.server.max_metadata_bytes,
        ready: AtomicBool::new(false),
    });
    spawn_background(&vault, state.clone());
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let sip = if vault.config.sip.enabled {
        let deps = siprec::SipDeps {
            catalog: vault.catalog.clone(),
            ingestor: vault.ingestor(),
            metrics: vault.metrics.clone(),
            instance: vault.instance.clone(),
            data_dir: vault.config.data_dir.clone(),
            grace: Duration::from_secs(vault.config.server.recovery_grace_secs),
        };
        Some(siprec::start(vault.config.sip.clone(), deps, stop_rx.clone()).await?)
    } else {
        None
    };
    // Live capture (`[capture]`), next to the API until shutdown.
    let live_capture = capture::spawn_configured(&vault).await?;
    state.ready.store(true, Ordering::Release);
    tracing::info!(
        %listen,
        catalog = vault.catalog.backend(),
        store = vault.store.kind(),
        "callvault serving"
    );
    let grace = Duration::from_secs(vault.config.server.shutdown_grace_secs);
    let app = api::router(state.clone());
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        res = &mut server => res.context("http server failed")?,
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
    tracing::info!("stopped");
    Ok(())
}

fn spawn_background(vault: &Vault, state: Arc<AppState>) {
    // Orphan scan once at start-up: report objects that no row knows.
    let catalog = vault.catalog.clone();
    let store = vault.store.clone();
    let metrics = vault.metrics.clone();
    tokio::spawn(async move {
        match recovery::scan_orphans(catalog.as_ref(), &store).await {
            Ok(report) => {
                metrics.orphan_objects.set(i64::try_from(report.orphans.len()).unwrap_or(i64::MAX));
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
            }
            Err(e) => tracing::error!(error = %e, "store scan failed"),
        }
    });
    // What other processes (a crashed import) left behind, every 10 minutes.
    let catalog = vault.catalog.clone();
    let store = vault.store.clone();
    let metrics = vault.metrics.clone();
    let instance = vault.instance.clone();
    let grace = Duration::from_secs(vault.config.server.recovery_grace_secs);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        tick.tick().await;
        loop {
            tick.tick().await;
            let res = recovery::recover(catalog.as_ref(), &store, &metrics, &instance, grace).await;
            if let Err(e) = res {
                tracing::warn!(error = %e, "periodic recovery failed");
            }
        }
    });
    // Planner statistics: at start-up, then hourly.
    let catalog = vault.catalog.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = catalog.maintain().await {
                tracing::warn!(error = %e, "catalog maintenance failed");
            }
        }
    });
    // Catalog totals for the metrics endpoint, refreshed every minute.
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match state.catalog.totals().await {
                Ok(t) => {
                    let m = &state.metrics;
                    m.catalog_conversations.set(i64::try_from(t.conversations).unwrap_or(i64::MAX));
                    m.catalog_recordings.set(i64::try_from(t.recordings).unwrap_or(i64::MAX));
                    m.catalog_recording_bytes
                        .set(i64::try_from(t.recording_bytes).unwrap_or(i64::MAX));
                }
                Err(e) => tracing::warn!(error = %e, "cannot read catalog totals"),
            }
        }
    });
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
