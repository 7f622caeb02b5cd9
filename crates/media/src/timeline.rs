//! The closed conversation timeline, rebuilt from a spool file.
//!
//! A live call and a crashed call end the same way: the spool is scanned and
//! a [`ClosedTimeline`] describes what it holds (streams, participants, the
//! media span, events). The audio itself stays in the spool until rendering.
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use callvault_model::{ConversationId, ParticipantId, Side, Timestamp};
use uuid::Uuid;

use crate::spool::{
    MAX_PAYLOAD, RECORD_OVERHEAD, Record, SPOOL_EXTENSION, SpoolError, decode_inner, decode_record,
    validate_block,
};

/// Why a spool could not be turned into a timeline.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("spool i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("spool has no valid begin record")]
    NoBegin,
    #[error("spool sample rate {0} is invalid")]
    BadRate(u32),
}

pub(crate) fn side_to_u8(s: Side) -> u8 {
    match s {
        Side::External => 0,
        Side::Company => 1,
        Side::Unknown => 2,
    }
}

pub(crate) fn side_from_u8(b: u8) -> Side {
    match b {
        0 => Side::External,
        1 => Side::Company,
        _ => Side::Unknown,
    }
}

/// A media stream of the conversation and whose voice it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub stream: u16,
    pub participant: ParticipantId,
    pub side: Side,
}

/// A participant and when they were on the call (offsets in ms from the
/// start of the recording; negative before the first audio).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantSpan {
    pub participant: ParticipantId,
    pub side: Side,
    pub label: String,
    pub joined_ms: Option<i64>,
    pub left_ms: Option<i64>,
}

/// Something on the timeline other than audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineEvent {
    /// An RFC 4733 event (DTMF digit when `event` < 16).
    Dtmf { offset_ms: i64, stream: u16, event: u8, volume: u8, duration_ms: u32 },
    /// A payload the engine could not decode (unknown type, G.729), kept raw
    /// in the spool.
    UndecodedPayload { offset_ms: i64, stream: u16, payload_type: u8, bytes: usize },
    /// Packets lost in the network just before `offset_ms`.
    Loss { offset_ms: i64, stream: u16, packets: u32 },
    /// No media arrived from `offset_ms` for `duration_ms` although the
    /// session went on (the SRC stopped sending before its BYE): rendered
    /// as silence by [`ClosedTimeline::cover_until_end`].
    MediaGap { offset_ms: i64, duration_ms: u64 },
}

/// A [`TimelineEvent`] as the catalog keeps it (a conversation event):
/// DTMF (`dtmf`) and media gaps (`media_gap`). Undecoded payloads and
/// losses are counted, not kept as events.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEvent {
    pub at: Timestamp,
    /// `dtmf` or `media_gap`.
    pub kind: &'static str,
    /// Who sent it (DTMF), as the recorder knows the participant.
    pub participant: Option<ParticipantId>,
    /// `dtmf`: `digit`, `event`, `duration_ms`, `volume_dbm0`, `stream`,
    /// `side`; `media_gap`: `end` (RFC 3339), `duration_ms`.
    pub detail: serde_json::Value,
}

/// The key an RFC 4733 event stands for (0-9, *, #, A-D), else its number.
pub fn dtmf_digit(event: u8) -> String {
    match event {
        0..=9 => char::from(b'0' + event).to_string(),
        10 => "*".into(),
        11 => "#".into(),
        12..=15 => char::from(b'A' + event - 12).to_string(),
        other => other.to_string(),
    }
}

/// A finished (or crash-cut) conversation, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedTimeline {
    pub spool_path: PathBuf,
    pub conversation: ConversationId,
    pub sample_rate: u32,
    /// Wall-clock time of sample 0 (on the recorder's caller's clock).
    pub origin: Timestamp,
    /// First sample of audio (first answer).
    pub start_sample: u64,
    /// One past the last sample of audio (last hang-up).
    pub end_sample: u64,
    pub streams: Vec<StreamInfo>,
    pub participants: Vec<ParticipantSpan>,
    pub events: Vec<TimelineEvent>,
    /// No end record: the recorder died; audio runs to the last sync.
    pub cut_by_crash: bool,
    /// The spool hit its size bound at this sample; media after it is
    /// missing.
    pub truncated_at: Option<u64>,
    /// Bytes of the spool that held valid records.
    pub valid_bytes: u64,
    /// Bytes after the first invalid record (torn tail), ignored.
    pub discarded_bytes: u64,
    /// Time of the last sync marker, if any.
    pub last_sync: Option<Timestamp>,
    /// When the recorder was closed (its end record), on the recorder's
    /// caller's clock; None when it was cut by a crash.
    pub closed_at: Option<Timestamp>,
}

