//! `/readyz`'s verdict, kept fresh by a background worker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use callvault_vault::worker::{Next, WorkError, Worker, every};

use crate::AppState;

/// What `/readyz` says, checked every few seconds: the catalog takes a
/// write (on SQLite this takes the write lock, so probes never run it
/// themselves) and the data_dir's file system has room to stage uploads.
pub struct ReadinessCheck {
    state: Arc<AppState>,
    data_dir: PathBuf,
    min_free_bytes: u64,
    /// The last verdict's reason when not ready: a change is logged once,
    /// not every few seconds.
    last: Option<Result<(), String>>,
}

impl ReadinessCheck {
    pub fn new(state: Arc<AppState>, data_dir: PathBuf, min_free_bytes: u64) -> Self {
        Self { state, data_dir, min_free_bytes, last: None }
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
        let dir = self.data_dir.clone();
        let free = tokio::task::spawn_blocking(move || {
            rustix::fs::statvfs(&dir).map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        })
        .await
        .map_err(|e| format!("disk check failed: {e}"))?;
        match free {
            Ok(free) if free < self.min_free_bytes => {
                tracing::debug!(free, min = self.min_free_bytes, "data_dir is nearly full");
                Err(format!(
                    "data_dir has {} MiB free, under server.min_free_disk_mib",
                    free / (1024 * 1024)
                ))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::debug!(error = %e, "cannot check data_dir's free space");
                Err("cannot check data_dir's free space".into())
            }
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
