//! The `[assurance]` section of the configuration.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How reconciliation runs and what it tolerates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AssuranceSection {
    /// Run the reconciliation worker in this process.
    pub enabled: bool,
    /// How often an idle worker looks for due calls.
    pub interval_secs: u64,
    /// How long after a call ended it is first checked (its recording is
    /// rendered, uploaded, its deliveries queued by then).
    pub settle_secs: u64,
    /// How often a call that lacks something, or whose delivery is still
    /// retrying, is checked again.
    pub recheck_secs: u64,
    /// After this long since a call ended it is no longer checked again; its
    /// open findings stay open.
    pub give_up_secs: u64,
    /// A recording covers the talk time if its span is at least the talk
    /// time minus this.
    pub tolerance_millis: u64,
    /// A media gap inside a recording longer than this counts against it.
    pub gap_limit_millis: u64,
    /// A call without a shared id matches a conversation with its number
    /// started within this much of the call's answer.
    pub match_window_secs: u64,
    /// Recordings with no call are orphans only once they are this old (the
    /// PBX's CDR may arrive later).
    pub orphan_grace_secs: u64,
    /// Calls checked per batch (one transaction).
    pub batch: u32,
    /// Raise an `assurance_finding` alert for new findings.
    pub alerts: bool,
    /// Send each tenant's daily completeness report (through the alert
    /// destinations) once the UTC day is over.
    pub daily_report: bool,
}

impl Default for AssuranceSection {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 30,
            settle_secs: 120,
            recheck_secs: 300,
            give_up_secs: 7 * 86_400,
            tolerance_millis: 2_000,
            gap_limit_millis: 5_000,
            match_window_secs: 30,
            orphan_grace_secs: 3_600,
            batch: 500,
            alerts: true,
            daily_report: true,
        }
    }
}

impl AssuranceSection {
    /// Checks; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.interval_secs == 0 {
            return Err(("assurance.interval_secs".into(), "must be at least 1".into()));
        }
        if self.recheck_secs == 0 {
            return Err(("assurance.recheck_secs".into(), "must be at least 1".into()));
        }
        if self.batch == 0 || self.batch > 10_000 {
            return Err(("assurance.batch".into(), "must be 1 to 10000".into()));
        }
        Ok(())
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs(self.interval_secs.max(1))
    }
}
