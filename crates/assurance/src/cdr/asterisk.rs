//! Asterisk `cdr_csv`: `Master.csv`, no header row, fixed columns.
//!
//! `cdr/cdr_csv.c` (`build_csv_record`) writes, each quoted with `"` doubled
//! inside: accountcode, src, dst, dcontext, clid, channel, dstchannel,
//! lastapp, lastdata, start, answer, end, duration, billsec, disposition,
//! amaflags; then `uniqueid` if `loguniqueid=yes`, `userfield` if
//! `loguserfield=yes`, and `peeraccount`, `linkedid`, `sequence` if
//! `newcdrcolumns=yes` (all in `cdr.conf` `[csv]`; the first two are on in the
//! sample config, off in the code's defaults). Times are
//! `YYYY-MM-DD HH:MM:SS` in the PBX's local time (UTC with `usegmtime=yes`);
//! an unset answer time is an empty, unquoted field.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::common::{self, RawLeg};
use super::{CdrFormat, Parsed, RowError};

/// Which optional columns a `Master.csv` carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsteriskCsvLayout {
    /// From each row's column count; 17 and 20 columns are told apart by
    /// whether column 17 looks like a uniqueid (`[system-]1733050000.12`).
    #[default]
    Auto,
    /// As `cdr.conf` `[csv]` says; rows of another width are errors.
    Configured { loguniqueid: bool, loguserfield: bool, newcdrcolumns: bool },
}

/// The 16 columns every `Master.csv` row has.
const BASE_COLUMNS: usize = 16;
const START: usize = 9;
const DISPOSITION: usize = 14;

/// Where a row's optional columns are.
#[derive(Debug, PartialEq, Eq)]
struct Optional {
    uniqueid: Option<usize>,
    userfield: Option<usize>,
    /// peeraccount; linkedid and sequence follow it.
    new_columns: Option<usize>,
}

impl Optional {
    fn of(loguniqueid: bool, loguserfield: bool, newcdrcolumns: bool) -> (Self, usize) {
        let mut next = BASE_COLUMNS;
        let mut take = |on: bool, width: usize| {
            on.then(|| {
                next += width;
                next - width
            })
        };
        let layout = Optional {
            uniqueid: take(loguniqueid, 1),
            userfield: take(loguserfield, 1),
            new_columns: take(newcdrcolumns, 3),
        };
        (layout, next)
    }
}

/// The layout of one row of `width` columns.
fn layout_of(layout: AsteriskCsvLayout, width: usize, col16: &str) -> Result<Optional, String> {
    let (optional, expected) = match layout {
        AsteriskCsvLayout::Configured { loguniqueid, loguserfield, newcdrcolumns } => {
            Optional::of(loguniqueid, loguserfield, newcdrcolumns)
        }
        AsteriskCsvLayout::Auto => {
            let one = looks_like_uniqueid(col16);
            let flags = match width {
                16 => (false, false, false),
                17 => (one, !one, false),
                18 => (true, true, false),
                19 => (false, false, true),
                20 => (one, !one, true),
                21 => (true, true, true),
                _ => return Err(format!("{width} columns; Master.csv rows have 16 to 21")),
            };
            Optional::of(flags.0, flags.1, flags.2)
        }
    };
    if width != expected {
        return Err(format!("{width} columns where the configured layout has {expected}"));
    }
    Ok(optional)
}

