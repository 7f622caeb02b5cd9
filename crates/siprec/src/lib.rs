//! The SIPREC Session Recording Server inside `callvault serve`: the edge
//! around the sans-IO [`Srs`] core.
//!
//! One task owns the core (and the client transactions for the BYEs the SRS
//! sends). SIP arrives over UDP, TCP and TLS; every transport hands whole
//! messages to that task through one bounded queue (a full queue drops
//! datagrams and counts them, it never grows). Responses go back on the
//! connection a request came on, or by UDP to its source. RTP ports come
//! from `ports::RtpPorts`, which binds each port before the core may
//! announce it. Each answered session runs as a `session::LiveSession` with
//! its own recorder and spool; sessions of one group (failover, a transfer
//! recorded as a new session) share an external id, so the catalog makes
//! them one conversation.
//!
//! **Invariant:** a session's spool is removed only after the vault has its
//! recording. A crash leaves spools plus their sidecars (tenant, group)
//! under `data_dir/siprec-spool/<instance>`; [`recover`] stores them at the
//! next start, marked `cut_by_crash`.

pub mod config;
mod ports;
pub(crate) mod routing;
pub(crate) mod session;
mod vault_gate;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use callvault_model::{ExternalId, TenantId, Timestamp};
use callvault_sip::client::{ClientEvent, ClientTransactions};
use callvault_sip::srs::{
    EndReason, GroupKey, SessionId, SessionStarted, Srs, SrsConfig, SrsEvent,
};
use callvault_sip::{Framing, SipMessage};
use callvault_store::Catalog;
use callvault_vault::clock::EdgeClock;
use callvault_vault::ingest::{ParticipantFacts, RecordingFacts};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use self::ports::RtpPorts;
use self::routing::{RouteInput, route_tenant};
use self::session::{LiveSession, SessionCmd};
use callvault_vault::ingest::Ingestor;
use callvault_vault::instance::Instance;
use callvault_vault::metrics::Metrics;

use crate::config::SipConfig;

/// The SIPREC server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("sip.rtp_ports: {0}")]
    RtpPorts(String),
    #[error("cannot listen for SIP/{transport} on {addr} ({key}): {source}")]
    Listen { transport: &'static str, addr: SocketAddr, key: &'static str, source: std::io::Error },
    #[error("{key} {path}: {reason}")]
    Tls { key: &'static str, path: PathBuf, reason: String },
    #[error("sip.tls_cert / sip.tls_key do not make a usable certificate: {0}")]
    Certificate(String),
    #[error("cannot create {path}: {source}")]
    SpoolDir { path: PathBuf, source: std::io::Error },
}

/// Largest SIP message read from a stream connection.
const MAX_STREAM_MESSAGE: usize = 512 * 1024;
/// Messages waiting for the core at most; beyond, datagrams are dropped.
const QUEUE: usize = 8192;
/// Stream connections at once.
const MAX_CONNECTIONS: usize = 4096;

/// What the session tasks and the core share.
pub(crate) struct Shared {
    pub config: SipConfig,
    pub ingestor: Ingestor,
    pub metrics: Arc<Metrics>,
    pub spool_dir: PathBuf,
    pub core: mpsc::Sender<Input>,
    /// Renders at once (each takes a core).
    pub renders: Arc<tokio::sync::Semaphore>,
    pub stopping: watch::Receiver<bool>,
    /// While the vault is unavailable: one session probes, the rest wait.
    pub vault: vault_gate::VaultGate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    fn via(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }
}

/// Inputs of the core task.
pub(crate) enum Input {
    Message {
        from: SocketAddr,
        bytes: Vec<u8>,
    },
    Opened {
        peer: SocketAddr,
        transport: Transport,
        tx: mpsc::Sender<Vec<u8>>,
    },
    Closed {
        peer: SocketAddr,
    },
    /// A routing lookup finished.
    Routed {
        id: SessionId,
        tenant: Option<(String, TenantId)>,
    },
    /// A session saw no RTP for `rtp_timeout_secs`.
    RtpTimeout {
        id: SessionId,
    },
    /// RTP arrives on a session that is on hold (reported every few
    /// seconds at most): it is not abandoned.
    MediaActivity {
        id: SessionId,
    },
    /// The spool of an offered session was opened.
    Spooled {
        id: SessionId,
        result: Box<std::io::Result<LiveSession>>,
    },
}

/// Where the SRS is reachable, once bound.
#[derive(Debug, Clone)]
pub struct SipEndpoints {
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub tls: Option<SocketAddr>,
    pub advertise: IpAddr,
}

