// Crash safety and concurrency of the e-mail queue with real processes: processors (the
// same code process-email-queue runs, as tools/email-queue.ts run) are SIGKILLed mid-batch
// and raced against each other over one queue, and the fake Resend must end with each
// e-mail delivered exactly once.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { startFakeResend } from "./fakes/resend.ts";
import { assertDeliveredOnce, createQueue, dropQueue, enqueueBulk, spawnProcessor } from "./support/email.ts";
import { dbUrl } from "./support/stack.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function finished(child: Deno.ChildProcess): Promise<{ claimed: number; leaseLost: number }> {
  const [status, out] = await Promise.all([child.status, child.output()]);
  assert.equal(status.code, 0, "a processor run failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("2,000 e-mails while processors are SIGKILLed mid-batch: each delivered exactly once", async () => {
  const sql = connect(dbUrl, 2);
  // Accepted requests take 30 ms, so kills land while requests are in flight too; batches of
  // 10 and short leases give many sends to interrupt and quick recovery.
  const fake = startFakeResend({ requestsPerSecond: 100_000, processingMs: 30 });
  const queue = await createQueue(sql, { batchSize: 10, leaseSeconds: 3 });
  try {
    await enqueueBulk(sql, queue, 2_000);
    for (let kill = 0; kill < 5; kill++) {
      const before = fake.requests.length;
      const child = spawnProcessor(queue, fake.url);
      // Killed once it is sending, at a random point in its work.
      await until("the processor's first request", () => fake.requests.length > before);
      await sleep(Math.random() * 150);
      child.kill("SIGKILL");
      assert.equal((await child.status).signal, "SIGKILL");
    }
    const [{ interrupted }] = await sql`
      select count(*)::int as interrupted from public.email_queue
       where queue = ${queue} and status <> 'sent' and locked_by is not null`;
    assert.ok(interrupted > 0, "no kill left a row leased: the test did not interrupt a batch");
    await finished(spawnProcessor(queue, fake.url));
    await assertDeliveredOnce(sql, queue, fake.deliveries, 2_000);
    const [{ retried }] = await sql`
      select count(*)::int as retried from public.email_queue where queue = ${queue} and attempts > 1`;
    assert.ok(retried > 0, "some rows were claimed again after a kill");
  } finally {
    await fake.close();
    await dropQueue(sql, queue);
    await sql.end();
  }
});

Deno.test("four processors over 10,000 e-mails: each delivered exactly once, no lease taken over", async () => {
  const sql = connect(dbUrl, 2);
  const fake = startFakeResend({ requestsPerSecond: 100_000 });
  const queue = await createQueue(sql, { batchSize: 25 });
  try {
    await enqueueBulk(sql, queue, 10_000);
    const reports = await Promise.all([0, 1, 2, 3].map(() => finished(spawnProcessor(queue, fake.url, 30_000))));
    await assertDeliveredOnce(sql, queue, fake.deliveries, 10_000);
    assert.equal(reports.reduce((n, r) => n + r.claimed, 0), 10_000, "no row was claimed twice");
    assert.equal(reports.reduce((n, r) => n + r.leaseLost, 0), 0);
    assert.ok(reports.filter((r) => r.claimed > 0).length >= 2, "the processors shared the work");
  } finally {
    await fake.close();
    await dropQueue(sql, queue);
    await sql.end();
  }
});
