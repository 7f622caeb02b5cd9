//! Encryption at rest through the real binary: an encrypting tenant's
//! upload is ciphertext on disk and plaintext through the API, Range reads
//! at chunk boundaries, rotation then reads with the old key gone, a wrong
//! or missing master key stops every command at start-up, and a tampered
//! object is an error (never garbage) that `fsck --verify` reports.

mod common;

use base64::Engine;
use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const CHUNK: u64 = 64 * 1024;
/// The format's header and per-chunk tag (`callvault_store::crypt`).
const HEADER: u64 = 20;
const TAG: u64 = 16;

fn b64(key: &[u8; 32]) -> String {
    format!("base64:{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// An environment with these master keys (id, bytes) and `active`.
fn env_with_keys(base: &Env, keys: &[(&str, [u8; 32])], active: Option<&str>) -> Env {
    let mut vars: Vec<(String, String)> = base
        .vars
        .iter()
        .filter(|(k, _)| !k.starts_with("CALLVAULT_ENCRYPTION__"))
        .cloned()
        .collect();
    for (id, key) in keys {
        vars.push((format!("CALLVAULT_ENCRYPTION__KEYS__{}", id.to_uppercase()), b64(key)));
    }
    if let Some(a) = active {
        vars.push(("CALLVAULT_ENCRYPTION__ACTIVE_KEY".into(), a.into()));
    }
    // The same data directory: a TempDir is owned once, so share its path.
    Env { dir: tempfile::tempdir().unwrap(), vars }
}

async fn upload(url: &str, key: &str, audio: Vec<u8>) -> Value {
    let form = Form::new()
        .part("audio", Part::bytes(audio).file_name("call.wav").mime_str("audio/wav").unwrap());
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

/// GET the audio, with a Range header if given: status, Content-Range,
/// body (Err when the body broke off).
async fn audio(
    url: &str,
    key: &str,
    id: &str,
    range: Option<&str>,
) -> (StatusCode, Option<String>, Result<Vec<u8>, String>) {
    let mut req =
        reqwest::Client::new().get(format!("{url}/v1/recordings/{id}/audio")).bearer_auth(key);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let cr = resp.headers().get("content-range").map(|v| v.to_str().unwrap().to_owned());
    let body = resp.bytes().await.map(|b| b.to_vec()).map_err(|e| e.to_string());
    (status, cr, body)
}

/// Every Range read at and around the chunk boundaries gives exactly the
/// uploaded bytes.
async fn check_reads(url: &str, key: &str, id: &str, plain: &[u8]) {
    let len = plain.len() as u64;
    let (status, _, body) = audio(url, key, id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.unwrap() == plain, "the whole recording");
    let ranges: Vec<(u64, u64)> = vec![
        (0, 0),
        (0, CHUNK - 1),
        (CHUNK - 1, CHUNK),
        (CHUNK, CHUNK),
        (CHUNK, 2 * CHUNK - 1),
        (CHUNK - 3, 2 * CHUNK + 3),
        (2 * CHUNK, len - 1),
        (len - 1, len - 1),
        (12_345, 150_000),
    ];
    for (a, b) in ranges {
        let (status, cr, body) = audio(url, key, id, Some(&format!("bytes={a}-{b}"))).await;
        assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{a}-{b}");
        assert_eq!(cr.as_deref(), Some(format!("bytes {a}-{b}/{len}").as_str()));
        assert!(body.unwrap() == plain[a as usize..=b as usize], "range {a}-{b}");
    }
    let (status, cr, body) = audio(url, key, id, Some("bytes=-100")).await;
    assert_eq!(
        (status, cr),
        (StatusCode::PARTIAL_CONTENT, Some(format!("bytes {}-{}/{len}", len - 100, len - 1)))
    );
    assert!(body.unwrap() == plain[plain.len() - 100..]);
}

fn run(env: &Env, args: &[&str]) -> (i32, String, String) {
    let out = env.cli(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn encrypted_recordings_read_back_through_range_rotation_and_tampering() {
    let base = Env::new();
    let data_dir = base.data_dir().to_owned();
    let (k1, k2, wrong) = ([0x11u8; 32], [0x22u8; 32], [0x33u8; 32]);
    let env1 = env_with_keys(&base, &[("k1", k1)], Some("k1"));
    let key = env1.tenant_with_key("acme");
    let plain_key = env1.tenant_with_key("plain");
    let admin = env1.admin_key();
    let (code, out, err) = run(&env1, &["encryption", "enable", "--tenant", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("encrypted"), "{out}");

    // 3 chunks and a bit: 200,044 bytes of WAV.
    let audio_bytes = wav(100_000, 7);
    let len = audio_bytes.len() as u64;
    assert!(len > 3 * CHUNK);
    let server = Server::start(&env1);
    let rec = upload(&server.url, &key, audio_bytes.clone()).await;
    let id = rec["id"].as_str().unwrap().to_owned();
    // The recording describes the audio.
    assert_eq!(rec["sha256"].as_str().unwrap(), sha256_hex(&audio_bytes));
    assert_eq!(rec["size_bytes"].as_u64(), Some(len));
    let clear = upload(&server.url, &plain_key, wav(8000, 8)).await;

    // On disk: ciphertext of the expected length, no trace of the WAV.
    let files = base_object_files(&data_dir);
    assert_eq!(files.len(), 2);
    let stored: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let sealed_len = HEADER + len + 4 * TAG;
    let sealed = stored.iter().find(|b| b.len() as u64 == sealed_len).expect("the sealed object");
    assert_eq!(&sealed[..4], b"CVEN");
    assert!(!sealed.windows(4).any(|w| w == b"RIFF" || w == b"data"), "plaintext leaked");
    assert!(stored.iter().any(|b| b == &wav(8000, 8)), "other tenants are stored as they came");
    let _ = clear;

    check_reads(&server.url, &key, &id, &audio_bytes).await;
    let (_, status) = get_json(&format!("{}/v1/encryption", server.url), &admin).await;
    assert_eq!(status["active_key"], "k1");
    assert_eq!(status["keys"][0]["data_keys"], 1);
    drop(server);

    // fsck --verify checks the stored bytes against the copy row: clean.
    let (code, out, err) = run(&env1, &["fsck", "--verify"]);
    assert_eq!(code, 0, "{out}{err}");

    // Rotation: k2 active, k1 still configured to unwrap; twice is a no-op.
    let env12 = env_with_keys(&base, &[("k1", k1), ("k2", k2)], Some("k2"));
    let (code, out, err) = run(&env12, &["encryption", "rotate", "--batch", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("re-wrapped 1 data keys under k2"), "{out}");
    let (_, out, _) = run(&env12, &["encryption", "rotate"]);
    assert!(out.contains("re-wrapped 0 data keys"), "{out}");
    let (_, out, _) = run(&env12, &["encryption", "status"]);
    assert!(out.contains("data keys awaiting rotation: 0"), "{out}");

    // k1 removed from the configuration: nothing references it any more.
    let env2 = env_with_keys(&base, &[("k2", k2)], Some("k2"));
    let server = Server::start(&env2);
    check_reads(&server.url, &key, &id, &audio_bytes).await;
    drop(server);

    // A missing key (k2 wraps a data key) and a wrong key stop every
    // command, serve included, naming the key, with exit code 6.
    let env_missing = env_with_keys(&base, &[("k1", k1)], Some("k1"));
    let (code, _, err) = run(&env_missing, &["encryption", "status"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("\"k2\" is missing"), "{err}");
    let env_wrong = env_with_keys(&base, &[("k2", wrong)], Some("k2"));
    for args in [&["fsck"][..], &["tenant", "list"][..], &["serve", "--listen", "127.0.0.1:0"][..]]
    {
        let (code, _, err) = run(&env_wrong, args);
        assert_eq!(code, 6, "{args:?}: {err}");
        assert!(err.contains("master key \"k2\"") && err.contains("wrong key"), "{err}");
    }
    // No key configured at all, while a tenant encrypts and k2 wraps a key.
    let env_none = env_with_keys(&base, &[], None);
    let (code, _, err) = run(&env_none, &["tenant", "list"]);
    assert_eq!(code, 6, "{err}");

    // Tampering: one bit of the second chunk. A read of the first chunk
    // still serves; anything touching the second is an error, never bytes.
    let path =
        files.iter().find(|f| std::fs::metadata(f).unwrap().len() == sealed_len).unwrap().clone();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(HEADER + CHUNK + TAG + 100) as usize] ^= 0x04;
    std::fs::write(&path, &bytes).unwrap();
    let server = Server::start(&env2);
    let (status, _, body) = audio(&server.url, &key, &id, Some("bytes=0-99")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert!(body.unwrap() == audio_bytes[..100]);
    let (status, _, _) =
        audio(&server.url, &key, &id, Some(&format!("bytes={}-{}", CHUNK, CHUNK + 10))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // The first chunk went out before the damaged one was reached: the
    // response breaks off (before or after its head) instead of carrying
    // the rest.
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/recordings/{id}/audio", server.url))
        .bearer_auth(&key)
        .send()
        .await;
    match resp {
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
        Ok(r) => {
            let status = r.status();
            let body = r.bytes().await;
            assert!(body.is_err(), "{status}: a whole body of {:?} bytes", body.map(|b| b.len()));
        }
    }
    drop(server);
    // Damaged first chunk: refused before the response starts.
    bytes[(HEADER + 10) as usize] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let server = Server::start(&env2);
    let (status, _, _) = audio(&server.url, &key, &id, None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    drop(server);
    let (code, out, _) = run(&env2, &["fsck", "--verify"]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("1 damaged") && out.contains(&format!("damaged {}", rel(&data_dir, &path))),
        "{out}"
    );

    // Disabled: the next upload is in the clear, the old one stays sealed.
    let (code, _, err) = run(&env2, &["encryption", "disable", "--tenant", "acme"]);
    assert_eq!(code, 0, "{err}");
    let server = Server::start(&env2);
    let later = wav(9000, 9);
    upload(&server.url, &key, later.clone()).await;
    assert!(base_object_files(&data_dir).iter().any(|f| std::fs::read(f).unwrap() == later));
}

#[tokio::test]
async fn the_admin_api_switches_tenants_and_rotates() {
    let base = Env::new();
    let env = env_with_keys(&base, &[("a", [1u8; 32]), ("b", [2u8; 32])], Some("a"));
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    let put = |url: String, enabled: bool| {
        client
            .put(format!("{url}/v1/encryption/tenants/acme"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({ "enabled": enabled }))
            .send()
    };
    assert_eq!(put(server.url.clone(), true).await.unwrap().status(), StatusCode::OK);
    let (s, v) = get_json(&format!("{}/v1/encryption/tenants/acme", server.url), &admin).await;
    assert_eq!((s, v["enabled"].as_bool()), (StatusCode::OK, Some(true)));
    // Tenants cannot see or change it.
    let (s, _) = get_json(&format!("{}/v1/encryption", server.url), &key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = get_json(&format!("{}/v1/encryption/tenants/nope", server.url), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let audio_bytes = wav(40_000, 3);
    let rec = upload(&server.url, &key, audio_bytes.clone()).await;
    let id = rec["id"].as_str().unwrap();
    let (_, status) = get_json(&format!("{}/v1/encryption", server.url), &admin).await;
    assert_eq!(status["pending_rotation"], 0);
    assert_eq!(status["encrypted_tenants"].as_array().unwrap().len(), 1);
    drop(server);
    // b becomes active; the API rotates.
    let env_b = env_with_keys(&base, &[("a", [1u8; 32]), ("b", [2u8; 32])], Some("b"));
    let server = Server::start(&env_b);
    let (_, status) = get_json(&format!("{}/v1/encryption", server.url), &admin).await;
    assert_eq!(status["pending_rotation"], 1);
    let resp = client
        .post(format!("{}/v1/encryption/rotate", server.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let report: Value = resp.json().await.unwrap();
    assert_eq!((report["active_key"].as_str(), report["rewrapped"].as_u64()), (Some("b"), Some(1)));
    let (status, _, body) = audio(&server.url, &key, id, Some("bytes=70000-70009")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert!(body.unwrap() == audio_bytes[70_000..70_010]);
    assert_eq!(put(server.url.clone(), false).await.unwrap().status(), StatusCode::OK);
}

/// Every object file under the local store of `data_dir` (staging excluded).
fn base_object_files(data_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data_dir.join("objects").join("tenants")];
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

/// An object file's key in the store.
fn rel(data_dir: &std::path::Path, path: &std::path::Path) -> String {
    path.strip_prefix(data_dir.join("objects")).unwrap().display().to_string()
}
