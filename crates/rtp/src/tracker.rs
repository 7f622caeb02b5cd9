//! Sans-IO tracking of one media flow: in-order release, loss accounting and
//! the mapping from RTP timestamps to wall-clock time.
//!
//! A *flow* is whatever the caller decides is one direction of one stream
//! (usually the UDP 5-tuple plus direction). It is deliberately not keyed by
//! SSRC alone: sipp, for one, sends the same SSRC in both directions of a
//! call. Inside a flow, every SSRC change and every sequence restart opens a
//! new *sub-stream*; sub-streams are released in the order they began.
//!
//! ```text
//! push(now, packet) ──► reorder buffer (bounded: depth, delay) ──► poll(now)
//!                       ext seq / ext ts / duplicate drop           in order,
//!                       wall-clock anchor + drift correction        with media_time
//! ```
use std::time::Duration;

use callvault_model::Timestamp;

use crate::packet::RtpPacket;

const NANOS: i128 = 1_000_000_000;

/// Tuning of a [`StreamTracker`]. The defaults suit telephony.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// Maximum packets held while waiting for a missing one.
    pub reorder_depth: usize,
    /// Maximum time a packet waits for a missing predecessor.
    pub reorder_delay: Duration,
    /// A forward sequence jump larger than this (or a backward jump beyond
    /// the reorder window) is a restart, confirmed by the next packet or by
    /// the marker bit.
    pub max_dropout: u16,
    /// When arrival time and RTP time disagree by more than this, the
    /// wall-clock anchor is reset at once (hold without timestamp advance,
    /// timestamp jumps).
    pub resync_threshold: Duration,
    /// The window over which the least delay is measured for drift
    /// correction.
    pub drift_window: Duration,
    /// Drift smaller than this is left alone: it is jitter (the anchor was a
    /// delayed packet) or too small to matter. A correction shifts the rest of
    /// the sub-stream on the timeline (a short gap or overlap there).
    pub drift_threshold: Duration,
    /// RTP clock rate per payload type.
    pub clock_rates: [u32; 128],
    /// Payload types whose timestamps do not advance with the media
    /// (telephone-events): excluded from drift measurement. Bit n = type n.
    pub event_payload_types: u128,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        let mut clock_rates = [8000; 128];
        clock_rates[10] = 44_100;
        clock_rates[11] = 44_100;
        TrackerConfig {
            reorder_depth: 16,
            reorder_delay: Duration::from_millis(80),
            max_dropout: 3000,
            resync_threshold: Duration::from_millis(300),
            drift_window: Duration::from_secs(2),
            drift_threshold: Duration::from_millis(40),
            clock_rates,
            event_payload_types: 1 << 101,
        }
    }
}

impl TrackerConfig {
    /// Declares a payload type's clock rate (from SDP `a=rtpmap`).
    pub fn set_clock_rate(&mut self, payload_type: u8, rate: u32) {
        if let Some(r) = self.clock_rates.get_mut(usize::from(payload_type & 0x7f)) {
            *r = rate.max(1);
        }
    }

    /// Declares a payload type as telephone-event (RFC 4733).
    pub fn set_event_payload_type(&mut self, payload_type: u8) {
        self.event_payload_types |= 1u128 << (payload_type & 0x7f);
    }
}

/// Counters of one flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub received: u64,
    pub released: u64,
    pub duplicates: u64,
    /// Arrived after their slot was given up on (or duplicates older than
    /// the 64 packets remembered).
    pub late: u64,
    /// Never arrived (gaps skipped at release).
    pub lost: u64,
    /// Single packets far outside the sequence, dropped as noise.
    pub strays: u64,
    pub ssrc_changes: u64,
    pub restarts: u64,
    /// Immediate wall-clock re-anchors (holds, timestamp jumps).
    pub resyncs: u64,
    /// Gradual drift corrections.
    pub drift_corrections: u64,
}

/// A packet released in order by [`StreamTracker::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedPacket<'a> {
    /// Index of the sub-stream (SSRC change or restart) within the flow.
    pub sub_stream: u32,
    /// True for the first packet released of a sub-stream.
    pub sub_stream_start: bool,
    pub ssrc: u32,
    /// Extended sequence number (never wraps).
    pub ext_seq: i64,
    /// Extended RTP timestamp (never wraps).
    pub ext_timestamp: i64,
    pub clock_rate: u32,
    pub payload_type: u8,
    pub marker: bool,
    pub arrival: Timestamp,
    /// Where the first sample of this packet belongs on the wall clock.
    pub media_time: Timestamp,
    /// Packets of this sub-stream skipped just before this one.
    pub lost_before: u64,
    pub payload: &'a [u8],
}

