//! Capture file reader over arbitrary bytes: never panics, never hangs,
//! frames stay within the record limit.
#![no_main]

use callvault_capture::CaptureReader;
use callvault_capture::file::MAX_RECORD_BYTES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data) else { return };
    while let Ok(Some(frame)) = reader.next_frame() {
        assert!(frame.data.len() <= MAX_RECORD_BYTES);
    }
});
