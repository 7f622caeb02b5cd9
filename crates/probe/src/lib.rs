//! Streaming, sans-IO validator and prober for uploaded audio files.
//!
//! The ingest API streams every upload through a [`Prober`] chunk by chunk
//! while it writes the bytes to disk. The prober refuses junk, truncated and
//! empty audio with a [`ProbeError`] whose message says why (it is shown to
//! API clients) and whose [`ProbeError::code`] is a stable machine code; valid
//! audio yields an [`AudioInfo`] (format, codec, channels, rate, duration).
//!
//! Module map:
//! - `lib.rs`: the public API and the buffering driver shared by all formats.
//! - [`wav`]: RIFF/WAVE, RF64/BW64 (PCM, float, A-law, µ-law, GSM 6.10, extensible).
//! - [`mp3`]: ID3v2, MPEG audio frame walking, Xing/Info/VBRI, ID3v1/APEv2 trailers.
//! - [`ogg`]: Ogg pages (CRC-32, sequence continuity) carrying Opus.
//! - [`flac`]: native FLAC metadata and frames (CRC-8 headers, CRC-16 frames).
//! - `synth` (feature `synth`): builders of small synthetic valid files for tests and benches.
//!
//! **Architecture Invariant:** the prober does no I/O, never reads the
//! clock, never panics on input, and its memory is bounded by
//! [`ProbeLimits::max_header_bytes`] (plus a few fixed-size counters)
//! regardless of file size. Audio payload bytes are counted or run through a
//! checksum, never copied. It does not decode audio: a file that passes has a
//! valid container and frame structure, not necessarily pleasant sound.
#![forbid(unsafe_code)]

use std::fmt;

pub use callvault_model::AudioFormat;

mod crc;
mod detect;
pub mod flac;
pub mod mp3;
pub mod ogg;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod wav;

/// Bounds on what the prober may buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeLimits {
    /// Largest header or metadata structure the prober will buffer in one
    /// piece (a WAV `fmt ` chunk, an Ogg page carrying `OpusHead`, ...).
    /// Default 1 MiB. Skipped metadata (ID3 tags, LIST chunks, FLAC
    /// pictures) is never buffered and is not subject to this bound.
    pub max_header_bytes: usize,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        Self { max_header_bytes: 1 << 20 }
    }
}

/// What a valid audio file contains.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    pub format: AudioFormat,
    /// `pcm_u8`, `pcm_s16le`, `pcm_s24le`, `pcm_s32le`, `pcm_f32le`,
    /// `pcm_f64le`, `pcm_alaw`, `pcm_mulaw`, `gsm`, `mp1`, `mp2`, `mp3`,
    /// `opus`, `flac`.
    pub codec: String,
    pub channels: u16,
    /// Samples per second per channel. For Opus this is the decoding rate,
    /// always 48000 (the encoder's input rate is informational only).
    pub sample_rate: u32,
    pub duration_ms: u64,
}

/// Why a file was refused. Messages are lowercase and fit to be shown to an
/// API client; [`ProbeError::code`] gives a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No bytes at all, or a valid container without any audio samples.
    #[error("the file contains no audio")]
    Empty,
    /// The first bytes match none of the supported formats.
    #[error("unrecognised file format: expected wav, mp3, ogg/opus or flac audio")]
    UnknownFormat,
    /// The file ends before the structure it declares is complete.
    #[error("truncated {container} file: {reason}")]
    Truncated { container: &'static str, reason: String },
    /// The bytes violate the format (bad header field, checksum, lost sync).
    #[error("malformed {container} file: {reason}")]
    Malformed { container: &'static str, reason: String },
    /// A well-formed file in a variant or codec the vault does not accept.
    #[error("unsupported {container} file: {reason}")]
    Unsupported { container: &'static str, reason: String },
    /// A header or metadata structure that must be buffered exceeds
    /// [`ProbeLimits::max_header_bytes`].
    #[error("{container} header of {size} bytes exceeds the limit of {limit} bytes")]
    HeaderTooLarge { container: &'static str, size: u64, limit: usize },
}

impl ProbeError {
    /// Stable machine code: `empty`, `unknown_format`, `truncated`,
    /// `malformed`, `unsupported`, `header_too_large`.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeError::Empty => "empty",
            ProbeError::UnknownFormat => "unknown_format",
            ProbeError::Truncated { .. } => "truncated",
            ProbeError::Malformed { .. } => "malformed",
            ProbeError::Unsupported { .. } => "unsupported",
            ProbeError::HeaderTooLarge { .. } => "header_too_large",
        }
    }

    pub(crate) fn truncated(container: &'static str, reason: impl fmt::Display) -> Self {
        ProbeError::Truncated { container, reason: reason.to_string() }
    }

    pub(crate) fn malformed(container: &'static str, reason: impl fmt::Display) -> Self {
        ProbeError::Malformed { container, reason: reason.to_string() }
    }

    pub(crate) fn unsupported(container: &'static str, reason: impl fmt::Display) -> Self {
        ProbeError::Unsupported { container, reason: reason.to_string() }
    }
}

/// What a format parser did with the bytes it was shown.
#[derive(Debug)]
pub(crate) enum Step {
    /// `n` bytes (at most the slice length) are done with. Zero is allowed
    /// only together with a state change.
    Consumed(usize),
    /// Nothing can be decided before at least `n` bytes (more than the slice
    /// holds) are available from the current position.
    Need(usize),
}

/// Parser state: detection first, then one format.
#[derive(Debug)]
enum State {
    Detect(detect::Detect),
    Wav(wav::Wav),
    Mp3(mp3::Mp3),
    Ogg(ogg::Ogg),
    Flac(flac::Flac),
}

/// Shared context handed to each parser step.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Absolute offset of the first byte of the slice being stepped.
    pub pos: u64,
    pub limits: ProbeLimits,
}

