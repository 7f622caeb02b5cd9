//! `callvault retention|hold|trash|delete`: retention rules, legal holds,
//! the trash and manual deletion, straight on the catalog (audited with the
//! actor `cli`).

use std::process::ExitCode;

use anyhow::{Context, bail};
use callvault_model::{ConversationId, RecordingId, TenantId};
use callvault_storage::retention::{RunMode, run_all};
use callvault_storage::trash::{PurgeReport, VaultStores, purge};
use callvault_store::{HoldScope, NewHold, NewRetentionRule, TrashCause};
use callvault_vault::Vault;
use chrono::Utc;
use clap::Subcommand;

use crate::config::Config;

const ACTOR: &str = "cli";

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Add a rule: recordings whose call started more than DAYS days ago
    /// (and match every filter given) go to the trash.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        days: u32,
        /// in, out or internal.
        #[arg(long)]
        direction: Option<String>,
        /// Digits a number of the call starts with (full number or its last 10 digits).
        #[arg(long)]
        number: Option<String>,
        /// upload, import, capture or siprec.
        #[arg(long)]
        source: Option<String>,
    },
    /// List rules.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Remove a rule by id.
    Rm { id: String },
    /// Run retention now (the `serve` worker does it every
    /// retention.interval_secs).
    Run {
        #[arg(long)]
        tenant: Option<String>,
        /// Count what would be trashed; trash nothing.
        #[arg(long)]
        dry_run: bool,
        /// Let this run past the mass-deletion guard, up to this many
        /// recordings for the tenant (needs --tenant).
        #[arg(long, requires = "tenant")]
        confirm: Option<u64>,
    },
    /// Let the next run of a tenant trash up to COUNT recordings despite the
    /// mass-deletion guard.
    Confirm {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        count: u64,
    },
}

#[derive(Subcommand)]
pub enum HoldCommand {
    /// Place a legal hold: on the whole tenant (no --conversation/--number),
    /// one conversation, or a number (matched on its last 10 digits).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long, conflicts_with = "number")]
        conversation: Option<String>,
        #[arg(long)]
        number: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// List holds in force (--all: released ones too).
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Release a hold by id.
    Release { id: String },
}

