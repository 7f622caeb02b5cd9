//! G.726 (ITU-T G.726): ADPCM at 16, 24, 32 and 40 kbit/s, 8 kHz.
//!
//! Written from the recommendation's computational details (section 4):
//! the adaptive quantizer scale factor (FUNCTW, FILTD, LIMB, FILTE, MIX),
//! the adaptation speed control (FILTA, FILTB, SUBTC, FILTC, LIMA), the
//! inverse adaptive quantizer (RECONST, ADDA, ANTILOG), the sixth-order
//! zero / second-order pole predictor in the standard's 11-bit floating
//! format (FLOATA, FLOATB, FMULT, ACCUM, UPA1, UPA2, UPB, LIMC, LIMD) and
//! tone/transition detection (TONE, TRIGB, TRANS). The output is the
//! reconstructed signal as linear PCM16 (the recommendation's 14-bit signal
//! scaled by 4), as RTP recorders and ffmpeg's decoder produce it; the
//! synchronous coding adjustment that applies to G.711 output is not used.
//!
//! Two bit packings are in use on RTP (RFC 3551 §4.5.4):
//! - [`Packing::Rfc3551`] (`G726-16/24/32/40`, static payload type 2):
//!   code words fill each octet from its least significant bit;
//! - [`Packing::Aal2`] (`AAL2-G726-16/24/32/40`, ITU-T I.366.2): from its
//!   most significant bit.

/// How code words are packed into octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Packing {
    /// RFC 3551: the first code word in the least significant bits.
    Rfc3551,
    /// ITU-T I.366.2 (`AAL2-G726-*`): the first code word in the most
    /// significant bits.
    Aal2,
}

/// The bit rates G.726 defines, as bits per code word.
pub const CODE_SIZES: [u8; 4] = [2, 3, 4, 5];

/// Per-rate tables of the recommendation: inverse quantizer output in the
/// log domain (DQLN, by code word), scale factor multiplier W(I) and
/// speed control F(I), all indexed by the whole code word (sign included).
#[derive(Debug)]
struct Tables {
    dqln: &'static [i32],
    w: &'static [i32],
    f: &'static [i32],
}

/// Below any scale: the inverse quantizer gives 0 for it.
const NEG: i32 = -2048;

const T16: Tables =
    Tables { dqln: &[116, 365, 365, 116], w: &[-22, 439, 439, -22], f: &[0, 7, 7, 0] };
const T24: Tables = Tables {
    dqln: &[NEG, 135, 273, 373, 373, 273, 135, NEG],
    w: &[-4, 30, 137, 582, 582, 137, 30, -4],
    f: &[0, 1, 2, 7, 7, 2, 1, 0],
};
const T32: Tables = Tables {
    dqln: &[NEG, 4, 135, 213, 273, 323, 373, 425, 425, 373, 323, 273, 213, 135, 4, NEG],
    w: &[-12, 18, 41, 64, 112, 198, 355, 1122, 1122, 355, 198, 112, 64, 41, 18, -12],
    f: &[0, 0, 0, 1, 1, 1, 3, 7, 7, 3, 1, 1, 1, 0, 0, 0],
};
const T40: Tables = Tables {
    dqln: &[
        NEG, -66, 28, 104, 169, 224, 274, 318, 358, 395, 429, 459, 488, 514, 539, 566, 566, 539,
        514, 488, 459, 429, 395, 358, 318, 274, 224, 169, 104, 28, -66, NEG,
    ],
    w: &[
        14, 14, 24, 39, 40, 41, 58, 100, 141, 179, 219, 280, 358, 440, 529, 696, 696, 529, 440,
        358, 280, 219, 179, 141, 100, 58, 41, 40, 39, 24, 14, 14,
    ],
    f: &[
        0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 0, 0, 0,
        0, 0,
    ],
};

/// A value in the predictor's floating format: sign, 4-bit exponent,
/// 6-bit mantissa (FLOATA/FLOATB). Zero has mantissa 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Float11 {
    negative: bool,
    exp: i32,
    mant: i32,
}

