import assert from "node:assert/strict";
import { mintJwt } from "../../tools/local/jwt.ts";
import { Authenticator } from "./auth.ts";
import { HttpError } from "./http.ts";
import { VerifiedTokens } from "./token_cache.ts";

Deno.test("a cached token is forgotten when it expires", () => {
  const cache = new VerifiedTokens<string>();
  cache.set("t", "caller", 1_000);
  assert.equal(cache.get("t", 999), "caller");
  assert.equal(cache.get("t", 1_000), undefined);
  assert.equal(cache.get("t", 500), undefined, "an expired entry is dropped, not kept for later");
});

Deno.test("tokens without an expiry are not cached, and the cache stays within its bound", () => {
  const cache = new VerifiedTokens<number>(2);
  cache.set("forever", 1, undefined);
  assert.equal(cache.get("forever", 0), undefined);
  cache.set("a", 1, 10);
  cache.set("b", 2, 10);
  cache.set("c", 3, 10);
  assert.equal(cache.get("a", 0), undefined, "the oldest entry made room");
  assert.deepEqual([cache.get("b", 0), cache.get("c", 0)], [2, 3]);
});

Deno.test("the authenticator refuses an expired token even after it was cached", async () => {
  const secret = "test-secret-of-at-least-thirty-two-characters";
  const auth = new Authenticator(secret);
  const token = await mintJwt(secret, { role: "authenticated", sub: "00000000-0000-4000-8000-0000000000aa" }, 2);
  const req = () => new Request("http://x/", { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await auth.user(req())).userId, "00000000-0000-4000-8000-0000000000aa");
  assert.ok(Object.isFrozen(await auth.user(req())), "the cached caller cannot be altered");
  await new Promise((r) => setTimeout(r, 2100));
  await assert.rejects(auth.user(req()), (e: unknown) => e instanceof HttpError && e.status === 401);
});
