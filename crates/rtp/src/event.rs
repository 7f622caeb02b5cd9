//! RFC 4733 telephone-events (DTMF digits and other named events).

use crate::packet::RtpError;

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash, others per RFC 4734.
    pub event: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in -dBm0 (0..=63).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units, from the packet's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first 4-byte event block of a payload (redundant blocks per
    /// RFC 4733 §2.5.1.4 follow it and are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, RtpError> {
        match payload {
            [event, flags, d0, d1, ..] => Ok(TelephoneEvent {
                event: *event,
                end: flags & 0x80 != 0,
                volume: flags & 0x3f,
                duration: u16::from_be_bytes([*d0, *d1]),
            }),
            _ => Err(RtpError::ShortEvent(payload.len())),
        }
    }

    /// The printable symbol of a DTMF event, if it is one.
    pub fn symbol(&self) -> Option<char> {
        const DTMF: &[u8; 16] = b"0123456789*#ABCD";
        DTMF.get(usize::from(self.event)).map(|&b| char::from(b))
    }
}
