//! Any bytes through the SIP message parser and every typed accessor; a
//! parsed message must serialise to something that parses again.
#![no_main]

use callvault_sip::SipMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = SipMessage::parse(data) {
        let _ = (m.call_id(), m.from(), m.to(), m.cseq(), m.vias(), m.contacts(), m.content_type());
        let _ = (m.require(), m.supported(), m.refer_to(), m.referred_by(), m.replaces());
        let _ = (m.refer_to_replaces(), m.session_expires(), m.min_se(), m.max_forwards());
        let bytes = m.to_bytes();
        assert!(SipMessage::parse(&bytes).is_ok(), "serialised message must parse");
        let _ = m.response(200, "OK", Some("tag")).to_bytes();
    }
});
