//! The streaming renderer against the whole-buffer one it replaced
//! ([`legacy`]): the same bytes for every format and layout, on recorded
//! and synthetic timelines.
mod legacy;

use std::time::Duration;

use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use callvault_rtp::RtpPacket;

use super::{Layout, OutputFormat, RenderOptions, render, render_tracks};
use crate::codec::g711;
use crate::spool::{Record, SPOOL_VERSION, SpoolConfig, SpoolWriter};
use crate::timeline::{ClosedTimeline, side_to_u8};
use crate::{FlowKey, PayloadMap, Recorder, RecorderConfig};

fn formats() -> Vec<OutputFormat> {
    let mut f = vec![
        OutputFormat::WavPcm16,
        OutputFormat::WavPcmu,
        OutputFormat::WavPcma,
        OutputFormat::Flac,
        OutputFormat::default(),
        OutputFormat::Opus { bitrate_per_channel: 16_000, complexity: 5 },
    ];
    if cfg!(feature = "mp3") {
        f.push(OutputFormat::Mp3 { kbps: 32 });
    }
    f
}

/// A deterministic speech-like signal: a decaying chirp with noise, loud
/// enough that overlapping voices saturate.
fn voice(seed: u32, n: usize) -> Vec<i16> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let t = i as f64 / 8000.0;
            let tone = (t * (300.0 + 40.0 * f64::from(seed % 7)) * std::f64::consts::TAU).sin();
            let env = 0.5 + 0.5 * (t * 3.0).sin();
            (tone * env * 20_000.0) as i16 / 2 + (x % 2000) as i16 - 1000
        })
        .collect()
}

