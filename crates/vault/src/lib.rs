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
//! - [`stores`]: every configured store by name and role, and the read
//!   path that serves a recording from any verified copy.
//! - [`outage`]: what recorders do while the vault is unavailable.
//! - [`disk`]: the data_dir's free-space watermarks and the verdict that
//!   sheds new calls below the critical one.
//! - [`encryption`]: master keys, their start-up check, the one reader of
//!   recordings' audio (decrypting), rotation.
//!
//! **Architecture invariant:** no recording reaches the catalog except
//! through [`ingest::Ingestor`]; the vault knows nothing of HTTP, SIP or
//! capture.
#![forbid(unsafe_code)]

pub mod clock;
pub mod disk;
pub mod encryption;
pub mod import;
pub mod ingest;
pub mod instance;
pub mod metrics;
pub mod outage;
pub mod recovery;
pub mod stores;
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
    /// Stores besides the primary (replicas, archives, fallbacks).
    pub stores: Vec<stores::NamedStore>,
    /// Uploads in their store-and-commit phase at once.
    pub max_concurrent_commits: usize,
    /// Largest accepted audio upload.
    pub max_upload_bytes: u64,
    /// After how long an unfinished upload of an unverifiable owner counts
    /// as abandoned.
    pub recovery_grace: Duration,
    /// When a conversation counts as settled (no more recordings coming).
    pub settle: SettlePolicy,
    /// The data_dir's free-space watermarks.
    pub disk: disk::DiskWatermarks,
    /// Master keys for encryption at rest (`[encryption]`).
    pub encryption: encryption::EncryptionConfig,
}

/// How long after a recording is committed its conversation counts as
/// settled if no other recording of it arrives: then its
/// `conversation.settled` deliveries are due. Each new recording postpones
/// them to its own settle time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlePolicy {
    /// After an upload or import: a PBX uploads each leg's file when that leg
    /// ends, so the next one may follow a transfer by minutes.
    pub upload: Duration,
    /// After a recording that callvault made itself (SIPREC, capture): those
    /// are committed when the whole call ended.
    pub live: Duration,
    /// A recording joins the conversation of one of its keys (a SIPREC
    /// group, a Cisco GUID, a linkedid) only if that conversation ended at
    /// most this long before the recording starts, in call time; later,
    /// the source reused the key for another call. Unless a session of the
    /// group was live when the recording's started ([`RecordingFacts`]'s
    /// `group_active`).
    ///
    /// [`RecordingFacts`]: crate::ingest::RecordingFacts
    pub rejoin_window: Duration,
}

impl Default for SettlePolicy {
    fn default() -> Self {
        Self {
            upload: Duration::from_secs(120),
            live: Duration::from_secs(10),
            rejoin_window: Duration::from_secs(600),
        }
    }
}

