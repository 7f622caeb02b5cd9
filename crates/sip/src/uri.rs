//! SIP, SIPS and tel URIs and name-addr values (`"Bob" <sip:bob@b.example>;tag=1`).
//!
//! Parsing is tolerant: captured traffic and SIPREC metadata carry URIs
//! without a scheme (`2249888500@172.16.198.55`), odd ports and stray
//! spaces; such URIs still parse, with [`Scheme::Missing`] or no port.

use std::borrow::Cow;

use crate::text::{Params, find_unquoted, percent_decode, unquote};

/// The URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    /// No scheme at all (`user@host`), seen in vendor metadata.
    Missing,
    /// Any other scheme (`urn:`, `http:`); the rest is kept in `host`.
    Other,
}

/// A parsed URI borrowing its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: Scheme,
    /// The scheme as written (`sip`, `SIP`, `tel`, empty when missing).
    pub scheme_str: &'a str,
    /// User part, still percent-encoded; for `tel:` the number.
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    /// Host without brackets for IPv6; empty for `tel:`.
    pub host: &'a str,
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params<'a>,
    /// URI headers after `?`, raw (`Replaces=...&Require=replaces`).
    pub headers: &'a str,
}

impl<'a> Uri<'a> {
    /// Parses a URI. Returns `None` only for an empty string or an empty host
    /// on a SIP URI.
    pub fn parse(s: &'a str) -> Option<Uri<'a>> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let (scheme, scheme_str, rest) = match s.split_once(':') {
            Some((sch, rest))
                if !sch.is_empty()
                    && !sch.contains('@')
                    && sch.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
                    }) =>
            {
                let scheme = if sch.eq_ignore_ascii_case("sip") {
                    Scheme::Sip
                } else if sch.eq_ignore_ascii_case("sips") {
                    Scheme::Sips
                } else if sch.eq_ignore_ascii_case("tel") {
                    Scheme::Tel
                } else if rest.contains('@') && sch.bytes().all(|b| b.is_ascii_digit()) {
                    // `1234:pw@host` is not a scheme.
                    return Self::parse_sip_like(Scheme::Missing, "", s);
                } else {
                    Scheme::Other
                };
                (scheme, sch, rest)
            }
            _ => (Scheme::Missing, "", s),
        };
        match scheme {
            Scheme::Sip | Scheme::Sips | Scheme::Missing => {
                Self::parse_sip_like(scheme, scheme_str, rest)
            }
            Scheme::Tel => {
                let (number, params) = rest.split_once(';').unwrap_or((rest, ""));
                Some(Uri {
                    scheme,
                    scheme_str,
                    user: Some(number.trim()),
                    password: None,
                    host: "",
                    port: None,
                    params: Params(params),
                    headers: "",
                })
            }
            Scheme::Other => Some(Uri {
                scheme,
                scheme_str,
                user: None,
                password: None,
                host: rest,
                port: None,
                params: Params(""),
                headers: "",
            }),
        }
    }

    fn parse_sip_like(scheme: Scheme, scheme_str: &'a str, rest: &'a str) -> Option<Uri<'a>> {
        let (main, headers) = rest.split_once('?').unwrap_or((rest, ""));
        let (userinfo, hostpart) = match main.rfind('@') {
            Some(at) => (main.get(..at), main.get(at + 1..).unwrap_or("")),
            None => (None, main),
        };
        let (user, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (Some(u), Some(p)),
                None => (Some(ui), None),
            },
            None => (None, None),
        };
        let (hostport, params) = hostpart.split_once(';').unwrap_or((hostpart, ""));
        let hostport = hostport.trim();
        let (host, port) = split_host_port(hostport);
        if host.is_empty() && scheme != Scheme::Missing {
            return None;
        }
        Some(Uri {
            scheme,
            scheme_str,
            user,
            password,
            host,
            port,
            params: Params(params),
            headers,
        })
    }

    /// The user part with percent escapes decoded.
    pub fn user_decoded(&self) -> Option<Cow<'a, str>> {
        self.user.map(percent_decode)
    }

    /// A URI header value (after `?`), percent-decoded. Names are
    /// case-insensitive.
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.headers
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| percent_decode(v))
    }
}

/// Splits `host[:port]`, `[v6]:port` or a bare IPv6 address.
pub fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':').and_then(|p| p.trim().parse().ok())),
            None => (rest, None),
        };
    }
    if s.bytes().filter(|&b| b == b':').count() > 1 {
        return (s, None); // bare IPv6 without brackets
    }
    match s.split_once(':') {
        Some((h, p)) => (h.trim(), p.trim().parse().ok()),
        None => (s, None),
    }
}

