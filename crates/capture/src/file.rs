//! Capture files: a streaming pcap/pcapng reader (optionally gzip'd) and a
//! small pcap writer.
//!
//! The reader keeps one frame buffer and the interface table, so memory is
//! bounded by [`MAX_RECORD_BYTES`] whatever the file size. It never panics
//! on malformed input; a file cut short ends with [`CaptureError::Truncated`]
//! after every complete frame has been returned.

use std::io::{self, BufReader, Chain, Cursor, Read, Write};

use flate2::read::MultiGzDecoder;
use thiserror::Error;

use crate::link::LinkType;
use crate::time::Timestamp;

/// Largest frame or pcapng block the reader accepts (1 MiB; real snaplens
/// are at most 256 KiB).
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Most interfaces one pcapng section may describe.
pub const MAX_INTERFACES: usize = 1024;

/// Why a capture file could not be read further.
#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error("not a pcap or pcapng file (magic {0:02x?})")]
    UnknownFormat([u8; 4]),
    #[error("file truncated at byte {offset}")]
    Truncated { offset: u64 },
    #[error("record of {len} bytes at byte {offset} exceeds the limit")]
    RecordTooLarge { offset: u64, len: u64 },
    #[error("malformed {what} at byte {offset}")]
    Malformed { what: &'static str, offset: u64 },
}

/// Container format of the file being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    PcapNg,
}

/// One captured frame, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    pub link_type: LinkType,
    /// pcapng interface id (0 for pcap).
    pub interface: u32,
    /// Length on the wire; `data.len()` is less when the snaplen cut it.
    pub orig_len: u32,
    pub data: &'a [u8],
}

/// Counters of what the reader skipped without failing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    pub frames: u64,
    /// pcapng blocks of types this reader does not need (NRB, ISB, DSB...).
    pub skipped_blocks: u64,
    /// Packet blocks that were unusable (unknown interface, length fields
    /// that disagree, oversized) and were skipped.
    pub bad_blocks: u64,
}

/// Timestamp resolution of a pcap file or pcapng interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsResol {
    /// 10^-n seconds.
    Dec(u8),
    /// 2^-n seconds.
    Bin(u8),
}

impl TsResol {
    fn to_nanos(self, ticks: u64) -> u64 {
        let t = ticks as u128;
        let n = match self {
            TsResol::Dec(e) if e <= 9 => t * 10u128.pow(9 - e as u32),
            TsResol::Dec(e) => t / 10u128.checked_pow(e as u32 - 9).unwrap_or(u128::MAX),
            TsResol::Bin(e) if e < 64 => (t * 1_000_000_000) >> e,
            TsResol::Bin(_) => 0,
        };
        u64::try_from(n).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: LinkType,
    resol: TsResol,
    offset_secs: i64,
    snaplen: u32,
}

/// The caller's reader behind the magic bytes already read.
type Source<R> = Chain<Cursor<Vec<u8>>, R>;

/// Frame metadata: time, link type, interface, original length, captured
/// length (the bytes are at the start of the reader's buffer).
type Meta = (Timestamp, LinkType, u32, u32, usize);

enum Input<R: Read> {
    Plain(BufReader<Source<R>>),
    Gzip(Box<BufReader<MultiGzDecoder<Source<R>>>>),
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Plain(r) => r.read(buf),
            Input::Gzip(r) => r.read(buf),
        }
    }
}

enum State {
    Pcap { big_endian: bool, link_type: LinkType, resol: TsResol, header_len: usize },
    PcapNg { big_endian: bool, interfaces: Vec<Interface> },
}

/// Streaming reader of pcap and pcapng files, plain or gzip-compressed.
pub struct CaptureReader<R: Read> {
    input: Input<R>,
    state: State,
    format: FileFormat,
    buf: Vec<u8>,
    offset: u64,
    last_ts: Timestamp,
    stats: ReaderStats,
}

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
/// Kuznetzov's patched libpcap: 8 more bytes per record header.
const PCAP_MAGIC_KUZNETZOV: u32 = 0xa1b2_cd34;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn u32_at(b: &[u8], at: usize, be: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if be { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
}

fn u16_at(b: &[u8], at: usize, be: bool) -> Option<u16> {
    let a: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if be { u16::from_be_bytes(a) } else { u16::from_le_bytes(a) })
}

