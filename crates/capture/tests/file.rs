//! Capture file reading: pcap in both byte orders and precisions, pcapng
//! with several interfaces, gzip, truncation and corruption.

use std::io::{Cursor, Write};

use callvault_capture::{
    CaptureDemux, CaptureReader, Event, FileFormat, LinkType, PcapWriter, Precision, Timestamp,
};

/// Reads every frame: (ts nanos, link type, interface, data), then the
/// final result.
#[allow(clippy::type_complexity)]
fn read_all(bytes: &[u8]) -> (Vec<(u64, u16, u32, Vec<u8>)>, Result<(), String>) {
    let mut frames = Vec::new();
    let mut reader = match CaptureReader::new(Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (frames, Err(e.to_string())),
    };
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => {
                frames.push((f.ts.as_nanos(), f.link_type.0, f.interface, f.data.to_vec()))
            }
            Ok(None) => return (frames, Ok(())),
            Err(e) => return (frames, Err(e.to_string())),
        }
    }
}

fn sample_pcap(precision: Precision) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, precision).unwrap();
    w.write_frame(Timestamp::from_secs_nanos(1_700_000_000, 123_456_789), b"\x45first").unwrap();
    w.write_frame(Timestamp::from_secs_nanos(1_700_000_001, 5), b"\x45second!").unwrap();
    w.into_inner().unwrap()
}

#[test]
fn pcap_round_trip_micro_and_nano() {
    let (frames, end) = read_all(&sample_pcap(Precision::Micro));
    assert_eq!(end, Ok(()));
    assert_eq!(
        frames,
        [
            (1_700_000_000_123_456_000, 101, 0, b"\x45first".to_vec()),
            (1_700_000_001_000_000_000, 101, 0, b"\x45second!".to_vec())
        ]
    );
    let (frames, _) = read_all(&sample_pcap(Precision::Nano));
    assert_eq!(frames[0].0, 1_700_000_000_123_456_789);
    assert_eq!(frames[1].0, 1_700_000_001_000_000_005);
}

/// Re-encodes a little-endian pcap from our writer in big-endian order.
fn to_big_endian(le: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let sw32 = |b: &[u8]| [b[3], b[2], b[1], b[0]];
    out.extend_from_slice(&sw32(&le[0..4]));
    out.extend_from_slice(&[le[5], le[4], le[7], le[6]]);
    for i in 0..4 {
        out.extend_from_slice(&sw32(&le[8 + 4 * i..12 + 4 * i]));
    }
    let mut at = 24;
    while at < le.len() {
        for i in 0..4 {
            out.extend_from_slice(&sw32(&le[at + 4 * i..at + 4 + 4 * i]));
        }
        let len = u32::from_le_bytes(le[at + 8..at + 12].try_into().unwrap()) as usize;
        out.extend_from_slice(&le[at + 16..at + 16 + len]);
        at += 16 + len;
    }
    out
}

#[test]
fn pcap_big_endian_reads_the_same() {
    for p in [Precision::Micro, Precision::Nano] {
        let le = sample_pcap(p);
        assert_eq!(read_all(&to_big_endian(&le)), read_all(&le));
    }
}

#[test]
fn gzip_compressed_pcap() {
    let plain = sample_pcap(Precision::Nano);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(read_all(&gz), read_all(&plain));
    assert_eq!(read_all(&gz).0.len(), 2);
}

/// A pcapng writer for tests, in either byte order.
struct Ng {
    be: bool,
    out: Vec<u8>,
}

