//! Arbitrary bytes as an Asterisk `cdr_custom` / CEL file, with its header
//! row or with a field list taken from the first line: never a panic, every
//! leg consistent, the same bytes read twice the same way.
#![no_main]

use callvault_assurance::cdr::{self, CdrLeg};
use chrono::FixedOffset;
use libfuzzer_sys::fuzz_target;

fn check(legs: &[CdrLeg]) {
    for leg in legs {
        assert!(!leg.leg_key.is_empty());
        assert!(leg.started_at <= leg.ended_at);
        if let Some(answer) = leg.answered_at {
            assert!(leg.started_at <= answer && answer <= leg.ended_at);
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&seed, data)) = input.split_first() else { return };
    let tz = FixedOffset::east_opt(3 * 3600).expect("valid offset");
    let (fields, body) = if seed & 1 == 1 {
        // The first line is a cdr_custom.conf mapping, the rest the file.
        let at = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
        let mapping = String::from_utf8_lossy(&data[..at]);
        (Some(cdr::parse_field_list(&mapping)), data.get(at + 1..).unwrap_or_default())
    } else {
        (None, data)
    };
    let parsed = cdr::custom::parse(body, tz, fields.as_deref());
    check(&parsed.legs);
    assert_eq!(parsed, cdr::custom::parse(body, tz, fields.as_deref()));
    let _ = cdr::detect(body);
});
