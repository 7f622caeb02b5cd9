//! G.729 / G.729 Annex A decoder (8 kbit/s CS-ACELP), written from the ITU-T
//! Recommendation in floating point.
//!
//! It follows the Annex A decoder: it decodes both G.729 and G.729A
//! bitstreams (the bitstream is the same), with the reduced-complexity
//! Annex A post-filter. Per 10 ms frame of 80 bits:
//!
//! 1. LSF dequantisation: two-stage codebook, switched 4th-order MA
//!    prediction, ordering and minimum-distance stabilisation; LSP
//!    interpolation between frames (subframe 1 = mean of old and new);
//!    LSP → LPC.
//! 2. Per 5 ms subframe: adaptive codebook at 1/3-sample resolution (the
//!    first subframe's lag is protected by a parity bit), the 17-bit
//!    algebraic codebook (4 signed pulses) with pitch sharpening, the
//!    conjugate-structure gain codebooks with MA prediction of the fixed
//!    codebook energy, and the 10th-order synthesis filter.
//! 3. The Annex A post-filter (long-term with integer lag, short-term
//!    A(z/0.55)/A(z/0.70), tilt compensation, adaptive gain control), then
//!    the 100 Hz high-pass post-processing with the ×2 output scaling.
//!
//! Erased frames ([`G729Decoder::conceal`]) repeat the previous LSFs, the
//! previous lag (+1 each frame) and attenuated gains with a random fixed
//! codebook, as the Recommendation prescribes. Annex B SID frames (2 bytes)
//! are decoded as silence of one frame.
//!
//! Arithmetic is floating point, so output is close to but not bit-exact
//! with the ITU fixed-point reference; saturation points of the reference
//! (16-bit excitation, rescaling after a synthesis overflow) are kept so
//! that arbitrary bitstreams stay bounded.
mod tables;

use tables::*;

/// Samples per frame (10 ms at 8 kHz).
pub const FRAME_SAMPLES: usize = 80;
/// Bytes per speech frame.
pub const FRAME_BYTES: usize = 10;
/// Bytes of an Annex B SID (silence description) frame.
pub const SID_BYTES: usize = 2;

const M: usize = 10;
const SUBFRAME: usize = 40;
const PIT_MIN: usize = 20;
const PIT_MAX: usize = 143;
const INTERP_TAPS: usize = 10;
/// Excitation history: longest lag plus the interpolation filter's reach.
const EXC_HIST: usize = PIT_MAX + INTERP_TAPS + 2;

const Q12: f32 = 1.0 / 4096.0;
const Q13: f32 = 1.0 / 8192.0;
const Q14: f32 = 1.0 / 16384.0;
const Q15: f32 = 1.0 / 32768.0;

/// Minimum distances used in LSF stabilisation, radians.
const GAP1: f32 = 10.0 * Q13;
const GAP2: f32 = 5.0 * Q13;
const GAP3: f32 = 321.0 * Q13;
const LSF_LOW: f32 = 40.0 * Q13;
const LSF_HIGH: f32 = 25681.0 * Q13;

const SHARP_MIN: f32 = 0.2;
const SHARP_MAX: f32 = 0.8;
/// Mean energy of the fixed-codebook contribution, dB: 36 dB in the
/// Recommendation's terms, less 6 dB because the codec works on half-scale
/// speech (the post-processing scales the output back up by 2).
const MEAN_ENERGY: f32 = 30.0;
/// Floor of the gain predictor memory, dB.
const PRED_FLOOR: f32 = -14.0;

const GAMMA_NUM: f32 = 0.55;
const GAMMA_DEN: f32 = 0.70;
const TILT_MU: f32 = 0.8;
const LTP_GAMMA: f32 = 0.5;
const AGC_FAC: f32 = 0.9;
/// Length of the truncated impulse response for the tilt estimate.
const IMPULSE_LEN: usize = 22;

/// The 80 bits of a frame, split into the parameters of the Recommendation.
#[derive(Debug, Clone, Copy, Default)]
struct Params {
    ma: usize,
    l1: usize,
    l2: usize,
    l3: usize,
    p1: usize,
    parity: u32,
    c: [u32; 2],
    s: [u32; 2],
    ga: [usize; 2],
    gb: [usize; 2],
    p2: usize,
}

