//! Webhook signatures for JavaScript: `usher_webhook` behind two verifiers that
//! hold their secrets, so that no secret crosses the boundary per webhook.
//!
//! Verification is on the path of every webhook, so a call passes the payload
//! as bytes and answers a number: a refusal is `-1 - i`, where `i` is its index
//! in `webhookRefusals()`, which `wasm.ts` turns into the reason's string once.
//! Returning the string itself would cost an allocation and a UTF-8 decode on
//! every refusal: a call answering a string took 0.13 µs more than one answering
//! a number in tests/bench/webhook_verify.ts, against 6.5 µs for a whole 2.6 KB
//! Stripe verification, which SHA-256 dominates.

use usher_webhook::{Refusal, DEFAULT_TOLERANCE_S};
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, type_error};

/// The answer for a refusal: `-1 - ` its index in [`Refusal::ALL`].
fn refused(reason: Refusal) -> i32 {
    -1 - Refusal::ALL.iter().position(|r| *r == reason).unwrap_or(0) as i32
}

/// The tolerance either side of now, in seconds: 300 unless given, never negative.
fn tolerance(tolerance_s: Option<f64>) -> Result<i64, JsValue> {
    match tolerance_s {
        None => Ok(DEFAULT_TOLERANCE_S),
        Some(t) => match to_i64("toleranceS", t)? {
            t if t < 0 => Err(type_error("toleranceS must not be negative")),
            t => Ok(t),
        },
    }
}

/// Why a list of secrets cannot configure a verifier. It names a secret's
/// position and never the secret, and stays a Rust value until the
/// constructor throws it, so the native tests can check it too.
#[derive(Debug, PartialEq)]
enum SecretsError {
    Empty,
    Unusable(usize),
}

impl core::fmt::Display for SecretsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SecretsError::Empty => f.write_str("secrets must hold at least one signing secret"),
            SecretsError::Unusable(i) => write!(f, "secrets[{i}] is not a usable signing secret"),
        }
    }
}

/// Checks every secret with the crate's own rule, once, so a broken
/// configuration fails when the function starts rather than on each webhook.
fn checked(
    secrets: Vec<String>,
    check: fn(&str) -> Result<(), Refusal>,
) -> Result<Vec<String>, SecretsError> {
    if secrets.is_empty() {
        return Err(SecretsError::Empty);
    }
    match secrets.iter().position(|s| check(s).is_err()) {
        Some(i) => Err(SecretsError::Unusable(i)),
        None => Ok(secrets),
    }
}

/// A verifier's configuration: its checked secrets and tolerance, the same for
/// both schemes. Its `Debug` shows how many secrets it holds, never one of them.
struct Config {
    secrets: Vec<String>,
    tolerance_s: i64,
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("secrets", &self.secrets.len())
            .field("tolerance_s", &self.tolerance_s)
            .finish()
    }
}

impl Config {
    fn new(
        secrets: Vec<String>,
        tolerance_s: Option<f64>,
        check: fn(&str) -> Result<(), Refusal>,
    ) -> Result<Config, JsValue> {
        Ok(Config {
            secrets: checked(secrets, check).map_err(type_error)?,
            tolerance_s: tolerance(tolerance_s)?,
        })
    }

    /// The secrets as the crate takes them: one small allocation per call,
    /// nothing beside the HMACs.
    fn secrets(&self) -> Vec<&str> {
        self.secrets.iter().map(String::as_str).collect()
    }
}

/// The endpoint's Stripe signing secrets (several during a rotation), checked once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct StripeWebhookVerifier(Config);

#[wasm_bindgen]
impl StripeWebhookVerifier {
    /// Takes the `whsec_…` secrets and the tolerance in seconds (300 if
    /// `undefined`); throws a `TypeError` for an empty list, an empty secret or
    /// a tolerance that is not a non-negative safe integer.
    #[wasm_bindgen(constructor)]
    pub fn new(
        secrets: Vec<String>,
        tolerance_s: Option<f64>,
    ) -> Result<StripeWebhookVerifier, JsValue> {
        Config::new(secrets, tolerance_s, usher_webhook::check_stripe_secret)
            .map(StripeWebhookVerifier)
    }

