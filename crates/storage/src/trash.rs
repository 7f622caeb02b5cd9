//! The trash's purge: after the grace period, every copy's object is
//! deleted from its store and then the rows go, in steps recorded in the
//! catalog so that a crash anywhere resumes:
//!
//! 1. [`Catalog::begin_purge`]: holds re-checked, the recording marked as
//!    purging (no restore from here), an audit entry naming every copy;
//! 2. per copy: the object deleted from its store (a missing object is no
//!    error), then [`Catalog::remove_purged_copy`] forgets the copy row;
//! 3. [`Catalog::finish_purge`]: the recording's rows (and its trashed
//!    conversation's, with its last recording) removed, audited.
//!
//! A crash between an object's deletion and its row's removal leaves a row
//! of a *purging* recording whose object is gone; the next purge (which
//! takes purging recordings first, whatever their age) deletes again and
//! removes the row. No object is ever deleted before its row is marked.

use std::sync::Arc;
use std::time::Duration;

use callvault_model::{RecordingId, TenantId};
use callvault_store::{BlobError, BlobStore, Catalog, CatalogError, PurgeStart};
use callvault_vault::Vault;
use callvault_vault::metrics::{Metrics, TenantLabels};
use callvault_vault::stores::StoreSet;
use callvault_vault::worker::{Next, WorkError, Worker, every};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::retention::{RetentionConfig, tenant_names};

/// The actor of the purge in the audit log.
pub const PURGE_ACTOR: &str = "system:purge";

/// Errors of a purge.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("store {store:?}: {source}")]
    Store { store: String, source: BlobError },
}

/// The stores a purge deletes from, by the name a copy row carries.
///
/// This is the one place that maps a copy's store name to a store.
pub trait StoreLookup: Send + Sync {
    /// The store named `name`, if this process has it configured.
    fn store(&self, name: &str) -> Option<Arc<BlobStore>>;
}

/// The vault's stores, by name ([`StoreSet`]).
pub struct VaultStores(pub Arc<StoreSet>);

impl VaultStores {
    /// The stores of `vault`.
    pub fn of(vault: &Vault) -> Self {
        Self(vault.stores.clone())
    }
}

impl StoreLookup for VaultStores {
    fn store(&self, name: &str) -> Option<Arc<BlobStore>> {
        self.0.get(name).cloned()
    }
}

