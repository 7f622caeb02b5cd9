//! Transcoding a stored recording into a format a destination plays.
//!
//! ```text
//! stored object (Ogg/Opus │ WAV PCM/G.711 │ FLAC │ MP3)
//!   ──decode, a packet or 64 KiB at a time──► PCM block ──(fold, resample)──► encoder ──► writer
//! ```
//!
//! Input is read through a reader, output goes to a writer, a block at a
//! time: a 60-minute call is never held as PCM. What is held whole is
//! bounded by the *encoded* output: MP3 keeps its frames until the end
//! (LAME fills in its tag frame last, see [`crate::render::mp3`]), 21 MiB for
//! an hour of stereo at 48 kbit/s. WAV and Ogg/Opus write their header
//! first and need the frame count up front: a WAV input states it; for the
//! other inputs the decoder runs twice (a counting pass first), because a
//! count taken from a damaged header would have the writer pad silence up
//! to a size the input never had.
//!
//! Targets and why:
//! - [`DeliveryTarget::Mp3`]: what CRM players and mail clients play. Constant
//!   bitrate, [`MP3_MONO_KBPS`] mono and [`MP3_STEREO_KBPS`] stereo, at the
//!   input's rate up to [`MP3_MAX_RATE`] (telephony audio is 8 kHz; wideband
//!   16 kHz; a higher rate is resampled down by LAME with its low-pass
//!   filter). 24–32 kbit/s per channel at 8–16 kHz is more than G.711's
//!   4 kHz of bandwidth needs, and an hour of stereo is 21 MiB, which fits a
//!   mail attachment. Two channels stay two independent MP3 channels (no
//!   mid/side), so each party keeps their side. [`mp3_size`] predicts the size
//!   without encoding.
//! - [`DeliveryTarget::Wav`]: PCM 16-bit at the input's rate, for tools
//!   that take nothing else (Bitrix24 also takes WAV).
//! - [`DeliveryTarget::Opus`]: Ogg/Opus at the input's rate when Opus has it
//!   (8, 12, 16, 24, 48 kHz; otherwise the next higher one), 16 kbit/s per
//!   channel.
//!
//! Inputs: every format the vault stores ([`AudioFormat`]): Ogg/Opus mono or
//! stereo (mapping family 0, or 1 with two channels), WAV (PCM 8/16/24/32
//! bit, float 32, A-law and µ-law, plain or `WAVE_FORMAT_EXTENSIBLE`), FLAC
//! (decoded by `claxon`) and MP3 (by `symphonia`, gapless), both pure Rust.
//! More than two channels are mixed down to mono.
//!
//! **Invariant:** bad input is an error ([`TranscodeError::Corrupt`] or
//! [`TranscodeError::Unsupported`]), never a panic and never output that
//! grows beyond what the input holds.

use std::io::{self, Read, Seek, Write};

use callvault_model::AudioFormat;
use ogg::{OggReadError, PacketReader};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder as SymDecoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::codec::g711;
use crate::codec::opus::OpusDecoder;
use crate::render::RenderError;
use crate::render::ogg_opus::OggOpusWriter;
use crate::render::wav::{WavCodec, WavWriter};
use crate::resample::Resampler;

/// MP3 bitrate of a mono file, kbit/s.
pub const MP3_MONO_KBPS: u32 = 32;
/// MP3 bitrate of a stereo file (both channels), kbit/s.
pub const MP3_STEREO_KBPS: u32 = 48;
/// Highest MP3 sample rate made; higher inputs are resampled to it.
pub const MP3_MAX_RATE: u32 = 16_000;
/// Ogg/Opus bitrate per channel, bits/s.
pub const OPUS_BITRATE_PER_CHANNEL: u32 = 16_000;
/// Ogg/Opus encoder complexity (0..=10).
pub const OPUS_COMPLEXITY: u8 = 5;

/// WAV input is read this many bytes at a time.
const WAV_BLOCK: usize = 64 * 1024;
/// Largest `fmt ` chunk accepted (40 bytes for the extensible format).
const MAX_FMT: u32 = 1024;

