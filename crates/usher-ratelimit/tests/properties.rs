//! Property tests: `decide` never panics, and sequences of decisions respect
//! the bounds that make GCRA a rate limiter.

use std::num::NonZeroU32;

use proptest::prelude::*;
// The same tests run on wasm under `wasm-pack test --node`.
use usher_ratelimit::{decide, Decision, Quota};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A realistic Unix time in microseconds, far from any overflow.
const EPOCH_US: i64 = 1_800_000_000_000_000;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("strategies only produce non-zero values")
}

/// Any valid quota, from tiny to absurd, so that the arithmetic is exercised
/// at its limits.
fn any_quota() -> impl Strategy<Value = Quota> {
    let count = prop_oneof![1u32..=100, 1u32..=u32::MAX];
    let period = prop_oneof![1i64..=10_000_000_000, 1i64..=i64::MAX];
    let burst = prop_oneof![1u32..=100, 1u32..=u32::MAX];
    (count, period, burst).prop_filter_map("quota must be valid", |(c, p, b)| {
        Quota::from_period_us(nz(c), p, nz(b)).ok()
    })
}

/// Small quotas, so that a short sequence of arrivals reaches the limit.
fn small_quota() -> impl Strategy<Value = Quota> {
    (1u32..=10, 1i64..=5_000, 1u32..=10).prop_filter_map("quota must be valid", |(c, p, b)| {
        Quota::from_period_us(nz(c), p, nz(b)).ok()
    })
}

/// Small quotas whose period is an exact multiple of `count`, where the
/// emission interval loses nothing to rounding.
fn exact_quota() -> impl Strategy<Value = Quota> {
    (1u32..=10, 1i64..=500, 1u32..=10).prop_map(|(c, t, b)| {
        Quota::from_period_us(nz(c), t * i64::from(c), nz(b)).expect("valid by construction")
    })
}

/// Arrivals as (gap since the previous one, cost); gaps are never negative
/// so the times are non-decreasing.
fn arrivals() -> impl Strategy<Value = Vec<(i64, u32)>> {
    prop::collection::vec((prop_oneof![Just(0i64), 0i64..=3_000], 0u32..=12), 1..200)
}

/// Feeds arrivals to one key, storing state as a caller would, and returns
/// the admitted (time, cost) pairs, the final state and the last time.
fn replay(quota: &Quota, arrivals: &[(i64, u32)]) -> (Vec<(i64, u32)>, Option<i64>, i64) {
    let mut state = None;
    let mut now = EPOCH_US;
    let mut admitted = Vec::new();
    for &(gap, cost) in arrivals {
        now += gap;
        if let Some(new_state) = decide(quota, state, now, cost).new_state() {
            state = Some(new_state);
            admitted.push((now, cost));
        }
    }
    (admitted, state, now)
}

