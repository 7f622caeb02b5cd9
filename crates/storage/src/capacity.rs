//! Capacity: what each store holds and can hold, how fast it grows, and
//! when it will be full.
//!
//! Usage is the catalog's sum of copy sizes (the stored object bytes) per
//! store and tenant. A local store's capacity is its file system (statvfs:
//! its size and what is still free, whatever else shares it); a remote
//! store's is its configured quota (`[capacity] quota_bytes`), or unknown.
//! One sample per store (and per tenant on it) and UTC day goes into the
//! catalog; the growth rate is the least-squares slope of the samples of
//! the last 7 and 30 days, and the forecast of days until full divides the
//! free bytes by the faster of the two.
//!
//! [`CapacityWatch`] refreshes the gauges, records the day's samples and
//! raises (or resolves) one alert per store and threshold crossed
//! (`storage_capacity`, subject `STORE:PCT%`) and one per store whose
//! forecast is under the horizon (`storage_forecast`, subject `STORE`).
//! The forecast math is pure: [`growth_per_day`], [`days_until_full`],
//! [`crossed_thresholds`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use callvault_model::TenantId;
use callvault_store::{BlobStore, Catalog, CatalogError, NewAlert, StorageSample};
use callvault_vault::metrics::{Metrics, StoreLabels, StoreTenantLabels};
use callvault_vault::worker::{Next, WorkError, Worker, every};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The alert of a store over a usage threshold.
pub const ALERT_CAPACITY: &str = "storage_capacity";
/// The alert of a store forecast to be full soon.
pub const ALERT_FORECAST: &str = "storage_forecast";

/// `[capacity]`: thresholds, quotas, how often to look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CapacityConfig {
    /// How often usage is summed, gauges refreshed and alerts checked.
    pub check_secs: u64,
    /// Usage thresholds in percent of capacity; an alert per store and
    /// threshold crossed (the highest two are critical).
    pub thresholds_percent: Vec<u8>,
    /// An alert when a store is forecast to be full in fewer days.
    pub forecast_alert_days: u32,
    /// Quotas of remote stores (their capacity), by store name.
    pub quota_bytes: BTreeMap<String, u64>,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        Self {
            check_secs: 300,
            thresholds_percent: vec![80, 90, 95],
            forecast_alert_days: 14,
            quota_bytes: BTreeMap::new(),
        }
    }
}

impl CapacityConfig {
    /// Checked once at load: (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.check_secs == 0 {
            return Err(("check_secs".into(), "must be positive".into()));
        }
        if self.thresholds_percent.iter().any(|&p| p == 0 || p > 100) {
            return Err(("thresholds_percent".into(), "each must be 1 to 100".into()));
        }
        if let Some((name, _)) = self.quota_bytes.iter().find(|(_, q)| **q == 0) {
            return Err((format!("quota_bytes.{name}"), "must be positive".into()));
        }
        Ok(())
    }
}

/// Bytes per day the samples grew over the `window_days` days up to
/// `today` (least-squares slope of used bytes over days). None with fewer
/// than two samples in the window or all on one day.
pub fn growth_per_day(
    samples: &[(NaiveDate, u64)],
    today: NaiveDate,
    window_days: u32,
) -> Option<f64> {
    let from = today - chrono::Days::new(u64::from(window_days));
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(d, _)| *d > from && *d <= today)
        .map(|(d, used)| ((*d - today).num_days() as f64, *used as f64))
        .collect();
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Some(sxy / sxx)
}

/// Days until `free` bytes are used up at `per_day` bytes a day; None when
/// usage does not grow (or the rate is unknown). Zero free: 0 days.
pub fn days_until_full(free: u64, per_day: Option<f64>) -> Option<f64> {
    if free == 0 {
        return Some(0.0);
    }
    match per_day {
        Some(rate) if rate > 0.0 => Some(free as f64 / rate),
        _ => None,
    }
}

/// The thresholds (percent) that `used` of `capacity` has reached, in
/// the order given.
pub fn crossed_thresholds(used: u64, capacity: u64, thresholds: &[u8]) -> Vec<u8> {
    if capacity == 0 {
        return Vec::new();
    }
    thresholds
        .iter()
        .copied()
        .filter(|&p| u128::from(used) * 100 >= u128::from(capacity) * u128::from(p))
        .collect()
}

