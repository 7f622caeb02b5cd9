//! Destinations, deliveries, alerts and signed links.
//!
//! Secrets a destination holds (SMTP passwords, tokens, webhook secrets)
//! are write-only: requests may set them, no response carries them; a
//! response lists only the names of the secrets that are set.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callvault_delivery::channel::Event;
use callvault_delivery::config::DeliverySection;
use callvault_delivery::filter::Filter;
use callvault_delivery::media_service::{LinkRequest, MediaService, ServeError};
use callvault_delivery::runner::{CatalogLinkKeys, Channels, MediaFactory, test_destination};
use callvault_model::{ConversationId, TenantId};
use callvault_store::{
    Alert, AlertScope, Delivery, DeliveryAttempt, DeliveryQuery, DeliveryState, Destination,
    DestinationUpdate, NewDestination,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{Caller, Problem, SharedState, TenantCaller, parse_id};

/// What the delivery endpoints need besides the catalog.
pub struct DeliveryApi {
    pub channels: Arc<Channels>,
    pub media: Arc<dyn MediaFactory>,
    pub links: Arc<MediaService>,
    /// Wakes this process's runner (after a manual retry).
    pub wake: Option<Arc<tokio::sync::Notify>>,
    pub defaults: DeliverySection,
}

pub(crate) fn v1_routes() -> Router<SharedState> {
    let one = get(get_destination).patch(update_destination).delete(delete_destination);
    Router::new()
        .route("/destinations", post(create_destination).get(list_destinations))
        .route("/destinations/{id}", one)
        .route("/destinations/{id}/test", post(test_destination_route))
        .route("/deliveries", get(list_deliveries))
        .route("/deliveries/summary", get(delivery_summary))
        .route("/deliveries/{id}", get(get_delivery))
        .route("/deliveries/{id}/retry", post(retry_delivery))
        .route("/conversations/{id}/deliveries", get(conversation_deliveries))
        .route("/alerts", get(list_alerts))
        .route("/alerts/{id}/resolve", post(resolve_alert))
}

/// `GET /links/{file}?d=&e=&s=`: signed links, no API key.
pub(crate) fn link_routes() -> Router<SharedState> {
    Router::new().route("/links/{file}", get(serve_link))
}

fn api(state: &SharedState) -> Result<&DeliveryApi, Problem> {
    state.delivery.as_deref().ok_or_else(|| Problem::unavailable("delivery is not enabled here"))
}

// --- DTOs -------------------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct DestinationDto {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub events: Vec<String>,
    pub config: Value,
    /// The names of the secrets that are set; never their values.
    pub secrets_set: Vec<String>,
    pub filters: Value,
    pub max_age_secs: u64,
    pub link_ttl_secs: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Destination> for DestinationDto {
    fn from(d: Destination) -> Self {
        let mut secrets_set: Vec<String> = match &d.secrets {
            Value::Object(map) => {
                map.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k.clone()).collect()
            }
            _ => Vec::new(),
        };
        secrets_set.sort();
        Self {
            id: d.id,
            name: d.name,
            kind: d.kind,
            enabled: d.enabled,
            disabled_reason: d.disabled_reason,
            events: d.events,
            config: d.config,
            secrets_set,
            filters: d.filters,
            max_age_secs: d.max_age_secs,
            link_ttl_secs: d.link_ttl_secs,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDestinationDto {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub secrets: Value,
    #[serde(default)]
    pub filters: Value,
    #[serde(default)]
    pub max_age_secs: Option<u64>,
    #[serde(default)]
    pub link_ttl_secs: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DestinationPatchDto {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub events: Option<Vec<String>>,
    pub config: Option<Value>,
    pub secrets: Option<Value>,
    pub filters: Option<Value>,
    pub max_age_secs: Option<u64>,
    pub link_ttl_secs: Option<u64>,
    #[serde(default)]
    pub rotate_link_key: bool,
}

#[derive(Debug, Serialize)]
pub struct DeliveryDto {
    pub id: Uuid,
    pub destination_id: Uuid,
    pub destination_kind: String,
    pub event: String,
    pub conversation_id: Option<ConversationId>,
    pub recording_id: Option<Uuid>,
    pub alert_id: Option<Uuid>,
    pub state: &'static str,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub last_status: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AttemptDto>>,
}

impl From<Delivery> for DeliveryDto {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            destination_id: d.destination_id,
            destination_kind: d.destination_kind,
            event: d.event,
            conversation_id: d.conversation_id,
            recording_id: d.recording_id.map(|r| r.0),
            alert_id: d.alert_id,
            state: d.state.as_str(),
            attempts: d.attempts,
            due_at: d.due_at,
            last_error: d.last_error,
            last_status: d.last_status,
            created_at: d.created_at,
            updated_at: d.updated_at,
            finished_at: d.finished_at,
            history: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AttemptDto {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub status: Option<String>,
    pub error: Option<String>,
}

impl From<DeliveryAttempt> for AttemptDto {
    fn from(a: DeliveryAttempt) -> Self {
        Self { attempt: a.attempt, at: a.at, outcome: a.outcome, status: a.status, error: a.error }
    }
}

/// One destination's deliveries not through yet (`GET /v1/deliveries/summary`).
#[derive(Debug, Serialize)]
pub struct DestinationBacklogDto {
    pub destination_id: Uuid,
    /// The destination's name; None when it was deleted.
    pub name: Option<String>,
    pub kind: String,
    pub pending: u64,
    pub in_flight: u64,
    pub retry_wait: u64,
    pub dead: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryDto>,
    /// Pass as `before` for the next (older) page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AlertDto {
    pub id: Uuid,
    pub tenant_id: Option<TenantId>,
    pub kind: String,
    pub subject: String,
    pub severity: String,
    pub message: String,
    pub detail: Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub count: u64,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<Alert> for AlertDto {
    fn from(a: Alert) -> Self {
        Self {
            id: a.id,
            tenant_id: a.tenant_id,
            kind: a.kind,
            subject: a.subject,
            severity: a.severity,
            message: a.message,
            detail: a.detail,
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            count: a.count,
            resolved_at: a.resolved_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TestOutcomeDto {
    /// delivered, verified, retry, dead, no_match, disable_destination.
    pub outcome: &'static str,
    pub status: Option<String>,
    pub error: Option<String>,
}

// --- validation ---------------------------------------------------------------

/// The events a kind takes by default.
pub fn default_events(kind: &str) -> Vec<String> {
    let events: &[&str] = match kind {
        "webhook" => &["conversation.settled", "conversation.updated", "alert"],
        "email" => &["conversation.settled"],
        "bucket" => &["conversation.settled", "conversation.updated"],
        _ => &["conversation.settled", "conversation.updated"],
    };
    events.iter().map(|e| (*e).to_owned()).collect()
}

/// Check a destination's settings against its channel; `system` allows
/// `alert.system` (operators only: the CLI or an admin key).
pub fn validate_destination(
    channels: &Channels,
    kind: &str,
    events: &[String],
    config: &Value,
    secrets: &Value,
    filters: &Value,
    system: bool,
) -> Result<(), Problem> {
    let channel = channels.get(kind).ok_or_else(|| {
        let mut kinds: Vec<&str> = channels.keys().copied().collect();
        kinds.sort();
        Problem::bad_request(
            "unknown_kind",
            format!("kind {kind:?} is not one of {}", kinds.join(", ")),
        )
    })?;
    if events.is_empty() {
        return Err(Problem::bad_request("invalid_events", "events must name at least one event"));
    }
    for e in events {
        let Some(event) = Event::parse(e) else {
            return Err(Problem::bad_request("invalid_events", format!("unknown event {e:?}")));
        };
        if event == Event::Test {
            return Err(Problem::bad_request(
                "invalid_events",
                "test deliveries are made with POST /v1/destinations/{id}/test",
            ));
        }
        if event == Event::SystemAlert && !system {
            return Err(Problem::forbidden("only an operator may subscribe to alert.system"));
        }
    }
    if !config.is_object() && !config.is_null() {
        return Err(Problem::bad_request("invalid_config", "config must be a JSON object"));
    }
    if !secrets.is_object() && !secrets.is_null() {
        return Err(Problem::bad_request("invalid_secrets", "secrets must be a JSON object"));
    }
    channel.validate(config, secrets).map_err(|m| Problem::bad_request("invalid_config", m))?;
    Filter::from_json(filters)
        .map_err(|e| Problem::bad_request("invalid_filters", e.to_string()))?;
    Ok(())
}

/// The config keys that name a host callvault connects to.
const TARGET_KEYS: &[&str] =
    &["url", "host", "base_url", "webhook_url", "portal_url", "oauth_url", "endpoint"];

/// Refuse destinations aimed at internal addresses (loopback, private,
/// link-local, unique-local, unspecified, carrier-grade NAT), by literal
/// address or by what the name resolves to now, unless the operator allows
/// them (`delivery.allow_private_targets`).
pub async fn check_targets(config: &Value, allow_private: bool) -> Result<(), Problem> {
    if allow_private {
        return Ok(());
    }
    for key in TARGET_KEYS {
        let Some(raw) = config.get(*key).and_then(Value::as_str) else { continue };
        let host = match raw.split_once("://") {
            Some((_, rest)) => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                let authority = authority.rsplit('@').next().unwrap_or(authority);
                if let Some(v6) = authority.strip_prefix('[') {
                    v6.split(']').next().unwrap_or("").to_owned()
                } else {
                    authority.split(':').next().unwrap_or("").to_owned()
                }
            }
            None => raw.to_owned(),
        };
        if host.is_empty() {
            continue;
        }
        let refused = || {
            Problem::bad_request(
                "internal_target",
                format!(
                    "config.{key} points at an internal address; an operator may allow that \
                     with delivery.allow_private_targets"
                ),
            )
        };
        if host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") {
            return Err(refused());
        }
        let addrs: Vec<std::net::IpAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::lookup_host((host.as_str(), 443)),
            )
            .await
            {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                // A name that does not resolve now is refused by nothing
                // here: the channel reports it at delivery time.
                _ => Vec::new(),
            },
        };
        if addrs.iter().any(|ip| is_internal(*ip)) {
            return Err(refused());
        }
    }
    Ok(())
}

fn is_internal(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(std::net::IpAddr::V4(v4)))
        }
    }
}

fn check_name(name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(Problem::bad_request("invalid_name", "name must have 1 to 100 characters"));
    }
    Ok(())
}

// --- handlers -----------------------------------------------------------------

/// The caller's tenant's destination named by a path id (404 otherwise).
async fn tenant_destination(
    state: &SharedState,
    t: &TenantCaller,
    raw_id: &str,
) -> Result<Destination, Problem> {
    let id: Uuid = parse_id(raw_id, "destination")?;
    state
        .catalog
        .get_destination(Some(t.tenant), id)
        .await?
        .ok_or_else(|| Problem::not_found("destination"))
}

async fn create_destination(
    State(state): State<SharedState>,
    t: TenantCaller,
    Json(body): Json<NewDestinationDto>,
) -> Result<(StatusCode, Json<DestinationDto>), Problem> {
    let api = api(&state)?;
    check_name(&body.name)?;
    let events = body.events.unwrap_or_else(|| default_events(&body.kind));
    let config =
        if body.config.is_null() { Value::Object(Default::default()) } else { body.config };
    let secrets =
        if body.secrets.is_null() { Value::Object(Default::default()) } else { body.secrets };
    validate_destination(
        &api.channels,
        &body.kind,
        &events,
        &config,
        &secrets,
        &body.filters,
        false,
    )?;
    let new = NewDestination {
        tenant_id: t.tenant,
        name: body.name,
        link_ttl_secs: body.link_ttl_secs.unwrap_or_else(|| api.defaults.link_ttl_for(&body.kind)),
        kind: body.kind,
        enabled: body.enabled.unwrap_or(true),
        events,
        config,
        secrets,
        filters: body.filters,
        max_age_secs: body.max_age_secs.unwrap_or(api.defaults.max_age_secs),
    };
    let created = state.catalog.create_destination(new, &t.caller.actor(), Utc::now()).await?;
    tracing::info!(destination = %created.id, kind = %created.kind, actor = %t.caller.actor(), "destination created");
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Per destination, how many of the tenant's deliveries are pending, in
/// flight, waiting for a retry or dead, with the latest error: exact counts
/// whatever the backlog, for the console's deliveries board.
async fn delivery_summary(
    State(state): State<SharedState>,
    t: TenantCaller,
) -> Result<Json<Vec<DestinationBacklogDto>>, Problem> {
    let backlog = state.catalog.delivery_backlog(t.tenant).await?;
    let names: std::collections::HashMap<Uuid, String> = state
        .catalog
        .list_destinations(t.tenant)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    Ok(Json(
        backlog
            .into_iter()
            .map(|b| DestinationBacklogDto {
                name: names.get(&b.destination_id).cloned(),
                destination_id: b.destination_id,
                kind: b.destination_kind,
                pending: b.pending,
                in_flight: b.in_flight,
                retry_wait: b.retry_wait,
                dead: b.dead,
                last_error_at: b.last_error.as_ref().map(|e| e.0),
                last_error: b.last_error.map(|e| e.1),
            })
            .collect(),
    ))
}

async fn list_destinations(
    State(state): State<SharedState>,
    t: TenantCaller,
) -> Result<Json<Vec<DestinationDto>>, Problem> {
    let list = state.catalog.list_destinations(t.tenant).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

async fn get_destination(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<Json<DestinationDto>, Problem> {
    let d = tenant_destination(&state, &t, &id).await?;
    Ok(Json(d.into()))
}

async fn update_destination(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
    Json(body): Json<DestinationPatchDto>,
) -> Result<Json<DestinationDto>, Problem> {
    let api = api(&state)?;
    let current = tenant_destination(&state, &t, &id).await?;
    let id = current.id;
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    let events = body.events.clone().unwrap_or_else(|| current.events.clone());
    let config = body.config.clone().unwrap_or_else(|| current.config.clone());
    let secrets = body.secrets.clone().unwrap_or_else(|| current.secrets.clone());
    let filters = body.filters.clone().unwrap_or_else(|| current.filters.clone());
    // Keeping an operator's alert.system subscription is allowed; adding
    // one is not.
    let system = body.events.is_none() || current.events.iter().any(|e| e == "alert.system");
    validate_destination(
        &api.channels,
        &current.kind,
        &events,
        &config,
        &secrets,
        &filters,
        system,
    )?;
    let update = DestinationUpdate {
        name: body.name,
        enabled: body.enabled,
        events: body.events,
        config: body.config,
        secrets: body.secrets,
        filters: body.filters,
        max_age_secs: body.max_age_secs,
        link_ttl_secs: body.link_ttl_secs,
        rotate_link_key: body.rotate_link_key,
    };
    let d = state
        .catalog
        .update_destination(Some(t.tenant), id, update, &t.caller.actor(), Utc::now())
        .await?
        .ok_or_else(|| Problem::not_found("destination"))?;
    Ok(Json(d.into()))
}

async fn delete_destination(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id: Uuid = parse_id(&id, "destination")?;
    if state.catalog.delete_destination(Some(t.tenant), id, &t.caller.actor(), Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("destination"))
    }
}

async fn test_destination_route(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<Json<TestOutcomeDto>, Problem> {
    let api = api(&state)?;
    let d = tenant_destination(&state, &t, &id).await?;
    let attempt = test_destination(
        state.catalog.clone(),
        &api.channels,
        api.media.as_ref(),
        &d,
        Duration::from_secs(60),
    )
    .await
    .map_err(|e| Problem::bad_request("test_failed", e))?;
    Ok(Json(test_outcome(&attempt)))
}

/// The outcome of a test attempt, as the API and the CLI show it.
pub fn test_outcome(attempt: &callvault_delivery::channel::Attempt) -> TestOutcomeDto {
    use callvault_delivery::channel::Outcome;
    let (outcome, error) = match &attempt.outcome {
        Outcome::Delivered { verified: true } => ("verified", None),
        Outcome::Delivered { verified: false } => ("delivered", None),
        Outcome::Retry { error, .. } => ("retry", Some(error.clone())),
        Outcome::Dead { error } => ("dead", Some(error.clone())),
        Outcome::NoMatch { error } => ("no_match", Some(error.clone())),
        Outcome::DisableDestination { error } => ("disable_destination", Some(error.clone())),
    };
    TestOutcomeDto { outcome, status: attempt.status.clone(), error }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn internal_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "https://localhost/x",
            "https://10.1.2.3/x",
            "https://[::1]:443/x",
            "https://169.254.169.254/latest/meta-data",
            "https://user:pw@192.168.0.10/x",
            "http://[::ffff:127.0.0.1]/x",
            "https://100.64.0.1/x",
        ] {
            let c = json!({ "url": url });
            assert!(check_targets(&c, false).await.is_err(), "{url}");
            assert!(check_targets(&c, true).await.is_ok(), "{url}");
        }
        assert!(check_targets(&json!({ "host": "127.0.0.1" }), false).await.is_err());
        assert!(check_targets(&json!({ "url": "https://203.0.113.7/hook" }), false).await.is_ok());
        assert!(
            check_targets(&json!({ "endpoint": "http://[fd00::1]:9000" }), false).await.is_err()
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryParams {
    state: Option<String>,
    destination: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

fn parse_before(raw: &str) -> Result<(DateTime<Utc>, Uuid), Problem> {
    let bad = || Problem::bad_request("invalid_cursor", "before must be a value from `next`");
    let (t, id) = raw.split_once('_').ok_or_else(bad)?;
    let micros: i64 = t.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

async fn list_deliveries(
    State(state): State<SharedState>,
    t: TenantCaller,
    Query(p): Query<DeliveryParams>,
) -> Result<Json<DeliveryPage>, Problem> {
    let state_filter = match p.state.as_deref() {
        Some(s) => Some(DeliveryState::parse(s).ok_or_else(|| {
            Problem::bad_request("invalid_state", format!("unknown delivery state {s:?}"))
        })?),
        None => None,
    };
    let destination = match p.destination.as_deref() {
        Some(d) => Some(d.parse::<Uuid>().map_err(|_| {
            Problem::bad_request("invalid_destination", "destination must be a destination id")
        })?),
        None => None,
    };
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let query = DeliveryQuery {
        state: state_filter,
        destination_id: destination,
        conversation_id: None,
        before: p.before.as_deref().map(parse_before).transpose()?,
        limit,
    };
    let items = state.catalog.list_deliveries(Some(t.tenant), &query).await?;
    let next = (items.len() as u32 == limit)
        .then(|| items.last().map(|d| format!("{}_{}", d.created_at.timestamp_micros(), d.id)))
        .flatten();
    Ok(Json(DeliveryPage { items: items.into_iter().map(Into::into).collect(), next }))
}

async fn get_delivery(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<Json<DeliveryDto>, Problem> {
    let id: Uuid = parse_id(&id, "delivery")?;
    let d = state
        .catalog
        .get_delivery(Some(t.tenant), id)
        .await?
        .ok_or_else(|| Problem::not_found("delivery"))?;
    let history = state.catalog.delivery_attempts(Some(t.tenant), id).await?;
    let mut dto = DeliveryDto::from(d);
    dto.history = Some(history.into_iter().map(Into::into).collect());
    Ok(Json(dto))
}

async fn retry_delivery(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<Json<DeliveryDto>, Problem> {
    let id: Uuid = parse_id(&id, "delivery")?;
    let d = state
        .catalog
        .retry_delivery(Some(t.tenant), id, Utc::now())
        .await?
        .ok_or_else(|| Problem::not_found("delivery"))?;
    if let Some(wake) = state.delivery.as_ref().and_then(|a| a.wake.as_ref()) {
        wake.notify_one();
    }
    tracing::info!(delivery = %id, actor = %t.caller.actor(), "delivery retried by hand");
    Ok(Json(d.into()))
}

async fn conversation_deliveries(
    State(state): State<SharedState>,
    t: TenantCaller,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeliveryDto>>, Problem> {
    let id: ConversationId = parse_id(&id, "conversation")?;
    if state.catalog.conversation(t.tenant, id).await?.is_none() {
        return Err(Problem::not_found("conversation"));
    }
    let query = DeliveryQuery {
        state: None,
        destination_id: None,
        conversation_id: Some(id),
        before: None,
        limit: 1000,
    };
    let items = state.catalog.list_deliveries(Some(t.tenant), &query).await?;
    Ok(Json(items.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertParams {
    /// Only open alerts (default true).
    open: Option<bool>,
    limit: Option<u32>,
}

fn alert_scope(caller: &Caller) -> AlertScope {
    match caller.tenant() {
        Ok(t) => AlertScope::Tenant(t),
        Err(_) => AlertScope::All,
    }
}

async fn list_alerts(
    State(state): State<SharedState>,
    caller: Caller,
    Query(p): Query<AlertParams>,
) -> Result<Json<Vec<AlertDto>>, Problem> {
    let scope = alert_scope(&caller);
    let limit = p.limit.unwrap_or(200).clamp(1, 1000);
    let alerts = state.catalog.list_alerts(scope, p.open.unwrap_or(true), limit).await?;
    Ok(Json(alerts.into_iter().map(Into::into).collect()))
}

async fn resolve_alert(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id: Uuid = parse_id(&id, "alert")?;
    let tenant = match alert_scope(&caller) {
        AlertScope::Tenant(t) => Some(t),
        _ => None,
    };
    let alert =
        state.catalog.get_alert(tenant, id).await?.ok_or_else(|| Problem::not_found("alert"))?;
    state.catalog.resolve_alert(alert.tenant_id, &alert.kind, &alert.subject, Utc::now()).await?;
    tracing::info!(alert = %id, actor = %caller.actor(), "alert resolved by hand");
    Ok(StatusCode::NO_CONTENT)
}

async fn serve_link(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let api = api(&state)?;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let request = LinkRequest { file: &file, query: uri.query().unwrap_or(""), range, now };
    let keys = CatalogLinkKeys(state.catalog.clone());
    let served = match api.links.serve_link(&keys, request).await {
        Ok(s) => s,
        Err(e) => return Err(link_problem(e)),
    };
    let mut resp = Response::new(Body::from(served.body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(served.content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", served.sha256)) {
        h.insert(header::ETAG, v);
    }
    if let Some(r) = &served.range {
        if let Ok(v) =
            HeaderValue::from_str(&format!("bytes {}-{}/{}", r.start, r.end - 1, served.total))
        {
            h.insert(header::CONTENT_RANGE, v);
        }
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp.into_response())
}

fn link_problem(e: ServeError) -> Problem {
    use callvault_delivery::channel::MediaError;
    use callvault_delivery::links::LinkError;
    match e {
        ServeError::Link(LinkError::Expired) => Problem::new(
            StatusCode::GONE,
            "link_expired",
            "Link expired",
            "this link has expired; ask for a new one",
        ),
        ServeError::Link(LinkError::Malformed(_)) => {
            Problem::bad_request("invalid_link", "this is not a valid callvault link")
        }
        ServeError::Link(_) => Problem::forbidden("this link is not valid (revoked or altered)"),
        ServeError::NotFound => Problem::not_found("recording"),
        ServeError::RangeNotSatisfiable { total } => {
            let mut p = Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "Range not satisfiable",
                format!("the file has {total} bytes"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                p.headers.push((header::CONTENT_RANGE, v));
            }
            p
        }
        ServeError::Media(MediaError::Unconvertible(m)) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unconvertible", "Cannot convert", m)
        }
        ServeError::Media(MediaError::Unavailable(m)) => {
            tracing::warn!(error = %m, "a signed link could not be served");
            Problem::unavailable("the recording cannot be read right now")
        }
    }
}
