//! Finished conversations, from the capture thread to the vault.
//!
//! The capture thread only closes a conversation's spool (end record
//! written, synced) and hands over its path with what the call tracker
//! knew. Rendering happens here, on blocking threads (at most one per
//! core), never on the packet path: a long call takes a second of CPU to
//! encode, and a thousand concurrent calls end several times a second.
//!
//! The spool is the durable copy until the vault confirms the recording.
//! While the vault is unavailable (store or catalog down, disk full), the
//! conversations wait here as spool paths, no audio in memory; one of
//! them probes the vault with the backoff of `vault::outage` (0.5 s to 30 s) and,
//! once it is stored, the rest follow. Capture goes on all the while. A
//! process stopped during an outage leaves the spools for the next start,
//! which recovers them.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use callvault_media::ClosedTimeline;
use callvault_model::{RecordingSource, TenantId};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{CaptureSummary, TrackerFacts, finish_timeline};
use callvault_vault::ingest::{IngestError, IngestOutcome, IngestRequest, Ingestor};
use callvault_vault::metrics::Metrics;
use callvault_vault::outage::Outage;

/// A conversation whose spool is complete, on its way to the vault.
#[derive(Debug)]
pub(super) struct Closed {
    pub spool: PathBuf,
    /// What the tracker knew beyond the spool: Call-IDs, the correlation
    /// value, participants with names and times. `None`: a spool recovered
    /// from a run that died (the spool's own participants are used).
    pub tracker: Option<TrackerFacts>,
}

#[derive(Debug)]
enum Outcome {
    Created,
    Duplicate,
    /// No audio: the spool was removed, nothing stored.
    Empty,
    /// The vault answered no, or the spool cannot be read: kept, reported.
    Refused(String),
    /// Retry later; the spool stays.
    Unavailable(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Created => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::Empty => "empty",
            Outcome::Refused(_) => "refused",
            Outcome::Unavailable(_) => "unavailable",
        }
    }
}

/// The deliveries of one capture run.
pub(super) struct Deliveries {
    ingestor: Ingestor,
    tenant: TenantId,
    actor: Arc<str>,
    renders: Arc<tokio::sync::Semaphore>,
    jobs: JoinSet<(Closed, Outcome)>,
    waiting: VecDeque<Closed>,
    /// The vault's availability; one waiting conversation probes it.
    vault: Outage,
    metrics: Option<Arc<Metrics>>,
}

impl Deliveries {
    pub(super) fn new(
        ingestor: Ingestor,
        tenant: TenantId,
        actor: String,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Deliveries {
            ingestor,
            tenant,
            actor: actor.into(),
            renders: Arc::new(tokio::sync::Semaphore::new(cores)),
            jobs: JoinSet::new(),
            waiting: VecDeque::new(),
            vault: Outage::default(),
            metrics,
        }
    }

