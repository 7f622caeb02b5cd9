//! The console's data routes through the real binary: waveform peaks of a
//! stereo upload (cached as a derived object), the MP3 download with Range,
//! and the search filters of `GET /v1/conversations`.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A 16-bit stereo 8 kHz WAV: `left` and `right` interleaved.
fn stereo_wav(left: &[i16], right: &[i16]) -> Vec<u8> {
    use callvault_probe::synth::{chunk, riff_wave, wav_fmt};
    let mut data = Vec::with_capacity(left.len() * 4);
    for (l, r) in left.iter().zip(right) {
        data.extend_from_slice(&l.to_le_bytes());
        data.extend_from_slice(&r.to_le_bytes());
    }
    riff_wave(&[chunk(b"fmt ", &wav_fmt(1, 2, 8000, 16, 4, &[])), chunk(b"data", &data)])
}

fn tone(frames: usize, amp: f64, hz: f64) -> Vec<i16> {
    (0..frames)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin()) as i16)
        .collect()
}

async fn upload(url: &str, key: &str, meta: Value, audio: Vec<u8>) -> Value {
    let form = Form::new()
        .part("metadata", Part::text(meta.to_string()).mime_str("application/json").unwrap())
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

/// Files under `objects/derived/*/<recording>/` whose name starts with `prefix`.
fn derived(objects: &Path, recording: &str, prefix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for tenant in std::fs::read_dir(objects.join("derived")).into_iter().flatten().flatten() {
        let dir = tenant.path().join(recording);
        for f in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if f.file_name().to_string_lossy().starts_with(prefix) {
                out.push(f.path());
            }
        }
    }
    out
}

