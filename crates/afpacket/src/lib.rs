//! Live capture on Linux through `AF_PACKET` sockets: no libpcap, no
//! libpcap-dev, only the C library.
//!
//! A [`PacketSocket`] is a non-blocking `SOCK_DGRAM` packet socket bound to
//! one interface (or to all of them, `any`): the kernel strips the link
//! header and reports, per packet, the interface, the packet type and the
//! ethertype in a `sockaddr_ll`. [`PacketSocket::recv_sll`] writes that
//! information as a Linux cooked (SLL, `LINKTYPE_LINUX_SLL`) header in front
//! of the packet, so that captured frames look exactly like a `tcpdump -i any`
//! file and go through the same decoder as capture files.
//!
//! Like libpcap, packets *sent* on a loopback interface are skipped: the
//! kernel shows them twice on `lo` (once leaving, once arriving).
//!
//! **Architecture invariant:** this crate is the only one in the workspace
//! with socket-level `unsafe` code; every `unsafe` block is a single libc
//! call whose buffer and length arguments come from Rust slices or owned
//! values, with a `SAFETY` comment. It knows nothing about SIP or RTP.

// The workspace denies `unsafe_code`; this crate exists to hold the few libc
// calls live capture needs (see the invariant above).
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Bytes of the Linux cooked (SLL v1) header written by [`PacketSocket::recv_sll`].
pub const SLL_HEADER_LEN: usize = 16;

/// Most packets [`PacketSocket::recv_batch`] takes in one call.
pub const MAX_BATCH: usize = 64;

/// `ARPHRD_LOOPBACK`.
const ARPHRD_LOOPBACK: u16 = 772;

/// What the kernel said about one received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketInfo {
    /// Bytes written to the buffer after the SLL header (at most the
    /// buffer's room).
    pub captured: usize,
    /// Length of the packet on the wire (without its link header).
    pub wire_len: usize,
    /// Interface index.
    pub ifindex: i32,
    /// `PACKET_HOST`, `PACKET_OUTGOING`, ...
    pub pkttype: u8,
    /// `ARPHRD_*` of the interface.
    pub hatype: u16,
    /// Ethertype (host order).
    pub protocol: u16,
}

/// Kernel counters of a packet socket since the previous call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Packets the socket received (dropped ones included).
    pub packets: u64,
    /// Packets dropped because the receive buffer was full.
    pub drops: u64,
}

/// A non-blocking `AF_PACKET`/`SOCK_DGRAM` socket.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    interface: String,
}

impl PacketSocket {
    /// Opens a packet socket on `interface` (`"any"` for all interfaces)
    /// with a receive buffer of `rcvbuf` bytes (raised with
    /// `SO_RCVBUFFORCE` when the process may, else `SO_RCVBUF`).
    ///
    /// Needs `CAP_NET_RAW`.
    pub fn open(interface: &str, rcvbuf: usize) -> io::Result<Self> {
        Self::open_filtered(interface, rcvbuf, &[])
    }

