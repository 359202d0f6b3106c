// Nanoseconds per GCRA decision in the wasm build under Deno, through the typed facade the
// edge functions use (edge-functions/_shared/wasm.ts). The native figure comes from
// `cargo bench -p usher-ratelimit --bench decide`.
//   deno run --allow-all tests/bench/ratelimit_wasm.ts
import { Gcra } from "../../edge-functions/_shared/wasm.ts";
import { report } from "./lib/report.ts";

const gcra = new Gcra(100, 60_000_000, 100);
const decisions = 1_000_000;

function loop(n: number): number {
  let state: number | null = null;
  let admitted = 0;
  let now = 1_800_000_000_000_000;
  for (let i = 0; i < n; i++) {
    // Arrivals every 0.3 ms against one every 0.6 ms: about half admitted, half refused.
    now += 300;
    const d = gcra.decide(state, now, 1);
    if (d.tatUs !== null && d.tatUs !== undefined) {
      state = d.tatUs;
      admitted++;
    }
  }
  return admitted;
}

loop(100_000);
const started = performance.now();
const admitted = loop(decisions);
const ns = ((performance.now() - started) * 1e6) / decisions;
if (admitted === 0 || admitted === decisions) throw new Error("the benchmark should mix admissions and refusals");
report("ratelimit_wasm_decide", ns.toFixed(0), "ns/decision");
