//! SIPREC offer bodies from real vendors and metadata examples shaped after
//! RFC 7865 and RFC 8068.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use callvault_sip::siprec::{
    DataMode, HeaderSource, MetadataVariant, SiprecBody, SiprecMetadata, Timestamp, header_parties,
    parse_metadata, parse_siprec_body,
};
use expect_test::{Expect, expect};

fn vendor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/siprec-vendor-offers")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a SIPREC body and compares a compact rendering with `expect`:
/// the SDP m-lines (port, formats, label, effective direction and the
/// metadata stream with that label), the parts ignored, then the metadata
/// element by element in document order and the senders of the labelled
/// streams (`label_senders`). Extensions are shown as their XML with the
/// white space between lines removed. The vendor samples hold several SDPs
/// separated by `__split_here__`; each is rendered after a `---` line.
fn check(content_type: Option<&str>, body: &[u8], expect: Expect) {
    expect.assert_eq(&rendered(content_type, body));
}

/// Like [`check`] for bodies that are variants of a base: per variant, its
/// name, then only the lines of its rendering that the base's lacks (`+`)
/// and the base's lines it lacks (`-`).
fn check_like(
    base: (Option<&str>, &[u8]),
    content_type: Option<&str>,
    variants: &[(&str, Vec<u8>)],
    expect: Expect,
) {
    let base = rendered(base.0, base.1);
    let mut out = String::new();
    for (name, body) in variants {
        let this = rendered(content_type, body);
        writeln!(out, "{name}").unwrap();
        for line in base.lines().filter(|l| !this.lines().any(|t| t == *l)) {
            writeln!(out, "- {line}").unwrap();
        }
        for line in this.lines().filter(|l| !base.lines().any(|b| b == *l)) {
            writeln!(out, "+ {line}").unwrap();
        }
    }
    expect.assert_eq(&out);
}

fn rendered(content_type: Option<&str>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let parts: Vec<&[u8]> = if text.contains(SPLIT) {
        text.split(SPLIT).map(str::as_bytes).collect()
    } else {
        vec![body]
    };
    let mut out = String::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        match parse_siprec_body(content_type, part) {
            Ok(parsed) => render(&mut out, &parsed),
            Err(e) => writeln!(out, "error: {e}").unwrap(),
        }
    }
    out
}

const SPLIT: &str = "__split_here__";

fn render(out: &mut String, body: &SiprecBody) {
    let metadata = body.metadata.as_ref().and_then(|m| m.as_ref().ok());
    match &body.sdp {
        None => out.push_str("sdp: none\n"),
        Some(Err(e)) => writeln!(out, "sdp: {e}").unwrap(),
        Some(Ok(sdp)) => {
            for m in &sdp.media {
                let label = m.label.as_deref().unwrap_or("-");
                write!(out, "m={} {} {}", m.media, m.port, m.formats.join(" ")).unwrap();
                write!(out, " label={label} {}", m.effective_direction(sdp).as_str()).unwrap();
                if let Some(md) = metadata {
                    let stream = md.stream_by_label(label).map_or("none", |s| s.id.as_str());
                    write!(out, " stream={stream}").unwrap();
                }
                out.push('\n');
            }
        }
    }
    for part in &body.ignored_parts {
        writeln!(out, "ignored: {part}").unwrap();
    }
    match &body.metadata {
        None => out.push_str("metadata: none\n"),
        Some(Err(e)) => writeln!(out, "metadata: {e:?}").unwrap(),
        Some(Ok(md)) => render_metadata(out, md),
    }
}

