//! Call tracker scenarios: SIP text and RTP built with `synth`, replayed
//! through `CaptureDemux` into `CallTracker` on packet time.

use std::net::SocketAddr;
use std::time::Duration;

use callvault_capture::synth::{self, Encap};
use callvault_capture::tracker::{
    ConversationKey, EndReason, IpNet, ParticipantKey, TrackerConfig, TrackerOutput,
};
use callvault_capture::{CallTracker, CaptureDemux, DemuxConfig, Timestamp};
use callvault_model::Side;

fn a(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

struct Sim {
    /// Send every SIP message twice (retransmissions).
    dup_sip: bool,
    demux: CaptureDemux,
    tracker: CallTracker,
    now_ms: u64,
    out: Vec<TrackerOutput>,
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
            now_ms: 1_000_000,
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
            self.out.push(o);
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

    fn started(&self) -> Vec<ConversationKey> {
        self.out
            .iter()
            .filter_map(|o| match o {
                TrackerOutput::ConversationStarted { conversation, .. } => Some(*conversation),
                _ => None,
            })
            .collect()
    }

    fn ended(&self) -> Vec<(ConversationKey, EndReason, Vec<String>, usize)> {
        self.out
            .iter()
            .filter_map(|o| match o {
                TrackerOutput::ConversationEnded {
                    conversation,
                    reason,
                    call_ids,
                    participants,
                    ..
                } => Some((*conversation, *reason, call_ids.clone(), participants.len())),
                _ => None,
            })
            .collect()
    }

    fn joined(&self) -> Vec<(ParticipantKey, String, Side)> {
        self.out
            .iter()
            .filter_map(|o| match o {
                TrackerOutput::ParticipantJoined { participant, number, side, .. } => {
                    Some((*participant, number.clone(), *side))
                }
                _ => None,
            })
            .collect()
    }

    fn left(&self) -> Vec<ParticipantKey> {
        self.out
            .iter()
            .filter_map(|o| match o {
                TrackerOutput::ParticipantLeft { participant, .. } => Some(*participant),
                _ => None,
            })
            .collect()
    }

    /// Routed RTP packets: (conversation, participant, side, count).
    fn rtp_by(&self, who: ParticipantKey) -> (usize, Option<Side>) {
        let mut n = 0;
        let mut side = None;
        for o in &self.out {
            if let TrackerOutput::Rtp { participant, side: s, .. } = o
                && *participant == who
            {
                n += 1;
                side = Some(*s);
            }
        }
        (n, side)
    }

    fn key_of(&self, number: &str) -> ParticipantKey {
        self.joined().into_iter().find(|(_, n, _)| n == number).expect("participant joined").0
    }
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

    fn reinvite(&self, cseq: u32, media: &str, dir: &str) -> String {
        self.request(true, "INVITE", cseq, &[], &sdp(media, dir))
    }

    /// INVITE, 100, 180, 200 with SDP, ACK.
    fn setup(&self, sim: &mut Sim, caller_media: &str, callee_media: &str, extra: &[String]) {
        let (c, d) = (self.caller.1.as_str(), self.callee.1.as_str());
        sim.sip(c, d, &self.invite(caller_media, extra));
        sim.sip(d, c, &self.response(100, "Trying", "1 INVITE", None));
        sim.sip(d, c, &self.response(180, "Ringing", "1 INVITE", None));
        sim.sip(d, c, &self.response(200, "OK", "1 INVITE", Some(callee_media)));
        sim.sip(c, d, &self.ack());
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

    assert_eq!(sim.started().len(), 1);
    let ext = sim.key_of("15551230000");
    let sec = sim.key_of("100");
    assert_eq!(sim.rtp_by(ext), (50, Some(Side::External)));
    assert_eq!(sim.rtp_by(sec), (50, Some(Side::Company)));
    let flows = sim.out.iter().filter(|o| matches!(o, TrackerOutput::FlowStarted { .. })).count();
    assert_eq!(flows, 2, "one flow per direction although the SSRC is shared");
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::HungUp);
    assert_eq!(ended[0].2, vec!["basic-1".to_string()]);
    assert_eq!(sim.left().len(), 2);
    assert_eq!(sim.tracker.dialogs(), 0);
    assert_eq!(sim.tracker.conversations(), 0);
}

#[test]
fn retransmissions_do_not_make_a_second_dialog() {
    let mut sim = Sim::new();
    let leg = Leg::new("retx-1", ("15551230000", EXT), ("100", SEC));
    sim.sip(EXT, SEC, &leg.invite(EXT_MEDIA, &[]));
    sim.sip(EXT, SEC, &leg.invite(EXT_MEDIA, &[]));
    sim.sip(SEC, EXT, &leg.response(200, "OK", "1 INVITE", Some(SEC_MEDIA)));
    sim.sip(SEC, EXT, &leg.response(200, "OK", "1 INVITE", Some(SEC_MEDIA)));
    sim.sip(EXT, SEC, &leg.ack());
    // A retransmitted INVITE after the call ended does not revive it.
    leg.bye(&mut sim, true, 2);
    sim.sip(EXT, SEC, &leg.invite(EXT_MEDIA, &[]));
    let st = sim.tracker.stats();
    assert_eq!(st.dialogs_created, 1);
    assert!(st.retransmissions >= 3, "{st:?}");
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.tracker.dialogs(), 0);
}

