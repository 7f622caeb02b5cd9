//! RTCP compound packets (RFC 3550 §6), iterated without copying.

/// Why an RTCP packet could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    #[error("rtcp header truncated ({0} bytes left)")]
    TooShort(usize),
    #[error("unsupported rtcp version {0}")]
    BadVersion(u8),
    #[error("rtcp length field runs past the end of the datagram")]
    BadLength,
    #[error("sender report body too short")]
    ShortSenderReport,
}

/// True when a datagram on a muxed RTP/RTCP port is RTCP (RFC 5761 §4:
/// second byte 192..=223 is an RTCP packet type, never an RTP payload type
/// that can be used alongside).
pub fn is_rtcp(buf: &[u8]) -> bool {
    matches!(buf.get(1), Some(192..=223)) && buf.first().is_some_and(|b| b >> 6 == 2)
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR (200): the sender's NTP and RTP clocks at one instant, used to
    /// measure drift between streams.
    SenderReport { ssrc: u32, ntp: u64, rtp_timestamp: u32, packets: u32, octets: u32 },
    /// RR (201).
    ReceiverReport { ssrc: u32, report_count: u8 },
    /// SDES (202), body unparsed.
    SourceDescription { body: &'a [u8] },
    /// BYE (203): the sources that left.
    Bye { ssrc_bytes: &'a [u8] },
    /// Anything else (APP, feedback, XR), body unparsed.
    Other { packet_type: u8, count: u8, body: &'a [u8] },
}

/// Iterates the packets of a compound RTCP datagram; stops after the first
/// error.
#[derive(Debug, Clone)]
pub struct RtcpIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> RtcpIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        RtcpIter { rest: buf, failed: false }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Iterator for RtcpIter<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = parse_one(self.rest);
        match r {
            Ok((p, used)) => {
                self.rest = self.rest.get(used..).unwrap_or_default();
                Some(Ok(p))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

fn parse_one(buf: &[u8]) -> Result<(RtcpPacket<'_>, usize), RtcpError> {
    let [b0, pt, l0, l1, ..] = *buf else {
        return Err(RtcpError::TooShort(buf.len()));
    };
    if b0 >> 6 != 2 {
        return Err(RtcpError::BadVersion(b0 >> 6));
    }
    let count = b0 & 0x1f;
    let total = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
    let pkt = buf.get(..total).ok_or(RtcpError::BadLength)?;
    let mut body = &pkt[4..];
    if b0 & 0x20 != 0 {
        let pad = usize::from(*pkt.last().unwrap_or(&0));
        if pad == 0 || pad > body.len() {
            return Err(RtcpError::BadLength);
        }
        body = &body[..body.len() - pad];
    }
    let p = match pt {
        200 => {
            let get = |at| be32(body, at).ok_or(RtcpError::ShortSenderReport);
            RtcpPacket::SenderReport {
                ssrc: get(0)?,
                ntp: (u64::from(get(4)?) << 32) | u64::from(get(8)?),
                rtp_timestamp: get(12)?,
                packets: get(16)?,
                octets: get(20)?,
            }
        }
        201 => RtcpPacket::ReceiverReport {
            ssrc: be32(body, 0).ok_or(RtcpError::BadLength)?,
            report_count: count,
        },
        202 => RtcpPacket::SourceDescription { body },
        203 => {
            let n = (usize::from(count) * 4).min(body.len() / 4 * 4);
            RtcpPacket::Bye { ssrc_bytes: &body[..n] }
        }
        _ => RtcpPacket::Other { packet_type: pt, count, body },
    };
    Ok((p, total))
}
