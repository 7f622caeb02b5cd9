//! `callvault bench capture-live`: live capture on an interface (loopback
//! by default) while this process plays `calls` concurrent G.711 calls
//! across it: SIP INVITE/200/ACK, RTP both ways every 20 ms from distinct
//! media addresses, BYE. Nothing answers: a passive recorder only watches
//! the wire, so the datagrams are all it needs.
//!
//! It reports whether every RTP packet sent was recorded (kernel drops,
//! packets missing from the recorders), the CPU the capture used (process
//! CPU minus the generator thread's own), and resident memory per call.
//! On loopback the kernel's delivery of each packet (to the endpoint and to
//! the capture socket) runs in the sender's system call, so it is counted
//! in the generator's CPU, not the capture's. Needs root or CAP_NET_RAW,
//! and two descriptors per call (`ulimit -n`).

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use callvault_capture::tracker::IpNet;
use callvault_capture::{CaptureFilter, TrackerConfig};

/// PBX side (company) and external side of the generated calls.
const PBX: Ipv4Addr = Ipv4Addr::new(127, 77, 0, 1);
const SIP_PORT: u16 = 15060;

fn ext_media(c: u32) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(127, 78, (c / 250) as u8, (c % 250 + 1) as u8), 20_000))
}

fn pbx_media(c: u32) -> SocketAddr {
    SocketAddr::from((PBX, 10_000 + (c as u16) * 2))
}

fn sip(c: u32, first: &str, cseq: &str, to_tag: bool, sdp: Option<SocketAddr>) -> String {
    let body = sdp.map_or(String::new(), |m| {
        format!(
            "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
            ip = m.ip(),
            port = m.port()
        )
    });
    let ext = ext_media(c).ip();
    let mut m = format!(
        "{first}\r\nVia: SIP/2.0/UDP {ext}:{SIP_PORT};branch=z9hG4bKlive{c}{cs}\r\nFrom: <sip:1555{c:07}@{ext}>;tag=f{c}\r\nTo: <sip:100@{PBX}>{tt}\r\nCall-ID: live-bench-{c}\r\nCSeq: {cseq}\r\nContact: <sip:1555{c:07}@{ext}:{SIP_PORT}>\r\n",
        cs = cseq.replace(' ', ""),
        tt = if to_tag { format!(";tag=t{c}") } else { String::new() },
    );
    if !body.is_empty() {
        m.push_str("Content-Type: application/sdp\r\n");
    }
    m.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    m
}

/// User + system CPU time of this process (`/proc/self/stat`) or of the
/// calling thread (`/proc/thread-self/stat`).
fn cpu_time(stat: &str) -> Option<Duration> {
    super::cpu_user_sys(stat).map(|(u, k)| u + k)
}

/// Peak resident memory of this process.
fn peak_rss() -> u64 {
    super::peak_rss_kib("/proc/self").map_or(0, |kib| kib * 1024)
}

/// What the generator plays.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent calls.
    pub calls: u32,
    /// Seconds of media.
    pub secs: u64,
    /// New calls per second during setup.
    pub rate: f64,
    /// Unrelated UDP datagrams a second, outside the capture filter.
    pub noise: u64,
}

/// Where the noise goes: outside the filter's networks.
const NOISE_NET: Ipv4Addr = Ipv4Addr::new(127, 99, 0, 1);

struct Sent {
    rtp: u64,
    late_ticks: u64,
    cpu: Duration,
}

/// Plays the calls: setup at `rate` calls/s, `secs` of media (and the
/// noise), BYEs.
fn generate(load: &Load) -> anyhow::Result<Sent> {
    let Load { calls, secs, rate, noise } = *load;
    let noise_rx = UdpSocket::bind((NOISE_NET, 0))?;
    let noise_to = noise_rx.local_addr()?;
    let noise_tx = UdpSocket::bind((NOISE_NET, 0))?;
    let noise_packet = [0x5au8; 200];
    let cpu0 = cpu_time("/proc/thread-self/stat");
    let ext_sip = UdpSocket::bind((Ipv4Addr::new(127, 78, 0, 1), SIP_PORT))?;
    let pbx_sip = UdpSocket::bind((PBX, SIP_PORT))?;
    let ext_rtp = UdpSocket::bind((Ipv4Addr::new(127, 78, 0, 1), 0))?;
    let pbx_rtp = UdpSocket::bind((PBX, 0))?;
    // Real endpoints at every media address (never read: their buffers
    // overflow quietly), as on a real network: a datagram to a closed port
    // would make the kernel answer with an ICMP error, doubling the traffic
    // on the wire.
    let mut endpoints = Vec::with_capacity(calls as usize * 2);
    for c in 0..calls {
        endpoints.push(
            UdpSocket::bind(ext_media(c))
                .context("bind an external media address (raise ulimit -n?)")?,
        );
        endpoints.push(
            UdpSocket::bind(pbx_media(c)).context("bind a PBX media address (raise ulimit -n?)")?,
        );
    }
    let pbx_sip_addr = SocketAddr::from((PBX, SIP_PORT));
    let ext_sip_addr = ext_sip.local_addr()?;
    let gap = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let start = Instant::now();
    for c in 0..calls {
        let due = start + gap * c;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let inv =
            sip(c, &format!("INVITE sip:100@{PBX} SIP/2.0"), "1 INVITE", false, Some(ext_media(c)));
        ext_sip.send_to(inv.as_bytes(), pbx_sip_addr)?;
        let ok = sip(c, "SIP/2.0 200 OK", "1 INVITE", true, Some(pbx_media(c)));
        pbx_sip.send_to(ok.as_bytes(), ext_sip_addr)?;
        let ack = sip(c, &format!("ACK sip:100@{PBX} SIP/2.0"), "1 ACK", true, None);
        ext_sip.send_to(ack.as_bytes(), pbx_sip_addr)?;
    }
    let mut rtp = 0u64;
    let mut late_ticks = 0u64;
    let mut packet = vec![0u8; 12 + 160];
    packet[0] = 0x80;
    packet[1] = 8;
    for b in &mut packet[12..] {
        *b = 0xd5;
    }
    let media_start = Instant::now();
    for tick in 0..secs * 50 {
        let due = media_start + Duration::from_millis(tick * 20);
        match due.checked_duration_since(Instant::now()) {
            Some(wait) => std::thread::sleep(wait),
            None if Instant::now() - due > Duration::from_millis(20) => late_ticks += 1,
            None => {}
        }
        packet[2..4].copy_from_slice(&(tick as u16).to_be_bytes());
        packet[4..8].copy_from_slice(&((tick * 160) as u32).to_be_bytes());
        // The tick's share of the noise, spread so the total is exact.
        for _ in (tick * noise / 50)..((tick + 1) * noise / 50) {
            noise_tx.send_to(&noise_packet, noise_to)?;
        }
        for c in 0..calls {
            packet[8..12].copy_from_slice(&c.to_be_bytes());
            ext_rtp.send_to(&packet, pbx_media(c))?;
            packet[8..12].copy_from_slice(&(c | 1 << 31).to_be_bytes());
            pbx_rtp.send_to(&packet, ext_media(c))?;
            rtp += 2;
        }
    }
    for c in 0..calls {
        let bye = sip(c, &format!("BYE sip:100@{PBX} SIP/2.0"), "2 BYE", true, None);
        ext_sip.send_to(bye.as_bytes(), pbx_sip_addr)?;
    }
    drop(endpoints);
    let cpu = match (cpu0, cpu_time("/proc/thread-self/stat")) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    };
    Ok(Sent { rtp, late_ticks, cpu })
}

