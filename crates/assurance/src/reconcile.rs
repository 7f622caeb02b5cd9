//! Reconciliation: the worker that checks every answered call once it
//! settled, and again while it lacks something.
//!
//! A pass takes the due calls ([`Catalog::calls_due`], a queue ordered by
//! `next_check_at`: the incremental cursor), in batches of
//! `assurance.batch`, per tenant: one lookup of the conversations they may
//! match, one read of those conversations' recordings, gaps and deliveries,
//! the verdicts decided in memory ([`crate::check::assess`]), one
//! transaction to write them. Memory is bounded by the batch. Then the
//! orphan scan (tenants that import CDRs), the alerts and the daily report.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callvault_model::TenantId;
use callvault_store::{
    ALERT_ASSURANCE_DAILY, ALERT_ASSURANCE_FINDING, Call, Catalog, CatalogError, Finding,
    FindingQuery, NewAlert, NewFinding,
};
use callvault_vault::metrics::Metrics;
use callvault_vault::worker::{Next, WorkError, Worker};
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::Notify;

use crate::check::{Limits, assess};
use crate::config::AssuranceSection;
use crate::matcher::{lookups, match_calls};
use crate::report::{Summary, daily_message};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassOutcome {
    pub checked: u64,
    pub opened: u64,
    pub orphans: u64,
}

/// The reconciliation: runs passes on demand ([`Reconciler::run_once`]) or
/// as a [`Worker`].
pub struct Reconciler {
    catalog: Arc<dyn Catalog>,
    config: AssuranceSection,
    metrics: Option<Arc<Metrics>>,
    wake: Arc<Notify>,
    /// Verified copies required where a tenant has no storage policy of
    /// its own (`[storage.policy] copies`).
    default_copies: u32,
}

impl Reconciler {
    pub fn new(
        catalog: Arc<dyn Catalog>,
        config: AssuranceSection,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self { catalog, config, metrics, wake: Arc::new(Notify::new()), default_copies: 1 }
    }

    /// The verified copies required where a tenant has no storage policy.
    pub fn with_default_copies(mut self, copies: u32) -> Self {
        self.default_copies = copies.max(1);
        self
    }

