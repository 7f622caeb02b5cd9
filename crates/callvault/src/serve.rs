//! `callvault serve`: the composition root. Opens the vault, recovers,
//! starts the background workers, the HTTP API, the SIPREC server and live
//! capture, and stops them in the reverse order on SIGINT/SIGTERM.

use std::collections::HashMap;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use std::time::{Duration, Instant};
use tokio::io::AsyncWrite;

use anyhow::Context;
use callvault_api::AppState;
use callvault_api::edge::{EdgeLimits, EdgeMetrics, Readiness};
use callvault_store::{BlobStore, Catalog};
use callvault_vault::instance::Instance;
use callvault_vault::metrics::Metrics;
use callvault_vault::worker::{Next, WorkError, Worker, Workers, every};
use callvault_vault::{Vault, recovery};

use crate::config::Config;

/// Run the server until SIGINT/SIGTERM, then finish in-flight requests
/// (uploads included) within `server.shutdown_grace_secs`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let nofile = raise_descriptor_limit();
    let vault = Vault::open(config.vault()).await?;
    vault.recover().await.context("start-up recovery failed")?;
    let listen = config.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    let cap = connection_cap(config.server.max_connections, nofile);
    if cap < config.server.max_connections {
        tracing::warn!(
            configured = config.server.max_connections,
            cap,
            descriptors = nofile,
            "server.max_connections lowered to fit the descriptor limit"
        );
    }
    let cursor_path = config.data_dir.join("audit-cursor.key");
    let cursor_key = callvault_api::cursor::CursorKey::load_or_create(&cursor_path)
        .with_context(|| format!("cannot read or create {}", cursor_path.display()))?;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let workers = Workers::new(vault.metrics.clone(), stop_rx.clone());
    spawn_workers(&vault, &workers);
    let edge_metrics = Arc::new(EdgeMetrics::new());
    let state = Arc::new(AppState {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        metrics: vault.metrics.clone(),
        keys: callvault_api::auth::KeyCache::new(Duration::from_secs(config.server.key_cache_secs)),
        ingestor: vault.ingestor(),
        max_metadata_bytes: config.server.max_metadata_bytes,
        ready: AtomicBool::new(false),
        workers: workers.clone(),
        limits: EdgeLimits {
            body_idle_timeout: Duration::from_secs(config.server.body_idle_timeout_secs),
            max_uploads_per_tenant: config.server.max_uploads_per_tenant,
            ..EdgeLimits::default()
        },
        uploads: Default::default(),
        readiness: Readiness::default(),
        edge_metrics: edge_metrics.clone(),
        cursor_key,
    });
    workers.spawn(ReadinessCheck {
        state: state.clone(),
        data_dir: config.data_dir.clone(),
        min_free_bytes: config.server.min_free_disk_mib.saturating_mul(1024 * 1024),
    });
    let sip = if config.sip.enabled {
        let deps = callvault_siprec::SipDeps {
            catalog: vault.catalog.clone(),
            ingestor: vault.ingestor(),
            metrics: vault.metrics.clone(),
            instance: vault.instance.clone(),
            data_dir: config.data_dir.clone(),
            grace: vault.config.recovery_grace,
        };
        let server =
            callvault_siprec::start(config.sip.clone(), deps.clone(), stop_rx.clone()).await?;
        // What a previous process left in its spools, beside the new calls.
        workers.spawn(callvault_siprec::Recovery { deps, config: config.sip.clone() });
        Some(server)
    } else {
        None
    };
    // Live capture (`[capture]`), next to the API until shutdown.
    let live_capture = callvault_capture_driver::spawn_configured(&vault, &config.capture).await?;
    state.ready.store(true, Ordering::Release);
    tracing::info!(
        %listen,
        catalog = vault.catalog.backend(),
        store = vault.store.kind(),
        max_connections = cap,
        "callvault serving"
    );
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let app = callvault_api::router(state.clone());
    let settings = EdgeSettings {
        cap,
        header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
    };
    let http = serve_http(listener, app, edge_metrics, settings, stop_rx.clone());
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut http = std::pin::pin!(http);
    tokio::select! {
        _ = &mut http => {}
        _ = async {
            let _ = stop_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time");
        }
    }
    state.ready.store(false, Ordering::Release);
    if let Some(c) = live_capture {
        c.stop().await;
    }
    if let Some(sip) = sip {
        // The SRS ends its sessions and stores their recordings; what does
        // not finish in time stays in the spools for the next start.
        if tokio::time::timeout(grace, sip.task).await.is_err() {
            tracing::warn!("SIPREC sessions not stored in time; their spools are kept");
        }
    }
    if tokio::time::timeout(grace, workers.join()).await.is_err() {
        tracing::warn!("background workers did not finish their runs in time");
    }
    tracing::info!("stopped");
    Ok(())
}

