//! The audit log: appended inside the transaction of the change it records,
//! read oldest first.

use callvault_model::{AuditEvent, TenantId};
use chrono::Utc;

use super::error::Result;
use super::stmt::{SqlConn, sql};
use super::{Dialect, rows};

/// One audit entry, to append in the transaction of the change it describes.
pub(crate) struct Entry<'a> {
    pub tenant: Option<TenantId>,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: String,
    pub detail: serde_json::Value,
}

pub(crate) async fn append(tx: &mut impl SqlConn, entry: Entry<'_>) -> Result<()> {
    sql("INSERT INTO audit_log (tenant_id, at, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)")
    .bind(entry.tenant.map(|t| t.0))
    .bind(Utc::now())
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.subject)
    .bind(entry.detail)
    .execute(tx)
    .await?;
    Ok(())
}

pub(crate) async fn events<D: Dialect>(
    db: &D,
    tenant: Option<TenantId>,
    after: i64,
    limit: u32,
) -> Result<Vec<AuditEvent>> {
    let mut stmt = sql(
        "SELECT seq, tenant_id, at, actor, action, subject, detail FROM audit_log WHERE seq > ",
    );
    stmt.push_bind(after);
    if let Some(tenant) = tenant {
        stmt.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    stmt.push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
    let rows = stmt.fetch_all(&mut *db.read().await?).await?;
    rows.iter().map(rows::audit_event).collect()
}
