//! The HTTP listener: an accept loop over hyper's HTTP/1.1 connections
//! with a header-read (and keep-alive idle) timeout, a connection cap that
//! sheds the longest-idle connection or refuses cleanly instead of failing
//! `accept`, back-off on descriptor exhaustion, and graceful shutdown.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use tokio::io::AsyncWrite;

use crate::edge::EdgeMetrics;

/// Descriptors kept back from connections for everything else a server
/// opens: the catalog, staging files, store connections, SIP sockets.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Connections chosen to be shed whose tasks have not closed them yet; a
/// burst beyond it is refused rather than let descriptors run out.
const MAX_PENDING_SHEDS: usize = 16;

/// Raise the soft descriptor limit to the hard one (a server that holds
/// thousands of sockets should not stop at a shell's 1024), log both, and
/// return the soft limit now in force, if known.
pub fn raise_descriptor_limit() -> Option<u64> {
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
pub fn connection_cap(configured: usize, nofile: Option<u64>) -> usize {
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
pub struct EdgeSettings {
    /// Connections open at once at most.
    pub cap: usize,
    /// How long a client may take to send a request's head (and how long
    /// an idle keep-alive connection stays open).
    pub header_read_timeout: Duration,
}

/// Accept connections and serve the API on them until `stop`, then let
/// every connection finish its requests (keep-alive off) and return once
/// the last one has closed. The caller bounds that wait by the grace.
pub async fn serve_http(
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
    // HTTP/1.1, and HTTP/2 with prior knowledge (h2c) as `axum::serve`
    // offered: the protocol is told by the connection's first bytes.
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        // The API answers oversized heads itself (problem+json, see
        // `api::edge::oversized_head`); hyper's own limits sit above.
        .max_headers(1000)
        .max_buf_size(256 * 1024);
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(Some(settings.header_read_timeout))
        .keep_alive_timeout(settings.header_read_timeout)
        .max_header_list_size(256 * 1024);
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
        let first_byte = settings.header_read_timeout;
        tokio::spawn(async move {
            // The protocol is told by the first bytes; a client that sends
            // none is held no longer than a slow head would be.
            let mut peek = [0u8; 1];
            let spoke = tokio::select! {
                r = tokio::time::timeout(first_byte, stream.peek(&mut peek)) => {
                    matches!(r, Ok(Ok(n)) if n > 0)
                }
                _ = conn.shed.notified() => false,
            };
            let result = if !spoke {
                metrics.connection("header_timeout");
                None
            } else {
                let connection = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(EdgeIo::new(stream)), service);
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    r = connection.as_mut() => Some(r),
                    _ = conn.shed.notified() => None,
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                        connection.as_mut().graceful_shutdown();
                        Some(connection.as_mut().await)
                    }
                }
            };
            if let Some(Err(e)) = result {
                let timed_out =
                    e.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_timeout);
                if timed_out {
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
