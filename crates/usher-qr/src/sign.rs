//! Issuing print codes, display keys and live codes.

use core::fmt;

use crate::format::{iat_in_range, Kind, ParsedCode};
use crate::ids::{EventId, TicketId};
use crate::key::{DisplayKey, KeyId};
use crate::mac::{derive_display_key, keyed, CodeFields, HmacSha256};
use crate::ring::KeyRing;
use crate::{LIVE_STEP_SECS, MAX_IAT};

/// Error returned when a code cannot be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// `iat` is negative or larger than [`MAX_IAT`], so the code text could
    /// not carry it.
    IatOutOfRange,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::IatOutOfRange => write!(f, "iat must be in 0..={MAX_IAT}"),
        }
    }
}

impl std::error::Error for SignError {}

fn sign(
    key: &HmacSha256,
    kind: Kind,
    kid: &KeyId,
    ticket: &TicketId,
    event: &EventId,
    iat: i64,
) -> Result<String, SignError> {
    if !iat_in_range(iat) {
        return Err(SignError::IatOutOfRange);
    }
    let fields = CodeFields {
        kind,
        kid,
        ticket,
        event,
        iat: iat.unsigned_abs(),
    };
    let code = ParsedCode {
        kind,
        kid: *kid,
        ticket: *ticket,
        iat,
        mac: fields.mac(key),
    };
    Ok(code.to_string())
}

/// Signs a print code with the ring's active key.
///
/// `iat` is the issue time in unix seconds, `0..=MAX_IAT`. Print codes do not
/// expire, but a verifier rejects one whose `iat` is further in the future
/// than its clock-skew allowance.
pub fn sign_print(
    ring: &KeyRing,
    ticket: &TicketId,
    event: &EventId,
    iat: i64,
) -> Result<String, SignError> {
    let (kid, key) = ring.active();
    sign(key.hmac(), Kind::Print, kid, ticket, event, iat)
}

/// Derives the display key of one ticket from the ring's active key, and
/// returns it with the key id that live codes signed with it must carry.
///
/// The server hands both to the ticket holder's phone over an authenticated
/// channel; the phone then signs live codes offline with [`sign_live`].
pub fn live_display_key(ring: &KeyRing, ticket: &TicketId, event: &EventId) -> (KeyId, DisplayKey) {
    let (kid, key) = ring.active();
    let bytes = derive_display_key(key.hmac(), ticket, event);
    (*kid, DisplayKey::from_zeroizing(bytes))
}

/// Signs a live code with a display key.
///
/// `kid` must be the key id returned with the display key, and `ticket` and
/// `event` the ones it was derived for; otherwise the code will not verify.
/// Pass `iat = live_iat(now)` so that the code changes every
/// [`LIVE_STEP_SECS`] seconds.
pub fn sign_live(
    display_key: &DisplayKey,
    kid: &KeyId,
    ticket: &TicketId,
    event: &EventId,
    iat: i64,
) -> Result<String, SignError> {
    sign(
        &keyed(display_key.expose()),
        Kind::Live,
        kid,
        ticket,
        event,
        iat,
    )
}

/// The `iat` of the live code to show at `now`: `now` rounded down to a
/// multiple of [`LIVE_STEP_SECS`].
///
/// Rounding makes the code change once per step rather than every second,
/// which keeps the QR image stable long enough to scan. For `now` before the
/// epoch the result is negative and [`sign_live`] rejects it.
pub fn live_iat(now: i64) -> i64 {
    now.saturating_sub(now.rem_euclid(LIVE_STEP_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn live_iat_rounds_down_to_the_step() {
        assert_eq!(live_iat(0), 0);
        assert_eq!(live_iat(29), 0);
        assert_eq!(live_iat(30), 30);
        assert_eq!(live_iat(1_767_225_659), 1_767_225_630);
        assert_eq!(live_iat(-1), -30);
        assert_eq!(live_iat(i64::MIN), i64::MIN);
        assert_eq!(live_iat(i64::MAX) % LIVE_STEP_SECS, 0);
    }

    #[test]
    fn iat_range_is_enforced() {
        let ring: KeyRing = crate::generate_key_material(&KeyId::new("k").unwrap(), [1; 32])
            .parse()
            .unwrap();
        let ticket = TicketId::from_bytes([1; 16]);
        let event = EventId::from_bytes([2; 16]);
        assert!(sign_print(&ring, &ticket, &event, 0).is_ok());
        assert!(sign_print(&ring, &ticket, &event, MAX_IAT).is_ok());
        for iat in [-1, MAX_IAT + 1, i64::MIN, i64::MAX] {
            assert_eq!(
                sign_print(&ring, &ticket, &event, iat),
                Err(SignError::IatOutOfRange)
            );
        }
        let (kid, display) = live_display_key(&ring, &ticket, &event);
        assert_eq!(
            sign_live(&display, &kid, &ticket, &event, -30),
            Err(SignError::IatOutOfRange)
        );
    }
}
