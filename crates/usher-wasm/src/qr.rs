//! Ticket QR codes for JavaScript. `QrKeyRing` holds the parsed master keys (edge
//! functions only); `qrSignLive` needs only a display key (the holder's phone).

use serde::Serialize;
use usher_qr::{DisplayKey, EventId, Kind, KeyId, KeyRing, Policy, TicketId};
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, type_error};

fn ticket(id: &str) -> Result<TicketId, JsValue> {
    id.parse().map_err(|_| type_error("ticketId must be a UUID"))
}

fn event(id: &str) -> Result<EventId, JsValue> {
    id.parse().map_err(|_| type_error("eventId must be a UUID"))
}

/// The outcome of a verification: `{ok: true, kind, kid, ticketId, iat}` or
/// `{ok: false, reason}` with one of the reasons in `docs/qr-format.md`.
#[derive(Serialize)]
#[serde(untagged)]
enum VerificationJs {
    Ok { ok: bool, kind: &'static str, kid: String, #[serde(rename = "ticketId")] ticket_id: String, iat: i64 },
    Err { ok: bool, reason: &'static str },
}

/// The master signing keys from `QR_SIGNING_KEYS`, parsed once. Never exposed to JS.
#[wasm_bindgen]
pub struct QrKeyRing(KeyRing);

#[wasm_bindgen]
impl QrKeyRing {
    /// Parses `kid:base64url,kid:base64url` (first entry signs); throws a `TypeError`
    /// whose message never contains key material.
    #[wasm_bindgen(constructor)]
    pub fn new(signing_keys: &str) -> Result<QrKeyRing, JsValue> {
        signing_keys.parse().map(QrKeyRing).map_err(type_error)
    }

    /// The key id that signs new codes.
    #[wasm_bindgen(getter, js_name = activeKid)]
    pub fn active_kid(&self) -> String {
        self.0.active_kid().as_str().to_string()
    }

    /// A print code for the ticket, issued at `iat` (unix seconds).
    #[wasm_bindgen(js_name = signPrint)]
    pub fn sign_print(&self, ticket_id: &str, event_id: &str, iat: f64) -> Result<String, JsValue> {
        usher_qr::sign_print(&self.0, &ticket(ticket_id)?, &event(event_id)?, to_i64("iat", iat)?).map_err(type_error)
    }

    /// The ticket's display key `{kid, key}` (base64url) for its holder's phone.
    #[wasm_bindgen(js_name = displayKey)]
    pub fn display_key(&self, ticket_id: &str, event_id: &str) -> Result<JsValue, JsValue> {
        let (kid, key) = usher_qr::live_display_key(&self.0, &ticket(ticket_id)?, &event(event_id)?);
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"kid".into(), &kid.as_str().into())?;
        js_sys::Reflect::set(&obj, &"key".into(), &key.to_base64url().into())?;
        Ok(obj.into())
    }

    /// Verifies a scanned code for `eventId` at `now` (unix seconds). Never throws for
    /// any `code`: a bad one yields `{ok: false, reason}`.
    pub fn verify(&self, code: &str, event_id: &str, now: f64) -> Result<JsValue, JsValue> {
        let out = match usher_qr::verify(&self.0, code, &event(event_id)?, to_i64("now", now)?, Policy::DEFAULT) {
            Ok(v) => VerificationJs::Ok {
                ok: true,
                kind: match v.kind {
                    Kind::Print => "print",
                    Kind::Live => "live",
                },
                kid: v.kid.as_str().to_string(),
                ticket_id: v.ticket.to_string(),
                iat: v.iat,
            },
            Err(reason) => VerificationJs::Err { ok: false, reason: reason.as_str() },
        };
        serde_wasm_bindgen::to_value(&out).map_err(|e| type_error(e))
    }
}

/// A live code signed with a display key, as the holder's phone makes one every
/// `LIVE_STEP_SECS`; `iat` is usually `qrLiveIat(now)`.
#[wasm_bindgen(js_name = qrSignLive)]
pub fn qr_sign_live(display_key: &str, kid: &str, ticket_id: &str, event_id: &str, iat: f64) -> Result<String, JsValue> {
    let key = DisplayKey::from_base64url(display_key).map_err(type_error)?;
    let kid = KeyId::new(kid).map_err(type_error)?;
    usher_qr::sign_live(&key, &kid, &ticket(ticket_id)?, &event(event_id)?, to_i64("iat", iat)?).map_err(type_error)
}

/// The issued-at of the live code current at `now`: `now` rounded down to the step.
#[wasm_bindgen(js_name = qrLiveIat)]
pub fn qr_live_iat(now: f64) -> Result<f64, JsValue> {
    Ok(usher_qr::live_iat(to_i64("now", now)?) as f64)
}

/// The ticket id a code claims, before any check (`null` when the code is malformed).
/// Only for looking up the ticket after verification failed, never for admitting.
#[wasm_bindgen(js_name = qrClaimedTicket)]
pub fn qr_claimed_ticket(code: &str) -> Option<String> {
    usher_qr::parse(code).ok().map(|p| p.ticket.to_string())
}

/// A new `kid:base64url` entry for `QR_SIGNING_KEYS`, from 32 bytes of the platform's CSPRNG.
#[wasm_bindgen(js_name = qrGenerateKey)]
pub fn qr_generate_key(kid: &str) -> Result<String, JsValue> {
    let kid = KeyId::new(kid).map_err(type_error)?;
    let mut random = [0u8; 32];
    getrandom::getrandom(&mut random).map_err(type_error)?;
    Ok(usher_qr::generate_key_material(&kid, random))
}
