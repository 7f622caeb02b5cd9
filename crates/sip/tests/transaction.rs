//! Server transaction scenarios on virtual time, with loss.

use std::net::SocketAddr;
use std::time::Duration;

use callvault_model::Timestamp;

use callvault_sip::SipMessage;
use callvault_sip::transaction::{
    Config, Event, RequestOutcome, SendError, ServerTransactions, TransactionKey,
};

const SRC: &str = "192.0.2.1:5060";

fn request(
    method: &str,
    branch: &str,
    transport: &str,
    cseq: u32,
    to_tag: Option<&str>,
) -> Vec<u8> {
    let to = match to_tag {
        Some(t) => format!("<sip:srs@192.0.2.9>;tag={t}"),
        None => "<sip:srs@192.0.2.9>".to_owned(),
    };
    let cseq_method = if method == "CANCEL" || method == "ACK" { "INVITE" } else { method };
    let cseq = if method == "CANCEL" || method == "ACK" { 1 } else { cseq };
    format!(
        "{method} sip:srs@192.0.2.9 SIP/2.0\r\nVia: SIP/2.0/{transport} 192.0.2.1:5060;branch={branch}\r\n\
From: <sip:src@192.0.2.1>;tag=src1\r\nTo: {to}\r\nCall-ID: call-1\r\nCSeq: {cseq} {cseq_method}\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

struct Harness {
    uas: ServerTransactions,
    start: Timestamp,
    now: Timestamp,
    from: SocketAddr,
    /// (seconds since start, status code) of every transmitted response
    sent: Vec<(f64, u16)>,
    events: Vec<Event>,
}

impl Harness {
    fn new(config: Config) -> Self {
        let start = Timestamp::from_secs_nanos(1_700_000_000, 0);
        Harness {
            uas: ServerTransactions::new(config),
            start,
            now: start,
            from: SRC.parse().unwrap(),
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        let t = self.now.saturating_since(self.start).as_secs_f64();
        while let Some(tx) = self.uas.poll_transmit() {
            assert_eq!(tx.destination, self.from);
            let m = SipMessage::parse(&tx.contents).unwrap();
            self.sent.push((t, m.status().unwrap()));
        }
        while let Some(e) = self.uas.poll_event() {
            self.events.push(e);
        }
    }

    fn recv(&mut self, bytes: &[u8]) -> RequestOutcome {
        let m = SipMessage::parse(bytes).unwrap();
        let out = self.uas.handle_request(self.now, self.from, &m);
        self.drain();
        out
    }

    /// Runs timers up to `secs` after start, as a driver would.
    fn run_until(&mut self, secs: f64) {
        let target = self.start + Duration::from_secs_f64(secs);
        while let Some(t) = self.uas.poll_timeout() {
            if t > target {
                break;
            }
            assert!(t >= self.now, "timer in the past");
            self.now = t;
            self.uas.handle_timeout(t);
            self.drain();
        }
        self.now = target;
    }

    fn respond(&mut self, key: &TransactionKey, req: &[u8], code: u16) {
        let m = SipMessage::parse(req).unwrap();
        let resp = m.response(code, "R", Some("srs-tag"));
        self.uas.send_response(self.now, key, &resp).unwrap();
        self.drain();
    }

    fn codes_after(&self, secs: f64) -> Vec<(f64, u16)> {
        self.sent.iter().copied().filter(|(t, _)| *t > secs).collect()
    }

    fn count(&self, f: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| f(e)).count()
    }
}

fn new_key(out: RequestOutcome) -> TransactionKey {
    match out {
        RequestOutcome::New(k) => k,
        other => panic!("expected a new transaction, got {other:?}"),
    }
}

#[test]
fn invite_2xx_retransmitted_until_ack() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv1", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    assert_eq!(h.sent, vec![(0.0, 100)]);
    assert_eq!(h.count(|e| matches!(e, Event::Request { .. })), 1);
    h.respond(&key, &invite, 180);
    h.respond(&key, &invite, 200);
    h.run_until(2.0);
    // T1 = 0.5 s, doubling: 0.5, 1.5
    assert_eq!(h.codes_after(0.0), vec![(0.5, 200), (1.5, 200)]);
    // the ACK for a 2xx is a new transaction with its own branch
    assert_eq!(
        h.recv(&request("ACK", "z9hG4bKack1", "UDP", 1, Some("srs-tag"))),
        RequestOutcome::Ack
    );
    assert_eq!(h.count(|e| matches!(e, Event::Ack { key: Some(k), .. } if *k == key)), 1);
    // a retransmitted ACK is absorbed
    h.recv(&request("ACK", "z9hG4bKack1", "UDP", 1, Some("srs-tag")));
    assert_eq!(h.count(|e| matches!(e, Event::Ack { .. })), 1);
    h.run_until(40.0);
    assert_eq!(h.codes_after(1.5), vec![]);
    assert_eq!(h.count(|e| matches!(e, Event::AckTimeout { .. })), 0);
    assert_eq!(h.count(|e| matches!(e, Event::Terminated { key: k } if *k == key)), 1);
    assert!(h.uas.is_empty());
    assert_eq!(h.uas.poll_timeout(), None);
}

#[test]
fn dropped_ack_gives_up_after_64_t1() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv2", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 200);
    h.run_until(100.0);
    let times: Vec<f64> = h.codes_after(0.0).iter().map(|(t, _)| *t).collect();
    // intervals 0.5, 1, 2, 4 (capped at T2), 4, ...; give up at 32 s
    assert_eq!(times, vec![0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]);
    assert_eq!(h.count(|e| matches!(e, Event::AckTimeout { key: k } if *k == key)), 1);
    assert!(h.uas.is_empty());
}

