// Rate limits end to end, through the gateway to the running functions: create-checkout on
// the Postgres store and send-push on the Redis store (tools/local/secrets.env), each hit
// by 200 concurrent requests on one key; and the 429's fields parsed as RFC 8941
// Structured Fields, as draft-ietf-httpapi-ratelimit-headers-10 defines them.
import assert from "node:assert/strict";
import { parseList } from "npm:structured-headers@2.1.0";
import postgres from "npm:postgres@3.4.9";
import { fakeStripePort } from "./fakes/server.ts";
import { dbUrl, fn, stackEnv, userJwt } from "./support/stack.ts";

const planetarium = "10000000-0000-4000-8000-000000000001";

async function withFreshUser(f: (userId: string, sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  try {
    await f(userId, sql);
  } finally {
    await sql`delete from public.orders where user_id = ${userId}`;
    await sql`delete from auth.users where id = ${userId}`;
    await sql.end();
  }
}

/** A documentation address (RFC 5737) unique to this run, so the per-IP limit is fresh. */
function freshIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(2));
  return `203.0.${b[0]}.${b[1]}`;
}

function checkout(token: string, ip: string): Promise<Response> {
  return fn("create-checkout", {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ event_id: planetarium, quantity: 1 }),
  }, token);
}

function tally(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

Deno.test("200 concurrent checkouts by one user through the gateway (Postgres store) admit exactly 5", async () => {
  await withFreshUser(async (userId, sql) => {
    const token = await userJwt(userId);
    const ip = freshIp();
    const responses = await Promise.all(Array.from({ length: 200 }, () => checkout(token, ip)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    assert.deepEqual(tally(responses), { 201: 5, 429: 195 });
    for (const [i, r] of responses.entries()) {
      if (r.status === 429) assert.equal(bodies[i].error.code, "rate_limited");
    }
    const [{ n }] = await sql`select count(*)::int as n from public.orders where user_id = ${userId}`;
    assert.equal(n, 5);
    // Stripe saw exactly the five admitted checkouts.
    const orderIds = new Set(bodies.filter((b) => b.order_id).map((b) => b.order_id));
    const recorded: { body: string }[] = await (await fetch(`http://127.0.0.1:${fakeStripePort}/__requests`)).json();
    const ours = recorded.filter((r) => orderIds.has(new URLSearchParams(r.body).get("metadata[order_id]")));
    assert.equal(ours.length, 5);
  });
});

Deno.test("200 concurrent pushes to one user through the gateway (Redis store) admit exactly 10", async () => {
  await withFreshUser(async (userId, sql) => {
    const send = () =>
      fn("send-push", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: userId, token: "ExponentPushToken[flood]", title: "Flood", body: "test" }),
      }, stackEnv.SUPABASE_SERVICE_ROLE_KEY);
    const responses = await Promise.all(Array.from({ length: 200 }, send));
    await Promise.all(responses.map((r) => r.body?.cancel()));
    assert.deepEqual(tally(responses), { 200: 10, 429: 190 });
    const rows = await sql`select status, count(*)::int as n from public.push_deliveries
                           where user_id = ${userId} group by status order by status`;
    assert.deepEqual(rows.map((r) => [r.status, r.n]), [["rate_limited", 190], ["sent", 10]]);
  });
});

Deno.test("a 429's Retry-After, RateLimit-Policy and RateLimit parse as the draft's Structured Fields", async () => {
  await withFreshUser(async (userId) => {
    const token = await userJwt(userId);
    const ip = freshIp();
    let res: Response | undefined;
    for (let i = 0; i < 6; i++) {
      res = await checkout(token, ip);
      if (i < 5) {
        assert.equal(res.status, 201);
        // Admitted responses carry RateLimit too.
        assert.ok(parseList(res.headers.get("ratelimit")!).length === 2);
      }
      await res.body?.cancel();
    }
    assert.equal(res!.status, 429);
    const h = res!.headers;

    // Retry-After: delay-seconds (RFC 9110 §10.2.3), rounded up: 5 per minute is one per 12 s.
    assert.match(h.get("retry-after")!, /^[1-9][0-9]*$/);
    assert.ok(Number(h.get("retry-after")) <= 12);

    // RateLimit-Policy: a List of Items, each an sf-string policy name with integer q and w.
    const policies = parseList(h.get("ratelimit-policy")!);
    assert.deepEqual(policies.map(([name]) => name), ["checkout-user", "checkout-ip"]);
    const [[, userPolicy], [, ipPolicy]] = policies;
    assert.deepEqual(Object.fromEntries(userPolicy), { q: 5, w: 60 });
    assert.deepEqual(Object.fromEntries(ipPolicy), { q: 20, w: 60 });

    // RateLimit: the same names with integer r (remaining) and t (seconds to full quota).
    const limits = parseList(h.get("ratelimit")!);
    assert.deepEqual(limits.map(([name]) => name), ["checkout-user", "checkout-ip"]);
    for (const [name, params] of limits) {
      assert.equal(typeof name, "string", "the policy name is an sf-string, not a token");
      assert.deepEqual([...params.keys()].sort(), ["r", "t"]);
      for (const v of params.values()) assert.ok(Number.isInteger(v) && (v as number) >= 0);
    }
    assert.equal(Object.fromEntries(limits[0][1]).r, 0);
    assert.equal(Object.fromEntries(limits[1][1]).r, 15);

    // Browsers may read them, and the body is the JSON error every function answers with.
    assert.match(h.get("access-control-expose-headers")!, /retry-after, ratelimit, ratelimit-policy/);
    assert.equal(h.get("content-type"), "application/json");
  });
});
