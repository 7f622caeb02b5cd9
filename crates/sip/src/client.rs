//! Sans-IO non-INVITE client transactions (RFC 3261 §17.1.2): what the SRS
//! needs to send its own BYE (RTP inactivity, an expired session timer,
//! shutdown) and to be sure the SRC heard it.
//!
//! Feed every response with [`ClientTransactions::handle_response`]; drain
//! [`poll_transmit`](ClientTransactions::poll_transmit) and
//! [`poll_event`](ClientTransactions::poll_event); fire
//! [`handle_timeout`](ClientTransactions::handle_timeout) at
//! [`poll_timeout`](ClientTransactions::poll_timeout). Over an unreliable
//! transport a request is retransmitted at T1, 2·T1, … capped at T2 (Timer
//! E) until a final response or 64·T1 (Timer F); over a reliable one it is
//! sent once and only Timer F runs.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use callvault_model::Timestamp;

use crate::message::SipMessage;
use crate::transaction::{Config, Transmit};

/// How a client transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A final response (200–699) arrived.
    Completed { branch: String, status: u16 },
    /// No final response within 64·T1 (Timer F), or the transport failed.
    TimedOut { branch: String },
}

struct Pending {
    destination: SocketAddr,
    contents: Vec<u8>,
    method: String,
    reliable: bool,
    /// Next retransmission (Timer E), `None` over a reliable transport.
    retransmit_at: Option<Timestamp>,
    interval: Duration,
    give_up_at: Timestamp,
}

/// The client transactions of one SIP endpoint, keyed by Via branch.
pub struct ClientTransactions {
    config: Config,
    pending: HashMap<String, Pending>,
    timers: BTreeSet<(Timestamp, String)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
}

/// Errors of [`ClientTransactions::send`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("a client transaction with this branch exists")]
    DuplicateBranch,
    #[error("too many client transactions")]
    Overloaded,
    #[error("the request is not parsable or has no method")]
    NotARequest,
}

