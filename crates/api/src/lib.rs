//! The HTTP API under `/v1`: JSON, bearer keys, problem+json errors.
#![recursion_limit = "256"]

pub mod assurance;
pub mod auth;
pub mod cursor;
pub mod deliveries;
mod dto;
pub mod edge;
pub mod encryption;
pub mod listener;
mod media;
pub mod openapi;
mod problem;
pub mod readiness;
mod retention;
pub mod session;
pub mod storage;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Multipart, Path, Query, Request,
    State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use callvault_model::*;
use callvault_store::{ApiKey, BlobStore, Catalog, ConversationQuery, KeyRole};
use futures::TryStreamExt;

use crate::auth::KeyCache;
use crate::edge::{EdgeLimits, EdgeMetrics, Readiness, TenantSlots};
use crate::encryption as enc;
use callvault_vault::ingest::{IngestOutcome, IngestRequest, Ingestor, RecordingMetadata};
use callvault_vault::metrics::{HttpLabels, Metrics, RouteLabels};
use dto::*;
pub use problem::Problem;

/// Everything a request handler may use.
pub struct AppState {
    pub catalog: Arc<dyn Catalog>,
    /// The primary store.
    pub store: Arc<BlobStore>,
    /// Every store: downloads read from any verified copy.
    pub stores: Arc<callvault_vault::stores::StoreSet>,
    pub metrics: Arc<Metrics>,
    pub keys: KeyCache,
    pub ingestor: Ingestor,
    pub max_metadata_bytes: usize,
    /// Start-up recovery done and the catalog reachable.
    pub ready: AtomicBool,
    /// The process's background workers (`GET /v1/workers`).
    pub workers: Arc<callvault_vault::worker::Workers>,
    /// Limits of the HTTP edge (timeouts, per-tenant uploads, head sizes).
    pub limits: EdgeLimits,
    /// Uploads in flight by tenant.
    pub uploads: Arc<TenantSlots>,
    /// The readiness worker's last verdict (catalog writable, room to stage).
    pub readiness: Readiness,
    /// Connection and edge figures, appended to `/metrics`.
    pub edge_metrics: Arc<EdgeMetrics>,
    /// Turns audit sequence numbers into tenants' cursors and back.
    pub cursor_key: cursor::CursorKey,
    /// Destinations, deliveries, alerts and signed links; `None` where the
    /// process runs without delivery.
    pub delivery: Option<Arc<deliveries::DeliveryApi>>,
    /// Retention, the trash's grace period and the mass-deletion guard.
    pub retention: callvault_storage::retention::RetentionConfig,
    /// Capacity and the data_dir's watermarks (`GET /v1/storage`).
    pub storage: Option<Arc<storage::StorageApi>>,
    /// The one reader of recordings' audio (decrypting encrypted ones);
    /// its keyring serves `/v1/encryption`.
    pub reader: callvault_vault::encryption::RecordingReader,
    /// Assurance reports and CDR import; `None` where assurance is off.
    pub assurance: Option<Arc<assurance::AssuranceApi>>,
    /// The web console's sessions (`[console]`).
    pub console: session::ConsoleConfig,
}

/// Most audit events one page may hold.
pub const MAX_AUDIT_PAGE: u32 = 1000;

pub type SharedState = Arc<AppState>;

