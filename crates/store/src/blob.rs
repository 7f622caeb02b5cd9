//! Object stores: local disk by default, S3-compatible, GCS and Azure by URL,
//! all through the `object_store` crate.
//!
//! An object is written in two steps. First the bytes are streamed into a
//! staging file on local disk ([`StagingFile`]), hashed on the way and
//! fsynced; nothing about them is visible yet. Then [`BlobStore::commit`]
//! moves them into the store under their final key, create-only, durably,
//! and reads them back to check the sha256. Memory use is independent of the
//! object's size throughout.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    WriteMultipart,
};
use sha2::{Digest, Sha256};

/// Objects up to this size go to remote stores in one conditional PUT
/// (`If-None-Match: *`); larger ones as a multipart upload.
const SINGLE_PUT_MAX: u64 = 16 * 1024 * 1024;
/// Part size of multipart uploads and the read buffer of verification.
const PART_SIZE: usize = 8 * 1024 * 1024;
const READ_BUF: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object {key} already exists")]
    AlreadyExists { key: String },
    #[error("object {key} not found")]
    NotFound { key: String },
    #[error("object {key} failed verification: {reason}")]
    Verification { key: String, reason: String },
    #[error("invalid store configuration: {0}")]
    Config(String),
    #[error("store i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("store error: {0}")]
    Store(String),
}

impl BlobError {
    /// The local file system has no room (ENOSPC, or a quota: EDQUOT).
    pub fn is_out_of_space(&self) -> bool {
        match self {
            BlobError::Io(e) => {
                e.kind() == std::io::ErrorKind::StorageFull
                    || e.kind() == std::io::ErrorKind::QuotaExceeded
                    || matches!(e.raw_os_error(), Some(28 | 122))
            }
            _ => false,
        }
    }

    fn from_store(err: object_store::Error, key: &str) -> Self {
        match err {
            object_store::Error::AlreadyExists { .. } => {
                BlobError::AlreadyExists { key: key.to_owned() }
            }
            object_store::Error::NotFound { .. } => BlobError::NotFound { key: key.to_owned() },
            other => BlobError::Store(other.to_string()),
        }
    }
}

/// How to reach one store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The store's name in the catalog's copy rows (`primary`, ...).
    pub name: String,
    /// `file:///abs/path`, `file://./relative`, `s3://bucket/prefix`,
    /// `gs://bucket`, `az://container`.
    pub url: String,
    /// Backend options as `object_store` names them (`aws_endpoint`,
    /// `aws_access_key_id`, `aws_allow_http`, `google_service_account`, ...).
    pub options: BTreeMap<String, String>,
    /// Where uploads are staged before they are committed. For local stores
    /// the staging directory is always inside the store root, so that a
    /// commit is a hard link on one filesystem.
    pub staging_dir: PathBuf,
}

/// A store of recording objects.
pub struct BlobStore {
    name: String,
    kind: &'static str,
    inner: Arc<dyn ObjectStore>,
    /// Set for `file://` stores: their root on the local filesystem.
    local_root: Option<PathBuf>,
    staging_dir: PathBuf,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore").field("name", &self.name).field("kind", &self.kind).finish()
    }
}

