//! The [`Media`] the channels use: stored audio, derived formats made once
//! and cached in the primary store, signed links, and the handler behind
//! the link route.
//!
//! ```text
//! Media::audio(rec, Mp3) ─► derived/{tenant}/{recording}/mp3-{sha256}.mp3 in the store? ─yes─► bytes
//!                                  │ no (or damaged: deleted)
//!                                  ▼  single flight per (recording, format) in this process
//!   stored object ─► staging file (sha256 checked) ─► media::transcode (blocking thread)
//!                ─► staging file ─► BlobStore::commit (create-only, verified) ─► bytes
//! ```
//!
//! Derived objects are a cache, not copies: no `copies` row names them, the
//! durability count ignores them, the orphan scan (which lists `tenants/`)
//! does not see them, and one that is missing or damaged is simply made
//! again. Their key carries their own sha256, so a damaged one is known
//! without a catalog row; two processes that make the same one race on a
//! create-only commit and the loser reads the winner's.
//!
//! Waveform peaks for the console are cached the same way
//! (`derived/{tenant}/{recording}/peaks-{sha256}.bin`, see [`PEAKS_BINS`]).
//!
//! Stored audio is read through the vault's `RecordingReader`, which
//! decrypts an encrypted recording; such a recording's derived formats are
//! made each time and never cached (they would be its audio in the clear).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use callvault_media::peaks::Peaks;
use callvault_media::transcode::{self, DeliveryTarget, TranscodeError};
use callvault_model::{Recording, TenantId};
use callvault_store::blob::{StagedObject, StagingFile};
use callvault_store::{BlobError, BlobStore, Catalog};
use callvault_vault::encryption::{ReadError, RecordingReader};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::channel::{Audio, DeliveryFormat, Media, MediaError};
use crate::links::{
    LinkError, LinkSigner, LinkToken, effective_format, format_for_extension, link_extension,
};

/// Key prefix of derived objects in the primary store.
pub const DERIVED_PREFIX: &str = "derived";
/// Staging writes of a download are batched to this size.
const STAGE_BATCH: usize = 1024 * 1024;

/// One per process: the catalog, the primary store and the public URL.
pub struct MediaService {
    catalog: Arc<dyn Catalog>,
    /// The primary store: derived objects and staging.
    store: Arc<BlobStore>,
    /// Reads recordings' audio (decrypting encrypted ones).
    reader: RecordingReader,
    public_url: String,
    /// The process instance named on staging files (the vault's instance
    /// id), so that recovery removes what a crash left.
    owner: String,
    /// One lock per derived object being looked up or made.
    inflight: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    transcodes: AtomicU64,
}

impl std::fmt::Debug for MediaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaService").field("public_url", &self.public_url).finish()
    }
}

/// The destination a link names, as the catalog knows it now.
#[derive(Debug, Clone)]
pub struct LinkDestination {
    /// The destination's tenant: a link serves only this tenant's recordings.
    pub tenant_id: TenantId,
    /// The current key; a rotated key revokes every older link.
    pub link_key: Vec<u8>,
}

/// Looks up a destination's tenant and link key (wired to the catalog by
/// the composition root).
#[async_trait]
pub trait LinkKeys: Send + Sync {
    /// `None` for an unknown (or deleted) destination.
    async fn destination(&self, id: Uuid) -> Result<Option<LinkDestination>, String>;
}

/// A link request as the HTTP route sees it.
#[derive(Debug, Clone, Copy)]
pub struct LinkRequest<'a> {
    /// The last path segment: `{recording_id}.{ext}`.
    pub file: &'a str,
    /// The query string, without `?`.
    pub query: &'a str,
    /// The `Range` header, if any.
    pub range: Option<&'a str>,
    /// Now, in Unix seconds.
    pub now: u64,
}

