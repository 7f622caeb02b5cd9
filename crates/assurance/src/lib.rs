//! Assurance: proof, call by call, that every answered call has its complete
//! recording, its copies and its deliveries.
//!
//! The calls that happened come from sources other than the recorder's own
//! output (the call register: capture and SIPREC signalling, PBX CDRs); each
//! is reconciled against what the vault holds, and what is missing becomes a
//! finding with its reason, reported and alerted.
//!
//! - [`cdr`]: CDR legs as PBXs write them; [`register`]: legs into calls,
//!   the import formats.
//! - [`matcher`]: calls to conversations (ids, else numbers and time).
//! - [`check`]: what one call lacks (pure).
//! - [`reconcile`]: the worker that checks due calls in batches, scans for
//!   orphan recordings, raises alerts and sends the daily report.
//! - [`report`]: summaries and findings as tables, CSV, the daily message.
//! - [`config`]: the `[assurance]` section.
#![forbid(unsafe_code)]
pub mod cdr;
pub mod check;
pub mod config;
pub mod matcher;
pub mod reconcile;
pub mod register;
pub mod report;

pub use config::AssuranceSection;
pub use reconcile::Reconciler;
