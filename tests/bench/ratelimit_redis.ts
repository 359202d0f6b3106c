// Decisions per second through Usher's Redis limiter (RedisStore: the GCRA Lua script by
// EVALSHA over ioredis) versus rate-limiter-flexible's RateLimiterRedis (its own Lua
// script over ioredis), on the same Redis, each with one connection, the same concurrency,
// quota and key spread.
//   deno run --allow-all tests/bench/ratelimit_redis.ts
import { Redis } from "npm:ioredis@6.0.0";
import { RateLimiterRedis } from "npm:rate-limiter-flexible@11.4.0";
import { RedisStore } from "../../edge-functions/_shared/ratelimit/redis.ts";
import { stackEnv } from "../support/stack.ts";
import { compareWithFlexible } from "./lib/ratelimit_harness.ts";

const concurrency = 32;
const keys = 1000;
const run = crypto.randomUUID().slice(0, 8);
const quota = { count: 100, periodUs: 60_000_000, burst: 100 };

const ours = new RedisStore(stackEnv.REDIS_URL, 10_000);
const client = new Redis(stackEnv.REDIS_URL);
const theirs = new RateLimiterRedis({
  storeClient: client,
  keyPrefix: `rlflx-bench-${run}`,
  points: quota.count,
  duration: 60,
});

try {
  await compareWithFlexible(
    "ratelimit_redis",
    (i) => ours.take(`bench:${run}:${i % keys}`, quota),
    theirs,
    keys,
    concurrency,
  );
} finally {
  for (const pattern of [`bench:${run}:*`, `rlflx-bench-${run}*`]) {
    const found = await client.keys(pattern);
    if (found.length) await client.del(...found);
  }
  await ours.close();
  client.disconnect();
}