impl SettlePolicy {
    /// The settle time of a recording from `source` committed at
    /// `committed_at`; `is_final` (an upload saying no other recording of
    /// its conversation follows) settles it at once.
    pub fn settle_at(
        &self,
        source: callvault_model::RecordingSource,
        is_final: bool,
        committed_at: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        use callvault_model::RecordingSource;
        let wait = match source {
            RecordingSource::Siprec | RecordingSource::Capture => self.live,
            RecordingSource::Upload | RecordingSource::Import if is_final => Duration::ZERO,
            RecordingSource::Upload | RecordingSource::Import => self.upload,
        };
        chrono::Duration::from_std(wait)
            .ok()
            .and_then(|wait| committed_at.checked_add_signed(wait))
            .unwrap_or(committed_at)
    }
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
    #[error("cannot open the stores: {0}")]
    Stores(#[source] stores::StoresError),
    #[error("cannot register this process in data_dir: {0}")]
    Instance(#[source] std::io::Error),
    #[error("encryption: {0}")]
    Encryption(#[source] encryption::EncryptionError),
}

/// The catalog and primary store, opened from a configuration.
pub struct Vault {
    pub catalog: Arc<dyn Catalog>,
    /// The primary store (the same as `stores.primary()`).
    pub store: Arc<BlobStore>,
    /// Every store by name and role.
    pub stores: Arc<stores::StoreSet>,
    pub metrics: Arc<Metrics>,
    pub instance: Arc<instance::Instance>,
    /// The data_dir's free-space verdict, read by every edge that opens
    /// new calls; kept fresh by [`disk::DiskWatch`].
    pub disk: Arc<disk::DiskGuard>,
    /// The master keys of encryption at rest (checked against the catalog
    /// when the vault opened).
    pub keyring: Arc<callvault_store::crypt::Keyring>,
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
        let keyring = config.encryption.load().map_err(OpenError::Encryption)?;
        encryption::check_keys(catalog.as_ref(), &keyring).await.map_err(OpenError::Encryption)?;
        let set = stores::StoreSet::open(&config.store, &config.stores).map_err(|e| match e {
            stores::StoresError::Open { name, source } if name == config.store.name => {
                OpenError::Store(source)
            }
            other => OpenError::Stores(other),
        })?;
        let instance =
            instance::Instance::acquire(&config.data_dir).map_err(OpenError::Instance)?;
        let disk = Arc::new(disk::DiskGuard::new(&config.data_dir, config.disk));
        // A first reading before anything is served; the worker keeps it fresh.
        if let Err(e) = disk.sample() {
            tracing::warn!(error = %e, "cannot read data_dir's free space");
        }
        Ok(Self {
            catalog,
            store: set.primary().clone(),
            stores: Arc::new(set),
            metrics: Arc::new(Metrics::new()),
            instance: Arc::new(instance),
            disk,
            keyring: Arc::new(keyring),
            commits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_commits.max(1))),
            config,
        })
    }

    pub fn ingestor(&self) -> Ingestor {
        Ingestor {
            catalog: self.catalog.clone(),
            store: self.store.clone(),
            stores: self.stores.clone(),
            instance: self.instance.clone(),
            metrics: self.metrics.clone(),
            owner: self.instance.id().to_owned(),
            commits: self.commits.clone(),
            max_upload_bytes: self.config.max_upload_bytes,
            settle: self.config.settle,
            keyring: self.keyring.clone(),
        }
    }

    /// The one reader of recordings' audio (decrypting encrypted ones).
    pub fn reader(&self) -> encryption::RecordingReader {
        encryption::RecordingReader {
            catalog: self.catalog.clone(),
            store: self.store.clone(),
            stores: self.stores.clone(),
            keyring: self.keyring.clone(),
        }
    }

    /// Undo interrupted uploads. Must run before anything else writes.
    pub async fn recover(&self) -> Result<recovery::RecoveryReport, recovery::RecoveryError> {
        // Every store: storage jobs write pending objects to replicas,
        // archives and fallbacks as ingest does to the primary. A store
        // that is down keeps its leftovers (their rows stay) for a later
        // run; only a primary without a fallback stops the start.
        let stores: Vec<&BlobStore> = self.stores.iter().map(|(s, _)| s.as_ref()).collect();
        let has_fallback = self.stores.fallback().is_some();
        let report = recovery::recover_in(
            self.catalog.as_ref(),
            &stores,
            &self.metrics,
            &self.instance,
            self.config.recovery_grace,
            |name| has_fallback || self.stores.role(name) != Some(stores::StoreRole::Primary),
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

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::RecordingSource;
    use chrono::{TimeZone, Utc};

    #[test]
    fn live_recordings_settle_sooner_and_final_uploads_at_once() {
        let policy = SettlePolicy::default();
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let secs = |source, is_final| (policy.settle_at(source, is_final, t) - t).num_seconds();
        assert_eq!(secs(RecordingSource::Upload, false), 120);
        assert_eq!(secs(RecordingSource::Import, false), 120);
        assert_eq!(secs(RecordingSource::Upload, true), 0);
        assert_eq!(secs(RecordingSource::Siprec, false), 10);
        assert_eq!(secs(RecordingSource::Capture, true), 10, "final is an upload's word");
        let forever =
            SettlePolicy { upload: Duration::MAX, live: Duration::MAX, ..SettlePolicy::default() };
        assert_eq!(forever.settle_at(RecordingSource::Upload, false, t), t, "no overflow");
    }
}
