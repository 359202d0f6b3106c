//! Property tests: sign → verify round-trips, any change to a header or the
//! body is refused, and arbitrary input never panics.

use proptest::prelude::*;
use usher_webhook::{sign_standard, sign_stripe, verify_standard, verify_stripe, Refusal};
// The same tests run on wasm under `wasm-pack test --node`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Changes one byte of `bytes` at `at` (modulo its length), or appends one to an empty input.
fn flip(bytes: &[u8], at: usize, by: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        out.push(by);
    } else {
        let i = at % out.len();
        out[i] ^= by;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stripe_round_trips_and_refuses_changes(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        t in 0i64..4_000_000_000,
        at in any::<usize>(),
        by in 1u8..=255,
    ) {
        let header = sign_stripe(&body, SECRET, t);
        prop_assert_eq!(verify_stripe(&body, &header, &[SECRET], t, 300), Ok(t));
        prop_assert!(verify_stripe(&flip(&body, at, by), &header, &[SECRET], t, 300).is_err());
        let changed = flip(header.as_bytes(), at, by);
        if let Ok(changed) = std::str::from_utf8(&changed) {
            prop_assert!(verify_stripe(&body, changed, &[SECRET], t, 300).is_err(), "{}", changed);
        }
    }

    #[test]
    fn standard_round_trips_and_refuses_changes(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        id in "[a-zA-Z0-9_]{1,30}",
        t in 0i64..4_000_000_000,
        at in any::<usize>(),
        by in 1u8..=255,
    ) {
        let ts = t.to_string();
        let sig = sign_standard(&id, t, &body, SECRET).unwrap();
        prop_assert_eq!(verify_standard(&id, &ts, &sig, &body, &[SECRET], t, 300), Ok(()));
        prop_assert!(verify_standard(&id, &ts, &sig, &flip(&body, at, by), &[SECRET], t, 300).is_err());
        for (which, value) in [(0, &id), (1, &ts), (2, &sig)] {
            let changed = flip(value.as_bytes(), at, by);
            let Ok(changed) = std::str::from_utf8(&changed) else { continue };
            let r = match which {
                0 => verify_standard(changed, &ts, &sig, &body, &[SECRET], t, 300),
                1 => verify_standard(&id, changed, &sig, &body, &[SECRET], t, 300),
                // A changed byte in a second entry or in the version must still fail.
                _ => verify_standard(&id, &ts, changed, &body, &[SECRET], t, 300),
            };
            prop_assert!(r.is_err(), "{} {}", which, changed);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(
        a in ".{0,120}", b in ".{0,40}", c in ".{0,120}", s in ".{0,50}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        now in any::<i64>(), tol in any::<i64>(), t in any::<i64>(),
    ) {
        let _ = verify_stripe(&body, &a, &[&s], now, tol);
        let _ = verify_stripe(&body, &a, &[SECRET, &s], now, tol);
        let _ = verify_standard(&b, &a, &c, &body, &[&s], now, tol);
        let _ = verify_standard(&b, &t.to_string(), &c, &body, &[SECRET], now, tol);
        let _ = sign_stripe(&body, &s, t);
        let _ = sign_standard(&b, t, &body, &s);
        prop_assert!(Refusal::ALL.iter().all(|r| !r.as_str().is_empty()));
    }
}