impl BlobStore {
    /// Open the store a configuration names, creating a local root if needed.
    pub fn open(config: &StoreConfig) -> Result<Self, BlobError> {
        if let Some(rest) = config.url.strip_prefix("file://") {
            let root = PathBuf::from(if rest.is_empty() { "." } else { rest });
            std::fs::create_dir_all(&root)?;
            let root = root.canonicalize()?;
            let staging_dir = root.join(".staging");
            std::fs::create_dir_all(&staging_dir)?;
            let inner = object_store::local::LocalFileSystem::new_with_prefix(&root)
                .map_err(|e| BlobError::Config(e.to_string()))?;
            return Ok(Self {
                name: config.name.clone(),
                kind: "file",
                inner: Arc::new(inner),
                local_root: Some(root),
                staging_dir,
            });
        }
        let url = url::Url::parse(&config.url)
            .map_err(|e| BlobError::Config(format!("store url is not a url: {e}")))?;
        let kind = match url.scheme() {
            "s3" | "s3a" => "s3",
            "gs" => "gcs",
            "az" | "azure" | "abfs" | "abfss" => "azure",
            other => {
                return Err(BlobError::Config(format!(
                    "unsupported store scheme {other:?}; use file://, s3://, gs:// or az://"
                )));
            }
        };
        // Our own keys: how often a failing request is retried (object_store
        // retries for up to 3 minutes by default, which a spill to the
        // fallback store or a storage job should not wait out).
        let mut options = config.options.clone();
        let max_retries = options.remove("max_retries");
        let retry_timeout = options.remove("retry_timeout_secs");
        let (store, prefix) = if kind == "s3" && (max_retries.is_some() || retry_timeout.is_some())
        {
            let mut retry = object_store::RetryConfig::default();
            if let Some(n) = max_retries {
                retry.max_retries = n
                    .parse()
                    .map_err(|_| BlobError::Config("max_retries must be a number".into()))?;
            }
            if let Some(secs) = retry_timeout {
                let secs: u64 = secs
                    .parse()
                    .map_err(|_| BlobError::Config("retry_timeout_secs must be a number".into()))?;
                retry.retry_timeout = std::time::Duration::from_secs(secs);
            }
            let mut builder = object_store::aws::AmazonS3Builder::new().with_url(url.as_str());
            for (k, v) in &options {
                let key = k
                    .parse::<object_store::aws::AmazonS3ConfigKey>()
                    .map_err(|e| BlobError::Config(e.to_string()))?;
                builder = builder.with_config(key, v);
            }
            let store =
                builder.with_retry(retry).build().map_err(|e| BlobError::Config(e.to_string()))?;
            let prefix =
                Path::from_url_path(url.path()).map_err(|e| BlobError::Config(e.to_string()))?;
            (Box::new(store) as Box<dyn ObjectStore>, prefix)
        } else {
            object_store::parse_url_opts(&url, options.iter())
                .map_err(|e| BlobError::Config(e.to_string()))?
        };
        let inner: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            Arc::from(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        std::fs::create_dir_all(&config.staging_dir)?;
        Ok(Self {
            name: config.name.clone(),
            kind,
            inner,
            local_root: None,
            staging_dir: config.staging_dir.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `file`, `s3`, `gcs` or `azure`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The local root of a `file://` store.
    pub fn local_root(&self) -> Option<&FsPath> {
        self.local_root.as_deref()
    }

    /// Start staging a new object for the process instance `owner`. The
    /// file is removed when the returned value (or the [`StagedObject`] it
    /// becomes) is dropped uncommitted.
    pub fn stage(&self, owner: &str) -> Result<StagingFile, BlobError> {
        StagingFile::create(&self.staging_dir, owner)
    }

    /// Remove staging files that a crash left behind, for the owners that
    /// `is_dead(owner, modified)` says are gone: those files were never
    /// acknowledged. Returns how many were removed.
    pub fn clean_staging(
        &self,
        is_dead: impl Fn(&str, std::time::SystemTime) -> bool,
    ) -> Result<usize, BlobError> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.staging_dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let owner = name.split_once('.').map_or("", |(o, _)| o);
            if is_dead(owner, meta.modified()?) {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Store a staged object under `key`: create-only (an existing object is
    /// never overwritten), durable (fsynced locally, a confirmed PUT
    /// remotely) and verified (read back and hashed). The staging file is
    /// removed afterwards, whatever the outcome.
    pub async fn commit(&self, staged: StagedObject, key: &str) -> Result<(), BlobError> {
        let result = self.commit_from(&staged, key).await;
        drop(staged);
        result
    }

    /// [`commit`](Self::commit) without consuming the staged object, so
    /// that the same bytes can go to another store if this one fails (a
    /// spill to the fallback store). Staged bytes from another store's
    /// staging directory are copied into this store's first, so that a
    /// local store still commits by a hard link on its own filesystem.
    pub async fn commit_from(&self, staged: &StagedObject, key: &str) -> Result<(), BlobError> {
        match &self.local_root {
            Some(root) => {
                let root = root.clone();
                let key_owned = key.to_owned();
                let src = staged.path.clone();
                let staging = self.staging_dir.clone();
                tokio::task::spawn_blocking(move || {
                    if src.parent() == Some(staging.as_path()) {
                        return link_durably(&root, &src, &key_owned);
                    }
                    // Keep the owner prefix, so that recovery knows whose it is.
                    let name = src.file_name().map(|n| n.to_string_lossy().into_owned());
                    let owner =
                        name.as_deref().and_then(|n| n.split_once('.')).map_or("x", |p| p.0);
                    let tmp = staging.join(format!("{owner}.{}.part", uuid::Uuid::now_v7()));
                    let linked = std::fs::copy(&src, &tmp)
                        .and_then(|_| File::open(&tmp)?.sync_all())
                        .map_err(BlobError::from)
                        .and_then(|()| link_durably(&root, &tmp, &key_owned));
                    let _ = std::fs::remove_file(&tmp);
                    linked
                })
                .await
                .map_err(|e| BlobError::Store(e.to_string()))??;
            }
            None => self.upload(staged, key).await?,
        }
        self.verify(key, &staged.sha256, staged.size).await
    }

    /// Copy an object of `source` into this store under the same key,
    /// streamed through a staging file of this store: the bytes read must
    /// have `size` and `sha256` (else nothing is written), the write is
    /// create-only and read back as [`commit`](Self::commit) does. An
    /// object already here with the same bytes counts as copied.
    pub async fn copy_from(
        &self,
        source: &BlobStore,
        key: &str,
        size: u64,
        sha256: &str,
        owner: &str,
    ) -> Result<(), BlobError> {
        let mut staging = Some(self.stage(owner)?);
        let mut stream = source.get(key, None).await?.stream;
        let mut batch: Vec<u8> = Vec::with_capacity(READ_BUF);
        loop {
            let next = stream.next().await.transpose()?;
            if let Some(chunk) = &next {
                batch.extend_from_slice(chunk);
            }
            if batch.len() >= READ_BUF || (next.is_none() && !batch.is_empty()) {
                let mut file =
                    staging.take().ok_or_else(|| BlobError::Store("staging lost".into()))?;
                let data = std::mem::replace(&mut batch, Vec::with_capacity(READ_BUF));
                let file_back =
                    tokio::task::spawn_blocking(move || file.write(&data).map(|()| file))
                        .await
                        .map_err(|e| BlobError::Store(e.to_string()))??;
                staging = Some(file_back);
            }
            if next.is_none() {
                break;
            }
        }
        let file = staging.take().ok_or_else(|| BlobError::Store("staging lost".into()))?;
        let staged = tokio::task::spawn_blocking(move || file.finish())
            .await
            .map_err(|e| BlobError::Store(e.to_string()))??;
        if staged.size != size || staged.sha256 != sha256 {
            return Err(BlobError::Verification {
                key: key.to_owned(),
                reason: format!(
                    "the source copy read back as {} bytes with another sha256",
                    staged.size
                ),
            });
        }
        match self.commit(staged, key).await {
            Err(BlobError::AlreadyExists { .. }) => self.verify(key, sha256, size).await,
            other => other,
        }
    }

    async fn upload(&self, staged: &StagedObject, key: &str) -> Result<(), BlobError> {
        let path = Path::from(key);
        if staged.size <= SINGLE_PUT_MAX {
            let src = staged.path.clone();
            let data = tokio::task::spawn_blocking(move || std::fs::read(src))
                .await
                .map_err(|e| BlobError::Store(e.to_string()))??;
            let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
            self.inner
                .put_opts(&path, PutPayload::from(data), opts)
                .await
                .map_err(|e| BlobError::from_store(e, key))?;
            return Ok(());
        }
        // object_store has no conditional multipart upload. Keys carry a
        // fresh UUIDv7, so a collision means a bug; check anyway.
        match self.inner.head(&path).await {
            Ok(_) => return Err(BlobError::AlreadyExists { key: key.to_owned() }),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(BlobError::from_store(e, key)),
        }
        let upload =
            self.inner.put_multipart(&path).await.map_err(|e| BlobError::from_store(e, key))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let written: Result<(), BlobError> = async {
            let mut file = File::open(&staged.path)?;
            loop {
                let (f, chunk) = read_chunk_blocking(file, PART_SIZE).await?;
                file = f;
                if chunk.is_empty() {
                    return Ok(());
                }
                writer.wait_for_capacity(2).await.map_err(|e| BlobError::from_store(e, key))?;
                writer.write(&chunk);
            }
        }
        .await;
        match written {
            Ok(()) => {
                writer.finish().await.map_err(|e| BlobError::from_store(e, key))?;
                Ok(())
            }
            Err(e) => {
                // An incomplete multipart upload is invisible to listings
                // but still billed: abort it.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, "cannot abort a failed multipart upload");
                }
                Err(e)
            }
        }
    }

    /// Read the object back and check its size and sha256.
    pub async fn verify(&self, key: &str, sha256: &str, size: u64) -> Result<(), BlobError> {
        let actual = match &self.local_root {
            Some(root) => {
                let path = root.join(key);
                tokio::task::spawn_blocking(move || hash_file(&path))
                    .await
                    .map_err(|e| BlobError::Store(e.to_string()))?
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => BlobError::NotFound { key: key.to_owned() },
                        _ => BlobError::Io(e),
                    })?
            }
            None => {
                let mut stream = self.get(key, None).await?.stream;
                let mut hasher = Sha256::new();
                let mut n = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk?;
                    n += chunk.len() as u64;
                    hasher.update(&chunk);
                }
                (hex::encode(hasher.finalize()), n)
            }
        };
        if actual.1 != size {
            return Err(BlobError::Verification {
                key: key.to_owned(),
                reason: format!("size {} where {size} was written", actual.1),
            });
        }
        if actual.0 != sha256 {
            return Err(BlobError::Verification {
                key: key.to_owned(),
                reason: "sha256 differs".into(),
            });
        }
        Ok(())
    }

    /// Read an object, or a byte range of it.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<ObjectRead, BlobError> {
        let opts = GetOptions { range: range.map(GetRange::Bounded), ..Default::default() };
        let res = self
            .inner
            .get_opts(&Path::from(key), opts)
            .await
            .map_err(|e| BlobError::from_store(e, key))?;
        let size = res.meta.size;
        let range = res.range.clone();
        let stream = res.into_stream().map_err(|e| BlobError::Store(e.to_string())).boxed();
        Ok(ObjectRead { size, range, stream })
    }

    /// Size of an object, or None when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, BlobError> {
        match self.inner.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::from_store(e, key)),
        }
    }

    /// Delete an object; deleting a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(BlobError::from_store(e, key)),
        }
        if let Some(root) = &self.local_root {
            // Make the removal durable too, so that a crash cannot bring back
            // an object whose pending row is gone.
            if let Some(parent) = root.join(key).parent() {
                let _ = File::open(parent).and_then(|d| d.sync_all());
            }
        }
        Ok(())
    }

    /// Every object key under `prefix`.
    pub fn list(&self, prefix: &str) -> BoxStream<'_, Result<(String, u64), BlobError>> {
        let prefix = Path::from(prefix);
        self.inner
            .list(Some(&prefix))
            .map(|r| {
                r.map(|m| (m.location.to_string(), m.size))
                    .map_err(|e| BlobError::Store(e.to_string()))
            })
            .boxed()
    }
}

