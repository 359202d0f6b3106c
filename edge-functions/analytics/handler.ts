// The dashboard's figures, one widget per request (docs/analytics.md is the contract): the
// caller's JWT decides which events they may see (in SQL, analytics_can_view), each user is
// held to a GCRA limit, and every query runs in a read-only transaction with its own
// statement_timeout, so a heavy range costs the database a bounded time and the caller a
// 504 it can act on. Unchanged figures cost a 304 through the ETag.
import type { Authenticator } from "../_shared/auth.ts";
import { orDatabaseFailure } from "../_shared/db_errors.ts";
import type { Sql } from "../_shared/db.ts";
import type postgres from "npm:postgres@3.4.9";
import { invalidField, methodNotAllowed, type RequestContext } from "../_shared/http.ts";
import { uuidPattern } from "../_shared/ids.ts";
import { admit } from "../_shared/ratelimit/admit.ts";
import type { AnalyticsLimits } from "../_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { etagOf, matchesEtag } from "./etag.ts";
import { type AnalyticsRange, parseRange } from "./range.ts";

export interface AnalyticsDeps {
  sql: Sql;
  auth: Authenticator;
  store: RateLimitStore;
  limits: AnalyticsLimits;
  /** The statement_timeout of every analytics transaction. */
  statementTimeoutMs: number;
  now?: () => number;
}

type Query = (
  tx: postgres.TransactionSql,
  user: string,
  range: AnalyticsRange,
) => Promise<{ answer: Record<string, unknown> }[]>;

// One SQL function per widget; the names are fixed here, never taken from the request.
const widgets: Readonly<Record<string, Query>> = {
  sales: (tx, u, r) => tx`select public.analytics_sales(${u}, ${r.event}, ${r.from}, ${r.to}) as answer`,
  capacity: (tx, u, r) => tx`select public.analytics_capacity(${u}, ${r.event}, ${r.from}, ${r.to}) as answer`,
  checkins: (tx, u, r) => tx`select public.analytics_checkins(${u}, ${r.event}, ${r.from}, ${r.to}) as answer`,
  scan_outcomes: (tx, u, r) =>
    tx`select public.analytics_scan_outcomes(${u}, ${r.event}, ${r.from}, ${r.to}) as answer`,
  email: (tx, u, r) => tx`select public.analytics_email(${u}, ${r.event}, ${r.from}, ${r.to}) as answer`,
};

const widgetNames: readonly string[] = Object.keys(widgets);

export async function handleAnalytics(req: Request, deps: AnalyticsDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "GET") throw methodNotAllowed(["GET"]);
  const { userId } = await deps.auth.user(req);
  const params = new URL(req.url).searchParams;
  const widget = params.get("widget") ?? "";
  const query = Object.hasOwn(widgets, widget) ? widgets[widget] : undefined;
  if (!query) throw invalidField("widget", `widget must be one of ${widgetNames.join(", ")}`);
  const event = params.get("event") ?? "";
  if (!uuidPattern.test(event)) throw invalidField("event", "event must be an event's UUID");
  const range = parseRange(event.toLowerCase(), params.get("from"), params.get("to"), (deps.now ?? Date.now)());

  await admit(deps.store, [{ limit: deps.limits.user, key: userId }], ctx);

  const answer = await orDatabaseFailure(deps.sql.begin("read only", async (tx) => {
    // Local to this transaction: the pooled connection keeps its own setting afterwards.
    await tx`select set_config('statement_timeout', ${String(deps.statementTimeoutMs)}, true)`;
    const [row] = await query(tx, userId, range);
    return row.answer;
  }));
  const body = JSON.stringify({
    widget,
    event_id: range.event,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...answer,
  });
  const etag = await etagOf(body);
  const headers = {
    "cache-control": "private, max-age=0, must-revalidate",
    etag,
    vary: "authorization",
  };
  if (matchesEtag(req.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { headers: { ...headers, "content-type": "application/json" } });
}
