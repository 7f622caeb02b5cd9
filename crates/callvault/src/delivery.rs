//! Delivery in the binary: the channels and media of this process, and the
//! operator's `destination`, `deliveries` and `alerts` commands.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use callvault_api::deliveries::{default_events, test_outcome, validate_destination};
use callvault_delivery::runner::{Channels, MediaFactory, test_destination};
use callvault_model::TenantId;
use callvault_store::{
    AlertScope, Catalog, DeliveryQuery, DeliveryState, Destination, NewDestination,
};
use callvault_vault::Vault;
use chrono::Utc;
use clap::Subcommand;
use serde_json::Value;
use uuid::Uuid;

use crate::config::Config;

#[derive(Subcommand)]
pub enum DestinationCommand {
    /// Add a destination to a tenant. Secrets are read from a file (or `-`
    /// for standard input), never from the command line.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// email, webhook, amocrm, bitrix24, bucket.
        #[arg(long)]
        kind: String,
        /// The kind's settings (the API's `config`): JSON, or @FILE.
        #[arg(long, default_value = "{}")]
        settings: String,
        /// A JSON file of the kind's secrets (`-`: standard input).
        #[arg(long)]
        secrets_file: Option<std::path::PathBuf>,
        /// Events, comma-separated (default: the kind's usual ones).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Filters: JSON, or @FILE.
        #[arg(long)]
        filters: Option<String>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// List a tenant's destinations (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Send a real test delivery now and print what the destination said.
    Test {
        #[arg(long)]
        tenant: String,
        id: Uuid,
    },
    /// Remove a destination; its queued deliveries are cancelled.
    Rm {
        #[arg(long)]
        tenant: String,
        id: Uuid,
    },
}

#[derive(Subcommand)]
pub enum DeliveriesCommand {
    /// A tenant's deliveries, newest first.
    List {
        #[arg(long)]
        tenant: String,
        /// pending, in_flight, retry_wait, delivered, verified, dead,
        /// no_match, skipped, cancelled.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Queue a delivery again, due now (its age starts over).
    Retry {
        #[arg(long)]
        tenant: String,
        id: Uuid,
    },
}

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Open alerts (all tenants and the system's unless --tenant).
    List {
        #[arg(long)]
        tenant: Option<String>,
        /// Resolved ones too.
        #[arg(long)]
        all: bool,
    },
}

pub(crate) async fn tenant_id(catalog: &dyn Catalog, name: &str) -> anyhow::Result<TenantId> {
    Ok(catalog.tenant_by_name(name).await?.with_context(|| format!("no tenant named {name:?}"))?.id)
}

fn json_arg(raw: &str, what: &str) -> anyhow::Result<Value> {
    let text = match raw.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {what} file {path}"))?,
        None => raw.to_owned(),
    };
    serde_json::from_str(&text).with_context(|| format!("{what} is not valid JSON"))
}

fn read_secrets(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read secrets from stdin")?
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read secrets file {}", path.display()))?
    };
    serde_json::from_str(&text).context("the secrets file is not valid JSON")
}

fn show(d: &Destination) -> String {
    let state = if d.enabled {
        "enabled".to_owned()
    } else {
        format!("disabled ({})", d.disabled_reason.as_deref().unwrap_or("by hand"))
    };
    format!("{}\t{}\t{}\t{}\t{}", d.id, d.kind, d.name, d.events.join(","), state)
}

pub async fn destination(
    cmd: DestinationCommand,
    config: &Config,
    vault: &Vault,
    channels: &Channels,
    media: &dyn MediaFactory,
) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.clone();
    match cmd {
        DestinationCommand::Add {
            tenant,
            name,
            kind,
            settings: raw_config,
            secrets_file,
            events,
            filters,
            disabled,
        } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            let settings = json_arg(&raw_config, "config")?;
            let secrets = match &secrets_file {
                Some(p) => read_secrets(p)?,
                None => Value::Object(Default::default()),
            };
            let filters = match &filters {
                Some(f) => json_arg(f, "filters")?,
                None => Value::Null,
            };
            let events = if events.is_empty() { default_events(&kind) } else { events };
            if let Err(p) =
                validate_destination(channels, &kind, &events, &settings, &secrets, &filters, true)
            {
                bail!("{}", p.detail);
            }
            let d = catalog
                .create_destination(
                    NewDestination {
                        tenant_id: tenant,
                        name,
                        link_ttl_secs: config.delivery.link_ttl_for(&kind),
                        kind,
                        enabled: !disabled,
                        events,
                        config: settings,
                        secrets,
                        filters,
                        max_age_secs: config.delivery.max_age_secs,
                    },
                    "cli",
                    Utc::now(),
                )
                .await?;
            println!("{}", show(&d));
        }
        DestinationCommand::List { tenant } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            for d in catalog.list_destinations(tenant).await? {
                println!("{}", show(&d));
            }
        }
        DestinationCommand::Test { tenant, id } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            let d = catalog
                .get_destination(Some(tenant), id)
                .await?
                .with_context(|| format!("no destination {id} in that tenant"))?;
            let attempt =
                test_destination(catalog.clone(), channels, media, &d, Duration::from_secs(60))
                    .await
                    .map_err(anyhow::Error::msg)?;
            let outcome = test_outcome(&attempt);
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            return Ok(if matches!(outcome.outcome, "delivered" | "verified") {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            });
        }
        DestinationCommand::Rm { tenant, id } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            if !catalog.delete_destination(Some(tenant), id, "cli", Utc::now()).await? {
                bail!("no destination {id} in that tenant");
            }
            println!("removed {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn deliveries(cmd: DeliveriesCommand, vault: &Vault) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.clone();
    match cmd {
        DeliveriesCommand::List { tenant, state, limit } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            let state = match state.as_deref() {
                Some(s) => {
                    Some(DeliveryState::parse(s).with_context(|| format!("unknown state {s:?}"))?)
                }
                None => None,
            };
            let query = DeliveryQuery {
                state,
                destination_id: None,
                conversation_id: None,
                before: None,
                limit: limit.clamp(1, 10_000),
            };
            for d in catalog.list_deliveries(Some(tenant), &query).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tattempts={}\t{}",
                    d.id,
                    d.created_at.to_rfc3339(),
                    d.destination_kind,
                    d.event,
                    d.state.as_str(),
                    d.attempts,
                    d.last_error.as_deref().unwrap_or("")
                );
            }
        }
        DeliveriesCommand::Retry { tenant, id } => {
            let tenant = tenant_id(catalog.as_ref(), &tenant).await?;
            let d = catalog
                .retry_delivery(Some(tenant), id, Utc::now())
                .await?
                .with_context(|| format!("no delivery {id} in that tenant"))?;
            println!("{}\t{}\tdue {}", d.id, d.state.as_str(), d.due_at.to_rfc3339());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn alerts(cmd: AlertsCommand, vault: &Vault) -> anyhow::Result<ExitCode> {
    let AlertsCommand::List { tenant, all } = cmd;
    let scope = match tenant {
        Some(name) => AlertScope::Tenant(tenant_id(vault.catalog.as_ref(), &name).await?),
        None => AlertScope::All,
    };
    for a in vault.catalog.list_alerts(scope, !all, 1000).await? {
        println!(
            "{}\t{}\t{}\t{}\tx{}\t{}\t{}",
            a.last_seen.to_rfc3339(),
            a.severity,
            a.kind,
            a.subject,
            a.count,
            if a.resolved_at.is_some() { "resolved" } else { "open" },
            a.message
        );
    }
    Ok(ExitCode::SUCCESS)
}
