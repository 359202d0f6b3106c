// The analytics function in-process against the real database and the real Postgres
// rate-limit store: exact figures for the event's organizer and analyst, nothing for anyone
// else, the range rules, 304s, a statement timeout as 504, an unreachable database as 503,
// and the per-user limit as 429.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect, type Sql } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { analyticsLimits } from "../_shared/ratelimit/named.ts";
import { limiterPool, PostgresStore } from "../_shared/ratelimit/postgres.ts";
import { seedAnalyticsEvent, whileRefreshing } from "../../tests/support/analytics.ts";
import { freePort } from "../../tests/support/ports.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { type AnalyticsDeps, handleAnalytics } from "./handler.ts";

const hour = 3_600_000;
const base = new Date(Math.floor(Date.now() / hour) * hour - 48 * hour);
const at = (h: number) => new Date(base.getTime() + h * hour);

function analytics(sql: Sql, overrides: Partial<AnalyticsDeps> = {}) {
  const limits = analyticsLimits(() => undefined);
  const deps: AnalyticsDeps = {
    sql,
    auth: new Authenticator(jwtSecret),
    store: new PostgresStore(limiterPool(sql, 1)),
    // The production quota under a name of this run, so no other test shares its keys.
    limits: { user: { ...limits.user, name: `t${crypto.randomUUID().slice(0, 8)}-analytics` } },
    statementTimeoutMs: 3000,
    ...overrides,
  };
  const served = serve("analytics", handleAnalytics, deps, () => {});
  return async (query: Record<string, string>, user: string | null, headers: HeadersInit = {}) => {
    const h = new Headers(headers);
    if (user) h.set("authorization", `Bearer ${await userJwt(user)}`);
    return served(new Request(`http://x/analytics?${new URLSearchParams(query)}`, { headers: h }));
  };
}

async function withSql(t: (sql: Sql) => Promise<void>) {
  const sql = connect(dbUrl, 3);
  try {
    await t(sql);
  } finally {
    await sql.end();
  }
}

const range = { from: at(0).toISOString(), to: at(49).toISOString() };

Deno.test("the organizer and the analyst get the event's exact figures, with the time of the data", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, {
      capacity: 100,
      orders: [
        { paidAt: at(1), tickets: 2, amountCents: 5000 },
        { paidAt: at(1), tickets: 1, amountCents: 2500 },
        { paidAt: at(5), tickets: 4, amountCents: 10000 },
      ],
      scans: [
        { at: at(6), door: "north", result: "redeemed" },
        { at: at(6), door: "north", result: "redeemed" },
        { at: at(6), door: "south", result: "redeemed" },
        { at: at(7), door: "south", result: "already_redeemed" },
        { at: at(7), door: "south", result: "invalid_signature" },
      ],
      emails: ["delivered", "delivered", "bounced", "sent", "failed"],
      emailsAt: at(40),
    });
    const get = analytics(sql);
    const q = { ...range, event: ev.eventId };
    for (const user of [ev.organizerId, ev.analystId]) {
      const sales = await get({ ...q, widget: "sales" }, user);
      assert.equal(sales.status, 200);
      const body = await sales.json();
      assert.equal(body.widget, "sales");
      assert.equal(body.event_id, ev.eventId);
      assert.equal(body.stale, false);
      assert.ok(Date.now() - Date.parse(body.data_as_of) < 60_000, body.data_as_of);
      assert.deepEqual(body.data, {
        bucket: "hour",
        currency: "eur",
        buckets: [
          { at: at(1).toISOString().replace(".000Z", "Z"), tickets: 3, revenue_cents: 7500 },
          { at: at(5).toISOString().replace(".000Z", "Z"), tickets: 4, revenue_cents: 10000 },
        ],
      });
    }
    const data = async (widget: string) => (await (await get({ ...q, widget }, ev.organizerId)).json()).data;
    assert.deepEqual(await data("capacity"), { sold: 7, redeemed: 0, capacity: 100 });
    assert.deepEqual((await data("checkins")).buckets, [
      { at: at(6).toISOString().replace(".000Z", "Z"), door: "north", admitted: 2 },
      { at: at(6).toISOString().replace(".000Z", "Z"), door: "south", admitted: 1 },
    ]);
    assert.deepEqual((await data("scan_outcomes")).outcomes, [
      { result: "redeemed", count: 3 },
      { result: "already_redeemed", count: 1 },
      { result: "invalid_signature", count: 1 },
    ]);
    assert.deepEqual(await data("email"), {
      total: 5,
      pending: 0,
      sent: 1,
      delivered: 2,
      bounced: 1,
      complained: 0,
      suppressed: 0,
      failed: 1,
    });
    // Beyond three days, the figures come by the day.
    const week = await get(
      { widget: "sales", event: ev.eventId, from: at(-120).toISOString(), to: at(48).toISOString() },
      ev.organizerId,
    );
    const dayOf = (d: Date) => new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000);
    const days = (await week.json()).data;
    assert.equal(days.bucket, "day");
    assert.equal(days.buckets.reduce((n: number, b: { tickets: number }) => n + b.tickets, 0), 7);
    assert.equal(days.buckets[0].at, dayOf(at(1)).toISOString().replace(".000Z", "Z"));
  });
});

