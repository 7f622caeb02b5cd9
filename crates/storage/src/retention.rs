//! Retention: the rules' decision (sans-IO: rules, candidates and `now` in,
//! a verdict out) and the run that applies it through the catalog.
//!
//! A run, per tenant: count what the rules would trash (held recordings are
//! never candidates: the catalog leaves them out, and checks again in the
//! transaction that trashes); if that is more than the mass-deletion guard
//! allows (`guard_percent` of the tenant's live recordings) and no operator
//! confirmed that many, raise a `retention_guard` alert and trash nothing;
//! otherwise trash in batches, each recording with the rule that matched it.
//! Trashed recordings no longer match, so a run stopped anywhere is simply
//! run again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use callvault_model::{Direction, RecordingId, RecordingSource, TenantId};
use callvault_store::{
    Catalog, CatalogError, NewAlert, RetentionCandidate, RetentionRule, TrashCause, number_tail,
};
use callvault_vault::metrics::{Metrics, TenantLabels};
use callvault_vault::worker::{Next, WorkError, Worker, every};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The alert a tripped guard raises.
pub const GUARD_ALERT: &str = "retention_guard";

/// The actor of the retention run in the audit log.
pub const RETENTION_ACTOR: &str = "system:retention";

/// `[retention]`: the retention run, the trash and the purge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Run retention and the purge in `serve`.
    pub enabled: bool,
    /// Seconds between two retention runs.
    pub interval_secs: u64,
    /// Seconds between two purges of the trash.
    pub purge_interval_secs: u64,
    /// How long a trashed recording stays restorable before its objects and
    /// rows are removed (default 7 days).
    pub trash_grace_secs: u64,
    /// The mass-deletion guard: a run that would trash more than this
    /// percentage of a tenant's live recordings stops for that tenant.
    pub guard_percent: f64,
    /// Recordings read and trashed per catalog round trip.
    pub batch: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 3600,
            purge_interval_secs: 600,
            trash_grace_secs: 7 * 86_400,
            guard_percent: 10.0,
            batch: 500,
        }
    }
}

impl RetentionConfig {
    /// Checks at start-up: the failing key and why.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(self.guard_percent > 0.0 && self.guard_percent <= 100.0) {
            return Err((
                "retention.guard_percent".into(),
                "must be above 0 and at most 100".into(),
            ));
        }
        if self.batch == 0 || self.batch > 1000 {
            return Err(("retention.batch".into(), "must be 1 to 1000".into()));
        }
        if self.interval_secs == 0 {
            return Err(("retention.interval_secs".into(), "must be at least 1".into()));
        }
        if self.purge_interval_secs == 0 {
            return Err(("retention.purge_interval_secs".into(), "must be at least 1".into()));
        }
        Ok(())
    }

    /// The grace period.
    pub fn grace(&self) -> Duration {
        Duration::from_secs(self.trash_grace_secs)
    }
}

/// Errors of a retention run.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// A direction as the CLI and the API take it: `in`, `out`, `internal`
/// (or the model's `inbound`, `outbound`).
pub fn parse_direction(s: &str) -> Result<Direction, String> {
    match s {
        "in" | "inbound" => Ok(Direction::Inbound),
        "out" | "outbound" => Ok(Direction::Outbound),
        "internal" => Ok(Direction::Internal),
        _ => Err(format!("direction {s:?} is not in, out or internal")),
    }
}

/// A recording source: `upload`, `import`, `capture`, `siprec`.
pub fn parse_source(s: &str) -> Result<RecordingSource, String> {
    match s {
        "upload" => Ok(RecordingSource::Upload),
        "import" => Ok(RecordingSource::Import),
        "capture" => Ok(RecordingSource::Capture),
        "siprec" => Ok(RecordingSource::Siprec),
        _ => Err(format!("source {s:?} is not upload, import, capture or siprec")),
    }
}

// --- the decision (sans-IO) ---------------------------------------------------

/// Whether `number` starts with `prefix` (digits only), in full or by its
/// last 10 digits (so that `495` matches `+7 495 ...`).
fn number_has_prefix(number: &str, prefix: &str) -> bool {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    !digits.is_empty()
        && (digits.starts_with(prefix)
            || number_tail(number).is_some_and(|tail| tail.starts_with(prefix)))
}

