// What the browser tests, the dashboard benchmark and the demo's screenshots run against: the
// built dashboard (web/dist) and, on the same origin, an `analytics` and an `operations`
// function of their own — the real handlers over the local stack's real Postgres — served
// over real HTTP. Their database connection goes through a TCP proxy that a test can cut, so
// the functions really answer 503 database_unavailable; the rate limiter keeps a direct
// connection, as the limiter's store is not what is being cut. The server counts every
// widget's requests with their times, can corrupt one widget's answers (valid JSON of the
// wrong shape) and holds each user to the quota a test gives it.
import { chromium } from "npm:playwright-core@1.64.1";
import type { BrowserContext, Page } from "npm:playwright-core@1.64.1";
import { handleAnalytics } from "../../edge-functions/analytics/handler.ts";
import { Authenticator } from "../../edge-functions/_shared/auth.ts";
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { serve } from "../../edge-functions/_shared/http.ts";
import { analyticsLimits } from "../../edge-functions/_shared/ratelimit/named.ts";
import type { Quota } from "../../edge-functions/_shared/ratelimit/store.ts";
import { limiterPool, PostgresStore } from "../../edge-functions/_shared/ratelimit/postgres.ts";
import { handleOperations } from "../../edge-functions/operations/handler.ts";
import { dbUrl, jwtSecret, repoRoot } from "../support/stack.ts";
import { tcpProxy } from "../support/tcp_proxy.ts";

export const widgets = ["sales", "capacity", "checkins", "scan_outcomes", "email"] as const;
export type Widget = typeof widgets[number];

/** One request for a widget's figures, as the server saw it. */
export interface WidgetRequest {
  widget: string;
  /** performance.now() in this process when the request arrived. */
  at: number;
  status: number;
  /** How long the function took to answer, in milliseconds. */
  ms: number;
  /** The answer's Retry-After header, as sent to the browser. */
  retryAfter: string | null;
}

export interface HarnessOptions {
  /** Each user's quota; the production one (60 a minute) by default. */
  userQuota?: Quota;
  /** The statement_timeout of every analytics transaction. */
  statementTimeoutMs?: number;
}

export interface Harness {
  /** The app's origin, e.g. http://127.0.0.1:41234 (its /config.json points at this server). */
  readonly url: string;
  /** The local stack's database, directly: for seeding and checking. */
  readonly sql: Sql;
  readonly requests: WidgetRequest[];
  /** The requests for `widget`'s figures so far. */
  requestsFor(widget: string): WidgetRequest[];
  /** Every later answer for `widget` is valid JSON of the wrong shape (null: none is). */
  corrupt(widget: string | null): void;
  /** Cuts the functions' database connections: they answer 503 until restoreDatabase(). */
  cutDatabase(): Promise<void>;
  restoreDatabase(): void;
  close(): Promise<void>;
}

/** The dashboard's build: web/dist (tools/build-web.sh), or another build folder named by USHER_WEB_DIST. */
export const distDir = Deno.env.get("USHER_WEB_DIST") ?? `${repoRoot}web/dist`;

const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  wasm: "application/wasm",
  svg: "image/svg+xml",
  json: "application/json",
  png: "image/png",
  ico: "image/x-icon",
};

/** web/dist's file for a request path, or null when there is none (index.html for "/"). */
async function staticFile(pathname: string): Promise<Response | null> {
  const rel = pathname === "/" ? "index.html" : decodeURIComponent(pathname.slice(1));
  if (rel.split("/").includes("..")) return null;
  try {
    const body = await Deno.readFile(`${distDir}/${rel}`);
    const ext = rel.slice(rel.lastIndexOf(".") + 1);
    return new Response(body, {
      headers: {
        "content-type": contentTypes[ext] ?? "application/octet-stream",
        // As tools/local/web.ts serves them: Vite names every asset by its hash.
        "cache-control": rel.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      },
    });
  } catch {
    return null;
  }
}

