//! End to end with real SIP user agents: sipp (Debian `sip-tester`) places
//! calls on the loopback interface while either `callvault capture
//! --interface lo` records them live, or tshark writes a capture file that
//! `callvault capture --read` replays. Each test checks the conversation in
//! the API (participants, one recording) and decodes the stereo Opus back:
//! the external party's 440 Hz tone on the left, the company side's 1000 Hz
//! tone on the right, for as long as they talked.
//!
//! Needs `sipp` and `tshark` and the right to open packet sockets (root or
//! CAP_NET_RAW). Without them the tests fail, unless `CV_TEST_SKIP_SERVICES`
//! is set, in which case they are skipped with the reason printed.
//!
//! Each test has its own loopback subnet (127.0.N.0/24), so they run in
//! parallel without seeing each other's packets.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use callvault_capture::{CaptureReader, PcapWriter, Precision};
use callvault_media::codec::g711::linear_to_alaw;
use common::*;
use serde_json::Value;

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sipp");
const CALLER_HZ: f64 = 440.0;
const CALLEE_HZ: f64 = 1000.0;

/// Whether the external tools are there; panics unless skipping is allowed.
fn tools(names: &[&str]) -> bool {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            !std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).any(|d| d.join(n).is_file()))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CV_TEST_SKIP_SERVICES").is_some() {
        eprintln!("skipped: {} not installed (CV_TEST_SKIP_SERVICES is set)", missing.join(", "));
        return false;
    }
    panic!(
        "{} not installed: apt-get install sip-tester tshark (or set CV_TEST_SKIP_SERVICES)",
        missing.join(", ")
    );
}

/// Where a sipp user agent runs: address, SIP port, media port.
#[derive(Clone, Copy)]
struct Ua<'a> {
    ip: &'a str,
    port: &'a str,
    media: &'a str,
}

/// What a sipp UAC dials (`service`), as whom (`caller`), with which
/// `X-Linkedid` (empty: none).
#[derive(Clone, Copy)]
struct Call<'a> {
    service: &'a str,
    caller: &'a str,
    linkedid: &'a str,
}

/// A scratch directory for sipp: the headless A-law files its scenarios
/// stream (30 s of tone each, looped), and its logs.
struct Lab {
    dir: tempfile::TempDir,
    children: Vec<Child>,
}

