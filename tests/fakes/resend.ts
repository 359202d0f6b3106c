// A fake of the two Resend endpoints Usher sends through: POST /emails and POST /emails/batch
// (https://resend.com/docs/api-reference/emails/send-email, …/send-batch-emails). It keeps the
// rules of the real API that a sender can get wrong:
// - errors are `{statusCode, name, message}` with Resend's names (api-reference/errors);
// - an Idempotency-Key (1–256 characters) is kept for 24 hours: the same key with the same body
//   answers the first message id again and delivers nothing; with another body it is a 409
//   invalid_idempotent_request; while its first request is still being processed, a 409
//   concurrent_idempotent_requests (dashboard/emails/idempotency-keys). As at Stripe, a request
//   that is refused (validation, limits, failure on command) saves nothing under its key;
// - a team-wide limit of requests per second (2 by default, as Resend's changelog and rate-limit
//   page said when it was introduced; the page now says 5) with the ratelimit-limit,
//   ratelimit-remaining and ratelimit-reset headers on every answer and retry-after on a 429
//   rate_limit_exceeded; an optional daily quota of e-mails (each recipient counts, as the
//   account-quotas page says) refused with a 429 daily_quota_exceeded;
// - a batch holds 1–100 e-mails and no attachments, and is refused whole if one is invalid
//   (the default "strict" batch validation).
// Every message accepted is one delivery, listed in-process and at GET /__deliveries.
// Another process commands the mishaps over HTTP as tests do in-process: POST /__fail
// {"n","status","retryAfter"} (fake.ts), and POST /__drop or /__hold {"n":1,"when":"after"}
// for dropNext and holdNext (`when` is "before" unless given); none of these is recorded.
//
// It also sends the webhooks Resend sends through Svix, on command: POST /__webhook
// {"email_id","type","bounce"?,"copies"?,"svix_id"?} makes Resend's event of `type` about a
// message it accepted (from, to and subject as that message had them; 404 for an id it never
// answered), signs it with Standard Webhooks' own library and POSTs it `copies` times, one
// after another, under one svix-id (Svix keeps the id across its retries), each copy signed
// anew as of when it is sent. The answer is {"svix_id","event","deliveries":[{"status","body"}]};
// a command that is wrong gets a 400 naming the field. The webhook is signed as of the real
// time, which its receiver checks, whatever clock the fake's API keeps.
//
// Recording and failures on command come from fake.ts, which serves on an inner port. In front
// of it a plain TCP listener speaks just enough HTTP/1.1 to relay each request, because some
// failures a client must survive are not HTTP answers at all and Deno.serve cannot produce them:
// a connection closed without a byte of answer (dropNext) and a request never answered until
// the client gives up (holdNext). Either can happen before the message is accepted or after
// it, when Resend has sent the e-mail but the client never learns its id. The relay also holds
// each accepted answer for `processingMs`, during which its key counts as in flight.
import { Webhook } from "npm:standardwebhooks@1.1.1";
import { control, count, type Failure, type Fake, type Recorded, startFake } from "./fake.ts";
import {
  command,
  type Controls,
  copiesOf,
  noEndpoint,
  notMade,
  send,
  type Sent,
  type WebhookEndpoint,
} from "./webhook_sender.ts";

export interface Delivery {
  id: string;
  from: string;
  to: string[];
  subject: string;
  idempotencyKey: string | null;
  /** When the fake accepted it, by its clock, as Resend's events give it. */
  createdAt: string;
}

export interface FakeResendOptions {
  port?: number;
  /** Requests per second across every key, Resend's team-wide limit; 2 unless given. */
  requestsPerSecond?: number;
  /** E-mails (recipients) per 24 hours; none unless given, as on Resend's paid plans. */
  dailyQuota?: number;
  /** How long each accepted request takes to be answered, in milliseconds. */
  processingMs?: number;
  /** The clock of the rate window, the quota day and the keys' 24 hours. */
  now?: () => number;
  /** Where /__webhook delivers, signed with a whsec_… secret as Svix's are. */
  webhook?: WebhookEndpoint;
}

/** Whether a transport failure strikes before the message is accepted or once it has been. */
export type When = "before" | "after";

export interface FakeResend extends Fake {
  deliveries: Delivery[];
  /** The next n requests get no answer until the client gives up. */
  holdNext(n: number, when?: When): void;
  /** The next n requests have their connection closed without an answer. */
  dropNext(n: number, when?: When): void;
}

