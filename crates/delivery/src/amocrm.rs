//! amoCRM / Kommo (kind `amocrm`): a conversation becomes a call note on
//! the lead, customer, contact or company with the external number.
//!
//! ```text
//! POST /api/v4/calls [one call, uniq = conversation id]
//!    ├─ attached: _embedded.calls[0] names the entity ──► progress {posted, entity} (checkpoint)
//!    └─ not attached (no card has that number): no_match
//!         report          ──► NoMatch
//!         create_contact  ──► POST /api/v4/contacts        ─► progress {contact} ─► POST calls again
//!         create_lead     ──► POST /api/v4/leads/complex   ─► progress {lead}    ─► POST calls again
//! GET /api/v4/{entity}/{id}/notes?filter[note_type]=call_in|call_out
//!    └─ a note with params.uniq = conversation id ──► Delivered { verified: true }
//!       none yet ──► Retry (short), progress kept: the retry only reads again
//! ```
//!
//! amoCRM has no idempotency key for calls: a second POST makes a second
//! note. The channel therefore saves `post_started` before it posts; a
//! retry that finds it (the answer was lost) first looks for the note by
//! its `uniq` on the cards with that number and posts only if it is not
//! there. `conversation.updated` looks for the note the same way and
//! updates its recording link (notes can be edited, calls cannot).
//!
//! Every request goes through the account's token bucket
//! ([`crate::ratelimit`], 7 requests a second by default). OAuth2 refresh
//! tokens are single-use: see `crm::refresh_once`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::channel::{Attempt, Channel, DeliveryFormat, Event, Job, Outcome};
use crate::crm::{self, CallFacts, Failure, RefreshError, UserMap};
use crate::ratelimit;

/// Refresh an access token this long before it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Notes pages read when looking for a call note (newest first).
const NOTE_PAGES: u32 = 4;

/// What to do with a call no card has the number of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoMatch {
    /// Create a contact with the number, then log the call on it.
    CreateContact,
    /// Create a lead with a contact with the number, then log the call.
    CreateLead,
    /// Answer [`Outcome::NoMatch`].
    #[default]
    Report,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    no_match: NoMatch,
    #[serde(default)]
    call_result: Option<String>,
    #[serde(default)]
    users: HashMap<String, u64>,
    #[serde(default)]
    default_user_id: Option<u64>,
    /// Requests a second to this account (amoCRM allows 7).
    #[serde(default)]
    requests_per_sec: Option<f64>,
    /// How long to wait before reading a call note back again.
    #[serde(default)]
    readback_retry_secs: Option<u64>,
    #[serde(default)]
    timeout_secs: Option<u64>,
}

#[derive(Debug, Clone)]
struct Config {
    /// The account key of the rate limit and token cache.
    account: String,
    source: String,
    no_match: NoMatch,
    call_result: Option<String>,
    users: UserMap,
    requests_per_sec: f64,
    readback_retry: Duration,
}

