//! Media engine benchmarks (`cargo bench -p callvault-media`). Prints:
//! - RTP packets/s per core through parse → reorder → decode → spool for
//!   G.711 calls (with the real 1 s fsync per call, and without it);
//! - render speed (× real time per channel, one core) and bytes per stereo
//!   call-minute per format, and `opusenc` on the same audio when installed;
//! - G.729 decode speed (× real time, one core);
//! - peak heap while rendering, per format, for a 1 and a 10 minute call;
//! - memory per active call (counted by a tracking allocator).
#![allow(unsafe_code)] // the counting global allocator below

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use callvault_media::codec::g711;
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig, RenderOptions, render,
    render_to,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use callvault_rtp::RtpPacket;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Highest `LIVE` since the last [`reset_peak`].
static PEAK: AtomicIsize = AtomicIsize::new(0);

/// Starts a peak measurement; returns the live bytes at its start.
fn reset_peak() -> isize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: AllocLayout) -> *mut u8 {
        let live = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: AllocLayout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn speech() -> Vec<i16> {
    let d =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g711a-rtp.pcap")).unwrap();
    let mut pos = 24;
    let mut pcm = Vec::new();
    while pos + 16 <= d.len() {
        let incl = u32::from_le_bytes(d[pos + 8..pos + 12].try_into().unwrap()) as usize;
        let pkt = &d[pos + 16..pos + 16 + incl];
        pos += 16 + incl;
        let p = RtpPacket::parse(&pkt[42..]).unwrap();
        g711::decode_alaw(p.payload, &mut pcm);
    }
    pcm
}

fn rtp(ssrc: u32, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    RtpPacket {
        marker: false,
        payload_type: 8,
        sequence: seq,
        timestamp: ts,
        ssrc,
        csrc_bytes: &[],
        extension: None,
        payload,
    }
    .write(&mut v);
    v
}

fn config(dir: &std::path::Path, sync: Duration) -> RecorderConfig {
    config_fsync(dir, sync, true)
}

fn config_fsync(dir: &std::path::Path, sync: Duration, fsync: bool) -> RecorderConfig {
    RecorderConfig {
        spool: SpoolConfig {
            dir: dir.to_owned(),
            sync_interval: sync,
            fsync,
            ..SpoolConfig::default()
        },
        ..RecorderConfig::default()
    }
}

/// `calls` concurrent G.711 calls of `secs` seconds, packets interleaved in
/// arrival order as a capture would deliver them.
#[derive(Clone, Copy, PartialEq)]
enum Sync {
    Inline,
    Deferred,
    Off,
}

/// Returns (packets/s on the packet thread, packets, wall time incl. syncs).
fn packets_per_second(calls: usize, secs: usize, mode: Sync) -> (f64, u64, f64) {
    let fsync = mode != Sync::Off;
    let dir = tempfile::tempdir().unwrap();
    let t0 = Timestamp::from_secs_nanos(1, 0);
    let pcm = speech();
    let alaw: Vec<u8> = pcm.iter().map(|&s| g711::linear_to_alaw(s)).collect();
    let frames: Vec<&[u8]> = alaw.chunks_exact(160).collect();
    let mut recs: Vec<Recorder> = (0..calls)
        .map(|_| {
            let mut r = Recorder::new(
                config_fsync(dir.path(), Duration::from_secs(1), fsync),
                ConversationId::new(),
                t0,
            )
            .unwrap();
            r.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
            r.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
            r
        })
        .collect();
    // Pre-build one packet per (flow, tick) for a ring of frames.
    let n = secs * 50;
    let mut total = 0u64;
    let mut buf = Vec::with_capacity(200);
    // I/O threads running deferred fsyncs
    let (tx, rx) = std::sync::mpsc::channel::<callvault_media::spool::PendingSync>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let io: Vec<_> = (0..8)
        .map(|_| {
            let rx = std::sync::Arc::clone(&rx);
            std::thread::spawn(move || {
                loop {
                    let job = rx.lock().unwrap().recv();
                    match job {
                        Ok(j) => j.run().unwrap(),
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let mut packet_time = Duration::ZERO;
    let start = Instant::now();
    for i in 0..n {
        let now = t0 + Duration::from_millis(i as u64 * 20);
        let f = frames[i % frames.len()];
        for (c, rec) in recs.iter_mut().enumerate() {
            for flow in 1..=2u64 {
                buf.clear();
                RtpPacket {
                    marker: false,
                    payload_type: 8,
                    sequence: i as u16,
                    timestamp: (i * 160) as u32,
                    ssrc: (c as u32) << 1 | flow as u32,
                    csrc_bytes: &[],
                    extension: None,
                    payload: f,
                }
                .write(&mut buf);
                rec.on_rtp(now, FlowKey(flow), &buf);
                total += 1;
            }
            if mode == Sync::Deferred {
                if let Some(p) = rec.poll_deferred(now).unwrap() {
                    tx.send(p).unwrap();
                }
            } else {
                rec.poll(now).unwrap();
            }
        }
    }
    packet_time += start.elapsed();
    drop(tx);
    for t in io {
        t.join().unwrap();
    }
    let wall = start.elapsed().as_secs_f64();
    let _ = rtp;
    (total as f64 / packet_time.as_secs_f64(), total, wall)
}

/// One call, one flow of `pt` packets (20 ms each, 3000 of them, cycling
/// through `payloads`), fsync off; every `lose_every`-th packet is not sent
/// (0: none). Returns packets handled per second, best of 5.
fn decoded_packets_per_second(pt: u8, payloads: &[&[u8]], lose_every: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Timestamp::from_secs_nanos(1, 0);
    let mut best = 0f64;
    let mut buf = Vec::with_capacity(400);
    for _ in 0..5 {
        let mut r = Recorder::new(
            config_fsync(dir.path(), Duration::from_secs(1), false),
            ConversationId::new(),
            t0,
        )
        .unwrap();
        r.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
        let mut sent = 0u64;
        let start = Instant::now();
        for i in 0..3000usize {
            let now = t0 + Duration::from_millis(i as u64 * 20);
            if lose_every == 0 || i % lose_every != lose_every - 1 {
                buf.clear();
                RtpPacket {
                    marker: false,
                    payload_type: pt,
                    sequence: i as u16,
                    timestamp: (i * 160) as u32,
                    ssrc: 1,
                    csrc_bytes: &[],
                    extension: None,
                    payload: payloads[i % payloads.len()],
                }
                .write(&mut buf);
                r.on_rtp(now, FlowKey(1), &buf);
                sent += 1;
            }
            r.poll(now).unwrap();
        }
        best = best.max(sent as f64 / start.elapsed().as_secs_f64());
        r.finish(t0 + Duration::from_secs(61)).unwrap();
    }
    best
}

/// A 60 s stereo conversation: the parties take turns of ~3 s (each side
/// silent while the other talks, as in real calls).
fn conversation(dir: &std::path::Path) -> (callvault_media::ClosedTimeline, Vec<i16>, Vec<i16>) {
    conversation_of(dir, 60, true)
}

/// [`conversation`] lasting `secs`.
fn conversation_of(
    dir: &std::path::Path,
    secs: usize,
    fsync: bool,
) -> (callvault_media::ClosedTimeline, Vec<i16>, Vec<i16>) {
    let pcm = speech();
    let t0 = Timestamp::from_secs_nanos(1, 0);
    let mut rec =
        Recorder::new(config_fsync(dir, Duration::from_secs(1), fsync), ConversationId::new(), t0)
            .unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
    let mut left = Vec::new();
    let mut right = Vec::new();
    let silence = [g711::linear_to_alaw(0); 160];
    for i in 0..secs * 50 {
        let now = t0 + Duration::from_millis(i as u64 * 20);
        let talker_left = (i / 150) % 2 == 0;
        let k = (i * 160) % (pcm.len() - 160);
        let frame: Vec<u8> = pcm[k..k + 160].iter().map(|&s| g711::linear_to_alaw(s)).collect();
        let (l, r): (&[u8], &[u8]) =
            if talker_left { (&frame, &silence) } else { (&silence, &frame) };
        left.extend(l.iter().map(|&b| g711::ALAW_DECODE[usize::from(b)]));
        right.extend(r.iter().map(|&b| g711::ALAW_DECODE[usize::from(b)]));
        rec.on_rtp(now, FlowKey(1), &rtp(1, i as u16, (i * 160) as u32, l));
        rec.on_rtp(now, FlowKey(2), &rtp(2, i as u16, (i * 160) as u32, r));
        rec.poll(now).unwrap();
    }
    (rec.close(t0 + Duration::from_secs(secs as u64 + 1)).unwrap(), left, right)
}

/// Delivery's transcode: a 10-minute stereo call stored as the vault stores
/// it (Ogg/Opus 2×10 kbit/s) made into MP3 (and WAV), one core.
fn transcode_bench() {
    use callvault_media::render::ogg_opus;
    use callvault_media::transcode::{DeliveryTarget, transcode_bytes};
    use callvault_model::AudioFormat;
    let pcm = speech();
    let secs = 600usize;
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for i in 0..secs * 50 {
        let k = (i * 160) % (pcm.len() - 160);
        let talker_left = (i / 150) % 2 == 0;
        let (l, r) = if talker_left {
            (&pcm[k..k + 160], &[0i16; 160][..])
        } else {
            (&[0i16; 160][..], &pcm[k..k + 160])
        };
        left.extend_from_slice(l);
        right.extend_from_slice(r);
    }
    let opus = ogg_opus::encode(&[left, right], 8000, 20_000, 0).unwrap();
    println!(
        "## Transcode for delivery: {} min stereo call, Ogg/Opus ({} KiB) →",
        secs / 60,
        opus.len() / 1024
    );
    println!("{:<10} {:>14} {:>12} {:>14}", "target", "x real time", "KiB", "peak heap KiB");
    for (name, target) in [("MP3", DeliveryTarget::Mp3), ("WAV", DeliveryTarget::Wav)] {
        let mut best = f64::MAX;
        let mut out_len = 0;
        let mut peak = 0.0;
        for _ in 0..3 {
            let base = reset_peak();
            let t = Instant::now();
            let (out, _) = transcode_bytes(&opus, AudioFormat::Opus, target).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            peak = (PEAK.load(Ordering::Relaxed) - base) as f64 / 1024.0;
            out_len = out.len();
        }
        println!("{name:<10} {:>14.0} {:>12} {:>14.0}", secs as f64 / best, out_len / 1024, peak);
    }
    println!();
}

/// CPU time of the calling thread (from /proc/thread-self/schedstat, in
/// ns, updated at scheduler ticks), which other processes on a shared
/// machine inflate less than wall time; 0 where unavailable.
fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

/// The Opus encoder alone (default settings) on both-silent and
/// both-talking (continuous double talk) audio, best of three runs.
fn opus_encoder_only(left: &[i16], right: &[i16], secs: f64) {
    let n = left.len();
    let zeros = vec![0i16; n];
    // Continuous double talk: each side carries the sum of both parties.
    let talk: Vec<i16> = left.iter().zip(right).map(|(l, r)| l.wrapping_add(*r)).collect();
    for (name, l, r) in [
        ("Opus encoder only, both sides silent", &zeros, &zeros),
        ("Opus encoder only, both sides talking", &talk, &talk),
    ] {
        let input = [l.clone(), r.clone()];
        let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
        let mut size = 0;
        for _ in 0..5 {
            let (start, cpu) = (Instant::now(), thread_cpu_secs());
            let b = callvault_media::render::ogg_opus::encode(&input, 8000, 20_000, 0).unwrap();
            best = best.min(start.elapsed().as_secs_f64());
            best_cpu = best_cpu.min(thread_cpu_secs() - cpu);
            size = b.len();
        }
        // schedstat advances with the scheduler tick: too coarse below ~50 ms.
        let cpu = if best_cpu >= 0.05 {
            format!("({:.0} x by thread CPU time)", secs * 2.0 / best_cpu)
        } else {
            String::new()
        };
        println!(
            "{:<44} {:>14.0} {:>16.0}   {cpu}",
            name,
            secs * 2.0 / best,
            size as f64 * 60.0 / secs
        );
    }
}

/// Peak heap (KiB) of a [`render_to`] into a sink that keeps nothing.
fn render_to_sink_peak(tl: &callvault_media::ClosedTimeline, format: OutputFormat) -> f64 {
    let base = reset_peak();
    render_to(tl, &RenderOptions { format, layout: Layout::Stereo }, &mut std::io::sink()).unwrap();
    (PEAK.load(Ordering::Relaxed) - base) as f64 / 1024.0
}

fn main() {
    // Ignore libtest-style flags cargo bench passes (e.g. --bench).
    println!("callvault-media benchmarks (release, one thread = one core)\n");

    // CALLVAULT_BENCH=ingest|render|opus|decode|decoded|memory|transcode runs one section (for profiling).
    let only = std::env::var("CALLVAULT_BENCH").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only == name;
    if run("ingest") {
        // 1. packets/s
        let (pps_sync, n, _) = packets_per_second(200, 30, Sync::Inline);
        let (pps_def, _, wall_def) = packets_per_second(200, 30, Sync::Deferred);
        let (pps_nosync, _, _) = packets_per_second(200, 30, Sync::Off);
        let (pps_one, _, _) = packets_per_second(1, 3000, Sync::Off);
        println!(
            "## RTP ingest: parse → reorder → decode → spool (G.711, 200 calls × 2 flows × 30 s, {n} packets)"
        );
        println!(
            "with 1 s fsync per call : {:>10.0} packets/s per core  (= {:.0} concurrent calls at 100 packets/s)",
            pps_sync,
            pps_sync / 100.0
        );
        println!(
            "fsync on 8 I/O threads  : {:>10.0} packets/s per core on the packet thread; {} fsyncs done in {:.1} s wall",
            pps_def,
            200 * 30,
            wall_def
        );
        println!(
            "1 s write, no fsync     : {:>10.0} packets/s per core  (= {:.0} concurrent calls)",
            pps_nosync,
            pps_nosync / 100.0
        );
        println!("one call (cache-warm)   : {:>10.0} packets/s per core\n", pps_one);
    }
    if run("transcode") {
        transcode_bench();
    }
    if run("render") {
        // 2. render
        let dir = tempfile::tempdir().unwrap();
        let (tl, left, right) = conversation(dir.path());
        let secs = tl.len_samples() as f64 / f64::from(tl.sample_rate);
        println!("## Render: {secs:.0} s stereo conversation at 8 kHz (turn-taking speech)");
        println!(
            "{:<44} {:>14} {:>16} {:>14} {:>16}",
            "format", "x real time/ch", "bytes/stereo-min", "peak heap KiB", "render_to KiB"
        );
        let formats: Vec<(&str, OutputFormat)> = vec![
            ("Ogg/Opus 2×10 kbit/s cx0 (default)", OutputFormat::default()),
            (
                "Ogg/Opus 2×8 kbit/s cx0",
                OutputFormat::Opus { bitrate_per_channel: 8000, complexity: 0 },
            ),
            (
                "Ogg/Opus 2×16 kbit/s cx5",
                OutputFormat::Opus { bitrate_per_channel: 16_000, complexity: 5 },
            ),
            ("WAV PCM16", OutputFormat::WavPcm16),
            ("WAV A-law", OutputFormat::WavPcma),
            ("WAV µ-law", OutputFormat::WavPcmu),
            ("FLAC", OutputFormat::Flac),
            ("MP3 32 kbit/s", OutputFormat::Mp3 { kbps: 32 }),
        ];
        for (name, f) in &formats {
            let reps = 3;
            let start = Instant::now();
            let mut size = 0;
            let base = reset_peak();
            for _ in 0..reps {
                size = render(&tl, &RenderOptions { format: *f, layout: Layout::Stereo })
                    .map(|r| r.bytes.len())
                    .unwrap_or(0);
            }
            let el = start.elapsed().as_secs_f64() / f64::from(reps);
            let peak = (PEAK.load(Ordering::Relaxed) - base) as f64 / 1024.0;
            let streamed = render_to_sink_peak(&tl, *f);
            println!(
                "{:<44} {:>14.0} {:>16.0} {:>14.0} {:>16.0}",
                name,
                secs * 2.0 / el,
                size as f64 * 60.0 / secs,
                peak,
                streamed
            );
        }
        opus_encoder_only(&left, &right, secs);
        // mix only (reading the spool), to separate it from encoding
        let start = Instant::now();
        callvault_media::render::mix_windows(
            &tl,
            2,
            |s| if s == 0 { &[0] } else { &[1] },
            |_| Ok(()),
        )
        .unwrap();
        let el = start.elapsed().as_secs_f64();
        println!("{:<44} {:>14.0}", "(spool read + mix alone)", secs * 2.0 / el);

        // opusenc comparison
        let wav_path = dir.path().join("conv.wav");
        std::fs::write(
            &wav_path,
            callvault_media::render::wav::encode(
                &[left, right],
                8000,
                callvault_media::render::wav::WavCodec::Pcm16,
            )
            .unwrap(),
        )
        .unwrap();
        let out_path = dir.path().join("conv.opus");
        let start = Instant::now();
        match std::process::Command::new("opusenc")
            .args(["--quiet", "--bitrate", "20", "--speech"])
            .arg(&wav_path)
            .arg(&out_path)
            .status()
        {
            Ok(s) if s.success() => {
                let el = start.elapsed().as_secs_f64();
                let size = std::fs::metadata(&out_path).map(|m| m.len()).unwrap_or(0);
                println!(
                    "{:<44} {:>14.0} {:>16.0}",
                    "opusenc --bitrate 20 --speech (48 kHz, CLI)",
                    secs * 2.0 / el,
                    size as f64 * 60.0 / secs
                );
            }
            _ => println!("opusenc not installed: comparison skipped (apt-get install opus-tools)"),
        }
        println!();

        // peak heap against call length: the same speech for 10 minutes
        let long_dir = tempfile::tempdir().unwrap();
        let (long, _, _) = conversation_of(long_dir.path(), 600, false);
        println!("## Render peak heap, 10 min stereo conversation at 8 kHz (one render each)");
        println!(
            "{:<44} {:>14} {:>16} {:>16}",
            "format", "x real time/ch", "peak heap KiB", "render_to KiB"
        );
        for (name, f) in &formats {
            let start = Instant::now();
            let base = reset_peak();
            let ok = render(&long, &RenderOptions { format: *f, layout: Layout::Stereo }).is_ok();
            let el = start.elapsed().as_secs_f64();
            let peak = (PEAK.load(Ordering::Relaxed) - base) as f64 / 1024.0;
            let secs = long.len_samples() as f64 / f64::from(long.sample_rate);
            let streamed = render_to_sink_peak(&long, *f);
            println!(
                "{:<44} {:>14.0} {:>16.0} {:>16.0}{}",
                name,
                secs * 2.0 / el,
                peak,
                streamed,
                if ok { "" } else { "  (failed)" }
            );
        }
        println!();
    }
    if run("opus") {
        // the Opus encoder alone, for profiling
        let dir = tempfile::tempdir().unwrap();
        let (tl, left, right) = conversation(dir.path());
        let secs = tl.len_samples() as f64 / f64::from(tl.sample_rate);
        println!("## Opus encoder alone, {secs:.0} s stereo at 8 kHz");
        opus_encoder_only(&left, &right, secs);
        println!();
    }
    if run("decode") {
        // 3. G.729 decoding (the only decoder with real DSP cost besides Opus)
        let frames =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g729-frames.bit"))
                .unwrap();
        let bits: Vec<u8> = frames.iter().copied().cycle().take(frames.len() * 15).collect();
        let secs = (bits.len() / 10) as f64 * 0.01;
        let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
        for _ in 0..5 {
            let mut d = callvault_media::codec::g729::G729Decoder::new();
            let mut out = Vec::with_capacity(bits.len() * 8);
            let (start, cpu) = (Instant::now(), thread_cpu_secs());
            for packet in bits.chunks(20) {
                d.decode(packet, &mut out);
            }
            best = best.min(start.elapsed().as_secs_f64());
            best_cpu = best_cpu.min(thread_cpu_secs() - cpu);
            assert_eq!(out.len(), bits.len() * 8);
        }
        println!("## Decode: G.729 ({secs:.0} s, 2 frames per packet, one stream)");
        println!(
            "G.729 decode            : {:>10.0} x real time per core ({:.0} x by thread CPU time)\n",
            secs / best,
            secs / best_cpu
        );
    }
    if run("decoded") {
        // 3b. the packet path for codecs decoded at packet time (one call,
        // no fsync): loss-free, and with every 25th packet lost.
        let frames =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g729-frames.bit"))
                .unwrap();
        let g729: Vec<u8> = frames.iter().copied().cycle().take(frames.len() * 15).collect();
        let g729: Vec<&[u8]> = g729.chunks_exact(20).collect();
        let pcm16: Vec<i16> = speech().iter().flat_map(|&s| [s, s]).collect();
        let mut enc = callvault_media::codec::g722::G722Encoder::new();
        let g722: Vec<Vec<u8>> = pcm16
            .chunks_exact(320)
            .map(|f| {
                let mut b = Vec::new();
                enc.encode(f, &mut b);
                b
            })
            .collect();
        let g722: Vec<&[u8]> = g722.iter().map(Vec::as_slice).collect();
        println!("## RTP ingest, codecs decoded at packet time (one call, no fsync, best of 5)");
        for (name, pt, packets, lose_every) in [
            ("G.729, no loss", 18u8, &g729, 0usize),
            ("G.729, 4 % loss", 18, &g729, 25),
            ("G.722, no loss", 9, &g722, 0),
            ("G.722, 4 % loss", 9, &g722, 25),
        ] {
            let pps = decoded_packets_per_second(pt, packets, lose_every);
            println!("{name:<24}: {pps:>10.0} packets/s per core");
        }
        println!();
    }
    if run("memory") {
        // 4. memory per active call
        let dir = tempfile::tempdir().unwrap();
        let calls = 1000;
        let before = LIVE.load(Ordering::Relaxed);
        let mut recs = Vec::with_capacity(calls);
        let base = LIVE.load(Ordering::Relaxed);
        let t0 = Timestamp::from_secs_nanos(1, 0);
        let frame = [0xd5u8; 160];
        for c in 0..calls {
            let mut r = Recorder::new(
                config(dir.path(), Duration::from_secs(1)),
                ConversationId::new(),
                t0,
            )
            .unwrap();
            r.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
            r.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
            for i in 0..20usize {
                let now = t0 + Duration::from_millis(i as u64 * 20);
                r.on_rtp(now, FlowKey(1), &rtp(c as u32, i as u16, (i * 160) as u32, &frame));
                r.on_rtp(now, FlowKey(2), &rtp(c as u32, i as u16, (i * 160) as u32, &frame));
            }
            recs.push(r);
        }
        let after = LIVE.load(Ordering::Relaxed);
        let spool_buffers: usize = recs.iter().map(|r| r.spool_buffer_bytes()).sum();
        let per_call =
            (after - base) as f64 / calls as f64 + std::mem::size_of::<Recorder>() as f64;
        let per_call_ex = per_call - spool_buffers as f64 / calls as f64;
        println!(
            "## Memory per active G.711 call (2 flows, measured with a counting allocator over {calls} calls)"
        );
        println!("total heap + inline       : {per_call:>8.0} bytes");
        println!("spool write buffer        : {:>8.0} bytes", spool_buffers as f64 / calls as f64);
        println!("excluding spool buffer    : {per_call_ex:>8.0} bytes (target ≤ 65536)");
        println!("size_of::<Recorder>()     : {:>8} bytes", std::mem::size_of::<Recorder>());
        let _ = before;
        drop(recs);
    }
}
