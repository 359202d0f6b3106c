//! Verifying codes at the door.

use crate::format::{parse, Kind};
use crate::ids::{EventId, TicketId};
use crate::key::KeyId;
use crate::mac::{derive_display_key, keyed, CodeFields};
use crate::reason::Reason;
use crate::ring::KeyRing;
use crate::{LIVE_MAX_AGE_SECS, MAX_FUTURE_SKEW_SECS};

/// Freshness limits applied by [`verify`].
///
/// With `age = now - iat`, a live code is fresh when
/// `-max_future_skew_secs <= age <= live_max_age_secs`: both limits are
/// inclusive. A print code only has the lower limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Oldest accepted live code, in seconds before `now`. Default
    /// [`LIVE_MAX_AGE_SECS`] (300).
    pub live_max_age_secs: i64,
    /// How far in the future any code's `iat` may be, in seconds, to absorb
    /// clock skew between the phone or issuer and the scanner. Default
    /// [`MAX_FUTURE_SKEW_SECS`] (60).
    pub max_future_skew_secs: i64,
}

impl Policy {
    /// The default policy: live codes live 300 s, 60 s of skew is tolerated.
    pub const DEFAULT: Policy = Policy {
        live_max_age_secs: LIVE_MAX_AGE_SECS,
        max_future_skew_secs: MAX_FUTURE_SKEW_SECS,
    };
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What an accepted code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Print or live.
    pub kind: Kind,
    /// The master key that vouched for the code.
    pub kid: KeyId,
    /// The ticket to admit.
    pub ticket: TicketId,
    /// Issued-at, unix seconds.
    pub iat: i64,
}

/// Verifies a code scanned for `event` at time `now` (unix seconds).
///
/// Checks run in this order and the first failure is returned:
///
/// 1. structure ([`Reason::Malformed`]),
/// 2. key lookup ([`Reason::UnknownKey`]),
/// 3. MAC, compared in constant time ([`Reason::InvalidSignature`]),
/// 4. freshness ([`Reason::Expired`], [`Reason::NotYetValid`]).
///
/// Because freshness comes last, a forger learns nothing from timing reasons.
/// A genuine code for another event fails step 3, since the event id is
/// bound by the MAC but not carried in the code; telling "wrong event" from
/// "forged" needs the ticket's event from the database.
///
/// This function never panics, whatever `code`, `now` and `policy` are.
pub fn verify(
    ring: &KeyRing,
    code: &str,
    event: &EventId,
    now: i64,
    policy: Policy,
) -> Result<Verified, Reason> {
    let parsed = parse(code)?;
    let master = ring.get(&parsed.kid).ok_or(Reason::UnknownKey)?;
    let fields = CodeFields {
        kind: parsed.kind,
        kid: &parsed.kid,
        ticket: &parsed.ticket,
        event,
        // `parse` only yields iat in 0..=MAX_IAT, so this is the same value.
        iat: parsed.iat.unsigned_abs(),
    };
    let authentic = match parsed.kind {
        Kind::Print => fields.mac_matches(master.hmac(), &parsed.mac),
        Kind::Live => {
            let display_key = derive_display_key(master.hmac(), &parsed.ticket, event);
            fields.mac_matches(&keyed(&*display_key), &parsed.mac)
        }
    };
    if !authentic {
        return Err(Reason::InvalidSignature);
    }
    check_freshness(parsed.kind, parsed.iat, now, policy)?;
    Ok(Verified {
        kind: parsed.kind,
        kid: parsed.kid,
        ticket: parsed.ticket,
        iat: parsed.iat,
    })
}

/// Applies the freshness limits. Saturating arithmetic keeps extreme `now`
/// and policy values from overflowing; they then simply accept or reject.
fn check_freshness(kind: Kind, iat: i64, now: i64, policy: Policy) -> Result<(), Reason> {
    if iat > now.saturating_add(policy.max_future_skew_secs) {
        return Err(Reason::NotYetValid);
    }
    if kind == Kind::Live && iat < now.saturating_sub(policy.live_max_age_secs) {
        return Err(Reason::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn freshness_limits_are_inclusive() {
        let p = Policy::DEFAULT;
        let iat = 1_000_000;
        // Live: oldest accepted is now = iat + 300, newest is now = iat - 60.
        assert_eq!(check_freshness(Kind::Live, iat, iat + 300, p), Ok(()));
        assert_eq!(
            check_freshness(Kind::Live, iat, iat + 301, p),
            Err(Reason::Expired)
        );
        assert_eq!(check_freshness(Kind::Live, iat, iat - 60, p), Ok(()));
        assert_eq!(
            check_freshness(Kind::Live, iat, iat - 61, p),
            Err(Reason::NotYetValid)
        );
        // Print: no expiry, same clock-skew limit.
        assert_eq!(check_freshness(Kind::Print, iat, i64::MAX, p), Ok(()));
        assert_eq!(check_freshness(Kind::Print, iat, iat - 60, p), Ok(()));
        assert_eq!(
            check_freshness(Kind::Print, iat, iat - 61, p),
            Err(Reason::NotYetValid)
        );
    }

    #[test]
    fn extreme_inputs_do_not_overflow() {
        let extremes = Policy {
            live_max_age_secs: i64::MAX,
            max_future_skew_secs: i64::MIN,
        };
        for now in [i64::MIN, -1, 0, i64::MAX] {
            for policy in [Policy::DEFAULT, extremes] {
                for kind in [Kind::Print, Kind::Live] {
                    let _ = check_freshness(kind, crate::MAX_IAT, now, policy);
                }
            }
        }
    }
}