/// Whether `rule` deletes `candidate` at `now`: the call started more than
/// `days` days before `now` and every filter the rule sets matches.
pub fn rule_matches(rule: &RetentionRule, c: &RetentionCandidate, now: DateTime<Utc>) -> bool {
    let age_ok = match now.checked_sub_signed(chrono::Duration::days(i64::from(rule.days))) {
        Some(cutoff) => c.started_at < cutoff,
        None => false,
    };
    let direction_ok = rule.direction.is_none_or(|d: Direction| d == c.direction);
    let source_ok = rule.source.is_none_or(|s: RecordingSource| s == c.source);
    let number_ok = rule.number_prefix.as_deref().is_none_or(|p| {
        [&c.external_number, &c.company_number]
            .into_iter()
            .flatten()
            .any(|n| number_has_prefix(n, p))
    });
    age_ok && direction_ok && source_ok && number_ok
}

/// The rule that trashes `candidate` (the oldest of those that match).
pub fn matching_rule<'a>(
    rules: &'a [RetentionRule],
    candidate: &RetentionCandidate,
    now: DateTime<Utc>,
) -> Option<&'a RetentionRule> {
    rules.iter().find(|r| rule_matches(r, candidate, now))
}

/// The oldest call start any of `rules` can delete at `now`: candidates
/// are read from before it.
pub fn cutoff(rules: &[RetentionRule], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = rules.iter().map(|r| r.days).min()?;
    now.checked_sub_signed(chrono::Duration::days(i64::from(days)))
}

/// What the mass-deletion guard says about a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guard {
    /// Within the limit.
    Proceed,
    /// Over the limit, but an operator confirmed at least this many.
    Confirmed,
    /// Over the limit: trash nothing, alert.
    Trip { would_trash: u64, live: u64, limit: u64 },
}

/// The guard: trashing `would_trash` of `live` recordings is allowed up to
/// `percent` % of `live` (rounded down), or up to what an operator
/// `confirmed`.
pub fn guard(would_trash: u64, live: u64, percent: f64, confirmed: Option<u64>) -> Guard {
    // f64 holds every count below 2^53 exactly; the product is floored.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let limit = ((live as f64) * percent / 100.0).floor() as u64;
    if would_trash <= limit {
        Guard::Proceed
    } else if confirmed.is_some_and(|c| would_trash <= c) {
        Guard::Confirmed
    } else {
        Guard::Trip { would_trash, live, limit }
    }
}

// --- the run (the edge) ---------------------------------------------------------

/// What a run did for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TenantRun {
    pub tenant_id: Option<TenantId>,
    /// Recordings the rules matched (none under hold).
    pub matched: u64,
    /// Live recordings of the tenant when the run began.
    pub live: u64,
    /// Moved to the trash now.
    pub trashed: u64,
    /// Bytes of those.
    pub trashed_bytes: u64,
    /// Skipped because a hold was placed while the run went on.
    pub held: u64,
    /// The guard stopped the run: nothing was trashed.
    pub guard_tripped: bool,
    /// An operator's confirmation let the run past the guard (and was used up).
    pub confirmed: bool,
    /// Trashed per rule id.
    pub by_rule: BTreeMap<String, u64>,
}

/// How the run treats what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Count only; trash nothing, raise nothing.
    DryRun,
    /// Trash what the rules and the guard allow.
    Apply,
}

