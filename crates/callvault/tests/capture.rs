//! `callvault capture --read`: a capture of a transferred call becomes one
//! conversation with one stereo recording in the vault.

mod common;

use callvault_capture::synth;
use callvault_capture::{PcapWriter, Precision};
use callvault_media::codec::g711::linear_to_alaw;
use common::pcap::*;
use common::*;
use serde_json::Value;

#[test]
fn a_captured_blind_transfer_is_one_stereo_recording() {
    let pcap = common::pcap::blind_transfer("15551230000", 100, 150);
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    // `--read DIR`: the capture files in it, other files ignored.
    let dir = env.data_dir().join("captures");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("transfer.pcap"), pcap).unwrap();
    std::fs::write(dir.join("README.txt"), "not a capture").unwrap();
    let out = env.capture_read(&dir, "acme");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("1 conversations, 0 recovered from an interrupted run, 1 recordings stored"),
        "{text}"
    );
    // Spools are gone once the recording is in the vault.
    let spools = std::fs::read_dir(env.data_dir().join("spool")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spools, 0);

    let server = Server::start(&env);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let page: Value =
            get_json(&format!("{}/v1/conversations?number=15551230000", server.url), &key).await.1;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        let id = items[0]["id"].as_str().unwrap();
        let conv: Value = get_json(&format!("{}/v1/conversations/{id}", server.url), &key).await.1;
        let who: Vec<_> = conv["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["address"].as_str().unwrap_or("").to_owned())
            .collect();
        for n in ["15551230000", "100", "200"] {
            assert!(who.iter().any(|w| w == n), "{n} missing from {who:?}");
        }
        let rec = &conv["recordings"][0];
        assert_eq!(rec["source"], "capture");
        assert_eq!(rec["format"], "opus");
        assert_eq!(rec["channels"], 2);
        // 100 + 150 packets of 20 ms plus signalling, across the transfer.
        let ms = rec["duration_ms"].as_u64().unwrap();
        assert!((5000..5600).contains(&ms), "{ms}");
        let ids: Vec<_> = conv["external_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.contains(&"leg-1".to_owned()) && ids.contains(&"leg-2".to_owned()), "{ids:?}");
        // The REFER is on the timeline: the secretary transferred the
        // caller to 200.
        let secretary = conv["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["address"] == "100")
            .map(|p| p["id"].clone())
            .unwrap();
        let transfers: Vec<&Value> = conv["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "transfer")
            .collect();
        assert_eq!(transfers.len(), 1, "{:#}", conv["timeline"]);
        assert_eq!(transfers[0]["participant_id"], secretary, "{conv:#}");
        assert_eq!(transfers[0]["detail"]["target"], "200");
        assert_eq!(transfers[0]["detail"]["transferee"], "15551230000");
    });
}

#[test]
fn spools_of_a_capture_that_died_are_recovered_and_stored_once() {
    use std::time::Duration;

    use callvault_media::spool::SpoolConfig;
    use callvault_media::{Codec, FlowKey, PayloadMap, Recorder, RecorderConfig};
    use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};

    let env = Env::new();
    let key = env.tenant_with_key("acme");
    // A capture process that died: its lock file is left, unlocked, and its
    // spool holds 3 s of a call that never ended.
    let dead = "0123456789abcdef0123456789abcdef";
    std::fs::create_dir_all(env.data_dir().join("instances")).unwrap();
    std::fs::write(env.data_dir().join(format!("instances/{dead}.lock")), b"").unwrap();
    let spool = env.data_dir().join("spool").join(dead);
    std::fs::create_dir_all(&spool).unwrap();
    let t0 = Timestamp::from_secs_nanos(1_764_000_000, 0);
    let config = RecorderConfig {
        spool: SpoolConfig { dir: spool.clone(), ..SpoolConfig::default() },
        ..RecorderConfig::default()
    };
    let mut rec = Recorder::new(config, ConversationId::new(), t0).unwrap();
    let (caller, agent) = (ParticipantId::new(), ParticipantId::new());
    rec.participant_joined(t0, caller, Side::External, "15551230000");
    rec.participant_joined(t0, agent, Side::Company, "100");
    let mut pcma = PayloadMap::default();
    pcma.set(8, Codec::from_rtpmap("PCMA", 8000, 1).unwrap());
    rec.attach_flow(FlowKey(1), caller, Side::External, pcma.clone());
    rec.attach_flow(FlowKey(2), agent, Side::Company, pcma);
    for i in 0..150u16 {
        let now = t0 + Duration::from_millis(20 * u64::from(i) + 20);
        let samples: Vec<u8> =
            (0..160).map(|k| linear_to_alaw(((k as f64 * 0.3).sin() * 6000.0) as i16)).collect();
        rec.on_rtp(now, FlowKey(1), &synth::rtp(8, i, u32::from(i) * 160, 1, &samples));
        rec.on_rtp(now, FlowKey(2), &synth::rtp(8, i, u32::from(i) * 160, 2, &samples));
        rec.poll(now).unwrap();
    }
    drop(rec); // the crash: no close, no end record

    // The next capture run (here on an empty capture) recovers it first.
    let empty = env.data_dir().join("empty.pcap");
    let writer =
        PcapWriter::new(Vec::new(), callvault_capture::LinkType::ETHERNET, Precision::Micro)
            .unwrap();
    std::fs::write(&empty, writer.into_inner().unwrap()).unwrap();
    let args = ["capture", "--read", empty.to_str().unwrap(), "--tenant", "acme"];
    let out = env.cli(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("1 recovered from an interrupted run, 1 recordings stored"), "{text}");
    assert!(!spool.exists(), "the recovered spool is removed once stored");
    // Nothing left to recover: a second run stores nothing.
    let text = String::from_utf8_lossy(&env.cli(&args).stdout).into_owned();
    assert!(text.contains("0 recovered from an interrupted run, 0 recordings stored"), "{text}");

    let server = Server::start(&env);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let page: Value =
            get_json(&format!("{}/v1/conversations?number=15551230000", server.url), &key).await.1;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
        let id = page["items"][0]["id"].as_str().unwrap();
        let conv: Value = get_json(&format!("{}/v1/conversations/{id}", server.url), &key).await.1;
        let rec = &conv["recordings"][0];
        assert_eq!(rec["flags"], serde_json::json!(["cut_by_crash"]));
        // Audio up to the last sync (at least 2 s of the 3 s) survives.
        let ms = rec["duration_ms"].as_u64().unwrap();
        assert!((2000..=3100).contains(&ms), "{ms}");
    });
}

