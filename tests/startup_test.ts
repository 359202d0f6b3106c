// Start-up failures are loud and specific: a missing secret names itself, and `make up`
// refuses a port that something else holds instead of hanging.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "./support/stack.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("a function started without its secrets exits, naming each missing one", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--quiet",
      "--port",
      "0",
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      join(repoRoot, "edge-functions/whoami/index.ts"),
    ],
    clearEnv: true,
    env: { DENO_DIR: Deno.env.get("DENO_DIR") ?? "", HOME: Deno.env.get("HOME") ?? "/root" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, false);
  assert.match(decode(out.stderr), /missing required environment variables: SUPABASE_DB_URL, JWT_SECRET/);
});

Deno.test("make up refuses a port held by another program, with a clear message", async () => {
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (squatter.addr as Deno.NetAddr).port;
  try {
    const out = await new Deno.Command("bash", {
      args: [join(repoRoot, "tools/local/up.sh")],
      env: { USHER_REDIS_PORT: String(port) },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.equal(out.success, false);
    assert.match(decode(out.stderr), new RegExp(`port ${port} is in use`));
  } finally {
    squatter.close();
  }
});
