//! FreeSWITCH `mod_json_cdr`: one JSON document per call leg.
//!
//! `switch_ivr_generate_json_cdr` writes `core-uuid`, `switchname`,
//! `channel_data`, `callStats`, `variables` (every channel variable, as a
//! string, URL-encoded unless `encode-values=false`), `app_log` and
//! `callflow` (caller profiles with `times` in microseconds). The leg is
//! read from `variables`: `uuid`, `call_uuid` / `bridge_uuid` /
//! `originator` / `last_bridge_to` (the legs it was bridged to),
//! `sip_call_id`, `caller_id_number`, `destination_number`,
//! `start_uepoch`/`answer_uepoch`/`end_uepoch` (or the `_epoch` seconds),
//! `billsec` and `hangup_cause`; the first `callflow` profile fills what the
//! variables lack.
//!
//! An input is one document, several concatenated or separated by white
//! space (a directory read file by file and joined), or a JSON array of
//! documents (a collector's batch).

use serde_json::Value;

use super::common::{self, RawLeg};
use super::{CdrFormat, CdrLeg, Disposition, Parsed, RowError};

/// Reads every document of `input`. A document that is not JSON is reported
/// at the line it starts on, and reading resumes at the next line that
/// opens a document (`{` in the first column).
pub fn parse(input: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let input = common::strip_bom(input);
    let mut offset = 0usize;
    while offset < input.len() {
        let rest = &input[offset..];
        let Some(skip) = rest.iter().position(|b| !b.is_ascii_whitespace()) else { break };
        let start = offset + skip;
        let mut stream = serde_json::Deserializer::from_slice(&input[start..]).into_iter::<Value>();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let line = line_at(input, start);
                offset = start + stream.byte_offset().max(1);
                match value {
                    Value::Array(docs) => {
                        for doc in docs {
                            push(&mut parsed, line, leg(&doc));
                        }
                    }
                    doc => push(&mut parsed, line, leg(&doc)),
                }
            }
            Some(Err(error)) => {
                let line = line_at(input, start);
                parsed
                    .errors
                    .push(RowError { line, reason: format!("not a json document: {error}") });
                // Resume at the next line that opens a document.
                match input[start + 1..].windows(2).position(|w| w == b"\n{") {
                    Some(at) => offset = start + 1 + at + 1,
                    None => break,
                }
            }
        }
    }
    parsed
}

fn push(parsed: &mut Parsed, line: u64, leg: Result<CdrLeg, String>) {
    match leg {
        Ok(leg) => parsed.legs.push(leg),
        Err(reason) => parsed.errors.push(RowError { line, reason }),
    }
}

/// The 1-based line of byte `at`.
fn line_at(input: &[u8], at: usize) -> u64 {
    1 + input[..at].iter().filter(|b| **b == b'\n').count() as u64
}

/// Decodes `%XX` escapes (FreeSWITCH's `switch_url_encode`; a `+` stays a
/// plus, as it is one in a phone number). Invalid escapes stay as they are.
fn url_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) =
                (bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A variable or caller-profile field as decoded text ("" when absent).
/// Numbers are accepted too: some collectors re-encode the document.
fn string_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => url_decode(s).trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn leg(doc: &Value) -> Result<CdrLeg, String> {
    let vars = doc
        .get("variables")
        .filter(|v| v.is_object())
        .ok_or("no \"variables\" object: not a mod_json_cdr document")?;
    let profile = doc
        .get("callflow")
        .and_then(|c| match c {
            Value::Array(flows) => flows.first(),
            flow @ Value::Object(_) => Some(flow),
            _ => None,
        })
        .and_then(|flow| flow.get("caller_profile"));
    let var = |name: &str| string_of(vars.get(name));
    let prof = |name: &str| string_of(profile.and_then(|p| p.get(name)));
    let either =
        |v: &str, p: &str| Some(var(v)).filter(|s| !s.is_empty()).unwrap_or_else(|| prof(p));

    let uuid = either("uuid", "uuid");
    let time = |name: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        let micros = var(&format!("{name}_uepoch"));
        if !micros.is_empty() {
            return common::parse_epoch(&micros, 1_000_000)
                .map_err(|e| format!("{name}_uepoch: {e}"));
        }
        let secs = var(&format!("{name}_epoch"));
        if secs.is_empty() {
            return Ok(None);
        }
        common::parse_epoch(&secs, 1).map_err(|e| format!("{name}_epoch: {e}"))
    };
    let mut started_at = time("start")?;
    let mut answered_at = time("answer")?;
    let mut ended_at = time("end")?;
    // The caller profile's times (microseconds) when the variables lack them.
    let times = doc
        .get("callflow")
        .and_then(|c| c.as_array().and_then(|a| a.first()).or(Some(c)))
        .and_then(|flow| flow.get("times"));
    let profile_time = |name: &str| {
        let raw = string_of(times.and_then(|t| t.get(name)));
        if raw.is_empty() {
            Ok(None)
        } else {
            common::parse_epoch(&raw, 1_000_000).map_err(|e| format!("{name}: {e}"))
        }
    };
    if started_at.is_none() {
        started_at = profile_time("created_time")?;
    }
    if answered_at.is_none() {
        answered_at = profile_time("answered_time")?;
    }
    if ended_at.is_none() {
        ended_at = profile_time("hangup_time")?;
    }
    let talk_secs = common::parse_secs(&var("billsec")).map_err(|e| format!("billsec: {e}"))?;
    let duration_secs =
        common::parse_secs(&var("duration")).map_err(|e| format!("duration: {e}"))?;
    let disposition = if answered_at.is_some() || talk_secs.unwrap_or(0) > 0 {
        Disposition::Answered
    } else {
        hangup_disposition(&var("hangup_cause"))
    };
    let mut raw = RawLeg {
        leg_key: uuid.clone(),
        caller: common::non_empty(&either("caller_id_number", "caller_id_number")),
        callee: common::non_empty(&either("destination_number", "destination_number")),
        started_at,
        answered_at,
        ended_at,
        talk_secs,
        duration_secs,
        disposition: Some(disposition),
        ..RawLeg::default()
    };
    raw.id("freeswitch_uuid", &uuid);
    for name in [
        "call_uuid",
        "bridge_uuid",
        "originator",
        "originating_leg_uuid",
        "last_bridge_to",
        "signal_bond",
    ] {
        let other = var(name);
        if other != uuid {
            raw.id("freeswitch_bridge_uuid", &other);
        }
    }
    raw.id("sip_call_id", &var("sip_call_id"));
    raw.finish(CdrFormat::FreeswitchJson)
}

