//! MP3 through LAME (`mp3lame-encoder`, bundled C built with `cc`).
use mp3lame_encoder::{Bitrate, Builder, FlushGap, InterleavedPcm, MonoPcm, Quality};

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

pub fn encode(channels: &[Vec<i16>], rate: u32, kbps: u32) -> Result<Vec<u8>, RenderError> {
    let e = |x: &dyn std::fmt::Debug| RenderError::Mp3(format!("{x:?}"));
    let n = channels.len().clamp(1, 2);
    let mut b = Builder::new().ok_or_else(|| RenderError::Mp3("lame init failed".into()))?;
    b.set_num_channels(n as u8).map_err(|x| e(&x))?;
    b.set_sample_rate(rate).map_err(|x| e(&x))?;
    b.set_brate(bitrate(kbps)).map_err(|x| e(&x))?;
    b.set_quality(Quality::Good).map_err(|x| e(&x))?;
    let mut enc = b.build().map_err(|x| e(&x))?;
    let frames = channels.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(frames / 4 + 8192);
    const CHUNK: usize = 8192;
    let mut buf = Vec::with_capacity(CHUNK * 2);
    let mut i = 0;
    while i < frames {
        let end = (i + CHUNK).min(frames);
        let need = mp3lame_encoder::max_required_buffer_size(end - i);
        out.reserve(need);
        if n == 1 {
            enc.encode_to_vec(MonoPcm(&channels[0][i..end]), &mut out).map_err(|x| e(&x))?;
        } else {
            buf.clear();
            for (l, r) in channels[0][i..end].iter().zip(&channels[1][i..end]) {
                buf.push(*l);
                buf.push(*r);
            }
            enc.encode_to_vec(InterleavedPcm(&buf), &mut out).map_err(|x| e(&x))?;
        }
        i = end;
    }
    out.reserve(7200);
    enc.flush_to_vec::<FlushGap>(&mut out).map_err(|x| e(&x))?;
    // LAME reserved the first frame for its Xing/LAME tag; fill it in now
    // (the whole file is in memory). It carries the encoder delay and end
    // padding, so gapless-aware players (ffmpeg, browsers) play exactly the
    // conversation's span.
    let mut tag = Vec::with_capacity(enc.lame_tag_size());
    if enc.lame_tag_encode_to_vec(&mut tag).is_some()
        && let Some(head) = out.get_mut(..tag.len())
    {
        head.copy_from_slice(&tag);
    }
    Ok(out)
}
