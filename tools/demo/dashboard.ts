// The dashboard and the operations page, healthy and degraded: an event with known figures,
// the URL that opens its dashboard on the running stack (tools/local/web.ts, signed in as its
// organizer), and screenshots from Debian's headless Chromium under $USHER_LOCAL_DIR/screenshots/.
// The degraded ones come from the browser tests' harness (tests/browser/harness.ts): the real
// analytics and operations handlers with their database connection cut, so the page shows
// its cached figures under the banner.
import type { Page } from "npm:playwright-core@1.64.1";
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { ageCache, allFigures, signIn, text } from "../../tests/browser/dashboard.ts";
import { type Harness, launchBrowser, startHarness, widgets } from "../../tests/browser/harness.ts";
import { type AnalyticsEvent, seedAnalyticsEvent } from "../../tests/support/analytics.ts";
import { dbUrl, jwtSecret, repoRoot, seedUsers, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../local/jwt.ts";
import { expect, type Step } from "./report.ts";

const webUrl = `http://127.0.0.1:${Deno.env.get("USHER_WEB_PORT") ?? 54323}`;
const shots = `${Deno.env.get("USHER_LOCAL_DIR") ?? `${repoRoot}.local`}/screenshots`;
const panels = ["email_queue", "webhook_queue", "provider_rates", "push_states", "refresh_runs", "door_scans"];
const hour = 3_600_000;
const base = Math.floor(Date.now() / hour) * hour - 30 * hour;
const at = (h: number) => new Date(base + h * hour);
const orders = Array.from({ length: 18 }, (_, i) => ({
  paidAt: at(i),
  tickets: 1 + (i % 5),
  amountCents: 3500 * (1 + (i % 5)),
}));
const ticketsSold = String(orders.reduce((n, o) => n + o.tickets, 0));

let event: AnalyticsEvent | undefined;

async function withSql<T>(f: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(dbUrl, 2);
  try {
    return await f(sql);
  } finally {
    await sql.end();
  }
}

/** Opens `path` on `origin` signed in as `user` in a fresh browser, and saves a screenshot when `ready` resolves. */
async function screenshot(
  origin: string,
  user: string,
  path: string,
  file: string,
  ready: (page: Page) => Promise<void>,
  before?: (page: Page) => Promise<void>,
): Promise<string> {
  const browser = await launchBrowser();
  try {
    const page = browser.page;
    await signIn(page, origin, await userJwt(user));
    await before?.(page);
    await page.goto(`${origin}${path}`);
    await ready(page);
    await Deno.mkdir(shots, { recursive: true });
    await page.screenshot({ path: `${shots}/${file}`, fullPage: true });
    return `${shots}/${file}`;
  } finally {
    await browser.close();
  }
}

const panelsShown = (page: Page) =>
  Promise.all(panels.map((p) => page.locator(`[data-testid="widget-${p}"] .widget-body`).waitFor({ timeout: 20_000 })))
    .then(() => {});

/** Loads `path` healthy through the harness, then cuts its database and leaves the figures aged. */
function degrade(h: Harness, user: string, path: string, shown: (page: Page) => Promise<void>) {
  return async (page: Page) => {
    await page.goto(`${h.url}${path}`);
    await shown(page);
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${h.url}/config.json`);
    await ageCache(page, user, 10 * 60_000);
    await h.cutDatabase();
  };
}

async function banners(page: Page, ids: string[]) {
  for (const id of ids) {
    await page.locator(`[data-testid="widget-${id}"] [data-testid="stale-banner"]`).waitFor({ timeout: 20_000 });
  }
}

export const dashboardSteps: Step[] = [
  {
    title: "an event with known figures, and the URL of its dashboard on the running stack",
    run: (say) =>
      withSql(async (sql) => {
        const config = await fetch(`${webUrl}/config.json`).then((r) => r.ok ? r.json() : null, () => null);
        expect(config?.functionsUrl, `the dashboard is not served on ${webUrl}: make build, then make up`);
        event = await seedAnalyticsEvent(sql, {
          capacity: 250,
          orders,
          scans: Array.from({ length: 30 }, (_, i) => ({
            at: at(18 + (i % 8)),
            door: ["north", "south", "east"][i % 3],
            result: i % 10 === 0 ? "already_redeemed" : i % 13 === 0 ? "invalid_signature" : "redeemed",
          })),
          emails: ["delivered", "delivered", "delivered", "delivered", "bounced", "sent", "failed"],
        });
        // A token that lasts the evening, for exploring after the demo.
        const token = await mintJwt(jwtSecret, { role: "authenticated", sub: event.organizerId }, 12 * 3600);
        say(`event ${event.eventId}, organizer ${event.organizerId}`);
        say(`open: ${webUrl}/?event=${event.eventId}#access_token=${token}`);
        return `the dashboard is served at ${webUrl}/ with its functions at ${config.functionsUrl}`;
      }),
  },
  {
    title: "dashboard, healthy: every widget's figures from the analytics function (screenshot)",
    run: async (say) => {
      expect(event, "the event was not seeded");
      const ev = event;
      let tickets = "";
      const file = await screenshot(
        webUrl,
        ev.organizerId,
        `/#/?event=${ev.eventId}`,
        "dashboard-healthy.png",
        async (page) => {
          await allFigures(page);
          tickets = await text(page, "sales-tickets");
        },
      );
      say(file);
      expect(tickets === ticketsSold, `the dashboard shows ${tickets} tickets sold, not ${ticketsSold}`);
      return `${ticketsSold} tickets sold, five widgets drawn`;
    },
  },
  {
    title: "dashboard, degraded: the database cut, the cached figures under the banner (screenshot)",
    run: async (say) => {
      expect(event, "the event was not seeded");
      const ev = event;
      const h = await startHarness();
      try {
        let banner = "";
        const file = await screenshot(
          h.url,
          ev.organizerId,
          `/#/?event=${ev.eventId}`,
          "dashboard-degraded.png",
          async (page) => {
            await allFigures(page);
            await banners(page, [...widgets]);
            banner = await text(page, "stale-banner", "sales");
          },
          degrade(h, ev.organizerId, `/#/?event=${ev.eventId}`, (page) => allFigures(page)),
        );
        say(file);
        say(`banner: "${banner}"`);
        return "five widgets keep their figures, each with its age and the banner";
      } finally {
        h.restoreDatabase();
        await h.close();
      }
    },
  },
  {
    title: "operations page, healthy: queues, dead letters, provider rates, push, refreshes, doors (screenshot)",
    run: async (say) => {
      const file = await screenshot(webUrl, seedUsers.ops, "/#/operations", "operations-healthy.png", panelsShown);
      say(file);
      return "six panels for the platform admin";
    },
  },
  {
    title: "operations page, degraded: the database cut, the last figures under the banner (screenshot)",
    run: async (say) => {
      const h = await startHarness();
      try {
        const file = await screenshot(
          h.url,
          seedUsers.ops,
          "/#/operations",
          "operations-degraded.png",
          async (page) => {
            await panelsShown(page);
            await banners(page, panels);
          },
          degrade(h, seedUsers.ops, "/#/operations", panelsShown),
        );
        say(file);
        return "six panels keep their figures under the banner";
      } finally {
        h.restoreDatabase();
        await h.close();
      }
    },
  },
];
