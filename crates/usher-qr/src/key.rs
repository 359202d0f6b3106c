//! Key ids, master keys and per-ticket display keys.
//!
//! Secret types keep their bytes in zeroizing storage and print no secret
//! bytes through `Debug`, so a stray `{:?}` in a log line cannot leak a key.

use core::fmt;
use core::str::FromStr;

use crate::mac::HmacSha256;
use zeroize::Zeroizing;

use crate::b64;

/// Error returned when text is not a valid key id.
///
/// Messages never repeat the offending text: a mangled `QR_SIGNING_KEYS`
/// entry could put key bytes where the key id was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyIdError {
    /// The key id is empty.
    Empty,
    /// The key id is longer than [`KeyId::MAX_LEN`] characters.
    TooLong {
        /// Length of the rejected key id, in bytes.
        len: usize,
    },
    /// The key id has a character outside `[A-Za-z0-9_-]`.
    InvalidCharacter,
}

impl fmt::Display for KeyIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("key id is empty"),
            Self::TooLong { len } => write!(
                f,
                "key id is {len} bytes long; at most {} are allowed",
                KeyId::MAX_LEN
            ),
            Self::InvalidCharacter => f.write_str("key id has a character outside [A-Za-z0-9_-]"),
        }
    }
}

impl std::error::Error for KeyIdError {}

/// A key id: 1 to 16 characters of `[A-Za-z0-9_-]`.
///
/// Key ids are public: they are carried in every code so the verifier knows
/// which master key to use. They are stored inline, so the type is `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId {
    len: u8,
    bytes: [u8; KeyId::MAX_LEN],
}

impl KeyId {
    /// Longest key id, in characters.
    pub const MAX_LEN: usize = 16;

    /// Validates a key id.
    pub fn new(text: &str) -> Result<Self, KeyIdError> {
        Self::from_ascii(text.as_bytes())
    }

    pub(crate) fn from_ascii(text: &[u8]) -> Result<Self, KeyIdError> {
        if text.is_empty() {
            return Err(KeyIdError::Empty);
        }
        if text.len() > Self::MAX_LEN {
            return Err(KeyIdError::TooLong { len: text.len() });
        }
        if !text
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Err(KeyIdError::InvalidCharacter);
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..text.len()].copy_from_slice(text);
        Ok(Self {
            len: text.len() as u8,
            bytes,
        })
    }

    /// The key id's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The key id as text.
    pub fn as_str(&self) -> &str {
        // The constructor admits ASCII only, so this conversion cannot fail;
        // the fallback exists only to keep the function free of panics.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl FromStr for KeyId {
    type Err = KeyIdError;

    fn from_str(text: &str) -> Result<Self, KeyIdError> {
        Self::new(text)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:?})", self.as_str())
    }
}

/// Error returned for unusable key material.
///
/// Messages give lengths only, never key bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// The text is not unpadded, canonical base64url.
    InvalidEncoding,
    /// The key is shorter than allowed.
    TooShort {
        /// Length of the rejected key, in bytes.
        len: usize,
        /// Smallest allowed length, in bytes.
        min: usize,
    },
    /// The key is longer than allowed.
    TooLong {
        /// Length of the rejected key, in bytes.
        len: usize,
        /// Largest allowed length, in bytes.
        max: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidEncoding => {
                f.write_str("key is not unpadded base64url (RFC 4648 section 5, no '=')")
            }
            Self::TooShort { len, min } => {
                write!(f, "key is {len} bytes long; at least {min} are required")
            }
            Self::TooLong { len, max } => {
                write!(f, "key is {len} bytes long; at most {max} are allowed")
            }
        }
    }
}

impl std::error::Error for KeyError {}

fn check_len(len: usize, min: usize, max: usize) -> Result<(), KeyError> {
    if len < min {
        Err(KeyError::TooShort { len, min })
    } else if len > max {
        Err(KeyError::TooLong { len, max })
    } else {
        Ok(())
    }
}

/// Decodes base64url key text into zeroizing storage after checking the
/// length, so that no unchecked or unzeroized copy of the key is made.
fn decode_secret(text: &str, min: usize, max: usize) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let len = b64::decoded_len(text.len()).ok_or(KeyError::InvalidEncoding)?;
    check_len(len, min, max)?;
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    b64::decode_into(text.as_bytes(), &mut bytes).ok_or(KeyError::InvalidEncoding)?;
    Ok(bytes)
}

/// A master signing key: 32 to 64 secret bytes.
///
/// At least 32 bytes because HMAC-SHA256 gains nothing from less entropy than
/// its output size and loses a lot; at most 64 because longer HMAC keys are
/// hashed down to 32 bytes anyway. Only the HMAC keyed with the bytes is kept;
/// the bytes themselves are zeroized once it is keyed.
#[derive(Clone)]
pub struct Key {
    /// The key's length in bytes, for `Debug`.
    len: u8,
    /// HMAC keyed once with the key. It holds the SHA-256 states after the inner and
    /// outer key blocks: as secret as the key, though RustCrypto's `hmac` does not
    /// zeroize it on drop.
    keyed: HmacSha256,
}

