//! The shared test vectors in `tests/vectors/retry.json` at the repository
//! root.
//!
//! Every implementation of the retry rules (this crate, the wasm build, any
//! SQL that computes a next attempt, the browser) replays the same file, so
//! it is their contract. This test both replays and regenerates it: the
//! classification and `Retry-After` cases carry expectations written out by
//! hand below, asserted before anything is written; the jitter hashes, the
//! delays and the decisions are computed, over the seeds and attempts listed
//! here. Run `UPDATE_VECTORS=1 cargo test -p usher-retry --test vectors` to
//! rewrite it after a deliberate change.

// The vector file is read from disk, which wasm32-unknown-unknown has no
// access to; the unit tests run on wasm instead.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Value};
use usher_retry::{
    classify, jitter_hash, next, parse_retry_after, Class, Decision, RetryAfterError, Schedule,
    MIN_DEFER_MS, RETRY_AFTER_CAP_MS,
};

/// The two tests in this file read and write the same file; the lock keeps
/// a rewrite from racing a read.
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// 2027-01-15T08:00:00Z in Unix milliseconds.
const NOW_MS: i64 = 1_800_000_000_000;
/// RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT.
const RFC_EXAMPLE_MS: i64 = 784_111_777_000;
/// 2026-12-31T23:59:59Z, the second before a (hypothetical) leap second.
const BEFORE_LEAP_MS: i64 = 1_798_761_599_000;
const CAP: u64 = RETRY_AFTER_CAP_MS;

const SEEDS: [u32; 8] = [
    0,
    1,
    2,
    0x5eed,
    0x7fff_ffff,
    0xdead_beef,
    0xffff_fffe,
    u32::MAX,
];

fn vector_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/retry.json")
}

