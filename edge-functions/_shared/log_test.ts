import assert from "node:assert/strict";
import { levelFrom, logger } from "./log.ts";

Deno.test("LOG_LEVEL names the least level written; info when unset; anything else is refused", () => {
  assert.equal(levelFrom(undefined), "info");
  assert.equal(levelFrom(""), "info");
  assert.equal(levelFrom("debug"), "debug");
  assert.equal(levelFrom("error"), "error");
  assert.throws(() => levelFrom("verbose"), /LOG_LEVEL must be debug, info, warn or error, not "verbose"/);
});

Deno.test("a logger writes its level and above, one JSON object a line", () => {
  const lines: string[] = [];
  const log = logger({ function: "f" }, (l) => lines.push(l), "info");
  assert.equal(log.enabled("debug"), false);
  assert.equal(log.enabled("warn"), true);
  log.log("debug", "dropped");
  log.log("info", "kept", { status: 404 });
  log.log("error", "kept too");
  assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["kept", "kept too"]);
  const first = JSON.parse(lines[0]);
  assert.equal(first.function, "f");
  assert.equal(first.status, 404);
  assert.equal(first.level, "info");
});
