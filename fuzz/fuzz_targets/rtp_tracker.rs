//! The stream tracker on arbitrary packet sequences: every packet released is
//! in order within its sub-stream, at most once, and nothing panics.
#![no_main]

use std::time::Duration;

use callvault_model::Timestamp;
use callvault_rtp::{RtpPacket, StreamTracker, TrackerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut cfg = TrackerConfig::default();
    cfg.reorder_depth = 4;
    let mut t = StreamTracker::new(cfg);
    let mut now = Timestamp::from_secs_nanos(1, 0);
    let mut last: Option<(u32, i64)> = None;
    // 12-byte records: header fields; time advances by the first byte in ms
    for rec in data.chunks_exact(12) {
        now += Duration::from_millis(u64::from(rec[0]));
        let p = RtpPacket {
            marker: rec[1] & 0x80 != 0,
            payload_type: rec[1] & 0x7f,
            sequence: u16::from_be_bytes([rec[2], rec[3]]),
            timestamp: u32::from_be_bytes([rec[4], rec[5], rec[6], rec[7]]),
            ssrc: u32::from(rec[8] & 3),
            csrc_bytes: &[],
            extension: None,
            payload: &rec[9..],
        };
        t.push(now, &p);
        while let Some(out) = t.poll(now) {
            let key = (out.sub_stream, out.ext_seq);
            if let Some(prev) = last {
                assert!(key.0 > prev.0 || (key.0 == prev.0 && key.1 > prev.1), "{prev:?} then {key:?}");
            }
            last = Some(key);
        }
    }
    while t.flush().is_some() {}
    let s = t.stats();
    assert!(s.released <= s.received);
});
