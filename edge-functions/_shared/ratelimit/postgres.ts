// The Postgres store: every decision is made and stored by a SQL function in one statement
// (supabase/migrations/20261127000300_rate_limits.sql): rate_limit_take for one take,
// rate_limit_take_many for the takes of concurrent requests sent together, and
// rate_limit_take_all for one take over several keys, all or nothing.
import postgres from "npm:postgres@3.4.9";
import type { Sql } from "../db.ts";
import {
  checkCost,
  checkQuota,
  type Decision,
  type Quota,
  type RateLimitStore,
  StoreUnavailable,
  type Take,
} from "./store.ts";
import { Batcher } from "../batch.ts";
import { describeError } from "../log.ts";
import { sqlText } from "../sql_text.ts";
import { withTimeout } from "../timeout.ts";

type Row = {
  allowed: boolean;
  too_large: boolean;
  remaining: number;
  retry_after_us: string | null;
  reset_after_us: string;
  tat_us: string | null;
};

type Pending = { key: string; quota: Quota; cost: number; nowUs: number | undefined };

/** The most takes sent in one call; 16 measured best in tests/bench/ratelimit_postgres.ts. */
const maxBatch = 16;

export class PostgresStore implements RateLimitStore {
  readonly kind = "postgres";
  readonly #batcher = new Batcher<Pending, Decision>(
    maxBatch,
    (batch) => batch.length === 1 ? this.#takeOne(batch[0]).then((d) => [d]) : this.#takeMany(batch),
  );

  /** `timeoutMs` bounds each call, so a hung database counts as unreachable. */
  constructor(readonly sql: Sql, readonly timeoutMs = 2000) {}

  /**
   * Takes from one key. Concurrent takes travel together in one rate_limit_take_many call
   * (see ../batch.ts): one statement and one commit for all of them.
   */
  take(key: string, quota: Quota, cost = 1, nowUs?: number): Promise<Decision> {
    checkQuota(quota);
    checkCost(cost, nowUs);
    return this.#batcher.add({ key, quota, cost, nowUs });
  }

  async #takeOne(p: Pending): Promise<Decision> {
    // The composite comes back as one text column: calling the function in the select list
    // spares the server the function scan (and its tuplestore) of `select * from f()`.
    const [row] = await this.#call(() =>
      this.sql.unsafe<{ d: string }[]>(`select public.rate_limit_take(${sqlText(p.key)}, ${int(p.quota.count)},
        ${int(p.quota.periodUs)}, ${int(p.quota.burst)}, ${int(p.cost)}, ${time(p.nowUs)})::text as d`)
    );
    return fromRecord(row.d);
  }

  async #takeMany(batch: Pending[]): Promise<Decision[]> {
    const list = (f: (p: Pending) => string) => `array[${batch.map(f).join(",")}]`;
    const rows = await this.#call(() =>
      this.sql.unsafe<Row[]>(`select * from public.rate_limit_take_many(${list((p) => sqlText(p.key))}::text[],
        ${list((p) => int(p.quota.count))}::integer[], ${list((p) => int(p.quota.periodUs))}::bigint[],
        ${list((p) => int(p.quota.burst))}::integer[], ${list((p) => int(p.cost))}::bigint[],
        ${list((p) => time(p.nowUs))}::bigint[])`)
    );
    return rows.map(decision);
  }

  async takeAll(takes: readonly Take[], cost = 1, nowUs?: number): Promise<Decision[]> {
    takes.forEach((t) => checkQuota(t.quota));
    checkCost(cost, nowUs);
    if (takes.length === 1) return [await this.take(takes[0].key, takes[0].quota, cost, nowUs)];
    const list = (f: (t: Take) => string) => `array[${takes.map(f).join(",")}]`;
    const rows = await this.#call(() =>
      this.sql.unsafe<Row[]>(`select * from public.rate_limit_take_all(${list((t) => sqlText(t.key))}::text[],
        ${list((t) => int(t.quota.count))}::integer[], ${list((t) => int(t.quota.periodUs))}::bigint[],
        ${list((t) => int(t.quota.burst))}::integer[], ${int(cost)}, ${time(nowUs)})`)
    );
    return rows.map(decision);
  }

  close(): Promise<void> {
    return this.sql.end();
  }

  async #call<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(query(), this.timeoutMs, "postgres");
    } catch (e) {
      // An error from the server about the call itself (a bad quota, say) is a bug to
      // surface. Connection trouble (SQLSTATE class 08), exhausted resources (53, such as
      // too many connections) and operator intervention (57, such as a shutdown) mean the
      // store cannot answer now, as do refused, reset and timed-out connections.
      if (e instanceof postgres.PostgresError && !/^(08|53|57)/.test(e.code)) throw e;
      throw new StoreUnavailable(`rate limit store (postgres) unreachable: ${describeError(e)}`);
    }
  }
}

// The calls above are sent as text with their values inlined (see ../sql_text.ts). Only two
// kinds of value are inlined, both unable to break out of their place in the statement:
// integers checked to be safe integers, and keys written as hexadecimal digits.

function time(nowUs: number | undefined): string {
  return nowUs === undefined ? "null" : int(nowUs);
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`rate limit arguments must be integers, got ${n}`);
  return String(n);
}

/**
 * Parses a rate_limit_decision in Postgres's record text form, e.g. `(t,f,4,,12000000,1800000012000000)`:
 * booleans as t/f, integers, and nothing at all for null; no field is ever quoted.
 */
function fromRecord(text: string): Decision {
  const [allowed, tooLarge, remaining, retry, reset, tat] = text.slice(1, -1).split(",");
  return {
    allowed: allowed === "t",
    tooLarge: tooLarge === "t",
    remaining: Number(remaining),
    retryAfterUs: retry === "" ? null : Number(retry),
    resetAfterUs: Number(reset),
    tatUs: tat === "" ? null : Number(tat),
  };
}

function decision(r: Row): Decision {
  return {
    allowed: r.allowed,
    tooLarge: r.too_large,
    remaining: r.remaining,
    retryAfterUs: r.retry_after_us === null ? null : Number(r.retry_after_us),
    resetAfterUs: Number(r.reset_after_us),
    tatUs: r.tat_us === null ? null : Number(r.tat_us),
  };
}
