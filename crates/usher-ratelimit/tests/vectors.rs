//! The shared test vectors in `tests/vectors/gcra.json` at the repository
//! root.
//!
//! The PostgreSQL and Lua implementations check themselves against the same
//! file, so it is the contract between all three. This test both replays it
//! and regenerates it: the file is built from hand-checked cases (whose
//! expected results are written out below and asserted before anything is
//! written) and from seeded pseudo-random sequences. Run
//! `UPDATE_VECTORS=1 cargo test -p usher-ratelimit --test vectors` to
//! rewrite it after a deliberate change.

// The vector file is read from disk, which wasm32-unknown-unknown has no access to;
// the wasm build replays the same file from Deno instead (tests/ratelimit_vectors_test.ts).
#![cfg(not(target_arch = "wasm32"))]

use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::Value;
use usher_ratelimit::{decide, Decision, Quota};

/// A realistic Unix time in microseconds (early 2027).
const EPOCH_US: i64 = 1_800_000_000_000_000;
const SEC: i64 = 1_000_000;
/// Lua numbers are doubles: every integer in the file must stay below 2^53
/// to be represented exactly.
const MAX_EXACT_IN_DOUBLE: i64 = 1 << 53;

/// The two tests in this file read and write the same file; the lock keeps
/// a rewrite from racing a read.
static FILE_LOCK: Mutex<()> = Mutex::new(());

fn vector_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/gcra.json")
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("vector quotas are non-zero")
}

/// A hand-checked expectation for one step; times are offsets from the
/// case's start, in microseconds.
#[derive(Clone, Copy)]
enum Hand {
    /// Allowed with (remaining, reset_after_us, new tat offset).
    A(u32, i64, i64),
    /// Denied with (remaining, retry_after_us, reset_after_us).
    D(u32, i64, i64),
    /// Too large.
    Tl,
}
use Hand::{Tl, A, D};

/// One call sequence on one fresh key.
struct Case {
    name: String,
    count: u32,
    period_us: i64,
    burst: u32,
    /// (now_us, cost) for each call, in order.
    steps: Vec<(i64, u32)>,
}

/// Builds a hand case from (offset, cost, expectation) triples and checks
/// every expectation against `decide`, so that a hand-computed number that
/// disagrees with the implementation stops the generation.
fn hand(name: &str, count: u32, period_us: i64, burst: u32, steps: &[(i64, u32, Hand)]) -> Case {
    let quota = Quota::from_period_us(nz(count), period_us, nz(burst)).expect("valid quota");
    let mut state = None;
    for (i, &(offset, cost, expected)) in steps.iter().enumerate() {
        let now = EPOCH_US + offset;
        let got = decide(&quota, state, now, cost);
        let want = match expected {
            A(remaining, reset_after_us, tat) => Decision::Allowed {
                tat_us: EPOCH_US + tat,
                remaining,
                reset_after_us,
            },
            D(remaining, retry_after_us, reset_after_us) => Decision::Denied {
                retry_after_us,
                reset_after_us,
                remaining,
            },
            Tl => Decision::TooLarge { burst },
        };
        assert_eq!(got, want, "hand case {name:?}, step {i}");
        if let Some(s) = got.new_state() {
            state = Some(s);
        }
    }
    Case {
        name: name.to_owned(),
        count,
        period_us,
        burst,
        steps: steps.iter().map(|&(o, c, _)| (EPOCH_US + o, c)).collect(),
    }
}

