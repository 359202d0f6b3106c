// One Postgres connection pool per function instance, over SUPABASE_DB_URL (which hosted
// Supabase provides to functions). Functions call SQL functions that do each state change
// in one statement; they never read, modify and write rows from TypeScript.
import postgres from "npm:postgres@3.4.9";

export type Sql = postgres.Sql;

/**
 * A pool of at most `max` connections. `statementTimeoutMs` and `lockTimeoutMs` bound every
 * statement of the pool, sent as start-up parameters: a function that must answer within
 * seconds (a webhook) sets them, rather than a `set` per transaction.
 */
export function connect(
  url: string,
  max = 10,
  limits: { statementTimeoutMs?: number; lockTimeoutMs?: number } = {},
): Sql {
  const connection: Record<string, string> = {};
  if (limits.statementTimeoutMs) connection.statement_timeout = String(limits.statementTimeoutMs);
  if (limits.lockTimeoutMs) connection.lock_timeout = String(limits.lockTimeoutMs);
  return postgres(url, {
    max,
    connection,
    // Supabase's pooler runs in transaction mode, where prepared statements do not survive.
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    // postgres.js waits before each reconnect after a failed one, growing to 20 s: a request
    // that finds the database down would wait that long to learn it, and one after the
    // database is back would wait out the backoff too. Capped at a second (jittered, from
    // 10 ms), a function answers an outage as such within about a second and recovers as fast.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 1),
    onnotice: () => {},
  });
}
