//! Which conversation each call is: by a shared external id first (Asterisk
//! linkedid/uniqueid, SIP Call-ID, SIPREC group), failing that by a number's
//! last 10 digits and the conversation's start within a window of the
//! answer. Several calls may match one conversation (the legs of a
//! transfer). Pure.

use std::time::Duration;

use callvault_model::ConversationId;
use callvault_store::{Call, MatchCandidates};

/// The id values and number tails to look up for `calls`.
pub fn lookups(calls: &[Call]) -> (Vec<String>, Vec<String>) {
    let mut values: Vec<String> =
        calls.iter().flat_map(|c| c.ids.iter().map(|i| i.value.clone())).collect();
    values.sort();
    values.dedup();
    let mut tails: Vec<String> = calls
        .iter()
        .flat_map(|c| [c.caller_tail.clone(), c.callee_tail.clone()])
        .flatten()
        .filter(|t| t.len() >= 7)
        .collect();
    tails.sort();
    tails.dedup();
    (values, tails)
}

/// The conversation of each call (in order), None where nothing matches.
/// A call that already names its conversation keeps it.
pub fn match_calls(
    calls: &[Call],
    found: &MatchCandidates,
    window: Duration,
) -> Vec<Option<ConversationId>> {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::zero());
    calls
        .iter()
        .map(|call| {
            if let Some(c) = call.conversation_id {
                return Some(c);
            }
            // The most specific id first, in the order the call lists them.
            for id in &call.ids {
                if let Some((_, _, conv)) = found.by_id.iter().find(|(_, v, _)| *v == id.value) {
                    return Some(*conv);
                }
            }
            let at = call.answered_at.unwrap_or(call.started_at);
            let tails: Vec<&String> = [&call.caller_tail, &call.callee_tail]
                .into_iter()
                .flatten()
                .filter(|t| t.len() >= 7)
                .collect();
            found
                .by_number
                .iter()
                .filter(|(tail, _, started)| {
                    tails.contains(&tail) && (*started - at).abs() <= window
                })
                .min_by_key(|(_, conv, started)| ((*started - at).abs(), conv.0))
                .map(|(_, conv, _)| *conv)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::TenantId;
    use callvault_store::CallRef;
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn call(ids: &[(&str, &str)], caller: &str, answered: i64) -> Call {
        Call {
            id: Uuid::now_v7(),
            tenant_id: TenantId(Uuid::nil()),
            source: "cdr:generic".into(),
            leg_key: "k".into(),
            ids: ids
                .iter()
                .map(|(k, v)| CallRef { kind: k.to_string(), value: v.to_string() })
                .collect(),
            caller: Some(caller.into()),
            callee: None,
            caller_tail: callvault_store::number_tail(caller),
            callee_tail: None,
            started_at: t(answered - 5),
            answered_at: Some(t(answered)),
            ended_at: t(answered + 60),
            talk_secs: 60,
            disposition: "answered".into(),
            conversation_id: None,
            no_audio_reason: None,
            checked_at: None,
            next_check_at: None,
            created_at: t(0),
        }
    }

    #[test]
    fn ids_win_over_numbers_and_legs_share_a_conversation() {
        let a = ConversationId(Uuid::now_v7());
        let b = ConversationId(Uuid::now_v7());
        let found = MatchCandidates {
            by_id: vec![("asterisk_linkedid".into(), "1700.1".into(), a)],
            by_number: vec![("9123456789".into(), b, t(100))],
        };
        let calls = [
            call(&[("asterisk_linkedid", "1700.1")], "+7 912 345-67-89", 100),
            call(&[("asterisk_uniqueid", "1700.2"), ("asterisk_linkedid", "1700.1")], "101", 130),
            call(&[], "89123456789", 110),
            call(&[], "89123456789", 200),
        ];
        let m = match_calls(&calls, &found, Duration::from_secs(30));
        assert_eq!(m, [Some(a), Some(a), Some(b), None]);
    }

    #[test]
    fn the_nearest_conversation_in_time_wins() {
        let near = ConversationId(Uuid::now_v7());
        let far = ConversationId(Uuid::now_v7());
        let found = MatchCandidates {
            by_id: vec![],
            by_number: vec![("9123456789".into(), far, t(80)), ("9123456789".into(), near, t(98))],
        };
        let m = match_calls(&[call(&[], "+79123456789", 100)], &found, Duration::from_secs(30));
        assert_eq!(m, [Some(near)]);
    }
}
