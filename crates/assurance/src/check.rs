//! What one answered call lacks, decided from what the catalog holds.
//!
//! Pure: a call, the facts of its conversation (if it matched one) and the
//! time in; the verdict out ([`assess`]). No I/O, no clock.

use std::time::Duration;

use callvault_store::{Call, CallCheck, ConversationFacts, DeliveryFacts, NewFinding};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::AssuranceSection;

/// What [`assess`] tolerates.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub tolerance: Duration,
    pub gap_limit: Duration,
    pub recheck: Duration,
    pub give_up: Duration,
    /// The verified copies each recording must have: the tenant's storage
    /// policy (else the default policy's), set per tenant by the pass.
    pub required_copies: u32,
}

impl From<&AssuranceSection> for Limits {
    fn from(c: &AssuranceSection) -> Self {
        Self {
            tolerance: Duration::from_millis(c.tolerance_millis),
            gap_limit: Duration::from_millis(c.gap_limit_millis),
            recheck: Duration::from_secs(c.recheck_secs),
            give_up: Duration::from_secs(c.give_up_secs),
            required_copies: 1,
        }
    }
}

/// A span in seconds, as reasons print it.
fn secs(d: f64) -> String {
    format!("{d:.1} s")
}

/// A long span as reasons print it: `3 days`, `5 h`, `12 min`.
fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 3_600 {
        format!("{} h", s / 3_600)
    } else if s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// How a recording ended, in words, from its flags.
fn ending(flags: &[String]) -> Option<&'static str> {
    flags.iter().find_map(|f| match f.as_str() {
        "ended_rtp_timeout" => Some("ended by RTP timeout"),
        "ended_hold_timeout" => Some("the SRC never sent BYE; ended by hold timeout"),
        "ended_src_unreachable" => Some("the SRC stopped answering; ended as unreachable"),
        "ended_out_of_order_bye" => Some("ended by an out-of-order BYE"),
        "ended_max_duration" => Some("ended at the maximum session duration"),
        "ended_session_timer" => Some("the SRC never refreshed the session; ended by its timer"),
        "capture_gap" => Some("the capture lost packets"),
        _ => None,
    })
}

