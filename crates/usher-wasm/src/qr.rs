//! Ticket QR codes for JavaScript. `QrKeyRing` holds the parsed master keys (edge
//! functions only); `qrSignLive` needs only a display key (the holder's phone).

use usher_qr::{DisplayKey, EventId, KeyId, KeyRing, Kind, Policy, Reason, TicketId};
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, type_error};

fn ticket(id: &str) -> Result<TicketId, JsValue> {
    id.parse()
        .map_err(|_| type_error("ticketId must be a UUID"))
}

fn event(id: &str) -> Result<EventId, JsValue> {
    id.parse().map_err(|_| type_error("eventId must be a UUID"))
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
        usher_qr::sign_print(
            &self.0,
            &ticket(ticket_id)?,
            &event(event_id)?,
            to_i64("iat", iat)?,
        )
        .map_err(type_error)
    }

    /// The ticket's display key `{kid, key}` (base64url) for its holder's phone.
    #[wasm_bindgen(js_name = displayKey)]
    pub fn display_key(&self, ticket_id: &str, event_id: &str) -> Result<JsValue, JsValue> {
        let (kid, key) =
            usher_qr::live_display_key(&self.0, &ticket(ticket_id)?, &event(event_id)?);
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"kid".into(), &kid.as_str().into())?;
        js_sys::Reflect::set(&obj, &"key".into(), &key.to_base64url().into())?;
        Ok(obj.into())
    }

    /// Verifies a scanned code for `eventId` at `now` (unix seconds). Answers 0 for an
    /// accepted print code and 1 for an accepted live code, with the ticket's 16 bytes
    /// written to `ticketOut`; otherwise the index of the reason in `QR_REASONS`. Numbers
    /// and bytes keep the wasm boundary cheap on the scanner's hot path (a returned string
    /// costs as much as the HMAC); `edge-functions/_shared/wasm.ts` turns them into an
    /// object. Never throws for any `code`.
    pub fn verify(
        &self,
        code: &str,
        event_id: &str,
        now: f64,
        ticket_out: &mut [u8],
    ) -> Result<u32, JsValue> {
        if ticket_out.len() != 16 {
            return Err(type_error("ticketOut must be a 16-byte Uint8Array"));
        }
        let verdict = usher_qr::verify(
            &self.0,
            code,
            &event(event_id)?,
            to_i64("now", now)?,
            Policy::DEFAULT,
        );
        Ok(match verdict {
            Ok(v) => {
                ticket_out.copy_from_slice(v.ticket.as_bytes());
                match v.kind {
                    Kind::Print => 0,
                    Kind::Live => 1,
                }
            }
            Err(reason) => 2 + Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0) as u32,
        })
    }
}

/// The reasons a code is refused, in the order `QrKeyRing.verify` numbers them from 2.
#[wasm_bindgen(js_name = qrReasons)]
pub fn qr_reasons() -> Vec<String> {
    Reason::ALL.iter().map(|r| r.as_str().to_string()).collect()
}

/// A live code signed with a display key, as the holder's phone makes one every
/// `LIVE_STEP_SECS`; `iat` is usually `qrLiveIat(now)`.
#[wasm_bindgen(js_name = qrSignLive)]
pub fn qr_sign_live(
    display_key: &str,
    kid: &str,
    ticket_id: &str,
    event_id: &str,
    iat: f64,
) -> Result<String, JsValue> {
    let key = DisplayKey::from_base64url(display_key).map_err(type_error)?;
    let kid = KeyId::new(kid).map_err(type_error)?;
    usher_qr::sign_live(
        &key,
        &kid,
        &ticket(ticket_id)?,
        &event(event_id)?,
        to_i64("iat", iat)?,
    )
    .map_err(type_error)
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
