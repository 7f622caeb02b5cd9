//! CDR legs grouped into calls, and calls matched to the vault's
//! conversations. Pure: the catalog reads the candidates, this decides.
//!
//! Rules, in order:
//! 1. **External ids.** A leg and a conversation sharing an id of the same
//!    kind match, whatever their times. A leg's own id (`asterisk_uniqueid`,
//!    `freeswitch_uuid`, `sip_call_id`) outranks an id of its whole call
//!    (`asterisk_linkedid`, `freeswitch_bridge_uuid`, `siprec_group`, ...);
//!    a FreeSWITCH bridge uuid is the uuid of another leg, so it is compared
//!    with conversations' `freeswitch_uuid`s too.
//! 2. **Numbers and time**, for legs no id matched: a conversation sharing
//!    at least one number (last 10 digits, [`callvault_store::number_tail`])
//!    with the leg, started within the tolerance of the leg's start or
//!    answer. More shared numbers win, then the closest start, then the
//!    closest end, then the smaller conversation id. A conversation matched
//!    to one call (by id or number) is not given to another by numbers.
//!
//! A conversation may match several legs (a transferred call); a leg never
//! matches more than one conversation. The result depends only on the
//! inputs' contents, not on their order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use callvault_model::{ConversationId, ExternalId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CdrFormat, CdrLeg, Disposition, LegId};

/// The legs of one call: legs sharing any id (a linkedid, a uniqueid, a
/// Call-ID, a FreeSWITCH uuid and another leg's bridge uuid), transitively.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdrCall {
    /// The leg key of the call's first leg (earliest start, then smallest
    /// key): stable when a later import adds legs to the call.
    pub call_key: String,
    /// By start time, then leg key.
    pub legs: Vec<CdrLeg>,
}

impl CdrCall {
    /// The first leg's start.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.legs.iter().map(|l| l.started_at).min().unwrap_or_default()
    }

    /// The first answer on any leg.
    pub fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.legs.iter().filter_map(|l| l.answered_at).min()
    }

    /// The last leg's end.
    pub fn ended_at(&self) -> DateTime<Utc> {
        self.legs.iter().map(|l| l.ended_at).max().unwrap_or_default()
    }

    /// Whether any leg was answered.
    pub fn answered(&self) -> bool {
        self.legs.iter().any(|l| l.disposition == Disposition::Answered)
    }

    /// The call's disposition: answered if any leg was, else the first
    /// leg's.
    pub fn disposition(&self) -> Disposition {
        if self.answered() {
            Disposition::Answered
        } else {
            self.legs.first().map_or(Disposition::Unknown, |l| l.disposition)
        }
    }

    /// Every id of every leg, once, sorted.
    pub fn ids(&self) -> Vec<LegId> {
        let mut ids: Vec<LegId> = self.legs.iter().flat_map(|l| l.ids.iter().cloned()).collect();
        ids.sort_by(|a, b| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)));
        ids.dedup();
        ids
    }

    /// The first leg's caller and callee.
    pub fn numbers(&self) -> (Option<&str>, Option<&str>) {
        self.legs.first().map_or((None, None), |l| (l.caller.as_deref(), l.callee.as_deref()))
    }
}

/// The kind an id is compared under: a FreeSWITCH bridge uuid names another
/// leg's uuid.
fn id_class(kind: &str) -> &str {
    match kind {
        "freeswitch_bridge_uuid" => "freeswitch_uuid",
        other => other,
    }
}

/// Ids of one leg rather than of its whole call: they match first.
fn is_leg_level(kind: &str) -> bool {
    matches!(kind, "asterisk_uniqueid" | "freeswitch_uuid" | "sip_call_id")
}

