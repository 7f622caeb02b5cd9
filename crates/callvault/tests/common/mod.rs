//! Helpers for tests that run the real `callvault` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod pcap;
pub mod webdriver;

pub const BIN: &str = env!("CARGO_BIN_EXE_callvault");

/// A data directory plus the environment that points the binary at it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // SIP stays off unless a test turns it on: parallel servers would
        // all want port 5060.
        let vars = vec![
            ("CALLVAULT_DATA_DIR".into(), dir.path().display().to_string()),
            ("CALLVAULT_SIP__ENABLED".into(), "false".into()),
        ];
        Self { vars, dir }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.into(), value.into()));
        self
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_remove("CALLVAULT_CONFIG");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run a CLI command to completion.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// `callvault capture --read PATH --tenant TENANT --company-net 10.0.0.0/8`
    /// (the company of `common::pcap`'s calls), run to completion.
    pub fn capture_read(&self, path: &Path, tenant: &str) -> Output {
        let path = path.to_str().unwrap();
        self.cli(&["capture", "--read", path, "--tenant", tenant, "--company-net", "10.0.0.0/8"])
    }

    /// `callvault tenant create` + `callvault key create`: the key's secret.
    pub fn tenant_with_key(&self, name: &str) -> String {
        let out = self.cli(&["tenant", "create", name]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = self.cli(&["key", "create", "--tenant", name, "--label", "test"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn admin_key(&self) -> String {
        let out = self.cli(&["key", "create", "--admin"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.data_dir().join("objects")
    }

    /// Every object file under the local store (staging excluded).
    pub fn object_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.objects_dir().join("tenants")];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path());
                }
            }
        }
        out.sort();
        out
    }

    pub fn staging_files(&self) -> usize {
        std::fs::read_dir(self.objects_dir().join(".staging")).map(|rd| rd.count()).unwrap_or(0)
    }
}

