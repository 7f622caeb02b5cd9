//! Web console sessions: stored by the sha256 of their token, alive while
//! both their ends are ahead and their key is not revoked.

use callvault_model::{ApiKeyId, TenantId};
use chrono::{DateTime, Utc};

use super::audit::{self, Entry};
use super::error::{Error, Result};
use super::stmt::{SqlRow, sql};
use super::{Dialect, rows};
use crate::catalog::{ApiKey, CatalogError, ConsoleSession};

pub(crate) async fn create<D: Dialect>(
    db: &D,
    session: &ConsoleSession,
    actor: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO console_sessions (id, api_key_id, tenant_id, csrf_token, created_at, \
         last_seen_at, idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
    .bind(session.id.as_str())
    .bind(session.api_key_id.0)
    .bind(session.tenant_id.map(|t| t.0))
    .bind(session.csrf_token.as_str())
    .bind(session.created_at)
    .bind(session.last_seen_at)
    .bind(session.idle_expires_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| match Error::from(e) {
        e if e.is_unique_violation() => CatalogError::Conflict { what: "console session" }.into(),
        e if e.is_foreign_key_violation() => {
            CatalogError::NotFound { what: "api key or tenant" }.into()
        }
        e => e,
    })?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: session.tenant_id,
            actor,
            action: "console_session.created",
            subject: format!("api_key:{}", session.api_key_id),
            detail: serde_json::json!({ "expires_at": session.expires_at }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn live<D: Dialect>(
    db: &D,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ApiKey, ConsoleSession)>> {
    let row = sql("SELECT k.id, k.tenant_id, k.role, k.label, k.prefix, k.created_at, \
                   k.revoked_at, s.id AS s_id, s.tenant_id AS s_tenant_id, s.csrf_token, \
                   s.created_at AS s_created_at, s.last_seen_at, s.idle_expires_at, \
                   s.expires_at \
                   FROM console_sessions s JOIN api_keys k ON k.id = s.api_key_id \
                   WHERE s.id = $1 AND k.revoked_at IS NULL \
                   AND s.idle_expires_at > $2 AND s.expires_at > $2")
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *db.read().await?)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let key = rows::api_key(&row)?;
    let session = ConsoleSession {
        id: row.text("s_id")?,
        api_key_id: key.id,
        tenant_id: row.opt_uuid("s_tenant_id")?.map(TenantId),
        csrf_token: row.text("csrf_token")?,
        created_at: row.time("s_created_at")?,
        last_seen_at: row.time("last_seen_at")?,
        idle_expires_at: row.time("idle_expires_at")?,
        expires_at: row.time("expires_at")?,
    };
    Ok(Some((key, session)))
}

pub(crate) async fn touch<D: Dialect>(
    db: &D,
    id: &str,
    now: DateTime<Utc>,
    idle_expires_at: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    // The idle end never passes the absolute one, nor moves back.
    sql("UPDATE console_sessions SET last_seen_at = $2, idle_expires_at = \
         CASE WHEN $3 > expires_at THEN expires_at \
              WHEN $3 < idle_expires_at THEN idle_expires_at ELSE $3 END \
         WHERE id = $1")
    .bind(id)
    .bind(now)
    .bind(idle_expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn set_tenant<D: Dialect>(
    db: &D,
    id: &str,
    tenant: Option<TenantId>,
    actor: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = sql("UPDATE console_sessions SET tenant_id = $2 WHERE id = $1 RETURNING api_key_id")
        .bind(id)
        .bind(tenant.map(|t| t.0))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match Error::from(e) {
            e if e.is_foreign_key_violation() => CatalogError::NotFound { what: "tenant" }.into(),
            e => e,
        })?;
    let Some(row) = row else {
        return Err(CatalogError::NotFound { what: "console session" }.into());
    };
    let key = ApiKeyId(row.uuid("api_key_id")?);
    audit::append(
        &mut *tx,
        Entry {
            tenant,
            actor,
            action: "console_session.tenant_switched",
            subject: format!("api_key:{key}"),
            detail: serde_json::json!({ "tenant_id": tenant.map(|t| t.0) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn delete<D: Dialect>(db: &D, id: &str, actor: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sql("DELETE FROM console_sessions WHERE id = $1 RETURNING api_key_id, tenant_id")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let key = ApiKeyId(row.uuid("api_key_id")?);
    audit::append(
        &mut *tx,
        Entry {
            tenant: row.opt_uuid("tenant_id")?.map(TenantId),
            actor,
            action: "console_session.ended",
            subject: format!("api_key:{key}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn purge<D: Dialect>(db: &D, now: DateTime<Utc>) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let n = sql("DELETE FROM console_sessions WHERE idle_expires_at <= $1 OR expires_at <= $1 \
                 OR api_key_id IN (SELECT id FROM api_keys WHERE revoked_at IS NOT NULL)")
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(n)
}
