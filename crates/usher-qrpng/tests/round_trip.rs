//! Every rendered PNG is read back by independent decoders (png, then rqrr on its pixels)
//! to the text it was given, at the size the options ask; every other input is a typed
//! error, never a panic.

use proptest::prelude::*;
use usher_qrpng::{render_png, EcLevel, PngOptions, RenderError, MAX_BORDER, MAX_MODULE_PX};
// The same tests run on wasm under `wasm-pack test --node`.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A print code's shape, for the tests about sizes, where the text does not matter.
const TEXT: &str = "v1.p.dev2026.XwxvTo9VSlOdDio8HZp7EA.1767225600.b2tTfmQ0XwbJYu2Ld4J9gQ";

const LEVELS: [EcLevel; 4] = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H];

/// The decoded image: its side and one byte a pixel, 0 dark and 255 light.
fn pixels(png_bytes: &[u8]) -> (usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let info = reader.info();
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Grayscale, png::BitDepth::One)
    );
    assert_eq!(info.width, info.height, "not square");
    let side = info.width as usize;
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader
        .next_frame(&mut buf)
        .expect("valid image data, CRCs and Adler-32");
    assert_eq!(frame.buffer_size(), side * side);
    buf.truncate(side * side);
    (side, buf)
}

/// The text of the one QR code in the PNG, and the code's width in modules.
fn read(png_bytes: &[u8]) -> (usize, String) {
    let (side, px) = pixels(png_bytes);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| px[y * side + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (meta, text) = grids[0].decode().expect("a readable QR code");
    (17 + 4 * meta.version.0, text)
}

/// Renders, reads back and checks the text and the image's side.
fn round_trip(text: &str, options: PngOptions) {
    let png = render_png(text, options).expect("renders");
    let (modules, decoded) = read(&png);
    assert_eq!(decoded, text);
    let (side, px) = pixels(&png);
    let quiet = (options.border * options.module_px) as usize;
    assert_eq!(
        side,
        (modules + 2 * options.border as usize) * options.module_px as usize
    );
    // The quiet zone is light all round: the first and last rows and columns of it.
    if quiet > 0 {
        let edges = [0, side - 1];
        assert!(edges
            .iter()
            .all(|&e| (0..side).all(|i| px[e * side + i] == 255 && px[i * side + e] == 255)));
    }
}

/// A print code as `usher_qr` signs it, with the local stack's development key.
fn print_code() -> String {
    let ring: usher_qr::KeyRing = "dev2026:ouPtQp3_5T5B05GlkF811PuMjbWQh5PGZBTeoDxl-z0"
        .parse()
        .unwrap();
    let ticket = "5f0c6f4e-8f55-4a53-9d0e-2a3c1d9a7b10".parse().unwrap();
    let event = "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98".parse().unwrap();
    usher_qr::sign_print(&ring, &ticket, &event, 1_767_225_600).unwrap()
}

#[test]
fn a_signed_print_code_round_trips_at_the_default_size() {
    let code = print_code();
    assert!(code.starts_with("v1.p.dev2026."), "{code}");
    round_trip(&code, PngOptions::default());
}

#[test]
fn every_level_round_trips() {
    for ec_level in LEVELS {
        round_trip(
            &print_code(),
            PngOptions {
                ec_level,
                ..PngOptions::default()
            },
        );
    }
}

#[test]
fn multi_byte_utf8_round_trips() {
    // qrcode's automatic modes would put part of these bytes in kanji mode. rqrr hands kanji
    // back as their Shift JIS bytes, so it cannot tell; tests/qr_png_test.ts reads the same
    // text with jsQR, which decodes them and would see other characters.
    round_trip("日本語のチケット 入場券", PngOptions::default());
}

#[test]
fn the_longest_text_of_each_level_renders_as_version_40_and_one_byte_more_is_refused() {
    for ec_level in LEVELS {
        let max = ec_level.max_bytes();
        let options = PngOptions {
            module_px: 2,
            ec_level,
            ..PngOptions::default()
        };
        let longest = "x".repeat(max);
        let (modules, decoded) = read(&render_png(&longest, options).unwrap());
        assert_eq!((modules, decoded.len()), (177, max));
        let err = render_png(&format!("{longest}x"), options).unwrap_err();
        assert_eq!(err, RenderError::TooLong { len: max + 1, max });
    }
    // The limit counts bytes of UTF-8, not characters.
    let two_byte = "é".repeat(EcLevel::M.max_bytes() / 2 + 1);
    assert!(matches!(
        render_png(&two_byte, PngOptions::default()),
        Err(RenderError::TooLong { .. })
    ));
}

#[test]
fn errors_say_what_was_wrong() {
    let max = EcLevel::M.max_bytes();
    let cases = [
        (
            "",
            PngOptions::default(),
            "text must not be empty".to_string(),
        ),
        (
            &*"x".repeat(max + 1),
            PngOptions::default(),
            format!(
                "text must be at most {max} bytes for a QR code at this level, got {}",
                max + 1
            ),
        ),
        (
            "x",
            PngOptions {
                module_px: 0,
                ..PngOptions::default()
            },
            "module size must be from 1 to 32 pixels, got 0".into(),
        ),
        (
            "x",
            PngOptions {
                border: 17,
                ..PngOptions::default()
            },
            "border must be at most 16 modules, got 17".into(),
        ),
    ];
    for (text, options, message) in cases {
        assert_eq!(render_png(text, options).unwrap_err().to_string(), message);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_text_round_trips_or_is_refused(
        text in "\\PC{0,300}",
        // rqrr misreads some large symbols at one pixel a module; the property below shows
        // every other size is the same symbol scaled.
        module_px in 2u32..=3,
        border in 1u32..=4,
        level in 0usize..4,
    ) {
        let options = PngOptions { module_px, border, ec_level: LEVELS[level] };
        match render_png(&text, options) {
            Ok(_) => round_trip(&text, options),
            Err(RenderError::Empty) => prop_assert!(text.is_empty()),
            Err(e) => prop_assert!(text.len() > LEVELS[level].max_bytes(), "{e}"),
        }
    }

    #[test]
    fn options_out_of_range_are_refused_and_in_range_scale_and_frame_the_symbol(
        module_px in 0u32..=MAX_MODULE_PX + 8,
        border in 0u32..=MAX_BORDER + 8,
    ) {
        // The symbol at one pixel a module and no border is the reference every other
        // size must blow up and frame exactly.
        let bare = PngOptions { module_px: 1, border: 0, ..PngOptions::default() };
        let (modules, symbol) = pixels(&render_png(TEXT, bare).unwrap());
        let options = PngOptions { module_px, border, ..PngOptions::default() };
        let rendered = render_png(TEXT, options);
        if module_px == 0 || module_px > MAX_MODULE_PX {
            prop_assert_eq!(rendered, Err(RenderError::ModulePx(module_px)));
        } else if border > MAX_BORDER {
            prop_assert_eq!(rendered, Err(RenderError::Border(border)));
        } else {
            let (side, px) = pixels(&rendered.unwrap());
            let (scale, border) = (module_px as usize, border as usize);
            prop_assert_eq!(side, (modules + 2 * border) * scale);
            for (i, &p) in px.iter().enumerate() {
                let (x, y) = ((i % side) / scale, (i / side) / scale);
                let inside = (border..border + modules).contains(&x) && (border..border + modules).contains(&y);
                let want = if inside { symbol[(y - border) * modules + x - border] } else { 255 };
                prop_assert_eq!(p, want, "pixel {} of {}", i, side);
            }
        }
    }
}
