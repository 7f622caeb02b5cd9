//! Packet loss concealment in the recorder: a lost G.729 or Opus packet is
//! filled from the decoder's state (up to 60 ms of a loss, the rest silent),
//! codecs without concealment keep silence, and nothing is concealed across
//! a codec change, a re-attached flow or an absurd timestamp gap.
mod common;

use std::time::Duration;

use callvault_media::codec::opus::{OpusEncoder, OpusEncoderConfig};
use callvault_media::codec::{Codec, Decoder, MAX_CONCEAL_MS};
use callvault_media::recorder::CONCEAL_MAX_MS;
use callvault_media::render::wav;
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig, RecorderStats,
    RenderOptions, TimelineEvent, render,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use common::{energy, rtp};

const T0: Timestamp = Timestamp::from_secs_nanos(1000, 0);
const OPUS_PT: u8 = 111;

/// The first 300 frames of the G.729 fixture (the plausible part; the last
/// 100 are random bytes), two frames per 20 ms packet.
fn g729_packets() -> Vec<Vec<u8>> {
    let d =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g729-frames.bit")).unwrap();
    d[..3000].chunks_exact(20).map(<[u8]>::to_vec).collect()
}

/// A tone with a slow vibrato at `rate`, 3 s.
fn tone(rate: u32) -> Vec<i16> {
    (0..rate as usize * 3)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            ((2.0 * std::f64::consts::PI * (220.0 * t + 3.0 * (2.0 * t).sin())).sin() * 8000.0)
                as i16
        })
        .collect()
}

/// [`tone`] as 20 ms Opus packets and the tone at 16 kHz. `celt`: coded at
/// 48 kHz and 96 kbit/s, which libopus codes CELT-only; otherwise at 16 kHz
/// and 24 kbit/s, which it codes SILK-only (as telephony Opus mostly is).
fn opus_packets(celt: bool) -> (Vec<Vec<u8>>, Vec<i16>) {
    let rate = if celt { 48_000 } else { 16_000 };
    let mut enc = OpusEncoder::new(&OpusEncoderConfig {
        sample_rate: rate,
        channels: 1,
        bitrate: if celt { 96_000 } else { 24_000 },
        complexity: 5,
        dtx: false,
        uncoupled: false,
    })
    .unwrap();
    let mut buf = [0u8; 1500];
    let packets: Vec<Vec<u8>> = tone(rate)
        .chunks_exact(rate as usize / 50)
        .map(|f| {
            let n = enc.encode(f, &mut buf).unwrap();
            buf[..n].to_vec()
        })
        .collect();
    // TOC configurations 16..=31 are CELT-only, 0..=11 SILK-only.
    assert!(packets.iter().all(|p| (p[0] >> 3 >= 16) == celt && (p[0] >> 3 < 12) != celt));
    (packets, tone(16_000))
}

/// One packet of a flow: payload type, payload, and whether it is lost.
struct Sent<'a> {
    pt: u8,
    payload: &'a [u8],
    lost: bool,
}

/// Plays 20 ms packets (RTP timestamp step `ts_step`) of one flow into a
/// recorder at `rate`, the ones marked lost skipped, and renders mono.
/// `reattach_before` re-attaches the flow (a re-INVITE) before that packet.
fn play(
    rate: u32,
    map: &PayloadMap,
    ts_step: u32,
    packets: &[Sent<'_>],
    reattach_before: Option<usize>,
) -> (Vec<i16>, RecorderStats, Vec<TimelineEvent>) {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() },
        sample_rate: rate,
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(config, ConversationId::new(), T0).unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, map.clone());
    for (i, s) in packets.iter().enumerate() {
        let now = T0 + Duration::from_millis(i as u64 * 20);
        if reattach_before == Some(i) {
            rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, map.clone());
        }
        if !s.lost {
            let p = rtp(9, i as u16, i as u32 * ts_step, s.pt, i == 0, s.payload);
            rec.on_rtp(now, FlowKey(1), &p);
        }
        rec.poll(now).unwrap();
    }
    let stats = rec.stats();
    let tl = rec.close(T0 + Duration::from_millis(packets.len() as u64 * 20 + 100)).unwrap();
    assert_eq!(tl.start_sample, 0);
    let out = render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Mono })
        .unwrap();
    let (_, r, mut pcm) = wav::decode(&out.bytes).unwrap();
    assert_eq!(r, rate);
    (pcm.remove(0), stats, tl.events)
}

