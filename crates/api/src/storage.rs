//! `GET /v1/storage`: every store's capacity and forecast, every tenant's
//! usage and the data_dir's free space (admin); a tenant key sees its own
//! usage only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use callvault_storage::capacity::{CapacitySource, StoreCapacity};
use callvault_store::StoragePolicy;
use callvault_vault::disk::DiskGuard;
use serde::Serialize;

use crate::problem::Problem;
use crate::{Admin, Caller, SharedState};

/// What the storage endpoint reads: the stores (with their quotas) and
/// the data_dir's guard.
pub struct StorageApi {
    pub capacity: CapacitySource,
    pub disk: Arc<DiskGuard>,
    /// The configured stores and default policy: what a tenant's policy is
    /// checked against and falls back to.
    pub section: callvault_storage::config::StorageSection,
}

/// The routes under `/v1`.
pub(crate) fn v1_routes() -> Router<SharedState> {
    Router::new()
        .route("/storage", get(storage_status))
        .route("/storage/policies", get(list_policies))
        .route("/storage/policies/{tenant}", get(get_policy).put(put_policy).delete(reset_policy))
}

#[derive(Serialize)]
struct PolicyDto {
    tenant: String,
    /// `tenant` (its own) or `default` (`[storage.policy]`).
    source: &'static str,
    policy: StoragePolicy,
}

#[derive(Serialize)]
struct PoliciesDto {
    default: StoragePolicy,
    tenants: Vec<PolicyDto>,
}

async fn list_policies(
    State(state): State<SharedState>,
    Admin(_): Admin,
) -> Result<Json<PoliciesDto>, Problem> {
    let api = storage_api(&state)?;
    let names: HashMap<_, _> =
        state.catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect();
    let tenants = state
        .catalog
        .list_storage_policies()
        .await?
        .into_iter()
        .map(|(id, policy)| PolicyDto {
            tenant: names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            source: "tenant",
            policy,
        })
        .collect();
    Ok(Json(PoliciesDto { default: api.section.policy.clone(), tenants }))
}

async fn get_policy(
    State(state): State<SharedState>,
    Admin(_): Admin,
    Path(name): Path<String>,
) -> Result<Json<PolicyDto>, Problem> {
    let api = storage_api(&state)?;
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    Ok(Json(match state.catalog.storage_policy(tenant.id).await? {
        Some(policy) => PolicyDto { tenant: tenant.name, source: "tenant", policy },
        None => {
            PolicyDto { tenant: tenant.name, source: "default", policy: api.section.policy.clone() }
        }
    }))
}

async fn put_policy(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<PolicyDto>, Problem> {
    let api = storage_api(&state)?;
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    let policy: StoragePolicy = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request("invalid_policy", e.to_string()))?;
    api.section.check_policy(&policy).map_err(|m| Problem::bad_request("invalid_policy", m))?;
    state
        .catalog
        .set_storage_policy(tenant.id, Some(&policy), &caller.actor(), chrono::Utc::now())
        .await?;
    Ok(Json(PolicyDto { tenant: tenant.name, source: "tenant", policy }))
}

