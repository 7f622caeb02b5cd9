//! `[sip]`: the SIPREC recording server's settings, deserialised by the
//! binary's configuration tree and checked once by [`SipConfig::validate`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use callvault_model::IpNet;
use serde::{Deserialize, Serialize};

/// The SIPREC Session Recording Server inside `callvault serve`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// Listen for SIP at all.
    pub enabled: bool,
    /// UDP and TCP address for SIP.
    pub listen: SocketAddr,
    /// Address written in Contact and in SDP answers (where SRCs send RTP).
    /// Default: the listen address, or when that is unspecified the
    /// address this host uses towards its default route.
    pub advertise: Option<IpAddr>,
    /// SIP over TLS (rustls) on this address when set, with `tls_cert` and
    /// `tls_key` (PEM files).
    pub tls_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Local RTP ports, `LOW-HIGH`; each recorded stream takes one even port.
    pub rtp_ports: String,
    /// Recording sessions at once; beyond, new INVITEs get 503 + Retry-After.
    pub max_sessions: usize,
    /// `Retry-After` of those 503s, seconds.
    pub retry_after_secs: u32,
    /// Session interval (RFC 4028) offered or lowered to, seconds.
    pub session_expires: u32,
    /// Smallest session interval accepted (below it, 422), seconds.
    pub min_se: u32,
    /// A session with every stream active and no RTP for this long is
    /// finalized and the SRS sends BYE. Streams on hold do not count.
    pub rtp_timeout_secs: u64,
    /// A session whose every stream is on hold (`inactive`) ends (BYE,
    /// flag `ended_hold_timeout`) after this long without SIP from the SRC
    /// and without RTP. 0: never.
    pub hold_timeout_secs: u64,
    /// No recording session lasts longer than this (BYE, flag
    /// `ended_max_duration`). 0: no bound.
    pub max_session_secs: u64,
    /// Where the SRC negotiated no session timer, an in-dialog OPTIONS is
    /// sent after this long without a request from it; 408, 481 or no
    /// answer end the session (flag `ended_src_unreachable`). 0: no pings.
    pub options_ping_secs: u64,
    /// Silence of at least this many seconds where no RTP arrived on any
    /// stream of a session, in its middle or before its BYE, is marked on
    /// the timeline as a `media_gap` event (flag `media_gap`); shorter
    /// pauses are not gaps. 1..=3600.
    pub media_gap_min_secs: u64,
    /// Take RTP only from the SRC's signalling address and the `c=`
    /// addresses of its SDP; packets from anywhere else are dropped and
    /// counted (`callvault_sip_rtp_foreign_packets_total`). Turn off for an
    /// SRC whose media leaves from an address it does not announce.
    pub rtp_source_filter: bool,
    /// Record INVITEs that are neither SIPREC nor Cisco NBR (first audio line).
    pub accept_plain_invites: bool,
    /// Tenant of sessions no route matches. Unset: they are refused (403).
    pub default_tenant: Option<String>,
    /// Routes to tenants, first match wins.
    pub routes: Vec<SipRoute>,
    /// Participants whose address is in one of these domains are the
    /// company's side (left channel is the external party, right the company).
    pub company_domains: Vec<String>,
    /// Participants whose number starts with one of these are the company's.
    pub company_prefixes: Vec<String>,
    /// Numbers with at most this many digits are extensions: the company's.
    pub extension_max_digits: usize,
}

/// One tenant route: every condition given must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SipRoute {
    /// Tenant name. May be omitted with `header`: the header's value then
    /// names the tenant.
    pub tenant: Option<String>,
    /// The SRC's signalling address is in this network (`10.1.0.0/16`).
    pub source: Option<IpNet>,
    /// The INVITE carries this header (case-insensitive name) ...
    pub header: Option<String>,
    /// ... with this value (case-insensitive), when given.
    pub header_value: Option<String>,
    /// A participant's number starts with this (`+7495`, digits compared).
    pub number_prefix: Option<String>,
    /// A participant's address is in this domain (`pbx.acme.example`).
    pub domain: Option<String>,
}

