//! `callvault capture --read FILE|DIR…` and `--interface IF`: record the
//! calls in capture files or on live interfaces (also run inside `serve`
//! from the `[capture]` section).
//!
//! The sans-IO pieces are wired here: `capture::CaptureReader` (or live
//! `AF_PACKET` sockets, [`callvault_afpacket`]) → [`CaptureFilter`] →
//! `CaptureDemux` → `CallTracker`, whose outputs drive one
//! `media::Recorder` per conversation (spooled under `data_dir/spool`).
//! When a conversation ends it is rendered (stereo Ogg/Opus: external party
//! left, company right) and stored through the same [`Ingestor`] as an
//! upload, with its participants and Call-IDs; then its spool is removed.
//! Replay is as fast as the machine allows: time is packet time. Live
//! capture stamps each packet with the wall clock when it is received (the
//! only clock read here); the core below stays sans-IO. A live capture runs
//! until its stop flag is raised (SIGINT/SIGTERM), then ends every open
//! call and stores it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use callvault_capture::tracker::{IpNet, ParticipantKey};
use callvault_capture::{
    CallTracker, CaptureDemux, CaptureFilter, CaptureReader, DemuxConfig, Event, LinkType,
    Timestamp, TrackerConfig, TrackerOutput,
};
use callvault_media::spool::SpoolConfig;
use callvault_media::{Codec, FlowKey, PayloadMap, Recorder, RecorderConfig, RenderOptions};
use callvault_model::{ConversationId, ExternalId, ParticipantId, Side, TenantId};
use chrono::{DateTime, Utc};

use callvault_vault::clock::wall_now;
use callvault_vault::ingest::{EventFacts, Ingestor, ParticipantFacts, Received, RecordingFacts};
use callvault_vault::instance::Instance;
use callvault_vault::metrics::Metrics;

pub mod config;
mod deliver;
mod spool_sync;
use crate::spool_sync::GroupSync;
use deliver::{Closed, Deliveries};

