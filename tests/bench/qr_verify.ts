// µs per ticket-code verification in Deno, through QrKeys.verify as scanner-validate calls it:
// the wasm core against two peers doing the same work (parse, rebuild the MAC input,
// HMAC-SHA256, compare 16 bytes) in TypeScript, with WebCrypto and with @noble/hashes; and
// against the native Rust of the same run (`cargo bench -p usher-qr`, which tools/bench.sh
// runs first, with the CPU's SHA instructions and without) when BENCH_OUT names its figures.
import { hmac } from "npm:@noble/hashes@2.4.0/hmac.js";
import { sha256 } from "npm:@noble/hashes@2.4.0/sha2.js";
import { liveIat, QrKeys, signLive } from "../../edge-functions/_shared/wasm.ts";
import * as base64url from "../support/base64url.ts";
import * as hex from "../support/hex.ts";
import { report } from "./lib/report.ts";

const keyB64 = "pYDvyjEce6aN6NcyGUSjjvXQPxpBrIv23ThnQqmU894";
const keys = new QrKeys(`k2026:${keyB64}`);
const eventId = "0b8e2f7c-3d1a-4e6b-9a54-7c2d1e0f3a98";
const now = 1_767_225_600;
const codes = Array.from({ length: 1000 }, () => keys.signPrint(crypto.randomUUID(), eventId, now));
const liveCodes = codes.map(() => {
  const ticketId = crypto.randomUUID();
  const { kid, key } = keys.displayKey(ticketId, eventId);
  return signLive(key, kid, ticketId, eventId, liveIat(now));
});
// Refused at the key lookup: the boundary and parsing, without the HMAC.
const unknownKeyCodes = codes.map((c) => c.replace("k2026", "k2027"));

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

// The best of seven timed passes over the codes, each pass `rounds` times through them, as
// cargo bench reports its best batch: other work on the machine only ever adds time. The
// median and range show how much it added; WebCrypto's swing with how fast its worker thread
// wakes, so one pass misleads.
async function time(
  name: string,
  rounds: number,
  verify: (code: string) => boolean | Promise<boolean>,
  set = codes,
  expect = true,
): Promise<number> {
  for (const c of set.slice(0, 200)) {
    if ((await verify(c)) !== expect) throw new Error(`${name} answered ${!expect} for a code`);
  }
  const passes = [];
  for (let p = 0; p < 7; p++) {
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const c of set) {
        // Only WebCrypto is asynchronous; awaiting the others would add a microtask each.
        const ok = verify(c);
        if (ok instanceof Promise) await ok;
      }
    }
    passes.push(((performance.now() - started) * 1000) / (rounds * set.length));
  }
  passes.sort((a, b) => a - b);
  report(
    `qr_verify_${name}_us_per_code`,
    passes[0].toFixed(3),
    `µs (best of 7; median ${passes[3].toFixed(2)}, worst ${passes[6].toFixed(2)})`,
  );
  return passes[0];
}

const wasmVerify = (c: string) => keys.verify(c, eventId, now).ok;
const wasm = await time("wasm", 20, wasmVerify);
const wasmLive = await time("wasm_live", 20, wasmVerify, liveCodes);
const wasmUnknownKey = await time("wasm_unknown_key", 20, wasmVerify, unknownKeyCodes, false);
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

// Side by side with native Rust from this run's cargo bench, when tools/bench.sh says where
// it wrote the figures: as built (SHA instructions where the CPU has them) and with sha2's
// portable code, the only SHA-256 wasm can run.
const benchOut = Deno.env.get("BENCH_OUT");
if (benchOut) {
  const figures = new Map(
    (await Deno.readTextFile(benchOut)).split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v) / 1000]),
  );
  const native = (kind: string, build: string) => figures.get(`qr_verify_${kind}_${build}_ns_per_op`);
  const kinds: [string, number][] = [["print", wasm], ["live", wasmLive], ["unknown_key", wasmUnknownKey]];
  for (const [kind, us] of kinds) {
    for (const build of ["rust", "rust_soft_sha"]) {
      const n = native(kind, build);
      if (n) {
        report(
          `qr_verify_${kind}_wasm_over_${build}`,
          (us / n).toFixed(2),
          `× (wasm ${us.toFixed(3)} µs, native ${n.toFixed(3)} µs)`,
        );
      }
    }
  }
  // A live code costs four SHA-256 blocks more than a print code (deriving and keying its
  // display key) and nothing else, so a quarter of the difference is one block's cost.
  const block = (print?: number, live?: number) =>
    print && live ? `${(((live - print) / 4) * 1000).toFixed(0)} ns` : "?";
  report(
    "qr_sha256_block_ns",
    block(wasm, wasmLive),
    `wasm; native ${block(native("print", "rust"), native("live", "rust"))}, ` +
      `native without SHA instructions ${block(native("print", "rust_soft_sha"), native("live", "rust_soft_sha"))}`,
  );
  report(
    "qr_verify_print_side_by_side",
    `${native("print", "rust")?.toFixed(3)}/${native("print", "rust_soft_sha")?.toFixed(3)}/${wasm.toFixed(3)}/${
      web.toFixed(3)
    }`,
    "µs: native / native without SHA instructions / wasm / WebCrypto",
  );
}
