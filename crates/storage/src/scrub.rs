//! Scrubbing: every copy on every store re-read on a schedule, at a
//! limited rate, and compared with its copy row (size and sha256 of the
//! stored bytes).
//!
//! A pass walks one store's copies in object key order; after each batch
//! its cursor and counters are saved in the catalog (`scrub_runs`), so a
//! restarted process resumes where the last one stopped, and a named lease
//! (`scrub:STORE`) keeps two `serve` processes sharing a catalog from
//! scrubbing the same store at once. A copy whose object is missing or
//! whose bytes differ is repaired from a good copy of the same recording
//! on another store (one whose row has the same size and sha256 and whose
//! bytes, read now, still match): the bytes are staged, the damaged object
//! removed, the good bytes written under the same key create-only, read
//! back and verified, and the copy marked verified. The copy row named the
//! object all along, so the store never holds an object the catalog does
//! not know. With no good copy the finding is `unrepairable` and a
//! critical alert (`scrub_unrepairable`, subject `STORE:KEY`) is raised.
//! Every finding is a row in `scrub_findings`; a healthy copy is marked
//! verified.
//!
//! `callvault fsck --verify` stays the one-shot check of the primary store;
//! this is the same check made continuous, for every store, with repair.

use std::sync::Arc;
use std::time::{Duration, Instant};

use callvault_store::{
    BlobError, BlobStore, Catalog, CatalogError, NewAlert, ScrubFinding, ScrubOutcome,
    ScrubProblem, ScrubRun, TenantCopy,
};
use callvault_vault::metrics::{Metrics, StoreLabels};
use callvault_vault::worker::{Next, WorkError, Worker, every};
use chrono::Utc;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The alert raised for a copy that could not be repaired.
pub const ALERT_UNREPAIRABLE: &str = "scrub_unrepairable";

/// `[scrub]`: schedule and rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScrubConfig {
    /// Whether `serve` scrubs in the background.
    pub enabled: bool,
    /// A new pass over a store starts this many days after the last one
    /// started.
    pub every_days: u32,
    /// Bytes read per second at most, over all of a pass's reads; 0: no
    /// limit.
    pub rate_bytes_per_sec: u64,
    /// Copies checked between two saves of the cursor.
    pub batch: u32,
    /// How often the worker looks for a due pass when none runs.
    pub check_secs: u64,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            every_days: 30,
            rate_bytes_per_sec: 20 << 20,
            batch: 100,
            check_secs: 600,
        }
    }
}

impl ScrubConfig {
    /// Checked once at load: (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.every_days == 0 {
            return Err(("every_days".into(), "must be positive".into()));
        }
        if self.batch == 0 {
            return Err(("batch".into(), "must be positive".into()));
        }
        if self.check_secs == 0 {
            return Err(("check_secs".into(), "must be positive".into()));
        }
        Ok(())
    }
}

/// A scrub could not go on (the catalog or a store failed); the pass
/// resumes from its saved cursor.
#[derive(Debug, thiserror::Error)]
pub enum ScrubError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("store {store}: {source}")]
    Store { store: String, source: BlobError },
    #[error("no store named {0:?}")]
    UnknownStore(String),
}

/// Reads at most `rate` bytes a second, on average since it started.
struct RateLimit {
    rate: u64,
    started: Instant,
    bytes: u64,
}

impl RateLimit {
    fn new(rate: u64) -> Self {
        Self { rate, started: Instant::now(), bytes: 0 }
    }

    async fn take(&mut self, n: u64) {
        self.bytes = self.bytes.saturating_add(n);
        if self.rate == 0 {
            return;
        }
        let due = Duration::from_secs_f64(self.bytes as f64 / self.rate as f64);
        let elapsed = self.started.elapsed();
        if due > elapsed {
            tokio::time::sleep(due - elapsed).await;
        }
    }
}

/// What a read of an object found.
enum Read {
    Ok { sha256: String, size: u64 },
    Missing,
}

