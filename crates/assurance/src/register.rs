//! CDR legs into the call register.

use std::str::FromStr;
use std::time::Duration;

use callvault_store::{CallRef, NewCall};

use crate::cdr::{CdrFormat, CdrLeg, Disposition};

/// What `callvault cdr import --format` and `POST /v1/cdrs?format=` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A JSON array of [`CdrLeg`]s: callvault's own shape, for scripts and
    /// for PBXs whose CDRs were converted beforehand.
    CvJson,
    /// A PBX's own output.
    Pbx(CdrFormat),
}

impl ImportFormat {
    pub const NAMES: &[&str] =
        &["cv_json", "asterisk_csv", "asterisk_custom", "freeswitch_json", "generic"];
}

impl FromStr for ImportFormat {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "cv_json" => Self::CvJson,
            "asterisk_csv" => Self::Pbx(CdrFormat::AsteriskCsv),
            "asterisk_custom" => Self::Pbx(CdrFormat::AsteriskCustom),
            "freeswitch_json" => Self::Pbx(CdrFormat::FreeswitchJson),
            "generic" => Self::Pbx(CdrFormat::Generic),
            other => {
                return Err(ImportError::Format(format!(
                    "unknown format {other:?}; expected one of {}",
                    Self::NAMES.join(", ")
                )));
            }
        })
    }
}

/// Why CDRs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Format(String),
    #[error("cannot read the CDRs: {0}")]
    Parse(String),
}

/// Read CDR legs in `format`: callvault's own JSON as it is, a PBX's output
/// through its parser in [`crate::cdr`] (the one place that calls them).
/// A PBX file's bad rows do not refuse the file: they come back as
/// [`RowError`](crate::cdr::RowError)s beside the legs that were read, so
/// one malformed line never loses the others.
pub fn parse_cdrs(
    format: ImportFormat,
    bytes: &[u8],
    opts: &crate::cdr::ParseOptions,
) -> Result<crate::cdr::Parsed, ImportError> {
    match format {
        ImportFormat::CvJson => serde_json::from_slice::<Vec<CdrLeg>>(bytes)
            .map(|legs| crate::cdr::Parsed { legs, errors: Vec::new() })
            .map_err(|e| ImportError::Parse(e.to_string())),
        ImportFormat::Pbx(f) => {
            let parsed = crate::cdr::parse(f, bytes, opts);
            if parsed.legs.is_empty() && !parsed.errors.is_empty() {
                let first: Vec<String> =
                    parsed.errors.iter().take(5).map(ToString::to_string).collect();
                return Err(ImportError::Parse(format!(
                    "no {} leg could be read: {}",
                    source_name(f),
                    first.join("; ")
                )));
            }
            Ok(parsed)
        }
    }
}

/// The format's name in a call's source (`cdr:<name>`).
pub fn source_name(format: CdrFormat) -> &'static str {
    match format {
        CdrFormat::AsteriskCsv => "asterisk_csv",
        CdrFormat::AsteriskCustom => "asterisk_custom",
        CdrFormat::FreeswitchJson => "freeswitch_json",
        CdrFormat::Generic => "generic",
    }
}

/// A leg as a call to register, first checked `settle` after it ended.
pub fn new_call(leg: &CdrLeg, settle: Duration) -> NewCall {
    let answered = leg.disposition == Disposition::Answered;
    let answered_at = if answered {
        Some(leg.answered_at.unwrap_or_else(|| {
            let talk = chrono::Duration::seconds(i64::try_from(leg.talk_secs).unwrap_or(0));
            (leg.ended_at - talk).max(leg.started_at)
        }))
    } else {
        None
    };
    let settle = chrono::Duration::from_std(settle).unwrap_or(chrono::Duration::zero());
    NewCall {
        source: format!("cdr:{}", source_name(leg.format)),
        leg_key: leg.leg_key.clone(),
        ids: leg
            .ids
            .iter()
            .map(|i| CallRef { kind: i.kind.clone(), value: i.value.clone() })
            .collect(),
        caller: leg.caller.clone(),
        callee: leg.callee.clone(),
        started_at: leg.started_at,
        answered_at,
        ended_at: leg.ended_at,
        talk_secs: leg.talk_secs,
        disposition: match leg.disposition {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
            Disposition::Unknown => "unknown",
        }
        .to_owned(),
        conversation_id: None,
        no_audio_reason: None,
        check_at: answered_at.map(|_| leg.ended_at + settle),
    }
}
