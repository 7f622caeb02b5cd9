//! Ingest: the one path by which audio made elsewhere enters the vault,
//! shared by the HTTP API and the bulk importer.
//!
//! 1. The bytes stream into a staging file, hashed and probed batch by batch
//!    on short blocking tasks; junk is refused at the first bad batch.
//! 2. The staging file is fsynced; the probe checks the audio is complete.
//! 3. A duplicate (same idempotency key or same bytes) returns the existing
//!    recording and stores nothing.
//! 4. A pending-object row names the object key, then the object is written
//!    create-only and read back to verify its sha256.
//! 5. One catalog transaction makes the recording visible with its
//!    conversation, participants, copy and audit entries, and clears the
//!    pending row.
//!
//! Only then is the upload acknowledged. A crash before step 5 leaves a
//! pending row that start-up recovery resolves by deleting the object.

use std::sync::Arc;

use bytes::Bytes;
use callvault_model::*;
use callvault_probe::{AudioInfo, ProbeError, ProbeLimits, Prober};
use callvault_store::{
    BlobError, BlobStore, Catalog, CatalogError, CommitOutcome, ConversationHints,
    EmptySessionOutcome, NewConversationEvent, NewEmptySession, NewParticipant, NewRecording,
    PendingObject, StagedObject, catalog_time,
};
use chrono::{DateTime, Datelike, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::metrics::Metrics;

/// Limits on what one upload's metadata may hold.
pub const MAX_FIELD_CHARS: usize = 256;
pub const MAX_EXTERNAL_IDS: usize = 32;
pub const MAX_PARTICIPANTS: usize = 32;

/// What a client says about a recording it uploads. Every field is optional;
/// the audio itself says format and duration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingMetadata {
    /// Asterisk `${CDR(linkedid)}`: shared by every leg of one call.
    pub linkedid: Option<String>,
    /// Asterisk `${UNIQUEID}` of the recorded channel.
    pub uniqueid: Option<String>,
    /// The SIP Call-ID of the recorded leg.
    pub call_id: Option<String>,
    /// Any key the client uses to group uploads into one conversation.
    pub conversation_key: Option<String>,
    /// More ids by kind (`cisco_guid`, `freeswitch_uuid`, ...).
    #[serde(default)]
    pub external_ids: BTreeMap<String, String>,
    /// `inbound`, `outbound`, `internal`.
    pub direction: Option<String>,
    /// The calling number as signalled.
    pub caller: Option<String>,
    /// The called number or extension.
    pub callee: Option<String>,
    /// The external party's number, when the client knows which one it is.
    pub external_number: Option<String>,
    /// The company-side number or extension first reached.
    pub company_number: Option<String>,
    /// When the recorded audio starts. Default: upload time minus duration.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ends. Default: start plus the audio's duration.
    pub ended_at: Option<DateTime<Utc>>,
    /// The participant whose leg this file recorded.
    pub participant: Option<ParticipantMetadata>,
    /// Everyone else known to be on the call.
    #[serde(default)]
    pub participants: Vec<ParticipantMetadata>,
    /// `true`: no other recording of this conversation follows, so it is
    /// settled (and delivered) at once instead of after the settle time.
    /// Not part of the upload's identity (its upload key).
    #[serde(rename = "final", default, skip_serializing)]
    pub is_final: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantMetadata {
    pub address: Option<String>,
    pub name: Option<String>,
    /// `external` or `company`.
    pub side: Option<String>,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Why an upload was not stored. `Refused` is the client's to fix (4xx);
/// `Unavailable` is ours (5xx, retry later).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid metadata: {0}")]
    Metadata(String),
    #[error("{0}")]
    Audio(#[from] ProbeError),
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was cut off: {0}")]
    Incomplete(String),
    /// The key names an earlier upload of other audio, or of the same audio
    /// with other metadata (`what`).
    #[error("idempotency key {key:?} was used for an upload with different {what}")]
    IdempotencyMismatch { key: String, what: &'static str, existing: Box<Recording> },
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// The result of a successful ingest.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    Created(Recording),
    /// The same upload was stored before; nothing new was written.
    Duplicate(Recording),
}

impl IngestOutcome {
    pub fn recording(&self) -> &Recording {
        match self {
            IngestOutcome::Created(r) | IngestOutcome::Duplicate(r) => r,
        }
    }
}

/// Who is uploading what.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    pub tenant: TenantId,
    /// What is known of the recording, checked.
    pub description: Description,
    pub idempotency_key: Option<String>,
    pub source: RecordingSource,
    pub actor: String,
    /// Flags to record on the recording (`cut_by_crash`, ...).
    pub flags: Vec<String>,
}

/// Audio written into staging by this process (see
/// [`Ingestor::staging_writer`]). Blocking: use it on a blocking thread.
/// Dropped unfinished, the staging file is removed.
pub struct StagingWriter {
    staging: callvault_store::blob::StagingFile,
    spare: SpareStaging,
    prober: Prober,
    written: u64,
    limit: u64,
    /// Why writing stopped: kept for `finish`, which reports it.
    failed: Option<IngestError>,
}

impl std::io::Write for StagingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(std::io::Error::other(e.to_string()));
        }
        let step = (|| {
            self.written += buf.len() as u64;
            if self.written > self.limit {
                return Err(IngestError::TooLarge { limit: self.limit });
            }
            self.prober.push(buf)?;
            self.spare.retry(&mut self.staging, |f| f.write(buf))
        })();
        match step {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let io = std::io::Error::other(e.to_string());
                self.failed = Some(e);
                Err(io)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl StagingWriter {
    /// Why a write failed, when it did (the writer's caller sees only an
    /// `io::Error`).
    pub fn failure(&mut self) -> Option<IngestError> {
        self.failed.take()
    }

    /// Everything written: probe the end, sync the file.
    pub fn finish(mut self) -> Result<Received, IngestError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let info = self.prober.finish()?;
        self.spare.retry(&mut self.staging, |f| f.sync())?;
        let staged = self.staging.finish().map_err(|e| IngestError::Unavailable(e.to_string()))?;
        Ok(Received { staged, info })
    }
}

/// Audio received into staging and probed, not yet stored.
#[derive(Debug)]
pub struct Received {
    staged: StagedObject,
    info: AudioInfo,
}

impl Received {
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }
}

