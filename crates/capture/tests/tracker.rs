//! Call tracker scenarios: SIP text and RTP built with `synth`, replayed
//! through `CaptureDemux` into `CallTracker` on packet time.
//!
//! A scenario ends in [`Sim::check`]: the tracker's outputs rendered as a
//! timeline (RTP folded into one line per flow) plus its counters, compared
//! with an inline snapshot. `UPDATE_EXPECT=1 cargo test` rewrites the
//! snapshots; read the diff before committing it.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use callvault_capture::synth::{self, Encap};
use callvault_capture::tracker::{
    EndReason, FlowId, IpNet, ParticipantKey, TrackerConfig, TrackerOutput, TrackerStats,
};
use callvault_capture::{CallTracker, CaptureDemux, DemuxConfig, Timestamp};
use callvault_model::Side;
use expect_test::{Expect, expect};

fn a(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// Packet time of the first message; the timeline counts milliseconds
/// from here.
const START_MS: u64 = 1_000_000;

struct Sim {
    /// Send every SIP message twice (retransmissions).
    dup_sip: bool,
    demux: CaptureDemux,
    tracker: CallTracker,
    now_ms: u64,
    /// Outputs with the packet time (ms) at which the tracker gave them.
    out: Vec<(u64, TrackerOutput)>,
    ssrc: u32,
}

impl Sim {
    fn new() -> Self {
        Self::with(config())
    }

    fn with(config: TrackerConfig) -> Self {
        Self {
            dup_sip: false,
            demux: CaptureDemux::new(DemuxConfig::default()),
            tracker: CallTracker::new(config),
            now_ms: START_MS,
            out: Vec::new(),
            ssrc: 0xCA11_0000,
        }
    }

    fn ts(&self) -> Timestamp {
        Timestamp::from_nanos(self.now_ms * 1_000_000)
    }

    fn send(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        let (link, frame) = synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, payload));
        self.demux.push_raw(self.ts(), link, &frame);
        while let Some(ev) = self.demux.poll_event() {
            self.tracker.push(&ev);
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(o) = self.tracker.poll_output() {
            self.out.push((self.now_ms, o));
        }
    }

    fn sip(&mut self, src: &str, dst: &str, text: &str) {
        self.now_ms += 10;
        self.send(a(src), a(dst), text.as_bytes());
        if self.dup_sip {
            self.now_ms += 1;
            self.send(a(src), a(dst), text.as_bytes());
        }
    }

    /// `n` packets each way between two media addresses, 20 ms apart.
    fn rtp_both(&mut self, x: &str, y: &str, n: u16) {
        for i in 0..n {
            self.now_ms += 20;
            // sipp style: both directions share one SSRC.
            let p = synth::rtp(8, i, u32::from(i) * 160, self.ssrc, &[0xd5; 160]);
            self.send(a(x), a(y), &p);
            self.send(a(y), a(x), &p);
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now_ms += ms;
        self.tracker.poll(self.ts());
        self.drain();
    }

    fn outputs(&self) -> impl Iterator<Item = &TrackerOutput> {
        self.out.iter().map(|(_, o)| o)
    }

    /// Conversations ended so far: their call ids.
    fn ended(&self) -> Vec<Vec<String>> {
        self.outputs()
            .filter_map(|o| match o {
                TrackerOutput::ConversationEnded { call_ids, .. } => Some(call_ids.clone()),
                _ => None,
            })
            .collect()
    }

    fn check(&self, expect: Expect) {
        expect.assert_eq(&self.render());
    }

    /// The outputs as a timeline, one line per output but RTP: the packet
    /// time it carries (ms from [`START_MS`]; flows and side changes carry
    /// none and show when they were given), `(given at …)` when the tracker
    /// gave it later (a timeout), the conversation `cN` and what happened.
    /// Participants joining or leaving one conversation at one time share a
    /// line. A flow's line ends with its routed RTP: packets and first..last
    /// time per run with the same relayed flag, conversation, participant
    /// and side (the last three shown only where they differ from the
    /// flow's). Then the counters that are not zero and what the tracker
    /// still holds. A participant's display name is shown only when it is
    /// not its number.
    fn render(&self) -> String {
        let mut lines: Vec<Line> = Vec::new();
        for (given, o) in &self.out {
            let given = given - START_MS;
            let (ts, conversation, event) = match o {
                TrackerOutput::Rtp {
                    conversation, flow, participant, side, ts, relayed, ..
                } => {
                    let Some(runs) = lines.iter_mut().find_map(|l| match &mut l.event {
                        Event::Flow { id, runs, .. } if id == flow => Some(runs),
                        _ => None,
                    }) else {
                        panic!("rtp of {flow:?} before its FlowStarted");
                    };
                    let key = (conversation.0, *participant, *side, *relayed);
                    let t = ms(*ts);
                    match runs.iter_mut().find(|(k, ..)| *k == key) {
                        Some(run) => (run.1, run.3) = (run.1 + 1, t),
                        None => runs.push((key, 1, t, t)),
                    }
                    continue;
                }
                TrackerOutput::ConversationStarted { conversation, ts, call_id } => {
                    (ms(*ts), conversation.0, Event::Started(call_id.clone()))
                }
                TrackerOutput::ParticipantJoined {
                    conversation,
                    participant,
                    number,
                    display_name,
                    side,
                    ts,
                } => {
                    let name = match display_name {
                        Some(n) if n != number => format!(" {n:?}"),
                        _ => String::new(),
                    };
                    let who = format!("p{} {number}{name} {}", participant.0, side_name(*side));
                    (ms(*ts), conversation.0, Event::Joined(vec![who]))
                }
                TrackerOutput::ParticipantLeft { conversation, participant, ts } => {
                    (ms(*ts), conversation.0, Event::Left(vec![format!("p{}", participant.0)]))
                }
                TrackerOutput::ParticipantSideChanged { conversation, participant, side } => {
                    let what = format!("p{} is now {}", participant.0, side_name(*side));
                    (given, conversation.0, Event::SideChanged(what))
                }
                TrackerOutput::FlowStarted {
                    conversation,
                    flow,
                    participant,
                    side,
                    src,
                    dst,
                    call_id,
                    rtpmaps,
                } => {
                    let pts: Vec<String> =
                        rtpmaps.iter().map(|m| m.payload_type.to_string()).collect();
                    let what = format!(
                        "flow f{} p{} {} {src} > {dst} of {call_id} pt={}",
                        flow.0,
                        participant.0,
                        side_name(*side),
                        pts.join(",")
                    );
                    let key = (conversation.0, *participant, *side);
                    (given, conversation.0, Event::Flow { id: *flow, key, what, runs: Vec::new() })
                }
                TrackerOutput::Transfer {
                    conversation,
                    ts,
                    transferor,
                    transferee,
                    target,
                    replaces,
                } => {
                    let p =
                        |k: &Option<ParticipantKey>| k.map_or("?".into(), |k| format!("p{}", k.0));
                    let kind = if *replaces { "attended transfer" } else { "transfer" };
                    let what =
                        format!("{kind} by {} of {} to {target:?}", p(transferor), p(transferee));
                    (ms(*ts), conversation.0, Event::Note(what))
                }
                TrackerOutput::Hold { conversation, participant, ts, held } => {
                    let what =
                        format!("p{} {}", participant.0, if *held { "holds" } else { "resumes" });
                    (ms(*ts), conversation.0, Event::Note(what))
                }
                TrackerOutput::ConversationEnded {
                    conversation,
                    ts,
                    reason,
                    call_ids,
                    correlation,
                    participants,
                } => {
                    let reason = match reason {
                        EndReason::HungUp => "hung up",
                        EndReason::Inactive => "inactive",
                    };
                    let who: Vec<String> = participants
                        .iter()
                        .map(|p| format!("p{} {}", p.participant.0, side_name(p.side)))
                        .collect();
                    let mut what =
                        format!("ended, {reason}: {} ({})", call_ids.join(" "), who.join(", "));
                    for (header, value) in correlation {
                        write!(what, "; {header}: {value}").unwrap();
                    }
                    (ms(*ts), conversation.0, Event::Ended(what))
                }
            };
            let line = Line { ts, given, conversation, event };
            match lines.last_mut() {
                Some(last) if last.absorbs(&line) => last.event.extend(line.event),
                _ => lines.push(line),
            }
        }
        let mut out = String::new();
        for l in &lines {
            let late =
                if l.given > l.ts { format!(" (given at {})", l.given) } else { String::new() };
            writeln!(out, "{:>6}{late} c{} {}", l.ts, l.conversation, l.event).unwrap();
        }
        out.push_str(&counters(&self.tracker.stats()));
        let t = &self.tracker;
        let held = (t.dialogs(), t.conversations(), t.pairing_index_len());
        if held != (0, 0, 0) {
            writeln!(out, "held dialogs={} conversations={} pairing={}", held.0, held.1, held.2)
                .unwrap();
        }
        out
    }
}

/// One line of [`Sim::render`].
struct Line {
    ts: u64,
    given: u64,
    conversation: u64,
    event: Event,
}

impl Line {
    /// Joins or leaves in the same conversation at the same time.
    fn absorbs(&self, next: &Line) -> bool {
        (self.ts, self.given, self.conversation) == (next.ts, next.given, next.conversation)
            && matches!(
                (&self.event, &next.event),
                (Event::Joined(_), Event::Joined(_)) | (Event::Left(_), Event::Left(_))
            )
    }
}

enum Event {
    Started(String),
    Joined(Vec<String>),
    Left(Vec<String>),
    SideChanged(String),
    /// A transfer or a hold.
    Note(String),
    /// The flow, its conversation, participant and side, its description,
    /// and its RTP runs.
    Flow {
        id: FlowId,
        key: (u64, ParticipantKey, Side),
        what: String,
        runs: Vec<RtpRun>,
    },
    Ended(String),
}

/// (conversation, participant, side, relayed), packets, first and last ms.
type RtpRun = ((u64, ParticipantKey, Side, bool), usize, u64, u64);

impl Event {
    fn extend(&mut self, other: Event) {
        match (self, other) {
            (Event::Joined(a), Event::Joined(b)) | (Event::Left(a), Event::Left(b)) => a.extend(b),
            _ => unreachable!("only joins and leaves are merged"),
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Started(call_id) => write!(f, "started by {call_id}"),
            Event::Joined(who) => write!(f, "joined {}", who.join(", ")),
            Event::Left(who) => write!(f, "left {}", who.join(", ")),
            Event::SideChanged(what) | Event::Note(what) | Event::Ended(what) => f.write_str(what),
            Event::Flow { key, what, runs, .. } => {
                f.write_str(what)?;
                let runs: Vec<String> = runs
                    .iter()
                    .map(|((c, p, side, relayed), n, first, last)| {
                        let mut run = n.to_string();
                        if *relayed {
                            run.push_str(" relayed");
                        }
                        if (*c, *p, *side) != *key {
                            write!(run, " as c{c} p{} {}", p.0, side_name(*side)).unwrap();
                        }
                        format!("{run} in {first}..{last}")
                    })
                    .collect();
                if runs.is_empty() { Ok(()) } else { write!(f, ": {}", runs.join(", ")) }
            }
        }
    }
}

fn ms(ts: Timestamp) -> u64 {
    ts.as_nanos() / 1_000_000 - START_MS
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Company => "company",
        Side::External => "external",
        Side::Unknown => "unknown",
    }
}

