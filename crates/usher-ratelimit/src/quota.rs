//! The [`Quota`]: how many requests a key may make per period, and how many
//! it may make at once.

use core::num::NonZeroU32;
use core::time::Duration;

use crate::errors::QuotaError;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;

/// A rate limit: `count` requests per `period`, with up to `burst` requests
/// admitted back to back.
///
/// The quota is stored as integer microseconds because the PostgreSQL and Lua
/// implementations must reach the same decisions bit for bit; floating point
/// would let them drift apart. Two numbers are derived once, at construction:
///
/// * the emission interval `T = period_us / count` (floor division), the
///   time one request "costs";
/// * the tolerance `tau = T * burst`, how far ahead of the clock a key may
///   run before it is refused.
///
/// Because `T` is floored, a period that is not a multiple of `count`
/// admits slightly more than `count` requests per period in the long run
/// (`period_us / T` of them). For realistic quotas, where `T` is far larger
/// than `count`, the difference is less than one request per period.
///
/// A `Quota` can only be obtained through constructors that check these
/// rules, so every value of this type is valid and [`decide`](crate::decide)
/// never has to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    count: NonZeroU32,
    period_us: i64,
    burst: NonZeroU32,
    emission_interval_us: i64,
    tolerance_us: i64,
}

impl Quota {
    /// Builds a quota of `count` requests per `period`, with bursts of up to
    /// `burst` requests.
    ///
    /// The period is truncated to whole microseconds.
    ///
    /// # Errors
    ///
    /// * [`QuotaError::PeriodTooShort`] if the period is under 1 µs;
    /// * [`QuotaError::PeriodTooLong`] if it does not fit in an `i64` of
    ///   microseconds;
    /// * [`QuotaError::EmissionIntervalTooShort`] if `period_us / count` is
    ///   zero;
    /// * [`QuotaError::ToleranceOverflow`] if `emission interval * burst`
    ///   does not fit in an `i64`.
    pub const fn new(
        count: NonZeroU32,
        period: Duration,
        burst: NonZeroU32,
    ) -> Result<Quota, QuotaError> {
        let micros = period.as_micros();
        if micros > i64::MAX as u128 {
            return Err(QuotaError::PeriodTooLong);
        }
        Quota::from_period_us(count, micros as i64, burst)
    }

    /// Builds a quota from a period already expressed in microseconds, the
    /// form in which the database and the test vectors store it.
    ///
    /// # Errors
    ///
    /// The same as [`Quota::new`]; a zero or negative period gives
    /// [`QuotaError::PeriodTooShort`].
    pub const fn from_period_us(
        count: NonZeroU32,
        period_us: i64,
        burst: NonZeroU32,
    ) -> Result<Quota, QuotaError> {
        if period_us < 1 {
            return Err(QuotaError::PeriodTooShort);
        }
        let emission_interval_us = period_us / count.get() as i64;
        if emission_interval_us < 1 {
            return Err(QuotaError::EmissionIntervalTooShort {
                period_us,
                count: count.get(),
            });
        }
        // The tolerance is checked here, once, so that `decide` can rely on
        // `T * cost <= tau` never overflowing for any cost it accepts.
        let tolerance_us = match emission_interval_us.checked_mul(burst.get() as i64) {
            Some(tolerance_us) => tolerance_us,
            None => {
                return Err(QuotaError::ToleranceOverflow {
                    emission_interval_us,
                    burst: burst.get(),
                })
            }
        };
        Ok(Quota {
            count,
            period_us,
            burst,
            emission_interval_us,
            tolerance_us,
        })
    }

    /// `count` requests per second, with a burst of `count`.
    ///
    /// # Errors
    ///
    /// [`QuotaError::EmissionIntervalTooShort`] if `count` exceeds one
    /// million, since the emission interval would be under 1 µs.
    pub const fn per_second(count: NonZeroU32) -> Result<Quota, QuotaError> {
        Quota::from_period_us(count, MICROS_PER_SECOND, count)
    }

    /// `count` requests per minute, with a burst of `count`.
    ///
    /// # Errors
    ///
    /// [`QuotaError::EmissionIntervalTooShort`] if `count` exceeds sixty
    /// million.
    pub const fn per_minute(count: NonZeroU32) -> Result<Quota, QuotaError> {
        Quota::from_period_us(count, MICROS_PER_MINUTE, count)
    }

    /// `count` requests per hour, with a burst of `count`.
    ///
    /// # Errors
    ///
    /// [`QuotaError::EmissionIntervalTooShort`] if `count` exceeds 3.6
    /// billion.
    pub const fn per_hour(count: NonZeroU32) -> Result<Quota, QuotaError> {
        Quota::from_period_us(count, MICROS_PER_HOUR, count)
    }