/// Capture could not go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    File { path: PathBuf, source: callvault_capture::CaptureError },
    #[error("{}: no capture files (.pcap, .pcapng, .cap, .gz) in it", path.display())]
    NoCaptureFiles { path: PathBuf },
    #[error("cannot capture on interface {name:?}: {source}")]
    Interface { name: String, source: std::io::Error },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("render: {0}")]
    Render(#[from] callvault_media::RenderError),
    #[error(transparent)]
    Ingest(#[from] callvault_vault::ingest::IngestError),
    #[error("spool: {0}")]
    Spool(#[from] callvault_media::timeline::TimelineError),
    #[error("catalog: {0}")]
    Catalog(#[from] callvault_store::CatalogError),
    #[error("capture.{key}: {message}")]
    Config { key: &'static str, message: String },
    #[error("the capture receiver panicked")]
    ReceiverPanicked,
    #[error("the capture worker failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
    #[error("the vault side stopped")]
    VaultGone,
}

/// The capture driver's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn open(path: &Path, source: std::io::Error) -> Self {
        Self::Open { path: path.to_owned(), source }
    }
    fn file(path: &Path, source: callvault_capture::CaptureError) -> Self {
        Self::File { path: path.to_owned(), source }
    }
    fn interface(name: &str, source: std::io::Error) -> Self {
        Self::Interface { name: name.to_owned(), source }
    }
}

/// Where packets come from.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// Capture files (pcap, pcapng, gzipped too) in order; a directory
    /// stands for the capture files in it, by name.
    Files(Vec<PathBuf>),
    /// Live interfaces (`any` for all of them), read until `stop` is raised.
    Live { interfaces: Vec<String> },
}

pub struct CaptureOptions {
    pub source: CaptureSource,
    /// Packets that do not pass are skipped before decoding.
    pub filter: CaptureFilter,
    pub tenant: TenantId,
    /// Networks of the company side (PBX, phones); everyone else is external.
    pub company_networks: Vec<IpNet>,
    /// Timeouts, correlation headers; `company_networks` above wins.
    pub tracker: TrackerConfig,
    /// Raised to end a live capture (files: stop reading early); open
    /// calls are then ended and stored.
    pub stop: Arc<AtomicBool>,
    /// Called once packets are being read (live: the sockets are open).
    pub on_ready: Option<Box<dyn FnOnce() + Send>>,
    /// `data_dir/spool`: each process spools in a directory named after its
    /// instance, and recovers the directories of dead instances.
    pub spool_root: PathBuf,
    /// Where `serve` exports the capture's counters; `None` for the CLI.
    pub metrics: Option<Arc<Metrics>>,
    /// Who stores the recordings, for the audit log (`cli:capture`,
    /// `capture` inside `serve`).
    pub actor: String,
    /// Live capture in `serve`: the data_dir's free-space verdict. Under
    /// its critical watermark no new call is opened (counted in
    /// `callvault_capture_calls_refused_total{reason="disk"}`); calls
    /// being recorded go on. `None`: every call is opened (file import).
    pub admission: Option<Arc<callvault_vault::disk::DiskGuard>>,
}

#[derive(Debug, Default)]
pub struct CaptureSummary {
    pub frames: u64,
    /// Frames the filter skipped.
    pub filtered: u64,
    /// Packets the kernel dropped (live: receive buffer full).
    pub kernel_drops: u64,
    pub conversations: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// Conversations recovered from the spools of a run that died.
    pub recovered: u64,
    pub refused: Vec<String>,
    /// Conversations left in their spools because the vault was
    /// unavailable when the capture was stopped (stored by the next start).
    pub kept: u64,
    /// Capture files not read to their end (`FILE: why`); every complete
    /// frame before the fault was used.
    pub damaged_files: Vec<String>,
}

/// One conversation rendered from its spool into the vault's staging,
/// ready to be committed.
struct Finished {
    received: Received,
    facts: RecordingFacts,
    /// The recorder's conversation id: the idempotency key, so that a
    /// spool stored just before a crash is not stored twice by recovery.
    conversation: ConversationId,
}

/// The recording of a closed timeline, with what the spool itself knows of
/// the participants (recovered spools have nothing else).
/// Blocking: run it on a blocking thread.
fn finish_timeline(
    timeline: &callvault_media::ClosedTimeline,
    ingestor: &Ingestor,
) -> Result<Option<Finished>> {
    if timeline.len_samples() == 0 {
        let _ = callvault_media::spool::remove_spool(&timeline.spool_path);
        return Ok(None);
    }
    // Rendered straight into the staging file: the audio is never held
    // whole in memory, nor written twice.
    let mut staging = ingestor.staging_writer()?;
    let rendered = callvault_media::render_to(timeline, &RenderOptions::default(), &mut staging)
        .map_err(|e| match staging.failure() {
            Some(ingest) => Error::Ingest(ingest),
            None => Error::Render(e),
        })?;
    let received = staging.finish()?;
    let rate = u64::from(timeline.sample_rate.max(1));
    let start =
        timeline.origin + Duration::from_nanos(timeline.start_sample * 1_000_000_000 / rate);
    let started_at = start.to_utc();
    let at = |ms: Option<i64>| ms.map(|ms| started_at + chrono::Duration::milliseconds(ms));
    let mut facts = RecordingFacts {
        started_at: Some(started_at),
        ended_at: Some(started_at + chrono::Duration::milliseconds(rendered.duration_ms as i64)),
        ..Default::default()
    };
    let mut index: HashMap<ParticipantId, usize> = HashMap::new();
    for p in &timeline.participants {
        if p.label.is_empty() {
            continue;
        }
        index.insert(p.participant, facts.participants.len());
        if p.side == Side::External && facts.external_number.is_none() {
            facts.external_number = Some(p.label.clone());
        }
        if p.side == Side::Company && facts.company_number.is_none() {
            facts.company_number = Some(p.label.clone());
        }
        facts.participants.push(ParticipantFacts {
            side: p.side.external_or_company(),
            address: Some(p.label.clone()),
            name: None,
            joined_at: at(p.joined_ms),
            left_at: at(p.left_ms),
        });
    }
    facts.participants.truncate(callvault_vault::ingest::MAX_PARTICIPANTS);
    // DTMF the recorder decoded, attributed to its sender.
    facts.events = timeline
        .catalog_events()
        .into_iter()
        .map(|e| EventFacts {
            at: e.at.to_utc(),
            kind: e.kind.into(),
            participant: e
                .participant
                .and_then(|p| index.get(&p).copied())
                .filter(|&i| i < facts.participants.len()),
            detail: e.detail,
        })
        .collect();
    Ok(Some(Finished { received, facts, conversation: timeline.conversation }))
}

/// What the call tracker knew of a conversation beyond its spool.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrackerFacts {
    /// A capture file ended (truncated, damaged) while the call was open.
    pub capture_gap: bool,
    /// Every leg's Call-ID, the first leg's first.
    pub call_ids: Vec<String>,
    /// The correlation header's value that tied the legs, if one did.
    pub correlation: Option<String>,
    /// Participants with names and join and leave times.
    pub participants: Vec<ParticipantFacts>,
    /// What signalling showed: transfers and holds, their participants
    /// indexes into `participants`.
    pub events: Vec<EventFacts>,
}

impl TrackerFacts {
    /// The call's span as signalling saw it: first join to last leave.
    fn span(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let start = self.participants.iter().filter_map(|p| p.joined_at).min();
        let end = self.participants.iter().filter_map(|p| p.left_at).max();
        (start, end)
    }

    /// Fill in what the tracker knows: its ids, and its participants in
    /// place of the spool's.
    fn apply(&self, facts: &mut RecordingFacts) {
        let mut ids = self.call_ids.iter();
        if let Some(first) = ids.next() {
            facts.external_ids.push(ExternalId::new("sip_call_id", first.clone()));
        }
        for (i, id) in ids.enumerate().take(16) {
            facts.external_ids.push(ExternalId::new(format!("sip_call_id_{}", i + 1), id.clone()));
        }
        if let Some(c) = &self.correlation {
            facts.external_ids.push(ExternalId::new("conversation_key", c.clone()));
        }
        // The recorder's events name the spool's participants: find each
        // among the tracker's by its address.
        for e in &mut facts.events {
            let address = e.participant.and_then(|i| facts.participants.get(i)?.address.clone());
            e.participant = address.and_then(|a| {
                self.participants.iter().position(|p| p.address.as_deref() == Some(a.as_str()))
            });
        }
        facts.participants.clone_from(&self.participants);
        facts.events.extend(self.events.iter().cloned());
        facts.events.sort_by_key(|e| e.at);
    }
}