/// The vault's own background jobs.
fn spawn_workers(vault: &Vault, workers: &Workers) {
    workers.spawn(OrphanScan {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        metrics: vault.metrics.clone(),
    });
    workers.spawn(PeriodicRecovery {
        catalog: vault.catalog.clone(),
        store: vault.store.clone(),
        metrics: vault.metrics.clone(),
        instance: vault.instance.clone(),
        grace: vault.config.recovery_grace,
        first: true,
    });
    workers.spawn(CatalogMaintenance { catalog: vault.catalog.clone() });
    workers.spawn(CatalogTotals { catalog: vault.catalog.clone(), metrics: vault.metrics.clone() });
}

/// Once at start-up: report objects that no row knows (never deleted).
struct OrphanScan {
    catalog: Arc<dyn Catalog>,
    store: Arc<BlobStore>,
    metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for OrphanScan {
    fn name(&self) -> &str {
        "orphan-scan"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let report = recovery::scan_orphans(self.catalog.as_ref(), &self.store).await?;
        self.metrics.orphan_objects.set(i64::try_from(report.orphans.len()).unwrap_or(i64::MAX));
        if report.orphans.is_empty() {
            tracing::info!(
                objects = report.objects_scanned,
                "store scan: every object is known to the catalog"
            );
        } else {
            for key in report.orphans.iter().take(100) {
                tracing::warn!(%key, "object unknown to the catalog");
            }
            tracing::warn!(
                orphans = report.orphans.len(),
                objects = report.objects_scanned,
                "store scan found objects unknown to the catalog; see `callvault fsck`"
            );
        }
        Ok(Next::Done)
    }

    /// A failed scan is tried again an hour later.
    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(3600)).await;
    }
}

/// What other processes (a crashed import) left behind, every 10 minutes.
/// Start-up recovery has just run, so the first run waits too.
struct PeriodicRecovery {
    catalog: Arc<dyn Catalog>,
    store: Arc<BlobStore>,
    metrics: Arc<Metrics>,
    instance: Arc<Instance>,
    grace: Duration,
    first: bool,
}

#[async_trait::async_trait]
impl Worker for PeriodicRecovery {
    fn name(&self) -> &str {
        "recovery"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        if std::mem::take(&mut self.first) {
            return Ok(Next::Idle);
        }
        recovery::recover(
            self.catalog.as_ref(),
            &self.store,
            &self.metrics,
            &self.instance,
            self.grace,
        )
        .await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(600)).await;
    }
}

/// Planner statistics: at start-up, then hourly.
struct CatalogMaintenance {
    catalog: Arc<dyn Catalog>,
}

#[async_trait::async_trait]
impl Worker for CatalogMaintenance {
    fn name(&self) -> &str {
        "catalog-maintenance"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        self.catalog.maintain().await?;
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(3600)).await;
    }
}

/// Catalog totals for the metrics endpoint, every minute.
struct CatalogTotals {
    catalog: Arc<dyn Catalog>,
    metrics: Arc<Metrics>,
}

#[async_trait::async_trait]
impl Worker for CatalogTotals {
    fn name(&self) -> &str {
        "catalog-totals"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let t = self.catalog.totals().await?;
        let m = &self.metrics;
        m.catalog_conversations.set(i64::try_from(t.conversations).unwrap_or(i64::MAX));
        m.catalog_recordings.set(i64::try_from(t.recordings).unwrap_or(i64::MAX));
        m.catalog_recording_bytes.set(i64::try_from(t.recording_bytes).unwrap_or(i64::MAX));
        Ok(Next::Idle)
    }

    async fn wait_for_work(&mut self) {
        every(Duration::from_secs(60)).await;
    }
}

// --- the HTTP edge ---------------------------------------------------------

/// Descriptors kept back from connections for everything else a server
/// opens: the catalog, staging files, store connections, SIP sockets.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Connections chosen to be shed whose tasks have not closed them yet; a
/// burst beyond it is refused rather than let descriptors run out.
const MAX_PENDING_SHEDS: usize = 16;

