// process-email-queue in-process: only the service role runs the queue, a bad budget is a
// 400 naming it, and a run answers its report. The run here is over the default queue with a
// zero budget, one pass, sending through a fake of this test's own.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { ResendClient } from "../_shared/providers/resend.ts";
import { startFakeResend } from "../../tests/fakes/resend.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../../tools/local/jwt.ts";
import { handleProcessQueue } from "./handler.ts";

Deno.test("only the service role runs the queue; budget_ms is checked; a run answers its report", async () => {
  const sql = connect(dbUrl, 2);
  const fake = startFakeResend({ requestsPerSecond: 1000 });
  const run = serve("process-email-queue", handleProcessQueue, {
    sql,
    auth: new Authenticator(jwtSecret),
    sender: new ResendClient(fake.url, "re_test_key", "Usher <tickets@usher.test>"),
    budgetMs: 1_000,
    sendMs: 1_000,
  }, () => {});
  const call = (token: string, body?: unknown) =>
    run(
      new Request("http://x/process-email-queue", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  try {
    const service = await mintJwt(jwtSecret, { role: "service_role" }, 600);
    const user = await call(await userJwt(crypto.randomUUID()));
    assert.deepEqual([user.status, (await user.json()).error.code], [403, "forbidden"]);
    for (const budget of [-1, 1.5, "10", 1_001]) {
      const res = await call(service, { budget_ms: budget });
      assert.deepEqual([res.status, (await res.json()).error.field], [400, "budget_ms"]);
    }
    const res = await call(service, { budget_ms: 0 });
    assert.equal(res.status, 200);
    const report = await res.json();
    for (const k of ["claimed", "sends", "sent", "retried", "deferred", "split", "deadLettered", "leaseLost", "ms"]) {
      assert.equal(typeof report[k], "number", k);
    }
    assert.equal((await call(service)).status, 200, "pg_cron's call may have no body");
  } finally {
    await fake.close();
    await sql.end();
  }
});