fn validate_request(req: &IngestRequest) -> Result<(), IngestError> {
    if let Some(key) = &req.idempotency_key {
        check_field("Idempotency-Key", key)?;
    }
    Ok(())
}

/// A chunk source: an HTTP body, a file.
pub type ChunkResult = Result<Bytes, std::io::Error>;

#[derive(Clone)]
pub struct Ingestor {
    pub catalog: Arc<dyn Catalog>,
    /// The primary store: staging, and where recordings go.
    pub store: Arc<BlobStore>,
    /// Every store; its fallback takes recordings the primary cannot.
    pub stores: Arc<crate::stores::StoreSet>,
    /// This process: told to leave its proof of death when an object it
    /// could not remove stays for recovery.
    pub instance: Arc<crate::instance::Instance>,
    pub metrics: Arc<Metrics>,
    /// The process instance, named on pending objects and staging files.
    pub owner: String,
    /// Uploads in the store-and-commit phase at once.
    pub commits: Arc<tokio::sync::Semaphore>,
    pub max_upload_bytes: u64,
    /// When the conversation of a committed recording counts as settled.
    pub settle: crate::SettlePolicy,
    /// Master keys: an encrypting tenant's objects get a data key wrapped
    /// by the active one.
    pub keyring: Arc<callvault_store::crypt::Keyring>,
}

/// Where staging goes when the primary's file system runs out of room:
/// the fallback store's staging directory. A write or sync that fails for
/// want of space moves the bytes written so far there and goes on, so an
/// upload is not refused because one disk filled up while it arrived.
struct SpareStaging {
    store: Option<Arc<BlobStore>>,
    owner: String,
}

impl SpareStaging {
    /// Run `op` on the staging file; if it fails for want of room and the
    /// file has not moved yet, move it and run `op` once more.
    fn retry(
        &mut self,
        staging: &mut callvault_store::blob::StagingFile,
        mut op: impl FnMut(&mut callvault_store::blob::StagingFile) -> Result<(), BlobError>,
    ) -> Result<(), IngestError> {
        match op(staging) {
            Ok(()) => Ok(()),
            Err(e) if e.is_out_of_space() && self.store.is_some() => {
                let spare = self.store.take().expect("checked above");
                tracing::warn!(
                    store = spare.name(),
                    written = staging.size(),
                    "staging file system full; staging moves to the fallback store"
                );
                staging
                    .relocate(&spare, &self.owner)
                    .map_err(|e| IngestError::Unavailable(e.to_string()))?;
                op(staging).map_err(|e| IngestError::Unavailable(e.to_string()))
            }
            Err(e) => Err(IngestError::Unavailable(e.to_string())),
        }
    }
}

impl Ingestor {
    /// A staging file in the primary's staging directory, or in the
    /// fallback store's when the primary's cannot take one; with the
    /// fallback to move to if the primary's fills up while it is written.
    fn stage(&self) -> Result<(callvault_store::blob::StagingFile, SpareStaging), IngestError> {
        let fallback = self.stores.fallback().filter(|f| f.name() != self.store.name()).cloned();
        match self.store.stage(&self.owner) {
            Ok(staging) => {
                Ok((staging, SpareStaging { store: fallback, owner: self.owner.clone() }))
            }
            Err(e) => {
                let Some(fallback) = fallback else {
                    return Err(IngestError::Unavailable(e.to_string()));
                };
                tracing::warn!(error = %e, "cannot stage on the primary; staging on the fallback store");
                let staging = fallback
                    .stage(&self.owner)
                    .map_err(|e| IngestError::Unavailable(e.to_string()))?;
                Ok((staging, SpareStaging { store: None, owner: self.owner.clone() }))
            }
        }
    }

    /// Receive, validate, store and catalog one recording.
    pub async fn ingest<S>(&self, req: IngestRequest, body: S) -> Result<IngestOutcome, IngestError>
    where
        S: Stream<Item = ChunkResult> + Send + Unpin,
    {
        // Metadata is checked before the first byte is read, so that a bad
        // request costs nothing; `commit` checks it again.
        if let Err(e) = validate_request(&req) {
            self.count_error(&e);
            return Err(e);
        }
        let received = self.receive(body).await?;
        self.commit(req, received).await
    }

    /// Stream a body into staging, probing it; nothing is visible yet. The
    /// staging file is removed if the result is dropped uncommitted.
    pub async fn receive<S>(&self, body: S) -> Result<Received, IngestError>
    where
        S: Stream<Item = ChunkResult> + Send + Unpin,
    {
        let result = self.receive_inner(body).await;
        if let Err(e) = &result {
            self.count_error(e);
        }
        result
    }

    /// Store and catalog received audio under the request's metadata.
    pub async fn commit(
        &self,
        req: IngestRequest,
        received: Received,
    ) -> Result<IngestOutcome, IngestError> {
        let result = match validate_request(&req) {
            Err(e) => Err(e),
            Ok(()) => {
                // Once every byte is here, finish the job even if the client
                // goes away: the store and catalog steps run on their own
                // task, which a dropped connection cannot cancel halfway.
                let this = self.clone();
                tokio::spawn(async move {
                    this.store_staged(&req, received.staged, received.info).await
                })
                .await
                .unwrap_or_else(|e| {
                    Err(IngestError::Unavailable(format!("ingest task failed: {e}")))
                })
            }
        };
        match &result {
            Ok(IngestOutcome::Created(r)) => {
                self.metrics.ingest_outcome("created");
                self.metrics.ingest_bytes.inc_by(r.size_bytes);
                tracing::info!(
                    tenant = %r.tenant_id, recording = %r.id, conversation = %r.conversation_id,
                    bytes = r.size_bytes, duration_ms = r.duration_ms, "recording stored"
                );
            }
            Ok(IngestOutcome::Duplicate(r)) => {
                self.metrics.ingest_outcome("duplicate");
                tracing::info!(tenant = %r.tenant_id, recording = %r.id, "duplicate upload; nothing stored");
            }
            Err(e) => self.count_error(e),
        }
        result
    }

