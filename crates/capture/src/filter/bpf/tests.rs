//! The compiled program, run by a small classic-BPF interpreter over built
//! packets, against the user-space filter on the same bytes.

use super::*;
use crate::link::LinkType;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Runs `prog` as the kernel would on a `SOCK_DGRAM` packet socket:
/// `pkt` from the network header on, `ethertype` for `SKF_AD_PROTOCOL`.
/// Returns the bytes to keep (0: dropped). A load past the end drops, as
/// in the kernel.
fn run(prog: &[BpfInsn], ethertype: u16, pkt: &[u8]) -> u32 {
    let load = |at: u32, size: usize| -> Option<u32> {
        let at = usize::try_from(at).ok()?;
        let b = pkt.get(at..at.checked_add(size)?)?;
        Some(b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
    };
    let (mut a, mut x, mut m) = (0u32, 0u32, [0u32; 16]);
    let mut pc = 0usize;
    loop {
        let i = *prog.get(pc).expect("the program runs off its end");
        pc += 1;
        let jump = |cond: bool| usize::from(if cond { i.jt } else { i.jf });
        match i.code {
            LD_H_ABS if i.k == AD_PROTOCOL => a = u32::from(ethertype),
            LD_W_ABS | LD_H_ABS | LD_B_ABS => {
                let size = match i.code {
                    LD_W_ABS => 4,
                    LD_H_ABS => 2,
                    _ => 1,
                };
                match load(i.k, size) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            LD_H_IND => match load(x.wrapping_add(i.k), 2) {
                Some(v) => a = v,
                None => return 0,
            },
            LD_IMM => a = i.k,
            LD_MEM => a = m[i.k as usize],
            LDX_B_MSH => match load(i.k, 1) {
                Some(v) => x = 4 * (v & 0xf),
                None => return 0,
            },
            ST => m[i.k as usize] = a,
            AND_K => a &= i.k,
            JA => pc += i.k as usize,
            JEQ_K => pc += jump(a == i.k),
            JGT_K => pc += jump(a > i.k),
            JGE_K => pc += jump(a >= i.k),
            JSET_K => pc += jump(a & i.k != 0),
            RET_K => return i.k,
            other => panic!("opcode {other:#x} is not emitted by the compiler"),
        }
    }
}

/// What the kernel checks before it takes a classic program
/// (`bpf_check_classic`): jumps inside the program, a return at the end,
/// and no scratch slot loaded on a path that has not stored it.
fn kernel_would_take(prog: &[BpfInsn]) -> Result<(), String> {
    if prog.is_empty() || prog.len() > 4096 {
        return Err(format!("{} instructions", prog.len()));
    }
    if prog.last().map(|i| i.code) != Some(RET_K) {
        return Err("no return at the end".into());
    }
    let mut masks = vec![u16::MAX; prog.len()];
    let mut valid = 0u16;
    for (pc, i) in prog.iter().enumerate() {
        valid &= masks[pc];
        let target = |off: usize| {
            let t = pc + 1 + off;
            if t < prog.len() { Ok(t) } else { Err(format!("jump past the end at {pc}")) }
        };
        match i.code {
            ST => valid |= 1 << i.k,
            LD_MEM if valid & (1 << i.k) == 0 => {
                return Err(format!("slot {} loaded at {pc} before a store", i.k));
            }
            JA => {
                masks[target(i.k as usize)?] &= valid;
                valid = u16::MAX;
            }
            JEQ_K | JGT_K | JGE_K | JSET_K => {
                masks[target(usize::from(i.jt))?] &= valid;
                masks[target(usize::from(i.jf))?] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frag {
    None,
    First,
    Later,
}

#[derive(Debug, Clone)]
struct Pkt {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    sport: u16,
    dport: u16,
    frag: Frag,
    /// IPv6 only: a hop-by-hop header before everything else.
    hop_by_hop: bool,
}

impl Pkt {
    fn l4(&self) -> Vec<u8> {
        let mut l4 = Vec::new();
        match self.proto {
            17 => {
                l4.extend_from_slice(&self.sport.to_be_bytes());
                l4.extend_from_slice(&self.dport.to_be_bytes());
                l4.extend_from_slice(&16u16.to_be_bytes());
                l4.extend_from_slice(&[0, 0]);
                l4.extend_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 2]);
            }
            6 => {
                l4.extend_from_slice(&self.sport.to_be_bytes());
                l4.extend_from_slice(&self.dport.to_be_bytes());
                l4.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
            }
            _ => l4.extend_from_slice(&[8, 0, 0, 0, 0, 1, 0, 1]),
        }
        if self.frag == Frag::Later {
            // A later fragment carries payload bytes, not a header.
            l4.iter_mut().for_each(|b| *b = 0xee);
        }
        l4
    }

    /// The packet from its network header on, and its EtherType.
    fn bytes(&self) -> (u16, Vec<u8>) {
        let l4 = self.l4();
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let flags_offset: u16 = match self.frag {
                    Frag::None => 0x4000, // DF
                    Frag::First => 0x2000,
                    Frag::Later => 185,
                };
                let mut p = vec![0x45, 0];
                p.extend_from_slice(&(20 + l4.len() as u16).to_be_bytes());
                p.extend_from_slice(&[0x12, 0x34]);
                p.extend_from_slice(&flags_offset.to_be_bytes());
                p.extend_from_slice(&[64, self.proto, 0, 0]);
                p.extend_from_slice(&s.octets());
                p.extend_from_slice(&d.octets());
                p.extend_from_slice(&l4);
                (0x0800, p)
            }
            (s, d) => {
                let v6 = |a: IpAddr| match a {
                    IpAddr::V6(a) => a,
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                };
                let mut ext = Vec::new();
                let mut first = self.proto;
                if self.frag != Frag::None {
                    let off: u16 = if self.frag == Frag::Later { 185 << 3 } else { 1 };
                    let mut h = vec![first, 0];
                    h.extend_from_slice(&off.to_be_bytes());
                    h.extend_from_slice(&[0, 0, 0, 7]);
                    ext = h;
                    first = 44;
                }
                if self.hop_by_hop {
                    let mut h = vec![first, 0, 1, 4, 0, 0, 0, 0];
                    h.extend_from_slice(&ext);
                    ext = h;
                    first = 0;
                }
                let mut p = vec![0x60, 0, 0, 0];
                p.extend_from_slice(&((ext.len() + l4.len()) as u16).to_be_bytes());
                p.extend_from_slice(&[first, 64]);
                p.extend_from_slice(&v6(s).octets());
                p.extend_from_slice(&v6(d).octets());
                p.extend_from_slice(&ext);
                p.extend_from_slice(&l4);
                (0x86dd, p)
            }
        }
    }
}

const V4: [Ipv4Addr; 3] =
    [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(192, 168, 1, 5)];
const V6: [&str; 3] = ["2001:db8::1", "2001:db8::2", "::ffff:10.0.0.1"];
const PORTS: [u16; 4] = [5060, 5061, 10000, 20000];

fn pkt() -> impl Strategy<Value = Pkt> {
    (
        any::<bool>(),
        0..3usize,
        0..3usize,
        prop_oneof![Just(17u8), Just(6u8), Just(1u8)],
        0..4usize,
        0..4usize,
        prop_oneof![Just(Frag::None), Just(Frag::None), Just(Frag::First), Just(Frag::Later)],
        prop_oneof![Just(false), Just(false), Just(true)],
    )
        .prop_map(|(v6, s, d, proto, sp, dp, frag, hbh)| {
            let addr = |i: usize| -> IpAddr {
                if v6 { IpAddr::V6(V6[i].parse::<Ipv6Addr>().unwrap()) } else { IpAddr::V4(V4[i]) }
            };
            Pkt {
                src: addr(s),
                dst: addr(d),
                proto,
                sport: PORTS[sp],
                dport: PORTS[dp],
                frag,
                hop_by_hop: v6 && hbh,
            }
        })
}

fn primitive() -> impl Strategy<Value = String> {
    let dir = prop_oneof![Just(""), Just("src "), Just("dst ")];
    let proto = prop_oneof![Just(""), Just("udp "), Just("tcp ")];
    prop_oneof![
        Just("ip".to_owned()),
        Just("ip6".to_owned()),
        Just("udp".to_owned()),
        Just("tcp".to_owned()),
        (proto.clone(), dir.clone(), 0..4usize)
            .prop_map(|(p, d, i)| format!("{p}{d}port {}", PORTS[i])),
        (proto, dir.clone(), 0..4usize, 0..4usize).prop_map(|(p, d, i, j)| {
            let (lo, hi) = (PORTS[i].min(PORTS[j]), PORTS[i].max(PORTS[j]));
            format!("{p}{d}portrange {lo}-{hi}")
        }),
        (dir.clone(), 0..6usize).prop_map(|(d, i)| {
            let a = if i < 3 { V4[i].to_string() } else { V6[i - 3].to_owned() };
            format!("{d}host {a}")
        }),
        (
            dir,
            prop_oneof![
                Just("10.0.0.0/8"),
                Just("10.0.0.0/31"),
                Just("192.168.0.0/16"),
                Just("0.0.0.0/0"),
                Just("2001:db8::/32"),
                Just("2001:db8::/127"),
                Just("2001:db8::2/128"),
                Just("::/0"),
            ]
        )
            .prop_map(|(d, n)| format!("{d}net {n}")),
    ]
}

fn filter_text() -> impl Strategy<Value = String> {
    primitive().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("not ({e})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a}) or ({b})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Whatever the user-space filter keeps of UDP and TCP, the kernel
    /// keeps; where the kernel can see everything the filter looks at
    /// (no later fragment, no extension header) it keeps exactly that;
    /// other protocols it drops.
    #[test]
    fn kernel_program_keeps_a_superset_exact_where_it_can_see(text in filter_text(), p in pkt()) {
        let filter = CaptureFilter::parse(&text).unwrap();
        let prog = filter.kernel_program();
        prop_assert_eq!(kernel_would_take(&prog), Ok(()), "{}", text);
        let (ethertype, bytes) = p.bytes();
        let user = filter.matches(LinkType::RAW, &bytes);
        let kernel = run(&prog, ethertype, &bytes) != 0;
        let usable = p.proto == 17 || p.proto == 6;
        if !usable {
            prop_assert!(!kernel || p.hop_by_hop, "{text}: {p:?} is not UDP or TCP");
        } else if user {
            prop_assert!(kernel, "{text}: kept by the filter, dropped by the kernel: {p:?}");
        }
        let visible = usable && p.frag != Frag::Later && !p.hop_by_hop;
        if visible {
            prop_assert_eq!(kernel, user, "{}: {:?}", text, p);
        }
    }
}

#[test]
fn empty_filter_keeps_udp_and_tcp_over_both_families_only() {
    let prog = CaptureFilter::default().kernel_program();
    assert_eq!(kernel_would_take(&prog), Ok(()));
    let base = Pkt {
        src: IpAddr::V4(V4[0]),
        dst: IpAddr::V4(V4[1]),
        proto: 17,
        sport: 5060,
        dport: 5060,
        frag: Frag::None,
        hop_by_hop: false,
    };
    let keep = |p: &Pkt| {
        let (e, b) = p.bytes();
        run(&prog, e, &b) != 0
    };
    assert!(keep(&base));
    assert!(keep(&Pkt { proto: 6, ..base.clone() }));
    assert!(!keep(&Pkt { proto: 1, ..base.clone() }), "ICMP");
    let v6 = Pkt {
        src: IpAddr::V6("2001:db8::1".parse().unwrap()),
        dst: IpAddr::V6("2001:db8::2".parse().unwrap()),
        ..base.clone()
    };
    assert!(keep(&v6));
    assert!(keep(&Pkt { frag: Frag::Later, ..v6.clone() }));
    assert!(!keep(&Pkt { proto: 58, ..v6.clone() }), "ICMPv6");
    let (_, bytes) = base.bytes();
    assert_eq!(run(&prog, 0x0806, &bytes), 0, "ARP");
    assert_ne!(run(&prog, 0x8100, &bytes), 0, "a VLAN tag the NIC left: user space decides");
}

#[test]
fn udp_port_5060_keeps_sip_and_drops_rtp() {
    let prog = CaptureFilter::parse("udp port 5060").unwrap().kernel_program();
    let sip = Pkt {
        src: IpAddr::V4(V4[0]),
        dst: IpAddr::V4(V4[1]),
        proto: 17,
        sport: 40000,
        dport: 5060,
        frag: Frag::None,
        hop_by_hop: false,
    };
    let (e, b) = sip.bytes();
    assert_eq!(run(&prog, e, &b), SNAP);
    let (e, b) = Pkt { dport: 20000, ..sip.clone() }.bytes();
    assert_eq!(run(&prog, e, &b), 0);
    // The tail of a fragmented INVITE has no ports: kept for reassembly.
    let (e, b) = Pkt { dport: 20000, frag: Frag::Later, ..sip }.bytes();
    assert_eq!(run(&prog, e, &b), SNAP);
}

#[test]
fn a_filter_too_long_for_8_bit_jumps_falls_back_to_the_prefilter() {
    let text = (0..200).map(|i| format!("port {}", 10_000 + i)).collect::<Vec<_>>().join(" or ");
    let filter = CaptureFilter::parse(&text).unwrap();
    assert!(program(filter.root.as_ref()).is_none(), "the expression does not fit");
    assert_eq!(filter.kernel_program(), CaptureFilter::default().kernel_program());
}