/// What the link route answers.
#[derive(Debug, Clone)]
pub struct LinkResponse {
    /// The whole file's length (`Content-Range: bytes a-b/total`).
    pub total: u64,
    /// The range served: `Some` for 206 Partial Content, `None` for 200.
    pub range: Option<Range<u64>>,
    pub content_type: &'static str,
    pub extension: &'static str,
    /// Lowercase hex sha256 of the whole file (an `ETag`).
    pub sha256: String,
    /// The bytes of `range` (or the whole file).
    pub body: Bytes,
}

/// Why a link was not served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// 400 for `Malformed`, 403 for `BadSignature`, 410 for `Expired`.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// 404: no such recording for the destination's tenant, or no such
    /// format of it.
    #[error("not found")]
    NotFound,
    /// 416, with `Content-Range: bytes */total`.
    #[error("range not satisfiable (length {total})")]
    RangeNotSatisfiable { total: u64 },
    /// 503 (`Unavailable`) or 422 (`Unconvertible`).
    #[error(transparent)]
    Media(#[from] MediaError),
}

impl MediaService {
    /// `reader` is the vault's ([`callvault_vault::Vault::reader`]): its
    /// catalog and store are this service's; `owner` is the vault
    /// instance's id (staging files carry it).
    pub fn new(
        reader: RecordingReader,
        public_url: impl Into<String>,
        owner: impl Into<String>,
    ) -> Arc<Self> {
        Arc::new(MediaService {
            catalog: reader.catalog.clone(),
            store: reader.store.clone(),
            reader,
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            owner: owner.into(),
            inflight: Mutex::new(HashMap::new()),
            transcodes: AtomicU64::new(0),
        })
    }

    /// The [`Media`] of one destination's jobs: links signed with its key,
    /// valid for `link_ttl`.
    pub fn for_destination(
        self: &Arc<Self>,
        destination_id: Uuid,
        link_key: &[u8],
        link_ttl: Duration,
    ) -> Result<Arc<dyn Media>, LinkError> {
        Ok(Arc::new(DestinationMedia {
            service: self.clone(),
            destination_id,
            signer: LinkSigner::new(link_key)?,
            ttl: link_ttl,
        }))
    }

    /// Transcodes this process has run (for tests and metrics).
    pub fn transcodes(&self) -> u64 {
        self.transcodes.load(Ordering::Relaxed)
    }

    /// A recording in `format` (see [`Media::audio`]).
    pub async fn audio(
        &self,
        rec: &Recording,
        format: DeliveryFormat,
    ) -> Result<Audio, MediaError> {
        match effective_format(rec.format, format) {
            DeliveryFormat::Original => self.original(rec).await,
            DeliveryFormat::Mp3 => self.derived(rec, DeliveryTarget::Mp3).await,
            DeliveryFormat::Wav => self.derived(rec, DeliveryTarget::Wav).await,
            DeliveryFormat::Opus => self.derived(rec, DeliveryTarget::Opus).await,
        }
    }

    /// See [`Media::size_hint`]: no transcoding, no store access.
    pub fn size_hint(&self, rec: &Recording, format: DeliveryFormat) -> u64 {
        let channels = if rec.channels <= 2 { u64::from(rec.channels.max(1)) } else { 1 };
        let ms = rec.duration_ms;
        match effective_format(rec.format, format) {
            DeliveryFormat::Original => rec.size_bytes,
            DeliveryFormat::Mp3 => transcode::mp3_size(ms, channels as u16),
            // At the catalog's rate: exact for WAV, FLAC and MP3 sources; an
            // overestimate for Ogg/Opus, probed as 48 kHz and decoded at the
            // rate it was made from (8 or 16 kHz for calls).
            DeliveryFormat::Wav => {
                (ms * u64::from(rec.sample_rate)).div_ceil(1000) * channels * 2 + 44
            }
            DeliveryFormat::Opus => {
                // The bitrate, plus Ogg framing (~2 %) and the headers.
                let bits = u64::from(transcode::OPUS_BITRATE_PER_CHANNEL) * channels;
                ms * bits / 8000 * 102 / 100 + 4096
            }
        }
    }