/// An object being read: its total size, the range served, and the bytes.
pub struct ObjectRead {
    pub size: u64,
    pub range: Range<u64>,
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

async fn read_chunk_blocking(mut file: File, max: usize) -> Result<(File, Vec<u8>), BlobError> {
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; max];
        let mut filled = 0;
        while filled < max {
            let n = file.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        Ok((file, buf))
    })
    .await
    .map_err(|e| BlobError::Store(e.to_string()))?
}

/// Hard-link the staged file to its final place (fails if it exists), then
/// fsync the directories the link and any new parents live in.
fn link_durably(root: &FsPath, src: &FsPath, key: &str) -> Result<(), BlobError> {
    if key.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(BlobError::Store(format!("invalid object key {key:?}")));
    }
    let dest = root.join(key);
    let parent =
        dest.parent().ok_or_else(|| BlobError::Store("object key has no parent".into()))?;
    std::fs::create_dir_all(parent)?;
    match std::fs::hard_link(src, &dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BlobError::AlreadyExists { key: key.to_owned() });
        }
        Err(e) => return Err(e.into()),
    }
    // Every directory from the object's up to the root, whether or not this
    // call created it: a concurrent upload may have created one and not yet
    // synced it, and this object is acknowledged as soon as we return.
    let mut dir = Some(parent);
    while let Some(d) = dir {
        File::open(d)?.sync_all()?;
        if d == root {
            break;
        }
        dir = d.parent().filter(|p| p.starts_with(root));
    }
    Ok(())
}

