//! One recording session at the edge: its RTP sockets, its
//! `media::Recorder`, and at the end the render and the hand-off to the
//! vault.
//!
//! Every stream's socket has a task that feeds packets to the session's
//! recorder (behind a mutex only the session's own tasks take). A control
//! task applies what re-INVITEs and UPDATEs changed, syncs the spool off
//! the runtime every second, watches RTP inactivity and, when the session ends, closes
//! the recorder, renders on a blocking thread and stores through the
//! [`Ingestor`]. The spool is removed only once the vault has the
//! recording; until then a crash leaves it for [`super::recover`].

use std::collections::HashMap;
use std::net::{IpAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callvault_media::spool::SpoolConfig;
use callvault_media::{
    ClosedTimeline, Codec, FlowKey, PayloadMap, Recorder, RecorderConfig, RenderOptions,
    TimelineEvent,
};
use callvault_model::{
    ConversationId, ExternalId, ParticipantId, RecordingSource, Side, TenantId, Timestamp,
};
use callvault_sip::sdp::Direction;
use callvault_sip::siprec::{HeaderParty, HeaderSource, SiprecMetadata, header_parties};
use callvault_sip::srs::{
    EndReason, GroupKey, SessionChange, SessionId, SessionKind, SessionStarted, SessionUpdated,
    StreamInfo,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::routing::side_of;
use super::{Input, Shared};
use callvault_vault::clock::wall_now;
use callvault_vault::ingest::{
    EventFacts, IngestError, IngestOutcome, IngestRequest, Ingestor, ParticipantFacts, Received,
    RecordingFacts,
};

/// What the SIP core tells a session.
pub(crate) enum SessionCmd {
    Update { update: Box<SessionUpdated>, sockets: Vec<(u16, UdpSocket)> },
    End { reason: EndReason },
}

/// What survives a crash beside the spool: enough to store the recording
/// under the right tenant and conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    pub tenant: TenantId,
    pub call_id: String,
    pub group: (String, String),
    pub siprec_session: Option<String>,
    pub metadata_error: Option<String>,
    /// The parties came from the SIP headers (no usable metadata).
    #[serde(default)]
    pub parties_from_headers: bool,
}

pub(crate) fn sidecar_path(spool: &Path) -> PathBuf {
    spool.with_extension("json")
}

/// The external id a group key becomes: sessions sharing it are merged
/// into one conversation by the catalog.
pub(crate) fn group_external_id(group: &GroupKey) -> (String, String) {
    match group {
        GroupKey::SiprecGroup(v) => ("siprec_group".into(), format!("group:{v}")),
        GroupKey::SipSessionId(v) => ("siprec_group".into(), format!("session-id:{v}")),
        GroupKey::SiprecSession(v) => ("siprec_group".into(), format!("cs:{v}")),
        GroupKey::CiscoGuid(v) => ("cisco_guid".into(), v.clone()),
        GroupKey::CallId(v) => ("siprec_group".into(), format!("call-id:{v}")),
    }
}

struct Party {
    id: ParticipantId,
    side: Side,
    address: Option<String>,
    name: Option<String>,
    joined: Option<DateTime<Utc>>,
    left: Option<DateTime<Utc>>,
}

struct Media {
    recorder: Option<Recorder>,
    last_rtp: Instant,
    sources: Sources,
    /// Where the session's RTP paused (no packet on any stream) for at
    /// least the gap minimum and then resumed: (last packet, next packet).
    gaps: MediaGaps,
}

/// Media gaps in the middle of a session, seen as RTP arrives: the
/// session's last packet before a pause of at least `min` (no packet on
/// any stream) and the first after it. A gap at the end is found when
/// the session closes ([`covered`]).
#[derive(Debug)]
pub(crate) struct MediaGaps {
    min: Duration,
    last_packet: Option<Timestamp>,
    spans: Vec<(Timestamp, Timestamp)>,
}

/// Gaps kept per session at most (a session of on/off media stays bounded).
const MAX_GAPS: usize = 1000;

impl MediaGaps {
    pub(crate) fn new(min: Duration) -> Self {
        MediaGaps { min, last_packet: None, spans: Vec::new() }
    }

    /// An admitted RTP packet at `at`.
    pub(crate) fn packet(&mut self, at: Timestamp) {
        if let Some(prev) = self.last_packet
            && at.saturating_since(prev) >= self.min
            && self.spans.len() < MAX_GAPS
        {
            self.spans.push((prev, at));
        }
        self.last_packet = Some(self.last_packet.map_or(at, |p| p.max(at)));
    }
}

/// The addresses RTP is taken from: the SRC's signalling address and the
/// `c=` addresses of its SDP. Anything else on a session's ports (a port
/// scan, a stale stream of an earlier session on a reused port, audio
/// injected from elsewhere) is dropped and counted, and does not keep the
/// session alive.
struct Sources {
    check: bool,
    allowed: Vec<IpAddr>,
    /// The first foreign packet of the session has been logged.
    reported: bool,
}

impl Sources {
    fn new(check: bool, signalling: IpAddr) -> Self {
        Sources { check, allowed: vec![signalling.to_canonical()], reported: false }
    }

    /// The signalling address plus the announced addresses of `streams`.
    fn announce<'a>(&mut self, streams: impl IntoIterator<Item = &'a StreamInfo>) {
        self.allowed.truncate(1);
        for ip in streams.into_iter().filter_map(|s| s.remote).map(|a| a.ip().to_canonical()) {
            if !ip.is_unspecified() && !self.allowed.contains(&ip) {
                self.allowed.push(ip);
            }
        }
    }

    fn admits(&self, from: IpAddr) -> bool {
        !self.check || self.allowed.contains(&from.to_canonical())
    }
}

struct StreamState {
    party: String,
    direction: Direction,
    task: tokio::task::JoinHandle<()>,
}

pub(crate) struct LiveSession {
    shared: Arc<Shared>,
    id: SessionId,
    tenant: TenantId,
    kind: SessionKind,
    call_id: String,
    group: GroupKey,
    siprec_session: Option<String>,
    metadata_error: Option<String>,
    /// No usable metadata named the parties: they come from the headers.
    parties_from_headers: bool,
    /// What the SRC says about sides beyond the addresses themselves.
    hints: SideHints,
    /// The SIPREC metadata as the core knows it now (partial updates
    /// merged): participants' join and leave times.
    metadata: Option<SiprecMetadata>,
    media: Arc<Mutex<Media>>,
    streams: HashMap<u16, StreamState>,
    parties: HashMap<String, Party>,
    spool: PathBuf,
    conversation: ConversationId,
    started_at: DateTime<Utc>,
    /// Another session of the group was live when this one started.
    pub(crate) group_active: bool,
}

