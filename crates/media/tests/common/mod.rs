//! Shared test helpers: the speech fixture and signal comparison.
#![allow(dead_code)]

use callvault_model::Timestamp;

use callvault_media::codec::g711;
use callvault_rtp::RtpPacket;

/// RTP datagrams (arrival, bytes) of tests/data/g711a-rtp.pcap: 4.7 s of
/// recorded speech, G.711 A-law (the fixture sipp ships).
pub fn fixture_rtp() -> Vec<(Timestamp, Vec<u8>)> {
    let d =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g711a-rtp.pcap")).unwrap();
    let mut pos = 24;
    let mut out = Vec::new();
    while pos + 16 <= d.len() {
        let u = |o: usize| u32::from_le_bytes(d[pos + o..pos + o + 4].try_into().unwrap());
        let (sec, usec, incl) = (u(0), u(4), u(8) as usize);
        let pkt = &d[pos + 16..pos + 16 + incl];
        pos += 16 + incl;
        let ihl = usize::from(pkt[14] & 0x0f) * 4;
        let udp = 14 + ihl;
        out.push((
            Timestamp::from_secs_nanos(u64::from(sec), usec * 1000),
            pkt[udp + 8..].to_vec(),
        ));
    }
    out
}

/// The fixture's speech as 8 kHz PCM16.
pub fn speech_8k() -> Vec<i16> {
    let mut pcm = Vec::new();
    for (_, b) in fixture_rtp() {
        let p = RtpPacket::parse(&b).unwrap();
        g711::decode_alaw(p.payload, &mut pcm);
    }
    pcm
}

/// Normalised cross-correlation of `a` and `b` at the best lag within
/// ±`max_lag` samples (b shifted).
pub fn correlation(a: &[i16], b: &[i16], max_lag: usize) -> f64 {
    let mut best = f64::MIN;
    for lag in -(max_lag as isize)..=(max_lag as isize) {
        let (mut sab, mut saa, mut sbb) = (0f64, 0f64, 0f64);
        for (i, &x) in a.iter().enumerate() {
            let j = i as isize + lag;
            if j < 0 || j as usize >= b.len() {
                continue;
            }
            let (x, y) = (f64::from(x), f64::from(b[j as usize]));
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        if saa > 0.0 && sbb > 0.0 {
            best = best.max(sab / (saa * sbb).sqrt());
        }
    }
    best
}

/// Packs an RTP packet.
pub fn rtp(ssrc: u32, seq: u16, ts: u32, pt: u8, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + payload.len());
    RtpPacket {
        marker,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc,
        csrc_bytes: &[],
        extension: None,
        payload,
    }
    .write(&mut v);
    v
}

/// Energy (mean square) of a slice.
pub fn energy(s: &[i16]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    s.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / s.len() as f64
}

/// First-order high-pass (~100 Hz at 8 kHz), as Opus's VOIP mode applies.
pub fn high_pass(s: &[i16]) -> Vec<i16> {
    let (mut px, mut py) = (0f64, 0f64);
    s.iter()
        .map(|&x| {
            let x = f64::from(x);
            py = 0.95 * (py + x - px);
            px = x;
            py.round() as i16
        })
        .collect()
}
