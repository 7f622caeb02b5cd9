//! Sans-IO call tracker: [`Event`]s from [`crate::CaptureDemux`] in,
//! conversations, participants and routed RTP out.
//!
//! A *dialog* is one INVITE dialog, keyed by Call-ID. Dialogs are stitched
//! into one *conversation* by REFER (the transferee's next INVITE to the
//! Refer-To target), by `Replaces`, by a configured correlation header
//! value (X-Linkedid, Cisco-Guid, Session-ID...) shared by legs, and, for
//! B2BUA legs sharing none of these, by address, numbers and time. A
//! conversation lives from the first answer to the last hang-up of its legs.
//!
//! RTP is routed by destination address: the negotiated (SDP) receive
//! address of one party of a live dialog; the datagram's source is then
//! learnt as the other party's address (symmetric RTP behind NAT). Flows
//! are keyed by (source, destination), never by SSRC.
//!
//! # B2BUA legs without a shared header
//!
//! A B2BUA (Asterisk, FreeSWITCH, an SBC) turns one call into leg A
//! (caller → PBX) and leg B (PBX → callee) with different Call-IDs. When
//! no REFER, Replaces or correlation header links a new INVITE, it is
//! paired as leg B with an earlier leg A (deterministic, packet time):
//! - A is a live dialog (ringing or answered) whose INVITE went to the IP
//!   that sends B's INVITE (signalling addresses, ports ignored);
//! - B's INVITE comes within [`TrackerConfig::b2bua_window`] of A's
//!   *pairing anchor*: A's INVITE, A's 2xx, or the INVITE of the last leg B
//!   paired with A (a queue ringing agent after agent), whichever is last;
//! - no correlation header decides: if both legs carry a value of the same
//!   configured header, the header links them (equal) or keeps them apart
//!   (different), and the heuristic stays out;
//! - numbers: rule 1, a caller number of B (From or P-Asserted-Identity
//!   user) equals a caller number of A; among several such A, the most
//!   recent INVITE wins. Rule 2, only when rule 1 finds nothing: B's
//!   dialled number (To or Request-URI user) equals A's and exactly one A
//!   matches (several: no pairing, counted in
//!   [`TrackerStats::b2bua_ambiguous`]). Numbers compare by their digits
//!   (`+`, separators and `;params` dropped), the last 10 digits when
//!   longer; what is not a number (`anonymous`, names) never pairs.
//!
//! A leg only pairs with an older one, so pairing links form a tree
//! (never a loop, never a dialog with itself); the legs of one tree are a
//! pairing *group* (A, its forks, its re-dials, chains through several
//! PBXs; at most 32 legs). When a leg of the group is answered, the group
//! is one conversation, started at the first 2xx; its ringing legs are
//! linked to it like a REFER's INVITE. On a paired leg, the B2BUA's side
//! (the caller of a leg B, the callee of a leg A) sends a copy of the
//! other leg's audio once that other leg is answered: its RTP comes out
//! with `relayed: true`. The index of possible legs A holds at most 4
//! entries per live dialog (32 per address and number) and loses them with
//! the dialog.
//!
//! Not done: B2BUA pairing when the PBX signals from another IP than it
//! receives on, or dials out later than the window (a long IVR before the
//! queue); a second 2xx from another fork (counted, ignored); SDP in
//! multipart bodies.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use callvault_model::Side;
use callvault_sip::sdp::{Direction, RtpMap, SessionDescription};
use callvault_sip::{Method, NameAddr, SipMessage, Uri};

use crate::demux::Event;
use crate::time::Timestamp;

/// An IP network in CIDR notation (the model's; re-exported here for the
/// tracker's configuration).
pub use callvault_model::IpNet;

/// Settings of [`CallTracker`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    /// An unanswered INVITE is forgotten after this long; a REFER waits this
    /// long for the transferee's INVITE.
    pub sip_timeout: Duration,
    /// An answered dialog with neither SIP nor RTP for this long ends (a
    /// call whose BYE was not captured).
    pub rtp_timeout: Duration,
    /// Headers whose value links legs into one conversation.
    pub correlation_headers: Vec<String>,
    /// Addresses of the company side (PBX, phones, company SBC): a party
    /// whose media (else signalling) address is inside is
    /// [`Side::Company`], otherwise [`Side::External`]. Empty: every
    /// party is [`Side::Unknown`].
    pub company_networks: Vec<IpNet>,
    /// Dialogs held at once; over it the oldest unanswered one is evicted
    /// (or, when every dialog is answered, the new INVITE is ignored).
    pub max_dialogs: usize,
    /// REFERs waiting for their INVITE.
    pub max_pending_refers: usize,
    /// B2BUA pairing without a shared header: a new INVITE sent by the
    /// address that received a live leg's INVITE, with the same caller (or,
    /// failing that, the same dialled number), within this long of that
    /// leg's INVITE (see the module docs). `None` or zero disables it.
    pub b2bua_window: Option<Duration>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            sip_timeout: Duration::from_secs(180),
            rtp_timeout: Duration::from_secs(300),
            correlation_headers: vec![
                "X-Linkedid".into(),
                "Cisco-Guid".into(),
                "Session-ID".into(),
            ],
            company_networks: Vec::new(),
            max_dialogs: 10_000,
            max_pending_refers: 1024,
            b2bua_window: Some(Duration::from_secs(10)),
        }
    }
}

/// A conversation, numbered by the tracker from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationKey(pub u64);

/// A participant, unique across the tracker's conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantKey(pub u64);

/// One RTP flow (source, destination); map it to `callvault_media::FlowKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// A participant as the conversation ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantSummary {
    pub participant: ParticipantKey,
    /// URI user part (number or extension); empty when unknown.
    pub number: String,
    pub display_name: Option<String>,
    pub side: Side,
}

/// Why a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The last leg was hung up (BYE).
    HungUp,
    /// The last leg saw neither SIP nor RTP for `rtp_timeout`.
    Inactive,
}

