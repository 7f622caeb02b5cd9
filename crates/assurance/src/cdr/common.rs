//! What every CDR parser shares: CSV reading, time and number fields, the
//! hashed leg key, and the one place a row becomes a [`CdrLeg`].

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, TimeZone, Utc};
use sha2::{Digest, Sha256};

use super::{CdrFormat, CdrLeg, Disposition, LegId};

/// The input without a UTF-8 byte order mark (spreadsheets write one).
pub(crate) fn strip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input)
}

/// A CSV reader that takes rows of any length (each parser checks its own)
/// and leaves the header to the caller.
pub(crate) fn csv_reader(input: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(strip_bom(input))
}

/// The first non-empty CSV record of `input`, as text.
pub(crate) fn first_record(input: &[u8]) -> Option<Vec<String>> {
    let mut reader = csv_reader(input, b',');
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) if is_blank(&record) => continue,
            Ok(true) => return Some(record.iter().map(text).collect()),
            Ok(false) | Err(_) => return None,
        }
    }
}

/// A record that is one empty field: a blank line.
pub(crate) fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// A field as trimmed text; bytes that are not UTF-8 (a Latin-1 caller
/// name) become U+FFFD rather than failing the row.
pub(crate) fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).trim().to_owned()
}

/// The 1-based line a record starts on.
pub(crate) fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// `Some(s)` unless `s` is empty.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Reads a time as CDRs write it: Unix epoch seconds (with an optional
/// fraction, as CEL's default `eventtime`), RFC 3339, or
/// `YYYY-MM-DD HH:MM:SS[.fff]` in the PBX's local time `tz`. Empty and epoch
/// zero mean "never" (`Ok(None)`).
pub(crate) fn parse_time(s: &str, tz: FixedOffset) -> Result<Option<DateTime<Utc>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return parse_epoch(s, 1);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return local(naive, tz).map(Some);
        }
    }
    Err(format!("cannot read time {s:?}"))
}

/// A naive local time at a fixed offset, in UTC.
pub(crate) fn local(naive: NaiveDateTime, tz: FixedOffset) -> Result<DateTime<Utc>, String> {
    tz.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("time {naive} out of range"))
}

/// Epoch time in units of `1/per_second` seconds (1: seconds, 1_000_000:
/// microseconds), with an optional decimal fraction. Zero means "never".
pub(crate) fn parse_epoch(s: &str, per_second: i64) -> Result<Option<DateTime<Utc>>, String> {
    let bad = || format!("cannot read epoch time {s:?}");
    let (int, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let units: i64 = int.parse().map_err(|_| bad())?;
    if units == 0 && frac.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let secs = units / per_second;
    let rem_nanos = (units % per_second) * (1_000_000_000 / per_second.max(1));
    // The fraction of a second (only meaningful for seconds), to nanoseconds.
    let frac_nanos: i64 = if per_second == 1 {
        let digits: String = frac.chars().take(9).collect();
        let padded = format!("{digits:0<9}");
        padded.parse().map_err(|_| bad())?
    } else {
        0
    };
    let nanos = u32::try_from(rem_nanos + frac_nanos).map_err(|_| bad())?;
    DateTime::from_timestamp(secs, nanos).map(Some).ok_or_else(bad)
}

/// A count of seconds: `12`, or `12.345` (Asterisk's high-resolution `f`
/// qualifier), truncated to whole seconds. Empty is `None`.
pub(crate) fn parse_secs(s: &str) -> Result<Option<u64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let int = s.split_once('.').map_or(s, |(i, _)| i);
    int.parse::<u64>().map(Some).map_err(|_| format!("cannot read seconds {s:?}"))
}

/// `t` plus `secs` seconds, `None` when it leaves chrono's range.
pub(crate) fn plus_secs(t: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
    t.checked_add_signed(TimeDelta::try_seconds(secs)?)
}

/// Whole seconds from `a` to `b`, 0 when `b` is earlier.
pub(crate) fn secs_between(a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
    u64::try_from((b - a).num_seconds()).unwrap_or(0)
}

/// A stable key for a row that carries no id of its own: a hash of its
/// fields, so that the same row imported again gets the same key.
pub(crate) fn hash_key<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("h:{hex}")
}

/// An Asterisk disposition as `cdr_csv` writes it (`ast_cdr_disp2str`) or as
/// `cdr_custom`'s `disposition(int64)` does; also the generic words a
/// hand-made CSV uses.
pub(crate) fn disposition_word(s: &str) -> Option<Disposition> {
    let norm: String =
        s.trim().to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    Some(match norm.as_str() {
        "answered" | "answer" | "8" | "completed" | "connected" | "ok" => Disposition::Answered,
        "noanswer" | "0" | "1" | "cancel" | "cancelled" | "canceled" | "32" | "missed"
        | "unanswered" => Disposition::NoAnswer,
        "busy" | "4" | "userbusy" => Disposition::Busy,
        "failed" | "2" | "congestion" | "16" | "chanunavail" | "error" | "rejected" => {
            Disposition::Failed
        }
        "unknown" => Disposition::Unknown,
        _ => return None,
    })
}