#[derive(Subcommand)]
pub enum TrashCommand {
    /// Recordings in the trash.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Bring back a recording (its id) or a conversation (its id).
    Restore { id: String },
    /// Purge the trash now, grace period or not: every copy's object, then
    /// the rows (held recordings stay).
    Empty {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DeleteCommand {
    /// Move a recording to the trash.
    Recording {
        id: String,
        #[arg(long)]
        tenant: String,
    },
    /// Move a conversation and its recordings to the trash.
    Conversation {
        id: String,
        #[arg(long)]
        tenant: String,
    },
}

async fn tenant_id(vault: &Vault, name: &str) -> anyhow::Result<TenantId> {
    Ok(vault
        .catalog
        .tenant_by_name(name)
        .await?
        .with_context(|| format!("no tenant named {name:?}"))?
        .id)
}

async fn opt_tenant(vault: &Vault, name: Option<&str>) -> anyhow::Result<Option<TenantId>> {
    match name {
        Some(n) => Ok(Some(tenant_id(vault, n).await?)),
        None => Ok(None),
    }
}

fn uuid(raw: &str, what: &str) -> anyhow::Result<uuid::Uuid> {
    raw.parse().with_context(|| format!("{raw:?} is not a {what} id"))
}

pub async fn retention(
    cmd: RetentionCommand,
    config: &Config,
    vault: &Vault,
) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.as_ref();
    match cmd {
        RetentionCommand::Set { tenant, days, direction, number, source } => {
            let new = NewRetentionRule {
                tenant_id: tenant_id(vault, &tenant).await?,
                days,
                direction: direction
                    .as_deref()
                    .map(callvault_storage::retention::parse_direction)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                number_prefix: number,
                source: source
                    .as_deref()
                    .map(callvault_storage::retention::parse_source)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            };
            let rule = catalog.create_retention_rule(new, ACTOR, Utc::now()).await?;
            println!("created retention rule {} ({} days)", rule.id, rule.days);
        }
        RetentionCommand::List { tenant } => {
            let names = names(vault).await?;
            for r in
                catalog.list_retention_rules(opt_tenant(vault, tenant.as_deref()).await?).await?
            {
                println!(
                    "{}\t{}\t{} days\tdirection={}\tnumber={}\tsource={}",
                    r.id,
                    names.get(&r.tenant_id).map_or("?", String::as_str),
                    r.days,
                    r.direction.map_or("any", |d| d.as_str()),
                    r.number_prefix.as_deref().unwrap_or("any"),
                    r.source.map_or("any", |s| s.as_str()),
                );
            }
        }
        RetentionCommand::Rm { id } => {
            if !catalog.delete_retention_rule(None, uuid(&id, "rule")?, ACTOR).await? {
                bail!("no retention rule {id}");
            }
            println!("removed retention rule {id}");
        }
        RetentionCommand::Confirm { tenant, count } => {
            let t = tenant_id(vault, &tenant).await?;
            catalog.confirm_retention_run(t, count, ACTOR, Utc::now()).await?;
            println!("the next retention run of {tenant} may trash up to {count} recordings");
        }
        RetentionCommand::Run { tenant, dry_run, confirm } => {
            let t = opt_tenant(vault, tenant.as_deref()).await?;
            if let (Some(t), Some(count)) = (t, confirm) {
                catalog.confirm_retention_run(t, count, ACTOR, Utc::now()).await?;
            }
            let mode = if dry_run { RunMode::DryRun } else { RunMode::Apply };
            let runs = run_all(catalog, t, &config.retention, Utc::now(), mode).await?;
            let names = names(vault).await?;
            let mut tripped = false;
            for run in &runs {
                let name = run.tenant_id.and_then(|t| names.get(&t).cloned()).unwrap_or_default();
                tripped |= run.guard_tripped;
                let verdict = if run.guard_tripped {
                    "STOPPED by the mass-deletion guard: nothing trashed"
                } else if dry_run {
                    "dry run: nothing trashed"
                } else {
                    "done"
                };
                println!(
                    "{name}: {} of {} live recordings match, {} trashed ({} bytes), {} held; {verdict}",
                    run.matched, run.live, run.trashed, run.trashed_bytes, run.held
                );
            }
            return Ok(if tripped { ExitCode::from(6) } else { ExitCode::SUCCESS });
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn names(vault: &Vault) -> anyhow::Result<std::collections::HashMap<TenantId, String>> {
    Ok(vault.catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect())
}

pub async fn hold(cmd: HoldCommand, vault: &Vault) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.as_ref();
    match cmd {
        HoldCommand::Add { tenant, conversation, number, reason } => {
            let scope = match (conversation, number) {
                (Some(c), _) => HoldScope::Conversation {
                    conversation_id: ConversationId(uuid(&c, "conversation")?),
                },
                (None, Some(n)) => HoldScope::number(&n)?,
                (None, None) => HoldScope::Tenant,
            };
            let new = NewHold { tenant_id: tenant_id(vault, &tenant).await?, scope, reason };
            let h = catalog.create_hold(new, ACTOR, Utc::now()).await?;
            println!("placed hold {} ({})", h.id, h.scope.as_str());
        }
        HoldCommand::List { tenant, all } => {
            let names = names(vault).await?;
            let t = opt_tenant(vault, tenant.as_deref()).await?;
            for h in catalog.list_holds(t, !all).await? {
                let what = match &h.scope {
                    HoldScope::Tenant => "tenant".to_owned(),
                    HoldScope::Conversation { conversation_id } => {
                        format!("conversation {conversation_id}")
                    }
                    // The tail only: a full number stays out of listings.
                    HoldScope::Number { number_tail } => format!("number …{number_tail}"),
                };
                let state = match h.released_at {
                    Some(at) => format!("released {}", at.to_rfc3339()),
                    None => "in force".to_owned(),
                };
                println!(
                    "{}\t{}\t{what}\t{state}\tby {}\t{}",
                    h.id,
                    names.get(&h.tenant_id).map_or("?", String::as_str),
                    h.created_by,
                    h.reason
                );
            }
        }
        HoldCommand::Release { id } => {
            if !catalog.release_hold(None, uuid(&id, "hold")?, ACTOR, Utc::now()).await? {
                bail!("no hold {id} in force");
            }
            println!("released hold {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn trash(cmd: TrashCommand, config: &Config, vault: &Vault) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.as_ref();
    match cmd {
        TrashCommand::List { tenant } => {
            let names = names(vault).await?;
            let t = opt_tenant(vault, tenant.as_deref()).await?;
            let mut after = None;
            loop {
                let page = catalog.list_trash(t, after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.recording_id);
                for r in &page {
                    let state = match (r.purging, r.held) {
                        (true, _) => "purging",
                        (false, true) => "held",
                        (false, false) => "restorable",
                    };
                    println!(
                        "{}\t{}\tconversation {}\t{} bytes\ttrashed {} by {}\t{state}",
                        r.recording_id,
                        names.get(&r.tenant_id).map_or("?", String::as_str),
                        r.conversation_id,
                        r.size_bytes,
                        r.trashed_at.to_rfc3339(),
                        r.trashed_by
                    );
                }
            }
        }
        TrashCommand::Restore { id } => {
            let restored = catalog
                .restore_trashed(None, uuid(&id, "recording or conversation")?, ACTOR, Utc::now())
                .await?;
            println!("restored {} recording(s)", restored.len());
            for r in restored {
                println!("{r}");
            }
        }
        TrashCommand::Empty { tenant } => {
            let t = opt_tenant(vault, tenant.as_deref()).await?;
            let stores = VaultStores::of(vault);
            let mut total = PurgeReport::default();
            loop {
                let r = purge(
                    catalog,
                    &stores,
                    t,
                    Utc::now(),
                    std::time::Duration::ZERO,
                    config.retention.batch,
                )
                .await?;
                let progressed = r.purged + r.conversations > 0;
                total.purged += r.purged;
                total.bytes += r.bytes;
                total.objects += r.objects;
                total.held += r.held;
                total.conversations += r.conversations;
                total.unreachable += r.unreachable;
                if !progressed {
                    break;
                }
            }
            println!(
                "purged {} recordings ({} objects, {} bytes) and {} empty conversations; {} held \
                 stay in the trash",
                total.purged, total.objects, total.bytes, total.conversations, total.held
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn delete(cmd: DeleteCommand, vault: &Vault) -> anyhow::Result<ExitCode> {
    let cause = TrashCause { by: ACTOR.into(), actor: ACTOR.into() };
    let outcome = match cmd {
        DeleteCommand::Recording { id, tenant } => {
            let t = tenant_id(vault, &tenant).await?;
            let id = RecordingId(uuid(&id, "recording")?);
            let o = vault.catalog.trash_recordings(t, &[id], &cause, Utc::now()).await?;
            if o.trashed.is_empty() && o.held.is_empty() {
                bail!("no live recording {id} in {tenant}");
            }
            o
        }
        DeleteCommand::Conversation { id, tenant } => {
            let t = tenant_id(vault, &tenant).await?;
            let id = ConversationId(uuid(&id, "conversation")?);
            vault.catalog.trash_conversation(t, id, &cause, Utc::now()).await?
        }
    };
    if !outcome.held.is_empty() {
        eprintln!("{} recording(s) are under a legal hold: nothing deleted", outcome.held.len());
        return Ok(ExitCode::from(6));
    }
    println!("moved {} recording(s) to the trash", outcome.trashed.len());
    Ok(ExitCode::SUCCESS)
}
