//! Tenants.

use callvault_model::{Tenant, TenantId};
use chrono::Utc;

use super::audit::{self, Entry};
use super::error::{Result, conflict};
use super::stmt::sql;
use super::{Dialect, rows};
use crate::catalog::{catalog_time, validate_tenant_name};

pub(crate) async fn create<D: Dialect>(db: &D, name: &str, actor: &str) -> Result<Tenant> {
    validate_tenant_name(name)?;
    let tenant =
        Tenant { id: TenantId::new(), name: name.to_owned(), created_at: catalog_time(Utc::now()) };
    let mut tx = db.begin_write().await?;
    sql("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(tenant.id.0)
        .bind(&tenant.name)
        .bind(tenant.created_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict("tenant"))?;
    audit::append(
        &mut *tx,
        Entry {
            tenant: Some(tenant.id),
            actor,
            action: "tenant.created",
            subject: format!("tenant:{}", tenant.id),
            detail: serde_json::json!({ "name": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(tenant)
}

pub(crate) async fn by_name<D: Dialect>(db: &D, name: &str) -> Result<Option<Tenant>> {
    let row = sql("SELECT id, name, created_at FROM tenants WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.as_ref().map(rows::tenant).transpose()
}

pub(crate) async fn by_id<D: Dialect>(db: &D, id: TenantId) -> Result<Option<Tenant>> {
    let row = sql("SELECT id, name, created_at FROM tenants WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *db.read().await?)
        .await?;
    row.as_ref().map(rows::tenant).transpose()
}

pub(crate) async fn list<D: Dialect>(db: &D) -> Result<Vec<Tenant>> {
    let rows = sql("SELECT id, name, created_at FROM tenants ORDER BY name")
        .fetch_all(&mut *db.read().await?)
        .await?;
    rows.iter().map(rows::tenant).collect()
}
