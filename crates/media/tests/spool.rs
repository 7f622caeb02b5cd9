//! The spool record format: data-driven cases and properties (round trip,
//! torn tails, bit flips).

use callvault_model::Timestamp;

use callvault_media::spool::{
    G711Law, Record, RecordIter, SpoolConfig, SpoolError, SpoolWriter, decode_record, encode_record,
};
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
        Record::G711 { stream: 1, start: 320, law: G711Law::A, payload: &[0xd5; 160] },
        Record::G711 { stream: 2, start: 480, law: G711Law::Mu, payload: &[0xff, 0x7f] },
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

/// What the writer buffered between two writes is one block: read back, the
/// records come out as they went in; a block with one flipped bit is
/// dropped whole (the reader stops before it), never half-read.
#[test]
fn writer_blocks_read_back_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let config = SpoolConfig { dir: dir.path().to_owned(), fsync: false, ..Default::default() };
    let begin =
        Record::Begin { version: 1, conversation: [3; 16], origin_ns: 0, sample_rate: 8000 };
    let mut w = SpoolWriter::create(&config, "blocks", &begin, Timestamp::UNIX_EPOCH).unwrap();
    let mut want = vec![begin.clone(), Record::Sync { at_ns: 0 }];
    let first: Vec<Record<'static>> =
        samples().into_iter().filter(|r| !matches!(r, Record::Begin { .. })).collect();
    for r in &first {
        w.append(r);
    }
    w.sync(Timestamp::from_secs_nanos(1, 0)).unwrap();
    want.extend(first.iter().cloned());
    want.push(Record::Sync { at_ns: 1_000_000_000 });
    let after_first = std::fs::metadata(w.path()).unwrap().len() as usize;
    w.append(&Record::Loss { stream: 7, start: 1, packets: 2 });
    w.sync(Timestamp::from_secs_nanos(2, 0)).unwrap();
    let bytes = std::fs::read(w.path()).unwrap();
    let got: Vec<Record<'_>> = RecordIter::new(&bytes).collect();
    let mut all = want.clone();
    all.push(Record::Loss { stream: 7, start: 1, packets: 2 });
    all.push(Record::Sync { at_ns: 2_000_000_000 });
    assert_eq!(got, all);
    // one block per write: header records, block 1, block 2
    let mut it = RecordIter::new(&bytes);
    assert_eq!(it.by_ref().count(), all.len());
    assert_eq!(it.valid_len(), bytes.len());

    // A bit flipped inside the second block: the first stays whole.
    let mut torn = bytes.clone();
    torn[after_first + 12] ^= 0x10;
    let mut it = RecordIter::new(&torn);
    let got: Vec<Record<'_>> = it.by_ref().collect();
    assert_eq!(got, want);
    assert_eq!(it.stopped, Some(SpoolError::BadChecksum));
    assert_eq!(it.valid_len(), after_first);
    // Cut inside the first block: only the header records remain.
    let mut it = RecordIter::new(&bytes[..after_first - 3]);
    assert_eq!(it.by_ref().count(), 2);
    assert_eq!(it.stopped, Some(SpoolError::Incomplete));
}

/// The block layout as documented, built by hand outside the crate (the
/// fuzz seed, written with Python's zlib CRC-32): header records, then one
/// block of five inner records. A block whose inner record runs past its
/// end is refused whole although its checksum is right.
#[test]
fn hand_built_blocks_decode_as_documented() {
    let seed = include_bytes!("../../../fuzz/seeds/spool_record/block");
    let mut it = RecordIter::new(seed);
    let got: Vec<Record<'_>> = it.by_ref().collect();
    assert_eq!(it.stopped, None);
    assert_eq!(it.valid_len(), seed.len());
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(
        got[3],
        Record::G711 { stream: 0, start: 160, law: G711Law::A, payload: &[0xd5; 160] }
    );
    assert_eq!(
        got[4],
        Record::G711 { stream: 1, start: 160, law: G711Law::Mu, payload: &[0xff; 160] }
    );
    assert_eq!(got[5], Record::Loss { stream: 0, start: 320, packets: 2 });
    assert_eq!(got[6], Record::Sync { at_ns: 1_000_000_000 });

    let torn = include_bytes!("../../../fuzz/seeds/spool_record/block_torn_inner");
    let mut it = RecordIter::new(torn);
    assert_eq!(it.by_ref().count(), 1, "only the begin record");
    assert_eq!(it.stopped, Some(SpoolError::Malformed("block")));
}
