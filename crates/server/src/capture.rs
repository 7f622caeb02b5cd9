//! `callvault capture --read FILE…`: record the calls in capture files.
//!
//! The sans-IO pieces are wired here: `capture::CaptureReader` →
//! `CaptureDemux` → `CallTracker`, whose outputs drive one
//! `media::Recorder` per conversation (spooled under `data_dir/spool`).
//! When a conversation ends it is rendered (stereo Ogg/Opus: external party
//! left, company right) and stored through the same [`Ingestor`] as an
//! upload, with its participants and Call-IDs; then its spool is removed.
//! Replay is as fast as the machine allows: time is packet time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use callvault_capture::tracker::{IpNet, ParticipantKey};
use callvault_capture::{
    CallTracker, CaptureDemux, CaptureReader, DemuxConfig, Timestamp, TrackerConfig, TrackerOutput,
};
use callvault_media::spool::SpoolConfig;
use callvault_media::{Codec, FlowKey, PayloadMap, Recorder, RecorderConfig, RenderOptions};
use callvault_model::{ConversationId, ParticipantId, RecordingSource, Side, TenantId};
use chrono::{DateTime, Utc};

use crate::ingest::{
    IngestError, IngestOutcome, IngestRequest, Ingestor, ParticipantMetadata, RecordingMetadata,
};
use crate::instance::Instance;

pub struct CaptureOptions {
    pub files: Vec<PathBuf>,
    pub tenant: TenantId,
    /// Networks of the company side (PBX, phones); everyone else is external.
    pub company_networks: Vec<IpNet>,
    /// `data_dir/spool`: each process spools in a directory named after its
    /// instance, and recovers the directories of dead instances.
    pub spool_root: PathBuf,
}

#[derive(Debug, Default)]
pub struct CaptureSummary {
    pub frames: u64,
    pub conversations: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// Conversations recovered from the spools of a run that died.
    pub recovered: u64,
    pub refused: Vec<String>,
}

/// One finished conversation on its way to the vault.
struct Finished {
    rendered: callvault_media::RenderedFile,
    metadata: RecordingMetadata,
    spool: PathBuf,
    /// The recorder's conversation id: the idempotency key, so that a
    /// spool stored just before a crash is not stored twice by recovery.
    conversation: ConversationId,
}

/// The recording of a closed timeline, with what the spool itself knows of
/// the participants (recovered spools have nothing else).
fn finish_timeline(timeline: &callvault_media::ClosedTimeline) -> anyhow::Result<Option<Finished>> {
    if timeline.len_samples() == 0 {
        let _ = callvault_media::spool::remove_spool(&timeline.spool_path);
        return Ok(None);
    }
    let rendered = callvault_media::render(timeline, &RenderOptions::default())?;
    let rate = u64::from(timeline.sample_rate.max(1));
    let start =
        timeline.origin + Duration::from_nanos(timeline.start_sample * 1_000_000_000 / rate);
    let started_at =
        DateTime::<Utc>::from_timestamp_nanos(i64::try_from(start.as_nanos()).unwrap_or(0));
    let at = |ms: Option<i64>| ms.map(|ms| started_at + chrono::Duration::milliseconds(ms));
    let mut metadata = RecordingMetadata {
        started_at: Some(started_at),
        ended_at: Some(started_at + chrono::Duration::milliseconds(rendered.duration_ms as i64)),
        ..Default::default()
    };
    for p in &timeline.participants {
        if p.label.is_empty() {
            continue;
        }
        if p.side == Side::External && metadata.external_number.is_none() {
            metadata.external_number = Some(p.label.clone());
        }
        if p.side == Side::Company && metadata.company_number.is_none() {
            metadata.company_number = Some(p.label.clone());
        }
        metadata.participants.push(ParticipantMetadata {
            address: Some(p.label.clone()),
            name: None,
            side: Some(if p.side == Side::External { "external" } else { "company" }.into()),
            joined_at: at(p.joined_ms),
            left_at: at(p.left_ms),
        });
    }
    metadata.participants.truncate(crate::ingest::MAX_PARTICIPANTS);
    Ok(Some(Finished {
        rendered,
        metadata,
        spool: timeline.spool_path.clone(),
        conversation: timeline.conversation,
    }))
}

struct Live {
    recorder: Recorder,
    ids: HashMap<ParticipantKey, ParticipantId>,
    joined: HashMap<ParticipantKey, DateTime<Utc>>,
    left: HashMap<ParticipantKey, DateTime<Utc>>,
}

