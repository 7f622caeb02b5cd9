//! SIPREC recording metadata (RFC 7865) and the offer body that carries it
//! (RFC 7866 §8: `multipart/mixed` with SDP and `application/rs-metadata+xml`).
//!
//! Real SRCs deviate from the RFC schema, so the parser is lenient:
//! - both namespaces `urn:ietf:params:xml:ns:recording:1` and
//!   `urn:ietf:params:xml:ns:recording`, any prefix, or none;
//! - element names compared case-insensitively (`dataMode`, `datamode`);
//! - `participant_id`/`session_id`/`stream_id`/`group_id` or plain `id`;
//! - the Oracle/Acme draft layout: `<participant id session=...>` with
//!   `<send>`, `<recv>`, `<aor>`, `<name>` and times inside the participant;
//! - associations and streams that name ids not defined in the document
//!   (partial updates): placeholder entries are created so nothing is lost;
//! - times with `Z`, `+00:00`, `+0000` or no zone (taken as UTC);
//! - BroadWorks / Webex Calling's variant of the draft schema
//!   ([`MetadataVariant::BroadWorks`]): the root `<recording_metadata>` in
//!   `urn:ietf:params:xml:ns:siprec`, `<session group=>`, `<group>` with its
//!   `<initiator>`, `<participant id session=>` with `<aor>` or `<nameID>`,
//!   `<send><id>..</id></send>`, `<stream><mode>mixed</mode>`, and the
//!   `broadWorksRecordingMetadata` extension ([`BroadWorksCall`]: the
//!   recorded user and the call's direction, which say whose side is the
//!   company's). Partial updates (transfer, conference add/drop, redirect)
//!   use the same participant times and associations as the RFC form.
//!
//! Elements in other namespaces are vendor extensions, kept as raw XML.
//!
//! [`header_parties`] reads the parties a recording session's own SIP
//! headers name (P-Asserted-Identity, From, Diversion, Cisco's
//! `X-Cisco-Recording-Participant`...), for when the metadata is missing or
//! unusable.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, Utc};
use roxmltree::{Document, Node};
use thiserror::Error;

use crate::headers::MediaType;
use crate::multipart::{self, MultipartError};
use crate::sdp::{SdpError, SessionDescription};

/// Why a metadata document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetadataError {
    #[error("metadata is not well-formed xml: {0}")]
    Xml(String),
    #[error("metadata root element is {0}, not recording")]
    NotRecording(String),
}

/// Which schema a document followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataVariant {
    /// RFC 7865 `<recording>` (and the Oracle/Acme draft layout inside it).
    #[default]
    Rfc7865,
    /// BroadWorks / Webex Calling: `<recording_metadata>` in
    /// `urn:ietf:params:xml:ns:siprec` (draft-ietf-siprec-metadata).
    BroadWorks,
}

/// Which way the recorded BroadWorks user's call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    /// `origCall`: the recorded user placed the call.
    Originating,
    /// `termCall`: the recorded user received it.
    Terminating,
}

/// What BroadWorks' `broadWorksRecordingMetadata` extension says about the
/// recorded call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BroadWorksCall {
    /// `userID`: the recorded BroadWorks user (the company's side).
    pub user_id: Option<String>,
    pub ext_tracking_id: Option<String>,
    pub call_id: Option<String>,
    pub service_provider_id: Option<String>,
    pub group_id: Option<String>,
    pub direction: Option<CallDirection>,
    pub calling_party: Option<String>,
    pub called_party: Option<String>,
    pub dialed_digits: Option<String>,
    /// `recordingType` (`on`, `always`, `on-demand`...).
    pub recording_type: Option<String>,
}

impl BroadWorksCall {
    /// The recorded user's own number in the call (the caller of an
    /// originating call, the callee of a terminating one).
    pub fn user_party(&self) -> Option<&str> {
        match self.direction? {
            CallDirection::Originating => self.calling_party.as_deref(),
            CallDirection::Terminating => self.called_party.as_deref(),
        }
    }

    /// The other party's number.
    pub fn remote_party(&self) -> Option<&str> {
        match self.direction? {
            CallDirection::Originating => {
                self.called_party.as_deref().or(self.dialed_digits.as_deref())
            }
            CallDirection::Terminating => self.calling_party.as_deref(),
        }
    }
}

