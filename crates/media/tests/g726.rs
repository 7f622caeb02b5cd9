//! G.726 decoder against ffmpeg's: every rate in both packings, on streams
//! ffmpeg's encoder made from a speech-like signal (a committed fixture,
//! and live with the installed ffmpeg), plus the decoder inside the
//! recorder (payload type 2 and a dynamic `AAL2-G726-24`).
use callvault_media::codec::g726::{G726Decoder, Packing};
use callvault_media::codec::{Codec, Decoder, PayloadMap};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn pcm(b: &[u8]) -> Vec<i16> {
    b.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()
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

/// A speech-like test signal at 8 kHz: a gliding voiced tone with a
/// harmonic, a syllable envelope and noise, from a fixed seed.
fn speech_like(seconds: usize) -> Vec<i16> {
    let mut seed = 0x726u64;
    let mut noise = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as f64 / f64::from(1u32 << 31)) - 0.5
    };
    let mut phase = 0f64;
    (0..8000 * seconds)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let envelope = (0.5 + 0.5 * (2.0 * std::f64::consts::PI * 3.0 * t).sin()).powi(2);
            phase += 2.0 * std::f64::consts::PI * (140.0 + 60.0 * (1.3 * t).sin()) / 8000.0;
            let v =
                envelope * (7000.0 * phase.sin() + 2500.0 * (3.0 * phase).sin()) + 600.0 * noise();
            v.clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn decode(bits: u8, packing: Packing, stream: &[u8]) -> Vec<i16> {
    let mut out = Vec::new();
    G726Decoder::new(bits, packing).decode(stream, &mut out);
    out
}

/// Measured against ffmpeg 5.1: 26.1 dB on the fixture (real speech at a
/// low level), 29.0 / 30.4 / 30.9 / 30.0 dB at 16 / 24 / 32 / 40 kbit/s on
/// the live test's signal, the same in both packings. The difference is
/// one step of MIX: the recommendation truncates the product
/// (YU − YL/64)·AL/64 as a sign and magnitude and adds it to YL/64, ffmpeg
/// floors (YL + (YU − YL/64)·AL)/64, so the scale factor Y differs by one
/// now and then and the decoder's state wanders a little from ffmpeg's
/// encoder's. With ffmpeg's rounding in that one place our output was
/// identical to ffmpeg's, sample for sample, at every rate in both packings
/// (measured; this is what the tables, FMULT, the predictor updates, the
/// leak of 2^-8 at every rate — G.723's 40 kbit/s used 2^-9 — and both
/// packings are checked against). An error in any of those costs far more
/// than this margin (a wrong leak at 40 kbit/s: −3.6 dB).
const MIN_SNR_DB: f64 = 24.0;

#[test]
fn fixture_decodes_close_to_ffmpeg() {
    let stream = data("g726-32-ffmpeg.g726le");
    let reference = pcm(&data("g726-32-ffmpeg-decoded.s16le"));
    let ours = decode(4, Packing::Rfc3551, &stream);
    assert_eq!(ours.len(), reference.len());
    let snr = snr_db(&reference, &ours);
    eprintln!("g726-32 fixture: {snr:.1} dB against ffmpeg");
    assert!(snr >= MIN_SNR_DB, "snr {snr:.1} dB");
}

fn ffmpeg(args: &[&str]) -> bool {
    match std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
    {
        Ok(s) if s.success() => true,
        Ok(s) => panic!("ffmpeg {args:?} failed: {s}"),
        Err(e) => {
            if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
                eprintln!(
                    "ffmpeg not runnable ({e}): live comparison skipped (CV_TEST_SKIP_SERVICES=1)"
                );
                return false;
            }
            panic!(
                "ffmpeg is needed for the G.726 comparison ({e}); set CV_TEST_SKIP_SERVICES=1 to skip"
            );
        }
    }
}

