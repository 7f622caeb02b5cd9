//! The SIPREC recording server inside `callvault serve`, driven by sipp
//! acting as the SRC (scenarios in tests/data/siprec). sipp does the
//! signalling; RTP goes from this test to the ports the SRS answered
//! (sipp cannot read ports out of a multipart answer, so the scenarios
//! write them to a file). Each test checks the conversation, its
//! participants and the rendered audio through the API.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/siprec");
const EXTERNAL: &str = "tel:+14155550100";
const AGENT: &str = "sip:101@pbx.example.com";
const COLLEAGUE: &str = "sip:102@pbx.example.com";
/// Tones of the two streams: stream 1 (the external party) and stream 2.
const TONES: [f64; 2] = [440.0, 1000.0];

fn sipp_present() -> bool {
    let ok = Command::new("sipp").arg("-v").output().is_ok();
    if !ok && std::env::var_os("CV_TEST_SKIP_SERVICES").is_some() {
        eprintln!("skipped: sipp is not installed and CV_TEST_SKIP_SERVICES is set");
        return false;
    }
    assert!(ok, "sipp is not installed (Debian package sip-tester; scripts/test.sh installs it)");
    true
}

/// A UDP port whose TCP twin is free too.
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Srs {
    env: Env,
    server: Server,
    sip: SocketAddr,
    key: String,
}

impl Srs {
    fn start(extra: &[(&str, &str)]) -> Srs {
        let port = free_port();
        let mut env = Env::new()
            .with("CALLVAULT_SIP__ENABLED", "true")
            .with("CALLVAULT_SIP__LISTEN", &format!("127.0.0.1:{port}"))
            .with("CALLVAULT_SIP__RTP_PORTS", "30000-39999")
            .with("CALLVAULT_SIP__DEFAULT_TENANT", "acme");
        for (k, v) in extra {
            env = env.with(k, v);
        }
        let key = env.tenant_with_key("acme");
        let server = Server::start(&env);
        Srs { env, server, sip: SocketAddr::from(([127, 0, 0, 1], port)), key }
    }

    async fn conversations(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/v1/conversations?limit=100", self.server.url);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = get_json(&url, &self.key).await;
            assert_eq!(status, 200, "{page}");
            out.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
    }

    /// Waits until `n` conversations hold `recordings` recordings in all.
    async fn wait_recordings(&self, conversations: usize, recordings: u64) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let list = self.conversations().await;
            let total: u64 = list.iter().map(|c| c["recording_count"].as_u64().unwrap()).sum();
            if list.len() >= conversations && total >= recordings {
                return list;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {conversations} conversations / {recordings} recordings, have {} / {total}",
                list.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn detail(&self, id: &str) -> Value {
        let (status, d) =
            get_json(&format!("{}/v1/conversations/{id}", self.server.url), &self.key).await;
        assert_eq!(status, 200, "{d}");
        d
    }

    async fn audio(&self, recording: &str) -> callvault_media::render::ogg_opus::DecodedOpus {
        let resp = reqwest::Client::new()
            .get(format!("{}/v1/recordings/{recording}/audio", self.server.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let bytes = resp.bytes().await.unwrap();
        callvault_media::render::ogg_opus::decode(&bytes).unwrap()
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.server.url)).await.unwrap().text().await.unwrap()
    }
}

/// One sipp process playing an SRC.
struct Sipp {
    child: Child,
    dir: tempfile::TempDir,
    portfile: PathBuf,
}

impl Sipp {
    fn start(scenario: &str, srs: SocketAddr, keys: &[(&str, &str)], args: &[&str]) -> Sipp {
        let dir = tempfile::tempdir().unwrap();
        let portfile = dir.path().join("ports");
        std::fs::write(&portfile, b"").unwrap();
        let local = free_port().to_string();
        let mut cmd = Command::new("sipp");
        cmd.current_dir(dir.path())
            .arg("-sf")
            .arg(Path::new(SCENARIOS).join(scenario))
            .arg(srs.to_string())
            .args(["-i", "127.0.0.1", "-p", &local, "-nostdin", "-trace_err"])
            .args(["-timeout", "90s", "-timeout_error", "-max_recv_loops", "10000"])
            .arg("-key")
            .arg("portfile")
            .arg(&portfile);
        for (k, v) in keys {
            cmd.args(["-key", k, v]);
        }
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        Sipp { child: cmd.spawn().expect("sipp"), dir, portfile }
    }

    /// Waits for sipp and asserts every call succeeded.
    fn finish(mut self) {
        let status = self.child.wait().unwrap();
        if !status.success() {
            let mut out = String::new();
            let _ = self.child.stdout.take().unwrap().read_to_string(&mut out);
            let mut logs = String::new();
            for e in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
                if e.file_name().to_string_lossy().ends_with(".log") {
                    logs.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
            let tail: String = out
                .lines()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!("sipp failed ({status}):\n{tail}\n--- logs ---\n{logs}");
        }
    }
}

/// When a call's streams carry audio, in ms after the SRS answered.
#[derive(Clone)]
struct Plan(Vec<(u64, u64)>);

/// Sends G.711 A-law RTP (a tone per stream) to the ports each call of
/// `portfiles` announces, following `plan`, until `calls` calls have been
/// played. Returns packets sent.
fn feed(
    portfiles: Vec<(PathBuf, Vec<f64>)>,
    plan: Plan,
    calls: usize,
) -> std::thread::JoinHandle<u64> {
    feed_from("127.0.0.1:0", 0x1000, portfiles, plan, calls)
}

/// [`feed`] from the address `bind`, with SSRCs counting up from `ssrc`.
fn feed_from(
    bind: &'static str,
    mut ssrc: u32,
    portfiles: Vec<(PathBuf, Vec<f64>)>,
    plan: Plan,
    calls: usize,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let sock = UdpSocket::bind(bind).unwrap();
        struct Call {
            start: Instant,
            streams: Vec<(u16, f64, u32)>,
        }
        let mut seen: HashMap<(usize, String), ()> = HashMap::new();
        let mut live: Vec<Call> = Vec::new();
        let mut done = 0usize;
        let mut sent = 0u64;
        let end = plan.0.iter().map(|s| s.1).max().unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(150);
        let mut tick = Instant::now();
        // Whole periods of the (integral) test tones fit in one second.
        let mut tables: HashMap<u64, Vec<u8>> = HashMap::new();
        while done < calls && Instant::now() < deadline {
            for (i, (file, tones)) in portfiles.iter().enumerate() {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                for line in text.lines() {
                    if seen.insert((i, line.to_owned()), ()).is_some() {
                        continue;
                    }
                    let ports: Vec<u16> =
                        line.split_whitespace().skip(1).filter_map(|p| p.parse().ok()).collect();
                    let streams = ports
                        .iter()
                        .zip(tones)
                        .map(|(p, f)| {
                            ssrc += 1;
                            (*p, *f, ssrc)
                        })
                        .collect();
                    live.push(Call { start: Instant::now(), streams });
                }
            }
            let now = Instant::now();
            live.retain(|c| {
                let ms = now.duration_since(c.start).as_millis() as u64;
                if ms >= end {
                    done += 1;
                    return false;
                }
                if plan.0.iter().any(|(a, b)| ms >= *a && ms < *b) {
                    let n = ms / 20;
                    for (port, f, ssrc) in &c.streams {
                        // One second of each tone, encoded once: a loaded
                        // machine must not make the feeder fall behind.
                        let second = tables.entry(f.to_bits()).or_insert_with(|| {
                            (0..8000u32)
                                .map(|k| {
                                    let t = f64::from(k) / 8000.0;
                                    callvault_media::codec::g711::linear_to_alaw(
                                        (8000.0 * (t * f * std::f64::consts::TAU).sin()) as i16,
                                    )
                                })
                                .collect::<Vec<u8>>()
                        });
                        let at = ((n * 160) % 8000) as usize;
                        let mut pkt = vec![0x80, 8];
                        pkt.extend_from_slice(&(n as u16).to_be_bytes());
                        pkt.extend_from_slice(&((n * 160) as u32).to_be_bytes());
                        pkt.extend_from_slice(&ssrc.to_be_bytes());
                        pkt.extend_from_slice(&second[at..at + 160]);
                        let _ = sock.send_to(&pkt, ("127.0.0.1", *port));
                        sent += 1;
                    }
                }
                true
            });
            tick += Duration::from_millis(20);
            if let Some(wait) = tick.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            } else {
                tick = Instant::now();
            }
        }
        sent
    })
}

