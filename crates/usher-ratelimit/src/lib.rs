//! Rate limiting with the generic cell rate algorithm (GCRA), in integer
//! microseconds.
//!
//! This is the same algorithm as the `governor` crate and the `redis-cell`
//! module, written so that a PostgreSQL function and a Redis Lua script can
//! reproduce it exactly. For that reason:
//!
//! * every quantity is an integer number of microseconds (`i64`), never a
//!   float, and every division is a floor division of non-negative numbers;
//! * the crate reads no clock and keeps no state: the caller passes the
//!   current time and the key's stored state, and stores the new state;
//! * `tests/vectors/gcra.json` at the repository root holds the expected
//!   result of every step of many call sequences, and every implementation
//!   must reproduce it.
//!
//! # The algorithm
//!
//! A [`Quota`] of `count` requests per `period` with a `burst` gives an
//! emission interval `T = period_us / count` and a tolerance
//! `tau = T * burst`. A key's only state is its theoretical arrival time
//! (TAT), or nothing for a fresh key. [`decide`] then computes:
//!
//! ```text
//! if cost > burst:            TooLarge { burst }            (state unchanged)
//! tat     = max(state or now, now)
//! new_tat = tat + T * cost
//! if new_tat - now > tau:     Denied {
//!                                 retry_after_us = new_tat - tau - now,
//!                                 reset_after_us = tat - now,
//!                                 remaining = max(0, (tau - (tat - now)) / T) }
//!                                                           (state unchanged)
//! else:                       Allowed {
//!                                 tat_us = new_tat,          (store this)
//!                                 remaining = (tau - (new_tat - now)) / T,
//!                                 reset_after_us = new_tat - now }
//! ```
//!
//! # Example
//!
//! ```
//! use core::num::NonZeroU32;
//! use usher_ratelimit::{ceil_seconds, decide, Decision, Quota};
//!
//! let quota = Quota::per_minute(NonZeroU32::new(5).unwrap()).unwrap();
//! let now = 1_800_000_000_000_000; // microseconds since the Unix epoch
//! let mut state = None;
//! for _ in 0..5 {
//!     let decision = decide(&quota, state, now, 1);
//!     assert!(decision.is_allowed());
//!     state = decision.new_state();
//! }
//! match decide(&quota, state, now, 1) {
//!     Decision::Denied { retry_after_us, .. } => {
//!         assert_eq!(ceil_seconds(retry_after_us), 12); // Retry-After: 12
//!     }
//!     other => panic!("expected a denial, got {other:?}"),
//! }
//! ```
//!
//! [`Decision::next_unit_after_us`] says how long until one more request of
//! cost 1 would be admitted: the `t` of the HTTP `RateLimit` field.
//!
//! Storing the state is the caller's job: write [`Decision::new_state`] when
//! it is `Some`, and leave the stored value alone otherwise. A stored TAT
//! that is at or before the current time means the same as no state, so a
//! key may be expired from storage once `now` passes its TAT.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod errors;
mod gcra;
mod quota;

pub use errors::QuotaError;
pub use gcra::{ceil_seconds, decide, Decision};
pub use quota::Quota;
