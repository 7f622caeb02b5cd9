//! API rules hardened for issue 11, through the real binary: an
//! idempotency key names one upload (audio and metadata), admin routes
//! refuse tenant keys before reading a body, the audit log keeps other
//! tenants' activity to itself and bounds its pages, and `/readyz` tells
//! the truth about the disk and the catalog.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn upload(
    url: &str,
    key: &str,
    idem: Option<&str>,
    meta: Option<Value>,
    audio: Vec<u8>,
) -> (StatusCode, Value) {
    let mut f = Form::new();
    if let Some(m) = meta {
        f = f.part("metadata", Part::text(m.to_string()));
    }
    f = f.part("audio", Part::bytes(audio).file_name("a.wav"));
    let mut req = reqwest::Client::new().post(format!("{url}/v1/recordings")).bearer_auth(key);
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.multipart(f).send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_idempotency_key_reused_with_other_metadata_is_a_conflict() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = &server.url;
    let meta = json!({ "call_id": "first@pbx", "direction": "inbound" });
    let (s, first) = upload(url, &key, Some("k-1"), Some(meta.clone()), wav(8000, 1)).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    // The same upload again: the first recording.
    let (s, again) = upload(url, &key, Some("k-1"), Some(meta), wav(8000, 1)).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    // The same audio with other metadata under the same key: not dropped in
    // silence, a conflict.
    let other = json!({ "call_id": "second@pbx", "direction": "inbound" });
    let (s, body) = upload(url, &key, Some("k-1"), Some(other.clone()), wav(8000, 1)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "idempotency_key_reused");
    assert!(body["detail"].as_str().unwrap().contains("metadata"), "{body}");
    // No metadata at all is other metadata too.
    let (s, _) = upload(url, &key, Some("k-1"), None, wav(8000, 1)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Other audio, as before.
    let (s, body) = upload(url, &key, Some("k-1"), Some(json!({})), wav(8000, 2)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body["detail"].as_str().unwrap().contains("audio"), "{body}");
    // Under a new key the second call is stored.
    let (s, _) = upload(url, &key, Some("k-2"), Some(other), wav(8000, 1)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(env.object_files().len(), 2);
    assert_eq!(env.staging_files(), 0);
}

#[tokio::test]
async fn admin_routes_refuse_tenant_keys_before_reading_the_body() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    for body in ["{}", "not json", "{\"name\": 5}"] {
        let resp = client
            .post(format!("{}/v1/tenants", server.url))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{body}");
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], "forbidden");
    }
    // A wrong content type is no reason to answer a tenant anything else.
    let resp = client
        .post(format!("{}/v1/tenants/acme/keys", server.url))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // And an admin key on a tenant route is refused the same way.
    let admin = env.admin_key();
    let resp = client
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&admin)
        .body("junk")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tenants_see_their_audit_log_without_the_global_sequence() {
    let env = Env::new();
    let a = env.tenant_with_key("a");
    let b = env.tenant_with_key("b");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    // Interleaved activity: b's events fall between a's.
    for i in 0..3u64 {
        assert_eq!(upload(url, &a, None, None, wav(8000, 10 + i)).await.0, StatusCode::CREATED);
        assert_eq!(upload(url, &b, None, None, wav(8000, 20 + i)).await.0, StatusCode::CREATED);
    }
    let (s, page) = get_json(&format!("{url}/v1/audit"), &a).await;
    assert_eq!(s, StatusCode::OK);
    let items = page.as_array().unwrap();
    let stored: Vec<&Value> = items.iter().filter(|e| e["action"] == "recording.stored").collect();
    assert_eq!(stored.len(), 3, "{page}");
    for e in items {
        assert!(e.get("seq").is_none(), "a tenant sees a global sequence number: {e}");
        assert!(e["cursor"].is_string(), "{e}");
    }
    // Paging with the cursor: one at a time, the same events in order.
    let mut after: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let q = after.as_ref().map(|c| format!("&after={c}")).unwrap_or_default();
        let (s, page) = get_json(&format!("{url}/v1/audit?limit=1{q}"), &a).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let Some(e) = page.as_array().unwrap().first().cloned() else { break };
        after = Some(e["cursor"].as_str().unwrap().to_owned());
        paged.push(e);
    }
    assert_eq!(&paged, items);
    // Admins keep the stored sequence numbers, every tenant's.
    let (_, all) = get_json(&format!("{url}/v1/audit?limit=1000"), &admin).await;
    let seqs: Vec<i64> =
        all.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]) && seqs.len() > items.len(), "{all}");
    // Page bounds: 1 to 1000, nothing else.
    for bad in ["limit=0", "limit=1001", "limit=-1", "after=nonsense"] {
        let (s, body) = get_json(&format!("{url}/v1/audit?{bad}"), &a).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (s, _) = get_json(&format!("{url}/v1/audit?after=-5"), &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn readyz_says_not_ready_without_room_to_stage() {
    // Asking for more free space than any disk has: never ready, alive.
    let env = Env::new().with("CALLVAULT_SERVER__MIN_FREE_DISK_MIB", "1000000000000");
    let key = env.tenant_with_key("acme");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = env
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("CALLVAULT_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..200 {
        if reqwest::get(format!("{url}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "the server did not start");
    // Past the first readiness check (every few seconds; generous wait).
    let mut last = Value::Null;
    for _ in 0..100 {
        let r = reqwest::get(format!("{url}/readyz")).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        last = r.json().await.unwrap();
        if last["detail"].as_str().is_some_and(|d| d.contains("free")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(last["detail"].as_str().unwrap().contains("min_free_disk_mib"), "{last}");
    // The API itself still answers.
    let (s, _) = get_json(&format!("{url}/v1/conversations"), &key).await;
    assert_eq!(s, StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn the_api_speaks_http2_with_prior_knowledge_as_well_as_http1() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    for flag in ["--http1.1", "--http2-prior-knowledge"] {
        let out = std::process::Command::new("curl")
            .args(["-sS", flag, "-w", "\n%{http_version} %{http_code}", "-H"])
            .arg(format!("Authorization: Bearer {key}"))
            .arg(format!("{}/v1/conversations", server.url))
            .output()
            .expect("curl (scripts/test.sh installs it)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let want = if flag == "--http1.1" { "1.1 200" } else { "2 200" };
        assert!(text.ends_with(want), "{flag}: {text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("\"items\""), "{flag}: {text}");
    }
}
