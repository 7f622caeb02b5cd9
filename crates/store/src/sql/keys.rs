//! API keys: stored by the sha256 of their secret, revoked, never deleted.

use callvault_model::{ApiKeyId, TenantId};
use chrono::Utc;

use super::audit::{self, Entry};
use super::error::{Error, Result};
use super::stmt::{SqlRow, sql};
use super::{Dialect, rows};
use crate::catalog::{ApiKey, CatalogError, KeyRole, NewApiKey, catalog_time};

pub(crate) async fn create<D: Dialect>(db: &D, key: NewApiKey, actor: &str) -> Result<ApiKey> {
    if (key.role == KeyRole::Admin) != key.tenant_id.is_none() {
        return Err(CatalogError::Invalid {
            what: "api key",
            reason: "admin keys have no tenant; tenant keys need one".into(),
        }
        .into());
    }
    let stored = ApiKey {
        id: ApiKeyId::new(),
        tenant_id: key.tenant_id,
        role: key.role,
        label: key.label,
        prefix: key.prefix,
        created_at: catalog_time(Utc::now()),
        revoked_at: None,
    };
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO api_keys (id, tenant_id, role, label, prefix, key_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
    .bind(stored.id.0)
    .bind(stored.tenant_id.map(|t| t.0))
    .bind(stored.role.as_str())
    .bind(&stored.label)
    .bind(&stored.prefix)
    .bind(&key.hash)
    .bind(stored.created_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| match Error::from(e) {
        e if e.is_unique_violation() => CatalogError::Conflict { what: "api key" }.into(),
        e if e.is_foreign_key_violation() => CatalogError::NotFound { what: "tenant" }.into(),
        e => e,
    })?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: stored.tenant_id,
            actor,
            action: "api_key.created",
            subject: format!("api_key:{}", stored.id),
            detail: serde_json::json!({
                "role": stored.role.as_str(),
                "label": stored.label,
                "prefix": stored.prefix,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn active_by_hash<D: Dialect>(db: &D, hash: &str) -> Result<Option<ApiKey>> {
    let row =
        sql("SELECT id, tenant_id, role, label, prefix, created_at, revoked_at FROM api_keys \
                   WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.as_ref().map(rows::api_key).transpose()
}

pub(crate) async fn list<D: Dialect>(db: &D, tenant: Option<TenantId>) -> Result<Vec<ApiKey>> {
    let stmt = match tenant {
        Some(tenant) => sql("SELECT id, tenant_id, role, label, prefix, created_at, revoked_at \
                             FROM api_keys WHERE tenant_id = $1 ORDER BY created_at")
        .bind(tenant.0),
        None => sql("SELECT id, tenant_id, role, label, prefix, created_at, revoked_at \
                     FROM api_keys ORDER BY created_at"),
    };
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(rows::api_key).collect()
}

pub(crate) async fn revoke<D: Dialect>(db: &D, id: ApiKeyId, actor: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = sql("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                   RETURNING tenant_id")
    .bind(Utc::now())
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(CatalogError::NotFound { what: "api key" }.into());
    };
    audit::append(
        &mut *tx,
        Entry {
            tenant: row.opt_uuid("tenant_id")?.map(TenantId),
            actor,
            action: "api_key.revoked",
            subject: format!("api_key:{id}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
