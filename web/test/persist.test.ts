import { QueryClient } from "@tanstack/react-query";
import { persistQueryClientRestore, persistQueryClientSave } from "@tanstack/react-query-persist-client";
import { beforeEach, describe, expect, test } from "vitest";
import { ApiError } from "../src/analytics/api/queries.ts";
import { createQueryClient } from "../src/query/client.ts";
import { keepsLastGood, maxAgeMs, persistOptions, storageKey } from "../src/query/persist.ts";

// The persister's writes wait a timer even when not throttled: `save` waits for it too.
const options = (user: string) => persistOptions(localStorage, user, 0);
const written = () => new Promise((resolve) => setTimeout(resolve, 20));
async function save(client: QueryClient, opts: ReturnType<typeof options>) {
  await persistQueryClientSave({ queryClient: client, ...opts });
  await written();
}

const hour = 3_600_000;
const key = ["analytics", "e", "capacity", "30d"];

beforeEach(() => localStorage.clear());

/** A client whose query under `key` got figures, then failed to fetch anew. */
async function erroredWithData(): Promise<QueryClient> {
  const client = createQueryClient();
  await client.fetchQuery({ queryKey: key, queryFn: () => ({ sold: 3 }) });
  await client
    .fetchQuery({ queryKey: key, queryFn: () => Promise.reject(new ApiError(503, "x")), retry: false, staleTime: 0 })
    .catch(() => {});
  expect(client.getQueryState(key)?.status).toBe("error");
  return client;
}

describe("keepsLastGood", () => {
  const state = (over: object) =>
    ({ state: { data: { sold: 1 }, dataUpdatedAt: 0, status: "success", ...over } }) as never;

  test("keeps a query whose last fetch failed but that has figures", () => {
    expect(keepsLastGood(state({ status: "error", error: new ApiError(503, "x"), dataUpdatedAt: 1000 }), 2000)).toBe(
      true,
    );
  });
  test("drops a query with no figures, and figures older than 24 h", () => {
    expect(keepsLastGood(state({ data: undefined, status: "error" }), 1)).toBe(false);
    expect(keepsLastGood(state({ dataUpdatedAt: 0 }), maxAgeMs)).toBe(true);
    expect(keepsLastGood(state({ dataUpdatedAt: 0 }), maxAgeMs + 1)).toBe(false);
  });
});

describe("the persisted cache", () => {
  test("an errored query's figures survive a reload, as a success", async () => {
    const client = await erroredWithData();
    await save(client, options("user-a"));
    const restored = createQueryClient();
    await persistQueryClientRestore({ queryClient: restored, ...options("user-a") });
    expect(restored.getQueryData(key)).toEqual({ sold: 3 });
    expect(restored.getQueryState(key)?.status).toBe("success");
    expect(restored.getQueryState(key)?.error).toBe(null);
  });

  test("TanStack's default rule would have dropped it", async () => {
    const client = await erroredWithData();
    const { dehydrateOptions: _, ...defaults } = options("user-a");
    await save(client, defaults);
    const restored = createQueryClient();
    await persistQueryClientRestore({ queryClient: restored, ...defaults });
    expect(restored.getQueryData(key)).toBeUndefined();
  });

  test("figures older than 24 h are not written", async () => {
    const client = createQueryClient();
    client.setQueryData(key, { sold: 3 }, { updatedAt: Date.now() - 25 * hour });
    client.setQueryData(["fresh"], 1);
    await save(client, options("user-a"));
    const stored = JSON.parse(localStorage.getItem(storageKey("user-a"))!);
    expect(stored.clientState.queries.map((q: { queryKey: unknown }) => q.queryKey)).toEqual([["fresh"]]);
  });

  test("a cache stored more than 24 h ago is thrown away on restore", async () => {
    const client = createQueryClient();
    client.setQueryData(key, { sold: 3 });
    await save(client, options("user-a"));
    const stored = JSON.parse(localStorage.getItem(storageKey("user-a"))!);
    stored.timestamp -= maxAgeMs + 1000;
    localStorage.setItem(storageKey("user-a"), JSON.stringify(stored));
    const restored = createQueryClient();
    await persistQueryClientRestore({ queryClient: restored, ...options("user-a") });
    expect(restored.getQueryData(key)).toBeUndefined();
    expect(localStorage.getItem(storageKey("user-a"))).toBe(null);
  });

  test("one user's figures never restore for another", async () => {
    const client = createQueryClient();
    client.setQueryData(key, { sold: 3 });
    await save(client, options("user-a"));
    const other = createQueryClient();
    await persistQueryClientRestore({ queryClient: other, ...options("user-b") });
    expect(other.getQueryData(key)).toBeUndefined();
    // Even user A's stored cache copied under B's key is refused: its buster is A's.
    localStorage.setItem(storageKey("user-b"), localStorage.getItem(storageKey("user-a"))!);
    await persistQueryClientRestore({ queryClient: other, ...options("user-b") });
    expect(other.getQueryData(key)).toBeUndefined();
  });
});