    /// Account for a session that brought nothing to store (no decodable
    /// audio): its conversation, participants and events are cataloged,
    /// with an event of kind `kind` (`no_media`) whose `detail` says why.
    /// The request's idempotency key identifies the session (required);
    /// its times default to now.
    pub async fn record_empty_session(
        &self,
        req: IngestRequest,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<EmptySessionOutcome, IngestError> {
        validate_request(&req)?;
        let Some(session_key) = req.idempotency_key.clone() else {
            return Err(IngestError::Metadata("an empty session needs an idempotency key".into()));
        };
        let facts = req.description.facts();
        let now = Utc::now();
        let started_at = facts.started_at.unwrap_or(now);
        let ended_at = facts.ended_at.filter(|e| *e >= started_at).unwrap_or(started_at);
        let new = NewEmptySession {
            tenant_id: req.tenant,
            session_key,
            conversation: req.description.conversation(),
            participants: req.description.participants(started_at, ended_at),
            started_at,
            ended_at,
            kind: kind.to_owned(),
            detail,
            events: req.description.events(),
            actor: req.actor.clone(),
        };
        let result = self.catalog.record_empty_session(new).await.map_err(|e| match e {
            CatalogError::Invalid { .. } => IngestError::Metadata(e.to_string()),
            other => IngestError::Unavailable(other.to_string()),
        });
        match &result {
            Ok(EmptySessionOutcome::Created(c)) => {
                self.metrics.ingest_outcome("session_without_recording");
                tracing::info!(tenant = %req.tenant, conversation = %c, kind, "session without a recording stored");
            }
            Ok(EmptySessionOutcome::Existing(_)) => {}
            Err(e) => self.count_error(e),
        }
        result
    }

    /// Count and log an ingest that failed or was refused (also for
    /// callers that refuse before calling in, such as bad metadata).
    pub fn count_error(&self, e: &IngestError) {
        let outcome = match e {
            IngestError::Unavailable(_) => "failed",
            IngestError::Metadata(_) => "refused_metadata",
            IngestError::Audio(p) => match p.code() {
                "empty" => "refused_empty",
                "truncated" => "refused_truncated",
                "unsupported" => "refused_unsupported",
                _ => "refused_invalid_audio",
            },
            IngestError::TooLarge { .. } => "refused_too_large",
            IngestError::Incomplete(_) => "refused_incomplete",
            IngestError::IdempotencyMismatch { .. } => "refused_idempotency",
        };
        self.metrics.ingest_outcome(outcome);
        match e {
            IngestError::Unavailable(err) => tracing::error!(error = %err, "ingest failed"),
            other => tracing::info!(error = %other, "upload refused"),
        }
    }

    /// A staging file for audio made in this process (a render writing
    /// straight into it, on a blocking thread), probed as it is written;
    /// [`StagingWriter::finish`] gives what [`Ingestor::commit`] stores.
    pub fn staging_writer(&self) -> Result<StagingWriter, IngestError> {
        let (staging, spare) = self.stage()?;
        Ok(StagingWriter {
            staging,
            spare,
            prober: Prober::new(ProbeLimits::default()),
            written: 0,
            limit: self.max_upload_bytes,
            failed: None,
        })
    }

    /// Stream the body into a staging file, probing as it goes. Waiting for
    /// the network holds no thread: each batch of chunks that has arrived
    /// is written, hashed and probed by its own short blocking task, so a
    /// stalled client costs a socket and a staging file, never one of the
    /// runtime's blocking threads (which local-store reads and the SQLite
    /// catalog need too). Memory stays bounded by one batch.
    async fn receive_inner<S>(&self, mut body: S) -> Result<Received, IngestError>
    where
        S: Stream<Item = ChunkResult> + Send + Unpin,
    {
        use futures::FutureExt;
        let (staging, spare) = self.stage()?;
        // Dropped with the future (a client gone, a timeout), the sink goes
        // with it, or with the blocking task's result, and the staging file
        // is removed.
        let mut sink = Some(Sink { staging, spare, prober: Prober::new(ProbeLimits::default()) });
        let mut in_flight = InFlight::new(&self.metrics);
        let mut received = 0u64;
        // One batch is written while the next is gathered: the disk and the
        // network overlap, as with a dedicated writer, but waiting for the
        // client never holds a thread.
        let mut writing: Option<tokio::task::JoinHandle<Result<Done, IngestError>>> = None;
        let result = loop {
            let mut batch: Vec<Bytes> = Vec::new();
            let mut batch_bytes = 0usize;
            let mut ended = false;
            let mut failure = None;
            // Wait for one chunk, then take what else has already arrived.
            let mut next = body.next().await;
            loop {
                match next {
                    None => ended = true,
                    Some(Err(e)) => failure = Some(IngestError::Incomplete(e.to_string())),
                    Some(Ok(chunk)) => {
                        received += chunk.len() as u64;
                        if received > self.max_upload_bytes {
                            failure = Some(IngestError::TooLarge { limit: self.max_upload_bytes });
                        } else {
                            batch_bytes += chunk.len();
                            batch.push(chunk);
                        }
                    }
                }
                if ended || failure.is_some() || batch_bytes >= WRITE_BATCH_BYTES {
                    break;
                }
                match body.next().now_or_never() {
                    Some(n) => next = n,
                    None => break,
                }
            }
            // The previous batch's write: its sink comes back for this one.
            if let Some(previous) = writing.take() {
                match previous.await.map_err(|e| IngestError::Unavailable(e.to_string())) {
                    Ok(Ok(Done::More(s))) => sink = Some(*s),
                    Ok(Ok(Done::Finished(_))) => {
                        break Err(IngestError::Unavailable("staging finished early".into()));
                    }
                    Ok(Err(e)) | Err(e) => break Err(e),
                }
            }
            if let Some(e) = failure {
                break Err(e);
            }
            let Some(mut s) = sink.take() else {
                break Err(IngestError::Unavailable("staging writer lost".into()));
            };
            let write = tokio::task::spawn_blocking(move || {
                for chunk in &batch {
                    s.write(chunk)?;
                }
                if ended { s.finish().map(Done::Finished) } else { Ok(Done::More(Box::new(s))) }
            });
            if !ended {
                writing = Some(write);
                continue;
            }
            match write.await.map_err(|e| IngestError::Unavailable(e.to_string())) {
                Ok(Ok(Done::Finished(received))) => break Ok(received),
                Ok(Ok(Done::More(_))) => {
                    break Err(IngestError::Unavailable("staging not finished".into()));
                }
                Ok(Err(e)) | Err(e) => break Err(e),
            }
        };
        in_flight.finished = true;
        result
    }

    async fn store_staged(
        &self,
        req: &IngestRequest,
        staged: StagedObject,
        info: AudioInfo,
    ) -> Result<IngestOutcome, IngestError> {
        let unavailable = |e: CatalogError| IngestError::Unavailable(e.to_string());
        let sha256 = staged.sha256.clone();
        let info_size = staged.size;
        let upload_key = upload_key(&sha256, &req.description.fingerprint);
        if let Some(existing) = self
            .catalog
            .find_duplicate(req.tenant, req.idempotency_key.as_deref(), &upload_key)
            .await
            .map_err(unavailable)?
        {
            return self.duplicate_or_conflict(req, existing, &sha256, &upload_key).await;
        }

        let now = Utc::now();
        let duration =
            chrono::Duration::milliseconds(i64::try_from(info.duration_ms).unwrap_or(i64::MAX / 2));
        let mut flags = req.flags.clone();
        let out_of_range =
            || IngestError::Metadata("started_at or ended_at is out of range".into());
        let (started_at, ended_at) =
            match (req.description.facts.started_at, req.description.facts.ended_at) {
                (Some(s), Some(e)) if e >= s => (s, e),
                (Some(s), _) => (s, s.checked_add_signed(duration).ok_or_else(out_of_range)?),
                (None, Some(e)) => (e.checked_sub_signed(duration).ok_or_else(out_of_range)?, e),
                (None, None) => {
                    flags.push("start_estimated".to_owned());
                    (now.checked_sub_signed(duration).ok_or_else(out_of_range)?, now)
                }
            };
        let id = RecordingId::new();
        let object_key = format!(
            "tenants/{}/{:04}/{:02}/{:02}/{}.{}",
            req.tenant,
            started_at.year(),
            started_at.month(),
            started_at.day(),
            id,
            info.format.extension()
        );
        let participants = req.description.participants(started_at, ended_at);
        // An encrypting tenant's object is the ciphertext of the staged
        // audio; the hash and probe above were of the plaintext.
        let (staged, encryption) =
            if self.catalog.tenant_encryption(req.tenant).await.map_err(unavailable)? {
                let (sealed, key) = self.encrypt_staged(staged, id).await?;
                (sealed, Some(key))
            } else {
                (staged, None)
            };
        let mut new = NewRecording {
            id,
            tenant_id: req.tenant,
            idempotency_key: req.idempotency_key.clone(),
            upload_key: upload_key.clone(),
            conversation: req.description.conversation(),
            participants,
            source: req.source,
            format: info.format,
            codec: info.codec.clone(),
            channels: info.channels,
            sample_rate: info.sample_rate,
            duration_ms: info.duration_ms,
            size_bytes: info_size,
            sha256: sha256.clone(),
            started_at,
            ended_at,
            object_key: object_key.clone(),
            flags,
            store: self.store.name().to_owned(),
            actor: req.actor.clone(),
            // Set again just before the commit, from the commit's time.
            settle_at: now,
            events: req.description.events(),
            encryption,
        };

        // Bounded concurrency from here on: a remote store buffers a part
        // (up to 16 MiB) per upload in memory.
        let _permit =
            self.commits.acquire().await.map_err(|e| IngestError::Unavailable(e.to_string()))?;
        let store = match self.put_object(&self.store, req.tenant, &staged, &object_key).await {
            Ok(()) => self.store.clone(),
            Err(e) => {
                // The primary failed (full, unreachable, any error): the
                // fallback store takes the recording, verified the same way,
                // and a storage job returns it to the primary later.
                let Some(fallback) = self.stores.fallback().cloned() else {
                    return Err(IngestError::Unavailable(store_error_text(&e)));
                };
                if let Err(e2) = self.put_object(&fallback, req.tenant, &staged, &object_key).await
                {
                    tracing::error!(error = %e2, store = fallback.name(), "fallback store failed too");
                    return Err(IngestError::Unavailable(store_error_text(&e2)));
                }
                self.spilled(req.tenant, &fallback, &e, &object_key).await;
                fallback
            }
        };
        drop(staged);
        new.store = store.name().to_owned();
        new.settle_at =
            self.settle.settle_at(req.source, req.description.facts.is_final, Utc::now());
        new.conversation.rejoin_window =
            (!req.description.facts.group_active).then_some(self.settle.rejoin_window);
        match self.catalog.commit_recording(new).await {
            Ok(CommitOutcome::Created(rec)) => Ok(IngestOutcome::Created(rec)),
            Ok(CommitOutcome::Existing(existing)) => {
                // A concurrent upload of the same bytes won the race.
                self.undo_object(&store, &object_key).await;
                self.duplicate_or_conflict(req, existing, &sha256, &upload_key).await
            }
            Err(e) => {
                // The error may have come after the commit reached the
                // database (a connection lost on COMMIT). Delete the object
                // only once the catalog says the recording is not there;
                // when it cannot say, recovery decides later.
                tracing::error!(error = %e, recording = %id, "catalog commit failed");
                match self.catalog.recording(req.tenant, id).await {
                    Ok(Some(rec)) => Ok(IngestOutcome::Created(rec)),
                    Ok(None) => {
                        self.undo_object(&store, &object_key).await;
                        Err(unavailable(e))
                    }
                    Err(check) => {
                        tracing::warn!(error = %check, "commit outcome unknown; object left for recovery");
                        Err(unavailable(e))
                    }
                }
            }
        }
    }

    /// What an earlier upload found under the same idempotency key or
    /// upload key means for this one. A reused idempotency key must name the
    /// same upload: the same audio *and* the same metadata. The catalog's
    /// `Recording` does not carry its upload key, so the metadata is
    /// compared through the index: the recording stored under this upload
    /// key (sha256 of audio and metadata as sent) must be the one the
    /// idempotency key names. Other audio, or other metadata, is a client
    /// bug answered with a conflict; the new metadata is never dropped in
    /// silence.
    async fn duplicate_or_conflict(
        &self,
        req: &IngestRequest,
        existing: Recording,
        sha256: &str,
        upload_key: &str,
    ) -> Result<IngestOutcome, IngestError> {
        let Some(key) = &req.idempotency_key else {
            return Ok(IngestOutcome::Duplicate(existing));
        };
        if existing.sha256 != sha256 {
            return Err(IngestError::IdempotencyMismatch {
                key: key.clone(),
                what: "audio",
                existing: Box::new(existing),
            });
        }
        let same_upload = self
            .catalog
            .find_duplicate(req.tenant, None, upload_key)
            .await
            .map_err(|e| IngestError::Unavailable(e.to_string()))?
            .is_some_and(|r| r.id == existing.id);
        if same_upload {
            Ok(IngestOutcome::Duplicate(existing))
        } else {
            Err(IngestError::IdempotencyMismatch {
                key: key.clone(),
                what: "metadata",
                existing: Box::new(existing),
            })
        }
    }

    /// Write the staged object to `store` under `key`: a pending row
    /// first, then the create-only, verified write. On failure the object
    /// and row are undone (or left for recovery).
    async fn put_object(
        &self,
        store: &BlobStore,
        tenant: TenantId,
        staged: &StagedObject,
        key: &str,
    ) -> Result<(), BlobError> {
        let pending = PendingObject {
            store: store.name().to_owned(),
            object_key: key.to_owned(),
            owner: self.owner.clone(),
            tenant_id: tenant,
            created_at: catalog_time(Utc::now()),
        };
        self.catalog
            .add_pending_object(&pending)
            .await
            .map_err(|e| BlobError::Store(format!("catalog: {e}")))?;
        if let Err(e) = store.commit_from(staged, key).await {
            if matches!(e, BlobError::AlreadyExists { .. }) {
                // Not ours to delete: only our pending row goes.
                if let Err(e) = self.catalog.remove_pending_object(store.name(), key).await {
                    tracing::warn!(error = %e, "pending object left for recovery");
                }
            } else {
                self.undo_object(store, key).await;
            }
            tracing::error!(error = %e, store = store.name(), "object store commit failed");
            return Err(e);
        }
        Ok(())
    }

    /// A recording went to the fallback store: counted, logged and alerted
    /// (debounced per store while the alert is open).
    async fn spilled(&self, tenant: TenantId, fallback: &BlobStore, error: &BlobError, key: &str) {
        self.metrics.storage.spills.inc();
        tracing::warn!(
            %tenant, store = fallback.name(), error = %error,
            "primary store failed; recording stored in the fallback store"
        );
        let alert = callvault_store::NewAlert {
            tenant_id: None,
            kind: "storage_spill".into(),
            subject: format!("store:{}", self.store.name()),
            severity: "critical".into(),
            message: format!(
                "the primary store failed; new recordings go to the fallback store {}",
                fallback.name()
            ),
            detail: serde_json::json!({
                "primary": self.store.name(),
                "fallback": fallback.name(),
                "error": store_error_text(error),
                "object_key": key,
            }),
        };
        if let Err(e) = self.catalog.raise_alert(alert, Utc::now()).await {
            tracing::warn!(error = %e, "cannot raise the storage_spill alert");
        }
    }

    /// Encrypt staged audio into a new staging file under a fresh data key
    /// wrapped by the active master key, on a blocking thread; the plaintext
    /// staging file is removed.
    async fn encrypt_staged(
        &self,
        plain: StagedObject,
        id: RecordingId,
    ) -> Result<(StagedObject, callvault_store::NewRecordingKey), IngestError> {
        let binding = *id.0.as_bytes();
        let (data_key, key_id, wrapped) = self.keyring.new_data_key(&binding).map_err(|e| {
            tracing::error!(error = %e, "an encrypting tenant's upload has no master key to use");
            IngestError::Unavailable("encryption at rest is not configured".into())
        })?;
        // Beside the plaintext when the primary's staging cannot take it.
        let (sealing, _) = self.stage()?;
        let sealed = tokio::task::spawn_blocking(move || {
            let src = std::io::BufReader::with_capacity(256 * 1024, plain.open()?);
            let mut dst = std::io::BufWriter::with_capacity(256 * 1024, StagingIo(sealing));
            callvault_store::crypt::encrypt_stream(&data_key, &binding, src, &mut dst)?;
            let sealing = dst.into_inner().map_err(|e| e.into_error())?.0;
            drop(plain);
            sealing.finish().map_err(std::io::Error::other)
        })
        .await
        .map_err(|e| IngestError::Unavailable(format!("encryption task failed: {e}")))?
        .map_err(|e| IngestError::Unavailable(e.to_string()))?;
        let key = callvault_store::NewRecordingKey {
            master_key_id: key_id,
            wrapped_key: wrapped,
            stored_size: sealed.size,
            stored_sha256: sealed.sha256.clone(),
        };
        Ok((sealed, key))
    }

    /// Remove an object that will not be acknowledged, then its pending row.
    /// If either step fails the pending row stays, and start-up recovery
    /// finishes the job.
    async fn undo_object(&self, store: &BlobStore, key: &str) {
        match store.delete(key).await {
            Ok(()) => {
                if let Err(e) = self.catalog.remove_pending_object(store.name(), key).await {
                    tracing::warn!(error = %e, "pending object left for recovery");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "unacknowledged object left for recovery");
                self.instance.keep_proof_of_death();
            }
        }
    }
}

/// Bytes gathered before one blocking write: large enough that a fast
/// upload costs few thread hand-offs, small enough that thousands of
/// uploads in flight stay cheap in memory.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// A staging file and the probe of what went into it, moved into each
/// blocking write and back.
struct Sink {
    staging: callvault_store::blob::StagingFile,
    spare: SpareStaging,
    prober: Prober,
}

enum Done {
    More(Box<Sink>),
    Finished(Received),
}

impl Sink {
    fn write(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        self.prober.push(chunk)?;
        self.spare.retry(&mut self.staging, |f| f.write(chunk))
    }

