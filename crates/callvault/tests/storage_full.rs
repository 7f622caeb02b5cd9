//! The data_dir and primary store on a small tmpfs, run by the real
//! binary: below the critical watermark new SIPREC sessions are answered
//! 503 with Retry-After while the call being recorded goes on and uploads
//! are still taken; a `disk_low` alert is raised; with the disk full to the
//! last byte no upload is refused either: staging and the object move to
//! the fallback store (another file system), `storage_spill` is raised;
//! once room is made, sessions are answered again, the storage jobs move
//! every spilled recording to the primary, the alerts are resolved and
//! every acknowledged recording plays back with its sha256.
//!
//! Needs root (it mounts a tmpfs); without it the test fails unless
//! `CV_TEST_SKIP_SERVICES=1`.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Uploads in the burst under the critical watermark (CI runs this many).
const UPLOADS: usize = 500;
/// Uploads in flight at once during the burst.
const PARALLEL: usize = 16;
/// New SIPREC sessions offered under the critical watermark.
const REFUSED_SESSIONS: usize = 5;

struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1"),
                "cannot mount a tmpfs: run the storage-full test as root \
                 (or set CV_TEST_SKIP_SERVICES=1 to skip it)"
            );
            eprintln!("skipped: cannot mount a tmpfs here (not root)");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn free(&self) -> u64 {
        let out =
            Command::new("df").args(["-B1", "--output=avail"]).arg(self.path()).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
    }

    /// A ballast file that leaves about `leave` bytes free (`0`: none).
    fn fill_to(&self, name: &str, leave: u64) -> PathBuf {
        use std::io::Write;
        let path = self.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0x5au8; 64 * 1024];
        while self.free() > leave + block.len() as u64 {
            if f.write_all(&block).is_err() {
                break;
            }
            f.flush().unwrap();
        }
        if leave == 0 {
            let small = [0x5au8; 512];
            while f.write_all(&small).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
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

/// Sends a SIP request, returns every response until a final one.
fn exchange(sock: &UdpSocket, to: SocketAddr, msg: &str) -> Vec<String> {
    sock.send_to(msg.as_bytes(), to).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65_536];
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
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

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendonly\r\n";

fn request(
    method: &str,
    local: SocketAddr,
    call_id: &str,
    to_tag: Option<&str>,
    cseq: u32,
    body: &str,
) -> String {
    let to = match to_tag {
        Some(t) => format!("<sip:srs@127.0.0.1>;tag={t}"),
        None => "<sip:srs@127.0.0.1>".into(),
    };
    let ct =
        if body.is_empty() { String::new() } else { "Content-Type: application/sdp\r\n".into() };
    format!(
        "{method} sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{call_id}{method}{cseq}\r\n\
         From: <sip:+14155550100@127.0.0.1>;tag=t{call_id}\r\nTo: {to}\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\nContact: <sip:src@{local}>;+sip.src\r\nMax-Forwards: 70\r\n\
         {ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
        .map(|l| l[name.len() + 1..].trim())
}

/// An SRC's call: INVITE answered, ACK, RTP to the answered port until
/// `bye` is called.
struct Call {
    sock: UdpSocket,
    srs: SocketAddr,
    call_id: String,
    to_tag: String,
    rtp: std::thread::JoinHandle<u64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Call {
    /// The final response's status line, and the call when it was answered.
    fn offer(srs: SocketAddr, call_id: &str) -> (String, Option<Call>) {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = sock.local_addr().unwrap();
        let r = exchange(&sock, srs, &request("INVITE", local, call_id, None, 1, SDP));
        let last = r.last().cloned().unwrap_or_default();
        if !last.starts_with("SIP/2.0 200") {
            return (last, None);
        }
        let to = header(&last, "To").unwrap();
        let to_tag = to.split(";tag=").nth(1).unwrap().split(';').next().unwrap().to_owned();
        sock.send_to(request("ACK", local, call_id, Some(&to_tag), 1, "").as_bytes(), srs).unwrap();
        let port: u16 = last
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .expect("the answer names an RTP port");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let rtp = std::thread::spawn(move || {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut n: u32 = 0;
            let start = Instant::now();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let mut pkt = vec![0x80, 8];
                pkt.extend_from_slice(&(n as u16).to_be_bytes());
                pkt.extend_from_slice(&(n * 160).to_be_bytes());
                pkt.extend_from_slice(&0x5151_0001u32.to_be_bytes());
                pkt.extend((0..160).map(|i| if (i / 4) % 2 == 0 { 0xd5u8 } else { 0x55 }));
                let _ = s.send_to(&pkt, ("127.0.0.1", port));
                n += 1;
                let due = start + Duration::from_millis(20 * u64::from(n));
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            u64::from(n)
        });
        let call = Call { sock, srs, call_id: call_id.to_owned(), to_tag, rtp, stop };
        (last, Some(call))
    }

    /// BYE: the status line of its answer, and the RTP packets sent.
    fn bye(self) -> (String, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let sent = self.rtp.join().unwrap();
        let local = self.sock.local_addr().unwrap();
        let r = exchange(
            &self.sock,
            self.srs,
            &request("BYE", local, &self.call_id, Some(&self.to_tag), 2, ""),
        );
        (r.last().cloned().unwrap_or_default(), sent)
    }
}

async fn upload(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    audio: Vec<u8>,
    call: &str,
) -> (StatusCode, String, Value) {
    let form = Form::new()
        .part(
            "metadata",
            Part::text(json!({ "linkedid": call, "caller": "+15550001111" }).to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part("audio", Part::bytes(audio).file_name("call.wav").mime_str("audio/wav").unwrap());
    let resp = client
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, resp.json().await.unwrap_or(Value::Null))
}

async fn audio_sha(client: &reqwest::Client, url: &str, key: &str, id: &str) -> String {
    let resp = client
        .get(format!("{url}/v1/recordings/{id}/audio"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "recording {id}");
    hex::encode(Sha256::digest(resp.bytes().await.unwrap()))
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn metrics(url: &str) -> String {
    reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap()
}

/// Waits until `/metrics` says the data_dir is at `level` (1 ok, 3 critical).
async fn wait_level(url: &str, level: u8) {
    let want = format!("callvault_data_dir_disk_level {level}\n");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = metrics(url).await;
        if m.contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "data_dir never reached level {level}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn open_alerts(url: &str, admin: &str) -> Vec<Value> {
    let (status, v) = get_json(&format!("{url}/v1/alerts?open=true"), admin).await;
    assert_eq!(status, 200, "{v}");
    v.as_array().cloned().unwrap_or_else(|| v["items"].as_array().cloned().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_data_dir_sheds_new_sessions_and_loses_nothing() {
    let Some(fs) = Tmpfs::mount(16) else { return };
    let catalog_dir = tempfile::tempdir().unwrap();
    // The fallback store, on another file system than the full one.
    let spill_dir = tempfile::tempdir().unwrap();
    let sip_port = free_port();
    let env = Env::new()
        .with("CALLVAULT_DATA_DIR", fs.path().to_str().unwrap())
        .with(
            "CALLVAULT_CATALOG__URL",
            &format!("sqlite://{}", catalog_dir.path().join("catalog.db").display()),
        )
        .with("CALLVAULT_SERVER__MIN_FREE_DISK_MIB", "6")
        .with("CALLVAULT_SERVER__DISK_LOW_MIB", "8")
        .with("CALLVAULT_SERVER__DISK_CHECK_SECS", "1")
        .with(
            "CALLVAULT_STORAGE__STORES__SPILL__URL",
            &format!("file://{}", spill_dir.path().display()),
        )
        .with("CALLVAULT_STORAGE__STORES__SPILL__ROLE", "fallback")
        .with("CALLVAULT_STORAGE__JOBS__INTERVAL_SECS", "1")
        .with("CALLVAULT_SIP__ENABLED", "true")
        .with("CALLVAULT_SIP__LISTEN", &format!("127.0.0.1:{sip_port}"))
        .with("CALLVAULT_SIP__RTP_PORTS", "40000-40999")
        .with("CALLVAULT_SIP__DEFAULT_TENANT", "acme")
        .with("CALLVAULT_SIP__ACCEPT_PLAIN_INVITES", "true");
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = server.url.clone();
    let srs = SocketAddr::from(([127, 0, 0, 1], sip_port));
    let client = reqwest::Client::new();
    wait_level(&url, 1).await;

    // A call is being recorded when the disk fills.
    let (answer, call) = Call::offer(srs, "in-progress");
    let call = call.unwrap_or_else(|| panic!("the first session is answered: {answer}"));

    // Under the critical watermark (6 MiB), with room left to write.
    let ballast = fs.fill_to("ballast", 5 << 20);
    wait_level(&url, 3).await;
    // Not ready either (the readiness worker looks every few seconds).
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/readyz")).await.unwrap().status()
        != StatusCode::SERVICE_UNAVAILABLE
    {
        assert!(Instant::now() < deadline, "/readyz stayed ready under the critical watermark");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // New sessions: 503 with Retry-After, so the SRC tries another SRS.
    for i in 0..REFUSED_SESSIONS {
        let (status, refused) = Call::offer(srs, &format!("shed-{i}"));
        assert!(refused.is_none());
        assert!(status.starts_with("SIP/2.0 503"), "{status}");
        assert!(header(&status, "Retry-After").is_some(), "{status}");
    }

    // Uploads are still taken while the store has room: none refused.
    let audios: Vec<Vec<u8>> = (0..UPLOADS).map(|i| wav(400, 1000 + i as u64)).collect();
    let results: Vec<(usize, StatusCode, String, Value)> = futures::stream::iter(0..UPLOADS)
        .map(|i| {
            let (client, url, key, audio) = (&client, &url, &key, audios[i].clone());
            async move {
                let (s, ct, body) = upload(client, url, key, audio, &format!("burst-{i}")).await;
                (i, s, ct, body)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut stored: Vec<(usize, String)> = Vec::new();
    for (i, s, _, body) in &results {
        assert_eq!(*s, StatusCode::CREATED, "upload {i} under the watermark: {body}");
        stored.push((*i, body["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(stored.len(), UPLOADS);

    // The call that was going on keeps going and is stored.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (bye, packets) = call.bye();
    assert!(bye.starts_with("SIP/2.0 200"), "{bye}");
    assert!(packets > 50);

    // Alerts: the disk (critical) and the refused calls.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let alerts = open_alerts(&url, &admin).await;
        let disk = alerts.iter().find(|a| a["kind"] == "disk_low");
        let refused = alerts.iter().find(|a| a["kind"] == "calls_refused");
        if let (Some(d), Some(_)) = (disk, refused) {
            assert_eq!(d["severity"], "critical", "{d}");
            assert_eq!(d["subject"], "data_dir");
            break;
        }
        assert!(Instant::now() < deadline, "no disk alerts: {alerts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let m = metrics(&url).await;
    assert!(
        m.contains(&format!(
            "callvault_sip_sessions_total{{outcome=\"refused_disk\"}} {REFUSED_SESSIONS}"
        )),
        "{}",
        m.lines().filter(|l| l.contains("sip_sessions")).collect::<Vec<_>>().join("\n")
    );

    // Full to the last byte: still no upload refused. Staging moves to the
    // fallback store when the primary's file system fills under it, and
    // the object goes there; nothing acknowledged is lost.
    let full = fs.fill_to("ballast-full", 0);
    let mut spilled = Vec::new();
    for i in 0..10u64 {
        let audio = wav(4000, 90_000 + i);
        let (s, _, body) = upload(&client, &url, &key, audio.clone(), &format!("full-{i}")).await;
        assert_eq!(s, StatusCode::CREATED, "upload {i} on a full primary: {body}");
        spilled.push((body["id"].as_str().unwrap().to_owned(), audio));
    }
    let objects_in = |dir: &Path| {
        walk(dir).into_iter().filter(|p| !p.to_string_lossy().contains("staging")).count()
    };
    assert!(objects_in(spill_dir.path()) >= spilled.len(), "the fallback store holds them");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !open_alerts(&url, &admin).await.iter().any(|a| a["kind"] == "storage_spill") {
        assert!(Instant::now() < deadline, "no storage_spill alert");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (id, audio) in &spilled {
        let sha = audio_sha(&client, &url, &key, id).await;
        assert_eq!(sha, hex::encode(Sha256::digest(audio)), "spilled {id} plays from the fallback");
    }

    // Room again: sessions answered, alert resolved, everything plays.
    std::fs::remove_file(full).unwrap();
    std::fs::remove_file(ballast).unwrap();
    wait_level(&url, 1).await;
    let (status, again) = Call::offer(srs, "after");
    assert!(status.starts_with("SIP/2.0 200"), "{status}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (bye, _) = again.unwrap().bye();
    assert!(bye.starts_with("SIP/2.0 200"), "{bye}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while open_alerts(&url, &admin).await.iter().any(|a| a["kind"] == "disk_low") {
        assert!(Instant::now() < deadline, "the disk alert was not resolved");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, id) in &stored {
        let sha = audio_sha(&client, &url, &key, id).await;
        assert_eq!(sha, hex::encode(Sha256::digest(&audios[*i])), "upload {i}");
    }
    // The storage jobs bring the spilled recordings back to the primary:
    // the fallback empties and its alert is resolved.
    let deadline = Instant::now() + Duration::from_secs(60);
    while objects_in(spill_dir.path()) > 0
        || open_alerts(&url, &admin).await.iter().any(|a| a["kind"] == "storage_spill")
    {
        assert!(
            Instant::now() < deadline,
            "spilled recordings not returned: {} objects left in the fallback",
            objects_in(spill_dir.path())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for (id, audio) in &spilled {
        let sha = audio_sha(&client, &url, &key, id).await;
        assert_eq!(sha, hex::encode(Sha256::digest(audio)), "returned {id} plays from the primary");
    }
    // Both SIPREC calls answered are recordings now.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = metrics(&url).await;
        if m.contains("callvault_sip_sessions_total{outcome=\"recorded\"} 2") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SIPREC calls not stored: {}",
            m.lines().filter(|l| l.contains("sip_sessions")).collect::<Vec<_>>().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
