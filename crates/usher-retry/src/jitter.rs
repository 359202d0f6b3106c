//! The jitter: a pure integer function of (attempt, seed).
//!
//! The hash is MurmurHash3's 32-bit finalizer (`fmix32`) applied twice:
//! `fmix32(fmix32(seed) ^ attempt)`. It was chosen so that every place that
//! computes a next attempt can reproduce it exactly and cheaply:
//!
//! * it uses only 32-bit xor, shifts and wrapping multiplication, which
//!   JavaScript has natively (`Math.imul(h, c) >>> 0`, no `BigInt`) and which
//!   PostgreSQL can do in `bigint` by splitting a multiplier into 16-bit
//!   halves, so no product overflows;
//! * it keeps no state, unlike a seeded random generator, so a row needs to
//!   store nothing but its seed and its attempt count;
//! * `fmix32` is a bijection with full avalanche, so hashing the seed first
//!   makes neighbouring seeds (sequential ids) and neighbouring attempts land
//!   far apart, and `seed ^ attempt` collisions such as (1, 0) and (0, 1)
//!   cannot occur.

/// MurmurHash3's 32-bit finalizer.
const fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The jitter hash of one attempt of one job: `fmix32(fmix32(seed) ^ attempt)`.
///
/// Public so that other implementations can check their hash against this
/// one, and `tests/vectors/retry.json` lists some values.
pub const fn jitter_hash(attempt: u32, seed: u32) -> u32 {
    fmix32(fmix32(seed) ^ attempt)
}

/// `base_ms` moved by up to `percent` % either way, uniformly by `hash`:
/// `base - span + hash % (2 * span + 1)` with `span = base * percent / 100`
/// (floor division).
///
/// The modulo bias is below 0.5 % for any span under 10^7 ms, far below what
/// spreading retries needs. `percent` is at most 100, so the result is never
/// negative, and with a `u32` base it cannot overflow a `u64`.
pub(crate) const fn jittered(base_ms: u32, percent: u32, hash: u32) -> u64 {
    let base = base_ms as u64;
    let span = base * percent as u64 / 100;
    base - span + (hash as u64) % (2 * span + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn fmix32_matches_murmur3() {
        // Published MurmurHash3 finalizer values.
        assert_eq!(fmix32(0), 0);
        assert_eq!(fmix32(1), 0x514e_28b7);
    }

    #[test]
    fn neighbouring_inputs_do_not_collide() {
        assert_ne!(jitter_hash(0, 1), jitter_hash(1, 0));
        assert_ne!(jitter_hash(0, 0), jitter_hash(1, 0));
        assert_ne!(jitter_hash(0, 0), jitter_hash(0, 1));
    }

    #[test]
    fn jitter_spans_both_ends() {
        assert_eq!(jittered(1_000, 10, 0), 900);
        assert_eq!(jittered(1_000, 10, 200), 1_100);
        assert_eq!(jittered(1_000, 10, 201), 900);
        assert_eq!(jittered(1_000, 0, u32::MAX), 1_000);
        assert_eq!(jittered(u32::MAX, 100, u32::MAX), u64::from(u32::MAX));
        assert_eq!(jittered(9, 10, 12345), 9, "a span that floors to 0");
    }
}