/// Which of the two test tones `s` carries, if either clearly.
fn dominant_tone(s: &[i16]) -> Option<f64> {
    let (a, b) = (tone_power(s, TONES[0]), tone_power(s, TONES[1]));
    if a > 20.0 * b && a > 1000.0 {
        Some(TONES[0])
    } else if b > 20.0 * a && b > 1000.0 {
        Some(TONES[1])
    } else {
        None
    }
}

fn ms(samples: &[i16], from: u64, to: u64) -> &[i16] {
    let a = (from * 8) as usize;
    let b = ((to * 8) as usize).min(samples.len());
    &samples[a.min(b)..b]
}

fn participant<'a>(detail: &'a Value, address: &str) -> &'a Value {
    detail["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["address"] == address)
        .unwrap_or_else(|| panic!("no participant {address} in {detail}"))
}

fn keys(group: &str) -> Vec<(&str, &str)> {
    vec![("group", group), ("a", EXTERNAL), ("b", AGENT), ("c", COLLEAGUE)]
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_call_is_recorded_in_stereo_external_left() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("basic"), &["-m", "1", "-d", "3000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2800)]), 1);
    sipp.finish();
    assert!(feeder.join().unwrap() >= 200);
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(c["participant_count"], 2);
    assert_eq!(c["external_number"], "+14155550100");
    assert_eq!(c["company_number"], "101");
    let d = srs.detail(c["id"].as_str().unwrap()).await;
    assert_eq!(participant(&d, EXTERNAL)["side"], "external");
    assert_eq!(participant(&d, EXTERNAL)["display_name"], "Caller");
    assert_eq!(participant(&d, AGENT)["side"], "company");
    let ids: Vec<&str> =
        d["external_ids"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(ids.contains(&"siprec_group") && ids.contains(&"sip_call_id"), "{ids:?}");
    let rec = &d["recordings"][0];
    assert_eq!(rec["source"], "siprec");
    assert_eq!(rec["channels"], 2);
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((2500..=3300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(audio.channels, 2);
    let (left, right) = (&audio.samples[0], &audio.samples[1]);
    assert_eq!(dominant_tone(ms(left, 200, 2400)), Some(TONES[0]), "left: external party");
    assert_eq!(dominant_tone(ms(right, 200, 2400)), Some(TONES[1]), "right: the company");
    assert!(srs.metrics().await.contains("callvault_sip_sessions_total{outcome=\"recorded\"} 1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_call_over_tcp() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start(
        "siprec_call.xml",
        srs.sip,
        &keys("tcp"),
        &["-m", "1", "-d", "2000", "-t", "t1"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1800)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let dur = d["recordings"][0]["duration_ms"].as_u64().unwrap();
    assert!((1500..=2300).contains(&dur), "duration {dur}");
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_by_metadata_update_keeps_one_conversation() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_transfer.xml", srs.sip, &keys("transfer"), &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 3900)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    assert_eq!(d["participants"].as_array().unwrap().len(), 3, "{d}");
    let agent = participant(&d, AGENT);
    let colleague = participant(&d, COLLEAGUE);
    assert_eq!(colleague["side"], "company");
    let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    // The agent left at the transfer, the colleague joined then and stayed.
    let agent_left = t(&agent["left_at"]);
    let colleague_joined = t(&colleague["joined_at"]);
    assert!((agent_left - colleague_joined).num_milliseconds().abs() < 500);
    assert!((agent_left - t(&agent["joined_at"])).num_milliseconds() > 1500);
    assert!((t(&colleague["left_at"]) - colleague_joined).num_milliseconds() > 1500);
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((3500..=4400).contains(&dur), "the whole call, across the transfer: {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    // The company channel carries the agent, then the colleague.
    assert_eq!(dominant_tone(ms(&audio.samples[1], 300, 1700)), Some(TONES[1]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 2300, 3600)), Some(TONES[1]));
    assert_eq!(dominant_tone(ms(&audio.samples[0], 2300, 3600)), Some(TONES[0]));
}

#[tokio::test(flavor = "multi_thread")]
async fn hold_and_resume_keep_the_silence_on_the_timeline() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_hold.xml", srs.sip, &keys("hold"), &["-m", "1"]);
    let feeder =
        feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1400), (3150, 4400)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["participant_count"], 2);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((4000..=4700).contains(&dur), "hold kept as silence: {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    let left = &audio.samples[0];
    assert_eq!(dominant_tone(ms(left, 200, 1200)), Some(TONES[0]));
    let on_hold = ms(left, 1800, 2800);
    assert!(on_hold.iter().all(|s| s.abs() < 300), "silence while on hold");
    assert_eq!(dominant_tone(ms(left, 3500, 4000)), Some(TONES[0]));
}

#[tokio::test(flavor = "multi_thread")]
async fn src_restart_continues_the_same_group() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    // Two recording sessions (two SRC processes, two Call-IDs) of one group.
    for _ in 0..2 {
        let sipp =
            Sipp::start("siprec_call.xml", srs.sip, &keys("failover"), &["-m", "1", "-d", "1500"]);
        let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1300)]), 1);
        sipp.finish();
        feeder.join().unwrap();
    }
    let list = srs.wait_recordings(1, 2).await;
    assert_eq!(list.len(), 1, "one conversation: {list:?}");
    assert_eq!(list[0]["recording_count"], 2);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let call_ids =
        d["external_ids"].as_array().unwrap().iter().filter(|e| e["kind"] == "sip_call_id").count();
    assert_eq!(call_ids, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_id_reused_for_a_later_call_is_another_conversation() {
    if !sipp_present() {
        return;
    }
    // An SBC that reuses its group id: two calls, seconds apart, both with
    // group "reused-1". With a one-second rejoin window they are two calls.
    let srs = Srs::start(&[("CALLVAULT_SERVER__REJOIN_WINDOW_SECS", "1")]);
    for _ in 0..2 {
        let sipp =
            Sipp::start("siprec_call.xml", srs.sip, &keys("reused"), &["-m", "1", "-d", "1500"]);
        let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1300)]), 1);
        sipp.finish();
        feeder.join().unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let list = srs.wait_recordings(2, 2).await;
    assert_eq!(list.len(), 2, "two conversations: {list:?}");
    for c in &list {
        assert_eq!(c["recording_count"], 1);
        let d = srs.detail(c["id"].as_str().unwrap()).await;
        assert!(
            d["external_ids"].as_array().unwrap().iter().any(|e| e["kind"] == "siprec_group"),
            "each call keeps the group id: {d}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cisco_nbr_legs_join_by_guid() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let guid = "0123456789-1234567890-1357924680-2468013579";
    let ext = Sipp::start(
        "cisco_nbr.xml",
        srs.sip,
        &[("guid", guid), ("who", "+14155550100"), ("midx", "0")],
        &["-m", "1", "-d", "2000"],
    );
    let agent = Sipp::start(
        "cisco_nbr.xml",
        srs.sip,
        &[("guid", guid), ("who", "101"), ("midx", "1")],
        &["-m", "1", "-d", "2000"],
    );
    let feeder = feed(
        vec![(ext.portfile.clone(), vec![TONES[0]]), (agent.portfile.clone(), vec![TONES[1]])],
        Plan(vec![(0, 1800)]),
        2,
    );
    ext.finish();
    agent.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 2).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    assert_eq!(participant(&d, "sip:+14155550100@10.0.0.1")["side"], "external");
    assert_eq!(participant(&d, "sip:101@10.0.0.1")["side"], "company");
    let ids: Vec<&str> =
        d["external_ids"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(ids.contains(&"cisco_guid"), "{ids:?}");
    // Each leg's recording carries its own party on its own side.
    for rec in d["recordings"].as_array().unwrap() {
        let audio = srs.audio(rec["id"].as_str().unwrap()).await;
        let l = dominant_tone(ms(&audio.samples[0], 200, 1500));
        let r = dominant_tone(ms(&audio.samples[1], 200, 1500));
        assert!(
            (l == Some(TONES[0]) && r.is_none()) || (r == Some(TONES[1]) && l.is_none()),
            "{l:?} {r:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rtp_inactivity_ends_the_session_with_a_bye() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[("CALLVAULT_SIP__RTP_TIMEOUT_SECS", "2")]);
    let sipp = Sipp::start("siprec_timeout.xml", srs.sip, &keys("idle"), &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1000)]), 1);
    // sipp succeeds only when the SRS's BYE arrives.
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let dur = d["recordings"][0]["duration_ms"].as_u64().unwrap();
    assert!((800..=1300).contains(&dur), "audio up to the last packet: {dur}");
    assert!(srs.metrics().await.contains("callvault_sip_byes_total{outcome=\"answered\"} 1"));
}