/// An Asterisk uniqueid: epoch seconds, a dot, a counter, optionally after
/// `systemname-`.
pub(crate) fn looks_like_uniqueid(s: &str) -> bool {
    let tail = s.rsplit_once('-').map_or(s, |(_, t)| t);
    tail.split_once('.').is_some_and(|(secs, n)| {
        secs.len() >= 9
            && secs.bytes().all(|b| b.is_ascii_digit())
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether a headerless first record looks like a `Master.csv` row.
pub(crate) fn looks_like_master_csv(record: &[String]) -> bool {
    (BASE_COLUMNS..=BASE_COLUMNS + 5).contains(&record.len())
        && matches!(
            common::parse_time(&record[START], FixedOffset::east_opt(0).expect("zero offset")),
            Ok(Some(_))
        )
        && !record[DISPOSITION].is_empty()
        && !record[DISPOSITION].bytes().all(|b| b.is_ascii_digit())
        && common::disposition_word(&record[DISPOSITION]).is_some()
}

/// Reads a `Master.csv`. Rows of a wrong width, with an unreadable time or
/// without a start are reported with their line and skipped.
pub fn parse(input: &[u8], tz: FixedOffset, layout: AsteriskCsvLayout) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = common::csv_reader(input, b',');
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if common::is_blank(&record) => continue,
            Ok(true) => {
                let line = common::line_of(&record);
                match row(&record, tz, layout) {
                    Ok(leg) => parsed.legs.push(leg),
                    Err(reason) => parsed.errors.push(RowError { line, reason }),
                }
            }
            Err(error) => {
                parsed.errors.push(RowError { line, reason: format!("unreadable csv: {error}") });
                if !matches!(
                    error.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    parsed
}

fn row(
    record: &csv::ByteRecord,
    tz: FixedOffset,
    layout: AsteriskCsvLayout,
) -> Result<super::CdrLeg, String> {
    let fields: Vec<String> = record.iter().map(common::text).collect();
    let col16 = fields.get(BASE_COLUMNS).map_or("", String::as_str);
    let optional = layout_of(layout, fields.len(), col16)?;
    let get = |i: Option<usize>| i.and_then(|i| fields.get(i)).map_or("", String::as_str);
    let time = |i: usize, what: &str| {
        common::parse_time(&fields[i], tz).map_err(|e| format!("{what}: {e}"))
    };
    let secs =
        |i: usize, what: &str| common::parse_secs(&fields[i]).map_err(|e| format!("{what}: {e}"));

    let uniqueid = get(optional.uniqueid);
    let linkedid = get(optional.new_columns.map(|i| i + 1));
    let sequence = get(optional.new_columns.map(|i| i + 2));
    let mut raw = RawLeg {
        // A channel can leave several CDRs (one per party it dialled), so
        // the uniqueid alone is not a row's key; with the sequence it is.
        leg_key: if !uniqueid.is_empty() && !sequence.is_empty() {
            format!("{uniqueid}#{sequence}")
        } else {
            common::hash_key(fields.iter().map(String::as_str))
        },
        caller: common::non_empty(&fields[1]),
        callee: common::non_empty(&fields[2]),
        started_at: time(START, "start")?,
        answered_at: time(10, "answer")?,
        ended_at: time(11, "end")?,
        duration_secs: secs(12, "duration")?,
        talk_secs: secs(13, "billsec")?,
        disposition: Some(
            common::disposition_word(&fields[DISPOSITION]).unwrap_or(super::Disposition::Unknown),
        ),
        ..RawLeg::default()
    };
    raw.id("asterisk_uniqueid", uniqueid);
    raw.id("asterisk_linkedid", linkedid);
    raw.finish(CdrFormat::AsteriskCsv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniqueids_are_recognised() {
        assert!(looks_like_uniqueid("1733050000.12"));
        assert!(looks_like_uniqueid("pbx1-1733050000.12"));
        assert!(!looks_like_uniqueid("vip customer"));
        assert!(!looks_like_uniqueid("12.5"));
        assert!(!looks_like_uniqueid(""));
    }

    #[test]
    fn layouts_follow_the_column_count() {
        let auto = AsteriskCsvLayout::Auto;
        assert_eq!(
            layout_of(auto, 18, "1733050000.12"),
            Ok(Optional { uniqueid: Some(16), userfield: Some(17), new_columns: None })
        );
        assert_eq!(
            layout_of(auto, 17, "note"),
            Ok(Optional { uniqueid: None, userfield: Some(16), new_columns: None })
        );
        assert_eq!(
            layout_of(auto, 20, "1733050000.12"),
            Ok(Optional { uniqueid: Some(16), userfield: None, new_columns: Some(17) })
        );
        assert_eq!(
            layout_of(auto, 21, ""),
            Ok(Optional { uniqueid: Some(16), userfield: Some(17), new_columns: Some(18) })
        );
        assert!(layout_of(auto, 15, "").is_err());
        let configured = AsteriskCsvLayout::Configured {
            loguniqueid: true,
            loguserfield: false,
            newcdrcolumns: true,
        };
        assert_eq!(
            layout_of(configured, 20, "x"),
            Ok(Optional { uniqueid: Some(16), userfield: None, new_columns: Some(17) })
        );
        assert!(layout_of(configured, 21, "x").is_err());
    }
}
