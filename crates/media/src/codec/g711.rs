//! G.711 µ-law (PCMU) and A-law (PCMA), ITU-T G.711, by table.

const fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let t = (((u & 0x0f) as i32) << 3) + 0x84;
    let t = t << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

const fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    if seg == 0 {
        t += 8;
    } else {
        t += 0x108;
        t <<= seg - 1;
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw { alaw_to_linear(i as u8) } else { ulaw_to_linear(i as u8) };
        i += 1;
    }
    t
}

/// µ-law byte → linear PCM16.
pub static ULAW_DECODE: [i16; 256] = table(false);
/// A-law byte → linear PCM16.
pub static ALAW_DECODE: [i16; 256] = table(true);

/// Linear PCM16 → µ-law byte.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exp = (31 - (s as u32).leading_zeros()).saturating_sub(7).min(7);
    let mant = (s >> (exp + 3)) & 0x0f;
    !(sign | ((exp as i32) << 4) as u8 | mant as u8)
}

/// Linear PCM16 → A-law byte.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    s = s.min(32767);
    let byte = if s < 256 {
        (s >> 4) as u8
    } else {
        let exp = (31 - (s as u32).leading_zeros()) - 7; // 1..=7
        let mant = (s >> (exp + 3)) & 0x0f;
        ((exp as u8) << 4) | mant as u8
    };
    (byte | sign) ^ 0x55
}

/// Decodes µ-law bytes, appending to `out`.
pub fn decode_ulaw(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&b| ULAW_DECODE[usize::from(b)]));
}

/// Decodes A-law bytes, appending to `out`.
pub fn decode_alaw(input: &[u8], out: &mut Vec<i16>) {
    out.extend(input.iter().map(|&b| ALAW_DECODE[usize::from(b)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(ULAW_DECODE[0xff], 0);
        assert_eq!(ULAW_DECODE[0x7f], 0);
        assert_eq!(ULAW_DECODE[0x00], -32124);
        assert_eq!(ULAW_DECODE[0x80], 32124);
        assert_eq!(ALAW_DECODE[0xd5], 8);
        assert_eq!(ALAW_DECODE[0x55], -8);
        assert_eq!(ALAW_DECODE[0xaa], 32256);
        assert_eq!(ALAW_DECODE[0x2a], -32256);
        // spot values of the ITU/Sun reference tables (also CPython's audioop)
        assert_eq!(ULAW_DECODE[..4], [-32124, -31100, -30076, -29052]);
        assert_eq!(ALAW_DECODE[..4], [-5504, -5248, -6016, -5760]);
        assert_eq!((linear_to_ulaw(5000), linear_to_alaw(5000)), (171, 134));
        assert_eq!((linear_to_ulaw(-1000), linear_to_alaw(-1000)), (78, 122));
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(linear_to_alaw(0), 0xd5);
    }

    #[test]
    fn every_code_round_trips() {
        for b in 0..=255u8 {
            let u = linear_to_ulaw(ULAW_DECODE[usize::from(b)]);
            // 0x7f and 0xff both mean zero in µ-law.
            assert!(u == b || (b == 0x7f && u == 0xff), "ulaw {b:#x} -> {u:#x}");
            assert_eq!(linear_to_alaw(ALAW_DECODE[usize::from(b)]), b, "alaw {b:#x}");
        }
    }

    #[test]
    fn quantisation_error_is_bounded() {
        for s in (-32768i32..32768).step_by(7) {
            let s = s as i16;
            let u = ULAW_DECODE[usize::from(linear_to_ulaw(s))];
            let a = ALAW_DECODE[usize::from(linear_to_alaw(s))];
            let tol = (i32::from(s).abs() / 16).max(16) + 4;
            assert!((i32::from(u) - i32::from(s)).abs() <= tol.clamp(130, 1100), "ulaw {s} -> {u}");
            assert!((i32::from(a) - i32::from(s)).abs() <= tol.clamp(130, 1100), "alaw {s} -> {a}");
        }
    }
}
