//! Stripe's `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…][,v0=…]`.

use crate::encoding::{hex_decode, hex_encode};
use crate::mac::{hmac_sha256, tag_matches, TAG_LEN};
use crate::{check_time, parse_timestamp, Refusal};

/// The tag Stripe computes: HMAC-SHA256 of `{t}.{payload}`, keyed with the
/// secret's bytes as they are (`whsec_` included).
fn stripe_tag(payload: &[u8], secret: &str, timestamp: &str) -> [u8; TAG_LEN] {
    hmac_sha256(secret.as_bytes(), &[timestamp.as_bytes(), b".", payload])
}

/// Checks that `secret` is a usable Stripe signing secret, the rule every
/// verification applies to each configured secret: it is not empty (it is used
/// as it is, never decoded). A caller that holds its secrets for a long time
/// checks them once, when it is configured, to name the broken one at once.
pub fn check_stripe_secret(secret: &str) -> Result<(), Refusal> {
    if secret.is_empty() {
        Err(Refusal::BadSecret)
    } else {
        Ok(())
    }
}

/// Verifies a Stripe webhook and returns its signed timestamp.
///
/// `payload` is the raw request body, byte for byte; `header` is the value of
/// `Stripe-Signature`; `secrets` are the endpoint's signing secrets (several
/// during a rotation); `now_unix` is the current Unix time in seconds and
/// `tolerance_s` the allowed distance of the timestamp from it, either side
/// (usually [`crate::DEFAULT_TOLERANCE_S`]). See the crate documentation for
/// the rules and the order of the checks.
pub fn verify_stripe(
    payload: &[u8],
    header: &str,
    secrets: &[&str],
    now_unix: i64,
    tolerance_s: i64,
) -> Result<i64, Refusal> {
    if secrets.is_empty() {
        return Err(Refusal::BadSecret);
    }
    for secret in secrets {
        check_stripe_secret(secret)?;
    }
    let mut timestamp_text: Option<&str> = None;
    let mut candidates: Vec<Option<[u8; TAG_LEN]>> = Vec::new();
    for pair in header.split(',') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp_text.is_some() => return Err(Refusal::MalformedHeader),
            "t" => timestamp_text = Some(value),
            // A `v1` that is not 64 hex digits is kept as a candidate that can
            // never match, so that it reads as a mismatch, not as no signature.
            "v1" => candidates.push(hex_decode::<TAG_LEN>(value)),
            _ => {}
        }
    }
    let timestamp_text = timestamp_text.ok_or(Refusal::MissingTimestamp)?;
    let timestamp = parse_timestamp(timestamp_text)?;
    if candidates.is_empty() {
        return Err(Refusal::NoSignature);
    }
    let matched = secrets.iter().any(|secret| {
        let expected = stripe_tag(payload, secret, timestamp_text);
        candidates
            .iter()
            .flatten()
            .any(|candidate| tag_matches(&expected, candidate))
    });
    if !matched {
        return Err(Refusal::Mismatch);
    }
    check_time(timestamp, now_unix, tolerance_s)?;
    Ok(timestamp)
}

/// Signs `payload` as Stripe does at time `t` and returns the
/// `Stripe-Signature` value, `t=<t>,v1=<hex>`: for tests and the fake Stripe.
pub fn sign_stripe(payload: &[u8], secret: &str, t: i64) -> String {
    let timestamp = t.to_string();
    let tag = stripe_tag(payload, secret, &timestamp);
    format!("t={timestamp},v1={}", hex_encode(&tag))
}
