//! [`IpNet`]: an IP network in CIDR notation, the one type for "the company's
//! networks", "the SRC's source network" and capture filters' `net`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IP network: `10.0.0.0/8`, `2001:db8::/32`, or one address (a full
/// prefix). IPv4-mapped IPv6 addresses belong to the IPv4 networks that
/// hold them. Serialised as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Text that is not `ADDR[/PREFIX]` with a prefix the address family allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a network like 10.0.0.0/8 or 2001:db8::/32")]
pub struct IpNetError(pub String);

impl IpNet {
    /// Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address.
    pub fn parse(s: &str) -> Option<IpNet> {
        let text = s.trim();
        let (a, p) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p.parse().ok()?,
        };
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> (u128, u8) {
            match ip {
                IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
                IpAddr::V6(a) => match a.to_ipv4_mapped() {
                    Some(v4) => (u128::from(u32::from(v4)), 32),
                    None => (u128::from(a), 128),
                },
            }
        }
        let (net, nlen) = bits(self.addr);
        let (x, xlen) = bits(ip);
        if nlen != xlen {
            return false;
        }
        let prefix = u32::from(self.prefix.min(nlen));
        if prefix == 0 {
            return true;
        }
        let shift = u32::from(nlen) - prefix;
        net.checked_shr(shift) == x.checked_shr(shift)
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IpNet::parse(s).ok_or_else(|| IpNetError(s.to_owned()))
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for IpNet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn contains_by_prefix_in_both_families_and_through_mapped_addresses() {
        let n = net("10.1.0.0/16");
        assert!(n.contains("10.1.200.3".parse().unwrap()));
        assert!(!n.contains("10.2.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(net("2001:db8::/32").contains("2001:db8::5".parse().unwrap()));
        assert!(!net("2001:db8::/32").contains("10.1.0.1".parse().unwrap()));
        assert!(net("0.0.0.0/0").contains("192.0.2.1".parse().unwrap()));
        assert!(net("192.0.2.7").contains("192.0.2.7".parse().unwrap()));
        assert!(!net("192.0.2.7").contains("192.0.2.8".parse().unwrap()));
    }

    #[test]
    fn parses_text_and_round_trips_through_serde() {
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/", "::/129", "10.0.0.0/x"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        assert_eq!(net(" 10.0.0.0/8 ").to_string(), "10.0.0.0/8");
        assert_eq!(net("192.0.2.7").to_string(), "192.0.2.7/32");
        let json = serde_json::to_string(&vec![net("10.0.0.0/8")]).unwrap();
        assert_eq!(json, r#"["10.0.0.0/8"]"#);
        let back: Vec<IpNet> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [net("10.0.0.0/8")]);
        let err = serde_json::from_str::<IpNet>(r#""10.0.0.0/40""#).unwrap_err().to_string();
        assert!(err.contains("10.0.0.0/40"), "{err}");
    }
}
