// The dashboard and the operations page in Debian's headless Chromium (through
// playwright-core), built as it ships (web/dist) and talking over real HTTP to the real
// analytics and operations handlers on the local stack's Postgres (tests/browser/harness.ts).
// Requests are counted where they arrive, at the server; the retry delays expected are the
// Rust crate's, through the same wasm the functions use.
import assert from "node:assert/strict";
import { retryDelayMs } from "../../edge-functions/_shared/wasm.ts";
import { type AnalyticsEvent, seedAnalyticsEvent } from "../support/analytics.ts";
import { seedUsers, userJwt } from "../support/stack.ts";
import {
  ageCache,
  allFigures,
  clockUtc,
  dashboardUrl,
  figuresOf,
  keySeed,
  signIn,
  text,
  widgetKey,
} from "./dashboard.ts";
import {
  type Harness,
  type HarnessOptions,
  launchBrowser,
  startHarness,
  type WidgetRequest,
  widgets,
} from "./harness.ts";
import type { Page } from "npm:playwright-core@1.64.1";

const hour = 3_600_000;
const base = new Date(Math.floor(Date.now() / hour) * hour - 48 * hour);
const at = (h: number) => new Date(base.getTime() + h * hour);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An event whose every figure is known: 7 tickets for €175.00, 3 admitted at two doors, … */
const figures = {
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
};

// Playwright's child process and pipes outlive a test's ops by design; each test closes them.
const browserTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });

/** A harness, a browser and a signed-in page for `user`, closed after `fn`. */
async function withDashboard(
  options: HarnessOptions,
  fn: (h: Harness, page: Page, signInAs: (user: string) => Promise<void>) => Promise<void>,
) {
  const h = await startHarness(options);
  const browser = await launchBrowser();
  try {
    await fn(h, browser.page, async (user) => signIn(browser.page, h.url, await userJwt(user)));
  } finally {
    await browser.close();
    await h.close();
  }
}

async function assertSeededFigures(page: Page) {
  assert.equal(await text(page, "sales-tickets"), "7");
  assert.equal(await text(page, "sales-revenue"), "€175.00");
  assert.equal(await text(page, "capacity-sold"), "7");
  assert.equal(await text(page, "capacity-redeemed"), "0");
  assert.equal(await text(page, "capacity-capacity"), "100");
  assert.equal(await text(page, "checkins-admitted"), "3");
  assert.deepEqual(await page.locator('[data-testid="checkins-door"]').allTextContents(), ["north 2", "south 1"]);
  const outcomes = await page.locator('[data-testid^="scan-outcome-"]').allTextContents();
  assert.deepEqual(outcomes, ["redeemed3 60 %", "already redeemed1 20 %", "invalid signature1 20 %"]);
  const email = Object.fromEntries(
    await Promise.all(
      ["total", "pending", "sent", "delivered", "bounced", "complained", "suppressed", "failed"].map(
        async (f) => [f, await text(page, `email-${f}`)],
      ),
    ),
  );
  assert.deepEqual(email, {
    total: "5",
    pending: "0",
    sent: "1",
    delivered: "2",
    bounced: "1",
    complained: "0",
    suppressed: "0",
    failed: "1",
  });
  // 2 delivered of 4 settled (delivered, bounced, complained, failed).
  assert.equal(await text(page, "email-rate"), "50 %");
}

/** Loads the event's dashboard healthy, then leaves the app with its figures persisted and aged. */
async function persistAgedFigures(h: Harness, page: Page, ev: AnalyticsEvent) {
  await page.goto(dashboardUrl(h.url, ev.eventId));
  await allFigures(page);
  // The persister writes at most once a second.
  await sleep(1500);
  await page.goto(`${h.url}/config.json`);
  await ageCache(page, ev.organizerId, 10 * 60_000);
}

browserTest("the dashboard shows the seeded event's exact figures, with the time of the data", async () => {
  await withDashboard({}, async (h, page, signInAs) => {
    const ev = await seedAnalyticsEvent(h.sql, figures);
    await signInAs(ev.organizerId);
    await page.goto(dashboardUrl(h.url, ev.eventId));
    await allFigures(page);
    await assertSeededFigures(page);
    const [asOf] = await h.sql`select max(finished_at) as at from public.analytics_refresh_runs where error is null`;
    assert.match(await text(page, "widget-age", "capacity"), /^Figures as of \d\d:\d\d · fetched \d\d:\d\d$/);
    assert.ok((await text(page, "widget-age", "capacity")).startsWith(`Figures as of ${clockUtc(asOf.at)}`));
    assert.equal(await page.locator('[data-testid="stale-banner"]').count(), 0);
    for (const w of widgets) assert.equal(h.requestsFor(w).length, 1, w);
  });
});

