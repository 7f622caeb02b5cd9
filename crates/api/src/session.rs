//! Web console sessions: an API key traded for a cookie.
//!
//! `POST /v1/session` checks a key and answers with an opaque 256-bit token
//! in the `cv_session` cookie (HttpOnly, SameSite=Strict, Secure unless
//! `[console] insecure_cookies`). The catalog keeps only the token's sha256,
//! the key's id (never the key), the tenant the session acts as and a CSRF
//! token. The [`Caller`] extractor takes a bearer key first, else this
//! cookie; with the cookie, any request other than GET/HEAD/OPTIONS must
//! carry `X-CSRF-Token` (SameSite already keeps other sites' requests from
//! carrying the cookie; the token covers older browsers and same-site
//! attackers). A session ends on sign-out, after `session_idle_secs` without
//! use (sliding), after `session_max_secs` whatever its use, or when its key
//! is revoked. An admin session may switch to a tenant and then acts as it
//! on tenant routes, keeping the admin routes.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use base64::Engine;
use callvault_model::TenantId;
use callvault_store::{ApiKey, ConsoleSession, KeyRole, catalog_time};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::auth::hash_key;
use crate::{Caller, Problem, SharedState};

/// The cookie that carries a console session's token.
pub const COOKIE: &str = "cv_session";
/// The header that carries a session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The `[console]` section: the web console's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Leave `Secure` off the session cookie, for a trial over plain HTTP on
    /// a LAN (browsers accept Secure cookies from http://localhost anyway).
    pub insecure_cookies: bool,
    /// A session unused this long ends (sliding).
    pub session_idle_secs: u64,
    /// A session ends this long after sign-in however it is used.
    pub session_max_secs: u64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self { insecure_cookies: false, session_idle_secs: 3600, session_max_secs: 43_200 }
    }
}

impl ConsoleConfig {
    /// The first invalid setting: its key and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.session_idle_secs == 0 {
            return Err(("session_idle_secs", "must be positive".into()));
        }
        if self.session_max_secs == 0 {
            return Err(("session_max_secs", "must be positive".into()));
        }
        // chrono's durations end at i64::MAX milliseconds; ten years is plenty.
        for (key, v) in [
            ("session_idle_secs", self.session_idle_secs),
            ("session_max_secs", self.session_max_secs),
        ] {
            if v > 10 * 365 * 86_400 {
                return Err((key, "must be at most ten years".into()));
            }
        }
        Ok(())
    }

    fn idle(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.session_idle_secs).unwrap_or(i64::MAX / 1000))
    }

    fn max(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.session_max_secs).unwrap_or(i64::MAX / 1000))
    }

    /// How stale `last_seen_at` may get before a request writes a new one:
    /// a write per minute at most, and well within the idle time.
    fn touch_after(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(
            i64::try_from(self.session_idle_secs.saturating_mul(250).min(60_000)).unwrap_or(60_000),
        )
    }
}

/// The `/v1/session` routes.
pub(crate) fn v1_routes() -> Router<SharedState> {
    Router::new()
        .route("/session", post(sign_in).get(current).delete(sign_out))
        .route("/session/tenant", put(switch_tenant))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInDto {
    key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchDto {
    /// A tenant's name; null for none.
    tenant: Option<String>,
}

/// A tenant as the console names it.
#[derive(Debug, Serialize)]
pub struct SessionTenantDto {
    pub id: TenantId,
    pub name: String,
}

/// What the console knows of its session.
#[derive(Debug, Serialize)]
pub struct SessionDto {
    /// `admin` or `tenant`: the key's role.
    pub role: KeyRole,
    /// The tenant the session acts as.
    pub tenant: Option<SessionTenantDto>,
    /// Every tenant, for an admin's switch; empty for a tenant session.
    pub tenants: Vec<SessionTenantDto>,
    /// To send as `X-CSRF-Token` with every state-changing request.
    pub csrf_token: String,
    /// When the session ends unless used again.
    pub expires_at: DateTime<Utc>,
    /// The first characters of the key signed in with.
    pub key_prefix: String,
}

async fn session_dto(
    state: &SharedState,
    key: &ApiKey,
    session: &ConsoleSession,
) -> Result<SessionDto, Problem> {
    let acting = match key.role {
        KeyRole::Tenant => key.tenant_id,
        KeyRole::Admin => session.tenant_id,
    };
    let tenant = match acting {
        Some(id) => {
            state.catalog.tenant(id).await?.map(|t| SessionTenantDto { id: t.id, name: t.name })
        }
        None => None,
    };
    let tenants = match key.role {
        KeyRole::Admin => state
            .catalog
            .list_tenants()
            .await?
            .into_iter()
            .map(|t| SessionTenantDto { id: t.id, name: t.name })
            .collect(),
        KeyRole::Tenant => Vec::new(),
    };
    Ok(SessionDto {
        role: key.role,
        tenant,
        tenants,
        csrf_token: session.csrf_token.clone(),
        expires_at: session.idle_expires_at.min(session.expires_at),
        key_prefix: key.prefix.clone(),
    })
}

/// 256 random bits, base64url.
fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn invalid_key() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "invalid_key",
        "Invalid key",
        "unknown or revoked api key",
    )
}