impl<R: Read> CaptureReader<R> {
    /// Detects gzip, pcap (either byte order, µs or ns) or pcapng and reads
    /// the file header.
    pub fn new(mut inner: R) -> Result<Self, CaptureError> {
        let mut magic = [0u8; 4];
        let n = read_full(&mut inner, &mut magic)?;
        let prefix = Cursor::new(magic.get(..n).unwrap_or_default().to_vec());
        let chained = prefix.chain(inner);
        let mut input = if n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
            Input::Gzip(Box::new(BufReader::with_capacity(64 * 1024, MultiGzDecoder::new(chained))))
        } else {
            Input::Plain(BufReader::with_capacity(64 * 1024, chained))
        };
        let mut head = [0u8; 4];
        let n = read_full(&mut input, &mut head)?;
        if n < 4 {
            return Err(CaptureError::Truncated { offset: n as u64 });
        }
        let mut reader = CaptureReader {
            input,
            state: State::Pcap {
                big_endian: false,
                link_type: LinkType(0),
                resol: TsResol::Dec(6),
                header_len: 16,
            },
            format: FileFormat::Pcap,
            buf: Vec::new(),
            offset: 4,
            last_ts: Timestamp::default(),
            stats: ReaderStats::default(),
        };
        let le = u32::from_le_bytes(head);
        let be = u32::from_be_bytes(head);
        if le == PCAPNG_SHB {
            reader.format = FileFormat::PcapNg;
            reader.state = State::PcapNg { big_endian: false, interfaces: Vec::new() };
            reader.read_shb_rest()?;
        } else {
            let (big_endian, resol, header_len) = match (le, be) {
                (PCAP_MAGIC_US, _) => (false, TsResol::Dec(6), 16),
                (PCAP_MAGIC_NS, _) => (false, TsResol::Dec(9), 16),
                (PCAP_MAGIC_KUZNETZOV, _) => (false, TsResol::Dec(6), 24),
                (_, PCAP_MAGIC_US) => (true, TsResol::Dec(6), 16),
                (_, PCAP_MAGIC_NS) => (true, TsResol::Dec(9), 16),
                (_, PCAP_MAGIC_KUZNETZOV) => (true, TsResol::Dec(6), 24),
                _ => return Err(CaptureError::UnknownFormat(head)),
            };
            let mut rest = [0u8; 20];
            let got = read_full(&mut reader.input, &mut rest)?;
            reader.offset += got as u64;
            if got < 20 {
                return Err(CaptureError::Truncated { offset: reader.offset });
            }
            // version(2+2) thiszone(4) sigfigs(4) snaplen(4) linktype(4);
            // the top bits of linktype may carry FCS info: keep the low 16.
            let link = u32_at(&rest, 16, big_endian).unwrap_or(0) & 0xffff;
            reader.state =
                State::Pcap { big_endian, link_type: LinkType(link as u16), resol, header_len };
        }
        Ok(reader)
    }

    /// Container format.
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// What has been read or skipped so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// The next frame, `Ok(None)` at a clean end of file.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let found = match self.state {
            State::Pcap { .. } => self.next_pcap()?,
            State::PcapNg { .. } => self.next_pcapng()?,
        };
        let Some((ts, link_type, interface, orig_len, len)) = found else {
            return Ok(None);
        };
        self.stats.frames += 1;
        self.last_ts = ts;
        let data = self.buf.get(..len).unwrap_or_default();
        Ok(Some(Frame { ts, link_type, interface, orig_len, data }))
    }

    /// Reads exactly `len` bytes into `self.buf[..len]`; `Ok(false)` on EOF
    /// before the first byte when `eof_ok`.
    fn fill(&mut self, len: usize, eof_ok: bool) -> Result<bool, CaptureError> {
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
        let got = read_full(&mut self.input, self.buf.get_mut(..len).unwrap_or_default())?;
        self.offset += got as u64;
        if got == 0 && eof_ok && len > 0 {
            return Ok(false);
        }
        if got < len {
            return Err(CaptureError::Truncated { offset: self.offset });
        }
        Ok(true)
    }

    fn skip(&mut self, len: u64) -> Result<(), CaptureError> {
        let got = io::copy(&mut (&mut self.input).take(len), &mut io::sink())?;
        self.offset += got;
        if got < len {
            return Err(CaptureError::Truncated { offset: self.offset });
        }
        Ok(())
    }

    fn next_pcap(&mut self) -> Result<Option<Meta>, CaptureError> {
        let State::Pcap { big_endian, link_type, resol, header_len } = self.state else {
            return Ok(None);
        };
        let start = self.offset;
        if !self.fill(header_len, true)? {
            return Ok(None);
        }
        let h = self.buf.get(..16).unwrap_or_default();
        let secs = u32_at(h, 0, big_endian).unwrap_or(0) as u64;
        let frac = u32_at(h, 4, big_endian).unwrap_or(0) as u64;
        let incl = u32_at(h, 8, big_endian).unwrap_or(0);
        let orig = u32_at(h, 12, big_endian).unwrap_or(0);
        if incl as usize > MAX_RECORD_BYTES {
            return Err(CaptureError::RecordTooLarge { offset: start, len: incl as u64 });
        }
        let ts = Timestamp::from_nanos(
            secs.saturating_mul(1_000_000_000).saturating_add(resol.to_nanos(frac)),
        );
        self.fill(incl as usize, false)?;
        Ok(Some((ts, link_type, 0, orig, incl as usize)))
    }

    /// Reads the rest of a section header block whose type has been read.
    fn read_shb_rest(&mut self) -> Result<(), CaptureError> {
        let start = self.offset - 4;
        self.fill(8, false)?;
        let bom = self.buf.get(4..8).unwrap_or_default();
        let big_endian = match bom {
            [0x1a, 0x2b, 0x3c, 0x4d] => true,
            [0x4d, 0x3c, 0x2b, 0x1a] => false,
            _ => {
                return Err(CaptureError::Malformed {
                    what: "section header byte order",
                    offset: start,
                });
            }
        };
        debug_assert_eq!(u32_at(&self.buf, 4, big_endian), Some(PCAPNG_BOM));
        let total = u32_at(&self.buf, 0, big_endian).unwrap_or(0) as u64;
        if total < 28 || !total.is_multiple_of(4) {
            return Err(CaptureError::Malformed { what: "section header length", offset: start });
        }
        if total > MAX_RECORD_BYTES as u64 {
            return Err(CaptureError::RecordTooLarge { offset: start, len: total });
        }
        self.skip(total - 12)?;
        self.state = State::PcapNg { big_endian, interfaces: Vec::new() };
        Ok(())
    }

    fn next_pcapng(&mut self) -> Result<Option<Meta>, CaptureError> {
        loop {
            let start = self.offset;
            if !self.fill(4, true)? {
                return Ok(None);
            }
            let raw_type = self.buf.get(..4).unwrap_or_default();
            if raw_type == [0x0a, 0x0d, 0x0d, 0x0a] {
                self.read_shb_rest()?;
                continue;
            }
            let State::PcapNg { big_endian: be, .. } = self.state else { return Ok(None) };
            let btype = u32_at(&self.buf, 0, be).unwrap_or(0);
            self.fill(4, false)?;
            let total = u32_at(&self.buf, 0, be).unwrap_or(0) as u64;
            if total < 12 || !total.is_multiple_of(4) {
                return Err(CaptureError::Malformed { what: "block length", offset: start });
            }
            let body_len = total - 12;
            if total > MAX_RECORD_BYTES as u64 + 64 {
                // Unusable but skippable: the length is self-consistent.
                self.stats.bad_blocks += 1;
                self.skip(body_len + 4)?;
                continue;
            }
            if !matches!(btype, 1 | 2 | 3 | 6) {
                self.stats.skipped_blocks += 1;
                self.skip(body_len + 4)?;
                continue;
            }
            // body + trailing length
            self.fill(body_len as usize + 4, false)?;
            let trailer = u32_at(&self.buf, body_len as usize, be).unwrap_or(0) as u64;
            if trailer != total {
                return Err(CaptureError::Malformed {
                    what: "block trailer length",
                    offset: start,
                });
            }
            match btype {
                1 => self.parse_idb(body_len as usize, be),
                _ => {
                    if let Some(found) = self.parse_packet_block(btype, body_len as usize, be) {
                        return Ok(Some(found));
                    }
                    self.stats.bad_blocks += 1;
                }
            }
        }
    }

    fn parse_idb(&mut self, body_len: usize, be: bool) {
        let body = self.buf.get(..body_len).unwrap_or_default();
        let (Some(link), Some(snaplen)) = (u16_at(body, 0, be), u32_at(body, 4, be)) else {
            self.stats.bad_blocks += 1;
            return;
        };
        let mut iface = Interface {
            link_type: LinkType(link),
            resol: TsResol::Dec(6),
            offset_secs: 0,
            snaplen,
        };
        let mut at = 8;
        while let (Some(code), Some(len)) = (u16_at(body, at, be), u16_at(body, at + 2, be)) {
            let val = body.get(at + 4..at + 4 + len as usize).unwrap_or_default();
            match (code, val) {
                (0, _) => break,
                (9, [r]) => {
                    iface.resol =
                        if r & 0x80 == 0 { TsResol::Dec(*r) } else { TsResol::Bin(r & 0x7f) }
                }
                (14, v) if v.len() == 8 => {
                    let a: [u8; 8] = v.try_into().unwrap_or_default();
                    iface.offset_secs =
                        if be { i64::from_be_bytes(a) } else { i64::from_le_bytes(a) };
                }
                _ => {}
            }
            at += 4 + (len as usize).div_ceil(4) * 4;
        }
        if let State::PcapNg { interfaces, .. } = &mut self.state {
            if interfaces.len() < MAX_INTERFACES {
                interfaces.push(iface);
            } else {
                self.stats.bad_blocks += 1;
            }
        }
    }

    /// Moves the packet data of an EPB/SPB/PB to the start of `buf` and
    /// returns the frame metadata.
    fn parse_packet_block(&mut self, btype: u32, body_len: usize, be: bool) -> Option<Meta> {
        let State::PcapNg { interfaces, .. } = &self.state else { return None };
        let body = self.buf.get(..body_len)?;
        let (iface_id, ts_hi, ts_lo, cap, orig, data_at) = match btype {
            6 => (
                u32_at(body, 0, be)?,
                u32_at(body, 4, be)?,
                u32_at(body, 8, be)?,
                u32_at(body, 12, be)?,
                u32_at(body, 16, be)?,
                20usize,
            ),
            2 => (
                u16_at(body, 0, be)? as u32,
                u32_at(body, 4, be)?,
                u32_at(body, 8, be)?,
                u32_at(body, 12, be)?,
                u32_at(body, 16, be)?,
                20usize,
            ),
            _ => {
                // Simple packet block: interface 0, no timestamp (we reuse
                // the previous frame's), captured length bounded by snaplen.
                let orig = u32_at(body, 0, be)?;
                let snap = interfaces.first()?.snaplen;
                let room = body_len.saturating_sub(4) as u32;
                let mut cap = orig.min(room);
                if snap != 0 {
                    cap = cap.min(snap);
                }
                (0, 0, 0, cap, orig, 4usize)
            }
        };
        let iface = *interfaces.get(iface_id as usize)?;
        let cap = cap as usize;
        if data_at.checked_add(cap)? > body_len {
            return None;
        }
        let ts = if btype == 3 {
            self.last_ts
        } else {
            let ticks = ((ts_hi as u64) << 32) | ts_lo as u64;
            let base = iface.resol.to_nanos(ticks);
            let off = iface.offset_secs.saturating_mul(1_000_000_000);
            Timestamp::from_nanos(base.saturating_add_signed(off))
        };
        self.buf.copy_within(data_at..data_at + cap, 0);
        Some((ts, iface.link_type, iface_id, orig, cap))
    }
}

