//! The key ring: every master key a verifier accepts, and the one that signs.

use core::fmt;
use core::str::FromStr;

use crate::b64;
use crate::key::{Key, KeyError, KeyId, KeyIdError};

/// Error returned when a key ring cannot be built.
///
/// Entries are numbered from 1 in the order they appear in
/// `QR_SIGNING_KEYS`. Messages name entries by number or by (validated) key
/// id and never include key bytes, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRingError {
    /// The text holds no entry at all.
    Empty,
    /// An entry is empty or only whitespace, as in `a:…,,b:…` or a trailing
    /// comma. This is an error rather than skipped because it usually means a
    /// key was lost while the secret was being edited.
    EmptyEntry {
        /// Number of the entry, from 1.
        entry: usize,
    },
    /// An entry has no `:` between key id and key.
    MissingSeparator {
        /// Number of the entry, from 1.
        entry: usize,
    },
    /// An entry's key id is invalid.
    InvalidKeyId {
        /// Number of the entry, from 1.
        entry: usize,
        /// What is wrong with it.
        error: KeyIdError,
    },
    /// Two entries share a key id.
    DuplicateKeyId {
        /// The repeated key id.
        kid: KeyId,
    },
    /// An entry's key is not 32 to 64 bytes of unpadded base64url.
    InvalidKey {
        /// The key id of the entry.
        kid: KeyId,
        /// What is wrong with the key.
        error: KeyError,
    },
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("QR signing keys: no key given"),
            Self::EmptyEntry { entry } => write!(f, "QR signing keys: entry {entry} is empty"),
            Self::MissingSeparator { entry } => write!(
                f,
                "QR signing keys: entry {entry} is not of the form kid:base64url_key"
            ),
            Self::InvalidKeyId { entry, error } => {
                write!(f, "QR signing keys: entry {entry}: {error}")
            }
            Self::DuplicateKeyId { kid } => {
                write!(f, "QR signing keys: key id {kid} appears more than once")
            }
            Self::InvalidKey { kid, error } => {
                write!(f, "QR signing keys: key {kid}: {error}")
            }
        }
    }
}

impl std::error::Error for KeyRingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidKeyId { error, .. } => Some(error),
            Self::InvalidKey { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The master keys a service holds, by key id.
///
/// Exactly one key is active: it signs every new code. The others only
/// verify, which is what lets keys rotate without invalidating codes already
/// issued. A key that has been retired is simply left out of the ring, so a
/// code carrying its id fails as [`Reason::UnknownKey`](crate::Reason::UnknownKey),
/// the same as an id that never existed.
///
/// `Debug` lists key ids only.
#[derive(Clone)]
pub struct KeyRing {
    /// The active key comes first; the order of the rest is the order they
    /// were given in.
    keys: Vec<(KeyId, Key)>,
}

impl KeyRing {
    /// A ring with one key, which is active.
    pub fn new(kid: KeyId, key: Key) -> Self {
        Self {
            keys: vec![(kid, key)],
        }
    }

    /// Parses the `QR_SIGNING_KEYS` secret: `kid1:base64url_key,kid2:base64url_key`.
    ///
    /// The first entry is the active signing key; the others only verify.
    /// Whitespace around entries and around the `:` is ignored. Keys are
    /// unpadded base64url of 32 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyRingError> {
        if text.trim().is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut keys: Vec<(KeyId, Key)> = Vec::new();
        for (index, entry) in text.split(',').enumerate() {
            let entry_no = index + 1;
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(KeyRingError::EmptyEntry { entry: entry_no });
            }
            let (kid, key) = entry
                .split_once(':')
                .ok_or(KeyRingError::MissingSeparator { entry: entry_no })?;
            let kid = KeyId::new(kid.trim()).map_err(|error| KeyRingError::InvalidKeyId {
                entry: entry_no,
                error,
            })?;
            if keys.iter().any(|(known, _)| *known == kid) {
                return Err(KeyRingError::DuplicateKeyId { kid });
            }
            let key = Key::from_base64url(key.trim())
                .map_err(|error| KeyRingError::InvalidKey { kid, error })?;
            keys.push((kid, key));
        }
        // Not empty: the text was not blank, and every entry either became a key or
        // returned an error above.
        Ok(Self { keys })
    }

    /// The id of the active signing key.
    pub fn active_kid(&self) -> &KeyId {
        self.active().0
    }

    /// Whether the ring holds a key with this id.
    pub fn contains(&self, kid: &KeyId) -> bool {
        self.get(kid).is_some()
    }

    /// All key ids, the active one first.
    pub fn kids(&self) -> impl Iterator<Item = &KeyId> + '_ {
        self.keys.iter().map(|(kid, _)| kid)
    }

    pub(crate) fn active(&self) -> (&KeyId, &Key) {
        // The constructors guarantee at least one key; `keys` is private.
        let (kid, key) = &self.keys[0];
        (kid, key)
    }

    pub(crate) fn get(&self, kid: &KeyId) -> Option<&Key> {
        // Key ids are public, so a plain (non constant-time) search is fine.
        self.keys
            .iter()
            .find(|(candidate, _)| candidate == kid)
            .map(|(_, key)| key)
    }
}

impl FromStr for KeyRing {
    type Err = KeyRingError;