#[test]
fn early_media_and_forked_provisionals_before_answer() {
    let mut sim = Sim::new();
    let leg = Leg::new("fork-1", ("15551230000", EXT), ("100", SEC));
    sim.sip(EXT, SEC, &leg.invite(EXT_MEDIA, &[]));
    // Two forks ring; the second sends early media.
    let mut other = leg.response(180, "Ringing", "1 INVITE", None);
    other = other.replace("fork-1-b", "fork-1-x");
    sim.sip(SEC, EXT, &other);
    sim.sip(SEC, EXT, &leg.response(183, "Session Progress", "1 INVITE", Some(SEC_MEDIA)));
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    assert!(sim.started().is_empty());
    assert_eq!(sim.tracker.stats().rtp_unanswered, 10);
    sim.sip(SEC, EXT, &leg.response(200, "OK", "1 INVITE", Some(SEC_MEDIA)));
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.rtp_by(sim.key_of("100")).0, 5);
}

#[test]
fn blind_transfer_is_one_conversation_with_three_participants() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("blind-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 20);
    // The secretary (callee) transfers the caller to extension 200.
    let refer = leg1.request(
        false,
        "REFER",
        1,
        &[format!("Refer-To: <sip:200@{COL}>"), format!("Referred-By: <sip:100@{SEC}>")],
        "",
    );
    sim.sip(SEC, EXT, &refer);
    sim.sip(EXT, SEC, &leg1.response_from_caller(202, "1 REFER"));
    // The caller's new INVITE to the target (sipp keeps its media port).
    let leg2 = Leg::new("blind-2", ("15551230000", EXT), ("200", COL));
    sim.sip(EXT, COL, &leg2.invite(EXT_MEDIA, &[format!("Referred-By: <sip:100@{SEC}>")]));
    // The secretary hangs up while the colleague still rings.
    leg1.bye(&mut sim, false, 2);
    sim.sip(COL, EXT, &leg2.response(200, "OK", "1 INVITE", Some(COL_MEDIA)));
    sim.sip(EXT, COL, &leg2.ack());
    sim.rtp_both(EXT_MEDIA, COL_MEDIA, 20);
    leg2.bye(&mut sim, true, 2);

    assert_eq!(
        sim.started().len(),
        1,
        "{:?}",
        sim.out.iter().filter(|o| !matches!(o, TrackerOutput::Rtp { .. })).collect::<Vec<_>>()
    );
    let (ext, sec, col) = (sim.key_of("15551230000"), sim.key_of("100"), sim.key_of("200"));
    assert_eq!(sim.joined().len(), 3, "the caller joins once");
    // Timeline: the secretary leaves before the colleague joins.
    let pos = |want: &dyn Fn(&TrackerOutput) -> bool| sim.out.iter().position(want).expect("event");
    let sec_left = pos(
        &|o| matches!(o, TrackerOutput::ParticipantLeft { participant, .. } if *participant == sec),
    );
    let col_joined = pos(
        &|o| matches!(o, TrackerOutput::ParticipantJoined { participant, .. } if *participant == col),
    );
    assert!(sec_left < col_joined);
    assert_eq!(sim.rtp_by(ext), (40, Some(Side::External)));
    assert_eq!(sim.rtp_by(sec), (20, Some(Side::Company)));
    assert_eq!(sim.rtp_by(col), (20, Some(Side::Company)));
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].2, vec!["blind-1".to_string(), "blind-2".to_string()]);
    assert_eq!(ended[0].3, 3);
    assert_eq!(sim.tracker.stats().transfers_linked, 1);
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
    assert_eq!(sim.started().len(), 2);
    let refer_to =
        format!("Refer-To: <sip:200@{COL}?Replaces=att-2%3Bto-tag%3Datt-2-b%3Bfrom-tag%3Datt-2-a>");
    sim.sip(SEC, EXT, &leg1.request(false, "REFER", 1, &[refer_to], ""));
    let leg3 = Leg::new("att-3", ("15551230000", EXT), ("200", COL));
    sim.sip(
        EXT,
        COL,
        &leg3.invite(
            "203.0.113.10:20002",
            &["Replaces: att-2;to-tag=att-2-b;from-tag=att-2-a".into()],
        ),
    );
    sim.sip(COL, EXT, &leg3.response(200, "OK", "1 INVITE", Some("10.0.0.30:32002")));
    sim.sip(EXT, COL, &leg3.ack());
    consult.bye(&mut sim, false, 2);
    leg1.bye(&mut sim, false, 2);
    sim.rtp_both("203.0.113.10:20002", "10.0.0.30:32002", 10);
    leg3.bye(&mut sim, true, 2);

    let ended = sim.ended();
    assert_eq!(ended.len(), 2);
    let main =
        ended.iter().find(|e| e.2.contains(&"att-1".to_string())).expect("caller's conversation");
    assert_eq!(main.2, vec!["att-1".to_string(), "att-3".to_string()]);
    assert_eq!(main.3, 3);
    let consult_conv = ended.iter().find(|e| e.2 == vec!["att-2".to_string()]);
    assert!(consult_conv.is_some());
    assert_eq!(sim.tracker.stats().replaces_linked, 1);
    // The colleague's audio after the transfer is in the caller's conversation.
    let col_in_main = sim.out.iter().any(|o| matches!(o, TrackerOutput::Rtp { conversation, side: Side::Company, .. } if *conversation == main.0));
    assert!(col_in_main);
}

