//! The shared test vectors in `tests/vectors/webhook.json` at the repository
//! root.
//!
//! Every implementation that verifies webhooks (this crate natively and on
//! wasm, the wasm facade, the Deno API, and the official npm libraries in the
//! differential test) replays the same file, so it is their contract. The cases
//! are written out by hand below, each with the verdict it must get, which is
//! asserted before anything is written; the signatures are computed with the
//! `hmac` crate directly, as a reference, never with the crate's own signing.
//! Run `UPDATE_VECTORS=1 cargo test -p usher-webhook --test shared_vectors` to
//! rewrite the file after a deliberate change.

// The cases and the rendering serve only the native up-to-date check, since
// wasm has no file system to compare with; on wasm they are compiled but unused.
#![cfg_attr(target_arch = "wasm32", allow(dead_code, unused_imports))]

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use usher_webhook::{verify_standard, verify_stripe, Refusal, DEFAULT_TOLERANCE_S as TOL};
// The replay runs on wasm under `wasm-pack test --node` too.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The file, compiled in: wasm32-unknown-unknown cannot read files, and the
/// replay must run there as it runs natively.
const VECTORS: &str = include_str!("../../../tests/vectors/webhook.json");

const T: i64 = 1_800_000_000;
const SECRET: &str = "whsec_test_secret";
const OLD_SECRET: &str = "whsec_old_secret";
const OTHER_SECRET: &str = "whsec_other_secret";
const BODY: &str = r#"{"id":"evt_1","object":"event","type":"checkout.session.completed"}"#;
// Non-ASCII, so every implementation is seen to sign the UTF-8 bytes.
const UTF8_BODY: &str = r#"{"id":"evt_2","object":"event","data":{"name":"Zoë ☕ 🎟"}}"#;

