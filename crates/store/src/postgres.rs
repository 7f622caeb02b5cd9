//! The PostgreSQL catalog, for deployments that outgrow one machine.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Pool, Postgres};

use crate::catalog::{CatalogError, Result, catalog_time};

const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "init", include_str!("migrations/postgres/0001_init.sql"))];

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

    /// The advisory lock ('callvaul' as an i64) that serialises servers
    /// starting at once, then the migrations table in this dialect.
    const MIGRATION_PREAMBLE: &'static [&'static str] = &[
        "SELECT pg_advisory_xact_lock(7161124095594165612)",
        "CREATE TABLE IF NOT EXISTS callvault_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
    ];

    async fn analyze(&self) -> Result<()> {
        // Autovacuum analyzes too, but lags behind bulk loads.
        sqlx::query("ANALYZE").execute(&self.pool).await.map_err(CatalogError::from_sqlx)?;
        Ok(())
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