fn hand_cases() -> Vec<Case> {
    const MIN: i64 = 60 * SEC;
    const HOUR: i64 = 3600 * SEC;
    vec![
        // T = 12 s, tau = 60 s.
        hand(
            "5/min burst 5: full burst, then the 12 s boundary to the microsecond",
            5,
            MIN,
            5,
            &[
                (0, 1, A(4, 12 * SEC, 12 * SEC)),
                (0, 1, A(3, 24 * SEC, 24 * SEC)),
                (0, 1, A(2, 36 * SEC, 36 * SEC)),
                (0, 1, A(1, 48 * SEC, 48 * SEC)),
                (0, 1, A(0, 60 * SEC, 60 * SEC)),
                (0, 1, D(0, 12 * SEC, 60 * SEC)),
                (12 * SEC - 1, 1, D(0, 1, 48 * SEC + 1)),
                (12 * SEC, 1, A(0, 60 * SEC, 72 * SEC)),
                (12 * SEC, 1, D(0, 12 * SEC, 60 * SEC)),
            ],
        ),
        // T = 6 s, tau = 12 s.
        hand(
            "10/min burst 2: burst smaller than count",
            10,
            MIN,
            2,
            &[
                (0, 1, A(1, 6 * SEC, 6 * SEC)),
                (0, 1, A(0, 12 * SEC, 12 * SEC)),
                (0, 1, D(0, 6 * SEC, 12 * SEC)),
                (6 * SEC, 1, A(0, 12 * SEC, 18 * SEC)),
                (30 * SEC, 1, A(1, 6 * SEC, 36 * SEC)),
                (30 * SEC, 1, A(0, 12 * SEC, 42 * SEC)),
            ],
        ),
        // T = 0.5 s, tau = 3 s.
        hand(
            "2/s burst 6: burst larger than count",
            2,
            SEC,
            6,
            &[
                (0, 1, A(5, 500_000, 500_000)),
                (0, 1, A(4, 1_000_000, 1_000_000)),
                (0, 1, A(3, 1_500_000, 1_500_000)),
                (0, 1, A(2, 2_000_000, 2_000_000)),
                (0, 1, A(1, 2_500_000, 2_500_000)),
                (0, 1, A(0, 3_000_000, 3_000_000)),
                (0, 1, D(0, 500_000, 3_000_000)),
                (3 * SEC, 1, A(5, 500_000, 3_500_000)),
                (3 * SEC, 5, A(0, 3_000_000, 6_000_000)),
                (3 * SEC, 1, D(0, 500_000, 3_000_000)),
            ],
        ),
        hand(
            "5/min burst 5: refill over time",
            5,
            MIN,
            5,
            &[
                (0, 1, A(4, 12 * SEC, 12 * SEC)),
                (0, 1, A(3, 24 * SEC, 24 * SEC)),
                (0, 1, A(2, 36 * SEC, 36 * SEC)),
                (0, 1, A(1, 48 * SEC, 48 * SEC)),
                (0, 1, A(0, 60 * SEC, 60 * SEC)),
                (30 * SEC, 1, A(1, 42 * SEC, 72 * SEC)),
                (30 * SEC, 1, A(0, 54 * SEC, 84 * SEC)),
                (30 * SEC, 1, D(0, 6 * SEC, 54 * SEC)),
                (36 * SEC, 1, A(0, 60 * SEC, 96 * SEC)),
                (200 * SEC, 1, A(4, 12 * SEC, 212 * SEC)),
            ],
        ),
        hand(
            "5/min burst 5: costs greater than one",
            5,
            MIN,
            5,
            &[
                (0, 3, A(2, 36 * SEC, 36 * SEC)),
                (0, 3, D(2, 12 * SEC, 36 * SEC)),
                (0, 2, A(0, 60 * SEC, 60 * SEC)),
                (24 * SEC, 2, A(0, 60 * SEC, 84 * SEC)),
                (24 * SEC, 1, D(0, 12 * SEC, 60 * SEC)),
            ],
        ),
        hand(
            "5/min burst 5: cost greater than burst is refused outright",
            5,
            MIN,
            5,
            &[
                (0, 6, Tl),
                (0, u32::MAX, Tl),
                (0, 5, A(0, 60 * SEC, 60 * SEC)),
                (1_000 * SEC, 6, Tl),
                (1_000 * SEC, 5, A(0, 60 * SEC, 1_060 * SEC)),
            ],
        ),
        hand(
            "5/min burst 5: cost 0 peeks without using anything",
            5,
            MIN,
            5,
            &[
                (0, 0, A(5, 0, 0)),
                (0, 2, A(3, 24 * SEC, 24 * SEC)),
                (0, 0, A(3, 24 * SEC, 24 * SEC)),
                (10 * SEC, 0, A(3, 14 * SEC, 24 * SEC)),
                (10 * SEC, 3, A(0, 50 * SEC, 60 * SEC)),
                (10 * SEC, 0, A(0, 50 * SEC, 60 * SEC)),
                (10 * SEC, 1, D(0, 2 * SEC, 50 * SEC)),
            ],
        ),
        // T = tau = 1 h.
        hand(
            "1/h burst 1: a state far in the past counts as fresh",
            1,
            HOUR,
            1,
            &[
                (0, 1, A(0, HOUR, HOUR)),
                (SEC, 1, D(0, HOUR - SEC, HOUR - SEC)),
                (10_000_000 * SEC, 1, A(0, HOUR, 10_000_000 * SEC + HOUR)),
            ],
        ),
        hand(
            "5/min burst 5: the clock goes backwards",
            5,
            MIN,
            5,
            &[
                (0, 1, A(4, 12 * SEC, 12 * SEC)),
                (0, 1, A(3, 24 * SEC, 24 * SEC)),
                (-30 * SEC, 1, D(0, 6 * SEC, 54 * SEC)),
                (-30 * SEC, 0, A(0, 54 * SEC, 24 * SEC)),
                (-50 * SEC, 0, D(0, 14 * SEC, 74 * SEC)),
                (-20 * SEC, 1, A(0, 56 * SEC, 36 * SEC)),
            ],
        ),
        // T = 333_333 us, tau = 999_999 us: the floored interval.
        hand(
            "3/s burst 3: a period that is not a multiple of count",
            3,
            SEC,
            3,
            &[
                (0, 1, A(2, 333_333, 333_333)),
                (0, 1, A(1, 666_666, 666_666)),
                (0, 1, A(0, 999_999, 999_999)),
                (0, 1, D(0, 333_333, 999_999)),
                (333_332, 1, D(0, 1, 666_667)),
                (333_333, 1, A(0, 999_999, 1_333_332)),
                (SEC, 1, A(1, 666_665, 1_666_665)),
            ],
        ),
        // T = tau = 1 s.
        hand(
            "1/s burst 1: strict spacing",
            1,
            SEC,
            1,
            &[
                (0, 1, A(0, SEC, SEC)),
                (SEC - 1, 1, D(0, 1, 1)),
                (SEC, 1, A(0, SEC, 2 * SEC)),
                (2 * SEC, 1, A(0, SEC, 3 * SEC)),
                (5 * SEC, 1, A(0, SEC, 6 * SEC)),
            ],
        ),
        // T = 36 s, tau = 360 s.
        hand(
            "100/h burst 10: a denied large cost still reports what remains",
            100,
            HOUR,
            10,
            &[
                (0, 10, A(0, 360 * SEC, 360 * SEC)),
                (0, 0, A(0, 360 * SEC, 360 * SEC)),
                (36 * SEC, 1, A(0, 360 * SEC, 396 * SEC)),
                (100 * SEC, 10, D(1, 296 * SEC, 296 * SEC)),
                (396 * SEC, 10, A(0, 360 * SEC, 756 * SEC)),
            ],
        ),
    ]
}

