//! Property tests: the `Retry-After` parser never panics and round-trips
//! both of its forms, jitter stays within its bounds, and `next` never
//! schedules a try earlier than the server asked.

use proptest::prelude::*;
// The same tests run on wasm under `wasm-pack test --node`.
use usher_retry::{
    classify, next, parse_retry_after, Class, Decision, Schedule, MIN_DEFER_MS, RETRY_AFTER_CAP_MS,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CAP: u64 = RETRY_AFTER_CAP_MS;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the
/// range a four-digit year can write.
const FIRST_SECOND: i64 = -62_167_219_200;
const LAST_SECOND: i64 = 253_402_300_799;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Writes Unix seconds as an IMF-fixdate, with Howard Hinnant's
/// `civil_from_days`: the inverse of the parser, written independently.
fn imf_fixdate(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday, index 3 from Monday.
    let weekday = DAY_NAMES[(days + 3).rem_euclid(7) as usize];
    format!(
        "{weekday}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        MONTHS[(month - 1) as usize],
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

fn any_class() -> impl Strategy<Value = Class> {
    prop_oneof![Just(Class::Retry), Just(Class::Defer), Just(Class::GiveUp)]
}

fn any_schedule() -> impl Strategy<Value = Schedule> {
    (
        prop_oneof![
            Just(Schedule::email()),
            Just(Schedule::webhook()),
            Just(Schedule::dashboard())
        ],
        0u32..=10,
        0u32..=100,
    )
        .prop_map(|(s, max, jitter)| {
            s.with_max_attempts(max)
                .with_jitter_percent(jitter)
                .expect("jitter within 100 %")
        })
}

proptest! {
    #[test]
    fn any_text_parses_or_is_refused_without_panicking(value in ".*", now in any::<i64>()) {
        if let Ok(ms) = parse_retry_after(&value, now) {
            prop_assert!(ms <= CAP);
        }
    }

    #[test]
    fn near_dates_parse_or_are_refused_without_panicking(
        seconds in FIRST_SECOND..=LAST_SECOND,
        at in 0usize..29,
        byte in any::<u8>(),
        now in any::<i64>(),
    ) {
        let mut bytes = imf_fixdate(seconds).into_bytes();
        bytes[at] = byte;
        let value = String::from_utf8_lossy(&bytes);
        if let Ok(ms) = parse_retry_after(&value, now) {
            prop_assert!(ms <= CAP);
        }
    }

    #[test]
    fn delta_seconds_round_trip(seconds in prop_oneof![0u64..=100_000, any::<u64>()], now in any::<i64>()) {
        let want = seconds.saturating_mul(1_000).min(CAP);
        prop_assert_eq!(parse_retry_after(&seconds.to_string(), now), Ok(want));
    }

    #[test]
    fn dates_round_trip(
        seconds in FIRST_SECOND..=LAST_SECOND,
        before_ms in prop_oneof![-200_000_000i64..=200_000_000, any::<i64>()],
    ) {
        let at_ms = i128::from(seconds) * 1_000;
        let now = (at_ms - i128::from(before_ms)).clamp(i128::from(i64::MIN), i128::from(i64::MAX));
        let want = (at_ms - now).clamp(0, i128::from(CAP)) as u64;
        prop_assert_eq!(parse_retry_after(&imf_fixdate(seconds), now as i64), Ok(want));
    }

    #[test]
    fn jitter_stays_within_its_percent(s in any_schedule(), attempt in any::<u32>(), seed in any::<u32>()) {
        let base = u64::from(s.base_delay_ms(attempt));
        let span = base * u64::from(s.jitter_percent()) / 100;
        let ms = s.delay_ms(attempt, seed);
        prop_assert!(ms >= base - span && ms <= base + span, "{} not within {} ± {}", ms, base, span);
    }

    #[test]
    fn the_iterator_yields_the_delays_of_each_retry(s in any_schedule(), seed in any::<u32>()) {
        let delays: Vec<u64> = s.delays(seed).map(|d| d.as_millis() as u64).collect();
        prop_assert_eq!(delays.len(), s.max_attempts() as usize);
        for (attempt, ms) in delays.into_iter().enumerate() {
            let decided = next(&s, attempt as u32, Class::Retry, None, seed);
            prop_assert_eq!(decided, Decision::RetryAt { delay_ms: ms });
        }
        let after_last = next(&s, s.max_attempts(), Class::Retry, None, seed);
        prop_assert_eq!(after_last, Decision::DeadLetter);
    }

    #[test]
    fn next_is_never_earlier_than_retry_after(
        s in any_schedule(),
        attempt in 0u32..=12,
        class in any_class(),
        retry_after in proptest::option::of(prop_oneof![0u64..=200_000_000, any::<u64>()]),
        seed in any::<u32>(),
    ) {
        let d = next(&s, attempt, class, retry_after, seed);
        let floor = retry_after.map_or(0, |ms| ms.min(CAP));
        match (class, d) {
            (Class::GiveUp, d) => prop_assert_eq!(d, Decision::DeadLetter),
            (Class::Retry, Decision::RetryAt { delay_ms }) => {
                prop_assert!(attempt < s.max_attempts());
                prop_assert!(delay_ms >= floor && delay_ms >= s.delay_ms(attempt, seed));
            }
            (Class::Retry, Decision::DeadLetter) => prop_assert!(attempt >= s.max_attempts()),
            (Class::Defer, Decision::Defer { delay_ms }) => {
                prop_assert!(delay_ms >= floor.max(MIN_DEFER_MS));
            }
            (class, d) => prop_assert!(false, "{:?} gave {:?}", class, d),
        }
        // Nothing waits longer than the cap or the schedule's longest jittered delay.
        let longest = s.delays_ms().iter().map(|&d| u64::from(d)).max().unwrap_or(0);
        let ceiling = CAP.max(longest + longest * u64::from(s.jitter_percent()) / 100);
        if let Some(ms) = d.delay_ms() {
            prop_assert!(ms <= ceiling, "{} above {}", ms, ceiling);
        }
    }

    #[test]
    fn classify_is_total(status in proptest::option::of(any::<u16>()), name in proptest::option::of(".*")) {
        let _ = classify(status, name.as_deref());
    }
}
