//! Hex and base64 (RFC 4648 standard alphabet), by hand: a few lines each, and
//! one dependency fewer in the wasm module.

const HEX: &[u8; 16] = b"0123456789abcdef";
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Lower-case hex, as Stripe writes its signatures.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

// Lower case only, as Stripe writes its signatures and as its own library compares them: a
// second spelling of the same bytes would let a changed header still verify.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes hex of either case into exactly `N` bytes; anything else is `None`.
pub(crate) fn hex_decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(out)
}

/// Padded base64, as Standard Webhooks writes its signatures.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a' + 26)),
        b'0'..=b'9' => Some(u32::from(c - b'0' + 52)),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes standard-alphabet base64. Padding may be present (then the length
/// must be a multiple of four) or left out; the unused low bits of the last
/// character must be zero, so every byte string has exactly one accepted
/// spelling (with and without its padding). Anything else is `None`.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let unpadded = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="));
    let data = match unpadded {
        Some(_) if !bytes.len().is_multiple_of(4) => return None,
        Some(data) => data,
        None => bytes,
    };
    let tail = data.len() % 4;
    if tail == 1 || (unpadded.is_some() && tail == 0) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | b64_value(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]),
            3 if n & 0x3 == 0 => out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]),
            2 if n & 0xf == 0 => out.push((n >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

/// Decodes padded base64 only, the one spelling Standard Webhooks writes a
/// signature in: the same bytes without their padding are a second spelling,
/// and a header changed that way must not verify (the official libraries
/// compare the base64 text and refuse it too).
pub(crate) fn base64_decode_padded(text: &str) -> Option<Vec<u8>> {
    if text.len().is_multiple_of(4) {
        base64_decode(text)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hex_round_trips_and_refuses_wrong_lengths() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode::<3>("00abff"), Some([0x00, 0xab, 0xff]));
        assert_eq!(hex_decode::<3>("00ABff"), None);
        assert_eq!(hex_decode::<3>("00abf"), None);
        assert_eq!(hex_decode::<3>("00abfff0"), None);
        assert_eq!(hex_decode::<3>("00abfg"), None);
        assert_eq!(hex_decode::<0>(""), Some([]));
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            let bare = encoded.trim_end_matches('=');
            assert_eq!(base64_decode(bare).as_deref(), Some(plain.as_bytes()));
            assert_eq!(
                base64_decode_padded(encoded).as_deref(),
                Some(plain.as_bytes())
            );
            if bare != encoded {
                assert_eq!(base64_decode_padded(bare), None, "{bare:?}");
            }
        }
    }

    #[test]
    fn base64_refuses_malformed_text() {
        for bad in [
            "Z", "Zg=", "Zh==", "Zm9=", "Zm9v=", "====", "Zg==Zg==", "Zm9v\n", "Zm-v", "Zm_v",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }
}
