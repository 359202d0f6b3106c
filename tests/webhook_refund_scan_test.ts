// A refund through stripe-webhook reaches the door: tickets issued by a paid checkout are
// admitted, and those of an order refunded in full are refused as `revoked`, all through
// the gateway with the codes the buyers were e-mailed.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { dbUrl, fn, userJwt } from "./support/stack.ts";
import {
  checkoutSession,
  createPendingOrders,
  deliverStripe,
  refundedCharge,
  stripeEvent,
} from "./support/webhooks.ts";

async function deliver(event: Record<string, unknown>): Promise<string> {
  const res = await deliverStripe(JSON.stringify(event));
  assert.equal(res.status, 200);
  return (await res.json()).outcome;
}

Deno.test("the door admits a paid order's tickets and refuses a refunded order's as revoked", async () => {
  const sql = connect(dbUrl, 2);
  const { eventId, orders: [kept, refunded] } = await createPendingOrders(sql, 2, 2);
  const scanner = crypto.randomUUID();
  try {
    await sql`insert into auth.users (id, email) values (${scanner}, ${`scanner-${scanner}@test.example`})`;
    await sql`insert into public.event_staff (event_id, user_id, role) values (${eventId}, ${scanner}, 'scanner')`;
    for (const o of [kept, refunded]) {
      assert.equal(await deliver(stripeEvent("checkout.session.completed", checkoutSession(o))), "paid");
    }
    assert.equal(await deliver(stripeEvent("charge.refunded", refundedCharge(refunded))), "refunded");
    // The codes as the buyers have them: the text part of their ticket e-mails.
    const codesOf = async (email: string) =>
      (await sql<{ text: string }[]>`select text from public.email_queue where to_email = ${email}`)
        .map((m) => /Show this code at the door:\n(\S+)\n/.exec(m.text)![1]);
    const token = await userJwt(scanner);
    const scan = async (code: string) => {
      const res = await fn("scanner-validate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code, event_id: eventId, device_id: "door-refunds" }),
      }, token);
      assert.equal(res.status, 200);
      return (await res.json()).result as string;
    };
    const keptCodes = await codesOf(kept.email);
    const refundedCodes = await codesOf(refunded.email);
    assert.equal(keptCodes.length, 2);
    assert.equal(refundedCodes.length, 2);
    for (const code of keptCodes) assert.equal(await scan(code), "redeemed");
    for (const code of refundedCodes) assert.equal(await scan(code), "revoked");
  } finally {
    await sql`delete from public.email_queue where to_email in ${
      sql([kept.email, refunded.email])
    } and status <> 'sent'`;
    await sql.end();
  }
});
