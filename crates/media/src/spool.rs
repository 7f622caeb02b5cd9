//! The crash-safe spool: an append-only file of checksummed records.
//!
//! ```text
//! record := 0xC5 kind:u8 len:u32le payload[len] crc32(kind‖len‖payload):u32le
//! block  := record of kind 14 whose payload is inner*
//! inner  := kind:u8 len:u32le payload[len]
//! ```
//! Records are encoded and decoded by pure functions ([`encode_record`],
//! [`decode_record`]) so that the format is fuzzable; [`SpoolWriter`] adds the
//! file, a write buffer and a sync driven by the caller's `now`. The writer
//! seals what it buffered between two writes as one [`Record::Block`]: one
//! checksum per write instead of one per packet. A reader stops at the first
//! record that is truncated or fails its checksum (a block is taken whole or
//! not at all): a crash can only tear the tail, and everything before the
//! last sync is intact.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use callvault_model::Timestamp;

/// First byte of every record.
pub const RECORD_MAGIC: u8 = 0xC5;
/// Spool format version, written in the `Begin` record.
pub const SPOOL_VERSION: u16 = 1;
/// Largest payload accepted (the reader rejects bigger lengths as corrupt).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Bytes of framing around each payload.
pub const RECORD_OVERHEAD: usize = 10;
/// File name extension of spool files.
pub const SPOOL_EXTENSION: &str = "cvspool";

/// One spool record. Times are a [`Timestamp`]'s nanoseconds (since the Unix
/// epoch), as the recorder was given them;
/// positions are sample indices on the conversation timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record<'a> {
    Begin {
        version: u16,
        conversation: [u8; 16],
        origin_ns: u64,
        sample_rate: u32,
    },
    /// A media stream (flow) attached to a participant.
    Stream {
        stream: u16,
        participant: [u8; 16],
        side: u8,
    },
    Joined {
        participant: [u8; 16],
        side: u8,
        at_ns: u64,
        label: &'a str,
    },
    Left {
        participant: [u8; 16],
        at_ns: u64,
    },
    /// Mono PCM16 little-endian samples starting at `start`.
    Audio {
        stream: u16,
        start: u64,
        pcm: &'a [u8],
    },
    Dtmf {
        stream: u16,
        start: u64,
        event: u8,
        volume: u8,
        duration: u32,
    },
    /// G.711 as it came off the wire, one byte per sample at the
    /// timeline rate (8 kHz): decoded when rendered, so capture writes half
    /// the bytes of PCM and decodes nothing.
    G711 {
        stream: u16,
        start: u64,
        law: G711Law,
        payload: &'a [u8],
    },
    /// A payload that could not be decoded, kept as it came.
    Raw {
        stream: u16,
        start: u64,
        payload_type: u8,
        payload: &'a [u8],
    },
    /// Packets lost before `start` on a stream (for the quality report).
    Loss {
        stream: u16,
        start: u64,
        packets: u32,
    },
    Sync {
        at_ns: u64,
    },
    End {
        at_ns: u64,
    },
    /// The spool reached its size bound at `at_sample`; later media was
    /// dropped.
    Truncated {
        at_sample: u64,
    },
    /// Inner records (`kind len payload`, no checksum of their own) sealed
    /// by this record's checksum. [`RecordIter`] and
    /// [`crate::timeline::for_each_record`] yield the records inside.
    Block {
        records: &'a [u8],
    },
}

/// The companding law of a [`Record::G711`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711Law {
    /// PCMA (G.711 A-law).
    A,
    /// PCMU (G.711 µ-law).
    Mu,
}

impl G711Law {
    /// The decoding table of the law.
    pub fn table(self) -> &'static [i16; 256] {
        match self {
            G711Law::A => &crate::codec::g711::ALAW_DECODE,
            G711Law::Mu => &crate::codec::g711::ULAW_DECODE,
        }
    }
}

/// Why bytes are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpoolError {
    #[error("record incomplete")]
    Incomplete,
    #[error("bad record magic {0:#04x}")]
    BadMagic(u8),
    #[error("record length {0} too large")]
    TooLarge(usize),
    #[error("record checksum mismatch")]
    BadChecksum,
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    #[error("malformed {0} record")]
    Malformed(&'static str),
}