struct Live {
    /// A capture file ended in the middle of this call (truncated or
    /// damaged): what followed the fault in that file is missing.
    gap: bool,
    recorder: Recorder,
    ids: HashMap<ParticipantKey, ParticipantId>,
    joined: HashMap<ParticipantKey, DateTime<Utc>>,
    left: HashMap<ParticipantKey, DateTime<Utc>>,
    /// Transfers and holds as they happened: (time, kind, who, detail).
    events: Vec<(DateTime<Utc>, &'static str, Option<ParticipantKey>, serde_json::Value)>,
}

pub async fn run(
    ingestor: &Ingestor,
    instance: &Instance,
    grace: Duration,
    opts: CaptureOptions,
) -> Result<CaptureSummary> {
    let mut summary = CaptureSummary::default();
    let mut deliveries =
        Deliveries::new(ingestor.clone(), opts.tenant, opts.actor.clone(), opts.metrics.clone());
    // First what a capture that died left: its spools hold every conversation
    // it had not stored, audio up to the last sync.
    let mut abandoned = Vec::new();
    for entry in std::fs::read_dir(&opts.spool_root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let modified =
            entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::SystemTime::now());
        if !entry.path().is_dir() || !instance.is_abandoned(&name, modified, grace) {
            continue;
        }
        for spool in callvault_media::spool_paths(&entry.path())? {
            deliveries.submit(Closed { spool, tracker: None });
        }
        abandoned.push(entry.path());
    }

    let spool_dir = opts.spool_root.join(instance.id());
    std::fs::create_dir_all(&spool_dir)?;
    // Unbounded, and never waited on by the capture thread: an item is a
    // spool path and the tracker's metadata, and the vault being slow or
    // down must not stall the packet path.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Closed>();
    let mut tracker_config = opts.tracker.clone();
    tracker_config.company_networks = opts.company_networks.clone();
    let mut worker = Worker::new(tracker_config, &spool_dir, Some(tx), opts.filter.clone());
    worker.metrics = opts.metrics.clone();
    worker.admission = opts.admission.clone();
    let source = match &opts.source {
        CaptureSource::Files(paths) => CaptureSource::Files(expand_capture_paths(paths)?),
        live => live.clone(),
    };
    // Sockets are opened here so that a missing interface or permission is
    // reported at once, before anything runs.
    let sockets = match &source {
        CaptureSource::Live { interfaces } => {
            let mut sockets = Vec::new();
            for name in interfaces {
                sockets.push(open_live(name, LIVE_RCVBUF, &opts.filter)?);
            }
            sockets
        }
        CaptureSource::Files(_) => Vec::new(),
    };
    let stop = opts.stop.clone();
    let mut opts = opts;
    if let Some(ready) = opts.on_ready.take() {
        ready();
    }
    // Reading, tracking and spooling are CPU and file work: a blocking
    // thread, handing closed conversations to the deliveries here.
    let worker_stop = stop.clone();
    let worker = tokio::task::spawn_blocking(move || -> Result<(Counts, Vec<String>)> {
        match source {
            CaptureSource::Files(files) => worker.read_files(&files, &worker_stop)?,
            CaptureSource::Live { .. } => worker.read_live(sockets, worker_stop)?,
        }
        worker.publish();
        Ok((worker.counts, worker.damaged))
    });

    let mut reading = true;
    loop {
        // Done when the capture has ended and every conversation is in the
        // vault, or, with the vault down, when asked to stop (the spools
        // stay for the next start).
        if !reading
            && deliveries.idle()
            && (deliveries.waiting() == 0 || stop.load(Ordering::Relaxed))
        {
            break;
        }
        let probe_at = deliveries.probe_at();
        tokio::select! {
            closed = rx.recv(), if reading => match closed {
                Some(c) => deliveries.submit(c),
                None => reading = false,
            },
            _ = deliveries.settle_next(&mut summary), if !deliveries.idle() => {}
            _ = tokio::time::sleep_until(probe_at.unwrap_or_else(tokio::time::Instant::now)),
                if probe_at.is_some() && deliveries.idle() => deliveries.probe(),
            // Look at the stop flag again now and then.
            _ = tokio::time::sleep(Duration::from_millis(500)), if !reading => {}
        }
    }
    summary.kept = deliveries.waiting() as u64;
    if summary.kept > 0 {
        tracing::error!(kept = summary.kept, spool = %spool_dir.display(), "stopped with the vault unavailable: conversations kept in their spools; the next start stores them");
    }
    let (counts, damaged) = worker.await??;
    summary.damaged_files = damaged;
    summary.frames = counts.frames;
    summary.filtered = counts.filtered;
    summary.kernel_drops = counts.kernel_drops;
    summary.conversations = counts.conversations;
    for dir in abandoned.iter().chain([&spool_dir]) {
        // Only once empty: a spool still there is recovered next time.
        let _ = std::fs::remove_dir(dir);
    }
    Ok(summary)
}

