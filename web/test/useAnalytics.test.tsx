// The widget hooks against a real HTTP server: first load, figures, then a failing backend
// behind cached figures, counted and timed at the server.
import { QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { analyticsKeys, ApiError } from "../src/analytics/api/queries.ts";
import { CapacityGauge } from "../src/analytics/components/CapacityGauge.tsx";
import { EmailDelivery } from "../src/analytics/components/EmailDelivery.tsx";
import { WidgetBoundary } from "../src/analytics/components/WidgetBoundary.tsx";
import { useCapacity } from "../src/analytics/hooks/useAnalytics.ts";
import { ApiCtx } from "../src/app/api-context.tsx";
import { loadCore } from "../src/core/usher.ts";
import { createQueryClient } from "../src/query/client.ts";
import { keySeed, pollDelay, retryDelay } from "../src/query/retry.ts";
import { answer, capacity, email, eventId, startServer, type TestServer } from "./server.ts";

let server: TestServer | undefined;
beforeAll(() => loadCore());
afterEach(async () => {
  cleanup();
  await server?.close();
  server = undefined;
});

function wrapper(url: string) {
  const client = createQueryClient();
  const api = { functionsUrl: url, accessToken: "token" };
  return ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>
      <ApiCtx.Provider value={api}>{children}</ApiCtx.Provider>
    </QueryClientProvider>
  );
}

// Errors a boundary catches are this test's subject; React's console report of them is noise.
const quiet = () => {};
const ok = { status: 200, body: answer("capacity", capacity) };