impl Default for SipConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 5060)),
            advertise: None,
            tls_listen: None,
            tls_cert: None,
            tls_key: None,
            rtp_ports: "20000-39999".into(),
            max_sessions: 4000,
            retry_after_secs: 10,
            session_expires: 1800,
            min_se: 90,
            rtp_timeout_secs: 60,
            hold_timeout_secs: 3600,
            max_session_secs: 6 * 3600,
            options_ping_secs: 60,
            media_gap_min_secs: 2,
            rtp_source_filter: true,
            accept_plain_invites: true,
            default_tenant: None,
            routes: Vec::new(),
            company_domains: Vec::new(),
            company_prefixes: Vec::new(),
            extension_max_digits: 5,
        }
    }
}

impl SipConfig {
    /// The RTP port range, validated.
    pub fn rtp_port_range(&self) -> Result<(u16, u16), String> {
        let (lo, hi) = self.rtp_ports.split_once('-').ok_or("expected LOW-HIGH")?;
        let lo: u16 = lo.trim().parse().map_err(|_| "LOW is not a port")?;
        let hi: u16 = hi.trim().parse().map_err(|_| "HIGH is not a port")?;
        if lo < 1024 || lo >= hi {
            return Err("expected 1024 <= LOW < HIGH".into());
        }
        Ok((lo, hi))
    }
}

impl SipConfig {
    /// [`SipConfig::media_gap_min_secs`] as a span.
    pub fn media_gap_min(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.media_gap_min_secs)
    }

    /// Check what serde cannot: `Err((key under sip., message))`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |key: &str, message: &str| Err((key.to_owned(), message.to_owned()));
        if !self.enabled {
            return Ok(());
        }
        if let Err(m) = self.rtp_port_range() {
            return invalid("rtp_ports", &m);
        }
        if self.max_session_secs != 0 && self.max_session_secs < self.hold_timeout_secs {
            return invalid("max_session_secs", "must be at least sip.hold_timeout_secs (or 0)");
        }
        if !(1..=3600).contains(&self.media_gap_min_secs) {
            return invalid("media_gap_min_secs", "must be 1..=3600 seconds");
        }
        if self.max_sessions == 0 {
            return invalid("max_sessions", "must be positive");
        }
        if self.tls_listen.is_some() && (self.tls_cert.is_none() || self.tls_key.is_none()) {
            return invalid("tls_listen", "needs sip.tls_cert and sip.tls_key");
        }
        for (i, r) in self.routes.iter().enumerate() {
            if r.tenant.is_none() && r.header.is_none() {
                return invalid(&format!("routes[{i}]"), "needs a tenant (or a header naming it)");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_bounds_are_on_by_default_and_checked() {
        let c = SipConfig::default();
        assert_eq!(
            (c.hold_timeout_secs, c.max_session_secs, c.options_ping_secs),
            (3600, 21600, 60)
        );
        assert!(c.validate().is_ok());
        let short = SipConfig { max_session_secs: 600, ..SipConfig::default() };
        assert_eq!(short.validate().unwrap_err().0, "max_session_secs");
        let unbounded = SipConfig { max_session_secs: 0, ..SipConfig::default() };
        assert!(unbounded.validate().is_ok());
    }

    #[test]
    fn media_gap_minimum_is_a_checked_setting() {
        let c = SipConfig::default();
        assert_eq!(c.media_gap_min(), std::time::Duration::from_secs(2));
        for bad in [0, 3601] {
            let c = SipConfig { media_gap_min_secs: bad, ..SipConfig::default() };
            assert_eq!(c.validate().unwrap_err().0, "media_gap_min_secs", "{bad}");
        }
        let c = SipConfig { media_gap_min_secs: 5, ..SipConfig::default() };
        assert!(c.validate().is_ok());
        let parsed: SipConfig = serde_json::from_str(r#"{"media_gap_min_secs": 7}"#).unwrap();
        assert_eq!(parsed.media_gap_min_secs, 7);
    }
}