mod kind {
    pub const BEGIN: u8 = 1;
    pub const STREAM: u8 = 2;
    pub const JOINED: u8 = 3;
    pub const LEFT: u8 = 4;
    pub const AUDIO: u8 = 5;
    pub const DTMF: u8 = 6;
    pub const RAW: u8 = 7;
    pub const LOSS: u8 = 8;
    pub const SYNC: u8 = 9;
    pub const END: u8 = 10;
    pub const TRUNCATED: u8 = 11;
    pub const G711A: u8 = 12;
    pub const G711U: u8 = 13;
    pub const BLOCK: u8 = 14;
}

/// Bytes of framing around an inner record of a block.
pub const INNER_OVERHEAD: usize = 5;
/// The writer seals a block once it holds this many bytes (and at every
/// write).
pub const BLOCK_SEAL: usize = 256 << 10;

/// Appends the encoding of `rec` to `out`.
pub fn encode_record(rec: &Record<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[RECORD_MAGIC, 0, 0, 0, 0, 0]);
    let k = encode_payload(rec, out);
    let len = (out.len() - start - 6) as u32;
    out[start + 1] = k;
    out[start + 2..start + 6].copy_from_slice(&len.to_le_bytes());
    let crc = crc32fast::hash(&out[start + 1..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Appends `rec` as an inner record of a block (no magic, no checksum).
/// A [`Record::Block`] cannot be nested: it is not written.
pub fn encode_inner(rec: &Record<'_>, out: &mut Vec<u8>) {
    if matches!(rec, Record::Block { .. }) {
        return;
    }
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0, 0]);
    let k = encode_payload(rec, out);
    let len = (out.len() - start - INNER_OVERHEAD) as u32;
    out[start] = k;
    out[start + 1..start + 5].copy_from_slice(&len.to_le_bytes());
}

/// Appends the payload of `rec`, returning its kind.
fn encode_payload(rec: &Record<'_>, out: &mut Vec<u8>) -> u8 {
    match rec {
        Record::Begin { version, conversation, origin_ns, sample_rate } => {
            out.extend_from_slice(&version.to_le_bytes());
            out.extend_from_slice(conversation);
            out.extend_from_slice(&origin_ns.to_le_bytes());
            out.extend_from_slice(&sample_rate.to_le_bytes());
            kind::BEGIN
        }
        Record::Stream { stream, participant, side } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(participant);
            out.push(*side);
            kind::STREAM
        }
        Record::Joined { participant, side, at_ns, label } => {
            out.extend_from_slice(participant);
            out.push(*side);
            out.extend_from_slice(&at_ns.to_le_bytes());
            let l = &label.as_bytes()[..label.len().min(1024)];
            let l = std::str::from_utf8(l).map(str::as_bytes).unwrap_or(b"");
            out.extend_from_slice(l);
            kind::JOINED
        }
        Record::Left { participant, at_ns } => {
            out.extend_from_slice(participant);
            out.extend_from_slice(&at_ns.to_le_bytes());
            kind::LEFT
        }
        Record::Audio { stream, start, pcm } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(pcm);
            kind::AUDIO
        }
        Record::Dtmf { stream, start, event, volume, duration } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*event);
            out.push(*volume);
            out.extend_from_slice(&duration.to_le_bytes());
            kind::DTMF
        }
        Record::G711 { stream, start, law, payload } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(payload);
            match law {
                G711Law::A => kind::G711A,
                G711Law::Mu => kind::G711U,
            }
        }
        Record::Raw { stream, start, payload_type, payload } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.push(*payload_type);
            out.extend_from_slice(payload);
            kind::RAW
        }
        Record::Loss { stream, start, packets } => {
            out.extend_from_slice(&stream.to_le_bytes());
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&packets.to_le_bytes());
            kind::LOSS
        }
        Record::Sync { at_ns } => {
            out.extend_from_slice(&at_ns.to_le_bytes());
            kind::SYNC
        }
        Record::End { at_ns } => {
            out.extend_from_slice(&at_ns.to_le_bytes());
            kind::END
        }
        Record::Truncated { at_sample } => {
            out.extend_from_slice(&at_sample.to_le_bytes());
            kind::TRUNCATED
        }
        Record::Block { records } => {
            out.extend_from_slice(records);
            kind::BLOCK
        }
    }
}

