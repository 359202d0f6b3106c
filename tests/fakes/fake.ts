// The part every fake provider shares: it records each request (and lists them at
// GET /__requests, oldest first) and can be told to fail the next N requests with a status
// of our choosing — in-process with failNext, or from another process (the demo, against the
// fakes `tools/local/up.sh` starts) with POST /__fail {"n":3,"status":503,"retryAfter":1}
// (retryAfter, in seconds, is optional; the answer is 204, or 400 naming what is wrong). The
// provider's route is told of the failure, so it can answer it the way the real provider
// would (Stripe replays it for the same key). Neither /__ path is recorded. Tests start a
// fake in-process (port 0) or reach the one `tools/local/up.sh` starts.

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
    if (url.pathname === "/__fail") {
      return control(req, (c) => {
        const n = count(c.n), status = Number.isInteger(c.status) ? c.status as number : NaN;
        if (n === null) return "n must be a whole number of requests, 0 or more";
        if (!(status >= 400 && status <= 599)) return "status must be a whole number from 400 to 599";
        if (c.retryAfter !== undefined && !(typeof c.retryAfter === "number" && c.retryAfter > 0)) {
          return "retryAfter must be a positive number of seconds";
        }
        fake.failNext(n, status, c.retryAfter as number | undefined);
      });
    }
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

/**
 * Answers a POST of a JSON object to a control path: `apply` acts on it and returns nothing
 * (204), or says what is wrong with it (400).
 */
export async function control(
  req: Request,
  apply: (command: Record<string, unknown>) => string | void,
): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "POST a JSON object here" }, { status: 405 });
  let command: unknown;
  try {
    command = await req.json();
  } catch {
    return Response.json({ error: "the body must be JSON" }, { status: 400 });
  }
  if (typeof command !== "object" || command === null || Array.isArray(command)) {
    return Response.json({ error: "the body must be a JSON object" }, { status: 400 });
  }
  const wrong = apply(command as Record<string, unknown>);
  return wrong ? Response.json({ error: wrong }, { status: 400 }) : new Response(null, { status: 204 });
}

/** A command's count of requests: a whole number, 0 or more, or null when it is not one. */
export function count(n: unknown): number | null {
  return Number.isSafeInteger(n) && (n as number) >= 0 ? n as number : null;
}