impl Ng {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be { v.to_be_bytes() } else { v.to_le_bytes() }
    }
    fn block(&mut self, btype: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let total = body.len() as u32 + 12;
        let (t, l) = (self.u32(btype), self.u32(total));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&body);
        self.out.extend_from_slice(&l);
    }
    fn shb(&mut self) {
        let mut b = self.u32(0x1a2b_3c4d).to_vec();
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]); // section length unknown
        self.block(0x0a0d_0d0a, &b);
    }
    fn idb(&mut self, link: u16, tsresol: Option<u8>) {
        let mut b = self.u16(link).to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&self.u32(65535));
        if let Some(r) = tsresol {
            b.extend_from_slice(&self.u16(9));
            b.extend_from_slice(&self.u16(1));
            b.extend_from_slice(&[r, 0, 0, 0]);
        }
        b.extend_from_slice(&self.u32(0)); // opt_endofopt
        self.block(1, &b);
    }
    fn epb(&mut self, iface: u32, ticks: u64, data: &[u8]) {
        let mut b = self.u32(iface).to_vec();
        b.extend_from_slice(&self.u32((ticks >> 32) as u32));
        b.extend_from_slice(&self.u32(ticks as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(6, &b);
    }
    fn spb(&mut self, data: &[u8]) {
        let mut b = self.u32(data.len() as u32).to_vec();
        b.extend_from_slice(data);
        self.block(3, &b);
    }
}

fn sample_ng(be: bool) -> Vec<u8> {
    let mut ng = Ng { be, out: Vec::new() };
    ng.shb();
    ng.idb(1, None); // Ethernet, microseconds
    ng.idb(113, Some(9)); // SLL, nanoseconds
    ng.block(4, &[1, 2, 3, 4]); // name resolution block: skipped
    ng.epb(0, 1_700_000_000_000_001, b"eth-frame");
    ng.epb(1, 1_700_000_000_000_000_002, b"sll-frame!");
    ng.spb(b"simple");
    // a second section with a binary-resolution interface (2^-10 s)
    ng.shb();
    ng.idb(101, Some(0x80 | 10));
    ng.epb(0, 1024 * 3 + 512, b"raw");
    ng.out
}

#[test]
fn pcapng_interfaces_resolutions_and_sections_in_both_byte_orders() {
    for be in [false, true] {
        let bytes = sample_ng(be);
        let mut reader = CaptureReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(reader.format(), FileFormat::PcapNg);
        let mut got = Vec::new();
        while let Some(f) = reader.next_frame().unwrap() {
            got.push((
                f.ts.as_nanos(),
                f.link_type.0,
                f.interface,
                String::from_utf8_lossy(f.data).into_owned(),
            ));
        }
        assert_eq!(
            got,
            [
                (1_700_000_000_000_001_000, 1, 0, "eth-frame".into()),
                (1_700_000_000_000_000_002, 113, 1, "sll-frame!".into()),
                // SPB: interface 0, time of the previous frame
                (1_700_000_000_000_000_002, 1, 0, "simple".into()),
                (3_500_000_000, 101, 0, "raw".into()),
            ],
            "big endian: {be}"
        );
        assert_eq!(reader.stats().skipped_blocks, 1);
    }
}

#[test]
fn every_truncation_of_a_file_ends_cleanly() {
    for bytes in [sample_pcap(Precision::Micro), sample_ng(false), sample_ng(true)] {
        let (all, end) = read_all(&bytes);
        assert_eq!(end, Ok(()));
        for cut in 0..bytes.len() {
            let (frames, end) = read_all(&bytes[..cut]);
            // whatever was read is a prefix of the real frames
            assert!(frames.len() <= all.len());
            assert_eq!(frames[..], all[..frames.len()]);
            if let Err(e) = end {
                assert!(e.contains("truncated"), "cut {cut}: {e}");
            }
        }
    }
}

#[test]
fn corrupt_headers_are_clear_errors() {
    let (_, end) = read_all(b"GIF89a....");
    assert!(end.unwrap_err().starts_with("not a pcap or pcapng file"));
    let mut huge = sample_pcap(Precision::Micro);
    huge[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let (frames, end) = read_all(&huge);
    assert!(frames.is_empty());
    assert!(end.unwrap_err().contains("exceeds the limit"));
    let mut ng = sample_ng(false);
    // the first IDB (after the 28-byte SHB) gets a length that is not a
    // multiple of 4
    ng[28 + 4] = 0x11;
    assert!(read_all(&ng).1.unwrap_err().starts_with("malformed block length"));
}

#[test]
fn epb_for_an_unknown_interface_is_skipped_and_counted() {
    let mut ng = Ng { be: false, out: Vec::new() };
    ng.shb();
    ng.idb(1, None);
    ng.epb(7, 1, b"nobody");
    ng.epb(0, 2, b"ok");
    let mut reader = CaptureReader::new(Cursor::new(ng.out)).unwrap();
    assert_eq!(reader.next_frame().unwrap().unwrap().data, b"ok");
    assert!(reader.next_frame().unwrap().is_none());
    assert_eq!(reader.stats().bad_blocks, 1);
}

#[test]
fn g711a_fixture_yields_parsable_rtp() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/g711a-rtp.pcap");
    let file = std::fs::File::open(path).expect("tests/data/g711a-rtp.pcap");
    let mut reader = CaptureReader::new(file).unwrap();
    let mut demux = CaptureDemux::default();
    while let Some(frame) = reader.next_frame().unwrap() {
        demux.push(&frame);
    }
    let (mut rtp, mut pcma, mut other) = (0, 0, 0);
    while let Some(ev) = demux.poll_event() {
        match ev {
            Event::Udp { payload, .. } => match callvault_rtp::RtpPacket::parse(&payload) {
                Ok(p) => {
                    rtp += 1;
                    pcma += usize::from(p.payload_type == 8);
                }
                Err(_) => other += 1,
            },
            Event::Sip { .. } => other += 1,
        }
    }
    let s = demux.stats();
    assert!(rtp > 0, "{s:?}");
    assert_eq!(other, 0, "{s:?}");
    assert_eq!(pcma, rtp);
    assert_eq!(s.udp as usize, rtp);
    assert_eq!(s.frames, reader.stats().frames);
}

/// A reader that hands out one byte per call.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn short_reads_give_the_same_frames() {
    for bytes in [sample_pcap(Precision::Nano), sample_ng(true)] {
        let mut reader = CaptureReader::new(Trickle(&bytes)).unwrap();
        let mut n = 0;
        while let Some(f) = reader.next_frame().unwrap() {
            assert_eq!(f.data, read_all(&bytes).0[n].3);
            n += 1;
        }
        assert_eq!(n, read_all(&bytes).0.len());
    }
}

