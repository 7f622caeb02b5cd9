//! Capture filter expressions: parsing arbitrary text never panics or
//! recurses without bound, a parsed filter evaluates any frame, and it
//! compiles to a classic BPF program of the kernel's size that ends in a
//! return.
#![no_main]

use callvault_capture::{CaptureFilter, LinkType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the expression, the rest a frame to test it on.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let text = String::from_utf8_lossy(&data[..split]);
    let frame = data.get(split + 1..).unwrap_or_default();
    if let Ok(filter) = CaptureFilter::parse(&text) {
        let again = CaptureFilter::parse(&filter.to_string()).expect("a filter's text parses again");
        for link in [LinkType::ETHERNET, LinkType::LINUX_SLL, LinkType::RAW] {
            assert_eq!(filter.matches(link, frame), again.matches(link, frame));
        }
        let program = filter.kernel_program();
        assert!((1..=4096).contains(&program.len()));
        assert_eq!(program.last().map(|i| i.code), Some(0x06), "ends with a return");
    }
});
