// stripe-webhook in-process against the real database, with events signed by Stripe's own
// library: what each refused signature is told (and that it changes nothing), an event's
// effect applied once, a refund before its completion, and a failed apply queued for retry.
import assert from "node:assert/strict";
import { connect, type Sql } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { QrKeys, retryDelayMs, StripeSignatureVerifier } from "../_shared/wasm.ts";
import { seedOfEvent } from "../_shared/webhooks/retry_queue.ts";
import { createQueue } from "../../tests/support/email.ts";
import { dbUrl, qrSigningKeys, stripeWebhookSecret } from "../../tests/support/stack.ts";
import {
  checkoutSession,
  createPendingOrders,
  type PendingOrder,
  refundedCharge,
  stripeEvent,
  stripeSignature,
} from "../../tests/support/webhooks.ts";
import { handleStripeWebhook } from "./handler.ts";

const keys = new QrKeys(qrSigningKeys);

interface Harness {
  sql: Sql;
  queue: string;
  post: (body: string, signature?: string | null) => Promise<Response>;
}

async function withFunction(t: (h: Harness) => Promise<void>, dbFor = (url: string) => connect(url, 2)) {
  const sql = connect(dbUrl, 2);
  const queue = await createQueue(sql);
  const served = serve("stripe-webhook", handleStripeWebhook, {
    sql: dbFor(dbUrl),
    keys,
    verifier: new StripeSignatureVerifier([stripeWebhookSecret]),
    emailQueue: queue,
  }, () => {});
  const post = async (body: string, signature?: string | null) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (signature !== null) headers["stripe-signature"] = signature ?? await stripeSignature(body);
    return served(new Request("http://x/stripe-webhook", { method: "POST", headers, body }));
  };
  try {
    await t({ sql, queue, post });
  } finally {
    await sql.end();
  }
}

const completed = (o: PendingOrder) => JSON.stringify(stripeEvent("checkout.session.completed", checkoutSession(o)));

async function orderState(sql: Sql, o: PendingOrder) {
  const [order] = await sql<{ status: string }[]>`select status from public.orders where id = ${o.orderId}`;
  const tickets = await sql<{ status: string; qr_code_signed: string }[]>`
    select status, qr_code_signed from public.tickets where order_id = ${o.orderId} order by status`;
  return { status: order.status, tickets: [...tickets] };
}

Deno.test("refused signatures answer 400 with their reason and change nothing", () =>
  withFunction(async ({ sql, post }) => {
    const { orders: [o] } = await createPendingOrders(sql, 1);
    const body = completed(o);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | null, string][] = [
      ["no header", null, "missing_timestamp"],
      ["another secret", await stripeSignature(body, now, "whsec_not_ours"), "mismatch"],
      ["stale", await stripeSignature(body, now - 301), "timestamp_too_old"],
      ["from the future", await stripeSignature(body, now + 301), "timestamp_in_future"],
      ["v0 only", `t=${now},v0=${"ab".repeat(32)}`, "no_signature"],
      ["empty v1", `t=${now},v1=`, "mismatch"],
    ];
    for (const [name, signature, reason] of cases) {
      const res = await post(body, signature);
      assert.equal(res.status, 400, name);
      const answer = await res.json();
      assert.equal(answer.error.code, "invalid_signature", name);
      assert.equal(answer.error.reason, reason, name);
      assert.equal(answer.error.field, "stripe-signature", name);
    }
    const tampered = await post(body.replace(o.orderId, crypto.randomUUID()), await stripeSignature(body));
    assert.equal((await tampered.json()).error.reason, "mismatch", "a changed body");
    assert.deepEqual(await orderState(sql, o), { status: "pending", tickets: [] });
    const [{ n }] = await sql`select count(*)::int as n from public.webhook_events where event_id = ${
      JSON.parse(body).id
    }`;
    assert.equal(n, 0, "no refused event is recorded");
  }));

Deno.test("a verified body that is no Stripe event is a 400 naming the problem", () =>
  withFunction(async ({ post }) => {
    for (
      const [body, code] of [["not json", "invalid_json"], ["[]", "invalid_body"], ['{"id":"evt_1"}', "invalid_body"]]
    ) {
      const res = await post(body);
      assert.equal(res.status, 400, body);
      assert.equal((await res.json()).error.code, code, body);
    }
  }));

