//! The sans-IO demultiplexer: frames in, SIP messages and UDP datagrams out.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use callvault_sip::{Framing, frame};

use crate::defrag::{DefragConfig, DefragOutcome, DefragStats, Defragmenter};
use crate::file::Frame;
use crate::hep::{HEP_PROTO_SIP, decode_hep3, is_hep3};
use crate::ip::{IpError, PROTO_TCP, PROTO_UDP, decode_ip, skip_v6_ext};
use crate::link::{LinkPayload, LinkType, be16, be32, decode_link};
use crate::tcp::{TcpConfig, TcpFlags, TcpReassembler, TcpStats};
use crate::time::Timestamp;

/// Transport a SIP message was carried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

/// What the demultiplexer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// One whole SIP message (a UDP datagram, a message cut from a TCP
    /// stream, or the payload of a HEP3 packet of type SIP).
    Sip {
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        /// Carried inside HEP3 (addresses and time are the agent's).
        hep: bool,
        /// Outermost VLAN id of the frame, if tagged.
        vlan: Option<u16>,
        message: Vec<u8>,
    },
    /// A UDP datagram that is not SIP (RTP, RTCP, anything else): the call
    /// tracker routes it by address.
    Udp { ts: Timestamp, src: SocketAddr, dst: SocketAddr, vlan: Option<u16>, payload: Vec<u8> },
}

/// A UDP datagram that is not SIP, borrowed from the frame it came in: what
/// [`CaptureDemux::push_frame`] hands back without copying (RTP, the hot
/// path). The same datagram through [`CaptureDemux::push_raw`] becomes an
/// owned [`Event::Udp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub vlan: Option<u16>,
    pub payload: &'a [u8],
}

impl Datagram<'_> {
    /// The owned event for the queue.
    pub fn to_event(&self) -> Event {
        Event::Udp {
            ts: self.ts,
            src: self.src,
            dst: self.dst,
            vlan: self.vlan,
            payload: self.payload.to_vec(),
        }
    }
}

impl Event {
    /// Packet time of the event.
    pub fn ts(&self) -> Timestamp {
        match self {
            Event::Sip { ts, .. } | Event::Udp { ts, .. } => *ts,
        }
    }
}

/// Settings of [`CaptureDemux`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemuxConfig {
    pub defrag: DefragConfig,
    pub tcp: TcpConfig,
    /// Decode HEP3 on any UDP port.
    pub hep: bool,
    /// How often (in packet time) to expire fragments and TCP flows.
    pub sweep_interval: Duration,
}

impl Default for DemuxConfig {
    fn default() -> Self {
        Self {
            defrag: DefragConfig::default(),
            tcp: TcpConfig::default(),
            hep: true,
            sweep_interval: Duration::from_secs(1),
        }
    }
}

/// Counters by layer. A frame that is dropped is counted where it was
/// dropped (`link_*`, `non_ip`, `ip_*`, `udp_malformed`, `tcp_malformed`,
/// `defrag.invalid`); a reassembled datagram counts once per fragment in
/// `defrag.fragments` and once more at its transport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemuxStats {
    pub frames: u64,
    pub bytes: u64,
    pub link_unsupported: u64,
    pub link_malformed: u64,
    /// ARP, LLDP and other non-IP frames.
    pub non_ip: u64,
    pub ip_malformed: u64,
    /// Packets cut short by the snaplen.
    pub ip_truncated: u64,
    /// ESP, jumbograms, no-next-header.
    pub ip_opaque: u64,
    /// IP protocols other than UDP/TCP (ICMP, SCTP, GRE...).
    pub ip_other: u64,
    pub udp: u64,
    pub udp_malformed: u64,
    pub tcp_malformed: u64,
    pub sip_udp: u64,
    pub sip_tcp: u64,
    /// CRLF keep-alives on UDP.
    pub sip_keepalives: u64,
    pub hep: u64,
    pub hep_malformed: u64,
    /// HEP3 packets that are not SIP (logs, RTCP reports).
    pub hep_other: u64,
    pub defrag: DefragStats,
    pub tcp: TcpStats,
    /// TCP directions currently followed.
    pub tcp_flows: u64,
    /// Datagrams waiting for fragments.
    pub fragments_pending: u64,
}

