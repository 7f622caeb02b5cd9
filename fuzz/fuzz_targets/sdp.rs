//! SDP parsing, writing and the SRS answer on arbitrary text.
#![no_main]

use callvault_sip::sdp::{AnswerConfig, SessionDescription, build_recvonly_answer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse_bytes(data) {
        let text = sdp.to_string();
        assert!(SessionDescription::parse(&text).is_ok(), "written sdp must parse");
        let ports = [4000u16, 4002, 4004];
        let cfg = AnswerConfig {
            local_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            ports: &ports,
            origin_username: "-",
            session_id: 1,
            session_version: 1,
        };
        let (answer, streams) = build_recvonly_answer(&sdp, &cfg);
        assert_eq!(answer.media.len(), sdp.media.len());
        assert_eq!(streams.len(), sdp.media.len());
    }
});
