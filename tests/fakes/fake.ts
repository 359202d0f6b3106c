// The part every fake provider shares: it records each request (and lists them at
// GET /__requests, oldest first) and can be told, in-process, to fail the next N requests
// with a status of our choosing; the provider's route is told of the failure, so it can
// answer it the way the real provider would (Stripe replays it for the same key). Tests
// start a fake in-process (port 0) or reach the one `tools/local/up.sh` starts.

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Fake {
  url: string;
  requests: Recorded[];
  failNext(n: number, status: number, retryAfter?: number): void;
  close(): Promise<void>;
}

/** A failure the test asked for, to be answered in the provider's own way. */
export interface Failure {
  status: number;
  retryAfter?: number;
}

/** The generic answer to a failure on command, for providers with no rule of their own. */
export function failureResponse(f: Failure): Response {
  const headers: Record<string, string> = f.retryAfter ? { "retry-after": String(f.retryAfter) } : {};
  return Response.json({ error: { message: "fake provider failure on command" } }, { status: f.status, headers });
}

export function startFake(port: number, route: (req: Recorded, failure: Failure | null) => Response): Fake {
  const requests: Recorded[] = [];
  let failures = { left: 0, status: 500, retryAfter: undefined as number | undefined };
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/__requests") return Response.json(requests);
    const recorded = {
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    };
    requests.push(recorded);
    let failure: Failure | null = null;
    if (failures.left > 0) {
      failures.left--;
      failure = { status: failures.status, retryAfter: failures.retryAfter };
    }
    return route(recorded, failure);
  });
  const addr = server.addr as Deno.NetAddr;
  const fake: Fake = {
    url: `http://${addr.hostname}:${addr.port}`,
    requests,
    failNext(n, status, retryAfter) {
      failures = { left: n, status, retryAfter };
    },
    close: () => server.shutdown(),
  };
  return fake;
}
