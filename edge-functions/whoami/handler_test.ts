import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { logger } from "../_shared/log.ts";
import { dbUrl, jwtSecret, seedUsers, userJwt } from "../../tests/support/stack.ts";
import { handleWhoami } from "./handler.ts";

Deno.test("whoami names the signed-in user and the events they staff", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const token = await userJwt(seedUsers.doorNorth);
    const req = new Request("http://x/whoami", { headers: { authorization: `Bearer ${token}` } });
    const res = await handleWhoami(req, { sql, auth: new Authenticator(jwtSecret) }, {
      requestId: "t",
      log: logger({}, () => {}),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      role: "authenticated",
      user_id: seedUsers.doorNorth,
      staff: [{ event_id: "10000000-0000-4000-8000-000000000001", role: "scanner" }],
    });
  } finally {
    await sql.end();
  }
});