impl ClosedTimeline {
    /// The events the catalog keeps, in timeline order.
    pub fn catalog_events(&self) -> Vec<CatalogEvent> {
        let start = self.time_of(self.start_sample);
        let at = |offset_ms: i64| match u64::try_from(offset_ms) {
            Ok(ms) => start + std::time::Duration::from_millis(ms),
            Err(_) => start - std::time::Duration::from_millis(offset_ms.unsigned_abs()),
        };
        let mut out = Vec::new();
        for e in &self.events {
            match *e {
                TimelineEvent::Dtmf { offset_ms, stream, event, volume, duration_ms } => {
                    out.push(CatalogEvent {
                        at: at(offset_ms),
                        kind: "dtmf",
                        participant: self.participant_of(stream),
                        detail: serde_json::json!({
                            "digit": dtmf_digit(event),
                            "event": event,
                            "duration_ms": duration_ms,
                            "volume_dbm0": -i32::from(volume),
                            "stream": stream,
                            "side": self.side_of(stream),
                        }),
                    });
                }
                TimelineEvent::MediaGap { offset_ms, duration_ms } => out.push(CatalogEvent {
                    at: at(offset_ms),
                    kind: "media_gap",
                    participant: None,
                    detail: serde_json::json!({
                        "end": at(offset_ms + duration_ms as i64).to_utc(),
                        "duration_ms": duration_ms,
                    }),
                }),
                TimelineEvent::UndecodedPayload { .. } | TimelineEvent::Loss { .. } => {}
            }
        }
        out
    }

    /// Samples in the recording.
    pub fn len_samples(&self) -> u64 {
        self.end_sample.saturating_sub(self.start_sample)
    }