/// Run `rules` (all of one tenant's) at `now`.
pub async fn run_tenant(
    catalog: &dyn Catalog,
    tenant: TenantId,
    rules: &[RetentionRule],
    config: &RetentionConfig,
    now: DateTime<Utc>,
    mode: RunMode,
) -> Result<TenantRun, RetentionError> {
    let mut run = TenantRun { tenant_id: Some(tenant), ..TenantRun::default() };
    let Some(before) = cutoff(rules, now) else { return Ok(run) };
    // First pass: count, so that the guard decides before anything moves.
    let mut after: Option<RecordingId> = None;
    loop {
        let page = catalog.retention_candidates(tenant, before, after, config.batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        run.matched +=
            page.iter().filter(|c| matching_rule(rules, c, now).is_some()).count() as u64;
    }
    run.live = catalog.live_recording_count(tenant).await?;
    if run.matched == 0 || mode == RunMode::DryRun {
        if mode == RunMode::DryRun {
            let confirmed = catalog.retention_confirmation(tenant).await?;
            run.guard_tripped = matches!(
                guard(run.matched, run.live, config.guard_percent, confirmed),
                Guard::Trip { .. }
            );
        }
        return Ok(run);
    }
    let confirmed = catalog.retention_confirmation(tenant).await?;
    match guard(run.matched, run.live, config.guard_percent, confirmed) {
        Guard::Trip { would_trash, live, limit } => {
            run.guard_tripped = true;
            tracing::warn!(
                tenant = %tenant, would_trash, live, limit,
                "retention stopped by the mass-deletion guard; nothing trashed"
            );
            catalog
                .raise_alert(
                    NewAlert {
                        tenant_id: Some(tenant),
                        kind: GUARD_ALERT.into(),
                        subject: format!("tenant:{tenant}"),
                        severity: "critical".into(),
                        message: format!(
                            "retention would move {would_trash} of {live} recordings to the \
                             trash, more than the {}% guard ({limit}); nothing was trashed. \
                             Confirm with `callvault retention confirm --tenant NAME --count \
                             {would_trash}` or POST /v1/retention/confirm",
                            config.guard_percent
                        ),
                        detail: serde_json::json!({
                            "would_trash": would_trash,
                            "live": live,
                            "limit": limit,
                            "guard_percent": config.guard_percent,
                        }),
                    },
                    now,
                )
                .await?;
            return Ok(run);
        }
        Guard::Confirmed => run.confirmed = true,
        Guard::Proceed => {}
    }
    // Second pass: trash, a batch at a time, each with its rule.
    let mut after: Option<RecordingId> = None;
    loop {
        let page = catalog.retention_candidates(tenant, before, after, config.batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let mut by_rule: BTreeMap<uuid::Uuid, (Vec<RecordingId>, u64)> = BTreeMap::new();
        for c in &page {
            if let Some(rule) = matching_rule(rules, c, now) {
                let entry = by_rule.entry(rule.id).or_default();
                entry.0.push(c.id);
                entry.1 += c.size_bytes;
            }
        }
        let sizes: std::collections::HashMap<RecordingId, u64> =
            page.iter().map(|c| (c.id, c.size_bytes)).collect();
        for (rule, (ids, _)) in by_rule {
            let cause =
                TrashCause { by: format!("rule:{rule}"), actor: RETENTION_ACTOR.to_owned() };
            let outcome = catalog.trash_recordings(tenant, &ids, &cause, now).await?;
            run.trashed += outcome.trashed.len() as u64;
            run.trashed_bytes +=
                outcome.trashed.iter().map(|id| sizes.get(id).copied().unwrap_or(0)).sum::<u64>();
            run.held += outcome.held.len() as u64;
            *run.by_rule.entry(rule.to_string()).or_default() += outcome.trashed.len() as u64;
        }
    }
    if run.confirmed {
        catalog.consume_retention_confirmation(tenant).await?;
    }
    catalog.resolve_alert(Some(tenant), GUARD_ALERT, &format!("tenant:{tenant}"), now).await?;
    tracing::info!(tenant = %tenant, trashed = run.trashed, held = run.held, "retention run");
    Ok(run)
}

/// Run every tenant's rules at `now` (`tenant` Some: that tenant's only).
pub async fn run_all(
    catalog: &dyn Catalog,
    tenant: Option<TenantId>,
    config: &RetentionConfig,
    now: DateTime<Utc>,
    mode: RunMode,
) -> Result<Vec<TenantRun>, RetentionError> {
    let rules = catalog.list_retention_rules(tenant).await?;
    let mut per_tenant: BTreeMap<uuid::Uuid, Vec<RetentionRule>> = BTreeMap::new();
    for rule in rules {
        per_tenant.entry(rule.tenant_id.0).or_default().push(rule);
    }
    let mut runs = Vec::new();
    for (t, rules) in per_tenant {
        runs.push(run_tenant(catalog, TenantId(t), &rules, config, now, mode).await?);
    }
    Ok(runs)
}

/// The retention run as a background job of `serve`.
pub struct RetentionWorker {
    pub catalog: Arc<dyn Catalog>,
    pub config: RetentionConfig,
    pub metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for RetentionWorker {
    fn name(&self) -> &str {
        "retention"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let now = Utc::now();
        let runs = run_all(self.catalog.as_ref(), None, &self.config, now, RunMode::Apply).await?;
        let names = tenant_names(self.catalog.as_ref()).await?;
        for run in runs {
            let tenant = run.tenant_id.map(|t| names.get(&t).cloned().unwrap_or(t.to_string()));
            let labels = TenantLabels { tenant: tenant.unwrap_or_default() };
            self.metrics.retention_trashed.get_or_create(&labels).inc_by(run.trashed);
            if run.guard_tripped {
                self.metrics.retention_guard_trips.get_or_create(&labels).inc();
            }
        }
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(self.config.interval_secs)).await;
    }
}

/// Tenant names by id, for metric labels.
pub(crate) async fn tenant_names(
    catalog: &dyn Catalog,
) -> Result<std::collections::HashMap<TenantId, String>, CatalogError> {
    Ok(catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use callvault_model::ConversationId;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn rule(days: u32) -> RetentionRule {
        RetentionRule {
            id: uuid::Uuid::now_v7(),
            tenant_id: TenantId(uuid::Uuid::nil()),
            days,
            direction: None,
            number_prefix: None,
            source: None,
            created_at: now(),
            created_by: "test".into(),
        }
    }

    fn candidate(age_days: i64) -> RetentionCandidate {
        RetentionCandidate {
            id: RecordingId(uuid::Uuid::now_v7()),
            conversation_id: ConversationId(uuid::Uuid::now_v7()),
            started_at: now() - chrono::Duration::days(age_days),
            source: RecordingSource::Upload,
            size_bytes: 10,
            direction: Direction::Inbound,
            external_number: Some("+7 (495) 123-45-67".into()),
            company_number: Some("101".into()),
        }
    }

    #[test]
    fn age_is_counted_from_the_call_start_against_now() {
        let r = rule(30);
        assert!(!rule_matches(&r, &candidate(29), now()));
        assert!(!rule_matches(&r, &candidate(30), now()), "exactly 30 days is not older");
        assert!(rule_matches(&r, &candidate(31), now()));
        // The same candidate, judged a day earlier, is kept.
        let c = candidate(30);
        assert!(rule_matches(&r, &c, now() + chrono::Duration::seconds(1)));
    }

    #[test]
    fn filters_combine() {
        let c = candidate(100);
        let mut r = rule(30);
        r.direction = Some(Direction::Outbound);
        assert!(!rule_matches(&r, &c, now()));
        r.direction = Some(Direction::Inbound);
        assert!(rule_matches(&r, &c, now()));
        r.source = Some(RecordingSource::Siprec);
        assert!(!rule_matches(&r, &c, now()));
        r.source = Some(RecordingSource::Upload);
        for (prefix, hit) in [("7495", true), ("495", true), ("812", false), ("10", true)] {
            r.number_prefix = Some(prefix.into());
            assert_eq!(rule_matches(&r, &c, now()), hit, "prefix {prefix}");
        }
    }

    #[test]
    fn the_oldest_matching_rule_names_the_deletion() {
        let mut narrow = rule(10);
        narrow.source = Some(RecordingSource::Capture);
        let wide = rule(20);
        let rules = vec![narrow, wide.clone()];
        assert_eq!(matching_rule(&rules, &candidate(25), now()).map(|r| r.id), Some(wide.id));
        assert!(matching_rule(&rules, &candidate(15), now()).is_none());
        assert_eq!(cutoff(&rules, now()), Some(now() - chrono::Duration::days(10)));
        assert_eq!(cutoff(&[], now()), None);
    }

    #[test]
    fn the_guard_trips_above_the_percentage_unless_confirmed() {
        assert_eq!(guard(10, 100, 10.0, None), Guard::Proceed);
        assert_eq!(
            guard(11, 100, 10.0, None),
            Guard::Trip { would_trash: 11, live: 100, limit: 10 }
        );
        assert_eq!(guard(11, 100, 10.0, Some(11)), Guard::Confirmed);
        assert_eq!(
            guard(12, 100, 10.0, Some(11)),
            Guard::Trip { would_trash: 12, live: 100, limit: 10 }
        );
        assert_eq!(guard(0, 0, 10.0, None), Guard::Proceed);
        assert_eq!(guard(1, 5, 10.0, None), Guard::Trip { would_trash: 1, live: 5, limit: 0 });
        assert_eq!(guard(50, 100, 50.0, None), Guard::Proceed);
    }
}
