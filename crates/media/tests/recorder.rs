//! Conversation scenarios on virtual time: transfer, DTMF, unknown payloads,
//! comfort noise, hold; rendered and checked sample by sample.
mod common;

use std::time::Duration;

use callvault_media::render::wav;
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    Codec, FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig, RenderOptions,
    TimelineEvent, render, render_tracks,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use common::{energy, rtp, speech_8k};

const T0: Timestamp = Timestamp::from_secs_nanos(1000, 0);

fn at(ms: u64) -> Timestamp {
    T0 + Duration::from_millis(ms)
}

fn config(dir: &std::path::Path) -> RecorderConfig {
    RecorderConfig {
        spool: SpoolConfig { dir: dir.to_owned(), ..SpoolConfig::default() },
        ..RecorderConfig::default()
    }
}

/// The speech fixture (30 ms packets) re-cut into 20 ms A-law frames.
fn alaw_frames() -> Vec<Vec<u8>> {
    let all: Vec<u8> = common::fixture_rtp()
        .into_iter()
        .flat_map(|(_, b)| callvault_rtp::RtpPacket::parse(&b).unwrap().payload.to_vec())
        .collect();
    all.chunks_exact(160).map(<[u8]>::to_vec).collect()
}

struct Sender {
    ssrc: u32,
    seq: u16,
    ts: u32,
}

impl Sender {
    fn packet(&mut self, pt: u8, payload: &[u8]) -> Vec<u8> {
        let p = rtp(self.ssrc, self.seq, self.ts, pt, false, payload);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(160);
        p
    }
}