#[test]
fn retransmitted_invite_gets_last_response() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv3", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 180);
    assert_eq!(h.recv(&invite), RequestOutcome::Retransmission(key.clone()));
    assert_eq!(h.sent.last(), Some(&(0.0, 180)));
    assert_eq!(h.count(|e| matches!(e, Event::Request { .. })), 1, "TU sees the INVITE once");
    // the 200 is lost; the client retransmits the INVITE and gets the 200 again
    h.respond(&key, &invite, 200);
    h.now += Duration::from_millis(200);
    h.recv(&invite);
    assert_eq!(h.sent.last().map(|s| s.1), Some(200));
    // after the ACK, further INVITE copies are absorbed silently
    h.recv(&request("ACK", "z9hG4bKack3", "UDP", 1, Some("srs-tag")));
    let before = h.sent.len();
    h.recv(&invite);
    assert_eq!(h.sent.len(), before);
}

#[test]
fn non_2xx_final_with_lost_and_late_ack() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv4", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 486);
    h.run_until(4.0);
    // timer G: 0.5, 1.5, 3.5
    assert_eq!(h.codes_after(0.0), vec![(0.5, 486), (1.5, 486), (3.5, 486)]);
    // the ACK for a non-2xx reuses the INVITE branch and is absorbed
    assert_eq!(
        h.recv(&request("ACK", "z9hG4bKinv4", "UDP", 1, Some("srs-tag"))),
        RequestOutcome::Ack
    );
    assert_eq!(h.count(|e| matches!(e, Event::Ack { .. })), 0);
    // ACK copies in Confirmed are absorbed; timer I (T4) ends it
    h.recv(&request("ACK", "z9hG4bKinv4", "UDP", 1, Some("srs-tag")));
    h.run_until(8.9);
    assert!(!h.uas.is_empty());
    h.run_until(9.1);
    assert!(h.uas.is_empty());
    assert_eq!(h.codes_after(4.0), vec![]);
    assert_eq!(h.count(|e| matches!(e, Event::Timeout { .. })), 0);
}

#[test]
fn non_2xx_final_without_ack_times_out() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv5", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 603);
    h.run_until(60.0);
    assert_eq!(h.count(|e| matches!(e, Event::Timeout { key: k } if *k == key)), 1);
    assert_eq!(h.codes_after(0.0).last().map(|(t, _)| *t), Some(31.5));
}

#[test]
fn reliable_transport_rules() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKtcp1", "TCP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 486);
    h.run_until(10.0);
    assert_eq!(h.codes_after(0.0), vec![], "no timer G over TCP");
    h.recv(&request("ACK", "z9hG4bKtcp1", "TCP", 1, Some("srs-tag")));
    assert!(h.uas.is_empty(), "timer I is zero over TCP");
    // 2xx is still retransmitted end to end (§13.3.1.4)
    let invite = request("INVITE", "z9hG4bKtcp2", "TCP", 2, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 200);
    h.run_until(12.0);
    assert_eq!(h.codes_after(10.0).first(), Some(&(10.5, 200)));
    // a BYE over TCP ends with its final response (timer J = 0)
    let bye = request("BYE", "z9hG4bKbye-tcp", "TCP", 3, Some("srs-tag"));
    let bkey = new_key(h.recv(&bye));
    h.respond(&bkey, &bye, 200);
    assert_eq!(h.count(|e| matches!(e, Event::Terminated { key: k } if *k == bkey)), 1);
}

