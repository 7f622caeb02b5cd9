//! A sans-IO SIPREC Session Recording Server core (RFC 7866, metadata per
//! RFC 7865), plus Cisco CUBE network-based recording and, optionally, plain
//! INVITEs.
//!
//! [`Srs`] sits on top of [`ServerTransactions`] and owns the dialogs of the
//! recording sessions. Drive it like the transaction layer: feed datagrams
//! with [`Srs::handle_datagram`] (or parsed messages with
//! [`Srs::handle_message`]), fire [`Srs::handle_timeout`] at
//! [`Srs::poll_timeout`], and drain [`Srs::poll_transmit`] and
//! [`Srs::poll_event`] after every call. RTP ports come from the caller's
//! [`PortAllocator`], passed to every call that may allocate or release.
//!
//! What it decides:
//! - an INVITE with a SIPREC body (SDP + `application/rs-metadata+xml` or
//!   `application/rs-metadata`), or with `+sip.src`/`Require: siprec` and
//!   plain SDP, starts a [`SessionKind::Siprec`] session; an INVITE with
//!   `X-Cisco-Recording-Participant` a [`SessionKind::CiscoNbr`] one; any
//!   other INVITE a [`SessionKind::Plain`] one when
//!   [`SrsConfig::accept_plain_invites`] (only its first audio m-line is
//!   recorded), else 488;
//! - every accepted audio m-line gets one local port and a `recvonly` answer;
//! - metadata that does not parse never costs the audio: the session starts
//!   and the error is kept as a string in the event;
//! - an initial INVITE with `Require: 100rel` (RFC 3262) is answered with a
//!   reliable 183 first (the answer, or for a delayed offer the SRS's
//!   offer), retransmitted until the PRACK whose RAck matches (the answer to
//!   an offer in the 183 comes in that PRACK); then the 200, without SDP.
//!   No PRACK within 64*T1: 500 and [`EndReason::PrackTimeout`].
//!   `Supported: 100rel` alone keeps the plain 200/ACK exchange;
//! - re-INVITE and UPDATE keep a stream's local port while its m-line stays
//!   accepted, allocate for new m-lines, release for rejected ones; partial
//!   metadata is merged into what the session knew (a stream has one
//!   sender: a participant that now sends it takes it from the previous one).
//!
//! What it leaves to the driver (which has the client transactions of
//! [`crate::client`]): sending requests. When the session timer runs out
//! (refresher `uac`) or a 2xx is never acknowledged, it ends the session and
//! reports it; the driver sends the BYE. When the SRC asks the SRS to be the
//! refresher (`refresher=uas`), it announces [`SrsEvent::RefreshDue`] every
//! half interval and the driver sends the UPDATE.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use callvault_model::Timestamp;

use crate::headers::{MediaType, Method, Refresher};
use crate::message::{OwnedSipMessage, SipMessage};
use crate::sdp::{
    AnswerConfig, Codec, Direction, SessionDescription, build_recvonly_answer, build_recvonly_offer,
};
use crate::siprec::{DataMode, Participant, SiprecMetadata, parse_siprec_body};
use crate::transaction::{self, Event, RequestOutcome, ServerTransactions, TransactionKey};

pub use crate::transaction::Transmit;

/// Methods the SRS answers (the `Allow` header).
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK";
/// Body types the SRS understands (the `Accept` header).
pub const ACCEPT: &str =
    "application/sdp, multipart/mixed, application/rs-metadata+xml, application/rs-metadata";
/// Option tags the SRS supports.
const SUPPORTED_TAGS: [&str; 3] = ["siprec", "timer", "100rel"];
/// Upper bound of groups, sessions, participants and streams kept per
/// recording session when partial metadata accumulates.
pub const MAX_METADATA_ITEMS: usize = 256;

/// Hands out and takes back local RTP ports. The driver implements it over
/// its socket pool; tests use a deterministic one.
pub trait PortAllocator {
    /// Exactly `n` distinct ports, or `None` when they are not available.
    fn allocate(&mut self, n: usize) -> Option<Vec<u16>>;
    /// Gives back ports returned by [`allocate`](Self::allocate).
    fn release(&mut self, ports: &[u16]);
}

/// Settings of an [`Srs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrsConfig {
    /// URI put in Contact (`sip:srs@10.0.0.5:5060`); `+sip.srs` is added for
    /// SIPREC sessions.
    pub contact_uri: String,
    /// Address written in the SDP answer: where RTP must go.
    pub rtp_ip: IpAddr,
    /// Live sessions (answered or being answered) at most; beyond, 503.
    pub max_sessions: usize,
    /// Audio m-lines recorded per session at most; further lines get port 0.
    pub max_streams_per_session: usize,
    /// Session interval the SRS offers or lowers to (RFC 4028), seconds.
    pub session_expires: u32,
    /// Smallest session interval accepted; below it, 422.
    pub min_se: u32,
    /// Largest body read (SDP + metadata); beyond it, 413. Bounds the
    /// metadata a session keeps.
    pub max_body_bytes: usize,
    /// Record INVITEs that are neither SIPREC nor Cisco NBR (one stream).
    pub accept_plain_invites: bool,
    /// Answer 200 as soon as the INVITE is processed. When false, the SRS
    /// announces the session and waits for [`Srs::accept`] or
    /// [`Srs::reject`] (at most `answer_timeout`, then 480).
    pub auto_answer: bool,
    pub answer_timeout: Duration,
    /// `Retry-After` of 503 answers, seconds.
    pub retry_after_secs: u32,
    /// `Server` header, when set.
    pub server_name: Option<String>,
    /// `o=` username of SDP answers.
    pub sdp_username: String,
    /// Mixed into To tags and SDP session ids; give a random value at
    /// start-up so they differ across restarts.
    pub tag_seed: u64,
    pub transactions: transaction::Config,
    /// A session whose every stream is on hold (`inactive`/`recvonly` in
    /// the SRC's SDP) ends after this long without a request from the SRC
    /// or RTP ([`Srs::media_activity`]): [`EndReason::HoldTimeout`]. `None`:
    /// never.
    pub hold_timeout: Option<Duration>,
    /// No session lasts longer than this from its INVITE:
    /// [`EndReason::MaxDuration`]. `None`: no bound.
    pub max_session_duration: Option<Duration>,
    /// In a dialog without a session timer, the SRS asks for an in-dialog
    /// OPTIONS ([`SrsEvent::PingDue`]) after this long without a request
    /// from the SRC; 408, 481 or no answer end the session
    /// ([`Srs::ping_result`]). `None`: no pings.
    pub options_ping_interval: Option<Duration>,
}

impl SrsConfig {
    /// Defaults: 1000 sessions, 8 streams each, bodies up to 256 KiB,
    /// Session-Expires 1800 s,
    /// Min-SE 90 s, plain INVITEs accepted, automatic answer, 503 with
    /// Retry-After 10 s; a held session ends after 1 h without signalling
    /// or media, any session after 6 h; OPTIONS pings every 60 s where no
    /// session timer runs.
    pub fn new(contact_uri: impl Into<String>, rtp_ip: IpAddr) -> Self {
        SrsConfig {
            contact_uri: contact_uri.into(),
            rtp_ip,
            max_sessions: 1000,
            max_streams_per_session: 8,
            max_body_bytes: 256 * 1024,
            session_expires: 1800,
            min_se: 90,
            accept_plain_invites: true,
            auto_answer: true,
            answer_timeout: Duration::from_secs(30),
            retry_after_secs: 10,
            server_name: None,
            sdp_username: "callvault".into(),
            tag_seed: 0,
            transactions: transaction::Config::default(),
            hold_timeout: Some(Duration::from_secs(3600)),
            max_session_duration: Some(Duration::from_secs(6 * 3600)),
            options_ping_interval: Some(Duration::from_secs(60)),
        }
    }
}

/// Internal id of a recording session (one SIP dialog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "srs-{}", self.0)
    }
}

/// How the session was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// RFC 7866 recording session.
    Siprec,
    /// Cisco CUBE network-based recording: one dialog per direction, linked
    /// by `Cisco-Guid`.
    CiscoNbr,
    /// An INVITE with neither; recorded as one stream and flagged so.
    Plain,
}

/// The key under which sessions of one conversation meet. Sessions with
/// equal keys belong together (SRC failover, a transfer recorded as a new
/// session, the two Cisco NBR legs).
///
/// Chosen at session start, in this order: the metadata's group id
/// (`<group>` or the session's `group-ref`); its first `sipSessionID`
/// (RFC 7989, the two UUIDs sorted, the all-zero UUID dropped); the
/// metadata communication-session id; for Cisco NBR the `Cisco-Guid`
/// header; otherwise the recording dialog's Call-ID. It does not change
/// when later metadata adds a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    SiprecGroup(String),
    SipSessionId(String),
    SiprecSession(String),
    CiscoGuid(String),
    CallId(String),
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupKey::SiprecGroup(v) => write!(f, "siprec-group:{v}"),
            GroupKey::SipSessionId(v) => write!(f, "sip-session-id:{v}"),
            GroupKey::SiprecSession(v) => write!(f, "siprec-session:{v}"),
            GroupKey::CiscoGuid(v) => write!(f, "cisco-guid:{v}"),
            GroupKey::CallId(v) => write!(f, "call-id:{v}"),
        }
    }
}

/// Where a stream's sender came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderSource {
    /// The metadata stream with the SDP label.
    MetadataLabel,
    /// No label matched; the n-th labelled metadata stream for the n-th
    /// recorded m-line (only when the counts agree).
    MetadataPosition,
    /// `X-Cisco-Recording-Participant`.
    CiscoHeader,
}

/// The participant that sends a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSender {
    /// Metadata participant id (none for Cisco NBR).
    pub participant_id: Option<String>,
    pub aor: Option<String>,
    pub name: Option<String>,
    pub source: SenderSource,
}

/// One recorded RTP stream (an accepted m-line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Index of the m-line in the offer.
    pub index: usize,
    /// `a=label`.
    pub label: Option<String>,
    /// Local port RTP arrives on.
    pub local_port: u16,
    pub codec: Codec,
    /// The encoding name as offered (`PCMU`, `opus`).
    pub encoding: String,
    pub payload_type: u8,
    pub clock_rate: u32,
    pub telephone_event: Option<u8>,
    /// Every `a=rtpmap` of the offered m-line (payload type, encoding,
    /// clock rate): an SRC may send any of them whatever the answer chose,
    /// and the recorder decodes what it can.
    pub offered: Vec<(u8, String, u32)>,
    /// Direction as offered: `sendonly` while the SRC sends, `inactive` (or
    /// `recvonly`) while on hold.
    pub offered_direction: Direction,
    /// Where the SRC said it sends from (`c=` + `m=` port).
    pub remote: Option<SocketAddr>,
    pub sender: Option<StreamSender>,
}

