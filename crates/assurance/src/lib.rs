//! Assurance: proof, call by call, that every answered call has its complete
//! recording, its copies and its deliveries.
//!
//! The calls that happened come from sources other than the recorder's own
//! output (the call register: capture and SIPREC signalling, PBX CDRs); each
//! is reconciled against what the vault holds, and what is missing becomes a
//! finding with its reason, reported and alerted.
#![forbid(unsafe_code)]
pub mod cdr;
