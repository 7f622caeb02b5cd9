//! The live side of the engine: RTP in, spool records out.
//!
//! One [`Recorder`] per conversation. The capture path (passive capture or
//! the SIPREC server) calls it with packets and the time they arrived; it
//! never reads a clock and never blocks except in [`Recorder::poll`] and
//! [`Recorder::close`], which write and sync the spool (run those off the
//! async runtime).
//!
//! Lost packets: every loss is spooled as a `Loss` record (reported on the
//! timeline). For codecs decoded at packet time that have packet loss
//! concealment (G.729, Opus; see
//! [`crate::codec::opus::OpusDecoder::can_conceal`]), the first
//! [`CONCEAL_MAX_MS`] of the gap are filled with the decoder's concealment
//! as an ordinary audio record placed where the previous packet's audio
//! ended; the rest of the gap, and gaps of other codecs, stay silent.
//! Nothing is concealed across a codec change, a new sub-stream (SSRC
//! change, restart), a re-attached flow, or any non-audio packet in between.
use std::path::Path;

use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use callvault_rtp::{
    RtpPacket, StreamTracker, TelephoneEvent, TrackedPacket, TrackerConfig, is_rtcp,
};

use crate::codec::{Codec, Decoder, PayloadMap};
use crate::spool::{G711Law, PendingSync, Record, SPOOL_VERSION, SpoolConfig, SpoolWriter};
use crate::timeline::{ClosedTimeline, TimelineError, side_to_u8};

/// Identifies one media flow (one direction of one RTP stream). The caller
/// derives it, typically from the 5-tuple and direction; SSRCs alone are not
/// unique (sipp reuses them across directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey(pub u64);

/// Recorder settings.
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    pub spool: SpoolConfig,
    /// Timeline and output sample rate. 8000 keeps telephony at its source
    /// rate; 16000 keeps G.722/Opus wideband.
    pub sample_rate: u32,
    pub tracker: TrackerConfig,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            spool: SpoolConfig::default(),
            sample_rate: 8000,
            tracker: TrackerConfig::default(),
        }
    }
}

/// Counters of one recorder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    pub packets: u64,
    pub rtcp: u64,
    pub malformed: u64,
    pub audio_packets: u64,
    pub comfort_noise: u64,
    pub dtmf_events: u64,
    pub undecoded: u64,
    pub decode_errors: u64,
    /// Packets that would land before the conversation's origin.
    pub before_origin: u64,
    /// Losses (runs of lost packets) filled, at least in part, by the
    /// codec's packet loss concealment (G.729, Opus).
    pub concealed_losses: u64,
    /// Timeline samples filled by packet loss concealment instead of
    /// silence.
    pub concealed_samples: u64,
}

/// The longest span of a loss filled by packet loss concealment; the rest
/// of a longer loss stays silent. Concealment that goes on turns into a
/// buzz (G.729 attenuates it only slowly), and 60 ms covers the usual
/// one to three lost packets.
pub const CONCEAL_MAX_MS: u64 = 60;

/// Where the last decoded audio packet of a flow ended: a loss right after
/// it is concealed with the same decoder if it is in the same sub-stream
/// with the same codec.
#[derive(Debug, Clone, Copy)]
struct AudioEnd {
    sub_stream: u32,
    codec: Codec,
    /// One past its last sample on the timeline.
    end: u64,
}

#[derive(Debug, Clone, Copy)]
struct Dtmf {
    ext_ts: i64,
    start: u64,
    event: u8,
    volume: u8,
    duration: u32,
    clock_rate: u32,
    ended: bool,
}

#[derive(Debug)]
struct Flow {
    key: FlowKey,
    stream: u16,
    payloads: PayloadMap,
    tracker: StreamTracker,
    decoder: Option<Decoder>,
    dtmf: Option<Dtmf>,
    last_audio: Option<AudioEnd>,
}

