//! Safe wrappers around `unsafe-libopus` (libopus 1.3 translated to Rust).
//!
//! This is the only module with `unsafe`: each call passes buffers whose
//! lengths are checked here, and the state pointers live exactly as long as
//! the wrapper.
#![allow(unsafe_code)]

/// An Opus failure code with its libopus name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("opus error {0}")]
pub struct OpusError(pub i32);

/// Opus encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusEncoderConfig {
    pub sample_rate: u32,
    pub channels: u8,
    /// Target bitrate for all channels together, bits/s.
    pub bitrate: u32,
    /// 0 (fastest) ..= 10 (best).
    pub complexity: u8,
    /// Discontinuous transmission: near-empty packets for silence.
    pub dtx: bool,
    /// With 2 channels: code them as two independent mono streams (a
    /// multistream packet, RFC 7845 mapping family 1) instead of coupled
    /// stereo. libopus folds coupled stereo to mono at low bitrates, which
    /// would mix the two sides of a call; uncoupled streams never do.
    pub uncoupled: bool,
}

#[derive(Debug)]
enum EncState {
    Single(*mut unsafe_libopus::OpusEncoder),
    Multi(*mut unsafe_libopus::OpusMSEncoder),
}

/// A libopus encoder (VOIP application).
#[derive(Debug)]
pub struct OpusEncoder {
    st: EncState,
    channels: usize,
}

// SAFETY: the encoder state is plain memory owned by this value and never
// shared; libopus keeps no thread-local or global mutable state.
unsafe impl Send for OpusEncoder {}

impl OpusEncoder {
    pub fn new(c: &OpusEncoderConfig) -> Result<Self, OpusError> {
        let mut err = 0i32;
        let st = if c.uncoupled && c.channels == 2 {
            let mapping = [0u8, 1];
            // SAFETY: plain integers, a 2-entry mapping for 2 channels, and a
            // valid out-pointer.
            let st = unsafe {
                unsafe_libopus::opus_multistream_encoder_create(
                    c.sample_rate as i32,
                    2,
                    2,
                    0,
                    mapping.as_ptr(),
                    unsafe_libopus::OPUS_APPLICATION_VOIP,
                    &mut err,
                )
            };
            if st.is_null() || err != unsafe_libopus::OPUS_OK {
                return Err(OpusError(err));
            }
            EncState::Multi(st)
        } else {
            // SAFETY: arguments are plain integers and a valid out-pointer.
            let st = unsafe {
                unsafe_libopus::opus_encoder_create(
                    c.sample_rate as i32,
                    i32::from(c.channels),
                    unsafe_libopus::OPUS_APPLICATION_VOIP,
                    &mut err,
                )
            };
            if st.is_null() || err != unsafe_libopus::OPUS_OK {
                return Err(OpusError(err));
            }
            EncState::Single(st)
        };
        let enc = OpusEncoder { st, channels: usize::from(c.channels) };
        enc.ctl(unsafe_libopus::OPUS_SET_BITRATE_REQUEST, c.bitrate as i32)?;
        enc.ctl(unsafe_libopus::OPUS_SET_COMPLEXITY_REQUEST, i32::from(c.complexity.min(10)))?;
        enc.ctl(unsafe_libopus::OPUS_SET_DTX_REQUEST, i32::from(c.dtx))?;
        enc.ctl(unsafe_libopus::OPUS_SET_SIGNAL_REQUEST, unsafe_libopus::OPUS_SIGNAL_VOICE)?;
        Ok(enc)
    }

    fn ctl(&self, request: i32, value: i32) -> Result<(), OpusError> {
        // SAFETY: `st` is a live encoder; the request takes one i32.
        let r = unsafe {
            match self.st {
                EncState::Single(st) => unsafe_libopus::opus_encoder_ctl_impl(
                    st,
                    request,
                    unsafe_libopus::varargs!(value),
                ),
                EncState::Multi(st) => unsafe_libopus::opus_multistream_encoder_ctl_impl(
                    st,
                    request,
                    unsafe_libopus::varargs!(value),
                ),
            }
        };
        if r == unsafe_libopus::OPUS_OK { Ok(()) } else { Err(OpusError(r)) }
    }

    /// Forgets all history (the next frame is coded independently), as after
    /// a gap the encoder did not see.
    pub fn reset(&mut self) -> Result<(), OpusError> {
        // SAFETY: `st` is live; OPUS_RESET_STATE takes no argument.
        let r = unsafe {
            match self.st {
                EncState::Single(st) => unsafe_libopus::opus_encoder_ctl_impl(
                    st,
                    unsafe_libopus::OPUS_RESET_STATE,
                    unsafe_libopus::varargs!(),
                ),
                EncState::Multi(st) => unsafe_libopus::opus_multistream_encoder_ctl_impl(
                    st,
                    unsafe_libopus::OPUS_RESET_STATE,
                    unsafe_libopus::varargs!(),
                ),
            }
        };
        if r == unsafe_libopus::OPUS_OK { Ok(()) } else { Err(OpusError(r)) }
    }

