//! [`Timestamp`]: the one type for a point in time in the sans-IO crates.
//!
//! `rtp`, `media`, `sip` and `capture` take every `now`, and give every
//! deadline, as a `Timestamp`; `Duration` is for spans (timeouts, intervals,
//! offsets into a recording). The domain's own times (a recording's start, an
//! audit event) stay `chrono::DateTime<Utc>`: [`Timestamp::to_utc`] and
//! [`Timestamp::from_utc`] cross between the two.
//!
//! Nothing here reads a clock: a `Timestamp` comes from a capture file, a HEP
//! header, or an edge that read its clock once and passed the value in.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in time: nanoseconds since the Unix epoch, as a `u64` (it covers
/// 1970 to 2554).
///
/// Arithmetic never panics. The named methods say what happens at the ends of
/// the range (`checked_*` gives `None`, `saturating_*` stops at the epoch or
/// at [`Timestamp::MAX`]); the operators `+ Duration` and `- Duration`
/// saturate, since a time outside 1970..2554 is a bad input, not a reason to
/// stop a recording. There is deliberately no `Timestamp - Timestamp`: which
/// of `saturating_since` and `checked_since` a caller wants is part of its
/// logic (capture files are not always in time order), so it names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);
    /// The latest representable time (in 2554).
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// From nanoseconds since the Unix epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// From seconds and a sub-second part in nanoseconds (saturating).
    pub const fn from_secs_nanos(secs: u64, nanos: u32) -> Self {
        Self(secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos as u64))
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch.
    pub const fn secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// Nanoseconds within the second.
    pub const fn subsec_nanos(self) -> u32 {
        (self.0 % NANOS_PER_SEC) as u32
    }

    /// The time since the Unix epoch, as a span.
    pub const fn since_epoch(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later (capture
    /// files are not always in time order).
    pub const fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// Time elapsed since `earlier`, `None` if `earlier` is later.
    pub const fn checked_since(self, earlier: Timestamp) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(n) => Some(Duration::from_nanos(n)),
            None => None,
        }
    }

    /// This time moved forward by `d`, `None` past [`Timestamp::MAX`].
    pub fn checked_add(self, d: Duration) -> Option<Timestamp> {
        let n = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_add(n).map(Timestamp)
    }

    /// This time moved forward by `d`, at most [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Timestamp {
        self.checked_add(d).unwrap_or(Timestamp::MAX)
    }

    /// This time moved back by `d`, `None` before the Unix epoch.
    pub fn checked_sub(self, d: Duration) -> Option<Timestamp> {
        let n = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_sub(n).map(Timestamp)
    }

    /// This time moved back by `d`, at the earliest the Unix epoch.
    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        self.checked_sub(d).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The same instant as a domain time. Exact: every `Timestamp` is in
    /// `DateTime<Utc>`'s range.
    pub fn to_utc(self) -> DateTime<Utc> {
        // secs < 2^35 fits an i64; the nanoseconds are < 10^9.
        DateTime::from_timestamp(self.secs() as i64, self.subsec_nanos()).unwrap_or_default()
    }

    /// A domain time as a `Timestamp`: before 1970 is the epoch, after 2554
    /// is [`Timestamp::MAX`].
    pub fn from_utc(t: DateTime<Utc>) -> Timestamp {
        match u64::try_from(t.timestamp()) {
            Ok(secs) => Timestamp::from_secs_nanos(secs, t.timestamp_subsec_nanos()),
            Err(_) => Timestamp::UNIX_EPOCH,
        }
    }
}

/// A value read from a system clock (by an edge: this crate reads none).
/// Before 1970 is the epoch, after 2554 is [`Timestamp::MAX`].
impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => Timestamp(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            Err(_) => Timestamp::UNIX_EPOCH,
        }
    }
}

/// Saturating: see [`Timestamp::saturating_add`].
impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, d: Duration) {
        *self = self.saturating_add(d);
    }
}

/// Saturating: see [`Timestamp::saturating_sub`].
impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        self.saturating_sub(d)
    }
}

impl SubAssign<Duration> for Timestamp {
    fn sub_assign(&mut self, d: Duration) {
        *self = self.saturating_sub(d);
    }
}