impl Float11 {
    const ZERO: Float11 = Float11 { negative: false, exp: 0, mant: 32 };

    /// From a sign and a 15-bit magnitude.
    fn new(negative: bool, magnitude: i32) -> Float11 {
        let exp = bit_length(magnitude);
        let mant = if magnitude == 0 { 32 } else { (magnitude << 6) >> exp };
        Float11 { negative, exp, mant }
    }
}

/// Bits needed for `v` (0 for 0): the exponent of the floating format.
fn bit_length(v: i32) -> i32 {
    32 - (v.max(0) as u32).leading_zeros() as i32
}

/// FMULT: a predictor coefficient (16-bit two's complement, scaled 2^-14)
/// times a value in floating format, as a 16-bit two's complement number.
fn fmult(coefficient: i32, value: Float11) -> i32 {
    let a = coefficient >> 2;
    let negative = a < 0;
    let mag = if negative { (-a) & 0x1fff } else { a };
    let a = Float11::new(negative, mag);
    let exp = a.exp + value.exp;
    let mant = (a.mant * value.mant + 48) >> 4;
    let mag = if exp > 19 { (mant << (exp - 19)) & 0x7fff } else { mant >> (19 - exp) };
    if a.negative != value.negative { -mag } else { mag }
}

/// The state of one G.726 decoder (one direction of one stream).
#[derive(Debug, Clone)]
pub struct G726Decoder {
    bits: u8,
    packing: Packing,
    tables: &'static Tables,
    /// Pole predictor coefficients A1, A2.
    a: [i32; 2],
    /// Zero predictor coefficients B1..B6.
    b: [i32; 6],
    /// Quantized difference signal, newest first.
    dq: [Float11; 6],
    /// Reconstructed signal, newest first.
    sr: [Float11; 2],
    /// Signs of DQ + SEZ, newest first (true: negative).
    pk: [bool; 2],
    /// Fast and slow quantizer scale factors.
    yu: i32,
    yl: i32,
    /// Short and long term averages of F(I).
    dms: i32,
    dml: i32,
    /// Speed control.
    ap: i32,
    /// Tone detected.
    td: bool,
}

impl G726Decoder {
    /// A decoder in the recommendation's reset state. `bits` is 2 to 5
    /// (16 to 40 kbit/s); anything else is taken as 4 (32 kbit/s).
    pub fn new(bits: u8, packing: Packing) -> Self {
        let bits = if CODE_SIZES.contains(&bits) { bits } else { 4 };
        let tables = match bits {
            2 => &T16,
            3 => &T24,
            5 => &T40,
            _ => &T32,
        };
        G726Decoder {
            bits,
            packing,
            tables,
            a: [0; 2],
            b: [0; 6],
            dq: [Float11::ZERO; 6],
            sr: [Float11::ZERO; 2],
            pk: [false; 2],
            yu: 544,
            yl: 34816,
            dms: 0,
            dml: 0,
            ap: 0,
            td: false,
        }
    }

