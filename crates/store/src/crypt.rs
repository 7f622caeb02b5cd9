//! Encryption at rest: a chunked AEAD object format and the key hierarchy
//! (master keys wrap per-recording data keys). Sans-IO: bytes in, bytes
//! out; the only I/O helper, [`encrypt_stream`], works on `Read`/`Write`.
//!
//! ```text
//! object  = header ‖ chunk₀ ‖ chunk₁ ‖ … ‖ chunkₙ₋₁
//! header  = "CVEN" ‖ version (1) ‖ algorithm (1 = AES-256-GCM) ‖ 0x0000
//!           ‖ chunk size (u32 BE, 65536) ‖ nonce prefix (8 random bytes)
//! chunkᵢ  = AES-256-GCM(data key, nonce = prefix ‖ i (u32 BE),
//!                       aad = header ‖ binding ‖ i (u32 BE) ‖ final (u8),
//!                       plaintext[i·65536 .. (i+1)·65536]) ‖ 16-byte tag
//! ```
//!
//! Every chunk but the last holds exactly [`CHUNK_SIZE`] plaintext bytes;
//! the last holds the rest (an empty object is one empty final chunk). The
//! chunk index in the nonce and the AAD makes reordering and swapping
//! chunks fail; the final flag makes a truncation at a chunk boundary fail;
//! the header in the AAD makes a changed header fail; the binding (the
//! recording's id) makes an object moved under another recording fail.
//! Because every chunk has a fixed place, the ciphertext bytes covering a
//! plaintext range are a pure function of the plaintext length
//! ([`cipher_range`]): a Range read opens only the chunks it needs.
//!
//! Keys: a random 32-byte data key per recording encrypts its object; the
//! data key is stored in the catalog wrapped ([`wrap_data_key`], AES-256-GCM
//! with a random nonce, the master key id and the binding as AAD) by a
//! master key from the configuration. Rotating a master key re-wraps data
//! keys; the audio is never rewritten. [`key_check_value`] lets start-up
//! tell a wrong master key from the right one without decrypting audio.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::ops::Range;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use hmac::{Hmac, Mac};
use zeroize::Zeroize;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// The AEAD tag after each chunk.
pub const TAG_LEN: usize = 16;
/// The fixed header before the first chunk.
pub const HEADER_LEN: usize = 20;
const MAGIC: &[u8; 4] = b"CVEN";
const VERSION: u8 = 1;
const ALG_AES_256_GCM: u8 = 1;
/// The stored size of one full chunk.
const SEALED_CHUNK: u64 = (CHUNK_SIZE + TAG_LEN) as u64;
/// Version byte of a wrapped data key.
const WRAP_VERSION: u8 = 1;
/// version ‖ nonce ‖ wrapped key ‖ tag.
pub const WRAPPED_KEY_LEN: usize = 1 + 12 + 32 + TAG_LEN;

/// Why encrypted bytes could not be opened, or keys not used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptError {
    #[error("not an encrypted object (bad header)")]
    BadHeader,
    #[error("unsupported encrypted object version {0}")]
    UnsupportedVersion(u8),
    #[error("chunk {index} failed authentication (damaged, truncated, reordered or wrong key)")]
    Chunk { index: u64 },
    #[error("the encrypted object is {got} bytes where {want} were expected")]
    Length { got: u64, want: u64 },
    #[error(
        "the wrapped data key cannot be opened with master key {key_id} (wrong key or damaged)"
    )]
    Unwrap { key_id: String },
    #[error("master key {0:?} is not configured")]
    MissingKey(String),
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("i/o error: {0}")]
    Io(String),
}

/// A 32-byte AES-256 key, wiped from memory when dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Key32([u8; 32]);

impl Drop for Key32 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(redacted)")
    }
}

impl Key32 {
    /// A fresh random key (the thread's CSPRNG, seeded by the OS).
    pub fn random() -> Self {
        Key32(rand::random())
    }

    /// Exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            CryptError::InvalidKey(format!("{} bytes where 32 are needed", bytes.len()))
        })?;
        Ok(Key32(arr))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }
}