/// A row's fields once its format is read, before the checks every leg gets.
#[derive(Debug, Default)]
pub(crate) struct RawLeg {
    pub leg_key: String,
    pub ids: Vec<LegId>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub talk_secs: Option<u64>,
    /// Total seconds from start to end (Asterisk `duration`).
    pub duration_secs: Option<u64>,
    pub disposition: Option<Disposition>,
}

impl RawLeg {
    /// Adds an id unless its value is empty or it is already there.
    pub fn id(&mut self, kind: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() || self.ids.iter().any(|i| i.kind == kind && i.value == value) {
            return;
        }
        self.ids.push(LegId { kind: kind.to_owned(), value: value.to_owned() });
    }

    /// The leg, with what the row left out derived from what it has: the end
    /// from start + duration, the disposition from an answer time, the talk
    /// time from answer and end.
    pub fn finish(self, format: CdrFormat) -> Result<CdrLeg, String> {
        if self.leg_key.is_empty() {
            return Err("no leg id".into());
        }
        let started_at = self.started_at.ok_or("no start time")?;
        let ended_at = match self.ended_at {
            Some(end) => end,
            None => self
                .duration_secs
                .and_then(|d| plus_secs(started_at, i64::try_from(d).ok()?))
                .or_else(|| plus_secs(self.answered_at?, i64::try_from(self.talk_secs?).ok()?))
                .ok_or("no end time")?,
        };
        if ended_at < started_at {
            return Err("ends before it starts".into());
        }
        let disposition = self.disposition.unwrap_or(
            if self.answered_at.is_some() || self.talk_secs.unwrap_or(0) > 0 {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            },
        );
        let mut answered_at = self.answered_at;
        if answered_at.is_none() && disposition == Disposition::Answered {
            // Answered without an answer time: the talk time counts back
            // from the end.
            answered_at = self
                .talk_secs
                .and_then(|t| plus_secs(ended_at, -i64::try_from(t).ok()?))
                .map(|a| a.max(started_at));
        }
        if let Some(answer) = answered_at
            && (answer < started_at || answer > ended_at)
        {
            return Err("answered outside the call's start and end".into());
        }
        let talk_secs =
            self.talk_secs.unwrap_or_else(|| answered_at.map_or(0, |a| secs_between(a, ended_at)));
        Ok(CdrLeg {
            format,
            leg_key: self.leg_key,
            ids: self.ids,
            caller: self.caller.and_then(|c| non_empty(&c)),
            callee: self.callee.and_then(|c| non_empty(&c)),
            started_at,
            answered_at,
            ended_at,
            talk_secs,
            disposition,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_in_every_notation() {
        let msk = FixedOffset::east_opt(3 * 3600).unwrap();
        let want = utc("2026-12-01T07:00:05Z");
        assert_eq!(parse_time("2026-12-01 10:00:05", msk), Ok(Some(want)));
        assert_eq!(parse_time("2026-12-01T10:00:05+03:00", msk), Ok(Some(want)));
        assert_eq!(parse_time("2026-12-01 10:00:05+0300", msk), Ok(Some(want)));
        assert_eq!(parse_time(&want.timestamp().to_string(), msk), Ok(Some(want)));
        let cel = parse_time("1796108405.250000", msk).unwrap().unwrap();
        assert_eq!(cel.timestamp_subsec_millis(), 250);
        assert_eq!(parse_time("", msk), Ok(None));
        assert_eq!(parse_time("0", msk), Ok(None));
        assert!(parse_time("yesterday", msk).is_err());
        assert!(parse_time("99999999999999999999", msk).is_err());
        assert!(parse_time("1.2.3", msk).is_err());
    }

    #[test]
    fn microsecond_epochs() {
        let t = parse_epoch("1796108405250000", 1_000_000).unwrap().unwrap();
        assert_eq!(t, utc("2026-12-01T07:00:05.25Z"));
        assert_eq!(parse_epoch("0", 1_000_000), Ok(None));
    }

    #[test]
    fn hashed_keys_depend_on_every_field_and_its_place() {
        assert_eq!(hash_key(["a", "b"]), hash_key(["a", "b"]));
        assert_ne!(hash_key(["a", "b"]), hash_key(["ab", ""]));
        assert_ne!(hash_key(["a", "b"]), hash_key(["b", "a"]));
    }

    #[test]
    fn a_leg_is_checked_and_completed() {
        let start = utc("2026-12-01T07:00:00Z");
        let raw = || RawLeg {
            leg_key: "k".into(),
            started_at: Some(start),
            duration_secs: Some(30),
            talk_secs: Some(20),
            disposition: Some(Disposition::Answered),
            ..RawLeg::default()
        };
        let leg = raw().finish(CdrFormat::Generic).unwrap();
        assert_eq!(leg.ended_at, utc("2026-12-01T07:00:30Z"));
        assert_eq!(leg.answered_at, Some(utc("2026-12-01T07:00:10Z")));
        assert_eq!(
            RawLeg { started_at: None, ..raw() }.finish(CdrFormat::Generic),
            Err("no start time".into())
        );
        assert_eq!(
            RawLeg { duration_secs: None, talk_secs: None, ..raw() }.finish(CdrFormat::Generic),
            Err("no end time".into())
        );
        let huge = RawLeg { duration_secs: Some(u64::MAX), ..raw() };
        assert_eq!(huge.finish(CdrFormat::Generic), Err("no end time".into()));
    }
}
