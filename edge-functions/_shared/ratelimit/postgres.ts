// The Postgres store: every decision is made and stored by one SQL function,
// public.rate_limit_take_batch (supabase/migrations/20261201000300_rate_limit_batches.sql),
// which takes for all the requests of a batch in one statement, each request all or
// nothing over its keys, with the clock read once it holds every key's lock.
import postgres from "npm:postgres@3.4.9";
import type { Sql } from "../db.ts";
import { sqlText } from "../sql_text.ts";
import { type Backend, defaultTuning, Dispatcher, type Request, type Tuning } from "./dispatch.ts";
import type { Decision, RateLimitStore, Take } from "./store.ts";

/**
 * SQLSTATEs that mean the database cannot answer now rather than that the call is wrong:
 * connection trouble (class 08), exhausted resources (53, such as too many connections),
 * operator intervention (57, such as a shutdown) and a key's lock not granted within the
 * function's lock_timeout (55P03).
 */
const unavailableState = /^(08|53|57|55P03)/;

/**
 * A pool of `connections` for the limiter alone, with the settings of `sql` (the
 * function's pool, built by ../db.ts). The limiter sits in front of every request; on a
 * pool of its own, each of its calls has a connection waiting for it, so the time a call
 * takes is the database's, never a wait behind the function's other queries.
 */
export function limiterPool(sql: Sql, connections: number): Sql {
  // postgres() takes its own parsed options back as they are, as it does for its
  // LISTEN connection; only the size differs.
  return postgres({ ...sql.options, max: connections } as unknown as postgres.Options<Record<string, never>>);
}

export class PostgresStore implements RateLimitStore {
  readonly kind = "postgres";
  readonly #dispatch: Dispatcher;

  /**
   * Calls go out on `sql`, at most one per connection at a time; give the store a pool of
   * its own (limiterPool) so they never wait for one. `timeoutMs` bounds each call from the
   * moment it is sent, so a database that does not answer counts as unreachable.
   */
  constructor(readonly sql: Sql, timeoutMs = defaultTuning.timeoutMs, tuning: Partial<Tuning> = {}) {
    const backend: Backend = {
      call: (batch) => this.#call(batch),
      ping: () => sql.unsafe("select 1"),
      unavailable: (e) => !(e instanceof postgres.PostgresError) || unavailableState.test(e.code),
    };
    this.#dispatch = new Dispatcher(this.kind, backend, {
      ...defaultTuning,
      maxInFlight: sql.options.max,
      timeoutMs,
      ...tuning,
    });
  }

  takeAll(takes: readonly Take[], cost = 1, nowUs?: number): Promise<Decision[]> {
    return this.#dispatch.take(takes, cost, nowUs);
  }

  /** Waits up to a second for calls in flight, then closes the connections regardless. */
  async close(): Promise<void> {
    await this.#dispatch.settle();
    await this.sql.end({ timeout: 1 });
  }

  async #call(batch: readonly Request[]): Promise<number[]> {
    const keys: string[] = [], counts: string[] = [], periods: string[] = [], bursts: string[] = [];
    const requests: string[] = [], costs: string[] = [], nows: string[] = [];
    batch.forEach((r, i) => {
      for (const t of r.takes) {
        keys.push(sqlText(t.key));
        counts.push(int(t.quota.count));
        periods.push(int(t.quota.periodUs));
        bursts.push(int(t.quota.burst));
        requests.push(String(i + 1));
      }
      costs.push(int(r.cost));
      nows.push(r.nowUs === undefined ? "null" : int(r.nowUs));
    });
    // The call commits without waiting for its WAL to reach the disk: the flush is most of
    // a lone take's time, and what a database crash can lose is the takes of its last few
    // hundred milliseconds, which the limit then grants once more (the Redis store keeps
    // nothing across a restart at all). Both statements go in one simple query, which
    // Postgres (and a transaction-mode pooler) runs as one transaction: SET LOCAL ends
    // with it, and the function's writes are all it commits.
    //
    // The answer comes back as one text column: calling the function in the select list
    // spares the server the function scan of `select * from f()`, and a flat array of
    // integers is the cheapest thing for postgres.js to hand over.
    const [, [row]] = await this.sql.unsafe<[[], { d: string }[]]>(
      `set local synchronous_commit = off;
      select public.rate_limit_take_batch(array[${keys}]::text[], array[${counts}]::integer[],
        array[${periods}]::bigint[], array[${bursts}]::integer[], array[${requests}]::integer[],
        array[${costs}]::bigint[], array[${nows}]::bigint[])::text as d`,
    );
    return row.d.slice(1, -1).split(",").map(Number);
  }
}

// The call is sent as text with its values inlined (see ../sql_text.ts). Only two kinds of
// value are inlined, both unable to break out of their place in the statement: integers
// checked to be safe integers, and keys written as hexadecimal digits.
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`rate limit arguments must be integers, got ${n}`);
  return String(n);
}