/// What the tracker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerOutput {
    ConversationStarted {
        conversation: ConversationKey,
        ts: Timestamp,
        call_id: String,
    },
    ParticipantJoined {
        conversation: ConversationKey,
        participant: ParticipantKey,
        number: String,
        display_name: Option<String>,
        side: Side,
        ts: Timestamp,
    },
    ParticipantLeft {
        conversation: ConversationKey,
        participant: ParticipantKey,
        ts: Timestamp,
    },
    /// A later leg showed the participant on another side (a B2BUA leg
    /// answered before the external one); later RTP carries the new side.
    ParticipantSideChanged {
        conversation: ConversationKey,
        participant: ParticipantKey,
        side: Side,
    },
    /// First packet of a flow: attach it before its [`TrackerOutput::Rtp`].
    FlowStarted {
        conversation: ConversationKey,
        flow: FlowId,
        participant: ParticipantKey,
        side: Side,
        src: SocketAddr,
        dst: SocketAddr,
        call_id: String,
        /// `a=rtpmap` lines of the sender's SDP (static types are implied).
        rtpmaps: Vec<RtpMap>,
    },
    Rtp {
        conversation: ConversationKey,
        flow: FlowId,
        participant: ParticipantKey,
        side: Side,
        ts: Timestamp,
        /// Sent by a B2BUA relaying another leg of the same conversation:
        /// its media IP is also on another answered leg sharing a
        /// correlation value, or it is the B2BUA's side of a leg paired by
        /// the heuristic (module docs) whose other leg is answered. Mixing
        /// it with the original doubles that voice; the consumer decides
        /// (nothing is dropped here).
        relayed: bool,
        payload: Vec<u8>,
    },
    /// A participant asked another to call someone else (REFER): blind
    /// when `replaces` is false, attended (the new leg replaces a
    /// consultation call) when true.
    Transfer {
        conversation: ConversationKey,
        ts: Timestamp,
        /// Who sent the REFER.
        transferor: Option<ParticipantKey>,
        /// Who was asked to make the new call.
        transferee: Option<ParticipantKey>,
        /// The Refer-To's user part (number or extension); empty for an
        /// attended transfer that names only the call it replaces.
        target: String,
        replaces: bool,
    },
    /// A participant put the call on hold (`held`: its offer was
    /// `sendonly`, `inactive` or to 0.0.0.0) or took it off hold.
    Hold {
        conversation: ConversationKey,
        participant: ParticipantKey,
        ts: Timestamp,
        held: bool,
    },
    ConversationEnded {
        conversation: ConversationKey,
        ts: Timestamp,
        reason: EndReason,
        call_ids: Vec<String>,
        /// (header name as configured, value).
        correlation: Vec<(String, String)>,
        participants: Vec<ParticipantSummary>,
    },
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackerStats {
    pub sip_unparsable: u64,
    pub dialogs_created: u64,
    pub retransmissions: u64,
    /// Unanswered dialogs evicted to stay under `max_dialogs`.
    pub evicted: u64,
    /// INVITEs ignored because every held dialog was answered.
    pub overload_dropped: u64,
    pub unanswered_timeouts: u64,
    pub inactive_timeouts: u64,
    pub reinvites: u64,
    pub forked_answers: u64,
    pub transfers_linked: u64,
    pub replaces_linked: u64,
    pub correlation_linked: u64,
    /// Legs paired with an earlier leg by the B2BUA heuristic (address,
    /// numbers and time; no shared header).
    pub b2bua_paired: u64,
    /// New INVITEs left unpaired because several live legs matched only by
    /// dialled number.
    pub b2bua_ambiguous: u64,
    pub rtp_routed: u64,
    pub rtp_unmatched: u64,
    /// RTP of a dialog not (yet) in a conversation: early media.
    pub rtp_unanswered: u64,
    /// Routed RTP flagged `relayed` (B2BUA copies of another leg's audio).
    pub rtp_relayed: u64,
    pub addresses_learnt: u64,
}

const MAX_ADDRS: usize = 8;
const MAX_FLOWS_PER_DIALOG: usize = 16;
/// Legs in one B2BUA pairing group (a leg A and its forks, re-dials, chains).
const MAX_GROUP: usize = 32;
/// Live legs remembered per (address, role, number) in the pairing index.
const MAX_PER_PAIR_KEY: usize = 32;

/// Which number of a leg an index entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NumberRole {
    /// From or P-Asserted-Identity user.
    Caller,
    /// To or Request-URI user.
    Dialled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Caller,
    Callee,
}

impl Party {
    fn idx(self) -> usize {
        match self {
            Party::Caller => 0,
            Party::Callee => 1,
        }
    }
    fn other(self) -> Party {
        match self {
            Party::Caller => Party::Callee,
            Party::Callee => Party::Caller,
        }
    }
}

#[derive(Debug)]
struct PartyInfo {
    number: String,
    display_name: Option<String>,
    signalling: Option<IpAddr>,
    /// Receive addresses: negotiated first, then learnt.
    media: Vec<SocketAddr>,
    rtpmaps: Vec<RtpMap>,
    key: Option<ParticipantKey>,
    side: Side,
    /// Its latest offer put the call on hold.
    held: bool,
}

impl Default for PartyInfo {
    fn default() -> Self {
        Self {
            number: String::new(),
            display_name: None,
            signalling: None,
            media: Vec::new(),
            rtpmaps: Vec::new(),
            key: None,
            side: Side::Unknown,
            held: false,
        }
    }
}

#[derive(Debug)]
struct Dialog {
    seq: u64,
    from_tag: String,
    to_tag: Option<String>,
    invite_cseq: u32,
    /// Last request per direction (CSeq spaces are per sender).
    last_cseq: [Option<(u32, Method)>; 2],
    answered: bool,
    parties: [PartyInfo; 2],
    conv: Option<ConversationKey>,
    correlation: Vec<(String, String)>,
    created: Timestamp,
    last_activity: Timestamp,
    flows: Vec<(SocketAddr, SocketAddr)>,
    /// Destination IP of its INVITE: the B2BUA if this is a leg A.
    invite_dst: IpAddr,
    /// Normalised numbers it is indexed under as a possible leg A.
    pair_keys: Vec<(NumberRole, String)>,
    /// Start of its pairing window: its INVITE, its answer, or the INVITE
    /// of the last leg paired to it (a queue re-dialling).
    pair_anchor: Timestamp,
    /// B2BUA pairing group (the `seq` of its first leg).
    group: Option<u64>,
    /// The leg A this leg was paired to (Call-ID, seq).
    parent: Option<(String, u64)>,
}

#[derive(Debug)]
struct Participant {
    key: ParticipantKey,
    number: String,
    display_name: Option<String>,
    side: Side,
    present: bool,
}

#[derive(Debug)]
struct Conversation {
    /// Dialogs that are in it (answered) or on their way (linked at INVITE).
    dialogs: Vec<String>,
    call_ids: Vec<String>,
    correlation: Vec<(String, String)>,
    participants: Vec<Participant>,
    pending_refers: usize,
    /// When its last leg ended (the end time if a pending REFER expires).
    last_end: Timestamp,
}

#[derive(Debug)]
struct PendingRefer {
    conv: ConversationKey,
    target: String,
    /// Call-ID named by `?Replaces=` (attended transfer).
    replaces: Option<String>,
    /// Number of the party asked to make the call (stays present meanwhile).
    transferee: String,
    expires: Timestamp,
}

#[derive(Debug)]
struct Flow {
    id: FlowId,
    call_id: String,
    sender: Party,
    /// Packet time of its latest datagram (the dialog's activity is the
    /// latest of these and its SIP).
    seen: Timestamp,
    /// The route computed at tracker epoch `.0`; valid while no SIP
    /// message, sweep or new flow has changed the tracker since.
    cached: Option<(u64, Option<RtpRoute>)>,
}

/// Where a routed datagram belongs: what [`CallTracker::route_udp`]
/// returns (the fields of [`TrackerOutput::Rtp`] but the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpRoute {
    pub conversation: ConversationKey,
    pub flow: FlowId,
    pub participant: ParticipantKey,
    pub side: Side,
    /// See [`TrackerOutput::Rtp`].
    pub relayed: bool,
}

