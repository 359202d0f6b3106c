// The failure matrix: each way the provider can fail, through the fake Resend and the real
// queue, ends in the right status with the right next_retry_at, and nothing is delivered
// twice. Each test works on a queue of its own (tests/support/email.ts).
import assert from "node:assert/strict";
import { connect } from "../_shared/db.ts";
import { ResendClient } from "../_shared/providers/resend.ts";
import { retryDelayMs } from "../_shared/wasm.ts";
import { startFakeResend } from "../../tests/fakes/resend.ts";
import { createQueue, dropQueue, enqueueMany, rows, runOnce } from "../../tests/support/email.ts";
import { dbUrl } from "../../tests/support/stack.ts";
import { seedOf } from "./processor.ts";

type Sql = ReturnType<typeof connect>;

async function withQueue(
  t: (q: { sql: Sql; queue: string; fake: ReturnType<typeof startFakeResend>; client: ResendClient }) => Promise<void>,
  settings = {},
) {
  const sql = connect(dbUrl, 4);
  const queue = await createQueue(sql, settings);
  const fake = startFakeResend({ requestsPerSecond: 1000 });
  const client = new ResendClient(fake.url, "re_test_key", "Usher <tickets@usher.test>", 500);
  try {
    await t({ sql, queue, fake, client });
  } finally {
    await fake.close();
    await dropQueue(sql, queue);
    await sql.end();
  }
}

/** Asserts a row is due `delayMs` (the crate's, jitter included) after a failure in [from, to]. */
function assertDue(at: Date, delayMs: number, from: number, to: number) {
  assert.ok(
    at.getTime() >= from + delayMs - 5 && at.getTime() <= to + delayMs + 5,
    `${at.toISOString()} ≠ +${delayMs}`,
  );
}

Deno.test("a sent e-mail records the provider's message id, and is never claimed again", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 1);
    const report = await runOnce(sql, client, queue);
    assert.equal(report.sent, 1);
    const [row] = await rows(sql, queue);
    assert.equal(row.status, "sent");
    assert.equal(row.provider_message_id, fake.deliveries[0].id);
    assert.equal((await runOnce(sql, client, queue)).claimed, 0);
    assert.equal(fake.deliveries.length, 1);
  }));

for (const [status, retryAfter] of [[500, undefined], [503, 3], [502, undefined]] as const) {
  Deno.test(`a ${status} is retried at the schedule's first delay${retryAfter ? ", or its Retry-After" : ""}`, () =>
    withQueue(async ({ sql, queue, fake, client }) => {
      const [id] = await enqueueMany(sql, queue, 1);
      fake.failNext(1, status, retryAfter);
      const from = Date.now();
      await runOnce(sql, client, queue, { budgetMs: 0 });
      const [row] = await rows(sql, queue);
      assert.equal(row.status, "failed");
      assert.equal(row.attempts, 1);
      assert.match(row.error!, new RegExp(`^${status}`));
      const delay = Math.max(retryDelayMs("email", 0, seedOf(id)), (retryAfter ?? 0) * 1000);
      assertDue(row.next_retry_at, delay, from, Date.now());
      assert.ok(row.send_id, "a 5xx leaves the outcome unknown, so the send keeps its key");
    }));
}

Deno.test("a 429 rate_limit_exceeded is a retry no earlier than its Retry-After, under a new key", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 1);
    fake.failNext(1, 429, 2);
    const from = Date.now();
    await runOnce(sql, client, queue, { budgetMs: 0 });
    const [row] = await rows(sql, queue);
    assert.deepEqual([row.status, row.attempts, row.error, row.send_id], [
      "failed",
      1,
      "429 rate_limit_exceeded",
      null,
    ]);
    assertDue(row.next_retry_at, 2_000, from, Date.now());
  }));

Deno.test("a 422 is given up at once: a dead letter after one try", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 1);
    fake.failNext(1, 422);
    await runOnce(sql, client, queue);
    const [row] = await rows(sql, queue);
    assert.deepEqual([row.status, row.attempts, row.error], ["dead_letter", 1, "422 validation_error"]);
    assert.equal(fake.deliveries.length, 0);
  }));

Deno.test("a batch refused whole is split, and only the bad e-mail becomes a dead letter", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 3);
    // The batch, then the first of the three sent alone.
    fake.failNext(2, 422);
    const report = await runOnce(sql, client, queue);
    assert.equal(report.split, 3);
    const after = await rows(sql, queue);
    assert.deepEqual(after.map((r) => r.status).sort(), ["dead_letter", "sent", "sent"]);
    assert.ok(after.every((r) => r.solo && r.attempts === 1), "the split gave the batch's attempt back");
    assert.equal(fake.deliveries.length, 2);
  }));