/// `complete` snapshot or `partial` update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataMode {
    Complete,
    Partial,
}

/// A time as written plus its UTC value when it parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub raw: String,
    pub utc: Option<DateTime<Utc>>,
}

impl Timestamp {
    pub fn parse(raw: &str) -> Timestamp {
        let t = raw.trim();
        let utc = DateTime::parse_from_rfc3339(t)
            .ok()
            .or_else(|| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
            .map(|d| d.with_timezone(&Utc))
            .or_else(|| {
                let naive = t.strip_suffix(['Z', 'z']).unwrap_or(t);
                NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| n.and_utc())
            });
        Timestamp { raw: t.to_owned(), utc }
    }
}

/// A communication session group (`<group>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    pub id: String,
    /// `<initiator>` (BroadWorks): who the recording is for.
    pub initiator: Option<String>,
    pub associate_time: Option<Timestamp>,
    pub disassociate_time: Option<Timestamp>,
    /// Vendor elements as raw XML (Sonus `callData`...).
    pub extensions: Vec<String>,
}

/// A communication session (`<session>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommunicationSession {
    pub id: String,
    pub group_ref: Option<String>,
    /// `sipSessionID` values (RFC 7989 Session-ID).
    pub sip_session_ids: Vec<String>,
    pub start_time: Option<Timestamp>,
    pub stop_time: Option<Timestamp>,
    /// From `sessionrecordingassoc` (or the session itself).
    pub associate_time: Option<Timestamp>,
    pub disassociate_time: Option<Timestamp>,
    pub extensions: Vec<String>,
}

/// A participant (`<participant>` plus its associations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Participant {
    pub id: String,
    /// Address of record from `nameID aor=` (or `<aor>`), as written.
    pub aor: Option<String>,
    /// Display name; empty names become `None`.
    pub name: Option<String>,
    /// Session ids the participant is associated with.
    pub sessions: Vec<String>,
    /// Stream ids the participant sends.
    pub send: Vec<String>,
    /// Stream ids the participant receives.
    pub recv: Vec<String>,
    /// Earliest association time seen.
    pub associate_time: Option<Timestamp>,
    /// Latest disassociation time seen.
    pub disassociate_time: Option<Timestamp>,
    /// Vendor elements and `extensiondata` as raw XML.
    pub extensions: Vec<String>,
}

/// A media stream (`<stream>`), tied to an SDP m-line by its label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    pub id: String,
    pub label: Option<String>,
    /// `<mode>`: `separate` or `mixed` (every party on one stream).
    pub mode: Option<String>,
    pub session_id: Option<String>,
    pub associate_time: Option<Timestamp>,
    pub disassociate_time: Option<Timestamp>,
    pub extensions: Vec<String>,
}

/// One label with the participant that sends it, if the metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSender<'m> {
    pub label: &'m str,
    pub stream_id: &'m str,
    pub participant: Option<&'m Participant>,
}

/// Normalised recording metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiprecMetadata {
    pub variant: MetadataVariant,
    pub data_mode: Option<DataMode>,
    /// The root element's namespace, as written (empty when none).
    pub namespace: String,
    pub groups: Vec<Group>,
    pub sessions: Vec<CommunicationSession>,
    pub participants: Vec<Participant>,
    pub streams: Vec<Stream>,
    /// BroadWorks' call facts, when its extension is present.
    pub broadworks: Option<BroadWorksCall>,
    /// Unrecognised top-level elements, raw.
    pub extensions: Vec<String>,
}