/// The scrubber of a set of stores.
#[derive(Clone)]
pub struct Scrubber {
    pub catalog: Arc<dyn Catalog>,
    /// Every store, by name: copies are scrubbed on each, and repaired
    /// from the others.
    pub stores: Vec<Arc<BlobStore>>,
    pub metrics: Arc<Metrics>,
    pub config: ScrubConfig,
    /// This process's instance id (staging files, the lease).
    pub owner: String,
}

impl Scrubber {
    fn store(&self, name: &str) -> Option<&Arc<BlobStore>> {
        self.stores.iter().find(|s| s.name() == name)
    }

    /// The pass in progress on `store`, or a new one when `force` or when
    /// the last one started `every_days` ago or more; None when none is
    /// due.
    pub async fn due_pass(&self, store: &str, force: bool) -> Result<Option<ScrubRun>, ScrubError> {
        let now = Utc::now();
        let last = self.catalog.scrub_runs(Some(store), 1).await?.into_iter().next();
        if let Some(run) = &last
            && run.finished_at.is_none()
        {
            return Ok(last);
        }
        let due = force
            || last.as_ref().is_none_or(|r| {
                now.signed_duration_since(r.started_at).num_days()
                    >= i64::from(self.config.every_days)
            });
        if !due {
            return Ok(None);
        }
        let total = self
            .catalog
            .storage_usage()
            .await?
            .iter()
            .filter(|u| u.store == store)
            .map(|u| u.copies)
            .sum();
        let run = ScrubRun::start(store, total, now);
        self.catalog.save_scrub_run(&run).await?;
        tracing::info!(store, copies = total, "scrub pass started");
        Ok(Some(run))
    }

    /// Checks the next batch of `run`'s copies and saves its cursor and
    /// counters; true when the pass is over (then it is marked finished).
    pub async fn step(&self, run: &mut ScrubRun) -> Result<bool, ScrubError> {
        let store = self
            .store(&run.store)
            .ok_or_else(|| ScrubError::UnknownStore(run.store.clone()))?
            .clone();
        let started = Instant::now();
        let mut limit = RateLimit::new(self.config.rate_bytes_per_sec);
        let batch = self.catalog.scrub_copies(&run.store, &run.cursor, self.config.batch).await?;
        let result = async {
            for tc in &batch {
                self.check(&store, tc, run, &mut limit).await?;
                run.cursor.clone_from(&tc.copy.object_key);
            }
            Ok::<(), ScrubError>(())
        }
        .await;
        let now = Utc::now();
        run.busy_ms = run
            .busy_ms
            .saturating_add(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        run.updated_at = now;
        let done = result.is_ok() && batch.len() < self.config.batch as usize;
        if done {
            run.finished_at = Some(now);
        }
        // What was checked before an error is kept: the pass resumes after it.
        self.catalog.save_scrub_run(run).await?;
        let progress = if done || run.total_copies == 0 {
            1.0
        } else {
            (run.copies_checked as f64 / run.total_copies as f64).min(1.0)
        };
        self.metrics
            .capacity
            .scrub_progress
            .get_or_create(&StoreLabels { store: run.store.clone() })
            .set(progress);
        result?;
        if done {
            tracing::info!(
                store = %run.store,
                checked = run.copies_checked,
                damaged = run.damaged,
                missing = run.missing,
                repaired = run.repaired,
                unrepairable = run.unrepairable,
                "scrub pass finished"
            );
        }
        Ok(done)
    }

    /// A whole pass over `store` now (the CLI's `--now`, the bench); a pass
    /// in progress is finished rather than a new one started.
    pub async fn run_pass(&self, store: &str) -> Result<ScrubRun, ScrubError> {
        if self.store(store).is_none() {
            return Err(ScrubError::UnknownStore(store.to_owned()));
        }
        let mut run = self
            .due_pass(store, true)
            .await?
            .ok_or_else(|| ScrubError::UnknownStore(store.to_owned()))?;
        while !self.step(&mut run).await? {}
        Ok(run)
    }

    /// Reads `key` on `store` through the rate limit, hashing it.
    async fn read(
        &self,
        store: &BlobStore,
        key: &str,
        limit: &mut RateLimit,
    ) -> Result<Read, BlobError> {
        let mut stream = match store.get(key, None).await {
            Ok(r) => r.stream,
            Err(BlobError::NotFound { .. }) => return Ok(Read::Missing),
            Err(e) => return Err(e),
        };
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
            limit.take(chunk.len() as u64).await;
        }
        Ok(Read::Ok { sha256: hex::encode(hasher.finalize()), size })
    }

