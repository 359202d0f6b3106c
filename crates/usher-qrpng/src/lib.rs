//! A ticket's print code as a QR-code PNG, for the ticket e-mail's inline image that a
//! door scanner reads.
//!
//! ```
//! use usher_qrpng::{render_png, PngOptions};
//!
//! let png = render_png("v1.p.dev2026.example", PngOptions::default()).unwrap();
//! assert!(png.starts_with(b"\x89PNG"));
//! ```
//!
//! The matrix comes from `qrcode` (without its `image` feature), always in byte mode
//! (see `symbol.rs`). The PNG is this crate's own: 1-bit grayscale in stored, uncompressed
//! deflate blocks, with its CRC-32 and Adler-32 (`png.rs`). The wasm module ships to every
//! edge function and browser and was 79.4 KB without this crate; measured there, qrcode with
//! the `png` crate's encoder made it 177.7 KB, with `miniz_oxide`'s deflate 127.8 KB, and
//! with stored blocks 105.9 KB, nearly all of the growth qrcode's. Stored blocks cost the
//! image's size instead: a print code is a 37-module symbol, 360 pixels square with its
//! quiet zone at 8 pixels a module, and 16.6 KB of PNG where deflate would make 0.5 KB.
//! An e-mail carries that once per ticket; every cold start would carry the deflater.
//!
//! Every input is answered, never with a panic: empty text, text longer than version 40
//! holds at the level, and options out of range are typed [`RenderError`]s.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod png;
mod raster;
mod symbol;

pub use error::RenderError;

/// Error-correction level: the share of the symbol that may be damaged and still read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EcLevel {
    /// About 7 %.
    L,
    /// About 15 %, the usual level for print: room for a smudge or a fold.
    #[default]
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

/// How to draw the symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PngOptions {
    /// Pixels per module, from 1 to [`MAX_MODULE_PX`]. Default 8.
    pub module_px: u32,
    /// Light modules around the symbol, at most [`MAX_BORDER`]. Default 4, the quiet zone
    /// the QR spec asks for.
    pub border: u32,
    /// Default [`EcLevel::M`].
    pub ec_level: EcLevel,
}

impl Default for PngOptions {
    fn default() -> Self {
        PngOptions {
            module_px: 8,
            border: 4,
            ec_level: EcLevel::M,
        }
    }
}

/// Largest [`PngOptions::module_px`].
pub const MAX_MODULE_PX: u32 = 32;

/// Largest [`PngOptions::border`].
pub const MAX_BORDER: u32 = 16;

/// Renders `text` as the smallest QR code that holds it at the options' level, in a PNG
/// `(modules + 2 * border) * module_px` pixels square.
pub fn render_png(text: &str, options: PngOptions) -> Result<Vec<u8>, RenderError> {
    if !(1..=MAX_MODULE_PX).contains(&options.module_px) {
        return Err(RenderError::ModulePx(options.module_px));
    }
    if options.border > MAX_BORDER {
        return Err(RenderError::Border(options.border));
    }
    let code = symbol::symbol(text.as_bytes(), options.ec_level)?;
    let (side, scanlines) =
        raster::scanlines(&code, options.module_px as usize, options.border as usize);
    Ok(png::encode(side, &scanlines))
}
