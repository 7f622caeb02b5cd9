//! SIP messages (RFC 3261 §7): parsing from a datagram or a framed stream
//! segment, typed header accessors, and serialisation.
//!
//! Parsing is tolerant because capture sees whatever a PBX sends: LF-only
//! line ends, folded headers, compact names, missing or wrong
//! Content-Length, non-UTF-8 bytes (replaced, never rejected). The parsed
//! message borrows the input where it can ([`SipMessage<'a>`]); call
//! [`SipMessage::into_owned`] to keep it.

use std::borrow::Cow;

use thiserror::Error;

use crate::headers::{CSeq, MediaType, Method, RAck, Replaces, SessionExpires, Via, name_matches};
use crate::text::split_unquoted;
use crate::uri::NameAddr;

/// Largest header section [`frame`] waits for before declaring the stream
/// invalid.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body [`frame`] accepts (SIPREC metadata can be large).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("malformed start line")]
    BadStartLine,
}

/// Result of [`frame`] on a stream buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// The first message is this many bytes long.
    Complete(usize),
    /// The buffer starts with this many CR/LF bytes: RFC 5626 keep-alives
    /// (a `CRLFCRLF` ping, to be answered with a `CRLF` pong, or a pong).
    /// Consume them and call [`frame`] again.
    KeepAlive(usize),
    /// More bytes are needed.
    Incomplete,
    /// The stream cannot be SIP from here on (garbage start line, huge
    /// headers, bad Content-Length); the caller should drop the connection
    /// or resynchronise.
    Invalid(&'static str),
}

/// Finds the length of the first message in a stream buffer (TCP, TLS
/// plaintext). A missing Content-Length means an empty body.
pub fn frame(buf: &[u8]) -> Framing {
    let skip = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    if skip > 0 {
        return Framing::KeepAlive(skip);
    }
    let rest = buf;
    if rest.is_empty() {
        return Framing::Incomplete;
    }
    let mut lines = LineIter { buf: rest, pos: 0 };
    let Some((first, _)) = lines.next_line() else {
        return if rest.len() > MAX_HEADER_BYTES {
            Framing::Invalid("start line too long")
        } else if looks_like_start_prefix(rest) {
            Framing::Incomplete
        } else {
            Framing::Invalid("not a sip start line")
        };
    };
    if parse_start_line(&String::from_utf8_lossy(first)).is_none() {
        return Framing::Invalid("not a sip start line");
    }
    let mut content_length: Option<usize> = None;
    loop {
        let Some((line, _)) = lines.next_line() else {
            return if rest.len() > MAX_HEADER_BYTES {
                Framing::Invalid("header section too long")
            } else {
                Framing::Incomplete
            };
        };
        if line.is_empty() {
            break;
        }
        if lines.pos > MAX_HEADER_BYTES {
            return Framing::Invalid("header section too long");
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let name = String::from_utf8_lossy(line.get(..colon).unwrap_or(&[]));
        if name_matches(&name, "Content-Length") {
            let value = String::from_utf8_lossy(line.get(colon + 1..).unwrap_or(&[]));
            let Ok(n) = value.trim().parse::<usize>() else {
                return Framing::Invalid("bad content-length");
            };
            if content_length.is_some_and(|c| c != n) {
                return Framing::Invalid("conflicting content-length");
            }
            content_length = Some(n);
        }
    }
    let cl = content_length.unwrap_or(0);
    if cl > MAX_BODY_BYTES {
        return Framing::Invalid("body too large");
    }
    let total = lines.pos + cl;
    if buf.len() >= total { Framing::Complete(total) } else { Framing::Incomplete }
}

/// Could `partial` (a start line without its end yet) still become one?
fn looks_like_start_prefix(partial: &[u8]) -> bool {
    let n = partial.len().min(8);
    let head = partial.get(..n).unwrap_or(&[]);
    let sip = b"SIP/2.0 ";
    if head.iter().zip(sip.iter()).all(|(a, b)| a.eq_ignore_ascii_case(b)) {
        return true;
    }
    // a method token: uppercase letters, then optionally a space
    let tok = partial
        .iter()
        .take_while(|b| {
            b.is_ascii_alphabetic()
                || matches!(b, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
        })
        .count();
    tok > 0 && (tok == partial.len() || partial.get(tok) == Some(&b' '))
}

struct LineIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> LineIter<'a> {
    /// The next complete line without its `\r\n`/`\n`, and its start.
    fn next_line(&mut self) -> Option<(&'a [u8], usize)> {
        let start = self.pos;
        let rest = self.buf.get(start..)?;
        let nl = rest.iter().position(|&b| b == b'\n')?;
        self.pos = start + nl + 1;
        let mut line = rest.get(..nl)?;
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        Some((line, start))
    }
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: Method, method_str: Cow<'a, str>, uri: Cow<'a, str>, version: Cow<'a, str> },
    Response { version: Cow<'a, str>, code: u16, reason: Cow<'a, str> },
}

impl StartLine<'_> {
    fn into_owned(self) -> StartLine<'static> {
        match self {
            StartLine::Request { method, method_str, uri, version } => StartLine::Request {
                method,
                method_str: Cow::Owned(method_str.into_owned()),
                uri: Cow::Owned(uri.into_owned()),
                version: Cow::Owned(version.into_owned()),
            },
            StartLine::Response { version, code, reason } => StartLine::Response {
                version: Cow::Owned(version.into_owned()),
                code,
                reason: Cow::Owned(reason.into_owned()),
            },
        }
    }
}

