// µs per ticket-code verification in Deno: the wasm core against two peers doing the same
// work (parse, rebuild the MAC input, HMAC-SHA256, compare 16 bytes) in TypeScript, with
// WebCrypto and with @noble/hashes. Also the wasm module's size and instantiation time.
import { hmac } from "npm:@noble/hashes@2.4.0/hmac.js";
import { sha256 } from "npm:@noble/hashes@2.4.0/sha2.js";
import { QrKeys } from "../../edge-functions/_shared/wasm.ts";
import * as base64url from "../support/base64url.ts";
import * as hex from "../support/hex.ts";
import { report } from "./lib/report.ts";

const keyB64 = "pYDvyjEce6aN6NcyGUSjjvXQPxpBrIv23ThnQqmU894";
const keys = new QrKeys(`k2026:${keyB64}`);
const eventId = "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98";
const now = 1_767_225_600;
const codes = Array.from({ length: 1000 }, () => keys.signPrint(crypto.randomUUID(), eventId, now));

const eventBytes = hex.decode(eventId.replace(/-/g, ""));
const prefix = new TextEncoder().encode("usher-qr\0v1");

// The MAC input exactly as docs/qr-format.md lays it out.
function macInput(code: string): { input: Uint8Array<ArrayBuffer>; mac: Uint8Array } {
  const [, kind, kid, tid, iat, mac] = code.split(".");
  const kidBytes = new TextEncoder().encode(kid);
  const input = new Uint8Array(prefix.length + 1 + 1 + kidBytes.length + 16 + 16 + 8);
  let o = 0;
  input.set(prefix, o), (o += prefix.length);
  input[o++] = kind.charCodeAt(0);
  input[o++] = kidBytes.length;
  input.set(kidBytes, o), (o += kidBytes.length);
  input.set(base64url.decode(tid), o), (o += 16);
  input.set(eventBytes, o), (o += 16);
  new DataView(input.buffer).setBigUint64(o, BigInt(iat));
  return { input, mac: base64url.decode(mac) };
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < 16; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const webKey = await crypto.subtle.importKey(
  "raw",
  base64url.decode(keyB64),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign"],
);
const nobleKey = base64url.decode(keyB64);

// The median of five timed passes over the codes, each pass `rounds` times through them:
// WebCrypto's latency swings with how fast its worker thread wakes, so one pass misleads.
async function time(
  name: string,
  rounds: number,
  verify: (code: string) => boolean | Promise<boolean>,
): Promise<number> {
  for (const c of codes.slice(0, 200)) if (!(await verify(c))) throw new Error(`${name} rejected a good code`);
  const passes = [];
  for (let p = 0; p < 5; p++) {
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const c of codes) {
        // Only WebCrypto is asynchronous; awaiting the others would add a microtask each.
        const ok = verify(c);
        if (ok instanceof Promise) await ok;
      }
    }
    passes.push(((performance.now() - started) * 1000) / (rounds * codes.length));
  }
  const us = passes.sort((a, b) => a - b)[2];
  report(
    `qr_verify_${name}_us_per_code`,
    us.toFixed(3),
    `µs (median of 5; range ${passes[0].toFixed(1)}–${passes[4].toFixed(1)})`,
  );
  return us;
}

const wasm = await time("wasm", 10, (c) => keys.verify(c, eventId, now).ok);
const web = await time("webcrypto", 2, async (c) => {
  const { input, mac } = macInput(c);
  return equal16(new Uint8Array(await crypto.subtle.sign("HMAC", webKey, input)).subarray(0, 16), mac);
});
const noble = await time("noble", 2, (c) => {
  const { input, mac } = macInput(c);
  return equal16(hmac(sha256, nobleKey, input).subarray(0, 16), mac);
});
report("qr_verify_webcrypto_over_wasm", (web / wasm).toFixed(1), "× (target ≥ 20)");
report("qr_verify_noble_over_wasm", (noble / wasm).toFixed(1), "×");

// Size and a cold instantiation of the embedded module, in fresh processes.
const wasmBytes = await Deno.readFile(new URL("../../pkg/web/usher_bg.wasm", import.meta.url));
const gz = new Uint8Array(
  await new Response(new Blob([wasmBytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
);
report("wasm_size_bytes", String(wasmBytes.length), "bytes");
report("wasm_size_gzip_bytes", String(gz.length), "bytes");
const probe = `const t = performance.now(); await import(${
  JSON.stringify(new URL("../../pkg/deno/mod.js", import.meta.url).href)
}); console.log(performance.now() - t);`;
const samples = [];
for (let i = 0; i < 5; i++) {
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", probe], stdout: "piped" }).output();
  samples.push(Number(new TextDecoder().decode(out.stdout)));
}
samples.sort((a, b) => a - b);
report("wasm_import_and_instantiate_ms_median", samples[2].toFixed(2), "ms (decode base64 + compile + instantiate)");
