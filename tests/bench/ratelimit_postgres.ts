// Decisions per second through Usher's Postgres limiter (PostgresStore over postgres.js,
// configured as the edge functions configure it) versus rate-limiter-flexible's
// RateLimiterPostgres (over node-postgres, with its named prepared statements), on the
// same database, with the same concurrency, connection count, quota and key spread.
//   deno run --allow-all tests/bench/ratelimit_postgres.ts
import pg from "npm:pg@8.16.3";
import { RateLimiterPostgres } from "npm:rate-limiter-flexible@11.4.0";
import { connect } from "../../edge-functions/_shared/db.ts";
import { PostgresStore } from "../../edge-functions/_shared/ratelimit/postgres.ts";
import { stackEnv } from "../support/stack.ts";
import { compareWithFlexible } from "./lib/ratelimit_harness.ts";

const concurrency = 32;
const connections = 8;
const keys = 1000;
const run = crypto.randomUUID().slice(0, 8);
const quota = { count: 100, periodUs: 60_000_000, burst: 100 };

const sql = connect(stackEnv.SUPABASE_DB_URL, connections);
const ours = new PostgresStore(sql, 10_000);
const pool = new pg.Pool({ connectionString: stackEnv.SUPABASE_DB_URL, max: connections });
const tableName = `rlflx_bench_${run}`;
const theirs = await new Promise<RateLimiterPostgres>((resolve, reject) => {
  const limiter: RateLimiterPostgres = new RateLimiterPostgres(
    { storeClient: pool, storeType: "pool", tableName, points: quota.count, duration: 60 },
    (err?: Error) => (err ? reject(err) : resolve(limiter)),
  );
});

try {
  await compareWithFlexible(
    "ratelimit_postgres",
    (i) => ours.take(`bench:${run}:${i % keys}`, quota),
    theirs,
    keys,
    concurrency,
  );
} finally {
  await sql`delete from public.rate_limits where key like ${`bench:${run}:%`}`;
  await sql.end();
  await pool.query(`drop table if exists ${tableName}`);
  await pool.end();
}
