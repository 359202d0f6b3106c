// The local gateway over real HTTP: routing, JWT verification as `verify_jwt` says, and
// JSON errors for everything it refuses.
import assert from "node:assert/strict";
import { mintJwt } from "../tools/local/jwt.ts";
import { fn, functionsUrl, seedUsers, stackEnv, userJwt } from "./support/stack.ts";

Deno.test("health answers through the gateway without a JWT (verify_jwt = false)", async () => {
  const res = await fn("health");
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ok");
  assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
});

Deno.test("an unknown function gets a JSON 404", async () => {
  const res = await fn("no-such-function");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  const outside = await fetch(`${stackEnv.SUPABASE_URL}/rest/v1/tickets`);
  assert.equal(outside.status, 404);
  await outside.body?.cancel();
});

Deno.test("verify_jwt functions refuse a missing or invalid JWT with a JSON 401", async () => {
  for (
    const token of [
      undefined,
      "not-a-jwt",
      await mintJwt("wrong-secret-of-at-least-32-characters!", { role: "anon" }, 60),
    ]
  ) {
    const res = await fn("whoami", {}, token);
    assert.equal(res.status, 401, `token ${token}`);
    assert.equal((await res.json()).error.code, "unauthorized");
  }
});

Deno.test("verify_jwt functions accept the anon key, a user JWT and the service key", async () => {
  const anon = await fn("whoami", {}, stackEnv.SUPABASE_ANON_KEY);
  assert.deepEqual(await anon.json(), { role: "anon", user_id: null, staff: [] });
  const user = await fn("whoami", {}, await userJwt(seedUsers.ada));
  assert.equal((await user.json()).user_id, seedUsers.ada);
  const service = await fn("whoami", {}, stackEnv.SUPABASE_SERVICE_ROLE_KEY);
  assert.equal((await service.json()).role, "service_role");
});

Deno.test("a CORS preflight passes the gateway without credentials", async () => {
  const res = await fetch(`${functionsUrl}/whoami`, {
    method: "OPTIONS",
    headers: { origin: "http://localhost:5173", "access-control-request-method": "GET" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  await res.body?.cancel();
});

Deno.test("a wrong method gets a JSON 405 naming the allowed ones", async () => {
  const res = await fn("health", { method: "POST", body: "{}" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET");
  assert.equal((await res.json()).error.code, "method_not_allowed");
});