/// One store's capacity as `GET /v1/storage` and `callvault storage
/// status` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreCapacity {
    pub store: String,
    /// `local`, `s3`, `gcs`, `azure`, ...
    pub kind: String,
    /// Copies on the store (catalog).
    pub copies: u64,
    /// Bytes of the copies on the store (catalog).
    pub used_bytes: u64,
    /// The file system's size (local) or the quota (remote); None: unknown.
    pub capacity_bytes: Option<u64>,
    /// What can still be written: statvfs (local) or quota minus usage.
    pub free_bytes: Option<u64>,
    /// Percent of the capacity in use (a local file system's own usage,
    /// whatever else shares it).
    pub used_percent: Option<f64>,
    pub growth_bytes_per_day_7d: Option<f64>,
    pub growth_bytes_per_day_30d: Option<f64>,
    /// At the faster of the two rates; None when not growing.
    pub days_until_full: Option<f64>,
}

/// One tenant's usage of one store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantUsage {
    pub tenant_id: TenantId,
    pub store: String,
    pub copies: u64,
    pub used_bytes: u64,
    pub growth_bytes_per_day_30d: Option<f64>,
}

/// Every store's capacity and every tenant's usage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageReport {
    pub at: DateTime<Utc>,
    pub stores: Vec<StoreCapacity>,
    pub tenants: Vec<TenantUsage>,
}

impl StorageReport {
    /// Only `tenant`'s usage, with no store-wide figures beyond the store
    /// names (a tenant key's view).
    pub fn for_tenant(&self, tenant: TenantId) -> Vec<TenantUsage> {
        self.tenants.iter().filter(|t| t.tenant_id == tenant).cloned().collect()
    }
}

/// Where capacity comes from: the stores, their quotas.
#[derive(Clone)]
pub struct CapacitySource {
    pub catalog: Arc<dyn Catalog>,
    pub stores: Vec<Arc<BlobStore>>,
    pub quotas: BTreeMap<String, u64>,
}

fn samples_of(s: &[StorageSample]) -> Vec<(NaiveDate, u64)> {
    s.iter().map(|s| (s.day, s.used_bytes)).collect()
}

impl CapacitySource {
    /// Sums usage, reads the file systems, and computes rates and forecasts
    /// from the samples in the catalog (with today's usage as today's
    /// sample, recorded or not).
    pub async fn report(&self, now: DateTime<Utc>) -> Result<StorageReport, CatalogError> {
        let today = now.date_naive();
        let usage = self.catalog.storage_usage().await?;
        let since = today - chrono::Days::new(30);
        let mut stores = Vec::new();
        for store in &self.stores {
            let name = store.name().to_owned();
            let (copies, used) = usage
                .iter()
                .filter(|u| u.store == name)
                .fold((0, 0), |(c, b), u| (c + u.copies, b + u.bytes));
            let (capacity, free, percent) = match store.local_root() {
                Some(root) => {
                    let root = root.to_owned();
                    let fs = tokio::task::spawn_blocking(move || {
                        let total = callvault_vault::disk::total_bytes(&root)?;
                        let free = callvault_vault::disk::free_bytes(&root)?;
                        std::io::Result::Ok((total, free))
                    })
                    .await
                    .ok()
                    .and_then(Result::ok);
                    match fs {
                        Some((total, free)) if total > 0 => (
                            Some(total),
                            Some(free),
                            Some(100.0 * (total.saturating_sub(free)) as f64 / total as f64),
                        ),
                        _ => (None, None, None),
                    }
                }
                None => match self.quotas.get(&name) {
                    Some(&quota) => (
                        Some(quota),
                        Some(quota.saturating_sub(used)),
                        Some(100.0 * used as f64 / quota as f64),
                    ),
                    None => (None, None, None),
                },
            };
            let mut samples = samples_of(&self.catalog.storage_samples(&name, None, since).await?);
            samples.retain(|(d, _)| *d != today);
            samples.push((today, used));
            let g7 = growth_per_day(&samples, today, 7);
            let g30 = growth_per_day(&samples, today, 30);
            let fastest = match (g7, g30) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            stores.push(StoreCapacity {
                store: name,
                kind: store.kind().to_owned(),
                copies,
                used_bytes: used,
                capacity_bytes: capacity,
                free_bytes: free,
                used_percent: percent,
                growth_bytes_per_day_7d: g7,
                growth_bytes_per_day_30d: g30,
                days_until_full: free.and_then(|f| days_until_full(f, fastest)),
            });
        }
        let mut tenants = Vec::new();
        for u in &usage {
            let mut samples = samples_of(
                &self.catalog.storage_samples(&u.store, Some(u.tenant_id), since).await?,
            );
            samples.retain(|(d, _)| *d != today);
            samples.push((today, u.bytes));
            tenants.push(TenantUsage {
                tenant_id: u.tenant_id,
                store: u.store.clone(),
                copies: u.copies,
                used_bytes: u.bytes,
                growth_bytes_per_day_30d: growth_per_day(&samples, today, 30),
            });
        }
        Ok(StorageReport { at: now, stores, tenants })
    }

