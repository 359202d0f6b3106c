// Analytics answers over 1 million tickets and 2 million scans: p50/p95 of each widget
// through the `analytics` function as requests reach it (gateway, JWT, per-user limit,
// transaction with statement_timeout, the materialized views), against the same questions
// asked of the base tables, in the same run on the same data. The base-table queries go
// straight to Postgres, without the HTTP hop the function's figures include, so the ratio
// understates what the views save.
import { connect } from "../../edge-functions/_shared/db.ts";
import { dbUrl, fn, userJwt } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const tickets = Number(Deno.env.get("BENCH_ANALYTICS_TICKETS") ?? 1_000_000);
const scans = Number(Deno.env.get("BENCH_ANALYTICS_SCANS") ?? 2_000_000);
const rounds = Number(Deno.env.get("BENCH_ROUNDS") ?? 30);
const eventCount = 4;
const marker = "analytics-bench";
const sql = connect(dbUrl, 2);

async function cleanUp(): Promise<void> {
  const events = (await sql<{ id: string }[]>`select id from public.events where name = ${marker}`).map((r) => r.id);
  if (events.length === 0) return;
  await sql`delete from public.ticket_scans where event_id = any(${events}::uuid[])`;
  await sql`delete from public.tickets where event_id = any(${events}::uuid[])`;
  await sql`delete from public.orders where event_id = any(${events}::uuid[])`;
  await sql`delete from public.event_staff where event_id = any(${events}::uuid[])`;
  await sql`delete from public.events where id = any(${events}::uuid[])`;
  await sql`delete from auth.users where email like ${`%@${marker}.example`}`;
  await sql`select public.refresh_analytics(p_wait => true)`;
}

/** The data set, written in Postgres: two tickets an order, scans over 30 days at 6 doors. */
async function seed(): Promise<{ event: string; organizer: string; analysts: string[] }> {
  const organizer = crypto.randomUUID();
  const holder = crypto.randomUUID();
  // Enough analysts that the per-user limit (60 a minute) never refuses the benchmark.
  const analysts = Array.from({ length: 40 }, () => crypto.randomUUID());
  const users = [organizer, holder, ...analysts];
  await sql`insert into auth.users (id, email) select u, u || ${`@${marker}.example`} from unnest(${users}::uuid[]) u`;
  const events = Array.from({ length: eventCount }, () => crypto.randomUUID());
  await sql`insert into public.events (id, name, starts_at, organizer_id, capacity)
            select e, ${marker}, now() + interval '30 days', ${organizer}, ${tickets} from unnest(${events}::uuid[]) e`;
  await sql`insert into public.event_staff (event_id, user_id, role)
            select ${events[0]}, a, 'analyst' from unnest(${analysts}::uuid[]) a`;
  await sql`insert into public.orders (user_id, event_id, status, amount_cents, paid_at, created_at)
            select ${holder}, (${events}::uuid[])[1 + i % ${eventCount}], 'paid', 5000, t, t
              from generate_series(1, ${
    tickets / 2
  }) i, lateral (select now() - (i % 43200) * interval '1 minute' as t) x`;
  await sql`insert into public.tickets (order_id, event_id, user_id, status, created_at)
            select o.id, o.event_id, o.user_id, case when g = 1 and o.amount_cents % 2 = 0 then 'redeemed' else 'valid' end,
                   o.created_at
              from public.orders o, generate_series(1, 2) g where o.event_id = any(${events}::uuid[])`;
  await sql`insert into public.ticket_scans (event_id, device_id, scanner_id, result, code_kind, scanned_at)
            select (${events}::uuid[])[1 + i % ${eventCount}], 'door-' || (i / 7 % 6), ${holder},
                   (array['redeemed', 'redeemed', 'redeemed', 'rescan', 'already_redeemed', 'invalid_signature'])[1 + i % 6],
                   'print', now() - (i % 43200) * interval '1 minute'
              from generate_series(1, ${scans}) i`;
  await sql`analyze public.orders, public.tickets, public.ticket_scans`;
  const started = performance.now();
  await sql`select public.refresh_analytics(p_wait => true)`;
  report("analytics_refresh_all_views_ms", (performance.now() - started).toFixed(0), "ms");
  return { event: events[0], organizer, analysts };
}