/// Groups legs into calls. Legs with the same format and leg key are one
/// leg (the first is kept). Calls come out by start time, then call key.
pub fn group_calls(legs: Vec<CdrLeg>) -> Vec<CdrCall> {
    let mut seen = HashSet::new();
    let legs: Vec<CdrLeg> =
        legs.into_iter().filter(|l| seen.insert((l.format, l.leg_key.clone()))).collect();
    let mut parent: Vec<usize> = (0..legs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, leg) in legs.iter().enumerate() {
        for id in &leg.ids {
            match first_with.get(&(id_class(&id.kind), id.value.as_str())) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first_with.insert((id_class(&id.kind), id.value.as_str()), i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..legs.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut slots: Vec<Option<CdrLeg>> = legs.into_iter().map(Some).collect();
    let mut calls: Vec<CdrCall> = groups
        .into_values()
        .map(|members| {
            let mut legs: Vec<CdrLeg> =
                members.into_iter().filter_map(|i| slots[i].take()).collect();
            legs.sort_by(|a, b| {
                (a.started_at, &a.leg_key, a.format as u8).cmp(&(
                    b.started_at,
                    &b.leg_key,
                    b.format as u8,
                ))
            });
            let call_key = legs.first().map(|l| l.leg_key.clone()).unwrap_or_default();
            CdrCall { call_key, legs }
        })
        .collect();
    calls.sort_by(|a, b| (a.started_at(), &a.call_key).cmp(&(b.started_at(), &b.call_key)));
    calls
}

/// A conversation the vault holds, as matching needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationCandidate {
    pub conversation_id: ConversationId,
    pub external_ids: Vec<ExternalId>,
    /// The last 10 digits of each of its numbers
    /// ([`callvault_store::number_tail`]); see [`ConversationCandidate::tails`].
    pub number_tails: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl ConversationCandidate {
    /// The sorted, distinct tails of `numbers`, for [`Self::number_tails`].
    pub fn tails<'a>(numbers: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut tails: Vec<String> =
            numbers.into_iter().filter_map(callvault_store::number_tail).collect();
        tails.sort();
        tails.dedup();
        tails
    }
}

/// How close in time a number match must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    /// The largest difference between a conversation's start and a leg's
    /// start or answer. Default 10 s.
    #[serde(with = "secs")]
    pub time_tolerance: Duration,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self { time_tolerance: Duration::from_secs(10) }
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// Why a leg matched its conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum MatchedBy {
    /// An id of this kind (the leg's kind) is on both.
    ExternalId { kind: String },
    /// Shared numbers, the conversation starting `offset_ms` after (negative:
    /// before) the leg's closest start or answer.
    NumbersAndTime { shared_numbers: usize, offset_ms: i64 },
}

/// One leg matched to one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegMatch {
    pub call_key: String,
    pub format: CdrFormat,
    pub leg_key: String,
    pub conversation_id: ConversationId,
    pub by: MatchedBy,
}

/// The conversation's start relative to the nearer of the leg's start and
/// answer, in milliseconds (positive: the conversation starts later).
fn offset_ms(leg: &CdrLeg, conv: &ConversationCandidate) -> i64 {
    [Some(leg.started_at), leg.answered_at]
        .into_iter()
        .flatten()
        .map(|t| (conv.started_at - t).num_milliseconds())
        .min_by_key(|d| (d.unsigned_abs(), *d))
        .unwrap_or(i64::MAX)
}

/// The end of a conversation against the leg's, for tie-breaking.
fn end_distance_ms(leg: &CdrLeg, conv: &ConversationCandidate) -> u64 {
    conv.ended_at.map_or(u64::MAX, |e| (e - leg.ended_at).num_milliseconds().unsigned_abs())
}

