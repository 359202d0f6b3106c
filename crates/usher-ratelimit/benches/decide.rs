//! Measures the cost of one `decide` call without a benchmarking framework,
//! so that the build stays small on the project's 2-core machines.
//!
//! Run with `cargo bench -p usher-ratelimit --bench decide`; it prints one
//! line, `gcra_decide_rust_ns_per_op <float>`, for scripts to pick up.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Instant;

use usher_ratelimit::{decide, Quota};

const WARMUP: u64 = 1_000_000;
const DECISIONS: u64 = 10_000_000;

/// Runs `n` decisions on one key whose clock advances a little slower than
/// the quota allows, so that admissions and denials are both exercised.
/// Returns the number admitted so that the work cannot be optimised away.
fn run(quota: &Quota, n: u64) -> u64 {
    let mut state = None;
    let mut now: i64 = 1_800_000_000_000_000;
    let mut admitted = 0u64;
    for _ in 0..n {
        // 700 us per call against a 1000 us emission interval: roughly 70 %
        // of calls are admitted once the burst is used up.
        now += 700;
        let decision = decide(
            black_box(quota),
            black_box(state),
            black_box(now),
            black_box(1),
        );
        if let Some(new_state) = decision.new_state() {
            state = Some(new_state);
            admitted += 1;
        }
        black_box(&decision);
    }
    admitted
}

fn main() {
    let quota = Quota::per_second(NonZeroU32::new(1_000).expect("non-zero"))
        .and_then(|q| q.with_burst(NonZeroU32::new(50).expect("non-zero")))
        .expect("valid quota");

    black_box(run(&quota, WARMUP));

    let start = Instant::now();
    let admitted = run(&quota, DECISIONS);
    let elapsed = start.elapsed();
    black_box(admitted);

    let ns_per_op = elapsed.as_nanos() as f64 / DECISIONS as f64;
    println!("gcra_decide_rust_ns_per_op {ns_per_op:.3}");
}