    /// Verifies the raw body against the `Stripe-Signature` value at `now`
    /// (Unix seconds). Answers the signed timestamp, or `-1 - i` for the `i`th
    /// refusal of `webhookRefusals()`. Throws only for a bad `now`.
    pub fn verify(&self, payload: &[u8], header: &str, now: f64) -> Result<f64, JsValue> {
        let now = to_i64("now", now)?;
        let c = &self.0;
        Ok(
            match usher_webhook::verify_stripe(payload, header, &c.secrets(), now, c.tolerance_s) {
                // Within the tolerance of a safe `now`, so a number holds it.
                Ok(t) => t as f64,
                Err(reason) => f64::from(refused(reason)),
            },
        )
    }
}

/// The Standard Webhooks (Svix, Resend) secrets, `whsec_<base64>`, checked once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct StandardWebhookVerifier(Config);

#[wasm_bindgen]
impl StandardWebhookVerifier {
    /// Takes the secrets and the tolerance in seconds (300 if `undefined`);
    /// throws a `TypeError` for an empty list, a secret whose key is not
    /// base64, or a tolerance that is not a non-negative safe integer.
    #[wasm_bindgen(constructor)]
    pub fn new(
        secrets: Vec<String>,
        tolerance_s: Option<f64>,
    ) -> Result<StandardWebhookVerifier, JsValue> {
        Config::new(secrets, tolerance_s, usher_webhook::check_standard_secret)
            .map(StandardWebhookVerifier)
    }

    /// Verifies the `webhook-id`, `webhook-timestamp` and `webhook-signature`
    /// values and the raw body at `now` (Unix seconds). Answers 0, or `-1 - i`
    /// for the `i`th refusal of `webhookRefusals()`. Throws only for a bad `now`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signature_header: &str,
        payload: &[u8],
        now: f64,
    ) -> Result<i32, JsValue> {
        let now = to_i64("now", now)?;
        let c = &self.0;
        Ok(
            match usher_webhook::verify_standard(
                id,
                timestamp,
                signature_header,
                payload,
                &c.secrets(),
                now,
                c.tolerance_s,
            ) {
                Ok(()) => 0,
                Err(reason) => refused(reason),
            },
        )
    }
}

/// The reasons a webhook is refused, in the order the verifiers number them.
#[wasm_bindgen(js_name = webhookRefusals)]
pub fn webhook_refusals() -> Vec<String> {
    Refusal::ALL.iter().map(|r| r.as_str().to_owned()).collect()
}

/// The whole `Stripe-Signature` value for `payload` signed at `t`: for tests
/// and the fake Stripe. Throws a `TypeError` for an empty secret or a bad `t`.
#[wasm_bindgen(js_name = webhookSignStripe)]
pub fn webhook_sign_stripe(payload: &[u8], secret: &str, t: f64) -> Result<String, JsValue> {
    usher_webhook::check_stripe_secret(secret)
        .map_err(|_| type_error("secret is not a usable signing secret"))?;
    Ok(usher_webhook::sign_stripe(
        payload,
        secret,
        to_i64("timestamp", t)?,
    ))
}

/// The `webhook-signature` value, `v1,<base64>`, for a Standard Webhooks
/// request: for tests and fakes. Throws a `TypeError` for an unusable secret.
#[wasm_bindgen(js_name = webhookSignStandard)]
pub fn webhook_sign_standard(
    id: &str,
    timestamp: f64,
    payload: &[u8],
    secret: &str,
) -> Result<String, JsValue> {
    usher_webhook::sign_standard(id, to_i64("timestamp", timestamp)?, payload, secret)
        .map_err(|_| type_error("secret is not a usable signing secret"))
}

#[cfg(test)]
mod tests {
    use super::*;
    // These run on wasm under `wasm-pack test --node`, and natively where no
    // JavaScript value is built.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use serde_json::Value;

