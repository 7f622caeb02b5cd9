//! SIP message parsing, framing and response building.
//!
//! Parsed messages go through [`check`]: every typed accessor rendered one
//! per line, then the headers no accessor covers, then the body, compared
//! with an inline snapshot. `UPDATE_EXPECT=1 cargo test` rewrites the
//! snapshots; read the diff before committing it.

use std::fmt::Write as _;

use callvault_sip::{Framing, NameAddr, SipMessage, StartLine, frame};
use expect_test::{Expect, expect};
use proptest::prelude::*;

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

/// Headers shown through an accessor (long and compact names).
const TYPED: &[&str] = &[
    "via",
    "v",
    "from",
    "f",
    "to",
    "t",
    "call-id",
    "i",
    "cseq",
    "contact",
    "m",
    "supported",
    "k",
    "require",
    "session-expires",
    "x",
    "min-se",
    "content-type",
    "c",
    "content-length",
    "l",
    "refer-to",
    "r",
    "referred-by",
    "b",
    "replaces",
];

fn check(bytes: &[u8], expect: Expect) {
    let out = match SipMessage::parse(bytes) {
        Ok(m) => render(&m),
        Err(e) => format!("error: {e}\n"),
    };
    expect.assert_eq(&out);
}

fn render(m: &SipMessage<'_>) -> String {
    let mut out = String::new();
    match &m.start {
        StartLine::Request { method, method_str, uri, version } => {
            writeln!(out, "request {method:?} ({method_str}) {uri} {version}").unwrap()
        }
        StartLine::Response { version, code, reason } => {
            writeln!(out, "response {version} {code} {reason:?}").unwrap()
        }
    }
    for v in m.vias() {
        let port = v.port.map(|p| format!(":{p}")).unwrap_or_default();
        let branch = v.branch().unwrap_or("-");
        writeln!(out, "via {} {}{port} branch={branch} ;{}", v.transport, v.host, v.params.0)
            .unwrap();
    }
    let addrs = [("from", m.from()), ("to", m.to()), ("refer-to", m.refer_to())];
    for (name, addr) in addrs.into_iter().chain([("referred-by", m.referred_by())]) {
        if let Some(a) = addr {
            writeln!(out, "{name} {}", name_addr(&a)).unwrap();
        }
    }
    for c in m.contacts() {
        writeln!(out, "contact {}", name_addr(&c)).unwrap();
    }
    if let Some(id) = m.call_id() {
        writeln!(out, "call-id {id}").unwrap();
    }
    if let Some(c) = m.cseq() {
        writeln!(out, "cseq {} {:?} ({})", c.seq, c.method, c.method_str).unwrap();
    }
    for (name, list) in [("supported", m.supported()), ("require", m.require())] {
        if !list.is_empty() {
            writeln!(out, "{name} {}", list.join(" ")).unwrap();
        }
    }
    if let Some(se) = m.session_expires() {
        writeln!(out, "session-expires {}s refresher={:?}", se.delta_secs, se.refresher).unwrap();
    }
    if let Some(n) = m.min_se() {
        writeln!(out, "min-se {n}s").unwrap();
    }
    for (name, r) in [("replaces", m.replaces()), ("refer-to replaces", m.refer_to_replaces())] {
        if let Some(r) = r {
            let (to, from) = (r.to_tag.as_deref(), r.from_tag.as_deref());
            let early = if r.early_only { " early-only" } else { "" };
            writeln!(out, "{name} {} to-tag={to:?} from-tag={from:?}{early}", r.call_id).unwrap();
        }
    }
    if let Some(ct) = m.content_type() {
        writeln!(out, "content-type {}/{} ;{}", ct.type_, ct.subtype, ct.params.0).unwrap();
    }
    if let Some(n) = m.content_length() {
        writeln!(out, "content-length {n}").unwrap();
    }
    for h in m.headers.iter().filter(|h| !TYPED.contains(&h.name.to_ascii_lowercase().as_str())) {
        writeln!(out, "header {}: {}", h.name, h.value).unwrap();
    }
    let truncated = if m.body_truncated { " (truncated)" } else { "" };
    writeln!(out, "body {:?}{truncated}", String::from_utf8_lossy(&m.body)).unwrap();
    if m.malformed_lines > 0 {
        writeln!(out, "malformed lines {}", m.malformed_lines).unwrap();
    }
    out
}

