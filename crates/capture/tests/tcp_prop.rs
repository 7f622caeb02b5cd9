//! Property: whatever the segmentation, order, duplication and initial
//! sequence number (wrap-around included), a lossless TCP stream of SIP
//! messages comes out as exactly those messages, in order.

use std::net::SocketAddr;

use callvault_capture::Timestamp;
use callvault_capture::tcp::{TcpConfig, TcpFlags, TcpReassembler};
use proptest::prelude::*;

fn message(i: usize, body: usize) -> Vec<u8> {
    format!(
        "MESSAGE sip:u{i}@example.com SIP/2.0\r\nCall-ID: {i}\r\nContent-Length: {body}\r\n\r\n{}",
        "b".repeat(body)
    )
    .into_bytes()
}

proptest! {
    #[test]
    fn lossless_stream_yields_every_message_once(
        bodies in prop::collection::vec(0usize..400, 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        order in any::<prop::sample::Index>(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        isn in prop_oneof![any::<u32>(), (u32::MAX - 2000)..=u32::MAX],
        keepalive in any::<bool>(),
    ) {
        let msgs: Vec<Vec<u8>> = bodies.iter().enumerate().map(|(i, b)| message(i, *b)).collect();
        let mut stream = Vec::new();
        for m in &msgs {
            stream.extend_from_slice(m);
            if keepalive {
                stream.extend_from_slice(b"\r\n\r\n");
            }
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len())).collect();
        points.push(0);
        points.push(stream.len());
        points.sort_unstable();
        points.dedup();
        let mut segs: Vec<(u32, &[u8])> = points
            .windows(2)
            .map(|w| (isn.wrapping_add(1).wrapping_add(w[0] as u32), &stream[w[0]..w[1]]))
            .collect();
        // one rotation keeps it cheap yet puts later segments first
        let k = order.index(segs.len());
        segs.rotate_left(k);
        for d in &dups {
            let s = segs[d.index(segs.len())];
            segs.push(s);
        }
        let (a, b): (SocketAddr, SocketAddr) = ("10.0.0.1:5060".parse().unwrap(), "10.0.0.2:5060".parse().unwrap());
        let mut r = TcpReassembler::new(TcpConfig::default());
        let mut out = Vec::new();
        let ts = Timestamp::from_nanos(0);
        r.segment(ts, a, b, isn, TcpFlags { syn: true, ..Default::default() }, &[], &mut out);
        for (seq, data) in segs {
            r.segment(ts, a, b, seq, TcpFlags::default(), data, &mut out);
        }
        prop_assert_eq!(out, msgs);
        prop_assert_eq!(r.stats().gaps, 0);
    }
}
