//! Rendering a [`ClosedTimeline`] to a file: mix, then encode.
//!
//! Rendering is CPU work measured in milliseconds to seconds: run it on a
//! [`RenderPool`] thread (or another dedicated thread), never on an async
//! task. It may run long after the call ended: it only needs the spool.
pub mod flac;
#[cfg(feature = "mp3")]
pub mod mp3;
pub mod ogg_opus;
mod pool;
#[cfg(test)]
mod tests;
pub mod wav;

use callvault_model::{AudioFormat, ParticipantId, Side};

pub use pool::{RenderHandle, RenderPool};

use crate::spool::Record;
use crate::timeline::{ClosedTimeline, for_each_record};

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
    #[error("recording too long to render in memory ({0} samples)")]
    TooLong(u64),
    #[error("render worker stopped")]
    WorkerGone,
}

/// Longest recording rendered (per channel): 24 h at 16 kHz.
const MAX_SAMPLES: u64 = 24 * 3600 * 16_000;

/// Places every audio record of the spool on `channels` buffers; `route`
/// says which channels a stream goes to. Overlapping voices are summed with
/// saturation.
pub fn mix(
    tl: &ClosedTimeline,
    channels: usize,
    route: impl Fn(u16) -> &'static [usize],
) -> Result<Vec<Vec<i16>>, RenderError> {
    let len = tl.len_samples();
    if len > MAX_SAMPLES {
        return Err(RenderError::TooLong(len));
    }
    let mut out = vec![vec![0i16; len as usize]; channels];
    let scan = for_each_record(&tl.spool_path, |rec| match rec {
        Record::Audio { stream, start, pcm } => {
            let Some(off) = start.checked_sub(tl.start_sample) else { return };
            for &ch in route(stream) {
                let Some(buf) = out.get_mut(ch) else { continue };
                let dst = buf.iter_mut().skip(off as usize);
                for (d, s) in dst.zip(pcm.chunks_exact(2)) {
                    *d = d.saturating_add(i16::from_le_bytes([s[0], s[1]]));
                }
            }
        }
        // Spooled as it came (one byte a sample at the 8 kHz timeline).
        Record::G711 { stream, start, law, payload } => {
            let Some(off) = start.checked_sub(tl.start_sample) else { return };
            let table = law.table();
            for &ch in route(stream) {
                let Some(buf) = out.get_mut(ch) else { continue };
                let dst = buf.iter_mut().skip(off as usize);
                for (d, &b) in dst.zip(payload) {
                    *d = d.saturating_add(table[usize::from(b)]);
                }
            }
        }
        _ => {}
    })?;
    // A spool that changed since the timeline was built is read to the same
    // valid prefix: later records are ignored by the bounds above.
    let _ = scan;
    Ok(out)
}

fn encode(
    tl: &ClosedTimeline,
    channels: &[Vec<i16>],
    format: OutputFormat,
) -> Result<RenderedFile, RenderError> {
    let rate = tl.sample_rate;
    let n = channels.len();
    let bytes = match format {
        OutputFormat::Opus { bitrate_per_channel, complexity } => {
            ogg_opus::encode(channels, rate, bitrate_per_channel * n as u32, complexity)?
        }
        OutputFormat::WavPcm16 => wav::encode(channels, rate, wav::WavCodec::Pcm16),
        OutputFormat::WavPcmu => wav::encode(channels, rate, wav::WavCodec::Mulaw),
        OutputFormat::WavPcma => wav::encode(channels, rate, wav::WavCodec::Alaw),
        OutputFormat::Flac => flac::encode(channels, rate)?,
        #[cfg(feature = "mp3")]
        OutputFormat::Mp3 { kbps } => mp3::encode(channels, rate, kbps)?,
        #[cfg(not(feature = "mp3"))]
        OutputFormat::Mp3 { .. } => return Err(RenderError::Unsupported(format)),
    };
    Ok(RenderedFile {
        bytes,
        format: format.audio_format(),
        channels: n as u8,
        sample_rate: rate,
        duration_ms: tl.duration_ms(),
        cut_by_crash: tl.cut_by_crash,
    })
}

/// Renders the conversation as one file (stereo by default).
pub fn render(tl: &ClosedTimeline, options: &RenderOptions) -> Result<RenderedFile, RenderError> {
    let channels = match options.layout {
        Layout::Stereo => mix(tl, 2, |s| match tl.side_of(s) {
            Side::External => &[0],
            Side::Company => &[1],
            Side::Unknown => &[0, 1],
        })?,
        Layout::Mono => mix(tl, 1, |_| &[0])?,
    };
    encode(tl, &channels, options.format)
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
        let ch = mix(tl, 1, |s| if tl.participant_of(s) == Some(p) { &[0] } else { &[] })?;
        out.push((p, encode(tl, &ch, format)?));
    }
    Ok(out)
}
