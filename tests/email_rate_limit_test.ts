// The e-mail limits, with the claim's clock injected: 1,000 e-mails to one recipient under
// the plan's default limits (10 per minute per recipient, 100 in all) go out at no more
// than the recipient's rate, every one of them, deferred and never dropped. A hundred
// minutes of queue time pass in seconds.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { ResendClient } from "../edge-functions/_shared/providers/resend.ts";
import { startFakeResend } from "./fakes/resend.ts";
import { assertDeliveredOnce, createQueue, dropQueue, enqueueBulk } from "./support/email.ts";
import { dbUrl } from "./support/stack.ts";

type Claimed = { send_id: string; send_key: string; endpoint: string; to_email: string; subject: string; html: string };

Deno.test("1,000 e-mails to one recipient are sent at the per-recipient rate, none dropped", async () => {
  const sql = connect(dbUrl, 2);
  const fake = startFakeResend({ requestsPerSecond: 100_000 });
  const client = new ResendClient(fake.url, "re_test_key", "Usher <tickets@usher.test>", 2_000);
  const queue = await createQueue(sql, { recipientPerMinute: 10, globalPerMinute: 100 });
  try {
    await enqueueBulk(sql, queue, 1_000, "fan@example.com");
    const start = Date.now() * 1000;
    const admitted: number[] = [];
    let now = start;
    while (admitted.length < 1_000 && now < start + 120 * 60e6) {
      const rows = await sql<Claimed[]>`select * from public.claim_email_batch('w', 200, ${queue}, null, ${now})`;
      const sends = Map.groupBy(rows, (r) => r.send_id);
      for (const [sendId, group] of sends) {
        const outcome = await client.send(
          group[0].send_key,
          group.map((r) => ({ to: r.to_email, subject: r.subject, html: r.html })),
          group[0].endpoint === "batch",
        );
        assert.ok(outcome.ok);
        await sql`select public.complete_email_send(${sendId}, 'w', ${outcome.ids}::text[])`;
        admitted.push(...group.map(() => now));
      }
      // On to the next row due, as a processor waiting for it would.
      const [{ due }] = await sql<{ due: Date }[]>`select public.email_next_due(${queue}) as due`;
      now = Math.max(now + 1e6, due ? due.getTime() * 1000 : 0);
    }
    await assertDeliveredOnce(sql, queue, fake.deliveries, 1_000);
    // GCRA with a burst of 10: any run of k consecutive sends spans at least (k - 10) × 6 s.
    for (let i = 0; i < admitted.length; i++) {
      for (let j = i + 10; j < admitted.length; j++) {
        assert.ok(admitted[j] - admitted[i] >= (j - i + 1 - 10) * 6e6, `sends ${i}..${j} came too close`);
      }
    }
    const minutes = (admitted[999] - start) / 60e6;
    assert.ok(minutes >= 99 && minutes < 101, `1,000 e-mails took ${minutes.toFixed(1)} queue minutes`);
    const [{ deferred, dead }] = await sql`
      select count(*) filter (where deferrals > 0)::int as deferred, count(*) filter (where status = 'dead_letter')::int as dead
        from public.email_queue where queue = ${queue}`;
    assert.equal(dead, 0);
    assert.ok(deferred >= 990, "the limit deferred them instead of sending");
  } finally {
    await fake.close();
    await dropQueue(sql, queue);
    await sql.end();
  }
});