/// The `Set-Cookie` value of a session token, alive `max_age` seconds
/// (0 clears it).
fn cookie(state: &SharedState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.console.insecure_cookies { "" } else { " Secure;" };
    let text = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict;{secure} Max-Age={}",
        max_age.max(0)
    );
    // The token is base64url: always a valid header value.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("cv_session=; Max-Age=0"))
}

async fn sign_in(
    State(state): State<SharedState>,
    Json(body): Json<SignInDto>,
) -> Result<Response, Problem> {
    let secret = body.key.trim();
    if !(secret.starts_with("cv_") || secret.starts_with("cva_")) || secret.len() > 128 {
        tracing::info!("console sign-in refused: not an api key");
        return Err(invalid_key());
    }
    // Straight from the catalog, not the key cache: a key revoked a moment
    // ago must not open a session.
    let Some(key) = state.catalog.api_key_by_hash(&hash_key(secret)).await? else {
        tracing::info!("console sign-in refused: unknown or revoked api key");
        return Err(invalid_key());
    };
    let token = random_token();
    let now = catalog_time(Utc::now());
    let expires_at = now + state.console.max();
    let session = ConsoleSession {
        id: hash_key(&token),
        api_key_id: key.id,
        tenant_id: key.tenant_id,
        csrf_token: random_token(),
        created_at: now,
        last_seen_at: now,
        idle_expires_at: (now + state.console.idle()).min(expires_at),
        expires_at,
    };
    let actor = format!("api_key:{}", key.id);
    state.catalog.create_console_session(&session, &actor).await?;
    tracing::info!(api_key = %key.id, prefix = %key.prefix, "console sign-in");
    let dto = session_dto(&state, &key, &session).await?;
    let max_age = (session.idle_expires_at - now).num_seconds();
    let mut resp = (StatusCode::CREATED, Json(dto)).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie(&state, &token, max_age));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// The session that authenticated the request; 401 for a bearer key.
fn session_of(caller: &Caller) -> Result<&ConsoleSession, Problem> {
    caller
        .1
        .as_ref()
        .ok_or_else(|| Problem::unauthorized("this request carries no console session"))
}

async fn current(State(state): State<SharedState>, caller: Caller) -> Result<Response, Problem> {
    let session = session_of(&caller)?;
    let dto = session_dto(&state, &caller.0, session).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(dto)).into_response())
}

async fn sign_out(State(state): State<SharedState>, caller: Caller) -> Result<Response, Problem> {
    let session = session_of(&caller)?;
    state.catalog.delete_console_session(&session.id, &caller.actor()).await?;
    tracing::info!(api_key = %caller.0.id, "console sign-out");
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(resp)
}

async fn switch_tenant(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<SwitchDto>,
) -> Result<Json<SessionDto>, Problem> {
    let session = session_of(&caller)?;
    caller.admin().map_err(|_| Problem::forbidden("only an admin session switches tenants"))?;
    let tenant = match body.tenant.as_deref() {
        Some(name) => Some(
            state
                .catalog
                .tenant_by_name(name)
                .await?
                .ok_or_else(|| Problem::not_found("tenant"))?,
        ),
        None => None,
    };
    let id = tenant.as_ref().map(|t| t.id);
    state.catalog.set_console_session_tenant(&session.id, id, &caller.actor()).await?;
    tracing::info!(api_key = %caller.0.id, tenant = ?id, "console session switched tenant");
    let switched = ConsoleSession { tenant_id: id, ..session.clone() };
    Ok(Json(session_dto(&state, &caller.0, &switched).await?))
}

