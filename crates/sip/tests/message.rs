//! SIP message parsing, framing and response building.

use callvault_sip::{Framing, Method, Refresher, Scheme, SipMessage, frame};
use proptest::prelude::*;

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
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
    let m = SipMessage::parse(&buf).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    let vias = m.vias();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].transport, "TCP");
    assert_eq!(vias[1].branch(), Some("z9hG4bKa2"));
    assert_eq!(vias[2].port, Some(5070));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bKa1"));
    let from = m.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("Alice, A"));
    assert_eq!((from.tag(), from.user()), (Some("f1"), Some("100")));
    assert_eq!(m.to().unwrap().user(), Some("200"));
    assert_eq!(m.call_id(), Some("call-1@10.0.0.1"));
    let contacts = m.contacts();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].params.get("expires"), Some("60"));
    assert_eq!(contacts[0].uri.as_ref().unwrap().params.get("transport"), Some("tcp"));
    assert_eq!(m.supported(), vec!["replaces", "timer", "100rel"]);
    assert!(m.requires("SIPREC"));
    let se = m.session_expires().unwrap();
    assert_eq!((se.delta_secs, se.refresher), (1800, Some(Refresher::Uac)));
    assert_eq!(m.min_se(), Some(90));
    assert_eq!(m.header("x-linkedid"), Some("1700000000.42"));
    assert_eq!(m.header("CISCO-GUID"), Some("1234-5678"));
    assert!(m.header("session-id").unwrap().starts_with("ab30317f"));
    assert_eq!(m.header("Subject"), Some("a folded subject line continued"));
    let crp =
        callvault_sip::NameAddr::parse(m.header("x-cisco-recording-participant").unwrap()).unwrap();
    assert_eq!(
        (crp.user(), crp.params.get_unquoted("media-index").as_deref()),
        (Some("1000"), Some("1"))
    );
    assert!(m.content_type().unwrap().is("application", "sdp"));
    assert_eq!(m.content_length(), Some(5));
    assert_eq!(&*m.body, b"v=0\r\n");
    assert_eq!(m.header("nonexistent"), None);
}

#[test]
fn lf_only_and_no_content_length() {
    let m = SipMessage::parse(
        b"SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: <sip:b@h>;tag=t\n\nbody",
    )
    .unwrap();
    assert_eq!((m.status(), m.reason()), (Some(180), Some("Ringing")));
    assert_eq!(m.to().unwrap().tag(), Some("t"));
    assert_eq!(&*m.body, b"body");
    let m = SipMessage::parse(b"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 100\r\n\r\nshort")
        .unwrap();
    assert!(m.body_truncated);
    assert_eq!(&*m.body, b"short");
    // headers only, no blank line (truncated datagram)
    let m = SipMessage::parse(b"BYE sip:a@b SIP/2.0\r\nCall-ID: y").unwrap();
    assert_eq!(m.call_id(), Some("y"));
    assert!(m.body.is_empty());
    // reason phrase with spaces, empty reason
    let m = SipMessage::parse(b"SIP/2.0 486 Busy Here  \r\n\r\n").unwrap();
    assert_eq!(m.reason(), Some("Busy Here"));
    assert_eq!(SipMessage::parse(b"SIP/2.0 200\r\n\r\n").unwrap().reason(), Some(""));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for bad in [
        &b""[..],
        b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"SIP/2.0 99 Low\r\n",
        b"INVITE sip:x\r\n",
        b"\xff\xfe\x00",
    ] {
        assert!(SipMessage::parse(bad).is_err(), "{bad:?}");
    }
    let m =
        SipMessage::parse(b"OPTIONS sip:x SIP/2.0\r\nno colon line\r\nTo: \xff<sip:a@b>\r\n\r\n")
            .unwrap();
    assert_eq!(m.malformed_lines, 1);
    assert!(m.header("To").unwrap().contains("sip:a@b"));
    assert_eq!(m.method(), Some(Method::Options));
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
    let m = SipMessage::parse(&buf).unwrap();
    assert_eq!(m.method(), Some(Method::Refer));
    let rt = m.refer_to().unwrap();
    assert_eq!(rt.user(), Some("300"));
    let r = m.refer_to_replaces().unwrap();
    assert_eq!(r.call_id, "abc@host");
    assert_eq!(r.to_tag.as_deref(), Some("tt"));
    assert_eq!(r.from_tag.as_deref(), Some("ff"));
    assert_eq!(m.referred_by().unwrap().user(), Some("200"));
    assert_eq!(m.replaces().unwrap().call_id, "other@h");
}