/// Records one conversation. See the module docs.
#[derive(Debug)]
pub struct Recorder {
    conversation: ConversationId,
    origin: Timestamp,
    rate: u32,
    tracker: TrackerConfig,
    flows: Vec<Flow>,
    next_stream: u16,
    spool: SpoolWriter,
    pcm: Vec<i16>,
    stats: RecorderStats,
}

struct Ctx<'a> {
    origin: Timestamp,
    rate: u32,
    spool: &'a mut SpoolWriter,
    pcm: &'a mut Vec<i16>,
    stats: &'a mut RecorderStats,
}

impl Recorder {
    /// Opens the spool `<spool.dir>/<conversation>.cvspool`. `now` is the
    /// conversation's origin on the caller's clock (e.g. the answer time).
    pub fn new(
        config: RecorderConfig,
        conversation: ConversationId,
        now: Timestamp,
    ) -> std::io::Result<Self> {
        let rate = config.sample_rate.clamp(8000, 48_000);
        let header = Record::Begin {
            version: SPOOL_VERSION,
            conversation: *conversation.0.as_bytes(),
            origin_ns: now.as_nanos(),
            sample_rate: rate,
        };
        let spool = SpoolWriter::create(&config.spool, &conversation.0.to_string(), &header, now)?;
        Ok(Recorder {
            conversation,
            origin: now,
            rate,
            tracker: config.tracker,
            flows: Vec::new(),
            next_stream: 0,
            spool,
            pcm: Vec::with_capacity(960),
            stats: RecorderStats::default(),
        })
    }

    pub fn conversation(&self) -> ConversationId {
        self.conversation
    }

    pub fn spool_path(&self) -> &Path {
        self.spool.path()
    }

    pub fn stats(&self) -> RecorderStats {
        self.stats
    }

    /// A participant joined (answer, transfer target, conference member).
    pub fn participant_joined(
        &mut self,
        now: Timestamp,
        participant: ParticipantId,
        side: Side,
        label: &str,
    ) {
        self.spool.append(&Record::Joined {
            participant: *participant.0.as_bytes(),
            side: side_to_u8(side),
            at_ns: now.as_nanos(),
            label,
        });
    }

    /// A participant left (hang-up, completed transfer). The recording goes on
    /// as long as anyone remains.
    pub fn participant_left(&mut self, now: Timestamp, participant: ParticipantId) {
        self.spool.append(&Record::Left {
            participant: *participant.0.as_bytes(),
            at_ns: now.as_nanos(),
        });
    }

    /// Declares that `flow` carries `participant`'s voice on `side`, with
    /// the payload types negotiated in SDP. Calling it again for the same flow
    /// (a re-INVITE, the same PBX leg now carrying someone else) starts a new
    /// stream on the timeline and keeps the flow's sequence tracking.
    pub fn attach_flow(
        &mut self,
        flow: FlowKey,
        participant: ParticipantId,
        side: Side,
        payloads: PayloadMap,
    ) {
        let stream = self.next_stream;
        self.next_stream = self.next_stream.wrapping_add(1);
        self.spool.append(&Record::Stream {
            stream,
            participant: *participant.0.as_bytes(),
            side: side_to_u8(side),
        });
        let mut tc = self.tracker.clone();
        payloads.apply_to(&mut tc);
        match self.flows.iter_mut().find(|f| f.key == flow) {
            Some(f) => {
                f.stream = stream;
                f.payloads = payloads;
                f.decoder = None;
                f.last_audio = None;
            }
            None => self.flows.push(Flow {
                key: flow,
                stream,
                payloads,
                tracker: StreamTracker::new(tc),
                decoder: None,
                dtmf: None,
                last_audio: None,
            }),
        }
    }

