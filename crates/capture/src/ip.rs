//! IPv4 and IPv6 headers (IPv6 extension headers included). Checksums are
//! not verified: captures taken on the sending host carry offloaded,
//! unfilled checksums.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::link::{be16, be32};

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// Fragment information of a packet that is one piece of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    pub id: u32,
    /// Byte offset of this piece in the datagram's payload.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// A decoded IP header and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    pub fragment: Option<Fragment>,
    pub payload: &'a [u8],
}

/// Why an IP packet was not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpError {
    /// Header fields that cannot be right.
    Malformed,
    /// The snaplen cut the packet short.
    Truncated,
    /// ESP or another header that hides the upper layer.
    Opaque,
}

/// Most IPv6 extension headers followed before giving up.
const MAX_EXT_HEADERS: usize = 8;

/// Decodes an IPv4 or IPv6 packet by its version nibble.
pub fn decode_ip(data: &[u8]) -> Result<IpPacket<'_>, IpError> {
    match data.first().map(|b| b >> 4) {
        Some(4) => decode_v4(data),
        Some(6) => decode_v6(data),
        _ => Err(IpError::Malformed),
    }
}

fn decode_v4(data: &[u8]) -> Result<IpPacket<'_>, IpError> {
    let ihl = (*data.first().ok_or(IpError::Malformed)? & 0x0f) as usize * 4;
    if ihl < 20 || data.len() < 20 {
        return Err(IpError::Malformed);
    }
    let total = be16(data, 2).ok_or(IpError::Malformed)? as usize;
    if total < ihl {
        return Err(IpError::Malformed);
    }
    // TSO captures show total length 0 for large segments: trust the frame.
    let end = if total == 0 { data.len() } else { total };
    if end > data.len() {
        return Err(IpError::Truncated);
    }
    let payload = data.get(ihl..end).ok_or(IpError::Truncated)?;
    let flags_off = be16(data, 6).ok_or(IpError::Malformed)?;
    let more = flags_off & 0x2000 != 0;
    let offset = (flags_off & 0x1fff) as u32 * 8;
    let fragment = (more || offset != 0).then(|| Fragment {
        id: be16(data, 4).unwrap_or(0) as u32,
        offset,
        more,
    });
    let src: [u8; 4] =
        data.get(12..16).and_then(|s| s.try_into().ok()).ok_or(IpError::Malformed)?;
    let dst: [u8; 4] =
        data.get(16..20).and_then(|s| s.try_into().ok()).ok_or(IpError::Malformed)?;
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        proto: *data.get(9).ok_or(IpError::Malformed)?,
        fragment,
        payload,
    })
}

fn decode_v6(data: &[u8]) -> Result<IpPacket<'_>, IpError> {
    if data.len() < 40 {
        return Err(IpError::Truncated);
    }
    let plen = be16(data, 4).ok_or(IpError::Malformed)? as usize;
    // Jumbograms (payload length 0) are not followed.
    let end = 40 + plen;
    if plen == 0 {
        return Err(IpError::Opaque);
    }
    if end > data.len() {
        return Err(IpError::Truncated);
    }
    let src: [u8; 16] =
        data.get(8..24).and_then(|s| s.try_into().ok()).ok_or(IpError::Malformed)?;
    let dst: [u8; 16] =
        data.get(24..40).and_then(|s| s.try_into().ok()).ok_or(IpError::Malformed)?;
    let mut next = *data.get(6).ok_or(IpError::Malformed)?;
    let mut at = 40usize;
    let mut fragment = None;
    for _ in 0..MAX_EXT_HEADERS {
        match next {
            // hop-by-hop, routing, destination options, mobility
            0 | 43 | 60 | 135 => {
                let nh = *data.get(at).ok_or(IpError::Truncated)?;
                let len = (*data.get(at + 1).ok_or(IpError::Truncated)? as usize + 1) * 8;
                next = nh;
                at += len;
            }
            44 => {
                let nh = *data.get(at).ok_or(IpError::Truncated)?;
                let off_m = be16(data, at + 2).ok_or(IpError::Truncated)?;
                let id = be32(data, at + 4).ok_or(IpError::Truncated)?;
                let offset = (off_m & 0xfff8) as u32;
                let more = off_m & 1 != 0;
                // An atomic fragment (offset 0, no more) is a whole datagram.
                if more || offset != 0 {
                    fragment = Some(Fragment { id, offset, more });
                }
                next = nh;
                at += 8;
                if fragment.is_some() {
                    // Offsets count from here: headers after this one belong
                    // to the reassembled datagram (see `skip_v6_ext`).
                    break;
                }
            }
            // authentication header: length in 4-byte units minus 2
            51 => {
                let nh = *data.get(at).ok_or(IpError::Truncated)?;
                let len = (*data.get(at + 1).ok_or(IpError::Truncated)? as usize + 2) * 4;
                next = nh;
                at += len;
            }
            50 | 59 => return Err(IpError::Opaque),
            _ => break,
        }
        if at > end {
            return Err(IpError::Malformed);
        }
    }
    let payload = data.get(at..end).ok_or(IpError::Malformed)?;
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: next,
        fragment,
        payload,
    })
}

/// Skips IPv6 extension headers at the start of a reassembled datagram's
/// payload (those that followed the fragment header).
pub(crate) fn skip_v6_ext(mut next: u8, mut data: &[u8]) -> Option<(u8, &[u8])> {
    for _ in 0..MAX_EXT_HEADERS {
        let len = match next {
            0 | 43 | 60 | 135 => (*data.get(1)? as usize + 1) * 8,
            51 => (*data.get(1)? as usize + 2) * 4,
            50 | 59 | 44 => return None,
            _ => return Some((next, data)),
        };
        next = *data.first()?;
        data = data.get(len..)?;
    }
    None
}
