// The browser build (pkg/web), loaded in Node as a page would load it, against the same
// golden vectors as the Rust crate and the Deno build.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { initSync, QrKeyRing, qrLiveIat, qrReasons, qrSignLive } from "../../pkg/web/usher.js";
import { checkQrVectors } from "../vectors/check_qr_vectors.mjs";

const { memory } = initSync({ module: readFileSync(new URL("../../pkg/web/usher_bg.wasm", import.meta.url)) });

// The core reads the code from the ring's verify buffer in wasm memory and answers 0 (print)
// or 1 (live) with the ticket's bytes after the code, or 2 + a reason's index; this is what
// edge-functions/_shared/wasm.ts does, written again over the browser build.
function ring(keys) {
  const r = new QrKeyRing(keys);
  return {
    signPrint: (t, e, iat) => r.signPrint(t, e, iat),
    displayKey: (t, e) => r.displayKey(t, e),
    verify(code, e, now) {
      r.setEvent(e);
      const io = new Uint8Array(memory.buffer, r.ioAddress, r.ticketOffset + 16);
      const { read, written } = new TextEncoder().encodeInto(code, io.subarray(0, r.ticketOffset));
      const status = r.verify(read === code.length ? written : r.ticketOffset + 1, now);
      if (status > 1) return { ok: false, reason: qrReasons()[status - 2] };
      const h = Buffer.from(io.subarray(r.ticketOffset)).toString("hex");
      const ticketId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      return { ok: true, kind: status === 0 ? "print" : "live", ticketId };
    },
  };
}

test("the browser build matches every golden vector", () => {
  const checks = checkQrVectors({ ring, signLive: qrSignLive, liveIat: qrLiveIat }, assert);
  assert.ok(checks > 60, `only ${checks} checks`);
});

test("a bad signing-key secret is a TypeError that does not echo the key", () => {
  const secret = "k1:c2hvcnQta2V5";
  assert.throws(() => new QrKeyRing(secret), (e) => e instanceof TypeError && !e.message.includes("c2hvcnQta2V5"));
});