async fn reset_policy(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    storage_api(&state)?;
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    state.catalog.set_storage_policy(tenant.id, None, &caller.actor(), chrono::Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn storage_api(state: &SharedState) -> Result<&StorageApi, Problem> {
    state
        .storage
        .as_deref()
        .ok_or_else(|| Problem::unavailable("storage is not configured on this server"))
}

#[derive(Serialize)]
struct TenantUsageDto {
    tenant_id: String,
    tenant: Option<String>,
    store: String,
    copies: u64,
    used_bytes: u64,
    growth_bytes_per_day_30d: Option<f64>,
}

#[derive(Serialize)]
struct DataDirDto {
    free_bytes: Option<u64>,
    low_watermark_bytes: u64,
    critical_watermark_bytes: u64,
    /// `ok`, `low`, `critical`, `unknown`.
    level: &'static str,
    accepting_new_calls: bool,
}

#[derive(Serialize)]
struct StorageDto {
    at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stores: Option<Vec<StoreCapacity>>,
    tenants: Vec<TenantUsageDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<DataDirDto>,
}

async fn storage_status(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<StorageDto>, Problem> {
    let api = state
        .storage
        .as_ref()
        .ok_or_else(|| Problem::unavailable("storage status is not available"))?;
    // A tenant (or an admin console session switched to one) sees its own.
    let only = caller.tenant().ok();
    let report = api.capacity.report(chrono::Utc::now()).await?;
    let names: HashMap<_, _> =
        state.catalog.list_tenants().await?.into_iter().map(|t| (t.id, t.name)).collect();
    let tenants = report
        .tenants
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.tenant_id))
        .map(|t| TenantUsageDto {
            tenant_id: t.tenant_id.0.to_string(),
            tenant: names.get(&t.tenant_id).cloned(),
            store: t.store.clone(),
            copies: t.copies,
            used_bytes: t.used_bytes,
            growth_bytes_per_day_30d: t.growth_bytes_per_day_30d,
        })
        .collect();
    let admin = only.is_none();
    let marks = api.disk.watermarks();
    Ok(Json(StorageDto {
        at: report.at,
        stores: admin.then_some(report.stores),
        tenants,
        data_dir: admin.then(|| DataDirDto {
            free_bytes: api.disk.free_bytes(),
            low_watermark_bytes: marks.low_bytes,
            critical_watermark_bytes: marks.critical_bytes,
            level: api.disk.level().as_str(),
            accepting_new_calls: api.disk.accepting_new_calls(),
        }),
    }))
}

/// The OpenAPI description of the routes above.
pub(crate) fn openapi_paths() -> serde_json::Value {
    let problem = serde_json::json!({ "description": "Problem details (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } });
    let tenant = serde_json::json!([{ "name": "tenant", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The tenant's name" }]);
    let policy = serde_json::json!({ "application/json": { "schema": { "$ref": "#/components/schemas/StoragePolicy" } } });
    serde_json::json!({
        "/v1/storage/policies": {
            "get": {
                "summary": "The default storage policy and every tenant's own (admin)",
                "responses": { "200": { "description": "Policies", "content": { "application/json": { "schema": { "type": "object" } } } }, "403": problem }
            }
        },
        "/v1/storage/policies/{tenant}": {
            "get": {
                "summary": "A tenant's storage policy, its own or the default (admin)",
                "parameters": tenant,
                "responses": { "200": { "description": "The policy in effect", "content": { "application/json": { "schema": { "type": "object" } } } }, "403": problem, "404": problem }
            },
            "put": {
                "summary": "Set a tenant's storage policy: verified copies required, placement stores, tiering, alert delay (admin; audited)",
                "parameters": tenant,
                "requestBody": { "required": true, "content": policy },
                "responses": { "200": { "description": "Set", "content": { "application/json": { "schema": { "type": "object" } } } }, "400": problem, "403": problem, "404": problem }
            },
            "delete": {
                "summary": "Return a tenant to the default storage policy (admin; audited)",
                "parameters": tenant,
                "responses": { "204": { "description": "Reset" }, "403": problem, "404": problem }
            }
        },
        "/v1/storage": {
            "get": {
                "summary": "Storage status: capacity, growth and days until full per store, usage per tenant, the data_dir's free space (admin); a tenant key sees its own usage",
                "responses": {
                    "200": { "description": "Status", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StorageStatus" } } } },
                    "401": { "description": "Problem details (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                    "503": { "description": "Problem details (RFC 9457)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                }
            }
        }
    })
}

/// The schemas the routes above use.
pub(crate) fn openapi_schemas() -> serde_json::Value {
    let num = serde_json::json!({ "type": ["number", "null"] });
    serde_json::json!({
        "StoragePolicy": {
            "type": "object",
            "properties": {
                "copies": { "type": "integer", "minimum": 1, "description": "Verified copies a recording must have at every moment" },
                "stores": { "type": "array", "items": { "type": "string" }, "description": "Stores a copy is placed on, in preference order" },
                "tier": { "type": ["object", "null"], "properties": {
                    "after_days": { "type": "integer" }, "from": { "type": "string" }, "to": { "type": "string" }
                } },
                "alert_after_secs": { "type": "integer", "description": "How long a recording may stay under-replicated before an alert" }
            }
        },
        "StorageStatus": {
            "type": "object",
            "required": ["at", "tenants"],
            "properties": {
                "at": { "type": "string", "format": "date-time" },
                "stores": { "type": "array", "description": "admin keys only", "items": {
                    "type": "object",
                    "properties": {
                        "store": { "type": "string" }, "kind": { "type": "string" },
                        "copies": { "type": "integer" }, "used_bytes": { "type": "integer" },
                        "capacity_bytes": { "type": ["integer", "null"] }, "free_bytes": { "type": ["integer", "null"] },
                        "used_percent": num, "growth_bytes_per_day_7d": num, "growth_bytes_per_day_30d": num,
                        "days_until_full": num
                    }
                } },
                "tenants": { "type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "tenant_id": { "type": "string" }, "tenant": { "type": ["string", "null"] },
                        "store": { "type": "string" }, "copies": { "type": "integer" },
                        "used_bytes": { "type": "integer" }, "growth_bytes_per_day_30d": num
                    }
                } },
                "data_dir": { "type": "object", "description": "admin keys only", "properties": {
                    "free_bytes": { "type": ["integer", "null"] },
                    "low_watermark_bytes": { "type": "integer" }, "critical_watermark_bytes": { "type": "integer" },
                    "level": { "enum": ["ok", "low", "critical", "unknown"] },
                    "accepting_new_calls": { "type": "boolean" }
                } }
            }
        }
    })
}
