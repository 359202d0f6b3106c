// The fake Stripe keeps Stripe's idempotency rules, which create-checkout's retries rely
// on: the first answer for a key is replayed (a failure too), and the key with other
// parameters is refused.
import assert from "node:assert/strict";
import { startFakeStripe } from "./stripe.ts";

const form = (quantity: number) =>
  new URLSearchParams({ mode: "payment", success_url: "https://x/ok", "line_items[0][quantity]": String(quantity) });

Deno.test("the fake Stripe replays a key's first answer, a failure included, and refuses other parameters", async () => {
  const stripe = startFakeStripe();
  const post = async (key: string, quantity: number) => {
    const res = await fetch(`${stripe.url}/v1/checkout/sessions`, {
      method: "POST",
      headers: {
        authorization: "Bearer sk_test_fake",
        "content-type": "application/x-www-form-urlencoded",
        "idempotency-key": key,
      },
      body: form(quantity),
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    stripe.failNext(1, 500);
    assert.equal((await post("k-failed", 1)).status, 500);
    assert.equal((await post("k-failed", 1)).status, 500, "the failure is replayed for the same key");
    const first = await post("k-ok", 1);
    assert.equal(first.status, 200);
    assert.deepEqual(await post("k-ok", 1), first, "the session is replayed");
    const other = await post("k-ok", 2);
    assert.equal(other.status, 400);
    assert.equal(other.body.error.type, "idempotency_error");
  } finally {
    await stripe.close();
  }
});