/// What [`replay_to_spool`] measured.
#[derive(Debug, Clone, Copy)]
pub struct ReplayStats {
    pub frames: u64,
    pub conversations: u64,
    /// Highest resident memory of the process seen during the replay.
    pub peak_rss_bytes: u64,
}

/// The capture pipeline from files to spool, without rendering or storing
/// (for the benchmark): reader → demux → tracker → recorders, each
/// conversation's spool removed once closed.
pub fn replay_to_spool(
    files: &[PathBuf],
    spool_dir: &Path,
    tracker: TrackerConfig,
) -> Result<ReplayStats> {
    std::fs::create_dir_all(spool_dir)?;
    let mut worker = Worker::new(tracker, spool_dir, None, CaptureFilter::default());
    let mut peak_rss_bytes = rss_bytes();
    let mut last = Timestamp::from_nanos(0);
    for path in files {
        let file = std::fs::File::open(path).map_err(|e| Error::open(path, e))?;
        let mut reader = CaptureReader::new(std::io::BufReader::with_capacity(1 << 20, file))
            .map_err(|e| Error::file(path, e))?;
        while let Some(frame) = reader.next_frame().map_err(|e| Error::file(path, e))? {
            last = last.max(frame.ts);
            worker.frame(frame.ts, frame.link_type, frame.data)?;
            if worker.counts.frames.is_multiple_of(1 << 18) {
                peak_rss_bytes = peak_rss_bytes.max(rss_bytes());
            }
        }
    }
    worker.tracker.finish(last);
    worker.drain()?;
    Ok(ReplayStats {
        frames: worker.counts.frames,
        conversations: worker.counts.conversations,
        peak_rss_bytes,
    })
}

/// What [`live_to_spool`] measured.
#[derive(Debug, Clone, Copy)]
pub struct LiveStats {
    pub frames: u64,
    pub conversations: u64,
    /// Audio packets the recorders took.
    pub media_packets: u64,
    pub kernel_drops: u64,
}

/// The live pipeline from interfaces to spool, without rendering or storing
/// (for the benchmark): runs until `stop` is raised, then ends the open
/// calls; each conversation's spool is removed once closed.
/// `kernel_filter: false` leaves the filter to user space alone (to
/// measure what the kernel program saves).
pub fn live_to_spool(
    interfaces: &[String],
    filter: CaptureFilter,
    kernel_filter: bool,
    spool_dir: &Path,
    tracker: TrackerConfig,
    stop: Arc<AtomicBool>,
) -> Result<LiveStats> {
    std::fs::create_dir_all(spool_dir)?;
    let mut sockets = Vec::new();
    for name in interfaces {
        sockets.push(if kernel_filter {
            open_live(name, LIVE_RCVBUF, &filter)?
        } else {
            callvault_afpacket::PacketSocket::open(name, LIVE_RCVBUF)
                .map_err(|e| Error::interface(name, e))?
        });
    }
    let mut worker = Worker::new(tracker, spool_dir, None, filter);
    worker.read_live(sockets, stop)?;
    Ok(LiveStats {
        frames: worker.counts.frames,
        conversations: worker.counts.conversations,
        media_packets: worker.counts.media_packets,
        kernel_drops: worker.counts.kernel_drops,
    })
}

/// A live packet socket on `name` with `filter` compiled to classic BPF,
/// so that the kernel copies only what the capture can use (UDP and TCP
/// the filter may keep) instead of every frame on a busy mirror port.
/// User space still applies the exact filter. A kernel that refuses the
/// program (an older checker) costs only the saving: the socket is opened
/// without it, with a warning.
fn open_live(
    name: &str,
    rcvbuf: usize,
    filter: &CaptureFilter,
) -> Result<callvault_afpacket::PacketSocket> {
    let program: Vec<(u16, u8, u8, u32)> =
        filter.kernel_program().iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect();
    let cannot = |e: std::io::Error| Error::interface(name, e);
    match callvault_afpacket::PacketSocket::open_filtered(name, rcvbuf, &program) {
        Ok(socket) => Ok(socket),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            let socket = callvault_afpacket::PacketSocket::open(name, rcvbuf).map_err(cannot)?;
            tracing::warn!(interface = name, error = %e, instructions = program.len(), "the kernel refused the compiled capture filter; filtering in user space only");
            Ok(socket)
        }
        Err(e) => Err(cannot(e)),
    }
}

/// Resident memory of this process (Linux `/proc/self/statm`), 0 elsewhere.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

/// Receive buffer of a live socket: ~1 s of 1,000 G.711 calls.
const LIVE_RCVBUF: usize = 64 << 20;

/// The files a `--read` list stands for: files as given, directories
/// replaced by their capture files (`.pcap`, `.pcapng`, `.cap`, plain or
/// `.gz`), sorted by name.
pub fn expand_capture_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::open(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_capture_file(p))
            .collect();
        found.sort();
        if found.is_empty() {
            return Err(Error::NoCaptureFiles { path: path.clone() });
        }
        out.extend(found);
    }
    Ok(out)
}

fn is_capture_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".pcap", ".pcapng", ".cap"].iter().any(|ext| name.ends_with(ext))
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    frames: u64,
    filtered: u64,
    kernel_drops: u64,
    conversations: u64,
    /// Audio packets the recorders took (closed conversations).
    media_packets: u64,
}