/// Every payload type the recorder may meet on a stream: the static ones,
/// everything the offer mapped (an SRC may send any of them whatever the
/// answer chose), then the answer's codec and telephone-event.
fn payloads(stream: &StreamInfo) -> PayloadMap {
    let mut map = PayloadMap::default();
    for (pt, encoding, rate) in &stream.offered {
        if let Some(c) = Codec::from_rtpmap(encoding, *rate, 1) {
            map.set(*pt, c);
        }
    }
    if let Some(c) = Codec::from_rtpmap(&stream.encoding, stream.clock_rate, 1) {
        map.set(stream.payload_type, c);
    }
    if let Some(pt) = stream.telephone_event
        && let Some(c) = Codec::from_rtpmap("telephone-event", 8000, 1)
    {
        map.set(pt, c);
    }
    map
}

impl LiveSession {
    /// Opens the spool and the sidecar; the session is recording when this
    /// returns.
    pub(crate) fn start(
        shared: Arc<Shared>,
        tenant: TenantId,
        started: &SessionStarted,
    ) -> std::io::Result<LiveSession> {
        let now = wall_now();
        let conversation = ConversationId::new();
        let config = RecorderConfig {
            spool: SpoolConfig { dir: shared.spool_dir.clone(), ..SpoolConfig::default() },
            ..RecorderConfig::default()
        };
        let recorder = Recorder::new(config, conversation, now)?;
        let spool = recorder.spool_path().to_owned();
        let sources = Sources::new(shared.config.rtp_source_filter, started.signalling_peer.ip());
        let gaps = MediaGaps::new(shared.config.media_gap_min());
        let metadata_error = match &started.metadata {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        };
        let parties_from_headers = needs_header_parties(started)
            && header_parties(&started.headers)
                .iter()
                .any(|p| started.kind == SessionKind::Plain || is_party_header(p));
        let sidecar = Sidecar {
            tenant,
            call_id: started.call_id.clone(),
            group: group_external_id(&started.group_key),
            siprec_session: started.siprec_session_id.clone(),
            metadata_error: metadata_error.clone(),
            parties_from_headers,
        };
        let tmp = spool.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&sidecar).unwrap_or_default())?;
        std::fs::rename(&tmp, sidecar_path(&spool))?;
        Ok(LiveSession {
            shared,
            id: started.id,
            tenant,
            kind: started.kind,
            call_id: started.call_id.clone(),
            group: started.group_key.clone(),
            siprec_session: started.siprec_session_id.clone(),
            metadata_error,
            parties_from_headers,
            hints: SideHints::default(),
            metadata: None,
            media: Arc::new(Mutex::new(Media {
                recorder: Some(recorder),
                last_rtp: Instant::now(),
                sources,
                gaps,
            })),
            streams: HashMap::new(),
            parties: HashMap::new(),
            spool,
            conversation,
            started_at: now.to_utc(),
            group_active: false,
        })
    }

    /// Drops a session that was never answered, with its spool.
    pub(crate) fn discard(self) {
        drop(self.media.lock().unwrap_or_else(|e| e.into_inner()).recorder.take());
        remove_spool(&self.spool);
    }

    /// The participant key and what we know of who sends `stream`.
    fn sender_key(&self, stream: &StreamInfo) -> (String, Option<String>, Option<String>) {
        match &stream.sender {
            Some(s) => {
                let key = s
                    .participant_id
                    .clone()
                    .or_else(|| s.aor.clone())
                    .unwrap_or_else(|| format!("stream:{}", stream.index));
                (key, s.aor.clone(), s.name.clone())
            }
            None => (format!("stream:{}", stream.index), None, None),
        }
    }

    /// The side an address is on: the company's by configuration (domain,
    /// prefix, extension), else what the SRC said (BroadWorks' recorded
    /// user and the other party), else the configuration's guess for a
    /// number (a long number is external); `None` when nothing says.
    fn address_side(&self, address: &str) -> Option<Side> {
        let configured = side_of(&self.shared.config, address);
        if configured == Some(Side::Company) {
            return configured;
        }
        self.hints.side(address).or(configured)
    }

    fn side_for(&self, address: Option<&str>, stream_index: usize, streams: usize) -> Side {
        if self.kind == SessionKind::CiscoNbr {
            // One dialog per direction: the header names the party.
            return address.and_then(|a| self.address_side(a)).unwrap_or(Side::Unknown);
        }
        if self.kind == SessionKind::Plain || streams <= 1 {
            // One mixed line carries both parties: it belongs to both channels.
            return Side::Unknown;
        }
        address.and_then(|a| self.address_side(a)).unwrap_or(if stream_index == 0 {
            Side::External
        } else {
            Side::Company
        })
    }

    /// A party's side on the stored conversation: its address's side when
    /// anything says, else the side its stream gave it.
    fn stored_side(&self, party: &Party) -> Side {
        party.address.as_deref().and_then(|a| self.address_side(a)).unwrap_or(party.side)
    }

    fn join(&mut self, key: &str, address: Option<String>, name: Option<String>, side: Side) {
        let now = wall_now();
        let party = self.parties.entry(key.to_owned()).or_insert_with(|| Party {
            id: ParticipantId::new(),
            side,
            address: address.clone(),
            name: name.clone(),
            joined: None,
            left: None,
        });
        if party.address.is_none() {
            party.address = address;
        }
        if party.name.is_none() {
            party.name = name;
        }
        if party.joined.is_some() && party.left.is_none() {
            return;
        }
        let said = self
            .metadata
            .as_ref()
            .and_then(|m| m.participant(key))
            .and_then(|p| metadata_time(p.associate_time.as_ref(), now));
        party.joined.get_or_insert(said.unwrap_or_else(|| now.to_utc()));
        party.left = None;
        let label = party.address.clone().or_else(|| party.name.clone()).unwrap_or_default();
        let (id, side) = (party.id, party.side);
        if let Some(r) = self.media.lock().unwrap_or_else(|e| e.into_inner()).recorder.as_mut() {
            r.participant_joined(now, id, side, &label);
        }
    }

    fn leave(&mut self, key: &str) {
        let now = wall_now();
        let Some(party) = self.parties.get_mut(key) else { return };
        if party.left.is_some() {
            return;
        }
        // The metadata's disassociation, when it says the party left (not
        // an old one before a later association) and not before it joined.
        let said = self
            .metadata
            .as_ref()
            .and_then(|m| m.participant(key))
            .filter(|p| match (&p.associate_time, &p.disassociate_time) {
                (Some(a), Some(d)) => matches!((a.utc, d.utc), (Some(a), Some(d)) if d >= a),
                (None, Some(_)) => true,
                (_, None) => false,
            })
            .and_then(|p| metadata_time(p.disassociate_time.as_ref(), now))
            .filter(|t| party.joined.is_none_or(|j| *t >= j));
        party.left = Some(said.unwrap_or_else(|| now.to_utc()));
        let id = party.id;
        if let Some(r) = self.media.lock().unwrap_or_else(|e| e.into_inner()).recorder.as_mut() {
            r.participant_left(now, id);
        }
    }

    /// Attaches `stream` (new or with a new sender/codec) to its sender.
    fn attach(&mut self, stream: &StreamInfo, total: usize) {
        let (key, aor, name) = self.sender_key(stream);
        let side = self.side_for(aor.as_deref(), stream.index, total);
        self.join(&key, aor, name, side);
        let Some(party) = self.parties.get(&key) else { return };
        let (id, side) = (party.id, party.side);
        if let Some(r) = self.media.lock().unwrap_or_else(|e| e.into_inner()).recorder.as_mut() {
            r.attach_flow(FlowKey(u64::from(stream.local_port)), id, side, payloads(stream));
        }
        if let Some(s) = self.streams.get_mut(&stream.local_port) {
            s.party = key;
            s.direction = stream.offered_direction;
        }
    }

    fn add_socket(&mut self, stream: &StreamInfo, socket: UdpSocket) {
        let port = stream.local_port;
        let socket = match tokio::net::UdpSocket::from_std(socket) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, port, "cannot use an RTP socket");
                return;
            }
        };
        let media = self.media.clone();
        let packets = self.shared.metrics.sip_rtp_packets.clone();
        let foreign = self.shared.metrics.sip_rtp_foreign.clone();
        let session = self.id.0;
        let flow = FlowKey(u64::from(port));
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            loop {
                if socket.readable().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                // Everything queued on the socket in one go, under one lock.
                let mut m = media.lock().unwrap_or_else(|e| e.into_inner());
                let (mut n_packets, mut n_foreign) = (0u64, 0u64);
                while let Ok((n, from)) = socket.try_recv_from(&mut buf) {
                    if !m.sources.admits(from.ip()) {
                        n_foreign += 1;
                        if !m.sources.reported {
                            m.sources.reported = true;
                            tracing::info!(session, port, source = %from.ip(), "RTP from an address the SRC did not announce: dropped (sip.rtp_source_filter)");
                        }
                        continue;
                    }
                    n_packets += 1;
                    let at = wall_now();
                    m.gaps.packet(at);
                    if let Some(r) = m.recorder.as_mut() {
                        r.on_rtp(at, flow, &buf[..n]);
                    }
                }
                if n_packets > 0 {
                    m.last_rtp = Instant::now();
                }
                drop(m);
                packets.inc_by(n_packets);
                foreign.inc_by(n_foreign);
            }
        });
        if let Some(old) = self.streams.insert(
            port,
            StreamState { party: String::new(), direction: stream.offered_direction, task },
        ) {
            old.task.abort();
        }
    }

    /// Every stream the SRC sends nothing on by its own offer (hold).
    fn on_hold(&self) -> bool {
        !self.streams.is_empty()
            && self
                .streams
                .values()
                .all(|s| matches!(s.direction, Direction::Inactive | Direction::RecvOnly))
    }

    fn apply_started(&mut self, started: &SessionStarted, sockets: Vec<(u16, UdpSocket)>) {
        let mut sockets: HashMap<u16, UdpSocket> = sockets.into_iter().collect();
        let recorded: Vec<&StreamInfo> =
            started.streams.iter().filter(|s| s.local_port != 0).collect();
        self.media.lock().unwrap_or_else(|e| e.into_inner()).sources.announce(&started.streams);
        if let Some(Ok(md)) = &started.metadata {
            self.hints = SideHints::from_metadata(md);
            self.metadata = Some(md.clone());
        }
        for s in &recorded {
            if let Some(sock) = sockets.remove(&s.local_port) {
                self.add_socket(s, sock);
            }
            self.attach(s, recorded.len());
        }
        // Participants the metadata names that send nothing (yet) are on the
        // call too.
        if let Some(Ok(md)) = &started.metadata {
            for p in &md.participants {
                if !self.parties.contains_key(&p.id) && p.disassociate_time.is_none() {
                    let side = self.side_for(p.aor.as_deref(), usize::MAX, recorded.len());
                    if side != Side::Unknown || recorded.len() <= 1 {
                        self.join(&p.id.clone(), p.aor.clone(), p.name.clone(), side);
                    }
                }
            }
        }
        let named = header_parties(&started.headers);
        // CUBE names every party of the leg, also those without an m-line
        // of their own (two parties on one line).
        if self.kind == SessionKind::CiscoNbr {
            for p in named.iter().filter(|p| p.source == HeaderSource::CiscoParticipant) {
                if !self.parties.contains_key(&p.aor) {
                    let side = self.side_for(Some(&p.aor), usize::MAX, recorded.len());
                    self.join(&p.aor, Some(p.aor.clone()), p.name.clone(), side);
                }
            }
        }
        if self.parties_from_headers {
            let parties: Vec<&HeaderParty> = named
                .iter()
                .filter(|p| self.kind == SessionKind::Plain || is_party_header(p))
                .collect();
            for p in parties {
                if !self.parties.contains_key(&p.aor) {
                    let side = self.address_side(&p.aor).unwrap_or(Side::Unknown);
                    self.join(&p.aor, Some(p.aor.clone()), p.name.clone(), side);
                }
            }
        }
    }

    fn apply_update(&mut self, update: &SessionUpdated, sockets: Vec<(u16, UdpSocket)>) {
        let mut sockets: HashMap<u16, UdpSocket> = sockets.into_iter().collect();
        let recorded: Vec<&StreamInfo> =
            update.streams.iter().filter(|s| s.local_port != 0).collect();
        self.media.lock().unwrap_or_else(|e| e.into_inner()).sources.announce(&update.streams);
        if let Some(md) = &update.metadata {
            self.hints = SideHints::from_metadata(md);
            self.metadata = Some(md.clone());
        }
        // Streams gone: stop their sockets.
        let live: Vec<u16> = recorded.iter().map(|s| s.local_port).collect();
        self.streams.retain(|port, s| {
            let keep = live.contains(port);
            if !keep {
                s.task.abort();
            }
            keep
        });
        for s in &recorded {
            if let Some(sock) = sockets.remove(&s.local_port) {
                self.add_socket(s, sock);
            }
        }
        for change in &update.changes {
            match change {
                SessionChange::StreamAdded { index }
                | SessionChange::CodecChanged { index }
                | SessionChange::SenderChanged { index, .. } => {
                    if let Some(s) = recorded.iter().find(|s| s.index == *index) {
                        self.attach(s, recorded.len());
                    }
                }
                SessionChange::DirectionChanged { index, to, .. } => {
                    if let Some(s) = recorded.iter().find(|s| s.index == *index)
                        && let Some(st) = self.streams.get_mut(&s.local_port)
                    {
                        st.direction = *to;
                    }
                }
                SessionChange::ParticipantAssociated { participant_id, aor } => {
                    let name = update
                        .metadata
                        .as_ref()
                        .and_then(|m| m.participant(participant_id))
                        .and_then(|p| p.name.clone());
                    let side = self.side_for(aor.as_deref(), usize::MAX, recorded.len());
                    let side = if side == Side::Unknown && recorded.len() > 1 {
                        Side::Company
                    } else {
                        side
                    };
                    self.join(participant_id, aor.clone(), name, side);
                }
                SessionChange::ParticipantDisassociated { participant_id, .. } => {
                    self.leave(participant_id);
                }
                SessionChange::MetadataError(e) => {
                    tracing::warn!(session = self.id.0, error = %e, "SIPREC metadata update did not parse; audio continues");
                    self.metadata_error.get_or_insert_with(|| e.clone());
                }
                SessionChange::StreamRemoved { .. } | SessionChange::RemoteMoved { .. } => {}
            }
        }
        // A party no stream is sent by any more, and that the metadata
        // did not already take off the call, has left when its stream went.
        let senders: Vec<String> = self.streams.values().map(|s| s.party.clone()).collect();
        let gone: Vec<String> = self
            .parties
            .iter()
            .filter(|(k, p)| k.starts_with("stream:") && p.left.is_none() && !senders.contains(k))
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.leave(&k);
        }
    }

    /// Runs the session until the core ends it, then stores the recording.
    pub(crate) async fn run(
        mut self,
        started: SessionStarted,
        sockets: Vec<(u16, UdpSocket)>,
        mut rx: mpsc::Receiver<SessionCmd>,
    ) {
        self.apply_started(&started, sockets);
        drop(started);
        let timeout = Duration::from_secs(self.shared.config.rtp_timeout_secs.max(1));
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut timeout_reported = false;
        // RTP on hold is reported to the core (which bounds holds) at most
        // this often.
        const MEDIA_REPORT: Duration = Duration::from_secs(5);
        let mut media_reported: Option<Instant> = None;
        let reason = loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(SessionCmd::Update { update, sockets }) => {
                        self.apply_update(&update, sockets);
                        if !self.on_hold() {
                            self.media.lock().unwrap_or_else(|e| e.into_inner()).last_rtp = Instant::now();
                        }
                    }
                    Some(SessionCmd::End { reason }) => break reason,
                    None => break EndReason::Local,
                },
                _ = tick.tick() => {
                    let (pending, idle) = {
                        let mut m = self.media.lock().unwrap_or_else(|e| e.into_inner());
                        let idle = m.last_rtp.elapsed();
                        let pending = m.recorder.as_mut().map(|r| r.poll_deferred(wall_now()));
                        (pending, idle)
                    };
                    match pending {
                        // Its own fdatasync, off the runtime. One group
                        // `syncfs` for every session (as live capture does)
                        // measured worse here: `bench siprec` rendered and
                        // stored 30 % slower after the BYEs and its
                        // generator fell behind.
                        Some(Ok(Some(sync))) => {
                            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || sync.run()).await {
                                tracing::error!(error = %e, "spool sync failed");
                            }
                        }
                        Some(Err(e)) => tracing::error!(error = %e, "spool write failed"),
                        _ => {}
                    }
                    if self.on_hold() {
                        // Silence is expected on hold (the core bounds it);
                        // RTP all the same is a sign of life.
                        if idle < Duration::from_secs(1)
                            && media_reported.is_none_or(|t| t.elapsed() >= MEDIA_REPORT)
                        {
                            media_reported = Some(Instant::now());
                            let _ = self.shared.core.try_send(Input::MediaActivity { id: self.id });
                        }
                    } else if idle > timeout && !timeout_reported {
                        timeout_reported = true;
                        tracing::info!(session = self.id.0, idle_secs = idle.as_secs(), "no RTP: ending the recording session");
                        let _ = self.shared.core.send(Input::RtpTimeout { id: self.id }).await;
                    }
                }
            }
        };
        self.finish(reason, timeout_reported).await;
    }

    /// Closes, renders and stores. The recording runs to the session's end
    /// (silence and a media gap where the SRC sent nothing before its BYE),
    /// except when the session ended because no RTP came: then the media's
    /// end is the session's, the timeout only how long it took to notice.
    async fn finish(mut self, reason: EndReason, rtp_timed_out: bool) {
        for (_, s) in self.streams.drain() {
            s.task.abort();
        }
        let now = if rtp_timed_out {
            let idle = self.media.lock().unwrap_or_else(|e| e.into_inner()).last_rtp.elapsed();
            wall_now().saturating_sub(idle)
        } else {
            wall_now()
        };
        for key in self.parties.keys().cloned().collect::<Vec<_>>() {
            self.leave(&key);
        }
        let (recorder, gaps) = {
            let mut m = self.media.lock().unwrap_or_else(|e| e.into_inner());
            (m.recorder.take(), std::mem::take(&mut m.gaps.spans))
        };
        let Some(recorder) = recorder else { return };
        let gap_min = self.shared.config.media_gap_min();
        let stats = recorder.stats();
        let permit = self.shared.renders.clone().acquire_owned().await.ok();
        let ingestor = self.shared.ingestor.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let timeline = recorder.close(now).map_err(|e| StageError::Failed(e.to_string()))?;
            let mut timeline = covered(&timeline, gap_min);
            mark_gaps(&mut timeline, &gaps);
            render(&timeline, &ingestor, gap_min).map(|r| (r, timeline))
        })
        .await
        .map_err(|e| StageError::Failed(e.to_string()))
        .and_then(|r| r);
        tracing::debug!(session = self.id.0, ?reason, packets = stats.packets, "session ended");
        let (staged, span, timeline) = match rendered {
            Ok((Rendered::Empty, timeline)) => {
                self.store_without_media(&timeline, stats, now).await;
                return;
            }
            Ok((Rendered::Audio { staged, span }, timeline)) => (Some(staged), span, timeline),
            // No room or no store for staging now: the spool waits below.
            Ok((Rendered::Unstaged { error, span }, timeline)) => {
                tracing::warn!(%error, "cannot stage a SIPREC recording yet");
                (None, span, timeline)
            }
            Err(e) => {
                tracing::error!(error = %e, spool = %self.spool.display(), "cannot render a SIPREC recording; spool kept for recovery");
                self.shared.metrics.sip_session("failed");
                return;
            }
        };
        let (timeline_start, duration_ms) = span;
        let started_at = timeline_start.unwrap_or(self.started_at);
        let ended_at = started_at + chrono::Duration::milliseconds(duration_ms as i64);
        let facts = self.facts(started_at, ended_at, &timeline);
        let mut flags = Vec::new();
        if self.metadata_error.is_some() {
            flags.push("siprec_metadata_unparsable".to_owned());
        }
        if timeline.events.iter().any(|e| matches!(e, TimelineEvent::UndecodedPayload { .. })) {
            // Kept raw in the spool until stored; the recording says some
            // of what arrived is not in its audio.
            flags.push("undecoded_media".to_owned());
        }
        if timeline.events.iter().any(|e| matches!(e, TimelineEvent::MediaGap { .. })) {
            flags.push("media_gap".to_owned());
        }
        flags.extend(end_flag(reason).map(str::to_owned));
        if self.parties_from_headers {
            flags.push("siprec_parties_from_headers".to_owned());
        }
        // The session's end, not the audio's: a recording shorter than the
        // session is what assurance reports.
        let call = self.call_row(&facts, now.to_utc(), None);
        let req = request(self.tenant, self.conversation, facts, flags);
        let stored = store(&self.shared, req, staged, &self.spool).await;
        self.shared.metrics.sip_session(if stored.is_some() { "recorded" } else { "failed" });
        if let Some(conv) = stored {
            self.register_call(call, conv).await;
        }
    }

    /// The call this session recorded, for assurance's call register: the
    /// session's own times (answered at its start, ended now), whatever
    /// audio came.
    fn call_row(
        &self,
        facts: &RecordingFacts,
        ended_at: DateTime<Utc>,
        no_audio: Option<&str>,
    ) -> callvault_store::NewCall {
        let ended_at = ended_at.max(self.started_at);
        callvault_store::NewCall {
            source: "siprec".into(),
            leg_key: format!("{}:{}", self.call_id, self.conversation),
            ids: facts
                .external_ids
                .iter()
                .map(|e| callvault_store::CallRef { kind: e.kind.clone(), value: e.value.clone() })
                .collect(),
            caller: facts.external_number.clone(),
            callee: facts.company_number.clone(),
            started_at: self.started_at,
            answered_at: Some(self.started_at),
            ended_at,
            talk_secs: u64::try_from((ended_at - self.started_at).num_seconds()).unwrap_or(0),
            disposition: "answered".into(),
            conversation_id: None,
            no_audio_reason: no_audio.map(|r| format!("the SRC sent no media: {r}")),
            check_at: Some(Utc::now()),
        }
    }

    /// Register the call (best effort: logged when it fails).
    async fn register_call(&self, mut call: callvault_store::NewCall, conv: ConversationId) {
        call.conversation_id = Some(conv);
        let catalog = &self.shared.ingestor.catalog;
        if let Err(e) = catalog.import_calls(self.tenant, &[call], "siprec", Utc::now()).await {
            tracing::warn!(session = self.id.0, error = %e, "SIPREC call not registered for assurance");
        }
    }

    /// What the session knows of its call for the catalog: ids, numbers,
    /// participants and what happened on the timeline (DTMF, media gaps).
    fn facts(
        &self,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        timeline: &ClosedTimeline,
    ) -> RecordingFacts {
        let mut facts = RecordingFacts {
            external_ids: vec![ExternalId::new("sip_call_id", self.call_id.clone())],
            started_at: Some(started_at),
            ended_at: Some(ended_at),
            group_active: self.group_active,
            ..Default::default()
        };
        let (kind, value) = group_external_id(&self.group);
        facts.external_ids.push(ExternalId::new(kind, value));
        if let Some(cs) = &self.siprec_session {
            facts.external_ids.push(ExternalId::new("siprec_session", cs.clone()));
        }
        let mut parties: Vec<(&Party, Side)> = self
            .parties
            .values()
            .filter(|p| p.address.is_some() || p.name.is_some())
            .map(|p| (p, self.stored_side(p)))
            .collect();
        parties.sort_by_key(|(p, _)| p.joined);
        // Nothing said which side a party is on, but another is the
        // company's: this one is the other side of the call.
        let has_company = parties.iter().any(|(_, s)| *s == Side::Company);
        for (_, side) in parties.iter_mut().filter(|(_, s)| *s == Side::Unknown) {
            *side = if has_company { Side::External } else { Side::Company };
        }
        // The media's participant id → the index among the facts'.
        let mut index: HashMap<ParticipantId, usize> = HashMap::new();
        for (p, side) in parties {
            let number = p.address.as_deref().map(number_or_address);
            if side == Side::External && facts.external_number.is_none() {
                facts.external_number = number.clone();
            }
            if side == Side::Company && facts.company_number.is_none() {
                facts.company_number = number;
            }
            index.insert(p.id, facts.participants.len());
            facts.participants.push(ParticipantFacts {
                side,
                address: p.address.clone(),
                name: p.name.clone(),
                joined_at: p.joined,
                left_at: p.left,
            });
        }
        facts.events = timeline_events(timeline, &index);
        facts
    }

    /// A session that brought no decodable audio: logged with its reason
    /// and kept in the catalog as a conversation with its participants and
    /// a `no_media` event, never dropped in silence.
    async fn store_without_media(
        &self,
        timeline: &ClosedTimeline,
        stats: callvault_media::RecorderStats,
        now: callvault_model::Timestamp,
    ) {
        let mut payload_types: Vec<u8> = timeline
            .events
            .iter()
            .filter_map(|e| match e {
                TimelineEvent::UndecodedPayload { payload_type, .. } => Some(*payload_type),
                _ => None,
            })
            .collect();
        payload_types.sort_unstable();
        payload_types.dedup();
        let reason = if stats.packets == 0 {
            "no RTP received".to_owned()
        } else if !payload_types.is_empty() {
            let list: Vec<String> = payload_types.iter().map(u8::to_string).collect();
            format!("no decodable audio: payload types {} are not decoded", list.join(", "))
        } else if stats.packets == stats.rtcp + stats.malformed {
            "no RTP audio: only RTCP or malformed packets".to_owned()
        } else {
            "no audio: only events, comfort noise or packets before the session".to_owned()
        };
        tracing::warn!(
            session = self.id.0, %reason, packets = stats.packets, undecoded = stats.undecoded,
            rtcp = stats.rtcp, malformed = stats.malformed, dtmf = stats.dtmf_events,
            "SIPREC session without media: stored as a conversation without a recording"
        );
        let ended_at = now.to_utc().max(self.started_at);
        let facts = self.facts(self.started_at, ended_at, timeline);
        let mut flags = Vec::new();
        if self.metadata_error.is_some() {
            flags.push("siprec_metadata_unparsable".to_owned());
        }
        if self.parties_from_headers {
            flags.push("siprec_parties_from_headers".to_owned());
        }
        let detail = serde_json::json!({
            "reason": reason,
            "packets": stats.packets,
            "undecoded_packets": stats.undecoded,
            "payload_types": payload_types,
            "flags": flags,
        });
        let call = self.call_row(&facts, ended_at, Some(reason.as_str()));
        let req = request(self.tenant, self.conversation, facts, flags);
        match self.shared.ingestor.record_empty_session(req, "no_media", detail).await {
            Ok(
                callvault_store::EmptySessionOutcome::Created(conv)
                | callvault_store::EmptySessionOutcome::Existing(conv),
            ) => {
                self.shared.metrics.sip_session("empty");
                remove_spool(&self.spool);
                self.register_call(call, conv).await;
            }
            Err(e) => {
                // The spool stays: recovery finds it again at the next start.
                tracing::error!(error = %e, spool = %self.spool.display(), "SIPREC session without media not stored; spool kept");
                self.shared.metrics.sip_session("failed");
            }
        }
    }
}

