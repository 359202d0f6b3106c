//! Ticket QR codes for JavaScript. `QrKeyRing` holds the parsed master keys (edge
//! functions only); `qrSignLive` needs only a display key (the holder's phone).

use usher_qr::{DisplayKey, EventId, KeyId, KeyRing, Kind, Policy, Reason, TicketId, MAX_CODE_LEN};
use wasm_bindgen::prelude::*;

use crate::errors::{to_i64, type_error};

/// Where an accepted ticket's 16 bytes start in the verify buffer, after room for the
/// longest code `verify` reads.
const TICKET_AT: usize = MAX_CODE_LEN;

/// Length of the verify buffer: the code, then the ticket.
const IO_LEN: usize = TICKET_AT + 16;

fn ticket(id: &str) -> Result<TicketId, JsValue> {
    id.parse()
        .map_err(|_| type_error("ticketId must be a UUID"))
}

fn event(id: &str) -> Result<EventId, JsValue> {
    id.parse().map_err(|_| type_error("eventId must be a UUID"))
}

/// The master signing keys from `QR_SIGNING_KEYS`, parsed once. Never exposed to JS.
///
/// Verification, the scanner's hot path, passes no strings and allocates nothing:
/// JavaScript writes the code's UTF-8 into a buffer in wasm memory (`ioAddress`),
/// `verify` reads it there and writes an accepted ticket's bytes after it, and the event
/// is parsed once by `setEvent` rather than with every code. Passing two strings and a
/// byte array cost three allocations, three frees and a call back into JavaScript per
/// code: about 0.4 µs, a third of what a whole verification costs now.
#[wasm_bindgen]
pub struct QrKeyRing {
    ring: KeyRing,
    /// The event `verify` checks codes for; `None` until `setEvent`.
    event: Option<EventId>,
    /// The verify buffer: the code from JavaScript, then the accepted ticket.
    io: Box<[u8; IO_LEN]>,
}

#[wasm_bindgen]
impl QrKeyRing {
    /// Parses `kid:base64url,kid:base64url` (first entry signs); throws a `TypeError`
    /// whose message never contains key material.
    #[wasm_bindgen(constructor)]
    pub fn new(signing_keys: &str) -> Result<QrKeyRing, JsValue> {
        let ring = signing_keys.parse().map_err(type_error)?;
        Ok(QrKeyRing {
            ring,
            event: None,
            io: Box::new([0; IO_LEN]),
        })
    }

    /// The key id that signs new codes.
    #[wasm_bindgen(getter, js_name = activeKid)]
    pub fn active_kid(&self) -> String {
        self.ring.active_kid().as_str().to_string()
    }

    /// A print code for the ticket, issued at `iat` (unix seconds).
    #[wasm_bindgen(js_name = signPrint)]
    pub fn sign_print(&self, ticket_id: &str, event_id: &str, iat: f64) -> Result<String, JsValue> {
        usher_qr::sign_print(
            &self.ring,
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
            usher_qr::live_display_key(&self.ring, &ticket(ticket_id)?, &event(event_id)?);
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"kid".into(), &kid.as_str().into())?;
        js_sys::Reflect::set(&obj, &"key".into(), &key.to_base64url().into())?;
        Ok(obj.into())
    }

    /// The address in wasm memory of the verify buffer, whose first `ticketOffset` bytes
    /// take the code and whose next 16 receive an accepted ticket. It stays put for the
    /// ring's life; a `Uint8Array` over it must be made anew when the memory grows.
    #[wasm_bindgen(getter, js_name = ioAddress)]
    pub fn io_address(&self) -> usize {
        self.io.as_ptr() as usize
    }

    /// Where the ticket starts in the verify buffer: the room there is for a code.
    #[wasm_bindgen(getter, js_name = ticketOffset)]
    pub fn ticket_offset(&self) -> usize {
        TICKET_AT
    }

    /// Sets the event that `verify` checks codes for; throws a `TypeError` for a
    /// malformed UUID and then keeps the event it had.
    #[wasm_bindgen(js_name = setEvent)]
    pub fn set_event(&mut self, event_id: &str) -> Result<(), JsValue> {
        self.event = Some(event(event_id)?);
        Ok(())
    }

    /// Verifies the code whose `len` bytes of UTF-8 JavaScript wrote at the start of the
    /// verify buffer (`TextEncoder.encodeInto`), for the event set last, at `now` (unix
    /// seconds). A `len` beyond the room, for a code that did not fit, is malformed unread,
    /// as the core refuses anything longer than `MAX_CODE_LEN`; bytes that are not UTF-8
    /// are malformed too. Answers 0 for an accepted print code and 1 for an accepted
    /// live code, with the ticket's bytes at `ticketOffset`; otherwise 2 plus the index
    /// of the reason in `qrReasons()`. Numbers keep the boundary cheap; `wasm.ts` turns
    /// them into an object. Throws only for a bad `now` or when no event is set.
    pub fn verify(&mut self, len: usize, now: f64) -> Result<u32, JsValue> {
        let now = to_i64("now", now)?;
        let event = self
            .event
            .ok_or_else(|| type_error("setEvent must be called before verify"))?;
        let code = self.io[..TICKET_AT]
            .get(..len)
            .and_then(|bytes| core::str::from_utf8(bytes).ok())
            .ok_or(Reason::Malformed);
        let verdict =
            code.and_then(|code| usher_qr::verify(&self.ring, code, &event, now, Policy::DEFAULT));
        Ok(match verdict {
            Ok(v) => {
                self.io[TICKET_AT..].copy_from_slice(v.ticket.as_bytes());
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
