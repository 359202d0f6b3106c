// What the fake Stripe and the fake Resend share to send webhooks on command: commands that
// answer with what they did, the delivery of one webhook over HTTP, and, for the fake Stripe,
// a front that serves the commands itself, so that they are neither recorded at /__requests
// nor failed on command (fake.ts records and fails whatever reaches it).
import { control } from "./fake.ts";

/** The handlers of a fake's command paths, by path. */
export type Controls = Record<string, (req: Request) => Promise<Response>>;

/** Where a fake delivers its webhooks, and the secret it signs them with. */
export interface WebhookEndpoint {
  url: string;
  secret: string;
}

/** One webhook sent: the receiver's status and body (parsed when it is JSON), or why none came. */
export interface Sent {
  status: number | null;
  body: unknown;
  error?: string;
}

/** The most copies of a webhook one command sends. */
const MAX_COPIES = 100;
// A receiver that has not answered by then never will; Stripe gives up sooner.
const DELIVERY_TIMEOUT_MS = 30_000;

/**
 * Answers a command that acts and says what it did: `parse` reads the POSTed JSON object
 * (read as control() reads one) into what `act` needs, or says what is wrong with it (400).
 */
export async function command<T extends object>(
  req: Request,
  parse: (command: Record<string, unknown>) => T | string,
  act: (parsed: T) => Promise<Response>,
): Promise<Response> {
  let parsed: T | undefined;
  const refused = await control(req, (c) => {
    const p = parse(c);
    if (typeof p === "string") return p;
    parsed = p;
  });
  return parsed === undefined ? refused : act(parsed);
}

/** The copies a command asks for, 1 unless given, or what is wrong with its count. */
export function copiesOf(copies: unknown): number | string {
  if (copies === undefined) return 1;
  return Number.isInteger(copies) && (copies as number) >= 1 && (copies as number) <= MAX_COPIES
    ? copies as number
    : `copies must be a whole number from 1 to ${MAX_COPIES}`;
}

/** 404 for a command about something the fake never made. */
export function notMade(what: string): Response {
  return Response.json({ error: `no ${what}` }, { status: 404 });
}

/** 409 for a delivery commanded of a fake that was started without a webhook endpoint. */
export function noEndpoint(variables: string): Response {
  return Response.json({ error: `this fake has no webhook endpoint; start it with ${variables}` }, { status: 409 });
}

/** POSTs one webhook and reports the receiver's answer; a failure to reach it is reported too. */
export async function send(url: string, headers: Record<string, string>, body: string): Promise<Sent> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  } catch (e) {
    return { status: null, body: null, error: String(e) };
  }
}

/**
 * Serves `controls` on `port` and relays every other request to the fake at `innerUrl`,
 * answering with its answer.
 */
export function serveControls(port: number, innerUrl: string, controls: Controls) {
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (Object.hasOwn(controls, url.pathname)) return controls[url.pathname](req);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const answer = await fetch(innerUrl + url.pathname + url.search, {
      method: req.method,
      headers,
      body: req.body ? await req.arrayBuffer() : undefined,
    });
    // fetch has decoded the body already, so its encoding and length no longer describe it.
    const answerHeaders = new Headers(answer.headers);
    answerHeaders.delete("content-encoding");
    answerHeaders.delete("content-length");
    const body = answer.status === 204 ? null : await answer.arrayBuffer();
    return new Response(body, { status: answer.status, headers: answerHeaders });
  });
  const addr = server.addr as Deno.NetAddr;
  return { url: `http://${addr.hostname}:${addr.port}`, close: () => server.shutdown() };
}
