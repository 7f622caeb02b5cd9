//! Which process owns which in-flight upload, and whether it is still alive.
//!
//! Every process that opens the vault (the server, `callvault import`,
//! `callvault fsck`) holds an exclusive lock on `data_dir/instances/ID.lock`
//! for as long as it lives; the kernel releases it when the process dies,
//! however it dies. Pending objects and staging files carry their owner's
//! id, so recovery removes what a *dead* process left and never what a live
//! one (a server next to an `fsck`) is still writing. An owner whose lock
//! file is not on this machine (another node sharing the catalog) is judged
//! by age alone.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What is known of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Dead,
    /// Not an instance of this data directory.
    Unknown,
}

pub struct Instance {
    id: String,
    dir: PathBuf,
    _lock: File,
    /// Leave the lock file on exit (see [`Instance::keep_proof_of_death`]).
    keep: std::sync::atomic::AtomicBool,
}

impl Instance {
    /// Register this process: create and lock its lock file.
    pub fn acquire(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join("instances");
        std::fs::create_dir_all(&dir)?;
        let id = uuid::Uuid::now_v7().simple().to_string();
        // Locked before it is visible under its name: a recovery that looks
        // in between must not take a fresh instance for a dead one.
        let hidden = dir.join(format!(".{id}.new"));
        let file = File::create(&hidden)?;
        file.lock()?;
        std::fs::rename(&hidden, dir.join(format!("{id}.lock")))?;
        Ok(Self { id, dir, _lock: file, keep: std::sync::atomic::AtomicBool::new(false) })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Leave the lock file when this process ends, so that the next
    /// recovery knows at once that what this instance left (pending objects
    /// a store that was down kept) is abandoned, instead of waiting out
    /// `recovery_grace_secs`.
    pub fn keep_proof_of_death(&self) {
        self.keep.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn liveness(&self, owner: &str) -> Liveness {
        if owner == self.id {
            return Liveness::Alive;
        }
        if owner.is_empty() || !owner.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Liveness::Unknown;
        }
        let Ok(file) =
            File::options().read(true).write(true).open(self.dir.join(format!("{owner}.lock")))
        else {
            return Liveness::Unknown;
        };
        match file.try_lock() {
            Ok(()) => Liveness::Dead,
            Err(TryLockError::WouldBlock) => Liveness::Alive,
            Err(TryLockError::Error(_)) => Liveness::Unknown,
        }
    }

    /// Whether what `owner` left, last touched at `at`, may be removed.
    pub fn is_abandoned(&self, owner: &str, at: SystemTime, grace: Duration) -> bool {
        match self.liveness(owner) {
            Liveness::Alive => false,
            Liveness::Dead => true,
            Liveness::Unknown => at.elapsed().is_ok_and(|age| age > grace),
        }
    }

    /// Remove the lock files of dead instances once nothing of theirs is left
    /// (pending objects and staging files are gone by then; spools under
    /// `data_dir/spool/ID` and `data_dir/siprec-spool/ID` keep the file until
    /// a capture run or the SIPREC server recovers them).
    pub fn reap_dead(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // The lock file is the proof of its owner's death: it stays while
            // the owner left spools that a capture run has yet to recover.
            let has_spools = |owner: &str| spools_left(&self.dir, owner);
            if let Some(owner) = name.strip_suffix(".lock")
                && self.liveness(owner) == Liveness::Dead
                && !has_spools(owner)
            {
                let _ = std::fs::remove_file(entry.path());
            } else if name.starts_with('.') && name.ends_with(".new") {
                // A process that died between creating and naming its file.
                let free = File::options()
                    .write(true)
                    .open(entry.path())
                    .is_ok_and(|f| f.try_lock().is_ok());
                if free {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// Whether `owner` left anything in its spool directories (a capture
/// stopped during a vault outage, SIPREC sessions not stored in time).
fn spools_left(instances: &Path, owner: &str) -> bool {
    instances.parent().is_some_and(|data| {
        ["spool", "siprec-spool"].iter().any(|d| {
            std::fs::read_dir(data.join(d).join(owner))
                .is_ok_and(|mut entries| entries.next().is_some())
        })
    })
}

impl Drop for Instance {
    fn drop(&mut self) {
        // The lock file, unlocked once this process is gone, is the proof of
        // its owner's death: the next start recovers the spools left behind
        // at once. Without it the owner could be on another machine and its
        // spools would wait out `recovery_grace_secs`.
        if spools_left(&self.dir, &self.id) || self.keep.load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_instances_are_told_from_dead_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = Instance::acquire(dir.path()).unwrap();
        let b = Instance::acquire(dir.path()).unwrap();
        assert_eq!(a.liveness(b.id()), Liveness::Alive);
        assert_eq!(a.liveness(a.id()), Liveness::Alive);
        assert_eq!(a.liveness("0123456789abcdef"), Liveness::Unknown);
        // A crashed process leaves its file behind, unlocked.
        std::fs::write(dir.path().join("instances/deadbeef.lock"), b"").unwrap();
        assert_eq!(a.liveness("deadbeef"), Liveness::Dead);
        let old = SystemTime::now() - Duration::from_secs(7200);
        assert!(a.is_abandoned("deadbeef", SystemTime::now(), Duration::from_secs(3600)));
        assert!(!a.is_abandoned(b.id(), old, Duration::from_secs(3600)));
        assert!(a.is_abandoned("elsewhere", old, Duration::from_secs(3600)));
        assert!(!a.is_abandoned("elsewhere", SystemTime::now(), Duration::from_secs(3600)));
        a.reap_dead();
        assert!(!dir.path().join("instances/deadbeef.lock").exists());
        assert_eq!(a.liveness(b.id()), Liveness::Alive);
    }

    #[test]
    fn a_process_that_leaves_spools_leaves_the_proof_of_its_death() {
        let dir = tempfile::tempdir().unwrap();
        let a = Instance::acquire(dir.path()).unwrap();
        let clean = Instance::acquire(dir.path()).unwrap();
        let (left, gone) = (clean.id().to_owned(), a.id().to_owned());
        std::fs::create_dir_all(dir.path().join("spool").join(clean.id())).unwrap();
        let spooled = dir.path().join("spool").join(&gone);
        std::fs::create_dir_all(&spooled).unwrap();
        std::fs::write(spooled.join("call.spool"), b"audio").unwrap();
        drop(a);
        drop(clean);
        let next = Instance::acquire(dir.path()).unwrap();
        // Stopped with a spool kept: dead, recovered at once, not after the
        // grace period a process of another machine gets.
        assert_eq!(next.liveness(&gone), Liveness::Dead);
        let now = SystemTime::now();
        assert!(next.is_abandoned(&gone, now, Duration::from_secs(86_400)));
        // An empty spool directory is nothing left behind.
        assert_eq!(next.liveness(&left), Liveness::Unknown);
        next.reap_dead();
        assert!(dir.path().join(format!("instances/{gone}.lock")).exists(), "spools still there");
        std::fs::remove_file(spooled.join("call.spool")).unwrap();
        next.reap_dead();
        assert!(!dir.path().join(format!("instances/{gone}.lock")).exists());
    }
}
