// The analytics function's answers (docs/analytics.md), fetched, checked and keyed for
// TanStack Query. A failed answer becomes an ApiError that carries what the retry rule and
// the messages need: the status, the error code and the server's Retry-After.
import { retryAfterMs as parseRetryAfter } from "../../core/usher.ts";
import {
  type Answer,
  type CapacityData,
  type CheckinsData,
  type EmailData,
  parseAnswer,
  type SalesData,
  type ScanOutcomesData,
} from "./validate.ts";

export type * from "./validate.ts";
export { emailFields, MalformedData } from "./validate.ts";

/** A failed call: `status` 0 when no answer came at all (network down, CORS, DNS). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    /** The function's error code (`rate_limited`, `query_timeout`, …), or `network`/`http_<status>`. */
    readonly code: string,
    /** The wait the server asked for with Retry-After, in milliseconds; null when it asked none. */
    readonly retryAfterMs: number | null = null,
    readonly field: string | null = null,
  ) {
    // The server's own message is not kept: what the user reads comes from messageFor().
    super(`${status} ${code}`);
  }
}

/** Where the functions are and who is asking. */
export interface ApiContext {
  functionsUrl: string;
  accessToken: string;
}

/** GETs or POSTs JSON from a function; throws an ApiError for anything but a 2xx with JSON. */
export async function requestJson(
  api: ApiContext,
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown; signal?: AbortSignal } = {},
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${api.functionsUrl}/${path}`, {
      method: init.method ?? "GET",
      headers: {
        authorization: `Bearer ${api.accessToken}`,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw new ApiError(0, "network");
  }
  if (!res.ok) {
    const header = res.headers.get("retry-after");
    const wait = header === null ? null : parseRetryAfter(header, Date.now());
    let code = `http_${res.status}`, field: string | null = null;
    try {
      const error = ((await res.json()) as { error?: { code?: unknown; field?: unknown } } | null)?.error;
      if (typeof error?.code === "string") code = error.code;
      if (typeof error?.field === "string") field = error.field;
    } catch {
      // Not our JSON (a proxy's page, say): the status alone decides.
    }
    throw new ApiError(res.status, code, wait, field);
  }
  try {
    return await res.json();
  } catch {
    throw new ApiError(res.status, "invalid_json");
  }
}

export const widgets = ["sales", "capacity", "checkins", "scan_outcomes", "email"] as const;
export type Widget = (typeof widgets)[number];

export interface WidgetData {
  sales: SalesData;
  capacity: CapacityData;
  checkins: CheckinsData;
  scan_outcomes: ScanOutcomesData;
  email: EmailData;
}

/** The date ranges the dashboard offers, ending at the end of the current hour. */
export const ranges = { "24h": 1, "7d": 7, "30d": 30, "90d": 90 } as const;
export type RangeName = keyof typeof ranges;

/**
 * The instants a range names at `nowMs`: `to` is the end of the current hour and `from` the
 * range's days before it, both whole hours, so repeated asks within an hour are the same
 * request (and cost a 304).
 */
export function rangeBounds(range: RangeName, nowMs: number): { from: string; to: string } {
  const hour = 3_600_000;
  const to = Math.floor(nowMs / hour) * hour + hour;
  return { from: new Date(to - ranges[range] * 24 * hour).toISOString(), to: new Date(to).toISOString() };
}

/**
 * Query keys. A key names the range, not its instants: the instants move every hour, and a
 * key that moved with them would leave the persisted last good answer behind exactly when
 * the fetch of the new hour fails.
 */
export const analyticsKeys = {
  all: ["analytics"] as const,
  event: (eventId: string) => ["analytics", eventId] as const,
  widget: <W extends Widget>(widget: W, eventId: string, range: RangeName) =>
    ["analytics", eventId, widget, range] as const,
};

/** One widget's answer, checked against its shape: malformed data throws MalformedData. */
export async function fetchWidget<W extends Widget>(
  api: ApiContext,
  widget: W,
  eventId: string,
  range: RangeName,
  signal?: AbortSignal,
): Promise<Answer<WidgetData[W]>> {
  const { from, to } = rangeBounds(range, Date.now());
  const q = new URLSearchParams({ widget, event: eventId, from, to });
  return parseAnswer(widget, await requestJson(api, `analytics?${q}`, { signal })) as Answer<WidgetData[W]>;
}
