//! Errors raised while building a [`Quota`](crate::Quota).
//!
//! Deciding never fails: once a quota exists, every input to
//! [`decide`](crate::decide) produces a [`Decision`](crate::Decision). All the
//! ways a configuration can be wrong are therefore caught here, at
//! construction time, so that an invalid quota cannot be represented at all.

use core::fmt;

/// Why a quota could not be built.
///
/// Each variant names one rule of the integer arithmetic that the Rust, SQL
/// and Lua implementations share, so that a configuration rejected here would
/// also be meaningless there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaError {
    /// The period is shorter than one microsecond, the unit of every
    /// computation.
    PeriodTooShort,
    /// The period, in microseconds, does not fit in an `i64`.
    PeriodTooLong,
    /// `period_us / count` rounds down to zero, so requests would cost no
    /// time at all and the limit would never bite.
    EmissionIntervalTooShort {
        /// The period in whole microseconds.
        period_us: i64,
        /// The number of requests allowed per period.
        count: u32,
    },
    /// `emission_interval_us * burst` does not fit in an `i64`.
    ToleranceOverflow {
        /// The emission interval in microseconds.
        emission_interval_us: i64,
        /// The requested burst.
        burst: u32,
    },
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuotaError::PeriodTooShort => {
                f.write_str("quota period must be at least one microsecond")
            }
            QuotaError::PeriodTooLong => {
                f.write_str("quota period in microseconds does not fit in an i64")
            }
            QuotaError::EmissionIntervalTooShort { period_us, count } => write!(
                f,
                "quota of {count} per {period_us} us gives an emission interval below one microsecond"
            ),
            QuotaError::ToleranceOverflow {
                emission_interval_us,
                burst,
            } => write!(
                f,
                "quota tolerance {emission_interval_us} us * burst {burst} does not fit in an i64"
            ),
        }
    }
}

impl std::error::Error for QuotaError {}
