//! The web console end to end, in headless Chromium driven through
//! chromedriver: a supervisor signs in with an API key, finds a transferred
//! call recorded by passive capture by its number written three ways,
//! plays and seeks it (the browser fetching the audio in Range requests),
//! sees the caller, the secretary and the colleague on the timeline,
//! retries a failed delivery, looks at every board and signs out. And what
//! must not work: a wrong key, another tenant's call by URL or through the
//! session's API, a state-changing request without the CSRF token, a
//! cookie after sign-out.
//!
//! Screenshots of every page go to `$CARGO_TARGET_TMPDIR/console-screenshots/`.

mod common;

use std::time::{Duration, Instant};

use common::webdriver::Browser;
use common::*;
use serde_json::{Value, json};

/// The caller of the transferred call, as the PBX saw it (digits only).
const CALLER: &str = "79123456789";

/// Runs `fetch` inside the page (the session cookie goes with it) and
/// returns `[status, body text]`.
async fn page_fetch(b: &Browser, method: &str, path: &str, csrf: Option<&str>) -> (u16, String) {
    let v = b
        .script(
            "const [m, p, t] = arguments;
             const headers = {};
             if (t) headers['X-CSRF-Token'] = t;
             const x = new XMLHttpRequest();
             x.open(m, p, false);
             for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
             x.send(m === 'GET' ? null : '');
             return [x.status, x.responseText];",
            vec![json!(method), json!(path), json!(csrf)],
        )
        .await;
    (v[0].as_u64().unwrap() as u16, v[1].as_str().unwrap_or("").to_owned())
}

