//! `callvault bench delivery`: the outbox emptied by one [`Runner`], per
//! catalog (SQLite, PostgreSQL) and channel, against servers started here.
//!
//! Each scenario gets a fresh data_dir and vault (a fresh PostgreSQL
//! database), one tenant and one destination subscribed to
//! `conversation.settled`, and N conversations committed through the real
//! ingest path (a distinct 1 s WAV each, `final`, so each queues one
//! delivery due at once). Then a runner is started exactly as `serve` starts
//! it (a [`Worker`](callvault_vault::worker::Worker) under
//! [`Workers`], the `[delivery]` settings of the configuration) and timed
//! until every delivery is finished.
//!
//! Channels:
//! - `webhook`: the real webhook channel to a small HTTP/1.1 server in this
//!   process that reads each request whole and answers 204 (it checks no
//!   signature: the figure is callvault's);
//! - `email`: the real e-mail channel to an SMTP sink in this process that
//!   follows the dialogue (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
//!   and counts messages; every message carries the recording as MP3, made
//!   once by the media service;
//! - `bucket`: the real bucket channel to the S3 server at
//!   `CV_TEST_S3_ENDPOINT` (moto), in a bucket of its own; skipped with a
//!   note without it;
//! - `catalog`: a channel that answers "delivered" at once, so that the
//!   runner's own work (claim, destination, conversation, tenant, finish)
//!   is all that is measured: **catalog only**.
//!
//! Figures: deliveries per second; the catalog's cost per delivery (the
//! summed latency of every catalog call the runner and the media service
//! made, divided by the deliveries, and how many calls that was); resident
//! memory sampled every 20 ms during delivery, at its start and at its peak,
//! so that runs with different N show whether memory follows the queue's
//! length.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use callvault_delivery::channel::{Attempt, Channel, Event, Job, Outcome};
use callvault_delivery::config::DeliverySection;
use callvault_delivery::media_service::MediaService;
use callvault_delivery::runner::{Channels, MediaFactory, Runner};
use callvault_model::RecordingSource;
use callvault_store::{Catalog, DeliveryState, NewDestination};
use callvault_vault::Vault;
use callvault_vault::ingest::{IngestOutcome, IngestRequest, RecordingMetadata};
use callvault_vault::worker::Workers;
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::config::Config;

/// A catalog backend to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `sqlite`, `postgres` or `both`.
    pub fn parse_list(s: &str) -> Result<Vec<Backend>, String> {
        match s {
            "sqlite" => Ok(vec![Backend::Sqlite]),
            "postgres" | "postgresql" => Ok(vec![Backend::Postgres]),
            "both" => Ok(vec![Backend::Sqlite, Backend::Postgres]),
            other => Err(format!("unknown catalog {other:?}: expected sqlite, postgres or both")),
        }
    }
}

/// A channel to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchChannel {
    /// The runner with a channel that answers at once: catalog only.
    Catalog,
    Webhook,
    Email,
    Bucket,
}

impl BenchChannel {
    fn name(self) -> &'static str {
        match self {
            BenchChannel::Catalog => "catalog only",
            BenchChannel::Webhook => "webhook",
            BenchChannel::Email => "email",
            BenchChannel::Bucket => "bucket",
        }
    }

    /// The destination kind the scenario's destination has.
    fn kind(self) -> &'static str {
        match self {
            BenchChannel::Catalog | BenchChannel::Webhook => "webhook",
            BenchChannel::Email => "email",
            BenchChannel::Bucket => "bucket",
        }
    }

    pub fn parse(s: &str) -> Result<BenchChannel, String> {
        match s {
            "catalog" => Ok(BenchChannel::Catalog),
            "webhook" => Ok(BenchChannel::Webhook),
            "email" => Ok(BenchChannel::Email),
            "bucket" => Ok(BenchChannel::Bucket),
            other => Err(format!(
                "unknown channel {other:?}: expected catalog, webhook, email or bucket"
            )),
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub conversations: Vec<u64>,
    pub backends: Vec<Backend>,
    pub channels: Vec<BenchChannel>,
    /// The `[delivery]` settings the runner uses (concurrency already
    /// overridden from the command line).
    pub delivery: DeliverySection,
    /// An administrator's URL on the PostgreSQL server: each scenario
    /// creates a database of its own there and drops it afterwards.
    pub postgres_url: Option<String>,
    /// Where the scenarios' data directories go.
    pub dir: PathBuf,
    /// Conversations ingested at once while queueing.
    pub ingest_concurrency: usize,
}

/// One scenario's figures.
struct Row {
    backend: Backend,
    channel: BenchChannel,
    n: u64,
    delivered: u64,
    secs: f64,
    /// Wall time with a catalog call in flight, per delivery.
    busy_us: f64,
    /// Summed latency of the catalog calls, per delivery.
    latency_us: f64,
    calls: f64,
    /// Mean latency of one claim, and rows per claim.
    claim_ms: f64,
    per_claim: f64,
    rss_start_kib: u64,
    rss_peak_kib: u64,
    received: Option<u64>,
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("cannot create {}", opts.dir.display()))?;
    println!(
        "delivery benchmark in {} ({} cores): concurrency {}, batch {}, poll {} ms, lease {} s",
        opts.dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        opts.delivery.concurrency,
        opts.delivery.batch,
        opts.delivery.poll_millis,
        opts.delivery.lease_secs,
    );
    let s3 = std::env::var("CV_TEST_S3_ENDPOINT").ok().map(|e| e.trim_end_matches('/').to_owned());
    let mut rows = Vec::new();
    for &backend in &opts.backends {
        if backend == Backend::Postgres && opts.postgres_url.is_none() {
            println!("note: postgres skipped: give --postgres-url or set CV_TEST_POSTGRES_URL");
            continue;
        }
        for &channel in &opts.channels {
            if channel == BenchChannel::Bucket && s3.is_none() {
                println!("note: bucket skipped: set CV_TEST_S3_ENDPOINT to an S3 server (moto)");
                continue;
            }
            for &n in &opts.conversations {
                rows.push(scenario(&opts, backend, channel, n, s3.as_deref()).await?);
            }
        }
    }
    println!();
    println!(
        "{:<9} {:<13} {:>6} {:>9} {:>7} {:>12} {:>10} {:>10} {:>6} {:>8} {:>6} {:>8} {:>8}",
        "catalog",
        "channel",
        "N",
        "delivered",
        "secs",
        "deliveries/s",
        "catalog µs",
        "latency µs",
        "calls",
        "claim ms",
        "rows",
        "RSS0 MB",
        "peak MB"
    );
    for r in &rows {
        println!(
            "{:<9} {:<13} {:>6} {:>9} {:>7.2} {:>12.1} {:>10.0} {:>10.0} {:>6.1} {:>8.2} {:>6.1} {:>8.1} {:>8.1}",
            r.backend.name(),
            r.channel.name(),
            r.n,
            r.delivered,
            r.secs,
            r.delivered as f64 / r.secs,
            r.busy_us,
            r.latency_us,
            r.calls,
            r.claim_ms,
            r.per_claim,
            r.rss_start_kib as f64 / 1024.0,
            r.rss_peak_kib as f64 / 1024.0,
        );
    }
    println!(
        "per delivery: catalog µs = wall time with at least one catalog call of the runner or the \
         media service in flight; latency µs = those calls' latencies summed (concurrent calls \
         overlap; waits for a pool connection or SQLite's writer included); calls = catalog \
         calls; claim ms = mean latency of one claim, rows = deliveries per claim. RSS0 / \
         peak MB = this process's resident memory when delivery started / at its highest \
         during delivery (sampled every 20 ms)."
    );
    if rows.iter().any(|r| r.received.is_some_and(|got| got < r.delivered)) {
        bail!("a server received fewer messages than were recorded as delivered");
    }
    Ok(())
}

