//! Consistency between the catalog and the store, after a crash and on
//! demand.
//!
//! - [`recover`] runs at start-up before the API serves: it removes staging
//!   files and every object whose pending row says its upload was never
//!   acknowledged, so no object is left without a row.
//! - [`scan_orphans`] lists the store and reports objects that no row knows
//!   (neither a copy nor a pending object): a restored catalog, a manual
//!   copy, a bug. They are reported, never deleted automatically.
//! - [`check_copies`] walks the copy rows and checks each object exists with
//!   the right size, or (with `verify`) the right sha256. A copy row
//!   describes the stored bytes (the ciphertext of an encrypted recording),
//!   so no key is needed to find a damaged copy.

use callvault_store::{BlobError, BlobStore, Catalog, CatalogError};
use chrono::Utc;
use futures::StreamExt;

use crate::instance::Instance;
use crate::metrics::Metrics;

/// Where recording objects live in a store; anything else (staging) is not
/// an object of ours.
pub const OBJECT_PREFIX: &str = "tenants";

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] BlobError),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    pub staging_files_removed: usize,
    pub pending_objects_removed: usize,
}

/// Undo what interrupted uploads of dead processes left: their staging
/// files and pending objects. What a live process (a server running next to
/// `callvault fsck`) is writing is left alone; owners from other machines
/// count as dead after `grace`. Idempotent: a crash during recovery leaves
/// rows the next run removes.
pub async fn recover(
    catalog: &dyn Catalog,
    store: &BlobStore,
    metrics: &Metrics,
    instance: &Instance,
    grace: std::time::Duration,
) -> Result<RecoveryReport, RecoveryError> {
    recover_in(catalog, &[store], metrics, instance, grace, |_| false).await
}

/// [`recover`] over several stores at once (the dead owners' lock files
/// are reaped only after every store was seen to). A store error of a
/// store `postpone(name)` names is logged and its leftovers kept for a
/// later run (their rows stay); any other error ends the run.
pub async fn recover_in(
    catalog: &dyn Catalog,
    stores: &[&BlobStore],
    metrics: &Metrics,
    instance: &Instance,
    grace: std::time::Duration,
    postpone: impl Fn(&str) -> bool,
) -> Result<RecoveryReport, RecoveryError> {
    let mut report = RecoveryReport::default();
    let mut postponed = false;
    for store in stores {
        report.staging_files_removed +=
            store.clean_staging(|owner, at| instance.is_abandoned(owner, at, grace))?;
    }
    for pending in catalog.pending_objects().await? {
        let Some(store) = stores.iter().find(|s| s.name() == pending.store) else { continue };
        if !instance.is_abandoned(&pending.owner, pending.created_at.into(), grace) {
            continue;
        }
        // Object first, row second: the row is what tells a later run to
        // retry if this one dies in between.
        if let Err(e) = store.delete(&pending.object_key).await {
            if postpone(store.name()) {
                tracing::warn!(store = store.name(), error = %e, "recovery of a store postponed");
                postponed = true;
                continue;
            }
            return Err(e.into());
        }
        catalog.remove_pending_object(&pending.store, &pending.object_key).await?;
        report.pending_objects_removed += 1;
        metrics.recovered_pending_objects.inc();
        tracing::warn!(tenant = %pending.tenant_id, key = %pending.object_key, "removed an unacknowledged upload");
    }
    // A dead owner's lock file is the proof that what it left may go: keep
    // them all while some of it could not be removed.
    if !postponed {
        instance.reap_dead();
    }
    Ok(report)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OrphanReport {
    pub objects_scanned: u64,
    pub orphans: Vec<String>,
}

/// Objects in the store that the catalog does not know.
pub async fn scan_orphans(
    catalog: &dyn Catalog,
    store: &BlobStore,
) -> Result<OrphanReport, RecoveryError> {
    let mut report = OrphanReport::default();
    let mut listing = store.list(OBJECT_PREFIX);
    let mut batch = Vec::with_capacity(500);
    loop {
        let next = listing.next().await;
        if let Some(item) = &next {
            let (key, _) = item.as_ref().map_err(|e| BlobError::Store(e.to_string()))?;
            batch.push(key.clone());
            report.objects_scanned += 1;
        }
        if batch.len() >= 500 || (next.is_none() && !batch.is_empty()) {
            let known = catalog.known_object_keys(store.name(), &batch).await?;
            report.orphans.extend(batch.drain(..).filter(|k| !known.contains(k)));
        }
        if next.is_none() {
            break;
        }
    }
    Ok(report)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub copies_checked: u64,
    pub missing: Vec<String>,
    pub damaged: Vec<String>,
}

/// Check every copy row in `store` against the object it names.
pub async fn check_copies(
    catalog: &dyn Catalog,
    store: &BlobStore,
    verify: bool,
) -> Result<CopyReport, RecoveryError> {
    let mut report = CopyReport::default();
    let mut after: Option<String> = None;
    loop {
        let page = catalog.list_copies(store.name(), after.as_deref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.object_key.clone());
        for copy in page {
            report.copies_checked += 1;
            if verify {
                match store.verify(&copy.object_key, &copy.sha256, copy.size_bytes).await {
                    Ok(()) => catalog.mark_copy_verified(copy.id, Utc::now()).await?,
                    Err(BlobError::NotFound { .. }) => report.missing.push(copy.object_key),
                    Err(BlobError::Verification { .. }) => report.damaged.push(copy.object_key),
                    Err(e) => return Err(e.into()),
                }
            } else {
                match store.size(&copy.object_key).await? {
                    None => report.missing.push(copy.object_key),
                    Some(size) if size != copy.size_bytes => report.damaged.push(copy.object_key),
                    Some(_) => {}
                }
            }
        }
    }
    Ok(report)
}
