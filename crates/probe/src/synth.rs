//! Builders of small synthetic, valid files in every supported format, for
//! tests, benchmarks and fuzz seeds (here, not behind `cfg(test)`, so that
//! the bench, the fuzz seeds and other crates' tests can use them too).
//! The audio content is noise or silence; only the structure is real.

use crate::crc::{FLAC8, FLAC16, OGG};

/// A tiny deterministic xorshift generator for filler bytes.
#[derive(Debug, Clone)]
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Noise(seed | 1)
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for b in out {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }
}

// ---------------------------------------------------------------- WAV

/// A `fmt ` chunk body; `extra` follows the 16 standard bytes (include the
/// cbSize field yourself when you need one).
pub fn wav_fmt(
    tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    block_align: u16,
    extra: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(16 + extra.len());
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    // Wrapping: tests write absurd rates on purpose.
    f.extend_from_slice(&rate.wrapping_mul(u32::from(block_align)).to_le_bytes());
    f.extend_from_slice(&block_align.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f.extend_from_slice(extra);
    f
}

/// One RIFF chunk, padded to even length.
pub fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(body.len() + 9);
    c.extend_from_slice(id);
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

/// A RIFF/WAVE file from ready-made chunks, with a correct RIFF size.
pub fn riff_wave(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: usize = chunks.iter().map(Vec::len).sum();
    let mut f = Vec::with_capacity(body + 12);
    f.extend_from_slice(b"RIFF");
    f.extend_from_slice(&((body + 4) as u32).to_le_bytes());
    f.extend_from_slice(b"WAVE");
    for c in chunks {
        f.extend_from_slice(c);
    }
    f
}

/// A 16-bit PCM WAV of `frames` sample frames of noise.
pub fn wav_pcm16(channels: u16, rate: u32, frames: usize) -> Vec<u8> {
    let align = channels * 2;
    let data = Noise::new(7).bytes(frames * usize::from(align));
    riff_wave(&[chunk(b"fmt ", &wav_fmt(1, channels, rate, 16, align, &[])), chunk(b"data", &data)])
}

/// A GSM 6.10 WAV as Asterisk writes it (WAV49): `blocks` blocks of 65
/// bytes, 320 samples each, with a fact chunk.
pub fn wav_gsm(blocks: usize) -> Vec<u8> {
    let fmt = wav_fmt(0x31, 1, 8000, 0, 65, &[2, 0, 0x40, 0x01]);
    let fact = ((blocks * 320) as u32).to_le_bytes();
    let data = Noise::new(3).bytes(blocks * 65);
    riff_wave(&[chunk(b"fmt ", &fmt), chunk(b"fact", &fact), chunk(b"data", &data)])
}

// ---------------------------------------------------------------- MP3

/// A 4-byte MPEG audio frame header. `version`: 1, 2 or 25 (2.5).
pub fn mp3_header(
    version: u8,
    layer: u8,
    bitrate_index: u8,
    rate_index: u8,
    padding: bool,
    mono: bool,
) -> [u8; 4] {
    let v = match version {
        1 => 3,
        2 => 2,
        _ => 0,
    };
    let l = 4 - layer;
    [
        0xff,
        0xe0 | (v << 3) | (l << 1) | 1,
        (bitrate_index << 4) | (rate_index << 2) | (u8::from(padding) << 1),
        if mono { 0xc0 } else { 0x00 },
    ]
}

/// An ID3v2.4 tag with `payload` bytes of (meaningless) content.
pub fn id3v2(payload: usize) -> Vec<u8> {
    let mut t = b"ID3\x04\x00\x00".to_vec();
    let s = payload as u32;
    t.extend_from_slice(&[
        (s >> 21) as u8 & 0x7f,
        (s >> 14) as u8 & 0x7f,
        (s >> 7) as u8 & 0x7f,
        s as u8 & 0x7f,
    ]);
    t.extend(std::iter::repeat_n(0u8, payload));
    t
}

/// An MPEG-1 layer III, 128 kbit/s, 44.1 kHz stereo stream of `frames`
/// audio frames with zero payload; optionally an ID3v2 tag first, a Xing
/// frame announcing the count, and an ID3v1 tag last.
pub fn mp3(frames: usize, id3: bool, xing: bool, id3v1: bool) -> Vec<u8> {
    let h = mp3_header(1, 3, 9, 0, false, false);
    let len = 417;
    let mut f = Vec::with_capacity(frames * len + 1024);
    if id3 {
        f.extend_from_slice(&id3v2(100));
    }
    if xing {
        let mut x = vec![0u8; len];
        x[..4].copy_from_slice(&h);
        x[36..40].copy_from_slice(b"Xing");
        x[40..44].copy_from_slice(&1u32.to_be_bytes());
        x[44..48].copy_from_slice(&(frames as u32).to_be_bytes());
        f.extend_from_slice(&x);
    }
    for _ in 0..frames {
        f.extend_from_slice(&h);
        f.extend(std::iter::repeat_n(0u8, len - 4));
    }
    if id3v1 {
        let mut t = vec![0u8; 128];
        t[..3].copy_from_slice(b"TAG");
        f.extend_from_slice(&t);
    }
    f
}

// ---------------------------------------------------------------- Ogg

/// One Ogg page holding whole `packets`, with a correct CRC.
pub fn ogg_page(flags: u8, granule: u64, serial: u32, seq: u32, packets: &[&[u8]]) -> Vec<u8> {
    let mut lacing = Vec::new();
    for p in packets {
        lacing.extend(std::iter::repeat_n(255u8, p.len() / 255));
        lacing.push((p.len() % 255) as u8);
    }
    assert!(lacing.len() <= 255, "too many segments for one page");
    let mut page = b"OggS\0".to_vec();
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&serial.to_le_bytes());
    page.extend_from_slice(&seq.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    for p in packets {
        page.extend_from_slice(p);
    }
    let crc = OGG.checksum(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// An `OpusHead` packet (mapping family 0).
pub fn opus_head(channels: u8, pre_skip: u16, input_rate: u32) -> Vec<u8> {
    let mut h = b"OpusHead\x01".to_vec();
    h.push(channels);
    h.extend_from_slice(&pre_skip.to_le_bytes());
    h.extend_from_slice(&input_rate.to_le_bytes());
    h.extend_from_slice(&[0, 0, 0]);
    h
}

/// An `OpusTags` packet with a vendor string and no comments.
pub fn opus_tags() -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(b"callvault");
    t.truncate(8 + 4 + 8);
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

/// An Ogg/Opus file: head and tags pages, then `pages` audio pages of
/// `packets_per_page` noise packets of `packet_len` bytes, 20 ms (960
/// samples) each; the last page has EOS. Pre-skip 312.
pub fn opus(channels: u8, pages: usize, packets_per_page: usize, packet_len: usize) -> Vec<u8> {
    let serial = 0x5eed;
    let mut f = ogg_page(2, 0, serial, 0, &[&opus_head(channels, 312, 8000)]);
    f.extend_from_slice(&ogg_page(0, 0, serial, 1, &[&opus_tags()]));
    let mut noise = Noise::new(11);
    let packets: Vec<Vec<u8>> = (0..packets_per_page).map(|_| noise.bytes(packet_len)).collect();
    let refs: Vec<&[u8]> = packets.iter().map(Vec::as_slice).collect();
    let mut granule = 312u64;
    for i in 0..pages {
        granule += 960 * packets_per_page as u64;
        let flags = if i + 1 == pages { 4 } else { 0 };
        f.extend_from_slice(&ogg_page(flags, granule, serial, 2 + i as u32, &refs));
    }
    f
}

// ---------------------------------------------------------------- FLAC

/// A STREAMINFO block (with its block header).
pub fn flac_streaminfo(
    last: bool,
    block: u16,
    rate: u32,
    channels: u8,
    bits: u8,
    total: u64,
) -> Vec<u8> {
    let mut b = vec![if last { 0x80 } else { 0 }, 0, 0, 34];
    b.extend_from_slice(&block.to_be_bytes());
    b.extend_from_slice(&block.to_be_bytes());
    b.extend_from_slice(&[0; 6]);
    let x = (u64::from(rate) << 44)
        | (u64::from(channels - 1) << 41)
        | (u64::from(bits - 1) << 36)
        | total;
    b.extend_from_slice(&x.to_be_bytes());
    b.extend_from_slice(&[0; 16]);
    b
}

/// The FLAC UTF-8-like coding of a frame or sample number.
pub fn flac_coded_number(n: u64) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let mut extra = 1;
    while n >= 1u64 << (6 * extra + (6 - extra)) {
        extra += 1;
    }
    let mut out = Vec::new();
    let lead_bits = 6 - extra;
    let lead_mask = (0xff00u16 >> (extra + 1)) as u8;
    out.push(lead_mask | ((n >> (6 * extra)) as u8 & ((1 << lead_bits) - 1)));
    for i in (0..extra).rev() {
        out.push(0x80 | ((n >> (6 * i)) & 0x3f) as u8);
    }
    out
}

/// How the synthetic FLAC frames code their audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlacSubframe {
    /// Each channel one constant value.
    Constant,
    /// Every sample stored (noise).
    Verbatim,
}

/// One 16-bit FLAC frame, fixed block size, channels independent.
pub fn flac_frame(
    number: u64,
    block: u16,
    rate: u32,
    channels: u8,
    kind: FlacSubframe,
    noise: &mut Noise,
) -> Vec<u8> {
    let rate_code = match rate {
        8000 => 4,
        16000 => 5,
        44100 => 9,
        48000 => 10,
        _ => 0,
    };
    let mut f = vec![0xff, 0xf8, (7 << 4) | rate_code, ((channels - 1) << 4) | (4 << 1)];
    f.extend_from_slice(&flac_coded_number(number));
    f.extend_from_slice(&(block - 1).to_be_bytes());
    f.push(FLAC8.checksum(&f));
    for _ in 0..channels {
        match kind {
            FlacSubframe::Constant => {
                f.push(0x00);
                f.extend_from_slice(&noise.bytes(2));
            }
            FlacSubframe::Verbatim => {
                f.push(0x02);
                f.extend_from_slice(&noise.bytes(usize::from(block) * 2));
            }
        }
    }
    let crc = FLAC16.checksum(&f);
    f.extend_from_slice(&crc.to_be_bytes());
    f
}

/// A 16-bit FLAC file of `frames` frames of `block` samples, with a
/// STREAMINFO (total samples stated) and a padding block.
pub fn flac(channels: u8, rate: u32, block: u16, frames: usize, kind: FlacSubframe) -> Vec<u8> {
    let mut f = b"fLaC".to_vec();
    f.extend_from_slice(&flac_streaminfo(
        false,
        block,
        rate,
        channels,
        16,
        frames as u64 * u64::from(block),
    ));
    f.extend_from_slice(&[0x81, 0, 0, 8]);
    f.extend_from_slice(&[0; 8]);
    let mut noise = Noise::new(5);
    for i in 0..frames {
        f.extend_from_slice(&flac_frame(i as u64, block, rate, channels, kind, &mut noise));
    }
    f
}
