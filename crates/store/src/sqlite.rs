//! The embedded SQLite catalog: one file in WAL mode, fully synchronous
//! commits, one writer connection (SQLite allows one writer at a time; a
//! single pooled connection turns contention into a queue instead of
//! `SQLITE_BUSY`) and a pool of readers. Times are stored as INTEGER
//! microseconds since the Unix epoch.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{Connection, Row, Sqlite, Transaction};
use uuid::Uuid;

use crate::catalog::{CatalogError, Result, from_micros, to_micros};
use crate::sql::{Dialect, Migration, SqlConn, SqlRow, Stmt, Value, WriteHealth, catalog_error};

/// The SQLite catalog.
pub struct SqliteCatalog {
    writer: SqlitePool,
    readers: SqlitePool,
    /// The database file; None in memory.
    path: Option<PathBuf>,
    writes: WriteHealth,
}

/// How much [`Dialect::probe_room`] writes beside the database: more than a
/// failed commit leaves allocated in the WAL, where a one-page write would
/// still fit on a full disk.
const PROBE_BYTES: usize = 256 * 1024;

impl SqliteCatalog {
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
        let path = (opts.get_filename() != Path::new(":memory:"))
            .then(|| opts.get_filename().to_path_buf());
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
            .map_err(catalog_error)?;
        let readers = SqlitePoolOptions::new()
            .max_connections(max_readers.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.read_only(true))
            .await
            .map_err(catalog_error)?;
        Ok(Self { writer, readers, path, writes: WriteHealth::default() })
    }
}

impl SqliteCatalog {
    /// Close the writer connection if sqlx still counts it as inside a
    /// transaction; the pool opens a fresh one for the next write.
    ///
    /// A COMMIT that fails with `SQLITE_FULL` (or an I/O error) may leave
    /// SQLite having rolled the transaction back already. The ROLLBACK sqlx
    /// then sends fails ("no transaction is active"), so sqlx's transaction
    /// depth of the connection stays at one and every later BEGIN is refused
    /// as a nested one, even once the disk has room again.
    async fn replace_stuck_writer(&self) -> Result<(), sqlx::Error> {
        let conn = self.writer.acquire().await?;
        if conn.is_in_transaction() {
            tracing::warn!("catalog writer connection stuck in a failed transaction; replacing it");
            conn.close().await?;
        }
        Ok(())
    }
}

impl Dialect for SqliteCatalog {
    type Db = Sqlite;
    type Conn = SqliteConnection;

    const BACKEND: &'static str = "sqlite";

    const MIGRATIONS: &'static [Migration] = &[
        Migration {
            version: 1,
            name: "init",
            script: include_str!("migrations/sqlite/0001_init.sql"),
        },
        Migration {
            version: 2,
            name: "outbox",
            script: include_str!("migrations/sqlite/0002_outbox.sql"),
        },
        Migration {
            version: 3,
            name: "conversation_events",
            script: include_str!("migrations/sqlite/0003_conversation_events.sql"),
        },
        Migration {
            version: 4,
            name: "key_generations",
            script: include_str!("migrations/sqlite/0004_key_generations.sql"),
        },
        Migration {
            version: 5,
            name: "storage",
            script: include_str!("migrations/sqlite/0005_storage.sql"),
        },
        Migration {
            version: 6,
            name: "encryption",
            script: include_str!("migrations/sqlite/0006_encryption.sql"),
        },
        Migration {
            version: 7,
            name: "assurance",
            script: include_str!("migrations/sqlite/0007_assurance.sql"),
        },
        Migration {
            version: 8,
            name: "capacity",
            script: include_str!("migrations/sqlite/0008_capacity.sql"),
        },
        // Issue 14, item 4: retention, legal hold, trash.
        Migration {
            version: 9,
            name: "retention",
            script: include_str!("migrations/sqlite/0009_retention.sql"),
        },
        // Issue 16: console sessions.
        Migration {
            version: 10,
            name: "console_sessions",
            script: include_str!("migrations/sqlite/0010_console_sessions.sql"),
        },
        // Issue 16: the console's search filters.
        Migration {
            version: 11,
            name: "console_search",
            script: include_str!("migrations/sqlite/0011_console_search.sql"),
        },
        // Issue 16: flags as search keys.
        Migration {
            version: 12,
            name: "flag_keys",
            script: include_str!("migrations/sqlite/0012_flag_keys.sql"),
        },
    ];

    /// The migrations table in this dialect, and nothing to take first:
    /// BEGIN IMMEDIATE already excludes other writers.
    const MIGRATION_PREAMBLE: &'static [&'static str] =
        &["CREATE TABLE IF NOT EXISTS callvault_migrations \
         (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"];

    /// Nothing: BEGIN IMMEDIATE made the claim the only writer.
    const CLAIM_LOCK: &'static str = "";

    /// Nothing: SQLite plans one thread per statement.
    const SEARCH_SETTINGS: &'static [&'static str] = &[];

    async fn read(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        self.readers.acquire().await
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        // IMMEDIATE takes the write lock up front, so a transaction that reads
        // before it writes cannot fail on upgrade when another process (the
        // CLI next to a running server) writes too.
        match self.writer.begin_with("BEGIN IMMEDIATE").await {
            Err(sqlx::Error::InvalidSavePointStatement) => {
                self.replace_stuck_writer().await?;
                self.writer.begin_with("BEGIN IMMEDIATE").await
            }
            begun => begun,
        }
    }

    async fn analyze(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.writer.acquire().await?;
        // A bounded sample per index keeps this to milliseconds at any size.
        sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
        Ok(())
    }

    /// Write and remove a scratch file beside the database, on a blocking
    /// thread.
    async fn probe_room(&self) -> Result<(), sqlx::Error> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut probe = path.clone().into_os_string();
        // Per process: the CLI may probe next to a running server.
        probe.push(format!("-room-probe-{}", std::process::id()));
        let probe = PathBuf::from(probe);
        tokio::task::spawn_blocking(move || {
            let written = std::fs::write(&probe, vec![0u8; PROBE_BYTES]);
            let removed = std::fs::remove_file(&probe);
            written.and(removed)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }

    fn writes(&self) -> &WriteHealth {
        &self.writes
    }
}