    fn finish(mut self) -> Result<Received, IngestError> {
        let info = self.prober.finish()?;
        self.spare.retry(&mut self.staging, |f| f.sync())?;
        let staged = self.staging.finish().map_err(|e| IngestError::Unavailable(e.to_string()))?;
        Ok(Received { staged, info })
    }
}

/// A staging file as an [`std::io::Write`].
struct StagingIo(callvault_store::blob::StagingFile);

impl std::io::Write for StagingIo {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Identifies one upload: its bytes and what the client said about them. The
/// same bytes with other metadata are another call's recording.
fn upload_key(sha256: &str, fingerprint: &str) -> String {
    let meta = fingerprint;
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    sha2::Digest::update(&mut h, sha256.as_bytes());
    sha2::Digest::update(&mut h, b"\n");
    sha2::Digest::update(&mut h, meta.as_bytes());
    hex::encode(sha2::Digest::finalize(h))
}

fn store_error_text(e: &BlobError) -> String {
    // Paths and credentials stay out of client-facing text.
    match e {
        BlobError::Verification { .. } => "the stored object failed verification".into(),
        BlobError::AlreadyExists { .. } => "object key collision".into(),
        _ => "the object store did not accept the recording".into(),
    }
}

/// Upload-in-flight gauge, decremented however the upload ends. An upload
/// whose future is dropped while receiving (the client disconnected and the
/// server dropped the request) counts as `aborted`; its staging file is
/// removed with it.
struct InFlight<'a> {
    metrics: &'a Metrics,
    finished: bool,
}

impl<'a> InFlight<'a> {
    fn new(metrics: &'a Metrics) -> Self {
        metrics.uploads_in_flight.inc();
        Self { metrics, finished: false }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.uploads_in_flight.dec();
        if !self.finished {
            self.metrics.ingest_outcome("aborted");
            tracing::info!("upload aborted by the client");
        }
    }
}

/// What every source tells the vault about a recording, typed: an upload's
/// metadata ([`RecordingMetadata::describe`]), an import row, a captured
/// call, a SIPREC session. Facts from SIP headers are as untrusted as an
/// upload's JSON, so all of them pass the same [`RecordingFacts::check`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordingFacts {
    /// Keys that tie recordings into one conversation (`sip_call_id`,
    /// `asterisk_linkedid`, `siprec_group`, ...).
    pub external_ids: Vec<ExternalId>,
    pub direction: Option<Direction>,
    pub external_number: Option<String>,
    pub company_number: Option<String>,
    /// When the audio starts and ends; estimated from the audio when absent.
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Who was on the call; a participant's times default to the
    /// recording's.
    pub participants: Vec<ParticipantFacts>,
    /// The source says no other recording of the conversation follows (an
    /// upload's `"final": true`). Not part of the upload's identity.
    #[serde(skip_serializing)]
    pub is_final: bool,
    /// Another session of this recording's group was live when it started
    /// (SIPREC): it joins the group's conversation however long ago that
    /// conversation's other recordings ended. Not part of the identity.
    #[serde(skip_serializing)]
    pub group_active: bool,
    /// What happened during the recording (DTMF received, media gaps), for
    /// the conversation's timeline. Absent from the identity of uploads
    /// that have none, so their upload keys are unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventFacts>,
}

