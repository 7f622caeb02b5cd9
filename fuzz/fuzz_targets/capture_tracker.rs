//! Frames → `CaptureDemux` → `CallTracker`: never panics, state stays under
//! its caps, and the outputs are consistent (RTP only inside a started and
//! not yet ended conversation; each conversation starts and ends once).
//!
//! Input: a sequence of `[op, a, b, len_hi, len_lo, bytes...]`. `op % 3`:
//! 0 = a raw Ethernet frame, 1 = a UDP datagram between two addresses of a
//! small pool (so SIP text in the seeds reaches the tracker), 2 = time
//! advances by `a` seconds.
#![no_main]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use callvault_capture::synth::{self, Encap};
use callvault_capture::tracker::IpNet;
use callvault_capture::{
    CallTracker, CaptureDemux, DemuxConfig, LinkType, Timestamp, TrackerConfig, TrackerOutput,
};
use libfuzzer_sys::fuzz_target;

const POOL: [&str; 6] = [
    "10.0.0.1:5060",
    "203.0.113.10:5060",
    "10.0.0.1:40000",
    "203.0.113.10:20000",
    "10.0.0.30:5060",
    "10.0.0.30:32000",
];

fuzz_target!(|data: &[u8]| {
    let pool: Vec<SocketAddr> = POOL.iter().filter_map(|s| s.parse().ok()).collect();
    let config = TrackerConfig {
        sip_timeout: Duration::from_secs(4),
        rtp_timeout: Duration::from_secs(8),
        company_networks: IpNet::parse("10.0.0.0/8").into_iter().collect(),
        max_dialogs: 8,
        max_pending_refers: 4,
        ..TrackerConfig::default()
    };
    let mut demux = CaptureDemux::new(DemuxConfig::default());
    let mut tracker = CallTracker::new(config);
    let mut live = HashSet::new();
    let mut done = HashSet::new();
    let mut ms = 0u64;
    let mut rest = data;
    while let [op, x, y, hi, lo, tail @ ..] = rest {
        let n = (usize::from(*hi) << 8 | usize::from(*lo)).min(tail.len());
        let (bytes, after) = tail.split_at(n);
        rest = after;
        ms += 1;
        let ts = Timestamp::from_nanos(ms * 1_000_000);
        match op % 3 {
            0 => demux.push_raw(ts, LinkType::ETHERNET, bytes),
            1 => {
                let src = pool[usize::from(*x) % pool.len()];
                let dst = pool[usize::from(*y) % pool.len()];
                let (link, frame) =
                    synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, bytes));
                demux.push_raw(ts, link, &frame);
            }
            _ => {
                ms += u64::from(*x) * 1000;
                tracker.poll(Timestamp::from_nanos(ms * 1_000_000));
            }
        }
        while let Some(ev) = demux.poll_event() {
            tracker.push(&ev);
        }
        assert!(tracker.dialogs() <= 8);
        assert!(tracker.conversations() <= 8 + 4);
        while let Some(out) = tracker.poll_output() {
            match out {
                TrackerOutput::ConversationStarted { conversation, .. } => {
                    assert!(live.insert(conversation) && !done.contains(&conversation));
                }
                TrackerOutput::Rtp { conversation, .. }
                | TrackerOutput::FlowStarted { conversation, .. }
                | TrackerOutput::ParticipantJoined { conversation, .. } => {
                    assert!(live.contains(&conversation));
                }
                TrackerOutput::ConversationEnded { conversation, .. } => {
                    assert!(live.remove(&conversation) && done.insert(conversation));
                }
                _ => {}
            }
        }
    }
});
