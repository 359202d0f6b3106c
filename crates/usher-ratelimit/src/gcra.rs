//! The GCRA decision itself: given a quota, a key's stored state and the
//! current time, admit or refuse one request.

use crate::quota::Quota;

/// The outcome of [`decide`] for one request.
///
/// A refusal is a value rather than an error because refusing is the normal,
/// expected job of a rate limiter; callers match on it to build a response.
#[must_use = "a decision that is not looked at admits nothing and stores nothing"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The request is admitted.
    Allowed {
        /// The key's new theoretical arrival time: store it as the key's
        /// state. It is never earlier than `now_us`.
        tat_us: i64,
        /// How many more requests of cost 1 would be admitted right now.
        remaining: u32,
        /// Microseconds until the key is back to a full burst, if it is left
        /// alone.
        reset_after_us: i64,
    },
    /// The request is refused for now; the stored state must not change.
    Denied {
        /// Microseconds until this same request (same cost) would be
        /// admitted; always ≥ 1.
        retry_after_us: i64,
        /// Microseconds until the key is back to a full burst.
        reset_after_us: i64,
        /// How many requests of cost 1 would be admitted right now; may be
        /// non-zero when a larger cost was refused.
        remaining: u32,
    },
    /// The cost exceeds the burst, so the request can never be admitted,
    /// however long the client waits. The stored state must not change.
    TooLarge {
        /// The quota's burst, the largest cost that can ever be admitted.
        burst: u32,
    },
}

impl Decision {
    /// Whether the request is admitted.
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// Whether the request was refused because its cost exceeds the burst.
    pub const fn is_too_large(&self) -> bool {
        matches!(self, Decision::TooLarge { .. })
    }

    /// The state to store for the key: `Some` only when the request was
    /// admitted. A refusal leaves the stored state as it was.
    pub const fn new_state(&self) -> Option<i64> {
        match self {
            Decision::Allowed { tat_us, .. } => Some(*tat_us),
            Decision::Denied { .. } | Decision::TooLarge { .. } => None,
        }
    }

    /// How many requests of cost 1 would be admitted right now.
    ///
    /// For [`Decision::TooLarge`] this is 0: that refusal is decided from the
    /// cost alone, without looking at the key's state.
    pub const fn remaining(&self) -> u32 {
        match self {
            Decision::Allowed { remaining, .. } | Decision::Denied { remaining, .. } => *remaining,
            Decision::TooLarge { .. } => 0,
        }
    }

    /// Microseconds to wait before retrying: `Some` only for
    /// [`Decision::Denied`]. An admitted request needs no wait, and a
    /// [`Decision::TooLarge`] one would never succeed, so both give `None`.
    pub const fn retry_after_us(&self) -> Option<i64> {
        match self {
            Decision::Denied { retry_after_us, .. } => Some(*retry_after_us),
            Decision::Allowed { .. } | Decision::TooLarge { .. } => None,
        }
    }

    /// Microseconds until the key is back to a full burst.
    ///
    /// For [`Decision::TooLarge`] this is 0, for the same reason as
    /// [`Decision::remaining`].
    pub const fn reset_after_us(&self) -> i64 {
        match self {
            Decision::Allowed { reset_after_us, .. } | Decision::Denied { reset_after_us, .. } => {
                *reset_after_us
            }
            Decision::TooLarge { .. } => 0,
        }
    }

    /// Microseconds until [`Decision::remaining`] grows by one, if the key is
    /// left alone: the reset parameter `t` of the HTTP `RateLimit` field
    /// (draft-ietf-httpapi-ratelimit-headers), "the time until additional
    /// quota is made available".
    ///
    /// `quota` must be the quota the decision was made with. The result is
    /// `None` when no more quota can become available, because the key is at
    /// its full burst (its reset is 0), and for [`Decision::TooLarge`], which
    /// says nothing about the key's state. Otherwise it is
    /// `reset_after_us - (tau - T * (remaining + 1))`, always ≥ 1, and for a
    /// refusal of cost 1 it equals `retry_after_us`: the moment one more unit
    /// is available is the moment the refused request would be admitted.
    pub const fn next_unit_after_us(&self, quota: &Quota) -> Option<i64> {
        match self {
            Decision::Allowed {
                remaining,
                reset_after_us,
                ..
            }
            | Decision::Denied {
                remaining,
                reset_after_us,
                ..
            } => {
                if *reset_after_us <= 0 {
                    return None;
                }
                // `remaining < burst` whenever the reset is positive, so the
                // product is at most tau and the difference cannot overflow.
                let unlocked = quota.emission_interval_us() * (*remaining as i64 + 1);
                Some(*reset_after_us - (quota.tolerance_us() - unlocked))
            }
            Decision::TooLarge { .. } => None,
        }
    }
}

