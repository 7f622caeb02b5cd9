//! Group commit for open spools.
//!
//! Live capture keeps hundreds to thousands of spools open and writes
//! every one of them once a second. An `fdatasync` per spool on the packet
//! thread would queue that many journal commits a second behind it;
//! instead it asks one thread to run `syncfs` on the spool directory's
//! file system, which makes all of them durable in one call. (The SIPREC
//! server, whose sessions each have their own task, measured better with
//! an `fdatasync` per session on the blocking pool.)
//!
//! What a `syncfs` cannot say is *which* file failed to reach the disk: an
//! error is logged and counted for the whole group, and the next request
//! retries. A spool that is being finalized is still closed with its own
//! `fdatasync` by its recorder, so the acknowledgement of a finished
//! recording never rests on this thread.

use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use callvault_vault::metrics::OutcomeLabels;

/// One `syncfs` thread for the spools under a directory. Cheap to ask:
/// requests made while a sync runs fold into the next one.
pub(crate) struct GroupSync {
    tx: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupSync {
    /// Starts the thread; `dir` must exist. Each sync is counted in
    /// `outcomes` (`ok` or `failed`).
    pub(crate) fn start(
        dir: &Path,
        outcomes: Family<OutcomeLabels, Counter>,
    ) -> std::io::Result<Self> {
        let dir = std::fs::File::open(dir)?;
        // Capacity 1: a request made while a sync runs is the next sync.
        let (tx, rx) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new().name("spool-sync".into()).spawn(move || {
            while rx.recv().is_ok() {
                let outcome = match rustix::fs::syncfs(&dir) {
                    Ok(()) => "ok",
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot sync the open spools");
                        "failed"
                    }
                };
                outcomes.get_or_create(&OutcomeLabels { outcome: outcome.into() }).inc();
            }
        })?;
        Ok(GroupSync { tx: Some(tx), thread: Some(thread) })
    }

    /// Asks for a sync of everything written so far; never blocks.
    pub(crate) fn request(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(());
        }
    }
}

impl Drop for GroupSync {
    /// A last sync, then the thread ends.
    fn drop(&mut self) {
        self.request();
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_runs_a_last_sync_and_joins() {
        let dir = tempfile::tempdir().unwrap();
        let outcomes = Family::<OutcomeLabels, Counter>::default();
        let sync = GroupSync::start(dir.path(), outcomes.clone()).unwrap();
        sync.request();
        drop(sync);
        // The thread has ended, so every request it took has been served:
        // at least the one made by `drop` (the first may have folded in).
        let count = |o: &str| outcomes.get_or_create(&OutcomeLabels { outcome: o.into() }).get();
        assert!(count("ok") >= 1);
        assert_eq!(count("failed"), 0);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_thread() {
        let dir = tempfile::tempdir().unwrap();
        assert!(GroupSync::start(&dir.path().join("absent"), Family::default()).is_err());
    }
}
