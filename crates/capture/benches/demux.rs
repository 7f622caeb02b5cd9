//! Read + decode + demux throughput on a synthetic capture of many
//! concurrent G.711 calls, and the same file through `tcpdump -r` when it
//! is installed.
//!
//! Run: `cargo bench -p callvault-capture --bench demux`
//! (`CALLS=1000 SECS=5` by default; override with environment variables).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Instant;

use callvault_capture::synth::{self, Encap};
use callvault_capture::{CaptureDemux, CaptureReader, Event, PcapWriter, Precision, Timestamp};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let calls = env_u64("CALLS", 1000);
    let secs = env_u64("SECS", 5);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("calls.pcap");

    let start = Instant::now();
    let mut w = PcapWriter::new(
        BufWriter::new(File::create(&path)?),
        callvault_capture::LinkType::ETHERNET,
        Precision::Micro,
    )?;
    let payload = [0xd5u8; 160];
    let mut packets = 0u64;
    let base = Timestamp::from_secs_nanos(1_700_000_000, 0);
    for tick in 0..secs * 50 {
        for call in 0..calls {
            for dir in 0..2u64 {
                let host = |side: u64| {
                    let n = (call * 2 + side) as u32;
                    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | n))
                };
                let port = 10_000 + (call % 25_000) as u16 * 2;
                let (src, dst) = if dir == 0 {
                    (SocketAddr::new(host(0), port), SocketAddr::new(host(1), port))
                } else {
                    (SocketAddr::new(host(1), port), SocketAddr::new(host(0), port))
                };
                let rtp = synth::rtp(
                    8,
                    tick as u16,
                    (tick * 160) as u32,
                    (call * 2 + dir) as u32,
                    &payload,
                );
                let (_, frame) = synth::wrap(Encap::Ethernet, &synth::udp_packet(src, dst, &rtp));
                // spread the calls over the 20 ms packet interval
                let ns = tick * 20_000_000 + (call * 2 + dir) * 20_000_000 / (calls * 2);
                w.write_frame(Timestamp::from_nanos(base.as_nanos() + ns), &frame)?;
                packets += 1;
            }
        }
    }
    w.into_inner()?.flush()?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "wrote {packets} packets ({calls} calls x 2 directions x 50 pps x {secs} s), {:.1} MiB in {:.2} s",
        size as f64 / 1048576.0,
        start.elapsed().as_secs_f64()
    );

    // best of three runs
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut reader = CaptureReader::new(File::open(&path)?).map_err(std::io::Error::other)?;
        let mut demux = CaptureDemux::default();
        let mut udp = 0u64;
        while let Some(frame) = reader.next_frame().map_err(std::io::Error::other)? {
            demux.push(&frame);
            while let Some(ev) = demux.poll_event() {
                if let Event::Udp { payload, .. } = ev {
                    udp += std::hint::black_box(payload.len() as u64).min(1);
                }
            }
        }
        assert_eq!(udp, packets);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let pps = packets as f64 / best;
    println!(
        "read+decode+demux: {:.0} packets/s, {:.0} MiB/s ({:.1}x real time for {calls} calls)",
        pps,
        size as f64 / 1048576.0 / best,
        secs as f64 / best
    );

    let tcpdump = Command::new("tcpdump")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if tcpdump.is_ok_and(|s| s.success()) {
        let mut t = f64::MAX;
        let mut ok = true;
        for _ in 0..3 {
            let start = Instant::now();
            let status = Command::new("tcpdump")
                .arg("-r")
                .arg(&path)
                .args(["-w", "/dev/null"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()?;
            ok &= status.success();
            t = t.min(start.elapsed().as_secs_f64());
        }
        if ok {
            println!(
                "tcpdump -r FILE -w /dev/null: {:.0} packets/s; callvault/tcpdump time ratio {:.2}",
                packets as f64 / t,
                best / t
            );
        } else {
            println!("tcpdump failed; no comparison");
        }
    } else {
        println!("tcpdump not installed; no comparison");
    }
    Ok(())
}