/// The derived formats a recording can be delivered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryTarget {
    /// Constant-bitrate MP3 (see the module docs for the settings).
    Mp3,
    /// RIFF/WAVE, PCM 16-bit.
    Wav,
    /// Ogg/Opus (RFC 7845).
    Opus,
}

impl DeliveryTarget {
    /// The model's format family of the output.
    pub fn audio_format(self) -> AudioFormat {
        match self {
            DeliveryTarget::Mp3 => AudioFormat::Mp3,
            DeliveryTarget::Wav => AudioFormat::Wav,
            DeliveryTarget::Opus => AudioFormat::Opus,
        }
    }

    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        self.audio_format().extension()
    }

    /// MIME type of the output.
    pub fn content_type(self) -> &'static str {
        self.audio_format().content_type()
    }
}

/// MP3 bitrate (kbit/s) for a file of `channels` channels (1 or 2 after
/// mixing down).
pub fn mp3_kbps(channels: u16) -> u32 {
    if channels >= 2 { MP3_STEREO_KBPS } else { MP3_MONO_KBPS }
}

/// The size of the MP3 [`transcode`] makes of `duration_ms` of audio with
/// `channels` channels, without encoding: the constant bitrate times the
/// duration, plus the frames LAME adds (its tag frame, its encoder delay,
/// the padding of the last frame: at most four frames, counted at 8 kHz,
/// where frames are largest) and rounding. Never below the real size; above
/// it by about 1.7 KB (mono) to 2.6 KB (stereo). Independent of the rate,
/// which a catalog may not know exactly (Ogg/Opus is probed as 48 kHz
/// whatever rate it was made from).
pub fn mp3_size(duration_ms: u64, channels: u16) -> u64 {
    let kbps = u64::from(mp3_kbps(channels.min(2)));
    // An MPEG-2.5 frame: 576 samples at 8 kHz = 72 ms.
    let frame_bytes = kbps * 72 / 8 + 1;
    duration_ms.saturating_mul(kbps) / 8 + 4 * frame_bytes + 64
}

/// The MP3 rate for an input at `rate`.
fn mp3_rate(rate: u32) -> u32 {
    const LEGAL: [u32; 4] = [8000, 11_025, 12_000, 16_000];
    if LEGAL.contains(&rate) {
        rate
    } else if rate < 8000 {
        8000
    } else {
        MP3_MAX_RATE
    }
}

/// The Ogg/Opus coding rate for an input at `rate`: the same or the next
/// higher rate Opus codes.
fn opus_rate(rate: u32) -> u32 {
    [8000, 12_000, 16_000, 24_000, 48_000].into_iter().find(|&r| r >= rate).unwrap_or(48_000)
}

/// What [`transcode`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transcoded {
    /// Channels of the output (1 or 2).
    pub channels: u8,
    /// The output's sample rate.
    pub sample_rate: u32,
    /// Frames (samples per channel) decoded from the input, at its rate.
    pub input_frames: u64,
    /// The input's rate.
    pub input_rate: u32,
    /// Bytes written.
    pub bytes: u64,
}

/// Why a recording could not be transcoded.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// A valid input this module does not decode (RF64, 64-bit float, more
    /// than one Ogg stream, ...).
    #[error("unsupported input: {0}")]
    Unsupported(String),
    /// The input is damaged or is not the format it was said to be.
    #[error("corrupt input: {0}")]
    Corrupt(String),
    /// Reading the input or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The encoder failed (or its cargo feature is off).
    #[error("encoding: {0}")]
    Encode(String),
}

impl From<RenderError> for TranscodeError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Io(e) => TranscodeError::Io(e),
            RenderError::TooLong(n) => {
                TranscodeError::Unsupported(format!("{n} frames are too many for the output"))
            }
            other => TranscodeError::Encode(other.to_string()),
        }
    }
}

