//! Asterisk `cdr_custom` and `cel_custom`: CSV whose columns are named by
//! the PBX's own mapping (`cdr_custom.conf` / `cel_custom.conf`), given here
//! either as a header row or as the mapping's field list.
//!
//! A file whose fields include `eventtype` is CEL: one row per channel event
//! (`CHAN_START`, `ANSWER`, `BRIDGE_ENTER`, `HANGUP`, `CHAN_END`,
//! `LINKEDID_END`, ...), folded here into one leg per channel `uniqueid`.
//! Any other file is one CDR per row, like `Master.csv` but by name.
//!
//! Field names follow the configs' samples: the advanced `fields =` names
//! (`uniqueid(noquote)`, `start(int64)`, `"A literal"`) and the legacy
//! `${CSV_QUOTE(${CDR(src)})}` / `${CHANNEL(uniqueid)}` / `${eventtype}`
//! forms; names are case-insensitive and qualifiers are ignored (a time
//! written as `int64`/`double` is read as epoch seconds anyway).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};

use super::common::{self, RawLeg};
use super::{CdrFormat, CdrLeg, Disposition, Parsed, RowError};

/// The field names of a `cdr_custom.conf` / `cel_custom.conf` mapping, in
/// column order: either an advanced mapping's `fields = ...` value
/// (`clid,"Literal",src,uniqueid(noquote)`) or a legacy mapping
/// (`${CSV_QUOTE(${CDR(clid)})},${CSV_QUOTE(${CDR(src)})}`), with or
/// without the `fields =` / `Master.csv =>` in front.
pub fn parse_field_list(mapping: &str) -> Vec<String> {
    let mut body = mapping.trim();
    if let Some((head, rest)) = body.split_once("=>") {
        if !head.contains('$') {
            body = rest;
        }
    } else if let Some((head, rest)) = body.split_once('=')
        && head.trim().eq_ignore_ascii_case("fields")
    {
        body = rest;
    }
    split_top_level(body).iter().map(|piece| normalize_name(&legacy_name(piece))).collect()
}