    async fn check(
        &self,
        store: &Arc<BlobStore>,
        tc: &TenantCopy,
        run: &mut ScrubRun,
        limit: &mut RateLimit,
    ) -> Result<(), ScrubError> {
        let copy = &tc.copy;
        let labels = StoreLabels { store: run.store.clone() };
        let m = &self.metrics.capacity;
        let read = self
            .read(store, &copy.object_key, limit)
            .await
            .map_err(|source| ScrubError::Store { store: run.store.clone(), source })?;
        run.copies_checked += 1;
        m.scrub_copies_checked.get_or_create(&labels).inc();
        let (problem, detail) = match read {
            Read::Ok { sha256, size } => {
                run.bytes_checked += size;
                m.scrub_bytes.get_or_create(&labels).inc_by(size);
                if size == copy.size_bytes && sha256 == copy.sha256 {
                    self.catalog.mark_copy_verified(copy.id, Utc::now()).await?;
                    return Ok(());
                }
                run.damaged += 1;
                m.scrub_damaged.get_or_create(&labels).inc();
                let detail = if size != copy.size_bytes {
                    format!("size {size} where the copy row says {}", copy.size_bytes)
                } else {
                    "sha256 differs from the copy row".to_owned()
                };
                (ScrubProblem::Damaged, detail)
            }
            Read::Missing => {
                run.missing += 1;
                m.scrub_missing.get_or_create(&labels).inc();
                (ScrubProblem::Missing, "no object under the copy's key".to_owned())
            }
        };
        tracing::warn!(
            store = %run.store,
            key = %copy.object_key,
            problem = problem.as_str(),
            %detail,
            "scrub found a bad copy"
        );
        let repaired = self.repair(store, tc, problem, limit).await;
        let now = Utc::now();
        let (outcome, detail) = match repaired {
            Ok(from) => {
                run.repaired += 1;
                m.scrub_repaired.get_or_create(&labels).inc();
                tracing::info!(store = %run.store, key = %copy.object_key, from = %from, "copy repaired");
                (ScrubOutcome::Repaired, format!("{detail}; repaired from store {from}"))
            }
            Err(why) => {
                run.unrepairable += 1;
                m.scrub_unrepairable.get_or_create(&labels).inc();
                let detail = format!("{detail}; not repaired: {why}");
                tracing::error!(store = %run.store, key = %copy.object_key, %detail, "copy not repairable");
                self.catalog
                    .raise_alert(
                        NewAlert {
                            tenant_id: None,
                            kind: ALERT_UNREPAIRABLE.into(),
                            subject: format!("{}:{}", run.store, copy.object_key),
                            severity: "critical".into(),
                            message: format!(
                                "copy of recording {} on store {} is {} and could not be repaired",
                                copy.recording_id,
                                run.store,
                                problem.as_str()
                            ),
                            detail: serde_json::json!({
                                "tenant_id": tc.tenant_id.0,
                                "recording_id": copy.recording_id.0,
                                "copy_id": copy.id.0,
                                "store": run.store,
                                "object_key": copy.object_key,
                                "why": detail,
                            }),
                        },
                        now,
                    )
                    .await?;
                (ScrubOutcome::Unrepairable, detail)
            }
        };
        self.catalog
            .add_scrub_finding(&ScrubFinding {
                run_id: run.id,
                copy_id: copy.id,
                tenant_id: tc.tenant_id,
                recording_id: copy.recording_id,
                store: run.store.clone(),
                object_key: copy.object_key.clone(),
                problem,
                outcome,
                detail,
                found_at: now,
            })
            .await?;
        Ok(())
    }

