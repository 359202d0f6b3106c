// A flood of checkouts by one user, through the gateway as clients reach it: 6,000 at once,
// each from an address of its own, admit exactly the user's 5 on either store. The first
// limiter counted the wait for a pooled connection as the store failing to answer and
// failed open, admitting thousands; a request the limiter is too busy to ask about must be
// refused instead (429 or 503, with Retry-After). With the store really down, checkout
// still fails open, as it is configured to.
//
// Each test starts a gateway of its own (tests/ratelimit_http.ts), so the store is chosen
// here and not by tools/local/secrets.env.
import assert from "node:assert/strict";
import { freePort } from "./support/ports.ts";
import { userJwt } from "./support/stack.ts";
import { checkout, ownAddresses, sessionsFor, tally, withFreshUser, withGateway } from "./ratelimit_http.ts";

/** `n` distinct addresses from the benchmarking range 198.18.0.0/15 (RFC 2544). */
function addresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `198.18.${i >> 8}.${i & 0xff}`);
}

/** Sends `n` checkouts by one user at once, each from its own address; answers status and body. */
function flood(base: string, token: string, n: number) {
  return Promise.all(
    addresses(n).map(async (ip) => {
      const res = await checkout(base, token, ip);
      return { status: res.status, headers: res.headers, body: await res.json() };
    }),
  );
}

for (const store of ["postgres", "redis"]) {
  Deno.test(`6,000 concurrent checkouts by one user through the gateway (${store} store) admit exactly 5`, async () => {
    await withGateway({ ...ownAddresses, CHECKOUT_RATE_LIMIT_STORE: store }, async (base) => {
      await withFreshUser(async (userId, sql) => {
        const answers = await flood(base, await userJwt(userId), 6000);
        const counts = tally(answers);
        assert.equal(counts[201], 5, JSON.stringify(counts));
        // Everyone else was refused by the limit (429) or, had this instance been too busy to
        // ask, as overload (503): never by anything else, and always with a Retry-After.
        assert.equal((counts[429] ?? 0) + (counts[503] ?? 0), 5995, JSON.stringify(counts));
        for (const a of answers.filter((a) => a.status !== 201)) {
          assert.ok(["rate_limited", "rate_limit_overloaded"].includes(a.body.error.code), a.body.error.code);
          assert.match(a.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
        }
        const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
        assert.equal(n, 5);
        const orderIds = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.order_id as string));
        assert.equal(await sessionsFor(orderIds), 5);
      });
    });
  });
}

Deno.test("with the store really down, checkouts through the gateway fail open, as configured", async () => {
  const closed = freePort();
  await withGateway(
    { ...ownAddresses, CHECKOUT_RATE_LIMIT_STORE: "redis", REDIS_URL: `redis://127.0.0.1:${closed}` },
    async (base) => {
      await withFreshUser(async (userId, sql) => {
        // More than the quota, so admissions beyond 5 show the limit failed open.
        const answers = await flood(base, await userJwt(userId), 40);
        assert.deepEqual(tally(answers), { 201: 40 });
        for (const a of answers) {
          assert.equal(a.headers.get("ratelimit"), null, "the state is unknown, so no RateLimit field");
          assert.match(a.headers.get("ratelimit-policy") ?? "", /"checkout-user";q=5;w=60/);
        }
        const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
        assert.equal(n, 40);
      });
    },
  );
});