/// Raise the soft descriptor limit to the hard one (a server that holds
/// thousands of sockets should not stop at a shell's 1024), log both, and
/// return the soft limit now in force, if known.
fn raise_descriptor_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let (Some(soft), hard) = (limit.current, limit.maximum) else {
        tracing::info!("descriptor limit: unlimited");
        return None;
    };
    let target = hard.unwrap_or(soft).max(soft);
    if target > soft {
        let raised = rustix::process::Rlimit { current: Some(target), maximum: hard };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::info!(
                    from = soft,
                    to = target,
                    "raised the descriptor limit (RLIMIT_NOFILE)"
                );
                return Some(target);
            }
            Err(e) => {
                tracing::warn!(soft, hard = target, error = %e, "cannot raise the descriptor limit")
            }
        }
    } else {
        tracing::info!(limit = soft, "descriptor limit (RLIMIT_NOFILE)");
    }
    Some(soft)
}

/// The connection cap that fits `configured` into the descriptor limit:
/// every connection may hold a socket and a staging file, and the rest of
/// the server needs a reserve.
fn connection_cap(configured: usize, nofile: Option<u64>) -> usize {
    let Some(nofile) = nofile else { return configured };
    let fits =
        usize::try_from(nofile.saturating_sub(RESERVED_DESCRIPTORS + MAX_PENDING_SHEDS as u64) / 2)
            .unwrap_or(usize::MAX);
    configured.min(fits).max(1)
}

/// One open connection, as the accept loop sees it.
struct Conn {
    /// Requests being served (a response body still streaming included).
    in_flight: AtomicUsize,
    /// When a request last started or ended, in ms since the edge started.
    last_active_ms: AtomicU64,
    /// Raised to close the connection at once to make room.
    shed: tokio::sync::Notify,
    /// Chosen to be shed, not closed yet.
    shedding: AtomicBool,
    /// Raised when the connection's task has ended (its socket closed).
    gone: tokio::sync::Notify,
}

/// The open connections, capped.
struct Conns {
    cap: usize,
    started: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    /// Wakes the shutdown when the last connection closes.
    closed: tokio::sync::Notify,
}

impl Conns {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Room for one more connection: under the cap, or by shedding the
    /// connection that has been idle longest (no request in flight: one
    /// that never sent a complete request, or a keep-alive one between
    /// requests). Nothing in flight is ever cut.
    ///
    /// A shed connection holds its descriptor until its task runs: at most
    /// [`MAX_PENDING_SHEDS`] may wait so, which bounds the descriptors a
    /// burst of connections can take to the cap plus that.
    fn make_room(&self) -> Admission {
        let open = self.lock();
        if open.len() < self.cap {
            return Admission::Room;
        }
        let pending = open.values().filter(|c| c.shedding.load(Ordering::Acquire)).count();
        if pending >= MAX_PENDING_SHEDS {
            return Admission::Full;
        }
        let idle = open
            .values()
            .filter(|c| {
                c.in_flight.load(Ordering::Acquire) == 0 && !c.shedding.load(Ordering::Acquire)
            })
            .min_by_key(|c| c.last_active_ms.load(Ordering::Acquire));
        match idle {
            Some(c) => {
                c.shedding.store(true, Ordering::Release);
                c.shed.notify_one();
                Admission::Shed(c.clone())
            }
            None => Admission::Full,
        }
    }

    fn insert(&self) -> (u64, Arc<Conn>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(self.now_ms()),
            shed: tokio::sync::Notify::new(),
            shedding: AtomicBool::new(false),
            gone: tokio::sync::Notify::new(),
        });
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        let mut open = self.lock();
        open.remove(&id);
        if open.is_empty() {
            self.closed.notify_waiters();
        }
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

enum Admission {
    Room,
    /// Room once this connection has closed.
    Shed(Arc<Conn>),
    Full,
}

/// A request in flight on a connection: counted from the call until its
/// response body has been sent or dropped.
struct Active {
    conns: Arc<Conns>,
    conn: Arc<Conn>,
}

