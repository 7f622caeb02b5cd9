//! The vault: the opened catalog and primary store, and the one path by
//! which audio enters them.
//!
//! - [`Vault`]: opened from a [`VaultConfig`], with start-up recovery.
//! - [`clock`]: the edges' readings of the clock as `Timestamp`s
//!   ([`clock::wall_now`], the monotonic [`clock::EdgeClock`]).
//! - [`ingest`]: the [`ingest::Ingestor`], the only writer of recordings
//!   (API uploads, import, capture, SIPREC alike).
//! - [`instance`]: this process's lock in `data_dir/instances`, so that
//!   recovery removes only what a dead process left.
//! - [`recovery`]: crash recovery, orphan scans, copy checks.
//! - [`import`]: bulk import of existing archives.
//! - [`metrics`]: the process's Prometheus registry, shared by every edge.
//! - [`worker`]: the one way background jobs run and report.
//! - [`outage`]: what recorders do while the vault is unavailable.
//!
//! **Architecture invariant:** no recording reaches the catalog except
//! through [`ingest::Ingestor`]; the vault knows nothing of HTTP, SIP or
//! capture.
#![forbid(unsafe_code)]

pub mod clock;
pub mod import;
pub mod ingest;
pub mod instance;
pub mod metrics;
pub mod outage;
pub mod recovery;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use callvault_store::{BlobError, BlobStore, Catalog, CatalogError, StoreConfig, open_catalog};

use crate::ingest::Ingestor;
use crate::metrics::Metrics;

/// What the vault needs to open: where its files go, the catalog, the
/// primary store, and the limits of its ingest path.
#[derive(Debug, Clone)]
pub struct VaultConfig {
    /// The SQLite catalog (by default), local objects, staging, spools and
    /// instance locks live here.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`.
    pub catalog_url: String,
    pub catalog_max_connections: u32,
    /// The primary store.
    pub store: StoreConfig,
    /// Uploads in their store-and-commit phase at once.
    pub max_concurrent_commits: usize,
    /// Largest accepted audio upload.
    pub max_upload_bytes: u64,
    /// After how long an unfinished upload of an unverifiable owner counts
    /// as abandoned.
    pub recovery_grace: Duration,
}

/// The vault could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create data_dir {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the catalog (catalog.url): {0}")]
    Catalog(#[source] CatalogError),
    #[error("cannot open the primary store (store.url): {0}")]
    Store(#[source] BlobError),
    #[error("cannot register this process in data_dir: {0}")]
    Instance(#[source] std::io::Error),
}

/// The catalog and primary store, opened from a configuration.
pub struct Vault {
    pub catalog: Arc<dyn Catalog>,
    pub store: Arc<BlobStore>,
    pub metrics: Arc<Metrics>,
    pub instance: Arc<instance::Instance>,
    /// Shared by every ingestor of this process.
    commits: Arc<tokio::sync::Semaphore>,
    pub config: VaultConfig,
}

impl Vault {
    /// Open the catalog (applying migrations) and the primary store.
    pub async fn open(config: VaultConfig) -> Result<Self, OpenError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| OpenError::DataDir { path: config.data_dir.clone(), source })?;
        let catalog = open_catalog(&config.catalog_url, config.catalog_max_connections)
            .await
            .map_err(OpenError::Catalog)?;
        let store = BlobStore::open(&config.store).map_err(OpenError::Store)?;
        let instance =
            instance::Instance::acquire(&config.data_dir).map_err(OpenError::Instance)?;
        Ok(Self {
            catalog,
            store: Arc::new(store),
            metrics: Arc::new(Metrics::new()),
            instance: Arc::new(instance),
            commits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_commits.max(1))),
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
            max_upload_bytes: self.config.max_upload_bytes,
        }
    }

    /// Undo interrupted uploads. Must run before anything else writes.
    pub async fn recover(&self) -> Result<recovery::RecoveryReport, recovery::RecoveryError> {
        let report = recovery::recover(
            self.catalog.as_ref(),
            &self.store,
            &self.metrics,
            &self.instance,
            self.config.recovery_grace,
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
