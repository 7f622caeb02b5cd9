//! Signed webhooks, as [Standard Webhooks] v1 describes them.
//!
//! Each attempt POSTs the payload ([`crate::payload`]) as JSON with:
//! - `webhook-id`: the delivery id, the same on every attempt, so the
//!   receiver can drop a retry of a message it already processed;
//! - `webhook-timestamp`: this attempt's Unix time in seconds (receivers
//!   reject timestamps more than a few minutes off, so it is not the
//!   delivery's creation time);
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//!   with the base64-decoded key after `whsec_`, once for the current
//!   secret and once for each of `previous_secrets`, space-separated, so a
//!   receiver that still knows only an older secret keeps verifying while
//!   the secrets are rotated.
//!
//! Settings (`config`): `url` (HTTPS, unless `allow_http: true` or the host
//! is a loopback address), `timeout_secs` (1 to 30, 15 by default).
//! Secrets: `secret` (`whsec_<base64 of 24 to 64 bytes>`), optional
//! `previous_secrets` (the same form). Other keys of `config` (such as the
//! outbox's `events`) are left to their owners.
//!
//! How an answer is classed:
//! - 2xx: delivered (not verified: a webhook cannot be read back);
//! - 3xx: redirects are **not followed** (a signed message must not be
//!   forwarded to a place the destination's owner did not configure) and
//!   count as a failure worth retrying, with the error
//!   `redirect not followed`, so the delivery keeps trying until its
//!   maximum age while the owner fixes the URL;
//! - 410 Gone: the endpoint asked to be removed: the destination is disabled;
//! - 408, 425, 429 and 5xx, timeouts and connection errors: retried, with
//!   `Retry-After` (seconds or an HTTP date) passed to the outbox;
//! - any other 4xx: dead at once (the receiver refused the message itself).
//!
//! [Standard Webhooks]: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::channel::{Attempt, Channel, Event, Job, Outcome, RetryClass};
use crate::payload;

/// The default and the largest request timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 15;
/// The largest `timeout_secs` a destination may set.
pub const MAX_TIMEOUT_SECS: u64 = 30;
/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
const MIN_SECRET_BYTES: usize = 24;
const MAX_SECRET_BYTES: usize = 64;
/// Of the answer's body, this much is kept for the delivery's history.
const ERROR_BODY_MAX: usize = 200;

/// Standard base64 that takes secrets with or without their padding.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A webhook destination's settings.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookConfig {
    /// Where messages are POSTed.
    pub url: String,
    /// Allow `http://` to a host that is not a loopback address.
    #[serde(default)]
    pub allow_http: bool,
    /// The whole request's timeout, connection included.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

/// A webhook destination's secrets.
#[derive(Deserialize)]
struct WebhookSecrets {
    secret: String,
    #[serde(default)]
    previous_secrets: Vec<String>,
}

/// The keys to sign with: the current secret first.
struct Keys(Vec<Vec<u8>>);

impl WebhookConfig {
    /// Parse and check a destination's settings.
    pub fn parse(config: &Value) -> Result<(WebhookConfig, Url), String> {
        let config: WebhookConfig =
            serde_json::from_value(config.clone()).map_err(|e| format!("webhook settings: {e}"))?;
        if config.timeout_secs == 0 || config.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(format!("webhook timeout_secs must be 1 to {MAX_TIMEOUT_SECS}"));
        }
        let url = Url::parse(&config.url).map_err(|e| format!("webhook url: {e}"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => return Err("webhook url has no host".into()),
        };
        match url.scheme() {
            "https" => {}
            "http" if config.allow_http || loopback => {}
            "http" => {
                return Err("webhook url must be https (set allow_http to send plain http)".into());
            }
            other => return Err(format!("webhook url scheme {other:?} is not http(s)")),
        }
        Ok((config, url))
    }
}

impl Keys {
    fn parse(secrets: &Value) -> Result<Keys, String> {
        let secrets: WebhookSecrets = serde_json::from_value(secrets.clone()).map_err(|_| {
            "webhook secrets: expected {\"secret\": \"whsec_...\", \"previous_secrets\": [...]}"
                .to_owned()
        })?;
        let mut keys = vec![decode_secret(&secrets.secret, "secret")?];
        for (i, s) in secrets.previous_secrets.iter().enumerate() {
            keys.push(decode_secret(s, &format!("previous_secrets[{i}]"))?);
        }
        Ok(Keys(keys))
    }

    /// The `webhook-signature` header's value.
    fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let sigs: Vec<String> =
            self.0.iter().map(|key| format!("v1,{}", sign(key, id, timestamp, body))).collect();
        sigs.join(" ")
    }
}

