//! Delivery end to end through the real binary: `callvault serve` stores
//! uploads and delivers them through its outbox to a real webhook receiver
//! (signatures verified by the PyPI `standardwebhooks` library) and a real
//! SMTP server (aiosmtpd). Outages, SIGKILL in the middle of deliveries and
//! two processes sharing one PostgreSQL catalog.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Settled-conversation webhooks the receiver verified and answered 2xx:
/// webhook-id → conversation id.
fn settled(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| r["verified"] == true && r["status"].as_u64().is_some_and(|s| s < 300))
        .filter(|r| r["body"]["type"] == "conversation.settled")
        .map(|r| {
            (
                r["webhook_id"].as_str().unwrap().to_owned(),
                r["body"]["data"]["conversation"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An environment whose outbox retries fast and without jitter.
fn fast_env() -> Env {
    Env::new()
        // The test's receivers listen on loopback.
        .with("CALLVAULT_DELIVERY__ALLOW_PRIVATE_TARGETS", "true")
        .with("CALLVAULT_DELIVERY__SCHEDULE_SECS", "[0, 1, 1, 2]")
        .with("CALLVAULT_DELIVERY__JITTER", "0")
        .with("CALLVAULT_DELIVERY__POLL_MILLIS", "100")
        .with("CALLVAULT_DELIVERY__LEASE_SECS", "10")
}

async fn upload_final(url: &str, key: &str, seed: u64) -> String {
    let meta = json!({ "final": true, "call_id": format!("call-{seed}@pbx") });
    let form = Form::new()
        .part("metadata", Part::text(meta.to_string()).mime_str("application/json").unwrap())
        .part(
            "audio",
            Part::bytes(wav(8000, seed)).file_name("call.wav").mime_str("audio/wav").unwrap(),
        );
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    body["conversation_id"].as_str().unwrap().to_owned()
}

async fn add_webhook(url: &str, key: &str, port: u16) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/destinations"))
        .bearer_auth(key)
        .json(&json!({
            "name": "crm-hook",
            "kind": "webhook",
            "events": ["conversation.settled"],
            "config": { "url": format!("http://127.0.0.1:{port}/hook"), "timeout_secs": 5 },
            "secrets": { "secret": SECRET },
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Every conversation reached the receiver exactly once: one webhook-id
/// per conversation (a resend after a crash reuses its webhook-id, which a
/// receiver deduplicates by).
fn assert_exactly_once(records: &[Value], expected: &HashSet<String>) {
    let mut ids_per_conversation: HashMap<String, HashSet<String>> = HashMap::new();
    for (hook, conv) in settled(records) {
        ids_per_conversation.entry(conv).or_default().insert(hook);
    }
    let got: HashSet<String> = ids_per_conversation.keys().cloned().collect();
    assert_eq!(&got, expected, "conversations delivered");
    for (conv, ids) in &ids_per_conversation {
        assert_eq!(ids.len(), 1, "conversation {conv} delivered as {} deliveries", ids.len());
    }
    assert!(
        records.iter().all(|r| r["verified"] == true),
        "every request carried a valid Standard Webhooks signature"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_down_for_the_whole_run_gets_everything_once_it_is_back() {
    let Some(py) = python() else { return };
    let env = fast_env();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let port = free_port();
    add_webhook(&server.url, &key, port).await;
    let mut expected = HashSet::new();
    for seed in 0..12 {
        expected.insert(upload_final(&server.url, &key, seed).await);
    }
    // Nothing listens: every delivery fails and waits for its next try.
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let k = key.clone();
    let mut retrying = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && retrying < 12 {
        let page: Value = client
            .get(format!("{url}/v1/deliveries?state=retry_wait"))
            .bearer_auth(&k)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        retrying = page["items"].as_array().map_or(0, Vec::len);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(retrying, 12, "every delivery is waiting to be retried");
    let log = env.data_dir().join("hooks.jsonl");
    let receiver = Receiver::start(&py, &log, port);
    wait_for("all 12 conversations at the receiver", Duration::from_secs(90), || {
        settled(&receiver.records()).len() >= 12
    })
    .await;
    // Give a duplicate, if any, the time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_exactly_once(&receiver.records(), &expected);
    let page: Value = client
        .get(format!("{url}/v1/deliveries?state=delivered"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 12);
    let d = &page["items"][0];
    assert!(d["attempts"].as_u64().unwrap() >= 2, "{d}");
    receiver.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_in_the_middle_of_deliveries_delivers_everything_after_restart() {
    let Some(py) = python() else { return };
    let env = fast_env();
    let key = env.tenant_with_key("acme");
    let log = env.data_dir().join("hooks.jsonl");
    let receiver = Receiver::start(&py, &log, 0);
    // Each answer takes a second, so that the kill lands mid-delivery even
    // on a slow machine (16 at a time: the first answers come at 1 s, the
    // next at 2 s).
    let control = reqwest::Client::new();
    control
        .post(format!("http://127.0.0.1:{}/_control", receiver.port))
        .json(&json!({ "rules": [{ "status": 200, "delay": 1.0, "times": 1000 }] }))
        .send()
        .await
        .unwrap();
    let server = Server::start(&env);
    add_webhook(&server.url, &key, receiver.port).await;
    let mut expected = HashSet::new();
    for seed in 0..30 {
        expected.insert(upload_final(&server.url, &key, seed).await);
    }
    wait_for("a few deliveries", Duration::from_secs(60), || {
        settled(&receiver.records()).len() >= 3
    })
    .await;
    server.kill9();
    let before = settled(&receiver.records()).len();
    assert!(before < 30, "the kill came too late to test anything ({before} delivered)");
    let server = Server::start(&env);
    wait_for("all 30 conversations at the receiver", Duration::from_secs(120), || {
        settled(&receiver.records()).len() >= 30
    })
    .await;
    // The deliveries the killed process had in flight are its until their
    // lease runs out; then they are sent again (same webhook-id) and
    // recorded as delivered.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut delivered = 0;
    while Instant::now() < deadline {
        let page = deliveries(&server.url, &key, "delivered").await;
        delivered = page.len();
        if delivered == 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(delivered, 30, "every delivery ends delivered in the catalog");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let records = receiver.records();
    assert_exactly_once(&records, &expected);
    let resent = settled(&records).len() - 30;
    assert!(resent <= 16, "only what was in flight at the kill is sent again ({resent})");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_on_one_postgres_deliver_each_conversation_once() {
    let Some(py) = python() else { return };
    let Some(catalog_url) = fresh_postgres_database().await else { return };
    let shared = tempfile::tempdir().unwrap();
    let store_url = format!("file://{}", shared.path().display());
    let env_a = fast_env()
        .with("CALLVAULT_DATABASE_URL", &catalog_url)
        .with("CALLVAULT_STORE_URL", &store_url);
    let env_b = fast_env()
        .with("CALLVAULT_DATABASE_URL", &catalog_url)
        .with("CALLVAULT_STORE_URL", &store_url);
    let key = env_a.tenant_with_key("acme");
    let log = env_a.data_dir().join("hooks.jsonl");
    let receiver = Receiver::start(&py, &log, 0);
    let a = Server::start(&env_a);
    let b = Server::start(&env_b);
    add_webhook(&a.url, &key, receiver.port).await;
    let mut expected = HashSet::new();
    for seed in 0..60 {
        let url = if seed % 2 == 0 { &a.url } else { &b.url };
        expected.insert(upload_final(url, &key, seed).await);
    }
    wait_for("all 60 conversations at the receiver", Duration::from_secs(120), || {
        settled(&receiver.records()).len() >= 60
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let records = receiver.records();
    assert_exactly_once(&records, &expected);
    assert_eq!(settled(&records).len(), 60, "no request was made twice");
    drop((a, b));
}

/// A tenant's deliveries in `state`.
async fn deliveries(url: &str, key: &str, state: &str) -> Vec<Value> {
    let page: Value = reqwest::Client::new()
        .get(format!("{url}/v1/deliveries?state={state}&limit=1000"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// A database of its own on the test PostgreSQL server.
async fn fresh_postgres_database() -> Option<String> {
    let Ok(admin_url) = std::env::var("CV_TEST_POSTGRES_URL") else {
        if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
            return None;
        }
        panic!("CV_TEST_POSTGRES_URL is not set (or set CV_TEST_SKIP_SERVICES=1)");
    };
    let name = format!("cv_delivery_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql")
        .arg(&admin_url)
        .args(["-qAtc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_never_returns_a_secret() {
    let env = Env::new().with("CALLVAULT_DELIVERY__ALLOW_PRIVATE_TARGETS", "true");
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    let created = add_webhook(&server.url, &key, 9).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let smtp_password = "s3cr3t-smtp-pa55";
    let resp = client
        .post(format!("{}/v1/destinations", server.url))
        .bearer_auth(&key)
        .json(&json!({
            "name": "mail",
            "kind": "email",
            "config": { "host": "127.0.0.1", "port": 2525, "tls": "none", "allow_plaintext": true,
                        "username": "rec", "from": "rec@example.com", "to": ["boss@example.com"] },
            "secrets": { "password": smtp_password },
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let mail = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{mail}");
    let mail: Value = serde_json::from_str(&mail).unwrap();
    let mail_id = mail["id"].as_str().unwrap().to_owned();
    let patched = client
        .patch(format!("{}/v1/destinations/{id}", server.url))
        .bearer_auth(&key)
        .json(&json!({ "secrets": { "secret": "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" } }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut seen = vec![created.to_string(), mail.to_string(), patched];
    for path in [
        "/v1/destinations".to_owned(),
        format!("/v1/destinations/{id}"),
        format!("/v1/destinations/{mail_id}"),
        "/metrics".to_owned(),
    ] {
        let body = client
            .get(format!("{}{path}", server.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        seen.push(body);
    }
    let listed: Value = serde_json::from_str(&seen[3]).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["secrets_set"].as_array().unwrap().len(), 1, "{listed}");
    for text in &seen {
        assert!(!text.contains(SECRET), "webhook secret in {text}");
        assert!(!text.contains("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"), "rotated secret in {text}");
        assert!(!text.contains(smtp_password), "SMTP password in {text}");
    }
    // Nor does the audit log, which records every change to a destination.
    let audit = client
        .get(format!("{}/v1/audit", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("destination"), "{audit}");
    assert!(!audit.contains(smtp_password) && !audit.contains(SECRET), "{audit}");
}

/// The Python SMTP server (aiosmtpd): stores every accepted message.
struct Smtp {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Smtp {
    fn start(python: &str, dir: &Path) -> Self {
        let mut child = Command::new(python)
            .arg(servers_dir().join("smtp_server.py"))
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let port = announced_port(&mut child);
        Self { child, port, dir: dir.to_owned() }
    }

    fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a message, quoted-printable soft breaks undone.
fn unfold(message: &str) -> String {
    message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sixty_minute_call_by_email_is_a_link_that_plays() {
    let Some(py) = python() else { return };
    let env = fast_env();
    let key = env.tenant_with_key("acme");
    let smtp = Smtp::start(&py, &env.data_dir().join("mail"));
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/v1/destinations", server.url))
        .bearer_auth(&key)
        .json(&json!({
            "name": "supervisor",
            "kind": "email",
            "config": { "host": "127.0.0.1", "port": smtp.port, "tls": "none",
                        "from": "recorder@example.com", "to": ["boss@example.com"] },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    // One hour of 8 kHz audio: about 14 MB as MP3, over the 10 MB limit.
    let meta = json!({
        "final": true, "call_id": "long@pbx", "direction": "inbound",
        "caller": "+15550100", "callee": "201",
    });
    let form = Form::new()
        .part("metadata", Part::text(meta.to_string()).mime_str("application/json").unwrap())
        .part(
            "audio",
            Part::bytes(wav(8000 * 3600, 7)).file_name("long.wav").mime_str("audio/wav").unwrap(),
        );
    let resp = client
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    wait_for("the e-mail", Duration::from_secs(60), || !smtp.messages().is_empty()).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let message = unfold(&messages[0]);
    assert!(!message.contains("Content-Disposition: attachment"), "no attachment: {message}");
    let link = message
        .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .find(|w| w.starts_with(&format!("{}/links/", server.url)) && w.contains(".mp3?"))
        .unwrap_or_else(|| panic!("a signed MP3 link in {message}"))
        .to_owned();
    // The link needs no API key and serves a range of an MP3.
    let resp = client.get(&link).header("Range", "bytes=0-1023").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-type"], "audio/mpeg");
    let total: u64 = resp.headers()["content-range"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > 10_000_000, "a one-hour MP3 ({total} bytes)");
    let head = resp.bytes().await.unwrap();
    assert_eq!(head.len(), 1024);
    assert!(head.starts_with(b"ID3") || (head[0] == 0xFF && head[1] & 0xE0 == 0xE0), "MP3");
    // A tampered link is refused.
    let tampered = link.replacen(".mp3?", ".wav?", 1);
    let resp = client.get(&tampered).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_says_gone_is_disabled_and_the_alert_reaches_the_alert_destination() {
    let Some(py) = python() else { return };
    let env = fast_env().with("CALLVAULT_DELIVERY__GAUGES_SECS", "1");
    let key = env.tenant_with_key("acme");
    let gone = Receiver::start(&py, &env.data_dir().join("gone.jsonl"), 0);
    let ops = Receiver::start(&py, &env.data_dir().join("ops.jsonl"), 0);
    let client = reqwest::Client::new();
    client
        .post(format!("http://127.0.0.1:{}/_control", gone.port))
        .json(&json!({ "rules": [{ "status": 410, "times": 100 }] }))
        .send()
        .await
        .unwrap();
    let server = Server::start(&env);
    let hook = add_webhook(&server.url, &key, gone.port).await;
    let resp = client
        .post(format!("{}/v1/destinations", server.url))
        .bearer_auth(&key)
        .json(&json!({
            "name": "ops-alerts",
            "kind": "webhook",
            "events": ["alert"],
            "config": { "url": format!("http://127.0.0.1:{}/alerts", ops.port) },
            "secrets": { "secret": SECRET },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    upload_final(&server.url, &key, 1).await;
    let alerts = |records: Vec<Value>| -> Vec<Value> {
        records.into_iter().filter(|r| r["body"]["type"] == "alert").collect()
    };
    wait_for("the alert at the alert destination", Duration::from_secs(60), || {
        !alerts(ops.records()).is_empty()
    })
    .await;
    let got = alerts(ops.records());
    assert_eq!(got.len(), 1, "one alert, debounced: {got:?}");
    assert_eq!(got[0]["body"]["data"]["kind"], "endpoint_disabled");
    // A disabled destination is not sent to: later conversations queue
    // nothing for it until it is enabled again.
    let later = upload_final(&server.url, &key, 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(gone.records().len(), 1);
    let (_, waiting) =
        get_json(&format!("{}/v1/conversations/{later}/deliveries", server.url), &key).await;
    assert_eq!(waiting, json!([]));
    let (status, d) =
        get_json(&format!("{}/v1/destinations/{}", server.url, hook["id"].as_str().unwrap()), &key)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["enabled"], false);
    assert!(d["disabled_reason"].as_str().unwrap().contains("410"), "{d}");
    let (_, list) = get_json(&format!("{}/v1/alerts", server.url), &key).await;
    let open: Vec<&Value> = list.as_array().unwrap().iter().collect();
    assert_eq!(open.len(), 1, "{list}");
    assert_eq!(open[0]["kind"], "endpoint_disabled");
    // /metrics shows it too.
    wait_for("the alert gauge", Duration::from_secs(20), || {
        let body = std::process::Command::new("curl")
            .args(["-sf", &format!("{}/metrics", server.url)])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        body.lines().any(|l| {
            l.starts_with("callvault_alerts_open{")
                && l.contains("endpoint_disabled")
                && l.ends_with(" 1")
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_adds_tests_lists_and_removes_destinations_without_showing_secrets() {
    let Some(py) = python() else { return };
    let env = Env::new();
    env.tenant_with_key("acme");
    let receiver = Receiver::start(&py, &env.data_dir().join("hooks.jsonl"), 0);
    let secrets = env.data_dir().join("hook-secrets.json");
    std::fs::write(&secrets, json!({ "secret": SECRET }).to_string()).unwrap();
    let config = json!({ "url": format!("http://127.0.0.1:{}/hook", receiver.port) }).to_string();
    let out = env.cli(&[
        "destination",
        "add",
        "--tenant",
        "acme",
        "--name",
        "hook",
        "--kind",
        "webhook",
        "--settings",
        &config,
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--filters",
        r#"{"min_duration_secs": 5}"#,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().split('\t').next().unwrap().to_owned();
    let out = env.cli(&["destination", "list", "--tenant", "acme"]);
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.contains(&id) && !listed.contains(SECRET), "{listed}");
    // A real test delivery, verified by the receiver's standardwebhooks.
    let out = env.cli(&["destination", "test", "--tenant", "acme", &id]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown} {}", String::from_utf8_lossy(&out.stderr));
    assert!(shown.contains("\"delivered\""), "{shown}");
    let records = receiver.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["verified"], true);
    assert_eq!(records[0]["body"]["type"], "test");
    // Bad input: a clear message and a non-zero exit, nothing created.
    let out = env.cli(&[
        "destination",
        "add",
        "--tenant",
        "acme",
        "--name",
        "bad",
        "--kind",
        "fax",
        "--settings",
        "{}",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fax"));
    let out = env.cli(&["destination", "rm", "--tenant", "acme", &id]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = env.cli(&["destination", "list", "--tenant", "acme"]);
    assert!(String::from_utf8(out.stdout).unwrap().trim().is_empty());
    let out = env.cli(&["deliveries", "list", "--tenant", "acme", "--state", "sideways"]);
    assert!(!out.status.success());
}