/// The counters that are not zero, a few to a line.
fn counters(s: &TrackerStats) -> String {
    let all = [
        ("sip_unparsable", s.sip_unparsable),
        ("dialogs_created", s.dialogs_created),
        ("retransmissions", s.retransmissions),
        ("evicted", s.evicted),
        ("overload_dropped", s.overload_dropped),
        ("unanswered_timeouts", s.unanswered_timeouts),
        ("inactive_timeouts", s.inactive_timeouts),
        ("reinvites", s.reinvites),
        ("forked_answers", s.forked_answers),
        ("transfers_linked", s.transfers_linked),
        ("replaces_linked", s.replaces_linked),
        ("correlation_linked", s.correlation_linked),
        ("b2bua_paired", s.b2bua_paired),
        ("b2bua_ambiguous", s.b2bua_ambiguous),
        ("rtp_routed", s.rtp_routed),
        ("rtp_unmatched", s.rtp_unmatched),
        ("rtp_unanswered", s.rtp_unanswered),
        ("rtp_relayed", s.rtp_relayed),
        ("addresses_learnt", s.addresses_learnt),
    ];
    let mut out = String::new();
    let mut line = String::from("stats");
    for (name, n) in all.into_iter().filter(|(_, n)| *n != 0) {
        if line.len() > 70 {
            writeln!(out, "{line}").unwrap();
            line = String::from("     ");
        }
        write!(line, " {name}={n}").unwrap();
    }
    writeln!(out, "{line}").unwrap();
    out
}

fn config() -> TrackerConfig {
    TrackerConfig {
        company_networks: vec![IpNet::parse("10.0.0.0/8").expect("cidr")],
        sip_timeout: Duration::from_secs(32),
        rtp_timeout: Duration::from_secs(60),
        ..TrackerConfig::default()
    }
}

fn sdp(media: &str, dir: &str) -> String {
    let m = a(media);
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na={dir}\r\n",
        ip = m.ip(),
        port = m.port()
    )
}

