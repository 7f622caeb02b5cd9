//! Encryption at rest, the vault's side: master keys loaded from the
//! configuration, the start-up check of those keys against the catalog,
//! the one reader that every path uses to get a recording's audio back
//! (decrypting when it is encrypted), and rotation.
//!
//! The format and the key hierarchy are `callvault_store::crypt`'s.
//!
//! **Architecture invariant:** audio leaves the vault only through
//! [`RecordingReader::read`]; an object that fails authentication is an
//! error, never bytes. A wrong or missing master key stops the process at
//! start-up ([`check_keys`]), naming the key id.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use callvault_model::{Recording, TenantId};
use callvault_store::crypt::{
    self, CryptError, HEADER_LEN, Keyring, MasterKey, Opener, RangeDecryptor,
};
use callvault_store::{BlobError, BlobStore, Catalog, CatalogError, Rewrap};
use chrono::Utc;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// The `[encryption]` section.
///
/// ```toml
/// [encryption]
/// active_key = "k2026"
/// [encryption.keys]
/// k2026 = "env:CALLVAULT_MASTER_KEY_K2026"   # 32 bytes, base64 or hex
/// k2025 = "file:/etc/callvault/k2025.key"    # 32 raw bytes, or base64/hex text
/// test = "base64:AAAA..."                     # inline (or hex:...), for tests only
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EncryptionConfig {
    /// The master key that wraps new data keys; must be one of `keys`.
    pub active_key: Option<String>,
    /// Master keys by id, as a source: `env:NAME`, `file:/path`, or
    /// inline `base64:...` / `hex:...` (for tests).
    pub keys: BTreeMap<String, String>,
}

impl std::fmt::Debug for EncryptionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Inline keys are secrets: print only where each key comes from.
        let sources: BTreeMap<&str, &str> = self
            .keys
            .iter()
            .map(|(id, s)| (id.as_str(), s.split_once(':').map_or("?", |(kind, _)| kind)))
            .collect();
        f.debug_struct("EncryptionConfig")
            .field("active_key", &self.active_key)
            .field("keys", &sources)
            .finish()
    }
}

impl EncryptionConfig {
    /// Check the section's shape (not the keys themselves, which are read
    /// when the vault opens): `(key, message)` on error.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (id, source) in &self.keys {
            crypt::validate_key_id(id)
                .map_err(|e| (format!("encryption.keys.{id}"), e.to_string()))?;
            if !["env:", "file:", "base64:", "hex:"].iter().any(|p| source.starts_with(p)) {
                return Err((
                    format!("encryption.keys.{id}"),
                    "expected env:NAME, file:/path, base64:... or hex:...".into(),
                ));
            }
        }
        if let Some(active) = self.active_key.as_ref().filter(|a| !self.keys.contains_key(*a)) {
            return Err((
                "encryption.active_key".into(),
                format!("{active:?} is not one of encryption.keys"),
            ));
        }
        Ok(())
    }

    /// Read every key from its source.
    pub fn load(&self) -> Result<Keyring, EncryptionError> {
        self.load_with(|name| std::env::var(name).ok())
    }

    /// [`EncryptionConfig::load`] with the environment given.
    pub fn load_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Keyring, EncryptionError> {
        let mut keys = BTreeMap::new();
        for (id, source) in &self.keys {
            let bad = |reason: String| EncryptionError::KeySource { id: id.clone(), reason };
            let bytes = if let Some(name) = source.strip_prefix("env:") {
                let text = env(name)
                    .ok_or_else(|| bad(format!("environment variable {name} is not set")))?;
                decode_text_key(text.trim()).map_err(bad)?
            } else if let Some(path) = source.strip_prefix("file:") {
                let raw =
                    std::fs::read(path).map_err(|e| bad(format!("cannot read {path}: {e}")))?;
                if raw.len() == 32 {
                    raw
                } else {
                    let text = String::from_utf8(raw)
                        .map_err(|_| bad(format!("{path} holds neither 32 bytes nor text")))?;
                    decode_text_key(text.trim()).map_err(bad)?
                }
            } else if let Some(inline) = source.strip_prefix("base64:") {
                decode_text_key(inline.trim()).map_err(bad)?
            } else if let Some(inline) = source.strip_prefix("hex:") {
                hex::decode(inline.trim()).map_err(|_| bad("not hex".into()))?
            } else {
                return Err(bad("expected env:NAME, file:/path, base64:... or hex:...".into()));
            };
            let key = MasterKey::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
            keys.insert(id.clone(), key);
        }
        Keyring::new(keys, self.active_key.clone()).map_err(|e| EncryptionError::KeySource {
            id: self.active_key.clone().unwrap_or_default(),
            reason: e.to_string(),
        })
    }
}