/// The timeline a session renders: to the session's end (its end record),
/// with a media gap where the SRC sent nothing for `gap_min`
/// (`sip.media_gap_min_secs`) or more before its BYE (shorter is no gap:
/// the last packets and the BYE are rarely simultaneous). A spool cut by a
/// crash has no end and stays as it is.
pub(crate) fn covered(timeline: &ClosedTimeline, gap_min: Duration) -> ClosedTimeline {
    let mut tl = timeline.clone();
    if let Some(end) = tl.closed_at {
        tl.cover_until_end(end, gap_min);
    }
    tl
}

/// How far before the signalling that carries it a metadata time may lie
/// (a party on the call before the recording began) ...
const METADATA_TIME_PAST: Duration = Duration::from_secs(6 * 3600);
/// ... and after it (the SRC's clock a little ahead of ours).
const METADATA_TIME_SKEW: Duration = Duration::from_secs(5);

/// A join or leave time the SRC's metadata gives (`associate-time`,
/// `disassociate-time`, BroadWorks' and Webex's equivalents), when it is
/// plausible against `arrival`, our clock when the signalling carrying it
/// came: at most [`METADATA_TIME_PAST`] before and [`METADATA_TIME_SKEW`]
/// after. Otherwise (absent, unparsable, an SRC with a wrong clock or a
/// stale fixed value) the caller takes the arrival itself.
pub(crate) fn metadata_time(
    said: Option<&callvault_sip::siprec::Timestamp>,
    arrival: Timestamp,
) -> Option<DateTime<Utc>> {
    let t = Timestamp::from_utc(said?.utc?);
    let earliest = arrival.saturating_sub(METADATA_TIME_PAST);
    let latest = arrival.saturating_add(METADATA_TIME_SKEW);
    (earliest..=latest).contains(&t).then(|| t.to_utc())
}

