//! Waveform peaks: a stored recording (any format [`crate::transcode`]
//! decodes, through the same decoders) reduced to per-channel minimum and
//! maximum sample values over N equal bins of its length, scaled to
//! −127..=127 of full scale. What the console draws instead of decoding an
//! hour of audio in the browser.
//!
//! One pass, memory independent of length: samples are folded into at most
//! 16 000 equal spans whose width doubles (merging neighbours)
//! whenever they would run over, so the frame count need not be known up
//! front; the spans are then grouped into the bins asked for. Inputs of
//! more than two channels are folded to one (their mean), as transcoding
//! does.
//!
//! Sans-IO apart from the reader it is given; no clock. CPU work of about a
//! second per call-hour: run it on a blocking thread.

use std::io::{Read, Seek};

use callvault_model::AudioFormat;

use crate::transcode::{TranscodeError, open_source};

/// The most bins [`peaks`] makes.
pub const MAX_BINS: usize = 4000;
/// Spans kept while decoding: at least twice [`MAX_BINS`], so every bin
/// groups two or more spans once the input is long enough.
const MAX_SPANS: usize = 4 * MAX_BINS;

/// One channel's peaks: `min[i] <= max[i]` for bin `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPeaks {
    pub min: Vec<i8>,
    pub max: Vec<i8>,
}

/// Peaks of every channel (1 or 2) over the same bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peaks {
    /// The decoded audio's sample rate.
    pub sample_rate: u32,
    /// Frames (samples per channel) decoded.
    pub frames: u64,
    pub channels: Vec<ChannelPeaks>,
}

/// Bytes that start [`Peaks::to_bytes`].
const MAGIC: &[u8; 6] = b"CVPK1\n";

impl Peaks {
    /// Bins per channel.
    pub fn bins(&self) -> usize {
        self.channels.first().map_or(0, |c| c.min.len())
    }

    /// The decoded length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        if self.sample_rate == 0 {
            return 0;
        }
        (u128::from(self.frames) * 1000 / u128::from(self.sample_rate)) as u64
    }

    /// The same peaks over `bins` bins (at most [`Peaks::bins`]): bin `j`
    /// covers stored bins `j*n/bins .. (j+1)*n/bins`, the extremes of them.
    /// More bins than stored repeat stored ones.
    pub fn resample(&self, bins: usize) -> Peaks {
        let n = self.bins();
        let channels = self
            .channels
            .iter()
            .map(|c| {
                let mut out =
                    ChannelPeaks { min: Vec::with_capacity(bins), max: Vec::with_capacity(bins) };
                for j in 0..bins {
                    let (lo, hi) = group(j, bins, n);
                    if lo >= hi {
                        out.min.push(0);
                        out.max.push(0);
                        continue;
                    }
                    out.min.push(c.min[lo..hi].iter().copied().min().unwrap_or(0));
                    out.max.push(c.max[lo..hi].iter().copied().max().unwrap_or(0));
                }
                out
            })
            .collect();
        Peaks { sample_rate: self.sample_rate, frames: self.frames, channels }
    }

    /// A compact binary form (for caching): magic, rate, frames, channel
    /// and bin counts, then each channel's minima and maxima.
    pub fn to_bytes(&self) -> Vec<u8> {
        let bins = self.bins();
        let mut out = Vec::with_capacity(24 + self.channels.len() * bins * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&self.frames.to_le_bytes());
        out.extend_from_slice(&(self.channels.len() as u16).to_le_bytes());
        out.extend_from_slice(&(bins as u32).to_le_bytes());
        for c in &self.channels {
            out.extend(c.min.iter().map(|v| *v as u8));
            out.extend(c.max.iter().map(|v| *v as u8));
        }
        out
    }

    /// Reads [`Peaks::to_bytes`]; None for anything else.
    pub fn from_bytes(b: &[u8]) -> Option<Peaks> {
        let rest = b.strip_prefix(MAGIC.as_slice())?;
        let (rate, rest) = rest.split_first_chunk::<4>()?;
        let (frames, rest) = rest.split_first_chunk::<8>()?;
        let (channels, rest) = rest.split_first_chunk::<2>()?;
        let (bins, rest) = rest.split_first_chunk::<4>()?;
        let channels = usize::from(u16::from_le_bytes(*channels));
        let bins = u32::from_le_bytes(*bins) as usize;
        if !(1..=2).contains(&channels) || bins > MAX_BINS || rest.len() != channels * bins * 2 {
            return None;
        }
        let channels = rest
            .chunks_exact(bins * 2)
            .map(|c| ChannelPeaks {
                min: c[..bins].iter().map(|v| *v as i8).collect(),
                max: c[bins..].iter().map(|v| *v as i8).collect(),
            })
            .take(channels)
            .collect::<Vec<_>>();
        if channels.iter().any(|c| c.min.iter().zip(&c.max).any(|(lo, hi)| lo > hi)) {
            return None;
        }
        Some(Peaks {
            sample_rate: u32::from_le_bytes(*rate),
            frames: u64::from_le_bytes(*frames),
            channels,
        })
    }
}

