//! The e-mail itself: subject, text and HTML bodies, attachments, headers.

use std::fmt::Write as _;

use callvault_model::{Direction, Recording};
use callvault_store::ConversationDetail;
use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use sha2::{Digest, Sha256};

use super::config::{EmailDestination, fill_template};
use crate::channel::{AlertView, Audio, Event, Job, Subject};

/// One recording as a letter shows it.
#[derive(Debug, Clone)]
pub struct RecordingItem {
    pub recording: Recording,
    /// The attachment's file name.
    pub filename: String,
    /// A signed link to the recording (always given, also when attached).
    pub link: String,
    /// The MP3, when it is attached.
    pub audio: Option<Audio>,
}

/// What a message says, before it is addressed.
#[derive(Debug, Clone)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<(String, Audio)>,
}

/// The Message-ID of a delivery's message to one recipient: the same on
/// every attempt (and for the link-only re-send), different per recipient,
/// in the sender's domain.
pub fn message_id(delivery_id: uuid::Uuid, recipient_key: &str, from: &Mailbox) -> String {
    let hash = Sha256::digest(recipient_key.as_bytes());
    let short = hex::encode(&hash[..8]);
    format!("<{delivery_id}.{short}@{}>", from.email.domain())
}

/// The message, ready for DATA.
pub fn build_message(
    letter: &Letter,
    from: &Mailbox,
    to: &Address,
    message_id: &str,
) -> Result<Vec<u8>, String> {
    let body = MultiPart::alternative_plain_html(letter.text.clone(), letter.html.clone());
    let body = if letter.attachments.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (name, audio) in &letter.attachments {
            let ct = ContentType::parse(audio.content_type)
                .map_err(|e| format!("content type {:?}: {e}", audio.content_type))?;
            mixed = mixed.singlepart(Attachment::new(name.clone()).body(audio.bytes.to_vec(), ct));
        }
        mixed
    };
    let msg = lettre::Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to.clone()))
        .subject(letter.subject.clone())
        .message_id(Some(message_id.to_owned()))
        .header(AutoSubmitted)
        .multipart(body)
        .map_err(|e| format!("building the message: {e}"))?;
    Ok(msg.formatted())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// "3 min 12 s", "45 s", "1 h 2 min 3 s".
pub fn human_duration(ms: u64) -> String {
    let s = (ms + 500) / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min {s} s"),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The conversation's length: from its start to its end, or the longest
/// recording's when it has no end yet.
pub fn conversation_ms(c: &ConversationDetail) -> u64 {
    let span = c.conversation.ended_at.and_then(|e| {
        e.signed_duration_since(c.conversation.started_at).num_milliseconds().try_into().ok()
    });
    span.unwrap_or_else(|| c.recordings.iter().map(|r| r.recording.duration_ms).max().unwrap_or(0))
}

/// Caller and callee as the subject shows them.
fn ends(c: &ConversationDetail) -> (String, String) {
    let ext = c.conversation.external_number.clone().unwrap_or_else(|| "unknown".into());
    let com = c.conversation.company_number.clone().unwrap_or_else(|| "unknown".into());
    match c.conversation.direction {
        Direction::Outbound => (com, ext),
        _ => (ext, com),
    }
}

/// The attachment's file name for a recording.
pub fn filename(r: &Recording, extension: &str) -> String {
    let short = r.id.0.simple().to_string();
    format!(
        "call-{}-{}.{extension}",
        r.started_at.format("%Y%m%d-%H%M%S"),
        &short[short.len() - 8..]
    )
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "Inbound call",
        Direction::Outbound => "Outbound call",
        Direction::Internal => "Internal call",
        Direction::Unknown => "Call",
    }
}

