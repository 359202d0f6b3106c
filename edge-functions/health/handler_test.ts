import assert from "node:assert/strict";
import { connect } from "../_shared/db.ts";
import { logger } from "../_shared/log.ts";
import { freePort } from "../../tests/support/ports.ts";
import { dbUrl } from "../../tests/support/stack.ts";
import { coreVersion } from "../_shared/wasm.ts";
import { handleHealth } from "./handler.ts";

const ctx = (lines: string[] = []) => ({
  requestId: "test",
  log: logger({}, (l) => lines.push(l)),
  headers: new Headers(),
});

Deno.test("health answers ok with the core version when the database answers", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const res = await handleHealth(new Request("http://x/health"), { sql }, ctx());
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", core: coreVersion, checks: { database: "ok" } });
  } finally {
    await sql.end();
  }
});

Deno.test("health answers 503 when the database is unreachable, and says why only in the log", async () => {
  const sql = connect(`postgresql://postgres:postgres@127.0.0.1:${freePort()}/postgres`, 1);
  const lines: string[] = [];
  try {
    const res = await handleHealth(new Request("http://x/health"), { sql }, ctx(lines));
    assert.equal(res.status, 503);
    assert.deepEqual((await res.json()).checks, { database: "unreachable" });
    assert.match(lines.join("\n"), /ECONNREFUSED|refused/i);
  } finally {
    await sql.end();
  }
});