/** A body of the right envelope whose `data` no widget can draw: a string where an object goes. */
function wrongShape(widget: string, event: string): string {
  return JSON.stringify({
    widget,
    event_id: event,
    from: new Date(Date.now() - 86_400_000).toISOString(),
    to: new Date().toISOString(),
    data_as_of: new Date().toISOString(),
    stale: false,
    data: { buckets: "not a list", outcomes: 17, sold: "many" },
  });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  await Deno.stat(`${distDir}/index.html`).catch(() => {
    throw new Error(`${distDir} has no build: run tools/build-web.sh (make up does)`);
  });
  const direct = connect(dbUrl, 4);
  const db = new URL(dbUrl);
  const proxy = tcpProxy(Number(db.port || 5432), db.hostname);
  const proxiedUrl = new URL(dbUrl);
  proxiedUrl.hostname = "127.0.0.1";
  proxiedUrl.port = String(proxy.port);
  const proxied = connect(proxiedUrl.toString(), 5);
  const auth = new Authenticator(jwtSecret);
  const limits = analyticsLimits(() => undefined);
  const silent = () => {};
  const analytics = serve("analytics", handleAnalytics, {
    sql: proxied,
    auth,
    store: new PostgresStore(limiterPool(direct, 1)),
    // A name of this harness's own, so no other run shares its users' budgets.
    limits: {
      user: {
        ...limits.user,
        name: `browser-${crypto.randomUUID().slice(0, 8)}`,
        quota: options.userQuota ?? limits.user.quota,
      },
    },
    statementTimeoutMs: options.statementTimeoutMs ?? 3000,
  }, silent);
  const operations = serve("operations", handleOperations, { sql: proxied, auth }, silent);

  const requests: WidgetRequest[] = [];
  let corrupted: string | null = null;
  let origin = "";

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/config.json") {
      return Response.json({ functionsUrl: `${origin}/functions/v1` }, { headers: { "cache-control": "no-store" } });
    }
    if (url.pathname === "/functions/v1/analytics") {
      const widget = url.searchParams.get("widget") ?? "";
      const at = performance.now();
      const res = await analytics(req);
      if (req.method === "GET") {
        requests.push({
          widget,
          at,
          ms: performance.now() - at,
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
        });
      }
      if (req.method === "GET" && res.status === 200 && widget === corrupted) {
        await res.body?.cancel();
        const headers = new Headers(res.headers);
        headers.delete("etag");
        return new Response(wrongShape(widget, url.searchParams.get("event") ?? ""), { status: 200, headers });
      }
      return res;
    }
    if (url.pathname.startsWith("/functions/v1/operations")) {
      return operations(req);
    }
    return (await staticFile(url.pathname)) ?? (await staticFile("/"))!;
  });
  origin = `http://127.0.0.1:${server.addr.port}`;

  return {
    url: origin,
    sql: direct,
    requests,
    requestsFor: (widget) => requests.filter((r) => r.widget === widget),
    corrupt: (widget) => {
      corrupted = widget;
    },
    cutDatabase: () => proxy.cut(),
    restoreDatabase: () => proxy.restore(),
    async close() {
      await server.shutdown();
      await proxy.close();
      await proxied.end({ timeout: 1 });
      await direct.end({ timeout: 1 });
    },
  };
}

/** The flags Debian's chromium needs on this closed network, headless, as root in a container. */
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const chromiumPath = "/usr/bin/chromium";
/** The Chromium major that playwright-core@1.64.1 is built against (its browsers.json: 156.0.8078.4). */
const playwrightChromiumMajor = 156;

let checkedVersion: Promise<void> | undefined;

/**
 * Fails, saying why, unless Debian's chromium is installed with the major playwright-core
 * speaks: a different major may launch yet break the protocol in ways that look like app bugs.
 */
function checkChromium(): Promise<void> {
  checkedVersion ??= (async () => {
    const out = await new Deno.Command("chromium", { args: ["--version"], stdout: "piped", stderr: "null" }).output()
      .catch(() => {
        throw new Error("chromium is not installed: run tools/install.sh (Debian's chromium package)");
      });
    const version = new TextDecoder().decode(out.stdout);
    const major = Number(/Chromium (\d+)\./.exec(version)?.[1]);
    if (major !== playwrightChromiumMajor) {
      throw new Error(`chromium ${version.trim()} is not the major ${playwrightChromiumMajor} playwright-core speaks`);
    }
  })();
  return checkedVersion;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's chromium through playwright-core, with a fresh profile (no cache, no storage). */
export async function launchBrowser(): Promise<Browser> {
  await checkChromium();
  const profile = await Deno.makeTempDir({ prefix: "usher-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 900 },
    // The tests compute the times the app shows: one zone and one locale wherever they run.
    timezoneId: "UTC",
    locale: "en-GB",
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