Deno.test("another organizer, a stranger and a missing event get the same 403; no token is a 401", async () => {
  await withSql(async (sql) => {
    const mine = await seedAnalyticsEvent(sql, { orders: [{ paidAt: at(1), tickets: 1, amountCents: 100 }] });
    const theirs = await seedAnalyticsEvent(sql, { orders: [{ paidAt: at(1), tickets: 9, amountCents: 900 }] });
    const get = analytics(sql);
    for (
      const [user, event] of [
        [theirs.organizerId, mine.eventId],
        [theirs.analystId, mine.eventId],
        [mine.organizerId, crypto.randomUUID()],
      ]
    ) {
      const res = await get({ ...range, widget: "sales", event }, user);
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), {
        error: { code: "forbidden", message: "You may not see this event's figures" },
      });
    }
    const anon = await get({ ...range, widget: "sales", event: mine.eventId }, null);
    assert.equal(anon.status, 401);
  });
});

Deno.test("bad input is a 400 naming the field; a range over 92 days is range_too_large", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, { orders: [] });
    const get = analytics(sql);
    const cases: [Record<string, string>, string, string][] = [
      [{ ...range, event: ev.eventId, widget: "revenue" }, "invalid_field", "widget"],
      [{ ...range, event: "nope", widget: "sales" }, "invalid_field", "event"],
      [{ event: ev.eventId, widget: "sales", from: "yesterday" }, "invalid_field", "from"],
      [{ event: ev.eventId, widget: "sales", from: "2026-12-01", to: "2026-12-02" }, "invalid_field", "from"],
      [{ event: ev.eventId, widget: "sales", from: range.to, to: range.from }, "invalid_field", "from"],
      [
        { event: ev.eventId, widget: "sales", from: "2026-01-01T00:00:00Z", to: "2026-04-03T00:00:01Z" },
        "range_too_large",
        "from",
      ],
    ];
    for (const [query, code, field] of cases) {
      const res = await get(query, ev.organizerId);
      assert.equal(res.status, 400, JSON.stringify(query));
      const { error } = await res.json();
      assert.equal(error.code, code);
      assert.equal(error.field, field);
    }
    // Exactly 92 days is allowed.
    const ok = await get(
      { event: ev.eventId, widget: "sales", from: "2026-01-01T00:00:00Z", to: "2026-04-03T00:00:00Z" },
      ev.organizerId,
    );
    assert.equal(ok.status, 200);
  });
});

Deno.test("unchanged figures answer 304 to If-None-Match; new figures get a new ETag", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, { orders: [{ paidAt: at(2), tickets: 1, amountCents: 100 }] });
    const get = analytics(sql);
    const q = { ...range, widget: "capacity", event: ev.eventId };
    // The stack's pg_cron may refresh the views between the two asks, which changes the
    // data's time and so the tag: then the pair is asked again.
    let etag = "", again: Response | undefined;
    for (let attempt = 0; attempt < 3 && again?.status !== 304; attempt++) {
      const first = await get(q, ev.organizerId);
      etag = first.headers.get("etag")!;
      assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
      assert.equal(first.headers.get("cache-control"), "private, max-age=0, must-revalidate");
      await first.body?.cancel();
      again = await get(q, ev.organizerId, { "if-none-match": `W/${etag}` });
    }
    assert.equal(again!.status, 304);
    assert.equal(await again!.text(), "");
    await sql`update public.tickets set status = 'redeemed' where id = ${ev.ticketIds[0]}`;
    await sql`select public.refresh_analytics(p_wait => true)`;
    const changed = await get(q, ev.organizerId, { "if-none-match": etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
    assert.equal((await changed.json()).data.redeemed, 1);
  });
});