    /// Rewrites a bad copy from a good one; the name of the store it came
    /// from, or why it could not be done.
    async fn repair(
        &self,
        target: &Arc<BlobStore>,
        tc: &TenantCopy,
        problem: ScrubProblem,
        limit: &mut RateLimit,
    ) -> Result<String, String> {
        let copy = &tc.copy;
        let others = self
            .catalog
            .recording_copies(tc.tenant_id, copy.recording_id)
            .await
            .map_err(|e| format!("catalog: {e}"))?;
        let mut tried = Vec::new();
        // A copy being deleted may be gone already; the others' rows must
        // describe the same bytes.
        for good in others.iter().filter(|c| c.deleting_at.is_none()).map(|c| &c.copy).filter(|c| {
            c.id != copy.id && c.sha256 == copy.sha256 && c.size_bytes == copy.size_bytes
        }) {
            let Some(source) = self.store(&good.store) else {
                tried.push(format!("{}: not configured", good.store));
                continue;
            };
            match self.restore(source, &good.object_key, target, tc, problem, limit).await {
                Ok(()) => return Ok(good.store.clone()),
                Err(why) => tried.push(format!("{}: {why}", good.store)),
            }
        }
        if tried.is_empty() {
            Err("no other copy of the recording".into())
        } else {
            Err(tried.join("; "))
        }
    }

    /// Stages `source_key` from `source`, checks it against the copy row,
    /// and writes it under the copy's key on `target`.
    async fn restore(
        &self,
        source: &BlobStore,
        source_key: &str,
        target: &Arc<BlobStore>,
        tc: &TenantCopy,
        problem: ScrubProblem,
        limit: &mut RateLimit,
    ) -> Result<(), String> {
        let copy = &tc.copy;
        let mut staging = target.stage(&self.owner).map_err(|e| format!("staging: {e}"))?;
        let mut stream = match source.get(source_key, None).await {
            Ok(r) => r.stream,
            Err(e) => return Err(format!("read: {e}")),
        };
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| format!("read: {e}"))?;
            limit.take(chunk.len() as u64).await;
            staging = tokio::task::spawn_blocking(move || staging.write(&chunk).map(|()| staging))
                .await
                .map_err(|e| format!("staging: {e}"))?
                .map_err(|e| format!("staging: {e}"))?;
        }
        let staged = tokio::task::spawn_blocking(move || staging.finish())
            .await
            .map_err(|e| format!("staging: {e}"))?
            .map_err(|e| format!("staging: {e}"))?;
        if staged.size != copy.size_bytes || staged.sha256 != copy.sha256 {
            return Err("its bytes do not match its row either".into());
        }
        if problem == ScrubProblem::Damaged {
            target.delete(&copy.object_key).await.map_err(|e| format!("delete: {e}"))?;
        }
        // Create-only, then read back and verified by the store.
        target.commit(staged, &copy.object_key).await.map_err(|e| format!("write: {e}"))?;
        self.catalog
            .mark_copy_verified(copy.id, Utc::now())
            .await
            .map_err(|e| format!("catalog: {e}"))?;
        Ok(())
    }
}

/// The background scrubber: for each store in turn, a batch of the pass in
/// progress (or of a new one when due), under the store's lease.
pub struct ScrubWorker {
    pub scrubber: Scrubber,
}

impl ScrubWorker {
    const LEASE: Duration = Duration::from_secs(600);
}

#[async_trait::async_trait]
impl Worker for ScrubWorker {
    fn name(&self) -> &str {
        "scrub"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let s = &self.scrubber;
        let mut busy = false;
        for store in s.stores.clone() {
            let name = store.name().to_owned();
            let lease = format!("scrub:{name}");
            if !s.catalog.try_lock(&lease, &s.owner, Self::LEASE, Utc::now()).await? {
                continue;
            }
            let Some(mut run) = s.due_pass(&name, false).await? else {
                s.catalog.unlock(&lease, &s.owner).await?;
                continue;
            };
            let done = s.step(&mut run).await?;
            if done {
                s.catalog.unlock(&lease, &s.owner).await?;
            }
            busy |= !done;
        }
        Ok(if busy { Next::Busy } else { Next::Idle })
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(self.scrubber.config.check_secs.max(1))).await;
    }
}
