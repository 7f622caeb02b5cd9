//! Hostile clients against the real binary: stalled uploads, trickled
//! headers, idle sockets under a low descriptor limit, oversized requests.
//! Each test checks that another tenant's uploads and playback kept
//! working and that nothing acknowledged was lost. No timing is measured:
//! every wait is bounded and generous.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BOUNDARY: &str = "hostilehostile";

fn host(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// An upload as raw bytes: the HTTP head with the multipart preamble, the
/// audio, and the closing boundary.
fn raw_upload(host: &str, key: &str, audio: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let preamble = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n"
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let total = preamble.len() + audio.len() + tail.len();
    let head = format!(
        "POST /v1/recordings HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {total}\r\n\r\n{preamble}"
    );
    (head.into_bytes(), tail.into_bytes())
}

/// An upload that sends its headers and half its audio, then nothing.
async fn stalled_upload(url: &str, key: &str, seed: u64) -> TcpStream {
    let audio = wav(8000 * 4, seed);
    let (head, _) = raw_upload(host(url), key, &audio);
    let mut s = TcpStream::connect(host(url)).await.unwrap();
    s.write_all(&head).await.unwrap();
    s.write_all(&audio[..audio.len() / 2]).await.unwrap();
    s.flush().await.unwrap();
    s
}

/// Read a response off a raw socket until the server closes it or the
/// body is complete: its status and body. None if the socket closed
/// without an answer.
async fn read_response(s: &mut TcpStream, within: Duration) -> Option<(u16, String, String)> {
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if len.is_some_and(|len| buf.len() >= end + 4 + len) {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(within, read).await.expect("the server neither answered nor closed");
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, String::from_utf8_lossy(&buf[end + 4..]).into_owned()))
}

/// Wait until the socket is closed by the server (EOF or reset), reading
/// and dropping whatever it says first.
async fn wait_closed(s: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

fn client() -> reqwest::Client {
    // Bounded: a frozen server fails the test instead of hanging it.
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap()
}

/// Upload through reqwest: the recording's id and sha256.
async fn upload_ok(url: &str, key: &str, seed: u64) -> (String, String) {
    let audio = wav(8000, seed);
    let sha = sha256_hex(&audio);
    let resp = client()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(Form::new().part("audio", Part::bytes(audio).file_name("a.wav")))
        .send()
        .await
        .expect("another tenant's upload got no answer");
    assert_eq!(resp.status(), StatusCode::CREATED, "another tenant's upload was refused");
    let v: Value = resp.json().await.unwrap();
    (v["id"].as_str().unwrap().to_owned(), sha)
}

/// Play every recording back and compare its bytes.
async fn playback_ok(url: &str, key: &str, stored: &[(String, String)]) {
    for (id, sha) in stored {
        let resp = client()
            .get(format!("{url}/v1/recordings/{id}/audio"))
            .bearer_auth(key)
            .send()
            .await
            .expect("playback got no answer");
        assert_eq!(resp.status(), StatusCode::OK, "playback of {id}");
        assert_eq!(&sha256_hex(&resp.bytes().await.unwrap()), sha, "bytes of {id}");
    }
}

async fn metrics(url: &str) -> String {
    client().get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap()
}

/// The value of one metric line (exact name and labels), 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn wait_for_metric(url: &str, name: &str, want: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..300 {
        let v = metric(&metrics(url).await, name);
        if want(v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never reached the expected value: {}", metrics(url).await);
}

#[tokio::test]
async fn one_tenants_stalled_uploads_leave_other_tenants_and_playback_alone() {
    let env = Env::new()
        .with("CALLVAULT_SERVER__BODY_IDLE_TIMEOUT_SECS", "10")
        .with("CALLVAULT_SERVER__MAX_UPLOADS_PER_TENANT", "64");
    let stalling = env.tenant_with_key("stalling");
    let other = env.tenant_with_key("other");
    let server = Server::start(&env);
    let url = server.url.clone();
    let mut stored = vec![upload_ok(&url, &other, 1).await];

    // 64 uploads of one tenant stall halfway through their bodies: as many
    // as the runtime has blocking threads.
    let mut stalled = Vec::new();
    for i in 0..64 {
        stalled.push(stalled_upload(&url, &stalling, 100 + i).await);
    }
    wait_for_metric(&url, "callvault_uploads_in_flight", |v| v >= 64.0).await;

    // The tenant is at its limit: one more is refused before its body.
    let mut extra = stalled_upload(&url, &stalling, 999).await;
    let (status, head, body) = read_response(&mut extra, Duration::from_secs(20)).await.unwrap();
    assert_eq!(status, 429, "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
    assert!(body.contains("\"too_many_uploads\""), "{body}");

    // Everyone else: uploads, playback and listing go on.
    for seed in 2..5 {
        stored.push(upload_ok(&url, &other, seed).await);
    }
    playback_ok(&url, &other, &stored).await;
    let (s, page) = get_json(&format!("{url}/v1/conversations"), &other).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), stored.len());
    // ... while the stalled uploads were still held, not after they timed
    // out and made room.
    assert!(
        metric(&metrics(&url).await, "callvault_uploads_in_flight") >= 64.0,
        "the other tenant was served only once the stalled uploads had ended"
    );

    // The stalled uploads end with 408 once their bodies have been silent
    // for body_idle_timeout_secs, and leave nothing behind.
    for s in &mut stalled {
        let (status, head, body) = read_response(s, Duration::from_secs(60)).await.unwrap();
        assert_eq!(status, 408, "{head}");
        assert!(head.to_ascii_lowercase().contains("application/problem+json"), "{head}");
        assert!(body.contains("\"body_timeout\""), "{body}");
    }
    wait_for_metric(&url, "callvault_uploads_in_flight", |v| v == 0.0).await;
    assert_eq!(env.staging_files(), 0);
    assert!(metric(&metrics(&url).await, "callvault_http_body_timeouts_total") >= 64.0);
    // The tenant that stalled may upload again.
    upload_ok(&url, &stalling, 7).await;
    playback_ok(&url, &other, &stored).await;
    assert_eq!(env.object_files().len(), stored.len() + 1);
}