/// Decides whether a request of `cost` units on one key is admitted at
/// `now_us`.
///
/// `state` is the key's stored theoretical arrival time (TAT) in
/// microseconds, or `None` for a key never seen (or expired from storage).
/// The function reads no clock and keeps no state: the caller supplies the
/// time and stores [`Decision::new_state`] when it is `Some`.
///
/// With `T` the emission interval and `tau` the tolerance of `quota`:
///
/// 1. If `cost > burst`, the result is [`Decision::TooLarge`] and the state
///    is not consulted.
/// 2. `tat = max(state.unwrap_or(now), now)` and
///    `new_tat = tat + T * cost`.
/// 3. If `new_tat - now > tau`, the result is [`Decision::Denied`] with
///    `retry_after_us = new_tat - tau - now`, `reset_after_us = tat - now`
///    and `remaining = max(0, floor((tau - (tat - now)) / T))`.
/// 4. Otherwise the result is [`Decision::Allowed`] with `tat_us = new_tat`,
///    `remaining = floor((tau - (new_tat - now)) / T)` and
///    `reset_after_us = new_tat - now`.
///
/// A cost of 0 is a peek: it reports `remaining` and `reset_after_us`
/// without using anything up, and its new state is `tat` itself. For a fresh
/// key that state is `now_us`; storing it is harmless, since a TAT at or
/// before the current time means "full burst available". A peek is denied
/// only when the stored state lies more than `tau` ahead of `now_us`, which
/// happens when the clock went backwards; the refusal then says how long
/// until the key is back within its tolerance.
///
/// # Extreme inputs
///
/// The function never panics. Intermediate values are computed in `i128`,
/// so the results above are exact whenever they fit in an `i64`; any that
/// do not (only possible within `tau` of `i64::MAX`, or with a state and a
/// time of opposite extreme signs) saturate at `i64::MAX`. Realistic
/// timestamps, such as Unix microseconds, are nowhere near those limits.
pub fn decide(quota: &Quota, state: Option<i64>, now_us: i64, cost: u32) -> Decision {
    let burst = quota.burst().get();
    if cost > burst {
        return Decision::TooLarge { burst };
    }

    // `cost <= burst`, so `T * cost <= T * burst = tau`, which the quota
    // constructor proved fits in an i64.
    let increment = quota.emission_interval_us() * i64::from(cost);
    let interval = quota.emission_interval_us();
    let tau = i128::from(quota.tolerance_us());

    // Widening to i128 makes every sum and difference below exact, so the
    // behaviour for absurd inputs is a plain clamp at the end rather than a
    // wrap-around or a panic.
    let now = i128::from(now_us);
    let tat = match state {
        Some(stored) if stored > now_us => i128::from(stored),
        _ => now,
    };
    let new_tat = tat + i128::from(increment);

    if new_tat - now > tau {
        let reset_after = tat - now;
        Decision::Denied {
            retry_after_us: saturate(new_tat - tau - now),
            reset_after_us: saturate(reset_after),
            remaining: whole_intervals(tau - reset_after, interval),
        }
    } else {
        let reset_after = new_tat - now;
        Decision::Allowed {
            tat_us: saturate(new_tat),
            remaining: whole_intervals(tau - reset_after, interval),
            // `0 <= reset_after <= tau`, so this never saturates.
            reset_after_us: saturate(reset_after),
        }
    }
}

/// Converts microseconds to whole seconds for HTTP headers such as
/// `Retry-After`, rounding up.
///
/// Rounding up matters: a client told to come back after a rounded-down
/// number of seconds would arrive too early and be refused again. Zero and
/// negative durations give 0.
pub const fn ceil_seconds(us: i64) -> u64 {
    if us <= 0 {
        0
    } else {
        (us as u64).div_ceil(1_000_000)
    }
}