/// Payload of [`SrsEvent::SessionStarted`].
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStarted {
    pub id: SessionId,
    pub call_id: String,
    pub kind: SessionKind,
    pub group_key: GroupKey,
    /// First metadata communication session id.
    pub siprec_session_id: Option<String>,
    /// Metadata group id.
    pub siprec_group_id: Option<String>,
    /// `None` without a metadata part; `Err` holds why it did not parse.
    pub metadata: Option<Result<SiprecMetadata, String>>,
    pub streams: Vec<StreamInfo>,
    /// Where the signalling came from.
    pub signalling_peer: SocketAddr,
    /// From and To of the INVITE, as written.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Every header of the INVITE in wire order (names as written), for
    /// tenant routing by header and vendor correlation values.
    pub headers: Vec<(String, String)>,
}

/// One thing a re-INVITE, UPDATE or BYE changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    StreamAdded {
        index: usize,
    },
    StreamRemoved {
        index: usize,
    },
    RemoteMoved {
        index: usize,
        from: Option<SocketAddr>,
        to: Option<SocketAddr>,
    },
    /// Hold (`sendonly` → `inactive`) or resume.
    DirectionChanged {
        index: usize,
        from: Direction,
        to: Direction,
    },
    CodecChanged {
        index: usize,
    },
    SenderChanged {
        index: usize,
        from: Option<StreamSender>,
        to: Option<StreamSender>,
    },
    /// A participant joined: its metadata id, or for Cisco NBR (whose
    /// participants have no ids) its address.
    ParticipantAssociated {
        participant_id: String,
        aor: Option<String>,
    },
    /// A participant left (keyed like [`SessionChange::ParticipantAssociated`]).
    ParticipantDisassociated {
        participant_id: String,
        aor: Option<String>,
    },
    /// New metadata arrived but did not parse; the previous one is kept.
    MetadataError(String),
}

/// Payload of [`SrsEvent::SessionUpdated`].
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUpdated {
    pub id: SessionId,
    pub call_id: String,
    pub group_key: GroupKey,
    /// The streams now.
    pub streams: Vec<StreamInfo>,
    /// The metadata now (partial updates merged).
    pub metadata: Option<SiprecMetadata>,
    pub changes: Vec<SessionChange>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Bye,
    /// CANCEL before the 200.
    Cancelled,
    /// No refresh within the session interval (refresher `uac`); the driver
    /// should send BYE.
    SessionTimerExpired,
    /// The 2xx was never acknowledged; the driver should send BYE.
    AckTimeout,
    /// [`Srs::reject`].
    Rejected,
    /// Neither accepted nor rejected within [`SrsConfig::answer_timeout`].
    NotAnswered,
    /// [`Srs::end_session`] (the driver saw no RTP, an operator stopped
    /// it...); the driver should send BYE.
    Local,
    /// Every stream on hold and neither SIP from the SRC nor RTP for
    /// [`SrsConfig::hold_timeout`]; the driver should send BYE.
    HoldTimeout,
    /// The session reached [`SrsConfig::max_session_duration`]; the driver
    /// should send BYE.
    MaxDuration,
    /// An in-dialog OPTIONS ping or session refresh was answered 408 or
    /// 481, or not at all: the SRC no longer has the dialog.
    SrcUnreachable,
    /// A BYE whose CSeq is lower than the dialog's last one: the SRC
    /// considers the call over, so it is accepted (200) all the same.
    OutOfOrderBye,
    /// The SRS made the offer (a delayed-offer INVITE or re-INVITE) and the
    /// ACK carried no answer (RFC 3261 §13.2.1); the driver should send BYE.
    NoSdpAnswer,
    /// The reliable 183 of an INVITE with `Require: 100rel` was not
    /// acknowledged by a PRACK within 64*T1 (RFC 3262 §3); the INVITE was
    /// answered 500, so no dialog remains.
    PrackTimeout,
    /// The reliable 183 carried the SRS's offer (a delayed-offer INVITE with
    /// `Require: 100rel`) and the PRACK brought no answer (RFC 3262 §5); the
    /// INVITE was answered 488, so no dialog remains.
    NoSdpAnswerInPrack,
}

impl EndReason {
    /// Whether the SRC may still think the session is up, so the driver
    /// must send the BYE.
    pub fn needs_bye(self) -> bool {
        matches!(
            self,
            EndReason::SessionTimerExpired
                | EndReason::AckTimeout
                | EndReason::Local
                | EndReason::HoldTimeout
                | EndReason::MaxDuration
                | EndReason::SrcUnreachable
                | EndReason::NoSdpAnswer
        )
    }
}

/// What the driver and the recorder must hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum SrsEvent {
    SessionStarted(SessionStarted),
    SessionUpdated(SessionUpdated),
    /// The SRS is the session-timer refresher (the SRC asked
    /// `refresher=uas`) and a refresh is due: the driver sends the UPDATE
    /// built by [`DialogInfo::refresh`]; when it fails (481, 408, no answer)
    /// it ends the session with [`Srs::end_session`].
    RefreshDue {
        id: SessionId,
        /// The negotiated interval, seconds.
        interval: u32,
        dialog: Box<DialogInfo>,
    },
    /// No session timer runs in this dialog and the SRC has been quiet for
    /// [`SrsConfig::options_ping_interval`]: the driver sends the OPTIONS
    /// built by [`DialogInfo::options`] and reports the outcome with
    /// [`Srs::ping_result`].
    PingDue {
        id: SessionId,
        dialog: Box<DialogInfo>,
    },
    SessionEnded {
        id: SessionId,
        call_id: String,
        group_key: GroupKey,
        reason: EndReason,
        /// The dialog as it was, to send a BYE with when `reason` asks for
        /// one ([`DialogInfo::bye`]).
        dialog: Box<DialogInfo>,
    },
}

/// The SRS side of a recording dialog: what a driver needs to send the BYE
/// the SRS itself cannot (it has no client transactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogInfo {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
    /// The INVITE's To value (the SRS's address, without tag).
    pub local_party: String,
    /// The INVITE's From value (the SRC, with its tag).
    pub remote_party: String,
    /// The SRC's Contact URI, refreshed by re-INVITE and UPDATE.
    pub remote_target: Option<String>,
    /// Record-Route values of the INVITE, in order (the UAS route set).
    pub route_set: Vec<String>,
    /// Where the SRC's requests came from.
    pub signalling_peer: SocketAddr,
    /// Highest CSeq seen from the SRC.
    pub remote_cseq: u32,
}

impl DialogInfo {
    /// A BYE in this dialog (RFC 3261 §12.2.1.1, loose routing only): the
    /// driver sends it to the first route or the remote target and runs the
    /// non-INVITE client retransmissions itself. `via` is the whole Via
    /// value, e.g. `SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK...`;
    /// `cseq` any number (the SRS has sent no request in the dialog).
    /// `None` without a remote target.
    pub fn bye(&self, via: &str, cseq: u32) -> Option<Vec<u8>> {
        let target = self.remote_target.as_deref()?;
        let mut out = format!("BYE {target} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n");
        for r in &self.route_set {
            out.push_str(&format!("Route: {r}\r\n"));
        }
        out.push_str(&format!(
            "From: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} BYE\r\nContent-Length: 0\r\n\r\n",
            self.local_party, self.local_tag, self.remote_party, self.call_id
        ));
        Some(out.into_bytes())
    }
}

impl DialogInfo {
    /// A session refresh (RFC 4028 §7.4): an UPDATE without a body, the SRS
    /// keeping the refresher role. `contact` is the SRS's Contact URI.
    pub fn refresh(&self, via: &str, cseq: u32, interval: u32, contact: &str) -> Option<Vec<u8>> {
        let target = self.remote_target.as_deref()?;
        let mut out = format!("UPDATE {target} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n");
        for r in &self.route_set {
            out.push_str(&format!("Route: {r}\r\n"));
        }
        out.push_str(&format!(
            "From: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} UPDATE\r\n\
             Contact: <{contact}>\r\nSupported: timer\r\nSession-Expires: {interval};refresher=uas\r\n\
             Content-Length: 0\r\n\r\n",
            self.local_party, self.local_tag, self.remote_party, self.call_id
        ));
        Some(out.into_bytes())
    }
}

impl DialogInfo {
    /// An in-dialog OPTIONS (RFC 3261 §11): asks whether the SRC still has
    /// the dialog, where no session timer does. `contact` is the SRS's
    /// Contact URI.
    pub fn options(&self, via: &str, cseq: u32, contact: &str) -> Option<Vec<u8>> {
        let target = self.remote_target.as_deref()?;
        let mut out = format!("OPTIONS {target} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n");
        for r in &self.route_set {
            out.push_str(&format!("Route: {r}\r\n"));
        }
        out.push_str(&format!(
            "From: {};tag={}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} OPTIONS\r\n\
             Contact: <{contact}>\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n",
            self.local_party, self.local_tag, self.remote_party, self.call_id
        ));
        Some(out.into_bytes())
    }
}

/// Errors of [`Srs::accept`] and [`Srs::reject`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrsError {
    #[error("no such session")]
    UnknownSession,
    #[error("session already answered")]
    AlreadyAnswered,
    #[error("status code must be 300..=699")]
    BadStatus,
}

/// Counters of input the SRS did not turn into a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrsStats {
    /// Datagrams that are not SIP at all.
    pub unparsable: u64,
    /// Responses received (the SRS sends no requests).
    pub responses_ignored: u64,
    /// Requests without a Via: no path to answer them on.
    pub no_via: u64,
    /// Stray or malformed ACKs, and requests the transaction layer refused.
    pub dropped: u64,
    /// Requests answered with a 4xx/5xx/6xx.
    pub rejected: u64,
    /// Times the allocator had no ports.
    pub ports_exhausted: u64,
    /// INVITEs without SDP answered with the SRS's own offer.
    pub delayed_offers: u64,
    /// Reliable 183s sent (INVITEs with `Require: 100rel`).
    pub reliable_provisionals: u64,
    /// PRACKs matching no unacknowledged reliable 183 (answered 481).
    pub unmatched_pracks: u64,
    /// New sessions answered 503 because the driver was not admitting
    /// ([`Srs::set_admission`]).
    pub refused_admission: u64,
}

#[derive(Debug)]
enum Phase {
    /// Waiting for [`Srs::accept`]; the prepared 200, and for an INVITE
    /// with `Require: 100rel` the reliable 183 (with its RSeq) that goes
    /// first.
    Offered {
        key: TransactionKey,
        request: Box<OwnedSipMessage>,
        ok: Box<OwnedSipMessage>,
        provisional: Option<(Box<OwnedSipMessage>, u32)>,
    },
    /// The reliable 183 is out (RFC 3262); the 200 (without SDP: offer and
    /// answer were exchanged in the 183 and the PRACK) follows the PRACK
    /// that acknowledges `rseq`.
    Reliable {
        key: TransactionKey,
        request: Box<OwnedSipMessage>,
        ok: Box<OwnedSipMessage>,
        rseq: u32,
    },
    /// 200 sent.
    Confirmed,
}