/// `"display" <scheme user= host= port= ;uri-params ?headers> ;params`,
/// each part as parsed.
fn name_addr(a: &NameAddr<'_>) -> String {
    let mut out = String::new();
    if let Some(d) = &a.display_name {
        write!(out, "{d:?} ").unwrap();
    }
    match &a.uri {
        Some(u) => {
            write!(out, "<{:?}", u.scheme).unwrap();
            if let Some(user) = u.user {
                write!(out, " user={user}").unwrap();
            }
            write!(out, " host={}", u.host).unwrap();
            if let Some(p) = u.port {
                write!(out, " port={p}").unwrap();
            }
            if !u.params.is_empty() {
                write!(out, " ;{}", u.params.0).unwrap();
            }
            if !u.headers.is_empty() {
                write!(out, " ?{}", u.headers).unwrap();
            }
            out.push('>');
        }
        None => write!(out, "<unparsed {}>", a.uri_str).unwrap(),
    }
    if !a.params.is_empty() {
        write!(out, " ;{}", a.params.0).unwrap();
    }
    out
}

const COMPACT: &str = "INVITE sip:200@pbx.example;user=phone SIP/2.0
v: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKa1;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa2
V: SIP/2.0/UDP 10.0.0.3:5070;branch=z9hG4bKa3
f: \"Alice, A\" <sip:100@pbx.example>;tag=f1
t: <sip:200@pbx.example>
i: call-1@10.0.0.1
CSeq: 1 INVITE
m: <sip:100@10.0.0.1:5060;transport=tcp>;expires=60, \"X\" <sip:x@y>
k: replaces, timer
Supported: 100rel
Require: siprec
x: 1800;refresher=uac
Min-SE: 90
X-Linkedid: 1700000000.42
Cisco-Guid: 1234-5678
Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000
X-Cisco-Recording-Participant: \"Agent\" <sip:1000@10.0.0.1>;media-index=\"1\"
Subject: a folded
  subject line
\tcontinued
c: application/sdp
l: 5

v=0
garbage after the body";

