//! The outbox's state machine, sans-IO: given what an attempt achieved, how
//! many attempts were made, how old the delivery is and `now`, decide the
//! delivery's next state, when it is tried again and which alert it raises.
//!
//! ```text
//! pending ──claim──► in_flight ──Delivered──► delivered | verified
//!    ▲                  │  └──Retry──► retry_wait ──(due)──► in_flight ...
//!    │                  │                 └──(older than max age)──► dead + alert delivery_dead
//!    │                  ├──Dead──► dead + alert delivery_dead
//!    │                  ├──NoMatch──► no_match + alert delivery_no_match
//!    │                  └──DisableDestination──► dead, destination disabled + alert endpoint_disabled
//!    └── manual retry (API/CLI) from dead, no_match, retry_wait, skipped, cancelled
//! ```
//! A lease that expires (its node died) makes an `in_flight` row claimable
//! again; the catalog enforces that, not this module.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::channel::{Attempt, Outcome, RetryClass};

/// When to try again and when to give up.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// `schedule[n]` is the delay before attempt `n + 1` (so `schedule[0]`
    /// is the first attempt's, normally zero). Past the end, the last delay
    /// repeats.
    pub schedule: Vec<Duration>,
    /// Each delay is moved by up to this fraction either way, so that the
    /// deliveries that failed together do not retry together.
    pub jitter: f64,
    /// A delivery older than this when a retry would be due is dead.
    pub max_age: Duration,
    /// The same for a mailbox that stays full.
    pub mailbox_full_max_age: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Close to the Standard Webhooks schedule: at once, 5 s, 5 min, 30 min,
    /// 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; given up after 72 h.
    fn default() -> Self {
        let m = 60;
        let h = 3600;
        Self {
            schedule: [0, 5, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 14 * h, 20 * h, 24 * h]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
            max_age: Duration::from_secs(72 * h),
            mailbox_full_max_age: Duration::from_secs(72 * h),
            max_retry_after: Duration::from_secs(24 * h),
        }
    }
}

impl RetryPolicy {
    /// The delay after `attempts` attempts, before jitter.
    pub fn base_delay(&self, attempts: u32) -> Duration {
        let i = attempts as usize;
        self.schedule.get(i).or(self.schedule.last()).copied().unwrap_or(Duration::from_secs(60))
    }

    /// The delay after `attempts` attempts with jitter; `sample` is a
    /// uniform random number in [0, 1) that the caller draws.
    pub fn delay(&self, attempts: u32, sample: f64) -> Duration {
        let base = self.base_delay(attempts).as_secs_f64();
        let spread = self.jitter.clamp(0.0, 1.0) * base;
        let jittered = base - spread + 2.0 * spread * sample.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(jittered.max(0.0)).unwrap_or(Duration::MAX)
    }
}

/// The states a delivery can finish an attempt in (the catalog's
/// `DeliveryState` without `pending`/`in_flight`/`cancelled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    Verified,
    RetryWait,
    Dead,
    NoMatch,
}

/// An alert a decision raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A delivery gave up (dead).
    DeliveryDead,
    /// The CRM had nothing to attach the call to.
    DeliveryNoMatch,
    /// The destination asked to be disabled (webhook 410).
    EndpointDisabled,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DeliveryDead => "delivery_dead",
            AlertKind::DeliveryNoMatch => "delivery_no_match",
            AlertKind::EndpointDisabled => "endpoint_disabled",
        }
    }
}

/// What happens to a delivery after one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub next: Next,
    /// For [`Next::RetryWait`]: when the delivery is due again.
    pub due_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub alert: Option<AlertKind>,
    /// Disable the destination with this reason.
    pub disable: Option<String>,
}

/// The facts about a delivery [`decide`] needs.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// Attempts made, this one included.
    pub attempts: u32,
    /// The delivery's age counts from here (creation, or a manual retry).
    pub age_from: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Uniform in [0, 1), for the jitter.
    pub sample: f64,
}

/// Decide what an attempt's outcome does to its delivery.
pub fn decide(policy: &RetryPolicy, attempt: &Attempt, facts: Facts) -> Decision {
    let plain = |next| Decision { next, due_at: None, error: None, alert: None, disable: None };
    match &attempt.outcome {
        Outcome::Delivered { verified: true } => plain(Next::Verified),
        Outcome::Delivered { verified: false } => plain(Next::Delivered),
        Outcome::Dead { error } => Decision {
            error: Some(error.clone()),
            alert: Some(AlertKind::DeliveryDead),
            ..plain(Next::Dead)
        },
        Outcome::NoMatch { error } => Decision {
            error: Some(error.clone()),
            alert: Some(AlertKind::DeliveryNoMatch),
            ..plain(Next::NoMatch)
        },
        Outcome::DisableDestination { error } => Decision {
            error: Some(error.clone()),
            alert: Some(AlertKind::EndpointDisabled),
            disable: Some(error.clone()),
            ..plain(Next::Dead)
        },
        Outcome::Retry { error, retry_after, class } => {
            let mut delay = policy.delay(facts.attempts, facts.sample);
            if let Some(after) = retry_after {
                delay = delay.max((*after).min(policy.max_retry_after));
            }
            let max_age = match class {
                RetryClass::Transient => policy.max_age,
                RetryClass::MailboxFull => policy.mailbox_full_max_age,
            };
            let due = chrono::Duration::from_std(delay)
                .ok()
                .and_then(|d| facts.now.checked_add_signed(d));
            // A due time past chrono's range is as good as never.
            let age_at_due =
                due.map(|due| (due - facts.age_from).to_std().unwrap_or(Duration::ZERO));
            if age_at_due.is_none_or(|age| age > max_age) {
                Decision {
                    error: Some(format!(
                        "gave up after {} attempt{} (maximum age {}): {error}",
                        facts.attempts,
                        if facts.attempts == 1 { "" } else { "s" },
                        human(max_age)
                    )),
                    alert: Some(AlertKind::DeliveryDead),
                    ..plain(Next::Dead)
                }
            } else {
                Decision { due_at: due, error: Some(error.clone()), ..plain(Next::RetryWait) }
            }
        }
    }
}

