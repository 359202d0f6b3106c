//! The code text: `v1.{kind}.{kid}.{tid}.{iat}.{mac}`.
//!
//! Parsing is strict and allocation-free: every field has one spelling, so
//! the text of a valid code is a canonical function of its contents.

use core::fmt;

use crate::b64;
use crate::ids::TicketId;
use crate::key::KeyId;
use crate::reason::Reason;
use crate::{MAC_LEN, MAX_CODE_LEN, MAX_IAT, MAX_IAT_DIGITS, VERSION};

/// Length of the base64url ticket id field.
const TID_CHARS: usize = b64::encoded_len(16);
/// Length of the base64url MAC field.
const MAC_CHARS: usize = b64::encoded_len(MAC_LEN);

/// The kind of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `p`: a print code for e-mail and PDF tickets, signed with a master key
    /// and valid without a freshness window.
    Print,
    /// `l`: a live code shown by the holder's phone, signed with the ticket's
    /// display key and valid for a few minutes.
    Live,
}

impl Kind {
    /// The kind's letter in the code text: `p` or `l`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Print => "p",
            Kind::Live => "l",
        }
    }

    /// The byte that stands for the kind in the code text and the MAC input.
    pub(crate) const fn as_byte(self) -> u8 {
        match self {
            Kind::Print => b'p',
            Kind::Live => b'l',
        }
    }

    fn from_field(field: &[u8]) -> Option<Self> {
        match field {
            b"p" => Some(Kind::Print),
            b"l" => Some(Kind::Live),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of a well-formed code, before any cryptographic check.
///
/// Nothing in here is trustworthy until [`verify`](crate::verify) accepts the
/// code. `Display` writes the code text back; for a parsed code it is
/// identical to the input, because every field has one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedCode {
    /// Print or live.
    pub kind: Kind,
    /// Id of the master key the code claims to be signed with.
    pub kid: KeyId,
    /// The ticket the code claims to be for.
    pub ticket: TicketId,
    /// Issued-at, unix seconds, in `0..=MAX_IAT`.
    pub iat: i64,
    /// The 128-bit MAC carried in the code.
    pub mac: [u8; MAC_LEN],
}

impl fmt::Display for ParsedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tid = String::with_capacity(TID_CHARS);
        b64::encode_into(self.ticket.as_bytes(), &mut tid);
        let mut mac = String::with_capacity(MAC_CHARS);
        b64::encode_into(&self.mac, &mut mac);
        write!(
            f,
            "{VERSION}.{}.{}.{tid}.{}.{mac}",
            self.kind, self.kid, self.iat
        )
    }
}

/// Parses the decimal `iat` field: 1 to 11 ASCII digits, no sign, and no
/// leading zero unless the value is zero itself.
fn parse_iat(field: &[u8]) -> Option<i64> {
    if field.is_empty() || field.len() > MAX_IAT_DIGITS {
        return None;
    }
    if field.len() > 1 && field[0] == b'0' {
        return None;
    }
    let mut value: i64 = 0;
    for &c in field {
        if !c.is_ascii_digit() {
            return None;
        }
        // Eleven digits are at most MAX_IAT, far below i64::MAX, so this
        // cannot overflow.
        value = value * 10 + i64::from(c - b'0');
    }
    Some(value)
}

/// Parses the structure of a code without checking its MAC.
///
/// Every failure is [`Reason::Malformed`]. Input longer than
/// [`MAX_CODE_LEN`] is rejected before any other work.
pub fn parse(code: &str) -> Result<ParsedCode, Reason> {
    let bytes = code.as_bytes();
    if bytes.len() > MAX_CODE_LEN {
        return Err(Reason::Malformed);
    }
    let mut fields = bytes.split(|&c| c == b'.');
    let mut next = || fields.next().ok_or(Reason::Malformed);
    let version = next()?;
    let kind = next()?;
    let kid = next()?;
    let tid = next()?;
    let iat = next()?;
    let mac = next()?;
    if fields.next().is_some() {
        return Err(Reason::Malformed);
    }
    if version != VERSION.as_bytes() {
        return Err(Reason::Malformed);
    }
    let kind = Kind::from_field(kind).ok_or(Reason::Malformed)?;
    let kid = KeyId::from_ascii(kid).map_err(|_| Reason::Malformed)?;
    // The explicit length checks duplicate what the decoder enforces; they
    // keep the accepted shape obvious to a reader and cheap to reject.
    if tid.len() != TID_CHARS || mac.len() != MAC_CHARS {
        return Err(Reason::Malformed);
    }
    let ticket = b64::decode_array::<16>(tid).ok_or(Reason::Malformed)?;
    let iat = parse_iat(iat).ok_or(Reason::Malformed)?;
    let mac = b64::decode_array::<MAC_LEN>(mac).ok_or(Reason::Malformed)?;
    Ok(ParsedCode {
        kind,
        kid,
        ticket: TicketId::from_bytes(ticket),
        iat,
        mac,
    })
}

