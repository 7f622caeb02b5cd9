//! Free space on the local `data_dir` (staging, spools, the SQLite
//! catalog): two watermarks and the one shared verdict the edges read.
//!
//! Below the low watermark an alert is raised (`disk_low`, system-wide).
//! Below the critical one new calls are shed: the SRS answers new SIPREC
//! sessions 503 with Retry-After (so the SRC fails over to another
//! recorder) and live capture opens no new calls, while the calls already
//! being recorded go on; `/readyz` says not ready. Back above, everything
//! returns to normal and the alerts are resolved.
//!
//! [`DiskGuard`] holds the verdict (an atomic, read on every new call);
//! [`DiskWatch`] is the worker that samples the file system every few
//! seconds and raises and resolves the alerts. Nothing else runs statvfs on
//! the data_dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use callvault_store::{Catalog, NewAlert};
use chrono::Utc;

use crate::metrics::Metrics;
use crate::worker::{Next, WorkError, Worker, every};

/// The alert raised below the low watermark (its severity turns critical
/// below the critical one).
pub const ALERT_DISK_LOW: &str = "disk_low";
/// The alert raised when new calls were refused for want of space.
pub const ALERT_CALLS_REFUSED: &str = "calls_refused";
/// The subject of both alerts.
pub const SUBJECT_DATA_DIR: &str = "data_dir";

/// Where the data_dir's free space stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiskLevel {
    /// Not sampled yet, or the file system could not be read: nothing is
    /// shed on a guess.
    Unknown = 0,
    /// Above the low watermark.
    Ok = 1,
    /// Under the low watermark: alert.
    Low = 2,
    /// Under the critical watermark: new calls are shed.
    Critical = 3,
}

impl DiskLevel {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Ok,
            2 => Self::Low,
            3 => Self::Critical,
            _ => Self::Unknown,
        }
    }

    /// `ok`, `low`, `critical`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Ok => "ok",
            Self::Low => "low",
            Self::Critical => "critical",
        }
    }
}

/// The two free-space watermarks, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskWatermarks {
    /// Under this: an alert.
    pub low_bytes: u64,
    /// Under this: new calls are shed and `/readyz` says not ready.
    pub critical_bytes: u64,
}

impl DiskWatermarks {
    /// The level of `free` bytes.
    pub fn classify(&self, free: u64) -> DiskLevel {
        if free < self.critical_bytes {
            DiskLevel::Critical
        } else if free < self.low_bytes {
            DiskLevel::Low
        } else {
            DiskLevel::Ok
        }
    }
}

impl Default for DiskWatermarks {
    fn default() -> Self {
        Self { low_bytes: 1024 << 20, critical_bytes: 64 << 20 }
    }
}

/// The data_dir's free-space verdict, shared by every edge of the process.
#[derive(Debug)]
pub struct DiskGuard {
    path: PathBuf,
    watermarks: DiskWatermarks,
    level: AtomicU8,
    free: AtomicU64,
    refused: AtomicU64,
}

