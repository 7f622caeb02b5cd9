//! Native FLAC.
//!
//! Checks: `fLaC`; metadata block headers (STREAMINFO first with sane
//! values, reserved type 127 refused, last-block flag); every frame header
//! (sync code, reserved values, coded number, CRC-8) and its consistency
//! with STREAMINFO and the previous frame (blocking strategy, channels,
//! rate, bit depth, frame/sample number continuity); every frame's CRC-16.
//! Frames carry no length, so the walker runs each frame's bytes through
//! the CRC-16 and takes as its end the first point where the register is
//! zero and a valid next header with the expected number follows (or the
//! end of the file). Frames counted short of STREAMINFO's total → truncated.
//! Other metadata blocks (pictures, seek tables) are skipped unread.

use crate::crc::{FLAC8, FLAC16};
use crate::{AudioFormat, AudioInfo, Ctx, ProbeError, Step, be16, be24, samples_to_ms};

const C: &str = "flac";
/// Longest possible frame header.
const MAX_HEADER: usize = 16;
/// No frame is this large (65535 samples × 8 channels × 32 bits verbatim is
/// about 2 MiB); past it the stream has lost sync.
const MAX_FRAME: u64 = 4 << 20;

/// The STREAMINFO fields the prober uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInfo {
    pub min_block: u16,
    pub max_block: u16,
    pub sample_rate: u32,
    pub channels: u8,
    pub bits_per_sample: u8,
    /// 0 when unknown.
    pub total_samples: u64,
}

/// Parse a STREAMINFO block body (34 bytes).
pub fn parse_streaminfo(b: &[u8]) -> Result<StreamInfo, ProbeError> {
    if b.len() < 34 {
        return Err(ProbeError::malformed(C, "streaminfo block is shorter than 34 bytes"));
    }
    let min_block = be16(b, 0);
    let max_block = be16(b, 2);
    let x = u64::from_be_bytes([b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]]);
    let sample_rate = (x >> 44) as u32;
    let channels = ((x >> 41) & 7) as u8 + 1;
    let bits_per_sample = ((x >> 36) & 31) as u8 + 1;
    let total_samples = x & ((1 << 36) - 1);
    if sample_rate == 0 {
        return Err(ProbeError::malformed(C, "streaminfo declares a sample rate of zero"));
    }
    if min_block < 16 || max_block < min_block {
        return Err(ProbeError::malformed(
            C,
            format!("streaminfo declares invalid block sizes {min_block}..{max_block}"),
        ));
    }
    if bits_per_sample < 4 {
        return Err(ProbeError::malformed(
            C,
            format!("streaminfo declares {bits_per_sample} bits per sample"),
        ));
    }
    Ok(StreamInfo { min_block, max_block, sample_rate, channels, bits_per_sample, total_samples })
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub variable_blocksize: bool,
    pub block_size: u32,
    /// Sample rate coded in the header; `None` means "as STREAMINFO".
    pub sample_rate: Option<u32>,
    pub channels: u8,
    /// Bit depth coded in the header; `None` means "as STREAMINFO".
    pub bits_per_sample: Option<u8>,
    /// Frame number (fixed block size) or first sample number (variable).
    pub number: u64,
    /// Header length including its CRC-8.
    pub len: usize,
}

/// Decode a frame header at the start of `b`. `None` if it is not one
/// (including a CRC-8 mismatch or a header cut short).
pub fn parse_frame_header(b: &[u8]) -> Option<FrameHeader> {
    if b.len() < 6 || b[0] != 0xff || b[1] & 0xfe != 0xf8 {
        return None;
    }
    let variable_blocksize = b[1] & 1 == 1;
    let bs_code = b[2] >> 4;
    let sr_code = b[2] & 15;
    let ch_code = b[3] >> 4;
    let ss_code = (b[3] >> 1) & 7;
    if bs_code == 0 || sr_code == 15 || ch_code > 10 || ss_code == 3 || b[3] & 1 != 0 {
        return None;
    }
    // UTF-8-like coded number.
    let lead = b[4];
    let extra = match lead.leading_ones() {
        0 => 0,
        n @ 2..=6 => n as usize - 1,
        7 if variable_blocksize => 6,
        _ => return None,
    };
    let mut number = u64::from(if extra == 0 { lead } else { lead & (0x7f >> (extra + 1)) });
    let mut at = 5;
    for _ in 0..extra {
        let c = *b.get(at)?;
        if c & 0xc0 != 0x80 {
            return None;
        }
        number = (number << 6) | u64::from(c & 0x3f);
        at += 1;
    }
    let block_size = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            at += 1;
            u32::from(*b.get(at - 1)?) + 1
        }
        7 => {
            at += 2;
            u32::from(be16(b.get(at - 2..at)?, 0)) + 1
        }
        _ => 256 << (bs_code - 8),
    };
    let sample_rate = match sr_code {
        0 => None,
        1 => Some(88_200),
        2 => Some(176_400),
        3 => Some(192_000),
        4 => Some(8_000),
        5 => Some(16_000),
        6 => Some(22_050),
        7 => Some(24_000),
        8 => Some(32_000),
        9 => Some(44_100),
        10 => Some(48_000),
        11 => Some(96_000),
        12 => {
            at += 1;
            Some(u32::from(*b.get(at - 1)?) * 1000)
        }
        13 => {
            at += 2;
            Some(u32::from(be16(b.get(at - 2..at)?, 0)))
        }
        _ => {
            at += 2;
            Some(u32::from(be16(b.get(at - 2..at)?, 0)) * 10)
        }
    };
    let crc = *b.get(at)?;
    if FLAC8.checksum(&b[..at]) != crc {
        return None;
    }
    let bits_per_sample = match ss_code {
        0 => None,
        1 => Some(8),
        2 => Some(12),
        4 => Some(16),
        5 => Some(20),
        6 => Some(24),
        _ => Some(32),
    };
    Some(FrameHeader {
        variable_blocksize,
        block_size,
        sample_rate,
        channels: if ch_code < 8 { ch_code + 1 } else { 2 },
        bits_per_sample,
        number,
        len: at + 1,
    })
}

