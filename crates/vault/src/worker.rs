//! Background jobs, all run the same way.
//!
//! A job is a [`Worker`]: `work()` does one bounded unit and says whether
//! more is waiting ([`Next::Busy`]), nothing is ([`Next::Idle`], then
//! `wait_for_work()` decides when to look again) or the job is over
//! ([`Next::Done`]). [`Workers::spawn`] drives it on its own task until the
//! process's stop signal; every worker reports the same figures (runs by
//! outcome, last success, busy time; `callvault_worker_*` in `/metrics`)
//! and is listed in one place, [`Workers::list`] (`GET /v1/workers`).
//!
//! A run is never cut short by the stop signal: jobs keep their state in
//! the catalog and are idempotent, but a run that finishes is cheaper to
//! reason about than one dropped halfway. Stopping waits for the current
//! run, then for nothing else.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::{Metrics, WorkerLabels, WorkerOutcomeLabels};

/// What a worker's run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// More work is waiting: run again at once.
    Busy,
    /// Nothing more to do now: wait for [`Worker::wait_for_work`].
    Idle,
    /// The job is over for this process (a one-shot scan).
    Done,
}

/// The error of one run: logged and counted; the worker runs again after
/// its wait.
pub type WorkError = Box<dyn std::error::Error + Send + Sync>;

/// One background job.
#[async_trait::async_trait]
pub trait Worker: Send + 'static {
    /// A stable name for logs, metrics and the listing (`orphan-scan`).
    fn name(&self) -> &str;
    /// One bounded unit of work.
    async fn work(&mut self) -> Result<Next, WorkError>;
    /// Resolves when there may be work again (after an idle or failed run).
    async fn wait_for_work(&mut self);
}

/// A worker's state as the listing shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    Busy,
    Idle,
    Done,
    Stopped,
}

impl WorkerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Idle => "idle",
            Self::Done => "done",
            Self::Stopped => "stopped",
        }
    }
}

/// What one worker has done since the process started.
#[derive(Debug, Clone)]
pub struct WorkerInfo {
    pub name: String,
    pub state: WorkerState,
    pub runs: u64,
    pub errors: u64,
    pub busy: Duration,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The process's background workers.
pub struct Workers {
    metrics: Arc<Metrics>,
    stop: watch::Receiver<bool>,
    infos: Mutex<Vec<Arc<Mutex<WorkerInfo>>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Workers {
    /// Workers that stop when `stop` turns true.
    pub fn new(metrics: Arc<Metrics>, stop: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(Self {
            metrics,
            stop,
            infos: Mutex::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// Start `worker` on its own task.
    pub fn spawn(&self, worker: impl Worker) {
        let info = Arc::new(Mutex::new(WorkerInfo {
            name: worker.name().to_owned(),
            state: WorkerState::Idle,
            runs: 0,
            errors: 0,
            busy: Duration::ZERO,
            last_success: None,
            last_error: None,
            last_error_at: None,
        }));
        lock(&self.infos).push(info.clone());
        let task = tokio::spawn(drive(worker, info, self.metrics.clone(), self.stop.clone()));
        lock(&self.tasks).push(task);
    }

    /// Every worker, in the order they were started.
    pub fn list(&self) -> Vec<WorkerInfo> {
        lock(&self.infos).iter().map(|i| lock(i).clone()).collect()
    }

    /// Wait for every worker to end its current run after the stop signal.
    pub async fn join(&self) {
        let tasks: Vec<_> = lock(&self.tasks).drain(..).collect();
        for task in tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a background worker panicked");
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while the lock was held leaves plain counters behind: still
    // good to read.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn drive(
    mut worker: impl Worker,
    info: Arc<Mutex<WorkerInfo>>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let name = worker.name().to_owned();
    let labels = WorkerLabels { worker: name.clone() };
    let outcome = |o: &str| WorkerOutcomeLabels { worker: name.clone(), outcome: o.to_owned() };
    loop {
        if *stop.borrow() {
            break;
        }
        lock(&info).state = WorkerState::Busy;
        let started = Instant::now();
        let result = worker.work().await;
        let took = started.elapsed();
        metrics.worker_busy_seconds.get_or_create(&labels).inc_by(took.as_secs_f64());
        let next = {
            let mut i = lock(&info);
            i.runs += 1;
            i.busy += took;
            match result {
                Ok(next) => {
                    let now = Utc::now();
                    i.last_success = Some(now);
                    metrics.worker_runs.get_or_create(&outcome("ok")).inc();
                    metrics.worker_last_success.get_or_create(&labels).set(now.timestamp());
                    next
                }
                Err(error) => {
                    i.errors += 1;
                    i.last_error = Some(error.to_string());
                    i.last_error_at = Some(Utc::now());
                    metrics.worker_runs.get_or_create(&outcome("error")).inc();
                    tracing::warn!(worker = %name, %error, "background job failed");
                    Next::Idle
                }
            }
        };
        match next {
            Next::Busy => continue,
            Next::Done => {
                lock(&info).state = WorkerState::Done;
                return;
            }
            Next::Idle => {
                lock(&info).state = WorkerState::Idle;
                tokio::select! {
                    _ = worker.wait_for_work() => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
    }
    lock(&info).state = WorkerState::Stopped;
}

/// Waits a fixed interval: the `wait_for_work` of a periodic job.
pub async fn every(interval: Duration) {
    tokio::time::sleep(interval).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Fails its first run, then has work twice, then is idle; counts runs.
    struct Flaky {
        runs: Arc<AtomicU32>,
    }

    #[async_trait::async_trait]
    impl Worker for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }
        async fn work(&mut self) -> Result<Next, WorkError> {
            match self.runs.fetch_add(1, Ordering::SeqCst) {
                0 => Err("the catalog is unavailable".into()),
                1 | 2 => Ok(Next::Busy),
                _ => Ok(Next::Idle),
            }
        }
        async fn wait_for_work(&mut self) {
            every(Duration::from_secs(60)).await;
        }
    }

    struct Once;

    #[async_trait::async_trait]
    impl Worker for Once {
        fn name(&self) -> &str {
            "once"
        }
        async fn work(&mut self) -> Result<Next, WorkError> {
            Ok(Next::Done)
        }
        async fn wait_for_work(&mut self) {}
    }

    #[tokio::test(start_paused = true)]
    async fn runs_are_counted_errors_retried_after_the_wait_and_stop_ends_the_idle_wait() {
        let metrics = Arc::new(Metrics::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers = Workers::new(metrics.clone(), stop_rx);
        let runs = Arc::new(AtomicU32::new(0));
        workers.spawn(Flaky { runs: runs.clone() });
        workers.spawn(Once);
        // The failed first run waits its minute, then three runs follow.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let flaky = &workers.list()[0];
        assert_eq!((flaky.runs, flaky.errors, flaky.state), (1, 1, WorkerState::Idle));
        assert_eq!(flaky.last_error.as_deref(), Some("the catalog is unavailable"));
        assert!(flaky.last_success.is_none());
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        let list = workers.list();
        assert_eq!((list[0].runs, list[0].errors), (4, 1));
        assert!(list[0].last_success.is_some());
        assert_eq!((list[1].name.as_str(), list[1].state), ("once", WorkerState::Done));
        let text = metrics.encode();
        assert!(text.contains(r#"callvault_worker_runs_total{worker="flaky",outcome="error"} 1"#));
        assert!(text.contains(r#"callvault_worker_runs_total{worker="flaky",outcome="ok"} 3"#));
        stop_tx.send(true).unwrap();
        workers.join().await;
        assert_eq!(workers.list()[0].state, WorkerState::Stopped);
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }
}
