//! Data-driven cases per format, truncation at every offset, chunked
//! feeding, junk and real files made once by sox/opusenc.

use callvault_probe::synth::{self, FlacSubframe, Noise, chunk, riff_wave, wav_fmt};
use callvault_probe::{AudioFormat, AudioInfo, ProbeError, ProbeLimits, Prober, probe_bytes};
use proptest::prelude::*;

fn info(
    format: AudioFormat,
    codec: &str,
    channels: u16,
    sample_rate: u32,
    duration_ms: u64,
) -> AudioInfo {
    AudioInfo { format, codec: codec.to_owned(), channels, sample_rate, duration_ms }
}

/// Expected outcome: the info, or the error code with a fragment of the
/// message.
enum Expect {
    Ok(AudioInfo),
    Err(&'static str, &'static str),
}

fn check(name: &str, data: &[u8], expect: Expect) {
    let got = probe_bytes(data);
    match (&expect, &got) {
        (Expect::Ok(want), Ok(info)) => assert_eq!(info, want, "{name}"),
        (Expect::Err(code, frag), Err(e)) => {
            assert_eq!(e.code(), *code, "{name}: {e}");
            assert!(
                e.to_string().contains(frag),
                "{name}: message {:?} lacks {frag:?}",
                e.to_string()
            );
        }
        _ => panic!("{name}: unexpected {got:?}"),
    }
    // Byte-at-a-time feeding must agree.
    assert_eq!(probe_chunked(data, &[1]), got, "{name}: byte-wise");
}

fn probe_chunked(data: &[u8], sizes: &[usize]) -> Result<AudioInfo, ProbeError> {
    let mut p = Prober::new(ProbeLimits::default());
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        i += 1;
        p.push(&rest[..n])?;
        rest = &rest[n..];
    }
    p.finish()
}

// ---------------------------------------------------------------- WAV

fn pcm_fmt() -> Vec<u8> {
    chunk(b"fmt ", &wav_fmt(1, 1, 8000, 16, 2, &[]))
}

fn extensible(sub: u16, bits: u16, channels: u16) -> Vec<u8> {
    let mut ext = vec![22, 0];
    ext.extend_from_slice(&bits.to_le_bytes());
    ext.extend_from_slice(&3u32.to_le_bytes());
    ext.extend_from_slice(&sub.to_le_bytes());
    ext.extend_from_slice(&[
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
    ]);
    wav_fmt(0xfffe, channels, 48000, bits, channels * bits / 8, &ext)
}

fn with_data_size(mut f: Vec<u8>, size: u32) -> Vec<u8> {
    let at = f.windows(4).position(|w| w == b"data").expect("data chunk");
    f[at + 4..at + 8].copy_from_slice(&size.to_le_bytes());
    f
}

fn rf64(data_len: u64, payload: usize) -> Vec<u8> {
    let mut ds64 = Vec::new();
    ds64.extend_from_slice(&(4 + 36 + 24 + 8 + payload as u64).to_le_bytes());
    ds64.extend_from_slice(&data_len.to_le_bytes());
    ds64.extend_from_slice(&(data_len / 2).to_le_bytes());
    ds64.extend_from_slice(&0u32.to_le_bytes());
    let mut f = b"RF64\xff\xff\xff\xffWAVE".to_vec();
    f.extend_from_slice(&chunk(b"ds64", &ds64));
    f.extend_from_slice(&pcm_fmt());
    f.extend_from_slice(b"data\xff\xff\xff\xff");
    f.extend(std::iter::repeat_n(0u8, payload));
    f
}

