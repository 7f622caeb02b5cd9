//! While the vault is unavailable, one session at a time asks it again.
//!
//! A session whose recording cannot be stored drops the rendered audio
//! (the spool still holds everything) and waits here. The gate lets one
//! waiter probe, with the backoff of [`Outage`] (0.5 s to 30 s); when a store
//! succeeds every waiter goes, re-rendering from its spool. So an outage
//! costs no memory per waiting recording beyond its task, and the vault is
//! not hammered by thousands of retries when it comes back.

use std::sync::Mutex;

use callvault_vault::outage::Outage;
pub(crate) use callvault_vault::outage::Turn;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The process's [`Outage`], shared by the SIPREC sessions, with a wake-up
/// for the waiters when it changes.
#[derive(Debug, Default)]
pub(crate) struct VaultGate {
    state: Mutex<Outage>,
    changed: Notify,
}

impl VaultGate {
    fn outage(&self) -> std::sync::MutexGuard<'_, Outage> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A store failed as unavailable; `probe`: it was this caller's probe.
    pub(crate) fn unavailable(&self, probe: bool) {
        self.outage().unavailable(Instant::now().into_std(), probe);
        self.changed.notify_waiters();
    }

    /// A store succeeded: the vault is up for everyone.
    pub(crate) fn stored(&self) {
        if self.outage().stored() {
            self.changed.notify_waiters();
        }
    }

    /// A probe ended without an answer from the vault (the session gave
    /// up): someone else may probe.
    pub(crate) fn abandon_probe(&self) {
        self.outage().abandon_probe();
        self.changed.notify_waiters();
    }

    /// Waits until the vault is up or it is this caller's turn to probe:
    /// [`Turn::Up`] or [`Turn::Probe`].
    pub(crate) async fn wait(&self) -> Turn {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let turn = self.outage().turn(Instant::now().into_std());
            match turn {
                Turn::Up | Turn::Probe => return turn,
                Turn::Wait(Some(at)) => {
                    tokio::select! {
                        _ = &mut changed => {}
                        _ = tokio::time::sleep_until(Instant::from_std(at)) => {}
                    }
                }
                Turn::Wait(None) => changed.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn one_prober_with_backoff_then_everyone_goes() {
        let gate = std::sync::Arc::new(VaultGate::default());
        assert_eq!(gate.wait().await, Turn::Up, "up until something fails");
        gate.unavailable(false);
        let t0 = Instant::now();
        // The first probe comes after the first backoff, to one waiter only.
        let (a, b) = (gate.clone(), gate.clone());
        let first = tokio::spawn(async move { a.wait().await });
        let second = tokio::spawn(async move { b.wait().await });
        tokio::time::sleep(Duration::from_millis(600)).await;
        let done: Vec<bool> = vec![first.is_finished(), second.is_finished()];
        assert_eq!(done.iter().filter(|d| **d).count(), 1, "exactly one prober");
        let (prober, waiter) = if first.is_finished() { (first, second) } else { (second, first) };
        assert_eq!(prober.await.unwrap(), Turn::Probe);
        // The probe fails: the next is due a doubled backoff later.
        gate.unavailable(true);
        let g = gate.clone();
        let next = tokio::spawn(async move { g.wait().await });
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(!waiter.is_finished() && !next.is_finished(), "1 s backoff not over");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(waiter.is_finished() ^ next.is_finished(), "one new prober");
        assert!(Instant::now() - t0 >= Duration::from_millis(1600));
        // The vault stores something: everyone goes.
        gate.stored();
        let results = [waiter.await.unwrap(), next.await.unwrap()];
        assert!(results.contains(&Turn::Probe) && results.contains(&Turn::Up), "{results:?}");
        assert_eq!(gate.wait().await, Turn::Up);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_probe_lets_another_waiter_probe() {
        let gate = VaultGate::default();
        gate.unavailable(false);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(gate.wait().await, Turn::Probe);
        gate.abandon_probe();
        assert_eq!(gate.wait().await, Turn::Probe);
    }
}
