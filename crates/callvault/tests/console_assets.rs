//! The web console's files as the real binary serves them, through the
//! whole router (its middleware, the session layer, the fallback): the
//! redirect, content types, the security headers, revalidation, and that
//! the page only names files the binary has.

mod common;

use common::*;
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `src="/console/assets/…"` and `href="/console/assets/…"` in the page.
fn asset_paths(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(marker) {
            let rest = &html[i + marker.len()..];
            let target = &rest[..rest.find('"').unwrap()];
            if !target.starts_with('#') {
                out.push(target.to_owned());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_console_is_served_with_its_headers_and_without_a_session() {
    let env = Env::new();
    let server = Server::start(&env);
    let http = client();

    let root = http.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::SEE_OTHER);
    assert_eq!(root.headers()[LOCATION], "/console/");

    // The page needs no key: signing in happens on it.
    let page = http.get(format!("{}/console/", server.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers().clone();
    assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let csp = h[CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.get("set-cookie").is_none(), "the page sets no cookie");
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"signin-key\""), "the sign-in form is in the page");

    let assets = asset_paths(&html);
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css"))
    );
    for path in assets {
        assert!(path.starts_with("/console/assets/"), "{path} is not one of the console's files");
        let resp = http.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let ty = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        let expected = match path.rsplit('.').next().unwrap() {
            "js" => "text/javascript",
            "css" => "text/css",
            "svg" => "image/svg+xml",
            other => panic!("unexpected asset type .{other}"),
        };
        assert!(ty.starts_with(expected), "{path}: {ty}");
        assert_eq!(resp.headers()[CACHE_CONTROL], "no-cache", "{path}");
        let etag = resp.headers()[ETAG].clone();
        let again = http
            .get(format!("{}{path}", server.url))
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }

    // Every language's messages are there.
    for lang in ["en", "ru", "de"] {
        let url = format!("{}/console/assets/i18n.{lang}.json", server.url);
        let resp = http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{lang}");
        let dict: serde_json::Value = resp.json().await.unwrap();
        assert!(dict.as_object().unwrap().len() > 50, "{lang}");
    }

    // Anything else under the console is an ordinary 404 problem.
    let missing = http.get(format!("{}/console/assets/nope.js", server.url)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()[CONTENT_TYPE], "application/problem+json");
}
