// The browser build (pkg/web), loaded in Node as a page would load it, against the same
// golden vectors as the Rust crate and the Deno build.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { initSync, QrKeyRing, qrLiveIat, qrSignLive } from "../../pkg/web/usher.js";
import { checkQrVectors } from "../vectors/check_qr_vectors.mjs";

initSync({ module: readFileSync(new URL("../../pkg/web/usher_bg.wasm", import.meta.url)) });

test("the browser build matches every golden vector", () => {
  const checks = checkQrVectors({ ring: (k) => new QrKeyRing(k), signLive: qrSignLive, liveIat: qrLiveIat }, assert);
  assert.ok(checks > 60, `only ${checks} checks`);
});

test("a bad signing-key secret is a TypeError that does not echo the key", () => {
  const secret = "k1:c2hvcnQta2V5";
  assert.throws(() => new QrKeyRing(secret), (e) => e instanceof TypeError && !e.message.includes("c2hvcnQta2V5"));
});