impl SiprecMetadata {
    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    pub fn stream(&self, id: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.id == id)
    }

    pub fn stream_by_label(&self, label: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.label.as_deref() == Some(label))
    }

    /// The participant that sends stream `stream_id`.
    pub fn sender_of_stream(&self, stream_id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.send.iter().any(|s| s == stream_id))
    }

    /// The participant that sends the stream with SDP label `label`.
    pub fn sender_of_label(&self, label: &str) -> Option<&Participant> {
        self.sender_of_stream(&self.stream_by_label(label)?.id)
    }

    /// Every labelled stream with its sender, in document order.
    pub fn label_senders(&self) -> Vec<LabelSender<'_>> {
        self.streams
            .iter()
            .filter_map(|s| {
                Some(LabelSender {
                    label: s.label.as_deref()?,
                    stream_id: &s.id,
                    participant: self.sender_of_stream(&s.id),
                })
            })
            .collect()
    }

    fn participant_mut(&mut self, id: &str) -> &mut Participant {
        let idx = match self.participants.iter().position(|p| p.id == id) {
            Some(i) => i,
            None => {
                self.participants.push(Participant { id: id.to_owned(), ..Default::default() });
                self.participants.len() - 1
            }
        };
        &mut self.participants[idx]
    }

    fn session_mut(&mut self, id: &str) -> &mut CommunicationSession {
        let idx = match self.sessions.iter().position(|p| p.id == id) {
            Some(i) => i,
            None => {
                self.sessions
                    .push(CommunicationSession { id: id.to_owned(), ..Default::default() });
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[idx]
    }

    fn stream_mut(&mut self, id: &str) -> &mut Stream {
        let idx = match self.streams.iter().position(|p| p.id == id) {
            Some(i) => i,
            None => {
                self.streams.push(Stream { id: id.to_owned(), ..Default::default() });
                self.streams.len() - 1
            }
        };
        &mut self.streams[idx]
    }

    fn group_mut(&mut self, id: &str) -> &mut Group {
        let idx = match self.groups.iter().position(|p| p.id == id) {
            Some(i) => i,
            None => {
                self.groups.push(Group { id: id.to_owned(), ..Default::default() });
                self.groups.len() - 1
            }
        };
        &mut self.groups[idx]
    }
}

fn is_recording_ns(node: Node<'_, '_>) -> bool {
    match node.tag_name().namespace() {
        None => true,
        Some(ns) => {
            let ns = ns.trim().to_ascii_lowercase();
            ns.starts_with("urn:ietf:params:xml:ns:recording")
                || ns.starts_with("urn:ietf:params:xml:ns:siprec")
        }
    }
}

/// The ids an element lists: its text, or the text of each child element
/// (`<send><id>a</id><id>b</id></send>`).
fn ids(node: Node<'_, '_>) -> Vec<String> {
    let children: Vec<String> =
        node.children().filter(Node::is_element).map(text).filter(|t| !t.is_empty()).collect();
    if children.is_empty() { non_empty(text(node)).into_iter().collect() } else { children }
}

/// The first descendant element named `name` (any namespace, any case).
fn find_element<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name))
}

fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name))
        .and_then(|n| non_empty(text(n)))
}

/// BroadWorks' `broadWorksRecordingMetadata` extension, wherever it is.
fn parse_broadworks(root: Node<'_, '_>) -> Option<BroadWorksCall> {
    let bw = find_element(root, "broadWorksRecordingMetadata")?;
    let mut call = BroadWorksCall {
        user_id: child_text(bw, "userID"),
        ext_tracking_id: child_text(bw, "extTrackingID"),
        call_id: child_text(bw, "callID"),
        service_provider_id: child_text(bw, "serviceProviderID"),
        group_id: child_text(bw, "groupID"),
        recording_type: child_text(bw, "recordingType"),
        ..Default::default()
    };
    let kinds =
        [("origCall", CallDirection::Originating), ("termCall", CallDirection::Terminating)];
    if let Some(call_type) = find_element(bw, "callType") {
        for (name, dir) in kinds {
            if let Some(c) = find_element(call_type, name) {
                call.direction = Some(dir);
                call.calling_party = child_text(c, "callingPartyNumber");
                call.called_party = child_text(c, "calledPartyNumber");
                call.dialed_digits = child_text(c, "dialedDigits");
                break;
            }
        }
    }
    Some(call)
}

/// Lower-cased local name if the element belongs to the recording schema.
fn rec_name(node: Node<'_, '_>) -> Option<String> {
    (node.is_element() && is_recording_ns(node))
        .then(|| node.tag_name().name().to_ascii_lowercase())
}

/// An attribute by any of `names`, case-insensitive, any namespace; trimmed.
fn attr<'a>(node: Node<'a, '_>, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|want| {
        node.attributes().find(|a| a.name().eq_ignore_ascii_case(want)).map(|a| a.value().trim())
    })
}

fn text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap_or(""))
        .collect::<String>()
        .trim()
        .to_owned()
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn raw<'a>(doc_text: &'a str, node: Node<'_, '_>) -> &'a str {
    doc_text.get(node.range()).unwrap_or("")
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