    /// The conversation's media span in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.len_samples() * 1000 / u64::from(self.sample_rate.max(1))
    }

    /// The timeline sample of a wall-clock instant (None before the origin).
    pub fn sample_at(&self, t: Timestamp) -> Option<u64> {
        let ns = t.checked_since(self.origin)?.as_nanos();
        Some((ns * u128::from(self.sample_rate) / 1_000_000_000) as u64)
    }

    /// The wall-clock instant of a timeline sample.
    pub fn time_of(&self, sample: u64) -> Timestamp {
        let ns = u128::from(sample) * 1_000_000_000 / u128::from(self.sample_rate.max(1));
        self.origin + std::time::Duration::from_nanos(ns.min(u128::from(u64::MAX)) as u64)
    }

    /// Makes the recording cover the session up to `end` (its BYE): when
    /// the media stopped more than `min_gap` before it, the recording is
    /// extended with silence to `end` and a [`TimelineEvent::MediaGap`]
    /// marks the span, so a short file never looks like a cut recording.
    /// Returns the gap added as (first silent sample, samples); None when
    /// there is no audio at all or the media reached `end` (within
    /// `min_gap`).
    pub fn cover_until_end(
        &mut self,
        end: Timestamp,
        min_gap: std::time::Duration,
    ) -> Option<(u64, u64)> {
        if self.len_samples() == 0 {
            return None;
        }
        let end_sample = self.sample_at(end)?;
        let gap = end_sample.checked_sub(self.end_sample)?;
        let min = (min_gap.as_nanos() * u128::from(self.sample_rate) / 1_000_000_000) as u64;
        if gap == 0 || gap < min {
            return None;
        }
        let from = self.end_sample;
        let rate = u64::from(self.sample_rate.max(1));
        self.events.push(TimelineEvent::MediaGap {
            offset_ms: self.offset_ms(from),
            duration_ms: gap * 1000 / rate,
        });
        self.end_sample = end_sample;
        Some((from, gap))
    }

    /// The side a stream belongs to.
    pub fn side_of(&self, stream: u16) -> Side {
        self.streams.iter().rev().find(|s| s.stream == stream).map_or(Side::Unknown, |s| s.side)
    }

    /// The participant a stream belongs to.
    pub fn participant_of(&self, stream: u16) -> Option<ParticipantId> {
        self.streams.iter().rev().find(|s| s.stream == stream).map(|s| s.participant)
    }

    fn offset_ms(&self, sample: u64) -> i64 {
        (sample as i64 - self.start_sample as i64) * 1000 / i64::from(self.sample_rate.max(1))
    }

    fn at_ms(&self, at_ns: u64) -> i64 {
        let origin = self.origin.as_nanos() as i64;
        let start_ns =
            self.start_sample as i64 * 1_000_000_000 / i64::from(self.sample_rate.max(1));
        (at_ns as i64 - origin - start_ns) / 1_000_000
    }

    /// Scans a spool file.
    pub fn from_spool(path: &Path) -> Result<Self, TimelineError> {
        let mut tl = ClosedTimeline {
            spool_path: path.to_owned(),
            conversation: ConversationId(Uuid::nil()),
            sample_rate: 0,
            origin: Timestamp::UNIX_EPOCH,
            start_sample: u64::MAX,
            end_sample: 0,
            streams: Vec::new(),
            participants: Vec::new(),
            events: Vec::new(),
            cut_by_crash: true,
            truncated_at: None,
            valid_bytes: 0,
            discarded_bytes: 0,
            last_sync: None,
            closed_at: None,
        };
        let mut begun = false;
        let mut joins: Vec<(usize, u64)> = Vec::new();
        let mut lefts: Vec<(usize, u64)> = Vec::new();
        let mut pending: Vec<(u64, TimelineEvent)> = Vec::new();
        let scan = for_each_record(path, |rec| match rec {
            Record::Begin { conversation, origin_ns, sample_rate, .. } if !begun => {
                begun = true;
                tl.conversation = ConversationId(Uuid::from_bytes(conversation));
                tl.origin = Timestamp::from_nanos(origin_ns);
                tl.sample_rate = sample_rate;
            }
            Record::Stream { stream, participant, side } => tl.streams.push(StreamInfo {
                stream,
                participant: ParticipantId(Uuid::from_bytes(participant)),
                side: side_from_u8(side),
            }),
            Record::Joined { participant, side, at_ns, label } => {
                let id = ParticipantId(Uuid::from_bytes(participant));
                let i = match tl.participants.iter().position(|p| p.participant == id) {
                    Some(i) => i,
                    None => {
                        tl.participants.push(ParticipantSpan {
                            participant: id,
                            side: side_from_u8(side),
                            label: label.to_owned(),
                            joined_ms: None,
                            left_ms: None,
                        });
                        tl.participants.len() - 1
                    }
                };
                joins.push((i, at_ns));
            }
            Record::Left { participant, at_ns } => {
                let id = ParticipantId(Uuid::from_bytes(participant));
                if let Some(i) = tl.participants.iter().position(|p| p.participant == id) {
                    lefts.push((i, at_ns));
                }
            }
            Record::Audio { start, pcm, .. } => {
                if !pcm.is_empty() {
                    tl.start_sample = tl.start_sample.min(start);
                    tl.end_sample = tl.end_sample.max(start + pcm.len() as u64 / 2);
                }
            }
            Record::G711 { start, payload, .. } => {
                if !payload.is_empty() {
                    tl.start_sample = tl.start_sample.min(start);
                    tl.end_sample = tl.end_sample.max(start + payload.len() as u64);
                }
            }
            Record::Dtmf { stream, start, event, volume, duration } => {
                let rate = u64::from(tl.sample_rate.max(1));
                let duration_ms = (u64::from(duration) * 1000 / rate) as u32;
                pending.push((
                    start,
                    TimelineEvent::Dtmf { offset_ms: 0, stream, event, volume, duration_ms },
                ));
            }
            Record::Raw { stream, start, payload_type, payload } => pending.push((
                start,
                TimelineEvent::UndecodedPayload {
                    offset_ms: 0,
                    stream,
                    payload_type,
                    bytes: payload.len(),
                },
            )),
            Record::Loss { stream, start, packets } => {
                pending.push((start, TimelineEvent::Loss { offset_ms: 0, stream, packets }))
            }
            Record::Sync { at_ns } => tl.last_sync = Some(Timestamp::from_nanos(at_ns)),
            Record::End { at_ns } => {
                tl.cut_by_crash = false;
                tl.closed_at = Some(Timestamp::from_nanos(at_ns));
            }
            Record::Truncated { at_sample } => tl.truncated_at = Some(at_sample),
            // for_each_record yields what is inside blocks.
            Record::Begin { .. } | Record::Block { .. } => {}
        })?;
        if !begun {
            return Err(TimelineError::NoBegin);
        }
        if tl.sample_rate == 0 || tl.sample_rate > 384_000 {
            return Err(TimelineError::BadRate(tl.sample_rate));
        }
        tl.valid_bytes = scan.valid_bytes;
        tl.discarded_bytes = scan.total_bytes - scan.valid_bytes;
        if tl.start_sample == u64::MAX {
            tl.start_sample = 0;
            tl.end_sample = 0;
        }
        for (i, at) in joins {
            let ms = tl.at_ms(at);
            if let Some(p) = tl.participants.get_mut(i) {
                p.joined_ms = Some(p.joined_ms.map_or(ms, |m| m.min(ms)));
            }
        }
        for (i, at) in lefts {
            let ms = tl.at_ms(at);
            if let Some(p) = tl.participants.get_mut(i) {
                p.left_ms = Some(p.left_ms.map_or(ms, |m| m.max(ms)));
            }
        }
        for (start, mut ev) in pending {
            let off = tl.offset_ms(start);
            match &mut ev {
                TimelineEvent::Dtmf { offset_ms, .. }
                | TimelineEvent::UndecodedPayload { offset_ms, .. }
                | TimelineEvent::Loss { offset_ms, .. }
                | TimelineEvent::MediaGap { offset_ms, .. } => *offset_ms = off,
            }
            tl.events.push(ev);
        }
        Ok(tl)
    }
}

