//! Bitrix24 (kind `bitrix24`): a conversation becomes an external call in
//! the portal's telephony, with its CRM activity and recording.
//!
//! ```text
//! telephony.externalcall.register  (EXTERNAL_CALL_ID = conversation id) ─► progress {call_id}
//! telephony.externalcall.finish    (CALL_ID, USER_ID, DURATION, STATUS_CODE) ─► progress {finished}
//! telephony.externalCall.attachRecord (FILENAME + FILE_CONTENT base64 MP3,
//!     or FILENAME alone above `inline_max_bytes` and the file POSTed to the
//!     answer's uploadUrl)                                               ─► progress {record}
//! ```
//!
//! Each step is checkpointed when it completes; a retry resumes at the
//! step that failed and never registers the call twice (and a register
//! whose answer was lost is safe to repeat: Bitrix24 answers the same
//! CALL_ID for the same `EXTERNAL_CALL_ID` within 30 minutes).
//!
//! Two ways in: an inbound webhook (`webhook_url`, the code in the URL) or
//! an OAuth application (`portal_url` and tokens in the secrets, refreshed
//! through `oauth_url` once for every node at once, see
//! `crm::refresh_once`). Bitrix24 documents register and finish
//! as application-only: a webhook may be answered `WRONG_AUTH_TYPE`, which
//! is reported as such. Every request goes through the portal's token
//! bucket ([`crate::ratelimit`]; Bitrix24 allows 2 requests a second with a
//! burst).
//!
//! `conversation.updated` is not accepted: replacing the record needs the
//! CALL_ID of the settled delivery, which Bitrix24 gives no way to find by
//! `EXTERNAL_CALL_ID` after 30 minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::channel::{Attempt, Channel, DeliveryFormat, Event, Job, MediaError, Outcome};
use crate::crm::{self, CallFacts, Failure, RefreshError, UserMap};
use crate::ratelimit;

const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Records up to this size go inline (base64 in the JSON body).
const INLINE_MAX_BYTES: u64 = 5 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    portal_url: Option<String>,
    #[serde(default)]
    oauth_url: Option<String>,
    #[serde(default)]
    crm_create: Option<bool>,
    #[serde(default)]
    show: Option<u8>,
    #[serde(default)]
    users: HashMap<String, u64>,
    #[serde(default)]
    default_user_id: Option<u64>,
    /// Requests a second to this portal (Bitrix24 allows 2).
    #[serde(default)]
    requests_per_sec: Option<f64>,
    /// Requests saved up for a burst (Bitrix24's bucket holds 50, shared
    /// with every other application of the portal).
    #[serde(default)]
    burst: Option<u32>,
    #[serde(default)]
    inline_max_bytes: Option<u64>,
}

#[derive(Debug, Clone)]
enum Access {
    /// `https://portal/rest/USER/CODE/`: the method goes after it.
    Webhook(Url),
    /// `https://portal`: `/rest/METHOD.json` with `auth` in the body.
    App { portal: Url, oauth: Url },
}

#[derive(Debug, Clone)]
struct Config {
    access: Access,
    /// The portal (scheme, host, port): the rate limit's key.
    account: String,
    crm_create: bool,
    show: u8,
    users: UserMap,
    requests_per_sec: f64,
    burst: u32,
    inline_max_bytes: u64,
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl Config {
    fn parse(config: &Value) -> Result<Config, String> {
        let raw: RawConfig =
            serde_json::from_value(config.clone()).map_err(|e| format!("bitrix24 config: {e}"))?;
        let access = match (&raw.webhook_url, &raw.portal_url) {
            (Some(w), None) => {
                let mut url = crm::base_url(w, "webhook_url")?;
                if !url.path().starts_with("/rest/")
                    || url.path().trim_matches('/').split('/').count() != 3
                {
                    return Err("webhook_url: expected https://PORTAL/rest/USER_ID/CODE/".into());
                }
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Access::Webhook(url)
            }
            (None, Some(p)) => {
                let portal = crm::base_url(p, "portal_url")?;
                let oauth = crm::base_url(
                    raw.oauth_url.as_deref().unwrap_or("https://oauth.bitrix.info"),
                    "oauth_url",
                )?;
                Access::App { portal, oauth }
            }
            (Some(_), Some(_)) => {
                return Err("give either webhook_url or portal_url, not both".into());
            }
            (None, None) => return Err("webhook_url or portal_url is required".into()),
        };
        let account = match &access {
            Access::Webhook(u) => origin(u),
            Access::App { portal, .. } => origin(portal),
        };
        let rate = raw.requests_per_sec.unwrap_or(2.0);
        if !(rate > 0.0 && rate <= 2.0) {
            return Err("requests_per_sec: must be above 0 and at most 2 (Bitrix24's limit)".into());
        }
        let burst = raw.burst.unwrap_or(10);
        if !(1..=50).contains(&burst) {
            return Err("burst: must be 1 to 50".into());
        }
        if raw.show.is_some_and(|s| s > 1) {
            return Err("show: must be 0 or 1".into());
        }
        Ok(Config {
            access,
            account,
            crm_create: raw.crm_create.unwrap_or(true),
            show: raw.show.unwrap_or(0),
            users: UserMap { users: raw.users, default_user_id: raw.default_user_id },
            requests_per_sec: rate,
            burst,
            inline_max_bytes: raw.inline_max_bytes.unwrap_or(INLINE_MAX_BYTES),
        })
    }
}

fn check_secrets(cfg: &Config, secrets: &Value) -> Result<(), String> {
    if let Access::App { .. } = cfg.access {
        for key in ["client_id", "client_secret", "access_token", "refresh_token"] {
            if secrets.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(format!("secrets: {key} is required for an OAuth application"));
            }
        }
    }
    Ok(())
}