/// A raw SIP exchange over UDP: send, and collect what comes back.
fn exchange(sock: &UdpSocket, to: SocketAddr, msg: &str) -> Vec<String> {
    sock.send_to(msg.as_bytes(), to).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65_536];
    sock.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let final_ = !text.starts_with("SIP/2.0 1");
        out.push(text);
        if final_ {
            break;
        }
    }
    out
}

fn invite(local: SocketAddr, call_id: &str, content_type: &str, body: &str) -> String {
    format!(
        "INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{call_id}\r\n\
         From: <sip:src@127.0.0.1>;tag=t{call_id}\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:src@{local}>;+sip.src\r\nRequire: siprec\r\nMax-Forwards: 70\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_sip_sdp_and_xml_get_clear_answers_and_the_server_keeps_serving() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = sock.local_addr().unwrap();

    // Garbage and half messages: no answer possible, no crash, and every
    // one of them counted.
    let no_via = "INVITE sip:srs@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\
                  To: <sip:srs@127.0.0.1>\r\nCall-ID: novia\r\nCSeq: 1 INVITE\r\n\
                  Content-Length: 0\r\n\r\n";
    let junks = [
        &b"\x00\x01\x02garbage"[..],
        b"INVITE",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[0xff; 3000],
        no_via.as_bytes(),
    ];
    for junk in junks {
        sock.send_to(junk, srs.sip).unwrap();
    }
    let dropped = |text: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with("callvault_sip_dropped_messages_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let mut text = String::new();
    for _ in 0..100 {
        text = srs.metrics().await;
        if dropped(&text) >= junks.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dropped(&text), junks.len() as u64, "{text}");
    for reason in ["no_via", "stray_response", "unparsable"] {
        assert!(
            text.contains(&format!("callvault_sip_dropped_messages_total{{outcome=\"{reason}\"}}")),
            "{reason}: {text}"
        );
    }
    // A request without Call-ID: 400.
    let no_call_id = format!(
        "OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKx1\r\n\
         From: <sip:a@b>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let r = exchange(&sock, srs.sip, &no_call_id);
    assert!(r.last().unwrap().starts_with("SIP/2.0 400"), "{r:?}");
    // OPTIONS ping: 200.
    let ping = no_call_id.replace("CSeq:", "Call-ID: ping1\r\nCSeq:").replace("x1", "x2");
    let r = exchange(&sock, srs.sip, &ping);
    assert!(r.last().unwrap().starts_with("SIP/2.0 200"), "{r:?}");
    // SDP that is not SDP: 4xx.
    let r =
        exchange(&sock, srs.sip, &invite(local, "badsdp", "application/sdp", "this is not sdp"));
    let last = r.last().unwrap();
    assert!(last.starts_with("SIP/2.0 4"), "{r:?}");
    // The ACK of a non-2xx final response stops its retransmissions.
    let to = last.lines().find(|l| l.starts_with("To:")).unwrap();
    let ack = format!(
        "ACK sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKbadsdp\r\n\
         From: <sip:src@127.0.0.1>;tag=tbadsdp\r\n{to}\r\nCall-ID: badsdp\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(ack.as_bytes(), srs.sip).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = sock.local_addr().unwrap();
    // Metadata that does not parse costs nothing of the audio: 200, and the
    // recording carries a flag.
    let body = "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n\
                c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=label:1\r\na=sendonly\r\n\
                m=audio 40002 RTP/AVP 8\r\na=label:2\r\na=sendonly\r\n\r\n--b\r\n\
                Content-Type: application/rs-metadata+xml\r\n\r\n<recording xmlns=\"urn:ietf:params:xml:ns:recording:1\"><participant\r\n--b--\r\n";
    let r = exchange(&sock, srs.sip, &invite(local, "badxml", "multipart/mixed;boundary=b", body));
    let ok = r.last().unwrap();
    assert!(ok.starts_with("SIP/2.0 200"), "{r:?}");
    let to = ok.lines().find(|l| l.starts_with("To:")).unwrap().to_owned();
    let ports: Vec<u16> = ok
        .lines()
        .filter_map(|l| l.strip_prefix("m=audio "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(ports.len(), 2);
    let ack = format!(
        "ACK sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKack\r\n\
         From: <sip:src@127.0.0.1>;tag=tbadxml\r\n{to}\r\nCall-ID: badxml\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(ack.as_bytes(), srs.sip).unwrap();
    let portfile = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(portfile.path(), format!("1 {} {}\n", ports[0], ports[1])).unwrap();
    feed(vec![(portfile.path().to_owned(), TONES.to_vec())], Plan(vec![(0, 1000)]), 1)
        .join()
        .unwrap();
    let bye = format!(
        "BYE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKbye\r\n\
         From: <sip:src@127.0.0.1>;tag=tbadxml\r\n{to}\r\nCall-ID: badxml\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    let r = exchange(&sock, srs.sip, &bye);
    assert!(r.last().unwrap().starts_with("SIP/2.0 200"), "{r:?}");
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let flags = d["recordings"][0]["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f == "siprec_metadata_unparsable"), "{flags:?}");

    // And the server still records a normal call.
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("after"), &["-m", "1", "-d", "1500"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1300)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    srs.wait_recordings(2, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_sessions() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    // 100 new sessions/s, each 4 s long: all 200 are up at once.
    let sipp = Sipp::start(
        "siprec_call.xml",
        srs.sip,
        &keys("load"),
        &["-m", "200", "-l", "200", "-r", "100", "-d", "4000"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 3500)]), 200);
    sipp.finish();
    let sent = feeder.join().unwrap();
    assert!(sent >= 200 * 2 * 150, "sent {sent}");
    let list = srs.wait_recordings(200, 200).await;
    assert_eq!(list.len(), 200);
    assert!(list.iter().all(|c| c["participant_count"] == 2 && c["recording_count"] == 1));
    // Spot-check a few recordings' audio.
    for c in list.iter().step_by(67) {
        let d = srs.detail(c["id"].as_str().unwrap()).await;
        let dur = d["recordings"][0]["duration_ms"].as_u64().unwrap();
        assert!((3000..=4300).contains(&dur), "duration {dur}");
        let audio = srs.audio(d["recordings"][0]["id"].as_str().unwrap()).await;
        assert_eq!(dominant_tone(ms(&audio.samples[0], 300, 2800)), Some(TONES[0]));
        assert_eq!(dominant_tone(ms(&audio.samples[1], 300, 2800)), Some(TONES[1]));
    }
    let _ = srs.env.data_dir();
}

/// SIP over TLS (sipp has no TLS here): an OPTIONS ping through rustls.
#[tokio::test(flavor = "multi_thread")]
async fn options_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(made.success());
    let tls_port = free_port();
    let srs = Srs::start(&[
        ("CALLVAULT_SIP__TLS_LISTEN", &format!("127.0.0.1:{tls_port}")),
        ("CALLVAULT_SIP__TLS_CERT", cert.to_str().unwrap()),
        ("CALLVAULT_SIP__TLS_KEY", key.to_str().unwrap()),
    ]);
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", tls_port)).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let options = format!(
        "OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS {local};branch=z9hG4bKtls1\r\n\
         From: <sips:a@example.com>;tag=1\r\nTo: <sips:srs@127.0.0.1>\r\nCall-ID: tls1\r\n\
         CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(options.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n =
        tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Allow:"), "{answer}");
    drop(srs);
    let _ = std::io::stdout().flush();
}

#[tokio::test(flavor = "multi_thread")]
async fn kill9_mid_call_keeps_the_audio_up_to_the_last_sync() {
    if !sipp_present() {
        return;
    }
    let Srs { env, server, sip, key } = Srs::start(&[]);
    let sipp = Sipp::start("siprec_call.xml", sip, &keys("crash"), &["-m", "1", "-d", "8000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 6000)]), 1);
    // Three seconds into the call, the server dies.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&sipp.portfile).unwrap_or_default().is_empty() {
        assert!(Instant::now() < deadline, "the call was not answered");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(3));
    server.kill9();
    let mut child = sipp.child;
    let _ = child.kill();
    let _ = child.wait();
    feeder.join().unwrap();
    // The next start stores what the spool held.
    let server = Server::start(&env);
    let srs = Srs { env, server, sip, key };
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let flags = rec["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f == "cut_by_crash"), "{flags:?}");
    let dur = rec["duration_ms"].as_u64().unwrap();
    // Audio up to the last sync (every second) before the kill at ~3 s.
    assert!((1500..=3300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 1400)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 1400)), Some(TONES[1]));
    let spools = std::fs::read_dir(srs.env.data_dir().join("siprec-spool"))
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .count();
    assert_eq!(spools, 0, "stored spools are removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill9_before_any_audio_still_leaves_the_call_in_the_catalog() {
    if !sipp_present() {
        return;
    }
    let Srs { env, server, sip, key } = Srs::start(&[]);
    // The SRC never sends RTP; the server dies two seconds into the call.
    let sipp = Sipp::start("siprec_call.xml", sip, &keys("silent"), &["-m", "1", "-d", "8000"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&sipp.portfile).unwrap_or_default().is_empty() {
        assert!(Instant::now() < deadline, "the call was not answered");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(2));
    server.kill9();
    let mut child = sipp.child;
    let _ = child.kill();
    let _ = child.wait();
    // The next start finds a spool without audio: a conversation without a
    // recording, with its no_media event, not nothing.
    let server = Server::start(&env);
    let srs = Srs { env, server, sip, key };
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let list = srs.conversations().await;
        if !list.is_empty() {
            break list;
        }
        assert!(Instant::now() < deadline, "no conversation after recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["recording_count"], 0);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let events: Vec<&Value> =
        d["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == "no_media").collect();
    assert_eq!(events.len(), 1, "{d}");
    let spools = std::fs::read_dir(srs.env.data_dir().join("siprec-spool"))
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .count();
    assert_eq!(spools, 0, "the recovered spool is removed once the call is recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn at_capacity_new_sessions_get_503_with_retry_after() {
    let srs = Srs::start(&[("CALLVAULT_SIP__MAX_SESSIONS", "1")]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = sock.local_addr().unwrap();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 40000 RTP/AVP 0\r\na=sendonly\r\n";
    let r = exchange(&sock, srs.sip, &invite(local, "cap1", "application/sdp", sdp));
    assert!(r.last().unwrap().starts_with("SIP/2.0 200"), "{r:?}");
    let sock2 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local2 = sock2.local_addr().unwrap();
    let r = exchange(&sock2, srs.sip, &invite(local2, "cap2", "application/sdp", sdp));
    let busy = r.last().unwrap();
    assert!(busy.starts_with("SIP/2.0 503"), "{r:?}");
    assert!(busy.contains("Retry-After: 10"), "{busy}");
}

#[tokio::test(flavor = "multi_thread")]
async fn srs_refreshes_the_session_when_asked_to_be_the_refresher() {
    if !sipp_present() {
        return;
    }
    let srs =
        Srs::start(&[("CALLVAULT_SIP__MIN_SE", "2"), ("CALLVAULT_SIP__SESSION_EXPIRES", "4")]);
    let mut k = keys("refresh");
    k.push(("interval", "4"));
    let sipp = Sipp::start("siprec_refresh.xml", srs.sip, &k, &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2500)]), 1);
    // sipp succeeds only when the SRS's UPDATE arrives (after 2 s).
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list[0]["recording_count"], 1);
}

/// A call whose ports also receive the opposite tones from 127.0.0.2, an
/// address the SRC never announced. Returns the dominant tone of each
/// channel and the foreign-packet count.
async fn call_with_injected_audio(filter: &str) -> (Option<f64>, Option<f64>, u64) {
    let srs = Srs::start(&[("CALLVAULT_SIP__RTP_SOURCE_FILTER", filter)]);
    let sipp =
        Sipp::start("siprec_call.xml", srs.sip, &keys("injected"), &["-m", "1", "-d", "3000"]);
    let plan = Plan(vec![(0, 2800)]);
    let genuine = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], plan.clone(), 1);
    let swapped = vec![TONES[1], TONES[0]];
    let injected =
        feed_from("127.0.0.2:0", 0x9000, vec![(sipp.portfile.clone(), swapped)], plan, 1);
    sipp.finish();
    assert!(genuine.join().unwrap() >= 200);
    assert!(injected.join().unwrap() >= 200);
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let audio = srs.audio(d["recordings"][0]["id"].as_str().unwrap()).await;
    let foreign = srs
        .metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix("callvault_sip_rtp_foreign_packets_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("foreign packet counter");
    (
        dominant_tone(ms(&audio.samples[0], 200, 2400)),
        dominant_tone(ms(&audio.samples[1], 200, 2400)),
        foreign,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn rtp_from_an_address_the_src_did_not_announce_is_dropped() {
    if !sipp_present() {
        return;
    }
    let (left, right, foreign) = call_with_injected_audio("true").await;
    assert_eq!(left, Some(TONES[0]), "left: only the SRC's external stream");
    assert_eq!(right, Some(TONES[1]), "right: only the SRC's company stream");
    assert!(foreign >= 200, "injected packets counted: {foreign}");
    // The same call with the filter off: the injected audio gets in, which
    // is what the filter is for.
    let (left, right, foreign) = call_with_injected_audio("false").await;
    assert_eq!(foreign, 0);
    assert!(
        left != Some(TONES[0]) || right != Some(TONES[1]),
        "with the filter off the injected tones reach the recording: {left:?} {right:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn recordings_wait_out_a_vault_outage_and_are_stored_after() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    // The object store goes away under the running server.
    let objects = srs.env.objects_dir();
    let away = objects.with_extension("away");
    std::fs::rename(&objects, &away).unwrap();
    let sipp = Sipp::start(
        "siprec_call.xml",
        srs.sip,
        &keys("outage"),
        &["-m", "3", "-l", "3", "-r", "10", "-d", "2500"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2300)]), 3);
    sipp.finish();
    assert!(feeder.join().unwrap() >= 3 * 2 * 100);
    // Ended, rendered, refused by the missing store: they wait (one of them
    // may be probing at any moment).
    let waiting = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("callvault_sip_recordings_waiting "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while waiting(&srs.metrics().await) < 2 {
        assert!(Instant::now() < deadline, "the recordings never waited for the vault");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(srs.conversations().await.is_empty(), "nothing stored while the store is away");

    std::fs::rename(&away, &objects).unwrap();
    let list = srs.wait_recordings(3, 3).await;
    assert_eq!(list.len(), 3);
    let metrics = srs.metrics().await;
    assert_eq!(waiting(&metrics), 0);
    assert!(metrics.contains("callvault_sip_sessions_total{outcome=\"recorded\"} 3"), "{metrics}");
    // Rendered again from the spool after the outage: the audio is whole.
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let audio = srs.audio(d["recordings"][0]["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 2100)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 2100)), Some(TONES[1]));
}

fn flags_of(recording: &Value) -> Vec<String> {
    recording["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn delayed_offer_is_recorded_from_the_answer_in_the_ack() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    // INVITE without a body: the SRS offers in its 200, the ACK answers.
    let sipp = Sipp::start("siprec_delayed_offer.xml", srs.sip, &[], &["-m", "1", "-d", "3000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2800)]), 1);
    sipp.finish();
    assert!(feeder.join().unwrap() >= 200);
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    assert_eq!(rec["channels"], 2);
    let flags = flags_of(rec);
    assert!(!flags.iter().any(|f| f.starts_with("ended_")), "an ordinary BYE: {flags:?}");
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((2500..=3300).contains(&dur), "duration {dur}");
    // Both parties, each on its own channel, as the answer's lines said.
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 2400)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 2400)), Some(TONES[1]));
}

/// Delayed offer with reliable provisionals (RFC 3262): the INVITE
/// requires 100rel, the SRS offers in a reliable 183, the PRACK answers,
/// 200 to the PRACK, 200 to the INVITE without SDP (the scenario checks
/// each), ACK, RTP, BYE: recorded like any call.
#[tokio::test(flavor = "multi_thread")]
async fn delayed_offer_with_100rel_is_recorded_from_the_answer_in_the_prack() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_prack.xml", srs.sip, &[], &["-m", "1", "-d", "3000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2800)]), 1);
    sipp.finish();
    assert!(feeder.join().unwrap() >= 200);
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    assert_eq!(rec["channels"], 2);
    let flags = flags_of(rec);
    assert!(!flags.iter().any(|f| f.starts_with("ended_")), "an ordinary BYE: {flags:?}");
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((2500..=3300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 2400)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 2400)), Some(TONES[1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_order_bye_on_hold_without_timer_ends_the_session() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    // No timer, hold by re-INVITE (CSeq 3), then BYE with CSeq 2: sipp
    // succeeds only when that BYE is answered 200.
    let sipp = Sipp::start("siprec_hold_ooo_bye.xml", srs.sip, &keys("ooo"), &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1400)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list[0]["participant_count"], 2);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let flags = flags_of(rec);
    assert!(flags.contains(&"ended_out_of_order_bye".to_owned()), "{flags:?}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 1200)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 1200)), Some(TONES[1]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_session_the_src_abandons_ends_after_the_hold_timeout() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[
        ("CALLVAULT_SIP__HOLD_TIMEOUT_SECS", "3"),
        ("CALLVAULT_SIP__OPTIONS_PING_SECS", "0"),
    ]);
    // No timer, hold, then silence: sipp succeeds only when the SRS's own
    // BYE arrives (within its 60 s wait).
    let sipp = Sipp::start("siprec_hold_abandoned.xml", srs.sip, &keys("abandoned"), &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1400)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let flags = flags_of(rec);
    assert!(flags.contains(&"ended_hold_timeout".to_owned()), "{flags:?}");
    assert_eq!(list[0]["participant_count"], 2);
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 1200)), Some(TONES[0]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_src_that_stops_answering_options_pings_is_ended() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[("CALLVAULT_SIP__OPTIONS_PING_SECS", "1")]);
    // No timer: the SRS pings every second; the SRC answers the first
    // ping only. The second one times out (64*T1) and ends the session.
    let sipp = Sipp::start("siprec_ping_unanswered.xml", srs.sip, &keys("ping"), &["-m", "1"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1500)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let flags = flags_of(rec);
    assert!(flags.contains(&"ended_src_unreachable".to_owned()), "{flags:?}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 1200)), Some(TONES[0]));
}

fn time_of(v: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("no time: {v}")))
        .unwrap()
}

fn detail_flags(d: &Value) -> Vec<String> {
    d["recordings"][0]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// BroadWorks' draft-schema metadata on one mixed m-line; the remote
/// party transfers the recorded user's call mid-way (partial update). No
/// number is configured as the company's: BroadWorks' extension says the
/// recorded user is.
#[tokio::test(flavor = "multi_thread")]
async fn broadworks_metadata_with_a_transfer_by_partial_update() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let (customer, agent, target) = ("+13125550199", "+12025550147", "+14155550123");
    // The SRC's own time of the transfer, as its metadata states it: about
    // when the re-INVITE goes (2 s into the call), a little before.
    let xfer = chrono::Utc::now() + chrono::Duration::milliseconds(1800);
    let xfer_text = xfer.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sipp = Sipp::start(
        "broadworks_transfer.xml",
        srs.sip,
        &[("a", customer), ("b", agent), ("c", target), ("xfer", &xfer_text)],
        &["-m", "1"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), vec![TONES[0]])], Plan(vec![(0, 3900)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["company_number"], agent);
    assert_eq!(list[0]["external_number"], customer);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    assert!(!detail_flags(&d).iter().any(|f| f.starts_with("siprec_")), "{d}");
    assert_eq!(d["participants"].as_array().unwrap().len(), 3, "{d}");
    let agent_p = participant(&d, &format!("sip:{agent}@as.example.net"));
    let customer_p = participant(&d, &format!("sip:{customer}@as.example.net;user=phone"));
    let target_p = participant(&d, &format!("sip:{target}@as.example.net;user=phone"));
    assert_eq!(agent_p["side"], "company");
    assert_eq!(customer_p["side"], "external");
    assert_eq!(customer_p["display_name"], "Customer");
    assert_eq!(target_p["side"], "external");
    assert_eq!(target_p["display_name"], "Transfer Target");
    // The customer left at the transfer, the target joined then, at the
    // times the metadata gives; the recorded user stayed throughout.
    let left = time_of(&customer_p["left_at"]);
    let joined = time_of(&target_p["joined_at"]);
    let said = chrono::DateTime::parse_from_rfc3339(&xfer_text).unwrap();
    assert_eq!((left, joined), (said, said), "the metadata's times, not the re-INVITE's arrival");
    assert!((left - time_of(&customer_p["joined_at"])).num_milliseconds() > 1000);
    assert!((time_of(&target_p["left_at"]) - joined).num_milliseconds() > 1500);
    assert!(
        (time_of(&agent_p["left_at"]) - time_of(&agent_p["joined_at"])).num_milliseconds() > 3500
    );
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((3500..=4400).contains(&dur), "the whole call, across the transfer: {dur}");
    // One mixed line: every party is on it, so it is on both channels.
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    for ch in 0..2 {
        assert_eq!(dominant_tone(ms(&audio.samples[ch], 300, 1700)), Some(TONES[0]), "{ch}");
        assert_eq!(dominant_tone(ms(&audio.samples[ch], 2300, 3600)), Some(TONES[0]), "{ch}");
    }
}

/// Webex Calling's variant: prefixed `recording_metadata`, RFC-style
/// associations, a terminating call to the recorded user.
#[tokio::test(flavor = "multi_thread")]
async fn webex_metadata_gives_parties_sides_and_channels() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let (caller, desk) = ("+447700900123", "+442071838750");
    let sipp = Sipp::start(
        "webex_call.xml",
        srs.sip,
        &[("a", caller), ("b", desk)],
        &["-m", "1", "-d", "3000"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 2800)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list[0]["participant_count"], 2);
    assert_eq!(list[0]["external_number"], caller);
    assert_eq!(list[0]["company_number"], desk);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let c = participant(&d, &format!("sip:{caller}@calling.example.com"));
    let k = participant(&d, &format!("sip:{desk}@calling.example.com"));
    assert_eq!(
        (c["side"].as_str(), c["display_name"].as_str()),
        (Some("external"), Some("Caller"))
    );
    assert_eq!(
        (k["side"].as_str(), k["display_name"].as_str()),
        (Some("company"), Some("Support Desk"))
    );
    assert!(c["joined_at"].is_string() && c["left_at"].is_string(), "{c}");
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((2500..=3300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 2400)), Some(TONES[0]), "left: the caller");
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 2400)), Some(TONES[1]), "right: the desk");
}