/// A recording's data key: encrypts its object.
pub type DataKey = Key32;

/// A master key: wraps data keys.
pub type MasterKey = Key32;

/// Master keys by id and the one new data keys are wrapped with.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<String, MasterKey>,
    active: Option<String>,
}

impl Keyring {
    /// A keyring of `keys`; `active` must be one of them.
    pub fn new(
        keys: BTreeMap<String, MasterKey>,
        active: Option<String>,
    ) -> Result<Self, CryptError> {
        if let Some(a) = active.as_ref().filter(|a| !keys.contains_key(*a)) {
            return Err(CryptError::MissingKey(a.clone()));
        }
        for id in keys.keys() {
            validate_key_id(id)?;
        }
        Ok(Keyring { keys, active })
    }

    /// The id of the key new data keys are wrapped with.
    pub fn active_id(&self) -> Option<&str> {
        self.active.as_deref()
    }

    /// Every configured key id.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    pub fn get(&self, id: &str) -> Option<&MasterKey> {
        self.keys.get(id)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A new data key for the recording `binding` names, wrapped by the
    /// active master key: (data key, active key id, wrapped key).
    pub fn new_data_key(&self, binding: &[u8]) -> Result<(DataKey, String, Vec<u8>), CryptError> {
        let id = self.active.clone().ok_or_else(|| {
            CryptError::MissingKey("(none: encryption.active_key is not set)".into())
        })?;
        let master = self.get(&id).ok_or_else(|| CryptError::MissingKey(id.clone()))?;
        let key = DataKey::random();
        let wrapped = wrap_data_key(master, &id, &key, binding);
        Ok((key, id, wrapped))
    }

    /// Open a wrapped data key with the master key it names.
    pub fn unwrap(
        &self,
        key_id: &str,
        wrapped: &[u8],
        binding: &[u8],
    ) -> Result<DataKey, CryptError> {
        let master = self.get(key_id).ok_or_else(|| CryptError::MissingKey(key_id.to_owned()))?;
        unwrap_data_key(master, key_id, wrapped, binding)
    }
}

/// Key ids: 1-64 characters of `[A-Za-z0-9._-]`.
pub fn validate_key_id(id: &str) -> Result<(), CryptError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CryptError::InvalidKey(format!(
            "key id {id:?}: use 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'"
        )))
    }
}

/// A value that identifies a master key without revealing it: the first 16
/// bytes of HMAC-SHA256(key, "callvault key check v1"), in hex. Stored in
/// the catalog per key id, so that start-up detects a wrong key.
pub fn key_check_value(key: &MasterKey) -> String {
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key.0).expect("hmac takes keys of any length");
    mac.update(b"callvault key check v1");
    hex::encode(&mac.finalize().into_bytes()[..16])
}

fn wrap_aad(key_id: &str, binding: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + key_id.len() + binding.len());
    aad.extend_from_slice(b"callvault data key v1");
    aad.push(key_id.len() as u8);
    aad.extend_from_slice(key_id.as_bytes());
    aad.extend_from_slice(binding);
    aad
}

/// Wrap a data key under a master key (AES-256-GCM, random nonce; the
/// master key id and the binding are authenticated).
pub fn wrap_data_key(master: &MasterKey, key_id: &str, data: &DataKey, binding: &[u8]) -> Vec<u8> {
    let nonce: [u8; 12] = rand::random();
    let mut buf = data.0.to_vec();
    let tag = master
        .cipher()
        .encrypt_in_place_detached(
            GenericArray::from_slice(&nonce),
            &wrap_aad(key_id, binding),
            &mut buf,
        )
        .expect("32 bytes are within AES-GCM's limits");
    let mut out = Vec::with_capacity(WRAPPED_KEY_LEN);
    out.push(WRAP_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    out.extend_from_slice(&tag);
    buf.zeroize();
    out
}

/// Open a wrapped data key.
pub fn unwrap_data_key(
    master: &MasterKey,
    key_id: &str,
    wrapped: &[u8],
    binding: &[u8],
) -> Result<DataKey, CryptError> {
    let fail = || CryptError::Unwrap { key_id: key_id.to_owned() };
    if wrapped.len() != WRAPPED_KEY_LEN || wrapped[0] != WRAP_VERSION {
        return Err(fail());
    }
    let nonce = &wrapped[1..13];
    let mut buf = wrapped[13..45].to_vec();
    let tag = GenericArray::from_slice(&wrapped[45..]);
    master
        .cipher()
        .decrypt_in_place_detached(
            GenericArray::from_slice(nonce),
            &wrap_aad(key_id, binding),
            &mut buf,
            tag,
        )
        .map_err(|_| fail())?;
    let key = DataKey::from_slice(&buf);
    buf.zeroize();
    key
}

/// The parsed header of an encrypted object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub nonce_prefix: [u8; 8],
}