#[test]
fn a_written_call_capture_replays_through_reader_and_demux() {
    use callvault_capture::synth::{self, Encap};
    use callvault_capture::tcp::TcpFlags;
    let (ua, pbx) = ("10.0.0.1:40001".parse().unwrap(), "10.0.0.2:5060".parse().unwrap());
    let invite = b"INVITE sip:200@pbx SIP/2.0\r\nCall-ID: w1\r\nContent-Length: 0\r\n\r\n";
    let ok = b"SIP/2.0 200 OK\r\nCall-ID: w1\r\nContent-Length: 0\r\n\r\n";
    let (ra, rb) = ("10.0.0.1:16000".parse().unwrap(), "10.0.0.2:20000".parse().unwrap());
    let t0 = Timestamp::from_secs_nanos(1_700_000_000, 0);
    let at = |ms: u64| Timestamp::from_nanos(t0.as_nanos() + ms * 1_000_000);
    let mut w = PcapWriter::new(Vec::new(), LinkType::LINUX_SLL2, Precision::Nano).unwrap();
    let syn = TcpFlags { syn: true, ..Default::default() };
    let put = |w: &mut PcapWriter<Vec<u8>>, ms, ip: Vec<u8>| {
        w.write_frame(at(ms), &synth::wrap(Encap::Sll2, &ip).1).unwrap()
    };
    put(&mut w, 0, synth::tcp_packet(ua, pbx, 10, syn, &[]));
    put(&mut w, 1, synth::tcp_packet(pbx, ua, 500, syn, &[]));
    put(&mut w, 2, synth::tcp_packet(ua, pbx, 11, TcpFlags::default(), invite));
    put(&mut w, 3, synth::tcp_packet(pbx, ua, 501, TcpFlags::default(), ok));
    for i in 0..10u16 {
        let rtp = synth::rtp(8, i, u32::from(i) * 160, 7, &[0xd5; 160]);
        put(&mut w, 20 + u64::from(i) * 20, synth::udp_packet(ra, rb, &rtp));
    }
    let bytes = w.into_inner().unwrap();
    let mut reader = CaptureReader::new(Cursor::new(bytes)).unwrap();
    let mut demux = CaptureDemux::default();
    while let Some(f) = reader.next_frame().unwrap() {
        demux.push(&f);
    }
    let events: Vec<Event> = std::iter::from_fn(|| demux.poll_event()).collect();
    assert_eq!(events.len(), 12);
    assert!(
        matches!(&events[0], Event::Sip { message, ts, .. } if message == invite && *ts == at(2))
    );
    assert!(matches!(&events[1], Event::Sip { message, src, .. } if message == ok && *src == pbx));
    for (i, e) in events[2..].iter().enumerate() {
        let Event::Udp { payload, ts, src, .. } = e else { panic!("not udp: {e:?}") };
        assert_eq!((*src, *ts), (ra, at(20 + i as u64 * 20)));
        assert_eq!(callvault_rtp::RtpPacket::parse(payload).unwrap().sequence, i as u16);
    }
}

#[test]
fn kuznetzov_pcap_records_have_longer_headers() {
    let std = sample_pcap(Precision::Micro);
    let mut k = std[..24].to_vec();
    k[0..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    let mut at = 24;
    while at < std.len() {
        let len = u32::from_le_bytes(std[at + 8..at + 12].try_into().unwrap()) as usize;
        k.extend_from_slice(&std[at..at + 16]);
        k.extend_from_slice(&[0xee; 8]); // ifindex, protocol, pkt_type, pad
        k.extend_from_slice(&std[at + 16..at + 16 + len]);
        at += 16 + len;
    }
    assert_eq!(read_all(&k), read_all(&std));
}
