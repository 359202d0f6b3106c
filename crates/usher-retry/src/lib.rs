//! Retry rules for Usher's queues: schedules of delays, seeded integer
//! jitter, failure classification, `Retry-After` parsing and the decision
//! between another try, a deferral and a dead letter.
//!
//! This is the one place these rules live. The e-mail queue, outgoing
//! webhooks and the browser dashboard use them, and any SQL that computes a
//! next attempt must agree with them: `tests/vectors/retry.json` at the
//! repository root holds expected answers that every implementation replays.
//! For that reason the crate reads no clock and draws no randomness (the
//! current time and a per-job seed are arguments), and every rule is integer
//! arithmetic.
//!
//! # Example
//!
//! ```
//! use usher_retry::{classify, next, parse_retry_after, Decision, Schedule};
//!
//! let schedule = Schedule::email();
//! let now_ms = 1_800_000_000_000; // Unix milliseconds
//! let seed = 0x5eed; // per job, derived from its row
//!
//! // Attempt 0, the first try, got a 503 with `Retry-After: 120`.
//! let class = classify(Some(503), None);
//! let retry_after = parse_retry_after("120", now_ms).ok();
//! assert_eq!(
//!     next(&schedule, 0, class, retry_after, seed),
//!     Decision::RetryAt { delay_ms: 120_000 },
//! );
//!
//! // Attempt 5, the fifth and last retry, timed out: a dead letter.
//! assert_eq!(next(&schedule, 5, classify(None, None), None, seed), Decision::DeadLetter);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod classify;
mod decision;
mod errors;
mod jitter;
mod retry_after;
mod schedule;

pub use classify::{classify, Class};
pub use decision::{next, Decision, MIN_DEFER_MS};
pub use errors::{RetryAfterError, ScheduleError};
pub use jitter::jitter_hash;
pub use retry_after::{parse_retry_after, RETRY_AFTER_CAP_MS};
pub use schedule::{Delays, Schedule};
