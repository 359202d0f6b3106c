//! The JavaScript face of Usher's core crates.
//!
//! Invariant: this is the only crate that depends on `wasm-bindgen`, `js-sys` or
//! `serde-wasm-bindgen`. It converts JavaScript values into the core crates' types,
//! calls them, and maps their typed errors to JavaScript `TypeError`s. It holds no logic
//! of its own beyond that translation.

mod errors;
mod qr;
mod ratelimit;

use wasm_bindgen::prelude::*;

/// The version of the Usher core compiled into this module, so callers can log and check it.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
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
    fn generated_keys_are_fresh_and_form_a_valid_ring() {
        let a = qr::qr_generate_key("k1").unwrap();
        let b = qr::qr_generate_key("k2").unwrap();
        assert!(a.starts_with("k1:") && b.starts_with("k2:"));
        assert_ne!(a[3..], b[3..], "two generated keys collided");
        assert!(qr::QrKeyRing::new(&format!("{a},{b}")).is_ok());
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn bad_arguments_become_type_errors() {
        use wasm_bindgen::JsCast;
        let is_type_error = |e: wasm_bindgen::JsValue| e.is_instance_of::<js_sys::TypeError>();
        assert!(is_type_error(qr::qr_generate_key("bad kid!").unwrap_err()));
        assert!(is_type_error(qr::QrKeyRing::new("k1:short").err().unwrap()));
        assert!(is_type_error(
            ratelimit::GcraQuota::new(0.0, 60e6, 1.0).err().unwrap()
        ));
        assert!(is_type_error(
            ratelimit::GcraQuota::new(5.0, 60e6, 1.5).err().unwrap()
        ));
    }
}
