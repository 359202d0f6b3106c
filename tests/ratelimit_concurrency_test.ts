// The stores under contention without the gateway in between: takes on one key at once,
// from 100 Postgres connections, from two batching Postgres stores and from 20 Redis
// connections, admit exactly the quota, and so do five on a fresh key, every time; a take
// that waited for another's lock on its key is judged at the time it got the lock; and the
// e-mail limits hold the same way, both of them at once.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { connect } from "../edge-functions/_shared/db.ts";
import { PostgresStore } from "../edge-functions/_shared/ratelimit/postgres.ts";
import { RedisStore } from "../edge-functions/_shared/ratelimit/redis.ts";
import { dbUrl, stackEnv } from "./support/stack.ts";

const quota = { count: 7, periodUs: 60_000_000, burst: 7 };

/** rate_limit_take_batch for one request of one key, on the database's clock. */
function takeOne(
  sql: postgres.Sql | postgres.TransactionSql,
  key: string,
  q: { count: number; periodUs: number; burst: number },
) {
  return sql<{ d: string[] }[]>`select public.rate_limit_take_batch(array[${key}]::text[], array[${q.count}]::integer[],
    array[${q.periodUs}]::bigint[], array[${q.burst}]::integer[], array[1], array[1]::bigint[],
    array[null]::bigint[]) as d`.then(([row]) => ({ allowed: Number(row.d[0]) === 1, remaining: Number(row.d[2]) }));
}

Deno.test("100 connections racing rate_limit_take_batch on one key admit exactly the quota", async () => {
  // Each waits for the key's lock held by those before it, commit included (about 4 ms
  // each here), so 100 stay well inside the function's 2 s lock_timeout.
  const sql = postgres(dbUrl, { max: 100, prepare: false, onnotice: () => {} });
  const key = `race:${crypto.randomUUID()}`;
  try {
    // Open every connection first, so the takes really do arrive together.
    await Promise.all(Array.from({ length: 100 }, () => sql`select pg_sleep(0.05)`));
    const decisions = await Promise.all(Array.from({ length: 100 }, () => takeOne(sql, key, quota)));
    assert.equal(decisions.filter((d) => d.allowed).length, 7);
  } finally {
    await sql`delete from public.rate_limits where key = ${key}`;
    await sql.end();
  }
});

Deno.test("five takes racing on a fresh key admit five, with 4, 3, 2, 1 and 0 remaining, every time", async () => {
  // Each take on its own connection, all sent at once. Before the clock was read after the
  // lock, a take that queued behind the first one's insert was judged at its earlier start
  // and could be refused within the quota, or two admissions reported the same count.
  const sql = postgres(dbUrl, { max: 5, prepare: false, onnotice: () => {} });
  const five = { count: 5, periodUs: 60_000_000, burst: 5 };
  const keys: string[] = [];
  try {
    await Promise.all(Array.from({ length: 5 }, () => sql`select pg_sleep(0.05)`));
    for (let round = 0; round < 30; round++) {
      const key = `race:fresh:${crypto.randomUUID()}`;
      keys.push(key);
      const decisions = await Promise.all(Array.from({ length: 5 }, () => takeOne(sql, key, five)));
      assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true, true, true], `round ${round}`);
      assert.deepEqual(decisions.map((d) => d.remaining).sort(), [0, 1, 2, 3, 4], `round ${round}`);
    }
  } finally {
    await sql`delete from public.rate_limits where key in ${sql(keys)}`;
    await sql.end();
  }
});

Deno.test("a take that waited for another's lock on its key is judged when it got the lock", async () => {
  // One request a second. The first take holds its transaction, and so the key's lock,
  // while the second waits for it, until the first's request has been paid back. Judged
  // at its start the second would be refused; judged once it holds the key, it is admitted.
  const sql = postgres(dbUrl, { max: 3, prepare: false, onnotice: () => {} });
  const perSecond = { count: 1, periodUs: 1_000_000, burst: 1 };
  const key = `race:clock:${crypto.randomUUID()}`;
  try {
    const [first] = await sql.begin(async (tx) => {
      const taken = await takeOne(tx, key, perSecond);
      const second = takeOne(sql, key, perSecond);
      // Wait (bounded) until the second take is queued behind our lock.
      for (let i = 0; i < 200; i++) {
        const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%rate_limit_take_batch%'`;
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await tx`select pg_sleep(1.1)`;
      return [{ taken, second }];
    });
    assert.equal(first.taken.allowed, true);
    assert.deepEqual(await first.second, { allowed: true, remaining: 0 });
  } finally {
    await sql`delete from public.rate_limits where key = ${key}`;
    await sql.end();
  }
});

Deno.test("a take in a transaction stricter than READ COMMITTED is refused, since its reads would be stale", async () => {
  // The function reads a key's state after taking the key's lock, which gives the latest
  // state only when each statement sees what committed before it.
  const sql = postgres(dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    await assert.rejects(
      sql.begin("isolation level repeatable read", (tx) => takeOne(tx, `race:rr:${crypto.randomUUID()}`, quota)),
      (e: unknown) => e instanceof postgres.PostgresError && e.code === "UR103",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("200 batched takes from two Postgres stores racing on one key admit exactly the quota", async () => {
  // Each store sends its requests in batches over 8 connections, so the key appears many
  // times within a batch and in batches running side by side.
  const stores = [new PostgresStore(connect(dbUrl, 8)), new PostgresStore(connect(dbUrl, 8))];
  const key = `race:${crypto.randomUUID()}`;
  try {
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % 2].takeAll([{ key, quota }]).then(([d]) => d)),
    );
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
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % 20].takeAll([{ key, quota }]).then(([d]) => d)),
    );
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
