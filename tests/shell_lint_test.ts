// Every script the project runs passes shellcheck at warning level: an unguarded `cd`, an
// unquoted expansion or a misspelt variable in set-up scripts shows on a fresh machine first.
import assert from "node:assert/strict";
import { repoRoot } from "./support/stack.ts";

const scripts = ["tools", "tools/local"].flatMap((dir) =>
  [...Deno.readDirSync(`${repoRoot}${dir}`)].filter((e) => e.name.endsWith(".sh")).map((e) => `${dir}/${e.name}`)
).concat(".ci/run");

Deno.test("every script passes shellcheck at warning level", async () => {
  const out = await new Deno.Command("shellcheck", {
    args: ["--severity=warning", "--external-sources", ...scripts],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr));
  assert.ok(scripts.length >= 10, `only ${scripts.length} scripts found`);
});