#[derive(Debug)]
struct RecordingSession {
    call_id: String,
    remote_tag: String,
    local_tag: String,
    initial_cseq: u32,
    remote_cseq: u32,
    local_party: String,
    remote_party: String,
    remote_target: Option<String>,
    route_set: Vec<String>,
    signalling_peer: SocketAddr,
    kind: SessionKind,
    group_key: GroupKey,
    /// Local port per offered m-line (0 = not recorded).
    ports: Vec<u16>,
    streams: Vec<StreamInfo>,
    metadata: Option<SiprecMetadata>,
    cisco: Vec<CiscoParticipant>,
    sdp_session_id: u64,
    sdp_version: u64,
    last_answer: Option<SessionDescription>,
    phase: Phase,
    /// Session interval and refresher, when a timer runs.
    timer: Option<(u32, Refresher)>,
    /// The answer timeout, session-timer expiry or next refresh.
    timer_at: Option<Timestamp>,
    /// When the INVITE arrived (for the maximum duration).
    created: Timestamp,
    /// The last request from the SRC in this dialog (ACK included).
    last_signal: Timestamp,
    /// The last RTP the driver reported while on hold.
    last_media: Option<Timestamp>,
    /// Pings are counted from here: the last request from the SRC or the
    /// last ping answer.
    ping_base: Timestamp,
    /// An OPTIONS ping is out, waiting for [`Srs::ping_result`].
    ping_outstanding: bool,
    /// The SRS's offer in a 2xx (delayed offer), waiting for the answer in
    /// the ACK.
    pending_offer: bool,
    /// The earliest of the deadlines above, as registered in `deadlines`.
    deadline: Option<Timestamp>,
}

impl RecordingSession {
    fn confirmed(&self) -> bool {
        matches!(self.phase, Phase::Confirmed)
    }

    /// The SRC sends nothing on any stream by its own SDP.
    fn on_hold(&self) -> bool {
        self.streams
            .iter()
            .all(|s| matches!(s.offered_direction, Direction::Inactive | Direction::RecvOnly))
    }

    fn hold_deadline(&self, cfg: &SrsConfig) -> Option<Timestamp> {
        let limit = cfg.hold_timeout?;
        if !self.confirmed() || self.pending_offer || !self.on_hold() {
            return None;
        }
        let base = self.last_media.map_or(self.last_signal, |m| m.max(self.last_signal));
        Some(after(base, limit))
    }

    fn max_deadline(&self, cfg: &SrsConfig) -> Option<Timestamp> {
        let limit = cfg.max_session_duration?;
        self.confirmed().then(|| after(self.created, limit))
    }

    fn ping_deadline(&self, cfg: &SrsConfig) -> Option<Timestamp> {
        let every = cfg.options_ping_interval?;
        if !self.confirmed() || self.timer.is_some() || self.ping_outstanding {
            return None;
        }
        Some(after(self.ping_base, every))
    }

    /// The earliest deadline of the session.
    fn next_deadline(&self, cfg: &SrsConfig) -> Option<Timestamp> {
        [self.timer_at, self.max_deadline(cfg), self.hold_deadline(cfg), self.ping_deadline(cfg)]
            .into_iter()
            .flatten()
            .min()
    }
}

type DialogId = (String, String, String);

#[derive(Debug, Clone)]
struct CiscoParticipant {
    media_index: Option<usize>,
    sender: StreamSender,
}

/// A parsed offer body.
struct Offer {
    sdp: Option<SessionDescription>,
    metadata: Option<Result<SiprecMetadata, String>>,
}

/// A request the SRS refuses: code, reason, extra headers.
type Refusal = (u16, &'static str, Vec<(&'static str, String)>);

/// The recording server.
#[derive(Debug)]
pub struct Srs {
    config: SrsConfig,
    tx: ServerTransactions,
    sessions: HashMap<SessionId, RecordingSession>,
    dialogs: HashMap<DialogId, SessionId>,
    /// INVITE transactions (initial and re-INVITE) → their session.
    invites: HashMap<TransactionKey, SessionId>,
    deadlines: BTreeSet<(Timestamp, SessionId)>,
    events: VecDeque<SrsEvent>,
    next_id: u64,
    stats: SrsStats,
    /// Whether new sessions are taken (see [`Srs::set_admission`]).
    admitting: bool,
}

fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn after(now: Timestamp, d: Duration) -> Timestamp {
    now.checked_add(d).unwrap_or(now)
}

fn refresher_str(r: Refresher) -> &'static str {
    match r {
        Refresher::Uac => "uac",
        Refresher::Uas => "uas",
    }
}

/// RFC 4028 negotiation for a request: `Ok(None)` without a timer,
/// `Err(min_se)` for 422.
fn negotiate_timer(
    req: &SipMessage<'_>,
    cfg: &SrsConfig,
) -> Result<Option<(u32, Refresher, bool)>, u32> {
    let uac_supports =
        req.supported().iter().any(|t| t.eq_ignore_ascii_case("timer")) || req.requires("timer");
    match req.session_expires() {
        Some(se) => {
            if se.delta_secs < cfg.min_se {
                return Err(cfg.min_se);
            }
            let interval = se
                .delta_secs
                .min(cfg.session_expires.max(cfg.min_se))
                .max(req.min_se().unwrap_or(0))
                .max(cfg.min_se);
            let refresher =
                se.refresher.unwrap_or(if uac_supports { Refresher::Uac } else { Refresher::Uas });
            Ok(Some((interval, refresher, uac_supports)))
        }
        None if uac_supports && cfg.session_expires > 0 => {
            Ok(Some((cfg.session_expires.max(cfg.min_se), Refresher::Uac, true)))
        }
        None => Ok(None),
    }
}

/// When the SRS gives up on a session refreshed by the SRC (RFC 4028 §10:
/// the interval minus min(32 s, a third of it)).
fn expiry(now: Timestamp, interval: u32) -> Timestamp {
    let margin = (interval / 3).min(32);
    after(now, Duration::from_secs(u64::from(interval.saturating_sub(margin))))
}

/// Content types the SRS reads.
fn body_type_ok(ct: &MediaType<'_>) -> bool {
    ct.is("application", "sdp")
        || ct.type_.eq_ignore_ascii_case("multipart")
        || ct.is("application", "rs-metadata+xml")
        || ct.is("application", "rs-metadata")
}

/// Parses the body of an INVITE, re-INVITE, UPDATE or BYE. `Ok(None)` for an
/// empty body.
fn parse_offer(req: &SipMessage<'_>, max_body: usize) -> Result<Option<Offer>, Refusal> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if req.body.len() > max_body {
        return Err((413, "Request Entity Too Large", Vec::new()));
    }
    if req.body_truncated {
        return Err((400, "Truncated Body", Vec::new()));
    }
    let ct_text = req.header("Content-Type");
    if let Some(ct) = req.content_type()
        && !body_type_ok(&ct)
    {
        return Err((415, "Unsupported Media Type", vec![("Accept", ACCEPT.to_owned())]));
    }
    let body = parse_siprec_body(ct_text, &req.body)
        .map_err(|_| (400, "Bad Multipart Body", Vec::new()))?;
    let sdp = match body.sdp {
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return Err((400, "Bad SDP", Vec::new())),
        None => None,
    };
    let metadata = body.metadata.map(|m| m.map_err(|e| e.to_string()));
    Ok(Some(Offer { sdp, metadata }))
}

/// Normalised RFC 7989 Session-ID: both UUIDs, lower case, sorted, the
/// all-zero one dropped.
fn normalise_sip_session_id(v: &str) -> Option<String> {
    let (local, params) = v.split_once(';').unwrap_or((v, ""));
    let mut ids: Vec<String> = std::iter::once(local)
        .chain(crate::text::Params(params).get("remote"))
        .map(|s| s.trim().trim_matches('"').to_ascii_lowercase())
        .filter(|s| !s.is_empty() && !s.bytes().all(|b| b == b'0'))
        .collect();
    ids.sort();
    ids.dedup();
    (!ids.is_empty()).then(|| ids.join("/"))
}

fn metadata_group(md: &SiprecMetadata) -> Option<String> {
    md.groups
        .first()
        .map(|g| g.id.clone())
        .or_else(|| md.sessions.iter().find_map(|s| s.group_ref.clone()))
        .filter(|g| !g.is_empty())
}

fn group_key_for(
    kind: SessionKind,
    md: Option<&SiprecMetadata>,
    req: &SipMessage<'_>,
    call_id: &str,
) -> GroupKey {
    if let Some(md) = md {
        if let Some(g) = metadata_group(md) {
            return GroupKey::SiprecGroup(g);
        }
        if let Some(s) = md
            .sessions
            .iter()
            .flat_map(|s| s.sip_session_ids.iter())
            .find_map(|v| normalise_sip_session_id(v))
        {
            return GroupKey::SipSessionId(s);
        }
        if let Some(s) = md.sessions.iter().map(|s| &s.id).find(|id| !id.is_empty()) {
            return GroupKey::SiprecSession(s.clone());
        }
    }
    if kind == SessionKind::CiscoNbr
        && let Some(g) = req.header("Cisco-Guid").map(str::trim).filter(|g| !g.is_empty())
    {
        return GroupKey::CiscoGuid(g.to_owned());
    }
    GroupKey::CallId(call_id.to_owned())
}

fn cisco_participants(req: &SipMessage<'_>) -> Vec<CiscoParticipant> {
    req.header_values("X-Cisco-Recording-Participant")
        .filter_map(crate::uri::NameAddr::parse)
        .take(MAX_METADATA_ITEMS)
        .map(|n| CiscoParticipant {
            media_index: n.params.get_unquoted("media-index").and_then(|v| v.trim().parse().ok()),
            sender: StreamSender {
                participant_id: None,
                aor: (!n.uri_str.is_empty()).then(|| n.uri_str.to_owned()),
                name: n.display_name.as_deref().map(str::to_owned).filter(|s| !s.is_empty()),
                source: SenderSource::CiscoHeader,
            },
        })
        .collect()
}

/// Cisco participants a re-INVITE named that the dialog did not have, and
/// the ones it no longer names (a transfer on the recorded leg), keyed by
/// address.
fn cisco_changes(old: &[CiscoParticipant], new: &[CiscoParticipant], out: &mut Vec<SessionChange>) {
    let aor = |c: &CiscoParticipant| c.sender.aor.clone();
    for n in new.iter().filter(|n| !old.iter().any(|o| aor(o) == aor(n))) {
        if let Some(a) = aor(n) {
            out.push(SessionChange::ParticipantAssociated {
                participant_id: a.clone(),
                aor: Some(a),
            });
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| aor(n) == aor(o))) {
        if let Some(a) = aor(o) {
            out.push(SessionChange::ParticipantDisassociated {
                participant_id: a.clone(),
                aor: Some(a),
            });
        }
    }
}

fn sender_from(p: &Participant, source: SenderSource) -> StreamSender {
    StreamSender {
        participant_id: Some(p.id.clone()),
        aor: p.aor.clone(),
        name: p.name.clone(),
        source,
    }
}

