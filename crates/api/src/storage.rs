//! `GET /v1/storage`: every store's capacity and forecast, every tenant's
//! usage and the data_dir's free space (admin); a tenant key sees its own
//! usage only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use callvault_storage::capacity::{CapacitySource, StoreCapacity};
use callvault_store::KeyRole;
use callvault_vault::disk::DiskGuard;
use serde::Serialize;

use crate::problem::Problem;
use crate::{Caller, SharedState};

/// What the storage endpoint reads: the stores (with their quotas) and
/// the data_dir's guard.
pub struct StorageApi {
    pub capacity: CapacitySource,
    pub disk: Arc<DiskGuard>,
}

/// The routes under `/v1`.
pub(crate) fn v1_routes() -> Router<SharedState> {
    Router::new().route("/storage", get(storage_status))
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
    let only = match caller.0.role {
        KeyRole::Admin => None,
        KeyRole::Tenant => Some(caller.tenant()?),
    };
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
    serde_json::json!({
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
