//! Payload decoders (G.711, G.722, Opus, L16, G.729) on arbitrary payloads,
//! with packet loss concealment between some of them: no panic, bounded
//! output, concealment exactly as long as asked.
#![no_main]

use callvault_media::codec::{Codec, Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, payload)) = data.split_first() else { return };
    let codec = match sel % 7 {
        0 => Codec::Pcmu,
        1 => Codec::Pcma,
        2 => Codec::G722,
        3 => Codec::Opus { channels: 1 },
        4 => Codec::L16 { rate: 16_000, channels: 2 },
        5 => Codec::G729,
        _ => Codec::L16 { rate: 44_100, channels: 1 },
    };
    let rate = if sel & 0x80 != 0 { 16_000 } else { 8000 };
    let mut d = Decoder::new(codec, rate).expect("audio codec");
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let mut bytes = Vec::new();
    let mut concealed = 0;
    for chunk in payload.chunks(200) {
        let _ = d.decode(chunk, &mut out);
        let _ = d.decode_le(chunk, &mut scratch, &mut bytes);
        // The chunk's first byte, when odd, asks for that many samples of
        // concealment (up to 255: 32 ms at 8 kHz).
        if let Some(&n) = chunk.first()
            && n & 1 == 1
        {
            let mut plc = Vec::new();
            if d.conceal(usize::from(n), &mut plc) {
                assert_eq!(plc.len(), usize::from(n));
            } else {
                assert!(plc.is_empty());
            }
            concealed += plc.len();
        }
    }
    // 120 ms of 16 kHz per 200-byte chunk at most (Opus; G.729 gives 20
    // 10 ms frames per chunk), plus resampler slack
    assert!(out.len() <= (payload.len() / 200 + 1) * 1920 * 2 + 16);
    assert!(concealed <= (payload.len() / 200 + 1) * 255);
});