    /// True when encoding two uncoupled streams (mapping family 1).
    pub fn is_multistream(&self) -> bool {
        matches!(self.st, EncState::Multi(_))
    }

    /// Samples (per channel, at the encoder rate) of algorithmic delay.
    pub fn lookahead(&self) -> Result<u32, OpusError> {
        let mut v = 0i32;
        // SAFETY: `st` is live; the request writes one i32 through the pointer.
        let r = unsafe {
            match self.st {
                EncState::Single(st) => unsafe_libopus::opus_encoder_ctl_impl(
                    st,
                    unsafe_libopus::OPUS_GET_LOOKAHEAD_REQUEST,
                    unsafe_libopus::varargs!(&mut v),
                ),
                EncState::Multi(st) => unsafe_libopus::opus_multistream_encoder_ctl_impl(
                    st,
                    unsafe_libopus::OPUS_GET_LOOKAHEAD_REQUEST,
                    unsafe_libopus::varargs!(&mut v),
                ),
            }
        };
        if r == unsafe_libopus::OPUS_OK { Ok(v.max(0) as u32) } else { Err(OpusError(r)) }
    }

    /// Encodes one frame of interleaved samples (2.5–60 ms), returning the
    /// packet length written to `out`.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, OpusError> {
        let frame = pcm.len() / self.channels.max(1);
        // SAFETY: `pcm` holds `frame * channels` samples; `out` is writable
        // for `out.len()` bytes.
        let n = unsafe {
            match self.st {
                EncState::Single(st) => unsafe_libopus::opus_encode(
                    st,
                    pcm.as_ptr(),
                    frame as i32,
                    out.as_mut_ptr(),
                    out.len() as i32,
                ),
                EncState::Multi(st) => unsafe_libopus::opus_multistream_encode(
                    st,
                    pcm.as_ptr(),
                    frame as i32,
                    out.as_mut_ptr(),
                    out.len() as i32,
                ),
            }
        };
        if n < 0 { Err(OpusError(n)) } else { Ok(n as usize) }
    }
}

impl Drop for OpusEncoder {
    fn drop(&mut self) {
        // SAFETY: created by the matching create function, destroyed once.
        unsafe {
            match self.st {
                EncState::Single(st) => unsafe_libopus::opus_encoder_destroy(st),
                EncState::Multi(st) => unsafe_libopus::opus_multistream_encoder_destroy(st),
            }
        }
    }
}

#[derive(Debug)]
enum DecState {
    Single(*mut unsafe_libopus::OpusDecoder),
    Multi(*mut unsafe_libopus::OpusMSDecoder),
}

/// Appends `packet` in self-delimited framing (RFC 6716 Appendix B), as
/// every stream but the last of a multistream packet must be.
pub fn self_delimit(packet: &[u8], out: &mut Vec<u8>) -> Result<(), OpusError> {
    // SAFETY: the repacketizer is created and destroyed here; `packet`
    // outlives it (it keeps pointers into the packet); `out` has room for
    // `packet.len() + 2` more bytes, the most self-delimiting adds for one
    // 1275-byte frame length.
    unsafe {
        let rp = unsafe_libopus::opus_repacketizer_create();
        if rp.is_null() {
            return Err(OpusError(unsafe_libopus::OPUS_ALLOC_FAIL));
        }
        let r = unsafe_libopus::opus_repacketizer_cat(rp, packet.as_ptr(), packet.len() as i32);
        if r != unsafe_libopus::OPUS_OK {
            unsafe_libopus::opus_repacketizer_destroy(rp);
            return Err(OpusError(r));
        }
        let frames = unsafe_libopus::opus_repacketizer_get_nb_frames(rp);
        let start = out.len();
        let room = packet.len() + 4;
        out.resize(start + room, 0);
        let n = unsafe_libopus::opus_repacketizer_out_range_impl(
            rp,
            0,
            frames,
            out[start..].as_mut_ptr(),
            room as i32,
            1,
            0,
        );
        unsafe_libopus::opus_repacketizer_destroy(rp);
        if n < 0 {
            out.truncate(start);
            return Err(OpusError(n));
        }
        out.truncate(start + n as usize);
    }
    Ok(())
}

/// A libopus decoder.
#[derive(Debug)]
pub struct OpusDecoder {
    st: DecState,
    channels: usize,
    sample_rate: u32,
    /// A packet has been decoded: concealment has something to continue.
    decoded: bool,
}

// SAFETY: as for the encoder.
unsafe impl Send for OpusDecoder {}

