//! A [`CaptureFilter`] compiled to classic BPF, for the kernel to run on
//! a live `AF_PACKET`/`SOCK_DGRAM` socket before anything is copied to us.
//!
//! The program sees what a `SOCK_DGRAM` packet socket's filter sees: the
//! packet from its network header on, and the EtherType through the
//! ancillary load `SKF_AD_PROTOCOL`. It keeps a **superset** of what the
//! capture can use and the filter keeps:
//!
//! - only IPv4 and IPv6 carrying UDP or TCP go through (the demux decodes
//!   nothing else), plus what cannot be judged here and is left to user
//!   space: frames still VLAN-tagged, IPv6 behind extension headers other
//!   than a single fragment header;
//! - the user's expression is then evaluated exactly, with one widening: a
//!   port primitive on a non-first fragment (ports unknown) accepts the
//!   packet outright, where the user-space filter applies three-valued
//!   logic. User space still runs the exact filter on what the kernel let
//!   through, so the result is the same, only cheaper.
//!
//! An expression too long for classic BPF's 8-bit conditional jumps is
//! left out of the program: the kernel then runs only the UDP/TCP
//! prefilter and user space the whole filter.

use super::{CaptureFilter, Dir, Node};
use std::net::IpAddr;

/// One classic BPF instruction, as the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/bpf_common.h): class | size | mode, or class | op | src.
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const LD_H_IND: u16 = 0x48;
const LD_IMM: u16 = 0x00;
const LD_MEM: u16 = 0x60;
const LDX_B_MSH: u16 = 0xb1;
const ST: u16 = 0x02;
const AND_K: u16 = 0x54;
const JA: u16 = 0x05;
const JEQ_K: u16 = 0x15;
const JGT_K: u16 = 0x25;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

/// `SKF_AD_OFF + SKF_AD_PROTOCOL`: the packet's EtherType, host order.
const AD_PROTOCOL: u32 = 0xffff_f000;
/// Bytes kept of an accepted packet: all of any packet a NIC hands up.
const SNAP: u32 = 0x0004_0000;

// Scratch memory slots the preamble fills for the expression.
const M_FAMILY: u32 = 0;
const M_PROTO: u32 = 1;
const M_LATER_FRAGMENT: u32 = 2;
const M_SPORT: u32 = 3;
const M_DPORT: u32 = 4;

const ETH_IPV4: u32 = 0x0800;
const ETH_IPV6: u32 = 0x86dd;
const ETH_VLAN: [u32; 3] = [0x8100, 0x88a8, 0x9100];
const UDP: u32 = 17;
const TCP: u32 = 6;
const V6_FRAGMENT: u32 = 44;
/// IPv6 extension headers a UDP or TCP header may hide behind.
const V6_EXTENSIONS: [u32; 7] = [0, 43, 51, 60, 135, 139, 140];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label(usize);

enum Op {
    Stmt(u16, u32),
    Jump { code: u16, k: u32, t: Label, f: Label },
    Ja(Label),
    Mark(Label),
}

#[derive(Default)]
struct Asm {
    ops: Vec<Op>,
    labels: usize,
}

impl Asm {
    fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    fn mark(&mut self, l: Label) {
        self.ops.push(Op::Mark(l));
    }

    fn stmt(&mut self, code: u16, k: u32) {
        self.ops.push(Op::Stmt(code, k));
    }

    fn jump(&mut self, code: u16, k: u32, t: Label, f: Label) {
        self.ops.push(Op::Jump { code, k, t, f });
    }

    fn ja(&mut self, l: Label) {
        self.ops.push(Op::Ja(l));
    }

    /// `A == k` for any of `ks` goes to `t`, else on.
    fn any_of(&mut self, ks: &[u32], t: Label) {
        for &k in ks {
            let next = self.label();
            self.jump(JEQ_K, k, t, next);
            self.mark(next);
        }
    }

