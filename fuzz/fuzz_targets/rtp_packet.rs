//! RTP, RTCP and RFC 4733 parsing on arbitrary datagrams.
#![no_main]

use callvault_rtp::{RtcpIter, RtpPacket, TelephoneEvent, is_rtcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RtpPacket::parse(data) {
        assert!(p.payload.len() + 12 <= data.len());
        assert_eq!(p.csrcs().count() * 4, p.csrc_bytes.len());
        // a packet we write parses back to the same header and payload
        let mut out = Vec::new();
        p.write(&mut out);
        let q = RtpPacket::parse(&out).expect("written packet parses");
        assert_eq!((q.sequence, q.timestamp, q.ssrc, q.payload), (p.sequence, p.timestamp, p.ssrc, p.payload));
        let _ = TelephoneEvent::parse(p.payload);
    }
    let _ = is_rtcp(data);
    for pkt in RtcpIter::new(data) {
        if pkt.is_err() {
            break;
        }
    }
});