    /// Bits per code word.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Decodes one payload: every whole code word in it, in packing order,
    /// appended to `out` as PCM16 at 8 kHz. Trailing bits that do not make
    /// a code word are ignored.
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        let n = u32::from(self.bits);
        let mask = (1u32 << n) - 1;
        let (mut acc, mut held) = (0u32, 0u32);
        out.reserve(payload.len() * 8 / n as usize);
        for &byte in payload {
            match self.packing {
                Packing::Rfc3551 => acc |= u32::from(byte) << held,
                Packing::Aal2 => acc = (acc << 8) | u32::from(byte),
            }
            held += 8;
            while held >= n {
                let code = match self.packing {
                    Packing::Rfc3551 => {
                        let c = acc & mask;
                        acc >>= n;
                        c
                    }
                    Packing::Aal2 => (acc >> (held - n)) & mask,
                };
                held -= n;
                if self.packing == Packing::Aal2 {
                    acc &= (1u32 << held) - 1;
                }
                out.push(self.decode_code(code as usize));
            }
        }
    }

    /// One code word → one sample.
    pub fn decode_code(&mut self, code: usize) -> i16 {
        let code = code & ((1 << self.bits) - 1);
        let sign = code >> (self.bits - 1) != 0;
        // ACCUM: the signal estimate from the zero and pole predictors.
        let sezi: i32 = self.b.iter().zip(&self.dq).map(|(&b, &dq)| fmult(b, dq)).sum();
        let sei = sezi + fmult(self.a[1], self.sr[1]) + fmult(self.a[0], self.sr[0]);
        let sez = sezi >> 1;
        let se = sei >> 1;
        // LIMA + MIX: the quantizer scale factor.
        let al = if self.ap >= 256 { 64 } else { self.ap >> 2 };
        let dif = self.yu - (self.yl >> 6);
        let prod = if dif < 0 { -((-dif * al) >> 6) } else { (dif * al) >> 6 };
        let y = (self.yl >> 6) + prod;
        // RECONST + ADDA + ANTILOG: the quantized difference signal.
        let dql = self.tables.dqln[code] + (y >> 2);
        let dq_mag = if dql < 0 {
            0
        } else {
            let dex = (dql >> 7) & 15;
            let dqt = 128 + (dql & 127);
            (dqt << 7) >> (14 - dex)
        };
        let dq = if sign { -dq_mag } else { dq_mag };
        // ADDB: the reconstructed signal (16-bit two's complement).
        let sr = wrap16(se + dq);
        let dqsez = wrap16(sr + sez - se);
        self.update(code, y, dq_mag, sign, sr, dqsez);
        (sr * 4).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
    }

    /// Everything that adapts after one sample.
    fn update(&mut self, code: usize, y: i32, dq_mag: i32, dq_neg: bool, sr: i32, dqsez: i32) {
        let pk0 = dqsez < 0;
        let sigpk = dqsez == 0;
        // TRANS: a transition from a tone (partial band signal) resets the
        // predictor.
        let ylint = self.yl >> 15;
        let ylfrac = (self.yl >> 10) & 31;
        let thr = if ylint > 9 { 31 << 10 } else { (32 + ylfrac) << ylint };
        let dqthr = (thr + (thr >> 1)) >> 1;
        let tr = self.td && dq_mag > dqthr;
        // FUNCTW, FILTD, LIMB: the fast scale factor; FILTE: the slow one.
        let wi = self.tables.w[code] << 5;
        self.yu = (y + ((wi - y) >> 5)).clamp(544, 5120);
        self.yl += self.yu + ((-self.yl) >> 6);
        let a2;
        if tr {
            self.a = [0; 2];
            self.b = [0; 6];
            a2 = 0;
        } else {
            // UPA2 + LIMC.
            let pks1 = pk0 != self.pk[0];
            let mut a2p = self.a[1] - (self.a[1] >> 7);
            if !sigpk {
                let fa1 = if pks1 { self.a[0] } else { -self.a[0] };
                a2p += if fa1 < -8191 {
                    -256
                } else if fa1 > 8191 {
                    255
                } else {
                    fa1 >> 5
                };
                a2p += if pk0 != self.pk[1] { -128 } else { 128 };
                a2p = a2p.clamp(-12288, 12288);
            }
            self.a[1] = a2p;
            a2 = a2p;
            // UPA1 + LIMD.
            self.a[0] -= self.a[0] >> 8;
            if !sigpk {
                self.a[0] += if pks1 { -192 } else { 192 };
            }
            let a1ul = 15360 - a2p;
            self.a[0] = self.a[0].clamp(-a1ul, a1ul);
            // UPB: the zero predictor, leak 2^-8 at every rate (G.723's
            // 40 kbit/s mode, before G.726, leaked 2^-9).
            for (b, dq) in self.b.iter_mut().zip(&self.dq) {
                *b -= *b >> 8;
                if dq_mag != 0 {
                    *b += if dq_neg == dq.negative { 128 } else { -128 };
                }
            }
        }
        // FLOATA, FLOATB and the delays.
        self.dq.rotate_right(1);
        self.dq[0] = Float11::new(dq_neg, dq_mag);
        self.sr[1] = self.sr[0];
        self.sr[0] = if sr == -32768 {
            // The one magnitude that does not fit 15 bits.
            Float11 { negative: true, exp: 15, mant: 32 }
        } else {
            Float11::new(sr < 0, sr.abs())
        };
        self.pk = [pk0, self.pk[0]];
        // TONE.
        self.td = !tr && a2 < -11776;
        // FILTA, FILTB, SUBTC, FILTC: the adaptation speed control.
        let fi = self.tables.f[code] << 9;
        self.dms += (fi - self.dms) >> 5;
        self.dml += ((fi << 2) - self.dml) >> 7;
        self.ap = if tr {
            256
        } else if y < 1536 || self.td || ((self.dms << 2) - self.dml).abs() >= (self.dml >> 3) {
            self.ap + ((512 - self.ap) >> 4)
        } else {
            self.ap + ((-self.ap) >> 4)
        };
    }
}

