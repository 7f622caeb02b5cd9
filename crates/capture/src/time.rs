//! Packet time: the only clock this crate knows.
//!
//! A [`Timestamp`] comes from the capture file (or a HEP header), never from
//! the machine's clock, so a replay is deterministic. The type is the
//! workspace's one point in time, defined in `callvault-model` and re-exported
//! here so that `callvault_capture::Timestamp` keeps working.

pub use callvault_model::Timestamp;
