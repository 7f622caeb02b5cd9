//! Session Recording Server scenarios on virtual time: the SRC is played by
//! the test, RTP ports come from a deterministic allocator.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use callvault_model::Timestamp;

use callvault_sip::sdp::{Codec, Direction, SessionDescription};
use callvault_sip::srs::{
    EndReason, GroupKey, PortAllocator, SenderSource, SessionChange, SessionKind, SessionStarted,
    SessionUpdated, Srs, SrsConfig, SrsEvent,
};
use callvault_sip::{OwnedSipMessage, SipMessage};
use proptest::prelude::*;

const SRC: &str = "192.0.2.1:5060";

/// Hands out 40000, 40002, ... and remembers what is live.
#[derive(Debug, Default)]
struct Ports {
    next: u16,
    live: BTreeSet<u16>,
    /// At most this many live ports (0 = unlimited).
    cap: usize,
}

impl PortAllocator for Ports {
    fn allocate(&mut self, n: usize) -> Option<Vec<u16>> {
        if self.cap != 0 && self.live.len() + n > self.cap {
            return None;
        }
        let mut out = Vec::new();
        for _ in 0..n {
            if self.next == 0 {
                self.next = 40000;
            }
            out.push(self.next);
            self.live.insert(self.next);
            self.next += 2;
        }
        Some(out)
    }

    fn release(&mut self, ports: &[u16]) {
        for p in ports {
            assert!(self.live.remove(p), "port {p} released twice or never allocated");
        }
    }
}

struct Harness {
    srs: Srs,
    ports: Ports,
    start: Timestamp,
    now: Timestamp,
    src: SocketAddr,
    events: Vec<SrsEvent>,
}

fn config() -> SrsConfig {
    SrsConfig::new("sip:srs@192.0.2.9:5060", "192.0.2.9".parse().unwrap())
}

