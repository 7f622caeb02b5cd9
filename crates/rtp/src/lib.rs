//! RTP and RTCP for callvault: zero-allocation parsing and sans-IO stream
//! tracking.
//!
//! Module map:
//! - [`packet`]: [`RtpPacket::parse`] — the RTP fixed header, CSRCs,
//!   header extension and padding (RFC 3550 §5.1), borrowing the input.
//! - [`rtcp`]: [`RtcpIter`] over a compound RTCP packet and
//!   [`is_rtcp`] for RTP/RTCP demultiplexing on one port (RFC 5761).
//! - [`event`]: RFC 4733 telephone-events (DTMF).
//! - [`tracker`]: [`StreamTracker`], one per media flow: extended sequence
//!   numbers and timestamps, a bounded reorder buffer, duplicate drop, SSRC
//!   changes and restarts, and the mapping from RTP time to wall-clock time.
//!
//! **Architecture invariant:** this crate owns no socket and reads no clock.
//! Every time it knows was passed in as `now` (a [`Timestamp`], e.g. a pcap
//! timestamp); spans (reorder delay, drift window) are `Duration`s. Malformed
//! input is an error value, never a panic.
//!
//! [`Timestamp`]: callvault_model::Timestamp
#![forbid(unsafe_code)]

pub mod event;
pub mod packet;
pub mod rtcp;
pub mod tracker;

pub use event::TelephoneEvent;
pub use packet::{RtpError, RtpPacket};
pub use rtcp::{RtcpError, RtcpIter, RtcpPacket, is_rtcp};
pub use tracker::{FlowStats, StreamTracker, TrackedPacket, TrackerConfig};
