//! Property tests: round trips, tamper detection and robustness against
//! arbitrary input.

use proptest::prelude::*;
// The same tests run on wasm under `wasm-pack test --node`.
use usher_qr::{
    live_display_key, parse, sign_live, sign_print, verify, EventId, Key, KeyId, KeyRing, Kind,
    Policy, Reason, TicketId, MAX_IAT,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Characters that can appear in a code, plus a few that cannot, so that
/// substitutions hit both the "still well-formed" and the "malformed" paths.
const CHARSET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/= \0é";

#[derive(Debug)]
struct Setup {
    /// The ring's only key, kept in the clear so that a failing case can be
    /// reproduced (the ring's `Debug` hides it on purpose).
    #[allow(dead_code)]
    key: Vec<u8>,
    ring: KeyRing,
    ticket: TicketId,
    event: EventId,
    iat: i64,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        "[A-Za-z0-9_-]{1,16}",
        prop::collection::vec(any::<u8>(), 32..=64),
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        0..=MAX_IAT,
    )
        .prop_map(|(kid, key, ticket, event, iat)| Setup {
            ring: KeyRing::new(KeyId::new(&kid).unwrap(), Key::from_bytes(&key).unwrap()),
            key,
            ticket: TicketId::from_bytes(ticket),
            event: EventId::from_bytes(event),
            iat,
        })
}

/// A valid code of either kind, with the time at which it verifies.
fn code(s: &Setup, live: bool) -> String {
    if live {
        let (kid, display_key) = live_display_key(&s.ring, &s.ticket, &s.event);
        sign_live(&display_key, &kid, &s.ticket, &s.event, s.iat).unwrap()
    } else {
        sign_print(&s.ring, &s.ticket, &s.event, s.iat).unwrap()
    }
}

fn check(s: &Setup, code: &str) -> Result<usher_qr::Verified, Reason> {
    verify(&s.ring, code, &s.event, s.iat, Policy::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn sign_then_verify_round_trips(s in setup(), live in any::<bool>()) {
        let code = code(&s, live);
        prop_assert!(code.len() <= usher_qr::MAX_V1_CODE_LEN);
        let ok = check(&s, &code).unwrap();
        prop_assert_eq!(ok.kind, if live { Kind::Live } else { Kind::Print });
        prop_assert_eq!(ok.kid, *s.ring.active_kid());
        prop_assert_eq!(ok.ticket, s.ticket);
        prop_assert_eq!(ok.iat, s.iat);
        // Every field has one spelling, so re-encoding gives the same text.
        prop_assert_eq!(parse(&code).unwrap().to_string(), code);
    }

    #[test]
    fn any_single_character_substitution_fails(
        s in setup(),
        live in any::<bool>(),
        position in any::<prop::sample::Index>(),
        replacement in prop::sample::select(CHARSET.chars().collect::<Vec<_>>()),
    ) {
        let code = code(&s, live);
        let mut chars: Vec<char> = code.chars().collect();
        let i = position.index(chars.len());
        prop_assume!(chars[i] != replacement);
        chars[i] = replacement;
        let tampered: String = chars.into_iter().collect();
        prop_assert!(check(&s, &tampered).is_err(), "{} verified", tampered);
    }

    #[test]
    fn any_single_character_insertion_or_deletion_fails(
        s in setup(),
        live in any::<bool>(),
        position in any::<prop::sample::Index>(),
        inserted in prop::sample::select(CHARSET.chars().collect::<Vec<_>>()),
        delete in any::<bool>(),
    ) {
        let code = code(&s, live);
        let mut chars: Vec<char> = code.chars().collect();
        if delete {
            chars.remove(position.index(chars.len()));
        } else {
            chars.insert(position.index(chars.len() + 1), inserted);
        }
        let tampered: String = chars.into_iter().collect();
        prop_assert!(check(&s, &tampered).is_err(), "{} verified", tampered);
    }

    #[test]
    fn any_truncation_fails(s in setup(), live in any::<bool>(), cut in any::<prop::sample::Index>()) {
        let code = code(&s, live);
        let truncated = &code[..cut.index(code.len())];
        prop_assert_eq!(check(&s, truncated).unwrap_err(), Reason::Malformed);
    }

    #[test]
    fn codes_do_not_verify_for_other_events(s in setup(), live in any::<bool>(), other in any::<[u8; 16]>()) {
        let other = EventId::from_bytes(other);
        prop_assume!(other != s.event);
        let code = code(&s, live);
        prop_assert_eq!(
            verify(&s.ring, &code, &other, s.iat, Policy::default()).unwrap_err(),
            Reason::InvalidSignature
        );
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>(), now in any::<i64>(), age in any::<i64>(), skew in any::<i64>()) {
        let s = fixed_setup();
        let policy = Policy { live_max_age_secs: age, max_future_skew_secs: skew };
        let _ = parse(&text);
        let _ = verify(&s.ring, &text, &s.event, now, policy);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..160), now in any::<i64>()) {
        let s = fixed_setup();
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
        let _ = verify(&s.ring, &text, &s.event, now, Policy::default());
        let _ = KeyRing::parse(&text);
    }

    #[test]
    fn code_shaped_strings_never_panic_or_verify(
        text in "v1\\.[plP]\\.[A-Za-z0-9_.-]{0,18}\\.[A-Za-z0-9_=-]{0,24}\\.[0-9-]{0,13}\\.[A-Za-z0-9_=-]{0,24}",
        now in any::<i64>(),
    ) {
        let s = fixed_setup();
        // Random MACs match with probability 2^-128, so nothing here verifies.
        prop_assert!(verify(&s.ring, &text, &s.event, now, Policy::default()).is_err());
    }

    #[test]
    fn key_ring_text_never_panics(text in "[a-z0-9:, \\t=_-]{0,120}") {
        let _ = KeyRing::parse(&text);
    }

    #[test]
    fn extreme_times_never_panic(s in setup(), live in any::<bool>(), now in any::<i64>()) {
        let code = code(&s, live);
        let result = verify(&s.ring, &code, &s.event, now, Policy::default());
        // An authentic code only ever fails on freshness.
        prop_assert!(matches!(result, Ok(_) | Err(Reason::Expired) | Err(Reason::NotYetValid)));
    }
}

fn fixed_setup() -> Setup {
    Setup {
        key: vec![7; 32],
        ring: KeyRing::new(
            KeyId::new("k1").unwrap(),
            Key::from_bytes(&[7; 32]).unwrap(),
        ),
        ticket: TicketId::from_bytes([1; 16]),
        event: EventId::from_bytes([2; 16]),
        iat: 1_767_225_600,
    }
}
