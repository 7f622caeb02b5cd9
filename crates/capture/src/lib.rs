//! Passive capture: capture files → timestamped frames → SIP messages and
//! UDP datagrams, sans-IO.
//!
//! Module map:
//! - [`mod@file`]: streaming pcap/pcapng reader (plain or gzip) and a pcap writer;
//! - [`filter`]: tcpdump-style capture filters (`udp port 5060 or portrange ...`);
//! - [`link`]: Ethernet, VLAN/QinQ, Linux SLL/SLL2, raw IP, BSD loopback;
//! - [`ip`]: IPv4/IPv6 headers, IPv6 extension headers;
//! - [`defrag`]: bounded IP fragment reassembly driven by packet time;
//! - [`tcp`]: per-flow TCP reassembly cut into SIP messages;
//! - [`hep`]: HEP v3 decoding (and encoding, for tests and forwarding);
//! - `synth` (feature `synth`): packet builders for tests, benchmarks and synthetic captures;
//! - [`demux`]: [`CaptureDemux`], frames in, [`Event`]s out, with counters;
//! - [`tracker`]: [`CallTracker`], events in, conversations and routed RTP out.
//!
//! Nothing here reads the clock or opens a socket: time is the capture's
//! timestamps, and bytes come from whatever `Read` the caller supplies.
#![forbid(unsafe_code)]

pub mod defrag;
pub mod demux;
pub mod file;
pub mod filter;
pub mod hep;
pub mod ip;
pub mod link;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod tcp;
pub mod time;
pub mod tracker;

pub use demux::{CaptureDemux, Datagram, DemuxConfig, DemuxStats, Event, Transport};
pub use file::{
    CaptureError, CaptureReader, FileFormat, Frame, PcapWriter, Precision, ReaderStats,
};
pub use filter::{BpfInsn, CaptureFilter, FilterError};
pub use link::LinkType;
pub use time::Timestamp;
pub use tracker::{CallTracker, TrackerConfig, TrackerOutput, TrackerStats};
