//! Typed views of individual header values: Via, CSeq, Content-Type,
//! Replaces, Session-Expires, and header-name normalisation.

use std::borrow::Cow;

use crate::text::{Params, split_unquoted};
use crate::uri::split_host_port;

/// Expands an RFC 3261 §7.3.3 / IANA compact header form to its full name.
/// Longer names are returned unchanged.
pub fn expand_compact(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    match name.as_bytes().first().map(u8::to_ascii_lowercase) {
        Some(b'a') => "Accept-Contact",
        Some(b'b') => "Referred-By",
        Some(b'c') => "Content-Type",
        Some(b'd') => "Request-Disposition",
        Some(b'e') => "Content-Encoding",
        Some(b'f') => "From",
        Some(b'i') => "Call-ID",
        Some(b'j') => "Reject-Contact",
        Some(b'k') => "Supported",
        Some(b'l') => "Content-Length",
        Some(b'm') => "Contact",
        Some(b'n') => "Identity-Info",
        Some(b'o') => "Event",
        Some(b'r') => "Refer-To",
        Some(b's') => "Subject",
        Some(b't') => "To",
        Some(b'u') => "Allow-Events",
        Some(b'v') => "Via",
        Some(b'x') => "Session-Expires",
        Some(b'y') => "Identity",
        _ => name,
    }
}

/// True when header `name` (as written, maybe compact) denotes `wanted`
/// (a full or compact name), ignoring case.
pub fn name_matches(name: &str, wanted: &str) -> bool {
    expand_compact(name.trim()).eq_ignore_ascii_case(expand_compact(wanted))
}

/// SIP request methods. Unknown methods are [`Method::Other`]; their text
/// stays available from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Refer,
    Notify,
    Subscribe,
    Info,
    Update,
    Prack,
    Message,
    Publish,
    Other,
}

impl Method {
    /// Methods are case-sensitive (RFC 3261 §7.1).
    pub fn parse(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            _ => Method::Other,
        }
    }

    /// The canonical text; `None` for [`Method::Other`].
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other => return None,
        })
    }
}

/// One Via header value (`SIP/2.0/UDP host:port;branch=z9hG4bK...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via<'a> {
    /// `SIP/2.0/UDP`.
    pub protocol: &'a str,
    /// `UDP`, `TCP`, `TLS`, `WS`...
    pub transport: &'a str,
    pub host: &'a str,
    pub port: Option<u16>,
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    pub fn parse(s: &'a str) -> Option<Via<'a>> {
        let s = s.trim();
        let (head, params) = s.split_once(';').unwrap_or((s, ""));
        let head = head.trim();
        // protocol may contain spaces around '/': "SIP / 2.0 / UDP"
        let split = head.rfind(|c: char| c.is_ascii_whitespace())?;
        let protocol = head.get(..split)?.trim();
        let sent_by = head.get(split..)?.trim();
        let transport = protocol.rsplit('/').next().unwrap_or("").trim();
        if !protocol.to_ascii_uppercase().starts_with("SIP") || sent_by.is_empty() {
            return None;
        }
        let (host, port) = split_host_port(sent_by);
        Some(Via { protocol, transport, host, port, params: Params(params) })
    }

    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").filter(|b| !b.is_empty())
    }

    /// True for an RFC 3261 branch (magic cookie `z9hG4bK`).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }

    pub fn received(&self) -> Option<&'a str> {
        self.params.get("received")
    }

    /// `rport` value; `Some(None)` when present without a value.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params.get("rport").map(|v| v.parse().ok())
    }
}

/// `CSeq: 4711 INVITE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: Method,
    pub method_str: &'a str,
}

impl<'a> CSeq<'a> {
    pub fn parse(s: &'a str) -> Option<CSeq<'a>> {
        let mut it = s.split_ascii_whitespace();
        let seq = it.next()?.parse().ok()?;
        let method_str = it.next()?;
        Some(CSeq { seq, method: Method::parse(method_str), method_str })
    }
}

/// The RAck header of a PRACK (RFC 3262 §7.2): which reliable provisional
/// it acknowledges (`RAck: 776656 1 INVITE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck<'a> {
    /// The provisional response's RSeq.
    pub rseq: u32,
    /// The CSeq number of the request the provisional answered.
    pub cseq: u32,
    /// The method of that request.
    pub method: Method,
    pub method_str: &'a str,
}

