//! RIFF/WAVE and RF64/BW64.
//!
//! Checks: `WAVE` form type; chunk ids are printable; `ds64` first in RF64;
//! a `fmt ` chunk with a supported encoding (PCM, IEEE float, A-law, µ-law,
//! GSM 6.10 as Asterisk's WAV49 writes, WAVE_FORMAT_EXTENSIBLE with one of
//! those as subformat) and consistent block alignment, before `data`;
//! the `data` chunk and the RIFF size against the bytes actually present.
//! Audio bytes are counted, never looked at. A data size of `0xFFFFFFFF`,
//! or 0, means "to the end of the file" (unfinalised streaming writers).

use crate::{AudioFormat, AudioInfo, Ctx, ProbeError, Step, le16, le32, le64, samples_to_ms};

const C: &str = "wav";

/// A parsed `fmt ` chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmt {
    pub codec: &'static str,
    pub channels: u16,
    pub sample_rate: u32,
    pub block_align: u16,
    /// Samples per channel in one block (1 for PCM, 320 for GSM 6.10).
    pub samples_per_block: u32,
}

#[derive(Debug, Default)]
enum St {
    #[default]
    RiffHeader,
    ChunkHeader,
    Skip {
        id: [u8; 4],
        remaining: u64,
    },
    Data {
        remaining: u64,
        odd: bool,
    },
    DataToEof,
    /// Bytes after the audio that are not a chunk (or past the RIFF end).
    Trailing,
}

/// WAV parser state.
#[derive(Debug, Default)]
pub struct Wav {
    st: St,
    rf64: bool,
    /// Declared end of the RIFF form, when the header states a usable size.
    riff_end: Option<u64>,
    ds64_data: Option<u64>,
    seen_ds64: bool,
    fmt: Option<Fmt>,
    data_seen: bool,
    data_declared: u64,
    data_bytes: u64,
}

