//! An e-mail destination's settings (`config`) and secrets, parsed and checked.

use std::fmt;

use lettre::Address;
use lettre::message::Mailbox;
use serde::Deserialize;
use serde_json::Value;

/// `max_attachment_bytes` when the config does not say.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 10_000_000;
/// `mailbox_full_max_age_secs` when the config does not say: 72 hours.
pub const DEFAULT_MAILBOX_FULL_MAX_AGE_SECS: u64 = 72 * 3600;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain TCP, then `STARTTLS` before anything else (port 587 by
    /// default); a server that does not offer it is refused.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465 by default).
    Implicit,
    /// No encryption (port 25 by default): only for `localhost`, or with
    /// `"allow_plaintext": true`.
    None,
}

/// An e-mail destination's `config`, as stored (see [`crate::email`] for the
/// fields' meaning). Unknown fields are refused, so a misspelt field is an
/// error rather than a silently ignored setting.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default)]
    pub allow_plaintext: bool,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    pub to: Vec<String>,
    #[serde(default)]
    pub subject_template: Option<String>,
    #[serde(default = "default_max_attachment_bytes")]
    pub max_attachment_bytes: u64,
    #[serde(default = "default_mailbox_full_max_age_secs")]
    pub mailbox_full_max_age_secs: u64,
    #[serde(default)]
    pub send_updates: bool,
    #[serde(default)]
    pub tls_root_certificate_pem: Option<String>,
}

fn default_max_attachment_bytes() -> u64 {
    DEFAULT_MAX_ATTACHMENT_BYTES
}

fn default_mailbox_full_max_age_secs() -> u64 {
    DEFAULT_MAILBOX_FULL_MAX_AGE_SECS
}

/// `secrets` of an e-mail destination: `{"password": "..."}`, or nothing.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EmailSecrets {
    #[serde(default)]
    password: Option<String>,
}

/// A password that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The password itself, for the AUTH command only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Placeholders a `subject_template` may use.
pub const SUBJECT_PLACEHOLDERS: &[&str] = &[
    "direction",
    "from",
    "to",
    "external_number",
    "company_number",
    "duration",
    "started_at",
    "tenant",
];

/// A destination ready to send to: its config checked, addresses parsed,
/// the password taken out of the secrets.
#[derive(Debug, Clone)]
pub struct EmailDestination {
    pub config: EmailConfig,
    pub port: u16,
    pub from: Mailbox,
    /// The recipients, in the configured order, with their progress key
    /// (the address in lower case).
    pub to: Vec<(Address, String)>,
    pub password: Option<Password>,
}

impl EmailDestination {
    /// Parses and checks `config` and `secrets`; `default_from` applies
    /// when the config names no sender.
    pub fn parse(
        config: &Value,
        secrets: &Value,
        default_from: Option<&str>,
    ) -> Result<EmailDestination, String> {
        let config: EmailConfig = serde_json::from_value(config.clone())
            .map_err(|e| format!("e-mail destination config: {e}"))?;
        let secrets: EmailSecrets = if secrets.is_null() {
            EmailSecrets::default()
        } else {
            // serde_json's message may quote the offending value: never let
            // a secret reach an error message.
            serde_json::from_value(secrets.clone()).map_err(|_| {
                "e-mail destination secrets: expected {\"password\": \"...\"} and nothing else"
                    .to_owned()
            })?
        };

        let host = config.host.trim();
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("host: must be a host name or IP address".into());
        }
        if config.port == Some(0) {
            return Err("port: must be 1 to 65535".into());
        }
        let port = config.port.unwrap_or(match config.tls {
            TlsMode::Starttls => 587,
            TlsMode::Implicit => 465,
            TlsMode::None => 25,
        });
        if config.tls == TlsMode::None && !config.allow_plaintext && !is_loopback(host) {
            return Err(format!(
                "tls: \"none\" sends mail and passwords unencrypted; it is allowed only for \
                 localhost, or with \"allow_plaintext\": true (host is {host:?})"
            ));
        }
        let password = secrets.password.filter(|p| !p.is_empty()).map(Password);
        match (&config.username, &password) {
            (Some(u), None) if !u.is_empty() => {
                return Err("secrets.password: required when username is set".into());
            }
            (Some(u), _) if u.is_empty() => return Err("username: must not be empty".into()),
            (None, Some(_)) => return Err("username: required when a password is set".into()),
            _ => {}
        }
        let from_text = config
            .from
            .as_deref()
            .or(default_from)
            .ok_or("from: required (no default sender is configured)")?;
        let from: Mailbox =
            from_text.parse().map_err(|e| format!("from: {from_text:?} is not an address: {e}"))?;
        if config.to.is_empty() {
            return Err("to: at least one recipient is required".into());
        }
        let mut to = Vec::with_capacity(config.to.len());
        for (i, r) in config.to.iter().enumerate() {
            let addr: Address = r
                .trim()
                .parse()
                .map_err(|e| format!("to[{i}]: {r:?} is not an e-mail address: {e}"))?;
            let key = addr.to_string().to_lowercase();
            if to.iter().any(|(_, k)| *k == key) {
                return Err(format!("to[{i}]: {r:?} is listed twice"));
            }
            to.push((addr, key));
        }
        if let Some(t) = &config.subject_template {
            check_template(t).map_err(|e| format!("subject_template: {e}"))?;
        }
        if config.mailbox_full_max_age_secs == 0 {
            return Err("mailbox_full_max_age_secs: must be more than 0".into());
        }
        if let Some(pem) = &config.tls_root_certificate_pem {
            lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| format!("tls_root_certificate_pem: not a PEM certificate: {e}"))?;
        }
        Ok(EmailDestination { config, port, from, to, password })
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks that every `{name}` in a subject template is known and braces
/// are balanced (`{{` and `}}` stand for themselves).
pub fn check_template(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        let after = &rest[i + 1..];
        if rest[i..].starts_with("{{") || rest[i..].starts_with("}}") {
            rest = &rest[i + 2..];
            continue;
        }
        if rest.as_bytes()[i] == b'}' {
            return Err("unmatched '}' (write '}}' for a brace)".into());
        }
        let end = after.find('}').ok_or("unclosed '{' (write '{{' for a brace)")?;
        let name = &after[..end];
        if !SUBJECT_PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}}; known: {}",
                SUBJECT_PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[end + 1..];
    }
    if t.chars().any(|c| c == '\r' || c == '\n') {
        return Err("must be one line".into());
    }
    Ok(())
}

