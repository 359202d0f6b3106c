//! How core errors cross into JavaScript: as `TypeError`s carrying the core's message,
//! which never includes key material.

use wasm_bindgen::JsValue;

/// A JavaScript `TypeError` with `message`, for invalid arguments.
pub fn type_error(message: impl core::fmt::Display) -> JsValue {
    js_sys::TypeError::new(&message.to_string()).into()
}

/// JavaScript numbers hold integers exactly up to 2^53; microsecond timestamps and
/// durations must stay within that to round-trip.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A `TypeError` saying that argument `name` breaks `rule`, quoting `value` as
/// JavaScript writes it. Rust's own float formatting would be a fifth of the module,
/// which every cold start decodes and compiles, for the sake of error messages.
fn number_error(name: &str, rule: &str, value: f64) -> JsValue {
    let message =
        js_sys::JsString::from(format!("{name} {rule}, got ")).concat(&JsValue::from_f64(value));
    js_sys::TypeError::new(&String::from(message)).into()
}

/// Converts a JS number to an i64, refusing fractions, NaN and anything unsafe.
pub fn to_i64(name: &str, value: f64) -> Result<i64, JsValue> {
    if value.fract() != 0.0 || value.abs() > MAX_SAFE_INTEGER || value.is_nan() {
        return Err(number_error(name, "must be a safe integer", value));
    }
    Ok(value as i64)
}

/// Converts a JS number to a u32, refusing fractions, negatives and overflow.
pub fn to_u32(name: &str, value: f64) -> Result<u32, JsValue> {
    if value.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&value) {
        return Err(number_error(
            name,
            "must be an integer from 0 to 2^32-1",
            value,
        ));
    }
    Ok(value as u32)
}