impl OpusDecoder {
    pub fn new(sample_rate: u32, channels: u8) -> Result<Self, OpusError> {
        let mut err = 0i32;
        // SAFETY: plain integers and a valid out-pointer.
        let st = unsafe {
            unsafe_libopus::opus_decoder_create(sample_rate as i32, i32::from(channels), &mut err)
        };
        if st.is_null() || err != unsafe_libopus::OPUS_OK {
            return Err(OpusError(err));
        }
        Ok(OpusDecoder {
            st: DecState::Single(st),
            channels: usize::from(channels),
            sample_rate,
            decoded: false,
        })
    }

    /// A decoder for two uncoupled mono streams on two channels (RFC 7845
    /// mapping family 1, streams 2, coupled 0, mapping [0, 1]).
    pub fn new_uncoupled_stereo(sample_rate: u32) -> Result<Self, OpusError> {
        let mut err = 0i32;
        let mapping = [0u8, 1];
        // SAFETY: plain integers, a 2-entry mapping, a valid out-pointer.
        let st = unsafe {
            unsafe_libopus::opus_multistream_decoder_create(
                sample_rate as i32,
                2,
                2,
                0,
                mapping.as_ptr(),
                &mut err,
            )
        };
        if st.is_null() || err != unsafe_libopus::OPUS_OK {
            return Err(OpusError(err));
        }
        Ok(OpusDecoder { st: DecState::Multi(st), channels: 2, sample_rate, decoded: false })
    }

    /// The decoding rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Decodes one packet, appending interleaved samples to `out`; an empty
    /// packet asks for concealment of one 20 ms frame.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, OpusError> {
        if packet.is_empty() {
            return self.conceal(self.sample_rate as usize / 50, out);
        }
        // 120 ms is the longest Opus packet.
        let max = self.sample_rate as usize * 120 / 1000;
        self.decode_raw(packet, max, out)
    }

    /// True when [`OpusDecoder::conceal`] has a signal to continue: a
    /// packet has been decoded.
    ///
    /// SILK concealment (SILK-only and hybrid packets, most VoIP Opus at
    /// telephony bitrates) relies on the workspace's patched
    /// unsafe-libopus: 0.2.0 as published clamps every concealed SILK
    /// sample to +32767 (its `silk_SAT16` lower bound lost a sign; see
    /// `vendor/unsafe-libopus/PATCHED.md`).
    pub fn can_conceal(&self) -> bool {
        self.decoded
    }

    /// Packet loss concealment: appends `frame` samples per channel
    /// (interleaved) continuing the signal from the decoder's state, as
    /// libopus does for a missing packet. `frame` must be a multiple of
    /// 2.5 ms at the decoding rate, from 2.5 to 120 ms. This is libopus's
    /// concealment whatever the mode: check [`OpusDecoder::can_conceal`]
    /// first.
    pub fn conceal(&mut self, frame: usize, out: &mut Vec<i16>) -> Result<usize, OpusError> {
        let quantum = self.sample_rate as usize / 400;
        let max = self.sample_rate as usize * 120 / 1000;
        if quantum == 0 || frame == 0 || !frame.is_multiple_of(quantum) || frame > max {
            return Err(OpusError(unsafe_libopus::OPUS_BAD_ARG));
        }
        self.decode_raw(&[], frame, out)
    }

    /// One `opus_decode` call: `packet` empty means concealment (a null
    /// data pointer), for exactly `frame` samples per channel.
    fn decode_raw(
        &mut self,
        packet: &[u8],
        frame: usize,
        out: &mut Vec<i16>,
    ) -> Result<usize, OpusError> {
        let start = out.len();
        out.resize(start + frame * self.channels, 0);
        let ptr = if packet.is_empty() { std::ptr::null() } else { packet.as_ptr() };
        // SAFETY: `out[start..]` has room for `frame * channels` samples;
        // `packet` is readable for its length (or null for concealment).
        let n = unsafe {
            match self.st {
                DecState::Single(st) => unsafe_libopus::opus_decode(
                    st,
                    ptr,
                    packet.len() as i32,
                    out[start..].as_mut_ptr(),
                    frame as i32,
                    0,
                ),
                DecState::Multi(st) => unsafe_libopus::opus_multistream_decode(
                    st,
                    ptr,
                    packet.len() as i32,
                    out[start..].as_mut_ptr(),
                    frame as i32,
                    0,
                ),
            }
        };
        if n < 0 {
            out.truncate(start);
            return Err(OpusError(n));
        }
        out.truncate(start + n as usize * self.channels);
        self.decoded |= !packet.is_empty();
        Ok(n as usize)
    }
}

impl Drop for OpusDecoder {
    fn drop(&mut self) {
        // SAFETY: created by the matching create function, destroyed once.
        unsafe {
            match self.st {
                DecState::Single(st) => unsafe_libopus::opus_decoder_destroy(st),
                DecState::Multi(st) => unsafe_libopus::opus_multistream_decoder_destroy(st),
            }
        }
    }
}
