//! Arbitrary bytes as an Asterisk `Master.csv`, in every layout: never a
//! panic, every leg consistent, the same bytes read twice the same way.
#![no_main]

use callvault_assurance::cdr::{self, AsteriskCsvLayout, CdrLeg};
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
    // The first byte picks the layout and the offset.
    let Some((&seed, data)) = input.split_first() else { return };
    let layout = match seed % 3 {
        0 => AsteriskCsvLayout::Auto,
        _ => AsteriskCsvLayout::Configured {
            loguniqueid: seed & 4 != 0,
            loguserfield: seed & 8 != 0,
            newcdrcolumns: seed & 16 != 0,
        },
    };
    let tz = FixedOffset::east_opt((i32::from(seed) - 128) * 600).expect("within a day");
    let parsed = cdr::asterisk::parse(data, tz, layout);
    check(&parsed.legs);
    assert_eq!(parsed, cdr::asterisk::parse(data, tz, layout));
    let _ = cdr::detect(data);
    let _ = cdr::group_calls(parsed.legs);
});
