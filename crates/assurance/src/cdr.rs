//! Call detail records as PBXs write them, read into one shape.
//!
//! The parsers are sans-IO: bytes in, [`CdrLeg`]s out, never a panic on
//! input. One leg is one row of the PBX's own output (an Asterisk channel,
//! a FreeSWITCH call leg, a CSV line); a call that was transferred is
//! several legs sharing an external id (Asterisk `linkedid`).
//!
//! - [`asterisk`]: `cdr_csv` `Master.csv` (fixed columns, optional ones by
//!   `cdr.conf`);
//! - [`custom`]: `cdr_custom` / `cel_custom` by field name (CEL events folded
//!   into one leg per channel);
//! - [`freeswitch`]: `mod_json_cdr` documents;
//! - [`generic`]: any CSV through a [`GenericMapping`];
//! - [`detect`] guesses the format, [`parse`] dispatches on it;
//! - [`matching`]: legs grouped into calls ([`group_calls`]) and matched to
//!   the vault's conversations ([`match_calls`]).
//!
//! Every parser returns a [`Parsed`]: the legs it read and a [`RowError`]
//! (line, reason) per row it could not.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The formats `callvault cdr import` and `POST /v1/cdrs` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CdrFormat {
    /// Asterisk `cdr_csv` `Master.csv` (no header row, fixed columns).
    AsteriskCsv,
    /// Asterisk `cdr_custom` / `cel_custom` CSV whose fields are named by a
    /// header row or by the mapping's field list (CEL rows are folded into
    /// one leg per channel).
    AsteriskCustom,
    /// FreeSWITCH `mod_json_cdr`: one JSON document per call leg.
    FreeswitchJson,
    /// Any CSV with a header row and a column mapping.
    Generic,
}

/// How a leg ended, as the PBX says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Unknown,
}

/// An identifier a PBX gives a call or a leg, by kind, so that matching can
/// compare it with the conversation's own external ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegId {
    /// `asterisk_linkedid`, `asterisk_uniqueid`, `sip_call_id`,
    /// `freeswitch_uuid`, `freeswitch_bridge_uuid`, `external`.
    pub kind: String,
    pub value: String,
}

/// One leg of a call from a CDR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdrLeg {
    pub format: CdrFormat,
    /// Unique per PBX within its format: the idempotency key of an import.
    /// Asterisk CDRs: `uniqueid#sequence` (a channel can leave several
    /// CDRs); CEL: the channel's uniqueid; FreeSWITCH: the leg's uuid;
    /// generic: the mapping's id column; a row without such ids: `h:` and a
    /// hash of its fields.
    pub leg_key: String,
    /// Every id the row carries, the leg's own and its call's.
    pub ids: Vec<LegId>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// Talk time in seconds (Asterisk `billsec`, FreeSWITCH `billsec`).
    pub talk_secs: u64,
    pub disposition: Disposition,
}

pub mod asterisk;
pub mod custom;
pub mod freeswitch;
pub mod generic;
pub mod matching;

mod common;

pub use asterisk::AsteriskCsvLayout;
pub use custom::parse_field_list;
pub use generic::{GenericMapping, IdColumn, TimeFormat};
pub use matching::{
    CdrCall, ConversationCandidate, LegMatch, MatchConfig, MatchedBy, group_calls, match_calls,
};

/// One row (or document) of an input that could not be read, with the
/// 1-based line it starts on. The other rows of the input are still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line number of the row in the input; 0 when the problem is
    /// the input as a whole (an empty file, a missing header).
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What a parser read from one input: every leg it could read and every row
/// it could not. A bad row never loses the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub legs: Vec<CdrLeg>,
    pub errors: Vec<RowError>,
}

/// How to read an input, for every format; each parser looks only at the
/// options that concern it.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// The PBX's local time zone, for times written without an offset
    /// (Asterisk writes local time unless `usegmtime=yes`). Default UTC.
    pub tz: chrono::FixedOffset,
    /// Which optional columns `Master.csv` carries (`cdr.conf` `[csv]`).
    pub asterisk_csv: AsteriskCsvLayout,
    /// The field names of a `cdr_custom` / `cel_custom` file without a header
    /// row, in column order (see [`parse_field_list`]); `None`: the first row
    /// names the fields.
    pub custom_fields: Option<Vec<String>>,
    /// The column mapping of a generic CSV.
    pub generic: GenericMapping,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            tz: chrono::FixedOffset::east_opt(0).expect("zero offset is valid"),
            asterisk_csv: AsteriskCsvLayout::default(),
            custom_fields: None,
            generic: GenericMapping::default(),
        }
    }
}

/// Reads `input` as `format`. Never panics; rows that cannot be read are in
/// [`Parsed::errors`].
pub fn parse(format: CdrFormat, input: &[u8], opts: &ParseOptions) -> Parsed {
    match format {
        CdrFormat::AsteriskCsv => asterisk::parse(input, opts.tz, opts.asterisk_csv),
        CdrFormat::AsteriskCustom => custom::parse(input, opts.tz, opts.custom_fields.as_deref()),
        CdrFormat::FreeswitchJson => freeswitch::parse(input),
        CdrFormat::Generic => generic::parse(input, opts.tz, &opts.generic),
    }
}

/// Guesses the format of `input` from its first record, for `--format auto`:
/// a JSON object with `variables` is FreeSWITCH; a header row naming Asterisk
/// CDR or CEL fields is `cdr_custom`/CEL; a headerless row with `Master.csv`'s
/// column count, a date in the start column and a known disposition is
/// `cdr_csv`; any other header row is generic CSV. `None` when nothing fits
/// (a headerless custom file needs its field list and an explicit format).
pub fn detect(input: &[u8]) -> Option<CdrFormat> {
    let body = common::strip_bom(input);
    let first = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if matches!(body[first], b'{' | b'[') {
        // Look at the head only: a directory of large documents is detected
        // by its first file's first few kilobytes.
        let head = &body[first..body.len().min(first + 64 * 1024)];
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        return (has(b"\"variables\"") || has(b"\"callflow\"") || has(b"\"channel_data\""))
            .then_some(CdrFormat::FreeswitchJson);
    }
    let record = common::first_record(body)?;
    if custom::is_custom_header(&record) {
        return Some(CdrFormat::AsteriskCustom);
    }
    if asterisk::looks_like_master_csv(&record) {
        return Some(CdrFormat::AsteriskCsv);
    }
    generic::looks_like_header(&record).then_some(CdrFormat::Generic)
}
