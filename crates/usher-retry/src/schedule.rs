//! A [`Schedule`]: the delays before each retry, how many retries a job
//! gets, and how much the delays are jittered.

use core::time::Duration;

use crate::errors::ScheduleError;
use crate::jitter::{jitter_hash, jittered};

/// The e-mail delays: 1 s, 5 s, 30 s, 5 min, 30 min.
const EMAIL_DELAYS_MS: &[u32] = &[1_000, 5_000, 30_000, 300_000, 1_800_000];
/// The webhook delays of issue 10: 1 min, 5 min, 30 min, 2 h, 24 h.
const WEBHOOK_DELAYS_MS: &[u32] = &[60_000, 300_000, 1_800_000, 7_200_000, 86_400_000];
/// The dashboard's delays: 1 s, 3 s, 10 s.
const DASHBOARD_DELAYS_MS: &[u32] = &[1_000, 3_000, 10_000];

/// The retries a job gets after its first try, and the delay before each.
///
/// # Attempts and delays
///
/// Attempts are counted from 0: attempt 0 is the first try, made at once,
/// and attempt `k` (`1..=max_attempts`) is the `k`-th retry. When attempt
/// `a` fails with a retryable error, and `a < max_attempts`, attempt `a + 1`
/// is made [`delay_ms(a, seed)`](Schedule::delay_ms) later; when
/// `a == max_attempts` the job is a dead letter. So `max_attempts` counts
/// retries: with the e-mail schedule's five delays and five attempts, a job
/// is tried six times (at once, then after about 1 s, 5 s, 30 s, 5 min and
/// 30 min), and the sixth failure makes it a dead letter. The queue's
/// `attempts` column is the number of the next attempt: 0 for a new row,
/// incremented by each retry it is given, never by a deferral.
///
/// When `max_attempts` is larger than the list of delays, the last delay
/// repeats.
///
/// # Default
///
/// The e-mail and webhook schedules allow 5 attempts after the first try,
/// the dashboard's 3; all three jitter every delay by ±10 %.
///
/// # Jitter
///
/// A delay is its base moved by up to ±`jitter_percent` %, chosen by
/// [`jitter_hash`](crate::jitter_hash)`(attempt, seed)`, where the seed is a
/// per-job number (the queue derives it from the row). ±10 % keeps each step
/// of the schedule what it says (the 5-minute retry lands between 4 min 30 s
/// and 5 min 30 s) while spreading the e-mails that failed in the same
/// second of an outage over a window a fifth of the delay wide, so they do
/// not return as one burst. Full jitter (anywhere from 0 to the delay) would
/// blur the schedule beyond recognition, and decorrelated jitter depends on
/// the previous delay, which SQL would have to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schedule {
    delays_ms: &'static [u32],
    max_attempts: u32,
    jitter_percent: u32,
}

impl Schedule {
    /// Retries after 1 s, 5 s, 30 s, 5 min and 30 min: the e-mail queue's.
    ///
    /// # Default
    ///
    /// 5 attempts after the first try, ±10 % jitter.
    pub const fn email() -> Self {
        Schedule {
            delays_ms: EMAIL_DELAYS_MS,
            max_attempts: 5,
            jitter_percent: 10,
        }
    }

    /// Retries after 1 min, 5 min, 30 min, 2 h and 24 h: outgoing webhooks'.
    ///
    /// # Default
    ///
    /// 5 attempts after the first try, ±10 % jitter.
    pub const fn webhook() -> Self {
        Schedule {
            delays_ms: WEBHOOK_DELAYS_MS,
            max_attempts: 5,
            jitter_percent: 10,
        }
    }

    /// Retries after 1 s, 3 s and 10 s: the browser dashboard's, whose
    /// TanStack Query retries a failed widget fetch with these delays (or
    /// the server's `Retry-After`). A person is watching the page, so the
    /// whole schedule gives up within about 15 s rather than hours; the
    /// jitter spreads the widgets of every open dashboard that failed in
    /// the same outage.
    ///
    /// # Default
    ///
    /// 3 attempts after the first try (4 tries in all), ±10 % jitter.
    pub const fn dashboard() -> Self {
        Schedule {
            delays_ms: DASHBOARD_DELAYS_MS,
            max_attempts: 3,
            jitter_percent: 10,
        }
    }

    /// A schedule of the given base delays in milliseconds.
    ///
    /// # Default
    ///
    /// As many attempts after the first try as there are delays, ±10 %
    /// jitter.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::NoDelays`] for an empty list.
    pub const fn new(delays_ms: &'static [u32]) -> Result<Self, ScheduleError> {
        if delays_ms.is_empty() {
            return Err(ScheduleError::NoDelays);
        }
        Ok(Schedule {
            delays_ms,
            max_attempts: delays_ms.len() as u32,
            jitter_percent: 10,
        })
    }

    /// The same schedule with `max_attempts` retries after the first try;
    /// 0 makes the first retryable failure a dead letter.
    pub const fn with_max_attempts(self, max_attempts: u32) -> Self {
        Schedule {
            max_attempts,
            ..self
        }
    }

    /// The same schedule with delays jittered by up to ±`percent` %.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::JitterTooLarge`] above 100 %.
    pub const fn with_jitter_percent(self, percent: u32) -> Result<Self, ScheduleError> {
        if percent > 100 {
            return Err(ScheduleError::JitterTooLarge { percent });
        }
        Ok(Schedule {
            jitter_percent: percent,
            ..self
        })
    }

