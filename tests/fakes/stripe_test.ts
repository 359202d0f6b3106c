// The fake Stripe keeps Stripe's idempotency rules, which create-checkout's retries rely
// on: the first answer for a key is replayed (a failure too), and the key with other
// parameters is refused. It makes Stripe's events about the sessions it created and delivers
// them signed so that Stripe's own library verifies them, in the copies, order and timing
// commanded, to a small receiver here that verifies each with that library.
import assert from "node:assert/strict";
import Stripe from "npm:stripe@23.1.0";
import { type FakeStripeOptions, startFakeStripe, type StripeEventJson } from "./stripe.ts";
import type { Fake } from "./fake.ts";

const SECRET = "whsec_fake_stripe_test_secret";

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

type Received = { headers: Headers; signature: string; body: string; event: string | null; error: string | null };

/**
 * The webhook endpoint: verifies each delivery with Stripe's library as a Stripe integration
 * would, answers 200 or 400 with the verdict, and keeps what came. Each answer waits
 * `holdMs`, so that deliveries sent at once overlap; the most in flight at once is kept.
 */
function startReceiver(holdMs = 0) {
  const received: Received[] = [];
  const flight = { now: 0, most: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    flight.most = Math.max(flight.most, ++flight.now);
    const body = await req.text(), signature = req.headers.get("stripe-signature") ?? "";
    const got: Received = { headers: req.headers, signature, body, event: null, error: null };
    received.push(got);
    try {
      const provider = Stripe.createSubtleCryptoProvider();
      got.event = (await Stripe.webhooks.constructEventAsync(body, signature, SECRET, undefined, provider)).id;
    } catch (e) {
      got.error = (e as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    flight.now--;
    return got.error ? Response.json({ error: got.error }, { status: 400 }) : Response.json({ received: true });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/stripe-webhook`,
    received,
    flight,
    close: () => server.shutdown(),
  };
}

type Receiver = ReturnType<typeof startReceiver>;

async function withStripe(
  fn: (stripe: Fake, receiver: Receiver) => Promise<void>,
  { holdMs = 0, options = {} as FakeStripeOptions } = {},
) {
  const receiver = startReceiver(holdMs);
  const stripe = startFakeStripe({ webhook: { url: receiver.url, secret: SECRET }, ...options });
  try {
    await fn(stripe, receiver);
  } finally {
    await stripe.close();
    await receiver.close();
  }
}

async function createSession(stripe: Fake, orderId = crypto.randomUUID()) {
  const res = await fetch(`${stripe.url}/v1/checkout/sessions`, {
    method: "POST",
    headers: { authorization: "Bearer sk_test_fake", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      mode: "payment",
      success_url: "https://x/ok",
      client_reference_id: orderId,
      "metadata[order_id]": orderId,
      "line_items[0][quantity]": "2",
      "line_items[0][price_data][unit_amount]": "2500",
      "line_items[0][price_data][currency]": "eur",
      customer_email: "ada@example.com",
    }),
  });
  return { orderId, session: await res.json() };
}

async function command(fake: Fake, path: string, body: unknown) {
  const res = await fetch(fake.url + path, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** A new session and a checkout.session.completed event about it, made but not delivered. */
async function completedSession(stripe: Fake) {
  const { session } = await createSession(stripe);
  const made = await command(stripe, "/__events", { session: session.id, type: "checkout.session.completed" });
  return { session, event: made.body as StripeEventJson };
}

const EVENT_FIELDS = [
  "api_version",
  "created",
  "data",
  "id",
  "livemode",
  "object",
  "pending_webhooks",
  "request",
  "type",
];

Deno.test("POST /__events makes Stripe's event about a session the fake created", () =>
  withStripe(async (stripe) => {
    const { orderId, session } = await createSession(stripe);
    assert.equal(session.payment_intent, null, "the session has no payment intent until the buyer pays");
    const event = async (body: Record<string, unknown>): Promise<StripeEventJson> => {
      const answer = await command(stripe, "/__events", { session: session.id, ...body });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };
    const completed = await event({ type: "checkout.session.completed" });
    assert.deepEqual(Object.keys(completed).sort(), EVENT_FIELDS);
    assert.match(completed.id, /^evt_\w{24}$/);
    assert.deepEqual(
      [completed.object, completed.api_version, completed.livemode, completed.pending_webhooks, completed.request],
      ["event", Stripe.API_VERSION, false, 1, { id: null, idempotency_key: null }],
    );
    assert.ok(Math.abs((completed.created as number) - Date.now() / 1000) < 5);
    const paid = completed.data.object;
    assert.deepEqual(
      [paid.id, paid.object, paid.status, paid.payment_status, paid.client_reference_id, paid.metadata],
      [session.id, "checkout.session", "complete", "paid", orderId, { order_id: orderId }],
    );
    assert.deepEqual([paid.amount_total, paid.currency], [5000, "eur"]);
    assert.equal((paid.customer_details as { email: string }).email, "ada@example.com");
    assert.match(paid.payment_intent as string, /^pi_\w{24}$/);

    const states = [
      [{ type: "checkout.session.completed", payment_status: "unpaid" }, "complete", "unpaid"],
      [{ type: "checkout.session.async_payment_succeeded" }, "complete", "paid"],
      [{ type: "checkout.session.async_payment_failed" }, "complete", "unpaid"],
      [{ type: "checkout.session.expired" }, "expired", "unpaid"],
    ] as const;
    for (const [body, status, paymentStatus] of states) {
      const o = (await event(body)).data.object;
      assert.deepEqual([o.status, o.payment_status], [status, paymentStatus], JSON.stringify(body));
      assert.equal(o.payment_intent, paid.payment_intent, "every event about a session names one payment intent");
    }

    const refund = await event({ type: "charge.refunded" });
    const charge = refund.data.object;
    assert.match(charge.id as string, /^ch_\w{24}$/);
    assert.deepEqual(
      { ...charge, id: "ch" },
      {
        id: "ch",
        object: "charge",
        amount: 5000,
        amount_refunded: 5000,
        refunded: true,
        payment_intent: paid.payment_intent,
        currency: "eur",
      },
    );
    const partial = (await event({ type: "charge.refunded", amount_refunded: 2500 })).data.object;
    assert.deepEqual([partial.amount_refunded, partial.refunded], [2500, false]);

    const unknown = await command(stripe, "/__events", { session: "cs_test_never", type: "checkout.session.expired" });
    assert.deepEqual(unknown, { status: 404, body: { error: "no Checkout Session cs_test_never" } });
    assert.equal(stripe.requests.length, 1, "commands are not requests to the API");
  }));

Deno.test("POST /__deliver signs as Stripe does: Stripe's library verifies every delivery", () =>
  withStripe(async (stripe, receiver) => {
    const { event } = await completedSession(stripe);
    const answer = await command(stripe, "/__deliver", { events: [event.id] });
    assert.deepEqual(answer, {
      status: 200,
      body: { deliveries: [{ event: event.id, status: 200, body: { received: true } }] },
    });
    const [got] = receiver.received;
    assert.deepEqual([got.event, got.error], [event.id, null]);
    assert.equal(got.body, JSON.stringify(event, null, 2), "the body is the event, indented as Stripe sends it");
    assert.match(got.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(got.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(got.headers.get("user-agent"), "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    assert.equal(stripe.requests.length, 1, "deliveries are not requests to the API");
  }));

Deno.test("copies, order and concurrency: each event's copies side by side, given, reversed or shuffled", () =>
  withStripe(async (stripe, receiver) => {
    const { session } = await createSession(stripe);
    const ids: string[] = [];
    for (const type of ["checkout.session.completed", "charge.refunded"]) {
      ids.push((await command(stripe, "/__events", { session: session.id, type })).body.id);
    }
    const [a, b] = ids;
    const deliver = async (body: Record<string, unknown>) => {
      receiver.received.length = 0;
      receiver.flight.most = 0;
      const started = performance.now();
      const answer = await command(stripe, "/__deliver", { events: ids, ...body });
      assert.equal(answer.status, 200);
      const sent = answer.body.deliveries.map((d: { event: string }) => d.event);
      assert.deepEqual(receiver.received.map((r) => r.event).sort(), [...sent].sort(), "each delivery verifies");
      return { sent, received: receiver.received.map((r) => r.event), ms: performance.now() - started };
    };
    const given = await deliver({ copies: 2 });
    assert.deepEqual([given.sent, given.received], [[a, a, b, b], [a, a, b, b]]);
    assert.equal(receiver.flight.most, 1, "one after another by default");
    const reversed = await deliver({ copies: 2, order: "reverse" });
    assert.deepEqual([reversed.sent, reversed.received], [[b, b, a, a], [b, b, a, a]]);
    const shuffled = await deliver({ copies: 3, order: "shuffle" });
    assert.deepEqual([...shuffled.sent].sort(), [a, a, a, b, b, b].sort());
    assert.deepEqual(shuffled.received, shuffled.sent, "sent one after another, received as sent");
    const delayed = await deliver({ delay_ms: 150 });
    assert.ok(delayed.ms >= 300, `two deliveries waiting 150 ms each took ${delayed.ms} ms`);
  }, { holdMs: 50 }));

Deno.test("concurrent deliveries are all in flight at once", () =>
  withStripe(async (stripe, receiver) => {
    const { event } = await completedSession(stripe);
    const answer = await command(stripe, "/__deliver", { events: [event.id], copies: 5, concurrent: true });
    assert.deepEqual(answer.body.deliveries.map((d: { status: number }) => d.status), [200, 200, 200, 200, 200]);
    assert.equal(receiver.flight.most, 5);
  }, { holdMs: 300 }));

Deno.test("a stale timestamp and a tampered body are refused by Stripe's library", () =>
  withStripe(async (stripe, receiver) => {
    const { event } = await completedSession(stripe);
    const stale = Math.floor(Date.now() / 1000) - 600;
    const old = await command(stripe, "/__deliver", { events: [event.id], timestamp: stale });
    assert.equal(old.body.deliveries[0].status, 400);
    assert.match(receiver.received[0].signature, new RegExp(`^t=${stale},`));
    assert.match(receiver.received[0].error!, /tolerance/);

    const forged = await command(stripe, "/__deliver", { events: [event.id], tamper: true });
    assert.equal(forged.body.deliveries[0].status, 400);
    assert.match(receiver.received[1].error!, /No signatures found/);
    const sent = JSON.parse(receiver.received[1].body);
    assert.ok(sent.id !== event.id && /^evt_/.test(sent.id), "the body names another event than the one signed");
    assert.deepEqual({ ...sent, id: event.id }, event, "and is otherwise the event");
  }));

Deno.test("POST /__complete makes a paid checkout.session.completed and delivers its copies", () =>
  withStripe(async (stripe, receiver) => {
    const { orderId, session } = await createSession(stripe);
    const answer = await command(stripe, "/__complete", { session: session.id, copies: 2 });
    assert.equal(answer.status, 200);
    const { event, deliveries } = answer.body;
    assert.deepEqual([event.type, event.data.object.payment_status], ["checkout.session.completed", "paid"]);
    assert.equal(event.data.object.metadata.order_id, orderId);
    assert.deepEqual(deliveries, [1, 2].map(() => ({ event: event.id, status: 200, body: { received: true } })));
    assert.deepEqual(receiver.received.map((r) => r.event), [event.id, event.id]);
  }));

Deno.test("a wrong command gets a 400 naming the field; an unknown event a 404; no endpoint a 409", async () => {
  await withStripe(async (stripe) => {
    const { session, event } = await completedSession(stripe);
    const wrong: [string, unknown, RegExp][] = [
      ["/__events", { type: "checkout.session.completed" }, /^session /],
      ["/__events", { session: session.id, type: "invoice.paid" }, /^type /],
      ["/__events", { session: session.id, type: "charge.refunded", payment_status: "paid" }, /^payment_status /],
      [
        "/__events",
        { session: session.id, type: "checkout.session.expired", payment_status: "maybe" },
        /^payment_status /,
      ],
      ["/__events", { session: session.id, type: "checkout.session.expired", amount_refunded: 1 }, /^amount_refunded /],
      ["/__deliver", { events: [] }, /^events /],
      ["/__deliver", { events: [7] }, /^events /],
      ["/__deliver", { events: [event.id], copies: 0 }, /^copies /],
      ["/__deliver", { events: [event.id], copies: 1.5 }, /^copies /],
      ["/__deliver", { events: [event.id], order: "random" }, /^order /],
      ["/__deliver", { events: [event.id], concurrent: "yes" }, /^concurrent /],
      ["/__deliver", { events: [event.id], delay_ms: -1 }, /^delay_ms /],
      ["/__deliver", { events: [event.id], timestamp: "now" }, /^timestamp /],
      ["/__deliver", { events: [event.id], tamper: 1 }, /^tamper /],
      ["/__complete", { copies: 2 }, /^session /],
      ["/__complete", { session: session.id, copies: 101 }, /^copies /],
      ["/__complete", [session.id], /object/],
    ];
    for (const [path, body, message] of wrong) {
      const answer = await command(stripe, path, body);
      assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.match(answer.body.error, message, `${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(await command(stripe, "/__deliver", { events: [event.id, "evt_never"] }), {
      status: 404,
      body: { error: "no event evt_never" },
    });
    assert.equal((await command(stripe, "/__complete", { session: "cs_test_never" })).status, 404);
    assert.equal((await fetch(`${stripe.url}/__deliver`)).status, 405, "a command is a POST");
  });
  const alone = startFakeStripe();
  try {
    const { session } = await createSession(alone);
    const answer = await command(alone, "/__complete", { session: session.id });
    assert.equal(answer.status, 409);
    assert.match(answer.body.error, /USHER_STRIPE_WEBHOOK_URL/);
  } finally {
    await alone.close();
  }
});