/// Decode a `whsec_` secret; the message never shows the secret.
fn decode_secret(secret: &str, name: &str) -> Result<Vec<u8>, String> {
    let b64 = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| format!("webhook {name} must start with {SECRET_PREFIX}"))?;
    let key = LENIENT_BASE64
        .decode(b64)
        .map_err(|_| format!("webhook {name} is not {SECRET_PREFIX} followed by base64"))?;
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
        return Err(format!(
            "webhook {name} must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("hmac takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A new random secret in the `whsec_` form (32 bytes).
pub fn generate_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The webhook channel.
pub struct WebhookChannel {
    client: reqwest::Client,
    user_agent: String,
}

impl WebhookChannel {
    /// A channel with its own HTTP client (redirects disabled).
    pub fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("webhook http client: {e}"))?;
        Ok(Self { client, user_agent: format!("callvault-webhooks/{}", env!("CARGO_PKG_VERSION")) })
    }

    async fn send(&self, job: &Job) -> Attempt {
        let progress = job.progress.clone();
        let attempt = |outcome, status| Attempt { outcome, progress: progress.clone(), status };
        let (config, url) = match WebhookConfig::parse(&job.destination.config) {
            Ok(c) => c,
            Err(error) => return attempt(Outcome::Dead { error }, None),
        };
        let keys = match Keys::parse(&job.destination.secrets) {
            Ok(k) => k,
            Err(error) => return attempt(Outcome::Dead { error }, None),
        };
        let body = match serde_json::to_vec(&payload::job_payload(job)) {
            Ok(b) => b,
            Err(e) => return attempt(Outcome::Dead { error: format!("payload: {e}") }, None),
        };
        let id = job.delivery_id.to_string();
        let timestamp = Utc::now().timestamp();
        let signature = keys.signature(&id, timestamp, &body);
        let response = self
            .client
            .post(url)
            .timeout(Duration::from_secs(config.timeout_secs))
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, &self.user_agent)
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                // Without the url: it may carry a token.
                let e = e.without_url();
                let error = if e.is_timeout() {
                    format!("no answer within {} s", config.timeout_secs)
                } else if e.is_connect() {
                    format!("cannot connect: {}", error_chain(&e))
                } else {
                    format!("request failed: {}", error_chain(&e))
                };
                return attempt(transient(error, None), None);
            }
        };
        let status = response.status();
        let retry_after = retry_after(response.headers(), Utc::now());
        let text = if status.is_success() {
            String::new()
        } else {
            // The body only for the history; a slow body does not matter.
            let body =
                tokio::time::timeout(Duration::from_secs(config.timeout_secs), response.bytes())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or_default();
            excerpt(&body)
        };
        let outcome = classify(status, retry_after, &text);
        attempt(outcome, Some(format!("HTTP {}", status.as_u16())))
    }
}

/// What an HTTP status means for the delivery (see the module's docs).
pub fn classify(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Outcome {
    let code = status.as_u16();
    let with_body = |what: String| if body.is_empty() { what } else { format!("{what}: {body}") };
    if status.is_success() {
        Outcome::Delivered { verified: false }
    } else if status.is_redirection() {
        transient(format!("HTTP {code}: redirect not followed"), retry_after)
    } else if status == StatusCode::GONE {
        Outcome::DisableDestination {
            error: with_body(format!("HTTP {code}: the endpoint asked to stop deliveries")),
        }
    } else if matches!(code, 408 | 425 | 429) || status.is_server_error() {
        transient(with_body(format!("HTTP {code}")), retry_after)
    } else {
        Outcome::Dead { error: with_body(format!("HTTP {code}")) }
    }
}

fn transient(error: String, retry_after: Option<Duration>) -> Outcome {
    Outcome::Retry { error, retry_after, class: RetryClass::Transient }
}

/// `Retry-After` as seconds or an HTTP date (a date in the past is zero).
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

/// The start of an answer's body, on one line, for the history.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(ERROR_BODY_MAX) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line,
    }
}

/// An error with its causes, which say what actually went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[async_trait]
impl Channel for WebhookChannel {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String> {
        WebhookConfig::parse(config)?;
        Keys::parse(secrets)?;
        Ok(())
    }

    /// Every event: which ones a destination wants is the outbox's filter.
    fn accepts(&self, _event: Event, _config: &Value) -> bool {
        true
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        self.send(job).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "secret");
        // That example secret is 24 bytes.
        let key = key.unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn classes_statuses() {
        let s = |c: u16| classify(StatusCode::from_u16(c).unwrap(), None, "");
        assert_eq!(s(204), Outcome::Delivered { verified: false });
        assert!(
            matches!(s(301), Outcome::Retry { ref error, .. } if error.contains("redirect not followed"))
        );
        assert!(matches!(s(410), Outcome::DisableDestination { .. }));
        assert!(matches!(s(429), Outcome::Retry { .. }));
        assert!(matches!(s(503), Outcome::Retry { .. }));
        assert!(matches!(s(400), Outcome::Dead { .. }));
        assert!(matches!(s(404), Outcome::Dead { .. }));
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap().to_utc();
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:30:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn refuses_bad_settings() {
        let cfg = |v: Value| WebhookConfig::parse(&v).map(|_| ());
        assert!(cfg(serde_json::json!({"url": "https://example.com/hook"})).is_ok());
        assert!(cfg(serde_json::json!({"url": "http://127.0.0.1:9/hook"})).is_ok());
        assert!(cfg(serde_json::json!({"url": "http://example.com/hook"})).is_err());
        assert!(
            cfg(serde_json::json!({"url": "http://example.com/hook", "allow_http": true})).is_ok()
        );
        assert!(cfg(serde_json::json!({"url": "ftp://example.com/"})).is_err());
        assert!(cfg(serde_json::json!({"url": "https://e.com/", "timeout_secs": 31})).is_err());
        assert!(Keys::parse(&serde_json::json!({"secret": "abc"})).is_err());
        assert!(Keys::parse(&serde_json::json!({"secret": "whsec_!!"})).is_err());
        assert!(Keys::parse(&serde_json::json!({"secret": generate_secret()})).is_ok());
        let err =
            Keys::parse(&serde_json::json!({"secret": "whsec_c2hvcnQ="})).err().unwrap_or_default();
        assert!(!err.contains("c2hvcnQ"), "{err}");
    }
}
