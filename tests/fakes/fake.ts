// The part every fake provider shares: it records each request, can be told to fail the
// next N requests with a status of our choosing, and exposes a small control API:
//   GET  /__requests  the recorded requests, oldest first
//   POST /__control   {"fail_next": n, "status": 503, "retry_after": 2}
//   POST /__reset     forget requests and pending failures
// Tests start a fake in-process (port 0) or reach the one `tools/local/up.sh` starts.

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
  reset(): void;
  close(): Promise<void>;
}

export function startFake(
  port: number,
  route: (req: Recorded) => Response,
  hostname = "127.0.0.1",
): Fake {
  const requests: Recorded[] = [];
  let failures = { left: 0, status: 500, retryAfter: undefined as number | undefined };
  const server = Deno.serve({ hostname, port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/__requests") return Response.json(requests);
    if (url.pathname === "/__reset") {
      fake.reset();
      return Response.json({ ok: true });
    }
    if (url.pathname === "/__control") {
      const c = await req.json();
      fake.failNext(Number(c.fail_next ?? 1), Number(c.status ?? 500), c.retry_after);
      return Response.json({ ok: true });
    }
    const recorded = {
      method: req.method,
      path: url.pathname,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    };
    requests.push(recorded);
    if (failures.left > 0) {
      failures.left--;
      const headers: Record<string, string> = failures.retryAfter ? { "retry-after": String(failures.retryAfter) } : {};
      return Response.json({ error: { message: "fake provider failure on command" } }, {
        status: failures.status,
        headers,
      });
    }
    return route(recorded);
  });
  const addr = server.addr as Deno.NetAddr;
  const fake: Fake = {
    url: `http://${addr.hostname}:${addr.port}`,
    requests,
    failNext(n, status, retryAfter) {
      failures = { left: n, status, retryAfter };
    },
    reset() {
      requests.length = 0;
      failures = { left: 0, status: 500, retryAfter: undefined };
    },
    close: () => server.shutdown(),
  };
  return fake;
}
