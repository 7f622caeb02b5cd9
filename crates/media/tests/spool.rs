//! The spool record format: data-driven cases and properties (round trip,
//! torn tails, bit flips).
use callvault_media::spool::{Record, RecordIter, SpoolError, decode_record, encode_record};
use proptest::prelude::*;

fn samples() -> Vec<Record<'static>> {
    vec![
        Record::Begin { version: 1, conversation: [7; 16], origin_ns: 123, sample_rate: 8000 },
        Record::Stream { stream: 3, participant: [9; 16], side: 1 },
        Record::Joined { participant: [1; 16], side: 0, at_ns: 5, label: "caller ☎" },
        Record::Left { participant: [1; 16], at_ns: 6 },
        Record::Audio { stream: 1, start: 160, pcm: &[1, 0, 2, 0] },
        Record::Dtmf { stream: 1, start: 16_000, event: 11, volume: 10, duration: 640 },
        Record::Raw { stream: 2, start: 24_000, payload_type: 96, payload: &[1, 2, 3] },
        Record::Loss { stream: 2, start: 8, packets: 4 },
        Record::Sync { at_ns: u64::MAX },
        Record::End { at_ns: 0 },
        Record::Truncated { at_sample: 99 },
    ]
}

#[test]
fn every_kind_round_trips() {
    let mut buf = Vec::new();
    for r in samples() {
        encode_record(&r, &mut buf);
    }
    let back: Vec<Record<'_>> = RecordIter::new(&buf).collect();
    assert_eq!(back, samples());
}

#[test]
fn invalid_inputs() {
    let mut one = Vec::new();
    encode_record(&Record::Sync { at_ns: 1 }, &mut one);
    let cases: Vec<(Vec<u8>, SpoolError)> = vec![
        (vec![], SpoolError::Incomplete),
        (one[..one.len() - 1].to_vec(), SpoolError::Incomplete),
        (
            {
                let mut b = one.clone();
                b[0] = 0;
                b
            },
            SpoolError::BadMagic(0),
        ),
        (
            {
                let mut b = one.clone();
                b[7] ^= 1;
                b
            },
            SpoolError::BadChecksum,
        ),
        (vec![0xC5, 5, 0xff, 0xff, 0xff, 0x7f], SpoolError::TooLarge(0x7fff_ffff)),
        (
            {
                // valid checksum, unknown kind
                let mut b = vec![0xC5, 99, 0, 0, 0, 0];
                b.extend_from_slice(&crc32fast::hash(&b[1..]).to_le_bytes());
                b
            },
            SpoolError::UnknownKind(99),
        ),
        (
            {
                // valid checksum, sync body too short
                let mut b = vec![0xC5, 9, 1, 0, 0, 0, 0];
                b.extend_from_slice(&crc32fast::hash(&b[1..]).to_le_bytes());
                b
            },
            SpoolError::Malformed("sync"),
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(decode_record(&bytes).err(), Some(want), "{bytes:?}");
    }
}

proptest! {
    /// A torn or corrupted tail never hides a record before it and never
    /// yields a record that was not written.
    #[test]
    fn torn_tail_keeps_prefix(cut in 0usize..400, flip in proptest::option::of((0usize..400, 0u8..8))) {
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        for r in samples() {
            encode_record(&r, &mut buf);
            ends.push(buf.len());
        }
        let mut bytes = buf[..cut.min(buf.len())].to_vec();
        if let Some((at, bit)) = flip
            && at < bytes.len()
        {
            bytes[at] ^= 1 << bit;
        }
        let got: Vec<Record<'_>> = RecordIter::new(&bytes).collect();
        let first_bad = flip.map_or(usize::MAX, |(at, _)| at);
        let intact = ends.iter().filter(|&&e| e <= bytes.len() && e <= first_bad).count();
        prop_assert!(got.len() >= intact.min(got.len()));
        prop_assert_eq!(&got[..intact.min(got.len())], &samples()[..intact.min(got.len())]);
        prop_assert!(got.len() >= intact);
        for (g, w) in got.iter().zip(samples()) { prop_assert_eq!(g, &w); }
    }
}