fn sent<'a>(pt: u8, payloads: &'a [Vec<u8>], lost: impl Fn(usize) -> bool) -> Vec<Sent<'a>> {
    payloads.iter().enumerate().map(|(i, p)| Sent { pt, payload: p, lost: lost(i) }).collect()
}

/// What a decoder fed the same packets, concealing `conceal` samples in
/// place of each run of lost packets and leaving the rest of it silent,
/// produces: the recorder's output must be exactly this.
fn model(codec: Codec, rate: u32, packets: &[Sent<'_>], conceal: usize) -> Vec<i16> {
    let per_packet = rate as usize / 50;
    let mut d = Decoder::new(codec, rate).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i < packets.len() {
        if packets[i].lost {
            let run = packets[i..].iter().take_while(|s| s.lost).count();
            let at = out.len();
            assert!(d.conceal(conceal, &mut out));
            assert_eq!(out.len(), at + conceal);
            out.resize(at + run * per_packet, 0);
            i += run;
        } else {
            let at = out.len();
            d.decode(packets[i].payload, &mut out).unwrap();
            assert_eq!(out.len(), at + per_packet);
            i += 1;
        }
    }
    out
}

/// Mean and largest energy of the three packets (`n` samples each) before
/// packet `k` and the three after `k + 1`.
fn neighbours(m: &[i16], k: usize, n: usize) -> (f64, f64) {
    let e: Vec<f64> =
        (k - 3..k).chain(k + 2..k + 5).map(|j| energy(&m[j * n..(j + 1) * n])).collect();
    (e.iter().sum::<f64>() / e.len() as f64, e.iter().copied().fold(0.0, f64::max))
}

/// The largest step between neighbouring samples in `s`.
fn max_step(s: &[i16]) -> i32 {
    s.windows(2).map(|w| (i32::from(w[1]) - i32::from(w[0])).abs()).max().unwrap_or(0)
}

#[test]
fn g729_lost_packet_is_concealed_not_silent() {
    let packets = g729_packets();
    let k = 60;
    let sends = sent(18, &packets, |i| i == k);
    let (m, stats, events) = play(8000, &PayloadMap::default(), 160, &sends, None);
    let gap = &m[k * 160..(k + 1) * 160];
    let before = &m[(k - 1) * 160..k * 160];
    let after = &m[(k + 1) * 160..(k + 2) * 160];
    assert!(energy(before) > 1e4, "the fixture is not quiet here: {}", energy(before));
    // Not silence, and at the level of the neighbours (no burst): the
    // synthetic fixture's level varies fivefold from packet to packet.
    let (mean, max) = neighbours(&m, k, 160);
    let e = energy(gap);
    assert!(e > mean * 0.05 && e < max * 4.0, "gap {e}, neighbours mean {mean} max {max}");
    // Continuous: no step at either edge larger than inside the neighbours.
    let limit = max_step(before).max(max_step(after)) * 3 / 2;
    assert!(max_step(&m[k * 160 - 1..k * 160 + 1]) <= limit);
    assert!(max_step(&m[(k + 1) * 160 - 1..(k + 1) * 160 + 1]) <= limit);
    // Exactly the decoder's concealment, and the next packets decoded from
    // the state it left.
    let expected = model(Codec::G729, 8000, &sends, 160);
    assert_eq!(&m[..expected.len()], &expected[..]);
    assert_eq!(stats.concealed_losses, 1);
    assert_eq!(stats.concealed_samples, 160);
    // The loss is still reported.
    assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
}

#[test]
fn g729_long_loss_is_concealed_only_up_to_the_cap() {
    let packets = g729_packets();
    let k = 60;
    // 500 ms lost.
    let sends = sent(18, &packets, |i| (k..k + 25).contains(&i));
    let (m, stats, events) = play(8000, &PayloadMap::default(), 160, &sends, None);
    let cap = (8000 * CONCEAL_MAX_MS / 1000) as usize;
    assert_eq!(cap, 480);
    let start = k * 160;
    assert!(energy(&m[start..start + cap]) > 1e3, "{}", energy(&m[start..start + cap]));
    assert!(m[start + cap..(k + 25) * 160].iter().all(|&s| s == 0));
    assert!(energy(&m[(k + 25) * 160..(k + 30) * 160]) > 0.0);
    let expected = model(Codec::G729, 8000, &sends, cap);
    assert_eq!(&m[..expected.len()], &expected[..]);
    assert_eq!(stats.concealed_losses, 1);
    assert_eq!(stats.concealed_samples, cap as u64);
    assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 25, .. })));
}

