//! A full disk, on the catalog's filesystem or on the store's, through the
//! real binary on size-limited tmpfs mounts: uploads are refused with 503
//! (never 500), what was acknowledged stays whole, and once space is freed
//! the same process takes uploads and administration again, no restart.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A tmpfs of `mib` MiB mounted for the test's lifetime. `None` when this
/// process may not mount (not root) outside CI; under CI that is a failure.
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
                std::env::var_os("CI").is_none(),
                "cannot mount a tmpfs (run as root): the disk-full tests must run in CI"
            );
            eprintln!("skipped: cannot mount a tmpfs here (not root)");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fill the filesystem to the last byte; returns the filler's path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0x5au8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block, byte by byte in smaller pieces.
        let small = [0x5au8; 512];
        while f.write_all(&small).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

async fn upload(url: &str, key: &str, audio: Vec<u8>, call: &str) -> (StatusCode, Value) {
    let form = Form::new()
        .part(
            "metadata",
            Part::text(json!({ "linkedid": call, "caller": "+15550001111" }).to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part("audio", Part::bytes(audio).file_name("call.wav").mime_str("audio/wav").unwrap());
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn audio_sha(url: &str, key: &str, id: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!("{url}/v1/recordings/{id}/audio"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    hex::encode(Sha256::digest(resp.bytes().await.unwrap()))
}

/// Uploads until one is stored: after space is freed the same process
/// must take it (bounded: 50 tries over ~10 s).
async fn upload_until_stored(url: &str, key: &str, audio: &[u8], call: &str) -> Value {
    for _ in 0..50 {
        let (s, body) = upload(url, key, audio.to_vec(), call).await;
        if s == StatusCode::CREATED {
            return body;
        }
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("uploads did not recover after space was freed");
}

/// `/readyz`'s status once it is `want`, or the last seen after ~15 s.
async fn wait_readyz(url: &str, want: StatusCode) -> StatusCode {
    let mut last = StatusCode::IM_A_TEAPOT;
    for _ in 0..75 {
        last = reqwest::get(format!("{url}/readyz")).await.unwrap().status();
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    last
}

async fn create_tenant(url: &str, admin: &str, name: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{url}/v1/tenants"))
        .bearer_auth(admin)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_catalog_disk_refuses_with_503_and_recovers_without_restart() {
    let Some(fs) = Tmpfs::mount(24) else { return };
    let env = Env::new()
        .with("CALLVAULT_DATA_DIR", fs.path().to_str().unwrap())
        .with("CALLVAULT_SERVER__MIN_FREE_DISK_MIB", "4");
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let first = wav(8000, 1);
    let (s, stored) = upload(url, &key, first.clone(), "before").await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");

    let filler = fs.fill();
    // Full: refused as unavailable, never a 500, for uploads and
    // administration alike; what was stored plays back.
    let (s, body) = upload(url, &key, wav(8000, 2), "during").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["type"].is_string() || body["code"].is_string(), "problem+json: {body}");
    let s = create_tenant(url, &admin, "during").await;
    assert!(s == StatusCode::SERVICE_UNAVAILABLE, "tenant creation on a full disk: {s}");
    let id = stored["id"].as_str().unwrap();
    assert_eq!(audio_sha(url, &key, id).await, hex::encode(Sha256::digest(&first)));
    // Not ready while it cannot take a recording (the readiness worker
    // looks every few seconds).
    assert_eq!(
        wait_readyz(url, StatusCode::SERVICE_UNAVAILABLE).await,
        StatusCode::SERVICE_UNAVAILABLE
    );

    std::fs::remove_file(filler).unwrap();
    assert_eq!(wait_readyz(url, StatusCode::OK).await, StatusCode::OK);
    let after = wav(8000, 3);
    let body = upload_until_stored(url, &key, &after, "after").await;
    let id2 = body["id"].as_str().unwrap();
    assert_eq!(audio_sha(url, &key, id2).await, hex::encode(Sha256::digest(&after)));
    assert_eq!(create_tenant(url, &admin, "after").await, StatusCode::CREATED);
    assert_eq!(audio_sha(url, &key, id).await, hex::encode(Sha256::digest(&first)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_store_disk_refuses_with_503_and_recovers_at_once() {
    let Some(fs) = Tmpfs::mount(8) else { return };
    let objects = fs.path().join("objects");
    std::fs::create_dir_all(&objects).unwrap();
    let env = Env::new().with("CALLVAULT_STORE_URL", &format!("file://{}", objects.display()));
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = &server.url;
    let first = wav(8000, 11);
    let (s, stored) = upload(url, &key, first.clone(), "before").await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");

    let filler = fs.fill();
    let (s, body) = upload(url, &key, wav(8000, 12), "during").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let id = stored["id"].as_str().unwrap();
    assert_eq!(audio_sha(url, &key, id).await, hex::encode(Sha256::digest(&first)));

    std::fs::remove_file(filler).unwrap();
    let after = wav(8000, 13);
    let body = upload_until_stored(url, &key, &after, "after").await;
    let id2 = body["id"].as_str().unwrap();
    assert_eq!(audio_sha(url, &key, id2).await, hex::encode(Sha256::digest(&after)));
}
