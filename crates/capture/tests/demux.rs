//! Data-driven tests of the demultiplexer over frames built with `synth`.

use std::net::SocketAddr;
use std::time::Duration;

use callvault_capture::synth::{self, Encap};
use callvault_capture::tcp::TcpFlags;
use callvault_capture::{CaptureDemux, DemuxConfig, Event, LinkType, Timestamp, Transport};

fn invite(call_id: &str, body_len: usize) -> Vec<u8> {
    let body = "v".repeat(body_len);
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{call_id}\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {body_len}\r\n\r\n{body}"
    )
    .into_bytes()
}

fn ok200(call_id: &str) -> Vec<u8> {
    format!("SIP/2.0 200 OK\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        .into_bytes()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ts(ms: u64) -> Timestamp {
    Timestamp::from_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

/// One line per event: kind, transport, addresses, first line, length.
fn render(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events {
        let line = match e {
            Event::Sip { src, dst, transport, hep, message, .. } => {
                let first = String::from_utf8_lossy(
                    message.split(|&b| b == b'\r').next().unwrap_or_default(),
                )
                .into_owned();
                format!(
                    "sip {}{} {src} -> {dst} {first:?} {}",
                    match transport {
                        Transport::Udp => "udp",
                        Transport::Tcp => "tcp",
                    },
                    if *hep { " hep" } else { "" },
                    message.len()
                )
            }
            Event::Udp { src, dst, payload, .. } => format!("udp {src} -> {dst} {}", payload.len()),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run(demux: &mut CaptureDemux, frames: &[(LinkType, Vec<u8>)]) -> Vec<Event> {
    for (i, (link, data)) in frames.iter().enumerate() {
        demux.push_raw(ts(i as u64), *link, data);
    }
    std::iter::from_fn(|| demux.poll_event()).collect()
}

fn check(frames: &[(LinkType, Vec<u8>)], expect: &str) -> CaptureDemux {
    let mut demux = CaptureDemux::default();
    let events = run(&mut demux, frames);
    assert_eq!(render(&events), expect, "stats: {:?}", demux.stats());
    demux
}

const SYN: TcpFlags = TcpFlags { syn: true, fin: false, rst: false };
const ACK: TcpFlags = TcpFlags { syn: false, fin: false, rst: false };
const FIN: TcpFlags = TcpFlags { syn: false, fin: true, rst: false };

#[test]
fn every_encapsulation_and_family_carries_sip_over_udp_and_tcp() {
    let pairs = [("10.0.0.1:5060", "10.0.0.2:5060"), ("[2001:db8::1]:5060", "[2001:db8::2]:5062")];
    for encap in Encap::ALL {
        for (a, b) in pairs {
            let (a, b) = (addr(a), addr(b));
            let msg = invite("c1", 10);
            let udp = synth::wrap(encap, &synth::udp_packet(a, b, &msg));
            let syn = synth::wrap(encap, &synth::tcp_packet(a, b, 999, SYN, &[]));
            let tcp = synth::wrap(encap, &synth::tcp_packet(a, b, 1000, ACK, &msg));
            let demux = check(
                &[udp, syn, tcp],
                &format!(
                    "sip udp {a} -> {b} \"INVITE sip:bob@example.com SIP/2.0\" {n}\n\
                     sip tcp {a} -> {b} \"INVITE sip:bob@example.com SIP/2.0\" {n}\n",
                    n = msg.len()
                ),
            );
            let s = demux.stats();
            assert_eq!(
                (s.frames, s.sip_udp, s.sip_tcp, s.link_malformed),
                (3, 1, 1, 0),
                "{encap:?}"
            );
        }
    }
}

#[test]
fn rtp_and_keepalives_over_udp() {
    let (a, b) = (addr("10.0.0.1:40000"), addr("10.0.0.2:30000"));
    let rtp = synth::rtp(8, 1, 160, 0x1234, &[0xd5; 160]);
    let frames = [
        synth::wrap(Encap::Ethernet, &synth::udp_packet(a, b, &rtp)),
        synth::wrap(Encap::Ethernet, &synth::udp_packet(a, b, b"\r\n\r\n")),
    ];
    let demux = check(&frames, "udp 10.0.0.1:40000 -> 10.0.0.2:30000 172\n");
    assert_eq!(demux.stats().sip_keepalives, 1);
}

#[test]
fn fragmented_udp_invite_is_reassembled_in_any_order() {
    for (a, b) in [("10.0.0.1:5060", "10.0.0.2:5060"), ("[2001:db8::1]:5060", "[2001:db8::2]:5060")]
    {
        let (a, b) = (addr(a), addr(b));
        let msg = invite("frag", 3000);
        for reverse in [false, true] {
            let mut pieces = synth::fragmented_udp(a, b, 77, &msg, 1400);
            assert_eq!(pieces.len(), 3);
            if reverse {
                pieces.reverse();
            }
            let frames: Vec<_> = pieces.iter().map(|p| synth::wrap(Encap::Ethernet, p)).collect();
            let demux = check(
                &frames,
                &format!(
                    "sip udp {a} -> {b} \"INVITE sip:bob@example.com SIP/2.0\" {}\n",
                    msg.len()
                ),
            );
            let s = demux.stats();
            assert_eq!((s.defrag.fragments, s.defrag.reassembled, s.fragments_pending), (3, 1, 0));
        }
    }
}

#[test]
fn ipv6_fragments_with_options_after_the_fragment_header() {
    let (a, b) = (addr("[2001:db8::1]:5060"), addr("[2001:db8::2]:5060"));
    let msg = invite("v6opt", 200);
    // destination options travel inside the fragmentable part
    let mut inner = synth::ipv6_pad_options(17);
    inner.extend_from_slice(&synth::udp_datagram(5060, 5060, &msg));
    let (first, second) = inner.split_at(96);
    let src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let dst = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let frames = [
        synth::wrap(
            Encap::Raw,
            &synth::ipv6(src, dst, 44, &synth::ipv6_frag_header(60, 0, true, 5), first),
        ),
        synth::wrap(
            Encap::Raw,
            &synth::ipv6(src, dst, 44, &synth::ipv6_frag_header(60, 96, false, 5), second),
        ),
    ];
    check(
        &frames,
        &format!("sip udp {a} -> {b} \"INVITE sip:bob@example.com SIP/2.0\" {}\n", msg.len()),
    );
}

#[test]
fn incomplete_fragments_expire_on_packet_time() {
    let (a, b) = (addr("10.0.0.1:5060"), addr("10.0.0.2:5060"));
    let pieces = synth::fragmented_udp(a, b, 9, &invite("lost", 3000), 1400);
    let mut demux = CaptureDemux::default();
    let (link, f) = synth::wrap(Encap::Ethernet, &pieces[0]);
    demux.push_raw(ts(0), link, &f);
    demux.push_raw(ts(29_000), LinkType::ETHERNET, &[0u8; 10]);
    assert_eq!(demux.stats().fragments_pending, 1);
    demux.push_raw(ts(31_000), LinkType::ETHERNET, &[0u8; 10]);
    let s = demux.stats();
    assert_eq!((s.fragments_pending, s.defrag.expired, s.link_malformed), (0, 1, 2));
    // the late piece alone does not complete anything
    let (link, f) = synth::wrap(Encap::Ethernet, &pieces[1]);
    demux.push_raw(ts(31_001), link, &f);
    assert!(demux.poll_event().is_none());
}

/// TCP segments of one direction a→b, starting at sequence 1000 after a SYN.
fn tcp_frames(chunks: &[(u32, &[u8])]) -> Vec<(LinkType, Vec<u8>)> {
    let (a, b) = (addr("10.0.0.1:40001"), addr("10.0.0.2:5060"));
    let mut v = vec![synth::wrap(Encap::Ethernet, &synth::tcp_packet(a, b, 999, SYN, &[]))];
    for (seq, data) in chunks {
        v.push(synth::wrap(Encap::Ethernet, &synth::tcp_packet(a, b, *seq, ACK, data)));
    }
    v
}

const INV: &str = "sip tcp 10.0.0.1:40001 -> 10.0.0.2:5060 \"INVITE sip:bob@example.com SIP/2.0\"";
const OK: &str = "sip tcp 10.0.0.1:40001 -> 10.0.0.2:5060 \"SIP/2.0 200 OK\"";

#[test]
fn tcp_message_split_over_segments() {
    let m = invite("split", 300);
    let n = m.len();
    let frames = tcp_frames(&[(1000, &m[..20]), (1020, &m[20..200]), (1200, &m[200..])]);
    let demux = check(&frames, &format!("{INV} {n}\n"));
    assert_eq!(demux.stats().tcp.messages, 1);
}

#[test]
fn tcp_messages_coalesced_in_one_segment_with_keepalives() {
    let mut seg = invite("a", 5);
    seg.extend_from_slice(b"\r\n\r\n");
    seg.extend_from_slice(&ok200("a"));
    seg.extend_from_slice(&invite("b", 0));
    let frames = tcp_frames(&[(1000, &seg)]);
    let demux = check(
        &frames,
        &format!(
            "{INV} {}\n{OK} {}\n{INV} {}\n",
            invite("a", 5).len(),
            ok200("a").len(),
            invite("b", 0).len()
        ),
    );
    assert_eq!(demux.stats().tcp.keepalives, 1);
}

#[test]
fn tcp_out_of_order_and_retransmitted_segments() {
    let mut stream = invite("o1", 100);
    let first = stream.len();
    stream.extend_from_slice(&ok200("o1"));
    let n = stream.len() as u32;
    let s = &stream[..];
    let cut1 = 50u32;
    let cut2 = 200u32;
    let frames = tcp_frames(&[
        (1000 + cut2, &s[cut2 as usize..]), // third piece first
        (1000, &s[..cut1 as usize]),        // first
        (1000, &s[..cut1 as usize]),        // retransmission
        (1000 + cut1, &s[cut1 as usize..cut2 as usize]), // hole filled
        (1000 + cut1, &s[cut1 as usize..n as usize]), // overlapping retransmission
    ]);
    let demux = check(&frames, &format!("{INV} {first}\n{OK} {}\n", ok200("o1").len()));
    let st = demux.stats().tcp;
    assert_eq!((st.out_of_order, st.retransmissions, st.messages), (1, 2, 2));
}

#[test]
fn tcp_capture_begun_mid_connection_follows_from_a_start_line() {
    let (a, b) = (addr("10.0.0.1:40001"), addr("10.0.0.2:5060"));
    let m = invite("mid", 40);
    let frames = [
        // tail of an earlier message: ignored
        synth::wrap(Encap::Ethernet, &synth::tcp_packet(a, b, 5000, ACK, b"vvvv tail of a body")),
        synth::wrap(Encap::Ethernet, &synth::tcp_packet(a, b, 5019, ACK, &m)),
    ];
    let demux = check(&frames, &format!("{INV} {}\n", m.len()));
    assert_eq!(demux.stats().tcp.ignored_segments, 1);
}

#[test]
fn tcp_gap_resynchronises_on_the_next_message() {
    let m1 = invite("g1", 100);
    let m2 = ok200("g1");
    let m3 = invite("g3", 10);
    let mut s = m1.clone();
    s.extend_from_slice(&m2);
    s.extend_from_slice(&m3);
    let l1 = m1.len();
    let mut demux = CaptureDemux::new(DemuxConfig {
        tcp: callvault_capture::tcp::TcpConfig { max_out_of_order: 100, ..Default::default() },
        ..Default::default()
    });
    // the second half of m1 is lost for good; m2 and m3 arrive in pieces
    let rest_start = l1 + 10;
    let frames = tcp_frames(&[
        (1000, &s[..l1 - 30]),
        (1000 + (l1 - 20) as u32, &s[l1 - 20..rest_start]),
        (1000 + rest_start as u32, &s[rest_start..]),
    ]);
    let events = run(&mut demux, &frames);
    assert_eq!(render(&events), format!("{OK} {}\n{INV} {}\n", m2.len(), m3.len()));
    let st = demux.stats().tcp;
    assert_eq!(st.gaps, 1);
    assert!(st.resyncs >= 1);
}

#[test]
fn tcp_flows_end_on_fin_rst_and_idle_timeout() {
    let (a, b) = (addr("10.0.0.1:40001"), addr("10.0.0.2:5060"));
    let mut demux = CaptureDemux::default();
    let push = |d: &mut CaptureDemux, t: u64, seq: u32, flags: TcpFlags, p: &[u8]| {
        let (link, f) = synth::wrap(Encap::Ethernet, &synth::tcp_packet(a, b, seq, flags, p));
        d.push_raw(ts(t), link, &f);
    };
    push(&mut demux, 0, 1, SYN, &[]);
    assert_eq!(demux.stats().tcp_flows, 1);
    push(&mut demux, 1, 2, FIN, &ok200("x"));
    let s = demux.stats();
    assert_eq!((s.tcp_flows, s.sip_tcp, s.tcp.flows_closed), (0, 1, 1));
    push(&mut demux, 2, 1, SYN, &[]);
    push(&mut demux, 3, 2, TcpFlags { rst: true, ..ACK }, &[]);
    assert_eq!(demux.stats().tcp_flows, 0);
    push(&mut demux, 4, 1, SYN, &[]);
    demux.expire(ts(4).saturating_add(Duration::from_secs(301)));
    let s = demux.stats();
    assert_eq!((s.tcp_flows, s.tcp.flows_expired), (0, 1));
}

#[test]
fn hep3_carried_sip_keeps_the_agent_addresses_and_time() {
    use callvault_capture::hep::{HepPacket, encode_hep3};
    let m = invite("hep", 0);
    let agent_ts = Timestamp::from_secs_nanos(1_600_000_000, 123_000);
    let hep = encode_hep3(
        &HepPacket {
            src: addr("192.0.2.1:5060"),
            dst: addr("192.0.2.2:5080"),
            ip_proto: 6,
            proto_type: 1,
            ts: Some(agent_ts),
            payload: &m,
        },
        42,
    );
    let frame = synth::wrap(
        Encap::Ethernet,
        &synth::udp_packet(addr("10.1.1.1:9999"), addr("10.1.1.2:9060"), &hep),
    );
    let mut demux = CaptureDemux::default();
    let events = run(&mut demux, &[frame]);
    assert_eq!(
        render(&events),
        format!(
            "sip tcp hep 192.0.2.1:5060 -> 192.0.2.2:5080 \"INVITE sip:bob@example.com SIP/2.0\" {}\n",
            m.len()
        )
    );
    assert_eq!(events[0].ts(), agent_ts);
}

#[test]
fn truncated_frames_never_panic_and_are_counted() {
    let (a, b) = (addr("10.0.0.1:5060"), addr("[2001:db8::2]:5060"));
    let b4 = addr("10.0.0.2:5060");
    let mut whole = Vec::new();
    for encap in Encap::ALL {
        whole.push(synth::wrap(encap, &synth::udp_packet(a, b4, &invite("t", 20))));
        whole.push(synth::wrap(encap, &synth::tcp_packet(b, b, 1, ACK, &invite("t", 20))));
    }
    for (link, f) in &whole {
        let mut demux = CaptureDemux::default();
        for cut in 0..f.len() {
            demux.push_raw(ts(0), *link, &f[..cut]);
        }
        let s = demux.stats();
        // a cut frame yields nothing, or a SIP message whose body was
        // truncated with its IP header (never a bogus UDP payload)
        let events: Vec<_> = std::iter::from_fn(|| demux.poll_event()).collect();
        assert!(events.iter().all(|e| matches!(e, Event::Sip { .. })), "{link:?}");
        assert_eq!(s.frames, f.len() as u64);
        let bad =
            s.link_malformed + s.ip_malformed + s.ip_truncated + s.udp_malformed + s.tcp_malformed;
        assert!(bad > 0);
    }
}

#[test]
fn tcp_sequence_jump_back_with_a_start_line_is_a_new_connection() {
    let m = invite("jump", 0);
    let frames = tcp_frames(&[
        (1000, &m),
        (1000u32.wrapping_sub(5_000_000), &m),
        (1000u32.wrapping_sub(5_000_000), &m),
    ]);
    let demux = check(&frames, &format!("{INV} {n}\n{INV} {n}\n", n = m.len()));
    let st = demux.stats().tcp;
    assert_eq!((st.resyncs, st.retransmissions), (1, 1));
}
