// The last good answer of every query, kept in localStorage for at most 24 hours, per user.
//
// TanStack's default dehydrates only queries whose last fetch succeeded, which drops exactly
// the widgets that need the fallback (their last fetch failed, their figures are still good):
// this keeps every query that has data younger than 24 hours, and stores it as the success
// it last was, since an Error does not survive JSON.
import { createSyncStoragePersister } from "@tanstack/query-sync-storage-persister";
import type { Query } from "@tanstack/react-query";
import type { PersistedClient, PersistQueryClientOptions } from "@tanstack/react-query-persist-client";

export const maxAgeMs = 24 * 60 * 60 * 1000;

/** Whether a query's figures are worth keeping for a later visit at `nowMs`. */
export function keepsLastGood(query: Pick<Query, "state">, nowMs = Date.now()): boolean {
  const { data, dataUpdatedAt } = query.state;
  return data !== undefined && nowMs - dataUpdatedAt <= maxAgeMs;
}

/** The stored form: an errored query's error is not kept, its last good figures are. */
export function serialize(client: PersistedClient): string {
  return JSON.stringify({
    ...client,
    clientState: {
      ...client.clientState,
      queries: client.clientState.queries.map((q) =>
        q.state.status === "error"
          ? { ...q, state: { ...q.state, status: "success", error: null, fetchFailureReason: null } }
          : q
      ),
    },
  });
}

/** The storage key of a user's cache: each user has their own, so none sees another's figures. */
export const storageKey = (userId: string) => `usher.queries.${userId}`;

/** `throttleMs`: writes are gathered for this long (TanStack's default, 1 s), then made at once. */
export function persistOptions(
  storage: Storage,
  userId: string,
  throttleMs = 1000,
): Omit<PersistQueryClientOptions, "queryClient"> {
  return {
    persister: createSyncStoragePersister({ storage, key: storageKey(userId), serialize, throttleTime: throttleMs }),
    maxAge: maxAgeMs,
    // A cache written for someone else (a copied storage key) is thrown away on restore.
    buster: userId,
    dehydrateOptions: { shouldDehydrateQuery: (q) => keepsLastGood(q) },
  };
}
