//! Why a code was rejected.

use core::fmt;
use core::str::FromStr;

/// Why [`parse`](crate::parse) or [`verify`](crate::verify) rejected a code.
///
/// Checks run in the order of the variants below, and the first failure is
/// reported. In particular the freshness reasons ([`Reason::Expired`],
/// [`Reason::NotYetValid`]) are only ever reported for authentic codes, so
/// they never tell a forger anything.
///
/// [`Reason::as_str`] gives a stable snake_case name for logs, APIs and the
/// test vectors; these names never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The text is not a well-formed v1 code: too long, wrong number of
    /// fields, unknown version or kind, bad key id, non-canonical base64url,
    /// a badly written `iat`, or a MAC of the wrong length (including empty).
    Malformed,
    /// The key id is not in the key ring. Retired keys are simply absent from
    /// the ring, so a code signed with a retired key also lands here.
    UnknownKey,
    /// The MAC does not match. This covers forged and tampered codes and also
    /// genuine codes for another event, because the event id is bound by the
    /// MAC but not carried in the code.
    InvalidSignature,
    /// An authentic live code that is older than the policy allows.
    Expired,
    /// An authentic code issued further in the future than the tolerated
    /// clock skew.
    NotYetValid,
}

impl Reason {
    /// Every reason, in check order.
    pub const ALL: [Reason; 5] = [
        Reason::Malformed,
        Reason::UnknownKey,
        Reason::InvalidSignature,
        Reason::Expired,
        Reason::NotYetValid,
    ];

    /// The stable snake_case name: `malformed`, `unknown_key`,
    /// `invalid_signature`, `expired` or `not_yet_valid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::UnknownKey => "unknown_key",
            Reason::InvalidSignature => "invalid_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Reason {}

/// Error returned when text is not the name of a [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownReason;

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a reason name")
    }
}

impl std::error::Error for UnknownReason {}

impl FromStr for Reason {
    type Err = UnknownReason;

    /// Parses a name produced by [`Reason::as_str`].
    fn from_str(text: &str) -> Result<Self, UnknownReason> {
        Reason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
            .ok_or(UnknownReason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_are_stable_and_round_trip() {
        let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "malformed",
                "unknown_key",
                "invalid_signature",
                "expired",
                "not_yet_valid"
            ]
        );
        for reason in Reason::ALL {
            assert_eq!(reason.to_string().parse::<Reason>(), Ok(reason));
        }
        assert_eq!("ok".parse::<Reason>(), Err(UnknownReason));
    }
}
