//! Retry rules for JavaScript: `usher_retry` with schedules named by string,
//! classes and decisions as the strings of `tests/vectors/retry.json`, and
//! times and delays as integer milliseconds.

use usher_retry::{Class, Schedule};
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, to_u32, type_error};

/// The schedule called `name`: `email`, `webhook` or `dashboard`.
fn schedule(name: &str) -> Result<Schedule, JsValue> {
    match name {
        "email" => Ok(Schedule::email()),
        "webhook" => Ok(Schedule::webhook()),
        "dashboard" => Ok(Schedule::dashboard()),
        _ => Err(type_error(format_args!(
            "schedule must be \"email\", \"webhook\" or \"dashboard\", got {name:?}"
        ))),
    }
}

/// A non-negative safe integer number of milliseconds.
fn to_ms(name: &str, value: f64) -> Result<u64, JsValue> {
    u64::try_from(to_i64(name, value)?)
        .map_err(|_| type_error(format_args!("{name} must not be negative")))
}

/// Classifies a failed call: `status` is the HTTP status, or `null` when no
/// response came (transport failure, timeout); `name` is the provider's error
/// name. Returns `"retry"`, `"defer"` or `"give_up"`.
#[wasm_bindgen(js_name = retryClassify)]
pub fn retry_classify(status: Option<f64>, name: Option<String>) -> Result<String, JsValue> {
    let status = status
        .map(|s| {
            u16::try_from(to_u32("status", s)?)
                .map_err(|_| type_error("status must be at most 65535"))
        })
        .transpose()?;
    Ok(usher_retry::classify(status, name.as_deref())
        .as_str()
        .to_owned())
}

/// Milliseconds to wait for a `Retry-After` value read at `nowMs` (Unix
/// milliseconds), capped at 24 hours; `undefined` when the value is neither
/// delta-seconds nor an IMF-fixdate, in which case the schedule decides.
#[wasm_bindgen(js_name = retryAfterMs)]
pub fn retry_after_ms(value: &str, now_ms: f64) -> Result<Option<f64>, JsValue> {
    let now = to_i64("nowMs", now_ms)?;
    Ok(usher_retry::parse_retry_after(value, now)
        .ok()
        .map(|ms| ms as f64))
}

/// The jittered delay in milliseconds after attempt `attempt` (0 is the first
/// try) of the job with `seed` fails, on the named schedule.
#[wasm_bindgen(js_name = retryDelayMs)]
pub fn retry_delay_ms(schedule_name: &str, attempt: f64, seed: f64) -> Result<f64, JsValue> {
    let s = schedule(schedule_name)?;
    Ok(s.delay_ms(to_u32("attempt", attempt)?, to_u32("seed", seed)?) as f64)
}

/// What follows a failure, from [`retry_next`].
#[wasm_bindgen]
pub struct RetryDecision(usher_retry::Decision);

#[wasm_bindgen]
impl RetryDecision {
    /// `"retry_at"` (count an attempt), `"defer"` (count none) or
    /// `"dead_letter"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.0.as_str().to_owned()
    }

    /// Milliseconds from now until the next try; `undefined` for a dead letter.
    #[wasm_bindgen(getter, js_name = delayMs)]
    pub fn delay_ms(&self) -> Option<f64> {
        self.0.delay_ms().map(|ms| ms as f64)
    }
}

/// Decides what follows the failure of attempt `attempt` of the job with
/// `seed` on the named schedule, with the row's own `maxAttempts`, the
/// failure's class (`"retry"`, `"defer"` or `"give_up"`) and the wait the
/// server asked for in milliseconds (`null` or `undefined` if none).
#[wasm_bindgen(js_name = retryNext)]
pub fn retry_next(
    schedule_name: &str,
    max_attempts: f64,
    attempt: f64,
    class: &str,
    retry_after_ms: Option<f64>,
    seed: f64,
) -> Result<RetryDecision, JsValue> {
    let s = schedule(schedule_name)?.with_max_attempts(to_u32("maxAttempts", max_attempts)?);
    let class = Class::from_name(class).ok_or_else(|| {
        type_error(format_args!(
            "class must be \"retry\", \"defer\" or \"give_up\", got {class:?}"
        ))
    })?;
    let retry_after = retry_after_ms
        .map(|ms| to_ms("retryAfterMs", ms))
        .transpose()?;
    Ok(RetryDecision(usher_retry::next(
        &s,
        to_u32("attempt", attempt)?,
        class,
        retry_after,
        to_u32("seed", seed)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    // These run on wasm under `wasm-pack test --node`, and natively where no
    // JavaScript value is built.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::Value;

    /// The shared vector file, compiled in: wasm32-unknown-unknown cannot
    /// read files, and this is the file every implementation replays.
    const VECTORS: &str = include_str!("../../../tests/vectors/retry.json");

    fn rows(key: &str) -> Vec<Value> {
        let root: Value = serde_json::from_str(VECTORS).expect("the vector file is valid JSON");
        root[key].as_array().expect("an array").clone()
    }

    fn num(v: &Value) -> f64 {
        v.as_f64().expect("a number")
    }

    #[test]
    fn the_wasm_build_replays_the_shared_vectors() {
        for row in rows("delays") {
            let got = retry_delay_ms(
                row["schedule"].as_str().unwrap(),
                num(&row["attempt"]),
                num(&row["seed"]),
            )
            .unwrap();
            assert_eq!(got, num(&row["delay_ms"]), "{row}");
        }
        for row in rows("classify") {
            let got = retry_classify(
                row["status"].as_f64(),
                row["name"].as_str().map(str::to_owned),
            )
            .unwrap();
            assert_eq!(got, row["class"].as_str().unwrap(), "{row}");
        }
        for row in rows("retry_after") {
            let got = retry_after_ms(row["value"].as_str().unwrap(), num(&row["now_ms"])).unwrap();
            assert_eq!(got, row["delay_ms"].as_f64(), "{row}");
        }
        for row in rows("next") {
            let d = retry_next(
                row["schedule"].as_str().unwrap(),
                num(&row["max_attempts"]),
                num(&row["attempt"]),
                row["class"].as_str().unwrap(),
                row["retry_after_ms"].as_f64(),
                num(&row["seed"]),
            )
            .unwrap();
            assert_eq!(d.kind(), row["decision"].as_str().unwrap(), "{row}");
            assert_eq!(d.delay_ms(), row["delay_ms"].as_f64(), "{row}");
        }
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn bad_arguments_become_type_errors() {
        use wasm_bindgen::JsCast;
        let is_type_error = |e: JsValue| e.is_instance_of::<js_sys::TypeError>();
        assert!(is_type_error(retry_delay_ms("sms", 0.0, 0.0).unwrap_err()));
        assert!(is_type_error(
            retry_delay_ms("email", -1.0, 0.0).unwrap_err()
        ));
        assert!(is_type_error(
            retry_classify(Some(70_000.0), None).unwrap_err()
        ));
        assert!(is_type_error(retry_after_ms("1", 0.5).unwrap_err()));
        assert!(is_type_error(
            retry_next("email", 5.0, 0.0, "Retry", None, 0.0)
                .err()
                .unwrap()
        ));
        assert!(is_type_error(
            retry_next("email", 5.0, 0.0, "retry", Some(-1.0), 0.0)
                .err()
                .unwrap()
        ));
    }
}
