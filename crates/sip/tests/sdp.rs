//! SDP parsing, writing and the SRS answer.
//!
//! Every case goes through [`check`] (or [`check_answer`]): parse, prove the
//! written form parses back to the same description, and compare a compact
//! rendering with an inline snapshot. `UPDATE_EXPECT=1 cargo test` rewrites
//! the snapshots; read the diff before committing it.

use std::fmt::Write as _;

use callvault_sip::sdp::{
    AnswerConfig, Attribute, Connection, MediaDescription, SessionDescription,
    build_recvonly_answer,
};
use expect_test::{Expect, expect};

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/siprec-vendor-offers")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Parses `text` (the vendor samples hold several SDPs separated by
/// `__split_here__`; each is rendered after a `---` line) and compares the
/// rendering with `expect`.
fn check(text: &str, expect: Expect) {
    let mut out = String::new();
    for (i, part) in text.split("__split_here__").enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match SessionDescription::parse(part) {
            Ok(sdp) => {
                assert_eq!(
                    SessionDescription::parse(&sdp.to_string()),
                    Ok(with_written_defaults(&sdp)),
                    "writing and re-parsing part {i}"
                );
                render(&mut out, &sdp);
            }
            Err(e) => writeln!(out, "error: {e}").unwrap(),
        }
    }
    expect.assert_eq(&out);
}

/// `sdp` as the writer puts it out: `v=0`, `s=-` and `t=0 0` where the
/// parsed text had none.
fn with_written_defaults(sdp: &SessionDescription) -> SessionDescription {
    let mut sdp = sdp.clone();
    if sdp.version.is_empty() {
        sdp.version = "0".into();
    }
    if sdp.session_name.is_empty() {
        sdp.session_name = "-".into();
    }
    if sdp.timing.is_empty() {
        sdp.timing = vec!["0 0".into()];
    }
    sdp
}

/// One line for the session, one per m-line, then one per payload type
/// (`rtpmap` or `static`, the codec it maps to, its `fmtp`) and one per
/// attribute kept raw. `dir` is the effective direction, marked `(session)`
/// or `(default)` when the m-line has none of its own.
fn render(out: &mut String, sdp: &SessionDescription) {
    let origin = sdp.origin.as_ref().map(|o| format!("{} {}", o.username, o.session_id));
    write!(out, "session").unwrap();
    fields(
        out,
        &[
            ("o", origin.or(Some("-".into()))),
            ("c", sdp.connection.as_ref().map(connection)),
            ("dir", sdp.direction.map(|d| d.as_str().into())),
        ],
    );
    attributes(out, &sdp.attributes);
    for m in &sdp.media {
        render_media(out, sdp, m);
    }
}

fn render_media(out: &mut String, sdp: &SessionDescription, m: &MediaDescription) {
    let port = match m.port_count {
        Some(n) => format!("{}/{n}", m.port),
        None => m.port.to_string(),
    };
    let inherited = match (m.direction, sdp.direction) {
        (Some(_), _) => "",
        (None, Some(_)) => " (session)",
        (None, None) => " (default)",
    };
    let rtcp = m.rtcp.as_ref().map(|r| match &r.connection {
        Some(c) => format!("{}@{}", r.port, connection(c)),
        None => r.port.to_string(),
    });
    write!(out, "m={} {port} {}", m.media, m.proto).unwrap();
    fields(
        out,
        &[
            ("label", m.label.clone().or(Some("-".into()))),
            ("dir", Some(format!("{}{inherited}", m.effective_direction(sdp).as_str()))),
            ("c", m.connection.as_ref().map(connection)),
            ("rtcp", rtcp),
            ("ptime", m.ptime.map(|p| p.to_string())),
            ("b", (!m.bandwidth.is_empty()).then(|| m.bandwidth.join(","))),
        ],
    );
    for f in &m.formats {
        let Ok(pt) = f.parse::<u8>() else {
            writeln!(out, "  {f}: not a payload type").unwrap();
            continue;
        };
        let map = m.rtpmap(pt).map_or("static".into(), |r| match r.channels {
            Some(ch) => format!("{}/{}/{ch}", r.encoding, r.clock_rate),
            None => format!("{}/{}", r.encoding, r.clock_rate),
        });
        let codec = m.codec(pt).map_or("unsupported".into(), |c| format!("{c:?}"));
        let fmtp = m.fmtp(pt).map(|p| format!(" fmtp {p}")).unwrap_or_default();
        writeln!(out, "  {pt}: {map} -> {codec}{fmtp}").unwrap();
    }
    attributes(out, &m.attributes);
}