#[test]
fn wav_cases() {
    use AudioFormat::Wav;
    let g711 = |tag| {
        riff_wave(&[
            chunk(b"fmt ", &wav_fmt(tag, 1, 8000, 8, 1, &[])),
            chunk(b"data", &[0x55; 8000]),
        ])
    };
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "pcm16 mono",
            synth::wav_pcm16(1, 8000, 8000),
            Expect::Ok(info(Wav, "pcm_s16le", 1, 8000, 1000)),
        ),
        (
            "pcm16 stereo",
            synth::wav_pcm16(2, 16000, 4000),
            Expect::Ok(info(Wav, "pcm_s16le", 2, 16000, 250)),
        ),
        ("alaw", g711(6), Expect::Ok(info(Wav, "pcm_alaw", 1, 8000, 1000))),
        ("mulaw", g711(7), Expect::Ok(info(Wav, "pcm_mulaw", 1, 8000, 1000))),
        ("gsm wav49", synth::wav_gsm(50), Expect::Ok(info(Wav, "gsm", 1, 8000, 2000))),
        (
            "float32",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(3, 1, 1000, 32, 4, &[])),
                chunk(b"data", &[0; 4000]),
            ]),
            Expect::Ok(info(Wav, "pcm_f32le", 1, 1000, 1000)),
        ),
        (
            "pcm u8 and s24",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(1, 2, 1000, 24, 6, &[])),
                chunk(b"data", &[0; 600]),
            ]),
            Expect::Ok(info(Wav, "pcm_s24le", 2, 1000, 100)),
        ),
        (
            "extensible pcm",
            riff_wave(&[chunk(b"fmt ", &extensible(1, 16, 2)), chunk(b"data", &[0; 19200])]),
            Expect::Ok(info(Wav, "pcm_s16le", 2, 48000, 100)),
        ),
        (
            "extensible float",
            riff_wave(&[chunk(b"fmt ", &extensible(3, 32, 1)), chunk(b"data", &[0; 19200])]),
            Expect::Ok(info(Wav, "pcm_f32le", 1, 48000, 100)),
        ),
        (
            "list and odd chunk before data, list after",
            riff_wave(&[
                chunk(b"LIST", b"INFOabc"),
                pcm_fmt(),
                chunk(b"junk", &[1; 3]),
                chunk(b"data", &[0; 1601]),
                chunk(b"LIST", b"INFO"),
            ]),
            Expect::Ok(info(Wav, "pcm_s16le", 1, 8000, 100)),
        ),
        ("rf64", rf64(16000, 16000), Expect::Ok(info(Wav, "pcm_s16le", 1, 8000, 1000))),
        (
            "rf64 cut",
            rf64(16000, 15000),
            Expect::Err("truncated", "data chunk declares 16000 bytes"),
        ),
        (
            "data size 0xffffffff streams to the end",
            with_data_size(synth::wav_pcm16(1, 8000, 4000), u32::MAX),
            Expect::Ok(info(Wav, "pcm_s16le", 1, 8000, 500)),
        ),
        (
            "data size 0 with bytes following",
            with_data_size(synth::wav_pcm16(1, 8000, 4000), 0),
            Expect::Ok(info(Wav, "pcm_s16le", 1, 8000, 500)),
        ),
        (
            "data size 0, nothing follows",
            riff_wave(&[pcm_fmt(), chunk(b"data", &[])]),
            Expect::Err("empty", "no audio"),
        ),
        ("no data chunk", riff_wave(&[pcm_fmt()]), Expect::Err("empty", "no audio")),
        (
            "less than one frame",
            riff_wave(&[pcm_fmt(), chunk(b"data", &[0])]),
            Expect::Err("empty", "no audio"),
        ),
        (
            "data cut short",
            synth::wav_pcm16(1, 8000, 100)[..150].to_vec(),
            Expect::Err("truncated", "data chunk declares 200 bytes but the file ends after 106"),
        ),
        (
            "riff size larger than the file",
            {
                let mut f = synth::wav_pcm16(1, 8000, 100);
                f.extend_from_slice(b"LIST\x10\0\0\0INFO");
                let n = f.len() as u32 + 8 - 8;
                f[4..8].copy_from_slice(&n.to_le_bytes());
                f
            },
            Expect::Err("truncated", "declares"),
        ),
        (
            "data before fmt",
            riff_wave(&[chunk(b"data", &[0; 10]), pcm_fmt()]),
            Expect::Err("malformed", "data chunk comes before the fmt chunk"),
        ),
        (
            "binary chunk id",
            riff_wave(&[pcm_fmt(), chunk(b"\0\x01\x02\x03", &[0; 4]), chunk(b"data", &[0; 10])]),
            Expect::Err("malformed", "invalid chunk id at byte 36"),
        ),
        (
            "absurd sample rate",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(1, 1, 0xFFFF_FFFF, 16, 2, &[])),
                chunk(b"data", &[0; 10]),
            ]),
            Expect::Err("malformed", "sample rate of 4294967295 Hz, outside 1000..=768000"),
        ),
        (
            "sample rate too low",
            riff_wave(&[chunk(b"fmt ", &wav_fmt(1, 1, 999, 16, 2, &[])), chunk(b"data", &[0; 10])]),
            Expect::Err("malformed", "sample rate of 999 Hz"),
        ),
        (
            "zero channels",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(1, 0, 8000, 16, 2, &[])),
                chunk(b"data", &[0; 10]),
            ]),
            Expect::Err("malformed", "zero channels"),
        ),
        (
            "block align mismatch",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(1, 2, 8000, 16, 2, &[])),
                chunk(b"data", &[0; 10]),
            ]),
            Expect::Err("malformed", "block alignment 2 does not match 2 channels of 16 bits"),
        ),
        (
            "ima adpcm",
            riff_wave(&[
                chunk(b"fmt ", &wav_fmt(0x11, 1, 8000, 4, 256, &[2, 0, 0xf9, 1])),
                chunk(b"data", &[0; 10]),
            ]),
            Expect::Err("unsupported", "ima adpcm audio (format tag 0x0011)"),
        ),
        (
            "short fmt",
            riff_wave(&[chunk(b"fmt ", &[1, 0, 1, 0]), chunk(b"data", &[0; 10])]),
            Expect::Err("malformed", "fmt chunk is 4 bytes"),
        ),
        (
            "rf64 without ds64",
            {
                let mut f = synth::wav_pcm16(1, 8000, 10);
                f[..4].copy_from_slice(b"RF64");
                f
            },
            Expect::Err("malformed", "ds64"),
        ),
        (
            "riff avi",
            b"RIFF\x04\0\0\0AVI LIST".to_vec(),
            Expect::Err("unknown_format", "unrecognised"),
        ),
        ("riff header only, cut", b"RIFF\x04\0\0\0WA".to_vec(), Expect::Err("truncated", "")),
    ];
    for (name, data, expect) in cases {
        check(name, &data, expect);
    }
}

