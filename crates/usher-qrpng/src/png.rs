//! The smallest correct PNG container: IHDR, one IDAT of stored (uncompressed) deflate
//! blocks in a zlib stream, IEND. See the crate's doc for why nothing is compressed.

/// A `side` by `side` 1-bit grayscale PNG of `scanlines` (see `raster::scanlines`).
pub fn encode(side: usize, scanlines: &[u8]) -> Vec<u8> {
    // The options bound the side to (177 + 2 * MAX_BORDER) * MAX_MODULE_PX pixels.
    let side = side as u32;
    let mut ihdr = [0; 13];
    ihdr[..4].copy_from_slice(&side.to_be_bytes());
    ihdr[4..8].copy_from_slice(&side.to_be_bytes());
    // Bit depth 1, colour type 0 (grayscale); compression, filter and interlace methods 0.
    ihdr[8] = 1;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(scanlines));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends a chunk: length, type, data and the CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // The largest image's IDAT is under 6 MB, far below 2^31.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, 3.2.4), at most 65535
/// bytes each, the last one marked final.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF·256 + FLG a multiple of 31.
    let mut out = Vec::with_capacity(data.len() + data.len() / 65535 * 5 + 11);
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(usize::from(u16::MAX)).peekable();
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(u8::from(blocks.peek().is_none()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 as PNG and zlib define it (reflected, polynomial 0xEDB88320), a bit at a time:
/// a table would be a kilobyte of wasm for a checksum over a few bytes and one IDAT.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Adler-32 (RFC 1950, 8.2).
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn checksums_match_their_standard_check_values() {
        // The check values of the CRC catalogue and of RFC 1950's reference code.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn data_over_one_block_is_split_and_only_the_last_is_final() {
        let data = vec![7; 65535 + 10];
        let z = zlib_stored(&data);
        assert_eq!(z[2], 0, "first block not final");
        assert_eq!(&z[3..7], &[0xff, 0xff, 0, 0]);
        let second = 2 + 5 + 65535;
        assert_eq!(&z[second..second + 5], &[1, 10, 0, 0xf5, 0xff]);
        assert_eq!(z.len(), 2 + 5 + 65535 + 5 + 10 + 4);
    }
}