/// ` key=value` for each value there is, then the end of the line.
fn fields(out: &mut String, fields: &[(&str, Option<String>)]) {
    for (key, value) in fields {
        if let Some(v) = value {
            write!(out, " {key}={v}").unwrap();
        }
    }
    out.push('\n');
}

fn attributes(out: &mut String, attributes: &[Attribute]) {
    for a in attributes {
        match &a.value {
            Some(v) => writeln!(out, "  a={}:{v}", a.name).unwrap(),
            None => writeln!(out, "  a={}", a.name).unwrap(),
        }
    }
}

/// The address, or a note that it is not an IP address.
fn connection(c: &Connection) -> String {
    match c.ip() {
        Some(ip) => ip.to_string(),
        None => format!("{} (not an ip)", c.address),
    }
}

/// Builds the SRS's recvonly answer to `offer` with local `ports` (one per
/// m-line) and renders the chosen streams, then the answer as written.
fn check_answer(offer: &str, ports: &[u16], expect: Expect) {
    let offer = SessionDescription::parse(offer).unwrap();
    let (answer, streams) = build_recvonly_answer(&offer, &answer_config(ports));
    assert_eq!(answer.media.len(), offer.media.len(), "one answer line per offered line");
    let text = answer.to_string();
    assert_eq!(SessionDescription::parse(&text).as_ref(), Ok(&answer), "writing and re-parsing");
    let mut out = String::new();
    for s in &streams {
        write!(
            out,
            "stream {} label={} port={}",
            s.index,
            s.label.as_deref().unwrap_or("-"),
            s.port
        )
        .unwrap();
        match s.codec {
            Some((c, pt)) => write!(out, " codec={c:?}/{pt}").unwrap(),
            None => out.push_str(" rejected"),
        }
        if let Some(pt) = s.telephone_event {
            write!(out, " dtmf={pt}").unwrap();
        }
        writeln!(out, " {}", s.direction.as_str()).unwrap();
    }
    out.push_str("---\n");
    out.push_str(&text.replace("\r\n", "\n"));
    expect.assert_eq(&out);
}

fn answer_config(ports: &[u16]) -> AnswerConfig<'_> {
    AnswerConfig {
        local_ip: "192.0.2.5".parse().unwrap(),
        ports,
        origin_username: "callvault",
        session_id: 42,
        session_version: 1,
    }
}