Deno.test("daily_quota_exceeded defers without spending an attempt", () =>
  withQueue(async ({ sql, queue, client }) => {
    await enqueueMany(sql, queue, 1);
    // A quota of nothing: every e-mail is over it.
    const quota = startFakeResend({ requestsPerSecond: 1000, dailyQuota: 0 });
    try {
      const over = new ResendClient(quota.url, client.apiKey, client.from, 500);
      await runOnce(sql, over, queue, { budgetMs: 0 });
      const [row] = await rows(sql, queue);
      assert.deepEqual([row.status, row.attempts, row.deferrals, row.error], [
        "pending",
        0,
        1,
        "429 daily_quota_exceeded",
      ]);
      assert.ok(row.next_retry_at.getTime() > Date.now());
    } finally {
      await quota.close();
    }
  }));

for (const when of ["before", "after"] as const) {
  Deno.test(`a timeout ${when} acceptance keeps the key, and the retry delivers exactly once`, () =>
    withQueue(async ({ sql, queue, fake, client }) => {
      const [id] = await enqueueMany(sql, queue, 1);
      fake.holdNext(1, when);
      const from = Date.now();
      await runOnce(sql, client, queue, { budgetMs: 0, sendMs: 900 });
      const [failed] = await rows(sql, queue);
      assert.equal(failed.status, "failed");
      assert.match(failed.error!, /^no answer/);
      assertDue(failed.next_retry_at, retryDelayMs("email", 0, seedOf(id)), from, Date.now());
      assert.ok(failed.send_id);
      await runOnce(sql, client, queue, { budgetMs: 4_000 });
      const [row] = await rows(sql, queue);
      assert.equal(row.status, "sent");
      assert.equal(row.send_id, failed.send_id);
      assert.equal(fake.deliveries.length, 1);
      assert.equal(row.provider_message_id, fake.deliveries[0].id);
    }));
}

Deno.test("a connection dropped after acceptance: the retry learns the first message id", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 2);
    fake.dropNext(1, "after");
    const report = await runOnce(sql, client, queue, { budgetMs: 4_000 });
    assert.equal(report.retried, 2);
    assert.equal(report.sent, 2);
    assert.equal(fake.deliveries.length, 2);
    const sent = await rows(sql, queue);
    assert.deepEqual(sent.map((r) => r.provider_message_id).sort(), fake.deliveries.map((d) => d.id).sort());
  }));

Deno.test("two failures are retried at 1 s and 5 s inside one run, then the e-mail is sent", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    const [id] = await enqueueMany(sql, queue, 1);
    fake.failNext(2, 500);
    const started = Date.now();
    const report = await runOnce(sql, client, queue, { budgetMs: 12_000, pollMs: 50 });
    assert.equal(report.sent, 1);
    assert.equal(report.retried, 2);
    assert.equal(fake.requests.length, 3);
    const [row] = await rows(sql, queue);
    const expected = retryDelayMs("email", 0, seedOf(id)) + retryDelayMs("email", 1, seedOf(id));
    const took = new Date(row.next_retry_at).getTime() - started;
    assert.ok(took >= expected - 5, `the second retry came ${took} ms after the start, before ${expected} ms`);
  }));

Deno.test("the sixth failure is a dead letter; a replay sends it with the same key", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    const [id] = await enqueueMany(sql, queue, 1);
    // Five retries spent: the row as it stands before its last try.
    await sql`update public.email_queue set attempts = 5, status = 'failed', solo = true where id = ${id}`;
    fake.failNext(1, 500);
    await runOnce(sql, client, queue);
    const [dead] = await rows(sql, queue);
    assert.deepEqual([dead.status, dead.attempts, dead.error], ["dead_letter", 6, "500 internal_server_error"]);
    const replayed = await sql`select public.replay_email_dead_letters(array[${id}]::uuid[]) as id`;
    assert.deepEqual(replayed.map((r) => r.id), [id]);
    await runOnce(sql, client, queue);
    const [row] = await rows(sql, queue);
    assert.equal(row.status, "sent");
    assert.equal(row.send_id, dead.send_id, "replayed within the key's day under the same send");
    assert.equal(fake.deliveries.length, 1);
    assert.deepEqual(new Set(fake.requests.map((r) => r.headers["idempotency-key"])).size, 1);
  }));

Deno.test("a lease that runs out makes the row claimable again, with its key kept", () =>
  withQueue(async ({ sql, queue, fake }) => {
    await enqueueMany(sql, queue, 1);
    const [claimed] = await sql`select * from public.claim_email_batch('crashed', 10, ${queue})`;
    const later = (Date.now() + 31_000) * 1000;
    const [again] = await sql`select * from public.claim_email_batch('next', 10, ${queue}, null, ${later})`;
    assert.equal(again.send_id, claimed.send_id);
    assert.equal(again.attempts, 2);
    const [send] = await sql`select outcome_unknown from public.email_sends where id = ${claimed.send_id}`;
    assert.equal(send.outcome_unknown, true);
    assert.equal(
      await sql`select public.complete_email_send(${claimed.send_id}, 'crashed', array['x'])`.then((r) =>
        r[0].complete_email_send
      ),
      0,
      "the crashed worker no longer holds the lease",
    );
    assert.equal(fake.deliveries.length, 0);
  }));

