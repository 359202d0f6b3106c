//! Errors raised while building a [`Schedule`](crate::Schedule) or parsing a
//! `Retry-After` field.
//!
//! Deciding never fails: once a schedule exists, [`next`](crate::next)
//! answers every input. What can be wrong is caught where it enters, so an
//! invalid schedule cannot be represented at all.

use core::fmt;

/// Why a schedule could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScheduleError {
    /// The list of delays is empty, so no retry would have a delay.
    NoDelays,
    /// Jitter above 100 % could make a delay negative.
    JitterTooLarge {
        /// The percentage asked for.
        percent: u32,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::NoDelays => f.write_str("a retry schedule needs at least one delay"),
            ScheduleError::JitterTooLarge { percent } => {
                write!(f, "jitter must be at most 100 %, got {percent} %")
            }
        }
    }
}

impl std::error::Error for ScheduleError {}

/// Why a `Retry-After` value was not understood.
///
/// A caller that gets one of these ignores the field and waits what the
/// schedule says, so neither variant carries the offending text: it came
/// from a remote server and has no place in a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryAfterError {
    /// The field is empty or only whitespace.
    Empty,
    /// The field is neither delta-seconds nor an IMF-fixdate.
    Malformed,
}

impl fmt::Display for RetryAfterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfterError::Empty => f.write_str("Retry-After is empty"),
            RetryAfterError::Malformed => {
                f.write_str("Retry-After is neither delta-seconds nor an IMF-fixdate")
            }
        }
    }
}

impl std::error::Error for RetryAfterError {}
