//! MPEG audio (layers I, II, III; MPEG-1, 2 and 2.5).
//!
//! Checks: optional ID3v2 tags (skipped by their size, footer flag
//! included); every frame header (sync, version, layer, bitrate, rate,
//! emphasis); each frame starting exactly where the previous one ends, with
//! the same version, layer and rate; a Xing/Info/VBRI frame count against
//! the frames present; a final frame cut short. After the last frame an
//! ID3v1 tag, APEv2 tags (with or without header) and appended ID3v2 tags
//! are allowed, nothing else. Frame payloads are skipped, not read.

use crate::{AudioFormat, AudioInfo, Ctx, ProbeError, Step, be32, le32, samples_to_ms};

const C: &str = "mp3";

/// Bitrates in kbit/s by [MPEG-1 or not][layer I, II, III][index].
const BITRATES: [[[u16; 15]; 3]; 2] = [
    [
        [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ],
    [
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ],
];

/// MPEG version as coded in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Mpeg1,
    Mpeg2,
    Mpeg25,
}

/// A decoded 4-byte MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub version: Version,
    /// 1, 2 or 3.
    pub layer: u8,
    pub bitrate_kbps: u32,
    pub sample_rate: u32,
    pub channels: u16,
    /// A 16-bit CRC follows the header.
    pub protected: bool,
    /// Whole frame length in bytes, header included.
    pub len: usize,
    /// Samples per channel in the frame.
    pub samples: u32,
}

/// Why four bytes are not a usable frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    NoSync,
    Reserved,
    FreeFormat,
}

impl FrameHeader {
    /// Decode a header; `None` for anything that is not a valid one.
    pub fn parse(b: &[u8]) -> Option<Self> {
        Self::parse_detailed(b).ok()
    }

    pub fn parse_detailed(b: &[u8]) -> Result<Self, HeaderError> {
        let [b0, b1, b2, b3] =
            *b.get(..4).and_then(|s| <&[u8; 4]>::try_from(s).ok()).ok_or(HeaderError::NoSync)?;
        if b0 != 0xff || b1 & 0xe0 != 0xe0 {
            return Err(HeaderError::NoSync);
        }
        let version = match (b1 >> 3) & 3 {
            0 => Version::Mpeg25,
            2 => Version::Mpeg2,
            3 => Version::Mpeg1,
            _ => return Err(HeaderError::Reserved),
        };
        let layer = match (b1 >> 1) & 3 {
            1 => 3,
            2 => 2,
            3 => 1,
            _ => return Err(HeaderError::Reserved),
        };
        let br_idx = usize::from(b2 >> 4);
        let sr_idx = usize::from((b2 >> 2) & 3);
        if br_idx == 15 || sr_idx == 3 || b3 & 3 == 2 {
            return Err(HeaderError::Reserved);
        }
        if br_idx == 0 {
            return Err(HeaderError::FreeFormat);
        }
        let base = [44100u32, 48000, 32000][sr_idx];
        let sample_rate = match version {
            Version::Mpeg1 => base,
            Version::Mpeg2 => base / 2,
            Version::Mpeg25 => base / 4,
        };
        let v = usize::from(version != Version::Mpeg1);
        let bitrate_kbps = u32::from(BITRATES[v][usize::from(layer - 1)][br_idx]);
        let br = bitrate_kbps * 1000;
        let pad = u32::from((b2 >> 1) & 1);
        let (len, samples) = match (layer, version) {
            (1, _) => ((12 * br / sample_rate + pad) * 4, 384),
            (2, _) => (144 * br / sample_rate + pad, 1152),
            (_, Version::Mpeg1) => (144 * br / sample_rate + pad, 1152),
            _ => (72 * br / sample_rate + pad, 576),
        };
        Ok(FrameHeader {
            version,
            layer,
            bitrate_kbps,
            sample_rate,
            channels: if b3 >> 6 == 3 { 1 } else { 2 },
            protected: b1 & 1 == 0,
            len: len as usize,
            samples,
        })
    }

    /// Same version, layer and rate: frames of one stream.
    pub fn same_stream(&self, other: &FrameHeader) -> bool {
        self.version == other.version
            && self.layer == other.layer
            && self.sample_rate == other.sample_rate
    }

    /// Offset of a Xing/Info tag inside a layer III frame.
    fn xing_offset(&self) -> usize {
        let side = match (self.version, self.channels) {
            (Version::Mpeg1, 1) => 17,
            (Version::Mpeg1, _) => 32,
            (_, 1) => 9,
            _ => 17,
        };
        4 + if self.protected { 2 } else { 0 } + side
    }
}