const KEY_TTL_MS = 24 * 3600_000;
const DAY_MS = 24 * 3600_000;
const MAX_BATCH = 100;
const MAX_RECIPIENTS = 50;
// The route tells the relay how to deliver its answer in this header, which the relay removes.
const TRANSPORT = "x-fake-transport";

// A key's first request and its answer. `busyUntil` is on the monotonic clock, because the
// relay holds the answer with a real timer; the injected clock only says when the key expires.
type Saved = { path: string; body: string; answer: unknown; busyUntil: number; expires: number };
type Mishap = { left: number; kind: "hold" | "drop"; when: When };

export function startFakeResend(options: FakeResendOptions = {}): FakeResend {
  const now = options.now ?? Date.now;
  const perSecond = options.requestsPerSecond ?? 2;
  const processingMs = options.processingMs ?? 0;
  const deliveries: Delivery[] = [];
  const saved = new Map<string, Saved>();
  const window = { start: -Infinity, count: 0 };
  const day = { start: -Infinity, sent: 0 };
  let mishap: Mishap = { left: 0, kind: "drop", when: "before" };

  function route(req: Recorded, failure: Failure | null): Response {
    const transport = takeMishap();
    if (transport?.when === "before") return marked(new Response(null), transport.kind);
    const answer = failure ? failureAnswer(failure, perSecond) : answerApi(req);
    return transport ? marked(answer, transport.kind) : answer;
  }

  function answerApi(req: Recorded): Response {
    if (req.method !== "POST" || (req.path !== "/emails" && req.path !== "/emails/batch")) {
      return resendError(404, "not_found", "The requested endpoint does not exist.");
    }
    const auth = req.headers["authorization"];
    if (!auth) return resendError(401, "missing_api_key", "Missing API key in the authorization header.");
    if (!/^Bearer re_\w+$/.test(auth)) return resendError(403, "invalid_api_key", "API key is invalid.");
    const t = now();
    if (t >= window.start + 1000) Object.assign(window, { start: t, count: 0 });
    const allowed = window.count < perSecond;
    if (allowed) window.count++;
    const reset = Math.max(1, Math.ceil((window.start + 1000 - t) / 1000));
    const answer = allowed ? accept(req, t) : rateLimited(reset);
    answer.headers.set("ratelimit-limit", String(perSecond));
    answer.headers.set("ratelimit-remaining", String(perSecond - window.count));
    answer.headers.set("ratelimit-reset", String(reset));
    return answer;
  }

  function accept(req: Recorded, t: number): Response {
    const key = req.headers["idempotency-key"];
    if (key !== undefined && (key.length < 1 || key.length > 256)) {
      return resendError(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }
    const earlier = key === undefined ? undefined : saved.get(key);
    if (earlier && earlier.expires > t) {
      if (earlier.busyUntil > performance.now()) {
        return resendError(
          409,
          "concurrent_idempotent_requests",
          "Same idempotency key used while original request is still in progress.",
        );
      }
      if (earlier.path !== req.path || earlier.body !== req.body) {
        return resendError(
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload.",
        );
      }
      return Response.json(earlier.answer);
    }
    const emails = parseEmails(req);
    if (emails instanceof Response) return emails;
    const recipients = emails.reduce((sum, e) => sum + e.recipients, 0);
    if (t >= day.start + DAY_MS) Object.assign(day, { start: t, sent: 0 });
    if (options.dailyQuota !== undefined && day.sent + recipients > options.dailyQuota) {
      return resendError(429, "daily_quota_exceeded", "You have reached your daily email sending quota.");
    }
    day.sent += recipients;
    const ids = emails.map((e) => {
      const id = crypto.randomUUID();
      deliveries.push({
        id,
        from: e.from,
        to: e.to,
        subject: e.subject,
        idempotencyKey: key ?? null,
        createdAt: new Date(t).toISOString(),
      });
      return { id };
    });
    const answer = req.path === "/emails" ? ids[0] : { data: ids };
    if (key !== undefined) {
      const busyUntil = performance.now() + processingMs;
      saved.set(key, { path: req.path, body: req.body, answer, busyUntil, expires: t + KEY_TTL_MS });
    }
    return marked(Response.json(answer), `delay=${processingMs}`);
  }

  function takeMishap(): Mishap | null {
    if (mishap.left === 0) return null;
    mishap.left--;
    return mishap;
  }

  const commandMishap = (kind: Mishap["kind"]) => (c: Record<string, unknown>) => {
    const n = count(c.n);
    if (n === null) return "n must be a whole number of requests, 0 or more";
    if (c.when !== undefined && c.when !== "before" && c.when !== "after") return 'when must be "before" or "after"';
    mishap = { left: n, kind, when: (c.when as When | undefined) ?? "before" };
  };
  async function sendWebhook(w: WebhookCommand): Promise<Response> {
    const endpoint = options.webhook;
    if (!endpoint) return noEndpoint("USHER_RESEND_WEBHOOK_URL and RESEND_WEBHOOK_SECRETS");
    const delivery = deliveries.find((d) => d.id === w.emailId);
    if (!delivery) return notMade(`e-mail with id ${w.emailId}`);
    const { from, to, subject, createdAt } = delivery;
    const event = {
      type: w.type,
      created_at: new Date().toISOString(),
      data: { email_id: delivery.id, from, to, subject, created_at: createdAt, ...w.bounce && { bounce: w.bounce } },
    };
    const payload = JSON.stringify(event);
    const sent: Sent[] = [];
    for (let i = 0; i < w.copies; i++) {
      const at = new Date();
      sent.push(
        await send(endpoint.url, {
          "content-type": "application/json",
          "svix-id": w.svixId,
          "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
          "svix-signature": new Webhook(endpoint.secret).sign(w.svixId, at, payload),
        }, payload),
      );
    }
    return Response.json({ svix_id: w.svixId, event, deliveries: sent });
  }

  const inner = startFake(0, route);
  const relay = startRelay(options.port ?? 0, inner.url, deliveries, {
    "/__drop": (req) => control(req, commandMishap("drop")),
    "/__hold": (req) => control(req, commandMishap("hold")),
    "/__webhook": (req) => command(req, parseWebhook, sendWebhook),
  });
  return {
    url: relay.url,
    requests: inner.requests,
    deliveries,
    failNext: inner.failNext,
    holdNext(n, when = "before") {
      mishap = { left: n, kind: "hold", when };
    },
    dropNext(n, when = "before") {
      mishap = { left: n, kind: "drop", when };
    },
    async close() {
      await relay.close();
      await inner.close();
    },
  };
}

type WebhookCommand = {
  emailId: string;
  type: string;
  bounce?: { type: string; subType: string };
  copies: number;
  svixId: string;
};

function parseWebhook(c: Record<string, unknown>): WebhookCommand | string {
  if (typeof c.email_id !== "string") return "email_id must be the id of a message the fake accepted";
  if (typeof c.type !== "string" || !/^email\.[a-z_]{1,40}$/.test(c.type)) {
    return "type must be an e-mail event type, like email.delivered";
  }
  const bounce = c.bounce as Record<string, unknown> | undefined;
  if (
    bounce !== undefined &&
    !(c.type === "email.bounced" && (bounce?.type === "Permanent" || bounce?.type === "Transient") &&
      typeof bounce.subType === "string" && bounce.subType.length > 0)
  ) {
    return 'bounce must be {"type":"Permanent"|"Transient","subType":"General"…}, and only for email.bounced';
  }
  const copies = copiesOf(c.copies);
  if (typeof copies === "string") return copies;
  if (c.svix_id !== undefined && !(typeof c.svix_id === "string" && /^[\w-]{1,255}$/.test(c.svix_id))) {
    return "svix_id must be 1 to 255 letters, digits, underscores or dashes";
  }
  return {
    emailId: c.email_id,
    type: c.type,
    // Resend reports every bounce with its kind; a hard bounce unless the command says otherwise.
    bounce: c.type === "email.bounced"
      ? { type: bounce?.type as string ?? "Permanent", subType: bounce?.subType as string ?? "General" }
      : undefined,
    copies,
    svixId: c.svix_id as string | undefined ?? `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 27)}`,
  };
}

type Email = { from: string; to: string[]; subject: string; recipients: number };

/** The e-mails of a request, or the answer refusing it. */
function parseEmails(req: Recorded): Email[] | Response {
  let body: unknown;
  try {
    body = JSON.parse(req.body);
  } catch {
    return resendError(400, "validation_error", "The request body is not valid JSON.");
  }
  if (req.path === "/emails") {
    const email = parseEmail(body, true);
    return email instanceof Response ? email : [email];
  }
  if (!Array.isArray(body) || body.length < 1 || body.length > MAX_BATCH) {
    return resendError(422, "validation_error", `The batch must be an array of 1 to ${MAX_BATCH} emails.`);
  }
  const emails: Email[] = [];
  for (const item of body) {
    const email = parseEmail(item, false);
    if (email instanceof Response) return email;
    emails.push(email);
  }
  return emails;
}

const ADDRESS = /^[^\s@<>,]+@[^\s@<>,]+\.[^\s@<>,]+$/;
// An address alone, or a display name and the address in angle brackets.
const isAddress = (s: unknown) => typeof s === "string" && ADDRESS.test(/^[^<>]*<([^<>]+)>$/.exec(s)?.[1] ?? s);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const FORMAT = "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.";

function parseEmail(value: unknown, attachmentsAllowed: boolean): Email | Response {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return resendError(400, "validation_error", "Each email must be a JSON object.");
  }
  const e = value as Record<string, unknown>;
  for (const field of ["from", "to", "subject"]) {
    if (e[field] === undefined || e[field] === "") {
      return resendError(422, "missing_required_field", `Missing \`${field}\` field.`);
    }
  }
  if (!isAddress(e.from)) return resendError(422, "invalid_from_address", `Invalid \`from\` field. ${FORMAT}`);
  const to = list(e.to);
  if (to.length < 1 || to.length > MAX_RECIPIENTS || !to.every(isAddress)) {
    return resendError(
      422,
      "validation_error",
      `Invalid \`to\` field. ${FORMAT} At most ${MAX_RECIPIENTS} recipients.`,
    );
  }
  for (const field of ["cc", "bcc"]) {
    if (!list(e[field]).every(isAddress)) {
      return resendError(422, "validation_error", `Invalid \`${field}\` field. ${FORMAT}`);
    }
  }
  if (typeof e.subject !== "string") {
    return resendError(422, "validation_error", "The `subject` field must be a string.");
  }
  if (typeof e.html !== "string" && typeof e.text !== "string") {
    return resendError(422, "missing_required_field", "Missing `html` or `text` field.");
  }
  const tags = list(e.tags) as { name?: unknown; value?: unknown }[];
  if (!tags.every((tag) => [tag?.name, tag?.value].every((s) => typeof s === "string" && /^[\w-]{1,256}$/.test(s)))) {
    return resendError(
      422,
      "validation_error",
      "Tags must have a `name` and a `value` of ASCII letters, numbers, underscores or dashes.",
    );
  }
  const headers = e.headers ?? {};
  if (typeof headers !== "object" || !Object.values(headers).every((v) => typeof v === "string")) {
    return resendError(422, "validation_error", "The `headers` field must be an object of strings.");
  }
  const attachments = list(e.attachments) as { content?: unknown; path?: unknown }[];
  if (attachments.length > 0 && !attachmentsAllowed) {
    return resendError(422, "validation_error", "Attachments are not supported in batch emails.");
  }
  if (!attachments.every((a) => typeof a?.content === "string" || typeof a?.path === "string")) {
    return resendError(422, "invalid_attachment", "Attachment must have either a `content` or `path`.");
  }
  const recipients = to.length + list(e.cc).length + list(e.bcc).length;
  return { from: e.from as string, to: to as string[], subject: e.subject, recipients };
}

