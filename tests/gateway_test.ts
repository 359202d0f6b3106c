// The local gateway over real HTTP: routing, JWT verification as `verify_jwt` says, and
// JSON errors, with CORS headers and a log line, for everything it refuses.
import assert from "node:assert/strict";
import { SignJWT } from "npm:jose@6.2.18";
import { corsHeaders } from "../edge-functions/_shared/http.ts";
import { mintJwt } from "../tools/local/jwt.ts";
import { fn, functionsUrl, repoRoot, seedUsers, stackEnv, userJwt } from "./support/stack.ts";

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

/** One request written by hand: fetch refuses to send TRACE and TRACK at all. */
async function rawRequest(method: string, path: string): Promise<{ head: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(stackEnv.USHER_GATEWAY_PORT) });
  await conn.write(new TextEncoder().encode(`${method} ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
  const text = await new Response(conn.readable).text();
  const split = text.indexOf("\r\n\r\n");
  return { head: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) };
}

Deno.test("TRACE and TRACK get the JSON 405 every other wrong method gets, not a 500", async () => {
  for (const method of ["TRACE", "TRACK", "trace"]) {
    const { head, body } = await rawRequest(method, "/functions/v1/health");
    assert.match(head, /^http\/1\.1 405/, `${method}: ${head}`);
    assert.match(head, /\r\nallow: get, post, options\r\n/);
    assert.match(head, /\r\naccess-control-allow-origin: \*\r\n/);
    assert.equal(JSON.parse(body).error.code, "method_not_allowed");
  }
});

Deno.test("a JWT without exp is refused: it would never expire", async () => {
  const forever = await new SignJWT({ role: "authenticated", sub: seedUsers.ada })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .sign(new TextEncoder().encode(stackEnv.JWT_SECRET));
  const res = await fn("whoami", {}, forever);
  assert.equal(res.status, 401);
  assert.deepEqual((await res.json()).error, { code: "unauthorized", message: "Invalid JWT: it has no exp claim" });
});

const gatewayLog = `${Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`}/gateway.log`;

Deno.test("the gateway's own 401 and 404 carry the functions' CORS headers and are logged without the token", async () => {
  const from = (await Deno.stat(gatewayLog)).size;
  const token = `not-a-jwt-${crypto.randomUUID()}`;
  const missing = `no-such-function-${crypto.randomUUID()}`;
  const answers = [await fn("whoami", {}, token), await fn("whoami"), await fn(missing)];
  for (const res of answers) {
    await res.body?.cancel();
    for (const [name, value] of Object.entries(corsHeaders)) assert.equal(res.headers.get(name), value, name);
  }
  assert.deepEqual(answers.map((r) => r.status), [401, 401, 404]);
  const logged = new TextDecoder().decode((await Deno.readFile(gatewayLog)).subarray(from));
  assert.ok(!logged.includes(token), "the log quotes the token");
  const picked = logged.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((l) => l.msg === "gateway refused")
    .map(({ status, code, path, reason }) => ({ status, code, path, reason }));
  assert.deepEqual(picked.filter((l) => l.path === "/functions/v1/whoami").slice(-2), [
    { status: 401, code: "unauthorized", path: "/functions/v1/whoami", reason: "invalid" },
    { status: 401, code: "unauthorized", path: "/functions/v1/whoami", reason: "missing" },
  ]);
  assert.deepEqual(picked.filter((l) => l.path === `/functions/v1/${missing}`), [
    { status: 404, code: "not_found", path: `/functions/v1/${missing}`, reason: undefined },
  ]);
});
