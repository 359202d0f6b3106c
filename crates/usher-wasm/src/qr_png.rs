//! A print code as a QR-code PNG for JavaScript, for the ticket e-mail's inline image.

use usher_qrpng::{render_png, PngOptions};
use wasm_bindgen::prelude::*;

use crate::errors::{to_u32, type_error};

/// The PNG of `text` as a QR code at level M with the spec's 4-module quiet zone,
/// `modulePx` pixels to a module. Throws a `TypeError` for an empty text, one longer
/// than a QR code holds (2331 bytes) and a module size outside 1 to 32.
#[wasm_bindgen(js_name = qrPng)]
pub fn qr_png(text: &str, module_px: f64) -> Result<Vec<u8>, JsValue> {
    let options = PngOptions {
        module_px: to_u32("modulePx", module_px)?,
        ..PngOptions::default()
    };
    render_png(text, options).map_err(type_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    // These run on wasm under `wasm-pack test --node`, and natively where no
    // JavaScript value is built.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_print_code_becomes_a_png_of_the_asked_size() {
        let code = "v1.p.dev2026.XwxvTo9VSlOdDio8HZp7EA.1767225600.b2tTfmQ0XwbJYu2Ld4J9gQ";
        let png = qr_png(code, 8.0).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR's width: the 37-module symbol of a 70-byte text, its quiet zone, 8 pixels each.
        assert_eq!(png[16..20], ((37 + 8) * 8u32).to_be_bytes());
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn bad_arguments_become_type_errors() {
        use wasm_bindgen::JsCast;
        let is_type_error = |e: JsValue| e.is_instance_of::<js_sys::TypeError>();
        assert!(is_type_error(qr_png("", 8.0).unwrap_err()));
        assert!(is_type_error(qr_png(&"x".repeat(2332), 8.0).unwrap_err()));
        assert!(is_type_error(qr_png("x", 0.0).unwrap_err()));
        assert!(is_type_error(qr_png("x", 1.5).unwrap_err()));
    }
}