/// The router of the whole HTTP surface.
pub fn router(state: SharedState) -> Router {
    let v1 = Router::new()
        .route("/recordings", post(upload_recording))
        .route("/recordings/{id}", get(get_recording))
        .route("/recordings/{id}/audio", get(get_audio))
        .route("/conversations", get(list_conversations))
        .route("/conversations/{id}", get(get_conversation))
        .route("/tenants", post(create_tenant).get(list_tenants))
        .route("/tenants/{name}/keys", post(create_key).get(list_keys))
        .route("/keys/{id}", delete(revoke_key))
        .route("/audit", get(audit_log))
        .route("/workers", get(list_workers))
        .route("/openapi.json", get(openapi_document))
        .merge(deliveries::v1_routes())
        .merge(retention::v1_routes())
        .merge(storage::v1_routes())
        .route("/encryption", get(enc::status))
        .route("/encryption/tenants/{name}", get(enc::get_tenant).put(enc::set_tenant))
        .route("/encryption/rotate", post(enc::rotate))
        .merge(assurance::v1_routes())
        .merge(media::v1_routes())
        .merge(session::v1_routes())
        .layer(middleware::from_fn(session::renew_cookie))
        // Uploads are limited by `server.max_upload_bytes` while streaming.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(deliveries::link_routes())
        .fallback(|| async { Problem::not_found("route") })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Count and time every request by its route template (never by raw path,
/// which would carry ids and grow the label set without bound), and make
/// every error a problem+json, including the rejections of axum's own
/// extractors (a malformed query, a wrong content type, 405).
async fn observe(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route =
        req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    // Any token is a valid HTTP method: only the standard ones get a label.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let resp = match edge::oversized_head(&req, &state.limits) {
        Some(problem) => problem.into_response(),
        None => {
            let timed_out = Arc::new(AtomicBool::new(false));
            let idle = state.limits.body_idle_timeout;
            let req = req.map(|b| edge::idle_timeout_body(b, idle, timed_out.clone()));
            let resp = next.run(req).await;
            if timed_out.load(Ordering::Acquire) {
                // Whatever the handler made of the cut body (a multipart
                // error, an incomplete upload), the cause is the client's
                // silence.
                state.edge_metrics.body_timeouts.inc();
                tracing::info!(%route, idle_secs = idle.as_secs(), "request body timed out");
                edge::body_timeout_problem(idle).into_response()
            } else {
                as_problem(resp).await
            }
        }
    };
    let status = resp.status().as_u16();
    state
        .metrics
        .http_requests
        .get_or_create(&HttpLabels { method, route: route.clone(), status })
        .inc();
    state
        .metrics
        .http_duration
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    resp
}

/// An error response that is not problem+json yet becomes one, its text as
/// the detail (bounded).
async fn as_problem(resp: Response) -> Response {
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let detail = String::from_utf8_lossy(&text).trim().to_owned();
    let (code, title) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Unsupported media type"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "Request too large"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_body", "Invalid request body"),
        s if s.is_server_error() => ("internal", "Internal error"),
        _ => ("bad_request", "Bad request"),
    };
    let detail = if detail.is_empty() { title.to_owned() } else { detail };
    let mut problem = Problem::new(status, code, title, detail);
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        problem.headers.push((header::ALLOW, allow.clone()));
    }
    problem.into_response()
}

/// The caller: its key, and the console session the request came in (None
/// for a bearer key).
pub struct Caller(pub ApiKey, pub Option<callvault_store::ConsoleSession>);

impl Caller {
    /// The tenant the caller acts as: a tenant key's own, or the tenant an
    /// admin's console session switched to.
    fn tenant(&self) -> Result<TenantId, Problem> {
        match (self.0.role, self.0.tenant_id) {
            (KeyRole::Tenant, Some(t)) => Ok(t),
            (KeyRole::Admin, _) => self
                .1
                .as_ref()
                .and_then(|s| s.tenant_id)
                .ok_or_else(|| Problem::forbidden("this endpoint needs a tenant key")),
            _ => Err(Problem::forbidden("this endpoint needs a tenant key")),
        }
    }

    fn admin(&self) -> Result<(), Problem> {
        match self.0.role {
            KeyRole::Admin => Ok(()),
            KeyRole::Tenant => Err(Problem::forbidden("this endpoint needs an admin key")),
        }
    }

    fn actor(&self) -> String {
        format!("api_key:{}", self.0.id)
    }
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            // No bearer key: a console session's cookie, if any.
            return session::from_cookie(parts, state).await?.ok_or_else(|| {
                Problem::unauthorized("missing Authorization: Bearer <key> (or a console session)")
            });
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| Problem::unauthorized("expected Authorization: Bearer <key>"))?;
        match state.keys.lookup(state.catalog.as_ref(), secret).await? {
            Some(key) => Ok(Caller(key, None)),
            None => {
                tracing::info!("request with an unknown or revoked api key");
                Err(Problem::unauthorized("unknown or revoked api key"))
            }
        }
    }
}

/// A caller with an admin key. Refused in `from_request_parts`, so before
/// any body is read or validated: a tenant key on an admin route is 403
/// whatever its body says.
pub struct Admin(pub Caller);

impl FromRequestParts<SharedState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.admin()?;
        Ok(Admin(caller))
    }
}

/// A caller with a tenant key, refused before the body like [`Admin`].
pub struct TenantCaller {
    pub caller: Caller,
    pub tenant: TenantId,
}

impl FromRequestParts<SharedState> for TenantCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let tenant = caller.tenant()?;
        Ok(TenantCaller { caller, tenant })
    }
}

