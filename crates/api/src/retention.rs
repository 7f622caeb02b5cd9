//! Retention rules, legal holds, the trash and manual deletion (issue 14,
//! item 4) over HTTP.
//!
//! A tenant key acts on its own tenant; an admin key names the tenant
//! (`tenant` in the query or body) or, for listings, sees every tenant's.
//! Deleting a recording or a conversation moves it to the trash (with the
//! key that did it); a legal hold makes that 409 `held`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use callvault_model::*;
use callvault_storage::retention::{RunMode, TenantRun, parse_direction, parse_source, run_all};
use callvault_storage::trash::{PurgeReport, VaultStores, purge};
use callvault_store::{
    HoldScope, LegalHold, NewHold, NewRetentionRule, RetentionRule, TrashCause, TrashOutcome,
    TrashedRecording,
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Caller, Problem, SharedState, parse_id};

pub(crate) fn v1_routes() -> Router<SharedState> {
    Router::new()
        .route("/retention/rules", get(list_rules).post(create_rule))
        .route("/retention/rules/{id}", delete(delete_rule))
        .route("/retention/run", post(run_retention))
        .route("/retention/confirm", post(confirm_run))
        .route("/holds", get(list_holds).post(create_hold))
        .route("/holds/{id}/release", post(release_hold))
        .route("/trash", get(list_trash))
        .route("/trash/{id}/restore", post(restore))
        .route("/trash/empty", post(empty_trash))
        .route("/recordings/{id}", delete(delete_recording))
        .route("/conversations/{id}", delete(delete_conversation))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantParam {
    /// A tenant's name (admin keys).
    tenant: Option<String>,
}

/// The tenant a request acts on: a tenant key's own; an admin key's
/// `tenant` by name, or None (every tenant).
async fn scope(
    state: &SharedState,
    caller: &Caller,
    name: Option<&str>,
) -> Result<Option<TenantId>, Problem> {
    if let Ok(own) = caller.tenant() {
        return Ok(Some(own));
    }
    caller.admin()?;
    match name {
        Some(name) => Ok(Some(
            state
                .catalog
                .tenant_by_name(name)
                .await?
                .ok_or_else(|| Problem::not_found("tenant"))?
                .id,
        )),
        None => Ok(None),
    }
}

async fn one_tenant(
    state: &SharedState,
    caller: &Caller,
    name: Option<&str>,
) -> Result<TenantId, Problem> {
    scope(state, caller, name)
        .await?
        .ok_or_else(|| Problem::bad_request("tenant_required", "an admin key must name the tenant"))
}

fn held_problem(held: usize) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "held",
        "Under legal hold",
        format!("{held} recording(s) are under a legal hold and were not deleted"),
    )
}

// --- rules --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleBody {
    tenant: Option<String>,
    days: u32,
    direction: Option<String>,
    number_prefix: Option<String>,
    source: Option<String>,
}