/// Frames in, [`Event`]s out. Holds the fragment pool and TCP flows; time
/// only moves with the frames' timestamps.
#[derive(Debug)]
pub struct CaptureDemux {
    config: DemuxConfig,
    defrag: Defragmenter,
    tcp: TcpReassembler,
    events: VecDeque<Event>,
    stats: DemuxStats,
    last_sweep: Option<Timestamp>,
    scratch: Vec<Vec<u8>>,
    /// VLAN id of the frame being decoded.
    vlan: Option<u16>,
}

impl Default for CaptureDemux {
    fn default() -> Self {
        Self::new(DemuxConfig::default())
    }
}

/// Deepest IP-in-IP nesting followed.
const MAX_IP_DEPTH: u8 = 2;

impl CaptureDemux {
    pub fn new(config: DemuxConfig) -> Self {
        Self {
            config,
            defrag: Defragmenter::new(config.defrag),
            tcp: TcpReassembler::new(config.tcp),
            events: VecDeque::new(),
            stats: DemuxStats::default(),
            last_sweep: None,
            scratch: Vec::new(),
            vlan: None,
        }
    }

    /// Feeds one captured frame.
    pub fn push(&mut self, frame: &Frame<'_>) {
        self.push_raw(frame.ts, frame.link_type, frame.data);
    }

    /// Feeds one frame given as its parts; everything it yields is queued.
    pub fn push_raw(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        if let Some(d) = self.push_frame(ts, link, data) {
            self.events.push_back(d.to_event());
        }
    }