/// Hash maps keyed by data off the wire: a fast hasher with a per-process
/// random seed (crafted addresses or Call-IDs cannot pile into one bucket
/// chain known in advance).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The call tracker. Feed it every [`Event`] in capture order with
/// [`CallTracker::push`], call [`CallTracker::poll`] when time moves without
/// events, and drain [`CallTracker::poll_output`].
#[derive(Debug)]
pub struct CallTracker {
    config: TrackerConfig,
    dialogs: Map<String, Dialog>,
    /// Unanswered dialogs in creation order (lazily cleaned: seq checked).
    pending_order: VecDeque<(u64, String)>,
    /// Receive address → dialogs and party owning it (latest last).
    routes: Map<SocketAddr, Vec<(String, Party)>>,
    flows: Map<(SocketAddr, SocketAddr), Flow>,
    conversations: Map<ConversationKey, Conversation>,
    by_correlation: Map<(String, String), ConversationKey>,
    /// Live legs by (INVITE destination IP, role, normalised number): the
    /// possible legs A of a B2BUA. Entries leave with their dialog.
    pair_index: Map<(IpAddr, NumberRole, String), VecDeque<(String, u64)>>,
    /// B2BUA pairing groups: members (Call-ID, seq).
    groups: Map<u64, Vec<(String, u64)>>,
    refers: VecDeque<PendingRefer>,
    /// Call-IDs of ended dialogs (retransmissions must not revive them).
    ended: VecDeque<(Timestamp, String)>,
    ended_set: Map<String, Timestamp>,
    out: VecDeque<TrackerOutput>,
    stats: TrackerStats,
    next_seq: u64,
    next_conv: u64,
    next_participant: u64,
    next_flow: u64,
    now: Timestamp,
    next_sweep: Timestamp,
    /// Bumped by every change that can alter a flow's route (SIP, sweeps,
    /// new flows): cached routes of older epochs are recomputed.
    epoch: u64,
}

impl CallTracker {
    pub fn new(mut config: TrackerConfig) -> Self {
        config.max_dialogs = config.max_dialogs.max(1);
        Self {
            config,
            dialogs: Map::default(),
            pending_order: VecDeque::new(),
            routes: Map::default(),
            flows: Map::default(),
            conversations: Map::default(),
            by_correlation: Map::default(),
            pair_index: Map::default(),
            groups: Map::default(),
            refers: VecDeque::new(),
            ended: VecDeque::new(),
            ended_set: Map::default(),
            out: VecDeque::new(),
            stats: TrackerStats::default(),
            next_seq: 0,
            next_conv: 0,
            next_participant: 0,
            next_flow: 0,
            now: Timestamp::default(),
            next_sweep: Timestamp::default(),
            epoch: 0,
        }
    }

    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Dialogs held (answered or not).
    pub fn dialogs(&self) -> usize {
        self.dialogs.len()
    }

    /// Conversations currently live.
    pub fn conversations(&self) -> usize {
        self.conversations.len()
    }

    /// Entries of the B2BUA pairing state: the index of possible legs A
    /// (at most 4 per dialog) plus the members of pairing groups (at most
    /// one per dialog); both leave with their dialog.
    pub fn pairing_index_len(&self) -> usize {
        self.pair_index.values().map(VecDeque::len).sum::<usize>()
            + self.groups.values().map(Vec::len).sum::<usize>()
    }

    pub fn poll_output(&mut self) -> Option<TrackerOutput> {
        self.out.pop_front()
    }

    /// One event from the demultiplexer.
    pub fn push(&mut self, event: &Event) {
        let ts = event.ts();
        self.poll(ts);
        match event {
            Event::Sip { src, dst, message, .. } => {
                self.epoch += 1;
                match SipMessage::parse(message) {
                    Ok(msg) => self.on_sip(ts, *src, *dst, &msg),
                    Err(_) => self.stats.sip_unparsable += 1,
                }
            }
            Event::Udp { src, dst, payload, .. } => self.on_udp(ts, *src, *dst, payload),
        }
    }

