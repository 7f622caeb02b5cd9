//! The storage jobs: replication, return from the fallback store, and
//! offload/tiering, run as one catalog-driven pass.
//!
//! A pass holds the named lease `storage.jobs` (renewed as it goes), so
//! that of several `serve` processes and `callvault storage offload` runs
//! sharing one catalog exactly one works at a time; the catalog's checks
//! (the recording's row lock in [`Catalog::begin_copy_delete`], create-only
//! writes, unique copy rows) keep the data safe even without it.
//!
//! Each pass first finishes removals a crash interrupted, then walks every
//! recording, plans it ([`crate::plan`]) and carries the plan out:
//!
//! - a copy: a pending-object row first (so that a crash leaves a known
//!   object that recovery removes), the create-only write streamed from
//!   the source and checked against the source copy's size and sha256, the
//!   read-back, then the copy row and its audit entry in one transaction;
//! - a removal: the copy marked `deleting` in a transaction that checks
//!   the required verified copies remain elsewhere, the object deleted,
//!   the row removed. Reads never choose a `deleting` copy.
//!
//! **Invariant:** at no moment has a recording fewer verified copies than
//! its policy requires because of a pass (a recording that never had them
//! is reported, not made worse).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callvault_model::TenantId;
use callvault_store::{
    BlobError, Catalog, CatalogError, NewAlert, NewCopy, PendingObject, StoragePolicy, catalog_time,
};
use callvault_vault::metrics::Metrics;
use callvault_vault::stores::StoreSet;
use callvault_vault::worker::{Next, WorkError, Worker, every};
use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::config::JobsConfig;
use crate::plan::{Action, Assessment, plan};

/// The lease a pass holds.
pub const LEASE: &str = "storage.jobs";

/// A pass could not run or was cut short.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("another process holds the storage lease")]
    Busy,
    #[error("the storage lease was lost")]
    LeaseLost,
}

/// What a pass did (or, dry, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub recordings: u64,
    pub copies_made: u64,
    pub copies_failed: u64,
    pub copies_deleted: u64,
    pub deletes_failed: u64,
    /// Deletions the catalog refused because the copies were not there
    /// (yet): a copy of the same pass failed, or another job got there.
    pub deletes_refused: u64,
    /// Copies skipped because another writer's pending row names the
    /// object (recovery settles it).
    pub skipped: u64,
    pub bytes_copied: u64,
    pub under_replicated: u64,
    /// Interrupted removals finished.
    pub resumed: u64,
}

impl PassReport {
    /// Whether anything failed and the pass should be run again.
    pub fn failures(&self) -> u64 {
        self.copies_failed + self.deletes_failed + self.skipped
    }
}

/// Policies: each tenant's own, or the configured default.
#[derive(Debug, Clone)]
pub struct Policies {
    pub default: StoragePolicy,
    own: HashMap<TenantId, StoragePolicy>,
}

impl Policies {
    pub async fn load(catalog: &dyn Catalog, default: StoragePolicy) -> Result<Self, CatalogError> {
        let own = catalog.list_storage_policies().await?.into_iter().collect();
        Ok(Self { default, own })
    }

    pub fn of(&self, tenant: TenantId) -> &StoragePolicy {
        self.own.get(&tenant).unwrap_or(&self.default)
    }
}

/// Runs storage passes.
#[derive(Clone)]
pub struct Engine {
    pub catalog: Arc<dyn Catalog>,
    pub stores: Arc<StoreSet>,
    pub metrics: Arc<Metrics>,
    /// This process instance: the lease and pending rows carry it.
    pub owner: String,
    pub default_policy: StoragePolicy,
    pub config: JobsConfig,
}

/// Where a pass sends each planned action before (dry: instead of)
/// carrying it out.
pub type Observer<'a> = &'a mut (dyn FnMut(&Action) + Send);

