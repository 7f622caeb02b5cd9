//! Storage lifecycle: what keeps every recording's required verified copies
//! in place over its life, from ingest to deletion.
//!
//! Every job here is a [`callvault_vault::worker::Worker`] driven by the
//! catalog: idempotent, resumable from any crash point, safe on several
//! `serve` processes sharing one catalog.
#![forbid(unsafe_code)]
