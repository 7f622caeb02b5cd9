//! The storage lifecycle through the real binary and real S3-compatible
//! servers (moto): replication, spill to the fallback store and return,
//! an S3 outage during offload, and offload runs killed with SIGKILL at
//! random points. After each step a checker reads the catalog AND the
//! stores (never a job's own report): every recording has at least its
//! required verified copies whose objects exist with the right sha256.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use callvault_store::{BlobStore, StoreConfig, open_catalog};
use common::{Env, wav};

/// A service URL the README's test command provides; missing, the test
/// fails unless CV_TEST_SKIP_SERVICES=1.
fn required_service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") => None,
        Err(_) => panic!("{var} is not set; run the README's test command"),
    }
}

fn create_bucket(endpoint: &str, bucket: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ok = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", "-X", "PUT", &format!("{endpoint}/{bucket}")])
            .status()
            .unwrap()
            .success();
        if ok {
            return;
        }
        assert!(Instant::now() < deadline, "cannot create bucket {bucket} at {endpoint}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A moto S3 server of this test's own, on a free port, killed on drop.
struct Moto {
    child: Option<Child>,
    port: u16,
}

impl Moto {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut m = Moto { child: None, port };
        m.restart();
        m
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let python = std::env::var("CV_TEST_PYTHON").unwrap_or_else(|_| {
            let ok = Command::new("python3")
                .args(["-c", "import moto.server"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "the storage tests need Python with moto[server]: set CV_TEST_PYTHON");
            "python3".into()
        });
        let child = Command::new(python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start moto");
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The env vars of a named S3 store.
fn s3_store(env: Env, name: &str, role: &str, endpoint: &str, url: &str) -> Env {
    let p = format!("CALLVAULT_STORAGE__STORES__{}", name.to_ascii_uppercase());
    env.with(&format!("{p}__URL"), url)
        .with(&format!("{p}__ROLE"), role)
        .with(&format!("{p}__OPTIONS__AWS_ENDPOINT"), endpoint)
        .with(&format!("{p}__OPTIONS__AWS_ALLOW_HTTP"), "true")
        .with(&format!("{p}__OPTIONS__AWS_REGION"), "us-east-1")
        .with(&format!("{p}__OPTIONS__AWS_ACCESS_KEY_ID"), "test")
        .with(&format!("{p}__OPTIONS__AWS_SECRET_ACCESS_KEY"), "test")
}

fn s3_config(name: &str, endpoint: &str, url: &str, staging: &std::path::Path) -> StoreConfig {
    let options: BTreeMap<String, String> = [
        ("aws_endpoint", endpoint),
        ("aws_allow_http", "true"),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "test"),
        ("aws_secret_access_key", "test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    StoreConfig { name: name.into(), url: url.into(), options, staging_dir: staging.to_owned() }
}

fn file_config(name: &str, root: &std::path::Path, staging: &std::path::Path) -> StoreConfig {
    StoreConfig {
        name: name.into(),
        url: format!("file://{}", root.display()),
        options: Default::default(),
        staging_dir: staging.to_owned(),
    }
}

/// Import `n` recordings for tenant `t` (created here).
fn import(env: &Env, t: &str, n: u64, seed: u64) {
    let out = env.cli(&["tenant", "create", t]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let name = format!("out-849512{:05}-103-20261120-120000-17636{:05}.1.wav", i, i);
        std::fs::write(dir.path().join(name), wav(4000, seed + i)).unwrap();
    }
    let out = env.cli(&["import", dir.path().to_str().unwrap(), "--tenant", t, "--no-progress"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(&format!("imported {n}")),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the checker found: the number of recordings, and the verified,
/// present copies by store.
#[derive(Debug, Default)]
struct Census {
    recordings: usize,
    by_store: BTreeMap<String, usize>,
    deleting: usize,
}

/// Read the catalog and every store: each recording must have at least
/// `required` verified copies (not being deleted) whose objects exist with
/// the catalog's size and sha256.
async fn check(env: &Env, stores: &[StoreConfig], required: usize) -> Census {
    let catalog =
        open_catalog(&format!("sqlite://{}", env.data_dir().join("catalog.db").display()), 2)
            .await
            .unwrap();
    let opened: Vec<BlobStore> = stores.iter().map(|c| BlobStore::open(c).unwrap()).collect();
    let mut census = Census::default();
    let mut after = None;
    loop {
        let page = catalog.storage_scan(None, after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.recording.id);
        for rc in page {
            census.recordings += 1;
            let mut good = 0;
            for c in &rc.copies {
                if c.deleting_at.is_some() {
                    census.deleting += 1;
                }
                if !c.counts() {
                    continue;
                }
                let store = opened.iter().find(|s| s.name() == c.copy.store).unwrap();
                store
                    .verify(&c.copy.object_key, &c.copy.sha256, c.copy.size_bytes)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("recording {} copy in {}: {e}", rc.recording.id, c.copy.store)
                    });
                assert_eq!(c.copy.sha256, rc.recording.sha256);
                good += 1;
                *census.by_store.entry(c.copy.store.clone()).or_default() += 1;
            }
            assert!(
                good >= required,
                "recording {} has {good} verified copies, needs {required}",
                rc.recording.id
            );
        }
    }
    census
}

fn offload(env: &Env, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["storage", "offload"];
    args.extend_from_slice(extra);
    let out = env.cli(&args);
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn replication_makes_two_verified_copies() {
    let Some(endpoint) = required_service("CV_TEST_S3_ENDPOINT") else { return };
    let bucket = format!("cv-storage-repl-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let url = format!("s3://{bucket}/offsite");
    let env = s3_store(Env::new(), "offsite", "replica", &endpoint, &url)
        .with("CALLVAULT_STORAGE__POLICY__COPIES", "2")
        .with("CALLVAULT_STORAGE__POLICY__STORES", "[\"primary\", \"offsite\"]");
    import(&env, "acme", 6, 100);
    let stores = [
        file_config("primary", &env.objects_dir(), &env.data_dir().join("staging")),
        s3_config("offsite", &endpoint, &url, &env.data_dir().join("staging")),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(check(&env, &stores, 1));
    // The plan first, then the run, then nothing left to do.
    let (code, dry) = offload(&env, &["--dry-run"]);
    assert_eq!(code, Some(0), "{dry}");
    assert_eq!(dry.matches("would copy").count(), 6, "{dry}");
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("copied 6"), "{text}");
    let census = rt.block_on(check(&env, &stores, 2));
    assert_eq!(census.by_store.get("offsite"), Some(&6), "{census:?}");
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("copied 0") && text.contains("under-replicated 0"), "{text}");
    // The primary copies gone behind the vault's back: reads still work
    // from the replica (the planner copies back later).
    let out = env.cli(&["storage", "stores"]);
    let stores_text = String::from_utf8_lossy(&out.stdout);
    assert!(stores_text.contains("offsite\treplica\ts3"), "{stores_text}");
}

#[test]
fn a_failing_primary_spills_to_the_fallback_and_recordings_return() {
    let mut moto = Moto::start();
    let endpoint = moto.endpoint();
    create_bucket(&endpoint, "primary");
    let url = "s3://primary/rec";
    let fallback_root = tempfile::tempdir().unwrap();
    let env = Env::new()
        .with("CALLVAULT_STORE_URL", url)
        .with("CALLVAULT_STORE__OPTIONS__AWS_ENDPOINT", &endpoint)
        .with("CALLVAULT_STORE__OPTIONS__AWS_ALLOW_HTTP", "true")
        .with("CALLVAULT_STORE__OPTIONS__AWS_REGION", "us-east-1")
        .with("CALLVAULT_STORE__OPTIONS__AWS_ACCESS_KEY_ID", "test")
        .with("CALLVAULT_STORE__OPTIONS__AWS_SECRET_ACCESS_KEY", "test")
        .with("CALLVAULT_STORE__OPTIONS__MAX_RETRIES", "0")
        .with("CALLVAULT_STORE__OPTIONS__RETRY_TIMEOUT_SECS", "2")
        .with(
            "CALLVAULT_STORAGE__STORES__SPARE__URL",
            &format!("file://{}", fallback_root.path().display()),
        )
        .with("CALLVAULT_STORAGE__STORES__SPARE__ROLE", "fallback");
    let stores = [
        s3_config("primary", &endpoint, url, &env.data_dir().join("staging")),
        file_config("spare", fallback_root.path(), &env.data_dir().join("staging")),
    ];
    // The primary is down: every upload is still stored, in the fallback.
    moto.stop();
    import(&env, "acme", 4, 200);
    let alerts = env.cli(&["alerts", "list"]);
    let alerts = String::from_utf8_lossy(&alerts.stdout);
    assert!(alerts.contains("storage_spill"), "{alerts}");
    // With the primary still down, the return job copies nothing and
    // removes nothing.
    let (code, text) = offload(&env, &["--wait-secs", "5"]);
    assert_eq!(code, Some(2), "{text}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The primary is back (empty, as a replaced disk would be).
    moto.restart();
    create_bucket(&endpoint, "primary");
    let census = rt.block_on(check(&env, &stores, 1));
    assert_eq!(census.by_store.get("spare"), Some(&4), "{census:?}");
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("copied 4") && text.contains("deleted 4"), "{text}");
    let census = rt.block_on(check(&env, &stores, 1));
    assert_eq!(census.by_store.get("primary"), Some(&4), "{census:?}");
    assert_eq!(census.by_store.get("spare"), None, "{census:?}");
    let left = walk(fallback_root.path().join("tenants").as_path());
    assert_eq!(left, 0, "fallback objects left");
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten().map(|e| if e.file_type().unwrap().is_dir() { walk(&e.path()) } else { 1 }).sum()
}

#[test]
fn s3_down_during_offload_deletes_nothing_and_the_next_run_finishes() {
    let mut moto = Moto::start();
    let endpoint = moto.endpoint();
    create_bucket(&endpoint, "archive");
    let url = "s3://archive/cold";
    let env = s3_store(Env::new(), "archive", "archive", &endpoint, url)
        .with("CALLVAULT_STORAGE__STORES__ARCHIVE__OPTIONS__MAX_RETRIES", "0")
        .with("CALLVAULT_STORAGE__STORES__ARCHIVE__OPTIONS__RETRY_TIMEOUT_SECS", "2")
        .with(
            "CALLVAULT_STORAGE__POLICY__TIER",
            "{ after_days = 0, from = \"primary\", to = \"archive\" }",
        );
    import(&env, "acme", 5, 300);
    let stores = [
        file_config("primary", &env.objects_dir(), &env.data_dir().join("staging")),
        s3_config("archive", &endpoint, url, &env.data_dir().join("staging")),
    ];
    moto.stop();
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("deleted 0"), "{text}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let census = rt.block_on(check(&env, &stores, 1));
    assert_eq!(census.by_store.get("primary"), Some(&5), "{census:?}");
    moto.restart();
    create_bucket(&endpoint, "archive");
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(0), "{text}");
    let census = rt.block_on(check(&env, &stores, 1));
    assert_eq!(census.by_store.get("archive"), Some(&5), "{census:?}");
    assert_eq!(census.by_store.get("primary"), None, "{census:?}");
    assert_eq!(env.object_files().len(), 0);
}

#[test]
fn offload_killed_at_random_points_never_breaks_the_copy_invariant() {
    let Some(endpoint) = required_service("CV_TEST_S3_ENDPOINT") else { return };
    let bucket = format!("cv-storage-kill-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let url = format!("s3://{bucket}/archive");
    let env = s3_store(Env::new(), "archive", "archive", &endpoint, &url)
        .with(
            "CALLVAULT_STORAGE__POLICY__TIER",
            "{ after_days = 0, from = \"primary\", to = \"archive\" }",
        )
        .with("CALLVAULT_STORAGE__JOBS__LEASE_SECS", "1")
        .with("CALLVAULT_STORAGE__JOBS__BATCH", "5")
        .with("CALLVAULT_STORAGE__JOBS__CONCURRENCY", "2");
    let n = 60;
    import(&env, "acme", n, 400);
    let stores = [
        file_config("primary", &env.objects_dir(), &env.data_dir().join("staging")),
        s3_config("archive", &endpoint, &url, &env.data_dir().join("staging")),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut seed: u64 = 0x5eed_0000 ^ u64::from(std::process::id());
    let mut killed_mid_run = 0;
    for round in 0..20 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(10 + (seed >> 33) % 700);
        let mut child = env
            .command()
            .args(["storage", "offload"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let census = rt.block_on(check(&env, &stores, 1));
        assert_eq!(census.recordings, n as usize, "round {round}");
    }
    assert!(killed_mid_run > 0, "no run was killed while working");
    let (code, text) = offload(&env, &[]);
    assert_eq!(code, Some(0), "{text}");
    let census = rt.block_on(check(&env, &stores, 1));
    assert_eq!(census.by_store.get("archive"), Some(&(n as usize)), "{census:?}");
    assert_eq!(census.by_store.get("primary"), None, "{census:?}");
    assert_eq!(census.deleting, 0);
    assert_eq!(env.object_files().len(), 0, "primary objects left");
}