/// The field's first failure: the caller talks to the secretary, who
/// transfers to a colleague and hangs up. The recording must go on until the
/// last hang-up, with the caller on the left throughout.
#[test]
fn transfer_keeps_recording_until_last_hang_up() {
    let dir = tempfile::tempdir().unwrap();
    let conv = ConversationId::new();
    let mut rec = Recorder::new(config(dir.path()), conv, T0).unwrap();
    let (caller, secretary, colleague) =
        (ParticipantId::new(), ParticipantId::new(), ParticipantId::new());
    rec.participant_joined(at(0), caller, Side::External, "caller");
    rec.participant_joined(at(0), secretary, Side::Company, "secretary");
    rec.attach_flow(FlowKey(1), caller, Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), secretary, Side::Company, PayloadMap::default());
    let frames = alaw_frames();
    let mut a = Sender { ssrc: 0xCA11_0000, seq: 0, ts: 0 };
    // Same SSRC as the caller's, opposite direction (sipp does this).
    let mut b = Sender { ssrc: 0xCA11_0000, seq: 0, ts: 0 };
    for i in 0..1000u64 {
        let now = at(i * 20);
        let f = &frames[i as usize % frames.len()];
        // caller: DTMF '5' instead of audio at 2.0–2.1 s, an unknown payload
        // type at 3 s
        if (100..105).contains(&i) {
            let end = if i >= 103 { 0x8a } else { 0x0a };
            let dur = ((i - 99) * 160) as u16;
            let mut p =
                rtp(a.ssrc, a.seq, 16_000, 101, i == 100, &[5, end, (dur >> 8) as u8, dur as u8]);
            a.seq = a.seq.wrapping_add(1);
            if i == 104 {
                a.ts = 16_000 + 800;
            }
            rec.on_rtp(now, FlowKey(1), &p);
            p.clear();
        } else if i == 150 {
            let p = a.packet(96, &[1, 2, 3]);
            rec.on_rtp(now, FlowKey(1), &p);
        } else {
            let p = a.packet(8, f);
            rec.on_rtp(now, FlowKey(1), &p);
        }
        // secretary: speaks until 8 s (comfort noise 4–5 s), then leaves;
        if i < 400 {
            let p = if (200..250).contains(&i) { b.packet(13, &[40]) } else { b.packet(8, f) };
            rec.on_rtp(now, FlowKey(2), &p);
        }
        if i == 400 {
            rec.participant_left(now, secretary);
            rec.participant_joined(now, colleague, Side::Company, "colleague");
            // the PBX reuses the leg: same flow, new SSRC, new participant
            rec.attach_flow(FlowKey(2), colleague, Side::Company, PayloadMap::default());
            b = Sender { ssrc: 0x0BAD_CAFE, seq: 40_000, ts: 7 };
        }
        // colleague from 9 s to 20 s
        if i >= 450 {
            let p = b.packet(8, f);
            rec.on_rtp(now, FlowKey(2), &p);
        }
        rec.poll(now + Duration::from_millis(1)).unwrap();
    }
    rec.participant_left(at(20_000), colleague);
    rec.participant_left(at(20_000), caller);
    let stats = rec.stats();
    let tl = rec.close(at(20_100)).unwrap();
    assert!(!tl.cut_by_crash);
    assert_eq!(tl.start_sample, 0);
    assert!((tl.duration_ms() as i64 - 20_000).abs() <= 20, "{}", tl.duration_ms());
    assert_eq!(tl.streams.len(), 3);
    assert_eq!(stats.comfort_noise, 50);
    assert_eq!(tl.participants.len(), 3);
    let sec = tl.participants.iter().find(|p| p.participant == secretary).unwrap();
    assert_eq!((sec.joined_ms, sec.left_ms), (Some(0), Some(8000)));
    // DTMF kept as an event, once, not as audio
    let dtmf: Vec<_> =
        tl.events.iter().filter(|e| matches!(e, TimelineEvent::Dtmf { .. })).collect();
    assert_eq!(dtmf.len(), 1, "{:?}", tl.events);
    let TimelineEvent::Dtmf { offset_ms, event, duration_ms, .. } = dtmf[0] else { unreachable!() };
    assert_eq!((*offset_ms, *event, *duration_ms), (2000, 5, 80));
    assert!(tl.events.iter().any(|e| matches!(
        e,
        TimelineEvent::UndecodedPayload { offset_ms: 3000, payload_type: 96, bytes: 3, .. }
    )));

    let out =
        render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Stereo })
            .unwrap();
    let (ch, rate, pcm) = wav::decode(&out.bytes).unwrap();
    assert_eq!((ch, rate), (2, 8000));
    let (left, right) = (&pcm[0], &pcm[1]);
    assert_eq!(left.len() as u64, tl.len_samples());
    let s = |ms: u64| (ms * 8) as usize;
    // caller audible to the very end, after the secretary hung up
    assert!(energy(&left[s(19_000)..s(20_000)]) > 1e4);
    // left is exactly the caller's decoded speech (alignment), except DTMF
    let speech = speech_8k();
    assert!(left[..s(2000)] == speech[..s(2000)]);
    assert!(left[s(2000)..s(2100)].iter().all(|&x| x == 0), "dtmf is not audio");
    assert!(left[s(3000)..s(3020)].iter().all(|&x| x == 0), "unknown payload is not audio");
    // right: secretary, comfort-noise silence, gap during transfer, colleague
    assert!(energy(&right[s(1000)..s(2000)]) > 1e4);
    assert!(right[s(4000)..s(5000)].iter().all(|&x| x == 0));
    assert!(right[s(8000)..s(9000)].iter().all(|&x| x == 0));
    assert!(energy(&right[s(10_000)..s(20_000)]) > 1e4);
    let k = 450 % frames.len() * 160;
    assert!(right[s(9000)..s(9000) + 800] == speech[k..k + 800]);

    // per-participant tracks line up with the whole conversation
    let tracks = render_tracks(&tl, OutputFormat::WavPcm16).unwrap();
    assert_eq!(tracks.len(), 3);
    for (p, f) in &tracks {
        let (_, _, t) = wav::decode(&f.bytes).unwrap();
        assert_eq!(t[0].len() as u64, tl.len_samples());
        if *p == colleague {
            assert!(t[0][..s(9000)].iter().all(|&x| x == 0));
            assert!(energy(&t[0][s(9000)..]) > 1e4);
        }
    }
    // mono mix
    let mono = render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Mono })
        .unwrap();
    assert_eq!(mono.channels, 1);
}

