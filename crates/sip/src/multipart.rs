//! `multipart/mixed` bodies (RFC 2046 §5.1) as SIPREC SRCs send them:
//! SDP plus recording metadata, sometimes a third part.
//!
//! Tolerates CRLF or LF line ends, a preamble, quoted boundaries, a
//! missing close delimiter (the last part runs to the end), trailing
//! whitespace after delimiters, and parts without headers.

use std::borrow::Cow;

use thiserror::Error;

use crate::headers::{MediaType, name_matches};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MultipartError {
    #[error("no multipart boundary")]
    NoBoundary,
    #[error("no part found for the boundary")]
    NoParts,
}

/// One body part, borrowing the message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// Part headers in order, names as written.
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The part's content, without the line break before the next
    /// delimiter.
    pub body: &'a [u8],
}

impl Part<'_> {
    /// First value of a part header (case-insensitive, compact forms too).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| name_matches(n, name)).map(|(_, v)| &**v)
    }

    pub fn content_type(&self) -> Option<MediaType<'_>> {
        self.header("Content-Type").and_then(MediaType::parse)
    }
}

/// Returns `(start, end_of_line_content, next_line_start)` for each line.
fn lines(buf: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= buf.len() {
            return None;
        }
        let start = pos;
        let rest = buf.get(start..)?;
        let (content_end, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => (start + nl, start + nl + 1),
            None => (buf.len(), buf.len()),
        };
        let content_end = if content_end > start && buf.get(content_end - 1) == Some(&b'\r') {
            content_end - 1
        } else {
            content_end
        };
        pos = next;
        Some((start, content_end, next))
    })
}

/// Is this line a delimiter for `boundary`? Returns `Some(is_close)`.
fn delimiter_kind(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, tail) = match rest.strip_prefix(b"--") {
        Some(t) => (true, t),
        None => (false, rest),
    };
    tail.iter().all(|b| b.is_ascii_whitespace()).then_some(close)
}

/// Splits a multipart body on `boundary` (without the leading `--`).
pub fn split<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, MultipartError> {
    let boundary = boundary.trim().as_bytes();
    if boundary.is_empty() {
        return Err(MultipartError::NoBoundary);
    }
    // (line start, next line start, is_close) of every delimiter line
    let mut delims = Vec::new();
    for (start, end, next) in lines(body) {
        if let Some(close) = delimiter_kind(body.get(start..end).unwrap_or(&[]), boundary) {
            delims.push((start, next, close));
            if close {
                break;
            }
        }
    }
    let mut parts = Vec::new();
    for (i, &(_, content_start, close)) in delims.iter().enumerate() {
        if close {
            break;
        }
        let content_end = match delims.get(i + 1) {
            Some(&(next_start, _, _)) => strip_one_line_break(body, content_start, next_start),
            None => body.len(),
        };
        let content = body.get(content_start..content_end).unwrap_or(&[]);
        parts.push(parse_part(content));
    }
    if parts.is_empty() {
        return Err(MultipartError::NoParts);
    }
    Ok(parts)
}

/// The end of a part's content: the delimiter's preceding CRLF or LF
/// belongs to the delimiter.
fn strip_one_line_break(body: &[u8], from: usize, delim_start: usize) -> usize {
    let mut end = delim_start;
    if end > from && body.get(end - 1) == Some(&b'\n') {
        end -= 1;
        if end > from && body.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
    }
    end
}

fn parse_part(content: &[u8]) -> Part<'_> {
    let mut headers = Vec::new();
    let mut body_start = 0usize;
    for (start, end, next) in lines(content) {
        let line = content.get(start..end).unwrap_or(&[]);
        if line.is_empty() {
            body_start = next;
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) && !headers.is_empty() {
            if let Some((_, v)) = headers.last_mut() {
                let v: &mut Cow<'_, str> = v;
                let mut s = std::mem::take(v).into_owned();
                s.push(' ');
                s.push_str(String::from_utf8_lossy(line).trim());
                *v = Cow::Owned(s);
            }
            body_start = next;
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            // no header block: the content starts here
            body_start = start;
            break;
        };
        let name = lossy_trim(line.get(..colon).unwrap_or(&[]));
        let value = lossy_trim(line.get(colon + 1..).unwrap_or(&[]));
        headers.push((name, value));
        body_start = next;
    }
    Part { headers, body: content.get(body_start..).unwrap_or(&[]) }
}

fn lossy_trim(b: &[u8]) -> Cow<'_, str> {
    match String::from_utf8_lossy(b) {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

/// Guesses the boundary from the first delimiter-looking line (`--xyz`),
/// for bodies whose Content-Type lost its boundary parameter.
pub fn guess_boundary(body: &[u8]) -> Option<&str> {
    for (start, end, _) in lines(body) {
        let line = body.get(start..end)?;
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let b = line.strip_prefix(b"--")?;
        let b = std::str::from_utf8(b).ok()?.trim_end();
        let b = b.strip_suffix("--").unwrap_or(b);
        return (!b.is_empty()).then_some(b);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_crlf_with_preamble_and_epilogue() {
        let body = b"preamble\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\nepilogue";
        let parts = split(body, "b1").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"v=0\r\n");
        assert!(parts[0].content_type().unwrap().is("application", "sdp"));
        assert_eq!(parts[1].body, b"hello");
        assert_eq!(parts[1].header("content-type"), Some("text/plain"));
    }

    #[test]
    fn lf_no_close_no_headers_and_lookalike_lines() {
        let body = b"--b\n\nraw\n--bx not a delimiter\n--b \nc: x/y\n\nlast";
        let parts = split(body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"raw\n--bx not a delimiter");
        assert!(parts[0].headers.is_empty());
        assert_eq!(parts[1].header("Content-Type"), Some("x/y"));
        assert_eq!(parts[1].body, b"last");
        assert_eq!(split(b"no delimiters", "b"), Err(MultipartError::NoParts));
        assert_eq!(split(b"--b--\n", "b"), Err(MultipartError::NoParts));
        assert_eq!(split(b"--\n", ""), Err(MultipartError::NoBoundary));
    }

    #[test]
    fn guess() {
        assert_eq!(guess_boundary(b"\r\n  \n--abc\r\n"), Some("abc"));
        assert_eq!(guess_boundary(b"v=0\n--abc\n"), None);
        assert_eq!(guess_boundary(b"--x--\n"), Some("x"));
    }
}