/// Marks the pauses of the session's RTP ([`MediaGaps`]: wall-clock spans
/// between two packets) on its timeline as media gaps, where they fall
/// inside the recording. The renderer already puts silence there; the
/// event says that nothing arrived, so silence is not mistaken for a quiet
/// party.
pub(crate) fn mark_gaps(timeline: &mut ClosedTimeline, gaps: &[(Timestamp, Timestamp)]) {
    let rate = u64::from(timeline.sample_rate.max(1));
    for &(from, to) in gaps {
        let (Some(a), Some(b)) = (timeline.sample_at(from), timeline.sample_at(to)) else {
            continue;
        };
        let (a, b) = (a.max(timeline.start_sample), b.min(timeline.end_sample));
        if b <= a {
            continue;
        }
        let offset_ms = ((a - timeline.start_sample) * 1000 / rate) as i64;
        timeline
            .events
            .push(TimelineEvent::MediaGap { offset_ms, duration_ms: (b - a) * 1000 / rate });
    }
}

/// DTMF and media gaps of a timeline as catalog events; `index` maps the
/// recorder's participant ids to the facts' participants.
fn timeline_events(
    timeline: &ClosedTimeline,
    index: &HashMap<ParticipantId, usize>,
) -> Vec<EventFacts> {
    timeline
        .catalog_events()
        .into_iter()
        .map(|e| EventFacts {
            at: e.at.to_utc(),
            kind: e.kind.into(),
            participant: e.participant.and_then(|p| index.get(&p).copied()),
            detail: e.detail,
        })
        .collect()
}