impl Active {
    fn new(conns: Arc<Conns>, conn: Arc<Conn>) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.last_active_ms.store(conns.now_ms(), Ordering::Release);
        Self { conns, conn }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.conn.last_active_ms.store(self.conns.now_ms(), Ordering::Release);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in flight.
struct CountedBody {
    inner: axum::body::Body,
    _active: Active,
}

impl http_body::Body for CountedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, with hyper's own error answers (a request line or header
/// section it cannot parse or hold: 400, 414, 431, sent with an empty body
/// before any service runs) rewritten as the API's problem+json. Our own
/// error responses always have a body, so an empty one is hyper's.
struct EdgeIo {
    inner: tokio::net::TcpStream,
    /// The rewritten answer still to send, and the length of hyper's.
    rewrite: Option<(Vec<u8>, usize)>,
}

impl EdgeIo {
    fn new(inner: tokio::net::TcpStream) -> Self {
        Self { inner, rewrite: None }
    }

    fn problem_for(buf: &[u8]) -> Option<Vec<u8>> {
        let head = std::str::from_utf8(buf.get(..buf.len().min(512))?).ok()?;
        if !head.ends_with("\r\n\r\n")
            || !head.to_ascii_lowercase().contains("\r\ncontent-length: 0\r\n")
        {
            return None;
        }
        let (status, code, title, detail) = if head.starts_with("HTTP/1.1 431 ") {
            (
                431,
                "headers_too_large",
                "Request header fields too large",
                "the request's header section is too large",
            )
        } else if head.starts_with("HTTP/1.1 414 ") {
            (414, "uri_too_long", "URI too long", "the request target is too long")
        } else if head.starts_with("HTTP/1.1 400 ") {
            (400, "bad_request", "Bad request", "the request is not valid HTTP/1.1")
        } else {
            return None;
        };
        let body = serde_json::json!({
            "type": format!("https://callvault.dev/problems/{}", code.replace('_', "-")),
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        })
        .to_string();
        let reason = &head[13..head.find("\r\n")?];
        Some(
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// Send the rewritten answer; Ready(n) once all of it is out, n being
    /// what hyper asked to write.
    fn poll_rewrite(&mut self, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<usize>> {
        while let Some((pending, _)) = &mut self.rewrite {
            if pending.is_empty() {
                break;
            }
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, pending))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            pending.drain(..n);
        }
        let claimed = self.rewrite.take().map_or(0, |(_, n)| n);
        Poll::Ready(Ok(claimed))
    }
}

impl tokio::io::AsyncRead for EdgeIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for EdgeIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.rewrite.is_none()
            && let Some(problem) = Self::problem_for(buf)
        {
            self.rewrite = Some((problem, buf.len()));
        }
        if self.rewrite.is_some() {
            return self.poll_rewrite(cx);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        // hyper's error answers are one buffer: a head without a body.
        let single = bufs.iter().filter(|b| !b.is_empty()).count() == 1;
        if single && self.rewrite.is_none() {
            let first = bufs.iter().find(|b| !b.is_empty()).map(|b| &b[..]).unwrap_or(&[]);
            if let Some(problem) = Self::problem_for(first) {
                self.rewrite = Some((problem, first.len()));
            }
        }
        if self.rewrite.is_some() {
            return self.poll_rewrite(cx);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How the HTTP edge runs.
struct EdgeSettings {
    cap: usize,
    header_read_timeout: Duration,
}

/// Accept connections and serve the API on them until `stop`, then let
/// every connection finish its requests (keep-alive off) and return once
/// the last one has closed. The caller bounds that wait by the grace.
async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    metrics: Arc<EdgeMetrics>,
    settings: EdgeSettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let conns = Arc::new(Conns {
        cap: settings.cap,
        started: Instant::now(),
        next_id: AtomicU64::new(0),
        open: Mutex::new(HashMap::new()),
        closed: tokio::sync::Notify::new(),
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        // The API answers oversized heads itself (problem+json, see
        // `api::edge::oversized_head`); hyper's own limits sit above.
        .max_headers(1000)
        .max_buf_size(256 * 1024);
    let builder = Arc::new(builder);
    let mut emfile_logged: Option<Instant> = None;
    let refusal = refusal_response();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of descriptors (or kernel memory): back off briefly
                // and try again; the connections open now will close. Other
                // errors concern one connection (reset before accept).
                let exhausted = matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12));
                metrics.accept_error(if exhausted { "emfile" } else { "other" });
                if exhausted {
                    if emfile_logged.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                        tracing::error!(error = %e, open = conns.lock().len(), "cannot accept: out of descriptors; backing off");
                        emfile_logged = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                } else {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                continue;
            }
        };
        match conns.make_room() {
            Admission::Room => {}
            Admission::Shed(shed) => {
                metrics.connection("shed");
                // Its descriptor is free only once its task has run: wait
                // for that (briefly), so that a burst cannot outrun it.
                let _ = tokio::time::timeout(Duration::from_secs(1), shed.gone.notified()).await;
            }
            Admission::Full => {
                // Every connection is busy: refuse this one at once, with
                // an answer if the socket takes it without waiting.
                metrics.connection("refused");
                let _ = stream.try_write(&refusal);
                drop(stream);
                continue;
            }
        }
        metrics.connection("accepted");
        let _ = stream.set_nodelay(true);
        let (id, conn) = conns.insert();
        metrics.connections_open.inc();
        let service = {
            let (app, conns, conn) = (app.clone(), conns.clone(), conn.clone());
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let active = Active::new(conns.clone(), conn.clone());
                let app = app.clone();
                async move {
                    let resp =
                        tower::ServiceExt::oneshot(app, req.map(axum::body::Body::new)).await;
                    resp.map(|r| {
                        r.map(|b| axum::body::Body::new(CountedBody { inner: b, _active: active }))
                    })
                }
            })
        };
        let (builder, conns, metrics, mut stop) =
            (builder.clone(), conns.clone(), metrics.clone(), stop.clone());
        tokio::spawn(async move {
            let connection = builder
                .serve_connection(hyper_util::rt::TokioIo::new(EdgeIo::new(stream)), service);
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                r = connection.as_mut() => Some(r),
                _ = conn.shed.notified() => None,
                _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                    connection.as_mut().graceful_shutdown();
                    Some(connection.as_mut().await)
                }
            };
            if let Some(Err(e)) = result {
                if e.is_timeout() {
                    metrics.connection("header_timeout");
                } else {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            metrics.connections_open.dec();
            conns.remove(id);
            conn.gone.notify_one();
        });
    }
    drop(listener);
    // Keep-alive is off for every connection now; wait for them to close.
    loop {
        let closed = conns.closed.notified();
        if conns.is_empty() {
            break;
        }
        closed.await;
    }
}