fn since_epoch(ts: Timestamp) -> Duration {
    Duration::from_nanos(ts.as_nanos())
}

fn wall(ts: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(i64::try_from(ts.as_nanos()).unwrap_or(i64::MAX))
}

pub async fn run(
    ingestor: &Ingestor,
    instance: &Instance,
    grace: Duration,
    opts: CaptureOptions,
) -> anyhow::Result<CaptureSummary> {
    let mut summary = CaptureSummary::default();
    // First what a capture that died left: its spools hold every conversation
    // it had not stored, audio up to the last sync.
    for entry in std::fs::read_dir(&opts.spool_root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let modified =
            entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::SystemTime::now());
        if !entry.path().is_dir() || !instance.is_abandoned(&name, modified, grace) {
            continue;
        }
        for recovered in callvault_media::recover_spool(&entry.path())? {
            let timeline = match recovered.timeline {
                Ok(t) => t,
                Err(e) => {
                    summary.refused.push(format!("spool {}: {e}", recovered.path.display()));
                    continue;
                }
            };
            let flags =
                if timeline.cut_by_crash { vec!["cut_by_crash".to_owned()] } else { Vec::new() };
            if let Some(done) = finish_timeline(&timeline)? {
                summary.recovered += 1;
                store(ingestor, opts.tenant, done, flags, &mut summary).await?;
            }
        }
        let _ = std::fs::remove_dir(entry.path());
    }

    let spool_dir = opts.spool_root.join(instance.id());
    std::fs::create_dir_all(&spool_dir)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Finished>(4);
    let files = opts.files.clone();
    let networks = opts.company_networks.clone();
    let worker_spool = spool_dir.clone();
    // Reading, tracking, spooling and rendering are CPU and file work: a
    // blocking thread, handing finished conversations to the async side.
    let worker = tokio::task::spawn_blocking(move || -> anyhow::Result<(u64, u64)> {
        let mut demux = CaptureDemux::new(DemuxConfig::default());
        let mut tracker = CallTracker::new(TrackerConfig {
            company_networks: networks,
            ..TrackerConfig::default()
        });
        let mut live: HashMap<u64, Live> = HashMap::new();
        let (mut frames, mut conversations) = (0u64, 0u64);
        let mut last = Timestamp::from_nanos(0);
        for path in &files {
            let file = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let mut reader = CaptureReader::new(std::io::BufReader::new(file))
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            while let Some(frame) =
                reader.next_frame().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            {
                frames += 1;
                last = last.max(frame.ts);
                demux.push(&frame);
                while let Some(event) = demux.poll_event() {
                    tracker.push(&event);
                    drain(&mut tracker, &mut live, &worker_spool, &tx, &mut conversations)?;
                }
            }
        }
        tracker.finish(last);
        drain(&mut tracker, &mut live, &worker_spool, &tx, &mut conversations)?;
        Ok((frames, conversations))
    });

    while let Some(done) = rx.recv().await {
        store(ingestor, opts.tenant, done, Vec::new(), &mut summary).await?;
    }
    let (frames, conversations) = worker.await??;
    summary.frames = frames;
    summary.conversations = conversations;
    let _ = std::fs::remove_dir(&spool_dir);
    Ok(summary)
}

/// Store one finished conversation, then remove its spool.
async fn store(
    ingestor: &Ingestor,
    tenant: TenantId,
    done: Finished,
    flags: Vec<String>,
    summary: &mut CaptureSummary,
) -> anyhow::Result<()> {
    let req = IngestRequest {
        tenant,
        metadata: done.metadata,
        idempotency_key: Some(format!("capture:{}", done.conversation)),
        source: RecordingSource::Capture,
        actor: "cli:capture".into(),
        flags,
    };
    let bytes = Bytes::from(done.rendered.bytes);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    match ingestor.ingest(req, Box::pin(body)).await {
        Ok(outcome) => {
            match outcome {
                IngestOutcome::Created(_) => summary.stored += 1,
                IngestOutcome::Duplicate(_) => summary.duplicates += 1,
            }
            // In the vault: the spool has done its job.
            if let Err(e) = callvault_media::spool::remove_spool(&done.spool) {
                tracing::warn!(error = %e, "cannot remove a spool");
            }
            Ok(())
        }
        Err(IngestError::Unavailable(e)) => anyhow::bail!("storage unavailable, spools kept: {e}"),
        Err(e) => {
            summary.refused.push(e.to_string());
            Ok(())
        }
    }
}

