// What the browser tests, the benchmark and the demo do with the dashboard in a page: sign a
// user in as the app expects (localStorage["usher.session"]), open an event's dashboard,
// wait until every widget shows figures, and the app's rules a test computes its
// expectations from (the jitter seed of a widget's query, its clock format).
import type { Page } from "npm:playwright-core@1.64.1";
import { widgets } from "./harness.ts";

/** Stores the user's token where the app reads it, on the app's origin (no app page loaded). */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/config.json`);
  await page.evaluate((t) => localStorage.setItem("usher.session", JSON.stringify({ access_token: t })), token);
}

export function dashboardUrl(origin: string, eventId: string, range = "30d"): string {
  return `${origin}/#/?${new URLSearchParams({ event: eventId, range })}`;
}

/** The selector of a widget's figures: its frame once it has an answer to show. */
export const figuresOf = (widget: string) => `[data-testid="widget-${widget}"] .widget-body`;

/** Waits until all five widgets show figures (not a skeleton, not an error). */
export async function allFigures(page: Page, timeout = 20_000): Promise<void> {
  await Promise.all(widgets.map((w) => page.locator(figuresOf(w)).waitFor({ state: "visible", timeout })));
}

/** A widget's element's text, trimmed. */
export async function text(page: Page, testId: string, within?: string): Promise<string> {
  const scope = within ? page.locator(`[data-testid="widget-${within}"]`) : page;
  return ((await scope.locator(`[data-testid="${testId}"]`).first().textContent()) ?? "").trim();
}

/**
 * The jitter seed the app gives a widget's query (web/src/query/retry.ts keySeed): FNV-1a,
 * 32 bits, over TanStack Query's hash of the key, which for a key of strings is its JSON.
 */
export function keySeed(key: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(key)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The query key of a widget's figures (web/src/analytics/api/queries.ts analyticsKeys.widget). */
export const widgetKey = (widget: string, eventId: string, range = "30d") => ["analytics", eventId, widget, range];

/** "14:05" in UTC, as the app writes a time of today in a browser whose zone is UTC. */
export const clockUtc = (iso: string) =>
  new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });

/**
 * Makes the user's persisted figures `ms` older, as if they were fetched that long ago, so a
 * fresh load asks for them again (the app keeps figures fresh for 30 s). Call it with no app
 * page open, or the app would write its own cache back over it.
 */
export async function ageCache(page: Page, userId: string, ms: number): Promise<void> {
  const aged = await page.evaluate(([key, ms]) => {
    const raw = localStorage.getItem(key as string);
    if (raw === null) return 0;
    const stored = JSON.parse(raw);
    stored.timestamp -= ms as number;
    for (const q of stored.clientState.queries) q.state.dataUpdatedAt -= ms as number;
    localStorage.setItem(key as string, JSON.stringify(stored));
    return stored.clientState.queries.length;
  }, [`usher.queries.${userId}`, ms]);
  if (aged === 0) throw new Error(`no persisted figures for ${userId}`);
}