    /// One datagram of `flow` that arrived at `now` (RTP or muxed RTCP).
    /// A flow not attached before is attached to an unknown participant on
    /// the unknown side with the static payload types.
    pub fn on_rtp(&mut self, now: Timestamp, flow: FlowKey, datagram: &[u8]) {
        self.stats.packets += 1;
        if is_rtcp(datagram) {
            self.stats.rtcp += 1;
            return;
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            self.stats.malformed += 1;
            return;
        };
        if !self.flows.iter().any(|f| f.key == flow) {
            self.attach_flow(
                flow,
                ParticipantId(uuid::Uuid::nil()),
                Side::Unknown,
                PayloadMap::default(),
            );
        }
        let mut ctx = Ctx {
            origin: self.origin,
            rate: self.rate,
            spool: &mut self.spool,
            pcm: &mut self.pcm,
            stats: &mut self.stats,
        };
        let Some(f) = self.flows.iter_mut().find(|f| f.key == flow) else { return };
        // In order with nothing held back (nearly always): straight through,
        // without a copy into the reorder buffer.
        if let Some(p) = f.tracker.push_next(now, &packet) {
            handle(
                f.stream,
                &f.payloads,
                &mut f.decoder,
                &mut f.dtmf,
                &mut f.last_audio,
                &p,
                &mut ctx,
            );
            if f.tracker.next_deadline().is_none() {
                return;
            }
        }
        drain(f, &mut ctx, Some(now));
    }

    /// Releases packets whose reorder wait has expired and writes + syncs
    /// the spool when the sync interval has passed. Call it at
    /// [`Recorder::next_deadline`] or on a regular tick (e.g. every 20 ms).
    pub fn poll(&mut self, now: Timestamp) -> std::io::Result<()> {
        let mut ctx = Ctx {
            origin: self.origin,
            rate: self.rate,
            spool: &mut self.spool,
            pcm: &mut self.pcm,
            stats: &mut self.stats,
        };
        for f in &mut self.flows {
            drain(f, &mut ctx, Some(now));
        }
        self.spool.poll(now)?;
        Ok(())
    }

    /// Like [`Recorder::poll`], but returns the due `fdatasync` instead of
    /// running it: run it on an I/O thread (`spawn_blocking`). The packet
    /// path then never waits for the disk; audio is durable once the
    /// returned sync has run.
    pub fn poll_deferred(&mut self, now: Timestamp) -> std::io::Result<Option<PendingSync>> {
        let mut ctx = Ctx {
            origin: self.origin,
            rate: self.rate,
            spool: &mut self.spool,
            pcm: &mut self.pcm,
            stats: &mut self.stats,
        };
        for f in &mut self.flows {
            drain(f, &mut ctx, Some(now));
        }
        self.spool.poll_deferred(now)
    }

    /// The earliest time [`Recorder::poll`] has work.
    pub fn next_deadline(&self) -> Timestamp {
        let sync = self.spool.next_sync();
        self.flows.iter().filter_map(|f| f.tracker.next_deadline()).fold(sync, Timestamp::min)
    }

    /// Heap and inline bytes this call holds, spool buffer aside (for the
    /// memory budget).
    pub fn memory_estimate(&self) -> usize {
        let flows: usize = self
            .flows
            .iter()
            .map(|f| {
                std::mem::size_of::<Flow>()
                    + f.tracker.config().reorder_depth * (std::mem::size_of::<usize>() * 8 + 160)
                    + f.decoder.as_ref().map_or(0, |_| 1024)
            })
            .sum();
        std::mem::size_of::<Self>() + flows + self.pcm.capacity() * 2
    }

    /// Number of completed spool syncs (audio before the last one is
    /// durable).
    pub fn spool_syncs(&self) -> u64 {
        self.spool.syncs()
    }

    /// Bytes held by the spool write buffer.
    pub fn spool_buffer_bytes(&self) -> usize {
        self.spool.buffer_capacity()
    }

    /// Ends the conversation: releases everything buffered, writes the end
    /// record, syncs, and scans the spool into a [`ClosedTimeline`].
    pub fn close(self, now: Timestamp) -> Result<ClosedTimeline, TimelineError> {
        let path = self.finish(now)?;
        ClosedTimeline::from_spool(&path)
    }

