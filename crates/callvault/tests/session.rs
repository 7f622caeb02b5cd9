//! Web console sessions through the real binary: sign-in with a key, the
//! cookie on the ordinary API, CSRF, tenant isolation, the admin's tenant
//! switch, sign-out, revocation and expiry.

mod common;

use std::time::Duration;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A signed-in console: the cookie's token and the session's CSRF token.
struct Console {
    url: String,
    token: String,
    csrf: String,
    body: Value,
}

/// What a response said: status, Set-Cookie (if any), JSON body.
struct Answer {
    status: StatusCode,
    set_cookie: Option<String>,
    body: Value,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let set_cookie = resp.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    let body = resp.json().await.unwrap_or(Value::Null);
    Answer { status, set_cookie, body }
}

async fn sign_in(url: &str, key: &str) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/session"))
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap();
    answer(resp).await
}

/// The token a `Set-Cookie: cv_session=...` carries.
fn token_of(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.strip_prefix("cv_session=").unwrap().to_owned()
}

impl Console {
    async fn open(url: &str, key: &str) -> Self {
        let a = sign_in(url, key).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let token = token_of(a.set_cookie.as_deref().expect("a session cookie"));
        let csrf = a.body["csrf_token"].as_str().unwrap().to_owned();
        Console { url: url.to_owned(), token, csrf, body: a.body }
    }

    /// A request with the cookie (and the CSRF token when `csrf`).
    fn request(&self, method: Method, path: &str, csrf: Option<&str>) -> reqwest::RequestBuilder {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .header("cookie", format!("theme=dark; cv_session={}", self.token));
        if let Some(csrf) = csrf {
            req = req.header("x-csrf-token", csrf);
        }
        req
    }

    async fn get(&self, path: &str) -> Answer {
        answer(self.request(Method::GET, path, None).send().await.unwrap()).await
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.request(method, path, Some(&self.csrf));
        if let Some(body) = body {
            req = req.json(&body);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn switch(&self, tenant: Option<&str>) -> Answer {
        self.send(Method::PUT, "/v1/session/tenant", Some(json!({ "tenant": tenant }))).await
    }
}

fn upload_form(number: &str, seed: u64) -> Form {
    let meta = json!({
        "call_id": format!("call-{seed}"), "direction": "inbound",
        "caller": number, "callee": "+74951234567",
        "started_at": "2026-11-20T10:00:00Z",
    });
    Form::new()
        .part("metadata", Part::text(meta.to_string()).mime_str("application/json").unwrap())
        .part(
            "audio",
            Part::bytes(wav(8000, seed)).file_name("call.wav").mime_str("audio/wav").unwrap(),
        )
}

/// Upload one call with a bearer key: (recording id, conversation id).
async fn upload(url: &str, key: &str, number: &str, seed: u64) -> (String, String) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/recordings"))
        .bearer_auth(key)
        .multipart(upload_form(number, seed))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), body["conversation_id"].as_str().unwrap().to_owned())
}