    fn from_str(text: &str) -> Result<Self, KeyRingError> {
        Self::parse(text)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", self.active_kid())
            .field(
                "verify_only",
                &self.keys[1..]
                    .iter()
                    .map(|(kid, _)| kid)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Formats a new `QR_SIGNING_KEYS` entry, `kid:base64url_key`, from 32 bytes
/// of caller-supplied randomness.
///
/// The crate never draws randomness itself; the caller must pass bytes from a
/// cryptographically secure generator (for example `getrandom`, or
/// `openssl rand 32`). The result is a secret.
pub fn generate_key_material(kid: &KeyId, random: [u8; 32]) -> String {
    let mut entry = String::with_capacity(KeyId::MAX_LEN + 1 + b64::encoded_len(32));
    entry.push_str(kid.as_str());
    entry.push(':');
    b64::encode_into(&random, &mut entry);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn entry(kid: &str, byte: u8) -> String {
        generate_key_material(&KeyId::new(kid).unwrap(), [byte; 32])
    }

    #[test]
    fn first_entry_is_active() {
        let text = format!("{},{}", entry("new", 1), entry("old", 2));
        let ring = KeyRing::parse(&text).unwrap();
        assert_eq!(ring.active_kid().as_str(), "new");
        let kids: Vec<&str> = ring.kids().map(|k| k.as_str()).collect();
        assert_eq!(kids, ["new", "old"]);
        assert!(ring
            .get(&KeyId::new("old").unwrap())
            .unwrap()
            .is_keyed_with(&[2; 32]));
        assert!(!ring.contains(&KeyId::new("gone").unwrap()));
    }

    #[test]
    fn whitespace_around_entries_is_ignored() {
        let text = format!(
            " \n{} ,\t{}\n",
            entry("a", 1),
            entry("b", 2).replace(':', " : ")
        );
        let ring = KeyRing::parse(&text).unwrap();
        assert_eq!(ring.kids().count(), 2);
    }

    #[test]
    fn generated_entry_shape() {
        let text = entry("k2026", 0xff);
        assert_eq!(text, format!("k2026:{}", "_".repeat(42) + "8"));
        assert!(KeyRing::parse(&text).is_ok());
    }

    #[test]
    fn typed_errors() {
        let good = entry("a", 1);
        let short = format!("b:{}", b64::encode(&[0x5c; 31]));
        let long = format!("b:{}", b64::encode(&[0x5c; 65]));
        let cases = [
            (String::new(), KeyRingError::Empty),
            ("  \n ".to_string(), KeyRingError::Empty),
            (format!("{good},"), KeyRingError::EmptyEntry { entry: 2 }),
            (format!(",{good}"), KeyRingError::EmptyEntry { entry: 1 }),
            (
                format!("{good},,{}", entry("b", 2)),
                KeyRingError::EmptyEntry { entry: 2 },
            ),
            (
                format!("{good},bkey"),
                KeyRingError::MissingSeparator { entry: 2 },
            ),
            (
                format!("{good},{}", entry("a", 2)),
                KeyRingError::DuplicateKeyId {
                    kid: KeyId::new("a").unwrap(),
                },
            ),
            (
                format!("{good},b.1:{}", b64::encode(&[1; 32])),
                KeyRingError::InvalidKeyId {
                    entry: 2,
                    error: KeyIdError::InvalidCharacter,
                },
            ),
            (
                format!(":{}", b64::encode(&[1; 32])),
                KeyRingError::InvalidKeyId {
                    entry: 1,
                    error: KeyIdError::Empty,
                },
            ),
            (
                short.clone(),
                KeyRingError::InvalidKey {
                    kid: KeyId::new("b").unwrap(),
                    error: KeyError::TooShort { len: 31, min: 32 },
                },
            ),
            (
                long.clone(),
                KeyRingError::InvalidKey {
                    kid: KeyId::new("b").unwrap(),
                    error: KeyError::TooLong { len: 65, max: 64 },
                },
            ),
            (
                format!("b:{}=", b64::encode(&[1; 32])),
                KeyRingError::InvalidKey {
                    kid: KeyId::new("b").unwrap(),
                    error: KeyError::InvalidEncoding,
                },
            ),
            (
                format!("b:{}", b64::encode(&[1; 32]).replace('B', "+")),
                KeyRingError::InvalidKey {
                    kid: KeyId::new("b").unwrap(),
                    error: KeyError::InvalidEncoding,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(KeyRing::parse(&text).unwrap_err(), expected, "{text:?}");
        }
    }

    #[test]
    fn error_messages_never_include_key_text() {
        let key_text = b64::encode(&[0x5c; 31]);
        let secret_looking = [
            format!("k:{key_text}"),
            key_text.clone(),
            format!("{key_text}:{key_text}"),
            format!("k:{key_text}="),
            format!("a:{},a:{key_text}", b64::encode(&[1; 32])),
        ];
        for text in secret_looking {
            let message = KeyRing::parse(&text).unwrap_err().to_string();
            assert!(!message.contains(&key_text[..8]), "{message}");
        }
    }

    #[test]
    fn debug_lists_key_ids_only() {
        let ring =
            KeyRing::parse(&format!("{},{}", entry("new", 0xab), entry("old", 0xab))).unwrap();
        let debug = format!("{ring:?}");
        assert_eq!(
            debug,
            r#"KeyRing { active: KeyId("new"), verify_only: [KeyId("old")] }"#
        );
    }
}
