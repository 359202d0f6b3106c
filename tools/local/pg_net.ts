// The local stand-in for pg_net's background worker: it sends the HTTP requests that
// net.http_post and net.http_get queue in net.http_request_queue (tools/local/bootstrap.sql)
// and writes each outcome to net._http_response, as pg_net does on hosted Supabase.
//   SUPABASE_DB_URL=… deno run --allow-net --allow-env tools/local/pg_net.ts
// `make up` starts it. It LISTENs for the notification net.wake() sends when a transaction
// that queued a request commits, and looks at the queue every second as well, so a missed
// notification costs at most a second. Rows are taken with `delete … returning` (skip
// locked, so two workers never take the same row): as in pg_net, a request is sent at most
// once, and one the worker dies with is lost. Every request is sent with fetch, up to
// MAX_IN_FLIGHT at once, within its timeout_milliseconds, redirects followed as pg_net's
// curl follows them. A failed request is one row with error_msg; nothing one request does
// stops the worker. It logs one JSON line per request: id, method, origin and path, status,
// time — never a header, a body or a query string, which may carry keys. SIGTERM or SIGINT
// stops it after the requests in flight are answered (or given up after SHUTDOWN_GRACE_MS).
import { connect } from "../../edge-functions/_shared/db.ts";
import { requireEnv } from "../../edge-functions/_shared/config.ts";
import { describeError, logger } from "../../edge-functions/_shared/log.ts";

const CHANNEL = "usher_pg_net";
const POLL_MS = 1000;
const MAX_IN_FLIGHT = 200;
const SHUTDOWN_GRACE_MS = 5000;
// pg_net.ttl's default: answers older than this are deleted, a batch at a time.
const RESPONSE_TTL = "6 hours";
const EXPIRE_EVERY_MS = 60_000;
const USER_AGENT = "pg_net/usher-local";

type QueuedRequest = {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown> | null;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
};

type Outcome = {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
};

const log = logger({ component: "pg_net" });
const { SUPABASE_DB_URL } = requireEnv(["SUPABASE_DB_URL"]);
// The application name lets `make up` (and anyone) see in pg_stat_activity that it runs.
const dbUrl = new URL(SUPABASE_DB_URL);
dbUrl.searchParams.set("application_name", "usher_pg_net");
const sql = connect(dbUrl.href, 4);

const inFlight = new Set<Promise<void>>();
// Set by SIGTERM or SIGINT: take nothing more. Then, after the grace period: abort what is left.
const stopRequested = new AbortController();
const givenUp = new AbortController();
// A notification (or a request finishing while the worker was full) that came while the
// worker was busy is remembered, so the next idle() returns at once.
let woken = false;
let resumeIdle: (() => void) | null = null;
function wake() {
  woken = true;
  resumeIdle?.();
}