fn earliest(cur: &mut Option<Timestamp>, new: Timestamp) {
    match (cur.as_ref().and_then(|c| c.utc), new.utc) {
        (Some(c), Some(n)) if n >= c => {}
        (Some(_), None) => {}
        _ => *cur = Some(new),
    }
}

fn latest(cur: &mut Option<Timestamp>, new: Timestamp) {
    match (cur.as_ref().and_then(|c| c.utc), new.utc) {
        (Some(c), Some(n)) if n <= c => {}
        (Some(_), None) => {}
        _ => *cur = Some(new),
    }
}

/// Parses a metadata document.
pub fn parse_metadata(xml: &str) -> Result<SiprecMetadata, MetadataError> {
    let xml = xml.trim_start_matches('\u{feff}');
    let doc = Document::parse(xml).map_err(|e| MetadataError::Xml(e.to_string()))?;
    let root = doc.root_element();
    let variant = match rec_name(root).as_deref() {
        Some("recording") => MetadataVariant::Rfc7865,
        Some("recording_metadata" | "recording-metadata") => MetadataVariant::BroadWorks,
        _ => return Err(MetadataError::NotRecording(root.tag_name().name().to_owned())),
    };
    let mut md = SiprecMetadata {
        variant,
        namespace: root.tag_name().namespace().unwrap_or("").to_owned(),
        broadworks: parse_broadworks(root),
        ..Default::default()
    };
    for child in root.children().filter(Node::is_element) {
        let Some(name) = rec_name(child) else {
            md.extensions.push(raw(xml, child).to_owned());
            continue;
        };
        match name.as_str() {
            "datamode" => {
                md.data_mode = match text(child).to_ascii_lowercase().as_str() {
                    "complete" => Some(DataMode::Complete),
                    "partial" => Some(DataMode::Partial),
                    _ => md.data_mode,
                }
            }
            "group" => {
                let Some(id) = attr(child, &["group_id", "id"]) else { continue };
                let mut times = Vec::new();
                let mut ext = Vec::new();
                let mut initiator = None;
                for c in child.children().filter(Node::is_element) {
                    match rec_name(c).as_deref() {
                        Some(n @ ("associate-time" | "disassociate-time")) => {
                            times.push((n == "associate-time", text(c)))
                        }
                        Some("initiator") => initiator = non_empty(text(c)),
                        Some(_) => {}
                        None => ext.push(raw(xml, c).to_owned()),
                    }
                }
                let g = md.group_mut(id);
                if initiator.is_some() {
                    g.initiator = initiator;
                }
                for (assoc, t) in times {
                    if assoc {
                        earliest(&mut g.associate_time, Timestamp::parse(&t));
                    } else {
                        latest(&mut g.disassociate_time, Timestamp::parse(&t));
                    }
                }
                g.extensions.extend(ext);
            }
            "session" => parse_session(xml, child, &mut md),
            "participant" => parse_participant(xml, child, &mut md),
            "stream" => parse_stream(xml, child, &mut md),
            "sessionrecordingassoc" => {
                let Some(id) = attr(child, &["session_id", "session", "id"]) else { continue };
                let s = md.session_mut(id);
                for c in child.children().filter(Node::is_element) {
                    match rec_name(c).as_deref() {
                        Some("associate-time") => {
                            earliest(&mut s.associate_time, Timestamp::parse(&text(c)))
                        }
                        Some("disassociate-time") => {
                            latest(&mut s.disassociate_time, Timestamp::parse(&text(c)))
                        }
                        _ => {}
                    }
                }
            }
            "participantsessionassoc" => {
                let Some(pid) = attr(child, &["participant_id", "participant"]) else { continue };
                let sid = attr(child, &["session_id", "session"]).map(str::to_owned);
                let p = md.participant_mut(pid);
                if let Some(sid) = sid.clone() {
                    push_unique(&mut p.sessions, sid);
                }
                apply_times(child, p);
                if let Some(sid) = sid {
                    md.session_mut(&sid);
                }
            }
            "participantstreamassoc" => {
                let Some(pid) = attr(child, &["participant_id", "participant"]) else { continue };
                let mut send = Vec::new();
                let mut recv = Vec::new();
                for c in child.children().filter(Node::is_element) {
                    match rec_name(c).as_deref() {
                        Some("send") => send.extend(ids(c)),
                        Some("recv") => recv.extend(ids(c)),
                        _ => {}
                    }
                }
                let p = md.participant_mut(pid);
                for s in send {
                    push_unique(&mut p.send, s);
                }
                for r in recv {
                    push_unique(&mut p.recv, r);
                }
            }
            _ => md.extensions.push(raw(xml, child).to_owned()),
        }
    }
    Ok(md)
}

