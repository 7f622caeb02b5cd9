//! The `[delivery]` section of the configuration.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::amocrm::AmoCrmChannel;
use crate::bitrix24::Bitrix24Channel;
use crate::bucket::BucketChannel;
use crate::channel::Channel;
use crate::email::{EmailChannel, EmailSettings};
use crate::outbox::RetryPolicy;
use crate::runner::{Channels, RunnerConfig};
use crate::webhook::WebhookChannel;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySection {
    /// Run the outbox in this process. Several `serve` processes on one
    /// PostgreSQL catalog may all run it: each delivery is made once.
    pub enabled: bool,
    /// Attempts running at once in this process.
    pub concurrency: usize,
    /// Deliveries claimed per round.
    pub batch: u32,
    /// How long a claim holds a delivery. An attempt is cut a tenth of
    /// this before it ends; a process that dies frees its rows after it.
    pub lease_secs: u64,
    /// How often an idle process looks for due deliveries.
    pub poll_millis: u64,
    /// Delays before each attempt: the first is normally 0 (at once); past
    /// the end the last repeats.
    pub schedule_secs: Vec<u64>,
    /// Each delay moves by up to this fraction either way.
    pub jitter: f64,
    /// A new destination's maximum delivery age (72 h): older, a failing
    /// delivery is dead and an alert is raised.
    pub max_age_secs: u64,
    /// How long a full mailbox is retried (72 h) unless the destination
    /// sets `mailbox_full_max_age_secs`.
    pub mailbox_full_max_age_secs: u64,
    /// Signed links' lifetime for e-mail destinations (7 days).
    pub email_link_ttl_secs: u64,
    /// Signed links' lifetime for CRM, webhook and bucket destinations
    /// (30 days).
    pub link_ttl_secs: u64,
    /// How often the delivery and alert gauges of `/metrics` are refreshed.
    pub gauges_secs: u64,
    /// The name this host gives in SMTP's EHLO.
    pub smtp_hello_name: String,
    /// The sender of e-mail destinations whose config names none.
    pub email_from: String,
    /// Whether tenants (the API) may aim destinations at loopback, private,
    /// link-local or otherwise internal addresses. Off: a tenant cannot use
    /// callvault to reach the operator's internal services or local mail
    /// relay. The CLI (the operator) may always.
    pub allow_private_targets: bool,
}

impl Default for DeliverySection {
    fn default() -> Self {
        let policy = RetryPolicy::default();
        Self {
            enabled: true,
            concurrency: 16,
            batch: 64,
            lease_secs: 300,
            poll_millis: 1000,
            schedule_secs: policy.schedule.iter().map(Duration::as_secs).collect(),
            jitter: policy.jitter,
            max_age_secs: policy.max_age.as_secs(),
            mailbox_full_max_age_secs: policy.mailbox_full_max_age.as_secs(),
            email_link_ttl_secs: 7 * 86_400,
            link_ttl_secs: 30 * 86_400,
            gauges_secs: 15,
            smtp_hello_name: "localhost".into(),
            email_from: String::new(),
            allow_private_targets: false,
        }
    }
}

impl DeliverySection {
    /// Problems with the values, as (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: &str| Err((format!("delivery.{k}"), m.to_owned()));
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1");
        }
        if self.batch == 0 {
            return bad("batch", "must be at least 1");
        }
        if self.lease_secs < 10 {
            return bad("lease_secs", "must be at least 10 seconds");
        }
        if self.schedule_secs.is_empty() {
            return bad("schedule_secs", "needs at least one delay");
        }
        if self.schedule_secs.iter().any(|&s| s > 7 * 86_400) {
            return bad("schedule_secs", "each delay must be at most 7 days (604800)");
        }
        if self.max_age_secs > 365 * 86_400 || self.mailbox_full_max_age_secs > 365 * 86_400 {
            return bad("max_age_secs", "must be at most a year");
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return bad("jitter", "must be between 0 and 1");
        }
        if self.max_age_secs == 0 || self.mailbox_full_max_age_secs == 0 {
            return bad("max_age_secs", "must be more than 0");
        }
        Ok(())
    }

    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            schedule: self.schedule_secs.iter().copied().map(Duration::from_secs).collect(),
            jitter: self.jitter,
            max_age: Duration::from_secs(self.max_age_secs),
            mailbox_full_max_age: Duration::from_secs(self.mailbox_full_max_age_secs),
            ..RetryPolicy::default()
        }
    }

    pub fn runner(&self, owner: String) -> RunnerConfig {
        RunnerConfig {
            owner,
            lease: Duration::from_secs(self.lease_secs),
            batch: self.batch,
            concurrency: self.concurrency,
            poll: Duration::from_millis(self.poll_millis.max(10)),
            policy: self.policy(),
        }
    }

    /// The channels of this process, by kind.
    pub fn channels(&self) -> Result<Channels, String> {
        let email = EmailChannel::new(EmailSettings {
            hello_name: self.smtp_hello_name.clone(),
            default_from: (!self.email_from.is_empty()).then(|| self.email_from.clone()),
            ..EmailSettings::default()
        })
        .map_err(|e| format!("delivery.smtp_hello_name / delivery.email_from: {e}"))?;
        let list: Vec<Arc<dyn Channel>> = vec![
            Arc::new(email),
            Arc::new(WebhookChannel::new()?),
            Arc::new(AmoCrmChannel::new()),
            Arc::new(Bitrix24Channel::new()),
            Arc::new(BucketChannel::new()),
        ];
        Ok(list.into_iter().map(|c| (c.kind(), c)).collect())
    }

    /// The default link lifetime of a destination kind.
    pub fn link_ttl_for(&self, kind: &str) -> u64 {
        if kind == "email" { self.email_link_ttl_secs } else { self.link_ttl_secs }
    }
}