/// At most this many events per recording; more are dropped (sanitized) or
/// refused (checked).
pub const MAX_EVENTS: usize = 2000;

/// One event of [`RecordingFacts`]: `dtmf`, `media_gap`, ...
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventFacts {
    pub at: DateTime<Utc>,
    /// `[a-z0-9_]{1,32}`.
    pub kind: String,
    /// Who it came from: an index into [`RecordingFacts::participants`].
    pub participant: Option<usize>,
    /// A JSON object.
    pub detail: serde_json::Value,
}

/// One participant of [`RecordingFacts`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantFacts {
    pub side: Side,
    pub address: Option<String>,
    pub name: Option<String>,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Checked facts, ready for ingest, with the text that (with the audio's
/// sha256) identifies one upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    facts: RecordingFacts,
    fingerprint: String,
}

impl Description {
    pub fn facts(&self) -> &RecordingFacts {
        &self.facts
    }

    fn participants(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<NewParticipant> {
        self.facts
            .participants
            .iter()
            .map(|p| NewParticipant {
                side: p.side,
                address: p.address.clone(),
                display_name: p.name.clone(),
                joined_at: p.joined_at.unwrap_or(start),
                left_at: Some(p.left_at.unwrap_or(end)),
            })
            .collect()
    }

    fn events(&self) -> Vec<NewConversationEvent> {
        self.facts
            .events
            .iter()
            .map(|e| NewConversationEvent {
                at: e.at,
                kind: e.kind.clone(),
                participant: e.participant,
                detail: e.detail.clone(),
            })
            .collect()
    }

    fn conversation(&self) -> ConversationHints {
        let f = &self.facts;
        ConversationHints {
            external_ids: f.external_ids.clone(),
            direction: f.direction,
            external_number: f.external_number.clone(),
            company_number: f.company_number.clone(),
            rejoin_window: None,
        }
    }
}

impl RecordingFacts {
    /// Facts read off the wire (SIP headers, SIPREC metadata) made fit for
    /// [`check`](Self::check): text cut to [`MAX_FIELD_CHARS`] without its
    /// control characters, ids and participants beyond the limits dropped,
    /// impossible times dropped. A recording is never refused for what a
    /// remote party wrote in a header.
    pub fn sanitized(mut self) -> Self {
        fn clean(v: &mut Option<String>) {
            if let Some(text) = v {
                *text = text.chars().filter(|c| !c.is_control()).take(MAX_FIELD_CHARS).collect();
            }
        }
        self.external_ids.truncate(MAX_EXTERNAL_IDS);
        for id in &mut self.external_ids {
            let mut value = Some(std::mem::take(&mut id.value));
            clean(&mut value);
            id.value = value.unwrap_or_default();
        }
        self.external_ids.retain(|id| valid_id_kind(&id.kind));
        clean(&mut self.external_number);
        clean(&mut self.company_number);
        self.participants.truncate(MAX_PARTICIPANTS);
        for p in &mut self.participants {
            clean(&mut p.address);
            clean(&mut p.name);
            if let (Some(j), Some(l)) = (p.joined_at, p.left_at)
                && l < j
            {
                p.left_at = None;
            }
        }
        // Participants dropped here move the others: events follow them.
        let mut moved = Vec::with_capacity(self.participants.len());
        let mut kept = 0;
        for p in &self.participants {
            let keep = p.address.as_deref().is_some_and(|a| !a.trim().is_empty())
                || p.name.as_deref().is_some_and(|n| !n.trim().is_empty());
            moved.push(keep.then_some(kept));
            kept += usize::from(keep);
        }
        let mut index = 0;
        self.participants.retain(|_| {
            index += 1;
            moved[index - 1].is_some()
        });
        self.events.truncate(MAX_EVENTS);
        self.events.retain(|e| valid_event_kind(&e.kind) && e.detail.is_object());
        for e in &mut self.events {
            e.participant = e.participant.and_then(|i| moved.get(i).copied().flatten());
        }
        if let (Some(s), Some(e)) = (self.started_at, self.ended_at)
            && e < s
        {
            self.ended_at = None;
        }
        self
    }

