//! The JavaScript face of Usher's core crates.
//!
//! Invariant: this is the only crate that depends on `wasm-bindgen`, `js-sys` or
//! `serde-wasm-bindgen`. It converts JavaScript values into the core crates' types,
//! calls them, and maps their typed errors to JavaScript `TypeError`s. It holds no logic
//! of its own beyond that translation.

use wasm_bindgen::prelude::*;

/// The version of the Usher core compiled into this module, so callers can log and check it.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Fills a new byte array with `len` bytes from the platform's CSPRNG
/// (`crypto.getRandomValues` in browsers and Deno), for key generation.
#[wasm_bindgen(js_name = randomBytes)]
pub fn random_bytes(len: usize) -> Result<Vec<u8>, JsError> {
    if len == 0 || len > 1024 {
        return Err(JsError::new("randomBytes: len must be between 1 and 1024"));
    }
    let mut buf = vec![0u8; len];
    getrandom::getrandom(&mut buf).map_err(|e| JsError::new(&format!("randomBytes: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    // These run on wasm under `wasm-pack test --node`, where getrandom reaches
    // Node's WebCrypto; natively they exercise the same code against the OS.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn version_is_semver() {
        let v = version();
        assert_eq!(v.split('.').count(), 3, "{v}");
        assert!(v.split('.').all(|p| p.parse::<u32>().is_ok()), "{v}");
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn random_bytes_fills_the_requested_length_with_fresh_bytes() {
        let a = random_bytes(32).unwrap();
        let b = random_bytes(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b, "two 32-byte draws collided");
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn random_bytes_rejects_empty_and_huge_requests() {
        assert!(random_bytes(0).is_err());
        assert!(random_bytes(1025).is_err());
    }
}