/// Matches every leg of `calls` to at most one of `candidates` (see the
/// module's rules). Matches come out in the calls' and legs' order.
pub fn match_calls(
    calls: &[CdrCall],
    candidates: &[ConversationCandidate],
    cfg: &MatchConfig,
) -> Vec<LegMatch> {
    let mut by_id: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (c, conv) in candidates.iter().enumerate() {
        for id in &conv.external_ids {
            by_id.entry((id_class(&id.kind), id.value.as_str())).or_default().push(c);
        }
    }
    // (call, leg) -> (candidate, rule)
    let mut chosen: BTreeMap<(usize, usize), (usize, MatchedBy)> = BTreeMap::new();
    // Which call each conversation was given to first (by call order).
    let mut owner: HashMap<usize, usize> = HashMap::new();

    // Rule 1: external ids.
    for (ci, call) in calls.iter().enumerate() {
        for (li, leg) in call.legs.iter().enumerate() {
            let best = leg
                .ids
                .iter()
                .flat_map(|id| {
                    by_id
                        .get(&(id_class(&id.kind), id.value.as_str()))
                        .into_iter()
                        .flatten()
                        .map(move |&c| (c, id))
                })
                .min_by_key(|(c, id)| {
                    let conv = &candidates[*c];
                    (
                        !is_leg_level(&id.kind),
                        offset_ms(leg, conv).unsigned_abs(),
                        end_distance_ms(leg, conv),
                        conv.conversation_id,
                        id.kind.clone(),
                    )
                });
            if let Some((c, id)) = best {
                chosen.insert((ci, li), (c, MatchedBy::ExternalId { kind: id.kind.clone() }));
                owner.entry(c).or_insert(ci);
            }
        }
    }

    // Rule 2: numbers and time, closest pairs first.
    let tolerance_ms = i64::try_from(cfg.time_tolerance.as_millis()).unwrap_or(i64::MAX);
    // Per tail, the conversations by start time: a company number shared
    // by every conversation must not make each leg look at all of them.
    let mut by_tail: HashMap<&str, Vec<(DateTime<Utc>, usize)>> = HashMap::new();
    for (c, conv) in candidates.iter().enumerate() {
        let mut tails: Vec<&str> = conv.number_tails.iter().map(String::as_str).collect();
        tails.sort_unstable();
        tails.dedup();
        for tail in tails {
            by_tail.entry(tail).or_default().push((conv.started_at, c));
        }
    }
    for list in by_tail.values_mut() {
        list.sort_unstable();
    }
    let tolerance =
        chrono::TimeDelta::from_std(cfg.time_tolerance).unwrap_or(chrono::TimeDelta::MAX);
    let mut pairs = Vec::new();
    for (ci, call) in calls.iter().enumerate() {
        for (li, leg) in call.legs.iter().enumerate() {
            if chosen.contains_key(&(ci, li)) {
                continue;
            }
            let tails = ConversationCandidate::tails(
                [leg.caller.as_deref(), leg.callee.as_deref()].into_iter().flatten(),
            );
            let mut shared: BTreeMap<usize, usize> = BTreeMap::new();
            for tail in &tails {
                let Some(list) = by_tail.get(tail.as_str()) else { continue };
                let mut near: Vec<usize> = Vec::new();
                for anchor in [Some(leg.started_at), leg.answered_at].into_iter().flatten() {
                    let from =
                        anchor.checked_sub_signed(tolerance).unwrap_or(DateTime::<Utc>::MIN_UTC);
                    let to =
                        anchor.checked_add_signed(tolerance).unwrap_or(DateTime::<Utc>::MAX_UTC);
                    let lo = list.partition_point(|(t, _)| *t < from);
                    let hi = list.partition_point(|(t, _)| *t <= to);
                    near.extend(list[lo..hi].iter().map(|(_, c)| *c));
                }
                near.sort_unstable();
                near.dedup();
                for c in near {
                    *shared.entry(c).or_default() += 1;
                }
            }
            for (c, count) in shared {
                let conv = &candidates[c];
                let offset = offset_ms(leg, conv);
                if offset.unsigned_abs() > tolerance_ms.unsigned_abs() {
                    continue;
                }
                let key = (
                    std::cmp::Reverse(count),
                    offset.unsigned_abs(),
                    end_distance_ms(leg, conv),
                    conv.conversation_id,
                    call.call_key.clone(),
                    leg.leg_key.clone(),
                );
                pairs.push((key, ci, li, c, count, offset));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, ci, li, c, count, offset) in pairs {
        if chosen.contains_key(&(ci, li)) || owner.get(&c).is_some_and(|&o| o != ci) {
            continue;
        }
        owner.insert(c, ci);
        chosen.insert(
            (ci, li),
            (c, MatchedBy::NumbersAndTime { shared_numbers: count, offset_ms: offset }),
        );
    }

    chosen
        .into_iter()
        .map(|((ci, li), (c, by))| {
            let leg = &calls[ci].legs[li];
            LegMatch {
                call_key: calls[ci].call_key.clone(),
                format: leg.format,
                leg_key: leg.leg_key.clone(),
                conversation_id: candidates[c].conversation_id,
                by,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_108_400 + secs, 0).unwrap()
    }

    fn leg(
        key: &str,
        ids: &[(&str, &str)],
        caller: &str,
        callee: &str,
        start: i64,
        answer: Option<i64>,
        end: i64,
    ) -> CdrLeg {
        CdrLeg {
            format: CdrFormat::AsteriskCsv,
            leg_key: key.into(),
            ids: ids.iter().map(|(k, v)| LegId { kind: (*k).into(), value: (*v).into() }).collect(),
            caller: Some(caller.into()),
            callee: Some(callee.into()),
            started_at: t(start),
            answered_at: answer.map(t),
            ended_at: t(end),
            talk_secs: answer.map_or(0, |a| (end - a) as u64),
            disposition: if answer.is_some() {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            },
        }
    }

    fn conv(
        n: u128,
        ids: &[(&str, &str)],
        numbers: &[&str],
        start: i64,
        end: i64,
    ) -> ConversationCandidate {
        ConversationCandidate {
            conversation_id: ConversationId(Uuid::from_u128(n)),
            external_ids: ids.iter().map(|(k, v)| ExternalId::new(*k, *v)).collect(),
            number_tails: ConversationCandidate::tails(numbers.iter().copied()),
            started_at: t(start),
            ended_at: Some(t(end)),
        }
    }

    fn cid(n: u128) -> ConversationId {
        ConversationId(Uuid::from_u128(n))
    }

    /// (leg key, conversation number, rule name) for compact assertions.
    fn summary(matches: &[LegMatch]) -> Vec<(String, u128, &'static str)> {
        matches
            .iter()
            .map(|m| {
                let rule = match m.by {
                    MatchedBy::ExternalId { .. } => "id",
                    MatchedBy::NumbersAndTime { .. } => "numbers",
                };
                (m.leg_key.clone(), m.conversation_id.0.as_u128(), rule)
            })
            .collect()
    }

    #[test]
    fn legs_group_by_shared_ids_transitively() {
        let legs = vec![
            leg(
                "c",
                &[("freeswitch_uuid", "C"), ("freeswitch_bridge_uuid", "A")],
                "1",
                "2",
                20,
                Some(21),
                60,
            ),
            leg("x", &[("asterisk_uniqueid", "X")], "5", "6", 5, None, 6),
            leg("a", &[("freeswitch_uuid", "A")], "1", "2", 0, Some(2), 60),
            leg(
                "b",
                &[("freeswitch_uuid", "B"), ("freeswitch_bridge_uuid", "A")],
                "1",
                "2",
                1,
                Some(2),
                20,
            ),
        ];
        let calls = group_calls(legs);
        let keys: Vec<(String, Vec<&str>)> = calls
            .iter()
            .map(|c| (c.call_key.clone(), c.legs.iter().map(|l| l.leg_key.as_str()).collect()))
            .collect();
        assert_eq!(keys, [("a".to_string(), vec!["a", "b", "c"]), ("x".to_string(), vec!["x"])]);
        assert_eq!(calls[0].answered_at(), Some(t(2)));
        assert_eq!(calls[0].ended_at(), t(60));
        assert!(calls[0].answered());
        assert_eq!(calls[1].disposition(), Disposition::NoAnswer);
    }

    #[test]
    fn duplicate_legs_are_one_leg() {
        let a = leg("a", &[], "1", "2", 0, None, 1);
        assert_eq!(group_calls(vec![a.clone(), a]).len(), 1);
    }

    #[test]
    fn ids_match_whatever_the_time() {
        let calls = group_calls(vec![leg(
            "a",
            &[("asterisk_linkedid", "L1")],
            "100",
            "200",
            0,
            Some(1),
            30,
        )]);
        let convs = [conv(1, &[("asterisk_linkedid", "L1")], &[], 3600, 3700)];
        assert_eq!(
            summary(&match_calls(&calls, &convs, &MatchConfig::default())),
            [("a".into(), 1, "id")]
        );
    }

    #[test]
    fn a_legs_own_id_beats_its_calls_id() {
        let calls = group_calls(vec![leg(
            "a",
            &[("asterisk_uniqueid", "U1"), ("asterisk_linkedid", "L1")],
            "100",
            "200",
            0,
            Some(1),
            30,
        )]);
        // The linkedid conversation starts closer, but the uniqueid is the
        // leg's own.
        let convs = [
            conv(1, &[("asterisk_linkedid", "L1")], &[], 1, 30),
            conv(2, &[("asterisk_uniqueid", "U1")], &[], 9, 30),
        ];
        let matches = match_calls(&calls, &convs, &MatchConfig::default());
        assert_eq!(matches[0].conversation_id, cid(2));
        assert_eq!(matches[0].by, MatchedBy::ExternalId { kind: "asterisk_uniqueid".into() });
    }

    #[test]
    fn bridge_uuids_find_the_other_legs_conversation() {
        let calls = group_calls(vec![leg(
            "b",
            &[("freeswitch_uuid", "B"), ("freeswitch_bridge_uuid", "A")],
            "1",
            "2",
            0,
            Some(1),
            9,
        )]);
        let convs = [conv(7, &[("freeswitch_uuid", "A")], &[], 0, 9)];
        let matches = match_calls(&calls, &convs, &MatchConfig::default());
        assert_eq!(matches[0].by, MatchedBy::ExternalId { kind: "freeswitch_bridge_uuid".into() });
    }

    #[test]
    fn numbers_match_within_the_tolerance_only() {
        let calls = group_calls(vec![leg("a", &[], "+7 912 345-67-89", "101", 0, Some(5), 60)]);
        let near = [conv(1, &[], &["89123456789", "101"], 14, 60)];
        let matches = match_calls(&calls, &near, &MatchConfig::default());
        assert_eq!(matches[0].by, MatchedBy::NumbersAndTime { shared_numbers: 2, offset_ms: 9000 });
        let far = [conv(1, &[], &["89123456789", "101"], 16, 60)];
        assert!(match_calls(&calls, &far, &MatchConfig::default()).is_empty());
        let wide = MatchConfig { time_tolerance: Duration::from_secs(30) };
        assert_eq!(match_calls(&calls, &far, &wide).len(), 1);
        // Exactly the tolerance away (from the answer) still matches.
        let edge = [conv(1, &[], &["89123456789"], 15, 60)];
        assert_eq!(match_calls(&calls, &edge, &MatchConfig::default()).len(), 1);
        let other_numbers = [conv(1, &[], &["111", "222"], 5, 60)];
        assert!(match_calls(&calls, &other_numbers, &MatchConfig::default()).is_empty());
    }

    #[test]
    fn the_closest_conversation_wins_and_ties_go_to_the_smaller_id() {
        let calls = group_calls(vec![leg("a", &[], "9123456789", "101", 0, Some(2), 60)]);
        let convs = [
            conv(1, &[], &["9123456789", "101"], 6, 60),
            conv(2, &[], &["9123456789", "101"], 3, 60),
        ];
        assert_eq!(match_calls(&calls, &convs, &MatchConfig::default())[0].conversation_id, cid(2));
        let tied = [
            conv(5, &[], &["9123456789", "101"], 3, 60),
            conv(4, &[], &["9123456789", "101"], 3, 60),
        ];
        assert_eq!(match_calls(&calls, &tied, &MatchConfig::default())[0].conversation_id, cid(4));
        // More shared numbers beat a closer start.
        let richer =
            [conv(1, &[], &["9123456789"], 2, 60), conv(2, &[], &["9123456789", "101"], 6, 60)];
        assert_eq!(
            match_calls(&calls, &richer, &MatchConfig::default())[0].conversation_id,
            cid(2)
        );
    }

    #[test]
    fn a_transfer_matches_one_conversation_with_all_its_legs() {
        let calls = group_calls(vec![
            leg(
                "a",
                &[("asterisk_uniqueid", "U1"), ("asterisk_linkedid", "U1")],
                "9123456789",
                "100",
                0,
                Some(1),
                90,
            ),
            leg(
                "b",
                &[("asterisk_uniqueid", "U2"), ("asterisk_linkedid", "U1")],
                "9123456789",
                "101",
                0,
                Some(1),
                30,
            ),
            leg(
                "c",
                &[("asterisk_uniqueid", "U3"), ("asterisk_linkedid", "U1")],
                "9123456789",
                "102",
                30,
                Some(32),
                90,
            ),
        ]);
        assert_eq!(calls.len(), 1);
        let convs = [conv(1, &[("asterisk_linkedid", "U1")], &["9123456789"], 1, 90)];
        let matches = match_calls(&calls, &convs, &MatchConfig::default());
        assert_eq!(
            summary(&matches),
            [("a".into(), 1, "id"), ("b".into(), 1, "id"), ("c".into(), 1, "id")]
        );
    }

    #[test]
    fn a_conversation_is_not_given_to_two_calls() {
        // Two calls between the same numbers 4 s apart; one conversation
        // between them: it goes to the closer call, the other stays
        // unmatched.
        let calls = group_calls(vec![
            leg("first", &[], "9123456789", "101", 0, Some(1), 2),
            leg("second", &[], "9123456789", "101", 4, Some(5), 60),
        ]);
        let convs = [conv(1, &[], &["9123456789", "101"], 4, 60)];
        assert_eq!(
            summary(&match_calls(&calls, &convs, &MatchConfig::default())),
            [("second".into(), 1, "numbers")]
        );
        // Nor taken by numbers from the call whose id it carries.
        let calls = group_calls(vec![
            leg("idless", &[], "9123456789", "101", 0, Some(1), 60),
            leg("owner", &[("sip_call_id", "abc@pbx")], "9123456789", "101", 30, Some(31), 60),
        ]);
        let convs = [conv(1, &[("sip_call_id", "abc@pbx")], &["9123456789", "101"], 1, 60)];
        assert_eq!(
            summary(&match_calls(&calls, &convs, &MatchConfig::default())),
            [("owner".into(), 1, "id")]
        );
    }

    #[test]
    fn the_result_does_not_depend_on_input_order() {
        let legs = vec![
            leg("a", &[("asterisk_linkedid", "L")], "9123456789", "101", 0, Some(1), 60),
            leg("b", &[("asterisk_linkedid", "L")], "9123456789", "102", 20, Some(21), 60),
            leg("c", &[], "9000000001", "103", 100, Some(101), 160),
            leg("d", &[], "9000000001", "103", 103, Some(104), 160),
        ];
        let convs = vec![
            conv(1, &[("asterisk_linkedid", "L")], &[], 1, 60),
            conv(2, &[], &["9000000001", "103"], 102, 160),
            conv(3, &[], &["9000000001", "103"], 104, 160),
        ];
        let expected = match_calls(&group_calls(legs.clone()), &convs, &MatchConfig::default());
        assert_eq!(
            summary(&expected),
            [
                ("a".into(), 1, "id"),
                ("b".into(), 1, "id"),
                ("c".into(), 2, "numbers"),
                ("d".into(), 3, "numbers")
            ]
        );
        let mut reversed_legs = legs;
        reversed_legs.reverse();
        let mut reversed_convs = convs;
        reversed_convs.reverse();
        assert_eq!(
            match_calls(&group_calls(reversed_legs), &reversed_convs, &MatchConfig::default()),
            expected
        );
    }

    /// Rule 2 the slow way: every leg against every conversation.
    fn brute_force(
        calls: &[CdrCall],
        convs: &[ConversationCandidate],
        tolerance_ms: u64,
    ) -> Vec<(String, u128)> {
        let mut pairs = Vec::new();
        for (ci, call) in calls.iter().enumerate() {
            for leg in &call.legs {
                let tails = ConversationCandidate::tails(
                    [leg.caller.as_deref(), leg.callee.as_deref()].into_iter().flatten(),
                );
                for conv in convs {
                    let shared = tails.iter().filter(|t| conv.number_tails.contains(t)).count();
                    let offset = offset_ms(leg, conv);
                    if shared > 0 && offset.unsigned_abs() <= tolerance_ms {
                        let key = (
                            std::cmp::Reverse(shared),
                            offset.unsigned_abs(),
                            end_distance_ms(leg, conv),
                            conv.conversation_id,
                        );
                        pairs.push((
                            key,
                            call.call_key.clone(),
                            leg.leg_key.clone(),
                            ci,
                            conv.conversation_id,
                        ));
                    }
                }
            }
        }
        pairs.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        let (mut done, mut owner) = (HashSet::new(), HashMap::new());
        let mut out = Vec::new();
        for (_, _, leg_key, ci, conv) in pairs {
            if done.contains(&leg_key) || owner.get(&conv).is_some_and(|&o| o != ci) {
                continue;
            }
            owner.insert(conv, ci);
            done.insert(leg_key.clone());
            out.push((leg_key, conv.0.as_u128()));
        }
        out.sort();
        out
    }

    #[test]
    fn the_time_index_finds_what_comparing_every_pair_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut matched = 0;
        for round in 0..50 {
            let numbers = ["9123456789", "9000000001", "101", "102", "4950000000"];
            let legs: Vec<CdrLeg> = (0..30)
                .map(|i| {
                    let start = next(600) as i64;
                    let answer = (next(3) > 0).then(|| start + next(20) as i64);
                    let caller = numbers[next(5) as usize];
                    let callee = numbers[next(5) as usize];
                    leg(
                        &format!("r{round}l{i}"),
                        &[],
                        caller,
                        callee,
                        start,
                        answer,
                        start + 30 + next(100) as i64,
                    )
                })
                .collect();
            let convs: Vec<ConversationCandidate> = (0..25)
                .map(|i| {
                    let a = numbers[next(5) as usize];
                    let b = numbers[next(5) as usize];
                    let start = next(650) as i64;
                    conv(i, &[], &[a, b], start, start + 60)
                })
                .collect();
            let calls = group_calls(legs);
            let cfg = MatchConfig { time_tolerance: Duration::from_secs(next(15)) };
            let mut fast: Vec<(String, u128)> = match_calls(&calls, &convs, &cfg)
                .into_iter()
                .map(|m| (m.leg_key, m.conversation_id.0.as_u128()))
                .collect();
            fast.sort();
            matched += fast.len();
            assert_eq!(
                fast,
                brute_force(&calls, &convs, cfg.time_tolerance.as_millis() as u64),
                "round {round}"
            );
        }
        // The rounds exercise the rule rather than agree on nothing.
        assert!(matched > 200, "{matched}");
    }
}
