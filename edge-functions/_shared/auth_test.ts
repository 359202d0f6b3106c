import assert from "node:assert/strict";
import { SignJWT } from "npm:jose@6.2.18";
import { mintJwt } from "../../tools/local/jwt.ts";
import { Authenticator } from "./auth.ts";
import { HttpError } from "./http.ts";

const secret = "test-secret-of-at-least-thirty-two-characters";
const auth = new Authenticator(secret);
const user = "00000000-0000-4000-8000-0000000000aa";
const withToken = (t: string) => new Request("http://x/", { headers: { authorization: `Bearer ${t}` } });

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    assert.ok(e instanceof HttpError);
    return e.status;
  }
}

Deno.test("a valid user token yields the user's id", async () => {
  const token = await mintJwt(secret, { role: "authenticated", sub: user }, 60);
  assert.deepEqual(await auth.user(withToken(token)), { role: "authenticated", userId: user });
});

Deno.test("anon and service keys are callers but not users", async () => {
  const anon = await mintJwt(secret, { role: "anon" }, 60);
  assert.deepEqual(await auth.caller(withToken(anon)), { role: "anon", userId: null });
  assert.equal(await status(auth.user(withToken(anon))), 403);
});

Deno.test("missing, forged, expired and role-less tokens get 401", async () => {
  assert.equal(await status(auth.caller(new Request("http://x/"))), 401);
  const forged = await mintJwt("another-secret-of-at-least-thirty-two-chars", { role: "authenticated", sub: user }, 60);
  assert.equal(await status(auth.caller(withToken(forged))), 401);
  const expired = await mintJwt(secret, { role: "authenticated", sub: user }, -10);
  assert.equal(await status(auth.caller(withToken(expired))), 401);
  const roleless = await mintJwt(secret, { role: "admin", sub: user }, 60);
  assert.equal(await status(auth.caller(withToken(roleless))), 401);
  const noSub = await mintJwt(secret, { role: "authenticated" }, 60);
  assert.equal(await status(auth.caller(withToken(noSub))), 401);
});

Deno.test("an unsigned (alg none) token is refused", async () => {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ role: "service_role", exp: 9e9 })}.`;
  assert.equal(await status(auth.caller(withToken(none))), 401);
});

Deno.test("a token without an expiry is refused, as Supabase's always carry one", async () => {
  const forever = await new SignJWT({ role: "authenticated", sub: user })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
  const err = await auth.caller(withToken(forever)).catch((e) => e);
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 401);
  assert.equal(err.message, "JWT has no expiry");
});