    /// Resolves labels; `None` when a jump is backwards or, for a
    /// conditional one, farther than 255 instructions.
    fn assemble(self) -> Option<Vec<BpfInsn>> {
        let mut at = vec![usize::MAX; self.labels];
        let mut n = 0usize;
        for op in &self.ops {
            match op {
                Op::Mark(l) => at[l.0] = n,
                _ => n += 1,
            }
        }
        let mut out = Vec::with_capacity(n);
        for op in &self.ops {
            let here = out.len();
            let rel = |l: &Label| at[l.0].checked_sub(here + 1);
            let insn = match op {
                Op::Mark(_) => continue,
                Op::Stmt(code, k) => BpfInsn { code: *code, jt: 0, jf: 0, k: *k },
                Op::Ja(l) => BpfInsn { code: JA, jt: 0, jf: 0, k: u32::try_from(rel(l)?).ok()? },
                Op::Jump { code, k, t, f } => BpfInsn {
                    code: *code,
                    jt: u8::try_from(rel(t)?).ok()?,
                    jf: u8::try_from(rel(f)?).ok()?,
                    k: *k,
                },
            };
            out.push(insn);
        }
        // BPF_MAXINSNS.
        (out.len() <= 4096).then_some(out)
    }
}

impl CaptureFilter {
    /// The classic BPF program for a live `SOCK_DGRAM` packet socket
    /// (see the module documentation): a superset of what this filter and
    /// the demux keep. Always a valid program; when the expression cannot
    /// be compiled it is the UDP/TCP prefilter alone.
    pub fn kernel_program(&self) -> Vec<BpfInsn> {
        if let Some(root) = &self.root
            && let Some(p) = program(Some(root))
        {
            return p;
        }
        program(None).unwrap_or_default()
    }
}

/// Preamble, then `root` (or accept), then the two returns.
fn program(root: Option<&Node>) -> Option<Vec<BpfInsn>> {
    let mut a = Asm::default();
    let (accept, drop) = (a.label(), a.label());
    let (v4, v6, body) = (a.label(), a.label(), a.label());

    a.stmt(LD_H_ABS, AD_PROTOCOL);
    let next = a.label();
    a.jump(JEQ_K, ETH_IPV4, v4, next);
    a.mark(next);
    let next = a.label();
    a.jump(JEQ_K, ETH_IPV6, v6, next);
    a.mark(next);
    // A tag the NIC did not strip: user space peels it.
    a.any_of(&ETH_VLAN, accept);
    a.ja(drop);

    // IPv4: UDP or TCP only; every fragment carries the protocol.
    a.mark(v4);
    a.stmt(LD_B_ABS, 9);
    let v4_ours = a.label();
    a.any_of(&[UDP, TCP], v4_ours);
    a.ja(drop);
    a.mark(v4_ours);
    a.stmt(ST, M_PROTO);
    a.stmt(LD_IMM, 4);
    a.stmt(ST, M_FAMILY);
    a.stmt(LD_H_ABS, 6);
    let (v4_later, v4_first) = (a.label(), a.label());
    a.jump(JSET_K, 0x1fff, v4_later, v4_first);
    a.mark(v4_later);
    later_fragment(&mut a, body);
    a.mark(v4_first);
    a.stmt(LDX_B_MSH, 0);
    ports_at(&mut a, LD_H_IND, 0, body);

    // IPv6: UDP or TCP right after the fixed header or one fragment header.
    a.mark(v6);
    a.stmt(LD_IMM, 6);
    a.stmt(ST, M_FAMILY);
    a.stmt(LD_B_ABS, 6);
    let (v6_plain, v6_frag) = (a.label(), a.label());
    a.any_of(&[UDP, TCP], v6_plain);
    let next = a.label();
    a.jump(JEQ_K, V6_FRAGMENT, v6_frag, next);
    a.mark(next);
    a.any_of(&V6_EXTENSIONS, accept);
    a.ja(drop);
    a.mark(v6_plain);
    a.stmt(ST, M_PROTO);
    ports_at(&mut a, LD_H_ABS, 40, body);
    a.mark(v6_frag);
    a.stmt(LD_B_ABS, 40);
    let frag_ours = a.label();
    a.any_of(&[UDP, TCP], frag_ours);
    // More extension headers after the fragment header: user space.
    a.any_of(&V6_EXTENSIONS, accept);
    a.ja(drop);
    a.mark(frag_ours);
    a.stmt(ST, M_PROTO);
    a.stmt(LD_H_ABS, 42);
    let (v6_later, v6_first) = (a.label(), a.label());
    a.jump(JSET_K, 0xfff8, v6_later, v6_first);
    a.mark(v6_later);
    later_fragment(&mut a, body);
    a.mark(v6_first);
    ports_at(&mut a, LD_H_ABS, 48, body);

    a.mark(body);
    match root {
        Some(n) => expr(&mut a, n, accept, drop, accept),
        None => a.ja(accept),
    }
    a.mark(accept);
    a.stmt(RET_K, SNAP);
    a.mark(drop);
    a.stmt(RET_K, 0);
    a.assemble()
}