fn parse_id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, Problem> {
    // A malformed id is as absent as a foreign one: 404, never a hint.
    raw.parse().map_err(|_| Problem::not_found(what))
}

async fn upload_recording(
    State(state): State<SharedState>,
    TenantCaller { caller, tenant }: TenantCaller,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Problem> {
    // One tenant's uploads are bounded before its body is read: a tenant at
    // its limit (stalled clients, a runaway import) leaves room for others.
    let limit = state.limits.max_uploads_per_tenant;
    let Some(_slot) = state.uploads.try_acquire(tenant, limit) else {
        state.edge_metrics.tenant_upload_limited.inc();
        tracing::info!(%tenant, limit, "upload refused: tenant at its concurrent upload limit");
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            "Too many uploads",
            format!("this tenant already has {limit} uploads in flight; retry later"),
        );
        p.headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
        // The body is not read: the connection cannot be reused.
        p.headers.push((header::CONNECTION, HeaderValue::from_static("close")));
        return Err(p);
    };
    let mut multipart = match Multipart::from_request(request, &state).await {
        Ok(m) => m,
        // Made a problem+json by `observe`, as before.
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let idempotency_key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    Problem::bad_request("invalid_header", "Idempotency-Key must be visible ASCII")
                })?
                .to_owned(),
        ),
        None => None,
    };
    // Parts may come in either order: the audio is received into staging
    // first and stored only once the whole request (metadata included) is in.
    let mut metadata: Option<RecordingMetadata> = None;
    let mut received = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        Problem::bad_request("invalid_multipart", format!("malformed multipart body: {e}"))
    })? {
        match field.name() {
            Some("metadata") => {
                if metadata.is_some() {
                    return Err(Problem::bad_request(
                        "invalid_multipart",
                        "only one metadata part per upload",
                    ));
                }
                let text = read_limited(field, state.max_metadata_bytes).await?;
                let parsed: RecordingMetadata = serde_json::from_slice(&text).map_err(|e| {
                    Problem::bad_request("invalid_metadata", format!("metadata is not valid: {e}"))
                })?;
                metadata = Some(parsed);
            }
            Some("audio") => {
                if received.is_some() {
                    return Err(Problem::bad_request(
                        "invalid_multipart",
                        "only one audio part per upload",
                    ));
                }
                let body = field.map_err(|e| std::io::Error::other(e.to_string()));
                received = Some(state.ingestor.receive(body).await?);
            }
            Some(other) => {
                return Err(Problem::bad_request(
                    "invalid_multipart",
                    format!("unexpected part {other:?}; expected \"metadata\" and \"audio\""),
                ));
            }
            None => return Err(Problem::bad_request("invalid_multipart", "a part without a name")),
        }
    }
    let Some(received) = received else {
        return Err(Problem::bad_request("missing_audio", "the upload has no \"audio\" part"));
    };
    let description =
        metadata.unwrap_or_default().describe().inspect_err(|e| state.ingestor.count_error(e))?;
    let req = IngestRequest {
        tenant,
        description,
        idempotency_key,
        source: RecordingSource::Upload,
        actor: caller.actor(),
        flags: Vec::new(),
    };
    let outcome = state.ingestor.commit(req, received).await?;
    let (status, rec) = match &outcome {
        IngestOutcome::Created(r) => (StatusCode::CREATED, r),
        IngestOutcome::Duplicate(r) => (StatusCode::OK, r),
    };
    let mut resp = (status, Json(RecordingDto::from(rec))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/v1/recordings/{}", rec.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    if matches!(outcome, IngestOutcome::Duplicate(_)) {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

async fn read_limited(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, Problem> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        Problem::bad_request("invalid_multipart", format!("malformed multipart body: {e}"))
    })? {
        if buf.len() + chunk.len() > limit {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "metadata_too_large",
                "Metadata too large",
                format!("the metadata part exceeds {limit} bytes"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

async fn get_recording(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RecordingDto>, Problem> {
    let tenant = caller.tenant()?;
    let id: RecordingId = parse_id(&id, "recording")?;
    let rec = state
        .catalog
        .recording(tenant, id)
        .await?
        .ok_or_else(|| Problem::not_found("recording"))?;
    Ok(Json(RecordingDto::from(&rec)))
}

async fn get_audio(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<media::AudioParams>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let tenant = caller.tenant()?;
    let id: RecordingId = parse_id(&id, "recording")?;
    let ask = params.check()?;
    let rec = state
        .catalog
        .recording(tenant, id)
        .await?
        .ok_or_else(|| Problem::not_found("recording"))?;
    if ask.mp3 {
        return media::mp3_audio(&state, &rec, &headers, ask.download).await;
    }
    let size = rec.size_bytes;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(spec) => match parse_range(spec, size) {
            RangeSpec::Satisfiable(r) => Some(r),
            RangeSpec::Ignore => None,
            RangeSpec::Unsatisfiable => {
                let mut p = Problem::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    "Range not satisfiable",
                    format!("the recording has {size} bytes"),
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    p.headers.push((header::CONTENT_RANGE, v));
                }
                return Err(p);
            }
        },
        None => None,
    };
    let read = state.reader.read(&rec, range.clone()).await.map_err(|e| {
        tracing::error!(recording = %rec.id, error = %e, "stored object unreadable");
        match e {
            // Damaged or unusable: retrying will not help, and no byte of
            // it is served.
            callvault_vault::encryption::ReadError::Crypt(_) => {
                Problem::internal("the recording's stored object failed verification")
            }
            _ => Problem::unavailable("the recording's object cannot be read right now"),
        }
    })?;
    let served = read.range.clone();
    let body = Body::from_stream(read.stream.map_err(|e| std::io::Error::other(e.to_string())));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(rec.format.content_type()));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", rec.sha256)) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&(served.end - served.start).to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if let Some(v) = media::disposition(&rec, rec.format.extension(), ask.download) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if range.is_some() {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{}",
            served.start,
            served.end - 1,
            read.size
        )) {
            h.insert(header::CONTENT_RANGE, v);
        }
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp)
}