// The questions of 20261202000400_analytics.sql's widget functions, asked of the base tables,
// with the same access check and the same answers.
type Base = (tx: typeof sql, user: string, event: string, from: Date, to: Date) => Promise<unknown>;
const baseQueries: Record<string, Base> = {
  sales: (tx, u, e, f, t) =>
    tx`select public.analytics_can_view(${u}, ${e}) as ok, (
         select jsonb_agg(jsonb_build_object('at', b.at, 'tickets', b.tickets, 'revenue_cents', b.revenue) order by b.at)
           from (select date_trunc('day', coalesce(o.paid_at, o.created_at)) as at, sum(t.n) as tickets,
                        sum(o.amount_cents) as revenue
                   from public.orders o
                   join (select order_id, count(*) as n from public.tickets where event_id = ${e} group by order_id) t
                     on t.order_id = o.id
                  where o.event_id = ${e} and o.status = 'paid'
                    and coalesce(o.paid_at, o.created_at) >= ${f} and coalesce(o.paid_at, o.created_at) < ${t}
                  group by 1) b) as data`,
  capacity: (tx, u, e) =>
    tx`select public.analytics_can_view(${u}, ${e}) as ok,
              count(*) filter (where status in ('valid', 'redeemed')) as sold,
              count(*) filter (where status = 'redeemed') as redeemed
         from public.tickets where event_id = ${e}`,
  checkins: (tx, u, e, f, t) =>
    tx`select public.analytics_can_view(${u}, ${e}) as ok, (
         select jsonb_agg(jsonb_build_object('at', b.at, 'door', b.door, 'admitted', b.n) order by b.at, b.door)
           from (select date_trunc('day', scanned_at) as at, device_id as door, count(*) as n
                   from public.ticket_scans
                  where event_id = ${e} and result = 'redeemed' and scanned_at >= ${f} and scanned_at < ${t}
                  group by 1, 2) b) as data`,
  scan_outcomes: (tx, u, e, f, t) =>
    tx`select public.analytics_can_view(${u}, ${e}) as ok, (
         select jsonb_agg(jsonb_build_object('result', result, 'count', n) order by n desc, result)
           from (select result, count(*) as n from public.ticket_scans
                  where event_id = ${e} and scanned_at >= ${f} and scanned_at < ${t} group by 1) o) as data`,
  email: (tx, u, e, f, t) =>
    tx`select public.analytics_can_view(${u}, ${e}) as ok, count(*) as total
         from public.email_queue q
         join public.tickets tk on tk.id = (select (tag ->> 'value')::uuid from jsonb_array_elements(q.tags) tag
                                              where tag ->> 'name' = 'ticket_id' limit 1)
        where q.tags @> '[{"name": "kind", "value": "ticket"}]' and tk.event_id = ${e}
          and q.created_at >= ${f} and q.created_at < ${t}`,
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function timed(run: () => Promise<void>): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

await cleanUp();
try {
  const seeded = performance.now();
  const { event, analysts } = await seed();
  report(
    "analytics_seed_s",
    ((performance.now() - seeded) / 1000).toFixed(1),
    `s (${tickets} tickets, ${scans} scans)`,
  );
  const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const tokens = await Promise.all(analysts.map((a) => userJwt(a)));
  let turn = 0;
  const ratios: number[] = [];
  for (const widget of Object.keys(baseQueries)) {
    const query = new URLSearchParams({ widget, event, from: from.toISOString(), to: to.toISOString() });
    const views = await timed(async () => {
      const res = await fn(`analytics?${query}`, {}, tokens[turn++ % tokens.length]);
      if (res.status !== 200) throw new Error(`analytics ${widget} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    });
    const base = await timed(async () => {
      await sql.begin(
        "read only",
        (tx) => baseQueries[widget](tx as unknown as typeof sql, analysts[0], event, from, to),
      );
    });
    ratios.push(base.p50 / views.p50);
    report(`analytics_${widget}_views_http_p50_p95`, `${views.p50.toFixed(1)}/${views.p95.toFixed(1)}`, "ms");
    report(`analytics_${widget}_base_tables_p50_p95`, `${base.p50.toFixed(1)}/${base.p95.toFixed(1)}`, "ms");
    report(`analytics_${widget}_base_over_views_p50`, (base.p50 / views.p50).toFixed(1), "x");
  }
  const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
  report("analytics_base_over_views_p50_geomean", geo.toFixed(1), "x");
} finally {
  await cleanUp();
  await sql.end();
}
