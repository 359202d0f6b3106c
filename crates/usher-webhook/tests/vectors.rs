//! Published vectors and the edge cases of both schemes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use usher_webhook::{
    check_standard_secret, check_stripe_secret, sign_standard, sign_stripe, verify_standard,
    verify_stripe, Refusal, DEFAULT_TOLERANCE_S as TOL,
};
// The same tests run on wasm under `wasm-pack test --node`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const SS: &str = "whsec_test_secret";
const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
const T: i64 = 1_800_000_000;

/// The reference: the `hmac` crate used directly, hex by `format!`.
fn reference_hex(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn v1(t: i64, body: &[u8], secret: &str) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    reference_hex(secret.as_bytes(), &msg)
}

#[test]
fn stripe_signs_like_the_reference() {
    assert_eq!(
        sign_stripe(BODY, SS, T),
        format!("t={T},v1={}", v1(T, BODY, SS))
    );
    assert_eq!(
        verify_stripe(BODY, &sign_stripe(BODY, SS, T), &[SS], T, TOL),
        Ok(T)
    );
}

#[test]
fn stripe_docs_header_parses_v1_and_ignores_v0() {
    // The example header of Stripe's signature documentation (its payload is not published).
    let header = "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
    assert_eq!(
        verify_stripe(b"{}", header, &[SS], 1_492_774_577, TOL),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn stripe_tolerance_edges_both_sides() {
    let h = sign_stripe(BODY, SS, T);
    assert_eq!(verify_stripe(BODY, &h, &[SS], T + 300, TOL), Ok(T));
    assert_eq!(
        verify_stripe(BODY, &h, &[SS], T + 301, TOL),
        Err(Refusal::TimestampTooOld)
    );
    assert_eq!(verify_stripe(BODY, &h, &[SS], T - 300, TOL), Ok(T));
    assert_eq!(
        verify_stripe(BODY, &h, &[SS], T - 301, TOL),
        Err(Refusal::TimestampInFuture)
    );
}

#[test]
fn stripe_header_shapes() {
    let sig = v1(T, BODY, SS);
    let ok = |h: &str| verify_stripe(BODY, h, &[SS], T, TOL);
    assert_eq!(ok(&format!("t={T},v0={sig}")), Err(Refusal::NoSignature));
    assert_eq!(ok(&format!("junk,x=y,=,t={T},v1=zz,v1={sig},v9=1")), Ok(T));
    assert_eq!(ok(&format!("v1={sig}")), Err(Refusal::MissingTimestamp));
    assert_eq!(ok(&format!("t=12x,v1={sig}")), Err(Refusal::BadTimestamp));
    assert_eq!(
        ok(&format!("t={T},t={T},v1={sig}")),
        Err(Refusal::MalformedHeader)
    );
    assert_eq!(ok(&format!("t={T},v1=")), Err(Refusal::Mismatch));
    assert_eq!(
        ok(&format!("t={T},v1={}", &sig[..63])),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        ok(&format!("t={T},v1={}", &sig[..62])),
        Err(Refusal::Mismatch)
    );
    assert_eq!(ok(&format!("t={T},v1={sig}00")), Err(Refusal::Mismatch));
    assert_eq!(
        ok(&format!("t={T},v1={}", sig.to_uppercase())),
        Err(Refusal::Mismatch)
    );
    assert_eq!(ok(""), Err(Refusal::MissingTimestamp));
}

#[test]
fn stripe_rotation_and_tampering() {
    let old = "whsec_old";
    let both = format!(
        "t={T},v1={},v1={}",
        v1(T, BODY, "whsec_other"),
        v1(T, BODY, old)
    );
    assert_eq!(verify_stripe(BODY, &both, &[SS, old], T, TOL), Ok(T));
    assert_eq!(
        verify_stripe(BODY, &both, &[SS], T, TOL),
        Err(Refusal::Mismatch)
    );
    let h = sign_stripe(BODY, SS, T);
    assert_eq!(
        verify_stripe(b"{}", &h, &[SS], T, TOL),
        Err(Refusal::Mismatch)
    );
    let moved = h.replace(&format!("t={T}"), &format!("t={}", T + 1));
    assert_eq!(
        verify_stripe(BODY, &moved, &[SS], T, TOL),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        verify_stripe(BODY, &h, &[], T, TOL),
        Err(Refusal::BadSecret)
    );
    assert_eq!(
        verify_stripe(BODY, &h, &[SS, ""], T, TOL),
        Err(Refusal::BadSecret)
    );
}

// The Standard Webhooks reference vector (its libraries' `sign function works` test).
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: &str = "1614265330";
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const SW_NOW: i64 = 1_614_265_330;

fn sw(id: &str, ts: &str, sig: &str, body: &[u8], now: i64) -> Result<(), Refusal> {
    verify_standard(id, ts, sig, body, &[SW_SECRET], now, TOL)
}

#[test]
fn standard_reference_vector() {
    assert_eq!(
        sign_standard(SW_ID, SW_NOW, SW_BODY, SW_SECRET).as_deref(),
        Ok(SW_SIG)
    );
    assert_eq!(sw(SW_ID, SW_TS, SW_SIG, SW_BODY, SW_NOW), Ok(()));
    // Without the prefix the same key is used.
    let bare = &SW_SECRET["whsec_".len()..];
    assert_eq!(
        verify_standard(SW_ID, SW_TS, SW_SIG, SW_BODY, &[bare], SW_NOW, TOL),
        Ok(())
    );
}

#[test]
fn standard_tolerance_edges_both_sides() {
    assert_eq!(sw(SW_ID, SW_TS, SW_SIG, SW_BODY, SW_NOW + 300), Ok(()));
    assert_eq!(
        sw(SW_ID, SW_TS, SW_SIG, SW_BODY, SW_NOW + 301),
        Err(Refusal::TimestampTooOld)
    );
    assert_eq!(sw(SW_ID, SW_TS, SW_SIG, SW_BODY, SW_NOW - 300), Ok(()));
    assert_eq!(
        sw(SW_ID, SW_TS, SW_SIG, SW_BODY, SW_NOW - 301),
        Err(Refusal::TimestampInFuture)
    );
}

#[test]
fn standard_header_shapes_and_bypass() {
    let n = SW_NOW;
    assert_eq!(sw(SW_ID, SW_TS, "v1,", SW_BODY, n), Err(Refusal::Mismatch));
    assert_eq!(
        sw(SW_ID, SW_TS, "v1, v1,", SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    assert_eq!(sw(SW_ID, SW_TS, "", SW_BODY, n), Err(Refusal::NoSignature));
    assert_eq!(
        sw(SW_ID, SW_TS, &SW_SIG.replace("v1,", "v2,"), SW_BODY, n),
        Err(Refusal::NoSignature)
    );
    assert_eq!(
        sw(SW_ID, SW_TS, &SW_SIG[..SW_SIG.len() - 2], SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    // Unpadded base64 spells the same 32 bytes a second way, so it is refused, as
    // the official libraries refuse it: a header changed so must not verify.
    assert_eq!(
        sw(SW_ID, SW_TS, &SW_SIG[..SW_SIG.len() - 1], SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        sw(SW_ID, SW_TS, &SW_SIG[..10], SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    let many = format!("v1a,x v2,abc v1,!!! v1,Zm9v  {SW_SIG} junk");
    assert_eq!(sw(SW_ID, SW_TS, &many, SW_BODY, n), Ok(()));
    assert_eq!(
        sw("", SW_TS, SW_SIG, SW_BODY, n),
        Err(Refusal::MalformedHeader)
    );
    assert_eq!(
        sw(SW_ID, "", SW_SIG, SW_BODY, n),
        Err(Refusal::MissingTimestamp)
    );
    assert_eq!(
        sw(SW_ID, "1614265330 ", SW_SIG, SW_BODY, n),
        Err(Refusal::BadTimestamp)
    );
}

#[test]
fn standard_tampering_rotation_and_secrets() {
    let n = SW_NOW;
    assert_eq!(
        sw("msg_other", SW_TS, SW_SIG, SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        sw(SW_ID, "1614265331", SW_SIG, SW_BODY, n),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        sw(SW_ID, SW_TS, SW_SIG, br#"{"test":2432232314}"#, n),
        Err(Refusal::Mismatch)
    );
    let other = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let new_sig = sign_standard(SW_ID, n, SW_BODY, other).unwrap();
    let header = format!("{new_sig} {SW_SIG}");
    let v = |secrets: &[&str]| verify_standard(SW_ID, SW_TS, &header, SW_BODY, secrets, n, TOL);
    assert_eq!(v(&[other]), Ok(()));
    assert_eq!(v(&[SW_SECRET]), Ok(()));
    assert_eq!(v(&["whsec_AQID", "whsec_BAUG"]), Err(Refusal::Mismatch));
    assert_eq!(v(&[]), Err(Refusal::BadSecret));
    assert_eq!(v(&[SW_SECRET, "whsec_"]), Err(Refusal::BadSecret));
    assert_eq!(
        v(&[SW_SECRET, "whsec_not base64!"]),
        Err(Refusal::BadSecret)
    );
    assert_eq!(
        sign_standard(SW_ID, n, SW_BODY, "whsec_"),
        Err(Refusal::BadSecret)
    );
}

#[test]
fn secret_checks_apply_the_rule_verification_applies() {
    assert_eq!(check_stripe_secret(SS), Ok(()));
    assert_eq!(check_stripe_secret(""), Err(Refusal::BadSecret));
    for good in [SW_SECRET, &SW_SECRET["whsec_".len()..]] {
        assert_eq!(check_standard_secret(good), Ok(()), "{good}");
    }
    for bad in ["", "whsec_", "whsec_not base64!", "whsec_Zg="] {
        assert_eq!(check_standard_secret(bad), Err(Refusal::BadSecret), "{bad}");
        assert_eq!(
            verify_standard(SW_ID, SW_TS, SW_SIG, SW_BODY, &[bad], SW_NOW, TOL),
            Err(Refusal::BadSecret),
            "{bad}"
        );
    }
}