    /// Returns the same rate with a different burst.
    ///
    /// A burst smaller than `count` smooths traffic out; a larger one lets a
    /// quiet key save up more requests than one period's worth.
    ///
    /// # Errors
    ///
    /// [`QuotaError::ToleranceOverflow`] if the new tolerance does not fit in
    /// an `i64`.
    pub const fn with_burst(self, burst: NonZeroU32) -> Result<Quota, QuotaError> {
        Quota::from_period_us(self.count, self.period_us, burst)
    }

    /// The number of requests allowed per period.
    pub const fn count(&self) -> NonZeroU32 {
        self.count
    }

    /// The period in whole microseconds.
    pub const fn period_us(&self) -> i64 {
        self.period_us
    }

    /// The largest number of requests (and the largest single cost) admitted
    /// at one instant.
    pub const fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The emission interval `T = period_us / count`, floored; always ≥ 1.
    pub const fn emission_interval_us(&self) -> i64 {
        self.emission_interval_us
    }

    /// The tolerance `tau = emission_interval_us * burst`; always ≥ 1 and
    /// never overflowed.
    pub const fn tolerance_us(&self) -> i64 {
        self.tolerance_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn helpers_default_burst_to_count() {
        let q = Quota::per_minute(nz(5)).unwrap();
        assert_eq!(q.count().get(), 5);
        assert_eq!(q.burst().get(), 5);
        assert_eq!(q.period_us(), 60_000_000);
        assert_eq!(q.emission_interval_us(), 12_000_000);
        assert_eq!(q.tolerance_us(), 60_000_000);

        let q = Quota::per_second(nz(3)).unwrap();
        assert_eq!(q.emission_interval_us(), 333_333);
        assert_eq!(q.tolerance_us(), 999_999);

        let q = Quota::per_hour(nz(100)).unwrap();
        assert_eq!(q.emission_interval_us(), 36_000_000);
    }

    #[test]
    fn with_burst_keeps_the_rate() {
        let q = Quota::per_minute(nz(5)).unwrap().with_burst(nz(2)).unwrap();
        assert_eq!(q.count().get(), 5);
        assert_eq!(q.burst().get(), 2);
        assert_eq!(q.emission_interval_us(), 12_000_000);
        assert_eq!(q.tolerance_us(), 24_000_000);
    }

    #[test]
    fn new_truncates_to_microseconds() {
        let q = Quota::new(nz(1), Duration::from_nanos(1_999), nz(1)).unwrap();
        assert_eq!(q.period_us(), 1);
        assert_eq!(
            Quota::new(nz(1), Duration::from_nanos(999), nz(1)),
            Err(QuotaError::PeriodTooShort)
        );
    }

    #[test]
    fn invalid_quotas_are_rejected() {
        assert_eq!(
            Quota::per_second(nz(1_000_001)),
            Err(QuotaError::EmissionIntervalTooShort {
                period_us: 1_000_000,
                count: 1_000_001
            })
        );
        assert!(Quota::per_second(nz(1_000_000)).is_ok());
        assert_eq!(
            Quota::new(nz(1), Duration::MAX, nz(1)),
            Err(QuotaError::PeriodTooLong)
        );
        assert_eq!(
            Quota::from_period_us(nz(1), 0, nz(1)),
            Err(QuotaError::PeriodTooShort)
        );
        assert_eq!(
            Quota::from_period_us(nz(1), -5, nz(1)),
            Err(QuotaError::PeriodTooShort)
        );
        assert_eq!(
            Quota::from_period_us(nz(1), i64::MAX, nz(2)),
            Err(QuotaError::ToleranceOverflow {
                emission_interval_us: i64::MAX,
                burst: 2
            })
        );
        assert!(Quota::from_period_us(nz(1), i64::MAX, nz(1)).is_ok());
    }

    #[test]
    fn quotas_can_be_built_in_const_context() {
        const Q: Quota = match Quota::per_minute(match NonZeroU32::new(10) {
            Some(n) => n,
            None => panic!("zero"),
        }) {
            Ok(q) => q,
            Err(_) => panic!("invalid quota"),
        };
        assert_eq!(Q.emission_interval_us(), 6_000_000);
    }

    #[test]
    fn errors_display_in_words() {
        let text = QuotaError::EmissionIntervalTooShort {
            period_us: 1,
            count: 2,
        }
        .to_string();
        assert!(text.contains("below one microsecond"), "{text}");
    }
}
