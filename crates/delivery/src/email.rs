//! The e-mail channel (kind `email`): SMTP through lettre (tokio, rustls
//! with the ring provider).
//!
//! # A destination's `config`
//!
//! | field | meaning |
//! |---|---|
//! | `host` | the SMTP server (relay or submission server) |
//! | `port` | default 587 for `starttls`, 465 for `implicit`, 25 for `none` |
//! | `tls` | `"starttls"` (default; a server that does not offer it is refused), `"implicit"` (SMTPS) or `"none"`, allowed only for a loopback host or with `"allow_plaintext": true` |
//! | `allow_plaintext` | allow `"tls": "none"` to a host other than localhost (default false) |
//! | `username` | for AUTH PLAIN or LOGIN; the password is `secrets.password` |
//! | `from` | the sender, `"Calls <calls@example.com>"`; default: the channel's [`EmailSettings::default_from`] |
//! | `to` | the recipients (at least one); each gets a message of its own |
//! | `subject_template` | optional; placeholders `{direction}`, `{from}`, `{to}`, `{external_number}`, `{company_number}`, `{duration}`, `{started_at}`, `{tenant}` (`{{`/`}}` for braces); default `Call {from} → {to}, {duration}` |
//! | `max_attachment_bytes` | the most audio one message carries (default 10 000 000); recordings beyond it are sent as signed links |
//! | `mailbox_full_max_age_secs` | how long a full mailbox is retried (default 72 h); the outbox applies it to [`RetryClass::MailboxFull`] |
//! | `send_updates` | also send `conversation.updated` (default false) |
//! | `tls_root_certificate_pem` | an extra trust anchor for a relay with a private CA |
//!
//! `secrets`: `{"password": "..."}` when `username` is set. It never
//! appears in `Debug` output, logs, statuses or errors.
//!
//! # What is sent
//!
//! `conversation.settled` (and `conversation.updated` when asked for): the
//! conversation as text and simple HTML (direction, numbers, participants
//! with their sides and times, start, duration, flags) and its recordings as
//! MP3 attachments, longest first, while they fit in
//! `max_attachment_bytes` ([`Media::size_hint`](crate::channel::Media::size_hint)
//! is asked first, so a recording that cannot fit is never transcoded), the
//! others as signed links. `alert`, `alert.system` and `test`: a text
//! message, no audio.
//!
//! # Recipients, retries and replies
//!
//! Each recipient gets its own SMTP transaction (one connection per
//! attempt), its own result in the delivery's progress
//! (`{"recipients": {"a@x.com": {"state": "sent", "at": ...}}}`, saved
//! through the checkpoint after each recipient), and its own fate: a retry
//! writes only to the recipients still owed the message. The Message-ID,
//! `<{delivery_id}.{hash of the recipient}@{sender's domain}>`, is the same
//! on every attempt, so a receiver can discard a copy resent after an
//! ambiguous failure.
//!
//! Replies are classed by their code, their enhanced status code (parsed
//! from the text) and the stage that was answered ([`reply::classify`]):
//! 4xx waits ([`RetryClass::Transient`]), a full mailbox (452, 4.2.2,
//! 552 5.2.2) waits longer ([`RetryClass::MailboxFull`]), a message too large
//! (5.3.4, 5.2.3, 552 after the data) is sent again at once with links
//! instead of attachments (and that recipient gets links from then on), an
//! unknown user (5.1.x) and other 5xx are dead for that recipient, 421,
//! timeouts and unreachable servers wait, a refused login (535) is dead for
//! all. The attempt is delivered when every recipient has the message,
//! waits when any recipient may still get it (as
//! [`RetryClass::Transient`] when any failure was transient, else
//! [`RetryClass::MailboxFull`]), and is dead when the rest cannot.

pub mod config;
pub mod reply;

mod compose;
mod progress;
mod smtp;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use lettre::message::Mailbox;
use lettre::transport::smtp::extension::ClientId;
use serde_json::Value;
use tracing::{debug, info, warn};

pub use config::{EmailConfig, EmailDestination, Password, TlsMode};