impl Header {
    /// A header with a fresh random nonce prefix.
    pub fn random() -> Self {
        Header { nonce_prefix: rand::random() }
    }

    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(MAGIC);
        h[4] = VERSION;
        h[5] = ALG_AES_256_GCM;
        // h[6..8] reserved, zero.
        h[8..12].copy_from_slice(&(CHUNK_SIZE as u32).to_be_bytes());
        h[12..20].copy_from_slice(&self.nonce_prefix);
        h
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, CryptError> {
        if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
            return Err(CryptError::BadHeader);
        }
        if bytes[4] != VERSION {
            return Err(CryptError::UnsupportedVersion(bytes[4]));
        }
        let chunk = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if bytes[5] != ALG_AES_256_GCM || bytes[6..8] != [0, 0] || chunk as usize != CHUNK_SIZE {
            return Err(CryptError::BadHeader);
        }
        let mut nonce_prefix = [0u8; 8];
        nonce_prefix.copy_from_slice(&bytes[12..20]);
        Ok(Header { nonce_prefix })
    }
}

/// How many chunks an object of `plain_len` bytes has (at least one).
pub fn chunk_count(plain_len: u64) -> u64 {
    plain_len.div_ceil(CHUNK_SIZE as u64).max(1)
}

/// The stored size of an object of `plain_len` plaintext bytes.
pub fn ciphertext_len(plain_len: u64) -> u64 {
    HEADER_LEN as u64 + plain_len + chunk_count(plain_len) * TAG_LEN as u64
}

/// Where a plaintext range lives in the stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CipherRange {
    /// The chunks that cover the range.
    pub chunks: Range<u64>,
    /// Their stored bytes (header excluded).
    pub bytes: Range<u64>,
    /// Plaintext bytes to drop from the start of the first chunk.
    pub skip: u64,
    /// Plaintext bytes to keep after that.
    pub take: u64,
}

/// The chunks and stored bytes that cover `plain` in an object of
/// `plain_len` plaintext bytes. `plain` must lie within `0..plain_len`
/// (an empty range maps to the first chunk, read for nothing).
pub fn cipher_range(plain_len: u64, plain: Range<u64>) -> CipherRange {
    let chunk = CHUNK_SIZE as u64;
    let end = plain.end.min(plain_len);
    let start = plain.start.min(end);
    let first = start / chunk;
    let last = if end > start { (end - 1) / chunk } else { first };
    let last = last.min(chunk_count(plain_len) - 1);
    let first = first.min(last);
    let byte_start = HEADER_LEN as u64 + first * SEALED_CHUNK;
    let last_plain = (plain_len - last * chunk).min(chunk);
    let byte_end = HEADER_LEN as u64 + last * SEALED_CHUNK + last_plain + TAG_LEN as u64;
    CipherRange {
        chunks: first..last + 1,
        bytes: byte_start..byte_end,
        skip: start - first * chunk,
        take: end - start,
    }
}

fn chunk_nonce(header: &Header, index: u64) -> Result<[u8; 12], CryptError> {
    let index32 = u32::try_from(index).map_err(|_| CryptError::Chunk { index })?;
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(&header.nonce_prefix);
    n[8..].copy_from_slice(&index32.to_be_bytes());
    Ok(n)
}

