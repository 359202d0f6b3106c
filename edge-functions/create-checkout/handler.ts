// Starts a ticket purchase: a signed-in user asks for `quantity` tickets to an event and
// gets a Stripe Checkout URL. Rate limited per user and per client IP before anything
// else, because each call reaches Stripe and scripted checkouts are how stolen cards get
// tested.
import postgres from "npm:postgres@3.4.9";
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";
import { ProviderError, type StripeClient } from "../_shared/providers/stripe.ts";
import { clientIp } from "../_shared/ratelimit/client_ip.ts";
import { enforce } from "../_shared/ratelimit/limits.ts";
import type { CheckoutLimits } from "../_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { uuidPattern } from "../_shared/ids.ts";

export interface CheckoutDeps {
  sql: Sql;
  auth: Authenticator;
  store: RateLimitStore;
  limits: CheckoutLimits;
  stripe: StripeClient;
  successUrl: string;
  cancelUrl: string;
}

export async function handleCreateCheckout(req: Request, deps: CheckoutDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const { userId } = await deps.auth.user(req);
  // Every attempt by a signed-in user counts, valid or not, so the limit also bounds probing.
  const verdict = await enforce(deps.store, [
    { limit: deps.limits.user, key: userId },
    { limit: deps.limits.ip, key: clientIp(req) },
  ], ctx.log);
  if (!verdict.allowed) throw verdict.error;
  try {
    return await checkout(req, deps, ctx, userId, verdict.headers);
  } catch (e) {
    // Every answer to a counted attempt says where the caller stands, errors included.
    if (e instanceof HttpError) {
      throw new HttpError(e.status, e.code, e.message, {
        ...verdict.headers,
        ...(e.headers as Record<string, string>),
      });
    }
    throw e;
  }
}

async function checkout(
  req: Request,
  deps: CheckoutDeps,
  ctx: RequestContext,
  userId: string,
  headers: Record<string, string>,
): Promise<Response> {
  const { eventId, quantity } = parseBody(await readJsonObject(req, 1024));
  const [quote] = await deps.sql<
    { event_name: string; unit_amount_cents: number; currency: string; amount_cents: number }[]
  >`
    select * from public.checkout_quote(${eventId}, ${quantity})`;
  if (!quote) throw new HttpError(404, "event_not_found", "No upcoming event with that event_id");

  const orderId = crypto.randomUUID();
  let session;
  try {
    session = await deps.stripe.createCheckoutSession({
      orderId,
      eventName: quote.event_name,
      unitAmountCents: quote.unit_amount_cents,
      currency: quote.currency,
      quantity,
      successUrl: deps.successUrl,
      cancelUrl: deps.cancelUrl,
    });
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    ctx.log.log("error", "checkout session not created", { error: e.message, status: e.status });
    throw new HttpError(502, "payment_provider_error", "The payment provider is unavailable; try again shortly");
  }
  try {
    await deps.sql`select public.create_pending_order(${orderId}, ${userId}, ${eventId}, ${quantity},
      ${quote.amount_cents}, ${session.id})`;
  } catch (e) {
    // The price changed between the quote and the order: the session shows a stale sum,
    // so no order is recorded for it and the customer starts again.
    if (e instanceof postgres.PostgresError && e.code === "P0001") {
      throw new HttpError(409, "price_changed", "The ticket price changed during checkout; please try again");
    }
    throw e;
  }
  return json({ order_id: orderId, checkout_url: session.url }, 201, headers);
}

function parseBody(body: Record<string, unknown>): { eventId: string; quantity: number } {
  const { event_id: eventId, quantity } = body;
  if (typeof eventId !== "string" || !uuidPattern.test(eventId)) {
    throw new HttpError(400, "invalid_event_id", "event_id must be a UUID");
  }
  if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1 || quantity > 10) {
    throw new HttpError(400, "invalid_quantity", "quantity must be an integer from 1 to 10");
  }
  return { eventId: eventId.toLowerCase(), quantity };
}
