//! SIP for callvault: everything needed to understand SIP seen on the wire
//! and to act as a SIPREC Session Recording Server, without sockets or a
//! clock.
//!
//! Module map:
//! - [`message`]: SIP message parsing ([`SipMessage`]), stream framing
//!   ([`frame`]), typed header accessors, response building, serialisation.
//! - [`uri`]: SIP/SIPS/tel URIs and name-addr values.
//! - [`headers`]: typed single-header values (Via, CSeq, Content-Type,
//!   Replaces, Session-Expires, RAck) and compact-name handling.
//! - [`sdp`]: SDP parsing and writing, the SRS recvonly answer.
//! - [`multipart`]: `multipart/mixed` splitting.
//! - [`siprec`]: RFC 7865 recording metadata, normalised across vendors, and
//!   the SIPREC offer body (SDP + metadata).
//! - [`transaction`]: sans-IO UAS server transactions with 2xx retransmission.
//! - [`client`]: sans-IO non-INVITE client transactions (the SRS's own BYE).
//! - [`srs`]: the sans-IO SIPREC Session Recording Server core (dialogs,
//!   offers/answers, metadata updates, session timers) on top of
//!   [`transaction`].
//!
//! **Architecture invariant:** no sockets, no tasks, no clock. Parsers never
//! panic on input and are fuzzed; time enters as a `now` argument, a
//! [`callvault_model::Timestamp`], and deadlines come out as `Timestamp`s
//! (`poll_timeout`); `Duration` is for spans (T1, T2, session intervals).
#![forbid(unsafe_code)]

pub mod client;
pub mod headers;
pub mod message;
pub mod multipart;
pub mod sdp;
pub mod siprec;
pub mod srs;
mod text;
pub mod transaction;
pub mod uri;

pub use headers::{CSeq, MediaType, Method, RAck, Refresher, Replaces, SessionExpires, Via};
pub use message::{Framing, Header, OwnedSipMessage, ParseError, SipMessage, StartLine, frame};
pub use text::Params;
pub use uri::{NameAddr, Scheme, Uri};
