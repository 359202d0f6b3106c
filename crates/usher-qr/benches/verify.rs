//! Verification cost of a print code, of a live code, and of a code refused at
//! the key lookup (parsing alone, no HMAC).
//!
//! A plain timing loop rather than criterion, to keep dependencies and build
//! time small: `cargo bench -p usher-qr --bench verify` prints one
//! `name value` line per measurement, in nanoseconds per verify, for the CI
//! log and for comparison with the wasm build (`tests/bench/qr_verify.ts`).
//! `tools/bench.sh` runs it twice: as built, where sha2 uses the CPU's SHA
//! instructions if it has them, and with `--cfg sha2_backend="soft"`, the
//! portable code that is all wasm can have.

use std::hint::black_box;
use std::time::{Duration, Instant};

use usher_qr::{
    live_display_key, live_iat, sign_live, sign_print, verify, EventId, KeyRing, Policy, TicketId,
};

/// Wall-clock budget per measurement.
const TARGET: Duration = Duration::from_millis(1500);

/// Runs `f` in growing batches until the budget is spent and returns the
/// best (lowest) nanoseconds per call over the batches of the final size, so
/// that a noisy neighbour on the shared machine inflates the figure less.
fn ns_per_op(mut f: impl FnMut()) -> f64 {
    // Warm up and find a batch size that takes about 10 ms.
    let mut batch: u64 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        if start.elapsed() >= Duration::from_millis(10) {
            break;
        }
        batch *= 2;
    }
    let deadline = Instant::now() + TARGET;
    let mut best = f64::INFINITY;
    while Instant::now() < deadline {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        let ns = start.elapsed().as_nanos() as f64 / batch as f64;
        best = best.min(ns);
    }
    best
}

fn main() {
    let ring: KeyRing = "k2026:pYDvyjEce6aN6NcyGUSjjvXQPxpBrIv23ThnQqmU894,\
                         k2025:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
        .parse()
        .expect("valid key ring");
    let ticket: TicketId = "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10"
        .parse()
        .expect("uuid");
    let event: EventId = "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98"
        .parse()
        .expect("uuid");
    let now = 1_767_225_600;

    let print = sign_print(&ring, &ticket, &event, now).expect("iat in range");
    let (kid, display_key) = live_display_key(&ring, &ticket, &event);
    let live = sign_live(&display_key, &kid, &ticket, &event, live_iat(now)).expect("iat in range");
    assert!(verify(&ring, &print, &event, now, Policy::default()).is_ok());
    assert!(verify(&ring, &live, &event, now, Policy::default()).is_ok());

    // The same print code under a key id the ring does not hold.
    let unknown_key = print.replacen("k2026", "k2027", 1);
    assert!(verify(&ring, &unknown_key, &event, now, Policy::default()).is_err());

    for (name, code) in [
        ("print", &print),
        ("live", &live),
        ("unknown_key", &unknown_key),
    ] {
        let ns = ns_per_op(|| {
            let result = verify(
                black_box(&ring),
                black_box(code),
                &event,
                black_box(now),
                Policy::DEFAULT,
            );
            black_box(result).ok();
        });
        println!("qr_verify_{name}_rust_ns_per_op {ns:.1}");
    }
}