/// The address this host uses towards the default route (no packet is
/// sent), else loopback.
fn default_route_ip(v6: bool) -> IpAddr {
    let (bind, probe) =
        if v6 { ("[::]:0", "[2001:db8::1]:9") } else { ("0.0.0.0:0", "192.0.2.1:9") };
    std::net::UdpSocket::bind(bind)
        .and_then(|s| s.connect(probe).and_then(|_| s.local_addr()))
        .map(|a| a.ip())
        .unwrap_or(if v6 {
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        } else {
            IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        })
}

/// A running SRS: its addresses, and the task to await at shutdown.
pub struct SipServer {
    pub endpoints: SipEndpoints,
    pub task: tokio::task::JoinHandle<()>,
}

/// Dependencies of the SRS from the vault.
#[derive(Clone)]
pub struct SipDeps {
    pub catalog: Arc<dyn Catalog>,
    pub ingestor: Ingestor,
    pub metrics: Arc<Metrics>,
    pub instance: Arc<Instance>,
    pub data_dir: PathBuf,
    pub grace: Duration,
    /// The data_dir's free-space verdict: under its critical watermark new
    /// sessions are answered 503 with Retry-After.
    pub disk: Arc<callvault_vault::disk::DiskGuard>,
}

/// `data_dir/siprec-spool`: one directory per process instance.
pub fn spool_root(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("siprec-spool")
}