/// The recording flag of a session that did not end the ordinary way.
pub(crate) fn end_flag(reason: EndReason) -> Option<&'static str> {
    match reason {
        EndReason::HoldTimeout => Some("ended_hold_timeout"),
        EndReason::MaxDuration => Some("ended_max_duration"),
        EndReason::SrcUnreachable => Some("ended_src_unreachable"),
        EndReason::OutOfOrderBye => Some("ended_out_of_order_bye"),
        EndReason::NoSdpAnswer | EndReason::NoSdpAnswerInPrack => Some("ended_no_sdp_answer"),
        EndReason::PrackTimeout => Some("ended_prack_timeout"),
        EndReason::SessionTimerExpired => Some("ended_session_timer"),
        EndReason::Bye
        | EndReason::Cancelled
        | EndReason::AckTimeout
        | EndReason::Rejected
        | EndReason::NotAnswered
        | EndReason::Local => None,
    }
}

/// Does the session need its parties from the SIP headers? When neither
/// the metadata (missing, unparsable, or naming no address) nor a vendor
/// header on a stream says who is on the call.
fn needs_header_parties(started: &SessionStarted) -> bool {
    let by_metadata = matches!(&started.metadata, Some(Ok(md)) if md.participants.iter().any(|p| p.aor.is_some()));
    let by_stream =
        started.streams.iter().any(|s| s.sender.as_ref().is_some_and(|x| x.aor.is_some()));
    !by_metadata && !by_stream
}