    /// Wakes the worker (after an import).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Check the calls due by `now`, up to one batch; how many.
    pub async fn check_due(&self, now: DateTime<Utc>) -> Result<PassOutcome, CatalogError> {
        let calls = self.catalog.calls_due(now, self.config.batch).await?;
        let mut outcome = PassOutcome { checked: calls.len() as u64, ..Default::default() };
        let mut by_tenant: HashMap<TenantId, Vec<Call>> = HashMap::new();
        for c in calls {
            by_tenant.entry(c.tenant_id).or_default().push(c);
        }
        let limits = Limits::from(&self.config);
        let window = Duration::from_secs(self.config.match_window_secs);
        for (tenant, calls) in by_tenant {
            let mut limits = limits;
            limits.required_copies = match self.catalog.storage_policy(tenant).await? {
                Some(policy) => policy.copies,
                None => self.default_copies,
            };
            let (values, tails) = lookups(&calls);
            let w = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::zero());
            let from = calls.iter().map(|c| c.answered_at.unwrap_or(c.started_at)).min();
            let to = calls.iter().map(|c| c.answered_at.unwrap_or(c.started_at)).max();
            let (Some(from), Some(to)) = (from, to) else { continue };
            let unmatched = calls.iter().any(|c| c.conversation_id.is_none());
            let found = if unmatched {
                self.catalog
                    .call_match_candidates(tenant, &values, &tails, from - w, to + w)
                    .await?
            } else {
                Default::default()
            };
            let matched = match_calls(&calls, &found, window);
            let mut convs: Vec<_> = matched.iter().flatten().copied().collect();
            convs.sort_by_key(|c| c.0);
            convs.dedup();
            let facts = self.catalog.conversation_facts(tenant, &convs).await?;
            let facts: HashMap<_, _> = facts.into_iter().map(|f| (f.conversation_id, f)).collect();
            let checks: Vec<_> = calls
                .iter()
                .zip(&matched)
                .map(|(call, conv)| assess(call, conv.and_then(|c| facts.get(&c)), &limits, now))
                .collect();
            let opened = self.catalog.record_call_checks(&checks, now).await?;
            outcome.opened += opened.len() as u64;
            self.alert(tenant, &opened, now).await;
        }
        Ok(outcome)
    }

    /// Recordings with no call, in tenants that import CDRs, once they are
    /// older than `orphan_grace_secs`: one page per tenant. The findings
    /// opened, and whether a tenant has more to scan.
    pub async fn scan_orphans(&self, now: DateTime<Utc>) -> Result<(u64, bool), CatalogError> {
        let until = now - chrono::Duration::seconds(self.config.orphan_grace_secs as i64);
        let mut found = 0;
        let mut more = false;
        for tenant in self.catalog.cdr_tenants().await? {
            let name = format!("orphans:{}", tenant.0);
            let after =
                self.catalog.assurance_cursor(&name).await?.and_then(|(at, id)| Some((at, id?)));
            let limit = self.config.batch;
            let orphans = self.catalog.orphan_candidates(tenant, after, until, limit).await?;
            let list: Vec<_> = orphans
                .iter()
                .map(|o| {
                    let f = NewFinding {
                        kind: "orphan_recording".into(),
                        reason: format!(
                            "recording {} has no call: no CDR or signalling matches its conversation",
                            o.recording_id
                        ),
                        detail: json!({ "conversation_id": o.conversation_id.0, "started_at": o.started_at }),
                    };
                    (o.clone(), f)
                })
                .collect();
            let opened = self.catalog.record_orphans(tenant, &list, now).await?;
            found += opened.len() as u64;
            self.alert(tenant, &opened, now).await;
            // Fewer than a page: everything up to `until` was scanned.
            let (at, id) = match orphans.last() {
                Some(o) if orphans.len() as u32 >= limit => {
                    more = true;
                    (o.started_at, Some(o.conversation_id.0))
                }
                _ => (until, None),
            };
            self.catalog.set_assurance_cursor(&name, at, id).await?;
        }
        Ok((found, more))
    }

    /// One `assurance_finding` alert per tenant and kind while findings of
    /// that kind are open (raising an open alert only counts it).
    async fn alert(&self, tenant: TenantId, opened: &[Finding], now: DateTime<Utc>) {
        if !self.config.alerts {
            return;
        }
        let mut kinds: Vec<&str> = opened.iter().map(|f| f.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            let these: Vec<&Finding> = opened.iter().filter(|f| f.kind == kind).collect();
            let first = these[0];
            let subject = first.call_id.map(|c| format!("call {c}")).unwrap_or_else(|| {
                format!("recording {}", first.recording_id.map(|r| r.0).unwrap_or_default())
            });
            let message = if these.len() == 1 {
                format!("{kind}: {subject}: {}", first.reason)
            } else {
                format!("{} new {kind} findings; first: {subject}: {}", these.len(), first.reason)
            };
            let alert = NewAlert {
                tenant_id: Some(tenant),
                kind: ALERT_ASSURANCE_FINDING.into(),
                subject: kind.to_owned(),
                severity: if kind == "missing" { "critical" } else { "warning" }.into(),
                message,
                detail: json!({
                    "findings": these.iter().map(|f| f.id).collect::<Vec<_>>(),
                    "kind": kind,
                    "reason": first.reason,
                }),
            };
            if let Err(e) = self.catalog.raise_alert(alert, now).await {
                tracing::warn!(%tenant, error = %e, "cannot raise an assurance alert");
            }
        }
    }

    /// The gauges, and the alerts of kinds with no open finding resolved.
    pub async fn refresh(&self, now: DateTime<Utc>) -> Result<(), CatalogError> {
        let (calls, open) = self.catalog.assurance_gauges().await?;
        if let Some(m) = &self.metrics {
            m.assurance_calls.set(i64::try_from(calls).unwrap_or(i64::MAX));
            let mut totals: HashMap<&str, u64> =
                callvault_store::FINDING_KINDS.iter().map(|k| (*k, 0)).collect();
            for (_, kind, n) in &open {
                *totals.entry(kind.as_str()).or_default() += n;
            }
            for (kind, n) in totals {
                m.assurance_finding(kind, n);
            }
        }
        if self.config.alerts {
            for a in self.catalog.list_alerts(callvault_store::AlertScope::All, true, 1000).await? {
                if a.kind != ALERT_ASSURANCE_FINDING {
                    continue;
                }
                let still = open
                    .iter()
                    .any(|(t, k, n)| Some(*t) == a.tenant_id && *k == a.subject && *n > 0);
                if !still {
                    self.catalog.resolve_alert(a.tenant_id, &a.kind, &a.subject, now).await?;
                }
            }
        }
        Ok(())
    }

    /// Each tenant's report of yesterday (UTC), once: through the alert
    /// destinations (an `assurance_daily` alert, resolved at once).
    pub async fn daily(&self, now: DateTime<Utc>) -> Result<(), CatalogError> {
        if !self.config.daily_report {
            return Ok(());
        }
        let today = now.date_naive();
        let Some(yesterday) = today.pred_opt() else { return Ok(()) };
        for tenant in self.catalog.list_tenants().await? {
            let name = format!("daily:{}", tenant.id.0);
            let from = yesterday.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            if let Some((at, _)) = self.catalog.assurance_cursor(&name).await?
                && at >= from
            {
                continue;
            }
            let to = today.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            let summary =
                Summary::from(self.catalog.assurance_summary(Some(tenant.id), from, to).await?);
            if summary.calls > 0 {
                let worst = self
                    .catalog
                    .list_findings(
                        Some(tenant.id),
                        &FindingQuery {
                            since: Some(from),
                            until: Some(to),
                            open_only: true,
                            limit: 10,
                            ..Default::default()
                        },
                    )
                    .await?;
                let subject = format!("daily {yesterday}");
                let alert = NewAlert {
                    tenant_id: Some(tenant.id),
                    kind: ALERT_ASSURANCE_DAILY.into(),
                    subject: subject.clone(),
                    severity: "warning".into(),
                    message: daily_message(&tenant.name, yesterday, &summary, &worst),
                    detail: json!({ "date": yesterday.to_string(), "summary": summary,
                                    "worst": worst.iter().map(|f| json!({"kind": f.kind, "reason": f.reason, "call_id": f.call_id, "recording_id": f.recording_id})).collect::<Vec<_>>() }),
                };
                self.catalog.raise_alert(alert, now).await?;
                self.catalog
                    .resolve_alert(Some(tenant.id), ALERT_ASSURANCE_DAILY, &subject, now)
                    .await?;
            }
            self.catalog.set_assurance_cursor(&name, from, None).await?;
        }
        Ok(())
    }

    /// Everything due now, until nothing is: for `callvault audit` and the
    /// API's on-demand reconciliation.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<PassOutcome, CatalogError> {
        let mut total = PassOutcome::default();
        loop {
            let o = self.check_due(now).await?;
            total.checked += o.checked;
            total.opened += o.opened;
            if o.checked < u64::from(self.config.batch) {
                break;
            }
        }
        loop {
            let (opened, more) = self.scan_orphans(now).await?;
            total.orphans += opened;
            if !more {
                break;
            }
        }
        self.refresh(now).await?;
        Ok(total)
    }
}

#[async_trait::async_trait]
impl Worker for Reconciler {
    fn name(&self) -> &str {
        "assurance"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let now = Utc::now();
        let o = self.check_due(now).await?;
        if o.checked >= u64::from(self.config.batch) {
            return Ok(Next::Busy);
        }
        self.scan_orphans(now).await?;
        self.refresh(now).await?;
        self.daily(now).await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        tokio::select! {
            _ = tokio::time::sleep(self.config.interval()) => {}
            _ = self.wake.notified() => {}
        }
    }
}
