import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { logger } from "../_shared/log.ts";
import { createEvent } from "../../tests/support/fixtures.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { handleWhoami } from "./handler.ts";

Deno.test("whoami names the signed-in user and the events they staff", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const f = await createEvent(sql);
    const req = new Request("http://x/whoami", { headers: { authorization: `Bearer ${await userJwt(f.scannerId)}` } });
    const res = await handleWhoami(req, { sql, auth: new Authenticator(jwtSecret) }, {
      requestId: "t",
      log: logger({}, () => {}),
      headers: new Headers(),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      role: "authenticated",
      user_id: f.scannerId,
      staff: [{ event_id: f.eventId, role: "scanner" }],
    });
  } finally {
    await sql.end();
  }
});
