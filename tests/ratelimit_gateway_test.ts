// Rate limits end to end, through the gateway to the running functions: send-push on the
// Redis store (tools/local/secrets.env) hit by 200 concurrent requests on one key, and a
// checkout 429's fields parsed as RFC 8941 Structured Fields, as
// draft-ietf-httpapi-ratelimit-headers-10 defines them, with Retry-After never earlier than
// any reset beside it. Checkout floods, on both stores, are tests/ratelimit_flood_test.ts.
import assert from "node:assert/strict";
import { parseList } from "npm:structured-headers@2.1.0";
import { fn, stackEnv, userJwt } from "./support/stack.ts";
import { checkout, ownAddresses, tally, withFreshUser, withGateway } from "./ratelimit_http.ts";

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
  await withGateway(ownAddresses, async (base) => {
    await withFreshUser(async (userId) => {
      const token = await userJwt(userId);
      // An address of this run alone, so the per-IP limit starts full.
      const b = crypto.getRandomValues(new Uint8Array(2));
      const ip = `203.0.${b[0]}.${b[1]}`;
      let res: Response | undefined;
      for (let i = 0; i < 6; i++) {
        res = await checkout(base, token, ip);
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
      const retryAfter = Number(h.get("retry-after"));
      assert.ok(retryAfter <= 12);

      // RateLimit-Policy: a List of Items, each an sf-string policy name with integer q and w.
      const policies = parseList(h.get("ratelimit-policy")!);
      assert.deepEqual(policies.map(([name]) => name), ["checkout-user", "checkout-ip"]);
      const [[, userPolicy], [, ipPolicy]] = policies;
      assert.deepEqual(Object.fromEntries(userPolicy), { q: 5, w: 60 });
      assert.deepEqual(Object.fromEntries(ipPolicy), { q: 20, w: 60 });

      // RateLimit: the same names with integer r (remaining) and t (seconds until more quota).
      const limits = parseList(h.get("ratelimit")!);
      assert.deepEqual(limits.map(([name]) => name), ["checkout-user", "checkout-ip"]);
      for (const [name, params] of limits) {
        assert.equal(typeof name, "string", "the policy name is an sf-string, not a token");
        assert.deepEqual([...params.keys()].sort(), ["r", "t"]);
        for (const v of params.values()) assert.ok(Number.isInteger(v) && (v as number) >= 0);
      }
      const [user, perIp] = limits.map(([, params]) => Object.fromEntries(params) as { r: number; t: number });
      assert.equal(user.r, 0);
      assert.equal(perIp.r, 15, "the refused request took nothing from the per-IP limit");
      // t is when more quota comes (one more checkout for the user, 12 s apart), not when
      // the key is full again (up to 60 s); the user's is the wait Retry-After names, and no
      // t in the answer is later than Retry-After (draft §6).
      assert.equal(user.t, retryAfter);
      assert.ok(perIp.t <= 3 && perIp.t <= retryAfter);

      // Browsers may read them, and the body is the JSON error every function answers with.
      assert.match(h.get("access-control-expose-headers")!, /retry-after, ratelimit, ratelimit-policy/);
      assert.equal(h.get("content-type"), "application/json");
    });
  });
});