struct Bits<'a> {
    data: &'a [u8; FRAME_BYTES],
    pos: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> u32 {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data[self.pos / 8];
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        v
    }
}

impl Params {
    fn parse(frame: &[u8; FRAME_BYTES]) -> Params {
        let mut b = Bits { data: frame, pos: 0 };
        let mut p = Params {
            ma: b.take(1) as usize,
            l1: b.take(7) as usize,
            l2: b.take(5) as usize,
            l3: b.take(5) as usize,
            p1: b.take(8) as usize,
            parity: b.take(1),
            ..Params::default()
        };
        p.c[0] = b.take(13);
        p.s[0] = b.take(4);
        p.ga[0] = b.take(3) as usize;
        p.gb[0] = b.take(4) as usize;
        p.p2 = b.take(5) as usize;
        p.c[1] = b.take(13);
        p.s[1] = b.take(4);
        p.ga[1] = b.take(3) as usize;
        p.gb[1] = b.take(4) as usize;
        p
    }

    /// True when the parity bit over the six most significant bits of the
    /// first subframe's lag index does not match.
    fn pitch_parity_error(&self) -> bool {
        // The encoder sends 1 + Σ bits (mod 2): bits plus parity is odd.
        let ones = ((self.p1 >> 2) & 0x3f).count_ones();
        (ones + self.parity) & 1 == 0
    }
}

/// Decoder state for one G.729 stream.
#[derive(Clone)]
pub struct G729Decoder {
    /// LSF predictor memory (quantised residual vectors of 4 past frames).
    freq_prev: [[f32; M]; 4],
    prev_lsf: [f32; M],
    prev_ma: usize,
    lsp_old: [f32; M],
    /// Past excitation followed by the current frame's.
    exc: [f32; EXC_HIST + FRAME_SAMPLES],
    /// Last `M` synthesised samples, then the current frame.
    syn: [f32; M + FRAME_SAMPLES],
    sharp: f32,
    old_t0: usize,
    past_qua_en: [f32; 4],
    gain_pitch: f32,
    gain_code: f32,
    seed: u16,
    post: PostFilter,
    hp_x: [f32; 2],
    hp_y: [f32; 2],
}

impl std::fmt::Debug for G729Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("G729Decoder").finish_non_exhaustive()
    }
}

impl Default for G729Decoder {
    fn default() -> Self {
        let lsf_reset = FREQ_PREV_RESET.map(|v| f32::from(v) * Q13);
        G729Decoder {
            freq_prev: [lsf_reset; 4],
            prev_lsf: lsf_reset,
            prev_ma: 0,
            lsp_old: LSP_INIT.map(|v| f32::from(v) * Q15),
            exc: [0.0; EXC_HIST + FRAME_SAMPLES],
            syn: [0.0; M + FRAME_SAMPLES],
            sharp: SHARP_MIN,
            old_t0: 60,
            past_qua_en: [PRED_FLOOR; 4],
            gain_pitch: 0.0,
            gain_code: 0.0,
            seed: 21845,
            post: PostFilter::default(),
            hp_x: [0.0; 2],
            hp_y: [0.0; 2],
        }
    }
}