Deno.test("a query held past the statement timeout is cancelled and answered 504, on that request only", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, { orders: [] });
    const get = analytics(sql, { statementTimeoutMs: 300 });
    // Another session holds the view, as a long refresh or a migration would.
    await whileRefreshing("event_tickets", false, async () => {
      const started = performance.now();
      const res = await get({ ...range, widget: "capacity", event: ev.eventId }, ev.organizerId);
      assert.equal(res.status, 504);
      assert.equal((await res.json()).error.code, "query_timeout");
      assert.ok(performance.now() - started < 2500);
      // The timeout was the transaction's own: the pool's connections keep the default.
      const settings = await Promise.all([1, 2, 3].map(() => sql`show statement_timeout`));
      for (const [s] of settings) assert.equal(s.statement_timeout, "0");
    });
    const after = await get({ ...range, widget: "capacity", event: ev.eventId }, ev.organizerId);
    assert.equal(after.status, 200);
    await after.body?.cancel();
  });
});

Deno.test("an unreachable database is a 503 with Retry-After", async () => {
  const sql = connect(`postgresql://postgres:postgres@127.0.0.1:${freePort()}/postgres`, 1);
  const real = connect(dbUrl, 1);
  try {
    const get = analytics(sql, { store: new PostgresStore(limiterPool(real, 1)) });
    const res = await get({ ...range, widget: "sales", event: crypto.randomUUID() }, crypto.randomUUID());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error.code, "database_unavailable");
  } finally {
    await sql.end();
    await real.end();
  }
});

Deno.test("each user has a GCRA limit of their own: the next request is a 429 with Retry-After", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, { orders: [] });
    const name = `t${crypto.randomUUID().slice(0, 8)}-analytics`;
    const get = analytics(sql, {
      limits: { user: { name, quota: { count: 2, periodUs: 60_000_000, burst: 2 }, failMode: "open" } },
    });
    const q = { ...range, widget: "capacity", event: ev.eventId };
    for (let i = 0; i < 2; i++) assert.equal((await (await get(q, ev.organizerId)).json()).widget, "capacity");
    const refused = await get(q, ev.organizerId);
    assert.equal(refused.status, 429);
    const wait = Number(refused.headers.get("retry-after"));
    assert.ok(wait >= 1 && wait <= 30, `retry-after ${wait}`);
    assert.equal((await refused.json()).error.code, "rate_limited");
    // The analyst's budget is their own.
    const other = await get(q, ev.analystId);
    assert.equal(other.status, 200);
    await other.body?.cancel();
  });
});

Deno.test("a refresh that fails is logged with its error and its figures show as stale until one succeeds", async () => {
  await withSql(async (sql) => {
    const ev = await seedAnalyticsEvent(sql, { orders: [{ paidAt: at(3), tickets: 2, amountCents: 200 }] });
    const get = analytics(sql);
    await whileRefreshing("sales_hourly", true, async () => {
      const [{ failed }] = await sql`select public.refresh_analytics('100ms', true) as failed`;
      assert.equal(failed, 1);
      const [run] = await sql`select rows, error from public.analytics_refresh_runs
                               where view_name = 'sales_hourly' order by id desc limit 1`;
      assert.equal(run.rows, null);
      assert.match(run.error, /lock timeout/);
    });
    const stale = await (await get({ ...range, widget: "sales", event: ev.eventId }, ev.organizerId)).json();
    assert.equal(stale.stale, true);
    assert.equal(stale.data.buckets[0].tickets, 2);
    // Other views refreshed fine and are not stale.
    assert.equal(
      (await (await get({ ...range, widget: "capacity", event: ev.eventId }, ev.organizerId)).json()).stale,
      false,
    );
    await sql`select public.refresh_analytics(p_wait => true)`;
    assert.equal(
      (await (await get({ ...range, widget: "sales", event: ev.eventId }, ev.organizerId)).json()).stale,
      false,
    );
  });
});
