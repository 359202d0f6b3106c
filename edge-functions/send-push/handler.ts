// Sends one push notification to a user's device, for other services (service role only).
// Held to a per-user and a global quota, so that a bug in a caller cannot flood a phone or
// exhaust the provider's allowance; every attempt, refused or not, is recorded in
// push_deliveries with the provider's ticket id for delivery tracking.
import postgres from "npm:postgres@3.4.9";
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import type { PushClient, PushMessage } from "../_shared/providers/push.ts";
import { ProviderError } from "../_shared/providers/stripe.ts";
import { enforce } from "../_shared/ratelimit/limits.ts";
import type { PushLimits } from "../_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { uuidPattern } from "../_shared/ids.ts";
import { describeError } from "../_shared/log.ts";

export interface PushDeps {
  sql: Sql;
  auth: Authenticator;
  store: RateLimitStore;
  limits: PushLimits;
  push: PushClient;
}

type Status = "sent" | "failed" | "rate_limited";

export async function handleSendPush(req: Request, deps: PushDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") throw new HttpError(403, "forbidden", "Only the service role may send pushes");
  const { userId, message } = parseBody(await readJsonObject(req, 8192));
  // Before the limit and the provider: a push for nobody must neither use up a quota nor
  // reach a phone and then fail to be recorded.
  const [{ known }] = await deps.sql<{ known: boolean }[]>`
    select exists (select 1 from auth.users where id = ${userId}) as known`;
  if (!known) throw new HttpError(404, "unknown_user", "No user with that user_id");

  const verdict = await enforce(deps.store, [
    { limit: deps.limits.user, key: userId },
    { limit: deps.limits.global, key: "all" },
  ], ctx.log);
  if (!verdict.allowed) {
    const status = verdict.error.status === 429 ? "rate_limited" : "failed";
    try {
      await record(deps.sql, userId, message, status, null, verdict.error.message);
    } catch (e) {
      // With the limit store on this same database, a store outage also stops the record;
      // the caller still deserves the refusal's answer, not a 500.
      if (e instanceof HttpError) throw e;
      ctx.log.log("error", "refused push not recorded", { error: describeError(e) });
    }
    throw verdict.error;
  }

  let ticket;
  try {
    [ticket] = await deps.push.send([message]);
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    ctx.log.log("error", "push not sent", { error: e.message, status: e.status });
    await record(deps.sql, userId, message, "failed", null, e.message);
    throw new HttpError(
      502,
      "push_provider_error",
      "The push provider is unavailable; try again shortly",
      verdict.headers,
    );
  }
  const sent = ticket.status === "ok";
  const deliveryId = await record(
    deps.sql,
    userId,
    message,
    sent ? "sent" : "failed",
    ticket.status === "ok" ? ticket.id : null,
    ticket.status === "ok" ? null : `${ticket.error ?? "error"}: ${ticket.message}`,
  );
  return json(
    {
      delivery_id: deliveryId,
      status: sent ? "sent" : "failed",
      ticket_id: ticket.status === "ok" ? ticket.id : null,
      // A refused token (DeviceNotRegistered, say) is the caller's cue to forget it.
      error: ticket.status === "ok" ? null : ticket.error,
    },
    200,
    verdict.headers,
  );
}

async function record(
  sql: Sql,
  userId: string,
  m: PushMessage,
  status: Status,
  ticketId: string | null,
  error: string | null,
): Promise<string> {
  try {
    const [row] = await sql<{ id: string }[]>`
      select public.record_push_delivery(${userId}, ${m.to}, ${m.title}, ${status}, ${ticketId}, ${error}) as id`;
    return row.id;
  } catch (e) {
    if (e instanceof postgres.PostgresError && e.code === "23503") {
      throw new HttpError(404, "unknown_user", "No user with that user_id");
    }
    throw e;
  }
}

function parseBody(body: Record<string, unknown>): { userId: string; message: PushMessage } {
  const { user_id: userId, token, title, body: text, data } = body;
  if (typeof userId !== "string" || !uuidPattern.test(userId)) {
    throw new HttpError(400, "invalid_user_id", "user_id must be a UUID");
  }
  if (typeof token !== "string" || !/^\S{1,256}$/.test(token)) {
    throw new HttpError(400, "invalid_token", "token must be a push token of 1 to 256 characters");
  }
  if (typeof title !== "string" || title.length < 1 || title.length > 200) {
    throw new HttpError(400, "invalid_title", "title must be a string of 1 to 200 characters");
  }
  if (typeof text !== "string" || text.length > 2000) {
    throw new HttpError(400, "invalid_body", "body must be a string of at most 2000 characters");
  }
  if (data !== undefined && (data === null || typeof data !== "object" || Array.isArray(data))) {
    throw new HttpError(400, "invalid_data", "data must be a JSON object when given");
  }
  const message: PushMessage = { to: token, title, body: text };
  if (data) message.data = data as Record<string, unknown>;
  return { userId: userId.toLowerCase(), message };
}
