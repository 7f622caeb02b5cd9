//! Ogg pages carrying Opus.
//!
//! Checks: every page's capture pattern, version, flags and CRC-32; one
//! logical stream (multiplexed and chained streams are refused as
//! unsupported); page sequence continuity; non-decreasing granule
//! positions; a BOS page holding exactly the `OpusHead` packet (version,
//! channel count, mapping) with granule 0; `OpusTags` starting the second
//! page; an EOS page at the end (a missing EOS or a partial page is
//! truncation). Other Ogg codecs (Vorbis, FLAC, Speex) are refused as
//! unsupported with their name. Duration = (last granule − pre-skip) / 48 kHz.
//! Page bodies are run through the checksum, never copied (except the first
//! two pages, which are parsed).

use crate::crc::OGG;
use crate::{AudioFormat, AudioInfo, Ctx, ProbeError, Step, le16, le32, le64, samples_to_ms};

const C: &str = "ogg";
const HEADER: usize = 27;

/// The fields of an `OpusHead` packet the prober reports or checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    pub channels: u8,
    pub pre_skip: u16,
    pub input_sample_rate: u32,
    pub mapping_family: u8,
}

/// Parse an `OpusHead` packet (RFC 7845 §5.1).
pub fn parse_opus_head(p: &[u8]) -> Result<OpusHead, ProbeError> {
    if p.len() < 19 || !p.starts_with(b"OpusHead") {
        return Err(ProbeError::malformed(C, "opushead packet is too short"));
    }
    let version = p[8];
    if version >> 4 != 0 {
        return Err(ProbeError::unsupported(C, format!("opus header version {version}")));
    }
    let channels = p[9];
    if channels == 0 {
        return Err(ProbeError::malformed(C, "opushead declares zero channels"));
    }
    let mapping_family = p[18];
    if mapping_family == 0 {
        if channels > 2 {
            return Err(ProbeError::malformed(
                C,
                format!("opus mapping family 0 with {channels} channels"),
            ));
        }
    } else {
        let need = 21 + usize::from(channels);
        if p.len() < need {
            return Err(ProbeError::malformed(C, "opushead channel mapping table is cut short"));
        }
        let (streams, coupled) = (p[19], p[20]);
        if streams == 0 || coupled > streams {
            return Err(ProbeError::malformed(C, "opushead declares an invalid stream count"));
        }
    }
    Ok(OpusHead { channels, pre_skip: le16(p, 10), input_sample_rate: le32(p, 12), mapping_family })
}

fn identify_other_codec(p: &[u8]) -> ProbeError {
    let name = if p.starts_with(b"\x01vorbis") {
        "vorbis"
    } else if p.starts_with(b"\x7fFLAC") {
        "flac"
    } else if p.starts_with(b"Speex   ") {
        "speex"
    } else if p.starts_with(b"\x80theora") {
        "theora video"
    } else if p.starts_with(b"fishead\0") {
        "a skeleton stream"
    } else {
        return ProbeError::unsupported(
            C,
            "ogg stream with an unknown codec; only opus is accepted in ogg",
        );
    };
    ProbeError::unsupported(C, format!("ogg {name}; only opus is accepted in ogg"))
}

#[derive(Debug, Default, Clone, Copy)]
enum St {
    #[default]
    PageHeader,
    Body {
        remaining: usize,
    },
    /// After the EOS page.
    Done,
}

/// Ogg/Opus parser state.
#[derive(Debug, Default)]
pub struct Ogg {
    st: St,
    pages: u64,
    serial: u32,
    next_seq: u32,
    head: Option<OpusHead>,
    tags: bool,
    /// CRC register over the current page so far, and the CRC it states.
    crc: u32,
    page_crc: u32,
    page_start: u64,
    last_granule: Option<u64>,
    eos: bool,
}

impl Ogg {
    pub(crate) fn is_opus(&self) -> bool {
        self.head.is_some()
    }

    pub(crate) fn step(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        match self.st {
            St::PageHeader => self.page_header(data, eof, ctx),
            St::Body { remaining } => {
                let n = remaining.min(data.len());
                let mut d = OGG.digest_with_initial(self.crc);
                d.update(&data[..n]);
                self.crc = d.finalize();
                if remaining == n {
                    self.end_page()?;
                } else {
                    self.st = St::Body { remaining: remaining - n };
                }
                Ok(Step::Consumed(n))
            }
            St::Done => {
                if data.starts_with(b"OggS") {
                    return Err(ProbeError::unsupported(
                        C,
                        "chained ogg streams are not supported",
                    ));
                }
                if data.len() < 4 && !eof && b"OggS".starts_with(data) {
                    return ctx.need(C, 4);
                }
                Err(ProbeError::malformed(
                    C,
                    format!("data after the end of the ogg stream at byte {}", ctx.pos),
                ))
            }
        }
    }

    fn cut(&self, ctx: &Ctx) -> ProbeError {
        ProbeError::truncated(C, format!("the file ends inside the ogg page at byte {}", ctx.pos))
    }

    fn end_page(&mut self) -> Result<(), ProbeError> {
        if self.crc != self.page_crc {
            return Err(ProbeError::malformed(
                C,
                format!("crc mismatch in the ogg page at byte {}", self.page_start),
            ));
        }
        self.st = if self.eos { St::Done } else { St::PageHeader };
        Ok(())
    }

