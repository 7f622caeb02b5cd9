//! Arbitrary datagrams through the recording server on a virtual clock.
//!
//! Input: one flags byte (bit 0: manual answer), then records of
//! `[advance: u8 (x250 ms)][len: u16 le][len bytes]`. After every record the
//! SRS must only emit parsable SIP responses; at the end every session is
//! ended by the driver and every allocated port must have come back.
#![no_main]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use callvault_model::Timestamp;

use callvault_sip::SipMessage;
use callvault_sip::srs::{PortAllocator, SessionId, Srs, SrsConfig, SrsEvent};
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Ports {
    next: u16,
    live: BTreeSet<u16>,
}

impl PortAllocator for Ports {
    fn allocate(&mut self, n: usize) -> Option<Vec<u16>> {
        if self.live.len() + n > 64 {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            self.next = self.next.wrapping_add(2).max(2);
            while self.live.contains(&self.next) {
                self.next = self.next.wrapping_add(2).max(2);
            }
            self.live.insert(self.next);
            out.push(self.next);
        }
        Some(out)
    }

    fn release(&mut self, ports: &[u16]) {
        for p in ports {
            assert!(self.live.remove(p), "port {p} released but not live");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else { return };
    let mut cfg = SrsConfig::new("sip:srs@192.0.2.9", "192.0.2.9".parse().unwrap());
    cfg.max_sessions = 4;
    cfg.auto_answer = flags & 1 == 0;
    let mut srs = Srs::new(cfg);
    let mut ports = Ports::default();
    let from: SocketAddr = "192.0.2.1:5060".parse().unwrap();
    let mut now = Timestamp::from_secs_nanos(1_700_000_000, 0);
    let mut live: BTreeSet<SessionId> = BTreeSet::new();
    while let [dt, l0, l1, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*l0, *l1])).min(tail.len());
        let (msg, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(u64::from(*dt) * 250);
        if srs.poll_timeout().is_some_and(|t| t <= now) {
            srs.handle_timeout(now, &mut ports);
        }
        srs.handle_datagram(now, from, msg, &mut ports);
        while let Some(e) = srs.poll_event() {
            match e {
                SrsEvent::SessionStarted(s) => {
                    live.insert(s.id);
                    if flags & 2 != 0 {
                        let _ = srs.accept(now, s.id);
                    }
                }
                SrsEvent::SessionEnded { id, .. } => {
                    live.remove(&id);
                }
                SrsEvent::SessionUpdated(_) => {}
                SrsEvent::RefreshDue { id, interval, dialog } => {
                    assert!(live.contains(&id));
                    // Building the refresh a driver would send never panics.
                    let via = "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKfz";
                    let _ = dialog.refresh(via, 1, interval, "sip:srs@192.0.2.9");
                }
                SrsEvent::PingDue { id, dialog } => {
                    assert!(live.contains(&id));
                    let via = "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKfp";
                    let _ = dialog.options(via, 1, "sip:srs@192.0.2.9");
                    // The SRC answers or not: either way ports stay balanced.
                    let status = (flags & 4 == 0).then_some(200);
                    let _ = srs.ping_result(now, id, status, &mut ports);
                }
            }
        }
        while let Some(t) = srs.poll_transmit() {
            let m = SipMessage::parse(&t.contents).expect("srs sends parsable sip");
            assert!(m.status().is_some());
        }
        assert!(srs.session_count() <= 4);
    }
    for id in live {
        let _ = srs.end_session(now, id, &mut ports);
    }
    assert_eq!(srs.session_count(), 0);
    assert!(ports.live.is_empty(), "ports leaked: {:?}", ports.live);
});
