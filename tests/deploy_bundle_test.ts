// `supabase functions deploy` uploads a function's import graph and nothing else (unless
// `static_files` says so). This test copies exactly that graph for each function to a
// folder outside the repository, serves the copy with no file-read permission, and checks
// that the wasm core loads and the function answers.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmBytes } from "../pkg/deno/usher_wasm.js";
import { freePort } from "./support/ports.ts";
import { dbUrl, repoRoot } from "./support/stack.ts";

const deno = Deno.execPath();

async function importGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(deno, { args: ["info", "--json", entry], stdout: "piped" }).output();
  assert.ok(out.success, `deno info ${entry} failed`);
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: { specifier: string }[] };
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith("file://")).map((s) => fileURLToPath(s));
}

async function copyGraph(files: string[], into: string): Promise<void> {
  for (const file of files) {
    const rel = relative(repoRoot, file);
    assert.ok(!rel.startsWith(".."), `${file} lies outside the repository`);
    await Deno.mkdir(join(into, dirname(rel)), { recursive: true });
    await Deno.copyFile(file, join(into, rel));
  }
}

// The embedded bytes decode natively where the runtime has Uint8Array.fromBase64 (Deno 2.9
// here) and with a small wasm decoder where it has not (the hosted edge runtime may be older):
// both must give exactly the module wasm-pack built.
Deno.test("the embedded wasm decodes to the built module with and without Uint8Array.fromBase64", async () => {
  const built = await Deno.readFile(join(repoRoot, "pkg/web/usher_bg.wasm"));
  assert.equal(typeof (Uint8Array as { fromBase64?: unknown }).fromBase64, "function");
  assert.deepEqual(wasmBytes(), built);
  const native = Object.getOwnPropertyDescriptor(Uint8Array, "fromBase64")!;
  delete (Uint8Array as { fromBase64?: unknown }).fromBase64;
  try {
    assert.deepEqual(wasmBytes(), built);
  } finally {
    Object.defineProperty(Uint8Array, "fromBase64", native);
  }
});

Deno.test("health served from a copy of its import graph loads the embedded wasm", async () => {
  const files = await importGraph(join(repoRoot, "edge-functions/health/index.ts"));
  assert.ok(files.some((f) => f.endsWith("pkg/deno/usher_wasm.js")), "the embedded wasm module is in the graph");
  assert.ok(!files.some((f) => f.endsWith(".wasm")), "no .wasm file is needed");

  const bundle = await Deno.makeTempDir({ prefix: "usher-deploy-" });
  await copyGraph(files, bundle);
  const port = freePort();
  const server = new Deno.Command(deno, {
    args: [
      "serve",
      "--quiet",
      "--port",
      String(port),
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      join(bundle, "edge-functions/health/index.ts"),
    ],
    env: { SUPABASE_DB_URL: dbUrl },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    let res: Response | undefined;
    for (let i = 0; i < 150 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (!res) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(res, "the copied function never answered");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.match(body.core, /^\d+\.\d+\.\d+$/);
  } finally {
    // SIGKILL: on SIGTERM `deno serve` would wait for the test's idle keep-alive
    // connection to close, which took 20 s.
    server.kill("SIGKILL");
    await server.stderr.cancel();
    await server.status;
    await Deno.remove(bundle, { recursive: true });
  }
});