#[derive(Debug)]
enum St {
    Frame,
    InFrame {
        remaining: usize,
        len: usize,
    },
    Skip {
        remaining: u64,
        what: &'static str,
    },
    /// Bytes after the last frame that are not a recognised tag: valid only
    /// if they turn out to be a header-less APEv2 tag (checked at the end).
    Trailer,
}

/// MP3 parser state.
#[derive(Debug)]
pub struct Mp3 {
    st: St,
    first: Option<FrameHeader>,
    frames: u64,
    xing_frames: Option<u64>,
    saw_tag_after_frames: bool,
    trailer_start: u64,
    trailer_len: u64,
    /// Last bytes of the trailer (enough for an APE footer and an ID3v1 tag).
    trailer_tail: Vec<u8>,
}

const TAIL: usize = 32 + 128;

impl Mp3 {
    pub(crate) fn new(_after_id3: bool) -> Self {
        Mp3 {
            st: St::Frame,
            first: None,
            frames: 0,
            xing_frames: None,
            saw_tag_after_frames: false,
            trailer_start: 0,
            trailer_len: 0,
            trailer_tail: Vec::new(),
        }
    }

    pub(crate) fn step(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        match &mut self.st {
            St::Frame => self.frame(data, eof, ctx),
            St::InFrame { remaining, .. } => {
                let n = (*remaining).min(data.len());
                *remaining -= n;
                if *remaining == 0 {
                    self.st = St::Frame;
                }
                Ok(Step::Consumed(n))
            }
            St::Skip { remaining, .. } => {
                let n = usize::try_from(*remaining).unwrap_or(usize::MAX).min(data.len());
                *remaining -= n as u64;
                if *remaining == 0 {
                    self.st = St::Frame;
                }
                Ok(Step::Consumed(n))
            }
            St::Trailer => {
                self.trailer_len += data.len() as u64;
                if self.trailer_len > ctx.limits.max_header_bytes as u64 {
                    return Err(self.lost_sync());
                }
                let keep = data.len().min(TAIL);
                self.trailer_tail.extend_from_slice(&data[data.len() - keep..]);
                let excess = self.trailer_tail.len().saturating_sub(TAIL);
                self.trailer_tail.drain(..excess);
                Ok(Step::Consumed(data.len()))
            }
        }
    }

    fn lost_sync(&self) -> ProbeError {
        ProbeError::malformed(C, format!("lost mpeg frame sync at byte {}", self.trailer_start))
    }

    fn enter_trailer(&mut self, ctx: &Ctx) -> Result<Step, ProbeError> {
        if self.frames == 0 && self.first.is_none() {
            return Err(ProbeError::malformed(
                C,
                format!("no valid mpeg frame at byte {}", ctx.pos),
            ));
        }
        self.trailer_start = ctx.pos;
        self.st = St::Trailer;
        Ok(Step::Consumed(0))
    }