#[test]
fn wav_header_limit() {
    let big = riff_wave(&[
        chunk(b"fmt ", &wav_fmt(1, 1, 8000, 16, 2, &vec![0; 4096])),
        chunk(b"data", &[0; 10]),
    ]);
    let mut p = Prober::new(ProbeLimits { max_header_bytes: 1024 });
    let e = p.push(&big).expect_err("fmt chunk over the limit");
    assert_eq!(e.code(), "header_too_large");
    // Sticky: later calls report the same error.
    assert_eq!(p.push(b"more").expect_err("sticky"), e);
    assert_eq!(p.finish().expect_err("sticky"), e);
    // The default limit takes it.
    assert_eq!(probe_bytes(&big).expect("valid").codec, "pcm_s16le");
}

#[test]
fn wav_large_list_chunk_is_skipped_not_buffered() {
    let f =
        riff_wave(&[chunk(b"LIST", &vec![b'x'; 3 << 20]), pcm_fmt(), chunk(b"data", &[0; 1600])]);
    let mut p = Prober::new(ProbeLimits { max_header_bytes: 4096 });
    for c in f.chunks(1000) {
        p.push(c).expect("valid");
    }
    assert_eq!(p.finish().expect("valid").duration_ms, 100);
}

// ---------------------------------------------------------------- MP3

fn mpeg_stream(header: [u8; 4], len: usize, frames: usize) -> Vec<u8> {
    let mut f = Vec::new();
    for _ in 0..frames {
        f.extend_from_slice(&header);
        f.extend(std::iter::repeat_n(0u8, len - 4));
    }
    f
}

