//! Audit cursors for tenant keys: the audit log's sequence is global, so
//! its numbers would show a tenant how much every other tenant did between
//! two of its own events. A tenant sees each event's sequence number only
//! as an opaque cursor: the number under a keyed permutation of 64-bit
//! values (an 8-round Feistel network over sha256), which it hands back as
//! `after`. Admins keep the stored numbers.
//!
//! The key lives in `data_dir/audit-cursor.key` (created at first start,
//! mode 0600). Servers that share one catalog need the same key file for a
//! cursor from one to work on another; a cursor that does not decode pages
//! from wherever it points, and never shows another tenant's events.

use std::io::Write;
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};

const ROUNDS: u8 = 8;

/// The secret of the permutation.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// Read the key at `path`, or make one there if there is none.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "expected 32 bytes")
                })?;
                Ok(Self(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                let tmp = path.with_extension("tmp");
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp)?;
                f.write_all(&key.0)?;
                f.sync_all()?;
                drop(f);
                // Two processes starting at once: the first rename wins and
                // both read what it wrote.
                std::fs::rename(&tmp, path)?;
                Self::load_or_create(path)
            }
            Err(e) => Err(e),
        }
    }

    fn round(&self, r: u8, half: u32) -> u32 {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update([r]);
        h.update(half.to_be_bytes());
        let d = h.finalize();
        u32::from_be_bytes([d[0], d[1], d[2], d[3]])
    }

    /// The cursor of sequence number `seq`.
    pub fn encode(&self, seq: i64) -> String {
        let v = seq as u64;
        let (mut l, mut r) = ((v >> 32) as u32, v as u32);
        for i in 0..ROUNDS {
            let next = l ^ self.round(i, r);
            l = r;
            r = next;
        }
        format!("{:016x}", (u64::from(l) << 32) | u64::from(r))
    }

    /// The sequence number of a cursor, None when it is not one.
    pub fn decode(&self, cursor: &str) -> Option<i64> {
        if cursor.len() != 16 {
            return None;
        }
        let v = u64::from_str_radix(cursor, 16).ok()?;
        let (mut l, mut r) = ((v >> 32) as u32, v as u32);
        for i in (0..ROUNDS).rev() {
            let prev = r ^ self.round(i, l);
            r = l;
            l = prev;
        }
        let seq = ((u64::from(l) << 32) | u64::from(r)) as i64;
        (seq >= 0).then_some(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_hide_the_order() {
        let k = CursorKey::from_bytes([7; 32]);
        for seq in [0, 1, 2, 41, 42, 1 << 40, i64::MAX] {
            assert_eq!(k.decode(&k.encode(seq)), Some(seq), "{seq}");
        }
        // Neighbours look unrelated.
        let (a, b) = (k.encode(41), k.encode(42));
        assert_ne!(a[..8], b[..8]);
        assert_eq!(k.decode("not a cursor"), None);
        assert_eq!(k.decode("zzzzzzzzzzzzzzzz"), None);
        let other = CursorKey::from_bytes([8; 32]);
        assert_ne!(other.encode(41), a);
    }

    #[test]
    fn the_key_is_kept_in_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit-cursor.key");
        let a = CursorKey::load_or_create(&path).unwrap();
        let b = CursorKey::load_or_create(&path).unwrap();
        assert_eq!(a.encode(5), b.encode(5));
    }
}