impl ClientTransactions {
    pub fn new(config: Config) -> Self {
        ClientTransactions {
            config,
            pending: HashMap::new(),
            timers: BTreeSet::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Starts a transaction for `contents`, a complete non-INVITE request
    /// whose top Via carries `branch`.
    pub fn send(
        &mut self,
        now: Timestamp,
        destination: SocketAddr,
        contents: Vec<u8>,
        branch: &str,
        reliable: bool,
    ) -> Result<(), ClientError> {
        if self.pending.contains_key(branch) {
            return Err(ClientError::DuplicateBranch);
        }
        if self.pending.len() >= self.config.max_transactions {
            return Err(ClientError::Overloaded);
        }
        let method = SipMessage::parse(&contents)
            .ok()
            .and_then(|m| m.method_str().map(str::to_owned))
            .ok_or(ClientError::NotARequest)?;
        let give_up_at = now + self.config.t1 * 64;
        let retransmit_at = (!reliable).then(|| now + self.config.t1);
        self.transmits.push_back(Transmit { destination, contents: contents.clone() });
        if let Some(at) = retransmit_at {
            self.timers.insert((at, branch.to_owned()));
        }
        self.timers.insert((give_up_at, branch.to_owned()));
        self.pending.insert(
            branch.to_owned(),
            Pending {
                destination,
                contents,
                method,
                reliable,
                retransmit_at,
                interval: self.config.t1,
                give_up_at,
            },
        );
        Ok(())
    }

    /// Offers a response; `true` when it belonged to one of these
    /// transactions (matched by top Via branch and CSeq method).
    pub fn handle_response(&mut self, now: Timestamp, msg: &SipMessage<'_>) -> bool {
        let Some(status) = msg.status() else { return false };
        let Some(branch) = msg.top_via().and_then(|v| v.branch().map(str::to_owned)) else {
            return false;
        };
        let Some(p) = self.pending.get_mut(&branch) else { return false };
        if msg.cseq().map(|c| c.method_str) != Some(p.method.as_str()) {
            return false;
        }
        if status < 200 {
            // Proceeding: keep retransmitting, but only every T2.
            if let Some(at) = p.retransmit_at.take() {
                self.timers.remove(&(at, branch.clone()));
                let next = now + self.config.t2;
                p.retransmit_at = Some(next);
                p.interval = self.config.t2;
                self.timers.insert((next, branch));
            }
            return true;
        }
        self.finish(&branch);
        self.events.push_back(ClientEvent::Completed { branch, status });
        true
    }

    /// The transport could not deliver the request (a refused TCP
    /// connection, ICMP unreachable): the transaction fails at once.
    pub fn transport_error(&mut self, branch: &str) {
        if self.pending.contains_key(branch) {
            self.finish(branch);
            self.events.push_back(ClientEvent::TimedOut { branch: branch.to_owned() });
        }
    }

    fn finish(&mut self, branch: &str) {
        if let Some(p) = self.pending.remove(branch) {
            if let Some(at) = p.retransmit_at {
                self.timers.remove(&(at, branch.to_owned()));
            }
            self.timers.remove(&(p.give_up_at, branch.to_owned()));
        }
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.first().map(|(t, _)| *t)
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        while let Some((at, branch)) = self.timers.first().cloned() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, branch.clone()));
            let Some(p) = self.pending.get_mut(&branch) else { continue };
            if at >= p.give_up_at {
                self.finish(&branch);
                self.events.push_back(ClientEvent::TimedOut { branch });
                continue;
            }
            if p.retransmit_at == Some(at) && !p.reliable {
                self.transmits.push_back(Transmit {
                    destination: p.destination,
                    contents: p.contents.clone(),
                });
                p.interval = (p.interval * 2).min(self.config.t2);
                let next = at + p.interval;
                p.retransmit_at = Some(next);
                self.timers.insert((next, branch));
            }
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bye(branch: &str) -> Vec<u8> {
        format!(
            "BYE sip:src@192.0.2.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch={branch}\r\n\
             From: <sip:srs@192.0.2.9>;tag=a\r\nTo: <sip:src@192.0.2.1>;tag=b\r\nCall-ID: c1\r\n\
             CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn response(branch: &str, code: u16, method: &str) -> Vec<u8> {
        format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch={branch}\r\n\
             From: <sip:srs@192.0.2.9>;tag=a\r\nTo: <sip:src@192.0.2.1>;tag=b\r\nCall-ID: c1\r\n\
             CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn peer() -> SocketAddr {
        "192.0.2.1:5060".parse().unwrap()
    }

    #[test]
    fn udp_retransmits_with_doubling_interval_until_timer_f() {
        let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let mut c = ClientTransactions::new(Config::default());
        c.send(t0, peer(), bye("z9hG4bKa"), "z9hG4bKa", false).unwrap();
        assert!(c.poll_transmit().is_some());
        let mut sent_at = Vec::new();
        let mut now = t0;
        while let Some(at) = c.poll_timeout() {
            now = at;
            c.handle_timeout(now);
            while c.poll_transmit().is_some() {
                sent_at.push(now.saturating_since(t0));
            }
        }
        let ms: Vec<u128> = sent_at.iter().map(Duration::as_millis).collect();
        assert_eq!(&ms[..5], &[500, 1500, 3500, 7500, 11_500]);
        assert!(ms.iter().all(|&m| m < 32_000));
        assert_eq!(now.saturating_since(t0), Duration::from_secs(32));
        assert_eq!(c.poll_event(), Some(ClientEvent::TimedOut { branch: "z9hG4bKa".into() }));
        assert!(c.is_empty());
    }

    #[test]
    fn final_response_completes_and_stops_retransmissions() {
        let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let mut c = ClientTransactions::new(Config::default());
        c.send(t0, peer(), bye("z9hG4bKb"), "z9hG4bKb", false).unwrap();
        c.poll_transmit();
        let wrong = response("z9hG4bKb", 200, "INVITE");
        assert!(!c.handle_response(t0, &SipMessage::parse(&wrong).unwrap()));
        let ok = response("z9hG4bKb", 200, "BYE");
        assert!(c.handle_response(t0, &SipMessage::parse(&ok).unwrap()));
        assert_eq!(
            c.poll_event(),
            Some(ClientEvent::Completed { branch: "z9hG4bKb".into(), status: 200 })
        );
        assert_eq!(c.poll_timeout(), None);
        // A retransmitted 200 matches nothing any more.
        assert!(!c.handle_response(t0, &SipMessage::parse(&ok).unwrap()));
    }

    #[test]
    fn provisional_slows_retransmission_to_t2_and_tcp_sends_once() {
        let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
        let mut c = ClientTransactions::new(Config::default());
        c.send(t0, peer(), bye("z9hG4bKc"), "z9hG4bKc", false).unwrap();
        c.poll_transmit();
        let trying = response("z9hG4bKc", 100, "BYE");
        assert!(c.handle_response(t0, &SipMessage::parse(&trying).unwrap()));
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(4)));

        let mut tcp = ClientTransactions::new(Config::default());
        tcp.send(t0, peer(), bye("z9hG4bKd"), "z9hG4bKd", true).unwrap();
        assert!(tcp.poll_transmit().is_some());
        assert_eq!(tcp.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        tcp.transport_error("z9hG4bKd");
        assert_eq!(tcp.poll_event(), Some(ClientEvent::TimedOut { branch: "z9hG4bKd".into() }));
        assert_eq!(
            tcp.send(t0, peer(), b"garbage".to_vec(), "z9hG4bKe", true),
            Err(ClientError::NotARequest)
        );
    }
}
