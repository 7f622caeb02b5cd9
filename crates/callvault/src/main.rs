//! The `callvault` command: the server and the operator's tools.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use callvault_api::auth;
use callvault_vault::{Vault, import, recovery};
use clap::{Parser, Subcommand};

use crate::config::Config;

mod assurance;
mod bench;
mod config;
mod delivery;
mod encryption;
mod retention;
mod serve;
mod storage;
mod storage_cli;

#[derive(Parser)]
#[command(name = "callvault", version, about = "Call recordings that never go missing")]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "CALLVAULT_CONFIG")]
    config: Option<PathBuf>,
    /// Catalog URL (sqlite://PATH or postgres://...); overrides catalog.url.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Primary store URL (file://, s3://, gs://, az://); overrides store.url.
    #[arg(long, global = true)]
    store_url: Option<String>,
    /// Data directory; overrides data_dir.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server.
    Serve {
        /// Address to listen on; overrides server.listen.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage a tenant's delivery destinations (e-mail, webhooks, amoCRM,
    /// Bitrix24, a bucket).
    #[command(subcommand)]
    Destination(delivery::DestinationCommand),
    /// See and retry deliveries.
    #[command(subcommand)]
    Deliveries(delivery::DeliveriesCommand),
    /// See alerts.
    #[command(subcommand)]
    Alerts(delivery::AlertsCommand),
    /// Storage: status and forecast, stores, policies, offload runs.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
    /// Import an existing archive of recordings (resumable, idempotent).
    Import {
        /// The directory to import (searched recursively).
        dir: PathBuf,
        #[arg(long)]
        tenant: String,
        /// Metadata CSV with a `file` column (relative path or file name).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// UTC offset of times in file names and the CSV, e.g. +03:00.
        #[arg(long, default_value = "+00:00")]
        utc_offset: String,
        /// Files imported at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Record the calls in capture files (pcap, pcapng, gzipped too) or on
    /// live interfaces: one conversation per call across transfers, stored
    /// in the vault.
    Capture {
        /// Capture files to read, in order; a directory stands for the
        /// capture files in it (.pcap, .pcapng, .cap, plain or .gz), by name.
        #[arg(long = "read", required_unless_present = "interface", conflicts_with = "interface")]
        read: Vec<PathBuf>,
        /// Capture live on this interface (`any`: all); repeatable. Needs
        /// CAP_NET_RAW. Runs until SIGINT/SIGTERM, then stores open calls.
        #[arg(long, short = 'i')]
        interface: Vec<String>,
        /// A tcpdump-style filter: udp, tcp, ip, ip6, [src|dst] host ADDR,
        /// [src|dst] net CIDR, [udp|tcp] [src|dst] port N | portrange A-B,
        /// and/or/not, parentheses.
        #[arg(long, default_value = "")]
        filter: String,
        /// End an answered call after this many seconds with neither SIP nor
        /// RTP (a lost BYE).
        #[arg(long, default_value_t = 300)]
        rtp_timeout_secs: u64,
        /// Pair the two legs of a B2BUA (PBX, SBC) that share no correlation
        /// header when the PBX's INVITE follows the caller's within this many
        /// seconds (same caller or dialled number); 0 disables.
        #[arg(long, default_value_t = 10)]
        b2bua_window_secs: u64,
        #[arg(long)]
        tenant: String,
        /// A network of the company side (PBX, phones), e.g. 10.0.0.0/8;
        /// repeatable. Everyone outside is the external party.
        #[arg(long = "company-net")]
        company_net: Vec<String>,
    },
    /// Check the catalog against the store: unacknowledged uploads, objects
    /// without rows, rows without objects.
    Fsck {
        /// Read every object back and check its sha256 (slow).
        #[arg(long)]
        verify: bool,
    },
    /// The scrubber's last passes (--report), or a pass now (--now):
    /// every copy re-read, damaged or missing ones repaired from a good
    /// copy. Exit code 4 when a copy could not be repaired.
    Scrub(storage_cli::ScrubArgs),
    /// Print the effective configuration.
    Config,
    /// Retention rules: delete recordings after N days (to the trash).
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Legal holds: what they cover is never deleted.
    #[command(subcommand)]
    Hold(retention::HoldCommand),
    /// The trash: list, restore, empty.
    #[command(subcommand)]
    Trash(retention::TrashCommand),
    /// Move a recording or a conversation to the trash.
    #[command(subcommand)]
    Delete(retention::DeleteCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Encryption at rest: a tenant's switch, key status, rotation.
    #[command(subcommand)]
    Encryption(encryption::EncryptionCommand),
    // --- assurance ---
    /// Reconcile the call register with the vault and report: answered
    /// calls, how many are recorded completely, with their copies,
    /// delivered, and the findings.
    Audit(assurance::AuditArgs),
    /// Import PBX call detail records into the call register.
    #[command(subcommand)]
    Cdr(assurance::CdrCommand),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create { name: String },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; the secret is printed once.
    Create {
        /// The tenant the key belongs to.
        #[arg(long, required_unless_present = "admin", conflicts_with = "admin")]
        tenant: Option<String>,
        /// Create an admin key (manages tenants and keys).
        #[arg(long)]
        admin: bool,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by id.
    Revoke { id: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("callvault: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config, matches!(cli.command, Command::Serve { .. }));
    // Blocking work (fsyncs, hashing, rendering) is bounded by its callers;
    // the pool cap keeps thousands of spool syncs from becoming threads.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("callvault: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("callvault: {e:#}");
            if is_key_error(&e) { ExitCode::from(EXIT_KEY_ERROR) } else { ExitCode::FAILURE }
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(url) = &cli.database_url {
        config.catalog.url = url.clone();
    }
    if let Some(url) = &cli.store_url {
        config.store.url = url.clone();
    }
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    if let Command::Serve { listen: Some(addr) } = &cli.command {
        config.server.listen = *addr;
    }
    Ok(config)
}

/// The import's progress as a bar on stderr (hidden when not a terminal).
fn progress_bar(show: bool) -> impl FnMut(import::ImportProgress<'_>) {
    let bar = if show {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} files, {msg} [{elapsed_precise}<{eta_precise}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    move |p| match p {
        import::ImportProgress::Found(n) => bar.set_length(n),
        import::ImportProgress::FileDone(s) => {
            bar.set_message(format!(
                "{} imported, {} skipped, {} refused",
                s.imported,
                s.skipped,
                s.refused.len()
            ));
            bar.inc(1);
        }
        import::ImportProgress::Finished => bar.finish(),
        import::ImportProgress::Stopped => bar.abandon(),
    }
}

fn init_logging(config: &Config, serving: bool) {
    use tracing_subscriber::EnvFilter;
    // Operator commands print their own results; their logs stay quiet.
    let default = if serving { config.log.level.clone() } else { "warn".to_owned() };
    let filter =
        EnvFilter::try_from_env("CALLVAULT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { .. } => {
            serve::serve(config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config => {
            let mut shown = config.clone();
            for (k, v) in shown.store.options.iter_mut() {
                if config::is_secret_option(k) {
                    *v = "<redacted>".into();
                }
            }
            for entry in shown.storage.stores.values_mut() {
                for (k, v) in entry.options.iter_mut() {
                    if config::is_secret_option(k) {
                        *v = "<redacted>".into();
                    }
                }
                entry.url = redact_url(&entry.url);
            }
            shown.catalog.url = redact_url(&config.catalog_url());
            shown.store.url = redact_url(&config.store_url());
            for source in shown.encryption.keys.values_mut() {
                if let Some((kind @ ("base64" | "hex"), _)) = source.split_once(':') {
                    *source = format!("{kind}:<redacted>");
                }
            }
            println!("{}", toml_string(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Storage(cmd) => storage::run(cmd, &config).await,
        Command::Tenant(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            match cmd {
                TenantCommand::Create { name } => {
                    let t = vault.catalog.create_tenant(&name, "cli").await?;
                    println!("created tenant {} ({})", t.name, t.id);
                }
                TenantCommand::List => {
                    for t in vault.catalog.list_tenants().await? {
                        println!("{}\t{}\t{}", t.name, t.id, t.created_at.to_rfc3339());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Destination(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            let channels = config.delivery.channels().map_err(anyhow::Error::msg)?;
            let media = callvault_delivery::media_service::MediaService::new(
                vault.reader(),
                config.public_url(),
                vault.instance.id(),
            );
            delivery::destination(cmd, &config, &vault, &channels, &media).await
        }
        Command::Deliveries(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            delivery::deliveries(cmd, &vault).await
        }
        Command::Audit(args) => {
            let vault = Vault::open(config.vault()).await?;
            assurance::audit(args, &vault, &config.assurance, config.storage.policy.copies).await
        }
        Command::Cdr(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            assurance::cdr(cmd, &vault, &config.assurance).await
        }
        Command::Alerts(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            delivery::alerts(cmd, &vault).await
        }
        Command::Key(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            match cmd {
                KeyCommand::Create { tenant, admin, label } => {
                    let tenant_id = match (&tenant, admin) {
                        (_, true) => None,
                        (Some(name), false) => Some(
                            vault
                                .catalog
                                .tenant_by_name(name)
                                .await?
                                .with_context(|| format!("no tenant named {name:?}"))?
                                .id,
                        ),
                        (None, false) => bail!("give --tenant NAME or --admin"),
                    };
                    let issued =
                        auth::issue_key(vault.catalog.as_ref(), tenant_id, &label, "cli").await?;
                    eprintln!(
                        "key {} created; store the secret now, it is not shown again:",
                        issued.key.id
                    );
                    println!("{}", issued.secret);
                }
                KeyCommand::List { tenant } => {
                    let tenant_id = match tenant {
                        Some(name) => Some(
                            vault
                                .catalog
                                .tenant_by_name(&name)
                                .await?
                                .with_context(|| format!("no tenant named {name:?}"))?
                                .id,
                        ),
                        None => None,
                    };
                    for k in vault.catalog.list_api_keys(tenant_id).await? {
                        let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                        println!(
                            "{}\t{}\t{}…\t{}\t{}",
                            k.id,
                            k.role.as_str(),
                            k.prefix,
                            state,
                            k.label
                        );
                    }
                }
                KeyCommand::Revoke { id } => {
                    let id = id.parse().with_context(|| format!("{id:?} is not a key id"))?;
                    vault.catalog.revoke_api_key(id, "cli").await?;
                    println!("revoked {id}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { dir, tenant, csv, utc_offset, parallel, no_progress } => {
            let offset: chrono::FixedOffset = utc_offset
                .parse()
                .with_context(|| format!("--utc-offset {utc_offset:?} is not like +03:00"))?;
            if !dir.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            let vault = Vault::open(config.vault()).await?;
            vault.recover().await?;
            let tenant = vault
                .catalog
                .tenant_by_name(&tenant)
                .await?
                .with_context(|| format!("no tenant named {tenant:?}"))?;
            let opts =
                import::ImportOptions { dir, tenant: tenant.id, csv, utc_offset: offset, parallel };
            let show = !no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let summary = import::run(&vault.ingestor(), &opts, &mut progress_bar(show)).await?;
            println!(
                "found {}, imported {} ({} bytes), skipped {} already imported, refused {}",
                summary.found,
                summary.imported,
                summary.bytes,
                summary.skipped,
                summary.refused.len()
            );
            for (path, reason) in &summary.refused {
                println!("refused {}: {reason}", path.display());
            }
            Ok(if summary.refused.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
        Command::Capture {
            read,
            interface,
            filter,
            rtp_timeout_secs,
            b2bua_window_secs,
            tenant,
            company_net,
        } => {
            let filter = callvault_capture::CaptureFilter::parse(&filter)
                .with_context(|| format!("--filter {filter:?}"))?;
            let mut networks = Vec::new();
            for n in &company_net {
                networks.push(callvault_capture::tracker::IpNet::parse(n).with_context(|| {
                    format!("--company-net {n:?} is not a network like 10.0.0.0/8")
                })?);
            }
            let vault = Vault::open(config.vault()).await?;
            vault.recover().await?;
            let tenant = vault
                .catalog
                .tenant_by_name(&tenant)
                .await?
                .with_context(|| format!("no tenant named {tenant:?}"))?;
            let live = !interface.is_empty();
            let source = if live {
                callvault_capture_driver::CaptureSource::Live { interfaces: interface }
            } else {
                callvault_capture_driver::CaptureSource::Files(read)
            };
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let opts = callvault_capture_driver::CaptureOptions {
                source,
                filter,
                tenant: tenant.id,
                company_networks: networks,
                tracker: callvault_capture::TrackerConfig {
                    rtp_timeout: std::time::Duration::from_secs(rtp_timeout_secs.max(1)),
                    b2bua_window: Some(std::time::Duration::from_secs(b2bua_window_secs)),
                    ..Default::default()
                },
                stop: stop.clone(),
                on_ready: live.then(|| -> Box<dyn FnOnce() + Send> {
                    Box::new(|| {
                        eprintln!("capturing; SIGINT or SIGTERM stops and stores open calls")
                    })
                }),
                spool_root: vault.config.data_dir.join("spool"),
                metrics: None,
                actor: "cli:capture".into(),
                // No disk watch runs in the CLI: `serve` sheds calls.
                admission: None,
            };
            // SIGINT/SIGTERM end the capture: open calls are stored.
            tokio::spawn(async move {
                serve::shutdown_signal().await;
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            });
            let grace = vault.config.recovery_grace;
            let summary =
                callvault_capture_driver::run(&vault.ingestor(), &vault.instance, grace, opts)
                    .await?;
            println!(
                "read {} frames ({} filtered out, {} dropped by the kernel): {} conversations, \
                 {} recovered from an interrupted run, {} recordings stored, {} already stored, \
                 {} refused",
                summary.frames,
                summary.filtered,
                summary.kernel_drops,
                summary.conversations,
                summary.recovered,
                summary.stored,
                summary.duplicates,
                summary.refused.len()
            );
            for r in &summary.refused {
                println!("refused: {r}");
            }
            for d in &summary.damaged_files {
                eprintln!(
                    "warning: {d}; every complete packet before it was read, the calls open \
                     there are flagged capture_gap"
                );
            }
            if summary.kept > 0 {
                println!(
                    "kept: {} conversations wait in their spools (the vault was unavailable); \
                     the next run stores them",
                    summary.kept
                );
                return Ok(ExitCode::from(4));
            }
            Ok(if !summary.refused.is_empty() {
                ExitCode::from(3)
            } else if !summary.damaged_files.is_empty() {
                ExitCode::from(5)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Fsck { verify } => {
            let vault = Vault::open(config.vault()).await?;
            let recovered = vault.recover().await?;
            let orphans = recovery::scan_orphans(vault.catalog.as_ref(), &vault.store).await?;
            let copies =
                recovery::check_copies(vault.catalog.as_ref(), &vault.store, verify).await?;
            println!(
                "recovered {} unacknowledged uploads; scanned {} objects, {} unknown to the catalog; \
                 checked {} copies, {} missing, {} damaged",
                recovered.pending_objects_removed,
                orphans.objects_scanned,
                orphans.orphans.len(),
                copies.copies_checked,
                copies.missing.len(),
                copies.damaged.len()
            );
            for k in &orphans.orphans {
                println!("orphan {k}");
            }
            for k in &copies.missing {
                println!("missing {k}");
            }
            for k in &copies.damaged {
                println!("damaged {k}");
            }
            let clean = orphans.orphans.is_empty()
                && copies.missing.is_empty()
                && copies.damaged.is_empty();
            Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(4) })
        }
        Command::Scrub(args) => storage_cli::scrub(args, &config).await,
        Command::Bench(cmd) => {
            bench::run(cmd, config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Retention(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            retention::retention(cmd, &config, &vault).await
        }
        Command::Hold(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            retention::hold(cmd, &vault).await
        }
        Command::Trash(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            retention::trash(cmd, &config, &vault).await
        }
        Command::Delete(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            retention::delete(cmd, &vault).await
        }
        Command::Encryption(cmd) => {
            let vault = Vault::open(config.vault()).await?;
            encryption::run(cmd, &vault).await
        }
    }
}

/// The exit code of a wrong or missing master key at start-up: 6, so that
/// a supervisor can tell it from other failures and not restart in a loop.
const EXIT_KEY_ERROR: u8 = 6;

fn is_key_error(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<callvault_vault::OpenError>(),
        Some(callvault_vault::OpenError::Encryption(_))
    )
}

fn redact_url(url: &str) -> String {
    // Query parameters may carry passwords and keys (?password=, ?sslkey=).
    let url = match url.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => url.to_owned(),
    };
    let url = url.as_str();
    // postgres://user:secret@host/db -> postgres://user:<redacted>@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:<redacted>{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn toml_string(config: &Config) -> anyhow::Result<String> {
    Ok(config::to_toml(config)?)
}
