// Runtime checks of the analytics function's answers (docs/analytics.md), one per widget,
// written by hand: a schema library would cost more bytes than the whole of this file. A
// malformed answer throws MalformedData, which the widget's error boundary shows; the others
// keep working.

export class MalformedData extends Error {
  override readonly name = "MalformedData";
  constructor(readonly widget: string, readonly path: string) {
    super(`${widget}: unexpected value at ${path}`);
  }
}

/** Every answer's envelope. */
export interface Answer<D> {
  widget: string;
  event_id: string;
  from: string;
  to: string;
  /** When the figures were computed: the last good refresh of the views they come from. */
  data_as_of: string;
  /** The figures are older than two refresh intervals, or the last refresh failed. */
  stale: boolean;
  data: D;
}

export type Bucket = "hour" | "day";
export interface SalesData {
  bucket: Bucket;
  currency: string;
  buckets: { at: string; tickets: number; revenue_cents: number }[];
}
export interface CapacityData {
  sold: number;
  redeemed: number;
  capacity: number | null;
}
export interface CheckinsData {
  bucket: Bucket;
  buckets: { at: string; door: string; admitted: number }[];
}
export interface ScanOutcomesData {
  outcomes: { result: string; count: number }[];
}
export const emailFields = [
  "total",
  "pending",
  "sent",
  "delivered",
  "bounced",
  "complained",
  "suppressed",
  "failed",
] as const;
export type EmailData = Record<(typeof emailFields)[number], number>;

type Check = (v: unknown, path: string) => void;

function checker(widget: string) {
  const fail = (path: string): never => {
    throw new MalformedData(widget, path);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(path);
  const count: Check = (v, path) => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) fail(path);
  };
  const str: Check = (v, path) => {
    if (typeof v !== "string") fail(path);
  };
  const instant: Check = (v, path) => {
    if (typeof v !== "string" || Number.isNaN(Date.parse(v))) fail(path);
  };
  const bucket: Check = (v, path) => {
    if (v !== "hour" && v !== "day") fail(path);
  };
  const fields = (v: unknown, path: string, shape: Record<string, Check>) => {
    const o = obj(v, path);
    for (const [k, check] of Object.entries(shape)) check(o[k], `${path}.${k}`);
  };
  const list = (v: unknown, path: string, shape: Record<string, Check>) => {
    if (!Array.isArray(v)) fail(path);
    (v as unknown[]).forEach((item, i) => fields(item, `${path}[${i}]`, shape));
  };
  return { fail, obj, count, str, instant, bucket, fields, list };
}

const dataChecks: Record<string, (c: ReturnType<typeof checker>, d: unknown) => void> = {
  sales: (c, d) =>
    c.fields(d, "data", {
      bucket: c.bucket,
      currency: c.str,
      buckets: (v, p) => c.list(v, p, { at: c.instant, tickets: c.count, revenue_cents: c.count }),
    }),
  capacity: (c, d) =>
    c.fields(d, "data", {
      sold: c.count,
      redeemed: c.count,
      capacity: (v, p) => v === null || c.count(v, p),
    }),
  checkins: (c, d) =>
    c.fields(d, "data", {
      bucket: c.bucket,
      buckets: (v, p) => c.list(v, p, { at: c.instant, door: c.str, admitted: c.count }),
    }),
  scan_outcomes: (c, d) => c.fields(d, "data", { outcomes: (v, p) => c.list(v, p, { result: c.str, count: c.count }) }),
  email: (c, d) => c.fields(d, "data", Object.fromEntries(emailFields.map((f) => [f, c.count]))),
};

/** The answer for `widget`, checked field by field; throws MalformedData naming the first bad one. */
export function parseAnswer(widget: string, body: unknown): Answer<unknown> {
  const c = checker(widget);
  c.fields(body, "answer", {
    widget: (v, p) => v === widget || c.fail(p),
    event_id: c.str,
    from: c.instant,
    to: c.instant,
    data_as_of: c.instant,
    stale: (v, p) => typeof v === "boolean" || c.fail(p),
  });
  const check = dataChecks[widget];
  if (check === undefined) c.fail("widget");
  check(c, (body as { data: unknown }).data);
  return body as Answer<unknown>;
}
