//! Storage for callvault: the SQL catalog and the object stores.
//!
//! - [`catalog`]: the [`Catalog`] trait and its types; [`sqlite`] and
//!   [`postgres`] implement it over one body of SQL (the private `sql` module).
//! - [`outbox`]: destinations, deliveries, alerts and leases, the durable
//!   outbox's side of the catalog.
//! - [`retention`]: retention rules, legal holds and the trash.
//! - [`blob`]: object stores through `object_store`, with create-only,
//!   streamed, hashed and verified writes.
//! - [`storage`]: copy rows as the storage jobs see them, storage policies.
//! - [`capacity`]: usage per store and tenant, daily usage samples, scrub
//!   passes and their findings.
//! - [`crypt`]: encryption at rest, the chunked AEAD object format and the
//!   key hierarchy (master keys wrap data keys).
//! - [`open_catalog`]: pick the backend from a database URL.
//!
//! **Architecture invariant:** a recording row is committed only after its
//! object is durably stored and its sha256 verified; an object is written only
//! after a pending-object row names it. So after a crash at any point, every
//! object is known to the catalog (as a copy or a pending object), and every
//! copy row points at a stored object.
#![forbid(unsafe_code)]

pub mod assurance;
pub mod blob;
pub mod capacity;
pub mod catalog;
pub mod crypt;
pub mod outbox;
pub mod postgres;
pub mod retention;
mod sql;
pub mod sqlite;
pub mod storage;

use std::sync::Arc;

pub use assurance::*;
pub use blob::{BlobError, BlobStore, StagedObject, StoreConfig};
pub use capacity::*;
pub use catalog::*;
pub use outbox::*;
pub use retention::*;
pub use storage::*;

/// Open the catalog named by `url` (`sqlite://PATH`, `sqlite:PATH`,
/// `postgres://...`, `postgresql://...`) and apply its migrations.
pub async fn open_catalog(url: &str, max_connections: u32) -> Result<Arc<dyn Catalog>> {
    let catalog: Arc<dyn Catalog> = if url.starts_with("sqlite:") {
        Arc::new(sqlite::SqliteCatalog::open(url, max_connections).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::PgCatalog::open(url, max_connections).await?)
    } else {
        return Err(CatalogError::Invalid {
            what: "database url",
            reason: "expected sqlite://PATH or postgres://...".into(),
        });
    };
    catalog.migrate().await?;
    Ok(catalog)
}
