//! The operator's commands: configuration errors, bulk import, fsck, and
//! the server on PostgreSQL and on an S3-compatible store.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

#[test]
fn configuration_errors_name_the_key_and_exit_2() {
    let env = Env::new();
    let cfg = env.data_dir().join("callvault.toml");
    std::fs::write(&cfg, "[server]\nlisten = \"127.0.0.1:0\"\nmax_uplaod_bytes = 5\n").unwrap();
    let out = env.cli(&["--config", cfg.to_str().unwrap(), "config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max_uplaod_bytes") && err.contains("callvault.toml"), "{err}");

    let out = env.command().env("CALLVAULT_LOG__FORMAT", "xml").arg("config").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log.format"));

    let out = env
        .command()
        .env("CALLVAULT_DATABASE_URL", "postgres://u:hunter2@db/x")
        .arg("config")
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("postgres://u:<redacted>@db/x") && !shown.contains("hunter2"),
        "{shown}"
    );

    let out = env.cli(&["key", "create", "--tenant", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tenant named \"nobody\""));
}

#[test]
fn import_is_resumable_and_idempotent() {
    let env = Env::new();
    env.tenant_with_key("acme");
    let archive = tempfile::tempdir().unwrap();
    let day = archive.path().join("2026/11/20");
    std::fs::create_dir_all(&day).unwrap();
    // A transferred call as FreePBX names it: two legs, and a CSV that
    // knows their linkedid.
    std::fs::write(
        day.join("external-101-79123456789-20261120-101500-1763633700.42.wav"),
        wav(8000 * 5, 1),
    )
    .unwrap();
    std::fs::write(
        day.join("internal-102-101-20261120-101530-1763633730.57.wav"),
        wav(8000 * 9, 2),
    )
    .unwrap();
    std::fs::write(
        day.join("out-84951234567-103-20261120-120000-1763640000.1.wav"),
        wav(8000 * 3, 3),
    )
    .unwrap();
    std::fs::write(day.join("broken-20261120.wav"), b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
    std::fs::write(day.join("notes.txt"), b"not audio, not imported").unwrap();
    let csv = archive.path().join("meta.csv");
    std::fs::write(
        &csv,
        "file,linkedid,direction,caller,callee,started_at\n\
         external-101-79123456789-20261120-101500-1763633700.42.wav,1763633700.42,inbound,79123456789,101,2026-11-20 10:15:00\n\
         internal-102-101-20261120-101530-1763633730.57.wav,1763633700.42,inbound,79123456789,102,2026-11-20 10:15:30\n",
    )
    .unwrap();
    let args = [
        "import",
        archive.path().to_str().unwrap(),
        "--tenant",
        "acme",
        "--csv",
        csv.to_str().unwrap(),
    ];
    let out = env.cli(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("found 4, imported 3"), "{text}");
    assert!(text.contains("refused 2026/11/20/broken-20261120.wav"), "{text}");

    let again = env.cli(&args);
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(text.contains("imported 0") && text.contains("skipped 3 already imported"), "{text}");
    assert_eq!(env.object_files().len(), 3);

    // The two legs are one conversation; the outbound call is another.
    let key = env.tenant_with_key_existing("acme");
    let server = Server::start(&env);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let page: Value = get_json(
            &format!("{}/v1/conversations?external_id=asterisk_linkedid:1763633700.42", server.url),
            &key,
        )
        .await
        .1;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!(items[0]["recording_count"], 2);
        let page: Value =
            get_json(&format!("{}/v1/conversations?number=+7 (495) 123-45-67", server.url), &key)
                .await
                .1;
        assert_eq!(page["items"][0]["direction"], "outbound", "{page}");
    });

    let fsck = env.cli(&["fsck", "--verify"]);
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stdout));
    // A stray object that no row knows is reported, and fsck says so.
    let stray = env.objects_dir().join("tenants/stray.wav");
    std::fs::write(&stray, b"x").unwrap();
    let fsck = env.cli(&["fsck"]);
    assert_eq!(fsck.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&fsck.stdout).contains("orphan tenants/stray.wav"));
}

