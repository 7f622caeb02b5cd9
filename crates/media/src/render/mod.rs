//! Rendering a [`ClosedTimeline`] to a file: mix a window, encode it,
//! write it, next window.
//!
//! [`render_to`] streams into any [`Write`] (the vault's staging file): the
//! spool is mixed a few seconds at a time ([`mix_windows`]) and each
//! window goes straight to an incremental encoder, so memory does not grow
//! with the call's length, except for FLAC and MP3, whose headers need the
//! whole encoded stream and which therefore hold their encoded frames (not
//! the samples) until the end (see [`flac`], [`mp3`]). [`render`] is
//! [`render_to`] into a `Vec`.
//!
//! Rendering is CPU work measured in milliseconds to seconds: run it on a
//! [`RenderPool`] thread (or another dedicated thread), never on an async
//! task. It may run long after the call ended: it only needs the spool.
pub mod flac;
mod mix;
#[cfg(feature = "mp3")]
pub mod mp3;
pub mod ogg_opus;
mod pool;
#[cfg(test)]
mod tests;
pub mod wav;

use std::io::Write;

use callvault_model::{AudioFormat, ParticipantId, Side};

pub use mix::{WINDOW, mix_windows};
pub use pool::{RenderHandle, RenderPool};

use crate::timeline::ClosedTimeline;

/// How voices map to channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Left = external side, right = company side; unknown side on both.
    #[default]
    Stereo,
    /// Everyone mixed into one channel.
    Mono,
}

/// Container and codec of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Ogg/Opus (RFC 7845) at the timeline rate, VOIP mode, 60 ms packets;
    /// stereo as two uncoupled mono streams, each side's silence skipped.
    Opus {
        /// Bits/s per channel.
        bitrate_per_channel: u32,
        /// 0..=10; 0 is fast and ample for 8 kHz telephony.
        complexity: u8,
    },
    WavPcm16,
    /// WAV with µ-law samples (format tag 7).
    WavPcmu,
    /// WAV with A-law samples (format tag 6).
    WavPcma,
    Flac,
    /// MP3 via LAME (cargo feature `mp3`, on by default).
    Mp3 {
        kbps: u32,
    },
}

impl Default for OutputFormat {
    fn default() -> Self {
        OutputFormat::Opus { bitrate_per_channel: 10_000, complexity: 0 }
    }
}

impl OutputFormat {
    /// The model's format family.
    pub fn audio_format(self) -> AudioFormat {
        match self {
            OutputFormat::Opus { .. } => AudioFormat::Opus,
            OutputFormat::WavPcm16 | OutputFormat::WavPcmu | OutputFormat::WavPcma => {
                AudioFormat::Wav
            }
            OutputFormat::Flac => AudioFormat::Flac,
            OutputFormat::Mp3 { .. } => AudioFormat::Mp3,
        }
    }
}

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    pub format: OutputFormat,
    pub layout: Layout,
}

/// A rendered recording, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub bytes: Vec<u8>,
    pub format: AudioFormat,
    pub channels: u8,
    pub sample_rate: u32,
    pub duration_ms: u64,
    /// True when the recording was cut by a crash of the recorder.
    pub cut_by_crash: bool,
}

/// What [`render_to`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderSummary {
    pub format: AudioFormat,
    pub channels: u8,
    pub sample_rate: u32,
    pub duration_ms: u64,
    /// True when the recording was cut by a crash of the recorder.
    pub cut_by_crash: bool,
    /// Bytes written to the output.
    pub bytes: u64,
}