    /// [`Recorder::close`] without the scan: the spool is complete (end
    /// record written and synced) and its path is returned, for a caller
    /// that renders later or elsewhere.
    pub fn finish(mut self, now: Timestamp) -> std::io::Result<std::path::PathBuf> {
        let mut ctx = Ctx {
            origin: self.origin,
            rate: self.rate,
            spool: &mut self.spool,
            pcm: &mut self.pcm,
            stats: &mut self.stats,
        };
        for f in &mut self.flows {
            drain(f, &mut ctx, None);
            if let Some(d) = f.dtmf.take()
                && !d.ended
            {
                emit_dtmf(f.stream, &d, &mut ctx);
            }
        }
        self.spool.append(&Record::End { at_ns: now.as_nanos() });
        self.spool.sync(now)?;
        Ok(self.spool.path().to_owned())
    }
}

/// Releases ready packets of one flow (`now = None` flushes everything).
fn drain(f: &mut Flow, ctx: &mut Ctx<'_>, now: Option<Timestamp>) {
    loop {
        let p = match now {
            Some(n) => f.tracker.poll(n),
            None => f.tracker.flush(),
        };
        let Some(p) = p else { break };
        handle(f.stream, &f.payloads, &mut f.decoder, &mut f.dtmf, &mut f.last_audio, &p, ctx);
    }
}

fn sample_at(ctx: &Ctx<'_>, t: Timestamp) -> Option<u64> {
    let d = t.checked_since(ctx.origin)?;
    // 64-bit arithmetic for the first days of a call (the hot path), 128
    // beyond.
    let ns = d.as_nanos();
    let rate = u64::from(ctx.rate);
    match u64::try_from(ns) {
        Ok(ns) if ns < (1 << 44) => Some(ns * rate / 1_000_000_000),
        _ => Some((ns * u128::from(rate) / 1_000_000_000) as u64),
    }
}

fn handle(
    stream: u16,
    payloads: &PayloadMap,
    decoder: &mut Option<Decoder>,
    dtmf: &mut Option<Dtmf>,
    last_audio: &mut Option<AudioEnd>,
    p: &TrackedPacket<'_>,
    ctx: &mut Ctx<'_>,
) {
    let Some(start) = sample_at(ctx, p.media_time) else {
        ctx.stats.before_origin += 1;
        return;
    };
    // Only decoded audio sets it again: anything else in between (comfort
    // noise, an event, G.711, an undecodable payload) rules concealment out.
    let prev = last_audio.take();
    if p.lost_before > 0 {
        ctx.spool.append(&Record::Loss {
            stream,
            start,
            packets: p.lost_before.min(u64::from(u32::MAX)) as u32,
        });
    }
    let codec = payloads.get(p.payload_type);
    match codec {
        // G.711 at the telephony rate is spooled as it came: half the bytes
        // of PCM and nothing to decode until rendering.
        Some(c @ (Codec::Pcma | Codec::Pcmu)) if ctx.rate == 8000 => {
            let law = if c == Codec::Pcma { G711Law::A } else { G711Law::Mu };
            ctx.spool.append(&Record::G711 { stream, start, law, payload: p.payload });
            ctx.stats.audio_packets += 1;
        }
        Some(Codec::TelephoneEvent { rate }) => on_event(stream, dtmf, p, rate, start, ctx),
        Some(Codec::ComfortNoise) => ctx.stats.comfort_noise += 1,
        Some(c) => {
            if decoder.as_ref().is_none_or(|d| d.codec() != c) {
                *decoder = Decoder::new(c, ctx.rate).ok();
            }
            let Some(d) = decoder.as_mut() else {
                raw(stream, start, p, ctx);
                return;
            };
            if p.lost_before > 0
                && let Some(prev) = prev
                && prev.codec == c
                && prev.sub_stream == p.sub_stream
                && !p.sub_stream_start
            {
                conceal(stream, d, prev.end, start, p.lost_before, ctx);
            }
            let mut failed = false;
            let mut bytes = 0;
            let pcm = &mut *ctx.pcm;
            ctx.spool.append_audio(stream, start, |buf| {
                let at = buf.len();
                if d.decode_le(p.payload, pcm, buf).is_err() {
                    buf.truncate(at);
                    failed = true;
                }
                bytes = buf.len() - at;
            });
            if failed {
                ctx.stats.decode_errors += 1;
                raw(stream, start, p, ctx);
                return;
            }
            ctx.stats.audio_packets += 1;
            *last_audio = Some(AudioEnd {
                sub_stream: p.sub_stream,
                codec: c,
                end: start + bytes as u64 / 2,
            });
        }
        None => raw(stream, start, p, ctx),
    }
}

