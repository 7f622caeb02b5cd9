//! G.722 (ITU-T G.722, 64 kbit/s mode): sub-band ADPCM at 16 kHz.
//!
//! Written from the ITU-T recommendation's block descriptions (QMF, QUANTL,
//! INVQAL, LOGSCL, SCALEL, the pole/zero predictor of block 4). Only the
//! 64 kbit/s mode is used in SIP (RTP payload type 9, whose clock rate is 8000
//! for historical reasons although it samples at 16 kHz).

const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
const WH: [i32; 3] = [0, -214, 798];
const RH2: [usize; 4] = [2, 1, 2, 1];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN: [i32; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [i32; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
const IHN: [i32; 3] = [0, 1, 0];
const IHP: [i32; 3] = [0, 3, 2];

fn sat(v: i32) -> i32 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}

#[derive(Debug, Clone, Default)]
struct Band {
    s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Band { det, ..Band::default() }
    }

    /// Block 4: reconstruction and adaptive pole/zero predictor update.
    fn update(&mut self, d: i32) {
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);
        let sg = |v: i32| v >> 15;
        // UPPOL2
        let wd1 = sat(self.a[1] << 2);
        let wd2 = if sg(self.p[0]) == sg(self.p[1]) { -wd1 } else { wd1 }.min(32767);
        let mut wd3 = (wd2 >> 7) + if sg(self.p[0]) == sg(self.p[2]) { 128 } else { -128 };
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sg(self.p[0]) == sg(self.p[1]) { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let lim = sat(15360 - self.ap[2]);
        self.ap[1] = sat(wd1 + wd2).clamp(-lim, lim);
        // UPZERO
        let wd1 = if d == 0 { 0 } else { 128 };
        let sg0 = sg(d);
        for i in 1..7 {
            let wd2 = if sg(self.d[i]) == sg0 { wd1 } else { -wd1 };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = sat(wd2 + wd3);
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }
        // FILTEP
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);
        // PREDIC
        self.s = sat(self.sp + self.sz);
    }

    fn scale_low(&mut self, il4: usize) {
        let nb = ((self.nb * 127) >> 7) + WL[il4];
        self.nb = nb.clamp(0, 18432);
        self.det = scale(self.nb, 8);
    }

    fn scale_high(&mut self, ih2: usize) {
        let nb = ((self.nb * 127) >> 7) + WH[ih2];
        self.nb = nb.clamp(0, 22528);
        self.det = scale(self.nb, 10);
    }
}

fn scale(nb: i32, shift: i32) -> i32 {
    let wd1 = ((nb >> 6) & 31) as usize;
    let wd2 = shift - (nb >> 11);
    let wd3 = if wd2 < 0 { ILB[wd1] << -wd2 } else { ILB[wd1] >> wd2 };
    wd3 << 2
}

/// G.722 decoder state (one per stream).
#[derive(Debug, Clone)]
pub struct G722Decoder {
    band: [Band; 2],
    x: [i32; 24],
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    pub fn new() -> Self {
        G722Decoder { band: [Band::new(32), Band::new(8)], x: [0; 24] }
    }

    /// Decodes 64 kbit/s codewords (one byte = two 16 kHz samples),
    /// appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<i16>) {
        out.reserve(input.len() * 2);
        for &code in input {
            let code = i32::from(code);
            let ilow = (code & 0x3f) as usize;
            let ihigh = ((code >> 6) & 0x03) as usize;
            let lo = &mut self.band[0];
            let rlow = (lo.s + ((lo.det * QM6[ilow]) >> 15)).clamp(-16384, 16383);
            let ril = ilow >> 2;
            let dlow = (lo.det * QM4[ril]) >> 15;
            lo.scale_low(RL42[ril]);
            lo.update(dlow);
            let hi = &mut self.band[1];
            let dhigh = (hi.det * QM2[ihigh]) >> 15;
            let rhigh = (dhigh + hi.s).clamp(-16384, 16383);
            hi.scale_high(RH2[ihigh]);
            hi.update(dhigh);
            self.x.copy_within(2.., 0);
            self.x[22] = rlow + rhigh;
            self.x[23] = rlow - rhigh;
            let (mut x1, mut x2) = (0i32, 0i32);
            for i in 0..12 {
                x2 += self.x[2 * i] * QMF[i];
                x1 += self.x[2 * i + 1] * QMF[11 - i];
            }
            out.push(sat(x1 >> 11) as i16);
            out.push(sat(x2 >> 11) as i16);
        }
    }
}

/// G.722 encoder state (used by tests and the G.722 round-trip check).
#[derive(Debug, Clone)]
pub struct G722Encoder {
    band: [Band; 2],
    x: [i32; 24],
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    pub fn new() -> Self {
        G722Encoder { band: [Band::new(32), Band::new(8)], x: [0; 24] }
    }

    /// Encodes 16 kHz samples (an odd trailing sample is ignored).
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        for pair in pcm.chunks_exact(2) {
            self.x.copy_within(2.., 0);
            self.x[22] = i32::from(pair[0]);
            self.x[23] = i32::from(pair[1]);
            let (mut even, mut odd) = (0i32, 0i32);
            for i in 0..12 {
                odd += self.x[2 * i] * QMF[i];
                even += self.x[2 * i + 1] * QMF[11 - i];
            }
            let xlow = (even + odd) >> 14;
            let xhigh = (even - odd) >> 14;
            // low band
            let lo = &mut self.band[0];
            let el = sat(xlow - lo.s);
            let wd = if el >= 0 { el } else { -(el + 1) };
            let mut i = 1;
            while i < 30 && wd >= (Q6[i] * lo.det) >> 12 {
                i += 1;
            }
            let ilow = if el < 0 { ILN[i] } else { ILP[i] };
            let ril = (ilow >> 2) as usize;
            let dlow = (lo.det * QM4[ril]) >> 15;
            lo.scale_low(RL42[ril]);
            lo.update(dlow);
            // high band
            let hi = &mut self.band[1];
            let eh = sat(xhigh - hi.s);
            let wd = if eh >= 0 { eh } else { -(eh + 1) };
            let mih = if wd >= (564 * hi.det) >> 12 { 2 } else { 1 };
            let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
            let dhigh = (hi.det * QM2[ihigh as usize]) >> 15;
            hi.scale_high(RH2[ihigh as usize]);
            hi.update(dhigh);
            out.push(((ihigh << 6) | ilow) as u8);
        }
    }
}
