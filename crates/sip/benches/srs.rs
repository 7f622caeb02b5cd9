//! Recording-server signalling throughput: whole SIPREC calls (Cisco vendor
//! offer: INVITE → 100/200, ACK, BYE → 200) through `Srs` on virtual time.
//! Run: `cargo bench -p callvault-sip --bench srs`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use callvault_model::Timestamp;

use callvault_sip::SipMessage;
use callvault_sip::srs::{PortAllocator, SessionId, Srs, SrsConfig, SrsEvent};

struct Ports(u16);

impl PortAllocator for Ports {
    fn allocate(&mut self, n: usize) -> Option<Vec<u16>> {
        Some(
            (0..n)
                .map(|_| {
                    self.0 = self.0.wrapping_add(2).max(10000);
                    self.0
                })
                .collect(),
        )
    }
    fn release(&mut self, _: &[u16]) {}
}

fn request(method: &str, call: u64, cseq: u32, to_tag: Option<&str>, body: &[u8]) -> Vec<u8> {
    let to = to_tag
        .map_or_else(|| "<sip:srs@10.0.0.9>".to_owned(), |t| format!("<sip:srs@10.0.0.9>;tag={t}"));
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: multipart/mixed;boundary=uniqueBoundary\r\n"
    };
    let mut m = format!(
        "{method} sip:srs@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{call}x{cseq}{method}\r\n\
Max-Forwards: 70\r\nFrom: <sip:src@10.0.0.1>;tag=f{call}\r\nTo: {to}\r\nCall-ID: bench-{call}\r\n\
CSeq: {cseq} {method}\r\nContact: <sip:src@10.0.0.1>;+sip.src\r\nRequire: siprec\r\nSupported: timer\r\n\
{ct}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    m.extend_from_slice(body);
    m
}

fn main() {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/siprec-vendor-offers/cisco-siprec-offer.txt"
    ))
    .expect("tests/data/siprec-vendor-offers/cisco-siprec-offer.txt");
    let mut cfg = SrsConfig::new("sip:srs@10.0.0.9", "10.0.0.9".parse().unwrap());
    cfg.max_sessions = 100_000;
    let mut srs = Srs::new(cfg);
    let mut ports = Ports(10000);
    let from: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let mut now = Timestamp::from_secs_nanos(1_700_000_000, 0);
    let mut bytes = 0usize;
    let mut call = 0u64;
    let mut run = |n: u64, srs: &mut Srs, now: &mut Timestamp, bytes: &mut usize| {
        for _ in 0..n {
            call += 1;
            let invite = request("INVITE", call, 1, None, &body);
            srs.handle_datagram(*now, from, &invite, &mut ports);
            let mut tag = String::new();
            while let Some(t) = srs.poll_transmit() {
                *bytes += t.contents.len();
                let m = SipMessage::parse(&t.contents).unwrap();
                if m.status() == Some(200) {
                    tag = m.to().and_then(|t| t.tag().map(str::to_owned)).unwrap_or_default();
                }
            }
            let mut id = None::<SessionId>;
            while let Some(e) = srs.poll_event() {
                if let SrsEvent::SessionStarted(s) = e {
                    id = Some(s.id);
                }
            }
            black_box(id);
            let ack = request("ACK", call, 1, Some(&tag), &[]);
            srs.handle_datagram(*now, from, &ack, &mut ports);
            srs.handle_datagram(*now, from, &request("BYE", call, 2, Some(&tag), &[]), &mut ports);
            while srs.poll_transmit().is_some() {}
            while srs.poll_event().is_some() {}
            *bytes += invite.len();
            *now += Duration::from_millis(1);
            if call.is_multiple_of(1000) {
                srs.handle_timeout(*now, &mut ports);
            }
        }
    };
    run(2000, &mut srs, &mut now, &mut bytes);
    let start = Instant::now();
    let mut n = 0u64;
    bytes = 0;
    while start.elapsed() < Duration::from_secs(2) {
        run(1000, &mut srs, &mut now, &mut bytes);
        n += 1000;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "srs siprec call (INVITE/ACK/BYE) {:>10.0} calls/s  {:>8.0} ns/call  live transactions {}",
        n as f64 / secs,
        secs * 1e9 / n as f64,
        srs.transaction_count()
    );
    println!("srs signalling bytes out+in per call {:>8.0}", bytes as f64 / n as f64);
    assert_eq!(srs.session_count(), 0);
}