struct Cur<'a>(&'a [u8], &'static str);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SpoolError> {
        if self.0.len() < n {
            return Err(SpoolError::Malformed(self.1));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, SpoolError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, SpoolError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, SpoolError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, SpoolError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn id(&mut self) -> Result<[u8; 16], SpoolError> {
        let b = self.take(16)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ok(a)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
    fn end(&self) -> Result<(), SpoolError> {
        if self.0.is_empty() { Ok(()) } else { Err(SpoolError::Malformed(self.1)) }
    }
}

/// Decodes the record at the start of `buf`, returning it and its encoded
/// length. Never panics.
pub fn decode_record(buf: &[u8]) -> Result<(Record<'_>, usize), SpoolError> {
    let [magic, k, l0, l1, l2, l3, ..] = *buf else {
        return Err(SpoolError::Incomplete);
    };
    if magic != RECORD_MAGIC {
        return Err(SpoolError::BadMagic(magic));
    }
    let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
    if len > MAX_PAYLOAD {
        return Err(SpoolError::TooLarge(len));
    }
    let total = len + RECORD_OVERHEAD;
    let Some(rec) = buf.get(..total) else {
        return Err(SpoolError::Incomplete);
    };
    let body = &rec[6..6 + len];
    let crc_bytes = &rec[6 + len..];
    let crc = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    if crc32fast::hash(&rec[1..6 + len]) != crc {
        return Err(SpoolError::BadChecksum);
    }
    Ok((decode_payload(k, body)?, total))
}

/// Decodes the inner record at the start of a block's `records`, returning
/// it and its encoded length. Never panics.
pub fn decode_inner(buf: &[u8]) -> Result<(Record<'_>, usize), SpoolError> {
    let [k, l0, l1, l2, l3, ..] = *buf else {
        return Err(SpoolError::Malformed("block"));
    };
    let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
    let Some(body) = buf.get(INNER_OVERHEAD..INNER_OVERHEAD.saturating_add(len)) else {
        return Err(SpoolError::Malformed("block"));
    };
    if k == kind::BLOCK {
        return Err(SpoolError::Malformed("block"));
    }
    Ok((decode_payload(k, body)?, INNER_OVERHEAD + len))
}

/// Checks that a block's `records` are whole, valid inner records.
pub fn validate_block(mut records: &[u8]) -> Result<(), SpoolError> {
    while !records.is_empty() {
        let (_, n) = decode_inner(records)?;
        records = &records[n..];
    }
    Ok(())
}

fn decode_payload(k: u8, body: &[u8]) -> Result<Record<'_>, SpoolError> {
    let r = match k {
        kind::BEGIN => {
            let mut c = Cur(body, "begin");
            let r = Record::Begin {
                version: c.u16()?,
                conversation: c.id()?,
                origin_ns: c.u64()?,
                sample_rate: c.u32()?,
            };
            c.end()?;
            r
        }
        kind::STREAM => {
            let mut c = Cur(body, "stream");
            let r = Record::Stream { stream: c.u16()?, participant: c.id()?, side: c.u8()? };
            c.end()?;
            r
        }
        kind::JOINED => {
            let mut c = Cur(body, "joined");
            let participant = c.id()?;
            let side = c.u8()?;
            let at_ns = c.u64()?;
            let label =
                std::str::from_utf8(c.rest()).map_err(|_| SpoolError::Malformed("joined"))?;
            Record::Joined { participant, side, at_ns, label }
        }
        kind::LEFT => {
            let mut c = Cur(body, "left");
            let r = Record::Left { participant: c.id()?, at_ns: c.u64()? };
            c.end()?;
            r
        }
        kind::AUDIO => {
            let mut c = Cur(body, "audio");
            let stream = c.u16()?;
            let start = c.u64()?;
            let pcm = c.rest();
            if pcm.len() % 2 != 0 {
                return Err(SpoolError::Malformed("audio"));
            }
            Record::Audio { stream, start, pcm }
        }
        kind::DTMF => {
            let mut c = Cur(body, "dtmf");
            let r = Record::Dtmf {
                stream: c.u16()?,
                start: c.u64()?,
                event: c.u8()?,
                volume: c.u8()?,
                duration: c.u32()?,
            };
            c.end()?;
            r
        }
        kind::G711A | kind::G711U => {
            let mut c = Cur(body, "g711");
            Record::G711 {
                stream: c.u16()?,
                start: c.u64()?,
                law: if k == kind::G711A { G711Law::A } else { G711Law::Mu },
                payload: c.rest(),
            }
        }
        kind::RAW => {
            let mut c = Cur(body, "raw");
            Record::Raw {
                stream: c.u16()?,
                start: c.u64()?,
                payload_type: c.u8()?,
                payload: c.rest(),
            }
        }
        kind::LOSS => {
            let mut c = Cur(body, "loss");
            let r = Record::Loss { stream: c.u16()?, start: c.u64()?, packets: c.u32()? };
            c.end()?;
            r
        }
        kind::SYNC => {
            let mut c = Cur(body, "sync");
            let r = Record::Sync { at_ns: c.u64()? };
            c.end()?;
            r
        }
        kind::END => {
            let mut c = Cur(body, "end");
            let r = Record::End { at_ns: c.u64()? };
            c.end()?;
            r
        }
        kind::TRUNCATED => {
            let mut c = Cur(body, "truncated");
            let r = Record::Truncated { at_sample: c.u64()? };
            c.end()?;
            r
        }
        kind::BLOCK => Record::Block { records: body },
        other => return Err(SpoolError::UnknownKind(other)),
    };
    Ok(r)
}

