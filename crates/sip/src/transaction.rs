//! Sans-IO server transactions for a UAS (RFC 3261 §17.2, with the RFC 6026
//! "Accepted" state) plus the UAS core's 2xx retransmission (§13.3.1.4).
//!
//! Shaped like quinn-proto/str0m: feed requests with
//! [`ServerTransactions::handle_request`], answer with
//! [`ServerTransactions::send_response`], then drain
//! [`poll_transmit`](ServerTransactions::poll_transmit) and
//! [`poll_event`](ServerTransactions::poll_event), arm a timer for
//! [`poll_timeout`](ServerTransactions::poll_timeout) and call
//! [`handle_timeout`](ServerTransactions::handle_timeout) when it fires.
//! Time is always an argument; nothing here reads a clock or owns a socket.
//!
//! Responses go back to the address the request came from (symmetric
//! response routing, RFC 3581 style), which is what NATed SRCs need.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use callvault_model::Timestamp;

use thiserror::Error;

use crate::headers::Method;
use crate::message::{OwnedSipMessage, SipMessage};

/// Timer values and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE
    /// responses (default 4 s).
    pub t2: Duration,
    /// Maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
    /// At most this many live transactions; further new requests get
    /// [`RequestOutcome::Overloaded`] so the caller can answer 503.
    pub max_transactions: usize,
    /// Send `100 Trying` as soon as an INVITE arrives.
    pub auto_trying: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            max_transactions: 10_000,
            auto_trying: true,
        }
    }
}

/// Identifies a server transaction (RFC 3261 §17.2.3). ACK maps to the
/// INVITE's key; CANCEL has its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionKey {
    /// Branch with the `z9hG4bK` cookie, sent-by, method.
    Rfc3261 { branch: String, sent_by: String, method: String },
    /// RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number, top
    /// Via, method.
    Rfc2543 {
        request_uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        via: String,
        method: String,
    },
}

impl TransactionKey {
    /// Computes the key of a request; `None` without a usable Via.
    pub fn of(msg: &SipMessage<'_>) -> Option<TransactionKey> {
        let method = match msg.method()? {
            Method::Ack => "INVITE".to_owned(),
            _ => msg.method_str()?.to_owned(),
        };
        Self::with_method(msg, method)
    }

    fn with_method(msg: &SipMessage<'_>, method: String) -> Option<TransactionKey> {
        let via = msg.top_via()?;
        if via.has_rfc3261_branch() {
            let sent_by = match via.port {
                Some(p) => format!("{}:{p}", via.host.to_ascii_lowercase()),
                None => via.host.to_ascii_lowercase(),
            };
            return Some(TransactionKey::Rfc3261 {
                branch: via.branch()?.to_owned(),
                sent_by,
                method,
            });
        }
        Some(TransactionKey::Rfc2543 {
            request_uri: msg.request_uri()?.to_owned(),
            from_tag: msg.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default(),
            call_id: msg.call_id()?.to_owned(),
            cseq: msg.cseq()?.seq,
            via: msg.header_list("Via").next()?.to_owned(),
            method,
        })
    }

    fn with_other_method(&self, m: &str) -> TransactionKey {
        let mut k = self.clone();
        match &mut k {
            TransactionKey::Rfc3261 { method, .. } | TransactionKey::Rfc2543 { method, .. } => {
                *method = m.to_owned()
            }
        }
        k
    }

    /// The method the transaction was created by (`INVITE` for ACK).
    pub fn method(&self) -> &str {
        match self {
            TransactionKey::Rfc3261 { method, .. } | TransactionKey::Rfc2543 { method, .. } => {
                method
            }
        }
    }
}

/// A datagram or stream write the driver must perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub contents: Vec<u8>,
}

