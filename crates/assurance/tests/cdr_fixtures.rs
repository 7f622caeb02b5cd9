//! Every CDR fixture (see `tests/fixtures/cdr/README.md`) read into the legs
//! the README describes, field by field; malformed rows reported with their
//! lines; the same input read twice giving the same keys; formats detected.

use std::path::{Path, PathBuf};

use callvault_assurance::cdr::{
    self, AsteriskCsvLayout, CdrCall, CdrFormat, CdrLeg, ConversationCandidate, Disposition,
    GenericMapping, MatchConfig, MatchedBy, ParseOptions, Parsed,
};
use callvault_model::{ConversationId, ExternalId};
use chrono::{DateTime, FixedOffset, Utc};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdr").join(path)
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}")).with_timezone(&Utc)
}

/// One expected leg, written compactly: times as `HH:MM:SS[.fff]` on
/// 2026-12-01 UTC.
struct Want<'a> {
    key: &'a str,
    caller: Option<&'a str>,
    callee: Option<&'a str>,
    start: &'a str,
    answer: Option<&'a str>,
    end: &'a str,
    talk: u64,
    disposition: Disposition,
    ids: &'a [(&'a str, &'a str)],
}

fn at(hms: &str) -> DateTime<Utc> {
    utc(&format!("2026-12-01T{hms}Z"))
}

fn check(format: CdrFormat, got: &[CdrLeg], want: &[Want<'_>]) {
    let keys: Vec<&str> = got.iter().map(|l| l.leg_key.as_str()).collect();
    let want_keys: Vec<&str> = want.iter().map(|w| w.key).collect();
    assert_eq!(keys, want_keys, "leg keys");
    for (leg, w) in got.iter().zip(want) {
        let ctx = w.key;
        assert_eq!(leg.format, format, "{ctx}");
        assert_eq!(leg.caller.as_deref(), w.caller, "{ctx} caller");
        assert_eq!(leg.callee.as_deref(), w.callee, "{ctx} callee");
        assert_eq!(leg.started_at, at(w.start), "{ctx} start");
        assert_eq!(leg.answered_at, w.answer.map(at), "{ctx} answer");
        assert_eq!(leg.ended_at, at(w.end), "{ctx} end");
        assert_eq!(leg.talk_secs, w.talk, "{ctx} talk");
        assert_eq!(leg.disposition, w.disposition, "{ctx} disposition");
        let ids: Vec<(&str, &str)> =
            leg.ids.iter().map(|i| (i.kind.as_str(), i.value.as_str())).collect();
        assert_eq!(ids, w.ids, "{ctx} ids");
    }
}

fn errors(parsed: &Parsed) -> Vec<(u64, String)> {
    parsed.errors.iter().map(|e| (e.line, e.reason.clone())).collect()
}

fn asterisk_csv() -> Parsed {
    cdr::asterisk::parse(&read("asterisk-csv/Master.csv"), moscow(), AsteriskCsvLayout::Auto)
}

/// A Master.csv leg: both numbers known, ids uniqueid then linkedid.
#[allow(clippy::too_many_arguments)]
fn ast(
    key: &'static str,
    caller: &'static str,
    callee: &'static str,
    start: &'static str,
    answer: Option<&'static str>,
    end: &'static str,
    talk: u64,
    disposition: Disposition,
    ids: &'static [(&'static str, &'static str)],
) -> Want<'static> {
    Want {
        key,
        caller: Some(caller),
        callee: Some(callee),
        start,
        answer,
        end,
        talk,
        disposition,
        ids,
    }
}

