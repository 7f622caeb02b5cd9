//! RIFF/WAVE writing (PCM16, µ-law, A-law) and a small reader for checks.
use crate::codec::g711;

/// Sample coding inside the WAV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavCodec {
    Pcm16,
    Mulaw,
    Alaw,
}

/// Interleaves `channels` (equal lengths) into a WAV file.
pub fn encode(channels: &[Vec<i16>], rate: u32, codec: WavCodec) -> Vec<u8> {
    let n = channels.len().max(1) as u16;
    let frames = channels.first().map_or(0, Vec::len);
    let (tag, bits): (u16, u16) = match codec {
        WavCodec::Pcm16 => (1, 16),
        WavCodec::Mulaw => (7, 8),
        WavCodec::Alaw => (6, 8),
    };
    let block = n * bits / 8;
    let data_len = (frames * usize::from(block)) as u32;
    let non_pcm = codec != WavCodec::Pcm16;
    let fmt_len: u32 = if non_pcm { 18 } else { 16 };
    let fact_len: u32 = if non_pcm { 12 } else { 0 };
    let mut out = Vec::with_capacity(data_len as usize + 64);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(4 + 8 + fmt_len + fact_len + 8 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&fmt_len.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    out.extend_from_slice(&block.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    if non_pcm {
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&(frames as u32).to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        for ch in channels {
            let s = ch.get(i).copied().unwrap_or(0);
            match codec {
                WavCodec::Pcm16 => out.extend_from_slice(&s.to_le_bytes()),
                WavCodec::Mulaw => out.push(g711::linear_to_ulaw(s)),
                WavCodec::Alaw => out.push(g711::linear_to_alaw(s)),
            }
        }
    }
    if data_len % 2 == 1 {
        out.push(0);
    }
    out
}

/// A decoded WAV: (channels, rate, per-channel samples). `None` if the bytes
/// are not a WAV this module writes.
pub fn decode(bytes: &[u8]) -> Option<(u16, u32, Vec<Vec<i16>>)> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut pos = 12;
    let (mut tag, mut n, mut rate, mut bits) = (0u16, 0u16, 0u32, 0u16);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes.get(pos + 4..pos + 8)?.try_into().ok()?) as usize;
        let body = bytes.get(pos + 8..pos + 8 + len)?;
        if id == b"fmt " {
            tag = u16::from_le_bytes(body.get(0..2)?.try_into().ok()?);
            n = u16::from_le_bytes(body.get(2..4)?.try_into().ok()?);
            rate = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?);
            bits = u16::from_le_bytes(body.get(14..16)?.try_into().ok()?);
        } else if id == b"data" {
            let nc = usize::from(n.max(1));
            let mut out = vec![Vec::new(); nc];
            match (tag, bits) {
                (1, 16) => {
                    for (i, s) in body.chunks_exact(2).enumerate() {
                        out[i % nc].push(i16::from_le_bytes([s[0], s[1]]));
                    }
                }
                (7, 8) | (6, 8) => {
                    let t = if tag == 7 { &g711::ULAW_DECODE } else { &g711::ALAW_DECODE };
                    for (i, b) in body.iter().enumerate() {
                        out[i % nc].push(t[usize::from(*b)]);
                    }
                }
                _ => return None,
            }
            return Some((n, rate, out));
        }
        pos += 8 + len + (len & 1);
    }
    None
}
