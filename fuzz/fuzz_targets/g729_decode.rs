//! G.729 decoder on arbitrary payloads, with erasures: no panic, exactly 80
//! samples per frame, per SID frame and per concealed frame.
#![no_main]

use callvault_media::codec::g729::{FRAME_SAMPLES, G729Decoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&lengths, mut rest)) = data.split_first() else { return };
    let mut d = G729Decoder::new();
    let mut out = Vec::new();
    // The first byte picks packet sizes (1–4 frames, sometimes a SID tail
    // or junk); a packet size of 0 stands for a lost packet.
    let mut k = 0u32;
    while !rest.is_empty() {
        let sel = (u32::from(lengths) >> (k % 8)) & 7;
        k += 1;
        let before = out.len();
        if sel == 0 {
            d.conceal(&mut out);
            assert_eq!(out.len() - before, FRAME_SAMPLES);
            if k > 64 {
                break;
            }
            continue;
        }
        let want = [10, 20, 12, 40, 2, 7, 30][(sel - 1) as usize];
        let (p, tail) = rest.split_at(want.min(rest.len()));
        rest = tail;
        d.decode(p, &mut out);
        let frames = p.len() / 10 + usize::from(p.len() % 10 == 2);
        assert_eq!(out.len() - before, frames * FRAME_SAMPLES);
    }
});
