//! A small W3C WebDriver client for the console's end-to-end tests: Debian's
//! `chromedriver` driving headless `chromium` (no browser download).
//!
//! Only what the tests use: navigate, find, click, type, read text and
//! attributes, run a script, take a screenshot. Every wait polls the page
//! with a deadline, so a test waits for what it checks, never for a fixed
//! time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The element reference key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Debian's packages put the driver and the browser.
fn driver_binary() -> PathBuf {
    std::env::var_os("CV_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

fn browser_binary() -> PathBuf {
    std::env::var_os("CV_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// A running `chromedriver` with one browser session.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
    /// Where screenshots go.
    pub shots: PathBuf,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless browser of `width`×`height`.
    /// Panics with the install hint when the packages are missing: CI has
    /// them (scripts/test.sh installs `chromium` and `chromium-driver`).
    pub async fn start(width: u32, height: u32, shots: &Path) -> Self {
        let (driver_bin, browser_bin) = (driver_binary(), browser_binary());
        assert!(
            driver_bin.exists() && browser_bin.exists(),
            "the console tests need {} and {} (apt-get install chromium chromium-driver)",
            driver_bin.display(),
            browser_bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--lang=en-US".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": browser_bin.display().to_string(),
                        "args": args,
                        "prefs": { "intl.accept_languages": "en-US,en" },
                    },
                }
            }
        });
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused the session: {resp}"))
            .to_owned();
        std::fs::create_dir_all(shots).unwrap();
        Self { driver, base, session, http, _profile: profile, shots: shots.to_owned() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "webdriver {path}: {status} {v}");
        v["value"].clone()
    }

    /// Like `call`, but a WebDriver error comes back as `Err` (used by
    /// the waits, where "no such element yet" is expected).
    async fn try_call(&self, path: &str, body: Value) -> Result<Value, Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let resp = self.http.post(url).json(&body).send().await.unwrap();
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if ok { Ok(v["value"].clone()) } else { Err(v) }
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    /// Moves a single-page app to `hash` without reloading it.
    pub async fn goto_hash(&self, hash: &str) {
        self.script("location.hash = arguments[0];", vec![json!(hash)]).await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or("").to_owned()
    }

    /// Resizes the window (a phone's viewport, then back).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    /// The first element matching `css`, waiting up to 15 s for it.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self.try_call("/element", json!({ "using": "css selector", "value": css })).await
            {
                Ok(v) => return Element(v[ELEMENT].as_str().unwrap().to_owned()),
                Err(e) => {
                    if Instant::now() > deadline {
                        let shot = self.screenshot("missing-element").await;
                        let why = e["value"]["message"].as_str().unwrap_or_default();
                        let why = why.lines().next().unwrap_or_default();
                        panic!("no element {css} ({why}); page in {}", shot.display());
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every element matching `css` now (possibly none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| Element(e[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    pub async fn click(&self, el: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/click", el.0), Some(json!({})))
            .await;
    }

    pub async fn clear(&self, el: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/clear", el.0), Some(json!({})))
            .await;
    }

    /// Types `text` into the element (after clearing it).
    pub async fn type_into(&self, el: &Element, text: &str) {
        self.clear(el).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn text(&self, el: &Element) -> String {
        let v = self.call(reqwest::Method::GET, &format!("/element/{}/text", el.0), None).await;
        v.as_str().unwrap_or("").to_owned()
    }

    pub async fn attr(&self, el: &Element, name: &str) -> Option<String> {
        let v = self
            .call(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", el.0), None)
            .await;
        v.as_str().map(str::to_owned)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns
    /// what it returns. Elements are passed as `Element`s via [`Browser::arg`].
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// An element as a script argument.
    pub fn arg(el: &Element) -> Value {
        json!({ ELEMENT: el.0 })
    }

    /// Waits up to 20 s until `script` returns something truthy; returns it.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.script(script, vec![]).await;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(_) => true,
            };
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let shot = self.screenshot("timeout").await;
                panic!("timed out waiting for {what} (last: {v}); page in {}", shot.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the page as `<shots>/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The browser's cookies for the current page, as WebDriver reports them.
    pub async fn cookies(&self) -> Vec<Value> {
        let v = self.call(reqwest::Method::GET, "/cookie", None).await;
        v.as_array().cloned().unwrap_or_default()
    }

    pub async fn quit(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
