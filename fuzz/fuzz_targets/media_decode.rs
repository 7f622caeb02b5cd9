//! Payload decoders (G.711, G.722, Opus, L16) on arbitrary payloads: no
//! panic, bounded output.
#![no_main]

use callvault_media::codec::{Codec, Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, payload)) = data.split_first() else { return };
    let codec = match sel % 6 {
        0 => Codec::Pcmu,
        1 => Codec::Pcma,
        2 => Codec::G722,
        3 => Codec::Opus { channels: 1 },
        4 => Codec::L16 { rate: 16_000, channels: 2 },
        _ => Codec::L16 { rate: 44_100, channels: 1 },
    };
    let rate = if sel & 0x80 != 0 { 16_000 } else { 8000 };
    let mut d = Decoder::new(codec, rate).expect("audio codec");
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let mut bytes = Vec::new();
    for chunk in payload.chunks(200) {
        let _ = d.decode(chunk, &mut out);
        let _ = d.decode_le(chunk, &mut scratch, &mut bytes);
    }
    // 120 ms of 16 kHz per 200-byte chunk at most (Opus), plus resampler slack
    assert!(out.len() <= (payload.len() / 200 + 1) * 1920 * 2 + 16);
});