fn hash_file(path: &FsPath) -> std::io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_BUF];
    let mut n = 0u64;
    loop {
        let got = file.read(&mut buf)?;
        if got == 0 {
            break;
        }
        hasher.update(&buf[..got]);
        n += got as u64;
    }
    Ok((hex::encode(hasher.finalize()), n))
}

/// A file being staged: written and hashed chunk by chunk, on a blocking
/// thread. Dropped before [`finish`](Self::finish), it removes itself.
pub struct StagingFile {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    size: u64,
}

impl StagingFile {
    fn create(dir: &FsPath, owner: &str) -> Result<Self, BlobError> {
        if owner.is_empty() || !owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(BlobError::Store(format!("invalid staging owner {owner:?}")));
        }
        let path = dir.join(format!("{owner}.{}.part", uuid::Uuid::now_v7()));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(Self { path, file: Some(file), hasher: Sha256::new(), size: 0 })
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let file =
            self.file.as_mut().ok_or_else(|| BlobError::Store("staging file closed".into()))?;
        file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flush what was written to disk. A file system that accepted the
    /// writes into its cache may still have no room for them (delayed
    /// allocation): this is where it says so, while the bytes can still
    /// move ([`relocate`](Self::relocate)).
    pub fn sync(&mut self) -> Result<(), BlobError> {
        let file =
            self.file.as_mut().ok_or_else(|| BlobError::Store("staging file closed".into()))?;
        file.sync_all()?;
        Ok(())
    }