fn printable_id(id: &[u8]) -> bool {
    id.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// Sample rates a recording can have: below, a header is garbage; above,
/// no audio interface records (768 kHz is the highest any does).
pub const MIN_SAMPLE_RATE: u32 = 1_000;
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Parse a `fmt ` chunk body.
pub fn parse_fmt(b: &[u8]) -> Result<Fmt, ProbeError> {
    if b.len() < 16 {
        return Err(ProbeError::malformed(
            C,
            format!("fmt chunk is {} bytes, at least 16 expected", b.len()),
        ));
    }
    let mut tag = le16(b, 0);
    let channels = le16(b, 2);
    let sample_rate = le32(b, 4);
    let block_align = le16(b, 12);
    let bits = le16(b, 14);
    if channels == 0 {
        return Err(ProbeError::malformed(C, "fmt chunk declares zero channels"));
    }
    if sample_rate == 0 {
        return Err(ProbeError::malformed(C, "fmt chunk declares a sample rate of zero"));
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
        return Err(ProbeError::malformed(
            C,
            format!(
                "fmt chunk declares a sample rate of {sample_rate} Hz, outside \
                 {MIN_SAMPLE_RATE}..={MAX_SAMPLE_RATE}"
            ),
        ));
    }
    if block_align == 0 {
        return Err(ProbeError::malformed(C, "fmt chunk declares a block alignment of zero"));
    }
    if tag == 0xfffe {
        if b.len() < 40 || le16(b, 16) < 22 {
            return Err(ProbeError::malformed(C, "wave_format_extensible fmt chunk is too short"));
        }
        const GUID_TAIL: [u8; 14] =
            [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
        if b.get(26..40) != Some(&GUID_TAIL[..]) {
            return Err(ProbeError::unsupported(
                C,
                "wave_format_extensible with a non-standard subformat guid",
            ));
        }
        tag = le16(b, 24);
    }
    let pcm_align = |codec: &'static str| -> Result<Fmt, ProbeError> {
        let expect = u32::from(channels) * u32::from(bits).div_ceil(8);
        if u32::from(block_align) != expect {
            return Err(ProbeError::malformed(
                C,
                format!(
                    "block alignment {block_align} does not match {channels} channels of {bits} bits"
                ),
            ));
        }
        Ok(Fmt { codec, channels, sample_rate, block_align, samples_per_block: 1 })
    };
    match tag {
        1 => match bits {
            8 => pcm_align("pcm_u8"),
            16 => pcm_align("pcm_s16le"),
            24 => pcm_align("pcm_s24le"),
            32 => pcm_align("pcm_s32le"),
            _ => Err(ProbeError::unsupported(C, format!("pcm with {bits} bits per sample"))),
        },
        3 => match bits {
            32 => pcm_align("pcm_f32le"),
            64 => pcm_align("pcm_f64le"),
            _ => Err(ProbeError::unsupported(C, format!("ieee float with {bits} bits per sample"))),
        },
        6 | 7 => {
            if block_align != channels {
                return Err(ProbeError::malformed(
                    C,
                    format!(
                        "block alignment {block_align} does not match {channels} channels of 8-bit g.711"
                    ),
                ));
            }
            let codec = if tag == 6 { "pcm_alaw" } else { "pcm_mulaw" };
            Ok(Fmt { codec, channels, sample_rate, block_align, samples_per_block: 1 })
        }
        0x31 => {
            if channels != 1 {
                return Err(ProbeError::unsupported(
                    C,
                    format!("gsm 6.10 with {channels} channels"),
                ));
            }
            if block_align != 65 {
                return Err(ProbeError::malformed(
                    C,
                    format!("gsm 6.10 block alignment is {block_align}, expected 65"),
                ));
            }
            let spb = if b.len() >= 20 && le16(b, 16) >= 2 { u32::from(le16(b, 18)) } else { 320 };
            if spb == 0 {
                return Err(ProbeError::malformed(C, "gsm 6.10 declares zero samples per block"));
            }
            Ok(Fmt { codec: "gsm", channels, sample_rate, block_align, samples_per_block: spb })
        }
        _ => {
            let name = match tag {
                0x0002 => "microsoft adpcm",
                0x0011 => "ima adpcm",
                0x0050 => "mpeg audio",
                0x0055 => "mp3",
                0x0022 | 0x0040 | 0x0064 | 0x0065 => "g.72x adpcm",
                _ => "an unknown encoding",
            };
            Err(ProbeError::unsupported(C, format!("{name} audio (format tag 0x{tag:04x})")))
        }
    }
}

impl Wav {
    pub(crate) fn step(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        match &mut self.st {
            St::RiffHeader => {
                if data.len() < 12 {
                    return ctx.need(C, 12);
                }
                if &data[8..12] != b"WAVE" {
                    return Err(ProbeError::UnknownFormat);
                }
                self.rf64 = &data[..4] != b"RIFF";
                let size = le32(data, 4);
                if !self.rf64 && size != 0 && size != u32::MAX {
                    self.riff_end = Some(8 + u64::from(size));
                }
                self.st = St::ChunkHeader;
                Ok(Step::Consumed(12))
            }
            St::ChunkHeader => self.chunk_header(data, eof, ctx),
            St::Skip { id, remaining } => {
                let n = usize::try_from(*remaining).unwrap_or(usize::MAX).min(data.len());
                *remaining -= n as u64;
                if *remaining == 0 {
                    self.st = St::ChunkHeader;
                } else if eof && !self.data_seen {
                    let id = String::from_utf8_lossy(&id[..]).into_owned();
                    return Err(ProbeError::truncated(
                        C,
                        format!("the file ends inside the '{id}' chunk, before any audio data"),
                    ));
                }
                Ok(Step::Consumed(n))
            }
            St::Data { remaining, odd } => {
                let n = usize::try_from(*remaining).unwrap_or(usize::MAX).min(data.len());
                *remaining -= n as u64;
                self.data_bytes += n as u64;
                if *remaining == 0 {
                    self.st = if *odd {
                        St::Skip { id: *b"pad ", remaining: 1 }
                    } else {
                        St::ChunkHeader
                    };
                }
                Ok(Step::Consumed(n))
            }
            St::DataToEof => {
                self.data_bytes += data.len() as u64;
                Ok(Step::Consumed(data.len()))
            }
            St::Trailing => Ok(Step::Consumed(data.len())),
        }
    }

    fn chunk_header(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        if self.data_seen && self.riff_end.is_some_and(|end| ctx.pos >= end) {
            self.st = St::Trailing;
            return Ok(Step::Consumed(0));
        }
        if data.len() < 8 {
            if !eof {
                return ctx.need(C, 8);
            }
            if self.data_seen {
                self.st = St::Trailing;
                return Ok(Step::Consumed(0));
            }
            return Err(ProbeError::truncated(
                C,
                format!("the file ends inside a chunk header at byte {}", ctx.pos),
            ));
        }
        let mut id = [0u8; 4];
        id.copy_from_slice(&data[..4]);
        let size = le32(data, 4);
        if !printable_id(&id) {
            if self.data_seen {
                self.st = St::Trailing;
                return Ok(Step::Consumed(0));
            }
            return Err(ProbeError::malformed(C, format!("invalid chunk id at byte {}", ctx.pos)));
        }
        if self.rf64 && !self.seen_ds64 && &id != b"ds64" {
            return Err(ProbeError::malformed(C, "rf64 file does not start with a ds64 chunk"));
        }
        let padded = u64::from(size) + u64::from(size & 1);
        match &id {
            b"ds64" | b"fmt " if !(&id == b"fmt " && self.fmt.is_some()) => {
                let whole = 8 + size as usize;
                ctx.check(C, whole)?;
                if data.len() < whole {
                    if eof {
                        return Err(ProbeError::truncated(
                            C,
                            format!(
                                "the file ends inside the '{}' chunk",
                                String::from_utf8_lossy(&id)
                            ),
                        ));
                    }
                    return ctx.need(C, whole);
                }
                let body = &data[8..whole];
                if &id == b"fmt " {
                    self.fmt = Some(parse_fmt(body)?);
                } else {
                    if body.len() < 24 {
                        return Err(ProbeError::malformed(
                            C,
                            "ds64 chunk is shorter than 24 bytes",
                        ));
                    }
                    self.seen_ds64 = true;
                    let riff = le64(body, 0);
                    if riff != 0 && riff != u64::MAX {
                        self.riff_end = Some(riff.saturating_add(8));
                    }
                    self.ds64_data = Some(le64(body, 8));
                }
                self.st = if size & 1 == 1 {
                    St::Skip { id: *b"pad ", remaining: 1 }
                } else {
                    St::ChunkHeader
                };
                Ok(Step::Consumed(whole))
            }
            b"data" if !self.data_seen => {
                if self.fmt.is_none() {
                    return Err(ProbeError::malformed(C, "data chunk comes before the fmt chunk"));
                }
                self.data_seen = true;
                let declared = if self.rf64 && size == u32::MAX {
                    self.ds64_data.unwrap_or(u64::MAX)
                } else {
                    u64::from(size)
                };
                if declared == u64::from(u32::MAX) || declared == u64::MAX || declared == 0 {
                    self.st = St::DataToEof;
                    // The RIFF size of such a file is not to be trusted either.
                    self.riff_end = None;
                } else {
                    self.data_declared = declared;
                    self.st = St::Data { remaining: declared, odd: declared & 1 == 1 };
                }
                Ok(Step::Consumed(8))
            }
            _ => {
                self.st = St::Skip { id, remaining: padded };
                Ok(Step::Consumed(8))
            }
        }
    }

    pub(crate) fn finish(self, end: u64) -> Result<AudioInfo, ProbeError> {
        match &self.st {
            St::Data { remaining, .. } if *remaining > 0 => {
                return Err(ProbeError::truncated(
                    C,
                    format!(
                        "the data chunk declares {} bytes but the file ends after {}",
                        self.data_declared, self.data_bytes
                    ),
                ));
            }
            St::Skip { id, remaining } if !self.data_seen && *remaining > 0 && id != b"pad " => {
                return Err(ProbeError::truncated(
                    C,
                    format!(
                        "the file ends inside the '{}' chunk, before any audio data",
                        String::from_utf8_lossy(id)
                    ),
                ));
            }
            _ => {}
        }
        // One missing pad byte at the very end is common and harmless.
        if let Some(riff_end) = self.riff_end
            && end + 1 < riff_end
        {
            return Err(ProbeError::truncated(
                C,
                format!("the riff header declares {riff_end} bytes but the file has {end}"),
            ));
        }
        let (Some(fmt), true) = (&self.fmt, self.data_seen) else {
            return Err(ProbeError::Empty);
        };
        let blocks = self.data_bytes / u64::from(fmt.block_align);
        let samples = blocks.saturating_mul(u64::from(fmt.samples_per_block));
        if samples == 0 {
            return Err(ProbeError::Empty);
        }
        Ok(AudioInfo {
            format: AudioFormat::Wav,
            codec: fmt.codec.to_owned(),
            channels: fmt.channels,
            sample_rate: fmt.sample_rate,
            duration_ms: samples_to_ms(samples, fmt.sample_rate),
        })
    }
}
