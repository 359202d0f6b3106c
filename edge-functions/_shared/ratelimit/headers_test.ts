import assert from "node:assert/strict";
import { ConfigError } from "../config.ts";
import { connect } from "../db.ts";
import { storeFromEnv } from "./config.ts";
import {
  ceilSeconds,
  nextUnitAfterUs,
  policyField,
  type PolicyState,
  rateLimitField,
  retryAfterField,
} from "./headers.ts";
import type { Decision } from "./store.ts";

const fivePerMinute = { count: 5, periodUs: 60_000_000, burst: 5 };

function decision(fields: Partial<Decision>): Decision {
  return { allowed: true, tooLarge: false, remaining: 0, retryAfterUs: null, resetAfterUs: 0, tatUs: null, ...fields };
}

Deno.test("seconds round up, so a client that waits as told is never early", () => {
  assert.equal(ceilSeconds(-5), 0);
  assert.equal(ceilSeconds(0), 0);
  assert.equal(ceilSeconds(1), 1);
  assert.equal(ceilSeconds(1_000_000), 1);
  assert.equal(ceilSeconds(1_000_001), 2);
});

Deno.test("the next unit's wait is the crate's on every step of the shared vectors", () => {
  type Step = { expect: Record<string, number | boolean | null> & { next_unit_after_us: number | null } };
  const file = new URL("../../../tests/vectors/gcra.json", import.meta.url);
  const cases: { name: string; quota: { count: number; period_us: number; burst: number }; steps: Step[] }[] =
    JSON.parse(Deno.readTextFileSync(file)).cases;
  let checked = 0;
  for (const c of cases) {
    const quota = { count: c.quota.count, periodUs: c.quota.period_us, burst: c.quota.burst };
    for (const [i, { expect: e }] of c.steps.entries()) {
      const d = decision({
        allowed: e.allowed as boolean,
        tooLarge: e.too_large as boolean,
        remaining: e.remaining as number,
        resetAfterUs: e.reset_after_us as number,
      });
      assert.equal(nextUnitAfterUs(quota, d), e.next_unit_after_us, `${c.name}, step ${i}`);
      checked++;
    }
  }
  assert.ok(checked > 400);
});

Deno.test("the fields are Structured Field lists of sf-strings with integer parameters", () => {
  assert.equal(
    policyField([{ name: "user", quota: fivePerMinute }, { name: "ip", quota: { ...fivePerMinute, count: 20 } }]),
    '"user";q=5;w=60, "ip";q=20;w=60',
  );
  // One unit left of five, the fifth back in 11 s and a bit: t is that wait, not the
  // 59 s until the key is full again.
  const spent = decision({ remaining: 1, resetAfterUs: 47_000_001 });
  // A key at its full quota has nothing more to come, so it gets no t at all.
  const full = decision({ remaining: 5, resetAfterUs: 0 });
  assert.equal(
    rateLimitField([{ name: "user", quota: fivePerMinute, decision: spent }, {
      name: "ip",
      quota: fivePerMinute,
      decision: full,
    }]),
    '"user";r=1;t=12, "ip";r=5',
  );
  // A name that would break the sf-string syntax is a programming error, caught early.
  assert.throws(() => policyField([{ name: 'a"b', quota: fivePerMinute }]), TypeError);
});

Deno.test("Retry-After is the longest refusal's wait and never earlier than any t beside it", () => {
  const quotaIp = { count: 20, periodUs: 60_000_000, burst: 20 };
  // The user key is refused for 1.5 s; the IP key still admits, its next unit 2.5 s away.
  const states: PolicyState[] = [
    {
      name: "user",
      quota: fivePerMinute,
      decision: decision({ allowed: false, retryAfterUs: 1_500_000, resetAfterUs: 49_500_000 }),
    },
    { name: "ip", quota: quotaIp, decision: decision({ remaining: 15, resetAfterUs: 14_500_000 }) },
  ];
  assert.equal(rateLimitField(states), '"user";r=0;t=2, "ip";r=15;t=3');
  assert.equal(retryAfterField([1_500_000], states), "3");
  assert.equal(retryAfterField([1_500_000], states.slice(0, 1)), "2");
  // Never 0: that would invite an immediate retry.
  assert.equal(retryAfterField([1], []), "1");
});

Deno.test("the store is chosen by configuration, and a bad choice stops start-up by name", async () => {
  const sql = connect("postgresql://postgres:postgres@127.0.0.1:1/postgres", 1);
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  try {
    const postgresStore = storeFromEnv("PUSH", sql, env({}));
    assert.equal(postgresStore.kind, "postgres");
    await postgresStore.close();
    const redis = storeFromEnv("PUSH", sql, env({ PUSH_RATE_LIMIT_STORE: "redis", REDIS_URL: "redis://127.0.0.1:1" }));
    assert.equal(redis.kind, "redis");
    await redis.close();
    const chosen = storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "redis", PUSH_RATE_LIMIT_STORE: "postgres" }));
    assert.equal(chosen.kind, "postgres");
    await chosen.close();
    assert.throws(() => storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "memcached" })), ConfigError);
    assert.throws(() => storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "redis" })), /REDIS_URL/);
  } finally {
    await sql.end();
  }
});
