// Choosing a store by configuration: RATE_LIMIT_STORE=postgres|redis for every function,
// overridable per function with <PREFIX>_RATE_LIMIT_STORE; redis needs REDIS_URL.
import { ConfigError } from "../config.ts";
import type { Sql } from "../db.ts";
import { logger } from "../log.ts";
import { PostgresStore } from "./postgres.ts";
import { RedisStore } from "./redis.ts";
import type { RateLimitStore } from "./store.ts";

export function storeFromEnv(
  prefix: string,
  sql: Sql,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): RateLimitStore {
  const name = `${prefix}_RATE_LIMIT_STORE`;
  const kind = env(name) || env("RATE_LIMIT_STORE") || "postgres";
  if (kind === "postgres") return new PostgresStore(sql);
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
