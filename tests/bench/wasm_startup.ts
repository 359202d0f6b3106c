// The wasm core's cold start, each figure the median over fresh Deno processes: importing
// edge-functions/_shared/wasm.ts as every function does, importing pkg/deno/mod.js alone
// (read, decode, compile, instantiate), and each part of that by itself. Also the module's
// size, and the decoding that runtimes without Uint8Array.fromBase64 fall back to.
// Fresh processes share DENO_DIR, so from the second on V8's code cache holds the
// JavaScript, as it does for a deployed function past its first start.
import { report } from "./lib/report.ts";

const runs = 9;
const url = (path: string) => JSON.stringify(new URL(`../../${path}`, import.meta.url).href);

// Each probe prints one line of `name=ms` pairs.
async function probe(code: string): Promise<Map<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" }).output();
  if (!out.success) throw new Error(`probe failed: ${code}`);
  const line = new TextDecoder().decode(out.stdout).trim();
  return new Map(line.split(" ").map((pair) => pair.split("=")).map(([k, v]) => [k, Number(v)]));
}

async function medians(code: string): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    for (const [k, v] of await probe(code)) samples.set(k, [...(samples.get(k) ?? []), v]);
  }
  for (const v of samples.values()) v.sort((a, b) => a - b);
  return samples;
}

function show(name: string, sorted: number[], what: string): void {
  const mid = sorted[sorted.length >> 1];
  report(
    name,
    mid.toFixed(2),
    `ms (${what}; median of ${runs} processes, range ${sorted[0].toFixed(2)}–${sorted.at(-1)!.toFixed(2)})`,
  );
}

const clock = "const clock = () => performance.now(); let t = clock(); const lap = () => { const d = clock() - t; " +
  "t = clock(); return d.toFixed(3); };";

const whole = await medians(
  `${clock} await import(${url("edge-functions/_shared/wasm.ts")}); const shared = lap();` +
    `console.log("shared=" + shared);`,
);
show("wasm_import_shared_ms", whole.get("shared")!, "import edge-functions/_shared/wasm.ts; target ≤ 5");

const mod = await medians(`${clock} await import(${url("pkg/deno/mod.js")}); console.log("mod=" + lap());`);
show("wasm_import_and_instantiate_ms", mod.get("mod")!, "import pkg/deno/mod.js; target ≤ 5");

// The steps mod.js takes, one at a time, then the first calls that wasm.ts makes at import.
const parts = await medians(
  `${clock} const { wasmBytes } = await import(${url("pkg/deno/usher_wasm.js")}); const read = lap();` +
    `const bytes = wasmBytes(); const decode = lap();` +
    `const module = new WebAssembly.Module(bytes); const compile = lap();` +
    `const glue = await import(${url("pkg/deno/usher.js")}); const parse = lap();` +
    `glue.initSync({ module }); const instantiate = lap();` +
    `glue.version(); const calls = lap();` +
    `console.log(["read=" + read, "decode=" + decode, "compile=" + compile, "glue=" + parse, ` +
    `"instantiate=" + instantiate, "calls=" + calls].join(" "));`,
);
const labels: [string, string][] = [
  ["read", "read and parse usher_wasm.js, the base64 text"],
  ["decode", "Uint8Array.fromBase64"],
  ["compile", "new WebAssembly.Module"],
  ["glue", "read and parse usher.js, wasm-bindgen's glue"],
  ["instantiate", "initSync: new WebAssembly.Instance and start"],
  ["calls", "the first version(), which wasm.ts calls at import"],
];
for (const [part, what] of labels) show(`wasm_startup_${part}_ms`, parts.get(part)!, what);

const fallback = await medians(
  `const { wasmBytes } = await import(${url("pkg/deno/usher_wasm.js")}); delete Uint8Array.fromBase64;` +
    `${clock} wasmBytes(); console.log("fallback=" + lap());`,
);
show("wasm_startup_decode_fallback_ms", fallback.get("fallback")!, "the wasm base64 decoder, without fromBase64");

const wasmBytes = await Deno.readFile(new URL("../../pkg/web/usher_bg.wasm", import.meta.url));
const gz = new Uint8Array(
  await new Response(new Blob([wasmBytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
);
report("wasm_size_bytes", String(wasmBytes.length), "bytes");
report("wasm_size_gzip_bytes", String(gz.length), "bytes");