fn drain(
    tracker: &mut CallTracker,
    live: &mut HashMap<u64, Live>,
    spool_dir: &std::path::Path,
    tx: &tokio::sync::mpsc::Sender<Finished>,
    conversations: &mut u64,
) -> anyhow::Result<()> {
    while let Some(out) = tracker.poll_output() {
        match out {
            TrackerOutput::ConversationStarted { conversation, ts, .. } => {
                let config = RecorderConfig {
                    spool: SpoolConfig { dir: spool_dir.to_owned(), ..SpoolConfig::default() },
                    ..RecorderConfig::default()
                };
                let recorder = Recorder::new(config, ConversationId::new(), since_epoch(ts))?;
                live.insert(
                    conversation.0,
                    Live {
                        recorder,
                        ids: HashMap::new(),
                        joined: HashMap::new(),
                        left: HashMap::new(),
                    },
                );
            }
            TrackerOutput::ParticipantJoined {
                conversation,
                participant,
                number,
                side,
                ts,
                ..
            } => {
                if let Some(l) = live.get_mut(&conversation.0) {
                    let id = *l.ids.entry(participant).or_default();
                    l.joined.entry(participant).or_insert(wall(ts));
                    l.recorder.participant_joined(since_epoch(ts), id, side, &number);
                }
            }
            TrackerOutput::ParticipantLeft { conversation, participant, ts, .. } => {
                if let Some(l) = live.get_mut(&conversation.0)
                    && let Some(id) = l.ids.get(&participant).copied()
                {
                    l.left.insert(participant, wall(ts));
                    l.recorder.participant_left(since_epoch(ts), id);
                }
            }
            TrackerOutput::FlowStarted { flow, participant, side, rtpmaps, .. } => {
                let mut payloads = PayloadMap::default();
                for m in &rtpmaps {
                    if let Some(c) =
                        Codec::from_rtpmap(&m.encoding, m.clock_rate, m.channels.unwrap_or(1))
                    {
                        payloads.set(m.payload_type, c);
                    }
                }
                // A flow belongs to the conversation of its participant.
                for l in live.values_mut() {
                    if let Some(id) = l.ids.get(&participant).copied() {
                        l.recorder.attach_flow(FlowKey(flow.0), id, side, payloads.clone());
                        break;
                    }
                }
            }
            TrackerOutput::Rtp { conversation, flow, ts, payload, relayed, .. } => {
                // A B2BUA's relayed copy of another leg would double voices.
                if relayed {
                    continue;
                }
                if let Some(l) = live.get_mut(&conversation.0) {
                    l.recorder.on_rtp(since_epoch(ts), FlowKey(flow.0), &payload);
                    l.recorder.poll(since_epoch(ts))?;
                }
            }
            TrackerOutput::ParticipantSideChanged { .. } => {}
            TrackerOutput::ConversationEnded {
                conversation,
                ts,
                call_ids,
                correlation,
                participants,
                ..
            } => {
                let Some(l) = live.remove(&conversation.0) else { continue };
                *conversations += 1;
                let timeline = l.recorder.close(since_epoch(ts))?;
                let Some(mut finished) = finish_timeline(&timeline)? else { continue };
                // The tracker knows more than the spool: Call-IDs, the
                // correlation value, display names, join and leave times.
                let metadata = &mut finished.metadata;
                metadata.call_id = call_ids.first().cloned();
                metadata.conversation_key = correlation.first().map(|(_, v)| v.clone());
                for (i, id) in call_ids.iter().enumerate().skip(1).take(16) {
                    metadata.external_ids.insert(format!("sip_call_id_{i}"), id.clone());
                }
                metadata.participants.clear();
                for p in &participants {
                    if p.number.is_empty() && p.display_name.is_none() {
                        continue;
                    }
                    metadata.participants.push(ParticipantMetadata {
                        address: Some(p.number.clone()).filter(|n| !n.is_empty()),
                        name: p.display_name.clone(),
                        side: Some(
                            if p.side == Side::External { "external" } else { "company" }.into(),
                        ),
                        joined_at: l.joined.get(&p.participant).copied(),
                        left_at: l.left.get(&p.participant).copied(),
                    });
                }
                metadata.participants.truncate(crate::ingest::MAX_PARTICIPANTS);

                if tx.blocking_send(finished).is_err() {
                    anyhow::bail!("the vault side stopped");
                }
            }
        }
    }
    Ok(())
}