/// What earlier attempts of one delivery completed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Progress {
    call_id: Option<String>,
    finished: bool,
    record: bool,
}

impl Progress {
    fn from_value(v: &Value) -> Progress {
        Progress {
            call_id: v.get("call_id").and_then(Value::as_str).map(str::to_owned),
            finished: v.get("finished").and_then(Value::as_bool).unwrap_or(false),
            record: v.get("record").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    fn to_value(&self) -> Value {
        json!({ "call_id": self.call_id, "finished": self.finished, "record": self.record })
    }
}

/// The Bitrix24 channel. One per process: it caches each destination's
/// access token (OAuth applications).
pub struct Bitrix24Channel {
    client: reqwest::Client,
    tokens: Mutex<HashMap<Uuid, Value>>,
}

impl Default for Bitrix24Channel {
    fn default() -> Self {
        Self::new()
    }
}

impl Bitrix24Channel {
    pub fn new() -> Self {
        Bitrix24Channel {
            client: crm::http_client(Duration::from_secs(60)),
            tokens: Mutex::default(),
        }
    }

    fn cache(&self, dest: Uuid, secrets: Option<Value>) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match secrets {
            Some(s) => map.insert(dest, s),
            None => map.remove(&dest),
        };
    }

    async fn token(&self, job: &Job, cfg: &Config) -> Result<String, Failure> {
        let cached =
            self.tokens.lock().unwrap_or_else(|p| p.into_inner()).get(&job.destination.id).cloned();
        if let Some(s) = cached.filter(|s| !crm::expired(s, EXPIRY_MARGIN)) {
            return Ok(crm::access_token(&s).unwrap_or_default().to_owned());
        }
        let secrets =
            job.secrets.load().await.map_err(|e| Failure::retry(e.to_string(), None, None))?;
        check_secrets(cfg, &secrets).map_err(|e| Failure::dead(e, None))?;
        let secrets = if crm::expired(&secrets, EXPIRY_MARGIN) {
            let stale = crm::access_token(&secrets).unwrap_or_default().to_owned();
            self.refresh(job, cfg, &stale).await?
        } else {
            secrets
        };
        let token = crm::access_token(&secrets).unwrap_or_default().to_owned();
        self.cache(job.destination.id, Some(secrets));
        Ok(token)
    }

    async fn refresh(&self, job: &Job, cfg: &Config, stale: &str) -> Result<Value, Failure> {
        let Access::App { oauth, .. } = &cfg.access else {
            return Err(Failure::dead("authorization: a webhook has no token to refresh", None));
        };
        let client = &self.client;
        let url = format!("{}/oauth/token/", oauth.as_str().trim_end_matches('/'));
        let new = crm::refresh_once(job.secrets.as_ref(), stale, |current| async move {
            let s = |k: &str| current.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let query = [
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", s("client_id")),
                ("client_secret", s("client_secret")),
                ("refresh_token", s("refresh_token")),
            ];
            let resp = client.get(&url).query(&query).send().await.map_err(|e| {
                RefreshError::Retry(format!("token refresh: request {}", if e.is_timeout() { "timed out" } else { "failed" }))
            })?;
            let status = resp.status();
            let answer: Value = resp.json().await.unwrap_or(Value::Null);
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                return Err(RefreshError::Retry(format!("token refresh: HTTP {}", status.as_u16())));
            }
            let (Some(access), Some(refresh)) = (
                answer.get("access_token").and_then(Value::as_str),
                answer.get("refresh_token").and_then(Value::as_str),
            ) else {
                let why = answer.get("error_description").or_else(|| answer.get("error")).and_then(Value::as_str);
                return Err(RefreshError::Dead(format!(
                    "authorization: the refresh token was refused (HTTP {}: {}); install the application again",
                    status.as_u16(),
                    why.unwrap_or("no tokens in the answer")
                )));
            };
            let expires_in = answer.get("expires_in").and_then(Value::as_i64).unwrap_or(3600);
            Ok(crm::with_tokens(&current, access, refresh, expires_in))
        })
        .await
        .map_err(Failure::from)?;
        tracing::info!(destination = %job.destination.id, "bitrix24 access token refreshed");
        Ok(new)
    }

