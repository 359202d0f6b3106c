// The two database failures a read-only function answers itself rather than as a 500: the
// statement ran out of the time the function gave it (504, the caller may ask for less),
// and the database could not be reached at all (503, the caller may try again shortly).
import { HttpError } from "./http.ts";

/** postgres.js's codes for a connection that failed or broke, and the system's own. */
const connectionCodes: ReadonlySet<string> = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  // Postgres is up but not accepting this session: starting, shutting down, too many clients.
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * Seconds a caller should wait at least before asking again while the database is
 * unreachable: a floor, not a schedule, so a client's own backoff (the dashboard's 1 s, 3 s,
 * 10 s) decides beyond it.
 */
export const unavailableRetryAfterS = 1;

/** The answer for a statement timeout or an unreachable database, or null for any other error. */
export function databaseFailure(e: unknown): HttpError | null {
  if (!(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string") return null;
  // 57014 is also a cancel someone asked for; only the function's own timeout cancels these reads.
  if (code === "57014") {
    return new HttpError(504, "query_timeout", "The query took longer than this function allows; ask for less");
  }
  if (connectionCodes.has(code)) {
    return new HttpError(503, "database_unavailable", "The database is unreachable; try again shortly", {
      "retry-after": String(unavailableRetryAfterS),
    });
  }
  return null;
}

/** Awaits `query`, answering a statement timeout or an unreachable database as `databaseFailure` does. */
export async function orDatabaseFailure<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (e) {
    throw databaseFailure(e) ?? e;
  }
}