/// Demux, tracker and recorders of one capture run (on its blocking thread).
struct Worker {
    demux: CaptureDemux,
    tracker: CallTracker,
    live: HashMap<u64, Live>,
    spool_dir: PathBuf,
    /// Where closed conversations go; `None`: spool only, nothing rendered.
    tx: Option<tokio::sync::mpsc::UnboundedSender<Closed>>,
    /// Counters for `/metrics` (`serve`); `published` is what they hold.
    metrics: Option<Arc<Metrics>>,
    published: Counts,
    filter: CaptureFilter,
    counts: Counts,
    /// Capture files that could not be read to their end: `FILE: why`.
    damaged: Vec<String>,
    /// Whether new calls may be opened (see [`CaptureOptions::admission`]).
    admission: Option<Arc<callvault_vault::disk::DiskGuard>>,
}

impl Worker {
    fn new(
        tracker: TrackerConfig,
        spool_dir: &Path,
        tx: Option<tokio::sync::mpsc::UnboundedSender<Closed>>,
        filter: CaptureFilter,
    ) -> Self {
        Worker {
            demux: CaptureDemux::new(DemuxConfig::default()),
            tracker: CallTracker::new(tracker),
            live: HashMap::new(),
            spool_dir: spool_dir.to_owned(),
            tx,
            metrics: None,
            published: Counts::default(),
            filter,
            counts: Counts::default(),
            damaged: Vec::new(),
            admission: None,
        }
    }

    /// Brings the `/metrics` counters up to date (once a second live, at
    /// the end of a file).
    fn publish(&mut self) {
        let Some(m) = &self.metrics else { return };
        let (now, was) = (self.counts, self.published);
        m.capture_frames.inc_by(now.frames.saturating_sub(was.frames));
        m.capture_filtered.inc_by(now.filtered.saturating_sub(was.filtered));
        m.capture_kernel_drops.inc_by(now.kernel_drops.saturating_sub(was.kernel_drops));
        m.capture_calls_open.set(i64::try_from(self.live.len()).unwrap_or(i64::MAX));
        self.published = now;
    }

    fn frame(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) -> Result<()> {
        self.counts.frames += 1;
        if !self.filter.is_empty() && !self.filter.matches(link, data) {
            self.counts.filtered += 1;
            return Ok(());
        }
        // The hot path: RTP borrowed from the frame, routed by the tracker
        // and spooled by its recorder, with no copy on the way.
        if let Some(d) = self.demux.push_frame(ts, link, data) {
            return self.datagram(d.ts, d.src, d.dst, d.payload);
        }
        while let Some(event) = self.demux.poll_event() {
            match event {
                Event::Udp { ts, src, dst, payload, .. } => {
                    self.datagram(ts, src, dst, &payload)?
                }
                sip => {
                    self.tracker.push(&sip);
                    self.drain()?;
                }
            }
        }
        Ok(())
    }

    fn datagram(
        &mut self,
        ts: Timestamp,
        src: std::net::SocketAddr,
        dst: std::net::SocketAddr,
        payload: &[u8],
    ) -> Result<()> {
        let route = self.tracker.route_udp(ts, src, dst);
        // Flows to attach, conversations the timeouts ended: before the packet.
        if self.tracker.has_output() {
            self.drain()?;
        }
        let Some(route) = route else { return Ok(()) };
        // A B2BUA's relayed copy of another leg would double voices.
        if route.relayed {
            return Ok(());
        }
        if let Some(l) = self.live.get_mut(&route.conversation.0) {
            let now = ts;
            l.recorder.on_rtp(now, FlowKey(route.flow.0), payload);
            // Only when a reorder timeout or a spool sync is due.
            if now >= l.recorder.next_deadline() {
                l.recorder.poll(now)?;
            }
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<()> {
        drain(
            &mut self.tracker,
            &mut self.live,
            &self.spool_dir,
            self.tx.as_ref(),
            &mut self.counts,
            Admission { guard: self.admission.as_deref(), metrics: self.metrics.as_deref() },
        )
    }

    /// Reads the files in order. A file that cannot be opened or read to
    /// its end (truncated, damaged) costs only what follows the fault: every
    /// complete frame before it is used, the calls open at that point are
    /// flagged `capture_gap`, the fault is reported, and the next file is
    /// read, as tcpdump does.
    fn read_files(&mut self, files: &[PathBuf], stop: &AtomicBool) -> Result<()> {
        let mut last = Timestamp::from_nanos(0);
        'files: for path in files {
            let reader = std::fs::File::open(path).map_err(|e| e.to_string()).and_then(|file| {
                CaptureReader::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())
            });
            let mut reader = match reader {
                Ok(r) => r,
                Err(e) => {
                    self.damaged(path, &e, false);
                    continue;
                }
            };
            loop {
                let frame = match reader.next_frame() {
                    Ok(Some(frame)) => frame,
                    Ok(None) => break,
                    Err(e) => {
                        self.damaged(path, &e.to_string(), true);
                        break;
                    }
                };
                last = last.max(frame.ts);
                self.frame(frame.ts, frame.link_type, frame.data)?;
                if stop.load(Ordering::Relaxed) {
                    break 'files;
                }
            }
        }
        self.tracker.finish(last);
        self.drain()
    }