/// What a `Range` header asks of an object of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeSpec {
    Satisfiable(std::ops::Range<u64>),
    /// Malformed or multi-range: serve the whole object (RFC 9110 allows it).
    Ignore,
    Unsatisfiable,
}

pub fn parse_range(spec: &str, size: u64) -> RangeSpec {
    let Some(set) = spec.trim().strip_prefix("bytes=") else { return RangeSpec::Ignore };
    if set.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((a, b)) = set.trim().split_once('-') else { return RangeSpec::Ignore };
    let (a, b) = (a.trim(), b.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        (true, false) => match parse(b) {
            Some(0) => RangeSpec::Unsatisfiable,
            Some(n) if size > 0 => RangeSpec::Satisfiable(size.saturating_sub(n)..size),
            Some(_) => RangeSpec::Unsatisfiable,
            None => RangeSpec::Ignore,
        },
        (false, _) => {
            let Some(start) = parse(a) else { return RangeSpec::Ignore };
            let end = if b.is_empty() {
                size
            } else {
                match parse(b) {
                    Some(e) if e >= start => e.saturating_add(1).min(size),
                    _ => return RangeSpec::Ignore,
                }
            };
            if start >= size {
                RangeSpec::Unsatisfiable
            } else {
                RangeSpec::Satisfiable(start..end)
            }
        }
        (true, true) => RangeSpec::Ignore,
    }
}

async fn list_conversations(
    State(state): State<SharedState>,
    caller: Caller,
    Query(params): Query<ConversationParams>,
) -> Result<Json<ConversationPage>, Problem> {
    let tenant = caller.tenant()?;
    let query: ConversationQuery = params.into_query()?;
    let page = state.catalog.search_conversations(tenant, &query).await?;
    Ok(Json(ConversationPage::from(page)))
}

async fn get_conversation(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConversationDetailDto>, Problem> {
    let tenant = caller.tenant()?;
    let id: ConversationId = parse_id(&id, "conversation")?;
    let detail = state
        .catalog
        .conversation(tenant, id)
        .await?
        .ok_or_else(|| Problem::not_found("conversation"))?;
    Ok(Json(ConversationDetailDto::from(detail)))
}

async fn create_tenant(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Json(body): Json<NewTenantDto>,
) -> Result<(StatusCode, Json<TenantDto>), Problem> {
    let tenant = state.catalog.create_tenant(&body.name, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(TenantDto::from(tenant))))
}

async fn list_tenants(
    State(state): State<SharedState>,
    _: Admin,
) -> Result<Json<Vec<TenantDto>>, Problem> {
    Ok(Json(state.catalog.list_tenants().await?.into_iter().map(TenantDto::from).collect()))
}

