//! The ingest side before a commit: pending objects (written, not yet
//! committed) and the duplicate check of an upload.

use callvault_model::{Recording, TenantId};

use super::Dialect;
use super::audit::{self, Entry};
use super::error::{Result, conflict};
use super::rows::{self, RECORDING_COLUMNS};
use super::stmt::{SqlConn, SqlRow, sql};
use crate::catalog::PendingObject;

pub(crate) async fn add_pending<D: Dialect>(db: &D, pending: &PendingObject) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO pending_objects (store, object_key, owner, tenant_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)")
    .bind(&pending.store)
    .bind(&pending.object_key)
    .bind(&pending.owner)
    .bind(pending.tenant_id.0)
    .bind(pending.created_at)
    .execute(&mut *tx)
    .await
    .map_err(conflict("pending object"))?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn remove_pending<D: Dialect>(
    db: &D,
    store: &str,
    object_key: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = sql("DELETE FROM pending_objects WHERE store = $1 AND object_key = $2 \
                   RETURNING tenant_id")
    .bind(store)
    .bind(object_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = row {
        // An upload that was never acknowledged and is now gone: worth a
        // line in the history of the tenant's data.
        audit::append(
            &mut *tx,
            Entry {
                tenant: Some(TenantId(row.uuid("tenant_id")?)),
                actor: "system",
                action: "upload.discarded",
                subject: format!("object:{store}/{object_key}"),
                detail: serde_json::json!({}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn pending<D: Dialect>(db: &D) -> Result<Vec<PendingObject>> {
    let rows = sql("SELECT store, object_key, owner, tenant_id, created_at FROM pending_objects \
                    ORDER BY created_at")
    .fetch_all(&mut *db.read().await?)
    .await?;
    rows.iter().map(rows::pending_object).collect()
}

/// The recording stored earlier by the same upload: the same idempotency
/// key, else the same upload key. Runs on a reader, or inside the commit's
/// transaction.
pub(crate) async fn find_duplicate(
    conn: &mut impl SqlConn,
    tenant: TenantId,
    idempotency_key: Option<&str>,
    upload_key: &str,
) -> Result<Option<Recording>> {
    if let Some(key) = idempotency_key {
        let row = sql(format!(
            "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND idempotency_key = $2"
        ))
        .bind(tenant.0)
        .bind(key)
        .fetch_optional(conn)
        .await?;
        if let Some(row) = row {
            return Ok(Some(rows::recording(&row)?.0));
        }
    }
    let row = sql(format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = $1 AND upload_key = $2"
    ))
    .bind(tenant.0)
    .bind(upload_key)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(rows::recording).transpose()?.map(|(recording, _)| recording))
}
