//! Unpadded base64url (RFC 4648 §5) with strict, canonical decoding.
//!
//! The codec is hand-rolled because the format needs exactly one behaviour:
//! no padding, no whitespace, and no non-canonical trailing bits. Rejecting
//! non-canonical encodings matters because otherwise several distinct strings
//! would decode to the same bytes, and a scanner that deduplicates scans by
//! code text could be fooled into counting one ticket twice.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Number of characters that `n` bytes encode to.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Number of bytes that `n` characters decode to, or `None` when no byte
/// string encodes to `n` characters.
pub(crate) const fn decoded_len(n: usize) -> Option<usize> {
    match n % 4 {
        0 => Some(n / 4 * 3),
        2 => Some(n / 4 * 3 + 1),
        3 => Some(n / 4 * 3 + 2),
        _ => None,
    }
}

/// Appends the encoding of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(encoded_len(bytes.len()));
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
}

/// Returns the encoding of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    encode_into(bytes, &mut out);
    out
}

/// Marks a byte outside the alphabet in [`DECODE`]. Its top bit is set, and no
/// character's value (at most 63) has it, so one OR over a group finds any.
const INVALID: u8 = 0xff;

/// Each byte's 6-bit value, or [`INVALID`]: one load per character instead of
/// a chain of range comparisons, which the scanner's hot path feels on wasm.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 6-bit values of up to four characters, packed and left-aligned to 24
/// bits, or `None` if one is outside the alphabet.
fn group(chars: &[u8]) -> Option<u32> {
    let mut seen = 0u8;
    let mut n = 0u32;
    for &c in chars {
        let v = DECODE[usize::from(c)];
        seen |= v;
        n = (n << 6) | u32::from(v & 0x3f);
    }
    (seen & 0x80 == 0).then_some(n << (6 * (4 - chars.len())))
}

/// Decodes `text` into `out`, which must be exactly as long as the decoded
/// bytes. Returns `None` on a length mismatch, a character outside the
/// alphabet, or non-zero trailing bits.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<()> {
    if decoded_len(text.len()) != Some(out.len()) {
        return None;
    }
    // Four characters make three bytes; a last, shorter group of two or three
    // characters makes one or two.
    let chars = text.chunks_exact(4);
    let last = chars.remainder();
    let mut bytes = out.chunks_exact_mut(3);
    for (chars, bytes) in chars.zip(&mut bytes) {
        let [_, b0, b1, b2] = group(chars)?.to_be_bytes();
        bytes.copy_from_slice(&[b0, b1, b2]);
    }
    let rest = bytes.into_remainder();
    if !last.is_empty() {
        let [_, b0, b1, b2] = group(last)?.to_be_bytes();
        let decoded = [b0, b1, b2];
        // The last character's padding bits land in the bytes the group does not
        // fill; a canonical encoder leaves them zero.
        let (used, padding) = decoded.split_at(rest.len());
        if padding.iter().any(|&b| b != 0) {
            return None;
        }
        rest.copy_from_slice(used);
    }
    Some(())
}

/// Decodes `text` into a fixed-size array.
pub(crate) fn decode_array<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    decode_into(text, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rfc4648_vectors_without_padding() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (bytes, text) in cases {
            assert_eq!(encode(bytes), text);
            let mut out = vec![0u8; bytes.len()];
            assert_eq!(decode_into(text.as_bytes(), &mut out), Some(()));
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode_array::<2>(b"-_8"), Some([0xfb, 0xff]));
        assert_eq!(decode_array::<2>(b"+/8"), None);
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "Zg" is canonical for b"f"; "Zh" sets a padding bit.
        assert_eq!(decode_array::<1>(b"Zg"), Some(*b"f"));
        assert_eq!(decode_array::<1>(b"Zh"), None);
        assert_eq!(decode_array::<2>(b"Zm8"), Some(*b"fo"));
        assert_eq!(decode_array::<2>(b"Zm9"), None);
    }

    #[test]
    fn rejects_padding_and_bad_lengths() {
        assert_eq!(decode_array::<1>(b"Zg=="), None);
        assert_eq!(decode_array::<1>(b"Z"), None);
        assert_eq!(decode_array::<3>(b"Zm9vY"), None);
        assert_eq!(decode_array::<16>(&[b'A'; 21]), None);
        assert_eq!(decode_array::<16>(&[b'A'; 22]), Some([0; 16]));
    }

    proptest::proptest! {
        /// Together these say the decoder accepts exactly the canonical encodings:
        /// every encoding decodes back, and whatever decodes is what its bytes encode to.
        #[test]
        fn decodes_exactly_the_canonical_encodings(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            text in "[A-Za-z0-9_=+/.-]{0,40}",
        ) {
            let mut out = vec![0u8; bytes.len()];
            proptest::prop_assert_eq!(decode_into(encode(&bytes).as_bytes(), &mut out), Some(()));
            proptest::prop_assert_eq!(&out, &bytes);
            if let Some(len) = decoded_len(text.len()) {
                let mut out = vec![0u8; len];
                if decode_into(text.as_bytes(), &mut out).is_some() {
                    proptest::prop_assert_eq!(encode(&out), text);
                }
            }
        }
    }

    #[test]
    fn length_helpers_agree() {
        for n in 0..100 {
            assert_eq!(encode(&vec![0x5a; n]).len(), encoded_len(n));
            assert_eq!(decoded_len(encoded_len(n)), Some(n));
        }
    }
}