impl G729Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes an RTP payload: any number of 10-byte frames, optionally
    /// followed by one 2-byte SID frame (decoded as one frame of silence).
    /// Other trailing bytes cannot be a frame and are ignored. Appends 80
    /// samples per frame.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        let mut frames = payload.chunks_exact(FRAME_BYTES);
        for f in frames.by_ref() {
            if let Ok(f) = <&[u8; FRAME_BYTES]>::try_from(f) {
                self.decode_frame(Some(f), out);
            }
        }
        if frames.remainder().len() == SID_BYTES {
            self.silence(out);
        }
    }

    /// Conceals one lost frame (80 samples) from the decoder's state.
    pub fn conceal(&mut self, out: &mut Vec<i16>) {
        self.decode_frame(None, out);
    }

    /// A comfort-noise (SID) frame: silence, with the excitation and filter
    /// memories cleared so that speech resumes from a quiet state.
    fn silence(&mut self, out: &mut Vec<i16>) {
        self.exc = [0.0; EXC_HIST + FRAME_SAMPLES];
        self.syn = [0.0; M + FRAME_SAMPLES];
        self.post.clear();
        self.hp_x = [0.0; 2];
        self.hp_y = [0.0; 2];
        out.extend(std::iter::repeat_n(0, FRAME_SAMPLES));
    }

    fn random(&mut self) -> u32 {
        self.seed = self.seed.wrapping_mul(31821).wrapping_add(13849);
        u32::from(self.seed)
    }

    fn decode_frame(&mut self, frame: Option<&[u8; FRAME_BYTES]>, out: &mut Vec<i16>) {
        let erased = frame.is_none();
        let p = frame.map(Params::parse).unwrap_or_default();

        let lsp_new = self.decode_lsp(&p, erased);
        let mut lsp_mid = [0.0; M];
        for (m, (o, n)) in lsp_mid.iter_mut().zip(self.lsp_old.iter().zip(&lsp_new)) {
            *m = 0.5 * (o + n);
        }
        let az = [lsp_to_lpc(&lsp_mid), lsp_to_lpc(&lsp_new)];
        self.lsp_old = lsp_new;

        let mut lags = [0usize; 2];
        let mut t0 = self.old_t0;
        for sub in 0..2 {
            let (lag, frac) = self.pitch_lag(&p, sub, erased, t0);
            t0 = lag;
            lags[sub] = lag;
            let base = EXC_HIST + sub * SUBFRAME;
            self.adaptive_vector(base, lag, frac);

            let (cidx, sidx) = if erased {
                (self.random() & 0x1fff, self.random() & 0xf)
            } else {
                (p.c[sub], p.s[sub])
            };
            let mut code = fixed_vector(cidx, sidx);
            if lag < SUBFRAME {
                for i in lag..SUBFRAME {
                    code[i] += code[i - lag] * self.sharp;
                }
            }
            self.decode_gains(&p, sub, erased, &code);
            self.sharp = self.gain_pitch.clamp(SHARP_MIN, SHARP_MAX);

            for (e, c) in self.exc[base..base + SUBFRAME].iter_mut().zip(&code) {
                *e = (*e * self.gain_pitch + c * self.gain_code).clamp(-32768.0, 32767.0);
            }
            self.synthesise(&az[sub], sub);
        }

        let mut post = [0.0f32; FRAME_SAMPLES];
        for sub in 0..2 {
            self.post.subframe(&self.syn, sub, &az[sub], lags[sub], &mut post);
        }
        self.high_pass(&post, out);

        self.exc.copy_within(FRAME_SAMPLES.., 0);
        self.syn.copy_within(FRAME_SAMPLES.., 0);
    }

    /// LSF dequantisation (or repetition on erasure), returning LSPs.
    fn decode_lsp(&mut self, p: &Params, erased: bool) -> [f32; M] {
        let lsf = if erased {
            // Keep the previous LSFs; update the predictor with the residual
            // that would have produced them.
            let lsf = self.prev_lsf;
            let ma = self.prev_ma;
            let mut resid = [0.0; M];
            for j in 0..M {
                let mut pred = 0.0;
                for (fg, prev) in FG[ma].iter().zip(&self.freq_prev) {
                    pred += f32::from(fg[j]) * Q15 * prev[j];
                }
                resid[j] = (lsf[j] - pred) * f32::from(FG_SUM_INV[ma][j]) * Q12;
            }
            self.push_freq_prev(resid);
            lsf
        } else {
            let c1 = &LSPCB1[p.l1 & 127];
            let c2 = &LSPCB2[p.l2 & 31];
            let c3 = &LSPCB2[p.l3 & 31];
            let mut buf = [0.0; M];
            for j in 0..M {
                let second = if j < M / 2 { c2[j] } else { c3[j] };
                buf[j] = (f32::from(c1[j]) + f32::from(second)) * Q13;
            }
            expand(&mut buf, GAP1);
            expand(&mut buf, GAP2);
            let ma = p.ma & 1;
            let mut lsf = [0.0; M];
            for j in 0..M {
                let mut v = buf[j] * f32::from(FG_SUM[ma][j]) * Q15;
                for (fg, prev) in FG[ma].iter().zip(&self.freq_prev) {
                    v += f32::from(fg[j]) * Q15 * prev[j];
                }
                lsf[j] = v;
            }
            self.push_freq_prev(buf);
            stabilise(&mut lsf);
            self.prev_lsf = lsf;
            self.prev_ma = ma;
            lsf
        };
        lsf.map(f32::cos)
    }

    fn push_freq_prev(&mut self, v: [f32; M]) {
        self.freq_prev.copy_within(0..3, 1);
        self.freq_prev[0] = v;
    }

    /// The integer lag and fraction (−1, 0, 1 thirds) of a subframe.
    fn pitch_lag(&mut self, p: &Params, sub: usize, erased: bool, t0_first: usize) -> (usize, i32) {
        let bad = erased || (sub == 0 && p.pitch_parity_error());
        if bad {
            let t0 = self.old_t0;
            self.old_t0 = (self.old_t0 + 1).min(PIT_MAX);
            return (t0, 0);
        }
        let (t0, frac) = if sub == 0 {
            let idx = p.p1 as i32;
            if idx < 197 {
                let t0 = (idx + 2) / 3 + 19;
                (t0, idx - 3 * t0 + 58)
            } else {
                (idx - 112, 0)
            }
        } else {
            let mut t_min = (t0_first as i32 - 5).max(PIT_MIN as i32);
            let t_max = t_min + 9;
            if t_max > PIT_MAX as i32 {
                t_min = PIT_MAX as i32 - 9;
            }
            let idx = p.p2 as i32;
            let i = (idx + 2) / 3 - 1;
            (t_min + i, idx - 2 - 3 * i)
        };
        // The index formulas give lags within [19, 144]; the clamp only
        // documents that the interpolation stays inside the history.
        let t0 = t0.clamp(PIT_MIN as i32 - 1, PIT_MAX as i32 + 1) as usize;
        self.old_t0 = t0;
        (t0, frac)
    }

    /// Adaptive codebook vector: past excitation at lag `t0 + frac/3`,
    /// interpolated, written in place at `exc[base..base + 40]`.
    fn adaptive_vector(&mut self, base: usize, t0: usize, frac: i32) {
        // Position of the sample at integer lag, adjusted so that the
        // fractional phase is in 0..3.
        let mut start = base - t0;
        let mut phase = -frac;
        if phase < 0 {
            phase += 3;
            start -= 1;
        }
        let phase = phase as usize;
        // One 20-tap kernel over exc[x − 9 ..= x + 10]: the left half of the
        // interpolation filter at this phase reversed, then the right half.
        let mut kernel = [0.0f32; 2 * INTERP_TAPS];
        for i in 0..INTERP_TAPS {
            kernel[INTERP_TAPS - 1 - i] = f32::from(INTER_3L[phase + 3 * i]) * Q15;
            kernel[INTERP_TAPS + i] = f32::from(INTER_3L[3 - phase + 3 * i]) * Q15;
        }
        for j in 0..SUBFRAME {
            let from = start + j + 1 - INTERP_TAPS;
            let window = &self.exc[from..from + 2 * INTERP_TAPS];
            self.exc[base + j] = dot(&kernel, window);
        }
    }

    fn decode_gains(&mut self, p: &Params, sub: usize, erased: bool, code: &[f32; SUBFRAME]) {
        if erased {
            self.gain_pitch = (self.gain_pitch * 0.9).min(0.9);
            self.gain_code *= 0.98;
            let mean = self.past_qua_en.iter().sum::<f32>() / 4.0 - 4.0;
            self.past_qua_en.copy_within(0..3, 1);
            self.past_qua_en[0] = mean.max(PRED_FLOOR);
            return;
        }
        let a = usize::from(IMAP1[p.ga[sub] & 7]);
        let b = usize::from(IMAP2[p.gb[sub] & 15]);
        self.gain_pitch = (f32::from(GBK1[a][0]) + f32::from(GBK2[b][0])) * Q14;
        let gamma = (f32::from(GBK1[a][1]) + f32::from(GBK2[b][1])) * Q13;

        let energy: f32 = code.iter().map(|c| c * c).sum::<f32>().max(0.01);
        let mut pred = MEAN_ENERGY - 10.0 * (energy / SUBFRAME as f32).log10();
        for (c, e) in GAIN_PRED.iter().zip(&self.past_qua_en) {
            pred += f32::from(*c) * Q13 * e;
        }
        let gcode0 = 10f32.powf(pred / 20.0);
        self.gain_code = gamma * gcode0;
        self.past_qua_en.copy_within(0..3, 1);
        self.past_qua_en[0] = 20.0 * gamma.max(1e-3).log10();
    }

    /// 1/A(z) over the subframe's excitation; on overflow of the 16-bit
    /// range the whole excitation memory is scaled down by 4 and the
    /// subframe synthesised again (as the fixed-point reference does).
    fn synthesise(&mut self, a: &[f32; M + 1], sub: usize) {
        let base = EXC_HIST + sub * SUBFRAME;
        let at = M + sub * SUBFRAME;
        let overflow = self.filter_subframe(a, base, at);
        if overflow {
            for e in self.exc.iter_mut() {
                *e *= 0.25;
            }
            self.filter_subframe(a, base, at);
            for s in &mut self.syn[at..at + SUBFRAME] {
                *s = s.clamp(-32768.0, 32767.0);
            }
        }
    }

    fn filter_subframe(&mut self, a: &[f32; M + 1], base: usize, at: usize) -> bool {
        let rev = reversed(a);
        let mut overflow = false;
        for i in 0..SUBFRAME {
            let n = at + i;
            let s = self.exc[base + i] - dot(&rev, &self.syn[n - M..n]);
            overflow |= !(-32768.0..=32767.0).contains(&s);
            self.syn[n] = s;
        }
        overflow
    }

    /// 100 Hz high-pass, ×2, round and saturate.
    fn high_pass(&mut self, x: &[f32; FRAME_SAMPLES], out: &mut Vec<i16>) {
        let b = HP_B.map(|v| f32::from(v) * Q13);
        let a = HP_A.map(|v| f32::from(v) * Q13);
        for &s in x {
            let y = b[0] * s
                + b[1] * self.hp_x[0]
                + b[2] * self.hp_x[1]
                + a[0] * self.hp_y[0]
                + a[1] * self.hp_y[1];
            self.hp_x = [s, self.hp_x[0]];
            self.hp_y = [y, self.hp_y[0]];
            // Round half away from zero; `as` saturates to the i16 range.
            let v = 2.0 * y;
            out.push(if v >= 0.0 { v + 0.5 } else { v - 0.5 } as i16);
        }
    }
}