/// On a 16 kHz timeline the G.729 concealment goes through the resampler
/// like the decoded packets.
#[test]
fn g729_concealment_at_16_khz() {
    let packets = g729_packets();
    let k = 60;
    let sends = sent(18, &packets, |i| i == k || i == k + 1);
    let (m, stats, _) = play(16_000, &PayloadMap::default(), 160, &sends, None);
    let e = energy(&m[k * 320..(k + 2) * 320]);
    let (mean, max) = neighbours(&m, k, 320);
    assert!(e > mean * 0.05 && e < max * 4.0, "gap {e}, neighbours mean {mean} max {max}");
    assert_eq!(stats.concealed_samples, 640);
}

#[test]
fn opus_lost_packet_is_concealed_not_silent() {
    let (packets, tone) = opus_packets(true);
    let mut map = PayloadMap::default();
    map.set(OPUS_PT, Codec::Opus { channels: 1 });
    let k = 70;
    let sends = sent(OPUS_PT, &packets, |i| i == k);
    let (m, stats, _) = play(16_000, &map, 960, &sends, None);
    let gap = &m[k * 320..(k + 1) * 320];
    let before = &m[(k - 1) * 320..k * 320];
    let ratio = energy(gap) / energy(before);
    assert!((0.25..2.0).contains(&ratio), "gap/before energy {ratio}");
    // The concealment continues the tone (Opus's delay is a few ms: allow
    // a lag).
    let c = common::correlation(&tone[k * 320..(k + 1) * 320], gap, 120);
    assert!(c > 0.5, "correlation with the lost tone {c}");
    let expected = model(Codec::Opus { channels: 1 }, 16_000, &sends, 320);
    assert_eq!(&m[..expected.len()], &expected[..]);
    assert_eq!(stats.concealed_losses, 1);
    assert_eq!(stats.concealed_samples, 320);
}

#[test]
fn opus_long_loss_is_concealed_only_up_to_the_cap() {
    let (packets, _) = opus_packets(true);
    let mut map = PayloadMap::default();
    map.set(OPUS_PT, Codec::Opus { channels: 1 });
    let k = 70;
    let sends = sent(OPUS_PT, &packets, |i| (k..k + 25).contains(&i));
    let (m, stats, _) = play(16_000, &map, 960, &sends, None);
    let cap = (16_000 * CONCEAL_MAX_MS / 1000) as usize;
    let start = k * 320;
    assert!(energy(&m[start..start + cap]) > 1e4, "{}", energy(&m[start..start + cap]));
    assert!(m[start + cap..(k + 25) * 320].iter().all(|&s| s == 0));
    let expected = model(Codec::Opus { channels: 1 }, 16_000, &sends, cap);
    assert_eq!(&m[..expected.len()], &expected[..]);
    assert_eq!(stats.concealed_samples, cap as u64);
}