impl Lab {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (name, hz) in [("caller.pcma", CALLER_HZ), ("callee.pcma", CALLEE_HZ)] {
            let bytes: Vec<u8> = (0..8000 * 30)
                .map(|k| {
                    let t = f64::from(k) / 8000.0;
                    linear_to_alaw((8000.0 * (t * hz * std::f64::consts::TAU).sin()) as i16)
                })
                .collect();
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        Self { dir, children: Vec::new() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts sipp with `scenario` and `args`, in the lab directory.
    fn sipp(&mut self, scenario: &str, args: &[&str]) -> usize {
        let log = std::fs::File::create(
            self.path().join(format!("{scenario}.{}.out", self.children.len())),
        )
        .unwrap();
        let child = Command::new("sipp")
            .current_dir(self.path())
            .arg("-sf")
            .arg(Path::new(SCENARIOS).join(scenario))
            .args(["-m", "1", "-nostdin", "-trace_err", "-timeout", "60", "-timeout_error"])
            .args(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start sipp");
        self.children.push(child);
        self.children.len() - 1
    }

    /// Starts a sipp UAS (`scenario`) at `ua`, with `extra` arguments.
    fn uas(&mut self, scenario: &str, ua: Ua<'_>, extra: &[&str]) -> usize {
        let mut args = vec!["-i", ua.ip, "-p", ua.port, "-mi", ua.ip, "-mp", ua.media];
        args.extend_from_slice(extra);
        self.sipp(scenario, &args)
    }

    /// Starts a sipp UAC (`scenario`) at `ua` placing `call` to `target`
    /// (`host:port`), with `extra` arguments.
    fn uac(
        &mut self,
        scenario: &str,
        target: &str,
        ua: Ua<'_>,
        call: Call<'_>,
        extra: &[&str],
    ) -> usize {
        let mut args = vec![target, "-i", ua.ip, "-p", ua.port, "-mi", ua.ip, "-mp", ua.media];
        args.extend_from_slice(&["-s", call.service, "-key", "caller", call.caller]);
        args.extend_from_slice(&["-key", "linkedid", call.linkedid]);
        args.extend_from_slice(extra);
        self.sipp(scenario, &args)
    }

    /// One call from `caller` (sipp UAC, `uac_scenario`) to `callee` (sipp
    /// UAS, `uas_scenario`) dialling 100 as 15551230000, through to its
    /// end; `uac_extra`/`uas_extra` are further sipp arguments.
    #[allow(clippy::too_many_arguments)]
    fn two_party_call(
        &mut self,
        (uas_scenario, callee, uas_extra): (&str, Ua<'_>, &[&str]),
        (uac_scenario, caller, uac_extra): (&str, Ua<'_>, &[&str]),
        target: &str,
        linkedid: &str,
    ) {
        let uas = self.uas(uas_scenario, callee, uas_extra);
        let uac = self.uac(
            uac_scenario,
            target,
            caller,
            Call { service: "100", caller: "15551230000", linkedid },
            uac_extra,
        );
        self.wait(uac);
        self.wait(uas);
    }

    /// Waits for sipp number `i` to end, successfully.
    fn wait(&mut self, i: usize) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.children[i].try_wait().unwrap() {
                if !status.success() {
                    panic!("sipp {i} failed ({status}):\n{}", self.logs());
                }
                return;
            }
            assert!(Instant::now() < deadline, "sipp {i} did not finish:\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(self.path()).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".out") || name.ends_with(".log") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                let tail: String =
                    text.chars().rev().take(3000).collect::<Vec<_>>().into_iter().rev().collect();
                out.push_str(&format!("--- {name}\n{tail}\n"));
            }
        }
        out
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A process that prints `ready` on stderr once it captures, and stops on SIGINT.
struct Capturer {
    child: Child,
    stderr: PathBuf,
}

impl Capturer {
    fn start(mut cmd: Command, stderr: PathBuf, ready: &str) -> Self {
        let err = std::fs::File::create(&stderr).unwrap();
        let child = cmd.stdout(Stdio::piped()).stderr(err).spawn().unwrap();
        let mut c = Self { child, stderr };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&c.stderr).unwrap_or_default();
            if text.contains(ready) {
                break;
            }
            if let Some(status) = c.child.try_wait().unwrap() {
                panic!("capture exited early ({status}): {text}");
            }
            assert!(Instant::now() < deadline, "capture not ready: {text}");
            std::thread::sleep(Duration::from_millis(50));
        }
        c
    }

    /// SIGINT, then everything it printed on stdout.
    fn stop(mut self) -> String {
        // The last packets of the call are on their way through the kernel.
        std::thread::sleep(Duration::from_millis(500));
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut out = String::new();
                std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut out)
                    .unwrap();
                let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
                assert!(status.success(), "capture failed ({status}): {out}{err}");
                return out;
            }
            assert!(Instant::now() < deadline, "capture did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `callvault capture --interface lo` for one test's subnet.
fn live_capture(env: &Env, filter: &str, company: &[&str]) -> Capturer {
    live_capture_on(env, "lo", filter, company)
}

fn live_capture_on(env: &Env, interface: &str, filter: &str, company: &[&str]) -> Capturer {
    let mut cmd = env.command();
    cmd.args(["capture", "--interface", interface, "--filter", filter, "--tenant", "acme"]);
    for c in company {
        cmd.args(["--company-net", c]);
    }
    Capturer::start(cmd, env.data_dir().join("capture.err"), "capturing")
}

/// tshark on `lo` writing a pcap file.
fn tshark(file: &Path, filter: &str) -> Capturer {
    let mut cmd = Command::new("tshark");
    cmd.args(["-i", "lo", "-F", "pcap", "-f", filter, "-w"]).arg(file);
    Capturer::start(cmd, file.with_extension("err"), "Capturing on")
}

fn replay(env: &Env, file: &Path, company: &[&str]) -> String {
    let mut args = vec!["capture", "--read", file.to_str().unwrap(), "--tenant", "acme"];
    for c in company {
        args.extend(["--company-net", c]);
    }
    let out = env.cli(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// Seconds of 100 ms windows in which `hz` dominates the channel.
fn seconds_of_tone(s: &[i16], hz: f64, other: f64) -> f64 {
    let windows = s.chunks(800).filter(|w| {
        let (p, q) = (tone_power(w, hz), tone_power(w, other));
        w.len() == 800 && p > 1e4 && p > 10.0 * q
    });
    windows.count() as f64 * 0.1
}

impl Expect<'static> {
    /// The call of [`Lab::two_party_call`] of about three seconds, its tones
    /// on their sides (`stereo`) or anywhere in the mix.
    fn two_party(stereo: bool) -> Self {
        Expect {
            number: "15551230000",
            participants: &["15551230000", "100"],
            duration_ms: 2800..3800,
            stereo,
            min_tone_secs: 2.2,
        }
    }
}

/// What a test expects of its one conversation.
struct Expect<'a> {
    number: &'a str,
    participants: &'a [&'a str],
    /// Rendered duration, milliseconds.
    duration_ms: std::ops::Range<u64>,
    /// The caller's tone on the left and the callee's on the right (false:
    /// sides unknown, both tones anywhere in the mix).
    stereo: bool,
    /// Least seconds of each tone: about 70 % of the talk time, since sipp
    /// paces its RTP by the wall clock and starts late on a loaded machine
    /// (the recording's duration is checked on its own).
    min_tone_secs: f64,
}

fn check(env: &Env, key: &str, summary: &str, expect: &Expect<'_>) {
    assert!(summary.contains(": 1 conversations,"), "{summary}");
    assert!(summary.contains("1 recordings stored"), "{summary}");
    let server = Server::start(env);
    check_vault(&server, key, expect);
}

/// The conversation in the API, then its audio decoded back.
fn check_vault(server: &Server, key: &str, expect: &Expect<'_>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (duration_ms, audio) = rt.block_on(async {
        let url = format!("{}/v1/conversations?number={}", server.url, expect.number);
        let page: Value = get_json(&url, key).await.1;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        let id = items[0]["id"].as_str().unwrap();
        let conv: Value = get_json(&format!("{}/v1/conversations/{id}", server.url), key).await.1;
        let who: Vec<String> = conv["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["address"].as_str().unwrap_or("").to_owned())
            .collect();
        for n in expect.participants {
            assert!(who.iter().any(|w| w == n), "{n} missing from {who:?}");
        }
        let recs = conv["recordings"].as_array().unwrap();
        assert_eq!(recs.len(), 1, "{conv}");
        assert_eq!(recs[0]["source"], "capture");
        assert_eq!(recs[0]["channels"], 2);
        let audio_url = recs[0]["audio_url"].as_str().unwrap();
        let audio = reqwest::Client::new()
            .get(format!("{}{audio_url}", server.url))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert!(audio.status().is_success(), "{}", audio.status());
        (recs[0]["duration_ms"].as_u64().unwrap(), audio.bytes().await.unwrap().to_vec())
    });
    assert!(expect.duration_ms.contains(&duration_ms), "duration {duration_ms} ms");
    let decoded = callvault_media::render::ogg_opus::decode(&audio).unwrap();
    assert_eq!(decoded.channels, 2);
    assert_eq!(decoded.input_rate, 8000, "captured G.711 renders at 8 kHz");
    let (left, right) = (&decoded.samples[0], &decoded.samples[1]);
    let secs = left.len() as f64 / 8000.0;
    assert!((secs * 1000.0 - duration_ms as f64).abs() < 200.0, "{secs} s decoded");
    if expect.stereo {
        let caller = seconds_of_tone(left, CALLER_HZ, CALLEE_HZ);
        let callee = seconds_of_tone(right, CALLEE_HZ, CALLER_HZ);
        assert!(caller >= expect.min_tone_secs, "caller's tone on the left for {caller} s");
        assert!(callee >= expect.min_tone_secs, "callee's tone on the right for {callee} s");
        // No bleeding across: the caller is never heard on the right.
        assert!(seconds_of_tone(right, CALLER_HZ, CALLEE_HZ) < 0.3, "caller on the right");
        assert!(seconds_of_tone(left, CALLEE_HZ, CALLER_HZ) < 0.3, "callee on the left");
    } else {
        let mono: Vec<i16> = left.iter().zip(right).map(|(a, b)| a.saturating_add(*b)).collect();
        let total =
            seconds_of_tone(&mono, CALLER_HZ, 5000.0) + seconds_of_tone(&mono, CALLEE_HZ, 5000.0);
        assert!(total >= expect.min_tone_secs, "tones for {total} s");
    }
}

/// One test's loopback subnet: 127.0.n.1 external, .2 and .3 company.
fn net(n: u8) -> (String, String, String, String) {
    (
        format!("127.0.{n}.1"),
        format!("127.0.{n}.2"),
        format!("127.0.{n}.3"),
        format!("127.0.{n}.0/24"),
    )
}

#[test]
fn live_capture_on_loopback_records_a_basic_call() {
    if !tools(&["sipp"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, pbx, _, subnet) = net(41);
    let company = format!("{pbx}/32");
    let capture = live_capture(&env, &format!("udp and net {subnet}"), &[&company]);
    Lab::new().two_party_call(
        ("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]),
        ("uac.xml", Ua { ip: &ext, port: "5060", media: "16000" }, &["-d", "3000"]),
        &format!("{pbx}:5060"),
        "basic-1",
    );
    let summary = capture.stop();
    assert!(summary.contains("0 dropped by the kernel"), "{summary}");
    check(&env, &key, &summary, &Expect::two_party(true));
}

#[test]
fn sip_over_tcp_captured_by_tshark_and_replayed() {
    if !tools(&["sipp", "tshark"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, pbx, _, subnet) = net(42);
    let file = env.data_dir().join("tcp.pcap");
    let capture = tshark(&file, &format!("net {subnet}"));
    let mut lab = Lab::new();
    let uas = lab.uas("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &["-t", "t1"]);
    // A TCP client does not retransmit: the server must listen first.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect((pbx.as_str(), 5060)).is_err() {
        assert!(Instant::now() < deadline, "sipp does not listen:\n{}", lab.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    let uac = lab.uac(
        "uac.xml",
        &format!("{pbx}:5060"),
        Ua { ip: &ext, port: "5060", media: "16000" },
        Call { service: "100", caller: "15551230000", linkedid: "tcp-1" },
        &["-t", "t1", "-d", "3000"],
    );
    lab.wait(uac);
    lab.wait(uas);
    capture.stop();
    let summary = replay(&env, &file, &[&format!("{pbx}/32")]);
    check(&env, &key, &summary, &Expect::two_party(true));
}

#[test]
fn live_capture_on_any_interface_of_a_call_over_ipv6_loopback() {
    if !tools(&["sipp"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    // Both ends are ::1: no company network tells them apart, so the test
    // checks both tones in the mix rather than their sides.
    let filter = "ip6 and host ::1 and (port 25060 or port 25062 or portrange 26000-26013)";
    // `-i any`: every interface, loopback packets still seen once.
    let capture = live_capture_on(&env, "any", filter, &[]);
    Lab::new().two_party_call(
        ("uas.xml", Ua { ip: "::1", port: "25060", media: "26000" }, &[]),
        ("uac.xml", Ua { ip: "::1", port: "25062", media: "26010" }, &["-d", "3000"]),
        "[::1]:25060",
        "v6-1",
    );
    let summary = capture.stop();
    check(&env, &key, &summary, &Expect::two_party(false));
}

#[test]
fn live_capture_of_hold_and_resume_is_one_recording() {
    if !tools(&["sipp"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, pbx, _, subnet) = net(43);
    let capture = live_capture(&env, &format!("net {subnet}"), &[&format!("{pbx}/32")]);
    // Talk 1.5 s, hold (sendonly) 1.5 s, resume, talk 1.5 s.
    Lab::new().two_party_call(
        ("uas_hold.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]),
        ("uac_hold.xml", Ua { ip: &ext, port: "5060", media: "16000" }, &["-d", "1500"]),
        &format!("{pbx}:5060"),
        "hold-1",
    );
    let summary = capture.stop();
    check(
        &env,
        &key,
        &summary,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100"],
            duration_ms: 4300..5600,
            stereo: true,
            min_tone_secs: 3.2,
        },
    );
}

#[test]
fn live_capture_of_a_blind_transfer_is_one_conversation() {
    if !tools(&["sipp"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, secretary, colleague, subnet) = net(44);
    let company = "127.0.44.2/31";
    let capture = live_capture(&env, &format!("udp and net {subnet}"), &[company]);
    let mut lab = Lab::new();
    let refer_to = format!("sip:200@{colleague}:5060");
    let sec = lab.uas(
        "uas_refer.xml",
        Ua { ip: &secretary, port: "5060", media: "16000" },
        &["-d", "2000", "-key", "refer_to", &refer_to],
    );
    let col = lab.uas("uas.xml", Ua { ip: &colleague, port: "5060", media: "16000" }, &[]);
    let leg1 = lab.uac(
        "uac_transferee.xml",
        &format!("{secretary}:5060"),
        Ua { ip: &ext, port: "5060", media: "16000" },
        Call { service: "100", caller: "15551230000", linkedid: "blind-1" },
        &[],
    );
    lab.wait(leg1);
    lab.wait(sec);
    // The transferee follows the REFER: a new call to the Refer-To target.
    let leg2 = lab.uac(
        "uac.xml",
        &format!("{colleague}:5060"),
        Ua { ip: &ext, port: "5060", media: "16000" },
        Call { service: "200", caller: "15551230000", linkedid: "blind-2" },
        &["-d", "2000"],
    );
    lab.wait(leg2);
    lab.wait(col);
    let summary = capture.stop();
    check(
        &env,
        &key,
        &summary,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100", "200"],
            duration_ms: 3800..6000,
            stereo: true,
            min_tone_secs: 2.8,
        },
    );
}

/// A caller's leg to the PBX (.2) and the PBX's leg to the agent (.3),
/// as a B2BUA makes them: two dialogs with the caller's number on both,
/// captured by tshark on subnet `n`. The legs carry `X-Linkedid: linkedid`
/// (empty: no header, which the tracker ignores); the agent's leg starts
/// `gap` after the caller's. Returns the environment, the tenant's key and
/// the capture file.
fn b2bua_capture(n: u8, linkedid: &str, gap: Duration) -> (Env, String, PathBuf) {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, pbx, agent, subnet) = net(n);
    let file = env.data_dir().join("b2bua.pcap");
    let capture = tshark(&file, &format!("udp and net {subnet}"));
    let mut lab = Lab::new();
    let pbx_in = lab.uas("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]);
    let agent_uas = lab.uas("uas.xml", Ua { ip: &agent, port: "5060", media: "16000" }, &[]);
    let leg = |lab: &mut Lab, to: &str, from: &str, port: &str, mp: &str, service: &str| {
        lab.uac(
            "uac.xml",
            &format!("{to}:5060"),
            Ua { ip: from, port, media: mp },
            Call { service, caller: "15551230000", linkedid },
            &["-d", "3000"],
        )
    };
    let leg1 = leg(&mut lab, &pbx, &ext, "5060", "16000", "100");
    std::thread::sleep(gap);
    let leg2 = leg(&mut lab, &agent, &pbx, "5070", "16010", "200");
    for i in [leg1, leg2, pbx_in, agent_uas] {
        lab.wait(i);
    }
    capture.stop();
    (env, key, file)
}

#[test]
fn b2bua_legs_sharing_x_linkedid_captured_by_tshark_are_one_conversation() {
    if !tools(&["sipp", "tshark"]) {
        return;
    }
    let (env, key, file) = b2bua_capture(45, "1764000000.42", Duration::ZERO);
    let summary = replay(&env, &file, &["127.0.45.2/31"]);
    check(
        &env,
        &key,
        &summary,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100", "200"],
            duration_ms: 2800..3900,
            stereo: true,
            min_tone_secs: 2.2,
        },
    );
}

/// The same B2BUA without any correlation header: the PBX's leg to the
/// agent starts a little after the caller's leg (a B2BUA dials once it has
/// routed the call), from the address the caller called, with the caller's
/// number, and is paired by the tracker's B2BUA heuristic. The PBX's copies
/// of each voice are left out, so each tone is heard once, on its side.
#[test]
fn b2bua_legs_without_a_shared_header_captured_by_tshark_are_one_conversation() {
    if !tools(&["sipp", "tshark"]) {
        return;
    }
    let (env, key, file) = b2bua_capture(57, "", Duration::from_millis(300));
    // With the pairing off, the same capture is two conversations.
    let off = Env::new();
    off.tenant_with_key("acme");
    let unpaired = off.cli(&[
        "capture",
        "--read",
        file.to_str().unwrap(),
        "--tenant",
        "acme",
        "--company-net",
        "127.0.57.2/31",
        "--b2bua-window-secs",
        "0",
    ]);
    let text = String::from_utf8_lossy(&unpaired.stdout);
    assert!(unpaired.status.success() && text.contains(": 2 conversations,"), "{text}");
    let summary = replay(&env, &file, &["127.0.57.2/31"]);
    check(
        &env,
        &key,
        &summary,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100", "200"],
            duration_ms: 2800..4300,
            stereo: true,
            min_tone_secs: 2.2,
        },
    );
}

#[test]
fn a_call_with_packet_loss_and_reordering_is_still_whole() {
    if !tools(&["sipp", "tshark"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, pbx, _, subnet) = net(46);
    let file = env.data_dir().join("clean.pcap");
    let capture = tshark(&file, &format!("udp and net {subnet}"));
    Lab::new().two_party_call(
        ("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]),
        ("uac.xml", Ua { ip: &ext, port: "5060", media: "16000" }, &["-d", "3000"]),
        &format!("{pbx}:5060"),
        "lossy-1",
    );
    capture.stop();

    // Our own writer: drop every 20th RTP packet (5 %), swap every 7th with
    // the next one (arrival times stay in order, the packets do not).
    let mut reader = CaptureReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let mut frames = Vec::new();
    let mut link = None;
    while let Some(f) = reader.next_frame().unwrap() {
        link = Some(f.link_type);
        frames.push((f.ts, f.data.to_vec()));
    }
    let link = link.expect("tshark captured nothing");
    let is_rtp = |data: &[u8]| {
        callvault_capture::filter::packet_headers(link, data)
            .and_then(|h| h.ports)
            .is_some_and(|(s, d)| s != 5060 && d != 5060)
    };
    let (mut out, mut rtp_seen, mut dropped) = (Vec::new(), 0u32, 0u32);
    for (ts, data) in &frames {
        if is_rtp(data) {
            rtp_seen += 1;
            if rtp_seen % 20 == 0 {
                dropped += 1;
                continue;
            }
        }
        out.push((*ts, data.clone()));
    }
    let mut swapped = 0;
    let mut i = 0;
    while i + 1 < out.len() {
        if i % 7 == 3 && is_rtp(&out[i].1) && is_rtp(&out[i + 1].1) {
            let next = out[i + 1].1.clone();
            out[i + 1].1 = std::mem::replace(&mut out[i].1, next);
            swapped += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    assert!(
        dropped >= 10 && swapped >= 10,
        "dropped {dropped}, swapped {swapped} of {} frames",
        frames.len()
    );
    let lossy = env.data_dir().join("lossy.pcap");
    let mut w =
        PcapWriter::new(std::fs::File::create(&lossy).unwrap(), link, Precision::Nano).unwrap();
    for (ts, data) in &out {
        w.write_frame(*ts, data).unwrap();
    }
    w.into_inner().unwrap();

    let summary = replay(&env, &lossy, &[&format!("{pbx}/32")]);
    check(
        &env,
        &key,
        &summary,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100"],
            duration_ms: 2800..3800,
            stereo: true,
            min_tone_secs: 2.0,
        },
    );
}

/// `serve` capturing on `lo` for tenant acme: `subnet` filtered, `pbx` the
/// company's side.
fn serve_capture_env(subnet: &str, pbx: &str) -> Env {
    Env::new()
        .with("CALLVAULT_CAPTURE__INTERFACES", "[\"lo\"]")
        .with("CALLVAULT_CAPTURE__FILTER", &format!("udp and net {subnet}"))
        .with("CALLVAULT_CAPTURE__TENANT", "acme")
        .with("CALLVAULT_CAPTURE__COMPANY_NETWORKS", &format!("[\"{pbx}/32\"]"))
}

#[test]
fn serve_captures_live_from_its_capture_section() {
    if !tools(&["sipp"]) {
        return;
    }
    let (ext, pbx, _, subnet) = net(47);
    let env = serve_capture_env(&subnet, &pbx);
    let key = env.tenant_with_key("acme");
    // Ready means the packet sockets are open.
    let server = Server::start(&env);
    Lab::new().two_party_call(
        ("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]),
        ("uac.xml", Ua { ip: &ext, port: "5060", media: "16000" }, &["-d", "3000"]),
        &format!("{pbx}:5060"),
        "serve-1",
    );
    // The BYE ended the call: it is stored while serve runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let url = format!("{}/v1/conversations?number=15551230000", server.url);
        let page: Value = rt.block_on(get_json(&url, &key)).1;
        if page["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "the captured call never reached the vault: {page}");
        std::thread::sleep(Duration::from_millis(100));
    }
    check_vault(&server, &key, &Expect::two_party(true));
    assert!(server.terminate().success());
}

/// One `name value` line of `/metrics`, 0 when absent.
fn metric(server: &Server, name: &str) -> u64 {
    let url = format!("{}/metrics", server.url);
    let text = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await?.text().await })
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

fn wait_metric(server: &Server, name: &str, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(server, name) < at_least {
        assert!(Instant::now() < deadline, "{name} never reached {at_least}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_keeps_capturing_through_a_vault_outage_and_stores_everything_after() {
    if !tools(&["sipp"]) {
        return;
    }
    let (ext, pbx, _, subnet) = net(49);
    let env = serve_capture_env(&subnet, &pbx);
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    // The object store goes away under the running server: every store
    // fails as unavailable until it is back.
    let objects = env.objects_dir();
    let away = objects.with_extension("away");
    std::fs::rename(&objects, &away).unwrap();
    let callers = ["15551230001", "15551230002"];
    let mut lab = Lab::new();
    for (i, caller) in callers.iter().enumerate() {
        let uas = lab.uas("uas.xml", Ua { ip: &pbx, port: "5060", media: "16000" }, &[]);
        let linkedid = format!("outage-{i}");
        let uac = lab.uac(
            "uac.xml",
            &format!("{pbx}:5060"),
            Ua { ip: &ext, port: "5060", media: "16000" },
            Call { service: "100", caller, linkedid: &linkedid },
            &["-d", "2500"],
        );
        lab.wait(uac);
        lab.wait(uas);
        // Recorded and closed, then waiting in its spool for the vault.
        wait_metric(&server, "callvault_capture_waiting_conversations", i as u64 + 1);
    }
    assert!(metric(&server, "callvault_capture_conversations_total{outcome=\"unavailable\"}") >= 1);
    assert_eq!(metric(&server, "callvault_capture_conversations_total{outcome=\"stored\"}"), 0);
    assert!(metric(&server, "callvault_capture_frames_total") > 0);

    std::fs::rename(&away, &objects).unwrap();
    wait_metric(&server, "callvault_capture_conversations_total{outcome=\"stored\"}", 2);
    assert_eq!(metric(&server, "callvault_capture_waiting_conversations"), 0);
    // The audit log names serve's capture as who stored them.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let audit: Value = rt.block_on(get_json(&format!("{}/v1/audit", server.url), &key)).1;
    let actors: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.contains("recording")))
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(actors.len() >= 2 && actors.iter().all(|a| *a == "capture"), "{audit}");
    for caller in callers {
        check_vault(
            &server,
            &key,
            &Expect {
                number: caller,
                participants: &[caller, "100"],
                duration_ms: 2300..3300,
                stereo: true,
                min_tone_secs: 1.8,
            },
        );
    }
    assert!(server.terminate().success());
}

#[test]
fn serve_refuses_a_capture_section_it_cannot_run() {
    let env = Env::new()
        .with("CALLVAULT_CAPTURE__INTERFACES", "[\"lo\"]")
        .with("CALLVAULT_CAPTURE__FILTER", "udp port");
    let out = env.cli(&["config"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(err.contains("CALLVAULT_CAPTURE__FILTER") || err.contains("capture.filter"), "{err}");
    let env = Env::new()
        .with("CALLVAULT_CAPTURE__INTERFACES", "[\"no-such-if0\"]")
        .with("CALLVAULT_CAPTURE__TENANT", "acme");
    env.tenant_with_key("acme");
    let out = env.command().args(["serve", "--listen", "127.0.0.1:0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(err.contains("capture.interfaces") && err.contains("no-such-if0"), "{err}");
}

#[test]
fn live_capture_of_an_attended_transfer_is_one_conversation() {
    if !tools(&["sipp"]) {
        return;
    }
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let (ext, secretary, colleague, subnet) = net(48);
    let capture = live_capture(&env, &format!("udp and net {subnet}"), &["127.0.48.2/31"]);
    let mut lab = Lab::new();
    // The secretary consults the colleague (Call-ID consult-1@x), then
    // transfers the caller with Refer-To ...?Replaces=consult-1@x; the
    // caller's INVITE to the colleague carries the Replaces header.
    let replaces = "consult-1@x;to-tag=a;from-tag=b";
    let refer_to =
        format!("sip:200@{colleague}:5062?Replaces=consult-1%40x%3Bto-tag%3Da%3Bfrom-tag%3Db");
    let sec = lab.uas(
        "uas_refer.xml",
        Ua { ip: &secretary, port: "5060", media: "16000" },
        &["-d", "2000", "-key", "refer_to", &refer_to],
    );
    let col_consult = lab.uas("uas.xml", Ua { ip: &colleague, port: "5060", media: "16000" }, &[]);
    let col_new = lab.uas("uas.xml", Ua { ip: &colleague, port: "5062", media: "16010" }, &[]);
    let leg1 = lab.uac(
        "uac_transferee.xml",
        &format!("{secretary}:5060"),
        Ua { ip: &ext, port: "5060", media: "16000" },
        Call { service: "100", caller: "15551230000", linkedid: "att-1" },
        &[],
    );
    let consult = lab.uac(
        "uac_consult.xml",
        &format!("{colleague}:5060"),
        Ua { ip: &secretary, port: "5070", media: "16010" },
        Call { service: "200", caller: "100", linkedid: "att-2" },
        &["-cid_str", "consult-%u@x", "-d", "3000"],
    );
    lab.wait(leg1);
    lab.wait(sec);
    let leg3 = lab.uac(
        "uac_replaces.xml",
        &format!("{colleague}:5062"),
        Ua { ip: &ext, port: "5060", media: "16000" },
        Call { service: "200", caller: "15551230000", linkedid: "att-3" },
        &["-key", "replaces", replaces, "-d", "2000"],
    );
    for i in [leg3, consult, col_consult, col_new] {
        lab.wait(i);
    }
    let summary = capture.stop();
    assert!(summary.contains("recordings stored"), "{summary}");
    let server = Server::start(&env);
    check_vault(
        &server,
        &key,
        &Expect {
            number: "15551230000",
            participants: &["15551230000", "100", "200"],
            duration_ms: 3800..6000,
            stereo: true,
            min_tone_secs: 2.8,
        },
    );
}
