//! `/v1/encryption`: encryption at rest for admins. The status of master
//! keys and tenants, a tenant's switch, and rotation (re-wrapping every data
//! key under the active master key; the audio is never rewritten).

use axum::Json;
use axum::extract::{Path, State};
use callvault_vault::encryption::{self, EncryptionError, EncryptionStatus, RotationReport};
use serde::{Deserialize, Serialize};

use crate::{Admin, Problem, SharedState};

/// Data keys re-wrapped per transaction by a rotation.
const ROTATE_BATCH: u32 = 500;

/// A tenant's switch.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantEncryptionDto {
    pub tenant: String,
    pub enabled: bool,
}

/// The body of `PUT /v1/encryption/tenants/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTenantEncryptionDto {
    pub enabled: bool,
}

fn problem(e: EncryptionError) -> Problem {
    match e {
        EncryptionError::Catalog(c) => c.into(),
        other => {
            tracing::error!(error = %other, "encryption operation failed");
            Problem::internal(other.to_string())
        }
    }
}

pub(crate) async fn status(
    State(state): State<SharedState>,
    _: Admin,
) -> Result<Json<EncryptionStatus>, Problem> {
    encryption::status(state.catalog.as_ref(), &state.reader.keyring)
        .await
        .map(Json)
        .map_err(problem)
}

pub(crate) async fn get_tenant(
    State(state): State<SharedState>,
    _: Admin,
    Path(name): Path<String>,
) -> Result<Json<TenantEncryptionDto>, Problem> {
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    let enabled = state.catalog.tenant_encryption(tenant.id).await?;
    Ok(Json(TenantEncryptionDto { tenant: tenant.name, enabled }))
}

pub(crate) async fn set_tenant(
    State(state): State<SharedState>,
    Admin(caller): Admin,
    Path(name): Path<String>,
    Json(body): Json<SetTenantEncryptionDto>,
) -> Result<Json<TenantEncryptionDto>, Problem> {
    let tenant =
        state.catalog.tenant_by_name(&name).await?.ok_or_else(|| Problem::not_found("tenant"))?;
    if body.enabled && state.reader.keyring.active_id().is_none() {
        return Err(Problem::bad_request(
            "no_active_key",
            "encryption.active_key is not set on this server: configure a master key first",
        ));
    }
    state
        .catalog
        .set_tenant_encryption(tenant.id, body.enabled, &caller.actor(), chrono::Utc::now())
        .await?;
    Ok(Json(TenantEncryptionDto { tenant: tenant.name, enabled: body.enabled }))
}

pub(crate) async fn rotate(
    State(state): State<SharedState>,
    Admin(caller): Admin,
) -> Result<Json<RotationReport>, Problem> {
    if state.reader.keyring.active_id().is_none() {
        return Err(Problem::bad_request("no_active_key", "encryption.active_key is not set"));
    }
    encryption::rotate(state.catalog.as_ref(), &state.reader.keyring, ROTATE_BATCH, &caller.actor())
        .await
        .map(Json)
        .map_err(problem)
}