/// The largest number of units admitted within any closed window
/// `[a, a + length]`.
fn max_units_in_window(admitted: &[(i64, u32)], length: i64) -> u64 {
    // A window that holds the most units can always be slid right until it
    // starts at an admitted arrival, so only those starts need checking.
    admitted
        .iter()
        .map(|&(start, _)| {
            admitted
                .iter()
                .filter(|&&(t, _)| t >= start && t <= start + length)
                .map(|&(_, cost)| u64::from(cost))
                .sum::<u64>()
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn never_panics_and_results_are_consistent(
        quota in any_quota(),
        state in prop_oneof![
            Just(None),
            any::<i64>().prop_map(Some),
            (-1_000_000_000i64..=1_000_000_000).prop_map(Some),
        ],
        now in prop_oneof![any::<i64>(), -1_000_000_000i64..=1_000_000_000],
        cost in prop_oneof![any::<u32>(), 0u32..=5],
    ) {
        let burst = quota.burst().get();
        match decide(&quota, state, now, cost) {
            Decision::TooLarge { burst: b } => {
                prop_assert!(cost > burst);
                prop_assert_eq!(b, burst);
            }
            Decision::Allowed { tat_us, remaining, reset_after_us } => {
                prop_assert!(cost <= burst);
                prop_assert!(tat_us >= now);
                prop_assert!(remaining <= burst);
                prop_assert!((0..=quota.tolerance_us()).contains(&reset_after_us));
            }
            Decision::Denied { retry_after_us, reset_after_us, remaining } => {
                prop_assert!(cost <= burst);
                prop_assert!(retry_after_us >= 1);
                prop_assert!(reset_after_us >= 0);
                prop_assert!(remaining <= burst);
            }
        }
    }

    #[test]
    fn allowed_state_is_never_before_now(
        quota in any_quota(),
        state in prop::option::of(any::<i64>()),
        now in any::<i64>(),
        cost in 0u32..=100,
    ) {
        if let Some(new_state) = decide(&quota, state, now, cost).new_state() {
            prop_assert!(new_state >= now);
        }
    }

    #[test]
    fn window_of_one_period_admits_at_most_burst_plus_count(
        quota in exact_quota(),
        arrivals in arrivals(),
    ) {
        let (admitted, _, _) = replay(&quota, &arrivals);
        let bound = u64::from(quota.burst().get()) + u64::from(quota.count().get());
        let seen = max_units_in_window(&admitted, quota.period_us());
        prop_assert!(seen <= bound, "{} units in one period, bound {}", seen, bound);
    }

    #[test]
    fn window_bound_with_a_floored_interval(
        quota in small_quota(),
        arrivals in arrivals(),
    ) {
        // When `period_us` is not a multiple of `count`, the floored
        // interval admits up to `period_us / T` per period rather than
        // `count`; this is the exact bound GCRA guarantees.
        let (admitted, _, _) = replay(&quota, &arrivals);
        let per_period = quota.period_us() / quota.emission_interval_us();
        let bound = u64::from(quota.burst().get()) + per_period as u64;
        let seen = max_units_in_window(&admitted, quota.period_us());
        prop_assert!(seen <= bound, "{} units in one period, bound {}", seen, bound);
    }

    #[test]
    fn a_key_left_alone_for_tau_admits_a_full_burst(
        quota in small_quota(),
        arrivals in arrivals(),
    ) {
        let (_, state, last) = replay(&quota, &arrivals);
        let now = last + quota.tolerance_us();
        let burst = quota.burst().get();

        // The whole burst at once, as a single request...
        prop_assert!(decide(&quota, state, now, burst).is_allowed());

        // ...or one unit at a time, after which the next unit is refused.
        let mut state = state;
        for _ in 0..burst {
            let decision = decide(&quota, state, now, 1);
            prop_assert!(decision.is_allowed());
            state = decision.new_state();
        }
        prop_assert!(!decide(&quota, state, now, 1).is_allowed());
    }

    #[test]
    fn retry_after_is_exact(
        quota in small_quota(),
        arrivals in arrivals(),
        cost in 1u32..=10,
    ) {
        // A denied request retried exactly `retry_after_us` later succeeds,
        // and one microsecond earlier it is still refused.
        let (_, state, now) = replay(&quota, &arrivals);
        if let Some(retry) = decide(&quota, state, now, cost).retry_after_us() {
            prop_assert!(decide(&quota, state, now + retry, cost).is_allowed());
            prop_assert!(!decide(&quota, state, now + retry - 1, cost).is_allowed());
        }
    }

    #[test]
    fn next_unit_is_exact(
        quota in small_quota(),
        arrivals in arrivals(),
        cost in 0u32..=10,
    ) {
        // `next_unit_after_us` later one more unit is available, one
        // microsecond earlier not yet; a refusal of cost 1 waits exactly that
        // long; and a key with nothing more to come is at its full burst.
        let (_, state, now) = replay(&quota, &arrivals);
        let d = decide(&quota, state, now, cost);
        if d.is_too_large() {
            prop_assert_eq!(d.next_unit_after_us(&quota), None);
            return Ok(());
        }
        // The state the decision leaves behind, as a caller would store it.
        let left = d.new_state().or(state);
        match d.next_unit_after_us(&quota) {
            None => prop_assert_eq!(d.remaining(), quota.burst().get()),
            Some(wait) => {
                prop_assert!(wait >= 1);
                let later = decide(&quota, left, now + wait, 0).remaining();
                let sooner = decide(&quota, left, now + wait - 1, 0).remaining();
                prop_assert_eq!(later, d.remaining() + 1);
                prop_assert_eq!(sooner, d.remaining());
                if cost == 1 && !d.is_allowed() {
                    prop_assert_eq!(d.retry_after_us(), Some(wait));
                }
            }
        }
    }
}
