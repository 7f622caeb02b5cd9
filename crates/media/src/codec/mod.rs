//! Payload decoding: RTP payload → mono PCM16 at the timeline's rate.
//!
//! | codec | implementation |
//! |---|---|
//! | PCMU, PCMA | own tables ([`g711`]) |
//! | G.722 | own implementation ([`g722`]) |
//! | Opus | `unsafe-libopus` (pure Rust translation of libopus 1.3) |
//! | L16 | big-endian PCM, any rate and channel count |
//! | G.729, G.729A (+ Annex B SID as silence) | own implementation ([`g729`]) |
//! | G.726 (16/24/32/40 kbit/s, RFC 3551 and AAL2 packing) | own implementation ([`g726`]) |
pub mod g711;
pub mod g722;
pub mod g726;
pub mod g729;
pub mod opus;

use crate::resample::Resampler;

/// A codec as negotiated in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
    G722,
    Opus {
        channels: u8,
    },
    L16 {
        rate: u32,
        channels: u8,
    },
    G729,
    /// G.726 ADPCM: `bits` per sample (2..=5: 16 to 40 kbit/s) and how code
    /// words are packed (`G726-32` vs `AAL2-G726-32`).
    G726 {
        bits: u8,
        packing: g726::Packing,
    },
    /// RFC 4733 telephone-event: kept as events, never decoded as audio.
    TelephoneEvent {
        rate: u32,
    },
    /// RFC 3389 comfort noise: silence on the timeline.
    ComfortNoise,
}

impl Codec {
    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu
            | Codec::Pcma
            | Codec::G722
            | Codec::G729
            | Codec::G726 { .. }
            | Codec::ComfortNoise => 8000,
            Codec::Opus { .. } => 48_000,
            Codec::L16 { rate, .. } | Codec::TelephoneEvent { rate } => rate,
        }
    }

    /// Maps an SDP `a=rtpmap` encoding name, clock rate and channel count.
    pub fn from_rtpmap(name: &str, rate: u32, channels: u8) -> Option<Codec> {
        let upper = name.to_ascii_uppercase();
        if let Some(codec) = g726_from_name(&upper) {
            return Some(codec);
        }
        let c = match upper.as_str() {
            "PCMU" => Codec::Pcmu,
            "PCMA" => Codec::Pcma,
            "G722" => Codec::G722,
            "OPUS" => Codec::Opus { channels: channels.clamp(1, 2) },
            "L16" => Codec::L16 { rate: rate.max(1), channels: channels.max(1) },
            "G729" => Codec::G729,
            "TELEPHONE-EVENT" => Codec::TelephoneEvent { rate: rate.max(1) },
            "CN" => Codec::ComfortNoise,
            _ => return None,
        };
        Some(c)
    }
}

/// `G726-32` (RFC 3551 packing), `AAL2-G726-32` (I.366.2 packing) and the
/// other rates; `G721` is the old name of `G726-32`.
fn g726_from_name(upper: &str) -> Option<Codec> {
    let (packing, rest) = match upper.strip_prefix("AAL2-") {
        Some(rest) => (g726::Packing::Aal2, rest),
        None => (g726::Packing::Rfc3551, upper),
    };
    let bits = match rest {
        "G726-16" => 2,
        "G726-24" => 3,
        "G726-32" | "G721" => 4,
        "G726-40" => 5,
        _ => return None,
    };
    Some(Codec::G726 { bits, packing })
}

/// Payload type → codec, for one flow. Starts with the static types of
/// RFC 3551 and `telephone-event/8000` on 101; set the dynamic ones from SDP.
/// Payload type 2 is `G726-32` with RFC 3551 packing (RFC 1890's G721,
/// which RFC 3551 left reserved but SRCs and phones still send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadMap {
    map: [Option<Codec>; 128],
}

impl Default for PayloadMap {
    fn default() -> Self {
        let mut map = [None; 128];
        map[0] = Some(Codec::Pcmu);
        map[2] = Some(Codec::G726 { bits: 4, packing: g726::Packing::Rfc3551 });
        map[8] = Some(Codec::Pcma);
        map[9] = Some(Codec::G722);
        map[10] = Some(Codec::L16 { rate: 44_100, channels: 2 });
        map[11] = Some(Codec::L16 { rate: 44_100, channels: 1 });
        map[13] = Some(Codec::ComfortNoise);
        map[18] = Some(Codec::G729);
        map[101] = Some(Codec::TelephoneEvent { rate: 8000 });
        PayloadMap { map }
    }
}