impl RenderSummary {
    /// The in-memory file of this summary.
    fn into_file(self, bytes: Vec<u8>) -> RenderedFile {
        RenderedFile {
            bytes,
            format: self.format,
            channels: self.channels,
            sample_rate: self.sample_rate,
            duration_ms: self.duration_ms,
            cut_by_crash: self.cut_by_crash,
        }
    }
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("spool i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("opus: {0}")]
    Opus(#[from] crate::codec::opus::OpusError),
    #[error("flac: {0}")]
    Flac(String),
    #[error("mp3: {0}")]
    Mp3(String),
    #[error("format {0:?} is not built in (enable the cargo feature)")]
    Unsupported(OutputFormat),
    #[error("recording too long to render ({0} samples)")]
    TooLong(u64),
    #[error("render worker stopped")]
    WorkerGone,
}

/// The whole recording as `channels` buffers (see [`mix_windows`] for
/// `route`). Holds every sample: for tests and tools, not for rendering.
pub fn mix(
    tl: &ClosedTimeline,
    channels: usize,
    route: impl Fn(u16) -> &'static [usize],
) -> Result<Vec<Vec<i16>>, RenderError> {
    let mut out = vec![Vec::new(); channels];
    mix_windows(tl, channels, route, |w| {
        for (o, w) in out.iter_mut().zip(w) {
            o.extend_from_slice(w);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Counts what goes through to the output.
struct Counted<'a, W: Write> {
    out: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// One of the incremental encoders.
enum Encoder<W: Write> {
    Opus(ogg_opus::OggOpusWriter<W>),
    Wav(wav::WavWriter<W>),
    Flac(Box<flac::FlacWriter<W>>),
    #[cfg(feature = "mp3")]
    Mp3(mp3::Mp3Writer<W>),
}

impl<W: Write> Encoder<W> {
    fn new(
        out: W,
        format: OutputFormat,
        channels: usize,
        rate: u32,
        frames: u64,
    ) -> Result<Self, RenderError> {
        Ok(match format {
            OutputFormat::Opus { bitrate_per_channel, complexity } => {
                Encoder::Opus(ogg_opus::OggOpusWriter::new(
                    out,
                    channels,
                    rate,
                    bitrate_per_channel * channels as u32,
                    complexity,
                    frames,
                )?)
            }
            OutputFormat::WavPcm16 => Encoder::Wav(wav::WavWriter::new(
                out,
                channels,
                rate,
                wav::WavCodec::Pcm16,
                frames,
            )?),
            OutputFormat::WavPcmu => Encoder::Wav(wav::WavWriter::new(
                out,
                channels,
                rate,
                wav::WavCodec::Mulaw,
                frames,
            )?),
            OutputFormat::WavPcma => {
                Encoder::Wav(wav::WavWriter::new(out, channels, rate, wav::WavCodec::Alaw, frames)?)
            }
            OutputFormat::Flac => {
                Encoder::Flac(Box::new(flac::FlacWriter::new(out, channels, rate)?))
            }
            #[cfg(feature = "mp3")]
            OutputFormat::Mp3 { kbps } => {
                Encoder::Mp3(mp3::Mp3Writer::new(out, channels, rate, kbps)?)
            }
            #[cfg(not(feature = "mp3"))]
            OutputFormat::Mp3 { .. } => return Err(RenderError::Unsupported(format)),
        })
    }

    fn write(&mut self, window: &[Vec<i16>]) -> Result<(), RenderError> {
        match self {
            Encoder::Opus(e) => e.write(window),
            Encoder::Wav(e) => e.write(window),
            Encoder::Flac(e) => e.write(window),
            #[cfg(feature = "mp3")]
            Encoder::Mp3(e) => e.write(window),
        }
    }

    fn finish(self) -> Result<W, RenderError> {
        match self {
            Encoder::Opus(e) => e.finish(),
            Encoder::Wav(e) => e.finish(),
            Encoder::Flac(e) => (*e).finish(),
            #[cfg(feature = "mp3")]
            Encoder::Mp3(e) => e.finish(),
        }
    }
}

/// Mixes `channels` channels routed by `route` and encodes them into `out`
/// window by window.
fn render_routed<W: Write>(
    tl: &ClosedTimeline,
    format: OutputFormat,
    channels: usize,
    route: impl Fn(u16) -> &'static [usize],
    out: &mut W,
) -> Result<RenderSummary, RenderError> {
    let out = Counted { out, bytes: 0 };
    let mut enc = Encoder::new(out, format, channels, tl.sample_rate, tl.len_samples())?;
    mix_windows(tl, channels, route, |window| enc.write(window))?;
    let out = enc.finish()?;
    Ok(RenderSummary {
        format: format.audio_format(),
        channels: channels as u8,
        sample_rate: tl.sample_rate,
        duration_ms: tl.duration_ms(),
        cut_by_crash: tl.cut_by_crash,
        bytes: out.bytes,
    })
}

/// Renders the conversation as one file (stereo by default) into `out`,
/// as it is mixed and encoded (see the module docs for what is held).
/// On error, `out` holds a partial file.
pub fn render_to<W: Write>(
    tl: &ClosedTimeline,
    options: &RenderOptions,
    out: &mut W,
) -> Result<RenderSummary, RenderError> {
    match options.layout {
        Layout::Stereo => render_routed(
            tl,
            options.format,
            2,
            |s| match tl.side_of(s) {
                Side::External => &[0],
                Side::Company => &[1],
                Side::Unknown => &[0, 1],
            },
            out,
        ),
        Layout::Mono => render_routed(tl, options.format, 1, |_| &[0], out),
    }
}

/// Renders the conversation as one file (stereo by default) in memory:
/// [`render_to`] into a `Vec`.
pub fn render(tl: &ClosedTimeline, options: &RenderOptions) -> Result<RenderedFile, RenderError> {
    let channels = match options.layout {
        Layout::Stereo => 2,
        Layout::Mono => 1,
    };
    let mut bytes = Vec::with_capacity(size_hint(options.format, channels, tl.len_samples()));
    let summary = render_to(tl, options, &mut bytes)?;
    Ok(summary.into_file(bytes))
}

/// About the size of a rendered file (exact for WAV), so that rendering
/// into memory does not grow the buffer by doubling.
fn size_hint(format: OutputFormat, channels: usize, frames: u64) -> usize {
    let samples = frames.saturating_mul(channels as u64).min(isize::MAX as u64 / 4) as usize;
    match format {
        OutputFormat::WavPcm16 => samples * 2 + 44,
        OutputFormat::WavPcmu | OutputFormat::WavPcma => samples + 59,
        OutputFormat::Opus { .. } => frames as usize / 4 + 4096,
        OutputFormat::Flac | OutputFormat::Mp3 { .. } => 0,
    }
}

/// Renders one mono file per participant (per-participant tracks), each
/// spanning the whole conversation so that they line up.
pub fn render_tracks(
    tl: &ClosedTimeline,
    format: OutputFormat,
) -> Result<Vec<(ParticipantId, RenderedFile)>, RenderError> {
    let mut people: Vec<ParticipantId> = Vec::new();
    for s in &tl.streams {
        if !people.contains(&s.participant) {
            people.push(s.participant);
        }
    }
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let mut bytes = Vec::with_capacity(size_hint(format, 1, tl.len_samples()));
        let route = |s| if tl.participant_of(s) == Some(p) { &[0][..] } else { &[] };
        let summary = render_routed(tl, format, 1, route, &mut bytes)?;
        out.push((p, summary.into_file(bytes)));
    }
    Ok(out)
}
