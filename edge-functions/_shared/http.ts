// HTTP plumbing every function shares: JSON errors of one shape, CORS, request ids,
// bounded JSON bodies, and a wrapper that turns a thrown error into a 500 that carries
// the request id and never a stack trace.
import { describeError, type Logger, logger } from "./log.ts";
import { fromSqlError } from "./sql_errors.ts";

/**
 * An error with the HTTP answer it deserves: `{"error":{"code","message"}}`, plus `field`
 * when one field of the request is at fault.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: HeadersInit = {},
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The one answer to a request field that fails its check: 400 `invalid_field`, naming the
 * field in `field` and saying in `message` what it must be.
 */
export function invalidField(field: string, message: string): HttpError {
  return new HttpError(400, "invalid_field", message, {}, field);
}

export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type, x-request-id, idempotency-key",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-expose-headers": "x-request-id, retry-after, ratelimit, ratelimit-policy, idempotent-replayed",
};

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
  field?: string,
): Response {
  return json({ error: field === undefined ? { code, message } : { code, message, field } }, status, headers);
}

/** How long a client may take to send its body; a slower one gets a 408. */
export const bodyTimeoutMs = 10_000;

/**
 * Reads a JSON object body of at most `maxBytes`, UTF-8 encoded as RFC 8259 requires. A
 * body that declares a larger length is refused unread; any other is counted as it
 * arrives, so an oversized or endless body is refused without being buffered whole, and
 * one that stops short of its declared length is given up after `timeoutMs` (408).
 */
export async function readJsonObject(
  req: Request,
  maxBytes: number,
  timeoutMs = bodyTimeoutMs,
): Promise<Record<string, unknown>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "Content-Type must be application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  return parseJsonObject(await readBody(req, maxBytes, timeoutMs));
}

/**
 * Reads a body of at most `maxBytes` as the bytes that arrived, as a signature over the raw
 * body needs it, with the same bounds as `readJsonObject`.
 */
export function readRawBody(req: Request, maxBytes: number, timeoutMs = bodyTimeoutMs): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  return readBody(req, maxBytes, timeoutMs);
}

async function readBody(req: Request, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(408, "request_timeout", "The request body did not arrive in time")),
      timeoutMs,
    );
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    // Stop the transfer: an endless, oversized or stalled body is not read any further.
    reader.cancel().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks, size);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a body's bytes as a JSON object, or refuses it with a 400 saying why. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_encoding", "Body must be UTF-8 encoded");
  }
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
  return new HttpError(413, "body_too_large", `Body must be at most ${maxBytes} bytes`);
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
  /**
   * Fields for every answer to this request, errors included (the RateLimit fields of a
   * counted request, say): `serve` adds them, so no handler catches an error to add them.
   */
  headers: Headers;
}

export type Handler<D> = (req: Request, deps: D, ctx: RequestContext) => Promise<Response>;

const requestIdPattern = /^[A-Za-z0-9._-]{8,100}$/;

/**
 * This request's id: our own random prefix, then the caller's `x-request-id` when it is
 * well formed, so a caller can find its request in our logs but cannot make two requests
 * share an id.
 */
function requestIdFor(req: Request): string {
  const own = crypto.randomUUID();
  const incoming = req.headers.get("x-request-id");
  return incoming && requestIdPattern.test(incoming) ? `${own}.${incoming}` : own;
}

/**
 * Wraps a handler for `export default { fetch }`: answers CORS preflights, gives every
 * request an id, logs one line per request, maps `HttpError` (and the project's own
 * SQLSTATEs, see sql_errors.ts) to its JSON answer and anything else to a 500.
 */
export function serve<D>(
  name: string,
  handler: Handler<D>,
  deps: D,
  sink: (line: string) => void = console.log,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const requestId = requestIdFor(req);
    const log = logger({ function: name, request_id: requestId }, sink);
    const started = performance.now();
    const ctx: RequestContext = { requestId, log, headers: new Headers() };
    let res: Response;
    if (req.method === "OPTIONS") {
      res = new Response(null, { status: 204 });
    } else {
      try {
        res = await handler(req, deps, ctx);
      } catch (e) {
        res = toResponse(e, requestId, log);
      }
    }
    const headers = new Headers(ctx.headers);
    res.headers.forEach((v, k) => headers.set(k, v));
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
  if (e instanceof HttpError) return errorResponse(e.status, e.code, e.message, e.headers, e.field);
  const known = fromSqlError(e);
  if (known) return errorResponse(known.status, known.code, known.message, known.headers);
  // The log gets the error's kind and code and where it was thrown, never its message,
  // which may quote a connection string or a value from the request; the caller gets the id.
  log.log("error", "unhandled error", { error: describeError(e), at: stackFrames(e) });
  return errorResponse(500, "internal_error", `Internal error; quote request id ${requestId}`);
}

/** The frames of an error's stack without its first line, which repeats the message. */
function stackFrames(e: unknown): string | undefined {
  if (!(e instanceof Error) || !e.stack) return undefined;
  return e.stack.split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => l.trim()).join(" < ");
}

export function methodNotAllowed(allowed: string[]): HttpError {
  return new HttpError(405, "method_not_allowed", `Use ${allowed.join(" or ")}`, { allow: allowed.join(", ") });
}