fn wrap16(v: i32) -> i32 {
    i32::from(v as i16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floating_format() {
        assert_eq!(Float11::new(false, 0), Float11::ZERO);
        assert_eq!(Float11::new(false, 1), Float11 { negative: false, exp: 1, mant: 32 });
        assert_eq!(Float11::new(true, 100), Float11 { negative: true, exp: 7, mant: 50 });
        // 0.5 (8192 at 2^-14) times 1000, in ACCUM's doubled scale (the
        // estimate is the sum halved): ≈ 1000 with the format's precision.
        let p = fmult(8192, Float11::new(false, 1000));
        assert!((980..=1020).contains(&p), "{p}");
        assert_eq!(fmult(-8192, Float11::new(false, 1000)), -p);
        assert_eq!(fmult(8192, Float11::new(true, 1000)), -p);
    }

    #[test]
    fn packings_order_code_words() {
        // 4-bit codes 1, 2, 3, 4 in both packings give the same samples.
        let mut le = G726Decoder::new(4, Packing::Rfc3551);
        let mut be = G726Decoder::new(4, Packing::Aal2);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        le.decode(&[0x21, 0x43], &mut a);
        be.decode(&[0x12, 0x34], &mut b);
        assert_eq!(a.len(), 4);
        assert_eq!(a, b);
        // 3-bit codes across octet boundaries: 8 codes in 3 octets.
        let codes = [1usize, 7, 2, 6, 3, 5, 4, 0];
        let mut le_bits = 0u32;
        let mut be_bits = 0u32;
        for (i, &c) in codes.iter().enumerate() {
            le_bits |= (c as u32) << (3 * i);
            be_bits = (be_bits << 3) | c as u32;
        }
        let le_bytes = &le_bits.to_le_bytes()[..3];
        let be_bytes = &be_bits.to_be_bytes()[1..];
        let mut direct = G726Decoder::new(3, Packing::Rfc3551);
        let expected: Vec<i16> = codes.iter().map(|&c| direct.decode_code(c)).collect();
        for (packing, bytes) in [(Packing::Rfc3551, le_bytes), (Packing::Aal2, be_bytes)] {
            let mut d = G726Decoder::new(3, packing);
            let mut out = Vec::new();
            d.decode(bytes, &mut out);
            assert_eq!(out, expected, "{packing:?}");
        }
    }

    #[test]
    fn idle_code_decays_to_silence_and_any_input_is_safe() {
        for bits in CODE_SIZES {
            let mut d = G726Decoder::new(bits, Packing::Rfc3551);
            let mut out = Vec::new();
            // Pseudo-random codes, then a long run of the smallest positive
            // code: the output must settle near zero.
            let mut x = 0x1234_5678u32;
            let noise: Vec<u8> = (0..4000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            d.decode(&noise, &mut out);
            out.clear();
            // 16 kbit/s has no zero level: its two small codes alternate
            // into a quiet tone at half the sampling rate.
            let (quiet, limit) = if bits == 2 { (0b0011_0011u8, 4000) } else { (0x00, 200) };
            d.decode(&vec![quiet; 4000], &mut out);
            let tail = &out[out.len() - 400..];
            let peak = tail.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
            assert!(peak < limit, "{bits} bits: peak {peak} after idle input");
        }
    }
}
