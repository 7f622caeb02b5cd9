//! Copies of recordings in the object stores, as the consistency checks
//! walk and verify them.

use std::collections::HashSet;

use callvault_model::{Copy, CopyId, TenantId};
use chrono::{DateTime, Utc};

use super::audit::{self, Entry};
use super::error::Result;
use super::stmt::{SqlRow, sql};
use super::{Dialect, rows};
use crate::catalog::CatalogError;

/// How many keys one `IN (...)` list holds.
const KEYS_PER_QUERY: usize = 500;

pub(crate) async fn list<D: Dialect>(
    db: &D,
    store: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Copy>> {
    let rows = sql("SELECT id, recording_id, store, object_key, size_bytes, sha256, created_at, \
                    verified_at FROM copies WHERE store = $1 AND object_key > $2 \
                    ORDER BY object_key LIMIT $3")
    .bind(store)
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(rows::copy).collect()
}

pub(crate) async fn known_object_keys<D: Dialect>(
    db: &D,
    store: &str,
    keys: &[String],
) -> Result<HashSet<String>> {
    let mut known = HashSet::new();
    let mut conn = db.read().await?;
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        // Pending first: rows only move from pending to copies, so a commit
        // between the two queries cannot hide a key.
        for table in ["pending_objects", "copies"] {
            let mut stmt = sql(format!("SELECT object_key FROM {table} WHERE store = "));
            stmt.push_bind(store).push(" AND object_key IN (").push_list(chunk).push(")");
            for row in stmt.fetch_all(&mut *conn).await? {
                known.insert(row.text("object_key")?);
            }
        }
    }
    Ok(known)
}

pub(crate) async fn mark_verified<D: Dialect>(db: &D, id: CopyId, at: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = sql("UPDATE copies SET verified_at = $1 WHERE id = $2 RETURNING tenant_id")
        .bind(at)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(CatalogError::NotFound { what: "copy" }.into());
    };
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(TenantId(row.uuid("tenant_id")?)),
            actor: "system",
            action: "copy.verified",
            subject: format!("copy:{id}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
