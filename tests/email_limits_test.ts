// The claim takes the e-mail limits for a whole claim at once, in set-based SQL; here it is
// checked against rate_limit_take_batch, the GCRA that tests/vectors/gcra.json pins down: on
// random queues, limits and clocks, each claim admits exactly the rows that one two-key
// request per row, in due order, would admit, and leaves the same TATs behind.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import type postgres from "npm:postgres@3.4.9";
import { connect, type Sql } from "../edge-functions/_shared/db.ts";
import { createQueue, dropQueue } from "./support/email.ts";
import { dbUrl } from "./support/stack.ts";

const rollback = new Error("rollback");

/** What rate_limit_take_batch would admit for these rows at `nowUs`, tried and rolled back. */
async function expected(sql: Sql, queue: string, rows: { id: string; to: string }[], nowUs: number) {
  if (rows.length === 0) return { admitted: [], tats: await limiterState(sql, queue) };
  const [{ recipient, global }] = await sql`
    select recipient_per_minute as recipient, global_per_minute as global from public.email_settings where queue = ${queue}`;
  const keys = rows.flatMap((r) => [`email:${queue}:global`, `email:${queue}:to:${r.to}`]);
  let admitted: string[] = [];
  let tats: Record<string, string> = {};
  await sql.begin(async (tx) => {
    const [{ v }] = await tx`
      select public.rate_limit_take_batch(${keys}::text[], ${rows.flatMap(() => [global, recipient])}::int[],
        ${rows.flatMap(() => [60e6, 60e6])}::bigint[], ${rows.flatMap(() => [global, recipient])}::int[],
        ${rows.flatMap((_, i) => [i + 1, i + 1])}::int[], ${rows.map(() => 1)}::bigint[],
        ${rows.map(() => nowUs)}::bigint[]) as v`;
    admitted = rows.filter((_, i) => Number(v[12 * i]) === 1 && Number(v[12 * i + 6]) === 1).map((r) => r.id);
    tats = await limiterState(tx, queue);
    throw rollback;
  }).catch((e) => {
    if (e !== rollback) throw e;
  });
  return { admitted, tats };
}

async function limiterState(sql: Sql | postgres.TransactionSql, queue: string): Promise<Record<string, string>> {
  const rows = await sql`select key, tat_us from public.rate_limits where key like ${`email:${queue}:%`}`;
  return Object.fromEntries(rows.map((r) => [r.key, String(r.tat_us)]));
}

Deno.test("a claim admits what one rate_limit_take_batch request per row would, and leaves the same TATs", async () => {
  const sql = connect(dbUrl, 2);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 40_000_000 }), { minLength: 1, maxLength: 5 }),
        async (recipientPerMinute, globalPerMinute, recipients, steps) => {
          // Leases outlast the test: a send claimed again is not counted again, which is not the point here.
          const queue = await createQueue(sql, { recipientPerMinute, globalPerMinute, leaseSeconds: 3600 });
          try {
            for (const [i, r] of recipients.entries()) {
              await sql`select public.enqueue_email(${`fan${r}@example.com`}, ${`m${i}`}, '<p>x</p>', null, '[]',
                                                    null, null, 5, ${queue})`;
            }
            let now = Date.now() * 1000;
            for (const step of steps) {
              now += step;
              const due = await sql<{ id: string; to: string }[]>`
                select id, lower(to_email) as to from public.email_queue
                 where queue = ${queue} and status in ('pending', 'failed')
                   and next_retry_at <= to_timestamp(${now}::bigint / 1e6)
                   and (locked_until is null or locked_until < to_timestamp(${now}::bigint / 1e6))
                 order by next_retry_at, id limit 200`;
              const want = await expected(sql, queue, due, now);
              const got = await sql`select id from public.claim_email_batch('w', 200, ${queue}, null, ${now})`;
              assert.deepEqual(got.map((r) => r.id).sort(), want.admitted.sort());
              assert.deepEqual(await limiterState(sql, queue), want.tats);
            }
          } finally {
            await dropQueue(sql, queue);
          }
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    await sql.end();
  }
});
