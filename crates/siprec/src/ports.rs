//! The RTP port pool: the [`PortAllocator`] the SRS core asks for ports.
//!
//! A port is handed out only once its socket is bound, so a port some other
//! program holds is skipped rather than announced in an SDP answer. The
//! bound sockets wait in `fresh` until the driver gives them to the
//! session that owns the port.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr, UdpSocket};

use callvault_sip::srs::PortAllocator;

pub struct RtpPorts {
    ip: IpAddr,
    low: u16,
    high: u16,
    next: u16,
    used: HashSet<u16>,
    fresh: HashMap<u16, UdpSocket>,
    /// Ports that could not be bound (held by someone else) since start.
    pub bind_failures: u64,
}

impl RtpPorts {
    /// Even ports in `low..=high` on `ip` (RTP on even ports, RFC 3550).
    pub fn new(ip: IpAddr, low: u16, high: u16) -> Self {
        let low = low + low % 2;
        RtpPorts {
            ip,
            low,
            high,
            next: low,
            used: HashSet::new(),
            fresh: HashMap::new(),
            bind_failures: 0,
        }
    }

    /// How many ports the range holds.
    pub fn capacity(&self) -> usize {
        usize::from((self.high - self.low) / 2 + 1)
    }

    #[cfg(test)]
    pub fn in_use(&self) -> usize {
        self.used.len()
    }

    /// The bound socket of a port just allocated, for its session.
    pub fn take_socket(&mut self, port: u16) -> Option<UdpSocket> {
        self.fresh.remove(&port)
    }

    fn bind(&mut self, port: u16) -> Option<UdpSocket> {
        match UdpSocket::bind(SocketAddr::new(self.ip, port)) {
            Ok(s) if s.set_nonblocking(true).is_ok() => Some(s),
            _ => {
                self.bind_failures += 1;
                None
            }
        }
    }
}

impl PortAllocator for RtpPorts {
    fn allocate(&mut self, n: usize) -> Option<Vec<u16>> {
        let mut got = Vec::with_capacity(n);
        let mut tried = 0;
        let slots = self.capacity();
        while got.len() < n && tried < slots {
            tried += 1;
            let port = self.next;
            self.next = if self.next >= self.high - 1 { self.low } else { self.next + 2 };
            if self.used.contains(&port) {
                continue;
            }
            if let Some(sock) = self.bind(port) {
                self.used.insert(port);
                self.fresh.insert(port, sock);
                got.push(port);
            }
        }
        if got.len() < n {
            self.release(&got);
            return None;
        }
        Some(got)
    }

    fn release(&mut self, ports: &[u16]) {
        for p in ports {
            self.used.remove(p);
            self.fresh.remove(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_even_ports_skips_taken_ones_and_reuses_released() {
        // Find a free stretch of ports above the ephemeral-looking range.
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let base = 41_000 + (std::process::id() % 500) as u16 * 20;
        let blocker = UdpSocket::bind((ip, base + 2)).ok();
        let mut p = RtpPorts::new(ip, base, base + 7);
        assert_eq!(p.capacity(), 4);
        let a = p.allocate(2).unwrap();
        assert!(a.iter().all(|x| x % 2 == 0));
        if blocker.is_some() {
            assert!(!a.contains(&(base + 2)));
        }
        let held: Vec<UdpSocket> = a.iter().map(|port| p.take_socket(*port).unwrap()).collect();
        // Everything left is either used, or held by someone else.
        assert!(p.allocate(4).is_none());
        assert_eq!(p.in_use(), 2);
        // Released while the session still holds the socket: the port
        // cannot be bound again, so it is not handed out twice.
        p.release(&a);
        let again = p.allocate(1);
        assert!(again.as_ref().is_none_or(|g| !a.contains(&g[0])), "{again:?}");
        if let Some(g) = again {
            p.release(&g);
        }
        drop(held);
        assert_eq!(p.in_use(), 0);
        let all = p.allocate(if blocker.is_some() { 3 } else { 4 }).unwrap();
        assert_eq!(all.len(), p.in_use());
    }
}
