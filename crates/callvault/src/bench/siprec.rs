//! `callvault bench siprec`: a real `callvault serve` process as the SRS,
//! and an SRC load generator in this process: INVITEs at a set rate with
//! SIPREC bodies, G.711 RTP on both streams of every session for the hold
//! time, then BYEs; the server's CPU and memory read from /proc.
//!
//! Figures: setup rate achieved; RTP packets received by the SRS against
//! those sent (loss); server CPU and resident memory per live session; the
//! CPU the server spends rendering and storing per second of recorded call
//! after the BYEs; and from those, how many concurrent calls the node
//! sustains for good on its cores (live media plus rendering, so that the
//! render queue does not grow) for calls of a given length.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use callvault_sip::SipMessage;

/// The server's CPU time (user + system), from /proc/PID/stat.
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is 0, utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn free_port() -> anyhow::Result<u16> {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        let port = udp.local_addr()?.port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
}

fn invite(local: SocketAddr, i: usize) -> String {
    let sdp = format!(
        "v=0\r\no=SRC {i} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=label:1\r\na=sendonly\r\n\
         m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=label:2\r\na=sendonly\r\n"
    );
    let md = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<recording xmlns=\"urn:ietf:params:xml:ns:recording:1\">\
         <datamode>complete</datamode><group group_id=\"bench-{i}\"/><session session_id=\"cs-{i}\">\
         <group-ref>bench-{i}</group-ref></session>\
         <participant participant_id=\"a\"><nameID aor=\"tel:+1415555{i:04}\"><name>Caller</name></nameID></participant>\
         <participant participant_id=\"b\"><nameID aor=\"sip:{}@pbx.example.com\"/></participant>\
         <stream stream_id=\"s1\" session_id=\"cs-{i}\"><label>1</label></stream>\
         <stream stream_id=\"s2\" session_id=\"cs-{i}\"><label>2</label></stream>\
         <participantstreamassoc participant_id=\"a\"><send>s1</send></participantstreamassoc>\
         <participantstreamassoc participant_id=\"b\"><send>s2</send></participantstreamassoc>\
         </recording>\r\n",
        100 + i % 900
    );
    let body = format!(
        "--b\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--b\r\n\
         Content-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n{md}--b--\r\n"
    );
    format!(
        "INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKinv{i}\r\n\
         From: <sip:src@127.0.0.1>;tag=src{i}\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: bench-{i}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:src@{local}>;+sip.src\r\nRequire: siprec\r\nMax-Forwards: 70\r\n\
         Content-Type: multipart/mixed;boundary=b\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn in_dialog(method: &str, local: SocketAddr, i: usize, to: &str, cseq: u32) -> String {
    format!(
        "{method} sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{method}{i}x{cseq}\r\n\
         From: <sip:src@127.0.0.1>;tag=src{i}\r\n{to}\r\nCall-ID: bench-{i}\r\nCSeq: {cseq} {method}\r\n\
         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

struct Answered {
    to: String,
    ports: Vec<u16>,
}

/// Sends INVITEs at `rate`/s (retransmitting after 500 ms), ACKs every 200.
/// Returns the answers by session index, the time the last answer came,
/// and how many 503s were seen.
fn set_up(
    sock: &UdpSocket,
    srs: SocketAddr,
    sessions: usize,
    rate: f64,
) -> anyhow::Result<(HashMap<usize, Answered>, Duration, u64)> {
    let local = sock.local_addr()?;
    sock.set_nonblocking(true)?;
    let start = Instant::now();
    let mut answered: HashMap<usize, Answered> = HashMap::new();
    let mut sent_at: HashMap<usize, Instant> = HashMap::new();
    let mut next = 0usize;
    let mut busy = 0u64;
    let mut buf = vec![0u8; 65_536];
    let mut last_answer = Duration::ZERO;
    let deadline = start + Duration::from_secs_f64(sessions as f64 / rate + 60.0);
    while answered.len() < sessions {
        if Instant::now() > deadline {
            bail!("only {} of {sessions} sessions answered", answered.len());
        }
        let due = (start.elapsed().as_secs_f64() * rate) as usize;
        while next < sessions && next <= due {
            sock.send_to(invite(local, next).as_bytes(), srs)?;
            sent_at.insert(next, Instant::now());
            next += 1;
        }
        let mut got = false;
        while let Ok((n, _)) = sock.recv_from(&mut buf) {
            got = true;
            let Ok(msg) = SipMessage::parse(&buf[..n]) else { continue };
            let Some(status) = msg.status() else { continue };
            let Some(i) =
                msg.call_id().and_then(|c| c.strip_prefix("bench-")?.parse::<usize>().ok())
            else {
                continue;
            };
            if status == 503 {
                busy += 1;
            }
            if status != 200 || answered.contains_key(&i) {
                continue;
            }
            let to = format!("To: {}", msg.header("To").unwrap_or_default());
            let body = String::from_utf8_lossy(&msg.body);
            let ports = body
                .lines()
                .filter_map(|l| l.strip_prefix("m=audio "))
                .filter_map(|l| l.split(' ').next()?.parse().ok())
                .collect();
            sock.send_to(in_dialog("ACK", local, i, &to, 1).as_bytes(), srs)?;
            answered.insert(i, Answered { to, ports });
            sent_at.remove(&i);
            last_answer = start.elapsed();
        }
        let now = Instant::now();
        for (i, at) in sent_at.iter_mut() {
            if now.duration_since(*at) > Duration::from_millis(500) {
                sock.send_to(invite(local, *i).as_bytes(), srs)?;
                *at = now;
            }
        }
        if !got {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    Ok((answered, last_answer, busy))
}

/// G.711 RTP on every stream, 20 ms apart, until `stop`. With
/// `double_talk` every stream carries a tone all the time (the renderer's
/// worst case); otherwise the two streams of a session take turns every
/// 3 s, the other side sending digital silence (a call's usual shape).
fn send_rtp(targets: Vec<u16>, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>, double_talk: bool) {
    let Ok(sock) = UdpSocket::bind("127.0.0.1:0") else { return };
    let tone: Vec<u8> = (0..160)
        .map(|k| {
            let t = f64::from(k) / 8000.0;
            callvault_media::codec::g711::linear_to_alaw(
                (6000.0 * (t * 440.0 * std::f64::consts::TAU).sin()) as i16,
            )
        })
        .collect();
    let silence = vec![callvault_media::codec::g711::linear_to_alaw(0); 160];
    let mut pkt = vec![0u8; 172];
    pkt[0] = 0x80;
    pkt[1] = 8;
    let start = Instant::now();
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        pkt[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        pkt[4..8].copy_from_slice(&((n * 160) as u32).to_be_bytes());
        for (j, port) in targets.iter().enumerate() {
            pkt[8..12].copy_from_slice(&(j as u32 + 1).to_be_bytes());
            // Ports come in pairs (the two streams of a session).
            let talking = double_talk || (n / 150 + j as u64).is_multiple_of(2);
            pkt[12..].copy_from_slice(if talking { &tone } else { &silence });
            if sock.send_to(&pkt, ("127.0.0.1", *port)).is_ok() {
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        n += 1;
        let due = start + Duration::from_millis(20 * n);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

async fn metric(client: &reqwest::Client, url: &str, name: &str) -> f64 {
    let Ok(resp) = client.get(format!("{url}/metrics")).send().await else { return 0.0 };
    let text = resp.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub async fn run(
    dir: &Path,
    sessions: usize,
    rate: f64,
    hold_secs: u64,
    senders: usize,
    call_minutes: f64,
    double_talk: bool,
) -> anyhow::Result<()> {
    let data_dir = dir.join(format!("siprec-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data_dir)?;
    let config = crate::config::Config { data_dir: data_dir.clone(), ..Default::default() };
    let vault = callvault_vault::Vault::open(config.vault()).await?;
    vault.catalog.create_tenant("bench", "bench").await?;
    drop(vault);
    let (http, sip) = (free_port()?, free_port()?);
    let exe = std::env::current_exe()?;
    let child = std::process::Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{http}"))
        .env("CALLVAULT_LOG", "warn")
        .env("CALLVAULT_SIP__ENABLED", "true")
        .env("CALLVAULT_SIP__LISTEN", format!("127.0.0.1:{sip}"))
        .env("CALLVAULT_SIP__RTP_PORTS", "20000-59999")
        .env("CALLVAULT_SIP__DEFAULT_TENANT", "bench")
        .env("CALLVAULT_SIP__MAX_SESSIONS", (sessions + 100).to_string())
        .env("CALLVAULT_SIP__RTP_TIMEOUT_SECS", "600")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start callvault serve")?;
    let server = super::ServerProcess { child, url: format!("http://127.0.0.1:{http}") };
    let pid = server.child.id();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ready {
        bail!("the server did not become ready");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "SIPREC benchmark: {sessions} sessions (G.711 A-law on both streams, {}), {rate}/s setup, {hold_secs} s hold, {cores} cores",
        if double_talk {
            "both sides talking all the time"
        } else {
            "sides taking turns every 3 s"
        }
    );
    let srs = SocketAddr::from(([127, 0, 0, 1], sip));
    let rss0 = rss_kib(pid);

    // Setup.
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let sock2 = sock.try_clone()?;
    let (answered, setup_time, busy) =
        tokio::task::spawn_blocking(move || set_up(&sock2, srs, sessions, rate)).await??;
    let setup_rate = sessions as f64 / setup_time.as_secs_f64().max(1e-9);
    println!(
        "  setup: {sessions} answered in {:.2} s = {setup_rate:.0} sessions/s (target >= 200), {busy} x 503",
        setup_time.as_secs_f64()
    );

    // Media.
    let mut ports: Vec<u16> = answered.values().flat_map(|a| a.ports.clone()).collect();
    ports.sort_unstable();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let chunk = ports.len().div_ceil(senders.max(1)).max(1);
    let threads: Vec<_> = ports
        .chunks(chunk)
        .map(|c| {
            let (c, stop, sent) = (c.to_vec(), stop.clone(), sent.clone());
            std::thread::spawn(move || send_rtp(c, stop, sent, double_talk))
        })
        .collect();
    // Let every stream start, then measure a steady window: CPU from /proc,
    // packet rate from the generator's own counter.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu_a, sent_a, t_a) = (cpu_secs(pid), sent.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(hold_secs.max(1))).await;
    let (cpu_b, sent_b, window) =
        (cpu_secs(pid), sent.load(Ordering::Relaxed), t_a.elapsed().as_secs_f64());
    let rss1 = rss_kib(pid);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    // Loss over the whole run: everything sent against everything the SRS
    // read from its sockets, once the last packets are in.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent_total = sent.load(Ordering::Relaxed) as f64;
    let recv_total = metric(&client, &server.url, "callvault_sip_rtp_packets_total").await;
    let live_cpu = (cpu_b - cpu_a) / window;
    let pps = (sent_b - sent_a) as f64 / window;
    println!(
        "  media: {pps:.0} packets/s ({:.0} per session); {sent_total:.0} sent, {recv_total:.0} received by the SRS, loss {:.3}%",
        pps / sessions as f64,
        (100.0 * (1.0 - recv_total / sent_total.max(1.0))).max(0.0)
    );
    println!(
        "  server CPU while recording: {:.2} cores = {:.3}% of a core per session, {:.1} us per packet; RSS {} MiB -> {} MiB = {:.1} KiB per session",
        live_cpu,
        100.0 * live_cpu / sessions as f64,
        1e6 * live_cpu / pps.max(1.0),
        rss0 / 1024,
        rss1 / 1024,
        (rss1.saturating_sub(rss0)) as f64 / sessions as f64
    );

    // Teardown: BYE everything, then wait until every recording is stored.
    let total_recorded_secs = answered.len() as f64 * (hold_secs as f64 + 2.0);
    let cpu_c = cpu_secs(pid);
    let t_c = Instant::now();
    let local = sock.local_addr()?;
    sock.set_nonblocking(false)?;
    for (i, a) in &answered {
        sock.send_to(in_dialog("BYE", local, *i, &a.to, 2).as_bytes(), srs)?;
        tokio::time::sleep(Duration::from_secs_f64(1.0 / rate.max(1.0) / 4.0)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let done =
            metric(&client, &server.url, "callvault_sip_sessions_total{outcome=\"recorded\"}")
                .await;
        let failed =
            metric(&client, &server.url, "callvault_sip_sessions_total{outcome=\"failed\"}").await;
        if done + failed >= answered.len() as f64 {
            if failed > 0.0 {
                println!("  {failed} sessions failed to store");
            }
            break;
        }
        if Instant::now() > deadline {
            bail!("recordings not stored after 30 minutes ({done} of {})", answered.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain = t_c.elapsed().as_secs_f64();
    let render_cpu = cpu_secs(pid) - cpu_c;
    let per_call_second = render_cpu / total_recorded_secs;
    println!(
        "  after BYE: {} recordings rendered (stereo Opus) and stored in {drain:.1} s, {:.1}/s; \
         {render_cpu:.1} CPU-s = {:.2} ms per second of call",
        answered.len(),
        answered.len() as f64 / drain,
        1000.0 * per_call_second
    );
    // Steady state for calls of `call_minutes`: each live call costs its
    // media CPU, and each second of call must be rendered once.
    // Per call at its full 100 packets/s (2 streams x 50), whatever rate the
    // generator reached.
    let media_per_call = live_cpu / pps.max(1.0) * 100.0;
    let sustainable = cores as f64 / (media_per_call + per_call_second);
    println!(
        "  sustained for good on {cores} cores (live media + render + store, any call length): {sustainable:.0} concurrent calls (target >= 1000); \
         {:.0} calls/hour of {call_minutes} min",
        sustainable * 60.0 / call_minutes.max(0.1)
    );
    println!("  peak server RSS: {} MiB", server.peak_rss_kib().unwrap_or(0) / 1024);
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
