//! Crash safety: a child process records a call and is SIGKILLed at random
//! points (25 times); recovery must find every interrupted conversation with
//! all audio up to the last sync, bit-exact, flagged as cut by a crash, and
//! the rendered Ogg/Opus must decode.
//!
//! The child is this same test binary re-run with `CALLVAULT_SPOOL_CHILD`
//! set, executing only `spool_child`, which is a no-op otherwise.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use callvault_media::render::{ogg_opus, wav};
use callvault_media::spool::SpoolConfig;
use callvault_media::{
    FlowKey, Layout, OutputFormat, PayloadMap, Recorder, RecorderConfig, RenderOptions,
    recover_spool, remove_spool, render,
};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use common::{rtp, speech_8k};

const CHILD_ENV: &str = "CALLVAULT_SPOOL_CHILD";
const T0: Timestamp = Timestamp::from_secs_nanos(7, 0);
const SYNC: Duration = Duration::from_millis(500);

fn alaw(s: &[i16]) -> Vec<u8> {
    s.iter().map(|&x| callvault_media::codec::g711::linear_to_alaw(x)).collect()
}

/// Caller speech on the left, the same speech delayed by 1 s on the right.
fn source(i: usize, right: bool) -> Vec<i16> {
    let speech = speech_8k();
    let off = if right { speech.len() - 8000 } else { 0 };
    (0..160).map(|k| speech[(off + i * 160 + k) % speech.len()]).collect()
}

/// The writer: records until killed, printing `synced <packets>` after each
/// sync (the packets pushed before it are then durable).
#[test]
fn spool_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let cfg = RecorderConfig {
        spool: SpoolConfig { dir: dir.into(), sync_interval: SYNC, ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(cfg, ConversationId::new(), T0).unwrap();
    rec.attach_flow(FlowKey(1), ParticipantId::new(), Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), ParticipantId::new(), Side::Company, PayloadMap::default());
    let mut synced = 0;
    for i in 0..100_000usize {
        let now = T0 + Duration::from_millis(i as u64 * 20);
        rec.on_rtp(
            now,
            FlowKey(1),
            &rtp(1, i as u16, (i * 160) as u32, 8, false, &alaw(&source(i, false))),
        );
        rec.on_rtp(
            now,
            FlowKey(2),
            &rtp(2, i as u16, (i * 160) as u32, 8, false, &alaw(&source(i, true))),
        );
        rec.poll(now + Duration::from_millis(1)).unwrap();
        let s = rec.spool_syncs();
        if s != synced {
            synced = s;
            println!("synced {}", i + 1);
        }
        std::thread::sleep(Duration::from_micros(300));
    }
}

#[test]
fn sigkill_at_random_points_then_recover() {
    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = 0x5EED_CA11;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let runs = 25;
    let mut checked_audio = 0usize;
    for run in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&exe)
            .args(["--exact", "spool_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut last = 0usize;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("synced ") {
                    last = n.trim().parse().unwrap_or(last);
                }
            }
            last
        });
        // 30–700 ms: from before the first audio sync to many syncs in.
        std::thread::sleep(Duration::from_millis(30 + rand() % 670));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let synced_packets = reader.join().unwrap();

        let found = recover_spool(dir.path()).unwrap();
        if found.is_empty() {
            // killed while creating the spool, before anything was recorded
            assert_eq!(synced_packets, 0, "run {run}");
            continue;
        }
        assert_eq!(found.len(), 1, "run {run}");
        let tl = found[0].timeline.as_ref().unwrap();
        assert!(tl.cut_by_crash, "run {run}");
        // Everything up to the last sync we saw is there (a sync may have
        // completed after the last line we read, so ≥).
        let want = synced_packets as u64 * 160;
        assert!(tl.len_samples() >= want, "run {run}: {} < {want}", tl.len_samples());
        let out =
            render(tl, &RenderOptions { format: OutputFormat::WavPcm16, layout: Layout::Stereo })
                .unwrap();
        assert!(out.cut_by_crash);
        let (_, _, pcm) = wav::decode(&out.bytes).unwrap();
        for i in 0..synced_packets {
            assert!(
                pcm[0][i * 160..(i + 1) * 160] == source(i, false)[..],
                "run {run} left packet {i}"
            );
            assert!(
                pcm[1][i * 160..(i + 1) * 160] == source(i, true)[..],
                "run {run} right packet {i}"
            );
        }
        checked_audio += synced_packets;
        // The default rendering plays: it decodes to the recorded length.
        let opus = render(tl, &RenderOptions::default()).unwrap();
        let d = ogg_opus::decode(&opus.bytes).unwrap();
        assert_eq!(d.samples[0].len() as u64, tl.len_samples(), "run {run}");
        remove_spool(&found[0].path).unwrap();
        assert!(recover_spool(dir.path()).unwrap().is_empty());
    }
    // The kills landed after real audio most of the time.
    assert!(checked_audio > runs * 50, "only {checked_audio} packets checked");
}
