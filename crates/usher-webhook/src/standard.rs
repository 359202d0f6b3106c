//! Standard Webhooks (Svix, and so Resend): `webhook-id`, `webhook-timestamp`
//! and `webhook-signature: v1,<base64> [v1,<base64> …]`.

use crate::encoding::{base64_decode, base64_decode_padded, base64_encode};
use crate::mac::{hmac_sha256, tag_matches, TAG_LEN};
use crate::{check_time, parse_timestamp, Refusal};

/// The prefix of a Standard Webhooks secret; the rest is the base64 key.
const SECRET_PREFIX: &str = "whsec_";

/// Checks that `secret` is a usable Standard Webhooks secret, the rule every
/// verification applies to each configured secret: an optional `whsec_` prefix,
/// then a non-empty base64 key. A caller that holds its secrets for a long time
/// checks them once, when it is configured, to name the broken one at once.
pub fn check_standard_secret(secret: &str) -> Result<(), Refusal> {
    secret_key(secret).map(|_| ())
}

/// Decodes a secret into its key: the optional `whsec_` prefix is dropped and
/// the rest base64-decoded; an empty or undecodable key is a [`Refusal::BadSecret`].
fn secret_key(secret: &str) -> Result<Vec<u8>, Refusal> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    match base64_decode(encoded) {
        Some(key) if !key.is_empty() => Ok(key),
        _ => Err(Refusal::BadSecret),
    }
}

fn standard_tag(key: &[u8], id: &str, timestamp: &str, payload: &[u8]) -> [u8; TAG_LEN] {
    hmac_sha256(
        key,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", payload],
    )
}

/// Verifies a Standard Webhooks request.
///
/// `id`, `timestamp` and `signature_header` are the values of `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` (or their `svix-` twins);
/// `payload` is the raw body; `secrets` are `whsec_<base64>` secrets (several
/// during a rotation); `now_unix` is the current Unix time in seconds and
/// `tolerance_s` the allowed distance either side (usually
/// [`crate::DEFAULT_TOLERANCE_S`]). See the crate documentation for the rules.
pub fn verify_standard(
    id: &str,
    timestamp: &str,
    signature_header: &str,
    payload: &[u8],
    secrets: &[&str],
    now_unix: i64,
    tolerance_s: i64,
) -> Result<(), Refusal> {
    if secrets.is_empty() {
        return Err(Refusal::BadSecret);
    }
    let keys = secrets
        .iter()
        .map(|secret| secret_key(secret))
        .collect::<Result<Vec<_>, _>>()?;
    if id.is_empty() {
        return Err(Refusal::MalformedHeader);
    }
    let signed_at = parse_timestamp(timestamp)?;
    // An entry that is not valid padded base64 is kept as a candidate that
    // never matches; the empty `v1,` decodes to zero bytes and fails the length check.
    let candidates: Vec<Option<Vec<u8>>> = signature_header
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .map(|(_, signature)| base64_decode_padded(signature))
        .collect();
    if candidates.is_empty() {
        return Err(Refusal::NoSignature);
    }
    let matched = keys.iter().any(|key| {
        let expected = standard_tag(key, id, timestamp, payload);
        candidates
            .iter()
            .flatten()
            .any(|candidate| tag_matches(&expected, candidate))
    });
    if !matched {
        return Err(Refusal::Mismatch);
    }
    check_time(signed_at, now_unix, tolerance_s)
}

/// Signs a Standard Webhooks request and returns the `webhook-signature`
/// value, `v1,<base64>`: for tests and fakes. The timestamp is a number, and
/// the caller writes the `webhook-timestamp` header as `timestamp.to_string()`.
pub fn sign_standard(
    id: &str,
    timestamp: i64,
    payload: &[u8],
    secret: &str,
) -> Result<String, Refusal> {
    let key = secret_key(secret)?;
    let tag = standard_tag(&key, id, &timestamp.to_string(), payload);
    Ok(format!("v1,{}", base64_encode(&tag)))
}