/// Timestamp precision of a written pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Micro,
    Nano,
}

/// Writes little-endian pcap files (one link type per file).
pub struct PcapWriter<W: Write> {
    out: W,
    precision: Precision,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header; `snaplen` 262144 like tcpdump.
    pub fn new(mut out: W, link_type: LinkType, precision: Precision) -> io::Result<Self> {
        let magic = match precision {
            Precision::Micro => PCAP_MAGIC_US,
            Precision::Nano => PCAP_MAGIC_NS,
        };
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&magic.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&262_144u32.to_le_bytes());
        h.extend_from_slice(&(link_type.0 as u32).to_le_bytes());
        out.write_all(&h)?;
        Ok(Self { out, precision })
    }

    /// Appends one frame captured whole.
    pub fn write_frame(&mut self, ts: Timestamp, data: &[u8]) -> io::Result<()> {
        let len = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
        self.write_truncated(ts, data, len)
    }

    /// Appends a frame of which only `data` was captured out of `orig_len`.
    pub fn write_truncated(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let len = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
        let secs = u32::try_from(ts.secs())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp beyond 2106"))?;
        let frac = match self.precision {
            Precision::Micro => ts.subsec_nanos() / 1000,
            Precision::Nano => ts.subsec_nanos(),
        };
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&frac.to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(len).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
