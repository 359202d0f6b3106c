//! The decision after a failure: when to try again, or to stop.

use crate::classify::Class;
use crate::retry_after::RETRY_AFTER_CAP_MS;
use crate::schedule::Schedule;

/// The shortest deferral, so that a `Retry-After: 0` on a deferral, which
/// spends no attempt, cannot make a processor spin on one job.
pub const MIN_DEFER_MS: u64 = 1_000;

/// What to do with a job after one of its attempts failed.
#[must_use = "a decision that is not stored leaves the job claimed and undecided"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Make the next attempt `delay_ms` from now, and count one attempt.
    RetryAt {
        /// Milliseconds from now.
        delay_ms: u64,
    },
    /// Try again `delay_ms` from now without counting an attempt.
    Defer {
        /// Milliseconds from now.
        delay_ms: u64,
    },
    /// Stop: the job is a dead letter.
    DeadLetter,
}

impl Decision {
    /// The name used in `tests/vectors/retry.json` and across the wasm
    /// facade: `retry_at`, `defer` or `dead_letter`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::RetryAt { .. } => "retry_at",
            Decision::Defer { .. } => "defer",
            Decision::DeadLetter => "dead_letter",
        }
    }

    /// Milliseconds until the next try; `None` for a dead letter.
    pub const fn delay_ms(self) -> Option<u64> {
        match self {
            Decision::RetryAt { delay_ms } | Decision::Defer { delay_ms } => Some(delay_ms),
            Decision::DeadLetter => None,
        }
    }
}

/// Decides what follows the failure of attempt `attempt` (0 for the first
/// try; see [`Schedule`] for how attempts and delays line up) of the job with
/// `seed`, given the failure's class and the server's `Retry-After` in
/// milliseconds, if it sent one (from
/// [`parse_retry_after`](crate::parse_retry_after), or our own limiter's
/// wait).
///
/// * A [`Class::GiveUp`] is a [`Decision::DeadLetter`].
/// * A [`Class::Retry`] with `attempt < max_attempts` gives
///   [`Decision::RetryAt`] after the larger of the schedule's delay and the
///   `Retry-After`, so the next try is never earlier than the server asked;
///   with `attempt >= max_attempts` (the last retry has failed) it gives
///   [`Decision::DeadLetter`].
/// * A [`Class::Defer`] gives [`Decision::Defer`], whatever the attempt,
///   after the `Retry-After` or, without one, the schedule's last (longest)
///   delay, so that a quota without a stated reset is probed rarely; never
///   less than [`MIN_DEFER_MS`].
///
/// A `Retry-After` above [`RETRY_AFTER_CAP_MS`] counts as the cap, whatever
/// its source.
pub const fn next(
    schedule: &Schedule,
    attempt: u32,
    class: Class,
    retry_after_ms: Option<u64>,
    seed: u32,
) -> Decision {
    let asked = match retry_after_ms {
        Some(ms) if ms > RETRY_AFTER_CAP_MS => Some(RETRY_AFTER_CAP_MS),
        other => other,
    };
    match class {
        Class::GiveUp => Decision::DeadLetter,
        Class::Retry if attempt >= schedule.max_attempts() => Decision::DeadLetter,
        Class::Retry => {
            let planned = schedule.delay_ms(attempt, seed);
            let delay_ms = match asked {
                Some(ms) if ms > planned => ms,
                _ => planned,
            };
            Decision::RetryAt { delay_ms }
        }
        Class::Defer => {
            let wait = match asked {
                Some(ms) => ms,
                None => schedule.delay_ms(schedule.delays_ms().len() as u32 - 1, seed),
            };
            let delay_ms = if wait < MIN_DEFER_MS {
                MIN_DEFER_MS
            } else {
                wait
            };
            Decision::Defer { delay_ms }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn exact() -> Schedule {
        Schedule::email().with_jitter_percent(0).unwrap()
    }

    #[test]
    fn the_last_retry_then_the_dead_letter() {
        let s = exact();
        let seen: Vec<Decision> = (0..=5)
            .map(|a| next(&s, a, Class::Retry, None, 9))
            .collect();
        assert_eq!(
            seen,
            [1_000, 5_000, 30_000, 300_000, 1_800_000]
                .map(|delay_ms| Decision::RetryAt { delay_ms })
                .into_iter()
                .chain([Decision::DeadLetter])
                .collect::<Vec<_>>()
        );
        assert_eq!(
            next(&s, u32::MAX, Class::Retry, None, 9),
            Decision::DeadLetter
        );
    }

    #[test]
    fn a_row_with_its_own_max_attempts() {
        let s = exact().with_max_attempts(2);
        assert_eq!(
            next(&s, 1, Class::Retry, None, 0),
            Decision::RetryAt { delay_ms: 5_000 }
        );
        assert_eq!(next(&s, 2, Class::Retry, None, 0), Decision::DeadLetter);
        let none = exact().with_max_attempts(0);
        assert_eq!(next(&none, 0, Class::Retry, None, 0), Decision::DeadLetter);
    }

    #[test]
    fn retry_after_is_a_floor_and_capped() {
        let s = exact();
        let retry = |ms| next(&s, 0, Class::Retry, Some(ms), 0);
        assert_eq!(retry(500), Decision::RetryAt { delay_ms: 1_000 });
        assert_eq!(retry(7_000), Decision::RetryAt { delay_ms: 7_000 });
        assert_eq!(
            retry(u64::MAX),
            Decision::RetryAt {
                delay_ms: RETRY_AFTER_CAP_MS
            }
        );
    }

    #[test]
    fn deferral_ignores_attempts_and_has_a_floor() {
        let s = exact();
        for attempt in [0, 5, 6, u32::MAX] {
            assert_eq!(
                next(&s, attempt, Class::Defer, Some(6_000), 0),
                Decision::Defer { delay_ms: 6_000 }
            );
        }
        assert_eq!(
            next(&s, 0, Class::Defer, Some(0), 0),
            Decision::Defer {
                delay_ms: MIN_DEFER_MS
            }
        );
        assert_eq!(
            next(&s, 0, Class::Defer, None, 0),
            Decision::Defer {
                delay_ms: 1_800_000
            }
        );
    }

    #[test]
    fn give_up_is_a_dead_letter_at_once() {
        assert_eq!(
            next(&exact(), 0, Class::GiveUp, Some(1_000), 0),
            Decision::DeadLetter
        );
    }
}
