//! The three checksums the formats use, all MSB-first (non-reflected).

use crc::{Algorithm, Crc, Table};

/// Ogg page checksum: polynomial 0x04C11DB7, initial value 0, no reflection,
/// no final xor.
const OGG_ALGORITHM: Algorithm<u32> = Algorithm {
    width: 32,
    poly: 0x04c1_1db7,
    init: 0,
    refin: false,
    refout: false,
    xorout: 0,
    check: 0x89a1_897f,
    residue: 0,
};

pub(crate) static OGG: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&OGG_ALGORITHM);

/// FLAC frame checksum: polynomial 0x8005, initial 0, no reflection.
pub(crate) static FLAC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&crc::CRC_16_UMTS);

/// FLAC frame header checksum: polynomial 0x07, initial 0, no reflection.
pub(crate) static FLAC8: Crc<u8> = Crc::<u8>::new(&crc::CRC_8_SMBUS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(OGG.checksum(b"123456789"), 0x89a1_897f);
        assert_eq!(FLAC16.checksum(b"123456789"), 0xfee8);
        assert_eq!(FLAC8.checksum(b"123456789"), 0xf4);
    }

    #[test]
    fn split_digest_equals_whole() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = FLAC16.checksum(&data);
        let mut d = FLAC16.digest();
        d.update(&data[..333]);
        d.update(&data[333..]);
        assert_eq!(d.finalize(), whole);
        let mut d = FLAC16.digest_with_initial(FLAC16.checksum(&data[..500]));
        d.update(&data[500..]);
        assert_eq!(d.finalize(), whole);
    }
}