// The Standard Webhooks reference vector (its libraries' `sign function works` test).
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_OTHER: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: &str = "1614265330";
const SW_BODY: &str = r#"{"test": 2432232314}"#;
const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const SW_NOW: i64 = 1_614_265_330;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Stripe's `v1`: lower-case hex of the HMAC of `{t}.{payload}` under the whole secret.
fn stripe_v1(t: &str, payload: &str, secret: &str) -> String {
    hmac(secret.as_bytes(), &[t.as_bytes(), b".", payload.as_bytes()])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Padded standard base64, written out here so that the reference shares no
/// code with the crate.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let padded = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from_be_bytes([0, padded[0], padded[1], padded[2]]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// The Standard Webhooks key of a secret whose base64 needs no padding, as
/// every secret here is chosen to.
fn standard_key(secret: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let text = secret.strip_prefix("whsec_").unwrap_or(secret).as_bytes();
    assert_eq!(text.len() % 4, 0, "{secret} needs padding");
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let n = chunk.iter().fold(0u32, |n, c| {
            let v = ALPHABET.iter().position(|a| a == c).expect("base64") as u32;
            (n << 6) | v
        });
        out.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    out
}

/// A `v1,<base64>` entry over `{id}.{timestamp}.{payload}`.
fn standard_v1(id: &str, timestamp: &str, payload: &str, secret: &str) -> String {
    let tag = hmac(
        &standard_key(secret),
        &[
            id.as_bytes(),
            b".",
            timestamp.as_bytes(),
            b".",
            payload.as_bytes(),
        ],
    );
    format!("v1,{}", base64(&tag))
}

struct StripeCase {
    name: &'static str,
    payload: &'static str,
    header: String,
    secrets: Vec<&'static str>,
    now: i64,
    want: Result<i64, Refusal>,
}

fn stripe_cases() -> Vec<StripeCase> {
    use Refusal::*;
    let sig = stripe_v1(&T.to_string(), BODY, SECRET);
    let signed = format!("t={T},v1={sig}");
    let case = |name, header: String, now, want| StripeCase {
        name,
        payload: BODY,
        header,
        secrets: vec![SECRET],
        now,
        want,
    };
    let rotating = format!(
        "t={T},v1={},v1={}",
        stripe_v1(&T.to_string(), BODY, SECRET),
        stripe_v1(&T.to_string(), BODY, OLD_SECRET)
    );
    let mut cases = vec![
        case("signed_now", signed.clone(), T, Ok(T)),
        case("exactly_300_s_old", signed.clone(), T + 300, Ok(T)),
        case("301_s_old", signed.clone(), T + 301, Err(TimestampTooOld)),
        case("exactly_300_s_ahead", signed.clone(), T - 300, Ok(T)),
        case(
            "301_s_ahead",
            signed.clone(),
            T - 301,
            Err(TimestampInFuture),
        ),
        case("v0_only", format!("t={T},v0={sig}"), T, Err(NoSignature)),
        case(
            "junk_beside_a_valid_v1",
            format!("junk,x=y,=,t={T},v1=zz,v1={sig},v9=1"),
            T,
            Ok(T),
        ),
        case("empty_signature", format!("t={T},v1="), T, Err(Mismatch)),
        case(
            "truncated_signature",
            format!("t={T},v1={}", &sig[..63]),
            T,
            Err(Mismatch),
        ),
        case(
            "upper_case_hex",
            format!("t={T},v1={}", sig.to_uppercase()),
            T,
            Err(Mismatch),
        ),
        case(
            "tampered_timestamp",
            format!("t={},v1={sig}", T + 1),
            T,
            Err(Mismatch),
        ),
        case("missing_t", format!("v1={sig}"), T, Err(MissingTimestamp)),
        case(
            "non_numeric_t",
            format!("t=12x,v1={}", stripe_v1("12x", BODY, SECRET)),
            T,
            Err(BadTimestamp),
        ),
        case("empty_header", String::new(), T, Err(MissingTimestamp)),
        case(
            "two_t",
            format!("t={T},t={T},v1={sig}"),
            T,
            Err(MalformedHeader),
        ),
    ];
    cases.extend([
        StripeCase {
            name: "tampered_body",
            payload: r#"{"id":"evt_1","object":"event","type":"checkout.session.expired"}"#,
            ..case("", signed.clone(), T, Err(Mismatch))
        },
        StripeCase {
            name: "utf8_body",
            payload: UTF8_BODY,
            header: format!("t={T},v1={}", stripe_v1(&T.to_string(), UTF8_BODY, SECRET)),
            ..case("", String::new(), T, Ok(T))
        },
        StripeCase {
            name: "rotation_two_v1_old_secret_configured",
            secrets: vec![OLD_SECRET],
            ..case("", rotating.clone(), T, Ok(T))
        },
        StripeCase {
            name: "rotation_two_v1_new_secret_configured",
            secrets: vec![SECRET],
            ..case("", rotating.clone(), T, Ok(T))
        },
        StripeCase {
            name: "several_secrets_the_second_signed",
            secrets: vec![OTHER_SECRET, SECRET],
            ..case("", signed.clone(), T, Ok(T))
        },
        StripeCase {
            name: "several_secrets_none_signed",
            secrets: vec![OTHER_SECRET, OLD_SECRET],
            ..case("", signed.clone(), T, Err(Mismatch))
        },
        StripeCase {
            name: "an_empty_secret_configured",
            secrets: vec![SECRET, ""],
            ..case("", signed.clone(), T, Err(BadSecret))
        },
    ]);
    cases
}

struct StandardCase {
    name: &'static str,
    id: &'static str,
    timestamp: &'static str,
    signature: String,
    payload: &'static str,
    secrets: Vec<&'static str>,
    now: i64,
    want: Result<(), Refusal>,
}

fn standard_cases() -> Vec<StandardCase> {
    use Refusal::*;
    let case = |name, signature: &str, now, want| StandardCase {
        name,
        id: SW_ID,
        timestamp: SW_TS,
        signature: signature.to_owned(),
        payload: SW_BODY,
        secrets: vec![SW_SECRET],
        now,
        want,
    };
    let n = SW_NOW;
    let other_sig = standard_v1(SW_ID, SW_TS, SW_BODY, SW_OTHER);
    let rotating = format!("{other_sig} {SW_SIG}");
    assert_eq!(standard_v1(SW_ID, SW_TS, SW_BODY, SW_SECRET), SW_SIG);
    vec![
        case("reference_vector", SW_SIG, n, Ok(())),
        StandardCase {
            secrets: vec![&SW_SECRET["whsec_".len()..]],
            ..case("secret_without_prefix", SW_SIG, n, Ok(()))
        },
        case("exactly_300_s_old", SW_SIG, n + 300, Ok(())),
        case("301_s_old", SW_SIG, n + 301, Err(TimestampTooOld)),
        case("exactly_300_s_ahead", SW_SIG, n - 300, Ok(())),
        case("301_s_ahead", SW_SIG, n - 301, Err(TimestampInFuture)),
        case("empty_signature_bypass", "v1,", n, Err(Mismatch)),
        case("two_empty_signatures", "v1, v1,", n, Err(Mismatch)),
        case("no_signature", "", n, Err(NoSignature)),
        case(
            "v2_only",
            &SW_SIG.replace("v1,", "v2,"),
            n,
            Err(NoSignature),
        ),
        case(
            "truncated_signature",
            &SW_SIG[..SW_SIG.len() - 2],
            n,
            Err(Mismatch),
        ),
        case(
            "signature_without_its_padding",
            &SW_SIG[..SW_SIG.len() - 1],
            n,
            Err(Mismatch),
        ),
        case(
            "junk_beside_a_valid_v1",
            &format!("v1a,x v2,abc v1,!!! v1,Zm9v  {SW_SIG} junk"),
            n,
            Ok(()),
        ),
        StandardCase {
            secrets: vec![SW_OTHER],
            ..case(
                "rotation_two_v1_new_secret_configured",
                &rotating,
                n,
                Ok(()),
            )
        },
        StandardCase {
            secrets: vec![SW_SECRET],
            ..case(
                "rotation_two_v1_old_secret_configured",
                &rotating,
                n,
                Ok(()),
            )
        },
        StandardCase {
            secrets: vec![SW_OTHER, SW_SECRET],
            ..case("several_secrets_the_second_signed", SW_SIG, n, Ok(()))
        },
        StandardCase {
            secrets: vec![SW_OTHER, "whsec_AQIDBAUG"],
            ..case("several_secrets_none_signed", SW_SIG, n, Err(Mismatch))
        },
        StandardCase {
            id: "msg_p5jXN8AQM9LWM0D4loKWxJel",
            ..case("tampered_id", SW_SIG, n, Err(Mismatch))
        },
        StandardCase {
            timestamp: "1614265331",
            ..case("tampered_timestamp", SW_SIG, n, Err(Mismatch))
        },
        StandardCase {
            payload: r#"{"test": 2432232315}"#,
            ..case("tampered_body", SW_SIG, n, Err(Mismatch))
        },
        StandardCase {
            payload: UTF8_BODY,
            ..case(
                "utf8_body",
                &standard_v1(SW_ID, SW_TS, UTF8_BODY, SW_SECRET),
                n,
                Ok(()),
            )
        },
        StandardCase {
            id: "",
            ..case(
                "empty_id",
                &standard_v1("", SW_TS, SW_BODY, SW_SECRET),
                n,
                Err(MalformedHeader),
            )
        },
        StandardCase {
            timestamp: "",
            ..case(
                "missing_timestamp",
                &standard_v1(SW_ID, "", SW_BODY, SW_SECRET),
                n,
                Err(MissingTimestamp),
            )
        },
        StandardCase {
            timestamp: "abc",
            ..case(
                "non_numeric_timestamp",
                &standard_v1(SW_ID, "abc", SW_BODY, SW_SECRET),
                n,
                Err(BadTimestamp),
            )
        },
        StandardCase {
            timestamp: "1614265330 ",
            ..case(
                "timestamp_with_a_trailing_space",
                SW_SIG,
                n,
                Err(BadTimestamp),
            )
        },
        StandardCase {
            secrets: vec![SW_SECRET, "whsec_"],
            ..case("an_empty_secret_configured", SW_SIG, n, Err(BadSecret))
        },
        StandardCase {
            secrets: vec!["whsec_not base64!"],
            ..case("a_secret_that_is_not_base64", SW_SIG, n, Err(BadSecret))
        },
    ]
}

fn verdict<T>(want: Result<T, Refusal>, ok: impl FnOnce(T) -> Value) -> Value {
    match want {
        Ok(t) => ok(t),
        Err(r) => json!({"ok": false, "reason": r.as_str()}),
    }
}

/// The file as the cases give it, one row a line; each case's verdict is
/// asserted against the crate first.
fn render() -> String {
    let line = |v: &Value| serde_json::to_string(v).expect("a value serialises");
    let stripe: Vec<String> = stripe_cases()
        .into_iter()
        .map(|c| {
            let got = verify_stripe(c.payload.as_bytes(), &c.header, &c.secrets, c.now, TOL);
            assert_eq!(got, c.want, "{}", c.name);
            let mut row = json!({"name": c.name, "payload": c.payload, "header": c.header,
                                 "secrets": c.secrets, "now": c.now});
            merge(
                &mut row,
                verdict(c.want, |t| json!({"ok": true, "timestamp": t})),
            );
            line(&row)
        })
        .collect();
    let standard: Vec<String> = standard_cases()
        .into_iter()
        .map(|c| {
            let got = verify_standard(
                c.id,
                c.timestamp,
                &c.signature,
                c.payload.as_bytes(),
                &c.secrets,
                c.now,
                TOL,
            );
            assert_eq!(got, c.want, "{}", c.name);
            let mut row = json!({"name": c.name, "id": c.id, "timestamp": c.timestamp,
                                 "signature": c.signature, "payload": c.payload,
                                 "secrets": c.secrets, "now": c.now});
            merge(&mut row, verdict(c.want, |()| json!({"ok": true})));
            line(&row)
        })
        .collect();
    let about = "Webhook signature cases shared by every implementation; regenerate with \
                 UPDATE_VECTORS=1 cargo test -p usher-webhook --test shared_vectors. \
                 Every case is verified with tolerance_s either side of now (Unix seconds). \
                 stripe: payload and the Stripe-Signature header; standard: the webhook-id, \
                 webhook-timestamp and webhook-signature values and the payload. Payloads \
                 are signed as their UTF-8 bytes. A case is {ok: true} (Stripe adds the \
                 signed timestamp) or {ok: false, reason}, the crate's Refusal code.";
    format!(
        "{{\"about\":{},\n\"tolerance_s\":{TOL},\n\"stripe\":[\n{}\n],\n\"standard\":[\n{}\n]}}\n",
        line(&json!(about)),
        stripe.join(",\n"),
        standard.join(",\n"),
    )
}

fn merge(row: &mut Value, extra: Value) {
    if let (Some(row), Value::Object(extra)) = (row.as_object_mut(), extra) {
        row.extend(extra);
    }
}

fn refusal(v: &Value) -> Refusal {
    let code = v.as_str().expect("a reason is a string");
    *Refusal::ALL
        .iter()
        .find(|r| r.as_str() == code)
        .unwrap_or_else(|| panic!("unknown reason {code:?}"))
}

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key]
        .as_str()
        .unwrap_or_else(|| panic!("{row}: {key:?} is not a string"))
}