describe("useCapacity", () => {
  test("loading, then figures, then the cached figures while the backend fails, retried on the schedule", async () => {
    let live = true;
    server = await startServer(() => live ? ok : { status: 503, body: { error: { code: "database_unavailable" } } });
    const { result } = renderHook(() => useCapacity(eventId, "30d"), { wrapper: wrapper(server.url) });

    expect(result.current.isPending).toBe(true);
    expect(result.current.data).toBeUndefined();
    await waitFor(() => expect(result.current.data?.data).toEqual(capacity));
    expect(result.current.trouble).toBe(null);
    const q = server.requests[0].url.searchParams;
    expect([q.get("widget"), q.get("event")]).toEqual(["capacity", eventId]);
    expect(q.get("to")).toMatch(/T\d\d:00:00\.000Z$/);

    live = false;
    const before = server.requests.length;
    await act(() => result.current.refetch());
    // While retrying, the figures stay and the trouble says when the next try is.
    await waitFor(() => expect(result.current.status).toBe("error"), { timeout: 20_000 });
    expect(result.current.data?.data).toEqual(capacity);
    const tries = server.requests.slice(before);
    expect(tries).toHaveLength(4);
    const seed = keySeed(analyticsKeys.widget("capacity", eventId, "30d"));
    for (let i = 1; i < tries.length; i++) {
      const expected = retryDelay(i - 1, new ApiError(503, "database_unavailable"), seed);
      const gap = tries[i].at - tries[i - 1].at;
      expect(gap).toBeGreaterThanOrEqual(expected - 5);
      expect(gap).toBeLessThan(expected + 400);
    }
    const trouble = result.current.trouble!;
    expect(trouble).not.toBe(null);
    expect(trouble.nextTryAt).toBe(
      result.current.errorUpdatedAt + pollDelay(result.current.error, seed, result.current.errorUpdateCount),
    );
  }, 30_000);

  test("a 429's Retry-After is a floor under the schedule's delays, then a single poll recovers by itself", async () => {
    let limited = false;
    server = await startServer(() =>
      limited ? { status: 429, headers: { "retry-after": "2" }, body: { error: { code: "rate_limited" } } } : ok
    );
    const { result } = renderHook(() => useCapacity(eventId, "7d"), { wrapper: wrapper(server.url) });
    await waitFor(() => expect(result.current.data).toBeDefined());

    limited = true;
    const before = server.requests.length;
    await act(() => result.current.refetch());
    await waitFor(() => expect(result.current.status).toBe("error"), { timeout: 20_000 });
    const tries = server.requests.slice(before);
    expect(tries).toHaveLength(4);
    // 2 s (the server's floor over the schedule's 1 s), then the schedule's 3 s and 10 s (±10 %).
    const gaps = [1, 2, 3].map((i) => tries[i].at - tries[i - 1].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(1995);
    expect(gaps[0]).toBeLessThan(2500);
    expect(gaps[1]).toBeGreaterThanOrEqual(2695);
    expect(gaps[1]).toBeLessThan(3500);
    expect(gaps[2]).toBeGreaterThanOrEqual(8995);
    const wait = result.current.trouble!.nextTryAt! - result.current.errorUpdatedAt;
    expect(wait).toBeGreaterThanOrEqual(9000);
    expect(wait).toBeLessThanOrEqual(11000);

    limited = false;
    await waitFor(() => expect(result.current.status).toBe("success"), { timeout: 13_000 });
    expect(server.requests.length - before).toBe(5);
    expect(result.current.trouble).toBe(null);
  }, 45_000);

  test("a 403 is not retried", async () => {
    server = await startServer(() => ({ status: 403, body: { error: { code: "forbidden" } } }));
    render(
      <WidgetBoundary id="capacity" title="Sold vs capacity">
        <CapacityGauge eventId={eventId} range="30d" />
      </WidgetBoundary>,
      { wrapper: wrapper(server.url), onCaughtError: quiet },
    );
    const error = await screen.findByTestId("widget-error");
    expect(error.textContent).toContain("You don't have access to this event's figures.");
    expect(server.requests).toHaveLength(1);
  });
});

describe("widgets", () => {
  test("a first load that fails shows the boundary, which tries again by itself and shows the figures", async () => {
    let down = true;
    server = await startServer(() =>
      down
        ? { status: 503, headers: { "retry-after": "1" }, body: { error: { code: "database_unavailable" } } }
        : { status: 200, body: answer("capacity", capacity) }
    );
    render(
      <WidgetBoundary id="capacity" title="Sold vs capacity">
        <CapacityGauge eventId={eventId} range="24h" />
      </WidgetBoundary>,
      { wrapper: wrapper(server.url), onCaughtError: quiet },
    );
    expect(screen.getByTestId("widget-skeleton")).toBeTruthy();
    // Its Retry-After of 1 s is below the schedule's delays, which decide: 1 s, 3 s, 10 s.
    const error = await screen.findByTestId("widget-error", {}, { timeout: 20_000 });
    expect(error.textContent).toContain("The figures are unavailable right now — the database cannot be reached.");
    expect(error.textContent).toMatch(/Trying again in (9|10|11) s\./);
    expect(server.requests).toHaveLength(4);
    down = false;
    expect((await screen.findByTestId("capacity-sold", {}, { timeout: 13_000 })).textContent).toBe("120");
    expect(server.requests).toHaveLength(5);
  }, 45_000);

  test("malformed data shows that widget's boundary while the others show their figures", async () => {
    server = await startServer(({ url }) =>
      url.searchParams.get("widget") === "capacity"
        ? { status: 200, body: answer("capacity", { sold: "many", redeemed: 1, capacity: 5 }) }
        : { status: 200, body: answer("email", email, { stale: true }) }
    );
    render(
      <>
        <WidgetBoundary id="capacity" title="Sold vs capacity">
          <CapacityGauge eventId={eventId} range="30d" />
        </WidgetBoundary>
        <WidgetBoundary id="email" title="E-mail delivery">
          <EmailDelivery eventId={eventId} range="30d" />
        </WidgetBoundary>
      </>,
      { wrapper: wrapper(server.url), onCaughtError: quiet },
    );
    expect(screen.getAllByTestId("widget-skeleton")).toHaveLength(2);
    const failed = await screen.findByTestId("widget-error");
    expect(failed.closest("[data-testid=widget-capacity]")).not.toBe(null);
    expect(failed.textContent).toContain("This widget received figures it could not read.");
    expect(failed.dataset.code).toBe("MalformedData");
    expect((await screen.findByTestId("email-delivered")).textContent).toBe("5");
    expect(screen.getByTestId("email-rate").textContent).toBe("71.4 %");
    expect(screen.getByTestId("stale-note").textContent).toMatch(/^Figures last refreshed at .+ \(refresh delayed\)$/);
    // Malformed data is not retried: one request per widget.
    expect(server.requests.filter((r) => r.url.searchParams.get("widget") === "capacity")).toHaveLength(1);

    // Retry asks again; fixed data shows.
    server.respond = () => ({ status: 200, body: answer("capacity", capacity) });
    act(() => screen.getByTestId("widget-retry").click());
    expect((await screen.findByTestId("capacity-sold")).textContent).toBe("120");
  });
});