/// Clamps an exact i128 result into the i64 range callers store and send.
fn saturate(value: i128) -> i64 {
    if value > i128::from(i64::MAX) {
        i64::MAX
    } else if value < i128::from(i64::MIN) {
        i64::MIN
    } else {
        value as i64
    }
}

/// How many whole emission intervals fit in `slack`, or 0 when there is no
/// slack left.
///
/// `slack` is at most `tau`, so the quotient is at most `burst` and fits in a
/// u32; the division is done in i64 because it is cheaper than in i128.
fn whole_intervals(slack: i128, interval: i64) -> u32 {
    if slack <= 0 {
        0
    } else {
        (slack as i64 / interval) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    use core::num::NonZeroU32;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A realistic Unix time in microseconds (early 2027).
    const T0: i64 = 1_800_000_000_000_000;
    const SEC: i64 = 1_000_000;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    /// Five per minute, burst five: T = 12 s, tau = 60 s.
    fn five_per_minute() -> Quota {
        Quota::per_minute(nz(5)).unwrap()
    }

    fn allowed(tat_us: i64, remaining: u32, reset_after_us: i64) -> Decision {
        Decision::Allowed {
            tat_us,
            remaining,
            reset_after_us,
        }
    }

    fn denied(retry_after_us: i64, reset_after_us: i64, remaining: u32) -> Decision {
        Decision::Denied {
            retry_after_us,
            reset_after_us,
            remaining,
        }
    }

    /// Applies a decision the way a caller would: store the new state only
    /// when the request was admitted.
    fn step(q: &Quota, state: &mut Option<i64>, now: i64, cost: u32) -> Decision {
        let d = decide(q, *state, now, cost);
        if let Some(s) = d.new_state() {
            *state = Some(s);
        }
        d
    }

    #[test]
    fn five_per_minute_boundaries() {
        let q = five_per_minute();
        let mut s = None;
        for k in 1..=5u32 {
            let kt = i64::from(k) * 12 * SEC;
            assert_eq!(step(&q, &mut s, T0, 1), allowed(T0 + kt, 5 - k, kt));
        }
        // The sixth at the same instant waits exactly one emission interval.
        let d = step(&q, &mut s, T0, 1);
        assert_eq!(d, denied(12 * SEC, 60 * SEC, 0));
        assert_eq!(d.retry_after_us(), Some(12_000_000));
        assert_eq!(s, Some(T0 + 60 * SEC));

        // One microsecond early is still too early...
        assert_eq!(
            step(&q, &mut s, T0 + 12 * SEC - 1, 1),
            denied(1, 48 * SEC + 1, 0)
        );
        // ...and exactly on time is admitted.
        assert_eq!(
            step(&q, &mut s, T0 + 12 * SEC, 1),
            allowed(T0 + 72 * SEC, 0, 60 * SEC)
        );
    }

    #[test]
    fn burst_smaller_than_count_smooths() {
        // Ten per minute (T = 6 s) but only two at once (tau = 12 s).
        let q = Quota::per_minute(nz(10))
            .unwrap()
            .with_burst(nz(2))
            .unwrap();
        let mut s = None;
        assert_eq!(step(&q, &mut s, T0, 1), allowed(T0 + 6 * SEC, 1, 6 * SEC));
        assert_eq!(step(&q, &mut s, T0, 1), allowed(T0 + 12 * SEC, 0, 12 * SEC));
        assert_eq!(step(&q, &mut s, T0, 1), denied(6 * SEC, 12 * SEC, 0));
        assert_eq!(
            step(&q, &mut s, T0 + 6 * SEC, 1),
            allowed(T0 + 18 * SEC, 0, 12 * SEC)
        );
    }

    #[test]
    fn burst_larger_than_count_saves_up() {
        // Two per second (T = 0.5 s) with bursts of six (tau = 3 s).
        let q = Quota::per_second(nz(2)).unwrap().with_burst(nz(6)).unwrap();
        let half = SEC / 2;
        let mut s = None;
        for k in 1..=6u32 {
            let kt = i64::from(k) * half;
            assert_eq!(step(&q, &mut s, T0, 1), allowed(T0 + kt, 6 - k, kt));
        }
        assert_eq!(step(&q, &mut s, T0, 1), denied(half, 3 * SEC, 0));
        // After tau of quiet the full burst is back.
        for _ in 0..6 {
            assert!(step(&q, &mut s, T0 + 3 * SEC, 1).is_allowed());
        }
        assert!(!step(&q, &mut s, T0 + 3 * SEC, 1).is_allowed());
    }

    #[test]
    fn refill_over_time() {
        let q = five_per_minute();
        let mut s = None;
        for _ in 0..5 {
            assert!(step(&q, &mut s, T0, 1).is_allowed());
        }
        // Thirty seconds later two and a half intervals have drained, so two
        // more requests fit and the third does not.
        let t = T0 + 30 * SEC;
        assert_eq!(step(&q, &mut s, t, 1), allowed(T0 + 72 * SEC, 1, 42 * SEC));
        assert_eq!(step(&q, &mut s, t, 1), allowed(T0 + 84 * SEC, 0, 54 * SEC));
        assert_eq!(step(&q, &mut s, t, 1), denied(6 * SEC, 54 * SEC, 0));
    }

    #[test]
    fn cost_greater_than_one() {
        let q = five_per_minute();
        let mut s = None;
        assert_eq!(step(&q, &mut s, T0, 3), allowed(T0 + 36 * SEC, 2, 36 * SEC));
        // Three more do not fit, but the two remaining are still reported.
        assert_eq!(step(&q, &mut s, T0, 3), denied(12 * SEC, 36 * SEC, 2));
        assert_eq!(step(&q, &mut s, T0, 2), allowed(T0 + 60 * SEC, 0, 60 * SEC));
    }

    #[test]
    fn cost_greater_than_burst_is_too_large() {
        let q = five_per_minute();
        assert_eq!(decide(&q, None, T0, 6), Decision::TooLarge { burst: 5 });
        assert_eq!(
            decide(&q, Some(T0 - 1_000 * SEC), T0 + 1_000 * SEC, u32::MAX),
            Decision::TooLarge { burst: 5 }
        );
        let d = decide(&q, None, T0, 6);
        assert!(d.is_too_large());
        assert!(!d.is_allowed());
        assert_eq!(d.new_state(), None);
        assert_eq!(d.retry_after_us(), None);
        assert_eq!(d.remaining(), 0);
        assert_eq!(d.reset_after_us(), 0);
        // A cost equal to the burst is fine on an idle key.
        assert_eq!(decide(&q, None, T0, 5), allowed(T0 + 60 * SEC, 0, 60 * SEC));
    }

    #[test]
    fn peek_uses_nothing() {
        let q = five_per_minute();
        // A fresh key's state after a peek is "now".
        assert_eq!(decide(&q, None, T0, 0), allowed(T0, 5, 0));
        let mut s = None;
        assert!(step(&q, &mut s, T0, 2).is_allowed());
        assert_eq!(step(&q, &mut s, T0, 0), allowed(T0 + 24 * SEC, 3, 24 * SEC));
        assert_eq!(s, Some(T0 + 24 * SEC));
        assert!(step(&q, &mut s, T0, 3).is_allowed());
        // An exhausted key still admits a peek, reporting nothing left.
        assert_eq!(step(&q, &mut s, T0, 0), allowed(T0 + 60 * SEC, 0, 60 * SEC));
    }

    #[test]
    fn state_in_the_far_past_is_a_fresh_key() {
        let q = five_per_minute();
        let fresh = decide(&q, None, T0, 1);
        assert_eq!(fresh, allowed(T0 + 12 * SEC, 4, 12 * SEC));
        assert_eq!(decide(&q, Some(T0 - 315_360_000 * SEC), T0, 1), fresh);
        assert_eq!(decide(&q, Some(i64::MIN), T0, 1), fresh);
        assert_eq!(decide(&q, Some(T0), T0, 1), fresh);
    }

    #[test]
    fn state_in_the_future_after_clock_went_backwards() {
        let q = five_per_minute();
        // Stored by a clock 30 s ahead: two and a half intervals are in use.
        assert_eq!(
            decide(&q, Some(T0 + 30 * SEC), T0, 1),
            allowed(T0 + 42 * SEC, 1, 42 * SEC)
        );
        // Stored by a clock 100 s ahead: more than tau, so even a peek waits
        // until the state is back within the tolerance.
        assert_eq!(
            decide(&q, Some(T0 + 100 * SEC), T0, 1),
            denied(52 * SEC, 100 * SEC, 0)
        );
        assert_eq!(
            decide(&q, Some(T0 + 100 * SEC), T0, 0),
            denied(40 * SEC, 100 * SEC, 0)
        );
    }

    #[test]
    fn uneven_period_floors_the_interval() {
        // Three per second: T = 333_333 us, tau = 999_999 us.
        let q = Quota::per_second(nz(3)).unwrap();
        let mut s = None;
        for _ in 0..3 {
            assert!(step(&q, &mut s, T0, 1).is_allowed());
        }
        assert_eq!(step(&q, &mut s, T0, 1), denied(333_333, 999_999, 0));
        assert_eq!(
            step(&q, &mut s, T0 + 333_333, 1),
            allowed(T0 + 1_333_332, 0, 999_999)
        );
    }

    #[test]
    fn extreme_inputs_saturate() {
        let q = five_per_minute();
        // Near the end of time the stored state clamps instead of wrapping.
        assert_eq!(
            decide(&q, None, i64::MAX, 1),
            allowed(i64::MAX, 4, 12 * SEC)
        );
        assert_eq!(
            decide(&q, Some(i64::MAX), i64::MIN, 1),
            denied(i64::MAX, i64::MAX, 0)
        );
        assert_eq!(
            decide(&q, Some(i64::MIN), i64::MIN, 5),
            allowed(i64::MIN + 60 * SEC, 0, 60 * SEC)
        );
        let widest = Quota::from_period_us(nz(1), i64::MAX, nz(1)).unwrap();
        assert_eq!(
            decide(&widest, Some(i64::MAX), i64::MIN, 1),
            denied(i64::MAX, i64::MAX, 0)
        );
    }

    #[test]
    fn ceil_seconds_rounds_up() {
        assert_eq!(ceil_seconds(i64::MIN), 0);
        assert_eq!(ceil_seconds(-1), 0);
        assert_eq!(ceil_seconds(0), 0);
        assert_eq!(ceil_seconds(1), 1);
        assert_eq!(ceil_seconds(999_999), 1);
        assert_eq!(ceil_seconds(1_000_000), 1);
        assert_eq!(ceil_seconds(1_000_001), 2);
        assert_eq!(ceil_seconds(12 * SEC), 12);
        assert_eq!(ceil_seconds(i64::MAX), 9_223_372_036_855);
    }

    #[test]
    fn next_unit_is_the_wait_for_one_more_request() {
        let q = five_per_minute();
        let mut s = None;
        // A fresh key's first admission leaves 4; the fifth unit comes back
        // one emission interval later.
        let first = step(&q, &mut s, T0, 1);
        assert_eq!(first.next_unit_after_us(&q), Some(12 * SEC));
        // Five seconds on, the same unit is seven seconds away.
        let peek = step(&q, &mut s, T0 + 5 * SEC, 0);
        assert_eq!(peek.remaining(), 4);
        assert_eq!(peek.next_unit_after_us(&q), Some(7 * SEC));
        // Spend the burst: the refusal's wait and the next unit agree, and
        // both are well before the full reset.
        for _ in 0..4 {
            assert!(step(&q, &mut s, T0 + 5 * SEC, 1).is_allowed());
        }
        let refused = step(&q, &mut s, T0 + 5 * SEC, 1);
        assert_eq!(refused.retry_after_us(), Some(7 * SEC));
        assert_eq!(refused.next_unit_after_us(&q), Some(7 * SEC));
        assert_eq!(refused.reset_after_us(), 55 * SEC);
        // A key at its full burst has nothing more to come.
        assert_eq!(decide(&q, None, T0, 0).next_unit_after_us(&q), None);
        assert_eq!(decide(&q, None, T0, 6).next_unit_after_us(&q), None);
    }

    #[test]
    fn accessors_for_allowed_and_denied() {
        let a = allowed(T0 + 5, 3, 5);
        assert!(a.is_allowed());
        assert!(!a.is_too_large());
        assert_eq!(a.new_state(), Some(T0 + 5));
        assert_eq!(a.remaining(), 3);
        assert_eq!(a.retry_after_us(), None);
        assert_eq!(a.reset_after_us(), 5);

        let d = denied(7, 9, 1);
        assert!(!d.is_allowed());
        assert!(!d.is_too_large());
        assert_eq!(d.new_state(), None);
        assert_eq!(d.remaining(), 1);
        assert_eq!(d.retry_after_us(), Some(7));
        assert_eq!(d.reset_after_us(), 9);
    }
}