    fn page_header(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Step, ProbeError> {
        if data.len() < HEADER {
            if eof {
                if !b"OggS".starts_with(&data[..data.len().min(4)]) {
                    return Err(self.lost_sync(ctx));
                }
                return Err(self.cut(ctx));
            }
            return ctx.need(C, HEADER);
        }
        if &data[..4] != b"OggS" {
            return Err(self.lost_sync(ctx));
        }
        if data[4] != 0 {
            return Err(ProbeError::unsupported(
                C,
                format!("ogg stream structure version {}", data[4]),
            ));
        }
        let flags = data[5];
        if flags & !7 != 0 {
            return Err(ProbeError::malformed(
                C,
                format!("invalid ogg page flags at byte {}", ctx.pos),
            ));
        }
        let nseg = usize::from(data[26]);
        let header_len = HEADER + nseg;
        if data.len() < header_len {
            if eof {
                return Err(self.cut(ctx));
            }
            return ctx.need(C, header_len);
        }
        let lacing = &data[HEADER..header_len];
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let (continued, bos, eos) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
        let granule = le64(data, 6);
        let serial = le32(data, 14);
        let seq = le32(data, 18);
        let first = self.pages == 0;
        if first {
            if !bos {
                return Err(ProbeError::malformed(
                    C,
                    "the first ogg page lacks the beginning-of-stream flag",
                ));
            }
            self.serial = serial;
        } else {
            if serial != self.serial || bos {
                return Err(ProbeError::unsupported(
                    C,
                    "multiplexed ogg streams are not supported",
                ));
            }
            if seq != self.next_seq {
                return Err(ProbeError::malformed(
                    C,
                    format!("ogg page sequence gap: expected page {}, found {seq}", self.next_seq),
                ));
            }
        }
        if granule != u64::MAX {
            if let Some(last) = self.last_granule
                && (granule as i64) < (last as i64)
            {
                return Err(ProbeError::malformed(
                    C,
                    format!("ogg granule position goes backwards at byte {}", ctx.pos),
                ));
            }
            self.last_granule = Some(granule);
        }
        self.page_start = ctx.pos;
        self.page_crc = le32(data, 22);
        let mut d = OGG.digest();
        d.update(&data[..22]);
        d.update(&[0; 4]);
        d.update(&data[26..header_len]);
        self.crc = d.finalize();
        self.eos = eos;
        self.pages += 1;
        self.next_seq = seq.wrapping_add(1);

        if self.pages <= 2 {
            // The two header pages are parsed whole.
            let total = header_len + body_len;
            ctx.check(C, total)?;
            if data.len() < total {
                if eof {
                    return Err(self.cut(ctx));
                }
                // Undo the bookkeeping: this page is looked at again.
                self.pages -= 1;
                self.next_seq = seq;
                if first {
                    self.last_granule = None;
                }
                return ctx.need(C, total);
            }
            let body = &data[header_len..total];
            let mut d = OGG.digest_with_initial(self.crc);
            d.update(body);
            self.crc = d.finalize();
            if continued {
                return Err(ProbeError::malformed(
                    C,
                    "an opus header page is marked as a continuation",
                ));
            }
            if first {
                if !body.starts_with(b"OpusHead") {
                    return Err(identify_other_codec(body));
                }
                let single_packet = lacing
                    .split_last()
                    .is_some_and(|(&last, rest)| last < 255 && rest.iter().all(|&l| l == 255));
                if !single_packet {
                    return Err(ProbeError::malformed(
                        C,
                        "the opushead page must hold exactly one packet",
                    ));
                }
                if granule != 0 {
                    return Err(ProbeError::malformed(
                        C,
                        "the opushead page has a nonzero granule position",
                    ));
                }
                self.end_page()?;
                self.head = Some(parse_opus_head(body)?);
            } else {
                if !body.starts_with(b"OpusTags") {
                    return Err(ProbeError::malformed(
                        C,
                        "the second ogg page does not start with opustags",
                    ));
                }
                self.end_page()?;
                self.tags = true;
            }
            return Ok(Step::Consumed(total));
        }
        if body_len == 0 {
            self.end_page()?;
        } else {
            self.st = St::Body { remaining: body_len };
        }
        Ok(Step::Consumed(header_len))
    }

    fn lost_sync(&self, ctx: &Ctx) -> ProbeError {
        ProbeError::malformed(C, format!("lost ogg page sync at byte {}", ctx.pos))
    }

    pub(crate) fn finish(self, _end: u64) -> Result<AudioInfo, ProbeError> {
        if let St::Body { remaining } = self.st {
            return Err(ProbeError::truncated(
                C,
                format!(
                    "the ogg page at byte {} is missing its last {remaining} bytes",
                    self.page_start
                ),
            ));
        }
        let Some(head) = self.head else {
            return Err(ProbeError::truncated(C, "the file ends before the opus header"));
        };
        if !self.tags {
            return Err(ProbeError::truncated(C, "the file ends before the opustags header"));
        }
        if !self.eos {
            return Err(ProbeError::truncated(C, "the stream ends without an end-of-stream page"));
        }
        let granule = self.last_granule.unwrap_or(0) as i64;
        let samples = granule.saturating_sub(i64::from(head.pre_skip));
        if samples <= 0 {
            return Err(ProbeError::Empty);
        }
        Ok(AudioInfo {
            format: AudioFormat::Opus,
            codec: "opus".to_owned(),
            channels: u16::from(head.channels),
            sample_rate: 48_000,
            duration_ms: samples_to_ms(samples as u64, 48_000),
        })
    }
}
