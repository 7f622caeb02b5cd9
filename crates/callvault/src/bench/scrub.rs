//! `callvault bench scrub`: the scrubber's rate (copies/s, MB/s) over a
//! local store and over the S3-compatible server at `CV_TEST_S3_ENDPOINT`
//! (moto), each in a vault of its own filled with generated recordings,
//! without a rate limit (the rate the store and the hashing allow).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use callvault_model::RecordingSource;
use callvault_storage::scrub::{ScrubConfig, Scrubber};
use callvault_store::StoreConfig;
use callvault_vault::ingest::{IngestRequest, RecordingMetadata};
use callvault_vault::{Vault, VaultConfig};
use futures::StreamExt;

/// One store's figures.
struct Row {
    store: &'static str,
    copies: u64,
    bytes: u64,
    secs: f64,
}

async fn vault(dir: &Path, store: StoreConfig) -> anyhow::Result<Vault> {
    let config = VaultConfig {
        data_dir: dir.to_owned(),
        catalog_url: format!("sqlite://{}", dir.join("catalog.db").display()),
        catalog_max_connections: 4,
        store,
        max_concurrent_commits: 8,
        max_upload_bytes: 1 << 30,
        recovery_grace: Duration::from_secs(60),
        settle: Default::default(),
        disk: Default::default(),
        encryption: Default::default(),
        stores: Vec::new(),
    };
    let vault = Vault::open(config).await?;
    vault.recover().await?;
    Ok(vault)
}

async fn fill(vault: &Vault, recordings: u64, size_kib: u64) -> anyhow::Result<()> {
    let tenant = vault.catalog.create_tenant("bench", "bench").await?.id;
    let frames = (size_kib * 1024 / 2) as u32;
    let ingestor = vault.ingestor();
    let mut jobs = futures::stream::iter(0..recordings)
        .map(|i| {
            let ingestor = ingestor.clone();
            async move {
                let mut data = super::wav_header(frames * 2);
                let mut s = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                data.extend((0..frames * 2).map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s as u8
                }));
                let metadata = RecordingMetadata {
                    linkedid: Some(format!("scrub-{i}")),
                    ..Default::default()
                };
                let req = IngestRequest {
                    tenant,
                    description: metadata.describe().map_err(|e| anyhow::anyhow!("{e}"))?,
                    idempotency_key: None,
                    source: RecordingSource::Import,
                    actor: "bench".into(),
                    flags: Vec::new(),
                };
                let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from(data))]);
                ingestor.ingest(req, body).await.map_err(|e| anyhow::anyhow!("ingest: {e}"))?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(8);
    while let Some(r) = jobs.next().await {
        r?;
    }
    Ok(())
}

async fn measure(vault: &Vault, label: &'static str) -> anyhow::Result<Row> {
    let scrubber = Scrubber {
        catalog: vault.catalog.clone(),
        stores: vec![vault.store.clone()],
        metrics: vault.metrics.clone(),
        config: ScrubConfig { rate_bytes_per_sec: 0, batch: 200, ..Default::default() },
        owner: vault.instance.id().to_owned(),
    };
    let started = Instant::now();
    let run = scrubber.run_pass(vault.store.name()).await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        run.damaged == 0 && run.missing == 0,
        "the bench store has bad copies: {run:?}"
    );
    Ok(Row { store: label, copies: run.copies_checked, bytes: run.bytes_checked, secs })
}

pub async fn run(recordings: u64, size_kib: u64, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rows = Vec::new();
    {
        let d = Scratch::new(dir)?;
        let store = StoreConfig {
            name: "primary".into(),
            url: format!("file://{}", d.0.join("objects").display()),
            options: Default::default(),
            staging_dir: d.0.join("staging"),
        };
        let v = vault(&d.0, store).await?;
        fill(&v, recordings, size_kib).await?;
        rows.push(measure(&v, "local").await?);
    }
    match std::env::var("CV_TEST_S3_ENDPOINT") {
        Ok(endpoint) => {
            let endpoint = endpoint.trim_end_matches('/').to_owned();
            let bucket = format!("cv-scrub-bench-{}", uuid::Uuid::now_v7().simple());
            let r = reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .with_context(|| format!("the S3 server at {endpoint} does not answer"))?;
            anyhow::ensure!(r.status().is_success(), "create bucket: {}", r.status());
            let d = Scratch::new(dir)?;
            let options = [
                ("aws_endpoint", endpoint.as_str()),
                ("aws_region", "us-east-1"),
                ("aws_access_key_id", "bench"),
                ("aws_secret_access_key", "bench"),
                ("aws_allow_http", "true"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            let store = StoreConfig {
                name: "offsite".into(),
                url: format!("s3://{bucket}"),
                options,
                staging_dir: d.0.join("staging"),
            };
            let v = vault(&d.0, store).await?;
            fill(&v, recordings, size_kib).await?;
            rows.push(measure(&v, "s3").await?);
        }
        Err(_) => println!("note: s3 skipped: set CV_TEST_S3_ENDPOINT to an S3 server (moto)"),
    }
    println!("scrub: {recordings} recordings of {size_kib} KiB, no rate limit");
    println!(
        "{:<8} {:>8} {:>10} {:>9} {:>10} {:>8}",
        "store", "copies", "MB", "secs", "copies/s", "MB/s"
    );
    for r in &rows {
        let mb = r.bytes as f64 / 1e6;
        println!(
            "{:<8} {:>8} {:>10.1} {:>9.2} {:>10.1} {:>8.1}",
            r.store,
            r.copies,
            mb,
            r.secs,
            r.copies as f64 / r.secs.max(1e-9),
            mb / r.secs.max(1e-9)
        );
    }
    Ok(())
}

/// A directory of the bench's own, removed afterwards.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(parent: &Path) -> std::io::Result<Self> {
        let path = parent.join(format!("scrub-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