impl Harness {
    fn new(config: SrsConfig) -> Self {
        let start = Timestamp::from_secs_nanos(1_700_000_000, 0);
        Harness {
            srs: Srs::new(config),
            ports: Ports::default(),
            start,
            now: start,
            src: SRC.parse().unwrap(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) -> Vec<OwnedSipMessage> {
        let mut out = Vec::new();
        while let Some(t) = self.srs.poll_transmit() {
            assert_eq!(t.destination, self.src);
            let m = SipMessage::parse(&t.contents).expect("srs sends parsable sip").into_owned();
            assert!(m.status().is_some(), "the srs only sends responses");
            out.push(m);
        }
        while let Some(e) = self.srs.poll_event() {
            self.events.push(e);
        }
        out
    }

    /// Delivers a datagram; returns the responses it caused.
    fn send(&mut self, bytes: &[u8]) -> Vec<OwnedSipMessage> {
        self.srs.handle_datagram(self.now, self.src, bytes, &mut self.ports);
        self.drain()
    }

    /// Runs timers up to `secs` after start; returns the responses sent.
    fn run_until(&mut self, secs: u64) -> Vec<OwnedSipMessage> {
        let target = self.start + Duration::from_secs(secs);
        let mut out = Vec::new();
        while let Some(t) = self.srs.poll_timeout() {
            if t > target {
                break;
            }
            self.now = self.now.max(t);
            self.srs.handle_timeout(self.now, &mut self.ports);
            out.extend(self.drain());
        }
        self.now = self.now.max(target);
        out
    }

    fn take_events(&mut self) -> Vec<SrsEvent> {
        std::mem::take(&mut self.events)
    }
}

/// One SIP request from the SRC.
#[derive(Clone)]
struct Req {
    method: &'static str,
    call_id: String,
    from_tag: String,
    to_tag: Option<String>,
    cseq: u32,
    branch: String,
    headers: Vec<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &'static str, call_id: &str, cseq: u32) -> Req {
        Req {
            method,
            call_id: call_id.into(),
            from_tag: "src-tag".into(),
            to_tag: None,
            cseq,
            branch: format!("z9hG4bK-{call_id}-{cseq}-{method}"),
            headers: Vec::new(),
            content_type: None,
            body: Vec::new(),
        }
    }

    fn in_dialog(method: &'static str, call_id: &str, cseq: u32, to_tag: &str) -> Req {
        let mut r = Req::new(method, call_id, cseq);
        r.to_tag = Some(to_tag.into());
        r
    }

    fn header(mut self, h: &str) -> Req {
        self.headers.push(h.into());
        self
    }

    fn body(mut self, ct: &str, body: impl Into<Vec<u8>>) -> Req {
        self.content_type = Some(ct.into());
        self.body = body.into();
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let to = match &self.to_tag {
            Some(t) => format!("<sip:srs@192.0.2.9>;tag={t}"),
            None => "<sip:srs@192.0.2.9>".into(),
        };
        let cseq_method = if self.method == "ACK" { "ACK" } else { self.method };
        let mut s = format!(
            "{m} sip:srs@192.0.2.9:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch={b}\r\n\
Max-Forwards: 70\r\nFrom: <sip:src@192.0.2.1>;tag={ft}\r\nTo: {to}\r\nCall-ID: {c}\r\n\
CSeq: {n} {cm}\r\nContact: <sip:src@192.0.2.1:5060>;+sip.src\r\n",
            m = self.method,
            b = self.branch,
            ft = self.from_tag,
            c = self.call_id,
            n = self.cseq,
            cm = cseq_method,
        );
        for h in &self.headers {
            s.push_str(h);
            s.push_str("\r\n");
        }
        if let Some(ct) = &self.content_type {
            s.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// The ACK of an INVITE's 2xx.
fn ack(invite: &Req, to_tag: &str) -> Vec<u8> {
    let mut a = Req::in_dialog("ACK", &invite.call_id, invite.cseq, to_tag);
    a.branch = format!("{}-ack", invite.branch);
    a.bytes()
}

/// The ACK of an INVITE's 2xx carrying the SDP answer (delayed offer).
fn ack_with(invite: &Req, to_tag: &str, answer_sdp: &str) -> Vec<u8> {
    let mut a = Req::in_dialog("ACK", &invite.call_id, invite.cseq, to_tag)
        .body("application/sdp", answer_sdp);
    a.branch = format!("{}-ack", invite.branch);
    a.bytes()
}

/// An SDP offer: one sendonly PCMU m-line per (port, label, direction).
fn sdp(lines: &[(u16, &str, &str)]) -> String {
    let mut s = "v=0\r\no=src 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
        .to_owned();
    for (port, label, dir) in lines {
        s.push_str(&format!(
            "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=label:{label}\r\na={dir}\r\n"
        ));
    }
    s
}

fn multipart(sdp: &str, xml: &str) -> (String, Vec<u8>) {
    let body = format!(
        "--XyZ\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--XyZ\r\n\
Content-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n{xml}\r\n--XyZ--\r\n"
    );
    ("multipart/mixed;boundary=XyZ".into(), body.into_bytes())
}

const NS: &str = "urn:ietf:params:xml:ns:recording:1";

/// A complete snapshot: Alice sends label 1, Bob label 2.
fn basic_metadata(group: &str, session: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='{NS}'>
  <datamode>complete</datamode>
  <group group_id="{group}"><associate-time>2024-01-01T10:00:00Z</associate-time></group>
  <session session_id="{session}"><group-ref>{group}</group-ref>
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
  </session>
  <participant participant_id="alice"><nameID aor="sip:alice@atlanta.example.com"><name>Alice</name></nameID></participant>
  <participant participant_id="bob"><nameID aor="sip:bob@biloxi.example.com"><name>Bob</name></nameID></participant>
  <stream stream_id="s1" session_id="{session}"><label>1</label></stream>
  <stream stream_id="s2" session_id="{session}"><label>2</label></stream>
  <participantsessionassoc participant_id="alice" session_id="{session}"><associate-time>2024-01-01T10:00:00Z</associate-time></participantsessionassoc>
  <participantsessionassoc participant_id="bob" session_id="{session}"><associate-time>2024-01-01T10:00:00Z</associate-time></participantsessionassoc>
  <participantstreamassoc participant_id="alice"><send>s1</send><recv>s2</recv></participantstreamassoc>
  <participantstreamassoc participant_id="bob"><send>s2</send><recv>s1</recv></participantstreamassoc>
</recording>"#
    )
}

fn siprec_invite(call_id: &str, sdp_text: &str, xml: &str) -> Req {
    let (ct, body) = multipart(sdp_text, xml);
    Req::new("INVITE", call_id, 1).header("Require: siprec").body(&ct, body)
}

fn codes(rs: &[OwnedSipMessage]) -> Vec<u16> {
    rs.iter().map(|r| r.status().unwrap()).collect()
}

fn to_tag(r: &OwnedSipMessage) -> String {
    r.to().and_then(|t| t.tag().map(str::to_owned)).expect("to tag")
}

fn answer(r: &OwnedSipMessage) -> SessionDescription {
    assert!(r.content_type().unwrap().is("application", "sdp"));
    SessionDescription::parse_bytes(&r.body).unwrap()
}

fn started(events: &[SrsEvent]) -> Vec<&SessionStarted> {
    events
        .iter()
        .filter_map(|e| match e {
            SrsEvent::SessionStarted(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn updated(events: &[SrsEvent]) -> Vec<&SessionUpdated> {
    events
        .iter()
        .filter_map(|e| match e {
            SrsEvent::SessionUpdated(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn ended(events: &[SrsEvent]) -> Vec<EndReason> {
    events
        .iter()
        .filter_map(|e| match e {
            SrsEvent::SessionEnded { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

/// INVITE → 100 + 200, ACK; returns the 200 and the session's events.
fn establish(h: &mut Harness, invite: &Req) -> OwnedSipMessage {
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 200], "{:?}", rs.last().map(|r| r.reason().map(str::to_owned)));
    let ok = rs.into_iter().nth(1).unwrap();
    assert!(h.send(&ack(invite, &to_tag(&ok))).is_empty());
    ok
}

fn fixture(name: &str) -> Vec<u8> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/siprec-vendor-offers").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// (file, content type, offered remote ports, sender aor per stream)
const VENDORS: &[(&str, &str, &[u16], &[&str])] = &[
    (
        "acme-siprec-offer.txt",
        "multipart/mixed;boundary=unique-boundary-1",
        &[20106, 20110],
        &["sip:9000@192.168.50.102", "sip:1002@192.168.50.10"],
    ),
    (
        "cisco-siprec-offer.txt",
        "multipart/mixed;boundary=uniqueBoundary",
        &[10292, 10294],
        &["sip:7301@35.162.237.204", "sip:7300@35.162.237.204"],
    ),
    (
        "sonus-siprec-offer.txt",
        "multipart/mixed;boundary=sonus-content-delim",
        &[48932, 48926],
        &["2249888012@172.16.195.72", "2249888500@172.16.198.55"],
    ),
];

#[test]
fn basic_call_from_vendor_offers() {
    for (file, ct, remote_ports, aors) in VENDORS {
        let mut h = Harness::new(config());
        let invite = Req::new("INVITE", "vendor-call", 1)
            .header("Require: siprec")
            .header("Supported: timer, replaces")
            .body(ct, fixture(file));
        let ok = establish(&mut h, &invite);
        // the 200: tag, Contact with +sip.srs, Require: siprec, timer
        assert!(ok.header("Contact").unwrap().contains("+sip.srs"), "{file}");
        assert!(ok.requires("siprec"), "{file}");
        assert!(ok.requires("timer"), "{file}");
        assert!(ok.supported().contains(&"timer"), "{file}");
        assert_eq!(ok.header("Session-Expires"), Some("1800;refresher=uac"), "{file}");
        let a = answer(&ok);
        let answered: Vec<(u16, Option<Direction>)> =
            a.media.iter().map(|m| (m.port, m.direction)).collect();
        assert_eq!(
            answered,
            [(40000, Some(Direction::RecvOnly)), (40002, Some(Direction::RecvOnly))],
            "{file}"
        );
        assert_eq!(a.connection.as_ref().unwrap().address, "192.0.2.9");
        let ev = h.take_events();
        let s = started(&ev);
        assert_eq!(s.len(), 1, "{file}");
        let s = s[0];
        assert_eq!((s.kind, s.call_id.as_str()), (SessionKind::Siprec, "vendor-call"));
        assert!(matches!(s.metadata, Some(Ok(_))), "{file}");
        assert!(s.siprec_session_id.is_some(), "{file}");
        let streams: Vec<(u16, Option<u16>, Codec, u8, u32)> = s
            .streams
            .iter()
            .map(|st| {
                (
                    st.local_port,
                    st.remote.map(|r| r.port()),
                    st.codec,
                    st.payload_type,
                    st.clock_rate,
                )
            })
            .collect();
        assert_eq!(
            streams,
            [
                (40000, Some(remote_ports[0]), Codec::Pcmu, 0, 8000),
                (40002, Some(remote_ports[1]), Codec::Pcmu, 0, 8000)
            ],
            "{file}"
        );
        let senders: Vec<Option<&str>> =
            s.streams.iter().map(|st| st.sender.as_ref().and_then(|p| p.aor.as_deref())).collect();
        assert_eq!(senders, aors.iter().map(|a| Some(*a)).collect::<Vec<_>>(), "{file}");
        assert!(
            s.streams
                .iter()
                .all(|st| st.sender.as_ref().unwrap().source == SenderSource::MetadataLabel)
        );
        assert_eq!(h.ports.live.len(), 2);
        // BYE ends it and gives the ports back
        let bye = Req::in_dialog("BYE", "vendor-call", 2, &to_tag(&ok));
        let rs = h.send(&bye.bytes());
        assert_eq!(codes(&rs), [200], "{file}");
        assert_eq!(to_tag(&rs[0]), to_tag(&ok));
        assert_eq!(ended(&h.take_events()), [EndReason::Bye], "{file}");
        assert!(h.ports.live.is_empty(), "{file}");
        assert_eq!(h.srs.session_count(), 0);
        // the 2xx is not retransmitted after the ACK; transactions drain
        assert!(codes(&h.run_until(60)).is_empty(), "{file}");
        assert_eq!(h.srs.transaction_count(), 0, "{file}");
    }
}

#[test]
fn group_keys_of_vendor_offers() {
    let mut h = Harness::new(config());
    for (i, (file, ct, _, _)) in VENDORS.iter().enumerate() {
        let invite = Req::new("INVITE", &format!("c{i}"), 1).body(ct, fixture(file));
        establish(&mut h, &invite);
    }
    let ev = h.take_events();
    let keys: Vec<&GroupKey> = started(&ev).iter().map(|s| &s.group_key).collect();
    assert_eq!(
        keys,
        [
            // Acme: no group, no sipSessionID: the metadata session
            &GroupKey::SiprecSession("AavRXwIIQj1Q39eJulTipQ==".into()),
            // Cisco: sipSessionID, both UUIDs sorted
            &GroupKey::SipSessionId(
                "cd0f7093d62c5f0697098fd69a4aa57b/e9fffff2020a598b86962867715db0cf".into()
            ),
            // Sonus: the group
            &GroupKey::SiprecGroup("MTQ3YzA3YzAtNjdkNy0xMA==".into()),
        ]
    );
}

#[test]
fn transfer_by_metadata_reinvite() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let invite = siprec_invite("xfer", &offer, &basic_metadata("g1", "cs1"));
    let ok = establish(&mut h, &invite);
    let tag = to_tag(&ok);
    h.take_events();
    // Bob transfers to Carol: Carol now sends label 2, Bob leaves
    let partial = format!(
        r#"<recording xmlns='{NS}'><datamode>partial</datamode>
  <participant participant_id="carol"><nameID aor="sip:carol@chicago.example.com"><name>Carol</name></nameID></participant>
  <participantsessionassoc participant_id="bob" session_id="cs1"><disassociate-time>2024-01-01T10:05:00Z</disassociate-time></participantsessionassoc>
  <participantsessionassoc participant_id="carol" session_id="cs1"><associate-time>2024-01-01T10:05:01Z</associate-time></participantsessionassoc>
  <participantstreamassoc participant_id="carol"><send>s2</send><recv>s1</recv></participantstreamassoc>
</recording>"#
    );
    let (ct, body) = multipart(&offer, &partial);
    let reinvite = Req::in_dialog("INVITE", "xfer", 2, &tag).body(&ct, body);
    let rs = h.send(&reinvite.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    let a = answer(&rs[1]);
    assert_eq!(a.media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    // unchanged answer: same o= version
    assert_eq!(a.origin.unwrap().session_version, "1");
    assert!(h.send(&ack(&reinvite, &tag)).is_empty());
    let ev = h.take_events();
    let u = updated(&ev);
    assert_eq!(u.len(), 1);
    let u = u[0];
    assert_eq!(u.group_key, GroupKey::SiprecGroup("g1".into()));
    assert!(u.changes.contains(&SessionChange::ParticipantAssociated {
        participant_id: "carol".into(),
        aor: Some("sip:carol@chicago.example.com".into())
    }));
    assert!(u.changes.contains(&SessionChange::ParticipantDisassociated {
        participant_id: "bob".into(),
        aor: Some("sip:bob@biloxi.example.com".into())
    }));
    assert!(u.changes.iter().any(|c| matches!(c,
        SessionChange::SenderChanged { index: 1, from: Some(f), to: Some(t) }
            if f.participant_id.as_deref() == Some("bob") && t.participant_id.as_deref() == Some("carol"))));
    assert_eq!(
        u.streams[0].sender.as_ref().unwrap().participant_id.as_deref(),
        Some("alice"),
        "alice keeps her stream"
    );
    let md = u.metadata.as_ref().unwrap();
    assert_eq!(md.participants.len(), 3);
    assert_eq!(md.sender_of_label("2").unwrap().id, "carol");
    assert_eq!(h.ports.live.len(), 2);
}

#[test]
fn hold_resume_with_partial_metadata_via_update() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let ok = establish(&mut h, &siprec_invite("hold", &offer, &basic_metadata("g1", "cs1")));
    let tag = to_tag(&ok);
    h.take_events();
    let partial = format!(
        "<recording xmlns='{NS}'><datamode>partial</datamode>\
<stream stream_id='s1' session_id='cs1'><label>1</label></stream></recording>"
    );
    let held = sdp(&[(30000, "1", "inactive"), (30002, "2", "inactive")]);
    let (ct, body) = multipart(&held, &partial);
    let rs = h.send(&Req::in_dialog("UPDATE", "hold", 2, &tag).body(&ct, body).bytes());
    assert_eq!(codes(&rs), [200]);
    let a = answer(&rs[0]);
    assert_eq!(
        a.media.iter().map(|m| (m.port, m.direction)).collect::<Vec<_>>(),
        [(40000, Some(Direction::Inactive)), (40002, Some(Direction::Inactive))]
    );
    assert_eq!(a.origin.as_ref().unwrap().session_version, "2", "changed answer, new version");
    let ev = h.take_events();
    let u = updated(&ev);
    assert_eq!(u.len(), 1);
    let dirs: Vec<&SessionChange> = u[0]
        .changes
        .iter()
        .filter(|c| matches!(c, SessionChange::DirectionChanged { .. }))
        .collect();
    assert_eq!(
        dirs,
        [
            &SessionChange::DirectionChanged {
                index: 0,
                from: Direction::SendOnly,
                to: Direction::Inactive
            },
            &SessionChange::DirectionChanged {
                index: 1,
                from: Direction::SendOnly,
                to: Direction::Inactive
            },
        ]
    );
    // senders survive the partial metadata
    assert!(u[0].streams.iter().all(|s| s.sender.is_some()));
    // resume, and the SRC moves its second port
    let resumed = sdp(&[(30000, "1", "sendonly"), (30010, "2", "sendonly")]);
    let (ct, body) = multipart(&resumed, &partial);
    let rs = h.send(&Req::in_dialog("UPDATE", "hold", 3, &tag).body(&ct, body).bytes());
    assert_eq!(codes(&rs), [200]);
    let ev = h.take_events();
    let u = updated(&ev);
    assert!(u[0].changes.contains(&SessionChange::DirectionChanged {
        index: 1,
        from: Direction::Inactive,
        to: Direction::SendOnly
    }));
    assert!(u[0].changes.contains(&SessionChange::RemoteMoved {
        index: 1,
        from: Some("198.51.100.7:30002".parse().unwrap()),
        to: Some("198.51.100.7:30010".parse().unwrap()),
    }));
    assert_eq!(u[0].streams.iter().map(|s| s.local_port).collect::<Vec<_>>(), [40000, 40002]);
    // an UPDATE that only refreshes: 200 without body, no event
    let rs = h.send(&Req::in_dialog("UPDATE", "hold", 4, &tag).bytes());
    assert_eq!(codes(&rs), [200]);
    assert!(rs[0].body.is_empty());
    assert!(h.take_events().is_empty());
}

#[test]
fn reinvite_adds_and_rejects_m_lines() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly")]);
    let ok = establish(&mut h, &siprec_invite("grow", &offer, &basic_metadata("g", "cs")));
    let tag = to_tag(&ok);
    h.take_events();
    // a second m-line appears
    let two = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let re = Req::in_dialog("INVITE", "grow", 2, &tag).body("application/sdp", two);
    let rs = h.send(&re.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    assert_eq!(answer(&rs[1]).media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    h.send(&ack(&re, &tag));
    let ev = h.take_events();
    assert!(updated(&ev)[0].changes.contains(&SessionChange::StreamAdded { index: 1 }));
    assert_eq!(h.ports.live.len(), 2);
    // the first m-line is disabled (port 0): its local port is released
    let off = sdp(&[(0, "1", "sendonly"), (30002, "2", "sendonly")]);
    let re = Req::in_dialog("INVITE", "grow", 3, &tag).body("application/sdp", off);
    let rs = h.send(&re.bytes());
    assert_eq!(answer(&rs[1]).media.iter().map(|m| m.port).collect::<Vec<_>>(), [0, 40002]);
    h.send(&ack(&re, &tag));
    let ev = h.take_events();
    assert!(updated(&ev)[0].changes.contains(&SessionChange::StreamRemoved { index: 0 }));
    assert_eq!(h.ports.live.iter().copied().collect::<Vec<_>>(), [40002]);
    // a re-INVITE without SDP gets an SRS offer on the current ports; the
    // same answer in the ACK changes nothing
    let re = Req::in_dialog("INVITE", "grow", 4, &tag);
    let rs = h.send(&re.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    assert_eq!(answer(&rs[1]).media.iter().map(|m| m.port).collect::<Vec<_>>(), [0, 40002]);
    let same = sdp(&[(0, "1", "sendonly"), (30002, "2", "sendonly")]);
    h.send(&ack_with(&re, &tag, &same));
    assert!(h.take_events().is_empty());
    assert_eq!(h.ports.live.iter().copied().collect::<Vec<_>>(), [40002]);
}

#[test]
fn src_restart_continues_the_same_group() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    // the first SRC dies without BYE; its successor records the same call
    // under a new Call-ID and a new CS id, same group
    establish(&mut h, &siprec_invite("src-a", &offer, &basic_metadata("grp-7", "cs-a")));
    establish(&mut h, &siprec_invite("src-b", &offer, &basic_metadata("grp-7", "cs-b")));
    let ev = h.take_events();
    let s = started(&ev);
    assert_eq!(s.len(), 2);
    assert_ne!(s[0].id, s[1].id);
    assert_eq!(s[0].group_key, GroupKey::SiprecGroup("grp-7".into()));
    assert_eq!(s[0].group_key, s[1].group_key);
    assert_eq!(s[1].siprec_group_id.as_deref(), Some("grp-7"));
    assert_eq!(s[1].siprec_session_id.as_deref(), Some("cs-b"));
    // without a group, the RFC 7989 Session-ID in either orientation
    let no_group = |cs: &str, sid: &str| {
        format!(
            "<recording xmlns='{NS}'><datamode>complete</datamode><session session_id='{cs}'>\
<sipSessionID>{sid}</sipSessionID></session></recording>"
        )
    };
    establish(&mut h, &siprec_invite("src-c", &offer, &no_group("x", "AAAA1111;remote=bbbb2222")));
    establish(&mut h, &siprec_invite("src-d", &offer, &no_group("y", "bbbb2222;remote=aaaa1111")));
    let ev = h.take_events();
    let s = started(&ev);
    assert_eq!(s[0].group_key, GroupKey::SipSessionId("aaaa1111/bbbb2222".into()));
    assert_eq!(s[0].group_key, s[1].group_key);
}

#[test]
fn cisco_network_based_recording() {
    let mut h = Harness::new(config());
    // CUBE numbers media-index per leg: the second leg's one m-line is
    // index 0 but its header says 1; a single header still names the party.
    let leg = |call_id: &str, who: &str, port: u16| {
        let index = if who == "1000" { 0 } else { 1 };
        Req::new("INVITE", call_id, 1)
            .header("Cisco-Guid: 0123456789-0987654321-1111111111-2222222222")
            .header(&format!(
                "X-Cisco-Recording-Participant: \"{who}\" <sip:{who}@10.0.0.1>;media-index=\"{index}\""
            ))
            .body("application/sdp", sdp(&[(port, "1", "sendonly")]))
    };
    let a = leg("nbr-1", "1000", 31000);
    // Cisco NBR INVITEs carry no +sip.src
    let strip =
        |r: &Req| String::from_utf8(r.bytes()).unwrap().replace(";+sip.src", "").into_bytes();
    let rs = h.send(&strip(&a));
    assert_eq!(codes(&rs), [100, 200]);
    assert!(!rs[1].header("Contact").unwrap().contains("+sip.srs"));
    assert!(!rs[1].requires("siprec"));
    let rs = h.send(&strip(&leg("nbr-2", "2000", 31002)));
    assert_eq!(codes(&rs), [100, 200]);
    let ev = h.take_events();
    let s = started(&ev);
    assert_eq!(s.len(), 2);
    for (st, who) in s.iter().zip(["1000", "2000"]) {
        assert_eq!(st.kind, SessionKind::CiscoNbr);
        assert_eq!(
            st.group_key,
            GroupKey::CiscoGuid("0123456789-0987654321-1111111111-2222222222".into())
        );
        assert!(st.metadata.is_none());
        let sender = st.streams[0].sender.as_ref().unwrap();
        assert_eq!(sender.aor.as_deref(), Some(format!("sip:{who}@10.0.0.1").as_str()));
        assert_eq!(sender.name.as_deref(), Some(who));
        assert_eq!(sender.source, SenderSource::CiscoHeader);
    }
}

/// CUBE names both parties of the recorded leg on its one m-line; a
/// transfer re-INVITE names a new one: the old party leaves, the new one
/// joins and takes the stream.
#[test]
fn cisco_reinvite_changes_a_participant() {
    let mut h = Harness::new(config());
    let strip =
        |r: &Req| String::from_utf8(r.bytes()).unwrap().replace(";+sip.src", "").into_bytes();
    let invite = Req::new("INVITE", "nbr-x", 1)
        .header("Cisco-Guid: 1111111111-2222222222-3333333333-4444444444")
        .header("X-Cisco-Recording-Participant: \"Agent\" <sip:1000@10.0.0.1>;media-index=\"0\"")
        .header("X-Cisco-Recording-Participant: <sip:+14155550100@10.0.0.1>;media-index=\"1\"")
        .body("application/sdp", sdp(&[(31000, "1", "sendonly")]));
    let rs = h.send(&strip(&invite));
    assert_eq!(codes(&rs), [100, 200]);
    let tag = to_tag(&rs[1]);
    h.send(&ack(&invite, &tag));
    let ev = h.take_events();
    let st = started(&ev)[0];
    assert_eq!(st.streams.len(), 1);
    assert_eq!(st.streams[0].sender.as_ref().unwrap().aor.as_deref(), Some("sip:1000@10.0.0.1"));
    // both parties are in the headers the session sees
    let named = callvault_sip::siprec::header_parties(&st.headers);
    let aors: Vec<&str> = named.iter().map(|p| p.aor.as_str()).collect();
    assert!(aors.contains(&"sip:+14155550100@10.0.0.1"), "{aors:?}");
    let re = Req::in_dialog("INVITE", "nbr-x", 2, &tag)
        .header(
            "X-Cisco-Recording-Participant: \"Colleague\" <sip:1001@10.0.0.1>;media-index=\"0\"",
        )
        .header("X-Cisco-Recording-Participant: <sip:+14155550100@10.0.0.1>;media-index=\"1\"")
        .body("application/sdp", sdp(&[(31000, "1", "sendonly")]));
    let rs = h.send(&strip(&re));
    assert_eq!(codes(&rs), [100, 200]);
    h.send(&ack(&re, &tag));
    let ev = h.take_events();
    let changes = &updated(&ev)[0].changes;
    let joined = SessionChange::ParticipantAssociated {
        participant_id: "sip:1001@10.0.0.1".into(),
        aor: Some("sip:1001@10.0.0.1".into()),
    };
    let left = SessionChange::ParticipantDisassociated {
        participant_id: "sip:1000@10.0.0.1".into(),
        aor: Some("sip:1000@10.0.0.1".into()),
    };
    assert!(changes.contains(&joined) && changes.contains(&left), "{changes:?}");
    assert!(
        changes.iter().any(|c| matches!(c, SessionChange::SenderChanged { to: Some(t), .. }
            if t.aor.as_deref() == Some("sip:1001@10.0.0.1"))),
        "{changes:?}"
    );
    // the party that stayed is not mentioned
    assert!(!changes.iter().any(|c| format!("{c:?}").contains("+14155550100")), "{changes:?}");
    // a re-INVITE without the header changes nobody
    let re = Req::in_dialog("INVITE", "nbr-x", 3, &tag)
        .body("application/sdp", sdp(&[(31000, "1", "sendonly")]));
    h.send(&strip(&re));
    h.send(&ack(&re, &tag));
    assert!(h.take_events().is_empty());
}

#[test]
fn plain_invites_are_flagged_or_refused() {
    let plain = |call_id: &str| {
        let r = Req::new("INVITE", call_id, 1)
            .body("application/sdp", sdp(&[(30000, "1", "sendrecv"), (30002, "2", "sendrecv")]));
        String::from_utf8(r.bytes()).unwrap().replace(";+sip.src", "").into_bytes()
    };
    let mut h = Harness::new(config());
    let rs = h.send(&plain("p1"));
    assert_eq!(codes(&rs), [100, 200]);
    // one stream only
    assert_eq!(answer(&rs[1]).media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 0]);
    let ev = h.take_events();
    let s = started(&ev)[0];
    assert_eq!((s.kind, s.streams.len()), (SessionKind::Plain, 1));
    assert_eq!(s.group_key, GroupKey::CallId("p1".into()));
    let mut cfg = config();
    cfg.accept_plain_invites = false;
    let mut h = Harness::new(cfg);
    assert_eq!(codes(&h.send(&plain("p2"))), [100, 488]);
    assert!(h.take_events().is_empty());
    assert!(h.ports.live.is_empty());
}

#[test]
fn cancel_before_the_answer() {
    let mut cfg = config();
    cfg.auto_answer = false;
    let mut h = Harness::new(cfg);
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let invite = siprec_invite("cxl", &offer, &basic_metadata("g", "cs"));
    assert_eq!(codes(&h.send(&invite.bytes())), [100]);
    let ev = h.take_events();
    assert_eq!(started(&ev).len(), 1, "announced before the 200");
    assert_eq!(h.ports.live.len(), 2);
    let mut cancel = Req::new("CANCEL", "cxl", 1);
    cancel.branch = invite.branch.clone();
    let rs = h.send(&cancel.bytes());
    assert_eq!(codes(&rs), [200, 487]);
    assert_eq!(rs[0].cseq().unwrap().method_str, "CANCEL");
    assert_eq!(rs[1].cseq().unwrap().method_str, "INVITE");
    assert_eq!(ended(&h.take_events()), [EndReason::Cancelled]);
    assert!(h.ports.live.is_empty());
    // the ACK for the 487 is absorbed
    let mut ack487 = Req::new("ACK", "cxl", 1);
    ack487.branch = invite.branch.clone();
    ack487.to_tag = Some(to_tag(&rs[1]));
    assert!(h.send(&ack487.bytes()).is_empty());
    assert_eq!(h.srs.session_count(), 0);

    // the manual path: accept sends the prepared 200
    let invite = siprec_invite("manual", &offer, &basic_metadata("g", "cs"));
    assert_eq!(codes(&h.send(&invite.bytes())), [100]);
    let ev = h.take_events();
    let id = started(&ev)[0].id;
    h.srs.accept(h.now, id).unwrap();
    let rs = h.drain();
    assert_eq!(codes(&rs), [200]);
    assert!(h.srs.accept(h.now, id).is_err());
    // and a never-answered INVITE gets 480 after the answer timeout
    let invite = siprec_invite("late", &offer, &basic_metadata("g", "cs"));
    assert_eq!(codes(&h.send(&invite.bytes())), [100]);
    let rs = h.run_until(31);
    assert!(codes(&rs).contains(&480));
    assert!(ended(&h.take_events()).contains(&EndReason::NotAnswered));
}

#[test]
fn session_timer_expiry_and_refresh() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly")]);
    let invite = siprec_invite("timer", &offer, &basic_metadata("g", "cs"))
        .header("Supported: timer")
        .header("Session-Expires: 120;refresher=uac")
        .header("Min-SE: 90");
    let ok = establish(&mut h, &invite);
    assert_eq!(ok.header("Session-Expires"), Some("120;refresher=uac"));
    assert!(ok.requires("timer"));
    let tag = to_tag(&ok);
    h.take_events();
    // refreshed by an UPDATE at 60 s: the deadline moves to 60 + 120 - 32
    h.run_until(60);
    let rs = h.send(
        &Req::in_dialog("UPDATE", "timer", 2, &tag)
            .header("Supported: timer")
            .header("Session-Expires: 120;refresher=uac")
            .bytes(),
    );
    assert_eq!(codes(&rs), [200]);
    h.run_until(147);
    assert!(ended(&h.take_events()).is_empty(), "refreshed in time");
    h.run_until(149);
    let ev = h.take_events();
    assert_eq!(ended(&ev), [EndReason::SessionTimerExpired]);
    assert!(h.ports.live.is_empty());
    // the driver sends the BYE the SRS cannot
    let Some(SrsEvent::SessionEnded { dialog, .. }) = ev.last() else { panic!("no end") };
    let bye = dialog.bye("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKsrsbye1", 1).unwrap();
    let bye = SipMessage::parse(&bye).unwrap();
    assert_eq!(bye.request_uri(), Some("sip:src@192.0.2.1:5060"));
    assert_eq!(bye.to().unwrap().tag(), Some("src-tag"));
    assert_eq!(bye.from().unwrap().tag(), Some(tag.as_str()));
    assert_eq!(bye.from().unwrap().uri_str, "sip:srs@192.0.2.9");
    assert_eq!((bye.call_id(), bye.cseq().unwrap().method_str), (Some("timer"), "BYE"));
    // a later BYE finds no dialog
    assert_eq!(codes(&h.send(&Req::in_dialog("BYE", "timer", 3, &tag).bytes())), [481]);

    // too small an interval: 422 with Min-SE
    let invite = siprec_invite("tiny", &offer, &basic_metadata("g", "cs"))
        .header("Supported: timer")
        .header("Session-Expires: 30");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 422]);
    assert_eq!(rs[1].header("Min-SE"), Some("90"));
    // no timer at all when the SRC does not know it: no Session-Expires
    let invite = siprec_invite("none", &offer, &basic_metadata("g", "cs"));
    let ok = establish(&mut h, &invite);
    assert_eq!(ok.header("Session-Expires"), None);
}

#[test]
fn unacknowledged_answer_ends_the_session() {
    let mut h = Harness::new(config());
    let invite =
        siprec_invite("noack", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
    assert_eq!(codes(&h.send(&invite.bytes())), [100, 200]);
    let rs = h.run_until(40);
    assert!(codes(&rs).iter().all(|&c| c == 200) && rs.len() >= 5, "2xx retransmitted");
    assert!(ended(&h.take_events()).contains(&EndReason::AckTimeout));
    assert!(h.ports.live.is_empty());
}

#[test]
fn capacity_and_port_exhaustion_answer_503() {
    let mut cfg = config();
    cfg.max_sessions = 1;
    let mut h = Harness::new(cfg);
    let offer = sdp(&[(30000, "1", "sendonly")]);
    establish(&mut h, &siprec_invite("one", &offer, &basic_metadata("g", "c")));
    let rs = h.send(&siprec_invite("two", &offer, &basic_metadata("g", "c")).bytes());
    assert_eq!(codes(&rs), [100, 503]);
    assert_eq!(rs[1].header("Retry-After"), Some("10"));
    assert_eq!(h.srs.session_count(), 1);

    let mut h = Harness::new(config());
    h.ports.cap = 1;
    let two = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let rs = h.send(&siprec_invite("ports", &two, &basic_metadata("g", "c")).bytes());
    assert_eq!(codes(&rs), [100, 503]);
    assert_eq!(h.srs.stats().ports_exhausted, 1);
    assert!(h.take_events().is_empty());

    // the transaction layer's own bound: stateless 503
    let mut cfg = config();
    cfg.transactions.max_transactions = 1;
    let mut h = Harness::new(cfg);
    h.send(&Req::new("OPTIONS", "o1", 1).bytes());
    let rs = h.send(&Req::new("OPTIONS", "o2", 1).bytes());
    assert_eq!(codes(&rs), [503]);
    assert!(rs[0].header("Retry-After").is_some());
}

#[test]
fn unknown_dialogs_get_481() {
    let mut h = Harness::new(config());
    for m in ["BYE", "INVITE", "UPDATE", "OPTIONS"] {
        let rs = h.send(&Req::in_dialog(m, "ghost", 5, "nope").bytes());
        assert_eq!(*codes(&rs).last().unwrap(), 481, "{m}");
    }
    // BYE without a To tag
    assert_eq!(codes(&h.send(&Req::new("BYE", "ghost", 6).bytes())), [481]);
    // a known Call-ID with the wrong tag
    let ok = establish(
        &mut h,
        &siprec_invite("real", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c")),
    );
    assert_eq!(codes(&h.send(&Req::in_dialog("BYE", "real", 2, "wrong").bytes())), [481]);
    assert_eq!(codes(&h.send(&Req::in_dialog("BYE", "real", 3, &to_tag(&ok)).bytes())), [200]);
}

#[test]
fn malformed_requests_get_400_and_the_srs_keeps_serving() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly")]);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (Req::new("INVITE", "m2", 1).body("application/sdp", "hello world"), 400, "Bad SDP")
            .into_req(),
        (
            Req::new("INVITE", "m3", 1).body("multipart/mixed", "no boundary here"),
            400,
            "Bad Multipart Body",
        )
            .into_req(),
        (Req::new("INVITE", "m4", 1).body("text/plain", "hi"), 415, "Unsupported Media Type")
            .into_req(),
        (
            String::from_utf8(
                Req::new("INVITE", "m5", 1).body("application/sdp", offer.clone()).bytes(),
            )
            .unwrap()
            .replace("Call-ID: m5\r\n", "")
            .into_bytes(),
            400,
            "Missing Call-ID",
        ),
        (
            String::from_utf8(
                Req::new("INVITE", "m6", 1).body("application/sdp", offer.clone()).bytes(),
            )
            .unwrap()
            .replace("CSeq: 1 INVITE", "CSeq: 1 BYE")
            .into_bytes(),
            400,
            "CSeq Method Mismatch",
        ),
        (
            String::from_utf8(
                Req::new("INVITE", "m7", 1).body("application/sdp", offer.clone()).bytes(),
            )
            .unwrap()
            .replace("Content-Length: ", "Content-Length: 9")
            .into_bytes(),
            400,
            "Truncated Body",
        ),
        (
            Req::new("INVITE", "m8", 1)
                .header("Require: 100rel, precondition")
                .body("application/sdp", offer.clone()),
            420,
            "Bad Extension",
        )
            .into_req(),
        (
            Req::new("INVITE", "m13", 1)
                .body("application/sdp", format!("{offer}{}", "a=x\r\n".repeat(60_000))),
            413,
            "Request Entity Too Large",
        )
            .into_req(),
        (Req::new("INFO", "m9", 1).bytes(), 405, "Method Not Allowed"),
        (Req::new("REGISTER", "m10", 1).bytes(), 405, "Method Not Allowed"),
        (Req::new("FROB", "m11", 1).bytes(), 501, "Not Implemented"),
        (
            Req::new("INVITE", "m12", 1).body("application/sdp", "v=0\r\nm=video 5 RTP/AVP 31\r\n"),
            488,
            "Not Acceptable Here",
        )
            .into_req(),
    ];
    for (bytes, code, reason) in cases {
        let rs = h.send(&bytes);
        let last = rs.last().unwrap_or_else(|| panic!("no answer for {reason}"));
        assert_eq!((last.status(), last.reason()), (Some(code), Some(reason)));
        if code == 405 || code == 501 {
            assert!(last.header("Allow").unwrap().contains("INVITE"));
        }
        if code == 420 {
            assert_eq!(last.header("Unsupported"), Some("precondition"), "100rel is supported");
        }
        assert!(to_tag(last).len() > 2);
    }
    assert!(h.take_events().is_empty());
    assert!(h.ports.live.is_empty());
    // no Via: nothing can be answered
    assert!(h.send(b"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n").is_empty());
    assert!(h.send(b"\x00\x01garbage").is_empty());
    assert!(h.send(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n").is_empty());
    assert_eq!(h.srs.stats().unparsable, 1);
    assert_eq!(h.srs.stats().responses_ignored, 1);
    // broken metadata never costs the audio
    let rs = h.send(&siprec_invite("badxml", &offer, "<recording><oops").bytes());
    assert_eq!(codes(&rs), [100, 200]);
    let ev = h.take_events();
    let s = started(&ev)[0];
    assert!(matches!(&s.metadata, Some(Err(e)) if e.contains("xml")));
    assert_eq!(s.streams.len(), 1);
    assert_eq!(s.group_key, GroupKey::CallId("badxml".into()));
    // OPTIONS out of dialog
    let rs = h.send(&Req::new("OPTIONS", "ping", 1).bytes());
    assert_eq!(codes(&rs), [200]);
    assert_eq!(rs[0].header("Allow"), Some(callvault_sip::srs::ALLOW));
    assert!(rs[0].header("Allow").unwrap().contains("PRACK"));
    assert!(rs[0].header("Supported").unwrap().contains("100rel"));
    assert!(rs[0].header("Accept").unwrap().contains("application/rs-metadata+xml"));
}

trait IntoReq {
    fn into_req(self) -> (Vec<u8>, u16, &'static str);
}

impl IntoReq for (Req, u16, &'static str) {
    fn into_req(self) -> (Vec<u8>, u16, &'static str) {
        (self.0.bytes(), self.1, self.2)
    }
}

#[test]
fn retransmitted_invite_is_answered_from_the_transaction() {
    let mut h = Harness::new(config());
    let invite = siprec_invite("rtx", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
    let first = h.send(&invite.bytes());
    assert_eq!(codes(&first), [100, 200]);
    let again = h.send(&invite.bytes());
    assert_eq!(codes(&again), [200]);
    assert_eq!(again[0].to_bytes(), first[1].to_bytes(), "the same 200, byte for byte");
    assert_eq!(started(&h.take_events()).len(), 1);
    assert_eq!(h.ports.live.len(), 1);
    // the same INVITE by another path (new branch): a merged request
    let mut merged = invite.clone();
    merged.branch = "z9hG4bK-other-path".into();
    assert_eq!(codes(&h.send(&merged.bytes())), [100, 482]);
    assert_eq!(h.srs.session_count(), 1);
    // a re-INVITE with an old CSeq is out of order
    let tag = to_tag(&first[1]);
    h.send(&ack(&invite, &tag));
    let ok = h.send(&Req::in_dialog("UPDATE", "rtx", 5, &tag).bytes());
    assert_eq!(codes(&ok), [200]);
    assert_eq!(codes(&h.send(&Req::in_dialog("UPDATE", "rtx", 4, &tag).bytes())), [500]);
}

#[test]
fn bye_with_partial_metadata_is_kept() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let ok = establish(&mut h, &siprec_invite("sonus", &offer, &basic_metadata("g", "cs")));
    h.take_events();
    let partial = format!(
        "<recording xmlns='{NS}'><datamode>partial</datamode>\
<participantsessionassoc participant_id='alice' session_id='cs'>\
<disassociate-time>2024-01-01T11:00:00Z</disassociate-time></participantsessionassoc></recording>"
    );
    let bye = Req::in_dialog("BYE", "sonus", 2, &to_tag(&ok))
        .body("application/rs-metadata+xml", partial);
    assert_eq!(codes(&h.send(&bye.bytes())), [200]);
    let ev = h.take_events();
    assert!(updated(&ev)[0].changes.contains(&SessionChange::ParticipantDisassociated {
        participant_id: "alice".into(),
        aor: Some("sip:alice@atlanta.example.com".into())
    }));
    assert_eq!(ended(&ev), [EndReason::Bye]);
}

#[test]
fn sessions_and_ports_stay_bounded_under_a_flood() {
    let mut cfg = config();
    cfg.max_sessions = 5;
    let mut h = Harness::new(cfg);
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    for i in 0..50 {
        h.send(&siprec_invite(&format!("flood-{i}"), &offer, &basic_metadata("g", "c")).bytes());
    }
    assert_eq!(h.srs.session_count(), 5);
    assert_eq!(h.ports.live.len(), 10);
    // without ACKs every session times out and every port comes back
    h.run_until(120);
    assert_eq!(h.srs.session_count(), 0);
    assert!(h.ports.live.is_empty());
    assert_eq!(h.srs.transaction_count(), 0);
    assert_eq!(h.srs.poll_timeout(), None);
}

/// The in-dialog part of a valid call, for mutation.
fn valid_dialog(tag: &str, invite: &Req) -> Vec<Vec<u8>> {
    let offer =
        sdp(&[(30000, "1", "inactive"), (30004, "2", "sendonly"), (30006, "3", "sendonly")]);
    let partial = format!(
        "<recording xmlns='{NS}'><datamode>partial</datamode><participant participant_id='carol'/>\
<participantstreamassoc participant_id='carol'><send>s2</send></participantstreamassoc></recording>"
    );
    let (ct, body) = multipart(&offer, &partial);
    vec![
        invite.bytes(),
        ack(invite, tag),
        Req::in_dialog("UPDATE", "fz", 2, tag).body(&ct, body.clone()).bytes(),
        Req::in_dialog("INVITE", "fz", 3, tag).body(&ct, body).bytes(),
        Req::in_dialog("BYE", "fz", 4, tag).bytes(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(
        msgs in proptest::collection::vec(
            (0usize..6, proptest::collection::vec(any::<(usize, u8)>(), 0..8), any::<Vec<u8>>(), 0u64..40),
            1..12,
        )
    ) {
        let mut cfg = config();
        cfg.max_sessions = 3;
        let mut h = Harness::new(cfg);
        let invite = siprec_invite("fz", &sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]), &basic_metadata("g", "c"));
        let rs = h.send(&invite.bytes());
        let tag = to_tag(&rs[1]);
        let base = valid_dialog(&tag, &invite);
        let mut secs = 0;
        for (which, edits, junk, dt) in msgs {
            let mut m = match base.get(which) {
                Some(m) => m.clone(),
                None => junk,
            };
            for (pos, byte) in edits {
                if !m.is_empty() {
                    let i = pos % m.len();
                    m[i] = byte;
                }
            }
            h.send(&m);
            secs += dt;
            h.run_until(secs);
            prop_assert!(h.srs.session_count() <= 3);
            prop_assert!(h.ports.live.len() <= 3 * 8);
        }
        // the driver ends what is left; everything drains and the SRS still
        // serves a clean call
        let ids: Vec<_> = started(&h.take_events()).iter().map(|s| s.id).collect();
        for id in ids {
            let _ = h.srs.end_session(h.now, id, &mut h.ports);
        }
        h.drain();
        prop_assert_eq!(h.srs.session_count(), 0);
        prop_assert!(h.ports.live.is_empty());
        h.run_until(secs + 100);
        prop_assert_eq!(h.srs.transaction_count(), 0);
        let invite = siprec_invite("after", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
        let rs = h.send(&invite.bytes());
        prop_assert_eq!(codes(&rs), vec![100, 200]);
    }
}

#[test]
fn early_bye_and_offers_while_unanswered() {
    let mut cfg = config();
    cfg.auto_answer = false;
    let mut h = Harness::new(cfg);
    let invite =
        siprec_invite("early", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
    assert_eq!(codes(&h.send(&invite.bytes())), [100]);
    let ev = h.take_events();
    let id = started(&ev)[0].id;
    let tag = h.srs.dialog(id).unwrap().local_tag;
    // a second offer while the first is unanswered
    let rs = h.send(&Req::in_dialog("UPDATE", "early", 2, &tag).bytes());
    assert_eq!(codes(&rs), [491]);
    // BYE in the early dialog: 200 for it, 487 for the INVITE
    let rs = h.send(&Req::in_dialog("BYE", "early", 3, &tag).bytes());
    assert_eq!(codes(&rs), [200, 487]);
    assert_eq!(rs[1].cseq().unwrap().method_str, "INVITE");
    assert_eq!(ended(&h.take_events()), [EndReason::Bye]);
    assert!(h.ports.live.is_empty());
    // the driver can end a session too; an unanswered one gets 480
    let invite =
        siprec_invite("drop", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
    h.send(&invite.bytes());
    let ev = h.take_events();
    let id = started(&ev)[0].id;
    h.srs.end_session(h.now, id, &mut h.ports).unwrap();
    assert_eq!(codes(&h.drain()), [480]);
    assert_eq!(ended(&h.take_events()), [EndReason::Local]);
    assert!(h.srs.end_session(h.now, id, &mut h.ports).is_err());
    assert!(h.ports.live.is_empty());
}

#[test]
fn lost_and_duplicated_messages() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let invite = siprec_invite("lossy", &offer, &basic_metadata("g", "c"));
    let rs = h.send(&invite.bytes());
    let ok = rs[1].clone();
    let tag = to_tag(&ok);
    // the ACK is lost twice: the 200 comes again at 0.5 s and 1.5 s
    let rs = h.run_until(2);
    assert_eq!(codes(&rs), [200, 200]);
    assert!(rs.iter().all(|r| r.to_bytes() == ok.to_bytes()));
    // then arrives, twice
    assert!(h.send(&ack(&invite, &tag)).is_empty());
    assert!(h.send(&ack(&invite, &tag)).is_empty());
    assert!(codes(&h.run_until(10)).is_empty(), "no retransmission after the ACK");
    // a re-INVITE duplicated: one update, the same 200 twice
    let moved = sdp(&[(30100, "1", "sendonly"), (30002, "2", "sendonly")]);
    let re = Req::in_dialog("INVITE", "lossy", 2, &tag).body("application/sdp", moved);
    let a = h.send(&re.bytes());
    let b = h.send(&re.bytes());
    assert_eq!((codes(&a), codes(&b)), (vec![100, 200], vec![200]));
    assert_eq!(a[1].to_bytes(), b[0].to_bytes());
    h.send(&ack(&re, &tag));
    // a BYE duplicated, and a late UPDATE reordered after it
    let bye = Req::in_dialog("BYE", "lossy", 4, &tag);
    assert_eq!(codes(&h.send(&bye.bytes())), [200]);
    assert_eq!(codes(&h.send(&bye.bytes())), [200]);
    assert_eq!(codes(&h.send(&Req::in_dialog("UPDATE", "lossy", 3, &tag).bytes())), [481]);
    let ev = h.take_events();
    assert_eq!(started(&ev).len(), 1);
    assert_eq!(updated(&ev).len(), 1);
    assert!(
        updated(&ev)[0]
            .changes
            .iter()
            .any(|c| matches!(c, SessionChange::RemoteMoved { index: 0, .. }))
    );
    assert_eq!(ended(&ev), [EndReason::Bye]);
    assert!(h.ports.live.is_empty());
}

#[test]
fn srs_as_refresher_refreshes_every_half_interval_and_never_expires_locally() {
    let mut h = Harness::new(config());
    let invite = siprec_invite("uas", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"))
        .header("Supported: timer")
        .header("Session-Expires: 1000;refresher=uas");
    let ok = establish(&mut h, &invite);
    // 1000 s is below the configured 1800 s, so it is kept
    assert_eq!(ok.header("Session-Expires"), Some("1000;refresher=uas"));
    h.take_events();
    h.run_until(5000);
    let ev = h.take_events();
    assert!(ended(&ev).is_empty(), "the SRC, not the SRS, ends it");
    assert_eq!(h.srs.session_count(), 1);
    // A refresh is due every 500 s: 10 of them in 5000 s.
    let refreshes: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            SrsEvent::RefreshDue { interval, dialog, .. } => Some((*interval, dialog.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(refreshes.len(), 10);
    let (interval, dialog) = &refreshes[0];
    assert_eq!(*interval, 1000);
    let update = dialog
        .refresh("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKr1", 7, *interval, "sip:srs@192.0.2.9")
        .unwrap();
    let msg = SipMessage::parse(&update).unwrap();
    assert_eq!(msg.method_str(), Some("UPDATE"));
    assert_eq!(msg.call_id(), Some("uas"));
    assert_eq!(msg.header("Session-Expires"), Some("1000;refresher=uas"));
    assert_eq!(msg.cseq().unwrap().seq, 7);
    assert!(msg.body.is_empty());
    // and a long interval is lowered to the configured one
    let invite =
        siprec_invite("long", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"))
            .header("Supported: timer")
            .header("Session-Expires: 7200");
    let ok = establish(&mut h, &invite);
    assert_eq!(ok.header("Session-Expires"), Some("1800;refresher=uac"));
}

#[test]
fn labels_that_do_not_match_the_metadata_fall_back_to_order() {
    let mut h = Harness::new(config());
    // SDP labels 10/20, metadata labels 1/2
    let offer = sdp(&[(30000, "10", "sendonly"), (30002, "20", "sendonly")]);
    establish(&mut h, &siprec_invite("labels", &offer, &basic_metadata("g", "c")));
    let ev = h.take_events();
    let s = started(&ev)[0];
    let senders: Vec<(Option<&str>, SenderSource)> = s
        .streams
        .iter()
        .map(|st| {
            let p = st.sender.as_ref().unwrap();
            (p.participant_id.as_deref(), p.source)
        })
        .collect();
    assert_eq!(
        senders,
        [
            (Some("alice"), SenderSource::MetadataPosition),
            (Some("bob"), SenderSource::MetadataPosition)
        ]
    );
    // one SDP label matches: no guessing for the other
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "20", "sendonly")]);
    establish(&mut h, &siprec_invite("labels2", &offer, &basic_metadata("g", "c")));
    let ev = h.take_events();
    let s = started(&ev)[0];
    assert_eq!(s.streams[0].sender.as_ref().unwrap().participant_id.as_deref(), Some("alice"));
    assert!(s.streams[1].sender.is_none());
}

#[test]
fn cancel_after_an_automatic_answer_changes_nothing() {
    let mut h = Harness::new(config());
    let invite =
        siprec_invite("late-cancel", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"));
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    let mut cancel = Req::new("CANCEL", "late-cancel", 1);
    cancel.branch = invite.branch.clone();
    // the CANCEL is answered 200 by the transaction layer; the INVITE already
    // has its final answer, so the SRC must ACK and BYE (RFC 3261 §9.2)
    assert_eq!(codes(&h.send(&cancel.bytes())), [200]);
    assert!(ended(&h.take_events()).is_empty());
    assert_eq!(h.srs.session_count(), 1);
    let tag = to_tag(&rs[1]);
    h.send(&ack(&invite, &tag));
    assert_eq!(codes(&h.send(&Req::in_dialog("BYE", "late-cancel", 2, &tag).bytes())), [200]);
    assert_eq!(ended(&h.take_events()), [EndReason::Bye]);
}

/// The session id of the one `SessionStarted` among `events`.
fn started_id(events: &[SrsEvent]) -> callvault_sip::srs::SessionId {
    let s = started(events);
    assert_eq!(s.len(), 1, "{events:?}");
    s[0].id
}

fn pings(events: &[SrsEvent]) -> usize {
    events.iter().filter(|e| matches!(e, SrsEvent::PingDue { .. })).count()
}

/// A config with only the given end-of-session policies.
fn bounded(hold: Option<u64>, max: Option<u64>, ping: Option<u64>) -> SrsConfig {
    let mut cfg = config();
    cfg.hold_timeout = hold.map(Duration::from_secs);
    cfg.max_session_duration = max.map(Duration::from_secs);
    cfg.options_ping_interval = ping.map(Duration::from_secs);
    cfg
}

#[test]
fn delayed_offer_takes_the_answer_from_the_ack() {
    let mut h = Harness::new(config());
    // Cisco built-in-bridge style: an INVITE without any body
    let invite = Req::new("INVITE", "late-sdp", 1).header("Require: siprec");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    let offer = answer(&rs[1]);
    assert_eq!(offer.media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    for m in &offer.media {
        assert_eq!(m.direction, Some(Direction::RecvOnly));
        assert_eq!(m.formats, ["0", "8", "9", "111", "101"]);
        assert!(m.rtpmap(101).is_some_and(|r| r.encoding == "telephone-event"));
    }
    assert_eq!(offer.connection.as_ref().and_then(|c| c.ip()), Some("192.0.2.9".parse().unwrap()));
    let ev = h.take_events();
    let s = started(&ev);
    assert_eq!(
        (s[0].kind, s[0].streams.len()),
        (SessionKind::Siprec, 0),
        "no stream before the answer"
    );
    // the answer in the ACK: PCMA on the first line, PCMU on the second
    let tag = to_tag(&rs[1]);
    let ans = "v=0\r\no=src 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=label:1\r\na=sendonly\r\n\
m=audio 30002 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=label:2\r\na=sendonly\r\n";
    assert!(h.send(&ack_with(&invite, &tag, ans)).is_empty());
    let ev = h.take_events();
    let u = updated(&ev);
    assert_eq!(u.len(), 1);
    assert!(u[0].changes.contains(&SessionChange::StreamAdded { index: 0 }));
    assert!(u[0].changes.contains(&SessionChange::StreamAdded { index: 1 }));
    let got: Vec<_> = u[0]
        .streams
        .iter()
        .map(|s| (s.local_port, s.remote.map(|r| r.port()), s.codec, s.offered_direction))
        .collect();
    assert_eq!(
        got,
        [
            (40000, Some(30000), Codec::Pcma, Direction::SendOnly),
            (40002, Some(30002), Codec::Pcmu, Direction::SendOnly)
        ]
    );
    assert_eq!(u[0].streams[1].telephone_event, Some(101));
    assert_eq!(h.srs.stats().delayed_offers, 1);
    // the session goes on like any other and ends by BYE
    let rs = h.send(&Req::in_dialog("BYE", "late-sdp", 2, &tag).bytes());
    assert_eq!(codes(&rs), [200]);
    assert_eq!(ended(&h.take_events()), [EndReason::Bye]);
    assert!(h.ports.live.is_empty());
}

#[test]
fn delayed_offer_with_metadata_offers_one_line_per_metadata_stream() {
    let mut h = Harness::new(config());
    // metadata alone (no SDP part), naming one stream: alice's, label 1
    let xml = basic_metadata("g", "cs")
        .lines()
        .filter(|l| !l.contains("stream_id=\"s2\""))
        .collect::<Vec<_>>()
        .join("\n");
    let invite = Req::new("INVITE", "md-only", 1)
        .header("Require: siprec")
        .body("application/rs-metadata+xml", xml);
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    assert_eq!(answer(&rs[1]).media.len(), 1);
    let ev = h.take_events();
    assert!(matches!(&started(&ev)[0].metadata, Some(Ok(m)) if m.streams.len() == 1));
    h.send(&ack_with(&invite, &to_tag(&rs[1]), &sdp(&[(30000, "1", "sendonly")])));
    let ev = h.take_events();
    let stream = &updated(&ev)[0].streams[0];
    let sender = stream.sender.as_ref().expect("the metadata names the sender");
    assert_eq!(sender.participant_id.as_deref(), Some("alice"));
    assert_eq!(sender.source, SenderSource::MetadataLabel);
}

#[test]
fn ack_without_an_answer_ends_the_session_and_refused_lines_free_their_ports() {
    let mut h = Harness::new(config());
    let invite = Req::new("INVITE", "no-answer", 1).header("Require: siprec");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    assert_eq!(h.ports.live.len(), 2);
    h.take_events();
    assert!(h.send(&ack(&invite, &to_tag(&rs[1]))).is_empty());
    let ev = h.take_events();
    assert_eq!(ended(&ev), [EndReason::NoSdpAnswer]);
    assert!(EndReason::NoSdpAnswer.needs_bye(), "the SRC thinks the session is up");
    assert!(h.ports.live.is_empty());
    assert_eq!(h.srs.session_count(), 0);

    // the SRC takes one line of two: the other's port goes back at once
    let invite = Req::new("INVITE", "one-line", 1).header("Require: siprec");
    let rs = h.send(&invite.bytes());
    let one = sdp(&[(0, "1", "sendonly"), (30002, "2", "sendonly")]);
    h.send(&ack_with(&invite, &to_tag(&rs[1]), &one));
    let ev = h.take_events();
    assert_eq!(updated(&ev)[0].streams.iter().map(|s| s.local_port).collect::<Vec<_>>(), [40006]);
    assert_eq!(h.ports.live.iter().copied().collect::<Vec<_>>(), [40006]);
    // and an answer with no codec the SRS records takes nothing
    let invite = Req::new("INVITE", "g729", 1).header("Require: siprec");
    let rs = h.send(&invite.bytes());
    let g729 = "v=0\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 18\r\na=sendonly\r\n\
m=audio 0 RTP/AVP 0\r\n";
    h.send(&ack_with(&invite, &to_tag(&rs[1]), g729));
    assert_eq!(h.ports.live.iter().copied().collect::<Vec<_>>(), [40006]);
    assert_eq!(h.srs.session_count(), 2);
}

#[test]
fn reinvite_without_sdp_is_a_new_offer_answered_in_the_ack() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let ok = establish(&mut h, &siprec_invite("re-late", &offer, &basic_metadata("g", "cs")));
    let tag = to_tag(&ok);
    h.take_events();
    let re = Req::in_dialog("INVITE", "re-late", 2, &tag);
    let rs = h.send(&re.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    let ours = answer(&rs[1]);
    assert_eq!(ours.media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    assert!(ours.media.iter().all(|m| m.direction == Some(Direction::RecvOnly)));
    // a second offer while ours is pending: 491
    let upd = Req::in_dialog("UPDATE", "re-late", 3, &tag).body("application/sdp", offer.clone());
    assert_eq!(codes(&h.send(&upd.bytes())), [491]);
    // the answer puts both streams on hold and moves one
    let held = sdp(&[(30000, "1", "inactive"), (31000, "2", "inactive")]);
    h.send(&ack_with(&re, &tag, &held));
    let ev = h.take_events();
    let u = updated(&ev);
    assert_eq!(u.len(), 1);
    let c = &u[0].changes;
    assert!(c.contains(&SessionChange::DirectionChanged {
        index: 0,
        from: Direction::SendOnly,
        to: Direction::Inactive
    }));
    assert!(c.iter().any(|c| matches!(c, SessionChange::RemoteMoved { index: 1, .. })));
    assert_eq!(u[0].streams.iter().map(|s| s.local_port).collect::<Vec<_>>(), [40000, 40002]);
    assert_eq!(h.ports.live.len(), 2);
}

#[test]
fn out_of_order_bye_ends_the_session() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly")]);
    let ok = establish(&mut h, &siprec_invite("ooo", &offer, &basic_metadata("g", "cs")));
    let tag = to_tag(&ok);
    h.take_events();
    let upd = Req::in_dialog("UPDATE", "ooo", 5, &tag).body("application/sdp", offer.clone());
    assert_eq!(codes(&h.send(&upd.bytes())), [200]);
    // another request out of order is still refused ...
    let late = Req::in_dialog("UPDATE", "ooo", 4, &tag).body("application/sdp", offer.clone());
    let rs = h.send(&late.bytes());
    assert_eq!((rs[0].status(), rs[0].reason()), (Some(500), Some("CSeq Out Of Order")));
    assert!(ended(&h.take_events()).is_empty());
    // ... but a BYE ends the call the SRC considers over
    let rs = h.send(&Req::in_dialog("BYE", "ooo", 3, &tag).bytes());
    assert_eq!(codes(&rs), [200]);
    assert_eq!(ended(&h.take_events()), [EndReason::OutOfOrderBye]);
    assert!(!EndReason::OutOfOrderBye.needs_bye());
    assert!(h.ports.live.is_empty());
    // the dialog is gone: a retried BYE gets 481
    let rs = h.send(&Req::in_dialog("BYE", "ooo", 6, &tag).bytes());
    assert_eq!(codes(&rs), [481]);
}

#[test]
fn a_held_session_without_timer_ends_after_the_hold_timeout() {
    let mut h = Harness::new(bounded(Some(100), None, None));
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    // no Supported, no Session-Expires: no session timer
    let ok = establish(&mut h, &siprec_invite("held", &offer, &basic_metadata("g", "cs")));
    assert!(ok.header("Session-Expires").is_none());
    let tag = to_tag(&ok);
    let id = started_id(&h.take_events());
    // talking for a long time is not a hold
    h.run_until(500);
    assert!(ended(&h.take_events()).is_empty());
    // hold at 500 s
    let hold = sdp(&[(30000, "1", "inactive"), (30002, "2", "inactive")]);
    let upd = Req::in_dialog("UPDATE", "held", 2, &tag).body("application/sdp", hold);
    assert_eq!(codes(&h.send(&upd.bytes())), [200]);
    h.take_events();
    h.run_until(599);
    assert!(ended(&h.take_events()).is_empty());
    // RTP still arriving on hold at 550 s ... (reported late: the hold
    // began 99 s ago)
    h.srs.media_activity(h.start + Duration::from_secs(550), id);
    h.run_until(649);
    assert!(ended(&h.take_events()).is_empty(), "media at 550 s keeps it until 650 s");
    // nothing else comes (no timer, no BYE): it ends 100 s after the last
    // sign of life
    h.run_until(651);
    assert_eq!(ended(&h.take_events()), [EndReason::HoldTimeout]);
    assert!(EndReason::HoldTimeout.needs_bye());
    assert!(h.ports.live.is_empty());
    assert_eq!(h.srs.poll_timeout(), None);
}

#[test]
fn any_signalling_restarts_the_hold_timeout_and_resume_stops_it() {
    let mut h = Harness::new(bounded(Some(100), None, None));
    let hold = sdp(&[(30000, "1", "inactive")]);
    let ok = establish(&mut h, &siprec_invite("held2", &hold, &basic_metadata("g", "cs")));
    let tag = to_tag(&ok);
    h.take_events();
    h.run_until(90);
    // an in-dialog OPTIONS from the SRC is signalling
    let rs = h.send(&Req::in_dialog("OPTIONS", "held2", 2, &tag).bytes());
    assert_eq!(codes(&rs), [200]);
    h.run_until(189);
    assert!(ended(&h.take_events()).is_empty());
    // resumed at 189 s: no hold deadline any more
    let talk = sdp(&[(30000, "1", "sendonly")]);
    let upd = Req::in_dialog("UPDATE", "held2", 3, &tag).body("application/sdp", talk);
    assert_eq!(codes(&h.send(&upd.bytes())), [200]);
    h.run_until(5000);
    assert!(ended(&h.take_events()).is_empty());
    assert_eq!(h.srs.session_count(), 1);
}

#[test]
fn no_session_outlives_the_maximum_duration() {
    let mut h = Harness::new(bounded(None, Some(1000), None));
    // an SRC refreshing its session timer faithfully still ends at 1000 s
    let invite =
        siprec_invite("long-call", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"))
            .header("Supported: timer")
            .header("Session-Expires: 300;refresher=uac");
    let ok = establish(&mut h, &invite);
    let tag = to_tag(&ok);
    h.take_events();
    for (i, at) in [200u64, 400, 600, 800].into_iter().enumerate() {
        h.run_until(at);
        let upd = Req::in_dialog("UPDATE", "long-call", 2 + i as u32, &tag)
            .header("Supported: timer")
            .header("Session-Expires: 300;refresher=uac");
        assert_eq!(codes(&h.send(&upd.bytes())), [200]);
    }
    h.run_until(999);
    assert!(ended(&h.take_events()).is_empty());
    h.run_until(1001);
    assert_eq!(ended(&h.take_events()), [EndReason::MaxDuration]);
    assert!(EndReason::MaxDuration.needs_bye());
    assert!(h.ports.live.is_empty());
}

#[test]
fn options_pings_where_no_session_timer_runs() {
    let mut h = Harness::new(bounded(None, None, Some(60)));
    let ok = establish(
        &mut h,
        &siprec_invite("ping", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c")),
    );
    let tag = to_tag(&ok);
    let id = started_id(&h.take_events());
    h.run_until(59);
    assert_eq!(pings(&h.take_events()), 0);
    h.run_until(61);
    let ev = h.take_events();
    assert_eq!(pings(&ev), 1);
    let Some(SrsEvent::PingDue { dialog, .. }) =
        ev.iter().find(|e| matches!(e, SrsEvent::PingDue { .. }))
    else {
        unreachable!()
    };
    let bytes = dialog
        .options("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKp1", 1, "sip:srs@192.0.2.9")
        .unwrap();
    let msg = SipMessage::parse(&bytes).unwrap();
    assert_eq!(msg.method_str(), Some("OPTIONS"));
    assert_eq!(msg.request_uri(), Some("sip:src@192.0.2.1:5060"));
    assert_eq!(msg.to().and_then(|t| t.tag().map(str::to_owned)), Some("src-tag".into()));
    assert_eq!(msg.from().and_then(|t| t.tag().map(str::to_owned)), Some(tag.clone()));
    // no second ping while the first is out
    h.run_until(200);
    assert_eq!(pings(&h.take_events()), 0);
    // answered (even 405: the SRC has the dialog): the next one 60 s later
    assert!(!h.srs.ping_result(h.now, id, Some(405), &mut h.ports));
    h.run_until(230);
    // a request from the SRC postpones it
    let upd = Req::in_dialog("UPDATE", "ping", 2, &tag);
    assert_eq!(codes(&h.send(&upd.bytes())), [200]);
    h.run_until(289);
    assert_eq!(pings(&h.take_events()), 0);
    h.run_until(291);
    assert_eq!(pings(&h.take_events()), 1);
    // no answer at all: the SRC is gone
    assert!(h.srs.ping_result(h.now, id, None, &mut h.ports));
    h.drain();
    assert_eq!(ended(&h.take_events()), [EndReason::SrcUnreachable]);
    assert!(h.ports.live.is_empty());

    // 481 ends it too; a session with a timer is never pinged
    let ok = establish(
        &mut h,
        &siprec_invite("ping2", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c")),
    );
    let id = started_id(&h.take_events());
    let timed =
        siprec_invite("timed", &sdp(&[(30000, "1", "sendonly")]), &basic_metadata("g", "c"))
            .header("Supported: timer")
            .header("Session-Expires: 1800;refresher=uac");
    establish(&mut h, &timed);
    h.take_events();
    let _ = ok;
    h.run_until(360);
    let ev = h.take_events();
    assert_eq!(pings(&ev), 1, "only the session without a timer: {ev:?}");
    assert!(h.srs.ping_result(h.now, id, Some(481), &mut h.ports));
    h.drain();
    assert_eq!(ended(&h.take_events()), [EndReason::SrcUnreachable]);
    assert_eq!(h.srs.session_count(), 1);
}

// ---- RFC 3262: reliable provisionals and PRACK ----

/// A PRACK in the early dialog of `invite`, acknowledging `rseq`.
fn prack(invite: &Req, to_tag: &str, cseq: u32, rseq: u32) -> Req {
    Req::in_dialog("PRACK", &invite.call_id, cseq, to_tag)
        .header(&format!("RAck: {rseq} {} INVITE", invite.cseq))
}

fn rseq(r: &OwnedSipMessage) -> u32 {
    r.header("RSeq").expect("a reliable provisional has an RSeq").trim().parse().unwrap()
}

/// The answer an SRC gives to the SRS's two-line offer.
const TWO_LINE_ANSWER: &str = "v=0\r\no=src 1 1 IN IP4 198.51.100.7\r\ns=-\r\n\
c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n\
a=label:1\r\na=sendonly\r\nm=audio 30002 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n";

#[test]
fn delayed_offer_requiring_100rel_is_offered_in_a_reliable_183_and_answered_in_the_prack() {
    let mut h = Harness::new(config());
    let invite = Req::new("INVITE", "rel-late", 1).header("Require: siprec, 100rel");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 183]);
    let p183 = &rs[1];
    assert!(p183.requires("100rel"));
    assert!(p183.header("Contact").unwrap().contains("+sip.srs"));
    assert!(p183.header("Allow").unwrap().contains("PRACK"));
    let offer = answer(p183);
    assert_eq!(offer.media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    assert!(offer.media.iter().all(|m| m.direction == Some(Direction::RecvOnly)));
    let tag = to_tag(p183);
    let seq = rseq(p183);
    assert!((1..=0x7fff_ffff).contains(&seq));
    assert_eq!(h.srs.stats().reliable_provisionals, 1);
    let ev = h.take_events();
    assert_eq!(started(&ev)[0].streams.len(), 0, "no stream before the answer");

    // the PRACK carries the answer: 200 to the PRACK, then the 200 to the
    // INVITE, without SDP (offer and answer are done)
    let pr = prack(&invite, &tag, 2, seq).body("application/sdp", TWO_LINE_ANSWER);
    let rs = h.send(&pr.bytes());
    assert_eq!(codes(&rs), [200, 200]);
    assert_eq!(rs[0].cseq().unwrap().method_str, "PRACK");
    assert!(rs[0].body.is_empty());
    assert_eq!(rs[1].cseq().unwrap().method_str, "INVITE");
    assert!(rs[1].body.is_empty() && rs[1].content_type().is_none(), "no SDP in the 2xx");
    assert_eq!(to_tag(&rs[1]), tag, "one dialog from the 183 on");
    let ev = h.take_events();
    let streams: Vec<_> = updated(&ev)[0]
        .streams
        .iter()
        .map(|s| (s.local_port, s.remote.map(|r| r.port()), s.codec))
        .collect();
    assert_eq!(streams, [(40000, Some(30000), Codec::Pcma), (40002, Some(30002), Codec::Pcmu)]);
    // a retransmitted PRACK is answered from its transaction
    assert_eq!(codes(&h.send(&pr.bytes())), [200]);
    // the ACK has nothing to bring; the 183 is not sent again whatever
    // the clock does, and the session goes on until BYE
    assert!(h.send(&ack(&invite, &tag)).is_empty());
    assert!(h.run_until(40).iter().all(|r| r.status() != Some(183)));
    assert!(ended(&h.take_events()).is_empty());
    let rs = h.send(&Req::in_dialog("BYE", "rel-late", 3, &tag).bytes());
    assert_eq!(codes(&rs), [200]);
    assert_eq!(ended(&h.take_events()), [EndReason::Bye]);
    assert!(h.ports.live.is_empty());
}

#[test]
fn reliable_183_is_retransmitted_at_doubling_intervals_then_the_invite_gets_500() {
    let mut h = Harness::new(config());
    let invite = Req::new("INVITE", "rel-lost", 1).header("Require: siprec, 100rel");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 183]);
    let first = rs[1].to_bytes();
    h.take_events();
    // step virtual time deadline by deadline; note when what is sent
    let mut sent = Vec::new();
    while let Some(t) = h.srs.poll_timeout() {
        if t > h.start + Duration::from_secs(40) {
            break;
        }
        h.now = t;
        h.srs.handle_timeout(h.now, &mut h.ports);
        let at = h.now.saturating_since(h.start).as_millis();
        for r in h.drain() {
            if r.status() == Some(183) {
                assert_eq!(r.to_bytes(), first, "the same 183, RSeq and all");
            }
            sent.push((at, r.status().unwrap()));
        }
    }
    // T1 = 500 ms, doubling without the T2 cap (RFC 3262 §3), 64*T1 in all
    assert_eq!(
        sent[..6],
        [(500, 183), (1500, 183), (3500, 183), (7500, 183), (15500, 183), (31500, 183)]
    );
    assert_eq!(sent[6], (32000, 500), "then the INVITE is refused with a 5xx");
    assert!(sent[7..].iter().all(|&(_, c)| c == 500), "the 500 is retransmitted until ACK");
    assert_eq!(ended(&h.take_events()), [EndReason::PrackTimeout]);
    assert!(!EndReason::PrackTimeout.needs_bye(), "no dialog is left to end");
    assert!(h.ports.live.is_empty());
    assert_eq!(h.srs.session_count(), 0);
    // a PRACK now finds no dialog
    let late = prack(&invite, "cv-any", 2, 1);
    let rs = h.send(&late.bytes());
    assert_eq!(codes(&rs), [481]);
}

#[test]
fn prack_with_a_wrong_rack_gets_481_and_the_183_keeps_coming() {
    let mut h = Harness::new(config());
    let invite = Req::new("INVITE", "rel-rack", 1).header("Require: siprec, 100rel");
    let rs = h.send(&invite.bytes());
    let (tag, seq) = (to_tag(&rs[1]), rseq(&rs[1]));
    h.take_events();
    let wrong = [
        prack(&invite, &tag, 2, seq.wrapping_add(1)),
        Req::in_dialog("PRACK", "rel-rack", 3, &tag).header(&format!("RAck: {seq} 7 INVITE")),
        Req::in_dialog("PRACK", "rel-rack", 4, &tag).header(&format!("RAck: {seq} 1 UPDATE")),
        Req::in_dialog("PRACK", "rel-rack", 5, &tag).header("RAck: garbage"),
        Req::in_dialog("PRACK", "rel-rack", 6, &tag),
    ];
    for pr in &wrong {
        let rs = h.send(&pr.clone().body("application/sdp", TWO_LINE_ANSWER).bytes());
        assert_eq!(codes(&rs), [481], "{:?}", pr.headers);
    }
    assert_eq!(h.srs.stats().unmatched_pracks, 5);
    assert!(h.take_events().is_empty(), "nothing happened to the session");
    // the 183 is still unacknowledged: it goes on being retransmitted
    assert_eq!(codes(&h.run_until(2)), [183, 183]);
    // the right one completes the call
    let rs = h.send(&prack(&invite, &tag, 7, seq).body("application/sdp", TWO_LINE_ANSWER).bytes());
    assert_eq!(codes(&rs), [200, 200]);
    // and the same RAck again acknowledges nothing any more
    let rs = h.send(&prack(&invite, &tag, 8, seq).bytes());
    assert_eq!(codes(&rs), [481]);
    assert!(h.send(&ack(&invite, &tag)).is_empty());
    assert_eq!(h.srs.session_count(), 1);
}

#[test]
fn offer_in_an_invite_requiring_100rel_is_answered_in_the_reliable_183() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly"), (30002, "2", "sendonly")]);
    let invite = siprec_invite("rel-offer", &offer, &basic_metadata("g", "cs"))
        .header("Require: 100rel")
        .header("Supported: timer");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 183]);
    let ans = answer(&rs[1]);
    assert_eq!(ans.media.iter().map(|m| m.port).collect::<Vec<_>>(), [40000, 40002]);
    let ev = h.take_events();
    let s = started(&ev);
    assert_eq!(s[0].streams.len(), 2, "the streams are known from the offer");
    assert_eq!(s[0].streams[0].sender.as_ref().unwrap().participant_id.as_deref(), Some("alice"));
    // a PRACK without a body: the answer was in the 183
    let (tag, seq) = (to_tag(&rs[1]), rseq(&rs[1]));
    let rs = h.send(&prack(&invite, &tag, 2, seq).bytes());
    assert_eq!(codes(&rs), [200, 200]);
    let ok = &rs[1];
    assert!(ok.body.is_empty(), "the 2xx repeats no SDP");
    assert!(ok.requires("siprec") && ok.requires("timer"));
    assert!(ok.header("Session-Expires").is_some());
    assert!(h.take_events().is_empty(), "no change: the streams were already there");
    assert!(h.send(&ack(&invite, &tag)).is_empty());
    // a re-INVITE requiring 100rel is answered straight away (no
    // provisional is needed, so none is sent)
    let re = Req::in_dialog("INVITE", "rel-offer", 3, &tag)
        .header("Require: 100rel")
        .body("application/sdp", offer.replace("sendonly", "inactive"));
    let rs = h.send(&re.bytes());
    assert_eq!(codes(&rs), [100, 200]);
    assert!(!answer(&rs[1]).media.is_empty());
}

#[test]
fn prack_without_the_answer_to_the_offer_in_the_183_refuses_the_invite() {
    let mut h = Harness::new(config());
    let invite = Req::new("INVITE", "rel-noans", 1).header("Require: 100rel");
    let rs = h.send(&invite.bytes());
    assert_eq!(codes(&rs), [100, 183]);
    assert_eq!(h.ports.live.len(), 2);
    let rs = h.send(&prack(&invite, &to_tag(&rs[1]), 2, rseq(&rs[1])).bytes());
    assert_eq!(codes(&rs), [200, 488], "the PRACK is acknowledged, the INVITE refused");
    assert_eq!(ended(&h.take_events()), [EndReason::NoSdpAnswerInPrack]);
    assert!(!EndReason::NoSdpAnswerInPrack.needs_bye());
    assert!(h.ports.live.is_empty());
}

#[test]
fn reliable_183_waits_for_the_driver_to_accept_and_can_be_cancelled() {
    let mut cfg = config();
    cfg.auto_answer = false;
    let mut h = Harness::new(cfg);
    let invite = Req::new("INVITE", "rel-held", 1).header("Require: siprec, 100rel");
    assert_eq!(codes(&h.send(&invite.bytes())), [100]);
    let id = started_id(&h.take_events());
    h.srs.accept(h.now, id).unwrap();
    let rs = h.drain();
    assert_eq!(codes(&rs), [183]);
    assert_eq!(h.srs.accept(h.now, id), Err(callvault_sip::srs::SrsError::AlreadyAnswered));
    // CANCEL while the 183 waits for its PRACK: 200 to the CANCEL, 487
    let mut cancel = Req::new("CANCEL", "rel-held", 1);
    cancel.branch = invite.branch.clone();
    let rs = h.send(&cancel.bytes());
    assert_eq!(codes(&rs), [200, 487]);
    assert_eq!(ended(&h.take_events()), [EndReason::Cancelled]);
    assert!(h.ports.live.is_empty());
}

#[test]
fn without_admission_new_sessions_get_503_and_live_ones_go_on() {
    let mut h = Harness::new(config());
    let offer = sdp(&[(30000, "1", "sendonly")]);
    let live = siprec_invite("live", &offer, &basic_metadata("g", "c"));
    let ok = establish(&mut h, &live);
    h.take_events();

    // The disk is under its critical watermark: new sessions are shed.
    h.srs.set_admission(false);
    assert!(!h.srs.admitting());
    let rs = h.send(&siprec_invite("new", &offer, &basic_metadata("g2", "c2")).bytes());
    assert_eq!(codes(&rs), [100, 503]);
    assert_eq!(rs[1].header("Retry-After"), Some("10"));
    assert_eq!(h.srs.stats().refused_admission, 1);
    assert!(started(&h.take_events()).is_empty(), "a refused session never starts");
    assert_eq!(h.srs.session_count(), 1);

    // The call being recorded is not touched: its BYE ends it normally.
    let bye = Req::in_dialog("BYE", "live", 2, &to_tag(&ok));
    assert_eq!(codes(&h.send(&bye.bytes())), [200]);
    assert_eq!(ended(&h.take_events()), [EndReason::Bye]);

    // Room again: new sessions are answered.
    h.srs.set_admission(true);
    establish(&mut h, &siprec_invite("after", &offer, &basic_metadata("g3", "c3")));
    assert_eq!(h.srs.stats().refused_admission, 1);
}
