//! End-to-end property: random loss, reordering, duplication and
//! sequence/timestamp wrap-around on the way in; the rendered file has the
//! conversation's exact length and every received packet's audio at its
//! exact position (lost packets are silence).
mod common;

use std::time::Duration;

use callvault_media::codec::g711;
use callvault_media::render::wav;
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    FlowKey, Layout, OutputFormat, Recorder, RecorderConfig, RenderOptions, render,
};
use callvault_model::{ConversationId, Timestamp};
use common::rtp;
use proptest::prelude::*;

/// A distinct, non-zero A-law level per packet index.
fn level(i: usize) -> u8 {
    g711::linear_to_alaw(((i % 200) as i16 + 1) * 100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn rendered_length_and_alignment(
        seq0 in any::<u16>(),
        ts0 in any::<u32>(),
        n in 5usize..250,
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.2,
        jitter_ms in 0u64..40,
        seed in any::<u64>(),
    ) {
        let mut rng = seed | 1;
        let mut next = || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; (rng % 10_000) as f64 / 10_000.0 };
        let t0 = Timestamp::from_secs_nanos(100, 0);
        let mut sent = Vec::new();
        let mut received = Vec::new();
        for i in 0..n {
            // the first and last packets always arrive (they define the span)
            if i > 0 && i + 1 < n && next() < loss { continue; }
            received.push(i);
            let arrive = t0 + Duration::from_millis(i as u64 * 20 + (next() * jitter_ms as f64) as u64);
            let bytes = rtp(7, seq0.wrapping_add(i as u16), ts0.wrapping_add((i * 160) as u32), 8, false, &[level(i); 160]);
            if next() < dup { sent.push((arrive + Duration::from_millis(3), i, bytes.clone())); }
            sent.push((arrive, i, bytes));
        }
        sent.sort_by_key(|(t, i, _)| (*t, *i));
        let dir = tempfile::tempdir().unwrap();
        let cfg = RecorderConfig { spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() }, ..RecorderConfig::default() };
        let mut rec = Recorder::new(cfg, ConversationId::new(), t0).unwrap();
        for (t, _, b) in &sent {
            rec.on_rtp(*t, FlowKey(1), b);
            rec.poll(*t).unwrap();
        }
        let tl = rec.close(t0 + Duration::from_secs(60)).unwrap();
        prop_assert_eq!(tl.len_samples(), n as u64 * 160);
        let out = render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Mono }).unwrap();
        let (_, _, pcm) = wav::decode(&out.bytes).unwrap();
        let m = &pcm[0];
        prop_assert_eq!(m.len(), n * 160);
        for i in 0..n {
            let want = if received.contains(&i) { g711::ALAW_DECODE[usize::from(level(i))] } else { 0 };
            prop_assert!(m[i * 160..(i + 1) * 160].iter().all(|&s| s == want), "packet {} misplaced", i);
        }
    }
}
