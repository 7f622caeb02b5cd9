//! G.729 decoder: against ffmpeg's decoder (a committed fixture, and live
//! when ffmpeg is installed), sanity of the signal, erasures, SID frames and
//! arbitrary input.
mod common;

use std::time::Duration;

use callvault_media::codec::g729::{FRAME_SAMPLES, G729Decoder};
use callvault_media::codec::{Codec, Decoder};
use callvault_media::render::wav;
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig, RenderOptions,
    TimelineEvent, render,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use proptest::prelude::*;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn pcm(b: &[u8]) -> Vec<i16> {
    b.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()
}

fn decode(bits: &[u8]) -> Vec<i16> {
    let mut out = Vec::new();
    G729Decoder::new().decode(bits, &mut out);
    out
}

/// Signal-to-noise ratio of `test` against `reference`, dB.
fn snr_db(reference: &[i16], test: &[i16]) -> f64 {
    assert_eq!(reference.len(), test.len());
    let (mut sig, mut err) = (0f64, 0f64);
    for (&r, &t) in reference.iter().zip(test) {
        sig += f64::from(r) * f64::from(r);
        err += (f64::from(r) - f64::from(t)).powi(2);
    }
    10.0 * (sig / err.max(1.0)).log10()
}

/// Frames with plausible parameters (slowly varying spectra, lags in the
/// voice range, moderate gains, correct parity) from a fixed seed, as a
/// test of a live ffmpeg; the committed fixture was made the same way.
fn plausible_frames(n: usize, mut seed: u64) -> Vec<u8> {
    let mut next = |bits: u32| -> u32 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as u32) & ((1u32 << bits) - 1)
    };
    let mut out = Vec::with_capacity(n * 10);
    let (mut l, mut lag) = ([0u32; 4], 60u32);
    for i in 0..n {
        if i % 20 == 0 {
            l = [next(1), next(7), next(5), next(5)];
            lag = 30 + next(6);
        }
        if next(2) == 0 {
            l[2] = next(5);
        }
        lag = (lag + next(2)).saturating_sub(1).clamp(25, 85);
        let p1 = 3 * lag - 58;
        let parity = (1 + ((p1 >> 2) & 0x3f).count_ones()) & 1;
        // GA indices 1 and 3 with the lower half of GB: pitch gains ≈ 0.1–0.7.
        let ga = |v: u32| if v == 0 { 1 } else { 3 };
        let fields = [
            (1, l[0]),
            (7, l[1]),
            (5, l[2]),
            (5, l[3]),
            (8, p1),
            (1, parity),
            (13, next(13)),
            (4, next(4)),
            (3, ga(next(1))),
            (4, next(3)),
            (5, 13 + next(2)),
            (13, next(13)),
            (4, next(4)),
            (3, ga(next(1))),
            (4, next(3)),
        ];
        let mut acc = 0u128;
        for (w, v) in fields {
            acc = (acc << w) | u128::from(v);
        }
        out.extend_from_slice(&acc.to_be_bytes()[6..]);
    }
    out
}

/// The measured SNR of our decoder against ffmpeg 5.1's on the fixture
/// (300 plausible frames, then 100 frames of random bytes with parity
/// errors) is 20.2 dB (19.7 dB on the plausible part, 20.3 dB on the random
/// part; correlation 0.995), 21.0 dB on the live test's frames; the rest is
/// the post-filter (ffmpeg implements the main-body G.729 one, we the
/// Annex A one). Measured on broken variants: a 6 dB gain error ≈ 1 dB,
/// fractional pitch phase reversed 7.9 dB, no tilt compensation 15.7 dB, no
/// pitch sharpening 17.0 dB, no long-term post-filter 18.0 dB.
const MIN_SNR_DB: f64 = 19.0;

#[test]
fn fixture_decodes_close_to_ffmpeg() {
    let bits = data("g729-frames.bit");
    let reference = pcm(&data("g729-ffmpeg-decoded.s16le"));
    let ours = decode(&bits);
    assert_eq!(ours.len(), reference.len());
    let snr = snr_db(&reference, &ours);
    assert!(snr >= MIN_SNR_DB, "snr {snr:.1} dB");
    // Also per half: the plausible part and the random part.
    let half = 300 * FRAME_SAMPLES;
    let a = snr_db(&reference[..half], &ours[..half]);
    let b = snr_db(&reference[half..], &ours[half..]);
    eprintln!("snr against ffmpeg: {snr:.1} dB (plausible {a:.1} dB, random {b:.1} dB)");
    assert!(a >= MIN_SNR_DB && b >= MIN_SNR_DB, "plausible {a:.1} dB, random {b:.1} dB");
}

/// The same comparison against the installed ffmpeg, on fresh frames.
#[test]
fn live_ffmpeg_agrees_when_installed() {
    let dir = tempfile::tempdir().unwrap();
    let bits = plausible_frames(400, 0x6729);
    let input = dir.path().join("in.bit");
    let output = dir.path().join("out.raw");
    std::fs::write(&input, &bits).unwrap();
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "g729", "-i"])
        .arg(&input)
        .args(["-f", "s16le", "-ar", "8000", "-ac", "1"])
        .arg(&output)
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("ffmpeg not installed: live comparison skipped (the fixture test covers it)");
            return;
        }
    }
    let reference = pcm(&std::fs::read(&output).unwrap());
    let ours = decode(&bits);
    let snr = snr_db(&reference, &ours);
    eprintln!("snr against live ffmpeg: {snr:.1} dB");
    assert!(snr >= MIN_SNR_DB, "snr {snr:.1} dB against live ffmpeg");
}

