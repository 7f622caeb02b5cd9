//! Scenario and property tests of the stream tracker on virtual time.
use std::time::Duration;

use callvault_model::Timestamp;
use callvault_rtp::{RtpPacket, StreamTracker, TrackerConfig};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Out {
    seq: i64,
    sub: u32,
    media_ms: f64,
    lost_before: u64,
    first: u8,
}

/// The time `v` ms after the epoch.
fn ms(v: u64) -> Timestamp {
    Timestamp::from_nanos(v * 1_000_000)
}

/// Feeds (arrival, packet bytes) and returns what was released, in order.
fn run(tracker: &mut StreamTracker, input: &[(Timestamp, Vec<u8>)]) -> Vec<Out> {
    feed(tracker, input, false)
}

/// Like [`run`], through the no-copy fast path `push_next`.
fn run_fast(tracker: &mut StreamTracker, input: &[(Timestamp, Vec<u8>)]) -> Vec<Out> {
    feed(tracker, input, true)
}

fn feed(tracker: &mut StreamTracker, input: &[(Timestamp, Vec<u8>)], fast: bool) -> Vec<Out> {
    let mut out = Vec::new();
    let mut last = Timestamp::UNIX_EPOCH;
    for (now, bytes) in input {
        let p = RtpPacket::parse(bytes).unwrap();
        if fast {
            if let Some(t) = tracker.push_next(*now, &p) {
                out.push(conv(&t));
            }
        } else {
            tracker.push(*now, &p);
        }
        while let Some(t) = tracker.poll(*now) {
            out.push(conv(&t));
        }
        last = *now;
    }
    let end = last + Duration::from_secs(1);
    while let Some(t) = tracker.poll(end) {
        out.push(conv(&t));
    }
    while let Some(t) = tracker.flush() {
        out.push(conv(&t));
    }
    out
}

fn conv(t: &callvault_rtp::TrackedPacket<'_>) -> Out {
    Out {
        seq: t.ext_seq,
        sub: t.sub_stream,
        media_ms: t.media_time.since_epoch().as_secs_f64() * 1000.0,
        lost_before: t.lost_before,
        first: t.payload.first().copied().unwrap_or(0),
    }
}

fn pkt(ssrc: u32, seq: u16, ts: u32, marker: bool, pt: u8, tag: u8) -> Vec<u8> {
    let payload = [tag; 160];
    let p = RtpPacket {
        marker,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc,
        csrc_bytes: &[],
        extension: None,
        payload: &payload,
    };
    let mut v = Vec::new();
    p.write(&mut v);
    v
}

/// A 20 ms G.711 stream: n packets from (seq0, ts0), arriving on time.
fn stream(ssrc: u32, seq0: u16, ts0: u32, start_ms: u64, n: u64) -> Vec<(Timestamp, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let seq = seq0.wrapping_add(i as u16);
            let ts = ts0.wrapping_add((i * 160) as u32);
            (ms(start_ms + i * 20), pkt(ssrc, seq, ts, false, 8, i as u8))
        })
        .collect()
}

#[test]
fn in_order_stream_maps_to_wall_clock() {
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &stream(1, 100, 5000, 1000, 50));
    assert_eq!(out.len(), 50);
    for (i, o) in out.iter().enumerate() {
        assert_eq!(o.seq, 100 + i as i64);
        assert!((o.media_ms - (1000.0 + 20.0 * i as f64)).abs() < 0.001, "{o:?}");
    }
    assert_eq!(t.stats().lost, 0);
}

#[test]
fn sequence_and_timestamp_wrap() {
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &stream(7, 65530, u32::MAX - 480, 0, 20));
    assert_eq!(out.len(), 20);
    let seqs: Vec<i64> = out.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, (65530..65550).collect::<Vec<i64>>());
    for (i, o) in out.iter().enumerate() {
        assert!((o.media_ms - 20.0 * i as f64).abs() < 0.001);
    }
}

#[test]
fn reorder_duplicate_and_loss() {
    let mut input = stream(1, 0, 0, 0, 10);
    input.swap(3, 4); // reorder (arrival times swap with it)
    let dup = input[6].clone();
    input.insert(7, dup); // duplicate
    input.remove(8); // loses seq 7
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    let seqs: Vec<i64> = out.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5, 6, 8, 9]);
    assert_eq!(out[7].lost_before, 1);
    let s = t.stats();
    assert_eq!((s.duplicates, s.lost), (1, 1));
}