async fn scenario(
    opts: &Options,
    backend: Backend,
    channel: BenchChannel,
    n: u64,
    s3: Option<&str>,
) -> anyhow::Result<Row> {
    let label = format!("{}/{} N={n}", backend.name(), channel.name());
    let data_dir = opts.dir.join(format!(
        "delivery-{}-{}-{n}-{}",
        backend.name(),
        channel.kind(),
        uuid::Uuid::now_v7().simple()
    ));
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let admin = opts.postgres_url.as_deref().context("no PostgreSQL URL")?;
            Some(PgDatabase::create(admin)?)
        }
    };
    let mut config = Config { data_dir: data_dir.clone(), ..Default::default() };
    if let Some(pg) = &pg {
        config.catalog.url = pg.url.clone();
    }
    // Every conversation is `final`; no settle wait either way.
    config.server.settle_upload_secs = 0;
    let result = async {
        let vault = Vault::open(config.vault()).await?;
        vault.recover().await?;
        let row = measure(opts, &vault, backend, channel, n, s3, &label).await;
        drop(vault);
        row
    }
    .await;
    let _ = std::fs::remove_dir_all(&data_dir);
    if let Some(pg) = pg {
        pg.drop_database();
    }
    result
}

async fn measure(
    opts: &Options,
    vault: &Vault,
    backend: Backend,
    channel: BenchChannel,
    n: u64,
    s3: Option<&str>,
    label: &str,
) -> anyhow::Result<Row> {
    let catalog = vault.catalog.clone();
    let tenant = catalog.create_tenant("bench", "bench").await?.id;
    let mut channels: Channels = opts.delivery.channels().map_err(anyhow::Error::msg)?;

    // The destination and the server behind it.
    let sink = Arc::new(SinkStats::default());
    let (config, secrets) = match channel {
        BenchChannel::Catalog => {
            channels.insert("webhook", Arc::new(CatalogOnly));
            (json!({ "url": "http://127.0.0.1:9/unused" }), json!({ "secret": WEBHOOK_SECRET }))
        }
        BenchChannel::Webhook => {
            let port = start_sink(sink.clone(), serve_http).await?;
            (
                json!({ "url": format!("http://127.0.0.1:{port}/hook"), "timeout_secs": 10 }),
                json!({ "secret": WEBHOOK_SECRET }),
            )
        }
        BenchChannel::Email => {
            let port = start_sink(sink.clone(), serve_smtp).await?;
            (
                json!({ "host": "127.0.0.1", "port": port, "tls": "none",
                        "from": "recorder@example.com", "to": ["bench@example.com"] }),
                json!(null),
            )
        }
        BenchChannel::Bucket => {
            let endpoint = s3.context("CV_TEST_S3_ENDPOINT is not set")?;
            let bucket = format!("cv-bench-delivery-{}", uuid::Uuid::now_v7().simple());
            let resp = reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .with_context(|| format!("the S3 server at {endpoint} does not answer"))?;
            if !resp.status().is_success() {
                bail!("creating bucket {bucket} at {endpoint}: {}", resp.status());
            }
            (
                json!({ "url": format!("s3://{bucket}/bench"), "endpoint": endpoint,
                        "allow_http": true }),
                json!({ "access_key_id": "bench", "secret_access_key": "bench" }),
            )
        }
    };
    let kind = channel.kind();
    channels
        .get(kind)
        .context("no channel of that kind")?
        .validate(&config, &secrets)
        .map_err(|e| anyhow::anyhow!("{kind} destination: {e}"))?;
    catalog
        .create_destination(
            NewDestination {
                tenant_id: tenant,
                name: "bench".into(),
                kind: kind.into(),
                enabled: true,
                events: vec![Event::ConversationSettled.as_str().into()],
                config,
                secrets,
                filters: json!({}),
                max_age_secs: opts.delivery.max_age_secs,
                link_ttl_secs: opts.delivery.link_ttl_for(kind),
            },
            "bench",
            chrono::Utc::now(),
        )
        .await?;

    // Queue: N conversations through the real ingest path.
    let start = Instant::now();
    queue(vault, tenant, n, opts.ingest_concurrency).await?;
    let queued = count_states(catalog.as_ref(), kind).await?;
    let pending = queued.iter().find(|(s, _)| *s == DeliveryState::Pending).map_or(0, |p| p.1);
    if pending != n {
        bail!("{label}: {pending} deliveries queued for {n} conversations ({queued:?})");
    }
    print!("{label}: {n} conversations queued in {:.1} s", start.elapsed().as_secs_f64());

    // Deliver: one runner, as `serve` runs it, over a catalog that times
    // every call.
    let timed = Arc::new(TimedCatalog::new(catalog.clone()));
    let dyn_timed: Arc<dyn Catalog> = timed.clone();
    let reader = callvault_vault::encryption::RecordingReader {
        catalog: dyn_timed.clone(),
        ..vault.reader()
    };
    let media: Arc<dyn MediaFactory> =
        Arc::new(MediaService::new(reader, "http://127.0.0.1:9", vault.instance.id()));
    let runner = Runner::new(
        dyn_timed,
        Arc::new(channels),
        media,
        vault.metrics.clone(),
        opts.delivery.runner(format!("bench-{}", uuid::Uuid::now_v7())),
    );
    let memory = RssSampler::start();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = Workers::new(vault.metrics.clone(), stop_rx);
    let start = Instant::now();
    workers.spawn(runner);
    let mut last = (0, Instant::now());
    while timed.finished.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let done = timed.finished.load(Ordering::Relaxed);
        if done != last.0 {
            last = (done, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(120) {
            let states = count_states(catalog.as_ref(), kind).await?;
            bail!("{label}: no delivery finished for 2 minutes ({done} of {n}; {states:?})");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    workers.join().await;
    let (rss_start_kib, rss_peak_kib) = memory.stop().await;
    let nanos = timed.nanos.load(Ordering::Relaxed);
    let calls = timed.calls.load(Ordering::Relaxed);
    let busy = timed.busy();
    let claims = timed.claims.load(Ordering::Relaxed).max(1) as f64;
    let claim_ms = timed.claim_nanos.load(Ordering::Relaxed) as f64 / 1e6 / claims;
    let per_claim = timed.claimed.load(Ordering::Relaxed) as f64 / claims;

    let states = count_states(catalog.as_ref(), kind).await?;
    let delivered = states
        .iter()
        .filter(|(s, _)| matches!(s, DeliveryState::Delivered | DeliveryState::Verified))
        .map(|(_, c)| c)
        .sum::<u64>();
    let received = match channel {
        BenchChannel::Webhook | BenchChannel::Email => Some(sink.messages.load(Ordering::Relaxed)),
        BenchChannel::Catalog | BenchChannel::Bucket => None,
    };
    print!(", delivered in {secs:.2} s");
    if let Some(got) = received {
        print!(" ({got} received by the server, {} errors)", sink.errors.load(Ordering::Relaxed));
    }
    println!();
    if delivered != n {
        println!("  not all delivered: {states:?}");
    }
    Ok(Row {
        backend,
        channel,
        n,
        delivered,
        secs,
        busy_us: busy.as_secs_f64() * 1e6 / n.max(1) as f64,
        latency_us: nanos as f64 / 1e3 / n.max(1) as f64,
        calls: calls as f64 / n.max(1) as f64,
        claim_ms,
        per_claim,
        rss_start_kib,
        rss_peak_kib,
        received,
    })
}

/// The states of the deliveries of `kind`, with their counts.
async fn count_states(
    catalog: &dyn Catalog,
    kind: &str,
) -> anyhow::Result<Vec<(DeliveryState, u64)>> {
    let stats = catalog.delivery_stats(chrono::Utc::now()).await?;
    Ok(stats.by_state.into_iter().filter(|(k, _, _)| k == kind).map(|(_, s, c)| (s, c)).collect())
}

/// A Standard Webhooks secret (24 bytes, base64).
const WEBHOOK_SECRET: &str = "whsec_YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gt";

/// Commit `n` conversations of one final 1 s recording each.
async fn queue(
    vault: &Vault,
    tenant: callvault_model::TenantId,
    n: u64,
    concurrency: usize,
) -> anyhow::Result<()> {
    let ingestor = vault.ingestor();
    let mut results = futures::stream::iter(0..n)
        .map(|i| {
            let ingestor = ingestor.clone();
            async move {
                let meta = RecordingMetadata {
                    call_id: Some(format!("bench-{i}@pbx.example.com")),
                    direction: Some("inbound".into()),
                    caller: Some(format!("+1555{:07}", i % 10_000_000)),
                    callee: Some("201".into()),
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
                // One second of 8 kHz 16-bit mono.
                match ingestor.ingest(req, Box::pin(super::wav_stream(16_044, i + 1))).await? {
                    IngestOutcome::Created(_) => Ok::<_, anyhow::Error>(()),
                    IngestOutcome::Duplicate(r) => {
                        bail!("conversation {i} taken as a duplicate of {}", r.id)
                    }
                }
            }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(r) = results.next().await {
        r?;
    }
    Ok(())
}

/// A channel that answers "delivered" without sending anything, so that a
/// run measures the runner and its catalog calls alone.
struct CatalogOnly;

#[async_trait]
impl Channel for CatalogOnly {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn validate(
        &self,
        _config: &serde_json::Value,
        _secrets: &serde_json::Value,
    ) -> Result<(), String> {
        Ok(())
    }

    fn accepts(&self, _event: Event, _config: &serde_json::Value) -> bool {
        true
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        Attempt {
            outcome: Outcome::Delivered { verified: false },
            progress: job.progress.clone(),
            status: Some("catalog only".into()),
        }
    }
}

// --- memory ---------------------------------------------------------------------

/// Samples this process's resident memory every 20 ms.
struct RssSampler {
    start_kib: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

impl RssSampler {
    fn start() -> Self {
        let start_kib = rss_kib();
        let peak = Arc::new(AtomicU64::new(start_kib));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
        RssSampler { start_kib, peak, stop, task }
    }

    /// (at the start, the highest seen), in KiB.
    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.fetch_max(rss_kib(), Ordering::Relaxed);
        (self.start_kib, self.peak.load(Ordering::Relaxed))
    }
}

// --- PostgreSQL -------------------------------------------------------------------

/// A database of its own on the PostgreSQL server, made and dropped with
/// `psql`.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin: &str) -> anyhow::Result<PgDatabase> {
        let name = format!("cv_bench_delivery_{}", uuid::Uuid::now_v7().simple());
        psql(admin, &format!("CREATE DATABASE {name}"))?;
        let mut url = reqwest::Url::parse(admin).context("the PostgreSQL URL")?;
        url.set_path(&name);
        Ok(PgDatabase { admin: admin.to_owned(), name, url: url.to_string() })
    }

    fn drop_database(self) {
        if let Err(e) =
            psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
        {
            println!("note: database {} not dropped: {e:#}", self.name);
        }
    }
}

fn psql(url: &str, statement: &str) -> anyhow::Result<()> {
    let out =
        std::process::Command::new("psql").arg(url).args(["-qAtc", statement]).output().context(
            "cannot run psql (the PostgreSQL client), needed to create the bench database",
        )?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

// --- the timed catalog ------------------------------------------------------------

/// The catalog, with the time spent in each call summed up: what the
/// runner's catalog calls cost, whatever the channel.
struct TimedCatalog {
    inner: Arc<dyn Catalog>,
    nanos: AtomicU64,
    calls: AtomicU64,
    /// Deliveries whose attempt was recorded (`finish_delivery` true).
    finished: AtomicU64,
    busy: std::sync::Mutex<Busy>,
    /// `claim_deliveries`: calls, their summed latency, rows claimed.
    claims: AtomicU64,
    claim_nanos: AtomicU64,
    claimed: AtomicU64,
}

/// The wall time during which at least one catalog call was in flight.
struct Busy {
    in_flight: u32,
    since: Instant,
    total: Duration,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TimedCatalog {
    fn new(inner: Arc<dyn Catalog>) -> Self {
        TimedCatalog {
            inner,
            nanos: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            busy: std::sync::Mutex::new(Busy {
                in_flight: 0,
                since: Instant::now(),
                total: Duration::ZERO,
            }),
            claims: AtomicU64::new(0),
            claim_nanos: AtomicU64::new(0),
            claimed: AtomicU64::new(0),
        }
    }

    async fn timed<T>(&self, call: impl Future<Output = T>) -> T {
        let start = Instant::now();
        {
            let mut busy = lock(&self.busy);
            if busy.in_flight == 0 {
                busy.since = start;
            }
            busy.in_flight += 1;
        }
        let out = call.await;
        let end = Instant::now();
        {
            let mut busy = lock(&self.busy);
            busy.in_flight -= 1;
            if busy.in_flight == 0 {
                let since = busy.since;
                busy.total += end - since;
            }
        }
        self.nanos.fetch_add((end - start).as_nanos() as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        out
    }

    /// How long at least one call was in flight.
    fn busy(&self) -> Duration {
        let busy = lock(&self.busy);
        busy.total + if busy.in_flight > 0 { busy.since.elapsed() } else { Duration::ZERO }
    }
}

mod timed {
    //! Every [`Catalog`] method of [`TimedCatalog`]: the inner catalog's,
    //! timed.

    use std::collections::HashSet;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use async_trait::async_trait;
    use callvault_model::{
        ApiKeyId, AuditEvent, ConversationId, CopyId, Recording, RecordingId, Tenant, TenantId,
    };
    use callvault_store::{
        Alert, AlertScope, ApiKey, Catalog, CommitOutcome, ConversationDetail, ConversationQuery,
        ConversationSummary, Delivery, DeliveryAttempt, DeliveryFinish, DeliveryQuery,
        DeliveryStats, Destination, DestinationBacklog, DestinationUpdate, NewAlert, NewApiKey,
        NewDelivery, NewDestination, NewRecording, Page, PendingObject, Result, Totals,
    };
    use chrono::{DateTime, Utc};
    use serde_json::Value;
    use uuid::Uuid;

    use super::TimedCatalog;
    use callvault_store::retention as rt;

    #[async_trait]
    impl Catalog for TimedCatalog {
        fn backend(&self) -> &'static str {
            self.inner.backend()
        }
        async fn migrate(&self) -> Result<()> {
            self.timed(self.inner.migrate()).await
        }
        async fn ping(&self) -> Result<()> {
            self.timed(self.inner.ping()).await
        }
        async fn check_writable(&self) -> Result<()> {
            self.timed(self.inner.check_writable()).await
        }
        async fn maintain(&self) -> Result<()> {
            self.timed(self.inner.maintain()).await
        }
        async fn create_tenant(&self, name: &str, actor: &str) -> Result<Tenant> {
            self.timed(self.inner.create_tenant(name, actor)).await
        }
        async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>> {
            self.timed(self.inner.tenant_by_name(name)).await
        }
        async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
            self.timed(self.inner.tenant(id)).await
        }
        async fn list_tenants(&self) -> Result<Vec<Tenant>> {
            self.timed(self.inner.list_tenants()).await
        }
        async fn create_api_key(&self, key: NewApiKey, actor: &str) -> Result<ApiKey> {
            self.timed(self.inner.create_api_key(key, actor)).await
        }
        async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>> {
            self.timed(self.inner.api_key_by_hash(hash)).await
        }
        async fn list_api_keys(&self, tenant: Option<TenantId>) -> Result<Vec<ApiKey>> {
            self.timed(self.inner.list_api_keys(tenant)).await
        }
        async fn revoke_api_key(&self, id: ApiKeyId, actor: &str) -> Result<()> {
            self.timed(self.inner.revoke_api_key(id, actor)).await
        }
        async fn add_pending_object(&self, pending: &PendingObject) -> Result<()> {
            self.timed(self.inner.add_pending_object(pending)).await
        }
        async fn remove_pending_object(&self, store: &str, object_key: &str) -> Result<()> {
            self.timed(self.inner.remove_pending_object(store, object_key)).await
        }
        async fn pending_objects(&self) -> Result<Vec<PendingObject>> {
            self.timed(self.inner.pending_objects()).await
        }
        async fn find_duplicate(
            &self,
            tenant: TenantId,
            idempotency_key: Option<&str>,
            upload_key: &str,
        ) -> Result<Option<Recording>> {
            self.timed(self.inner.find_duplicate(tenant, idempotency_key, upload_key)).await
        }
        async fn commit_recording(&self, new: NewRecording) -> Result<CommitOutcome> {
            self.timed(self.inner.commit_recording(new)).await
        }
        async fn record_empty_session(
            &self,
            new: callvault_store::NewEmptySession,
        ) -> Result<callvault_store::EmptySessionOutcome> {
            self.timed(self.inner.record_empty_session(new)).await
        }
        async fn search_conversations(
            &self,
            tenant: TenantId,
            query: &ConversationQuery,
        ) -> Result<Page<ConversationSummary>> {
            self.timed(self.inner.search_conversations(tenant, query)).await
        }
        async fn conversation(
            &self,
            tenant: TenantId,
            id: ConversationId,
        ) -> Result<Option<ConversationDetail>> {
            self.timed(self.inner.conversation(tenant, id)).await
        }
        async fn recording(&self, tenant: TenantId, id: RecordingId) -> Result<Option<Recording>> {
            self.timed(self.inner.recording(tenant, id)).await
        }
        async fn list_copies(
            &self,
            store: &str,
            after: Option<&str>,
            limit: u32,
        ) -> Result<Vec<callvault_model::Copy>> {
            self.timed(self.inner.list_copies(store, after, limit)).await
        }
        async fn known_object_keys(&self, store: &str, keys: &[String]) -> Result<HashSet<String>> {
            self.timed(self.inner.known_object_keys(store, keys)).await
        }
        async fn mark_copy_verified(&self, id: CopyId, at: DateTime<Utc>) -> Result<()> {
            self.timed(self.inner.mark_copy_verified(id, at)).await
        }
        async fn audit_events(
            &self,
            tenant: Option<TenantId>,
            after: i64,
            limit: u32,
        ) -> Result<Vec<AuditEvent>> {
            self.timed(self.inner.audit_events(tenant, after, limit)).await
        }
        async fn totals(&self) -> Result<Totals> {
            self.timed(self.inner.totals()).await
        }
        async fn create_destination(
            &self,
            new: NewDestination,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<Destination> {
            self.timed(self.inner.create_destination(new, actor, now)).await
        }
        async fn list_destinations(&self, tenant: TenantId) -> Result<Vec<Destination>> {
            self.timed(self.inner.list_destinations(tenant)).await
        }
        async fn get_destination(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
        ) -> Result<Option<Destination>> {
            self.timed(self.inner.get_destination(tenant, id)).await
        }
        async fn update_destination(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            update: DestinationUpdate,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<Destination>> {
            self.timed(self.inner.update_destination(tenant, id, update, actor, now)).await
        }
        async fn delete_destination(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.delete_destination(tenant, id, actor, now)).await
        }
        async fn disable_destination(
            &self,
            id: Uuid,
            reason: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.disable_destination(id, reason, now)).await
        }
        async fn replace_destination_secrets(
            &self,
            id: Uuid,
            expected: &Value,
            new: &Value,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.replace_destination_secrets(id, expected, new, now)).await
        }
        async fn try_lock(
            &self,
            name: &str,
            owner: &str,
            ttl: Duration,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.try_lock(name, owner, ttl, now)).await
        }
        async fn unlock(&self, name: &str, owner: &str) -> Result<()> {
            self.timed(self.inner.unlock(name, owner)).await
        }
        async fn enqueue_delivery(&self, new: NewDelivery, now: DateTime<Utc>) -> Result<Delivery> {
            self.timed(self.inner.enqueue_delivery(new, now)).await
        }
        async fn claim_deliveries(
            &self,
            owner: &str,
            now: DateTime<Utc>,
            lease: Duration,
            limit: u32,
        ) -> Result<Vec<Delivery>> {
            let start = std::time::Instant::now();
            let claimed = self.timed(self.inner.claim_deliveries(owner, now, lease, limit)).await;
            self.claim_nanos.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            self.claims.fetch_add(1, Ordering::Relaxed);
            if let Ok(rows) = &claimed {
                self.claimed.fetch_add(rows.len() as u64, Ordering::Relaxed);
            }
            claimed
        }
        async fn checkpoint_delivery(
            &self,
            id: Uuid,
            owner: &str,
            progress: &Value,
            now: DateTime<Utc>,
            lease: Duration,
        ) -> Result<bool> {
            self.timed(self.inner.checkpoint_delivery(id, owner, progress, now, lease)).await
        }
        async fn finish_delivery(
            &self,
            id: Uuid,
            owner: &str,
            fin: DeliveryFinish,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            let done = self.timed(self.inner.finish_delivery(id, owner, fin, now)).await;
            if matches!(done, Ok(true)) {
                self.finished.fetch_add(1, Ordering::Relaxed);
            }
            done
        }
        async fn get_delivery(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
        ) -> Result<Option<Delivery>> {
            self.timed(self.inner.get_delivery(tenant, id)).await
        }
        async fn list_deliveries(
            &self,
            tenant: Option<TenantId>,
            query: &DeliveryQuery,
        ) -> Result<Vec<Delivery>> {
            self.timed(self.inner.list_deliveries(tenant, query)).await
        }
        async fn delivery_attempts(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
        ) -> Result<Vec<DeliveryAttempt>> {
            self.timed(self.inner.delivery_attempts(tenant, id)).await
        }
        async fn retry_delivery(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            now: DateTime<Utc>,
        ) -> Result<Option<Delivery>> {
            self.timed(self.inner.retry_delivery(tenant, id, now)).await
        }
        async fn delivery_stats(&self, now: DateTime<Utc>) -> Result<DeliveryStats> {
            self.timed(self.inner.delivery_stats(now)).await
        }
        async fn delivery_backlog(&self, tenant: TenantId) -> Result<Vec<DestinationBacklog>> {
            self.timed(self.inner.delivery_backlog(tenant)).await
        }
        async fn raise_alert(&self, new: NewAlert, now: DateTime<Utc>) -> Result<(Alert, bool)> {
            self.timed(self.inner.raise_alert(new, now)).await
        }
        async fn resolve_alert(
            &self,
            tenant: Option<TenantId>,
            kind: &str,
            subject: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.resolve_alert(tenant, kind, subject, now)).await
        }
        async fn get_alert(&self, tenant: Option<TenantId>, id: Uuid) -> Result<Option<Alert>> {
            self.timed(self.inner.get_alert(tenant, id)).await
        }
        async fn list_alerts(
            &self,
            scope: AlertScope,
            open_only: bool,
            limit: u32,
        ) -> Result<Vec<Alert>> {
            self.timed(self.inner.list_alerts(scope, open_only, limit)).await
        }
        async fn open_alert_counts(&self) -> Result<Vec<(String, String, u64)>> {
            self.timed(self.inner.open_alert_counts()).await
        }
        async fn bench_seed(&self, tenant: TenantId, count: u64, seed: u64) -> Result<()> {
            self.timed(self.inner.bench_seed(tenant, count, seed)).await
        }
        async fn recording_copies(
            &self,
            tenant: TenantId,
            recording: RecordingId,
        ) -> Result<Vec<callvault_store::StoredCopy>> {
            self.timed(self.inner.recording_copies(tenant, recording)).await
        }
        async fn storage_scan(
            &self,
            tenant: Option<TenantId>,
            after: Option<RecordingId>,
            limit: u32,
        ) -> Result<Vec<callvault_store::RecordingCopies>> {
            self.timed(self.inner.storage_scan(tenant, after, limit)).await
        }
        async fn add_copy(
            &self,
            new: callvault_store::NewCopy,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<callvault_store::StoredCopy> {
            self.timed(self.inner.add_copy(new, actor, now)).await
        }
        async fn begin_copy_delete(
            &self,
            copy: CopyId,
            min_remaining: u32,
            keep_on: &[String],
            actor: &str,
            reason: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.begin_copy_delete(
                copy,
                min_remaining,
                keep_on,
                actor,
                reason,
                now,
            ))
            .await
        }
        async fn finish_copy_delete(&self, copy: CopyId, actor: &str) -> Result<bool> {
            self.timed(self.inner.finish_copy_delete(copy, actor)).await
        }
        async fn deleting_copies(&self, limit: u32) -> Result<Vec<callvault_store::StoredCopy>> {
            self.timed(self.inner.deleting_copies(limit)).await
        }
        async fn storage_policy(
            &self,
            tenant: TenantId,
        ) -> Result<Option<callvault_store::StoragePolicy>> {
            self.timed(self.inner.storage_policy(tenant)).await
        }
        async fn set_storage_policy(
            &self,
            tenant: TenantId,
            policy: Option<&callvault_store::StoragePolicy>,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<()> {
            self.timed(self.inner.set_storage_policy(tenant, policy, actor, now)).await
        }
        async fn list_storage_policies(
            &self,
        ) -> Result<Vec<(TenantId, callvault_store::StoragePolicy)>> {
            self.timed(self.inner.list_storage_policies()).await
        }
        async fn copy_histogram(&self) -> Result<Vec<(u32, u64)>> {
            self.timed(self.inner.copy_histogram()).await
        }

        // --- retention, legal hold, trash -----------------------------------------
        async fn create_retention_rule(
            &self,
            new: rt::NewRetentionRule,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<rt::RetentionRule> {
            self.timed(self.inner.create_retention_rule(new, actor, now)).await
        }
        async fn list_retention_rules(
            &self,
            tenant: Option<TenantId>,
        ) -> Result<Vec<rt::RetentionRule>> {
            self.timed(self.inner.list_retention_rules(tenant)).await
        }
        async fn delete_retention_rule(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            actor: &str,
        ) -> Result<bool> {
            self.timed(self.inner.delete_retention_rule(tenant, id, actor)).await
        }
        async fn create_hold(
            &self,
            new: rt::NewHold,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<rt::LegalHold> {
            self.timed(self.inner.create_hold(new, actor, now)).await
        }
        async fn list_holds(
            &self,
            tenant: Option<TenantId>,
            in_force_only: bool,
        ) -> Result<Vec<rt::LegalHold>> {
            self.timed(self.inner.list_holds(tenant, in_force_only)).await
        }
        async fn release_hold(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.release_hold(tenant, id, actor, now)).await
        }
        async fn retention_candidates(
            &self,
            tenant: TenantId,
            started_before: DateTime<Utc>,
            after: Option<RecordingId>,
            limit: u32,
        ) -> Result<Vec<rt::RetentionCandidate>> {
            self.timed(self.inner.retention_candidates(tenant, started_before, after, limit)).await
        }
        async fn live_recording_count(&self, tenant: TenantId) -> Result<u64> {
            self.timed(self.inner.live_recording_count(tenant)).await
        }
        async fn trash_recordings(
            &self,
            tenant: TenantId,
            ids: &[RecordingId],
            cause: &rt::TrashCause,
            now: DateTime<Utc>,
        ) -> Result<rt::TrashOutcome> {
            self.timed(self.inner.trash_recordings(tenant, ids, cause, now)).await
        }
        async fn trash_conversation(
            &self,
            tenant: TenantId,
            id: ConversationId,
            cause: &rt::TrashCause,
            now: DateTime<Utc>,
        ) -> Result<rt::TrashOutcome> {
            self.timed(self.inner.trash_conversation(tenant, id, cause, now)).await
        }
        async fn list_trash(
            &self,
            tenant: Option<TenantId>,
            after: Option<RecordingId>,
            limit: u32,
        ) -> Result<Vec<rt::TrashedRecording>> {
            self.timed(self.inner.list_trash(tenant, after, limit)).await
        }
        async fn restore_trashed(
            &self,
            tenant: Option<TenantId>,
            id: Uuid,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<Vec<RecordingId>> {
            self.timed(self.inner.restore_trashed(tenant, id, actor, now)).await
        }
        async fn purge_due(
            &self,
            tenant: Option<TenantId>,
            trashed_before: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<RecordingId>> {
            self.timed(self.inner.purge_due(tenant, trashed_before, limit)).await
        }
        async fn begin_purge(&self, id: RecordingId, now: DateTime<Utc>) -> Result<rt::PurgeStart> {
            self.timed(self.inner.begin_purge(id, now)).await
        }
        async fn remove_purged_copy(&self, id: CopyId) -> Result<()> {
            self.timed(self.inner.remove_purged_copy(id)).await
        }
        async fn finish_purge(
            &self,
            id: RecordingId,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            self.timed(self.inner.finish_purge(id, actor, now)).await
        }
        async fn purge_empty_conversations(
            &self,
            trashed_before: DateTime<Utc>,
            actor: &str,
            limit: u32,
        ) -> Result<u64> {
            self.timed(self.inner.purge_empty_conversations(trashed_before, actor, limit)).await
        }
        async fn confirm_retention_run(
            &self,
            tenant: TenantId,
            max_count: u64,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<()> {
            self.timed(self.inner.confirm_retention_run(tenant, max_count, actor, now)).await
        }
        async fn retention_confirmation(&self, tenant: TenantId) -> Result<Option<u64>> {
            self.timed(self.inner.retention_confirmation(tenant)).await
        }
        async fn consume_retention_confirmation(&self, tenant: TenantId) -> Result<()> {
            self.timed(self.inner.consume_retention_confirmation(tenant)).await
        }
        async fn trash_stats(&self) -> Result<Vec<rt::TrashStats>> {
            self.timed(self.inner.trash_stats()).await
        }
        // --- capacity and scrubbing ---
        async fn storage_usage(&self) -> Result<Vec<callvault_store::StoreUsage>> {
            self.timed(self.inner.storage_usage()).await
        }
        async fn record_storage_sample(&self, s: &callvault_store::StorageSample) -> Result<()> {
            self.timed(self.inner.record_storage_sample(s)).await
        }
        async fn storage_samples(
            &self,
            store: &str,
            tenant: Option<TenantId>,
            since: chrono::NaiveDate,
        ) -> Result<Vec<callvault_store::StorageSample>> {
            self.timed(self.inner.storage_samples(store, tenant, since)).await
        }
        async fn scrub_copies(
            &self,
            store: &str,
            after: &str,
            limit: u32,
        ) -> Result<Vec<callvault_store::TenantCopy>> {
            self.timed(self.inner.scrub_copies(store, after, limit)).await
        }
        async fn save_scrub_run(&self, run: &callvault_store::ScrubRun) -> Result<()> {
            self.timed(self.inner.save_scrub_run(run)).await
        }
        async fn scrub_runs(
            &self,
            store: Option<&str>,
            limit: u32,
        ) -> Result<Vec<callvault_store::ScrubRun>> {
            self.timed(self.inner.scrub_runs(store, limit)).await
        }
        async fn add_scrub_finding(&self, f: &callvault_store::ScrubFinding) -> Result<()> {
            self.timed(self.inner.add_scrub_finding(f)).await
        }
        async fn scrub_findings(&self, run: Uuid) -> Result<Vec<callvault_store::ScrubFinding>> {
            self.timed(self.inner.scrub_findings(run)).await
        }
        async fn master_keys(&self) -> Result<Vec<callvault_store::MasterKeyRecord>> {
            self.timed(self.inner.master_keys()).await
        }
        async fn register_master_key(
            &self,
            id: &str,
            check_value: &str,
            now: DateTime<Utc>,
        ) -> Result<String> {
            self.timed(self.inner.register_master_key(id, check_value, now)).await
        }
        async fn set_tenant_encryption(
            &self,
            tenant: TenantId,
            enabled: bool,
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<()> {
            self.timed(self.inner.set_tenant_encryption(tenant, enabled, actor, now)).await
        }
        async fn tenant_encryption(&self, tenant: TenantId) -> Result<bool> {
            self.timed(self.inner.tenant_encryption(tenant)).await
        }
        async fn encrypted_tenants(&self) -> Result<Vec<TenantId>> {
            self.timed(self.inner.encrypted_tenants()).await
        }
        async fn recording_key(
            &self,
            tenant: TenantId,
            recording: RecordingId,
        ) -> Result<Option<callvault_store::RecordingKey>> {
            self.timed(self.inner.recording_key(tenant, recording)).await
        }
        async fn recording_keys_not_under(
            &self,
            master_key_id: &str,
            after: Option<RecordingId>,
            limit: u32,
        ) -> Result<Vec<callvault_store::RecordingKey>> {
            self.timed(self.inner.recording_keys_not_under(master_key_id, after, limit)).await
        }
        async fn rewrap_recording_keys(
            &self,
            rewraps: &[callvault_store::Rewrap],
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<u64> {
            self.timed(self.inner.rewrap_recording_keys(rewraps, actor, now)).await
        }
        // --- assurance: delegated as they are ---
        async fn import_calls(
            &self,
            tenant: TenantId,
            calls: &[callvault_store::NewCall],
            actor: &str,
            now: DateTime<Utc>,
        ) -> Result<callvault_store::CallImport> {
            self.inner.import_calls(tenant, calls, actor, now).await
        }
        async fn calls_due(
            &self,
            now: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<callvault_store::Call>> {
            self.inner.calls_due(now, limit).await
        }
        async fn call(&self, tenant: TenantId, id: Uuid) -> Result<Option<callvault_store::Call>> {
            self.inner.call(tenant, id).await
        }
        async fn call_match_candidates(
            &self,
            tenant: TenantId,
            id_values: &[String],
            number_tails: &[String],
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<callvault_store::MatchCandidates> {
            self.inner.call_match_candidates(tenant, id_values, number_tails, from, to).await
        }
        async fn conversation_facts(
            &self,
            tenant: TenantId,
            conversations: &[ConversationId],
        ) -> Result<Vec<callvault_store::ConversationFacts>> {
            self.inner.conversation_facts(tenant, conversations).await
        }
        async fn record_call_checks(
            &self,
            checks: &[callvault_store::CallCheck],
            now: DateTime<Utc>,
        ) -> Result<Vec<callvault_store::Finding>> {
            self.inner.record_call_checks(checks, now).await
        }
        async fn cdr_tenants(&self) -> Result<Vec<TenantId>> {
            self.inner.cdr_tenants().await
        }
        async fn orphan_candidates(
            &self,
            tenant: TenantId,
            after: Option<(DateTime<Utc>, Uuid)>,
            until: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<callvault_store::OrphanCandidate>> {
            self.inner.orphan_candidates(tenant, after, until, limit).await
        }
        async fn record_orphans(
            &self,
            tenant: TenantId,
            orphans: &[(callvault_store::OrphanCandidate, callvault_store::NewFinding)],
            now: DateTime<Utc>,
        ) -> Result<Vec<callvault_store::Finding>> {
            self.inner.record_orphans(tenant, orphans, now).await
        }
        async fn assurance_cursor(
            &self,
            name: &str,
        ) -> Result<Option<(DateTime<Utc>, Option<Uuid>)>> {
            self.inner.assurance_cursor(name).await
        }
        async fn set_assurance_cursor(
            &self,
            name: &str,
            at: DateTime<Utc>,
            id: Option<Uuid>,
        ) -> Result<()> {
            self.inner.set_assurance_cursor(name, at, id).await
        }
        async fn assurance_summary(
            &self,
            tenant: Option<TenantId>,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<callvault_store::AssuranceSummary> {
            self.inner.assurance_summary(tenant, from, to).await
        }
        async fn list_findings(
            &self,
            tenant: Option<TenantId>,
            query: &callvault_store::FindingQuery,
        ) -> Result<Vec<callvault_store::Finding>> {
            self.inner.list_findings(tenant, query).await
        }
        async fn assurance_gauges(&self) -> Result<(u64, Vec<(TenantId, String, u64)>)> {
            self.inner.assurance_gauges().await
        }
        async fn bench_seed_assurance(
            &self,
            tenant: TenantId,
            count: u64,
            now: DateTime<Utc>,
        ) -> Result<()> {
            self.inner.bench_seed_assurance(tenant, count, now).await
        }
        // --- console sessions: delegated as they are ---
        async fn create_console_session(
            &self,
            session: &callvault_store::ConsoleSession,
            actor: &str,
        ) -> Result<()> {
            self.inner.create_console_session(session, actor).await
        }
        async fn console_session(
            &self,
            id: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<(ApiKey, callvault_store::ConsoleSession)>> {
            self.inner.console_session(id, now).await
        }
        async fn touch_console_session(
            &self,
            id: &str,
            now: DateTime<Utc>,
            idle_expires_at: DateTime<Utc>,
        ) -> Result<()> {
            self.inner.touch_console_session(id, now, idle_expires_at).await
        }
        async fn set_console_session_tenant(
            &self,
            id: &str,
            tenant: Option<TenantId>,
            actor: &str,
        ) -> Result<()> {
            self.inner.set_console_session_tenant(id, tenant, actor).await
        }
        async fn delete_console_session(&self, id: &str, actor: &str) -> Result<bool> {
            self.inner.delete_console_session(id, actor).await
        }
        async fn purge_console_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
            self.inner.purge_console_sessions(now).await
        }
    }
}

// --- the servers ------------------------------------------------------------------

/// What a sink received.
#[derive(Default)]
struct SinkStats {
    /// Requests answered 2xx, messages accepted.
    messages: AtomicU64,
    /// Protocol errors seen.
    errors: AtomicU64,
}

/// Listen on a free loopback port and serve each connection with `serve`
/// until the process ends.
async fn start_sink<F, Fut>(stats: Arc<SinkStats>, serve: F) -> anyhow::Result<u16>
where
    F: Fn(TcpStream, Arc<SinkStats>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let stats = stats.clone();
            let conn = serve(stream, stats.clone());
            tokio::spawn(async move {
                if conn.await.is_err() {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    Ok(port)
}

/// The longest request head or SMTP line the sinks read.
const MAX_LINE: u64 = 64 * 1024;

/// Read one line (up to `\n`) of at most [`MAX_LINE`] bytes into `line`;
/// false at the end of the stream.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    let n = r.take(MAX_LINE).read_until(b'\n', line).await?;
    if n == 0 {
        return Ok(false);
    }
    if !line.ends_with(b"\n") {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "line too long or cut"));
    }
    Ok(true)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// HTTP/1.1 with keep-alive: each request's head and `Content-Length` body
/// read whole, answered `204 No Content`.
async fn serve_http(stream: TcpStream, stats: Arc<SinkStats>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    loop {
        if !read_line(&mut r, &mut line).await? {
            return Ok(());
        }
        if line == b"\r\n" {
            // RFC 9112 2.2: an empty line before a request is ignored.
            continue;
        }
        let request = String::from_utf8_lossy(&line).trim_end().to_owned();
        let mut parts = request.split(' ');
        let (Some(_method), Some(_target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            w.write_all(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n").await?;
            return Err(bad("bad request line"));
        };
        let mut keep_alive = version == "HTTP/1.1";
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut head = line.len() as u64;
        loop {
            if !read_line(&mut r, &mut line).await? {
                return Err(bad("connection closed inside a request head"));
            }
            head += line.len() as u64;
            if head > MAX_LINE {
                w.write_all(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\n\r\n",
                )
                .await?;
                return Err(bad("request head too large"));
            }
            if line == b"\r\n" {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            let Some((name, value)) = text.split_once(':') else {
                return Err(bad("header without a colon"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad("bad content-length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
        }
        if chunked {
            // Not needed by the webhook channel (it sends a length).
            w.write_all(b"HTTP/1.1 411 Length Required\r\nconnection: close\r\n\r\n").await?;
            return Err(bad("chunked request body"));
        }
        let length = length.unwrap_or(0);
        let read = tokio::io::copy(&mut (&mut r).take(length), &mut tokio::io::sink()).await?;
        if read != length {
            return Err(bad("connection closed inside a request body"));
        }
        w.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await?;
        stats.messages.fetch_add(1, Ordering::Relaxed);
        if !keep_alive {
            return Ok(());
        }
    }
}

/// An SMTP server (RFC 5321) that accepts every message: greeting, EHLO or
/// HELO, then transactions of MAIL, RCPT (one or more), DATA; RSET, NOOP
/// and QUIT at any time; commands out of order answered 503.
async fn serve_smtp(stream: TcpStream, stats: Arc<SinkStats>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = Vec::new();
    w.write_all(b"220 bench.invalid ESMTP callvault bench sink\r\n").await?;
    let (mut greeted, mut mail, mut rcpts) = (false, false, 0usize);
    loop {
        if !read_line(&mut r, &mut line).await? {
            return Err(bad("connection closed without QUIT"));
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = text.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                (greeted, mail, rcpts) = (true, false, 0);
                b"250-bench.invalid\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"
            }
            "HELO" => {
                (greeted, mail, rcpts) = (true, false, 0);
                b"250 bench.invalid\r\n"
            }
            "MAIL" if !greeted || mail => b"503 5.5.1 bad sequence of commands\r\n",
            "MAIL" if text.to_ascii_uppercase().starts_with("MAIL FROM:") => {
                mail = true;
                b"250 2.1.0 ok\r\n"
            }
            "RCPT" if !mail => b"503 5.5.1 need MAIL first\r\n",
            "RCPT" if text.to_ascii_uppercase().starts_with("RCPT TO:") => {
                rcpts += 1;
                b"250 2.1.5 ok\r\n"
            }
            "MAIL" | "RCPT" => b"501 5.5.4 syntax error\r\n",
            "DATA" if rcpts == 0 => b"503 5.5.1 need RCPT first\r\n",
            "DATA" => {
                w.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n").await?;
                loop {
                    if !read_line(&mut r, &mut line).await? {
                        return Err(bad("connection closed inside DATA"));
                    }
                    if line == b".\r\n" {
                        break;
                    }
                }
                (mail, rcpts) = (false, 0);
                stats.messages.fetch_add(1, Ordering::Relaxed);
                b"250 2.0.0 queued\r\n"
            }
            "RSET" => {
                (mail, rcpts) = (false, 0);
                b"250 2.0.0 ok\r\n"
            }
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not implemented\r\n",
        };
        w.write_all(reply).await?;
    }
}

/// The directory scenarios go in, by default.
pub fn default_dir(config: &Config) -> PathBuf {
    config.data_dir.join("bench")
}