impl DiskGuard {
    /// A guard of `path`'s file system, not sampled yet.
    pub fn new(path: impl Into<PathBuf>, watermarks: DiskWatermarks) -> Self {
        Self {
            path: path.into(),
            watermarks,
            level: AtomicU8::new(DiskLevel::Unknown as u8),
            free: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The watched directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn watermarks(&self) -> DiskWatermarks {
        self.watermarks
    }

    /// Reads the file system's free space (blocking: a statvfs) and updates
    /// the verdict. On an error the verdict turns `Unknown`.
    pub fn sample(&self) -> std::io::Result<DiskLevel> {
        match free_bytes(&self.path) {
            Ok(free) => Ok(self.set_free(free)),
            Err(e) => {
                self.level.store(DiskLevel::Unknown as u8, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Sets the verdict from a reading of `free` bytes (what `sample` does
    /// after its statvfs).
    pub fn set_free(&self, free: u64) -> DiskLevel {
        let level = self.watermarks.classify(free);
        self.free.store(free, Ordering::Release);
        self.level.store(level as u8, Ordering::Release);
        level
    }

    pub fn level(&self) -> DiskLevel {
        DiskLevel::from_u8(self.level.load(Ordering::Acquire))
    }

    /// Free bytes at the last successful sample.
    pub fn free_bytes(&self) -> Option<u64> {
        (self.level() != DiskLevel::Unknown).then(|| self.free.load(Ordering::Acquire))
    }

    /// Whether a new call may be opened now. Calls already being recorded
    /// never ask.
    pub fn accepting_new_calls(&self) -> bool {
        self.level() != DiskLevel::Critical
    }

    /// Counts a new call refused for want of space (any edge).
    pub fn count_refused_call(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// New calls refused for want of space since the process started.
    pub fn refused_calls(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Bytes an unprivileged process may still write on `path`'s file system.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let s = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

/// Total bytes of `path`'s file system.
pub fn total_bytes(path: &Path) -> std::io::Result<u64> {
    let s = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    Ok(s.f_blocks.saturating_mul(s.f_frsize))
}

/// The worker that samples the data_dir every `every` and raises or
/// resolves its alerts on each change.
pub struct DiskWatch {
    pub guard: Arc<DiskGuard>,
    pub catalog: Arc<dyn Catalog>,
    pub metrics: Arc<Metrics>,
    pub every: Duration,
    /// The level whose alert state is in the catalog (None: not yet
    /// written, or the last write failed).
    alerted: Option<DiskLevel>,
    /// Refused calls already reported in an alert.
    refused_reported: u64,
}

impl DiskWatch {
    pub fn new(
        guard: Arc<DiskGuard>,
        catalog: Arc<dyn Catalog>,
        metrics: Arc<Metrics>,
        every: Duration,
    ) -> Self {
        Self { guard, catalog, metrics, every, alerted: None, refused_reported: 0 }
    }

    async fn alert(&mut self, level: DiskLevel) -> Result<(), WorkError> {
        let now = Utc::now();
        let free_mib = self.guard.free_bytes().unwrap_or(0) >> 20;
        let marks = self.guard.watermarks();
        if self.alerted != Some(level) {
            match level {
                DiskLevel::Low | DiskLevel::Critical => {
                    let (severity, message) = if level == DiskLevel::Critical {
                        (
                            "critical",
                            format!(
                                "data_dir has {free_mib} MiB free, under the critical watermark \
                                 (server.min_free_disk_mib): new calls are refused"
                            ),
                        )
                    } else {
                        (
                            "warning",
                            format!(
                                "data_dir has {free_mib} MiB free, under the low watermark \
                                 (server.disk_low_mib)"
                            ),
                        )
                    };
                    self.catalog
                        .raise_alert(
                            NewAlert {
                                tenant_id: None,
                                kind: ALERT_DISK_LOW.into(),
                                subject: SUBJECT_DATA_DIR.into(),
                                severity: severity.into(),
                                message,
                                detail: serde_json::json!({
                                    "free_bytes": self.guard.free_bytes(),
                                    "low_watermark_bytes": marks.low_bytes,
                                    "critical_watermark_bytes": marks.critical_bytes,
                                    "level": level.as_str(),
                                }),
                            },
                            now,
                        )
                        .await?;
                }
                DiskLevel::Ok => {
                    self.catalog.resolve_alert(None, ALERT_DISK_LOW, SUBJECT_DATA_DIR, now).await?;
                }
                DiskLevel::Unknown => {}
            }
            if level != DiskLevel::Critical {
                self.catalog
                    .resolve_alert(None, ALERT_CALLS_REFUSED, SUBJECT_DATA_DIR, now)
                    .await?;
            }
            self.alerted = Some(level);
        }
        let refused = self.guard.refused_calls();
        if refused > self.refused_reported {
            self.catalog
                .raise_alert(
                    NewAlert {
                        tenant_id: None,
                        kind: ALERT_CALLS_REFUSED.into(),
                        subject: SUBJECT_DATA_DIR.into(),
                        severity: "critical".into(),
                        message: format!(
                            "{} new calls refused since start-up: data_dir under its critical \
                             watermark",
                            refused
                        ),
                        detail: serde_json::json!({ "refused_calls": refused }),
                    },
                    now,
                )
                .await?;
            self.refused_reported = refused;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Worker for DiskWatch {
    fn name(&self) -> &str {
        "disk-watch"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let guard = self.guard.clone();
        let before = guard.level();
        let level = tokio::task::spawn_blocking(move || guard.sample()).await?;
        let level = match level {
            Ok(level) => level,
            Err(e) => {
                self.metrics.capacity.data_dir_disk_level.set(0);
                return Err(format!("cannot read data_dir's free space: {e}").into());
            }
        };
        let free = self.guard.free_bytes().unwrap_or(0);
        self.metrics.capacity.data_dir_free_bytes.set(i64::try_from(free).unwrap_or(i64::MAX));
        self.metrics.capacity.data_dir_disk_level.set(level as i64);
        if level != before {
            match level {
                DiskLevel::Critical => tracing::error!(
                    free_mib = free >> 20,
                    "data_dir under its critical watermark: new calls are refused"
                ),
                DiskLevel::Low => {
                    tracing::warn!(free_mib = free >> 20, "data_dir under its low watermark")
                }
                DiskLevel::Ok if before != DiskLevel::Unknown => {
                    tracing::info!(free_mib = free >> 20, "data_dir has room again")
                }
                _ => {}
            }
        }
        // The alert is written on each change; a failed write (a full disk
        // may hold the catalog too) is tried again at the next sample.
        if let Err(e) = self.alert(level).await {
            tracing::debug!(error = %e, "disk alert not written; tried again");
        }
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(self.every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_watermarks() {
        let marks = DiskWatermarks { low_bytes: 100, critical_bytes: 10 };
        assert_eq!(marks.classify(1000), DiskLevel::Ok);
        assert_eq!(marks.classify(100), DiskLevel::Ok);
        assert_eq!(marks.classify(99), DiskLevel::Low);
        assert_eq!(marks.classify(10), DiskLevel::Low);
        assert_eq!(marks.classify(9), DiskLevel::Critical);
        assert_eq!(marks.classify(0), DiskLevel::Critical);
    }

    #[test]
    fn only_a_critical_disk_sheds_new_calls() {
        let guard = DiskGuard::new("/", DiskWatermarks { low_bytes: 100, critical_bytes: 10 });
        assert!(guard.accepting_new_calls(), "unknown sheds nothing");
        assert_eq!(guard.free_bytes(), None);
        assert_eq!(guard.set_free(50), DiskLevel::Low);
        assert!(guard.accepting_new_calls());
        assert_eq!(guard.set_free(5), DiskLevel::Critical);
        assert!(!guard.accepting_new_calls());
        assert_eq!(guard.free_bytes(), Some(5));
        assert_eq!(guard.set_free(500), DiskLevel::Ok);
        assert!(guard.accepting_new_calls());
    }

    #[test]
    fn a_real_sample_reads_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let guard = DiskGuard::new(dir.path(), DiskWatermarks { low_bytes: 0, critical_bytes: 0 });
        assert_eq!(guard.sample().unwrap(), DiskLevel::Ok);
        assert!(guard.free_bytes().unwrap() > 0);
        let gone = DiskGuard::new(dir.path().join("missing"), DiskWatermarks::default());
        assert!(gone.sample().is_err());
        assert_eq!(gone.level(), DiskLevel::Unknown);
    }
}