/// What [`StreamTracker::push`] worked out for a packet it keeps.
#[derive(Debug, Clone, Copy)]
struct Admitted {
    sub: u32,
    ext_seq: i64,
    ext_ts: i64,
    media_ns: i128,
}

#[derive(Debug, Default)]
struct Slot {
    used: bool,
    sub: u32,
    ext_seq: i64,
    ext_ts: i64,
    arrival: Timestamp,
    media_ns: i128,
    ssrc: u32,
    pt: u8,
    marker: bool,
    payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Sub {
    index: u32,
    ssrc: u32,
    highest_seq: i64,
    last_ts: u32,
    last_ext_ts: i64,
    anchor_ts: i64,
    anchor_ns: i128,
    anchor_rate: u32,
    /// Next sequence to release; `None` before the first release.
    next_release: Option<i64>,
    /// Bit i set: `next_release - 1 - i` was released (duplicate detection
    /// after release).
    released_mask: u64,
    last_arrival: Timestamp,
    window_start: Timestamp,
    window_min_skew: Option<i128>,
}

/// Tracks one flow. See the module docs.
#[derive(Debug)]
pub struct StreamTracker {
    config: TrackerConfig,
    cur: Option<Sub>,
    /// Index the next sub-stream will take.
    next_sub: u32,
    /// Candidate restart: (ssrc, expected next seq).
    probation: Option<(u32, u16)>,
    slots: Vec<Slot>,
    /// Slots in use.
    used: usize,
    released_subs: u32,
    stats: FlowStats,
}

/// RTP clock ticks to nanoseconds: 64-bit arithmetic for spans of up to a
/// few days (every packet), 128-bit beyond.
fn ticks_to_ns(ticks: i64, rate: u32) -> i128 {
    const LIMIT: i64 = 1 << 33;
    if (-LIMIT..LIMIT).contains(&ticks) {
        i128::from(ticks * 1_000_000_000 / i64::from(rate))
    } else {
        i128::from(ticks) * NANOS / i128::from(rate)
    }
}

fn dur_ns(d: Duration) -> i128 {
    d.as_nanos() as i128
}

fn time_ns(t: Timestamp) -> i128 {
    i128::from(t.as_nanos())
}

/// A computed media time, clamped to what a `Timestamp` holds.
fn ns_time(ns: i128) -> Timestamp {
    Timestamp::from_nanos(ns.clamp(0, i128::from(u64::MAX)) as u64)
}

impl StreamTracker {
    pub fn new(config: TrackerConfig) -> Self {
        let depth = config.reorder_depth.max(1);
        let slots = (0..depth).map(|_| Slot::default()).collect();
        StreamTracker {
            config,
            cur: None,
            next_sub: 0,
            probation: None,
            slots,
            used: 0,
            released_subs: 0,
            stats: FlowStats::default(),
        }
    }

    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    fn rate(&self, pt: u8) -> u32 {
        self.config.clock_rates.get(usize::from(pt & 0x7f)).copied().unwrap_or(8000).max(1)
    }

    fn new_sub(&mut self, now: Timestamp, p: &RtpPacket<'_>) -> Sub {
        let index = self.next_sub;
        self.next_sub = self.next_sub.wrapping_add(1);
        Sub {
            index,
            ssrc: p.ssrc,
            highest_seq: i64::from(p.sequence),
            last_ts: p.timestamp,
            last_ext_ts: i64::from(p.timestamp),
            anchor_ts: i64::from(p.timestamp),
            anchor_ns: time_ns(now),
            anchor_rate: self.rate(p.payload_type),
            next_release: None,
            released_mask: 0,
            last_arrival: now,
            window_start: now,
            window_min_skew: None,
        }
    }

    /// Takes one packet that arrived at `now`. Never panics; a packet that
    /// cannot be used is counted and dropped.
    pub fn push(&mut self, now: Timestamp, p: &RtpPacket<'_>) {
        if let Some(a) = self.admit(now, p) {
            self.store(a, now, p);
        }
    }