    /// Calls one REST method; its `result`, or the failure.
    async fn call(
        &self,
        job: &Job,
        cfg: &Config,
        method: &str,
        params: &Value,
    ) -> Result<Value, Failure> {
        let limiter = ratelimit::limiter(&cfg.account, cfg.requests_per_sec, cfg.burst);
        let mut refreshed = false;
        loop {
            let (url, body) = match &cfg.access {
                Access::Webhook(base) => {
                    (format!("{}{method}.json", base.as_str()), params.clone())
                }
                Access::App { portal, .. } => {
                    let token = self.token(job, cfg).await?;
                    let mut body = params.clone();
                    body["auth"] = json!(token);
                    (format!("{}/rest/{method}.json", portal.as_str().trim_end_matches('/')), body)
                }
            };
            limiter.acquire().await;
            let resp = self
                .client
                .post(&url)
                .json(&body)
                .send()
                .await
                .map_err(|e| Failure::transport(method, &e))?;
            let status = resp.status();
            let code = Some(format!("HTTP {}", status.as_u16()));
            let after = crm::retry_after(resp.headers());
            let text = resp.text().await.map_err(|e| Failure::transport(method, &e))?;
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let error = answer.get("error").and_then(Value::as_str);
            if status.is_success() && error.is_none() {
                return answer.get("result").cloned().ok_or_else(|| {
                    Failure::retry(format!("{method}: answer without a result"), None, code)
                });
            }
            let description = answer.get("error_description").and_then(Value::as_str).unwrap_or("");
            let status_text = match error {
                Some(e) => Some(format!("HTTP {} {e}", status.as_u16())),
                None => code,
            };
            return Err(match error.unwrap_or("") {
                "QUERY_LIMIT_EXCEEDED" | "OPERATION_TIME_LIMIT" => Failure::retry(
                    format!("{method}: the portal's request limit was exceeded"),
                    after,
                    status_text,
                ),
                "expired_token" if !refreshed && matches!(cfg.access, Access::App { .. }) => {
                    refreshed = true;
                    self.cache(job.destination.id, None);
                    let stale =
                        body.get("auth").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let new = self.refresh(job, cfg, &stale).await?;
                    self.cache(job.destination.id, Some(new));
                    continue;
                }
                "WRONG_AUTH_TYPE" => Failure::dead(
                    format!(
                        "{method}: Bitrix24 refused this method through an inbound webhook (WRONG_AUTH_TYPE); \
                         register and finish work only for an application: configure portal_url with an OAuth \
                         application's client_id, client_secret, access_token and refresh_token"
                    ),
                    status_text,
                ),
                "expired_token"
                | "invalid_token"
                | "NO_AUTH_FOUND"
                | "INVALID_CREDENTIALS"
                | "invalid_client" => Failure::dead(
                    format!("authorization: {method}: {}", error.unwrap_or("")),
                    status_text,
                ),
                "insufficient_scope" | "ACCESS_DENIED" => Failure::dead(
                    format!(
                        "{method}: access denied (the telephony scope is needed): {description}"
                    ),
                    status_text,
                ),
                _ if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                    let what = error
                        .map(|e| format!("{e} {description}"))
                        .unwrap_or_else(|| "server error".into());
                    Failure::retry(format!("{method}: {}", what.trim()), after, status_text)
                }
                "" if status == StatusCode::UNAUTHORIZED => {
                    Failure::dead(format!("authorization: {method}: refused"), status_text)
                }
                e => {
                    let what = if e.is_empty() { "unexpected answer" } else { e };
                    Failure::dead(
                        format!("{method}: {what}: {description}")
                            .trim_end_matches(": ")
                            .to_owned(),
                        status_text,
                    )
                }
            });
        }
    }

    async fn checkpoint(&self, job: &Job, progress: &Progress) -> Result<(), Failure> {
        job.checkpoint
            .save(&progress.to_value())
            .await
            .map_err(|e| Failure::retry(e.to_string(), None, None))
    }

    async fn deliver_conversation(
        &self,
        job: &Job,
        cfg: &Config,
        progress: &mut Progress,
    ) -> Result<Outcome, Failure> {
        let Some(conv) = job.conversation() else {
            return Err(Failure::dead("no conversation to deliver", None));
        };
        let facts = match CallFacts::of(conv, &cfg.users) {
            Ok(f) => f,
            Err(why) => return Ok(Outcome::NoMatch { error: why }),
        };
        let Some(user) = facts.user_id else {
            return Err(Failure::dead(
                "no Bitrix24 user for this call: map its extension in users or set default_user_id",
                None,
            ));
        };
        let conversation_id = conv.conversation.id.to_string();
        let call_id = match progress.call_id.clone() {
            Some(id) => id,
            None => {
                let params = json!({
                    "USER_ID": user,
                    "PHONE_NUMBER": facts.phone,
                    "TYPE": if facts.inbound { 2 } else { 1 },
                    "CALL_START_DATE": conv.conversation.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    "CRM_CREATE": u8::from(cfg.crm_create),
                    "SHOW": cfg.show,
                    "EXTERNAL_CALL_ID": conversation_id,
                });
                let result =
                    self.call(job, cfg, "telephony.externalcall.register", &params).await?;
                let id = result.get("CALL_ID").and_then(Value::as_str).filter(|s| !s.is_empty());
                let id = id
                    .ok_or_else(|| Failure::retry("register: answer without CALL_ID", None, None))?
                    .to_owned();
                progress.call_id = Some(id.clone());
                self.checkpoint(job, progress).await?;
                id
            }
        };
        if !progress.finished {
            let answered = facts.main.is_some() || facts.duration_secs > 0;
            let params = json!({
                "CALL_ID": call_id,
                "USER_ID": user,
                "DURATION": facts.duration_secs,
                "STATUS_CODE": if answered { "200" } else { "304" },
            });
            self.call(job, cfg, "telephony.externalcall.finish", &params).await?;
            progress.finished = true;
            self.checkpoint(job, progress).await?;
        }
        if let Some(rec) = facts.main
            && !progress.record
        {
            let audio = job.media.audio(rec, DeliveryFormat::Mp3).await.map_err(|e| match e {
                MediaError::Unavailable(m) => Failure::retry(format!("audio: {m}"), None, None),
                MediaError::Unconvertible(m) => Failure::dead(format!("audio: {m}"), None),
            })?;
            let filename = format!("{conversation_id}.mp3");
            if audio.bytes.len() as u64 <= cfg.inline_max_bytes {
                let params = json!({
                    "CALL_ID": call_id,
                    "FILENAME": filename,
                    "FILE_CONTENT": base64::engine::general_purpose::STANDARD.encode(&audio.bytes),
                });
                self.call(job, cfg, "telephony.externalCall.attachRecord", &params).await?;
            } else {
                let params = json!({ "CALL_ID": call_id, "FILENAME": filename });
                let result =
                    self.call(job, cfg, "telephony.externalCall.attachRecord", &params).await?;
                let upload = result.get("uploadUrl").and_then(Value::as_str);
                let upload = upload.ok_or_else(|| {
                    Failure::retry("attachRecord: answer without uploadUrl", None, None)
                })?;
                self.upload(cfg, upload, &filename, audio.bytes.to_vec()).await?;
            }
            progress.record = true;
            self.checkpoint(job, progress).await?;
        }
        Ok(Outcome::Delivered { verified: false })
    }

    /// Uploads a record to the uploadUrl attachRecord gave (a multipart
    /// POST with the file in the `file` field, as Bitrix24's upload URLs
    /// take it).
    async fn upload(
        &self,
        cfg: &Config,
        url: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<(), Failure> {
        let url = Url::parse(url)
            .map_err(|_| Failure::retry("attachRecord: uploadUrl is not a URL", None, None))?;
        if origin(&url) != cfg.account {
            return Err(Failure::dead("attachRecord: uploadUrl points outside the portal", None));
        }
        let boundary = format!("callvault-{}", Uuid::new_v4().simple());
        let mut body = Vec::with_capacity(bytes.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: audio/mpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        ratelimit::limiter(&cfg.account, cfg.requests_per_sec, cfg.burst).acquire().await;
        let resp = self
            .client
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::transport("record upload", &e))?;
        let status = resp.status();
        let code = Some(format!("HTTP {}", status.as_u16()));
        let after = crm::retry_after(resp.headers());
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() && answer.get("error").is_none() {
            return Ok(());
        }
        let error = answer.get("error").and_then(Value::as_str).unwrap_or("refused");
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::retry(format!("record upload: {error}"), after, code))
        } else {
            Err(Failure::dead(format!("record upload: {error}"), code))
        }
    }
}