async fn create_rule(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<RuleBody>,
) -> Result<(StatusCode, Json<RetentionRule>), Problem> {
    let tenant_id = one_tenant(&state, &caller, body.tenant.as_deref()).await?;
    let invalid = |e: String| Problem::bad_request("invalid", e);
    let new = NewRetentionRule {
        tenant_id,
        days: body.days,
        direction: body.direction.as_deref().map(parse_direction).transpose().map_err(invalid)?,
        number_prefix: body.number_prefix,
        source: body.source.as_deref().map(parse_source).transpose().map_err(invalid)?,
    };
    let rule = state.catalog.create_retention_rule(new, &caller.actor(), Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

async fn list_rules(
    State(state): State<SharedState>,
    caller: Caller,
    Query(p): Query<TenantParam>,
) -> Result<Json<Vec<RetentionRule>>, Problem> {
    let tenant = scope(&state, &caller, p.tenant.as_deref()).await?;
    Ok(Json(state.catalog.list_retention_rules(tenant).await?))
}

async fn delete_rule(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id: Uuid = parse_id(&id, "retention rule")?;
    let tenant = scope(&state, &caller, None).await?;
    if state.catalog.delete_retention_rule(tenant, id, &caller.actor()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("retention rule"))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunBody {
    tenant: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

async fn run_retention(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<RunBody>,
) -> Result<Json<Vec<TenantRun>>, Problem> {
    let tenant = scope(&state, &caller, body.tenant.as_deref()).await?;
    let mode = if body.dry_run { RunMode::DryRun } else { RunMode::Apply };
    let runs = run_all(state.catalog.as_ref(), tenant, &state.retention, Utc::now(), mode)
        .await
        .map_err(|e| match e {
            callvault_storage::retention::RetentionError::Catalog(c) => Problem::from(c),
        })?;
    for run in &runs {
        if let Some(t) = run.tenant_id {
            let labels = callvault_vault::metrics::TenantLabels { tenant: t.to_string() };
            state.metrics.retention_trashed.get_or_create(&labels).inc_by(run.trashed);
        }
    }
    Ok(Json(runs))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    tenant: Option<String>,
    /// How many recordings the next run may trash.
    count: u64,
}

async fn confirm_run(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<ConfirmBody>,
) -> Result<StatusCode, Problem> {
    // Letting a mass deletion through is an operator's decision.
    caller.admin()?;
    let tenant = one_tenant(&state, &caller, body.tenant.as_deref()).await?;
    state.catalog.confirm_retention_run(tenant, body.count, &caller.actor(), Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- holds --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldBody {
    tenant: Option<String>,
    /// `tenant`, `conversation` or `number`.
    scope: String,
    conversation_id: Option<String>,
    number: Option<String>,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldParams {
    tenant: Option<String>,
    /// Released holds too.
    #[serde(default)]
    all: bool,
}

async fn create_hold(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<HoldBody>,
) -> Result<(StatusCode, Json<LegalHold>), Problem> {
    let tenant_id = one_tenant(&state, &caller, body.tenant.as_deref()).await?;
    let scope = match (body.scope.as_str(), &body.conversation_id, &body.number) {
        ("tenant", None, None) => HoldScope::Tenant,
        ("conversation", Some(id), None) => {
            HoldScope::Conversation { conversation_id: parse_id(id, "conversation")? }
        }
        ("number", None, Some(n)) => HoldScope::number(n)?,
        _ => {
            return Err(Problem::bad_request(
                "invalid",
                "scope is tenant, conversation (with conversation_id) or number (with number)",
            ));
        }
    };
    let hold = state
        .catalog
        .create_hold(NewHold { tenant_id, scope, reason: body.reason }, &caller.actor(), Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(hold)))
}

async fn list_holds(
    State(state): State<SharedState>,
    caller: Caller,
    Query(p): Query<HoldParams>,
) -> Result<Json<Vec<LegalHold>>, Problem> {
    let tenant = scope(&state, &caller, p.tenant.as_deref()).await?;
    Ok(Json(state.catalog.list_holds(tenant, !p.all).await?))
}

async fn release_hold(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id: Uuid = parse_id(&id, "hold")?;
    let tenant = scope(&state, &caller, None).await?;
    if state.catalog.release_hold(tenant, id, &caller.actor(), Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("hold in force"))
    }
}

// --- the trash and deletion ---------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrashParams {
    tenant: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

async fn list_trash(
    State(state): State<SharedState>,
    caller: Caller,
    Query(p): Query<TrashParams>,
) -> Result<Json<Vec<TrashedRecording>>, Problem> {
    let tenant = scope(&state, &caller, p.tenant.as_deref()).await?;
    let after = match &p.after {
        Some(a) => Some(
            a.parse().map_err(|_| Problem::bad_request("invalid", "after is a recording id"))?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(state.catalog.list_trash(tenant, after, limit).await?))
}

#[derive(Debug, Serialize)]
struct Restored {
    restored: Vec<RecordingId>,
}

async fn restore(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Restored>, Problem> {
    let id: Uuid = parse_id(&id, "trashed recording")?;
    let tenant = scope(&state, &caller, None).await?;
    let restored = state.catalog.restore_trashed(tenant, id, &caller.actor(), Utc::now()).await?;
    Ok(Json(Restored { restored }))
}

async fn empty_trash(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<TenantParam>,
) -> Result<Json<PurgeReport>, Problem> {
    // Removing objects before their grace period ends is an operator's
    // decision.
    caller.admin()?;
    let tenant = scope(&state, &caller, body.tenant.as_deref()).await?;
    let stores = VaultStores(state.stores.clone());
    let mut total = PurgeReport::default();
    loop {
        let r = purge(
            state.catalog.as_ref(),
            &stores,
            tenant,
            Utc::now(),
            std::time::Duration::ZERO,
            state.retention.batch,
        )
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "emptying the trash failed");
            Problem::unavailable("emptying the trash failed; retry later")
        })?;
        let progressed = r.purged + r.conversations > 0;
        total.purged += r.purged;
        total.bytes += r.bytes;
        total.objects += r.objects;
        total.held += r.held;
        total.conversations += r.conversations;
        total.unreachable += r.unreachable;
        if !progressed {
            break;
        }
    }
    state.metrics.trash_purged.inc_by(total.purged);
    Ok(Json(total))
}

#[derive(Debug, Serialize)]
struct Deleted {
    trashed: Vec<RecordingId>,
}

fn trashed_or_held(outcome: TrashOutcome) -> Result<(StatusCode, Json<Deleted>), Problem> {
    if !outcome.held.is_empty() {
        return Err(held_problem(outcome.held.len()));
    }
    Ok((StatusCode::OK, Json(Deleted { trashed: outcome.trashed })))
}

async fn delete_recording(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Deleted>), Problem> {
    let tenant = caller.tenant()?;
    let id: RecordingId = parse_id(&id, "recording")?;
    let cause = TrashCause { by: format!("key:{}", caller.0.id), actor: caller.actor() };
    let outcome = state.catalog.trash_recordings(tenant, &[id], &cause, Utc::now()).await?;
    if outcome.trashed.is_empty() && outcome.held.is_empty() {
        return Err(Problem::not_found("recording"));
    }
    trashed_or_held(outcome)
}

async fn delete_conversation(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Deleted>), Problem> {
    let tenant = caller.tenant()?;
    let id: ConversationId = parse_id(&id, "conversation")?;
    let cause = TrashCause { by: format!("key:{}", caller.0.id), actor: caller.actor() };
    let outcome = state.catalog.trash_conversation(tenant, id, &cause, Utc::now()).await?;
    trashed_or_held(outcome)
}

// --- OpenAPI ----------------------------------------------------------------------

fn problems(codes: &[&str]) -> BTreeMap<String, Value> {
    codes
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                json!({
                    "description": "Problem details (RFC 9457)",
                    "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
                }),
            )
        })
        .collect()
}

fn op(
    summary: &str,
    params: Value,
    body: Option<Value>,
    ok: (&str, &str),
    errors: &[&str],
) -> Value {
    let mut responses = problems(errors);
    responses.insert(ok.0.to_owned(), json!({ "description": ok.1 }));
    let mut v = json!({ "summary": summary, "parameters": params, "responses": responses });
    if let Some(schema) = body {
        v["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    v
}

fn id() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } })
}

