//! What an SMTP reply means for a delivery.
//!
//! lettre reports a negative reply's three-digit code; the enhanced status
//! code (RFC 3463, `5.2.2`) is only in the reply's text, so it is parsed
//! from there. The verdict depends on both and on the stage of the
//! transaction that was answered: a `552` after the message's data means
//! "too large", the same code after `RCPT` means "mailbox full" (RFC 5321
//! §4.5.3.1.10).

use std::fmt;

/// The step of an SMTP session a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// TCP (and implicit TLS) connect, the greeting, EHLO and STARTTLS.
    Connect,
    /// AUTH.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// The DATA command itself (before the message).
    Data,
    /// The reply after the message's final dot.
    Message,
}

impl Stage {
    /// The stage's name for statuses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::Message => "message",
        }
    }
}

/// An enhanced mail system status code (RFC 3463): class.subject.detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    /// The first word of a reply's text when it is an enhanced code
    /// (`5.2.2 Mailbox full` → 5.2.2); `None` when the server sent none.
    pub fn parse(text: &str) -> Option<EnhancedCode> {
        let word = text.split_whitespace().next()?;
        let mut parts = word.split('.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject: u16 = parts.next().filter(|p| (1..=3).contains(&p.len()))?.parse().ok()?;
        let detail: u16 = parts.next().filter(|p| (1..=3).contains(&p.len()))?.parse().ok()?;
        if parts.next().is_some() || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(EnhancedCode { class, subject, detail })
    }

    fn is(self, subject: u16, detail: u16) -> bool {
        self.subject == subject && self.detail == detail
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// What a negative reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try this recipient again later.
    Transient,
    /// The recipient's mailbox is full: try again later, for longer.
    MailboxFull,
    /// The message is too large: send it again at once, links instead of
    /// attachments.
    TooLarge,
    /// This recipient cannot be reached (unknown user, refused for good).
    DeadRecipient,
    /// The server is going away (421), timed out or cannot be reached:
    /// every recipient not yet served waits for the next attempt.
    SessionTransient,
    /// The destination's settings are wrong (authentication refused, no
    /// STARTTLS): no recipient can be served until they are fixed.
    SessionDead,
}

/// Classifies a negative reply `code` with `text` (its lines joined) at `stage`.
pub fn classify(stage: Stage, code: u16, text: &str) -> Verdict {
    let enhanced = EnhancedCode::parse(text);
    if code == 421 {
        return Verdict::SessionTransient;
    }
    if stage == Stage::Auth {
        // 454 (temporary authentication failure) and other 4xx may pass;
        // 535 5.7.8 (bad credentials), 534, 538 and the like will not.
        return if (400..500).contains(&code) {
            Verdict::SessionTransient
        } else {
            Verdict::SessionDead
        };
    }
    if stage == Stage::Connect {
        return if (400..500).contains(&code) {
            Verdict::SessionTransient
        } else {
            Verdict::SessionDead
        };
    }
    if let Some(e) = enhanced {
        if e.is(2, 2) {
            return Verdict::MailboxFull;
        }
        if e.is(3, 4) || e.is(2, 3) {
            return Verdict::TooLarge;
        }
    }
    if code == 452 && enhanced.is_none_or(|e| e.subject == 2) {
        return Verdict::MailboxFull;
    }
    if code == 552 && enhanced.is_none() {
        return match stage {
            Stage::Message | Stage::Data => Verdict::TooLarge,
            _ => Verdict::MailboxFull,
        };
    }
    if (400..500).contains(&code) {
        return Verdict::Transient;
    }
    // 550 5.1.1 (no such user), other 5.1.x (bad address), 553, 554, ...
    Verdict::DeadRecipient
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_come_from_the_first_word_only() {
        assert_eq!(
            EnhancedCode::parse("5.2.2 Mailbox full"),
            Some(EnhancedCode { class: 5, subject: 2, detail: 2 })
        );
        assert_eq!(
            EnhancedCode::parse("4.2.2"),
            Some(EnhancedCode { class: 4, subject: 2, detail: 2 })
        );
        assert_eq!(EnhancedCode::parse("Mailbox 5.2.2 full"), None);
        assert_eq!(EnhancedCode::parse("3.2.2 x"), None);
        assert_eq!(EnhancedCode::parse("5.2 x"), None);
        assert_eq!(EnhancedCode::parse("5.2.2.1 x"), None);
        assert_eq!(EnhancedCode::parse("5.2222.2 x"), None);
        assert_eq!(EnhancedCode::parse(""), None);
        assert_eq!(EnhancedCode::parse("OK"), None);
    }

    #[test]
    fn replies_are_classed_by_code_enhanced_code_and_stage() {
        use Stage::*;
        use Verdict::*;
        let cases = [
            (Connect, 421, "4.3.2 shutting down", SessionTransient),
            (Mail, 421, "closing", SessionTransient),
            (Message, 421, "", SessionTransient),
            (Connect, 554, "no service", SessionDead),
            (Auth, 535, "5.7.8 Authentication credentials invalid", SessionDead),
            (Auth, 454, "4.7.0 try later", SessionTransient),
            (Rcpt, 452, "4.2.2 Mailbox full", MailboxFull),
            (Rcpt, 452, "Too much mail", MailboxFull),
            (Rcpt, 452, "4.5.3 Too many recipients", Transient),
            (Rcpt, 450, "4.2.2 over quota", MailboxFull),
            (Message, 552, "5.2.2 Mailbox full", MailboxFull),
            (Rcpt, 552, "Requested mail action aborted", MailboxFull),
            (Message, 552, "5.3.4 Message too big", TooLarge),
            (Message, 554, "5.3.4 Message too big", TooLarge),
            (Message, 552, "5.2.3 Message too long", TooLarge),
            (Message, 552, "Message size exceeds fixed maximum", TooLarge),
            (Mail, 552, "5.3.4 size", TooLarge),
            (Rcpt, 550, "5.1.1 No such user", DeadRecipient),
            (Rcpt, 553, "5.1.3 Bad address syntax", DeadRecipient),
            (Rcpt, 550, "no such user", DeadRecipient),
            (Mail, 451, "4.3.0 local error", Transient),
            (Data, 451, "try again", Transient),
            (Message, 554, "5.7.1 rejected as spam", DeadRecipient),
        ];
        for (stage, code, text, want) in cases {
            assert_eq!(classify(stage, code, text), want, "{stage:?} {code} {text}");
        }
    }
}
