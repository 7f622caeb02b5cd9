//! Mixing a spool into channels, a window at a time.
//!
//! Spool records are in the order the recorder wrote them, which is nearly
//! but not exactly timeline order: reordering, concealment placed where the
//! previous packet ended, and streams whose media clocks lag put a record
//! behind others already written. A first scan measures how far back any
//! record reaches behind the furthest sample written before it (`need`);
//! the second scan mixes into a ring of `need` plus one window of samples
//! per channel and hands each finished window to the sink. Every sample
//! then receives its records in file order, as the whole-buffer mix did,
//! so saturating sums come out the same. A spool whose records reach back
//! further than [`MAX_RING`] is mixed one ring-sized segment per scan
//! instead: more reading, same bound on memory.
use crate::spool::Record;
use crate::timeline::{ClosedTimeline, for_each_record};

use super::RenderError;

/// Samples per channel handed to the encoder at a time (2 s at 8 kHz).
pub const WINDOW: usize = 1 << 14;

/// Most samples per channel the ring holds (131 s at 16 kHz, 4 MiB per
/// channel); beyond it the spool is scanned once per segment.
pub const MAX_RING: usize = 1 << 21;

/// Longest recording rendered (per channel): 24 h at 16 kHz.
const MAX_SAMPLES: u64 = 24 * 3600 * 16_000;

/// The samples a record writes: `(offset in the recording, its samples)`,
/// clipped to the recording as the whole-buffer mix clipped them (records
/// before the start are skipped, samples past the end are dropped).
enum Samples<'a> {
    Pcm(&'a [u8]),
    Law(&'a [u8], &'static [i16; 256]),
}

impl Samples<'_> {
    fn len(&self) -> usize {
        match self {
            Samples::Pcm(b) => b.len() / 2,
            Samples::Law(b, _) => b.len(),
        }
    }

    /// Adds samples `skip..skip + dst.len()` into `dst`, saturating.
    fn add_to(&self, skip: usize, dst: &mut [i16]) {
        match self {
            Samples::Pcm(b) => {
                for (d, s) in dst.iter_mut().zip(b[skip * 2..].chunks_exact(2)) {
                    *d = d.saturating_add(i16::from_le_bytes([s[0], s[1]]));
                }
            }
            Samples::Law(b, table) => {
                for (d, &s) in dst.iter_mut().zip(&b[skip..]) {
                    *d = d.saturating_add(table[usize::from(s)]);
                }
            }
        }
    }
}

/// An audio record's stream, offset and samples, if it writes any sample of
/// the recording.
fn audio<'a>(tl: &ClosedTimeline, len: u64, rec: &Record<'a>) -> Option<(u16, u64, Samples<'a>)> {
    let (stream, start, samples) = match *rec {
        Record::Audio { stream, start, pcm } => (stream, start, Samples::Pcm(pcm)),
        // Spooled as it came (one byte a sample at the 8 kHz timeline).
        Record::G711 { stream, start, law, payload } => {
            (stream, start, Samples::Law(payload, law.table()))
        }
        _ => return None,
    };
    let off = start.checked_sub(tl.start_sample)?;
    (off < len && samples.len() > 0).then_some((stream, off, samples))
}

/// Mixes the recording into `channels` channels, `route` saying which
/// channels a stream goes to (overlapping voices are summed with
/// saturation), and calls `sink` with consecutive windows of at most
/// [`WINDOW`] samples per channel until the recording's length is reached.
pub fn mix_windows(
    tl: &ClosedTimeline,
    channels: usize,
    route: impl Fn(u16) -> &'static [usize],
    sink: impl FnMut(&[Vec<i16>]) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    mix_windows_with(tl, channels, route, WINDOW, MAX_RING, sink)
}