/// Hold: the far end stops sending for 5 s and resumes with timestamps that
/// did not advance. The silence stays on the wall clock.
#[test]
fn hold_gap_is_silence_on_the_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder::new(config(dir.path()), ConversationId::new(), T0).unwrap();
    let frames = alaw_frames();
    let mut a = Sender { ssrc: 1, seq: 65_500, ts: u32::MAX - 1000 };
    for i in 0..100u64 {
        let now = if i < 50 { at(i * 20) } else { at(5000 + i * 20) };
        let p = a.packet(8, &frames[i as usize]);
        rec.on_rtp(now, FlowKey(9), &p);
        rec.poll(now).unwrap();
    }
    let tl = rec.close(at(8000)).unwrap();
    assert_eq!(tl.duration_ms(), 7000);
    let out = render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Mono })
        .unwrap();
    let (_, _, pcm) = wav::decode(&out.bytes).unwrap();
    let m = &pcm[0];
    assert!(m[8000..48_000].iter().all(|&x| x == 0));
    let speech = speech_8k();
    assert!(m[48_000..48_000 + 8000] == speech[8000..16_000]);
}

/// Opus and G.722 flows mixed in one conversation, with an SDP-declared
/// dynamic payload type, at a 16 kHz timeline.
#[test]
fn wideband_codecs_on_one_timeline() {
    use callvault_media::codec::g722::G722Encoder;
    use callvault_media::codec::opus::{OpusEncoder, OpusEncoderConfig};
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.sample_rate = 16_000;
    let mut rec = Recorder::new(cfg, ConversationId::new(), T0).unwrap();
    let mut map = PayloadMap::default();
    map.set(111, Codec::Opus { channels: 2 });
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, map);
    rec.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
    let tone: Vec<i16> =
        (0..16_000 * 2).map(|i| ((i as f64 * 0.2).sin() * 8000.0) as i16).collect();
    let mut g = G722Encoder::new();
    let mut o = OpusEncoder::new(&OpusEncoderConfig {
        sample_rate: 16_000,
        channels: 1,
        bitrate: 24_000,
        complexity: 0,
        dtx: false,
        uncoupled: false,
    })
    .unwrap();
    let mut buf = [0u8; 1500];
    for i in 0..100usize {
        let now = at(i as u64 * 20);
        let frame = &tone[i * 320..(i + 1) * 320];
        let n = o.encode(frame, &mut buf).unwrap();
        let p = rtp(5, i as u16, (i * 960) as u32, 111, false, &buf[..n]);
        rec.on_rtp(now, FlowKey(1), &p);
        let mut gb = Vec::new();
        g.encode(frame, &mut gb);
        let p = rtp(6, i as u16, (i * 160) as u32, 9, false, &gb);
        rec.on_rtp(now, FlowKey(2), &p);
        rec.poll(now).unwrap();
    }
    let tl = rec.close(at(2100)).unwrap();
    assert_eq!(tl.sample_rate, 16_000);
    assert_eq!(tl.duration_ms(), 2000);
    let out =
        render(&tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Stereo })
            .unwrap();
    let (_, rate, pcm) = wav::decode(&out.bytes).unwrap();
    assert_eq!(rate, 16_000);
    let c_opus = common::correlation(&tone[4000..28_000], &pcm[0][4000..28_000], 200);
    let c_g722 = common::correlation(&tone[4000..28_000], &pcm[1][4000..28_000], 200);
    assert!(c_opus > 0.9 && c_g722 > 0.9, "opus {c_opus} g722 {c_g722}");
}

/// Malformed datagrams and RTCP are counted, never fatal.
#[test]
fn garbage_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder::new(config(dir.path()), ConversationId::new(), T0).unwrap();
    rec.on_rtp(at(0), FlowKey(1), &[0x80]);
    rec.on_rtp(at(0), FlowKey(1), &[0x81, 0xc9, 0, 1, 0, 0, 0, 1]);
    rec.on_rtp(at(0), FlowKey(1), &[]);
    let s = rec.stats();
    assert_eq!((s.malformed, s.rtcp, s.packets), (2, 1, 3));
    let tl = rec.close(at(10)).unwrap();
    assert_eq!(tl.len_samples(), 0);
    let out = render(&tl, &RenderOptions::default()).unwrap();
    assert_eq!(out.duration_ms, 0);
}