/// A span for a message: "72 h", "30 min", "5 s".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn attempt(outcome: Outcome) -> Attempt {
        Attempt { outcome, progress: Value::Null, status: None }
    }

    fn retry(after: Option<u64>, class: RetryClass) -> Attempt {
        attempt(Outcome::Retry {
            error: "HTTP 503".into(),
            retry_after: after.map(Duration::from_secs),
            class,
        })
    }

    fn facts(attempts: u32, age: i64, now: i64) -> Facts {
        Facts { attempts, age_from: at(age), now: at(now), sample: 0.5 }
    }

    #[test]
    fn the_default_schedule_follows_standard_webhooks() {
        let p = RetryPolicy::default();
        let secs: Vec<u64> = (0..12).map(|n| p.base_delay(n).as_secs()).collect();
        assert_eq!(secs, [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400, 86400, 86400]);
    }

    #[test]
    fn jitter_stays_within_its_fraction_and_spreads() {
        let p = RetryPolicy::default();
        let lo = p.delay(2, 0.0).as_secs_f64();
        let hi = p.delay(2, 0.999_999).as_secs_f64();
        assert!((239.9..=240.1).contains(&lo), "{lo}");
        assert!((359.9..=360.1).contains(&hi), "{hi}");
        assert_eq!(p.delay(2, 0.5).as_secs(), 300);
    }

    #[test]
    fn a_retry_is_due_after_the_scheduled_delay() {
        let p = RetryPolicy::default();
        let d = decide(&p, &retry(None, RetryClass::Transient), facts(2, 0, 10));
        assert_eq!(d.next, Next::RetryWait);
        assert_eq!(d.due_at, Some(at(10 + 300)));
        assert_eq!(d.alert, None);
    }

    #[test]
    fn retry_after_wins_when_longer_and_is_capped() {
        let p = RetryPolicy::default();
        let d = decide(&p, &retry(Some(7), RetryClass::Transient), facts(1, 0, 0));
        assert_eq!(d.due_at, Some(at(7)));
        let d = decide(&p, &retry(Some(1), RetryClass::Transient), facts(2, 0, 0));
        assert_eq!(d.due_at, Some(at(300)), "a shorter Retry-After does not shorten the schedule");
        let d = decide(&p, &retry(Some(10 * 86_400), RetryClass::Transient), facts(1, 0, 0));
        assert_eq!(d.due_at, Some(at(86_400)));
    }

    #[test]
    fn a_delivery_older_than_its_max_age_is_dead_with_an_alert() {
        let p = RetryPolicy { max_age: Duration::from_secs(3600), ..RetryPolicy::default() };
        // The next retry (after 5 attempts: 5 h) would be past the hour.
        let d = decide(&p, &retry(None, RetryClass::Transient), facts(5, 0, 60));
        assert_eq!(d.next, Next::Dead);
        assert_eq!(d.alert, Some(AlertKind::DeliveryDead));
        assert!(d.error.unwrap().contains("HTTP 503"));
    }

    #[test]
    fn a_full_mailbox_has_its_own_max_age() {
        let p = RetryPolicy {
            max_age: Duration::from_secs(10 * 86_400),
            mailbox_full_max_age: Duration::from_secs(3600),
            ..RetryPolicy::default()
        };
        let d = decide(&p, &retry(None, RetryClass::MailboxFull), facts(4, 0, 60));
        assert_eq!(d.next, Next::Dead);
        let d = decide(&p, &retry(None, RetryClass::Transient), facts(4, 0, 60));
        assert_eq!(d.next, Next::RetryWait);
    }

    #[test]
    fn a_manual_retry_restarts_the_age() {
        let p = RetryPolicy { max_age: Duration::from_secs(3600), ..RetryPolicy::default() };
        let old = 10 * 86_400;
        let d = decide(&p, &retry(None, RetryClass::Transient), facts(12, old, old + 1));
        assert_eq!(d.next, Next::Dead, "24 h later is past the hour");
        let d = decide(&p, &retry(None, RetryClass::Transient), facts(1, old, old + 1));
        assert_eq!(d.next, Next::RetryWait);
    }

    #[test]
    fn final_outcomes_map_to_states_and_alerts() {
        let p = RetryPolicy::default();
        let f = facts(1, 0, 0);
        let d = decide(&p, &attempt(Outcome::Delivered { verified: true }), f);
        assert_eq!((d.next, d.alert), (Next::Verified, None));
        let d = decide(&p, &attempt(Outcome::Delivered { verified: false }), f);
        assert_eq!((d.next, d.alert), (Next::Delivered, None));
        let d = decide(&p, &attempt(Outcome::Dead { error: "550 5.1.1".into() }), f);
        assert_eq!((d.next, d.alert), (Next::Dead, Some(AlertKind::DeliveryDead)));
        let d = decide(&p, &attempt(Outcome::NoMatch { error: "no contact".into() }), f);
        assert_eq!((d.next, d.alert), (Next::NoMatch, Some(AlertKind::DeliveryNoMatch)));
        let d = decide(&p, &attempt(Outcome::DisableDestination { error: "HTTP 410".into() }), f);
        assert_eq!((d.next, d.alert), (Next::Dead, Some(AlertKind::EndpointDisabled)));
        assert_eq!(d.disable.as_deref(), Some("HTTP 410"));
    }
}