/// A recorded 8 kHz call: A-law caller (External), µ-law agent (Company),
/// a third party on the Unknown side joining late; reordering, loss, DTMF,
/// an undecodable payload and turn-taking silence.
fn recorded(dir: &std::path::Path) -> ClosedTimeline {
    let t0 = Timestamp::from_secs_nanos(100, 0);
    let cfg = RecorderConfig {
        spool: SpoolConfig { dir: dir.to_owned(), fsync: false, ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(cfg, ConversationId::new(), t0).unwrap();
    rec.participant_joined(t0, ParticipantId::new(), Side::External, "caller");
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
    let pkt = |ssrc: u32, seq: usize, pt: u8, payload: &[u8]| {
        let mut v = Vec::new();
        RtpPacket {
            marker: false,
            payload_type: pt,
            sequence: seq as u16,
            timestamp: (seq * 160) as u32,
            ssrc,
            csrc_bytes: &[],
            extension: None,
            payload,
        }
        .write(&mut v);
        v
    };
    let a = voice(1, 8000 * 9);
    let b = voice(2, 8000 * 9);
    let c = voice(3, 8000 * 9);
    let mut held: Option<Vec<u8>> = None;
    for i in 0..450usize {
        let now = t0 + Duration::from_millis(i as u64 * 20);
        let frame = |s: &[i16], law_a: bool| -> Vec<u8> {
            let s = &s[i * 160..(i + 1) * 160];
            if law_a {
                s.iter().map(|&x| g711::linear_to_alaw(x)).collect()
            } else {
                s.iter().map(|&x| g711::linear_to_ulaw(x)).collect()
            }
        };
        // caller talks in 2 s turns; silence in between is A-law idle
        let caller =
            if (i / 100) % 2 == 0 { frame(&a, true) } else { vec![g711::linear_to_alaw(0); 160] };
        if i % 37 != 5 {
            let p = pkt(1, i, 8, &caller);
            // every 23rd packet arrives after its successor
            if i % 23 == 7 {
                held = Some(p);
            } else {
                rec.on_rtp(now, FlowKey(1), &p);
                if let Some(h) = held.take() {
                    rec.on_rtp(now, FlowKey(1), &h);
                }
            }
        }
        let agent = if (i / 100) % 2 == 1 { frame(&b, false) } else { vec![0xff; 160] };
        match i {
            200..=204 => {
                // DTMF '5' on the agent's flow
                let d = (160 * (i - 199)).to_be_bytes();
                let ev = [5u8, if i == 204 { 0x80 } else { 0 } | 10, d[6], d[7]];
                rec.on_rtp(now, FlowKey(2), &pkt(2, i, 101, &ev));
            }
            300 => rec.on_rtp(now, FlowKey(2), &pkt(2, i, 96, &[1, 2, 3, 4])),
            _ => rec.on_rtp(now, FlowKey(2), &pkt(2, i, 0, &agent)),
        }
        if (120..380).contains(&i) {
            rec.on_rtp(now, FlowKey(3), &pkt(3, i, 8, &frame(&c, true)));
        }
        rec.poll(now).unwrap();
    }
    rec.close(t0 + Duration::from_secs(10)).unwrap()
}

/// Writes `records` after a `Begin` at `rate` and scans the spool.
fn spool(dir: &std::path::Path, name: &str, rate: u32, records: &[Record<'_>]) -> ClosedTimeline {
    let cfg = SpoolConfig { dir: dir.to_owned(), fsync: false, ..SpoolConfig::default() };
    let begin = Record::Begin {
        version: SPOOL_VERSION,
        conversation: [7; 16],
        origin_ns: 0,
        sample_rate: rate,
    };
    let mut w = SpoolWriter::create(&cfg, name, &begin, Timestamp::UNIX_EPOCH).unwrap();
    for r in records {
        w.append(r);
    }
    w.append(&Record::End { at_ns: 1 });
    w.sync(Timestamp::from_secs_nanos(1, 0)).unwrap();
    ClosedTimeline::from_spool(w.path()).unwrap()
}

fn le(pcm: &[i16]) -> Vec<u8> {
    pcm.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// 16 kHz PCM from four streams (two External, a Company one that is
/// re-declared Unknown later, an undeclared one), overlapping, out of order
/// by up to 3 s, one record written 25 s late, empty records, long gaps.
fn synthetic_16k(dir: &std::path::Path) -> ClosedTimeline {
    let stream = |stream: u16, side: Side, p: u8| Record::Stream {
        stream,
        participant: [p; 16],
        side: side_to_u8(side),
    };
    let chunks: Vec<(u16, u64, Vec<u8>)> = {
        let mut v = Vec::new();
        // (stream, start, samples): 10 s of talk on streams 0 and 1 in 40 ms
        // records, written in reverse order within each second
        let start = 16_000 * 3; // first audio 3 s after origin
        for sec in 0..10u64 {
            let mut second = Vec::new();
            for k in 0..25u64 {
                let at = start + sec * 16_000 + k * 640;
                let s = (sec * 25 + k) as u32;
                second.push((0u16, at, le(&voice(s, 640))));
                if sec % 3 != 2 {
                    second.push((1u16, at + 17, le(&voice(s + 1000, 640))));
                }
            }
            second.reverse();
            v.extend(second);
        }
        // a 2 s burst on stream 2 overlapping stream 0 (saturation)
        v.push((2, start + 5 * 16_000, le(&vec![i16::MAX / 2 + 7; 32_000])));
        v.push((2, start + 5 * 16_000, le(&vec![i16::MIN / 2 - 9; 16_000])));
        // silence gap, then 2 s more on the undeclared stream 9
        v.push((9, start + 30 * 16_000, le(&voice(77, 32_000))));
        // written late: belongs 25 s back
        v.push((1, start + 7 * 16_000 + 3, le(&voice(78, 3_000))));
        v.push((0, start + 20 * 16_000, Vec::new()));
        v
    };
    let mut records = vec![
        stream(0, Side::External, 1),
        stream(1, Side::Company, 2),
        stream(2, Side::External, 3),
    ];
    for (i, (s, at, pcm)) in chunks.iter().enumerate() {
        if i == 100 {
            records.push(stream(1, Side::Unknown, 2));
            records.push(Record::Dtmf {
                stream: 1,
                start: *at,
                event: 1,
                volume: 9,
                duration: 800,
            });
            records.push(Record::Loss { stream: 0, start: *at, packets: 3 });
            records.push(Record::Raw {
                stream: 0,
                start: *at,
                payload_type: 99,
                payload: &[9; 33],
            });
        }
        records.push(Record::Audio { stream: *s, start: *at, pcm });
    }
    spool(dir, "synthetic", 16_000, &records)
}

/// Every format and layout, and per-participant tracks, byte for byte.
/// Returns `len:crc32` of each reference file in order, which the callers
/// pin to what the renderer of commit 2a4dd12 wrote (so that the reference
/// copy cannot drift either).
fn check_identical(tl: &ClosedTimeline) -> Vec<String> {
    let mut digests = Vec::new();
    for format in formats() {
        for layout in [Layout::Stereo, Layout::Mono] {
            let options = RenderOptions { format, layout };
            let old = legacy::render(tl, &options).unwrap();
            let new = render(tl, &options).unwrap();
            assert!(old.bytes == new.bytes, "{format:?} {layout:?}: bytes differ");
            assert_eq!(old, new, "{format:?} {layout:?}");
            digests.push(format!("{}:{:08x}", old.bytes.len(), crc32fast::hash(&old.bytes)));
        }
    }
    for format in [OutputFormat::WavPcm16, OutputFormat::Flac, OutputFormat::default()] {
        let old = legacy::render_tracks(tl, format).unwrap();
        let new = render_tracks(tl, format).unwrap();
        assert_eq!(old.len(), new.len());
        for ((po, o), (pn, n)) in old.iter().zip(&new) {
            assert_eq!(po, pn);
            assert!(o.bytes == n.bytes, "tracks {format:?}: bytes differ");
            assert_eq!(o, n);
            digests.push(format!("{}:{:08x}", o.bytes.len(), crc32fast::hash(&o.bytes)));
        }
    }
    digests
}

#[test]
fn recorded_call_renders_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let tl = recorded(dir.path());
    assert_eq!(tl.streams.len(), 3);
    assert!(tl.len_samples() > 8000 * 8);
    let d = check_identical(&tl);
    if cfg!(feature = "mp3") {
        assert_eq!(d, RECORDED_BEFORE, "digests of the pre-streaming renderer");
    }
}

#[test]
fn synthetic_wideband_renders_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let tl = synthetic_16k(dir.path());
    assert_eq!(tl.sample_rate, 16_000);
    let d = check_identical(&tl);
    if cfg!(feature = "mp3") {
        assert_eq!(d, SYNTHETIC_BEFORE, "digests of the pre-streaming renderer");
    }
}

#[test]
fn empty_and_tiny_timelines_render_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let empty = spool(dir.path(), "empty", 8000, &[]);
    assert_eq!(empty.len_samples(), 0);
    let d = check_identical(&empty);
    if cfg!(feature = "mp3") {
        assert_eq!(d, EMPTY_BEFORE, "digests of the pre-streaming renderer");
    }
    let pcm = le(&voice(5, 100));
    let tiny = spool(dir.path(), "tiny", 8000, &[Record::Audio { stream: 0, start: 9, pcm: &pcm }]);
    assert_eq!(tiny.len_samples(), 100);
    let d = check_identical(&tiny);
    if cfg!(feature = "mp3") {
        assert_eq!(d, TINY_BEFORE, "digests of the pre-streaming renderer");
    }
}

/// `len:crc32` of the files the renderer of commit 2a4dd12 wrote.
const EMPTY_BEFORE: &[&str] = &[
    "44:67c61e21",
    "44:36f8ea71",
    "58:2f5aaefd",
    "58:2548e74f",
    "58:a2d2531f",
    "58:a8c01aad",
    "42:6d7e53bb",
    "42:432e9a3b",
    "196:01cdebbb",
    "176:4c6fb69c",
    "198:ca58b646",
    "177:35d3b3a4",
    "864:bec6768c",
    "864:221cb35a",
];

/// `len:crc32` of the files the renderer of commit 2a4dd12 wrote.
const TINY_BEFORE: &[&str] = &[
    "444:a1396363",
    "244:b639e3d8",
    "258:7887fd2c",
    "158:05223054",
    "258:9918b0c3",
    "158:0942f0f1",
    "216:52b9095d",
    "213:618ed818",
    "262:5b765b3c",
    "209:a48e1e96",
    "280:9aac35fd",
    "218:28a3a5d1",
    "1152:9c733398",
    "1152:df8f4167",
];

/// `len:crc32` of the files the renderer of commit 2a4dd12 wrote.
const RECORDED_BEFORE: &[&str] = &[
    "288044:a317fb54",
    "144044:068b97fe",
    "144058:f4c797ec",
    "72058:5125e404",
    "144058:d270cb74",
    "72058:99386d62",
    "167191:93f85221",
    "107448:17b752be",
    "17301:2c224a0b",
    "10315:7f9fe235",
    "27482:2a7ead87",
    "16711:ab738c2c",
    "36864:3f9a7dd7",
    "36864:47660471",
    "144044:a1d34721",
    "144044:dab7b3f0",
    "144044:e740afec",
    "61611:9814775c",
    "47873:aa19c1c1",
    "61322:df6b4789",
    "7082:11b1031b",
    "6071:00ff1f99",
    "7208:6de915c9",
];

/// `len:crc32` of the files the renderer of commit 2a4dd12 wrote.
const SYNTHETIC_BEFORE: &[&str] = &[
    "2048044:c9d753b4",
    "1024044:bb00ba2a",
    "1024058:23cbe1fe",
    "512058:5a33c159",
    "1024058:e3e12043",
    "512058:1b2ef4e8",
    "461187:b4462c32",
    "297591:9e3eadb9",
    "35451:7c74cfac",
    "19231:847a60fc",
    "55853:b37a90cd",
    "30579:10d1d320",
    "128304:9767cc4b",
    "128304:67bbda40",
    "1024044:c4e97cf7",
    "1024044:e7ede198",
    "1024044:617f1daf",
    "242711:0526de18",
    "172518:e5b72bdc",
    "3181:d818deed",
    "17706:eb053cc1",
    "15620:9cf6d08d",
    "9120:81fe3d16",
];

/// Stereo routing as [`render`] does it.
fn stereo(tl: &ClosedTimeline) -> impl Fn(u16) -> &'static [usize] + '_ {
    |s| match tl.side_of(s) {
        Side::External => &[0],
        Side::Company => &[1],
        Side::Unknown => &[0, 1],
    }
}

/// The windows of [`super::mix::mix_windows_with`] put end to end, checking
/// that each is full but the last.
fn windowed(tl: &ClosedTimeline, window: usize, max_ring: usize) -> Vec<Vec<i16>> {
    let mut out = vec![Vec::new(), Vec::new()];
    let mut short = false;
    super::mix::mix_windows_with(tl, 2, stereo(tl), window, max_ring, |w| {
        assert!(!short, "a short window before the last");
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].len(), w[1].len());
        assert!(!w[0].is_empty() && w[0].len() <= window);
        short = w[0].len() < window;
        for (o, w) in out.iter_mut().zip(w) {
            o.extend_from_slice(w);
        }
        Ok(())
    })
    .unwrap();
    out
}