/// A statement as a sqlx query, times as microseconds.
/// The shared SQL's `$N` placeholders in the form SQLite binds cheapest.
/// SQLite (and sqlx, which asks each parameter's name when binding) looks
/// a numbered or named parameter up in a list, once per parameter:
/// quadratic in a statement of thousands (a multi-row INSERT, 5,000
/// parameters: seconds of CPU). Placeholders that run `$1, $2, …` in order
/// become anonymous `?`, which have no name to look up; any other use
/// (a number repeated or out of order) becomes `?N`, the same binding.
fn sqlite_placeholders(text: Cow<'static, str>) -> Cow<'static, str> {
    if !text.contains('$') {
        return text;
    }
    let bytes = text.as_bytes();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let start = i + 1;
            i = start;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            numbers.push((start - 1, i, text[start..i].parse::<usize>().unwrap_or(0)));
        } else {
            i += 1;
        }
    }
    let in_order = numbers.iter().enumerate().all(|(k, &(_, _, n))| n == k + 1);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(from, to, n) in &numbers {
        out.push_str(&text[last..from]);
        if in_order {
            out.push('?');
        } else {
            out.push('?');
            out.push_str(&n.to_string());
        }
        last = to;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

fn query(text: &str, values: Vec<Value>) -> Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut query = sqlx::query(text);
    for value in values {
        query = match value {
            Value::Uuid(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::I32(v) => query.bind(v),
            Value::I64(v) => query.bind(v),
            Value::Time(v) => query.bind(v.map(to_micros)),
            Value::Json(v) => query.bind(Json(v)),
            Value::Bool(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
        };
    }
    query
}

impl SqlConn for SqliteConnection {
    type Row = SqliteRow;

    fn execute(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            let text = sqlite_placeholders(text);
            Ok(query(&text, values).execute(self).await?.rows_affected())
        })
    }

    fn fetch_all(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<Vec<SqliteRow>, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            let text = sqlite_placeholders(text);
            query(&text, values).fetch_all(self).await
        })
    }

    fn fetch_optional(
        &mut self,
        stmt: Stmt,
    ) -> BoxFuture<'_, Result<Option<SqliteRow>, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            let text = sqlite_placeholders(text);
            query(&text, values).fetch_optional(self).await
        })
    }
}

impl SqlRow for SqliteRow {
    fn uuid(&self, col: &str) -> Result<Uuid, sqlx::Error> {
        self.try_get(col)
    }

    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, sqlx::Error> {
        self.try_get(col)
    }

    fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        self.try_get(col)
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(col)
    }

    fn i32(&self, col: &str) -> Result<i32, sqlx::Error> {
        self.try_get(col)
    }

    fn i64(&self, col: &str) -> Result<i64, sqlx::Error> {
        self.try_get(col)
    }

    fn time(&self, col: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        Ok(from_micros(self.try_get(col)?))
    }

    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        Ok(self.try_get::<Option<i64>, _>(col)?.map(from_micros))
    }

    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T, sqlx::Error> {
        Ok(self.try_get::<Json<T>, _>(col)?.0)
    }

    fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
        self.try_get(col)
    }

    fn bytes(&self, col: &str) -> Result<Vec<u8>, sqlx::Error> {
        self.try_get(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_order_become_anonymous_and_any_other_use_keeps_its_number() {
        let t = |s: &'static str| sqlite_placeholders(Cow::Borrowed(s)).into_owned();
        assert_eq!(t("SELECT 1"), "SELECT 1");
        assert_eq!(
            t("INSERT INTO x VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO x VALUES (?, ?), (?, ?)"
        );
        assert_eq!(t("WHERE a = $1 OR b = $1"), "WHERE a = ?1 OR b = ?1");
        assert_eq!(t("WHERE a = $2 AND b = $1"), "WHERE a = ?2 AND b = ?1");
        assert_eq!(t("WHERE a = $10 AND b = $1"), "WHERE a = ?10 AND b = ?1");
        assert_eq!(t("SELECT '$' || $1"), "SELECT '$' || ?");
    }
}