/// The Annex A post-filter's state.
#[derive(Clone)]
struct PostFilter {
    /// Residual of the synthesis through A(z/γn): PIT_MAX past samples,
    /// then the current subframe.
    res: [f32; PIT_MAX + SUBFRAME],
    /// Memory of 1/A(z/γd).
    mem_syn: [f32; M],
    /// Last input sample of the tilt filter.
    mem_pre: f32,
    /// Smoothed AGC gain.
    gain: f32,
}

impl Default for PostFilter {
    fn default() -> Self {
        PostFilter { res: [0.0; PIT_MAX + SUBFRAME], mem_syn: [0.0; M], mem_pre: 0.0, gain: 1.0 }
    }
}

impl PostFilter {
    fn clear(&mut self) {
        *self = PostFilter { gain: self.gain, ..PostFilter::default() };
    }

    /// Post-filters subframe `sub` of `syn` (which holds `M` samples of
    /// history first) into `out[sub * 40..]`.
    fn subframe(
        &mut self,
        syn: &[f32; M + FRAME_SAMPLES],
        sub: usize,
        a: &[f32; M + 1],
        lag: usize,
        out: &mut [f32; FRAME_SAMPLES],
    ) {
        let at = M + sub * SUBFRAME;
        let num = weight(a, GAMMA_NUM);
        let den = weight(a, GAMMA_DEN);
        let den_rev = reversed(&den);

        // Residual through A(z/γn).
        let num_rev = reversed(&num);
        for i in 0..SUBFRAME {
            let n = at + i;
            self.res[PIT_MAX + i] = syn[n] + dot(&num_rev, &syn[n - M..n]);
        }

        // Long-term post-filter: best integer lag within ±3 of the decoded one.
        let mut t_max = lag + 3;
        let mut t_min = lag.saturating_sub(3);
        if t_max > PIT_MAX {
            t_max = PIT_MAX;
            t_min = PIT_MAX - 6;
        }
        let cur = &self.res[PIT_MAX..];
        let mut best = f32::MIN;
        let mut t_best = t_min;
        for t in t_min..=t_max {
            let past = &self.res[PIT_MAX - t..PIT_MAX - t + SUBFRAME];
            let c: f32 = cur.iter().zip(past).map(|(x, y)| x * y).sum();
            if c > best {
                best = c;
                t_best = t;
            }
        }
        let past = &self.res[PIT_MAX - t_best..PIT_MAX - t_best + SUBFRAME];
        let ener: f32 = past.iter().map(|x| x * x).sum::<f32>() + 0.5;
        let ener0: f32 = cur.iter().map(|x| x * x).sum::<f32>() + 0.5;
        let cor = best.max(0.0);
        let (g0, g1) = if cor * cor < 0.5 * ener * ener0 {
            (1.0, 0.0)
        } else if cor > ener {
            (1.0 / (1.0 + LTP_GAMMA), LTP_GAMMA / (1.0 + LTP_GAMMA))
        } else {
            let c = cor * LTP_GAMMA;
            let g = c / (ener + c);
            (1.0 - g, g)
        };
        let mut pst = [0.0f32; SUBFRAME];
        for ((p, x), y) in pst.iter_mut().zip(cur).zip(past) {
            *p = g0 * x + g1 * y;
        }

        // Tilt compensation from the impulse response of A(z/γn)/A(z/γd).
        // (computed with M leading zeros as the filter's memory)
        let mut hz = [0.0f32; M + IMPULSE_LEN];
        for i in 0..IMPULSE_LEN {
            let x = num.get(i).copied().unwrap_or(0.0);
            hz[M + i] = x - dot(&den_rev, &hz[i..i + M]);
        }
        let h = &hz[M..];
        let rh0: f32 = h.iter().map(|x| x * x).sum();
        let rh1: f32 = h.windows(2).map(|w| w[0] * w[1]).sum();
        let tilt = if rh1 > 0.0 && rh0 > 0.0 { TILT_MU * rh1 / rh0 } else { 0.0 };
        let mut prev = self.mem_pre;
        for p in pst.iter_mut() {
            let x = *p;
            *p = x - tilt * prev;
            prev = x;
        }
        self.mem_pre = prev;

        // Short-term post-filter 1/A(z/γd), memory first.
        let mut y = [0.0f32; M + SUBFRAME];
        y[..M].copy_from_slice(&self.mem_syn);
        for (i, p) in pst.iter().enumerate() {
            y[M + i] = p - dot(&den_rev, &y[i..i + M]);
        }
        self.mem_syn.copy_from_slice(&y[SUBFRAME..]);
        let dst = &mut out[sub * SUBFRAME..(sub + 1) * SUBFRAME];
        dst.copy_from_slice(&y[M..]);

        // Adaptive gain control towards the synthesis energy.
        let input = &syn[at..at + SUBFRAME];
        let e_out: f32 = dst.iter().map(|x| x * x).sum();
        if e_out <= 0.0 {
            self.gain = 0.0;
        } else {
            let e_in: f32 = input.iter().map(|x| x * x).sum();
            let g0 = if e_in <= 0.0 { 0.0 } else { (e_in / e_out).sqrt() * (1.0 - AGC_FAC) };
            for d in dst.iter_mut() {
                self.gain = self.gain * AGC_FAC + g0;
                *d *= self.gain;
            }
        }

        self.res.copy_within(SUBFRAME.., 0);
    }
}