    /// [`sanitized`](Self::sanitized), then described: never refused.
    pub fn describe_lossy(self) -> Description {
        let facts = self.sanitized();
        let times = RecordingFacts {
            started_at: facts.started_at,
            ended_at: facts.ended_at,
            ..Default::default()
        };
        facts.check().unwrap_or_else(|e| {
            // Sanitizing leaves nothing check refuses; should a rule drift,
            // the recording is still stored, with its times only.
            tracing::warn!(error = %e, "recording facts dropped");
            let fingerprint = serde_json::to_string(&times).unwrap_or_default();
            Description { facts: times, fingerprint }
        })
    }

    /// Check every field (length, control characters, counts, times), trim
    /// text and drop empty values.
    pub fn check(self) -> Result<Description, IngestError> {
        let facts = self.checked()?;
        let fingerprint = serde_json::to_string(&facts).unwrap_or_default();
        Ok(Description { facts, fingerprint })
    }

    fn checked(mut self) -> Result<Self, IngestError> {
        if self.external_ids.len() > MAX_EXTERNAL_IDS + 4 {
            return Err(IngestError::Metadata(format!(
                "more than {MAX_EXTERNAL_IDS} external ids"
            )));
        }
        let mut ids = Vec::with_capacity(self.external_ids.len());
        for id in self.external_ids {
            if !valid_id_kind(&id.kind) {
                return Err(IngestError::Metadata(format!(
                    "external id kind {:?} must be 1-64 characters of a-z, 0-9 and '_'",
                    id.kind
                )));
            }
            if let Some(v) = opt_field(&id.kind, &Some(id.value))? {
                ids.push(ExternalId::new(id.kind, v));
            }
        }
        ids.sort_by(|a, b| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)));
        ids.dedup();
        self.external_ids = ids;
        self.external_number = opt_field("external_number", &self.external_number)?;
        self.company_number = opt_field("company_number", &self.company_number)?;
        if self.participants.len() > MAX_PARTICIPANTS {
            return Err(IngestError::Metadata(format!(
                "more than {MAX_PARTICIPANTS} participants"
            )));
        }
        for p in &mut self.participants {
            p.address = opt_field("participant address", &p.address)?;
            p.name = opt_field("participant name", &p.name)?;
            if p.address.is_none() && p.name.is_none() {
                return Err(IngestError::Metadata(
                    "a participant needs an address or a name".into(),
                ));
            }
            if let (Some(j), Some(l)) = (p.joined_at, p.left_at)
                && l < j
            {
                return Err(IngestError::Metadata("a participant leaves before joining".into()));
            }
        }
        if let (Some(s), Some(e)) = (self.started_at, self.ended_at)
            && e < s
        {
            return Err(IngestError::Metadata("ended_at is before started_at".into()));
        }
        if self.events.len() > MAX_EVENTS {
            return Err(IngestError::Metadata(format!("more than {MAX_EVENTS} events")));
        }
        for e in &self.events {
            if !valid_event_kind(&e.kind) {
                return Err(IngestError::Metadata(format!(
                    "event kind {:?} must be 1-32 characters of a-z, 0-9 and '_'",
                    e.kind
                )));
            }
            if !e.detail.is_object() {
                return Err(IngestError::Metadata("an event's detail must be an object".into()));
            }
            if e.participant.is_some_and(|i| i >= self.participants.len()) {
                return Err(IngestError::Metadata("an event names no participant".into()));
            }
        }
        Ok(self)
    }
}