    /// Nothing rendering or storing now.
    pub(super) fn idle(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Conversations waiting for the vault to come back.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    pub(super) fn submit(&mut self, c: Closed) {
        if self.vault.is_down() {
            self.waiting.push_back(c);
            self.publish_waiting();
        } else {
            self.spawn(c);
        }
    }

    fn spawn(&mut self, c: Closed) {
        let ingestor = self.ingestor.clone();
        let renders = self.renders.clone();
        let tenant = self.tenant;
        let actor = self.actor.clone();
        self.jobs.spawn(async move {
            let outcome = deliver(&ingestor, tenant, &actor, &c, &renders).await;
            (c, outcome)
        });
    }

    /// When the next probe is due, if one is.
    pub(super) fn probe_at(&self) -> Option<Instant> {
        self.vault.next_probe().map(Instant::from_std)
    }

    /// Sends the oldest waiting conversation to find out whether the vault
    /// is back.
    pub(super) fn probe(&mut self) {
        match self.waiting.pop_front() {
            Some(c) => {
                self.vault.begin_probe();
                self.spawn(c);
                self.publish_waiting();
            }
            None => {
                self.vault.stored();
            }
        }
    }

    /// Waits for the next delivery to finish and accounts for it; `false`
    /// when none is running.
    pub(super) async fn settle_next(&mut self, summary: &mut CaptureSummary) -> bool {
        let Some(done) = self.jobs.join_next().await else { return false };
        let (c, outcome) = match done {
            Ok(v) => v,
            Err(e) => {
                // The spool stays on disk: the next start recovers it.
                tracing::error!(error = %e, "a capture delivery task failed");
                summary.refused.push(format!("delivery task failed: {e}"));
                return true;
            }
        };
        if let Some(m) = &self.metrics {
            m.capture_conversation(outcome.label());
        }
        let recovered = c.tracker.is_none();
        match outcome {
            Outcome::Unavailable(e) => {
                let was_down = self.vault.is_down();
                // Only the probe is running while the vault is down: a
                // failure then is the probe's.
                let probe = was_down && self.vault.next_probe().is_none();
                let backoff = self.vault.unavailable(Instant::now().into_std(), probe);
                if !was_down {
                    tracing::warn!(error = %e, "vault unavailable: captured conversations wait in their spools; capture goes on");
                } else if let Some(backoff) = backoff.filter(|_| probe) {
                    tracing::warn!(error = %e, waiting = self.waiting.len() + 1, retry_in_ms = backoff.as_millis() as u64, "vault still unavailable");
                }
                self.waiting.push_back(c);
                self.publish_waiting();
            }
            answered => {
                if recovered && matches!(answered, Outcome::Created | Outcome::Duplicate) {
                    summary.recovered += 1;
                }
                match answered {
                    Outcome::Created => summary.stored += 1,
                    Outcome::Duplicate => summary.duplicates += 1,
                    Outcome::Refused(e) => {
                        tracing::error!(error = %e, spool = %c.spool.display(), "captured conversation refused; spool kept");
                        summary.refused.push(e);
                    }
                    Outcome::Empty | Outcome::Unavailable(_) => {}
                }
                if self.vault.stored() {
                    tracing::info!(
                        waiting = self.waiting.len(),
                        "vault available again: storing the conversations that waited"
                    );
                    while let Some(w) = self.waiting.pop_front() {
                        self.spawn(w);
                    }
                    self.publish_waiting();
                }
            }
        }
        true
    }

    fn publish_waiting(&self) {
        if let Some(m) = &self.metrics {
            m.capture_waiting.set(i64::try_from(self.waiting.len()).unwrap_or(i64::MAX));
        }
    }
}

/// Renders a closed spool and stores it.
async fn deliver(
    ingestor: &Ingestor,
    tenant: TenantId,
    actor: &str,
    c: &Closed,
    renders: &Arc<tokio::sync::Semaphore>,
) -> Outcome {
    let permit = renders.clone().acquire_owned().await.ok();
    let path = c.spool.clone();
    let stager = ingestor.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let timeline = ClosedTimeline::from_spool(&path)?;
        let flags =
            if timeline.cut_by_crash { vec!["cut_by_crash".to_owned()] } else { Vec::new() };
        Ok::<_, crate::Error>((finish_timeline(&timeline, &stager)?, flags))
    })
    .await;
    let (finished, flags) = match rendered {
        Ok(Ok(v)) => v,
        // No room or no store for staging: the spool waits like any other.
        Ok(Err(crate::Error::Ingest(IngestError::Unavailable(e)))) => {
            return Outcome::Unavailable(e);
        }
        Ok(Err(e)) => return Outcome::Refused(format!("spool {}: {e}", c.spool.display())),
        Err(e) => {
            return Outcome::Refused(format!("spool {}: render failed: {e}", c.spool.display()));
        }
    };
    let Some(mut finished) = finished else {
        return match &c.tracker {
            Some(t) => store_without_audio(ingestor, tenant, actor, t).await,
            None => Outcome::Empty,
        };
    };
    let mut flags = flags;
    if let Some(t) = &c.tracker {
        t.apply(&mut finished.facts);
        if t.capture_gap {
            flags.push("capture_gap".to_owned());
        }
    }
    let description = finished.facts.describe_lossy();
    let req = IngestRequest {
        tenant,
        description,
        idempotency_key: Some(format!("capture:{}", finished.conversation)),
        source: RecordingSource::Capture,
        actor: actor.to_owned(),
        flags,
    };
    match ingestor.commit(req, finished.received).await {
        Ok(outcome) => {
            // In the vault: the spool has done its job.
            if let Err(e) = callvault_media::spool::remove_spool(&c.spool) {
                tracing::warn!(error = %e, "cannot remove a spool");
            }
            if let (Some(t), IngestOutcome::Created(r) | IngestOutcome::Duplicate(r)) =
                (&c.tracker, &outcome)
            {
                register_call(ingestor, tenant, actor, t, r.conversation_id, None).await;
            }
            match outcome {
                IngestOutcome::Created(_) => Outcome::Created,
                IngestOutcome::Duplicate(_) => Outcome::Duplicate,
            }
        }
        Err(IngestError::Unavailable(e)) => Outcome::Unavailable(e),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// Why capture has no audio of an answered call it saw.
const NO_RTP: &str = "capture saw no RTP for this call";

/// An answered call the capture saw without any audio: kept as a
/// conversation without a recording (its `no_media` event says why) and
/// registered as a call, so that assurance reports it missing.
async fn store_without_audio(
    ingestor: &Ingestor,
    tenant: TenantId,
    actor: &str,
    t: &TrackerFacts,
) -> Outcome {
    let Some(first) = t.call_ids.first() else { return Outcome::Empty };
    let (started, ended) = t.span();
    let mut facts = callvault_vault::ingest::RecordingFacts {
        started_at: started,
        ended_at: ended,
        ..Default::default()
    };
    t.apply(&mut facts);
    let req = IngestRequest {
        tenant,
        description: facts.describe_lossy(),
        idempotency_key: Some(format!("capture-no-audio:{first}")),
        source: RecordingSource::Capture,
        actor: actor.to_owned(),
        flags: Vec::new(),
    };
    let detail = serde_json::json!({ "reason": NO_RTP, "call_ids": t.call_ids });
    match ingestor.record_empty_session(req, "no_media", detail).await {
        Ok(
            callvault_store::EmptySessionOutcome::Created(conv)
            | callvault_store::EmptySessionOutcome::Existing(conv),
        ) => {
            register_call(ingestor, tenant, actor, t, conv, Some(NO_RTP)).await;
            Outcome::Empty
        }
        Err(IngestError::Unavailable(e)) => Outcome::Unavailable(e),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// Register the call the capture saw (assurance's call register), with
/// the times signalling gave, independent of the audio. Best effort: a
/// failure is logged, the recording is not affected.
async fn register_call(
    ingestor: &Ingestor,
    tenant: TenantId,
    actor: &str,
    t: &TrackerFacts,
    conversation: callvault_model::ConversationId,
    no_audio: Option<&str>,
) {
    let Some(first) = t.call_ids.first() else { return };
    let (Some(started), ended) = t.span() else { return };
    let ended = ended.unwrap_or(started).max(started);
    let number = |side: callvault_model::Side| {
        t.participants.iter().find(|p| p.side == side).and_then(|p| p.address.clone())
    };
    let call = callvault_store::NewCall {
        source: "capture".into(),
        leg_key: first.clone(),
        ids: t
            .call_ids
            .iter()
            .map(|v| callvault_store::CallRef { kind: "sip_call_id".into(), value: v.clone() })
            .collect(),
        caller: number(callvault_model::Side::External),
        callee: number(callvault_model::Side::Company),
        started_at: started,
        answered_at: Some(started),
        ended_at: ended,
        talk_secs: u64::try_from((ended - started).num_seconds()).unwrap_or(0),
        disposition: "answered".into(),
        conversation_id: Some(conversation),
        no_audio_reason: no_audio.map(str::to_owned),
        check_at: Some(chrono::Utc::now()),
    };
    if let Err(e) = ingestor.catalog.import_calls(tenant, &[call], actor, chrono::Utc::now()).await
    {
        tracing::warn!(%conversation, error = %e, "captured call not registered for assurance");
    }
}