/// Fills a checked template: `value(name)` gives each placeholder's text.
pub fn fill_template(t: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(t.len() + 32);
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        match tail[1..].find('}') {
            Some(end) if tail.starts_with('{') => {
                out.push_str(&value(&tail[1..=end]));
                rest = &tail[end + 2..];
            }
            _ => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"host": "smtp.example.com", "from": "calls@example.com", "to": ["a@example.com"]})
    }

    fn with(extra: Value) -> Value {
        let mut v = base();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    #[test]
    fn defaults_apply() {
        let d = EmailDestination::parse(&base(), &Value::Null, None).unwrap();
        assert_eq!(d.port, 587);
        assert_eq!(d.config.tls, TlsMode::Starttls);
        assert_eq!(d.config.max_attachment_bytes, 10_000_000);
        assert_eq!(d.config.mailbox_full_max_age_secs, 72 * 3600);
        assert!(!d.config.send_updates);
        let d =
            EmailDestination::parse(&with(json!({"tls": "implicit"})), &Value::Null, None).unwrap();
        assert_eq!(d.port, 465);
    }

    #[test]
    fn bad_settings_get_clear_messages() {
        let cases = [
            (with(json!({"tls": "none"})), "allowed only for localhost"),
            (with(json!({"tls": "tls13"})), "unknown variant"),
            (with(json!({"to": []})), "at least one recipient"),
            (with(json!({"to": ["not an address"]})), "to[0]"),
            (with(json!({"to": ["a@x.com", "A@x.com"]})), "listed twice"),
            (with(json!({"from": "nobody"})), "from:"),
            (with(json!({"username": "u"})), "secrets.password"),
            (with(json!({"subject_template": "{nope}"})), "unknown placeholder {nope}"),
            (with(json!({"subject_template": "{tenant"})), "unclosed"),
            (with(json!({"port": 0})), "port"),
            (with(json!({"hots": "x"})), "unknown field `hots`"),
            (with(json!({"host": " "})), "host"),
            (with(json!({"mailbox_full_max_age_secs": 0})), "mailbox_full_max_age_secs"),
        ];
        for (config, want) in cases {
            let err = EmailDestination::parse(&config, &Value::Null, None).unwrap_err();
            assert!(err.contains(want), "{config}: {err}");
        }
        let mut no_from = base();
        no_from.as_object_mut().unwrap().remove("from");
        let err = EmailDestination::parse(&no_from, &Value::Null, None).unwrap_err();
        assert!(err.contains("from: required"), "{err}");
        assert!(EmailDestination::parse(&no_from, &Value::Null, Some("d@example.com")).is_ok());
    }

    #[test]
    fn plaintext_is_allowed_on_loopback_or_when_asked() {
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            let c = with(json!({"host": host, "tls": "none"}));
            assert_eq!(EmailDestination::parse(&c, &Value::Null, None).unwrap().port, 25);
        }
        let c = with(json!({"tls": "none", "allow_plaintext": true}));
        assert!(EmailDestination::parse(&c, &Value::Null, None).is_ok());
    }

    #[test]
    fn secrets_never_reach_errors() {
        let err =
            EmailDestination::parse(&base(), &json!({"password": 12345678}), None).unwrap_err();
        assert!(!err.contains("12345678"), "{err}");
        let err = EmailDestination::parse(&base(), &json!({"pasword": "hunter2-secret"}), None)
            .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn templates_fill() {
        let t = "{{x}} {direction}: {from} → {to}";
        check_template(t).unwrap();
        let s = fill_template(t, |n| format!("<{n}>"));
        assert_eq!(s, "{x} <direction>: <from> → <to>");
        assert!(check_template("a }").is_err());
        assert!(check_template("a\nb").is_err());
    }
}