function resendError(statusCode: number, name: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ statusCode, name, message }, { status: statusCode, headers });
}

function rateLimited(retryAfter: number): Response {
  return resendError(
    429,
    "rate_limit_exceeded",
    "Too many requests. Please limit the number of requests per second.",
    { "retry-after": String(retryAfter) },
  );
}

/** A failure on command, answered as Resend answers that status. */
function failureAnswer(f: Failure, perSecond: number): Response {
  const retryAfter = f.retryAfter ? { "retry-after": String(f.retryAfter) } : undefined;
  switch (f.status) {
    case 429: {
      const answer = rateLimited(f.retryAfter ?? 1);
      answer.headers.set("ratelimit-limit", String(perSecond));
      answer.headers.set("ratelimit-remaining", "0");
      answer.headers.set("ratelimit-reset", String(f.retryAfter ?? 1));
      return answer;
    }
    case 422:
      return resendError(422, "validation_error", "fake provider failure on command");
    case 500:
      return resendError(500, "internal_server_error", "An unexpected error occurred.", retryAfter);
    default:
      // Resend documents no name for 502–504, which come from in front of its application.
      return resendError(f.status, "application_error", "An unexpected error occurred.", retryAfter);
  }
}

function marked(answer: Response, transport: string): Response {
  answer.headers.set(TRANSPORT, transport);
  return answer;
}

