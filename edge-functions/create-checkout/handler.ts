// Starts a ticket purchase: a signed-in user asks for `quantity` tickets to an event and
// gets a Stripe Checkout URL. Rate limited per user and per client IP before anything
// else, because each call reaches Stripe and scripted checkouts are how stolen cards get
// tested. A request with an `Idempotency-Key` (as Stripe's own API takes one) can be
// retried safely: the same key from the same user within 24 h answers the same order and
// session; the key with another body is a 422.
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
import { ProviderError, type StripeClient } from "../_shared/providers/stripe.ts";
import { clientIp } from "../_shared/ratelimit/client_ip.ts";
import { admit } from "../_shared/ratelimit/admit.ts";
import type { LimitCheck } from "../_shared/ratelimit/limits.ts";
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

/** Printable ASCII without spaces, as Stripe's keys are; 255 characters at most. */
const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export async function handleCreateCheckout(req: Request, deps: CheckoutDeps, ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const { userId } = await deps.auth.user(req);
  // Every attempt by a signed-in user counts, valid or not, so the limit also bounds probing.
  const checks: LimitCheck[] = [{ limit: deps.limits.user, key: userId }];
  const ip = clientIp(req);
  // Without an address a trusted proxy wrote, the per-IP limit is skipped rather than
  // shared by every such request (docs/client-ip.md); the per-user limit still holds.
  if (ip !== null) checks.push({ limit: deps.limits.ip, key: ip });
  else ctx.log.log("warn", "no trusted client address; per-IP limit skipped", {});
  await admit(deps.store, checks, ctx);
  const key = idempotencyKey(req);
  const { eventId, quantity } = parseBody(await readJsonObject(req, 1024));
  const [start] = await deps.sql<
    {
      order_id: string;
      event_name: string;
      unit_amount_cents: number;
      currency: string;
      amount_cents: number;
      checkout_url: string | null;
    }[]
  >`select * from public.begin_checkout(${userId}, ${eventId}, ${quantity}, ${key})`;
  if (start.checkout_url !== null) {
    // A retry of a checkout that already has its session: the first answer again.
    return json({ order_id: start.order_id, checkout_url: start.checkout_url }, 201, { "idempotent-replayed": "true" });
  }

  // A failed attempt lets go of its Idempotency-Key (see begin_checkout): with a fresh
  // order id when the failure is definite, with the same one when Stripe may have made the
  // session after all.
  const release = (fresh: boolean) =>
    key === null
      ? Promise.resolve()
      : deps.sql`select public.release_checkout(${userId}, ${key}, ${start.order_id}, ${fresh})`.then(() => {});
  let session;
  try {
    session = await deps.stripe.createCheckoutSession({
      orderId: start.order_id,
      eventName: start.event_name,
      unitAmountCents: start.unit_amount_cents,
      currency: start.currency,
      quantity,
      successUrl: deps.successUrl,
      cancelUrl: deps.cancelUrl,
    });
  } catch (e) {
    await release(!(e instanceof ProviderError) || e.status !== null);
    if (!(e instanceof ProviderError)) throw e;
    ctx.log.log("error", "checkout session not created", { error: e.message, status: e.status });
    throw new HttpError(502, "payment_provider_error", "The payment provider is unavailable; try again shortly");
  }
  try {
    await deps.sql`select public.record_checkout(${start.order_id}, ${userId}, ${eventId}, ${quantity},
      ${start.amount_cents}, ${session.id}, ${session.url}, ${key})`;
  } catch (e) {
    // The price changed (UR001) or the database failed: the session is not this key's.
    await release(true);
    throw e;
  }
  return json({ order_id: start.order_id, checkout_url: session.url }, 201);
}

function idempotencyKey(req: Request): string | null {
  const key = req.headers.get("idempotency-key");
  if (key === null) return null;
  if (!idempotencyKeyPattern.test(key)) {
    throw invalidField("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
  return key;
}

function parseBody(body: Record<string, unknown>): { eventId: string; quantity: number } {
  const { event_id: eventId, quantity } = body;
  if (typeof eventId !== "string" || !uuidPattern.test(eventId)) {
    throw invalidField("event_id", "event_id must be a UUID");
  }
  if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1 || quantity > 10) {
    throw invalidField("quantity", "quantity must be an integer from 1 to 10");
  }
  return { eventId: eventId.toLowerCase(), quantity };
}