/// A packet with its UDP/TCP header: the ports are the two halfwords at
/// `at` (loaded with `load`, absolute or past the IPv4 header in X).
fn ports_at(a: &mut Asm, load: u16, at: u32, body: Label) {
    a.stmt(LD_IMM, 0);
    a.stmt(ST, M_LATER_FRAGMENT);
    a.stmt(load, at);
    a.stmt(ST, M_SPORT);
    a.stmt(load, at + 2);
    a.stmt(ST, M_DPORT);
    a.ja(body);
}

/// A non-first fragment: no ports. The slots are stored anyway: the
/// kernel refuses a program that may load a slot no path has stored.
fn later_fragment(a: &mut Asm, body: Label) {
    a.stmt(LD_IMM, 0);
    a.stmt(ST, M_SPORT);
    a.stmt(ST, M_DPORT);
    a.stmt(LD_IMM, 1);
    a.stmt(ST, M_LATER_FRAGMENT);
    a.ja(body);
}

/// Jumps to `t` when `n` holds, `f` when not, `unknown` when a port
/// primitive meets a non-first fragment.
fn expr(a: &mut Asm, n: &Node, t: Label, f: Label, unknown: Label) {
    match n {
        Node::Ip4 => {
            a.stmt(LD_MEM, M_FAMILY);
            a.jump(JEQ_K, 4, t, f);
        }
        Node::Ip6 => {
            a.stmt(LD_MEM, M_FAMILY);
            a.jump(JEQ_K, 6, t, f);
        }
        Node::Proto(p) => {
            a.stmt(LD_MEM, M_PROTO);
            a.jump(JEQ_K, u32::from(*p), t, f);
        }
        Node::Ports { dir, lo, hi } => {
            let known = a.label();
            a.stmt(LD_MEM, M_LATER_FRAGMENT);
            a.jump(JEQ_K, 1, unknown, known);
            a.mark(known);
            let range = |a: &mut Asm, slot: u32, t: Label, f: Label| {
                let above_lo = a.label();
                a.stmt(LD_MEM, slot);
                a.jump(JGE_K, u32::from(*lo), above_lo, f);
                a.mark(above_lo);
                a.jump(JGT_K, u32::from(*hi), f, t);
            };
            match dir {
                Dir::Src => range(a, M_SPORT, t, f),
                Dir::Dst => range(a, M_DPORT, t, f),
                Dir::Either => {
                    let next = a.label();
                    range(a, M_SPORT, t, next);
                    a.mark(next);
                    range(a, M_DPORT, t, f);
                }
            }
        }
        Node::Net { dir, net } => {
            let side = |a: &mut Asm, src: bool, t: Label, f: Label| match net_bits(net.addr) {
                NetBits::V4(addr) => v4_net(a, src, addr, net.prefix.min(32), t, f),
                NetBits::V6(addr) => v6_net(a, src, addr, net.prefix.min(128), t, f),
            };
            match dir {
                Dir::Src => side(a, true, t, f),
                Dir::Dst => side(a, false, t, f),
                Dir::Either => {
                    let next = a.label();
                    side(a, true, t, next);
                    a.mark(next);
                    side(a, false, t, f);
                }
            }
        }
        Node::Not(x) => expr(a, x, f, t, unknown),
        Node::And(x, y) => {
            let mid = a.label();
            expr(a, x, mid, f, unknown);
            a.mark(mid);
            expr(a, y, t, f, unknown);
        }
        Node::Or(x, y) => {
            let mid = a.label();
            expr(a, x, t, mid, unknown);
            a.mark(mid);
            expr(a, y, t, f, unknown);
        }
    }
}

