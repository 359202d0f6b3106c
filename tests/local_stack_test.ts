// The local stack's own scripts, against the running stack: `make down` pointed at a folder
// where nothing runs says so and names the stack that does, instead of stopping nothing in
// silence.
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
