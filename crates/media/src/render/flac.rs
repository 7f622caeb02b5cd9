//! FLAC through `flacenc` (pure Rust).
use flacenc::component::BitRepr;
use flacenc::error::Verify;

use super::RenderError;

pub fn encode(channels: &[Vec<i16>], rate: u32) -> Result<Vec<u8>, RenderError> {
    let n = channels.len().max(1);
    let frames = channels.first().map_or(0, Vec::len);
    let mut interleaved = Vec::with_capacity(frames * n);
    for i in 0..frames {
        for ch in channels {
            interleaved.push(i32::from(ch.get(i).copied().unwrap_or(0)));
        }
    }
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| RenderError::Flac(e.to_string()))?;
    let source = flacenc::source::MemSource::from_samples(&interleaved, n, 16, rate as usize);
    let stream = flacenc::encode_with_fixed_block_size(&config, source, 4096)
        .map_err(|e| RenderError::Flac(format!("{e:?}")))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).map_err(|e| RenderError::Flac(format!("{e:?}")))?;
    Ok(sink.as_slice().to_vec())
}