/// A conversation's letter. With `links_only`, no recording is attached
/// and each is linked instead (the first attempt was too large, or the
/// recordings are over `max_attachment_bytes`).
pub fn conversation_letter(
    job: &Job,
    dest: &EmailDestination,
    c: &ConversationDetail,
    items: &[RecordingItem],
    links_only: bool,
) -> Letter {
    let conv = &c.conversation;
    let ms = conversation_ms(c);
    let (from, to) = ends(c);
    let default_subject = format!("Call {from} → {to}, {}", human_duration(ms));
    let mut subject = match &dest.config.subject_template {
        Some(t) => fill_template(t, |name| match name {
            "direction" => conv.direction.as_str().to_owned(),
            "from" => from.clone(),
            "to" => to.clone(),
            "external_number" => conv.external_number.clone().unwrap_or_default(),
            "company_number" => conv.company_number.clone().unwrap_or_default(),
            "duration" => human_duration(ms),
            "started_at" => time(conv.started_at),
            "tenant" => job.tenant_name.clone(),
            _ => String::new(),
        }),
        None => default_subject,
    };
    if job.event == Event::ConversationUpdated {
        subject = format!("Updated: {subject}");
    }

    let mut text = String::new();
    let mut html = String::from("<!DOCTYPE html><html><body>");
    let heading = direction_word(conv.direction);
    let _ = writeln!(text, "{heading}\n");
    let _ = write!(html, "<h2>{}</h2><table>", escape(heading));
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(text, "{k}: {v}");
        let _ =
            write!(html, "<tr><th align=\"left\">{}</th><td>{}</td></tr>", escape(k), escape(v));
    };
    row("From", &from);
    row("To", &to);
    row("External number", conv.external_number.as_deref().unwrap_or("unknown"));
    row("Company number", conv.company_number.as_deref().unwrap_or("unknown"));
    row("Direction", conv.direction.as_str());
    row("Started", &time(conv.started_at));
    if let Some(e) = conv.ended_at {
        row("Ended", &time(e));
    }
    row("Duration", &human_duration(ms));
    let mut flags: Vec<&str> =
        items.iter().flat_map(|i| i.recording.flags.iter().map(String::as_str)).collect();
    flags.sort_unstable();
    flags.dedup();
    if !flags.is_empty() {
        row("Flags", &flags.join(", "));
    }
    row("Conversation", &conv.id.to_string());
    html.push_str("</table>");

    if !c.participants.is_empty() {
        text.push_str("\nParticipants:\n");
        html.push_str("<h3>Participants</h3><ul>");
        for p in &c.participants {
            let who = match (&p.display_name, &p.address) {
                (Some(n), Some(a)) => format!("{n} <{a}>"),
                (None, Some(a)) => a.clone(),
                (Some(n), None) => n.clone(),
                (None, None) => "unknown".into(),
            };
            let span = match p.left_at {
                Some(l) => format!("{} to {}", time(p.joined_at), time(l)),
                None => format!("from {}", time(p.joined_at)),
            };
            let _ = writeln!(text, "  - {who} ({} side), {span}", p.side.as_str());
            let _ = write!(
                html,
                "<li>{} ({} side), {}</li>",
                escape(&who),
                p.side.as_str(),
                escape(&span)
            );
        }
        html.push_str("</ul>");
    }

    let mut attachments = Vec::new();
    if items.is_empty() {
        text.push_str("\nNo recording is stored for this call.\n");
        html.push_str("<p>No recording is stored for this call.</p>");
    } else {
        text.push_str("\nRecordings:\n");
        html.push_str("<h3>Recordings</h3><ul>");
        for item in items {
            let len = human_duration(item.recording.duration_ms);
            match (&item.audio, links_only) {
                (Some(audio), false) => {
                    attachments.push((item.filename.clone(), audio.clone()));
                    let _ = writeln!(
                        text,
                        "  - {} ({len}), attached; also at {}",
                        item.filename, item.link
                    );
                    let _ = write!(
                        html,
                        "<li>{} ({len}), attached; also <a href=\"{}\">online</a></li>",
                        escape(&item.filename),
                        escape(&item.link)
                    );
                }
                _ => {
                    let _ = writeln!(text, "  - {} ({len}): {}", item.filename, item.link);
                    let _ = write!(
                        html,
                        "<li><a href=\"{}\">{}</a> ({len})</li>",
                        escape(&item.link),
                        escape(&item.filename)
                    );
                }
            }
        }
        html.push_str("</ul>");
        if attachments.len() < items.len() {
            text.push_str("\nLinks expire; the recordings stay in callvault.\n");
            html.push_str("<p>Links expire; the recordings stay in callvault.</p>");
        }
    }
    html.push_str("</body></html>");
    Letter { subject, text, html, attachments }
}

