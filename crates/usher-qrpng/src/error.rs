use core::fmt;

use crate::{MAX_BORDER, MAX_MODULE_PX};

/// Why a text was not rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderError {
    /// There is no text to encode.
    Empty,
    /// The text has `len` bytes, more than the `max` that version 40 holds at the level.
    TooLong {
        /// The text's length in bytes.
        len: usize,
        /// The most version 40 holds at the requested level, in bytes.
        max: usize,
    },
    /// The module size is outside 1 to [`MAX_MODULE_PX`].
    ModulePx(u32),
    /// The border is over [`MAX_BORDER`].
    Border(u32),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Empty => f.write_str("text must not be empty"),
            RenderError::TooLong { len, max } => {
                write!(
                    f,
                    "text must be at most {max} bytes for a QR code at this level, got {len}"
                )
            }
            RenderError::ModulePx(px) => {
                write!(
                    f,
                    "module size must be from 1 to {MAX_MODULE_PX} pixels, got {px}"
                )
            }
            RenderError::Border(b) => {
                write!(f, "border must be at most {MAX_BORDER} modules, got {b}")
            }
        }
    }
}

impl std::error::Error for RenderError {}
