// useQuery under the dashboard's retry rule, answering with the query what a widget needs
// to say when its live data is failing: which failure, and when the next try is due.
import { hashKey, type QueryKey, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { keySeed, nextRetryAt, pollDelay, retryPolicy } from "./retry.ts";

/** A failing fetch behind figures that are still shown. */
export interface Trouble {
  error: unknown;
  /** When the next try is due (Unix ms); null when no try is planned. */
  nextTryAt: number | null;
}

export type ResilientResult<T> = UseQueryResult<T, unknown> & { trouble: Trouble | null };

export function useResilientQuery<T>(
  queryKey: QueryKey,
  queryFn: (ctx: { signal: AbortSignal }) => Promise<T>,
): ResilientResult<T> {
  const client = useQueryClient();
  const result = useQuery({ queryKey, queryFn, ...retryPolicy(client, queryKey) });
  return { ...result, trouble: troubleOf(result, queryKey) } as ResilientResult<T>;
}

/** The failure behind shown figures: a fetch being retried, or the error that ended one. */
export function troubleOf(result: UseQueryResult<unknown, unknown>, queryKey: QueryKey): Trouble | null {
  if (result.data === undefined) return null;
  if (result.status === "error") {
    // A poll of a query in error is under way: its try is now.
    if (result.fetchStatus === "fetching") return { error: result.error, nextTryAt: Date.now() };
    const wait = pollDelay(result.error, keySeed(queryKey), result.errorUpdateCount);
    return { error: result.error, nextTryAt: result.errorUpdatedAt + wait };
  }
  if (result.failureCount > 0 && result.fetchStatus === "fetching") {
    return { error: result.failureReason, nextTryAt: nextRetryAt.get(hashKey(queryKey)) ?? null };
  }
  return null;
}
