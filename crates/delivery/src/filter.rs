//! A destination's filters: which conversations it wants. Evaluated when a
//! delivery is sent (the conversation is settled then), not when it is
//! queued; a conversation that does not match is `skipped`, not lost.

use callvault_model::Direction;
use callvault_store::ConversationDetail;
use serde::{Deserialize, Serialize};

/// All set filters must match (AND); within a list, any entry (OR).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Directions wanted (`inbound`, `outbound`, `internal`, `unknown`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directions: Vec<Direction>,
    /// Numbers or prefixes, in any notation (`+7 495`, `8495...`): matched
    /// by their digits against the start of the external and company
    /// numbers and of every participant's address; a number with 10 or more
    /// digits also matches on its last 10 digits (national vs E.164).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<String>,
    /// Participants by address or display name (case-insensitive, exact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
    /// Only conversations at least this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_duration_secs: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("filters: {0}")]
pub struct FilterError(String);

impl Filter {
    /// Parse the stored JSON (`null` or `{}` = everything).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, FilterError> {
        if value.is_null() {
            return Ok(Self::default());
        }
        let filter: Filter =
            serde_json::from_value(value.clone()).map_err(|e| FilterError(e.to_string()))?;
        for n in &filter.numbers {
            if digits(n).is_empty() {
                return Err(FilterError(format!("number {n:?} has no digits")));
            }
        }
        Ok(filter)
    }

    /// Whether a conversation passes; `Err` names the filter that failed.
    pub fn check(&self, c: &ConversationDetail) -> Result<(), &'static str> {
        if !self.directions.is_empty() && !self.directions.contains(&c.conversation.direction) {
            return Err("direction");
        }
        if let Some(min) = self.min_duration_secs
            && duration_ms(c) < min.saturating_mul(1000)
        {
            return Err("min_duration_secs");
        }
        if !self.numbers.is_empty() {
            let candidates: Vec<String> = numbers_of(c).map(digits).collect();
            let hit = self.numbers.iter().any(|want| {
                let want = digits(want);
                candidates.iter().any(|have| number_matches(&want, have))
            });
            if !hit {
                return Err("numbers");
            }
        }
        if !self.participants.is_empty() {
            let hit = c.participants.iter().any(|p| {
                [p.address.as_deref(), p.display_name.as_deref()].into_iter().flatten().any(
                    |have| self.participants.iter().any(|want| want.eq_ignore_ascii_case(have)),
                )
            });
            if !hit {
                return Err("participants");
            }
        }
        Ok(())
    }
}

/// The conversation's length: its span when it has ended, else the longest
/// recording.
pub fn duration_ms(c: &ConversationDetail) -> u64 {
    let span = c
        .conversation
        .ended_at
        .and_then(|end| (end - c.conversation.started_at).num_milliseconds().try_into().ok());
    let longest = c.recordings.iter().map(|r| r.recording.duration_ms).max().unwrap_or(0);
    span.unwrap_or(0).max(longest)
}

fn numbers_of(c: &ConversationDetail) -> impl Iterator<Item = &str> {
    [c.conversation.external_number.as_deref(), c.conversation.company_number.as_deref()]
        .into_iter()
        .flatten()
        .chain(c.participants.iter().filter_map(|p| p.address.as_deref()))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn number_matches(want: &str, have: &str) -> bool {
    if want.is_empty() || have.is_empty() {
        return false;
    }
    if have.starts_with(want) {
        return true;
    }
    // +7 495 ... against 8 495 ...: the same national number.
    want.len() >= 10 && have.len() >= 10 && have[have.len() - 10..] == want[want.len() - 10..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn detail(direction: Direction, external: &str, secs: i64) -> ConversationDetail {
        let id = ConversationId::new();
        ConversationDetail {
            events: Vec::new(),
            conversation: Conversation {
                id,
                tenant_id: TenantId::new(),
                direction,
                external_number: Some(external.into()),
                company_number: Some("+74951234567".into()),
                started_at: at(0),
                ended_at: Some(at(secs)),
                external_ids: vec![],
                created_at: at(0),
                updated_at: at(0),
            },
            participants: vec![Participant {
                id: ParticipantId::new(),
                conversation_id: id,
                side: Side::Company,
                address: Some("201".into()),
                display_name: Some("Anna Petrova".into()),
                joined_at: at(0),
                left_at: None,
            }],
            recordings: vec![],
        }
    }

    #[test]
    fn empty_filters_pass_everything() {
        let f = Filter::from_json(&json!(null)).unwrap();
        assert!(f.check(&detail(Direction::Outbound, "+15550100", 1)).is_ok());
        let f = Filter::from_json(&json!({})).unwrap();
        assert!(f.check(&detail(Direction::Inbound, "+15550100", 1)).is_ok());
    }

    #[test]
    fn each_filter_rejects_what_it_names() {
        let c = detail(Direction::Inbound, "+1 555 0100", 30);
        let f = |v| Filter::from_json(&v).unwrap();
        assert_eq!(f(json!({"directions": ["outbound"]})).check(&c), Err("direction"));
        assert!(f(json!({"directions": ["outbound", "inbound"]})).check(&c).is_ok());
        assert_eq!(f(json!({"min_duration_secs": 31})).check(&c), Err("min_duration_secs"));
        assert!(f(json!({"min_duration_secs": 30})).check(&c).is_ok());
        assert!(f(json!({"numbers": ["+1555"]})).check(&c).is_ok());
        assert!(f(json!({"numbers": ["201"]})).check(&c).is_ok(), "a participant's extension");
        assert_eq!(f(json!({"numbers": ["+44"]})).check(&c), Err("numbers"));
        assert!(f(json!({"participants": ["anna petrova"]})).check(&c).is_ok());
        assert_eq!(f(json!({"participants": ["202"]})).check(&c), Err("participants"));
    }

    #[test]
    fn national_and_international_notations_match() {
        let c = detail(Direction::Inbound, "84957654321", 5);
        let f = Filter::from_json(&json!({"numbers": ["+7 (495) 765-43-21"]})).unwrap();
        assert!(f.check(&c).is_ok());
    }

    #[test]
    fn bad_filters_are_refused_clearly() {
        assert!(Filter::from_json(&json!({"numbers": ["abc"]})).is_err());
        assert!(Filter::from_json(&json!({"direction": "inbound"})).is_err(), "unknown field");
        assert!(Filter::from_json(&json!({"directions": ["sideways"]})).is_err());
    }
}
