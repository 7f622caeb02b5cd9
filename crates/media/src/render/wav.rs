//! RIFF/WAVE writing (PCM16, µ-law, A-law) and a small reader for checks.
use std::io::Write;

use super::RenderError;
use crate::codec::g711;

/// Sample coding inside the WAV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavCodec {
    Pcm16,
    Mulaw,
    Alaw,
}

/// A WAV file written as samples come: the RIFF sizes follow from the
/// frame count given up front, so the header goes first and nothing is
/// held back.
#[derive(Debug)]
pub struct WavWriter<W: Write> {
    out: W,
    codec: WavCodec,
    channels: usize,
    /// Frames still to come, as announced in the header.
    left: u64,
    odd: bool,
    buf: Vec<u8>,
}

impl<W: Write> WavWriter<W> {
    /// Writes the header of a file of `frames` frames of `channels`
    /// channels (at least one).
    pub fn new(
        mut out: W,
        channels: usize,
        rate: u32,
        codec: WavCodec,
        frames: u64,
    ) -> Result<Self, RenderError> {
        let n = channels.max(1) as u16;
        let (tag, bits): (u16, u16) = match codec {
            WavCodec::Pcm16 => (1, 16),
            WavCodec::Mulaw => (7, 8),
            WavCodec::Alaw => (6, 8),
        };
        let block = n * bits / 8;
        let non_pcm = codec != WavCodec::Pcm16;
        let fmt_len: u32 = if non_pcm { 18 } else { 16 };
        let fact_len: u32 = if non_pcm { 12 } else { 0 };
        // RIFF sizes are 32-bit: 4 GiB of samples at most.
        let data_len = frames
            .checked_mul(u64::from(block))
            .and_then(|d| u32::try_from(d).ok())
            .filter(|d| d.checked_add(4 + 8 + fmt_len + fact_len + 8 + 1).is_some())
            .ok_or(RenderError::TooLong(frames))?;
        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(b"RIFF");
        head.extend_from_slice(&(4 + 8 + fmt_len + fact_len + 8 + data_len).to_le_bytes());
        head.extend_from_slice(b"WAVEfmt ");
        head.extend_from_slice(&fmt_len.to_le_bytes());
        head.extend_from_slice(&tag.to_le_bytes());
        head.extend_from_slice(&n.to_le_bytes());
        head.extend_from_slice(&rate.to_le_bytes());
        head.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        head.extend_from_slice(&block.to_le_bytes());
        head.extend_from_slice(&bits.to_le_bytes());
        if non_pcm {
            head.extend_from_slice(&0u16.to_le_bytes());
            head.extend_from_slice(b"fact");
            head.extend_from_slice(&4u32.to_le_bytes());
            head.extend_from_slice(&(frames as u32).to_le_bytes());
        }
        head.extend_from_slice(b"data");
        head.extend_from_slice(&data_len.to_le_bytes());
        out.write_all(&head)?;
        Ok(WavWriter {
            out,
            codec,
            channels: usize::from(n),
            left: frames,
            odd: data_len % 2 == 1,
            buf: Vec::new(),
        })
    }

    /// Writes equal-length channels (missing ones are silent); frames
    /// beyond the announced count are dropped.
    pub fn write(&mut self, chunk: &[Vec<i16>]) -> Result<(), RenderError> {
        let frames = chunk.first().map_or(0, Vec::len).min(self.left as usize);
        let width = if self.codec == WavCodec::Pcm16 { 2 } else { 1 };
        self.buf.clear();
        self.buf.reserve(frames * self.channels * width);
        if chunk.len() == self.channels && chunk.iter().all(|c| c.len() >= frames) {
            // The usual case, as the mixer hands it over.
            for i in 0..frames {
                for c in chunk {
                    push(&mut self.buf, self.codec, c[i]);
                }
            }
        } else {
            for i in 0..frames {
                for c in 0..self.channels {
                    let s = chunk.get(c).and_then(|v| v.get(i)).copied().unwrap_or(0);
                    push(&mut self.buf, self.codec, s);
                }
            }
        }
        self.out.write_all(&self.buf)?;
        self.left -= frames as u64;
        Ok(())
    }

    /// Pads missing frames with silence, ends the data chunk and returns
    /// the writer.
    pub fn finish(mut self) -> Result<W, RenderError> {
        let silence = vec![vec![0; self.left.min(4096) as usize]; self.channels];
        while self.left > 0 {
            self.write(&silence)?;
        }
        if self.odd {
            self.out.write_all(&[0])?;
        }
        Ok(self.out)
    }
}

fn push(buf: &mut Vec<u8>, codec: WavCodec, s: i16) {
    match codec {
        WavCodec::Pcm16 => buf.extend_from_slice(&s.to_le_bytes()),
        WavCodec::Mulaw => buf.push(g711::linear_to_ulaw(s)),
        WavCodec::Alaw => buf.push(g711::linear_to_alaw(s)),
    }
}

/// Interleaves `channels` (equal lengths) into a WAV file in memory.
pub fn encode(channels: &[Vec<i16>], rate: u32, codec: WavCodec) -> Result<Vec<u8>, RenderError> {
    let frames = channels.first().map_or(0, Vec::len);
    let mut w = WavWriter::new(
        Vec::with_capacity(frames * channels.len() * 2 + 64),
        channels.len(),
        rate,
        codec,
        frames as u64,
    )?;
    w.write(channels)?;
    w.finish()
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