/// Binds the SIP sockets and starts the SRS. It runs until `stop` turns
/// true, then ends every session (BYE to the SRC) and stores the
/// recordings.
pub async fn start(
    config: SipConfig,
    deps: SipDeps,
    stop: watch::Receiver<bool>,
) -> Result<SipServer, StartError> {
    let (low, high) = config.rtp_port_range().map_err(StartError::RtpPorts)?;
    let advertise = config.advertise.unwrap_or_else(|| {
        if config.listen.ip().is_unspecified() {
            default_route_ip(config.listen.is_ipv6())
        } else {
            config.listen.ip()
        }
    });
    let listen_error =
        |transport, addr, key| move |source| StartError::Listen { transport, addr, key, source };
    let udp = tokio::net::UdpSocket::bind(config.listen).await.map_err(listen_error(
        "UDP",
        config.listen,
        "sip.listen",
    ))?;
    let udp_addr = udp.local_addr().map_err(listen_error("UDP", config.listen, "sip.listen"))?;
    // TCP on the port UDP got (matters when the configured port is 0).
    let tcp_addr = SocketAddr::new(config.listen.ip(), udp_addr.port());
    let tcp = tokio::net::TcpListener::bind(tcp_addr).await.map_err(listen_error(
        "TCP",
        tcp_addr,
        "sip.listen",
    ))?;
    let tls = match (&config.tls_listen, &config.tls_cert, &config.tls_key) {
        (Some(addr), Some(cert), Some(key)) => {
            let acceptor = tls_acceptor(cert, key)?;
            let l = tokio::net::TcpListener::bind(addr).await.map_err(listen_error(
                "TLS",
                *addr,
                "sip.tls_listen",
            ))?;
            Some((l, acceptor))
        }
        _ => None,
    };
    let endpoints = SipEndpoints {
        udp: udp_addr,
        tcp: tcp.local_addr().map_err(listen_error("TCP", tcp_addr, "sip.listen"))?,
        tls: tls.as_ref().and_then(|(l, _)| l.local_addr().ok()),
        advertise,
    };

    let spool_dir = spool_root(&deps.data_dir).join(deps.instance.id());
    std::fs::create_dir_all(&spool_dir)
        .map_err(|source| StartError::SpoolDir { path: spool_dir.clone(), source })?;
    let (core_tx, core_rx) = mpsc::channel(QUEUE);
    let renders = std::thread::available_parallelism().map_or(2, |n| n.get());
    let shared = Arc::new(Shared {
        config: config.clone(),
        ingestor: deps.ingestor.clone(),
        metrics: deps.metrics.clone(),
        spool_dir,
        core: core_tx.clone(),
        renders: Arc::new(tokio::sync::Semaphore::new(renders)),
        stopping: stop.clone(),
        vault: vault_gate::VaultGate::default(),
    });

    let mut srs_config = SrsConfig::new(
        format!("sip:srs@{}", SocketAddr::new(advertise, udp_addr.port())),
        advertise,
    );
    srs_config.max_sessions = config.max_sessions;
    srs_config.retry_after_secs = config.retry_after_secs;
    srs_config.session_expires = config.session_expires;
    srs_config.min_se = config.min_se;
    srs_config.accept_plain_invites = config.accept_plain_invites;
    srs_config.auto_answer = false;
    srs_config.server_name = Some(format!("callvault/{}", env!("CARGO_PKG_VERSION")));
    srs_config.tag_seed = rand::random();
    srs_config.transactions.max_transactions = config.max_sessions.saturating_mul(4).max(1000);
    let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
    srs_config.hold_timeout = secs(config.hold_timeout_secs);
    srs_config.max_session_duration = secs(config.max_session_secs);
    srs_config.options_ping_interval = secs(config.options_ping_secs);

    let udp = Arc::new(udp);
    tokio::spawn(udp_reader(udp.clone(), core_tx.clone(), deps.metrics.clone()));
    tokio::spawn(tcp_acceptor(tcp, None, core_tx.clone(), deps.metrics.clone()));
    if let Some((l, acceptor)) = tls {
        tokio::spawn(tcp_acceptor(l, Some(acceptor), core_tx.clone(), deps.metrics.clone()));
    }
    let mut tenants = HashMap::new();
    if let Ok(list) = deps.catalog.list_tenants().await {
        for t in list {
            tenants.insert(t.name.clone(), t.id);
        }
    }
    let core = Core {
        srs: Srs::new(srs_config),
        client: ClientTransactions::new(Default::default()),
        // RTP binds where SIP listens (every address when unspecified);
        // the SDP names `advertise`.
        ports: RtpPorts::new(config.listen.ip(), low, high),
        udp,
        endpoints: endpoints.clone(),
        peers: HashMap::new(),
        pending: HashMap::new(),
        sessions: HashMap::new(),
        tenants,
        catalog: deps.catalog.clone(),
        shared,
        tasks: tokio::task::JoinSet::new(),
        outgoing: HashMap::new(),
        local_cseq: HashMap::new(),
        clock: EdgeClock::start(),
        disk: deps.disk.clone(),
    };
    let task = tokio::spawn(core.run(core_rx, stop));
    tracing::info!(
        udp = %endpoints.udp,
        tcp = %endpoints.tcp,
        tls = ?endpoints.tls,
        advertise = %endpoints.advertise,
        rtp_ports = %config.rtp_ports,
        "SIPREC recording server listening"
    );
    Ok(SipServer { endpoints, task })
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, StartError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |key: &'static str, path: &std::path::Path| {
        let path = path.to_owned();
        move |e: rustls::pki_types::pem::Error| StartError::Tls { key, path, reason: e.to_string() }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(tls("sip.tls_cert", cert))?
        .collect::<Result<_, _>>()
        .map_err(tls("sip.tls_cert", cert))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(tls("sip.tls_key", key))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StartError::Certificate(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| StartError::Certificate(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn udp_reader(
    socket: Arc<tokio::net::UdpSocket>,
    core: mpsc::Sender<Input>,
    metrics: Arc<Metrics>,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some systems; never spin.
                tracing::debug!(error = %e, "SIP/UDP receive error");
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let data = &buf[..n];
        if data.iter().all(|b| b.is_ascii_whitespace()) {
            continue; // keep-alive
        }
        match core.try_send(Input::Message { from, bytes: data.to_vec() }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => metrics.sip_drop("queue_full"),
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

async fn tcp_acceptor(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    core: mpsc::Sender<Input>,
    metrics: Arc<Metrics>,
) {
    let limit = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "SIP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            metrics.sip_drop("too_many_connections");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let core = core.clone();
        let metrics = metrics.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => connection(stream, peer, Transport::Tcp, core, metrics).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(s)) => connection(s, peer, Transport::Tls, core, metrics).await,
                        _ => metrics.sip_drop("tls_handshake"),
                    }
                }
            }
        });
    }
}

/// One stream connection: frames messages in, writes what the core sends.
async fn connection<S: AsyncRead + AsyncWrite + Send + 'static>(
    stream: S,
    peer: SocketAddr,
    transport: Transport,
    core: mpsc::Sender<Input>,
    metrics: Arc<Metrics>,
) {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(256);
    if core.send(Input::Opened { peer, transport, tx: tx.clone() }).await.is_err() {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if wr.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16_384];
    'read: loop {
        // An idle connection is closed after 15 minutes (RFC 5626 keep-alives
        // count as traffic).
        let n = match tokio::time::timeout(Duration::from_secs(900), rd.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match callvault_sip::frame(&buf) {
                Framing::Complete(len) => {
                    let msg: Vec<u8> = buf.drain(..len).collect();
                    if core.send(Input::Message { from: peer, bytes: msg }).await.is_err() {
                        break 'read;
                    }
                }
                Framing::KeepAlive(len) => {
                    // A double-CRLF ping gets its CRLF pong (RFC 5626 §3.5.1).
                    let ping = buf.get(..len).is_some_and(|b| b.len() >= 4);
                    buf.drain(..len);
                    if ping {
                        let _ = tx.send(b"\r\n".to_vec()).await;
                    }
                }
                Framing::Incomplete => {
                    if buf.len() > MAX_STREAM_MESSAGE {
                        metrics.sip_drop("oversized");
                        break 'read;
                    }
                    break;
                }
                Framing::Invalid(why) => {
                    tracing::debug!(%peer, why, "unframeable SIP stream; closing");
                    metrics.sip_drop("unframeable");
                    break 'read;
                }
            }
        }
    }
    let _ = core.send(Input::Closed { peer }).await;
    drop(tx);
    let _ = writer.await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    Bye,
    Refresh,
    Ping,
}

