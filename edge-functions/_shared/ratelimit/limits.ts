// Named limits and their enforcement: which quota applies to which key, what happens when
// the store is unreachable, and the HTTP answer to a refusal.
import { HttpError } from "../http.ts";
import type { Logger } from "../log.ts";
import { policyField, rateLimitField, retryAfterField } from "./headers.ts";
import { type Decision, type Quota, type RateLimitStore, StoreUnavailable } from "./store.ts";

/**
 * `open`: when the store cannot be asked, admit the request (and log it); right where a
 * lost request costs more than a burst of extra ones. `closed`: refuse with a 503 and a
 * Retry-After; right where the harm the limit prevents is worse than a short outage.
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
  /** Refused; `error` is the 429 (or fail-closed 503) to throw, with its headers. */
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

/**
 * Takes one unit from every check at once (all or nothing, so a request refused by one
 * limit uses up none of the others) and turns the outcome into a verdict.
 */
export async function enforce(store: RateLimitStore, checks: readonly LimitCheck[], log: Logger): Promise<Verdict> {
  const policy = policyField(checks.map((c) => c.limit));
  let decisions: Decision[];
  try {
    decisions = await store.takeAll(checks.map((c) => ({ key: storeKey(c), quota: c.limit.quota })));
  } catch (e) {
    if (!(e instanceof StoreUnavailable)) throw e;
    const closed = checks.filter((c) => c.limit.failMode === "closed").map((c) => c.limit.name);
    log.log(closed.length ? "error" : "warn", "rate limit store unreachable", {
      store: store.kind,
      error: e.message,
      outcome: closed.length ? `fail closed (${closed.join(", ")})` : "fail open",
    });
    if (closed.length === 0) return { allowed: true, headers: { "ratelimit-policy": policy }, degraded: true };
    return {
      allowed: false,
      limitedBy: closed,
      error: new HttpError(503, "rate_limit_unavailable", "The rate limiter is unavailable; retry shortly", {
        "retry-after": "5",
      }),
    };
  }
  const states = checks.map((c, i) => ({ name: c.limit.name, decision: decisions[i] }));
  const headers: Record<string, string> = { "ratelimit-policy": policy, "ratelimit": rateLimitField(states) };
  const refused = states.filter((s) => !s.decision.allowed);
  if (refused.length === 0) return { allowed: true, headers, degraded: false };

  const limitedBy = refused.map((s) => s.name);
  const waits = refused.map((s) => s.decision.retryAfterUs).filter((w): w is number => w !== null);
  // Only a cost above the burst has no wait; no endpoint takes more than one unit, so that
  // is a configuration error worth a clear message rather than a retry loop. Otherwise the
  // caller waits for the longest of the refusing limits, so one retry after it can succeed.
  const retryAfter = waits.length < refused.length ? null : retryAfterField(Math.max(...waits));
  const message = retryAfter === null
    ? `This request exceeds the ${limitedBy.join(", ")} limit's burst`
    : `Too many requests (${limitedBy.join(", ")} limit); retry after ${retryAfter} s`;
  const errorHeaders = retryAfter === null ? headers : { ...headers, "retry-after": retryAfter };
  return { allowed: false, limitedBy, error: new HttpError(429, "rate_limited", message, errorHeaders) };
}
