// A poison event: its apply fails in the database (its order is missing), so stripe-webhook
// queues it; the retry processor, on an injected clock, follows the webhook schedule to the
// dead letter; the operator fixes the order and replays it with the tool, and the next run
// applies it exactly once.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { logger } from "../edge-functions/_shared/log.ts";
import { QrKeys, retryDelayMs } from "../edge-functions/_shared/wasm.ts";
import { seedOfEvent } from "../edge-functions/_shared/webhooks/retry_queue.ts";
import { runWebhookRetries } from "../edge-functions/process-webhook-retries/processor.ts";
import { createQueue } from "./support/email.ts";
import { dbUrl, qrSigningKeys, repoRoot } from "./support/stack.ts";
import { checkoutSession, createPendingOrders, deliverStripe, stripeEvent } from "./support/webhooks.ts";

Deno.test("a poison event retries on the schedule, dead-letters, and a replay after the fix applies it once", async () => {
  const sql = connect(dbUrl, 2);
  const queue = await createQueue(sql);
  try {
    // A buyer and an event, but the order create-checkout should have recorded is missing.
    const { eventId, orders: [template] } = await createPendingOrders(sql, 1, 2);
    const order = {
      ...template,
      orderId: crypto.randomUUID(),
      sessionId: `cs_test_poison_${crypto.randomUUID().slice(0, 8)}`,
    };
    const event = stripeEvent("checkout.session.completed", checkoutSession(order));
    const res = await deliverStripe(JSON.stringify(event));
    assert.equal(res.status, 200, "Stripe is answered 200: the event is safe in the queue");
    assert.equal((await res.json()).outcome, "queued_for_retry");

    const row = async () =>
      (await sql<{ status: string; attempts: number; next_retry_at: Date; last_error: string }[]>`
        select status, attempts, next_retry_at, last_error from public.webhook_retry_queue where event_id = ${event.id}`)[
        0
      ];
    const deps = { sql, keys: new QrKeys(qrSigningKeys), emailQueue: queue, log: logger({ test: "retry" }, () => {}) };
    // Each run happens when the row is due; the next due time must be the schedule's delay
    // for that try, jitter included, from the run's clock.
    let due = (await row()).next_retry_at.getTime();
    for (let attempt = 1; attempt <= 4; attempt++) {
      const clock = due;
      const report = await runWebhookRetries({ ...deps, now: () => clock }, { worker: `test-${attempt}`, budgetMs: 0 });
      assert.ok(report.retried >= 1, `try ${attempt + 1} failed and was rescheduled`);
      const r = await row();
      assert.equal(r.status, "pending");
      assert.equal(r.attempts, attempt + 1);
      assert.equal(r.last_error, "PostgresError UR008");
      assert.equal(
        r.next_retry_at.getTime(),
        clock + retryDelayMs("webhook", attempt, seedOfEvent(event.id)),
        `after try ${attempt + 1}, the schedule's delay ${attempt}`,
      );
      due = r.next_retry_at.getTime();
    }
    const last = due;
    await runWebhookRetries({ ...deps, now: () => last }, { worker: "test-last", budgetMs: 0 });
    assert.equal((await row()).status, "dead_letter", "the sixth failure is the dead letter");
    assert.equal((await row()).attempts, 6);

    // The fix: the order is recorded after all. Then the operator's replay and one run.
    await sql`insert into public.orders (id, user_id, event_id, status, amount_cents, quantity, stripe_checkout_session_id)
              values (${order.orderId}, ${order.userId}, ${eventId}, 'pending', 5000, 2, ${order.sessionId})`;
    const tool = await new Deno.Command("deno", {
      args: ["run", "--allow-all", `${repoRoot}tools/webhook-retries.ts`, "replay", "--event", event.id],
      env: { SUPABASE_DB_URL: dbUrl },
    }).output();
    assert.equal(tool.code, 0, new TextDecoder().decode(tool.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(tool.stdout)).replayed, 1);
    await runWebhookRetries(deps, { worker: "test-replayed", budgetMs: 0 });
    assert.equal((await row()).status, "succeeded");
    await runWebhookRetries(deps, { worker: "test-again", budgetMs: 0 });
    const again = await deliverStripe(JSON.stringify(event));
    assert.equal((await again.json()).outcome, "duplicate", "Stripe's redelivery finds it applied");
    const [state] = await sql`
      select o.status, (select count(*)::int from public.tickets t where t.order_id = o.id) as tickets
        from public.orders o where o.id = ${order.orderId}`;
    assert.deepEqual(state, { status: "paid", tickets: 2 }, "applied exactly once");
  } finally {
    await sql.end();
  }
});