impl Env {
    /// A further key for an existing tenant.
    fn tenant_with_key_existing(&self, name: &str) -> String {
        let out = self.cli(&["key", "create", "--tenant", name]);
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

/// Upload, search and play back one recording against a running server.
fn round_trip(env: &Env) {
    let key = env.tenant_with_key("acme");
    let server = Server::start(env);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let audio = wav(8000 * 4, 77);
        let form = reqwest::multipart::Form::new()
            .text("metadata", r#"{"call_id":"abc@pbx","caller":"+15550001111","callee":"200"}"#)
            .part("audio", reqwest::multipart::Part::bytes(audio.clone()).file_name("a.wav"));
        let client = reqwest::Client::new();
        let resp = client
            .post(format!("{}/v1/recordings", server.url))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let rec: Value = resp.json().await.unwrap();
        let page: Value =
            get_json(&format!("{}/v1/conversations?number=15550001111", server.url), &key).await.1;
        assert_eq!(page["items"][0]["id"], rec["conversation_id"]);
        let bytes = client
            .get(format!("{}{}", server.url, rec["audio_url"].as_str().unwrap()))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), audio.as_slice());

        // Larger than one conditional PUT: the multipart path of remote stores.
        let big = wav(8000 * 1100, 78);
        assert!(big.len() > 16 * 1024 * 1024);
        let form = reqwest::multipart::Form::new()
            .part("audio", reqwest::multipart::Part::bytes(big.clone()).file_name("b.wav"));
        let resp = client
            .post(format!("{}/v1/recordings", server.url))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let rec: Value = resp.json().await.unwrap();
        let bytes = client
            .get(format!("{}{}", server.url, rec["audio_url"].as_str().unwrap()))
            .bearer_auth(&key)
            .header("Range", "bytes=16777000-16777999")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), &big[16_777_000..16_778_000]);
    });
    drop(server);
    let fsck = env.cli(&["fsck", "--verify"]);
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stdout));
}

#[test]
fn serves_from_postgresql() {
    let Some(admin_url) = required_service("CV_TEST_POSTGRES_URL") else { return };
    let db = format!("cv_e2e_{}", std::process::id());
    let psql = std::process::Command::new("psql")
        .args([
            &admin_url,
            "-q",
            "-c",
            &format!("DROP DATABASE IF EXISTS {db}"),
            "-c",
            &format!("CREATE DATABASE {db}"),
        ])
        .status()
        .unwrap();
    assert!(psql.success());
    let mut url = reqwest::Url::parse(&admin_url).unwrap();
    url.set_path(&db);
    let env = Env::new().with("CALLVAULT_DATABASE_URL", url.as_str());
    round_trip(&env);
}

#[test]
fn serves_from_an_s3_compatible_store() {
    let Some(endpoint) = required_service("CV_TEST_S3_ENDPOINT") else { return };
    let bucket = format!("cv-e2e-{}", std::process::id());
    // moto accepts any credentials; create the bucket with a plain PUT.
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "PUT", &format!("{endpoint}/{bucket}")])
        .status()
        .unwrap();
    assert!(status.success(), "cannot create bucket {bucket}");
    let env = Env::new()
        .with("CALLVAULT_STORE_URL", &format!("s3://{bucket}/recordings"))
        .with("CALLVAULT_STORE__OPTIONS__AWS_ENDPOINT", &endpoint)
        .with("CALLVAULT_STORE__OPTIONS__AWS_ALLOW_HTTP", "\"true\"")
        .with("CALLVAULT_STORE__OPTIONS__AWS_REGION", "us-east-1")
        .with("CALLVAULT_STORE__OPTIONS__AWS_ACCESS_KEY_ID", "test")
        .with("CALLVAULT_STORE__OPTIONS__AWS_SECRET_ACCESS_KEY", "test");
    round_trip(&env);
}

/// A service URL the README's test command provides. Missing, the test
/// fails, unless CV_TEST_SKIP_SERVICES=1 says to skip on purpose.
fn required_service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") => {
            eprintln!("skipping: {var} is not set and CV_TEST_SKIP_SERVICES=1");
            None
        }
        Err(_) => panic!(
            "{var} is not set; run the README's test command (or set CV_TEST_SKIP_SERVICES=1)"
        ),
    }
}
