// The edge functions' wasm build against the golden vectors, and each vector's MAC against
// WebCrypto's HMAC-SHA256 (a reference implementation the core shares no code with).
import assert from "node:assert/strict";
import { liveIat, QrKeys, signLive } from "../edge-functions/_shared/wasm.ts";
import * as base64url from "./support/base64url.ts";
import * as hex from "./support/hex.ts";
// @ts-types="./vectors/check_qr_vectors.d.mts"
import { checkQrVectors, qrVectors } from "./vectors/check_qr_vectors.mjs";

Deno.test("the Deno wasm build matches every golden vector", () => {
  const checks = checkQrVectors({ ring: (k: string) => new QrKeys(k), signLive, liveIat }, assert);
  assert.ok(checks > 60, `only ${checks} checks`);
});

async function hmac128(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", k, data)).slice(0, 16));
}

Deno.test("every vector's MAC equals WebCrypto's truncated HMAC-SHA256", async () => {
  for (const t of qrVectors.tickets) {
    const master = base64url.decode(t.signing_keys.split(",")[0].split(":")[1]);
    assert.equal(await hmac128(master, hex.decode(t.print_mac_input_hex)), t.print_code.split(".")[5]);
    for (const live of t.live_codes) {
      assert.equal(
        await hmac128(base64url.decode(t.display_key), hex.decode(live.mac_input_hex)),
        live.code.split(".")[5],
      );
    }
  }
});