#[test]
fn asterisk_master_csv() {
    use Disposition::*;
    let parsed = asterisk_csv();
    const U: &str = "asterisk_uniqueid";
    const L: &str = "asterisk_linkedid";
    let transfer = &[(U, "1796110800.10"), (L, "1796110800.10")];
    check(
        CdrFormat::AsteriskCsv,
        &parsed.legs,
        &[
            ast(
                "1796108400.1#1",
                "84951234567",
                "101",
                "07:00:00",
                Some("07:00:05"),
                "07:03:05",
                180,
                Answered,
                &[(U, "1796108400.1"), (L, "1796108400.1")],
            ),
            ast(
                "1796109000.3#2",
                "101",
                "89161234567",
                "07:10:00",
                Some("07:10:12"),
                "07:10:15",
                3,
                Answered,
                &[(U, "1796109000.3"), (L, "1796109000.3")],
            ),
            ast(
                "1796109600.5#3",
                "84957654321",
                "102",
                "07:20:00",
                None,
                "07:20:30",
                0,
                NoAnswer,
                &[(U, "1796109600.5"), (L, "1796109600.5")],
            ),
            ast(
                "1796109900.7#4",
                "103",
                "89031112233",
                "07:25:00",
                None,
                "07:25:04",
                0,
                Busy,
                &[(U, "1796109900.7"), (L, "1796109900.7")],
            ),
            ast(
                "1796110020.9#5",
                "104",
                "88005553535",
                "07:27:00",
                None,
                "07:27:01",
                0,
                Failed,
                &[(U, "1796110020.9"), (L, "1796110020.9")],
            ),
            ast(
                "1796110800.10#6",
                "84959998877",
                "100",
                "07:40:00",
                Some("07:40:03"),
                "07:41:00",
                57,
                Answered,
                transfer,
            ),
            ast(
                "1796110855.12#7",
                "100",
                "105",
                "07:40:55",
                Some("07:40:58"),
                "07:41:00",
                2,
                Answered,
                &[(U, "1796110855.12"), (L, "1796110800.10")],
            ),
            ast(
                "1796110800.10#8",
                "84959998877",
                "105",
                "07:41:00",
                Some("07:41:06"),
                "07:44:06",
                180,
                Answered,
                transfer,
            ),
            ast(
                "1796112000.14#9",
                "84956667788",
                "106",
                "08:00:00",
                Some("08:00:02"),
                "08:10:02",
                600,
                Answered,
                &[(U, "1796112000.14"), (L, "1796112000.14")],
            ),
        ],
    );
    assert_eq!(
        errors(&parsed),
        [
            (10, "6 columns; Master.csv rows have 16 to 21".to_string()),
            (11, r#"start: cannot read time "2026-12-01 25:61:00""#.to_string()),
            (12, "ends before it starts".to_string()),
        ]
    );
}

#[test]
fn asterisk_master_csv_calls_group_by_linkedid() {
    let calls = cdr::group_calls(asterisk_csv().legs);
    assert_eq!(calls.len(), 7);
    let transfer = calls.iter().find(|c| c.legs.len() > 1).expect("the transfer");
    assert_eq!(transfer.call_key, "1796110800.10#6");
    let keys: Vec<&str> = transfer.legs.iter().map(|l| l.leg_key.as_str()).collect();
    assert_eq!(keys, ["1796110800.10#6", "1796110855.12#7", "1796110800.10#8"]);
    assert_eq!(
        (transfer.answered_at(), transfer.ended_at()),
        (Some(at("07:40:03")), at("07:44:06"))
    );
    let answered = calls.iter().filter(|c| c.answered()).count();
    assert_eq!(answered, 4);
}

#[test]
fn asterisk_master_csv_with_its_configured_layout_and_in_utc() {
    let layout = AsteriskCsvLayout::Configured {
        loguniqueid: true,
        loguserfield: true,
        newcdrcolumns: true,
    };
    let utc0 = FixedOffset::east_opt(0).unwrap();
    let parsed = cdr::asterisk::parse(&read("asterisk-csv/Master.csv"), utc0, layout);
    assert_eq!(parsed.legs.len(), 9);
    // Read as UTC (usegmtime=yes) the same wall-clock time is 3 h later.
    assert_eq!(parsed.legs[0].started_at, at("10:00:00"));
    // The narrower configured layout rejects every row, each with its line.
    let narrow = AsteriskCsvLayout::Configured {
        loguniqueid: true,
        loguserfield: true,
        newcdrcolumns: false,
    };
    let parsed = cdr::asterisk::parse(&read("asterisk-csv/Master.csv"), utc0, narrow);
    assert!(parsed.legs.is_empty());
    assert_eq!(
        parsed.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert_eq!(parsed.errors[0].reason, "21 columns where the configured layout has 18");
}

#[test]
fn asterisk_master_csv_of_the_default_16_columns() {
    // Asterisk's code defaults (no uniqueid, no userfield, no linkedid): the
    // leg key is a hash of the row, stable across reads, and no ids.
    let row = "\"\",\"84951234567\",\"101\",\"from-trunk\",\"\"\"A\"\" <84951234567>\",\"SIP/trunk-1\",\"SIP/101-2\",\"Dial\",\"SIP/101\",\"2026-12-01 10:00:00\",\"2026-12-01 10:00:05\",\"2026-12-01 10:03:05\",185,180,\"ANSWERED\",\"DOCUMENTATION\"\n";
    let a = cdr::asterisk::parse(row.as_bytes(), moscow(), AsteriskCsvLayout::Auto);
    let b = cdr::asterisk::parse(row.as_bytes(), moscow(), AsteriskCsvLayout::Auto);
    assert_eq!(a.errors, []);
    assert_eq!(a.legs.len(), 1);
    assert!(a.legs[0].leg_key.starts_with("h:"), "{}", a.legs[0].leg_key);
    assert_eq!(a.legs[0].leg_key, b.legs[0].leg_key);
    assert!(a.legs[0].ids.is_empty());
    assert_eq!(a.legs[0].talk_secs, 180);
}

fn custom_fields() -> Vec<String> {
    let conf = String::from_utf8(read("asterisk-custom/cdr_custom.conf")).unwrap();
    let line = conf.lines().find(|l| l.starts_with("fields")).expect("a fields line");
    cdr::parse_field_list(line)
}

#[test]
fn asterisk_cdr_custom_with_its_mapping() {
    use Disposition::*;
    let fields = custom_fields();
    assert_eq!(fields.len(), 21);
    assert_eq!(fields[16], "uniqueid");
    assert_eq!(fields[20], "sip_call_id");
    let parsed = cdr::custom::parse(&read("asterisk-custom/Master.csv"), moscow(), Some(&fields));
    check(
        CdrFormat::AsteriskCustom,
        &parsed.legs,
        &[
            Want {
                key: "pbx2-1796115600.1#1",
                caller: Some("84953334455"),
                callee: Some("201"),
                start: "09:00:00",
                answer: Some("09:00:04"),
                end: "09:02:04",
                talk: 120,
                disposition: Answered,
                ids: &[
                    ("asterisk_uniqueid", "pbx2-1796115600.1"),
                    ("asterisk_linkedid", "pbx2-1796115600.1"),
                    ("sip_call_id", "a84b4c76e66710@pbx2.example.com"),
                ],
            },
            Want {
                key: "pbx2-1796115900.3#2",
                caller: Some("202"),
                callee: Some("89267778899"),
                start: "09:05:00",
                answer: Some("09:05:10"),
                end: "09:05:55",
                talk: 45,
                disposition: Answered,
                ids: &[
                    ("asterisk_uniqueid", "pbx2-1796115900.3"),
                    ("asterisk_linkedid", "pbx2-1796115900.3"),
                    ("sip_call_id", "3848276298220188511@carrier.example.net"),
                ],
            },
            Want {
                key: "pbx2-1796116200.5#3",
                caller: Some("84951112233"),
                callee: Some("203"),
                start: "09:10:00",
                answer: None,
                end: "09:10:25",
                talk: 0,
                disposition: NoAnswer,
                ids: &[
                    ("asterisk_uniqueid", "pbx2-1796116200.5"),
                    ("asterisk_linkedid", "pbx2-1796116200.5"),
                    ("sip_call_id", "1f2e3d4c@pbx2.example.com"),
                ],
            },
            Want {
                key: "pbx2-1796116500.7#4",
                caller: Some("204"),
                callee: Some("89035556677"),
                start: "09:15:00",
                answer: None,
                end: "09:15:03",
                talk: 0,
                disposition: Busy,
                ids: &[
                    ("asterisk_uniqueid", "pbx2-1796116500.7"),
                    ("asterisk_linkedid", "pbx2-1796116500.7"),
                ],
            },
            Want {
                key: "pbx2-1796116800.9#5",
                caller: Some("205"),
                callee: Some("84990000000"),
                start: "09:20:00",
                answer: None,
                end: "09:20:00",
                talk: 0,
                disposition: Failed,
                ids: &[
                    ("asterisk_uniqueid", "pbx2-1796116800.9"),
                    ("asterisk_linkedid", "pbx2-1796116800.9"),
                ],
            },
        ],
    );
    assert_eq!(
        errors(&parsed),
        [
            (6, "20 fields where the mapping has 21".to_string()),
            (7, r#"billsec: cannot read seconds "abc""#.to_string()),
        ]
    );
}

#[test]
fn asterisk_cdr_custom_with_a_header_row_instead_of_a_mapping() {
    let fields = custom_fields();
    let mut input = fields.join(",").into_bytes();
    input.push(b'\n');
    input.extend(read("asterisk-custom/Master.csv"));
    assert_eq!(cdr::detect(&input), Some(CdrFormat::AsteriskCustom));
    let with_header = cdr::custom::parse(&input, moscow(), None);
    let with_mapping =
        cdr::custom::parse(&read("asterisk-custom/Master.csv"), moscow(), Some(&fields));
    assert_eq!(with_header.legs, with_mapping.legs);
    // Same rows, one line further down.
    assert_eq!(with_header.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [7, 8]);
    // A header in a file read with its mapping is skipped, not an error.
    let both = cdr::custom::parse(&input, moscow(), Some(&fields));
    assert_eq!(both.legs, with_mapping.legs);
    assert_eq!(both.errors.len(), 2);
}

#[test]
fn asterisk_cel_events_fold_into_channel_legs() {
    use Disposition::*;
    let parsed = cdr::custom::parse(&read("asterisk-cel/Master.csv"), moscow(), None);
    const U: &str = "asterisk_uniqueid";
    const L: &str = "asterisk_linkedid";
    check(
        CdrFormat::AsteriskCustom,
        &parsed.legs,
        &[
            Want {
                key: "1796119200.20",
                caller: Some("84954440000"),
                callee: Some("301"),
                start: "10:00:00",
                answer: Some("10:00:04.05"),
                end: "10:03:04.04",
                talk: 179,
                disposition: Answered,
                ids: &[(U, "1796119200.20"), (L, "1796119200.20")],
            },
            Want {
                key: "1796119200.21",
                caller: Some("84954440000"),
                callee: Some("301"),
                start: "10:00:00.15",
                answer: Some("10:00:04"),
                end: "10:03:04.02",
                talk: 180,
                disposition: Answered,
                ids: &[(U, "1796119200.21"), (L, "1796119200.20")],
            },
            Want {
                key: "1796119800.30",
                caller: Some("302"),
                callee: Some("89101234567"),
                start: "10:10:00",
                answer: None,
                end: "10:10:03.51",
                talk: 0,
                disposition: Busy,
                ids: &[(U, "1796119800.30"), (L, "1796119800.30")],
            },
            Want {
                key: "1796119800.31",
                caller: Some("302"),
                callee: None,
                start: "10:10:00.08",
                answer: None,
                end: "10:10:03.01",
                talk: 0,
                disposition: Busy,
                ids: &[(U, "1796119800.31"), (L, "1796119800.30")],
            },
            Want {
                key: "1796120400.40",
                caller: Some("84953332211"),
                callee: Some("303"),
                start: "10:20:00",
                answer: None,
                end: "10:20:25.03",
                talk: 0,
                disposition: NoAnswer,
                ids: &[(U, "1796120400.40"), (L, "1796120400.40")],
            },
            Want {
                key: "1796120400.41",
                caller: Some("84953332211"),
                callee: None,
                start: "10:20:00.10",
                answer: None,
                end: "10:20:25.01",
                talk: 0,
                disposition: NoAnswer,
                ids: &[(U, "1796120400.41"), (L, "1796120400.40")],
            },
        ],
    );
    assert_eq!(
        errors(&parsed),
        [
            (9, r#"eventtime: cannot read time "sometime""#.to_string()),
            (22, "cel event without a uniqueid".to_string()),
            (28, "4 fields where the mapping has 19".to_string()),
            (
                34,
                "channel 1796121000.50 has no HANGUP or CHAN_END (still up, or the file was cut)"
                    .to_string()
            ),
        ]
    );
    let calls = cdr::group_calls(parsed.legs);
    let keys: Vec<&str> = calls.iter().map(|c| c.call_key.as_str()).collect();
    assert_eq!(keys, ["1796119200.20", "1796119800.30", "1796120400.40"]);
    assert!(calls.iter().all(|c| c.legs.len() == 2));
}

/// Every FreeSWITCH fixture file, by name, each read on its own.
fn freeswitch_files() -> Vec<(String, Parsed)> {
    let mut names: Vec<String> = std::fs::read_dir(fixture("freeswitch"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), cdr::freeswitch::parse(&read(&format!("freeswitch/{n}")))))
        .collect()
}

const A1: &str = "3f6c2a90-8f5e-4d6e-9a41-0b1c2d3e4f01";
const B1: &str = "3f6c2a90-8f5e-4d6e-9a41-0b1c2d3e4f02";
const A2: &str = "9b2e51c4-0d7a-4c3b-8e6f-1a2b3c4d5a01";
const B2: &str = "9b2e51c4-0d7a-4c3b-8e6f-1a2b3c4d5a02";
const C2: &str = "9b2e51c4-0d7a-4c3b-8e6f-1a2b3c4d5a03";

#[test]
fn freeswitch_json_cdrs() {
    use Disposition::*;
    let mut legs = Vec::new();
    let mut errs = Vec::new();
    for (name, parsed) in freeswitch_files() {
        legs.extend(parsed.legs);
        errs.extend(parsed.errors.into_iter().map(|e| (name.clone(), e.line, e.reason)));
    }
    legs.sort_by_key(|a| a.started_at);
    check(
        CdrFormat::FreeswitchJson,
        &legs,
        &[
            Want {
                key: A1,
                caller: Some("+74957001122"),
                callee: Some("401"),
                start: "11:00:00.12",
                answer: Some("11:00:05.2"),
                end: "11:04:05.3",
                talk: 240,
                disposition: Answered,
                ids: &[
                    ("freeswitch_uuid", A1),
                    ("freeswitch_bridge_uuid", B1),
                    ("sip_call_id", "8d3ab1e2-4c5f-11ef-9b1d-525400123456@198.51.100.10"),
                ],
            },
            Want {
                key: B1,
                caller: Some("+74957001122"),
                callee: Some("401"),
                start: "11:00:00.3",
                answer: Some("11:00:05.1"),
                end: "11:04:05.25",
                talk: 240,
                disposition: Answered,
                ids: &[
                    ("freeswitch_uuid", B1),
                    ("freeswitch_bridge_uuid", A1),
                    ("sip_call_id", "7e1d90aa-b2b2-4f02@10.0.0.5"),
                ],
            },
            Want {
                key: A2,
                caller: Some("+74957003344"),
                callee: Some("400"),
                start: "11:10:00",
                answer: Some("11:10:02"),
                end: "11:15:00",
                talk: 298,
                disposition: Answered,
                ids: &[
                    ("freeswitch_uuid", A2),
                    ("freeswitch_bridge_uuid", C2),
                    ("sip_call_id", "5c0ffee1-77aa-4b3c-9d2e-3f4a5b6c7d8e@198.51.100.10"),
                ],
            },
            Want {
                key: B2,
                caller: Some("+74957003344"),
                callee: Some("402"),
                start: "11:10:10",
                answer: Some("11:10:14"),
                end: "11:11:30",
                talk: 76,
                disposition: Answered,
                ids: &[
                    ("freeswitch_uuid", B2),
                    ("freeswitch_bridge_uuid", A2),
                    ("sip_call_id", "b2b-5a02@10.0.0.5"),
                ],
            },
            Want {
                key: C2,
                caller: Some("+74957003344"),
                callee: Some("403"),
                start: "11:11:30",
                answer: Some("11:11:36"),
                end: "11:15:00",
                talk: 204,
                disposition: Answered,
                ids: &[
                    ("freeswitch_uuid", C2),
                    ("freeswitch_bridge_uuid", A2),
                    ("sip_call_id", "b2b-5a03@10.0.0.5"),
                ],
            },
            Want {
                key: "e4d3c2b1-a0f9-4e8d-7c6b-5a4938271601",
                caller: Some("+74957005566"),
                callee: Some("404"),
                start: "11:20:00",
                answer: None,
                end: "11:20:30",
                talk: 0,
                disposition: NoAnswer,
                ids: &[
                    ("freeswitch_uuid", "e4d3c2b1-a0f9-4e8d-7c6b-5a4938271601"),
                    ("sip_call_id", "0a1b2c3d-6b01@198.51.100.10"),
                ],
            },
            Want {
                key: "7c01aa55-3e2f-4d1c-b0a9-887766554401",
                caller: Some("405"),
                callee: Some("89169990011"),
                start: "11:25:00",
                answer: None,
                end: "11:25:04",
                talk: 0,
                disposition: Busy,
                ids: &[
                    ("freeswitch_uuid", "7c01aa55-3e2f-4d1c-b0a9-887766554401"),
                    ("sip_call_id", "7c01-busy@10.0.0.25"),
                ],
            },
            Want {
                key: "8d02bb66-4f30-4e2d-c1ba-998877665502",
                caller: Some("406"),
                callee: Some("84990001122"),
                start: "11:27:00",
                answer: None,
                end: "11:27:01",
                talk: 0,
                disposition: Failed,
                ids: &[
                    ("freeswitch_uuid", "8d02bb66-4f30-4e2d-c1ba-998877665502"),
                    ("sip_call_id", "8d02-fail@10.0.0.26"),
                ],
            },
        ],
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!((errs[0].0.as_str(), errs[0].1), ("broken.cdr.json", 1));
    assert!(errs[0].2.starts_with("not a json document: "), "{}", errs[0].2);
    assert_eq!(
        (errs[1].0.as_str(), errs[1].1, errs[1].2.as_str()),
        ("not-a-cdr.json", 1, "no \"variables\" object: not a mod_json_cdr document")
    );
}

#[test]
fn freeswitch_documents_concatenated_read_like_files() {
    // A directory read file by file and joined: the truncated document
    // costs only itself.
    let files = freeswitch_files();
    let mut joined = Vec::new();
    for (name, _) in &files {
        joined.extend(read(&format!("freeswitch/{name}")));
    }
    let parsed = cdr::freeswitch::parse(&joined);
    let mut one_by_one: Vec<CdrLeg> = files.into_iter().flat_map(|(_, p)| p.legs).collect();
    let mut together = parsed.legs.clone();
    one_by_one.sort_by(|a, b| a.leg_key.cmp(&b.leg_key));
    together.sort_by(|a, b| a.leg_key.cmp(&b.leg_key));
    assert_eq!(together, one_by_one);
    assert_eq!(parsed.errors.len(), 2, "{:?}", parsed.errors);
    // And as one JSON array.
    let docs: Vec<serde_json::Value> = [A1, B1]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let name = if i == 0 {
                format!("freeswitch/a_{u}.cdr.json")
            } else {
                format!("freeswitch/{u}.cdr.json")
            };
            serde_json::from_slice(&read(&name)).unwrap()
        })
        .collect();
    let array = serde_json::to_vec(&docs).unwrap();
    let parsed = cdr::freeswitch::parse(&array);
    assert_eq!(parsed.legs.iter().map(|l| l.leg_key.as_str()).collect::<Vec<_>>(), [A1, B1]);
}

#[test]
fn freeswitch_transfer_is_one_call_of_three_legs() {
    let legs: Vec<CdrLeg> = freeswitch_files().into_iter().flat_map(|(_, p)| p.legs).collect();
    let calls = cdr::group_calls(legs);
    let shape: Vec<(&str, usize)> =
        calls.iter().map(|c| (c.call_key.as_str(), c.legs.len())).collect();
    assert_eq!(
        shape,
        [
            (A1, 2),
            (A2, 3),
            ("e4d3c2b1-a0f9-4e8d-7c6b-5a4938271601", 1),
            ("7c01aa55-3e2f-4d1c-b0a9-887766554401", 1),
            ("8d02bb66-4f30-4e2d-c1ba-998877665502", 1),
        ]
    );
    let transfer: &CdrCall = &calls[1];
    assert_eq!(transfer.answered_at(), Some(at("11:10:02")));
    assert_eq!(transfer.ended_at(), at("11:15:00"));
    assert_eq!(transfer.disposition(), Disposition::Answered);
}

fn generic_mapping() -> GenericMapping {
    serde_json::from_slice(&read("generic/mapping.json")).expect("mapping.json is a GenericMapping")
}

#[test]
fn generic_csv_through_its_mapping() {
    use Disposition::*;
    let parsed = cdr::generic::parse(&read("generic/calls.csv"), moscow(), &generic_mapping());
    check(
        CdrFormat::Generic,
        &parsed.legs,
        &[
            Want {
                key: "cx-1001",
                caller: Some("+7 495 800-11-22"),
                callee: Some("501"),
                start: "12:00:00",
                answer: Some("12:00:06"),
                end: "12:05:06",
                talk: 300,
                disposition: Answered,
                ids: &[
                    ("external", "cx-1001"),
                    ("sip_call_id", "g1-3a7f9c@carrier.example.net"),
                    ("siprec_group", "grp-1001"),
                ],
            },
            Want {
                key: "cx-1002",
                caller: Some("502"),
                callee: Some("+7 916 123-00-00"),
                start: "12:10:00",
                answer: Some("12:10:09"),
                end: "12:10:11",
                talk: 2,
                disposition: Answered,
                ids: &[("external", "cx-1002"), ("sip_call_id", "g2-41bd07@carrier.example.net")],
            },
            Want {
                key: "cx-1003",
                caller: Some("+7 495 800-33-44"),
                callee: Some("503"),
                start: "12:20:00",
                answer: None,
                end: "12:20:40",
                talk: 0,
                disposition: NoAnswer,
                ids: &[("external", "cx-1003"), ("sip_call_id", "g3-77e0aa@carrier.example.net")],
            },
            Want {
                key: "cx-1004",
                caller: Some("504"),
                callee: Some("+7 903 555-00-00"),
                start: "12:25:00",
                answer: None,
                end: "12:25:02",
                talk: 0,
                disposition: Busy,
                ids: &[("external", "cx-1004")],
            },
            Want {
                key: "cx-1005",
                caller: Some("505"),
                callee: Some("+7 499 000-00-00"),
                start: "12:27:00",
                answer: None,
                end: "12:27:00",
                talk: 0,
                disposition: Failed,
                ids: &[("external", "cx-1005")],
            },
            Want {
                key: "cx-1008",
                caller: Some("+7 (495) 800-99-00"),
                callee: Some("506"),
                start: "12:40:00",
                answer: Some("12:40:10"),
                end: "12:45:00",
                talk: 290,
                disposition: Answered,
                ids: &[("external", "cx-1008"), ("siprec_group", "grp-1008")],
            },
        ],
    );
    let errs = errors(&parsed);
    assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), [7, 8, 9]);
    assert!(
        errs[0].1.starts_with(r#"start: cannot read RFC 3339 time "01/12/2026 15:30""#),
        "{}",
        errs[0].1
    );
    assert_eq!(errs[1].1, r#"unknown disposition "maybe""#);
    assert_eq!(errs[2].1, "3 fields where the header has 10");
}

#[test]
fn generic_csv_with_a_mapping_naming_a_missing_column_fails_as_a_whole() {
    let mapping = GenericMapping { start: Some("Begin".into()), ..generic_mapping() };
    let parsed = cdr::generic::parse(&read("generic/calls.csv"), moscow(), &mapping);
    assert!(parsed.legs.is_empty());
    assert_eq!(
        errors(&parsed),
        [(1, r#"header: no column "Begin" (mapped as start)"#.to_string())]
    );
}

#[test]
fn generic_csv_by_usual_names_and_local_times() {
    // No mapping at all: the usual header names, local times, epoch zero
    // for "never answered".
    let input = b"id,src,dst,start,answer,end,billsec,disposition\n\
                  r1,84951234567,101,2026-12-01 10:00:00,2026-12-01 10:00:05,2026-12-01 10:03:05,180,ANSWERED\n\
                  r2,84951234567,102,1796108400,0,1796108410,0,NO ANSWER\n";
    let parsed = cdr::generic::parse(input, moscow(), &GenericMapping::default());
    assert_eq!(parsed.errors, []);
    assert_eq!(parsed.legs[0].started_at, at("07:00:00"));
    assert_eq!(parsed.legs[0].talk_secs, 180);
    assert_eq!(parsed.legs[1].started_at, at("07:00:00"));
    assert_eq!(parsed.legs[1].answered_at, None);
    assert_eq!(parsed.legs[1].disposition, Disposition::NoAnswer);
    let pattern: GenericMapping = serde_json::from_str(
        r#"{"time_format": {"pattern": "%d.%m.%Y %H:%M:%S"}, "delimiter": ";"}"#,
    )
    .unwrap();
    let input = "id;from;to;start;end\nx;1;2;01.12.2026 10:00:00;01.12.2026 10:01:00\n";
    let parsed = cdr::generic::parse(input.as_bytes(), moscow(), &pattern);
    assert_eq!(parsed.errors, []);
    assert_eq!(
        (parsed.legs[0].started_at, parsed.legs[0].ended_at),
        (at("07:00:00"), at("07:01:00"))
    );
    assert_eq!(parsed.legs[0].disposition, Disposition::NoAnswer);
}

/// Every fixture through the format dispatcher, with the options its README
/// section gives.
fn all_fixtures() -> Vec<(CdrFormat, Vec<u8>, ParseOptions)> {
    let base = ParseOptions { tz: moscow(), ..ParseOptions::default() };
    let mut out = vec![
        (CdrFormat::AsteriskCsv, read("asterisk-csv/Master.csv"), base.clone()),
        (
            CdrFormat::AsteriskCustom,
            read("asterisk-custom/Master.csv"),
            ParseOptions { custom_fields: Some(custom_fields()), ..base.clone() },
        ),
        (CdrFormat::AsteriskCustom, read("asterisk-cel/Master.csv"), base.clone()),
        (
            CdrFormat::Generic,
            read("generic/calls.csv"),
            ParseOptions { generic: generic_mapping(), ..base.clone() },
        ),
    ];
    for (name, _) in freeswitch_files() {
        out.push((CdrFormat::FreeswitchJson, read(&format!("freeswitch/{name}")), base.clone()));
    }
    out
}

#[test]
fn the_same_input_twice_gives_the_same_legs() {
    for (format, input, opts) in all_fixtures() {
        let first = cdr::parse(format, &input, &opts);
        let second = cdr::parse(format, &input, &opts);
        assert_eq!(first, second, "{format:?}");
        // Keys are unique within an input: an import's idempotency key.
        let mut keys: Vec<&str> = first.legs.iter().map(|l| l.leg_key.as_str()).collect();
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count, "{format:?}: duplicate leg keys");
    }
}

#[test]
fn formats_are_detected() {
    assert_eq!(cdr::detect(&read("asterisk-csv/Master.csv")), Some(CdrFormat::AsteriskCsv));
    assert_eq!(cdr::detect(&read("asterisk-cel/Master.csv")), Some(CdrFormat::AsteriskCustom));
    assert_eq!(cdr::detect(&read("generic/calls.csv")), Some(CdrFormat::Generic));
    for (name, _) in freeswitch_files() {
        let want = if name.starts_with("broken") || name.starts_with("not-a-cdr") {
            // A truncated document still opens like a CDR; a heartbeat does not.
            if name.starts_with("broken") { Some(CdrFormat::FreeswitchJson) } else { None }
        } else {
            Some(CdrFormat::FreeswitchJson)
        };
        assert_eq!(cdr::detect(&read(&format!("freeswitch/{name}"))), want, "{name}");
    }
    // A headerless cdr_custom file needs its mapping: not guessed.
    assert_eq!(cdr::detect(&read("asterisk-custom/Master.csv")), None);
    assert_eq!(cdr::detect(b""), None);
    assert_eq!(cdr::detect(b"   \n"), None);
    assert_eq!(cdr::detect(b"\xEF\xBB\xBFid,caller,start\n"), Some(CdrFormat::Generic));
    assert_eq!(cdr::detect(b"hello world"), None);
}

#[test]
fn fixtures_match_conversations_by_id_numbers_and_time() {
    // The FreeSWITCH transfer recorded once under its A leg's Call-ID, the
    // first call recorded under its A leg's uuid, and the generic short
    // call recorded by passive capture with numbers only.
    let mut legs: Vec<CdrLeg> = freeswitch_files().into_iter().flat_map(|(_, p)| p.legs).collect();
    legs.extend(cdr::generic::parse(&read("generic/calls.csv"), moscow(), &generic_mapping()).legs);
    let calls = cdr::group_calls(legs);
    let conv = |n: u128| ConversationId(uuid::Uuid::from_u128(n));
    let candidates = [
        ConversationCandidate {
            conversation_id: conv(1),
            external_ids: vec![ExternalId::new(
                "sip_call_id",
                "5c0ffee1-77aa-4b3c-9d2e-3f4a5b6c7d8e@198.51.100.10",
            )],
            number_tails: ConversationCandidate::tails(["+74957003344", "400"]),
            started_at: at("11:10:02"),
            ended_at: Some(at("11:15:00")),
        },
        ConversationCandidate {
            conversation_id: conv(2),
            external_ids: vec![ExternalId::new("freeswitch_uuid", A1)],
            number_tails: vec![],
            started_at: at("11:00:05"),
            ended_at: Some(at("11:04:05")),
        },
        ConversationCandidate {
            conversation_id: conv(3),
            external_ids: vec![],
            number_tails: ConversationCandidate::tails(["502", "89161230000"]),
            started_at: at("12:10:10"),
            ended_at: Some(at("12:10:11")),
        },
    ];
    let matches = cdr::match_calls(&calls, &candidates, &MatchConfig::default());
    let got: Vec<(&str, u128, &MatchedBy)> = matches
        .iter()
        .map(|m| (m.leg_key.as_str(), m.conversation_id.0.as_u128(), &m.by))
        .collect();
    let id = |k: &str| MatchedBy::ExternalId { kind: k.into() };
    assert_eq!(
        got,
        [
            (A1, 2, &id("freeswitch_uuid")),
            (B1, 2, &id("freeswitch_bridge_uuid")),
            (A2, 1, &id("sip_call_id")),
            // The first agent's leg has no id the recording knows, but the
            // caller's number and a start 8 s after the conversation's; the
            // second agent's leg starts 88 s after it: unmatched.
            (B2, 1, &MatchedBy::NumbersAndTime { shared_numbers: 1, offset_ms: -8000 }),
            ("cx-1002", 3, &MatchedBy::NumbersAndTime { shared_numbers: 2, offset_ms: 1000 }),
        ]
    );
}