struct Peer {
    transport: Transport,
    tx: mpsc::Sender<Vec<u8>>,
}

/// A session answered and recording.
struct Live {
    tx: mpsc::Sender<SessionCmd>,
    group: GroupKey,
}

struct Core {
    srs: Srs,
    client: ClientTransactions,
    ports: RtpPorts,
    udp: Arc<tokio::net::UdpSocket>,
    endpoints: SipEndpoints,
    peers: HashMap<SocketAddr, Peer>,
    /// Offered sessions waiting for their tenant.
    pending: HashMap<SessionId, SessionStarted>,
    sessions: HashMap<SessionId, Live>,
    tenants: HashMap<String, TenantId>,
    catalog: Arc<dyn Catalog>,
    shared: Arc<Shared>,
    tasks: tokio::task::JoinSet<()>,
    /// Requests the SRS sent and awaits answers to: branch → session.
    outgoing: HashMap<String, (SessionId, Outgoing)>,
    /// The SRS's own CSeq in each dialog (RFC 3261 §12.2.1.1).
    local_cseq: HashMap<SessionId, u32>,
    /// The time the SRS and the client transactions run on: monotonic, so
    /// that a step of the wall clock neither holds nor fires their timers.
    clock: EdgeClock,
    /// Whether new sessions may be opened (the data_dir's watermarks).
    disk: Arc<callvault_vault::disk::DiskGuard>,
}

impl Core {
    async fn run(mut self, mut rx: mpsc::Receiver<Input>, mut stop: watch::Receiver<bool>) {
        let mut stopped = Box::pin(async move {
            let _ = stop.wait_for(|s| *s).await;
        });
        loop {
            let deadline = match (self.srs.poll_timeout(), self.client.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let wake = deadline.map(|at| tokio::time::Instant::from_std(self.clock.deadline(at)));
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = rx.recv() => match input {
                    Some(input) => self.handle(input).await,
                    None => break,
                },
                _ = sleep => {
                    let now = self.clock.now();
                    self.srs.handle_timeout(now, &mut self.ports);
                    self.client.handle_timeout(now);
                }
                _ = &mut stopped => break,
            }
            self.flush().await;
        }
        self.shutdown(rx).await;
    }

    async fn handle(&mut self, input: Input) {
        let now = self.clock.now();
        match input {
            Input::Message { from, bytes } => match SipMessage::parse(&bytes) {
                Ok(msg) if msg.status().is_some() => {
                    if !self.client.handle_response(now, &msg) {
                        self.shared.metrics.sip_drop("stray_response");
                        tracing::debug!(%from, "response to nothing we sent");
                    }
                }
                Ok(msg) => {
                    self.srs.set_admission(self.disk.accepting_new_calls());
                    let before = self.srs.stats().clone();
                    self.srs.handle_message(now, from, &msg, &mut self.ports);
                    // What the core could not answer is counted here: every
                    // datagram is either answered or in a counter.
                    let after = self.srs.stats();
                    if after.no_via > before.no_via {
                        self.shared.metrics.sip_drop("no_via");
                        tracing::debug!(%from, "request without a Via dropped");
                    }
                    if after.dropped > before.dropped {
                        self.shared.metrics.sip_drop("stray_or_invalid");
                    }
                    if after.refused_admission > before.refused_admission {
                        self.shared.metrics.sip_session("refused_disk");
                        self.disk.count_refused_call();
                        tracing::warn!(%from, "new SIPREC session refused: data_dir nearly full");
                    }
                }
                Err(_) => {
                    self.shared.metrics.sip_drop("unparsable");
                    self.srs.handle_datagram(now, from, &bytes, &mut self.ports);
                }
            },
            Input::Opened { peer, transport, tx } => {
                self.peers.insert(peer, Peer { transport, tx });
            }
            Input::Closed { peer } => {
                self.peers.remove(&peer);
            }
            Input::Routed { id, tenant } => {
                if let Some((name, t)) = &tenant {
                    self.tenants.insert(name.clone(), *t);
                }
                self.decide(now, id, tenant.map(|(_, t)| t));
            }
            Input::RtpTimeout { id } => {
                let _ = self.srs.end_session(now, id, &mut self.ports);
            }
            Input::MediaActivity { id } => self.srs.media_activity(now, id),
            Input::Spooled { id, result } => self.spooled(now, id, *result),
        }
    }

