//! Packet time: the only clock this crate knows.

use std::fmt;
use std::time::Duration;

/// A capture timestamp in nanoseconds since the Unix epoch.
///
/// It comes from the capture file (or a HEP header), never from the
/// machine's clock, so a replay is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// From nanoseconds since the Unix epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// From seconds and a sub-second part in nanoseconds (saturating).
    pub const fn from_secs_nanos(secs: u64, nanos: u32) -> Self {
        Self(secs.saturating_mul(1_000_000_000).saturating_add(nanos as u64))
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch.
    pub const fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// Nanoseconds within the second.
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % 1_000_000_000) as u32
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later (capture
    /// files are not always in time order).
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// This timestamp moved forward by `d` (saturating).
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(n))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs(), self.subsec_nanos())
    }
}