/// Every rate and packing: ffmpeg encodes, ffmpeg and we decode.
#[test]
fn live_ffmpeg_agrees_at_every_rate_and_packing() {
    let dir = tempfile::tempdir().unwrap();
    let source = speech_like(3);
    let src = dir.path().join("src.s16le");
    std::fs::write(&src, source.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    for bits in [2u8, 3, 4, 5] {
        for (packing, format) in [(Packing::Rfc3551, "g726le"), (Packing::Aal2, "g726")] {
            let coded = dir.path().join(format!("{bits}.{format}"));
            let decoded = dir.path().join(format!("{bits}.{format}.s16le"));
            let rate = format!("{}k", u32::from(bits) * 8);
            let code_size = bits.to_string();
            let (c, d) = (coded.to_str().unwrap(), decoded.to_str().unwrap());
            let src = src.to_str().unwrap();
            let encoder = if packing == Packing::Aal2 { "g726" } else { "g726le" };
            if !ffmpeg(&[
                "-f", "s16le", "-ar", "8000", "-ac", "1", "-i", src, "-c:a", encoder, "-b:a",
                &rate, "-f", format, c,
            ]) {
                return;
            }
            ffmpeg(&[
                "-f",
                format,
                "-code_size",
                &code_size,
                "-sample_rate",
                "8000",
                "-i",
                c,
                "-f",
                "s16le",
                "-ar",
                "8000",
                "-ac",
                "1",
                d,
            ]);
            let stream = std::fs::read(&coded).unwrap();
            let reference = pcm(&std::fs::read(&decoded).unwrap());
            let ours = decode(bits, packing, &stream);
            assert_eq!(ours.len(), reference.len(), "{bits} bits {packing:?}");
            let snr = snr_db(&reference, &ours);
            // And the codec is doing its job: close to the source.
            let fidelity = snr_db(&source[..ours.len()], &ours);
            eprintln!(
                "G.726 {bits} bits {packing:?}: {snr:.1} dB against ffmpeg, {fidelity:.1} dB against the source"
            );
            assert!(snr >= MIN_SNR_DB, "{bits} bits {packing:?}: snr {snr:.1} dB");
            assert!(
                fidelity > 6.0 * f64::from(bits) - 6.0,
                "{bits} bits: fidelity {fidelity:.1} dB"
            );
        }
    }
}

#[test]
fn payload_map_and_names() {
    let m = PayloadMap::default();
    assert_eq!(m.get(2), Some(Codec::G726 { bits: 4, packing: Packing::Rfc3551 }));
    for (name, bits, packing) in [
        ("G726-16", 2, Packing::Rfc3551),
        ("g726-24", 3, Packing::Rfc3551),
        ("G726-32", 4, Packing::Rfc3551),
        ("G726-40", 5, Packing::Rfc3551),
        ("AAL2-G726-16", 2, Packing::Aal2),
        ("AAL2-G726-32", 4, Packing::Aal2),
        ("aal2-g726-40", 5, Packing::Aal2),
        ("G721", 4, Packing::Rfc3551),
    ] {
        assert_eq!(
            Codec::from_rtpmap(name, 8000, 1),
            Some(Codec::G726 { bits, packing }),
            "{name}"
        );
    }
    assert_eq!(Codec::from_rtpmap("G726-48", 8000, 1), None);
    assert_eq!(Codec::G726 { bits: 3, packing: Packing::Aal2 }.clock_rate(), 8000);
}

/// Through the generic decoder, also resampled to a 16 kHz timeline.
#[test]
fn generic_decoder_and_resampling() {
    let stream = data("g726-32-ffmpeg.g726le");
    let mut d = Decoder::new(Codec::G726 { bits: 4, packing: Packing::Rfc3551 }, 8000).unwrap();
    let mut out = Vec::new();
    d.decode(&stream[..80], &mut out).unwrap();
    assert_eq!(out.len(), 160);
    assert!(!d.can_conceal());
    let mut wide =
        Decoder::new(Codec::G726 { bits: 4, packing: Packing::Rfc3551 }, 16_000).unwrap();
    let mut out = Vec::new();
    for chunk in stream.chunks(80).take(10) {
        wide.decode(chunk, &mut out).unwrap();
    }
    assert!((3190..=3210).contains(&out.len()), "{}", out.len());
}
