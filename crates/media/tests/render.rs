//! Round-trip quality: render known speech in every format, decode it back,
//! and compare with the source. Thresholds (normalised correlation, per
//! channel) are stated per format in `formats()`.
mod common;

use std::time::Duration;

use callvault_media::render::{ogg_opus, wav};
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    ClosedTimeline, FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig,
    RenderOptions, RenderPool, render,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use common::{correlation, high_pass, rtp, speech_8k};

const T0: Timestamp = Timestamp::from_secs_nanos(50, 0);

/// A 10 s stereo conversation: the fixture speech on the left, the same
/// speech reversed on the right (different content per channel, so a
/// channel swap or bleed would fail).
fn conversation(dir: &std::path::Path) -> (ClosedTimeline, Vec<i16>, Vec<i16>) {
    let cfg = RecorderConfig {
        spool: SpoolConfig { dir: dir.to_owned(), ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(cfg, ConversationId::new(), T0).unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
    let speech = speech_8k();
    let n = 500; // 10 s
    let left: Vec<i16> = (0..n * 160).map(|i| speech[i % speech.len()]).collect();
    let right: Vec<i16> =
        (0..n * 160).map(|i| speech[speech.len() - 1 - i % speech.len()]).collect();
    let enc = |s: &[i16]| {
        s.iter().map(|&x| callvault_media::codec::g711::linear_to_alaw(x)).collect::<Vec<u8>>()
    };
    for i in 0..n {
        let now = T0 + Duration::from_millis(i as u64 * 20);
        let l = enc(&left[i * 160..(i + 1) * 160]);
        let r = enc(&right[i * 160..(i + 1) * 160]);
        rec.on_rtp(now, FlowKey(1), &rtp(1, i as u16, (i * 160) as u32, 8, false, &l));
        rec.on_rtp(now, FlowKey(2), &rtp(2, i as u16, (i * 160) as u32, 8, false, &r));
        rec.poll(now).unwrap();
    }
    let tl = rec.close(T0 + Duration::from_secs(11)).unwrap();
    (tl, left, right)
}

fn decode_flac(bytes: &[u8]) -> Vec<Vec<i16>> {
    let mut r = claxon::FlacReader::new(std::io::Cursor::new(bytes)).unwrap();
    let ch = r.streaminfo().channels as usize;
    let mut out = vec![Vec::new(); ch];
    for (i, s) in r.samples().enumerate() {
        out[i % ch].push(s.unwrap() as i16);
    }
    out
}

fn decode_mp3(bytes: &[u8]) -> Vec<Vec<i16>> {
    let (_header, samples) = puremp3::read_mp3(std::io::Cursor::new(bytes)).unwrap();
    let mut out = vec![Vec::new(), Vec::new()];
    for (l, r) in samples {
        out[0].push((l * 32767.0) as i16);
        out[1].push((r * 32767.0) as i16);
    }
    out
}

#[test]
fn round_trip_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (tl, left, right) = conversation(dir.path());
    assert_eq!(tl.len_samples(), left.len() as u64);
    // (format, threshold, compare against high-passed source, max lag)
    let formats: Vec<(OutputFormat, f64, bool, usize)> = vec![
        (OutputFormat::WavPcm16, 1.0, false, 0),
        (OutputFormat::WavPcma, 1.0, false, 0),
        (OutputFormat::WavPcmu, 0.999, false, 0),
        (OutputFormat::Flac, 1.0, false, 0),
        (OutputFormat::default(), 0.93, true, 40),
        (OutputFormat::Opus { bitrate_per_channel: 8_000, complexity: 0 }, 0.88, true, 40),
        (OutputFormat::Opus { bitrate_per_channel: 16_000, complexity: 5 }, 0.95, true, 40),
    ];
    #[cfg(feature = "mp3")]
    let formats = [formats, vec![(OutputFormat::Mp3 { kbps: 32 }, 0.60, false, 2000)]].concat();
    for (format, threshold, hp, lag) in formats {
        let out = render(&tl, &RenderOptions { format, layout: Layout::Stereo }).unwrap();
        assert_eq!((out.channels, out.sample_rate, out.duration_ms), (2, 8000, 10_000));
        let decoded = match format {
            OutputFormat::WavPcm16 | OutputFormat::WavPcma | OutputFormat::WavPcmu => {
                wav::decode(&out.bytes).unwrap().2
            }
            OutputFormat::Flac => decode_flac(&out.bytes),
            OutputFormat::Opus { .. } => {
                let d = ogg_opus::decode(&out.bytes).unwrap();
                assert_eq!((d.channels, d.input_rate), (2, 8000));
                d.samples
            }
            OutputFormat::Mp3 { .. } => decode_mp3(&out.bytes),
        };
        // Duration: exact for every format but MP3 (frame padding, ±1 frame
        // of 576 samples plus the encoder delay).
        let len = decoded[0].len() as i64;
        if matches!(format, OutputFormat::Mp3 { .. }) {
            assert!((len - left.len() as i64).abs() < 3000, "{format:?} length {len}");
        } else {
            assert_eq!(len, left.len() as i64, "{format:?} length");
        }
        for (src, got, name) in [(&left, &decoded[0], "left"), (&right, &decoded[1], "right")] {
            let src = if hp { high_pass(src) } else { src.clone() };
            // lossy formats: compare 1–5 s (the lag search is quadratic)
            let c = if lag == 0 {
                correlation(&src, got, 0)
            } else {
                correlation(&src[8000..40_000], &got[8000..], lag)
            };
            assert!(c >= threshold, "{format:?} {name}: correlation {c} < {threshold}");
            if threshold == 1.0 {
                assert!(src == *got, "{format:?} {name} not bit-exact");
            }
        }
    }
}

#[test]
fn opus_size_and_pool() {
    let dir = tempfile::tempdir().unwrap();
    let (tl, _, _) = conversation(dir.path());
    let pool = RenderPool::new(2).unwrap();
    let handles: Vec<_> =
        (0..4).map(|_| pool.submit(tl.clone(), RenderOptions::default())).collect();
    let files: Vec<_> = handles.into_iter().map(|h| h.wait().unwrap()).collect();
    assert!(files.windows(2).all(|w| w[0].bytes == w[1].bytes), "rendering is deterministic");
    // Both sides talking all the time (the worst case): ≤ 20 kbit/s + Ogg.
    let per_minute = files[0].bytes.len() as f64 * 6.0;
    assert!(per_minute <= 160_000.0, "{per_minute} bytes per stereo minute");
}

/// Turn-taking with silent gaps exercises silence skipping: speech after a
/// skipped stretch is intact, silence decodes to silence, and the file is
/// much smaller than continuous speech.
#[test]
fn opus_silence_skipping_keeps_speech_and_silence() {
    let speech = speech_8k();
    let seg = 24_000; // 3 s turns
    let mut left = Vec::new();
    let mut right = Vec::new();
    for turn in 0..4 {
        let talk: Vec<i16> = speech[(turn * 7919) % 20_000..][..seg].to_vec();
        let quiet = vec![0i16; seg];
        if turn % 2 == 0 {
            left.extend(&talk);
            right.extend(&quiet);
        } else {
            left.extend(&quiet);
            right.extend(&talk);
        }
    }
    let bytes = ogg_opus::encode(&[left.clone(), right.clone()], 8000, 20_000, 0).unwrap();
    let d = ogg_opus::decode(&bytes).unwrap();
    assert_eq!(d.samples[0].len(), left.len());
    for turn in 0..4 {
        let r = turn * seg..(turn + 1) * seg;
        let (talk_src, talk_got, quiet_got) = if turn % 2 == 0 {
            (&left[r.clone()], &d.samples[0][r.clone()], &d.samples[1][r.clone()])
        } else {
            (&right[r.clone()], &d.samples[1][r.clone()], &d.samples[0][r.clone()])
        };
        // the whole turn, including the frame that resets the encoder
        let c = correlation(&high_pass(talk_src), talk_got, 40);
        assert!(c >= 0.90, "turn {turn}: correlation {c}");
        let peak = quiet_got[800..].iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak <= 200, "turn {turn}: silence peaks at {peak}");
    }
    // 12 s of stereo in which one side is always silent
    assert!(bytes.len() < 12 * 2 * 1000, "{} bytes", bytes.len());
}
