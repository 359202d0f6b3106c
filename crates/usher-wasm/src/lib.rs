//! The JavaScript face of Usher's core crates.
//!
//! Invariant: this is the only crate that depends on `wasm-bindgen`, `js-sys` or
//! `serde-wasm-bindgen`. It converts JavaScript values into the core crates' types,
//! calls them, and maps their typed errors to JavaScript `TypeError`s. It holds no logic
//! of its own beyond that translation.

mod errors;
mod qr;
mod qr_png;
mod ratelimit;
mod retry;
mod webhook;

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
        let mut ring =
            qr::QrKeyRing::new("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        assert!(
            is_type_error(ring.verify(0, 0.0).unwrap_err()),
            "no event set"
        );
        assert!(is_type_error(ring.set_event("not-a-uuid").unwrap_err()));
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn number_errors_quote_the_number_as_javascript_writes_it() {
        let message = |e: wasm_bindgen::JsValue| {
            String::from(wasm_bindgen::JsCast::unchecked_into::<js_sys::Error>(e).message())
        };
        assert_eq!(
            message(errors::to_i64("now", 1.5).unwrap_err()),
            "now must be a safe integer, got 1.5"
        );
        assert_eq!(
            message(errors::to_u32("cost", -1e21).unwrap_err()),
            "cost must be an integer from 0 to 2^32-1, got -1e+21"
        );
        assert_eq!(
            message(errors::to_i64("tatUs", f64::NAN).unwrap_err()),
            "tatUs must be a safe integer, got NaN"
        );
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn verify_reads_no_more_than_its_buffer() {
        let mut ring =
            qr::QrKeyRing::new("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        ring.set_event("0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98")
            .unwrap();
        let malformed = 2 + usher_qr::Reason::ALL
            .iter()
            .position(|r| *r == usher_qr::Reason::Malformed)
            .unwrap() as u32;
        for len in [
            0,
            ring.ticket_offset() + 1,
            ring.ticket_offset() + 16,
            usize::MAX,
        ] {
            assert_eq!(ring.verify(len, 0.0).unwrap(), malformed, "len {len}");
        }
    }
}