/// SILK concealment (most VoIP Opus): the lost packet is filled with a
/// continuation of the signal at a sane level, not silence and not the
/// full-scale output of unsafe-libopus 0.2.0 as published (patched in
/// vendor/). An empty payload still adds nothing.
#[test]
fn opus_silk_loss_is_concealed_not_silent() {
    use callvault_media::codec::opus::OpusDecoder;
    let (packets, _) = opus_packets(false);
    let mut d = OpusDecoder::new(16_000, 1).unwrap();
    assert!(!d.can_conceal(), "nothing decoded yet");
    d.decode(&packets[0], &mut Vec::new()).unwrap();
    assert!(d.can_conceal());
    let mut map = PayloadMap::default();
    map.set(OPUS_PT, Codec::Opus { channels: 1 });
    let k = 70;
    let mut sends = sent(OPUS_PT, &packets, |i| i == k);
    sends[k + 10].payload = &[];
    let (m, stats, events) = play(16_000, &map, 960, &sends, None);
    let gap = &m[k * 320..(k + 1) * 320];
    let ratio = energy(gap) / energy(&m[(k - 1) * 320..k * 320]);
    assert!((0.05..2.0).contains(&ratio), "gap/before energy {ratio}");
    assert!(m.iter().all(|&s| s.abs() < 16_000), "no full-scale concealment");
    assert!(m[(k + 10) * 320..(k + 11) * 320].iter().all(|&s| s == 0), "empty payload");
    assert_eq!(stats.concealed_losses, 1);
    assert_eq!(stats.decode_errors, 0);
    assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
}

#[test]
fn g722_loss_stays_silent() {
    use callvault_media::codec::g722::G722Encoder;
    let speech = common::speech_8k();
    let wide: Vec<i16> = speech.iter().flat_map(|&s| [s, s]).collect();
    let mut enc = G722Encoder::new();
    let packets: Vec<Vec<u8>> = wide
        .chunks_exact(320)
        .take(100)
        .map(|f| {
            let mut b = Vec::new();
            enc.encode(f, &mut b);
            b
        })
        .collect();
    let k = 50;
    let sends = sent(9, &packets, |i| i == k);
    for rate in [8000usize, 16_000] {
        let (m, stats, events) = play(rate as u32, &PayloadMap::default(), 160, &sends, None);
        let n = rate / 50;
        assert!(energy(&m[(k - 1) * n..k * n]) > 1e4);
        assert!(m[k * n..(k + 1) * n].iter().all(|&s| s == 0));
        assert_eq!(stats.concealed_samples, 0);
        assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
    }
}

/// G.729, a lost packet, then G.722 on the same stream: the old decoder
/// must not fill the gap (G.722 cannot). The other way round, the fresh
/// G.729 decoder has nothing to continue: no concealment either.
#[test]
fn no_concealment_across_a_codec_change() {
    use callvault_media::codec::g722::G722Encoder;
    let g729 = g729_packets();
    let mut enc = G722Encoder::new();
    let tone: Vec<i16> = (0..320).map(|i| ((i as f64 * 0.3).sin() * 6000.0) as i16).collect();
    let mut g722 = Vec::new();
    enc.encode(&tone, &mut g722);
    let k = 60;
    for g729_first in [true, false] {
        let sends: Vec<Sent<'_>> = (0..100)
            .map(|i| {
                let first = i < k;
                let (pt, payload) = if first == g729_first {
                    (18, g729[i].as_slice())
                } else {
                    (9, g722.as_slice())
                };
                Sent { pt, payload, lost: i == k }
            })
            .collect();
        let (m, stats, events) = play(8000, &PayloadMap::default(), 160, &sends, None);
        assert!(energy(&m[(k - 1) * 160..k * 160]) > 1e3);
        assert!(m[k * 160..(k + 1) * 160].iter().all(|&s| s == 0), "g729 first: {g729_first}");
        assert_eq!(stats.concealed_losses, 0, "g729 first: {g729_first}");
        assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
    }
}