/// Whether a recording trashed at `trashed_at` may be purged at `now`.
pub fn grace_over(trashed_at: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> bool {
    trashed_before(now, grace).is_some_and(|cutoff| trashed_at < cutoff)
}

/// Recordings trashed before this instant are due at `now`.
pub fn trashed_before(now: DateTime<Utc>, grace: Duration) -> Option<DateTime<Utc>> {
    let grace = chrono::Duration::from_std(grace).ok()?;
    // A grace of zero still leaves what is trashed in this very instant.
    now.checked_sub_signed(grace)
        .map(|t| if grace.is_zero() { t + chrono::Duration::microseconds(1) } else { t })
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Recordings whose objects and rows were removed.
    pub purged: u64,
    /// Bytes of their copies' objects.
    pub bytes: u64,
    /// Objects deleted (one per copy).
    pub objects: u64,
    /// Left in the trash: a hold covers them.
    pub held: u64,
    /// Conversations removed with no recording of their own left.
    pub conversations: u64,
    /// Recordings whose copies are in a store this process does not have
    /// (left for a process that has it).
    pub unreachable: u64,
}

/// Purge, at `now`, what was trashed more than `grace` ago (and every purge
/// a crash left unfinished), at most `limit` recordings; `tenant` Some
/// limits it to one tenant. `grace` zero empties the trash.
pub async fn purge(
    catalog: &dyn Catalog,
    stores: &dyn StoreLookup,
    tenant: Option<TenantId>,
    now: DateTime<Utc>,
    grace: Duration,
    limit: u32,
) -> Result<PurgeReport, PurgeError> {
    let mut report = PurgeReport::default();
    let Some(before) = trashed_before(now, grace) else { return Ok(report) };
    for id in catalog.purge_due(tenant, before, limit).await? {
        purge_one(catalog, stores, id, now, &mut report).await?;
    }
    if tenant.is_none() {
        report.conversations +=
            catalog.purge_empty_conversations(before, PURGE_ACTOR, limit).await?;
    }
    Ok(report)
}

async fn purge_one(
    catalog: &dyn Catalog,
    stores: &dyn StoreLookup,
    id: RecordingId,
    now: DateTime<Utc>,
    report: &mut PurgeReport,
) -> Result<(), PurgeError> {
    let (tenant_id, copies) = match catalog.begin_purge(id, now).await? {
        PurgeStart::Purge { tenant_id, copies } => (tenant_id, copies),
        PurgeStart::Held => {
            report.held += 1;
            return Ok(());
        }
        PurgeStart::NotTrashed => return Ok(()),
    };
    // Every store first: a copy in a store this process lacks keeps the
    // recording for a process that has it.
    if copies.iter().any(|c| stores.store(&c.store).is_none()) {
        tracing::warn!(recording = %id, "purge waits: a copy is in a store not configured here");
        report.unreachable += 1;
        return Ok(());
    }
    for copy in &copies {
        let Some(store) = stores.store(&copy.store) else { continue };
        store
            .delete(&copy.object_key)
            .await
            .map_err(|source| PurgeError::Store { store: copy.store.clone(), source })?;
        catalog.remove_purged_copy(copy.id).await?;
        report.objects += 1;
        report.bytes += copy.size_bytes;
    }
    purge_derived(stores, tenant_id, id).await?;
    if catalog.finish_purge(id, PURGE_ACTOR, now).await? {
        report.purged += 1;
    }
    Ok(())
}

/// The media made from a recording and cached in the primary store (MP3
/// and other formats, waveform peaks: delivery's `MediaService`, under
/// `derived/{tenant}/{recording}/`) go with it: they are its audio too.
async fn purge_derived(
    stores: &dyn StoreLookup,
    tenant: TenantId,
    id: RecordingId,
) -> Result<(), PurgeError> {
    let Some(primary) = stores.store(callvault_vault::stores::PRIMARY) else { return Ok(()) };
    let dir = format!("derived/{tenant}/{id}/");
    let err = |source| PurgeError::Store { store: callvault_vault::stores::PRIMARY.into(), source };
    let mut keys = Vec::new();
    let mut listing = primary.list(dir.trim_end_matches('/'));
    while let Some(item) = futures::StreamExt::next(&mut listing).await {
        let (key, _) = item.map_err(err)?;
        if key.starts_with(&dir) {
            keys.push(key);
        }
    }
    drop(listing);
    for key in keys {
        primary.delete(&key).await.map_err(err)?;
    }
    Ok(())
}

/// The purge as a background job of `serve`.
pub struct PurgeWorker {
    pub catalog: Arc<dyn Catalog>,
    pub stores: Arc<dyn StoreLookup>,
    pub config: RetentionConfig,
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for PurgeWorker {
    fn name(&self) -> &str {
        "trash-purge"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let limit = self.config.batch;
        let report = purge(
            self.catalog.as_ref(),
            self.stores.as_ref(),
            None,
            Utc::now(),
            self.config.grace(),
            limit,
        )
        .await?;
        self.metrics.trash_purged.inc_by(report.purged);
        if report.purged > 0 {
            tracing::info!(purged = report.purged, bytes = report.bytes, "trash purged");
        }
        // A full batch may have more behind it.
        let more = report.purged + report.held + report.unreachable >= u64::from(limit);
        Ok(if more && report.purged > 0 { Next::Busy } else { Next::Idle })
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(self.config.purge_interval_secs)).await;
    }
}

/// Feeds `/metrics` with the trash's size and the holds in force, per
/// tenant.
pub struct TrashGauges {
    pub catalog: Arc<dyn Catalog>,
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for TrashGauges {
    fn name(&self) -> &str {
        "trash-gauges"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        refresh_gauges(self.catalog.as_ref(), &self.metrics).await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(60)).await;
    }
}

/// Set the trash and hold gauges from the catalog.
pub async fn refresh_gauges(catalog: &dyn Catalog, metrics: &Metrics) -> Result<(), CatalogError> {
    let names = tenant_names(catalog).await?;
    for s in catalog.trash_stats().await? {
        let labels = TenantLabels {
            tenant: names.get(&s.tenant_id).cloned().unwrap_or(s.tenant_id.to_string()),
        };
        let g = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        metrics.trash_recordings.get_or_create(&labels).set(g(s.trashed_recordings));
        metrics.trash_bytes.get_or_create(&labels).set(g(s.trashed_bytes));
        metrics.legal_holds.get_or_create(&labels).set(g(s.holds_in_force));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_grace_period_is_counted_from_the_trashing() {
        let trashed = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let week = Duration::from_secs(7 * 86_400);
        assert!(!grace_over(trashed, trashed, week));
        assert!(!grace_over(trashed, trashed + chrono::Duration::days(7), week));
        assert!(grace_over(
            trashed,
            trashed + chrono::Duration::days(7) + chrono::Duration::seconds(1),
            week
        ));
        // Zero grace: due at once.
        assert!(grace_over(trashed, trashed, Duration::ZERO));
    }
}
