//! Minimal mono sample-rate conversion for the few ratios telephony needs:
//! identity, exact 2:1 decimation (G.722 → 8 kHz) with a low-pass FIR, and
//! linear interpolation for anything else (e.g. L16 at 44.1 kHz).

const TAPS: usize = 23;

/// A stateful converter from one rate to another.
#[derive(Debug, Clone)]
pub struct Resampler {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Identity,
    Halve { coeffs: [f32; TAPS], hist: [f32; TAPS], pos: usize, phase: bool },
    Linear { step: f64, pos: f64, prev: f32 },
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        let kind = if from == to || from == 0 || to == 0 {
            Kind::Identity
        } else if from == to * 2 {
            // Windowed-sinc low-pass at a quarter of the input rate.
            let mut coeffs = [0f32; TAPS];
            let mid = (TAPS / 2) as f64;
            let mut sum = 0.0;
            for (i, c) in coeffs.iter_mut().enumerate() {
                let x = i as f64 - mid;
                let sinc = if x == 0.0 {
                    0.5
                } else {
                    (std::f64::consts::PI * 0.5 * x).sin() / (std::f64::consts::PI * x)
                };
                let w =
                    0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / (TAPS - 1) as f64).cos();
                *c = (sinc * w) as f32;
                sum += sinc * w;
            }
            for c in coeffs.iter_mut() {
                *c /= sum as f32;
            }
            Kind::Halve { coeffs, hist: [0.0; TAPS], pos: 0, phase: false }
        } else {
            Kind::Linear { step: f64::from(from) / f64::from(to), pos: 0.0, prev: 0.0 }
        };
        Resampler { kind }
    }

    pub fn is_identity(&self) -> bool {
        matches!(self.kind, Kind::Identity)
    }

    /// Converts `input`, appending to `out`; state carries across calls.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        match &mut self.kind {
            Kind::Identity => out.extend_from_slice(input),
            Kind::Halve { coeffs, hist, pos, phase } => {
                for &s in input {
                    hist[*pos] = f32::from(s);
                    *pos = (*pos + 1) % TAPS;
                    *phase = !*phase;
                    if *phase {
                        let mut acc = 0f32;
                        for (k, c) in coeffs.iter().enumerate() {
                            acc += c * hist[(*pos + k) % TAPS];
                        }
                        out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
                    }
                }
            }
            Kind::Linear { step, pos, prev } => {
                // `pos` is the position of the next output sample relative to
                // `prev` (index -1) in input samples.
                for &s in input {
                    let cur = f32::from(s);
                    while *pos <= 1.0 {
                        let t = *pos as f32;
                        out.push((*prev + (cur - *prev) * t).round() as i16);
                        *pos += *step;
                    }
                    *pos -= 1.0;
                    *prev = cur;
                }
            }
        }
    }
}