/// The session routes, their schema and the cookie's security scheme, added
/// to the OpenAPI document.
pub(crate) fn add_openapi(doc: &mut serde_json::Value) {
    use serde_json::json;
    let problems = |codes: &[&str]| {
        let mut map = serde_json::Map::new();
        for code in codes {
            map.insert((*code).to_owned(), json!({
                "description": "Problem details (RFC 9457)",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }));
        }
        serde_json::Value::Object(map)
    };
    let with = |mut ok: serde_json::Value, errors: serde_json::Value| {
        if let (Some(o), serde_json::Value::Object(e)) = (ok.as_object_mut(), errors) {
            o.extend(e);
        }
        ok
    };
    let session =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } });
    let csrf = json!({ "name": "X-CSRF-Token", "in": "header", "required": true,
        "description": "the session's csrf_token (with cookie authentication)", "schema": { "type": "string" } });
    let paths = json!({
        "/v1/session": {
            "post": {
                "summary": "Sign in to the web console: trade an API key for a session cookie",
                "description": "Sets the cv_session cookie (HttpOnly, SameSite=Strict, Secure unless [console] insecure_cookies, \
                    Max-Age the idle time). The key is not kept, only its id. A wrong or revoked key is 401 invalid_key, without a cookie.",
                "security": [],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["key"], "properties": { "key": { "type": "string", "description": "cv_... or cva_..." } } } } } },
                "responses": with(json!({ "201": { "description": "Signed in", "content": session.clone() } }), problems(&["400", "401", "415", "422", "503"]))
            },
            "get": {
                "summary": "The console session of this request's cookie (401 when there is none)",
                "responses": with(json!({ "200": { "description": "The session", "content": session.clone() } }), problems(&["401"]))
            },
            "delete": {
                "summary": "Sign out: end the session and clear the cookie",
                "parameters": [csrf.clone()],
                "responses": with(json!({ "204": { "description": "Signed out" } }), problems(&["401", "403"]))
            }
        },
        "/v1/session/tenant": {
            "put": {
                "summary": "Switch an admin session to a tenant (null: none); it then acts as that tenant on tenant routes",
                "parameters": [csrf],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["tenant"], "properties": { "tenant": { "type": ["string", "null"], "description": "a tenant's name" } } } } } },
                "responses": with(json!({ "200": { "description": "The session", "content": session } }), problems(&["400", "401", "403", "404"]))
            }
        }
    });
    let tenant = json!({ "type": "object", "required": ["id", "name"],
        "properties": { "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" } } });
    let schemas = json!({
        "Session": {
            "type": "object",
            "required": ["role", "tenant", "tenants", "csrf_token", "expires_at", "key_prefix"],
            "properties": {
                "role": { "enum": ["admin", "tenant"] },
                "tenant": { "oneOf": [tenant.clone(), { "type": "null" }], "description": "the tenant the session acts as" },
                "tenants": { "type": "array", "items": tenant, "description": "every tenant (admin sessions only)" },
                "csrf_token": { "type": "string", "description": "send as X-CSRF-Token with every request other than GET/HEAD/OPTIONS" },
                "expires_at": { "type": "string", "format": "date-time", "description": "when the session ends unless used" },
                "key_prefix": { "type": "string" }
            }
        }
    });
    if let (Some(p), serde_json::Value::Object(extra)) =
        (doc.pointer_mut("/paths").and_then(serde_json::Value::as_object_mut), paths)
    {
        p.extend(extra);
    }
    if let (Some(s), serde_json::Value::Object(extra)) =
        (doc.pointer_mut("/components/schemas").and_then(serde_json::Value::as_object_mut), schemas)
    {
        s.extend(extra);
    }
    if let Some(schemes) =
        doc.pointer_mut("/components/securitySchemes").and_then(serde_json::Value::as_object_mut)
    {
        schemes.insert(
            "session".into(),
            json!({ "type": "apiKey", "in": "cookie", "name": COOKIE,
                "description": "the web console's session (POST /v1/session); state-changing requests also need X-CSRF-Token" }),
        );
    }
    doc["security"] = json!([{ "bearer": [] }, { "session": [] }]);
}