    /// The hot path for a non-SIP datagram (a [`crate::Datagram`] borrowed
    /// from its frame): runs due timeouts like [`CallTracker::push`], then
    /// returns where the datagram belongs instead of queueing a
    /// [`TrackerOutput::Rtp`] with a copy of it. Control outputs it causes
    /// ([`TrackerOutput::FlowStarted`], ends found by the timeouts) are
    /// queued as usual: drain them before using the route.
    pub fn route_udp(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Option<RtpRoute> {
        self.poll(ts);
        self.route_datagram(ts, src, dst)
    }

    /// Whether outputs wait in [`CallTracker::poll_output`].
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Runs timeouts up to `now` (packet time; never goes backwards).
    pub fn poll(&mut self, now: Timestamp) {
        if now > self.now {
            self.now = now;
        }
        if self.now < self.next_sweep {
            return;
        }
        self.next_sweep = self.now.saturating_add(Duration::from_secs(1));
        self.epoch += 1;
        self.sweep();
    }

    /// Ends every live dialog now (end of a capture file).
    pub fn finish(&mut self, now: Timestamp) {
        self.poll(now);
        self.epoch += 1;
        // In the order the dialogs began, not the hash map's (randomly
        // seeded) order: a replay gives the same outputs every time.
        let mut ids: Vec<(u64, String)> =
            self.dialogs.iter().map(|(k, d)| (d.seq, k.clone())).collect();
        ids.sort_unstable();
        for (_, id) in ids {
            self.end_dialog(&id, EndReason::Inactive);
        }
        self.refers.clear();
        let mut convs: Vec<ConversationKey> = self.conversations.keys().copied().collect();
        convs.sort_unstable();
        for c in convs {
            if let Some(conv) = self.conversations.get_mut(&c) {
                conv.pending_refers = 0;
            }
            self.maybe_end_conversation(c, EndReason::Inactive);
        }
    }

    fn sweep(&mut self) {
        let now = self.now;
        // Unanswered dialogs past sip_timeout, oldest first.
        while let Some((seq, id)) = self.pending_order.front() {
            let expired = match self.dialogs.get(id) {
                Some(d) if d.seq == *seq && !d.answered => {
                    now.saturating_since(d.created) >= self.config.sip_timeout
                }
                _ => {
                    self.pending_order.pop_front();
                    continue;
                }
            };
            if !expired {
                break;
            }
            let id = id.clone();
            self.pending_order.pop_front();
            self.stats.unanswered_timeouts += 1;
            self.end_dialog(&id, EndReason::Inactive);
        }
        let mut idle: Vec<(u64, String)> = self
            .dialogs
            .iter()
            .filter(|(_, d)| {
                d.answered && now.saturating_since(self.activity(d)) >= self.config.rtp_timeout
            })
            .map(|(k, d)| (d.seq, k.clone()))
            .collect();
        // Oldest first, whatever the map's order (see `finish`).
        idle.sort_unstable();
        for (_, id) in idle {
            self.stats.inactive_timeouts += 1;
            self.end_dialog(&id, EndReason::Inactive);
        }
        while let Some(r) = self.refers.front() {
            if r.expires > now {
                break;
            }
            let conv = r.conv;
            self.refers.pop_front();
            if let Some(c) = self.conversations.get_mut(&conv) {
                c.pending_refers = c.pending_refers.saturating_sub(1);
            }
            self.maybe_end_conversation(conv, EndReason::HungUp);
        }
        while let Some((t, _)) = self.ended.front() {
            if now.saturating_since(*t) < self.config.sip_timeout {
                break;
            }
            if let Some((t, id)) = self.ended.pop_front()
                && self.ended_set.get(&id) == Some(&t)
            {
                self.ended_set.remove(&id);
            }
        }
    }

    fn on_sip(&mut self, ts: Timestamp, src: SocketAddr, dst: SocketAddr, msg: &SipMessage<'_>) {
        let Some(call_id) = msg.call_id().map(str::to_owned) else {
            self.stats.sip_unparsable += 1;
            return;
        };
        let Some(cseq) = msg.cseq() else {
            self.stats.sip_unparsable += 1;
            return;
        };
        let from_tag = msg.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default();
        if msg.is_request() {
            let method = msg.method().unwrap_or(Method::Other);
            if !self.dialogs.contains_key(&call_id) {
                if method == Method::Invite
                    && msg.to().and_then(|t| t.tag().map(str::to_owned)).is_none()
                    && !self.ended_set.contains_key(&call_id)
                {
                    self.new_dialog(ts, src, dst, &call_id, from_tag, cseq.seq, msg);
                } else if method == Method::Invite {
                    self.stats.retransmissions += 1;
                }
                return;
            }
            let Some(d) = self.dialogs.get_mut(&call_id) else { return };
            d.last_activity = ts;
            let sender = if from_tag == d.from_tag { Party::Caller } else { Party::Callee };
            let last = &mut d.last_cseq[sender.idx()];
            if *last == Some((cseq.seq, method)) && method != Method::Ack {
                self.stats.retransmissions += 1;
                return;
            }
            if method != Method::Ack {
                *last = Some((cseq.seq, method));
            }
            let initial = sender == Party::Caller && cseq.seq == d.invite_cseq;
            match method {
                Method::Invite if initial => self.stats.retransmissions += 1,
                Method::Invite | Method::Update | Method::Ack => {
                    if method == Method::Invite {
                        self.stats.reinvites += 1;
                    }
                    self.apply_sdp(ts, &call_id, sender, msg);
                }
                Method::Bye => self.end_dialog(&call_id, EndReason::HungUp),
                Method::Cancel if !d.answered => self.end_dialog(&call_id, EndReason::HungUp),
                Method::Refer => self.on_refer(ts, &call_id, msg),
                _ => {}
            }
        } else {
            let Some(code) = msg.status() else { return };
            let Some(d) = self.dialogs.get_mut(&call_id) else { return };
            d.last_activity = ts;
            // A response comes from the party that did not send the request.
            let sender = if from_tag == d.from_tag { Party::Callee } else { Party::Caller };
            if cseq.method != Method::Invite {
                if cseq.method == Method::Update && (200..300).contains(&code) {
                    self.apply_sdp(ts, &call_id, sender, msg);
                }
                return;
            }
            let to_tag = msg.to().and_then(|t| t.tag().map(str::to_owned));
            if sender == Party::Caller || cseq.seq != d.invite_cseq {
                // Response to a re-INVITE.
                if (200..300).contains(&code) {
                    self.apply_sdp(ts, &call_id, sender, msg);
                }
                return;
            }
            match code {
                100..=199 => self.apply_sdp(ts, &call_id, sender, msg),
                200..=299 => {
                    if d.answered {
                        if d.to_tag != to_tag {
                            self.stats.forked_answers += 1;
                        } else {
                            self.stats.retransmissions += 1;
                        }
                        return;
                    }
                    d.to_tag = to_tag;
                    d.answered = true;
                    d.pair_anchor = d.pair_anchor.max(ts);
                    if d.parties[1].signalling.is_none() {
                        d.parties[1].signalling = Some(src.ip());
                    }
                    let _ = dst;
                    self.apply_sdp(ts, &call_id, sender, msg);
                    self.answer(ts, &call_id);
                }
                _ => {
                    if !d.answered {
                        self.end_dialog(&call_id, EndReason::HungUp);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_dialog(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        call_id: &str,
        from_tag: String,
        cseq: u32,
        msg: &SipMessage<'_>,
    ) {
        if self.dialogs.len() >= self.config.max_dialogs && !self.evict_oldest_pending() {
            self.stats.overload_dropped += 1;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut parties: [PartyInfo; 2] = Default::default();
        if let Some(f) = msg.from() {
            parties[0].number = f.user().unwrap_or("").to_owned();
            parties[0].display_name = f.display_name.map(|d| d.into_owned());
        }
        if let Some(t) = msg.to() {
            parties[1].number = t.user().unwrap_or("").to_owned();
            parties[1].display_name = t.display_name.map(|d| d.into_owned());
        }
        parties[0].signalling = Some(src.ip());
        parties[1].signalling = Some(dst.ip());
        let mut correlation = Vec::new();
        for name in &self.config.correlation_headers {
            if let Some(v) = msg.header(name) {
                // Parameters vary per leg (Session-ID's `remote=`): drop them.
                let v = v.split(';').next().unwrap_or("").trim();
                if !v.is_empty() && correlation.len() < 8 {
                    correlation.push((name.clone(), v.to_owned()));
                }
            }
        }
        // Which conversation this leg continues, if any.
        let mut conv = None;
        if let Some(r) = msg.replaces() {
            // Attended transfer: the REFER's conversation (the transferee's)
            // wins over the replaced consultation leg's.
            if let Some(pos) =
                self.refers.iter().rposition(|p| p.replaces.as_deref() == Some(&r.call_id))
                && let Some(p) = self.refers.remove(pos)
                && let Some(c) = self.conversations.get_mut(&p.conv)
            {
                c.pending_refers = c.pending_refers.saturating_sub(1);
                conv = Some(p.conv);
            } else if let Some(c) = self.dialogs.get(&r.call_id).and_then(|d| d.conv) {
                conv = Some(c);
            }
            if conv.is_some() {
                self.stats.replaces_linked += 1;
            }
        }
        if conv.is_none() {
            let target = parties[1].number.clone();
            let ruri_user = msg
                .request_uri()
                .and_then(callvault_sip::Uri::parse)
                .and_then(|u| u.user.map(str::to_owned))
                .unwrap_or_default();
            if let Some(pos) = self.refers.iter().rposition(|r| {
                r.replaces.is_none()
                    && !r.target.is_empty()
                    && (r.target == target || r.target == ruri_user)
            }) && let Some(r) = self.refers.remove(pos)
                && let Some(c) = self.conversations.get_mut(&r.conv)
            {
                c.pending_refers = c.pending_refers.saturating_sub(1);
                conv = Some(r.conv);
                self.stats.transfers_linked += 1;
            }
        }
        if conv.is_none() {
            conv = self.correlated(&correlation);
        }
        let pair_keys = pair_keys(msg);
        // B2BUA pairing only for a leg nothing else linked.
        let paired = match conv {
            Some(_) => None,
            None => self.b2bua_leg_a(ts, src.ip(), &pair_keys, &correlation),
        };
        let mut group = None;
        if let Some((a_id, a_seq)) = &paired
            && let Some(a) = self.dialogs.get_mut(a_id)
        {
            let g = *a.group.get_or_insert(*a_seq);
            a.pair_anchor = a.pair_anchor.max(ts);
            let members = self.groups.entry(g).or_default();
            if members.is_empty() {
                members.push((a_id.clone(), *a_seq));
            }
            members.push((call_id.to_owned(), seq));
            group = Some(g);
            self.stats.b2bua_paired += 1;
            conv = self.group_conv(g);
        }
        if let Some(c) = conv
            && let Some(cv) = self.conversations.get_mut(&c)
        {
            cv.dialogs.push(call_id.to_owned());
        }
        for (role, number) in &pair_keys {
            let v = self.pair_index.entry((dst.ip(), *role, number.clone())).or_default();
            if v.len() >= MAX_PER_PAIR_KEY {
                v.pop_front();
            }
            v.push_back((call_id.to_owned(), seq));
        }
        self.dialogs.insert(
            call_id.to_owned(),
            Dialog {
                seq,
                from_tag,
                to_tag: None,
                invite_cseq: cseq,
                last_cseq: [Some((cseq, Method::Invite)), None],
                answered: false,
                parties,
                conv,
                correlation,
                created: ts,
                last_activity: ts,
                flows: Vec::new(),
                invite_dst: dst.ip(),
                pair_keys,
                pair_anchor: ts,
                group,
                parent: paired,
            },
        );
        self.pending_order.push_back((seq, call_id.to_owned()));
        self.stats.dialogs_created += 1;
        self.apply_sdp(ts, call_id, Party::Caller, msg);
        if self.pending_order.len() > self.config.max_dialogs.saturating_mul(2) {
            let dialogs = &self.dialogs;
            self.pending_order
                .retain(|(s, id)| dialogs.get(id).is_some_and(|d| d.seq == *s && !d.answered));
        }
    }

    fn correlated(&mut self, correlation: &[(String, String)]) -> Option<ConversationKey> {
        for (n, v) in correlation {
            if let Some(c) = self.by_correlation.get(&(n.to_ascii_lowercase(), v.clone())) {
                self.stats.correlation_linked += 1;
                return Some(*c);
            }
        }
        None
    }

    /// The leg A of a new INVITE sent from `src` (see the module docs):
    /// a live leg whose INVITE went to `src`, whose pairing window is open,
    /// that no correlation header separates from it, and that has the same
    /// caller (the most recent such INVITE wins) or else, as the only
    /// candidate, the same dialled number.
    fn b2bua_leg_a(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        keys: &[(NumberRole, String)],
        correlation: &[(String, String)],
    ) -> Option<(String, u64)> {
        let window = self.config.b2bua_window.filter(|w| !w.is_zero())?;
        let eligible = |a: &Dialog| {
            ts.saturating_since(a.pair_anchor) <= window
                && !headers_decide(&a.correlation, correlation)
        };
        let candidates = |role: NumberRole| {
            let mut found: Vec<(Timestamp, u64, &str)> = Vec::new();
            for (r, number) in keys.iter().filter(|(r, _)| *r == role) {
                let Some(v) = self.pair_index.get(&(src, *r, number.clone())) else { continue };
                for (id, seq) in v {
                    if let Some(a) = self.dialogs.get(id)
                        && a.seq == *seq
                        && eligible(a)
                        && !found.iter().any(|(_, s, _)| s == seq)
                    {
                        found.push((a.created, a.seq, id.as_str()));
                    }
                }
            }
            found
        };
        let by_caller = candidates(NumberRole::Caller);
        let by_dialled = candidates(NumberRole::Dialled);
        let pick = match (by_caller.iter().max(), by_dialled.as_slice()) {
            (Some((_, seq, id)), _) | (None, [(_, seq, id)]) => Ok(((*id).to_owned(), *seq)),
            (None, []) => Err(false),
            (None, _) => Err(true),
        };
        match pick {
            // A full group takes no more legs (rather than a worse match).
            Ok((id, seq)) => {
                let group = self.dialogs.get(&id).and_then(|a| a.group);
                let full =
                    group.and_then(|g| self.groups.get(&g)).is_some_and(|m| m.len() >= MAX_GROUP);
                (!full).then_some((id, seq))
            }
            Err(ambiguous) => {
                if ambiguous {
                    self.stats.b2bua_ambiguous += 1;
                }
                None
            }
        }
    }

    /// Every leg of B2BUA group `g` without a live conversation is linked
    /// to `conv` (the ringing ones keep it open, as a REFER's INVITE does).
    fn group_join(&mut self, g: u64, conv: ConversationKey) {
        let Some(members) = self.groups.get(&g) else { return };
        for (id, seq) in members {
            let Some(d) = self.dialogs.get_mut(id) else { continue };
            if d.seq != *seq || d.conv.is_some_and(|c| self.conversations.contains_key(&c)) {
                continue;
            }
            d.conv = Some(conv);
            if let Some(cv) = self.conversations.get_mut(&conv)
                && !cv.dialogs.contains(id)
            {
                cv.dialogs.push(id.clone());
            }
        }
    }

    /// The live conversation of any leg of B2BUA group `g`.
    fn group_conv(&self, g: u64) -> Option<ConversationKey> {
        self.groups.get(&g)?.iter().find_map(|(id, seq)| {
            self.dialogs
                .get(id)
                .filter(|d| d.seq == *seq)
                .and_then(|d| d.conv)
                .filter(|c| self.conversations.contains_key(c))
        })
    }

    fn evict_oldest_pending(&mut self) -> bool {
        while let Some((seq, id)) = self.pending_order.pop_front() {
            if self.dialogs.get(&id).is_some_and(|d| d.seq == seq && !d.answered) {
                self.stats.evicted += 1;
                self.end_dialog(&id, EndReason::Inactive);
                return true;
            }
        }
        false
    }

    fn on_refer(&mut self, ts: Timestamp, call_id: &str, msg: &SipMessage<'_>) {
        let Some(d) = self.dialogs.get(call_id) else { return };
        let Some(conv) = d.conv else { return };
        // The REFER's recipient is the transferee.
        let from_tag = msg.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default();
        let (by, to) = if from_tag == d.from_tag { (0, 1) } else { (1, 0) };
        let (transferor, transferee_key) = (d.parties[by].key, d.parties[to].key);
        let transferee = d.parties[to].number.clone();
        // Attended transfers are matched by the Replaces of the next INVITE.
        let replaces = msg.refer_to_replaces().map(|r| r.call_id);
        let target = msg.refer_to().and_then(|r| r.user().map(str::to_owned)).unwrap_or_default();
        if target.is_empty() && replaces.is_none() {
            return;
        }
        self.out.push_back(TrackerOutput::Transfer {
            conversation: conv,
            ts,
            transferor,
            transferee: transferee_key,
            target: target.clone(),
            replaces: replaces.is_some(),
        });
        if self.refers.len() >= self.config.max_pending_refers.max(1)
            && let Some(old) = self.refers.pop_front()
            && let Some(c) = self.conversations.get_mut(&old.conv)
        {
            c.pending_refers = c.pending_refers.saturating_sub(1);
        }
        if let Some(c) = self.conversations.get_mut(&conv) {
            c.pending_refers += 1;
        }
        self.refers.push_back(PendingRefer {
            conv,
            target,
            replaces,
            transferee,
            expires: ts.saturating_add(self.config.sip_timeout),
        });
    }

    /// Takes the SDP of `msg` as `sender`'s receive address and codecs; an
    /// offer in a request of an answered call also says whether `sender`
    /// holds the call.
    fn apply_sdp(&mut self, ts: Timestamp, call_id: &str, sender: Party, msg: &SipMessage<'_>) {
        let is_sdp = msg.content_type().is_some_and(|t| {
            t.type_.eq_ignore_ascii_case("application") && t.subtype.eq_ignore_ascii_case("sdp")
        });
        if !is_sdp || msg.body.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&msg.body);
        let Ok(sdp) = SessionDescription::parse(&text) else { return };
        let Some(md) = sdp
            .media
            .iter()
            .find(|m| m.media.eq_ignore_ascii_case("audio") && m.port != 0)
            .or_else(|| sdp.media.iter().find(|m| m.port != 0))
        else {
            return;
        };
        let Some(ip) = md.effective_connection(&sdp).and_then(|c| c.ip()) else { return };
        let rtpmaps = md.rtpmaps.clone();
        let held = ip.is_unspecified()
            || matches!(md.effective_direction(&sdp), Direction::SendOnly | Direction::Inactive);
        let Some(d) = self.dialogs.get_mut(call_id) else { return };
        let (answered, conv) = (d.answered, d.conv);
        let p = &mut d.parties[sender.idx()];
        p.rtpmaps = rtpmaps;
        // Answers follow the offer (recvonly to sendonly): only a request's
        // offer changes who holds the call.
        if msg.is_request()
            && answered
            && p.held != held
            && let (Some(conversation), Some(participant)) = (conv, p.key)
        {
            p.held = held;
            self.out.push_back(TrackerOutput::Hold { conversation, participant, ts, held });
        }
        if ip.is_unspecified() {
            // RFC 2543 hold: keep routing to the address we know.
            return;
        }
        let addr = SocketAddr::new(ip, md.port);
        if p.media.first() == Some(&addr) {
            return;
        }
        // A new negotiated address replaces the old ones (new ports).
        let old = std::mem::replace(&mut p.media, vec![addr]);
        d.flows.retain(|f| {
            let stale = old.contains(&f.1);
            if stale {
                self.flows.remove(f);
            }
            !stale
        });
        for a in old {
            self.unroute(a, call_id);
        }
        self.route(addr, call_id, sender);
    }

    fn route(&mut self, addr: SocketAddr, call_id: &str, party: Party) {
        let v = self.routes.entry(addr).or_default();
        v.retain(|(c, _)| c != call_id);
        v.push((call_id.to_owned(), party));
    }

    fn unroute(&mut self, addr: SocketAddr, call_id: &str) {
        if let Some(v) = self.routes.get_mut(&addr) {
            v.retain(|(c, _)| c != call_id);
            if v.is_empty() {
                self.routes.remove(&addr);
            }
        }
    }

    fn side_of(&self, p: &PartyInfo) -> Side {
        if self.config.company_networks.is_empty() {
            return Side::Unknown;
        }
        let ip = p.media.first().map(|a| a.ip()).or(p.signalling);
        match ip {
            Some(ip) if self.config.company_networks.iter().any(|n| n.contains(ip)) => {
                Side::Company
            }
            Some(_) => Side::External,
            None => Side::Unknown,
        }
    }

    /// The INVITE was answered: the dialog joins (or starts) a conversation.
    fn answer(&mut self, ts: Timestamp, call_id: &str) {
        let Some(d) = self.dialogs.get(call_id) else { return };
        let sides = [self.side_of(&d.parties[0]), self.side_of(&d.parties[1])];
        let group = d.group;
        let live = d.conv.filter(|c| self.conversations.contains_key(c));
        let conv = match live {
            Some(c) => c,
            None => {
                let corr = d.correlation.clone();
                let linked =
                    self.correlated(&corr).or_else(|| group.and_then(|g| self.group_conv(g)));
                match linked {
                    Some(c) => {
                        if let Some(cv) = self.conversations.get_mut(&c) {
                            cv.dialogs.push(call_id.to_owned());
                        }
                        c
                    }
                    None => {
                        self.next_conv += 1;
                        let c = ConversationKey(self.next_conv);
                        self.conversations.insert(
                            c,
                            Conversation {
                                dialogs: vec![call_id.to_owned()],
                                call_ids: Vec::new(),
                                correlation: Vec::new(),
                                participants: Vec::new(),
                                pending_refers: 0,
                                last_end: ts,
                            },
                        );
                        self.out.push_back(TrackerOutput::ConversationStarted {
                            conversation: c,
                            ts,
                            call_id: call_id.to_owned(),
                        });
                        c
                    }
                }
            }
        };
        if let Some(g) = group {
            self.group_join(g, conv);
        }
        let Some(d) = self.dialogs.get_mut(call_id) else { return };
        d.conv = Some(conv);
        let Some(cv) = self.conversations.get_mut(&conv) else { return };
        if !cv.call_ids.iter().any(|c| c == call_id) {
            cv.call_ids.push(call_id.to_owned());
        }
        for (n, v) in &d.correlation {
            if !cv.correlation.contains(&(n.clone(), v.clone())) {
                cv.correlation.push((n.clone(), v.clone()));
            }
            self.by_correlation.insert((n.to_ascii_lowercase(), v.clone()), conv);
        }
        for (i, p) in d.parties.iter_mut().enumerate() {
            let side = sides.get(i).copied().unwrap_or(Side::Unknown);
            let existing =
                cv.participants.iter_mut().find(|q| !p.number.is_empty() && q.number == p.number);
            let key = match existing {
                Some(q) => {
                    // A number seen outside the company on any leg is external
                    // (its company-side appearances are the PBX relaying it).
                    if side == Side::External && q.side != Side::External
                        || q.side == Side::Unknown && side != Side::Unknown
                    {
                        q.side = side;
                        if q.present {
                            self.out.push_back(TrackerOutput::ParticipantSideChanged {
                                conversation: conv,
                                participant: q.key,
                                side,
                            });
                        }
                    }
                    if !q.present {
                        q.present = true;
                        self.out.push_back(TrackerOutput::ParticipantJoined {
                            conversation: conv,
                            participant: q.key,
                            number: q.number.clone(),
                            display_name: q.display_name.clone(),
                            side: q.side,
                            ts,
                        });
                    }
                    q.key
                }
                None => {
                    self.next_participant += 1;
                    let key = ParticipantKey(self.next_participant);
                    cv.participants.push(Participant {
                        key,
                        number: p.number.clone(),
                        display_name: p.display_name.clone(),
                        side,
                        present: true,
                    });
                    self.out.push_back(TrackerOutput::ParticipantJoined {
                        conversation: conv,
                        participant: key,
                        number: p.number.clone(),
                        display_name: p.display_name.clone(),
                        side,
                        ts,
                    });
                    key
                }
            };
            p.key = Some(key);
            p.side = cv.participants.iter().find(|q| q.key == key).map_or(side, |q| q.side);
        }
    }

    fn end_dialog(&mut self, call_id: &str, reason: EndReason) {
        let Some(d) = self.dialogs.remove(call_id) else { return };
        self.epoch += 1;
        // A call that went quiet ended at its last packet, not at the sweep.
        let last = self.activity(&d);
        let ts = match reason {
            EndReason::Inactive => last,
            EndReason::HungUp => self.now.max(last),
        };
        for p in &d.parties {
            for a in &p.media {
                self.unroute(*a, call_id);
            }
        }
        for f in &d.flows {
            self.flows.remove(f);
        }
        for (role, number) in &d.pair_keys {
            let key = (d.invite_dst, *role, number.clone());
            if let Some(v) = self.pair_index.get_mut(&key) {
                v.retain(|(id, seq)| !(id == call_id && *seq == d.seq));
                if v.is_empty() {
                    self.pair_index.remove(&key);
                }
            }
        }
        if let Some(g) = d.group
            && let Some(m) = self.groups.get_mut(&g)
        {
            m.retain(|(id, seq)| !(id == call_id && *seq == d.seq));
            if m.is_empty() {
                self.groups.remove(&g);
            }
        }
        self.ended_set.insert(call_id.to_owned(), self.now);
        self.ended.push_back((self.now, call_id.to_owned()));
        while self.ended.len() > self.config.max_dialogs {
            if let Some((t, id)) = self.ended.pop_front()
                && self.ended_set.get(&id) == Some(&t)
            {
                self.ended_set.remove(&id);
            }
        }
        let Some(conv) = d.conv else { return };
        let Some(cv) = self.conversations.get_mut(&conv) else { return };
        cv.dialogs.retain(|c| c != call_id);
        // Parties still on another leg (answered or ringing) stay.
        for p in &d.parties {
            let Some(key) = p.key else { continue };
            let elsewhere = cv.dialogs.iter().filter_map(|c| self.dialogs.get(c)).any(|o| {
                o.parties.iter().any(|q| {
                    q.key == Some(key)
                        || (!o.answered && !q.number.is_empty() && q.number == p.number)
                })
            }) || self
                .refers
                .iter()
                .any(|r| r.conv == conv && !r.transferee.is_empty() && r.transferee == p.number);
            if !elsewhere
                && let Some(q) = cv.participants.iter_mut().find(|q| q.key == key)
                && q.present
            {
                q.present = false;
                self.out.push_back(TrackerOutput::ParticipantLeft {
                    conversation: conv,
                    participant: key,
                    ts,
                });
            }
        }
        self.maybe_end_conversation_at(conv, reason, ts);
    }

    /// Ends `conv` if nothing keeps it, at the end of its last leg.
    fn maybe_end_conversation(&mut self, conv: ConversationKey, reason: EndReason) {
        self.maybe_end_conversation_at(conv, reason, Timestamp::default());
    }

    fn maybe_end_conversation_at(
        &mut self,
        conv: ConversationKey,
        reason: EndReason,
        ts: Timestamp,
    ) {
        let Some(cv) = self.conversations.get_mut(&conv) else { return };
        cv.last_end = cv.last_end.max(ts);
        if !cv.dialogs.is_empty() || cv.pending_refers > 0 {
            return;
        }
        let ts = cv.last_end;
        let Some(cv) = self.conversations.remove(&conv) else { return };
        for (n, v) in &cv.correlation {
            let key = (n.to_ascii_lowercase(), v.clone());
            if self.by_correlation.get(&key) == Some(&conv) {
                self.by_correlation.remove(&key);
            }
        }
        for p in cv.participants.iter().filter(|p| p.present) {
            self.out.push_back(TrackerOutput::ParticipantLeft {
                conversation: conv,
                participant: p.key,
                ts,
            });
        }
        self.out.push_back(TrackerOutput::ConversationEnded {
            conversation: conv,
            ts,
            reason,
            call_ids: cv.call_ids,
            correlation: cv.correlation,
            participants: cv
                .participants
                .into_iter()
                .map(|p| ParticipantSummary {
                    participant: p.key,
                    number: p.number,
                    display_name: p.display_name,
                    side: p.side,
                })
                .collect(),
        });
    }

    /// A dialog's latest SIP or RTP.
    fn activity(&self, d: &Dialog) -> Timestamp {
        d.flows
            .iter()
            .filter_map(|f| self.flows.get(f))
            .map(|f| f.seen)
            .fold(d.last_activity, Timestamp::max)
    }

    fn on_udp(&mut self, ts: Timestamp, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        if let Some(r) = self.route_datagram(ts, src, dst) {
            self.out.push_back(TrackerOutput::Rtp {
                conversation: r.conversation,
                flow: r.flow,
                participant: r.participant,
                side: r.side,
                ts,
                relayed: r.relayed,
                payload: payload.to_vec(),
            });
        }
    }

    fn route_datagram(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Option<RtpRoute> {
        let flow_key = (src, dst);
        let epoch = self.epoch;
        let cached = match self.flows.get_mut(&flow_key) {
            Some(f) => {
                f.seen = f.seen.max(ts);
                f.cached.filter(|(e, _)| *e == epoch).map(|(_, r)| r)
            }
            None => None,
        };
        let route = match cached {
            Some(r) => r,
            None => {
                if !self.flows.contains_key(&flow_key) && !self.new_flow(src, dst) {
                    return None;
                }
                let r = self.compute_route(src, flow_key);
                let epoch = self.epoch;
                if let Some(f) = self.flows.get_mut(&flow_key) {
                    f.seen = f.seen.max(ts);
                    f.cached = Some((epoch, r));
                }
                r
            }
        };
        match route {
            Some(r) => {
                if r.relayed {
                    self.stats.rtp_relayed += 1;
                }
                self.stats.rtp_routed += 1;
            }
            None => self.stats.rtp_unanswered += 1,
        }
        route
    }

    fn compute_route(
        &self,
        src: SocketAddr,
        flow_key: (SocketAddr, SocketAddr),
    ) -> Option<RtpRoute> {
        let flow = self.flows.get(&flow_key)?;
        let d = self.dialogs.get(&flow.call_id)?;
        let p = &d.parties[flow.sender.idx()];
        let (Some(conv), Some(participant)) = (d.conv, p.key) else {
            return None;
        };
        let cv = self.conversations.get(&conv);
        let side = cv
            .and_then(|c| c.participants.iter().find(|q| q.key == participant))
            .map_or(p.side, |q| q.side);
        let relayed = self.b2bua_copy(d, &flow.call_id, flow.sender)
            || !d.correlation.is_empty()
                && cv.is_some_and(|c| {
                    match self.header_b2bua_copy(d, &flow.call_id, flow.sender, c) {
                        Some(copy) => copy,
                        // No leg stands in a B2BUA relation to this one: the
                        // sender is a copy if its media IP is on another
                        // answered leg sharing the value.
                        None => c.dialogs.iter().filter(|o| **o != flow.call_id).any(|o| {
                            self.dialogs.get(o).is_some_and(|o| {
                                o.answered
                                    && o.correlation.iter().any(|x| d.correlation.contains(x))
                                    && o.parties
                                        .iter()
                                        .any(|q| q.media.iter().any(|m| m.ip() == src.ip()))
                            })
                        }),
                    }
                });
        Some(RtpRoute { conversation: conv, flow: flow.id, participant, side, relayed })
    }

    /// For a leg linked by a correlation header: whether `sender` is the
    /// B2BUA between it and another answered leg sharing a value, by role,
    /// as for heuristic pairs: the caller of `d` if an earlier such leg's
    /// INVITE went to the address `d`'s INVITE came from, the callee of `d`
    /// if a later such leg's INVITE came from the address `d`'s went to.
    /// `None` when no leg of the conversation stands in that relation.
    ///
    /// By role rather than by media IP: on a hairpin (a call forwarded back
    /// out through the SBC it came in by) the same gateway IP is on the first
    /// and the last leg, and an IP rule would flag both external voices,
    /// leaving a silent recording.
    fn header_b2bua_copy(
        &self,
        d: &Dialog,
        call_id: &str,
        sender: Party,
        cv: &Conversation,
    ) -> Option<bool> {
        let originated_by = d.parties[Party::Caller.idx()].signalling?;
        let mut related = false;
        let mut copy = false;
        for o in cv.dialogs.iter().filter(|o| o.as_str() != call_id) {
            let Some(o) = self.dialogs.get(o) else { continue };
            if !o.correlation.iter().any(|x| d.correlation.contains(x)) {
                continue;
            }
            // `o` came in to the node that then sent `d`.
            let upstream = o.seq < d.seq && o.invite_dst == originated_by;
            // `d` came in to the node that then sent `o`.
            let downstream =
                o.seq > d.seq && o.parties[Party::Caller.idx()].signalling == Some(d.invite_dst);
            related |= upstream || downstream;
            copy |= o.answered
                && (upstream && sender == Party::Caller || downstream && sender == Party::Callee);
        }
        related.then_some(copy)
    }

    /// Whether `sender` on dialog `d` is the B2BUA of a heuristic pair whose
    /// other leg is answered: the caller of a leg B (towards its leg A), the
    /// callee of a leg A (towards one of its legs B). Its RTP is then the
    /// B2BUA's copy of the other leg's audio.
    fn b2bua_copy(&self, d: &Dialog, call_id: &str, sender: Party) -> bool {
        let Some(g) = d.group else { return false };
        let live = |id: &str, seq: u64| {
            self.dialogs.get(id).is_some_and(|o| o.seq == seq && o.answered && o.conv == d.conv)
        };
        match sender {
            Party::Caller => d.parent.as_ref().is_some_and(|(id, seq)| live(id, *seq)),
            Party::Callee => self.groups.get(&g).is_some_and(|m| {
                m.iter().any(|(id, seq)| {
                    live(id, *seq)
                        && self
                            .dialogs
                            .get(id)
                            .and_then(|o| o.parent.as_ref())
                            .is_some_and(|(p, ps)| p == call_id && *ps == d.seq)
                })
            }),
        }
    }

    /// Finds the dialog of a datagram by its destination; prefers the
    /// dialog whose other party is known at the source. Returns whether a
    /// flow now exists (it may still be unanswered).
    fn new_flow(&mut self, src: SocketAddr, dst: SocketAddr) -> bool {
        let Some(cands) = self.routes.get(&dst) else {
            self.stats.rtp_unmatched += 1;
            return false;
        };
        let pick = cands
            .iter()
            .rev()
            .find(|(c, party)| {
                self.dialogs
                    .get(c)
                    .is_some_and(|d| d.parties[party.other().idx()].media.contains(&src))
            })
            .or_else(|| cands.last())
            .cloned();
        let Some((call_id, receiver)) = pick else {
            self.stats.rtp_unmatched += 1;
            return false;
        };
        let sender = receiver.other();
        let Some(d) = self.dialogs.get_mut(&call_id) else { return false };
        if d.flows.len() >= MAX_FLOWS_PER_DIALOG {
            self.stats.rtp_unmatched += 1;
            return false;
        }
        let learn = {
            let p = &mut d.parties[sender.idx()];
            if !p.media.contains(&src) && p.media.len() < MAX_ADDRS {
                p.media.push(src);
                true
            } else {
                false
            }
        };
        d.flows.push((src, dst));
        let (conv, key, side, rtpmaps) = {
            let p = &d.parties[sender.idx()];
            (d.conv, p.key, p.side, p.rtpmaps.clone())
        };
        if learn {
            self.stats.addresses_learnt += 1;
            self.route(src, &call_id, sender);
        }
        self.next_flow += 1;
        let id = FlowId(self.next_flow);
        if let (Some(conversation), Some(participant)) = (conv, key) {
            // The participant's side in the conversation, as every routed
            // packet of the flow will carry it; the leg's own view may be
            // older (a side learnt on another leg).
            let side = self
                .conversations
                .get(&conversation)
                .and_then(|c| c.participants.iter().find(|q| q.key == participant))
                .map_or(side, |q| q.side);
            self.out.push_back(TrackerOutput::FlowStarted {
                conversation,
                flow: id,
                participant,
                side,
                src,
                dst,
                call_id: call_id.clone(),
                rtpmaps,
            });
        } else {
            // Early media: forget the flow so that it is announced once
            // the dialog is answered.
            if let Some(d) = self.dialogs.get_mut(&call_id) {
                d.flows.retain(|f| *f != (src, dst));
            }
            self.stats.rtp_unanswered += 1;
            return false;
        }
        self.flows.insert(
            (src, dst),
            Flow { id, call_id, sender, seen: Timestamp::default(), cached: None },
        );
        self.epoch += 1;
        true
    }
}

/// Whether correlation headers decide about two legs: both carry a value of
/// the same header (equal: the header links them; different: they are
/// different calls). The B2BUA heuristic then stays out.
fn headers_decide(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.iter().any(|(n, _)| b.iter().any(|(m, _)| n.eq_ignore_ascii_case(m)))
}

/// The numbers a B2BUA leg is matched on: From and P-Asserted-Identity
/// users (caller), To and Request-URI users (dialled), normalised, without
/// duplicates.
fn pair_keys(msg: &SipMessage<'_>) -> Vec<(NumberRole, String)> {
    fn user(na: Option<NameAddr<'_>>) -> Option<String> {
        na.and_then(|na| na.uri.and_then(|u| u.user_decoded()).and_then(|u| number_key(&u)))
    }
    let mut keys: Vec<(NumberRole, String)> = Vec::new();
    let mut add = |role: NumberRole, n: Option<String>| {
        if let Some(n) = n
            && !keys.iter().any(|(r, k)| *r == role && *k == n)
        {
            keys.push((role, n));
        }
    };
    add(NumberRole::Caller, user(msg.from()));
    for v in msg.header_list("P-Asserted-Identity").take(2) {
        add(NumberRole::Caller, user(NameAddr::parse(v)));
    }
    add(NumberRole::Dialled, user(msg.to()));
    let ruri = msg.request_uri().and_then(Uri::parse).and_then(|u| u.user_decoded());
    add(NumberRole::Dialled, ruri.and_then(|u| number_key(&u)));
    keys
}

/// The comparable form of a number: its digits, without a leading `+` or
/// visual separators (`-`, `.`, space, parentheses) or URI user parameters
/// (`;npdi`); the last 10 digits of a longer number, so that `+1 555...`,
/// `1555...` and `555...` compare equal, and `+7 495...` equals `8 495...`.
/// Shorter numbers (extensions) compare exactly. `None` for what is not a
/// number (`anonymous`, names, fewer than 2 or more than 32 digits): such
/// legs never pair.
fn number_key(user: &str) -> Option<String> {
    let user = user.split(';').next().unwrap_or("").trim();
    let user = user.strip_prefix('+').unwrap_or(user);
    let mut digits = String::new();
    for c in user.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '.' | ' ' | '(' | ')' => {}
            _ => return None,
        }
        if digits.len() > 32 {
            return None;
        }
    }
    if digits.len() < 2 {
        return None;
    }
    Some(digits.split_off(digits.len().saturating_sub(10)))
}

#[cfg(test)]
mod tests {
    use super::number_key;

    #[test]
    fn number_keys() {
        let cases: &[(&str, Option<&str>)] = &[
            ("15551230000", Some("5551230000")),
            ("+15551230000", Some("5551230000")),
            ("5551230000", Some("5551230000")),
            ("+1 (555) 123-0000", Some("5551230000")),
            ("+1.555.123.0000", Some("5551230000")),
            ("+74951234567", Some("4951234567")),
            ("84951234567", Some("4951234567")),
            ("+15551230000;npdi;rn=+15559990000", Some("5551230000")),
            ("201", Some("201")),
            ("0201", Some("0201")),
            ("12", Some("12")),
            ("7", None),
            ("", None),
            ("+", None),
            ("anonymous", None),
            ("Anonymous", None),
            ("alice", None),
            ("201a", None),
            ("*72", None),
            ("1+5551230000", None),
            ("123456789012345678901234567890123", None),
        ];
        for (user, want) in cases {
            assert_eq!(number_key(user).as_deref(), *want, "{user:?}");
        }
    }
}
