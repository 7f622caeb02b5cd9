//! Packet builders for tests, benchmarks, fuzz seeds and the project's own
//! synthetic captures. Checksums are left zero (the decoder ignores them).

use std::net::{IpAddr, SocketAddr};

use crate::ip::{PROTO_TCP, PROTO_UDP};
use crate::link::LinkType;
use crate::tcp::TcpFlags;

/// Link-layer encapsulations [`wrap`] can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encap {
    Ethernet,
    Vlan(u16),
    /// 802.1ad outer tag, 802.1Q inner tag.
    QinQ(u16, u16),
    Sll,
    Sll2,
    Raw,
    /// BSD loopback (little-endian family, as on x86).
    Null,
    /// OpenBSD loopback (big-endian family).
    Loop,
}

impl Encap {
    pub const ALL: [Encap; 8] = [
        Encap::Ethernet,
        Encap::Vlan(100),
        Encap::QinQ(10, 20),
        Encap::Sll,
        Encap::Sll2,
        Encap::Raw,
        Encap::Null,
        Encap::Loop,
    ];
}

/// Wraps an IP packet in a link layer; returns the link type to record.
pub fn wrap(encap: Encap, ip: &[u8]) -> (LinkType, Vec<u8>) {
    let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
    let et: u16 = if v6 { 0x86dd } else { 0x0800 };
    let mut f = Vec::with_capacity(ip.len() + 24);
    let mac = |f: &mut Vec<u8>| {
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 2]);
    };
    let link = match encap {
        Encap::Ethernet => {
            mac(&mut f);
            f.extend_from_slice(&et.to_be_bytes());
            LinkType::ETHERNET
        }
        Encap::Vlan(id) => {
            mac(&mut f);
            f.extend_from_slice(&0x8100u16.to_be_bytes());
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(&et.to_be_bytes());
            LinkType::ETHERNET
        }
        Encap::QinQ(outer, inner) => {
            mac(&mut f);
            f.extend_from_slice(&0x88a8u16.to_be_bytes());
            f.extend_from_slice(&outer.to_be_bytes());
            f.extend_from_slice(&0x8100u16.to_be_bytes());
            f.extend_from_slice(&inner.to_be_bytes());
            f.extend_from_slice(&et.to_be_bytes());
            LinkType::ETHERNET
        }
        Encap::Sll => {
            f.extend_from_slice(&0u16.to_be_bytes()); // to us
            f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
            f.extend_from_slice(&6u16.to_be_bytes());
            f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0, 0]);
            f.extend_from_slice(&et.to_be_bytes());
            LinkType::LINUX_SLL
        }
        Encap::Sll2 => {
            f.extend_from_slice(&et.to_be_bytes());
            f.extend_from_slice(&0u16.to_be_bytes());
            f.extend_from_slice(&2u32.to_be_bytes()); // ifindex
            f.extend_from_slice(&1u16.to_be_bytes());
            f.push(0);
            f.push(6);
            f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0, 0]);
            LinkType::LINUX_SLL2
        }
        Encap::Raw => LinkType::RAW,
        Encap::Null => {
            let fam: u32 = if v6 { 30 } else { 2 };
            f.extend_from_slice(&fam.to_le_bytes());
            LinkType::NULL
        }
        Encap::Loop => {
            let fam: u32 = if v6 { 24 } else { 2 };
            f.extend_from_slice(&fam.to_be_bytes());
            LinkType::LOOP
        }
    };
    f.extend_from_slice(ip);
    (link, f)
}

/// An IPv4 header and payload; `frag_offset` in bytes (a multiple of 8).
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag_offset: u16,
    more: bool,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(20 + payload.len());
    p.push(0x45);
    p.push(0);
    p.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    let fo = (frag_offset / 8) | if more { 0x2000 } else { 0 };
    p.extend_from_slice(&fo.to_be_bytes());
    p.push(64);
    p.push(proto);
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 header followed by `ext` (already-encoded extension headers
/// whose first next-header is `first_next`) and the payload.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], first_next: u8, ext: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + ext.len() + payload.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&((ext.len() + payload.len()) as u16).to_be_bytes());
    p.push(first_next);
    p.push(64);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(ext);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 fragment header (8 bytes).
pub fn ipv6_frag_header(next: u8, offset: u16, more: bool, id: u32) -> Vec<u8> {
    let mut h = vec![next, 0];
    h.extend_from_slice(&((offset & 0xfff8) | u16::from(more)).to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h
}

/// An 8-byte destination-options (or hop-by-hop) header of padding.
pub fn ipv6_pad_options(next: u8) -> Vec<u8> {
    vec![next, 0, 1, 4, 0, 0, 0, 0]
}

/// A UDP header and payload.
pub fn udp_datagram(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// A TCP header (no options) and payload.
pub fn tcp_segment(sport: u16, dport: u16, seq: u32, flags: TcpFlags, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.push(5 << 4);
    let f = u8::from(flags.fin) | u8::from(flags.syn) << 1 | u8::from(flags.rst) << 2 | 0x10;
    t.push(f);
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// Wraps a transport payload in IPv4 or IPv6 according to the addresses
/// (which must be of one family).
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s.octets(), d.octets(), proto, 1, 0, false, payload),
        (s, d) => ipv6(v6(s), v6(d), proto, &[], payload),
    }
}

fn v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// A whole UDP packet (IP header included).
pub fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    ip_packet(src.ip(), dst.ip(), PROTO_UDP, &udp_datagram(src.port(), dst.port(), payload))
}

/// A whole TCP packet (IP header included).
pub fn tcp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: TcpFlags,
    payload: &[u8],
) -> Vec<u8> {
    ip_packet(
        src.ip(),
        dst.ip(),
        PROTO_TCP,
        &tcp_segment(src.port(), dst.port(), seq, flags, payload),
    )
}

/// A UDP datagram split into IP fragments carrying at most `chunk` bytes
/// each (`chunk` is rounded down to a multiple of 8, at least 8).
pub fn fragmented_udp(
    src: SocketAddr,
    dst: SocketAddr,
    id: u32,
    payload: &[u8],
    chunk: usize,
) -> Vec<Vec<u8>> {
    let whole = udp_datagram(src.port(), dst.port(), payload);
    let chunk = (chunk / 8).max(1) * 8;
    let pieces: Vec<&[u8]> = whole.chunks(chunk).collect();
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let offset = (i * chunk) as u16;
            let more = i + 1 < n;
            match (src.ip(), dst.ip()) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    ipv4(s.octets(), d.octets(), PROTO_UDP, id as u16, offset, more, piece)
                }
                (s, d) => {
                    ipv6(v6(s), v6(d), 44, &ipv6_frag_header(PROTO_UDP, offset, more, id), piece)
                }
            }
        })
        .collect()
}

/// A minimal RTP packet (version 2, no CSRC, no extension).
pub fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + payload.len());
    p.push(0x80);
    p.push(pt & 0x7f);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}
