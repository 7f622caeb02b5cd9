//! `callvault encryption`: a tenant's switch, the status of master keys,
//! and rotation.

use std::process::ExitCode;

use anyhow::Context;
use callvault_vault::Vault;
use callvault_vault::encryption;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum EncryptionCommand {
    /// Encrypt a tenant's new recordings (needs encryption.active_key).
    Enable {
        #[arg(long)]
        tenant: String,
    },
    /// Store a tenant's new recordings in the clear again; those already
    /// encrypted stay encrypted and readable.
    Disable {
        #[arg(long)]
        tenant: String,
    },
    /// Master key ids (never the keys), data keys per key, encrypting tenants.
    Status,
    /// Re-wrap every data key under encryption.active_key, in batches;
    /// idempotent and resumable. The audio is not rewritten. Once no data
    /// key is under an old master key, it may be removed from the
    /// configuration.
    Rotate {
        /// Data keys per transaction.
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

pub async fn run(cmd: EncryptionCommand, vault: &Vault) -> anyhow::Result<ExitCode> {
    let catalog = vault.catalog.as_ref();
    match cmd {
        EncryptionCommand::Enable { tenant } => switch(vault, &tenant, true).await,
        EncryptionCommand::Disable { tenant } => switch(vault, &tenant, false).await,
        EncryptionCommand::Status => {
            let s = encryption::status(catalog, &vault.keyring).await?;
            println!("active key: {}", s.active_key.as_deref().unwrap_or("(none)"));
            for k in &s.keys {
                println!(
                    "key {}\t{}{}\t{} data keys",
                    k.id,
                    if k.configured { "configured" } else { "not configured" },
                    if k.active { ", active" } else { "" },
                    k.data_keys
                );
            }
            let tenants = catalog.list_tenants().await?;
            for id in &s.encrypted_tenants {
                let name = tenants.iter().find(|t| t.id == *id).map_or("?", |t| t.name.as_str());
                println!("encrypted tenant {name}\t{id}");
            }
            println!("data keys awaiting rotation: {}", s.pending_rotation);
            Ok(ExitCode::SUCCESS)
        }
        EncryptionCommand::Rotate { batch } => {
            let report = encryption::rotate(catalog, &vault.keyring, batch, "cli").await?;
            println!(
                "re-wrapped {} data keys under {} in {} batches",
                report.rewrapped, report.active_key, report.batches
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn switch(vault: &Vault, name: &str, enabled: bool) -> anyhow::Result<ExitCode> {
    let tenant = vault
        .catalog
        .tenant_by_name(name)
        .await?
        .with_context(|| format!("no tenant named {name:?}"))?;
    if enabled && vault.keyring.active_id().is_none() {
        anyhow::bail!(
            "encryption.active_key is not set: configure a master key ([encryption] keys and \
             active_key) before enabling encryption"
        );
    }
    vault.catalog.set_tenant_encryption(tenant.id, enabled, "cli", chrono::Utc::now()).await?;
    println!(
        "tenant {name}: new recordings are {}",
        if enabled { "encrypted" } else { "stored in the clear" }
    );
    Ok(ExitCode::SUCCESS)
}
