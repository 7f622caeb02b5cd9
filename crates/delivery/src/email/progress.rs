//! What earlier attempts achieved, per recipient.
//!
//! Saved in the delivery's `progress` as
//! `{"recipients": {"a@x.com": {"state": "sent", "at": "...", ...}, ...}}`
//! (keys are the addresses in lower case), so that a retry writes only to
//! the recipients still owed the message.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::channel::RetryClass;

/// Where one recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// The server accepted the message for this recipient: never again.
    Sent,
    /// Not yet: the next attempt tries again.
    Retry,
    /// Never: the recipient cannot be reached.
    Dead,
}

/// One recipient's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipientProgress {
    pub state: RecipientState,
    /// When the state was reached.
    pub at: DateTime<Utc>,
    /// This recipient's server refused the message as too large: it gets
    /// links instead of attachments from now on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub links_only: bool,
    /// The server's last answer for this recipient ("250 ...", "452 4.2.2 ...").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For [`RecipientState::Retry`]: how the failure is classed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<RetryClass>,
}

/// Every recipient's record, and whatever else the progress held.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub recipients: BTreeMap<String, RecipientProgress>,
    /// The rest of the progress object, kept as it was.
    others: serde_json::Map<String, Value>,
}

impl Progress {
    /// Reads a delivery's progress; anything unreadable counts as nothing
    /// done (a recipient is then written to again rather than skipped).
    pub fn from_value(v: &Value) -> Progress {
        let Some(obj) = v.as_object() else { return Progress::default() };
        let mut others = obj.clone();
        let recipients = others
            .remove("recipients")
            .and_then(|r| r.as_object().cloned())
            .map(|m| {
                m.into_iter()
                    .filter_map(|(k, v)| {
                        serde_json::from_value::<RecipientProgress>(v).ok().map(|p| (k, p))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Progress { recipients, others }
    }

    /// The progress as saved.
    pub fn to_value(&self) -> Value {
        let mut obj = self.others.clone();
        let recipients = self
            .recipients
            .iter()
            .map(|(k, p)| (k.clone(), serde_json::to_value(p).unwrap_or(Value::Null)))
            .collect();
        obj.insert("recipients".into(), Value::Object(recipients));
        Value::Object(obj)
    }

    /// The recipient's state, if any attempt reached one.
    pub fn state(&self, key: &str) -> Option<RecipientState> {
        self.recipients.get(key).map(|p| p.state)
    }

    /// Whether the recipient gets links only.
    pub fn links_only(&self, key: &str) -> bool {
        self.recipients.get(key).is_some_and(|p| p.links_only)
    }

    /// Records a recipient's new state, keeping `links_only` once set.
    pub fn set(
        &mut self,
        key: &str,
        state: RecipientState,
        at: DateTime<Utc>,
        status: Option<String>,
        class: Option<RetryClass>,
    ) {
        let links_only = self.links_only(key);
        self.recipients
            .insert(key.to_owned(), RecipientProgress { state, at, links_only, status, class });
    }

    /// From now on the recipient gets links only.
    pub fn set_links_only(&mut self, key: &str, at: DateTime<Utc>) {
        let entry = self.recipients.entry(key.to_owned()).or_insert(RecipientProgress {
            state: RecipientState::Retry,
            at,
            links_only: true,
            status: None,
            class: Some(RetryClass::Transient),
        });
        entry.links_only = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn progress_round_trips_and_keeps_other_keys() {
        let at: DateTime<Utc> = "2024-05-01T10:00:00Z".parse().unwrap();
        let mut p = Progress::from_value(&json!({"other": 1, "recipients": {"junk": 5}}));
        p.set("a@x.com", RecipientState::Sent, at, Some("250 ok".into()), None);
        p.set_links_only("b@x.com", at);
        p.set("b@x.com", RecipientState::Retry, at, None, Some(RetryClass::MailboxFull));
        let v = p.to_value();
        assert_eq!(v["other"], 1);
        assert_eq!(v["recipients"]["a@x.com"]["state"], "sent");
        assert_eq!(v["recipients"]["b@x.com"]["class"], "mailbox_full");
        assert_eq!(v["recipients"]["b@x.com"]["links_only"], true);
        assert!(v["recipients"].get("junk").is_none());
        let back = Progress::from_value(&v);
        assert_eq!(back.state("a@x.com"), Some(RecipientState::Sent));
        assert!(back.links_only("b@x.com"));
        assert!(!back.links_only("a@x.com"));
        assert_eq!(Progress::from_value(&Value::Null).recipients.len(), 0);
    }
}
