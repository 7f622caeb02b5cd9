//! Arbitrary bytes in arbitrary chunk splits through the streaming prober:
//! it must never panic or hang, and the split must not change the outcome.
#![no_main]

use callvault_probe::{ProbeLimits, Prober, probe_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte seeds the chunk sizes; the rest is the file.
    let Some((&seed, data)) = input.split_first() else { return };
    let whole = probe_bytes(data);
    let mut p = Prober::new(ProbeLimits::default());
    let mut rest = data;
    let mut s = u32::from(seed) | 1;
    let mut pushed = Ok(());
    while !rest.is_empty() && pushed.is_ok() {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = ((s >> 16) as usize % 97 + 1).min(rest.len());
        pushed = p.push(&rest[..n]);
        rest = &rest[n..];
    }
    let chunked = match pushed {
        Ok(()) => p.finish(),
        Err(e) => Err(e),
    };
    assert_eq!(whole, chunked);
});
