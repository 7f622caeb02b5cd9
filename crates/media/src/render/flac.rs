//! FLAC through `flacenc` (pure Rust), a 4096-sample frame at a time.
//!
//! Not fully streamed: the STREAMINFO block at the head of the file
//! carries the smallest and largest frame size and the MD5 of all samples,
//! known only after the last frame, and a [`Write`] cannot go back. The
//! encoded frames are therefore held until [`FlacWriter::finish`] (about
//! half the size of the PCM for speech); the samples themselves are not.
use std::io::Write;

use flacenc::component::{BitRepr, Stream};
use flacenc::config;
use flacenc::error::{Verified, Verify};
use flacenc::source::{Context, Fill, FrameBuf};

use super::RenderError;

/// Samples per channel in a FLAC frame.
const BLOCK: usize = 4096;

fn flac_err(e: impl std::fmt::Debug) -> RenderError {
    RenderError::Flac(format!("{e:?}"))
}

/// A FLAC file encoded as samples come (see the module docs for what is
/// held).
pub struct FlacWriter<W: Write> {
    out: W,
    config: Verified<config::Encoder>,
    /// STREAMINFO, updated frame by frame; holds no frames itself.
    stream: Stream,
    fb: FrameBuf,
    ctx: Context,
    channels: usize,
    /// Interleaved samples of the frame being filled.
    pending: Vec<i32>,
    /// Encoded frames, each in its own buffer (no doubling on growth).
    frames: Vec<Vec<u8>>,
}

impl<W: Write> FlacWriter<W> {
    /// A 16-bit FLAC stream of `channels` channels (1 to 8) at `rate`.
    pub fn new(out: W, channels: usize, rate: u32) -> Result<Self, RenderError> {
        let n = channels.max(1);
        let config = config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| RenderError::Flac(e.to_string()))?;
        let mut stream = Stream::new(rate as usize, n, 16).map_err(flac_err)?;
        // As flacenc's own encoder: the block size is the largest and the
        // smallest even when a single short frame is all there is.
        stream.stream_info_mut().set_block_sizes(BLOCK, BLOCK).map_err(flac_err)?;
        Ok(FlacWriter {
            out,
            config,
            stream,
            fb: FrameBuf::with_size(n, BLOCK).map_err(flac_err)?,
            ctx: Context::new(16, n),
            channels: n,
            pending: Vec::with_capacity(BLOCK * n),
            frames: Vec::new(),
        })
    }

    /// Takes the next samples of each channel (equal lengths; a missing
    /// channel is silent).
    pub fn write(&mut self, chunk: &[Vec<i16>]) -> Result<(), RenderError> {
        let len = chunk.first().map_or(0, Vec::len);
        for i in 0..len {
            for c in 0..self.channels {
                let s = chunk.get(c).and_then(|v| v.get(i)).copied().unwrap_or(0);
                self.pending.push(i32::from(s));
            }
            if self.pending.len() == BLOCK * self.channels {
                self.frame()?;
            }
        }
        Ok(())
    }

    fn frame(&mut self) -> Result<(), RenderError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut fill = (&mut self.fb, &mut self.ctx);
        fill.fill_interleaved(&self.pending).map_err(flac_err)?;
        self.pending.clear();
        let number = self.ctx.current_frame_number().unwrap_or(0);
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.fb,
            number,
            self.stream.stream_info(),
        )
        .map_err(flac_err)?;
        self.stream.stream_info_mut().update_frame_info(&frame);
        let mut sink = flacenc::bitsink::ByteSink::new();
        frame.write(&mut sink).map_err(flac_err)?;
        self.frames.push(sink.as_slice().to_vec());
        Ok(())
    }

    /// Encodes the last, shorter frame, writes the file and returns the
    /// writer.
    pub fn finish(mut self) -> Result<W, RenderError> {
        self.frame()?;
        let info = self.stream.stream_info_mut();
        info.set_md5_digest(&self.ctx.md5_digest());
        info.set_total_samples(self.ctx.total_samples());
        // The stream without frames is the file's head: "fLaC", STREAMINFO.
        let mut head = flacenc::bitsink::ByteSink::new();
        self.stream.write(&mut head).map_err(flac_err)?;
        self.out.write_all(head.as_slice())?;
        for f in &self.frames {
            self.out.write_all(f)?;
        }
        Ok(self.out)
    }
}

/// Encodes equal-length channels into a FLAC file in memory.
pub fn encode(channels: &[Vec<i16>], rate: u32) -> Result<Vec<u8>, RenderError> {
    let mut w = FlacWriter::new(Vec::new(), channels.len(), rate)?;
    w.write(channels)?;
    w.finish()
}
