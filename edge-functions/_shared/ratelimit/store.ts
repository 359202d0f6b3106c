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
   * Takes `cost` units from every key, all or nothing: the keys' states change only when
   * every key admits the request. Returns one decision per key, in order. `nowUs` is for
   * tests and replays; without it the store's own clock decides.
   * Throws `StoreUnavailable` when the store cannot be reached.
   */
  takeAll(takes: readonly Take[], cost?: number, nowUs?: number): Promise<Decision[]>;
  /** `takeAll` for one key. */
  take(key: string, quota: Quota, cost?: number, nowUs?: number): Promise<Decision>;
  close(): Promise<void>;
}

/** The store could not be asked; the caller's fail-open or fail-closed rule applies. */
export class StoreUnavailable extends Error {
  override name = "StoreUnavailable";
}

/** A quota's emission interval, checked the way the crate's `Quota` constructor does. */
export function checkQuota(q: Quota): void {
  const ok = Number.isSafeInteger(q.count) && q.count >= 1 && Number.isSafeInteger(q.periodUs) &&
    Number.isSafeInteger(q.burst) && q.burst >= 1 && Math.floor(q.periodUs / q.count) >= 1 &&
    Number.isSafeInteger(Math.floor(q.periodUs / q.count) * q.burst);
  if (!ok) throw new TypeError(`invalid rate limit quota ${JSON.stringify(q)}`);
}

/** A take's cost and optional time must be safe integers, the cost not negative. */
export function checkCost(cost: number, nowUs: number | undefined): void {
  if (!Number.isSafeInteger(cost) || cost < 0) throw new TypeError(`invalid rate limit cost ${cost}`);
  if (nowUs !== undefined && !Number.isSafeInteger(nowUs)) throw new TypeError(`invalid time ${nowUs}`);
}