fn valid_event_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 32
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl RecordingMetadata {
    /// The facts an upload's metadata states, checked: ids by kind, the
    /// external and company numbers from the direction, and the numbers as
    /// participants when none is named. Upload keys hash this metadata as
    /// the client sent it.
    pub fn describe(&self) -> Result<Description, IngestError> {
        let facts = self.facts()?.checked()?;
        let fingerprint = serde_json::to_string(self).unwrap_or_default();
        Ok(Description { facts, fingerprint })
    }

    fn facts(&self) -> Result<RecordingFacts, IngestError> {
        let m = self;
        let mut ids = Vec::new();
        for (kind, value) in [
            ("asterisk_linkedid", &m.linkedid),
            ("asterisk_uniqueid", &m.uniqueid),
            ("sip_call_id", &m.call_id),
            ("conversation_key", &m.conversation_key),
        ] {
            if let Some(v) = opt_field(kind, value)? {
                ids.push(ExternalId::new(kind, v));
            }
        }
        if m.external_ids.len() > MAX_EXTERNAL_IDS {
            return Err(IngestError::Metadata(format!(
                "more than {MAX_EXTERNAL_IDS} external ids"
            )));
        }
        ids.extend(m.external_ids.iter().map(|(k, v)| ExternalId::new(k.clone(), v.clone())));
        let direction = match opt_field("direction", &m.direction)? {
            Some(d) => {
                Some(d.parse::<Direction>().map_err(|e| IngestError::Metadata(e.to_string()))?)
            }
            None => None,
        };
        let caller = opt_field("caller", &m.caller)?;
        let callee = opt_field("callee", &m.callee)?;
        let (mut external_number, mut company_number) = (
            opt_field("external_number", &m.external_number)?,
            opt_field("company_number", &m.company_number)?,
        );
        match direction {
            Some(Direction::Outbound) => {
                external_number = external_number.or_else(|| callee.clone());
                company_number = company_number.or_else(|| caller.clone());
            }
            Some(Direction::Internal) => {
                company_number = company_number.or_else(|| caller.clone());
            }
            _ => {
                external_number = external_number.or_else(|| caller.clone());
                company_number = company_number.or_else(|| callee.clone());
            }
        }
        if m.participants.len() + usize::from(m.participant.is_some()) > MAX_PARTICIPANTS {
            return Err(IngestError::Metadata(format!(
                "more than {MAX_PARTICIPANTS} participants"
            )));
        }
        let mut participants = Vec::new();
        for p in m.participant.iter().chain(&m.participants) {
            let side = match opt_field("participant side", &p.side)? {
                Some(s) => s.parse::<Side>().map_err(|e| IngestError::Metadata(e.to_string()))?,
                None => Side::Company,
            };
            participants.push(ParticipantFacts {
                side,
                address: p.address.clone(),
                name: p.name.clone(),
                joined_at: p.joined_at,
                left_at: p.left_at,
            });
        }
        if participants.is_empty() {
            // No participant named: the numbers are the participants.
            for (side, n) in [(Side::Company, &company_number), (Side::External, &external_number)]
            {
                if let Some(n) = n {
                    participants.push(ParticipantFacts {
                        side,
                        address: Some(n.clone()),
                        name: None,
                        joined_at: None,
                        left_at: None,
                    });
                }
            }
        }
        Ok(RecordingFacts {
            external_ids: ids,
            direction,
            external_number,
            company_number,
            started_at: m.started_at,
            ended_at: m.ended_at,
            participants,
            is_final: m.is_final.unwrap_or(false),
            group_active: false,
            events: Vec::new(),
        })
    }
}

