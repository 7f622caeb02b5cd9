//! The PostgreSQL catalog, for deployments that outgrow one machine. Times
//! are stored as TIMESTAMPTZ, at the catalog's microsecond precision.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use crate::catalog::{CatalogError, Result, catalog_time};
use crate::sql::{Dialect, Migration, SqlConn, SqlRow, Stmt, Value, WriteHealth};

/// The catalog's tables, which `maintain` analyzes by name: a bare ANALYZE
/// also visits the system catalogs, and warns about each one that the
/// database's owner, when not a superuser, may not analyze.
const TABLES: &[&str] = &[
    "tenants",
    "api_keys",
    "conversations",
    "conversation_external_ids",
    "conversation_keys",
    "conversation_events",
    "participants",
    "recordings",
    "copies",
    "pending_objects",
    "audit_log",
    "destinations",
    "deliveries",
    "delivery_attempts",
    "alerts",
    "leases",
    "callvault_migrations",
    // storage policies (0005)
    "storage_policies",
    // capacity and scrubbing (0008)
    "storage_samples",
    "scrub_runs",
    "scrub_findings",
    // encryption at rest (0006)
    "encryption_master_keys",
    "recording_keys",
    "tenant_encryption",
    // Retention, legal hold, trash (migration 0009).
    "retention_rules",
    "legal_holds",
    "retention_confirmations",
    // assurance (0007)
    "calls",
    "findings",
    "assurance_cursors",
    // console sessions (0010)
    "console_sessions",
];

/// The PostgreSQL catalog.
pub struct PgCatalog {
    pool: PgPool,
    writes: WriteHealth,
}

impl PgCatalog {
    /// Connect to a `postgres://` URL.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| CatalogError::Unavailable(format!("cannot connect to postgresql: {e}")))?;
        Ok(Self { pool, writes: WriteHealth::default() })
    }
}

impl Dialect for PgCatalog {
    type Db = Postgres;
    type Conn = PgConnection;

    const BACKEND: &'static str = "postgres";

    const MIGRATIONS: &'static [Migration] = &[
        Migration {
            version: 1,
            name: "init",
            script: include_str!("migrations/postgres/0001_init.sql"),
        },
        Migration {
            version: 2,
            name: "outbox",
            script: include_str!("migrations/postgres/0002_outbox.sql"),
        },
        Migration {
            version: 3,
            name: "conversation_events",
            script: include_str!("migrations/postgres/0003_conversation_events.sql"),
        },
        Migration {
            version: 4,
            name: "key_generations",
            script: include_str!("migrations/postgres/0004_key_generations.sql"),
        },
        Migration {
            version: 5,
            name: "storage",
            script: include_str!("migrations/postgres/0005_storage.sql"),
        },
        Migration {
            version: 6,
            name: "encryption",
            script: include_str!("migrations/postgres/0006_encryption.sql"),
        },
        Migration {
            version: 7,
            name: "assurance",
            script: include_str!("migrations/postgres/0007_assurance.sql"),
        },
        Migration {
            version: 8,
            name: "capacity",
            script: include_str!("migrations/postgres/0008_capacity.sql"),
        },
        // Issue 14, item 4: retention, legal hold, trash.
        Migration {
            version: 9,
            name: "retention",
            script: include_str!("migrations/postgres/0009_retention.sql"),
        },
        // Issue 16: console sessions.
        Migration {
            version: 10,
            name: "console_sessions",
            script: include_str!("migrations/postgres/0010_console_sessions.sql"),
        },
        // Issue 16: the console's search filters.
        Migration {
            version: 11,
            name: "console_search",
            script: include_str!("migrations/postgres/0011_console_search.sql"),
        },
        // Issue 16: flags as search keys.
        Migration {
            version: 12,
            name: "flag_keys",
            script: include_str!("migrations/postgres/0012_flag_keys.sql"),
        },
    ];

    /// The advisory lock ('callvaul' as an i64) that serialises servers
    /// starting at once, then the migrations table in this dialect.
    const MIGRATION_PREAMBLE: &'static [&'static str] = &[
        "SELECT pg_advisory_xact_lock(7161124095594165612)",
        "CREATE TABLE IF NOT EXISTS callvault_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
    ];

    /// Lock the rows taken and skip those another claim holds. Without it,
    /// two claims that read the same due rows would both update them (the
    /// second after the first commits: PostgreSQL re-checks only the
    /// updated row, not the sub-select that chose it).
    const CLAIM_LOCK: &'static str = " FOR UPDATE OF d SKIP LOCKED";

    /// A serial plan: see [`Dialect::SEARCH_SETTINGS`].
    const SEARCH_SETTINGS: &'static [&'static str] =
        &["SET LOCAL max_parallel_workers_per_gather = 0"];

    async fn read(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        self.pool.acquire().await
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    async fn analyze(&self) -> Result<(), sqlx::Error> {
        // Autovacuum analyzes too, but lags behind bulk loads.
        sqlx::query(&format!("ANALYZE {}", TABLES.join(", "))).execute(&self.pool).await?;
        Ok(())
    }

    /// A write that changes nothing: the newest migration's name set to
    /// itself.
    async fn probe_room(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE callvault_migrations SET name = name \
             WHERE version = (SELECT MAX(version) FROM callvault_migrations)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    fn writes(&self) -> &WriteHealth {
        &self.writes
    }
}

/// A statement as a sqlx query, times truncated to the catalog's precision.
fn query(text: &str, values: Vec<Value>) -> Query<'_, Postgres, PgArguments> {
    let mut query = sqlx::query(text);
    for value in values {
        query = match value {
            Value::Uuid(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::I32(v) => query.bind(v),
            Value::I64(v) => query.bind(v),
            Value::Time(v) => query.bind(v.map(catalog_time)),
            Value::Json(v) => query.bind(Json(v)),
            Value::Bool(v) => query.bind(v),
            Value::Bytes(v) => query.bind(v),
        };
    }
    query
}

impl SqlConn for PgConnection {
    type Row = PgRow;

    fn execute(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            Ok(query(&text, values).execute(self).await?.rows_affected())
        })
    }

    fn fetch_all(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<Vec<PgRow>, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            query(&text, values).fetch_all(self).await
        })
    }

    fn fetch_optional(&mut self, stmt: Stmt) -> BoxFuture<'_, Result<Option<PgRow>, sqlx::Error>> {
        Box::pin(async move {
            let (text, values) = stmt.into_parts();
            query(&text, values).fetch_optional(self).await
        })
    }
}

impl SqlRow for PgRow {
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
        self.try_get(col)
    }

    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        self.try_get(col)
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