/// Iterates the valid prefix of a spool, the records inside blocks in
/// place of the blocks: stops (and remembers why) at the first undecodable
/// record.
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The rest of the block being iterated (already validated).
    inner: &'a [u8],
    /// Set once iteration stopped on an invalid record.
    pub stopped: Option<SpoolError>,
}

impl<'a> RecordIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        RecordIter { buf, pos: 0, inner: &[], stopped: None }
    }

    /// Bytes of valid records consumed so far (blocks count whole).
    pub fn valid_len(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Record<'a>;
    fn next(&mut self) -> Option<Record<'a>> {
        loop {
            if self.stopped.is_some() {
                return None;
            }
            if !self.inner.is_empty() {
                match decode_inner(self.inner) {
                    Ok((r, n)) => {
                        self.inner = &self.inner[n..];
                        return Some(r);
                    }
                    Err(e) => {
                        self.stopped = Some(e);
                        return None;
                    }
                }
            }
            let rest = self.buf.get(self.pos..).filter(|r| !r.is_empty())?;
            match decode_record(rest) {
                Ok((Record::Block { records }, n)) => {
                    // A block is taken whole or not at all.
                    if let Err(e) = validate_block(records) {
                        self.stopped = Some(e);
                        return None;
                    }
                    self.pos += n;
                    self.inner = records;
                }
                Ok((r, n)) => {
                    self.pos += n;
                    return Some(r);
                }
                Err(e) => {
                    self.stopped = Some(e);
                    return None;
                }
            }
        }
    }
}

/// Spool writer settings.
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// Buffered records are written and `fdatasync`ed at this interval.
    pub sync_interval: Duration,
    /// A spool file never grows beyond this; later audio is dropped and the
    /// recording is flagged as truncated.
    pub max_bytes: u64,
    /// `fdatasync` after each write (default). Without it a write survives a
    /// crash of the recorder process (the page cache keeps it) but not a
    /// power loss or kernel crash.
    pub fsync: bool,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: std::env::temp_dir().join("callvault-spool"),
            sync_interval: Duration::from_secs(1),
            max_bytes: 512 << 20,
            fsync: true,
        }
    }
}

