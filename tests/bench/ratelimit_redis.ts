// Rate-limited requests per second, and the latency of a lone one, through Usher's Redis
// store configured as the functions configure it (storeFromEnv: the GCRA Lua script by
// EVALSHA, batched calls on one ioredis connection) and `enforce` over each endpoint's real
// limits, versus rate-limiter-flexible's RateLimiterRedis (its own Lua script over one
// ioredis connection), one consume per limit, on the same Redis.
//   deno run --allow-all tests/bench/ratelimit_redis.ts
import { Redis } from "npm:ioredis@6.0.0";
import { RateLimiterRedis } from "npm:rate-limiter-flexible@11.4.0";
import { connect } from "../../edge-functions/_shared/db.ts";
import { storeFromEnv } from "../../edge-functions/_shared/ratelimit/config.ts";
import { stackEnv } from "../support/stack.ts";
import { compareEndpoints, compareOutage } from "./lib/ratelimit_harness.ts";
import { freePort } from "../support/ports.ts";

const concurrency = 32;
const run = crypto.randomUUID().slice(0, 8);

// storeFromEnv takes the function's pool; the Redis store never uses it.
const sql = connect(stackEnv.SUPABASE_DB_URL, 1);
const env: Record<string, string> = { RATE_LIMIT_STORE: "redis", REDIS_URL: stackEnv.REDIS_URL };
const ours = storeFromEnv("BENCH", sql, (n) => env[n]);
const client = new Redis(stackEnv.REDIS_URL);

try {
  await compareEndpoints(
    "ratelimit_redis",
    ours,
    (limit) =>
      Promise.resolve(
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: `rlflx-bench-${run}-${limit.name}`,
          points: limit.quota.count,
          duration: limit.quota.periodUs / 1_000_000,
        }),
      ),
    run,
    concurrency,
  );
  // With Redis gone: both on a port that refuses, the peer's client set as the store's is.
  const down = `redis://127.0.0.1:${freePort()}`;
  const downStore = storeFromEnv("BENCH", sql, (n) => ({ ...env, REDIS_URL: down })[n]);
  const downClient = new Redis(down, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  });
  downClient.on("error", () => {});
  try {
    await compareOutage("ratelimit_redis", downStore, (limit) =>
      new RateLimiterRedis({
        storeClient: downClient,
        keyPrefix: `rlflx-bench-${run}-${limit.name}`,
        points: limit.quota.count,
        duration: limit.quota.periodUs / 1_000_000,
      }), run);
  } finally {
    await downStore.close();
    downClient.disconnect();
  }
} finally {
  for (const pattern of [`rl:*:bench-${run}-*`, `rlflx-bench-${run}-*`]) {
    const found = await client.keys(pattern);
    if (found.length) await client.del(...found);
  }
  await ours.close();
  await sql.end();
  client.disconnect();
}
