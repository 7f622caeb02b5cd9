//! The embedded SQLite catalog: one file in WAL mode, fully synchronous
//! commits, one writer connection (SQLite allows one writer at a time; a
//! single pooled connection turns contention into a queue instead of
//! `SQLITE_BUSY`) and a pool of readers.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Pool, Sqlite};

use crate::catalog::{CatalogError, Result, from_micros, to_micros};

const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "init", include_str!("migrations/sqlite/0001_init.sql"))];

/// The SQLite catalog.
pub struct SqliteCatalog {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl SqliteCatalog {
    const BACKEND: &'static str = "sqlite";

    /// Open (creating if missing) the database named by a `sqlite://PATH` or
    /// `sqlite:PATH` URL.
    pub async fn open(url: &str, max_readers: u32) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| CatalogError::Invalid { what: "database url", reason: e.to_string() })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk when it returns, so an acknowledged
            // upload survives power loss, not only a process crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        if let Some(parent) = opts.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                CatalogError::Unavailable(format!("cannot create the database directory: {e}"))
            })?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            // Waiting for the one writer is normal under load (a burst of
            // uploads each fsyncing their commit); not worth a warning.
            .acquire_slow_threshold(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await
            .map_err(CatalogError::from_sqlx)?;
        let readers = SqlitePoolOptions::new()
            .max_connections(max_readers.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.read_only(true))
            .await
            .map_err(CatalogError::from_sqlx)?;
        Ok(Self { writer, readers })
    }

    fn reader(&self) -> &Pool<Sqlite> {
        &self.readers
    }

    async fn begin_write(&self) -> std::result::Result<sqlx::Transaction<'_, Sqlite>, sqlx::Error> {
        // IMMEDIATE takes the write lock up front, so a transaction that reads
        // before it writes cannot fail on upgrade when another process (the
        // CLI next to a running server) writes too.
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// The migrations table in this dialect, and nothing to take first:
    /// BEGIN IMMEDIATE already excludes other writers.
    const MIGRATION_PREAMBLE: &'static [&'static str] =
        &["CREATE TABLE IF NOT EXISTS callvault_migrations \
         (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"];

    async fn analyze(&self) -> Result<()> {
        let mut conn = self.writer.acquire().await.map_err(CatalogError::from_sqlx)?;
        // A bounded sample per index keeps this to milliseconds at any size.
        sqlx::query("PRAGMA analysis_limit = 1000")
            .execute(&mut *conn)
            .await
            .map_err(CatalogError::from_sqlx)?;
        sqlx::query("ANALYZE").execute(&mut *conn).await.map_err(CatalogError::from_sqlx)?;
        Ok(())
    }
}

fn t(dt: chrono::DateTime<chrono::Utc>) -> i64 {
    to_micros(dt)
}

fn t_opt(dt: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    dt.map(to_micros)
}

fn get_t(row: &sqlx::sqlite::SqliteRow, col: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let us: i64 = sqlx::Row::try_get(row, col).map_err(CatalogError::from_sqlx)?;
    Ok(from_micros(us))
}

fn get_t_opt(
    row: &sqlx::sqlite::SqliteRow,
    col: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let us: Option<i64> = sqlx::Row::try_get(row, col).map_err(CatalogError::from_sqlx)?;
    Ok(us.map(from_micros))
}

crate::sql::impl_catalog!(SqliteCatalog, Sqlite);