#[derive(Debug, Default, Clone, Copy)]
enum St {
    #[default]
    BlockHeader,
    Skip {
        remaining: u64,
    },
    FrameHeader,
    Body,
}

/// FLAC parser state.
#[derive(Debug, Default)]
pub struct Flac {
    st: St,
    info: Option<StreamInfo>,
    last_block: bool,
    /// The frame being walked and where it starts.
    frame: Option<FrameHeader>,
    frame_start: u64,
    frame_bytes: u64,
    crc: u16,
    frames: u64,
    samples: u64,
}

impl Flac {
    pub(crate) fn step(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        match self.st {
            St::BlockHeader => self.block_header(data, eof, ctx),
            St::Skip { remaining } => {
                let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(data.len());
                let left = remaining - n as u64;
                if left > 0 && eof {
                    return Err(ProbeError::truncated(C, "the file ends inside a metadata block"));
                }
                self.st = if left > 0 {
                    St::Skip { remaining: left }
                } else if self.last_block {
                    St::FrameHeader
                } else {
                    St::BlockHeader
                };
                Ok(Step::Consumed(n))
            }
            St::FrameHeader => self.frame_header(data, eof, ctx),
            St::Body => self.body(data, eof, ctx),
        }
    }

    fn block_header(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        if data.len() < 4 {
            if eof {
                return Err(ProbeError::truncated(C, "the file ends inside the metadata"));
            }
            return ctx.need(C, 4);
        }
        self.last_block = data[0] & 0x80 != 0;
        let kind = data[0] & 0x7f;
        let len = be24(data, 1) as usize;
        if kind == 127 {
            return Err(ProbeError::malformed(
                C,
                format!("invalid metadata block type at byte {}", ctx.pos),
            ));
        }
        if self.info.is_none() {
            if kind != 0 {
                return Err(ProbeError::malformed(C, "the first metadata block is not streaminfo"));
            }
            if len != 34 {
                return Err(ProbeError::malformed(
                    C,
                    format!("streaminfo block is {len} bytes, expected 34"),
                ));
            }
            if data.len() < 4 + len {
                if eof {
                    return Err(ProbeError::truncated(
                        C,
                        "the file ends inside the streaminfo block",
                    ));
                }
                return ctx.need(C, 4 + len);
            }
            self.info = Some(parse_streaminfo(&data[4..4 + len])?);
            self.st = if self.last_block { St::FrameHeader } else { St::BlockHeader };
            return Ok(Step::Consumed(4 + len));
        }
        if kind == 0 {
            return Err(ProbeError::malformed(C, "a second streaminfo block"));
        }
        self.st = St::Skip { remaining: len as u64 };
        Ok(Step::Consumed(4))
    }

    /// Whether `h` is consistent with STREAMINFO and, for a following
    /// frame, continues the previous one.
    fn fits(&self, h: &FrameHeader, prev: Option<&FrameHeader>) -> bool {
        let Some(info) = &self.info else { return false };
        if h.channels != info.channels
            || h.sample_rate.is_some_and(|r| r != info.sample_rate)
            || h.bits_per_sample.is_some_and(|b| b != info.bits_per_sample)
            || h.block_size > u32::from(info.max_block)
        {
            return false;
        }
        match prev {
            None => true,
            Some(p) => {
                let step = if p.variable_blocksize { u64::from(p.block_size) } else { 1 };
                p.variable_blocksize == h.variable_blocksize
                    && p.number.checked_add(step) == Some(h.number)
            }
        }
    }