    /// [`PacketSocket::open`] with a classic BPF program the kernel runs
    /// on every packet before copying it (`SO_ATTACH_FILTER`), attached
    /// before the socket is bound so that nothing unfiltered is queued.
    /// Each instruction is `(code, jt, jf, k)` as in `struct sock_filter`;
    /// the program sees the packet from its network header on (this is a
    /// `SOCK_DGRAM` socket). An empty program attaches nothing. A program
    /// the kernel refuses is an error (`EINVAL`).
    pub fn open_filtered(
        interface: &str,
        rcvbuf: usize,
        program: &[(u16, u8, u8, u32)],
    ) -> io::Result<Self> {
        let ifindex = if interface == "any" { 0 } else { if_index(interface)? };
        let proto_be = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain syscall with constant arguments; the returned fd is
        // checked and then owned by `OwnedFd`.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                i32::from(proto_be),
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a freshly created, valid descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if !program.is_empty() {
            attach_filter(&fd, program)?;
        }
        let size = libc::c_int::try_from(rcvbuf).unwrap_or(libc::c_int::MAX);
        if setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, size).is_err() {
            setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, size)?;
        }
        if interface == "lo" {
            // Every loopback packet passes twice (out, then in): have the
            // kernel keep only the arriving copy instead of waking us for
            // both (Linux 4.20+; older kernels: `recv_sll` skips it).
            let _ = setsockopt_int(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, 1);
        }
        // SAFETY: an all-zero `sockaddr_ll` is a valid value of this plain C struct.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = proto_be;
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a valid `sockaddr_ll` and the length passed is its size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                std::ptr::from_ref(&addr).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        // Counters start now, not at socket creation.
        let socket = Self { fd, interface: interface.to_owned() };
        let _ = socket.stats();
        Ok(socket)
    }

    /// The interface name this socket was opened on.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Receives one packet into `buf[SLL_HEADER_LEN..]` and writes its SLL
    /// header into `buf[..SLL_HEADER_LEN]`, so `buf[..SLL_HEADER_LEN +
    /// info.captured]` is a `LINKTYPE_LINUX_SLL` frame. `Ok(None)`: nothing
    /// to read now. A loopback packet seen on its way out is skipped (its
    /// arriving copy is returned).
    pub fn recv_sll(&self, buf: &mut [u8]) -> io::Result<Option<PacketInfo>> {
        let Some(room) = buf.get_mut(SLL_HEADER_LEN..) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "buffer too small"));
        };
        loop {
            // SAFETY: an all-zero `sockaddr_ll` is a valid value of this plain C struct.
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut from_len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // SAFETY: `room` is a valid writable slice of `room.len()` bytes;
            // `from`/`from_len` point to a `sockaddr_ll` and its size. MSG_TRUNC
            // makes the kernel return the full length while writing at most
            // `room.len()` bytes.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    room.as_mut_ptr().cast::<libc::c_void>(),
                    room.len(),
                    libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                    std::ptr::from_mut(&mut from).cast::<libc::sockaddr>(),
                    &mut from_len,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                    _ => Err(e),
                };
            }
            // Seen again on its way in: skip this copy.
            let Some((header, info)) = received(&from, n as usize, room.len()) else { continue };
            buf[..SLL_HEADER_LEN].copy_from_slice(&header);
            return Ok(Some(info));
        }
    }

    /// Receives up to [`MAX_BATCH`] packets with one `recvmmsg` call: packet
    /// `i` goes to slot `i` of `slots` (slots of `slot_len` bytes), laid out
    /// as with [`PacketSocket::recv_sll`] (SLL header, then the packet).
    /// Appends `(slot, info)` for every packet kept (loopback packets seen
    /// leaving are skipped) to `out` and returns how many the kernel
    /// delivered (0: nothing to read now).
    pub fn recv_batch(
        &self,
        slots: &mut [u8],
        slot_len: usize,
        out: &mut Vec<(usize, PacketInfo)>,
    ) -> io::Result<usize> {
        if slot_len <= SLL_HEADER_LEN {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "slots too small"));
        }
        let n = (slots.len() / slot_len).min(MAX_BATCH);
        if n == 0 {
            return Ok(0);
        }
        let room = slot_len - SLL_HEADER_LEN;
        // SAFETY: all-zero `sockaddr_ll`, `iovec` and `mmsghdr` are valid
        // values of these plain C structs (null pointers, zero lengths).
        let mut addrs: [libc::sockaddr_ll; MAX_BATCH] = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let mut iovs: [libc::iovec; MAX_BATCH] = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
        let base = slots.as_mut_ptr();
        for i in 0..n {
            // In bounds: (i + 1) * slot_len <= slots.len(), so each iovec
            // covers `room` bytes inside slot i, past its header.
            iovs[i].iov_base = base.wrapping_add(i * slot_len + SLL_HEADER_LEN).cast();
            iovs[i].iov_len = room;
            hdrs[i].msg_hdr.msg_name = std::ptr::from_mut(&mut addrs[i]).cast();
            hdrs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            hdrs[i].msg_hdr.msg_iov = std::ptr::from_mut(&mut iovs[i]);
            hdrs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: `hdrs[..n]` are valid `mmsghdr`s whose name, iovec and
        // buffer pointers point into `addrs`, `iovs` and disjoint ranges of
        // `slots`, all of which outlive the call; the kernel writes at most
        // `room` bytes per slot and a `sockaddr_ll` per name.
        let rc = unsafe {
            libc::recvmmsg(
                self.fd.as_raw_fd(),
                hdrs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                std::ptr::null_mut(),
            )
        };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(e),
            };
        }
        let got = rc as usize;
        for i in 0..got.min(n) {
            let Some((header, info)) = received(&addrs[i], hdrs[i].msg_len as usize, room) else {
                continue;
            };
            let at = i * slot_len;
            slots[at..at + SLL_HEADER_LEN].copy_from_slice(&header);
            out.push((i, info));
        }
        Ok(got)
    }

    /// Packets received and dropped since the previous call
    /// (`PACKET_STATISTICS`, which resets the kernel's counters).
    pub fn stats(&self) -> io::Result<SocketStats> {
        let mut st = libc::tpacket_stats { tp_packets: 0, tp_drops: 0 };
        let mut len = size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `st` is a `tpacket_stats` and `len` its size; the kernel
        // writes at most `len` bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                std::ptr::from_mut(&mut st).cast::<libc::c_void>(),
                &mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(SocketStats { packets: u64::from(st.tp_packets), drops: u64::from(st.tp_drops) })
    }
}

