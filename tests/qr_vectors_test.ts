// Both builds of the wasm core against the golden vectors, through the one typed API
// (edge-functions/_shared/core/api.ts): the embedded build as the edge functions load it
// (_shared/wasm.ts) and pkg/web as the browser loads it (web/src/core/usher.ts). And each
// vector's MAC against WebCrypto's HMAC-SHA256 (a reference implementation the core shares
// no code with).
import assert from "node:assert/strict";
import { memory } from "../pkg/deno/mod.js";
import type { UsherCore } from "../edge-functions/_shared/core/api.ts";
import * as functions from "../edge-functions/_shared/wasm.ts";
import { loadCore } from "../web/src/core/usher.ts";
import * as base64url from "./support/base64url.ts";
import * as hex from "./support/hex.ts";
// @ts-types="./vectors/check_qr_vectors.d.mts"
import { checkQrVectors, qrVectors } from "./vectors/check_qr_vectors.mjs";

const builds: [string, UsherCore][] = [["edge functions", functions], ["browser", await loadCore()]];

for (const [build, core] of builds) {
  Deno.test(`${build}: every golden vector`, () => {
    const checks = checkQrVectors(
      { ring: (k) => new core.QrKeys(k), signLive: core.signLive, liveIat: core.liveIat },
      assert,
    );
    assert.ok(checks > 60, `only ${checks} checks`);
  });

  Deno.test(`${build}: characters beyond ASCII and codes longer than the buffer are malformed, as the core says`, () => {
    const t = qrVectors.tickets[0];
    const keys = new core.QrKeys(t.signing_keys);
    const code: string = t.print_code;
    assert.equal(keys.verify(code, t.event_id, t.iat).ok, true);
    // Each character swapped for one whose low byte is the original's, so a lossy copy would pass.
    for (let i = 0; i < code.length; i++) {
      for (const wide of [String.fromCharCode(0x100 | code.charCodeAt(i)), "é", "\u{1F600}", "\uD800"]) {
        const bad = code.slice(0, i) + wide + code.slice(i + 1);
        assert.deepEqual(keys.verify(bad, t.event_id, t.iat), { ok: false, reason: "malformed" }, bad);
        assert.equal(core.claimedTicket(bad), null, "the core's own parse of the text refuses it too");
      }
    }
    const longer = [
      code + ".".repeat(96 - code.length),
      code + ".".repeat(97 - code.length),
      code.repeat(40),
      // Fewer than 96 characters, more than 96 bytes of UTF-8.
      code + "é".repeat(Math.ceil((97 - code.length) / 2)),
    ];
    for (const long of longer) {
      assert.deepEqual(keys.verify(long, t.event_id, t.iat), { ok: false, reason: "malformed" });
    }
    assert.throws(() => keys.verify(code, "not-a-uuid", t.iat), TypeError);
    assert.equal(keys.verify(code, t.event_id, t.iat).ok, true, "a refused event leaves the last one usable");
    assert.throws(() => keys.verify(code, t.event_id, 1.5), TypeError);
  });

  Deno.test(`${build}: a bad signing-key secret is a TypeError that does not echo the key`, () => {
    const secret = "k1:c2hvcnQta2V5";
    assert.throws(() => new core.QrKeys(secret), (e) => e instanceof TypeError && !e.message.includes("c2hvcnQta2V5"));
  });
}

// QrKeys hands the core each code through one buffer in wasm memory and the event once per
// change; a ring reused across every case, every event and a growth of the memory must answer
// exactly what a fresh ring answers. (In the edge functions' build, whose memory this test can
// grow: the browser's binding keeps its instance to itself.)
Deno.test("one QrKeys reused across codes, events and memory growth answers as fresh ones", () => {
  const shared = new Map<string, functions.QrKeys>();
  const cases = [...qrVectors.verify_cases, ...qrVectors.verify_cases.toReversed()];
  cases.forEach((c: { signing_keys: string; code: string; event_id: string; now: number }, i: number) => {
    if (i === qrVectors.verify_cases.length) memory.grow(4);
    const keys = shared.get(c.signing_keys) ?? new functions.QrKeys(c.signing_keys);
    shared.set(c.signing_keys, keys);
    // Each code, then a shorter one after it, of which nothing of the longer may be read.
    for (const code of [c.code, c.code.slice(0, -1)]) {
      assert.deepEqual(
        keys.verify(code, c.event_id, c.now),
        new functions.QrKeys(c.signing_keys).verify(code, c.event_id, c.now),
      );
    }
  });
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