/**
 * The TCP front: reads one HTTP/1.1 request per connection (a Content-Length body, the way
 * fetch sends a JSON string), relays it to the inner fake, and answers, holds or drops as the
 * route marked the answer; each connection is closed after its answer.
 */
function startRelay(port: number, innerUrl: string, deliveries: Delivery[], controls: Controls) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      const handler = serveOne(conn, innerUrl, deliveries, controls).catch(() => {}).finally(() => {
        open.delete(conn);
        closeQuietly(conn);
        handlers.delete(handler);
      });
      handlers.add(handler);
    }
  })().catch(() => {});
  const addr = listener.addr as Deno.NetAddr;
  return {
    url: `http://${addr.hostname}:${addr.port}`,
    async close() {
      listener.close();
      for (const conn of open) closeQuietly(conn);
      await accepting;
      await Promise.all(handlers);
    },
  };
}

async function serveOne(conn: Deno.Conn, innerUrl: string, deliveries: Delivery[], controls: Controls) {
  const request = await readRequest(conn);
  if (!request) return;
  if (request.path === "/__deliveries") {
    return writeResponse(conn, Response.json({ count: deliveries.length, deliveries }));
  }
  if (Object.hasOwn(controls, request.path)) {
    const { method, headers, body } = request;
    const req = new Request(`http://relay${request.path}`, { method, headers, body: method === "POST" ? body : null });
    return writeResponse(conn, await controls[request.path](req));
  }
  const answer = await fetch(innerUrl + request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body.length > 0 ? request.body : undefined,
  });
  const transport = answer.headers.get(TRANSPORT) ?? "";
  const body = new Uint8Array(await answer.arrayBuffer());
  if (transport === "drop") return;
  // A held request waits for the client to close its side, which is how it gives up.
  if (transport === "hold") return void (await conn.read(new Uint8Array(1)).catch(() => null));
  const delay = Number(transport.replace("delay=", "")) || 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const headers = new Headers(answer.headers);
  headers.delete(TRANSPORT);
  // An empty body as null, which a 204 (the answer to a command) must have.
  const payload = body.length > 0 ? body : null;
  await writeResponse(conn, new Response(payload, { status: answer.status, statusText: answer.statusText, headers }));
}

