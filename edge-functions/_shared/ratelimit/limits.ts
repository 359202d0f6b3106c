// Named limits and their enforcement: which quota applies to which key, what happens when
// the store is unreachable or this instance too busy to ask it, and the HTTP answer to a
// refusal.
import { HttpError } from "../http.ts";
import type { Logger } from "../log.ts";
import { policyField, rateLimitField, retryAfterField } from "./headers.ts";
import { type Decision, type Quota, type RateLimitStore, StoreOverloaded, StoreUnavailable } from "./store.ts";

/**
 * What happens when the store did not answer or refused the connection. `open`: admit the
 * request (and log it); right where a lost request costs more than a burst of extra ones.
 * `closed`: refuse with a 503 and a Retry-After; right where the harm the limit prevents
 * is worse than a short outage. Neither applies when this instance could not ask the
 * store for its own overload: that request is refused (see enforce).
 */
export type FailMode = "open" | "closed";

export interface NamedLimit {
  /** The policy name in the RateLimit fields and the key prefix in the store. */
  name: string;
  quota: Quota;
  failMode: FailMode;
}

/** One limit applied to one key (a user id, an IP address, "all"). */
export interface LimitCheck {
  limit: NamedLimit;
  key: string;
}

export type Verdict =
  /** Admitted; `headers` carry RateLimit (empty when a fail-open limit could not be asked). */
  | { allowed: true; headers: Record<string, string>; degraded: boolean }
  /** Refused; `error` is the 429 (or the 503 of a fail-closed or overloaded limit) to throw. */
  | { allowed: false; error: HttpError; limitedBy: string[] };

const minuteUs = 60_000_000;
const hourUs = 60 * minuteUs;

export function perMinute(count: number): Quota {
  return { count, periodUs: minuteUs, burst: count };
}

export function perHour(count: number): Quota {
  return { count, periodUs: hourUs, burst: count };
}

/** The store key of one check: the limit's name and the caller's key. */
function storeKey(check: LimitCheck): string {
  return `rl:${check.limit.name}:${check.key}`;
}

/** The RateLimit-Policy field alone, for answers given without asking the store. */
function policyOnly(checks: readonly LimitCheck[]): Record<string, string> {
  return { "ratelimit-policy": policyField(checks.map((c) => c.limit)) };
}

/** A 503 refusal given without the store's answer, with a Retry-After of `retryAfterS`. */
function unavailable(
  checks: readonly LimitCheck[],
  limitedBy: string[],
  code: string,
  message: string,
  retryAfterS: number,
): Verdict {
  const headers = { ...policyOnly(checks), "retry-after": String(retryAfterS) };
  return { allowed: false, limitedBy, error: new HttpError(503, code, message, headers) };
}

/**
 * Takes one unit from every check at once (all or nothing, so a request refused by one
 * limit uses up none of the others) and turns the outcome into a verdict. A store that
 * could not be asked because this instance is overloaded refuses the request whatever the
 * fail modes say: admitting it would turn the limit off exactly when it is being flooded.
 */
export async function enforce(store: RateLimitStore, checks: readonly LimitCheck[], log: Logger): Promise<Verdict> {
  let decisions: Decision[];
  try {
    decisions = await store.takeAll(checks.map((c) => ({ key: storeKey(c), quota: c.limit.quota })));
  } catch (e) {
    if (e instanceof StoreOverloaded) {
      log.log("warn", "rate limit store not asked: this instance is overloaded", { store: store.kind });
      const all = checks.map((c) => c.limit.name);
      return unavailable(checks, all, "rate_limit_overloaded", "Too many requests are waiting; retry shortly", 1);
    }
    if (!(e instanceof StoreUnavailable)) throw e;
    const closed = checks.filter((c) => c.limit.failMode === "closed").map((c) => c.limit.name);
    log.log(closed.length ? "error" : "warn", "rate limit store unreachable", {
      store: store.kind,
      error: e.message,
      outcome: closed.length ? `fail closed (${closed.join(", ")})` : "fail open",
    });
    if (closed.length === 0) return { allowed: true, headers: policyOnly(checks), degraded: true };
    return unavailable(checks, closed, "rate_limit_unavailable", "The rate limiter is unavailable; retry shortly", 5);
  }
  const states = checks.map((c, i) => ({ name: c.limit.name, quota: c.limit.quota, decision: decisions[i] }));
  const headers: Record<string, string> = { ...policyOnly(checks), "ratelimit": rateLimitField(states) };
  const refused = states.filter((s) => !s.decision.allowed);
  if (refused.length === 0) return { allowed: true, headers, degraded: false };

  const limitedBy = refused.map((s) => s.name);
  const waits = refused.map((s) => s.decision.retryAfterUs).filter((w): w is number => w !== null);
  // Only a cost above the burst has no wait; no endpoint takes more than one unit, so that
  // is a configuration error worth a clear message rather than a retry loop. Otherwise the
  // caller waits for the longest of the refusing limits, so one retry after it can succeed.
  const retryAfter = waits.length < refused.length ? null : retryAfterField(waits, states);
  const message = retryAfter === null
    ? `This request exceeds the ${limitedBy.join(", ")} limit's burst`
    : `Too many requests (${limitedBy.join(", ")} limit); retry after ${retryAfter} s`;
  const errorHeaders = retryAfter === null ? headers : { ...headers, "retry-after": retryAfter };
  return { allowed: false, limitedBy, error: new HttpError(429, "rate_limited", message, errorHeaders) };
}