impl Config {
    fn parse(config: &Value) -> Result<Config, String> {
        let raw: RawConfig =
            serde_json::from_value(config.clone()).map_err(|e| format!("amocrm config: {e}"))?;
        let base = crm::base_url(&raw.base_url, "base_url")?;
        let source = raw.source.unwrap_or_else(|| "callvault".to_owned());
        if source.trim().is_empty() {
            return Err("source: must not be empty".into());
        }
        let rate = raw.requests_per_sec.unwrap_or(7.0);
        if !(rate > 0.0 && rate <= 7.0) {
            return Err("requests_per_sec: must be above 0 and at most 7 (amoCRM's limit)".into());
        }
        if raw.timeout_secs == Some(0) {
            return Err("timeout_secs: must be at least 1".into());
        }
        let account = base.as_str().trim_end_matches('/').to_owned();
        Ok(Config {
            account,
            source,
            no_match: raw.no_match,
            call_result: raw.call_result.filter(|t| !t.trim().is_empty()),
            users: UserMap { users: raw.users, default_user_id: raw.default_user_id },
            requests_per_sec: rate,
            readback_retry: Duration::from_secs(raw.readback_retry_secs.unwrap_or(10)),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.account, path)
    }
}

/// How the channel authenticates, from the destination's secrets.
#[derive(Debug, Clone, PartialEq)]
enum AuthKind {
    /// A long-lived token: nothing to refresh.
    LongLived,
    /// OAuth2 with a single-use refresh token.
    OAuth,
}

fn auth_kind(secrets: &Value) -> Result<AuthKind, String> {
    let s = |k: &str| secrets.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    if s("access_token").is_none() {
        return Err("secrets: access_token is required".into());
    }
    if secrets.get("refresh_token").is_none() {
        return Ok(AuthKind::LongLived);
    }
    for key in ["refresh_token", "client_id", "client_secret", "redirect_uri"] {
        if s(key).is_none() {
            return Err(format!("secrets: {key} is required with a refresh_token"));
        }
    }
    Ok(AuthKind::OAuth)
}

/// What earlier attempts of one delivery completed.
#[derive(Debug, Clone, Default, PartialEq)]
struct Progress {
    /// A POST of the call was (maybe) sent.
    post_started: bool,
    /// The call is attached to this card (`leads`, `contacts`, ...).
    entity: Option<(String, u64)>,
    /// A contact or lead this delivery created (never created twice).
    contact: Option<u64>,
    lead: Option<u64>,
}

impl Progress {
    fn from_value(v: &Value) -> Progress {
        let entity = v
            .get("entity")
            .and_then(|e| Some((e.get("type")?.as_str()?.to_owned(), e.get("id")?.as_u64()?)));
        Progress {
            post_started: v.get("post_started").and_then(Value::as_bool).unwrap_or(false),
            entity,
            contact: v.get("contact").and_then(Value::as_u64),
            lead: v.get("lead").and_then(Value::as_u64),
        }
    }

    fn to_value(&self) -> Value {
        let mut v = json!({ "post_started": self.post_started, "posted": self.entity.is_some() });
        if let Some((t, id)) = &self.entity {
            v["entity"] = json!({ "type": t, "id": id });
        }
        if let Some(c) = self.contact {
            v["contact"] = json!(c);
        }
        if let Some(l) = self.lead {
            v["lead"] = json!(l);
        }
        v
    }
}

/// The plural path segment of an entity type as the API names it.
fn entity_path(t: &str) -> Option<&'static str> {
    match t {
        "lead" | "leads" => Some("leads"),
        "contact" | "contacts" => Some("contacts"),
        "company" | "companies" => Some("companies"),
        "customer" | "customers" => Some("customers"),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct CachedToken {
    access_token: String,
    /// Whether `expires_at` (if any) has passed, checked on use.
    secrets: Value,
}

/// The amoCRM / Kommo channel. One per process: it caches each
/// destination's access token.
pub struct AmoCrmChannel {
    client: reqwest::Client,
    tokens: Mutex<HashMap<Uuid, CachedToken>>,
}

impl Default for AmoCrmChannel {
    fn default() -> Self {
        Self::new()
    }
}

impl AmoCrmChannel {
    pub fn new() -> Self {
        AmoCrmChannel {
            client: crm::http_client(Duration::from_secs(30)),
            tokens: Mutex::default(),
        }
    }

    fn cached(&self, dest: Uuid) -> Option<CachedToken> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).get(&dest).cloned()
    }