/// A running `callvault serve`.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(env: &Env) -> Self {
        Self::start_with_prefix(env, &[])
    }

    /// `callvault serve` run through a wrapper command (`prlimit ... --`).
    pub fn start_with_prefix(env: &Env, prefix: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = env.command();
        if let Some((program, args)) = prefix.split_first() {
            let inner = cmd;
            cmd = Command::new(program);
            cmd.args(args).arg(inner.get_program());
            for (k, v) in inner.get_envs() {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
        }
        let child = cmd
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("CALLVAULT_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Self { child, url: format!("http://127.0.0.1:{port}") };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("callvault serve exited early: {status}");
            }
            if reqwest::blocking_get_ok(&format!("{}/readyz", self.url)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("callvault serve did not become ready");
    }

    /// SIGKILL, no goodbye.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

mod reqwest {
    /// A readiness probe without an async runtime.
    pub fn blocking_get_ok(url: &str) -> bool {
        use std::io::{Read, Write};
        let Some(rest) = url.strip_prefix("http://") else { return false };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(mut s) = std::net::TcpStream::connect(host) else { return false };
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        if write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").is_err() {
            return false;
        }
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        buf.starts_with("HTTP/1.1 200")
    }
}

/// A valid WAV of `frames` 16-bit mono 8 kHz samples whose content depends
/// on `seed` (distinct seeds give distinct sha256s).
pub fn wav(frames: usize, seed: u64) -> Vec<u8> {
    use callvault_probe::synth::{chunk, riff_wave, wav_fmt};
    let mut data = Vec::with_capacity(frames * 2);
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 0..frames {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let v = (((i as f64) * 0.05).sin() * 8000.0) as i16 ^ (s as i16 & 0xff);
        data.extend_from_slice(&v.to_le_bytes());
    }
    riff_wave(&[chunk(b"fmt ", &wav_fmt(1, 1, 8000, 16, 2, &[])), chunk(b"data", &data)])
}

/// GET a JSON resource with a bearer key: the status and the body (Null
/// when the body is not JSON).
pub async fn get_json(url: &str, key: &str) -> (::reqwest::StatusCode, serde_json::Value) {
    let resp = ::reqwest::Client::new().get(url).bearer_auth(key).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Power of `hz` in 8 kHz samples `s` (Goertzel), normalised by length.
pub fn tone_power(s: &[i16], hz: f64) -> f64 {
    let w = 2.0 * (std::f64::consts::TAU * hz / 8000.0).cos();
    let (mut a, mut b) = (0.0, 0.0);
    for &x in s {
        let c = f64::from(x) + w * a - b;
        b = a;
        a = c;
    }
    (a * a + b * b - w * a * b) / (s.len().max(1) as f64).powi(2)
}

// --- SIP text for synthetic captures ---------------------------------------------

/// A plain G.711 A-law SDP offer for `ip:port`.
pub fn sdp(media: &str) -> String {
    let (ip, port) = media.split_once(':').unwrap();
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
    )
}

/// A SIP message: its first line, headers and an SDP body.
pub fn msg(first: &str, headers: &[String], body: &str) -> String {
    let mut m = format!("{first}\r\n");
    for h in headers {
        m.push_str(h);
        m.push_str("\r\n");
    }
    if !body.is_empty() {
        m.push_str("Content-Type: application/sdp\r\n");
    }
    m.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    m
}

/// The headers of a request from `from` to `to` in dialog `call_id`.
pub fn headers(
    call_id: &str,
    from: (&str, &str),
    to: (&str, &str),
    cseq: &str,
    to_tag: bool,
) -> Vec<String> {
    vec![
        format!("Via: SIP/2.0/UDP {};branch=z9hG4bK-{call_id}-{}", from.1, cseq.replace(' ', "")),
        format!("From: <sip:{}@{}>;tag={call_id}-f", from.0, from.1),
        format!(
            "To: <sip:{}@{}>{}",
            to.0,
            to.1,
            if to_tag { format!(";tag={call_id}-t") } else { String::new() }
        ),
        format!("Call-ID: {call_id}"),
        format!("CSeq: {cseq}"),
        format!("Contact: <sip:{}@{}>", from.0, from.1),
    ]
}

// --- the Python test servers (crates/delivery/tests/servers) ---------------------

/// The webhook destinations' signing secret in the tests.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub fn python() -> Option<String> {
    if let Ok(p) = std::env::var("CV_TEST_PYTHON") {
        return Some(p);
    }
    if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
        eprintln!("skipping: CV_TEST_PYTHON is not set and CV_TEST_SKIP_SERVICES=1");
        return None;
    }
    panic!(
        "CV_TEST_PYTHON is not set: a Python with aiosmtpd and standardwebhooks \
         (scripts/test.sh makes one), or set CV_TEST_SKIP_SERVICES=1"
    );
}

pub fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../delivery/tests/servers")
}

/// The port a test server prints as `PORT <n>` once it listens.
pub fn announced_port(child: &mut Child) -> u16 {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the test server said {line:?}"))
}

/// The Python webhook receiver: verifies every signature with the
/// `standardwebhooks` library and logs each request.
pub struct Receiver {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Receiver {
    pub fn start(python: &str, log: &Path, port: u16) -> Self {
        let mut child = Command::new(python)
            .arg(servers_dir().join("webhook_receiver.py"))
            .args(["--secret", SECRET, "--log"])
            .arg(log)
            .args(["--port", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the webhook receiver");
        let port = announced_port(&mut child);
        Self { child, port, log: log.to_owned() }
    }

    pub fn records(&self) -> Vec<Value> {
        read_records(&self.log)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn read_records(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `POST /v1/recordings` of `audio` with `meta`; panics unless it is stored
/// (201). Returns the recording.
pub async fn upload_stored(url: &str, key: &str, meta: Value, audio: Vec<u8>) -> Value {
    use ::reqwest::multipart::{Form, Part};
    let form = Form::new()
        .part("metadata", Part::text(meta.to_string()).mime_str("application/json").unwrap())
        .part("audio", Part::bytes(audio).file_name("call.wav").mime_str("audio/wav").unwrap());
    let resp = ::reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, ::reqwest::StatusCode::CREATED, "{body}");
    body
}

/// Polls `GET {url}{path}` with `key` until `done` holds (60 s at most).
pub async fn until(url: &str, key: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_json(&format!("{url}{path}"), key).await;
        assert_eq!(status, ::reqwest::StatusCode::OK, "{body}");
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "timed out waiting on {path}: {body:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