#[test]
fn b2bua_legs_sharing_a_correlation_header_are_one_conversation() {
    let mut sim = Sim::new();
    const PBX: &str = "10.0.0.1:5060";
    let leg_a = Leg::new("b2b-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("b2b-b", ("15551230000", PBX), ("201", SEC));
    let sid_a =
        "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000"
            .to_string();
    let sid_b =
        "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"
            .to_string();
    sim.sip(EXT, PBX, &leg_a.invite(EXT_MEDIA, &[sid_a]));
    sim.sip(PBX, EXT, &leg_a.response(100, "Trying", "1 INVITE", None));
    // The PBX rings the agent; the agent answers first.
    leg_b.setup(&mut sim, "10.0.0.1:40002", SEC_MEDIA, &[sid_b]);
    sim.sip(PBX, EXT, &leg_a.response(200, "OK", "1 INVITE", Some("10.0.0.1:40000")));
    sim.sip(EXT, PBX, &leg_a.ack());
    sim.rtp_both(EXT_MEDIA, "10.0.0.1:40000", 10);
    sim.rtp_both("10.0.0.1:40002", SEC_MEDIA, 10);
    leg_b.bye(&mut sim, false, 2);
    leg_a.bye(&mut sim, false, 2);

    assert_eq!(sim.started().len(), 1);
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].2, vec!["b2b-b".to_string(), "b2b-a".to_string()]);
    let corr = sim.out.iter().find_map(|o| match o {
        TrackerOutput::ConversationEnded { correlation, .. } => Some(correlation.clone()),
        _ => None,
    });
    assert_eq!(
        corr,
        Some(vec![("Session-ID".to_string(), "ab30317f1a784dc48ff824d0d3715d86".to_string())])
    );
    assert_eq!(sim.rtp_by(sim.key_of("15551230000")).1, Some(Side::External));
    assert_eq!(sim.rtp_by(sim.key_of("201")), (10, Some(Side::Company)));
    assert_eq!(sim.tracker.stats().correlation_linked, 1);
    assert_eq!(sim.tracker.stats().b2bua_paired, 0, "the header links them, not the heuristic");
    // The PBX's copies of each voice are flagged, the originals are not.
    let relayed: Vec<bool> = sim
        .out
        .iter()
        .filter_map(|o| match o {
            TrackerOutput::Rtp { relayed, .. } => Some(*relayed),
            _ => None,
        })
        .collect();
    assert_eq!(relayed.len(), 40);
    assert_eq!(relayed.iter().filter(|r| **r).count(), 20);
    assert_eq!(sim.tracker.stats().rtp_relayed, 20);
    let original_sources: std::collections::BTreeSet<SocketAddr> = sim
        .out
        .iter()
        .filter_map(|o| match o {
            TrackerOutput::FlowStarted { src, flow, .. } => Some((*flow, *src)),
            _ => None,
        })
        .filter(|(flow, _)| {
            sim.out.iter().any(
                |o| matches!(o, TrackerOutput::Rtp { flow: f, relayed: false, .. } if f == flow),
            )
        })
        .map(|(_, src)| src)
        .collect();
    assert_eq!(original_sources, [a(EXT_MEDIA), a(SEC_MEDIA)].into_iter().collect());
}

#[test]
fn hold_and_resume_on_a_new_port() {
    let mut sim = Sim::new();
    let leg = Leg::new("hold-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
    sim.sip(EXT, SEC, &leg.reinvite(2, EXT_MEDIA, "sendonly"));
    sim.sip(SEC, EXT, &leg.response(200, "OK", "2 INVITE", Some(SEC_MEDIA)));
    sim.sip(EXT, SEC, &leg.ack().replace("1 ACK", "2 ACK"));
    // Resume on a new port.
    sim.sip(EXT, SEC, &leg.reinvite(3, "203.0.113.10:20004", "sendrecv"));
    sim.sip(SEC, EXT, &leg.response(200, "OK", "3 INVITE", Some(SEC_MEDIA)));
    sim.sip(EXT, SEC, &leg.ack().replace("1 ACK", "3 ACK"));
    let unmatched = sim.tracker.stats().rtp_unmatched;
    // Stale packets to the old port are no longer routed.
    sim.now_ms += 20;
    sim.send(a(SEC_MEDIA), a(EXT_MEDIA), &synth::rtp(8, 99, 0, 1, &[0xd5; 160]));
    assert_eq!(sim.tracker.stats().rtp_unmatched, unmatched + 1);
    sim.rtp_both("203.0.113.10:20004", SEC_MEDIA, 10);
    leg.bye(&mut sim, true, 4);
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.tracker.stats().reinvites, 2);
    assert_eq!(sim.rtp_by(sim.key_of("100")), (20, Some(Side::Company)));
    assert_eq!(sim.rtp_by(sim.key_of("15551230000")), (20, Some(Side::External)));
}

#[test]
fn nat_source_is_learnt_for_the_return_direction() {
    let mut sim = Sim::new();
    let leg = Leg::new("nat-1", ("15551230000", EXT), ("100", SEC));
    // The caller advertises a private address; its packets come from the NAT.
    leg.setup(&mut sim, "192.168.1.5:4000", SEC_MEDIA, &[]);
    sim.rtp_both("198.51.100.7:61000", SEC_MEDIA, 10);
    assert_eq!(sim.rtp_by(sim.key_of("100")).0, 10);
    assert_eq!(sim.rtp_by(sim.key_of("15551230000")).0, 10);
    assert_eq!(sim.tracker.stats().addresses_learnt, 1);
}

#[test]
fn call_without_bye_ends_after_inactivity() {
    let mut sim = Sim::new();
    let leg = Leg::new("lost-bye", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
    sim.advance(30_000);
    assert!(sim.ended().is_empty());
    sim.advance(31_000);
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Inactive);
    let end_ts = sim.out.iter().find_map(|o| match o {
        TrackerOutput::ConversationEnded { ts, .. } => Some(*ts),
        _ => None,
    });
    let last_rtp = sim.out.iter().rev().find_map(|o| match o {
        TrackerOutput::Rtp { ts, .. } => Some(*ts),
        _ => None,
    });
    assert_eq!(end_ts, last_rtp, "ends at the last packet, not at the sweep");
    assert_eq!(sim.tracker.stats().inactive_timeouts, 1);
    assert_eq!(sim.tracker.dialogs(), 0);
}