    /// A capture file that could not be read (to its end).
    fn damaged(&mut self, path: &Path, error: &str, open_calls_cut: bool) {
        let cut = if open_calls_cut { self.live.len() } else { 0 };
        tracing::warn!(file = %path.display(), %error, open_calls = cut, "capture file not read to its end; going on with the next");
        if open_calls_cut {
            for l in self.live.values_mut() {
                l.gap = true;
            }
        }
        self.damaged.push(format!("{}: {error}", path.display()));
    }

    /// Live capture: a receiver thread drains the sockets into a bounded
    /// queue, stamping each packet with the wall clock, so that spool
    /// syncs and rendering on this thread do not leave the kernel's buffer
    /// unread; this thread tracks, records and renders.
    fn read_live(
        &mut self,
        sockets: Vec<callvault_afpacket::PacketSocket>,
        stop: Arc<AtomicBool>,
    ) -> Result<()> {
        let drops = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(LIVE_QUEUE_BATCHES);
        let rx_drops = drops.clone();
        let receiver = std::thread::Builder::new()
            .name("capture-rx".into())
            .spawn(move || receive(&sockets, &stop, &tx, &rx_drops))?;
        let mut next_tick = wall_now();
        let sync_outcomes =
            self.metrics.as_ref().map(|m| m.spool_syncs.clone()).unwrap_or_default();
        let group_sync = GroupSync::start(&self.spool_dir, sync_outcomes)?;
        let mut next_sync = wall_now();
        let result = (|| -> Result<()> {
            loop {
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(batch) => {
                        for &(ts, off, len) in &batch.packets {
                            let frame = batch.data.get(off..off + len).unwrap_or_default();
                            self.frame(ts, LinkType::LINUX_SLL, frame)?;
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
                }
                let now = wall_now();
                if now >= next_tick {
                    // Timeouts run on the wall clock when the wire is quiet.
                    next_tick = now.saturating_add(Duration::from_millis(500));
                    self.demux.expire(now);
                    self.tracker.poll(now);
                    self.drain()?;
                }
                if now >= next_sync {
                    next_sync = now.saturating_add(Duration::from_secs(1));
                    group_sync.request();
                    self.counts.kernel_drops = drops.load(Ordering::Relaxed);
                    self.publish();
                }
            }
        })();
        // On an error the queue is dropped and the receiver stops too.
        drop(rx);
        let received = receiver.join().map_err(|_| Error::ReceiverPanicked)?;
        result?;
        received?;
        self.counts.kernel_drops = drops.load(Ordering::Relaxed);
        self.tracker.finish(wall_now());
        let drained = self.drain();
        drop(group_sync);
        drained
    }
}

/// Packets received together: frames back to back in `data`, each with its
/// receive time, offset and length.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    packets: Vec<(Timestamp, usize, usize)>,
}

/// Batches queued between the receiver and the tracker; with
/// [`LIVE_BATCH_BYTES`] each, at most 64 MiB (seconds of 1,000 calls).
const LIVE_QUEUE_BATCHES: usize = 256;
/// A batch smaller than this makes the receiver pause for a millisecond.
const COALESCE_BELOW: usize = 32;
const LIVE_BATCH_BYTES: usize = 256 << 10;

/// The receiver thread: sockets → batches, until `stop` and the sockets are
/// empty, or the tracker side is gone. Kernel drops are added to `drops`.
fn receive(
    sockets: &[callvault_afpacket::PacketSocket],
    stop: &AtomicBool,
    tx: &std::sync::mpsc::SyncSender<Batch>,
    drops: &std::sync::atomic::AtomicU64,
) -> std::io::Result<()> {
    use callvault_afpacket::{MAX_BATCH, SLL_HEADER_LEN};
    // One slot per packet of a `recvmmsg` call, each room for the largest
    // datagram (loopback's MTU is 64 KiB).
    const SLOT: usize = SLL_HEADER_LEN + 65_536;
    let mut slots = vec![0u8; SLOT * MAX_BATCH];
    let mut kept = Vec::with_capacity(MAX_BATCH);
    let mut next_stats = wall_now();
    let count_drops = || {
        for socket in sockets {
            match socket.stats() {
                Ok(st) if st.drops > 0 => {
                    tracing::warn!(
                        interface = socket.interface(),
                        drops = st.drops,
                        "the kernel dropped captured packets"
                    );
                    drops.fetch_add(st.drops, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "packet socket statistics"),
            }
        }
    };
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let mut batch = Batch::default();
        for socket in sockets {
            // A bounded batch per socket keeps interfaces fair.
            for _ in 0..4 {
                kept.clear();
                let got = socket.recv_batch(&mut slots, SLOT, &mut kept)?;
                // Stamped when read: the packets of one call arrived within
                // the same fraction of a millisecond.
                let ts = wall_now();
                for &(slot, info) in &kept {
                    let at = slot * SLOT;
                    let len = SLL_HEADER_LEN + info.captured;
                    let off = batch.data.len();
                    batch.data.extend_from_slice(&slots[at..at + len]);
                    batch.packets.push((ts, off, len));
                }
                if got < MAX_BATCH || batch.data.len() >= LIVE_BATCH_BYTES {
                    break;
                }
            }
        }
        let now = wall_now();
        if now >= next_stats {
            next_stats = now.saturating_add(Duration::from_secs(1));
            count_drops();
        }
        if batch.packets.is_empty() {
            if stopping {
                break;
            }
            callvault_afpacket::wait_readable(sockets, Duration::from_millis(200))?;
            continue;
        }
        let small = batch.packets.len() < COALESCE_BELOW;
        if tx.send(batch).is_err() {
            break;
        }
        if small && !stopping {
            // Traffic spread thinly (the usual case: thousands of flows at
            // 50 packets a second) would wake both threads for every packet
            // or two; a millisecond's pause lets the socket gather a batch.
            // Recording does not care about a millisecond; the socket buffer
            // holds seconds.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    count_drops();
    Ok(())
}

/// Whether a new call may be opened, and where a refusal is counted.
#[derive(Clone, Copy, Default)]
struct Admission<'a> {
    guard: Option<&'a callvault_vault::disk::DiskGuard>,
    metrics: Option<&'a Metrics>,
}

impl Admission<'_> {
    /// False (and counted) when the data_dir is under its critical
    /// watermark: the call is not opened, so it writes nothing.
    fn admit(&self) -> bool {
        match self.guard {
            Some(g) if !g.accepting_new_calls() => {
                g.count_refused_call();
                if let Some(m) = self.metrics {
                    m.capacity.capture_refused("disk");
                }
                tracing::warn!("new captured call not recorded: data_dir nearly full");
                false
            }
            _ => true,
        }
    }
}

