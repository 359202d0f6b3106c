// Sends one push notification to a user's device, for other services (service role only).
// Held to a per-user and a global quota, so that a bug in a caller cannot flood a phone or
// exhaust the provider's allowance. Every attempt is recorded in push_deliveries before
// anything is counted or sent, and settled with its outcome (the provider's ticket id for
// delivery tracking, or why it was not sent), so no path sends without a row. A token the
// provider called DeviceNotRegistered (in a ticket here, or in a receipt fetched later by
// process-push-receipts) is retired: a push to it is a 410 device_unregistered, recorded as
// failed, that uses no quota and never reaches the provider.
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import {
  HttpError,
  invalidField,
  json,
  methodNotAllowed,
  readJsonObject,
  type RequestContext,
} from "../_shared/http.ts";
import type { PushClient, PushMessage } from "../_shared/providers/push.ts";
import { ProviderError } from "../_shared/providers/stripe.ts";
import { admit } from "../_shared/ratelimit/admit.ts";
import type { PushLimits } from "../_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { uuidPattern } from "../_shared/ids.ts";
import { describeError } from "../_shared/log.ts";
import { checkedText } from "../_shared/text.ts";

export interface PushDeps {
  sql: Sql;
  auth: Authenticator;
  store: RateLimitStore;
  limits: PushLimits;
  push: PushClient;
}

type Outcome = "sent" | "failed" | "rate_limited";

export async function handleSendPush(req: Request, deps: PushDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") throw new HttpError(403, "forbidden", "Only the service role may send pushes");
  const { userId, message } = parseBody(await readJsonObject(req, 8192));
  // Before the limit and the provider: a push for nobody (UR005, a 404) uses up no quota.
  const [{ id }] = await deps.sql<{ id: string }[]>`
    select public.begin_push_delivery(${userId}, ${message.to}, ${message.title}) as id`;
  const [{ refused }] = await deps.sql<{ refused: boolean }[]>`select public.refuse_retired_push(${id}) as refused`;
  if (refused) {
    throw new HttpError(410, "device_unregistered", "This push token is no longer registered with the provider");
  }

  await admit(deps.store, [
    { limit: deps.limits.user, key: userId },
    { limit: deps.limits.global, key: "all" },
  ], ctx).catch(async (e) => {
    if (e instanceof HttpError) {
      await settle(deps, ctx, id, e.status === 429 ? "rate_limited" : "failed", null, e.message);
    }
    throw e;
  });

  let ticket;
  try {
    [ticket] = await deps.push.send([message]);
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    ctx.log.log("error", "push not sent", { error: e.message, status: e.status });
    await settle(deps, ctx, id, "failed", null, e.message);
    throw new HttpError(502, "push_provider_error", "The push provider is unavailable; try again shortly");
  }
  const sent = ticket.status === "ok";
  if (ticket.status === "error" && ticket.error === "DeviceNotRegistered") await retire(deps, ctx, message.to);
  await settle(
    deps,
    ctx,
    id,
    sent ? "sent" : "failed",
    ticket.status === "ok" ? ticket.id : null,
    ticket.status === "ok" ? null : `${ticket.error ?? "error"}: ${ticket.message}`,
  );
  return json({
    delivery_id: id,
    status: sent ? "sent" : "failed",
    ticket_id: ticket.status === "ok" ? ticket.id : null,
    // A refused token (DeviceNotRegistered, say) is the caller's cue to forget it.
    error: ticket.status === "ok" ? null : ticket.error,
  });
}

/**
 * Settles the delivery row with its outcome. Once the provider has been asked, failing to
 * write the outcome must not turn into a 500 that a caller would retry (and so send
 * twice): the row stays `pending`, the log says so, and the caller gets the outcome.
 */
async function settle(
  deps: PushDeps,
  ctx: RequestContext,
  id: string,
  status: Outcome,
  ticketId: string | null,
  error: string | null,
): Promise<void> {
  try {
    await deps.sql`select public.settle_push_delivery(${id}, ${status}, ${ticketId}, ${error})`;
  } catch (e) {
    ctx.log.log("error", "push delivery not settled; its row stays pending", {
      delivery_id: id,
      outcome: status,
      error: describeError(e),
    });
  }
}

/** Retires a token the provider refused; a failure to is logged, as the push's answer matters more. */
async function retire(deps: PushDeps, ctx: RequestContext, token: string): Promise<void> {
  try {
    await deps.sql`select public.retire_push_token(${token}, 'DeviceNotRegistered')`;
  } catch (e) {
    ctx.log.log("error", "push token not retired", { error: describeError(e) });
  }
}

function parseBody(body: Record<string, unknown>): { userId: string; message: PushMessage } {
  const { user_id: userId, token, title, body: text, data } = body;
  if (typeof userId !== "string" || !uuidPattern.test(userId)) throw invalidField("user_id", "user_id must be a UUID");
  if (typeof token !== "string" || !/^[\x21-\x7e]{1,256}$/.test(token)) {
    throw invalidField("token", "token must be a push token of 1 to 256 printable ASCII characters");
  }
  const message: PushMessage = {
    to: token,
    title: checkedText("title", title, { min: 1, max: 200 }),
    body: checkedText("body", text, { min: 0, max: 2000, multiline: true }),
  };
  if (data !== undefined) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw invalidField("data", "data must be a JSON object when given");
    }
    message.data = data as Record<string, unknown>;
  }
  return { userId: userId.toLowerCase(), message };
}