/** When the browser had the answer to a request: its arrival plus the function's time. */
const answeredAt = (r: WidgetRequest) => r.at + r.ms;

/**
 * Waits until each widget's query has failed its try and its three retries (4 requests, all
 * answered) and the wait for the poll that follows them (`pollDelay`) has passed, then
 * answers each widget's first four requests, checking that no fifth came sooner: one would
 * be a fourth retry. A 503 can take the function seconds (postgres.js waits out its
 * reconnect backoff, up to 20 s, before it tries the database), hence the long deadline.
 */
async function fourFailures(h: Harness, since: number, pollDelay: (w: string) => number) {
  const of = (w: string) => h.requestsFor(w).filter((r) => r.at >= since);
  const deadline = performance.now() + 150_000;
  const describe = () =>
    widgets.map((w) => `${w} ${of(w).map((r) => `${Math.round(r.at - since)}+${Math.round(r.ms)}`)}`).join("; ");
  while (!widgets.every((w) => of(w).length >= 4)) {
    assert.ok(performance.now() < deadline, `retries: ${describe()}`);
    await sleep(100);
  }
  const windowEnds = (w: string) => answeredAt(of(w)[3]) + pollDelay(w) - 25;
  await sleep(Math.max(0, Math.max(...widgets.map(windowEnds)) - performance.now()));
  for (const w of widgets) {
    const early = of(w).filter((r) => r.at < windowEnds(w));
    assert.equal(early.length, 4, `${w}: ${early.length} requests before its poll was due (${describe()})`);
  }
  return Object.fromEntries(widgets.map((w) => [w, of(w).slice(0, 4)]));
}

/**
 * Asserts the wait between each failed answer and the next request is the delay expected
 * (measured at the server: a timer fires late, never early; the answer's trip to the
 * browser and the next request's back cost a few milliseconds).
 */
function assertGaps(reqs: WidgetRequest[], expected: number[], what: string) {
  const gaps = reqs.slice(1).map((r, i) => r.at - answeredAt(reqs[i]));
  for (const [i, gap] of gaps.entries()) {
    assert.ok(
      gap >= expected[i] - 25 && gap <= expected[i] + 500,
      `${what}: wait ${i + 1} was ${Math.round(gap)} ms, expected ${expected[i]} ms (all: ${gaps.map(Math.round)})`,
    );
  }
}

