// The project's own SQLSTATEs and the HTTP answer each deserves: one table, so a handler
// never inspects a database error itself, and a generic code (P0001 is any `raise
// exception`) never stands for one particular failure. The migrations that raise them
// list them in their headers; `serve` answers them through `fromSqlError`. The rate
// limiter's own (UR101–UR103, 20261201000300_rate_limit_batches.sql) refuse malformed calls
// from our own code: bugs, which stay 500s; so does the e-mail queue's UR007
// (20261201000600_email_queue.sql).

export interface SqlErrorAnswer {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const answers: Readonly<Record<string, SqlErrorAnswer>> = {
  UR001: { status: 409, code: "price_changed", message: "The ticket price changed during checkout; please try again" },
  UR002: { status: 403, code: "account_not_found", message: "Your account does not exist; sign in again" },
  UR003: {
    status: 422,
    code: "idempotency_key_reused",
    message: "This Idempotency-Key was already used for a different request",
  },
  UR004: { status: 404, code: "event_not_found", message: "No upcoming event with that event_id" },
  UR005: { status: 404, code: "unknown_user", message: "No user with that user_id" },
  UR006: {
    status: 409,
    code: "checkout_in_progress",
    message: "A request with this Idempotency-Key is still under way; retry shortly",
    headers: { "retry-after": "1" },
  },
  UR010: { status: 403, code: "forbidden", message: "You may not see this event's figures" },
  UR011: { status: 400, code: "range_too_large", message: "The date range may be at most 92 days" },
  UR012: { status: 400, code: "invalid_range", message: "`from` must be before `to`" },
  UR403: { status: 403, code: "forbidden", message: "You are not scanner staff for this event" },
};

/**
 * The answer for an error raised by one of the project's SQL functions with its own
 * SQLSTATE, or null for any other error. The database's own message is never passed on:
 * it may name ids or values the caller did not send.
 */
export function fromSqlError(e: unknown): SqlErrorAnswer | null {
  if (!(e instanceof Error) || e.name !== "PostgresError") return null;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && Object.hasOwn(answers, code) ? answers[code] : null;
}