/// Σ a[k]·x[k] over the shorter of the two.
#[inline(always)]
fn dot(a: &[f32], x: &[f32]) -> f32 {
    a.iter().zip(x).fold(0.0, |s, (p, q)| s + p * q)
}

/// a[10], a[9], …, a[1]: the taps in the order of the history they meet.
fn reversed(a: &[f32; M + 1]) -> [f32; M] {
    std::array::from_fn(|k| a[M - k])
}

/// a[i]·γ^i.
fn weight(a: &[f32; M + 1], gamma: f32) -> [f32; M + 1] {
    let mut out = *a;
    let mut g = gamma;
    for v in out.iter_mut().skip(1) {
        *v *= g;
        g *= gamma;
    }
    out
}

/// Pushes apart LSFs closer than `gap` (first pass of the decoder's
/// rearrangement).
fn expand(buf: &mut [f32; M], gap: f32) {
    for j in 1..M {
        let diff = buf[j - 1] - buf[j];
        let t = (diff + gap) * 0.5;
        if t > 0.0 {
            buf[j - 1] -= t;
            buf[j] += t;
        }
    }
}

/// Orders the LSFs and enforces the minimum distance and range.
fn stabilise(lsf: &mut [f32; M]) {
    for j in 0..M - 1 {
        if lsf[j + 1] < lsf[j] {
            lsf.swap(j, j + 1);
        }
    }
    if lsf[0] < LSF_LOW {
        lsf[0] = LSF_LOW;
    }
    for j in 0..M - 1 {
        if lsf[j + 1] - lsf[j] < GAP3 {
            lsf[j + 1] = lsf[j] + GAP3;
        }
    }
    if lsf[M - 1] > LSF_HIGH {
        lsf[M - 1] = LSF_HIGH;
    }
}

