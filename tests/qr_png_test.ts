// The ticket e-mail's QR image through the wasm build the functions load: a real signed
// print code rendered by qrPng and read back by decoders the core shares no code with
// (fast-png for the file, jsQR for the symbol, as a browser-based scanner would).
import assert from "node:assert/strict";
import { QrKeys, qrPng } from "../edge-functions/_shared/wasm.ts";
import { readQrPng as read } from "./support/qr_image.ts";

const signingKeys = Deno.readTextFileSync(new URL("../tools/local/secrets.env", import.meta.url))
  .match(/^QR_SIGNING_KEYS=(.*)$/m)![1];

Deno.test("a signed print code reads back from its PNG, with a 4-module quiet zone at 8 px a module", () => {
  const code = new QrKeys(signingKeys).signPrint(crypto.randomUUID(), crypto.randomUUID(), 1_767_225_600);
  assert.match(code, /^v1\.p\.dev2026\./);
  const { text, modules, side } = read(qrPng(code));
  assert.equal(text, code);
  assert.equal(side, (modules + 2 * 4) * 8);
});

Deno.test("other module sizes scale the image, and non-ASCII text survives as UTF-8", () => {
  // qrcode's automatic modes would encode part of these UTF-8 bytes as kanji, which jsQR
  // reads back as Shift JIS: "日本隱槭…". The core puts every text in byte mode.
  const text = "日本語のチケット 入場券";
  for (const modulePx of [3, 5]) {
    const got = read(qrPng(text, modulePx));
    assert.equal(got.text, text);
    assert.equal(got.side, (got.modules + 8) * modulePx);
  }
});

Deno.test("empty and over-long text and a bad module size are refused with a TypeError saying why", () => {
  assert.throws(() => qrPng("x".repeat(2332)), {
    name: "TypeError",
    message: "text must be at most 2331 bytes for a QR code at this level, got 2332",
  });
  assert.throws(() => qrPng(""), { name: "TypeError", message: "text must not be empty" });
  assert.throws(() => qrPng("x", 0), { name: "TypeError", message: "module size must be from 1 to 32 pixels, got 0" });
  assert.throws(() => qrPng("x", 1.5), {
    name: "TypeError",
    message: "modulePx must be an integer from 0 to 2^32-1, got 1.5",
  });
});
