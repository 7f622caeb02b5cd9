//! Data-driven parser tests: each case is a hex datagram and the expected
//! summary (or error).
use callvault_rtp::{RtcpIter, RtcpPacket, RtpPacket, TelephoneEvent, is_rtcp};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn summary(bytes: &[u8]) -> String {
    match RtpPacket::parse(bytes) {
        Ok(p) => format!(
            "m={} pt={} seq={} ts={} ssrc={:08x} csrc={:?} ext={:?} payload={}",
            p.marker as u8,
            p.payload_type,
            p.sequence,
            p.timestamp,
            p.ssrc,
            p.csrcs().collect::<Vec<_>>(),
            p.extension.map(|(prof, d)| (prof, d.len())),
            p.payload.len()
        ),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn rtp_cases() {
    let cases: &[(&str, &str)] = &[
        // sipp-style PCMA, seq 0, ssrc CA110000
        (
            "80 08 0000 00000000 CA110000 d5d5d5d5",
            "m=0 pt=8 seq=0 ts=0 ssrc=ca110000 csrc=[] ext=None payload=4",
        ),
        // marker, PCMU, max seq/ts
        (
            "80 80 ffff ffffffff 00000001 ff",
            "m=1 pt=0 seq=65535 ts=4294967295 ssrc=00000001 csrc=[] ext=None payload=1",
        ),
        // two CSRCs
        (
            "82 00 0001 00000002 00000003 00000004 00000005 aa",
            "m=0 pt=0 seq=1 ts=2 ssrc=00000003 csrc=[4, 5] ext=None payload=1",
        ),
        // header extension, one-byte profile, 1 word
        (
            "90 65 0001 00000002 00000003 bede0001 10ff0000 0102",
            "m=0 pt=101 seq=1 ts=2 ssrc=00000003 csrc=[] ext=Some((48862, 4)) payload=2",
        ),
        // padding of 3 bytes
        (
            "a0 00 0001 00000002 00000003 aabb 000003",
            "m=0 pt=0 seq=1 ts=2 ssrc=00000003 csrc=[] ext=None payload=2",
        ),
        // empty payload is valid
        (
            "80 0d 0001 00000002 00000003",
            "m=0 pt=13 seq=1 ts=2 ssrc=00000003 csrc=[] ext=None payload=0",
        ),
        (
            "80 00 0001 00000002 000000",
            "error: packet shorter than the 12-byte rtp header (11 bytes)",
        ),
        ("40 00 0001 00000002 00000003", "error: unsupported rtp version 1"),
        (
            "83 00 0001 00000002 00000003 00000004",
            "error: csrc list runs past the end of the packet",
        ),
        (
            "90 00 0001 00000002 00000003 bede0002 00000000",
            "error: header extension runs past the end of the packet",
        ),
        ("a0 00 0001 00000002 00000003 aa00", "error: padding length 0 is invalid"),
        ("a0 00 0001 00000002 00000003 aa09", "error: padding length 9 is invalid"),
    ];
    for (input, want) in cases {
        assert_eq!(summary(&hex(input)), *want, "input {input}");
    }
}

#[test]
fn telephone_event_cases() {
    type Want = Option<(char, bool, u8, u16)>;
    let cases: &[(&str, Want)] = &[
        ("05 0a 00a0", Some(('5', false, 10, 160))),
        ("0b 8a 0320", Some(('#', true, 10, 800))),
        ("0a 3f ffff 0b000000", Some(('*', false, 63, 65535))),
        ("0b 8a 03", None),
    ];
    for (input, want) in cases {
        let got = TelephoneEvent::parse(&hex(input))
            .ok()
            .map(|e| (e.symbol().unwrap(), e.end, e.volume, e.duration));
        assert_eq!(got, *want, "input {input}");
    }
    let flash = TelephoneEvent::parse(&hex("10 00 0000")).unwrap();
    assert_eq!(flash.symbol(), None);
}

#[test]
fn rtcp_compound() {
    // SR + SDES + BYE
    let sr = "80c80006 CA110000 e1234567 89abcdef 000003e8 00000010 00000a00";
    let sdes = "81ca0002 CA110000 01000000";
    let bye = "81cb0001 CA110000";
    let buf = hex(&format!("{sr}{sdes}{bye}"));
    assert!(is_rtcp(&buf));
    let pkts: Vec<_> = RtcpIter::new(&buf).collect();
    assert_eq!(pkts.len(), 3);
    assert_eq!(
        pkts[0],
        Ok(RtcpPacket::SenderReport {
            ssrc: 0xCA11_0000,
            ntp: 0xe123_4567_89ab_cdef,
            rtp_timestamp: 1000,
            packets: 16,
            octets: 2560
        })
    );
    assert!(matches!(pkts[1], Ok(RtcpPacket::SourceDescription { .. })));
    assert_eq!(pkts[2], Ok(RtcpPacket::Bye { ssrc_bytes: &hex("CA110000")[..] }));
    // A truncated length stops iteration with one error.
    let bad = hex("80c900ff CA110000");
    let pkts: Vec<_> = RtcpIter::new(&bad).collect();
    assert_eq!(pkts.len(), 1);
    assert!(pkts[0].is_err());
    // RTP on the same port is not RTCP.
    assert!(!is_rtcp(&hex("80 08 0000 00000000 CA110000")));
    assert!(!is_rtcp(&hex("80")));
}
