//! What keeps one client from hurting the others at the HTTP edge: a body
//! that stops arriving times out, one tenant's uploads are bounded, request
//! lines and headers are bounded (answered as problem+json), readiness is
//! checked in the background, and the connection figures the accept loop
//! reports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use callvault_model::TenantId;
use futures::StreamExt;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::Problem;

/// Limits of the HTTP edge (`[server]`).
#[derive(Debug, Clone)]
pub struct EdgeLimits {
    /// How long a request body may send nothing before the request ends
    /// with 408 (`server.body_idle_timeout_secs`).
    pub body_idle_timeout: Duration,
    /// Uploads one tenant may have in flight at once
    /// (`server.max_uploads_per_tenant`); beyond it 429.
    pub max_uploads_per_tenant: usize,
    /// Longest request target (path and query) answered; beyond it 414.
    pub max_uri_bytes: usize,
    /// Largest total of header names and values, and most header fields,
    /// answered; beyond either 431.
    pub max_header_bytes: usize,
    pub max_header_count: usize,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            body_idle_timeout: Duration::from_secs(30),
            max_uploads_per_tenant: 32,
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 32 * 1024,
            max_header_count: 100,
        }
    }
}

/// The problem for a request line or header section over the limits, or
/// None. Checked before routing, so that every such request gets the same
/// answer whatever its route.
pub fn oversized_head(req: &axum::extract::Request, limits: &EdgeLimits) -> Option<Problem> {
    let uri = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > limits.max_uri_bytes {
        let mut p = Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "URI too long",
            format!("the request target exceeds {} bytes", limits.max_uri_bytes),
        );
        p.headers.push((header::CONNECTION, HeaderValue::from_static("close")));
        return Some(p);
    }
    let headers = req.headers();
    let bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if headers.len() > limits.max_header_count || bytes > limits.max_header_bytes {
        let mut p = Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "Request header fields too large",
            format!(
                "at most {} header fields of {} bytes in all",
                limits.max_header_count, limits.max_header_bytes
            ),
        );
        p.headers.push((header::CONNECTION, HeaderValue::from_static("close")));
        return Some(p);
    }
    None
}

/// The answer to a request whose body stopped arriving.
pub fn body_timeout_problem(idle: Duration) -> Problem {
    let mut p = Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "Request body timed out",
        format!(
            "no part of the request body arrived for {} s; nothing was stored, send it again",
            idle.as_secs()
        ),
    );
    // What is left of the body will not be read.
    p.headers.push((header::CONNECTION, HeaderValue::from_static("close")));
    p
}

/// `body`, failing with a timeout error when no chunk arrives within `idle`
/// of being asked for (the clock runs only while the handler reads, never
/// while it stores). `timed_out` is raised when that happens, so that the
/// response can say why whatever the handler made of the error.
pub fn idle_timeout_body(body: Body, idle: Duration, timed_out: Arc<AtomicBool>) -> Body {
    let stream = body.into_data_stream();
    let timed = futures::stream::unfold(Some(stream), move |state| {
        let timed_out = timed_out.clone();
        async move {
            let mut stream = state?;
            match tokio::time::timeout(idle, stream.next()).await {
                Ok(Some(item)) => Some((item, Some(stream))),
                Ok(None) => None,
                Err(_) => {
                    timed_out.store(true, Ordering::Release);
                    let err = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no body data for {} s", idle.as_secs()),
                    );
                    Some((Err(axum::Error::new(err)), None))
                }
            }
        }
    });
    Body::from_stream(timed)
}

/// Uploads in flight per tenant, bounded: a tenant at its limit is refused
/// (429) before its body is read, and leaves room for everyone else.
#[derive(Default)]
pub struct TenantSlots {
    in_use: Mutex<HashMap<TenantId, usize>>,
}

/// One upload's place among its tenant's; freed on drop.
pub struct TenantSlot {
    slots: Arc<TenantSlots>,
    tenant: TenantId,
}

