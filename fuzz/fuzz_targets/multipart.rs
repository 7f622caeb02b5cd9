//! Multipart splitting: the first line picks a boundary, the rest is the
//! body. Part bodies must lie within the input.
#![no_main]

use callvault_sip::multipart::{guess_boundary, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = guess_boundary(data);
    let (first, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let boundary = String::from_utf8_lossy(first);
    if let Ok(parts) = split(body, &boundary) {
        for p in parts {
            assert!(p.body.len() <= body.len());
            let _ = p.content_type();
        }
    }
});