/// An inbound webhook URL carries its secret code in the path: it belongs
/// in the destination's secrets (`secrets.webhook_url`), which no answer
/// returns and the audit log never records. One in `config` still works.
fn with_secret_webhook(config: &Value, secrets: &Value) -> Value {
    match secrets.get("webhook_url") {
        Some(url) if config.get("webhook_url").is_none() => {
            let mut merged = config.clone();
            if let Value::Object(map) = &mut merged {
                map.insert("webhook_url".into(), url.clone());
            } else {
                merged = json!({ "webhook_url": url });
            }
            merged
        }
        _ => config.clone(),
    }
}

#[async_trait]
impl Channel for Bitrix24Channel {
    fn kind(&self) -> &'static str {
        "bitrix24"
    }

    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String> {
        let cfg = Config::parse(&with_secret_webhook(config, secrets))?;
        check_secrets(&cfg, secrets)
    }

    fn accepts(&self, event: Event, _config: &Value) -> bool {
        matches!(event, Event::ConversationSettled | Event::Test)
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        let config = with_secret_webhook(&job.destination.config, &job.destination.secrets);
        let cfg = match Config::parse(&config) {
            Ok(c) => c,
            Err(e) => return Failure::dead(e, None).into_attempt(job.progress.clone()),
        };
        match job.event {
            // The telephony scope is what the deliveries need: list the
            // portal's external lines with it.
            Event::Test => {
                match self.call(job, &cfg, "telephony.externalLine.get", &json!({})).await {
                    Ok(_) => Attempt {
                        outcome: Outcome::Delivered { verified: false },
                        progress: job.progress.clone(),
                        status: Some("HTTP 200".into()),
                    },
                    Err(f) => f.into_attempt(job.progress.clone()),
                }
            }
            Event::ConversationSettled => {
                let mut progress = Progress::from_value(&job.progress);
                let result = self.deliver_conversation(job, &cfg, &mut progress).await;
                let progress = if job.progress.is_null() && progress == Progress::default() {
                    Value::Null
                } else {
                    progress.to_value()
                };
                match result {
                    Ok(outcome) => Attempt { outcome, progress, status: None },
                    Err(f) => f.into_attempt(progress),
                }
            }
            other => Failure::dead(format!("bitrix24 does not deliver {}", other.as_str()), None)
                .into_attempt(job.progress.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_needs_one_way_in() {
        let c = Config::parse(&json!({ "webhook_url": "https://acme.bitrix24.ru/rest/1/abc" }))
            .unwrap();
        assert!(
            matches!(&c.access, Access::Webhook(u) if u.as_str() == "https://acme.bitrix24.ru/rest/1/abc/")
        );
        assert_eq!(c.account, "https://acme.bitrix24.ru");
        assert!(c.crm_create);
        assert_eq!(c.show, 0);
        assert!(Config::parse(&json!({})).is_err());
        // The webhook URL (its code is a secret) may live in the secrets.
        let secret = json!({ "webhook_url": "https://acme.bitrix24.ru/rest/1/abc/" });
        let merged = with_secret_webhook(&json!({ "users": {} }), &secret);
        assert!(Config::parse(&merged).is_ok());
        assert_eq!(with_secret_webhook(&json!({}), &json!({})), json!({}));
        assert!(
            Config::parse(&json!({ "webhook_url": "https://acme.bitrix24.ru/1/abc/" })).is_err()
        );
        let both = json!({ "webhook_url": "https://a.bitrix24.ru/rest/1/x/", "portal_url": "https://a.bitrix24.ru" });
        assert!(Config::parse(&both).is_err());
        let app = Config::parse(&json!({ "portal_url": "https://acme.bitrix24.ru" })).unwrap();
        assert!(
            check_secrets(&app, &json!({ "access_token": "a" })).unwrap_err().contains("client_id")
        );
    }

    #[test]
    fn progress_round_trips() {
        let p = Progress { call_id: Some("externalCall.1".into()), finished: true, record: false };
        assert_eq!(Progress::from_value(&p.to_value()), p);
        assert_eq!(Progress::from_value(&Value::Null), Progress::default());
    }
}