/// The value of the `cv_session` cookie, if the request carries one.
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// Equal without a timing hint of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn csrf_refused(detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "csrf", "CSRF token missing or wrong", detail)
}

/// The caller a `cv_session` cookie names; None without the cookie. An
/// unknown, ended or expired session is 401; a state-changing request
/// without the session's CSRF token is 403 `csrf`.
pub(crate) async fn from_cookie(
    parts: &mut Parts,
    state: &SharedState,
) -> Result<Option<Caller>, Problem> {
    let Some(token) = session_token(&parts.headers) else { return Ok(None) };
    let expired = || Problem::unauthorized("the console session has ended; sign in again");
    if token.is_empty()
        || token.len() > 128
        || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(expired());
    }
    let id = hash_key(token);
    let now = catalog_time(Utc::now());
    let Some((key, mut session)) = state.catalog.console_session(&id, now).await? else {
        return Err(expired());
    };
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts.headers.get(CSRF_HEADER).map(HeaderValue::as_bytes);
        match sent {
            None => return Err(csrf_refused("this request needs the X-CSRF-Token header")),
            Some(sent) if !constant_time_eq(sent, session.csrf_token.as_bytes()) => {
                tracing::info!(api_key = %key.id, "request with a wrong CSRF token refused");
                return Err(csrf_refused("the X-CSRF-Token header does not match the session"));
            }
            Some(_) => {}
        }
    }
    if now - session.last_seen_at >= state.console.touch_after() {
        let idle_end = (now + state.console.idle()).min(session.expires_at);
        match state.catalog.touch_console_session(&id, now, idle_end).await {
            Ok(()) => {
                session.last_seen_at = now;
                session.idle_expires_at = session.idle_expires_at.max(idle_end);
                // The browser keeps the cookie as long as the session lives.
                if let Some(slot) = parts.extensions.get::<CookieSlot>() {
                    let max_age = (session.idle_expires_at - now).num_seconds();
                    slot.set(cookie(state, token, max_age));
                }
            }
            // A read goes on with the session as it was; it ends a little
            // sooner, that is all.
            Err(e) => tracing::warn!(error = %e, "console session not touched"),
        }
    }
    // A tenant key's session acts as its own tenant, whatever the row says.
    if key.role == KeyRole::Tenant {
        session.tenant_id = key.tenant_id;
    }
    Ok(Some(Caller(key, Some(session))))
}

/// Where the extractor leaves a renewed session cookie for the response.
#[derive(Clone, Default)]
pub(crate) struct CookieSlot(Arc<Mutex<Option<HeaderValue>>>);

impl CookieSlot {
    fn set(&self, value: HeaderValue) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }

    fn take(&self) -> Option<HeaderValue> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Renew the session cookie's Max-Age when a request slid the session's
/// idle end (unless the handler set the cookie itself, as sign-out does).
pub(crate) async fn renew_cookie(mut req: Request, next: Next) -> Response {
    let slot = CookieSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut resp = next.run(req).await;
    if let Some(value) = slot.take()
        && !resp.headers().contains_key(header::SET_COOKIE)
    {
        resp.headers_mut().insert(header::SET_COOKIE, value);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; cv_session=abc_-9; b=2"));
        assert_eq!(session_token(&h), Some("abc_-9"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::COOKIE, HeaderValue::from_static("cv_session=xyz"));
        assert_eq!(session_token(&h), Some("xyz"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("cv_sessionx=1; xcv_session=2"));
        assert_eq!(session_token(&h), None);
    }

    #[test]
    fn csrf_tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn settings_are_checked() {
        assert!(ConsoleConfig::default().validate().is_ok());
        let zero = ConsoleConfig { session_idle_secs: 0, ..Default::default() };
        assert_eq!(zero.validate().unwrap_err().0, "session_idle_secs");
        let huge = ConsoleConfig { session_max_secs: u64::MAX, ..Default::default() };
        assert_eq!(huge.validate().unwrap_err().0, "session_max_secs");
        // Touches at most once a minute, and several times per idle period.
        assert_eq!(ConsoleConfig::default().touch_after(), chrono::Duration::seconds(60));
        let short = ConsoleConfig { session_idle_secs: 2, ..Default::default() };
        assert_eq!(short.touch_after(), chrono::Duration::milliseconds(500));
    }
}
