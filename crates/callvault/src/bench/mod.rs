//! `callvault bench`: the vault's hot paths measured end to end, printing
//! figures. Timing lives here, never in tests.
//!
//! - `upload`: real `callvault serve` processes on this machine, uploads of
//!   generated WAV files over HTTP by 1..N concurrent clients, compared with
//!   `dd conv=fsync` writing the same bytes to the same disk; the server's
//!   peak memory (VmHWM) per scenario.
//! - `search`: a catalog seeded with many conversations, latency percentiles
//!   of the API's search queries.
//! - `siprec`: a real server as SIPREC SRS under a generated SRC load
//!   (module `siprec`).
//! - `delivery`: the outbox emptied by one runner per catalog and channel,
//!   against servers started by the bench (module `delivery`).
//! - `scrub`: the scrubber's rate over a local store and the S3 server at
//!   `CV_TEST_S3_ENDPOINT` (module `scrub`).
//! - `encryption`: ingest and Range reads of an encrypting tenant against
//!   the same in the clear (module `encryption`).
//! - `console`: the console's search page through HTTP at 1 M
//!   conversations, per filter kind (module `console`).

mod assurance;
mod capture_live;
mod console;
mod delivery;
mod encryption;
mod offload;
mod scrub;
mod siprec;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use callvault_store::{Catalog, ConversationQuery, open_catalog};
use clap::Subcommand;
use futures::StreamExt;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Upload throughput and server memory versus dd.
    Upload {
        /// File sizes in MiB.
        #[arg(long, value_delimiter = ',', default_value = "1,100")]
        sizes_mib: Vec<u64>,
        /// Concurrent clients.
        #[arg(long, value_delimiter = ',', default_value = "1,32")]
        clients: Vec<usize>,
        /// Bytes uploaded per scenario, in MiB (at least one file per client).
        #[arg(long, default_value_t = 1024)]
        volume_mib: u64,
        /// Directory on the disk to measure (default: data_dir).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Search latency over a large catalog.
    Search {
        /// Conversations to seed (skipped when the bench tenant already has them).
        #[arg(long, default_value_t = 1_000_000)]
        conversations: u64,
        /// Queries per query kind.
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// SIPREC sessions with G.711 on both streams: setup rate, loss, CPU
    /// and memory per session, render cost, sustainable concurrency.
    Siprec {
        /// Concurrent sessions.
        #[arg(long, default_value_t = 2000)]
        sessions: usize,
        /// New sessions per second during setup.
        #[arg(long, default_value_t = 400.0)]
        rate: f64,
        /// Seconds of steady media measured.
        #[arg(long, default_value_t = 20)]
        hold_secs: u64,
        /// RTP sender threads of the generator.
        #[arg(long, default_value_t = 1)]
        senders: usize,
        /// Call length for the calls-per-hour figure, minutes.
        #[arg(long, default_value_t = 3.0)]
        call_minutes: f64,
        /// Both sides talk all the time (the renderer's worst case) instead
        /// of taking turns.
        #[arg(long)]
        double_talk: bool,
        /// Directory for the server's data (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Offline capture replay, file to spool, versus `tcpdump -r FILE -w /dev/null`.
    Capture {
        /// Concurrent G.711 calls in the synthetic capture.
        #[arg(long, default_value_t = 1000)]
        calls: u64,
        /// Seconds of talk per call.
        #[arg(long, default_value_t = 60)]
        secs: u64,
        /// Directory for the capture file and the spools (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Live capture on an interface while this process plays calls across
    /// it: loss, CPU and memory per call (root or CAP_NET_RAW).
    CaptureLive {
        /// Concurrent G.711 calls.
        #[arg(long, default_value_t = 1000)]
        calls: u32,
        /// Seconds of media per call.
        #[arg(long, default_value_t = 30)]
        secs: u64,
        /// New calls per second during setup.
        #[arg(long, default_value_t = 500.0)]
        rate: f64,
        /// Interface to capture on (the calls are played on loopback).
        #[arg(long, default_value = "lo")]
        interface: String,
        /// Also send this many unrelated UDP datagrams a second (other
        /// traffic on the host), which the capture filter rejects.
        #[arg(long, default_value_t = 0)]
        noise: u64,
        /// Apply the capture filter in user space only, without the kernel
        /// BPF program (for comparison).
        #[arg(long)]
        user_space_filter: bool,
        /// Directory for the spools (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Deliveries per second per channel and catalog, the catalog's cost
    /// per delivery, and memory against the queue's length.
    Delivery {
        /// Queued conversations (one delivery each); several values run
        /// each scenario once per value.
        #[arg(long, value_delimiter = ',', default_value = "10000")]
        conversations: Vec<u64>,
        /// Catalogs: sqlite, postgres or both (postgres is skipped, with a
        /// note, without a URL).
        #[arg(long, default_value = "both")]
        catalog: String,
        /// PostgreSQL URL of a user that may create databases (default:
        /// CV_TEST_POSTGRES_URL); each scenario gets a fresh database.
        #[arg(long)]
        postgres_url: Option<String>,
        /// Channels: catalog (a channel that answers at once: the runner's
        /// catalog work alone), webhook, email, bucket (needs
        /// CV_TEST_S3_ENDPOINT).
        #[arg(long, value_delimiter = ',', default_value = "catalog,webhook,email,bucket",
              value_parser = delivery::BenchChannel::parse)]
        channels: Vec<delivery::BenchChannel>,
        /// Attempts at once (default: delivery.concurrency).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Uploads committed at once while queueing.
        #[arg(long, default_value_t = 8)]
        ingest_concurrency: usize,
        /// Directory for the scenarios' data (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The scrubber's rate (copies/s, MB/s) on a local store and on the S3
    /// server at CV_TEST_S3_ENDPOINT, without a rate limit.
    Scrub {
        /// Recordings in each store.
        #[arg(long, default_value_t = 500)]
        recordings: u64,
        /// Size of each recording in KiB.
        #[arg(long, default_value_t = 256)]
        size_kib: u64,
        /// Directory for the stores (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Offload throughput (recordings/s, MB/s) from a local primary to an
    /// archive store on an S3-compatible server.
    Offload {
        #[arg(long, default_value_t = 200)]
        recordings: u64,
        /// Size of each recording.
        #[arg(long, default_value_t = 512)]
        size_kib: u64,
        /// Copies made at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// The S3 endpoint (default: CV_TEST_S3_ENDPOINT).
        #[arg(long)]
        endpoint: Option<String>,
        /// Directory for the data (default: data_dir/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The cost of encryption at rest on ingest and on Range reads, as a
    /// ratio to the same without it.
    Encryption {
        /// Files ingested per tenant (one encrypting, one not).
        #[arg(long, default_value_t = 8)]
        files: u64,
        /// Size of each file in MiB.
        #[arg(long, default_value_t = 16)]
        size_mib: u64,
        /// Range reads per tenant.
        #[arg(long, default_value_t = 2000)]
        reads: u64,
        /// Bytes per Range read.
        #[arg(long, default_value_t = 16384)]
        read_bytes: u64,
        /// Directory for the bench's vault (default: data_dir/bench-encryption).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Assurance: reconcile N calls against N conversations (seeded in
    /// bulk), then `audit --since 24h` on that data set.
    Assurance {
        /// Calls (and conversations) to seed.
        #[arg(long, default_value_t = 1_000_000)]
        calls: u64,
        /// Catalog URL (default: the configured catalog).
        #[arg(long)]
        catalog: Option<String>,
        /// Calls checked per batch.
        #[arg(long, default_value_t = 1000)]
        batch: u32,
    },
    /// The console's search page through HTTP (a real server, signed in),
    /// per filter kind, over a seeded catalog.
    Console {
        /// Conversations to seed (skipped when the bench tenant already has them).
        #[arg(long, default_value_t = 1_000_000)]
        conversations: u64,
        /// Queries per filter kind.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Catalog URL (default: SQLite in --dir).
        #[arg(long)]
        catalog: Option<String>,
        /// Directory for the server's data (default: data_dir/bench-console).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

pub async fn run(cmd: BenchCommand, config: Config) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Console { conversations, queries, catalog, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench-console"));
            console::run(&dir, catalog, conversations, queries).await
        }
        BenchCommand::Offload { recordings, size_kib, concurrency, endpoint, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            let endpoint = endpoint
                .or_else(|| std::env::var("CV_TEST_S3_ENDPOINT").ok())
                .ok_or_else(|| anyhow::anyhow!("give --endpoint or set CV_TEST_S3_ENDPOINT"))?;
            offload::run(&dir, &endpoint, recordings, size_kib, concurrency).await
        }
        BenchCommand::Assurance { calls, catalog, batch } => {
            let url = catalog.unwrap_or_else(|| config.catalog_url());
            assurance::run(&url, calls, batch, &config.assurance).await
        }
        BenchCommand::Upload { sizes_mib, clients, volume_mib, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            upload(&sizes_mib, &clients, volume_mib, &dir).await
        }
        BenchCommand::Search { conversations, queries } => {
            search(&config, conversations, queries).await
        }
        BenchCommand::Siprec {
            sessions,
            rate,
            hold_secs,
            senders,
            call_minutes,
            double_talk,
            dir,
        } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            siprec::run(&dir, sessions, rate, hold_secs, senders, call_minutes, double_talk).await
        }
        BenchCommand::Capture { calls, secs, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            tokio::task::spawn_blocking(move || capture_bench(calls, secs, &dir)).await?
        }
        BenchCommand::CaptureLive {
            calls,
            secs,
            rate,
            interface,
            noise,
            user_space_filter,
            dir,
        } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            let load = capture_live::Load { calls, secs, rate, noise };
            tokio::task::spawn_blocking(move || {
                capture_live::run(&load, !user_space_filter, &interface, &dir)
            })
            .await?
        }
        BenchCommand::Encryption { files, size_mib, reads, read_bytes, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench-encryption"));
            let opts = encryption::Options {
                files: files.max(1),
                size_mib: size_mib.max(1),
                reads,
                read_bytes: read_bytes.max(1),
            };
            encryption::run(&config, &dir, &opts).await
        }
        BenchCommand::Delivery {
            conversations,
            catalog,
            postgres_url,
            channels,
            concurrency,
            ingest_concurrency,
            dir,
        } => {
            let mut section = config.delivery.clone();
            if let Some(c) = concurrency {
                section.concurrency = c.max(1);
            }
            let opts = delivery::Options {
                conversations,
                backends: delivery::Backend::parse_list(&catalog).map_err(anyhow::Error::msg)?,
                channels,
                delivery: section,
                postgres_url: postgres_url.or_else(|| std::env::var("CV_TEST_POSTGRES_URL").ok()),
                dir: dir.unwrap_or_else(|| delivery::default_dir(&config)),
                ingest_concurrency,
            };
            delivery::run(opts).await
        }
        BenchCommand::Scrub { recordings, size_kib, dir } => {
            let dir = dir.unwrap_or_else(|| config.data_dir.join("bench"));
            scrub::run(recordings, size_kib.max(1), &dir).await
        }
    }
}

/// A WAV header for `data_len` bytes of 16-bit mono 8 kHz PCM.
pub fn wav_header(data_len: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&8000u32.to_le_bytes());
    h.extend_from_slice(&16000u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

/// A WAV file of `total` bytes whose samples are noise seeded by `seed`,
/// produced chunk by chunk so that no file is ever held in memory.
pub fn wav_stream(
    total: u64,
    seed: u64,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let data_len = (total.saturating_sub(44) & !1) as u32;
    let header = Bytes::from(wav_header(data_len));
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut left = u64::from(data_len);
    let body = futures::stream::iter(std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let n = left.min(256 * 1024) as usize;
        left -= n as u64;
        let mut buf = vec![0u8; n];
        for chunk in buf.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bytes = state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Some(Ok(Bytes::from(buf)))
    }));
    futures::stream::once(async move { Ok(header) }).chain(body)
}

struct ServerProcess {
    child: std::process::Child,
    url: String,
}

impl ServerProcess {
    fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(&format!("/proc/{}", self.child.id()))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(data_dir: &Path) -> anyhow::Result<(ServerProcess, String)> {
    let exe = std::env::current_exe()?;
    // Tenant and key first, through the catalog the server will open.
    let config = Config { data_dir: data_dir.to_owned(), ..Default::default() };
    let vault = callvault_vault::Vault::open(config.vault()).await?;
    let tenant = vault.catalog.create_tenant("bench", "bench").await?;
    let key =
        callvault_api::auth::issue_key(vault.catalog.as_ref(), Some(tenant.id), "bench", "bench")
            .await?;
    drop(vault);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let child = std::process::Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("CALLVAULT_LOG", "warn")
        .env("CALLVAULT_SIP__ENABLED", "false")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start callvault serve")?;
    let server = ServerProcess { child, url: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok((server, key.secret));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not become ready")
}

async fn upload(
    sizes_mib: &[u64],
    clients: &[usize],
    volume_mib: u64,
    dir: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    println!(
        "upload benchmark in {} ({} cores)",
        dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>8} {:>7} {:>6} {:>10} {:>10} {:>7} {:>12}",
        "size", "clients", "files", "MB/s", "dd MB/s", "ratio", "peak RSS"
    );
    for &size_mib in sizes_mib {
        for &n_clients in clients {
            let size = size_mib * 1024 * 1024;
            let files = ((volume_mib / size_mib.max(1)) as usize).max(n_clients);
            let data_dir = dir
                .join(format!("upload-{size_mib}m-{n_clients}c-{}", uuid::Uuid::now_v7().simple()));
            let (server, key) = start_server(&data_dir).await?;
            let client = reqwest::Client::builder().pool_max_idle_per_host(n_clients).build()?;
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let start = Instant::now();
            let workers = (0..n_clients).map(|_| {
                let client = client.clone();
                let next = next.clone();
                let url = format!("{}/v1/recordings", server.url);
                let key = key.clone();
                async move {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= files {
                            return Ok::<_, anyhow::Error>(());
                        }
                        let body = reqwest::Body::wrap_stream(wav_stream(size, i as u64 + 1));
                        let part = reqwest::multipart::Part::stream_with_length(body, size)
                            .file_name("bench.wav")
                            .mime_str("audio/wav")?;
                        let form = reqwest::multipart::Form::new().part("audio", part);
                        let resp =
                            client.post(&url).bearer_auth(&key).multipart(form).send().await?;
                        if resp.status() != reqwest::StatusCode::CREATED {
                            bail!(
                                "upload {i}: {} {}",
                                resp.status(),
                                resp.text().await.unwrap_or_default()
                            );
                        }
                    }
                }
            });
            for r in futures::future::join_all(workers).await {
                r?;
            }
            let secs = start.elapsed().as_secs_f64();
            let bytes = files as u64 * size;
            let peak = server.peak_rss_kib();
            drop(server);
            let dd = dd_rate(&data_dir, size, files)?;
            let rate = bytes as f64 / secs / 1e6;
            println!(
                "{:>6}MiB {:>7} {:>6} {:>10.1} {:>10.1} {:>7.2} {:>9} KiB",
                size_mib,
                n_clients,
                files,
                rate,
                dd,
                rate / dd,
                peak.map_or("?".into(), |p| p.to_string())
            );
            let _ = std::fs::remove_dir_all(&data_dir);
        }
    }
    Ok(())
}

/// MB/s of `dd conv=fsync` writing `files` files of `size` bytes, one after
/// another, into `dir`: the same bytes on the same disk, with the same
/// per-file durability.
fn dd_rate(dir: &Path, size: u64, files: usize) -> anyhow::Result<f64> {
    let mib = (size / (1024 * 1024)).max(1);
    let start = Instant::now();
    for i in 0..files {
        let out = dir.join(format!("dd-{i}.bin"));
        let status = std::process::Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", out.display()))
            .arg("bs=1M")
            .arg(format!("count={mib}"))
            .arg("conv=fsync")
            .stderr(Stdio::null())
            .status()
            .context("cannot run dd")?;
        if !status.success() {
            bail!("dd failed");
        }
        let _ = std::fs::remove_file(&out);
    }
    // Zeros: /dev/urandom is CPU-bound (about 300 MB/s here), which would
    // measure the random generator rather than the disk.
    Ok((files as u64 * mib * 1024 * 1024) as f64 / start.elapsed().as_secs_f64() / 1e6)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn search(config: &Config, conversations: u64, queries: usize) -> anyhow::Result<()> {
    let url = config.catalog_url();
    let catalog: Arc<dyn Catalog> = open_catalog(&url, 8).await?;
    println!("search benchmark on {} ({conversations} conversations)", catalog.backend());
    let tenant = match catalog.tenant_by_name("bench-search").await? {
        Some(t) => t,
        None => catalog.create_tenant("bench-search", "bench").await?,
    };
    let have = catalog
        .search_conversations(tenant.id, &ConversationQuery { limit: 1, ..Default::default() })
        .await?
        .items
        .len();
    if have == 0 {
        let start = Instant::now();
        catalog.bench_seed(tenant.id, conversations, 42).await?;
        println!("seeded {conversations} conversations in {:.1} s", start.elapsed().as_secs_f64());
    }
    // As the server does at start-up and every hour.
    let start = Instant::now();
    catalog.maintain().await?;
    println!("planner statistics refreshed in {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
    // Sample real values to search for.
    let sample = catalog
        .search_conversations(tenant.id, &ConversationQuery { limit: 500, ..Default::default() })
        .await?;
    if sample.items.is_empty() {
        bail!("the bench tenant has no conversations");
    }
    let pick = |i: usize| &sample.items[(i * 7919) % sample.items.len()].conversation;
    type MakeQuery<'a> = Box<dyn Fn(usize) -> ConversationQuery + 'a>;
    let kinds: Vec<(&str, MakeQuery)> = vec![
        ("newest page", Box::new(|_| ConversationQuery { limit: 50, ..Default::default() })),
        (
            "by number",
            Box::new(|i| ConversationQuery {
                number: pick(i).external_number.clone(),
                limit: 50,
                ..Default::default()
            }),
        ),
        (
            "by participant",
            Box::new(|i| ConversationQuery {
                participant: pick(i).company_number.clone(),
                limit: 50,
                ..Default::default()
            }),
        ),
        (
            "by external id",
            Box::new(|i| ConversationQuery {
                external_id: pick(i).external_ids.first().map(|e| (None, e.value.clone())),
                limit: 50,
                ..Default::default()
            }),
        ),
        (
            "time range",
            Box::new(|i| {
                let t = pick(i).started_at;
                ConversationQuery {
                    from: Some(t - chrono::Duration::hours(12)),
                    to: Some(t + chrono::Duration::hours(12)),
                    has_recording: Some(true),
                    limit: 50,
                    ..Default::default()
                }
            }),
        ),
        (
            "next page",
            Box::new(|i| {
                let c = pick(i);
                ConversationQuery {
                    after: Some(callvault_store::Cursor { started_at: c.started_at, id: c.id }),
                    limit: 50,
                    ..Default::default()
                }
            }),
        ),
    ];
    println!("{:<16} {:>9} {:>9} {:>9}", "query", "p50 ms", "p95 ms", "max ms");
    let mut all = Vec::new();
    for (name, make) in &kinds {
        let mut times = Vec::with_capacity(queries);
        for i in 0..queries {
            let q = make(i);
            let start = Instant::now();
            let page = catalog.search_conversations(tenant.id, &q).await?;
            times.push(start.elapsed());
            std::hint::black_box(page);
        }
        times.sort();
        println!(
            "{:<16} {:>9.2} {:>9.2} {:>9.2}",
            name,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "{:<16} {:>9.2} {:>9.2} {:>9.2}",
        "all",
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.95).as_secs_f64() * 1e3,
        all.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
    Ok(())
}

/// Writes a capture of `calls` concurrent answered G.711 calls talking for
/// `secs` seconds (INVITE/200/ACK, RTP both ways every 20 ms, BYE).
pub fn write_call_capture(path: &Path, calls: u64, secs: u64) -> anyhow::Result<u64> {
    use callvault_capture::synth::{self, Encap};
    use callvault_capture::{LinkType, PcapWriter, Precision, Timestamp};
    use std::io::Write;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    let mut w = PcapWriter::new(
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?),
        LinkType::ETHERNET,
        Precision::Micro,
    )?;
    let base_ns = 1_764_000_000u64 * 1_000_000_000;
    let mut packets = 0u64;
    let mut write =
        |w: &mut PcapWriter<_>, ns: u64, src: SocketAddr, dst: SocketAddr, payload: &[u8]| {
            let (_, frame) = synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, payload));
            packets += 1;
            w.write_frame(Timestamp::from_nanos(base_ns + ns), &frame)
        };
    // Call c: external 203.0.x.y (its own address) to the PBX 10.0.0.1,
    // media port per call on the PBX side.
    let ext = |c: u64| IpAddr::V4(Ipv4Addr::from(0xCB00_0000 | (c as u32 + 1)));
    let pbx = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let sip = |c: u64, first: &str, cseq: &str, to_tag: bool, sdp: Option<SocketAddr>| {
        let body = sdp.map_or(String::new(), |m| {
            format!(
                "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
                ip = m.ip(),
                port = m.port()
            )
        });
        let mut m = format!(
            "{first}\r\nVia: SIP/2.0/UDP {e}:5060;branch=z9hG4bK{c}{cs}\r\nFrom: <sip:1555{c:07}@{e}>;tag=f{c}\r\nTo: <sip:100@{pbx}>{tt}\r\nCall-ID: bench-{c}\r\nCSeq: {cseq}\r\nContact: <sip:1555{c:07}@{e}:5060>\r\n",
            e = ext(c),
            cs = cseq.replace(' ', ""),
            tt = if to_tag { format!(";tag=t{c}") } else { String::new() },
        );
        if !body.is_empty() {
            m.push_str("Content-Type: application/sdp\r\n");
        }
        m.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        m
    };
    let ext_sip = |c: u64| SocketAddr::new(ext(c), 5060);
    let pbx_sip = SocketAddr::new(pbx, 5060);
    let ext_media = |c: u64| SocketAddr::new(ext(c), 20_000);
    let pbx_media = |c: u64| SocketAddr::new(pbx, 10_000 + (c as u16) * 2);
    let spread = |c: u64| c * 20_000_000 / calls.max(1);
    for c in 0..calls {
        let t = spread(c);
        let inv =
            sip(c, &format!("INVITE sip:100@{pbx} SIP/2.0"), "1 INVITE", false, Some(ext_media(c)));
        write(&mut w, t, ext_sip(c), pbx_sip, inv.as_bytes())?;
        let ok = sip(c, "SIP/2.0 200 OK", "1 INVITE", true, Some(pbx_media(c)));
        write(&mut w, t + 1000, pbx_sip, ext_sip(c), ok.as_bytes())?;
        let ack = sip(c, &format!("ACK sip:100@{pbx} SIP/2.0"), "1 ACK", true, None);
        write(&mut w, t + 2000, ext_sip(c), pbx_sip, ack.as_bytes())?;
    }
    let start = 20_000_000;
    let payload = [0xd5u8; 160];
    for tick in 0..secs * 50 {
        for c in 0..calls {
            let t = start + tick * 20_000_000 + spread(c);
            let rtp = synth::rtp(8, tick as u16, (tick * 160) as u32, c as u32, &payload);
            write(&mut w, t, ext_media(c), pbx_media(c), &rtp)?;
            let rtp = synth::rtp(8, tick as u16, (tick * 160) as u32, c as u32 | 1 << 31, &payload);
            write(&mut w, t + 500_000, pbx_media(c), ext_media(c), &rtp)?;
        }
    }
    let end = start + secs * 1_000_000_000;
    for c in 0..calls {
        let bye = sip(c, &format!("BYE sip:100@{pbx} SIP/2.0"), "2 BYE", true, None);
        write(&mut w, end + spread(c), ext_sip(c), pbx_sip, bye.as_bytes())?;
    }
    w.into_inner()?.flush()?;
    Ok(packets)
}

/// CPU time this thread has run (Linux `/proc/thread-self/schedstat`), to
/// tell work from waiting on a busy machine.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

/// Highest resident memory (`VmHWM`) of the process at `proc_dir`
/// (`/proc/<pid>` or `/proc/self`), in KiB.
fn peak_rss_kib(proc_dir: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("{proc_dir}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User and system CPU time from a `stat` file (`/proc/self/stat` for the
/// process, `/proc/thread-self/stat` for the calling thread; clock ticks
/// of 10 ms).
fn cpu_user_sys(stat: &str) -> Option<(Duration, Duration)> {
    let s = std::fs::read_to_string(stat).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th of the line.
    let rest = s.get(s.rfind(')')? + 2..)?;
    let mut f = rest.split_whitespace().skip(11);
    let tick = |v: &str| v.parse::<u64>().ok().map(|t| Duration::from_millis(t * 10));
    Some((tick(f.next()?)?, tick(f.next()?)?))
}

fn capture_bench(calls: u64, secs: u64, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("capture-{calls}x{secs}s.pcap"));
    let t = Instant::now();
    let packets = write_call_capture(&path, calls, secs)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "capture: {calls} concurrent G.711 calls x {secs} s, {packets} packets, {:.0} MiB, written in {:.1} s",
        size as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    // Warm the page cache for both readers alike.
    let _ = std::fs::read(&path).map(|b| std::hint::black_box(b.len()));

    let tcpdump = |path: &Path, out: &Path| -> Option<f64> {
        let t = Instant::now();
        let status = std::process::Command::new("tcpdump")
            .args(["-q", "-r"])
            .arg(path)
            .arg("-w")
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| t.elapsed().as_secs_f64())
    };
    let spool = dir.join("capture-spool");
    let mut best_cv = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut user_sys = None;
    let mut best_td: Option<f64> = None;
    let mut stats = None;
    let base_rss = callvault_capture_driver::rss_bytes();
    // For context: tcpdump copying the file to a file on the same disk
    // (bytes written, as a spool is), next to the target's /dev/null.
    let copy = dir.join("tcpdump-copy.pcap");
    let mut best_td_file: Option<f64> = None;
    for _ in 0..2 {
        if let Some(td) = tcpdump(&path, Path::new("/dev/null")) {
            best_td = Some(best_td.map_or(td, |b: f64| b.min(td)));
        }
        if let Some(td) = tcpdump(&path, &copy) {
            best_td_file = Some(best_td_file.map_or(td, |b: f64| b.min(td)));
        }
        let _ = std::fs::remove_file(&copy);
        let t = Instant::now();
        let cpu0 = thread_cpu();
        let us0 = cpu_user_sys("/proc/thread-self/stat");
        let s = callvault_capture_driver::replay_to_spool(
            std::slice::from_ref(&path),
            &spool,
            callvault_capture::TrackerConfig {
                company_networks: vec![
                    callvault_capture::tracker::IpNet::parse("10.0.0.0/8").context("network")?,
                ],
                ..Default::default()
            },
        )?;
        best_cv = best_cv.min(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu0, thread_cpu()) {
            let cpu = b.saturating_sub(a).as_secs_f64();
            if cpu < best_cpu {
                best_cpu = cpu;
                if let (Some((u0, s0)), Some((u1, s1))) =
                    (us0, cpu_user_sys("/proc/thread-self/stat"))
                {
                    user_sys = Some((u1.saturating_sub(u0), s1.saturating_sub(s0)));
                }
            }
        }
        anyhow::ensure!(
            s.conversations == calls,
            "{} conversations, expected {calls}",
            s.conversations
        );
        stats = Some(s);
    }
    let _ = std::fs::remove_dir_all(&spool);
    let s = stats.context("no run")?;
    let pps = s.frames as f64 / best_cv;
    println!(
        "callvault capture --read to spool: {:.2} s, {:.0} packets/s on one core ({:.1}x real time), {} conversations",
        best_cv,
        pps,
        secs as f64 / best_cv,
        s.conversations
    );
    if best_cpu < f64::MAX {
        let (u, k) = user_sys.unwrap_or_default();
        println!(
            "  CPU time of the replay thread: {best_cpu:.2} s ({:.2} user, {:.2} kernel), {:.0} ns per packet",
            u.as_secs_f64(),
            k.as_secs_f64(),
            best_cpu * 1e9 / s.frames.max(1) as f64
        );
    }
    println!(
        "memory: peak RSS {:.0} MiB, {:.0} KiB per tracked call (RSS growth / calls)",
        s.peak_rss_bytes as f64 / 1048576.0,
        s.peak_rss_bytes.saturating_sub(base_rss) as f64 / 1024.0 / calls.max(1) as f64
    );
    match best_td {
        Some(td) => println!(
            "tcpdump -r FILE -w /dev/null: {:.2} s, {:.0} packets/s; callvault speed / tcpdump speed = {:.2} (target >= 0.8)",
            td,
            s.frames as f64 / td,
            td / best_cv
        ),
        None => println!("tcpdump not available: no comparison"),
    }
    if let Some(td) = best_td_file {
        println!(
            "  for context, tcpdump -r FILE -w FILE2 (a copy on the same disk): {:.2} s, {:.0} packets/s; ratio {:.2}",
            td,
            s.frames as f64 / td,
            td / best_cv
        );
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}
