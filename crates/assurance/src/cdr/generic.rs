//! Any CSV with a header row, read through a column mapping: a PBX or
//! carrier export that is neither Asterisk nor FreeSWITCH.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{self, RawLeg};
use super::{CdrFormat, CdrLeg, Disposition, Parsed, RowError};

/// Which header names give which field. A field left `None` is looked up
/// under its usual names (`id`, `caller`/`src`/`from`, `callee`/`dst`/`to`,
/// `start`, `answer`, `end`, `billsec`/`talk_secs`, `duration`,
/// `disposition`/`status`, `call_id`); header names compare
/// case-insensitively. Only a start time is required; the end comes from
/// `end`, else start + `duration`, else answer + talk time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenericMapping {
    /// The row's own id: the leg key and an `external` id. Without one the
    /// key is a hash of the row.
    pub id: Option<String>,
    /// The calling number.
    pub caller: Option<String>,
    /// The called number.
    pub callee: Option<String>,
    /// When the call started (required).
    pub start: Option<String>,
    /// When it was answered; empty or epoch 0 for unanswered.
    pub answer: Option<String>,
    /// When it ended.
    pub end: Option<String>,
    /// Talk (billable) seconds.
    pub talk_secs: Option<String>,
    /// Seconds from start to end.
    pub duration_secs: Option<String>,
    /// `answered`, `no answer`, `busy`, `failed` ... (see
    /// [`Disposition::from_word`]); without it, answered when the row has
    /// an answer time or talk time.
    pub disposition: Option<String>,
    /// The SIP Call-ID (id kind `sip_call_id`).
    pub call_id: Option<String>,
    /// More id columns, each with the kind it is matched as
    /// (`asterisk_linkedid`, `siprec_group`, `external`, ...).
    pub ids: Vec<IdColumn>,
    pub time_format: TimeFormat,
    /// The field separator; `,` when unset.
    pub delimiter: Option<char>,
}

/// A column holding an id of a given kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdColumn {
    /// The header name.
    pub column: String,
    /// The id kind its values are (`asterisk_linkedid`, `siprec_group` ...).
    pub kind: String,
}

/// How the time columns are written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Any of the others but a custom pattern: epoch seconds, RFC 3339, or
    /// `YYYY-MM-DD HH:MM:SS` in the configured time zone.
    #[default]
    Auto,
    /// `2026-12-01T10:00:00+03:00`.
    Rfc3339,
    /// Unix seconds, optionally with a fraction.
    EpochSeconds,
    /// Unix milliseconds.
    EpochMillis,
    /// A `strftime` pattern (chrono's) of a local time in the configured
    /// time zone, e.g. `%d.%m.%Y %H:%M:%S`.
    Pattern(String),
}

impl TimeFormat {
    fn parse(&self, s: &str, tz: FixedOffset) -> Result<Option<DateTime<Utc>>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        match self {
            TimeFormat::Auto => common::parse_time(s, tz),
            TimeFormat::Rfc3339 => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| format!("cannot read RFC 3339 time {s:?}: {e}")),
            TimeFormat::EpochSeconds => common::parse_epoch(s, 1),
            TimeFormat::EpochMillis => common::parse_epoch(s, 1000),
            TimeFormat::Pattern(pattern) => NaiveDateTime::parse_from_str(s, pattern)
                .map_err(|e| format!("cannot read time {s:?} as {pattern:?}: {e}"))
                .and_then(|naive| common::local(naive, tz))
                .map(Some),
        }
    }
}

/// The usual header names of each field, tried when the mapping names none.
const ALIASES: &[(&str, &[&str])] = &[
    ("id", &["id", "cdr_id", "record_id", "uniqueid", "uuid"]),
    ("caller", &["caller", "src", "from", "source", "calling", "caller_number", "a_number", "ani"]),
    (
        "callee",
        &["callee", "dst", "to", "destination", "called", "callee_number", "b_number", "dnis"],
    ),
    ("start", &["start", "start_time", "started_at", "start_stamp", "calldate", "date"]),
    ("answer", &["answer", "answer_time", "answered_at", "answer_stamp"]),
    ("end", &["end", "end_time", "ended_at", "end_stamp"]),
    ("talk_secs", &["billsec", "talk_secs", "talk_time", "billable", "talk"]),
    ("duration_secs", &["duration", "duration_secs", "total_secs"]),
    ("disposition", &["disposition", "status", "result", "hangup_cause"]),
    ("call_id", &["call_id", "sip_call_id", "callid"]),
];

/// The columns of each field, resolved against a header row.
struct Columns {
    id: Option<usize>,
    caller: Option<usize>,
    callee: Option<usize>,
    start: usize,
    answer: Option<usize>,
    end: Option<usize>,
    talk: Option<usize>,
    duration: Option<usize>,
    disposition: Option<usize>,
    call_id: Option<usize>,
    ids: Vec<(usize, String)>,
}