#[test]
fn invite_flood_stays_bounded() {
    let mut sim = Sim::with(TrackerConfig { max_dialogs: 100, ..config() });
    for i in 0..1000 {
        let leg = Leg::new(&format!("flood-{i}"), ("666", "198.51.100.66:5060"), ("100", SEC));
        sim.sip("198.51.100.66:5060", SEC, &leg.invite("198.51.100.66:7000", &[]));
        assert!(sim.tracker.dialogs() <= 100);
    }
    assert_eq!(sim.tracker.stats().evicted, 900);
    // A real call still goes through.
    let leg = Leg::new("real-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 3);
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.rtp_by(sim.key_of("100")).0, 3);
    // The rest time out.
    sim.advance(40_000);
    assert!(sim.tracker.dialogs() <= 1);
}

#[test]
fn cancelled_and_rejected_invites_leave_nothing() {
    let mut sim = Sim::new();
    let leg = Leg::new("cancel-1", ("15551230000", EXT), ("100", SEC));
    sim.sip(EXT, SEC, &leg.invite(EXT_MEDIA, &[]));
    sim.sip(
        EXT,
        SEC,
        &msg(&format!("CANCEL sip:100@{SEC} SIP/2.0"), &leg.base(true, "1 CANCEL", false), ""),
    );
    let leg2 = Leg::new("busy-1", ("15551230000", EXT), ("100", SEC));
    sim.sip(EXT, SEC, &leg2.invite(EXT_MEDIA, &[]));
    sim.sip(SEC, EXT, &leg2.response(486, "Busy Here", "1 INVITE", None));
    assert_eq!(sim.tracker.dialogs(), 0);
    assert!(sim.started().is_empty());
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
    let refer = leg1.request(false, "REFER", 1, &[format!("Refer-To: <sip:200@{COL}>")], "");
    sim.sip(SEC, EXT, &refer);
    leg1.bye(&mut sim, false, 2);
    let leg2 = Leg::new("rec-2", ("15551230000", EXT), ("200", COL));
    leg2.setup(&mut sim, EXT_MEDIA, COL_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, COL_MEDIA, 100);
    leg2.bye(&mut sim, true, 2);

    let dir = tempfile::tempdir().expect("tempdir");
    let dur = |ts: Timestamp| Duration::from_nanos(ts.as_nanos());
    let mut rec: Option<Recorder> = None;
    let mut ids: HashMap<ParticipantKey, ParticipantId> = HashMap::new();
    let mut timeline = None;
    let mut routed = 0u64;
    let mut left_events = 0;
    for o in std::mem::take(&mut sim.out) {
        match o {
            TrackerOutput::ConversationStarted { ts, .. } => {
                let config = RecorderConfig {
                    spool: SpoolConfig { dir: dir.path().to_owned(), ..SpoolConfig::default() },
                    ..RecorderConfig::default()
                };
                rec = Some(Recorder::new(config, ConversationId::new(), dur(ts)).expect("spool"));
            }
            TrackerOutput::ParticipantJoined { participant, number, side, ts, .. } => {
                let id = *ids.entry(participant).or_default();
                rec.as_mut().expect("started").participant_joined(dur(ts), id, side, &number);
            }
            TrackerOutput::ParticipantLeft { participant, ts, .. } => {
                left_events += 1;
                let id = ids[&participant];
                rec.as_mut().expect("started").participant_left(dur(ts), id);
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
                r.on_rtp(dur(ts), FlowKey(flow.0), &payload);
                r.poll(dur(ts)).expect("spool write");
            }
            TrackerOutput::ConversationEnded { ts, .. } => {
                let r = rec.take().expect("started");
                assert_eq!(r.stats().audio_packets, routed);
                timeline = Some(r.close(dur(ts)).expect("close"));
            }
            TrackerOutput::ParticipantSideChanged { .. } => {}
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
/// same conversations, participants and routing as without.
#[test]
fn duplicated_sip_changes_nothing() {
    fn run(dup: bool) -> (Vec<String>, usize, u64) {
        let mut sim = Sim::new();
        sim.dup_sip = dup;
        let leg1 = Leg::new("dup-1", ("15551230000", EXT), ("100", SEC));
        leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
        sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 10);
        let refer = leg1.request(false, "REFER", 1, &[format!("Refer-To: <sip:200@{COL}>")], "");
        sim.sip(SEC, EXT, &refer);
        let leg2 = Leg::new("dup-2", ("15551230000", EXT), ("200", COL));
        leg2.setup(&mut sim, EXT_MEDIA, COL_MEDIA, &[]);
        leg1.bye(&mut sim, false, 2);
        sim.rtp_both(EXT_MEDIA, COL_MEDIA, 10);
        leg2.bye(&mut sim, true, 2);
        let kinds = sim
            .out
            .iter()
            .filter(|o| !matches!(o, TrackerOutput::Rtp { .. }))
            .map(|o| format!("{o:?}").split([' ', '{']).next().unwrap_or("").to_string())
            .collect();
        (kinds, sim.ended().len(), sim.tracker.stats().rtp_routed)
    }
    let once = run(false);
    assert_eq!(once.1, 1);
    assert_eq!(once.2, 40);
    assert_eq!(run(true), once);
}

/// A REFER whose INVITE never comes keeps the conversation open until
/// `sip_timeout`, then it ends at its last hang-up.
#[test]
fn transfer_that_never_happens_ends_at_the_hang_up() {
    let mut sim = Sim::new();
    let leg1 = Leg::new("norefer-1", ("15551230000", EXT), ("100", SEC));
    leg1.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    let refer = leg1.request(false, "REFER", 1, &[format!("Refer-To: <sip:200@{COL}>")], "");
    sim.sip(SEC, EXT, &refer);
    leg1.bye(&mut sim, false, 2);
    let bye_ts = sim.ts();
    assert!(sim.ended().is_empty(), "waits for the transferee's INVITE");
    sim.advance(40_000);
    let end = sim.out.iter().find_map(|o| match o {
        TrackerOutput::ConversationEnded { ts, reason, .. } => Some((*ts, *reason)),
        _ => None,
    });
    let (ts, reason) = end.expect("ended after sip_timeout");
    assert_eq!(reason, EndReason::HungUp);
    assert!(
        ts <= bye_ts && ts.saturating_add(Duration::from_millis(20)) >= bye_ts,
        "{ts} {bye_ts}"
    );
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
    assert_eq!(sim.tracker.stats().reinvites, 1);
    assert_eq!(sim.rtp_by(sim.key_of("15551230000")), (10, Some(Side::External)));
    assert_eq!(sim.rtp_by(sim.key_of("100")), (10, Some(Side::Company)));
    leg.bye(&mut sim, true, 2);
    assert_eq!(sim.ended().len(), 1);
}

/// End of a capture file: `finish` closes every live call at its last packet.
#[test]
fn finish_closes_live_calls() {
    let mut sim = Sim::new();
    let leg = Leg::new("eof-1", ("15551230000", EXT), ("100", SEC));
    leg.setup(&mut sim, EXT_MEDIA, SEC_MEDIA, &[]);
    sim.rtp_both(EXT_MEDIA, SEC_MEDIA, 5);
    let last = sim.ts();
    // A second call still ringing is simply forgotten.
    let ringing = Leg::new("eof-2", ("15551239999", EXT), ("101", SEC));
    sim.sip(EXT, SEC, &ringing.invite("203.0.113.10:20010", &[]));
    sim.tracker.finish(sim.ts());
    sim.drain();
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1, EndReason::Inactive);
    let ts = sim.out.iter().find_map(|o| match o {
        TrackerOutput::ConversationEnded { ts, .. } => Some(*ts),
        _ => None,
    });
    assert_eq!(ts, Some(last));
    assert_eq!((sim.tracker.dialogs(), sim.tracker.conversations()), (0, 0));
}

// B2BUA legs without a shared header: paired by address, numbers and time.

const PBX: &str = "10.0.0.1:5060";
const PBX_A_MEDIA: &str = "10.0.0.1:40000";
const PBX_B_MEDIA: &str = "10.0.0.1:40002";

/// One call through a B2BUA: leg A (caller → PBX) rings, `gap_ms` later
/// the PBX sends leg B's INVITE (from `b.caller.1`); B is answered, then A;
/// 10 packets each way on each leg; B hangs up, then A.
fn b2b_call(sim: &mut Sim, a: &Leg, b: &Leg, extra: (&[String], &[String]), gap_ms: u64) {
    let pbx = a.callee.1.clone();
    sim.sip(&a.caller.1, &pbx, &a.invite(EXT_MEDIA, extra.0));
    sim.sip(&pbx, &a.caller.1, &a.response(100, "Trying", "1 INVITE", None));
    sim.advance(gap_ms);
    b.setup(sim, PBX_B_MEDIA, SEC_MEDIA, extra.1);
    sim.sip(&pbx, &a.caller.1, &a.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.sip(&a.caller.1, &pbx, &a.ack());
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 10);
    b.bye(sim, false, 2);
    a.bye(sim, false, 2);
}

/// Relayed flags of routed RTP: (relayed, original) counts, and the
/// sources of the original (not relayed) flows.
fn relayed_split(sim: &Sim) -> (usize, usize, std::collections::BTreeSet<SocketAddr>) {
    let mut srcs = std::collections::HashMap::new();
    let (mut relayed, mut original) = (0, 0);
    let mut orig_src = std::collections::BTreeSet::new();
    for o in &sim.out {
        match o {
            TrackerOutput::FlowStarted { flow, src, .. } => {
                srcs.insert(*flow, *src);
            }
            TrackerOutput::Rtp { flow, relayed: r, .. } => {
                if *r {
                    relayed += 1;
                } else {
                    original += 1;
                    orig_src.extend(srcs.get(flow).copied());
                }
            }
            _ => {}
        }
    }
    (relayed, original, orig_src)
}

#[test]
fn b2bua_legs_without_a_header_pair_into_one_conversation() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("pair-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("pair-b", ("15551230000", PBX), ("201", SEC));
    b2b_call(&mut sim, &leg_a, &leg_b, (&[], &[]), 300);

    assert_eq!(sim.started().len(), 1, "{:?}", sim.ended());
    let ended = sim.ended();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].2, vec!["pair-b".to_string(), "pair-a".to_string()]);
    let numbers: Vec<String> = sim.joined().into_iter().map(|j| j.1).collect();
    assert_eq!(numbers, ["15551230000", "201", "8005550100"], "both legs' participants");
    assert_eq!(sim.rtp_by(sim.key_of("15551230000")).1, Some(Side::External));
    assert_eq!(sim.rtp_by(sim.key_of("201")), (10, Some(Side::Company)));
    let st = sim.tracker.stats();
    assert_eq!((st.b2bua_paired, st.correlation_linked), (1, 0));
    // The PBX's copies (towards the caller on A, towards the agent on B) are
    // flagged; the caller's and the agent's own packets are not.
    let (relayed, original, sources) = relayed_split(&sim);
    assert_eq!((relayed, original), (20, 20));
    assert_eq!(st.rtp_relayed, 20);
    assert_eq!(sources, [a(EXT_MEDIA), a(SEC_MEDIA)].into_iter().collect());
    assert_eq!((sim.tracker.dialogs(), sim.tracker.conversations()), (0, 0));
    assert_eq!(sim.tracker.pairing_index_len(), 0, "the index empties with its dialogs");
}

