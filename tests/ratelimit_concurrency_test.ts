// The stores under contention without the gateway in between: 200 takes on one key at
// once, from 200 Postgres connections, from two batching Postgres stores and from 20
// Redis connections, admit exactly the quota. The e-mail limits hold the same way, both of them at once.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { connect } from "../edge-functions/_shared/db.ts";
import { PostgresStore } from "../edge-functions/_shared/ratelimit/postgres.ts";
import { RedisStore } from "../edge-functions/_shared/ratelimit/redis.ts";
import { dbUrl, stackEnv } from "./support/stack.ts";

const quota = { count: 7, periodUs: 60_000_000, burst: 7 };

Deno.test("200 connections racing rate_limit_take on one key admit exactly the quota", async () => {
  const sql = postgres(dbUrl, { max: 200, prepare: false, onnotice: () => {} });
  const key = `race:${crypto.randomUUID()}`;
  try {
    // Open every connection first, so the takes really do arrive together.
    await Promise.all(Array.from({ length: 200 }, () => sql`select pg_sleep(0.05)`));
    const rows = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          sql`select allowed from public.rate_limit_take(${key}, ${quota.count}, ${quota.periodUs}, ${quota.burst})`,
      ),
    );
    assert.equal(rows.filter(([r]) => r.allowed).length, 7);
  } finally {
    await sql`delete from public.rate_limits where key = ${key}`;
    await sql.end();
  }
});

Deno.test("200 batched takes from two Postgres stores racing on one key admit exactly the quota", async () => {
  // Each store sends its takes in batches of rate_limit_take_many over 8 connections, so
  // the key appears many times within a batch and in batches running side by side.
  const stores = [new PostgresStore(connect(dbUrl, 8)), new PostgresStore(connect(dbUrl, 8))];
  const key = `race:${crypto.randomUUID()}`;
  try {
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 2].take(key, quota)));
    assert.equal(decisions.filter((d) => d.allowed).length, 7);
    assert.deepEqual(decisions.filter((d) => d.allowed).map((d) => d.remaining).sort(), [0, 1, 2, 3, 4, 5, 6]);
  } finally {
    await stores[0].sql`delete from public.rate_limits where key = ${key}`;
    for (const s of stores) await s.close();
  }
});

Deno.test("200 takes racing on one Redis key from 20 connections admit exactly the quota", async () => {
  const stores = Array.from({ length: 20 }, () => new RedisStore(stackEnv.REDIS_URL));
  const key = `race:${crypto.randomUUID()}`;
  try {
    const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 20].take(key, quota)));
    assert.equal(decisions.filter((d) => d.allowed).length, 7);
  } finally {
    await stores[0].redis.del(key);
    for (const s of stores) await s.close();
  }
});

Deno.test("racing e-mails admit 10 per recipient and 100 in all, and a refusal uses up neither limit", async () => {
  const sql = postgres(dbUrl, { max: 100, prepare: false, onnotice: () => {} });
  const clear = () => sql`delete from public.rate_limits where key like 'email:%'`;
  try {
    await clear();
    // One instant for every take, so refills during the test cannot blur the counts.
    const now = Date.now() * 1000;
    // 60 at once to one recipient: 10 go out, the others are told to come back in 6 s.
    const one = await Promise.all(
      Array.from({ length: 60 }, () => sql`select * from public.email_rate_limit_take('Fan@Example.com', ${now})`),
    );
    assert.equal(one.filter(([r]) => r.allowed).length, 10);
    const refused = one.find(([r]) => !r.allowed)![0];
    assert.equal(refused.limited_by, "recipient");
    assert.ok(Number(refused.retry_after_us) > 0 && Number(refused.retry_after_us) === 6_000_000);

    // 150 at once to distinct recipients: the global 100 per minute has 90 left, because
    // the 50 refusals above consumed nothing of it.
    const many = await Promise.all(
      Array.from(
        { length: 150 },
        (_, i) => sql`select * from public.email_rate_limit_take(${`fan${i}@example.com`}, ${now})`,
      ),
    );
    assert.equal(many.filter(([r]) => r.allowed).length, 90);
    assert.ok(many.filter(([r]) => !r.allowed).every(([r]) => r.limited_by === "global"));
  } finally {
    await clear();
    await sql.end();
  }
});