/// The sum (`start` = 0) or difference (`start` = 1) polynomial from every
/// other LSP: Π (1 − 2·q·z⁻¹ + z⁻²).
fn lsp_poly(lsp: &[f32; M], start: usize) -> [f32; 6] {
    let mut f = [0.0f32; 6];
    f[0] = 1.0;
    f[1] = -2.0 * lsp[start];
    for i in 2..=5 {
        let b = -2.0 * lsp[start + 2 * (i - 1)];
        f[i] = b * f[i - 1] + 2.0 * f[i - 2];
        for j in (2..i).rev() {
            f[j] += b * f[j - 1] + f[j - 2];
        }
        f[1] += b;
    }
    f
}

/// LSP (cosine domain) → LPC coefficients a[0..=10], a[0] = 1.
fn lsp_to_lpc(lsp: &[f32; M]) -> [f32; M + 1] {
    let mut f1 = lsp_poly(lsp, 0);
    let mut f2 = lsp_poly(lsp, 1);
    for i in (1..=5).rev() {
        f1[i] += f1[i - 1];
        f2[i] -= f2[i - 1];
    }
    let mut a = [0.0; M + 1];
    a[0] = 1.0;
    for i in 1..=5 {
        a[i] = 0.5 * (f1[i] + f2[i]);
        a[M + 1 - i] = 0.5 * (f1[i] - f2[i]);
    }
    a
}