fn values(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[tokio::test]
async fn peaks_mp3_and_search_filters_through_the_api() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let other = env.tenant_with_key("other");
    let server = Server::start(&env);
    let url = &server.url;
    let client = reqwest::Client::new();

    // 2 s stereo: external (left) loud all along; company (right) quiet
    // for the first second, then silent.
    let left = tone(16_000, 24_000.0, 440.0);
    let mut right = tone(8000, 4000.0, 1000.0);
    right.extend(std::iter::repeat_n(0, 8000));
    let rec = upload(
        url,
        &key,
        json!({ "linkedid": "L-stereo", "direction": "inbound", "caller": "+79120000001",
                "started_at": "2026-11-20T10:00:00Z" }),
        stereo_wav(&left, &right),
    )
    .await;
    let id = rec["id"].as_str().unwrap().to_owned();
    assert_eq!(rec["channels"], 2);

    // --- peaks ---------------------------------------------------------------
    assert!(derived(&env.objects_dir(), &id, "peaks-").is_empty());
    let (s, p) = get_json(&format!("{url}/v1/recordings/{id}/peaks?bins=100"), &key).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["recording_id"], id.as_str());
    assert_eq!(p["bins"], 100);
    assert_eq!(p["duration_ms"], 2000);
    let channels = p["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!(
        (channels[0]["label"].as_str(), channels[1]["label"].as_str()),
        (Some("external"), Some("company"))
    );
    let (lmax, lmin) = (values(&channels[0]["max"]), values(&channels[0]["min"]));
    let (rmax, rmin) = (values(&channels[1]["max"]), values(&channels[1]["min"]));
    assert!([&lmax, &lmin, &rmax, &rmin].iter().all(|v| v.len() == 100));
    // 24 000 of 32 767 is 93 of 127; 4 000 is 15.
    assert!(lmax.iter().all(|v| (88..=94).contains(v)), "{lmax:?}");
    assert!(lmin.iter().all(|v| (-94..=-88).contains(v)), "{lmin:?}");
    assert!(rmax[..50].iter().all(|v| (12..=16).contains(v)), "{rmax:?}");
    assert!(rmax[..50].iter().zip(&lmax[..50]).all(|(r, l)| r < l));
    assert!(rmax[50..].iter().chain(&rmin[50..]).all(|v| *v == 0), "{rmax:?}");
    // Made once and cached beside the recording's other derived media.
    let cached = derived(&env.objects_dir(), &id, "peaks-");
    assert_eq!(cached.len(), 1, "{cached:?}");
    let modified = std::fs::metadata(&cached[0]).unwrap().modified().unwrap();
    // Other resolutions come from the cache.
    let (s, p16) = get_json(&format!("{url}/v1/recordings/{id}/peaks?bins=16"), &key).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(values(&p16["channels"][0]["max"]).len(), 16);
    assert!(values(&p16["channels"][1]["max"])[12..].iter().all(|v| *v == 0));
    let (s, p_default) = get_json(&format!("{url}/v1/recordings/{id}/peaks"), &key).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p_default["bins"], 1000);
    assert_eq!(derived(&env.objects_dir(), &id, "peaks-"), cached);
    assert_eq!(std::fs::metadata(&cached[0]).unwrap().modified().unwrap(), modified);
    // Bad bins are a 400 problem; another tenant's recording is a 404.
    for bad in ["3", "4001", "abc", "-1"] {
        let (s, body) = get_json(&format!("{url}/v1/recordings/{id}/peaks?bins={bad}"), &key).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "bins={bad}: {body}");
        assert_eq!(body["code"], "invalid_bins");
    }
    let (s, _) = get_json(&format!("{url}/v1/recordings/{id}/peaks"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // --- MP3 and downloads -----------------------------------------------------
    let audio =
        |q: &str| client.get(format!("{url}/v1/recordings/{id}/audio?{q}")).bearer_auth(&key);
    let resp = audio("format=mp3&download=1").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "audio/mpeg");
    assert_eq!(resp.headers()["accept-ranges"], "bytes");
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{id}.mp3\"")
    );
    let mp3 = resp.bytes().await.unwrap();
    assert!(
        mp3.starts_with(b"ID3") || (mp3[0] == 0xFF && mp3[1] & 0xE0 == 0xE0),
        "not MP3: {:02x?}",
        &mp3[..4]
    );
    assert_eq!(derived(&env.objects_dir(), &id, "mp3-").len(), 1);
    let resp = audio("format=mp3").header("Range", "bytes=100-299").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        resp.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-299/{}", mp3.len())
    );
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("inline; filename=\"{id}.mp3\"")
    );
    assert_eq!(resp.bytes().await.unwrap(), mp3.slice(100..300));
    let resp =
        audio("format=mp3").header("Range", format!("bytes={}-", mp3.len())).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let resp = audio("format=original&download=1").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{id}.wav\"")
    );
    assert_eq!(resp.bytes().await.unwrap().len() as u64, rec["size_bytes"].as_u64().unwrap());
    let resp = audio("format=flac").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_format");
    let resp = client
        .get(format!("{url}/v1/recordings/{id}/audio?format=mp3"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // --- search filters ----------------------------------------------------------
    upload(
        url,
        &key,
        json!({ "linkedid": "L-long", "direction": "outbound", "callee": "+79120000002",
                "started_at": "2026-11-20T11:00:00Z" }),
        wav(8000 * 30, 1),
    )
    .await;
    upload(
        url,
        &key,
        json!({ "linkedid": "L-short", "direction": "internal", "caller": "101", "callee": "102",
                "started_at": "2026-11-20T12:00:00Z" }),
        wav(8000 * 5, 2),
    )
    .await;
    let search = |q: &'static str| {
        let key = key.clone();
        async move {
            let (s, page) = get_json(&format!("{url}/v1/conversations?{q}"), &key).await;
            assert_eq!(s, StatusCode::OK, "{q}: {page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["external_ids"][0]["value"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("").await, ["L-short", "L-long", "L-stereo"]);
    assert_eq!(search("direction=outbound").await, ["L-long"]);
    assert_eq!(search("direction=inbound&number=8%20912%20000%2000%2001").await, ["L-stereo"]);
    assert!(search("direction=outbound&number=8%20912%20000%2000%2001").await.is_empty());
    assert_eq!(search("min_duration_s=10").await, ["L-long"]);
    assert_eq!(search("max_duration_s=5").await, ["L-short", "L-stereo"]);
    assert_eq!(search("min_duration_s=3&max_duration_s=29").await, ["L-short"]);
    assert_eq!(search("source=upload&limit=2").await, ["L-short", "L-long"]);
    assert!(search("source=capture").await.is_empty());
    assert!(search("flag=incomplete").await.is_empty());
    assert!(search("flag=cut_by_crash").await.is_empty());
    let (_, page) = get_json(&format!("{url}/v1/conversations?direction=inbound"), &key).await;
    let item = &page["items"][0];
    assert_eq!(
        (item["duration_ms"].clone(), item["sources"].clone(), item["flags"].clone()),
        (json!(2000), json!(["upload"]), json!([]))
    );
    for bad in [
        "direction=sideways",
        "source=fax",
        "flag=lost",
        "min_duration_s=9&max_duration_s=3",
        "min_duration_s=-1",
    ] {
        let (s, body) = get_json(&format!("{url}/v1/conversations?{bad}"), &key).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    // The other tenant sees none of it.
    let (_, theirs) = get_json(&format!("{url}/v1/conversations?source=upload"), &other).await;
    assert_eq!(theirs["items"], json!([]));
}

#[tokio::test]
async fn an_encrypted_recordings_peaks_and_mp3_are_never_cached() {
    use base64::Engine;
    let key_b64 = format!("base64:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
    let env = Env::new()
        .with("CALLVAULT_ENCRYPTION__KEYS__A", &key_b64)
        .with("CALLVAULT_ENCRYPTION__ACTIVE_KEY", "a");
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let client = reqwest::Client::new();
    let resp = client
        .put(format!("{url}/v1/encryption/tenants/acme"))
        .bearer_auth(&admin)
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let left = tone(8000, 16_000.0, 440.0);
    let right = vec![0i16; 8000];
    let rec = upload(url, &key, json!({ "linkedid": "L-enc" }), stereo_wav(&left, &right)).await;
    let id = rec["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (s, p) = get_json(&format!("{url}/v1/recordings/{id}/peaks?bins=50"), &key).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        let lmax = values(&p["channels"][0]["max"]);
        assert!(lmax.iter().all(|v| (58..=63).contains(v)), "{lmax:?}");
        assert!(values(&p["channels"][1]["max"]).iter().all(|v| *v == 0));
        let resp = client
            .get(format!("{url}/v1/recordings/{id}/audio?format=mp3"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(!resp.bytes().await.unwrap().is_empty());
    }
    // Derived media would be the call in the clear.
    assert!(derived(&env.objects_dir(), &id, "").is_empty());
}
