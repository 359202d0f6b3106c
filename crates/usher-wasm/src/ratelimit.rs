//! GCRA for JavaScript: a validated `GcraQuota` whose `decide` mirrors
//! `usher_ratelimit::decide`, with times and durations as integer microseconds.

use core::num::NonZeroU32;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, to_u32, type_error};

/// A rate-limit quota: `count` requests per `periodUs` microseconds, up to `burst` at once.
#[wasm_bindgen]
pub struct GcraQuota(usher_ratelimit::Quota);

/// One decision, shaped for JSON and the shared vector files.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionJs {
    allowed: bool,
    too_large: bool,
    remaining: u32,
    retry_after_us: Option<i64>,
    reset_after_us: i64,
    /// The state to store when allowed; null when the stored state must not change.
    tat_us: Option<i64>,
}

#[wasm_bindgen]
impl GcraQuota {
    /// Throws a `TypeError` for a zero count or burst, or a period too short for the count.
    #[wasm_bindgen(constructor)]
    pub fn new(count: f64, period_us: f64, burst: f64) -> Result<GcraQuota, JsValue> {
        let nonzero = |name: &str, v: f64| {
            NonZeroU32::new(to_u32(name, v)?)
                .ok_or_else(|| type_error(format_args!("{name} must be at least 1")))
        };
        let quota = usher_ratelimit::Quota::from_period_us(
            nonzero("count", count)?,
            to_i64("periodUs", period_us)?,
            nonzero("burst", burst)?,
        )
        .map_err(type_error)?;
        Ok(GcraQuota(quota))
    }

    /// The emission interval T in microseconds (period / count, rounded down).
    #[wasm_bindgen(getter, js_name = emissionIntervalUs)]
    pub fn emission_interval_us(&self) -> f64 {
        self.0.emission_interval_us() as f64
    }

    /// Decides a request of `cost` at `nowUs` for a key whose stored state is `tatUs`
    /// (`null` or `undefined` for a fresh key). Returns `{allowed, tooLarge, remaining,
    /// retryAfterUs, resetAfterUs, tatUs}`.
    pub fn decide(&self, tat_us: Option<f64>, now_us: f64, cost: f64) -> Result<JsValue, JsValue> {
        let state = tat_us.map(|t| to_i64("tatUs", t)).transpose()?;
        let d = usher_ratelimit::decide(
            &self.0,
            state,
            to_i64("nowUs", now_us)?,
            to_u32("cost", cost)?,
        );
        let out = DecisionJs {
            allowed: d.is_allowed(),
            too_large: d.is_too_large(),
            remaining: d.remaining(),
            retry_after_us: d.retry_after_us(),
            reset_after_us: d.reset_after_us(),
            tat_us: d.new_state(),
        };
        // JSON-compatible output writes `None` as `null`, as the TypeScript type says.
        out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(type_error)
    }
}
