//! `callvault storage status` (dispatched from [`crate::storage`]) and `callvault scrub`.

use std::process::ExitCode;

use anyhow::bail;
use callvault_storage::capacity::StorageReport;
use callvault_store::ScrubRun;
use callvault_vault::Vault;
use clap::ValueEnum;

use crate::config::Config;
use crate::serve::{capacity_source, scrubber};

/// How a command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// `callvault scrub`'s arguments.
#[derive(clap::Args)]
pub struct ScrubArgs {
    /// Print the last pass of each store (the default).
    #[arg(long)]
    pub report: bool,
    /// Scrub now: a whole pass (or the rest of the one in progress) over
    /// every store, or over --store.
    #[arg(long, conflicts_with = "report")]
    pub now: bool,
    /// Only this store.
    #[arg(long)]
    pub store: Option<String>,
    /// Bytes read per second for --now (0: no limit); default scrub.rate_bytes_per_sec.
    #[arg(long)]
    pub rate: Option<u64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn mib(b: u64) -> String {
    format!("{:.1}", b as f64 / (1 << 20) as f64)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn print_report(
    report: &StorageReport,
    names: &std::collections::HashMap<callvault_model::TenantId, String>,
) {
    println!(
        "{:<16} {:<6} {:>9} {:>12} {:>12} {:>12} {:>7} {:>12} {:>12} {:>10}",
        "STORE",
        "KIND",
        "COPIES",
        "USED_MIB",
        "CAP_MIB",
        "FREE_MIB",
        "USED%",
        "GROW_7D_MIB",
        "GROW_30D_MIB",
        "DAYS_LEFT"
    );
    for s in &report.stores {
        println!(
            "{:<16} {:<6} {:>9} {:>12} {:>12} {:>12} {:>7} {:>12} {:>12} {:>10}",
            s.store,
            s.kind,
            s.copies,
            mib(s.used_bytes),
            opt(s.capacity_bytes.map(mib)),
            opt(s.free_bytes.map(mib)),
            opt(s.used_percent.map(|p| format!("{p:.1}"))),
            opt(s.growth_bytes_per_day_7d.map(|g| format!("{:.1}", g / (1 << 20) as f64))),
            opt(s.growth_bytes_per_day_30d.map(|g| format!("{:.1}", g / (1 << 20) as f64))),
            opt(s.days_until_full.map(|d| format!("{d:.1}"))),
        );
    }
    println!();
    println!(
        "{:<24} {:<16} {:>9} {:>12} {:>14}",
        "TENANT", "STORE", "COPIES", "USED_MIB", "GROW_30D_MIB"
    );
    for t in &report.tenants {
        println!(
            "{:<24} {:<16} {:>9} {:>12} {:>14}",
            names.get(&t.tenant_id).cloned().unwrap_or_else(|| t.tenant_id.0.to_string()),
            t.store,
            t.copies,
            mib(t.used_bytes),
            opt(t.growth_bytes_per_day_30d.map(|g| format!("{:.1}", g / (1 << 20) as f64))),
        );
    }
}

/// `callvault storage status`.
pub async fn storage_status(format: Format, config: &Config) -> anyhow::Result<ExitCode> {
    let vault = Vault::open(config.vault()).await?;
    let report = capacity_source(config, &vault).report(chrono::Utc::now()).await?;
    let names = vault.catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect();
    let disk = &vault.disk;
    match format {
        Format::Json => {
            let marks = disk.watermarks();
            let doc = serde_json::json!({
                "at": report.at,
                "stores": report.stores,
                "tenants": report.tenants,
                "data_dir": {
                    "free_bytes": disk.free_bytes(),
                    "low_watermark_bytes": marks.low_bytes,
                    "critical_watermark_bytes": marks.critical_bytes,
                    "level": disk.level().as_str(),
                },
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Table => {
            print_report(&report, &names);
            println!();
            println!(
                "data_dir: {} MiB free ({}; low watermark {} MiB, critical {} MiB)",
                opt(disk.free_bytes().map(mib)),
                disk.level().as_str(),
                mib(disk.watermarks().low_bytes),
                mib(disk.watermarks().critical_bytes),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rate_of(run: &ScrubRun) -> (f64, f64) {
    let secs = (run.busy_ms as f64 / 1000.0).max(0.001);
    (run.copies_checked as f64 / secs, run.bytes_checked as f64 / secs / 1e6)
}

fn print_runs(runs: &[ScrubRun], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        let docs: Vec<_> = runs
            .iter()
            .map(|r| {
                let (cps, mbps) = rate_of(r);
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["copies_per_sec"] = cps.into();
                v["mb_per_sec"] = mbps.into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&docs)?);
        return Ok(());
    }
    println!(
        "{:<16} {:<20} {:<9} {:>8} {:>10} {:>8} {:>8} {:>9} {:>13} {:>9} {:>8}",
        "STORE",
        "STARTED",
        "STATE",
        "CHECKED",
        "MIB",
        "DAMAGED",
        "MISSING",
        "REPAIRED",
        "UNREPAIRABLE",
        "COPIES/S",
        "MB/S"
    );
    for r in runs {
        let (cps, mbps) = rate_of(r);
        println!(
            "{:<16} {:<20} {:<9} {:>8} {:>10} {:>8} {:>8} {:>9} {:>13} {:>9.1} {:>8.1}",
            r.store,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            if r.finished_at.is_some() { "finished" } else { "running" },
            r.copies_checked,
            mib(r.bytes_checked),
            r.damaged,
            r.missing,
            r.repaired,
            r.unrepairable,
            cps,
            mbps,
        );
    }
    Ok(())
}

pub async fn scrub(args: ScrubArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let vault = Vault::open(config.vault()).await?;
    let mut scrubber = scrubber(config, &vault);
    if let Some(rate) = args.rate {
        scrubber.config.rate_bytes_per_sec = rate;
    }
    let stores: Vec<String> = match &args.store {
        Some(s) => {
            if !scrubber.stores.iter().any(|st| st.name() == s) {
                bail!("no store named {s:?}");
            }
            vec![s.clone()]
        }
        None => scrubber.stores.iter().map(|s| s.name().to_owned()).collect(),
    };
    let mut runs = Vec::new();
    if args.now {
        for store in &stores {
            runs.push(scrubber.run_pass(store).await?);
        }
    } else {
        for store in &stores {
            runs.extend(vault.catalog.scrub_runs(Some(store), 1).await?);
        }
    }
    print_runs(&runs, args.format)?;
    if args.now {
        for r in &runs {
            for f in vault.catalog.scrub_findings(r.id).await? {
                if args.format == Format::Table {
                    println!(
                        "{} {} {} {}: {}",
                        f.problem.as_str(),
                        f.outcome.as_str(),
                        f.store,
                        f.object_key,
                        f.detail
                    );
                }
            }
        }
    }
    let unrepairable = runs.iter().any(|r| r.unrepairable > 0);
    Ok(if unrepairable { ExitCode::from(4) } else { ExitCode::SUCCESS })
}