/// Fills `sender` of every stream from metadata labels or Cisco headers.
fn resolve_senders(
    streams: &mut [StreamInfo],
    md: Option<&SiprecMetadata>,
    cisco: &[CiscoParticipant],
) {
    if let Some(md) = md {
        for s in streams.iter_mut() {
            s.sender = s
                .label
                .as_deref()
                .and_then(|l| md.sender_of_label(l))
                .map(|p| sender_from(p, SenderSource::MetadataLabel));
        }
        let none_matched = streams.iter().all(|s| s.sender.is_none());
        let labelled = md.label_senders();
        if none_matched && !streams.is_empty() && labelled.len() == streams.len() {
            for (s, l) in streams.iter_mut().zip(labelled) {
                s.sender = l.participant.map(|p| sender_from(p, SenderSource::MetadataPosition));
            }
        }
    } else if !cisco.is_empty() {
        for s in streams.iter_mut() {
            let exact = cisco.iter().find(|c| c.media_index == Some(s.index));
            // One participant header names the one party of the dialog,
            // whatever its media-index (CUBE numbers legs, not m-lines).
            let any = cisco
                .iter()
                .find(|c| c.media_index.is_none())
                .or_else(|| cisco.first().filter(|_| cisco.len() == 1));
            s.sender = exact.or(any).map(|c| c.sender.clone());
        }
    }
}

fn is_associated(p: &Participant) -> bool {
    match (&p.associate_time, &p.disassociate_time) {
        (_, None) => true,
        (Some(a), Some(d)) => matches!((a.utc, d.utc), (Some(a), Some(d)) if a > d),
        (None, Some(_)) => false,
    }
}

fn union(into: &mut Vec<String>, from: Vec<String>) {
    for s in from {
        if into.len() >= MAX_METADATA_ITEMS {
            break;
        }
        if !into.contains(&s) {
            into.push(s);
        }
    }
}

/// Merges a partial update into what the session knew.
fn merge_metadata(base: &mut SiprecMetadata, upd: SiprecMetadata) {
    for g in upd.groups {
        match base.groups.iter().position(|b| b.id == g.id) {
            Some(i) => {
                let Some(b) = base.groups.get_mut(i) else { continue };
                b.associate_time = g.associate_time.or(b.associate_time.take());
                b.disassociate_time = g.disassociate_time.or(b.disassociate_time.take());
            }
            None if base.groups.len() < MAX_METADATA_ITEMS => base.groups.push(g),
            None => {}
        }
    }
    for s in upd.sessions {
        match base.sessions.iter().position(|b| b.id == s.id) {
            Some(i) => {
                let Some(b) = base.sessions.get_mut(i) else { continue };
                b.group_ref = s.group_ref.or(b.group_ref.take());
                union(&mut b.sip_session_ids, s.sip_session_ids);
                b.start_time = s.start_time.or(b.start_time.take());
                b.stop_time = s.stop_time.or(b.stop_time.take());
                b.associate_time = s.associate_time.or(b.associate_time.take());
                b.disassociate_time = s.disassociate_time.or(b.disassociate_time.take());
            }
            None if base.sessions.len() < MAX_METADATA_ITEMS => base.sessions.push(s),
            None => {}
        }
    }
    for s in upd.streams {
        match base.streams.iter().position(|b| b.id == s.id) {
            Some(i) => {
                let Some(b) = base.streams.get_mut(i) else { continue };
                b.label = s.label.or(b.label.take());
                b.session_id = s.session_id.or(b.session_id.take());
                b.associate_time = s.associate_time.or(b.associate_time.take());
                b.disassociate_time = s.disassociate_time.or(b.disassociate_time.take());
            }
            None if base.streams.len() < MAX_METADATA_ITEMS => base.streams.push(s),
            None => {}
        }
    }
    for p in upd.participants {
        // a stream has one sender: whoever sends it now takes it over
        for other in base.participants.iter_mut().filter(|b| b.id != p.id) {
            other.send.retain(|s| !p.send.contains(s));
        }
        match base.participants.iter().position(|b| b.id == p.id) {
            Some(i) => {
                let Some(b) = base.participants.get_mut(i) else { continue };
                b.aor = p.aor.or(b.aor.take());
                b.name = p.name.or(b.name.take());
                union(&mut b.sessions, p.sessions);
                union(&mut b.send, p.send);
                union(&mut b.recv, p.recv);
                b.associate_time = p.associate_time.or(b.associate_time.take());
                b.disassociate_time = p.disassociate_time.or(b.disassociate_time.take());
            }
            None if base.participants.len() < MAX_METADATA_ITEMS => base.participants.push(p),
            None => {}
        }
    }
}

/// Participants that joined or left between two metadata states.
fn participant_changes(
    old: Option<&SiprecMetadata>,
    new: Option<&SiprecMetadata>,
    out: &mut Vec<SessionChange>,
) {
    let Some(new) = new else { return };
    for p in &new.participants {
        let was = old.and_then(|o| o.participant(&p.id)).is_some_and(is_associated);
        let is = is_associated(p);
        if is && !was {
            out.push(SessionChange::ParticipantAssociated {
                participant_id: p.id.clone(),
                aor: p.aor.clone(),
            });
        } else if was && !is {
            out.push(SessionChange::ParticipantDisassociated {
                participant_id: p.id.clone(),
                aor: p.aor.clone(),
            });
        }
    }
    for p in old.map(|o| o.participants.as_slice()).unwrap_or(&[]) {
        if is_associated(p) && new.participant(&p.id).is_none() {
            out.push(SessionChange::ParticipantDisassociated {
                participant_id: p.id.clone(),
                aor: p.aor.clone(),
            });
        }
    }
}

fn stream_changes(old: &[StreamInfo], new: &[StreamInfo], out: &mut Vec<SessionChange>) {
    for n in new {
        let Some(o) = old.iter().find(|o| o.index == n.index) else {
            out.push(SessionChange::StreamAdded { index: n.index });
            continue;
        };
        if o.remote != n.remote {
            out.push(SessionChange::RemoteMoved { index: n.index, from: o.remote, to: n.remote });
        }
        if o.offered_direction != n.offered_direction {
            out.push(SessionChange::DirectionChanged {
                index: n.index,
                from: o.offered_direction,
                to: n.offered_direction,
            });
        }
        if (o.codec, o.payload_type) != (n.codec, n.payload_type) {
            out.push(SessionChange::CodecChanged { index: n.index });
        }
        if o.sender != n.sender {
            out.push(SessionChange::SenderChanged {
                index: n.index,
                from: o.sender.clone(),
                to: n.sender.clone(),
            });
        }
    }
    for o in old {
        if !new.iter().any(|n| n.index == o.index) {
            out.push(SessionChange::StreamRemoved { index: o.index });
        }
    }
}

/// Indices of the m-lines the SRS records.
fn recordable_lines(offer: &SessionDescription, limit: usize) -> Vec<usize> {
    offer
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.media.eq_ignore_ascii_case("audio")
                && m.port != 0
                && m.payload_types()
                    .any(|pt| matches!(m.codec(pt), Some(c) if c != Codec::TelephoneEvent))
        })
        .map(|(i, _)| i)
        .take(limit)
        .collect()
}

fn stream_infos(
    offer: &SessionDescription,
    answer: &[crate::sdp::AnsweredStream],
) -> Vec<StreamInfo> {
    answer
        .iter()
        .filter(|a| a.port != 0)
        .filter_map(|a| {
            let m = offer.media.get(a.index)?;
            let (codec, pt) = a.codec?;
            let rtpmap = m.rtpmap(pt);
            let (name, rate) = crate::sdp::rtpmap_name(codec);
            Some(StreamInfo {
                index: a.index,
                label: a.label.clone(),
                local_port: a.port,
                codec,
                encoding: rtpmap.map_or_else(|| name.to_owned(), |r| r.encoding.clone()),
                payload_type: pt,
                clock_rate: rtpmap.map_or(rate, |r| r.clock_rate),
                telephone_event: a.telephone_event,
                offered: m
                    .rtpmaps
                    .iter()
                    .map(|r| (r.payload_type, r.encoding.clone(), r.clock_rate))
                    .collect(),
                offered_direction: m.effective_direction(offer),
                remote: m
                    .effective_connection(offer)
                    .and_then(|c| c.ip())
                    .map(|ip| SocketAddr::new(ip, m.port)),
                sender: None,
            })
        })
        .collect()
}

impl Srs {
    pub fn new(config: SrsConfig) -> Self {
        Srs {
            tx: ServerTransactions::new(config.transactions.clone()),
            config,
            sessions: HashMap::new(),
            dialogs: HashMap::new(),
            invites: HashMap::new(),
            deadlines: BTreeSet::new(),
            events: VecDeque::new(),
            next_id: 1,
            stats: SrsStats::default(),
            admitting: true,
        }
    }

    /// Whether new sessions are taken. The driver says no when it could not
    /// record them (its disk is under its critical watermark): a new INVITE
    /// is then answered 503 with Retry-After, so that the SRC tries another
    /// recorder, and counted in [`SrsStats::refused_admission`]. Sessions
    /// already live, their re-INVITEs and BYEs go on as before.
    pub fn set_admission(&mut self, admitting: bool) {
        self.admitting = admitting;
    }

    /// Whether new sessions are taken now.
    pub fn admitting(&self) -> bool {
        self.admitting
    }

    pub fn config(&self) -> &SrsConfig {
        &self.config
    }

    /// Live sessions (being answered or answered).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Live server transactions.
    pub fn transaction_count(&self) -> usize {
        self.tx.len()
    }

    pub fn stats(&self) -> &SrsStats {
        &self.stats
    }

    /// The dialog of session `id`, e.g. to send a BYE.
    pub fn dialog(&self, id: SessionId) -> Option<DialogInfo> {
        self.sessions.get(&id).map(Self::dialog_info)
    }

    fn dialog_info(s: &RecordingSession) -> DialogInfo {
        DialogInfo {
            call_id: s.call_id.clone(),
            local_tag: s.local_tag.clone(),
            remote_tag: s.remote_tag.clone(),
            local_party: s.local_party.clone(),
            remote_party: s.remote_party.clone(),
            remote_target: s.remote_target.clone(),
            route_set: s.route_set.clone(),
            signalling_peer: s.signalling_peer,
            remote_cseq: s.remote_cseq,
        }
    }

    /// Local ports held by session `id`.
    pub fn session_ports(&self, id: SessionId) -> Option<Vec<u16>> {
        self.sessions.get(&id).map(|s| s.ports.iter().copied().filter(|&p| p != 0).collect())
    }

    /// Feeds one datagram (or one framed stream message).
    pub fn handle_datagram(
        &mut self,
        now: Timestamp,
        from: SocketAddr,
        bytes: &[u8],
        ports: &mut dyn PortAllocator,
    ) {
        match SipMessage::parse(bytes) {
            Ok(msg) => self.handle_message(now, from, &msg, ports),
            Err(_) => self.stats.unparsable += 1,
        }
    }

