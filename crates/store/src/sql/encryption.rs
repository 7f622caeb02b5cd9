//! Encryption at rest: master key ids and their check values, tenants'
//! switches, and recordings' wrapped data keys (written in the recording's
//! commit transaction, re-wrapped by rotation).

use callvault_model::{RecordingId, TenantId};
use chrono::{DateTime, Utc};

use super::Dialect;
use super::audit::{self, Entry};
use super::error::Result;
use super::rows::i64_of;
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::{
    CatalogError, MasterKeyRecord, NewRecording, NewRecordingKey, RecordingKey, Rewrap,
};

pub(crate) async fn insert_recording_key(
    tx: &mut impl SqlConn,
    new: &NewRecording,
    enc: &NewRecordingKey,
    now: DateTime<Utc>,
) -> Result<()> {
    sql("INSERT INTO recording_keys (recording_id, tenant_id, master_key_id, wrapped_key, \
         created_at) VALUES ($1, $2, $3, $4, $5)")
    .bind(new.id.0)
    .bind(new.tenant_id.0)
    .bind(&enc.master_key_id)
    .bind(enc.wrapped_key.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub(crate) async fn master_keys<D: Dialect>(db: &D) -> Result<Vec<MasterKeyRecord>> {
    let rows = sql("SELECT k.id, k.check_value, k.created_at, \
                    (SELECT COUNT(*) FROM recording_keys r WHERE r.master_key_id = k.id) AS data_keys \
                    FROM encryption_master_keys k ORDER BY k.id")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MasterKeyRecord {
                id: r.text("id")?,
                check_value: r.text("check_value")?,
                created_at: r.time("created_at")?,
                data_keys: u64::try_from(r.i64("data_keys")?).unwrap_or(0),
            })
        })
        .collect()
}

pub(crate) async fn register_master_key<D: Dialect>(
    db: &D,
    id: &str,
    check_value: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut tx = db.begin_write().await?;
    let inserted = sql("INSERT INTO encryption_master_keys (id, check_value, created_at) \
                        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
    .bind(id)
    .bind(check_value)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted > 0 {
        audit::append(
            &mut *tx,
            Entry {
                tenant: None,
                actor: "system",
                action: "encryption.master_key_registered",
                subject: format!("master_key:{id}"),
                detail: serde_json::json!({ "check_value": check_value }),
            },
        )
        .await?;
    }
    let row = sql("SELECT check_value FROM encryption_master_keys WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let stored = row.text("check_value")?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn set_tenant<D: Dialect>(
    db: &D,
    tenant: TenantId,
    enabled: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let exists =
        sql("SELECT id FROM tenants WHERE id = $1").bind(tenant.0).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(CatalogError::NotFound { what: "tenant" }.into());
    }
    sql("INSERT INTO tenant_encryption (tenant_id, enabled, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, \
         updated_at = excluded.updated_at")
    .bind(tenant.0)
    .bind(enabled)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor,
            action: if enabled { "encryption.enabled" } else { "encryption.disabled" },
            subject: format!("tenant:{tenant}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn tenant<D: Dialect>(db: &D, tenant: TenantId) -> Result<bool> {
    let row = sql("SELECT enabled FROM tenant_encryption WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    Ok(match row {
        Some(r) => r.bool("enabled")?,
        None => false,
    })
}

pub(crate) async fn encrypted_tenants<D: Dialect>(db: &D) -> Result<Vec<TenantId>> {
    let rows = sql("SELECT tenant_id FROM tenant_encryption WHERE enabled = $1 ORDER BY tenant_id")
        .bind(true)
        .fetch_all(&mut *db.read().await?)
        .await?;
    rows.iter().map(|r| Ok(TenantId(r.uuid("tenant_id")?))).collect()
}

fn recording_key(row: &impl SqlRow) -> Result<RecordingKey> {
    Ok(RecordingKey {
        recording_id: RecordingId(row.uuid("recording_id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        master_key_id: row.text("master_key_id")?,
        wrapped_key: row.bytes("wrapped_key")?,
    })
}

pub(crate) async fn get<D: Dialect>(
    db: &D,
    tenant: TenantId,
    recording: RecordingId,
) -> Result<Option<RecordingKey>> {
    let row =
        sql("SELECT recording_id, tenant_id, master_key_id, wrapped_key FROM recording_keys \
                   WHERE tenant_id = $1 AND recording_id = $2")
        .bind(tenant.0)
        .bind(recording.0)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.as_ref().map(recording_key).transpose()
}

pub(crate) async fn not_under<D: Dialect>(
    db: &D,
    master_key_id: &str,
    after: Option<RecordingId>,
    limit: u32,
) -> Result<Vec<RecordingKey>> {
    let mut stmt = sql("SELECT recording_id, tenant_id, master_key_id, wrapped_key \
                        FROM recording_keys WHERE master_key_id <> $1")
    .bind(master_key_id);
    if let Some(after) = after {
        stmt.push(" AND recording_id > ").push_bind(after.0);
    }
    stmt.push(" ORDER BY recording_id LIMIT ").push_bind(i64::from(limit));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(recording_key).collect()
}

pub(crate) async fn rewrap<D: Dialect>(
    db: &D,
    rewraps: &[Rewrap],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    if rewraps.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let mut changed = 0u64;
    for r in rewraps {
        changed += sql("UPDATE recording_keys SET master_key_id = $1, wrapped_key = $2, \
                        rewrapped_at = $3 WHERE recording_id = $4 AND master_key_id = $5")
        .bind(&r.to_key_id)
        .bind(r.wrapped_key.clone())
        .bind(now)
        .bind(r.recording_id.0)
        .bind(&r.from_key_id)
        .execute(&mut *tx)
        .await?;
    }
    let to: Vec<&str> = {
        let mut v: Vec<&str> = rewraps.iter().map(|r| r.to_key_id.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if changed == 0 {
        return Ok(0);
    }
    audit::append(
        &mut *tx,
        Entry {
            tenant: None,
            actor,
            action: "encryption.rewrapped",
            subject: format!("master_key:{}", to.join(",")),
            detail: serde_json::json!({ "data_keys": i64_of(changed) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(changed)
}