/// xorshift64: a tiny deterministic generator, so the random cases are the
/// same on every machine without depending on `rand`.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..n`; the slight modulo bias does not matter here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const RANDOM_SEED: u64 = 0x5eed_0f9c_7a20_2024;
const RANDOM_CASES: usize = 6;
const RANDOM_STEPS: usize = 60;

fn random_cases() -> Vec<Case> {
    let mut rng = XorShift(RANDOM_SEED);
    let periods = [
        SEC,
        10 * SEC,
        60 * SEC,
        3_600 * SEC,
        86_400 * SEC,
        7_777_777,
    ];
    (0..RANDOM_CASES)
        .map(|index| {
            let count = 1 + rng.below(100) as u32;
            let period_us = rng.pick(&periods);
            // Bursts stay small enough that 60 steps reach the limit often.
            let burst = 1 + rng.below(u64::from(2 * count).min(12)) as u32;
            let quota =
                Quota::from_period_us(nz(count), period_us, nz(burst)).expect("valid quota");
            let t = quota.emission_interval_us() as u64;
            let tau = quota.tolerance_us() as u64;

            let mut now = EPOCH_US + rng.below(1_000_000_000_000) as i64;
            let steps = (0..RANDOM_STEPS)
                .map(|_| {
                    // Gaps are mixed so that bursts, partial refills, full
                    // refills and a clock stepping back all occur.
                    now += match rng.below(10) {
                        0..=2 => 0,
                        3..=5 => rng.below(t) as i64,
                        6 | 7 => rng.below(tau) as i64,
                        8 => rng.below(3 * tau) as i64,
                        _ => -(rng.below(t) as i64),
                    };
                    let cost = match rng.below(20) {
                        0 => 0,
                        1 => burst + 1 + rng.below(3) as u32,
                        2..=4 => 1 + rng.below(u64::from(burst)) as u32,
                        _ => 1,
                    };
                    (now, cost)
                })
                .collect();
            Case {
                name: format!("random {index}: {count} per {period_us} us, burst {burst}"),
                count,
                period_us,
                burst,
                steps,
            }
        })
        .collect()
}