/// What the transaction user (dialog layer, SRS) must hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new request (not a retransmission, not ACK or CANCEL).
    Request { key: TransactionKey, from: SocketAddr, request: OwnedSipMessage },
    /// An ACK for a 2xx (`key` is the INVITE's), reported once, or a stray
    /// ACK that matches nothing (`key: None`).
    Ack { key: Option<TransactionKey>, from: SocketAddr, request: OwnedSipMessage },
    /// A CANCEL for an INVITE still without a final response; the layer has
    /// answered the CANCEL with 200. The TU should answer the INVITE 487.
    Cancelled { invite: TransactionKey, cancel: OwnedSipMessage },
    /// A 2xx was never acknowledged within 64*T1; the TU should send BYE.
    AckTimeout { key: TransactionKey },
    /// A non-2xx final response was never acknowledged (timer H).
    Timeout { key: TransactionKey },
    /// A reliable provisional response (RFC 3262) was retransmitted for
    /// 64*T1 without a PRACK: the TU should answer the INVITE with a 5xx.
    /// The transaction stays in Proceeding for that final response.
    ProvisionalTimeout { key: TransactionKey },
    /// The transaction is gone; its key may be reused.
    Terminated { key: TransactionKey },
}

/// How [`ServerTransactions::handle_request`] classified a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A new transaction; an [`Event::Request`] was queued.
    New(TransactionKey),
    /// A retransmission, absorbed (the last response was re-sent if any).
    Retransmission(TransactionKey),
    /// An ACK (absorbed or reported as [`Event::Ack`]).
    Ack,
    /// A CANCEL, answered 200 (INVITE found) or 481 (not found).
    Cancel { invite_found: bool },
    /// Too many transactions: answer 503 statelessly
    /// ([`ServerTransactions::send_stateless`]).
    Overloaded,
    /// Not a request, or no Via: nothing can be answered.
    Invalid,
}

/// Errors of [`ServerTransactions::send_response`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    #[error("no such transaction")]
    UnknownTransaction,
    #[error("a final response was already sent")]
    AlreadyFinal,
    #[error("message is not a response")]
    NotAResponse,
    #[error("only a 101-199 response to an INVITE is sent reliably")]
    NotReliableProvisional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Non-INVITE before any response.
    Trying,
    Proceeding,
    /// Final non-2xx (INVITE) or any final (non-INVITE) sent.
    Completed,
    /// ACK received for a non-2xx final.
    Confirmed,
    /// 2xx sent to an INVITE (RFC 6026).
    Accepted,
}

#[derive(Debug)]
struct Transaction {
    invite: bool,
    state: State,
    remote: SocketAddr,
    reliable: bool,
    last_response: Option<Vec<u8>>,
    /// To tag of the last response, for the CANCEL answer.
    to_tag: Option<String>,
    /// Call-ID, CSeq number, From tag: matches the ACK of a 2xx.
    dialog_key: Option<(String, u32, String)>,
    acked: bool,
    /// A reliable provisional response (RFC 3262) is out and retransmitted
    /// until [`ServerTransactions::provisional_acknowledged`].
    awaiting_prack: bool,
    retransmit_at: Option<Timestamp>,
    retransmit_interval: Duration,
    timeout_at: Option<Timestamp>,
    /// The deadline registered in the timer set.
    armed: Option<Timestamp>,
}

