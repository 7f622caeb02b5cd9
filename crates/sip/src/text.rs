//! Small text helpers shared by the parsers: quote-aware splitting,
//! parameter lists and percent-decoding.

use std::borrow::Cow;

/// Splits `s` on `sep` where `sep` is outside double quotes and angle
/// brackets. Empty pieces (after trimming) are skipped.
pub fn split_unquoted(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let bytes = s.as_bytes();
    let mut start = 0usize;
    let mut pos = 0usize;
    let mut in_quotes = false;
    let mut angle = 0u32;
    let mut done = false;
    std::iter::from_fn(move || {
        while !done {
            let b = bytes.get(pos).copied();
            match b {
                None => {
                    done = true;
                    let piece = s.get(start..).unwrap_or("").trim();
                    if !piece.is_empty() {
                        return Some(piece);
                    }
                }
                Some(c) => {
                    pos += 1;
                    if in_quotes {
                        if c == b'\\' {
                            pos += 1;
                        } else if c == b'"' {
                            in_quotes = false;
                        }
                    } else if c == b'"' {
                        in_quotes = true;
                    } else if c == b'<' {
                        angle = angle.saturating_add(1);
                    } else if c == b'>' {
                        angle = angle.saturating_sub(1);
                    } else if c == sep && angle == 0 {
                        let piece = s.get(start..pos - 1).unwrap_or("").trim();
                        start = pos;
                        if !piece.is_empty() {
                            return Some(piece);
                        }
                    }
                }
            }
        }
        None
    })
}

/// Finds the first `needle` byte outside double quotes.
pub fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut in_quotes = false;
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if in_quotes {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_quotes = false;
            }
        } else if c == b'"' {
            in_quotes = true;
        } else if c == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Removes surrounding double quotes and resolves `\x` escapes.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    let inner = match t.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').unwrap_or(rest),
        None => return Cow::Borrowed(t),
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A `;`-separated parameter list as it appears after a URI, a Via or a
/// name-addr: `tag=abc;lr;branch=z9hG4bK1`. Holds the raw text (without the
/// leading `;`); look-ups are case-insensitive on the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a>(pub &'a str);

impl<'a> Params<'a> {
    /// Every `(name, value)` pair; a flag parameter has the value `None`.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + use<'a> {
        split_unquoted(self.0, b';').map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (p.trim(), None),
        })
    }

    /// The raw value of `name`: `Some("")` for a flag, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.unwrap_or(""))
    }

    /// The value of `name` with surrounding quotes removed.
    pub fn get_unquoted(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).map(unquote)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_brackets() {
        let v: Vec<_> =
            split_unquoted(r#""a,b" <sip:x@y;p=1,2>, <sip:z@w> , ,last"#, b',').collect();
        assert_eq!(v, vec![r#""a,b" <sip:x@y;p=1,2>"#, "<sip:z@w>", "last"]);
    }

    #[test]
    fn unquote_escapes() {
        assert_eq!(unquote(r#" "a \"b\" c" "#), r#"a "b" c"#);
        assert_eq!(unquote("plain"), "plain");
        assert_eq!(unquote("\"open"), "open");
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%40b%3Bc%zz%4"), "a@b;c%zz%4");
    }

    #[test]
    fn params() {
        let p = Params("tag=abc; LR ;purpose=\"a;b\"");
        assert_eq!(p.get("Tag"), Some("abc"));
        assert_eq!(p.get("lr"), Some(""));
        assert_eq!(p.get_unquoted("purpose").as_deref(), Some("a;b"));
        assert_eq!(p.get("x"), None);
    }
}
