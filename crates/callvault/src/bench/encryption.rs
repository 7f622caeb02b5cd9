//! `callvault bench encryption`: the cost of encryption at rest, as a
//! ratio to the same work in the clear. One vault, two tenants (one
//! encrypting), the same generated WAV files ingested into each through the
//! real ingest path, then the same random Range reads and whole reads
//! through the one reader (`RecordingReader`) the API and links use.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use callvault_model::{Recording, RecordingSource};
use callvault_vault::encryption::EncryptionConfig;
use callvault_vault::ingest::{IngestOutcome, IngestRequest, RecordingMetadata};
use callvault_vault::{Vault, VaultConfig};
use futures::StreamExt;

use crate::config::Config;

/// What to measure.
pub struct Options {
    pub files: u64,
    pub size_mib: u64,
    pub reads: u64,
    pub read_bytes: u64,
}

pub async fn run(config: &Config, dir: &Path, opts: &Options) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut vc: VaultConfig = config.vault();
    vc.data_dir = dir.to_owned();
    vc.catalog_url = format!("sqlite://{}", dir.join("catalog.db").display());
    vc.store = callvault_store::StoreConfig {
        name: "primary".into(),
        url: format!("file://{}", dir.join("objects").display()),
        options: Default::default(),
        staging_dir: dir.join("staging"),
    };
    // A throwaway master key: 64 hex digits from two random UUIDs.
    let key = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    vc.encryption = EncryptionConfig {
        active_key: Some("bench".into()),
        keys: [("bench".to_owned(), format!("hex:{key}"))].into(),
    };
    let vault = Vault::open(vc).await?;
    vault.recover().await?;
    let clear = vault.catalog.create_tenant("bench-clear", "bench").await?.id;
    let sealed = vault.catalog.create_tenant("bench-sealed", "bench").await?.id;
    vault.catalog.set_tenant_encryption(sealed, true, "bench", chrono::Utc::now()).await?;
    let size = opts.size_mib * 1024 * 1024;
    println!(
        "encryption bench: {} files of {} MiB per tenant, {} Range reads of {} bytes, one vault on {}",
        opts.files,
        opts.size_mib,
        opts.reads,
        opts.read_bytes,
        dir.display()
    );

    // Ingest, alternating tenants so that both see the same disk state.
    let mut times = [Duration::ZERO; 2];
    let mut recs: [Vec<Recording>; 2] = [Vec::new(), Vec::new()];
    for i in 0..opts.files {
        for (t, tenant) in [clear, sealed].into_iter().enumerate() {
            let req = IngestRequest {
                tenant,
                description: RecordingMetadata::default().describe()?,
                idempotency_key: None,
                source: RecordingSource::Upload,
                actor: "bench".into(),
                flags: Vec::new(),
            };
            let body = Box::pin(super::wav_stream(size, i * 2 + t as u64 + 1));
            let start = Instant::now();
            let rec = match vault.ingestor().ingest(req, body).await? {
                IngestOutcome::Created(r) => r,
                IngestOutcome::Duplicate(_) => anyhow::bail!("a bench file was a duplicate"),
            };
            times[t] += start.elapsed();
            recs[t].push(rec);
        }
    }
    let mb = (opts.files * size) as f64 / 1e6;
    let rate = |d: Duration| mb / d.as_secs_f64().max(1e-9);
    println!("| work | clear | encrypted | ratio (encrypted / clear time) |");
    println!("|---|---|---|---|");
    println!(
        "| ingest (stage, hash, probe, [encrypt], store, verify, commit) | {:.0} MB/s | {:.0} MB/s | {:.2} |",
        rate(times[0]),
        rate(times[1]),
        times[1].as_secs_f64() / times[0].as_secs_f64().max(1e-9)
    );

    // Range reads at the same random offsets in both.
    let reader = vault.reader();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut offsets = Vec::with_capacity(opts.reads as usize);
    for _ in 0..opts.reads {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        offsets.push(seed);
    }
    let mut read_times = [Duration::ZERO; 2];
    for round in 0..2 {
        for (t, list) in recs.iter().enumerate() {
            let start = Instant::now();
            for (i, off) in offsets.iter().enumerate() {
                let rec = &list[i % list.len()];
                let len = opts.read_bytes.min(rec.size_bytes);
                let a = off % (rec.size_bytes - len + 1);
                let mut s = reader.read(rec, Some(a..a + len)).await?.stream;
                let mut got = 0u64;
                while let Some(chunk) = s.next().await {
                    got += chunk?.len() as u64;
                }
                anyhow::ensure!(got == len, "a range read returned {got} of {len} bytes");
            }
            // The first round warms the page cache for both.
            if round == 1 {
                read_times[t] += start.elapsed();
            }
        }
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / opts.reads as f64;
    println!(
        "| Range read of {} bytes at a random offset | {:.0} µs | {:.0} µs | {:.2} |",
        opts.read_bytes,
        per(read_times[0]),
        per(read_times[1]),
        read_times[1].as_secs_f64() / read_times[0].as_secs_f64().max(1e-9)
    );

    // Whole reads.
    let mut whole = [Duration::ZERO; 2];
    for (t, list) in recs.iter().enumerate() {
        let start = Instant::now();
        for rec in list {
            let mut s = reader.read(rec, None).await?.stream;
            while let Some(chunk) = s.next().await {
                chunk?;
            }
        }
        whole[t] = start.elapsed();
    }
    println!(
        "| whole read | {:.0} MB/s | {:.0} MB/s | {:.2} |",
        rate(whole[0]),
        rate(whole[1]),
        whole[1].as_secs_f64() / whole[0].as_secs_f64().max(1e-9)
    );
    drop(vault);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