/// Splits at commas outside parentheses, braces and double quotes.
fn split_top_level(s: &str) -> Vec<String> {
    let (mut pieces, mut current, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' | '{' if !quoted => depth += 1,
            ')' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 => {
                pieces.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    pieces.push(current);
    pieces
}

/// The field a legacy `${...}` piece reads; other pieces as they are.
fn legacy_name(piece: &str) -> String {
    let piece = piece.trim();
    if !piece.contains("${") {
        return piece.to_owned();
    }
    let upper = piece.to_ascii_uppercase();
    for (marker, prefix) in [("CDR(", ""), ("CHANNEL(", ""), ("CALLERID(", "cid")] {
        if let Some(at) = upper.rfind(marker) {
            let inner = &piece[at + marker.len()..];
            let end = inner.find([',', ')']).unwrap_or(inner.len());
            return format!("{prefix}{}", inner[..end].trim());
        }
    }
    let inner = piece.rsplit("${").next().unwrap_or(piece);
    inner.split('}').next().unwrap_or(inner).to_owned()
}

/// A field name as this module compares them: lowercase, without its
/// qualifier, with the configs' synonyms folded together. A literal stays
/// quoted so that it matches nothing.
fn normalize_name(name: &str) -> String {
    let name = name.trim();
    if name.starts_with('"') {
        return name.to_owned();
    }
    let bare = name.split('(').next().unwrap_or(name).trim().to_ascii_lowercase();
    let folded: String = bare.chars().filter(|c| *c != '_' && *c != '-' && *c != ' ').collect();
    match folded.as_str() {
        "name" | "cidname" => "cidname",
        "num" | "cidnum" => "cidnum",
        "ani" | "cidani" => "cidani",
        "rdnis" | "cidrdnis" => "cidrdnis",
        "dnid" | "ciddnid" => "ciddnid",
        "acctcode" | "accountcode" => "accountcode",
        "peeracct" | "peeraccount" => "peeraccount",
        "bridgepeer" | "peer" => "peer",
        "extra" | "eventextra" => "extra",
        "usereventname" | "userdeftype" => "userdeftype",
        "sipcallid" | "callid" => "sip_call_id",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// Whether a first record is a header naming Asterisk CDR or CEL fields.
pub(crate) fn is_custom_header(record: &[String]) -> bool {
    let names: Vec<String> = record.iter().map(|n| normalize_name(n)).collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    (has("uniqueid") || has("linkedid"))
        && (has("eventtype")
            || (has("start") && (has("billsec") || has("disposition") || has("end"))))
}

/// Picks the separator of a DSV file from its first line (the mapping's
/// `separator_character`): the most frequent of `,`, tab, `;` and `|`.
fn sniff_delimiter(input: &[u8]) -> u8 {
    let first = input.split(|b| *b == b'\n').next().unwrap_or(input);
    [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|d| (first.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',')
}

/// Reads a `cdr_custom` or CEL file. `fields` is the mapping's field list
/// for a file without a header row; `None` reads the header from the first
/// row.
pub fn parse(input: &[u8], tz: FixedOffset, fields: Option<&[String]>) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = common::csv_reader(input, sniff_delimiter(common::strip_bom(input)));
    let mut names: Option<Vec<String>> =
        fields.map(|f| f.iter().map(|n| normalize_name(n)).collect());
    let mut header_checked = false;
    let mut cel = Cel::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) if common::is_blank(&record) => continue,
            Ok(true) => {
                let line = common::line_of(&record);
                let values: Vec<String> = record.iter().map(common::text).collect();
                let Some(names) = names.as_ref() else {
                    names = Some(values.iter().map(|n| normalize_name(n)).collect());
                    continue;
                };
                if !header_checked {
                    header_checked = true;
                    // A file with a header read with its mapping: skip it.
                    if values.iter().map(|v| normalize_name(v)).eq(names.iter().cloned()) {
                        continue;
                    }
                }
                if values.len() != names.len() {
                    let reason =
                        format!("{} fields where the mapping has {}", values.len(), names.len());
                    parsed.errors.push(RowError { line, reason });
                    continue;
                }
                let row = Row { names, values: &values };
                if names.iter().any(|n| n == "eventtype") {
                    if let Err(reason) = cel.event(&row, line, tz) {
                        parsed.errors.push(RowError { line, reason });
                    }
                } else {
                    match cdr_row(&row, tz) {
                        Ok(leg) => parsed.legs.push(leg),
                        Err(reason) => parsed.errors.push(RowError { line, reason }),
                    }
                }
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                parsed.errors.push(RowError { line, reason: format!("unreadable csv: {error}") });
                break;
            }
        }
    }
    if names.is_none() {
        parsed.errors.push(RowError {
            line: 0,
            reason: "empty input: no header row and no field list".into(),
        });
    }
    cel.finish(&mut parsed);
    parsed
}

/// One row with its field names.
struct Row<'a> {
    names: &'a [String],
    values: &'a [String],
}

impl Row<'_> {
    fn get(&self, name: &str) -> &str {
        self.names.iter().position(|n| n == name).map_or("", |i| self.values[i].as_str())
    }

    fn time(&self, name: &str, tz: FixedOffset) -> Result<Option<DateTime<Utc>>, String> {
        common::parse_time(self.get(name), tz).map_err(|e| format!("{name}: {e}"))
    }

    fn secs(&self, name: &str) -> Result<Option<u64>, String> {
        common::parse_secs(self.get(name)).map_err(|e| format!("{name}: {e}"))
    }
}

fn cdr_row(row: &Row<'_>, tz: FixedOffset) -> Result<CdrLeg, String> {
    let (uniqueid, sequence) = (row.get("uniqueid"), row.get("sequence"));
    let disposition = row.get("disposition");
    let mut raw = RawLeg {
        leg_key: if !uniqueid.is_empty() && !sequence.is_empty() {
            format!("{uniqueid}#{sequence}")
        } else {
            common::hash_key(row.values.iter().map(String::as_str))
        },
        caller: common::non_empty(row.get("src")),
        callee: common::non_empty(row.get("dst")),
        started_at: row.time("start", tz)?,
        answered_at: row.time("answer", tz)?,
        ended_at: row.time("end", tz)?,
        duration_secs: row.secs("duration")?,
        talk_secs: row.secs("billsec")?,
        disposition: (!disposition.is_empty())
            .then(|| common::disposition_word(disposition).unwrap_or(Disposition::Unknown)),
        ..RawLeg::default()
    };
    raw.id("asterisk_uniqueid", uniqueid);
    raw.id("asterisk_linkedid", row.get("linkedid"));
    raw.id("sip_call_id", row.get("sip_call_id"));
    raw.finish(CdrFormat::AsteriskCustom)
}

/// CEL events folded per channel, in the order channels first appear.
#[derive(Default)]
struct Cel {
    channels: HashMap<String, Channel>,
    order: Vec<String>,
}

#[derive(Default)]
struct Channel {
    first_line: u64,
    linkedid: String,
    sip_call_id: String,
    caller: String,
    callee: String,
    started: Option<DateTime<Utc>>,
    answered: Option<DateTime<Utc>>,
    hangup: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
    earliest: Option<DateTime<Utc>>,
    hangup_cause: Option<i64>,
    dial_status: String,
}

