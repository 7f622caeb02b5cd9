//! Per-flow TCP stream reassembly for SIP.
//!
//! Each direction of a connection is reassembled on its own and cut into
//! SIP messages with [`callvault_sip::frame`]. A direction is followed from
//! its SYN, or from the first segment that starts with a SIP start line
//! (captures begun mid-connection). Buffers are bounded; a lost segment
//! that never comes back is a *gap*: the stream resynchronises on the next
//! SIP start line. Flows end on FIN/RST or after an idle timeout measured
//! in packet time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use callvault_sip::{Framing, frame};

use crate::time::Timestamp;

/// Limits of the reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConfig {
    /// Directions followed at once; new ones are refused beyond.
    pub max_flows: usize,
    /// In-order bytes held while a message is incomplete.
    pub max_buffer: usize,
    /// Out-of-order bytes held per direction before declaring a gap.
    pub max_out_of_order: usize,
    /// A direction with no segment for this long is dropped.
    pub idle_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        Self {
            max_flows: 65_536,
            max_buffer: 256 * 1024,
            max_out_of_order: 256 * 1024,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// TCP header flags this module uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
}

/// Counters of the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpStats {
    pub segments: u64,
    /// Segments whose bytes had all been seen already.
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and were held.
    pub out_of_order: u64,
    /// Holes given up on (bytes lost to the capture).
    pub gaps: u64,
    /// Times the stream skipped non-SIP bytes to find a start line.
    pub resyncs: u64,
    /// Incomplete messages dropped for exceeding the buffer.
    pub overflows: u64,
    /// Segments with data on directions not followed (not SIP).
    pub ignored_segments: u64,
    pub flows_opened: u64,
    pub flows_closed: u64,
    pub flows_expired: u64,
    pub flows_refused: u64,
    pub keepalives: u64,
    pub messages: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: SocketAddr,
    dst: SocketAddr,
}

#[derive(Debug, Default)]
struct Half {
    /// Next expected sequence number; `None` while desynchronised.
    next_seq: Option<u32>,
    buf: Vec<u8>,
    ooo: Vec<(u32, Vec<u8>)>,
    ooo_bytes: usize,
    last_seen: Timestamp,
}

/// A segment this far behind the expected sequence number that starts a
/// SIP message is taken for a new connection, not a retransmission.
const FAR_BEHIND: u32 = 1 << 20;

/// Most out-of-order segments held per direction.
const MAX_OOO_SEGMENTS: usize = 256;

/// The reassembler for all TCP flows of a capture.
#[derive(Debug, Default)]
pub struct TcpReassembler {
    config: TcpConfig,
    flows: HashMap<Key, Half>,
    stats: TcpStats,
}

/// True when `data` starts like a SIP message (start line or its prefix).
pub fn starts_like_sip(data: &[u8]) -> bool {
    data.first().is_some_and(u8::is_ascii_uppercase) && !matches!(frame(data), Framing::Invalid(_))
}

impl TcpReassembler {
    pub fn new(config: TcpConfig) -> Self {
        Self { config, flows: HashMap::new(), stats: TcpStats::default() }
    }

    pub fn stats(&self) -> TcpStats {
        self.stats
    }

    /// Directions currently followed.
    pub fn flows(&self) -> usize {
        self.flows.len()
    }

    /// Feeds one segment; whole SIP messages it completes are appended to
    /// `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        now: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: TcpFlags,
        payload: &[u8],
        out: &mut Vec<Vec<u8>>,
    ) {
        self.stats.segments += 1;
        let key = Key { src, dst };
        if flags.rst {
            let a = self.flows.remove(&key).is_some();
            let b = self.flows.remove(&Key { src: dst, dst: src }).is_some();
            self.stats.flows_closed += a as u64 + b as u64;
            return;
        }
        if flags.syn {
            if self.ensure(key, now)
                && let Some(h) = self.flows.get_mut(&key)
            {
                *h =
                    Half { next_seq: Some(seq.wrapping_add(1)), last_seen: now, ..Half::default() };
            }
            // Data on a SYN (TFO) is rare for SIP: not followed.
        } else if !payload.is_empty() {
            let known = self.flows.contains_key(&key);
            let sip_start = starts_like_sip(payload);
            if !known && !sip_start {
                self.stats.ignored_segments += 1;
            } else if self.ensure(key, now)
                && let Some(h) = self.flows.get_mut(&key)
            {
                h.last_seen = now;
                if h.next_seq.is_none() {
                    if sip_start {
                        h.next_seq = Some(seq);
                        self.stats.resyncs += u64::from(known);
                    } else {
                        self.stats.ignored_segments += 1;
                    }
                }
                if h.next_seq.is_some() {
                    data(h, &self.config, &mut self.stats, seq, payload, out);
                }
            }
        }
        if flags.fin && self.flows.remove(&key).is_some() {
            self.stats.flows_closed += 1;
        }
    }

    /// Makes sure `key` is followed if there is room.
    fn ensure(&mut self, key: Key, now: Timestamp) -> bool {
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.config.max_flows {
                self.expire(now);
            }
            if self.flows.len() >= self.config.max_flows {
                self.stats.flows_refused += 1;
                return false;
            }
            self.stats.flows_opened += 1;
            self.flows.insert(key, Half { last_seen: now, ..Half::default() });
        }
        true
    }

    /// Drops directions idle for longer than the timeout.
    pub fn expire(&mut self, now: Timestamp) {
        let idle = self.config.idle_timeout;
        let before = self.flows.len();
        self.flows.retain(|_, h| now.saturating_since(h.last_seen) < idle);
        self.stats.flows_expired += (before - self.flows.len()) as u64;
    }
}