/// Which INVITEs pair: one case per rule, each run through `b2b_call`.
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
        paired: bool,
    }
    let ten = Some(Duration::from_secs(10));
    let base = Case {
        name: "",
        a: ("15551230000", "8005550100"),
        b: (PBX, "15551230000", "201"),
        a_extra: &[],
        b_extra: &[],
        gap_ms: 300,
        window: ten,
        paired: true,
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
        Case { name: "numbers differ", b: (PBX, "15551239999", "201"), paired: false, ..base },
        Case {
            name: "short numbers compare exactly",
            a: ("1230000", "8005550100"),
            b: (PBX, "51230000", "201"),
            paired: false,
            ..base
        },
        Case {
            name: "anonymous callers never pair",
            a: ("anonymous", "8005550100"),
            b: (PBX, "anonymous", "201"),
            paired: false,
            ..base
        },
        Case { name: "outside the window", gap_ms: 10_500, paired: false, ..base },
        Case {
            name: "inside a longer window",
            gap_ms: 10_500,
            window: Some(Duration::from_secs(20)),
            ..base
        },
        Case { name: "window disabled", window: None, paired: false, ..base },
        Case { name: "zero window disables", window: Some(Duration::ZERO), paired: false, ..base },
        Case {
            name: "source is not leg A's destination",
            b: ("10.0.0.2:5060", "15551230000", "201"),
            paired: false,
            ..base
        },
        Case {
            name: "different correlation values",
            a_extra: &["X-Linkedid: 1.1"],
            b_extra: &["X-Linkedid: 1.2"],
            paired: false,
            ..base
        },
        Case { name: "header on one leg only", b_extra: &["X-Linkedid: 1.2"], ..base },
    ];
    let mut failures = Vec::new();
    for c in cases {
        let mut sim = Sim::with(TrackerConfig { b2bua_window: c.window, ..config() });
        let leg_a = Leg::new("rule-a", (c.a.0, EXT), (c.a.1, PBX));
        let leg_b = Leg::new("rule-b", (c.b.1, c.b.0), (c.b.2, SEC));
        let own = |x: &[&str]| x.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        let extra = (own(c.a_extra), own(c.b_extra));
        b2b_call(&mut sim, &leg_a, &leg_b, (&extra.0, &extra.1), c.gap_ms);
        let got = (sim.started().len(), sim.tracker.stats().b2bua_paired);
        let want = if c.paired { (1, 1) } else { (2, 0) };
        if got != want {
            failures
                .push(format!("{}: (conversations, paired) {got:?}, expected {want:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A leg B sent before leg A is answered; leg A answered first.
#[test]
fn b2bua_leg_a_answered_before_leg_b() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("early-a", ("15551230000", EXT), ("8005550100", PBX));
    let leg_b = Leg::new("early-b", ("15551230000", PBX), ("201", SEC));
    sim.sip(EXT, PBX, &leg_a.invite(EXT_MEDIA, &[]));
    sim.sip(PBX, SEC, &leg_b.invite(PBX_B_MEDIA, &[]));
    sim.sip(SEC, PBX, &leg_b.response(180, "Ringing", "1 INVITE", None));
    // The PBX answers the caller (an announcement) while the agent rings.
    sim.sip(PBX, EXT, &leg_a.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.sip(EXT, PBX, &leg_a.ack());
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    // Until the agent answers, the PBX's audio is its own, not a copy.
    assert_eq!(relayed_split(&sim).0, 0);
    sim.sip(SEC, PBX, &leg_b.response(200, "OK", "1 INVITE", Some(SEC_MEDIA)));
    sim.sip(PBX, SEC, &leg_b.ack());
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 10);
    leg_a.bye(&mut sim, true, 2);
    leg_b.bye(&mut sim, true, 2);

    assert_eq!(sim.started().len(), 1);
    let ended = sim.ended();
    assert_eq!(ended[0].2, vec!["early-a".to_string(), "early-b".to_string()]);
    assert_eq!(ended[0].3, 3);
    let (relayed, original, sources) = relayed_split(&sim);
    assert_eq!((relayed, original), (20, 30));
    assert_eq!(sources, [a(EXT_MEDIA), a(PBX_A_MEDIA), a(SEC_MEDIA)].into_iter().collect());
}

/// A PBX answers the caller (IVR), then a queue rings agents one after the
/// other: each new leg B reopens the window, a ringing agent that gives up
/// leaves nothing, and the one who answers joins the caller's conversation.
#[test]
fn b2bua_queue_redials_after_answer() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("q-a", ("15551230000", EXT), ("8005550100", PBX));
    sim.sip(EXT, PBX, &leg_a.invite(EXT_MEDIA, &[]));
    sim.sip(PBX, EXT, &leg_a.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.sip(EXT, PBX, &leg_a.ack());
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.advance(8_000);
    let agent1 = Leg::new("q-b1", ("15551230000", PBX), ("201", SEC));
    sim.sip(PBX, SEC, &agent1.invite(PBX_B_MEDIA, &[]));
    sim.sip(SEC, PBX, &agent1.response(180, "Ringing", "1 INVITE", None));
    sim.advance(8_000);
    sim.sip(SEC, PBX, &agent1.response(480, "Temporarily Unavailable", "1 INVITE", None));
    // 16 s after the caller's INVITE, 8 s after the previous agent's.
    let agent2 = Leg::new("q-b2", ("15551230000", PBX), ("202", COL));
    agent2.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 10);
    agent2.bye(&mut sim, false, 2);
    leg_a.bye(&mut sim, true, 2);

    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.ended()[0].2, vec!["q-a".to_string(), "q-b2".to_string()]);
    assert_eq!(sim.tracker.stats().b2bua_paired, 2);
    assert!(sim.joined().iter().all(|j| j.1 != "201"), "the agent who never answered");
    assert_eq!(sim.rtp_by(sim.key_of("202")), (10, Some(Side::Company)));
}

/// A ring group: the PBX forks to two phones; one answers, the other is
/// cancelled. Both forks pair with the caller's leg.
#[test]
fn b2bua_ring_group_forks_pair_with_one_leg_a() {
    let mut sim = Sim::new();
    let leg_a = Leg::new("rg-a", ("15551230000", EXT), ("8005550100", PBX));
    let b1 = Leg::new("rg-b1", ("15551230000", PBX), ("201", SEC));
    let b2 = Leg::new("rg-b2", ("15551230000", PBX), ("202", COL));
    sim.sip(EXT, PBX, &leg_a.invite(EXT_MEDIA, &[]));
    sim.sip(PBX, SEC, &b1.invite(PBX_B_MEDIA, &[]));
    sim.sip(PBX, COL, &b2.invite("10.0.0.1:40004", &[]));
    sim.sip(COL, PBX, &b2.response(200, "OK", "1 INVITE", Some(COL_MEDIA)));
    sim.sip(PBX, COL, &b2.ack());
    sim.sip(
        PBX,
        SEC,
        &msg(&format!("CANCEL sip:201@{SEC} SIP/2.0"), &b1.base(true, "1 CANCEL", false), ""),
    );
    sim.sip(PBX, EXT, &leg_a.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.sip(EXT, PBX, &leg_a.ack());
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 10);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 10);
    leg_a.bye(&mut sim, true, 2);
    b2.bye(&mut sim, false, 2);

    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.ended()[0].2, vec!["rg-b2".to_string(), "rg-a".to_string()]);
    assert_eq!(sim.tracker.stats().b2bua_paired, 2);
    let (relayed, _, sources) = relayed_split(&sim);
    assert_eq!(relayed, 20);
    assert_eq!(sources, [a(EXT_MEDIA), a(COL_MEDIA)].into_iter().collect());
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
    sim.sip(EXT, PBX, &a1.invite(EXT_MEDIA, &[]));
    sim.sip(EXT2, PBX, &a2.invite(EXT2_MEDIA, &[]));
    b2.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    b1.setup(&mut sim, PBX_B_MEDIA, SEC_MEDIA, &[]);
    sim.sip(PBX, EXT2, &a2.response(200, "OK", "1 INVITE", Some("10.0.0.1:40006")));
    sim.sip(PBX, EXT, &a1.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.rtp_both(EXT2_MEDIA, "10.0.0.1:40006", 5);
    sim.rtp_both(PBX_B_MEDIA, SEC_MEDIA, 5);
    sim.rtp_both("10.0.0.1:40004", COL_MEDIA, 5);
    for leg in [&a1, &a2, &b1, &b2] {
        leg.bye(&mut sim, true, 2);
    }

    let mut calls: Vec<Vec<String>> = sim.ended().into_iter().map(|e| e.2).collect();
    for c in &mut calls {
        c.sort();
    }
    calls.sort();
    assert_eq!(calls, [["cc-a1", "cc-b1"], ["cc-a2", "cc-b2"]]);
    assert_eq!(sim.tracker.stats().b2bua_paired, 2);
    assert_eq!(relayed_split(&sim).0, 20);
}

