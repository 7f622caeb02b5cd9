//! Format detection from the first bytes; skips leading ID3v2 tags (found
//! before MP3 and, occasionally, FLAC streams).

use crate::{Ctx, ProbeError, Step, mp3, wav};

/// How much junk may precede the first MPEG frame of a file without magic.
const MP3_JUNK_MAX: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Detect {
    /// Bytes of an ID3v2 tag still to skip.
    id3_remaining: u64,
    /// Size of the ID3v2 tag being skipped (for messages).
    id3_size: u64,
    saw_id3: bool,
}

pub(crate) enum Outcome {
    Step(Step),
    Wav { consumed: usize, wav: wav::Wav },
    Mp3 { consumed: usize, mp3: mp3::Mp3 },
    Ogg,
    Flac { consumed: usize },
}

/// Total size of an ID3v2 tag from its 10-byte header, or why it is bad.
pub(crate) fn id3v2_size(h: &[u8]) -> Result<u64, String> {
    let (Some(&major), Some(&flags)) = (h.get(3), h.get(5)) else {
        return Err("short id3v2 header".into());
    };
    if major == 0xff || h.get(4) == Some(&0xff) {
        return Err("invalid id3v2 version".into());
    }
    let mut size = 0u64;
    for i in 6..10 {
        let b = *h.get(i).ok_or("short id3v2 header")?;
        if b & 0x80 != 0 {
            return Err("id3v2 size is not sync-safe".into());
        }
        size = (size << 7) | u64::from(b);
    }
    let footer = if flags & 0x10 != 0 { 10 } else { 0 };
    Ok(10 + size + footer)
}

const MAGICS: [&[u8]; 7] = [b"RIFF", b"RF64", b"BW64", b"OggS", b"fLaC", b"ID3", &[0xff]];

impl Detect {
    pub(crate) fn step(
        &mut self,
        data: &[u8],
        eof: bool,
        ctx: &Ctx,
    ) -> Result<Outcome, ProbeError> {
        if self.id3_remaining > 0 {
            let n = usize::try_from(self.id3_remaining).unwrap_or(usize::MAX).min(data.len());
            self.id3_remaining -= n as u64;
            return Ok(Outcome::Step(Step::Consumed(n)));
        }
        if data.len() < 4 {
            if !eof {
                return Ok(Outcome::Step(ctx.need("audio", 4)?));
            }
            let cut_magic = MAGICS.iter().any(|m| m.starts_with(data) || data.starts_with(m));
            if (cut_magic && !self.saw_id3) || (self.saw_id3 && data.first() == Some(&0xff)) {
                return Err(ProbeError::truncated(
                    "audio",
                    format!("the file is only {} bytes long", data.len()),
                ));
            }
            return Err(self.nothing_found());
        }
        let magic = &data[..4];
        if !self.saw_id3 {
            match magic {
                b"RIFF" | b"RF64" | b"BW64" => {
                    return Ok(Outcome::Wav { consumed: 0, wav: wav::Wav::default() });
                }
                b"OggS" => return Ok(Outcome::Ogg),
                _ => {}
            }
        }
        if magic == b"fLaC" {
            return Ok(Outcome::Flac { consumed: 4 });
        }
        if magic.starts_with(b"ID3") {
            if data.len() < 10 {
                if eof {
                    return Err(ProbeError::truncated(
                        "mp3",
                        "the file ends inside the id3v2 tag header",
                    ));
                }
                return Ok(Outcome::Step(ctx.need("mp3", 10)?));
            }
            let size = id3v2_size(data).map_err(|e| ProbeError::malformed("mp3", e))?;
            self.saw_id3 = true;
            self.id3_size = size;
            self.id3_remaining = size;
            return Ok(Outcome::Step(Step::Consumed(0)));
        }
        self.find_mpeg(data, eof, ctx)
    }

    fn find_mpeg(&mut self, data: &[u8], eof: bool, ctx: &Ctx) -> Result<Outcome, ProbeError> {
        let window = data.len().min(MP3_JUNK_MAX + 1);
        let mut i = 0;
        while let Some(off) = memchr::memchr(0xff, &data[i..window]) {
            let at = i + off;
            i = at + 1;
            if at + 4 > data.len() {
                if eof {
                    if at == 0 {
                        return Err(ProbeError::truncated(
                            "mp3",
                            "the file ends inside a frame header",
                        ));
                    }
                    break;
                }
                return Ok(Outcome::Step(ctx.need("mp3", at + 4)?));
            }
            let h = match mp3::FrameHeader::parse_detailed(&data[at..at + 4]) {
                Ok(h) => h,
                Err(mp3::HeaderError::FreeFormat) if at == 0 => {
                    return Err(ProbeError::unsupported(
                        "mp3",
                        "free-format bitrate streams are not supported",
                    ));
                }
                Err(_) => continue,
            };
            if at == 0 {
                return Ok(Outcome::Mp3 { consumed: 0, mp3: mp3::Mp3::new(self.saw_id3) });
            }
            // After junk, insist that a second frame follows the first.
            let next = at + h.len;
            if next + 4 > data.len() {
                if !eof {
                    return Ok(Outcome::Step(ctx.need("mp3", next + 4)?));
                }
                if next != data.len() {
                    continue;
                }
            } else {
                match mp3::FrameHeader::parse(&data[next..next + 4]) {
                    Some(h2) if h2.same_stream(&h) => {}
                    _ => continue,
                }
            }
            return Ok(Outcome::Mp3 { consumed: at, mp3: mp3::Mp3::new(self.saw_id3) });
        }
        if eof || data.len() > MP3_JUNK_MAX {
            return Err(self.nothing_found());
        }
        Ok(Outcome::Step(ctx.need("audio", (data.len() + 1024).min(MP3_JUNK_MAX + 1))?))
    }

    fn nothing_found(&self) -> ProbeError {
        if self.saw_id3 {
            ProbeError::malformed("mp3", "no mpeg audio frame follows the id3v2 tag")
        } else {
            ProbeError::UnknownFormat
        }
    }

    pub(crate) fn finish(self, end: u64) -> Result<crate::AudioInfo, ProbeError> {
        if self.id3_remaining > 0 {
            return Err(ProbeError::truncated(
                "mp3",
                format!(
                    "the id3v2 tag declares {} bytes but the file ends after {}",
                    self.id3_size,
                    self.id3_size - self.id3_remaining
                ),
            ));
        }
        if self.saw_id3 {
            // A tag and nothing after it.
            return Err(ProbeError::Empty);
        }
        let _ = end;
        Err(ProbeError::UnknownFormat)
    }
}