/// [`mix_windows`] with the window and ring bound as parameters (tests use
/// small ones to reach every path).
pub(crate) fn mix_windows_with(
    tl: &ClosedTimeline,
    channels: usize,
    route: impl Fn(u16) -> &'static [usize],
    window: usize,
    max_ring: usize,
    mut sink: impl FnMut(&[Vec<i16>]) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let len = tl.len_samples();
    if len > MAX_SAMPLES {
        return Err(RenderError::TooLong(len));
    }
    let window = window.max(1);
    let routed = |stream: u16| route(stream).iter().any(|&c| c < channels);
    // Scan 1: how far records reach back, and how many there are (a spool
    // that grows meanwhile is read to the same record in scan 2).
    let (mut hi, mut need, mut records) = (0u64, 0u64, 0u64);
    for_each_record(&tl.spool_path, |rec| {
        records += 1;
        if let Some((stream, off, s)) = audio(tl, len, &rec)
            && routed(stream)
        {
            let end = (off + s.len() as u64).min(len);
            hi = hi.max(end);
            need = need.max(hi - off);
        }
    })?;
    let mut out = vec![Vec::with_capacity(window.min(len as usize)); channels];
    let ring = need.saturating_add(window as u64);
    if ring <= max_ring.max(window) as u64 {
        let mut mixer = Ring::new(channels, ring as usize, window);
        let mut seen = 0u64;
        let mut failed = None;
        for_each_record(&tl.spool_path, |rec| {
            seen += 1;
            if seen > records || failed.is_some() {
                return;
            }
            let Some((stream, off, s)) = audio(tl, len, &rec) else { return };
            if !routed(stream) {
                return;
            }
            let n = (s.len() as u64).min(len - off) as usize;
            while off + n as u64 > mixer.base + mixer.cap as u64 {
                if let Err(e) = mixer.emit(len, &mut out, &mut sink) {
                    failed = Some(e);
                    return;
                }
            }
            // Never for a spool that kept its records since scan 1.
            let skip = mixer.base.saturating_sub(off).min(n as u64) as usize;
            for &ch in route(stream) {
                mixer.add(ch, off + skip as u64, skip, n - skip, &s);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        while mixer.base < len {
            mixer.emit(len, &mut out, &mut sink)?;
        }
    } else {
        // One scan per segment of the ring's bound, in whole windows.
        let seg = (max_ring.max(window) / window * window) as u64;
        let mut buf = vec![Vec::new(); channels];
        let mut lo = 0u64;
        while lo < len {
            let hi = (lo + seg).min(len);
            for b in &mut buf {
                b.clear();
                b.resize((hi - lo) as usize, 0);
            }
            let mut seen = 0u64;
            for_each_record(&tl.spool_path, |rec| {
                seen += 1;
                if seen > records {
                    return;
                }
                let Some((stream, off, s)) = audio(tl, len, &rec) else { return };
                let end = (off + s.len() as u64).min(hi);
                if end <= lo || off >= hi {
                    return;
                }
                let from = off.max(lo);
                let skip = (from - off) as usize;
                let at = (from - lo) as usize;
                let n = (end - from) as usize;
                for &ch in route(stream) {
                    if let Some(b) = buf.get_mut(ch) {
                        s.add_to(skip, &mut b[at..at + n]);
                    }
                }
            })?;
            for start in (0..(hi - lo) as usize).step_by(window) {
                let end = (start + window).min((hi - lo) as usize);
                for (o, b) in out.iter_mut().zip(&buf) {
                    o.clear();
                    o.extend_from_slice(&b[start..end]);
                }
                sink(&out)?;
            }
            lo = hi;
        }
    }
    Ok(())
}

/// Per-channel ring buffers holding samples `base..base + cap` of the
/// recording; sample `i` lives at `i % cap`.
struct Ring {
    chans: Vec<Vec<i16>>,
    cap: usize,
    window: usize,
    /// Samples before it have been handed to the sink.
    base: u64,
}

impl Ring {
    fn new(channels: usize, cap: usize, window: usize) -> Self {
        Ring { chans: vec![vec![0; cap]; channels], cap, window, base: 0 }
    }

    /// Adds `n` samples of `s` from `skip` on to channel `ch` at `at`.
    fn add(&mut self, ch: usize, at: u64, skip: usize, n: usize, s: &Samples<'_>) {
        let Some(buf) = self.chans.get_mut(ch) else { return };
        let pos = (at % self.cap as u64) as usize;
        let first = n.min(self.cap - pos);
        s.add_to(skip, &mut buf[pos..pos + first]);
        s.add_to(skip + first, &mut buf[..n - first]);
    }

    /// Hands the next window (shorter at the end of the recording) to the
    /// sink and clears its place in the ring.
    fn emit(
        &mut self,
        len: u64,
        out: &mut [Vec<i16>],
        sink: &mut impl FnMut(&[Vec<i16>]) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        let n = (len - self.base).min(self.window as u64) as usize;
        let pos = (self.base % self.cap as u64) as usize;
        let first = n.min(self.cap - pos);
        for (o, buf) in out.iter_mut().zip(&mut self.chans) {
            o.clear();
            o.extend_from_slice(&buf[pos..pos + first]);
            o.extend_from_slice(&buf[..n - first]);
            buf[pos..pos + first].fill(0);
            buf[..n - first].fill(0);
        }
        self.base += n as u64;
        sink(out)
    }
}
