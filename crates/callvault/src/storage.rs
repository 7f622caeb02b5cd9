//! `callvault storage ...`: stores, policies, and an offload run.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use callvault_storage::jobs::{Engine, JobError};
use callvault_store::{StoragePolicy, TierRule};
use callvault_vault::Vault;
use clap::Subcommand;

use crate::config::Config;

#[derive(Subcommand)]
pub enum StorageCommand {
    /// Capacity, growth and days until full per store; usage per tenant;
    /// the data_dir's free space against its watermarks.
    Status {
        #[arg(long, value_enum, default_value_t = crate::storage_cli::Format::Table)]
        format: crate::storage_cli::Format,
    },
    /// List the configured stores with their roles.
    Stores,
    /// Show or set a tenant's storage policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the storage jobs once (replication, return from the fallback,
    /// offload/tiering) and print every copy and removal.
    Offload {
        #[arg(long)]
        tenant: Option<String>,
        /// Print what would be copied and deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds to wait for another process holding the storage lease.
        #[arg(long, default_value_t = 300)]
        wait_secs: u64,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// The tenant's effective policy (its own, or the default).
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Change a tenant's policy; unnamed fields keep their value.
    Set {
        #[arg(long)]
        tenant: String,
        /// Verified copies every recording must have.
        #[arg(long)]
        copies: Option<u32>,
        /// Stores that hold a copy, comma-separated, preferred first.
        #[arg(long, value_delimiter = ',')]
        stores: Option<Vec<String>>,
        /// Move the copy on --tier-from to --tier-to after this many days.
        #[arg(long)]
        tier_after_days: Option<u32>,
        #[arg(long)]
        tier_from: Option<String>,
        #[arg(long)]
        tier_to: Option<String>,
        /// No tiering.
        #[arg(long, conflicts_with_all = ["tier_after_days", "tier_from", "tier_to"])]
        no_tier: bool,
        /// Seconds a recording may be under-replicated before an alert.
        #[arg(long)]
        alert_after_secs: Option<u64>,
        /// Return the tenant to the configured default.
        #[arg(long)]
        default: bool,
    },
}

pub async fn run(cmd: StorageCommand, config: &Config) -> anyhow::Result<ExitCode> {
    if let StorageCommand::Status { format } = cmd {
        return crate::storage_cli::storage_status(format, config).await;
    }
    let vault = Vault::open(config.vault()).await?;
    match cmd {
        // Answered above, before the vault is opened a second time.
        StorageCommand::Status { .. } => {}
        StorageCommand::Stores => {
            for (store, role) in vault.stores.iter() {
                println!("{}\t{}\t{}", store.name(), role.as_str(), store.kind());
            }
        }
        StorageCommand::Policy(PolicyCommand::Show { tenant }) => {
            let t = crate::delivery::tenant_id(vault.catalog.as_ref(), &tenant).await?;
            let (policy, source) = match vault.catalog.storage_policy(t).await? {
                Some(p) => (p, "tenant"),
                None => (config.storage.policy.clone(), "default"),
            };
            println!("# {source} policy of {tenant}");
            println!("{}", toml::to_string(&policy)?);
        }
        StorageCommand::Policy(PolicyCommand::Set {
            tenant,
            copies,
            stores,
            tier_after_days,
            tier_from,
            tier_to,
            no_tier,
            alert_after_secs,
            default,
        }) => {
            let t = crate::delivery::tenant_id(vault.catalog.as_ref(), &tenant).await?;
            if default {
                vault.catalog.set_storage_policy(t, None, "cli", chrono::Utc::now()).await?;
                println!("{tenant} follows the default storage policy");
                return Ok(ExitCode::SUCCESS);
            }
            let mut p = vault
                .catalog
                .storage_policy(t)
                .await?
                .unwrap_or_else(|| config.storage.policy.clone());
            if let Some(c) = copies {
                p.copies = c;
            }
            if let Some(s) = stores {
                p.stores = s;
            }
            if no_tier {
                p.tier = None;
            } else if tier_after_days.is_some() || tier_from.is_some() || tier_to.is_some() {
                let old = p.tier.clone();
                p.tier = Some(TierRule {
                    after_days: tier_after_days
                        .or(old.as_ref().map(|t| t.after_days))
                        .context("--tier-after-days is needed")?,
                    from: tier_from
                        .or(old.as_ref().map(|t| t.from.clone()))
                        .unwrap_or_else(|| "primary".into()),
                    to: tier_to.or(old.map(|t| t.to)).context("--tier-to is needed")?,
                });
            }
            if let Some(a) = alert_after_secs {
                p.alert_after_secs = a;
            }
            check(config, &p)?;
            vault.catalog.set_storage_policy(t, Some(&p), "cli", chrono::Utc::now()).await?;
            println!("{}", toml::to_string(&p)?);
        }
        StorageCommand::Offload { tenant, dry_run, wait_secs } => {
            // What a killed run left: its pending objects, removed.
            // A store that is down only keeps its own leftovers for later.
            if let Err(e) = vault.recover().await {
                eprintln!("warning: recovery before the run did not finish: {e}");
            }
            let tenant = match tenant {
                Some(name) => {
                    Some(crate::delivery::tenant_id(vault.catalog.as_ref(), &name).await?)
                }
                None => None,
            };
            let engine = Engine {
                catalog: vault.catalog.clone(),
                stores: vault.stores.clone(),
                metrics: vault.metrics.clone(),
                owner: vault.instance.id().to_owned(),
                default_policy: config.storage.policy.clone(),
                config: config.storage.jobs.clone(),
            };
            let prefix = if dry_run { "would " } else { "" };
            let mut print = |a: &callvault_storage::plan::Action| println!("{prefix}{a}");
            let report = if dry_run {
                engine.pass(tenant, true, &mut print).await?
            } else {
                match engine.acquire(Duration::from_secs(wait_secs)).await {
                    Ok(()) => {}
                    Err(JobError::Busy) => anyhow::bail!("another process holds the storage lease"),
                    Err(e) => return Err(e.into()),
                }
                let result = engine.pass(tenant, false, &mut print).await;
                engine.release().await;
                result?
            };
            println!(
                "recordings {}, copied {} ({} bytes), deleted {}, resumed {}, failed {}, refused {}, under-replicated {}",
                report.recordings,
                report.copies_made,
                report.bytes_copied,
                report.copies_deleted,
                report.resumed,
                report.copies_failed + report.deletes_failed + report.skipped,
                report.deletes_refused,
                report.under_replicated,
            );
            if report.failures() > 0 {
                // Pending objects a store that was down kept are then
                // recovered by the next run at once.
                vault.instance.keep_proof_of_death();
                return Ok(ExitCode::from(2));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(config: &Config, p: &StoragePolicy) -> anyhow::Result<()> {
    config.storage.check_policy(p).map_err(|m| anyhow::anyhow!("invalid storage policy: {m}"))
}
