//! The web console: a static single-page application embedded in the
//! binary and served on the API's own address.
//!
//! `/` redirects to `/console/`, which serves `index.html`; everything else
//! the page loads is under `/console/assets/{file}`. The files live in
//! `crates/api/assets/console/` and are compiled in with `include_bytes!`:
//! there is no front-end build step, nothing is fetched from elsewhere, and
//! what the binary serves is exactly what is in the repository.
//!
//! The page reads the ordinary `/v1` API with the session cookie (see the
//! session module); this module knows nothing about sessions or data. Every
//! response carries a strict Content-Security-Policy (scripts and styles
//! from this origin only, no inline code) and the usual hardening headers;
//! assets are revalidated with a strong ETag (the SHA-256 of their bytes,
//! computed once on first use).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::Problem;

/// The policy every console response carries: nothing but this origin,
/// no inline script or style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// One embedded file: its name under `/console/assets/`, content type and
/// bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../assets/console/", $name)),
        }
    };
}

/// The page itself, served at `/console/`.
const INDEX: Asset = asset!("index.html", "text/html; charset=utf-8");

/// Every file the page loads. A file added to the directory must be listed
/// here; the tests check that every file the page names is.
const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("dom.js", "text/javascript; charset=utf-8"),
    asset!("i18n.js", "text/javascript; charset=utf-8"),
    asset!("search.js", "text/javascript; charset=utf-8"),
    asset!("conversation.js", "text/javascript; charset=utf-8"),
    asset!("boards.js", "text/javascript; charset=utf-8"),
    asset!("charts.js", "text/javascript; charset=utf-8"),
    asset!("i18n.en.json", "application/json; charset=utf-8"),
    asset!("i18n.ru.json", "application/json; charset=utf-8"),
    asset!("i18n.de.json", "application/json; charset=utf-8"),
];

/// The languages the console speaks, in the order of the switch.
pub const LANGUAGES: [&str; 3] = ["en", "ru", "de"];

/// The console's routes, merged into the top-level router.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(index))
        .route("/console/assets/{file}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX, etag_of(0, &INDEX), &headers)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|a| a.name == file) {
        Some(i) => serve(&ASSETS[i], etag_of(i + 1, &ASSETS[i]), &headers),
        None => Problem::not_found("console asset").into_response(),
    }
}

/// The ETag of asset `slot` (0: the index, i + 1: `ASSETS[i]`), hashed once.
fn etag_of(slot: usize, asset: &Asset) -> &'static str {
    static TAGS: OnceLock<Vec<OnceLock<String>>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| (0..=ASSETS.len()).map(|_| OnceLock::new()).collect());
    tags[slot].get_or_init(|| {
        let digest = Sha256::digest(asset.bytes);
        format!("\"{}\"", hex::encode(&digest[..16]))
    })
}

