//! A capture filter in the tcpdump/BPF style, parsed and evaluated here (no
//! libpcap): what a live capture keeps before anything is decoded further.
//!
//! Grammar (keywords are case-insensitive):
//!
//! ```text
//! expr    := and ( ("or" | "||") and )*
//! and     := unary ( ("and" | "&&") unary )*
//! unary   := ("not" | "!") unary | "(" expr ")" | primitive
//! primitive := "ip" | "ip6" | "udp" | "tcp"
//!            | ["udp" | "tcp"] ["src" | "dst"] ("port" N | "portrange" A-B)
//!            | ["src" | "dst"] ("host" ADDR | "net" CIDR)
//! ```
//!
//! `udp port 5060` means UDP *and* port 5060, as in tcpdump. Packets that are
//! not IP match no primitive. A non-first IP fragment has no ports: port
//! primitives are *unknown* on it, evaluated with three-valued logic
//! (`not unknown` is unknown), and a packet whose result is unknown is kept,
//! so that a filter on SIP's port does not cut the tail off a fragmented
//! INVITE before reassembly.

use std::fmt;
use std::net::IpAddr;

use crate::ip::{PROTO_TCP, PROTO_UDP, decode_ip};
use crate::link::{LinkPayload, LinkType, decode_link};
use crate::tracker::IpNet;

mod bpf;
pub use bpf::BpfInsn;

/// Which end of a packet a primitive looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Src,
    Dst,
    Either,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Ip4,
    Ip6,
    Proto(u8),
    Ports { dir: Dir, lo: u16, hi: u16 },
    Net { dir: Dir, net: IpNet },
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

/// A parsed capture filter. [`CaptureFilter::default`] keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureFilter {
    root: Option<Node>,
    text: String,
}

/// Why a filter expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capture filter at word {position}: {message}")]
pub struct FilterError {
    /// 1-based index of the offending word (or the end).
    pub position: usize,
    pub message: String,
}

/// What the filter sees of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeaders {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    /// `None` on a non-first fragment (and for protocols without ports).
    pub ports: Option<(u16, u16)>,
    /// A non-first fragment: its ports are unknown.
    pub later_fragment: bool,
}

/// Peels link and IP headers of a frame for the filter; `None` when the
/// frame is not IP (or too broken to tell).
pub fn packet_headers(link: LinkType, data: &[u8]) -> Option<PacketHeaders> {
    let mut vlan = None;
    let LinkPayload::Ip(ip) = decode_link(link, data, &mut vlan) else { return None };
    let p = decode_ip(ip).ok()?;
    let later_fragment = p.fragment.is_some_and(|f| f.offset > 0);
    let ports = if later_fragment || !(p.proto == PROTO_UDP || p.proto == PROTO_TCP) {
        None
    } else {
        p.payload
            .get(..4)
            .map(|h| (u16::from_be_bytes([h[0], h[1]]), u16::from_be_bytes([h[2], h[3]])))
    };
    Some(PacketHeaders { src: p.src, dst: p.dst, proto: p.proto, ports, later_fragment })
}

/// Three-valued truth for fragments whose ports are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn from(b: bool) -> Self {
        if b { Truth::True } else { Truth::False }
    }
}

impl Node {
    fn eval(&self, p: &PacketHeaders) -> Truth {
        match self {
            Node::Ip4 => Truth::from(p.src.is_ipv4()),
            Node::Ip6 => Truth::from(p.src.is_ipv6()),
            Node::Proto(n) => Truth::from(p.proto == *n),
            Node::Ports { dir, lo, hi } => match p.ports {
                Some((s, d)) => {
                    let hit = |x: u16| (*lo..=*hi).contains(&x);
                    Truth::from(match dir {
                        Dir::Src => hit(s),
                        Dir::Dst => hit(d),
                        Dir::Either => hit(s) || hit(d),
                    })
                }
                None if p.later_fragment => Truth::Unknown,
                None => Truth::False,
            },
            Node::Net { dir, net } => Truth::from(match dir {
                Dir::Src => net.contains(p.src),
                Dir::Dst => net.contains(p.dst),
                Dir::Either => net.contains(p.src) || net.contains(p.dst),
            }),
            Node::Not(a) => match a.eval(p) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            Node::And(a, b) => match (a.eval(p), b.eval(p)) {
                (Truth::False, _) | (_, Truth::False) => Truth::False,
                (Truth::True, Truth::True) => Truth::True,
                _ => Truth::Unknown,
            },
            Node::Or(a, b) => match (a.eval(p), b.eval(p)) {
                (Truth::True, _) | (_, Truth::True) => Truth::True,
                (Truth::False, Truth::False) => Truth::False,
                _ => Truth::Unknown,
            },
        }
    }
}

