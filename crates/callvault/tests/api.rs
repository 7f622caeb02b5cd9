//! End-to-end tests of the vault through the real binary: upload, search,
//! playback, tenants and keys, bad inputs, crash recovery, backends.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn form(meta: Option<Value>, audio: Vec<u8>) -> Form {
    let mut f = Form::new();
    if let Some(m) = meta {
        f = f.part("metadata", Part::text(m.to_string()).mime_str("application/json").unwrap());
    }
    f.part("audio", Part::bytes(audio).file_name("call.wav").mime_str("audio/wav").unwrap())
}

async fn upload(url: &str, key: &str, meta: Option<Value>, audio: Vec<u8>) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(form(meta, audio))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An audio part whose body arrives in `chunk`-byte pieces, `delay` apart:
/// an upload that is still in flight when the test acts.
fn slow_part(audio: &[u8], chunk: usize, delay: Duration) -> Part {
    let len = audio.len() as u64;
    let chunks: Vec<Vec<u8>> = audio.chunks(chunk).map(<[u8]>::to_vec).collect();
    let body = futures::stream::iter(chunks).then(move |c| async move {
        tokio::time::sleep(delay).await;
        Ok::<_, std::io::Error>(c)
    });
    Part::stream_with_length(reqwest::Body::wrap_stream(body), len)
        .file_name("a.wav")
        .mime_str("audio/wav")
        .unwrap()
}