fn apply_times(node: Node<'_, '_>, p: &mut Participant) {
    for c in node.children().filter(Node::is_element) {
        match rec_name(c).as_deref() {
            Some("associate-time" | "start-time") => {
                earliest(&mut p.associate_time, Timestamp::parse(&text(c)))
            }
            Some("disassociate-time" | "stop-time" | "end-time") => {
                latest(&mut p.disassociate_time, Timestamp::parse(&text(c)))
            }
            _ => {}
        }
    }
}

fn parse_session(xml: &str, node: Node<'_, '_>, md: &mut SiprecMetadata) {
    let Some(id) = attr(node, &["session_id", "id"]) else { return };
    // the draft schema names the group by attribute
    let group = attr(node, &["group", "group_id"]).filter(|g| !g.is_empty()).map(str::to_owned);
    let s = md.session_mut(id);
    if group.is_some() {
        s.group_ref = group;
    }
    for c in node.children().filter(Node::is_element) {
        match rec_name(c).as_deref() {
            Some("sipsessionid") => push_unique(&mut s.sip_session_ids, text(c)),
            Some("group-ref") => s.group_ref = non_empty(text(c)),
            Some("start-time") => s.start_time = Some(Timestamp::parse(&text(c))),
            Some("stop-time" | "end-time") => s.stop_time = Some(Timestamp::parse(&text(c))),
            Some("associate-time") => earliest(&mut s.associate_time, Timestamp::parse(&text(c))),
            Some("disassociate-time") => {
                latest(&mut s.disassociate_time, Timestamp::parse(&text(c)))
            }
            Some(_) => {}
            None => s.extensions.push(raw(xml, c).to_owned()),
        }
    }
}

fn parse_participant(xml: &str, node: Node<'_, '_>, md: &mut SiprecMetadata) {
    let Some(id) = attr(node, &["participant_id", "id"]) else { return };
    let session = attr(node, &["session", "session_id"]).map(str::to_owned);
    let p = md.participant_mut(id);
    if let Some(s) = session.clone() {
        push_unique(&mut p.sessions, s);
    }
    for c in node.children().filter(Node::is_element) {
        match rec_name(c).as_deref() {
            Some("nameid") => {
                if let Some(aor) = attr(c, &["aor"]).filter(|a| !a.is_empty()) {
                    p.aor = Some(aor.to_owned());
                }
                for n in c.children().filter(|n| rec_name(*n).as_deref() == Some("name")) {
                    if let Some(name) = non_empty(text(n)) {
                        p.name = Some(name);
                    }
                }
            }
            Some("aor") => p.aor = non_empty(text(c)).or(p.aor.take()),
            Some("name") => p.name = non_empty(text(c)).or(p.name.take()),
            Some("send") => ids(c).into_iter().for_each(|i| push_unique(&mut p.send, i)),
            Some("recv") => ids(c).into_iter().for_each(|i| push_unique(&mut p.recv, i)),
            Some("extensiondata") => p.extensions.push(raw(xml, c).to_owned()),
            Some(_) => {}
            None => p.extensions.push(raw(xml, c).to_owned()),
        }
    }
    apply_times(node, p);
    if let Some(s) = session {
        md.session_mut(&s);
    }
}

fn parse_stream(xml: &str, node: Node<'_, '_>, md: &mut SiprecMetadata) {
    let Some(id) = attr(node, &["stream_id", "id"]) else { return };
    let session = attr(node, &["session_id", "session"]).map(str::to_owned);
    let s = md.stream_mut(id);
    if session.is_some() {
        s.session_id = session;
    }
    for c in node.children().filter(Node::is_element) {
        match rec_name(c).as_deref() {
            Some("label") => s.label = non_empty(text(c)),
            Some("mode") => s.mode = non_empty(text(c).to_ascii_lowercase()),
            Some("associate-time" | "start-time") => {
                earliest(&mut s.associate_time, Timestamp::parse(&text(c)))
            }
            Some("disassociate-time" | "stop-time") => {
                latest(&mut s.disassociate_time, Timestamp::parse(&text(c)))
            }
            Some(_) => {}
            None => s.extensions.push(raw(xml, c).to_owned()),
        }
    }
}

