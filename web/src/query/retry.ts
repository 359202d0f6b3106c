// The dashboard's retry rule (docs/analytics.md): three retries with the delays of the Rust
// retry crate's `dashboard` schedule (through pkg/web, never a second schedule written here),
// never earlier than the server's Retry-After; no retry for a 4xx other than 408 and 429.
// After the retries, a query that still has figures to show keeps asking, one try at a time,
// on the schedule's last delay, so the page recovers by itself when the backend returns.
import { hashKey, type QueryClient, type QueryKey, type QueryState } from "@tanstack/react-query";
import { retryDelayMs } from "../core/usher.ts";
import { ApiError, MalformedData } from "../analytics/api/queries.ts";

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

/** Whether trying the same request again can help: no answer, 408, 429 or a 5xx. */
export function isTransient(error: unknown): boolean {
  if (error instanceof MalformedData) return false;
  if (!(error instanceof ApiError)) return false;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

/** TanStack Query's `retry`: `failureCount` failures so far (0 after the first try failed). */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  return failureCount < maxRetries && isTransient(error);
}

/**
 * TanStack Query's `retryDelay` for the query whose seed is `seed`: the schedule's delay, but
 * never earlier than the server's Retry-After, as the crate's own `next` decides for queues.
 */
export function retryDelay(failureCount: number, error: unknown, seed: number): number {
  const asked = error instanceof ApiError ? error.retryAfterMs : null;
  return Math.max(asked ?? 0, retryDelayMs(schedule, failureCount, seed));
}

/**
 * The wait before the next single try of a query in error: the schedule's last delay (the
 * crate repeats it beyond the list, jittered anew for each `n`), or the server's Retry-After
 * when that is later.
 */
export function pollDelay(error: unknown, seed: number, n: number): number {
  const asked = error instanceof ApiError ? error.retryAfterMs : null;
  return Math.max(asked ?? 0, retryDelayMs(schedule, maxRetries - 1 + n, seed));
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
