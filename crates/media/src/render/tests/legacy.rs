//! The whole-buffer renderer as it was before rendering streamed (commit
//! 2a4dd12), kept verbatim (but for paths) as the reference the streaming
//! renderer must match byte for byte. Test-only.
#![allow(clippy::all)]

use callvault_model::{ParticipantId, Side};

use crate::render::{Layout, OutputFormat, RenderError, RenderOptions, RenderedFile};
use crate::spool::Record;
use crate::timeline::{ClosedTimeline, for_each_record};

const MAX_SAMPLES: u64 = 24 * 3600 * 16_000;

pub(super) fn mix(
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

pub(super) fn render(
    tl: &ClosedTimeline,
    options: &RenderOptions,
) -> Result<RenderedFile, RenderError> {
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

pub(super) fn render_tracks(
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

mod wav {
    use crate::codec::g711;
    pub use crate::render::wav::WavCodec;
    pub fn encode(channels: &[Vec<i16>], rate: u32, codec: WavCodec) -> Vec<u8> {
        let n = channels.len().max(1) as u16;
        let frames = channels.first().map_or(0, Vec::len);
        let (tag, bits): (u16, u16) = match codec {
            WavCodec::Pcm16 => (1, 16),
            WavCodec::Mulaw => (7, 8),
            WavCodec::Alaw => (6, 8),
        };
        let block = n * bits / 8;
        let data_len = (frames * usize::from(block)) as u32;
        let non_pcm = codec != WavCodec::Pcm16;
        let fmt_len: u32 = if non_pcm { 18 } else { 16 };
        let fact_len: u32 = if non_pcm { 12 } else { 0 };
        let mut out = Vec::with_capacity(data_len as usize + 64);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(4 + 8 + fmt_len + fact_len + 8 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&fmt_len.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        if non_pcm {
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(b"fact");
            out.extend_from_slice(&4u32.to_le_bytes());
            out.extend_from_slice(&(frames as u32).to_le_bytes());
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for i in 0..frames {
            for ch in channels {
                let s = ch.get(i).copied().unwrap_or(0);
                match codec {
                    WavCodec::Pcm16 => out.extend_from_slice(&s.to_le_bytes()),
                    WavCodec::Mulaw => out.push(g711::linear_to_ulaw(s)),
                    WavCodec::Alaw => out.push(g711::linear_to_alaw(s)),
                }
            }
        }
        if data_len % 2 == 1 {
            out.push(0);
        }
        out
    }
}

mod flac {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;

    use crate::render::RenderError;

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
}

#[cfg(feature = "mp3")]
mod mp3 {
    use mp3lame_encoder::{Bitrate, Builder, FlushGap, InterleavedPcm, MonoPcm, Quality};

    use crate::render::RenderError;

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
}

mod ogg_opus {
    use ogg::{PacketWriteEndInfo, PacketWriter};

    use crate::codec::opus::{OpusEncoder, OpusEncoderConfig, OpusError, self_delimit};
    use crate::render::RenderError;

    const SERIAL: u32 = 0x6361_6c6c; // "call"
    const VENDOR: &str = "callvault (libopus 1.3 via unsafe-libopus)";
    /// Packet duration. 60 ms packets (three SILK frames) cost ~15 % fewer bytes
    /// than 20 ms for the same quality (measured: 76 vs 90 KB per stereo minute at
    /// 2×10 kbit/s, correlation unchanged); latency is irrelevant for a file.
    const FRAME_MS: usize = 60;

    /// A frame whose samples all stay within ±this is silence (-54 dBFS; the
    /// A-law idle pattern decodes to ±8).
    const SILENCE_LEVEL: i16 = 64;

    /// One mono Opus stream with silence skipping: after a frame of silence has
    /// been coded normally (flushing the encoder's lookahead), further silent
    /// frames are not encoded at all but replaced by a canned packet of coded
    /// silence; the encoder is reset before the next sound, so that frame is
    /// coded independently. Silence then costs neither CPU nor more than a few
    /// bytes.
    struct Channel {
        enc: OpusEncoder,
        prev_silent: bool,
        skipping: bool,
    }

    impl Channel {
        /// Encodes one frame, returning the packet: `out[..n]`, or `silence`
        /// when the frame is skipped. No allocation.
        fn encode<'a>(
            &mut self,
            pcm: &[i16],
            silence: &'a [u8],
            out: &'a mut [u8],
        ) -> Result<&'a [u8], OpusError> {
            let silent = pcm.iter().all(|s| s.unsigned_abs() <= SILENCE_LEVEL as u16);
            let skip = silent && self.prev_silent;
            self.prev_silent = silent;
            if skip {
                self.skipping = true;
                return Ok(silence);
            }
            if self.skipping {
                self.enc.reset()?;
                self.skipping = false;
            }
            let n = self.enc.encode(pcm, out)?;
            Ok(&out[..n])
        }
    }

    /// Encodes equal-length channels (1 or 2) at `rate` (8/12/16/24/48 kHz).
    /// `bitrate` is the total for all channels.
    pub fn encode(
        channels: &[Vec<i16>],
        rate: u32,
        bitrate: u32,
        complexity: u8,
    ) -> Result<Vec<u8>, RenderError> {
        let n = channels.len().clamp(1, 2);
        let config = OpusEncoderConfig {
            sample_rate: rate,
            channels: 1,
            bitrate: bitrate / n as u32,
            complexity,
            dtx: false,
            uncoupled: false,
        };
        let frame = rate as usize * FRAME_MS / 1000;
        // Coded silence: what an encoder settled on silence emits (a few bytes).
        // It is sent only after one silent frame was coded normally, so the
        // decoder is in the same settled state.
        let mut out = vec![0u8; 1500];
        let silence = {
            // 14 bytes per 60 ms. Not a DTX or sub-3 kbit/s packet: those 1–2
            // byte packets inside a multistream packet broke the other stream's
            // decoding with this libopus translation (measured).
            let mut e = OpusEncoder::new(&config)?;
            let mut k = 0;
            for _ in 0..5 {
                k = e.encode(&vec![0i16; frame], &mut out)?;
            }
            out[..k].to_vec()
        };
        let mut chans = Vec::with_capacity(n);
        for _ in 0..n {
            chans.push(Channel {
                enc: OpusEncoder::new(&config)?,
                prev_silent: false,
                skipping: false,
            });
        }
        let scale = 48_000 / u64::from(rate.max(1));
        let pre_skip = u64::from(chans[0].enc.lookahead()?) * scale;
        let frames = channels.first().map_or(0, Vec::len);
        let mut w = PacketWriter::new(Vec::with_capacity(frames / 4 + 4096));
        // OpusHead (RFC 7845 §5.1)
        let mut head = Vec::with_capacity(21);
        head.extend_from_slice(b"OpusHead");
        head.push(1);
        head.push(n as u8);
        head.extend_from_slice(&(pre_skip as u16).to_le_bytes());
        head.extend_from_slice(&rate.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes());
        if n == 2 {
            // mapping family 1: 2 streams, 0 coupled, channel i ← stream i
            head.extend_from_slice(&[1, 2, 0, 0, 1]);
        } else {
            head.push(0);
        }
        w.write_packet(head, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        // OpusTags (§5.2)
        let mut tags = Vec::new();
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
        tags.extend_from_slice(VENDOR.as_bytes());
        tags.extend_from_slice(&0u32.to_le_bytes());
        w.write_packet(tags, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        // Pad so that the encoder's delay is flushed out too.
        let total = frames + (pre_skip / scale) as usize;
        let packets = total.div_ceil(frame).max(1);
        let mut pcm = vec![0i16; frame];
        for k in 0..packets {
            let mut packet = Vec::with_capacity(64);
            for (c, ch) in chans.iter_mut().enumerate() {
                // The frame's samples, zero-padded past the end of the channel.
                let src = channels.get(c).and_then(|v| v.get(k * frame..)).unwrap_or(&[]);
                let m = src.len().min(frame);
                pcm[..m].copy_from_slice(&src[..m]);
                pcm[m..].fill(0);
                let p = ch.encode(&pcm, &silence, &mut out)?;
                if c + 1 < n {
                    self_delimit(p, &mut packet)?;
                } else {
                    packet.extend_from_slice(p);
                }
            }
            let last = k + 1 == packets;
            let granule = if last {
                pre_skip + frames as u64 * scale
            } else {
                ((k + 1) * frame) as u64 * scale
            };
            // A page per second keeps overhead at ~1 % and seeking cheap.
            let info = if last {
                PacketWriteEndInfo::EndStream
            } else if (k + 1) % (1000 / FRAME_MS) == 0 {
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            w.write_packet(packet, SERIAL, info, granule)?;
        }
        Ok(w.into_inner())
    }
}
