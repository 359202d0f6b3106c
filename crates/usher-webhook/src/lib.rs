//! Webhook signatures for Usher: Stripe's `Stripe-Signature` and Standard
//! Webhooks (the scheme Svix signs Resend's webhooks with), verified and signed.
//!
//! The crate is pure. It reads no clock (the current Unix time is an argument),
//! draws no randomness and knows nothing of HTTP or JavaScript: the edge function
//! reads the headers and the raw body, and the wasm facade passes them here.
//! Every function returns instead of panicking, whatever bytes it is given,
//! because its input is whatever anyone on the internet chooses to send.
//!
//! # Stripe
//!
//! [`verify_stripe`] reads the `Stripe-Signature` header as comma-separated
//! `key=value` pairs. It needs exactly one `t=` (a second one is refused as a
//! malformed header, because two timestamps leave it ambiguous which one was
//! signed) and at least one `v1=`. Other schemes such as `v0=` and pairs it does
//! not understand are ignored, as Stripe's libraries ignore them, so that a new
//! scheme Stripe adds later does not break verification. The signature is the
//! lower-case hex (the one spelling, so no changed header verifies) of the HMAC-SHA256 of `{t}.{payload}` keyed with the whole `whsec_…` string as its
//! bytes, prefix included, exactly as Stripe signs; the secret is not decoded.
//!
//! Timestamps are refused when they are more than the tolerance in the past
//! *and* when they are more than the tolerance in the future. Stripe's official
//! library accepts any future timestamp, but a signed request dated ahead of time
//! could be replayed until that date arrives, and Stripe signs every delivery at
//! the moment it sends it, so a genuine webhook is never far in the future: only
//! clock skew puts it there, and the 300 s tolerance ([`DEFAULT_TOLERANCE_S`])
//! already covers skew. Standard Webhooks has the same symmetric window, so both
//! schemes behave alike here.
//!
//! # Standard Webhooks
//!
//! [`verify_standard`] takes the values of the `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` headers (Svix sends the same values under `svix-id`,
//! `svix-timestamp` and `svix-signature`; choosing the header names is the
//! caller's job). The secret is `whsec_<base64>`: unlike Stripe's, the part after
//! the prefix is base64-decoded and the decoded bytes are the key. A secret
//! without the prefix is accepted too, as the official libraries accept it. The
//! signed content is `{id}.{timestamp}.{payload}` and the signature header holds
//! space-separated `version,base64` entries, of which only `v1` counts. A
//! signature must be padded base64, as it is sent: without its padding it would
//! be a second spelling of the same tag, which the official libraries refuse.
//!
//! # Comparisons
//!
//! Each candidate signature is decoded first (hex for Stripe, base64 for Standard
//! Webhooks) and must be exactly 32 bytes, the length of an HMAC-SHA256 tag;
//! only then is it compared with the expected tag, in constant time. A candidate
//! of any other length, the empty one included, can never match. This is what
//! makes an empty `v1,` fail here: a public library once compared a signature
//! only as long as the one it was given, and an empty one matched everything.
//!
//! # Order of the checks and rotation
//!
//! The header is parsed first, then the signature is checked, then the timestamp.
//! Checking the signature before the timestamp costs one HMAC on a stale request,
//! but it means [`Refusal::TimestampTooOld`] and [`Refusal::TimestampInFuture`]
//! are only ever reported for requests that were genuinely signed with one of our
//! secrets (a replay or a skewed clock), while a forgery always reads
//! [`Refusal::Mismatch`], whatever time it claims. Several secrets may be passed
//! at once during a rotation; a signature made with any of them is accepted. Every
//! secret must be valid: one that is empty (or, for Standard Webhooks, not base64)
//! makes every verification fail with [`Refusal::BadSecret`], because a broken
//! configuration should be noticed at once rather than half-work. An empty list
//! of secrets is refused the same way. [`check_stripe_secret`] and
//! [`check_standard_secret`] apply the same rule to one secret, for a caller
//! that checks its configuration once when it starts.
//!
//! # Example
//!
//! ```
//! use usher_webhook::{sign_stripe, verify_stripe, Refusal, DEFAULT_TOLERANCE_S};
//!
//! let secret = "whsec_test";
//! let body = br#"{"id":"evt_1"}"#;
//! let header = sign_stripe(body, secret, 1_800_000_000);
//! let now = 1_800_000_100;
//! assert_eq!(verify_stripe(body, &header, &[secret], now, DEFAULT_TOLERANCE_S), Ok(1_800_000_000));
//! assert_eq!(
//!     verify_stripe(b"{}", &header, &[secret], now, DEFAULT_TOLERANCE_S),
//!     Err(Refusal::Mismatch)
//! );
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encoding;
mod mac;
mod standard;
mod stripe;

