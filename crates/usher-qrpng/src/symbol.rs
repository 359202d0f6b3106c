//! The text as a QR symbol, always in byte mode.
//!
//! qrcode's automatic segmentation reads some UTF-8 byte pairs as Shift JIS kanji, which a
//! decoder then turns into other characters; and a print code is mixed-case base64url,
//! which only byte mode holds (alphanumeric mode is upper case only), so it loses nothing.

use qrcode::bits::Bits;
use qrcode::types::Mode;
use qrcode::{QrCode, Version};

use crate::{EcLevel, RenderError};

impl EcLevel {
    /// The most bytes version 40 holds at this level (ISO/IEC 18004, table 7).
    pub const fn max_bytes(self) -> usize {
        match self {
            EcLevel::L => 2953,
            EcLevel::M => 2331,
            EcLevel::Q => 1663,
            EcLevel::H => 1273,
        }
    }

    fn qr(self) -> qrcode::EcLevel {
        match self {
            EcLevel::L => qrcode::EcLevel::L,
            EcLevel::M => qrcode::EcLevel::M,
            EcLevel::Q => qrcode::EcLevel::Q,
            EcLevel::H => qrcode::EcLevel::H,
        }
    }
}

/// The smallest symbol that holds `text` at `level`.
pub fn symbol(text: &[u8], level: EcLevel) -> Result<QrCode, RenderError> {
    let too_long = RenderError::TooLong {
        len: text.len(),
        max: level.max_bytes(),
    };
    if text.is_empty() {
        return Err(RenderError::Empty);
    }
    let ec = level.qr();
    // The mode indicator, the count and the bytes, against each version's data capacity:
    // no version fits more than `max_bytes`, which the tests check for every level.
    let fits = |v: &Version| {
        let bits = 4 + Mode::Byte.length_bits_count(*v) + 8 * text.len();
        Bits::new(*v).max_len(ec).is_ok_and(|cap| bits <= cap)
    };
    let version = (1..=40).map(Version::Normal).find(fits).ok_or(too_long)?;
    let mut bits = Bits::new(version);
    // Neither push can fail for a version chosen to fit, and with_bits only for a bad version.
    bits.push_byte_data(text).map_err(|_| too_long)?;
    bits.push_terminator(ec).map_err(|_| too_long)?;
    QrCode::with_bits(bits, ec).map_err(|_| too_long)
}