pub fn run(load: &Load, kernel_filter: bool, interface: &str, dir: &Path) -> anyhow::Result<()> {
    let Load { calls, secs, noise, .. } = *load;
    anyhow::ensure!((1..=25_000).contains(&calls), "--calls must be 1..=25000");
    let spool = dir.join("capture-live-spool");
    let _ = std::fs::remove_dir_all(&spool);
    let stop = Arc::new(AtomicBool::new(false));
    let filter = CaptureFilter::parse("udp and (net 127.77.0.0/16 or net 127.78.0.0/16)")?;
    let tracker = TrackerConfig {
        company_networks: vec![IpNet::parse("127.77.0.0/16").context("network")?],
        ..TrackerConfig::default()
    };
    let base_rss = peak_rss();
    let cpu0 = cpu_time("/proc/self/stat");
    let wall = Instant::now();
    let capture = {
        let stop = stop.clone();
        let interfaces = vec![interface.to_owned()];
        let spool = spool.clone();
        std::thread::Builder::new().name("capture".into()).spawn(move || {
            callvault_capture_driver::live_to_spool(
                &interfaces,
                filter,
                kernel_filter,
                &spool,
                tracker,
                stop,
            )
        })?
    };
    // The sockets open in the capture thread; give them a moment.
    std::thread::sleep(Duration::from_millis(300));
    let sent = generate(load);
    // Let the last packets through, then stop (open calls are ended).
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::Relaxed);
    let stats = capture.join().map_err(|_| anyhow::anyhow!("the capture thread panicked"))??;
    let sent = sent?;
    let wall = wall.elapsed();
    let cpu = cpu_time("/proc/self/stat").zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    let capture_cpu = cpu.map(|c| c.saturating_sub(sent.cpu));
    let _ = std::fs::remove_dir_all(&spool);

    println!(
        "capture-live on {interface}: {calls} concurrent G.711 calls x {secs} s, {} RTP packets sent ({:.0}/s), generator late ticks: {}",
        sent.rtp,
        sent.rtp as f64 / secs.max(1) as f64,
        sent.late_ticks
    );
    println!(
        "noise: {noise} unrelated datagrams/s; capture filter applied {}",
        if kernel_filter { "in the kernel (BPF) and in user space" } else { "in user space only" }
    );
    let missing = sent.rtp.saturating_sub(stats.media_packets);
    println!(
        "recorded: {} conversations, {} RTP packets ({} missing, {:.4} %), kernel drops {}, frames {}",
        stats.conversations,
        stats.media_packets,
        missing,
        missing as f64 * 100.0 / sent.rtp.max(1) as f64,
        stats.kernel_drops,
        stats.frames
    );
    if let Some(c) = capture_cpu {
        let share = c.as_secs_f64() / wall.as_secs_f64();
        println!(
            "capture CPU: {:.2} s over {:.1} s = {:.0} % of one core ({:.2} us per frame read); generator {:.2} s",
            c.as_secs_f64(),
            wall.as_secs_f64(),
            share * 100.0,
            c.as_secs_f64() * 1e6 / stats.frames.max(1) as f64,
            sent.cpu.as_secs_f64()
        );
    }
    println!(
        "memory: peak RSS grew {:.0} MiB, {:.0} KiB per call",
        peak_rss().saturating_sub(base_rss) as f64 / 1048576.0,
        peak_rss().saturating_sub(base_rss) as f64 / 1024.0 / f64::from(calls)
    );
    anyhow::ensure!(
        stats.conversations == u64::from(calls),
        "{} conversations recorded, {calls} expected",
        stats.conversations
    );
    Ok(())
}