/// Renders the vector file: one line per step, so diffs stay readable.
fn render() -> String {
    let mut out = String::from("{\"cases\":[\n");
    let cases: Vec<Case> = hand_cases().into_iter().chain(random_cases()).collect();
    for (ci, case) in cases.iter().enumerate() {
        let quota =
            Quota::from_period_us(nz(case.count), case.period_us, nz(case.burst)).expect("valid");
        let name = serde_json::to_string(&case.name).expect("a string serialises");
        writeln!(
            out,
            "{{\"name\":{name},\"quota\":{{\"count\":{},\"period_us\":{},\"burst\":{}}},\"steps\":[",
            case.count, case.period_us, case.burst
        )
        .expect("writing to a String cannot fail");
        let mut state: Option<i64> = None;
        for (si, &(now, cost)) in case.steps.iter().enumerate() {
            let d = decide(&quota, state, now, cost);
            if let Some(s) = d.new_state() {
                state = Some(s);
            }
            for value in [
                Some(now),
                d.retry_after_us(),
                Some(d.reset_after_us()),
                state,
                d.next_unit_after_us(&quota),
            ]
            .into_iter()
            .flatten()
            {
                assert!(
                    value.abs() < MAX_EXACT_IN_DOUBLE,
                    "case {:?} step {si}: {value} is not exact in a double",
                    case.name
                );
            }
            let opt = |v: Option<i64>| v.map_or_else(|| "null".to_owned(), |v| v.to_string());
            let comma = if si + 1 < case.steps.len() { "," } else { "" };
            writeln!(
                out,
                "{{\"now_us\":{now},\"cost\":{cost},\"expect\":{{\"allowed\":{},\"too_large\":{},\"remaining\":{},\"retry_after_us\":{},\"reset_after_us\":{},\"tat_us\":{},\"next_unit_after_us\":{}}}}}{comma}",
                d.is_allowed(),
                d.is_too_large(),
                d.remaining(),
                opt(d.retry_after_us()),
                d.reset_after_us(),
                opt(state),
                opt(d.next_unit_after_us(&quota)),
            )
            .expect("writing to a String cannot fail");
        }
        let comma = if ci + 1 < cases.len() { "," } else { "" };
        writeln!(out, "]}}{comma}").expect("writing to a String cannot fail");
    }
    out.push_str("]}\n");
    out
}

fn field<'a>(value: &'a Value, key: &str, at: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("{at}: missing field {key:?}"))
}

fn int(value: &Value, key: &str, at: &str) -> i64 {
    field(value, key, at)
        .as_i64()
        .unwrap_or_else(|| panic!("{at}: field {key:?} is not an integer"))
}

