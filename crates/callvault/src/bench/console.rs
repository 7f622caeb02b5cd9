//! `callvault bench console`: the console's search page at scale. A catalog
//! seeded with N conversations (a realistic mix of directions, sources,
//! durations, crash cuts and open findings), served by a real `callvault
//! serve`, asked through HTTP for the page the console asks for (limit 50)
//! with every filter kind; latency percentiles per kind.
//!
//! The client signs in as the console does (`POST /v1/session`, then the
//! session cookie) when the server has that route, else it says so and
//! sends the bearer key.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use callvault_store::{ConversationQuery, open_catalog};

use super::{ServerProcess, percentile};

/// The tenant the bench seeds and searches.
const TENANT: &str = "bench-console";

/// How the client authenticates.
enum Auth {
    Cookie(String),
    Bearer(String),
}

impl Auth {
    fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::Cookie(c) => req.header(reqwest::header::COOKIE, c),
            Auth::Bearer(k) => req.bearer_auth(k),
        }
    }
}

pub async fn run(
    dir: &Path,
    catalog_url: Option<String>,
    conversations: u64,
    queries: usize,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let config = crate::config::Config { data_dir: dir.to_owned(), ..Default::default() };
    let url = catalog_url.clone().unwrap_or_else(|| config.catalog_url());
    let catalog = open_catalog(&url, 8).await?;
    let backend = catalog.backend();
    println!(
        "console benchmark on {backend} ({conversations} conversations), data in {}",
        dir.display()
    );
    let tenant = match catalog.tenant_by_name(TENANT).await? {
        Some(t) => t,
        None => catalog.create_tenant(TENANT, "bench").await?,
    };
    let have = catalog
        .search_conversations(tenant.id, &ConversationQuery { limit: 1, ..Default::default() })
        .await?
        .items
        .len();
    if have == 0 {
        let start = Instant::now();
        catalog.bench_seed(tenant.id, conversations, 42).await?;
        println!("seeded {conversations} conversations in {:.1} s", start.elapsed().as_secs_f64());
    } else {
        println!("the bench tenant is already seeded; reusing it");
    }
    let key =
        callvault_api::auth::issue_key(catalog.as_ref(), Some(tenant.id), "bench", "bench").await?;
    drop(catalog);

    let server = start(dir, catalog_url.as_deref()).await?;
    let client = reqwest::Client::new();
    let signed_in = client
        .post(format!("{}/v1/session", server.url))
        .json(&serde_json::json!({ "key": key.secret }))
        .send()
        .await?;
    let auth = match signed_in.status().as_u16() {
        201 | 200 => {
            let cookie = signed_in
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| v.split(';').next().filter(|c| c.starts_with("cv_session=")))
                .context("POST /v1/session set no cv_session cookie")?
                .to_owned();
            println!("signed in through POST /v1/session; queries carry the session cookie");
            Auth::Cookie(cookie)
        }
        status => {
            println!(
                "POST /v1/session answered {status} (no session route in this build); \
                 queries carry the bearer key"
            );
            Auth::Bearer(key.secret.clone())
        }
    };

    // Real values to search for, from the newest 500.
    let sample: serde_json::Value = auth
        .apply(client.get(format!("{}/v1/conversations?limit=500", server.url)))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let items = sample["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        bail!("the bench tenant has no conversations");
    }
    let pick = |i: usize| &items[(i * 7919) % items.len()];
    let number = |i: usize| pick(i)["external_number"].as_str().unwrap_or("").to_owned();
    let extension = |i: usize| pick(i)["company_number"].as_str().unwrap_or("").to_owned();
    let started = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(pick(i)["started_at"].as_str().unwrap_or(""))
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|_| chrono::Utc::now())
    };
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let directions = ["inbound", "outbound", "internal"];
    let sources = ["capture", "upload", "siprec"];
    type MakeQuery<'a> = Box<dyn Fn(usize) -> String + 'a>;
    let kinds: Vec<(&str, MakeQuery)> = vec![
        ("newest page", Box::new(|_| String::new())),
        ("number", Box::new(|i| format!("number={}", enc(&number(i))))),
        (
            "number+direction",
            Box::new(|i| format!("number={}&direction={}", enc(&number(i)), directions[i % 3])),
        ),
        (
            "participant+source",
            Box::new(|i| format!("participant={}&source={}", enc(&extension(i)), sources[i % 3])),
        ),
        ("direction", Box::new(|i| format!("direction={}", directions[i % 3]))),
        ("source", Box::new(|i| format!("source={}", sources[i % 3]))),
        ("min_duration_s=1800", Box::new(|_| "min_duration_s=1800".to_owned())),
        ("max_duration_s=10", Box::new(|_| "max_duration_s=10".to_owned())),
        ("duration 60..120", Box::new(|_| "min_duration_s=60&max_duration_s=120".to_owned())),
        ("flag=cut_by_crash", Box::new(|_| "flag=cut_by_crash".to_owned())),
        ("flag=incomplete", Box::new(|_| "flag=incomplete".to_owned())),
        ("flag=undelivered", Box::new(|_| "flag=undelivered".to_owned())),
        (
            "dir+source+flag",
            Box::new(|i| {
                format!(
                    "direction={}&source={}&flag=undelivered",
                    directions[i % 2],
                    sources[i % 2]
                )
            }),
        ),
        // The worst case: a flag with filters that leave almost nothing
        // (about 1 in 3 000 and 1 in 20 000 conversations); the time index
        // is read far back for a page.
        ("rare: internal+crash", Box::new(|_| "direction=internal&flag=cut_by_crash".to_owned())),
        (
            "rare: int+import+inc",
            Box::new(|_| "direction=internal&source=import&flag=incomplete".to_owned()),
        ),
        (
            "day+direction+dur",
            Box::new(|i| {
                let t = started(i);
                format!(
                    "from={}&to={}&direction={}&min_duration_s=120",
                    enc(&(t - chrono::Duration::hours(12)).to_rfc3339()),
                    enc(&(t + chrono::Duration::hours(12)).to_rfc3339()),
                    directions[i % 3]
                )
            }),
        ),
    ];
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>7}",
        "query (limit 50)", "p50 ms", "p95 ms", "max ms", "items"
    );
    let mut all = Vec::new();
    for (name, make) in &kinds {
        let mut times = Vec::with_capacity(queries);
        let mut found = 0usize;
        for i in 0..queries {
            let q = make(i);
            let url = format!("{}/v1/conversations?limit=50&{q}", server.url);
            let start = Instant::now();
            let resp = auth.apply(client.get(&url)).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            times.push(start.elapsed());
            if !status.is_success() {
                bail!("{name}: {url} answered {status}: {}", String::from_utf8_lossy(&body));
            }
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            found += page["items"].as_array().map_or(0, Vec::len);
        }
        times.sort();
        println!(
            "{:<22} {:>9.2} {:>9.2} {:>9.2} {:>7.1}",
            name,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            times.last().map_or(0.0, |d| ms(*d)),
            found as f64 / queries.max(1) as f64,
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "{:<22} {:>9.2} {:>9.2} {:>9.2}",
        "all",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95)),
        all.last().map_or(0.0, |d| ms(*d))
    );
    drop(server);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `callvault serve` on the bench's data dir (and catalog), on a free port.
async fn start(dir: &Path, catalog_url: Option<&str>) -> anyhow::Result<ServerProcess> {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("serve").arg("--data-dir").arg(dir).arg("--listen").arg(format!("127.0.0.1:{port}"));
    if let Some(url) = catalog_url {
        cmd.arg("--database-url").arg(url);
    }
    let child = cmd
        .env("CALLVAULT_LOG", "warn")
        .env("CALLVAULT_SIP__ENABLED", "false")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start callvault serve")?;
    let server = ServerProcess { child, url: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    // Start-up refreshes the planner statistics over the whole catalog.
    for _ in 0..1200 {
        if client
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}
