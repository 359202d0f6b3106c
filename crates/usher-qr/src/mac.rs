//! HMAC-SHA256, the code MAC input and the display-key derivation.

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::format::Kind;
use crate::ids::{EventId, TicketId};
use crate::key::KeyId;
use crate::MAC_LEN;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// SHA-256 block size: keys up to this length are zero-padded, longer keys
/// are hashed first (RFC 2104 section 2).
const BLOCK_LEN: usize = 64;

/// Domain separator that starts every code MAC input.
pub(crate) const CODE_DOMAIN: &[u8] = b"usher-qr\0";

/// Domain separator of the display-key derivation. It differs from
/// [`CODE_DOMAIN`] in its first bytes, so no code MAC input can equal a
/// derivation input.
pub(crate) const DISPLAY_DOMAIN: &[u8] = b"usher-qr-display\0v1";

/// Returns a keyed HMAC-SHA256 instance.
///
/// The key is laid into a zeroizing block-sized buffer exactly as RFC 2104
/// prescribes, which lets us use the infallible fixed-size constructor
/// instead of the fallible slice one and so keep this path free of panics.
pub(crate) fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
    if key.len() > BLOCK_LEN {
        // Only keys longer than 64 bytes take this path, and `Key` caps its
        // length at 64, so in practice this serves the RFC 4231 tests.
        let digest: Zeroizing<[u8; 32]> = Zeroizing::new(Sha256::digest(key).into());
        block[..digest.len()].copy_from_slice(&digest[..]);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let block: &Key<HmacSha256> = (&*block).into();
    <HmacSha256 as KeyInit>::new(block)
}

/// HMAC-SHA256 of the concatenation of `parts` under `key` (the RFC 4231 tests' path).
#[cfg(test)]
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    hmac_sha256_keyed(&keyed(key), parts)
}

/// HMAC-SHA256 of `parts` from an already keyed instance. Keying costs two SHA-256
/// blocks, a third of a code verification, so master keys are keyed once (see `Key`).
pub(crate) fn hmac_sha256_keyed(keyed: &HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = keyed.clone();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 truncated to its leftmost 128 bits.
pub(crate) fn hmac_sha256_128(key: &HmacSha256, parts: &[&[u8]]) -> [u8; MAC_LEN] {
    let full = hmac_sha256_keyed(key, parts);
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// Checks a 128-bit truncated HMAC-SHA256 tag in constant time.
///
/// Both sides are fixed 16-byte arrays, so the comparison is always between
/// equal-length slices and its running time does not depend on where the
/// first differing byte is.
pub(crate) fn hmac_sha256_128_matches(
    key: &HmacSha256,
    parts: &[&[u8]],
    tag: &[u8; MAC_LEN],
) -> bool {
    let expected = hmac_sha256_128(key, parts);
    bool::from(expected.ct_eq(tag))
}

/// Length of the longest MAC input, with a 16-byte key id.
const MAX_INPUT_LEN: usize =
    CODE_DOMAIN.len() + crate::VERSION.len() + 1 + 1 + KeyId::MAX_LEN + 16 + 16 + 8;

/// The fields of a code that the MAC covers.
pub(crate) struct CodeFields<'a> {
    pub kind: Kind,
    pub kid: &'a KeyId,
    pub ticket: &'a TicketId,
    pub event: &'a EventId,
    /// Issued-at as unsigned seconds; negative values are rejected before this
    /// point because they have no encoding in the code text.
    pub iat: u64,
}

impl CodeFields<'_> {
    /// Calls `f` with the MAC input as a list of parts:
    /// `"usher-qr\0" ‖ "v1" ‖ kind ‖ u8 len(kid) ‖ kid ‖ ticket ‖ event ‖ iat_be64`.
    ///
    /// Every variable-length field is length-prefixed and every other field
    /// has a fixed size, so no two different field tuples share an input.
    fn with_input<R>(&self, f: impl FnOnce(&[&[u8]]) -> R) -> R {
        let kind = [self.kind.as_byte()];
        let kid = self.kid.as_bytes();
        // A key id is at most 16 bytes, so its length always fits a byte.
        let kid_len = [kid.len() as u8];
        let iat = self.iat.to_be_bytes();
        let parts: [&[u8]; 8] = [
            CODE_DOMAIN,
            crate::VERSION.as_bytes(),
            &kind,
            &kid_len,
            kid,
            self.ticket.as_bytes(),
            self.event.as_bytes(),
            &iat,
        ];
        // One contiguous input: a single `update` costs less than eight small ones,
        // each of which goes through the hash's block buffer. Every part fits, since the
        // buffer holds the longest input; the checked `get`s keep this path free of panics.
        let mut input = [0u8; MAX_INPUT_LEN];
        let mut len = 0;
        for part in parts {
            let end = len + part.len();
            if let Some(slot) = input.get_mut(len..end) {
                slot.copy_from_slice(part);
            }
            len = end;
        }
        f(&[input.get(..len).unwrap_or(&input)])
    }

    /// The 128-bit MAC under the keyed `key`.
    pub(crate) fn mac(&self, key: &HmacSha256) -> [u8; MAC_LEN] {
        self.with_input(|parts| hmac_sha256_128(key, parts))
    }

    /// Whether `tag` is the 128-bit MAC under `key`, compared in constant time.
    pub(crate) fn mac_matches(&self, key: &HmacSha256, tag: &[u8; MAC_LEN]) -> bool {
        self.with_input(|parts| hmac_sha256_128_matches(key, parts, tag))
    }
}