fn secrets(row: &Value) -> Vec<&str> {
    row["secrets"]
        .as_array()
        .expect("secrets is an array")
        .iter()
        .map(|s| s.as_str().expect("a secret is a string"))
        .collect()
}

fn rows<'a>(root: &'a Value, key: &str) -> &'a Vec<Value> {
    root[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is missing or not an array"))
}

#[test]
fn every_vector_matches_the_crate() {
    let root: Value = serde_json::from_str(VECTORS).expect("the vector file is valid JSON");
    let tolerance = root["tolerance_s"].as_i64().expect("tolerance_s");
    let mut reasons = Vec::new();
    for row in rows(&root, "stripe") {
        let now = row["now"].as_i64().expect("now is an integer");
        let got = verify_stripe(
            text(row, "payload").as_bytes(),
            text(row, "header"),
            &secrets(row),
            now,
            tolerance,
        );
        let want = if row["ok"] == true {
            Ok(row["timestamp"]
                .as_i64()
                .expect("an accepted case has a timestamp"))
        } else {
            Err(refusal(&row["reason"]))
        };
        assert_eq!(got, want, "{row}");
        reasons.extend(want.err());
    }
    for row in rows(&root, "standard") {
        let now = row["now"].as_i64().expect("now is an integer");
        let got = verify_standard(
            text(row, "id"),
            text(row, "timestamp"),
            text(row, "signature"),
            text(row, "payload").as_bytes(),
            &secrets(row),
            now,
            tolerance,
        );
        let want = if row["ok"] == true {
            Ok(())
        } else {
            Err(refusal(&row["reason"]))
        };
        assert_eq!(got, want, "{row}");
        reasons.extend(want.err());
    }
    for r in Refusal::ALL {
        assert!(reasons.contains(&r), "no case is refused as {r}");
    }
}

// Rendering needs the file system to compare and rewrite, which wasm32-unknown-unknown
// does not have; the replay above runs there from the compiled-in copy.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn vector_file_is_up_to_date() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/webhook.json");
    let rendered = render();
    if std::env::var_os("UPDATE_VECTORS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "{} is out of date; run UPDATE_VECTORS=1 cargo test -p usher-webhook --test shared_vectors",
        path.display()
    );
}