async fn list_workers(
    State(state): State<SharedState>,
    _: Admin,
) -> Result<Json<Vec<WorkerDto>>, Problem> {
    Ok(Json(state.workers.list().into_iter().map(WorkerDto::from).collect()))
}

async fn create_key(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Path(name): Path<String>,
    body: Option<Json<NewKeyDto>>,
) -> Result<(StatusCode, Json<IssuedKeyDto>), Problem> {
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    let label = body.map(|Json(b)| b.label).unwrap_or_default();
    if label.chars().count() > 128 {
        return Err(Problem::bad_request("invalid", "label is longer than 128 characters"));
    }
    let issued =
        auth::issue_key(state.catalog.as_ref(), Some(tenant.id), &label, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedKeyDto { secret: issued.secret, key: KeyDto::from(issued.key) }),
    ))
}

async fn list_keys(
    State(state): State<SharedState>,
    _: Admin,
    Path(name): Path<String>,
) -> Result<Json<Vec<KeyDto>>, Problem> {
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    Ok(Json(
        state.catalog.list_api_keys(Some(tenant.id)).await?.into_iter().map(KeyDto::from).collect(),
    ))
}

async fn revoke_key(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id: ApiKeyId = parse_id(&id, "api key")?;
    state.catalog.revoke_api_key(id, &caller.actor()).await?;
    state.keys.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log, oldest first. Admins see every event with its stored
/// sequence number and page with `after=<seq>`. A tenant sees its own
/// events, each with an opaque `cursor` in place of the global sequence
/// number (whose gaps would show other tenants' activity), and pages with
/// `after=<cursor>`. `limit` is 1 to 1000 (default 100); anything else is
/// 400.
async fn audit_log(
    State(state): State<SharedState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
) -> Result<Json<Vec<serde_json::Value>>, Problem> {
    // An admin console session switched to a tenant sees that tenant's.
    let tenant = caller.tenant().ok();
    let limit = match params.limit {
        None => 100,
        Some(n @ 1..=MAX_AUDIT_PAGE) => n,
        Some(n) => {
            return Err(Problem::bad_request(
                "invalid_limit",
                format!("limit must be 1 to {MAX_AUDIT_PAGE}, not {n}"),
            ));
        }
    };
    let after = match (params.after.as_deref(), tenant) {
        (None, _) => 0,
        (Some(raw), None) => raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Problem::bad_request("invalid_cursor", "after must be a sequence number")
        })?,
        (Some(raw), Some(_)) => state.cursor_key.decode(raw).ok_or_else(|| {
            Problem::bad_request("invalid_cursor", "after must be a cursor from this log")
        })?,
    };
    let events = state.catalog.audit_events(tenant, after, limit).await?;
    let items = events
        .into_iter()
        .map(|e| match tenant {
            None => serde_json::to_value(AuditEventDto::from(e)),
            Some(_) => {
                let cursor = state.cursor_key.encode(e.seq);
                serde_json::to_value(TenantAuditEventDto::new(e, cursor))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Problem::internal(format!("audit event not serializable: {e}")))?;
    Ok(Json(items))
}

async fn openapi_document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi::document().to_string())
}

/// Ready when start-up recovery is done and the readiness worker last
/// found the catalog writable and room to stage uploads. The probe itself
/// costs nothing: on SQLite a write check takes the write lock.
async fn readyz(State(state): State<SharedState>) -> Response {
    if !state.ready.load(Ordering::Acquire) {
        return Problem::unavailable("start-up recovery has not finished").into_response();
    }
    match state.readiness.current() {
        Ok(()) => "ready".into_response(),
        Err(why) => Problem::unavailable(why).into_response(),
    }
}

async fn metrics(State(state): State<SharedState>) -> impl IntoResponse {
    let vault = state.metrics.encode();
    let mut text = edge::strip_eof(&vault).to_owned();
    text.push_str(&state.edge_metrics.encode_body());
    text.push_str("# EOF\n");
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeSpec::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Satisfiable(0..100));
        assert_eq!(parse_range("bytes=900-", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=-100", 1000), Satisfiable(900..1000));
        assert_eq!(parse_range("bytes=-5000", 1000), Satisfiable(0..1000));
        assert_eq!(parse_range("bytes=990-2000", 1000), Satisfiable(990..1000));
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ignore);
        assert_eq!(parse_range("items=0-1", 1000), Ignore);
        assert_eq!(parse_range("bytes=x-", 1000), Ignore);
    }
}