/// The SLL header and the description of a packet the kernel delivered
/// with address `from` and length `wire_len` into `room` bytes; `None` for
/// a loopback packet seen leaving (its arriving copy is the one kept).
fn received(
    from: &libc::sockaddr_ll,
    wire_len: usize,
    room: usize,
) -> Option<([u8; SLL_HEADER_LEN], PacketInfo)> {
    if from.sll_pkttype == libc::PACKET_OUTGOING && from.sll_hatype == ARPHRD_LOOPBACK {
        return None;
    }
    let protocol = u16::from_be(from.sll_protocol);
    let header =
        sll_header(from.sll_pkttype, from.sll_hatype, &from.sll_addr, from.sll_halen, protocol);
    let info = PacketInfo {
        captured: wire_len.min(room),
        wire_len,
        ifindex: from.sll_ifindex,
        pkttype: from.sll_pkttype,
        hatype: from.sll_hatype,
        protocol,
    };
    Some((header, info))
}

/// Waits until one of `sockets` has a packet or `timeout` passes; `Ok(true)`
/// if one is readable.
pub fn wait_readable(sockets: &[PacketSocket], timeout: Duration) -> io::Result<bool> {
    let mut fds: Vec<libc::pollfd> = sockets
        .iter()
        .map(|s| libc::pollfd { fd: s.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
        .collect();
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(e) };
    }
    Ok(rc > 0)
}

/// The index of a network interface by name.
pub fn if_index(name: &str) -> io::Result<i32> {
    let c = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name with NUL"))?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no network interface named {name:?}"),
        ));
    }
    i32::try_from(index).map_err(|_| io::Error::other("interface index out of range"))
}

/// A Linux cooked (SLL v1) header: packet type, ARPHRD type, link address
/// length and up to 8 bytes of address, ethertype; all big-endian.
pub fn sll_header(
    pkttype: u8,
    hatype: u16,
    addr: &[u8; 8],
    halen: u8,
    protocol: u16,
) -> [u8; SLL_HEADER_LEN] {
    let mut h = [0u8; SLL_HEADER_LEN];
    h[0..2].copy_from_slice(&u16::from(pkttype).to_be_bytes());
    h[2..4].copy_from_slice(&hatype.to_be_bytes());
    h[4..6].copy_from_slice(&u16::from(halen.min(8)).to_be_bytes());
    h[6..14].copy_from_slice(addr);
    h[14..16].copy_from_slice(&protocol.to_be_bytes());
    h
}

fn attach_filter(fd: &OwnedFd, program: &[(u16, u8, u8, u32)]) -> io::Result<()> {
    let mut insns: Vec<libc::sock_filter> =
        program.iter().map(|&(code, jt, jf, k)| libc::sock_filter { code, jt, jf, k }).collect();
    let len = u16::try_from(insns.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "BPF program too long"))?;
    let prog = libc::sock_fprog { len, filter: insns.as_mut_ptr() };
    // SAFETY: `prog` points at `len` initialised instructions that outlive
    // the call (the kernel copies them), and the length passed is the
    // size of `sock_fprog`.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            std::ptr::from_ref(&prog).cast::<libc::c_void>(),
            size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