    /// The shared vector file, compiled in: wasm32-unknown-unknown cannot
    /// read files, and this is the file every implementation replays.
    const VECTORS: &str = include_str!("../../../tests/vectors/webhook.json");

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|s| s.as_str().expect("a string").to_owned())
            .collect()
    }

    fn text<'a>(row: &'a Value, key: &str) -> &'a str {
        row[key].as_str().expect("a string")
    }

    /// The answer a verifier must give for a row: `ok` for an accepted one,
    /// otherwise the refusal's number; `None` for a configuration the
    /// constructor refuses.
    fn expected(row: &Value, ok: f64) -> Option<f64> {
        let names = webhook_refusals();
        match row["reason"].as_str() {
            None => Some(ok),
            Some("bad_secret") => None,
            Some(reason) => {
                let i = names
                    .iter()
                    .position(|n| n == reason)
                    .expect("a known reason");
                Some(-1.0 - i as f64)
            }
        }
    }

    #[test]
    fn the_wasm_build_replays_the_shared_vectors() {
        let root: Value = serde_json::from_str(VECTORS).expect("the vector file is valid JSON");
        for row in root["stripe"].as_array().expect("stripe cases") {
            let secrets = checked(strings(&row["secrets"]), usher_webhook::check_stripe_secret);
            let ok = row["timestamp"].as_f64().unwrap_or(f64::NAN);
            match (secrets, expected(row, ok)) {
                (Ok(secrets), Some(want)) => {
                    let v = StripeWebhookVerifier::new(secrets, None).unwrap();
                    let got = v
                        .verify(
                            text(row, "payload").as_bytes(),
                            text(row, "header"),
                            row["now"].as_f64().expect("now"),
                        )
                        .unwrap();
                    assert_eq!(got, want, "{row}");
                }
                (Err(_), None) => {}
                (secrets, want) => panic!("{row}: {secrets:?}, expected {want:?}"),
            }
        }
        for row in root["standard"].as_array().expect("standard cases") {
            let secrets = checked(
                strings(&row["secrets"]),
                usher_webhook::check_standard_secret,
            );
            match (secrets, expected(row, 0.0)) {
                (Ok(secrets), Some(want)) => {
                    let v = StandardWebhookVerifier::new(secrets, None).unwrap();
                    let got = v
                        .verify(
                            text(row, "id"),
                            text(row, "timestamp"),
                            text(row, "signature"),
                            text(row, "payload").as_bytes(),
                            row["now"].as_f64().expect("now"),
                        )
                        .unwrap();
                    assert_eq!(f64::from(got), want, "{row}");
                }
                (Err(_), None) => {}
                (secrets, want) => panic!("{row}: {secrets:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn secrets_are_checked_by_position() {
        let good = || "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let check = usher_webhook::check_standard_secret;
        assert_eq!(checked(vec![], check), Err(SecretsError::Empty));
        assert_eq!(
            checked(vec![good(), "whsec_SeCrEt!".into()], check),
            Err(SecretsError::Unusable(1))
        );
        assert_eq!(
            SecretsError::Unusable(1).to_string(),
            "secrets[1] is not a usable signing secret"
        );
        assert_eq!(
            checked(vec![good(), good()], check),
            Ok(vec![good(), good()])
        );
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let config = || Config {
            secrets: vec![secret.to_owned()],
            tolerance_s: 300,
        };
        let stripe = StripeWebhookVerifier(config());
        let standard = StandardWebhookVerifier(config());
        for shown in [format!("{stripe:?}"), format!("{standard:?}")] {
            assert!(!shown.contains("MfKQ9r8G"), "{shown}");
            assert!(shown.contains("secrets: 1"), "{shown}");
        }
    }

    #[cfg(target_arch = "wasm32")]
    #[test]
    fn bad_arguments_become_type_errors_that_never_quote_a_secret() {
        use wasm_bindgen::JsCast;
        let message = |e: JsValue| {
            assert!(e.is_instance_of::<js_sys::TypeError>());
            String::from(e.unchecked_into::<js_sys::Error>().message())
        };
        let good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
        let bad = "whsec_SeCrEt not base64".to_owned();
        assert_eq!(
            message(StripeWebhookVerifier::new(vec![], None).unwrap_err()),
            "secrets must hold at least one signing secret"
        );
        assert_eq!(
            message(
                StripeWebhookVerifier::new(vec![good.clone(), String::new()], None).unwrap_err()
            ),
            "secrets[1] is not a usable signing secret"
        );
        let m = message(
            StandardWebhookVerifier::new(vec![good.clone(), bad.clone()], None).unwrap_err(),
        );
        assert_eq!(m, "secrets[1] is not a usable signing secret");
        let m = message(webhook_sign_standard("msg", 1.0, b"{}", &bad).unwrap_err());
        assert!(!m.contains("SeCrEt"), "{m}");
        message(StripeWebhookVerifier::new(vec![good.clone()], Some(-1.0)).unwrap_err());
        message(StripeWebhookVerifier::new(vec![good.clone()], Some(0.5)).unwrap_err());
        let v = StandardWebhookVerifier::new(vec![good], None).unwrap();
        message(v.verify("msg", "1", "v1,", b"", f64::NAN).unwrap_err());
        message(webhook_sign_stripe(b"{}", "", 1.0).unwrap_err());
    }
}
