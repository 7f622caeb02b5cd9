//! Arbitrary bytes as FreeSWITCH `mod_json_cdr` documents: never a panic or
//! a hang (a broken document is skipped to the next line that opens one),
//! every leg consistent, the legs grouped into calls.
#![no_main]

use callvault_assurance::cdr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = cdr::freeswitch::parse(data);
    for leg in &parsed.legs {
        assert!(!leg.leg_key.is_empty());
        assert!(leg.started_at <= leg.ended_at);
        if let Some(answer) = leg.answered_at {
            assert!(leg.started_at <= answer && answer <= leg.ended_at);
        }
    }
    let n = parsed.legs.len();
    let calls = cdr::group_calls(parsed.legs);
    assert!(calls.iter().map(|c| c.legs.len()).sum::<usize>() <= n);
    let _ = cdr::detect(data);
});