/// Several live legs A with the same caller: the most recent INVITE wins.
#[test]
fn b2bua_most_recent_leg_a_wins() {
    let mut sim = Sim::new();
    let old = Leg::new("mr-a1", ("15551230000", EXT), ("8005550100", PBX));
    old.setup(&mut sim, EXT_MEDIA, PBX_A_MEDIA, &[]);
    let new = Leg::new("mr-a2", ("15551230000", EXT), ("8005550111", PBX));
    sim.sip(EXT, PBX, &new.invite("203.0.113.10:20002", &[]));
    let b = Leg::new("mr-b", ("15551230000", PBX), ("201", SEC));
    b.setup(&mut sim, PBX_B_MEDIA, SEC_MEDIA, &[]);
    sim.sip(PBX, EXT, &new.response(200, "OK", "1 INVITE", Some("10.0.0.1:40006")));
    for leg in [&old, &new, &b] {
        leg.bye(&mut sim, true, 2);
    }
    let calls: Vec<Vec<String>> = sim.ended().into_iter().map(|e| e.2).collect();
    assert!(calls.contains(&vec!["mr-a1".to_string()]), "{calls:?}");
    assert!(calls.contains(&vec!["mr-b".to_string(), "mr-a2".to_string()]), "{calls:?}");
}