#[test]
fn mp3_cases() {
    use AudioFormat::Mp3;
    let mut with_ape = synth::mp3(10, false, false, false);
    let mut ape = b"APETAGEX".to_vec();
    ape.extend_from_slice(&2000u32.to_le_bytes());
    ape.extend_from_slice(&(32u32 + 10).to_le_bytes());
    ape.extend_from_slice(&0u32.to_le_bytes());
    ape.extend_from_slice(&(1u32 << 29 | 1 << 31).to_le_bytes());
    ape.extend_from_slice(&[0; 8]);
    let mut footer = ape.clone();
    footer[20..24].copy_from_slice(&(1u32 << 31).to_le_bytes());
    with_ape.extend_from_slice(&ape);
    with_ape.extend_from_slice(&[7; 10]);
    with_ape.extend_from_slice(&footer);
    let mut headerless_ape = synth::mp3(10, false, false, false);
    headerless_ape.extend_from_slice(&[7; 10]);
    headerless_ape.extend_from_slice(&footer);
    headerless_ape.extend_from_slice(&synth::mp3(0, false, false, true));

    let mut junk_first = Noise::new(9).bytes(300);
    junk_first.retain(|&b| b != 0xff);
    junk_first.extend_from_slice(&synth::mp3(5, false, false, false));

    let mut lost_sync = synth::mp3(5, false, false, false);
    lost_sync.extend_from_slice(&[0x12; 50]);
    lost_sync.extend_from_slice(&synth::mp3(5, false, false, false));

    let mut footer_id3 = synth::id3v2(20);
    footer_id3[5] = 0x10;
    footer_id3.extend_from_slice(b"3DI\x04\0\x10\0\0\0\x14");
    footer_id3.extend_from_slice(&synth::mp3(4, false, false, false));

    let mpeg2 = synth::mp3_header(2, 3, 2, 2, false, true); // 16 kbit/s, 16 kHz, mono: 72 bytes
    let mpeg25 = synth::mp3_header(25, 3, 2, 2, false, true); // 16 kbit/s, 8 kHz: 144 bytes
    let layer2 = synth::mp3_header(1, 2, 10, 1, false, false); // 192 kbit/s, 48 kHz: 576 bytes

    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "plain",
            synth::mp3(100, false, false, false),
            Expect::Ok(info(Mp3, "mp3", 2, 44100, 2612)),
        ),
        (
            "id3v2 + xing + id3v1",
            synth::mp3(100, true, true, true),
            Expect::Ok(info(Mp3, "mp3", 2, 44100, 2612)),
        ),
        ("id3v2 with footer flag", footer_id3, Expect::Ok(info(Mp3, "mp3", 2, 44100, 104))),
        ("mpeg-2 mono", mpeg_stream(mpeg2, 72, 100), Expect::Ok(info(Mp3, "mp3", 1, 16000, 3600))),
        (
            "mpeg-2.5 8 khz",
            mpeg_stream(mpeg25, 144, 100),
            Expect::Ok(info(Mp3, "mp3", 1, 8000, 7200)),
        ),
        ("layer ii", mpeg_stream(layer2, 576, 50), Expect::Ok(info(Mp3, "mp2", 2, 48000, 1200))),
        ("apev2 with header", with_ape, Expect::Ok(info(Mp3, "mp3", 2, 44100, 261))),
        (
            "header-less apev2 and id3v1",
            headerless_ape,
            Expect::Ok(info(Mp3, "mp3", 2, 44100, 261)),
        ),
        ("junk before the first frame", junk_first, Expect::Ok(info(Mp3, "mp3", 2, 44100, 130))),
        ("id3 only", synth::id3v2(50), Expect::Err("empty", "no audio")),
        ("xing only", synth::mp3(0, false, true, false), Expect::Err("empty", "no audio")),
        (
            "xing count short",
            {
                let mut f = synth::mp3(10, false, true, false);
                f.truncate(f.len() - 417);
                f
            },
            Expect::Err("truncated", "announces 10 frames but only 9"),
        ),
        (
            "last frame cut",
            synth::mp3(10, false, false, false)[..417 * 9 + 100].to_vec(),
            Expect::Err("truncated", "last mpeg frame is cut short (100 of 417 bytes)"),
        ),
        ("lost sync", lost_sync, Expect::Err("malformed", "lost mpeg frame sync at byte 2085")),
        (
            "free format",
            mpeg_stream(synth::mp3_header(1, 3, 0, 0, false, false), 400, 3),
            Expect::Err("unsupported", "free-format"),
        ),
        (
            "id3 size not sync-safe",
            b"ID3\x04\0\0\x80\0\0\0\xff\xfb".to_vec(),
            Expect::Err("malformed", "sync-safe"),
        ),
        (
            "id3 tag cut",
            synth::id3v2(500)[..200].to_vec(),
            Expect::Err("truncated", "id3v2 tag declares 510 bytes"),
        ),
        (
            "nothing after id3",
            {
                let mut f = synth::id3v2(10);
                f.extend_from_slice(&[0x42; 9000]);
                f
            },
            Expect::Err("malformed", "no mpeg audio frame follows the id3v2 tag"),
        ),
        (
            "frame after id3v1",
            {
                let mut f = synth::mp3(3, false, false, true);
                f.extend_from_slice(&synth::mp3(1, false, false, false));
                f
            },
            Expect::Err("malformed", "lost mpeg frame sync"),
        ),
    ];
    for (name, data, expect) in cases {
        check(name, &data, expect);
    }
}

// ---------------------------------------------------------------- Ogg

fn with_page_byte(mut f: Vec<u8>, page: usize, at: usize, v: u8) -> Vec<u8> {
    let starts: Vec<usize> =
        f.windows(4).enumerate().filter(|(_, w)| *w == b"OggS").map(|(i, _)| i).collect();
    f[starts[page] + at] = v;
    f
}

