//! The PostgreSQL catalog, for deployments that outgrow one machine.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Pool, Postgres};

use crate::catalog::{CatalogError, Result, catalog_time};

const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "init", include_str!("migrations/postgres/0001_init.sql"))];

/// Any constant: the advisory lock that serialises migrations when several
/// servers start at once.
const MIGRATION_LOCK: i64 = 0x63_61_6c_6c_76_61_75_6c;

/// The PostgreSQL catalog.
pub struct PgCatalog {
    pool: PgPool,
}

impl PgCatalog {
    const BACKEND: &'static str = "postgres";

    /// Connect to a `postgres://` URL.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| CatalogError::Unavailable(format!("cannot connect to postgresql: {e}")))?;
        Ok(Self { pool })
    }

    fn reader(&self) -> &Pool<Postgres> {
        &self.pool
    }

    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'_, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    async fn analyze(&self) -> Result<()> {
        // Autovacuum analyzes too, but lags behind bulk loads.
        sqlx::query("ANALYZE").execute(&self.pool).await.map_err(CatalogError::from_sqlx)?;
        Ok(())
    }

    async fn run_migrations(&self) -> Result<()> {
        let mut tx = self.begin_write().await.map_err(CatalogError::from_sqlx)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(CatalogError::from_sqlx)?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS callvault_migrations \
             (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(CatalogError::from_sqlx)?;
        for &(version, name, sql) in MIGRATIONS {
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM callvault_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(CatalogError::from_sqlx)?;
            if done.is_some() {
                continue;
            }
            for statement in crate::catalog::sql_statements(sql) {
                sqlx::query(statement).execute(&mut *tx).await.map_err(CatalogError::from_sqlx)?;
            }
            sqlx::query(
                "INSERT INTO callvault_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(version)
            .bind(name)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(CatalogError::from_sqlx)?;
            tracing::info!(version, name, "applied catalog migration");
        }
        tx.commit().await.map_err(CatalogError::from_sqlx)
    }
}

fn t(dt: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    catalog_time(dt)
}

fn t_opt(dt: Option<chrono::DateTime<chrono::Utc>>) -> Option<chrono::DateTime<chrono::Utc>> {
    dt.map(catalog_time)
}

fn get_t(row: &sqlx::postgres::PgRow, col: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    sqlx::Row::try_get(row, col).map_err(CatalogError::from_sqlx)
}

fn get_t_opt(
    row: &sqlx::postgres::PgRow,
    col: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    sqlx::Row::try_get(row, col).map_err(CatalogError::from_sqlx)
}

crate::sql::impl_catalog!(PgCatalog, Postgres);
