// The local stack's own scripts, against the running stack: `make down` pointed at a folder
// where nothing runs says so and names the stack that does, instead of stopping nothing in
// silence; and `make up` runs the pg_net worker and the fake Resend beside the rest.
import assert from "node:assert/strict";
import { repoRoot } from "./support/stack.ts";

const running = Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`;

Deno.test("make down for a folder where no stack runs says so, and names the one that runs", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command("bash", {
      args: [`${repoRoot}tools/local/down.sh`],
      env: { USHER_LOCAL_DIR: empty, NO_COLOR: "1" },
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0);
    assert.ok(text.startsWith(`no stack runs from ${empty} (USHER_LOCAL_DIR)\n`), text);
    assert.ok(text.includes(`  one runs from ${running}: stop it with USHER_LOCAL_DIR=${running} make down\n`), text);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("make up runs the pg_net worker and the fake Resend", async () => {
  const pid = Deno.readTextFileSync(`${running}/pg_net.pid`).trim();
  const alive = await new Deno.Command("bash", { args: ["-c", `kill -0 ${pid}`], stderr: "null" }).output();
  assert.equal(alive.code, 0, `the pg_net worker (pid ${pid}) runs`);
  const resendPort = Deno.env.get("USHER_FAKE_RESEND_PORT") ?? "54412";
  const listed = await (await fetch(`http://127.0.0.1:${resendPort}/__deliveries`)).json();
  assert.equal(typeof listed.count, "number");
});
