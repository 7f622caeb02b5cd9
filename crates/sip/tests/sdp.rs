//! SDP parsing, writing and the SRS answer.

use std::net::IpAddr;
use std::path::PathBuf;

use callvault_sip::sdp::{
    AnswerConfig, Codec, Direction, SessionDescription, build_recvonly_answer,
};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/siprec-vendor-offers")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// (file, per SDP: [(port, label, direction, first codec)])
type Expect = &'static [&'static [(u16, Option<&'static str>, Direction, Option<Codec>)]];

#[test]
fn fixture_sdps() {
    use Direction::*;
    let cases: &[(&str, Expect)] = &[
        (
            "sample-sdp2.txt",
            &[
                &[(35003, Some("1"), SendOnly, Some(Codec::Pcma))],
                &[(48926, Some("2"), SendOnly, Some(Codec::Pcmu))],
            ],
        ),
        (
            "sample-sdp3.txt",
            &[
                &[(22820, None, SendRecv, Some(Codec::Pcma))],
                &[(19640, None, RecvOnly, Some(Codec::Pcma))],
            ],
        ),
        (
            "sample-sdps.txt",
            &[
                &[(48932, Some("1"), SendOnly, Some(Codec::Pcmu))],
                &[(48926, Some("2"), SendOnly, Some(Codec::Pcmu))],
            ],
        ),
        ("non-siprec-payload.txt", &[&[(10292, Some("1"), SendOnly, Some(Codec::Pcmu))]]),
    ];
    for (file, expected) in cases {
        let text = fixture(file);
        let parts: Vec<&str> = text.split("__split_here__").collect();
        assert_eq!(parts.len(), expected.len(), "{file}");
        for (part, exp) in parts.iter().zip(expected.iter()) {
            let sdp = SessionDescription::parse(part).unwrap();
            let got: Vec<_> = sdp
                .media
                .iter()
                .map(|m| {
                    let first = m.payload_types().next().and_then(|pt| m.codec(pt));
                    (m.port, m.label.as_deref(), m.effective_direction(&sdp), first)
                })
                .collect();
            assert_eq!(got, exp.to_vec(), "{file}");
            // writing and re-parsing gives the same description
            let again = SessionDescription::parse(&sdp.to_string()).unwrap();
            assert_eq!(again, sdp, "{file} round trip");
        }
    }
}

#[test]
fn sample_sdp2_details() {
    let text = fixture("sample-sdp2.txt");
    let sdp = SessionDescription::parse(text.split("__split_here__").next().unwrap()).unwrap();
    let m = &sdp.media[0];
    assert_eq!(sdp.connection.as_ref().unwrap().ip(), Some("127.0.0.1".parse().unwrap()));
    let rtcp = m.rtcp.as_ref().unwrap();
    assert_eq!(rtcp.port, 60552);
    assert_eq!(rtcp.connection.as_ref().unwrap().address, "192.168.1.224");
    assert_eq!(m.bandwidth, vec!["AS:84", "TIAS:64000"]);
    assert_eq!(m.fmtp(101), Some("0-16"));
    assert_eq!(m.rtpmap(101).unwrap().encoding, "telephone-event");
    assert!(m.attributes.iter().any(|a| a.name == "candidate"));
    assert_eq!(sdp.origin.as_ref().unwrap().session_id, "1548422731");
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
fn ipv6_session_direction_and_answer() {
    let offer = SessionDescription::parse(OFFER).unwrap();
    assert_eq!(offer.direction, Some(Direction::SendOnly));
    assert_eq!(offer.connection.as_ref().unwrap().ip(), Some("2001:db8::1".parse().unwrap()));
    assert_eq!(offer.media[0].effective_direction(&offer), Direction::SendOnly);
    assert_eq!(offer.media[2].effective_direction(&offer), Direction::Inactive);
    assert_eq!(offer.media[2].port_count, Some(2));
    assert_eq!(offer.media[2].connection.as_ref().unwrap().address, "10.1.1.1");
    let ip: IpAddr = "192.0.2.5".parse().unwrap();
    let cfg = AnswerConfig {
        local_ip: ip,
        ports: &[30000, 30002, 30004, 30006, 30008],
        origin_username: "callvault",
        session_id: 42,
        session_version: 1,
    };
    let (answer, streams) = build_recvonly_answer(&offer, &cfg);
    assert_eq!(answer.media.len(), 5);
    let summary: Vec<_> = streams
        .iter()
        .map(|s| (s.port, s.label.as_deref(), s.codec, s.telephone_event, s.direction))
        .collect();
    assert_eq!(
        summary,
        vec![
            (30000, Some("caller"), Some((Codec::Opus, 111)), Some(101), Direction::RecvOnly),
            (0, Some("g729-only"), None, None, Direction::RecvOnly),
            (30004, Some("3"), Some((Codec::Pcmu, 0)), None, Direction::Inactive),
            (0, Some("4"), None, None, Direction::RecvOnly),
            (0, Some("5"), None, None, Direction::RecvOnly),
        ]
    );
    let text = answer.to_string();
    assert!(text.contains("c=IN IP4 192.0.2.5\r\n"), "{text}");
    assert!(
        text.contains("m=audio 30000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\n"),
        "{text}"
    );
    assert!(text.contains("a=fmtp:111 useinbandfec=1\r\n"), "{text}");
    assert!(text.contains("a=label:caller\r\na=recvonly\r\n"), "{text}");
    assert!(text.contains("m=audio 0 RTP/AVP 18\r\n"), "{text}");
    assert!(text.contains("m=video 0 RTP/AVP 96\r\n"), "{text}");
    let reparsed = SessionDescription::parse(&text).unwrap();
    assert_eq!(reparsed, answer);
    // missing port entries reject
    let (_, streams) = build_recvonly_answer(&offer, &AnswerConfig { ports: &[], ..cfg });
    assert!(streams.iter().all(|s| s.port == 0 && s.codec.is_none()));
}

#[test]
fn static_codec_without_rtpmap_and_first_supported_wins() {
    let offer = SessionDescription::parse("v=0\nm=audio 1 RTP/AVP 18 8 0\n").unwrap();
    let (answer, streams) = build_recvonly_answer(
        &offer,
        &AnswerConfig {
            local_ip: "10.0.0.1".parse().unwrap(),
            ports: &[2000],
            origin_username: "-",
            session_id: 1,
            session_version: 1,
        },
    );
    assert_eq!(streams[0].codec, Some((Codec::Pcma, 8)));
    assert!(answer.to_string().contains("a=rtpmap:8 PCMA/8000\r\n"));
}

#[test]
fn not_sdp() {
    assert!(SessionDescription::parse("").is_err());
    assert!(SessionDescription::parse("<xml/>").is_err());
    // broken m= lines are skipped, attributes do not leak into the previous one
    let s =
        SessionDescription::parse("v=0\nm=audio 10 RTP/AVP 0\nm=audio x RTP/AVP 0\na=label:9\n")
            .unwrap();
    assert_eq!(s.media.len(), 1);
    assert_eq!(s.media[0].label, None);
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