/** Builds fetch's arguments from a queued row, or says why pg_net would not send it. */
function requestInit(r: QueuedRequest): { headers: Headers; body?: Uint8Array<ArrayBuffer> } | string {
  if (!(r.timeout_milliseconds > 0)) {
    return `timeout_milliseconds must be at least 1, got ${r.timeout_milliseconds}`;
  }
  let url: URL;
  try {
    url = new URL(r.url);
  } catch {
    return "URL rejected: malformed input to a URL function";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "Unsupported protocol";
  const headers = new Headers({ "user-agent": USER_AGENT });
  for (const [name, raw] of Object.entries(r.headers ?? {})) {
    const value = typeof raw === "string" ? raw : JSON.stringify(raw);
    // Named, never quoted: the value may be a key.
    if (/[\r\n]/.test(name + value)) return `header "${name}" contains a carriage return or line feed`;
    try {
      headers.set(name, value);
    } catch {
      return `header "${name}" is not a valid HTTP header`;
    }
  }
  return r.body === null ? { headers } : { headers, body: r.body };
}

async function send(r: QueuedRequest): Promise<Outcome> {
  const init = requestInit(r);
  const failed = (error_msg: string, timed_out = false): Outcome => ({
    status_code: null,
    content_type: null,
    headers: null,
    content: null,
    timed_out,
    error_msg,
  });
  if (typeof init === "string") return failed(init);
  const timeout = AbortSignal.timeout(r.timeout_milliseconds);
  try {
    const res = await fetch(r.url, {
      method: r.method.toUpperCase(),
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.any([timeout, givenUp.signal]),
    });
    // The body is read within the same timeout, as curl's covers the whole transfer.
    const text = await res.text();
    return {
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers),
      // pg_net stores an empty body as null; text cannot hold NUL, which ends a C string.
      content: text === "" ? null : text.split("\0", 1)[0],
      timed_out: false,
      error_msg: null,
    };
  } catch (e) {
    if (timeout.aborted) return failed(`Timeout of ${r.timeout_milliseconds} ms reached`, true);
    if (givenUp.signal.aborted) return failed("the local pg_net worker stopped before an answer came");
    // fetch's TypeError says only "fetch failed"; its cause says what failed (in the table
    // only, never the log, since it may quote the address).
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.name}: ${e.cause.message}` : "";
    return failed(e instanceof TypeError ? `${e.message}${cause}` : describeError(e));
  }
}

async function perform(r: QueuedRequest): Promise<void> {
  const started = performance.now();
  const target = (() => {
    try {
      const u = new URL(r.url);
      return u.origin + u.pathname;
    } catch {
      return "(unparsable url)";
    }
  })();
  const outcome = await send(r);
  try {
    await sql`
      insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
      values (${r.id}, ${outcome.status_code}, ${outcome.content_type},
              ${outcome.headers === null ? null : sql.json(outcome.headers)}, ${outcome.content},
              ${outcome.timed_out}, ${outcome.error_msg})`;
  } catch (e) {
    log.log("error", "response not recorded", { id: r.id, error: describeError(e) });
    return;
  }
  log.log(outcome.error_msg === null ? "info" : "warn", "request sent", {
    id: r.id,
    method: r.method.toUpperCase(),
    url: target,
    status: outcome.status_code,
    timed_out: outcome.timed_out,
    failed: outcome.error_msg !== null,
    ms: Math.round(performance.now() - started),
  });
}

/** Takes up to `limit` queued requests, deleting their rows in the same statement. */
async function take(limit: number): Promise<QueuedRequest[]> {
  const rows = await sql<QueuedRequest[]>`
    with taken as (
      select id from net.http_request_queue order by id limit ${limit} for update skip locked
    )
    delete from net.http_request_queue q using taken where q.id = taken.id
    returning q.id::text as id, q.method::text as method, q.url, q.headers, q.body, q.timeout_milliseconds`;
  return [...rows];
}

function start(r: QueuedRequest) {
  const p: Promise<void> = perform(r)
    .catch((e) => log.log("error", "request failed in the worker", { id: r.id, error: describeError(e) }))
    .finally(() => {
      inFlight.delete(p);
      if (inFlight.size === MAX_IN_FLIGHT - 1) wake();
    });
  inFlight.add(p);
}

/** Resolves at once if woken since the last call; else on a wake, after POLL_MS, or at a stop. */
function idle(): Promise<void> {
  if (woken || stopRequested.signal.aborted) {
    woken = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stopRequested.signal.removeEventListener("abort", done);
      resumeIdle = null;
      woken = false;
      resolve();
    };
    const timer = setTimeout(done, POLL_MS);
    stopRequested.signal.addEventListener("abort", done);
    resumeIdle = done;
  });
}

async function run() {
  const listening = await sql.listen(CHANNEL, () => wake());
  log.log("info", "pg_net worker ready", { channel: CHANNEL, poll_ms: POLL_MS });
  let lastExpiry = 0;
  let unreachable = false;
  while (!stopRequested.signal.aborted) {
    const room = MAX_IN_FLIGHT - inFlight.size;
    let taken = 0;
    try {
      if (performance.now() - lastExpiry >= EXPIRE_EVERY_MS) {
        lastExpiry = performance.now();
        await sql`
          with expired as (
            select ctid from net._http_response where created < now() - ${RESPONSE_TTL}::interval
             order by created limit 1000
          )
          delete from net._http_response r using expired where r.ctid = expired.ctid`;
      }
      if (room > 0) {
        const batch = await take(room);
        taken = batch.length;
        batch.forEach(start);
      }
      if (unreachable) log.log("info", "database reachable again");
      unreachable = false;
    } catch (e) {
      // The database restarting or refusing for a moment: try again at the next tick.
      if (!unreachable) log.log("error", "queue not read", { error: describeError(e) });
      unreachable = true;
    }
    if (taken < room || room === 0 || unreachable) await idle();
  }
  await listening.unlisten().catch(() => {});
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => {
    if (stopRequested.signal.aborted) return;
    log.log("info", "stopping", { signal, in_flight: inFlight.size });
    stopRequested.abort();
  });
}

let code = 0;
try {
  await run();
} catch (e) {
  log.log("error", "pg_net worker failed", { error: describeError(e) });
  code = 1;
}
// Requests in flight get the grace period to be answered; then they are given up, and
// recorded as such, before the connection closes.
const grace = setTimeout(() => givenUp.abort(), SHUTDOWN_GRACE_MS);
await Promise.all(inFlight);
clearTimeout(grace);
await sql.end({ timeout: 5 }).catch(() => {});
log.log("info", "stopped");
Deno.exit(code);
