// create-checkout in-process against the real database, a real rate limit store and a
// local fake of Stripe's API.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { HttpError, serve } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import { StripeClient } from "../_shared/providers/stripe.ts";
import type { NamedLimit } from "../_shared/ratelimit/limits.ts";
import { checkoutLimits } from "../_shared/ratelimit/named.ts";
import { PostgresStore } from "../_shared/ratelimit/postgres.ts";
import { RedisStore } from "../_shared/ratelimit/redis.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { startFakeStripe } from "../../tests/fakes/stripe.ts";
import { createEvent } from "../../tests/support/fixtures.ts";
import { freePort } from "../../tests/support/ports.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { type CheckoutDeps, handleCreateCheckout } from "./handler.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

async function setup(
  t: (env: {
    deps: CheckoutDeps;
    call: (body: unknown, headers?: Record<string, string>, lines?: string[]) => Promise<Response>;
    userId: string;
    stripe: ReturnType<typeof startFakeStripe>;
    sql: CheckoutDeps["sql"];
  }) => Promise<void>,
  store?: (sql: CheckoutDeps["sql"]) => RateLimitStore,
) {
  const sql = connect(dbUrl, 2);
  const stripe = startFakeStripe();
  // A fresh user per test, so the per-user limit starts full whatever ran before.
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  const token = await userJwt(userId);
  const limits = checkoutLimits(() => undefined);
  const deps: CheckoutDeps = {
    sql,
    auth: new Authenticator(jwtSecret),
    store: store ? store(sql) : new PostgresStore(sql),
    // The same quotas as production, under names of this run, so no other test shares them.
    limits: {
      user: { ...limits.user, name: `t${userId.slice(0, 8)}-user` },
      ip: { ...limits.ip, name: `t${userId.slice(0, 8)}-ip` },
    },
    stripe: new StripeClient(stripe.url, "sk_test_handler"),
    successUrl: "http://127.0.0.1/ok",
    cancelUrl: "http://127.0.0.1/cancel",
  };
  let lines: string[] = [];
  const served = serve("create-checkout", handleCreateCheckout, deps, (l) => lines.push(l));
  const call = (body: unknown, headers: Record<string, string> = {}, into: string[] = []) => {
    lines = into;
    return served(
      new Request("http://x/create-checkout", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    );
  };
  try {
    await t({ deps, call, userId, stripe, sql });
  } finally {
    await sql`delete from public.checkout_requests where user_id = ${userId}`;
    await sql`delete from public.orders where user_id = ${userId}`;
    await sql`delete from auth.users where id = ${userId}`;
    if (deps.store.kind === "redis") await deps.store.close();
    await stripe.close();
    await sql.end();
  }
}

Deno.test("a checkout creates a Stripe session and a pending order with its id", async () => {
  await setup(async ({ call, userId, stripe, sql }) => {
    const res = await call({ event_id: planetarium, quantity: 2 }, { "x-forwarded-for": "203.0.113.9" });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.match(body.checkout_url, /^https:\/\/checkout\.stripe\.com\//);
    assert.match(res.headers.get("ratelimit")!, /^"t\w+-user";r=4;t=12, "t\w+-ip";r=19;t=3$/);

    const [order] = await sql`select * from public.orders where id = ${body.order_id}`;
    assert.equal(order.user_id, userId);
    assert.equal(order.status, "pending");
    assert.equal(order.quantity, 2);
    assert.equal(order.amount_cents, 5000);
    assert.match(order.stripe_checkout_session_id, /^cs_test_/);

    assert.equal(stripe.requests.length, 1);
    const sent = stripe.requests[0];
    assert.equal(sent.headers["authorization"], "Bearer sk_test_handler");
    assert.equal(sent.headers["idempotency-key"], `checkout-${body.order_id}`);
    const form = new URLSearchParams(sent.body);
    assert.equal(form.get("line_items[0][quantity]"), "2");
    assert.equal(form.get("line_items[0][price_data][unit_amount]"), "2500");
    assert.equal(form.get("metadata[order_id]"), body.order_id);
  });
});

Deno.test("bad input gets a 400 naming the field, an unknown event a 404", async () => {
  await setup(async ({ deps, call, stripe }) => {
    // Bad requests count against the limit too; this test makes more than five.
    deps.limits = {
      ...deps.limits,
      user: { ...deps.limits.user, quota: { count: 50, periodUs: 60_000_000, burst: 50 } },
    };
    let left = 50;
    for (
      const [body, code] of [
        [{ event_id: "nope", quantity: 1 }, "event_id"],
        [{ event_id: planetarium, quantity: 0 }, "quantity"],
        [{ event_id: planetarium, quantity: 11 }, "quantity"],
        [{ event_id: planetarium, quantity: 1.5 }, "quantity"],
        [{ event_id: planetarium }, "quantity"],
      ] as const
    ) {
      const res = await call(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const remaining = Number(/-user";r=(\d+);t=\d+/.exec(res.headers.get("ratelimit") ?? "")?.[1]);
      assert.equal(remaining, left - 1, "a refused body still counts, and says so");
      left = remaining;
      const { error } = await res.json();
      assert.equal(error.code, "invalid_field");
      assert.equal(error.field, code);
    }
    const badKey = await call({ event_id: planetarium, quantity: 1 }, { "idempotency-key": "has space" });
    assert.equal(badKey.status, 400);
    assert.equal((await badKey.json()).error.field, "Idempotency-Key");
    const res = await call({ event_id: crypto.randomUUID(), quantity: 1 });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "event_not_found");
    assert.equal(stripe.requests.length, 0);
  });
});

Deno.test("the sixth checkout in a minute gets a 429 with Retry-After and never reaches Stripe", async () => {
  await setup(async ({ call, stripe }) => {
    for (let i = 0; i < 5; i++) assert.equal((await call({ event_id: planetarium, quantity: 1 })).status, 201);
    const res = await call({ event_id: planetarium, quantity: 1 });
    assert.equal(res.status, 429);
    assert.deepEqual((await res.json()).error.code, "rate_limited");
    // 5 per minute is one every 12 s; the database clock moved a little since the first.
    const retry = Number(res.headers.get("retry-after"));
    assert.ok(retry >= 11 && retry <= 12, `retry-after ${retry}`);
    // The draft's reset is when more quota is available, so it agrees with Retry-After.
    const reset = Number(/-user";r=0;t=(\d+)/.exec(res.headers.get("ratelimit")!)?.[1]);
    assert.equal(reset, retry);
    assert.equal(stripe.requests.length, 5);
  });
});

Deno.test("the per-IP limit holds across users, and a request it refuses uses none of the user's quota", async () => {
  await setup(async ({ deps, call }) => {
    const ip: NamedLimit = { ...deps.limits.ip, quota: { count: 2, periodUs: 60_000_000, burst: 2 } };
    deps.limits = { ...deps.limits, ip };
    const from = { "x-forwarded-for": "203.0.113.7, 10.0.0.1" };
    assert.equal((await call({ event_id: planetarium, quantity: 1 }, from)).status, 201);
    assert.equal((await call({ event_id: planetarium, quantity: 1 }, from)).status, 201);
    const refused = await call({ event_id: planetarium, quantity: 1 }, from);
    assert.equal(refused.status, 429);
    assert.match((await refused.json()).error.message, /-ip limit/);
    // The user's own quota still shows three left: the refused take used nothing.
    const other = await call({ event_id: planetarium, quantity: 1 }, { "x-forwarded-for": "198.51.100.1" });
    assert.equal(other.status, 201);
    assert.match(other.headers.get("ratelimit")!, /-user";r=2;/);
  });
});

Deno.test("a Stripe failure is a 502 and records no order", async () => {
  await setup(async ({ call, stripe, sql, userId }) => {
    stripe.failNext(1, 500);
    const res = await call({ event_id: planetarium, quantity: 1 });
    assert.equal(res.status, 502);
    assert.ok(res.headers.get("ratelimit"), "the 502 carries the caller's RateLimit too");
    assert.equal((await res.json()).error.code, "payment_provider_error");
    const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
    assert.equal(n, 0);
  });
});

Deno.test("without a trusted client address the per-IP limit is skipped, never shared", async () => {
  await setup(async ({ call }) => {
    const lines: string[] = [];
    const res = await call({ event_id: planetarium, quantity: 1 }, {}, lines);
    assert.equal(res.status, 201);
    assert.doesNotMatch(res.headers.get("ratelimit")!, /-ip"/);
    assert.match(lines.join("\n"), /per-IP limit skipped/);
  });
});

Deno.test("checkout fails open: with the limit store unreachable it still sells, and logs why", async () => {
  const closedPort = freePort();
  await setup(async ({ call }) => {
    const lines: string[] = [];
    const res = await call({ event_id: planetarium, quantity: 1 }, {}, lines);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("ratelimit"), null);
    assert.match(res.headers.get("ratelimit-policy")!, /q=5;w=60/);
    assert.match(lines.join("\n"), /rate limit store unreachable.*fail open/);
  }, () => new RedisStore(`redis://127.0.0.1:${closedPort}`, 500));
});

Deno.test("only a signed-in user may check out", async () => {
  await setup(async ({ deps }) => {
    const anon = new Request("http://x/create-checkout", { method: "POST" });
    await assert.rejects(
      handleCreateCheckout(anon, deps, { requestId: "t", log: logger({}, () => {}), headers: new Headers() }),
      (e: unknown) => e instanceof HttpError && e.status === 401,
    );
  });
});

Deno.test("a valid token whose user has no account is refused before Stripe is called", async () => {
  await setup(async ({ deps, stripe }) => {
    const ghost = crypto.randomUUID();
    const served = serve("create-checkout", handleCreateCheckout, deps, () => {});
    const res = await served(
      new Request("http://x/create-checkout", {
        method: "POST",
        headers: { authorization: `Bearer ${await userJwt(ghost)}`, "content-type": "application/json" },
        body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
      }),
    );
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "account_not_found");
    assert.equal(stripe.requests.length, 0);
  });
});

Deno.test("a retry with the same Idempotency-Key answers the same order and session, once", async () => {
  await setup(async ({ call, stripe, sql, userId }) => {
    const key = { "idempotency-key": `k-${crypto.randomUUID()}` };
    const first = await call({ event_id: planetarium, quantity: 2 }, key);
    assert.equal(first.status, 201);
    const firstBody = await first.json();
    const again = await call({ event_id: planetarium, quantity: 2 }, key);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await again.json(), firstBody);
    assert.equal(stripe.requests.length, 1, "the replay did not reach Stripe");

    const other = await call({ event_id: planetarium, quantity: 3 }, key);
    assert.equal(other.status, 422);
    assert.equal((await other.json()).error.code, "idempotency_key_reused");

    const fresh = await call({ event_id: planetarium, quantity: 2 });
    assert.notEqual((await fresh.json()).order_id, firstBody.order_id, "without a key, a new order");
    const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
    assert.equal(n, 2);
  });
});

Deno.test("retries with one Idempotency-Key racing each other: one Stripe call, one order, the rest told to retry", async () => {
  await setup(async ({ call, sql, userId, stripe }) => {
    const key = { "idempotency-key": `race-${crypto.randomUUID()}` };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => call({ event_id: planetarium, quantity: 1 }, key)),
    );
    const bodies = await Promise.all(answers.map((r) => r.json()));
    const admitted = bodies.filter((_, i) => answers[i].status === 201);
    const waiting = answers.filter((r) => r.status === 409);
    assert.equal(admitted.length + waiting.length, 4, JSON.stringify(answers.map((r) => r.status)));
    assert.ok(admitted.length >= 1);
    assert.equal(new Set(admitted.map((b) => b.order_id)).size, 1);
    for (const r of waiting) assert.equal(r.headers.get("retry-after"), "1");
    assert.ok(bodies.every((b, i) => answers[i].status === 201 || b.error.code === "checkout_in_progress"));
    // Told to retry, the caller gets the first answer again.
    const retry = await call({ event_id: planetarium, quantity: 1 }, key);
    assert.equal((await retry.json()).order_id, admitted[0].order_id);
    const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
    assert.equal(n, 1);
    assert.equal(stripe.requests.length, 1, "Stripe never saw the key twice");
  });
});

Deno.test("a Stripe call whose outcome is unknown keeps its order id, so the retry gets Stripe's session", async () => {
  await setup(async ({ deps, call, sql, userId }) => {
    const key = `lost-${crypto.randomUUID()}`;
    const stripe = deps.stripe;
    deps.stripe = new StripeClient(`http://127.0.0.1:${freePort()}`, "sk_test_handler");
    assert.equal((await call({ event_id: planetarium, quantity: 1 }, { "idempotency-key": key })).status, 502);
    const [held] = await sql`select order_id from public.checkout_requests where user_id = ${userId}`;
    deps.stripe = stripe;
    const retry = await call({ event_id: planetarium, quantity: 1 }, { "idempotency-key": key });
    assert.equal(retry.status, 201);
    assert.equal((await retry.json()).order_id, held.order_id);
  });
});

Deno.test("a retry after the price changed is priced anew under a new order id", async () => {
  await setup(async ({ call, sql, stripe, userId }) => {
    const f = await createEvent(sql);
    try {
      const key = { "idempotency-key": `price-${crypto.randomUUID()}` };
      stripe.failNext(1, 500);
      assert.equal((await call({ event_id: f.eventId, quantity: 2 }, key)).status, 502);
      await sql`update public.events set ticket_price_cents = 3100 where id = ${f.eventId}`;
      const retry = await call({ event_id: f.eventId, quantity: 2 }, key);
      assert.equal(retry.status, 201);
      const [order] = await sql`select amount_cents from public.orders where user_id = ${userId}`;
      assert.equal(order.amount_cents, 6200);
      const keys = stripe.requests.map((r) => r.headers["idempotency-key"]);
      assert.equal(new Set(keys).size, 2, "the retry was a new Stripe call, not a replay of the failure");
    } finally {
      await sql`delete from public.checkout_requests where event_id = ${f.eventId}`;
      await sql`delete from public.orders where event_id = ${f.eventId}`;
    }
  });
});

Deno.test("a Stripe failure leaves the key usable: the retry creates the order the first could not", async () => {
  await setup(async ({ call, stripe, sql, userId }) => {
    const key = { "idempotency-key": `retry-${crypto.randomUUID()}` };
    stripe.failNext(1, 500);
    assert.equal((await call({ event_id: planetarium, quantity: 1 }, key)).status, 502);
    const retry = await call({ event_id: planetarium, quantity: 1 }, key);
    assert.equal(retry.status, 201);
    const [order] = await sql`select id from public.orders where user_id = ${userId}`;
    assert.equal(order.id, (await retry.json()).order_id);
  });
});