/// Derives the display key bytes of one ticket of one event from a master key.
pub(crate) fn derive_display_key(
    master: &HmacSha256,
    ticket: &TicketId,
    event: &EventId,
) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(hmac_sha256_keyed(
        master,
        &[DISPLAY_DOMAIN, ticket.as_bytes(), event.as_bytes()],
    ))
}

#[cfg(test)]
mod tests {
    //! RFC 4231 test vectors, run through the crate's own HMAC path.

    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn unhex(text: &str) -> Vec<u8> {
        let text: String = text.split_whitespace().collect();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    struct Case {
        key: Vec<u8>,
        data: Vec<u8>,
        mac: &'static str,
    }

    fn cases() -> Vec<Case> {
        vec![
            // Test case 1.
            Case {
                key: vec![0x0b; 20],
                data: b"Hi There".to_vec(),
                mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            },
            // Test case 2: a key shorter than the output.
            Case {
                key: b"Jefe".to_vec(),
                data: b"what do ya want for nothing?".to_vec(),
                mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            },
            // Test case 3: combined key and data length above the block size.
            Case {
                key: vec![0xaa; 20],
                data: vec![0xdd; 50],
                mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            },
            // Test case 4.
            Case {
                key: unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                data: vec![0xcd; 50],
                mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            },
            // Test case 6: a key larger than the block size, hashed first.
            Case {
                key: vec![0xaa; 131],
                data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            },
            // Test case 7: a large key and large data.
            Case {
                key: vec![0xaa; 131],
                data: b"This is a test using a larger than block-size key and a larger \
than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            },
        ]
    }

    #[test]
    fn rfc4231_full_length_cases() {
        for (i, case) in cases().iter().enumerate() {
            assert_eq!(
                hmac_sha256(&case.key, &[&case.data]).to_vec(),
                unhex(case.mac),
                "case index {i}"
            );
        }
    }

    #[test]
    fn rfc4231_parts_are_concatenated() {
        // Splitting the data into parts must not change the MAC.
        let case = &cases()[1];
        let (a, b) = case.data.split_at(7);
        assert_eq!(
            hmac_sha256(&case.key, &[a, &[], b]).to_vec(),
            unhex(case.mac)
        );
    }

    #[test]
    fn rfc4231_case5_truncated_to_128_bits() {
        let key = vec![0x0c; 20];
        let data = b"Test With Truncation";
        let expected = unhex("a3b6167473100ee06e0c796c2955552b");
        assert_eq!(hmac_sha256_128(&keyed(&key), &[data]).to_vec(), expected);

        let mut tag = [0u8; MAC_LEN];
        tag.copy_from_slice(&expected);
        assert!(hmac_sha256_128_matches(&keyed(&key), &[data], &tag));
        for i in 0..MAC_LEN {
            let mut bad = tag;
            bad[i] ^= 0x01;
            assert!(
                !hmac_sha256_128_matches(&keyed(&key), &[data], &bad),
                "byte {i}"
            );
        }
    }

    #[test]
    fn domains_are_distinct_prefixes() {
        assert!(!DISPLAY_DOMAIN.starts_with(CODE_DOMAIN));
        assert!(!CODE_DOMAIN.starts_with(DISPLAY_DOMAIN));
    }
}