fn setsockopt_int(fd: &OwnedFd, level: i32, name: i32, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a c_int and the length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(&value).cast::<libc::c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_header_layout() {
        let h = sll_header(4, 772, &[1, 2, 3, 4, 5, 6, 0, 0], 6, 0x0800);
        assert_eq!(h, [0, 4, 3, 4, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 8, 0]);
    }

    #[test]
    fn unknown_interface_is_a_clear_error() {
        let e = if_index("no-such-if0").unwrap_err();
        assert!(e.to_string().contains("no-such-if0"), "{e}");
    }

    /// A packet socket on `lo`; `None` (test skipped) only without
    /// CAP_NET_RAW and with CV_TEST_SKIP_SERVICES set.
    fn loopback_socket() -> Option<PacketSocket> {
        loopback_socket_filtered(&[])
    }

    fn loopback_socket_filtered(program: &[(u16, u8, u8, u32)]) -> Option<PacketSocket> {
        match PacketSocket::open_filtered("lo", 1 << 20, program) {
            Ok(s) => Some(s),
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                if std::env::var_os("CV_TEST_SKIP_SERVICES").is_some() {
                    eprintln!("skipped: no CAP_NET_RAW to open a packet socket: {e}");
                    return None;
                }
                panic!(
                    "a packet socket needs CAP_NET_RAW (run as root, or set CV_TEST_SKIP_SERVICES): {e}"
                );
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn batch_receive_takes_each_datagram_once_and_reports_truncation() {
        let Some(socket) = loopback_socket() else { return };
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = rx.local_addr().unwrap().port().to_be_bytes();
        // 150 datagrams (more than one batch), the last one longer than a slot.
        for i in 0..150u32 {
            let mut d = b"cv-batch-".to_vec();
            d.extend_from_slice(&i.to_be_bytes());
            if i == 149 {
                d.resize(1000, 0xab);
            }
            tx.send_to(&d, rx.local_addr().unwrap()).unwrap();
        }
        let slot_len = 400;
        let mut slots = vec![0u8; slot_len * MAX_BATCH];
        let mut seen = vec![0u32; 150];
        let mut long = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline && seen.contains(&0) {
            let mut out = Vec::new();
            if socket.recv_batch(&mut slots, slot_len, &mut out).unwrap() == 0 {
                wait_readable(std::slice::from_ref(&socket), Duration::from_millis(100)).unwrap();
                continue;
            }
            for (slot, info) in out {
                let frame =
                    &slots[slot * slot_len..slot * slot_len + SLL_HEADER_LEN + info.captured];
                let udp = SLL_HEADER_LEN + 20;
                if info.protocol != 0x0800 || frame.get(udp + 2..udp + 4) != Some(&port[..]) {
                    continue;
                }
                let payload = &frame[udp + 8..];
                assert_eq!(&frame[14..16], &[8, 0]);
                assert!(payload.starts_with(b"cv-batch-"));
                let i = u32::from_be_bytes(payload[9..13].try_into().unwrap()) as usize;
                seen[i] += 1;
                if i == 149 {
                    long = Some(info);
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "each datagram exactly once: {seen:?}");
        let long = long.unwrap();
        assert_eq!(long.wire_len, 20 + 8 + 1000, "the full length is reported");
        assert_eq!(long.captured, slot_len - SLL_HEADER_LEN, "the copy stops at the slot");
        assert_eq!(socket.stats().unwrap().drops, 0);
    }

    #[test]
    fn loopback_capture_sees_a_datagram_once() {
        let Some(socket) = loopback_socket() else { return };
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let marker = b"callvault-afpacket-test-marker-0123456789";
        tx.send_to(marker, rx.local_addr().unwrap()).unwrap();
        let port = rx.local_addr().unwrap().port().to_be_bytes();
        let mut buf = vec![0u8; 65_536];
        let mut seen = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            match socket.recv_sll(&mut buf).unwrap() {
                Some(info) => {
                    let frame = &buf[..SLL_HEADER_LEN + info.captured];
                    // IPv4 + UDP to our port carrying the marker.
                    if info.protocol == 0x0800
                        && frame.get(SLL_HEADER_LEN + 22..SLL_HEADER_LEN + 24) == Some(&port[..])
                        && frame.ends_with(marker)
                    {
                        assert_eq!(&frame[14..16], &[8, 0]);
                        seen += 1;
                    }
                }
                None => {
                    if seen > 0 {
                        // Give a duplicate the chance to show up.
                        if !wait_readable(std::slice::from_ref(&socket), Duration::from_millis(200))
                            .unwrap()
                        {
                            break;
                        }
                    } else {
                        wait_readable(std::slice::from_ref(&socket), Duration::from_millis(100))
                            .unwrap();
                    }
                }
            }
        }
        assert_eq!(seen, 1, "the datagram is captured exactly once on lo");
        let stats = socket.stats().unwrap();
        assert_eq!(stats.drops, 0);
    }

    /// UDP datagrams from `tx` to each of `ports` on 127.0.0.1 carrying
    /// `marker`; returns the destination ports of those the socket saw.
    fn ports_seen(socket: &PacketSocket, ports: &[u16], marker: &[u8]) -> Vec<u16> {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for &p in ports {
            tx.send_to(marker, ("127.0.0.1", p)).unwrap();
        }
        let mut buf = vec![0u8; 65_536];
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            match socket.recv_sll(&mut buf).unwrap() {
                Some(info) => {
                    let frame = &buf[..SLL_HEADER_LEN + info.captured];
                    if info.protocol == 0x0800 && frame.ends_with(marker) {
                        let at = SLL_HEADER_LEN + 22;
                        seen.push(u16::from_be_bytes([frame[at], frame[at + 1]]));
                    }
                }
                None => {
                    let _ = wait_readable(std::slice::from_ref(socket), Duration::from_millis(50));
                }
            }
        }
        seen
    }

    #[test]
    fn an_attached_program_runs_from_the_network_header() {
        // "udp dst port 47011", hand-assembled for a SOCK_DGRAM socket:
        // the packet starts at the IPv4 header (protocol at 9, IHL at 0).
        let program = [
            (0x28, 0, 0, 0xffff_f000), // ldh protocol (SKF_AD_PROTOCOL)
            (0x15, 0, 7, 0x0800),      // jeq IPv4, else drop
            (0x30, 0, 0, 9),           // ldb [9]
            (0x15, 0, 5, 17),          // jeq UDP, else drop
            (0x28, 0, 0, 6),           // ldh [6]
            (0x45, 3, 0, 0x1fff),      // jset fragment offset: drop
            (0xb1, 0, 0, 0),           // ldxb 4*([0]&0xf)
            (0x48, 0, 0, 2),           // ldh [x+2]
            (0x15, 1, 0, 47011),       // jeq 47011: accept
            (0x06, 0, 0, 0),           // ret 0
            (0x06, 0, 0, 0x0004_0000), // ret 256 KiB
        ];
        let Some(socket) = loopback_socket_filtered(&program) else { return };
        let seen = ports_seen(&socket, &[47010, 47011, 47012], b"cv-bpf-marker-1");
        assert_eq!(seen, [47011], "only the filtered port reaches user space");
    }

    #[test]
    fn a_program_the_kernel_refuses_is_an_error() {
        // Jumps past the end.
        let program = [(0x15, 9, 9, 0x0800), (0x06, 0, 0, 0)];
        match PacketSocket::open_filtered("lo", 1 << 16, &program) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}"),
            Ok(_) => panic!("the kernel took a program that jumps past its end"),
        }
    }

    #[test]
    fn a_compiled_capture_filter_keeps_what_it_says_in_the_kernel() {
        let filter = callvault_capture::CaptureFilter::parse(
            "udp and (dst port 47021 or portrange 47030-47031)",
        )
        .unwrap();
        let program: Vec<_> =
            filter.kernel_program().iter().map(|i| (i.code, i.jt, i.jf, i.k)).collect();
        let Some(socket) = loopback_socket_filtered(&program) else { return };
        let mut seen =
            ports_seen(&socket, &[47020, 47021, 47029, 47030, 47031], b"cv-bpf-marker-2");
        seen.sort_unstable();
        assert_eq!(seen, [47021, 47030, 47031]);
    }
}