    /// Feeds one parsed message.
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        from: SocketAddr,
        msg: &SipMessage<'_>,
        ports: &mut dyn PortAllocator,
    ) {
        let Some(method) = msg.method() else {
            self.stats.responses_ignored += 1;
            return;
        };
        if msg.top_via().is_none() {
            self.stats.no_via += 1;
            return;
        }
        if let Some(reason) = Self::malformed(msg) {
            if method == Method::Ack {
                self.stats.dropped += 1;
            } else {
                self.stateless(from, msg, 400, reason, &[]);
            }
            return;
        }
        match self.tx.handle_request(now, from, msg) {
            RequestOutcome::Overloaded => {
                let retry = self.config.retry_after_secs.to_string();
                self.stateless(from, msg, 503, "Service Unavailable", &[("Retry-After", retry)]);
            }
            RequestOutcome::Invalid => self.stats.dropped += 1,
            _ => {}
        }
        self.pump(now, ports);
    }

    /// What makes a request unanswerable in a transaction.
    fn malformed(msg: &SipMessage<'_>) -> Option<&'static str> {
        if msg.call_id().is_none() {
            return Some("Missing Call-ID");
        }
        if msg.from().is_none() {
            return Some("Missing From");
        }
        if msg.to().is_none() {
            return Some("Missing To");
        }
        let Some(cseq) = msg.cseq() else { return Some("Bad CSeq") };
        if Some(cseq.method_str) != msg.method_str() {
            return Some("CSeq Method Mismatch");
        }
        None
    }

    /// Starts the 200 of a session held by [`SrsConfig::auto_answer`] `false`
    /// (or, for an INVITE with `Require: 100rel`, the reliable 183 that the
    /// 200 follows once the PRACK is in).
    pub fn accept(&mut self, now: Timestamp, id: SessionId) -> Result<(), SrsError> {
        let s = self.sessions.get_mut(&id).ok_or(SrsError::UnknownSession)?;
        if !matches!(s.phase, Phase::Offered { .. }) {
            return Err(SrsError::AlreadyAnswered);
        }
        let Phase::Offered { key, request, ok, provisional } =
            std::mem::replace(&mut s.phase, Phase::Confirmed)
        else {
            return Err(SrsError::AlreadyAnswered);
        };
        s.last_signal = now;
        s.ping_base = now;
        match provisional {
            Some((p183, rseq)) => {
                let _ = self.tx.send_reliable_provisional(now, &key, &p183);
                s.phase = Phase::Reliable { key, request, ok, rseq };
                self.stats.reliable_provisionals += 1;
                // the transaction layer bounds the wait for the PRACK
                self.set_deadline(id, None);
            }
            None => {
                let _ = self.tx.send_response(now, &key, &ok);
                self.arm_timer(now, id);
            }
        }
        Ok(())
    }

    /// Refuses a session held by [`SrsConfig::auto_answer`] `false` with
    /// `code` (3xx–6xx); ends it with [`EndReason::Rejected`].
    pub fn reject(
        &mut self,
        now: Timestamp,
        id: SessionId,
        code: u16,
        ports: &mut dyn PortAllocator,
    ) -> Result<(), SrsError> {
        if !(300..=699).contains(&code) {
            return Err(SrsError::BadStatus);
        }
        let s = self.sessions.get(&id).ok_or(SrsError::UnknownSession)?;
        if !matches!(s.phase, Phase::Offered { .. }) {
            return Err(SrsError::AlreadyAnswered);
        }
        self.finish_offer(now, id, code, "Rejected");
        self.end(now, id, EndReason::Rejected, ports);
        self.pump(now, ports);
        Ok(())
    }

    /// Ends a session from the driver's side (no RTP for too long, shutdown)
    /// with [`EndReason::Local`]: forgets the dialog and releases its ports.
    /// A session still waiting for [`accept`](Self::accept) is refused with
    /// 480. The SRS sends no BYE; the driver must, when it wants the SRC told.
    pub fn end_session(
        &mut self,
        now: Timestamp,
        id: SessionId,
        ports: &mut dyn PortAllocator,
    ) -> Result<(), SrsError> {
        if !self.sessions.contains_key(&id) {
            return Err(SrsError::UnknownSession);
        }
        self.end(now, id, EndReason::Local, ports);
        self.pump(now, ports);
        Ok(())
    }

    /// The earliest time at which [`handle_timeout`](Self::handle_timeout)
    /// has work.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let s = self.deadlines.first().map(|(t, _)| *t);
        match (self.tx.poll_timeout(), s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs transaction timers, session timers and answer timeouts due at
    /// `now`.
    pub fn handle_timeout(&mut self, now: Timestamp, ports: &mut dyn PortAllocator) {
        self.tx.handle_timeout(now);
        self.pump(now, ports);
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let Some(s) = self.sessions.get_mut(&id) else { continue };
            s.deadline = None;
            match self.due(now, id) {
                Some(reason) => self.end(now, id, reason, ports),
                None => self.rearm(id),
            }
        }
        self.pump(now, ports);
    }

    /// What the deadlines of session `id` that passed at `now` ask for: an
    /// end, or events (refresh, ping) and the session goes on.
    fn due(&mut self, now: Timestamp, id: SessionId) -> Option<EndReason> {
        let cfg = &self.config;
        let s = self.sessions.get_mut(&id)?;
        let timer_due = s.timer_at.is_some_and(|t| t <= now);
        if !s.confirmed() {
            return timer_due.then_some(EndReason::NotAnswered);
        }
        if s.max_deadline(cfg).is_some_and(|t| t <= now) {
            return Some(EndReason::MaxDuration);
        }
        if s.hold_deadline(cfg).is_some_and(|t| t <= now) {
            return Some(EndReason::HoldTimeout);
        }
        if timer_due {
            let Some((interval, Refresher::Uas)) = s.timer else {
                return Some(EndReason::SessionTimerExpired);
            };
            // The SRS is the refresher: the driver sends the refresh; the
            // next one is due half an interval later.
            s.timer_at = Some(after(now, Duration::from_secs(u64::from(interval / 2).max(1))));
            let dialog = Box::new(Self::dialog_info(s));
            self.events.push_back(SrsEvent::RefreshDue { id, interval, dialog });
        }
        if s.ping_deadline(cfg).is_some_and(|t| t <= now) {
            s.ping_outstanding = true;
            let dialog = Box::new(Self::dialog_info(s));
            self.events.push_back(SrsEvent::PingDue { id, dialog });
        }
        None
    }

    /// RTP arrived for session `id` (the driver reports it, at most every
    /// few seconds, while the session is on hold): a held session that
    /// still carries media is not abandoned.
    pub fn media_activity(&mut self, now: Timestamp, id: SessionId) {
        if let Some(s) = self.sessions.get_mut(&id) {
            s.last_media = Some(s.last_media.map_or(now, |m| m.max(now)));
            self.rearm(id);
        }
    }

    /// The outcome of the OPTIONS sent for [`SrsEvent::PingDue`]: the
    /// final status, or `None` when no answer came. 408 and 481 (RFC 3261
    /// §12.2.1.2) and silence end the session with
    /// [`EndReason::SrcUnreachable`]; any other answer, even an error,
    /// shows that the SRC still has the dialog. Returns whether the session
    /// ended.
    pub fn ping_result(
        &mut self,
        now: Timestamp,
        id: SessionId,
        status: Option<u16>,
        ports: &mut dyn PortAllocator,
    ) -> bool {
        let Some(s) = self.sessions.get_mut(&id) else { return false };
        s.ping_outstanding = false;
        self.in_dialog_result(now, id, status, ports)
    }

    /// The outcome of the UPDATE sent for [`SrsEvent::RefreshDue`], read
    /// like [`ping_result`](Self::ping_result) (RFC 4028 §10).
    pub fn refresh_result(
        &mut self,
        now: Timestamp,
        id: SessionId,
        status: Option<u16>,
        ports: &mut dyn PortAllocator,
    ) -> bool {
        self.in_dialog_result(now, id, status, ports)
    }

    fn in_dialog_result(
        &mut self,
        now: Timestamp,
        id: SessionId,
        status: Option<u16>,
        ports: &mut dyn PortAllocator,
    ) -> bool {
        if !self.sessions.contains_key(&id) {
            return false;
        }
        if matches!(status, None | Some(408) | Some(481)) {
            self.end(now, id, EndReason::SrcUnreachable, ports);
            self.pump(now, ports);
            return true;
        }
        if let Some(s) = self.sessions.get_mut(&id) {
            s.ping_base = s.ping_base.max(now);
        }
        self.rearm(id);
        false
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tx.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<SrsEvent> {
        self.events.pop_front()
    }

    // ---- internals ----

    /// Sets the answer timeout / session timer of session `id`.
    fn set_deadline(&mut self, id: SessionId, at: Option<Timestamp>) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        s.timer_at = at;
        self.rearm(id);
    }

    /// Registers the session's earliest deadline (after any change of its
    /// timers, hold state, signalling or media).
    fn rearm(&mut self, id: SessionId) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        let next = s.next_deadline(&self.config);
        if s.deadline == next {
            return;
        }
        if let Some(old) = s.deadline.take() {
            self.deadlines.remove(&(old, id));
        }
        if let Some(at) = next {
            s.deadline = Some(at);
            self.deadlines.insert((at, id));
        }
    }

    /// A request (or ACK) from the SRC in session `id`'s dialog.
    fn touch(&mut self, now: Timestamp, id: SessionId) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        s.last_signal = s.last_signal.max(now);
        s.ping_base = s.ping_base.max(now);
        self.rearm(id);
    }

    /// (Re)arms the session timer after a 2xx that (re)negotiated it.
    fn arm_timer(&mut self, now: Timestamp, id: SessionId) {
        let at = match self.sessions.get(&id).and_then(|s| s.timer) {
            Some((interval, Refresher::Uac)) => Some(expiry(now, interval)),
            // RFC 4028 §10: the refresher refreshes at half the interval.
            Some((interval, Refresher::Uas)) => {
                Some(after(now, Duration::from_secs(u64::from(interval / 2).max(1))))
            }
            None => None,
        };
        self.set_deadline(id, at);
    }

    fn derived_tag(&self, msg: &SipMessage<'_>) -> String {
        let h = fnv(&[
            &self.config.tag_seed.to_le_bytes(),
            msg.call_id().unwrap_or("").as_bytes(),
            msg.from().and_then(|f| f.tag()).unwrap_or("").as_bytes(),
        ]);
        format!("cvs{h:016x}")
    }

    /// A response with the headers every SRS answer carries.
    fn build(
        &self,
        req: &SipMessage<'_>,
        code: u16,
        reason: &str,
        tag: Option<&str>,
        extra: &[(&str, String)],
    ) -> OwnedSipMessage {
        let mut r = req.response(code, reason, tag);
        for (n, v) in extra {
            r.push_header(n.to_string(), v.clone());
        }
        if let Some(s) = &self.config.server_name {
            r.push_header("Server", s.clone());
        }
        r
    }

    fn stateless(
        &mut self,
        to: SocketAddr,
        req: &SipMessage<'_>,
        code: u16,
        reason: &str,
        extra: &[(&str, String)],
    ) {
        self.stats.rejected += 1;
        let tag = self.derived_tag(req);
        let resp = self.build(req, code, reason, Some(&tag), extra);
        self.tx.send_stateless(to, &resp);
    }

    fn respond(
        &mut self,
        now: Timestamp,
        key: &TransactionKey,
        req: &SipMessage<'_>,
        (code, reason): (u16, &str),
        tag: Option<&str>,
        extra: &[(&str, String)],
    ) {
        if code >= 300 {
            self.stats.rejected += 1;
        }
        let tag = tag.map(str::to_owned).unwrap_or_else(|| self.derived_tag(req));
        let resp = self.build(req, code, reason, Some(&tag), extra);
        let _ = self.tx.send_response(now, key, &resp);
    }

    fn refuse(
        &mut self,
        now: Timestamp,
        key: &TransactionKey,
        req: &SipMessage<'_>,
        tag: Option<&str>,
        (code, reason, extra): Refusal,
    ) {
        self.respond(now, key, req, (code, reason), tag, &extra);
    }

    /// Handles every event the transaction layer queued.
    fn pump(&mut self, now: Timestamp, ports: &mut dyn PortAllocator) {
        while let Some(e) = self.tx.poll_event() {
            match e {
                Event::Request { key, from, request } => {
                    self.on_request(now, key, from, request, ports)
                }
                Event::Ack { key: None, .. } => self.stats.dropped += 1,
                Event::Ack { key: Some(key), request, .. } => {
                    if let Some(id) = self.invites.get(&key).copied() {
                        self.on_ack(now, id, &request, ports);
                    }
                }
                Event::Cancelled { invite, .. } => self.on_cancel(now, invite, ports),
                Event::AckTimeout { key } => {
                    if let Some(id) = self.invites.get(&key).copied() {
                        self.end(now, id, EndReason::AckTimeout, ports);
                    }
                }
                Event::ProvisionalTimeout { key } => {
                    if let Some(id) = self.invites.get(&key).copied() {
                        self.end(now, id, EndReason::PrackTimeout, ports);
                    }
                }
                Event::Timeout { .. } => {}
                Event::Terminated { key } => {
                    self.invites.remove(&key);
                }
            }
        }
    }

    fn on_cancel(&mut self, now: Timestamp, invite: TransactionKey, ports: &mut dyn PortAllocator) {
        let Some(id) = self.invites.get(&invite).copied() else { return };
        if self.sessions.get(&id).is_some_and(|s| !s.confirmed()) {
            self.end(now, id, EndReason::Cancelled, ports);
        }
    }

    /// Sends the final response to an INVITE still waiting for
    /// [`accept`](Self::accept); no-op once answered.
    fn finish_offer(&mut self, now: Timestamp, id: SessionId, code: u16, reason: &str) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        let (key, request) = match std::mem::replace(&mut s.phase, Phase::Confirmed) {
            Phase::Offered { key, request, .. } | Phase::Reliable { key, request, .. } => {
                (key, request)
            }
            Phase::Confirmed => return,
        };
        let tag = s.local_tag.clone();
        let resp = self.build(&request, code, reason, Some(&tag), &[]);
        if code >= 300 {
            self.stats.rejected += 1;
        }
        let _ = self.tx.send_response(now, &key, &resp);
    }

    /// Removes a session, gives its ports back and reports the end. An
    /// INVITE still waiting for its answer gets one first (487 when the SRC
    /// ended it, 480 otherwise), so every INVITE transaction ends.
    fn end(
        &mut self,
        now: Timestamp,
        id: SessionId,
        reason: EndReason,
        ports: &mut dyn PortAllocator,
    ) {
        match reason {
            EndReason::Cancelled | EndReason::Bye | EndReason::OutOfOrderBye => {
                self.finish_offer(now, id, 487, "Request Terminated")
            }
            // RFC 3262 §3: a reliable provisional never acknowledged
            EndReason::PrackTimeout => self.finish_offer(now, id, 500, "No PRACK Received"),
            _ => self.finish_offer(now, id, 480, "Temporarily Unavailable"),
        }
        let Some(s) = self.sessions.remove(&id) else { return };
        if let Some(at) = s.deadline {
            self.deadlines.remove(&(at, id));
        }
        self.dialogs.remove(&(s.call_id.clone(), s.remote_tag.clone(), s.local_tag.clone()));
        let held: Vec<u16> = s.ports.iter().copied().filter(|&p| p != 0).collect();
        if !held.is_empty() {
            ports.release(&held);
        }
        let dialog = Box::new(Self::dialog_info(&s));
        self.events.push_back(SrsEvent::SessionEnded {
            id,
            call_id: s.call_id,
            group_key: s.group_key,
            reason,
            dialog,
        });
    }

    fn unsupported_require(req: &SipMessage<'_>) -> Option<Refusal> {
        let bad: Vec<&str> = req
            .require()
            .into_iter()
            .filter(|t| !SUPPORTED_TAGS.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .collect();
        (!bad.is_empty()).then(|| (420, "Bad Extension", vec![("Unsupported", bad.join(", "))]))
    }

    fn on_request(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        from: SocketAddr,
        req: OwnedSipMessage,
        ports: &mut dyn PortAllocator,
    ) {
        let method = req.method().unwrap_or(Method::Other);
        let to_tag = req.to().and_then(|t| t.tag().map(str::to_owned));
        let dialog = to_tag.as_ref().map(|tt| {
            (
                req.call_id().unwrap_or("").to_owned(),
                req.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default(),
                tt.clone(),
            )
        });
        let session = dialog.as_ref().and_then(|d| self.dialogs.get(d).copied());
        if let Some(id) = session {
            self.touch(now, id);
        }
        if to_tag.is_some() && session.is_none() {
            return self.respond(
                now,
                &key,
                &req,
                (481, "Call/Transaction Does Not Exist"),
                to_tag.as_deref(),
                &[],
            );
        }
        if !matches!(
            method,
            Method::Invite | Method::Bye | Method::Options | Method::Update | Method::Prack
        ) {
            let (code, reason) = if method == Method::Other {
                (501, "Not Implemented")
            } else {
                (405, "Method Not Allowed")
            };
            return self.respond(
                now,
                &key,
                &req,
                (code, reason),
                to_tag.as_deref(),
                &[("Allow", ALLOW.to_owned())],
            );
        }
        if let Some(refusal) = Self::unsupported_require(&req) {
            return self.refuse(now, &key, &req, to_tag.as_deref(), refusal);
        }
        if method == Method::Options {
            let extra = [
                ("Allow", ALLOW.to_owned()),
                ("Accept", ACCEPT.to_owned()),
                ("Supported", SUPPORTED_TAGS.join(", ")),
                ("Contact", format!("<{}>", self.config.contact_uri)),
            ];
            return self.respond(now, &key, &req, (200, "OK"), to_tag.as_deref(), &extra);
        }
        let Some(id) = session else {
            if method == Method::Invite {
                return self.on_initial_invite(now, key, from, req, ports);
            }
            // BYE or UPDATE outside any dialog
            return self.respond(
                now,
                &key,
                &req,
                (481, "Call/Transaction Does Not Exist"),
                None,
                &[],
            );
        };
        // in-dialog: CSeq order (RFC 3261 §12.2.2)
        let cseq = req.cseq().map(|c| c.seq).unwrap_or(0);
        let Some(s) = self.sessions.get_mut(&id) else { return };
        if cseq < s.remote_cseq {
            if method == Method::Bye {
                // The SRC considers the call over, whatever order its
                // requests arrive in: keeping the session open would
                // leave it open for good (nothing else may come).
                return self.on_bye(now, key, id, &req, EndReason::OutOfOrderBye, ports);
            }
            let tag = s.local_tag.clone();
            return self.respond(now, &key, &req, (500, "CSeq Out Of Order"), Some(&tag), &[]);
        }
        s.remote_cseq = cseq;
        if method == Method::Prack {
            return self.on_prack(now, key, id, &req, ports);
        }
        if method != Method::Bye && (!s.confirmed() || s.pending_offer) {
            let tag = s.local_tag.clone();
            return self.respond(now, &key, &req, (491, "Request Pending"), Some(&tag), &[]);
        }
        match method {
            Method::Bye => self.on_bye(now, key, id, &req, EndReason::Bye, ports),
            _ => self.on_modify(now, key, id, &req, method == Method::Invite, ports),
        }
    }

    fn on_initial_invite(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        from: SocketAddr,
        req: OwnedSipMessage,
        ports: &mut dyn PortAllocator,
    ) {
        let call_id = req.call_id().unwrap_or("").to_owned();
        let remote_tag = req.from().and_then(|f| f.tag().map(str::to_owned)).unwrap_or_default();
        let cseq = req.cseq().map(|c| c.seq).unwrap_or(0);
        // a merged request (RFC 3261 §8.2.2.2): same INVITE via another path
        if self
            .sessions
            .values()
            .any(|s| s.call_id == call_id && s.remote_tag == remote_tag && s.initial_cseq == cseq)
        {
            return self.respond(now, &key, &req, (482, "Loop Detected"), None, &[]);
        }
        if !self.admitting {
            self.stats.refused_admission += 1;
            let retry = self.config.retry_after_secs.to_string();
            return self.respond(
                now,
                &key,
                &req,
                (503, "Service Unavailable"),
                None,
                &[("Retry-After", retry)],
            );
        }
        if self.sessions.len() >= self.config.max_sessions {
            let retry = self.config.retry_after_secs.to_string();
            return self.respond(
                now,
                &key,
                &req,
                (503, "Service Unavailable"),
                None,
                &[("Retry-After", retry)],
            );
        }
        // No SDP at all (no body, or metadata alone): a delayed offer (RFC
        // 3261 §13.2.1) that the SRS answers with its own offer.
        let offer = match parse_offer(&req, self.config.max_body_bytes) {
            Ok(Some(o)) => o,
            Ok(None) => Offer { sdp: None, metadata: None },
            Err(r) => return self.refuse(now, &key, &req, None, r),
        };
        let has_cisco = req.header("X-Cisco-Recording-Participant").is_some();
        let src_contact = req.contacts().iter().any(|c| c.params.contains("+sip.src"));
        let siprec_tag = req
            .header_list("Require")
            .chain(req.header_list("Supported"))
            .any(|t| t.eq_ignore_ascii_case("siprec"));
        let kind = if offer.metadata.is_some() || src_contact || siprec_tag {
            SessionKind::Siprec
        } else if has_cisco {
            SessionKind::CiscoNbr
        } else if self.config.accept_plain_invites {
            SessionKind::Plain
        } else {
            return self.respond(now, &key, &req, (488, "Not Acceptable Here"), None, &[]);
        };
        let timer = match negotiate_timer(&req, &self.config) {
            Ok(t) => t,
            Err(min) => {
                return self.respond(
                    now,
                    &key,
                    &req,
                    (422, "Session Interval Too Small"),
                    None,
                    &[("Min-SE", min.to_string())],
                );
            }
        };
        let limit =
            if kind == SessionKind::Plain { 1 } else { self.config.max_streams_per_session };
        let md_ok = match &offer.metadata {
            Some(Ok(m)) => Some(m.clone()),
            _ => None,
        };
        let (lines, m_lines) = match &offer.sdp {
            Some(sdp) => (recordable_lines(sdp, limit), sdp.media.len()),
            None => {
                // one m-line per stream the metadata names, else one per
                // direction of a two-party call
                let n = md_ok.as_ref().map_or(0, |m| m.streams.len());
                let n = if n == 0 { 2 } else { n }.min(limit).max(1);
                ((0..n).collect(), n)
            }
        };
        if lines.is_empty() {
            return self.respond(now, &key, &req, (488, "Not Acceptable Here"), None, &[]);
        }
        let Some(got) = ports.allocate(lines.len()) else {
            self.stats.ports_exhausted += 1;
            let retry = self.config.retry_after_secs.to_string();
            return self.respond(
                now,
                &key,
                &req,
                (503, "Out Of Media Ports"),
                None,
                &[("Retry-After", retry)],
            );
        };
        if got.len() != lines.len() || got.contains(&0) {
            ports.release(&got);
            self.stats.ports_exhausted += 1;
            let retry = self.config.retry_after_secs.to_string();
            return self.respond(
                now,
                &key,
                &req,
                (503, "Out Of Media Ports"),
                None,
                &[("Retry-After", retry)],
            );
        }
        let mut port_map = vec![0u16; m_lines];
        for (i, p) in lines.iter().zip(got) {
            if let Some(slot) = port_map.get_mut(*i) {
                *slot = p;
            }
        }
        let id = SessionId(self.next_id);
        self.next_id += 1;
        let local_tag = format!(
            "cv{:x}{:08x}",
            id.0,
            fnv(&[&self.config.tag_seed.to_le_bytes(), call_id.as_bytes(), remote_tag.as_bytes()])
                as u32
        );
        let sdp_session_id = fnv(&[&self.config.tag_seed.to_le_bytes(), &id.0.to_le_bytes()])
            & 0x7fff_ffff_ffff_ffff;
        let local = AnswerConfig {
            local_ip: self.config.rtp_ip,
            ports: &port_map,
            origin_username: &self.config.sdp_username,
            session_id: sdp_session_id,
            session_version: 1,
        };
        // With an offer: the answer and the streams it takes. Without: the
        // SRS's offer; the streams come with the answer in the ACK.
        let (answer, mut streams) = match &offer.sdp {
            Some(sdp) => {
                let (answer, answered) = build_recvonly_answer(sdp, &local);
                (answer, stream_infos(sdp, &answered))
            }
            None => {
                self.stats.delayed_offers += 1;
                (build_recvonly_offer(&local), Vec::new())
            }
        };
        let pending_offer = offer.sdp.is_none();
        let cisco = if kind == SessionKind::CiscoNbr { cisco_participants(&req) } else { vec![] };
        resolve_senders(&mut streams, md_ok.as_ref(), &cisco);
        let group_key = group_key_for(kind, md_ok.as_ref(), &req, &call_id);
        // RFC 3262: an INVITE that requires 100rel gets a reliable 183 with
        // the answer (or, for a delayed offer, the SRS's offer); the 200
        // after the PRACK carries no SDP.
        let provisional = req.requires("100rel").then(|| {
            let rseq = (fnv(&[
                &self.config.tag_seed.to_le_bytes(),
                call_id.as_bytes(),
                remote_tag.as_bytes(),
                b"rseq",
            ]) as u32
                & 0x7fff_ffff)
                .max(1);
            let p183 = self.reliable_183(&req, &local_tag, kind, rseq, &answer);
            (Box::new(p183), rseq)
        });
        let ok_sdp = if provisional.is_some() { None } else { Some(&answer) };
        let ok = self.ok_response(&req, &local_tag, kind, timer, ok_sdp);
        let started = SessionStarted {
            id,
            call_id: call_id.clone(),
            kind,
            group_key: group_key.clone(),
            siprec_session_id: md_ok
                .as_ref()
                .and_then(|m| m.sessions.first().map(|s| s.id.clone())),
            siprec_group_id: md_ok.as_ref().and_then(metadata_group),
            metadata: offer.metadata,
            streams: streams.clone(),
            signalling_peer: from,
            from: req.header("From").map(str::to_owned),
            to: req.header("To").map(str::to_owned),
            headers: req
                .headers
                .iter()
                .map(|h| (h.name.clone().into_owned(), h.value.clone().into_owned()))
                .collect(),
        };
        let local_party = req.header("To").unwrap_or("").to_owned();
        let remote_party = req.header("From").unwrap_or("").to_owned();
        let remote_target = req.contacts().first().map(|c| c.uri_str.to_owned());
        let route_set: Vec<String> =
            req.header_list("Record-Route").map(|r| r.trim().to_owned()).collect();
        let phase = Phase::Offered {
            key: key.clone(),
            request: Box::new(req),
            ok: Box::new(ok),
            provisional,
        };
        self.dialogs.insert((call_id.clone(), remote_tag.clone(), local_tag.clone()), id);
        self.invites.insert(key, id);
        self.sessions.insert(
            id,
            RecordingSession {
                call_id,
                remote_tag,
                local_tag,
                initial_cseq: cseq,
                remote_cseq: cseq,
                local_party,
                remote_party,
                remote_target,
                route_set,
                signalling_peer: from,
                kind,
                group_key,
                ports: port_map,
                streams,
                metadata: md_ok,
                cisco,
                sdp_session_id,
                sdp_version: 1,
                last_answer: Some(answer),
                phase,
                timer: timer.map(|(i, r, _)| (i, r)),
                timer_at: None,
                created: now,
                last_signal: now,
                last_media: None,
                ping_base: now,
                ping_outstanding: false,
                pending_offer,
                deadline: None,
            },
        );
        if self.config.auto_answer {
            let _ = self.accept(now, id);
        } else {
            let at = after(now, self.config.answer_timeout);
            self.set_deadline(id, Some(at));
        }
        self.events.push_back(SrsEvent::SessionStarted(started));
    }

    /// The 200 to an INVITE or UPDATE of a session.
    fn ok_response(
        &self,
        req: &SipMessage<'_>,
        local_tag: &str,
        kind: SessionKind,
        timer: Option<(u32, Refresher, bool)>,
        sdp: Option<&SessionDescription>,
    ) -> OwnedSipMessage {
        let contact = if kind == SessionKind::Siprec {
            format!("<{}>;+sip.srs", self.config.contact_uri)
        } else {
            format!("<{}>", self.config.contact_uri)
        };
        let mut extra = vec![
            ("Contact", contact),
            ("Allow", ALLOW.to_owned()),
            ("Supported", "timer, 100rel".to_owned()),
        ];
        let mut require = Vec::new();
        if req.requires("siprec") {
            require.push("siprec");
        }
        if let Some((interval, refresher, uac_supports)) = timer {
            extra.push((
                "Session-Expires",
                format!("{interval};refresher={}", refresher_str(refresher)),
            ));
            if uac_supports {
                require.push("timer");
            }
        }
        if !require.is_empty() {
            extra.push(("Require", require.join(", ")));
        }
        let mut r = self.build(req, 200, "OK", Some(local_tag), &extra);
        if let Some(sdp) = sdp {
            r.set_body("application/sdp", sdp.to_string().into_bytes());
        }
        r
    }

    /// The reliable 183 (RFC 3262 §3) to an INVITE with `Require: 100rel`:
    /// the session's SDP (the answer, or the SRS's offer for a delayed
    /// offer), RSeq and `Require: 100rel`.
    fn reliable_183(
        &self,
        req: &SipMessage<'_>,
        local_tag: &str,
        kind: SessionKind,
        rseq: u32,
        sdp: &SessionDescription,
    ) -> OwnedSipMessage {
        let contact = if kind == SessionKind::Siprec {
            format!("<{}>;+sip.srs", self.config.contact_uri)
        } else {
            format!("<{}>", self.config.contact_uri)
        };
        let extra = [
            ("Contact", contact),
            ("Allow", ALLOW.to_owned()),
            ("Supported", "timer, 100rel".to_owned()),
            ("Require", "100rel".to_owned()),
            ("RSeq", rseq.to_string()),
        ];
        let mut r = self.build(req, 183, "Session Progress", Some(local_tag), &extra);
        r.set_body("application/sdp", sdp.to_string().into_bytes());
        r
    }

    /// A PRACK in session `id`'s (early) dialog. One that acknowledges the
    /// outstanding reliable 183 (RAck = its RSeq, the INVITE's CSeq number,
    /// INVITE) stops the 183's retransmissions and is answered 200; when
    /// the 183 carried the SRS's offer, the PRACK must carry the answer
    /// (RFC 3262 §5), and then the 200 to the INVITE goes out without SDP.
    /// Any other PRACK matches nothing and gets 481 (RFC 3262 §3). An offer
    /// in a PRACK after a 183 that carried the answer is not read.
    fn on_prack(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        id: SessionId,
        req: &SipMessage<'_>,
        ports: &mut dyn PortAllocator,
    ) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        let tag = s.local_tag.clone();
        let matched = match (&s.phase, req.rack()) {
            (Phase::Reliable { rseq, .. }, Some(rack)) => {
                rack.rseq == *rseq && rack.cseq == s.initial_cseq && rack.method == Method::Invite
            }
            _ => false,
        };
        if !matched {
            self.stats.unmatched_pracks += 1;
            let reason = (481, "Call/Transaction Does Not Exist");
            return self.respond(now, &key, req, reason, Some(&tag), &[]);
        }
        let Phase::Reliable { key: invite, request, ok, .. } =
            std::mem::replace(&mut s.phase, Phase::Confirmed)
        else {
            return;
        };
        self.tx.provisional_acknowledged(&invite);
        let wants_answer = std::mem::take(&mut s.pending_offer);
        self.respond(now, &key, req, (200, "OK"), Some(&tag), &[]);
        if wants_answer {
            match parse_offer(req, self.config.max_body_bytes) {
                Ok(Some(Offer { sdp: Some(sdp), metadata })) => {
                    self.apply_answer(id, &sdp, metadata, ports)
                }
                _ => {
                    let resp = self.build(&request, 488, "No SDP Answer In PRACK", Some(&tag), &[]);
                    self.stats.rejected += 1;
                    let _ = self.tx.send_response(now, &invite, &resp);
                    self.end(now, id, EndReason::NoSdpAnswerInPrack, ports);
                    return;
                }
            }
        }
        let _ = self.tx.send_response(now, &invite, &ok);
        self.arm_timer(now, id);
    }

    fn on_bye(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        id: SessionId,
        req: &SipMessage<'_>,
        reason: EndReason,
        ports: &mut dyn PortAllocator,
    ) {
        // Sonus sends partial metadata in the BYE: keep it
        if let Ok(Some(Offer { metadata: Some(md), .. })) =
            parse_offer(req, self.config.max_body_bytes)
        {
            self.apply_metadata_only(id, md);
        }
        let tag = self.sessions.get(&id).map(|s| s.local_tag.clone());
        self.respond(now, &key, req, (200, "OK"), tag.as_deref(), &[]);
        self.end(now, id, reason, ports);
    }

    /// The ACK of a 2xx of session `id`: when that 2xx carried the SRS's
    /// offer, the ACK must carry the answer (RFC 3261 §13.2.1, RFC 3264).
    fn on_ack(
        &mut self,
        now: Timestamp,
        id: SessionId,
        ack: &SipMessage<'_>,
        ports: &mut dyn PortAllocator,
    ) {
        self.touch(now, id);
        let Some(s) = self.sessions.get_mut(&id) else { return };
        if !std::mem::take(&mut s.pending_offer) {
            return;
        }
        match parse_offer(ack, self.config.max_body_bytes) {
            Ok(Some(Offer { sdp: Some(sdp), metadata })) => {
                self.apply_answer(id, &sdp, metadata, ports);
                self.rearm(id);
            }
            // No answer, or one that cannot be read: there is no media
            // session; end it (the driver sends the BYE).
            _ => self.end(now, id, EndReason::NoSdpAnswer, ports),
        }
    }

    /// Takes the SRC's answer to the SRS's offer: each line it accepted with
    /// a codec the SRS records becomes a stream on the port the offer
    /// named; the ports of refused lines go back.
    fn apply_answer(
        &mut self,
        id: SessionId,
        answer: &SessionDescription,
        metadata: Option<Result<SiprecMetadata, String>>,
        ports: &mut dyn PortAllocator,
    ) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        // The answer read as if it were an offer gives, line by line, what
        // the SRC sends and from where; our ports stay those of our offer.
        let (_, answered) = build_recvonly_answer(
            answer,
            &AnswerConfig {
                local_ip: self.config.rtp_ip,
                ports: &s.ports,
                origin_username: &self.config.sdp_username,
                session_id: s.sdp_session_id,
                session_version: s.sdp_version,
            },
        );
        let mut freed = Vec::new();
        for (i, p) in s.ports.iter_mut().enumerate() {
            if *p != 0 && !answered.iter().any(|a| a.index == i && a.port != 0) {
                freed.push(*p);
                *p = 0;
            }
        }
        if !freed.is_empty() {
            ports.release(&freed);
        }
        let mut changes = Vec::new();
        let new_md = match metadata {
            Some(md) => Self::next_metadata(s.metadata.as_ref(), md, &mut changes),
            None => s.metadata.clone(),
        };
        let mut streams = stream_infos(answer, &answered);
        resolve_senders(&mut streams, new_md.as_ref(), &s.cisco);
        participant_changes(s.metadata.as_ref(), new_md.as_ref(), &mut changes);
        stream_changes(&s.streams, &streams, &mut changes);
        s.metadata = new_md;
        s.streams = streams;
        if !changes.is_empty() {
            self.events.push_back(SrsEvent::SessionUpdated(SessionUpdated {
                id,
                call_id: s.call_id.clone(),
                group_key: s.group_key.clone(),
                streams: s.streams.clone(),
                metadata: s.metadata.clone(),
                changes,
            }));
        }
    }

    fn apply_metadata_only(&mut self, id: SessionId, md: Result<SiprecMetadata, String>) {
        let Some(s) = self.sessions.get_mut(&id) else { return };
        let mut changes = Vec::new();
        let new_md = Self::next_metadata(s.metadata.as_ref(), md, &mut changes);
        let mut streams = s.streams.clone();
        resolve_senders(&mut streams, new_md.as_ref(), &s.cisco);
        participant_changes(s.metadata.as_ref(), new_md.as_ref(), &mut changes);
        stream_changes(&s.streams, &streams, &mut changes);
        s.metadata = new_md;
        s.streams = streams;
        if !changes.is_empty() {
            self.events.push_back(SrsEvent::SessionUpdated(SessionUpdated {
                id,
                call_id: s.call_id.clone(),
                group_key: s.group_key.clone(),
                streams: s.streams.clone(),
                metadata: s.metadata.clone(),
                changes,
            }));
        }
    }

    /// The metadata after an update: complete replaces, partial merges, an
    /// error keeps the old one.
    fn next_metadata(
        old: Option<&SiprecMetadata>,
        update: Result<SiprecMetadata, String>,
        changes: &mut Vec<SessionChange>,
    ) -> Option<SiprecMetadata> {
        match update {
            Err(e) => {
                changes.push(SessionChange::MetadataError(e));
                old.cloned()
            }
            Ok(md) if md.data_mode == Some(DataMode::Complete) || old.is_none() => Some(md),
            Ok(md) => {
                let mut base = old.cloned().unwrap_or_default();
                merge_metadata(&mut base, md);
                Some(base)
            }
        }
    }

    /// re-INVITE or UPDATE in a confirmed dialog.
    fn on_modify(
        &mut self,
        now: Timestamp,
        key: TransactionKey,
        id: SessionId,
        req: &SipMessage<'_>,
        is_invite: bool,
        ports: &mut dyn PortAllocator,
    ) {
        let Some(s) = self.sessions.get(&id) else { return };
        let tag = s.local_tag.clone();
        let kind = s.kind;
        let offer = match parse_offer(req, self.config.max_body_bytes) {
            Ok(o) => o,
            Err(r) => return self.refuse(now, &key, req, Some(&tag), r),
        };
        let timer = match negotiate_timer(req, &self.config) {
            Ok(t) => t,
            Err(min) => {
                return self.respond(
                    now,
                    &key,
                    req,
                    (422, "Session Interval Too Small"),
                    Some(&tag),
                    &[("Min-SE", min.to_string())],
                );
            }
        };
        let (sdp, metadata) = match offer {
            Some(o) => (o.sdp, o.metadata),
            None => (None, None),
        };
        let Some(s) = self.sessions.get_mut(&id) else { return };
        s.timer = timer.map(|(i, r, _)| (i, r));
        if let Some(c) = req.contacts().first() {
            s.remote_target = Some(c.uri_str.to_owned());
        }
        let mut changes = Vec::new();
        let new_md = match metadata {
            Some(md) => Self::next_metadata(s.metadata.as_ref(), md, &mut changes),
            None => s.metadata.clone(),
        };
        let answer = match &sdp {
            Some(offer) => {
                let limit = if kind == SessionKind::Plain {
                    1
                } else {
                    self.config.max_streams_per_session
                };
                let lines = recordable_lines(offer, limit);
                let mut port_map = vec![0u16; offer.media.len()];
                let mut need = Vec::new();
                for &i in &lines {
                    match s.ports.get(i).copied().filter(|&p| p != 0) {
                        Some(p) => {
                            if let Some(slot) = port_map.get_mut(i) {
                                *slot = p;
                            }
                        }
                        None => need.push(i),
                    }
                }
                if !need.is_empty() {
                    match ports.allocate(need.len()) {
                        Some(got) if got.len() == need.len() && !got.contains(&0) => {
                            for (i, p) in need.iter().zip(got) {
                                if let Some(slot) = port_map.get_mut(*i) {
                                    *slot = p;
                                }
                            }
                        }
                        Some(got) => {
                            ports.release(&got);
                            self.stats.ports_exhausted += 1;
                        }
                        None => self.stats.ports_exhausted += 1,
                    }
                }
                let freed: Vec<u16> = s
                    .ports
                    .iter()
                    .enumerate()
                    .filter(|&(i, &p)| p != 0 && port_map.get(i).copied() != Some(p))
                    .map(|(_, &p)| p)
                    .collect();
                if !freed.is_empty() {
                    ports.release(&freed);
                }
                s.ports = port_map;
                let cfg = |version| AnswerConfig {
                    local_ip: self.config.rtp_ip,
                    ports: &s.ports,
                    origin_username: &self.config.sdp_username,
                    session_id: s.sdp_session_id,
                    session_version: version,
                };
                let (mut answer, mut answered) = build_recvonly_answer(offer, &cfg(s.sdp_version));
                if s.last_answer.as_ref().map(|a| &a.media) != Some(&answer.media) {
                    s.sdp_version = s.sdp_version.saturating_add(1);
                    (answer, answered) = build_recvonly_answer(offer, &cfg(s.sdp_version));
                }
                let streams = stream_infos(offer, &answered);
                s.last_answer = Some(answer.clone());
                Some((answer, streams))
            }
            // A re-INVITE without SDP asks for an offer (RFC 3261 §14.2):
            // the lines the SRS records, the others disabled as they were;
            // the streams change when the answer comes in the ACK.
            None if is_invite => {
                let mut offer = build_recvonly_offer(&AnswerConfig {
                    local_ip: self.config.rtp_ip,
                    ports: &s.ports,
                    origin_username: &self.config.sdp_username,
                    session_id: s.sdp_session_id,
                    session_version: s.sdp_version,
                });
                if let Some(last) = &s.last_answer {
                    for (i, m) in offer.media.iter_mut().enumerate() {
                        if m.port == 0
                            && let Some(old) = last.media.get(i)
                        {
                            *m = old.clone();
                            m.port = 0;
                        }
                    }
                    if last.media != offer.media {
                        s.sdp_version = s.sdp_version.saturating_add(1);
                        offer.origin.iter_mut().for_each(|o| {
                            o.session_version = s.sdp_version.to_string();
                        });
                    }
                }
                s.last_answer = Some(offer.clone());
                s.pending_offer = true;
                Some((offer, s.streams.clone()))
            }
            None => None,
        };
        let mut streams = match &answer {
            Some((_, st)) => st.clone(),
            None => s.streams.clone(),
        };
        // CUBE names the recorded leg's parties again in a re-INVITE: a
        // changed name is a transfer on that leg.
        if kind == SessionKind::CiscoNbr && req.header("X-Cisco-Recording-Participant").is_some() {
            let now_named = cisco_participants(req);
            cisco_changes(&s.cisco, &now_named, &mut changes);
            s.cisco = now_named;
        }
        resolve_senders(&mut streams, new_md.as_ref(), &s.cisco);
        participant_changes(s.metadata.as_ref(), new_md.as_ref(), &mut changes);
        stream_changes(&s.streams, &streams, &mut changes);
        s.metadata = new_md;
        s.streams = streams;
        let ok = self.ok_response(req, &tag, kind, timer, answer.as_ref().map(|(a, _)| a));
        let _ = self.tx.send_response(now, &key, &ok);
        if is_invite {
            self.invites.insert(key, id);
        }
        self.arm_timer(now, id);
        let Some(s) = self.sessions.get(&id) else { return };
        if !changes.is_empty() {
            self.events.push_back(SrsEvent::SessionUpdated(SessionUpdated {
                id,
                call_id: s.call_id.clone(),
                group_key: s.group_key.clone(),
                streams: s.streams.clone(),
                metadata: s.metadata.clone(),
                changes,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_session_id_normalisation() {
        assert_eq!(
            normalise_sip_session_id("B;remote=a").as_deref(),
            normalise_sip_session_id("a;remote=b").as_deref()
        );
        assert_eq!(
            normalise_sip_session_id("ab12;remote=00000000000000000000000000000000").as_deref(),
            Some("ab12")
        );
        assert_eq!(normalise_sip_session_id("0000"), None);
    }

    #[test]
    fn session_timer_expiry_margin() {
        let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
        assert_eq!(expiry(t0, 1800).saturating_since(t0), Duration::from_secs(1768));
        assert_eq!(expiry(t0, 90).saturating_since(t0), Duration::from_secs(60));
    }
}