/// A `name-addr` or `addr-spec` with header parameters, as in From, To,
/// Contact, Refer-To, Referred-By.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name without quotes.
    pub display_name: Option<Cow<'a, str>>,
    /// The URI text as written between `<` and `>` (or the bare addr-spec).
    pub uri_str: &'a str,
    /// The parsed URI, when it parses.
    pub uri: Option<Uri<'a>>,
    /// Header parameters after the URI (`tag`, `expires`, `+sip.src`).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses `"Name" <uri>;params`, `Name <uri>;params` or `uri;params`.
    pub fn parse(s: &'a str) -> Option<NameAddr<'a>> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if let Some(lt) = find_unquoted(s, b'<') {
            let display = s.get(..lt).unwrap_or("").trim();
            let after = s.get(lt + 1..).unwrap_or("");
            let (uri_str, tail) = match after.find('>') {
                Some(gt) => (after.get(..gt).unwrap_or(""), after.get(gt + 1..).unwrap_or("")),
                None => (after, ""),
            };
            let params = tail.trim().strip_prefix(';').unwrap_or("");
            let display_name = if display.is_empty() { None } else { Some(unquote(display)) };
            return Some(NameAddr {
                display_name,
                uri_str: uri_str.trim(),
                uri: Uri::parse(uri_str),
                params: Params(params),
            });
        }
        let (uri_str, params) = s.split_once(';').unwrap_or((s, ""));
        Some(NameAddr {
            display_name: None,
            uri_str: uri_str.trim(),
            uri: Uri::parse(uri_str),
            params: Params(params),
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").filter(|t| !t.is_empty())
    }

    /// The URI's user part, if any.
    pub fn user(&self) -> Option<&'a str> {
        self.uri.as_ref().and_then(|u| u.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_uri(s: &str, scheme: Scheme, user: Option<&str>, host: &str, port: Option<u16>) {
        let u = Uri::parse(s).expect("parses");
        assert_eq!((u.scheme, u.user, u.host, u.port), (scheme, user, host, port), "{s}");
    }

    #[test]
    fn uris() {
        check_uri("sip:alice@atlanta.com", Scheme::Sip, Some("alice"), "atlanta.com", None);
        check_uri(
            "SIPS:bob:pw@10.0.0.1:5061;transport=tls",
            Scheme::Sips,
            Some("bob"),
            "10.0.0.1",
            Some(5061),
        );
        check_uri("sip:[2001:db8::1]:5070", Scheme::Sip, None, "2001:db8::1", Some(5070));
        check_uri(
            "tel:+1-201-555-0123;phone-context=x",
            Scheme::Tel,
            Some("+1-201-555-0123"),
            "",
            None,
        );
        check_uri(
            "2249888500@172.16.198.55",
            Scheme::Missing,
            Some("2249888500"),
            "172.16.198.55",
            None,
        );
        check_uri(
            "sip:+123;npdi@h.example;user=phone",
            Scheme::Sip,
            Some("+123;npdi"),
            "h.example",
            None,
        );
        check_uri("sip:host.example:notaport", Scheme::Sip, None, "host.example", None);
        let u = Uri::parse("sip:a@b;transport=TCP;lr?Replaces=x%40y%3Bto-tag%3D1&Require=replaces")
            .unwrap();
        assert_eq!(u.params.get("transport"), Some("TCP"));
        assert!(u.params.contains("lr"));
        assert_eq!(u.header("replaces").as_deref(), Some("x@y;to-tag=1"));
        assert_eq!(Uri::parse("urn:uuid:1234").map(|u| u.scheme), Some(Scheme::Other));
        assert!(Uri::parse("sip:").is_none());
        assert!(Uri::parse("  ").is_none());
    }

    #[test]
    fn name_addrs() {
        let n = NameAddr::parse(r#""Bob \"B\"" <sip:bob@biloxi.com;transport=udp>;tag=a6c85cf;x"#)
            .unwrap();
        assert_eq!(n.display_name.as_deref(), Some(r#"Bob "B""#));
        assert_eq!(n.uri_str, "sip:bob@biloxi.com;transport=udp");
        assert_eq!(n.tag(), Some("a6c85cf"));
        assert_eq!(n.user(), Some("bob"));
        let n = NameAddr::parse("Anonymous <sip:c8oqz84zk7z@privacy.org>").unwrap();
        assert_eq!(n.display_name.as_deref(), Some("Anonymous"));
        assert_eq!(n.tag(), None);
        let n = NameAddr::parse("sip:+12125551212@phone2net.com;tag=887s").unwrap();
        assert_eq!(n.tag(), Some("887s"));
        assert_eq!(n.user(), Some("+12125551212"));
        let n = NameAddr::parse("<sip:srs@10.0.0.1>;+sip.src").unwrap();
        assert!(n.params.contains("+sip.src"));
        let n = NameAddr::parse("\"a<b\" <sip:x@y").unwrap();
        assert_eq!(n.display_name.as_deref(), Some("a<b"));
        assert_eq!(n.user(), Some("x"));
    }
}