/// Seconds since the epoch, nine decimals: `1700000000.000000001`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs(), self.subsec_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX_NS: u64 = u64::MAX;

    #[test]
    fn parts_and_display() {
        let t = Timestamp::from_secs_nanos(1_700_000_000, 1);
        assert_eq!(t.as_nanos(), 1_700_000_000_000_000_001);
        assert_eq!((t.secs(), t.subsec_nanos()), (1_700_000_000, 1));
        assert_eq!(t.to_string(), "1700000000.000000001");
        assert_eq!(t.since_epoch(), Duration::new(1_700_000_000, 1));
        assert_eq!(format!("{t:?}"), "Timestamp(1700000000000000001)");
        assert_eq!(Timestamp::default(), Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn from_secs_nanos_saturates() {
        assert_eq!(Timestamp::from_secs_nanos(u64::MAX, 0), Timestamp::MAX);
        assert_eq!(Timestamp::from_secs_nanos(MAX_NS / 1_000_000_000, 999_999_999), Timestamp::MAX);
        // A sub-second part of a second or more (a leap second) carries.
        assert_eq!(Timestamp::from_secs_nanos(1, 1_500_000_000).as_nanos(), 2_500_000_000);
    }

    #[test]
    fn since_saturates_or_checks_backwards() {
        let a = Timestamp::from_nanos(10);
        let b = Timestamp::from_nanos(25);
        assert_eq!(b.saturating_since(a), Duration::from_nanos(15));
        assert_eq!(a.saturating_since(b), Duration::ZERO);
        assert_eq!(b.checked_since(a), Some(Duration::from_nanos(15)));
        assert_eq!(a.checked_since(b), None);
        assert_eq!(a.checked_since(a), Some(Duration::ZERO));
        assert_eq!(
            Timestamp::MAX.saturating_since(Timestamp::UNIX_EPOCH).as_nanos(),
            MAX_NS.into()
        );
    }

    #[test]
    fn add_and_sub_at_the_ends_of_the_range() {
        let near_end = Timestamp::from_nanos(MAX_NS - 5);
        assert_eq!(near_end.checked_add(Duration::from_nanos(5)), Some(Timestamp::MAX));
        assert_eq!(near_end.checked_add(Duration::from_nanos(6)), None);
        assert_eq!(near_end.saturating_add(Duration::from_nanos(6)), Timestamp::MAX);
        assert_eq!(near_end + Duration::from_secs(1), Timestamp::MAX);
        // A Duration beyond u64 nanoseconds (~584 years).
        assert_eq!(Timestamp::UNIX_EPOCH.checked_add(Duration::MAX), None);
        assert_eq!(Timestamp::UNIX_EPOCH + Duration::MAX, Timestamp::MAX);

        let early = Timestamp::from_nanos(5);
        assert_eq!(early.checked_sub(Duration::from_nanos(5)), Some(Timestamp::UNIX_EPOCH));
        assert_eq!(early.checked_sub(Duration::from_nanos(6)), None);
        assert_eq!(early - Duration::from_secs(1), Timestamp::UNIX_EPOCH);
        assert_eq!(Timestamp::MAX.checked_sub(Duration::MAX), None);

        let mut t = early;
        t += Duration::from_nanos(10);
        assert_eq!(t, Timestamp::from_nanos(15));
        t -= Duration::from_nanos(20);
        assert_eq!(t, Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn utc_round_trip_and_range() {
        let t = Timestamp::from_secs_nanos(1_700_000_000, 123_456_789);
        let utc = t.to_utc();
        assert_eq!(utc.to_rfc3339(), "2023-11-14T22:13:20.123456789+00:00");
        assert_eq!(Timestamp::from_utc(utc), t);
        assert_eq!(Timestamp::UNIX_EPOCH.to_utc(), DateTime::UNIX_EPOCH);
        // Beyond i64 nanoseconds (2262) still exact.
        assert_eq!(Timestamp::from_utc(Timestamp::MAX.to_utc()), Timestamp::MAX);
        let before_1970 = DateTime::from_timestamp(-1, 999_999_999).unwrap();
        assert_eq!(Timestamp::from_utc(before_1970), Timestamp::UNIX_EPOCH);
        let year_3000 = DateTime::from_timestamp(32_503_680_000, 0).unwrap();
        assert_eq!(Timestamp::from_utc(year_3000), Timestamp::MAX);
    }

    #[test]
    fn from_system_time() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 7);
        assert_eq!(Timestamp::from(t), Timestamp::from_secs_nanos(1_700_000_000, 7));
        let before = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(Timestamp::from(before), Timestamp::UNIX_EPOCH);
    }

    proptest! {
        #[test]
        fn add_then_since_gives_the_span_back(t in any::<u64>(), d in any::<u64>()) {
            let t = Timestamp::from_nanos(t);
            let d = Duration::from_nanos(d);
            match t.checked_add(d) {
                Some(later) => {
                    prop_assert_eq!(later.checked_since(t), Some(d));
                    prop_assert_eq!(later.saturating_since(t), d);
                    prop_assert_eq!(later - d, t);
                    prop_assert_eq!(t.checked_since(later), (d.is_zero()).then_some(Duration::ZERO));
                }
                None => prop_assert_eq!(t + d, Timestamp::MAX),
            }
        }

        #[test]
        fn sub_then_add_gives_the_time_back(t in any::<u64>(), d in any::<u64>()) {
            let t = Timestamp::from_nanos(t);
            let d = Duration::from_nanos(d);
            match t.checked_sub(d) {
                Some(earlier) => prop_assert_eq!(earlier + d, t),
                None => prop_assert_eq!(t - d, Timestamp::UNIX_EPOCH),
            }
        }

        #[test]
        fn order_agrees_with_since(a in any::<u64>(), b in any::<u64>()) {
            let (a, b) = (Timestamp::from_nanos(a), Timestamp::from_nanos(b));
            prop_assert_eq!(a.checked_since(b).is_some(), a >= b);
            prop_assert_eq!(a.saturating_since(b).is_zero(), a <= b);
        }

        #[test]
        fn utc_round_trips(t in any::<u64>()) {
            let t = Timestamp::from_nanos(t);
            prop_assert_eq!(Timestamp::from_utc(t.to_utc()), t);
            prop_assert_eq!(t.to_utc().timestamp_subsec_nanos(), t.subsec_nanos());
        }
    }
}
