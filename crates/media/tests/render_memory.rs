//! Rendering holds a bounded amount of memory whatever the call's length:
//! an hour-long call is rendered into a writer that keeps nothing, and a
//! counting global allocator (this test binary's only test, so nothing
//! else allocates meanwhile) measures the peak heap of the render.
#![allow(unsafe_code)] // the counting global allocator below

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use callvault_model::Timestamp;

use callvault_media::spool::{G711Law, Record, SPOOL_VERSION, SpoolConfig, SpoolWriter};
use callvault_media::{ClosedTimeline, Layout, OutputFormat, RenderOptions, render_to};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: AllocLayout) -> *mut u8 {
        let live = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: AllocLayout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A writer that keeps nothing, only counts.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const HOURS: u64 = 1;
const RATE: u64 = 8000;

/// A `HOURS`-long two-party G.711 call spooled directly (one record per
/// second and side, the company side 300 ms late in the file): each side
/// talks 10 s a minute, silent otherwise (as Opus skips silence, the test
/// stays fast).
fn long_call(dir: &std::path::Path) -> ClosedTimeline {
    let cfg = SpoolConfig { dir: dir.to_owned(), fsync: false, ..SpoolConfig::default() };
    let begin = Record::Begin {
        version: SPOOL_VERSION,
        conversation: [1; 16],
        origin_ns: 0,
        sample_rate: RATE as u32,
    };
    let mut w = SpoolWriter::create(&cfg, "long", &begin, Timestamp::UNIX_EPOCH).unwrap();
    w.append(&Record::Stream { stream: 0, participant: [2; 16], side: 0 });
    w.append(&Record::Stream { stream: 1, participant: [3; 16], side: 1 });
    let tone: Vec<u8> = (0..RATE).map(|i| (i % 200) as u8).collect();
    let idle = vec![0xd5u8; RATE as usize];
    for sec in 0..HOURS * 3600 {
        let talk = (sec % 60) / 10;
        let start = sec * RATE;
        let payload = if talk == 0 { &tone } else { &idle };
        w.append(&Record::G711 { stream: 0, start, law: G711Law::A, payload });
        let late = start.saturating_sub(RATE * 3 / 10);
        let payload = if talk == 1 { &tone } else { &idle };
        w.append(&Record::G711 { stream: 1, start: late, law: G711Law::A, payload });
        if sec % 60 == 0 {
            w.sync(Timestamp::from_secs_nanos(sec, 0)).unwrap();
        }
    }
    w.append(&Record::End { at_ns: HOURS * 3600 * 1_000_000_000 });
    w.sync(Timestamp::from_secs_nanos(HOURS * 3600, 0)).unwrap();
    ClosedTimeline::from_spool(w.path()).unwrap()
}

#[test]
fn peak_heap_of_a_long_render_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let tl = long_call(dir.path());
    assert_eq!(tl.len_samples(), HOURS * 3600 * RATE);
    // What the whole-buffer renderer held before encoding a byte.
    let whole_pcm = tl.len_samples() * 2 * 2;
    let bound = 2 << 20;
    assert!(whole_pcm > 50 * bound as u64);
    for format in [OutputFormat::WavPcm16, OutputFormat::default()] {
        let options = RenderOptions { format, layout: Layout::Stereo };
        let mut out = Count(0);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let summary = render_to(&tl, &options, &mut out).unwrap();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        println!("{format:?}: {} bytes written, peak heap {peak} bytes", out.0);
        assert_eq!(summary.bytes, out.0);
        assert_eq!(summary.duration_ms, HOURS * 3600 * 1000);
        if format == OutputFormat::WavPcm16 {
            assert_eq!(out.0, 44 + whole_pcm);
        }
        assert!(peak < bound, "{format:?}: peak heap {peak} bytes for a {HOURS} h call");
    }
}