/// Small windows, and ring bounds below what the records reach back, so
/// that both the ring and the scan-per-segment paths run.
#[test]
fn windowed_mix_matches_the_whole_buffer_mix() {
    let dir = tempfile::tempdir().unwrap();
    for tl in [recorded(dir.path()), synthetic_16k(dir.path())] {
        let whole = legacy::mix(&tl, 2, stereo(&tl)).unwrap();
        for (window, max_ring) in [(7, 60_000), (333, 1 << 21), (16_384, 20_000), (1 << 20, 1)] {
            assert!(windowed(&tl, window, max_ring) == whole, "window {window}, ring {max_ring}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Any order of overlapping PCM and G.711 records, any window and ring.
    #[test]
    fn windowed_mix_matches_on_random_spools(
        recs in proptest::collection::vec(
            (0u16..4, 0u64..6000, 0usize..500, proptest::bool::ANY, proptest::num::i16::ANY),
            0..60,
        ),
        window in 1usize..700,
        max_ring in 1usize..4000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let pcm: Vec<Vec<u8>> = recs
            .iter()
            .map(|&(_, _, n, g711, v)| {
                if g711 {
                    (0..n).map(|i| (v as u8).wrapping_add(i as u8)).collect()
                } else {
                    le(&(0..n).map(|i| v.wrapping_add((i as i16).wrapping_mul(97))).collect::<Vec<_>>())
                }
            })
            .collect();
        let mut records = vec![
            Record::Stream { stream: 0, participant: [1; 16], side: side_to_u8(Side::External) },
            Record::Stream { stream: 1, participant: [2; 16], side: side_to_u8(Side::Company) },
        ];
        for (&(stream, start, _, g711, v), bytes) in recs.iter().zip(&pcm) {
            records.push(if g711 {
                let law = if v < 0 { crate::spool::G711Law::A } else { crate::spool::G711Law::Mu };
                Record::G711 { stream, start, law, payload: bytes }
            } else {
                Record::Audio { stream, start, pcm: bytes }
            });
        }
        let tl = spool(dir.path(), "random", 8000, &records);
        let whole = legacy::mix(&tl, 2, stereo(&tl)).unwrap();
        proptest::prop_assert!(windowed(&tl, window, max_ring) == whole);
    }
}
