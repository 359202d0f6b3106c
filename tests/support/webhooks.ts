// Stripe and Resend webhooks for tests: events shaped as the providers send them, signed by
// the providers' own libraries (so our verifier is held to their signing, not to itself),
// pending orders to pay, and delivery through the gateway.
import Stripe from "npm:stripe@23.1.0";
import { Webhook } from "npm:standardwebhooks@1.1.1";
import type { Sql } from "../../edge-functions/_shared/db.ts";
import { fn, resendWebhookSecret, stripeWebhookSecret } from "./stack.ts";

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");

export interface PendingOrder {
  orderId: string;
  sessionId: string;
  paymentIntent: string;
  userId: string;
  email: string;
  quantity: number;
}

/** `n` pending orders of `quantity` tickets each, for one new event, each with its own buyer. */
export async function createPendingOrders(
  sql: Sql,
  n: number,
  quantity = 2,
): Promise<{ eventId: string; orders: PendingOrder[] }> {
  const eventId = crypto.randomUUID();
  const orders = Array.from({ length: n }, () => {
    const userId = crypto.randomUUID();
    return {
      orderId: crypto.randomUUID(),
      sessionId: `cs_test_${hex(16)}`,
      paymentIntent: `pi_${hex(12)}`,
      userId,
      email: `buyer-${userId}@test.example`,
      quantity,
    };
  });
  await sql`insert into public.events (id, name, starts_at) values (${eventId}, 'Webhook test event', now() + interval '7 days')`;
  // In chunks: a statement takes at most 65,534 parameters.
  for (let i = 0; i < orders.length; i += 5000) {
    const chunk = orders.slice(i, i + 5000);
    await sql`insert into auth.users ${sql(chunk.map((o) => ({ id: o.userId, email: o.email })))}`;
    await sql`insert into public.orders ${
      sql(chunk.map((o) => ({
        id: o.orderId,
        user_id: o.userId,
        event_id: eventId,
        status: "pending",
        amount_cents: 2500 * quantity,
        quantity,
        stripe_checkout_session_id: o.sessionId,
      })))
    }`;
  }
  return { eventId, orders };
}

/** A Stripe event about an object, as the fake Stripe makes them (Stripe's API shape). */
export { stripeEvent } from "../fakes/stripe.ts";

/** The Checkout Session of an order, in the state the event type implies. */
export function checkoutSession(o: PendingOrder, paymentStatus = "paid"): Record<string, unknown> {
  return {
    id: o.sessionId,
    object: "checkout.session",
    mode: "payment",
    status: paymentStatus === "paid" ? "complete" : "open",
    payment_status: paymentStatus,
    payment_intent: o.paymentIntent,
    client_reference_id: o.orderId,
    metadata: { order_id: o.orderId },
    amount_total: 2500 * o.quantity,
    currency: "eur",
    customer_details: { email: o.email },
  };
}

/** The charge of an order's payment, refunded in full or by `amountRefunded`. */
export function refundedCharge(o: PendingOrder, amountRefunded = 2500 * o.quantity): Record<string, unknown> {
  return {
    id: `ch_${hex(12)}`,
    object: "charge",
    amount: 2500 * o.quantity,
    amount_refunded: amountRefunded,
    refunded: amountRefunded === 2500 * o.quantity,
    payment_intent: o.paymentIntent,
    currency: "eur",
  };
}

/**
 * The Stripe-Signature header Stripe's own library makes for `payload` (its asynchronous
 * form: outside Node it signs with WebCrypto).
 */
export function stripeSignature(
  payload: string,
  timestamp = Math.floor(Date.now() / 1000),
  secret = stripeWebhookSecret,
): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
}

/** Delivers a Stripe event (or any body) through the gateway, signed unless a header is given. */
export async function deliverStripe(body: string, signature?: string): Promise<Response> {
  return fn("stripe-webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": signature ?? await stripeSignature(body) },
    body,
  });
}

/** The svix-* headers Standard Webhooks' own library makes for `payload`. */
export function resendHeaders(payload: string, id = `msg_${hex(12)}`, at = new Date(), secret = resendWebhookSecret) {
  return {
    "svix-id": id,
    "svix-timestamp": String(Math.floor(at.getTime() / 1000)),
    "svix-signature": new Webhook(secret).sign(id, at, payload),
  };
}

/** A Resend e-mail event, as Resend sends it. */
export function resendEvent(type: string, emailId: string, to: string[], extra: Record<string, unknown> = {}) {
  return {
    type,
    created_at: new Date().toISOString(),
    data: {
      email_id: emailId,
      from: "Usher <tickets@usher.example>",
      to,
      subject: "Your ticket",
      created_at: new Date().toISOString(),
      ...extra,
    },
  };
}

/** Delivers a Resend event through the gateway with the given (or freshly signed) headers. */
export function deliverResend(body: string, headers: Record<string, string> = resendHeaders(body)): Promise<Response> {
  return fn("resend-webhook", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}