/// 32 bytes as base64 (standard, padded or not) or as 64 hex digits.
fn decode_text_key(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex::decode(text).map_err(|e| e.to_string());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .map_err(|_| "not base64 or 64 hex digits".to_string())?;
    if bytes.len() != 32 {
        return Err(format!("{} bytes where 32 are needed", bytes.len()));
    }
    Ok(bytes)
}

/// What goes wrong with keys.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    #[error("master key {id:?} (encryption.keys.{id}): {reason}")]
    KeySource { id: String, reason: String },
    #[error(
        "master key {id:?} is not the key this catalog knows under that id (its key check value \
         differs): wrong key in encryption.keys.{id}"
    )]
    WrongKey { id: String },
    #[error(
        "master key {id:?} is missing from the configuration (encryption.keys.{id}) but wraps \
         {data_keys} recording keys in the catalog"
    )]
    MissingKey { id: String, data_keys: u64 },
    #[error("{tenants} tenant(s) have encryption enabled but encryption.active_key is not set")]
    NoActiveKey { tenants: usize },
    #[error("encryption.active_key is not set")]
    Inactive,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Crypt(#[from] CryptError),
}

/// The start-up check: every master key id the catalog knows that still
/// wraps a data key must be configured, every configured key must match
/// the check value the catalog holds for its id, and tenants that encrypt
/// need an active key. Configured keys the catalog does not know yet are
/// registered (so a later wrong key under that id is caught).
pub async fn check_keys(catalog: &dyn Catalog, keyring: &Keyring) -> Result<(), EncryptionError> {
    let known = catalog.master_keys().await?;
    for record in &known {
        match keyring.get(&record.id) {
            Some(key) if crypt::key_check_value(key) != record.check_value => {
                return Err(EncryptionError::WrongKey { id: record.id.clone() });
            }
            Some(_) => {}
            None if record.data_keys > 0 => {
                return Err(EncryptionError::MissingKey {
                    id: record.id.clone(),
                    data_keys: record.data_keys,
                });
            }
            // Rotated away from and no longer referenced: fine to drop.
            None => {}
        }
    }
    for id in keyring.ids() {
        if known.iter().any(|k| k.id == id) {
            continue;
        }
        let key = keyring.get(id).ok_or_else(|| CryptError::MissingKey(id.to_owned()))?;
        let mine = crypt::key_check_value(key);
        let stored = catalog.register_master_key(id, &mine, Utc::now()).await?;
        if stored != mine {
            // Another process registered another key under this id first.
            return Err(EncryptionError::WrongKey { id: id.to_owned() });
        }
    }
    if keyring.active_id().is_none() {
        let tenants = catalog.encrypted_tenants().await?.len();
        if tenants > 0 {
            return Err(EncryptionError::NoActiveKey { tenants });
        }
    }
    Ok(())
}