#[test]
fn ssrc_change_keeps_wall_clock_continuity() {
    // Transfer: a new SSRC with unrelated seq/ts continues 20 ms later.
    let mut input = stream(1, 10, 1000, 0, 10);
    input.extend(stream(2, 40000, 99_999_999, 200, 10));
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 20);
    assert_eq!(out[10].sub, 1);
    assert!((out[10].media_ms - 200.0).abs() < 0.001);
    assert!((out[19].media_ms - 380.0).abs() < 0.001);
    assert_eq!(t.stats().ssrc_changes, 1);
}

#[test]
fn same_ssrc_sequence_restart_with_marker() {
    let mut input = stream(1, 30000, 0, 0, 5);
    let mut b = stream(1, 2, 777, 100, 5);
    b[0].1[1] |= 0x80; // marker
    input.extend(b);
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 10);
    assert_eq!(t.stats().restarts, 1);
    assert!((out[5].media_ms - 100.0).abs() < 0.001);
}

#[test]
fn stray_packet_is_dropped_and_unconfirmed() {
    let mut input = stream(1, 100, 0, 0, 5);
    input.insert(2, (ms(30), pkt(1, 50000, 4, false, 8, 9)));
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 5);
    assert_eq!(t.stats().strays, 1);
}

#[test]
fn hold_without_timestamp_advance_keeps_wall_clock() {
    // 10 packets, 5 s of hold with no packets, then timestamps continue as if
    // no time had passed: the audio must land 5 s later on the wall clock.
    let mut input = stream(1, 0, 0, 0, 10);
    input.extend(stream(1, 10, 1600, 5200, 10));
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert!((out[10].media_ms - 5200.0).abs() < 0.001, "{:?}", out[10]);
    assert!((out[19].media_ms - 5380.0).abs() < 0.001);
    assert_eq!(t.stats().resyncs, 1);
}

#[test]
fn silence_suppression_gap_with_timestamp_jump_is_kept() {
    // Talkspurt gap with timestamps that advance: no resync needed.
    let mut input = stream(1, 0, 0, 0, 10);
    let mut b = stream(1, 10, 8000 * 3, 3000, 10);
    b[0].1[1] |= 0x80;
    input.extend(b);
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert!((out[10].media_ms - 3000.0).abs() < 0.001);
    assert_eq!(t.stats().resyncs, 0);
}

#[test]
fn clock_drift_is_corrected() {
    // Sender clock 0.5% slow: 159.2 samples per 20 ms of real time. After 60 s
    // the naive mapping would be 300 ms off; the tracker keeps it under the
    // drift threshold plus two windows of drift (40 + 2 × 10 ms).
    let n = 3000u64;
    let input: Vec<_> = (0..n)
        .map(|i| (ms(i * 20), pkt(1, i as u16, (i as f64 * 159.2) as u32, false, 0, 0)))
        .collect();
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    let last = out.last().unwrap();
    let real = ((n - 1) * 20) as f64;
    assert!((last.media_ms - real).abs() < 61.0, "drifted: {} vs {real}", last.media_ms);
    assert!(t.stats().drift_corrections > 0);
}