/// Result of reading a spool file record by record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanEnd {
    pub valid_bytes: u64,
    pub total_bytes: u64,
    pub stopped: Option<SpoolError>,
}

/// Calls `f` for every valid record of a spool file, streaming (at most one
/// record in memory), and stops at the first invalid one.
pub fn for_each_record(path: &Path, mut f: impl FnMut(Record<'_>)) -> std::io::Result<ScanEnd> {
    let file = File::open(path)?;
    let total_bytes = file.metadata()?.len();
    let mut r = BufReader::with_capacity(64 << 10, file);
    let mut buf = Vec::with_capacity(4096);
    let mut valid = 0u64;
    loop {
        buf.clear();
        let mut head = [0u8; 6];
        match read_full(&mut r, &mut head)? {
            0 => return Ok(ScanEnd { valid_bytes: valid, total_bytes, stopped: None }),
            6 => {}
            _ => {
                return Ok(ScanEnd {
                    valid_bytes: valid,
                    total_bytes,
                    stopped: Some(SpoolError::Incomplete),
                });
            }
        }
        let len = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
        if len > MAX_PAYLOAD {
            return Ok(ScanEnd {
                valid_bytes: valid,
                total_bytes,
                stopped: Some(SpoolError::TooLarge(len)),
            });
        }
        buf.extend_from_slice(&head);
        buf.resize(len + RECORD_OVERHEAD, 0);
        let need = len + 4;
        if read_full(&mut r, &mut buf[6..])? != need {
            return Ok(ScanEnd {
                valid_bytes: valid,
                total_bytes,
                stopped: Some(SpoolError::Incomplete),
            });
        }
        match decode_record(&buf) {
            Ok((Record::Block { records }, n)) => {
                // Taken whole or not at all.
                if let Err(e) = validate_block(records) {
                    return Ok(ScanEnd { valid_bytes: valid, total_bytes, stopped: Some(e) });
                }
                valid += n as u64;
                let mut rest = records;
                while let Ok((rec, k)) = decode_inner(rest) {
                    rest = &rest[k..];
                    f(rec);
                }
            }
            Ok((rec, n)) => {
                valid += n as u64;
                f(rec);
            }
            Err(e) => return Ok(ScanEnd { valid_bytes: valid, total_bytes, stopped: Some(e) }),
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A spool found by [`recover_spool`].
#[derive(Debug)]
pub struct RecoveredConversation {
    pub path: PathBuf,
    pub timeline: Result<ClosedTimeline, TimelineError>,
}

/// Finds every spool in `dir` (after a restart): each is a conversation
/// that was not yet stored in the vault. Leftovers of interrupted spool
/// creation (nothing recorded yet) are deleted. Interrupted ones come back with
/// `cut_by_crash` set and all audio up to their last sync. Render them, store
/// them, then [`crate::spool::remove_spool`].
pub fn recover_spool(dir: &Path) -> std::io::Result<Vec<RecoveredConversation>> {
    Ok(spool_paths(dir)?
        .into_iter()
        .map(|path| {
            let timeline = ClosedTimeline::from_spool(&path);
            RecoveredConversation { path, timeline }
        })
        .collect())
}

/// The spools in `dir`, sorted, without reading them (a missing directory
/// has none). Spools whose creation was interrupted (nothing recorded)
/// are removed on the way.
pub fn spool_paths(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) == Some(SPOOL_EXTENSION) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