/// One call, answered, `packets` RTP packets each way, then (when `bye`)
/// hung up: a capture of its own, starting at `start_ms`.
fn one_call(
    call_id: &str,
    caller: &str,
    port: u16,
    start_ms: u64,
    packets: u16,
    bye: bool,
) -> Vec<u8> {
    let mut c = Capture::new(start_ms);
    let ext_media = format!("203.0.113.10:{port}");
    let sec_media = format!("10.0.0.20:{}", port + 10_000);
    call(&mut c, call_id, (caller, EXT, &ext_media), ("100", SEC, &sec_media));
    c.rtp(&ext_media, &sec_media, packets, u32::from(port));
    if bye {
        let bye = msg(
            &format!("BYE sip:100@{SEC} SIP/2.0"),
            &headers(call_id, (caller, EXT), ("100", SEC), "2 BYE", true),
            "",
        );
        c.sip(EXT, SEC, bye);
    }
    c.writer.into_inner().unwrap()
}

#[test]
fn a_truncated_capture_costs_only_what_follows_the_cut() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let dir = env.data_dir().join("captures");
    std::fs::create_dir_all(&dir).unwrap();
    let t0 = 1_764_000_000_000;
    // The first file is cut in the middle of its last packet, during a call.
    let mut cut = one_call("cut-1", "15551110001", 20_000, t0, 100, false);
    cut.truncate(cut.len() - 40);
    std::fs::write(dir.join("1-cut.pcap"), &cut).unwrap();
    std::fs::write(
        dir.join("2-good.pcap"),
        one_call("good-2", "15551110002", 20_100, t0 + 60_000, 50, true),
    )
    .unwrap();
    std::fs::write(
        dir.join("3-good.pcap"),
        one_call("good-3", "15551110003", 20_200, t0 + 120_000, 50, true),
    )
    .unwrap();
    let out = env.capture_read(&dir, "acme");
    let (text, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(5), "{text}{err}");
    assert!(
        text.contains("3 conversations, 0 recovered from an interrupted run, 3 recordings stored"),
        "{text}"
    );
    assert!(
        err.contains("warning: ") && err.contains("1-cut.pcap") && err.contains("truncated"),
        "{err}"
    );
    // Nothing is left in a spool to be stored twice later.
    let spools = std::fs::read_dir(env.data_dir().join("spool")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spools, 0);

    let server = Server::start(&env);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for (number, flags, min_ms) in [
            ("15551110001", serde_json::json!(["capture_gap"]), 1_800),
            ("15551110002", serde_json::json!([]), 900),
            ("15551110003", serde_json::json!([]), 900),
        ] {
            let page: Value =
                get_json(&format!("{}/v1/conversations?number={number}", server.url), &key).await.1;
            let items = page["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{number}: {page}");
            let id = items[0]["id"].as_str().unwrap();
            let conv: Value =
                get_json(&format!("{}/v1/conversations/{id}", server.url), &key).await.1;
            let rec = &conv["recordings"][0];
            assert_eq!(rec["flags"], flags, "{number}");
            assert!(rec["duration_ms"].as_u64().unwrap() >= min_ms, "{number}: {rec}");
        }
    });
}
