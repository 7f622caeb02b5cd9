//! Synthetic captures of calls for the tests that run passive capture:
//! SIP over UDP plus A-law RTP, one tone per side, in a pcap in memory.

use std::net::SocketAddr;

use callvault_capture::synth::{self, Encap};
use callvault_capture::{PcapWriter, Precision, Timestamp};
use callvault_media::codec::g711::linear_to_alaw;

use super::{headers, msg, sdp};

pub const EXT: &str = "203.0.113.10:5060";
pub const EXT_MEDIA: &str = "203.0.113.10:20000";
pub const SEC: &str = "10.0.0.20:5060";
pub const SEC_MEDIA: &str = "10.0.0.20:30000";
pub const COL: &str = "10.0.0.30:5060";
pub const COL_MEDIA: &str = "10.0.0.30:32000";

pub struct Capture {
    pub writer: PcapWriter<Vec<u8>>,
    pub now_ms: u64,
}

impl Capture {
    /// An empty Ethernet capture whose clock starts at `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        Self {
            writer: PcapWriter::new(
                Vec::new(),
                callvault_capture::LinkType::ETHERNET,
                Precision::Micro,
            )
            .unwrap(),
            now_ms: start_ms,
        }
    }

    pub fn send(&mut self, src: &str, dst: &str, payload: &[u8]) {
        let (src, dst): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        let (_, frame) = synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, payload));
        self.writer.write_frame(Timestamp::from_nanos(self.now_ms * 1_000_000), &frame).unwrap();
    }

    pub fn sip(&mut self, src: &str, dst: &str, text: String) {
        self.now_ms += 10;
        self.send(src, dst, text.as_bytes());
    }

    /// `n` A-law packets each way, 20 ms apart; each side has its own tone.
    pub fn rtp(&mut self, x: &str, y: &str, n: u16, ssrc: u32) {
        for i in 0..n {
            self.now_ms += 20;
            let tone = |f: f64| -> Vec<u8> {
                (0..160)
                    .map(|k| {
                        let t = (u64::from(i) * 160 + k) as f64 / 8000.0;
                        linear_to_alaw((8000.0 * (t * f * std::f64::consts::TAU).sin()) as i16)
                    })
                    .collect()
            };
            self.send(x, y, &synth::rtp(8, i, u32::from(i) * 160, ssrc, &tone(440.0)));
            self.send(y, x, &synth::rtp(8, i, u32::from(i) * 160, ssrc, &tone(1000.0)));
        }
    }
}

pub fn call(
    c: &mut Capture,
    call_id: &str,
    caller: (&str, &str, &str),
    callee: (&str, &str, &str),
) {
    let (a, b) = ((caller.0, caller.1), (callee.0, callee.1));
    c.sip(
        caller.1,
        callee.1,
        msg(
            &format!("INVITE sip:{}@{} SIP/2.0", b.0, b.1),
            &headers(call_id, a, b, "1 INVITE", false),
            &sdp(caller.2),
        ),
    );
    c.sip(
        callee.1,
        caller.1,
        msg("SIP/2.0 200 OK", &headers(call_id, a, b, "1 INVITE", true), &sdp(callee.2)),
    );
    c.sip(
        caller.1,
        callee.1,
        msg(
            &format!("ACK sip:{}@{} SIP/2.0", b.0, b.1),
            &headers(call_id, a, b, "1 ACK", true),
            "",
        ),
    );
}

/// Headers of an in-dialog request sent by the callee: its own tag in
/// From, the caller's in To (`headers` gives the caller's tag to From).
fn callee_headers(
    call_id: &str,
    callee: (&str, &str),
    caller: (&str, &str),
    cseq: &str,
) -> Vec<String> {
    let (caller_tag, callee_tag) = (format!(";tag={call_id}-f"), format!(";tag={call_id}-t"));
    let mut h = headers(call_id, callee, caller, cseq, true);
    for line in &mut h {
        if line.starts_with("From:") {
            *line = line.replace(&caller_tag, &callee_tag);
        } else if line.starts_with("To:") {
            *line = line.replace(&callee_tag, &caller_tag);
        }
    }
    h
}

/// A blind transfer: the caller (`caller`, digits) reaches the secretary (100,
/// `first` packets of 20 ms each way), who transfers to a colleague (200,
/// `second` packets) and hangs up. The company is 10.0.0.0/8.
pub fn blind_transfer(caller: &str, first: u16, second: u16) -> Vec<u8> {
    let mut c = Capture::new(1_764_000_000_000);
    // The caller reaches the secretary, who transfers to a colleague and hangs up.
    call(&mut c, "leg-1", (caller, EXT, EXT_MEDIA), ("100", SEC, SEC_MEDIA));
    c.rtp(EXT_MEDIA, SEC_MEDIA, first, 0xCA11_0000);
    let refer = msg(
        &format!("REFER sip:{caller}@{EXT} SIP/2.0"),
        &[
            callee_headers("leg-1", ("100", SEC), (caller, EXT), "2 REFER"),
            vec![format!("Refer-To: <sip:200@{COL}>")],
        ]
        .concat(),
        "",
    );
    c.sip(SEC, EXT, refer);
    let bye = msg(
        &format!("BYE sip:{caller}@{EXT} SIP/2.0"),
        &callee_headers("leg-1", ("100", SEC), (caller, EXT), "3 BYE"),
        "",
    );
    c.sip(SEC, EXT, bye);
    call(&mut c, "leg-2", (caller, EXT, EXT_MEDIA), ("200", COL, COL_MEDIA));
    c.rtp(EXT_MEDIA, COL_MEDIA, second, 0xCA11_0001);
    let bye = msg(
        &format!("BYE sip:200@{COL} SIP/2.0"),
        &headers("leg-2", (caller, EXT), ("200", COL), "2 BYE", true),
        "",
    );
    c.sip(EXT, COL, bye);
    c.writer.into_inner().unwrap()
}
