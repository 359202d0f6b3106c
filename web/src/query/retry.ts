// The dashboard's retry rule (docs/analytics.md): the Rust retry crate decides, through pkg/web
// (never a second rule written here): three retries with the delays of its `dashboard`
// schedule, never earlier than the server's Retry-After, and no retry for a 4xx other than
// 408 and 429 (its `classify`).
// After the retries, a query that still has figures to show keeps asking, one try at a time,
// on the schedule's last delay, so the page recovers by itself when the backend returns.
import { hashKey, type QueryClient, type QueryKey, type QueryState } from "@tanstack/react-query";
import { classifyFailure, type FailureClass, nextRetry, type RetryDecision } from "../core/usher.ts";
import { ApiError } from "../analytics/api/queries.ts";

export const schedule = "dashboard";
/** The dashboard schedule's own number of retries after the first try (crates/usher-retry). */
export const maxRetries = 3;
/** How often healthy figures are asked again; unchanged ones cost a 304. */
export const healthyPollMs = 60_000;

/**
 * The seed of a query's jitter: FNV-1a (32 bits) over the key's stable hash, so each widget
 * keeps its own delays across reloads while the widgets of one page spread out.
 */
export function keySeed(queryKey: QueryKey): number {
  let h = 0x811c9dc5;
  for (const ch of hashKey(queryKey)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * How the retry crate classes a failure: `retry` for no answer, 408, 429 or a 5xx, `give_up`
 * for any other 4xx; data that failed its check, or an error of our own, is never retried.
 */
function failureClass(error: unknown): FailureClass {
  if (!(error instanceof ApiError)) return "give_up";
  return classifyFailure(error.status === 0 ? null : error.status, error.code);
}

/** Whether trying the same request again can help. */
export function isTransient(error: unknown): boolean {
  return failureClass(error) !== "give_up";
}

/**
 * The crate's decision after try `attempt` (0 the first) of the query with `seed` failed, out
 * of `maxAttempts` retries: the schedule's delay, never earlier than the server's Retry-After.
 */
function decide(error: unknown, seed: number, attempt: number, maxAttempts = maxRetries): RetryDecision {
  const asked = error instanceof ApiError ? error.retryAfterMs : null;
  return nextRetry(schedule, maxAttempts, attempt, failureClass(error), asked, seed);
}

/** TanStack Query's `retry`: `failureCount` failures so far (0 after the first try failed). */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  return decide(error, 0, failureCount).kind !== "dead_letter";
}

/** TanStack Query's `retryDelay` for the query whose seed is `seed`. */
export function retryDelay(failureCount: number, error: unknown, seed: number): number {
  return decide(error, seed, failureCount).delayMs ?? 0;
}

/**
 * The wait before the next single try of a query in error, the `n`th poll after its retries:
 * the crate asked as though one more retry were allowed each time, so it answers the
 * schedule's last delay (jittered anew for each `n`), or the server's Retry-After when later.
 */
export function pollDelay(error: unknown, seed: number, n: number): number {
  return decide(error, seed, maxRetries - 1 + n, maxRetries + n).delayMs ?? 0;
}

/**
 * When the next try of each query is due, by query hash, recorded as TanStack Query asks for
 * a retry's delay (its state holds no time for a failure that is being retried).
 */
export const nextRetryAt = new Map<string, number>();

/**
 * The retry, polling and error-boundary options of the query keyed `queryKey` (queries'
 * states are typed loosely here, as these options read only what every query has).
 */
export function retryPolicy(client: QueryClient, queryKey: QueryKey) {
  const seed = keySeed(queryKey);
  const hash = hashKey(queryKey);
  return {
    // A query already in error is being polled: each poll is one try, so the retries of a
    // failure are exactly the schedule's three.
    retry: (failureCount: number, error: unknown) =>
      client.getQueryState(queryKey)?.status !== "error" && shouldRetry(failureCount, error),
    retryDelay: (failureCount: number, error: unknown) => {
      const ms = retryDelay(failureCount, error, seed);
      nextRetryAt.set(hash, Date.now() + ms);
      return ms;
    },
    refetchInterval: (query: { state: QueryState<unknown, unknown> }) => {
      const { status, error, data, errorUpdateCount } = query.state;
      if (status !== "error") return healthyPollMs;
      return data !== undefined && isTransient(error) ? pollDelay(error, seed, errorUpdateCount) : false;
    },
    refetchIntervalInBackground: true,
    // Figures the user may no longer see (401, 403), a request that cannot succeed (400) and
    // malformed data go to the widget's boundary; a transient failure shows the cached figures.
    throwOnError: (error: unknown, query: { state: QueryState<unknown, unknown> }) =>
      query.state.data === undefined || !isTransient(error),
  };
}
