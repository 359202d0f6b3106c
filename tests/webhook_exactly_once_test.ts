// Exactly once through the gateway, as Stripe delivers: 1,000 checkouts each completed by an
// event sent 10 times at once, and mixed event sequences delivered in order and shuffled.
import assert from "node:assert/strict";
import { connect, type Sql } from "../edge-functions/_shared/db.ts";
import { dbUrl } from "./support/stack.ts";
import {
  checkoutSession,
  createPendingOrders,
  deliverStripe,
  type PendingOrder,
  refundedCharge,
  stripeEvent,
} from "./support/webhooks.ts";

/** Runs `work` over `items` with at most `width` in flight. */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** The ticket e-mails these orders queued; the stack's processor would send them to nobody. */
async function dropTicketEmails(sql: Sql, orders: PendingOrder[]): Promise<void> {
  await sql`delete from public.email_queue where to_email in ${sql(orders.map((o) => o.email))} and status <> 'sent'`;
}

Deno.test("1,000 checkouts, each completed 10 times at once: one paid order, its tickets and e-mails, once", async () => {
  const sql = connect(dbUrl, 4);
  const { orders } = await createPendingOrders(sql, 1000, 2);
  try {
    const outcomes = new Map<string, string[]>();
    await pool(orders, 8, async (o) => {
      const body = JSON.stringify(stripeEvent("checkout.session.completed", checkoutSession(o)));
      const answers = await Promise.all(Array.from({ length: 10 }, async () => {
        const res = await deliverStripe(body);
        assert.equal(res.status, 200);
        return (await res.json()).outcome as string;
      }));
      outcomes.set(o.orderId, answers);
    });
    for (const [order, answers] of outcomes) {
      assert.deepEqual(answers.filter((a) => a !== "duplicate"), ["paid"], `order ${order}: ${answers}`);
    }
    const ids = orders.map((o) => o.orderId);
    const [state] = await sql`
      select count(*) filter (where status = 'paid')::int as paid,
             (select count(*)::int from public.tickets t where t.order_id in ${sql(ids)}) as tickets,
             (select count(*)::int from public.tickets t where t.order_id in ${
      sql(ids)
    } and t.status = 'valid') as valid
        from public.orders where id in ${sql(ids)}`;
    assert.deepEqual(state, { paid: 1000, tickets: 2000, valid: 2000 });
    const [{ mails, distinct }] = await sql`
      select count(*)::int as mails, count(distinct to_email)::int as distinct from public.email_queue
       where to_email in ${sql(orders.map((o) => o.email))}`;
    assert.equal(mails, 2000, "one ticket e-mail per ticket");
    assert.equal(distinct, 1000, "to each buyer");
  } finally {
    await dropTicketEmails(sql, orders);
    await sql.end();
  }
});

/** The events of one order's story: paid (and for every third order, refunded in full). */
function story(o: PendingOrder, i: number): string[] {
  const events = [stripeEvent("checkout.session.completed", checkoutSession(o))];
  if (i % 3 === 0) events.push(stripeEvent("charge.refunded", refundedCharge(o)));
  if (i % 3 === 1) events.push(stripeEvent("charge.refunded", refundedCharge(o, 1000)));
  if (i % 3 === 2) events.push(stripeEvent("customer.updated", { id: "cus_x" }));
  return events.map((e) => JSON.stringify(e));
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function finalState(sql: Sql, orders: PendingOrder[]) {
  return await Promise.all(orders.map(async (o) => {
    const [{ status }] = await sql`select status from public.orders where id = ${o.orderId}`;
    const tickets = await sql`select status from public.tickets where order_id = ${o.orderId} order by status`;
    return { status, tickets: tickets.map((t) => t.status) };
  }));
}

Deno.test("shuffled delivery, with duplicates, ends in the state in-order delivery does", async () => {
  const sql = connect(dbUrl, 4);
  const inOrder = (await createPendingOrders(sql, 60, 2)).orders;
  const mixed = (await createPendingOrders(sql, 60, 2)).orders;
  try {
    for (const [i, o] of inOrder.entries()) {
      for (const body of story(o, i)) assert.equal((await deliverStripe(body)).status, 200);
    }
    // Every event twice, all of them in one random order, eight at a time.
    const all = shuffled(mixed.flatMap((o, i) => story(o, i)).flatMap((b) => [b, b]));
    await pool(all, 8, async (body) => {
      const res = await deliverStripe(body);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
    const [expected, got] = [await finalState(sql, inOrder), await finalState(sql, mixed)];
    assert.deepEqual(got, expected);
    assert.deepEqual(expected.slice(0, 3), [
      { status: "refunded", tickets: ["refunded", "refunded"] },
      { status: "paid", tickets: ["valid", "valid"] },
      { status: "paid", tickets: ["valid", "valid"] },
    ], "a full refund refunds; a partial one and an unknown event change nothing");
  } finally {
    await dropTicketEmails(sql, [...inOrder, ...mixed]);
    await sql.end();
  }
});

Deno.test("a completion and the full refund of its payment, sent at the same moment: always refunded", async () => {
  const sql = connect(dbUrl, 4);
  const { orders } = await createPendingOrders(sql, 100, 2);
  try {
    await pool(orders, 8, async (o) => {
      const pair = [
        JSON.stringify(stripeEvent("checkout.session.completed", checkoutSession(o))),
        JSON.stringify(stripeEvent("charge.refunded", refundedCharge(o))),
      ];
      const answers = await Promise.all(pair.map(async (body) => (await (await deliverStripe(body)).json()).outcome));
      assert.ok(!answers.includes("queued_for_retry"), `${answers}`);
    });
    const states = await finalState(sql, orders);
    const wrong = states.filter((s) => s.status !== "refunded" || s.tickets.some((t) => t !== "refunded"));
    assert.deepEqual(wrong, [], "a refund raced past its completion");
  } finally {
    await dropTicketEmails(sql, orders);
    await sql.end();
  }
});