/// CUBE network-based recording naming two parties on one m-line, then a
/// transfer on the recorded leg by re-INVITE.
#[tokio::test(flavor = "multi_thread")]
async fn cisco_nbr_two_parties_on_one_line_and_a_transfer() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start(
        "cisco_nbr_transfer.xml",
        srs.sip,
        &[
            ("guid", "1357924680-0123456789-1111111111-2222222222"),
            ("who", "101"),
            ("far", "+14155550100"),
            ("next", "102"),
        ],
        &["-m", "1"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), vec![TONES[1]])], Plan(vec![(0, 3900)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list.len(), 1);
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    assert_eq!(d["participants"].as_array().unwrap().len(), 3, "{d}");
    let agent = participant(&d, "sip:101@10.0.0.1");
    let colleague = participant(&d, "sip:102@10.0.0.1");
    let far = participant(&d, "sip:+14155550100@10.0.0.1");
    assert_eq!(agent["side"], "company");
    assert_eq!(colleague["side"], "company");
    assert_eq!(far["side"], "external", "the party without an m-line of its own is on the call");
    let left = time_of(&agent["left_at"]);
    let joined = time_of(&colleague["joined_at"]);
    assert!((left - joined).num_milliseconds().abs() < 500);
    assert!((left - time_of(&agent["joined_at"])).num_milliseconds() > 1500);
    assert!((time_of(&colleague["left_at"]) - joined).num_milliseconds() > 1500);
    assert!((time_of(&far["left_at"]) - time_of(&far["joined_at"])).num_milliseconds() > 3500);
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((3500..=4400).contains(&dur), "duration {dur}");
    // The line is the agent's, then the colleague's: the company channel.
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[1], 300, 1700)), Some(TONES[1]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 2300, 3600)), Some(TONES[1]));
    assert_eq!(dominant_tone(ms(&audio.samples[0], 300, 3600)), None);
}