    /// Answers or refuses an offered session once its tenant is known.
    fn decide(&mut self, now: Timestamp, id: SessionId, tenant: Option<TenantId>) {
        let Some(started) = self.pending.remove(&id) else { return };
        let Some(tenant) = tenant else {
            tracing::warn!(call_id = %started.call_id, src = %started.signalling_peer.ip(), "no tenant route for a SIPREC session; refused with 403 (set sip.default_tenant or sip.routes)");
            self.shared.metrics.sip_session("refused_no_tenant");
            let _ = self.srs.reject(now, id, 403, &mut self.ports);
            return;
        };
        // Opening the spool syncs files: off the core, which must keep
        // answering. The 200 goes out once the spool exists.
        let shared = self.shared.clone();
        let core = self.shared.core.clone();
        let offer = started.clone();
        self.pending.insert(id, started);
        tokio::spawn(async move {
            let result =
                tokio::task::spawn_blocking(move || LiveSession::start(shared, tenant, &offer))
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))
                    .and_then(|r| r);
            let _ = core.send(Input::Spooled { id, result: Box::new(result) }).await;
        });
    }

    /// The spool of an offered session is open (or could not be): answer.
    fn spooled(&mut self, now: Timestamp, id: SessionId, result: std::io::Result<LiveSession>) {
        let session = match result {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot open a spool; SIPREC session refused with 500");
                self.shared.metrics.sip_session("failed");
                self.pending.remove(&id);
                let _ = self.srs.reject(now, id, 500, &mut self.ports);
                return;
            }
        };
        // Cancelled or timed out while the spool was being opened.
        let Some(started) = self.pending.remove(&id) else {
            session.discard();
            return;
        };
        if self.srs.accept(now, id).is_err() {
            session.discard();
            return;
        }
        let sockets: Vec<(u16, std::net::UdpSocket)> = started
            .streams
            .iter()
            .filter_map(|s| self.ports.take_socket(s.local_port).map(|sock| (s.local_port, sock)))
            .collect();
        // Another session of the group is live: this one belongs to the
        // same call however long ago the group's stored sessions ended.
        let mut session = session;
        session.group_active = self.sessions.values().any(|l| l.group == started.group_key);
        let group = started.group_key.clone();
        let (tx, rx) = mpsc::channel(64);
        self.shared.metrics.sip_session("started");
        self.shared.metrics.sip_sessions_active.inc();
        let metrics = self.shared.metrics.clone();
        self.tasks.spawn(async move {
            session.run(started, sockets, rx).await;
            metrics.sip_sessions_active.dec();
        });
        self.sessions.insert(id, Live { tx, group });
    }

    fn route(&mut self, now: Timestamp, started: SessionStarted) {
        let mut addresses: Vec<String> = Vec::new();
        if let Some(Ok(md)) = &started.metadata {
            addresses.extend(md.participants.iter().filter_map(|p| p.aor.clone()));
        }
        addresses.extend(started.streams.iter().filter_map(|s| s.sender.as_ref()?.aor.clone()));
        addresses.extend(started.from.iter().cloned());
        addresses.extend(started.to.iter().cloned());
        let input = RouteInput {
            source: started.signalling_peer.ip(),
            headers: &started.headers,
            addresses: &addresses,
        };
        let name = route_tenant(&self.shared.config, &input);
        let id = started.id;
        self.pending.insert(id, started);
        match name {
            None => self.decide(now, id, None),
            Some(name) => match self.tenants.get(&name) {
                Some(t) => {
                    let t = *t;
                    self.decide(now, id, Some(t));
                }
                None => {
                    // Not cached: look it up without holding up SIP.
                    let catalog = self.catalog.clone();
                    let core = self.shared.core.clone();
                    tokio::spawn(async move {
                        let tenant = match catalog.tenant_by_name(&name).await {
                            Ok(Some(t)) => Some((name, t.id)),
                            Ok(None) => {
                                tracing::warn!(tenant = %name, "SIPREC route names a tenant that does not exist");
                                None
                            }
                            Err(e) => {
                                tracing::error!(error = %e, "tenant lookup failed");
                                None
                            }
                        };
                        let _ = core.send(Input::Routed { id, tenant }).await;
                    });
                }
            },
        }
    }

    async fn flush(&mut self) {
        let now = self.clock.now();
        while let Some(ev) = self.srs.poll_event() {
            match ev {
                SrsEvent::SessionStarted(started) => self.route(now, started),
                SrsEvent::SessionUpdated(update) => {
                    if let Some(live) = self.sessions.get(&update.id) {
                        let sockets: Vec<(u16, std::net::UdpSocket)> = update
                            .streams
                            .iter()
                            .filter_map(|s| {
                                self.ports
                                    .take_socket(s.local_port)
                                    .map(|sock| (s.local_port, sock))
                            })
                            .collect();
                        let _ = live
                            .tx
                            .send(SessionCmd::Update { update: Box::new(update), sockets })
                            .await;
                    }
                }
                SrsEvent::SessionEnded { id, reason, dialog, .. } => {
                    self.pending.remove(&id);
                    log_unusual_end(id, reason);
                    if let Some(live) = self.sessions.remove(&id) {
                        let _ = live.tx.send(SessionCmd::End { reason }).await;
                    }
                    if reason.needs_bye() {
                        self.send_in_dialog(now, id, &dialog, Outgoing::Bye, 0);
                    }
                    self.local_cseq.remove(&id);
                }
                SrsEvent::RefreshDue { id, interval, dialog } => {
                    self.send_in_dialog(now, id, &dialog, Outgoing::Refresh, interval);
                }
                SrsEvent::PingDue { id, dialog } => {
                    self.send_in_dialog(now, id, &dialog, Outgoing::Ping, 0);
                }
            }
        }
        while let Some(t) = self.srs.poll_transmit() {
            self.transmit(t.destination, t.contents).await;
        }
        while let Some(t) = self.client.poll_transmit() {
            self.transmit(t.destination, t.contents).await;
        }
        let mut ended = false;
        while let Some(ev) = self.client.poll_event() {
            let (branch, status) = match &ev {
                ClientEvent::Completed { branch, status } => (branch, Some(*status)),
                ClientEvent::TimedOut { branch } => (branch, None),
            };
            let Some((id, kind)) = self.outgoing.remove(branch) else { continue };
            match kind {
                Outgoing::Bye => {
                    let outcome = if status.is_some() { "answered" } else { "timed_out" };
                    tracing::debug!(session = id.0, outcome, "BYE finished");
                    self.shared
                        .metrics
                        .sip_byes
                        .get_or_create(&callvault_vault::metrics::OutcomeLabels {
                            outcome: outcome.into(),
                        })
                        .inc();
                }
                // RFC 4028 §10: a refresh answered 408 or 481, or not at
                // all, means the session is gone (the core decides).
                Outgoing::Refresh => {
                    if self.srs.refresh_result(now, id, status, &mut self.ports) {
                        tracing::info!(
                            session = id.0,
                            ?status,
                            "session refresh failed; ending the recording session"
                        );
                        ended = true;
                    } else if status.is_some_and(|s| s >= 300) {
                        tracing::warn!(
                            session = id.0,
                            ?status,
                            "the SRC refused a session refresh"
                        );
                    }
                }
                Outgoing::Ping => {
                    if self.srs.ping_result(now, id, status, &mut self.ports) {
                        tracing::info!(
                            session = id.0,
                            ?status,
                            "the SRC did not answer an OPTIONS ping; ending the recording session"
                        );
                        ended = true;
                    }
                }
            }
        }
        if ended {
            Box::pin(self.flush()).await;
        }
    }

    /// Sends a BYE or a session refresh in a session's dialog, through a
    /// client transaction, back the way the SRC's requests came (NAT-safe,
    /// like the responses).
    fn send_in_dialog(
        &mut self,
        now: Timestamp,
        id: SessionId,
        dialog: &callvault_sip::srs::DialogInfo,
        kind: Outgoing,
        interval: u32,
    ) {
        let peer = dialog.signalling_peer;
        let transport = self.peers.get(&peer).map_or(Transport::Udp, |p| p.transport);
        let local = match transport {
            Transport::Udp => self.endpoints.udp.port(),
            Transport::Tcp => self.endpoints.tcp.port(),
            Transport::Tls => self.endpoints.tls.map_or(5061, |a| a.port()),
        };
        let branch = format!("z9hG4bK{:016x}", rand::random::<u64>());
        let host = match self.endpoints.advertise {
            IpAddr::V6(a) => format!("[{a}]"),
            IpAddr::V4(a) => a.to_string(),
        };
        let via = format!("SIP/2.0/{} {host}:{local};branch={branch};rport", transport.via());
        let cseq = self.local_cseq.entry(id).or_insert(0);
        *cseq += 1;
        let cseq = *cseq;
        let request = match kind {
            Outgoing::Bye => dialog.bye(&via, cseq),
            Outgoing::Refresh => {
                dialog.refresh(&via, cseq, interval, &self.srs.config().contact_uri)
            }
            Outgoing::Ping => dialog.options(&via, cseq, &self.srs.config().contact_uri),
        };
        let Some(request) = request else { return };
        if self.client.send(now, peer, request, &branch, transport != Transport::Udp).is_ok() {
            self.outgoing.insert(branch, (id, kind));
        }
    }

    async fn transmit(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        if let Some(peer) = self.peers.get(&to) {
            if peer.tx.try_send(bytes).is_err() {
                self.shared.metrics.sip_drop("connection_backlog");
            }
            return;
        }
        if let Err(e) = self.udp.send_to(&bytes, to).await {
            tracing::debug!(error = %e, %to, "SIP/UDP send failed");
        }
    }

    /// Ends every session (BYE to their SRCs), waits for the BYEs and for
    /// the recordings to be stored, within the shutdown grace.
    async fn shutdown(mut self, mut rx: mpsc::Receiver<Input>) {
        let now = self.clock.now();
        let ids: Vec<SessionId> =
            self.sessions.keys().chain(self.pending.keys()).copied().collect();
        for id in ids {
            let _ = self.srs.end_session(now, id, &mut self.ports);
        }
        self.flush().await;
        let until = tokio::time::Instant::now() + Duration::from_secs(2);
        while !self.client.is_empty() && tokio::time::Instant::now() < until {
            tokio::select! {
                Some(input) = rx.recv() => {
                    if let Input::Message { bytes, .. } = &input
                        && let Ok(msg) = SipMessage::parse(bytes)
                        && msg.status().is_some()
                    {
                        self.client.handle_response(now, &msg);
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    self.client.handle_timeout(self.clock.now());
                }
            }
            self.flush().await;
        }
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One log line for every session that did not end the ordinary way (BYE,
/// CANCEL, refusal, RTP silence): the recording carries the same reason as
/// a flag.
fn log_unusual_end(id: SessionId, reason: EndReason) {
    let why = match reason {
        EndReason::HoldTimeout => "on hold without signalling or media for sip.hold_timeout_secs",
        EndReason::MaxDuration => "reached sip.max_session_secs",
        EndReason::SrcUnreachable => "the SRC no longer answers in the dialog",
        EndReason::OutOfOrderBye => "BYE with an out-of-order CSeq accepted",
        EndReason::NoSdpAnswer => "the ACK carried no SDP answer to the SRS's offer",
        EndReason::NoSdpAnswerInPrack => "the PRACK carried no SDP answer to the SRS's offer",
        EndReason::PrackTimeout => "the reliable 183 was never acknowledged by a PRACK",
        EndReason::SessionTimerExpired => "session timer expired",
        EndReason::AckTimeout => "the 2xx was never acknowledged",
        _ => return,
    };
    tracing::info!(session = id.0, ?reason, why, "recording session ended");
}

/// The background job that stores what dead instances left in their
/// SIPREC spools (the `siprec-recovery` worker): once at start-up, beside
/// the new sessions, which spool elsewhere (under this instance's id).
/// A spool it cannot store yet (the vault is down) stays for the next
/// start; a failed run is tried again a minute later.
pub struct Recovery {
    pub deps: SipDeps,
    pub config: SipConfig,
}

#[async_trait::async_trait]
impl callvault_vault::worker::Worker for Recovery {
    fn name(&self) -> &str {
        "siprec-recovery"
    }

    async fn work(
        &mut self,
    ) -> Result<callvault_vault::worker::Next, callvault_vault::worker::WorkError> {
        let recovered = recover(&self.deps, &self.config).await;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "stored SIPREC recordings an interrupted run left in its spools"
            );
        }
        Ok(callvault_vault::worker::Next::Done)
    }

    async fn wait_for_work(&mut self) {
        callvault_vault::worker::every(Duration::from_secs(60)).await;
    }
}

/// Stores what dead instances left in their SIPREC spools. Returns how many
/// recordings were stored.
pub async fn recover(deps: &SipDeps, config: &SipConfig) -> u64 {
    let root = spool_root(&deps.data_dir);
    let mut stored = 0;
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let modified =
            entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::SystemTime::now());
        if !entry.path().is_dir() || !deps.instance.is_abandoned(&name, modified, deps.grace) {
            continue;
        }
        // Scanning reads and checks every record: a blocking thread's work.
        let dir = entry.path();
        let scanned =
            tokio::task::spawn_blocking(move || callvault_media::recover_spool(&dir)).await;
        let recovered = match scanned {
            Ok(Ok(r)) => r,
            Err(e) => {
                tracing::error!(error = %e, dir = %entry.path().display(), "SIPREC spool scan failed");
                continue;
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, dir = %entry.path().display(), "cannot scan a SIPREC spool directory");
                continue;
            }
        };
        let mut kept = 0;
        for r in recovered {
            if recover_one(deps, config, r).await {
                stored += 1;
            } else {
                kept += 1;
            }
        }
        if kept == 0 {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
    stored
}