#[test]
fn ogg_cases() {
    use AudioFormat::Opus;
    let serial = 1;
    let head_pages = |head: &[u8]| {
        let mut f = synth::ogg_page(2, 0, serial, 0, &[head]);
        f.extend_from_slice(&synth::ogg_page(0, 0, serial, 1, &[&synth::opus_tags()]));
        f
    };
    let mut no_eos = head_pages(&synth::opus_head(1, 312, 8000));
    no_eos.extend_from_slice(&synth::ogg_page(0, 312 + 48000, serial, 2, &[&[1; 50]]));
    let mut gap = head_pages(&synth::opus_head(1, 312, 8000));
    gap.extend_from_slice(&synth::ogg_page(4, 312 + 48000, serial, 3, &[&[1; 50]]));
    let mut other_serial = head_pages(&synth::opus_head(1, 312, 8000));
    other_serial.extend_from_slice(&synth::ogg_page(4, 312 + 48000, serial + 1, 2, &[&[1; 50]]));
    let mut backwards = head_pages(&synth::opus_head(1, 312, 8000));
    backwards.extend_from_slice(&synth::ogg_page(0, 48000, serial, 2, &[&[1; 50]]));
    backwards.extend_from_slice(&synth::ogg_page(4, 4000, serial, 3, &[&[1; 50]]));
    let mut only_preskip = head_pages(&synth::opus_head(1, 312, 8000));
    only_preskip.extend_from_slice(&synth::ogg_page(4, 312, serial, 2, &[&[1; 3]]));
    let mut chained = synth::opus(1, 3, 2, 10);
    chained.extend_from_slice(&synth::opus(1, 3, 2, 10));
    let mut trailing = synth::opus(1, 3, 2, 10);
    trailing.extend_from_slice(b"garbage");
    let mut big_tags = synth::ogg_page(2, 0, serial, 0, &[&synth::opus_head(2, 0, 48000)]);
    // Tags spanning two pages (the first page holds only a continuing part).
    let mut tags = synth::opus_tags();
    tags.extend_from_slice(&[b'x'; 300]);
    let mut tag_page = synth::ogg_page(0, u64::MAX, serial, 1, &[&tags[..255]]);
    // The lacing of a packet continued on the next page ends in 255.
    tag_page.truncate(27);
    tag_page[26] = 1;
    tag_page.push(255);
    tag_page.extend_from_slice(&tags[..255]);
    tag_page[22..26].copy_from_slice(&[0; 4]);
    let crc = ogg_crc(&tag_page);
    tag_page[22..26].copy_from_slice(&crc.to_le_bytes());
    big_tags.extend_from_slice(&tag_page);
    big_tags.extend_from_slice(&synth::ogg_page(1, 0, serial, 2, &[&tags[255..]]));
    big_tags.extend_from_slice(&synth::ogg_page(4, 96000, serial, 3, &[&[9; 40]]));

    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("mono", synth::opus(1, 10, 5, 30), Expect::Ok(info(Opus, "opus", 1, 48000, 1000))),
        ("stereo", synth::opus(2, 50, 10, 100), Expect::Ok(info(Opus, "opus", 2, 48000, 10000))),
        ("tags over two pages", big_tags, Expect::Ok(info(Opus, "opus", 2, 48000, 2000))),
        ("no eos", no_eos, Expect::Err("truncated", "without an end-of-stream page")),
        ("sequence gap", gap, Expect::Err("malformed", "expected page 2, found 3")),
        ("second serial", other_serial, Expect::Err("unsupported", "multiplexed")),
        (
            "granule backwards",
            backwards,
            Expect::Err("malformed", "granule position goes backwards"),
        ),
        ("only pre-skip", only_preskip, Expect::Err("empty", "no audio")),
        ("chained", chained, Expect::Err("unsupported", "chained")),
        (
            "trailing junk",
            trailing,
            Expect::Err("malformed", "data after the end of the ogg stream"),
        ),
        (
            "bad crc",
            with_page_byte(synth::opus(1, 3, 2, 10), 2, 40, 0xaa),
            Expect::Err("malformed", "crc mismatch"),
        ),
        (
            "bad crc in head",
            with_page_byte(synth::opus(1, 3, 2, 10), 0, 30, b'X'),
            Expect::Err("", ""),
        ),
        (
            "vorbis",
            synth::ogg_page(2, 0, 1, 0, &[b"\x01vorbis\0\0\0\0\x02\x44\xac\0\0"]),
            Expect::Err("unsupported", "ogg vorbis; only opus"),
        ),
        (
            "flac in ogg",
            synth::ogg_page(2, 0, 1, 0, &[b"\x7fFLAC\x01\0\0\x01fLaC"]),
            Expect::Err("unsupported", "ogg flac"),
        ),
        (
            "speex",
            synth::ogg_page(2, 0, 1, 0, &[b"Speex   1.2"]),
            Expect::Err("unsupported", "ogg speex"),
        ),
        (
            "no bos",
            synth::ogg_page(0, 0, 1, 0, &[&synth::opus_head(1, 0, 0)]),
            Expect::Err("malformed", "beginning-of-stream"),
        ),
        (
            "zero channels",
            head_pages(&synth::opus_head(0, 0, 0)),
            Expect::Err("malformed", "zero channels"),
        ),
        (
            "opushead version 16",
            {
                let mut h = synth::opus_head(1, 0, 0);
                h[8] = 16;
                head_pages(&h)
            },
            Expect::Err("unsupported", "opus header version 16"),
        ),
        (
            "tags missing",
            {
                let mut f = synth::ogg_page(2, 0, serial, 0, &[&synth::opus_head(1, 0, 0)]);
                f.extend_from_slice(&synth::ogg_page(4, 960, serial, 1, &[&[0; 9]]));
                f
            },
            Expect::Err("malformed", "does not start with opustags"),
        ),
        (
            "heads only",
            head_pages(&synth::opus_head(1, 0, 0)),
            Expect::Err("truncated", "end-of-stream"),
        ),
    ];
    for (name, data, expect) in cases {
        if name == "bad crc in head" {
            // Any refusal will do: the head is changed and the CRC no longer fits.
            let e = probe_bytes(&data).expect_err(name);
            assert!(e.code() == "malformed" || e.code() == "unsupported", "{name}: {e}");
            continue;
        }
        check(name, &data, expect);
    }
}

