// Reads a QR-code PNG back with decoders the core shares no code with (fast-png for the
// file, jsQR for the symbol, as a browser-based scanner would), for the tests of the image
// and of the ticket e-mail that carries it.
import assert from "node:assert/strict";
import { decode } from "npm:fast-png@8.0.0";
import jsQRModule from "npm:jsqr@1.4.0";

// jsQR's UMD build exports the function itself, while its types declare it the default export.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

/** The text jsQR reads in the PNG, the symbol's width in modules and the image's side. */
export function readQrPng(png: Uint8Array): { text: string; modules: number; side: number } {
  const image = decode(png);
  assert.deepEqual([image.depth, image.channels, image.width], [1, 1, image.height], "a square 1-bit gray PNG");
  // fast-png keeps one bit a pixel, rows padded to a byte; jsQR wants RGBA.
  const side = image.width, rowBytes = Math.ceil(side / 8);
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const light = image.data[y * rowBytes + (x >> 3)] & (0x80 >> (x & 7));
      rgba.fill(light ? 255 : 0, (y * side + x) * 4, (y * side + x) * 4 + 3);
      rgba[(y * side + x) * 4 + 3] = 255;
    }
  }
  const found = jsQR(rgba, side, side);
  assert.ok(found, "jsQR finds a QR code");
  return { text: found.data, modules: 17 + 4 * found.version, side };
}