fn schedules() -> [(&'static str, Schedule); 3] {
    [
        ("email", Schedule::email()),
        ("webhook", Schedule::webhook()),
        ("dashboard", Schedule::dashboard()),
    ]
}

fn schedule_named(name: &str) -> Schedule {
    schedules()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown schedule {name:?}"))
        .1
}

/// Every classification rule, with the class it must give.
fn classify_cases() -> Vec<(Option<u16>, Option<&'static str>, Class)> {
    use Class::{Defer, GiveUp, Retry};
    vec![
        (None, None, Retry),
        (None, Some("application_error"), Retry),
        (Some(408), None, Retry),
        (Some(429), None, Retry),
        (Some(429), Some("rate_limit_exceeded"), Retry),
        (Some(429), Some("daily_quota_exceeded"), Defer),
        (Some(429), Some("monthly_quota_exceeded"), GiveUp),
        (Some(429), Some("something_new"), Retry),
        (Some(409), Some("concurrent_idempotent_requests"), Retry),
        (Some(409), Some("invalid_idempotent_request"), GiveUp),
        (Some(409), None, GiveUp),
        (Some(500), None, Retry),
        (Some(500), Some("application_error"), Retry),
        (Some(500), Some("internal_server_error"), Retry),
        (Some(502), None, Retry),
        (Some(503), None, Retry),
        (Some(504), None, Retry),
        (Some(599), None, Retry),
        (Some(400), Some("validation_error"), GiveUp),
        (Some(400), Some("invalid_idempotency_key"), GiveUp),
        (Some(401), Some("missing_api_key"), GiveUp),
        (Some(401), Some("restricted_api_key"), GiveUp),
        (Some(403), Some("invalid_api_key"), GiveUp),
        (Some(403), Some("validation_error"), GiveUp),
        (Some(404), Some("not_found"), GiveUp),
        (Some(405), Some("method_not_allowed"), GiveUp),
        (Some(422), Some("validation_error"), GiveUp),
        (Some(422), Some("invalid_from_address"), GiveUp),
        (Some(422), Some("missing_required_field"), GiveUp),
        (Some(422), Some("concurrent_idempotent_requests"), GiveUp),
        (Some(451), Some("security_error"), GiveUp),
        (Some(499), None, GiveUp),
        (Some(500), Some("daily_quota_exceeded"), Retry),
        (Some(200), None, GiveUp),
        (Some(302), None, GiveUp),
        (Some(600), None, GiveUp),
        (Some(0), None, GiveUp),
    ]
}

/// `Retry-After` values, the time they are read, and the wait or error they
/// must give.
fn retry_after_cases() -> Vec<(&'static str, i64, Result<u64, RetryAfterError>)> {
    use RetryAfterError::{Empty, Malformed};
    vec![
        ("0", NOW_MS, Ok(0)),
        ("1", NOW_MS, Ok(1_000)),
        ("120", NOW_MS, Ok(120_000)),
        ("007", NOW_MS, Ok(7_000)),
        (" 120\t", NOW_MS, Ok(120_000)),
        ("86399", NOW_MS, Ok(86_399_000)),
        ("86400", NOW_MS, Ok(CAP)),
        ("86401", NOW_MS, Ok(CAP)),
        ("99999999999999999999999999999999", NOW_MS, Ok(CAP)),
        ("", NOW_MS, Err(Empty)),
        (" \t ", NOW_MS, Err(Empty)),
        ("-1", NOW_MS, Err(Malformed)),
        ("+5", NOW_MS, Err(Malformed)),
        ("1.5", NOW_MS, Err(Malformed)),
        ("1e3", NOW_MS, Err(Malformed)),
        ("12 s", NOW_MS, Err(Malformed)),
        ("\u{0663}", NOW_MS, Err(Malformed)),
        ("1\n", NOW_MS, Err(Malformed)),
        ("Fri, 15 Jan 2027 08:00:00 GMT", NOW_MS, Ok(0)),
        ("Fri, 15 Jan 2027 08:01:30 GMT", NOW_MS, Ok(90_000)),
        ("Thu, 14 Jan 2027 08:00:00 GMT", NOW_MS, Ok(0)),
        ("Sun, 17 Jan 2027 08:00:00 GMT", NOW_MS, Ok(CAP)),
        ("  Fri, 15 Jan 2027 08:01:30 GMT ", NOW_MS, Ok(90_000)),
        ("Fri, 15 Jan 2027 08:01:30 GMT", NOW_MS + 500, Ok(89_500)),
        (
            "Sun, 06 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS - 1_500,
            Ok(1_500),
        ),
        (
            "Mon, 06 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS - 1_500,
            Ok(1_500),
        ),
        ("Thu, 31 Dec 2026 23:59:60 GMT", BEFORE_LEAP_MS, Ok(1_000)),
        ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400_000 - 1, Ok(1)),
        (
            "sun, 06 nov 1994 08:49:37 gmt",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sunday, 06-Nov-94 08:49:37 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        ("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE_MS, Err(Malformed)),
        (
            "Sun, 6 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 06 Nov 1994 08:49:37 UTC",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 06 Nov 1994 08:49:37.5 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 06 Nov 1994 24:00:00 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 06 Nov 1994 08:60:00 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 00 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 31 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        ("Sun, 29 Feb 2027 00:00:00 GMT", NOW_MS, Err(Malformed)),
        (
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
        (
            "Sun, 06 Nov 1994 08:49:37 GMT, 120",
            RFC_EXAMPLE_MS,
            Err(Malformed),
        ),
    ]
}

/// One input to [`next`]: (schedule, max_attempts, attempt, class,
/// retry_after_ms, seed).
type NextInput = (&'static str, u32, u32, Class, Option<u64>, u32);

/// Inputs to [`next`]; the decisions are computed.
fn next_cases() -> Vec<NextInput> {
    use Class::{Defer, GiveUp, Retry};
    let mut cases = Vec::new();
    // Each schedule with its own number of retries, past the last one.
    for (name, s) in schedules() {
        for seed in [0x5eed, 0xdead_beef] {
            for attempt in 0..=s.max_attempts() + 1 {
                cases.push((name, s.max_attempts(), attempt, Retry, None, seed));
            }
        }
    }
    cases.extend([
        ("email", 5, 0, Retry, Some(120_000), 0x5eed),
        ("email", 5, 0, Retry, Some(500), 0x5eed),
        ("email", 5, 4, Retry, Some(CAP + 1), 0x5eed),
        ("email", 5, 5, Retry, Some(1_000), 0x5eed),
        ("email", 5, 0, Defer, Some(6_000), 0x5eed),
        ("email", 5, 5, Defer, Some(6_000), 0x5eed),
        ("email", 5, 9, Defer, Some(6_000), 0x5eed),
        ("email", 5, 0, Defer, Some(0), 0x5eed),
        ("email", 5, 0, Defer, Some(CAP + 1), 0x5eed),
        ("email", 5, 0, Defer, None, 0x5eed),
        ("webhook", 5, 0, Defer, None, 0x5eed),
        ("email", 5, 0, GiveUp, None, 0x5eed),
        ("email", 5, 0, GiveUp, Some(1_000), 0x5eed),
        ("email", 0, 0, Retry, None, 0x5eed),
        ("email", 8, 7, Retry, None, 0x5eed),
        ("email", 8, 8, Retry, None, 0x5eed),
        ("dashboard", 3, 0, Retry, Some(5_000), 0x5eed),
        ("dashboard", 3, 2, Retry, Some(500), 0x5eed),
        ("dashboard", 3, 3, Retry, Some(5_000), 0x5eed),
        ("dashboard", 3, 1, Defer, Some(30_000), 0x5eed),
        ("dashboard", 3, 0, GiveUp, None, 0x5eed),
    ]);
    cases
}

fn class_name(v: &Value) -> Class {
    let name = v.as_str().expect("a class is a string");
    Class::from_name(name).unwrap_or_else(|| panic!("unknown class {name:?}"))
}

fn error_name(e: RetryAfterError) -> &'static str {
    match e {
        RetryAfterError::Empty => "empty",
        RetryAfterError::Malformed => "malformed",
    }
}

fn render() -> String {
    let line = |v: Value| serde_json::to_string(&v).expect("a value serialises");
    let section = |name: &str, rows: Vec<Value>| {
        let rows: Vec<String> = rows.into_iter().map(line).collect();
        format!("\"{name}\":[\n{}\n]", rows.join(",\n"))
    };

    let schedule_rows = schedules()
        .into_iter()
        .map(|(name, s)| {
            json!({"name": name, "delays_ms": s.delays_ms(), "max_attempts": s.max_attempts(),
                   "jitter_percent": s.jitter_percent()})
        })
        .collect();
    let mut hash_rows = Vec::new();
    let mut delay_rows = Vec::new();
    for seed in SEEDS {
        for attempt in [0, 1, 2, 3, 4, 5, 6, u32::MAX] {
            hash_rows.push(
                json!({"attempt": attempt, "seed": seed, "hash": jitter_hash(attempt, seed)}),
            );
        }
        for (name, s) in schedules() {
            for attempt in 0..=6 {
                delay_rows.push(json!({"schedule": name, "attempt": attempt, "seed": seed,
                                       "delay_ms": s.delay_ms(attempt, seed)}));
            }
        }
    }
    let classify_rows = classify_cases()
        .into_iter()
        .map(|(status, name, want)| {
            assert_eq!(classify(status, name), want, "{status:?} {name:?}");
            json!({"status": status, "name": name, "class": want.as_str()})
        })
        .collect();
    let retry_after_rows = retry_after_cases()
        .into_iter()
        .map(|(value, now_ms, want)| {
            assert_eq!(parse_retry_after(value, now_ms), want, "{value:?} at {now_ms}");
            match want {
                Ok(ms) => json!({"value": value, "now_ms": now_ms, "delay_ms": ms, "error": null}),
                Err(e) => {
                    json!({"value": value, "now_ms": now_ms, "delay_ms": null, "error": error_name(e)})
                }
            }
        })
        .collect();
    let next_rows = next_cases()
        .into_iter()
        .map(
            |(name, max_attempts, attempt, class, retry_after_ms, seed)| {
                let s = schedule_named(name).with_max_attempts(max_attempts);
                let d = next(&s, attempt, class, retry_after_ms, seed);
                json!({"schedule": name, "max_attempts": max_attempts, "attempt": attempt,
                   "class": class.as_str(), "retry_after_ms": retry_after_ms, "seed": seed,
                   "decision": d.as_str(), "delay_ms": d.delay_ms()})
            },
        )
        .collect();

    let about = "Retry rules shared by every implementation; regenerate with \
                 UPDATE_VECTORS=1 cargo test -p usher-retry --test vectors. \
                 hash = fmix32(fmix32(seed) ^ attempt) in u32 (MurmurHash3's finalizer); \
                 base = delays_ms[min(attempt, len - 1)]; span = floor(base * jitter_percent / 100); \
                 delay_ms = base - span + hash % (2 * span + 1). Attempt 0 is the first try.";
    format!(
        "{{\"about\":{},\n\"retry_after_cap_ms\":{CAP},\n\"min_defer_ms\":{MIN_DEFER_MS},\n{},\n{},\n{},\n{},\n{},\n{}}}\n",
        line(json!(about)),
        section("schedules", schedule_rows),
        section("hashes", hash_rows),
        section("delays", delay_rows),
        section("classify", classify_rows),
        section("retry_after", retry_after_rows),
        section("next", next_rows),
    )
}

fn rows<'a>(root: &'a Value, key: &str) -> &'a Vec<Value> {
    root.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{key} is missing or not an array"))
}

fn uint(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{v}: {key:?} is not an unsigned integer"))
}

fn small(v: &Value, key: &str) -> u32 {
    u32::try_from(uint(v, key)).unwrap_or_else(|_| panic!("{v}: {key:?} is not a u32"))
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
fn every_vector_matches_the_crate() {
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    update_if_asked();
    let path = vector_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run UPDATE_VECTORS=1 cargo test -p usher-retry --test vectors",
            path.display()
        )
    });
    let root: Value = serde_json::from_str(&text).expect("the vector file is valid JSON");
    assert_eq!(uint(&root, "retry_after_cap_ms"), RETRY_AFTER_CAP_MS);
    assert_eq!(uint(&root, "min_defer_ms"), MIN_DEFER_MS);

    for row in rows(&root, "schedules") {
        let s = schedule_named(row["name"].as_str().expect("a name"));
        let delays: Vec<u64> = s.delays_ms().iter().map(|&d| u64::from(d)).collect();
        assert_eq!(row["delays_ms"], json!(delays), "{row}");
        assert_eq!(small(row, "max_attempts"), s.max_attempts(), "{row}");
        assert_eq!(small(row, "jitter_percent"), s.jitter_percent(), "{row}");
    }
    for row in rows(&root, "hashes") {
        let got = jitter_hash(small(row, "attempt"), small(row, "seed"));
        assert_eq!(u64::from(got), uint(row, "hash"), "{row}");
    }
    for row in rows(&root, "delays") {
        let s = schedule_named(row["schedule"].as_str().expect("a schedule"));
        let got = s.delay_ms(small(row, "attempt"), small(row, "seed"));
        assert_eq!(got, uint(row, "delay_ms"), "{row}");
    }
    for row in rows(&root, "classify") {
        let status = row["status"]
            .as_u64()
            .map(|s| u16::try_from(s).expect("a status fits a u16"));
        let got = classify(status, row["name"].as_str());
        assert_eq!(got, class_name(&row["class"]), "{row}");
    }
    for row in rows(&root, "retry_after") {
        let value = row["value"].as_str().expect("a value");
        let now_ms = row["now_ms"].as_i64().expect("now_ms is an integer");
        let got = parse_retry_after(value, now_ms);
        match got {
            Ok(ms) => assert_eq!(Some(ms), row["delay_ms"].as_u64(), "{row}"),
            Err(e) => assert_eq!(Some(error_name(e)), row["error"].as_str(), "{row}"),
        }
    }
    let next_rows = rows(&root, "next");
    for row in next_rows {
        let s = schedule_named(row["schedule"].as_str().expect("a schedule"))
            .with_max_attempts(small(row, "max_attempts"));
        let d = next(
            &s,
            small(row, "attempt"),
            class_name(&row["class"]),
            row["retry_after_ms"].as_u64(),
            small(row, "seed"),
        );
        assert_eq!(Some(d.as_str()), row["decision"].as_str(), "{row}");
        assert_eq!(d.delay_ms(), row["delay_ms"].as_u64(), "{row}");
    }
    assert!(
        next_rows
            .iter()
            .any(|r| r["decision"] == "dead_letter" && r["attempt"] == 5),
        "the boundary after the last retry is covered"
    );
    assert!(matches!(
        next(&Schedule::email(), 4, Class::Retry, None, 0),
        Decision::RetryAt { .. }
    ));
}

#[test]
fn vector_file_is_up_to_date() {
    let _guard = FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if update_if_asked() {
        return;
    }
    let path = vector_path();
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == render(),
        "{} is out of date; run UPDATE_VECTORS=1 cargo test -p usher-retry --test vectors",
        path.display()
    );
}
