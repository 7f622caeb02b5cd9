//! `callvault bench assurance`: reconciliation of N calls against N
//! conversations, and the latency of `audit --since 24h` on them.

use std::time::{Duration, Instant};

use callvault_assurance::report::Summary;
use callvault_assurance::{AssuranceSection, Reconciler};
use callvault_store::{FindingQuery, open_catalog};
use chrono::Utc;

use super::{peak_rss_kib, percentile};

pub async fn run(
    url: &str,
    calls: u64,
    batch: u32,
    section: &AssuranceSection,
) -> anyhow::Result<()> {
    let catalog = open_catalog(url, 8).await?;
    println!("assurance benchmark on {} ({calls} calls, {calls} conversations)", catalog.backend());
    // A fresh tenant each run: the figures are of exactly `calls` rows.
    let name = format!("bench-assurance-{}", uuid::Uuid::now_v7().simple());
    let tenant = catalog.create_tenant(&name[..40], "bench").await?;
    let now = Utc::now();
    let start = Instant::now();
    catalog.bench_seed_assurance(tenant.id, calls, now).await?;
    println!("seeded in {:.1} s", start.elapsed().as_secs_f64());
    catalog.maintain().await?;

    let mut config = section.clone();
    config.batch = batch;
    config.alerts = false;
    config.orphan_grace_secs = 0;
    let reconciler = Reconciler::new(catalog.clone(), config, None);
    let rss_before = peak_rss_kib("/proc/self").unwrap_or(0);
    let start = Instant::now();
    let outcome = reconciler.run_once(Utc::now()).await?;
    let wall = start.elapsed();
    let rss = peak_rss_kib("/proc/self").unwrap_or(0);
    println!(
        "reconciled {} calls in {:.1} s ({:.0} calls/s); {} findings opened, {} orphans; \
         peak RSS {} MiB (before reconciling {} MiB)",
        outcome.checked,
        wall.as_secs_f64(),
        outcome.checked as f64 / wall.as_secs_f64().max(1e-9),
        outcome.opened,
        outcome.orphans,
        rss / 1024,
        rss_before / 1024,
    );

    // `audit --since 24h --tenant T`, as the CLI runs it without reconciling.
    let mut times = Vec::new();
    let mut summary = None;
    for _ in 0..5 {
        let start = Instant::now();
        let until = Utc::now();
        let since = until - chrono::Duration::hours(24);
        let s = catalog.assurance_summary(Some(tenant.id), since, until).await?;
        let q =
            FindingQuery { since: Some(since), open_only: true, limit: 1000, ..Default::default() };
        let f = catalog.list_findings(Some(tenant.id), &q).await?;
        times.push(start.elapsed());
        summary = Some((Summary::from(s), f.len()));
    }
    times.sort();
    if let Some((s, listed)) = summary {
        println!(
            "audit --since 24h: p50 {:.0} ms, max {:.0} ms ({} calls, {:.1} % recorded completely, {} findings listed)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 1.0)),
            s.calls,
            s.recorded_completely.percent,
            listed
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