/// Byte ranges of a start line's three parts inside the line text.
enum StartParts {
    Request { method: (usize, usize), uri: (usize, usize), version: (usize, usize) },
    Response { version: (usize, usize), code: u16, reason: (usize, usize) },
}

fn token_ranges(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in line.bytes().enumerate() {
        let ws = b == b' ' || b == b'\t';
        match (ws, start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

fn parse_start_line(line: &str) -> Option<StartParts> {
    let toks = token_ranges(line);
    let first = *toks.first()?;
    let first_str = line.get(first.0..first.1)?;
    if first_str.len() >= 4 && first_str.get(..4)?.eq_ignore_ascii_case("SIP/") {
        let code_r = *toks.get(1)?;
        let code: u16 = line.get(code_r.0..code_r.1)?.parse().ok()?;
        if !(100..=699).contains(&code) {
            return None;
        }
        let reason = match toks.get(2) {
            Some(r) => (r.0, line.trim_end().len().max(r.0)),
            None => (line.len(), line.len()),
        };
        return Some(StartParts::Response { version: first, code, reason });
    }
    if toks.len() != 3 {
        return None;
    }
    let method_ok = first_str.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
    });
    let version = *toks.get(2)?;
    let v = line.get(version.0..version.1)?;
    if !method_ok || v.len() < 4 || !v.get(..4)?.eq_ignore_ascii_case("SIP/") {
        return None;
    }
    Some(StartParts::Request { method: first, uri: *toks.get(1)?, version })
}

/// Slices a `Cow` keeping it borrowed when it was.
fn sub<'a>(c: &Cow<'a, str>, (from, to): (usize, usize)) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(from..to).unwrap_or("")),
        Cow::Owned(s) => Cow::Owned(s.get(from..to).unwrap_or("").to_owned()),
    }
}

fn trim_cow(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

/// One header line (after unfolding). `name` is as written, maybe compact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// A parsed SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage<'a> {
    pub start: StartLine<'a>,
    /// Headers in wire order; repeated headers stay separate entries.
    pub headers: Vec<Header<'a>>,
    pub body: Cow<'a, [u8]>,
    /// Content-Length said more than the datagram held.
    pub body_truncated: bool,
    /// Header lines without a colon that were skipped.
    pub malformed_lines: u32,
}

/// A message that owns its text.
pub type OwnedSipMessage = SipMessage<'static>;

