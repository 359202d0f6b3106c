// Analytics that degrade gracefully, seen from the server: an organizer's figures from the
// materialized views with the time of their data, another organizer refused, the range cap,
// a 304 for unchanged figures, a failed refresh logged and shown as stale; and the operations
// page's panels for a platform admin.
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { seedAnalyticsEvent, whileRefreshing } from "../../tests/support/analytics.ts";
import { dbUrl, fn, seedUsers, userJwt } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const hour = 3_600_000;
const now = () => Math.floor(Date.now() / hour) * hour;
let demo: { eventId: string; organizerId: string; otherOrganizer: string } | undefined;

async function withSql<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(dbUrl, 2);
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

function range(): Record<string, string> {
  return { from: new Date(now() - 47 * hour).toISOString(), to: new Date(now() + hour).toISOString() };
}

async function widget(name: string, eventId: string, user: string, headers: HeadersInit = {}) {
  const query = new URLSearchParams({ widget: name, event: eventId, ...range() });
  return fn(`analytics?${query}`, { headers }, await userJwt(user));
}

export const analyticsSteps: Step[] = [
  {
    title:
      "an organizer's figures: sales, capacity, check-ins by door, scan outcomes, e-mail delivery, with their time",
    run: (say) =>
      withSql(async (sql) => {
        const at = (h: number) => new Date(now() - h * hour);
        const mine = await seedAnalyticsEvent(sql, {
          capacity: 120,
          orders: [
            { paidAt: at(30), tickets: 2, amountCents: 5000 },
            { paidAt: at(20), tickets: 4, amountCents: 10000 },
            { paidAt: at(3), tickets: 1, amountCents: 2500 },
          ],
          scans: [
            { at: at(2), door: "north", result: "redeemed" },
            { at: at(2), door: "south", result: "redeemed" },
            { at: at(1), door: "south", result: "already_redeemed" },
          ],
          emails: ["delivered", "delivered", "bounced"],
        });
        const other = await seedAnalyticsEvent(sql, { orders: [{ paidAt: at(5), tickets: 9, amountCents: 9999 }] });
        demo = { eventId: mine.eventId, organizerId: mine.organizerId, otherOrganizer: other.organizerId };
        const figures: Record<string, { data_as_of: string; data: Record<string, unknown> }> = {};
        for (const name of ["sales", "capacity", "checkins", "scan_outcomes", "email"]) {
          const res = await widget(name, mine.eventId, mine.organizerId);
          expect(res.status === 200, `analytics ${name} answered ${res.status}`);
          figures[name] = await res.json();
        }
        const sales = figures.sales.data.buckets as { tickets: number; revenue_cents: number }[];
        const sold = sales.reduce((n, b) => n + b.tickets, 0);
        say(
          `sales: ${sold} tickets, €${sales.reduce((n, b) => n + b.revenue_cents, 0) / 100} in ${sales.length} hours`,
        );
        say(`capacity: ${JSON.stringify(figures.capacity.data)}`);
        say(`check-ins: ${JSON.stringify(figures.checkins.data.buckets)}`);
        say(`scan outcomes: ${JSON.stringify(figures.scan_outcomes.data.outcomes)}`);
        say(`e-mail: ${JSON.stringify(figures.email.data)}`);
        say(`data as of ${figures.sales.data_as_of} (the last refresh of the views)`);
        expect(sold === 7 && (figures.capacity.data.sold as number) === 7, "the seeded 7 tickets are not shown");
        return "7 tickets, 2 check-ins at 2 doors, 2 of 3 e-mails delivered, each answer with its data time";
      }),
  },
  {
    title: "who sees what: another organizer gets 403, a range over 92 days 400, and unchanged figures a 304",
    run: async (say) => {
      expect(demo !== undefined, "the first step did not seed an event");
      const { eventId, otherOrganizer, organizerId } = demo!;
      const refused = await widget("sales", eventId, otherOrganizer);
      say(`another organizer → ${refused.status} ${JSON.stringify(await refused.json())}`);
      const query = new URLSearchParams({
        widget: "sales",
        event: eventId,
        from: "2026-01-01T00:00:00Z",
        to: "2026-06-01T00:00:00Z",
      });
      const wide = await fn(`analytics?${query}`, {}, await userJwt(organizerId));
      say(`five months → ${wide.status} ${JSON.stringify(await wide.json())}`);
      const first = await widget("capacity", eventId, organizerId);
      await first.body?.cancel();
      const again = await widget("capacity", eventId, organizerId, { "if-none-match": first.headers.get("etag")! });
      say(`the same question with If-None-Match ${first.headers.get("etag")} → ${again.status}`);
      expect(refused.status === 403 && wide.status === 400 && again.status === 304, "an answer was not as designed");
      return "403 forbidden, 400 range_too_large, 304 Not Modified";
    },
  },
  {
    title: "a refresh that fails (its lock held elsewhere) is logged, and its figures say they are stale",
    run: (say) =>
      withSql(async (sql) => {
        expect(demo !== undefined, "the first step did not seed an event");
        const [{ failed }] = await whileRefreshing("sales_hourly", true, () =>
          sql`select public.refresh_analytics('200ms', true) as failed`);
        const [run] = await sql`select view_name, error from public.analytics_refresh_runs
                                 where view_name = 'sales_hourly' order by id desc limit 1`;
        say(`refresh_analytics → ${failed} failed; logged: ${run.view_name}: ${run.error}`);
        const stale = await (await widget("sales", demo!.eventId, demo!.organizerId)).json();
        say(`sales now answers stale: ${stale.stale}, data as of ${stale.data_as_of}`);
        await sql`select public.refresh_analytics(p_wait => true)`;
        const fresh = await (await widget("sales", demo!.eventId, demo!.organizerId)).json();
        say(`after the next refresh: stale: ${fresh.stale}`);
        expect(failed === 1 && stale.stale === true && fresh.stale === false, "staleness was not reported");
        return "the failure is in analytics_refresh_runs, the figures said stale until the next refresh";
      }),
  },
  {
    title: "operations: a platform admin sees every queue, provider, refresh and door; an organizer gets 403",
    run: async (say) => {
      const admin = await userJwt(seedUsers.ops);
      for (
        const panel of ["email_queue", "webhook_queue", "provider_rates", "push_states", "refresh_runs", "door_scans"]
      ) {
        const res = await fn(`operations?panel=${panel}`, {}, admin);
        const body = await res.json();
        expect(res.status === 200, `operations ${panel} answered ${res.status}`);
        say(`${panel}: ${JSON.stringify(body.data).slice(0, 150)}…`);
      }
      const organizer = await fn("operations?panel=email_queue", {}, await userJwt(seedUsers.organizer));
      say(`the seed's organizer → ${organizer.status}`);
      expect(organizer.status === 403, "an organizer saw the operations page");
      return "six panels, each from SQL functions of its own; 403 for anyone else";
    },
  },
];
