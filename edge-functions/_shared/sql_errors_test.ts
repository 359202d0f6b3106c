// The project's own SQLSTATEs, raised by the real database, reach HTTP through the one
// table in sql_errors.ts; any other database error stays a 500.
import assert from "node:assert/strict";
import { connect } from "./db.ts";
import { serve } from "./http.ts";
import { dbUrl } from "../../tests/support/stack.ts";

const expected: [string, number, string][] = [
  ["UR001", 409, "price_changed"],
  ["UR002", 403, "account_not_found"],
  ["UR003", 422, "idempotency_key_reused"],
  ["UR004", 404, "event_not_found"],
  ["UR005", 404, "unknown_user"],
  ["UR006", 409, "checkout_in_progress"],
  ["UR403", 403, "forbidden"],
  ["P0001", 500, "internal_error"],
];

Deno.test("each own SQLSTATE gets its answer, without the database's message; others are a 500", async () => {
  const sql = connect(dbUrl, 1);
  try {
    for (const [sqlstate, status, code] of expected) {
      const fetch = serve(
        "t",
        async () => {
          await sql.unsafe(`do $$ begin raise exception 'detail 8c2e' using errcode = '${sqlstate}'; end $$`);
          return new Response("unreachable");
        },
        {},
        () => {},
      );
      const res = await fetch(new Request("http://x/t"));
      assert.equal(res.status, status, sqlstate);
      const body = await res.json();
      assert.equal(body.error.code, code, sqlstate);
      assert.doesNotMatch(body.error.message, /8c2e/);
    }
  } finally {
    await sql.end();
  }
});