/// Which header named a [`HeaderParty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSource {
    /// `P-Asserted-Identity` (RFC 3325).
    AssertedIdentity,
    /// `P-Preferred-Identity` (RFC 3325).
    PreferredIdentity,
    /// `Remote-Party-ID` (Cisco and older SBCs).
    RemotePartyId,
    From,
    To,
    /// `Diversion` (RFC 5806): a party that redirected the call.
    Diversion,
    /// `X-Cisco-Recording-Participant` (CUBE network-based recording).
    CiscoParticipant,
}

/// A party a SIP header of the recording session names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderParty {
    /// The URI as written (`sip:+14155550100@sbc;user=phone`).
    pub aor: String,
    pub name: Option<String>,
    pub source: HeaderSource,
    /// `media-index` of a Cisco participant.
    pub media_index: Option<usize>,
}

/// The headers [`header_parties`] reads, in order of trust.
const PARTY_HEADERS: [(&str, HeaderSource); 7] = [
    ("X-Cisco-Recording-Participant", HeaderSource::CiscoParticipant),
    ("P-Asserted-Identity", HeaderSource::AssertedIdentity),
    ("P-Preferred-Identity", HeaderSource::PreferredIdentity),
    ("Remote-Party-ID", HeaderSource::RemotePartyId),
    ("From", HeaderSource::From),
    ("To", HeaderSource::To),
    ("Diversion", HeaderSource::Diversion),
];

/// Most parties one header list may name (a hostile header is not a
/// thousand participants).
const MAX_HEADER_PARTIES: usize = 16;

/// The parties named by the SIP headers of a recording session (`headers`
/// as written, names in any case, `f`/`t` compact forms included), in
/// order of trust, each address once. A URI without a user part
/// (`<sip:10.0.0.1>`) names a host, not a party, and is skipped; so is
/// everything that does not parse. Whether From and To name the call's
/// parties or the SRC and the SRS is the caller's decision.
pub fn header_parties(headers: &[(String, String)]) -> Vec<HeaderParty> {
    let mut out: Vec<HeaderParty> = Vec::new();
    for (want, source) in PARTY_HEADERS {
        let compact = match source {
            HeaderSource::From => Some("f"),
            HeaderSource::To => Some("t"),
            _ => None,
        };
        let values = headers
            .iter()
            .filter(|(n, _)| {
                n.trim().eq_ignore_ascii_case(want)
                    || compact.is_some_and(|c| n.trim().eq_ignore_ascii_case(c))
            })
            .flat_map(|(_, v)| crate::text::split_unquoted(v, b','));
        for value in values {
            if out.len() >= MAX_HEADER_PARTIES {
                return out;
            }
            let Some(n) = crate::uri::NameAddr::parse(value) else { continue };
            let Some(user) = n.uri.as_ref().and_then(|u| u.user).filter(|u| !u.is_empty()) else {
                continue;
            };
            // `<sip:+1312...@sbc>, <tel:+1312...>` name one party
            let seen = out.iter().any(|p| {
                p.aor == n.uri_str
                    || crate::uri::Uri::parse(&p.aor)
                        .and_then(|u| u.user)
                        .is_some_and(|u| u.eq_ignore_ascii_case(user))
            });
            if seen {
                continue;
            }
            out.push(HeaderParty {
                aor: n.uri_str.to_owned(),
                name: n
                    .display_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                source,
                media_index: n
                    .params
                    .get_unquoted("media-index")
                    .and_then(|v| v.trim().parse().ok()),
            });
        }
    }
    out
}

/// What a SIPREC INVITE (or re-INVITE, UPDATE, BYE) body held.
#[derive(Debug, Clone, PartialEq)]
pub struct SiprecBody {
    /// The SDP part; `None` when there was none.
    pub sdp: Option<Result<SessionDescription, SdpError>>,
    /// The metadata part; `None` when there was none.
    pub metadata: Option<Result<SiprecMetadata, MetadataError>>,
    /// Content types of parts that were neither (Cisco `application/gtd`).
    pub ignored_parts: Vec<String>,
}