    fn cache(&self, dest: Uuid, secrets: Value) {
        let Some(t) = crm::access_token(&secrets) else { return };
        let token = CachedToken { access_token: t.to_owned(), secrets };
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).insert(dest, token);
    }

    fn forget(&self, dest: Uuid) {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).remove(&dest);
    }

    /// A usable access token: cached, else as stored, refreshed first when
    /// it has expired.
    async fn token(&self, job: &Job, cfg: &Config) -> Result<String, Failure> {
        if let Some(c) = self.cached(job.destination.id)
            && !crm::expired(&c.secrets, EXPIRY_MARGIN)
        {
            return Ok(c.access_token);
        }
        let secrets =
            job.secrets.load().await.map_err(|e| Failure::retry(e.to_string(), None, None))?;
        let kind = auth_kind(&secrets).map_err(|e| Failure::dead(e, None))?;
        let secrets = if kind == AuthKind::OAuth && crm::expired(&secrets, EXPIRY_MARGIN) {
            let stale = crm::access_token(&secrets).unwrap_or_default().to_owned();
            self.refresh(job, cfg, &stale).await?
        } else {
            secrets
        };
        let token = crm::access_token(&secrets).unwrap_or_default().to_owned();
        self.cache(job.destination.id, secrets);
        Ok(token)
    }

    /// Refreshes the destination's tokens (once for every node at once).
    async fn refresh(&self, job: &Job, cfg: &Config, stale: &str) -> Result<Value, Failure> {
        let client = &self.client;
        let limiter = ratelimit::limiter(&cfg.account, cfg.requests_per_sec, 1);
        let url = cfg.url("/oauth2/access_token");
        let new = crm::refresh_once(job.secrets.as_ref(), stale, |current| async move {
            let s = |k: &str| current.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            if current.get("refresh_token").is_none() {
                return Err(RefreshError::Dead("authorization: the access token was refused and there is no refresh_token".into()));
            }
            let body = json!({
                "client_id": s("client_id"),
                "client_secret": s("client_secret"),
                "grant_type": "refresh_token",
                "refresh_token": s("refresh_token"),
                "redirect_uri": s("redirect_uri"),
            });
            limiter.acquire().await;
            let resp = client.post(&url).json(&body).send().await.map_err(|e| {
                RefreshError::Retry(format!("token refresh: request {}", if e.is_timeout() { "timed out" } else { "failed" }))
            })?;
            let status = resp.status();
            let answer: Value = resp.json().await.unwrap_or(Value::Null);
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                return Err(RefreshError::Retry(format!("token refresh: HTTP {}", status.as_u16())));
            }
            if !status.is_success() {
                let why = answer.get("hint").or_else(|| answer.get("detail")).or_else(|| answer.get("title"));
                let why = why.and_then(Value::as_str).unwrap_or("refused");
                return Err(RefreshError::Dead(format!(
                    "authorization: the refresh token was refused (HTTP {}: {why}); authorize the integration again",
                    status.as_u16()
                )));
            }
            let (Some(access), Some(refresh)) = (
                answer.get("access_token").and_then(Value::as_str),
                answer.get("refresh_token").and_then(Value::as_str),
            ) else {
                return Err(RefreshError::Retry("token refresh: answer without tokens".into()));
            };
            let expires_in = answer.get("expires_in").and_then(Value::as_i64).unwrap_or(86_400);
            Ok(crm::with_tokens(&current, access, refresh, expires_in))
        })
        .await
        .map_err(Failure::from)?;
        tracing::info!(destination = %job.destination.id, "amocrm access token refreshed");
        Ok(new)
    }

    /// One API request, rate limited, with one refresh on a 401. Answers
    /// the JSON body of a 2xx (`Null` for 204) or the failure.
    async fn request(
        &self,
        job: &Job,
        cfg: &Config,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let limiter = ratelimit::limiter(&cfg.account, cfg.requests_per_sec, 1);
        let what = path_and_query.split('?').next().unwrap_or(path_and_query).to_owned();
        let mut refreshed = false;
        loop {
            let token = self.token(job, cfg).await?;
            limiter.acquire().await;
            let mut req =
                self.client.request(method.clone(), cfg.url(path_and_query)).bearer_auth(&token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(|e| Failure::transport(&what, &e))?;
            let status = resp.status();
            let code = Some(format!("HTTP {}", status.as_u16()));
            let after = crm::retry_after(resp.headers());
            if status == StatusCode::UNAUTHORIZED {
                self.forget(job.destination.id);
                let secrets = job
                    .secrets
                    .load()
                    .await
                    .map_err(|e| Failure::retry(e.to_string(), None, None))?;
                if refreshed || auth_kind(&secrets).ok() != Some(AuthKind::OAuth) {
                    return Err(Failure::dead(
                        "authorization: amoCRM refused the access token",
                        code,
                    ));
                }
                refreshed = true;
                let new = self.refresh(job, cfg, &token).await?;
                self.cache(job.destination.id, new);
                continue;
            }
            if status == StatusCode::NO_CONTENT {
                return Ok(Value::Null);
            }
            let text = resp.text().await.map_err(|e| Failure::transport(&what, &e))?;
            if status.is_success() {
                return serde_json::from_str(&text).map_err(|_| {
                    Failure::retry(format!("{what}: answer is not JSON"), None, code)
                });
            }
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = problem_message(&answer);
            return Err(match status.as_u16() {
                429 => Failure::retry(format!("{what}: rate limited"), after, code),
                500..=599 => Failure::retry(format!("{what}: {message}"), after, code),
                402 => Failure::dead(
                    format!("{what}: the amoCRM account is not paid ({message})"),
                    code,
                ),
                403 => Failure::dead(format!("{what}: forbidden ({message})"), code),
                _ => Failure::dead(format!("{what}: {message}"), code),
            });
        }
    }

    async fn checkpoint(&self, job: &Job, progress: &Progress) -> Result<(), Failure> {
        job.checkpoint.save(&progress.to_value()).await.map_err(|e| match e {
            crate::channel::CheckpointError::LeaseLost => {
                Failure::retry("the delivery's lease was lost", None, None)
            }
            other => Failure::retry(other.to_string(), None, None),
        })
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
        let uniq = conv.conversation.id.to_string();
        let note_type = if facts.inbound { "call_in" } else { "call_out" };
        let link = facts.main.map(|r| job.media.link(r, DeliveryFormat::Mp3));

        // A POST whose answer was lost, or the note this update edits: look
        // for it before posting. An edit is recorded only once it is made
        // (a PATCH is safe to repeat).
        let look = progress.post_started || job.event == Event::ConversationUpdated;
        if progress.entity.is_none()
            && look
            && let Some((entity, note)) =
                self.locate_note(job, cfg, &facts.phone, note_type, &uniq).await?
        {
            if job.event == Event::ConversationUpdated {
                self.update_note(job, cfg, &entity, &note, &facts, link.as_deref()).await?;
            }
            progress.entity = Some(entity);
            self.checkpoint(job, progress).await?;
        }
        if progress.entity.is_none() {
            let call = call_body(cfg, conv, &facts, &uniq, link.as_deref());
            let mut posted = self.post_call(job, cfg, progress, &call).await?;
            if let Err(why) = &posted {
                match cfg.no_match {
                    NoMatch::Report => return Ok(Outcome::NoMatch { error: why.clone() }),
                    NoMatch::CreateContact if progress.contact.is_none() => {
                        progress.contact = Some(self.create_contact(job, cfg, &facts).await?);
                        self.checkpoint(job, progress).await?;
                    }
                    NoMatch::CreateLead if progress.lead.is_none() => {
                        let (lead, contact) = self.create_lead(job, cfg, &facts).await?;
                        progress.lead = Some(lead);
                        progress.contact = contact;
                        self.checkpoint(job, progress).await?;
                    }
                    _ => {}
                }
                posted = self.post_call(job, cfg, progress, &call).await?;
            }
            match posted {
                Ok(entity) => {
                    progress.entity = Some(entity);
                    self.checkpoint(job, progress).await?;
                }
                Err(why) => {
                    return Err(Failure::retry(
                        format!("the call was not attached to the card created for it yet: {why}"),
                        Some(cfg.readback_retry),
                        None,
                    ));
                }
            }
        }
        let Some(entity) = progress.entity.clone() else {
            return Err(Failure::retry("the call was not attached", None, None));
        };
        match self.find_note(job, cfg, &entity, note_type, &uniq).await? {
            Some(_) => Ok(Outcome::Delivered { verified: true }),
            None => Err(Failure::retry(
                format!("the call note is not visible on {} {} yet", entity.0, entity.1),
                Some(cfg.readback_retry),
                None,
            )),
        }
    }

    /// Posts the call once; `Ok(Err(why))` when no card took it.
    async fn post_call(
        &self,
        job: &Job,
        cfg: &Config,
        progress: &mut Progress,
        call: &Value,
    ) -> Result<Result<(String, u64), String>, Failure> {
        if !progress.post_started {
            progress.post_started = true;
            self.checkpoint(job, progress).await?;
        }
        let answer =
            self.request(job, cfg, Method::POST, "/api/v4/calls", Some(&json!([call]))).await?;
        let attached = answer
            .pointer("/_embedded/calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|c| {
                let t = entity_path(c.get("entity_type")?.as_str()?)?;
                Some((t.to_owned(), c.get("entity_id")?.as_u64()?))
            });
        if let Some(entity) = attached {
            return Ok(Ok(entity));
        }
        let errors = answer
            .get("errors")
            .or_else(|| answer.pointer("/_embedded/errors"))
            .and_then(Value::as_array)
            .map(|errs| {
                errs.iter()
                    .filter_map(|e| {
                        e.get("msg").or_else(|| e.get("title")).or_else(|| e.get("detail"))
                    })
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|m| !m.is_empty());
        Ok(Err(errors.unwrap_or_else(|| "no card has the call's number".to_owned())))
    }

    async fn create_contact(
        &self,
        job: &Job,
        cfg: &Config,
        facts: &CallFacts<'_>,
    ) -> Result<u64, Failure> {
        let body = json!([contact_body(facts)]);
        let answer = self.request(job, cfg, Method::POST, "/api/v4/contacts", Some(&body)).await?;
        let id = answer.pointer("/_embedded/contacts/0/id").and_then(Value::as_u64);
        let id = id.ok_or_else(|| {
            Failure::retry("contacts: answer without the new contact's id", None, None)
        })?;
        tracing::info!(destination = %job.destination.id, contact = id, "amocrm contact created for an unmatched call");
        Ok(id)
    }

    async fn create_lead(
        &self,
        job: &Job,
        cfg: &Config,
        facts: &CallFacts<'_>,
    ) -> Result<(u64, Option<u64>), Failure> {
        let mut lead = json!({
            "name": format!("{} call {}", if facts.inbound { "Incoming" } else { "Outgoing" }, facts.phone),
            "_embedded": { "contacts": [contact_body(facts)] },
        });
        if let Some(user) = facts.user_id {
            lead["responsible_user_id"] = json!(user);
        }
        let answer = self
            .request(job, cfg, Method::POST, "/api/v4/leads/complex", Some(&json!([lead])))
            .await?;
        let first = answer.get(0).or_else(|| answer.pointer("/_embedded/leads/0"));
        let id = first.and_then(|l| l.get("id")).and_then(Value::as_u64);
        let id = id.ok_or_else(|| {
            Failure::retry("leads/complex: answer without the new lead's id", None, None)
        })?;
        let contact = first.and_then(|l| l.get("contact_id")).and_then(Value::as_u64);
        tracing::info!(destination = %job.destination.id, lead = id, "amocrm lead created for an unmatched call");
        Ok((id, contact))
    }

    /// The call note with `uniq` on `entity`, newest pages first.
    async fn find_note(
        &self,
        job: &Job,
        cfg: &Config,
        entity: &(String, u64),
        note_type: &str,
        uniq: &str,
    ) -> Result<Option<Value>, Failure> {
        for page in 1..=NOTE_PAGES {
            let path = format!(
                "/api/v4/{}/{}/notes?filter[note_type][]={note_type}&order[id]=desc&limit=250&page={page}",
                entity.0, entity.1
            );
            let answer = self.request(job, cfg, Method::GET, &path, None).await?;
            let notes = answer.pointer("/_embedded/notes").and_then(Value::as_array);
            let Some(notes) = notes.filter(|n| !n.is_empty()) else { return Ok(None) };
            if let Some(n) = notes
                .iter()
                .find(|n| n.pointer("/params/uniq").and_then(Value::as_str) == Some(uniq))
            {
                return Ok(Some(n.clone()));
            }
            if answer.pointer("/_links/next").is_none() {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// The card and note of a call posted earlier (an answer lost, or a
    /// settled delivery before this update), searched on the contacts with
    /// the number and their leads.
    async fn locate_note(
        &self,
        job: &Job,
        cfg: &Config,
        phone: &str,
        note_type: &str,
        uniq: &str,
    ) -> Result<Option<((String, u64), Value)>, Failure> {
        let digits = crm::last10(phone);
        let path = format!("/api/v4/contacts?query={digits}&with=leads&limit=50");
        let answer = self.request(job, cfg, Method::GET, &path, None).await?;
        let contacts = answer
            .pointer("/_embedded/contacts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for contact in contacts {
            let Some(id) = contact.get("id").and_then(Value::as_u64) else { continue };
            let mut cards = vec![("contacts".to_owned(), id)];
            let leads = contact.pointer("/_embedded/leads").and_then(Value::as_array);
            cards.extend(
                leads
                    .into_iter()
                    .flatten()
                    .filter_map(|l| Some(("leads".to_owned(), l.get("id")?.as_u64()?))),
            );
            for card in cards {
                if let Some(note) = self.find_note(job, cfg, &card, note_type, uniq).await? {
                    return Ok(Some((card, note)));
                }
            }
        }
        Ok(None)
    }

    async fn update_note(
        &self,
        job: &Job,
        cfg: &Config,
        entity: &(String, u64),
        note: &Value,
        facts: &CallFacts<'_>,
        link: Option<&str>,
    ) -> Result<(), Failure> {
        let Some(id) = note.get("id").and_then(Value::as_u64) else { return Ok(()) };
        let mut params = note.get("params").cloned().unwrap_or_else(|| json!({}));
        params["duration"] = json!(facts.duration_secs);
        if let Some(link) = link {
            params["link"] = json!(link);
        }
        let body = json!([{ "id": id, "note_type": note.get("note_type").cloned().unwrap_or(Value::Null), "params": params }]);
        self.request(job, cfg, Method::PATCH, &format!("/api/v4/{}/notes", entity.0), Some(&body))
            .await?;
        Ok(())
    }
}

/// A contact with the call's number (and responsible user).
fn contact_body(facts: &CallFacts<'_>) -> Value {
    let mut contact = json!({
        "name": facts.phone,
        "custom_fields_values": [{
            "field_code": "PHONE",
            "values": [{ "value": facts.phone, "enum_code": "WORK" }],
        }],
    });
    if let Some(user) = facts.user_id {
        contact["responsible_user_id"] = json!(user);
    }
    contact
}

/// The one call of a `POST /api/v4/calls`.
fn call_body(
    cfg: &Config,
    conv: &callvault_store::ConversationDetail,
    facts: &CallFacts<'_>,
    uniq: &str,
    link: Option<&str>,
) -> Value {
    let answered = facts.main.is_some() || facts.duration_secs > 0;
    let mut call = json!({
        "direction": if facts.inbound { "inbound" } else { "outbound" },
        "uniq": uniq,
        "duration": facts.duration_secs,
        "source": cfg.source,
        "phone": facts.phone,
        // 4: had a conversation; 6: no answer.
        "call_status": if answered { 4 } else { 6 },
        "created_at": conv.conversation.started_at.timestamp(),
    });
    if let Some(link) = link {
        call["link"] = json!(link);
    }
    if let Some(template) = &cfg.call_result {
        call["call_result"] = json!(render_result(template, conv, facts));
    }
    if let Some(user) = facts.user_id {
        call["responsible_user_id"] = json!(user);
        call["created_by"] = json!(user);
    }
    call
}

/// `call_result` with `{direction}`, `{duration}` (m:ss), `{company_number}`
/// and `{conversation_id}` filled in.
fn render_result(
    template: &str,
    conv: &callvault_store::ConversationDetail,
    facts: &CallFacts<'_>,
) -> String {
    let d = facts.duration_secs;
    template
        .replace("{direction}", if facts.inbound { "inbound" } else { "outbound" })
        .replace("{duration}", &format!("{}:{:02}", d / 60, d % 60))
        .replace("{company_number}", conv.conversation.company_number.as_deref().unwrap_or(""))
        .replace("{conversation_id}", &conv.conversation.id.to_string())
}

/// The message of an amoCRM error answer (problem+json, with
/// `validation-errors` on 400).
fn problem_message(answer: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(detail) =
        answer.get("detail").or_else(|| answer.get("title")).and_then(Value::as_str)
    {
        parts.push(detail.to_owned());
    }
    for req in answer.get("validation-errors").and_then(Value::as_array).into_iter().flatten() {
        for e in req.get("errors").and_then(Value::as_array).into_iter().flatten() {
            let path = e.get("path").and_then(Value::as_str).unwrap_or("?");
            let detail = e.get("detail").and_then(Value::as_str).unwrap_or("invalid");
            parts.push(format!("{path}: {detail}"));
        }
    }
    if parts.is_empty() { "unexpected answer".to_owned() } else { parts.join("; ") }
}

#[async_trait]
impl Channel for AmoCrmChannel {
    fn kind(&self) -> &'static str {
        "amocrm"
    }

    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String> {
        Config::parse(config)?;
        auth_kind(secrets)?;
        Ok(())
    }

    fn accepts(&self, event: Event, _config: &Value) -> bool {
        matches!(event, Event::ConversationSettled | Event::ConversationUpdated | Event::Test)
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        let cfg = match Config::parse(&job.destination.config) {
            Ok(c) => c,
            Err(e) => return Failure::dead(e, None).into_attempt(job.progress.clone()),
        };
        match job.event {
            Event::Test => {
                match self.request(job, &cfg, Method::GET, "/api/v4/account", None).await {
                    Ok(_) => Attempt {
                        outcome: Outcome::Delivered { verified: false },
                        progress: job.progress.clone(),
                        status: Some("HTTP 200".into()),
                    },
                    Err(f) => f.into_attempt(job.progress.clone()),
                }
            }
            Event::ConversationSettled | Event::ConversationUpdated => {
                let mut progress = Progress::from_value(&job.progress);
                let result = self.deliver_conversation(job, &cfg, &mut progress).await;
                let progress = if job.progress.is_null() && progress == Progress::default() {
                    Value::Null
                } else {
                    progress.to_value()
                };
                match result {
                    Ok(outcome) => Attempt { outcome, progress, status: None },
                    Err(f) => {
                        tracing::debug!(destination = %job.destination.id, outcome = ?f.outcome, "amocrm attempt failed");
                        f.into_attempt(progress)
                    }
                }
            }
            other => Failure::dead(format!("amocrm does not deliver {}", other.as_str()), None)
                .into_attempt(job.progress.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_errors() {
        let c = Config::parse(&json!({ "base_url": "https://acme.kommo.com/" })).unwrap();
        assert_eq!(c.account, "https://acme.kommo.com");
        assert_eq!(c.source, "callvault");
        assert_eq!(c.no_match, NoMatch::Report);
        assert!(Config::parse(&json!({ "base_url": "http://acme.kommo.com" })).is_err());
        let e = Config::parse(&json!({ "base_url": "https://a.amocrm.ru", "no_match": "nope" }))
            .unwrap_err();
        assert!(e.contains("no_match") || e.contains("unknown variant"), "{e}");
        assert!(Config::parse(&json!({ "base_url": "https://a.amocrm.ru", "colour": 1 })).is_err());
    }

    #[test]
    fn secrets_are_long_lived_or_complete_oauth() {
        assert_eq!(auth_kind(&json!({ "access_token": "t" })), Ok(AuthKind::LongLived));
        assert!(auth_kind(&json!({})).is_err());
        assert!(
            auth_kind(&json!({ "access_token": "t", "refresh_token": "r" }))
                .unwrap_err()
                .contains("client_id")
        );
        let full = json!({ "access_token": "t", "refresh_token": "r", "client_id": "i", "client_secret": "s", "redirect_uri": "https://x" });
        assert_eq!(auth_kind(&full), Ok(AuthKind::OAuth));
    }

    #[test]
    fn progress_round_trips() {
        let p = Progress {
            post_started: true,
            entity: Some(("leads".into(), 7)),
            contact: Some(3),
            lead: None,
        };
        let v = p.to_value();
        assert_eq!(v["posted"], json!(true));
        assert_eq!(Progress::from_value(&v), p);
        assert_eq!(Progress::from_value(&Value::Null), Progress::default());
    }

    #[test]
    fn validation_errors_are_reported_with_their_paths() {
        let answer = json!({
            "validation-errors": [{ "request_id": "0", "errors": [{ "code": "NotSupportedChoice", "path": "direction", "detail": "The value you selected is not a valid choice." }] }],
            "title": "Bad Request", "status": 400, "detail": "Request validation failed"
        });
        assert_eq!(
            problem_message(&answer),
            "Request validation failed; direction: The value you selected is not a valid choice."
        );
    }
}