#[test]
fn non_invite_retransmissions_and_timer_j() {
    let mut h = Harness::new(Config::default());
    let bye = request("BYE", "z9hG4bKbye1", "UDP", 2, Some("srs-tag"));
    let key = new_key(h.recv(&bye));
    assert_eq!(h.sent, vec![], "no automatic 100 for non-INVITE");
    // retransmission before any response: absorbed, nothing sent
    assert_eq!(h.recv(&bye), RequestOutcome::Retransmission(key.clone()));
    assert_eq!(h.sent, vec![]);
    h.respond(&key, &bye, 200);
    h.now += Duration::from_secs(3);
    h.recv(&bye);
    assert_eq!(h.sent, vec![(0.0, 200), (3.0, 200)]);
    assert_eq!(h.count(|e| matches!(e, Event::Request { .. })), 1);
    let m = SipMessage::parse(&bye).unwrap();
    assert_eq!(
        h.uas.send_response(h.now, &key, &m.response(500, "late", None)),
        Err(SendError::AlreadyFinal)
    );
    h.run_until(31.0);
    assert!(!h.uas.is_empty());
    h.run_until(33.0);
    assert!(h.uas.is_empty(), "timer J = 64*T1");
    assert_eq!(h.codes_after(3.0), vec![], "non-INVITE responses are not retransmitted by timers");
}

#[test]
fn cancel_matching() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKinv6", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    h.respond(&key, &invite, 180);
    let cancel = request("CANCEL", "z9hG4bKinv6", "UDP", 1, None);
    assert_eq!(h.recv(&cancel), RequestOutcome::Cancel { invite_found: true });
    assert_eq!(h.sent.last().map(|s| s.1), Some(200));
    assert_eq!(h.count(|e| matches!(e, Event::Cancelled { invite, .. } if *invite == key)), 1);
    // the 200 to CANCEL carries the tag of the provisional response
    h.respond(&key, &invite, 487);
    // a retransmitted CANCEL gets the same 200 without a second event
    h.recv(&cancel);
    assert_eq!(h.count(|e| matches!(e, Event::Cancelled { .. })), 1);
    // CANCEL for an unknown INVITE
    let stray = request("CANCEL", "z9hG4bKnone", "UDP", 1, None);
    assert_eq!(h.recv(&stray), RequestOutcome::Cancel { invite_found: false });
    assert_eq!(h.sent.last().map(|s| s.1), Some(481));
    // CANCEL after the 2xx: answered 200, no Cancelled event
    let invite = request("INVITE", "z9hG4bKinv7", "UDP", 1, None);
    let key7 = new_key(h.recv(&invite));
    h.respond(&key7, &invite, 200);
    assert_eq!(
        h.recv(&request("CANCEL", "z9hG4bKinv7", "UDP", 1, None)),
        RequestOutcome::Cancel { invite_found: true }
    );
    assert_eq!(h.count(|e| matches!(e, Event::Cancelled { .. })), 1);
}

#[test]
fn capacity_limit_and_stateless_503() {
    let mut h = Harness::new(Config { max_transactions: 2, ..Config::default() });
    let a = request("OPTIONS", "z9hG4bKo1", "UDP", 1, None);
    let b = request("OPTIONS", "z9hG4bKo2", "UDP", 1, None);
    let c = request("OPTIONS", "z9hG4bKo3", "UDP", 1, None);
    let ka = new_key(h.recv(&a));
    new_key(h.recv(&b));
    assert_eq!(h.recv(&c), RequestOutcome::Overloaded);
    let m = SipMessage::parse(&c).unwrap();
    h.uas.send_stateless(h.from, &m.response(503, "Service Unavailable", Some("x")));
    h.drain();
    assert_eq!(h.sent.last().map(|s| s.1), Some(503));
    // a CANCEL for an INVITE is taken even at capacity
    let mut full = Harness::new(Config { max_transactions: 1, ..Config::default() });
    let invite = request("INVITE", "z9hG4bKfull", "UDP", 1, None);
    let ikey = new_key(full.recv(&invite));
    assert_eq!(
        full.recv(&request("OPTIONS", "z9hG4bKo9", "UDP", 1, None)),
        RequestOutcome::Overloaded
    );
    assert_eq!(
        full.recv(&request("CANCEL", "z9hG4bKfull", "UDP", 1, None)),
        RequestOutcome::Cancel { invite_found: true }
    );
    assert_eq!(full.count(|e| matches!(e, Event::Cancelled { invite, .. } if *invite == ikey)), 1);
    assert_eq!(
        full.recv(&request("CANCEL", "z9hG4bKnoinv", "UDP", 1, None)),
        RequestOutcome::Overloaded
    );
    // retransmissions of existing transactions still work at capacity
    assert_eq!(h.recv(&a), RequestOutcome::Retransmission(ka.clone()));
    h.respond(&ka, &a, 200);
    h.run_until(40.0);
    assert_eq!(h.uas.len(), 1);
    assert!(matches!(h.recv(&c), RequestOutcome::New(_)));
}

