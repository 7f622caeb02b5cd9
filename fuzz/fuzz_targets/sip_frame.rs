//! Stream framing: never panics, a complete frame is within the buffer and
//! parses as a message.
#![no_main]

use callvault_sip::{Framing, SipMessage, frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    loop {
        match frame(rest) {
            Framing::Complete(n) => {
                assert!(n > 0 && n <= rest.len());
                assert!(SipMessage::parse(&rest[..n]).is_ok(), "a framed message must parse");
                rest = &rest[n..];
            }
            Framing::KeepAlive(n) => {
                assert!(n > 0 && n <= rest.len());
                rest = &rest[n..];
            }
            Framing::Incomplete | Framing::Invalid(_) => break,
        }
    }
});
