//! What the CRM channels ([`crate::amocrm`], [`crate::bitrix24`]) share:
//! reading a conversation as a CRM sees a call (direction, external phone,
//! duration, the main recording, the responsible user), the HTTP client
//! and answer classes, and the single-use OAuth2 refresh done once for
//! every node at once.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use callvault_model::{Direction, Recording, Side};
use callvault_store::ConversationDetail;
use chrono::Utc;
use reqwest::Url;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::{Value, json};

use crate::channel::{Attempt, Outcome, RetryClass, SecretStore};

/// How long a node may hold a destination's refresh lock.
/// Longer than a refresh request may take (the HTTP clients' timeouts), so
/// that the lock cannot lapse while its holder is still refreshing.
const REFRESH_LOCK_TTL: Duration = Duration::from_secs(120);
/// How long a node that found the lock taken waits before it looks at the
/// secrets again, and how many times.
const REFRESH_WAIT: Duration = Duration::from_millis(200);
const REFRESH_WAITS: u32 = 100;

/// A step that did not complete: the outcome to answer and the
/// destination's status as it said it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub outcome: Outcome,
    pub status: Option<String>,
}

impl Failure {
    pub fn retry(
        error: impl Into<String>,
        retry_after: Option<Duration>,
        status: Option<String>,
    ) -> Self {
        Failure {
            outcome: Outcome::Retry {
                error: error.into(),
                retry_after,
                class: RetryClass::Transient,
            },
            status,
        }
    }

    pub fn dead(error: impl Into<String>, status: Option<String>) -> Self {
        Failure { outcome: Outcome::Dead { error: error.into() }, status }
    }

    /// A request that got no answer (connect error, timeout, broken body).
    pub fn transport(what: &str, e: &reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "failed"
        };
        // reqwest's message names the URL, which for Bitrix24 webhooks holds
        // the secret code: say only what kind of failure it was.
        Failure::retry(format!("{what}: request {kind}"), None, None)
    }

    pub fn into_attempt(self, progress: Value) -> Attempt {
        Attempt { outcome: self.outcome, progress, status: self.status }
    }
}

/// An HTTP client for CRM APIs: rustls, no redirects (a redirect is a
/// misconfigured base URL, never followed with our token), a timeout.
pub(crate) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("callvault/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A base URL as configured: `https://`, or `http://` to a loopback host
/// (test servers, a local proxy). Returned without a trailing slash.
pub(crate) fn base_url(value: &str, key: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim()).map_err(|e| format!("{key}: not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(format!("{key}: must be https (http only for loopback hosts)")),
        other => return Err(format!("{key}: unsupported scheme {other:?}")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{key}: has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{key}: must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{key}: must not have a query or fragment"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&Utc) - Utc::now()).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// Internal numbers (extensions, the company number) → CRM user ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UserMap {
    pub users: HashMap<String, u64>,
    pub default_user_id: Option<u64>,
}

impl UserMap {
    /// The CRM user of a conversation: the first company-side participant
    /// whose address is mapped, then the company number, then the default.
    pub fn user_for(&self, conv: &ConversationDetail) -> Option<u64> {
        let mut parties: Vec<_> =
            conv.participants.iter().filter(|p| p.side == Side::Company).collect();
        parties.sort_by_key(|p| p.joined_at);
        parties
            .iter()
            .filter_map(|p| p.address.as_deref())
            .chain(conv.conversation.company_number.as_deref())
            .find_map(|a| self.users.get(a.trim()).copied())
            .or(self.default_user_id)
    }
}

/// The CRM's view of one conversation.
#[derive(Debug, Clone)]
pub(crate) struct CallFacts<'a> {
    pub inbound: bool,
    /// The external party's number as signalled.
    pub phone: String,
    pub duration_secs: u64,
    /// The longest recording, if any.
    pub main: Option<&'a Recording>,
    pub user_id: Option<u64>,
}

impl<'a> CallFacts<'a> {
    /// A conversation a CRM can log as a call, or why it cannot.
    pub fn of(conv: &'a ConversationDetail, users: &UserMap) -> Result<Self, String> {
        let c = &conv.conversation;
        let inbound = match c.direction {
            Direction::Inbound | Direction::Unknown => true,
            Direction::Outbound => false,
            Direction::Internal => return Err("an internal call has no external party".into()),
        };
        let phone = c
            .external_number
            .as_deref()
            .map(str::trim)
            .filter(|p| p.chars().any(|ch| ch.is_ascii_digit()))
            .ok_or_else(|| "the conversation has no external number".to_owned())?
            .to_owned();
        let main = conv.recordings.iter().map(|r| &r.recording).max_by_key(|r| r.duration_ms);
        let span = c.ended_at.map(|end| (end - c.started_at).num_seconds().max(0) as u64);
        let duration_secs = match (span, main) {
            (Some(s), _) if s > 0 => s,
            (_, Some(r)) => r.duration_ms.div_ceil(1000),
            _ => 0,
        };
        Ok(CallFacts { inbound, phone, duration_secs, main, user_id: users.user_for(conv) })
    }
}

/// The last 10 digits of a number (how CRMs match phones).
pub(crate) fn last10(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(10)..].iter().collect()
}

/// Why a refresh did not give a usable token.
#[derive(Debug)]
pub(crate) enum RefreshError {
    Retry(String),
    Dead(String),
}

impl From<RefreshError> for Failure {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Retry(m) => Failure::retry(m, None, None),
            RefreshError::Dead(m) => Failure::dead(m, None),
        }
    }
}