Deno.test("a send whose key has been out 23 hours with no known outcome becomes a dead letter", () =>
  withQueue(async ({ sql, queue }) => {
    await enqueueMany(sql, queue, 1);
    const [claimed] = await sql`select * from public.claim_email_batch('w', 10, ${queue})`;
    await sql`select public.fail_email_send(${claimed.send_id}, 'w', 'retry', true, now(), 'no answer: TimeoutError')`;
    const dayLater = (Date.now() + 23.5 * 3600_000) * 1000;
    assert.equal((await sql`select * from public.claim_email_batch('w2', 10, ${queue}, null, ${dayLater})`).length, 0);
    const [row] = await rows(sql, queue);
    assert.equal(row.status, "dead_letter");
    assert.match(row.error!, /^outcome_unknown/);
  }));

Deno.test("a key still in flight at the provider (409 concurrent) is retried under the same key", () =>
  withQueue(async ({ sql, queue, client }) => {
    const slow = startFakeResend({ requestsPerSecond: 1000, processingMs: 1_500 });
    try {
      const [id] = await enqueueMany(sql, queue, 1);
      const [claimed] = await sql`select * from public.claim_email_batch('w', 10, ${queue})`;
      const first = new ResendClient(slow.url, client.apiKey, client.from, 3_000);
      const body = [{ to: claimed.to_email, subject: claimed.subject, html: claimed.html }];
      const inFlight = first.send(claimed.send_key, body, false);
      await new Promise((r) => setTimeout(r, 200));
      // The lease runs out (a processor presumed dead), and another run tries the same send.
      await sql`update public.email_queue set locked_until = now() - interval '1 s' where id = ${id}`;
      await runOnce(sql, first, queue, { budgetMs: 0 });
      const [row] = await rows(sql, queue);
      assert.deepEqual([row.status, row.error, row.send_id], [
        "failed",
        "409 concurrent_idempotent_requests",
        claimed.send_id,
      ]);
      assert.ok((await inFlight).ok);
      // Its second try failed, so the next is the schedule's 5 s.
      await runOnce(sql, first, queue, { budgetMs: 8_000 });
      assert.equal((await rows(sql, queue))[0].status, "sent");
      assert.equal(slow.deliveries.length, 1);
    } finally {
      await slow.close();
    }
  }));

Deno.test("a kept batch is not counted against the limits again, so a full minute's quota is not needed", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    await enqueueMany(sql, queue, 100);
    fake.failNext(1, 503);
    const report = await runOnce(sql, client, queue, { budgetMs: 4_000, pollMs: 50 });
    assert.equal(report.sent, 100, "the batch of 100 went again at once, on the plan's 100 a minute");
    assert.equal(fake.deliveries.length, 100);
  }, { globalPerMinute: 100, recipientPerMinute: 10 }));

Deno.test("rows of different max_attempts never share a batch; a send that lost rows is a dead letter", () =>
  withQueue(async ({ sql, queue }) => {
    await sql`select public.enqueue_email('a@example.com', 's', 'h', null, '[]', null, null, 0, ${queue})`;
    await sql`select public.enqueue_email('b@example.com', 's', 'h', null, '[]', null, null, 5, ${queue})`;
    await sql`select public.enqueue_email('c@example.com', 's', 'h', null, '[]', null, null, 5, ${queue})`;
    const claimed = await sql`select send_id, to_email from public.claim_email_batch('w', 10, ${queue})`;
    const sendOf = (to: string) => claimed.find((r) => r.to_email === to)!.send_id;
    assert.notEqual(sendOf("a@example.com"), sendOf("b@example.com"));
    assert.equal(sendOf("b@example.com"), sendOf("c@example.com"));
    // A row of the batch goes (by hand here); the rest cannot be sent as the same request.
    await sql`update public.email_queue set status = 'dead_letter', error = 'x' where to_email = 'c@example.com'
               and queue = ${queue}`;
    const later = (Date.now() + 60_000) * 1000;
    await sql`select * from public.claim_email_batch('w2', 10, ${queue}, null, ${later})`;
    const [b] =
      await sql`select status, error from public.email_queue where to_email = 'b@example.com' and queue = ${queue}`;
    assert.equal(b.status, "dead_letter");
    assert.match(b.error, /^outcome_unknown: the send lost/);
  }));

Deno.test("a send that could outlast its lease is given back unsent, and nothing goes twice", () =>
  withQueue(async ({ sql, queue, fake, client }) => {
    // One request a second, alone each (as ticket e-mails with attachments go), leases of 3 s.
    await enqueueMany(sql, queue, 5);
    await sql`update public.email_queue set solo = true where queue = ${queue}`;
    const report = await runOnce(sql, client, queue, { budgetMs: 20_000, sendMs: 1_000, concurrency: 1 });
    assert.ok(report.released > 0, "some sends were given back");
    assert.equal(report.leaseLost, 0);
    assert.equal(report.sent, 5);
    assert.equal(fake.deliveries.length, 5);
    assert.equal(new Set(fake.requests.map((r) => r.headers["idempotency-key"])).size, fake.requests.length);
  }, { providerRequestsPerSecond: 1, leaseSeconds: 3 }));
