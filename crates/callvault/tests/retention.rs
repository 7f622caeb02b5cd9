//! Retention, legal hold, the trash and its purge, through the real binary:
//! the CLI (`retention`, `hold`, `trash`, `delete`) next to a running
//! `serve`, checked through the API, the catalog (`fsck`) and the store's
//! files.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::upload_stored as upload;
use common::*;
use reqwest::StatusCode;
use serde_json::json;

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn audio(url: &str, key: &str, id: &str) -> (StatusCode, Vec<u8>) {
    let resp = reqwest::Client::new()
        .get(format!("{url}/v1/recordings/{id}/audio"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn retention_keeps_held_recordings_trashes_restores_and_purges() {
    // The workers stay idle: the test drives retention through the CLI.
    let env = Env::new().with("CALLVAULT_RETENTION__ENABLED", "false");
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = server.url.clone();

    // Five calls from 2020 (old enough for any rule), five from yesterday.
    let recent = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let mut old = Vec::new();
    let mut audios = Vec::new();
    for i in 0..10u64 {
        let started = if i < 5 { format!("2020-01-0{}T10:00:00Z", i + 1) } else { recent.clone() };
        let bytes = wav(8000, 100 + i);
        let r = upload(
            &url,
            &key,
            json!({
                "call_id": format!("call-{i}@pbx"), "direction": "inbound",
                "caller": format!("+7 900 000-00-0{i}"), "callee": "+74951234567",
                "started_at": started,
            }),
            bytes.clone(),
        )
        .await;
        if i < 5 {
            old.push(r);
            audios.push(bytes);
        }
    }
    let files_before = env.object_files().len();
    assert_eq!(files_before, 10);

    // The guard: 5 of 10 is more than 10 %: nothing is trashed, an alert.
    ok(&env.cli(&["retention", "set", "--tenant", "acme", "--days", "30", "--direction", "in"]));
    let rules = ok(&env.cli(&["retention", "list", "--tenant", "acme"]));
    assert!(rules.contains("30 days") && rules.contains("direction=inbound"), "{rules}");
    let out = env.cli(&["retention", "run", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("STOPPED"));
    assert_eq!(ok(&env.cli(&["trash", "list"])), "");
    assert_eq!(env.object_files().len(), 10);
    let (s, alerts) = get_json(&format!("{url}/v1/alerts"), &key).await;
    assert_eq!(s, StatusCode::OK);
    let guard = alerts.as_array().unwrap().iter().find(|a| a["kind"] == "retention_guard");
    assert!(guard.is_some(), "{alerts}");

    // Holds: one by number (in another notation), one by conversation.
    ok(&env.cli(&[
        "hold",
        "add",
        "--tenant",
        "acme",
        "--number",
        "89000000000",
        "--reason",
        "case 17",
    ]));
    let conv1 = old[1]["conversation_id"].as_str().unwrap();
    ok(&env.cli(&[
        "hold",
        "add",
        "--tenant",
        "acme",
        "--conversation",
        conv1,
        "--reason",
        "case 18",
    ]));
    let holds = ok(&env.cli(&["hold", "list", "--tenant", "acme"]));
    assert_eq!(holds.lines().count(), 2, "{holds}");

    // Confirmed: the three unheld old calls go to the trash, nothing else.
    let out = ok(&env.cli(&["retention", "run", "--tenant", "acme", "--confirm", "3"]));
    assert!(out.contains("3 trashed"), "{out}");
    let trash = ok(&env.cli(&["trash", "list", "--tenant", "acme"]));
    assert_eq!(trash.lines().count(), 3, "{trash}");
    assert!(trash.lines().all(|l| l.contains("by rule:")), "{trash}");
    for (i, r) in old.iter().enumerate() {
        let id = r["id"].as_str().unwrap();
        let (s, _) = get_json(&format!("{url}/v1/recordings/{id}"), &key).await;
        let expected = if i < 2 { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(s, expected, "recording {i}");
        let (s, _) = audio(&url, &key, id).await;
        assert_eq!(s, expected, "audio {i}");
    }
    let (_, page) = get_json(&format!("{url}/v1/conversations?limit=100"), &key).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 7, "{page}");
    // Manual deletion of a held recording is refused.
    let held_id = old[0]["id"].as_str().unwrap();
    let resp = reqwest::Client::new()
        .delete(format!("{url}/v1/recordings/{held_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // Restore with one command: downloadable again, the same bytes.
    let back = old[2]["id"].as_str().unwrap();
    ok(&env.cli(&["trash", "restore", back]));
    let (s, body) = audio(&url, &key, back).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sha256_hex(&body), old[2]["sha256"].as_str().unwrap());
    assert_eq!(sha256_hex(&body), sha256_hex(&audios[2]));

    // The purge: objects gone from the store, rows gone, audited.
    let out = ok(&env.cli(&["trash", "empty", "--tenant", "acme"]));
    assert!(out.contains("purged 2 recordings (2 objects"), "{out}");
    assert_eq!(env.object_files().len(), 8);
    assert_eq!(ok(&env.cli(&["trash", "list"])), "");
    let out = env.cli(&["fsck"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let (s, audit) = get_json(&format!("{url}/v1/audit?limit=1000"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    let events = audit["events"].as_array().or(audit.as_array()).unwrap().clone();
    let count = |action: &str| events.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("recording.purged"), 2, "{audit}");
    assert_eq!(count("recording.trashed"), 3);
    assert_eq!(count("recording.restored"), 1);
    assert_eq!(count("hold.placed"), 2);
    for gone in [3, 4] {
        let id = old[gone]["id"].as_str().unwrap();
        let purged = events.iter().find(|e| {
            e["action"] == "recording.purged" && e["subject"] == format!("recording:{id}")
        });
        assert!(purged.is_some(), "no purge entry for {id}");
    }

    // Deletion by key: to the trash, with the key that did it.
    let resp = reqwest::Client::new()
        .delete(format!("{url}/v1/recordings/{back}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, trash) = get_json(&format!("{url}/v1/trash"), &key).await;
    assert_eq!(trash.as_array().unwrap().len(), 1, "{trash}");
    assert!(trash[0]["trashed_by"].as_str().unwrap().starts_with("key:"), "{trash}");
    drop(server);

    // The gauges, as a new server reads them.
    let server = Server::start(&env);
    let metrics =
        reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("callvault_trash_recordings{tenant=\"acme\"} 1"), "{metrics}");
    assert!(metrics.contains("callvault_legal_holds{tenant=\"acme\"} 2"), "{metrics}");
}

/// Files named as FreePBX names them, from 2020 (old for any rule): `n`
/// calls from numbers starting 7900, and 10 from numbers starting 7800.
fn archive(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n + 10 {
        let prefix = if i < n { "7900" } else { "7800" };
        let name = format!(
            "external-101-{prefix}000{i:04}-20200120-10{:02}{:02}-15795153{i:02}.{i}.wav",
            i / 60,
            i % 60
        );
        std::fs::write(dir.path().join(name), wav(800, 1000 + i as u64)).unwrap();
    }
    dir
}

#[test]
fn a_purge_killed_anywhere_is_finished_by_the_next_run() {
    let env = Env::new().with("CALLVAULT_RETENTION__GUARD_PERCENT", "100");
    env.tenant_with_key("acme");
    let dir = archive(60);
    ok(&env.cli(&["import", dir.path().to_str().unwrap(), "--tenant", "acme", "--no-progress"]));
    assert_eq!(env.object_files().len(), 70);
    ok(&env.cli(&["retention", "set", "--tenant", "acme", "--days", "1", "--number", "7900"]));
    let out = ok(&env.cli(&["retention", "run"]));
    assert!(out.contains("60 trashed"), "{out}");

    // SIGKILL at a few points of the purge; each time the catalog and the
    // store must agree once the next run is done.
    for (round, delay_ms) in [(0, 120u64), (1, 170), (2, 220), (3, 270), (4, 320)] {
        let mut child = env
            .command()
            .args(["trash", "empty"])
            .env("CALLVAULT_RETENTION__BATCH", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let listing = ok(&env.cli(&["trash", "list"]));
        let left = listing.lines().count();
        let purging = listing.lines().filter(|l| l.ends_with("purging")).count();
        let files = env.object_files().len();
        eprintln!("round {round}: killed after {delay_ms} ms, {left} left, {purging} purging");
        // The 10 live recordings and every trashed one whose purge has not
        // begun still have their objects; only a purging one may have lost it.
        assert!(
            files + purging >= left + 10,
            "round {round}: {files} files, {left} in the trash, {purging} purging"
        );
    }
    let out = ok(&env.cli(&["trash", "empty"]));
    assert!(out.contains("recordings"), "{out}");
    assert_eq!(ok(&env.cli(&["trash", "list"])), "");
    assert_eq!(env.object_files().len(), 10, "every object of the trash is gone, no other");
    // No copy row without its object, no object without its row.
    let out = env.cli(&["fsck", "--verify"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("0 unknown to the catalog")
            && report.contains("checked 10 copies, 0 missing"),
        "{report}"
    );
}
