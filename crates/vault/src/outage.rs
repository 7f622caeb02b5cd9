//! What every recorder does while the vault is unavailable, as one sans-IO
//! state machine.
//!
//! Recordings that could not be stored wait in their spools (no audio in
//! memory). One of them at a time probes the vault, with exponential
//! backoff from [`FIRST_BACKOFF`] to [`MAX_BACKOFF`]; when a store succeeds,
//! everyone goes. The capture driver's deliveries and the SIPREC sessions'
//! gate both drive an [`Outage`]: time is passed in, so the schedule is
//! tested without a clock.

use std::time::{Duration, Instant};

/// The wait before the first probe.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two probes.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What a waiting recording may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// The vault is up: store.
    Up,
    /// Probe the vault now, then report [`Outage::stored`] or
    /// [`Outage::unavailable`] with `probe: true`.
    Probe,
    /// Wait until this instant (a probe falls due), or until told of a
    /// change (`None`: another recording is probing).
    Wait(Option<Instant>),
}

#[derive(Debug, Clone, Copy)]
struct Down {
    backoff: Duration,
    next_probe: Instant,
    probing: bool,
}

/// The vault's availability as the recorders see it.
#[derive(Debug, Clone, Default)]
pub struct Outage {
    down: Option<Down>,
}

impl Outage {
    /// Whether stores are failing as unavailable.
    pub fn is_down(&self) -> bool {
        self.down.is_some()
    }

    /// A store failed as unavailable at `now`; `probe`: it was the probe.
    /// Returns the backoff until the next probe when the schedule changed
    /// (the outage began, or a probe failed), `None` for a store that was
    /// already on its way when the outage began.
    pub fn unavailable(&mut self, now: Instant, probe: bool) -> Option<Duration> {
        match &mut self.down {
            None => {
                self.down = Some(Down {
                    backoff: FIRST_BACKOFF,
                    next_probe: now + FIRST_BACKOFF,
                    probing: false,
                });
                Some(FIRST_BACKOFF)
            }
            Some(d) if probe => {
                d.backoff = (d.backoff * 2).min(MAX_BACKOFF);
                d.next_probe = now + d.backoff;
                d.probing = false;
                Some(d.backoff)
            }
            Some(_) => None,
        }
    }

    /// A store succeeded: the vault is up for everyone. Returns whether it
    /// was down.
    pub fn stored(&mut self) -> bool {
        self.down.take().is_some()
    }

    /// The probe ended without an answer from the vault: another may probe.
    pub fn abandon_probe(&mut self) {
        if let Some(d) = &mut self.down {
            d.probing = false;
        }
    }

    /// When the next probe falls due, if none is running.
    pub fn next_probe(&self) -> Option<Instant> {
        self.down.filter(|d| !d.probing).map(|d| d.next_probe)
    }

    /// Take the turn of a recording that wants to store at `now`: a probe
    /// due and not running becomes this caller's.
    pub fn turn(&mut self, now: Instant) -> Turn {
        match &mut self.down {
            None => Turn::Up,
            Some(d) if d.probing => Turn::Wait(None),
            Some(d) if d.next_probe <= now => {
                d.probing = true;
                Turn::Probe
            }
            Some(d) => Turn::Wait(Some(d.next_probe)),
        }
    }

    /// Start a probe now whether or not it is due (the caller's own timer
    /// fired at [`Outage::next_probe`]).
    pub fn begin_probe(&mut self) {
        if let Some(d) = &mut self.down {
            d.probing = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_probe_at_a_time_with_doubling_backoff_capped_then_up_for_all() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut o = Outage::default();
        assert_eq!(o.turn(t0), Turn::Up);
        assert_eq!(o.unavailable(t0, false), Some(FIRST_BACKOFF));
        // A store already on its way when the outage began changes nothing.
        assert_eq!(o.unavailable(ms(100), false), None);
        assert_eq!(o.turn(ms(499)), Turn::Wait(Some(ms(500))));
        assert_eq!(o.turn(ms(500)), Turn::Probe);
        assert_eq!(o.turn(ms(500)), Turn::Wait(None), "one prober");
        assert_eq!(o.next_probe(), None);
        let mut now = ms(600);
        let mut backoffs = Vec::new();
        for _ in 0..8 {
            let b = o.unavailable(now, true).unwrap();
            backoffs.push(b.as_millis());
            assert_eq!(o.next_probe(), Some(now + b));
            now += b;
            assert_eq!(o.turn(now), Turn::Probe);
        }
        assert_eq!(backoffs, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        o.abandon_probe();
        assert_eq!(o.turn(now), Turn::Probe, "an abandoned probe passes the turn on");
        assert!(o.stored());
        assert!(!o.stored());
        assert_eq!(o.turn(now), Turn::Up);
        // A new outage starts over from the first backoff.
        assert_eq!(o.unavailable(now, false), Some(FIRST_BACKOFF));
        o.begin_probe();
        assert_eq!(o.next_probe(), None);
    }
}