/// Whether a header of a recording session names a party of the recorded
/// call. In SIPREC (and NBR) the recording dialog's To is the SRS and its
/// From is often the SRC itself, so only numbers count there, and To never.
fn is_party_header(p: &HeaderParty) -> bool {
    p.source != HeaderSource::To && is_number(super::routing::user_part(&p.aor))
}

fn is_number(user: &str) -> bool {
    !user.is_empty()
        && user.chars().any(|c| c.is_ascii_digit())
        && user.chars().all(|c| c.is_ascii_digit() || "+-() .".contains(c))
}

/// What the SRC said about sides beyond the addresses: BroadWorks names
/// the recorded user (the company's side: `userID`, the group's
/// `initiator`, its own number in the call) and the other party.
#[derive(Debug, Default)]
struct SideHints {
    company: Vec<String>,
    external: Vec<String>,
}

impl SideHints {
    fn from_metadata(md: &SiprecMetadata) -> SideHints {
        let mut hints = SideHints::default();
        if let Some(bw) = &md.broadworks {
            hints.company.extend(bw.user_id.iter().cloned());
            hints.company.extend(bw.user_party().map(str::to_owned));
            hints.external.extend(bw.remote_party().map(str::to_owned));
        }
        hints.company.extend(md.groups.iter().filter_map(|g| g.initiator.clone()));
        hints
    }

    fn side(&self, address: &str) -> Option<Side> {
        if self.company.iter().any(|h| same_party(h, address)) {
            Some(Side::Company)
        } else if self.external.iter().any(|h| same_party(h, address)) {
            Some(Side::External)
        } else {
            None
        }
    }
}

/// Two addresses name the same party: the same number (compared on its
/// last nine digits, so `+44 20 7770 5371` and `020 7770 5371` agree), or
/// the same user name.
fn same_party(a: &str, b: &str) -> bool {
    let (ua, ub) = (super::routing::user_part(a), super::routing::user_part(b));
    if is_number(ua) && is_number(ub) {
        let da: String = ua.chars().filter(char::is_ascii_digit).collect();
        let db: String = ub.chars().filter(char::is_ascii_digit).collect();
        if da.len() < 7 || db.len() < 7 {
            // extensions and short codes: only the very same number
            return da == db;
        }
        let n = da.len().min(db.len()).min(9);
        return da[da.len() - n..] == db[db.len() - n..];
    }
    !ua.is_empty() && ua.eq_ignore_ascii_case(ub)
}

