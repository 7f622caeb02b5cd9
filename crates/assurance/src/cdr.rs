//! Call detail records as PBXs write them, read into one shape.
//!
//! The parsers are sans-IO: bytes in, [`CdrLeg`]s out, never a panic on
//! input. One leg is one row of the PBX's own output (an Asterisk channel,
//! a FreeSWITCH call leg, a CSV line); a call that was transferred is
//! several legs sharing an external id (Asterisk `linkedid`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The formats `callvault cdr import` and `POST /v1/cdrs` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CdrFormat {
    /// Asterisk `cdr_csv` `Master.csv` (no header row, fixed columns).
    AsteriskCsv,
    /// Asterisk `cdr_custom` / CEL CSV with a header row naming the fields.
    AsteriskCustom,
    /// FreeSWITCH `mod_json_cdr`: one JSON document per call leg.
    FreeswitchJson,
    /// Any CSV with a header row and a column mapping.
    Generic,
}

/// How a leg ended, as the PBX says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Unknown,
}

/// An identifier a PBX gives a call or a leg, by kind, so that matching can
/// compare it with the conversation's own external ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegId {
    /// `asterisk_linkedid`, `asterisk_uniqueid`, `sip_call_id`,
    /// `freeswitch_uuid`, `freeswitch_bridge_uuid`, `external`.
    pub kind: String,
    pub value: String,
}

/// One leg of a call from a CDR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CdrLeg {
    pub format: CdrFormat,
    /// Unique per PBX within its format (Asterisk uniqueid, FreeSWITCH
    /// uuid, the generic mapping's id column, else a hash of the row): the
    /// idempotency key of an import.
    pub leg_key: String,
    /// Every id the row carries, the leg's own and its call's.
    pub ids: Vec<LegId>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub started_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    /// Talk time in seconds (Asterisk `billsec`, FreeSWITCH `billsec`).
    pub talk_secs: u64,
    pub disposition: Disposition,
}