type RawRequest = { method: string; path: string; headers: Headers; body: Uint8Array<ArrayBuffer> };
const HOP_BY_HOP = ["host", "connection", "keep-alive", "content-length", "transfer-encoding"];

async function readRequest(conn: Deno.Conn): Promise<RawRequest | null> {
  let data = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  let end = -1;
  while (end < 0) {
    const n = await conn.read(chunk);
    if (n === null) return null;
    data = concat(data, chunk.subarray(0, n));
    end = indexOfBlankLine(data);
  }
  const [requestLine, ...lines] = new TextDecoder().decode(data.subarray(0, end)).split("\r\n");
  const [method, path] = requestLine.split(" ");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get("content-length") ?? 0);
  let body = data.subarray(end + 4);
  while (body.length < length) {
    const n = await conn.read(chunk);
    if (n === null) return null;
    body = concat(body, chunk.subarray(0, n));
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
  return { method, path, headers, body: body.subarray(0, length) };
}

async function writeResponse(conn: Deno.Conn, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  const head = [`HTTP/1.1 ${response.status} ${response.statusText || "Answer"}`];
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.includes(name)) head.push(`${name}: ${value}`);
  });
  head.push(`content-length: ${body.length}`, "connection: close", "", "");
  const bytes = concat(new TextEncoder().encode(head.join("\r\n")), body);
  for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
}

function indexOfBlankLine(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 13 && data[i + 3] === 10) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function closeQuietly(conn: Deno.Conn) {
  try {
    conn.close();
  } catch {
    // Already closed, by the client or by close(); either is what we wanted.
  }
}
