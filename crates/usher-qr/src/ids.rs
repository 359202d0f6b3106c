//! Ticket and event identifiers: 16-byte UUIDs with distinct types so that
//! one can never be passed where the other is expected.

use core::fmt;
use core::str::FromStr;

/// Error returned when text is not a hyphenated UUID.
///
/// Accepted text is exactly 36 characters: 32 hex digits (either case) in
/// groups of 8-4-4-4-12 separated by hyphens. Braces, `urn:uuid:` prefixes
/// and the unhyphenated form are rejected so that every id has one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUuid;

impl fmt::Display for InvalidUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a hyphenated UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
    }
}

impl std::error::Error for InvalidUuid {}

const HYPHENS: [usize; 4] = [8, 13, 18, 23];

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn parse_uuid(text: &str) -> Result<[u8; 16], InvalidUuid> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return Err(InvalidUuid);
    }
    let mut out = [0u8; 16];
    let mut nibbles = 0usize;
    for (i, &c) in bytes.iter().enumerate() {
        if HYPHENS.contains(&i) {
            if c != b'-' {
                return Err(InvalidUuid);
            }
            continue;
        }
        let v = hex_value(c).ok_or(InvalidUuid)?;
        let byte = out.get_mut(nibbles / 2).ok_or(InvalidUuid)?;
        *byte = (*byte << 4) | v;
        nibbles += 1;
    }
    Ok(out)
}

fn fmt_uuid(bytes: &[u8; 16], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            f.write_str("-")?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// Wraps the 16 bytes of a UUID.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The 16 bytes of the UUID.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses a hyphenated UUID in lowercase or uppercase hex.
            pub fn parse(text: &str) -> Result<Self, InvalidUuid> {
                parse_uuid(text).map(Self)
            }
        }

        impl FromStr for $name {
            type Err = InvalidUuid;

            fn from_str(text: &str) -> Result<Self, InvalidUuid> {
                Self::parse(text)
            }
        }

        /// Formats as a lowercase hyphenated UUID.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_uuid(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(\"{}\")", stringify!($name), self)
            }
        }
    };
}

uuid_id! {
    /// The UUID of a ticket. It is carried in every code (as base64url).
    TicketId
}

uuid_id! {
    /// The UUID of an event. It is bound by the MAC but not carried in the
    /// code: the verifier supplies the event it is scanning for.
    EventId
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const TEXT: &str = "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10";

    #[test]
    fn round_trips_lowercase() {
        let id: TicketId = TEXT.parse().unwrap();
        assert_eq!(id.to_string(), TEXT);
        assert_eq!(id.as_bytes()[0], 0x5f);
        assert_eq!(id.as_bytes()[15], 0x10);
    }

    #[test]
    fn accepts_uppercase_and_displays_lowercase() {
        let id = EventId::parse(&TEXT.to_uppercase()).unwrap();
        assert_eq!(id.to_string(), TEXT);
    }

    #[test]
    fn debug_names_the_type() {
        let id = TicketId::parse(TEXT).unwrap();
        assert_eq!(format!("{id:?}"), format!("TicketId(\"{TEXT}\")"));
    }

    #[test]
    fn rejects_other_spellings() {
        for bad in [
            "",
            "5f0c6f4e8f554a539d0e2a3c1d9a7b10",
            "{5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10}",
            "urn:uuid:5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10",
            "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b1",
            "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b100",
            "5f0c6f4e_8f55-4a53-9d0e-2a3c1d9a7b10",
            "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b1g",
            "5f0c6f4e-8f554-a53-9d0e-2a3c1d9a7b10",
            " 5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b1",
            "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7bé",
        ] {
            assert_eq!(TicketId::parse(bad), Err(InvalidUuid), "{bad:?}");
        }
    }
}