fn render_metadata(out: &mut String, md: &SiprecMetadata) {
    let data_mode = match md.data_mode {
        Some(DataMode::Complete) => "complete",
        Some(DataMode::Partial) => "partial",
        None => "-",
    };
    let variant = match md.variant {
        MetadataVariant::Rfc7865 => "",
        MetadataVariant::BroadWorks => " (broadworks)",
    };
    writeln!(out, "metadata {}{variant} datamode={data_mode}", md.namespace).unwrap();
    for g in &md.groups {
        write!(out, "  group {}", g.id).unwrap();
        fields(out, &[("initiator", &g.initiator)]);
        times(out, &g.associate_time, &g.disassociate_time);
        extensions(out, &g.extensions);
    }
    for s in &md.sessions {
        write!(out, "  session {}", s.id).unwrap();
        fields(out, &[("group", &s.group_ref)]);
        for id in &s.sip_session_ids {
            writeln!(out, "    sip-session-id {id}").unwrap();
        }
        if let Some(t) = &s.start_time {
            writeln!(out, "    start {}", time(t)).unwrap();
        }
        if let Some(t) = &s.stop_time {
            writeln!(out, "    stop {}", time(t)).unwrap();
        }
        times(out, &s.associate_time, &s.disassociate_time);
        extensions(out, &s.extensions);
    }
    for p in &md.participants {
        write!(out, "  participant {}", p.id).unwrap();
        fields(out, &[("aor", &p.aor), ("name", &p.name.as_ref().map(|n| format!("{n:?}")))]);
        for (what, ids) in [("sessions", &p.sessions), ("send", &p.send), ("recv", &p.recv)] {
            if !ids.is_empty() {
                writeln!(out, "    {what} {}", ids.join(" ")).unwrap();
            }
        }
        times(out, &p.associate_time, &p.disassociate_time);
        extensions(out, &p.extensions);
    }
    for s in &md.streams {
        write!(out, "  stream {}", s.id).unwrap();
        fields(out, &[("label", &s.label), ("mode", &s.mode), ("session", &s.session_id)]);
        times(out, &s.associate_time, &s.disassociate_time);
        extensions(out, &s.extensions);
    }
    for x in &md.extensions {
        writeln!(out, "  extension {}", compact(x)).unwrap();
    }
    if let Some(bw) = &md.broadworks {
        write!(out, "  broadworks").unwrap();
        let direction = bw.direction.map(|d| format!("{d:?}"));
        fields(
            out,
            &[
                ("user", &bw.user_id),
                ("tracking", &bw.ext_tracking_id),
                ("call", &bw.call_id),
                ("direction", &direction),
                ("recording", &bw.recording_type),
            ],
        );
        let (user, remote) =
            (bw.user_party().map(str::to_owned), bw.remote_party().map(str::to_owned));
        write!(out, "   ").unwrap();
        fields(out, &[("user-party", &user), ("remote-party", &remote)]);
    }
    for l in md.label_senders() {
        let sender = l.participant.map_or("nobody", |p| p.id.as_str());
        writeln!(out, "  label {} is sent by {sender}", l.label).unwrap();
    }
}

/// ` key=value` for each value there is, then the end of the line.
fn fields(out: &mut String, fields: &[(&str, &Option<String>)]) {
    for (key, value) in fields {
        if let Some(v) = value {
            write!(out, " {key}={v}").unwrap();
        }
    }
    out.push('\n');
}

fn times(out: &mut String, associate: &Option<Timestamp>, disassociate: &Option<Timestamp>) {
    if let Some(t) = associate {
        writeln!(out, "    associate {}", time(t)).unwrap();
    }
    if let Some(t) = disassociate {
        writeln!(out, "    disassociate {}", time(t)).unwrap();
    }
}

/// As written, then as parsed (UTC) or `?` when it does not parse.
fn time(t: &Timestamp) -> String {
    let utc = t.utc.map_or("?".into(), |u| u.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string());
    format!("{} = {utc}", t.raw)
}

fn extensions(out: &mut String, raw: &[String]) {
    for x in raw {
        writeln!(out, "    extension {}", compact(x)).unwrap();
    }
}

/// Raw XML without the indentation between its lines.
fn compact(xml: &str) -> String {
    xml.lines().map(str::trim).collect()
}

fn vendor(name: &str) -> Vec<u8> {
    read(&vendor_dir().join(name))
}