browserTest(
  "with the function answering 503, each widget retries 3 times at the schedule's delays, shows its cached figures with their age and the banner, and recovers by itself",
  async () => {
    await withDashboard({}, async (h, page, signInAs) => {
      const ev = await seedAnalyticsEvent(h.sql, figures);
      await signInAs(ev.organizerId);
      await persistAgedFigures(h, page, ev);
      const [{ at: asOf }] = await h.sql`select max(finished_at) as at from public.analytics_refresh_runs
                                          where error is null`;

      await h.cutDatabase();
      let loads = 0;
      page.on("load", () => loads++);
      const since = performance.now();
      await page.goto(dashboardUrl(h.url, ev.eventId));
      // The persisted figures show at once, before any answer.
      await allFigures(page, 5_000);
      // The wait after a failure: the crate's delay for the widget's seed, never earlier than
      // the 503's Retry-After (1 s, a floor: web/src/query/retry.ts).
      const seed = (w: string) => keySeed(widgetKey(w, ev.eventId));
      const wait = (w: string, attempt: number, retryAfter: string | null) =>
        Math.max(Number(retryAfter ?? 0) * 1000, retryDelayMs("dashboard", attempt, seed(w)));
      const byWidget = await fourFailures(h, since, (w) => wait(w, 3, "1"));
      for (const w of widgets) {
        const reqs = byWidget[w];
        assert.equal(reqs.length, 4, `${w}: ${reqs.length} requests, expected the try and 3 retries`);
        assert.deepEqual(reqs.map((r) => r.status), [503, 503, 503, 503], w);
        assert.deepEqual(reqs.map((r) => r.retryAfter), ["1", "1", "1", "1"], w);
        const expected = [0, 1, 2].map((i) => wait(w, i, reqs[i].retryAfter));
        // The schedule's 1 s, 3 s and 10 s, each jittered at most 10 % (the first never under the 1 s floor).
        for (const [i, d] of expected.entries()) assert.ok(Math.abs(d - [1000, 3000, 10000][i]) <= [1, 3, 10][i] * 100);
        assertGaps(reqs, expected, w);
      }

      // Every widget still shows its figures, their age, and the banner.
      await assertSeededFigures(page);
      for (const w of widgets) {
        const banner = await text(page, "stale-banner", w);
        assert.match(
          banner,
          new RegExp(`^Showing figures from ${clockUtc(asOf)} — live data unavailable, retrying (in \\d+ s|now)$`),
          `${w}: ${banner}`,
        );
        assert.ok((await text(page, "widget-age", w)).startsWith(`Figures as of ${clockUtc(asOf)}`));
      }
      assert.equal(await page.locator('[data-testid="widget-error"]').count(), 0);

      // The database returns with new figures: the page shows them by itself, without a reload.
      await h.sql`insert into public.orders (user_id, event_id, status, amount_cents, paid_at)
                  select user_id, event_id, 'paid', 2500, ${at(9)} from public.orders where event_id = ${ev.eventId}
                  limit 1`;
      await h.sql`insert into public.tickets (order_id, event_id, user_id, created_at)
                  select id, event_id, user_id, paid_at from public.orders
                   where event_id = ${ev.eventId} and paid_at = ${at(9)}`;
      await h.sql`select public.refresh_analytics(p_wait => true)`;
      h.restoreDatabase();
      // The next poll is at most ~11 s away; the pool's reconnect backoff can add up to 20 s.
      await page.locator('[data-testid="capacity-sold"]').filter({ hasText: /^8$/ }).waitFor({ timeout: 45_000 });
      await page.locator('[data-testid="sales-tickets"]').filter({ hasText: /^8$/ }).waitFor({ timeout: 45_000 });
      await page.locator('[data-testid="stale-banner"]').first().waitFor({ state: "detached", timeout: 45_000 });
      assert.equal(await page.locator('[data-testid="stale-banner"]').count(), 0);
      assert.equal(await text(page, "sales-revenue"), "€200.00");
      assert.equal(loads, 1, "the page was reloaded");
    });
  },
);

browserTest(
  "a 429 shows when the widget will try again: the server's Retry-After, later than the schedule's",
  async () => {
    // Five requests a minute: the first load spends them all, the next ask is refused for 12 s.
    await withDashboard({ userQuota: { count: 5, periodUs: 60_000_000, burst: 5 } }, async (h, page, signInAs) => {
      const ev = await seedAnalyticsEvent(h.sql, figures);
      await signInAs(ev.organizerId);
      await persistAgedFigures(h, page, ev);
      const since = performance.now();
      await page.goto(dashboardUrl(h.url, ev.eventId));
      await allFigures(page, 5_000);
      for (const w of widgets) {
        const banner = page.locator(`[data-testid="widget-${w}"] [data-testid="stale-banner"]`);
        await banner.waitFor({ timeout: 10_000 });
        const refused = h.requestsFor(w).filter((r) => r.at >= since && r.status === 429);
        assert.ok(refused.length >= 1, `${w} was not refused`);
        const asked = Number(refused[0].retryAfter);
        assert.ok(asked >= 2 && asked <= 12, `Retry-After ${asked}`);
        // The later of the server's wait and the schedule's first delay (about 1 s): the server's.
        const wait = Math.ceil(
          Math.max(asked * 1000, retryDelayMs("dashboard", 0, keySeed(widgetKey(w, ev.eventId)))) / 1000,
        );
        assert.equal(wait, asked);
        const shown = /retrying in (\d+) s$/.exec((await banner.textContent()) ?? "");
        assert.ok(shown, `${w}: ${await banner.textContent()}`);
        assert.match((await banner.textContent())!, /^Showing figures from \d\d:\d\d — too many requests, retrying in/);
        // Seconds left of the wait the server asked for, read a moment after it was answered.
        const left = Number(shown[1]);
        assert.ok(left <= wait && left >= wait - 3, `${w}: retrying in ${left} s after Retry-After ${asked}`);
      }
      await assertSeededFigures(page);
    });
  },
);