fn ogg_crc(data: &[u8]) -> u32 {
    // Reference bitwise implementation, independent of the crate's.
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

#[test]
fn ogg_crc_matches_reference() {
    let page = synth::ogg_page(2, 0, 7, 0, &[&synth::opus_head(1, 0, 0)]);
    let mut zeroed = page.clone();
    zeroed[22..26].copy_from_slice(&[0; 4]);
    assert_eq!(page[22..26], ogg_crc(&zeroed).to_le_bytes());
}

// ---------------------------------------------------------------- FLAC

fn flac_with_frames(frames: &[Vec<u8>], total: u64) -> Vec<u8> {
    let mut f = b"fLaC".to_vec();
    f.extend_from_slice(&synth::flac_streaminfo(true, 1152, 8000, 1, 16, total));
    for fr in frames {
        f.extend_from_slice(fr);
    }
    f
}

#[test]
fn flac_cases() {
    use AudioFormat::Flac;
    let mut n = Noise::new(1);
    let frame = |i, n: &mut Noise| synth::flac_frame(i, 1152, 8000, 1, FlacSubframe::Verbatim, n);
    let good: Vec<Vec<u8>> = (0..5).map(|i| frame(i, &mut n)).collect();
    let mut bad_crc16 = good.clone();
    bad_crc16[2][500] ^= 1;
    let mut bad_crc8 = good.clone();
    bad_crc8[0][6] ^= 1;
    let mut skipped = good.clone();
    skipped.remove(2);
    let mut picture = b"fLaC".to_vec();
    picture.extend_from_slice(&synth::flac_streaminfo(false, 1152, 8000, 1, 16, 0));
    picture.extend_from_slice(&[0x06, 0x01, 0x00, 0x00]);
    picture.extend_from_slice(&[0xff; 0x10000]);
    picture.extend_from_slice(&[0x84, 0, 0, 4, 1, 2, 3, 4]);
    for fr in &good {
        picture.extend_from_slice(fr);
    }
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "verbatim mono",
            synth::flac(1, 8000, 4096, 10, FlacSubframe::Verbatim),
            Expect::Ok(info(Flac, "flac", 1, 8000, 5120)),
        ),
        (
            "id3v2 before flac",
            [synth::id3v2(40), synth::flac(1, 8000, 4096, 2, FlacSubframe::Constant)].concat(),
            Expect::Ok(info(Flac, "flac", 1, 8000, 1024)),
        ),
        (
            "constant stereo",
            synth::flac(2, 48000, 4800, 10, FlacSubframe::Constant),
            Expect::Ok(info(Flac, "flac", 2, 48000, 1000)),
        ),
        (
            "odd rate from streaminfo",
            synth::flac(1, 11025, 1000, 11, FlacSubframe::Constant),
            Expect::Ok(info(Flac, "flac", 1, 11025, 997)),
        ),
        ("unknown total", flac_with_frames(&good, 0), Expect::Ok(info(Flac, "flac", 1, 8000, 720))),
        ("picture block of 0xff skipped", picture, Expect::Ok(info(Flac, "flac", 1, 8000, 720))),
        (
            "frames short of streaminfo",
            flac_with_frames(&good, 1152 * 6),
            Expect::Err("truncated", "declares 6912 samples but the frames hold 5760"),
        ),
        (
            "frame crc-16",
            flac_with_frames(&bad_crc16, 0),
            Expect::Err("malformed", "crc-16 mismatch in the flac frame at byte"),
        ),
        (
            "first header crc-8",
            flac_with_frames(&bad_crc8, 0),
            Expect::Err("malformed", "no valid flac frame header at byte 42"),
        ),
        (
            "missing frame",
            flac_with_frames(&skipped, 0),
            Expect::Err("malformed", "flac frames missing or out of order"),
        ),
        ("no frames, total unknown", flac_with_frames(&[], 0), Expect::Err("empty", "no audio")),
        (
            "no frames, total known",
            flac_with_frames(&[], 100),
            Expect::Err("truncated", "declares 100 samples"),
        ),
        (
            "last frame cut",
            {
                let mut f = flac_with_frames(&good, 0);
                f.truncate(f.len() - 10);
                f
            },
            Expect::Err("truncated", "is cut short"),
        ),
        (
            "no streaminfo",
            b"fLaC\x81\0\0\x04abcd".to_vec(),
            Expect::Err("malformed", "first metadata block is not streaminfo"),
        ),
        (
            "block type 127",
            {
                let mut f = b"fLaC".to_vec();
                f.extend_from_slice(&synth::flac_streaminfo(false, 1152, 8000, 1, 16, 0));
                f.extend_from_slice(&[0xff, 0, 0, 0]);
                f
            },
            Expect::Err("malformed", "invalid metadata block type"),
        ),
        (
            "metadata cut",
            synth::flac(1, 8000, 4096, 1, FlacSubframe::Constant)[..30].to_vec(),
            Expect::Err("truncated", "streaminfo"),
        ),
    ];
    for (name, data, expect) in cases {
        check(name, &data, expect);
    }
}

