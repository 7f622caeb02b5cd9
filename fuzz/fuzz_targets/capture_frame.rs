//! Link → IP → UDP/TCP decode, defragmentation and TCP reassembly over a
//! sequence of arbitrary frames: never panics, bounded state, every TCP SIP
//! message is exactly one framed message.
#![no_main]

use std::time::Duration;

use callvault_capture::defrag::DefragConfig;
use callvault_capture::tcp::TcpConfig;
use callvault_capture::{CaptureDemux, DemuxConfig, Event, LinkType, Timestamp, Transport};
use callvault_sip::{Framing, frame};
use libfuzzer_sys::fuzz_target;

const LINKS: [LinkType; 8] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::IPV4,
    LinkType::IPV6,
];

fuzz_target!(|data: &[u8]| {
    let config = DemuxConfig {
        defrag: DefragConfig { max_datagrams: 4, timeout: Duration::from_secs(2), ..Default::default() },
        tcp: TcpConfig {
            max_flows: 4,
            max_buffer: 4096,
            max_out_of_order: 4096,
            idle_timeout: Duration::from_secs(5),
        },
        ..Default::default()
    };
    let mut demux = CaptureDemux::new(config);
    let mut rest = data;
    let mut ms = 0u64;
    // each frame: link selector, time step (ms), length, bytes
    while let [sel, step, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (frame_bytes, after) = tail.split_at(n);
        ms += u64::from(*step) * 20;
        let link = LINKS[*sel as usize % LINKS.len()];
        demux.push_raw(Timestamp::from_nanos(ms * 1_000_000), link, frame_bytes);
        rest = after;
        let s = demux.stats();
        assert!(s.tcp_flows <= 4 && s.fragments_pending <= 4);
    }
    while let Some(ev) = demux.poll_event() {
        if let Event::Sip { transport: Transport::Tcp, hep: false, message, .. } = ev {
            assert_eq!(frame(&message), Framing::Complete(message.len()));
        }
    }
});