#[tokio::test]
async fn trickled_and_idle_connections_are_closed_and_never_crowd_out_others() {
    let env = Env::new()
        .with("CALLVAULT_SERVER__HEADER_READ_TIMEOUT_SECS", "2")
        .with("CALLVAULT_SERVER__MAX_CONNECTIONS", "64");
    let key = env.tenant_with_key("other");
    let server = Server::start(&env);
    let url = server.url.clone();
    let mut stored = vec![upload_ok(&url, &key, 1).await];

    // 500 connections that start a request and never finish its headers,
    // a byte at a time.
    let mut trickling = Vec::new();
    for _ in 0..500 {
        let mut s = TcpStream::connect(host(&url)).await.unwrap();
        s.write_all(b"GET /v1/conversations HTTP/1.1\r\nX-Slow: ").await.unwrap();
        trickling.push(s);
    }
    for _ in 0..3 {
        for s in &mut trickling {
            let _ = s.write_all(b"a").await;
        }
        // Others are served all along.
        stored.push(upload_ok(&url, &key, 10 + stored.len() as u64).await);
        playback_ok(&url, &key, &stored).await;
        assert!(
            reqwest::get(format!("{url}/healthz")).await.unwrap().status().is_success(),
            "healthz"
        );
    }
    // Every trickling connection is closed by the server: shed to make
    // room, or out of time for its headers.
    for s in &mut trickling {
        assert!(
            wait_closed(s, Duration::from_secs(30)).await,
            "a trickling connection stayed open"
        );
    }
    let m = metrics(&url).await;
    let shed = metric(&m, "callvault_http_connections_total{outcome=\"shed\"}");
    let timed_out = metric(&m, "callvault_http_connections_total{outcome=\"header_timeout\"}");
    let refused = metric(&m, "callvault_http_connections_total{outcome=\"refused\"}");
    assert!(shed > 0.0, "{m}");
    assert!(shed + timed_out + refused >= 500.0, "{m}");
    playback_ok(&url, &key, &stored).await;
    assert_eq!(env.object_files().len(), stored.len());
}

