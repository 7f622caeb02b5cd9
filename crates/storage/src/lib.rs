//! Storage lifecycle: what keeps every recording's required verified copies
//! in place over its life, from ingest to deletion.
//!
//! Every job here is a [`callvault_vault::worker::Worker`] driven by the
//! catalog: idempotent, resumable from any crash point, safe on several
//! `serve` processes sharing one catalog.
#![forbid(unsafe_code)]

pub mod capacity;
pub mod scrub;

use std::sync::Arc;

use callvault_store::BlobStore;
use callvault_vault::Vault;

/// Every store of the vault that capacity and scrubbing look at.
pub fn stores_of(vault: &Vault) -> Vec<Arc<BlobStore>> {
    vec![vault.store.clone()]
}
