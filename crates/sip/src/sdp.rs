//! SDP (RFC 4566/8866) parsing and writing, and the recvonly answer an SRS
//! gives to a SIPREC offer.
//!
//! The parser keeps every line it does not model as a raw attribute, so a
//! parsed description writes back without losing information. It accepts
//! LF-only line ends, trailing spaces and unknown lines; it fails only when
//! there is no `v=`/`m=`/`o=` line at all.

use std::fmt;
use std::net::IpAddr;

use thiserror::Error;

/// Why a body is not SDP.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    #[error("not an sdp body")]
    NotSdp,
}

/// Media direction attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn parse(s: &str) -> Option<Direction> {
        match s {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: String,
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

/// `c=` line. The address is kept as text (vendors write `X.X.X.X` or
/// `IP4 0.0.0.0`); [`Connection::ip`] parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub net_type: String,
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// Address without a `/ttl` suffix.
    pub address: String,
}

impl Connection {
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    fn parse(v: &str) -> Option<Connection> {
        let mut it = v.split_ascii_whitespace();
        let net_type = it.next()?.to_owned();
        let addr_type = it.next()?.to_owned();
        let address = it.next()?.split('/').next()?.to_owned();
        Some(Connection { net_type, addr_type, address })
    }

    pub fn for_ip(ip: IpAddr) -> Connection {
        Connection {
            net_type: "IN".into(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string(),
        }
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

impl RtpMap {
    fn parse(v: &str) -> Option<RtpMap> {
        let (pt, rest) = v.trim().split_once(char::is_whitespace)?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.trim().to_owned();
        let clock_rate = parts.next()?.trim().parse().ok()?;
        let channels = parts.next().and_then(|c| c.trim().parse().ok());
        Some(RtpMap { payload_type: pt.parse().ok()?, encoding, clock_rate, channels })
    }
}

/// `a=rtcp:<port> [IN IP4 <addr>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    pub port: u16,
    pub connection: Option<Connection>,
}

/// An attribute kept as written: `a=name[:value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`...
    pub media: String,
    pub port: u16,
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`...
    pub proto: String,
    /// Formats as written (payload types for RTP).
    pub formats: Vec<String>,
    pub connection: Option<Connection>,
    pub bandwidth: Vec<String>,
    pub direction: Option<Direction>,
    pub rtpmaps: Vec<RtpMap>,
    /// `(payload type, parameters)` from `a=fmtp`.
    pub fmtps: Vec<(u8, String)>,
    /// `a=label` (RFC 4574): the SIPREC stream label.
    pub label: Option<String>,
    pub rtcp: Option<Rtcp>,
    pub ptime: Option<u32>,
    /// Every other attribute, in order.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// Payload types, skipping non-numeric formats.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|r| r.payload_type == pt)
    }

    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.fmtps.iter().find(|(p, _)| *p == pt).map(|(_, v)| v.as_str())
    }

    /// Direction of this section, falling back to the session level, then
    /// to sendrecv.
    pub fn effective_direction(&self, session: &SessionDescription) -> Direction {
        self.direction.or(session.direction).unwrap_or(Direction::SendRecv)
    }

    /// Connection of this section, falling back to the session level.
    pub fn effective_connection<'s>(
        &'s self,
        session: &'s SessionDescription,
    ) -> Option<&'s Connection> {
        self.connection.as_ref().or(session.connection.as_ref())
    }

    /// The codec of payload type `pt`: the rtpmap, or the RFC 3551 static
    /// assignment.
    pub fn codec(&self, pt: u8) -> Option<Codec> {
        if let Some(r) = self.rtpmap(pt) {
            return Codec::from_name(&r.encoding, r.clock_rate);
        }
        match pt {
            0 => Some(Codec::Pcmu),
            // RFC 1890's G721, `G726-32` in practice (RFC 3551 §4.5.4).
            2 => Some(Codec::G726 { bits: 4, aal2: false }),
            8 => Some(Codec::Pcma),
            9 => Some(Codec::G722),
            _ => None,
        }
    }
}

/// Codecs the SRS can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Pcmu,
    Pcma,
    G722,
    Opus,
    /// G.726 at `bits` per sample (2..=5), RFC 3551 packing (`G726-32`) or
    /// AAL2 packing (`AAL2-G726-32`).
    G726 {
        bits: u8,
        aal2: bool,
    },
    TelephoneEvent,
}

impl Codec {
    fn from_name(name: &str, clock: u32) -> Option<Codec> {
        let n = name.to_ascii_lowercase();
        let (aal2, g726) = match n.strip_prefix("aal2-") {
            Some(rest) => (true, rest),
            None => (false, n.as_str()),
        };
        let bits = match g726 {
            "g726-16" => Some(2),
            "g726-24" => Some(3),
            "g726-32" | "g721" => Some(4),
            "g726-40" => Some(5),
            _ => None,
        };
        if let (Some(bits), 8000) = (bits, clock) {
            return Some(Codec::G726 { bits, aal2 });
        }
        match (n.as_str(), clock) {
            ("pcmu", 8000) => Some(Codec::Pcmu),
            ("pcma", 8000) => Some(Codec::Pcma),
            ("g722", 8000) => Some(Codec::G722),
            ("opus", 48000) => Some(Codec::Opus),
            ("telephone-event", _) => Some(Codec::TelephoneEvent),
            _ => None,
        }
    }
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionDescription {
    pub version: String,
    pub origin: Option<Origin>,
    pub session_name: String,
    pub connection: Option<Connection>,
    pub bandwidth: Vec<String>,
    /// `t=` lines as written.
    pub timing: Vec<String>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    /// Other session-level `a=` lines, in order (`i=`, `u=`, `e=`, `k=`,
    /// `z=`, `r=` lines are dropped).
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Parses SDP text. Unknown lines are skipped; broken `m=`/`c=` lines
    /// are skipped rather than failing the whole body.
    pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
        let mut sdp = SessionDescription::default();
        let mut seen_sdp_line = false;
        for raw in text.lines() {
            let line = raw.trim();
            let Some((kind, value)) = line.split_once('=') else { continue };
            if kind.len() != 1 {
                continue;
            }
            let value = value.trim();
            match kind {
                "v" => {
                    seen_sdp_line = true;
                    sdp.version = value.to_owned();
                }
                "o" => {
                    seen_sdp_line = true;
                    let f: Vec<&str> = value.split_ascii_whitespace().collect();
                    if let [u, id, ver, nt, at, addr, ..] = f.as_slice() {
                        sdp.origin = Some(Origin {
                            username: (*u).into(),
                            session_id: (*id).into(),
                            session_version: (*ver).into(),
                            net_type: (*nt).into(),
                            addr_type: (*at).into(),
                            address: (*addr).into(),
                        });
                    }
                }
                "s" if sdp.media.is_empty() => sdp.session_name = value.to_owned(),
                "t" if sdp.media.is_empty() => sdp.timing.push(value.to_owned()),
                "m" => {
                    seen_sdp_line = true;
                    if let Some(m) = parse_m_line(value) {
                        sdp.media.push(m);
                    } else {
                        // keep later a= lines from attaching to the previous m=
                        sdp.media.push(MediaDescription {
                            media: String::new(),
                            port: 0,
                            port_count: None,
                            proto: String::new(),
                            formats: Vec::new(),
                            connection: None,
                            bandwidth: Vec::new(),
                            direction: None,
                            rtpmaps: Vec::new(),
                            fmtps: Vec::new(),
                            label: None,
                            rtcp: None,
                            ptime: None,
                            attributes: Vec::new(),
                        });
                    }
                }
                "c" => {
                    let c = Connection::parse(value);
                    match sdp.media.last_mut() {
                        Some(m) => m.connection = c,
                        None => sdp.connection = c,
                    }
                }
                "b" => match sdp.media.last_mut() {
                    Some(m) => m.bandwidth.push(value.to_owned()),
                    None => sdp.bandwidth.push(value.to_owned()),
                },
                "a" => {
                    let (name, val) = match value.split_once(':') {
                        Some((n, v)) => (n.trim(), Some(v.trim())),
                        None => (value, None),
                    };
                    match sdp.media.last_mut() {
                        Some(m) => apply_media_attribute(m, name, val),
                        None => match (Direction::parse(name), val) {
                            (Some(d), None) => sdp.direction = Some(d),
                            _ => sdp.attributes.push(Attribute {
                                name: name.to_owned(),
                                value: val.map(str::to_owned),
                            }),
                        },
                    }
                }
                _ => {}
            }
        }
        // drop placeholders for unparsable m= lines
        sdp.media.retain(|m| !m.media.is_empty());
        if !seen_sdp_line {
            return Err(SdpError::NotSdp);
        }
        Ok(sdp)
    }

    /// Parses a body that may not be UTF-8.
    pub fn parse_bytes(body: &[u8]) -> Result<SessionDescription, SdpError> {
        Self::parse(&String::from_utf8_lossy(body))
    }
}

fn parse_m_line(v: &str) -> Option<MediaDescription> {
    let mut it = v.split_ascii_whitespace();
    let media = it.next()?.to_owned();
    let port_s = it.next()?;
    let (port, port_count) = match port_s.split_once('/') {
        Some((p, n)) => (p.parse().ok()?, n.parse().ok()),
        None => (port_s.parse().ok()?, None),
    };
    let proto = it.next()?.to_owned();
    Some(MediaDescription {
        media,
        port,
        port_count,
        proto,
        formats: it.map(str::to_owned).collect(),
        connection: None,
        bandwidth: Vec::new(),
        direction: None,
        rtpmaps: Vec::new(),
        fmtps: Vec::new(),
        label: None,
        rtcp: None,
        ptime: None,
        attributes: Vec::new(),
    })
}

fn apply_media_attribute(m: &mut MediaDescription, name: &str, val: Option<&str>) {
    let handled = match (name, val) {
        (n, None) if Direction::parse(n).is_some() => {
            m.direction = Direction::parse(n);
            true
        }
        ("rtpmap", Some(v)) => match RtpMap::parse(v) {
            Some(r) => {
                m.rtpmaps.push(r);
                true
            }
            None => false,
        },
        ("fmtp", Some(v)) => match v.split_once(char::is_whitespace) {
            Some((pt, params)) if pt.parse::<u8>().is_ok() => {
                m.fmtps.push((pt.parse().unwrap_or_default(), params.trim().to_owned()));
                true
            }
            _ => false,
        },
        ("label", Some(v)) => {
            m.label = Some(v.to_owned());
            true
        }
        ("ptime", Some(v)) => match v.parse() {
            Ok(p) => {
                m.ptime = Some(p);
                true
            }
            Err(_) => false,
        },
        ("rtcp", Some(v)) => {
            let (port, rest) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
            match port.parse() {
                Ok(port) => {
                    m.rtcp = Some(Rtcp { port, connection: Connection::parse(rest) });
                    true
                }
                Err(_) => false,
            }
        }
        _ => false,
    };
    if !handled {
        m.attributes.push(Attribute { name: name.to_owned(), value: val.map(str::to_owned) });
    }
}

fn write_attr(f: &mut fmt::Formatter<'_>, a: &Attribute) -> fmt::Result {
    match &a.value {
        Some(v) => write!(f, "a={}:{}\r\n", a.name, v),
        None => write!(f, "a={}\r\n", a.name),
    }
}

impl fmt::Display for SessionDescription {
    /// Writes the description with CRLF line ends in RFC 8866 order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = if self.version.is_empty() { "0" } else { &self.version };
        write!(f, "v={version}\r\n")?;
        if let Some(o) = &self.origin {
            write!(
                f,
                "o={} {} {} {} {} {}\r\n",
                o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
            )?;
        }
        let name = if self.session_name.is_empty() { "-" } else { &self.session_name };
        write!(f, "s={name}\r\n")?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        for b in &self.bandwidth {
            write!(f, "b={b}\r\n")?;
        }
        if self.timing.is_empty() {
            write!(f, "t=0 0\r\n")?;
        }
        for t in &self.timing {
            write!(f, "t={t}\r\n")?;
        }
        for a in &self.attributes {
            write_attr(f, a)?;
        }
        if let Some(d) = self.direction {
            write!(f, "a={}\r\n", d.as_str())?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.media, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.proto)?;
            for fmt_ in &m.formats {
                write!(f, " {fmt_}")?;
            }
            write!(f, "\r\n")?;
            if let Some(c) = &m.connection {
                write!(f, "c={c}\r\n")?;
            }
            for b in &m.bandwidth {
                write!(f, "b={b}\r\n")?;
            }
            for r in &m.rtpmaps {
                write!(f, "a=rtpmap:{} {}/{}", r.payload_type, r.encoding, r.clock_rate)?;
                if let Some(ch) = r.channels {
                    write!(f, "/{ch}")?;
                }
                write!(f, "\r\n")?;
            }
            for (pt, p) in &m.fmtps {
                write!(f, "a=fmtp:{pt} {p}\r\n")?;
            }
            if let Some(p) = m.ptime {
                write!(f, "a=ptime:{p}\r\n")?;
            }
            if let Some(r) = &m.rtcp {
                match &r.connection {
                    Some(c) => write!(f, "a=rtcp:{} {c}\r\n", r.port)?,
                    None => write!(f, "a=rtcp:{}\r\n", r.port)?,
                }
            }
            for a in &m.attributes {
                write_attr(f, a)?;
            }
            if let Some(l) = &m.label {
                write!(f, "a=label:{l}\r\n")?;
            }
            if let Some(d) = m.direction {
                write!(f, "a={}\r\n", d.as_str())?;
            }
        }
        Ok(())
    }
}

/// What the SRS chose for one offered m-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredStream {
    /// Index of the m-line in the offer (and the answer).
    pub index: usize,
    pub label: Option<String>,
    /// Local port (0 when rejected).
    pub port: u16,
    /// Chosen codec and payload type; `None` when the line is rejected.
    pub codec: Option<(Codec, u8)>,
    /// Payload type of telephone-event, when offered and kept.
    pub telephone_event: Option<u8>,
    /// Direction written in the answer.
    pub direction: Direction,
}

/// Parameters of a recvonly answer (or of the SRS's own offer,
/// [`build_recvonly_offer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerConfig<'a> {
    /// Address RTP should go to.
    pub local_ip: IpAddr,
    /// One local port per offered m-line (by index). A missing entry or 0
    /// rejects the line.
    pub ports: &'a [u16],
    /// `o=` username, session id and version.
    pub origin_username: &'a str,
    pub session_id: u64,
    pub session_version: u64,
}

/// The encoding name and clock rate of a codec's `a=rtpmap`.
pub fn rtpmap_name(codec: Codec) -> (&'static str, u32) {
    match codec {
        Codec::Pcmu => ("PCMU", 8000),
        Codec::Pcma => ("PCMA", 8000),
        Codec::G722 => ("G722", 8000),
        Codec::Opus => ("opus", 48000),
        Codec::G726 { bits, aal2 } => {
            let names = if aal2 {
                ["AAL2-G726-16", "AAL2-G726-24", "AAL2-G726-32", "AAL2-G726-40"]
            } else {
                ["G726-16", "G726-24", "G726-32", "G726-40"]
            };
            (names[usize::from(bits.clamp(2, 5) - 2)], 8000)
        }
        Codec::TelephoneEvent => ("telephone-event", 8000),
    }
}

/// Builds the SRS answer to an offer (RFC 3264, RFC 7866 §8): one m-line
/// per offered m-line, each `recvonly` (or `inactive` when the offer line
/// is inactive or recvonly), keeping `a=label`, choosing the first offered
/// codec among PCMU, PCMA, G722, G.726 (any rate, either packing) and opus,
/// plus telephone-event when offered.
/// Lines with no supported codec, non-audio lines and offered port 0 are
/// rejected with port 0.
pub fn build_recvonly_answer(
    offer: &SessionDescription,
    config: &AnswerConfig<'_>,
) -> (SessionDescription, Vec<AnsweredStream>) {
    let mut media = Vec::with_capacity(offer.media.len());
    let mut streams = Vec::with_capacity(offer.media.len());
    for (index, m) in offer.media.iter().enumerate() {
        let port = config.ports.get(index).copied().unwrap_or(0);
        let codec = m.payload_types().find_map(|pt| match m.codec(pt) {
            Some(Codec::TelephoneEvent) | None => None,
            Some(c) => Some((c, pt)),
        });
        let telephone_event =
            m.payload_types().find(|&pt| m.codec(pt) == Some(Codec::TelephoneEvent));
        let offered_dir = m.effective_direction(offer);
        let accepted =
            m.media.eq_ignore_ascii_case("audio") && m.port != 0 && port != 0 && codec.is_some();
        let direction = match offered_dir {
            Direction::SendOnly | Direction::SendRecv => Direction::RecvOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        };
        let mut rtpmaps = Vec::new();
        let mut fmtps = Vec::new();
        let mut formats = Vec::new();
        if accepted {
            for pt in codec.map(|c| c.1).into_iter().chain(telephone_event) {
                formats.push(pt.to_string());
                if let Some(r) = m.rtpmap(pt) {
                    rtpmaps.push(r.clone());
                } else if let Some(c) = m.codec(pt) {
                    let (encoding, clock_rate) = rtpmap_name(c);
                    rtpmaps.push(RtpMap {
                        payload_type: pt,
                        encoding: encoding.into(),
                        clock_rate,
                        channels: None,
                    });
                }
                if let Some(p) = m.fmtp(pt) {
                    fmtps.push((pt, p.to_owned()));
                }
            }
        } else {
            formats = m.formats.iter().take(1).cloned().collect();
            if formats.is_empty() {
                formats.push("0".into());
            }
        }
        media.push(MediaDescription {
            media: m.media.clone(),
            port: if accepted { port } else { 0 },
            port_count: None,
            proto: m.proto.clone(),
            formats,
            connection: None,
            bandwidth: Vec::new(),
            direction: Some(direction),
            rtpmaps,
            fmtps,
            label: m.label.clone(),
            rtcp: None,
            ptime: if accepted { m.ptime } else { None },
            attributes: Vec::new(),
        });
        streams.push(AnsweredStream {
            index,
            label: m.label.clone(),
            port: if accepted { port } else { 0 },
            codec: if accepted { codec } else { None },
            telephone_event: if accepted { telephone_event } else { None },
            direction,
        });
    }
    let conn = Connection::for_ip(config.local_ip);
    let answer = SessionDescription {
        version: "0".into(),
        origin: Some(Origin {
            username: config.origin_username.to_owned(),
            session_id: config.session_id.to_string(),
            session_version: config.session_version.to_string(),
            net_type: conn.net_type.clone(),
            addr_type: conn.addr_type.clone(),
            address: conn.address.clone(),
        }),
        session_name: "-".into(),
        connection: Some(conn),
        bandwidth: Vec::new(),
        timing: vec!["0 0".into()],
        direction: None,
        attributes: Vec::new(),
        media,
    };
    (answer, streams)
}

/// The codecs the SRS offers when it makes the offer itself (a delayed-offer
/// INVITE, RFC 3261 §13.2.1), most wanted first: `(payload type, encoding,
/// clock rate, channels)`. Every one of them the media engine decodes.
pub const OFFERED_CODECS: &[(u8, &str, u32, Option<u8>)] = &[
    (0, "PCMU", 8000, None),
    (8, "PCMA", 8000, None),
    (9, "G722", 8000, None),
    (111, "opus", 48000, Some(2)),
    (101, "telephone-event", 8000, None),
];

/// The SRS's own offer, for an INVITE or re-INVITE that came without SDP
/// (RFC 3264 §5): one `recvonly` audio m-line per entry of `config.ports`
/// with every codec of [`OFFERED_CODECS`]; an entry 0 is a disabled line
/// (`m=audio 0`). The SRC's answer (in the ACK) says which codec it sends
/// and from where; [`build_recvonly_answer`] applied to that answer with the
/// same ports tells which lines were taken.
pub fn build_recvonly_offer(config: &AnswerConfig<'_>) -> SessionDescription {
    let media = config
        .ports
        .iter()
        .map(|&port| {
            let enabled = port != 0;
            let codecs: &[(u8, &str, u32, Option<u8>)] =
                if enabled { OFFERED_CODECS } else { &OFFERED_CODECS[..1] };
            MediaDescription {
                media: "audio".into(),
                port,
                port_count: None,
                proto: "RTP/AVP".into(),
                formats: codecs.iter().map(|c| c.0.to_string()).collect(),
                connection: None,
                bandwidth: Vec::new(),
                direction: enabled.then_some(Direction::RecvOnly),
                rtpmaps: if enabled {
                    codecs
                        .iter()
                        .map(|&(payload_type, encoding, clock_rate, channels)| RtpMap {
                            payload_type,
                            encoding: encoding.into(),
                            clock_rate,
                            channels,
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                fmtps: codecs
                    .iter()
                    .filter(|c| enabled && c.1 == "telephone-event")
                    .map(|c| (c.0, "0-16".to_owned()))
                    .collect(),
                label: None,
                rtcp: None,
                ptime: None,
                attributes: Vec::new(),
            }
        })
        .collect();
    let conn = Connection::for_ip(config.local_ip);
    SessionDescription {
        version: "0".into(),
        origin: Some(Origin {
            username: config.origin_username.to_owned(),
            session_id: config.session_id.to_string(),
            session_version: config.session_version.to_string(),
            net_type: conn.net_type.clone(),
            addr_type: conn.addr_type.clone(),
            address: conn.address.clone(),
        }),
        session_name: "-".into(),
        connection: Some(conn),
        bandwidth: Vec::new(),
        timing: vec!["0 0".into()],
        direction: None,
        attributes: Vec::new(),
        media,
    }
}