/// Matching only by dialled number, two live legs A: no guess.
#[test]
fn b2bua_ambiguous_dialled_number_does_not_pair() {
    let mut sim = Sim::new();
    let a1 = Leg::new("amb-a1", ("201", SEC), ("15559870000", PBX));
    let a2 = Leg::new("amb-a2", ("202", COL), ("15559870000", PBX));
    sim.sip(SEC, PBX, &a1.invite(SEC_MEDIA, &[]));
    sim.sip(COL, PBX, &a2.invite(COL_MEDIA, &[]));
    let b = Leg::new("amb-b", ("8005550100", PBX), ("15559870000", EXT));
    b.setup(&mut sim, PBX_B_MEDIA, EXT_MEDIA, &[]);
    let st = sim.tracker.stats();
    assert_eq!((st.b2bua_paired, st.b2bua_ambiguous), (0, 1));
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
    sim.sip(EXT, PBX, &l1.invite(EXT_MEDIA, &[]));
    sim.sip(PBX, PBX2, &l2.invite(PBX_B_MEDIA, &[]));
    l3.setup(&mut sim, "10.0.0.2:41000", SEC_MEDIA, &[]);
    sim.sip(PBX2, PBX, &l2.response(200, "OK", "1 INVITE", Some("10.0.0.2:41002")));
    sim.sip(PBX, EXT, &l1.response(200, "OK", "1 INVITE", Some(PBX_A_MEDIA)));
    sim.rtp_both(EXT_MEDIA, PBX_A_MEDIA, 5);
    sim.rtp_both(PBX_B_MEDIA, "10.0.0.2:41002", 5);
    sim.rtp_both("10.0.0.2:41000", SEC_MEDIA, 5);
    for leg in [&l1, &l2, &l3] {
        leg.bye(&mut sim, true, 2);
    }
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.ended()[0].2.len(), 3);
    assert_eq!(sim.tracker.stats().b2bua_paired, 2);
    let (relayed, original, sources) = relayed_split(&sim);
    assert_eq!((relayed, original), (20, 10));
    assert_eq!(sources, [a(EXT_MEDIA), a(SEC_MEDIA)].into_iter().collect());
}