/// An alert's letter (tenant or installation).
pub fn alert_letter(job: &Job, a: &AlertView) -> Letter {
    let state = if a.resolved_at.is_some() { "resolved" } else { a.severity.as_str() };
    let subject = format!("[callvault] {state}: {}", a.subject);
    let mut text = format!("{}\n\n", a.message);
    let mut html = format!("<!DOCTYPE html><html><body><p>{}</p><table>", escape(&a.message));
    let scope = if job.event == Event::SystemAlert { "installation" } else { &job.tenant_name };
    let rows = [
        ("Alert", a.kind.clone()),
        ("Subject", a.subject.clone()),
        ("Severity", a.severity.clone()),
        ("Scope", scope.to_owned()),
        ("First seen", time(a.first_seen)),
        ("Last seen", time(a.last_seen)),
        ("Occurrences", a.count.to_string()),
        ("Resolved", a.resolved_at.map_or_else(|| "no".to_owned(), time)),
        ("Alert id", a.id.to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(text, "{k}: {v}");
        let _ =
            write!(html, "<tr><th align=\"left\">{}</th><td>{}</td></tr>", escape(k), escape(&v));
    }
    html.push_str("</table></body></html>");
    Letter { subject, text, html, attachments: Vec::new() }
}

/// The letter of `POST /v1/destinations/{id}/test`.
pub fn test_letter(job: &Job) -> Letter {
    let subject = "[callvault] test message".to_owned();
    let line = format!(
        "This is a test message from callvault for the destination {:?} of {}. \
         If you can read it, e-mail delivery works.",
        job.destination.name, job.tenant_name
    );
    let text = format!("{line}\n\nDelivery: {}\n", job.delivery_id);
    let html = format!(
        "<!DOCTYPE html><html><body><p>{}</p><p>Delivery: {}</p></body></html>",
        escape(&line),
        job.delivery_id
    );
    Letter { subject, text, html, attachments: Vec::new() }
}

/// Which of a subject's recordings a letter covers, longest first.
pub fn recordings_of(job: &Job) -> Vec<Recording> {
    let mut recs: Vec<Recording> = match &job.subject {
        Subject::Conversation(c) => c.recordings.iter().map(|r| r.recording.clone()).collect(),
        Subject::Recording { conversation, recording_id } => conversation
            .recordings
            .iter()
            .filter(|r| r.recording.id.0 == *recording_id)
            .map(|r| r.recording.clone())
            .collect(),
        Subject::Alert(_) | Subject::Test => Vec::new(),
    };
    recs.sort_by(|a, b| b.duration_ms.cmp(&a.duration_ms).then(a.id.cmp(&b.id)));
    recs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(human_duration(0), "0 s");
        assert_eq!(human_duration(45_200), "45 s");
        assert_eq!(human_duration(192_000), "3 min 12 s");
        assert_eq!(human_duration(3_723_000), "1 h 2 min 3 s");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn message_ids_are_stable_per_recipient() {
        let from: Mailbox = "Calls <calls@example.com>".parse().unwrap();
        let id = uuid::Uuid::now_v7();
        let a = message_id(id, "a@x.com", &from);
        assert_eq!(a, message_id(id, "a@x.com", &from));
        assert_ne!(a, message_id(id, "b@x.com", &from));
        assert!(a.starts_with(&format!("<{id}.")) && a.ends_with("@example.com>"), "{a}");
    }
}