impl TenantSlots {
    /// A slot for `tenant`, or None when it already has `limit` uploads.
    pub fn try_acquire(self: &Arc<Self>, tenant: TenantId, limit: usize) -> Option<TenantSlot> {
        let mut in_use = self.in_use.lock().unwrap_or_else(|e| e.into_inner());
        let n = in_use.entry(tenant).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(TenantSlot { slots: self.clone(), tenant })
    }
}

impl Drop for TenantSlot {
    fn drop(&mut self) {
        let mut in_use = self.slots.in_use.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = in_use.get_mut(&self.tenant) {
            *n -= 1;
            if *n == 0 {
                in_use.remove(&self.tenant);
            }
        }
    }
}

/// What `/readyz` answers, as the readiness worker last found it. Checking
/// takes the catalog's write lock on SQLite, so probes read this instead.
#[derive(Default)]
pub struct Readiness {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    /// How old a verdict may be before it no longer counts (the worker is
    /// stuck, or gone).
    pub const STALE_AFTER: Duration = Duration::from_secs(30);

    pub fn record(&self, verdict: Result<(), String>) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), verdict));
    }

    /// Ok when the last check found the vault writable, recently enough.
    pub fn current(&self) -> Result<(), String> {
        match &*self.last.lock().unwrap_or_else(|e| e.into_inner()) {
            None => Err("the first readiness check has not run yet".into()),
            Some((at, _)) if at.elapsed() > Self::STALE_AFTER => {
                Err("the readiness check is overdue".into())
            }
            Some((_, verdict)) => verdict.clone(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConnOutcome {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AcceptError {
    pub kind: String,
}

/// Figures of the HTTP edge, in a registry of their own (appended to
/// `/metrics`).
pub struct EdgeMetrics {
    registry: Registry,
    /// Connections by what became of them: accepted, refused (at the cap,
    /// nothing to shed), shed (idle, closed to make room),
    /// header_timeout (headers not sent in time, or idle too long).
    pub connections: Family<ConnOutcome, Counter>,
    pub connections_open: Gauge,
    /// `accept` failures by kind: emfile (out of descriptors), other.
    pub accept_errors: Family<AcceptError, Counter>,
    /// Requests ended because their body stopped arriving.
    pub body_timeouts: Counter,
    /// Uploads refused because their tenant was at its limit.
    pub tenant_upload_limited: Counter,
    /// 1 while `/readyz` says ready.
    pub ready: Gauge,
}

impl EdgeMetrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("callvault");
        let connections = Family::<ConnOutcome, Counter>::default();
        registry.register(
            "http_connections",
            "HTTP connections by outcome: accepted, refused, shed, header_timeout",
            connections.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "http_connections_open",
            "HTTP connections open now",
            connections_open.clone(),
        );
        let accept_errors = Family::<AcceptError, Counter>::default();
        registry.register(
            "http_accept_errors",
            "Failed accepts by kind: emfile, other",
            accept_errors.clone(),
        );
        let body_timeouts = Counter::default();
        registry.register(
            "http_body_timeouts",
            "Requests ended because their body stopped arriving",
            body_timeouts.clone(),
        );
        let tenant_upload_limited = Counter::default();
        registry.register(
            "uploads_tenant_limited",
            "Uploads refused because their tenant had server.max_uploads_per_tenant in flight",
            tenant_upload_limited.clone(),
        );
        let ready = Gauge::default();
        registry.register("ready", "1 while /readyz answers ready", ready.clone());
        Self {
            registry,
            connections,
            connections_open,
            accept_errors,
            body_timeouts,
            tenant_upload_limited,
            ready,
        }
    }

    pub fn connection(&self, outcome: &str) {
        self.connections.get_or_create(&ConnOutcome { outcome: outcome.to_owned() }).inc();
    }

    pub fn accept_error(&self, kind: &str) {
        self.accept_errors.get_or_create(&AcceptError { kind: kind.to_owned() }).inc();
    }

    /// These figures in OpenMetrics text, without the closing `# EOF`.
    pub fn encode_body(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        strip_eof(&out).to_owned()
    }
}

impl Default for EdgeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// An OpenMetrics text without its closing `# EOF` line.
pub fn strip_eof(text: &str) -> &str {
    text.strip_suffix("# EOF\n").unwrap_or(text)
}