fn chunk_aad(header: &[u8; HEADER_LEN], binding: &[u8], index: u64, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + binding.len() + 5);
    aad.extend_from_slice(header);
    aad.extend_from_slice(binding);
    aad.extend_from_slice(&(index as u32).to_be_bytes());
    aad.push(u8::from(last));
    aad
}

/// Seals chunks of one object.
pub struct Sealer {
    cipher: Aes256Gcm,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    binding: Vec<u8>,
}

impl Sealer {
    pub fn new(key: &DataKey, header: Header, binding: &[u8]) -> Self {
        Sealer {
            cipher: key.cipher(),
            header,
            header_bytes: header.to_bytes(),
            binding: binding.to_vec(),
        }
    }

    /// The header to write first.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        self.header_bytes
    }

    /// Encrypt chunk `index` in place and append its tag.
    pub fn seal(&self, index: u64, last: bool, chunk: &mut Vec<u8>) -> Result<(), CryptError> {
        let nonce = chunk_nonce(&self.header, index)?;
        let aad = chunk_aad(&self.header_bytes, &self.binding, index, last);
        let tag = self
            .cipher
            .encrypt_in_place_detached(GenericArray::from_slice(&nonce), &aad, chunk)
            .map_err(|_| CryptError::Chunk { index })?;
        chunk.extend_from_slice(&tag);
        Ok(())
    }
}

/// Opens chunks of one object whose plaintext length is known (from the
/// catalog), so that which chunk is the last one is known too.
pub struct Opener {
    cipher: Aes256Gcm,
    header: Header,
    header_bytes: [u8; HEADER_LEN],
    binding: Vec<u8>,
    last_index: u64,
}

impl Opener {
    /// `header` is the object's first [`HEADER_LEN`] bytes.
    pub fn new(
        key: &DataKey,
        header: &[u8],
        binding: &[u8],
        plain_len: u64,
    ) -> Result<Self, CryptError> {
        let parsed = Header::parse(header)?;
        Ok(Opener {
            cipher: key.cipher(),
            header: parsed,
            header_bytes: parsed.to_bytes(),
            binding: binding.to_vec(),
            last_index: chunk_count(plain_len) - 1,
        })
    }

    /// Decrypt sealed chunk `index` (ciphertext and tag) in place.
    pub fn open(&self, index: u64, sealed: &mut Vec<u8>) -> Result<(), CryptError> {
        let fail = CryptError::Chunk { index };
        if sealed.len() < TAG_LEN || index > self.last_index {
            return Err(fail);
        }
        let split = sealed.len() - TAG_LEN;
        let tag = GenericArray::clone_from_slice(&sealed[split..]);
        sealed.truncate(split);
        let nonce = chunk_nonce(&self.header, index)?;
        let aad = chunk_aad(&self.header_bytes, &self.binding, index, index == self.last_index);
        self.cipher
            .decrypt_in_place_detached(GenericArray::from_slice(&nonce), &aad, sealed, &tag)
            .map_err(|_| fail)
    }
}

/// Decrypts the stored bytes of a [`CipherRange`] as they arrive, in any
/// slicing, and yields exactly the plaintext asked for. Memory: one chunk.
pub struct RangeDecryptor {
    opener: Opener,
    plain_len: u64,
    next_index: u64,
    end_index: u64,
    buf: Vec<u8>,
    skip: u64,
    remaining: u64,
}

impl RangeDecryptor {
    pub fn new(opener: Opener, plain_len: u64, range: &CipherRange) -> Self {
        RangeDecryptor {
            opener,
            plain_len,
            next_index: range.chunks.start,
            end_index: range.chunks.end,
            buf: Vec::with_capacity(SEALED_CHUNK as usize),
            skip: range.skip,
            remaining: range.take,
        }
    }

    fn sealed_len(&self, index: u64) -> usize {
        let chunk = CHUNK_SIZE as u64;
        let plain = (self.plain_len.saturating_sub(index * chunk)).min(chunk);
        plain as usize + TAG_LEN
    }