    /// The stored object, its sha256 checked against the catalog's.
    async fn original(&self, rec: &Recording) -> Result<Audio, MediaError> {
        let read = self.reader.read(rec, None).await.map_err(unreadable)?;
        let mut buf = BytesMut::with_capacity(read.size.min(1 << 30) as usize);
        let mut stream = read.stream;
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk.map_err(unreadable)?);
        }
        let bytes = buf.freeze();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if sha256 != rec.sha256 || bytes.len() as u64 != rec.size_bytes {
            tracing::error!(recording = %rec.id, key = %rec.object_key, "stored object does not match its sha256");
            return Err(MediaError::Unavailable("the stored object is damaged".into()));
        }
        Ok(Audio {
            bytes,
            content_type: rec.format.content_type(),
            extension: rec.format.extension(),
            sha256,
        })
    }

    async fn read_all(&self, key: &str) -> Result<Bytes, MediaError> {
        let read = self.store.get(key, None).await.map_err(unavailable)?;
        collect(read).await
    }

    /// Where the derived objects of a recording live.
    fn derived_dir(rec: &Recording) -> String {
        format!("{DERIVED_PREFIX}/{}/{}", rec.tenant_id, rec.id)
    }

    /// A derived object: found in the store (and checked), or made once.
    /// An encrypted recording's derived formats are never cached: they
    /// would be its audio in the clear.
    async fn derived(&self, rec: &Recording, target: DeliveryTarget) -> Result<Audio, MediaError> {
        if self.reader.is_encrypted(rec).await.map_err(unreadable)? {
            return self.make_derived(rec, target, false).await;
        }
        let name = target.extension();
        let lock = self.flight(&format!("{}.{name}", rec.id));
        let _held = lock.lock().await;
        if let Some(audio) = self.find_derived(rec, target).await? {
            return Ok(audio);
        }
        self.make_derived(rec, target, true).await
    }

    /// The lock of one derived object in this process.
    fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = map.get(key).and_then(Weak::upgrade) {
            return l;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let l = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(key.to_owned(), Arc::downgrade(&l));
        l
    }

    /// A stored derived object of `target` whose bytes match the sha256 in
    /// its key; damaged ones are deleted.
    async fn find_derived(
        &self,
        rec: &Recording,
        target: DeliveryTarget,
    ) -> Result<Option<Audio>, MediaError> {
        let dir = Self::derived_dir(rec);
        let prefix = format!("{dir}/{}-", target.extension());
        let suffix = format!(".{}", target.extension());
        let mut keys = Vec::new();
        let mut listing = self.store.list(&dir);
        while let Some(item) = listing.next().await {
            let (key, _) = item.map_err(unavailable)?;
            if key.starts_with(&prefix) && key.ends_with(&suffix) {
                keys.push(key);
            }
        }
        drop(listing);
        for key in keys {
            let want = &key[prefix.len()..key.len() - suffix.len()];
            let bytes = match self.read_all(&key).await {
                Ok(b) => b,
                Err(_) => continue,
            };
            let sha256 = hex::encode(Sha256::digest(&bytes));
            if sha256 == want {
                return Ok(Some(Audio {
                    bytes,
                    content_type: target.content_type(),
                    extension: target.extension(),
                    sha256,
                }));
            }
            tracing::warn!(recording = %rec.id, %key, "derived object damaged; making it again");
            self.store.delete(&key).await.map_err(unavailable)?;
        }
        Ok(None)
    }

    async fn make_derived(
        &self,
        rec: &Recording,
        target: DeliveryTarget,
        cache: bool,
    ) -> Result<Audio, MediaError> {
        // The source goes to a staging file first: hashed on the way (the
        // catalog's sha256 is checked before anything is derived from it)
        // and read by the decoder as a file, never held in memory.
        let source = self.stage_source(rec).await?;
        let from = rec.format;
        let staging = self.store.stage(&self.owner).map_err(unavailable)?;
        let made = tokio::task::spawn_blocking(move || {
            let out = std::io::BufWriter::with_capacity(256 * 1024, StagingWrite(staging));
            let (out, _) = transcode::transcode(|| source.open(), from, target, out)?;
            let staging = out.into_inner().map_err(|e| e.into_error())?.0;
            let staged = staging.finish().map_err(std::io::Error::other)?;
            let mut bytes = Vec::with_capacity(staged.size.min(1 << 30) as usize);
            std::io::Read::read_to_end(&mut staged.open()?, &mut bytes)?;
            Ok::<_, TranscodeError>((staged, bytes))
        })
        .await
        .map_err(|e| MediaError::Unavailable(format!("transcoding task failed: {e}")))?;
        let (staged, bytes) = made.map_err(|e| match e {
            TranscodeError::Io(e) => MediaError::Unavailable(e.to_string()),
            other => MediaError::Unconvertible(other.to_string()),
        })?;
        self.transcodes.fetch_add(1, Ordering::Relaxed);
        let sha256 = staged.sha256.clone();
        let key = format!(
            "{}/{}-{sha256}.{}",
            Self::derived_dir(rec),
            target.extension(),
            target.extension()
        );
        if !cache {
            drop(staged);
        } else {
            self.cache_derived(rec, staged, &key).await;
        }
        tracing::info!(recording = %rec.id, format = target.extension(), bytes = bytes.len(), "derived format made");
        Ok(Audio {
            bytes: Bytes::from(bytes),
            content_type: target.content_type(),
            extension: target.extension(),
            sha256,
        })
    }

    async fn cache_derived(&self, rec: &Recording, staged: StagedObject, key: &str) {
        match self.store.commit(staged, key).await {
            Ok(()) | Err(BlobError::AlreadyExists { .. }) => {}
            // The cache could not be written: the bytes are still good.
            Err(e) => {
                tracing::warn!(recording = %rec.id, error = %e, "cannot cache a derived object")
            }
        }
    }

    /// The stored object in a staging file, its size and sha256 checked.
    async fn stage_source(&self, rec: &Recording) -> Result<StagedObject, MediaError> {
        let read = self.reader.read(rec, None).await.map_err(unreadable)?;
        let mut staging = Some(self.store.stage(&self.owner).map_err(unavailable)?);
        let mut stream = read.stream;
        let mut batch = BytesMut::new();
        loop {
            let next = stream.next().await;
            let end = next.is_none();
            if let Some(chunk) = next {
                batch.extend_from_slice(&chunk.map_err(unreadable)?);
            }
            if batch.len() >= STAGE_BATCH || (end && !batch.is_empty()) {
                let data = batch.split().freeze();
                let mut s =
                    staging.take().ok_or_else(|| MediaError::Unavailable("staging lost".into()))?;
                let s = tokio::task::spawn_blocking(move || s.write(&data).map(|()| s))
                    .await
                    .map_err(|e| MediaError::Unavailable(e.to_string()))?
                    .map_err(unavailable)?;
                staging = Some(s);
            }
            if end {
                break;
            }
        }
        let s = staging.take().ok_or_else(|| MediaError::Unavailable("staging lost".into()))?;
        let staged = tokio::task::spawn_blocking(move || s.finish())
            .await
            .map_err(|e| MediaError::Unavailable(e.to_string()))?
            .map_err(unavailable)?;
        if staged.sha256 != rec.sha256 || staged.size != rec.size_bytes {
            tracing::error!(recording = %rec.id, key = %rec.object_key, "stored object does not match its sha256");
            return Err(MediaError::Unavailable("the stored object is damaged".into()));
        }
        Ok(staged)
    }

    /// What the link route calls: verifies the link against the
    /// destination's current key, loads the recording of the destination's
    /// tenant, produces the format (cached) and answers the `Range`.
    pub async fn serve_link(
        &self,
        keys: &dyn LinkKeys,
        req: LinkRequest<'_>,
    ) -> Result<LinkResponse, ServeError> {
        let token = LinkToken::parse(req.file, req.query)?;
        let dest = keys
            .destination(token.destination_id)
            .await
            .map_err(MediaError::Unavailable)?
            // An unknown destination looks like a bad signature: a link
            // says nothing about which destinations exist.
            .ok_or(LinkError::BadSignature)?;
        let link = LinkSigner::new(&dest.link_key)?.verify(&token, req.now)?;
        let rec = self
            .catalog
            .recording(dest.tenant_id, link.recording_id)
            .await
            .map_err(|e| MediaError::Unavailable(e.to_string()))?
            .ok_or(ServeError::NotFound)?;
        let format =
            format_for_extension(rec.format, &link.extension).ok_or(ServeError::NotFound)?;
        let audio = self.audio(&rec, format).await?;
        let total = audio.bytes.len() as u64;
        let range = match req.range {
            None => None,
            Some(h) => parse_range(h, total)?,
        };
        let body = match &range {
            Some(r) => audio.bytes.slice(r.start as usize..r.end as usize),
            None => audio.bytes.clone(),
        };
        Ok(LinkResponse {
            total,
            range,
            content_type: audio.content_type,
            extension: audio.extension,
            sha256: audio.sha256,
            body,
        })
    }
}