/// Fills the start of a loss, from `from` (where the previous packet's
/// audio ended) towards `to` (this packet's start), with the decoder's
/// concealment, up to [`CONCEAL_MAX_MS`]. Nothing when the gap is empty,
/// negative, or longer than `lost` packets of 120 ms (the longest Opus
/// packet) plus one could be: then the timestamps, not the network, made
/// the gap.
fn conceal(stream: u16, d: &mut Decoder, from: u64, to: u64, lost: u64, ctx: &mut Ctx<'_>) {
    if !d.can_conceal() {
        return;
    }
    let rate = u64::from(ctx.rate);
    let Some(gap) = to.checked_sub(from).filter(|&g| g > 0) else { return };
    if gap > lost.saturating_add(1).saturating_mul(rate * 120 / 1000) {
        return;
    }
    let samples = gap.min(rate * CONCEAL_MAX_MS / 1000) as usize;
    let mut bytes = 0;
    let pcm = &mut *ctx.pcm;
    ctx.spool.append_audio(stream, from, |buf| {
        let at = buf.len();
        d.conceal_le(samples, pcm, buf);
        bytes = buf.len() - at;
    });
    if bytes > 0 {
        ctx.stats.concealed_losses += 1;
        ctx.stats.concealed_samples += bytes as u64 / 2;
    }
}

fn raw(stream: u16, start: u64, p: &TrackedPacket<'_>, ctx: &mut Ctx<'_>) {
    ctx.stats.undecoded += 1;
    ctx.spool.append(&Record::Raw {
        stream,
        start,
        payload_type: p.payload_type,
        payload: p.payload,
    });
}

fn emit_dtmf(stream: u16, d: &Dtmf, ctx: &mut Ctx<'_>) {
    ctx.stats.dtmf_events += 1;
    let duration =
        (u64::from(d.duration) * u64::from(ctx.rate) / u64::from(d.clock_rate.max(1))) as u32;
    ctx.spool.append(&Record::Dtmf {
        stream,
        start: d.start,
        event: d.event,
        volume: d.volume,
        duration,
    });
}

fn on_event(
    stream: u16,
    state: &mut Option<Dtmf>,
    p: &TrackedPacket<'_>,
    rate: u32,
    start: u64,
    ctx: &mut Ctx<'_>,
) {
    let Ok(ev) = TelephoneEvent::parse(p.payload) else {
        raw(stream, start, p, ctx);
        return;
    };
    match state {
        Some(d) if d.ext_ts == p.ext_timestamp => {
            d.duration = d.duration.max(u32::from(ev.duration));
            if ev.end && !d.ended {
                d.ended = true;
                let d = *d;
                emit_dtmf(stream, &d, ctx);
            }
        }
        _ => {
            if let Some(prev) = state.take()
                && !prev.ended
            {
                emit_dtmf(stream, &prev, ctx);
            }
            let d = Dtmf {
                ext_ts: p.ext_timestamp,
                start,
                event: ev.event,
                volume: ev.volume,
                duration: u32::from(ev.duration),
                clock_rate: rate,
                ended: ev.end,
            };
            if ev.end {
                emit_dtmf(stream, &d, ctx);
            }
            *state = Some(d);
        }
    }
}