    /// Feed stored bytes; returns the plaintext they completed.
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<u8>, CryptError> {
        let mut out = Vec::new();
        while !data.is_empty() {
            if self.next_index >= self.end_index {
                return Err(CryptError::Length { got: 1, want: 0 });
            }
            let want = self.sealed_len(self.next_index);
            let n = (want - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buf.len() == want {
                self.opener.open(self.next_index, &mut self.buf)?;
                let skip = (self.skip as usize).min(self.buf.len());
                let take = ((self.buf.len() - skip) as u64).min(self.remaining) as usize;
                out.extend_from_slice(&self.buf[skip..skip + take]);
                self.skip -= skip as u64;
                self.remaining -= take as u64;
                self.buf.clear();
                self.next_index += 1;
            }
        }
        Ok(out)
    }

    /// Every expected chunk arrived and opened.
    pub fn finish(&self) -> Result<(), CryptError> {
        if self.next_index < self.end_index || !self.buf.is_empty() {
            return Err(CryptError::Chunk { index: self.next_index });
        }
        Ok(())
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Encrypt everything `src` yields into `dst`, a chunk at a time (two
/// chunks in memory: one to seal, one read ahead to know whether it is the
/// last). Returns the plaintext length.
pub fn encrypt_stream(
    key: &DataKey,
    binding: &[u8],
    mut src: impl Read,
    mut dst: impl Write,
) -> std::io::Result<u64> {
    let sealer = Sealer::new(key, Header::random(), binding);
    dst.write_all(&sealer.header())?;
    let mut current = vec![0u8; CHUNK_SIZE];
    let n = read_full(&mut src, &mut current)?;
    current.truncate(n);
    let mut ahead = vec![0u8; CHUNK_SIZE];
    let mut index = 0u64;
    let mut total = 0u64;
    loop {
        let next = if current.len() == CHUNK_SIZE {
            ahead.resize(CHUNK_SIZE, 0);
            let m = read_full(&mut src, &mut ahead)?;
            ahead.truncate(m);
            m
        } else {
            0
        };
        let last = next == 0;
        total += current.len() as u64;
        current.reserve(TAG_LEN);
        sealer.seal(index, last, &mut current).map_err(std::io::Error::other)?;
        dst.write_all(&current)?;
        if last {
            break;
        }
        std::mem::swap(&mut current, &mut ahead);
        index += 1;
    }
    dst.flush()?;
    current.zeroize();
    ahead.zeroize();
    Ok(total)
}

/// Decrypt a whole object held in memory (tests, small objects).
pub fn decrypt_all(
    key: &DataKey,
    binding: &[u8],
    sealed: &[u8],
    plain_len: u64,
) -> Result<Vec<u8>, CryptError> {
    let want = ciphertext_len(plain_len);
    if sealed.len() as u64 != want {
        return Err(CryptError::Length { got: sealed.len() as u64, want });
    }
    let opener = Opener::new(key, &sealed[..HEADER_LEN], binding, plain_len)?;
    let range = cipher_range(plain_len, 0..plain_len);
    let mut d = RangeDecryptor::new(opener, plain_len, &range);
    let out = d.push(&sealed[range.bytes.start as usize..range.bytes.end as usize])?;
    d.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn encrypt(key: &DataKey, binding: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let n = encrypt_stream(key, binding, plain, &mut out).unwrap();
        assert_eq!(n, plain.len() as u64);
        out
    }

    /// Decrypt `range` reading only the stored bytes `cipher_range` names.
    fn read_range(
        key: &DataKey,
        binding: &[u8],
        sealed: &[u8],
        plain_len: u64,
        range: Range<u64>,
    ) -> Result<Vec<u8>, CryptError> {
        let cr = cipher_range(plain_len, range);
        let opener = Opener::new(key, &sealed[..HEADER_LEN], binding, plain_len)?;
        let mut d = RangeDecryptor::new(opener, plain_len, &cr);
        let slice = sealed
            .get(cr.bytes.start as usize..cr.bytes.end as usize)
            .ok_or(CryptError::Length { got: sealed.len() as u64, want: cr.bytes.end })?;
        let mut out = Vec::new();
        // In uneven pieces, as a network stream delivers them.
        for piece in slice.chunks(7919) {
            out.extend(d.push(piece)?);
        }
        d.finish()?;
        Ok(out)
    }

    #[test]
    fn sizes_and_ranges_round_trip() {
        let key = DataKey::random();
        let c = CHUNK_SIZE;
        let sizes = [0, 1, 15, 16, 17, c - 1, c, c + 1, 2 * c - 1, 2 * c, 2 * c + 1, 3 * c + 12345];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            if m == 0 { 0 } else { seed % m }
        };
        for &n in &sizes {
            let plain = data(n);
            let sealed = encrypt(&key, b"rec-1", &plain);
            assert_eq!(sealed.len() as u64, ciphertext_len(n as u64), "size {n}");
            assert_eq!(decrypt_all(&key, b"rec-1", &sealed, n as u64).unwrap(), plain, "size {n}");
            // Every boundary-adjacent range, then random ones.
            let len = n as u64;
            let mut ranges: Vec<Range<u64>> = Vec::new();
            for b in
                [0, 1, c as u64 - 1, c as u64, c as u64 + 1, 2 * c as u64, len.saturating_sub(1)]
            {
                for e in [b + 1, b + 2, c as u64, c as u64 + 1, 2 * c as u64 + 3, len] {
                    if b < e && e <= len {
                        ranges.push(b..e);
                    }
                }
            }
            for _ in 0..40 {
                if len == 0 {
                    break;
                }
                let a = next(len);
                let b = a + 1 + next(len - a);
                ranges.push(a..b);
            }
            for r in ranges {
                let got = read_range(&key, b"rec-1", &sealed, len, r.clone()).unwrap();
                assert_eq!(got, &plain[r.start as usize..r.end as usize], "size {n} range {r:?}");
                let cr = cipher_range(len, r.clone());
                assert!(cr.bytes.end <= sealed.len() as u64);
                assert_eq!(
                    cr.chunks.end - cr.chunks.start,
                    (cr.bytes.end - cr.bytes.start).div_ceil(SEALED_CHUNK)
                );
            }
        }
    }

    #[test]
    fn a_range_maps_to_the_chunks_that_cover_it() {
        let c = CHUNK_SIZE as u64;
        let len = 3 * c + 10;
        let h = HEADER_LEN as u64;
        let s = SEALED_CHUNK;
        assert_eq!(
            cipher_range(len, 0..1),
            CipherRange { chunks: 0..1, bytes: h..h + s, skip: 0, take: 1 }
        );
        assert_eq!(
            cipher_range(len, c - 1..c + 1),
            CipherRange { chunks: 0..2, bytes: h..h + 2 * s, skip: c - 1, take: 2 }
        );
        assert_eq!(
            cipher_range(len, 3 * c..len),
            CipherRange { chunks: 3..4, bytes: h + 3 * s..h + 3 * s + 10 + 16, skip: 0, take: 10 }
        );
        assert_eq!(cipher_range(len, 0..len).bytes.end, ciphertext_len(len));
    }

    #[test]
    fn tampering_is_detected_never_decrypted_to_garbage() {
        let key = DataKey::random();
        let n = 2 * CHUNK_SIZE + 100;
        let plain = data(n);
        let sealed = encrypt(&key, b"rec-1", &plain);
        let len = n as u64;
        // A flipped bit anywhere: header, first chunk, tag, last chunk.
        for pos in
            [0, 5, 13, HEADER_LEN, HEADER_LEN + 500, HEADER_LEN + CHUNK_SIZE + 3, sealed.len() - 1]
        {
            let mut bad = sealed.clone();
            bad[pos] ^= 0x01;
            assert!(decrypt_all(&key, b"rec-1", &bad, len).is_err(), "flip at {pos}");
        }
        // Two chunks swapped (same length: the first two).
        let s = SEALED_CHUNK as usize;
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN..HEADER_LEN + s, HEADER_LEN + s..HEADER_LEN + 2 * s);
        let first = sealed[a.clone()].to_vec();
        swapped[a.clone()].copy_from_slice(&sealed[b.clone()]);
        swapped[b].copy_from_slice(&first);
        assert_eq!(decrypt_all(&key, b"rec-1", &swapped, len), Err(CryptError::Chunk { index: 0 }));
        // Truncated at a chunk boundary, with the catalog's length adjusted
        // to match: the non-final chunk is not accepted as the last one.
        let cut = &sealed[..HEADER_LEN + 2 * s];
        assert_eq!(
            decrypt_all(&key, b"rec-1", cut, 2 * CHUNK_SIZE as u64),
            Err(CryptError::Chunk { index: 1 })
        );
        // Truncated against the catalog's length.
        assert!(matches!(decrypt_all(&key, b"rec-1", cut, len), Err(CryptError::Length { .. })));
        // The object of another recording, or another key.
        assert!(decrypt_all(&key, b"rec-2", &sealed, len).is_err());
        assert!(decrypt_all(&DataKey::random(), b"rec-1", &sealed, len).is_err());
        // A range read of a damaged chunk fails; the good chunks still read.
        let mut bad = sealed.clone();
        bad[HEADER_LEN + s + 10] ^= 0x80;
        assert_eq!(read_range(&key, b"rec-1", &bad, len, 0..10).unwrap(), &plain[..10]);
        assert_eq!(
            read_range(&key, b"rec-1", &bad, len, 10..CHUNK_SIZE as u64 + 5),
            Err(CryptError::Chunk { index: 1 })
        );
        // Same plaintext again: another nonce prefix, other bytes.
        assert_ne!(encrypt(&key, b"rec-1", &plain), sealed);
        // Extra bytes after the last chunk.
        let mut d = RangeDecryptor::new(
            Opener::new(&key, &sealed[..HEADER_LEN], b"rec-1", len).unwrap(),
            len,
            &cipher_range(len, 0..len),
        );
        assert!(d.push(&sealed[HEADER_LEN..]).is_ok());
        assert!(d.push(b"x").is_err());
    }

    #[test]
    fn data_keys_wrap_under_a_master_key_bound_to_key_id_and_recording() {
        let master = MasterKey::random();
        let data_key = DataKey::random();
        let wrapped = wrap_data_key(&master, "k1", &data_key, b"rec-1");
        assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
        assert_eq!(unwrap_data_key(&master, "k1", &wrapped, b"rec-1").unwrap(), data_key);
        let unwrap_err = Err(CryptError::Unwrap { key_id: "k1".into() });
        assert_eq!(unwrap_data_key(&MasterKey::random(), "k1", &wrapped, b"rec-1"), unwrap_err);
        assert_eq!(unwrap_data_key(&master, "k1", &wrapped, b"rec-2"), unwrap_err);
        assert!(unwrap_data_key(&master, "k2", &wrapped, b"rec-1").is_err());
        let mut bad = wrapped.clone();
        bad[20] ^= 1;
        assert_eq!(unwrap_data_key(&master, "k1", &bad, b"rec-1"), unwrap_err);
        assert_eq!(unwrap_data_key(&master, "k1", &wrapped[..10], b"rec-1"), unwrap_err);
    }

    #[test]
    fn keyring_wraps_with_the_active_key_and_check_values_tell_keys_apart() {
        let (k1, k2) = (MasterKey::random(), MasterKey::random());
        assert_eq!(key_check_value(&k1), key_check_value(&k1.clone()));
        assert_ne!(key_check_value(&k1), key_check_value(&k2));
        let ring = Keyring::new(
            BTreeMap::from([("k1".to_owned(), k1.clone()), ("k2".to_owned(), k2)]),
            Some("k2".into()),
        )
        .unwrap();
        let (dk, id, wrapped) = ring.new_data_key(b"r").unwrap();
        assert_eq!(id, "k2");
        assert_eq!(ring.unwrap("k2", &wrapped, b"r").unwrap(), dk);
        assert_eq!(ring.unwrap("k9", &wrapped, b"r"), Err(CryptError::MissingKey("k9".into())));
        assert!(Keyring::new(BTreeMap::from([("k1".to_owned(), k1)]), Some("k2".into())).is_err());
        assert!(Keyring::default().new_data_key(b"r").is_err());
        assert!(validate_key_id("bad id").is_err());
        assert_eq!(format!("{:?}", DataKey::random()), "Key32(redacted)");
    }
}