    /// Move what has been written so far into a new staging file of
    /// `target` (another file system: the fallback store's staging
    /// directory) and go on writing there. Only the bytes counted as
    /// written are copied (a write that failed half-way left more), so the
    /// running hash still describes the file. The old file is removed.
    pub fn relocate(&mut self, target: &BlobStore, owner: &str) -> Result<(), BlobError> {
        let mut next = StagingFile::create(&target.staging_dir, owner)?;
        let old = File::open(&self.path)?;
        let dest =
            next.file.as_mut().ok_or_else(|| BlobError::Store("staging file closed".into()))?;
        let copied = std::io::copy(&mut old.take(self.size), dest)?;
        if copied != self.size {
            return Err(BlobError::Store(format!(
                "staging file shrank to {copied} of {} bytes while moving it",
                self.size
            )));
        }
        next.hasher = self.hasher.clone();
        next.size = self.size;
        // The old file (and its descriptor) goes with `next` when it drops.
        std::mem::swap(self, &mut next);
        Ok(())
    }

    /// Flush and fsync; the object is then ready for [`BlobStore::commit`].
    pub fn finish(mut self) -> Result<StagedObject, BlobError> {
        let file =
            self.file.take().ok_or_else(|| BlobError::Store("staging file closed".into()))?;
        file.sync_all()?;
        drop(file);
        let hasher = std::mem::take(&mut self.hasher);
        let staged = StagedObject {
            path: std::mem::take(&mut self.path),
            size: self.size,
            sha256: hex::encode(hasher.finalize()),
        };
        Ok(staged)
    }
}

impl Drop for StagingFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Bytes staged on local disk, synced, with their size and sha256. The
/// staging file is removed when this is dropped.
#[derive(Debug)]
pub struct StagedObject {
    path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

impl StagedObject {
    /// Read the staged bytes (for callers that need to look at them again,
    /// such as a probe of the audio).
    pub fn open(&self) -> std::io::Result<File> {
        File::open(&self.path)
    }
}

impl Drop for StagedObject {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