pub use standard::{check_standard_secret, sign_standard, verify_standard};
pub use stripe::{check_stripe_secret, sign_stripe, verify_stripe};

/// The tolerance both providers document: five minutes either side of `now`.
pub const DEFAULT_TOLERANCE_S: i64 = 300;

/// Why a webhook was refused. Every refusal is a 400 for the sender; the reason
/// code ([`Refusal::as_str`]) goes into the body and the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// There is no timestamp: no `t=` in a Stripe header, or an empty
    /// `webhook-timestamp`.
    MissingTimestamp,
    /// The timestamp is not a decimal number of seconds that fits an `i64`.
    BadTimestamp,
    /// The header cannot be read: two `t=` in a Stripe header, or an empty
    /// `webhook-id`.
    MalformedHeader,
    /// The header holds no signature of a scheme we verify (`v1`).
    NoSignature,
    /// Genuinely signed, but more than the tolerance in the past (a replay).
    TimestampTooOld,
    /// Genuinely signed, but more than the tolerance in the future.
    TimestampInFuture,
    /// A configured secret is empty or not decodable, or none is configured.
    BadSecret,
    /// No signature matches any of the secrets.
    Mismatch,
}

impl Refusal {
    /// The snake_case reason code for the 400 body and the log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::MissingTimestamp => "missing_timestamp",
            Refusal::BadTimestamp => "bad_timestamp",
            Refusal::MalformedHeader => "malformed_header",
            Refusal::NoSignature => "no_signature",
            Refusal::TimestampTooOld => "timestamp_too_old",
            Refusal::TimestampInFuture => "timestamp_in_future",
            Refusal::BadSecret => "bad_secret",
            Refusal::Mismatch => "mismatch",
        }
    }

    /// Every refusal, for tests and for tables that list the codes.
    pub const ALL: [Refusal; 8] = [
        Refusal::MissingTimestamp,
        Refusal::BadTimestamp,
        Refusal::MalformedHeader,
        Refusal::NoSignature,
        Refusal::TimestampTooOld,
        Refusal::TimestampInFuture,
        Refusal::BadSecret,
        Refusal::Mismatch,
    ];
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Refusal {}

/// Parses a timestamp: ASCII digits only (no sign, no spaces), fitting an `i64`.
/// Stricter than `parseInt`, so `"12abc"` is not read as 12.
fn parse_timestamp(text: &str) -> Result<i64, Refusal> {
    if text.is_empty() {
        return Err(Refusal::MissingTimestamp);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::BadTimestamp);
    }
    text.parse::<i64>().map_err(|_| Refusal::BadTimestamp)
}

/// Checks `timestamp` against `now_unix` with `tolerance_s` either side, both
/// edges included. A negative tolerance counts as zero. The arithmetic is done
/// in `i128`, so no input overflows.
fn check_time(timestamp: i64, now_unix: i64, tolerance_s: i64) -> Result<(), Refusal> {
    let tolerance = i128::from(tolerance_s.max(0));
    let age = i128::from(now_unix) - i128::from(timestamp);
    if age > tolerance {
        Err(Refusal::TimestampTooOld)
    } else if -age > tolerance {
        Err(Refusal::TimestampInFuture)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn reason_codes_are_distinct_snake_case() {
        let codes: Vec<&str> = Refusal::ALL.iter().map(|r| r.as_str()).collect();
        for (i, code) in codes.iter().enumerate() {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(!codes[..i].contains(code));
        }
        assert_eq!(Refusal::Mismatch.to_string(), "mismatch");
    }

    #[test]
    fn timestamps_are_digits_only() {
        assert_eq!(parse_timestamp("1614265330"), Ok(1_614_265_330));
        assert_eq!(parse_timestamp(""), Err(Refusal::MissingTimestamp));
        for bad in [
            "-1",
            "+1",
            " 1",
            "1 ",
            "12abc",
            "1.5",
            "99999999999999999999",
        ] {
            assert_eq!(parse_timestamp(bad), Err(Refusal::BadTimestamp), "{bad}");
        }
    }

    #[test]
    fn time_window_includes_both_edges() {
        assert_eq!(check_time(1000, 1300, 300), Ok(()));
        assert_eq!(check_time(1000, 1301, 300), Err(Refusal::TimestampTooOld));
        assert_eq!(check_time(1300, 1000, 300), Ok(()));
        assert_eq!(check_time(1301, 1000, 300), Err(Refusal::TimestampInFuture));
        assert_eq!(check_time(5, 5, -10), Ok(()));
        assert_eq!(check_time(6, 5, -10), Err(Refusal::TimestampInFuture));
        assert_eq!(
            check_time(i64::MIN, i64::MAX, i64::MAX),
            Err(Refusal::TimestampTooOld)
        );
        assert_eq!(
            check_time(i64::MAX, i64::MIN, i64::MAX),
            Err(Refusal::TimestampInFuture)
        );
    }
}
