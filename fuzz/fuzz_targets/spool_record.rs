//! The spool record format on arbitrary bytes (what recovery reads after a
//! crash): decoding never panics, and a decoded record re-encodes to the
//! same bytes.
#![no_main]

use callvault_media::spool::{RecordIter, decode_record, encode_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((rec, n)) = decode_record(data) {
        let mut out = Vec::new();
        encode_record(&rec, &mut out);
        assert_eq!(&out[..], &data[..n]);
    }
    let mut it = RecordIter::new(data);
    for _ in it.by_ref() {}
    assert!(it.valid_len() <= data.len());
});