/// Applies what the tracker decided: recorders opened, participants and
/// flows attached, conversations closed and handed to the deliveries.
/// A call that [`Admission`] refuses gets no recorder: what the tracker
/// says of it later finds no live entry and is skipped.
fn drain(
    tracker: &mut CallTracker,
    live: &mut HashMap<u64, Live>,
    spool_dir: &std::path::Path,
    tx: Option<&tokio::sync::mpsc::UnboundedSender<Closed>>,
    counts: &mut Counts,
    admission: Admission<'_>,
) -> Result<()> {
    while let Some(out) = tracker.poll_output() {
        match out {
            TrackerOutput::ConversationStarted { .. } if !admission.admit() => {}
            TrackerOutput::ConversationStarted { conversation, ts, .. } => {
                // Spools are written every second but not fdatasynced one by
                // one: a replayed file is still there after a crash (and is
                // replayed again), and live spools are made durable together
                // by `GroupSync`. A crashed *process* leaves them
                // recoverable either way (the page cache keeps them).
                let config = RecorderConfig {
                    spool: SpoolConfig {
                        dir: spool_dir.to_owned(),
                        fsync: false,
                        ..SpoolConfig::default()
                    },
                    ..RecorderConfig::default()
                };
                let recorder = Recorder::new(config, ConversationId::new(), ts)?;
                live.insert(
                    conversation.0,
                    Live {
                        gap: false,
                        recorder,
                        ids: HashMap::new(),
                        joined: HashMap::new(),
                        left: HashMap::new(),
                        events: Vec::new(),
                    },
                );
            }
            TrackerOutput::ParticipantJoined {
                conversation,
                participant,
                number,
                side,
                ts,
                ..
            } => {
                if let Some(l) = live.get_mut(&conversation.0) {
                    let id = *l.ids.entry(participant).or_default();
                    l.joined.entry(participant).or_insert(ts.to_utc());
                    l.recorder.participant_joined(ts, id, side, &number);
                }
            }
            TrackerOutput::ParticipantLeft { conversation, participant, ts, .. } => {
                if let Some(l) = live.get_mut(&conversation.0)
                    && let Some(id) = l.ids.get(&participant).copied()
                {
                    l.left.insert(participant, ts.to_utc());
                    l.recorder.participant_left(ts, id);
                }
            }
            TrackerOutput::FlowStarted { flow, participant, side, rtpmaps, .. } => {
                let mut payloads = PayloadMap::default();
                for m in &rtpmaps {
                    if let Some(c) =
                        Codec::from_rtpmap(&m.encoding, m.clock_rate, m.channels.unwrap_or(1))
                    {
                        payloads.set(m.payload_type, c);
                    }
                }
                // A flow belongs to the conversation of its participant.
                for l in live.values_mut() {
                    if let Some(id) = l.ids.get(&participant).copied() {
                        l.recorder.attach_flow(FlowKey(flow.0), id, side, payloads.clone());
                        break;
                    }
                }
            }
            // Datagrams go through `Worker::datagram` (`route_udp`), which
            // never queues them.
            TrackerOutput::Rtp { .. } => {}
            TrackerOutput::ParticipantSideChanged { .. } => {}
            TrackerOutput::Transfer {
                conversation,
                ts,
                transferor,
                transferee,
                target,
                replaces,
            } => {
                if let Some(l) = live.get_mut(&conversation.0) {
                    let detail = serde_json::json!({
                        "target": target,
                        "attended": replaces,
                        "transferee": transferee.map(|k| k.0),
                    });
                    l.events.push((ts.to_utc(), "transfer", transferor, detail));
                }
            }
            TrackerOutput::Hold { conversation, participant, ts, held } => {
                if let Some(l) = live.get_mut(&conversation.0) {
                    let kind = if held { "hold" } else { "resume" };
                    l.events.push((ts.to_utc(), kind, Some(participant), serde_json::json!({})));
                }
            }
            TrackerOutput::ConversationEnded {
                conversation,
                ts,
                call_ids,
                correlation,
                participants,
                ..
            } => {
                let Some(l) = live.remove(&conversation.0) else { continue };
                counts.conversations += 1;
                counts.media_packets += l.recorder.stats().audio_packets;
                // Spool only (the bench): rendering is measured elsewhere.
                let Some(tx) = tx else {
                    let spool = l.recorder.finish(ts)?;
                    callvault_media::spool::remove_spool(&spool)?;
                    continue;
                };
                // Closed and synced here; rendered and stored off this
                // thread. The tracker knows more than the spool: Call-IDs,
                // the correlation value, display names, join and leave times.
                let mut known = TrackerFacts {
                    capture_gap: l.gap,
                    call_ids: call_ids.clone(),
                    correlation: correlation.first().map(|(_, v)| v.clone()),
                    participants: Vec::new(),
                    events: Vec::new(),
                };
                let mut index: HashMap<ParticipantKey, usize> = HashMap::new();
                for p in &participants {
                    if p.number.is_empty() && p.display_name.is_none() {
                        continue;
                    }
                    index.insert(p.participant, known.participants.len());
                    known.participants.push(ParticipantFacts {
                        side: p.side.external_or_company(),
                        address: Some(p.number.clone()).filter(|n| !n.is_empty()),
                        name: p.display_name.clone(),
                        joined_at: l.joined.get(&p.participant).copied(),
                        left_at: l.left.get(&p.participant).copied(),
                    });
                }
                known.participants.truncate(callvault_vault::ingest::MAX_PARTICIPANTS);
                let n = known.participants.len();
                let who = |k: Option<ParticipantKey>| {
                    k.and_then(|k| index.get(&k).copied()).filter(|&i| i < n)
                };
                for (at, kind, by, mut detail) in l.events {
                    // The transferee by number (tracker keys mean nothing
                    // outside the tracker).
                    if let Some(t) = detail.get_mut("transferee") {
                        let key = t.as_u64().map(ParticipantKey);
                        let number = who(key).and_then(|i| known.participants[i].address.clone());
                        *t = serde_json::json!(number);
                    }
                    let event = EventFacts { at, kind: kind.into(), participant: who(by), detail };
                    known.events.push(event);
                }
                let spool = l.recorder.finish(ts)?;
                if tx.send(Closed { spool, tracker: Some(known) }).is_err() {
                    return Err(Error::VaultGone);
                }
            }
        }
    }
    Ok(())
}