#[tokio::test]
async fn a_transferred_call_uploaded_in_two_files_is_one_conversation() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = &server.url;

    // MixMonitor on the secretary's channel, then on the colleague's after
    // the transfer: two files, one linkedid.
    let first = wav(8000 * 20, 1);
    let second = wav(8000 * 60, 2);
    let (s1, r1) = upload(
        url,
        &key,
        Some(json!({
            "linkedid": "1763633700.42", "uniqueid": "1763633700.42", "direction": "inbound",
            "caller": "+7 912 345-67-89", "callee": "+74951234567",
            "started_at": "2026-11-20T10:00:00Z",
            "participant": { "address": "101", "name": "Secretary", "side": "company" }
        })),
        first.clone(),
    )
    .await;
    assert_eq!(s1, StatusCode::CREATED, "{r1}");
    assert_eq!(r1["duration_ms"], 20_000);
    assert_eq!(r1["format"], "wav");
    assert_eq!(r1["sha256"], sha256_hex(&first));
    let (s2, r2) = upload(
        url,
        &key,
        Some(json!({
            "linkedid": "1763633700.42", "uniqueid": "1763633700.57", "direction": "inbound",
            "caller": "+79123456789", "callee": "+74951234567",
            "started_at": "2026-11-20T10:00:15Z",
            "participant": { "address": "102", "name": "Colleague", "side": "company" }
        })),
        second.clone(),
    )
    .await;
    assert_eq!(s2, StatusCode::CREATED, "{r2}");
    assert_eq!(r1["conversation_id"], r2["conversation_id"]);

    let conv_id = r1["conversation_id"].as_str().unwrap();
    let (s, conv) = get_json(&format!("{url}/v1/conversations/{conv_id}"), &key).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(conv["started_at"], "2026-11-20T10:00:00Z");
    assert_eq!(conv["ended_at"], "2026-11-20T10:01:15Z");
    assert_eq!(conv["external_number"], "+7 912 345-67-89");
    let recs = conv["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["offset_ms"], 0);
    assert_eq!(recs[1]["offset_ms"], 15_000);
    assert_eq!(recs[1]["copies"][0]["store"], "primary");
    assert!(recs[1]["copies"][0]["verified_at"].is_string());
    let names: HashSet<_> = conv["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["display_name"].clone())
        .collect();
    assert!(
        names.contains(&json!("Secretary")) && names.contains(&json!("Colleague")),
        "{names:?}"
    );
    let events: Vec<_> =
        conv["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"joined"));
    assert!(events.contains(&"left") && events.contains(&"recording_started"));

    // Search by the caller's number in another notation, by external id,
    // by participant, by time.
    for q in [
        "number=89123456789",
        "external_id=asterisk_linkedid:1763633700.42",
        "external_id=1763633700.57",
        "participant=Colleague",
        "from=2026-11-20T09:00:00Z&to=2026-11-20T11:00:00Z&has_recording=true",
    ] {
        let (s, page) = get_json(&format!("{url}/v1/conversations?{q}"), &key).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{q}: {page}");
        assert_eq!(items[0]["id"], conv_id);
        assert_eq!(items[0]["recording_count"], 2);
    }
    let (_, page) = get_json(&format!("{url}/v1/conversations?number=5550000"), &key).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // Playback: whole, a range, a suffix range, an unsatisfiable range.
    let audio_url = format!("{url}{}", r2["audio_url"].as_str().unwrap());
    let client = reqwest::Client::new();
    let whole = client.get(&audio_url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["content-type"], "audio/wav");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), second.as_slice());
    let part = client
        .get(&audio_url)
        .bearer_auth(&key)
        .header("Range", "bytes=100-1123")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], format!("bytes 100-1123/{}", second.len()));
    assert_eq!(part.bytes().await.unwrap().as_ref(), &second[100..1124]);
    let tail =
        client.get(&audio_url).bearer_auth(&key).header("Range", "bytes=-10").send().await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &second[second.len() - 10..]);
    let past = client
        .get(&audio_url)
        .bearer_auth(&key)
        .header("Range", "bytes=99999999-")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(past.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn uploads_are_idempotent() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let client = reqwest::Client::new();
    let send = |idem: Option<&'static str>, audio: Vec<u8>| {
        let mut req = client
            .post(format!("{}/v1/recordings", server.url))
            .bearer_auth(&key)
            .multipart(form(None, audio));
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        req.send()
    };
    let a = send(Some("mixmonitor-1"), wav(8000, 1)).await.unwrap();
    assert_eq!(a.status(), StatusCode::CREATED);
    let a: Value = a.json().await.unwrap();
    let again = send(Some("mixmonitor-1"), wav(8000, 1)).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], a["id"]);
    // The same bytes without a key are the same upload too.
    let same = send(None, wav(8000, 1)).await.unwrap();
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(same.json::<Value>().await.unwrap()["id"], a["id"]);
    // The same bytes for another call (two silent files of one length) are
    // another recording.
    let other_call = client
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&key)
        .multipart(form(Some(json!({ "call_id": "other@pbx" })), wav(8000, 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(other_call.status(), StatusCode::CREATED);
    assert_ne!(other_call.json::<Value>().await.unwrap()["id"], a["id"]);
    // The same key for other audio is a client bug: 409, nothing stored.
    let other = send(Some("mixmonitor-1"), wav(8000, 2)).await.unwrap();
    assert_eq!(other.status(), StatusCode::CONFLICT);
    assert_eq!(other.json::<Value>().await.unwrap()["code"], "idempotency_key_reused");
    assert_eq!(env.object_files().len(), 2);
    assert_eq!(env.staging_files(), 0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_leaves_no_trace() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let other_key = env.tenant_with_key("beta");
    let server = Server::start(&env);
    let url = &server.url;
    let (s, ok) = upload(url, &key, None, wav(8000, 7)).await;
    assert_eq!(s, StatusCode::CREATED);

    let mut truncated = wav(8000, 8);
    truncated.truncate(truncated.len() / 2);
    // (case, metadata, audio, expected status, expected problem code)
    type Case = (&'static str, Option<Value>, Vec<u8>, StatusCode, &'static str);
    let cases: Vec<Case> = vec![
        (
            "junk",
            None,
            b"this is not audio at all, just text".repeat(20),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_audio_format",
        ),
        ("empty", None, Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "empty_audio"),
        ("truncated", None, truncated, StatusCode::UNPROCESSABLE_ENTITY, "truncated_audio"),
        (
            "unknown field",
            Some(json!({ "linkid": "1" })),
            wav(800, 9),
            StatusCode::BAD_REQUEST,
            "invalid_metadata",
        ),
        (
            "bad direction",
            Some(json!({ "direction": "up" })),
            wav(800, 10),
            StatusCode::BAD_REQUEST,
            "invalid_metadata",
        ),
        (
            "oversized metadata",
            Some(json!({ "external_ids": { "x": "y".repeat(70_000) } })),
            wav(800, 11),
            StatusCode::PAYLOAD_TOO_LARGE,
            "metadata_too_large",
        ),
    ];
    for (name, meta, audio, status, code) in cases {
        let (s, body) = upload(url, &key, meta, audio).await;
        assert_eq!(s, status, "{name}: {body}");
        assert_eq!(body["code"], code, "{name}: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{name}");
    }

    // No audio part, a stray part.
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(&key)
        .multipart(Form::new().text("metadata", "{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");

    // Keys: none, wrong, admin-only endpoint with a tenant key.
    let client = reqwest::Client::new();
    let none = client.get(format!("{url}/v1/conversations")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong =
        client.get(format!("{url}/v1/conversations")).bearer_auth("cv_wrong").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let forbidden = client.get(format!("{url}/v1/tenants")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // Another tenant's ids are not found, not forbidden.
    let rid = ok["id"].as_str().unwrap();
    let cid = ok["conversation_id"].as_str().unwrap();
    for path in [
        format!("/v1/recordings/{rid}"),
        format!("/v1/recordings/{rid}/audio"),
        format!("/v1/conversations/{cid}"),
    ] {
        let (s, body) = get_json(&format!("{url}{path}"), &other_key).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["code"], "not_found");
    }
    let (s, _) = get_json(&format!("{url}/v1/recordings/not-a-uuid"), &key).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = get_json(&format!("{url}/v1/conversations?cursor=garbage"), &key).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_cursor")));
    // Rejections of the framework's own extractors are problem+json too.
    for q in ["bogus=1", "from=yesterday", "limit=-1"] {
        let resp = client
            .get(format!("{url}/v1/conversations?{q}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json", "{q}");
    }
    let put = client.put(format!("{url}/v1/recordings")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["content-type"], "application/problem+json");
    assert!(put.headers().contains_key("allow"));

    // An upload cut off midway: the client dies after half the body.
    cut_off_upload(url, &key).await;

    // Nothing refused or cut off left an object, a staging file or a row.
    assert_eq!(env.object_files().len(), 1);
    assert_eq!(env.staging_files(), 0);
    let (_, page) = get_json(&format!("{url}/v1/conversations"), &key).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let metrics = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("callvault_ingest_recordings_total{outcome=\"refused_truncated\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("callvault_uploads_in_flight 0"), "{metrics}");
}

async fn cut_off_upload(url: &str, key: &str) {
    use tokio::io::AsyncWriteExt;
    let audio = wav(8000 * 30, 99);
    let boundary = "cutcutcut";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let total = head.len() + audio.len() + tail.len();
    let host = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!(
        "POST /v1/recordings HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n{head}"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(&audio[..audio.len() / 2]).await.unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
    // Wait until the server has noticed and cleaned up.
    for _ in 0..100 {
        let m = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
        let noticed =
            m.contains("outcome=\"refused_incomplete\"") || m.contains("outcome=\"aborted\"");
        if m.contains("callvault_uploads_in_flight 0") && noticed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    panic!("the cut-off upload was not noticed: {m}");
}

#[tokio::test]
async fn kill_9_during_50_concurrent_uploads_loses_nothing_acknowledged() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = server.url.clone();
    let client = reqwest::Client::new();
    // 50 uploads of ~1.3 MB each, sent slowly enough that the kill lands
    // while many are in flight.
    let mut tasks = Vec::new();
    for i in 0..50u64 {
        let client = client.clone();
        let url = url.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let audio = wav(8000 * 80, 1000 + i);
            let sha = sha256_hex(&audio);
            let part = slow_part(&audio, 64 * 1024, Duration::from_millis(5 + (i % 7) * 10));
            let resp = client
                .post(format!("{url}/v1/recordings"))
                .bearer_auth(&key)
                .multipart(Form::new().part("audio", part))
                .send()
                .await;
            match resp {
                Ok(r) if r.status() == StatusCode::CREATED => {
                    let v: Value = r.json().await.ok()?;
                    Some((v["id"].as_str()?.to_owned(), sha))
                }
                _ => None,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    server.kill9();
    let mut acked = Vec::new();
    for t in tasks {
        if let Some(a) = t.await.unwrap() {
            acked.push(a);
        }
    }
    assert!(acked.len() < 50, "the kill came too late to test anything");

    // Restart: recovery runs before serving.
    let server = Server::start(&env);
    for (id, sha) in &acked {
        let (s, rec) = get_json(&format!("{}/v1/recordings/{id}", server.url), &key).await;
        assert_eq!(s, StatusCode::OK, "acknowledged upload {id} is missing");
        assert_eq!(&rec["sha256"], sha);
        let audio = reqwest::Client::new()
            .get(format!("{}/v1/recordings/{id}/audio", server.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&sha256_hex(&audio), sha, "stored bytes of {id} differ");
    }
    // No row without object, no object without row.
    let fsck = env.cli(&["fsck", "--verify"]);
    let report = String::from_utf8_lossy(&fsck.stdout);
    assert!(fsck.status.success(), "{report}{}", String::from_utf8_lossy(&fsck.stderr));
    assert!(
        report.contains("0 unknown to the catalog") && report.contains("0 missing, 0 damaged"),
        "{report}"
    );
    let (_, page) = get_json(&format!("{}/v1/conversations?limit=100", server.url), &key).await;
    let rows = page["items"].as_array().unwrap().len();
    assert_eq!(rows, env.object_files().len());
    assert!(rows >= acked.len());
    assert_eq!(env.staging_files(), 0);
}

#[tokio::test]
async fn admins_manage_tenants_and_keys_over_the_api() {
    let env = Env::new();
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{url}/v1/tenants"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "gamma" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let dup = client
        .post(format!("{url}/v1/tenants"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "gamma" }))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let bad = client
        .post(format!("{url}/v1/tenants"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "Not Valid" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let issued: Value = client
        .post(format!("{url}/v1/tenants/gamma/keys"))
        .bearer_auth(&admin)
        .json(&json!({ "label": "pbx-1" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = issued["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cv_"));
    let (s, _) = get_json(&format!("{url}/v1/conversations"), &secret).await;
    assert_eq!(s, StatusCode::OK);
    // Admin keys see no recordings.
    let (s, _) = get_json(&format!("{url}/v1/conversations"), &admin).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, keys) = get_json(&format!("{url}/v1/tenants/gamma/keys"), &admin).await;
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert!(keys[0].get("secret").is_none());
    let revoked = client
        .delete(format!("{url}/v1/keys/{}", issued["id"].as_str().unwrap()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (s, _) = get_json(&format!("{url}/v1/conversations"), &secret).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, audit) = get_json(&format!("{url}/v1/audit"), &admin).await;
    let actions: Vec<_> =
        audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"tenant.created") && actions.contains(&"api_key.revoked"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn every_background_worker_is_listed_with_its_figures_for_admins_only() {
    let env = Env::new();
    let admin = env.admin_key();
    let tenant = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = &server.url;
    let (s, _) = get_json(&format!("{url}/v1/workers"), &tenant).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The one-shot orphan scan and the first catalog runs happen at start.
    let mut workers = Value::Null;
    for _ in 0..100 {
        let (s, body) = get_json(&format!("{url}/v1/workers"), &admin).await;
        assert_eq!(s, StatusCode::OK);
        workers = body;
        if workers[0]["state"] == "done" && workers[2]["runs"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<_> =
        workers.as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "orphan-scan",
            "recovery",
            "catalog-maintenance",
            "catalog-totals",
            "disk-watch",
            "capacity",
            "scrub",
            "storage",
            "deliveries",
            "delivery-gauges",
            "trash-gauges",
            "retention",
            "trash-purge",
            "assurance",
            "readiness"
        ]
    );
    let scan = &workers[0];
    assert_eq!((scan["state"].as_str(), scan["runs"].as_u64()), (Some("done"), Some(1)));
    assert_eq!(scan["errors"], 0);
    assert!(scan["last_success"].is_string(), "{scan}");
    // Periodic recovery waits its first interval: start-up recovery just ran.
    assert_eq!(workers[1]["state"], "idle");
    assert!(workers[1]["last_error"].is_null());
    let metrics = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"callvault_worker_runs_total{worker="orphan-scan",outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(r#"callvault_worker_last_success_timestamp_seconds{worker="orphan-scan"}"#)
    );
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let env = Env::new();
    let server = Server::start(&env);
    let doc: Value = reqwest::get(format!("{}/v1/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: HashSet<_> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    // The router's routes, from the source of truth: the router and the
    // delivery routes it merges (the signed links sit outside /v1).
    let source = [
        include_str!("../../api/src/lib.rs"),
        include_str!("../../api/src/deliveries.rs"),
        include_str!("../../api/src/retention.rs"),
        include_str!("../../api/src/storage.rs"),
        include_str!("../../api/src/assurance.rs"),
        include_str!("../../api/src/media.rs"),
        include_str!("../../api/src/session.rs"),
    ]
    .concat();
    let routes: HashSet<_> = source
        .lines()
        .filter_map(|l| l.split(".route(\"").nth(1))
        .filter_map(|l| l.split('"').next())
        .filter(|p| !["/healthz", "/readyz", "/metrics"].contains(p))
        .map(|p| if p.starts_with("/links/") { p.to_owned() } else { format!("/v1{p}") })
        .collect();
    assert_eq!(paths, routes);
    let health = reqwest::get(format!("{}/healthz", server.url)).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let unknown = reqwest::get(format!("{}/v2/nothing", server.url)).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn shutdown_finishes_in_flight_uploads() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = server.url.clone();
    let audio = wav(8000 * 40, 5);
    let part = slow_part(&audio, 32 * 1024, Duration::from_millis(40));
    let upload = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{url}/v1/recordings"))
            .bearer_auth(&key)
            .multipart(Form::new().part("audio", part))
            .send()
            .await
            .map(|r| r.status())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(upload.await.unwrap().unwrap(), StatusCode::CREATED);
    assert_eq!(env.object_files().len(), 1);
}

use futures::StreamExt;

#[tokio::test]
async fn metadata_may_follow_the_audio() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let f = Form::new()
        .part("audio", Part::bytes(wav(8000, 3)).file_name("a.wav"))
        .part("metadata", Part::text(json!({ "call_id": "late@pbx" }).to_string()));
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&key)
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (_, page) = get_json(
        &format!("{}/v1/conversations?external_id=sip_call_id:late@pbx", server.url),
        &key,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // Invalid metadata after the audio stores nothing.
    let f = Form::new()
        .part("audio", Part::bytes(wav(8000, 4)).file_name("a.wav"))
        .part("metadata", Part::text(json!({ "direction": "sideways" }).to_string()));
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/recordings", server.url))
        .bearer_auth(&key)
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(env.object_files().len(), 1);
    assert_eq!(env.staging_files(), 0);
}

#[tokio::test]
async fn fsck_next_to_a_running_server_leaves_its_uploads_alone() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = server.url.clone();
    let audio = wav(8000 * 40, 6);
    let sha = sha256_hex(&audio);
    let part = slow_part(&audio, 32 * 1024, Duration::from_millis(30));
    let k = key.clone();
    let upload = tokio::spawn(async move {
        let r = reqwest::Client::new()
            .post(format!("{url}/v1/recordings"))
            .bearer_auth(&k)
            .multipart(Form::new().part("audio", part))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    });
    // The upload is being staged while fsck (which runs recovery) goes by.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(env.staging_files(), 1);
    let fsck = tokio::task::spawn_blocking({
        let args = env.command().args(["fsck"]).output();
        move || args
    })
    .await
    .unwrap()
    .unwrap();
    assert!(String::from_utf8_lossy(&fsck.stdout).contains("recovered 0 unacknowledged uploads"));
    let (status, rec) = upload.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{rec}");
    assert_eq!(rec["sha256"], sha);
    let (s, _) =
        get_json(&format!("{}/v1/recordings/{}", server.url, rec["id"].as_str().unwrap()), &key)
            .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(env.object_files().len(), 1);
}

// --- storage status and scrubbing ---------------------------------------------

#[tokio::test]
async fn storage_status_shows_stores_to_admins_and_own_usage_to_tenants() {
    let env = Env::new();
    let admin = env.admin_key();
    let acme = env.tenant_with_key("acme");
    let beta = env.tenant_with_key("beta");
    let server = Server::start(&env);
    let url = &server.url;
    let (s, a) = upload(url, &acme, None, wav(8000, 71)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = upload(url, &beta, None, wav(4000, 72)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (a_size, b_size) = (a["size_bytes"].as_u64().unwrap(), b["size_bytes"].as_u64().unwrap());

    let (s, all) = get_json(&format!("{url}/v1/storage"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let store = &all["stores"][0];
    assert_eq!((store["store"].as_str(), store["kind"].as_str()), (Some("primary"), Some("file")));
    assert_eq!(store["copies"], 2);
    assert_eq!(store["used_bytes"].as_u64(), Some(a_size + b_size));
    assert!(store["capacity_bytes"].as_u64().unwrap() > 0, "a local store's file system");
    assert!(store["free_bytes"].as_u64().is_some());
    assert_eq!(all["tenants"].as_array().unwrap().len(), 2);
    assert!(all["data_dir"]["free_bytes"].as_u64().unwrap() > 0);
    assert_eq!(all["data_dir"]["accepting_new_calls"], true);

    let (s, mine) = get_json(&format!("{url}/v1/storage"), &acme).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert!(mine.get("stores").is_none() && mine.get("data_dir").is_none(), "{mine}");
    let tenants = mine["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 1);
    assert_eq!(
        (tenants[0]["tenant"].as_str(), tenants[0]["used_bytes"].as_u64()),
        (Some("acme"), Some(a_size))
    );
    let (s, _) = get_json(&format!("{url}/v1/storage"), "cv_nonsense").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The CLI reads the same figures, and scrubs on demand.
    let out = env.cli(&["storage", "status", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["stores"][0]["used_bytes"].as_u64(), Some(a_size + b_size));
    let out = env.cli(&["storage", "status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("primary"));
    let out = env.cli(&["scrub", "--now", "--rate", "0", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (runs[0]["copies_checked"].as_u64(), runs[0]["damaged"].as_u64()),
        (Some(2), Some(0))
    );
    let out = env.cli(&["scrub", "--report"]);
    assert!(out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("primary") && report.contains("finished"), "{report}");
    let out = env.cli(&["scrub", "--now", "--store", "nowhere"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store named"));
}

// --- storage policies over the API ------------------------------------------------

#[tokio::test]
async fn storage_policies_are_set_checked_and_reset_by_admins_only() {
    let env = Env::new()
        .with("CALLVAULT_STORAGE__STORES__COLD__URL", "file://./cold")
        .with("CALLVAULT_STORAGE__STORES__COLD__ROLE", "archive")
        .with("CALLVAULT_STORAGE__STORES__MIRROR__URL", "file://./mirror")
        .with("CALLVAULT_STORAGE__STORES__MIRROR__ROLE", "replica");
    let admin = env.admin_key();
    let acme = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let url = &server.url;
    let client = reqwest::Client::new();
    let put = |key: &str, body: serde_json::Value| {
        client.put(format!("{url}/v1/storage/policies/acme")).bearer_auth(key).json(&body).send()
    };

    let (s, p) = get_json(&format!("{url}/v1/storage/policies/acme"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!((p["source"].as_str(), p["policy"]["copies"].as_u64()), (Some("default"), Some(1)));

    // A tenant key cannot change where its recordings are kept.
    let r = put(&acme, serde_json::json!({ "copies": 1 })).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A store the server does not have, or fewer copies than placements
    // can give, is refused with a reason.
    let r = put(&admin, serde_json::json!({ "copies": 2, "stores": ["primary", "nowhere"] }))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_policy", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("nowhere"), "{problem}");
    let r = put(&admin, serde_json::json!({ "copies": 0 })).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let wanted = serde_json::json!({
        "copies": 2,
        "stores": ["primary", "mirror"],
        "tier": { "after_days": 30, "from": "primary", "to": "cold" },
        "alert_after_secs": 600
    });
    let r = put(&admin, wanted.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, p) = get_json(&format!("{url}/v1/storage/policies/acme"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["source"], "tenant");
    assert_eq!(p["policy"], wanted);
    let (_, all) = get_json(&format!("{url}/v1/storage/policies"), &admin).await;
    assert_eq!(all["tenants"][0]["tenant"], "acme", "{all}");
    assert_eq!(all["default"]["copies"], 1);

    let r = client
        .delete(format!("{url}/v1/storage/policies/acme"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, p) = get_json(&format!("{url}/v1/storage/policies/acme"), &admin).await;
    assert_eq!(p["source"], "default");
    let (s, _) = get_json(&format!("{url}/v1/storage/policies/nobody"), &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Both changes are in the tenant's audit log.
    let (_, log) = get_json(&format!("{url}/v1/audit?limit=1000"), &acme).await;
    let text = log.to_string();
    assert!(text.contains("storage_policy.set") && text.contains("storage_policy.reset"), "{log}");
}