impl Columns {
    fn resolve(mapping: &GenericMapping, header: &[String]) -> Result<Self, String> {
        let find =
            |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim()));
        let column = |field: &str, named: &Option<String>| -> Result<Option<usize>, String> {
            match named {
                Some(name) => find(name)
                    .map(Some)
                    .ok_or_else(|| format!("no column {name:?} (mapped as {field})")),
                None => Ok(ALIASES
                    .iter()
                    .find(|(f, _)| *f == field)
                    .and_then(|(_, names)| names.iter().find_map(|n| find(n)))),
            }
        };
        let ids = mapping
            .ids
            .iter()
            .map(|c| {
                find(&c.column)
                    .map(|i| (i, c.kind.clone()))
                    .ok_or_else(|| format!("no id column {:?}", c.column))
            })
            .collect::<Result<_, _>>()?;
        Ok(Columns {
            id: column("id", &mapping.id)?,
            caller: column("caller", &mapping.caller)?,
            callee: column("callee", &mapping.callee)?,
            start: column("start", &mapping.start)?.ok_or("no start column in the header")?,
            answer: column("answer", &mapping.answer)?,
            end: column("end", &mapping.end)?,
            talk: column("talk_secs", &mapping.talk_secs)?,
            duration: column("duration_secs", &mapping.duration_secs)?,
            disposition: column("disposition", &mapping.disposition)?,
            call_id: column("call_id", &mapping.call_id)?,
            ids,
        })
    }
}

/// Whether a first record looks like a header: two or more names, none
/// empty, none a time or a number.
pub(crate) fn looks_like_header(record: &[String]) -> bool {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    record.len() >= 2
        && record.iter().all(|f| {
            !f.is_empty()
                && !f.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
                && !matches!(common::parse_time(f, utc), Ok(Some(_)))
        })
}

/// Reads a CSV with a header row through `mapping`.
pub fn parse(input: &[u8], tz: FixedOffset, mapping: &GenericMapping) -> Parsed {
    let mut parsed = Parsed::default();
    let delimiter = match mapping.delimiter {
        None => b',',
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => {
            parsed.errors.push(RowError {
                line: 0,
                reason: format!("delimiter {c:?} is not an ascii character"),
            });
            return parsed;
        }
    };
    let mut reader = common::csv_reader(input, delimiter);
    let mut record = csv::ByteRecord::new();
    let mut columns: Option<Columns> = None;
    let mut width = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if common::is_blank(&record) => continue,
            Ok(true) => {
                let line = common::line_of(&record);
                let values: Vec<String> = record.iter().map(common::text).collect();
                let Some(cols) = columns.as_ref() else {
                    match Columns::resolve(mapping, &values) {
                        Ok(resolved) => {
                            width = values.len();
                            columns = Some(resolved);
                            continue;
                        }
                        Err(reason) => {
                            // Without its columns no row can be read.
                            parsed
                                .errors
                                .push(RowError { line, reason: format!("header: {reason}") });
                            return parsed;
                        }
                    }
                };
                if values.len() != width {
                    let reason = format!("{} fields where the header has {width}", values.len());
                    parsed.errors.push(RowError { line, reason });
                    continue;
                }
                match row(cols, &values, tz, &mapping.time_format) {
                    Ok(leg) => parsed.legs.push(leg),
                    Err(reason) => parsed.errors.push(RowError { line, reason }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                parsed.errors.push(RowError { line, reason: format!("unreadable csv: {error}") });
                break;
            }
        }
    }
    if columns.is_none() {
        parsed.errors.push(RowError { line: 0, reason: "empty input: no header row".into() });
    }
    parsed
}

fn row(
    cols: &Columns,
    values: &[String],
    tz: FixedOffset,
    format: &TimeFormat,
) -> Result<CdrLeg, String> {
    let get = |i: Option<usize>| i.map_or("", |i| values[i].as_str());
    let time =
        |i: Option<usize>, what: &str| format.parse(get(i), tz).map_err(|e| format!("{what}: {e}"));
    let secs = |i: Option<usize>, what: &str| {
        common::parse_secs(get(i)).map_err(|e| format!("{what}: {e}"))
    };
    let id = get(cols.id);
    let disposition = get(cols.disposition);
    let mut raw = RawLeg {
        leg_key: if id.is_empty() {
            common::hash_key(values.iter().map(String::as_str))
        } else {
            id.to_owned()
        },
        caller: common::non_empty(get(cols.caller)),
        callee: common::non_empty(get(cols.callee)),
        started_at: time(Some(cols.start), "start")?,
        answered_at: time(cols.answer, "answer")?,
        ended_at: time(cols.end, "end")?,
        talk_secs: secs(cols.talk, "talk time")?,
        duration_secs: secs(cols.duration, "duration")?,
        disposition: if disposition.is_empty() {
            None
        } else {
            Some(
                common::disposition_word(disposition)
                    .ok_or_else(|| format!("unknown disposition {disposition:?}"))?,
            )
        },
        ..RawLeg::default()
    };
    raw.id("external", id);
    raw.id("sip_call_id", get(cols.call_id));
    for (column, kind) in &cols.ids {
        raw.id(kind, &values[*column]);
    }
    raw.finish(CdrFormat::Generic)
}

impl Disposition {
    /// The disposition a word names, as CDR exports write them
    /// (`ANSWERED`, `NO ANSWER`, `busy`, `failed`, `congestion`, `missed`,
    /// Asterisk's numeric codes ...).
    pub fn from_word(word: &str) -> Option<Self> {
        common::disposition_word(word)
    }
}
