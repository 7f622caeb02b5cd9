//! Arbitrary bytes as a generic CSV read by its usual header names, then
//! grouped and matched against conversations made from the legs
//! themselves: never a panic, never one leg matched twice.
#![no_main]

use callvault_assurance::cdr::{self, ConversationCandidate, GenericMapping, MatchConfig};
use callvault_model::{ConversationId, ExternalId};
use chrono::FixedOffset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tz = FixedOffset::west_opt(5 * 3600).expect("valid offset");
    let parsed = cdr::generic::parse(data, tz, &GenericMapping::default());
    for leg in &parsed.legs {
        assert!(leg.started_at <= leg.ended_at);
    }
    let candidates: Vec<ConversationCandidate> = parsed
        .legs
        .iter()
        .enumerate()
        .map(|(i, leg)| ConversationCandidate {
            conversation_id: ConversationId(uuid::Uuid::from_u128(i as u128 % 3)),
            external_ids: leg
                .ids
                .iter()
                .map(|id| ExternalId::new(id.kind.clone(), id.value.clone()))
                .collect(),
            number_tails: ConversationCandidate::tails(leg.caller.as_deref()),
            started_at: leg.answered_at.unwrap_or(leg.started_at),
            ended_at: Some(leg.ended_at),
        })
        .collect();
    let calls = cdr::group_calls(parsed.legs);
    let matches = cdr::match_calls(&calls, &candidates, &MatchConfig::default());
    let mut keys: Vec<(&str, cdr::CdrFormat)> =
        matches.iter().map(|m| (m.leg_key.as_str(), m.format)).collect();
    let n = keys.len();
    keys.sort_unstable_by_key(|k| k.0);
    keys.dedup();
    assert_eq!(keys.len(), n, "a leg matched twice");
});