/// Decodes the input `open` returns (a recording stored as `from`) and
/// encodes it as `to` into `out`, a block at a time. `open` is called once,
/// or twice when the output needs its frame count up front and the input
/// does not state it (see the module docs). Returns the writer and what
/// was written. On error, `out` holds a partial file.
///
/// CPU work of up to seconds per call-hour: run it on a blocking thread.
pub fn transcode<R, W>(
    open: impl Fn() -> io::Result<R>,
    from: AudioFormat,
    to: DeliveryTarget,
    out: W,
) -> Result<(W, Transcoded), TranscodeError>
where
    R: Read + Seek + Send + Sync + 'static,
    W: Write,
{
    let mut src = open_source(open()?, from)?;
    let in_ch = src.channels();
    let out_ch = if in_ch <= 2 { in_ch } else { 1 };
    let rate = src.rate();
    let frames = match to {
        DeliveryTarget::Mp3 => 0,
        DeliveryTarget::Wav | DeliveryTarget::Opus => match src.known_frames() {
            Some(n) => n,
            None => count_frames(open_source(open()?, from)?.as_mut())?,
        },
    };
    let out = Counted { out, bytes: 0 };
    let (mut enc, enc_rate) = match to {
        DeliveryTarget::Mp3 => (Target::mp3(out, out_ch, rate)?, rate),
        DeliveryTarget::Wav => {
            (Target::Wav(WavWriter::new(out, out_ch, rate, WavCodec::Pcm16, frames)?), rate)
        }
        DeliveryTarget::Opus => {
            let r = opus_rate(rate);
            let frames_out = (u128::from(frames) * u128::from(r) / u128::from(rate)) as u64;
            let w = OggOpusWriter::new(
                out,
                out_ch,
                r,
                OPUS_BITRATE_PER_CHANNEL * out_ch as u32,
                OPUS_COMPLEXITY,
                frames_out,
            )?;
            (Target::Opus(Box::new(w)), r)
        }
    };
    let mut resamplers: Vec<Resampler> =
        (0..out_ch).map(|_| Resampler::new(rate, enc_rate)).collect();
    let resampling = resamplers.iter().any(|r| !r.is_identity());
    let mut block: Vec<Vec<i16>> = vec![Vec::new(); in_ch];
    let mut folded: Vec<Vec<i16>> = vec![Vec::new(); out_ch];
    let mut resampled: Vec<Vec<i16>> = vec![Vec::new(); out_ch];
    let mut input_frames = 0u64;
    while src.next_block(&mut block)? {
        let n = block[0].len();
        if n == 0 {
            continue;
        }
        input_frames += n as u64;
        let mut chunk: &[Vec<i16>] = &block;
        if in_ch > 2 {
            fold_to_mono(&block, &mut folded[0]);
            chunk = &folded;
        }
        if resampling {
            for ((r, src), dst) in resamplers.iter_mut().zip(chunk).zip(&mut resampled) {
                dst.clear();
                r.process(src, dst);
            }
            let len = resampled.iter().map(Vec::len).min().unwrap_or(0);
            resampled.iter_mut().for_each(|c| c.truncate(len));
            chunk = &resampled;
        }
        enc.write(chunk)?;
        block.iter_mut().for_each(Vec::clear);
    }
    let out = enc.finish()?;
    let summary = Transcoded {
        channels: out_ch as u8,
        sample_rate: if to == DeliveryTarget::Mp3 { mp3_rate(rate) } else { enc_rate },
        input_frames,
        input_rate: rate,
        bytes: out.bytes,
    };
    Ok((out.out, summary))
}

/// [`transcode`] of bytes in memory into a `Vec`.
pub fn transcode_bytes(
    input: &[u8],
    from: AudioFormat,
    to: DeliveryTarget,
) -> Result<(Vec<u8>, Transcoded), TranscodeError> {
    let shared: std::sync::Arc<[u8]> = input.into();
    transcode(|| Ok(io::Cursor::new(shared.clone())), from, to, Vec::new())
}

/// The mean of every channel.
fn fold_to_mono(block: &[Vec<i16>], out: &mut Vec<i16>) {
    out.clear();
    let n = block[0].len();
    let k = block.len() as i32;
    out.extend((0..n).map(|i| {
        let sum: i32 = block.iter().map(|c| i32::from(c.get(i).copied().unwrap_or(0))).sum();
        (sum / k) as i16
    }));
}

