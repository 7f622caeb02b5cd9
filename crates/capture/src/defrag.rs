//! IPv4/IPv6 fragment reassembly with a bounded pool. Time is the packet
//! timestamp; incomplete datagrams expire after [`DefragConfig::timeout`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::ip::Fragment;
use crate::time::Timestamp;

/// Limits of the reassembly pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragConfig {
    /// Datagrams under reassembly at once; the oldest is evicted beyond.
    pub max_datagrams: usize,
    /// Largest reassembled payload accepted.
    pub max_datagram_bytes: usize,
    /// An incomplete datagram is dropped this long after its first piece.
    pub timeout: Duration,
}

impl Default for DefragConfig {
    fn default() -> Self {
        Self { max_datagrams: 1024, max_datagram_bytes: 65_535, timeout: Duration::from_secs(30) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    first_seen: Timestamp,
    buf: Vec<u8>,
    /// Sorted, merged byte ranges received so far.
    ranges: Vec<(usize, usize)>,
    total: Option<usize>,
}

/// What became of a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefragOutcome {
    /// The datagram is whole: its upper-layer payload.
    Complete(Vec<u8>),
    /// Stored; more pieces are needed.
    Pending,
    /// The piece (and its datagram, if inconsistent) was dropped.
    Dropped,
}

/// Counters of the pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    pub fragments: u64,
    pub reassembled: u64,
    /// Datagrams dropped by timeout.
    pub expired: u64,
    /// Datagrams evicted because the pool was full.
    pub evicted: u64,
    /// Pieces that were inconsistent or too large.
    pub invalid: u64,
}

/// The reassembly pool.
#[derive(Debug, Default)]
pub struct Defragmenter {
    config: DefragConfig,
    pending: HashMap<Key, Pending>,
    stats: DefragStats,
}

/// Most distinct ranges kept per datagram (a hostile sender could send
/// 8-byte pieces with holes).
const MAX_RANGES: usize = 128;

impl Defragmenter {
    pub fn new(config: DefragConfig) -> Self {
        Self { config, pending: HashMap::new(), stats: DefragStats::default() }
    }

    pub fn stats(&self) -> DefragStats {
        self.stats
    }

    /// Datagrams currently waiting for pieces.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Adds one piece of datagram `(src, dst, proto, frag.id)`.
    pub fn push(
        &mut self,
        now: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        frag: Fragment,
        data: &[u8],
    ) -> DefragOutcome {
        self.stats.fragments += 1;
        let key = Key { src, dst, proto, id: frag.id };
        let start = frag.offset as usize;
        let end = start + data.len();
        let bad_size =
            end > self.config.max_datagram_bytes || (frag.more && !data.len().is_multiple_of(8));
        if bad_size || (frag.more && data.is_empty()) {
            self.stats.invalid += 1;
            self.pending.remove(&key);
            return DefragOutcome::Dropped;
        }
        if !self.pending.contains_key(&key) && self.pending.len() >= self.config.max_datagrams {
            self.expire(now);
            if self.pending.len() >= self.config.max_datagrams {
                let oldest = self.pending.iter().min_by_key(|(_, p)| p.first_seen).map(|(k, _)| *k);
                if let Some(k) = oldest {
                    self.pending.remove(&k);
                    self.stats.evicted += 1;
                }
            }
        }
        let entry = self.pending.entry(key).or_insert_with(|| Pending {
            first_seen: now,
            buf: Vec::new(),
            ranges: Vec::new(),
            total: None,
        });
        let conflict = match entry.total {
            Some(t) => end > t || (!frag.more && end != t),
            None => !frag.more && entry.ranges.last().is_some_and(|r| r.1 > end),
        };
        if conflict || entry.ranges.len() >= MAX_RANGES {
            self.stats.invalid += 1;
            self.pending.remove(&key);
            return DefragOutcome::Dropped;
        }
        if !frag.more {
            entry.total = Some(end);
        }
        if entry.buf.len() < end {
            entry.buf.resize(end, 0);
        }
        if let Some(dst) = entry.buf.get_mut(start..end) {
            dst.copy_from_slice(data);
        }
        insert_range(&mut entry.ranges, (start, end));
        let done = entry.total.is_some_and(|t| entry.ranges.as_slice() == [(0, t)]);
        if done {
            let p = self.pending.remove(&key);
            self.stats.reassembled += 1;
            return DefragOutcome::Complete(p.map(|p| p.buf).unwrap_or_default());
        }
        DefragOutcome::Pending
    }

    /// Drops datagrams older than the timeout.
    pub fn expire(&mut self, now: Timestamp) {
        let timeout = self.config.timeout;
        let before = self.pending.len();
        self.pending.retain(|_, p| now.saturating_since(p.first_seen) < timeout);
        self.stats.expired += (before - self.pending.len()) as u64;
    }
}

fn insert_range(ranges: &mut Vec<(usize, usize)>, (mut s, mut e): (usize, usize)) {
    if s == e {
        return;
    }
    let mut out = Vec::with_capacity(ranges.len() + 1);
    let mut placed = false;
    for &(rs, re) in ranges.iter() {
        if re < s {
            out.push((rs, re));
        } else if rs > e {
            if !placed {
                out.push((s, e));
                placed = true;
            }
            out.push((rs, re));
        } else {
            s = s.min(rs);
            e = e.max(re);
        }
    }
    if !placed {
        out.push((s, e));
    }
    *ranges = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge() {
        let mut r = Vec::new();
        insert_range(&mut r, (16, 24));
        insert_range(&mut r, (0, 8));
        assert_eq!(r, [(0, 8), (16, 24)]);
        insert_range(&mut r, (8, 16));
        assert_eq!(r, [(0, 24)]);
        insert_range(&mut r, (30, 40));
        insert_range(&mut r, (4, 35));
        assert_eq!(r, [(0, 40)]);
    }
}
