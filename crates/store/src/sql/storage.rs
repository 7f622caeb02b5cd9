//! Storage lifecycle: copy rows with their deletion state, the two-phase
//! removal of a copy, and tenants' storage policies.

use callvault_model::{CopyId, RecordingId, TenantId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Dialect;
use super::audit::{self, Entry};
use super::error::Result;
use super::rows::{self, RECORDING_COLUMNS, i64_of};
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::{CatalogError, catalog_time};
use crate::storage::{NewCopy, RecordingCopies, StoragePolicy, StoredCopy, TierRule};

const COPY_COLUMNS: &str = "id, tenant_id, recording_id, store, object_key, size_bytes, sha256, \
     created_at, verified_at, deleting_at";

/// Recordings one `IN (...)` list holds.
const IDS_PER_QUERY: usize = 500;

fn stored_copy(row: &impl SqlRow) -> Result<StoredCopy> {
    Ok(StoredCopy {
        copy: rows::copy(row)?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        deleting_at: row.opt_time("deleting_at")?,
    })
}

/// Take the recording's row lock for the rest of the transaction
/// (PostgreSQL; SQLite's write transaction already excludes every other
/// writer), so that two jobs deciding about one recording's copies take
/// turns. The recording's tenant, or None when there is no such recording.
async fn lock_recording(tx: &mut impl SqlConn, id: RecordingId) -> Result<Option<TenantId>> {
    let row =
        sql("UPDATE recordings SET size_bytes = size_bytes WHERE id = $1 RETURNING tenant_id")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    row.map(|r| Ok(TenantId(r.uuid("tenant_id")?))).transpose()
}

pub(crate) async fn recording_copies<D: Dialect>(
    db: &D,
    tenant: TenantId,
    recording: RecordingId,
) -> Result<Vec<StoredCopy>> {
    let rows = sql(format!(
        "SELECT {COPY_COLUMNS} FROM copies WHERE tenant_id = $1 AND recording_id = $2 \
         ORDER BY created_at, id"
    ))
    .bind(tenant.0)
    .bind(recording.0)
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(stored_copy).collect()
}

pub(crate) async fn scan<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    after: Option<RecordingId>,
    limit: u32,
) -> Result<Vec<RecordingCopies>> {
    let mut conn = db.read().await?;
    let mut stmt = sql(format!("SELECT {RECORDING_COLUMNS} FROM recordings WHERE id > "));
    stmt.push_bind(after.map_or(Uuid::nil(), |r| r.0));
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    stmt.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit.clamp(1, 10_000)));
    let mut out = Vec::new();
    for row in stmt.fetch_all(&mut *conn).await? {
        let (recording, _codec) = rows::recording(&row)?;
        out.push(RecordingCopies { recording, copies: Vec::new() });
    }
    for chunk in out.chunks_mut(IDS_PER_QUERY) {
        let ids: Vec<Uuid> = chunk.iter().map(|r| r.recording.id.0).collect();
        let mut stmt = sql(format!("SELECT {COPY_COLUMNS} FROM copies WHERE recording_id IN ("));
        stmt.push_list(ids).push(") ORDER BY created_at, id");
        for row in stmt.fetch_all(&mut *conn).await? {
            let copy = stored_copy(&row)?;
            if let Some(rec) = chunk.iter_mut().find(|r| r.recording.id == copy.copy.recording_id) {
                rec.copies.push(copy);
            }
        }
    }
    Ok(out)
}

