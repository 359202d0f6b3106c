// Rate-limited requests per second, and the latency of a lone one, through Usher's
// Postgres store configured as the functions configure it (storeFromEnv: a pool of the
// limiter's own, batched calls of rate_limit_take_batch) and `enforce` over each endpoint's
// real limits, versus rate-limiter-flexible's RateLimiterPostgres (over node-postgres, with
// its named prepared statements), one consume per limit, on the same database with as many
// connections.
//   deno run --allow-all tests/bench/ratelimit_postgres.ts
import pg from "npm:pg@8.16.3";
import { RateLimiterPostgres } from "npm:rate-limiter-flexible@11.4.0";
import { connect } from "../../edge-functions/_shared/db.ts";
import { storeFromEnv } from "../../edge-functions/_shared/ratelimit/config.ts";
import { stackEnv } from "../support/stack.ts";
import { compareEndpoints, compareOutage } from "./lib/ratelimit_harness.ts";
import { freePort } from "../support/ports.ts";

const concurrency = 32;
/** The limiter pool's size in storeFromEnv, given to the peer as well. */
const connections = 2;
const run = crypto.randomUUID().slice(0, 8);

const sql = connect(stackEnv.SUPABASE_DB_URL, 5);
const ours = storeFromEnv("BENCH", sql, (n) => ({ RATE_LIMIT_STORE: "postgres" } as Record<string, string>)[n]);
const pool = new pg.Pool({ connectionString: stackEnv.SUPABASE_DB_URL, max: connections });
const tableName = `rlflx_bench_${run}`;

try {
  await compareEndpoints(
    "ratelimit_postgres",
    ours,
    (limit) =>
      new Promise((resolve, reject) => {
        const limiter: RateLimiterPostgres = new RateLimiterPostgres({
          storeClient: pool,
          storeType: "pool",
          tableName,
          keyPrefix: limit.name,
          points: limit.quota.count,
          duration: limit.quota.periodUs / 1_000_000,
        }, (err?: Error) => (err ? reject(err) : resolve(limiter)));
      }),
    run,
    concurrency,
  );
  // With the database gone: both on a port that refuses, with as many connections.
  const down = `postgresql://postgres:postgres@127.0.0.1:${freePort()}/postgres`;
  const downSql = connect(down, 5);
  const downStore = storeFromEnv(
    "BENCH",
    downSql,
    (n) => ({ RATE_LIMIT_STORE: "postgres" } as Record<string, string>)[n],
  );
  const downPool = new pg.Pool({ connectionString: down, max: connections });
  downPool.on("error", () => {});
  try {
    await compareOutage("ratelimit_postgres", downStore, (limit) =>
      new RateLimiterPostgres({
        storeClient: downPool,
        storeType: "pool",
        tableName,
        tableCreated: true,
        keyPrefix: limit.name,
        points: limit.quota.count,
        duration: limit.quota.periodUs / 1_000_000,
      }), run);
  } finally {
    await downStore.close();
    await downSql.end();
    await downPool.end();
  }
} finally {
  await sql`delete from public.rate_limits where key like ${`rl:%:bench-${run}-%`}`;
  await ours.close();
  await sql.end();
  await pool.query(`drop table if exists ${tableName}`);
  await pool.end();
}