/// `callvault_http_requests_total` for `route` with `status`, from /metrics.
async fn requests(url: &str, route: &str, status: u16) -> u64 {
    let text = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("callvault_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn sign_in(b: &Browser, url: &str, key: &str) {
    b.goto(&format!("{url}/console/")).await;
    let input = b.find("#signin-key").await;
    b.type_into(&input, key).await;
    b.click(&b.find("#signin-submit").await).await;
    b.find("#signout").await;
}

async fn search_number(b: &Browser, written: &str) -> Vec<String> {
    b.goto_hash("#/search").await;
    let form = b.find("#search-form").await;
    // Whatever the form held before (its defaults included) is cleared.
    b.script("arguments[0].reset();", vec![Browser::arg(&form)]).await;
    for id in ["#q-from", "#q-to"] {
        let el = b.find(id).await;
        b.script("arguments[0].value = '';", vec![Browser::arg(&el)]).await;
    }
    b.type_into(&b.find("#q-number").await, written).await;
    b.script("window.__searched = false;", vec![]).await;
    b.click(&b.find("#search-submit").await).await;
    let rows = b
        .wait_for(
            &format!("results for {written:?}"),
            "const t = document.querySelector('#results');
             if (!t || t.getAttribute('aria-busy') === 'true') return null;
             const rows = [...t.querySelectorAll('tr[data-conversation-id]')];
             return rows.length ? rows.map(r => r.dataset.conversationId) : null;",
        )
        .await;
    rows.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_finds_plays_and_follows_a_transferred_call() {
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let env = Env::new()
        .with("CALLVAULT_DELIVERY__ALLOW_PRIVATE_TARGETS", "true")
        .with("CALLVAULT_DELIVERY__POLL_MILLIS", "100")
        .with("CALLVAULT_DELIVERY__SCHEDULE_SECS", "[0, 1]")
        .with("CALLVAULT_DELIVERY__JITTER", "0")
        .with("CALLVAULT_DELIVERY__MAX_AGE_SECS", "1");
    let acme = env.tenant_with_key("acme");
    let globex = env.tenant_with_key("globex");
    let admin = env.admin_key();

    // A webhook that nobody answers: acme's recordings fail to deliver.
    let server = Server::start(&env);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/destinations", server.url))
        .bearer_auth(&acme)
        .json(&json!({
            "name": "crm-hook", "kind": "webhook", "events": ["recording.stored"],
            "config": { "url": format!("http://127.0.0.1:{port}/hook"), "timeout_secs": 2 },
            "secrets": { "secret": SECRET },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED, "{}", resp.text().await.unwrap());
    // Another tenant's call, which acme must never reach.
    let foreign = upload_stored(
        &server.url,
        &globex,
        json!({ "linkedid": "globex-1", "caller": "+79123456789", "callee": "300",
                "direction": "inbound", "final": true }),
        wav(8000 * 3, 7),
    )
    .await;
    let foreign_conv = foreign["conversation_id"].as_str().unwrap().to_owned();
    let foreign_rec = foreign["id"].as_str().unwrap().to_owned();
    server.terminate();

    // The caller talks to the secretary for 8 s, is transferred, and talks
    // to the colleague for 12 s: one capture, one conversation.
    let dir = env.data_dir().join("captures");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("transfer.pcap"), common::pcap::blind_transfer(CALLER, 400, 600))
        .unwrap();
    let out = env.capture_read(&dir, "acme");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let server = Server::start(&env);
    let url = server.url.clone();
    let page = until(&url, &acme, &format!("/v1/conversations?number={CALLER}"), |p| {
        p["items"][0].is_object()
    })
    .await;
    let conv = page["items"][0]["id"].as_str().unwrap().to_owned();
    let detail: Value = get_json(&format!("{url}/v1/conversations/{conv}"), &acme).await.1;
    let rec = detail["recordings"][0]["id"].as_str().unwrap().to_owned();
    // The delivery of that recording has failed for good before the test
    // retries it from the board.
    let dead = until(&url, &acme, "/v1/deliveries?state=dead", |p| {
        p["items"].as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let delivery = dead["items"][0]["id"].as_str().unwrap().to_owned();
    let attempts_before = dead["items"][0]["attempts"].as_u64().unwrap();

    let b = Browser::start(1280, 900, &shots).await;

    // A wrong key is refused, with a message and no session.
    b.goto(&format!("{url}/console/")).await;
    b.find("#signin-form, #signin").await;
    b.screenshot("01-sign-in").await;
    b.type_into(&b.find("#signin-key").await, "cv_not-a-key-at-all").await;
    b.click(&b.find("#signin-submit").await).await;
    let error = b
        .wait_for(
            "the sign-in error",
            "const e = document.querySelector('#signin-error'); return e && e.textContent.trim();",
        )
        .await;
    assert!(!error.as_str().unwrap().is_empty());
    assert!(b.cookies().await.iter().all(|c| c["name"] != "cv_session"));
    b.screenshot("02-sign-in-refused").await;

    // The right key: a secure, HttpOnly, SameSite session cookie.
    sign_in(&b, &url, &acme).await;
    let cookies = b.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c["name"] == "cv_session")
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["secure"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    let cookie_js = b.script("return document.cookie;", vec![]).await;
    assert!(
        !cookie_js.as_str().unwrap().contains("cv_session"),
        "the cookie is readable by scripts"
    );

    // The number written three ways finds the one call.
    for written in ["+7 912 345-67-89", "8 (912) 345 67 89", "9123456789"] {
        let rows = search_number(&b, written).await;
        assert_eq!(rows, vec![conv.clone()], "searching {written:?}");
    }
    b.screenshot("03-search-results").await;

    // The conversation: player, waveforms, timeline, events, copies. The
    // audio requests the page makes are counted from here.
    let ranges_before = requests(&url, "/v1/recordings/{id}/audio", 206).await;
    let link = b.find(&format!("tr[data-conversation-id='{conv}'] a")).await;
    b.click(&link).await;
    b.find("#player").await;
    assert!(b.url().await.contains(&format!("#/conversation/{conv}")));
    let src = b
        .wait_for("the player's source", "return document.querySelector('#player').currentSrc;")
        .await;
    assert!(src.as_str().unwrap().contains(&format!("/v1/recordings/{rec}/audio")), "{src}");
    let parts = b
        .wait_for(
            "three participants on the timeline",
            "const p = [...document.querySelectorAll('#timeline .participant[data-participant-id]')];
             return p.length >= 3 ? p.map(e => e.textContent) : null;",
        )
        .await;
    let parts: Vec<String> =
        parts.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(parts.len(), 3, "{parts:?}");
    for who in ["9123456789", "100", "200"] {
        assert!(parts.iter().any(|p| p.contains(who)), "{who} not on the timeline: {parts:?}");
    }
    // One waveform per side, drawn from the server's peaks.
    let channels = b
        .wait_for(
            "the waveforms",
            "const c = [...document.querySelectorAll('canvas.waveform')];
             return c.length >= 2 ? c.map(e => e.dataset.channel) : null;",
        )
        .await;
    let mut channels: Vec<&str> =
        channels.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    channels.sort();
    assert_eq!(channels, ["company", "external"]);
    assert!(requests(&url, "/v1/recordings/{id}/peaks", 200).await >= 1);
    // The secretary's REFER is an event on the conversation's timeline.
    let transfer = b.find("#events li[data-event='transfer']").await;
    let text = b.text(&transfer).await;
    assert!(text.contains("100") && text.contains("→ 200"), "{text}");
    b.find("#copies").await;
    let mp3 = b.attr(&b.find("#download-mp3").await, "href").await.unwrap();
    assert!(mp3.contains("format=mp3"), "{mp3}");
    b.screenshot("04-conversation").await;
    b.script("document.querySelector('#timeline').scrollIntoView();", vec![]).await;
    b.screenshot("04b-timeline").await;
    b.script("document.querySelector('#events').scrollIntoView();", vec![]).await;
    b.screenshot("04c-events").await;
    b.script("window.scrollTo(0, 0);", vec![]).await;

    // Play, then seek: the element's position moves, and the browser read
    // the audio in Range requests (a recording this short comes whole in
    // the first one, `bytes=0-`).
    b.script(
        "const p = document.querySelector('#player'); p.muted = true; p.play().catch(() => {});",
        vec![],
    )
    .await;
    b.wait_for(
        "playback to start",
        "const p = document.querySelector('#player'); return p.currentTime > 0.3 && !p.paused;",
    )
    .await;
    // Seek by clicking the waveform at three quarters of its width.
    let wave = b.find("canvas.waveform").await;
    b.script(
        "const c = arguments[0]; const r = c.getBoundingClientRect();
         c.dispatchEvent(new MouseEvent('click', { bubbles: true,
           clientX: r.left + r.width * 0.75, clientY: r.top + r.height / 2 }));",
        vec![Browser::arg(&wave)],
    )
    .await;
    let at = b
        .wait_for(
            "the seek",
            "const p = document.querySelector('#player');
             return p.currentTime > p.duration * 0.6 ? p.currentTime : null;",
        )
        .await;
    assert!(at.as_f64().unwrap() > 10.0, "{at}");
    let ranges_after = requests(&url, "/v1/recordings/{id}/audio", 206).await;
    assert!(ranges_after > ranges_before, "no Range request for the audio ({ranges_after})");
    b.screenshot("05-conversation-playing").await;

    // Through this session, another tenant's call is not there: not by
    // URL, not by its API.
    b.goto_hash(&format!("#/conversation/{foreign_conv}")).await;
    b.wait_for(
        "the not-found message",
        "return document.querySelector('.not-found, [data-state=\"not-found\"]') !== null;",
    )
    .await;
    assert!(b.find_all("#player").await.is_empty(), "a player for another tenant's call");
    b.screenshot("06-foreign-conversation").await;
    for path in [
        format!("/v1/conversations/{foreign_conv}"),
        format!("/v1/recordings/{foreign_rec}/audio"),
        format!("/v1/recordings/{foreign_rec}/peaks"),
    ] {
        let (status, _) = page_fetch(&b, "GET", &path, None).await;
        assert_eq!(status, 404, "{path}");
    }

    // State-changing requests need the CSRF token.
    let (status, body) =
        page_fetch(&b, "POST", &format!("/v1/deliveries/{delivery}/retry"), None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("csrf"), "{body}");
    let (status, _) = page_fetch(&b, "DELETE", "/v1/session", Some("not-the-token")).await;
    assert_eq!(status, 403);

    // The deliveries board retries the dead delivery.
    b.goto_hash("#/deliveries").await;
    let row = b.find(&format!("#deliveries tr[data-delivery-id='{delivery}']")).await;
    assert_eq!(b.attr(&row, "data-state").await.as_deref(), Some("dead"));
    // The per-destination summary counts it, with the webhook's error.
    let summary = b.find("#delivery-summary tr[data-destination-id]").await;
    let text = b.text(&summary).await;
    assert!(text.contains("crm-hook") && text.contains("cannot connect"), "{text}");
    b.screenshot("07-deliveries").await;
    let retry =
        b.find(&format!("#deliveries tr[data-delivery-id='{delivery}'] button.retry")).await;
    b.click(&retry).await;
    until(&url, &acme, &format!("/v1/deliveries/{delivery}"), |d| {
        d["attempts"].as_u64().unwrap_or(0) > attempts_before
    })
    .await;
    b.screenshot("08-deliveries-retried").await;

    // The other boards read their APIs.
    for (hash, board, shot) in [
        ("#/storage", "#storage-board", "09-storage"),
        ("#/completeness", "#completeness-board", "10-completeness"),
        ("#/alerts", "#alerts-board", "11-alerts"),
    ] {
        b.goto_hash(hash).await;
        b.find(board).await;
        b.wait_for(
            &format!("{board} loaded"),
            &format!(
                "const e = document.querySelector('{board}');
                 return e && e.getAttribute('aria-busy') !== 'true' && e.textContent.trim().length > 0;"
            ),
        )
        .await;
        b.screenshot(shot).await;
    }

    // Every form control has a label.
    b.goto_hash("#/search").await;
    b.find("#search-form").await;
    let unlabelled = b
        .script(
            "return [...document.querySelectorAll('input, select, textarea')]
               .filter(e => e.type !== 'hidden' && e.labels.length === 0
                 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
               .map(e => e.id || e.name);",
            vec![],
        )
        .await;
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // Russian, then German, then back: the page follows.
    for (lang, nav_hint) in [("ru", "Поиск"), ("de", "Suche"), ("en", "Search")] {
        let select = b.find("#lang").await;
        b.script(
            "arguments[0].value = arguments[1];
             arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
            vec![Browser::arg(&select), json!(lang)],
        )
        .await;
        b.wait_for(
            &format!("the page in {lang}"),
            &format!(
                "return document.documentElement.lang === '{lang}'
                   && document.querySelector('#nav-search').textContent.includes('{nav_hint}');"
            ),
        )
        .await;
        if lang == "ru" {
            b.screenshot("12-search-ru").await;
        }
    }

    // On a phone: the page fits the width (tables scroll inside).
    b.resize(390, 844).await;
    let overflow = b
        .wait_for(
            "the phone layout",
            "return window.innerWidth < 500
               ? document.documentElement.scrollWidth - window.innerWidth + 1 : null;",
        )
        .await;
    assert!(overflow.as_f64().unwrap() <= 1.0, "the page is wider than the phone: {overflow}");
    b.screenshot("13-search-phone").await;
    b.resize(1280, 900).await;

    // Sign out: back to the sign-in form, and the old session is gone.
    b.click(&b.find("#signout").await).await;
    b.find("#signin-key").await;
    let (status, _) = page_fetch(&b, "GET", "/v1/session", None).await;
    assert_eq!(status, 401);
    let (status, _) = page_fetch(&b, "GET", &format!("/v1/conversations/{conv}"), None).await;
    assert_eq!(status, 401);
    b.screenshot("14-signed-out").await;

    // An admin sees the tenants and switches between them.
    sign_in(&b, &url, &admin).await;
    let switch = b.find("#tenant-switch").await;
    let options = b
        .wait_for(
            "the tenant list",
            "const o = [...document.querySelectorAll('#tenant-switch option')].map(o => o.textContent);
             return o.some(t => t.includes('globex')) ? o : null;",
        )
        .await;
    assert!(options.to_string().contains("acme"), "{options}");
    b.script(
        "const s = arguments[0];
         const o = [...s.options].find(o => o.textContent.includes('globex'));
         s.value = o.value; s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![Browser::arg(&switch)],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = search_number(&b, "9123456789").await;
        if rows == vec![foreign_conv.clone()] {
            break;
        }
        assert!(Instant::now() < deadline, "admin switched to globex but sees {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.screenshot("15-admin-globex").await;
    b.click(&b.find("#signout").await).await;
    b.find("#signin-key").await;
    b.quit().await;
    println!("screenshots: {}", shots.display());
}
