//! `callvault audit` and `callvault cdr import`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use callvault_assurance::register::{ImportFormat, new_call, parse_cdrs};
use callvault_assurance::report::{
    Summary, findings_csv, findings_table, parse_since, summary_table,
};
use callvault_assurance::{AssuranceSection, Reconciler};
use callvault_store::FindingQuery;
use callvault_vault::Vault;
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct AuditArgs {
    /// The window: a span back from now (24h, 7d, 30m) or an RFC 3339 time.
    #[arg(long, default_value = "24h")]
    since: String,
    /// One tenant (default: every tenant).
    #[arg(long)]
    tenant: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Also list findings resolved since then.
    #[arg(long)]
    all: bool,
    /// Report what the last reconciliation found, without running one now.
    #[arg(long)]
    no_reconcile: bool,
    /// The most findings to list.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
}

#[derive(Subcommand)]
pub enum CdrCommand {
    /// Import CDRs from a file, or every file of a directory (idempotent).
    Import {
        /// A CDR file or a directory of them.
        path: PathBuf,
        #[arg(long)]
        tenant: String,
        /// auto, cv_json, asterisk_csv, asterisk_custom, freeswitch_json,
        /// generic. `auto` tells them apart by their content (a headerless
        /// cdr_custom file needs --format asterisk_custom and --fields).
        #[arg(long, default_value = "auto")]
        format: String,
        /// The PBX's UTC offset for times written without one (Asterisk
        /// writes local time), e.g. +03:00.
        #[arg(long, default_value = "+00:00")]
        tz: String,
        /// cdr_custom/cel_custom without a header row: its field list as in
        /// cdr_custom.conf (`${CSV_QUOTE(${CDR(src)})},...` or `src,dst,...`).
        #[arg(long)]
        fields: Option<String>,
        /// Generic CSV: a JSON file with the column mapping.
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
}

pub async fn audit(
    args: AuditArgs,
    vault: &Vault,
    config: &AssuranceSection,
    default_copies: u32,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = parse_since(&args.since, now).map_err(anyhow::Error::msg).context("--since")?;
    let tenant = match &args.tenant {
        Some(name) => Some(
            vault
                .catalog
                .tenant_by_name(name)
                .await?
                .with_context(|| format!("no tenant named {name:?}"))?
                .id,
        ),
        None => None,
    };
    if !args.no_reconcile {
        let r = Reconciler::new(vault.catalog.clone(), config.clone(), None)
            .with_default_copies(default_copies);
        let o = r.run_once(now).await?;
        tracing::info!(checked = o.checked, opened = o.opened, orphans = o.orphans, "reconciled");
    }
    let summary = Summary::from(vault.catalog.assurance_summary(tenant, since, now).await?);
    let query = FindingQuery {
        since: Some(since),
        until: None,
        open_only: !args.all,
        limit: args.limit.clamp(1, 1000),
        ..Default::default()
    };
    let findings = vault.catalog.list_findings(tenant, &query).await?;
    match args.format {
        OutputFormat::Table => {
            print!("{}", summary_table(&summary));
            println!();
            print!("{}", findings_table(&findings));
        }
        OutputFormat::Csv => print!("{}", findings_csv(&findings)),
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "since": since,
                "until": now,
                "summary": summary,
                "findings": findings,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn cdr(
    cmd: CdrCommand,
    vault: &Vault,
    config: &AssuranceSection,
) -> anyhow::Result<ExitCode> {
    let CdrCommand::Import { path, tenant, format, tz, fields, mapping } = cmd;
    let auto = format == "auto";
    let fixed: Option<ImportFormat> =
        if auto { None } else { Some(format.parse().context("--format")?) };
    let mut opts = callvault_assurance::cdr::ParseOptions {
        tz: tz.parse().map_err(|e| anyhow::anyhow!("--tz {tz:?}: {e} (expected e.g. +03:00)"))?,
        custom_fields: fields.as_deref().map(callvault_assurance::cdr::parse_field_list),
        ..Default::default()
    };
    if let Some(m) = &mapping {
        let text = std::fs::read(m).with_context(|| format!("reading {}", m.display()))?;
        opts.generic =
            serde_json::from_slice(&text).with_context(|| format!("--mapping {}", m.display()))?;
    }
    let tenant = vault
        .catalog
        .tenant_by_name(&tenant)
        .await?
        .with_context(|| format!("no tenant named {tenant:?}"))?;
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else if path.is_file() {
        vec![path.clone()]
    } else {
        bail!("{} is neither a file nor a directory", path.display());
    };
    let settle = std::time::Duration::from_secs(config.settle_secs);
    let (mut legs, mut inserted, mut existing, mut refused, mut rejected) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let format = match fixed {
            Some(f) => f,
            None => match callvault_assurance::cdr::detect(&bytes) {
                Some(f) => ImportFormat::Pbx(f),
                None if bytes.trim_ascii_start().starts_with(b"[") => ImportFormat::CvJson,
                None => {
                    println!("refused {}: format not recognised; give --format", file.display());
                    refused += 1;
                    continue;
                }
            },
        };
        let parsed = match parse_cdrs(format, &bytes, &opts) {
            Ok(p) => p,
            Err(e) => {
                println!("refused {}: {e}", file.display());
                refused += 1;
                continue;
            }
        };
        for e in parsed.errors.iter().take(20) {
            println!("{}: rejected {e}", file.display());
        }
        rejected += parsed.errors.len() as u64;
        let parsed = parsed.legs;
        legs += parsed.len() as u64;
        for chunk in parsed.chunks(2000) {
            let calls: Vec<_> = chunk.iter().map(|l| new_call(l, settle)).collect();
            let o = vault.catalog.import_calls(tenant.id, &calls, "cli", Utc::now()).await?;
            inserted += o.inserted;
            existing += o.existing;
        }
    }
    println!(
        "files {}, legs {legs}, registered {inserted}, already registered {existing}, \
         rejected rows {rejected}, refused files {refused}",
        files.len()
    );
    Ok(if refused == 0 && rejected == 0 { ExitCode::SUCCESS } else { ExitCode::from(3) })
}
