//! HEP v3 (Homer encapsulation protocol) decoding: SBCs and capture agents
//! mirror SIP to a collector as HEP3 over UDP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::link::{be16, be32};
use crate::time::Timestamp;

/// HEP `proto_type` of SIP.
pub const HEP_PROTO_SIP: u8 = 1;

/// A decoded HEP3 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HepPacket<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// IP protocol of the original packet (17 UDP, 6 TCP).
    pub ip_proto: u8,
    /// What the payload is (1 SIP, 5 RTCP, ...).
    pub proto_type: u8,
    /// Capture time at the agent, if sent.
    pub ts: Option<Timestamp>,
    pub payload: &'a [u8],
}

/// True when a UDP payload starts with the HEP3 magic.
pub fn is_hep3(payload: &[u8]) -> bool {
    payload.starts_with(b"HEP3")
}

/// Decodes a HEP3 packet; `None` when it is malformed or lacks addresses,
/// ports or a payload. Compressed payloads (chunk 16) are not supported.
pub fn decode_hep3(buf: &[u8]) -> Option<HepPacket<'_>> {
    if !is_hep3(buf) {
        return None;
    }
    let total = be16(buf, 4)? as usize;
    let body = buf.get(6..total.min(buf.len()))?;
    let (mut src_ip, mut dst_ip) = (None, None);
    let (mut sport, mut dport) = (None, None);
    let (mut secs, mut usecs) = (None, None);
    let (mut ip_proto, mut proto_type, mut payload) = (0u8, 0u8, None);
    let mut at = 0usize;
    while at < body.len() {
        let vendor = be16(body, at)?;
        let ctype = be16(body, at + 2)?;
        let len = be16(body, at + 4)? as usize;
        if len < 6 {
            return None;
        }
        let val = body.get(at + 6..at + len)?;
        if vendor == 0 {
            match ctype {
                2 => ip_proto = *val.first()?,
                3 => src_ip = Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(val).ok()?))),
                4 => dst_ip = Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(val).ok()?))),
                5 => src_ip = Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(val).ok()?))),
                6 => dst_ip = Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(val).ok()?))),
                7 => sport = Some(be16(val, 0)?),
                8 => dport = Some(be16(val, 0)?),
                9 => secs = Some(be32(val, 0)?),
                10 => usecs = Some(be32(val, 0)?),
                11 => proto_type = *val.first()?,
                15 => payload = Some(val),
                _ => {}
            }
        }
        at += len;
    }
    let ts = secs.map(|s| {
        let us = usecs.unwrap_or(0).min(999_999);
        Timestamp::from_secs_nanos(s as u64, us * 1000)
    });
    Some(HepPacket {
        src: SocketAddr::new(src_ip?, sport?),
        dst: SocketAddr::new(dst_ip?, dport?),
        ip_proto,
        proto_type,
        ts,
        payload: payload?,
    })
}

/// Encodes a HEP3 packet (for tests and for forwarding).
pub fn encode_hep3(p: &HepPacket<'_>, capture_id: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, ctype: u16, val: &[u8]) {
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&ctype.to_be_bytes());
        out.extend_from_slice(&((val.len() + 6) as u16).to_be_bytes());
        out.extend_from_slice(val);
    }
    let mut out = b"HEP3\0\0".to_vec();
    let family = if p.src.is_ipv4() { 2u8 } else { 10 };
    chunk(&mut out, 1, &[family]);
    chunk(&mut out, 2, &[p.ip_proto]);
    match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            chunk(&mut out, 3, &s.octets());
            chunk(&mut out, 4, &d.octets());
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            chunk(&mut out, 5, &v6(s).octets());
            chunk(&mut out, 6, &v6(d).octets());
        }
    }
    chunk(&mut out, 7, &p.src.port().to_be_bytes());
    chunk(&mut out, 8, &p.dst.port().to_be_bytes());
    if let Some(ts) = p.ts {
        chunk(&mut out, 9, &(ts.secs() as u32).to_be_bytes());
        chunk(&mut out, 10, &(ts.subsec_nanos() / 1000).to_be_bytes());
    }
    chunk(&mut out, 11, &[p.proto_type]);
    chunk(&mut out, 12, &capture_id.to_be_bytes());
    chunk(&mut out, 15, p.payload);
    let len = (out.len() as u16).to_be_bytes();
    out[4..6].copy_from_slice(&len);
    out
}