/// The algebraic codebook vector: 4 unit pulses with signs on the tracks
/// {0,5,..,35}, {1,6,..,36}, {2,7,..,37}, {3,8,..,38 | 4,9,..,39}.
fn fixed_vector(index: u32, signs: u32) -> [f32; SUBFRAME] {
    let mut code = [0.0f32; SUBFRAME];
    let pos = [
        (index & 7) as usize * 5,
        ((index >> 3) & 7) as usize * 5 + 1,
        ((index >> 6) & 7) as usize * 5 + 2,
        ((index >> 10) & 7) as usize * 5 + 3 + ((index >> 9) & 1) as usize,
    ];
    for (k, &p) in pos.iter().enumerate() {
        let sign = if (signs >> k) & 1 == 1 { 1.0 } else { -1.0 };
        code[p] += sign;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpc_from_evenly_spaced_lsps_is_stable_and_flat_ish() {
        let lsf: [f32; M] = std::array::from_fn(|j| std::f32::consts::PI * (j + 1) as f32 / 11.0);
        let a = lsp_to_lpc(&lsf.map(f32::cos));
        assert_eq!(a[0], 1.0);
        // Evenly spaced LSFs give A(z) ≈ 1 (white spectrum).
        for v in &a[1..] {
            assert!(v.abs() < 1e-4, "{a:?}");
        }
    }

    #[test]
    fn pulse_positions_follow_the_tracks() {
        // index: p0=1, p1=2, p2=3, j=1, p3=4  → positions 5, 11, 17, 24
        let idx = 1 | (2 << 3) | (3 << 6) | (1 << 9) | (4 << 10);
        let c = fixed_vector(idx, 0b0101);
        assert_eq!(c[5], 1.0);
        assert_eq!(c[11], -1.0);
        assert_eq!(c[17], 1.0);
        assert_eq!(c[24], -1.0);
        assert_eq!(c.iter().filter(|v| **v != 0.0).count(), 4);
    }

    #[test]
    fn parity_check() {
        // Six ones in the six most significant bits: parity 1 is right.
        let mut p = Params { p1: 0b1111_1100, parity: 1, ..Params::default() };
        assert!(!p.pitch_parity_error());
        p.parity = 0;
        assert!(p.pitch_parity_error());
        // The two least significant bits are not covered.
        p.p1 = 0b0000_0111;
        assert!(!p.pitch_parity_error());
    }
}