/// The plain SDP samples among the vendor offers.
#[test]
fn vendor_samples() {
    check(
        &fixture("sample-sdp2.txt"),
        expect![[r#"
            session o=- 1548422731 c=127.0.0.1
            m=audio 35003 RTP/AVP label=1 dir=sendonly rtcp=60552@192.168.1.224 b=AS:84,TIAS:64000
              8: PCMA/8000 -> Pcma
              0: PCMU/8000 -> Pcmu
              101: telephone-event/8000 -> TelephoneEvent fmtp 0-16
              a=X-nat:0
              a=ice-ufrag:4e087a61
              a=ice-pwd:09407014
              a=candidate:Hc0a801e0 1 UDP 2130706431 192.168.1.224 60550 typ host
              a=candidate:Hc0a801e0 2 UDP 2130706430 192.168.1.224 60552 typ host
            ---
            session o=Sonus_UAC 328001
            m=audio 48926 RTP/AVP label=2 dir=sendonly c=172.16.169.132
              0: PCMU/8000 -> Pcmu
              a=maxptime:20
        "#]],
    );
    check(
        &fixture("sample-sdp3.txt"),
        expect![[r#"
            session o=FreeSWITCH 1549434639 c=167.99.54.110
            m=audio 22820 RTP/AVP label=- dir=sendrecv (default) ptime=20
              8: PCMA/8000 -> Pcma
              101: telephone-event/8000 -> TelephoneEvent fmtp 0-16
            ---
            session o=FreeSWITCH 1549437819 c=167.99.54.110
            m=audio 19640 RTP/AVP label=- dir=recvonly ptime=20
              8: PCMA/8000 -> Pcma
              101: telephone-event/8000 -> TelephoneEvent fmtp 0-16
        "#]],
    );
    check(
        &fixture("sample-sdps.txt"),
        expect![[r#"
            session o=Sonus_UAC 328001
            m=audio 48932 RTP/AVP label=1 dir=sendonly c=172.16.169.132
              0: PCMU/8000 -> Pcmu
              a=maxptime:20
            ---
            session o=Sonus_UAC 328001
            m=audio 48926 RTP/AVP label=2 dir=sendonly c=172.16.169.132
              0: PCMU/8000 -> Pcmu
              a=maxptime:20
        "#]],
    );
    check(
        &fixture("non-siprec-payload.txt"),
        expect![[r#"
            session o=CiscoSystemsSIP-GW-UserAgent 1247 c=172.31.93.236
            m=audio 10292 RTP/AVP label=1 dir=sendonly c=172.31.93.236 ptime=20
              0: PCMU/8000 -> Pcmu
              101: telephone-event/8000 -> TelephoneEvent fmtp 0-16
        "#]],
    );
}

const OFFER: &str = "v=0
o=SRC 1 2 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
a=sendonly
m=audio 4000 RTP/AVP 18 111 9 101
a=rtpmap:111 opus/48000/2
a=fmtp:111 useinbandfec=1
a=rtpmap:101 telephone-event/48000
a=fmtp:101 0-15
a=ptime:20
a=label:caller
m=audio 4002 RTP/AVP 18
a=label:g729-only
m=audio 4004/2 RTP/AVP 0
c=IN IP4 10.1.1.1/127
a=inactive
a=label:3
m=video 4006 RTP/AVP 96
a=label:4
m=audio 0 RTP/AVP 8
a=label:5
";

#[test]
fn ipv6_session_direction_port_count_and_ttl() {
    check(
        OFFER,
        expect![[r#"
            session o=SRC 1 c=2001:db8::1 dir=sendonly
            m=audio 4000 RTP/AVP label=caller dir=sendonly (session) ptime=20
              18: static -> unsupported
              111: opus/48000/2 -> Opus fmtp useinbandfec=1
              9: static -> G722
              101: telephone-event/48000 -> TelephoneEvent fmtp 0-15
            m=audio 4002 RTP/AVP label=g729-only dir=sendonly (session)
              18: static -> unsupported
            m=audio 4004/2 RTP/AVP label=3 dir=inactive c=10.1.1.1
              0: static -> Pcmu
            m=video 4006 RTP/AVP label=4 dir=sendonly (session)
              96: static -> unsupported
            m=audio 0 RTP/AVP label=5 dir=sendonly (session)
              8: static -> Pcma
        "#]],
    );
}

#[test]
fn answer_picks_a_codec_per_line_and_rejects_the_rest() {
    check_answer(
        OFFER,
        &[30000, 30002, 30004, 30006, 30008],
        expect![[r#"
            stream 0 label=caller port=30000 codec=Opus/111 dtmf=101 recvonly
            stream 1 label=g729-only port=0 rejected recvonly
            stream 2 label=3 port=30004 codec=Pcmu/0 inactive
            stream 3 label=4 port=0 rejected recvonly
            stream 4 label=5 port=0 rejected recvonly
            ---
            v=0
            o=callvault 42 1 IN IP4 192.0.2.5
            s=-
            c=IN IP4 192.0.2.5
            t=0 0
            m=audio 30000 RTP/AVP 111 101
            a=rtpmap:111 opus/48000/2
            a=rtpmap:101 telephone-event/48000
            a=fmtp:111 useinbandfec=1
            a=fmtp:101 0-15
            a=ptime:20
            a=label:caller
            a=recvonly
            m=audio 0 RTP/AVP 18
            a=label:g729-only
            a=recvonly
            m=audio 30004 RTP/AVP 0
            a=rtpmap:0 PCMU/8000
            a=label:3
            a=inactive
            m=video 0 RTP/AVP 96
            a=label:4
            a=recvonly
            m=audio 0 RTP/AVP 8
            a=label:5
            a=recvonly
        "#]],
    );
}

/// A missing port entry rejects its line.
#[test]
fn answer_without_local_ports_rejects_every_line() {
    let offer = SessionDescription::parse(OFFER).unwrap();
    let (_, streams) = build_recvonly_answer(&offer, &answer_config(&[]));
    assert!(streams.iter().all(|s| s.port == 0 && s.codec.is_none()), "{streams:?}");
}

#[test]
fn answer_static_codec_without_rtpmap_and_first_supported_wins() {
    check_answer(
        "v=0\nm=audio 1 RTP/AVP 18 8 0\n",
        &[2000],
        expect![[r#"
            stream 0 label=- port=2000 codec=Pcma/8 recvonly
            ---
            v=0
            o=callvault 42 1 IN IP4 192.0.2.5
            s=-
            c=IN IP4 192.0.2.5
            t=0 0
            m=audio 2000 RTP/AVP 8
            a=rtpmap:8 PCMA/8000
            a=recvonly
        "#]],
    );
}

/// G.726 is answered: static payload type 2 (written as `G726-32`), and
/// the dynamic names with their packing.
#[test]
fn answer_takes_g726_in_both_packings() {
    check_answer(
        "v=0\nm=audio 1 RTP/AVP 18 2\nm=audio 3 RTP/AVP 18 97\na=rtpmap:97 AAL2-G726-24/8000\n",
        &[2000, 2002],
        expect![[r#"
            stream 0 label=- port=2000 codec=G726 { bits: 4, aal2: false }/2 recvonly
            stream 1 label=- port=2002 codec=G726 { bits: 3, aal2: true }/97 recvonly
            ---
            v=0
            o=callvault 42 1 IN IP4 192.0.2.5
            s=-
            c=IN IP4 192.0.2.5
            t=0 0
            m=audio 2000 RTP/AVP 2
            a=rtpmap:2 G726-32/8000
            a=recvonly
            m=audio 2002 RTP/AVP 97
            a=rtpmap:97 AAL2-G726-24/8000
            a=recvonly
        "#]],
    );
}

#[test]
fn not_sdp() {
    check(
        "",
        expect![[r#"
            error: not an sdp body
        "#]],
    );
    check(
        "<xml/>",
        expect![[r#"
            error: not an sdp body
        "#]],
    );
}

#[test]
fn broken_m_line_is_skipped_and_its_attributes_do_not_leak() {
    check(
        "v=0\nm=audio 10 RTP/AVP 0\nm=audio x RTP/AVP 0\na=label:9\n",
        expect![[r#"
            session o=-
            m=audio 10 RTP/AVP label=- dir=sendrecv (default)
              0: static -> Pcmu
        "#]],
    );
}

proptest::proptest! {
    #[test]
    fn never_panics(lines in proptest::collection::vec("(v=0|o=[a-z0-9 ]{0,20}|c=[A-Z0-9. /:]{0,20}|m=[a-z0-9 /]{0,20}|a=[a-z:0-9 /=-]{0,20}|[a-z]=.{0,10}|.{0,10})", 0..12)) {
        if let Ok(sdp) = SessionDescription::parse(&lines.join("\n")) {
            let again = SessionDescription::parse(&sdp.to_string());
            proptest::prop_assert!(again.is_ok());
        }
    }
}