/// The number of an address whose user part is a phone number or an
/// extension (`tel:+14155550100` → `+14155550100`), else the address.
fn number_or_address(address: &str) -> String {
    let user = super::routing::user_part(address);
    if is_number(user) { user.to_owned() } else { address.to_owned() }
}

/// Why a recording could not be staged.
#[derive(Debug)]
pub(crate) enum StageError {
    /// No room or no store for staging now: wait like any vault outage.
    Unavailable(String),
    /// The spool cannot be rendered: kept for recovery, reported.
    Failed(String),
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StageError::Unavailable(e) | StageError::Failed(e) => f.write_str(e),
        }
    }
}

/// Where a closed timeline starts and how long it lasts.
pub(crate) type Span = (Option<DateTime<Utc>>, u64);

/// A closed timeline rendered into the vault's staging.
pub(crate) enum Rendered {
    /// No audio at all.
    Empty,
    Audio {
        staged: Received,
        span: Span,
    },
    /// Audio that could not be staged yet (the span is still known).
    Unstaged {
        error: String,
        span: Span,
    },
}

/// Renders a closed timeline straight into the vault's staging (never
/// whole in memory). Blocking: run it on a blocking thread.
pub(crate) fn render(
    timeline: &ClosedTimeline,
    ingestor: &Ingestor,
    gap_min: Duration,
) -> Result<Rendered, StageError> {
    let timeline = &covered(timeline, gap_min);
    if timeline.len_samples() == 0 {
        return Ok(Rendered::Empty);
    }
    let rate = u64::from(timeline.sample_rate.max(1));
    let start =
        timeline.origin + Duration::from_nanos(timeline.start_sample * 1_000_000_000 / rate);
    let span = (Some(start.to_utc()), timeline.duration_ms());
    let mut staging = match ingestor.staging_writer() {
        Ok(w) => w,
        Err(IngestError::Unavailable(error)) => return Ok(Rendered::Unstaged { error, span }),
        Err(e) => return Err(StageError::Failed(e.to_string())),
    };
    let unstaged = |e: IngestError| match e {
        IngestError::Unavailable(error) => Ok(Rendered::Unstaged { error, span }),
        other => Err(StageError::Failed(other.to_string())),
    };
    if let Err(e) = callvault_media::render_to(timeline, &RenderOptions::default(), &mut staging) {
        return match staging.failure() {
            Some(ingest) => unstaged(ingest),
            None => Err(StageError::Failed(e.to_string())),
        };
    }
    match staging.finish() {
        Ok(staged) => Ok(Rendered::Audio { staged, span }),
        Err(e) => unstaged(e),
    }
}

pub(crate) fn remove_spool(spool: &Path) {
    if let Err(e) = callvault_media::spool::remove_spool(spool) {
        tracing::warn!(error = %e, "cannot remove a spool");
    }
    let _ = std::fs::remove_file(sidecar_path(spool));
}

/// The ingest request of a SIPREC recording: the recorder's conversation id
/// is the idempotency key, so a spool stored just before a crash is not
/// stored twice by recovery.
pub(crate) fn request(
    tenant: TenantId,
    conversation: ConversationId,
    facts: RecordingFacts,
    flags: Vec<String>,
) -> IngestRequest {
    IngestRequest {
        tenant,
        // What the SRC sent is made fit rather than refused: the audio is
        // never lost over a header.
        description: facts.describe_lossy(),
        idempotency_key: Some(format!("siprec:{conversation}")),
        source: RecordingSource::Siprec,
        actor: "siprec".into(),
        flags,
    }
}

/// Stores a recording once: `true` when the vault has it (the spool is
/// then removed). Recovery at start-up: an unavailable vault leaves the
/// spool for the next start.
pub(crate) async fn store_once(
    ingestor: &Ingestor,
    req: IngestRequest,
    staged: Received,
    spool: &Path,
) -> bool {
    match ingestor.commit(req, staged).await {
        Ok(_) => {
            remove_spool(spool);
            true
        }
        Err(e) => {
            tracing::error!(error = %e, spool = %spool.display(), "SIPREC recording not stored; spool kept");
            false
        }
    }
}

/// Stores a session's recording (the spool is then removed). While the
/// vault is unavailable the staged audio is dropped and the session waits
/// at the server's [`super::vault_gate::VaultGate`]; when it may go again it
/// renders once more from the spool into staging. Stopping the server while
/// waiting keeps the spool for recovery. Its conversation once stored.
async fn store(
    shared: &Shared,
    req: IngestRequest,
    staged: Option<Received>,
    spool: &Path,
) -> Option<ConversationId> {
    let mut staged = staged;
    let mut probing = false;
    let mut stopping = shared.stopping.clone();
    loop {
        let attempt = match staged.take() {
            Some(s) => Ok(s),
            None => rerender(shared, spool).await,
        };
        let result = match attempt {
            Ok(received) => shared.ingestor.commit(req.clone(), received).await,
            Err(StageError::Unavailable(e)) => Err(IngestError::Unavailable(e)),
            Err(StageError::Failed(e)) => {
                if probing {
                    shared.vault.abandon_probe();
                }
                tracing::error!(error = %e, spool = %spool.display(), "cannot render a SIPREC spool again; kept for recovery");
                return None;
            }
        };
        match result {
            Ok(IngestOutcome::Created(r) | IngestOutcome::Duplicate(r)) => {
                shared.vault.stored();
                remove_spool(spool);
                return Some(r.conversation_id);
            }
            Err(IngestError::Unavailable(e)) => {
                shared.vault.unavailable(probing);
                if *stopping.borrow() {
                    tracing::error!(error = %e, spool = %spool.display(), "vault unavailable at shutdown; spool kept for recovery");
                    return None;
                }
                if !probing {
                    tracing::warn!(error = %e, "vault unavailable; the SIPREC recording waits in its spool");
                }
                shared.metrics.sip_recordings_waiting.inc();
                let turn = tokio::select! {
                    turn = shared.vault.wait() => Some(turn),
                    _ = stopping.wait_for(|s| *s) => None,
                };
                shared.metrics.sip_recordings_waiting.dec();
                match turn {
                    Some(turn) => probing = turn == super::vault_gate::Turn::Probe,
                    None => {
                        tracing::error!(spool = %spool.display(), "vault unavailable at shutdown; spool kept for recovery");
                        return None;
                    }
                }
            }
            Err(e) => {
                if probing {
                    // The vault answered: it is up.
                    shared.vault.stored();
                }
                tracing::error!(error = %e, spool = %spool.display(), "SIPREC recording refused by ingest; spool kept");
                return None;
            }
        }
    }
}

