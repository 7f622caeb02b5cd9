//! Reports: the summary of a window (counts and percentages), the findings
//! as a table or CSV, the daily completeness message.

use callvault_store::{AssuranceSummary, Finding};
use chrono::NaiveDate;
use serde::Serialize;

/// A count and its share of the calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub count: u64,
    /// Percent of the checked calls (100 when none was checked).
    pub percent: f64,
}

/// The summary of a window as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Answered calls.
    pub calls: u64,
    /// Of those, checked so far (the others have not settled yet).
    pub checked: u64,
    pub recorded_completely: Share,
    pub with_required_copies: Share,
    pub delivered: Share,
    /// Open findings by kind.
    pub open_findings: std::collections::BTreeMap<String, u64>,
}

impl From<AssuranceSummary> for Summary {
    fn from(s: AssuranceSummary) -> Self {
        let share = |n: u64| Share {
            count: n,
            percent: if s.checked == 0 {
                100.0
            } else {
                (n as f64 * 1000.0 / s.checked as f64).round() / 10.0
            },
        };
        Summary {
            calls: s.calls,
            checked: s.checked,
            recorded_completely: share(s.recorded),
            with_required_copies: share(s.copies),
            delivered: share(s.delivered),
            open_findings: s.open_findings.into_iter().collect(),
        }
    }
}

/// The summary as a few aligned lines.
pub fn summary_table(s: &Summary) -> String {
    let mut out =
        format!("calls answered        {:>8}\nchecked               {:>8}\n", s.calls, s.checked);
    for (name, share) in [
        ("recorded completely", s.recorded_completely),
        ("with required copies", s.with_required_copies),
        ("delivered", s.delivered),
    ] {
        out.push_str(&format!("{name:<21} {:>8}  {:>5.1} %\n", share.count, share.percent));
    }
    for (kind, n) in &s.open_findings {
        out.push_str(&format!("open {kind:<16} {n:>8}\n"));
    }
    out
}

/// The findings as a table, one per line.
pub fn findings_table(findings: &[Finding]) -> String {
    let mut out = format!("{:<17} {:<36} {:<20} {}\n", "KIND", "SUBJECT", "FIRST SEEN", "REASON");
    for f in findings {
        let subject = f
            .call_id
            .map(|c| format!("call {c}"))
            .or(f.recording_id.map(|r| format!("rec {r}")))
            .unwrap_or_default();
        let state = match (&f.resolved_at, &f.resolution) {
            (Some(at), Some(why)) => {
                format!(" [resolved {}: {why}]", at.format("%Y-%m-%d %H:%M:%S"))
            }
            (Some(at), None) => format!(" [resolved {}]", at.format("%Y-%m-%d %H:%M:%S")),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:<17} {:<36} {:<20} {}{state}\n",
            f.kind,
            subject,
            f.first_seen.format("%Y-%m-%d %H:%M:%S"),
            f.reason
        ));
    }
    out
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The findings as CSV with a header row.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut out = String::from(
        "id,kind,call_id,recording_id,conversation_id,reason,first_seen,last_seen,resolved_at,resolution\n",
    );
    for f in findings {
        let fields = [
            f.id.to_string(),
            f.kind.clone(),
            f.call_id.map(|c| c.to_string()).unwrap_or_default(),
            f.recording_id.map(|r| r.to_string()).unwrap_or_default(),
            f.conversation_id.map(|c| c.to_string()).unwrap_or_default(),
            f.reason.clone(),
            f.first_seen.to_rfc3339(),
            f.last_seen.to_rfc3339(),
            f.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            f.resolution.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|s| csv_field(s)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// The daily completeness report's text.
pub fn daily_message(tenant: &str, date: NaiveDate, s: &Summary, worst: &[Finding]) -> String {
    let mut out = format!(
        "Call recording completeness for {tenant} on {date}: {} answered calls; {:.1} % recorded \
         completely, {:.1} % with their required copies, {:.1} % delivered.",
        s.calls, s.recorded_completely.percent, s.with_required_copies.percent, s.delivered.percent
    );
    if !worst.is_empty() {
        out.push_str(" Open findings:");
        for f in worst {
            out.push_str(&format!(" [{}] {};", f.kind, f.reason));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_of_the_checked_calls() {
        let s = Summary::from(AssuranceSummary {
            calls: 4,
            checked: 3,
            recorded: 2,
            copies: 3,
            delivered: 1,
            open_findings: vec![("missing".into(), 1)],
        });
        assert_eq!(s.recorded_completely.percent, 66.7);
        assert_eq!(s.with_required_copies.percent, 100.0);
        assert_eq!(s.delivered.percent, 33.3);
        let t = summary_table(&s);
        assert!(t.contains("recorded completely          2   66.7 %"), "{t}");
        assert!(t.contains("open missing"), "{t}");
    }

    #[test]
    fn csv_quotes_what_it_must() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}

/// `24h`, `7d`, `30m`, `90s` back from `now`, or an RFC 3339 instant.
pub fn parse_since(
    s: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let bad = || format!("{s:?} is neither a span like 24h, 7d, 30m, 90s nor an RFC 3339 time");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3_600),
        "d" => n.saturating_mul(86_400),
        _ => return Err(bad()),
    };
    chrono::Duration::try_seconds(secs).map(|d| now - d).ok_or_else(bad)
}

/// A findings page position as an opaque string, and back.
pub fn encode_cursor(c: &callvault_store::FindingCursor) -> String {
    format!("{}_{}", c.first_seen.timestamp_micros(), c.id.simple())
}

pub fn decode_cursor(s: &str) -> Option<callvault_store::FindingCursor> {
    let (t, id) = s.split_once('_')?;
    Some(callvault_store::FindingCursor {
        first_seen: chrono::DateTime::from_timestamp_micros(t.parse().ok()?)?,
        id: uuid::Uuid::parse_str(id).ok()?,
    })
}

#[cfg(test)]
mod since_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn spans_and_times() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        assert_eq!(parse_since("24h", now).unwrap(), now - chrono::Duration::hours(24));
        assert_eq!(parse_since("7d", now).unwrap(), now - chrono::Duration::days(7));
        assert_eq!(
            parse_since("2026-12-01T10:00:00Z", now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
        );
        for bad in ["", "h", "24x", "-5h", "99999999999999999999d"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
        let c = callvault_store::FindingCursor { first_seen: now, id: uuid::Uuid::now_v7() };
        assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
        assert_eq!(decode_cursor("junk"), None);
    }
}
