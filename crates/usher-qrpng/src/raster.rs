//! The symbol as PNG scanlines: one bit a pixel, dark 0 and light 1 as PNG grayscale has them.

use qrcode::{Color, QrCode};

/// The image's side in pixels and its scanlines, each a filter byte (0, none) and then
/// the row's pixels, eight to a byte from the high bit, the last byte padded light.
pub fn scanlines(code: &QrCode, module_px: usize, border: usize) -> (usize, Vec<u8>) {
    let modules = code.width();
    let side = (modules + 2 * border) * module_px;
    let row_len = 1 + side.div_ceil(8);
    let mut data = vec![0xff; row_len * side];
    for (y, module_row) in code.to_colors().chunks(modules).enumerate() {
        let first = (border + y) * module_px * row_len;
        let row = &mut data[first..first + row_len];
        for (x, _) in module_row
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == Color::Dark)
        {
            for col in (border + x) * module_px..(border + x + 1) * module_px {
                row[1 + col / 8] &= !(0x80 >> (col % 8));
            }
        }
        // A module is `module_px` rows tall: the first row drawn, then copied below.
        for copy in 1..module_px {
            data.copy_within(first..first + row_len, first + copy * row_len);
        }
    }
    for row in data.chunks_mut(row_len) {
        row[0] = 0;
    }
    (side, data)
}