use self::compose::{Letter, RecordingItem};
use self::progress::{Progress, RecipientState};
use self::reply::Verdict;
use self::smtp::Session;
use crate::channel::{
    Attempt, Channel, CheckpointError, DeliveryFormat, Event, Job, MediaError, Outcome, RetryClass,
    Subject,
};

/// The channel's own settings (from the server's configuration), the same
/// for every e-mail destination.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// How long a TCP (and implicit TLS) connect may take.
    pub connect_timeout: Duration,
    /// How long the server may take to answer one command (the message's
    /// data gets this plus a second per 64 KiB).
    pub command_timeout: Duration,
    /// The name this host gives in EHLO: a domain name or an IP address.
    pub hello_name: String,
    /// The sender for destinations whose config names none.
    pub default_from: Option<String>,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            connect_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(60),
            hello_name: "localhost".into(),
            default_from: None,
        }
    }
}

/// The e-mail [`Channel`].
pub struct EmailChannel {
    settings: EmailSettings,
    hello: ClientId,
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel").field("settings", &self.settings).finish()
    }
}

/// What a letter-to-be says, with and without its attachments.
struct Letters {
    /// With attachments; `None` when nothing is attached.
    full: Option<Letter>,
    /// Links only.
    links: Letter,
}

impl EmailChannel {
    /// A channel with `settings`; refuses a `hello_name` that is neither a
    /// domain name nor an IP address, and a `default_from` that is not an
    /// address.
    pub fn new(settings: EmailSettings) -> Result<EmailChannel, String> {
        let name = settings.hello_name.trim();
        let hello = if let Ok(ip) = name.parse::<std::net::IpAddr>() {
            match ip {
                std::net::IpAddr::V4(v4) => ClientId::Ipv4(v4),
                std::net::IpAddr::V6(v6) => ClientId::Ipv6(v6),
            }
        } else if !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        {
            ClientId::Domain(name.to_owned())
        } else {
            return Err(format!("hello_name: {name:?} is neither a domain name nor an IP address"));
        };
        if let Some(f) = &settings.default_from {
            f.parse::<Mailbox>()
                .map_err(|e| format!("default_from: {f:?} is not an address: {e}"))?;
        }
        Ok(EmailChannel { settings, hello })
    }

