//! SIPREC metadata and whole SIPREC bodies (guessed boundary).
#![no_main]

use callvault_sip::siprec::{parse_metadata, parse_siprec_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(md) = parse_metadata(&String::from_utf8_lossy(data)) {
        let _ = md.label_senders();
    }
    let _ = parse_siprec_body(None, data);
    let _ = parse_siprec_body(Some("multipart/mixed;boundary=b"), data);
});