#[tokio::test]
async fn idle_sockets_under_a_low_descriptor_limit_do_not_stop_the_server() {
    if std::process::Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit (util-linux) is not installed; skipped");
        return;
    }
    let env = Env::new().with("CALLVAULT_SERVER__HEADER_READ_TIMEOUT_SECS", "30");
    let key = env.tenant_with_key("other");
    // 256 descriptors, soft and hard: the server cannot raise it.
    let server = Server::start_with_prefix(&env, &["prlimit", "--nofile=256:256", "--"]);
    let url = server.url.clone();
    let mut stored = vec![upload_ok(&url, &key, 1).await];

    // More idle sockets than the process has descriptors.
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(host(&url)).await.unwrap());
    }
    for round in 0..3u64 {
        let health = client().get(format!("{url}/healthz")).send().await.expect("healthz");
        assert_eq!(health.status(), StatusCode::OK);
        stored.push(upload_ok(&url, &key, 20 + round).await);
        playback_ok(&url, &key, &stored).await;
    }
    let m = metrics(&url).await;
    assert!(metric(&m, "callvault_http_connections_total{outcome=\"shed\"}") > 0.0, "{m}");
    assert_eq!(metric(&m, "callvault_http_accept_errors_total{kind=\"emfile\"}"), 0.0, "{m}");
    drop(idle);
    playback_ok(&url, &key, &stored).await;
    assert_eq!(env.object_files().len(), stored.len());
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_problem_json() {
    let env = Env::new().with("CALLVAULT_SERVER__MAX_UPLOAD_BYTES", "100000");
    let key = env.tenant_with_key("other");
    let server = Server::start(&env);
    let url = server.url.clone();
    let h = host(&url).to_owned();
    let mut stored = vec![upload_ok(&url, &key, 1).await];

    let long = |n: usize| "a".repeat(n);
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(String, u16, &str)> = vec![
        // Over the API's limit, and over hyper's own (64 KiB targets).
        (format!("GET /v1/{} HTTP/1.1\r\nHost: {h}\r\n\r\n", long(16 * 1024)), 414, "uri_too_long"),
        (format!("GET /v1/{} HTTP/1.1\r\nHost: {h}\r\n\r\n", long(70 * 1024)), 414, "uri_too_long"),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: {h}\r\n{many_headers}\r\n"),
            431,
            "headers_too_large",
        ),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: {h}\r\nX-Big: {}\r\n\r\n", long(40 * 1024)),
            431,
            "headers_too_large",
        ),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: {h}\r\nX-Big: {}\r\n\r\n", long(300 * 1024)),
            431,
            "headers_too_large",
        ),
        ("GET\x01 / HTTP/1.1\r\n\r\n".to_owned(), 400, "bad_request"),
    ];
    for (req, want, code) in cases {
        let mut s = TcpStream::connect(&h).await.unwrap();
        let _ = s.write_all(req.as_bytes()).await;
        let (status, head, body) = read_response(&mut s, Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("no answer for a {want} case"));
        assert_eq!(status, want, "{head}");
        assert!(
            head.to_ascii_lowercase().contains("content-type: application/problem+json"),
            "{head}"
        );
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{want}: {body}"));
        assert_eq!(v["code"], code, "{body}");
        assert_eq!(v["status"], want);
    }

    // An upload over max_upload_bytes is refused and leaves no staging file.
    let audio = wav(8000 * 10, 5);
    let (head, tail) = raw_upload(&h, &key, &audio);
    let mut s = TcpStream::connect(&h).await.unwrap();
    s.write_all(&head).await.unwrap();
    let _ = s.write_all(&audio).await;
    let _ = s.write_all(&tail).await;
    let (status, head, body) = read_response(&mut s, Duration::from_secs(20)).await.unwrap();
    assert_eq!(status, 413, "{head}");
    assert!(body.contains("\"too_large\""), "{body}");
    wait_for_metric(&url, "callvault_uploads_in_flight", |v| v == 0.0).await;
    assert_eq!(env.staging_files(), 0);

    stored.push(upload_ok(&url, &key, 2).await);
    playback_ok(&url, &key, &stored).await;
    assert_eq!(env.object_files().len(), stored.len());
}