enum NetBits {
    V4(u32),
    V6(u128),
}

/// A network's address as [`crate::tracker::IpNet::contains`] compares it:
/// an IPv4-mapped IPv6 network is an IPv4 one.
fn net_bits(addr: IpAddr) -> NetBits {
    match addr {
        IpAddr::V4(a) => NetBits::V4(u32::from(a)),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => NetBits::V4(u32::from(v4)),
            None => NetBits::V6(u128::from(a)),
        },
    }
}

fn mask32(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// The word at `offset` masked with `mask` equals `value`: on to `t`.
fn word_is(a: &mut Asm, offset: u32, mask: u32, value: u32, t: Label, f: Label) {
    a.stmt(LD_W_ABS, offset);
    if mask != u32::MAX {
        a.stmt(AND_K, mask);
    }
    a.jump(JEQ_K, value & mask, t, f);
}

/// An IPv4 network: IPv4 packets, and IPv6 ones from or to an
/// IPv4-mapped address (as the user-space filter counts them).
fn v4_net(a: &mut Asm, src: bool, addr: u32, prefix: u8, t: Label, f: Label) {
    if prefix == 0 {
        // Everything of the IPv4 kind: both families can hold one.
        let (is4, is6) = (a.label(), a.label());
        a.stmt(LD_MEM, M_FAMILY);
        a.jump(JEQ_K, 4, is4, is6);
        a.mark(is4);
        a.ja(t);
        a.mark(is6);
        mapped_prefix(a, src, t, f);
        return;
    }
    let mask = mask32(prefix);
    let (is4, is6) = (a.label(), a.label());
    a.stmt(LD_MEM, M_FAMILY);
    a.jump(JEQ_K, 4, is4, is6);
    a.mark(is4);
    word_is(a, if src { 12 } else { 16 }, mask, addr, t, f);
    a.mark(is6);
    let last = a.label();
    mapped_prefix(a, src, last, f);
    a.mark(last);
    word_is(a, if src { 20 } else { 36 }, mask, addr, t, f);
}

/// The IPv6 address's first 96 bits are `::ffff:0:0/96`.
fn mapped_prefix(a: &mut Asm, src: bool, t: Label, f: Label) {
    let base = if src { 8 } else { 24 };
    let (w1, w2) = (a.label(), a.label());
    word_is(a, base, u32::MAX, 0, w1, f);
    a.mark(w1);
    word_is(a, base + 4, u32::MAX, 0, w2, f);
    a.mark(w2);
    word_is(a, base + 8, u32::MAX, 0xffff, t, f);
}

/// An IPv6 network: IPv6 packets whose address is not IPv4-mapped (that
/// one belongs to IPv4 networks) and has the network's prefix.
fn v6_net(a: &mut Asm, src: bool, addr: u128, prefix: u8, t: Label, f: Label) {
    let base = if src { 8 } else { 24 };
    let (is6, native) = (a.label(), a.label());
    a.stmt(LD_MEM, M_FAMILY);
    a.jump(JEQ_K, 6, is6, f);
    a.mark(is6);
    mapped_prefix(a, src, f, native);
    a.mark(native);
    for i in 0..4u32 {
        let bits = prefix.saturating_sub((i * 32) as u8).min(32);
        if bits == 0 {
            break;
        }
        let word = (addr >> (96 - 32 * i)) as u32;
        let next = a.label();
        word_is(a, base + 4 * i, mask32(bits), word, next, f);
        a.mark(next);
    }
    a.ja(t);
}

#[cfg(test)]
mod tests;
