//! `[capture]`: live capture's settings inside `callvault serve`,
//! deserialised by the binary's configuration tree and checked once by
//! [`CaptureSection::validate`].

use callvault_model::IpNet;
use serde::{Deserialize, Serialize};

/// `[capture]`: live capture inside `callvault serve`. Off while
/// `interfaces` is empty.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureSection {
    /// Interfaces to capture on (`any` for all); needs CAP_NET_RAW.
    pub interfaces: Vec<String>,
    /// A tcpdump-style filter (`udp port 5060 or udp portrange 10000-20000`).
    pub filter: String,
    /// The tenant (by name) captured calls are stored for.
    pub tenant: String,
    /// Networks of the company side (PBX, phones); everyone else is the
    /// external party.
    pub company_networks: Vec<IpNet>,
    /// Headers whose value links the legs of one call.
    pub correlation_headers: Vec<String>,
    /// An unanswered INVITE is forgotten, and a REFER stops waiting for its
    /// INVITE, after this long.
    pub sip_timeout_secs: u64,
    /// An answered call with neither SIP nor RTP for this long ends (a lost
    /// BYE).
    pub rtp_timeout_secs: u64,
    /// B2BUA legs sharing no correlation header are paired when the PBX's
    /// INVITE follows the caller's within this many seconds (same caller
    /// or dialled number, sent by the address the caller called); 0
    /// disables the pairing.
    pub b2bua_window_secs: u64,
}

impl Default for CaptureSection {
    fn default() -> Self {
        Self {
            interfaces: Vec::new(),
            filter: String::new(),
            tenant: String::new(),
            company_networks: Vec::new(),
            correlation_headers: vec![
                "X-Linkedid".into(),
                "Cisco-Guid".into(),
                "Session-ID".into(),
            ],
            sip_timeout_secs: 180,
            rtp_timeout_secs: 300,
            b2bua_window_secs: 10,
        }
    }
}

impl CaptureSection {
    /// Check what serde cannot: `Err((key under capture., message))`.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let invalid = |key: &'static str, message: String| (key, message);
        if let Err(e) = callvault_capture::CaptureFilter::parse(&self.filter) {
            return Err(invalid("filter", e.to_string()));
        }
        if !self.interfaces.is_empty() && self.tenant.is_empty() {
            return Err(invalid("tenant", "required when capture.interfaces is set".into()));
        }
        if self.sip_timeout_secs == 0 || self.rtp_timeout_secs == 0 {
            return Err(invalid("rtp_timeout_secs", "timeouts must be positive".into()));
        }
        Ok(())
    }
}
