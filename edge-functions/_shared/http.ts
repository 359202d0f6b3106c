// HTTP plumbing every function shares: JSON errors of one shape, CORS, request ids,
// bounded JSON bodies, and a wrapper that turns a thrown error into a 500 that carries
// the request id and never a stack trace.
import { type Logger, logger } from "./log.ts";

/** An error with the HTTP answer it deserves: `{"error":{"code","message"}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: HeadersInit = {},
  ) {
    super(message);
  }
}

export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-request-id",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-expose-headers": "x-request-id, retry-after, ratelimit, ratelimit-policy",
};

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

export function errorResponse(status: number, code: string, message: string, headers: HeadersInit = {}): Response {
  return json({ error: { code, message } }, status, headers);
}

/**
 * Reads a JSON object body of at most `maxBytes`. A body that declares a larger length is
 * refused unread; one without a declared length is counted as it arrives, so an oversized
 * or endless body is refused without being buffered whole.
 */
export async function readJsonObject(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (req.headers.has("content-length")) {
    // The HTTP server reads exactly the declared length, checked above, so the body can be
    // taken whole; only a chunked body needs counting as it arrives. The size is checked
    // again for a Request made in-process, which no server has held to its header.
    const body = new Uint8Array(await req.arrayBuffer());
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes);
    return parseJsonObject(body);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk);
    }
  }
  return parseJsonObject(concat(chunks, size));
}

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder().decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "Body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "invalid_body", "Body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(400, "body_too_large", `Body must be at most ${maxBytes} bytes`);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export interface RequestContext {
  requestId: string;
  log: Logger;
}

export type Handler<D> = (req: Request, deps: D, ctx: RequestContext) => Promise<Response>;

const requestIdPattern = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Wraps a handler for `export default { fetch }`: answers CORS preflights, gives every
 * request an id (the caller's `x-request-id` when it is well formed), logs one line per
 * request, maps `HttpError` to its JSON answer and anything else to a 500.
 */
export function serve<D>(
  name: string,
  handler: Handler<D>,
  deps: D,
  sink: (line: string) => void = console.log,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const incoming = req.headers.get("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    const log = logger({ function: name, request_id: requestId }, sink);
    const started = performance.now();
    let res: Response;
    if (req.method === "OPTIONS") {
      res = new Response(null, { status: 204 });
    } else {
      try {
        res = await handler(req, deps, { requestId, log });
      } catch (e) {
        res = toResponse(e, requestId, log);
      }
    }
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(corsHeaders)) headers.set(k, v);
    headers.set("x-request-id", requestId);
    // Supabase logs every invocation with its status and duration already; this line adds
    // the request id, and is worth its cost for the answers someone will look into.
    const level = res.status >= 500 ? "error" : res.status >= 400 ? "info" : "debug";
    if (log.enabled(level)) {
      log.log(level, "request", {
        method: req.method,
        path: new URL(req.url).pathname,
        status: res.status,
        ms: Math.round(performance.now() - started),
      });
    }
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

function toResponse(e: unknown, requestId: string, log: Logger): Response {
  if (e instanceof HttpError) return errorResponse(e.status, e.code, e.message, e.headers);
  // The full error goes to the log, keyed by request id; the caller gets only the id.
  log.log("error", "unhandled error", {
    error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    stack: e instanceof Error ? e.stack : undefined,
  });
  return errorResponse(500, "internal_error", `Internal error; quote request id ${requestId}`);
}

export function methodNotAllowed(allowed: string[]): HttpError {
  return new HttpError(405, "method_not_allowed", `Use ${allowed.join(" or ")}`, { allow: allowed.join(", ") });
}