fn serve(asset: &Asset, etag: &'static str, req: &HeaderMap) -> Response {
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    // File names carry no version: a browser revalidates every time (a 304
    // when nothing changed) so an upgrade is never half-applied.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, if_none_match: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(tag) = if_none_match {
            req = req.header(header::IF_NONE_MATCH, tag);
        }
        routes::<()>().oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    fn text(asset: &Asset) -> &'static str {
        std::str::from_utf8(asset.bytes).expect("assets are UTF-8 text")
    }

    /// Every `src="…"`/`href="…"` and `import … from "…"` target in `s`.
    fn references(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        for marker in ["src=\"", "href=\"", "from \"", "from '", "import(\"", "import('"] {
            let mut rest = s;
            while let Some(i) = rest.find(marker) {
                rest = &rest[i + marker.len()..];
                let quote = marker.chars().last().unwrap();
                let end = rest.find(quote).unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
            }
        }
        out
    }

    #[tokio::test]
    async fn root_and_bare_console_redirect_to_the_console() {
        for path in ["/", "/console"] {
            let resp = get(path, None).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(resp.headers()[header::LOCATION], "/console/");
        }
    }

    #[tokio::test]
    async fn every_asset_is_served_with_its_type_csp_and_etag() {
        let mut all = vec![("/console/".to_owned(), &INDEX)];
        all.extend(ASSETS.iter().map(|a| (format!("/console/assets/{}", a.name), a)));
        for (path, asset) in all {
            let resp = get(&path, None).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let h = resp.headers();
            assert_eq!(h[header::CONTENT_TYPE], asset.content_type, "{path}");
            let expected = match asset.name.rsplit('.').next().unwrap() {
                "html" => "text/html",
                "css" => "text/css",
                "js" => "text/javascript",
                "json" => "application/json",
                "svg" => "image/svg+xml",
                other => panic!("no expected type for .{other}"),
            };
            assert!(asset.content_type.starts_with(expected), "{path}: {}", asset.content_type);
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(h[header::CACHE_CONTROL], "no-cache");
            let etag = h[header::ETAG].to_str().unwrap().to_owned();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            assert_eq!(&body[..], asset.bytes, "{path}");
            let again = get(&path, Some(&etag)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            assert_eq!(again.headers()[header::ETAG], etag.as_str());
        }
        assert_eq!(get("/console/assets/nope.js", None).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            get("/console/assets/..%2FCargo.toml", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn the_policy_forbids_inline_code_and_other_origins() {
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
        }
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }

    #[test]
    fn the_page_loads_only_local_assets_and_no_inline_code() {
        let names: BTreeSet<&str> = ASSETS.iter().map(|a| a.name).collect();
        let html = text(&INDEX);
        assert!(!html.contains("http://") && !html.contains("https://"), "index.html names a URL");
        assert!(!html.contains("style=\""), "an inline style attribute would be blocked");
        // No inline event handler attributes (onclick="…").
        for (i, _) in html.match_indices(" on") {
            let word: String =
                html[i + 3..].chars().take_while(|c| c.is_ascii_lowercase()).collect();
            let after = &html[i + 3 + word.len()..];
            assert!(word.is_empty() || !after.starts_with("=\""), "inline handler on{word}");
        }
        // Every <script> has a src: no inline script.
        for chunk in html.split("<script").skip(1) {
            let tag = &chunk[..chunk.find('>').unwrap()];
            assert!(tag.contains("src=\""), "inline <script>: {tag}");
        }
        let mut referenced = references(html);
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let js = text(a);
            assert!(!js.contains("http://") && !js.contains("https://"), "{} names a URL", a.name);
            assert!(!js.contains("eval(") && !js.contains("new Function"), "{}", a.name);
            referenced.extend(references(js));
        }
        let css = text(ASSETS.iter().find(|a| a.name == "app.css").unwrap());
        assert!(!css.contains("@import") && !css.contains("url(http"), "the CSS loads nothing");
        assert!(!referenced.is_empty());
        for r in referenced.into_iter().filter(|r| !r.starts_with('#')) {
            let name = r
                .strip_prefix("/console/assets/")
                .or_else(|| r.strip_prefix("./"))
                .unwrap_or_else(|| panic!("{r:?} is not a console asset"));
            assert!(names.contains(name), "{r:?} is referenced but not embedded");
        }
    }

    fn keys(lang: &str) -> BTreeSet<String> {
        let name = format!("i18n.{lang}.json");
        let asset = ASSETS.iter().find(|a| a.name == name).expect("a dictionary per language");
        let dict: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(asset.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (k, v) in &dict {
            let v = v.as_str().unwrap_or_else(|| panic!("{name}: {k} is not a string"));
            assert!(!v.trim().is_empty(), "{name}: {k} is empty");
        }
        dict.keys().cloned().collect()
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let en = keys("en");
        assert!(en.len() > 50, "the English dictionary looks truncated");
        for lang in &LANGUAGES[1..] {
            let other = keys(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{lang}: missing {missing:?}, extra {extra:?}"
            );
        }
        // Every key the code uses (t("…") and data-i18n="…") is defined.
        let mut used = BTreeSet::new();
        let sources =
            std::iter::once(&INDEX).chain(ASSETS.iter().filter(|a| a.name.ends_with(".js")));
        for a in sources {
            let s = text(a);
            for marker in ["t(\"", "data-i18n=\"", "data-i18n-label=\""] {
                for (i, _) in s.match_indices(marker) {
                    // `t("` as a call of t, not the end of `set("`.
                    let before = s[..i].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || "_$.".contains(c)) {
                        continue;
                    }
                    let rest = &s[i + marker.len()..];
                    used.insert(rest[..rest.find('"').unwrap()].to_owned());
                }
            }
        }
        assert!(used.len() > 100, "the scan for used keys found too few: {}", used.len());
        let undefined: Vec<_> = used.iter().filter(|k| !en.contains(*k)).collect();
        assert!(undefined.is_empty(), "keys used but not defined: {undefined:?}");
    }
}