/// A spool is bounded: past `max_bytes` media is dropped, the recording is
/// flagged truncated at that point, and the call still closes cleanly.
#[test]
fn spool_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.spool.max_bytes = 20_000;
    let mut rec = Recorder::new(cfg, ConversationId::new(), T0).unwrap();
    let frames = alaw_frames();
    let mut a = Sender { ssrc: 1, seq: 0, ts: 0 };
    for i in 0..500u64 {
        let p = a.packet(8, &frames[i as usize % frames.len()]);
        rec.on_rtp(at(i * 20), FlowKey(1), &p);
        rec.poll(at(i * 20)).unwrap();
    }
    let path = rec.spool_path().to_owned();
    let tl = rec.close(at(10_000)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 20_000 + 4096, "spool grew to {size}");
    let cut = tl.truncated_at.expect("flagged truncated");
    assert_eq!(tl.end_sample, cut);
    assert!(!tl.cut_by_crash);
    // ~180 spool bytes per 20 ms G.711 packet (spooled as it came): 20 000
    // bytes hold ~2.2 s
    assert!((16_000..20_000).contains(&cut), "{cut}");
}

/// The SRC stops sending 10 s before its BYE: the recording is extended
/// with silence to the session's end and the gap is on the timeline; a
/// recording whose media reaches the end is left alone, and so is a spool
/// cut by a crash (no end is known).
#[test]
fn recording_covers_the_session_after_media_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder::new(config(dir.path()), ConversationId::new(), T0).unwrap();
    let caller = ParticipantId::new();
    rec.attach_flow(FlowKey(1), caller, Side::External, PayloadMap::default());
    let mut s = Sender { ssrc: 7, seq: 0, ts: 0 };
    let frames = alaw_frames();
    // 2 s of speech from t = 1 s, then nothing until the BYE at 12 s.
    for i in 0..100u64 {
        let frame = &frames[i as usize % frames.len()];
        rec.on_rtp(at(1000 + i * 20), FlowKey(1), &s.packet(8, frame));
    }
    let mut tl = rec.close(at(12_000)).unwrap();
    assert_eq!(tl.duration_ms(), 2000, "as spooled, the media alone");
    assert_eq!(tl.closed_at, Some(at(12_000)));
    let end = tl.closed_at.unwrap();
    let (from, samples) = tl.cover_until_end(end, Duration::from_secs(1)).unwrap();
    assert_eq!((from, samples), (3 * 8000, 9 * 8000));
    assert_eq!(tl.duration_ms(), 11_000, "from the first packet to the BYE");
    assert!(tl.events.contains(&TimelineEvent::MediaGap { offset_ms: 2000, duration_ms: 9000 }));
    let opts = RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Mono };
    let file = render(&tl, &opts).unwrap();
    assert_eq!(file.duration_ms, 11_000);
    let (_, _, channels) = wav::decode(&file.bytes).unwrap();
    let pcm = &channels[0];
    assert_eq!(pcm.len(), 11 * 8000);
    assert!(energy(&pcm[..16_000]) > 0.0);
    assert!(pcm[16_000..].iter().all(|&x| x == 0), "silence where nothing arrived");
    // Covering again adds nothing; nor does an end within the threshold.
    assert_eq!(tl.cover_until_end(end, Duration::from_secs(1)), None);
    let mut rec = Recorder::new(config(dir.path()), ConversationId::new(), T0).unwrap();
    rec.attach_flow(FlowKey(1), caller, Side::External, PayloadMap::default());
    for i in 0..100u64 {
        rec.on_rtp(at(1000 + i * 20), FlowKey(1), &s.packet(8, &frames[0]));
    }
    let mut tl = rec.close(at(3500)).unwrap();
    assert_eq!(tl.cover_until_end(at(3500), Duration::from_secs(1)), None);
    assert_eq!(tl.duration_ms(), 2000);
    // Nothing recorded: nothing to cover.
    let rec = Recorder::new(config(dir.path()), ConversationId::new(), T0).unwrap();
    let mut tl = rec.close(at(9000)).unwrap();
    assert_eq!(tl.cover_until_end(at(9000), Duration::from_secs(1)), None);
    assert_eq!(tl.len_samples(), 0);
}