    /// The letters for a job: its audio is fetched only when some pending
    /// recipient may get attachments.
    async fn letters(
        &self,
        job: &Job,
        dest: &EmailDestination,
        need_audio: bool,
    ) -> Result<Letters, String> {
        let conversation = match &job.subject {
            Subject::Alert(a) => {
                return Ok(Letters { full: None, links: compose::alert_letter(job, a) });
            }
            Subject::Test => return Ok(Letters { full: None, links: compose::test_letter(job) }),
            Subject::Conversation(c) => c,
            Subject::Recording { conversation, .. } => conversation,
        };
        let mut items = Vec::new();
        let mut budget = dest.config.max_attachment_bytes;
        for rec in compose::recordings_of(job) {
            let mut format = DeliveryFormat::Mp3;
            let mut audio = None;
            if need_audio {
                match job.media.size_hint(&rec, DeliveryFormat::Mp3).await {
                    Ok(hint) if hint <= budget => {
                        match job.media.audio(&rec, DeliveryFormat::Mp3).await {
                            Ok(a) if a.bytes.len() as u64 <= budget => {
                                budget -= a.bytes.len() as u64;
                                audio = Some(a);
                            }
                            Ok(a) => debug!(
                                recording_id = %rec.id, bytes = a.bytes.len(), budget,
                                "mp3 larger than its size hint: linked instead"
                            ),
                            Err(MediaError::Unavailable(e)) => return Err(e),
                            Err(MediaError::Unconvertible(e)) => {
                                warn!(recording_id = %rec.id, error = %e, "no mp3: linking the original");
                                format = DeliveryFormat::Original;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(MediaError::Unavailable(e)) => return Err(e),
                    Err(MediaError::Unconvertible(e)) => {
                        warn!(recording_id = %rec.id, error = %e, "no mp3: linking the original");
                        format = DeliveryFormat::Original;
                    }
                }
            }
            let link = job.media.link(&rec, format);
            let ext = match (&audio, format) {
                (Some(a), _) => a.extension,
                (None, DeliveryFormat::Original) => rec.format.extension(),
                (None, _) => "mp3",
            };
            items.push(RecordingItem {
                filename: compose::filename(&rec, ext),
                link,
                audio,
                recording: rec,
            });
        }
        let links = compose::conversation_letter(job, dest, conversation, &items, true);
        let full = items
            .iter()
            .any(|i| i.audio.is_some())
            .then(|| compose::conversation_letter(job, dest, conversation, &items, false));
        Ok(Letters { full, links })
    }
}

fn retry_attempt(progress: Value, error: String) -> Attempt {
    Attempt {
        outcome: Outcome::Retry { error, retry_after: None, class: RetryClass::Transient },
        progress,
        status: None,
    }
}

/// The attempt's outcome from every recipient's state.
fn conclude(dest: &EmailDestination, progress: &Progress, status: Option<String>) -> Attempt {
    let mut waiting = Vec::new();
    let mut dead = Vec::new();
    let mut any_transient = false;
    for (_, key) in &dest.to {
        let Some(p) = progress.recipients.get(key) else {
            waiting.push(format!("{key} (not tried)"));
            any_transient = true;
            continue;
        };
        let said = p.status.as_deref().unwrap_or("no answer");
        match p.state {
            RecipientState::Sent => {}
            RecipientState::Retry => {
                any_transient |= p.class != Some(RetryClass::MailboxFull);
                waiting.push(format!("{key} ({said})"));
            }
            RecipientState::Dead => dead.push(format!("{key} ({said})")),
        }
    }
    let outcome = if !waiting.is_empty() {
        let class = if any_transient { RetryClass::Transient } else { RetryClass::MailboxFull };
        let mut error = format!("not yet delivered to {}", waiting.join(", "));
        if !dead.is_empty() {
            error.push_str(&format!("; undeliverable to {}", dead.join(", ")));
        }
        Outcome::Retry { error, retry_after: None, class }
    } else if !dead.is_empty() {
        Outcome::Dead { error: format!("undeliverable to {}", dead.join(", ")) }
    } else {
        Outcome::Delivered { verified: false }
    };
    Attempt { outcome, progress: progress.to_value(), status }
}

#[async_trait]
impl Channel for EmailChannel {
    fn kind(&self) -> &'static str {
        "email"
    }

    fn validate(&self, config: &Value, secrets: &Value) -> Result<(), String> {
        EmailDestination::parse(config, secrets, self.settings.default_from.as_deref()).map(|_| ())
    }

    fn accepts(&self, event: Event, config: &Value) -> bool {
        match event {
            Event::ConversationSettled | Event::Alert | Event::SystemAlert | Event::Test => true,
            Event::ConversationUpdated => {
                config.get("send_updates").and_then(Value::as_bool).unwrap_or(false)
            }
            Event::RecordingStored => false,
        }
    }

    async fn deliver(&self, job: &Job) -> Attempt {
        let dest = match EmailDestination::parse(
            &job.destination.config,
            &job.destination.secrets,
            self.settings.default_from.as_deref(),
        ) {
            Ok(d) => d,
            Err(e) => {
                return Attempt {
                    outcome: Outcome::Dead { error: format!("e-mail destination: {e}") },
                    progress: job.progress.clone(),
                    status: None,
                };
            }
        };
        if !self.accepts(job.event, &job.destination.config) {
            return Attempt {
                outcome: Outcome::Dead {
                    error: format!("this e-mail destination does not take {}", job.event.as_str()),
                },
                progress: job.progress.clone(),
                status: None,
            };
        }
        let mut progress = Progress::from_value(&job.progress);
        let pending: Vec<_> = dest
            .to
            .iter()
            .filter(|(_, k)| {
                !matches!(progress.state(k), Some(RecipientState::Sent | RecipientState::Dead))
            })
            .collect();
        if pending.is_empty() {
            return conclude(&dest, &progress, None);
        }
        let need_audio = pending.iter().any(|(_, k)| !progress.links_only(k));
        let letters = match self.letters(job, &dest, need_audio).await {
            Ok(l) => l,
            Err(e) => {
                return retry_attempt(job.progress.clone(), format!("audio unavailable: {e}"));
            }
        };

        let mut session = Session::new(
            &dest,
            self.hello.clone(),
            self.settings.connect_timeout,
            self.settings.command_timeout,
        );
        let sender = dest.from.email.clone();
        // A session failure (server unreachable, 421, refused login) ends
        // the attempt for every recipient not yet served.
        let mut stopped: Option<smtp::Failure> = None;
        let mut status = None;
        for (addr, key) in pending {
            let now = Utc::now();
            if let Some(f) = &stopped {
                let (state, class) = match f.verdict {
                    Verdict::SessionDead => (RecipientState::Dead, None),
                    _ => (RecipientState::Retry, Some(RetryClass::Transient)),
                };
                progress.set(key, state, now, Some(f.status.clone()), class);
                continue;
            }
            let message_id = compose::message_id(job.delivery_id, key, &dest.from);
            let links_only = progress.links_only(key);
            let letter = match (&letters.full, links_only) {
                (Some(full), false) => full,
                _ => &letters.links,
            };
            let mut result = match compose::build_message(letter, &dest.from, addr, &message_id) {
                Ok(bytes) => session.send(&sender, addr, &bytes).await,
                Err(e) => {
                    return Attempt {
                        outcome: Outcome::Dead { error: e },
                        progress: progress.to_value(),
                        status: None,
                    };
                }
            };
            if let Err(f) = &result
                && f.verdict == Verdict::TooLarge
                && !letter.attachments.is_empty()
            {
                info!(
                    delivery_id = %job.delivery_id, recipient = %addr, status = %f.status,
                    "message too large: sending links instead of attachments"
                );
                progress.set_links_only(key, now);
                result = match compose::build_message(&letters.links, &dest.from, addr, &message_id)
                {
                    Ok(bytes) => session.send(&sender, addr, &bytes).await,
                    Err(e) => Err(smtp::Failure {
                        verdict: Verdict::DeadRecipient,
                        status: e,
                        stage: reply::Stage::Message,
                    }),
                };
            }
            match result {
                Ok(reply) => {
                    info!(delivery_id = %job.delivery_id, recipient = %addr, %message_id, "e-mail sent");
                    status.get_or_insert_with(|| reply.clone());
                    progress.set(key, RecipientState::Sent, now, Some(reply), None);
                }
                Err(f) => {
                    warn!(
                        delivery_id = %job.delivery_id, recipient = %addr, stage = f.stage.as_str(),
                        status = %f.status, verdict = ?f.verdict, "e-mail not sent"
                    );
                    status = Some(format!("{addr}: {}", f.status));
                    let (state, class) = match f.verdict {
                        Verdict::Transient | Verdict::SessionTransient => {
                            (RecipientState::Retry, Some(RetryClass::Transient))
                        }
                        Verdict::MailboxFull => {
                            (RecipientState::Retry, Some(RetryClass::MailboxFull))
                        }
                        Verdict::TooLarge | Verdict::DeadRecipient | Verdict::SessionDead => {
                            (RecipientState::Dead, None)
                        }
                    };
                    progress.set(key, state, now, Some(f.status.clone()), class);
                    if matches!(f.verdict, Verdict::SessionTransient | Verdict::SessionDead) {
                        stopped = Some(f);
                    }
                }
            }
            if let Err(e) = job.checkpoint.save(&progress.to_value()).await {
                // Stop sending: with the lease lost another runner owns the
                // delivery; with the catalog failing, more sends would be
                // more that a retry repeats.
                session.quit().await;
                let what = match e {
                    CheckpointError::LeaseLost => "lease lost".to_owned(),
                    CheckpointError::Catalog(c) => format!("saving progress: {c}"),
                };
                return Attempt { status, ..retry_attempt(progress.to_value(), what) };
            }
        }
        session.quit().await;
        conclude(&dest, &progress, status)
    }
}