impl Cel {
    fn event(&mut self, row: &Row<'_>, line: u64, tz: FixedOffset) -> Result<(), String> {
        let uniqueid = row.get("uniqueid");
        if uniqueid.is_empty() {
            return Err("cel event without a uniqueid".into());
        }
        let at = row.time("eventtime", tz)?.ok_or("cel event without an eventtime")?;
        let kind = row.get("eventtype").to_ascii_uppercase();
        if !self.channels.contains_key(uniqueid) {
            self.order.push(uniqueid.to_owned());
        }
        let chan = self
            .channels
            .entry(uniqueid.to_owned())
            .or_insert_with(|| Channel { first_line: line, ..Channel::default() });
        chan.earliest = Some(chan.earliest.map_or(at, |e| e.min(at)));
        for (slot, name) in
            [(&mut chan.linkedid, "linkedid"), (&mut chan.sip_call_id, "sip_call_id")]
        {
            if slot.is_empty() {
                *slot = row.get(name).to_owned();
            }
        }
        let dialled = [row.get("ciddnid"), row.get("exten")]
            .into_iter()
            .find(|x| !x.is_empty() && *x != "s")
            .unwrap_or("");
        match kind.as_str() {
            "CHAN_START" => {
                chan.started = Some(chan.started.map_or(at, |s| s.min(at)));
                chan.caller = row.get("cidnum").to_owned();
                chan.callee = dialled.to_owned();
            }
            "ANSWER" => chan.answered = Some(chan.answered.map_or(at, |a| a.min(at))),
            "HANGUP" => {
                chan.hangup = Some(at);
                if let Ok(extra) = serde_json::from_str::<serde_json::Value>(row.get("extra")) {
                    chan.hangup_cause =
                        extra.get("hangupcause").and_then(serde_json::Value::as_i64);
                    if let Some(status) =
                        extra.get("dialstatus").and_then(serde_json::Value::as_str)
                    {
                        status.clone_into(&mut chan.dial_status);
                    }
                }
            }
            "CHAN_END" => chan.ended = Some(at),
            _ => {}
        }
        if chan.caller.is_empty() {
            row.get("cidnum").clone_into(&mut chan.caller);
        }
        if chan.callee.is_empty() {
            dialled.clone_into(&mut chan.callee);
        }
        Ok(())
    }

    fn finish(self, parsed: &mut Parsed) {
        let Cel { mut channels, order } = self;
        for uniqueid in order {
            let Some(chan) = channels.remove(&uniqueid) else { continue };
            let line = chan.first_line;
            match chan.leg(&uniqueid) {
                Ok(leg) => parsed.legs.push(leg),
                Err(reason) => parsed.errors.push(RowError { line, reason }),
            }
        }
    }
}

impl Channel {
    fn leg(self, uniqueid: &str) -> Result<CdrLeg, String> {
        let Some(ended) = self.ended.or(self.hangup) else {
            return Err(format!(
                "channel {uniqueid} has no HANGUP or CHAN_END (still up, or the file was cut)"
            ));
        };
        let disposition = if self.answered.is_some() {
            Disposition::Answered
        } else {
            match (self.dial_status.to_ascii_uppercase().as_str(), self.hangup_cause) {
                ("BUSY", _) | (_, Some(17)) => Disposition::Busy,
                ("CONGESTION" | "CHANUNAVAIL", _)
                | (_, Some(1 | 3 | 21 | 27 | 34 | 38 | 41 | 42)) => Disposition::Failed,
                _ => Disposition::NoAnswer,
            }
        };
        let mut raw = RawLeg {
            leg_key: uniqueid.to_owned(),
            caller: common::non_empty(&self.caller),
            callee: common::non_empty(&self.callee),
            started_at: self.started.or(self.earliest),
            answered_at: self.answered,
            ended_at: Some(ended),
            disposition: Some(disposition),
            ..RawLeg::default()
        };
        raw.id("asterisk_uniqueid", uniqueid);
        raw.id("asterisk_linkedid", &self.linkedid);
        raw.id("sip_call_id", &self.sip_call_id);
        raw.finish(CdrFormat::AsteriskCustom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advanced_field_lists() {
        assert_eq!(
            parse_field_list(
                r#"fields = clid,"Some Literal",src, uniqueid(noquote), start(int64^noquote),AcctCode"#
            ),
            ["clid", "\"Some Literal\"", "src", "uniqueid", "start", "accountcode"]
        );
    }

    #[test]
    fn legacy_mappings() {
        let legacy = "Master.csv => ${CSV_QUOTE(${CDR(clid)})},${CSV_QUOTE(${CDR(billsec,f)})},\
                      ${CSV_QUOTE(${CALLERID(num)})},${CSV_QUOTE(${CHANNEL(uniqueid)})},${eventtype},${CDR(sequence)}";
        assert_eq!(
            parse_field_list(legacy),
            ["clid", "billsec", "cidnum", "uniqueid", "eventtype", "sequence"]
        );
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b"a,b;c"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