    /// Records today's samples of a report.
    pub async fn record(&self, report: &StorageReport) -> Result<(), CatalogError> {
        let day = report.at.date_naive();
        for s in &report.stores {
            self.catalog
                .record_storage_sample(&StorageSample {
                    store: s.store.clone(),
                    tenant_id: None,
                    day,
                    used_bytes: s.used_bytes,
                    copies: s.copies,
                    sampled_at: report.at,
                })
                .await?;
        }
        for t in &report.tenants {
            self.catalog
                .record_storage_sample(&StorageSample {
                    store: t.store.clone(),
                    tenant_id: Some(t.tenant_id),
                    day,
                    used_bytes: t.used_bytes,
                    copies: t.copies,
                    sampled_at: report.at,
                })
                .await?;
        }
        Ok(())
    }
}

/// Raise or resolve the capacity alerts of a report: one per store and
/// threshold, one per store for the forecast.
pub async fn check_alerts(
    catalog: &dyn Catalog,
    report: &StorageReport,
    config: &CapacityConfig,
) -> Result<(), CatalogError> {
    let now = report.at;
    let mut thresholds = config.thresholds_percent.clone();
    thresholds.sort_unstable();
    for s in &report.stores {
        // Threshold over the capacity actually in use (a local file system's
        // own usage; a quota's, by the catalog's sum).
        let used_now = match (s.capacity_bytes, s.free_bytes) {
            (Some(cap), Some(free)) => Some((cap.saturating_sub(free), cap)),
            _ => None,
        };
        let crossed = used_now
            .map(|(used, cap)| crossed_thresholds(used, cap, &thresholds))
            .unwrap_or_default();
        for (i, &pct) in thresholds.iter().enumerate() {
            let subject = format!("{}:{pct}%", s.store);
            if crossed.contains(&pct) {
                let severity =
                    if i + 2 >= thresholds.len() && i > 0 { "critical" } else { "warning" };
                catalog
                    .raise_alert(
                        NewAlert {
                            tenant_id: None,
                            kind: ALERT_CAPACITY.into(),
                            subject,
                            severity: severity.into(),
                            message: format!(
                                "store {} is {:.1} % full (threshold {pct} %)",
                                s.store,
                                s.used_percent.unwrap_or(0.0)
                            ),
                            detail: serde_json::to_value(s).unwrap_or_default(),
                        },
                        now,
                    )
                    .await?;
            } else {
                catalog.resolve_alert(None, ALERT_CAPACITY, &subject, now).await?;
            }
        }
        match s.days_until_full {
            Some(days) if days < f64::from(config.forecast_alert_days) => {
                catalog
                    .raise_alert(
                        NewAlert {
                            tenant_id: None,
                            kind: ALERT_FORECAST.into(),
                            subject: s.store.clone(),
                            severity: if days < 3.0 { "critical" } else { "warning" }.into(),
                            message: format!(
                                "store {} will be full in {days:.1} days at its growth rate",
                                s.store
                            ),
                            detail: serde_json::to_value(s).unwrap_or_default(),
                        },
                        now,
                    )
                    .await?;
            }
            _ => {
                catalog.resolve_alert(None, ALERT_FORECAST, &s.store, now).await?;
            }
        }
    }
    Ok(())
}

