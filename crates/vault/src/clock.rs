//! The edges' clock: where a reading of the machine's clock becomes the
//! [`Timestamp`] the sans-IO cores take.
//!
//! Two readings, for two needs:
//! - [`wall_now`]: the wall clock, for times that are recorded (a spool's
//!   origin, a participant's join, a live frame's stamp). It follows the
//!   system clock, steps included.
//! - [`EdgeClock`]: wall time read once, then advanced by the monotonic
//!   clock, for a core whose timers must not be fooled by a wall-clock step
//!   (the SIPREC SRS and its client transactions: a step back would hold
//!   every retransmission, a step forward would time out every transaction).
//!   It converts the core's deadlines back to an `Instant` to sleep until.
//!
//! Both live here, beside the vault's other edge utilities, because both edges
//! (`siprec`, `capture-driver`) depend on this crate and `callvault-model`
//! reads no clock.

use std::time::{Duration, Instant, SystemTime};

use callvault_model::Timestamp;

/// The wall clock now.
pub fn wall_now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

/// A monotonic clock on the `Timestamp` scale: the wall time when it was
/// started, plus the monotonic time elapsed since.
#[derive(Debug, Clone, Copy)]
pub struct EdgeClock {
    base: Timestamp,
    started: Instant,
}

impl EdgeClock {
    /// Started now.
    ///
    /// The monotonic readings are tokio's (`tokio::time::Instant`, the
    /// system's monotonic clock unless a test paused tokio's time), so that
    /// the deadlines the driver sleeps until and the times it passes in are
    /// on one clock.
    pub fn start() -> EdgeClock {
        EdgeClock::new(wall_now(), monotonic_now())
    }

    /// A clock that reads `base` at the monotonic instant `started`.
    pub fn new(base: Timestamp, started: Instant) -> EdgeClock {
        EdgeClock { base, started }
    }

    /// The time now: never earlier than a previous reading.
    pub fn now(&self) -> Timestamp {
        self.at(monotonic_now())
    }

    /// The time at the monotonic instant `reading` (the start for an
    /// instant before it).
    pub fn at(&self, reading: Instant) -> Timestamp {
        self.base.saturating_add(reading.saturating_duration_since(self.started))
    }

    /// The monotonic instant at which this clock reads `at` (the start for a
    /// time before it): what a driver sleeps until for a core's deadline.
    pub fn deadline(&self, at: Timestamp) -> Instant {
        let after = at.saturating_since(self.base);
        // Beyond what an Instant holds (centuries away on every platform we
        // run on): a year, which a driver wakes up from to find nothing due.
        self.started
            .checked_add(after)
            .or_else(|| self.started.checked_add(Duration::from_secs(365 * 86_400)))
            .unwrap_or(self.started)
    }
}

fn monotonic_now() -> Instant {
    tokio::time::Instant::now().into_std()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_advance_with_the_monotonic_clock_from_the_base() {
        let started = Instant::now();
        let base = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let clock = EdgeClock::new(base, started);
        assert_eq!(clock.at(started), base);
        assert_eq!(
            clock.at(started + Duration::from_millis(1500)),
            base + Duration::from_millis(1500)
        );
        // An instant before the start reads as the start.
        if let Some(before) = started.checked_sub(Duration::from_secs(1)) {
            assert_eq!(clock.at(before), base);
        }
    }

    #[test]
    fn deadlines_map_back_to_instants() {
        let started = Instant::now();
        let base = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let clock = EdgeClock::new(base, started);
        let at = base + Duration::from_secs(32);
        assert_eq!(clock.deadline(at), started + Duration::from_secs(32));
        assert_eq!(clock.at(clock.deadline(at)), at);
        assert_eq!(clock.deadline(base - Duration::from_secs(5)), started);
        assert!(clock.deadline(Timestamp::MAX) > started + Duration::from_secs(1 << 32));
    }

    #[test]
    fn now_is_monotonic_and_near_the_wall_clock() {
        let clock = EdgeClock::start();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
        let wall = wall_now();
        assert!(wall.saturating_since(a) < Duration::from_secs(60), "{a} vs {wall}");
    }
}
