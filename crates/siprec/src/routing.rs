//! Which tenant a recording session belongs to, and which side of the call
//! each participant is on. Pure functions over the configuration and what
//! the INVITE said; no I/O.

use std::net::IpAddr;

use callvault_model::Side;

use crate::config::{SipConfig, SipRoute};

/// What routing looks at in a new session.
pub struct RouteInput<'a> {
    pub source: IpAddr,
    pub headers: &'a [(String, String)],
    /// Participant addresses (AORs, numbers) from metadata or From/To.
    pub addresses: &'a [String],
}

/// The user part of an address: `sip:+7495@host` → `+7495`.
pub fn user_part(address: &str) -> &str {
    let a = address.trim().trim_start_matches('<');
    let a = a.split(['>', ';']).next().unwrap_or(a);
    let a = a
        .strip_prefix("sips:")
        .or_else(|| a.strip_prefix("sip:"))
        .or_else(|| a.strip_prefix("tel:"))
        .unwrap_or(a);
    a.split('@').next().unwrap_or(a)
}

/// The host part of an address, lowercase; `None` for a bare number.
pub fn domain_part(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<');
    let a = a.split(['>', ';']).next().unwrap_or(a);
    let host = a.split_once('@')?.1;
    let host = host.split(':').next().unwrap_or(host);
    Some(host.to_ascii_lowercase())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn route_matches(route: &SipRoute, input: &RouteInput<'_>) -> Option<String> {
    if let Some(net) = &route.source
        && !net.contains(input.source)
    {
        return None;
    }
    let mut from_header = None;
    if let Some(name) = &route.header {
        let value = input.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?.1.trim();
        if let Some(want) = &route.header_value
            && !value.eq_ignore_ascii_case(want.trim())
        {
            return None;
        }
        from_header = Some(value.to_owned());
    }
    if let Some(prefix) = &route.number_prefix {
        let want = digits(prefix);
        let hit = input.addresses.iter().any(|a| {
            let d = digits(user_part(a));
            !want.is_empty() && d.starts_with(&want)
        });
        if !hit {
            return None;
        }
    }
    if let Some(domain) = &route.domain {
        let domain = domain.trim().to_ascii_lowercase();
        let hit = input.addresses.iter().any(|a| {
            domain_part(a).is_some_and(|d| d == domain || d.ends_with(&format!(".{domain}")))
        });
        if !hit {
            return None;
        }
    }
    route.tenant.clone().or(from_header).filter(|t| !t.is_empty())
}

/// The tenant name for a new session: the first route that matches, else
/// the default tenant, else `None` (the session is refused).
pub fn route_tenant(config: &SipConfig, input: &RouteInput<'_>) -> Option<String> {
    config
        .routes
        .iter()
        .find_map(|r| route_matches(r, input))
        .or_else(|| config.default_tenant.clone())
}

/// The side of a participant by its address: the company's when its domain
/// or number prefix is configured as the company's or it is an extension
/// (a short number); `None` when nothing says.
pub fn side_of(config: &SipConfig, address: &str) -> Option<Side> {
    if let Some(d) = domain_part(address)
        && config.company_domains.iter().any(|c| {
            let c = c.trim().to_ascii_lowercase();
            d == c || d.ends_with(&format!(".{c}"))
        })
    {
        return Some(Side::Company);
    }
    let user = user_part(address);
    let d = digits(user);
    if d.is_empty() {
        return None;
    }
    if config.company_prefixes.iter().any(|p| {
        let p = digits(p);
        !p.is_empty() && d.starts_with(&p)
    }) {
        return Some(Side::Company);
    }
    // Numbers written with letters besides digits are names, not numbers.
    let is_number = user.chars().all(|c| c.is_ascii_digit() || "+-() .".contains(c));
    if is_number && d.len() <= config.extension_max_digits {
        return Some(Side::Company);
    }
    if is_number { Some(Side::External) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn first_matching_route_wins_then_default() {
        let config = SipConfig {
            routes: vec![
                SipRoute {
                    tenant: Some("by-source".into()),
                    source: "192.0.2.0/24".parse().ok(),
                    ..Default::default()
                },
                SipRoute { header: Some("X-Tenant".into()), ..Default::default() },
                SipRoute {
                    tenant: Some("by-number".into()),
                    number_prefix: Some("+7 495".into()),
                    ..Default::default()
                },
                SipRoute {
                    tenant: Some("by-domain".into()),
                    domain: Some("acme.example".into()),
                    ..Default::default()
                },
            ],
            default_tenant: Some("fallback".into()),
            ..Default::default()
        };
        let route = |src: &str, h: &[(&str, &str)], a: &[&str]| {
            let addresses: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            let h = headers(h);
            route_tenant(
                &config,
                &RouteInput { source: src.parse().unwrap(), headers: &h, addresses: &addresses },
            )
        };
        assert_eq!(route("192.0.2.7", &[], &[]).as_deref(), Some("by-source"));
        assert_eq!(route("198.51.100.1", &[("x-tenant", " beta ")], &[]).as_deref(), Some("beta"));
        assert_eq!(
            route("198.51.100.1", &[], &["sip:+74951234567@sbc"]).as_deref(),
            Some("by-number")
        );
        assert_eq!(
            route("198.51.100.1", &[], &["sip:101@pbx.acme.example"]).as_deref(),
            Some("by-domain")
        );
        assert_eq!(route("198.51.100.1", &[], &["sip:101@other"]).as_deref(), Some("fallback"));
        let strict = SipConfig { default_tenant: None, ..config.clone() };
        assert_eq!(
            route_tenant(
                &strict,
                &RouteInput {
                    source: "198.51.100.1".parse().unwrap(),
                    headers: &[],
                    addresses: &[]
                }
            ),
            None
        );
    }

    #[test]
    fn header_value_condition() {
        let config = SipConfig {
            routes: vec![SipRoute {
                tenant: Some("gold".into()),
                header: Some("X-Customer".into()),
                header_value: Some("GOLD".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let h = headers(&[("X-Customer", "gold")]);
        let input =
            RouteInput { source: "192.0.2.1".parse().unwrap(), headers: &h, addresses: &[] };
        assert_eq!(route_tenant(&config, &input).as_deref(), Some("gold"));
        let h = headers(&[("X-Customer", "silver")]);
        let input =
            RouteInput { source: "192.0.2.1".parse().unwrap(), headers: &h, addresses: &[] };
        assert_eq!(route_tenant(&config, &input), None);
    }

    #[test]
    fn sides() {
        let config = SipConfig {
            company_domains: vec!["acme.example".into()],
            company_prefixes: vec!["+7495111".into()],
            ..Default::default()
        };
        assert_eq!(side_of(&config, "sip:alice@pbx.acme.example"), Some(Side::Company));
        assert_eq!(side_of(&config, "<sip:+74951112233@sbc>"), Some(Side::Company));
        assert_eq!(side_of(&config, "sip:101@10.0.0.1"), Some(Side::Company));
        assert_eq!(side_of(&config, "tel:+14155550100"), Some(Side::External));
        assert_eq!(side_of(&config, "sip:bob@example.org"), None);
        assert_eq!(user_part("<sips:+1 (415) 555@h;user=phone>"), "+1 (415) 555");
        assert_eq!(
            domain_part("sip:a@Host.Example:5061;transport=tls").as_deref(),
            Some("host.example")
        );
    }
}
