//! Throughput of the parsers and the transaction layer.
//! Run: `cargo bench -p callvault-sip --bench sip`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use callvault_model::Timestamp;

use callvault_sip::sdp::{AnswerConfig, SessionDescription, build_recvonly_answer};
use callvault_sip::siprec::parse_siprec_body;
use callvault_sip::transaction::{Config, RequestOutcome, ServerTransactions};
use callvault_sip::{SipMessage, frame};

fn bench(name: &str, bytes_per_iter: usize, mut f: impl FnMut(u64)) {
    // warm up, then run for about a second
    for i in 0..1000 {
        f(i);
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        for _ in 0..1000 {
            f(n);
            n += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let per_sec = n as f64 / secs;
    let mib = per_sec * bytes_per_iter as f64 / (1024.0 * 1024.0);
    println!("{name:<28} {:>12.0} /s  {:>8.1} MiB/s  {:>8.0} ns/iter", per_sec, mib, 1e9 / per_sec);
}

fn invite(branch: u64) -> Vec<u8> {
    format!(
        "INVITE sip:srs@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{branch}\r\n\
Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@10.0.0.1>;tag=1928301774\r\nTo: <sip:srs@10.0.0.9>\r\n\
Call-ID: a84b4c76e66710-{branch}\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@10.0.0.1>;+sip.src\r\n\
Require: siprec\r\nSupported: timer, replaces\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn main() {
    let msg = invite(1);
    bench("sip parse + accessors", msg.len(), |_| {
        let m = SipMessage::parse(black_box(&msg)).unwrap();
        black_box((
            m.call_id(),
            m.from().map(|f| f.tag()),
            m.cseq(),
            m.top_via().map(|v| v.branch()),
        ));
    });
    bench("sip frame", msg.len(), |_| {
        black_box(frame(black_box(&msg)));
    });
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/siprec-vendor-offers/cisco-siprec-offer.txt"
    ))
    .expect("tests/data/siprec-vendor-offers/cisco-siprec-offer.txt");
    let ct = "multipart/mixed;boundary=uniqueBoundary";
    bench("siprec body (cisco)", body.len(), |_| {
        black_box(parse_siprec_body(Some(ct), black_box(&body)).unwrap());
    });
    let parsed = parse_siprec_body(Some(ct), &body).unwrap();
    let offer: SessionDescription = parsed.sdp.unwrap().unwrap();
    let cfg = AnswerConfig {
        local_ip: "10.0.0.9".parse().unwrap(),
        ports: &[30000, 30002],
        origin_username: "callvault",
        session_id: 1,
        session_version: 1,
    };
    bench("sdp answer + write", 0, |_| {
        black_box(build_recvonly_answer(black_box(&offer), &cfg).0.to_string());
    });
    let from: SocketAddr = "10.0.0.1:5060".parse().unwrap();
    let base = Timestamp::from_secs_nanos(1_700_000_000, 0);
    let mut uas =
        ServerTransactions::new(Config { max_transactions: 1_000_000, ..Config::default() });
    let invites: Vec<Vec<u8>> = (0..1000).map(invite).collect();
    let acks: Vec<Vec<u8>> = invites
        .iter()
        .map(|i| {
            let t = String::from_utf8_lossy(i)
                .replace("INVITE sip:", "ACK sip:")
                .replace("CSeq: 314159 INVITE", "CSeq: 314159 ACK");
            t.replace(";branch=z9hG4bK", ";branch=z9hG4bKack")
                .replace("<sip:srs@10.0.0.9>\r\nCall", "<sip:srs@10.0.0.9>;tag=t\r\nCall")
                .into_bytes()
        })
        .collect();
    let mut round = 0u64;
    // 64 ms of virtual time per call: a key is reused only after its
    // transaction ended (64*T1 = 32 s), so every INVITE is new.
    bench("uas invite/100/200/ack", 0, |_| {
        let i = round;
        let idx = (i % 1000) as usize;
        let now = base + Duration::from_millis(i * 64);
        uas.handle_timeout(now);
        let m = SipMessage::parse(&invites[idx]).unwrap();
        let RequestOutcome::New(key) = uas.handle_request(now, from, &m) else { panic!("not new") };
        uas.send_response(now, &key, &m.response(200, "OK", Some("t"))).unwrap();
        let ack = SipMessage::parse(&acks[idx]).unwrap();
        uas.handle_request(now, from, &ack);
        while uas.poll_transmit().is_some() {}
        while uas.poll_event().is_some() {}
        round += 1;
    });
    black_box(round);
}