fn opt_int(value: &Value, key: &str, at: &str) -> Option<i64> {
    let v = field(value, key, at);
    if v.is_null() {
        None
    } else {
        Some(
            v.as_i64()
                .unwrap_or_else(|| panic!("{at}: field {key:?} is neither null nor an integer")),
        )
    }
}

fn boolean(value: &Value, key: &str, at: &str) -> bool {
    field(value, key, at)
        .as_bool()
        .unwrap_or_else(|| panic!("{at}: field {key:?} is not a boolean"))
}

fn small(value: &Value, key: &str, at: &str) -> u32 {
    u32::try_from(int(value, key, at)).unwrap_or_else(|_| panic!("{at}: {key:?} is not a u32"))
}

/// With `UPDATE_VECTORS=1`, rewrites the file from the generator. Both
/// tests call this under the lock, so whichever runs first writes the file
/// and the replay never sees a stale one.
fn update_if_asked() -> bool {
    let asked = std::env::var_os("UPDATE_VECTORS").is_some_and(|v| v == "1");
    if asked {
        let path = vector_path();
        std::fs::write(&path, render())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    asked
}

#[test]
fn every_vector_step_matches_decide() {
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    update_if_asked();
    let path = vector_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run UPDATE_VECTORS=1 cargo test -p usher-ratelimit --test vectors",
            path.display()
        )
    });
    let root: Value = serde_json::from_str(&text).expect("the vector file is valid JSON");
    let cases = field(&root, "cases", "root")
        .as_array()
        .expect("cases is an array");

    let mut hand = 0;
    let mut random = 0;
    let mut steps_checked = 0;
    for case in cases {
        let name = field(case, "name", "case")
            .as_str()
            .expect("name is a string");
        let q = field(case, "quota", name);
        let quota = Quota::from_period_us(
            nz(small(q, "count", name)),
            int(q, "period_us", name),
            nz(small(q, "burst", name)),
        )
        .unwrap_or_else(|e| panic!("{name}: invalid quota: {e}"));
        let steps = field(case, "steps", name)
            .as_array()
            .expect("steps is an array");
        if name.starts_with("random") {
            random += 1;
            assert!(
                steps.len() >= 50,
                "{name}: random cases have at least 50 steps"
            );
        } else {
            hand += 1;
        }

        let mut state = None;
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{name}, step {i}");
            let now = int(step, "now_us", &at);
            let cost = small(step, "cost", &at);
            let expect = field(step, "expect", &at);

            let d = decide(&quota, state, now, cost);
            if let Some(s) = d.new_state() {
                state = Some(s);
            }
            assert_eq!(
                d.is_allowed(),
                boolean(expect, "allowed", &at),
                "{at}: allowed"
            );
            assert_eq!(
                d.is_too_large(),
                boolean(expect, "too_large", &at),
                "{at}: too_large"
            );
            assert_eq!(
                i64::from(d.remaining()),
                int(expect, "remaining", &at),
                "{at}: remaining"
            );
            assert_eq!(
                d.retry_after_us(),
                opt_int(expect, "retry_after_us", &at),
                "{at}: retry_after_us"
            );
            assert_eq!(
                d.reset_after_us(),
                int(expect, "reset_after_us", &at),
                "{at}: reset_after_us"
            );
            assert_eq!(state, opt_int(expect, "tat_us", &at), "{at}: tat_us");
            assert_eq!(
                d.next_unit_after_us(&quota),
                opt_int(expect, "next_unit_after_us", &at),
                "{at}: next_unit_after_us"
            );
            steps_checked += 1;
        }
    }
    assert!(hand >= 10, "at least 10 hand cases, found {hand}");
    assert!(random >= 5, "at least 5 random cases, found {random}");
    assert!(steps_checked > 0);
}

#[test]
fn vector_file_is_up_to_date() {
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if update_if_asked() {
        return;
    }
    let path = vector_path();
    let fresh = render();
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "{} is out of date; run UPDATE_VECTORS=1 cargo test -p usher-ratelimit --test vectors",
        path.display()
    );
}