    /// The base delays in milliseconds, before jitter.
    pub const fn delays_ms(&self) -> &'static [u32] {
        self.delays_ms
    }

    /// How many retries a job gets after its first try.
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The jitter, in percent either way.
    pub const fn jitter_percent(&self) -> u32 {
        self.jitter_percent
    }

    /// The base delay after attempt `attempt` fails: the `attempt`-th delay,
    /// or the last one once the list runs out.
    pub const fn base_delay_ms(&self, attempt: u32) -> u32 {
        let last = self.delays_ms.len() - 1;
        let index = if (attempt as usize) < last {
            attempt as usize
        } else {
            last
        };
        self.delays_ms[index]
    }

    /// The jittered delay, in milliseconds, between the failure of attempt
    /// `attempt` and attempt `attempt + 1`, for the job with `seed`.
    ///
    /// This ignores `max_attempts`: whether there is a next attempt at all
    /// is [`next`](crate::next)'s decision.
    pub const fn delay_ms(&self, attempt: u32, seed: u32) -> u64 {
        jittered(
            self.base_delay_ms(attempt),
            self.jitter_percent,
            jitter_hash(attempt, seed),
        )
    }

    /// The delays before each of the `max_attempts` retries of the job with
    /// `seed`, as in `backon`: an iterator that ends where the job would
    /// become a dead letter.
    pub const fn delays(self, seed: u32) -> Delays {
        Delays {
            schedule: self,
            seed,
            attempt: 0,
        }
    }
}

/// The delays of one job's retries, from [`Schedule::delays`].
#[derive(Debug, Clone)]
pub struct Delays {
    schedule: Schedule,
    seed: u32,
    attempt: u32,
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.attempt >= self.schedule.max_attempts {
            return None;
        }
        let ms = self.schedule.delay_ms(self.attempt, self.seed);
        self.attempt += 1;
        Some(Duration::from_millis(ms))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.schedule.max_attempts - self.attempt) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Delays {}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SEC: u64 = 1_000;
    const MIN: u64 = 60 * SEC;

    #[test]
    fn email_delays_without_jitter_are_the_plan() {
        let s = Schedule::email().with_jitter_percent(0).unwrap();
        let got: Vec<Duration> = s.delays(7).collect();
        let want: Vec<Duration> = [SEC, 5 * SEC, 30 * SEC, 5 * MIN, 30 * MIN]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn webhook_delays_without_jitter_are_issue_10s() {
        let s = Schedule::webhook().with_jitter_percent(0).unwrap();
        let got: Vec<u64> = s.delays(7).map(|d| d.as_millis() as u64).collect();
        assert_eq!(got, [MIN, 5 * MIN, 30 * MIN, 120 * MIN, 1_440 * MIN]);
    }

    #[test]
    fn dashboard_delays_without_jitter_are_one_three_and_ten_seconds() {
        let s = Schedule::dashboard().with_jitter_percent(0).unwrap();
        let got: Vec<u64> = s.delays(7).map(|d| d.as_millis() as u64).collect();
        assert_eq!(got, [SEC, 3 * SEC, 10 * SEC]);
    }

    #[test]
    fn defaults_are_five_attempts_and_ten_percent() {
        for s in [Schedule::email(), Schedule::webhook()] {
            assert_eq!(s.max_attempts(), 5);
            assert_eq!(s.jitter_percent(), 10);
            assert_eq!(s.delays(0).len(), 5);
        }
    }

    #[test]
    fn the_dashboard_gets_three_retries_jittered_ten_percent() {
        let s = Schedule::dashboard();
        assert_eq!(s.max_attempts(), 3);
        assert_eq!(s.jitter_percent(), 10);
        for seed in [0, 1, 42, u32::MAX] {
            let got: Vec<u64> = s.delays(seed).map(|d| d.as_millis() as u64).collect();
            assert_eq!(got.len(), 3);
            for (ms, base) in got.into_iter().zip([SEC, 3 * SEC, 10 * SEC]) {
                assert!(ms >= base - base / 10 && ms <= base + base / 10, "{ms}");
            }
        }
    }

    #[test]
    fn jittered_delays_stay_within_ten_percent() {
        for seed in [0, 1, 42, u32::MAX] {
            for (attempt, d) in Schedule::email().delays(seed).enumerate() {
                let base = u64::from(EMAIL_DELAYS_MS[attempt]);
                let ms = d.as_millis() as u64;
                assert!(ms >= base - base / 10 && ms <= base + base / 10, "{ms}");
            }
        }
    }

    #[test]
    fn the_last_delay_repeats_past_the_list() {
        let s = Schedule::email()
            .with_max_attempts(8)
            .with_jitter_percent(0)
            .unwrap();
        let got: Vec<u64> = s.delays(0).map(|d| d.as_millis() as u64).collect();
        assert_eq!(got.len(), 8);
        assert_eq!(got[4..], [30 * MIN; 4]);
        assert_eq!(s.base_delay_ms(u32::MAX), 1_800_000);
    }

    #[test]
    fn builders_refuse_what_cannot_work() {
        assert_eq!(Schedule::new(&[]), Err(ScheduleError::NoDelays));
        assert_eq!(
            Schedule::email().with_jitter_percent(101),
            Err(ScheduleError::JitterTooLarge { percent: 101 })
        );
        let s = Schedule::new(&[10, 20]).unwrap();
        assert_eq!(s.max_attempts(), 2);
        assert_eq!(Schedule::email().with_max_attempts(0).delays(0).count(), 0);
    }
}
