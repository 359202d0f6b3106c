// The e-mail processor's schedule on the running stack: pg_cron's job every minute, whose
// command goes through pg_net (the local stand-in, docs/local-pg-net.md) and the gateway to
// process-email-queue as the service role, which sends a queued e-mail to the stack's fake
// Resend. The command is run as the job would run it, so the test need not wait for the
// minute to turn.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { enqueueEmail } from "../edge-functions/_shared/email.ts";
import { dbUrl } from "./support/stack.ts";

const fakeResend = `http://127.0.0.1:${Deno.env.get("USHER_FAKE_RESEND_PORT") ?? 54412}`;

Deno.test("pg_cron runs process-email-queue every minute, through pg_net, and it sends the queue", async () => {
  const sql = connect(dbUrl, 1);
  const subject = `schedule test ${crypto.randomUUID()}`;
  try {
    const [job] = await sql`select schedule, command, active from cron.job where jobname = 'process-email-queue'`;
    assert.deepEqual([job.schedule, job.active], ["* * * * *", true]);
    const { id } = await enqueueEmail(sql, {
      to: "schedule@example.com",
      subject,
      html: "<p>scheduled</p>",
      text: null,
      tags: [],
      attachments: null,
      idempotencyKey: null,
    });
    const [{ request }] = await sql.unsafe(`select (${job.command.replace(/^select /, "")}) as request`);
    let answer;
    for (let i = 0; i < 300 && !answer; i++) {
      [answer] = await sql`select status_code, content from net._http_response where id = ${request}`;
      if (!answer) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(answer, "pg_net recorded the function's answer");
    assert.equal(answer.status_code, 200);
    assert.ok("claimed" in JSON.parse(answer.content), "the answer is the run's report");
    const [row] = await sql`select status, provider_message_id from public.email_queue where id = ${id}`;
    assert.equal(row.status, "sent", "this run or the job's own sent it");
    const { deliveries }: { deliveries: { id: string; subject: string }[] } =
      await (await fetch(`${fakeResend}/__deliveries`)).json();
    assert.deepEqual(deliveries.filter((d) => d.subject === subject).map((d) => d.id), [row.provider_message_id]);
  } finally {
    await sql`delete from public.email_queue where subject = ${subject}`;
    await sql.end();
  }
});