/// An open spool file with its write buffer.
#[derive(Debug)]
pub struct SpoolWriter {
    file: Arc<File>,
    path: PathBuf,
    /// Sealed blocks, then the open block (if any) still taking records.
    buf: Vec<u8>,
    /// Where the open block's header starts in `buf`.
    open: Option<usize>,
    written: u64,
    last_sync: Timestamp,
    sync_interval: Duration,
    max_bytes: u64,
    truncated: bool,
    syncs: u64,
    fsync: bool,
}

impl SpoolWriter {
    /// Creates `dir/<name>.cvspool` holding `header` (the `Begin` record),
    /// durably: the header is written and synced under a temporary name and
    /// then renamed, so a spool file that exists always starts with a valid
    /// header. Fails if the spool exists.
    pub fn create(
        config: &SpoolConfig,
        name: &str,
        header: &Record<'_>,
        now: Timestamp,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(&config.dir)?;
        let path = config.dir.join(format!("{name}.{SPOOL_EXTENSION}"));
        if path.exists() {
            return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "spool exists"));
        }
        let tmp = config.dir.join(format!(".{name}.{SPOOL_EXTENSION}.tmp"));
        let mut file = OpenOptions::new().create(true).truncate(true).write(true).open(&tmp)?;
        let mut head = Vec::new();
        encode_record(header, &mut head);
        encode_record(&Record::Sync { at_ns: now.as_nanos() }, &mut head);
        file.write_all(&head)?;
        if config.fsync {
            file.sync_data()?;
        }
        std::fs::rename(&tmp, &path)?;
        // Make the directory entry durable too.
        if config.fsync
            && let Ok(d) = File::open(&config.dir)
        {
            let _ = d.sync_all();
        }
        Ok(SpoolWriter {
            file: Arc::new(file),
            path,
            buf: Vec::with_capacity(32 << 10),
            open: None,
            written: head.len() as u64,
            last_sync: now,
            sync_interval: config.sync_interval,
            max_bytes: config.max_bytes,
            truncated: false,
            syncs: 1,
            fsync: config.fsync,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once audio was dropped because the spool reached its bound.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Bytes written to the file plus those buffered.
    pub fn len(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held by the write buffer.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Buffers a record. Audio, raw and DTMF records beyond the size bound
    /// are dropped (the spool is flagged truncated); control records always
    /// go in.
    pub fn append(&mut self, rec: &Record<'_>) {
        let media = match rec {
            Record::Audio { start, .. }
            | Record::G711 { start, .. }
            | Record::Raw { start, .. }
            | Record::Dtmf { start, .. }
            | Record::Loss { start, .. } => Some(*start),
            _ => None,
        };
        if let Some(start) = media
            && self.len() >= self.max_bytes
        {
            self.mark_truncated(start);
            return;
        }
        self.push_inner(rec);
    }

    fn mark_truncated(&mut self, at_sample: u64) {
        if !self.truncated {
            self.truncated = true;
            self.push_inner(&Record::Truncated { at_sample });
        }
    }

    /// Appends `rec` to the open block (opening one if needed).
    fn push_inner(&mut self, rec: &Record<'_>) {
        self.open_block();
        let at = self.buf.len();
        encode_inner(rec, &mut self.buf);
        self.after_inner(at);
    }

    fn open_block(&mut self) {
        if self.open.is_none() {
            self.open = Some(self.buf.len());
            self.buf.extend_from_slice(&[RECORD_MAGIC, kind::BLOCK, 0, 0, 0, 0]);
        }
    }

    /// Keeps blocks readable after the inner record that starts at `at`: a
    /// block never exceeds [`MAX_PAYLOAD`] (a record that does not fit
    /// behind the others gets a block of its own; one too large for any
    /// block is dropped), and blocks are sealed at [`BLOCK_SEAL`] bytes.
    fn after_inner(&mut self, at: usize) {
        let Some(open) = self.open else { return };
        if self.buf.len() - open - 6 > MAX_PAYLOAD {
            if self.buf.len() - at > MAX_PAYLOAD {
                self.buf.truncate(at);
                return;
            }
            let rec = self.buf.split_off(at);
            self.seal();
            self.open_block();
            self.buf.extend_from_slice(&rec);
        }
        if let Some(open) = self.open
            && self.buf.len() - open - 6 >= BLOCK_SEAL
        {
            self.seal();
        }
    }

    /// Closes the open block: its length and checksum are filled in.
    fn seal(&mut self) {
        let Some(at) = self.open.take() else { return };
        let len = self.buf.len() - at - 6;
        if len == 0 {
            self.buf.truncate(at);
            return;
        }
        self.buf[at + 2..at + 6].copy_from_slice(&(len as u32).to_le_bytes());
        let crc = crc32fast::hash(&self.buf[at + 1..]);
        self.buf.extend_from_slice(&crc.to_le_bytes());
    }

    /// Buffers an audio record whose samples `fill` appends (as i16
    /// little-endian bytes) straight into the write buffer: no intermediate
    /// copies on the hot path. Same encoding as [`Record::Audio`].
    pub fn append_audio(&mut self, stream: u16, start: u64, fill: impl FnOnce(&mut Vec<u8>)) {
        if self.len() >= self.max_bytes {
            self.mark_truncated(start);
            return;
        }
        self.open_block();
        let at = self.buf.len();
        self.buf.extend_from_slice(&[kind::AUDIO, 0, 0, 0, 0]);
        self.buf.extend_from_slice(&stream.to_le_bytes());
        self.buf.extend_from_slice(&start.to_le_bytes());
        let before = self.buf.len();
        fill(&mut self.buf);
        let len = self.buf.len() - at - INNER_OVERHEAD;
        if !(self.buf.len() - before).is_multiple_of(2) || len > MAX_PAYLOAD {
            // a filler bug must not corrupt the spool: drop the record
            self.buf.truncate(at);
            return;
        }
        self.buf[at + 1..at + 5].copy_from_slice(&(len as u32).to_le_bytes());
        self.after_inner(at);
    }

    /// Writes and syncs if the interval has passed since the last sync.
    /// Returns whether it synced.
    pub fn poll(&mut self, now: Timestamp) -> std::io::Result<bool> {
        if now.saturating_since(self.last_sync) < self.sync_interval {
            return Ok(false);
        }
        self.sync(now)?;
        Ok(true)
    }

    /// When the next sync is due.
    pub fn next_sync(&self) -> Timestamp {
        self.last_sync + self.sync_interval
    }

    /// Writes a `Sync` marker and everything buffered, then `fdatasync`s.
    pub fn sync(&mut self, now: Timestamp) -> std::io::Result<()> {
        if let Some(p) = self.write_out(now)? {
            p.run()?;
        }
        Ok(())
    }

    /// Like [`SpoolWriter::poll`], but hands the `fdatasync` back to the
    /// caller as a [`PendingSync`] to run on an I/O thread, so that a slow
    /// disk never stalls packet processing. Audio is durable once that
    /// sync has run.
    pub fn poll_deferred(&mut self, now: Timestamp) -> std::io::Result<Option<PendingSync>> {
        if now.saturating_since(self.last_sync) < self.sync_interval {
            return Ok(None);
        }
        self.write_out(now)
    }

    fn write_out(&mut self, now: Timestamp) -> std::io::Result<Option<PendingSync>> {
        self.push_inner(&Record::Sync { at_ns: now.as_nanos() });
        self.seal();
        (&*self.file).write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        self.last_sync = now;
        self.syncs += 1;
        Ok(self.fsync.then(|| PendingSync { file: Arc::clone(&self.file) }))
    }

    /// Number of completed syncs.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }
}

/// An `fdatasync` of a spool, to run on a blocking/I-O thread.
#[derive(Debug)]
pub struct PendingSync {
    file: Arc<File>,
}

impl PendingSync {
    pub fn run(self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

/// Deletes a spool file once its recording is safely in the vault.
pub fn remove_spool(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}