/// Bins of the cached peaks: the most the API serves, so that every request
/// is answered by grouping them.
pub const PEAKS_BINS: usize = callvault_media::peaks::MAX_BINS;

/// Waveform peaks (the console's): a derived object like the formats,
/// `derived/{tenant}/{recording}/peaks-{sha256}.bin`, made once at
/// [`PEAKS_BINS`] and never cached for an encrypted recording.
impl MediaService {
    /// The recording's peaks at [`PEAKS_BINS`] bins: from the cache, or
    /// decoded from the stored audio (decrypted, its sha256 checked) on a
    /// blocking thread and cached.
    pub async fn peaks(&self, rec: &Recording) -> Result<Peaks, MediaError> {
        if self.reader.is_encrypted(rec).await.map_err(unreadable)? {
            return self.make_peaks(rec).await;
        }
        let lock = self.flight(&format!("{}.peaks", rec.id));
        let _held = lock.lock().await;
        if let Some(peaks) = self.find_peaks(rec).await? {
            return Ok(peaks);
        }
        let peaks = self.make_peaks(rec).await?;
        let bytes = peaks.to_bytes();
        let staging = self.store.stage(&self.owner).map_err(unavailable)?;
        let staged = tokio::task::spawn_blocking(move || {
            let mut staging = staging;
            staging.write(&bytes)?;
            staging.finish()
        })
        .await
        .map_err(|e| MediaError::Unavailable(e.to_string()))?;
        match staged {
            Ok(staged) => {
                let key = format!("{}/peaks-{}.bin", Self::derived_dir(rec), staged.sha256);
                self.cache_derived(rec, staged, &key).await;
            }
            // The cache could not be written: the peaks are still good.
            Err(e) => tracing::warn!(recording = %rec.id, error = %e, "cannot stage peaks"),
        }
        Ok(peaks)
    }