impl Key {
    /// Shortest accepted key, in bytes.
    pub const MIN_LEN: usize = 32;
    /// Longest accepted key, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Copies key bytes into a new key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        check_len(bytes.len(), Self::MIN_LEN, Self::MAX_LEN)?;
        Ok(Self::keyed_from(Zeroizing::new(bytes.to_vec())))
    }

    /// Decodes a key from unpadded base64url text.
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        decode_secret(text, Self::MIN_LEN, Self::MAX_LEN).map(Self::keyed_from)
    }

    fn keyed_from(bytes: Zeroizing<Vec<u8>>) -> Self {
        // The length is checked to be at most MAX_LEN (64), so it fits a u8.
        let len = bytes.len() as u8;
        Self {
            len,
            keyed: crate::mac::keyed(&bytes),
        }
    }

    /// Whether this key was made from `bytes`: both MAC one probe message alike.
    #[cfg(test)]
    pub(crate) fn is_keyed_with(&self, bytes: &[u8]) -> bool {
        let probe: &[&[u8]] = &[b"probe"];
        crate::mac::hmac_sha256_keyed(&self.keyed, probe) == crate::mac::hmac_sha256(bytes, probe)
    }

    /// HMAC-SHA256 keyed with this key, ready to clone for each MAC.
    pub(crate) fn hmac(&self) -> &HmacSha256 {
        &self.keyed
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(<{} secret bytes>)", self.len)
    }
}

/// A per-ticket display key: the 32-byte secret a phone uses to sign live
/// codes for one ticket of one event.
///
/// It is `HMAC-SHA256(master_key, "usher-qr-display\0v1" ‖ ticket ‖ event)`.
/// Whoever holds it can forge live codes for that one ticket, and nothing
/// else: not another ticket, not another event, not print codes.
#[derive(Clone)]
pub struct DisplayKey {
    bytes: Zeroizing<[u8; DisplayKey::LEN]>,
}

impl DisplayKey {
    /// Length of a display key, in bytes.
    pub const LEN: usize = 32;

    /// Wraps display key bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// Wraps bytes that already live in zeroizing storage, without a copy
    /// that would outlive them.
    pub(crate) fn from_zeroizing(bytes: Zeroizing<[u8; Self::LEN]>) -> Self {
        Self { bytes }
    }

    /// Decodes a display key from unpadded base64url text (43 characters).
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        let decoded = decode_secret(text, Self::LEN, Self::LEN)?;
        let mut bytes = Zeroizing::new([0u8; Self::LEN]);
        bytes.copy_from_slice(&decoded);
        Ok(Self { bytes })
    }

    /// Encodes the secret as unpadded base64url, for handing to the ticket
    /// holder's phone over an authenticated channel. Treat the result as a
    /// secret.
    pub fn to_base64url(&self) -> String {
        b64::encode(&*self.bytes)
    }

    pub(crate) fn expose(&self) -> &[u8; Self::LEN] {
        &self.bytes
    }
}

impl fmt::Debug for DisplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DisplayKey(<32 secret bytes>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn key_id_validation() {
        assert_eq!(KeyId::new("k1").unwrap().as_str(), "k1");
        assert_eq!(KeyId::new("A_z-09").unwrap().to_string(), "A_z-09");
        assert!(KeyId::new(&"a".repeat(16)).is_ok());
        assert_eq!(KeyId::new(""), Err(KeyIdError::Empty));
        assert_eq!(
            KeyId::new(&"a".repeat(17)),
            Err(KeyIdError::TooLong { len: 17 })
        );
        for bad in ["k.1", "k 1", "k:1", "k/1", "k+1", "ké", "k\0"] {
            assert_eq!(
                KeyId::new(bad),
                Err(KeyIdError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn key_length_limits() {
        assert!(Key::from_bytes(&[7; 32]).is_ok());
        assert!(Key::from_bytes(&[7; 64]).is_ok());
        assert_eq!(
            Key::from_bytes(&[7; 31]).unwrap_err(),
            KeyError::TooShort { len: 31, min: 32 }
        );
        assert_eq!(
            Key::from_bytes(&[7; 65]).unwrap_err(),
            KeyError::TooLong { len: 65, max: 64 }
        );
    }

    #[test]
    fn key_from_base64url() {
        let text = b64::encode(&[0xab; 32]);
        let key = Key::from_base64url(&text).unwrap();
        assert!(key.is_keyed_with(&[0xab; 32]));
        assert_eq!(
            Key::from_base64url(&format!("{text}=")).unwrap_err(),
            KeyError::InvalidEncoding
        );
        assert_eq!(
            Key::from_base64url(&b64::encode(&[0xab; 16])).unwrap_err(),
            KeyError::TooShort { len: 16, min: 32 }
        );
    }

    #[test]
    fn debug_never_prints_secret_bytes() {
        let secret = [0xab_u8; 32];
        let key = Key::from_bytes(&secret).unwrap();
        let display = DisplayKey::from_bytes(secret);
        for debug in [
            format!("{key:?}"),
            format!("{key:#?}"),
            format!("{display:?}"),
        ] {
            assert!(!debug.contains("171"), "{debug}");
            assert!(!debug.to_lowercase().contains("abab"), "{debug}");
            assert!(!debug.contains(&b64::encode(&secret[..6])), "{debug}");
            assert!(debug.contains("secret"), "{debug}");
        }
    }

    #[test]
    fn display_key_round_trip() {
        let key = DisplayKey::from_bytes([9; 32]);
        let text = key.to_base64url();
        assert_eq!(text.len(), 43);
        assert_eq!(
            DisplayKey::from_base64url(&text).unwrap().expose(),
            &[9; 32]
        );
        assert!(DisplayKey::from_base64url(&b64::encode(&[9; 33])).is_err());
    }
}
