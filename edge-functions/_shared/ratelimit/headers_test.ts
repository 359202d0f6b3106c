import assert from "node:assert/strict";
import { ConfigError } from "../config.ts";
import { connect } from "../db.ts";
import { clientIp } from "./client_ip.ts";
import { storeFromEnv } from "./config.ts";
import { ceilSeconds, policyField, rateLimitField, retryAfterField } from "./headers.ts";

Deno.test("seconds round up, so a client that waits as told is never early", () => {
  assert.equal(ceilSeconds(-5), 0);
  assert.equal(ceilSeconds(0), 0);
  assert.equal(ceilSeconds(1), 1);
  assert.equal(ceilSeconds(1_000_000), 1);
  assert.equal(ceilSeconds(1_000_001), 2);
  // Retry-After is never 0: that would invite an immediate retry.
  assert.equal(retryAfterField(1), "1");
  assert.equal(retryAfterField(12_000_000), "12");
});

Deno.test("the fields are Structured Field lists of sf-strings with integer parameters", () => {
  const quota = { count: 5, periodUs: 60_000_000, burst: 5 };
  assert.equal(
    policyField([{ name: "user", quota }, { name: "ip", quota: { ...quota, count: 20 } }]),
    '"user";q=5;w=60, "ip";q=20;w=60',
  );
  const decision = {
    allowed: false,
    tooLarge: false,
    remaining: 0,
    retryAfterUs: 1,
    resetAfterUs: 11_000_001,
    tatUs: null,
  };
  assert.equal(rateLimitField([{ name: "user", decision }]), '"user";r=0;t=12');
  // A name that would break the sf-string syntax is a programming error, caught early.
  assert.throws(() => policyField([{ name: 'a"b', quota }]), TypeError);
});

Deno.test("the client IP is the first X-Forwarded-For hop, or 'unknown'", () => {
  const req = (xff?: string) =>
    new Request("http://x/", { headers: xff === undefined ? {} : { "x-forwarded-for": xff } });
  assert.equal(clientIp(req("203.0.113.9, 10.0.0.1")), "203.0.113.9");
  assert.equal(clientIp(req(" 2001:DB8::1 ")), "2001:db8::1");
  assert.equal(clientIp(req()), "unknown");
  assert.equal(clientIp(req("<script>")), "unknown");
});

Deno.test("the store is chosen by configuration, and a bad choice stops start-up by name", async () => {
  const sql = connect("postgresql://postgres:postgres@127.0.0.1:1/postgres", 1);
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  try {
    assert.equal(storeFromEnv("PUSH", sql, env({})).kind, "postgres");
    const redis = storeFromEnv("PUSH", sql, env({ PUSH_RATE_LIMIT_STORE: "redis", REDIS_URL: "redis://127.0.0.1:1" }));
    assert.equal(redis.kind, "redis");
    await redis.close();
    assert.equal(
      storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "redis", PUSH_RATE_LIMIT_STORE: "postgres" })).kind,
      "postgres",
    );
    assert.throws(() => storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "memcached" })), ConfigError);
    assert.throws(() => storeFromEnv("PUSH", sql, env({ RATE_LIMIT_STORE: "redis" })), /REDIS_URL/);
  } finally {
    await sql.end();
  }
});