    fn frame(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        if data.len() < 4 && !eof {
            return ctx.need(C, 4);
        }
        if data.len() < 8 && !eof && b"APETAGEX".starts_with(data) {
            return ctx.need(C, 8);
        }
        if data.starts_with(b"TAG") {
            if data.len() < 128 {
                if eof {
                    return Err(ProbeError::truncated(C, "the id3v1 tag at the end is cut short"));
                }
                return ctx.need(C, 128);
            }
            self.saw_tag_after_frames = true;
            // Nothing may follow an ID3v1 tag but the end of the file; let
            // the trailer check judge anything that does.
            self.trailer_start = ctx.pos + 128;
            self.st = St::Trailer;
            return Ok(Step::Consumed(128));
        }
        if data.starts_with(b"APETAGEX") || data.starts_with(b"ID3") {
            let head = if data.starts_with(b"ID3") { 10 } else { 32 };
            if data.len() < head {
                if eof {
                    return Err(ProbeError::truncated(C, "a tag at the end is cut short"));
                }
                return ctx.need(C, head);
            }
            let total = if head == 10 {
                crate::detect::id3v2_size(data).map_err(|e| ProbeError::malformed(C, e))?
            } else {
                let size = u64::from(le32(data, 12));
                let is_header = le32(data, 20) & (1 << 29) != 0;
                if is_header { 32 + size } else { 32 }
            };
            self.saw_tag_after_frames = true;
            self.st = St::Skip {
                remaining: total,
                what: if head == 10 { "id3v2 tag" } else { "apev2 tag" },
            };
            return Ok(Step::Consumed(0));
        }
        if data.len() < 4 {
            // At the end of the file, inside what should be a header.
            if data.first() == Some(&0xff) && !self.saw_tag_after_frames {
                return Err(ProbeError::truncated(C, "the file ends inside a frame header"));
            }
            return self.enter_trailer(ctx);
        }
        let h = match FrameHeader::parse_detailed(data) {
            Ok(h) => h,
            Err(HeaderError::FreeFormat) if self.first.is_none() => {
                return Err(ProbeError::unsupported(
                    C,
                    "free-format bitrate streams are not supported",
                ));
            }
            Err(_) => return self.enter_trailer(ctx),
        };
        if self.saw_tag_after_frames {
            return Err(ProbeError::malformed(
                C,
                format!("mpeg frame after a trailing tag at byte {}", ctx.pos),
            ));
        }
        match &self.first {
            None => {
                let want = h.len.min(64);
                if data.len() < want && !eof {
                    return ctx.need(C, want);
                }
                self.first = Some(h);
                if let Some(n) = info_frame_count(&h, data) {
                    // The Xing/Info/VBRI frame carries no audio.
                    self.xing_frames = Some(n);
                    self.frames = 0;
                } else {
                    self.frames = 1;
                }
            }
            Some(f) if f.same_stream(&h) => self.frames += 1,
            Some(_) => return self.enter_trailer(ctx),
        }
        if data.len() >= h.len {
            return Ok(Step::Consumed(h.len));
        }
        self.st = St::InFrame { remaining: h.len - data.len(), len: h.len };
        Ok(Step::Consumed(data.len()))
    }

    /// Whether the trailer is a header-less APEv2 tag, optionally followed
    /// by an ID3v1 tag.
    fn trailer_is_tags(&self) -> bool {
        let mut t = &self.trailer_tail[..];
        let mut len = self.trailer_len;
        if len == 0 {
            return true;
        }
        if len >= 128 && t.len() >= 128 && t[t.len() - 128..].starts_with(b"TAG") {
            t = &t[..t.len() - 128];
            len -= 128;
            if len == 0 {
                return true;
            }
        }
        if t.len() < 32 {
            return false;
        }
        let footer = &t[t.len() - 32..];
        footer.starts_with(b"APETAGEX") && u64::from(le32(footer, 12)) == len
    }

    pub(crate) fn finish(self, _end: u64) -> Result<AudioInfo, ProbeError> {
        match &self.st {
            St::InFrame { remaining, len } => {
                return Err(ProbeError::truncated(
                    C,
                    format!(
                        "the last mpeg frame is cut short ({} of {} bytes)",
                        len - remaining,
                        len
                    ),
                ));
            }
            St::Skip { remaining, what } if *remaining > 0 => {
                return Err(ProbeError::truncated(C, format!("the file ends inside an {what}")));
            }
            St::Trailer if !self.trailer_is_tags() => return Err(self.lost_sync()),
            _ => {}
        }
        let Some(first) = self.first else { return Err(ProbeError::Empty) };
        if let Some(n) = self.xing_frames
            && self.frames < n
        {
            return Err(ProbeError::truncated(
                C,
                format!(
                    "the stream header announces {n} frames but only {} are present",
                    self.frames
                ),
            ));
        }
        if self.frames == 0 {
            return Err(ProbeError::Empty);
        }
        let samples = self.frames * u64::from(first.samples);
        Ok(AudioInfo {
            format: AudioFormat::Mp3,
            codec: ["mp1", "mp2", "mp3"][usize::from(first.layer - 1)].to_owned(),
            channels: first.channels,
            sample_rate: first.sample_rate,
            duration_ms: samples_to_ms(samples, first.sample_rate),
        })
    }
}

/// Frame count from a Xing/Info or VBRI tag in the first frame, if any.
fn info_frame_count(h: &FrameHeader, frame: &[u8]) -> Option<u64> {
    if h.layer != 3 {
        return None;
    }
    let x = h.xing_offset();
    match frame.get(x..x + 4) {
        Some(b"Xing") | Some(b"Info") => {
            let flags = be32(frame, x + 4);
            if flags & 1 != 0 && frame.len() >= x + 12 {
                return Some(u64::from(be32(frame, x + 8)));
            }
            // An info frame without a count still carries no audio.
            return Some(0);
        }
        _ => {}
    }
    if frame.get(36..40) == Some(b"VBRI") && frame.len() >= 54 {
        return Some(u64::from(be32(frame, 50)));
    }
    None
}