#[test]
fn compact_forms_folding_lists() {
    let buf = crlf(COMPACT);
    check(
        &buf,
        expect![[r#"
            request Invite (INVITE) sip:200@pbx.example;user=phone SIP/2.0
            via TCP 10.0.0.1:5060 branch=z9hG4bKa1 ;branch=z9hG4bKa1;rport
            via UDP 10.0.0.2 branch=z9hG4bKa2 ;branch=z9hG4bKa2
            via UDP 10.0.0.3:5070 branch=z9hG4bKa3 ;branch=z9hG4bKa3
            from "Alice, A" <Sip user=100 host=pbx.example> ;tag=f1
            to <Sip user=200 host=pbx.example>
            contact <Sip user=100 host=10.0.0.1 port=5060 ;transport=tcp> ;expires=60
            contact "X" <Sip user=x host=y>
            call-id call-1@10.0.0.1
            cseq 1 Invite (INVITE)
            supported replaces timer 100rel
            require siprec
            session-expires 1800s refresher=Some(Uac)
            min-se 90s
            content-type application/sdp ;
            content-length 5
            header X-Linkedid: 1700000000.42
            header Cisco-Guid: 1234-5678
            header Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000
            header X-Cisco-Recording-Participant: "Agent" <sip:1000@10.0.0.1>;media-index="1"
            header Subject: a folded subject line continued
            body "v=0\r\n"
        "#]],
    );
    // Lookups ignore case; vendor headers parse as name-addrs.
    let m = SipMessage::parse(&buf).unwrap();
    assert!(m.requires("SIPREC"));
    assert_eq!(m.header("x-linkedid"), Some("1700000000.42"));
    assert_eq!(m.header("CISCO-GUID"), Some("1234-5678"));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bKa1"));
    assert_eq!(m.header("nonexistent"), None);
    let crp = NameAddr::parse(m.header("x-cisco-recording-participant").unwrap()).unwrap();
    assert_eq!(
        (crp.user(), crp.params.get_unquoted("media-index").as_deref()),
        (Some("1000"), Some("1"))
    );
}

#[test]
fn lf_only_and_no_content_length() {
    check(
        b"SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: <sip:b@h>;tag=t\n\nbody",
        expect![[r#"
            response SIP/2.0 180 "Ringing"
            via UDP h branch=z9hG4bK1 ;branch=z9hG4bK1
            to <Sip user=b host=h> ;tag=t
            body "body"
        "#]],
    );
}

#[test]
fn body_shorter_than_its_content_length() {
    check(
        b"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 100\r\n\r\nshort",
        expect![[r#"
            response SIP/2.0 200 "OK"
            call-id x
            content-length 100
            body "short" (truncated)
        "#]],
    );
}

/// Headers only, no blank line (a truncated datagram).
#[test]
fn headers_without_an_end() {
    check(
        b"BYE sip:a@b SIP/2.0\r\nCall-ID: y",
        expect![[r#"
            request Bye (BYE) sip:a@b SIP/2.0
            call-id y
            body ""
        "#]],
    );
}

/// Reason phrases with spaces around, and none at all.
#[test]
fn reason_phrases() {
    check(
        b"SIP/2.0 486 Busy Here  \r\n\r\n",
        expect![[r#"
            response SIP/2.0 486 "Busy Here"
            body ""
        "#]],
    );
    check(
        b"SIP/2.0 200\r\n\r\n",
        expect![[r#"
            response SIP/2.0 200 ""
            body ""
        "#]],
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut out = String::new();
    for bad in [
        &b""[..],
        b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"SIP/2.0 99 Low\r\n",
        b"INVITE sip:x\r\n",
        b"\xff\xfe\x00",
    ] {
        let got = SipMessage::parse(bad).map(|m| render(&m));
        writeln!(out, "{}: {got:?}", bad.escape_ascii()).unwrap();
    }
    expect![[r#"
        : Err(Empty)
        \r\n\r\n: Err(Empty)
        HTTP/1.1 200 OK\r\n\r\n: Err(BadStartLine)
        SIP/2.0 99 Low\r\n: Err(BadStartLine)
        INVITE sip:x\r\n: Err(BadStartLine)
        \xff\xfe\x00: Err(BadStartLine)
    "#]]
    .assert_eq(&out);
}

/// A line without a colon is counted and skipped; a bad byte in a value
/// does not lose the header.
#[test]
fn malformed_header_lines() {
    check(
        b"OPTIONS sip:x SIP/2.0\r\nno colon line\r\nTo: \xff<sip:a@b>\r\n\r\n",
        expect![[r#"
            request Options (OPTIONS) sip:x SIP/2.0
            to "�" <Sip user=a host=b>
            body ""
            malformed lines 1
        "#]],
    );
}

#[test]
fn refer_with_replaces() {
    let buf = crlf(
        "REFER sip:100@pbx SIP/2.0
Via: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKr
Call-ID: c1
CSeq: 2 REFER
r: <sip:300@pbx.example?Replaces=abc%40host%3Bto-tag%3Dtt%3Bfrom-tag%3Dff&Require=replaces>
b: \"Transferor\" <sip:200@pbx.example>
Replaces: other@h;to-tag=a;from-tag=b

",
    );
    check(
        &buf,
        expect![[r#"
            request Refer (REFER) sip:100@pbx SIP/2.0
            via UDP 1.2.3.4 branch=z9hG4bKr ;branch=z9hG4bKr
            refer-to <Sip user=300 host=pbx.example ?Replaces=abc%40host%3Bto-tag%3Dtt%3Bfrom-tag%3Dff&Require=replaces>
            referred-by "Transferor" <Sip user=200 host=pbx.example>
            call-id c1
            cseq 2 Refer (REFER)
            replaces other@h to-tag=Some("a") from-tag=Some("b")
            refer-to replaces abc@host to-tag=Some("tt") from-tag=Some("ff")
            body ""
        "#]],
    );
}

#[test]
fn tel_and_sips_uris_in_headers() {
    let buf = crlf(
        "MESSAGE sips:x@y SIP/2.0\nFrom: <tel:+15551234;phone-context=+1>;tag=9\nTo: sips:bob@[::1]:5061\n\n",
    );
    check(
        &buf,
        expect![[r#"
            request Message (MESSAGE) sips:x@y SIP/2.0
            from <Tel user=+15551234 host= ;phone-context=+1> ;tag=9
            to <Sips user=bob host=::1 port=5061>
            body ""
        "#]],
    );
}

/// A message as written, every line ending in CRLF (shown as LF).
fn written(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "bare CR or LF in {text:?}");
    text.replace("\r\n", "\n")
}

/// The SRS's 200 and 100 to an INVITE, as written, then parsed back.
#[test]
fn response_from_request() {
    let buf = crlf(
        "INVITE sip:srs@10.0.0.9 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1
Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2
Record-Route: <sip:10.0.0.1;lr>
From: <sip:src@10.0.0.1>;tag=abc
To: <sip:srs@10.0.0.9>
Call-ID: rec-1
CSeq: 7 INVITE
Max-Forwards: 70
Content-Length: 0

",
    );
    let req = SipMessage::parse(&buf).unwrap();
    let mut ok = req.response(200, "OK", Some("srs1"));
    ok.push_header("Contact", "<sip:srs@10.0.0.9>");
    ok.set_body("application/sdp", b"v=0\r\n".to_vec());
    let bytes = ok.to_bytes();
    assert_eq!(frame(&bytes), Framing::Complete(bytes.len()));
    expect![[r#"
        SIP/2.0 200 OK
        Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1
        Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2
        Record-Route: <sip:10.0.0.1;lr>
        From: <sip:src@10.0.0.1>;tag=abc
        To: <sip:srs@10.0.0.9>;tag=srs1
        Call-ID: rec-1
        CSeq: 7 INVITE
        Contact: <sip:srs@10.0.0.9>
        Content-Type: application/sdp
        Content-Length: 5

        v=0
    "#]]
    .assert_eq(&written(&bytes));
    check(
        &bytes,
        expect![[r#"
            response SIP/2.0 200 "OK"
            via UDP 10.0.0.1 branch=z9hG4bK1 ;branch=z9hG4bK1
            via UDP 10.0.0.2 branch=z9hG4bK2 ;branch=z9hG4bK2
            from <Sip user=src host=10.0.0.1> ;tag=abc
            to <Sip user=srs host=10.0.0.9> ;tag=srs1
            contact <Sip user=srs host=10.0.0.9>
            call-id rec-1
            cseq 7 Invite (INVITE)
            content-type application/sdp ;
            content-length 5
            header Record-Route: <sip:10.0.0.1;lr>
            body "v=0\r\n"
        "#]],
    );
    // 100 Trying never gets a To tag, nor the Record-Route.
    let trying = req.response(100, "Trying", Some("srs1")).to_bytes();
    expect![[r#"
        SIP/2.0 100 Trying
        Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1
        Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2
        From: <sip:src@10.0.0.1>;tag=abc
        To: <sip:srs@10.0.0.9>
        Call-ID: rec-1
        CSeq: 7 INVITE
        Content-Length: 0

    "#]]
    .assert_eq(&written(&trying));
    let owned = SipMessage::parse(&bytes).unwrap().into_owned();
    drop(bytes);
    assert_eq!(owned.call_id(), Some("rec-1"));
}

fn two_messages() -> Vec<u8> {
    let mut v = crlf("INVITE sip:a@b SIP/2.0\nCall-ID: 1\nl: 3\n\nabc");
    v.extend_from_slice(b"\r\n\r\n"); // keep-alive
    v.extend(crlf("SIP/2.0 200 OK\nCall-ID: 2\nContent-Length: 0\n\n"));
    v
}

/// A stream of two messages and a keep-alive, fed whole and cut anywhere.
#[test]
fn framing_a_stream() {
    let v = two_messages();
    let Framing::Complete(n1) = frame(&v) else { panic!("first") };
    assert_eq!(SipMessage::parse(&v[..n1]).unwrap().call_id(), Some("1"));
    assert_eq!(frame(&v[n1..]), Framing::KeepAlive(4));
    let Framing::Complete(n2) = frame(&v[n1 + 4..]) else { panic!("second") };
    assert_eq!(n1 + 4 + n2, v.len());
    assert_eq!(SipMessage::parse(&v[n1 + 4..]).unwrap().call_id(), Some("2"));
    for cut in 0..n1 {
        assert_eq!(frame(&v[..cut]), Framing::Incomplete, "cut at {cut}");
    }
}

#[test]
fn framing_cases() {
    let mut huge = b"INVITE sip:a SIP/2.0\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let cases: [(&str, &[u8]); 11] = [
        ("crlf", b"\r\n"),
        ("empty", b""),
        ("http", b"GET / HTTP/1.1\r\n\r\n"),
        ("tls hello", b"\x16\x03\x01\x02\x00"),
        ("bad length", b"INVITE sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n"),
        ("two lengths", b"INVITE sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n"),
        ("huge length", b"INVITE sip:a SIP/2.0\r\nl: 999999999\r\n\r\n"),
        ("70 KiB of headers", &huge),
        ("method cut", b"INV"),
        ("version cut", b"SIP/2."),
        ("two messages", &two_messages()),
    ];
    let mut out = String::new();
    for (name, bytes) in cases {
        writeln!(out, "{name}: {:?}", frame(bytes)).unwrap();
    }
    expect![[r#"
        crlf: KeepAlive(2)
        empty: Incomplete
        http: Invalid("not a sip start line")
        tls hello: Invalid("not a sip start line")
        bad length: Invalid("bad content-length")
        two lengths: Invalid("conflicting content-length")
        huge length: Invalid("body too large")
        70 KiB of headers: Invalid("header section too long")
        method cut: Incomplete
        version cut: Incomplete
        two messages: Complete(47)
    "#]]
    .assert_eq(&out);
}

proptest! {
    /// Feeding a stream in arbitrary chunks yields the same messages.
    #[test]
    fn reassembly_any_chunking(cuts in proptest::collection::vec(1usize..40, 0..20)) {
        let stream = [two_messages(), two_messages()].concat();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        let mut pos = 0;
        let mut feed = cuts.into_iter().chain(std::iter::repeat(17));
        while pos < stream.len() {
            let n = feed.next().unwrap_or(17).min(stream.len() - pos);
            buf.extend_from_slice(&stream[pos..pos + n]);
            pos += n;
            loop {
                match frame(&buf) {
                    Framing::Complete(len) => {
                        let m = SipMessage::parse(&buf[..len]).unwrap();
                        got.push(m.call_id().unwrap().to_owned());
                        buf.drain(..len);
                    }
                    Framing::KeepAlive(len) => {
                        buf.drain(..len);
                    }
                    Framing::Incomplete => break,
                    Framing::Invalid(why) => panic!("{why}"),
                }
            }
        }
        prop_assert_eq!(got, vec!["1", "2", "1", "2"]);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn parse_and_frame_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = frame(&bytes);
        if let Ok(m) = SipMessage::parse(&bytes) {
            let _ = (m.vias(), m.from(), m.to(), m.cseq(), m.contacts(), m.refer_to_replaces());
            let again = m.to_bytes();
            prop_assert!(SipMessage::parse(&again).is_ok());
        }
    }
}