/// Why a recording's audio could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Store(#[from] BlobError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// No verified copy could be read.
    #[error(transparent)]
    Copies(#[from] crate::stores::ReadError),
    /// The stored object failed authentication (damaged, truncated,
    /// swapped) or its key cannot be opened.
    #[error("recording cannot be decrypted: {0}")]
    Crypt(#[from] CryptError),
}

/// A recording's audio (plaintext) being read.
pub struct PlainRead {
    /// The whole recording's length.
    pub size: u64,
    /// The range served.
    pub range: Range<u64>,
    /// Whether the stored object is encrypted.
    pub encrypted: bool,
    pub stream: BoxStream<'static, Result<Bytes, ReadError>>,
}

/// The one way to read a recording's audio back: plaintext objects as they
/// are, encrypted ones decrypted chunk by chunk, a range reading only the
/// chunks that cover it.
#[derive(Clone)]
pub struct RecordingReader {
    pub catalog: Arc<dyn Catalog>,
    /// The primary store (where derived media is cached).
    pub store: Arc<BlobStore>,
    /// Every store: the stored bytes come from any verified copy (copies
    /// are byte for byte the same, ciphertext included).
    pub stores: Arc<crate::stores::StoreSet>,
    pub keyring: Arc<Keyring>,
}

impl RecordingReader {
    /// Whether the recording's stored object is encrypted.
    pub async fn is_encrypted(&self, rec: &Recording) -> Result<bool, ReadError> {
        Ok(self.catalog.recording_key(rec.tenant_id, rec.id).await?.is_some())
    }

    /// The audio of `rec`, or the byte range `range` of it (within
    /// `0..rec.size_bytes`). For an encrypted recording the first chunk is
    /// opened before this returns, so a damaged object or an unusable key
    /// is an error here rather than in the middle of a response.
    pub async fn read(
        &self,
        rec: &Recording,
        range: Option<Range<u64>>,
    ) -> Result<PlainRead, ReadError> {
        let Some(key) = self.catalog.recording_key(rec.tenant_id, rec.id).await? else {
            let read = self.stores.read_recording(self.catalog.as_ref(), rec, range).await?;
            return Ok(PlainRead {
                size: read.size,
                range: read.range,
                encrypted: false,
                stream: read.stream.map_err(ReadError::from).boxed(),
            });
        };
        let binding = rec.id.0.as_bytes().to_vec();
        let data_key = self.keyring.unwrap(&key.master_key_id, &key.wrapped_key, &binding)?;
        let size = rec.size_bytes;
        let plain = range.unwrap_or(0..size);
        if plain.start > plain.end || plain.end > size {
            return Err(CryptError::Length { got: plain.end, want: size }.into());
        }
        let cr = crypt::cipher_range(size, plain.clone());
        // A read from the first chunk takes the header with it: one request.
        let from_start = cr.chunks.start == 0;
        let fetch = if from_start { 0..cr.bytes.end } else { cr.bytes.clone() };
        let header = if from_start {
            None
        } else {
            let mut h = Vec::with_capacity(HEADER_LEN);
            let mut s = self
                .stores
                .read_recording(self.catalog.as_ref(), rec, Some(0..HEADER_LEN as u64))
                .await?
                .stream;
            while let Some(chunk) = s.next().await {
                h.extend_from_slice(&chunk?);
            }
            Some(h)
        };
        let read = self.stores.read_recording(self.catalog.as_ref(), rec, Some(fetch)).await?;
        let state = Decrypting {
            inner: read.stream,
            header,
            pending_header: Vec::new(),
            key: data_key,
            binding,
            plain_len: size,
            range: cr,
            decryptor: None,
            done: false,
        };
        let mut stream = futures::stream::try_unfold(state, Decrypting::next)
            .try_filter(|b| futures::future::ready(!b.is_empty()))
            .boxed();
        // Open the first chunk now.
        let first = stream.next().await.transpose()?;
        let stream = futures::stream::iter(first.map(Ok)).chain(stream).boxed();
        Ok(PlainRead { size, range: plain, encrypted: true, stream })
    }
}

/// The state of one decrypting read.
struct Decrypting {
    inner: BoxStream<'static, Result<Bytes, BlobError>>,
    /// The header, when fetched apart; otherwise taken off the stream.
    header: Option<Vec<u8>>,
    pending_header: Vec<u8>,
    key: crypt::DataKey,
    binding: Vec<u8>,
    plain_len: u64,
    range: crypt::CipherRange,
    decryptor: Option<RangeDecryptor>,
    done: bool,
}

impl Decrypting {
    async fn next(mut self) -> Result<Option<(Bytes, Self)>, ReadError> {
        if self.done {
            return Ok(None);
        }
        match self.inner.next().await {
            Some(chunk) => {
                let mut chunk = chunk?;
                if self.decryptor.is_none() {
                    let header = match self.header.take() {
                        Some(h) => h,
                        None => {
                            let need = HEADER_LEN - self.pending_header.len();
                            let n = need.min(chunk.len());
                            self.pending_header.extend_from_slice(&chunk.split_to(n));
                            if self.pending_header.len() < HEADER_LEN {
                                return Ok(Some((Bytes::new(), self)));
                            }
                            std::mem::take(&mut self.pending_header)
                        }
                    };
                    let opener = Opener::new(&self.key, &header, &self.binding, self.plain_len)?;
                    self.decryptor = Some(RangeDecryptor::new(opener, self.plain_len, &self.range));
                }
                let out = match self.decryptor.as_mut() {
                    Some(d) => d.push(&chunk)?,
                    None => Vec::new(),
                };
                Ok(Some((Bytes::from(out), self)))
            }
            None => {
                self.done = true;
                match &self.decryptor {
                    Some(d) => d.finish()?,
                    None => return Err(CryptError::BadHeader.into()),
                }
                Ok(Some((Bytes::new(), self)))
            }
        }
    }
}

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    /// The key every data key is now wrapped by.
    pub active_key: String,
    /// Data keys re-wrapped by this run.
    pub rewrapped: u64,
    /// Batches written.
    pub batches: u64,
}