/// Every vendor offer, each with the Content-Type its INVITE carried
/// (`None` makes the parser guess the boundary). A new file in the folder
/// fails the test until it has a case here.
#[test]
fn vendor_offers() {
    let seen = RefCell::new(BTreeSet::new());
    let case = |file: &str, content_type: Option<&str>, expect: Expect| {
        seen.borrow_mut().insert(file.to_owned());
        check(content_type, &vendor(file), expect);
    };
    let like = |base: &str, files: &[&str], content_type: Option<&str>, expect: Expect| {
        let base = vendor(base);
        let variants: Vec<_> = files.iter().map(|f| (*f, vendor(f))).collect();
        seen.borrow_mut().extend(files.iter().map(|f| f.to_string()));
        check_like((content_type, &base), content_type, &variants, expect);
    };
    case(
        "acme-siprec-offer.txt",
        Some("multipart/mixed;boundary=unique-boundary-1"),
        expect![[r#"
            m=audio 20106 0 label=16777227 sendonly stream=Q4O8SGLQSilXHUGQX2zd8Q==
            m=audio 20110 0 label=16777228 sendonly stream=l1NyQy8ORSlouUj2G3UE/A==
            metadata urn:ietf:params:xml:ns:recording datamode=complete
              session AavRXwIIQj1Q39eJulTipQ==
                associate 2019-03-09T16:50:20 = 2019-03-09T16:50:20Z
              participant fSD3PFErSjNTHLDiXCELjw== aor=sip:9000@192.168.50.102 name="9000"
                sessions AavRXwIIQj1Q39eJulTipQ==
                send Q4O8SGLQSilXHUGQX2zd8Q==
                associate 2019-03-09T16:50:20 = 2019-03-09T16:50:20Z
                extension <extensiondata xmlns:apkt="http://acmepacket.com/siprec/extensiondata"><apkt:callingParty>true</apkt:callingParty></extensiondata>
              participant EbccNyypRlFYXTm4iw8hxw== aor=sip:1002@192.168.50.10 name="1002"
                sessions AavRXwIIQj1Q39eJulTipQ==
                send l1NyQy8ORSlouUj2G3UE/A==
                associate 2019-03-09T16:50:20 = 2019-03-09T16:50:20Z
                extension <extensiondata xmlns:apkt="http://acmepacket.com/siprec/extensiondata"><apkt:callingParty>false</apkt:callingParty></extensiondata>
              stream Q4O8SGLQSilXHUGQX2zd8Q== label=16777227 mode=separate session=AavRXwIIQj1Q39eJulTipQ==
                associate 2019-03-09T16:50:20 = 2019-03-09T16:50:20Z
              stream l1NyQy8ORSlouUj2G3UE/A== label=16777228 mode=separate session=AavRXwIIQj1Q39eJulTipQ==
                associate 2019-03-09T16:50:31 = 2019-03-09T16:50:31Z
              label 16777227 is sent by fSD3PFErSjNTHLDiXCELjw==
              label 16777228 is sent by EbccNyypRlFYXTm4iw8hxw==
        "#]],
    );
    case(
        "broadworks-offer-2.txt",
        Some("multipart/mixed; boundary=\"foobar\""),
        expect![[r#"
            m=audio 38606 8 97 label=10 sendonly stream=e6988909e02ca808ec0a
            m=audio 35744 8 97 label=20 sendonly stream=261ddd3615629f108092
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session 00FA0800705D4C5DCAAC41
                associate 2019-11-12T15:57:37 = 2019-11-12T15:57:37Z
              participant 9a2de728ba0bc348db1e aor=sip:9878942259@212.188.68.145
                sessions 00FA0800705D4C5DCAAC41
                send e6988909e02ca808ec0a
                associate 2019-11-12T15:57:37 = 2019-11-12T15:57:37Z
              participant abcdef12345678901234 aor=sip:ASBCE@asbce.com
                sessions 00FA0800705D4C5DCAAC41
                send 261ddd3615629f108092
                associate 2019-11-12T15:57:37 = 2019-11-12T15:57:37Z
              stream e6988909e02ca808ec0a label=10 session=00FA0800705D4C5DCAAC41
              stream 261ddd3615629f108092 label=20 session=00FA0800705D4C5DCAAC41
              label 10 is sent by 9a2de728ba0bc348db1e
              label 20 is sent by abcdef12345678901234
        "#]],
    );
    // One mixed m-line; the metadata part is not RFC 7865 at all, recognised
    // by its disposition and rejected.
    case(
        "broadworks-offer.txt",
        Some("multipart/mixed;boundary=UniqueBroadWorksBoundary"),
        expect![[r#"
            m=audio 22294 8 101 0 9 18 label=1 sendonly stream=none
            metadata urn:ietf:params:xml:ns:siprec (broadworks) datamode=-
        "#]],
    );
    // sipSessionID, start-time, recv lists; a Cisco application/gtd part.
    case(
        "cisco-siprec-offer.txt",
        Some("multipart/mixed;boundary=uniqueBoundary"),
        expect![[r#"
            m=audio 10292 0 101 label=1 sendonly stream=kQOH5VdEEeeJ/ND/VsPGWA==
            m=audio 10294 0 101 label=2 sendonly stream=kQOH5VdEEeeJ/dD/VsPGWA==
            ignored: application/gtd
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session kQNhKFdEEeeJ9tD/VsPGWA==
                sip-session-id e9fffff2020a598b86962867715db0cf;remote=cd0f7093d62c5f0697098fd69a4aa57b
                start 2017-06-23T12:16:06.040Z = 2017-06-23T12:16:06.040Z
              participant kQNhKFdEEeeJ99D/VsPGWA== aor=sip:7301@35.162.237.204
                sessions kQNhKFdEEeeJ9tD/VsPGWA==
                send kQOH5VdEEeeJ/ND/VsPGWA==
                recv kQOH5VdEEeeJ/dD/VsPGWA==
                associate 2017-06-23T12:16:06.040Z = 2017-06-23T12:16:06.040Z
              participant kQNhKFdEEeeJ+ND/VsPGWA== aor=sip:7300@35.162.237.204 name="7300"
                sessions kQNhKFdEEeeJ9tD/VsPGWA==
                send kQOH5VdEEeeJ/dD/VsPGWA==
                recv kQOH5VdEEeeJ/ND/VsPGWA==
                associate 2017-06-23T12:16:06.040Z = 2017-06-23T12:16:06.040Z
              stream kQOH5VdEEeeJ/ND/VsPGWA== label=1 session=kQNhKFdEEeeJ9tD/VsPGWA==
              stream kQOH5VdEEeeJ/dD/VsPGWA== label=2 session=kQNhKFdEEeeJ9tD/VsPGWA==
              label 1 is sent by kQNhKFdEEeeJ99D/VsPGWA==
              label 2 is sent by kQNhKFdEEeeJ+ND/VsPGWA==
        "#]],
    );
    case(
        "connectel-offer.txt",
        None,
        expect![[r#"
            m=audio 35011 0 8 3 101 label=1 sendonly stream=EkG6jSRhQqCupqs53tna1w==
            m=audio 35012 8 0 101 label=2 sendonly stream=4CLOddBJRvGyTJJxPE2ZSw==
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session 2+hKdGY+QvCKu8HYTdBouQ==
                sip-session-id 2d8abbf0769c66e15bb349f509693d60@52.57.92.239
              participant WEWTz80cS1Cqdyepmu3STQ== aor=sip:0771121212@52.57.92.239 name="test_user;lang=en-US;id=22"
              participant 21Isz6eFRYuiDN0vEkVXQQ== aor=sip:0760516936@sip-cust1.connectel.io
              stream EkG6jSRhQqCupqs53tna1w== label=1 session=2+hKdGY+QvCKu8HYTdBouQ==
              stream 4CLOddBJRvGyTJJxPE2ZSw== label=2 session=2+hKdGY+QvCKu8HYTdBouQ==
              label 1 is sent by nobody
              label 2 is sent by nobody
        "#]],
    );
    like(
        "connectel-offer.txt",
        &["connectel-offer2.txt", "connectel-offer3.txt"],
        Some("multipart/mixed;boundary=OSS-unique-boundary-42"),
        expect![[r#"
            connectel-offer2.txt
            -   participant WEWTz80cS1Cqdyepmu3STQ== aor=sip:0771121212@52.57.92.239 name="test_user;lang=en-US;id=22"
            +   participant WEWTz80cS1Cqdyepmu3STQ== aor=sip:0771121212@52.57.92.239 name="test_user;lang=en-US"
            connectel-offer3.txt
            -   participant WEWTz80cS1Cqdyepmu3STQ== aor=sip:0771121212@52.57.92.239 name="test_user;lang=en-US;id=22"
            +   participant WEWTz80cS1Cqdyepmu3STQ== aor=sip:0771121212@52.57.92.239 name="test_user"
        "#]],
    );
    case(
        "inactive-sdp-offer.txt",
        Some("multipart/mixed;boundary=uniqueBoundary"),
        expect![[r#"
            m=audio 19254 0 101 19 label=1 inactive stream=GbZGg8aXEeuxy61dFIaIyA==
            m=audio 19236 0 101 19 label=2 inactive stream=GbZGg8aXEeuxzK1dFIaIyA==
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session GZBIusaXEeuxxK1dFIaIyA==
                sip-session-id f845891467cf5c2189987435807bd432;remote=1aa1123b8825c906d03681ba23102629
                start 2021-06-07T07:16:23.618Z = 2021-06-07T07:16:23.618Z
              participant GZBIusaXEeuxxa1dFIaIyA== aor=sip:0733165805@192.168.40.34
                sessions GZBIusaXEeuxxK1dFIaIyA==
                associate 2021-06-07T07:16:23.618Z = 2021-06-07T07:16:23.618Z
              participant GZBIusaXEeuxxq1dFIaIyA== aor=sip:+972546136443@192.168.10.140
                sessions GZBIusaXEeuxxK1dFIaIyA==
                associate 2021-06-07T07:16:23.618Z = 2021-06-07T07:16:23.618Z
              stream GbZGg8aXEeuxy61dFIaIyA== label=1 session=GZBIusaXEeuxxK1dFIaIyA==
              stream GbZGg8aXEeuxzK1dFIaIyA== label=2 session=GZBIusaXEeuxxK1dFIaIyA==
              label 1 is sent by nobody
              label 2 is sent by nobody
        "#]],
    );
    case(
        "non-siprec-payload.txt",
        Some("application/sdp"),
        expect![[r#"
            m=audio 10292 0 101 label=1 sendonly
            metadata: none
        "#]],
    );
    // application/rs-metadata without +xml, no close delimiter.
    case(
        "procomm-siprec-offer.txt",
        Some("multipart/mixed;boundary=2CD2A2E9"),
        expect![[r#"
            m=audio 12654 8 label=a_leg sendonly stream=HdU6Bt7GTZiHcNe4R2LHdA==
            m=audio 12686 8 label=b_leg sendonly stream=T6T6syCpRSGH1J+gwLFaIQ==
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session ho9aUhEQTRS+31th7sHStA==
                start 2017-12-11T14:44:23Z = 2017-12-11T14:44:23Z
              participant Ye5S5pU+SAG2JY4oG7M4Cw== aor=sip:016190200@87.252.209.116 name="016190200"
                sessions ho9aUhEQTRS+31th7sHStA==
                send HdU6Bt7GTZiHcNe4R2LHdA==
                recv T6T6syCpRSGH1J+gwLFaIQ==
              participant QDhKextjTa+F1TzXuvHZHw== aor=Extension-016190619@speechpath.ie name="Speechpath-Main-Line 016190619"
                sessions ho9aUhEQTRS+31th7sHStA==
                send T6T6syCpRSGH1J+gwLFaIQ==
                recv HdU6Bt7GTZiHcNe4R2LHdA==
              stream HdU6Bt7GTZiHcNe4R2LHdA== label=a_leg session=ho9aUhEQTRS+31th7sHStA==
              stream T6T6syCpRSGH1J+gwLFaIQ== label=b_leg session=ho9aUhEQTRS+31th7sHStA==
              label a_leg is sent by Ye5S5pU+SAG2JY4oG7M4Cw==
              label b_leg is sent by QDhKextjTa+F1TzXuvHZHw==
        "#]],
    );
    case(
        "sample-sdp2.txt",
        Some("application/sdp"),
        expect![[r#"
            m=audio 35003 8 0 101 label=1 sendonly
            metadata: none
            ---
            m=audio 48926 0 label=2 sendonly
            metadata: none
        "#]],
    );
    case(
        "sample-sdp3.txt",
        Some("application/sdp"),
        expect![[r#"
            m=audio 22820 8 101 label=- sendrecv
            metadata: none
            ---
            m=audio 19640 8 101 label=- recvonly
            metadata: none
        "#]],
    );
    case(
        "sample-sdps.txt",
        Some("application/sdp"),
        expect![[r#"
            m=audio 48932 0 label=1 sendonly
            metadata: none
            ---
            m=audio 48926 0 label=2 sendonly
            metadata: none
        "#]],
    );
    // tns: prefix, the namespace without :1, a group with callData.
    case(
        "sonus-siprec-offer.txt",
        Some("multipart/mixed;boundary=sonus-content-delim"),
        expect![[r#"
            m=audio 48932 0 label=1 sendonly stream=MTQ3YzA3YzQtNjdkNy0xMA==
            m=audio 48926 0 label=2 sendonly stream=MTQ3YzA3YzUtNjdkNy0xMA==
            metadata urn:ietf:params:xml:ns:recording datamode=complete
              group MTQ3YzA3YzAtNjdkNy0xMA==
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
                extension <callData xmlns='urn:ietf:params:xml:ns:callData'><fromhdr>"Extension 8500" &lt;sip:2249888500@172.16.198.55&gt;;tag=SerryvK5ej0jc</fromhdr><tohdr>&lt;sip:2249888012@172.16.195.72&gt;;tag=gK00801b2d</tohdr><callid>2da553f7-a48b-1235-d6a2-5254003a4988</callid><gcid>241205267</gcid></callData>
              session MTQ3YzA3YzEtNjdkNy0xMA== group=MTQ3YzA3YzAtNjdkNy0xMA==
                start 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
              participant MTQ3YzA3YzItNjdkNy0xMA== aor=2249888500@172.16.198.55 name="Extension 8500"
                sessions MTQ3YzA3YzEtNjdkNy0xMA==
                send MTQ3YzA3YzUtNjdkNy0xMA==
                recv MTQ3YzA3YzQtNjdkNy0xMA==
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
              participant MTQ3YzA3YzMtNjdkNy0xMA== aor=2249888012@172.16.195.72
                sessions MTQ3YzA3YzEtNjdkNy0xMA==
                send MTQ3YzA3YzQtNjdkNy0xMA==
                recv MTQ3YzA3YzUtNjdkNy0xMA==
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
              stream MTQ3YzA3YzQtNjdkNy0xMA== label=1 session=MTQ3YzA3YzEtNjdkNy0xMA==
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
              stream MTQ3YzA3YzUtNjdkNy0xMA== label=2 session=MTQ3YzA3YzEtNjdkNy0xMA==
                associate 1970-05-13T03:29:05Z = 1970-05-13T03:29:05Z
              label 1 is sent by MTQ3YzA3YzMtNjdkNy0xMA==
              label 2 is sent by MTQ3YzA3YzItNjdkNy0xMA==
        "#]],
    );

    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(vendor_dir()).expect("fixture dir") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".txt") {
            files.insert(name); // not LICENSE, README.md
        }
    }
    assert_eq!(seen.into_inner(), files, "the fixture set changed");
}

/// Without its Content-Type the boundary is guessed, with the same result.
#[test]
fn acme_without_content_type() {
    let body = vendor("acme-siprec-offer.txt");
    let ct = "multipart/mixed;boundary=unique-boundary-1";
    assert_eq!(parse_siprec_body(None, &body), parse_siprec_body(Some(ct), &body));
}

fn metadata(name: &str) -> Vec<u8> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name))
}

const METADATA: Option<&str> = Some("application/rs-metadata+xml");

#[test]
fn rfc7865_complete() {
    check(
        METADATA,
        &metadata("rfc7865-complete.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              group Z3JvdXAtMDAwMDAwMDAwMQ==
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
                extension <call-center xmlns='urn:ietf:params:xml:ns:callcenter'><supervisor>sip:supervisor@example.com</supervisor></call-center>
                extension <mydata xmlns='http://example.com/my'><structure>structure!</structure></mydata>
              session c2Vzc2lvbi0wMDAwMDAwMQ== group=Z3JvdXAtMDAwMDAwMDAwMQ==
                sip-session-id ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
                extension <mydata xmlns='http://example.com/my'><whatever>bar</whatever></mydata>
              participant cGFydC1ib2ItMDAwMDAwMQ== aor=sip:bob@biloxi.example.com name="Bob"
                sessions c2Vzc2lvbi0wMDAwMDAwMQ==
                send c3RyZWFtLTk3LTAwMDAwMQ== c3RyZWFtLTk2LTAwMDAwMQ==
                recv c3RyZWFtLTk4LTAwMDAwMQ== c3RyZWFtLTk5LTAwMDAwMQ==
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
                extension <mydata xmlns='http://example.com/my'><whatever>bar</whatever></mydata>
              participant cGFydC1md2QtMDAwMDAwMQ== aor=sip:forward@atlanta.example.com name="Forward"
                sessions c2Vzc2lvbi0wMDAwMDAwMQ==
                send c3RyZWFtLTk4LTAwMDAwMQ== c3RyZWFtLTk5LTAwMDAwMQ==
                recv c3RyZWFtLTk2LTAwMDAwMQ== c3RyZWFtLTk3LTAwMDAwMQ==
                associate 2010-12-16T23:41:08Z = 2010-12-16T23:41:08Z
              stream c3RyZWFtLTk2LTAwMDAwMQ== label=96 session=c2Vzc2lvbi0wMDAwMDAwMQ==
              stream c3RyZWFtLTk3LTAwMDAwMQ== label=97 session=c2Vzc2lvbi0wMDAwMDAwMQ==
              stream c3RyZWFtLTk4LTAwMDAwMQ== label=98 session=c2Vzc2lvbi0wMDAwMDAwMQ==
              stream c3RyZWFtLTk5LTAwMDAwMQ== label=99 session=c2Vzc2lvbi0wMDAwMDAwMQ==
              label 96 is sent by cGFydC1ib2ItMDAwMDAwMQ==
              label 97 is sent by cGFydC1ib2ItMDAwMDAwMQ==
              label 98 is sent by cGFydC1md2QtMDAwMDAwMQ==
              label 99 is sent by cGFydC1md2QtMDAwMDAwMQ==
        "#]],
    );
}

/// A basic call, a partial update for a transfer, and the partial update
/// that ends it (RFC 8068).
#[test]
fn rfc8068_call_then_transfer_then_end() {
    check(
        METADATA,
        &metadata("rfc8068-basic-call.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session YmFzaWMtc2Vzc2lvbi0x
                sip-session-id ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
              participant YmFzaWMtYWxpY2U= aor=sip:alice@atlanta.example.com name="Alice"
                sessions YmFzaWMtc2Vzc2lvbi0x
                send YmFzaWMtc3RyZWFtLTE=
                recv YmFzaWMtc3RyZWFtLTI=
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
              participant YmFzaWMtYm9i aor=sip:bob@biloxi.example.com name="Bob"
                sessions YmFzaWMtc2Vzc2lvbi0x
                send YmFzaWMtc3RyZWFtLTI=
                recv YmFzaWMtc3RyZWFtLTE=
                associate 2010-12-16T23:41:07Z = 2010-12-16T23:41:07Z
              stream YmFzaWMtc3RyZWFtLTE= label=1 session=YmFzaWMtc2Vzc2lvbi0x
              stream YmFzaWMtc3RyZWFtLTI= label=2 session=YmFzaWMtc2Vzc2lvbi0x
              label 1 is sent by YmFzaWMtYWxpY2U=
              label 2 is sent by YmFzaWMtYm9i
        "#]],
    );
    // Bob is only referred to: a placeholder keeps his disassociation, and a
    // placeholder session comes from the association.
    check(
        METADATA,
        &metadata("rfc8068-transfer-partial.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=partial
              session YmFzaWMtc2Vzc2lvbi0x
              participant YmFzaWMtY2Fyb2w= aor=sip:carol@chicago.example.com name="Carol"
                sessions YmFzaWMtc2Vzc2lvbi0x
                send YmFzaWMtc3RyZWFtLTI=
                recv YmFzaWMtc3RyZWFtLTE=
                associate 2010-12-16T23:45:31Z = 2010-12-16T23:45:31Z
              participant YmFzaWMtYm9i
                sessions YmFzaWMtc2Vzc2lvbi0x
                disassociate 2010-12-16T23:45:30Z = 2010-12-16T23:45:30Z
        "#]],
    );
    check(
        METADATA,
        &metadata("rfc8068-end-partial.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=partial
              session YmFzaWMtc2Vzc2lvbi0x
                disassociate 2010-12-16T23:50:00Z = 2010-12-16T23:50:00Z
              participant YmFzaWMtYWxpY2U=
                sessions YmFzaWMtc2Vzc2lvbi0x
                disassociate 2010-12-16T23:50:00Z = 2010-12-16T23:50:00Z
              stream YmFzaWMtc3RyZWFtLTE= session=YmFzaWMtc2Vzc2lvbi0x
                disassociate 2010-12-16T23:50:00Z = 2010-12-16T23:50:00Z
        "#]],
    );
}

#[test]
fn oracle_draft_schema() {
    check(
        METADATA,
        &metadata("oracle-draft.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording datamode=complete
              session urn:uuid:00000000-0000-4000-8000-000000000001
                start 2011-06-27T17:03:57 = 2011-06-27T17:03:57Z
              participant urn:uuid:00000000-0000-4000-8000-0000000000a1 aor=sip:caller@192.0.2.40 name="caller"
                sessions urn:uuid:00000000-0000-4000-8000-000000000001
                send urn:uuid:00000000-0000-4000-8000-0000000000f1
                associate 2011-06-27T17:03:57 = 2011-06-27T17:03:57Z
              participant urn:uuid:00000000-0000-4000-8000-0000000000a2 aor=sip:service@192.0.2.60 name="service"
                sessions urn:uuid:00000000-0000-4000-8000-000000000001
              stream urn:uuid:00000000-0000-4000-8000-0000000000f1 label=1 mode=separate session=urn:uuid:00000000-0000-4000-8000-000000000001
                associate 2011-06-27T17:03:57 = 2011-06-27T17:03:57Z
              label 1 is sent by urn:uuid:00000000-0000-4000-8000-0000000000a1
        "#]],
    );
}

/// Prefixes, element case and foreign namespaces (a `v:participant` is an
/// extension).
#[test]
fn prefixes_case_and_foreign_namespaces() {
    check(
        METADATA,
        &metadata("opensips-variants.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=complete
              session s1
                sip-session-id aaaa;remote=bbbb
                start 2019-11-12T15:57:37+0000 = 2019-11-12T15:57:37Z
              participant p1 aor=sip:100@pbx.example name="Agent 100"
                sessions s1
                send st2
                recv st1
                associate 2019-11-12T15:57:37+0000 = 2019-11-12T15:57:37Z
                extension <v:participant id="not-a-participant"/>
              participant p2 aor=sip:+4930123@carrier.example
                send st1
              stream st1 label=caller session=s1
              stream st2 label=callee session=s1
              extension <v:queue name="sales"/>
              label caller is sent by p2
              label callee is sent by p1
        "#]],
    );
}

#[test]
fn broken_metadata_still_gives_sdp() {
    let body = b"--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\na=label:1\r\n\r\n--b\r\nContent-Type: application/rs-metadata+xml\r\n\r\n<recording><participant</recording>\r\n--b--\r\n";
    check(
        Some("multipart/mixed;boundary=b"),
        body,
        expect![[r#"
            m=audio 4000 0 label=1 sendrecv
            metadata: Xml("expected a whitespace not '<' at 1:24")
        "#]],
    );
}

#[test]
fn multipart_without_a_boundary_to_guess() {
    check(
        Some("multipart/mixed"),
        b"v=0\r\n",
        expect![[r#"
            error: no multipart boundary
        "#]],
    );
}

/// Metadata alone, as in an UPDATE or BYE.
#[test]
fn metadata_alone() {
    check(
        METADATA,
        b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>partial</datamode></recording>",
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:recording:1 datamode=partial
        "#]],
    );
}

proptest::proptest! {
    #[test]
    fn metadata_never_panics(s in "<recording>(<(participant|stream|session|participantstreamassoc) (id|participant_id|stream_id)=\"[a-c]\">(<send>[a-c]</send>|<label>[0-9]</label>|<nameID aor=\"[a-z:@]{0,6}\"/>){0,3}</(participant|stream|session|participantstreamassoc)>){0,5}</recording>") {
        if let Ok(md) = parse_metadata(&s) {
            let _ = md.label_senders();
        }
    }
}

/// BroadWorks' draft-schema variant: one mixed stream both parties send,
/// `<send><id>`, the group's initiator and the BroadWorks extension.
#[test]
fn broadworks_complete_mixed() {
    check(
        METADATA,
        &metadata("broadworks-complete.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:siprec (broadworks) datamode=complete
              group urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000b initiator=sip:+12025550147@as.example.net
              session urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c group=urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000b
                start 2024-03-05T09:12:40-05:00 = 2024-03-05T14:12:40Z
              participant urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000a1 aor=sip:+12025550147@as.example.net
                sessions urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
                send urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000f1
              participant urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000a2 aor=sip:+13125550199@as.example.net;user=phone name="Customer"
                sessions urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
                send urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000f1
              stream urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000f1 label=1 mode=mixed session=urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
              extension <recording id="urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000a"><requestor>SRC</requestor><type>selective</type></recording>
              extension <extensiondata id="urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000e1" parent="urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c"><broadWorksRecordingMetadata xmlns="http://schema.broadsoft.com/broadworksCallRecording" version="3.0"><extTrackingID>4471:1</extTrackingID><serviceProviderID>ExampleSP</serviceProviderID><groupID>Example Sales</groupID><userID>agent7@example.net</userID><callID>callhalf-90210:0</callID><callType><origCall><callingPartyNumber>sip:+12025550147@as.example.net</callingPartyNumber><calledPartyNumber>sip:+13125550199@as.example.net;user=phone</calledPartyNumber><dialedDigits>sip:13125550199@as.example.net</dialedDigits></origCall></callType><recordingType>always</recordingType></broadWorksRecordingMetadata></extensiondata>
              broadworks user=agent7@example.net tracking=4471:1 call=callhalf-90210:0 direction=Originating recording=always
                user-party=sip:+12025550147@as.example.net remote-party=sip:+13125550199@as.example.net;user=phone
              label 1 is sent by urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000a1
        "#]],
    );
}

/// A transfer by the remote party: the customer leaves, the transfer
/// target joins and sends the mixed stream.
#[test]
fn broadworks_transfer_partial() {
    check(
        METADATA,
        &metadata("broadworks-transfer-partial.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:siprec (broadworks) datamode=partial
              session urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
              participant urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000a2
                sessions urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
                disassociate 2024-03-05T09:14:02-05:00 = 2024-03-05T14:14:02Z
              participant urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000a3 aor=sip:+14155550123@as.example.net;user=phone name="Transfer Target"
                sessions urn:uuid:0b1e6c2a-1111-4d00-9000-00000000000c
                send urn:uuid:0b1e6c2a-1111-4d00-9000-0000000000f1
                associate 2024-03-05T09:14:02-05:00 = 2024-03-05T14:14:02Z
        "#]],
    );
}

/// Webex Calling: prefixed elements, RFC-style associations inside the
/// BroadWorks root, a terminating call.
#[test]
fn webex_complete() {
    check(
        METADATA,
        &metadata("webex-complete.xml"),
        expect![[r#"
            sdp: none
            metadata urn:ietf:params:xml:ns:siprec (broadworks) datamode=complete
              group 8d3c51e0-wx-group initiator=sip:+442071838750@calling.example.com
              session 8d3c51e0-wx-session group=8d3c51e0-wx-group
                sip-session-id 4a5b6c7d8e9f40a1b2c3d4e5f6a7b8c9;remote=0f1e2d3c4b5a69788796a5b4c3d2e1f0
                start 2024-06-11T14:03:09.120Z = 2024-06-11T14:03:09.120Z
              participant wx-caller aor=sip:+447700900123@calling.example.com name="Caller"
                sessions 8d3c51e0-wx-session
                send wx-st-1
                recv wx-st-2
                associate 2024-06-11T14:03:09.120Z = 2024-06-11T14:03:09.120Z
              participant wx-desk aor=sip:+442071838750@calling.example.com name="Support Desk"
                sessions 8d3c51e0-wx-session
                send wx-st-2
                recv wx-st-1
                associate 2024-06-11T14:03:09.120Z = 2024-06-11T14:03:09.120Z
              stream wx-st-1 label=1 mode=separate session=8d3c51e0-wx-session
              stream wx-st-2 label=2 mode=separate session=8d3c51e0-wx-session
              extension <rs:extensiondata parent="8d3c51e0-wx-session"><bw:broadWorksRecordingMetadata version="3.0"><bw:userID>desk@calling.example.com</bw:userID><bw:callID>callhalf-581330:0</bw:callID><bw:callType><bw:termCall><bw:callingPartyNumber>sip:+447700900123@calling.example.com</bw:callingPartyNumber><bw:calledPartyNumber>sip:+442071838750@calling.example.com;user=phone</bw:calledPartyNumber></bw:termCall></bw:callType><bw:recordingType>always-pause-resume</bw:recordingType></bw:broadWorksRecordingMetadata></rs:extensiondata>
              broadworks user=desk@calling.example.com call=callhalf-581330:0 direction=Terminating recording=always-pause-resume
                user-party=sip:+442071838750@calling.example.com;user=phone remote-party=sip:+447700900123@calling.example.com
              label 1 is sent by wx-caller
              label 2 is sent by wx-desk
        "#]],
    );
}

#[test]
fn parties_from_headers() {
    let headers: Vec<(String, String)> = [
        ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1"),
        ("f", "\"Front Desk\" <sip:+12025550147@sbc.example.net;user=phone>;tag=9"),
        ("To", "<sip:srs@198.51.100.7>"),
        (
            "P-Asserted-Identity",
            "\"Caller\" <sip:+13125550199@sbc.example.net>, <tel:+13125550199>",
        ),
        ("Diversion", "<sip:101@pbx.example.com>;reason=no-answer;counter=1"),
        ("X-Cisco-Recording-Participant", "<sip:192.0.2.9>;media-index=\"0\""),
        ("Remote-Party-ID", "garbage <"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let got: Vec<String> = header_parties(&headers)
        .iter()
        .map(|p| format!("{:?} {} {:?} {:?}", p.source, p.aor, p.name, p.media_index))
        .collect();
    expect![[r#"
        [
            "AssertedIdentity sip:+13125550199@sbc.example.net Some(\"Caller\") None",
            "From sip:+12025550147@sbc.example.net;user=phone Some(\"Front Desk\") None",
            "To sip:srs@198.51.100.7 None None",
            "Diversion sip:101@pbx.example.com None None",
        ]
    "#]]
    .assert_debug_eq(&got);
    assert!(header_parties(&[]).is_empty());
    let many: Vec<(String, String)> =
        (0..100).map(|i| ("Diversion".to_string(), format!("<sip:{i}@h>"))).collect();
    assert_eq!(header_parties(&many).len(), 16);
    assert!(header_parties(&headers).iter().all(|p| p.source != HeaderSource::CiscoParticipant));
}
