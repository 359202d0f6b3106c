//! Signed ticket QR codes for the Usher event-ticketing platform.
//!
//! A code is a short ASCII string, `v1.{kind}.{kid}.{tid}.{iat}.{mac}`, that a
//! door scanner can check offline against the signing keys it holds. There are
//! two kinds:
//!
//! * **Print codes** (`p`) go into e-mails and PDF tickets. They are MACed with
//!   a master key and never expire.
//! * **Live codes** (`l`) are shown by the holder's phone and rotate every
//!   [`LIVE_STEP_SECS`] seconds. They are MACed with a per-ticket
//!   [`DisplayKey`] derived from the master key, so a phone can mint fresh
//!   codes offline while a leaked display key can only forge live codes for
//!   that one ticket.
//!
//! The crate is pure: it does no I/O, never reads a clock (time is passed in
//! as unix seconds) and never draws randomness (key material is passed in).
//! The full format, with worked examples, is in `docs/qr-format.md` at the
//! repository root.
//!
//! ```
//! use usher_qr::{
//!     live_display_key, live_iat, sign_live, sign_print, verify, EventId, Kind, KeyRing,
//!     Policy, TicketId,
//! };
//!
//! let ring: KeyRing = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".parse().unwrap();
//! let ticket: TicketId = "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10".parse().unwrap();
//! let event: EventId = "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98".parse().unwrap();
//! let now = 1_767_225_600;
//!
//! // A print code for the PDF ticket.
//! let print = sign_print(&ring, &ticket, &event, now).unwrap();
//! let ok = verify(&ring, &print, &event, now + 86_400, Policy::default()).unwrap();
//! assert_eq!(ok.kind, Kind::Print);
//!
//! // A live code: the server hands the phone (kid, display key) once, and the
//! // phone signs a fresh code every 30 seconds.
//! let (kid, display_key) = live_display_key(&ring, &ticket, &event);
//! let live = sign_live(&display_key, &kid, &ticket, &event, live_iat(now)).unwrap();
//! let ok = verify(&ring, &live, &event, now + 10, Policy::default()).unwrap();
//! assert_eq!(ok.ticket, ticket);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod b64;
mod format;
mod ids;
mod key;
mod mac;
mod reason;
mod ring;
mod sign;
mod verify;

pub use format::{parse, Kind, ParsedCode};
pub use ids::{EventId, InvalidUuid, TicketId};
pub use key::{DisplayKey, Key, KeyError, KeyId, KeyIdError};
pub use reason::{Reason, UnknownReason};
pub use ring::{generate_key_material, KeyRing, KeyRingError};
pub use sign::{live_display_key, live_iat, sign_live, sign_print, SignError};
pub use verify::{verify, Policy, Verified};

/// The version tag every code starts with.
pub const VERSION: &str = "v1";

/// Longest input [`parse`] and [`verify`] will look at, in bytes.
///
/// Anything longer is rejected as [`Reason::Malformed`] before any parsing
/// work, so hostile input costs a length comparison and nothing more. The
/// longest well-formed v1 code is [`MAX_V1_CODE_LEN`] bytes; the limit leaves
/// headroom so that it need not change with the format.
pub const MAX_CODE_LEN: usize = 96;

/// Length of the longest well-formed v1 code: a 16-character key id and an
/// 11-digit `iat`.
pub const MAX_V1_CODE_LEN: usize =
    3 + 2 + (key::KeyId::MAX_LEN + 1) + 23 + (MAX_IAT_DIGITS + 1) + 22;

/// Largest number of decimal digits in the `iat` field.
pub const MAX_IAT_DIGITS: usize = 11;

/// Largest `iat` a code can carry (the largest 11-digit number).
pub const MAX_IAT: i64 = 99_999_999_999;

/// Length of the truncated MAC carried in a code, in bytes (128 bits).
pub const MAC_LEN: usize = 16;

/// Rotation step of live codes, in seconds: see [`live_iat`].
pub const LIVE_STEP_SECS: i64 = 30;

/// Default maximum age of a live code, in seconds: a live code whose `iat` is
/// older than `now - LIVE_MAX_AGE_SECS` is [`Reason::Expired`].
pub const LIVE_MAX_AGE_SECS: i64 = 300;

/// Default tolerated clock skew, in seconds: a code whose `iat` is later than
/// `now + MAX_FUTURE_SKEW_SECS` is [`Reason::NotYetValid`].
pub const MAX_FUTURE_SKEW_SECS: i64 = 60;
