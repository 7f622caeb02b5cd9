//! Migrations: each backend's scripts, applied once each, in one transaction.

use chrono::Utc;

use super::Dialect;
use super::error::Result;
use super::stmt::sql;
use crate::catalog::sql_statements;

/// One migration script of a backend. Once released, a script never changes:
/// a change is a new migration.
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub script: &'static str,
}

/// Apply what [`Dialect::MIGRATIONS`] holds and the database lacks, in one
/// transaction, after the backend's [`Dialect::MIGRATION_PREAMBLE`].
pub(crate) async fn run<D: Dialect>(db: &D) -> Result<()> {
    let mut tx = db.begin_write().await?;
    for &statement in D::MIGRATION_PREAMBLE {
        sql(statement).execute(&mut *tx).await?;
    }
    for migration in D::MIGRATIONS {
        let done = sql("SELECT version FROM callvault_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        for statement in sql_statements(migration.script) {
            sql(statement).execute(&mut *tx).await?;
        }
        sql("INSERT INTO callvault_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied catalog migration"
        );
    }
    tx.commit().await?;
    Ok(())
}