/// How an unanswered leg ended, from its `hangup_cause` (Q.850 names).
fn hangup_disposition(cause: &str) -> Disposition {
    match cause.trim().to_ascii_uppercase().as_str() {
        "USER_BUSY" => Disposition::Busy,
        "NO_ANSWER" | "NO_USER_RESPONSE" | "ORIGINATOR_CANCEL" | "NORMAL_CLEARING"
        | "ALLOTTED_TIMEOUT" | "LOSE_RACE" | "PICKED_OFF" | "ATTENDED_TRANSFER"
        | "BLIND_TRANSFER" => Disposition::NoAnswer,
        "" => Disposition::Unknown,
        "CALL_REJECTED"
        | "UNALLOCATED_NUMBER"
        | "NO_ROUTE_DESTINATION"
        | "NO_ROUTE_TRANSIT_NET"
        | "DESTINATION_OUT_OF_ORDER"
        | "INVALID_NUMBER_FORMAT"
        | "NETWORK_OUT_OF_ORDER"
        | "NORMAL_TEMPORARY_FAILURE"
        | "SWITCH_CONGESTION"
        | "NORMAL_CIRCUIT_CONGESTION"
        | "RECOVERY_ON_TIMER_EXPIRE"
        | "MEDIA_TIMEOUT"
        | "INCOMPATIBLE_DESTINATION"
        | "SERVICE_UNAVAILABLE"
        | "SUBSCRIBER_ABSENT"
        | "GATEWAY_DOWN"
        | "EXCHANGE_ROUTING_ERROR"
        | "MANDATORY_IE_MISSING"
        | "PROTOCOL_ERROR"
        | "INTERWORKING"
        | "UNREGISTERED"
        | "DESTINATION_UNREACHABLE" => Disposition::Failed,
        _ => Disposition::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_decoding_keeps_plus_and_bad_escapes() {
        assert_eq!(url_decode("%2B79123456789"), "+79123456789");
        assert_eq!(url_decode("+7 912"), "+7 912");
        assert_eq!(url_decode("2026-12-01%2010%3A00%3A00"), "2026-12-01 10:00:00");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn hangup_causes() {
        assert_eq!(hangup_disposition("USER_BUSY"), Disposition::Busy);
        assert_eq!(hangup_disposition("NO_ANSWER"), Disposition::NoAnswer);
        assert_eq!(hangup_disposition("UNALLOCATED_NUMBER"), Disposition::Failed);
        assert_eq!(hangup_disposition("SOMETHING_NEW"), Disposition::Unknown);
    }

    #[test]
    fn a_broken_document_loses_only_itself() {
        let input = b"{\"variables\": {\"uuid\": \"a\", \"start_epoch\": \"1796108400\", \"end_epoch\": \"1796108410\"}}\n{\"variables\": \n{\"variables\": {\"uuid\": \"b\", \"start_epoch\": \"1796108400\", \"end_epoch\": \"1796108410\"}}\n";
        let parsed = parse(input);
        assert_eq!(parsed.legs.iter().map(|l| l.leg_key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].line, 2);
    }
}