impl<'a> RAck<'a> {
    /// `None` unless three fields: two numbers and a method.
    pub fn parse(s: &'a str) -> Option<RAck<'a>> {
        let mut it = s.split_ascii_whitespace();
        let rseq = it.next()?.parse().ok()?;
        let cseq = it.next()?.parse().ok()?;
        let method_str = it.next()?;
        if it.next().is_some() {
            return None;
        }
        Some(RAck { rseq, cseq, method: Method::parse(method_str), method_str })
    }
}

/// A media type with parameters (`multipart/mixed;boundary=foo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType<'a> {
    pub type_: &'a str,
    pub subtype: &'a str,
    pub params: Params<'a>,
}

impl<'a> MediaType<'a> {
    pub fn parse(s: &'a str) -> Option<MediaType<'a>> {
        let s = s.trim();
        let (essence, params) = s.split_once(';').unwrap_or((s, ""));
        let (type_, subtype) = essence.split_once('/')?;
        Some(MediaType { type_: type_.trim(), subtype: subtype.trim(), params: Params(params) })
    }

    /// Case-insensitive comparison with `type/subtype`.
    pub fn is(&self, type_: &str, subtype: &str) -> bool {
        self.type_.eq_ignore_ascii_case(type_) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// The `boundary` parameter with quotes removed.
    pub fn boundary(&self) -> Option<Cow<'a, str>> {
        self.params.get_unquoted("boundary").filter(|b| !b.is_empty())
    }
}

/// The Replaces header (RFC 3891), also found inside a Refer-To URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: Option<String>,
    pub from_tag: Option<String>,
    pub early_only: bool,
}

impl Replaces {
    pub fn parse(s: &str) -> Option<Replaces> {
        let mut parts = split_unquoted(s, b';');
        let call_id = parts.next()?.trim();
        if call_id.is_empty() {
            return None;
        }
        let rest = Params(s.split_once(';').map(|x| x.1).unwrap_or(""));
        Some(Replaces {
            call_id: call_id.to_owned(),
            to_tag: rest.get("to-tag").map(str::to_owned),
            from_tag: rest.get("from-tag").map(str::to_owned),
            early_only: rest.contains("early-only"),
        })
    }
}

/// Who refreshes a session timer (RFC 4028).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    Uac,
    Uas,
}

/// `Session-Expires: 1800;refresher=uac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires {
    pub delta_secs: u32,
    pub refresher: Option<Refresher>,
}

impl SessionExpires {
    pub fn parse(s: &str) -> Option<SessionExpires> {
        let (delta, params) = s.split_once(';').unwrap_or((s, ""));
        let delta_secs = delta.trim().parse().ok()?;
        let refresher = match Params(params).get("refresher") {
            Some(r) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(r) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            _ => None,
        };
        Some(SessionExpires { delta_secs, refresher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_names() {
        assert!(name_matches("i", "Call-ID"));
        assert!(name_matches("CALL-id", "i"));
        assert!(name_matches("x", "session-expires"));
        assert!(!name_matches("To", "From"));
        assert_eq!(expand_compact("q"), "q");
    }

    #[test]
    fn via() {
        let v = Via::parse(
            "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport;received=1.2.3.4",
        )
        .unwrap();
        assert_eq!((v.transport, v.host, v.port), ("UDP", "pc33.atlanta.com", Some(5066)));
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("1.2.3.4"));
        let v = Via::parse("SIP / 2.0 / TCP [2001:db8::9]:5060").unwrap();
        assert_eq!(
            (v.transport, v.host, v.port, v.branch()),
            ("TCP", "2001:db8::9", Some(5060), None)
        );
        assert!(Via::parse("garbage").is_none());
    }

    #[test]
    fn cseq_media_replaces_se() {
        let c = CSeq::parse(" 314159   INVITE ").unwrap();
        assert_eq!((c.seq, c.method), (314159, Method::Invite));
        assert!(CSeq::parse("x INVITE").is_none());
        let m = MediaType::parse("Multipart/Mixed; boundary=\"a b\"").unwrap();
        assert!(m.is("multipart", "mixed"));
        assert_eq!(m.boundary().as_deref(), Some("a b"));
        let r =
            Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only")
                .unwrap();
        assert_eq!(r.call_id, "98732@sip.example.com");
        assert_eq!(r.to_tag.as_deref(), Some("ff87ff"));
        assert_eq!(r.from_tag.as_deref(), Some("r33th4x0r"));
        assert!(r.early_only);
        let s = SessionExpires::parse("1800;refresher=UAS").unwrap();
        assert_eq!(s, SessionExpires { delta_secs: 1800, refresher: Some(Refresher::Uas) });
    }
}