    fn frame_header(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        if data.len() < MAX_HEADER && !eof {
            return ctx.need(C, MAX_HEADER);
        }
        if data.is_empty() {
            return Ok(Step::Consumed(0));
        }
        let h = match parse_frame_header(data) {
            Some(h) if self.fits(&h, self.frame.as_ref()) => h,
            _ if data.len() < MAX_HEADER && data.first() == Some(&0xff) => {
                return Err(ProbeError::truncated(C, "the file ends inside a frame header"));
            }
            _ => {
                return Err(ProbeError::malformed(
                    C,
                    format!("no valid flac frame header at byte {}", ctx.pos),
                ));
            }
        };
        self.frame = Some(h);
        self.frame_start = ctx.pos;
        self.frame_bytes = h.len as u64;
        self.crc = FLAC16.checksum(&data[..h.len]);
        self.st = St::Body;
        Ok(Step::Consumed(h.len))
    }

    fn fold(&mut self, bytes: &[u8]) {
        let mut d = FLAC16.digest_with_initial(self.crc);
        d.update(bytes);
        self.crc = d.finalize();
        self.frame_bytes += bytes.len() as u64;
    }

    fn body(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        let Some(cur) = self.frame else {
            return Err(ProbeError::malformed(C, "frame body without a header"));
        };
        let min_len = cur.len as u64 + 3;
        let mut done = 0;
        let mut search = 0;
        while let Some(off) = memchr::memchr(0xff, &data[search..]) {
            let at = search + off;
            self.fold(&data[done..at]);
            done = at;
            if at + MAX_HEADER > data.len() && !eof {
                if at > 0 {
                    return Ok(Step::Consumed(at));
                }
                return ctx.need(C, MAX_HEADER);
            }
            search = at + 1;
            if self.frame_bytes < min_len {
                continue;
            }
            let Some(next) = parse_frame_header(&data[at..]) else { continue };
            if !self.fits(&next, None) {
                continue;
            }
            if !self.fits(&next, Some(&cur)) {
                if self.crc == 0 {
                    // A complete frame ends here and a valid header follows,
                    // but not the one expected: frames are missing.
                    return Err(ProbeError::malformed(
                        C,
                        format!(
                            "flac frames missing or out of order at byte {}",
                            ctx.pos + at as u64
                        ),
                    ));
                }
                continue;
            }
            if self.crc != 0 {
                return Err(ProbeError::malformed(
                    C,
                    format!("crc-16 mismatch in the flac frame at byte {}", self.frame_start),
                ));
            }
            self.frames += 1;
            self.samples += u64::from(cur.block_size);
            self.st = St::FrameHeader;
            return Ok(Step::Consumed(at));
        }
        self.fold(&data[done..]);
        if self.frame_bytes > MAX_FRAME {
            return Err(ProbeError::malformed(
                C,
                format!(
                    "no valid frame follows the flac frame at byte {} within {MAX_FRAME} bytes",
                    self.frame_start
                ),
            ));
        }
        let _ = ctx;
        Ok(Step::Consumed(data.len()))
    }

    pub(crate) fn finish(mut self, _end: u64) -> Result<AudioInfo, ProbeError> {
        let Some(info) = self.info else {
            return Err(ProbeError::truncated(C, "the file ends before the streaminfo block"));
        };
        match self.st {
            St::BlockHeader | St::Skip { .. } => {
                return Err(ProbeError::truncated(C, "the file ends inside the metadata"));
            }
            St::FrameHeader => {}
            St::Body => {
                let cur = self.frame.unwrap_or(FrameHeader {
                    variable_blocksize: false,
                    block_size: 0,
                    sample_rate: None,
                    channels: 0,
                    bits_per_sample: None,
                    number: 0,
                    len: 0,
                });
                if self.crc != 0 || self.frame_bytes < cur.len as u64 + 3 {
                    return Err(ProbeError::truncated(
                        C,
                        format!("the last flac frame (at byte {}) is cut short", self.frame_start),
                    ));
                }
                self.frames += 1;
                self.samples += u64::from(cur.block_size);
            }
        }
        if info.total_samples > 0 && self.samples < info.total_samples {
            return Err(ProbeError::truncated(
                C,
                format!(
                    "streaminfo declares {} samples but the frames hold {}",
                    info.total_samples, self.samples
                ),
            ));
        }
        if self.samples == 0 {
            return Err(ProbeError::Empty);
        }
        Ok(AudioInfo {
            format: AudioFormat::Flac,
            codec: "flac".to_owned(),
            channels: u16::from(info.channels),
            sample_rate: info.sample_rate,
            duration_ms: samples_to_ms(self.samples, info.sample_rate),
        })
    }
}