#[test]
fn dtmf_packets_do_not_disturb_timing() {
    // Telephone-events repeat their timestamp while time advances.
    let mut input = stream(1, 0, 0, 0, 5);
    for i in 0..5u64 {
        input.push((ms(100 + 20 * i), pkt(1, 5 + i as u16, 800, i == 0, 101, 1)));
    }
    input.extend(stream(1, 10, 1600, 200, 5));
    let mut t = StreamTracker::new(TrackerConfig::default());
    let out = run(&mut t, &input);
    assert_eq!(out.len(), 15);
    assert!((out[10].media_ms - 200.0).abs() < 0.001);
    assert_eq!(t.stats().resyncs + t.stats().drift_corrections, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Random loss, reordering within the buffer, duplication and wrap-around
    /// of both counters: every packet that arrived is released exactly once
    /// (unless it came later than the reorder window), in order, and each
    /// lands at its exact position on the wall clock.
    #[test]
    fn random_network(
        seq0 in any::<u16>(),
        ts0 in any::<u32>(),
        n in 10usize..300,
        loss in 0.0f64..0.3,
        dup in 0.0f64..0.2,
        jitter_ms in 0u64..40,
        seed in any::<u64>(),
    ) {
        let mut rng = seed | 1;
        let mut next = || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; (rng % 10_000) as f64 / 10_000.0 };
        let mut sent: Vec<(Timestamp, u64, Vec<u8>)> = Vec::new();
        for i in 0..n {
            if i > 0 && next() < loss { continue; }
            let seq = seq0.wrapping_add(i as u16);
            let ts = ts0.wrapping_add((i * 160) as u32);
            let arrive = 1000 + i as u64 * 20 + (next() * jitter_ms as f64) as u64;
            let bytes = pkt(9, seq, ts, false, 0, (i % 251) as u8);
            if next() < dup { sent.push((ms(arrive + 1), i as u64, bytes.clone())); }
            sent.push((ms(arrive), i as u64, bytes));
        }
        sent.sort_by_key(|(t, i, _)| (*t, *i));
        let input: Vec<_> = sent.iter().map(|(t, _, b)| (*t, b.clone())).collect();
        let mut tr = StreamTracker::new(TrackerConfig::default());
        let out = run(&mut tr, &input);
        // in order, no duplicates
        for w in out.windows(2) { prop_assert!(w[0].seq < w[1].seq); }
        let mut distinct: Vec<u64> = sent.iter().map(|(_, i, _)| *i).collect();
        distinct.sort(); distinct.dedup();
        let s = tr.stats();
        // jitter stays below the reorder delay (and below the drift
        // threshold): nothing is given up on, nothing is shifted
        prop_assert_eq!(out.len(), distinct.len());
        prop_assert!(s.late + s.duplicates >= (sent.len() - distinct.len()) as u64);
        // alignment: media time = first + 20 ms * index, exactly
        let base_seq = out[0].seq;
        let base_ms = out[0].media_ms;
        for o in &out {
            let idx = (o.seq - base_seq) as f64;
            prop_assert!((o.media_ms - (base_ms + 20.0 * idx)).abs() < 0.001);
            prop_assert_eq!(o.first as i64, (o.seq - i64::from(seq0)) % 251);
        }
        // the last released packet accounts for every gap
        let released_span = (out.last().unwrap().seq - base_seq + 1) as u64;
        prop_assert!(s.lost + out.len() as u64 >= released_span);
        prop_assert_eq!(out.len(), out.iter().filter(|o| o.sub == 0).count());
    }

    /// The fast path changes nothing: `push_next` releases the same packets
    /// at the same places, with the same counters, as `push` then `poll`,
    /// whatever the network did (loss, reordering, duplicates, SSRC
    /// changes, restarts).
    #[test]
    fn push_next_equals_push_and_poll(
        seq0 in any::<u16>(),
        n in 10usize..200,
        loss in 0.0f64..0.3,
        reorder in 0.0f64..0.3,
        restart_at in proptest::option::of(5usize..200),
        seed in any::<u64>(),
    ) {
        let mut rng = seed | 1;
        let mut next = || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; (rng % 10_000) as f64 / 10_000.0 };
        let mut input: Vec<(Timestamp, Vec<u8>)> = Vec::new();
        for i in 0..n {
            if next() < loss { continue; }
            let (ssrc, seq) = match restart_at {
                Some(r) if i >= r => (77, 5000u16.wrapping_add(i as u16)),
                _ => (9, seq0.wrapping_add(i as u16)),
            };
            let at = 1000 + i as u64 * 20 + if next() < reorder { 45 } else { 0 };
            input.push((ms(at), pkt(ssrc, seq, (i * 160) as u32, false, 8, (i % 251) as u8)));
        }
        input.sort_by_key(|(t, _)| *t);
        let mut a = StreamTracker::new(TrackerConfig::default());
        let mut b = StreamTracker::new(TrackerConfig::default());
        let slow = run(&mut a, &input);
        let fast = run_fast(&mut b, &input);
        prop_assert_eq!(slow, fast);
        prop_assert_eq!(a.stats(), b.stats());
    }
}