/// Decodes everything, counting frames.
fn count_frames(src: &mut dyn Source) -> Result<u64, TranscodeError> {
    let mut block = vec![Vec::new(); src.channels()];
    let mut n = 0u64;
    while src.next_block(&mut block)? {
        n += block[0].len() as u64;
        block.iter_mut().for_each(Vec::clear);
    }
    Ok(n)
}

/// Counts what goes through to the output.
struct Counted<W: Write> {
    out: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The encoder of a [`DeliveryTarget`].
enum Target<W: Write> {
    #[cfg(feature = "mp3")]
    Mp3(crate::render::mp3::Mp3Writer<W>),
    Wav(WavWriter<W>),
    Opus(Box<OggOpusWriter<W>>),
}

impl<W: Write> Target<W> {
    #[cfg(feature = "mp3")]
    fn mp3(out: W, channels: usize, rate: u32) -> Result<Self, TranscodeError> {
        use crate::render::mp3::{Mp3Settings, Mp3Writer};
        let out_rate = mp3_rate(rate);
        let settings = Mp3Settings {
            channels,
            rate,
            kbps: mp3_kbps(channels as u16),
            out_rate: (out_rate != rate).then_some(out_rate),
            independent_stereo: true,
        };
        Ok(Target::Mp3(Mp3Writer::with_settings(out, &settings)?))
    }

    #[cfg(not(feature = "mp3"))]
    fn mp3(_out: W, _channels: usize, _rate: u32) -> Result<Self, TranscodeError> {
        Err(TranscodeError::Encode("MP3 is not built in (cargo feature `mp3`)".into()))
    }

