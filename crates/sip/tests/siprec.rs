//! SIPREC offer bodies from real vendors and metadata examples shaped after
//! RFC 7865 and RFC 8068.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use callvault_sip::sdp::Direction;
use callvault_sip::siprec::{
    DataMode, MetadataError, RecordingMetadata, parse_metadata, parse_siprec_body,
};

fn vendor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/siprec-vendor-offers")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What one vendor file must yield.
struct Expect {
    file: &'static str,
    /// Content-Type of the INVITE; `None` makes the parser guess.
    content_type: Option<&'static str>,
    /// Per SDP m-line: (port, label, direction).
    sdp: &'static [(u16, Option<&'static str>, Direction)],
    meta: Meta,
    ignored_parts: &'static [&'static str],
}

enum Meta {
    None,
    Err,
    Ok {
        namespace: &'static str,
        /// participants: (id, aor, name)
        participants: &'static [(&'static str, Option<&'static str>, Option<&'static str>)],
        /// label -> id of the participant that sends it
        labels: &'static [(&'static str, Option<&'static str>)],
    },
}

const NS1: &str = "urn:ietf:params:xml:ns:recording:1";
const NS0: &str = "urn:ietf:params:xml:ns:recording";

fn expectations() -> Vec<Expect> {
    use Direction::*;
    vec![
        Expect {
            file: "acme-siprec-offer.txt",
            content_type: Some("multipart/mixed;boundary=unique-boundary-1"),
            sdp: &[(20106, Some("16777227"), SendOnly), (20110, Some("16777228"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS0,
                participants: &[
                    ("fSD3PFErSjNTHLDiXCELjw==", Some("sip:9000@192.168.50.102"), Some("9000")),
                    ("EbccNyypRlFYXTm4iw8hxw==", Some("sip:1002@192.168.50.10"), Some("1002")),
                ],
                labels: &[
                    ("16777227", Some("fSD3PFErSjNTHLDiXCELjw==")),
                    ("16777228", Some("EbccNyypRlFYXTm4iw8hxw==")),
                ],
            },
            ignored_parts: &[],
        },
        Expect {
            file: "broadworks-offer-2.txt",
            content_type: Some("multipart/mixed; boundary=\"foobar\""),
            sdp: &[(38606, Some("10"), SendOnly), (35744, Some("20"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    ("9a2de728ba0bc348db1e", Some("sip:9878942259@212.188.68.145"), None),
                    ("abcdef12345678901234", Some("sip:ASBCE@asbce.com"), None),
                ],
                labels: &[
                    ("10", Some("9a2de728ba0bc348db1e")),
                    ("20", Some("abcdef12345678901234")),
                ],
            },
            ignored_parts: &[],
        },
        Expect {
            // one mixed m-line; the metadata part is not RFC 7865 at all
            file: "broadworks-offer.txt",
            content_type: Some("multipart/mixed;boundary=UniqueBroadWorksBoundary"),
            sdp: &[(22294, Some("1"), SendOnly)],
            meta: Meta::Err,
            ignored_parts: &[],
        },
        Expect {
            file: "cisco-siprec-offer.txt",
            content_type: Some("multipart/mixed;boundary=uniqueBoundary"),
            sdp: &[(10292, Some("1"), SendOnly), (10294, Some("2"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    ("kQNhKFdEEeeJ99D/VsPGWA==", Some("sip:7301@35.162.237.204"), None),
                    ("kQNhKFdEEeeJ+ND/VsPGWA==", Some("sip:7300@35.162.237.204"), Some("7300")),
                ],
                labels: &[
                    ("1", Some("kQNhKFdEEeeJ99D/VsPGWA==")),
                    ("2", Some("kQNhKFdEEeeJ+ND/VsPGWA==")),
                ],
            },
            ignored_parts: &["application/gtd"],
        },
        Expect {
            file: "connectel-offer.txt",
            content_type: None,
            sdp: &[(35011, Some("1"), SendOnly), (35012, Some("2"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    (
                        "WEWTz80cS1Cqdyepmu3STQ==",
                        Some("sip:0771121212@52.57.92.239"),
                        Some("test_user;lang=en-US;id=22"),
                    ),
                    (
                        "21Isz6eFRYuiDN0vEkVXQQ==",
                        Some("sip:0760516936@sip-cust1.connectel.io"),
                        None,
                    ),
                ],
                labels: &[("1", None), ("2", None)],
            },
            ignored_parts: &[],
        },
        Expect {
            file: "connectel-offer2.txt",
            content_type: Some("multipart/mixed;boundary=OSS-unique-boundary-42"),
            sdp: &[(35011, Some("1"), SendOnly), (35012, Some("2"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    (
                        "WEWTz80cS1Cqdyepmu3STQ==",
                        Some("sip:0771121212@52.57.92.239"),
                        Some("test_user;lang=en-US"),
                    ),
                    (
                        "21Isz6eFRYuiDN0vEkVXQQ==",
                        Some("sip:0760516936@sip-cust1.connectel.io"),
                        None,
                    ),
                ],
                labels: &[("1", None), ("2", None)],
            },
            ignored_parts: &[],
        },
        Expect {
            file: "connectel-offer3.txt",
            content_type: Some("multipart/mixed;boundary=OSS-unique-boundary-42"),
            sdp: &[(35011, Some("1"), SendOnly), (35012, Some("2"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    (
                        "WEWTz80cS1Cqdyepmu3STQ==",
                        Some("sip:0771121212@52.57.92.239"),
                        Some("test_user"),
                    ),
                    (
                        "21Isz6eFRYuiDN0vEkVXQQ==",
                        Some("sip:0760516936@sip-cust1.connectel.io"),
                        None,
                    ),
                ],
                labels: &[("1", None), ("2", None)],
            },
            ignored_parts: &[],
        },
        Expect {
            file: "inactive-sdp-offer.txt",
            content_type: Some("multipart/mixed;boundary=uniqueBoundary"),
            sdp: &[(19254, Some("1"), Inactive), (19236, Some("2"), Inactive)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    ("GZBIusaXEeuxxa1dFIaIyA==", Some("sip:0733165805@192.168.40.34"), None),
                    ("GZBIusaXEeuxxq1dFIaIyA==", Some("sip:+972546136443@192.168.10.140"), None),
                ],
                labels: &[("1", None), ("2", None)],
            },
            ignored_parts: &[],
        },
        Expect {
            file: "non-siprec-payload.txt",
            content_type: Some("application/sdp"),
            sdp: &[(10292, Some("1"), SendOnly)],
            meta: Meta::None,
            ignored_parts: &[],
        },
        Expect {
            // application/rs-metadata without +xml, no close delimiter
            file: "procomm-siprec-offer.txt",
            content_type: Some("multipart/mixed;boundary=2CD2A2E9"),
            sdp: &[(12654, Some("a_leg"), SendOnly), (12686, Some("b_leg"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS1,
                participants: &[
                    (
                        "Ye5S5pU+SAG2JY4oG7M4Cw==",
                        Some("sip:016190200@87.252.209.116"),
                        Some("016190200"),
                    ),
                    (
                        "QDhKextjTa+F1TzXuvHZHw==",
                        Some("Extension-016190619@speechpath.ie"),
                        Some("Speechpath-Main-Line 016190619"),
                    ),
                ],
                labels: &[
                    ("a_leg", Some("Ye5S5pU+SAG2JY4oG7M4Cw==")),
                    ("b_leg", Some("QDhKextjTa+F1TzXuvHZHw==")),
                ],
            },
            ignored_parts: &[],
        },
        Expect {
            // tns: prefix, the namespace without :1, a group with callData
            file: "sonus-siprec-offer.txt",
            content_type: Some("multipart/mixed;boundary=sonus-content-delim"),
            sdp: &[(48932, Some("1"), SendOnly), (48926, Some("2"), SendOnly)],
            meta: Meta::Ok {
                namespace: NS0,
                participants: &[
                    (
                        "MTQ3YzA3YzItNjdkNy0xMA==",
                        Some("2249888500@172.16.198.55"),
                        Some("Extension 8500"),
                    ),
                    ("MTQ3YzA3YzMtNjdkNy0xMA==", Some("2249888012@172.16.195.72"), None),
                ],
                labels: &[
                    ("1", Some("MTQ3YzA3YzMtNjdkNy0xMA==")),
                    ("2", Some("MTQ3YzA3YzItNjdkNy0xMA==")),
                ],
            },
            ignored_parts: &[],
        },
    ]
}

/// Files holding several bare SDPs separated by `__split_here__`, checked in
/// tests/sdp.rs; here they must at least come out as SDP-only bodies.
const SPLIT_SDP_FILES: &[&str] = &["sample-sdp2.txt", "sample-sdp3.txt", "sample-sdps.txt"];

fn participants(md: &RecordingMetadata) -> Vec<(&str, Option<&str>, Option<&str>)> {
    md.participants.iter().map(|p| (p.id.as_str(), p.aor.as_deref(), p.name.as_deref())).collect()
}

fn labels(md: &RecordingMetadata) -> Vec<(&str, Option<&str>)> {
    md.label_senders().iter().map(|l| (l.label, l.participant.map(|p| p.id.as_str()))).collect()
}

#[test]
fn every_vendor_fixture() {
    let expectations = expectations();
    let mut seen = BTreeSet::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(vendor_dir()).expect("fixture dir").map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".txt") {
            continue; // LICENSE, README.md
        }
        seen.insert(name.clone());
        let body = read(&path);
        if SPLIT_SDP_FILES.contains(&name.as_str()) {
            let text = String::from_utf8(body).unwrap();
            for chunk in text.split("__split_here__") {
                let b = parse_siprec_body(Some("application/sdp"), chunk.as_bytes()).unwrap();
                assert!(b.metadata.is_none(), "{name}");
                let sdp = b.sdp.unwrap().unwrap();
                assert_eq!(sdp.media.len(), 1, "{name}");
            }
            continue;
        }
        let exp = expectations
            .iter()
            .find(|e| e.file == name)
            .unwrap_or_else(|| panic!("no expectation for new fixture {name}"));
        let parsed =
            parse_siprec_body(exp.content_type, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let sdp = parsed.sdp.as_ref().unwrap_or_else(|| panic!("{name}: no sdp")).as_ref().unwrap();
        let lines: Vec<_> = sdp
            .media
            .iter()
            .map(|m| (m.port, m.label.as_deref(), m.effective_direction(sdp)))
            .collect();
        assert_eq!(lines, exp.sdp.to_vec(), "{name} sdp");
        assert_eq!(parsed.ignored_parts, exp.ignored_parts.to_vec(), "{name} ignored parts");
        match (&exp.meta, &parsed.metadata) {
            (Meta::None, None) | (Meta::Err, Some(Err(_))) => {}
            (Meta::Ok { namespace, participants: ps, labels: ls }, Some(Ok(md))) => {
                assert_eq!(md.namespace, *namespace, "{name}");
                assert_eq!(md.data_mode, Some(DataMode::Complete), "{name}");
                assert_eq!(participants(md), ps.to_vec(), "{name} participants");
                assert_eq!(labels(md), ls.to_vec(), "{name} labels");
                assert_eq!(md.sessions.len(), 1, "{name} sessions");
                // every SDP label is described by the metadata
                for (_, label, _) in exp.sdp {
                    assert!(md.stream_by_label(label.unwrap()).is_some(), "{name} label {label:?}");
                }
            }
            (_, got) => panic!("{name}: unexpected metadata {got:?}"),
        }
    }
    let expected: BTreeSet<String> = expectations
        .iter()
        .map(|e| e.file.to_owned())
        .chain(SPLIT_SDP_FILES.iter().map(|s| (*s).to_owned()))
        .collect();
    assert_eq!(seen, expected, "fixture set changed");
}

#[test]
fn vendor_details() {
    let body = |f: &str| read(&vendor_dir().join(f));
    // Acme: times, extensiondata kept raw, participant session= attribute
    let b = parse_siprec_body(None, &body("acme-siprec-offer.txt")).unwrap();
    let md = b.metadata.unwrap().unwrap();
    let p = md.participant("fSD3PFErSjNTHLDiXCELjw==").unwrap();
    assert_eq!(p.sessions, vec!["AavRXwIIQj1Q39eJulTipQ=="]);
    assert_eq!(
        p.associate_time.as_ref().unwrap().utc.unwrap().to_rfc3339(),
        "2019-03-09T16:50:20+00:00"
    );
    assert_eq!(p.extensions.len(), 1);
    assert!(p.extensions[0].contains("<apkt:callingParty>true</apkt:callingParty>"));
    assert_eq!(
        md.stream_by_label("16777228").unwrap().associate_time.as_ref().unwrap().raw,
        "2019-03-09T16:50:31"
    );
    // Sonus: group with the callData extension, session group-ref
    let b = parse_siprec_body(
        Some("multipart/mixed;boundary=sonus-content-delim"),
        &body("sonus-siprec-offer.txt"),
    )
    .unwrap();
    let md = b.metadata.unwrap().unwrap();
    assert_eq!(md.groups.len(), 1);
    assert_eq!(md.groups[0].id, "MTQ3YzA3YzAtNjdkNy0xMA==");
    assert!(md.groups[0].extensions[0].contains("<gcid>241205267</gcid>"));
    assert_eq!(md.sessions[0].group_ref.as_deref(), Some("MTQ3YzA3YzAtNjdkNy0xMA=="));
    assert!(md.sessions[0].associate_time.is_some());
    // Cisco: sipSessionID, start-time, recv lists
    let b = parse_siprec_body(
        Some("multipart/mixed;boundary=uniqueBoundary"),
        &body("cisco-siprec-offer.txt"),
    )
    .unwrap();
    let md = b.metadata.unwrap().unwrap();
    assert_eq!(
        md.sessions[0].sip_session_ids,
        vec!["e9fffff2020a598b86962867715db0cf;remote=cd0f7093d62c5f0697098fd69a4aa57b"]
    );
    assert_eq!(md.sessions[0].start_time.as_ref().unwrap().raw, "2017-06-23T12:16:06.040Z");
    assert_eq!(
        md.participant("kQNhKFdEEeeJ99D/VsPGWA==").unwrap().recv,
        vec!["kQOH5VdEEeeJ/dD/VsPGWA=="]
    );
    // BroadWorks: the garbled part is recognised by its disposition and rejected
    let b = parse_siprec_body(
        Some("multipart/mixed;boundary=UniqueBroadWorksBoundary"),
        &body("broadworks-offer.txt"),
    )
    .unwrap();
    assert_eq!(b.metadata, Some(Err(MetadataError::NotRecording("recording_metadata".into()))));
    let sdp = b.sdp.unwrap().unwrap();
    assert_eq!(sdp.media[0].formats, vec!["8", "101", "0", "9", "18"]);
}

fn data(name: &str) -> String {
    String::from_utf8(read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)))
        .unwrap()
}

#[test]
fn rfc7865_complete_snapshot() {
    let md = parse_metadata(&data("rfc7865-complete.xml")).unwrap();
    assert_eq!(md.data_mode, Some(DataMode::Complete));
    assert_eq!(md.groups.len(), 1);
    assert_eq!(md.groups[0].extensions.len(), 2, "call-center and mydata");
    assert_eq!(md.sessions[0].group_ref.as_deref(), Some("Z3JvdXAtMDAwMDAwMDAwMQ=="));
    assert_eq!(md.sessions[0].extensions.len(), 1);
    assert_eq!(
        participants(&md),
        vec![
            ("cGFydC1ib2ItMDAwMDAwMQ==", Some("sip:bob@biloxi.example.com"), Some("Bob")),
            ("cGFydC1md2QtMDAwMDAwMQ==", Some("sip:forward@atlanta.example.com"), Some("Forward")),
        ]
    );
    let bob = "cGFydC1ib2ItMDAwMDAwMQ==";
    let fwd = "cGFydC1md2QtMDAwMDAwMQ==";
    assert_eq!(
        labels(&md),
        vec![("96", Some(bob)), ("97", Some(bob)), ("98", Some(fwd)), ("99", Some(fwd))]
    );
    assert_eq!(md.participant(bob).unwrap().extensions.len(), 1);
    assert_eq!(
        md.participant(fwd).unwrap().associate_time.as_ref().unwrap().raw,
        "2010-12-16T23:41:08Z"
    );
    assert_eq!(md.sessions[0].associate_time.as_ref().unwrap().raw, "2010-12-16T23:41:07Z");
    assert_eq!(
        md.sender_of_label("98").map(|p| p.aor.as_deref()),
        Some(Some("sip:forward@atlanta.example.com"))
    );
}

#[test]
fn rfc8068_call_then_transfer_then_end() {
    let md = parse_metadata(&data("rfc8068-basic-call.xml")).unwrap();
    assert_eq!(labels(&md), vec![("1", Some("YmFzaWMtYWxpY2U=")), ("2", Some("YmFzaWMtYm9i"))]);
    assert_eq!(md.sessions[0].sip_session_ids.len(), 1);

    let upd = parse_metadata(&data("rfc8068-transfer-partial.xml")).unwrap();
    assert_eq!(upd.data_mode, Some(DataMode::Partial));
    assert!(upd.streams.is_empty());
    // Bob is only referred to; a placeholder keeps his disassociation
    let bob = upd.participant("YmFzaWMtYm9i").unwrap();
    assert_eq!(bob.aor, None);
    assert_eq!(bob.disassociate_time.as_ref().unwrap().raw, "2010-12-16T23:45:30Z");
    let carol = upd.participant("YmFzaWMtY2Fyb2w=").unwrap();
    assert_eq!(carol.aor.as_deref(), Some("sip:carol@chicago.example.com"));
    assert_eq!(carol.send, vec!["YmFzaWMtc3RyZWFtLTI="]);
    assert_eq!(carol.sessions, vec!["YmFzaWMtc2Vzc2lvbi0x"]);
    assert_eq!(upd.sessions.len(), 1, "placeholder session from the association");

    let end = parse_metadata(&data("rfc8068-end-partial.xml")).unwrap();
    assert_eq!(end.sessions[0].disassociate_time.as_ref().unwrap().raw, "2010-12-16T23:50:00Z");
    assert_eq!(end.streams[0].label, None);
    assert!(end.streams[0].disassociate_time.is_some());
    assert!(end.participant("YmFzaWMtYWxpY2U=").unwrap().disassociate_time.is_some());
}

#[test]
fn oracle_draft_schema() {
    let md = parse_metadata(&data("oracle-draft.xml")).unwrap();
    assert_eq!(md.namespace, NS0);
    assert_eq!(md.data_mode, Some(DataMode::Complete));
    let a1 = "urn:uuid:00000000-0000-4000-8000-0000000000a1";
    assert_eq!(
        participants(&md),
        vec![
            (a1, Some("sip:caller@192.0.2.40"), Some("caller")),
            (
                "urn:uuid:00000000-0000-4000-8000-0000000000a2",
                Some("sip:service@192.0.2.60"),
                Some("service")
            ),
        ]
    );
    assert_eq!(labels(&md), vec![("1", Some(a1))]);
    assert_eq!(
        md.participant(a1).unwrap().sessions,
        vec!["urn:uuid:00000000-0000-4000-8000-000000000001"]
    );
    assert_eq!(
        md.streams[0].session_id.as_deref(),
        Some("urn:uuid:00000000-0000-4000-8000-000000000001")
    );
    assert!(md.participant(a1).unwrap().associate_time.as_ref().unwrap().utc.is_some());
}

#[test]
fn prefixes_case_and_foreign_namespaces() {
    let md = parse_metadata(&data("opensips-variants.xml")).unwrap();
    assert_eq!(md.data_mode, Some(DataMode::Complete));
    assert_eq!(
        participants(&md),
        vec![
            ("p1", Some("sip:100@pbx.example"), Some("Agent 100")),
            ("p2", Some("sip:+4930123@carrier.example"), None)
        ]
    );
    assert_eq!(labels(&md), vec![("caller", Some("p2")), ("callee", Some("p1"))]);
    assert_eq!(md.participant("p1").unwrap().extensions.len(), 1, "v:participant is an extension");
    assert_eq!(md.extensions.len(), 1);
    assert_eq!(
        md.sessions[0].start_time.as_ref().unwrap().utc.unwrap().to_rfc3339(),
        "2019-11-12T15:57:37+00:00"
    );
}

#[test]
fn broken_metadata_still_gives_sdp() {
    let body = b"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\na=label:1\r\n\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<recording><participant</recording>\r\n--b--\r\n";
    let b = parse_siprec_body(Some("multipart/mixed;boundary=b"), body).unwrap();
    assert!(matches!(b.metadata, Some(Err(MetadataError::Xml(_)))));
    assert_eq!(b.sdp.unwrap().unwrap().media[0].label.as_deref(), Some("1"));
    // a multipart type without boundary and none to guess
    assert!(parse_siprec_body(Some("multipart/mixed"), b"v=0\r\n").is_err());
    // metadata alone (e.g. in an UPDATE or BYE)
    let b = parse_siprec_body(Some("application/rs-metadata+xml"), b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>partial</datamode></recording>").unwrap();
    assert!(b.sdp.is_none());
    assert_eq!(b.metadata.unwrap().unwrap().data_mode, Some(DataMode::Partial));
}

proptest::proptest! {
    #[test]
    fn metadata_never_panics(s in "<recording>(<(participant|stream|session|participantstreamassoc) (id|participant_id|stream_id)=\"[a-c]\">(<send>[a-c]</send>|<label>[0-9]</label>|<nameID aor=\"[a-z:@]{0,6}\"/>){0,3}</(participant|stream|session|participantstreamassoc)>){0,5}</recording>") {
        if let Ok(md) = parse_metadata(&s) {
            let _ = md.label_senders();
        }
    }
}