impl Ctx {
    /// `Need(n)`, or an error if `n` exceeds the buffering bound.
    pub(crate) fn need(&self, container: &'static str, n: usize) -> Result<Step, ProbeError> {
        self.check(container, n)?;
        Ok(Step::Need(n))
    }

    /// Refuse a structure of `n` bytes that would have to be buffered if it
    /// exceeds the bound, whether or not this chunk happens to hold it all
    /// (so that the outcome does not depend on chunking).
    pub(crate) fn check(&self, container: &'static str, n: usize) -> Result<(), ProbeError> {
        if n > self.limits.max_header_bytes {
            return Err(ProbeError::HeaderTooLarge {
                container,
                size: n as u64,
                limit: self.limits.max_header_bytes,
            });
        }
        Ok(())
    }
}

/// Streaming prober. Feed it the file with [`Prober::push`], then call
/// [`Prober::finish`]. Memory stays bounded regardless of the file size.
#[derive(Debug)]
pub struct Prober {
    state: State,
    ctx: Ctx,
    /// Bytes held back because the current step needs more than a chunk had.
    buf: Vec<u8>,
    /// How many bytes `buf` must hold before the next step is worth trying.
    need: usize,
    /// First error; every later call returns it again.
    failed: Option<ProbeError>,
}

impl Prober {
    pub fn new(limits: ProbeLimits) -> Self {
        Self {
            state: State::Detect(detect::Detect::default()),
            ctx: Ctx { pos: 0, limits },
            buf: Vec::new(),
            need: 0,
            failed: None,
        }
    }

