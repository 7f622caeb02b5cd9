//! Spools written before the recorder took `Timestamp`s (when `now` was a
//! `Duration` since the epoch) recover unchanged, and today's recorder
//! writes them byte for byte: times are stored as the same nanoseconds.
mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use callvault_media::codec::g711::{linear_to_alaw, linear_to_ulaw};
use callvault_media::spool::{Record, SpoolConfig};
use callvault_media::timeline::for_each_record;
use callvault_media::{ClosedTimeline, FlowKey, PayloadMap, Recorder, RecorderConfig};
use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use common::{rtp, speech_8k};
use uuid::Uuid;

const OLD_SPOOL: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/spool-before-timestamp.cvspool");

fn at(ms: u64) -> Timestamp {
    Timestamp::from_secs_nanos(1_700_000_000, 123_456_789) + Duration::from_millis(ms)
}

/// The call the old spool holds, recorded again (the old build ran the same
/// steps with `Duration::new(1_700_000_000, 123_456_789) + ms`).
fn record(dir: &Path) -> PathBuf {
    let cfg = RecorderConfig {
        spool: SpoolConfig {
            dir: dir.into(),
            sync_interval: Duration::from_millis(500),
            ..SpoolConfig::default()
        },
        ..RecorderConfig::default()
    };
    let conversation = ConversationId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
    let (caller, agent) = (ParticipantId(Uuid::from_u128(2)), ParticipantId(Uuid::from_u128(3)));
    let speech = speech_8k();
    let mut rec = Recorder::new(cfg, conversation, at(0)).unwrap();
    rec.participant_joined(at(0), caller, Side::External, "caller");
    rec.participant_joined(at(5), agent, Side::Company, "agent");
    rec.attach_flow(FlowKey(1), caller, Side::External, PayloadMap::default());
    rec.attach_flow(FlowKey(2), agent, Side::Company, PayloadMap::default());
    for i in 0..100u64 {
        let now = at(40 + i * 20 + (i * 7) % 11);
        let pcm = &speech[(i as usize * 160)..(i as usize * 160 + 160)];
        let a: Vec<u8> = pcm.iter().map(|&s| linear_to_alaw(s)).collect();
        let u: Vec<u8> = pcm.iter().map(|&s| linear_to_ulaw(s / 2)).collect();
        if i != 37 {
            let p = rtp(11, 1000 + i as u16, (i * 160) as u32, 8, i == 0, &a);
            rec.on_rtp(now, FlowKey(1), &p);
        }
        let p = rtp(22, i as u16, (i * 160) as u32, 0, i == 0, &u);
        rec.on_rtp(now + Duration::from_millis(3), FlowKey(2), &p);
        rec.poll(now + Duration::from_millis(3)).unwrap();
    }
    rec.participant_left(at(2000), agent);
    rec.finish(at(2100)).unwrap()
}

#[test]
fn an_old_spool_recovers_with_its_times() {
    let tl = ClosedTimeline::from_spool(Path::new(OLD_SPOOL)).unwrap();
    assert_eq!(tl.origin, at(0));
    assert_eq!(tl.origin.to_string(), "1700000000.123456789");
    assert_eq!(tl.last_sync, Some(at(2100)));
    assert!(!tl.cut_by_crash);
    assert_eq!(tl.discarded_bytes, 0);
    assert_eq!(tl.participants.len(), 2);
    assert_eq!(tl.streams.len(), 2);
    assert!((1950..=2100).contains(&tl.duration_ms()), "{}", tl.duration_ms());

    // Every stored time is a nanosecond count on the old scale.
    let mut times = Vec::new();
    for_each_record(Path::new(OLD_SPOOL), |r| match r {
        Record::Joined { at_ns, .. } | Record::Left { at_ns, .. } | Record::Sync { at_ns } => {
            times.push(at_ns)
        }
        Record::End { at_ns } => times.push(at_ns),
        _ => {}
    })
    .unwrap();
    assert_eq!(times.first(), Some(&at(0).as_nanos()));
    assert_eq!(times.last(), Some(&at(2100).as_nanos()));
    assert!(times.contains(&at(2000).as_nanos()), "the agent's leave");
}

#[test]
fn todays_recorder_writes_the_old_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let new = std::fs::read(record(dir.path())).unwrap();
    let old = std::fs::read(OLD_SPOOL).unwrap();
    assert_eq!(new.len(), old.len());
    assert!(new == old, "the spool encoding changed");
}