/// Puts a report on `/metrics`.
pub fn publish(
    metrics: &Metrics,
    report: &StorageReport,
    tenant_names: &BTreeMap<TenantId, String>,
) {
    let m = &metrics.capacity;
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for s in &report.stores {
        let l = StoreLabels { store: s.store.clone() };
        m.used_bytes.get_or_create(&l).set(clamp(s.used_bytes));
        m.capacity_bytes.get_or_create(&l).set(clamp(s.capacity_bytes.unwrap_or(0)));
        m.days_until_full.get_or_create(&l).set(s.days_until_full.unwrap_or(-1.0));
    }
    for t in &report.tenants {
        let tenant =
            tenant_names.get(&t.tenant_id).cloned().unwrap_or_else(|| t.tenant_id.0.to_string());
        m.tenant_used_bytes
            .get_or_create(&StoreTenantLabels { store: t.store.clone(), tenant })
            .set(clamp(t.used_bytes));
    }
}

/// The worker: every `[capacity] check_secs`, a report, its samples, its
/// gauges and its alerts.
pub struct CapacityWatch {
    pub source: CapacitySource,
    pub metrics: Arc<Metrics>,
    pub config: CapacityConfig,
}

#[async_trait::async_trait]
impl Worker for CapacityWatch {
    fn name(&self) -> &str {
        "capacity"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let report = self.source.report(Utc::now()).await?;
        let names =
            self.source.catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect();
        publish(&self.metrics, &report, &names);
        self.source.record(&report).await?;
        check_alerts(self.source.catalog.as_ref(), &report, &self.config).await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(self.config.check_secs.max(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn growth_is_the_slope_of_the_window() {
        // 1 GB a day for 10 days.
        let s: Vec<_> = (1..=10).map(|d| (day(d), u64::from(d) * 1_000_000_000)).collect();
        let g = growth_per_day(&s, day(10), 7).unwrap();
        assert!((g - 1e9).abs() < 1.0, "{g}");
        // Only the last 7 days count: a flat start does not dilute a surge.
        let mut s: Vec<_> = (1..=3).map(|d| (day(d), 5_000)).collect();
        s.extend((4..=10).map(|d| (day(d), 5_000 + u64::from(d - 3) * 100)));
        let g7 = growth_per_day(&s, day(10), 7).unwrap();
        assert!((g7 - 100.0).abs() < 1e-6, "{g7}");
        let g30 = growth_per_day(&s, day(10), 30).unwrap();
        assert!(g30 < g7, "the longer window is diluted: {g30}");
    }

    #[test]
    fn too_few_samples_give_no_rate() {
        assert_eq!(growth_per_day(&[], day(10), 7), None);
        assert_eq!(growth_per_day(&[(day(10), 5)], day(10), 7), None);
        // Outside the window.
        assert_eq!(growth_per_day(&[(day(1), 5), (day(2), 9)], day(20), 7), None);
        // Shrinking usage is a negative rate, not full.
        let g = growth_per_day(&[(day(1), 900), (day(2), 800)], day(2), 7).unwrap();
        assert!(g < 0.0);
        assert_eq!(days_until_full(1000, Some(g)), None);
    }

    #[test]
    fn forecast_divides_free_by_rate() {
        assert_eq!(days_until_full(1000, Some(100.0)), Some(10.0));
        assert_eq!(days_until_full(1000, None), None);
        assert_eq!(days_until_full(1000, Some(0.0)), None);
        assert_eq!(days_until_full(0, None), Some(0.0), "a full store is full today");
    }

    #[test]
    fn thresholds_crossed_at_or_over() {
        assert_eq!(crossed_thresholds(79, 100, &[80, 90, 95]), Vec::<u8>::new());
        assert_eq!(crossed_thresholds(80, 100, &[80, 90, 95]), [80]);
        assert_eq!(crossed_thresholds(94, 100, &[80, 90, 95]), [80, 90]);
        assert_eq!(crossed_thresholds(100, 100, &[80, 90, 95]), [80, 90, 95]);
        assert_eq!(crossed_thresholds(5, 0, &[80]), Vec::<u8>::new(), "unknown capacity");
        // No overflow near u64::MAX.
        assert_eq!(crossed_thresholds(u64::MAX, u64::MAX, &[95]), [95]);
    }

    #[test]
    fn config_is_checked() {
        assert!(CapacityConfig::default().validate().is_ok());
        let bad = CapacityConfig { thresholds_percent: vec![0], ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().0, "thresholds_percent");
        let bad = CapacityConfig {
            quota_bytes: [("s3".to_string(), 0)].into_iter().collect(),
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "quota_bytes.s3");
    }
}
