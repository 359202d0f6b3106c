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

/// Converts a JS number to an i64, refusing fractions, NaN and anything unsafe.
pub fn to_i64(name: &str, value: f64) -> Result<i64, JsValue> {
    if value.fract() != 0.0 || value.abs() > MAX_SAFE_INTEGER || value.is_nan() {
        return Err(type_error(format_args!(
            "{name} must be a safe integer, got {value}"
        )));
    }
    Ok(value as i64)
}

/// Converts a JS number to a u32, refusing fractions, negatives and overflow.
pub fn to_u32(name: &str, value: f64) -> Result<u32, JsValue> {
    if value.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&value) {
        return Err(type_error(format_args!(
            "{name} must be an integer from 0 to 2^32-1, got {value}"
        )));
    }
    Ok(value as u32)
}