#[test]
fn flac_coded_numbers_round_trip() {
    for n in [
        0u64,
        1,
        127,
        128,
        2047,
        2048,
        65535,
        65536,
        1 << 21,
        (1 << 31) - 1,
        1 << 31,
        (1 << 36) - 1,
    ] {
        let mut noise = Noise::new(2);
        let mut fr = synth::flac_frame(0, 16, 8000, 1, FlacSubframe::Constant, &mut noise);
        // Rebuild the header with the variable-blocksize number n.
        let mut h = vec![0xff, 0xf9, fr[2], fr[3]];
        h.extend_from_slice(&synth::flac_coded_number(n));
        h.extend_from_slice(&15u16.to_be_bytes());
        h.push(crc8(&h));
        let parsed = callvault_probe::flac::parse_frame_header(&h).expect("valid header");
        assert_eq!(parsed.number, n);
        assert_eq!(parsed.len, h.len());
        fr.clear();
    }
}

fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
        }
    }
    crc
}

// ---------------------------------------------------------------- junk

#[test]
fn junk_and_empty() {
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty", vec![], Expect::Err("empty", "no audio")),
        (
            "one byte",
            vec![0x01],
            Expect::Err("unknown_format", "expected wav, mp3, ogg/opus or flac"),
        ),
        ("magic prefix", b"Og".to_vec(), Expect::Err("truncated", "only 2 bytes")),
        (
            "html",
            b"<!doctype html><html><body>nope</body></html>".to_vec(),
            Expect::Err("unknown_format", ""),
        ),
        (
            "pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".repeat(300),
            Expect::Err("unknown_format", ""),
        ),
        ("zeros", vec![0; 100_000], Expect::Err("unknown_format", "")),
        ("noise", Noise::new(77).bytes(100_000), Expect::Err("unknown_format", "")),
        ("flac magic only", b"fLaC".to_vec(), Expect::Err("truncated", "")),
    ];
    for (name, data, expect) in cases {
        check(name, &data, expect);
    }
}

#[test]
fn format_is_known_early() {
    let cases = [
        (synth::wav_pcm16(1, 8000, 100), 4, AudioFormat::Wav),
        (synth::mp3(3, true, false, false), 110 + 4, AudioFormat::Mp3),
        (synth::mp3(3, false, false, false), 4, AudioFormat::Mp3),
        (synth::flac(1, 8000, 4096, 1, FlacSubframe::Constant), 4, AudioFormat::Flac),
        (synth::opus(1, 1, 1, 10), 47, AudioFormat::Opus),
    ];
    for (data, n, want) in cases {
        let mut p = Prober::new(ProbeLimits::default());
        p.push(&data[..n - 1]).expect("prefix is fine");
        assert_eq!(p.format(), None, "{want:?} known too early");
        p.push(&data[n - 1..n]).expect("prefix is fine");
        assert_eq!(p.format(), Some(want));
    }
    let mut p = Prober::new(ProbeLimits::default());
    p.push(&synth::ogg_page(2, 0, 1, 0, &[b"\x01vorbis"])[..30]).expect("prefix is fine");
    assert_eq!(p.format(), None);
}

#[test]
fn codes_are_stable() {
    let e = ProbeError::Truncated { container: "wav", reason: "x".into() };
    assert_eq!((e.code(), e.to_string().as_str()), ("truncated", "truncated wav file: x"));
    assert_eq!(ProbeError::Empty.code(), "empty");
    assert_eq!(ProbeError::UnknownFormat.code(), "unknown_format");
}

// ---------------------------------------------------------------- real files

fn real(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).expect("test file")
}

