// Decisions per second through Usher's Redis limiter (RedisStore: the GCRA Lua script by
// EVALSHA over ioredis) versus rate-limiter-flexible's RateLimiterRedis (its own Lua
// script over ioredis), on the same Redis, each with one connection, the same concurrency,
// quota and key spread.
//   deno run --allow-all tests/bench/ratelimit_redis.ts
import { Redis } from "npm:ioredis@6.0.0";
import { RateLimiterRedis } from "npm:rate-limiter-flexible@11.4.0";
import { RedisStore } from "../../edge-functions/_shared/ratelimit/redis.ts";
import { stackEnv } from "../support/stack.ts";
import { compare } from "./lib/ratelimit_harness.ts";
import { report } from "./lib/report.ts";

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
  const result = await compare({
    usher: (i) => ours.take(`bench:${run}:${i % keys}`, quota),
    // A refusal rejects with a RateLimiterRes; that is a decision too, and counts.
    flexible: (i) =>
      theirs.consume(`bench:${i % keys}`).catch((r: unknown) => {
        if (r instanceof Error) throw r;
      }),
  }, { concurrency, seconds: 4, rounds: 3 });
  report("ratelimit_redis_usher", Math.round(result.usher).toString(), "decisions/s");
  report("ratelimit_redis_rate_limiter_flexible", Math.round(result.flexible).toString(), "decisions/s");
  report("ratelimit_redis_usher_vs_rate_limiter_flexible", (result.usher / result.flexible).toFixed(2), "ratio");
} finally {
  for (const pattern of [`bench:${run}:*`, `rlflx-bench-${run}*`]) {
    const found = await client.keys(pattern);
    if (found.length) await client.del(...found);
  }
  await ours.close();
  client.disconnect();
}