#[test]
fn tel_and_sips_uris_in_headers() {
    let buf = crlf(
        "MESSAGE sips:x@y SIP/2.0\nFrom: <tel:+15551234;phone-context=+1>;tag=9\nTo: sips:bob@[::1]:5061\n\n",
    );
    let m = SipMessage::parse(&buf).unwrap();
    let f = m.from().unwrap();
    assert_eq!(f.uri.as_ref().unwrap().scheme, Scheme::Tel);
    assert_eq!(f.user(), Some("+15551234"));
    let t = m.to().unwrap();
    let u = t.uri.unwrap();
    assert_eq!((u.scheme, u.host, u.port), (Scheme::Sips, "::1", Some(5061)));
    assert_eq!(m.method(), Some(Method::Message));
}

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
    let mut resp = req.response(200, "OK", Some("srs1"));
    resp.push_header("Contact", "<sip:srs@10.0.0.9>");
    resp.set_body("application/sdp", b"v=0\r\n".to_vec());
    let bytes = resp.to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    let back = SipMessage::parse(&bytes).unwrap();
    assert_eq!(back.status(), Some(200));
    assert_eq!(back.vias().len(), 2);
    assert_eq!(back.to().unwrap().tag(), Some("srs1"));
    assert_eq!(back.from().unwrap().tag(), Some("abc"));
    assert_eq!(back.call_id(), Some("rec-1"));
    assert_eq!(back.cseq().unwrap().method, Method::Invite);
    assert_eq!(back.header("Record-Route"), Some("<sip:10.0.0.1;lr>"));
    assert_eq!(back.header("Max-Forwards"), None);
    assert_eq!(back.content_length(), Some(5));
    assert_eq!(&*back.body, b"v=0\r\n");
    assert_eq!(frame(&bytes), Framing::Complete(bytes.len()));
    // 100 Trying never gets a To tag; an existing tag is kept
    let trying = req.response(100, "Trying", Some("srs1"));
    assert_eq!(trying.to().unwrap().tag(), None);
    assert_eq!(trying.header("Record-Route"), None);
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

#[test]
fn framing_cases() {
    let v = two_messages();
    let Framing::Complete(n1) = frame(&v) else { panic!("first") };
    assert_eq!(SipMessage::parse(&v[..n1]).unwrap().call_id(), Some("1"));
    assert_eq!(frame(&v[n1..]), Framing::KeepAlive(4));
    let Framing::Complete(n2) = frame(&v[n1 + 4..]) else { panic!("second") };
    assert_eq!(n1 + 4 + n2, v.len());
    assert_eq!(SipMessage::parse(&v[n1 + 4..]).unwrap().call_id(), Some("2"));
    assert_eq!(frame(b"\r\n"), Framing::KeepAlive(2));
    assert_eq!(frame(b""), Framing::Incomplete);
    for cut in 0..n1 {
        assert_eq!(frame(&v[..cut]), Framing::Incomplete, "cut at {cut}");
    }
    assert!(matches!(frame(b"GET / HTTP/1.1\r\n\r\n"), Framing::Invalid(_)));
    assert!(matches!(frame(b"\x16\x03\x01\x02\x00"), Framing::Invalid(_)));
    assert!(matches!(
        frame(b"INVITE sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n"),
        Framing::Invalid(_)
    ));
    assert!(matches!(
        frame(b"INVITE sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n"),
        Framing::Invalid(_)
    ));
    assert!(matches!(frame(b"INVITE sip:a SIP/2.0\r\nl: 999999999\r\n\r\n"), Framing::Invalid(_)));
    let mut huge = b"INVITE sip:a SIP/2.0\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 70 * 1024));
    assert!(matches!(frame(&huge), Framing::Invalid(_)));
    assert_eq!(frame(b"INV"), Framing::Incomplete);
    assert_eq!(frame(b"SIP/2."), Framing::Incomplete);
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
