//! The callvault domain model: tenants, conversations, participants,
//! recordings, copies and audit events, and [`Timestamp`], the point in time
//! the sans-IO crates share.
//!
//! **Architecture invariant:** this crate does no I/O, owns no async runtime
//! and reads no clock. Every other crate speaks in these types; storage and
//! transport representations convert from and to them at their own edges.
#![forbid(unsafe_code)]

mod ids;
mod net;
mod time;
mod types;

pub use ids::*;
pub use net::{IpNet, IpNetError};
pub use time::Timestamp;
pub use types::*;