#[test]
fn rfc2543_peer_without_magic_cookie() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "old1", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    assert!(matches!(key, TransactionKey::Rfc2543 { .. }));
    assert_eq!(key.method(), "INVITE");
    assert_eq!(h.recv(&invite), RequestOutcome::Retransmission(key.clone()));
    h.respond(&key, &invite, 404);
    h.recv(&request("ACK", "old1", "UDP", 1, Some("srs-tag")));
    h.run_until(6.0);
    assert!(h.uas.is_empty(), "ACK matched the INVITE by the RFC 2543 key");
    assert_eq!(h.count(|e| matches!(e, Event::Timeout { .. })), 0);
}

#[test]
fn stray_ack_and_invalid_input() {
    let mut h = Harness::new(Config::default());
    assert_eq!(h.recv(&request("ACK", "z9hG4bKnothing", "UDP", 1, Some("t"))), RequestOutcome::Ack);
    assert_eq!(h.count(|e| matches!(e, Event::Ack { key: None, .. })), 1);
    let resp =
        SipMessage::parse(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n").unwrap();
    assert_eq!(h.uas.handle_request(h.now, h.from, &resp), RequestOutcome::Invalid);
    let no_via = SipMessage::parse(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n").unwrap();
    assert_eq!(h.uas.handle_request(h.now, h.from, &no_via), RequestOutcome::Invalid);
    let unknown = TransactionKey::Rfc3261 {
        branch: "z9hG4bKx".into(),
        sent_by: "h".into(),
        method: "BYE".into(),
    };
    assert_eq!(h.uas.send_response(h.now, &unknown, &resp), Err(SendError::UnknownTransaction));
}

proptest::proptest! {
    /// Whatever order and duplication requests arrive in, with timers run
    /// in between, the layer keeps its invariants: at most one Request
    /// event per transaction, timers never in the past, everything ends.
    #[test]
    fn random_arrivals(ops in proptest::collection::vec((0u8..6, 0u8..3, 0u32..5000), 1..60)) {
        let mut h = Harness::new(Config { max_transactions: 4, ..Config::default() });
        let branches = ["z9hG4bKa", "z9hG4bKb", "legacy"];
        let mut opened = Vec::new();
        let mut cancels = 0usize;
        for (op, b, dt) in ops {
            h.now += Duration::from_millis(u64::from(dt));
            h.uas.handle_timeout(h.now);
            h.drain();
            proptest::prop_assert!(h.uas.poll_timeout().is_none_or(|t| t > h.now));
            let branch = branches[b as usize];
            let bytes = match op {
                0 | 1 => request("INVITE", branch, "UDP", 1, None),
                2 => request("ACK", branch, "UDP", 1, Some("srs-tag")),
                3 => request("CANCEL", branch, "UDP", 1, None),
                4 => request("BYE", branch, "UDP", 2, Some("srs-tag")),
                _ => request("ACK", "z9hG4bKother", "UDP", 1, Some("srs-tag")),
            };
            let outcome = h.recv(&bytes);
            if matches!(outcome, RequestOutcome::Cancel { .. }) {
                cancels += 1;
            }
            if let RequestOutcome::New(k) = outcome {
                opened.push((k.clone(), bytes.clone()));
                if op == 1 || op == 4 {
                    let m = SipMessage::parse(&bytes).unwrap();
                    let _ = h.uas.send_response(h.now, &k, &m.response(200, "OK", Some("srs-tag")));
                    h.drain();
                }
            }
            // nothing handled by handle_timeout is left due
            proptest::prop_assert!(h.uas.poll_timeout().is_none_or(|t| t > h.now));
        }
        // a correct TU answers every request it was given
        for (k, bytes) in &opened {
            let m = SipMessage::parse(bytes).unwrap();
            let _ = h.uas.send_response(h.now, k, &m.response(500, "Server Error", Some("srs-tag")));
        }
        h.drain();
        h.run_until(h.now.saturating_since(h.start).as_secs_f64() + 200.0);
        proptest::prop_assert!(h.uas.is_empty());
        let requests = h.count(|e| matches!(e, Event::Request { .. }));
        let terminated = h.count(|e| matches!(e, Event::Terminated { .. }));
        // every opened transaction (CANCELs included) terminated exactly once
        proptest::prop_assert_eq!(terminated, opened.len() + cancels);
        proptest::prop_assert_eq!(requests, opened.len());
        proptest::prop_assert_eq!(h.uas.poll_timeout(), None);
    }
}

#[test]
fn reliable_provisional_retransmitted_on_every_transport_until_acknowledged() {
    for transport in ["UDP", "TCP"] {
        let mut h = Harness::new(Config::default());
        let invite = request("INVITE", "z9hG4bKrel1", transport, 1, None);
        let key = new_key(h.recv(&invite));
        let m = SipMessage::parse(&invite).unwrap();
        let mut p183 = m.response(183, "Session Progress", Some("srs-tag"));
        p183.push_header("RSeq", "1");
        p183.push_header("Require", "100rel");
        h.uas.send_reliable_provisional(h.now, &key, &p183).unwrap();
        h.drain();
        h.run_until(4.0);
        // 0.5, 1.5, 3.5: T1 doubling, by the TU, whatever the transport
        assert_eq!(h.sent, vec![(0.0, 100), (0.0, 183), (0.5, 183), (1.5, 183), (3.5, 183)]);
        // a retransmitted INVITE gets the 183 again
        h.recv(&invite);
        assert_eq!(h.sent.last(), Some(&(4.0, 183)));
        assert!(h.uas.provisional_acknowledged(&key), "{transport}");
        assert!(!h.uas.provisional_acknowledged(&key), "only once");
        h.run_until(40.0);
        assert_eq!(h.codes_after(4.0), vec![], "no more after the PRACK");
        assert_eq!(h.count(|e| matches!(e, Event::ProvisionalTimeout { .. })), 0);
        // the transaction waits for its final response
        h.respond(&key, &invite, 200);
        assert_eq!(h.sent.last().map(|s| s.1), Some(200));
    }
}

#[test]
fn unacknowledged_reliable_provisional_times_out_and_the_final_follows() {
    let mut h = Harness::new(Config::default());
    let invite = request("INVITE", "z9hG4bKrel2", "UDP", 1, None);
    let key = new_key(h.recv(&invite));
    let m = SipMessage::parse(&invite).unwrap();
    let p183 = m.response(183, "Session Progress", Some("srs-tag"));
    h.uas.send_reliable_provisional(h.now, &key, &p183).unwrap();
    h.drain();
    h.run_until(31.9);
    assert_eq!(h.count(|e| matches!(e, Event::ProvisionalTimeout { .. })), 0);
    h.run_until(32.0);
    assert_eq!(h.count(|e| matches!(e, Event::ProvisionalTimeout { key: k } if *k == key)), 1);
    // no transmission at the give-up, no timer left until the TU answers
    assert_eq!(h.codes_after(31.5), vec![]);
    assert_eq!(h.uas.poll_timeout(), None);
    h.respond(&key, &invite, 500);
    assert_eq!(h.sent.last(), Some(&(32.0, 500)));
    // misuse is refused, not a panic
    let bye = request("BYE", "z9hG4bKrel3", "UDP", 2, Some("srs-tag"));
    let bye_key = new_key(h.recv(&bye));
    let bm = SipMessage::parse(&bye).unwrap();
    let r = bm.response(183, "Session Progress", None);
    assert_eq!(
        h.uas.send_reliable_provisional(h.now, &bye_key, &r),
        Err(SendError::NotReliableProvisional)
    );
    let final_ = m.response(183, "Session Progress", None);
    assert_eq!(h.uas.send_reliable_provisional(h.now, &key, &final_), Err(SendError::AlreadyFinal));
    let not_prov = m.response(200, "OK", None);
    let inv2 = request("INVITE", "z9hG4bKrel4", "UDP", 3, None);
    let key2 = new_key(h.recv(&inv2));
    assert_eq!(
        h.uas.send_reliable_provisional(h.now, &key2, &not_prov),
        Err(SendError::NotReliableProvisional)
    );
}