/// The range of `n` items that bin `j` of `bins` covers.
fn group(j: usize, bins: usize, n: usize) -> (usize, usize) {
    if n >= bins {
        (j * n / bins, (j + 1) * n / bins)
    } else {
        // Fewer items than bins: each bin shows the item it falls in.
        let i = j * n / bins;
        (i, (i + 1).min(n))
    }
}

/// Decodes the recording `input` (stored as `from`) into `bins` bins
/// (1..=[`MAX_BINS`]) per channel.
pub fn peaks<R>(input: R, from: AudioFormat, bins: usize) -> Result<Peaks, TranscodeError>
where
    R: Read + Seek + Send + Sync + 'static,
{
    if !(1..=MAX_BINS).contains(&bins) {
        return Err(TranscodeError::Unsupported(format!("{bins} bins (1..={MAX_BINS})")));
    }
    let mut src = open_source(input, from)?;
    let in_ch = src.channels();
    let out_ch = if in_ch <= 2 { in_ch } else { 1 };
    let mut spans = Spans::new(out_ch);
    let mut block: Vec<Vec<i16>> = vec![Vec::new(); in_ch];
    let mut folded: Vec<i16> = Vec::new();
    while src.next_block(&mut block)? {
        let n = block.iter().map(Vec::len).min().unwrap_or(0);
        if in_ch > 2 {
            folded.clear();
            folded.extend((0..n).map(|i| {
                let sum: i32 = block.iter().map(|c| i32::from(c[i])).sum();
                (sum / in_ch as i32) as i16
            }));
            spans.push(std::slice::from_ref(&folded), n);
        } else {
            spans.push(&block, n);
        }
        block.iter_mut().for_each(Vec::clear);
    }
    Ok(spans.finish(src.rate(), bins))
}

/// Running extremes over spans of `width` frames.
struct Spans {
    width: u64,
    /// Frames in the last (open) span.
    filled: u64,
    frames: u64,
    /// Per channel: (min, max) of each span.
    channels: Vec<Vec<(i16, i16)>>,
}

impl Spans {
    fn new(channels: usize) -> Self {
        Spans { width: 1, filled: 0, frames: 0, channels: vec![Vec::new(); channels.max(1)] }
    }

    fn push(&mut self, block: &[Vec<i16>], n: usize) {
        for i in 0..n {
            if self.filled == 0 {
                // Every span is full here; at the limit, merging pairs (an
                // even count) leaves full spans twice as wide.
                if self.channels[0].len() == MAX_SPANS {
                    self.halve();
                }
                for c in &mut self.channels {
                    c.push((i16::MAX, i16::MIN));
                }
            }
            for (c, samples) in self.channels.iter_mut().zip(block) {
                let v = samples[i];
                if let Some(last) = c.last_mut() {
                    last.0 = last.0.min(v);
                    last.1 = last.1.max(v);
                }
            }
            self.frames += 1;
            self.filled += 1;
            if self.filled == self.width {
                self.filled = 0;
            }
        }
    }

    /// Merges neighbouring spans pairwise: half as many, twice as wide.
    fn halve(&mut self) {
        for c in &mut self.channels {
            let merged: Vec<(i16, i16)> = c
                .chunks(2)
                .map(|p| p.iter().fold((i16::MAX, i16::MIN), |a, s| (a.0.min(s.0), a.1.max(s.1))))
                .collect();
            *c = merged;
        }
        self.width *= 2;
    }

    fn finish(self, rate: u32, bins: usize) -> Peaks {
        let n = self.channels[0].len();
        let channels = self
            .channels
            .iter()
            .map(|spans| {
                let mut out =
                    ChannelPeaks { min: Vec::with_capacity(bins), max: Vec::with_capacity(bins) };
                for j in 0..bins {
                    let (lo, hi) = group(j, bins, n);
                    let (mn, mx) = spans[lo..hi]
                        .iter()
                        .fold((i16::MAX, i16::MIN), |a, s| (a.0.min(s.0), a.1.max(s.1)));
                    if lo >= hi {
                        out.min.push(0);
                        out.max.push(0);
                    } else {
                        out.min.push(scale(mn));
                        out.max.push(scale(mx));
                    }
                }
                out
            })
            .collect();
        Peaks { sample_rate: rate, frames: self.frames, channels }
    }
}

