// Choosing a store by configuration: RATE_LIMIT_STORE=postgres|redis for every function,
// overridable per function with <PREFIX>_RATE_LIMIT_STORE; redis needs REDIS_URL. The
// Postgres store gets a small pool of its own beside the function's `sql`, with the same
// settings.
import { ConfigError } from "../config.ts";
import type { Sql } from "../db.ts";
import { logger } from "../log.ts";
import { limiterPool, PostgresStore } from "./postgres.ts";
import { RedisStore } from "./redis.ts";
import type { RateLimitStore } from "./store.ts";

/**
 * Connections of the Postgres store's own pool, each carrying one batch call at a time: two
 * keep the database busy (one call runs while the next is on its way), and tests/bench/
 * ratelimit_postgres.ts measured no gain from more.
 */
const postgresConnections = 2;

export function storeFromEnv(
  prefix: string,
  sql: Sql,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): RateLimitStore {
  const name = `${prefix}_RATE_LIMIT_STORE`;
  const kind = env(name) || env("RATE_LIMIT_STORE") || "postgres";
  if (kind === "postgres") return new PostgresStore(limiterPool(sql, postgresConnections));
  if (kind !== "redis") {
    throw new ConfigError(`${name} / RATE_LIMIT_STORE must be postgres or redis, got ${JSON.stringify(kind)}`);
  }
  const url = env("REDIS_URL");
  if (!url) {
    throw new ConfigError("missing required environment variable: REDIS_URL (the redis rate limit store needs it)");
  }
  const log = logger({ component: "ratelimit" });
  // Connection errors repeat while Redis is down; the takes that fail say so once each.
  return new RedisStore(url, 2000, (e) => log.log("debug", "redis connection error", { error: e.name }));
}
