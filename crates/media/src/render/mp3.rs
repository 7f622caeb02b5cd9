//! MP3 through LAME (`mp3lame-encoder`, bundled C built with `cc`).
use std::io::Write;

use mp3lame_encoder::{
    Bitrate, Builder, Encoder, FlushGap, InterleavedPcm, Mode, MonoPcm, Quality,
};

use super::RenderError;

fn bitrate(kbps: u32) -> Bitrate {
    match kbps {
        0..=11 => Bitrate::Kbps8,
        12..=19 => Bitrate::Kbps16,
        20..=27 => Bitrate::Kbps24,
        28..=35 => Bitrate::Kbps32,
        36..=43 => Bitrate::Kbps40,
        44..=55 => Bitrate::Kbps48,
        56..=71 => Bitrate::Kbps64,
        _ => Bitrate::Kbps80,
    }
}

fn mp3_err(x: impl std::fmt::Debug) -> RenderError {
    RenderError::Mp3(format!("{x:?}"))
}

/// What an [`Mp3Writer`] makes, beyond [`Mp3Writer::new`]'s choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp3Settings {
    /// 1 or 2.
    pub channels: usize,
    /// The rate of the samples given to [`Mp3Writer::write`].
    pub rate: u32,
    /// Constant bitrate, all channels together (rounded to an MP3 rate).
    pub kbps: u32,
    /// The MP3's own rate when it differs from `rate`: LAME resamples
    /// (with its low-pass filter).
    pub out_rate: Option<u32>,
    /// Code two channels as two independent ones (MP3 "stereo"), never as
    /// mid/side (LAME's default joint stereo): the parties of a call on
    /// separate channels stay separate, quantisation noise included.
    pub independent_stereo: bool,
}

/// Samples per channel handed to LAME at a time.
const CHUNK: usize = 8192;

/// An MP3 file encoded as samples come.
///
/// Not fully streamed: LAME reserves the first frame for its Xing/LAME tag
/// (frame count, seek table, encoder delay and end padding, which
/// gapless-aware players such as ffmpeg and browsers use to play exactly
/// the conversation's span), and fills it in only after the last frame; a
/// [`Write`] cannot go back. The encoded frames are therefore held until
/// [`Mp3Writer::finish`] (`kbps` / 8 KB per second, 14 MB per hour at
/// 32 kbit/s); the samples themselves are not.
pub struct Mp3Writer<W: Write> {
    out: W,
    enc: Encoder,
    channels: usize,
    /// Samples of the chunk being filled (interleaved when stereo).
    pending: Vec<i16>,
    /// Encoded output, a buffer per chunk (no doubling on growth).
    encoded: Vec<Vec<u8>>,
}

impl<W: Write> Mp3Writer<W> {
    /// An MP3 stream of `channels` channels (1 or 2) at `rate`.
    pub fn new(out: W, channels: usize, rate: u32, kbps: u32) -> Result<Self, RenderError> {
        Self::with_settings(
            out,
            &Mp3Settings { channels, rate, kbps, out_rate: None, independent_stereo: false },
        )
    }

    /// An MP3 stream as `s` says.
    pub fn with_settings(out: W, s: &Mp3Settings) -> Result<Self, RenderError> {
        let n = s.channels.clamp(1, 2);
        let mut b = Builder::new().ok_or_else(|| RenderError::Mp3("lame init failed".into()))?;
        b.set_num_channels(n as u8).map_err(mp3_err)?;
        b.set_sample_rate(s.rate).map_err(mp3_err)?;
        if let Some(rate) = s.out_rate.and_then(std::num::NonZeroU32::new) {
            b.set_output_sample_rate(Some(rate)).map_err(mp3_err)?;
        }
        if n == 2 && s.independent_stereo {
            b.set_mode(Mode::Stereo).map_err(mp3_err)?;
        }
        b.set_brate(bitrate(s.kbps)).map_err(mp3_err)?;
        b.set_quality(Quality::Good).map_err(mp3_err)?;
        let enc = b.build().map_err(mp3_err)?;
        Ok(Mp3Writer {
            out,
            enc,
            channels: n,
            pending: Vec::with_capacity(CHUNK * n),
            encoded: Vec::new(),
        })
    }

    /// Takes the next samples of each channel (equal lengths; a missing
    /// channel is silent).
    pub fn write(&mut self, chunk: &[Vec<i16>]) -> Result<(), RenderError> {
        let len = chunk.first().map_or(0, Vec::len);
        let mut at = 0;
        while at < len {
            let take = (CHUNK - self.pending.len() / self.channels).min(len - at);
            let left = chunk.first().map_or(&[][..], |v| &v[at..at + take]);
            if self.channels == 1 {
                self.pending.extend_from_slice(left);
            } else {
                let right = chunk.get(1).and_then(|v| v.get(at..at + take));
                for (i, &l) in left.iter().enumerate() {
                    self.pending.push(l);
                    self.pending.push(right.map_or(0, |r| r[i]));
                }
            }
            at += take;
            if self.pending.len() == CHUNK * self.channels {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Feeds the pending samples to LAME: chunks of [`CHUNK`] samples, as
    /// the whole-buffer encoder did, so the frames come out the same.
    fn encode_pending(&mut self) -> Result<(), RenderError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let frames = self.pending.len() / self.channels;
        let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(frames));
        if self.channels == 1 {
            self.enc.encode_to_vec(MonoPcm(&self.pending), &mut out).map_err(mp3_err)?;
        } else {
            self.enc.encode_to_vec(InterleavedPcm(&self.pending), &mut out).map_err(mp3_err)?;
        }
        self.pending.clear();
        out.shrink_to_fit();
        self.encoded.push(out);
        Ok(())
    }

    /// Encodes what is pending, flushes LAME, fills in the tag frame, writes
    /// the file and returns the writer.
    pub fn finish(mut self) -> Result<W, RenderError> {
        self.encode_pending()?;
        let mut last = Vec::with_capacity(7200);
        self.enc.flush_to_vec::<FlushGap>(&mut last).map_err(mp3_err)?;
        self.encoded.push(last);
        let mut tag = Vec::with_capacity(self.enc.lame_tag_size());
        let total: usize = self.encoded.iter().map(Vec::len).sum();
        if self.enc.lame_tag_encode_to_vec(&mut tag).is_some() && total >= tag.len() {
            // The tag frame's place: the first bytes LAME put out, which
            // may span chunks.
            let mut rest = &tag[..];
            for chunk in &mut self.encoded {
                let n = rest.len().min(chunk.len());
                chunk[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
            }
        }
        for chunk in &self.encoded {
            self.out.write_all(chunk)?;
        }
        Ok(self.out)
    }
}

/// Encodes equal-length channels (1 or 2) into an MP3 file in memory.
pub fn encode(channels: &[Vec<i16>], rate: u32, kbps: u32) -> Result<Vec<u8>, RenderError> {
    let mut w = Mp3Writer::new(Vec::new(), channels.len(), rate, kbps)?;
    w.write(channels)?;
    w.finish()
}