/// A re-INVITE re-attaches the flow (a new stream, a new decoder) while the
/// sequence numbers run on: a loss across it is not concealed.
#[test]
fn no_concealment_across_a_reattached_flow() {
    let packets = g729_packets();
    let k = 60;
    let sends = sent(18, &packets, |i| i == k);
    let (m, stats, events) = play(8000, &PayloadMap::default(), 160, &sends, Some(k + 1));
    assert!(m[k * 160..(k + 1) * 160].iter().all(|&s| s == 0));
    assert_eq!(stats.concealed_losses, 0);
    assert!(events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
}

/// One packet lost but the timestamps jump by 2 s: the gap is not the
/// network's doing, and concealing its start would misplace audio.
#[test]
fn no_concealment_of_an_absurd_gap() {
    let packets = g729_packets();
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(config, ConversationId::new(), T0).unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    for (i, payload) in packets.iter().enumerate().take(100) {
        if i == 50 {
            continue;
        }
        let jump = if i > 50 { 16_000 } else { 0 };
        let now = T0 + Duration::from_millis(i as u64 * 20 + jump / 8);
        let p = rtp(9, i as u16, (i * 160) as u32 + jump as u32, 18, false, payload);
        rec.on_rtp(now, FlowKey(1), &p);
        rec.poll(now).unwrap();
    }
    let stats = rec.stats();
    let tl = rec.close(T0 + Duration::from_secs(5)).unwrap();
    assert!(tl.events.iter().any(|e| matches!(e, TimelineEvent::Loss { packets: 1, .. })));
    assert_eq!(stats.concealed_losses, 0);
    assert_eq!(stats.audio_packets, 99);
}

/// `Decoder::conceal` fills exactly the span asked for, at every output
/// rate, up to its own bound; codecs without concealment add nothing.
#[test]
fn decoder_conceal_fills_exactly_the_span() {
    let g729 = g729_packets();
    let (opus, _) = opus_packets(true);
    for rate in [8000u32, 16_000, 32_000, 48_000] {
        for (codec, payload) in [(Codec::G729, &g729[40]), (Codec::Opus { channels: 1 }, &opus[40])]
        {
            let mut d = Decoder::new(codec, rate).unwrap();
            let mut out = Vec::new();
            d.decode(payload, &mut out).unwrap();
            assert!(d.can_conceal());
            for n in [1usize, 79, 80, 100, 160, 333, 480, 700] {
                let mut c = Vec::new();
                assert!(d.conceal(n, &mut c), "{codec:?} at {rate}: {n}");
                assert_eq!(c.len(), n, "{codec:?} at {rate}");
            }
            let bound = (rate * MAX_CONCEAL_MS / 1000) as usize;
            let mut c = vec![7i16; 3];
            assert!(d.conceal(bound * 4, &mut c));
            assert_eq!(c.len(), 3 + bound);
            assert_eq!(&c[..3], &[7, 7, 7]);
            let mut le = vec![1u8];
            let mut scratch = Vec::new();
            assert!(d.conceal_le(50, &mut scratch, &mut le));
            assert_eq!(le.len(), 101);
            assert!(!d.conceal(0, &mut c));
        }
        for codec in [Codec::G722, Codec::Pcmu, Codec::Pcma, Codec::L16 { rate: 8000, channels: 1 }]
        {
            let mut d = Decoder::new(codec, rate).unwrap();
            assert!(!d.can_conceal());
            let mut c = Vec::new();
            assert!(!d.conceal(160, &mut c));
            assert!(c.is_empty());
            let mut le = Vec::new();
            assert!(!d.conceal_le(160, &mut c, &mut le));
            assert!(le.is_empty());
        }
    }
}

/// G.729 concealment through `Decoder` is the erased-frame procedure of
/// the G.729 decoder itself, cut to the span.
#[test]
fn decoder_conceal_is_g729_erasure() {
    use callvault_media::codec::g729::G729Decoder;
    let packets = g729_packets();
    let mut d = Decoder::new(Codec::G729, 8000).unwrap();
    let mut g = G729Decoder::new();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for p in &packets[..30] {
        d.decode(p, &mut a).unwrap();
        g.decode(p, &mut b);
    }
    assert!(d.conceal(120, &mut a));
    g.conceal(&mut b);
    g.conceal(&mut b);
    b.truncate(a.len());
    assert_eq!(a, b);
    assert!(energy(&a[a.len() - 120..]) > 0.0);
}
