//! Storage lifecycle: what keeps every recording's required verified copies
//! in place over its life, from ingest to deletion.
//!
//! - [`config`]: the `[storage]` section: named stores, the default
//!   policy, how the jobs run.
//! - [`plan`]: what one recording's copies need (sans-IO).
//! - [`jobs`]: the [`jobs::Engine`] that carries plans out under a lease,
//!   and [`jobs::StorageWorker`], its worker in `serve`.
//!
//! Every job here is a [`callvault_vault::worker::Worker`] driven by the
//! catalog: idempotent, resumable from any crash point, safe on several
//! `serve` processes sharing one catalog.
//!
//! - [`retention`]: retention rules' decision (sans-IO) and the run, with the
//!   mass-deletion guard.
//! - [`trash`]: the purge of the trash after its grace period, and the
//!   trash's gauges.
#![forbid(unsafe_code)]

pub mod capacity;
pub mod config;
pub mod jobs;
pub mod plan;
pub mod retention;
pub mod scrub;
pub mod trash;

use std::sync::Arc;

use callvault_store::BlobStore;
use callvault_vault::Vault;

/// Every store of the vault (the primary first) that capacity and
/// scrubbing look at.
pub fn stores_of(vault: &Vault) -> Vec<Arc<BlobStore>> {
    vault.stores.iter().map(|(store, _)| store.clone()).collect()
}