pub(crate) async fn add_copy<D: Dialect>(
    db: &D,
    new: NewCopy,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<StoredCopy> {
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    match lock_recording(&mut *tx, new.recording_id).await? {
        Some(tenant) if tenant == new.tenant_id => {}
        _ => return Err(CatalogError::NotFound { what: "recording" }.into()),
    }
    let inserted = sql(format!(
        "INSERT INTO copies (id, tenant_id, recording_id, store, object_key, size_bytes, sha256, \
         created_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (store, object_key) DO NOTHING RETURNING {COPY_COLUMNS}"
    ))
    .bind(CopyId::new().0)
    .bind(new.tenant_id.0)
    .bind(new.recording_id.0)
    .bind(&new.store)
    .bind(&new.object_key)
    .bind(i64_of(new.size_bytes))
    .bind(&new.sha256)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let copy = match inserted {
        Some(row) => stored_copy(&row)?,
        None => {
            // Recorded before (a job that died after its commit, run again):
            // the same copy is the same answer, anything else a conflict.
            let row = sql(format!(
                "SELECT {COPY_COLUMNS} FROM copies WHERE store = $1 AND object_key = $2"
            ))
            .bind(&new.store)
            .bind(&new.object_key)
            .fetch_one(&mut *tx)
            .await?;
            let existing = stored_copy(&row)?;
            let same = existing.copy.recording_id == new.recording_id
                && existing.copy.sha256 == new.sha256
                && existing.copy.size_bytes == new.size_bytes
                && existing.deleting_at.is_none();
            if !same {
                return Err(CatalogError::Conflict { what: "copy" }.into());
            }
            tx.commit().await?;
            return Ok(existing);
        }
    };
    let cleared = sql("DELETE FROM pending_objects WHERE store = $1 AND object_key = $2 \
                       AND owner = $3")
    .bind(&new.store)
    .bind(&new.object_key)
    .bind(&new.owner)
    .execute(&mut *tx)
    .await?;
    if cleared != 1 {
        // Without our pending row, recovery may have removed the object.
        return Err(CatalogError::Conflict { what: "pending object" }.into());
    }
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(new.tenant_id),
            actor,
            action: "copy.added",
            subject: format!("recording:{}", new.recording_id),
            detail: json!({
                "copy": copy.copy.id.to_string(),
                "store": new.store,
                "size_bytes": new.size_bytes,
                "sha256": new.sha256,
                "reason": new.reason,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(copy)
}

pub(crate) async fn begin_delete<D: Dialect>(
    db: &D,
    id: CopyId,
    min_remaining: u32,
    keep_on: &[String],
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let row = sql(format!("SELECT {COPY_COLUMNS} FROM copies WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(CatalogError::NotFound { what: "copy" }.into());
    };
    let copy = stored_copy(&row)?;
    if copy.deleting_at.is_some() {
        // Begun before: the caller finishes it.
        return Ok(true);
    }
    lock_recording(&mut *tx, copy.copy.recording_id).await?;
    // Read under the lock: no other job can remove a copy of this
    // recording between this count and the commit.
    let others = sql(format!(
        "SELECT {COPY_COLUMNS} FROM copies WHERE recording_id = $1 AND id <> $2 \
         AND verified_at IS NOT NULL AND deleting_at IS NULL"
    ))
    .bind(copy.copy.recording_id.0)
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(stored_copy)
    .collect::<Result<Vec<_>>>()?;
    let enough = others.len() >= usize::try_from(min_remaining).unwrap_or(usize::MAX);
    let placed = keep_on.iter().all(|s| others.iter().any(|c| c.copy.store == *s));
    if !enough || !placed {
        return Ok(false);
    }
    sql("UPDATE copies SET deleting_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(copy.tenant_id),
            actor,
            action: "copy.deleting",
            subject: format!("recording:{}", copy.copy.recording_id),
            detail: json!({
                "copy": id.to_string(),
                "store": copy.copy.store,
                "reason": reason,
                "remaining_verified": others.len(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn finish_delete<D: Dialect>(db: &D, id: CopyId, actor: &str) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let row = sql("DELETE FROM copies WHERE id = $1 AND deleting_at IS NOT NULL \
                   RETURNING tenant_id, recording_id, store")
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(TenantId(row.uuid("tenant_id")?)),
            actor,
            action: "copy.deleted",
            subject: format!("recording:{}", row.uuid("recording_id")?),
            detail: json!({ "copy": id.to_string(), "store": row.text("store")? }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(crate) async fn deleting<D: Dialect>(db: &D, limit: u32) -> Result<Vec<StoredCopy>> {
    let rows = sql(format!(
        "SELECT {COPY_COLUMNS} FROM copies WHERE deleting_at IS NOT NULL \
         ORDER BY deleting_at LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(stored_copy).collect()
}

fn policy(row: &impl SqlRow) -> Result<StoragePolicy> {
    let tier = match row.opt_text("tier_to")? {
        Some(to) => Some(TierRule {
            after_days: u32::try_from(row.i32("tier_after_days")?).unwrap_or_default(),
            from: row.opt_text("tier_from")?.unwrap_or_default(),
            to,
        }),
        None => None,
    };
    Ok(StoragePolicy {
        copies: u32::try_from(row.i32("copies")?).unwrap_or_default(),
        stores: serde_json::from_str(&row.text("stores")?)
            .map_err(|e| CatalogError::Backend(format!("bad stores in a policy: {e}")))?,
        tier,
        alert_after_secs: u64::try_from(row.i64("alert_after_secs")?).unwrap_or_default(),
    })
}

const POLICY_COLUMNS: &str =
    "tenant_id, copies, stores, tier_after_days, tier_from, tier_to, alert_after_secs";

pub(crate) async fn get_policy<D: Dialect>(
    db: &D,
    tenant: TenantId,
) -> Result<Option<StoragePolicy>> {
    let row = sql(format!("SELECT {POLICY_COLUMNS} FROM storage_policies WHERE tenant_id = $1"))
        .bind(tenant.0)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.map(|r| policy(&r)).transpose()
}

pub(crate) async fn list_policies<D: Dialect>(db: &D) -> Result<Vec<(TenantId, StoragePolicy)>> {
    let rows = sql(format!("SELECT {POLICY_COLUMNS} FROM storage_policies ORDER BY tenant_id"))
        .fetch_all(&mut *db.read().await?)
        .await?;
    rows.iter().map(|r| Ok((TenantId(r.uuid("tenant_id")?), policy(r)?))).collect()
}

pub(crate) async fn set_policy<D: Dialect>(
    db: &D,
    tenant: TenantId,
    new: Option<&StoragePolicy>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(p) = new {
        p.validate()?;
    }
    let now = catalog_time(now);
    let mut tx = db.begin_write().await?;
    let exists = sql("SELECT id FROM tenants WHERE id = $1")
        .bind(tenant.0)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !exists {
        return Err(CatalogError::NotFound { what: "tenant" }.into());
    }
    match new {
        Some(p) => {
            let i32_of = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
            sql("INSERT INTO storage_policies (tenant_id, copies, stores, tier_after_days, \
                 tier_from, tier_to, alert_after_secs, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id) DO UPDATE SET \
                 copies = excluded.copies, stores = excluded.stores, \
                 tier_after_days = excluded.tier_after_days, tier_from = excluded.tier_from, \
                 tier_to = excluded.tier_to, alert_after_secs = excluded.alert_after_secs, \
                 updated_at = excluded.updated_at")
            .bind(tenant.0)
            .bind(i32_of(p.copies))
            .bind(serde_json::to_string(&p.stores).unwrap_or_else(|_| "[]".into()))
            .bind(i32_of(p.tier.as_ref().map_or(0, |t| t.after_days)))
            .bind(p.tier.as_ref().map(|t| t.from.clone()))
            .bind(p.tier.as_ref().map(|t| t.to.clone()))
            .bind(i64_of(p.alert_after_secs))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sql("DELETE FROM storage_policies WHERE tenant_id = $1")
                .bind(tenant.0)
                .execute(&mut *tx)
                .await?;
        }
    }
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant),
            actor,
            action: if new.is_some() { "storage_policy.set" } else { "storage_policy.reset" },
            subject: format!("tenant:{tenant}"),
            detail: serde_json::to_value(new).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn copy_histogram<D: Dialect>(db: &D) -> Result<Vec<(u32, u64)>> {
    let rows = sql("SELECT n, COUNT(*) AS recordings FROM (SELECT r.id, COUNT(c.id) AS n \
                    FROM recordings r LEFT JOIN copies c ON c.recording_id = r.id \
                    AND c.verified_at IS NOT NULL AND c.deleting_at IS NULL GROUP BY r.id) AS per \
                    GROUP BY n ORDER BY n")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                u32::try_from(r.i64("n")?).unwrap_or_default(),
                u64::try_from(r.i64("recordings")?).unwrap_or_default(),
            ))
        })
        .collect()
}
