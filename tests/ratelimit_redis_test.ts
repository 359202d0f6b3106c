// The Redis store's use of EVALSHA: after Redis forgets its scripts (a restart, a SCRIPT
// FLUSH) the next take still succeeds, by EVAL, and leaves the script cached again.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gcraLua } from "../edge-functions/_shared/ratelimit/gcra_lua.ts";
import { RedisStore } from "../edge-functions/_shared/ratelimit/redis.ts";
import { stackEnv } from "./support/stack.ts";

Deno.test("a take after SCRIPT FLUSH falls back to EVAL and caches the script for EVALSHA", async () => {
  const store = new RedisStore(stackEnv.REDIS_URL);
  const key = `noscript:${crypto.randomUUID()}`;
  const sha = createHash("sha1").update(gcraLua).digest("hex");
  try {
    await store.redis.script("FLUSH");
    assert.deepEqual(await store.redis.script("EXISTS", sha), [0]);
    const [d] = await store.takeAll([{ key, quota: { count: 2, periodUs: 60_000_000, burst: 2 } }]);
    assert.equal(d.allowed, true);
    assert.equal(d.remaining, 1);
    assert.deepEqual(await store.redis.script("EXISTS", sha), [1]);
  } finally {
    await store.redis.del(key);
    await store.close();
  }
});