/// Metadata that is not XML: the parties come from the SIP headers, and
/// the recording says so.
#[tokio::test(flavor = "multi_thread")]
async fn garbage_metadata_takes_the_parties_from_the_headers() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start(
        "garbage_metadata.xml",
        srs.sip,
        &[("a", "+14155550100"), ("b", "101")],
        &["-m", "1", "-d", "2000"],
    );
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 1800)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    assert_eq!(list[0]["participant_count"], 2, "{:?}", list[0]);
    assert_eq!(list[0]["external_number"], "+14155550100");
    assert_eq!(list[0]["company_number"], "101");
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let flags = detail_flags(&d);
    assert!(flags.contains(&"siprec_metadata_unparsable".to_owned()), "{flags:?}");
    assert!(flags.contains(&"siprec_parties_from_headers".to_owned()), "{flags:?}");
    let caller = participant(&d, "sip:+14155550100@sbc.example.net;user=phone");
    assert_eq!(
        (caller["side"].as_str(), caller["display_name"].as_str()),
        (Some("external"), Some("Caller"))
    );
    assert_eq!(participant(&d, "sip:101@pbx.example.com")["side"], "company");
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((1500..=2300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    assert_eq!(dominant_tone(ms(&audio.samples[0], 200, 1500)), Some(TONES[0]));
    assert_eq!(dominant_tone(ms(&audio.samples[1], 200, 1500)), Some(TONES[1]));
}

/// What [`feed_packets`] sends on one stream at one 20 ms tick `n`:
/// `(payload type, marker, RTP timestamp, payload)` packets.
type Packets = fn(stream: usize, n: u64) -> Vec<(u8, bool, u32, Vec<u8>)>;

/// Sends the packets `make` gives, every 20 ms for `for_ms`, to the ports
/// the first call of `portfile` announces (SSRC 0x5000 + stream).
fn feed_packets(portfile: PathBuf, for_ms: u64, make: Packets) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let ports: Vec<u16> = loop {
            let text = std::fs::read_to_string(&portfile).unwrap_or_default();
            if let Some(line) = text.lines().next() {
                break line.split_whitespace().skip(1).filter_map(|p| p.parse().ok()).collect();
            }
            assert!(Instant::now() < deadline, "no ports announced");
            std::thread::sleep(Duration::from_millis(10));
        };
        let start = Instant::now();
        let (mut sent, mut seq) = (0u64, [0u16; 2]);
        for n in 0..for_ms / 20 {
            for (i, port) in ports.iter().enumerate().take(2) {
                for (pt, marker, ts, payload) in make(i, n) {
                    let mut pkt = vec![0x80, pt | if marker { 0x80 } else { 0 }];
                    pkt.extend_from_slice(&seq[i].to_be_bytes());
                    pkt.extend_from_slice(&ts.to_be_bytes());
                    pkt.extend_from_slice(&(0x5000 + i as u32).to_be_bytes());
                    pkt.extend_from_slice(&payload);
                    seq[i] = seq[i].wrapping_add(1);
                    let _ = sock.send_to(&pkt, ("127.0.0.1", *port));
                    sent += 1;
                }
            }
            let next = start + Duration::from_millis((n + 1) * 20);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        sent
    })
}