/// A live capture running inside `serve`.
pub struct RunningCapture {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningCapture {
    /// Stops capturing, ends and stores the open calls, waits for it.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "live capture task failed");
        }
    }
}

/// Starts the live capture of the `[capture]` section, if it names
/// interfaces. Errors (unknown tenant, interface, permission) stop start-up.
pub async fn spawn_configured(
    vault: &callvault_vault::Vault,
    section: &config::CaptureSection,
) -> Result<Option<RunningCapture>> {
    if section.interfaces.is_empty() {
        return Ok(None);
    }
    let tenant = vault.catalog.tenant_by_name(&section.tenant).await?.ok_or_else(|| {
        Error::Config { key: "tenant", message: format!("no tenant named {:?}", section.tenant) }
    })?;
    // Validated at load; parsed again here into their types.
    let filter = CaptureFilter::parse(&section.filter)
        .map_err(|e| Error::Config { key: "filter", message: e.to_string() })?;
    let company_networks = section.company_networks.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let opts = CaptureOptions {
        source: CaptureSource::Live { interfaces: section.interfaces.clone() },
        filter,
        tenant: tenant.id,
        company_networks,
        tracker: TrackerConfig {
            sip_timeout: Duration::from_secs(section.sip_timeout_secs),
            rtp_timeout: Duration::from_secs(section.rtp_timeout_secs),
            correlation_headers: section.correlation_headers.clone(),
            b2bua_window: Some(Duration::from_secs(section.b2bua_window_secs)),
            ..TrackerConfig::default()
        },
        stop: stop.clone(),
        on_ready: None,
        spool_root: vault.config.data_dir.join("spool"),
        metrics: Some(vault.metrics.clone()),
        actor: "capture".into(),
        admission: Some(vault.disk.clone()),
    };
    // Open the sockets now so that a bad interface fails start-up.
    for name in &section.interfaces {
        open_live(name, 4096, &opts.filter)
            .map_err(|e| Error::Config { key: "interfaces", message: e.to_string() })?;
    }
    let ingestor = vault.ingestor();
    let instance = vault.instance.clone();
    let grace = vault.config.recovery_grace;
    let interfaces = section.interfaces.join(",");
    tracing::info!(%interfaces, "live capture started");
    let task = tokio::spawn(async move {
        match run(&ingestor, &instance, grace, opts).await {
            Ok(s) => tracing::info!(
                frames = s.frames,
                conversations = s.conversations,
                stored = s.stored,
                kernel_drops = s.kernel_drops,
                "live capture stopped"
            ),
            Err(e) => tracing::error!(error = %e, "live capture failed"),
        }
    });
    Ok(Some(RunningCapture { stop, task }))
}
