//! `/readyz`'s verdict, kept fresh by a background worker.

use std::sync::Arc;
use std::time::Duration;

use callvault_vault::disk::{DiskGuard, DiskLevel};
use callvault_vault::worker::{Next, WorkError, Worker, every};

use crate::AppState;

/// What `/readyz` says, checked every few seconds: the catalog takes a
/// write (on SQLite this takes the write lock, so probes never run it
/// themselves) and the data_dir's file system has room to stage uploads
/// (the [`DiskGuard`]'s verdict, which the disk-watch worker keeps fresh:
/// under the critical watermark, not ready).
pub struct ReadinessCheck {
    state: Arc<AppState>,
    disk: Arc<DiskGuard>,
    /// The last verdict's reason when not ready: a change is logged once,
    /// not every few seconds.
    last: Option<Result<(), String>>,
}

impl ReadinessCheck {
    pub fn new(state: Arc<AppState>, disk: Arc<DiskGuard>) -> Self {
        Self { state, disk, last: None }
    }

    const EVERY: Duration = Duration::from_secs(3);
    const TIMEOUT: Duration = Duration::from_secs(10);

    async fn verdict(&self) -> Result<(), String> {
        match tokio::time::timeout(Self::TIMEOUT, self.state.catalog.check_writable()).await {
            Err(_) => return Err("the catalog did not take a write in time".into()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "the catalog cannot write");
                return Err("the catalog cannot write".into());
            }
            Ok(Ok(())) => {}
        }
        match self.disk.level() {
            DiskLevel::Critical => {
                let free = self.disk.free_bytes().unwrap_or(0);
                tracing::debug!(free, "data_dir is nearly full");
                Err(format!(
                    "data_dir has {} MiB free, under server.min_free_disk_mib",
                    free / (1024 * 1024)
                ))
            }
            DiskLevel::Unknown => Err("cannot check data_dir's free space".into()),
            DiskLevel::Ok | DiskLevel::Low => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Worker for ReadinessCheck {
    fn name(&self) -> &str {
        "readiness"
    }

    /// A check that finds the server not ready has done its job: the
    /// verdict goes to `/readyz` and the `ready` gauge, and into the log
    /// once when it changes, not as a worker error every few seconds.
    async fn work(&mut self) -> Result<Next, WorkError> {
        let verdict = self.verdict().await;
        self.state.edge_metrics.ready.set(i64::from(verdict.is_ok()));
        if self.last.as_ref() != Some(&verdict) {
            match &verdict {
                Err(why) => tracing::warn!(%why, "not ready"),
                Ok(()) if self.last.is_some() => tracing::info!("ready again"),
                Ok(()) => {}
            }
        }
        self.last = Some(verdict.clone());
        self.state.readiness.record(verdict);
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Self::EVERY).await;
    }
}