impl CaptureFilter {
    /// Parses an expression; an empty or blank one keeps everything.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Ok(Self::default());
        }
        let mut p = Parser { tokens: &tokens, at: 0 };
        let root = p.expr(0)?;
        if p.at < tokens.len() {
            return Err(p.error(format!("unexpected {:?}", tokens[p.at])));
        }
        Ok(Self { root: Some(root), text: text.trim().to_owned() })
    }

    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Whether a frame passes. Non-IP frames pass only an empty filter or
    /// one whose outcome does not depend on IP (`not udp`).
    pub fn matches(&self, link: LinkType, data: &[u8]) -> bool {
        let Some(root) = &self.root else { return true };
        match packet_headers(link, data) {
            Some(h) => self.matches_headers(&h),
            // Not IP: every primitive is false.
            None => eval_non_ip(root),
        }
    }

    /// Whether a packet with these headers passes (unknown counts as yes).
    pub fn matches_headers(&self, h: &PacketHeaders) -> bool {
        match &self.root {
            None => true,
            Some(root) => root.eval(h) != Truth::False,
        }
    }
}

fn eval_non_ip(n: &Node) -> bool {
    match n {
        Node::Not(a) => !eval_non_ip(a),
        Node::And(a, b) => eval_non_ip(a) && eval_non_ip(b),
        Node::Or(a, b) => eval_non_ip(a) || eval_non_ip(b),
        _ => false,
    }
}