/// One second of a tone as A-law.
fn alaw_tone(hz: f64) -> Vec<u8> {
    (0..8000u32)
        .map(|k| {
            let t = f64::from(k) / 8000.0;
            callvault_media::codec::g711::linear_to_alaw(
                (8000.0 * (t * hz * std::f64::consts::TAU).sin()) as i16,
            )
        })
        .collect()
}

/// One second of each test tone as G.726-32 (RFC 3551 packing, 4000
/// bytes), encoded by ffmpeg's G.726 encoder: an independent encoder for
/// our decoder.
fn g726_tones() -> &'static [Vec<u8>; 2] {
    static TONES_G726: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    TONES_G726.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        TONES.map(|hz| {
            let pcm: Vec<u8> = (0..16_000u32)
                .flat_map(|k| {
                    let t = f64::from(k) / 8000.0;
                    ((8000.0 * (t * hz * std::f64::consts::TAU).sin()) as i16).to_le_bytes()
                })
                .collect();
            let (src, out) = (dir.path().join("in.raw"), dir.path().join("out.g726"));
            std::fs::write(&src, pcm).unwrap();
            let status = Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "s16le", "-ar", "8000"])
                .args(["-ac", "1", "-i"])
                .arg(&src)
                .args(["-c:a", "g726le", "-b:a", "32k", "-f", "g726le"])
                .arg(&out)
                .status()
                .expect("ffmpeg is needed to encode the G.726 test media");
            assert!(status.success());
            // The second second: the encoder has settled, and a whole
            // number of periods of either tone fits.
            std::fs::read(&out).unwrap()[4000..8000].to_vec()
        })
    })
}

