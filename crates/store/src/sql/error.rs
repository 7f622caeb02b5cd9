//! What can go wrong inside the SQL code, and how it is reported as a
//! [`CatalogError`].
//!
//! Inside, a step fails either with the database's own error, kept whole so
//! that a commit can tell a lost race (run it again) from a full disk, or with
//! the catalog's verdict (not found, a value it cannot read). Only at the
//! [`Catalog`](crate::Catalog) boundary do both become a [`CatalogError`].

use crate::catalog::CatalogError;

/// SQLite's `SQLITE_FULL` ("database or disk is full") and PostgreSQL's
/// `disk_full`.
const STORAGE_FULL_CODES: &[&str] = &["13", "53100"];

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The catalog's own verdict.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The database refused or failed a statement.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn database(&self) -> Option<&dyn sqlx::error::DatabaseError> {
        match self {
            Error::Sql(sqlx::Error::Database(db)) => Some(db.as_ref()),
            _ => None,
        }
    }

    /// A unique key already holds the value.
    pub(crate) fn is_unique_violation(&self) -> bool {
        self.database().is_some_and(|db| db.is_unique_violation())
    }

    /// A referenced row does not exist.
    pub(crate) fn is_foreign_key_violation(&self) -> bool {
        self.database().is_some_and(|db| db.is_foreign_key_violation())
    }

    /// Whether running the transaction again may succeed: a lost race on a
    /// unique key, or PostgreSQL aborting one side of a deadlock (40P01) or
    /// of a serialization conflict (40001).
    pub(crate) fn is_retryable(&self) -> bool {
        self.database().is_some_and(|db| {
            db.is_unique_violation() || matches!(db.code().as_deref(), Some("40P01" | "40001"))
        })
    }

    /// The database (or the filesystem under it) has no room left to write.
    pub(crate) fn is_storage_full(&self) -> bool {
        match self {
            Error::Sql(sqlx::Error::Io(e)) => e.kind() == std::io::ErrorKind::StorageFull,
            _ => self
                .database()
                .and_then(|db| db.code())
                .is_some_and(|code| STORAGE_FULL_CODES.contains(&code.as_ref())),
        }
    }
}

impl From<Error> for CatalogError {
    fn from(err: Error) -> Self {
        match err {
            Error::Catalog(err) => err,
            // Unavailable, as the database being out of reach: the same
            // request can succeed once there is room.
            err if err.is_storage_full() => {
                CatalogError::Unavailable(format!("storage full: {err}"))
            }
            Error::Sql(err) => catalog_error(err),
        }
    }
}

/// A database error as the catalog reports it: the database being out of
/// reach is `Unavailable` (retry later), anything else `Backend`.
pub(crate) fn catalog_error(err: sqlx::Error) -> CatalogError {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            CatalogError::Unavailable(err.to_string())
        }
        _ => CatalogError::Backend(err.to_string()),
    }
}

/// For `map_err` on an insert: a unique violation means `what` already
/// exists.
pub(crate) fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |err| {
        let err = Error::from(err);
        if err.is_unique_violation() { CatalogError::Conflict { what }.into() } else { err }
    }
}