Deno.test("a completed checkout pays the order once: tickets with signed codes, one e-mail each", () =>
  withFunction(async ({ sql, queue, post }) => {
    const { eventId, orders: [o] } = await createPendingOrders(sql, 1, 3);
    const body = completed(o);
    const first = await post(body);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { received: true, outcome: "paid" });
    for (let i = 0; i < 3; i++) assert.equal((await (await post(body)).json()).outcome, "duplicate");
    const state = await orderState(sql, o);
    assert.equal(state.status, "paid");
    assert.equal(state.tickets.length, 3);
    for (const t of state.tickets) {
      assert.equal(t.status, "valid");
      const verdict = keys.verify(t.qr_code_signed, eventId, Math.floor(Date.now() / 1000));
      assert.equal(verdict.ok, true, "the code verifies at the door");
    }
    const mails = await sql<{ to_email: string; attachments: { content_type: string }[] }[]>`
      select to_email, attachments from public.email_queue where queue = ${queue}`;
    assert.equal(mails.length, 3, "one ticket e-mail per ticket");
    assert.ok(mails.every((m) => m.to_email === o.email && m.attachments[0].content_type === "image/png"));
  }));

Deno.test("a refund before its completion ends as in order: refunded, tickets refunded, no e-mail", () =>
  withFunction(async ({ sql, queue, post }) => {
    const { orders: [a, b] } = await createPendingOrders(sql, 2);
    const refund = (o: PendingOrder) => JSON.stringify(stripeEvent("charge.refunded", refundedCharge(o)));
    assert.equal((await (await post(completed(a))).json()).outcome, "paid");
    assert.equal((await (await post(refund(a))).json()).outcome, "refunded");
    assert.equal((await (await post(refund(b))).json()).outcome, "refund_held");
    assert.equal((await (await post(completed(b))).json()).outcome, "paid_refunded");
    const [inOrder, outOfOrder] = [await orderState(sql, a), await orderState(sql, b)];
    assert.equal(inOrder.status, "refunded");
    assert.deepEqual(inOrder.tickets.map((t) => t.status), ["refunded", "refunded"]);
    assert.deepEqual(outOfOrder.tickets.map((t) => t.status), inOrder.tickets.map((t) => t.status));
    assert.equal(outOfOrder.status, inOrder.status);
    const [{ n }] =
      await sql`select count(*)::int as n from public.email_queue where queue = ${queue} and to_email = ${b.email}`;
    assert.equal(n, 0, "a ticket already refunded is not e-mailed");
  }));

Deno.test("an event whose apply fails is queued for retry on the schedule and acknowledged", () =>
  withFunction(async ({ sql, post }) => {
    const { orders: [o] } = await createPendingOrders(sql, 1);
    const ghost = { ...o, orderId: crypto.randomUUID(), sessionId: `cs_test_${crypto.randomUUID().slice(0, 8)}` };
    const body = completed(ghost);
    const before = Date.now();
    const res = await post(body);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { received: true, outcome: "queued_for_retry" });
    const id = JSON.parse(body).id;
    const [row] = await sql<{ attempts: number; status: string; last_error: string; next_retry_at: Date }[]>`
      select attempts, status, last_error, next_retry_at from public.webhook_retry_queue where event_id = ${id}`;
    assert.equal(row.status, "pending");
    assert.equal(row.attempts, 1, "the inline try counts");
    assert.equal(row.last_error, "PostgresError UR008", "the failure by kind and code, never its text");
    const delay = retryDelayMs("webhook", 0, seedOfEvent(id));
    assert.ok(delay >= 54_000 && delay <= 66_000, `${delay} is the schedule's first minute with its jitter`);
    assert.ok(Math.abs(row.next_retry_at.getTime() - (before + delay)) < 2_000, "due one jittered minute later");
    assert.equal((await (await post(body)).json()).outcome, "queued_for_retry", "a redelivery keeps the one row");
    const [{ n }] = await sql`select count(*)::int as n from public.webhook_retry_queue where event_id = ${id}`;
    assert.equal(n, 1);
    await sql`delete from public.webhook_retry_queue where event_id = ${id}`;
  }));

Deno.test("when even the retry queue is out of reach, Stripe gets a 500 and delivers again", () =>
  withFunction(async ({ sql, post }) => {
    const { orders: [o] } = await createPendingOrders(sql, 1);
    const res = await post(completed(o));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.code, "internal_error");
    assert.equal((await orderState(sql, o)).status, "pending");
  }, () => connect("postgres://postgres@127.0.0.1:1/postgres", 1)));