#[test]
fn real_files() {
    use AudioFormat::*;
    let cases = [
        ("sine.wav", info(Wav, "pcm_s16le", 1, 8000, 500)),
        ("wav49.wav", info(Wav, "gsm", 1, 8000, 1000)),
        ("sine.mp3", info(Mp3, "mp3", 1, 8000, 0)),
        ("sine.flac", info(Flac, "flac", 1, 16000, 500)),
        ("sine.opus", info(Opus, "opus", 1, 48000, 1000)),
    ];
    for (name, mut want) in cases {
        let data = real(name);
        let got = probe_bytes(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "sine.mp3" {
            // An encoder adds padding frames; about one second.
            assert!((1000..=1300).contains(&got.duration_ms), "{name}: {got:?}");
            want.duration_ms = got.duration_ms;
        }
        assert_eq!(got, want, "{name}");
    }
}

// ---------------------------------------------------------------- truncation

/// Small valid files and the byte range holding their audio.
fn small_files() -> Vec<(&'static str, Vec<u8>, std::ops::Range<usize>)> {
    let wav = synth::wav_pcm16(2, 8000, 200);
    let gsm = synth::wav_gsm(4);
    let gsm_audio = gsm.len() - 260..gsm.len();
    let mp3 = synth::mp3(6, true, true, false);
    let opus = synth::opus(1, 4, 2, 20);
    let flac_v = synth::flac(1, 8000, 256, 4, FlacSubframe::Verbatim);
    let flac_c = synth::flac(2, 8000, 256, 6, FlacSubframe::Constant);
    let mut files = vec![
        ("wav", wav.clone(), 44..wav.len()),
        ("gsm", gsm, gsm_audio),
        ("mp3", mp3.clone(), 110..mp3.len()),
        ("opus", opus.clone(), 0..opus.len()),
        ("flac verbatim", flac_v.clone(), 54..flac_v.len()),
        ("flac constant", flac_c.clone(), 54..flac_c.len()),
    ];
    for name in ["sine.opus", "sine.flac", "wav49.wav"] {
        let d = real(name);
        let n = d.len();
        files.push((name, d, if name == "sine.flac" { 0..n } else { n / 2..n }));
    }
    files
}

#[test]
fn truncation_at_every_offset() {
    for (name, file, audio) in small_files() {
        assert!(probe_bytes(&file).is_ok(), "{name} is valid");
        for cut in 0..file.len() {
            let r = probe_bytes(&file[..cut]);
            let e = match r {
                Ok(_) => panic!("{name} cut at {cut} accepted"),
                Err(e) => e,
            };
            if audio.contains(&cut) && cut > audio.start {
                assert_eq!(e.code(), "truncated", "{name} cut at {cut}: {e}");
            } else {
                assert!(
                    matches!(e.code(), "truncated" | "malformed" | "empty"),
                    "{name} cut at {cut}: {e}"
                );
            }
        }
    }
}

#[test]
fn real_mp3_truncation_never_panics() {
    // Without a Xing header a cut at a frame boundary is a valid shorter
    // file; anywhere else it is truncated.
    let file = real("sine.mp3");
    for cut in 1..file.len() {
        match probe_bytes(&file[..cut]) {
            Ok(i) => assert!(i.duration_ms <= 1300),
            Err(e) => assert_eq!(e.code(), "truncated", "cut at {cut}: {e}"),
        }
    }
}

// ---------------------------------------------------------------- chunking

fn corpus() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = small_files().into_iter().map(|(_, f, _)| f).collect();
    v.push(real("sine.mp3"));
    v.push(real("sine.wav"));
    let mut junk_mp3 = vec![0x11; 700];
    junk_mp3.extend_from_slice(&synth::mp3(4, false, false, true));
    v.push(junk_mp3);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn chunking_does_not_change_the_result(
        which in 0usize..12,
        sizes in proptest::collection::vec(1usize..700, 1..20),
        flip in proptest::option::of((any::<usize>(), any::<u8>())),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let files = corpus();
        let mut file = files[which % files.len()].clone();
        if let Some((at, x)) = flip {
            let at = at % file.len();
            file[at] ^= x;
        }
        if let Some(c) = cut {
            file.truncate(c % (file.len() + 1));
        }
        let whole = probe_bytes(&file);
        prop_assert_eq!(probe_chunked(&file, &sizes), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2000), split in 1usize..64) {
        let _ = probe_chunked(&data, &[split]);
        for magic in [&b"RIFF\x40\0\0\0WAVE"[..], b"OggS\0\x02", b"fLaC", b"ID3\x03\0\0\0\0\0\x01", b"\xff\xfb\x90\x00"] {
            let mut d = magic.to_vec();
            d.extend_from_slice(&data);
            let _ = probe_chunked(&d, &[split]);
        }
    }
}