    /// Cached peaks whose bytes match the sha256 in their key; damaged
    /// ones are deleted.
    async fn find_peaks(&self, rec: &Recording) -> Result<Option<Peaks>, MediaError> {
        let dir = Self::derived_dir(rec);
        let prefix = format!("{dir}/peaks-");
        let mut keys = Vec::new();
        let mut listing = self.store.list(&dir);
        while let Some(item) = listing.next().await {
            let (key, _) = item.map_err(unavailable)?;
            if key.starts_with(&prefix) && key.ends_with(".bin") {
                keys.push(key);
            }
        }
        drop(listing);
        for key in keys {
            let Ok(bytes) = self.read_all(&key).await else { continue };
            let want = &key[prefix.len()..key.len() - ".bin".len()];
            if hex::encode(Sha256::digest(&bytes)) == want
                && let Some(peaks) = Peaks::from_bytes(&bytes)
                && peaks.bins() == PEAKS_BINS
            {
                return Ok(Some(peaks));
            }
            tracing::warn!(recording = %rec.id, %key, "cached peaks damaged; making them again");
            self.store.delete(&key).await.map_err(unavailable)?;
        }
        Ok(None)
    }

    async fn make_peaks(&self, rec: &Recording) -> Result<Peaks, MediaError> {
        let source = self.stage_source(rec).await?;
        let from = rec.format;
        let made = tokio::task::spawn_blocking(move || {
            callvault_media::peaks::peaks(source.open()?, from, PEAKS_BINS)
        })
        .await
        .map_err(|e| MediaError::Unavailable(format!("peaks task failed: {e}")))?;
        made.map_err(|e| match e {
            TranscodeError::Io(e) => MediaError::Unavailable(e.to_string()),
            other => MediaError::Unconvertible(other.to_string()),
        })
    }
}