    fn write(&mut self, chunk: &[Vec<i16>]) -> Result<(), TranscodeError> {
        match self {
            #[cfg(feature = "mp3")]
            Target::Mp3(w) => w.write(chunk)?,
            Target::Wav(w) => w.write(chunk)?,
            Target::Opus(w) => w.write(chunk)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<W, TranscodeError> {
        Ok(match self {
            #[cfg(feature = "mp3")]
            Target::Mp3(w) => w.finish()?,
            Target::Wav(w) => w.finish()?,
            Target::Opus(w) => w.finish()?,
        })
    }
}

/// A decoder of one input format, giving planar PCM a block at a time.
pub(crate) trait Source {
    /// 1 or more.
    fn channels(&self) -> usize;
    fn rate(&self) -> u32;
    /// The frame count, when the input states it and reading checks it.
    fn known_frames(&self) -> Option<u64> {
        None
    }
    /// Appends the next block to `out` (one `Vec` per channel, equal
    /// lengths; possibly empty); false at the end of the input.
    fn next_block(&mut self, out: &mut [Vec<i16>]) -> Result<bool, TranscodeError>;
}

/// The decoder of a stored `from` recording (shared with [`crate::peaks`]).
pub(crate) fn open_source<R>(input: R, from: AudioFormat) -> Result<Box<dyn Source>, TranscodeError>
where
    R: Read + Seek + Send + Sync + 'static,
{
    Ok(match from {
        AudioFormat::Wav => Box::new(WavSource::new(input)?),
        AudioFormat::Opus => Box::new(OpusSource::new(input)?),
        AudioFormat::Mp3 => Box::new(SymphoniaSource::new(input, "mp3")?),
        AudioFormat::Flac => Box::new(FlacSource::new(input)?),
    })
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn corrupt(what: impl Into<String>) -> TranscodeError {
    TranscodeError::Corrupt(what.into())
}

/// How a WAV's samples are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WavSamples {
    U8,
    I16,
    I24,
    I32,
    F32,
    Alaw,
    Mulaw,
}

impl WavSamples {
    fn width(self) -> usize {
        match self {
            WavSamples::U8 | WavSamples::Alaw | WavSamples::Mulaw => 1,
            WavSamples::I16 => 2,
            WavSamples::I24 => 3,
            WavSamples::I32 | WavSamples::F32 => 4,
        }
    }

    fn sample(self, b: &[u8]) -> i16 {
        match self {
            WavSamples::U8 => (i16::from(b[0]) - 128) << 8,
            WavSamples::I16 => i16::from_le_bytes([b[0], b[1]]),
            WavSamples::I24 => i16::from_le_bytes([b[1], b[2]]),
            WavSamples::I32 => i16::from_le_bytes([b[2], b[3]]),
            // `as` saturates, and maps NaN to 0.
            WavSamples::F32 => (f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * 32768.0) as i16,
            WavSamples::Alaw => g711::ALAW_DECODE[usize::from(b[0])],
            WavSamples::Mulaw => g711::ULAW_DECODE[usize::from(b[0])],
        }
    }
}

/// RIFF/WAVE input.
struct WavSource<R: Read> {
    r: R,
    samples: WavSamples,
    channels: usize,
    rate: u32,
    /// Data bytes still to read; `None` when the header does not say
    /// (a streamed WAV, read to the end).
    left: Option<u64>,
    buf: Vec<u8>,
}

impl<R: Read> WavSource<R> {
    fn new(mut r: R) -> Result<Self, TranscodeError> {
        let mut head = [0u8; 12];
        if read_full(&mut r, &mut head)? < 12 {
            return Err(corrupt("wav: shorter than a RIFF header"));
        }
        if &head[..4] == b"RF64" {
            return Err(TranscodeError::Unsupported("RF64 WAV".into()));
        }
        if &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
            return Err(corrupt("wav: not a RIFF/WAVE file"));
        }
        let mut fmt: Option<(WavSamples, usize, u32)> = None;
        loop {
            let mut ch = [0u8; 8];
            if read_full(&mut r, &mut ch)? < 8 {
                return Err(corrupt("wav: no data chunk"));
            }
            let len = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
            match &ch[..4] {
                b"fmt " => {
                    if !(16..=MAX_FMT).contains(&len) {
                        return Err(corrupt(format!("wav: fmt chunk of {len} bytes")));
                    }
                    let mut body = vec![0u8; (len + (len & 1)) as usize];
                    if read_full(&mut r, &mut body)? < len as usize {
                        return Err(corrupt("wav: fmt chunk cut short"));
                    }
                    fmt = Some(parse_fmt(&body[..len as usize])?);
                }
                b"data" => {
                    let Some((samples, channels, rate)) = fmt else {
                        return Err(corrupt("wav: data before fmt"));
                    };
                    let left = (len != u32::MAX).then_some(u64::from(len));
                    let block = samples.width() * channels;
                    let cap = WAV_BLOCK / block * block;
                    return Ok(WavSource { r, samples, channels, rate, left, buf: vec![0; cap] });
                }
                _ => {
                    let skip = u64::from(len) + u64::from(len & 1);
                    let skipped = io::copy(&mut (&mut r).take(skip), &mut io::sink())?;
                    if skipped < u64::from(len) {
                        return Err(corrupt("wav: chunk cut short"));
                    }
                }
            }
        }
    }
}

/// (coding, channels, rate) of a `fmt ` chunk.
fn parse_fmt(b: &[u8]) -> Result<(WavSamples, usize, u32), TranscodeError> {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let mut tag = u16_at(0);
    let channels = usize::from(u16_at(2));
    let rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let block = usize::from(u16_at(12));
    let bits = u16_at(14);
    if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: cbSize, valid bits, channel mask, then
        // the sub-format GUID, whose first two bytes are the format tag.
        if b.len() < 40 {
            return Err(corrupt("wav: extensible fmt chunk too short"));
        }
        tag = u16_at(24);
    }
    if channels == 0 || channels > 32 {
        return Err(corrupt(format!("wav: {channels} channels")));
    }
    if rate == 0 || rate > 384_000 {
        return Err(corrupt(format!("wav: sample rate {rate}")));
    }
    let samples = match (tag, bits) {
        (1, 8) => WavSamples::U8,
        (1, 16) => WavSamples::I16,
        (1, 24) => WavSamples::I24,
        (1, 32) => WavSamples::I32,
        (3, 32) => WavSamples::F32,
        (6, 8) => WavSamples::Alaw,
        (7, 8) => WavSamples::Mulaw,
        _ => {
            return Err(TranscodeError::Unsupported(format!(
                "wav format tag {tag} with {bits} bits per sample"
            )));
        }
    };
    if block != samples.width() * channels {
        return Err(corrupt(format!("wav: block align {block} for {channels} channels")));
    }
    Ok((samples, channels, rate))
}

impl<R: Read> Source for WavSource<R> {
    fn channels(&self) -> usize {
        self.channels
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    fn known_frames(&self) -> Option<u64> {
        self.left.map(|l| l / (self.samples.width() * self.channels) as u64)
    }

    fn next_block(&mut self, out: &mut [Vec<i16>]) -> Result<bool, TranscodeError> {
        let frame = self.samples.width() * self.channels;
        let want = match self.left {
            Some(l) => (l / frame as u64).min((self.buf.len() / frame) as u64) as usize * frame,
            None => self.buf.len(),
        };
        if want == 0 {
            return Ok(false);
        }
        let got = read_full(&mut self.r, &mut self.buf[..want])?;
        if let Some(l) = &mut self.left {
            if got < want {
                return Err(corrupt("wav: data chunk cut short"));
            }
            *l -= got as u64;
        }
        let whole = got / frame * frame;
        for f in self.buf[..whole].chunks_exact(frame) {
            for (c, s) in f.chunks_exact(self.samples.width()).enumerate() {
                out[c].push(self.samples.sample(s));
            }
        }
        Ok(got == want)
    }
}

/// Ogg/Opus input (RFC 7845): one logical stream, mapping family 0, or 1
/// with two channels.
struct OpusSource<R: Read + Seek> {
    r: PacketReader<R>,
    serial: u32,
    dec: OpusDecoder,
    channels: usize,
    rate: u32,
    /// 48 kHz samples per sample at `rate`.
    scale: u64,
    pre_skip: u64,
    /// Frames still to drop at the start (the pre-skip at `rate`).
    skip: usize,
    emitted: u64,
    inter: Vec<i16>,
    done: bool,
}

fn ogg_err(e: OggReadError) -> TranscodeError {
    match e {
        OggReadError::ReadError(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
            TranscodeError::Io(e)
        }
        other => corrupt(format!("ogg: {other}")),
    }
}

impl<R: Read + Seek> OpusSource<R> {
    fn new(input: R) -> Result<Self, TranscodeError> {
        let mut r = PacketReader::new(input);
        let head = r.read_packet().map_err(ogg_err)?.ok_or_else(|| corrupt("ogg: empty"))?;
        let h = &head.data;
        if h.len() < 19 || &h[..8] != b"OpusHead" || h[8] & 0xF0 != 0 {
            return Err(corrupt("opus: no OpusHead"));
        }
        let channels = h[9];
        let pre_skip = u64::from(u16::from_le_bytes([h[10], h[11]]));
        let input_rate = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        let family = h[18];
        // Decode at the original rate when Opus can; the header's rate is
        // informative only, 48 kHz always works.
        let rate = if [8000, 12_000, 16_000, 24_000, 48_000].contains(&input_rate) {
            input_rate
        } else {
            48_000
        };
        let dec = match (family, channels) {
            (0, 1 | 2) => OpusDecoder::new(rate, channels),
            (1, 2) if h.get(19..23) == Some(&[2, 0, 0, 1]) => {
                OpusDecoder::new_uncoupled_stereo(rate)
            }
            (1, 2) if h.get(19..23) == Some(&[1, 1, 0, 1]) => OpusDecoder::new(rate, 2),
            (0, _) => return Err(corrupt(format!("opus: {channels} channels in family 0"))),
            _ => {
                return Err(TranscodeError::Unsupported(format!(
                    "opus channel mapping family {family} with {channels} channels"
                )));
            }
        }
        .map_err(|e| corrupt(format!("opus: {e}")))?;
        let tags = r.read_packet().map_err(ogg_err)?.ok_or_else(|| corrupt("opus: no tags"))?;
        if !tags.data.starts_with(b"OpusTags") || tags.stream_serial() != head.stream_serial() {
            return Err(corrupt("opus: no OpusTags"));
        }
        let scale = u64::from(48_000 / rate);
        Ok(OpusSource {
            r,
            serial: head.stream_serial(),
            dec,
            channels: usize::from(channels),
            rate,
            scale,
            pre_skip,
            skip: (pre_skip / scale) as usize,
            emitted: 0,
            inter: Vec::new(),
            done: false,
        })
    }
}

impl<R: Read + Seek> Source for OpusSource<R> {
    fn channels(&self) -> usize {
        self.channels
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    fn next_block(&mut self, out: &mut [Vec<i16>]) -> Result<bool, TranscodeError> {
        if self.done {
            return Ok(false);
        }
        let Some(p) = self.r.read_packet().map_err(ogg_err)? else {
            self.done = true;
            return Ok(false);
        };
        if p.stream_serial() != self.serial {
            return Err(TranscodeError::Unsupported("more than one ogg stream".into()));
        }
        if p.data.is_empty() {
            return Err(corrupt("opus: empty packet"));
        }
        self.inter.clear();
        self.dec.decode(&p.data, &mut self.inter).map_err(|e| corrupt(format!("opus: {e}")))?;
        let n = self.channels;
        let mut frames = &self.inter[..];
        let drop = self.skip.min(frames.len() / n);
        self.skip -= drop;
        frames = &frames[drop * n..];
        let mut count = (frames.len() / n) as u64;
        if p.last_in_stream() {
            // The end trimming: the last granule position says where the
            // audio ends (RFC 7845 §4.4); never pad beyond what was decoded.
            let end = p.absgp_page().saturating_sub(self.pre_skip) / self.scale;
            count = count.min(end.saturating_sub(self.emitted));
            self.done = true;
        }
        for f in frames.chunks_exact(n).take(count as usize) {
            for (c, s) in f.iter().enumerate() {
                out[c].push(*s);
            }
        }
        self.emitted += count;
        Ok(true)
    }
}

/// FLAC input, through `claxon`.
struct FlacSource<R: Read> {
    r: claxon::FlacReader<R>,
    channels: usize,
    rate: u32,
    /// Right shift (positive) or left shift (negative) to 16 bits.
    shift: i32,
    buf: Vec<i32>,
    done: bool,
}

fn flac_err(e: claxon::Error) -> TranscodeError {
    match e {
        claxon::Error::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
            TranscodeError::Io(e)
        }
        claxon::Error::Unsupported(m) => TranscodeError::Unsupported(format!("flac: {m}")),
        other => corrupt(format!("flac: {other}")),
    }
}

impl<R: Read> FlacSource<R> {
    fn new(input: R) -> Result<Self, TranscodeError> {
        let r = claxon::FlacReader::new(input).map_err(flac_err)?;
        let info = r.streaminfo();
        let channels = info.channels as usize;
        if channels == 0 || info.sample_rate == 0 || !(4..=32).contains(&info.bits_per_sample) {
            return Err(corrupt("flac: impossible stream info"));
        }
        Ok(FlacSource {
            r,
            channels,
            rate: info.sample_rate,
            shift: info.bits_per_sample as i32 - 16,
            buf: Vec::new(),
            done: false,
        })
    }
}

impl<R: Read> Source for FlacSource<R> {
    fn channels(&self) -> usize {
        self.channels
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    fn next_block(&mut self, out: &mut [Vec<i16>]) -> Result<bool, TranscodeError> {
        if self.done {
            return Ok(false);
        }
        let buf = std::mem::take(&mut self.buf);
        let Some(block) = self.r.blocks().read_next_or_eof(buf).map_err(flac_err)? else {
            self.done = true;
            return Ok(false);
        };
        if block.channels() as usize != self.channels {
            return Err(corrupt("flac: a frame with another channel count"));
        }
        for (c, o) in out.iter_mut().enumerate() {
            let s = block.channel(c as u32);
            if self.shift >= 0 {
                o.extend(s.iter().map(|&x| (x >> self.shift).clamp(-32768, 32767) as i16));
            } else {
                o.extend(s.iter().map(|&x| (x << -self.shift).clamp(-32768, 32767) as i16));
            }
        }
        self.buf = block.into_buffer();
        Ok(true)
    }
}

/// MP3 input, through `symphonia` (gapless: the encoder delay and padding
/// are trimmed when a LAME tag states them).
struct SymphoniaSource {
    format: Box<dyn FormatReader>,
    dec: Box<dyn SymDecoder>,
    track: u32,
    channels: usize,
    rate: u32,
    buf: Option<SampleBuffer<i16>>,
    good: u64,
    bad: u64,
}

fn sym_err(what: &str, e: SymError) -> TranscodeError {
    match e {
        SymError::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => TranscodeError::Io(e),
        SymError::Unsupported(m) => TranscodeError::Unsupported(format!("{what}: {m}")),
        other => corrupt(format!("{what}: {other}")),
    }
}

impl SymphoniaSource {
    fn new<R: Read + Send + Sync + 'static>(input: R, ext: &str) -> Result<Self, TranscodeError> {
        let mss = MediaSourceStream::new(Box::new(ReadOnlySource::new(input)), Default::default());
        let mut hint = Hint::new();
        hint.with_extension(ext);
        let opts = FormatOptions { enable_gapless: true, ..Default::default() };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &opts, &MetadataOptions::default())
            .map_err(|e| match e {
                SymError::Unsupported(_) => corrupt(format!("not an {ext} stream")),
                e => sym_err(ext, e),
            })?;
        let format = probed.format;
        let track = format.default_track().ok_or_else(|| corrupt(format!("{ext}: no audio")))?;
        let params = track.codec_params.clone();
        let channels = params.channels.map_or(0, |c| c.count());
        let rate = params.sample_rate.unwrap_or(0);
        if channels == 0 || rate == 0 || rate > 384_000 {
            return Err(corrupt(format!("{ext}: no channel count or sample rate")));
        }
        let dec = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| sym_err(ext, e))?;
        Ok(SymphoniaSource {
            track: track.id,
            format,
            dec,
            channels,
            rate,
            buf: None,
            good: 0,
            bad: 0,
        })
    }
}