    /// Feeds one frame. A plain (unfragmented) UDP datagram that is not SIP
    /// comes straight back, borrowed from `data`; anything else (SIP, TCP,
    /// reassembled fragments) is queued for [`CaptureDemux::poll_event`] as
    /// with [`CaptureDemux::push_raw`]. A frame yields one or the other,
    /// never both, so the order of events is kept when the caller handles
    /// the datagram before polling.
    pub fn push_frame<'a>(
        &mut self,
        ts: Timestamp,
        link: LinkType,
        data: &'a [u8],
    ) -> Option<Datagram<'a>> {
        self.stats.frames += 1;
        self.stats.bytes += data.len() as u64;
        self.sweep(ts);
        self.vlan = None;
        match decode_link(link, data, &mut self.vlan) {
            LinkPayload::Ip(ip) => return self.ip(ts, ip, 0),
            LinkPayload::Other => self.stats.non_ip += 1,
            LinkPayload::Unsupported => self.stats.link_unsupported += 1,
            LinkPayload::Malformed => self.stats.link_malformed += 1,
        }
        None
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Events waiting to be polled.
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Expires fragments and flows as of `now` (also done by `push` every
    /// `sweep_interval`); call at the end of a capture with the last
    /// timestamp plus the longest timeout to flush everything.
    pub fn expire(&mut self, now: Timestamp) {
        self.defrag.expire(now);
        self.tcp.expire(now);
        self.last_sweep = Some(now);
    }

    /// Counters so far.
    pub fn stats(&self) -> DemuxStats {
        let mut s = self.stats;
        s.defrag = self.defrag.stats();
        s.tcp = self.tcp.stats();
        s.tcp_flows = self.tcp.flows() as u64;
        s.fragments_pending = self.defrag.pending() as u64;
        s
    }

    fn sweep(&mut self, ts: Timestamp) {
        match self.last_sweep {
            None => self.last_sweep = Some(ts),
            Some(last) if ts.saturating_since(last) >= self.config.sweep_interval => {
                self.expire(ts)
            }
            Some(_) => {}
        }
    }

    fn ip<'a>(&mut self, ts: Timestamp, data: &'a [u8], depth: u8) -> Option<Datagram<'a>> {
        let p = match decode_ip(data) {
            Ok(p) => p,
            Err(IpError::Malformed) => {
                self.stats.ip_malformed += 1;
                return None;
            }
            Err(IpError::Truncated) => {
                self.stats.ip_truncated += 1;
                return None;
            }
            Err(IpError::Opaque) => {
                self.stats.ip_opaque += 1;
                return None;
            }
        };
        let Some(frag) = p.fragment else {
            return self.transport(ts, p.src, p.dst, p.proto, p.payload, depth);
        };
        match self.defrag.push(ts, p.src, p.dst, p.proto, frag, p.payload) {
            DefragOutcome::Complete(buf) => {
                let inner = if p.src.is_ipv6() {
                    skip_v6_ext(p.proto, &buf)
                } else {
                    Some((p.proto, &buf[..]))
                };
                match inner {
                    Some((proto, payload)) => {
                        // The reassembled buffer is ours: queue it owned.
                        if let Some(d) = self.transport(ts, p.src, p.dst, proto, payload, depth) {
                            self.events.push_back(d.to_event());
                        }
                    }
                    None => self.stats.ip_opaque += 1,
                }
            }
            DefragOutcome::Pending | DefragOutcome::Dropped => {}
        }
        None
    }

    fn transport<'a>(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        data: &'a [u8],
        depth: u8,
    ) -> Option<Datagram<'a>> {
        match proto {
            PROTO_UDP => return self.udp(ts, src, dst, data),
            PROTO_TCP => self.tcp(ts, src, dst, data),
            // IP-in-IP and IPv6-in-IP
            4 | 41 if depth < MAX_IP_DEPTH => return self.ip(ts, data, depth + 1),
            _ => self.stats.ip_other += 1,
        }
        None
    }

    fn udp<'a>(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        data: &'a [u8],
    ) -> Option<Datagram<'a>> {
        let (Some(sport), Some(dport), Some(len)) = (be16(data, 0), be16(data, 2), be16(data, 4))
        else {
            self.stats.udp_malformed += 1;
            return None;
        };
        let len = len as usize;
        // Length 0 (jumbo or offloaded): take the rest of the packet.
        let end = if len == 0 { data.len() } else { len };
        let Some(payload) = data.get(8..end).filter(|_| end >= 8) else {
            self.stats.udp_malformed += 1;
            return None;
        };
        self.stats.udp += 1;
        let src = SocketAddr::new(src, sport);
        let dst = SocketAddr::new(dst, dport);
        if self.config.hep && is_hep3(payload) {
            self.hep(ts, payload);
            return None;
        }
        if payload.first().is_some_and(u8::is_ascii_uppercase)
            && !matches!(frame(payload), Framing::Invalid(_))
        {
            self.stats.sip_udp += 1;
            self.events.push_back(Event::Sip {
                ts,
                src,
                dst,
                transport: Transport::Udp,
                hep: false,
                vlan: self.vlan,
                message: payload.to_vec(),
            });
        } else if !payload.is_empty() && payload.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            self.stats.sip_keepalives += 1;
        } else {
            return Some(Datagram { ts, src, dst, vlan: self.vlan, payload });
        }
        None
    }

    fn hep(&mut self, ts: Timestamp, payload: &[u8]) {
        self.stats.hep += 1;
        let Some(h) = decode_hep3(payload) else {
            return self.stats.hep_malformed += 1;
        };
        if h.proto_type != HEP_PROTO_SIP {
            return self.stats.hep_other += 1;
        }
        let transport = if h.ip_proto == PROTO_TCP { Transport::Tcp } else { Transport::Udp };
        self.events.push_back(Event::Sip {
            ts: h.ts.unwrap_or(ts),
            src: h.src,
            dst: h.dst,
            transport,
            hep: true,
            vlan: self.vlan,
            message: h.payload.to_vec(),
        });
    }

    fn tcp(&mut self, ts: Timestamp, src: IpAddr, dst: IpAddr, data: &[u8]) {
        let (Some(sport), Some(dport), Some(seq), Some(&off), Some(&fl)) =
            (be16(data, 0), be16(data, 2), be32(data, 4), data.get(12), data.get(13))
        else {
            return self.stats.tcp_malformed += 1;
        };
        let hlen = (off >> 4) as usize * 4;
        let Some(payload) = data.get(hlen..).filter(|_| hlen >= 20) else {
            return self.stats.tcp_malformed += 1;
        };
        let flags = TcpFlags { fin: fl & 0x01 != 0, syn: fl & 0x02 != 0, rst: fl & 0x04 != 0 };
        let src = SocketAddr::new(src, sport);
        let dst = SocketAddr::new(dst, dport);
        let mut out = std::mem::take(&mut self.scratch);
        self.tcp.segment(ts, src, dst, seq, flags, payload, &mut out);
        let vlan = self.vlan;
        for message in out.drain(..) {
            self.stats.sip_tcp += 1;
            self.events.push_back(Event::Sip {
                ts,
                src,
                dst,
                transport: Transport::Tcp,
                hep: false,
                vlan,
                message,
            });
        }
        self.scratch = out;
    }
}