    /// Feed the next bytes. Errs as soon as the data cannot be valid audio
    /// (wrong magic, bad header, bad checksum, ...). After an error every
    /// call returns the same error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ProbeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.run(chunk);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    /// End of input: checks completeness (truncation, emptiness) and returns
    /// what was found.
    pub fn finish(mut self) -> Result<AudioInfo, ProbeError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut stalls = 0;
        while !self.buf.is_empty() {
            let data = std::mem::take(&mut self.buf);
            match self.step(&data, true)? {
                Step::Consumed(n) => {
                    stalls = if n == 0 { stalls + 1 } else { 0 };
                    self.progress_guard(stalls)?;
                    self.ctx.pos += n as u64;
                    self.buf = data;
                    self.buf.drain(..n.min(self.buf.len()));
                }
                Step::Need(_) => {
                    return Err(ProbeError::truncated(
                        self.container(),
                        format!("the file ends inside a header at byte {}", self.ctx.pos),
                    ));
                }
            }
        }
        let end = self.ctx.pos;
        match self.state {
            State::Detect(_) if end == 0 => Err(ProbeError::Empty),
            State::Detect(d) => d.finish(end),
            State::Wav(w) => w.finish(end),
            State::Mp3(m) => m.finish(end),
            State::Ogg(o) => o.finish(end),
            State::Flac(f) => f.finish(end),
        }
    }

    /// The format once known (after the first few bytes), for early
    /// Content-Type checks. For Ogg this is `Opus` only once the first page
    /// has shown an `OpusHead`; an ID3v2 tag is skipped before deciding
    /// between MP3 and FLAC.
    pub fn format(&self) -> Option<AudioFormat> {
        match &self.state {
            State::Detect(_) => None,
            State::Wav(_) => Some(AudioFormat::Wav),
            State::Mp3(_) => Some(AudioFormat::Mp3),
            State::Ogg(o) => o.is_opus().then_some(AudioFormat::Opus),
            State::Flac(_) => Some(AudioFormat::Flac),
        }
    }

    /// Bytes parsed so far; bytes held back in the internal buffer are
    /// counted once they are parsed.
    pub fn position(&self) -> u64 {
        self.ctx.pos
    }

    fn container(&self) -> &'static str {
        match &self.state {
            State::Detect(_) => "audio",
            State::Wav(_) => "wav",
            State::Mp3(_) => "mp3",
            State::Ogg(_) => "ogg",
            State::Flac(_) => "flac",
        }
    }

    fn progress_guard(&self, stalls: u32) -> Result<(), ProbeError> {
        if stalls > 8 {
            // A parser bug, not bad input; refuse instead of spinning.
            return Err(ProbeError::malformed(
                self.container(),
                format!("parser made no progress at byte {}", self.ctx.pos),
            ));
        }
        Ok(())
    }

    fn run(&mut self, mut input: &[u8]) -> Result<(), ProbeError> {
        let mut stalls = 0u32;
        loop {
            if self.buf.is_empty() {
                if input.is_empty() {
                    return Ok(());
                }
                match self.step(input, false)? {
                    Step::Consumed(n) => {
                        let n = n.min(input.len());
                        stalls = if n == 0 { stalls + 1 } else { 0 };
                        self.progress_guard(stalls)?;
                        input = &input[n..];
                        self.ctx.pos += n as u64;
                    }
                    Step::Need(n) => {
                        self.buf.extend_from_slice(input);
                        self.need = n.max(input.len() + 1);
                        return Ok(());
                    }
                }
            } else {
                if self.buf.len() < self.need {
                    let take = (self.need - self.buf.len()).min(input.len());
                    self.buf.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.buf.len() < self.need {
                        return Ok(());
                    }
                }
                let data = std::mem::take(&mut self.buf);
                let step = self.step(&data, false);
                self.buf = data;
                match step? {
                    Step::Consumed(n) => {
                        let n = n.min(self.buf.len());
                        stalls = if n == 0 { stalls + 1 } else { 0 };
                        self.progress_guard(stalls)?;
                        self.buf.drain(..n);
                        self.ctx.pos += n as u64;
                        self.need = 0;
                    }
                    Step::Need(n) => self.need = n.max(self.buf.len() + 1),
                }
            }
        }
    }

    fn step(&mut self, data: &[u8], eof: bool) -> Result<Step, ProbeError> {
        let ctx = &self.ctx;
        match &mut self.state {
            State::Detect(d) => match d.step(data, eof, ctx)? {
                detect::Outcome::Step(s) => Ok(s),
                detect::Outcome::Wav { consumed, wav } => {
                    self.state = State::Wav(wav);
                    Ok(Step::Consumed(consumed))
                }
                detect::Outcome::Mp3 { consumed, mp3 } => {
                    self.state = State::Mp3(mp3);
                    Ok(Step::Consumed(consumed))
                }
                detect::Outcome::Ogg => {
                    self.state = State::Ogg(ogg::Ogg::default());
                    Ok(Step::Consumed(0))
                }
                detect::Outcome::Flac { consumed } => {
                    self.state = State::Flac(flac::Flac::default());
                    Ok(Step::Consumed(consumed))
                }
            },
            State::Wav(w) => w.step(data, eof, ctx),
            State::Mp3(m) => m.step(data, eof, ctx),
            State::Ogg(o) => o.step(data, eof, ctx),
            State::Flac(f) => f.step(data, eof, ctx),
        }
    }
}

/// Probe a whole buffer at once (convenience for small files and tests).
pub fn probe_bytes(data: &[u8]) -> Result<AudioInfo, ProbeError> {
    let mut p = Prober::new(ProbeLimits::default());
    p.push(data)?;
    p.finish()
}

/// `samples * 1000 / rate` without overflow; 0 for a zero rate.
pub(crate) fn samples_to_ms(samples: u64, rate: u32) -> u64 {
    if rate == 0 {
        return 0;
    }
    u64::try_from(u128::from(samples) * 1000 / u128::from(rate)).unwrap_or(u64::MAX)
}

/// Little-endian field readers over a slice known to be long enough;
/// they return 0 rather than panic if it is not.
pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be24(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 3).map_or(0, |s| u32::from_be_bytes([0, s[0], s[1], s[2]]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