impl Engine {
    /// Take the lease, waiting up to `wait` for another holder to finish
    /// or die.
    pub async fn acquire(&self, wait: Duration) -> Result<(), JobError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if self.catalog.try_lock(LEASE, &self.owner, self.config.lease(), Utc::now()).await? {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(JobError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(250).min(self.config.lease())).await;
        }
    }

    pub async fn release(&self) {
        if let Err(e) = self.catalog.unlock(LEASE, &self.owner).await {
            tracing::warn!(error = %e, "cannot release the storage lease");
        }
    }

    async fn renew(&self) -> Result<(), JobError> {
        if self.catalog.try_lock(LEASE, &self.owner, self.config.lease(), Utc::now()).await? {
            Ok(())
        } else {
            Err(JobError::LeaseLost)
        }
    }

    /// One pass over the recordings of `tenant` (None: all), with the lease
    /// held. `dry_run` plans and reports without changing anything.
    pub async fn pass(
        &self,
        tenant: Option<TenantId>,
        dry_run: bool,
        observe: Observer<'_>,
    ) -> Result<PassReport, JobError> {
        let now = Utc::now();
        let policies = Policies::load(self.catalog.as_ref(), self.default_policy.clone()).await?;
        let mut report = PassReport::default();
        if !dry_run {
            self.resume_deletions(&mut report).await?;
        }
        let mut after = None;
        let mut under: HashMap<TenantId, (u64, Vec<String>)> = HashMap::new();
        let mut on_fallback = 0u64;
        let mut histogram: HashMap<u32, i64> = HashMap::new();
        loop {
            if !dry_run {
                self.renew().await?;
            }
            let batch = self.catalog.storage_scan(tenant, after, self.config.batch).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.recording.id);
            let plans: Vec<(Assessment, &callvault_model::Recording)> = batch
                .iter()
                .map(|rc| {
                    (
                        plan(rc, policies.of(rc.recording.tenant_id), &self.stores, now),
                        &rc.recording,
                    )
                })
                .collect();
            for (a, _) in &plans {
                for action in &a.actions {
                    observe(action);
                }
            }
            report.recordings += plans.len() as u64;
            if dry_run {
                for (a, rec) in &plans {
                    self.tally(
                        a,
                        rec,
                        now,
                        &policies,
                        &mut under,
                        &mut histogram,
                        &mut on_fallback,
                    );
                }
                continue;
            }
            let work: Vec<Assessment> =
                plans.into_iter().map(|(a, _)| a).filter(|a| !a.actions.is_empty()).collect();
            let results: Vec<PassReport> = futures::stream::iter(work)
                .map(|a| {
                    let this = self.clone();
                    async move { this.carry_out(&a).await }
                })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
            for r in results {
                report.add(&r);
            }
            // The state after this batch's work, for alerts and metrics.
            let ids: Vec<_> = batch.iter().map(|rc| rc.recording.id).collect();
            let again = self.rescan(tenant, &ids).await?;
            for rc in &again {
                let a = plan(rc, policies.of(rc.recording.tenant_id), &self.stores, now);
                self.tally(
                    &a,
                    &rc.recording,
                    now,
                    &policies,
                    &mut under,
                    &mut histogram,
                    &mut on_fallback,
                );
            }
        }
        report.under_replicated = under.values().map(|(n, _)| *n).sum();
        if !dry_run {
            self.report_state(tenant, &under, on_fallback, &histogram, now).await;
        }
        Ok(report)
    }

    /// The rows of `ids` again (one scan from just before the first).
    async fn rescan(
        &self,
        tenant: Option<TenantId>,
        ids: &[callvault_model::RecordingId],
    ) -> Result<Vec<callvault_store::RecordingCopies>, CatalogError> {
        let Some(first) = ids.first() else { return Ok(Vec::new()) };
        // Keyset scans start after an id: start after the id just below
        // the first by scanning from the previous one's position.
        let before = callvault_model::RecordingId(uuid::Uuid::from_u128(
            first.0.as_u128().saturating_sub(1),
        ));
        let limit = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        let rows = self.catalog.storage_scan(tenant, Some(before), limit).await?;
        Ok(rows.into_iter().filter(|rc| ids.contains(&rc.recording.id)).collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn tally(
        &self,
        a: &Assessment,
        rec: &callvault_model::Recording,
        now: DateTime<Utc>,
        policies: &Policies,
        under: &mut HashMap<TenantId, (u64, Vec<String>)>,
        histogram: &mut HashMap<u32, i64>,
        on_fallback: &mut u64,
    ) {
        *histogram.entry(a.verified).or_default() += 1;
        if a.on_fallback {
            *on_fallback += 1;
        }
        if a.under_replicated() {
            let allowed = chrono::Duration::seconds(
                i64::try_from(policies.of(rec.tenant_id).alert_after_secs).unwrap_or(i64::MAX / 2),
            );
            let overdue = now.signed_duration_since(rec.created_at) > allowed;
            let entry = under.entry(rec.tenant_id).or_default();
            if overdue {
                entry.0 += 1;
                if entry.1.len() < 20 {
                    entry.1.push(rec.id.to_string());
                }
            }
        }
    }

    /// Alerts and gauges from a pass's final view.
    async fn report_state(
        &self,
        tenant: Option<TenantId>,
        under: &HashMap<TenantId, (u64, Vec<String>)>,
        on_fallback: u64,
        histogram: &HashMap<u32, i64>,
        now: DateTime<Utc>,
    ) {
        let tenants: Vec<TenantId> = match tenant {
            Some(t) => vec![t],
            None => match self.catalog.list_tenants().await {
                Ok(ts) => ts.into_iter().map(|t| t.id).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list tenants for storage alerts");
                    Vec::new()
                }
            },
        };
        for t in tenants {
            let result = match under.get(&t).filter(|(n, _)| *n > 0) {
                Some((n, examples)) => self
                    .catalog
                    .raise_alert(
                        NewAlert {
                            tenant_id: Some(t),
                            kind: "under_replicated".into(),
                            subject: "storage".into(),
                            severity: "critical".into(),
                            message: format!(
                                "{n} recordings have fewer verified copies than their storage policy requires"
                            ),
                            detail: serde_json::json!({ "recordings": n, "examples": examples }),
                        },
                        now,
                    )
                    .await
                    .map(|_| ()),
                None => self.catalog.resolve_alert(Some(t), "under_replicated", "storage", now).await.map(|_| ()),
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot update the under_replicated alert");
            }
        }
        if tenant.is_none() {
            self.metrics.storage.under_replicated.set(
                i64::try_from(under.values().map(|(n, _)| *n).sum::<u64>()).unwrap_or(i64::MAX),
            );
            self.metrics.storage.recordings_by_copies.clear();
            for (copies, n) in histogram {
                self.metrics
                    .storage
                    .recordings_by_copies
                    .get_or_create(&callvault_vault::metrics::CopiesLabels {
                        copies: copies.to_string(),
                    })
                    .set(*n);
            }
            if on_fallback == 0 {
                let subject = format!("store:{}", self.stores.primary().name());
                if let Err(e) =
                    self.catalog.resolve_alert(None, "storage_spill", &subject, now).await
                {
                    tracing::warn!(error = %e, "cannot resolve the storage_spill alert");
                }
            }
        }
    }

    /// Finish removals that a crash interrupted: the copy is already
    /// marked, so only the object and the row remain.
    async fn resume_deletions(&self, report: &mut PassReport) -> Result<(), JobError> {
        loop {
            let marked = self.catalog.deleting_copies(self.config.batch).await?;
            if marked.is_empty() {
                return Ok(());
            }
            let mut progressed = false;
            for c in marked {
                let Some(store) = self.stores.get(&c.copy.store) else {
                    tracing::warn!(store = %c.copy.store, "a copy being removed is in a store no longer configured");
                    continue;
                };
                match store.delete(&c.copy.object_key).await {
                    Ok(()) => {
                        self.catalog.finish_copy_delete(c.copy.id, "storage").await?;
                        report.resumed += 1;
                        progressed = true;
                    }
                    Err(e) => {
                        tracing::warn!(store = store.name(), error = %e, "cannot finish removing a copy; later");
                        report.deletes_failed += 1;
                    }
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// One recording's plan: its copies, then (if those worked) removals.
    async fn carry_out(&self, a: &Assessment) -> PassReport {
        let mut r = PassReport::default();
        let mut copies_ok = true;
        for action in &a.actions {
            match action {
                Action::Copy { .. } => match self.copy(action).await {
                    Ok(Some(bytes)) => {
                        r.copies_made += 1;
                        r.bytes_copied += bytes;
                        self.metrics.storage.job("copy", "done");
                        self.metrics.storage.bytes_copied.inc_by(bytes);
                    }
                    Ok(None) => {
                        r.skipped += 1;
                        copies_ok = false;
                        self.metrics.storage.job("copy", "skipped");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, %action, "storage copy failed; retried next pass");
                        r.copies_failed += 1;
                        copies_ok = false;
                        self.metrics.storage.job("copy", "failed");
                    }
                },
                Action::Delete { .. } if !copies_ok => {
                    // The catalog would refuse it anyway; say why here.
                    r.deletes_refused += 1;
                }
                Action::Delete { .. } => match self.delete(action).await {
                    Ok(true) => {
                        r.copies_deleted += 1;
                        self.metrics.storage.job("delete", "done");
                    }
                    Ok(false) => {
                        r.deletes_refused += 1;
                        self.metrics.storage.job("delete", "refused");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, %action, "storage removal failed; resumed next pass");
                        r.deletes_failed += 1;
                        self.metrics.storage.job("delete", "failed");
                    }
                },
            }
        }
        r
    }

    /// Make one copy; the bytes copied, or None when another writer's
    /// pending row names the object.
    async fn copy(&self, action: &Action) -> Result<Option<u64>, WorkError> {
        let Action::Copy { tenant, recording, object_key, from, to, size_bytes, sha256, reason } =
            action
        else {
            return Ok(None);
        };
        let (Some(src), Some(dst)) = (self.stores.get(from), self.stores.get(to)) else {
            return Err(format!("store {from} or {to} is not configured").into());
        };
        let pending = PendingObject {
            store: to.clone(),
            object_key: object_key.clone(),
            owner: self.owner.clone(),
            tenant_id: *tenant,
            created_at: catalog_time(Utc::now()),
        };
        match self.catalog.add_pending_object(&pending).await {
            Ok(()) => {}
            Err(CatalogError::Conflict { .. }) => {
                // This process's own row (an ingest whose write to the store
                // failed and whose undo failed too, the recording stored
                // elsewhere): ours to settle. Anyone else's: recovery's.
                let ours = self.catalog.pending_objects().await?.into_iter().any(|p| {
                    p.store == *to && p.object_key == *object_key && p.owner == self.owner
                });
                if !ours {
                    tracing::info!(store = %to, key = %object_key, "another writer's pending object; left to recovery");
                    return Ok(None);
                }
                dst.delete(object_key).await?;
                self.catalog.remove_pending_object(to, object_key).await?;
                self.catalog.add_pending_object(&pending).await?;
            }
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = dst.copy_from(src, object_key, *size_bytes, sha256, &self.owner).await {
            self.undo(dst, object_key).await;
            return Err(e.into());
        }
        let new = NewCopy {
            tenant_id: *tenant,
            recording_id: *recording,
            store: to.clone(),
            object_key: object_key.clone(),
            size_bytes: *size_bytes,
            sha256: sha256.clone(),
            reason: reason.as_str().into(),
            owner: self.owner.clone(),
        };
        match self.catalog.add_copy(new, "storage", Utc::now()).await {
            Ok(_) => Ok(Some(*size_bytes)),
            Err(CatalogError::NotFound { .. }) => {
                // The recording is gone (deleted meanwhile): so is our copy.
                self.undo(dst, object_key).await;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Remove an object the catalog will not record, then its pending row;
    /// if either fails, the row stays for recovery.
    async fn undo(&self, store: &callvault_store::BlobStore, key: &str) {
        match store.delete(key).await {
            Ok(()) => {
                if let Err(e) = self.catalog.remove_pending_object(store.name(), key).await {
                    tracing::warn!(error = %e, "pending object left for recovery");
                }
            }
            Err(e) => tracing::warn!(error = %e, "unrecorded object left for recovery"),
        }
    }

    /// Remove one copy in two phases; false when the catalog refused the
    /// first (too few verified copies elsewhere).
    async fn delete(&self, action: &Action) -> Result<bool, WorkError> {
        let Action::Delete { copy, object_key, store, min_remaining, keep_on, reason, .. } = action
        else {
            return Ok(false);
        };
        let Some(target) = self.stores.get(store) else {
            return Err(format!("store {store} is not configured").into());
        };
        let begun = self
            .catalog
            .begin_copy_delete(
                *copy,
                *min_remaining,
                keep_on,
                "storage",
                reason.as_str(),
                Utc::now(),
            )
            .await?;
        if !begun {
            return Ok(false);
        }
        match target.delete(object_key).await {
            Ok(()) => {}
            Err(BlobError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.catalog.finish_copy_delete(*copy, "storage").await?;
        Ok(true)
    }
}

impl PassReport {
    fn add(&mut self, o: &PassReport) {
        self.recordings += o.recordings;
        self.copies_made += o.copies_made;
        self.copies_failed += o.copies_failed;
        self.copies_deleted += o.copies_deleted;
        self.deletes_failed += o.deletes_failed;
        self.deletes_refused += o.deletes_refused;
        self.skipped += o.skipped;
        self.bytes_copied += o.bytes_copied;
        self.under_replicated += o.under_replicated;
        self.resumed += o.resumed;
    }
}

/// The storage worker of `serve`: a pass whenever the lease is free, every
/// `interval` (sooner again while a pass left failures).
pub struct StorageWorker {
    pub engine: Engine,
}

#[async_trait::async_trait]
impl Worker for StorageWorker {
    fn name(&self) -> &str {
        "storage"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        match self.engine.acquire(Duration::ZERO).await {
            Ok(()) => {}
            Err(JobError::Busy) => return Ok(Next::Idle),
            Err(e) => return Err(e.into()),
        }
        let result = self.engine.pass(None, false, &mut |_| {}).await;
        self.engine.release().await;
        let report = result?;
        if report.copies_made + report.copies_deleted + report.resumed > 0 || report.failures() > 0
        {
            tracing::info!(
                recordings = report.recordings,
                copied = report.copies_made,
                deleted = report.copies_deleted,
                failed = report.failures(),
                under_replicated = report.under_replicated,
                "storage pass"
            );
        }
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(self.engine.config.interval()).await;
    }
}