/// The session's recording rendered again from its closed spool into
/// staging (the first was dropped while the vault was unavailable).
async fn rerender(shared: &Shared, spool: &Path) -> Result<Received, StageError> {
    let permit = shared.renders.clone().acquire_owned().await.ok();
    let path = spool.to_owned();
    let ingestor = shared.ingestor.clone();
    let gap_min = shared.config.media_gap_min();
    let rendered = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let timeline =
            ClosedTimeline::from_spool(&path).map_err(|e| StageError::Failed(e.to_string()))?;
        render(&timeline, &ingestor, gap_min)
    })
    .await
    .map_err(|e| StageError::Failed(e.to_string()))??;
    match rendered {
        Rendered::Audio { staged, .. } => Ok(staged),
        Rendered::Unstaged { error, .. } => Err(StageError::Unavailable(error)),
        Rendered::Empty => Err(StageError::Failed("the spool holds no audio any more".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_party_compares_numbers_by_their_tail_and_names_exactly() {
        let cases = [
            ("sip:+442077705371@as.example.net", "sip:02077705371", true),
            ("tel:+1 (312) 555-0199", "sip:13125550199@h;user=phone", true),
            ("sip:101@pbx", "sip:+14155550101@sbc", false),
            ("sip:101@pbx", "101@other", true),
            ("agent7@example.net", "sip:Agent7@as.example.net", true),
            ("sip:agent7@example.net", "sip:agent8@example.net", false),
            ("sip:@h", "sip:@h", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_party(a, b), want, "{a} {b}");
        }
    }

    #[test]
    fn broadworks_says_whose_side_is_whose() {
        let xml = r#"<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">
            <group id="g"><initiator>sip:+12025550147@as.example.net</initiator></group>
            <extensiondata><broadWorksRecordingMetadata xmlns="http://schema.broadsoft.com/broadworksCallRecording">
              <userID>agent7@example.net</userID>
              <callType><termCall><callingPartyNumber>sip:+13125550199@as</callingPartyNumber>
                <calledPartyNumber>sip:+12025550147@as</calledPartyNumber></termCall></callType>
            </broadWorksRecordingMetadata></extensiondata></recording_metadata>"#;
        let md = callvault_sip::siprec::parse_metadata(xml).unwrap();
        let hints = SideHints::from_metadata(&md);
        assert_eq!(hints.side("sip:+12025550147@sbc"), Some(Side::Company));
        assert_eq!(hints.side("sip:agent7@as.example.net"), Some(Side::Company));
        assert_eq!(hints.side("tel:+13125550199"), Some(Side::External));
        assert_eq!(hints.side("sip:+14155550123@as"), None);
        let rfc = callvault_sip::siprec::parse_metadata("<recording/>").unwrap();
        assert_eq!(SideHints::from_metadata(&rfc).side("sip:+12025550147@sbc"), None);
    }

    #[test]
    fn pauses_of_the_rtp_become_media_gaps_where_they_fall_in_the_recording() {
        let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut gaps = MediaGaps::new(Duration::from_secs(2));
        let talk =
            (0..3000).step_by(20).chain((4000..5000).step_by(20)).chain((8000..9000).step_by(20));
        for ms in talk {
            gaps.packet(at(ms));
        }
        // a packet late from the network does not open a gap
        gaps.packet(at(8500));
        // 2980 → 4000 ms is no gap (1.02 s); 4980 → 8000 ms is (3.02 s)
        assert_eq!(gaps.spans, [(at(4980), at(8000))]);
        let tl = ClosedTimeline {
            spool_path: PathBuf::new(),
            conversation: ConversationId::new(),
            sample_rate: 8000,
            origin: t0,
            start_sample: 0,
            end_sample: 9 * 8000,
            streams: Vec::new(),
            participants: Vec::new(),
            events: Vec::new(),
            cut_by_crash: false,
            truncated_at: None,
            valid_bytes: 0,
            discarded_bytes: 0,
            last_sync: None,
            closed_at: Some(at(9500)),
        };
        // the BYE 0.5 s after the last packet: no gap at the end
        let mut whole = covered(&tl, Duration::from_secs(2));
        mark_gaps(&mut whole, &gaps.spans);
        assert_eq!(whole.events, [TimelineEvent::MediaGap { offset_ms: 4980, duration_ms: 3020 }]);
        assert_eq!(whole.end_sample, 9 * 8000);
        // with a longer minimum, the end is a gap and the middle is not
        let mut strict = MediaGaps::new(Duration::from_secs(4));
        for ms in [0, 4980, 8000] {
            strict.packet(at(ms));
        }
        assert_eq!(strict.spans, [(at(0), at(4980))]);
        let late_bye = ClosedTimeline { closed_at: Some(at(13_000)), ..tl.clone() };
        let covered_late = covered(&late_bye, Duration::from_secs(4));
        assert_eq!(
            covered_late.events,
            [TimelineEvent::MediaGap { offset_ms: 9000, duration_ms: 4000 }]
        );
        // a pause outside the recording (before its first audio) is not marked
        let mut later = ClosedTimeline { start_sample: 8 * 8000, ..tl };
        mark_gaps(&mut later, &gaps.spans);
        assert!(later.events.is_empty());
    }

    #[test]
    fn metadata_times_are_taken_when_plausible() {
        use callvault_sip::siprec::Timestamp as MdTime;
        let arrival = Timestamp::from_utc("2026-12-04T12:00:00Z".parse().unwrap());
        let take = |raw: &str| metadata_time(Some(&MdTime::parse(raw)), arrival);
        let utc = |raw: &str| Some(raw.parse::<DateTime<Utc>>().unwrap());
        // shortly before, other offsets, a little clock skew ahead
        assert_eq!(take("2026-12-04T11:59:58.250Z"), utc("2026-12-04T11:59:58.250Z"));
        assert_eq!(take("2026-12-04T06:30:00-05:00"), utc("2026-12-04T11:30:00Z"));
        assert_eq!(take("2026-12-04T12:00:04Z"), utc("2026-12-04T12:00:04Z"));
        // a stale fixed value, a clock far off, garbage, nothing
        assert_eq!(take("2026-11-25T10:00:00Z"), None);
        assert_eq!(take("2026-12-04T12:01:00Z"), None);
        assert_eq!(take("1970-01-01T00:00:00Z"), None);
        assert_eq!(take("yesterday"), None);
        assert_eq!(metadata_time(None, arrival), None);
    }

    #[test]
    fn which_headers_name_parties_of_a_recording_session() {
        let headers: Vec<(String, String)> = [
            ("From", "<sip:src@192.0.2.1>;tag=1"),
            ("To", "<sip:9999@192.0.2.9>"),
            ("P-Asserted-Identity", "<sip:+14155550100@sbc>"),
            ("Diversion", "<sip:101@pbx>;reason=unconditional"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let named: Vec<String> =
            header_parties(&headers).into_iter().filter(is_party_header).map(|p| p.aor).collect();
        assert_eq!(named, ["sip:+14155550100@sbc", "sip:101@pbx"]);
    }
}