/// An external id's kind: 1-64 characters of a-z, 0-9 and '_'.
fn valid_id_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_field(name: &str, value: &str) -> Result<(), IngestError> {
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(IngestError::Metadata(format!(
            "{name} is longer than {MAX_FIELD_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(IngestError::Metadata(format!("{name} contains control characters")));
    }
    Ok(())
}

fn opt_field(name: &str, value: &Option<String>) -> Result<Option<String>, IngestError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            check_field(name, v)?;
            Ok(Some(v.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_direction() {
        let m = RecordingMetadata {
            direction: Some("outbound".into()),
            caller: Some("101".into()),
            callee: Some("+15550001111".into()),
            linkedid: Some("1700.1".into()),
            ..Default::default()
        };
        let d = m.describe().unwrap();
        let h = d.facts();
        assert_eq!(h.external_number.as_deref(), Some("+15550001111"));
        assert_eq!(h.company_number.as_deref(), Some("101"));
        assert_eq!(h.external_ids, vec![ExternalId::new("asterisk_linkedid", "1700.1")]);
        assert_eq!(h.participants.len(), 2);
        assert_eq!(d.fingerprint, serde_json::to_string(&m).unwrap(), "upload keys unchanged");
    }

    #[test]
    fn events_follow_their_participants_through_sanitizing() {
        let t = Utc::now();
        let party = |address: &str| ParticipantFacts {
            side: Side::External,
            address: Some(address.into()),
            name: None,
            joined_at: None,
            left_at: None,
        };
        let ev = |kind: &str, participant, detail| EventFacts {
            at: t,
            kind: kind.into(),
            participant,
            detail,
        };
        let facts = RecordingFacts {
            participants: vec![party(" "), party("+79123456789"), party("201")],
            events: vec![
                ev("dtmf", Some(2), serde_json::json!({ "digit": "1" })),
                ev("dtmf", Some(0), serde_json::json!({ "digit": "2" })),
                ev("Bad Kind", None, serde_json::json!({})),
                ev("media_gap", None, serde_json::json!([])),
            ],
            ..Default::default()
        };
        assert!(facts.clone().check().is_err(), "as read, refused");
        let d = facts.describe_lossy();
        let f = d.facts();
        assert_eq!(f.participants.len(), 2);
        // The first party was dropped: the event on the third now names
        // the second; the event on the dropped one names nobody; the bad
        // ones are gone.
        let kept: Vec<_> =
            f.events.iter().map(|e| (e.detail["digit"].clone(), e.participant)).collect();
        assert_eq!(kept, [(serde_json::json!("1"), Some(1)), (serde_json::json!("2"), None)]);
        // Events count in the identity only when there are some.
        assert!(d.fingerprint.contains("dtmf"));
        let none = RecordingFacts { participants: vec![party("201")], ..Default::default() }
            .describe_lossy();
        assert!(!none.fingerprint.contains("events"));
    }

    #[test]
    fn facts_off_the_wire_are_made_fit_not_refused() {
        let long = "y".repeat(MAX_FIELD_CHARS * 2);
        let t = Utc::now();
        let facts = RecordingFacts {
            external_ids: vec![
                ExternalId::new("sip_call_id", format!("a\r\nb{long}")),
                ExternalId::new("Bad Kind", "x"),
            ],
            external_number: Some(format!("+7\u{7}912{long}")),
            started_at: Some(t),
            ended_at: Some(t - chrono::Duration::seconds(5)),
            participants: vec![
                ParticipantFacts {
                    side: Side::External,
                    address: None,
                    name: Some(long.clone()),
                    joined_at: Some(t),
                    left_at: Some(t - chrono::Duration::seconds(1)),
                },
                ParticipantFacts {
                    side: Side::Company,
                    address: Some(" ".into()),
                    name: None,
                    joined_at: None,
                    left_at: None,
                },
            ],
            ..Default::default()
        };
        assert!(facts.clone().check().is_err(), "as read, refused");
        let d = facts.describe_lossy();
        let f = d.facts();
        assert_eq!(f.external_ids.len(), 1);
        assert!(f.external_ids[0].value.starts_with("aby"));
        assert_eq!(f.external_ids[0].value.chars().count(), MAX_FIELD_CHARS);
        assert!(f.external_number.as_deref().unwrap().starts_with("+7912"));
        assert_eq!(f.ended_at, None);
        assert_eq!(f.participants.len(), 1);
        assert_eq!(f.participants[0].left_at, None);
        assert_eq!(
            f.participants[0].name.as_deref().map(|n| n.chars().count()),
            Some(MAX_FIELD_CHARS)
        );
    }

    #[test]
    fn bad_metadata_is_refused() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        for m in [
            RecordingMetadata { direction: Some("sideways".into()), ..Default::default() },
            RecordingMetadata { linkedid: Some(long), ..Default::default() },
            RecordingMetadata { caller: Some("1\n2".into()), ..Default::default() },
            RecordingMetadata {
                external_ids: [("Bad Kind".to_string(), "x".to_string())].into_iter().collect(),
                ..Default::default()
            },
            RecordingMetadata {
                participant: Some(ParticipantMetadata {
                    address: None,
                    name: None,
                    side: None,
                    joined_at: None,
                    left_at: None,
                }),
                ..Default::default()
            },
        ] {
            assert!(matches!(m.describe(), Err(IngestError::Metadata(_))), "{m:?}");
        }
    }
}
