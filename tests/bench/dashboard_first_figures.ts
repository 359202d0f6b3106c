// The dashboard's time to first figures in Debian's headless Chromium: from navigation start
// to all five widgets showing figures, cold (nothing persisted: every figure comes from the
// analytics function) against from the persisted cache (the same user's second load, whose
// figures come from localStorage before any answer), in the same run. Both loads find the
// app's assets in the browser's HTTP cache, so the ratio is the persisted cache's alone; a
// first visit (a fresh profile: no HTTP cache either) is reported beside them. The function
// is the real handler on the local stack's Postgres (tests/browser/harness.ts).
import type { Page } from "npm:playwright-core@1.64.1";
import { launchBrowser, startHarness } from "../browser/harness.ts";
import { dashboardUrl, signIn } from "../browser/dashboard.ts";
import { seedAnalyticsEvent } from "../support/analytics.ts";
import { userJwt } from "../support/stack.ts";
import { report } from "./lib/report.ts";

const runs = Number(Deno.env.get("BENCH_DASHBOARD_RUNS") ?? 15);
const hour = 3_600_000;
const base = Math.floor(Date.now() / hour) * hour - 48 * hour;
const at = (h: number) => new Date(base + h * hour);

/** Milliseconds from the navigation's start until every widget shows figures, read in the page. */
async function firstFigures(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: "commit" });
  const handle = await page.waitForFunction(
    () => document.querySelectorAll('[data-testid^="widget-"] .widget-body').length === 5 ? performance.now() : false,
    null,
    { polling: "raf", timeout: 30_000 },
  );
  return (await handle.jsonValue()) as number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

// A quota no run reaches: the benchmark times the page, not the limiter.
const h = await startHarness({ userQuota: { count: 100_000, periodUs: 60_000_000, burst: 100_000 } });
try {
  const ev = await seedAnalyticsEvent(h.sql, {
    capacity: 500,
    orders: Array.from({ length: 24 }, (_, i) => ({ paidAt: at(i), tickets: 1 + (i % 4), amountCents: 2500 })),
    scans: Array.from({ length: 40 }, (_, i) => ({
      at: at(24 + (i % 12)),
      door: ["north", "south", "east"][i % 3],
      result: i % 9 === 0 ? "already_redeemed" : "redeemed",
    })),
    emails: ["delivered", "delivered", "delivered", "bounced", "sent"],
  });
  const token = await userJwt(ev.organizerId);
  const url = dashboardUrl(h.url, ev.eventId);
  const first: number[] = [], cold: number[] = [], cached: number[] = [];
  for (let i = 0; i < runs; i++) {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await signIn(page, h.url, token);
      first.push(await firstFigures(page, url));
      // Back to nothing persisted but the session; the assets stay in the HTTP cache.
      await page.goto(`${h.url}/config.json`);
      await page.evaluate((key) => localStorage.removeItem(key), `usher.queries.${ev.organizerId}`);
      cold.push(await firstFigures(page, url));
      // The persister writes at most once a second.
      await new Promise((r) => setTimeout(r, 1200));
      await page.goto(`${h.url}/config.json`);
      cached.push(await firstFigures(page, url));
    } finally {
      await browser.close();
    }
  }
  const line = (name: string, xs: number[]) =>
    report(
      `dashboard_first_figures_${name}`,
      `${quantile(xs, 0.5).toFixed(0)}/${quantile(xs, 0.95).toFixed(0)}`,
      `ms p50/p95 over ${runs} loads`,
    );
  line("first_visit", first);
  line("cold", cold);
  line("from_persisted_cache", cached);
  report(
    "dashboard_cold_over_cached",
    (quantile(cold, 0.5) / quantile(cached, 0.5)).toFixed(1),
    "× at p50 (assets in the HTTP cache for both)",
  );
} finally {
  await h.close();
}
