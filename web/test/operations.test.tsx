// The operations page against a real HTTP server: every panel drawn from whatever rows come,
// a dead letter replayed by its id, and a non-admin told plainly.
import { QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeAll, expect, test } from "vitest";
import { ApiCtx } from "../src/app/api-context.tsx";
import { loadCore } from "../src/core/usher.ts";
import { panels } from "../src/operations/api.ts";
import { OperationsPage } from "../src/operations/OperationsPage.tsx";
import { createQueryClient } from "../src/query/client.ts";
import { startServer, type TestServer } from "./server.ts";

let server: TestServer | undefined;
beforeAll(() => loadCore());
afterEach(async () => {
  cleanup();
  await server?.close();
  server = undefined;
});

const quiet = () => {};
const asOf = "2026-12-02T14:05:00.000Z";
const deadLetter = {
  id: "5f0c2a8e-5d0e-4c43-9a51-2f1f3c8d9e02",
  queue: "default",
  subject: "Your tickets",
  attempts: 6,
  updated_at: asOf,
};
const data: Record<string, unknown> = {
  email_queue: {
    queues: [{
      queue: "default",
      pending: 4,
      failed: 1,
      dead_letters: 1,
      oldest_due_seconds: 300,
      oldest_due_at: asOf,
    }],
    dead_letters: [deadLetter],
  },
  webhook_queue: { queues: [], dead_letters: [] },
  provider_rates: { window_hours: 24, providers: { resend: { sent: 10, failed: 2 }, push: { sent: 3 } } },
  push_states: { states: [{ state: "delivered", count: 7 }] },
  refresh_runs: { freshness: { stale: false, data_as_of: asOf }, runs: [] },
  door_scans: { window_minutes: 60, doors: [{ door: "door-1", result: "redeemed", scans: 12 }] },
};

function renderPage(url: string) {
  const client = createQueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>
      <ApiCtx.Provider value={{ functionsUrl: url, accessToken: "admin" }}>{children}</ApiCtx.Provider>
    </QueryClientProvider>
  );
  return render(<OperationsPage />, { wrapper, onCaughtError: quiet });
}

test("every panel shows its rows, and Replay posts the dead letter's id", async () => {
  let replayed = 0;
  server = await startServer(({ url }) => {
    if (url.pathname.endsWith("/operations/replay")) return { status: 200, body: { replayed: ++replayed } };
    const panel = url.searchParams.get("panel")!;
    return { status: 200, body: { panel, as_of: asOf, data: data[panel] } };
  });
  renderPage(server.url);
  const email = await screen.findByTestId("dead-letters-email");
  expect(within(email).getByText("Your tickets")).toBeTruthy();
  for (const p of panels) await screen.findByTestId(`widget-${p.id}`);
  const queues = within(screen.getByTestId("widget-email_queue")).getByTestId("panel-queues");
  expect(within(queues).getByText("5 min")).toBeTruthy();
  // An object of objects (providers → metrics) is a table with a row per key.
  const providers = await screen.findByTestId("panel-providers");
  expect(within(providers).getByText("resend")).toBeTruthy();
  expect((await screen.findByTestId("panel-doors")).textContent).toContain("door-1");

  act(() => within(email).getByTestId("replay").click());
  await waitFor(() => expect(screen.getByTestId("replay-result").textContent).toBe("Replayed 1."));
  const post = server.requests.find((r) => r.url.pathname.endsWith("/operations/replay"))!;
  expect(JSON.parse(post.body)).toEqual({ queue: "email", ids: [deadLetter.id] });
  expect(post.authorization).toBe("Bearer admin");
  // The panel is asked again after a replay.
  await waitFor(() =>
    expect(server!.requests.filter((r) => r.url.searchParams.get("panel") === "email_queue").length).toBe(2)
  );
});

test("someone who is not a platform admin reads a plain message in every panel", async () => {
  server = await startServer(() => ({ status: 403, body: { error: { code: "forbidden", message: "no" } } }));
  renderPage(server.url);
  await waitFor(() => expect(screen.getAllByTestId("widget-error")).toHaveLength(panels.length));
  for (const e of screen.getAllByTestId("widget-error")) {
    expect(e.textContent).toContain("The operations page is for platform admins only.");
  }
  expect(server.requests).toHaveLength(panels.length);
});
