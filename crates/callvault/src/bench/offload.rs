//! `callvault bench offload`: offload throughput to an S3-compatible server
//! (moto at `CV_TEST_S3_ENDPOINT` unless `--endpoint`): recordings ingested
//! into a local primary, then one storage pass moves every one to an
//! archive store in S3 (copy, read back, record, remove the local copy).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use callvault_model::RecordingSource;
use callvault_storage::config::JobsConfig;
use callvault_storage::jobs::Engine;
use callvault_store::{StoragePolicy, StoreConfig, TierRule};
use callvault_vault::ingest::{IngestOutcome, IngestRequest, RecordingMetadata};
use callvault_vault::stores::{NamedStore, StoreRole};
use callvault_vault::{Vault, VaultConfig};
use futures::StreamExt;

pub async fn run(
    dir: &Path,
    endpoint: &str,
    recordings: u64,
    size_kib: u64,
    concurrency: usize,
) -> anyhow::Result<()> {
    let bucket = format!("cv-bench-offload-{}", uuid::Uuid::now_v7().simple());
    let resp = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .with_context(|| format!("the S3 server at {endpoint} does not answer"))?;
    if !resp.status().is_success() {
        bail!("creating bucket {bucket} at {endpoint}: {}", resp.status());
    }
    let data = dir.join(format!("offload-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data)?;
    let options = [
        ("aws_endpoint", endpoint),
        ("aws_allow_http", "true"),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "bench"),
        ("aws_secret_access_key", "bench"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = VaultConfig {
        data_dir: data.clone(),
        catalog_url: format!("sqlite://{}", data.join("catalog.db").display()),
        catalog_max_connections: 8,
        store: StoreConfig {
            name: "primary".into(),
            url: format!("file://{}", data.join("objects").display()),
            options: Default::default(),
            staging_dir: data.join("staging"),
        },
        stores: vec![NamedStore {
            config: StoreConfig {
                name: "archive".into(),
                url: format!("s3://{bucket}/archive"),
                options,
                staging_dir: data.join("staging"),
            },
            role: StoreRole::Archive,
        }],
        disk: Default::default(),
        encryption: Default::default(),
        max_concurrent_commits: 8,
        max_upload_bytes: 1 << 32,
        recovery_grace: Duration::from_secs(60),
        settle: Default::default(),
    };
    let vault = Vault::open(config).await?;
    let tenant = vault.catalog.create_tenant("bench", "bench").await?.id;
    let size = size_kib * 1024;
    let ingestor = vault.ingestor();
    let mut results = futures::stream::iter(0..recordings)
        .map(|i| {
            let ingestor = ingestor.clone();
            async move {
                let meta = RecordingMetadata {
                    call_id: Some(format!("offload-{i}@pbx.example.com")),
                    is_final: Some(true),
                    ..Default::default()
                };
                let req = IngestRequest {
                    tenant,
                    description: meta.describe()?,
                    idempotency_key: None,
                    source: RecordingSource::Upload,
                    actor: "bench".into(),
                    flags: Vec::new(),
                };
                match ingestor.ingest(req, Box::pin(super::wav_stream(size, i + 1))).await? {
                    IngestOutcome::Created(_) => Ok::<_, anyhow::Error>(()),
                    IngestOutcome::Duplicate(r) => {
                        bail!("recording {i} is a duplicate of {}", r.id)
                    }
                }
            }
        })
        .buffer_unordered(8);
    while let Some(r) = results.next().await {
        r?;
    }
    let engine = Engine {
        catalog: vault.catalog.clone(),
        stores: vault.stores.clone(),
        metrics: vault.metrics.clone(),
        owner: vault.instance.id().to_owned(),
        default_policy: StoragePolicy {
            tier: Some(TierRule { after_days: 0, from: "primary".into(), to: "archive".into() }),
            ..StoragePolicy::default()
        },
        config: JobsConfig { concurrency: concurrency.max(1), ..JobsConfig::default() },
    };
    engine.acquire(Duration::from_secs(5)).await?;
    let started = Instant::now();
    let report = engine.pass(None, false, &mut |_| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    engine.release().await;
    if report.copies_made != recordings || report.copies_deleted != recordings {
        bail!("the pass did not offload everything: {report:?}");
    }
    println!(
        "offload of {recordings} recordings of {size_kib} KiB to {endpoint} (concurrency {concurrency}): \
         {secs:.2} s, {:.1} recordings/s, {:.2} MB/s",
        recordings as f64 / secs,
        report.bytes_copied as f64 / 1e6 / secs
    );
    drop(vault);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
