//! Link layers: from a captured frame to the network-layer packet.

/// A pcap/pcapng link type (LINKTYPE_* number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback, address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (LINKTYPE_RAW).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback, address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// Ethertypes this crate follows.
pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Most VLAN tags peeled off one frame (QinQ and a bit more).
const MAX_VLAN_TAGS: usize = 4;

/// Result of peeling the link layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPayload<'a> {
    /// An IPv4 or IPv6 packet (the version is checked by the IP layer).
    Ip(&'a [u8]),
    /// A protocol this crate does not follow (ARP, LLDP, ...).
    Other,
    /// The link type is not supported.
    Unsupported,
    /// The frame is too short for its own header.
    Malformed,
}

/// Peels the link-layer header(s), VLAN tags included. `vlan` receives the
/// outermost VLAN id, if any.
pub fn decode_link<'a>(link: LinkType, data: &'a [u8], vlan: &mut Option<u16>) -> LinkPayload<'a> {
    match link {
        LinkType::ETHERNET => {
            let (Some(et), Some(rest)) = (be16(data, 12), data.get(14..)) else {
                return LinkPayload::Malformed;
            };
            ethertype(et, rest, vlan)
        }
        LinkType::LINUX_SLL => {
            let (Some(et), Some(rest)) = (be16(data, 14), data.get(16..)) else {
                return LinkPayload::Malformed;
            };
            ethertype(et, rest, vlan)
        }
        LinkType::LINUX_SLL2 => {
            let (Some(et), Some(rest)) = (be16(data, 0), data.get(20..)) else {
                return LinkPayload::Malformed;
            };
            ethertype(et, rest, vlan)
        }
        // 12 and 14 are LINKTYPE_RAW on some BSDs' DLT numbering.
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 | LinkType(12) | LinkType(14) => {
            if data.is_empty() { LinkPayload::Malformed } else { LinkPayload::Ip(data) }
        }
        LinkType::NULL | LinkType::LOOP => {
            let Some(rest) = data.get(4..) else { return LinkPayload::Malformed };
            // The family's byte order differs between NULL and LOOP and
            // between writers; AF_INET6 differs between OSes. The IP
            // version nibble is the reliable part.
            match rest.first().map(|b| b >> 4) {
                Some(4 | 6) => LinkPayload::Ip(rest),
                Some(_) => LinkPayload::Other,
                None => LinkPayload::Malformed,
            }
        }
        _ => LinkPayload::Unsupported,
    }
}

fn ethertype<'a>(mut et: u16, mut rest: &'a [u8], vlan: &mut Option<u16>) -> LinkPayload<'a> {
    for _ in 0..=MAX_VLAN_TAGS {
        match et {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return LinkPayload::Ip(rest),
            0x8100 | 0x88a8 | 0x9100 => {
                let (Some(tci), Some(next), Some(after)) =
                    (be16(rest, 0), be16(rest, 2), rest.get(4..))
                else {
                    return LinkPayload::Malformed;
                };
                if vlan.is_none() {
                    *vlan = Some(tci & 0x0fff);
                }
                et = next;
                rest = after;
            }
            _ => return LinkPayload::Other,
        }
    }
    LinkPayload::Malformed
}

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
