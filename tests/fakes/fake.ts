// The part every fake provider shares: it records each request (and lists them at
// GET /__requests, oldest first) and can be told, in-process, to fail the next N requests
// with a status of our choosing. Tests start a fake in-process (port 0) or reach the one
// `tools/local/up.sh` starts.

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

export function startFake(port: number, route: (req: Recorded) => Response): Fake {
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
    close: () => server.shutdown(),
  };
  return fake;
}