impl PayloadMap {
    pub fn set(&mut self, payload_type: u8, codec: Codec) {
        if let Some(slot) = self.map.get_mut(usize::from(payload_type)) {
            *slot = Some(codec);
        }
    }

    pub fn get(&self, payload_type: u8) -> Option<Codec> {
        self.map.get(usize::from(payload_type)).copied().flatten()
    }

    /// The tracker configuration for this map (clock rates, event types).
    pub fn apply_to(&self, config: &mut callvault_rtp::TrackerConfig) {
        config.event_payload_types = 0;
        for (pt, c) in self.map.iter().enumerate() {
            if let Some(c) = c {
                config.set_clock_rate(pt as u8, c.clock_rate());
                if matches!(c, Codec::TelephoneEvent { .. }) {
                    config.set_event_payload_type(pt as u8);
                }
            }
        }
    }
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("codec {0:?} cannot be decoded as audio")]
    NotAudio(Codec),
    #[error(transparent)]
    Opus(#[from] opus::OpusError),
}

enum State {
    Pcmu,
    Pcma,
    G722(Box<g722::G722Decoder>),
    G729(Box<g729::G729Decoder>),
    G726(Box<g726::G726Decoder>),
    Opus(opus::OpusDecoder),
    L16 { channels: usize },
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Pcmu => "Pcmu",
            State::Pcma => "Pcma",
            State::G722(_) => "G722",
            State::G729(_) => "G729",
            State::G726(_) => "G726",
            State::Opus(_) => "Opus",
            State::L16 { .. } => "L16",
        })
    }
}

/// A stateful decoder for one stream, producing mono PCM16 at `out_rate`.
#[derive(Debug)]
pub struct Decoder {
    codec: Codec,
    state: State,
    resampler: Resampler,
    scratch: Vec<i16>,
    /// The rate the codec decodes at, before the resampler.
    native_rate: u32,
    out_rate: u32,
}

/// The longest span one [`Decoder::conceal`] call fills. Callers cap well
/// below it (concealment of more than a few frames turns into a buzz).
pub const MAX_CONCEAL_MS: u32 = 120;

/// Opus decodes natively at these rates; anything else goes through 48 kHz.
fn opus_rate(out_rate: u32) -> u32 {
    if [8000, 12_000, 16_000, 24_000, 48_000].contains(&out_rate) { out_rate } else { 48_000 }
}

impl Decoder {
    /// A decoder for an audio codec; `Err(NotAudio)` for events and comfort
    /// noise.
    pub fn new(codec: Codec, out_rate: u32) -> Result<Self, DecodeError> {
        let (state, native) = match codec {
            Codec::Pcmu => (State::Pcmu, 8000),
            Codec::Pcma => (State::Pcma, 8000),
            Codec::G722 => (State::G722(Box::default()), 16_000),
            Codec::G729 => (State::G729(Box::default()), 8000),
            Codec::G726 { bits, packing } => {
                (State::G726(Box::new(g726::G726Decoder::new(bits, packing))), 8000)
            }
            Codec::Opus { .. } => {
                let r = opus_rate(out_rate);
                (State::Opus(opus::OpusDecoder::new(r, 1)?), r)
            }
            Codec::L16 { rate, channels } => {
                (State::L16 { channels: usize::from(channels.max(1)) }, rate)
            }
            Codec::TelephoneEvent { .. } | Codec::ComfortNoise => {
                return Err(DecodeError::NotAudio(codec));
            }
        };
        Ok(Decoder {
            codec,
            state,
            resampler: Resampler::new(native, out_rate),
            scratch: Vec::new(),
            native_rate: native,
            out_rate,
        })
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// True when [`Decoder::conceal`] can fill a loss now: always for G.729
    /// (its erased-frame procedure), for Opus once a packet has been
    /// decoded (see [`opus::OpusDecoder::can_conceal`]). G.711, G.722,
    /// G.726 and L16 have no concealment; their gaps stay silent.
    pub fn can_conceal(&self) -> bool {
        match &self.state {
            State::G729(_) => true,
            State::Opus(d) => d.can_conceal(),
            State::Pcmu | State::Pcma | State::G722(_) | State::G726(_) | State::L16 { .. } => {
                false
            }
        }
    }

    /// Packet loss concealment: appends `samples` samples at the output
    /// rate that continue the signal from the decoder's state, and advances
    /// that state as if the lost audio had been decoded (so the next packet
    /// joins smoothly). G.729 conceals whole 10 ms frames and Opus whole
    /// 2.5 ms steps, cut to `samples`; at most [`MAX_CONCEAL_MS`] are
    /// filled. Returns false and appends nothing for codecs without
    /// concealment (see [`Decoder::can_conceal`]) or when the codec fails.
    pub fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        let samples = samples.min(self.out_rate as usize * MAX_CONCEAL_MS as usize / 1000);
        if samples == 0 || !self.can_conceal() {
            return false;
        }
        let direct = self.resampler.is_identity();
        // A resampler's phase can leave one output short: ask for a little
        // more input than the ratio says.
        let native = (samples as u64 * u64::from(self.native_rate))
            .div_ceil(u64::from(self.out_rate.max(1))) as usize
            + if direct { 0 } else { 2 };
        let at = out.len();
        let buf = if direct { &mut *out } else { &mut self.scratch };
        if !direct {
            buf.clear();
        }
        match &mut self.state {
            State::G729(d) => {
                for _ in 0..native.div_ceil(g729::FRAME_SAMPLES) {
                    d.conceal(buf);
                }
            }
            State::Opus(d) => {
                let quantum = (d.sample_rate() / 400).max(1) as usize;
                let max = d.sample_rate() as usize * MAX_CONCEAL_MS as usize / 1000;
                let frame = (native.div_ceil(quantum) * quantum).min(max);
                if d.conceal(frame, buf).is_err() {
                    out.truncate(at);
                    return false;
                }
            }
            State::Pcmu | State::Pcma | State::G722(_) | State::G726(_) | State::L16 { .. } => {
                return false;
            }
        }
        if !direct {
            self.resampler.process(&self.scratch, out);
        }
        out.truncate(at + samples);
        out.len() > at
    }

