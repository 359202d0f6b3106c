// A real HTTP server for a test, on a free loopback port: each request is recorded with the
// time it arrived and answered by the test's current `respond`.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  requests: { at: number; url: URL; authorization: string | undefined; body: string }[];
  respond: (req: { url: URL; body: string }) => Answer;
  close(): Promise<void>;
}

export async function startServer(respond: TestServer["respond"]): Promise<TestServer> {
  const state: Omit<TestServer, "url" | "close"> = { requests: [], respond };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = "";
      req.on("data", (c) => (s += c)).on("end", () => resolve(s));
    });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await read(req);
    state.requests.push({ at: Date.now(), url, authorization: req.headers.authorization, body });
    const a = state.respond({ url, body });
    res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
    res.end(a.body === undefined ? "" : typeof a.body === "string" ? a.body : JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as TestServer;
}

/** A well-formed answer of the analytics function for `widget`. */
export function answer(widget: string, data: unknown, extra: Record<string, unknown> = {}) {
  return {
    widget,
    event_id: eventId,
    from: "2026-11-02T15:00:00.000Z",
    to: "2026-12-02T15:00:00.000Z",
    data_as_of: "2026-12-02T14:05:00Z",
    stale: false,
    data,
    ...extra,
  };
}

export const eventId = "7b0c2a8e-5d0e-4c43-9a51-2f1f3c8d9e01";
export const capacity = { sold: 120, redeemed: 45, capacity: 500 };
export const email = {
  total: 10,
  pending: 1,
  sent: 2,
  delivered: 5,
  bounced: 1,
  complained: 0,
  suppressed: 0,
  failed: 1,
};

/** An unsigned JWT whose subject is `sub`: the functions verify tokens, the app only reads them. */
export function token(sub: string): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, role: "authenticated" })}.sig`;
}