    /// [`StreamTracker::push`] for the common case, without a copy: when
    /// nothing is buffered and `p` is the next packet in order, it is
    /// released at once (borrowing its payload) and returned; otherwise it
    /// is buffered or dropped as by `push`, and `None` is returned. Either
    /// way, [`StreamTracker::poll`] afterwards releases what is ready.
    pub fn push_next<'p>(
        &mut self,
        now: Timestamp,
        p: &RtpPacket<'p>,
    ) -> Option<TrackedPacket<'p>> {
        let a = self.admit(now, p)?;
        let cur = self.cur?;
        if self.used != 0 || a.sub != cur.index || cur.next_release != Some(a.ext_seq) {
            self.store(a, now, p);
            return None;
        }
        let (lost_before, sub_stream_start) = self.mark_released(a.sub, a.ext_seq, Some(a.ext_seq));
        Some(TrackedPacket {
            sub_stream: a.sub,
            sub_stream_start,
            ssrc: p.ssrc,
            ext_seq: a.ext_seq,
            ext_timestamp: a.ext_ts,
            clock_rate: self.rate(p.payload_type),
            payload_type: p.payload_type,
            marker: p.marker,
            arrival: now,
            media_time: ns_time(a.media_ns),
            lost_before,
            payload: p.payload,
        })
    }

    /// Sequence, timestamp and clock bookkeeping of an arriving packet;
    /// `None` when it is dropped (duplicate, late, stray).
    fn admit(&mut self, now: Timestamp, p: &RtpPacket<'_>) -> Option<Admitted> {
        self.stats.received += 1;
        let is_event = self.config.event_payload_types & (1u128 << (p.payload_type & 0x7f)) != 0;
        let mut sub = match self.cur {
            None => {
                let s = self.new_sub(now, p);
                self.cur = Some(s);
                s
            }
            Some(s) if s.ssrc != p.ssrc => {
                self.stats.ssrc_changes += 1;
                let s = self.new_sub(now, p);
                self.cur = Some(s);
                self.probation = None;
                s
            }
            Some(s) => s,
        };
        let delta = i64::from(p.sequence.wrapping_sub(sub.highest_seq as u16) as i16);
        let back_window = (self.slots.len() as i64).max(64);
        let jump = delta > i64::from(self.config.max_dropout) || delta < -back_window;
        let delta = if jump {
            let confirmed = self.probation == Some((p.ssrc, p.sequence));
            if p.marker || confirmed {
                self.stats.restarts += 1;
                self.probation = None;
                sub = self.new_sub(now, p);
                self.cur = Some(sub);
                0
            } else {
                self.stats.strays += 1;
                self.probation = Some((p.ssrc, p.sequence.wrapping_add(1)));
                return None;
            }
        } else {
            self.probation = None;
            delta
        };
        let ext_seq = sub.highest_seq + delta;
        let ts_delta = i64::from(p.timestamp.wrapping_sub(sub.last_ts) as i32);
        let ext_ts = sub.last_ext_ts + ts_delta;
        if let Some(next) = sub.next_release
            && ext_seq < next
        {
            let back = next - 1 - ext_seq;
            if back < 64 && sub.released_mask & (1u64 << back) != 0 {
                self.stats.duplicates += 1;
            } else {
                self.stats.late += 1;
            }
            return None;
        }
        if self.used > 0
            && self.slots.iter().any(|s| s.used && s.sub == sub.index && s.ext_seq == ext_seq)
        {
            self.stats.duplicates += 1;
            return None;
        }
        let rate = self.rate(p.payload_type);
        if rate != sub.anchor_rate {
            // A codec with another clock (re-INVITE): re-anchor on its time.
            sub.anchor_ts = ext_ts;
            sub.anchor_rate = rate;
            sub.anchor_ns = time_ns(now);
            sub.window_min_skew = None;
            sub.window_start = now;
        }
        let newest = delta > 0 || ext_seq == sub.highest_seq && sub.next_release.is_none();
        if delta > 0 {
            sub.highest_seq = ext_seq;
            sub.last_ts = p.timestamp;
            sub.last_ext_ts = ext_ts;
        }
        let mut media_ns = sub.anchor_ns + ticks_to_ns(ext_ts - sub.anchor_ts, rate);
        if newest && !is_event {
            let skew = time_ns(now) - media_ns;
            let resync = dur_ns(self.config.resync_threshold);
            if skew.abs() > resync {
                self.stats.resyncs += 1;
                sub.anchor_ts = ext_ts;
                sub.anchor_ns = time_ns(now);
                media_ns = sub.anchor_ns;
                sub.window_min_skew = None;
                sub.window_start = now;
            } else {
                let m = sub.window_min_skew.map_or(skew, |m| m.min(skew));
                sub.window_min_skew = Some(m);
                if now.saturating_since(sub.window_start) >= self.config.drift_window {
                    if m.abs() > dur_ns(self.config.drift_threshold) {
                        self.stats.drift_corrections += 1;
                        sub.anchor_ns += m;
                    }
                    sub.window_min_skew = None;
                    sub.window_start = now;
                }
            }
            sub.last_arrival = now;
        }
        self.cur = Some(sub);
        Some(Admitted { sub: sub.index, ext_seq, ext_ts, media_ns })
    }

    fn store(&mut self, a: Admitted, now: Timestamp, p: &RtpPacket<'_>) {
        let Admitted { sub, ext_seq, ext_ts, media_ns } = a;
        // The caller polls after each push, so a slot is free; if it did not,
        // the oldest packet is overwritten and counted as lost.
        let idx = match self.free_slot() {
            Some(i) => {
                self.used += 1;
                i
            }
            None => {
                self.stats.lost += 1;
                match self.min_slot() {
                    Some(i) => i,
                    None => return,
                }
            }
        };
        let slot = &mut self.slots[idx];
        slot.used = true;
        slot.sub = sub;
        slot.ext_seq = ext_seq;
        slot.ext_ts = ext_ts;
        slot.arrival = now;
        slot.media_ns = media_ns;
        slot.ssrc = p.ssrc;
        slot.pt = p.payload_type;
        slot.marker = p.marker;
        slot.payload.clear();
        slot.payload.extend_from_slice(p.payload);
    }

    fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(|s| !s.used)
    }

    fn min_slot(&self) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let mut best: Option<(usize, (u32, i64))> = None;
        for (i, s) in self.slots.iter().enumerate() {
            if !s.used {
                continue;
            }
            // Sub-stream indices grow; wrapping after 2^32 restarts is ignored.
            let key = (s.sub, s.ext_seq);
            if best.is_none_or(|(_, k)| key < k) {
                best = Some((i, key));
            }
        }
        best.map(|(i, _)| i)
    }

    fn buffered(&self) -> usize {
        self.used
    }

    /// Releases the next packet that is ready at `now`, in order. Call until
    /// it returns `None` after every `push` (and on a timer, so that a lost
    /// packet does not hold its successors longer than the reorder delay).
    pub fn poll(&mut self, now: Timestamp) -> Option<TrackedPacket<'_>> {
        self.poll_inner(now, false)
    }

    /// Releases everything buffered, in order (end of call, flow timeout).
    pub fn flush(&mut self) -> Option<TrackedPacket<'_>> {
        self.poll_inner(Timestamp::UNIX_EPOCH, true)
    }

    /// Time at which a buffered packet will be released even if its
    /// predecessor never arrives, if any is waiting.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        if self.used == 0 {
            return None;
        }
        self.slots.iter().filter(|s| s.used).map(|s| s.arrival + self.config.reorder_delay).min()
    }

    /// Loss, release mask and sub-stream bookkeeping of a packet released
    /// now; returns (packets lost before it, first of its sub-stream).
    fn mark_released(&mut self, sub_idx: u32, ext_seq: i64, expected: Option<i64>) -> (u64, bool) {
        let lost_before = match expected {
            Some(e) if ext_seq > e => (ext_seq - e) as u64,
            _ => 0,
        };
        self.stats.lost += lost_before;
        self.stats.released += 1;
        if let Some(c) = self.cur.as_mut()
            && sub_idx == c.index
        {
            let shift = c.next_release.map_or(64, |n| ext_seq + 1 - n);
            c.released_mask = if shift >= 64 { 0 } else { c.released_mask << shift };
            c.released_mask |= 1;
            c.next_release = Some(ext_seq + 1);
        }
        let sub_stream_start = self.released_subs <= sub_idx && {
            self.released_subs = sub_idx + 1;
            true
        };
        (lost_before, sub_stream_start)
    }

    fn poll_inner(&mut self, now: Timestamp, force: bool) -> Option<TrackedPacket<'_>> {
        let i = self.min_slot()?;
        let (sub_idx, ext_seq, arrival) = {
            let s = &self.slots[i];
            (s.sub, s.ext_seq, s.arrival)
        };
        let cur = self.cur?;
        let expected = if sub_idx == cur.index { cur.next_release } else { None };
        let older_sub = sub_idx != cur.index;
        let ready = force
            || older_sub
            || expected == Some(ext_seq)
            || self.buffered() >= self.slots.len()
            || now.saturating_since(arrival) >= self.config.reorder_delay;
        if !ready {
            return None;
        }
        let (lost_before, sub_stream_start) = self.mark_released(sub_idx, ext_seq, expected);
        let clock_rate = self.rate(self.slots[i].pt);
        self.slots[i].used = false;
        self.used -= 1;
        let s = &self.slots[i];
        Some(TrackedPacket {
            sub_stream: s.sub,
            sub_stream_start,
            ssrc: s.ssrc,
            ext_seq: s.ext_seq,
            ext_timestamp: s.ext_ts,
            clock_rate,
            payload_type: s.pt,
            marker: s.marker,
            arrival: s.arrival,
            media_time: ns_time(s.media_ns),
            lost_before,
            payload: &s.payload,
        })
    }
}