fn data(
    h: &mut Half,
    cfg: &TcpConfig,
    st: &mut TcpStats,
    seq: u32,
    payload: &[u8],
    out: &mut Vec<Vec<u8>>,
) {
    let Some(next) = h.next_seq else { return };
    let rel = seq.wrapping_sub(next) as i32;
    if rel < -(FAR_BEHIND as i32) && starts_like_sip(payload) {
        // Far behind the stream: a new connection on the same addresses
        // whose SYN was not captured. Follow the new one.
        st.resyncs += 1;
        desync(h);
        h.next_seq = Some(seq.wrapping_add(payload.len() as u32));
        h.buf.extend_from_slice(payload);
    } else if rel < 0 {
        let skip = rel.unsigned_abs() as usize;
        match payload.get(skip..) {
            Some(rest) if !rest.is_empty() => append(h, rest),
            _ => {
                st.retransmissions += 1;
                return;
            }
        }
    } else if rel == 0 {
        append(h, payload);
    } else if h.ooo_bytes + payload.len() <= cfg.max_out_of_order && h.ooo.len() < MAX_OOO_SEGMENTS
    {
        st.out_of_order += 1;
        h.ooo_bytes += payload.len();
        h.ooo.push((seq, payload.to_vec()));
        return;
    } else {
        // Give up on the hole: restart at the earliest held segment; the
        // buffer then starts mid-message and `cut` resynchronises.
        st.gaps += 1;
        h.buf.clear();
        h.ooo_bytes += payload.len();
        h.ooo.push((seq, payload.to_vec()));
        h.next_seq = h.ooo.iter().map(|(s, _)| *s).min_by_key(|s| s.wrapping_sub(next));
    }
    drain_ooo(h);
    cut(h, cfg, st, out);
}

fn append(h: &mut Half, bytes: &[u8]) {
    h.buf.extend_from_slice(bytes);
    h.next_seq = h.next_seq.map(|n| n.wrapping_add(bytes.len() as u32));
}

fn drain_ooo(h: &mut Half) {
    while let Some(next) = h.next_seq {
        let Some(pos) = h.ooo.iter().position(|(s, _)| (s.wrapping_sub(next) as i32) <= 0) else {
            break;
        };
        let (s, d) = h.ooo.swap_remove(pos);
        h.ooo_bytes -= d.len();
        let skip = next.wrapping_sub(s) as usize;
        if let Some(rest) = d.get(skip..) {
            append(h, rest);
        }
    }
}

/// Cuts whole messages off the front of the buffer.
fn cut(h: &mut Half, cfg: &TcpConfig, st: &mut TcpStats, out: &mut Vec<Vec<u8>>) {
    let mut pos = 0usize;
    loop {
        let rest = h.buf.get(pos..).unwrap_or_default();
        match frame(rest) {
            Framing::Complete(n) => {
                out.push(rest.get(..n).unwrap_or_default().to_vec());
                st.messages += 1;
                pos += n.max(1);
            }
            Framing::KeepAlive(n) => {
                st.keepalives += 1;
                pos += n.max(1);
            }
            Framing::Incomplete => {
                if rest.len() > cfg.max_buffer {
                    st.overflows += 1;
                    desync(h);
                    return;
                }
                break;
            }
            Framing::Invalid(_) => {
                st.resyncs += 1;
                match resync_point(rest) {
                    Some(p) => pos += p,
                    None => {
                        desync(h);
                        return;
                    }
                }
            }
        }
    }
    h.buf.drain(..pos.min(h.buf.len()));
}

/// Offset of the first SIP start line after the start of `buf`: at a line
/// start, or a status line glued to the end of a body without a newline.
fn resync_point(buf: &[u8]) -> Option<usize> {
    (1..buf.len()).find(|&p| {
        let rest = buf.get(p..).unwrap_or_default();
        let line_start = buf.get(p - 1) == Some(&b'\n');
        (line_start || rest.starts_with(b"SIP/2.0 ")) && starts_like_sip(rest)
    })
}

fn desync(h: &mut Half) {
    h.next_seq = None;
    h.buf.clear();
    h.ooo.clear();
    h.ooo_bytes = 0;
}