async fn recover_one(
    deps: &SipDeps,
    config: &SipConfig,
    r: callvault_media::RecoveredConversation,
) -> bool {
    let callvault_media::RecoveredConversation { path, timeline } = r;
    let sidecar: Option<session::Sidecar> = std::fs::read(session::sidecar_path(&path))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let timeline = match timeline {
        Ok(t) => Arc::new(t),
        Err(e) => {
            tracing::error!(error = %e, spool = %path.display(), "unreadable SIPREC spool kept");
            return false;
        }
    };
    let tenant = match (&sidecar, &config.default_tenant) {
        (Some(s), _) => s.tenant,
        (None, Some(name)) => match deps.catalog.tenant_by_name(name).await {
            Ok(Some(t)) => t.id,
            _ => return false,
        },
        (None, None) => {
            tracing::error!(spool = %path.display(), "SIPREC spool without its sidecar and no sip.default_tenant; kept");
            return false;
        }
    };
    // Rendering is CPU work: on a blocking thread, never on the runtime.
    let to_render = timeline.clone();
    let ingestor = deps.ingestor.clone();
    let gap_min = config.media_gap_min();
    let rendered =
        tokio::task::spawn_blocking(move || session::render(&to_render, &ingestor, gap_min))
            .await
            .unwrap_or_else(|e| {
                Err(session::StageError::Failed(format!("render task failed: {e}")))
            });
    let (staged, (start, duration_ms)) = match rendered {
        Ok(session::Rendered::Audio { staged, span }) => (Some(staged), span),
        // A session cut by a crash before any audio arrived is still a
        // call: kept as a conversation without a recording, never dropped.
        Ok(session::Rendered::Empty) => (None, (Some(timeline.origin.to_utc()), 0)),
        Ok(session::Rendered::Unstaged { error, .. }) => {
            tracing::error!(%error, spool = %path.display(), "cannot stage a recovered SIPREC spool; kept for the next start");
            return false;
        }
        Err(e) => {
            tracing::error!(error = %e, spool = %path.display(), "cannot render a recovered SIPREC spool; kept");
            return false;
        }
    };
    let mut facts = RecordingFacts {
        started_at: start,
        ended_at: start.map(|s| s + chrono::Duration::milliseconds(duration_ms as i64)),
        ..Default::default()
    };
    let mut flags = Vec::new();
    if timeline.cut_by_crash {
        flags.push("cut_by_crash".to_owned());
    }
    if let Some(s) = &sidecar {
        facts.external_ids.push(ExternalId::new("sip_call_id", s.call_id.clone()));
        facts.external_ids.push(ExternalId::new(s.group.0.clone(), s.group.1.clone()));
        if let Some(cs) = &s.siprec_session {
            facts.external_ids.push(ExternalId::new("siprec_session", cs.clone()));
        }
        if s.metadata_error.is_some() {
            flags.push("siprec_metadata_unparsable".to_owned());
        }
        if s.parties_from_headers {
            flags.push("siprec_parties_from_headers".to_owned());
        }
    }
    for p in &timeline.participants {
        if p.label.is_empty() {
            continue;
        }
        let at = |ms: Option<i64>| {
            ms.and_then(|ms| start.map(|s| s + chrono::Duration::milliseconds(ms)))
        };
        facts.participants.push(ParticipantFacts {
            side: p.side.external_or_company(),
            address: Some(p.label.clone()),
            name: None,
            joined_at: at(p.joined_ms),
            left_at: at(p.left_ms),
        });
    }
    // At start-up there is nothing to wait for: a vault that is down keeps
    // the spool for the next start.
    let detail = serde_json::json!({
        "reason": "the process ended before any audio of the session arrived",
        "flags": flags,
    });
    let req = session::request(tenant, timeline.conversation, facts, flags);
    match staged {
        Some(staged) => session::store_once(&deps.ingestor, req, staged, &path).await,
        None => {
            tracing::warn!(spool = %path.display(), "recovered SIPREC spool without audio: stored as a conversation without a recording");
            match deps.ingestor.record_empty_session(req, "no_media", detail).await {
                Ok(_) => {
                    session::remove_spool(&path);
                    true
                }
                Err(e) => {
                    tracing::error!(error = %e, spool = %path.display(), "recovered SIPREC session without audio not stored; spool kept");
                    false
                }
            }
        }
    }
}