impl Transaction {
    fn next_deadline(&self) -> Option<Timestamp> {
        match (self.retransmit_at, self.timeout_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// All server transactions of one SIP endpoint.
#[derive(Debug)]
pub struct ServerTransactions {
    config: Config,
    transactions: HashMap<TransactionKey, Transaction>,
    timers: BTreeSet<(Timestamp, TransactionKey)>,
    /// (Call-ID, CSeq, From tag) of accepted INVITEs → their key.
    accepted: HashMap<(String, u32, String), TransactionKey>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

fn is_reliable(msg: &SipMessage<'_>) -> bool {
    msg.top_via().is_some_and(|v| !v.transport.eq_ignore_ascii_case("UDP"))
}

/// `now + d`, or `now` when that would overflow (absurd timer settings).
fn after(now: Timestamp, d: Duration) -> Timestamp {
    now.checked_add(d).unwrap_or(now)
}

/// A stable tag for responses the layer makes itself (FNV-1a of the key).
fn derived_tag(key: &TransactionKey) -> String {
    let text = format!("{key:?}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("cv{h:016x}")
}

impl ServerTransactions {
    pub fn new(config: Config) -> Self {
        ServerTransactions {
            config,
            transactions: HashMap::new(),
            timers: BTreeSet::new(),
            accepted: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    fn rearm(&mut self, key: &TransactionKey) {
        let Some(tx) = self.transactions.get_mut(key) else { return };
        let next = tx.next_deadline();
        if tx.armed == next {
            return;
        }
        if let Some(old) = tx.armed.take() {
            self.timers.remove(&(old, key.clone()));
        }
        if let Some(n) = next {
            self.timers.insert((n, key.clone()));
            tx.armed = Some(n);
        }
    }

    fn terminate(&mut self, key: &TransactionKey) {
        if let Some(tx) = self.transactions.remove(key) {
            if let Some(old) = tx.armed {
                self.timers.remove(&(old, key.clone()));
            }
            if let Some(d) = tx.dialog_key {
                self.accepted.remove(&d);
            }
            self.events.push_back(Event::Terminated { key: key.clone() });
        }
    }

    fn resend_last(&mut self, key: &TransactionKey) {
        if let Some(tx) = self.transactions.get(key)
            && let Some(bytes) = &tx.last_response
        {
            self.transmits.push_back(Transmit { destination: tx.remote, contents: bytes.clone() });
        }
    }

    /// Feeds a received request. Responses are queued as transmits; the TU
    /// hears about new requests, 2xx ACKs and CANCELs through events.
    pub fn handle_request(
        &mut self,
        now: Timestamp,
        from: SocketAddr,
        msg: &SipMessage<'_>,
    ) -> RequestOutcome {
        let Some(method) = msg.method() else { return RequestOutcome::Invalid };
        let Some(key) = TransactionKey::of(msg) else { return RequestOutcome::Invalid };
        if method == Method::Ack {
            self.handle_ack(now, from, key, msg);
            return RequestOutcome::Ack;
        }
        if self.transactions.contains_key(&key) {
            let absorb =
                self.transactions.get(&key).is_some_and(|t| t.state == State::Trying || t.acked);
            if !absorb {
                self.resend_last(&key);
            }
            return RequestOutcome::Retransmission(key);
        }
        // a CANCEL of a live INVITE is always taken: it frees capacity, and
        // there is at most one per INVITE, so the bound still holds (2x)
        let cancels_live_invite = method == Method::Cancel
            && self.transactions.contains_key(&key.with_other_method("INVITE"));
        if self.transactions.len() >= self.config.max_transactions && !cancels_live_invite {
            return RequestOutcome::Overloaded;
        }
        let reliable = is_reliable(msg);
        let invite = method == Method::Invite;
        self.transactions.insert(
            key.clone(),
            Transaction {
                invite,
                state: if invite { State::Proceeding } else { State::Trying },
                remote: from,
                reliable,
                last_response: None,
                to_tag: None,
                dialog_key: None,
                acked: false,
                awaiting_prack: false,
                retransmit_at: None,
                retransmit_interval: self.config.t1,
                timeout_at: None,
                armed: None,
            },
        );
        if method == Method::Cancel {
            return self.handle_cancel(now, key, msg);
        }
        if invite && self.config.auto_trying {
            let trying = msg.response(100, "Trying", None);
            // cannot fail: the transaction exists and is in Proceeding
            let _ = self.send_response(now, &key, &trying);
        }
        self.events.push_back(Event::Request {
            key: key.clone(),
            from,
            request: msg.clone().into_owned(),
        });
        RequestOutcome::New(key)
    }

    fn handle_cancel(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        msg: &SipMessage<'_>,
    ) -> RequestOutcome {
        let invite_key = key.with_other_method("INVITE");
        let invite = self.transactions.get(&invite_key).map(|t| (t.state, t.to_tag.clone()));
        let (code, reason, tag) = match &invite {
            Some((_, tag)) => (200, "OK", tag.clone()),
            None => (481, "Call/Transaction Does Not Exist", None),
        };
        let tag = tag.unwrap_or_else(|| derived_tag(&invite_key));
        let resp = msg.response(code, reason, Some(&tag));
        let _ = self.send_response(now, &key, &resp);
        if let Some((State::Proceeding, _)) = invite {
            self.events.push_back(Event::Cancelled {
                invite: invite_key,
                cancel: msg.clone().into_owned(),
            });
        }
        RequestOutcome::Cancel { invite_found: invite.is_some() }
    }

    fn handle_ack(
        &mut self,
        now: Timestamp,
        from: SocketAddr,
        key: TransactionKey,
        msg: &SipMessage<'_>,
    ) {
        // ACK for a non-2xx final: same branch as the INVITE (§17.2.1)
        if let Some(tx) = self.transactions.get_mut(&key) {
            match tx.state {
                State::Completed => {
                    tx.state = State::Confirmed;
                    tx.retransmit_at = None;
                    if tx.reliable {
                        self.terminate(&key);
                    } else {
                        tx.timeout_at = Some(after(now, self.config.t4)); // timer I
                        self.rearm(&key);
                    }
                    return;
                }
                State::Confirmed => return,
                State::Accepted => return self.ack_2xx(from, key, msg),
                State::Proceeding | State::Trying => {}
            }
        }
        // ACK for a 2xx: a new transaction, matched by dialog (§13.3.1.4)
        let dialog = msg.call_id().zip(msg.cseq()).map(|(c, s)| {
            (
                c.to_owned(),
                s.seq,
                msg.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default(),
            )
        });
        if let Some(invite_key) = dialog.and_then(|d| self.accepted.get(&d).cloned()) {
            return self.ack_2xx(from, invite_key, msg);
        }
        self.events.push_back(Event::Ack { key: None, from, request: msg.clone().into_owned() });
    }

    fn ack_2xx(&mut self, from: SocketAddr, key: TransactionKey, msg: &SipMessage<'_>) {
        let Some(tx) = self.transactions.get_mut(&key) else { return };
        if tx.acked {
            return; // ACK retransmission
        }
        tx.acked = true;
        tx.retransmit_at = None;
        self.rearm(&key);
        self.events.push_back(Event::Ack {
            key: Some(key),
            from,
            request: msg.clone().into_owned(),
        });
    }

    /// Sends a response within transaction `key`. A 2xx to an INVITE is
    /// retransmitted (T1 doubling to T2) until the ACK arrives or 64*T1
    /// passes ([`Event::AckTimeout`]); a non-2xx final is retransmitted on
    /// unreliable transports until ACK (timers G/H).
    pub fn send_response(
        &mut self,
        now: Timestamp,
        key: &TransactionKey,
        response: &SipMessage<'_>,
    ) -> Result<(), SendError> {
        let code = response.status().ok_or(SendError::NotAResponse)?;
        let t1 = self.config.t1;
        let tx = self.transactions.get_mut(key).ok_or(SendError::UnknownTransaction)?;
        if matches!(tx.state, State::Completed | State::Confirmed | State::Accepted) {
            return Err(SendError::AlreadyFinal);
        }
        let bytes = response.to_bytes();
        self.transmits.push_back(Transmit { destination: tx.remote, contents: bytes.clone() });
        if code < 200 && tx.awaiting_prack {
            // the reliable provisional stays the one retransmitted
            return Ok(());
        }
        tx.last_response = Some(bytes);
        tx.awaiting_prack = false;
        if let Some(tag) = response.to().and_then(|t| t.tag().map(str::to_owned)) {
            tx.to_tag = Some(tag);
        }
        if code < 200 {
            tx.state = State::Proceeding;
            return Ok(());
        }
        if tx.invite && code < 300 {
            tx.state = State::Accepted;
            tx.retransmit_interval = t1;
            tx.retransmit_at = Some(after(now, t1));
            tx.timeout_at = Some(after(now, t1.saturating_mul(64))); // timer L / §13.3.1.4 give-up
            let dialog = response.call_id().zip(response.cseq()).map(|(c, s)| {
                (
                    c.to_owned(),
                    s.seq,
                    response.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default(),
                )
            });
            if let Some(d) = dialog {
                self.accepted.insert(d.clone(), key.clone());
                tx.dialog_key = Some(d);
            }
        } else if tx.invite {
            tx.state = State::Completed;
            tx.retransmit_interval = t1;
            tx.retransmit_at = (!tx.reliable).then_some(after(now, t1)); // timer G
            tx.timeout_at = Some(after(now, t1.saturating_mul(64))); // timer H
        } else {
            tx.state = State::Completed;
            if tx.reliable {
                self.terminate(key);
                return Ok(());
            }
            tx.timeout_at = Some(after(now, t1.saturating_mul(64))); // timer J
        }
        self.rearm(key);
        Ok(())
    }

    /// Sends a reliable provisional response (RFC 3262 §3) to INVITE `key`:
    /// the response must carry its `RSeq` and `Require: 100rel`. It is
    /// retransmitted after T1, then at doubling intervals (no T2 cap), on
    /// every transport, until the TU reports the matching PRACK with
    /// [`provisional_acknowledged`](Self::provisional_acknowledged); after
    /// 64*T1 without one, [`Event::ProvisionalTimeout`] asks the TU for a
    /// 5xx. A retransmitted INVITE gets it again too.
    pub fn send_reliable_provisional(
        &mut self,
        now: Timestamp,
        key: &TransactionKey,
        response: &SipMessage<'_>,
    ) -> Result<(), SendError> {
        let code = response.status().ok_or(SendError::NotAResponse)?;
        let t1 = self.config.t1;
        let tx = self.transactions.get_mut(key).ok_or(SendError::UnknownTransaction)?;
        if !tx.invite || !(101..200).contains(&code) {
            return Err(SendError::NotReliableProvisional);
        }
        if tx.state != State::Proceeding {
            return Err(SendError::AlreadyFinal);
        }
        let bytes = response.to_bytes();
        self.transmits.push_back(Transmit { destination: tx.remote, contents: bytes.clone() });
        tx.last_response = Some(bytes);
        if let Some(tag) = response.to().and_then(|t| t.tag().map(str::to_owned)) {
            tx.to_tag = Some(tag);
        }
        tx.awaiting_prack = true;
        tx.retransmit_interval = t1;
        tx.retransmit_at = Some(after(now, t1));
        tx.timeout_at = Some(after(now, t1.saturating_mul(64)));
        self.rearm(key);
        Ok(())
    }

    /// The TU matched a PRACK to the reliable provisional of INVITE `key`:
    /// its retransmissions stop. Returns whether one was outstanding.
    pub fn provisional_acknowledged(&mut self, key: &TransactionKey) -> bool {
        let Some(tx) = self.transactions.get_mut(key) else { return false };
        if !std::mem::take(&mut tx.awaiting_prack) {
            return false;
        }
        tx.retransmit_at = None;
        tx.timeout_at = None;
        self.rearm(key);
        true
    }

    /// Queues a response outside any transaction (e.g. 503 when
    /// [`RequestOutcome::Overloaded`], or a 400 to a broken request).
    pub fn send_stateless(&mut self, to: SocketAddr, response: &SipMessage<'_>) {
        self.transmits.push_back(Transmit { destination: to, contents: response.to_bytes() });
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout)
    /// has work.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        while let Some((at, key)) = self.timers.first().cloned() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, key.clone()));
            let Some(tx) = self.transactions.get_mut(&key) else { continue };
            tx.armed = None;
            if tx.awaiting_prack && tx.timeout_at.is_some_and(|t| t <= now) {
                // RFC 3262 §3: no PRACK in 64*T1; the TU sends the final
                tx.awaiting_prack = false;
                tx.retransmit_at = None;
                tx.timeout_at = None;
                self.events.push_back(Event::ProvisionalTimeout { key: key.clone() });
                self.rearm(&key);
                continue;
            }
            if tx.timeout_at.is_some_and(|t| t <= now) {
                let event = match tx.state {
                    State::Accepted if !tx.acked => Some(Event::AckTimeout { key: key.clone() }),
                    State::Completed if tx.invite => Some(Event::Timeout { key: key.clone() }),
                    _ => None,
                };
                self.events.extend(event);
                self.terminate(&key);
                continue;
            }
            if tx.retransmit_at.is_some_and(|t| t <= now) {
                if let Some(bytes) = &tx.last_response {
                    self.transmits
                        .push_back(Transmit { destination: tx.remote, contents: bytes.clone() });
                }
                let doubled = tx.retransmit_interval.saturating_mul(2);
                tx.retransmit_interval =
                    if tx.awaiting_prack { doubled } else { doubled.min(self.config.t2) };
                tx.retransmit_at = Some(after(now, tx.retransmit_interval));
            }
            self.rearm(&key);
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}