/// Re-wrap every data key not yet under the active master key, `batch` at
/// a time (each batch one transaction). Idempotent and resumable: a run
/// that stops leaves the rest for the next, which finds them the same way.
/// The audio is never touched.
pub async fn rotate(
    catalog: &dyn Catalog,
    keyring: &Keyring,
    batch: u32,
    actor: &str,
) -> Result<RotationReport, EncryptionError> {
    let active = keyring.active_id().ok_or(EncryptionError::Inactive)?.to_owned();
    let master = keyring.get(&active).ok_or_else(|| CryptError::MissingKey(active.clone()))?;
    let mut report = RotationReport { active_key: active.clone(), ..Default::default() };
    let mut after = None;
    loop {
        let page = catalog.recording_keys_not_under(&active, after, batch.max(1)).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.recording_id);
        let mut rewraps = Vec::with_capacity(page.len());
        for key in &page {
            let binding = key.recording_id.0.as_bytes();
            let data_key = keyring.unwrap(&key.master_key_id, &key.wrapped_key, binding)?;
            rewraps.push(Rewrap {
                recording_id: key.recording_id,
                from_key_id: key.master_key_id.clone(),
                to_key_id: active.clone(),
                wrapped_key: crypt::wrap_data_key(master, &active, &data_key, binding),
            });
        }
        report.rewrapped += catalog.rewrap_recording_keys(&rewraps, actor, Utc::now()).await?;
        report.batches += 1;
        tracing::info!(rewrapped = report.rewrapped, to = %active, "re-wrapped a batch of data keys");
    }
    Ok(report)
}

/// One master key as `encryption status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    pub id: String,
    /// In this process's configuration.
    pub configured: bool,
    pub active: bool,
    /// Data keys it wraps.
    pub data_keys: u64,
}

/// Encryption at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptionStatus {
    pub active_key: Option<String>,
    pub keys: Vec<KeyStatus>,
    pub encrypted_tenants: Vec<TenantId>,
    /// Data keys not yet under the active key (what `rotate` would do).
    pub pending_rotation: u64,
}

/// The keys the catalog and the configuration know, and who encrypts.
pub async fn status(
    catalog: &dyn Catalog,
    keyring: &Keyring,
) -> Result<EncryptionStatus, EncryptionError> {
    let mut keys: Vec<KeyStatus> = catalog
        .master_keys()
        .await?
        .into_iter()
        .map(|k| KeyStatus {
            configured: keyring.get(&k.id).is_some(),
            active: keyring.active_id() == Some(k.id.as_str()),
            id: k.id,
            data_keys: k.data_keys,
        })
        .collect();
    for id in keyring.ids() {
        if !keys.iter().any(|k| k.id == id) {
            keys.push(KeyStatus {
                id: id.to_owned(),
                configured: true,
                active: keyring.active_id() == Some(id),
                data_keys: 0,
            });
        }
    }
    let pending_rotation = keys.iter().filter(|k| !k.active).map(|k| k.data_keys).sum();
    Ok(EncryptionStatus {
        active_key: keyring.active_id().map(str::to_owned),
        keys,
        encrypted_tenants: catalog.encrypted_tenants().await?,
        pending_rotation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_load_from_env_file_and_inline_and_errors_name_the_key() {
        use base64::Engine;
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw.key");
        std::fs::write(&raw, [7u8; 32]).unwrap();
        let text = dir.path().join("text.key");
        std::fs::write(&text, format!("{}\n", hex::encode([8u8; 32]))).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        let config = EncryptionConfig {
            active_key: Some("e".into()),
            keys: BTreeMap::from([
                ("e".into(), "env:MY_KEY".into()),
                ("r".into(), format!("file:{}", raw.display())),
                ("t".into(), format!("file:{}", text.display())),
                ("i".into(), format!("base64:{b64}")),
            ]),
        };
        config.validate().unwrap();
        let env_b64 = b64.clone();
        let ring = config.load_with(|name| (name == "MY_KEY").then(|| env_b64.clone())).unwrap();
        assert_eq!(ring.active_id(), Some("e"));
        assert_eq!(ring.get("r"), Some(&MasterKey::from_slice(&[7u8; 32]).unwrap()));
        assert_eq!(ring.get("t"), Some(&MasterKey::from_slice(&[8u8; 32]).unwrap()));
        assert_eq!(ring.get("i"), ring.get("e"));
        let err = config.load_with(|_| None).unwrap_err().to_string();
        assert!(err.contains("\"e\"") && err.contains("MY_KEY is not set"), "{err}");
        let short = EncryptionConfig {
            active_key: None,
            keys: BTreeMap::from([("s".into(), "base64:AAAA".into())]),
        };
        let err = short.load().unwrap_err().to_string();
        assert!(err.contains("encryption.keys.s") && err.contains("3 bytes"), "{err}");
        let bad = EncryptionConfig { active_key: Some("x".into()), keys: BTreeMap::new() };
        assert_eq!(bad.validate().unwrap_err().0, "encryption.active_key");
        let printed = format!("{config:?}");
        assert!(!printed.contains(&b64), "inline keys are never printed: {printed}");
    }
}