/// A `callvault serve` whose log (stderr, level warn) goes to a file.
fn srs_with_log() -> (Srs, PathBuf) {
    let port = free_port();
    let env = Env::new()
        .with("CALLVAULT_SIP__ENABLED", "true")
        .with("CALLVAULT_SIP__LISTEN", &format!("127.0.0.1:{port}"))
        .with("CALLVAULT_SIP__RTP_PORTS", "30000-39999")
        .with("CALLVAULT_SIP__DEFAULT_TENANT", "acme");
    let key = env.tenant_with_key("acme");
    let log = env.data_dir().join("serve.log");
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = env
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{http}")])
        .env("CALLVAULT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let server = Server { child, url: format!("http://127.0.0.1:{http}") };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(Instant::now() < deadline, "callvault serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    (Srs { env, server, sip: SocketAddr::from(([127, 0, 0, 1], port)), key }, log)
}

fn timeline<'a>(detail: &'a Value, event: &str) -> Vec<&'a Value> {
    detail["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == event).collect()
}

/// The SRC offers and is answered G.711 A-law but sends G.726-32 on
/// payload type 2: decoded and stored, each party on its side.
#[tokio::test(flavor = "multi_thread")]
async fn g726_sent_outside_the_answer_is_decoded() {
    if !sipp_present() {
        return;
    }
    g726_tones();
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("g726"), &["-m", "1", "-d", "3000"]);
    let feeder = feed_packets(sipp.portfile.clone(), 2800, |stream, n| {
        let second = &g726_tones()[stream];
        let at = ((n * 80) % 4000) as usize;
        vec![(2, false, (n * 160) as u32, second[at..at + 80].to_vec())]
    });
    sipp.finish();
    assert!(feeder.join().unwrap() >= 200);
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let flags = rec["flags"].as_array().unwrap();
    assert!(!flags.iter().any(|f| f == "undecoded_media"), "{flags:?}");
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((2500..=3300).contains(&dur), "duration {dur}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    let (left, right) = (&audio.samples[0], &audio.samples[1]);
    assert_eq!(dominant_tone(ms(left, 300, 2400)), Some(TONES[0]), "left: external party");
    assert_eq!(dominant_tone(ms(right, 300, 2400)), Some(TONES[1]), "right: the company");
}

/// The SRC stops sending RTP 10 s before its BYE: the recording lasts
/// the whole session, silent at the end, with a media gap on the timeline.
#[tokio::test(flavor = "multi_thread")]
async fn rtp_stopping_before_the_bye_still_covers_the_session() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[("CALLVAULT_SIP__RTP_TIMEOUT_SECS", "30")]);
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("gap"), &["-m", "1", "-d", "13000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 3000)]), 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    let dur = rec["duration_ms"].as_u64().unwrap();
    assert!((12_500..=13_800).contains(&dur), "the whole session: {dur}");
    assert!(rec["flags"].as_array().unwrap().iter().any(|f| f == "media_gap"));
    let gaps = timeline(&d, "media_gap");
    assert_eq!(gaps.len(), 1, "{}", d["timeline"]);
    let gap = gaps[0];
    let gap_ms = gap["detail"]["duration_ms"].as_u64().unwrap();
    assert!((9_500..=10_800).contains(&gap_ms), "gap {gap_ms}");
    let offset = gap["offset_ms"].as_i64().unwrap();
    assert!((2_700..=3_400).contains(&offset), "gap starts where the media stopped: {offset}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    let left = &audio.samples[0];
    assert_eq!(dominant_tone(ms(left, 300, 2500)), Some(TONES[0]));
    let tail = ms(left, 4000, 12_000);
    assert!(!tail.is_empty());
    assert!(tone_power(tail, TONES[0]) < 1.0, "silence where nothing arrived");
}

/// RTP pauses twice in the middle of the call, 3 s and then 5 s, with
/// `sip.media_gap_min_secs = 4`: the 5 s pause is a media gap on the
/// timeline (and the recording is flagged), the 3 s one is not, and the
/// media resumes after each.
#[tokio::test(flavor = "multi_thread")]
async fn rtp_pausing_mid_call_is_a_media_gap_from_the_configured_minimum() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[("CALLVAULT_SIP__MEDIA_GAP_MIN_SECS", "4")]);
    let sipp =
        Sipp::start("siprec_call.xml", srs.sip, &keys("midgap"), &["-m", "1", "-d", "15000"]);
    let plan = Plan(vec![(0, 2000), (5000, 7000), (12_000, 14_500)]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], plan, 1);
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let rec = &d["recordings"][0];
    assert!(flags_of(rec).contains(&"media_gap".to_owned()), "{rec}");
    let gaps = timeline(&d, "media_gap");
    assert_eq!(gaps.len(), 1, "only the 5 s pause: {}", d["timeline"]);
    let gap_ms = gaps[0]["detail"]["duration_ms"].as_u64().unwrap();
    assert!((4_500..=5_500).contains(&gap_ms), "gap {gap_ms}");
    let offset = gaps[0]["offset_ms"].as_i64().unwrap();
    assert!((6_500..=7_500).contains(&offset), "the gap starts where the media paused: {offset}");
    let audio = srs.audio(rec["id"].as_str().unwrap()).await;
    let left = &audio.samples[0];
    let start = offset as u64;
    assert!(tone_power(ms(left, start + 500, start + 4_500), TONES[0]) < 1.0, "silence in the gap");
    assert_eq!(dominant_tone(ms(left, start + 5_300, start + 7_000)), Some(TONES[0]), "resumed");
}