/// A `Range` header (RFC 9110 §14.1.2) against a file of `total` bytes: one
/// range of `bytes`, as end-exclusive offsets. A header this does not
/// understand (another unit, several ranges) is ignored (the whole file,
/// as RFC 9110 allows); a range that starts past the end is unsatisfiable.
pub fn parse_range(header: &str, total: u64) -> Result<Option<Range<u64>>, ServeError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return Ok(None) };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let unsatisfiable = ServeError::RangeNotSatisfiable { total };
    let r = match (a.trim(), b.trim()) {
        ("", n) => {
            let Some(n) = num(n) else { return Ok(None) };
            if n == 0 || total == 0 {
                return Err(unsatisfiable);
            }
            total.saturating_sub(n)..total
        }
        (a, "") => {
            let Some(a) = num(a) else { return Ok(None) };
            if a >= total {
                return Err(unsatisfiable);
            }
            a..total
        }
        (a, b) => {
            let (Some(a), Some(b)) = (num(a), num(b)) else { return Ok(None) };
            if b < a {
                return Ok(None);
            }
            if a >= total {
                return Err(unsatisfiable);
            }
            a..b.saturating_add(1).min(total)
        }
    };
    Ok(Some(r))
}

/// Every byte of an object being read.
async fn collect(read: callvault_store::blob::ObjectRead) -> Result<Bytes, MediaError> {
    let mut buf = BytesMut::with_capacity(read.size.min(1 << 30) as usize);
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk.map_err(unavailable)?);
    }
    Ok(buf.freeze())
}

fn unavailable(e: BlobError) -> MediaError {
    MediaError::Unavailable(e.to_string())
}

fn unreadable(e: ReadError) -> MediaError {
    if matches!(e, ReadError::Crypt(_)) {
        tracing::error!(error = %e, "a stored recording failed decryption");
    }
    MediaError::Unavailable(e.to_string())
}

/// A staging file as an [`std::io::Write`].
struct StagingWrite(StagingFile);

impl std::io::Write for StagingWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One destination's view of the [`MediaService`].
struct DestinationMedia {
    service: Arc<MediaService>,
    destination_id: Uuid,
    signer: LinkSigner,
    ttl: Duration,
}

#[async_trait]
impl Media for DestinationMedia {
    async fn audio(&self, rec: &Recording, format: DeliveryFormat) -> Result<Audio, MediaError> {
        self.service.audio(rec, format).await
    }

    async fn size_hint(&self, rec: &Recording, format: DeliveryFormat) -> Result<u64, MediaError> {
        Ok(self.service.size_hint(rec, format))
    }

    fn link(&self, rec: &Recording, format: DeliveryFormat) -> String {
        // The edge reads the clock here; signing itself is pure.
        let now =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let expires = now.saturating_add(self.ttl.as_secs());
        let ext = link_extension(rec.format, format);
        self.signer.link(&self.service.public_url, self.destination_id, rec.id, ext, expires)
    }
}