browserTest("one widget's malformed data shows its boundary while the others keep their figures", async () => {
  await withDashboard({}, async (h, page, signInAs) => {
    const ev = await seedAnalyticsEvent(h.sql, figures);
    await signInAs(ev.organizerId);
    h.corrupt("checkins");
    await page.goto(dashboardUrl(h.url, ev.eventId));
    const boundary = page.locator('[data-testid="widget-checkins"] [data-testid="widget-error"]');
    await boundary.waitFor({ timeout: 10_000 });
    assert.equal(await boundary.getAttribute("data-code"), "MalformedData");
    assert.equal(
      (await boundary.locator("p").first().textContent())?.trim(),
      "This widget received figures it could not read.",
    );
    for (const w of widgets.filter((w) => w !== "checkins")) {
      await page.locator(figuresOf(w)).waitFor({ timeout: 10_000 });
    }
    assert.equal(await text(page, "sales-tickets"), "7");
    assert.equal(await text(page, "capacity-sold"), "7");
    assert.equal(await text(page, "email-delivered"), "2");
    assert.equal(await page.locator('[data-testid="widget-error"]').count(), 1);
    // Malformed data is not retried: asking again cannot mend it.
    assert.equal(h.requestsFor("checkins").length, 1);
    // No stack trace or raw server text reaches the page.
    assert.doesNotMatch(await page.locator("body").innerText(), /at \w+ \(|\.tsx?:\d+|not a list/);

    // Its Retry button asks again; with good data the widget draws.
    h.corrupt(null);
    await page.locator('[data-testid="widget-checkins"] [data-testid="widget-retry"]').click();
    await page.locator(figuresOf("checkins")).waitFor({ timeout: 10_000 });
    assert.equal(await text(page, "checkins-admitted"), "3");
  });
});

browserTest("a user without access sees a plain message and never another organizer's figures", async () => {
  await withDashboard({}, async (h, page, signInAs) => {
    // Figures no other event has, so any trace of them on the page is a leak.
    const mine = await seedAnalyticsEvent(h.sql, {
      capacity: 4321,
      orders: [{ paidAt: at(2), tickets: 37, amountCents: 9_876_543 }],
      scans: [{ at: at(3), door: "gate-zeta", result: "redeemed" }],
      emails: ["delivered"],
    });
    const stranger = await seedAnalyticsEvent(h.sql, { orders: [] });
    // The organizer looks at their event first, in the same browser: their figures are persisted.
    await signInAs(mine.organizerId);
    await page.goto(dashboardUrl(h.url, mine.eventId));
    await allFigures(page);
    assert.equal(await text(page, "sales-tickets"), "37");
    await sleep(1500);

    // Another organizer signs in on that browser and opens the same event.
    await signInAs(stranger.organizerId);
    await page.goto(dashboardUrl(h.url, mine.eventId));
    const errors = page.locator('[data-testid="widget-error"]');
    for (const w of widgets) {
      await page.locator(`[data-testid="widget-${w}"] [data-testid="widget-error"]`).waitFor({ timeout: 10_000 });
    }
    assert.equal(await errors.count(), 5);
    for (const message of await errors.locator("p").allTextContents()) {
      assert.equal(message, "You don't have access to this event's figures.");
    }
    for (const w of widgets) {
      const forbidden = h.requestsFor(w).filter((r) => r.status === 403);
      assert.equal(forbidden.length, 1, `${w}: a 403 is not retried`);
    }
    const body = await page.locator("body").innerText();
    for (const leak of ["98,765.43", "4,321", "gate-zeta", "Figures as of"]) {
      assert.ok(!body.includes(leak), `the page shows ${leak}: ${body}`);
    }
    assert.equal(await page.locator('[data-testid="stale-banner"]').count(), 0);
    assert.equal(await page.locator('[data-testid="sales-tickets"]').count(), 0);
  });
});

browserTest("the operations page shows its panels to a platform admin and a plain message to anyone else", async () => {
  await withDashboard({}, async (h, page, signInAs) => {
    const panels = ["email_queue", "webhook_queue", "provider_rates", "push_states", "refresh_runs", "door_scans"];
    await signInAs(seedUsers.ops);
    await page.goto(`${h.url}/#/operations`);
    for (const p of panels) await page.locator(figuresOf(p)).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="widget-error"]').count(), 0);
    for (const p of panels) assert.match(await text(page, "widget-age", p), /^As of \d\d:\d\d$/);

    await signInAs(seedUsers.organizer);
    await page.goto(`${h.url}/#/operations`);
    const errors = page.locator('[data-testid="widget-error"]');
    for (const p of panels) {
      await page.locator(`[data-testid="widget-${p}"] [data-testid="widget-error"]`).waitFor({ timeout: 10_000 });
    }
    for (const message of await errors.locator("p").allTextContents()) {
      assert.equal(message, "The operations page is for platform admins only.");
    }
    assert.equal(await page.locator('[data-testid="widget-age"]').count(), 0);
  });
});