/// The access token stored in a secrets object.
pub(crate) fn access_token(secrets: &Value) -> Option<&str> {
    secrets.get("access_token").and_then(Value::as_str)
}

/// The secrets with a refreshed token pair, expiring `expires_in` seconds
/// from now.
pub(crate) fn with_tokens(current: &Value, access: &str, refresh: &str, expires_in: i64) -> Value {
    let mut new = current.clone();
    new["access_token"] = json!(access);
    new["refresh_token"] = json!(refresh);
    new["expires_at"] = json!(Utc::now().timestamp() + expires_in);
    new
}

/// `expires_at` (Unix seconds, or RFC 3339) has passed, with a margin.
pub(crate) fn expired(secrets: &Value, margin: Duration) -> bool {
    let at = match secrets.get("expires_at") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => {
            chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
        }
        _ => None,
    };
    at.is_some_and(|at| Utc::now().timestamp() + margin.as_secs() as i64 >= at)
}

/// Refreshes a destination's OAuth2 tokens once for every node at once.
///
/// A refresh token can be used once: two nodes refreshing together would
/// leave one of them, and soon the destination, with a revoked token. So
/// the node that takes the destination's refresh lock loads the secrets
/// again (another node may have refreshed already: then their tokens are
/// used), refreshes, and stores the new pair *before* using it; a node
/// that finds the lock taken waits and loads what the other stored.
/// `stale_access` is the access token found expired or refused.
/// `refresh` turns the current secrets into the new ones.
pub(crate) async fn refresh_once<F, Fut>(
    store: &dyn SecretStore,
    stale_access: &str,
    refresh: F,
) -> Result<Value, RefreshError>
where
    F: FnOnce(Value) -> Fut,
    Fut: Future<Output = Result<Value, RefreshError>>,
{
    let store_err = |e: crate::channel::SecretError| RefreshError::Retry(e.to_string());
    let mut refresh = Some(refresh);
    for _ in 0..REFRESH_WAITS {
        if store.lock(REFRESH_LOCK_TTL).await.map_err(store_err)? {
            let result = async {
                let current = store.load().await.map_err(store_err)?;
                if access_token(&current).is_some_and(|t| t != stale_access) {
                    return Ok(current);
                }
                let Some(refresh) = refresh.take() else {
                    return Err(RefreshError::Retry("token refresh already attempted".into()));
                };
                let new = refresh(current.clone()).await?;
                if store.replace(&current, &new).await.map_err(store_err)? {
                    return Ok(new);
                }
                // The secrets were edited meanwhile (through the API): keep
                // the edit, but never lose the pair just issued.
                let edited = store.load().await.map_err(store_err)?;
                let mut merged = edited.clone();
                if let (Some(m), Some(n)) = (merged.as_object_mut(), new.as_object()) {
                    for key in ["access_token", "refresh_token", "expires_at"] {
                        if let Some(v) = n.get(key) {
                            m.insert(key.to_owned(), v.clone());
                        }
                    }
                }
                if store.replace(&edited, &merged).await.map_err(store_err)? {
                    Ok(merged)
                } else {
                    Err(RefreshError::Retry(
                        "destination secrets kept changing during a token refresh".into(),
                    ))
                }
            }
            .await;
            if let Err(e) = store.unlock().await {
                tracing::warn!(error = %e, "could not release the token refresh lock");
            }
            return result;
        }
        tokio::time::sleep(REFRESH_WAIT).await;
        let current = store.load().await.map_err(store_err)?;
        if access_token(&current).is_some_and(|t| t != stale_access) {
            return Ok(current);
        }
    }
    Err(RefreshError::Retry("another node holds the token refresh lock".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        assert!(base_url("https://acme.amocrm.ru", "base_url").is_ok());
        assert!(base_url("http://127.0.0.1:8080", "base_url").is_ok());
        assert!(base_url("http://localhost:8080/", "base_url").is_ok());
        assert!(base_url("http://acme.amocrm.ru", "base_url").unwrap_err().contains("https"));
        assert!(base_url("ftp://acme", "base_url").is_err());
        assert!(base_url("https://u:p@acme.amocrm.ru", "base_url").is_err());
        assert!(base_url("acme.amocrm.ru", "base_url").is_err());
    }

    #[test]
    fn last_ten_digits() {
        assert_eq!(last10("+7 (916) 123-45-67"), "9161234567");
        assert_eq!(last10("201"), "201");
    }
}
