//! The RTP packet (RFC 3550 §5.1), parsed without copying.

/// Why a datagram is not a valid RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("packet shorter than the 12-byte rtp header ({0} bytes)")]
    TooShort(usize),
    #[error("unsupported rtp version {0}")]
    BadVersion(u8),
    #[error("csrc list runs past the end of the packet")]
    TruncatedCsrc,
    #[error("header extension runs past the end of the packet")]
    TruncatedExtension,
    #[error("padding length {0} is invalid")]
    BadPadding(u8),
    #[error("telephone-event payload shorter than 4 bytes ({0} bytes)")]
    ShortEvent(usize),
}

/// A parsed RTP packet borrowing the datagram it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Raw CSRC list, 4 bytes per entry; see [`RtpPacket::csrcs`].
    pub csrc_bytes: &'a [u8],
    /// The header extension profile and its data (RFC 3550 §5.3.1), if any.
    pub extension: Option<(u16, &'a [u8])>,
    /// The payload without padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram. Never panics and never allocates.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        if buf.len() < 12 {
            return Err(RtpError::TooShort(buf.len()));
        }
        let b0 = buf[0];
        let version = b0 >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let padding = b0 & 0x20 != 0;
        let has_ext = b0 & 0x10 != 0;
        let cc = usize::from(b0 & 0x0f);
        let b1 = buf[1];
        let sequence = u16::from_be_bytes([buf[2], buf[3]]);
        let timestamp = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        let mut pos = 12;
        let csrc_end = pos + cc * 4;
        let csrc_bytes = buf.get(pos..csrc_end).ok_or(RtpError::TruncatedCsrc)?;
        pos = csrc_end;
        let extension = if has_ext {
            let head = buf.get(pos..pos + 4).ok_or(RtpError::TruncatedExtension)?;
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let start = pos + 4;
            let end = start + words * 4;
            let data = buf.get(start..end).ok_or(RtpError::TruncatedExtension)?;
            pos = end;
            Some((profile, data))
        } else {
            None
        };
        let mut end = buf.len();
        if padding {
            let pad = buf[buf.len() - 1];
            let pad_len = usize::from(pad);
            if pad_len == 0 || pos + pad_len > end {
                return Err(RtpError::BadPadding(pad));
            }
            end -= pad_len;
        }
        Ok(RtpPacket {
            marker: b1 & 0x80 != 0,
            payload_type: b1 & 0x7f,
            sequence,
            timestamp,
            ssrc,
            csrc_bytes,
            extension,
            payload: &buf[pos..end],
        })
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc_bytes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// Serialises a packet without CSRCs, extension or padding (for tests,
    /// benchmarks and simulators).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(0x80);
        out.push(if self.marker { 0x80 } else { 0 } | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(self.payload);
    }
}