/// Many legs B from one PBX with one caller number: the index and the
/// pairing groups stay under their caps and empty out with the dialogs.
#[test]
fn b2bua_index_stays_bounded() {
    let mut sim = Sim::with(TrackerConfig { max_dialogs: 100, ..config() });
    let leg_a = Leg::new("flood-a", ("15551230000", EXT), ("8005550100", PBX));
    sim.sip(EXT, PBX, &leg_a.invite(EXT_MEDIA, &[]));
    for i in 0..1000 {
        let b = Leg::new(&format!("flood-b{i}"), ("15551230000", PBX), ("201", SEC));
        sim.sip(PBX, SEC, &b.invite(PBX_B_MEDIA, &[]));
        assert!(sim.tracker.pairing_index_len() <= 5 * 100);
    }
    // A group holds at most 32 legs: leg A and 31 legs B.
    assert_eq!(sim.tracker.stats().b2bua_paired, 31);
    sim.advance(40_000);
    assert_eq!(sim.tracker.dialogs(), 0);
    assert_eq!(sim.tracker.pairing_index_len(), 0);
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
    assert_eq!(sim.started().len(), 2);
    sim.sip(
        SEC,
        PBX,
        &leg2.request(false, "REFER", 1, &[format!("Refer-To: <sip:200@{COL}>")], ""),
    );
    // The PBX, told to call 200, presents another caller's number.
    let leg3 = Leg::new("rw-3", ("15551230000", PBX), ("200", COL));
    leg3.setup(&mut sim, "10.0.0.1:40004", COL_MEDIA, &[]);
    for (leg, from_caller) in [(&leg2, false), (&leg3, true), (&leg1, true)] {
        leg.bye(&mut sim, from_caller, 2);
    }
    let calls: Vec<Vec<String>> = sim.ended().into_iter().map(|e| e.2).collect();
    assert!(calls.contains(&vec!["rw-2".to_string(), "rw-3".to_string()]), "{calls:?}");
    assert!(calls.contains(&vec!["rw-1".to_string()]), "{calls:?}");
    let st = sim.tracker.stats();
    assert_eq!((st.transfers_linked, st.b2bua_paired), (1, 0));
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
    sim.sip(GW, SBC, &l1.invite("203.0.113.50:20000", &hdr));
    sim.sip(SBC, PBX2, &l2.invite("10.0.0.1:40000", &hdr));
    sim.sip(PBX2, SBC, &l3.invite("10.0.0.2:41000", &hdr));
    l4.setup(&mut sim, "10.0.0.1:40004", "203.0.113.50:20002", &hdr);
    sim.sip(SBC, PBX2, &l3.response(200, "OK", "1 INVITE", Some("10.0.0.1:40006")));
    sim.sip(PBX2, SBC, &l2.response(200, "OK", "1 INVITE", Some("10.0.0.2:41002")));
    sim.sip(SBC, GW, &l1.response(200, "OK", "1 INVITE", Some("10.0.0.1:40002")));
    sim.rtp_both("203.0.113.50:20000", "10.0.0.1:40002", 10);
    sim.rtp_both("10.0.0.1:40000", "10.0.0.2:41002", 10);
    sim.rtp_both("10.0.0.2:41000", "10.0.0.1:40006", 10);
    sim.rtp_both("10.0.0.1:40004", "203.0.113.50:20002", 10);
    for leg in [&l1, &l2, &l3, &l4] {
        leg.bye(&mut sim, true, 2);
    }
    assert_eq!(sim.started().len(), 1);
    assert_eq!(sim.ended()[0].2.len(), 4);
    let (relayed, original, sources) = relayed_split(&sim);
    assert_eq!((relayed, original), (60, 20), "only the gateway's two voices are originals");
    assert_eq!(sources, [a("203.0.113.50:20000"), a("203.0.113.50:20002")].into_iter().collect());
}