/// DTMF sent as RFC 4733 events on the external party's stream appears on
/// the conversation's timeline with digit, time, duration and sender.
#[tokio::test(flavor = "multi_thread")]
async fn dtmf_events_are_on_the_timeline() {
    if !sipp_present() {
        return;
    }
    let srs = Srs::start(&[]);
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("dtmf"), &["-m", "1", "-d", "3000"]);
    let feeder = feed_packets(sipp.portfile.clone(), 2800, |stream, n| {
        static TONE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let tone = TONE.get_or_init(|| alaw_tone(TONES[0]));
        let at = ((n * 160) % 8000) as usize;
        let audio = (8, false, (n * 160) as u32, tone[at..at + 160].to_vec());
        // The external party presses 5 at 1 s and # at 2 s: 8 packets of
        // 20 ms each, the last three marked end, one timestamp per event.
        let digit = match (stream, n) {
            (0, 50..=57) => Some((5u8, 50)),
            (0, 100..=107) => Some((11u8, 100)),
            _ => None,
        };
        match digit {
            Some((event, first)) => {
                let k = n - first;
                let end = k >= 5;
                let duration = ((k.min(5) + 1) * 160) as u16;
                let mut payload = vec![event, if end { 0x80 | 10 } else { 10 }];
                payload.extend_from_slice(&duration.to_be_bytes());
                vec![(101, k == 0, (first * 160) as u32, payload)]
            }
            None => vec![audio],
        }
    });
    sipp.finish();
    feeder.join().unwrap();
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let dtmf = timeline(&d, "dtmf");
    let digits: Vec<&str> = dtmf.iter().map(|e| e["detail"]["digit"].as_str().unwrap()).collect();
    assert_eq!(digits, ["5", "#"], "{}", d["timeline"]);
    let external = participant(&d, EXTERNAL)["id"].clone();
    for (e, at) in dtmf.iter().zip([1000i64, 2000]) {
        assert_eq!(e["participant_id"], external, "sent by the external party");
        assert_eq!(e["detail"]["side"], "external");
        assert_eq!(e["detail"]["duration_ms"], 120);
        let offset = e["offset_ms"].as_i64().unwrap();
        assert!((at - 300..=at + 500).contains(&offset), "{offset} for {at}");
        assert!(e["recording_id"].is_string());
    }
}

/// A session whose only media is a payload type nobody announced: no
/// recording, but a conversation with its participants and a no_media
/// event, and a warning in the log.
#[tokio::test(flavor = "multi_thread")]
async fn session_with_only_undecodable_media_is_kept_as_a_conversation() {
    if !sipp_present() {
        return;
    }
    let (srs, log) = srs_with_log();
    let sipp = Sipp::start("siprec_call.xml", srs.sip, &keys("junk"), &["-m", "1", "-d", "2000"]);
    let feeder = feed_packets(sipp.portfile.clone(), 1800, |_, n| {
        vec![(98, false, (n * 160) as u32, vec![0x5a; 33])]
    });
    sipp.finish();
    assert!(feeder.join().unwrap() >= 100);
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let list = srs.conversations().await;
        if !list.is_empty() {
            break list;
        }
        assert!(Instant::now() < deadline, "no conversation for the empty session");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["recording_count"], 0);
    assert_eq!(list[0]["external_number"], "+14155550100");
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    assert!(d["recordings"].as_array().unwrap().is_empty());
    assert_eq!(participant(&d, EXTERNAL)["side"], "external");
    assert_eq!(participant(&d, AGENT)["side"], "company");
    let no_media = timeline(&d, "no_media");
    assert_eq!(no_media.len(), 1, "{}", d["timeline"]);
    let reason = no_media[0]["detail"]["reason"].as_str().unwrap();
    assert!(reason.contains("98"), "{reason}");
    assert_eq!(no_media[0]["detail"]["payload_types"], serde_json::json!([98]));
    assert!(srs.metrics().await.contains("callvault_sip_sessions_total{outcome=\"empty\"} 1"));
    let text = std::fs::read_to_string(&log).unwrap();
    let warned =
        text.lines().any(|l| l.contains("WARN") && l.contains("without media") && l.contains("98"));
    assert!(warned, "no warning in the log:\n{text}");
}

/// Assurance: a session killed mid-call is `incomplete` with the seconds the
/// crash cost, measured against the PBX's CDR of the call (8 s of talk).
#[tokio::test(flavor = "multi_thread")]
async fn assurance_reports_a_session_killed_mid_call_as_incomplete() {
    if !sipp_present() {
        return;
    }
    let fast = [
        ("CALLVAULT_ASSURANCE__SETTLE_SECS", "0"),
        ("CALLVAULT_ASSURANCE__INTERVAL_SECS", "1"),
        ("CALLVAULT_ASSURANCE__RECHECK_SECS", "1"),
    ];
    let Srs { env, server, sip, key } = Srs::start(&fast);
    let sipp = Sipp::start("siprec_call.xml", sip, &keys("killed"), &["-m", "1", "-d", "8000"]);
    let feeder = feed(vec![(sipp.portfile.clone(), TONES.to_vec())], Plan(vec![(0, 6000)]), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&sipp.portfile).unwrap_or_default().is_empty() {
        assert!(Instant::now() < deadline, "the call was not answered");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(3));
    server.kill9();
    let mut child = sipp.child;
    let _ = child.kill();
    let _ = child.wait();
    feeder.join().unwrap();
    let server = Server::start(&env);
    let srs = Srs { env, server, sip, key };
    let list = srs.wait_recordings(1, 1).await;
    let d = srs.detail(list[0]["id"].as_str().unwrap()).await;
    let call_id = d["external_ids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sip_call_id")
        .map(|e| e["value"].as_str().unwrap().to_owned())
        .unwrap();
    let answered: chrono::DateTime<chrono::Utc> =
        d["started_at"].as_str().unwrap().parse().unwrap();
    // The PBX's record: the call was answered then and talked for 8 s.
    let cdr = serde_json::json!([{
        "format": "asterisk_csv", "leg_key": "killed-1",
        "ids": [{ "kind": "sip_call_id", "value": call_id }],
        "caller": "+79120000001", "callee": "101",
        "started_at": answered - chrono::Duration::seconds(2), "answered_at": answered,
        "ended_at": answered + chrono::Duration::seconds(8), "talk_secs": 8,
        "disposition": "answered",
    }]);
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/cdrs", srs.server.url))
        .bearer_auth(&srs.key)
        .json(&cdr)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(60);
    let finding = loop {
        let (status, report) =
            get_json(&format!("{}/v1/assurance?since=1h", srs.server.url), &srs.key).await;
        assert_eq!(status, 200, "{report}");
        if let Some(f) = report["findings"].as_array().unwrap().first() {
            break f.clone();
        }
        assert!(Instant::now() < deadline, "no finding: {report:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(finding["kind"], "incomplete", "{finding:#}");
    let reason = finding["reason"].as_str().unwrap();
    assert!(reason.starts_with("cut by crash: ") && reason.ends_with(" s lost"), "{reason}");
    let lost = finding["detail"]["lost_secs"].as_f64().unwrap();
    // Killed about 3 s into 8 s of talk, audio kept up to the last sync.
    assert!((4.0..=7.0).contains(&lost), "lost {lost} s: {finding:#}");
}
