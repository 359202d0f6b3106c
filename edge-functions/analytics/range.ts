// The date range of an analytics request: ISO 8601 instants, `from` before `to`, at most 92
// days apart (the database checks the same, see 20261202000400_analytics.sql). Left out,
// `to` is the end of the current hour and `from` 30 days before it, so two requests a minute
// apart ask for the same range and the second can be answered with a 304.
import { HttpError, invalidField } from "../_shared/http.ts";

export interface AnalyticsRange {
  event: string;
  from: Date;
  to: Date;
}

const maxRangeDays = 92;
const dayMs = 86_400_000;
const hourMs = 3_600_000;
const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(field: string, value: string): Date {
  const ms = instant.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw invalidField(field, `${field} must be an ISO 8601 instant with a time zone, like 2026-12-01T00:00:00Z`);
  }
  return new Date(ms);
}

export function parseRange(event: string, from: string | null, to: string | null, nowMs: number): AnalyticsRange {
  const given = from === null ? null : parseInstant("from", from);
  const end = to === null ? new Date(Math.ceil(nowMs / hourMs) * hourMs) : parseInstant("to", to);
  const start = given ?? new Date(end.getTime() - 30 * dayMs);
  if (start >= end) throw invalidField("from", "from must be before to");
  if (end.getTime() - start.getTime() > maxRangeDays * dayMs) {
    throw new HttpError(400, "range_too_large", `The date range may be at most ${maxRangeDays} days`, {}, "from");
  }
  return { event, from: start, to: end };
}