impl Source for SymphoniaSource {
    fn channels(&self) -> usize {
        self.channels
    }

    fn rate(&self) -> u32 {
        self.rate
    }

    fn next_block(&mut self, out: &mut [Vec<i16>]) -> Result<bool, TranscodeError> {
        let packet = match self.format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                if self.good == 0 && self.bad > 0 {
                    return Err(corrupt("no frame could be decoded"));
                }
                return Ok(false);
            }
            Err(SymError::ResetRequired) => {
                return Err(TranscodeError::Unsupported("the stream changes format".into()));
            }
            Err(e) => return Err(sym_err("reading", e)),
        };
        if packet.track_id() != self.track {
            return Ok(true);
        }
        let decoded = match self.dec.decode(&packet) {
            Ok(d) => d,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                // A damaged frame is skipped, as players do; many of them
                // mean the input is not what it claims to be.
                self.bad += 1;
                if self.bad > 8 + self.good / 10 {
                    return Err(corrupt(format!("{} damaged frames", self.bad)));
                }
                return Ok(true);
            }
            Err(e) => return Err(sym_err("decoding", e)),
        };
        let spec = *decoded.spec();
        if spec.channels.count() != self.channels || spec.rate != self.rate {
            return Err(TranscodeError::Unsupported(
                "channel count or sample rate changes mid-stream".into(),
            ));
        }
        let frames = decoded.frames();
        if frames == 0 {
            return Ok(true);
        }
        self.good += 1;
        let cap = decoded.capacity() as u64;
        let buf = match &mut self.buf {
            Some(b) if b.capacity() >= decoded.capacity() * self.channels => b,
            slot => slot.insert(SampleBuffer::new(cap, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        for f in buf.samples().chunks_exact(self.channels) {
            for (c, s) in f.iter().enumerate() {
                out[c].push(*s);
            }
        }
        Ok(true)
    }
}