fn conversation_ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_key_signs_in_to_a_strict_http_only_cookie_that_authenticates_the_api() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let (_, conv) = upload(url, &key, "+79123456789", 1).await;

    let signed = sign_in(url, &key).await;
    assert_eq!(signed.status, StatusCode::CREATED, "{}", signed.body);
    let cookie = signed.set_cookie.clone().unwrap();
    for attr in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure", "Max-Age=3600"] {
        assert!(cookie.split("; ").any(|a| a == attr), "{attr} missing from {cookie}");
    }
    let token = token_of(&cookie);
    assert_eq!(token.len(), 43, "256 bits in base64url");
    assert!(!cookie.contains(&key));
    assert_eq!(signed.body["role"], "tenant");
    assert_eq!(signed.body["tenant"]["name"], "acme");
    assert_eq!(signed.body["tenants"], json!([]));
    assert!(key.starts_with(signed.body["key_prefix"].as_str().unwrap()));
    assert!(signed.body["csrf_token"].as_str().unwrap().len() >= 32);
    assert!(signed.body["expires_at"].as_str().unwrap().ends_with('Z'));

    let console = Console::open(url, &key).await;
    assert_ne!(console.token, token, "every sign-in is a new session");
    let page = console.get("/v1/conversations").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(conversation_ids(&page.body), vec![conv.clone()]);
    let one = console.get(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(one.status, StatusCode::OK);
    let me = console.get("/v1/session").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["csrf_token"], console.body["csrf_token"]);

    // A wrong key, a revoked-looking one, not a key at all: 401, no cookie.
    for wrong in [format!("{key}x"), "cv_AAAA".into(), "hunter2".into(), String::new()] {
        let refused = sign_in(url, &wrong).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.body["code"], "invalid_key");
        assert!(refused.set_cookie.is_none());
    }
    // Not JSON: a problem, no cookie.
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/session"))
        .header("content-type", "application/json")
        .body("{\"key\":")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert!(resp.headers().get("set-cookie").is_none());
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    // No cookie, a forged one, a bearer key (not a session): 401.
    let anonymous = reqwest::get(format!("{url}/v1/session")).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = Console { token: "A".repeat(43), ..Console::open(url, &key).await };
    assert_eq!(forged.get("/v1/conversations").await.status, StatusCode::UNAUTHORIZED);
    let bad = Console { token: "not a token!".into(), ..Console::open(url, &key).await };
    assert_eq!(bad.get("/v1/conversations").await.status, StatusCode::UNAUTHORIZED);
    let (status, _) = get_json(&format!("{url}/v1/session"), &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Sign-in is audited with the key as actor; the token is nowhere.
    let (status, events) = get_json(&format!("{url}/v1/audit?limit=1000"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    let sign_ins: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "console_session.created")
        .collect();
    assert_eq!(sign_ins.len(), 4);
    assert!(sign_ins.iter().all(|e| e["actor"].as_str().unwrap().starts_with("api_key:")));
    assert!(!events.to_string().contains(&console.token));
    assert!(!events.to_string().contains(&key));
}

#[tokio::test]
async fn state_changing_requests_need_the_sessions_csrf_token() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let console = Console::open(&server.url, &key).await;

    // An upload through the session: refused without the token and with a
    // wrong one (nothing stored), accepted with it.
    for csrf in [None, Some("wrong"), Some(&console.csrf[..42])] {
        let resp = console
            .request(Method::POST, "/v1/recordings", csrf)
            .multipart(upload_form("+79123456789", 1))
            .send()
            .await
            .unwrap();
        let a = answer(resp).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{csrf:?}: {}", a.body);
        assert_eq!(a.body["code"], "csrf");
    }
    assert!(conversation_ids(&console.get("/v1/conversations").await.body).is_empty());
    let resp = console
        .request(Method::POST, "/v1/recordings", Some(&console.csrf))
        .multipart(upload_form("+79123456789", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(conversation_ids(&console.get("/v1/conversations").await.body).len(), 1);
    // A bearer key needs no CSRF token: it is not sent by browsers on
    // their own.
    upload(&server.url, &key, "+79123456789", 2).await;

    // Sign-out needs it too; then the cookie is cleared and useless.
    let refused =
        answer(console.request(Method::DELETE, "/v1/session", None).send().await.unwrap()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["code"], "csrf");
    assert_eq!(console.get("/v1/session").await.status, StatusCode::OK);
    let out = console.send(Method::DELETE, "/v1/session", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.set_cookie.unwrap();
    assert!(cleared.starts_with("cv_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(console.get("/v1/session").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        console.send(Method::DELETE, "/v1/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_tenant_session_never_reaches_another_tenants_calls() {
    let env = Env::new();
    let key_a = env.tenant_with_key("alpha");
    let key_b = env.tenant_with_key("beta");
    let server = Server::start(&env);
    let url = &server.url;
    let (rec_a, conv_a) = upload(url, &key_a, "+79120000001", 1).await;
    let (rec_b, conv_b) = upload(url, &key_b, "+79120000002", 2).await;
    let a = Console::open(url, &key_a).await;

    assert_eq!(conversation_ids(&a.get("/v1/conversations").await.body), vec![conv_a.clone()]);
    assert_eq!(a.get(&format!("/v1/conversations/{conv_a}")).await.status, StatusCode::OK);
    let audio = a.request(Method::GET, &format!("/v1/recordings/{rec_a}/audio"), None);
    assert_eq!(audio.send().await.unwrap().status(), StatusCode::OK);
    // B's call by URL: as absent as an id that never existed.
    for path in [
        format!("/v1/conversations/{conv_b}"),
        format!("/v1/recordings/{rec_b}"),
        format!("/v1/recordings/{rec_b}/audio"),
        format!("/v1/conversations/{conv_b}/deliveries"),
    ] {
        let got = a.get(&path).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}: {}", got.body);
    }
    let ranged = a
        .request(Method::GET, &format!("/v1/recordings/{rec_b}/audio"), None)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::NOT_FOUND);
    // No tenant switch, no admin routes for a tenant session.
    let switch = a.switch(Some("beta")).await;
    assert_eq!(switch.status, StatusCode::FORBIDDEN);
    assert_eq!(a.get("/v1/conversations").await.body["items"][0]["id"], json!(conv_a));
    assert_eq!(a.get("/v1/tenants").await.status, StatusCode::FORBIDDEN);
    // Its audit log and storage figures are its own.
    let audit = a.get("/v1/audit?limit=1000").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(!audit.body.as_array().unwrap().is_empty());
    assert!(!audit.body.to_string().contains(&conv_b));
    let storage = a.get("/v1/storage").await;
    assert_eq!(storage.status, StatusCode::OK, "{}", storage.body);
    assert!(storage.body.get("stores").is_none());
    assert!(storage.body["tenants"].as_array().unwrap().iter().all(|t| t["tenant"] == "alpha"));
}

#[tokio::test]
async fn an_admin_session_switches_between_tenants() {
    let env = Env::new();
    let key_a = env.tenant_with_key("alpha");
    let key_b = env.tenant_with_key("beta");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let (rec_a, conv_a) = upload(url, &key_a, "+79120000001", 1).await;
    let (rec_b, conv_b) = upload(url, &key_b, "+79120000002", 2).await;

    let console = Console::open(url, &admin).await;
    assert_eq!(console.body["role"], "admin");
    assert_eq!(console.body["tenant"], Value::Null);
    let names: Vec<_> = console.body["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    // No tenant chosen: tenant routes are refused, admin routes work.
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::FORBIDDEN);
    assert_eq!(console.get("/v1/tenants").await.status, StatusCode::OK);
    assert!(console.get("/v1/storage").await.body.get("stores").is_some());

    // Switching is a state change: CSRF applies.
    let no_csrf = console
        .request(Method::PUT, "/v1/session/tenant", None)
        .json(&json!({ "tenant": "alpha" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    assert_eq!(console.get("/v1/session").await.body["tenant"], Value::Null);

    let to_a = console.switch(Some("alpha")).await;
    assert_eq!(to_a.status, StatusCode::OK, "{}", to_a.body);
    assert_eq!(to_a.body["tenant"]["name"], "alpha");
    assert_eq!(to_a.body["role"], "admin");
    assert_eq!(console.get("/v1/session").await.body["tenant"]["name"], "alpha");
    assert_eq!(
        conversation_ids(&console.get("/v1/conversations").await.body),
        vec![conv_a.clone()]
    );
    let audio = console.request(Method::GET, &format!("/v1/recordings/{rec_a}/audio"), None);
    assert_eq!(audio.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        console.get(&format!("/v1/conversations/{conv_b}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        console.get(&format!("/v1/recordings/{rec_b}/audio")).await.status,
        StatusCode::NOT_FOUND
    );
    // Acting as alpha, it still manages tenants; its figures are alpha's.
    assert_eq!(console.get("/v1/tenants").await.status, StatusCode::OK);
    let storage = console.get("/v1/storage").await.body;
    assert!(storage.get("stores").is_none());
    assert!(storage["tenants"].as_array().unwrap().iter().all(|t| t["tenant"] == "alpha"));

    let to_b = console.switch(Some("beta")).await;
    assert_eq!(to_b.body["tenant"]["name"], "beta");
    assert_eq!(
        conversation_ids(&console.get("/v1/conversations").await.body),
        vec![conv_b.clone()]
    );
    assert_eq!(
        console.get(&format!("/v1/conversations/{conv_a}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        console.get(&format!("/v1/recordings/{rec_a}/audio")).await.status,
        StatusCode::NOT_FOUND
    );

    // An unknown tenant changes nothing; null leaves every tenant.
    assert_eq!(console.switch(Some("gamma")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(console.get("/v1/session").await.body["tenant"]["name"], "beta");
    let none = console.switch(None).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body["tenant"], Value::Null);
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::FORBIDDEN);
    // A bearer admin key never acts as a tenant.
    let (status, _) = get_json(&format!("{url}/v1/conversations"), &admin).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The switches and the sign-out are audited, the switch into a tenant
    // visible to that tenant.
    assert_eq!(
        console.send(Method::DELETE, "/v1/session", None).await.status,
        StatusCode::NO_CONTENT
    );
    let (_, events) = get_json(&format!("{url}/v1/audit?limit=1000"), &admin).await;
    let actions: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("console_session."))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "console_session.created",
            "console_session.tenant_switched",
            "console_session.tenant_switched",
            "console_session.tenant_switched",
            "console_session.ended",
        ]
    );
    let (_, alpha_events) = get_json(&format!("{url}/v1/audit"), &key_a).await;
    assert!(alpha_events.to_string().contains("console_session.tenant_switched"));
}

#[tokio::test]
async fn revoking_the_key_ends_its_sessions() {
    let env = Env::new();
    let key = env.tenant_with_key("acme");
    let admin = env.admin_key();
    let server = Server::start(&env);
    let url = &server.url;
    let console = Console::open(url, &key).await;
    let admin_console = Console::open(url, &admin).await;
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::OK);

    // Revoked through the admin's own session (CSRF and all).
    let keys = admin_console.get("/v1/tenants/acme/keys").await.body;
    let id = keys[0]["id"].as_str().unwrap().to_owned();
    let revoked = admin_console.send(Method::DELETE, &format!("/v1/keys/{id}"), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(console.get("/v1/session").await.status, StatusCode::UNAUTHORIZED);
    // Nor can it sign in again.
    let again = sign_in(url, &key).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.body["code"], "invalid_key");
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_end() {
    // Idle: a session used within the idle time lives on (its cookie
    // renewed); left alone longer, it is gone.
    let env = Env::new().with("CALLVAULT_CONSOLE__SESSION_IDLE_SECS", "3");
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let console = Console::open(&server.url, &key).await;
    let mut renewed = false;
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = console.get("/v1/conversations").await;
        assert_eq!(a.status, StatusCode::OK, "a session in use stays");
        if let Some(c) = a.set_cookie {
            assert_eq!(token_of(&c), console.token);
            assert!(c.contains("HttpOnly") && c.contains("Max-Age="), "{c}");
            renewed = true;
        }
    }
    assert!(renewed, "the cookie's Max-Age follows the sliding idle end");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::UNAUTHORIZED);
    drop(server);

    // Absolute: however busy, the session ends; insecure_cookies leaves
    // `Secure` off for plain-HTTP trials.
    let env = Env::new()
        .with("CALLVAULT_CONSOLE__SESSION_MAX_SECS", "2")
        .with("CALLVAULT_CONSOLE__INSECURE_COOKIES", "true");
    let key = env.tenant_with_key("acme");
    let server = Server::start(&env);
    let signed = sign_in(&server.url, &key).await;
    let cookie = signed.set_cookie.unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Max-Age=2"), "the cookie lives no longer than the session: {cookie}");
    let console = Console::open(&server.url, &key).await;
    assert_eq!(console.get("/v1/conversations").await.status, StatusCode::OK);
    let mut ended = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if console.get("/v1/conversations").await.status == StatusCode::UNAUTHORIZED {
            ended = true;
            break;
        }
    }
    assert!(ended, "a busy session still ends at session_max_secs");

    // A zero idle time is a configuration error, not a server.
    let env = Env::new().with("CALLVAULT_CONSOLE__SESSION_IDLE_SECS", "0");
    let out = env.cli(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("console.session_idle_secs"));
}