/// One SIP message; `headers` are complete lines; `body` is SDP or empty.
fn msg(start: &str, headers: &[String], body: &str) -> String {
    let mut s = format!("{start}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    if !body.is_empty() {
        s.push_str("Content-Type: application/sdp\r\n");
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s
}

/// A dialog between two user agents, able to write its messages.
struct Leg {
    call_id: String,
    caller: (String, String, String),
    callee: (String, String, String),
    to_tag: String,
}

impl Leg {
    /// `caller`/`callee`: (number, signalling address, tag).
    fn new(call_id: &str, caller: (&str, &str), callee: (&str, &str)) -> Leg {
        Leg {
            call_id: call_id.into(),
            caller: (caller.0.into(), caller.1.into(), format!("{call_id}-a")),
            callee: (callee.0.into(), callee.1.into(), String::new()),
            to_tag: format!("{call_id}-b"),
        }
    }

    fn base(&self, from_caller: bool, cseq: &str, with_to_tag: bool) -> Vec<String> {
        let (f, t) =
            if from_caller { (&self.caller, &self.callee) } else { (&self.callee, &self.caller) };
        let ftag = if from_caller { self.caller.2.clone() } else { self.to_tag.clone() };
        let ttag = if from_caller { self.to_tag.clone() } else { self.caller.2.clone() };
        let mut to = format!("To: <sip:{}@{}>", t.0, t.1);
        if with_to_tag {
            to.push_str(&format!(";tag={ttag}"));
        }
        vec![
            format!(
                "Via: SIP/2.0/UDP {};branch=z9hG4bK-{}-{}",
                f.1,
                self.call_id,
                cseq.replace(' ', "")
            ),
            format!("From: \"{}\" <sip:{}@{}>;tag={ftag}", f.0, f.0, f.1),
            to,
            format!("Call-ID: {}", self.call_id),
            format!("CSeq: {cseq}"),
            format!("Contact: <sip:{}@{}>", f.0, f.1),
            "Max-Forwards: 70".into(),
        ]
    }

    fn invite(&self, media: &str, extra: &[String]) -> String {
        let mut h = self.base(true, "1 INVITE", false);
        h.extend_from_slice(extra);
        msg(
            &format!("INVITE sip:{}@{} SIP/2.0", self.callee.0, self.callee.1),
            &h,
            &sdp(media, "sendrecv"),
        )
    }

    fn response(&self, code: u16, reason: &str, cseq: &str, media: Option<&str>) -> String {
        // Responses echo the request's From/To: requests here go caller → callee
        // unless the method says otherwise (see `response_from_caller`).
        let h = self.base(true, cseq, code > 100);
        let body = media.map(|m| sdp(m, "sendrecv")).unwrap_or_default();
        msg(&format!("SIP/2.0 {code} {reason}"), &h, &body)
    }

    /// A response to a request the callee sent (BYE, REFER from the callee).
    fn response_from_caller(&self, code: u16, cseq: &str) -> String {
        msg(&format!("SIP/2.0 {code} OK"), &self.base(false, cseq, true), "")
    }

    fn ack(&self) -> String {
        msg(
            &format!("ACK sip:{}@{} SIP/2.0", self.callee.0, self.callee.1),
            &self.base(true, "1 ACK", true),
            "",
        )
    }

    fn request(
        &self,
        from_caller: bool,
        method: &str,
        cseq: u32,
        extra: &[String],
        body: &str,
    ) -> String {
        let mut h = self.base(from_caller, &format!("{cseq} {method}"), true);
        h.extend_from_slice(extra);
        let target = if from_caller { &self.callee } else { &self.caller };
        msg(&format!("{method} sip:{}@{} SIP/2.0", target.0, target.1), &h, body)
    }

    /// The caller's re-INVITE (`media`, `dir`), the callee's 200 with
    /// `callee_media`, the ACK.
    fn reinvite(&self, sim: &mut Sim, cseq: u32, media: &str, dir: &str, callee_media: &str) {
        let (c, d) = (self.caller.1.as_str(), self.callee.1.as_str());
        let invite = format!("{cseq} INVITE");
        sim.sip(c, d, &self.request(true, "INVITE", cseq, &[], &sdp(media, dir)));
        sim.sip(d, c, &self.response(200, "OK", &invite, Some(callee_media)));
        sim.sip(c, d, &self.ack().replace("1 ACK", &format!("{cseq} ACK")));
    }

    /// The caller sends the INVITE.
    fn send_invite(&self, sim: &mut Sim, media: &str, extra: &[String]) {
        sim.sip(&self.caller.1, &self.callee.1, &self.invite(media, extra));
    }

    /// The callee responds to the INVITE (with SDP for `media`).
    fn reply(&self, sim: &mut Sim, code: u16, reason: &str, media: Option<&str>) {
        sim.sip(&self.callee.1, &self.caller.1, &self.response(code, reason, "1 INVITE", media));
    }

    /// The callee's 200 with SDP for `media`, then the caller's ACK.
    fn answer(&self, sim: &mut Sim, media: &str) {
        self.reply(sim, 200, "OK", Some(media));
        sim.sip(&self.caller.1, &self.callee.1, &self.ack());
    }

    /// The caller gives up ringing.
    fn cancel(&self, sim: &mut Sim) {
        let cancel = format!("CANCEL sip:{}@{} SIP/2.0", self.callee.0, self.callee.1);
        sim.sip(
            &self.caller.1,
            &self.callee.1,
            &msg(&cancel, &self.base(true, "1 CANCEL", false), ""),
        );
    }

    /// The callee transfers the caller: a REFER with `headers` (Refer-To...).
    fn refer(&self, sim: &mut Sim, headers: &[String]) {
        sim.sip(&self.callee.1, &self.caller.1, &self.request(false, "REFER", 1, headers, ""));
    }

    /// INVITE, 100, 180, 200 with SDP, ACK.
    fn setup(&self, sim: &mut Sim, caller_media: &str, callee_media: &str, extra: &[String]) {
        self.send_invite(sim, caller_media, extra);
        self.reply(sim, 100, "Trying", None);
        self.reply(sim, 180, "Ringing", None);
        self.answer(sim, callee_media);
    }

    fn bye(&self, sim: &mut Sim, from_caller: bool, cseq: u32) {
        let (c, d) = (self.caller.1.as_str(), self.callee.1.as_str());
        if from_caller {
            sim.sip(c, d, &self.request(true, "BYE", cseq, &[], ""));
            sim.sip(d, c, &self.response(200, "OK", &format!("{cseq} BYE"), None));
        } else {
            sim.sip(d, c, &self.request(false, "BYE", cseq, &[], ""));
            sim.sip(c, d, &self.response_from_caller(200, &format!("{cseq} BYE")));
        }
    }
}

const EXT: &str = "203.0.113.10:5060";
const EXT_MEDIA: &str = "203.0.113.10:20000";
const SEC: &str = "10.0.0.20:5060";
const SEC_MEDIA: &str = "10.0.0.20:30000";
const COL: &str = "10.0.0.30:5060";
const COL_MEDIA: &str = "10.0.0.30:32000";

#[test]
fn basic_call_one_conversation_two_sides() {
    let mut sim = Sim::new();
    let leg = Leg::new("basic-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 50);
    leg.bye(&mut sim, true, 2);
    // One flow per direction although the SSRC is shared.
    sim.check(expect![[r#"
            40 c1 started by basic-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of basic-1 pt=8,101: 50 in 70..1050
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of basic-1 pt=8,101: 50 in 70..1050
          1060 c1 left p1, p2
          1060 c1 ended, hung up: basic-1 (p1 external, p2 company)
        stats dialogs_created=1 rtp_routed=100
    "#]]);
}

#[test]
fn retransmissions_do_not_make_a_second_dialog() {
    let mut sim = Sim::new();
    let leg = Leg::new("retx-1", ("15551230000", EXT), ("100", SEC));
    leg.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg.reply(&mut sim, 200, "OK", Some(SEC_MEDIA));
    leg.answer(&mut sim, SEC_MEDIA);
    // A retransmitted INVITE after the call ended does not revive it.
    leg.bye(&mut sim, true, 2);
    leg.send_invite(&mut sim, EXT_MEDIA, &[]);
    sim.check(expect![[r#"
            30 c1 started by retx-1
            30 c1 joined p1 15551230000 external, p2 100 company
            60 c1 left p1, p2
            60 c1 ended, hung up: retx-1 (p1 external, p2 company)
        stats dialogs_created=1 retransmissions=3
    "#]]);
}

#[test]
fn early_media_and_forked_provisionals_before_answer() {
    let mut sim = Sim::new();
    let leg = Leg::new("fork-1", ("15551230000", EXT), ("100", SEC));
    leg.send_invite(&mut sim, EXT_MEDIA, &[]);
    // Two forks ring; the second sends early media.
    let mut other = leg.response(180, "Ringing", "1 INVITE", None);
    other = other.replace("fork-1-b", "fork-1-x");
    sim.sip(SEC, EXT, &other);
    leg.reply(&mut sim, 183, "Session Progress", Some(SEC_MEDIA));
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    leg.reply(&mut sim, 200, "OK", Some(SEC_MEDIA));
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    // The early media is counted, not routed: the conversation starts at the 200.
    sim.check(expect![[r#"
           140 c1 started by fork-1
           140 c1 joined p1 15551230000 external, p2 100 company
           160 c1 flow f11 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of fork-1 pt=8,101: 5 in 160..240
           160 c1 flow f12 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of fork-1 pt=8,101: 5 in 160..240
        stats dialogs_created=1 rtp_routed=10 rtp_unanswered=10
        held dialogs=1 conversations=1 pairing=2
    "#]]);
}

#[test]
fn blind_transfer_is_one_conversation_with_three_participants() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("blind-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 20);
    // The secretary (callee) transfers the caller to extension 200.
    leg1.refer(
        &mut sim,
        &[format!("Refer-To: <sip:200@{COL}>"), format!("Referred-By: <sip:100@{SEC}>")],
    );
    sim.sip(EXT, SEC, &leg1.response_from_caller(202, "1 REFER"));
    // The caller's new INVITE to the target (sipp keeps its media port).
    let leg2 = Leg::new("blind-2", ("15551230000", EXT), ("200", COL));
    leg2.send_invite(&mut sim, EXT_MEDIA, &[format!("Referred-By: <sip:100@{SEC}>")]);
    // The secretary hangs up while the colleague still rings.
    leg1.bye(&mut sim, false, 2);
    leg2.answer(&mut sim, COL_MEDIA);
    sim.rtp_both(EXT_MEDIA, COL_MEDIA, 20);
    leg2.bye(&mut sim, true, 2);
    // The caller joins once; the secretary leaves before the colleague joins.
    sim.check(expect![[r#"
            40 c1 started by blind-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of blind-1 pt=8,101: 20 in 70..450
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of blind-1 pt=8,101: 20 in 70..450
           460 c1 transfer by p2 of p1 to "200"
           490 c1 left p2
           510 c1 joined p3 200 company
           540 c1 flow f3 p1 external 203.0.113.10:20000 > 10.0.0.30:32000 of blind-2 pt=8,101: 20 in 540..920
           540 c1 flow f4 p3 company 10.0.0.30:32000 > 203.0.113.10:20000 of blind-2 pt=8,101: 20 in 540..920
           930 c1 left p1, p3
           930 c1 ended, hung up: blind-1 blind-2 (p1 external, p2 company, p3 company)
        stats dialogs_created=2 transfers_linked=1 rtp_routed=80
    "#]]);
}

#[test]
fn attended_transfer_with_replaces_stays_in_the_callers_conversation() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("att-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
    // Consultation: the secretary calls the colleague (its own conversation).
    let consult = Leg::new("att-2", ("100", SEC), ("200", COL));
    consult.setup(&mut sim, "10.0.0.20:30010", COL_MEDIA, &[]);
    let refer_to =
        format!("Refer-To: <sip:200@{COL}?Replaces=att-2%3Bto-tag%3Datt-2-b%3Bfrom-tag%3Datt-2-a>");
    leg1.refer(&mut sim, &[refer_to]);
    let leg3 = Leg::new("att-3", ("15551230000", EXT), ("200", COL));
    leg3.send_invite(
        &mut sim,
        "203.0.113.10:20002",
        &["Replaces: att-2;to-tag=att-2-b;from-tag=att-2-a".into()],
    );
    leg3.answer(&mut sim, "10.0.0.30:32002");
    consult.bye(&mut sim, false, 2);
    leg1.bye(&mut sim, false, 2);
    sim.rtp_both("203.0.113.10:20002", "10.0.0.30:32002", 10);
    leg3.bye(&mut sim, true, 2);
    // The colleague's audio after the transfer is in the caller's conversation.
    sim.check(expect![[r#"
            40 c1 started by att-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of att-1 pt=8,101: 10 in 70..250
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of att-1 pt=8,101: 10 in 70..250
           290 c2 started by att-2
           290 c2 joined p3 100 company, p4 200 company
           310 c1 attended transfer by p2 of p1 to "200"
           330 c1 joined p5 200 company
           350 c2 left p3, p4
           350 c2 ended, hung up: att-2 (p3 company, p4 company)
           370 c1 left p2
           400 c1 flow f3 p1 external 203.0.113.10:20002 > 10.0.0.30:32002 of att-3 pt=8,101: 10 in 400..580
           400 c1 flow f4 p5 company 10.0.0.30:32002 > 203.0.113.10:20002 of att-3 pt=8,101: 10 in 400..580
           590 c1 left p1, p5
           590 c1 ended, hung up: att-1 att-3 (p1 external, p2 company, p5 company)
        stats dialogs_created=3 replaces_linked=1 rtp_routed=40
    "#]]);
}

#[test]
fn b2bua_legs_sharing_a_correlation_header_are_one_conversation() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("b2b-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("b2b-b", ("15551230000", PBX), ("201", SEC));
    let sid_a =
        "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000"
            .to_string();
    let sid_b =
        "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"
            .to_string();
    // The PBX rings the agent at once; the agent answers first.
    b2b_call(&mut sim, &leg_a, &leg_b, (&[sid_a], &[sid_b]), 0);
    // The header links them, not the heuristic. The PBX's copies of each
    // voice are flagged relayed, the caller's and the agent's own are not.
    // Note f3: its FlowStarted gives the side of the leg-B party (company)
    // while its RTP, like the participant since 80 ms, says external.
    sim.check(expect![[r#"
            60 c1 started by b2b-b
            60 c1 joined p1 15551230000 company, p2 201 company
            80 c1 p1 is now external
            80 c1 joined p3 8005550100 company
           110 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of b2b-a pt=8,101: 10 in 110..290
           110 c1 flow f2 p3 company 10.0.0.1:40000 > 203.0.113.10:20000 of b2b-a pt=8,101: 10 relayed in 110..290
           310 c1 flow f3 p1 external 10.0.0.1:40002 > 10.0.0.20:30000 of b2b-b pt=8,101: 10 relayed in 310..490
           310 c1 flow f4 p2 company 10.0.0.20:30000 > 10.0.0.1:40002 of b2b-b pt=8,101: 10 in 310..490
           500 c1 left p2
           520 c1 left p1, p3
           520 c1 ended, hung up: b2b-b b2b-a (p1 external, p2 company, p3 company); Session-ID: ab30317f1a784dc48ff824d0d3715d86
        stats dialogs_created=2 correlation_linked=1 rtp_routed=40 rtp_relayed=20
    "#]]);
}

#[test]
fn hold_and_resume_on_a_new_port() {
    let mut sim = Sim::new();
    let leg = Leg::new("hold-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
    leg.reinvite(&mut sim, 2, EXT_MEDIA, "sendonly", SEC_MEDIA);
    // Resume on a new port.
    leg.reinvite(&mut sim, 3, "203.0.113.10:20004", "sendrecv", SEC_MEDIA);
    // A stale packet to the old port is no longer routed (rtp_unmatched).
    sim.now_ms += 20;
    sim.send(a(SEC_MEDIA), a(EXT_MEDIA), &synth::rtp(8, 99, 0, 1, &[0xd5; 160]));
    sim.rtp_both("203.0.113.10:20004", SEC_MEDIA, 10);
    leg.bye(&mut sim, true, 4);
    sim.check(expect![[r#"
            40 c1 started by hold-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of hold-1 pt=8,101: 10 in 70..250
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of hold-1 pt=8,101: 10 in 70..250
           260 c1 p1 holds
           290 c1 p1 resumes
           350 c1 flow f3 p1 external 203.0.113.10:20004 > 10.0.0.20:30000 of hold-1 pt=8,101: 10 in 350..530
           350 c1 flow f4 p2 company 10.0.0.20:30000 > 203.0.113.10:20004 of hold-1 pt=8,101: 10 in 350..530
           540 c1 left p1, p2
           540 c1 ended, hung up: hold-1 (p1 external, p2 company)
        stats dialogs_created=1 reinvites=2 rtp_routed=40 rtp_unmatched=1
    "#]]);
}

#[test]
fn nat_source_is_learnt_for_the_return_direction() {
    let mut sim = Sim::new();
    let leg = Leg::new("nat-1", ("15551230000", EXT), ("100", SEC));
    // The caller advertises a private address; its packets come from the NAT.
    leg.setup(&mut sim, "192.168.1.5:4000", SEC_MEDIA, &[]);
    sim.rtp_both("198.51.100.7:61000", SEC_MEDIA, 10);
    sim.check(expect![[r#"
            40 c1 started by nat-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 198.51.100.7:61000 > 10.0.0.20:30000 of nat-1 pt=8,101: 10 in 70..250
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 198.51.100.7:61000 of nat-1 pt=8,101: 10 in 70..250
        stats dialogs_created=1 rtp_routed=20 addresses_learnt=1
        held dialogs=1 conversations=1 pairing=2
    "#]]);
}

/// Not after 30 s, but after 60 s without packets; the conversation ends
/// at its last packet, not at the sweep that finds it idle.
#[test]
fn call_without_bye_ends_after_inactivity() {
    let mut sim = Sim::new();
    let leg = Leg::new("lost-bye", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
    sim.advance(30_000);
    sim.advance(31_000);
    sim.check(expect![[r#"
            40 c1 started by lost-bye
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of lost-bye pt=8,101: 10 in 70..250
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of lost-bye pt=8,101: 10 in 70..250
           250 (given at 61250) c1 left p1, p2
           250 (given at 61250) c1 ended, inactive: lost-bye (p1 external, p2 company)
        stats dialogs_created=1 inactive_timeouts=1 rtp_routed=20
    "#]]);
}

#[test]
fn invite_flood_stays_bounded() {
    let mut sim = Sim::with(TrackerConfig { max_dialogs: 100, ..config() });
    for i in 0..1000 {
        let leg = Leg::new(&format!("flood-{i}"), ("666", "198.51.100.66:5060"), ("100", SEC));
        leg.send_invite(&mut sim, "198.51.100.66:7000", &[]);
        assert!(sim.tracker.dialogs() <= 100);
    }
    assert_eq!(sim.tracker.stats().evicted, 900);
    // A real call still goes through (evicting one more).
    let leg = Leg::new("real-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 3);
    // The rest time out.
    sim.advance(40_000);
    sim.check(expect![[r#"
         10040 c1 started by real-1
         10040 c1 joined p1 15551230000 external, p2 100 company
         10070 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of real-1 pt=8,101: 3 in 10070..10110
         10070 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of real-1 pt=8,101: 3 in 10070..10110
        stats dialogs_created=1001 evicted=901 unanswered_timeouts=99 rtp_routed=6
        held dialogs=1 conversations=1 pairing=2
    "#]]);
}

#[test]
fn cancelled_and_rejected_invites_leave_nothing() {
    let mut sim = Sim::new();
    let leg = Leg::new("cancel-1", ("15551230000", EXT), ("100", SEC));
    leg.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg.cancel(&mut sim);
    let leg2 = Leg::new("busy-1", ("15551230000", EXT), ("100", SEC));
    leg2.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg2.reply(&mut sim, 486, "Busy Here", None);
    sim.check(expect![[r#"
        stats dialogs_created=2
    "#]]);
}

fn ms_total(tl: &callvault_media::ClosedTimeline) -> i64 {
    tl.duration_ms() as i64
}

/// Tracker outputs driving a `callvault_media::Recorder`, as the server
/// will: the blind transfer ends as one recording with three participants,
/// the caller's audio on the external side throughout.
#[test]
fn blind_transfer_drives_one_recording() {
    use std::collections::HashMap;

    use callvault_media::spool::SpoolConfig;
    use callvault_media::{Codec, FlowKey, PayloadMap, Recorder, RecorderConfig};
    use callvault_model::{ConversationId, ParticipantId};

    let mut sim = Sim::new();
    let leg1 = Leg::new("rec-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 100);
    leg1.refer(&mut sim, &[format!("Refer-To: <sip:200@{COL}>")]);
    leg1.bye(&mut sim, false, 2);
    let leg2 = Leg::new("rec-2", ("15551230000", EXT), ("200", COL));
    leg2.setup(&mut sim, EXT_MEDIA, COL_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, COL_MEDIA, 100);
    leg2.bye(&mut sim, true, 2);

    let dir = tempfile::tempdir().expect("tempdir");
    let mut rec: Option<Recorder> = None;
    let mut ids: HashMap<ParticipantKey, ParticipantId> = HashMap::new();
    let mut timeline = None;
    let mut routed = 0u64;
    let mut left_events = 0;
    for (_, o) in std::mem::take(&mut sim.out) {
        match o {
            TrackerOutput::ConversationStarted { ts, .. } => {
                let config = RecorderConfig {
                    spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() },
                    ..RecorderConfig::default()
                };
                rec = Some(Recorder::new(config, ConversationId::new(), ts).expect("spool"));
            }
            TrackerOutput::ParticipantJoined { participant, number, side, ts, .. } => {
                let id = *ids.entry(participant).or_default();
                rec.as_mut().expect("started").participant_joined(ts, id, side, &number);
            }
            TrackerOutput::ParticipantLeft { participant, ts, .. } => {
                left_events += 1;
                let id = ids[&participant];
                rec.as_mut().expect("started").participant_left(ts, id);
            }
            TrackerOutput::FlowStarted { flow, participant, side, rtpmaps, .. } => {
                let mut payloads = PayloadMap::default();
                for m in &rtpmaps {
                    let ch = m.channels.unwrap_or(1);
                    if let Some(c) = Codec::from_rtpmap(&m.encoding, m.clock_rate, ch) {
                        payloads.set(m.payload_type, c);
                    }
                }
                let r = rec.as_mut().expect("started");
                r.attach_flow(FlowKey(flow.0), ids[&participant], side, payloads);
            }
            TrackerOutput::Rtp { flow, ts, payload, .. } => {
                routed += 1;
                let r = rec.as_mut().expect("started");
                r.on_rtp(ts, FlowKey(flow.0), &payload);
                r.poll(ts).expect("spool write");
            }
            TrackerOutput::ConversationEnded { ts, .. } => {
                let r = rec.take().expect("started");
                assert_eq!(r.stats().audio_packets, routed);
                timeline = Some(r.close(ts).expect("close"));
            }
            TrackerOutput::ParticipantSideChanged { .. }
            | TrackerOutput::Transfer { .. }
            | TrackerOutput::Hold { .. } => {}
        }
    }
    let tl = timeline.expect("conversation ended");
    let caller = tl.participants.iter().find(|p| p.label == "15551230000").expect("caller");
    assert!(caller.joined_ms.expect("joined") <= 0, "{caller:?}");
    assert!(caller.left_ms.expect("left") > ms_total(&tl) - 100, "{caller:?}");
    assert_eq!(routed, 400);
    assert_eq!(tl.participants.len(), 3);
    // About 2 × 100 packets of 20 ms plus signalling.
    let ms = tl.duration_ms();
    assert!((4000..4500).contains(&ms), "{ms}");
    let sides: Vec<Side> = tl.streams.iter().map(|s| s.side).collect();
    assert_eq!(sides.iter().filter(|s| **s == Side::External).count(), 2, "{sides:?}");
    assert_eq!(sides.iter().filter(|s| **s == Side::Company).count(), 2, "{sides:?}");
    let secretary = tl.participants.iter().find(|p| p.label == "100").expect("secretary");
    let colleague = tl.participants.iter().find(|p| p.label == "200").expect("colleague");
    let (left, joined) = (secretary.left_ms.expect("left"), colleague.joined_ms.expect("joined"));
    assert_eq!(
        left_events, 3,
        "the caller left once, at the end, though the secretary hung up first"
    );
    assert!(left <= joined && joined < ms as i64, "{left} {joined}");
}

/// The blind transfer with every SIP message retransmitted once gives the
/// same conversations, participants and routing as without; only the
/// counters and the times (1 ms per copy) differ.
#[test]
fn duplicated_sip_changes_nothing() {
    fn run(dup: bool) -> Sim {
        let mut sim = Sim::new();
        sim.dup_sip = dup;
        let leg1 = Leg::new("dup-1", ("15551230000", EXT), ("100", SEC));
        leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
        sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
        leg1.refer(&mut sim, &[format!("Refer-To: <sip:200@{COL}>")]);
        let leg2 = Leg::new("dup-2", ("15551230000", EXT), ("200", COL));
        leg2.setup(&mut sim, EXT_MEDIA, COL_MEDIA, &[]);
        leg1.bye(&mut sim, false, 2);
        sim.rtp_both(EXT_MEDIA, COL_MEDIA, 10);
        leg2.bye(&mut sim, true, 2);
        sim
    }
    /// What happened, in order, without times and RTP.
    fn kinds(sim: &Sim) -> Vec<String> {
        let events = sim.outputs().filter(|o| !matches!(o, TrackerOutput::Rtp { .. }));
        events.map(|o| format!("{o:?}").split([' ', '{']).next().unwrap_or("").to_owned()).collect()
    }
    let (once, twice) = (run(false), run(true));
    assert_eq!(kinds(&twice), kinds(&once));
    assert_eq!(twice.ended(), once.ended());
    assert_eq!(twice.tracker.stats().rtp_routed, once.tracker.stats().rtp_routed);
    once.check(expect![[r#"
            40 c1 started by dup-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of dup-1 pt=8,101: 10 in 70..250
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of dup-1 pt=8,101: 10 in 70..250
           260 c1 transfer by p2 of p1 to "200"
           300 c1 joined p3 200 company
           320 c1 left p2
           350 c1 flow f3 p1 external 203.0.113.10:20000 > 10.0.0.30:32000 of dup-2 pt=8,101: 10 in 350..530
           350 c1 flow f4 p3 company 10.0.0.30:32000 > 203.0.113.10:20000 of dup-2 pt=8,101: 10 in 350..530
           540 c1 left p1, p3
           540 c1 ended, hung up: dup-1 dup-2 (p1 external, p2 company, p3 company)
        stats dialogs_created=2 transfers_linked=1 rtp_routed=40
    "#]]);
}

/// A REFER whose INVITE never comes keeps the conversation open until
/// `sip_timeout`, then it ends at its last hang-up.
#[test]
fn transfer_that_never_happens_ends_at_the_hang_up() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("norefer-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    leg1.refer(&mut sim, &[format!("Refer-To: <sip:200@{COL}>")]);
    leg1.bye(&mut sim, false, 2);
    sim.advance(40_000);
    sim.check(expect![[r#"
            40 c1 started by norefer-1
            40 c1 joined p1 15551230000 external, p2 100 company
            60 c1 transfer by p2 of p1 to "200"
            70 c1 left p2
            70 (given at 40080) c1 left p1
            70 (given at 40080) c1 ended, hung up: norefer-1 (p1 external, p2 company)
        stats dialogs_created=1
    "#]]);
}

/// The callee's own CSeq space starts at 1 too: its re-INVITE with CSeq 1
/// (new port) is not taken for a retransmission of the caller's INVITE.
#[test]
fn callee_reinvite_with_its_own_cseq_moves_its_port() {
    let mut sim = Sim::new();
    let leg = Leg::new("cre-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    sim.sip(SEC, EXT, &leg.request(false, "INVITE", 1, &[], &sdp("10.0.0.20:30002", "sendrecv")));
    let ok = msg("SIP/2.0 200 OK", &leg.base(false, "1 INVITE", true), &sdp(EXT_MEDIA, "sendrecv"));
    sim.sip(EXT, SEC, &ok);
    sim.rtp_both(EXT_MEDIA, "10.0.0.20:30002", 5);
    leg.bye(&mut sim, true, 2);
    sim.check(expect![[r#"
            40 c1 started by cre-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of cre-1 pt=8,101: 5 in 70..150
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of cre-1 pt=8,101: 5 in 70..150
           190 c1 flow f3 p1 external 203.0.113.10:20000 > 10.0.0.20:30002 of cre-1 pt=8,101: 5 in 190..270
           190 c1 flow f4 p2 company 10.0.0.20:30002 > 203.0.113.10:20000 of cre-1 pt=8,101: 5 in 190..270
           280 c1 left p1, p2
           280 c1 ended, hung up: cre-1 (p1 external, p2 company)
        stats dialogs_created=1 reinvites=1 rtp_routed=20
    "#]]);
}

/// End of a capture file: `finish` closes every live call at its last
/// packet; a second call still ringing is simply forgotten.
#[test]
fn finish_closes_live_calls() {
    let mut sim = Sim::new();
    let leg = Leg::new("eof-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    let ringing = Leg::new("eof-2", ("15551239999", EXT), ("101", SEC));
    ringing.send_invite(&mut sim, "203.0.113.10:20010", &[]);
    sim.tracker.finish(sim.ts());
    sim.drain();
    sim.check(expect![[r#"
            40 c1 started by eof-1
            40 c1 joined p1 15551230000 external, p2 100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.20:30000 of eof-1 pt=8,101: 5 in 70..150
            70 c1 flow f2 p2 company 10.0.0.20:30000 > 203.0.113.10:20000 of eof-1 pt=8,101: 5 in 70..150
           150 (given at 160) c1 left p1, p2
           150 (given at 160) c1 ended, inactive: eof-1 (p1 external, p2 company)
        stats dialogs_created=2 rtp_routed=10
    "#]]);
}

// B2BUA legs without a shared header: paired by address, numbers and time.

const PBX: &str = "10.0.0.1:5060";
const PBX_A_MEDIA: &str = "10.0.0.1:40000";
const PBX_B_MEDIA: &str = "10.0.0.1:40002";

/// One call through a B2BUA: leg A (caller → PBX) rings, `gap_ms` later
/// the PBX sends leg B's INVITE (from `b.caller.1`); B is answered, then A;
/// 10 packets each way on each leg; B hangs up, then A.
fn b2b_call(sim: &mut Sim, a: &Leg, b: &Leg, extra: (&[String], &[String]), gap_ms: u64) {
    a.send_invite(sim, EXT_MEDIA, extra.0);
    a.reply(sim, 100, "Trying", None);
    sim.advance(gap_ms);
    b.setup(sim, PBX_B_MEDIA, SEC_MEDIA, extra.1);
    a.answer(sim, PBX_A_MEDIA);
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 10);
    b.bye(sim, false, 2);
    a.bye(sim, false, 2);
}

/// The PBX's copies (towards the caller on A, towards the agent on B) are
/// flagged relayed; the caller's and the agent's own packets are not.
#[test]
fn b2bua_legs_without_a_header_pair_into_one_conversation() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("pair-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("pair-b", ("15551230000", PBX), ("201", SEC));
    b2b_call(&mut sim, &leg_a, &leg_b, (&[], &[]), 300);
    sim.check(expect![[r#"
           360 c1 started by pair-b
           360 c1 joined p1 15551230000 company, p2 201 company
           380 c1 p1 is now external
           380 c1 joined p3 8005550100 company
           410 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of pair-a pt=8,101: 10 in 410..590
           410 c1 flow f2 p3 company 10.0.0.1:40000 > 203.0.113.10:20000 of pair-a pt=8,101: 10 relayed in 410..590
           610 c1 flow f3 p1 external 10.0.0.1:40002 > 10.0.0.20:30000 of pair-b pt=8,101: 10 relayed in 610..790
           610 c1 flow f4 p2 company 10.0.0.20:30000 > 10.0.0.1:40002 of pair-b pt=8,101: 10 in 610..790
           800 c1 left p2
           820 c1 left p1, p3
           820 c1 ended, hung up: pair-b pair-a (p1 external, p2 company, p3 company)
        stats dialogs_created=2 b2bua_paired=1 rtp_routed=40 rtp_relayed=20
    "#]]);
}

/// Which INVITEs pair: one case per rule, each run through `b2b_call`;
/// the snapshot has a line per case: paired (one conversation) or not (two).
#[test]
fn b2bua_pairing_rules() {
    struct Case {
        name: &'static str,
        /// Leg A: From user, To user.
        a: (&'static str, &'static str),
        /// Leg B: signalling source, From user, To user.
        b: (&'static str, &'static str, &'static str),
        a_extra: &'static [&'static str],
        b_extra: &'static [&'static str],
        gap_ms: u64,
        window: Option<Duration>,
    }
    let base = Case {
        name: "",
        a: ("15551230000", "8005550100"),
        b: (PBX, "15551230000", "201"),
        a_extra: &[],
        b_extra: &[],
        gap_ms: 300,
        window: Some(Duration::from_secs(10)),
    };
    let cases = [
        Case { name: "caller passed through", ..base },
        Case {
            name: "E.164 and national forms",
            a: ("+15551230000", "8005550100"),
            b: (PBX, "5551230000", "201"),
            ..base
        },
        Case { name: "visual separators", b: (PBX, "1-555-123-0000", "201"), ..base },
        Case {
            name: "caller only in P-Asserted-Identity",
            b: (PBX, "anonymous", "201"),
            b_extra: &["P-Asserted-Identity: <sip:+15551230000@10.0.0.1>"],
            ..base
        },
        Case {
            name: "leg A's P-Asserted-Identity",
            a: ("anonymous", "8005550100"),
            a_extra: &["P-Asserted-Identity: \"X\" <tel:+15551230000>"],
            ..base
        },
        Case {
            name: "dialled number forwarded to a trunk",
            a: ("201", "15559870000"),
            b: (PBX, "8005550100", "15559870000"),
            ..base
        },
        Case { name: "numbers differ", b: (PBX, "15551239999", "201"), ..base },
        Case {
            name: "short numbers compare exactly",
            a: ("1230000", "8005550100"),
            b: (PBX, "51230000", "201"),
            ..base
        },
        Case {
            name: "anonymous callers never pair",
            a: ("anonymous", "8005550100"),
            b: (PBX, "anonymous", "201"),
            ..base
        },
        Case { name: "outside the window", gap_ms: 10_500, ..base },
        Case {
            name: "inside a longer window",
            gap_ms: 10_500,
            window: Some(Duration::from_secs(20)),
            ..base
        },
        Case { name: "window disabled", window: None, ..base },
        Case { name: "zero window disables", window: Some(Duration::ZERO), ..base },
        Case {
            name: "source is not leg A's destination",
            b: ("10.0.0.2:5060", "15551230000", "201"),
            ..base
        },
        Case {
            name: "different correlation values",
            a_extra: &["X-Linkedid: 1.1"],
            b_extra: &["X-Linkedid: 1.2"],
            ..base
        },
        Case { name: "header on one leg only", b_extra: &["X-Linkedid: 1.2"], ..base },
    ];
    let mut rules = String::new();
    for c in cases {
        let mut sim = Sim::with(TrackerConfig { b2bua_window: c.window, ..config() });
        let leg_a = Leg::new("rule-a", (c.a.0, EXT), (c.a.1, PBX));
        let leg_b = Leg::new("rule-b", (c.b.1, c.b.0), (c.b.2, SEC));
        let own = |x: &[&str]| x.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        let extra = (own(c.a_extra), own(c.b_extra));
        b2b_call(&mut sim, &leg_a, &leg_b, (&extra.0, &extra.1), c.gap_ms);
        let outcome = match (sim.ended().len(), sim.tracker.stats().b2bua_paired) {
            (1, 1) => "paired".to_owned(),
            (2, 0) => "not paired".to_owned(),
            (conversations, paired) => format!("{conversations} conversations, {paired} paired"),
        };
        writeln!(rules, "{}: {outcome}", c.name).unwrap();
    }
    let expect = expect![[r#"
        caller passed through: paired
        E.164 and national forms: paired
        visual separators: paired
        caller only in P-Asserted-Identity: paired
        leg A's P-Asserted-Identity: paired
        dialled number forwarded to a trunk: paired
        numbers differ: not paired
        short numbers compare exactly: not paired
        anonymous callers never pair: not paired
        outside the window: not paired
        inside a longer window: paired
        window disabled: not paired
        zero window disables: not paired
        source is not leg A's destination: not paired
        different correlation values: not paired
        header on one leg only: paired
    "#]];
    expect.assert_eq(&rules);
}

/// A leg B sent before leg A is answered; leg A answered first. Until the
/// agent answers, the PBX's audio to the caller is its own, not a copy.
#[test]
fn b2bua_leg_a_answered_before_leg_b() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("early-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("early-b", ("15551230000", PBX), ("201", SEC));
    leg_a.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg_b.send_invite(&mut sim, PBX_B_MEDIA, &[]);
    leg_b.reply(&mut sim, 180, "Ringing", None);
    // The PBX answers the caller (an announcement) while the agent rings.
    leg_a.answer(&mut sim, PBX_A_MEDIA);
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    leg_b.answer(&mut sim, SEC_MEDIA);
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 10);
    leg_a.bye(&mut sim, true, 2);
    leg_b.bye(&mut sim, true, 2);
    sim.check(expect![[r#"
            40 c1 started by early-a
            40 c1 joined p1 15551230000 external, p2 8005550100 company
            70 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of early-a pt=8,101: 15 in 70..370
            70 c1 flow f2 p2 company 10.0.0.1:40000 > 203.0.113.10:20000 of early-a pt=8,101: 5 in 70..150, 10 relayed in 190..370
           160 c1 joined p3 201 company
           390 c1 flow f3 p1 external 10.0.0.1:40002 > 10.0.0.20:30000 of early-b pt=8,101: 10 relayed in 390..570
           390 c1 flow f4 p3 company 10.0.0.20:30000 > 10.0.0.1:40002 of early-b pt=8,101: 10 in 390..570
           580 c1 left p2
           600 c1 left p1, p3
           600 c1 ended, hung up: early-a early-b (p1 external, p2 company, p3 company)
        stats dialogs_created=2 b2bua_paired=1 rtp_routed=50 rtp_relayed=20
    "#]]);
}

/// A PBX answers the caller (IVR), then a queue rings agents one after the
/// other: each new leg B reopens the window, a ringing agent that gives up
/// leaves nothing, and the one who answers joins the caller's conversation.
#[test]
fn b2bua_queue_redials_after_answer() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("q-a", ("15551230000", EXT), ("8005550100", PBX));
    leg_a.send_invite(&mut sim, EXT_MEDIA, &[]);
    leg_a.answer(&mut sim, PBX_A_MEDIA);
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.advance(8_000);
    let agent1 = Leg::new("q-b1", ("15551230000", PBX), ("201", SEC));
    agent1.send_invite(&mut sim, PBX_B_MEDIA, &[]);
    agent1.reply(&mut sim, 180, "Ringing", None);
    sim.advance(8_000);
    agent1.reply(&mut sim, 480, "Temporarily Unavailable", None);
    // 16 s after the caller's INVITE, 8 s after the previous agent's.
    let agent2 = Leg::new("q-b2", ("15551230000", PBX), ("202", COL));
    agent2.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 10);
    agent2.bye(&mut sim, false, 2);
    leg_a.bye(&mut sim, true, 2);
    sim.check(expect![[r#"
            20 c1 started by q-a
            20 c1 joined p1 15551230000 external, p2 8005550100 company
            50 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of q-a pt=8,101: 5 in 50..130
            50 c1 flow f2 p2 company 10.0.0.1:40000 > 203.0.113.10:20000 of q-a pt=8,101: 5 in 50..130
         16200 c1 joined p3 202 company
         16230 c1 flow f3 p1 external 10.0.0.1:40004 > 10.0.0.30:32000 of q-b2 pt=8,101: 10 relayed in 16230..16410
         16230 c1 flow f4 p3 company 10.0.0.30:32000 > 10.0.0.1:40004 of q-b2 pt=8,101: 10 in 16230..16410
         16420 c1 left p3
         16440 c1 left p1, p2
         16440 c1 ended, hung up: q-a q-b2 (p1 external, p2 company, p3 company)
        stats dialogs_created=3 b2bua_paired=2 rtp_routed=30 rtp_relayed=10
    "#]]);
}

/// A ring group: the PBX forks to two phones; one answers, the other is
/// cancelled. Both forks pair with the caller's leg.
#[test]
fn b2bua_ring_group_forks_pair_with_one_leg_a() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("rg-a", ("15551230000", EXT), ("8005550100", PBX));
    let b1 = Leg::new("rg-b1", ("15551230000", PBX), ("201", SEC));
    let b2 = Leg::new("rg-b2", ("15551230000", PBX), ("202", COL));
    leg_a.send_invite(&mut sim, EXT_MEDIA, &[]);
    b1.send_invite(&mut sim, PBX_B_MEDIA, &[]);
    b2.send_invite(&mut sim, "10.0.0.1:40004", &[]);
    b2.answer(&mut sim, COL_MEDIA);
    b1.cancel(&mut sim);
    leg_a.answer(&mut sim, PBX_A_MEDIA);
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 10);
    leg_a.bye(&mut sim, true, 2);
    b2.bye(&mut sim, false, 2);
    sim.check(expect![[r#"
            40 c1 started by rg-b2
            40 c1 joined p1 15551230000 company, p2 202 company
            70 c1 p1 is now external
            70 c1 joined p3 8005550100 company
           100 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of rg-a pt=8,101: 10 in 100..280
           100 c1 flow f2 p3 company 10.0.0.1:40000 > 203.0.113.10:20000 of rg-a pt=8,101: 10 relayed in 100..280
           300 c1 flow f3 p1 external 10.0.0.1:40004 > 10.0.0.30:32000 of rg-b2 pt=8,101: 10 relayed in 300..480
           300 c1 flow f4 p2 company 10.0.0.30:32000 > 10.0.0.1:40004 of rg-b2 pt=8,101: 10 in 300..480
           490 c1 left p3
           510 c1 left p1, p2
           510 c1 ended, hung up: rg-b2 rg-a (p1 external, p2 company, p3 company)
        stats dialogs_created=3 b2bua_paired=2 rtp_routed=40 rtp_relayed=20
    "#]]);
}

/// Two callers through one PBX at once, their legs B in the other order:
/// each leg B pairs with its own caller's leg A.
#[test]
fn b2bua_concurrent_calls_through_one_pbx_do_not_cross() {
    const EXT2: &str = "198.51.100.20:5060";
    const EXT2_MEDIA: &str = "198.51.100.20:22000";
    let mut sim = Sim::new();
    let a1 = Leg::new("cc-a1", ("15551230000", EXT), ("8005550100", PBX));
    let a2 = Leg::new("cc-a2", ("15557770000", EXT2), ("8005550100", PBX));
    let b1 = Leg::new("cc-b1", ("15551230000", PBX), ("201", SEC));
    let b2 = Leg::new("cc-b2", ("15557770000", PBX), ("202", COL));
    a1.send_invite(&mut sim, EXT_MEDIA, &[]);
    a2.send_invite(&mut sim, EXT2_MEDIA, &[]);
    b2.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    b1.setup(&mut sim, PBX_B_MEDIA, SEC_MEDIA, &[]);
    a2.reply(&mut sim, 200, "OK", Some("10.0.0.1:40006"));
    a1.reply(&mut sim, 200, "OK", Some(PBX_A_MEDIA));
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.rtp_both(EXT2_MEDIA, "10.0.0.1:40006", 5);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 5);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 5);
    for leg in [&a1, &a2, &b1, &b2] {
        leg.bye(&mut sim, true, 2);
    }
    sim.check(expect![[r#"
            60 c1 started by cc-b2
            60 c1 joined p1 15557770000 company, p2 202 company
           110 c2 started by cc-b1
           110 c2 joined p3 15551230000 company, p4 201 company
           130 c1 p1 is now external
           130 c1 joined p5 8005550100 company
           140 c2 p3 is now external
           140 c2 joined p6 8005550100 company
           160 c2 flow f1 p3 external 203.0.113.10:20000 > 10.0.0.1:40000 of cc-a1 pt=8,101: 5 in 160..240
           160 c2 flow f2 p6 company 10.0.0.1:40000 > 203.0.113.10:20000 of cc-a1 pt=8,101: 5 relayed in 160..240
           260 c1 flow f3 p1 external 198.51.100.20:22000 > 10.0.0.1:40006 of cc-a2 pt=8,101: 5 in 260..340
           260 c1 flow f4 p5 company 10.0.0.1:40006 > 198.51.100.20:22000 of cc-a2 pt=8,101: 5 relayed in 260..340
           360 c2 flow f5 p3 external 10.0.0.1:40002 > 10.0.0.20:30000 of cc-b1 pt=8,101: 5 relayed in 360..440
           360 c2 flow f6 p4 company 10.0.0.20:30000 > 10.0.0.1:40002 of cc-b1 pt=8,101: 5 in 360..440
           460 c1 flow f7 p1 external 10.0.0.1:40004 > 10.0.0.30:32000 of cc-b2 pt=8,101: 5 relayed in 460..540
           460 c1 flow f8 p2 company 10.0.0.30:32000 > 10.0.0.1:40004 of cc-b2 pt=8,101: 5 in 460..540
           550 c2 left p6
           570 c1 left p5
           590 c2 left p3, p4
           590 c2 ended, hung up: cc-b1 cc-a1 (p3 external, p4 company, p6 company)
           610 c1 left p1, p2
           610 c1 ended, hung up: cc-b2 cc-a2 (p1 external, p2 company, p5 company)
        stats dialogs_created=4 b2bua_paired=2 rtp_routed=40 rtp_relayed=20
    "#]]);
}

/// Several live legs A with the same caller: the most recent INVITE wins.
#[test]
fn b2bua_most_recent_leg_a_wins() {
    let mut sim = Sim::new();
    let old = Leg::new("mr-a1", ("15551230000", EXT), ("8005550100", PBX));
    old.setup(&mut sim, EXT_MEDIA, PBX_A_MEDIA, &[]);
    let new = Leg::new("mr-a2", ("15551230000", EXT), ("8005550111", PBX));
    new.send_invite(&mut sim, "203.0.113.10:20002", &[]);
    let b = Leg::new("mr-b", ("15551230000", PBX), ("201", SEC));
    b.setup(&mut sim, PBX_B_MEDIA, SEC_MEDIA, &[]);
    new.reply(&mut sim, 200, "OK", Some("10.0.0.1:40006"));
    for leg in [&old, &new, &b] {
        leg.bye(&mut sim, true, 2);
    }
    sim.check(expect![[r#"
            40 c1 started by mr-a1
            40 c1 joined p1 15551230000 external, p2 8005550100 company
           100 c2 started by mr-b
           100 c2 joined p3 15551230000 company, p4 201 company
           120 c2 p3 is now external
           120 c2 joined p5 8005550111 company
           130 c1 left p1, p2
           130 c1 ended, hung up: mr-a1 (p1 external, p2 company)
           150 c2 left p5
           170 c2 left p3, p4
           170 c2 ended, hung up: mr-b mr-a2 (p3 external, p4 company, p5 company)
        stats dialogs_created=3 b2bua_paired=1
    "#]]);
}

/// Matching only by dialled number, two live legs A: no guess.
#[test]
fn b2bua_ambiguous_dialled_number_does_not_pair() {
    let mut sim = Sim::new();
    let a1 = Leg::new("amb-a1", ("201", SEC), ("15559870000", PBX));
    let a2 = Leg::new("amb-a2", ("202", COL), ("15559870000", PBX));
    a1.send_invite(&mut sim, SEC_MEDIA, &[]);
    a2.send_invite(&mut sim, COL_MEDIA, &[]);
    let b = Leg::new("amb-b", ("8005550100", PBX), ("15559870000", EXT));
    b.setup(&mut sim, PBX_B_MEDIA, EXT_MEDIA, &[]);
    sim.check(expect![[r#"
            60 c1 started by amb-b
            60 c1 joined p1 8005550100 company, p2 15559870000 external
        stats dialogs_created=3 b2bua_ambiguous=1
        held dialogs=3 conversations=1 pairing=6
    "#]]);
}

/// A PBX calling a second PBX that calls the agent: a chain of three legs
/// is one conversation; only the two ends' audio is original.
#[test]
fn b2bua_chain_through_two_pbxes() {
    const PBX2: &str = "10.0.0.2:5060";
    let mut sim = Sim::new();
    let l1 = Leg::new("ch-1", ("15551230000", EXT), ("8005550100", PBX));
    let l2 = Leg::new("ch-2", ("15551230000", PBX), ("8005550100", PBX2));
    let l3 = Leg::new("ch-3", ("15551230000", PBX2), ("201", SEC));
    l1.send_invite(&mut sim, EXT_MEDIA, &[]);
    l2.send_invite(&mut sim, PBX_B_MEDIA, &[]);
    l3.setup(&mut sim, "10.0.0.2:41000", SEC_MEDIA, &[]);
    l2.reply(&mut sim, 200, "OK", Some("10.0.0.2:41002"));
    l1.reply(&mut sim, 200, "OK", Some(PBX_A_MEDIA));
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.rtp_both(PBX_B_MEDIA, "10.0.0.2:41002", 5);
    sim.rtp_both("10.0.0.2:41000", SEC_MEDIA, 5);
    for leg in [&l1, &l2, &l3] {
        leg.bye(&mut sim, true, 2);
    }
    sim.check(expect![[r#"
            60 c1 started by ch-3
            60 c1 joined p1 15551230000 company, p2 201 company
            80 c1 joined p3 8005550100 company
            90 c1 p1 is now external
           110 c1 flow f1 p1 external 203.0.113.10:20000 > 10.0.0.1:40000 of ch-1 pt=8,101: 5 in 110..190
           110 c1 flow f2 p3 company 10.0.0.1:40000 > 203.0.113.10:20000 of ch-1 pt=8,101: 5 relayed in 110..190
           210 c1 flow f3 p1 external 10.0.0.1:40002 > 10.0.0.2:41002 of ch-2 pt=8,101: 5 relayed in 210..290
           210 c1 flow f4 p3 company 10.0.0.2:41002 > 10.0.0.1:40002 of ch-2 pt=8,101: 5 relayed in 210..290
           310 c1 flow f5 p1 external 10.0.0.2:41000 > 10.0.0.20:30000 of ch-3 pt=8,101: 5 relayed in 310..390
           310 c1 flow f6 p2 company 10.0.0.20:30000 > 10.0.0.2:41000 of ch-3 pt=8,101: 5 in 310..390
           420 c1 left p3
           440 c1 left p1, p2
           440 c1 ended, hung up: ch-3 ch-2 ch-1 (p1 external, p2 company, p3 company)
        stats dialogs_created=3 b2bua_paired=2 rtp_routed=30 rtp_relayed=20
    "#]]);
}

/// Many legs B from one PBX with one caller number: the index and the
/// pairing groups stay under their caps and empty out with the dialogs.
/// A group holds at most 32 legs: leg A and 31 legs B.
#[test]
fn b2bua_index_stays_bounded() {
    let mut sim = Sim::with(TrackerConfig { max_dialogs: 100, ..config() });
    let leg_a = Leg::new("flood-a", ("15551230000", EXT), ("8005550100", PBX));
    leg_a.send_invite(&mut sim, EXT_MEDIA, &[]);
    for i in 0..1000 {
        let b = Leg::new(&format!("flood-b{i}"), ("15551230000", PBX), ("201", SEC));
        b.send_invite(&mut sim, PBX_B_MEDIA, &[]);
        assert!(sim.tracker.pairing_index_len() <= 5 * 100);
    }
    sim.advance(40_000);
    sim.check(expect![[r#"
        stats dialogs_created=1001 evicted=901 unanswered_timeouts=100 b2bua_paired=31
    "#]]);
}

/// An INVITE that a REFER explains keeps the REFER's conversation, though
/// the heuristic would pair it with another leg to the same PBX.
#[test]
fn b2bua_heuristic_gives_way_to_a_refer() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("rw-1", ("15551230000", EXT), ("8005550100", PBX));
    leg1.setup(&mut sim, EXT_MEDIA, PBX_A_MEDIA, &[]);
    let leg2 = Leg::new("rw-2", ("15557770000", PBX), ("100", SEC));
    leg2.setup(&mut sim, PBX_B_MEDIA, SEC_MEDIA, &[]);
    leg2.refer(&mut sim, &[format!("Refer-To: <sip:200@{COL}>")]);
    // The PBX, told to call 200, presents another caller's number.
    let leg3 = Leg::new("rw-3", ("15551230000", PBX), ("200", COL));
    leg3.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    for (leg, from_caller) in [(&leg2, false), (&leg3, true), (&leg1, true)] {
        leg.bye(&mut sim, from_caller, 2);
    }
    sim.check(expect![[r#"
            40 c1 started by rw-1
            40 c1 joined p1 15551230000 external, p2 8005550100 company
            90 c2 started by rw-2
            90 c2 joined p3 15557770000 company, p4 100 company
           110 c2 transfer by p4 of p3 to "200"
           150 c2 joined p5 15551230000 company, p6 200 company
           170 c2 left p3, p4
           190 c2 left p5, p6
           190 c2 ended, hung up: rw-2 rw-3 (p3 company, p4 company, p5 company, p6 company)
           210 c1 left p1, p2
           210 c1 ended, hung up: rw-1 (p1 external, p2 company)
        stats dialogs_created=3 transfers_linked=1
    "#]]);
}

/// A call forwarded back out through the SBC it came in by, every leg
/// carrying one X-Linkedid: gateway → SBC → PBX → SBC → gateway. The
/// gateway's IP is on the first and the last leg; both its voices (the
/// caller and the forward target) must stay, and only the SBC's and the
/// PBX's relayed copies be flagged.
#[test]
fn header_linked_hairpin_keeps_both_external_voices() {
    const GW: &str = "203.0.113.50:5060";
    const SBC: &str = "10.0.0.1:5060";
    const PBX2: &str = "10.0.0.2:5060";
    let mut sim = Sim::new();
    let hdr = ["X-Linkedid: 1764000000.77".to_string()];
    let l1 = Leg::new("hp-1", ("15551230000", GW), ("8005550100", SBC));
    let l2 = Leg::new("hp-2", ("15551230000", SBC), ("8005550100", PBX2));
    let l3 = Leg::new("hp-3", ("15551230000", PBX2), ("15559990000", SBC));
    let l4 = Leg::new("hp-4", ("15551230000", SBC), ("15559990000", GW));
    l1.send_invite(&mut sim, "203.0.113.50:20000", &hdr);
    l2.send_invite(&mut sim, "10.0.0.1:40000", &hdr);
    l3.send_invite(&mut sim, "10.0.0.2:41000", &hdr);
    l4.setup(&mut sim, "10.0.0.1:40004", "203.0.113.50:20002", &hdr);
    l3.reply(&mut sim, 200, "OK", Some("10.0.0.1:40006"));
    l2.reply(&mut sim, 200, "OK", Some("10.0.0.2:41002"));
    l1.reply(&mut sim, 200, "OK", Some("10.0.0.1:40002"));
    sim.rtp_both("203.0.113.50:20000", "10.0.0.1:40002", 10);
    sim.rtp_both("10.0.0.1:40000", "10.0.0.2:41002", 10);
    sim.rtp_both("10.0.0.2:41000", "10.0.0.1:40006", 10);
    sim.rtp_both("10.0.0.1:40004", "203.0.113.50:20002", 10);
    for leg in [&l1, &l2, &l3, &l4] {
        leg.bye(&mut sim, true, 2);
    }
    sim.check(expect![[r#"
            70 c1 started by hp-4
            70 c1 joined p1 15551230000 company, p2 15559990000 external
           100 c1 joined p3 8005550100 company
           110 c1 p1 is now external
           130 c1 flow f1 p1 external 203.0.113.50:20000 > 10.0.0.1:40002 of hp-1 pt=8,101: 10 in 130..310
           130 c1 flow f2 p3 company 10.0.0.1:40002 > 203.0.113.50:20000 of hp-1 pt=8,101: 10 relayed in 130..310
           330 c1 flow f3 p1 external 10.0.0.1:40000 > 10.0.0.2:41002 of hp-2 pt=8,101: 10 relayed in 330..510
           330 c1 flow f4 p3 company 10.0.0.2:41002 > 10.0.0.1:40000 of hp-2 pt=8,101: 10 relayed in 330..510
           530 c1 flow f5 p1 external 10.0.0.2:41000 > 10.0.0.1:40006 of hp-3 pt=8,101: 10 relayed in 530..710
           530 c1 flow f6 p2 external 10.0.0.1:40006 > 10.0.0.2:41000 of hp-3 pt=8,101: 10 relayed in 530..710
           730 c1 flow f7 p1 external 10.0.0.1:40004 > 203.0.113.50:20002 of hp-4 pt=8,101: 10 relayed in 730..910
           730 c1 flow f8 p2 external 203.0.113.50:20002 > 10.0.0.1:40004 of hp-4 pt=8,101: 10 in 730..910
           940 c1 left p3
           980 c1 left p1, p2
           980 c1 ended, hung up: hp-4 hp-3 hp-2 hp-1 (p1 external, p2 external, p3 company); X-Linkedid: 1764000000.77
        stats dialogs_created=4 correlation_linked=3 rtp_routed=80 rtp_relayed=60
    "#]]);
}
