//! Throughput of the streaming prober on ~100 MB synthetic files, fed in
//! 64 KiB chunks as the ingest API does. Run: `cargo bench -p callvault-probe`.

use std::time::Instant;

use callvault_probe::{ProbeLimits, Prober, synth};

const TARGET: usize = 100 << 20;
const CHUNK: usize = 64 << 10;

fn run(name: &str, file: &[u8]) {
    // One warm-up pass, then the best of three.
    let mut best = f64::MAX;
    for _ in 0..4 {
        let start = Instant::now();
        let mut p = Prober::new(ProbeLimits::default());
        for c in file.chunks(CHUNK) {
            p.push(c).expect("synthetic file is valid");
        }
        let info = p.finish().expect("synthetic file is valid");
        std::hint::black_box(info);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mb = file.len() as f64 / 1e6;
    println!("{name:<28} {mb:>7.1} MB  {:>9.0} MB/s", mb / best);
}

fn main() {
    let wav = synth::wav_pcm16(2, 8000, TARGET / 4);
    run("wav pcm_s16le", &wav);
    drop(wav);

    let mp3 = synth::mp3(TARGET / 417, true, true, true);
    run("mp3 128k (417 B frames)", &mp3);
    drop(mp3);

    // 8 kHz telephony MP3: MPEG-2.5 layer III, 16 kbit/s, small frames.
    let h = synth::mp3_header(25, 3, 2, 2, false, true);
    let len = 72 * 16_000 / 8000;
    let mut small = Vec::with_capacity(TARGET);
    while small.len() + len <= TARGET {
        small.extend_from_slice(&h);
        small.extend(std::iter::repeat_n(0u8, len - 4));
    }
    run("mp3 16k mono (144 B frames)", &small);
    drop(small);

    let opus = synth::opus(2, TARGET / (50 * 160), 50, 160);
    run("ogg/opus (8 KB pages)", &opus);
    drop(opus);

    let flac = synth::flac(2, 8000, 4096, TARGET / (4096 * 4), synth::FlacSubframe::Verbatim);
    run("flac verbatim noise", &flac);
}
