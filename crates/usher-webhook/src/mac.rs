//! HMAC-SHA256 and the constant-time tag comparison.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Length of an HMAC-SHA256 tag in bytes.
pub(crate) const TAG_LEN: usize = 32;

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; TAG_LEN] {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail for it;
    // the fallback keeps this path free of `unwrap` all the same.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return [0; TAG_LEN];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Compares a decoded candidate with the expected tag. The length is checked
/// first and in the open (it is not secret: every genuine tag has 32 bytes),
/// then the bytes in constant time, so the running time does not tell an
/// attacker how many leading bytes they got right.
pub(crate) fn tag_matches(expected: &[u8; TAG_LEN], candidate: &[u8]) -> bool {
    candidate.len() == TAG_LEN && bool::from(expected.as_slice().ct_eq(candidate))
}