    /// [`Decoder::conceal`] appending little-endian bytes (the spool's
    /// sample format), through `scratch`.
    pub fn conceal_le(
        &mut self,
        samples: usize,
        scratch: &mut Vec<i16>,
        out: &mut Vec<u8>,
    ) -> bool {
        scratch.clear();
        if !self.conceal(samples, scratch) {
            return false;
        }
        let at = out.len();
        out.resize(at + scratch.len() * 2, 0);
        for (d, s) in out[at..].chunks_exact_mut(2).zip(scratch.iter()) {
            d.copy_from_slice(&s.to_le_bytes());
        }
        true
    }

    /// Decodes one payload, appending mono samples at the output rate as
    /// little-endian bytes (the spool's sample format). G.711 at its native
    /// rate goes straight from table to bytes.
    pub fn decode_le(
        &mut self,
        payload: &[u8],
        scratch: &mut Vec<i16>,
        out: &mut Vec<u8>,
    ) -> Result<(), DecodeError> {
        if self.resampler.is_identity() {
            let table = match self.state {
                State::Pcmu => Some(&g711::ULAW_DECODE),
                State::Pcma => Some(&g711::ALAW_DECODE),
                _ => None,
            };
            if let Some(t) = table {
                let at = out.len();
                out.resize(at + payload.len() * 2, 0);
                for (d, &b) in out[at..].chunks_exact_mut(2).zip(payload) {
                    d.copy_from_slice(&t[usize::from(b)].to_le_bytes());
                }
                return Ok(());
            }
        }
        scratch.clear();
        self.decode(payload, scratch)?;
        let at = out.len();
        out.resize(at + scratch.len() * 2, 0);
        for (d, s) in out[at..].chunks_exact_mut(2).zip(scratch.iter()) {
            d.copy_from_slice(&s.to_le_bytes());
        }
        Ok(())
    }

    /// Decodes one payload, appending mono samples at the output rate.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), DecodeError> {
        let direct = self.resampler.is_identity();
        let buf = if direct { &mut *out } else { &mut self.scratch };
        if !direct {
            buf.clear();
        }
        match &mut self.state {
            State::Pcmu => g711::decode_ulaw(payload, buf),
            State::Pcma => g711::decode_alaw(payload, buf),
            State::G722(d) => d.decode(payload, buf),
            State::G729(d) => d.decode(payload, buf),
            State::G726(d) => d.decode(payload, buf),
            // An empty payload is no audio (libopus would conceal a frame,
            // which after SILK packets is broken: see `can_conceal`).
            State::Opus(_) if payload.is_empty() => {}
            State::Opus(d) => {
                d.decode(payload, buf)?;
            }
            State::L16 { channels } => {
                let ch = *channels;
                for frame in payload.chunks_exact(2 * ch) {
                    let sum: i32 = frame
                        .chunks_exact(2)
                        .map(|s| i32::from(i16::from_be_bytes([s[0], s[1]])))
                        .sum();
                    buf.push((sum / ch as i32) as i16);
                }
            }
        }
        if !direct {
            self.resampler.process(&self.scratch, out);
        }
        Ok(())
    }
}