impl fmt::Display for CaptureFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(c.to_string());
            }
            '!' if chars.peek() != Some(&'=') => {
                flush(&mut word, &mut out);
                out.push("not".into());
            }
            '&' | '|' if chars.peek() == Some(&c) => {
                chars.next();
                flush(&mut word, &mut out);
                out.push(if c == '&' { "and" } else { "or" }.into());
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Deepest nesting of parentheses and `not`s accepted (no stack overflow on
/// hostile input).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> FilterError {
        FilterError { position: self.at + 1, message }
    }

    /// An error about the word just read.
    fn bad_word(&self, message: String) -> FilterError {
        FilterError { position: self.at.max(1), message }
    }

    fn peek(&self) -> Option<String> {
        self.tokens.get(self.at).map(|t| t.to_ascii_lowercase())
    }

    fn next_word(&mut self, what: &str) -> Result<String, FilterError> {
        let t = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| self.error(format!("{what} expected")))?;
        self.at += 1;
        Ok(t)
    }

    fn expr(&mut self, depth: usize) -> Result<Node, FilterError> {
        let mut left = self.and(depth)?;
        while self.peek().as_deref() == Some("or") {
            self.at += 1;
            let right = self.and(depth)?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Node, FilterError> {
        let mut left = self.unary(depth)?;
        while self.peek().as_deref() == Some("and") {
            self.at += 1;
            let right = self.unary(depth)?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Node, FilterError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply".into()));
        }
        match self.peek().as_deref() {
            Some("not") => {
                self.at += 1;
                Ok(Node::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some("(") => {
                self.at += 1;
                let inner = self.expr(depth + 1)?;
                if self.peek().as_deref() != Some(")") {
                    return Err(self.error("')' expected".into()));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(_) => self.primitive(),
            None => Err(self.error("an expression expected".into())),
        }
    }

    fn primitive(&mut self) -> Result<Node, FilterError> {
        let mut proto = None;
        match self.peek().as_deref() {
            Some("ip") => {
                self.at += 1;
                return Ok(Node::Ip4);
            }
            Some("ip6") => {
                self.at += 1;
                return Ok(Node::Ip6);
            }
            Some(p @ ("udp" | "tcp")) => {
                self.at += 1;
                let n = if p == "udp" { PROTO_UDP } else { PROTO_TCP };
                match self.peek().as_deref() {
                    Some("src" | "dst" | "port" | "portrange") => proto = Some(n),
                    _ => return Ok(Node::Proto(n)),
                }
            }
            _ => {}
        }
        let dir = match self.peek().as_deref() {
            Some("src") => {
                self.at += 1;
                Dir::Src
            }
            Some("dst") => {
                self.at += 1;
                Dir::Dst
            }
            _ => Dir::Either,
        };
        let keyword =
            self.next_word("a primitive (host, net, port, portrange, udp, tcp, ip, ip6)")?;
        let node = match keyword.to_ascii_lowercase().as_str() {
            "port" => {
                let w = self.next_word("a port number")?;
                let port =
                    w.parse::<u16>().map_err(|_| self.bad_word(format!("{w:?} is not a port")))?;
                Node::Ports { dir, lo: port, hi: port }
            }
            "portrange" => {
                let w = self.next_word("a port range like 10000-20000")?;
                let range = w
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)));
                match range {
                    Some((lo, hi)) if lo <= hi => Node::Ports { dir, lo, hi },
                    _ => {
                        return Err(
                            self.bad_word(format!("{w:?} is not a port range like 10000-20000"))
                        );
                    }
                }
            }
            k @ ("host" | "net") if proto.is_none() => {
                let w = self.next_word("an address")?;
                let net = IpNet::parse(&w).filter(|_| k == "net" || !w.contains('/')).ok_or_else(
                    || {
                        self.bad_word(format!(
                            "{w:?} is not an {}",
                            if k == "net" { "address/prefix" } else { "IP address" }
                        ))
                    },
                )?;
                Node::Net { dir, net }
            }
            other => {
                self.at -= 1;
                return Err(self.error(format!("unknown primitive {other:?}")));
            }
        };
        Ok(match proto {
            Some(p) => Node::And(Box::new(Node::Proto(p)), Box::new(node)),
            None => node,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::synth::{self, Encap};

    type Packet = (LinkType, Vec<u8>);

    fn udp(src: &str, dst: &str) -> Packet {
        let (s, d): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        synth::wrap(Encap::Ethernet, &synth::udp_packet(s, d, b"hello"))
    }

    fn tcp(src: &str, dst: &str) -> Packet {
        let (s, d): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
        let ip = synth::tcp_packet(s, d, 1, crate::tcp::TcpFlags::default(), b"x");
        synth::wrap(Encap::Ethernet, &ip)
    }

    /// (filter, packet, expected) rows.
    #[test]
    fn expressions() {
        let sip = udp("10.0.0.1:5060", "10.0.0.2:5060");
        let rtp = udp("10.0.0.1:20000", "192.168.1.9:30002");
        let tcp_sip = tcp("[2001:db8::1]:5060", "[2001:db8::2]:40000");
        let cases: &[(&str, &Packet, bool)] = &[
            ("", &sip, true),
            ("udp", &sip, true),
            ("tcp", &sip, false),
            ("tcp", &tcp_sip, true),
            ("port 5060", &sip, true),
            ("port 5060", &tcp_sip, true),
            ("udp port 5060", &tcp_sip, false),
            ("tcp port 5060", &tcp_sip, true),
            ("src port 5060", &tcp_sip, true),
            ("dst port 5060", &tcp_sip, false),
            ("portrange 10000-40000", &rtp, true),
            ("portrange 10000-19999", &rtp, false),
            ("udp dst portrange 30000-30002", &rtp, true),
            ("udp and (port 5060 or portrange 10000-20000)", &rtp, true),
            ("udp and (port 5060 or portrange 10000-19999)", &rtp, false),
            ("host 10.0.0.2", &sip, true),
            ("host 10.0.0.3", &sip, false),
            ("src host 10.0.0.2", &sip, false),
            ("dst host 10.0.0.2", &sip, true),
            ("net 192.168.0.0/16", &rtp, true),
            ("dst net 192.168.0.0/16", &rtp, true),
            ("src net 192.168.0.0/16", &rtp, false),
            ("net 2001:db8::/32", &tcp_sip, true),
            ("host 2001:db8::2", &tcp_sip, true),
            ("ip", &sip, true),
            ("ip6", &sip, false),
            ("ip6", &tcp_sip, true),
            ("not port 5060", &sip, false),
            ("! port 5060", &rtp, true),
            ("udp && !(port 5060)", &rtp, true),
            ("port 5060 || host 192.168.1.9", &rtp, true),
            ("NOT UDP", &sip, false),
            ("not udp or port 5060", &sip, true),
            ("not not udp", &sip, true),
        ];
        for (expr, (link, frame), want) in cases {
            let f = CaptureFilter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(f.matches(*link, frame), *want, "{expr}");
        }
    }

    #[test]
    fn errors_name_the_word() {
        for (expr, position) in [
            ("port", 2),
            ("port x", 2),
            ("portrange 5-1", 2),
            ("host 10.0.0.0/8", 2),
            ("net 10.0.0.0/33", 2),
            ("udp and", 3),
            ("(udp", 3),
            ("udp)", 2),
            ("frobnicate", 1),
            ("udp host 1.2.3.4", 2),
        ] {
            let e = CaptureFilter::parse(expr).unwrap_err();
            assert_eq!(e.position, position, "{expr}: {e}");
        }
        let deep = "(".repeat(1000) + "udp" + &")".repeat(1000);
        assert!(CaptureFilter::parse(&deep).is_err());
    }

    #[test]
    fn later_fragments_pass_port_filters_and_non_ip_passes_only_negations() {
        let src: SocketAddr = "10.0.0.1:5060".parse().unwrap();
        let dst: SocketAddr = "10.0.0.2:5060".parse().unwrap();
        let frags = synth::fragmented_udp(src, dst, 7, &vec![b'x'; 3000], 1400);
        assert!(frags.len() >= 2);
        let f = CaptureFilter::parse("udp port 5060").unwrap();
        let not = CaptureFilter::parse("not port 5060").unwrap();
        let other_host = CaptureFilter::parse("port 5060 and host 10.9.9.9").unwrap();
        for ip in &frags {
            let (link, frame) = synth::wrap(Encap::Ethernet, ip);
            assert!(f.matches(link, &frame));
            assert!(!other_host.matches(link, &frame), "host is known on every fragment");
            let _ = not.matches(link, &frame); // first: false; later: unknown → kept
        }
        let (link, later) = synth::wrap(Encap::Ethernet, &frags[1]);
        assert!(not.matches(link, &later), "unknown is kept");
        let arp = [0u8; 60];
        assert!(!CaptureFilter::parse("udp").unwrap().matches(LinkType::ETHERNET, &arp));
        assert!(CaptureFilter::parse("not udp").unwrap().matches(LinkType::ETHERNET, &arp));
    }
}