/// Whether `iat` can be written in a code.
pub(crate) fn iat_in_range(iat: i64) -> bool {
    (0..=MAX_IAT).contains(&iat)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const TID: &str = "XwxvTo9VSlOdDio8HZp7EA";
    const MAC: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    fn code(kind: &str, kid: &str, tid: &str, iat: &str, mac: &str) -> String {
        format!("v1.{kind}.{kid}.{tid}.{iat}.{mac}")
    }

    #[test]
    fn parses_and_writes_back() {
        let text = code("p", "k1", TID, "1767225600", MAC);
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.kind, Kind::Print);
        assert_eq!(parsed.kid.as_str(), "k1");
        assert_eq!(
            parsed.ticket.to_string(),
            "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10"
        );
        assert_eq!(parsed.iat, 1_767_225_600);
        assert_eq!(parsed.mac, [0; 16]);
        assert_eq!(parsed.to_string(), text);
        assert_eq!(
            parse(&code("l", "k1", TID, "0", MAC)).unwrap().kind,
            Kind::Live
        );
    }

    #[test]
    fn iat_spelling() {
        assert_eq!(parse_iat(b"0"), Some(0));
        assert_eq!(parse_iat(b"99999999999"), Some(MAX_IAT));
        for bad in [
            &b""[..],
            b"00",
            b"01",
            b"+1",
            b"-1",
            b"1 ",
            b"999999999999",
            b"1e3",
            b"\xd9\xa1",
        ] {
            assert_eq!(parse_iat(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn longest_code_fits_and_longer_input_is_rejected_early() {
        let longest = code("p", &"k".repeat(16), TID, "99999999999", MAC);
        assert_eq!(longest.len(), crate::MAX_V1_CODE_LEN);
        assert!(parse(&longest).is_ok());
        let padded = format!("{longest}{}", ".".repeat(MAX_CODE_LEN - longest.len()));
        assert_eq!(padded.len(), MAX_CODE_LEN);
        assert_eq!(parse(&padded), Err(Reason::Malformed));
        assert_eq!(parse(&"v".repeat(MAX_CODE_LEN + 1)), Err(Reason::Malformed));
    }

    #[test]
    fn rejects_malformed_structure() {
        let cases = [
            String::new(),
            "v1".to_string(),
            code("p", "k1", TID, "1", ""),
            code("p", "k1", TID, "1", &MAC[1..]),
            code("p", "k1", TID, "1", &format!("{MAC}A")),
            code("p", "k1", TID, "1", "AAAAAAAAAAAAAAAAAAAAAB"),
            code("p", "k1", TID, "1", "AAAAAAAAAAAAAAAAAAAAA="),
            code("p", "k1", "XwxvTo9VSlOdDio8HZp7EB", "1", MAC),
            code("p", "k1", &TID[1..], "1", MAC),
            code("p", "k1", TID, "", MAC),
            code("p", "k1", TID, "01", MAC),
            code("p", "k1", TID, "-1", MAC),
            code("p", "k1", TID, "999999999999", MAC),
            code("p", "", TID, "1", MAC),
            code("p", &"k".repeat(17), TID, "1", MAC),
            code("p", "k+1", TID, "1", MAC),
            code("P", "k1", TID, "1", MAC),
            code("x", "k1", TID, "1", MAC),
            code("", "k1", TID, "1", MAC),
            code("pl", "k1", TID, "1", MAC),
            format!("v2.p.k1.{TID}.1.{MAC}"),
            format!("V1.p.k1.{TID}.1.{MAC}"),
            format!("v1.p.k1.{TID}.1.{MAC}."),
            format!("v1.p.k1.{TID}.1"),
            format!(" v1.p.k1.{TID}.1.{MAC}"),
            format!("v1.p.k1.{TID}.1.{MAC}\n"),
            format!("v1.p.k1.{TID}..1.{MAC}"),
        ];
        for text in cases {
            assert_eq!(parse(&text), Err(Reason::Malformed), "{text:?}");
        }
    }
}