/// A sample as −127..=127 of full scale (rounded toward zero, so silence
/// and near-silence stay 0).
fn scale(v: i16) -> i8 {
    (i32::from(v) * 127 / 32767).clamp(-127, 127) as i8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::wav::{WavCodec, WavWriter};

    fn wav(channels: &[Vec<i16>], rate: u32) -> Vec<u8> {
        let frames = channels[0].len();
        let mut w =
            WavWriter::new(Vec::new(), channels.len(), rate, WavCodec::Pcm16, frames as u64)
                .unwrap();
        w.write(channels).unwrap();
        w.finish().unwrap()
    }

    fn tone(frames: usize, amp: f64, hz: f64, rate: u32) -> Vec<i16> {
        (0..frames)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn stereo_tones_and_silence_land_in_their_bins() {
        let rate = 8000;
        // Left: loud for the first half, silent after; right: quiet throughout.
        let mut left = tone(8000, 30000.0, 440.0, rate);
        left.extend(std::iter::repeat_n(0, 8000));
        let right = tone(16000, 8000.0, 1000.0, rate);
        let p =
            peaks(std::io::Cursor::new(wav(&[left, right], rate)), AudioFormat::Wav, 100).unwrap();
        assert_eq!(p.bins(), 100);
        assert_eq!(p.channels.len(), 2);
        assert_eq!((p.frames, p.duration_ms()), (16000, 2000));
        let (l, r) = (&p.channels[0], &p.channels[1]);
        assert!(l.max[..50].iter().all(|v| *v >= 110), "{:?}", &l.max[..50]);
        assert!(l.min[..50].iter().all(|v| *v <= -110));
        assert!(l.max[50..].iter().chain(&l.min[50..]).all(|v| *v == 0), "{:?}", &l.max[50..]);
        assert!(r.max.iter().all(|v| (28..=32).contains(v)), "{:?}", r.max);
        assert!(r.min.iter().all(|v| (-32..=-28).contains(v)));
    }

    #[test]
    fn long_inputs_fold_spans_and_resample_keeps_extremes() {
        let rate = 8000;
        // 100 s with one click at 25 s: spans fold many times over.
        let mut mono = vec![0i16; 800_000];
        mono[200_000] = 32767;
        let p = peaks(std::io::Cursor::new(wav(&[mono], rate)), AudioFormat::Wav, 4000).unwrap();
        assert_eq!(p.channels.len(), 1);
        let at: Vec<usize> = (0..4000).filter(|i| p.channels[0].max[*i] != 0).collect();
        assert_eq!(at, vec![1000]);
        assert_eq!(p.channels[0].max[1000], 127);
        let small = p.resample(16);
        assert_eq!(small.bins(), 16);
        assert_eq!(small.channels[0].max[4], 127);
        assert_eq!(small.channels[0].max.iter().filter(|v| **v != 0).count(), 1);
        let back = Peaks::from_bytes(&p.to_bytes()).unwrap();
        assert_eq!(back, p);
        assert!(Peaks::from_bytes(b"junk").is_none());
        let mut cut = p.to_bytes();
        cut.pop();
        assert!(Peaks::from_bytes(&cut).is_none());
    }

    #[test]
    fn short_inputs_and_bad_bins() {
        let p =
            peaks(std::io::Cursor::new(wav(&[vec![1000, -1000, 0]], 8000)), AudioFormat::Wav, 10)
                .unwrap();
        assert_eq!(p.bins(), 10);
        assert!(p.channels[0].max.iter().any(|v| *v > 0));
        let empty =
            peaks(std::io::Cursor::new(wav(&[vec![]], 8000)), AudioFormat::Wav, 10).unwrap();
        assert_eq!(empty.channels[0].max, vec![0; 10]);
        for bad in [0, MAX_BINS + 1] {
            let r = peaks(std::io::Cursor::new(wav(&[vec![0; 10]], 8000)), AudioFormat::Wav, bad);
            assert!(matches!(r, Err(TranscodeError::Unsupported(_))));
        }
        let junk = peaks(std::io::Cursor::new(b"RIFF....nope".to_vec()), AudioFormat::Wav, 10);
        assert!(junk.is_err());
    }
}
