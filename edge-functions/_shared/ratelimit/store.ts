// The limiter's interface, shared by the Postgres and Redis stores: both run the GCRA of
// crates/usher-ratelimit on the server side of one round trip, so callers never read,
// modify and write a key's state themselves.
import type { GcraDecision } from "../wasm.ts";

/** `count` requests per `periodUs` microseconds, at most `burst` at once. */
export interface Quota {
  count: number;
  periodUs: number;
  burst: number;
}

/** One key's decision, field for field the crate's `Decision` and the wasm `Gcra`'s. */
export type Decision = GcraDecision;

export interface Take {
  key: string;
  quota: Quota;
}

export interface RateLimitStore {
  /** Which backend this is, for logs and benchmarks. */
  readonly kind: "postgres" | "redis";
  /**
   * Takes `cost` units from every key at once, all or nothing: the keys' states change
   * only when every key admits the request. Returns one decision per key, in order; a key
   * that would have admitted a refused request reports its unchanged state, as a take of
   * cost 0 would. Concurrent takes travel to the store together, each decided as if alone.
   * `nowUs` is for tests and replays; without it the store's own clock decides, read once
   * the store holds every key of the call.
   *
   * Throws `StoreUnavailable` when the store did not answer or refused the connection,
   * and `StoreOverloaded` when this instance could not even ask it in time.
   */
  takeAll(takes: readonly Take[], cost?: number, nowUs?: number): Promise<Decision[]>;
  close(): Promise<void>;
}

/** The store did not answer, or refused the connection: the limit's fail mode applies. */
export class StoreUnavailable extends Error {
  override name = "StoreUnavailable";
}

/**
 * This instance could not ask the store in time: its own queue of takes was too long. That
 * says nothing about the store, so no fail mode applies; the request is refused.
 */
export class StoreOverloaded extends Error {
  override name = "StoreOverloaded";
}

/** A quota's emission interval, checked the way the crate's `Quota` constructor does. */
export function checkQuota(q: Quota): void {
  const ok = Number.isSafeInteger(q.count) && q.count >= 1 && Number.isSafeInteger(q.periodUs) &&
    Number.isSafeInteger(q.burst) && q.burst >= 1 && Math.floor(q.periodUs / q.count) >= 1 &&
    Number.isSafeInteger(Math.floor(q.periodUs / q.count) * q.burst);
  if (!ok) throw new TypeError(`invalid rate limit quota ${JSON.stringify(q)}`);
}

/** A take of at least one key, none twice, each with a valid quota, at a valid cost and time. */
export function checkTakes(takes: readonly Take[], cost: number, nowUs: number | undefined): void {
  if (takes.length === 0 || new Set(takes.map((t) => t.key)).size !== takes.length) {
    throw new TypeError("rate limit keys must be distinct, and at least one");
  }
  for (const t of takes) checkQuota(t.quota);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new TypeError(`invalid rate limit cost ${cost}`);
  if (nowUs !== undefined && !Number.isSafeInteger(nowUs)) throw new TypeError(`invalid time ${nowUs}`);
}

/**
 * Decision `i` of a store's flat answer: six integers per key, allowed (1/0), too_large
 * (1/0), remaining, retry_after_us (-1 for none), reset_after_us and the stored new TAT
 * (-1 when nothing was stored). Both the SQL function and the Lua script answer so.
 */
export function decisionAt(flat: readonly number[], i: number): Decision {
  const [allowed, tooLarge, remaining, retry, reset, tat] = flat.slice(i * 6, i * 6 + 6);
  return {
    allowed: allowed === 1,
    tooLarge: tooLarge === 1,
    remaining,
    retryAfterUs: retry < 0 ? null : retry,
    resetAfterUs: reset,
    tatUs: tat < 0 ? null : tat,
  };
}