#[test]
fn decoded_signal_is_sane_and_deterministic() {
    let bits = plausible_frames(200, 1);
    let a = decode(&bits);
    assert_eq!(a.len(), 200 * FRAME_SAMPLES);
    assert_eq!(a, decode(&bits));
    let rms = (a.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / a.len() as f64).sqrt();
    // Speech-like level: neither silent nor clipping.
    assert!((100.0..8000.0).contains(&rms), "rms {rms}");
    let clipped = a.iter().filter(|s| s.unsigned_abs() >= 32767).count();
    assert!(clipped < a.len() / 1000, "{clipped} clipped samples");
    // The high-pass post-processing leaves no DC.
    let mean = a.iter().map(|&s| f64::from(s)).sum::<f64>() / a.len() as f64;
    assert!(mean.abs() < 20.0, "dc {mean}");
}

#[test]
fn erasures_fade_out_and_recover() {
    let bits = plausible_frames(60, 2);
    let mut d = G729Decoder::new();
    let mut out = Vec::new();
    d.decode(&bits[..400], &mut out);
    let level = |s: &[i16]| s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>();
    let before = level(&out[out.len() - 4 * FRAME_SAMPLES..]);
    let mut lost = Vec::new();
    for _ in 0..40 {
        d.conceal(&mut lost);
    }
    assert_eq!(lost.len(), 40 * FRAME_SAMPLES);
    // Concealment continues the signal and then decays: pitch gain × 0.9
    // and fixed-codebook gain × 0.98 per subframe (−16 dB of the latter
    // over 36 frames).
    let first = level(&lost[..4 * FRAME_SAMPLES]);
    let last = level(&lost[36 * FRAME_SAMPLES..]);
    assert!(first > 0.0 && before > 0.0);
    assert!(last < first / 10.0, "first {first} last {last}");
    // Good frames afterwards decode to a normal level again.
    let mut after = Vec::new();
    d.decode(&bits[400..], &mut after);
    assert!(level(&after[after.len() / 2..]) > last * 10.0);
}

#[test]
fn sid_frames_are_silence_and_junk_tails_are_ignored() {
    let frames = plausible_frames(3, 3);
    let mut payload = frames.clone();
    payload.extend_from_slice(&[0x12, 0x34]); // Annex B SID
    let mut d = G729Decoder::new();
    let mut out = Vec::new();
    d.decode(&payload, &mut out);
    assert_eq!(out.len(), 4 * FRAME_SAMPLES);
    assert!(out[3 * FRAME_SAMPLES..].iter().all(|&s| s == 0));
    // A tail that is neither a frame nor a SID adds nothing.
    let mut junk = frames;
    junk.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode(&junk).len(), 3 * FRAME_SAMPLES);
    assert!(decode(&[7]).is_empty());
}

/// Through the stream decoder as the recorder uses it: several frames per
/// RTP packet, at 8 kHz and resampled to 16 kHz.
#[test]
fn codec_decoder_handles_multi_frame_packets() {
    let bits = plausible_frames(20, 4);
    let mut d = Decoder::new(Codec::G729, 8000).unwrap();
    let mut out = Vec::new();
    for packet in bits.chunks(20) {
        d.decode(packet, &mut out).unwrap();
    }
    assert_eq!(out, decode(&bits));
    let mut d = Decoder::new(Codec::G729, 16_000).unwrap();
    let mut wide = Vec::new();
    d.decode(&bits, &mut wide).unwrap();
    assert!(wide.len().abs_diff(2 * out.len()) <= 2);
}

/// A G.729 flow (static payload type 18, two frames per 20 ms packet) is
/// decoded by the recorder onto the timeline like G.711, not kept raw.
#[test]
fn recorder_decodes_g729_flows() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Timestamp::from_secs_nanos(100, 0);
    let config = RecorderConfig {
        spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(config, ConversationId::new(), t0).unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    let bits = plausible_frames(200, 5);
    for (i, packet) in bits.chunks(20).enumerate() {
        let now = t0 + Duration::from_millis(i as u64 * 20);
        let p = common::rtp(7, i as u16, (i * 160) as u32, 18, i == 0, packet);
        rec.on_rtp(now, FlowKey(1), &p);
        rec.poll(now).unwrap();
    }
    let tl = rec.close(t0 + Duration::from_millis(2100)).unwrap();
    assert!(
        !tl.events.iter().any(|e| matches!(e, TimelineEvent::UndecodedPayload { .. })),
        "{:?}",
        tl.events
    );
    assert_eq!(tl.duration_ms(), 2000);
    let out =
        render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Stereo })
            .unwrap();
    let (_, _, pcm) = wav::decode(&out.bytes).unwrap();
    let expected = decode(&bits);
    assert_eq!(&pcm[0][..expected.len()], &expected[..]);
    assert!(pcm[1].iter().all(|&s| s == 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Any bytes decode without panicking, to a predictable length.
    #[test]
    fn arbitrary_payloads_never_panic(payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..20), erase in any::<u32>()) {
        let mut d = G729Decoder::new();
        let mut out = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let before = out.len();
            if erase >> (i % 32) & 1 == 1 {
                d.conceal(&mut out);
                prop_assert_eq!(out.len() - before, FRAME_SAMPLES);
                continue;
            }
            d.decode(p, &mut out);
            let frames = p.len() / 10 + usize::from(p.len() % 10 == 2);
            prop_assert_eq!(out.len() - before, frames * FRAME_SAMPLES);
        }
    }
}