/// The seconds of `[from, to)` covered by the union of `spans`.
fn covered(mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> f64 {
    spans.sort();
    let mut total = 0i64;
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (s, e) in spans {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += (ce - cs).num_milliseconds();
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = current {
        total += (ce - cs).num_milliseconds();
    }
    total.max(0) as f64 / 1000.0
}

/// The talk time of a call in seconds: the PBX's billed seconds, else the
/// span from answer to end.
pub fn talk_secs(call: &Call) -> f64 {
    if call.talk_secs > 0 {
        return call.talk_secs as f64;
    }
    call.answered_at
        .map(|a| (call.ended_at - a).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0)
}

/// The verdict on one call.
pub fn assess(
    call: &Call,
    facts: Option<&ConversationFacts>,
    limits: &Limits,
    now: DateTime<Utc>,
) -> CallCheck {
    let mut findings = Vec::new();
    let mut resolutions = Vec::new();
    let mut waiting = false;
    let talk = talk_secs(call);
    let tolerance = limits.tolerance.as_secs_f64();

    let recordings = facts.map(|f| f.recordings.as_slice()).unwrap_or_default();
    // A recording exists.
    let recorded = if recordings.is_empty() {
        let no_media = facts.and_then(|f| {
            f.events
                .iter()
                .find(|e| e.kind == "no_media")
                .and_then(|e| e.detail.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
        });
        let reason = match (&call.no_audio_reason, no_media, facts) {
            (Some(r), _, _) => r.clone(),
            (None, Some(r), _) => r,
            (None, None, Some(_)) => "the conversation has no recording".to_owned(),
            (None, None, None) => "no recording: no conversation matches this call".to_owned(),
        };
        findings.push(NewFinding {
            kind: "missing".into(),
            reason,
            detail: json!({
                "talk_secs": talk,
                "conversation_id": facts.map(|f| f.conversation_id.0),
                "source": call.source,
            }),
        });
        false
    } else {
        let ids: Vec<String> = recordings.iter().map(|r| r.id.0.to_string()).collect();
        resolutions.push(("missing".to_owned(), format!("recording {} arrived", ids.join(", "))));
        // It covers the talk time, without long gaps.
        let spans = recordings
            .iter()
            .map(|r| {
                let d = chrono::Duration::milliseconds(r.duration_ms as i64);
                (r.started_at, r.started_at + d)
            })
            .collect();
        let have = covered(spans);
        let lost = (talk - have).max(0.0);
        let crash = recordings.iter().any(|r| r.flags.iter().any(|f| f == "cut_by_crash"));
        let gaps: Vec<(DateTime<Utc>, f64)> = facts
            .map(|f| f.events.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|e| e.kind == "media_gap")
            .filter_map(|e| {
                let ms = e.detail.get("duration_ms")?.as_u64()?;
                (ms > limits.gap_limit.as_millis() as u64).then_some((e.at, ms as f64 / 1000.0))
            })
            .collect();
        let short = lost > tolerance;
        if short || crash || !gaps.is_empty() {
            let ended = recordings.iter().find_map(|r| ending(&r.flags));
            let mut reason = if crash {
                if short {
                    format!("cut by crash: {} lost", secs(lost))
                } else {
                    "cut by crash: the rest of the call was not observed".to_owned()
                }
            } else if short {
                format!(
                    "the recording covers {} of {} talk time: {} lost",
                    secs(have),
                    secs(talk),
                    secs(lost)
                )
            } else {
                let total: f64 = gaps.iter().map(|g| g.1).sum();
                format!(
                    "{} media gap(s) longer than {}: {} without audio",
                    gaps.len(),
                    secs(limits.gap_limit.as_secs_f64()),
                    secs(total)
                )
            };
            if let Some(e) = ended {
                reason.push_str("; ");
                reason.push_str(e);
            }
            findings.push(NewFinding {
                kind: "incomplete".into(),
                reason,
                detail: json!({
                    "talk_secs": talk,
                    "recorded_secs": have,
                    "lost_secs": lost,
                    "cut_by_crash": crash,
                    "gaps": gaps.iter().map(|(at, s)| json!({"at": at, "secs": s})).collect::<Vec<_>>(),
                }),
            });
        } else {
            resolutions.push((
                "incomplete".to_owned(),
                format!("the recordings cover {} of {} talk time", secs(have), secs(talk)),
            ));
        }
        !(short || crash || !gaps.is_empty())
    };

    // Its required verified copies.
    let required = limits.required_copies.max(1);
    let lacking: Vec<_> = recordings.iter().filter(|r| r.verified_copies < required).collect();
    let copies = !recordings.is_empty() && lacking.is_empty();
    if !lacking.is_empty() {
        let r = lacking[0];
        findings.push(NewFinding {
            kind: "under_replicated".into(),
            reason: format!(
                "recording {} has {} of {} required verified copies",
                r.id, r.verified_copies, required
            ),
            detail: json!({
                "recordings": lacking.iter().map(|r| json!({"id": r.id.0, "verified": r.verified_copies})).collect::<Vec<_>>(),
                "required": required,
            }),
        });
    } else if !recordings.is_empty() {
        resolutions.push((
            "under_replicated".to_owned(),
            format!("every recording has its {required} verified copies"),
        ));
    }

    // Every destination delivered, or still within its retry window.
    let deliveries = facts.map(|f| f.deliveries.as_slice()).unwrap_or_default();
    let (failed, pending) = undelivered(deliveries, now);
    waiting |= pending > 0;
    if !failed.is_empty() {
        findings.push(NewFinding {
            kind: "undelivered".into(),
            reason: failed.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>().join("; "),
            detail: json!({ "destinations": failed.iter().map(|(d, _)| d).collect::<Vec<_>>() }),
        });
    } else if !deliveries.is_empty() && pending == 0 {
        resolutions.push(("undelivered".to_owned(), "delivered to every destination".to_owned()));
    }
    let delivered = !recordings.is_empty() && failed.is_empty() && pending == 0;

    let since_end = now - call.ended_at;
    let give_up = chrono::Duration::from_std(limits.give_up).unwrap_or(chrono::Duration::MAX);
    let next_check_at = if (findings.is_empty() && !waiting) || since_end > give_up {
        None
    } else {
        Some(now + chrono::Duration::from_std(limits.recheck).unwrap_or(chrono::Duration::zero()))
    };
    if call.checked_at.is_none() {
        // Never checked: it has no finding to resolve.
        resolutions.clear();
    }
    CallCheck {
        tenant_id: call.tenant_id,
        call_id: call.id,
        conversation_id: facts.map(|f| f.conversation_id),
        recorded,
        copies,
        delivered,
        findings,
        resolutions,
        next_check_at,
    }
}

/// The destinations that failed (id, reason) and how many are still
/// retrying. A destination is delivered when any of its deliveries of the
/// conversation is; skipped and cancelled ones (a filter, a deleted
/// destination) count as neither.
fn undelivered(deliveries: &[DeliveryFacts], now: DateTime<Utc>) -> (Vec<(String, String)>, usize) {
    let mut by_destination: Vec<(uuid::Uuid, Vec<&DeliveryFacts>)> = Vec::new();
    for d in deliveries {
        match by_destination.iter_mut().find(|(id, _)| *id == d.destination_id) {
            Some((_, list)) => list.push(d),
            None => by_destination.push((d.destination_id, vec![d])),
        }
    }
    let mut failed = Vec::new();
    let mut pending = 0;
    for (id, list) in by_destination {
        if list.iter().any(|d| matches!(d.state.as_str(), "delivered" | "verified")) {
            continue;
        }
        let live = list.iter().find(|d| {
            matches!(d.state.as_str(), "pending" | "in_flight" | "retry_wait")
                && now < d.age_from + chrono::Duration::seconds(d.max_age_secs as i64)
        });
        if live.is_some() {
            pending += 1;
            continue;
        }
        let Some(worst) = list
            .iter()
            .filter(|d| !matches!(d.state.as_str(), "skipped" | "cancelled"))
            .max_by_key(|d| d.updated_at)
        else {
            continue;
        };
        let what = match (worst.state.as_str(), &worst.last_error) {
            ("no_match", _) => "the CRM found no matching contact".to_owned(),
            (_, Some(e)) => e.clone(),
            (state, None) => format!(
                "{state} after {} attempt{}",
                worst.attempts,
                if worst.attempts == 1 { "" } else { "s" }
            ),
        };
        // How long the call has gone without reaching this destination.
        let reason = format!(
            "{} ({}): {}; undelivered for {}",
            worst.destination,
            worst.destination_kind,
            what,
            human(now.max(worst.age_from) - worst.age_from)
        );
        failed.push((id.to_string(), reason));
    }
    (failed, pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::{ConversationId, RecordingId, TenantId};
    use callvault_store::{EventFacts, RecordingFacts};
    use chrono::TimeZone;
    use uuid::Uuid;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn call(talk: u64, checked: bool) -> Call {
        Call {
            id: Uuid::now_v7(),
            tenant_id: TenantId(Uuid::now_v7()),
            source: "cdr:asterisk_csv".into(),
            leg_key: "1".into(),
            ids: vec![],
            caller: Some("+79123456789".into()),
            callee: Some("101".into()),
            caller_tail: Some("9123456789".into()),
            callee_tail: Some("101".into()),
            started_at: t(0),
            answered_at: Some(t(5)),
            ended_at: t(5 + talk as i64),
            talk_secs: talk,
            disposition: "answered".into(),
            conversation_id: None,
            no_audio_reason: None,
            checked_at: checked.then(|| t(1000)),
            next_check_at: None,
            created_at: t(0),
        }
    }

    fn facts(recordings: Vec<RecordingFacts>, events: Vec<EventFacts>) -> ConversationFacts {
        ConversationFacts {
            conversation_id: ConversationId(Uuid::now_v7()),
            started_at: t(5),
            ended_at: Some(t(65)),
            recordings,
            events,
            deliveries: vec![],
        }
    }

    fn rec(start: i64, ms: u64, flags: &[&str]) -> RecordingFacts {
        RecordingFacts {
            id: RecordingId(Uuid::now_v7()),
            started_at: t(start),
            ended_at: t(start) + chrono::Duration::milliseconds(ms as i64),
            duration_ms: ms,
            flags: flags.iter().map(|f| f.to_string()).collect(),
            source: "upload".into(),
            verified_copies: 1,
        }
    }

    fn limits() -> Limits {
        Limits::from(&AssuranceSection::default())
    }

    fn kinds(c: &CallCheck) -> Vec<&str> {
        c.findings.iter().map(|f| f.kind.as_str()).collect()
    }

    #[test]
    fn a_complete_recording_settles_the_call() {
        let f = facts(vec![rec(5, 59_000, &[])], vec![]);
        let c = assess(&call(60, true), Some(&f), &limits(), t(400));
        assert!(c.findings.is_empty(), "{:?}", c.findings);
        assert!(c.recorded && c.copies && c.delivered);
        assert_eq!(c.next_check_at, None);
        assert!(c.resolutions.iter().any(|(k, _)| k == "missing"));
    }

    #[test]
    fn no_conversation_is_missing_and_checked_again() {
        let c = assess(&call(60, false), None, &limits(), t(400));
        assert_eq!(kinds(&c), ["missing"]);
        assert_eq!(c.findings[0].reason, "no recording: no conversation matches this call");
        assert!(c.next_check_at.is_some());
        assert!(c.resolutions.is_empty(), "never checked: nothing to resolve");
    }

    #[test]
    fn the_capture_reason_is_kept() {
        let mut k = call(60, false);
        k.no_audio_reason = Some("capture saw no RTP for this call".into());
        let c = assess(&k, Some(&facts(vec![], vec![])), &limits(), t(400));
        assert_eq!(c.findings[0].reason, "capture saw no RTP for this call");
    }

    #[test]
    fn a_short_recording_is_incomplete_with_the_lost_seconds() {
        let f = facts(vec![rec(5, 40_000, &["cut_by_crash"])], vec![]);
        let c = assess(&call(60, false), Some(&f), &limits(), t(400));
        assert_eq!(kinds(&c), ["incomplete"]);
        assert_eq!(c.findings[0].reason, "cut by crash: 20.0 s lost");
        // Within the tolerance: complete.
        let f = facts(vec![rec(5, 58_500, &[])], vec![]);
        assert!(assess(&call(60, false), Some(&f), &limits(), t(400)).findings.is_empty());
    }

    #[test]
    fn long_gaps_count_against_a_recording() {
        let gap = EventFacts {
            kind: "media_gap".into(),
            at: t(20),
            detail: json!({"duration_ms": 8000}),
        };
        let f = facts(vec![rec(5, 60_000, &["ended_rtp_timeout"])], vec![gap]);
        let c = assess(&call(60, false), Some(&f), &limits(), t(400));
        assert_eq!(kinds(&c), ["incomplete"]);
        assert!(c.findings[0].reason.contains("8.0 s without audio"), "{}", c.findings[0].reason);
        assert!(c.findings[0].reason.ends_with("ended by RTP timeout"));
    }

    #[test]
    fn deliveries_fail_only_past_their_window() {
        let mut f = facts(vec![rec(5, 60_000, &[])], vec![]);
        let d = DeliveryFacts {
            destination_id: Uuid::now_v7(),
            destination: "mail".into(),
            destination_kind: "email".into(),
            event: "conversation.settled".into(),
            state: "retry_wait".into(),
            last_error: Some("SMTP 552 5.2.2 mailbox full".into()),
            attempts: 9,
            age_from: t(0),
            max_age_secs: 3 * 86_400,
            updated_at: t(3 * 86_400 - 60),
        };
        f.deliveries.push(d.clone());
        let c = assess(&call(60, false), Some(&f), &limits(), t(86_400));
        assert!(c.findings.is_empty());
        assert!(!c.delivered && c.next_check_at.is_some(), "still retrying: checked again");
        f.deliveries[0].state = "dead".into();
        let c = assess(&call(60, false), Some(&f), &limits(), t(3 * 86_400 + 10));
        assert_eq!(kinds(&c), ["undelivered"]);
        assert_eq!(
            c.findings[0].reason,
            "mail (email): SMTP 552 5.2.2 mailbox full; undelivered for 3 days"
        );
    }

    #[test]
    fn missing_copies_are_under_replicated() {
        let mut r = rec(5, 60_000, &[]);
        r.verified_copies = 0;
        let c = assess(&call(60, false), Some(&facts(vec![r], vec![])), &limits(), t(400));
        assert_eq!(kinds(&c), ["under_replicated"]);
        assert!(!c.copies);
    }
}