fn tenant_query() -> Value {
    json!({ "name": "tenant", "in": "query", "required": false, "schema": { "type": "string" },
            "description": "A tenant's name (admin keys); a tenant key acts on its own" })
}

/// Add this module's paths to the OpenAPI document.
pub(crate) fn add_openapi(doc: &mut Value) {
    let tenant_prop = json!({ "type": "string", "description": "A tenant's name (admin keys)" });
    let rule_body = json!({
        "type": "object", "required": ["days"], "additionalProperties": false,
        "properties": {
            "tenant": tenant_prop,
            "days": { "type": "integer", "minimum": 1, "maximum": 36500 },
            "direction": { "type": "string", "enum": ["in", "out", "internal", "inbound", "outbound"] },
            "number_prefix": { "type": "string", "description": "digits a number of the call starts with" },
            "source": { "type": "string", "enum": ["upload", "import", "capture", "siprec"] }
        }
    });
    let hold_body = json!({
        "type": "object", "required": ["scope", "reason"], "additionalProperties": false,
        "properties": {
            "tenant": tenant_prop,
            "scope": { "type": "string", "enum": ["tenant", "conversation", "number"] },
            "conversation_id": { "type": "string", "format": "uuid" },
            "number": { "type": "string", "description": "any notation; matched on its last 10 digits" },
            "reason": { "type": "string", "minLength": 1, "maxLength": 1000 }
        }
    });
    let paths: Vec<(&str, &str, Value)> = vec![
        (
            "/v1/retention/rules",
            "get",
            op(
                "Retention rules (a tenant's, or every tenant's for an admin)",
                json!([tenant_query()]),
                None,
                ("200", "The rules"),
                &["401", "403", "404"],
            ),
        ),
        (
            "/v1/retention/rules",
            "post",
            op(
                "Add a retention rule: recordings older than `days` (by the call's start) matching every filter go to the trash",
                json!([]),
                Some(rule_body),
                ("201", "The rule"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/retention/rules/{id}",
            "delete",
            op(
                "Remove a retention rule",
                json!([id()]),
                None,
                ("204", "Removed"),
                &["401", "403", "404"],
            ),
        ),
        (
            "/v1/retention/run",
            "post",
            op(
                "Run retention now (dry_run: count only). A run that would trash more than retention.guard_percent of a tenant's recordings trashes nothing for it and raises a retention_guard alert",
                json!([]),
                Some(
                    json!({ "type": "object", "additionalProperties": false, "properties": { "tenant": tenant_prop, "dry_run": { "type": "boolean" } } }),
                ),
                ("200", "What each tenant's run did"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/retention/confirm",
            "post",
            op(
                "Let the next retention run of a tenant trash up to `count` recordings despite the mass-deletion guard (admin)",
                json!([]),
                Some(
                    json!({ "type": "object", "required": ["tenant", "count"], "additionalProperties": false, "properties": { "tenant": tenant_prop, "count": { "type": "integer", "minimum": 0 } } }),
                ),
                ("204", "Confirmed"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/holds",
            "get",
            op(
                "Legal holds in force (all=true: released ones too)",
                json!([tenant_query(), { "name": "all", "in": "query", "schema": { "type": "boolean" } }]),
                None,
                ("200", "The holds"),
                &["401", "403", "404"],
            ),
        ),
        (
            "/v1/holds",
            "post",
            op(
                "Place a legal hold on a tenant, a conversation or a number: nothing it covers is deleted (retention, manual deletion, the purge)",
                json!([]),
                Some(hold_body),
                ("201", "The hold"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/holds/{id}/release",
            "post",
            op(
                "Release a legal hold",
                json!([id()]),
                None,
                ("204", "Released"),
                &["401", "403", "404"],
            ),
        ),
        (
            "/v1/trash",
            "get",
            op(
                "Recordings in the trash, by id",
                json!([tenant_query(), { "name": "after", "in": "query", "schema": { "type": "string", "format": "uuid" } }, { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }]),
                None,
                ("200", "The trash"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/trash/{id}/restore",
            "post",
            op(
                "Restore a trashed recording (by its id) or a conversation (by its id): searchable and downloadable again",
                json!([id()]),
                None,
                ("200", "The recordings restored"),
                &["400", "401", "403", "404"],
            ),
        ),
        (
            "/v1/trash/empty",
            "post",
            op(
                "Purge the trash now, grace period or not (admin): every copy's object, then the rows; held recordings stay",
                json!([]),
                Some(
                    json!({ "type": "object", "additionalProperties": false, "properties": { "tenant": tenant_prop } }),
                ),
                ("200", "What was purged"),
                &["401", "403", "404", "503"],
            ),
        ),
        (
            "/v1/recordings/{id}",
            "delete",
            op(
                "Move a recording to the trash (restorable during the grace period); 409 under a legal hold",
                json!([id()]),
                None,
                ("200", "Trashed"),
                &["401", "403", "404", "409"],
            ),
        ),
        (
            "/v1/conversations/{id}",
            "delete",
            op(
                "Move a conversation and its recordings to the trash; 409 under a legal hold",
                json!([id()]),
                None,
                ("200", "Trashed"),
                &["401", "403", "404", "409"],
            ),
        ),
    ];
    let Some(doc_paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, method, operation) in paths {
        let item = doc_paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(method.to_owned(), operation);
        }
    }
}