/// Is this part recording metadata (by type, or by the `recording-session`
/// disposition when the type is garbled)?
fn is_metadata_part(content_type: Option<&MediaType<'_>>, disposition: Option<&str>) -> bool {
    let by_type = content_type.is_some_and(|ct| {
        ct.type_.eq_ignore_ascii_case("application")
            && (ct.subtype.eq_ignore_ascii_case("rs-metadata+xml")
                || ct.subtype.eq_ignore_ascii_case("rs-metadata"))
    });
    let by_disposition = disposition.is_some_and(|d| {
        d.split(';').next().is_some_and(|v| v.trim().eq_ignore_ascii_case("recording-session"))
    });
    by_type || by_disposition
}

/// Splits and parses a SIPREC body. `content_type` is the message's
/// Content-Type; without a usable boundary one is guessed from the body.
/// A plain `application/sdp` body (or an untyped body that parses as SDP)
/// yields only the SDP. A broken metadata part becomes an `Err` inside
/// `metadata`; the SDP still comes out.
pub fn parse_siprec_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<SiprecBody, MultipartError> {
    let ct = content_type.and_then(MediaType::parse);
    let is_multipart = ct.as_ref().is_some_and(|c| c.type_.eq_ignore_ascii_case("multipart"));
    let boundary: Option<Cow<'_, str>> = match ct.as_ref().and_then(MediaType::boundary) {
        Some(b) if is_multipart => Some(b),
        _ if is_multipart || ct.is_none() => multipart::guess_boundary(body).map(Cow::Borrowed),
        _ => None,
    };
    let Some(boundary) = boundary else {
        if is_multipart {
            return Err(MultipartError::NoBoundary);
        }
        let is_metadata = is_metadata_part(ct.as_ref(), None);
        return Ok(SiprecBody {
            sdp: (!is_metadata).then(|| SessionDescription::parse_bytes(body)),
            metadata: is_metadata.then(|| parse_metadata(&String::from_utf8_lossy(body))),
            ignored_parts: Vec::new(),
        });
    };
    let parts = multipart::split(body, &boundary)?;
    let mut out = SiprecBody { sdp: None, metadata: None, ignored_parts: Vec::new() };
    for part in &parts {
        let pct = part.content_type();
        if pct.as_ref().is_some_and(|c| c.is("application", "sdp")) {
            if out.sdp.is_none() {
                out.sdp = Some(SessionDescription::parse_bytes(part.body));
            }
        } else if is_metadata_part(pct.as_ref(), part.header("Content-Disposition")) {
            if out.metadata.is_none() {
                out.metadata = Some(parse_metadata(&String::from_utf8_lossy(part.body)));
            }
        } else {
            out.ignored_parts.push(part.header("Content-Type").unwrap_or("").to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let cases = [
            ("2017-06-23T12:16:06.040Z", Some("2017-06-23T12:16:06.040+00:00")),
            ("2019-03-09T16:50:20", Some("2019-03-09T16:50:20+00:00")),
            ("2019-11-12T15:57:37+0000", Some("2019-11-12T15:57:37+00:00")),
            ("2019-01-13T14:48:35-05:00", Some("2019-01-13T19:48:35+00:00")),
            ("2019-01-13T14:48:35+0530", Some("2019-01-13T09:18:35+00:00")),
            ("yesterday", None),
        ];
        for (raw, want) in cases {
            let t = Timestamp::parse(raw);
            assert_eq!(t.utc.map(|u| u.to_rfc3339()).as_deref(), want, "{raw}");
            assert_eq!(t.raw, raw);
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(parse_metadata("<recording"), Err(MetadataError::Xml(_))));
        assert_eq!(
            parse_metadata("<recording_metadata xmlns='urn:ietf:params:xml:ns:siprec'/>")
                .map(|m| m.variant),
            Ok(MetadataVariant::BroadWorks)
        );
        assert_eq!(
            parse_metadata("<metadata xmlns='urn:ietf:params:xml:ns:siprec'/>"),
            Err(MetadataError::NotRecording("metadata".into()))
        );
        assert!(matches!(
            parse_metadata("<recording xmlns='urn:other'/>"),
            Err(MetadataError::NotRecording(_))
        ));
        assert!(parse_metadata("\u{feff}<recording/>").is_ok());
    }
}