impl<'a> SipMessage<'a> {
    /// Parses one message from a datagram or a framed stream segment. Bytes
    /// past Content-Length are ignored; a Content-Length larger than the
    /// input takes what is there and sets `body_truncated`. A message
    /// without a blank line has an empty body.
    pub fn parse(buf: &'a [u8]) -> Result<SipMessage<'a>, ParseError> {
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let buf = buf.get(skip..).unwrap_or(&[]);
        if buf.is_empty() {
            return Err(ParseError::Empty);
        }
        let mut lines = LineIter { buf, pos: 0 };
        let (first, body_start) = match lines.next_line() {
            Some((l, _)) => (l, None),
            None => (buf, Some(buf.len())),
        };
        let first = String::from_utf8_lossy(first);
        let start = match parse_start_line(&first).ok_or(ParseError::BadStartLine)? {
            StartParts::Request { method, uri, version } => {
                let method_str = sub(&first, method);
                StartLine::Request {
                    method: Method::parse(&method_str),
                    method_str,
                    uri: sub(&first, uri),
                    version: sub(&first, version),
                }
            }
            StartParts::Response { version, code, reason } => StartLine::Response {
                version: sub(&first, version),
                code,
                reason: sub(&first, reason),
            },
        };
        let mut headers: Vec<Header<'a>> = Vec::new();
        let mut malformed_lines = 0u32;
        let mut body_start = body_start;
        while body_start.is_none() {
            let line = match lines.next_line() {
                Some((l, _)) => l,
                None => {
                    // a last line without terminator, then no body
                    let tail = buf.get(lines.pos..).unwrap_or(&[]);
                    let tail = tail.strip_suffix(b"\r").unwrap_or(tail);
                    lines.pos = buf.len();
                    body_start = Some(buf.len());
                    if tail.is_empty() {
                        break;
                    }
                    tail
                }
            };
            if line.is_empty() {
                body_start = Some(lines.pos);
                break;
            }
            let text = String::from_utf8_lossy(line);
            if matches!(line.first(), Some(b' ' | b'\t')) {
                if let Some(last) = headers.last_mut() {
                    let mut v = std::mem::take(&mut last.value).into_owned();
                    v.push(' ');
                    v.push_str(text.trim());
                    last.value = Cow::Owned(v);
                } else {
                    malformed_lines = malformed_lines.saturating_add(1);
                }
                continue;
            }
            match text.find(':') {
                Some(colon) if !text.get(..colon).unwrap_or("").trim().is_empty() => {
                    let name = trim_cow(sub(&text, (0, colon)));
                    let value = trim_cow(sub(&text, (colon + 1, text.len())));
                    headers.push(Header { name, value });
                }
                _ => malformed_lines = malformed_lines.saturating_add(1),
            }
        }
        let body_start = body_start.unwrap_or(buf.len()).min(buf.len());
        let rest = buf.get(body_start..).unwrap_or(&[]);
        let declared = headers
            .iter()
            .find(|h| name_matches(&h.name, "Content-Length"))
            .and_then(|h| h.value.trim().parse::<usize>().ok());
        let (body, body_truncated) = match declared {
            Some(n) if n <= rest.len() => (rest.get(..n).unwrap_or(&[]), false),
            Some(_) => (rest, true),
            None => (rest, false),
        };
        Ok(SipMessage {
            start,
            headers,
            body: Cow::Borrowed(body),
            body_truncated,
            malformed_lines,
        })
    }

    /// Copies everything borrowed so the message outlives its buffer.
    pub fn into_owned(self) -> OwnedSipMessage {
        SipMessage {
            start: self.start.into_owned(),
            headers: self
                .headers
                .into_iter()
                .map(|h| Header {
                    name: Cow::Owned(h.name.into_owned()),
                    value: Cow::Owned(h.value.into_owned()),
                })
                .collect(),
            body: Cow::Owned(self.body.into_owned()),
            body_truncated: self.body_truncated,
            malformed_lines: self.malformed_lines,
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    pub fn method(&self) -> Option<Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(*method),
            StartLine::Response { .. } => None,
        }
    }

    /// Method text of a request, e.g. `INVITE` or an extension method.
    pub fn method_str(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method_str, .. } => Some(method_str),
            StartLine::Response { .. } => None,
        }
    }

    pub fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match &self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// Every value of header `name` (full or compact, any case), in order.
    pub fn header_values<'s, 'n>(
        &'s self,
        name: &'n str,
    ) -> impl Iterator<Item = &'s str> + use<'s, 'n, 'a> {
        self.headers.iter().filter(move |h| name_matches(&h.name, name)).map(|h| &*h.value)
    }

    /// The first value of header `name`, e.g. `X-Linkedid`, `Cisco-Guid`,
    /// `Session-ID`, `X-Cisco-Recording-Participant`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    /// All comma-separated elements of a list header (Via, Contact,
    /// Supported, Route...) over every occurrence, quote-aware.
    pub fn header_list<'s, 'n>(
        &'s self,
        name: &'n str,
    ) -> impl Iterator<Item = &'s str> + use<'s, 'n, 'a> {
        self.header_values(name).flat_map(|v| split_unquoted(v, b','))
    }

    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID").map(str::trim).filter(|c| !c.is_empty())
    }

    pub fn from(&self) -> Option<NameAddr<'_>> {
        self.header("From").and_then(NameAddr::parse)
    }

    pub fn to(&self) -> Option<NameAddr<'_>> {
        self.header("To").and_then(NameAddr::parse)
    }

    pub fn cseq(&self) -> Option<CSeq<'_>> {
        self.header("CSeq").and_then(CSeq::parse)
    }

    /// The RAck of a PRACK (RFC 3262).
    pub fn rack(&self) -> Option<RAck<'_>> {
        self.header("RAck").and_then(RAck::parse)
    }

    /// Every Via, top first.
    pub fn vias(&self) -> Vec<Via<'_>> {
        self.header_list("Via").filter_map(Via::parse).collect()
    }

    pub fn top_via(&self) -> Option<Via<'_>> {
        self.header_list("Via").next().and_then(Via::parse)
    }

    /// Contacts; `*` (REGISTER wildcard) is skipped.
    pub fn contacts(&self) -> Vec<NameAddr<'_>> {
        self.header_list("Contact").filter(|c| *c != "*").filter_map(NameAddr::parse).collect()
    }

    pub fn content_type(&self) -> Option<MediaType<'_>> {
        self.header("Content-Type").and_then(MediaType::parse)
    }

    /// The declared Content-Length, if present and numeric.
    pub fn content_length(&self) -> Option<usize> {
        self.header("Content-Length").and_then(|v| v.trim().parse().ok())
    }

    /// Option tags of Require.
    pub fn require(&self) -> Vec<&str> {
        self.header_list("Require").collect()
    }

    /// Option tags of Supported.
    pub fn supported(&self) -> Vec<&str> {
        self.header_list("Supported").collect()
    }

    /// True when `tag` is in Require (case-insensitive).
    pub fn requires(&self, tag: &str) -> bool {
        self.header_list("Require").any(|t| t.eq_ignore_ascii_case(tag))
    }

    pub fn refer_to(&self) -> Option<NameAddr<'_>> {
        self.header("Refer-To").and_then(NameAddr::parse)
    }

    pub fn referred_by(&self) -> Option<NameAddr<'_>> {
        self.header("Referred-By").and_then(NameAddr::parse)
    }

    /// The Replaces header (RFC 3891).
    pub fn replaces(&self) -> Option<Replaces> {
        self.header("Replaces").and_then(Replaces::parse)
    }

    /// Replaces carried in the Refer-To URI (`?Replaces=...`), as sent for an
    /// attended transfer.
    pub fn refer_to_replaces(&self) -> Option<Replaces> {
        let r = self.refer_to()?;
        let v = r.uri?.header("Replaces")?;
        Replaces::parse(&v)
    }

    pub fn session_expires(&self) -> Option<SessionExpires> {
        self.header("Session-Expires").and_then(SessionExpires::parse)
    }

    pub fn min_se(&self) -> Option<u32> {
        self.header("Min-SE").and_then(|v| v.split(';').next()?.trim().parse().ok())
    }

    pub fn max_forwards(&self) -> Option<u32> {
        self.header("Max-Forwards").and_then(|v| v.trim().parse().ok())
    }

    /// Appends a header.
    pub fn push_header(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        self.headers.push(Header { name: name.into(), value: value.into() });
    }

    /// Removes every header called `name` (compact forms included).
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|h| !name_matches(&h.name, name));
    }

    /// Replaces the body and its Content-Type.
    pub fn set_body(&mut self, content_type: &str, body: Vec<u8>) {
        self.remove_header("Content-Type");
        self.headers.push(Header {
            name: "Content-Type".into(),
            value: Cow::Owned(content_type.to_owned()),
        });
        self.body = Cow::Owned(body);
        self.body_truncated = false;
    }

    /// Serialises with CRLF line ends; Content-Length is rewritten to the
    /// body's length (and added when missing).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        match &self.start {
            StartLine::Request { method_str, uri, version, .. } => {
                out.extend_from_slice(format!("{method_str} {uri} {version}\r\n").as_bytes());
            }
            StartLine::Response { version, code, reason } => {
                out.extend_from_slice(format!("{version} {code} {reason}\r\n").as_bytes());
            }
        }
        for h in self.headers.iter().filter(|h| !name_matches(&h.name, "Content-Length")) {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Builds a response to this request (RFC 3261 §8.2.6): copies Via,
    /// From, To, Call-ID and CSeq (and Record-Route for 101–299 answers
    /// to dialog-creating requests), adds `;tag=to_tag` to To when To has no
    /// tag and the code is above 100. Add Contact and a body afterwards with
    /// [`push_header`](Self::push_header) and [`set_body`](Self::set_body).
    pub fn response(&self, code: u16, reason: &str, to_tag: Option<&str>) -> OwnedSipMessage {
        let mut headers = Vec::new();
        let own = |n: &str, v: &str| Header {
            name: Cow::Owned(n.to_owned()),
            value: Cow::Owned(v.to_owned()),
        };
        for v in self.header_values("Via") {
            headers.push(own("Via", v));
        }
        let dialog_creating =
            matches!(self.method(), Some(Method::Invite | Method::Subscribe | Method::Refer));
        if dialog_creating && (101..300).contains(&code) {
            for v in self.header_values("Record-Route") {
                headers.push(own("Record-Route", v));
            }
        }
        if let Some(v) = self.header("From") {
            headers.push(own("From", v));
        }
        if let Some(v) = self.header("To") {
            let has_tag = NameAddr::parse(v).is_some_and(|n| n.tag().is_some());
            match to_tag {
                Some(tag) if !has_tag && code > 100 => {
                    headers.push(own("To", &format!("{v};tag={tag}")))
                }
                _ => headers.push(own("To", v)),
            }
        }
        for name in ["Call-ID", "CSeq"] {
            if let Some(v) = self.header(name) {
                headers.push(own(name, v));
            }
        }
        SipMessage {
            start: StartLine::Response {
                version: Cow::Borrowed("SIP/2.0"),
                code,
                reason: Cow::Owned(reason.to_owned()),
            },
            headers,
            body: Cow::Owned(Vec::new()),
            body_truncated: false,
            malformed_lines: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\r\n";

    #[test]
    fn parse_invite() {
        let m = SipMessage::parse(INVITE.as_bytes()).unwrap();
        assert_eq!(m.method(), Some(Method::Invite));
        assert_eq!(m.request_uri(), Some("sip:bob@biloxi.com"));
        assert_eq!(m.call_id(), Some("a84b4c76e66710"));
        assert_eq!(m.from().unwrap().tag(), Some("1928301774"));
        assert_eq!(m.to().unwrap().tag(), None);
        assert_eq!(m.cseq().unwrap().seq, 314159);
        assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bKnashds8"));
        assert_eq!(m.max_forwards(), Some(70));
        assert_eq!(&*m.body, b"v=0\r");
        assert!(matches!(m.headers[0].value, Cow::Borrowed(_)));
        assert_eq!(frame(INVITE.as_bytes()), Framing::Complete(INVITE.len() - 1));
    }
}