/// What a connection refused at the cap is told before it is closed.
fn refusal_response() -> Vec<u8> {
    let body = serde_json::json!({
        "type": "https://callvault.dev/problems/unavailable",
        "title": "Service unavailable",
        "status": 503,
        "detail": "the server is at its connection limit (server.max_connections); retry later",
        "code": "unavailable",
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What `/readyz` says, checked every few seconds: the catalog takes a
/// write (on SQLite this takes the write lock, so probes never run it
/// themselves) and the data_dir's file system has room to stage uploads.
struct ReadinessCheck {
    state: Arc<AppState>,
    data_dir: PathBuf,
    min_free_bytes: u64,
}

impl ReadinessCheck {
    const EVERY: Duration = Duration::from_secs(3);
    const TIMEOUT: Duration = Duration::from_secs(10);

    async fn verdict(&self) -> Result<(), String> {
        match tokio::time::timeout(Self::TIMEOUT, self.state.catalog.check_writable()).await {
            Err(_) => return Err("the catalog did not take a write in time".into()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "not ready: the catalog cannot write");
                return Err("the catalog cannot write".into());
            }
            Ok(Ok(())) => {}
        }
        let dir = self.data_dir.clone();
        let free = tokio::task::spawn_blocking(move || {
            rustix::fs::statvfs(&dir).map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        })
        .await
        .map_err(|e| format!("disk check failed: {e}"))?;
        match free {
            Ok(free) if free < self.min_free_bytes => {
                tracing::warn!(
                    free,
                    min = self.min_free_bytes,
                    "not ready: data_dir is nearly full"
                );
                Err(format!(
                    "data_dir has {} MiB free, under server.min_free_disk_mib",
                    free / (1024 * 1024)
                ))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "not ready: cannot check data_dir's free space");
                Err("cannot check data_dir's free space".into())
            }
        }
    }
}

#[async_trait::async_trait]
impl Worker for ReadinessCheck {
    fn name(&self) -> &str {
        "readiness"
    }

    async fn work(&mut self) -> Result<Next, WorkError> {
        let verdict = self.verdict().await;
        self.state.edge_metrics.ready.set(i64::from(verdict.is_ok()));
        let failed = verdict.clone().err();
        self.state.readiness.record(verdict);
        match failed {
            // A failed check is the worker's error too: counted, listed.
            Some(why) => Err(why.into()),
            None => Ok(Next::Idle),
        }
    }

    async fn wait_for_work(&mut self) {
        every(Self::EVERY).await;
    }
}

/// Resolves at the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
