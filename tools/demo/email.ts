// The durable e-mail queue: send-email queues, the processor (scheduled by pg_cron through
// pg_net) sends through the stack's fake Resend, failures are retried at the plan's delays,
// limits defer, duplicates are one row, a killed processor loses and doubles nothing, and a
// dead letter is replayed. Steps that need their own limits or failures use a queue of their
// own, so the stack's scheduled processor never touches their rows.
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { logger } from "../../edge-functions/_shared/log.ts";
import { ResendClient } from "../../edge-functions/_shared/providers/resend.ts";
import { runProcessor, type Sender } from "../../edge-functions/process-email-queue/processor.ts";
import { createQueue, dropQueue, enqueueBulk, enqueueMany, spawnProcessor } from "../../tests/support/email.ts";
import { dbUrl, fn, stackEnv } from "../../tests/support/stack.ts";
import { expect, type Step } from "./report.ts";

const fakeResend = `http://127.0.0.1:${Deno.env.get("USHER_FAKE_RESEND_PORT") ?? 54412}`;
const from = "Usher demo <tickets@usher.example>";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withQueue<T>(
  settings: Parameters<typeof createQueue>[1],
  f: (sql: Sql, queue: string) => Promise<T>,
): Promise<T> {
  const sql = connect(dbUrl, 2);
  const queue = await createQueue(sql, { providerAccount: "resend", providerRequestsPerSecond: 2, ...settings });
  try {
    return await f(sql, queue);
  } finally {
    await dropQueue(sql, queue);
    await sql.end();
  }
}

function sendEmail(body: Record<string, unknown>): Promise<Response> {
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  return fn("send-email", init, stackEnv.SUPABASE_SERVICE_ROLE_KEY);
}

/** Tells the stack's fake Resend to fail in one of its ways (tests/fakes/fake.ts, resend.ts). */
async function command(path: "/__fail" | "/__drop" | "/__hold", body: Record<string, unknown>) {
  const res = await fetch(`${fakeResend}${path}`, { method: "POST", body: JSON.stringify(body) });
  await res.body?.cancel();
  expect(res.status === 204, `the fake Resend refused ${path}`);
}

async function deliveriesOf(subjectStart: string): Promise<{ id: string; subject: string }[]> {
  const { deliveries } = await (await fetch(`${fakeResend}/__deliveries`)).json();
  return deliveries.filter((d: { subject: string }) => d.subject.startsWith(subjectStart));
}

/** The stack's fake Resend, saying when each request went and how it ended. */
function narrated(say: (line: string) => void): Sender {
  const client = new ResendClient(fakeResend, "re_demo_key", from, 2_000);
  const started = performance.now();
  return {
    from,
    async send(key, emails, batch, sender) {
      const outcome = await client.send(key, emails, batch, sender);
      const at = ((performance.now() - started) / 1000).toFixed(1);
      say(
        `+${at} s  ${emails.length} e-mail${emails.length > 1 ? "s" : ""} → ${outcome.ok ? "sent" : outcome.summary}`,
      );
      return outcome;
    },
  };
}

function run(sql: Sql, sender: Sender, queue: string, budgetMs: number) {
  return runProcessor({ sql, sender, log: logger({ demo: "email" }, () => {}) }, {
    worker: `demo/${crypto.randomUUID()}`,
    queue,
    budgetMs,
    sendMs: 2_000,
    pollMs: 100,
  });
}

export const emailSteps: Step[] = [
  {
    title: "send-email queues an e-mail (202); pg_cron's call through pg_net runs the processor, which sends it",
    run: async (say) => {
      const subject = `Demo: your tickets ${crypto.randomUUID().slice(0, 8)}`;
      const res = await sendEmail({ to: "ada@example.com", subject, html: "<p>Your tickets are attached.</p>" });
      const row = await res.json();
      say(`POST send-email → ${res.status} ${JSON.stringify(row)}`);
      const sql = connect(dbUrl, 1);
      try {
        const [{ request }] = await sql`select public.invoke_edge_function('process-email-queue') as request`;
        say(`select public.invoke_edge_function('process-email-queue') → pg_net request ${request}`);
        let sent;
        for (let i = 0; i < 100 && !sent; i++) {
          [sent] =
            await sql`select provider_message_id from public.email_queue where id = ${row.id} and status = 'sent'`;
          if (!sent) await sleep(100);
        }
        expect(sent, "the e-mail was not sent within 10 s");
        const delivered = await deliveriesOf(subject);
        say(
          `row ${
            row.id.slice(0, 8)
          }… sent, message id ${sent.provider_message_id}; fake Resend deliveries: ${delivered.length}`,
        );
        expect(res.status === 202 && delivered.length === 1, "not delivered exactly once");
        return "202 queued, then sent once by the scheduled processor's path";
      } finally {
        await sql`delete from public.email_queue where subject = ${subject}`;
        await sql.end();
      }
    },
  },
  {
    title: "the provider fails three times (503): retried at 1 s, 5 s and 30 s (±10 %), then sent",
    run: (say) =>
      withQueue({}, async (sql, queue) => {
        await enqueueMany(sql, queue, 1);
        await command("/__fail", { n: 3, status: 503 });
        const report = await run(sql, narrated(say), queue, 45_000);
        const [row] = await sql`select status, attempts from public.email_queue where queue = ${queue}`;
        expect(row.status === "sent" && report.retried === 3, `${row.status} after ${report.retried} retries`);
        return `sent on try ${row.attempts}, inside one processor run of ${(report.ms / 1000).toFixed(1)} s`;
      }),
  },
  {
    title: "a rate-limit deferral: a third e-mail to one address in a minute (limit 2) waits, spending no attempt",
    run: (say) =>
      withQueue({ recipientPerMinute: 2 }, async (sql, queue) => {
        await enqueueMany(sql, queue, 3, "grace@example.com");
        await run(sql, narrated(say), queue, 0);
        const rows = await sql`
          select status, attempts, deferrals, extract(epoch from next_retry_at - now())::int as wait_s
            from public.email_queue where queue = ${queue} order by status desc`;
        for (const r of rows) say(`${r.status}, ${r.attempts} attempt(s), ${r.deferrals} deferral(s)`);
        const waiting = rows.find((r) => r.status === "pending");
        expect(waiting && waiting.attempts === 0 && waiting.deferrals === 1, "the third was not deferred");
        return `2 sent, 1 deferred by ${waiting.wait_s} s (the limiter's retry-after), none dropped`;
      }),
  },
  {
    title: "a duplicate request (same idempotency_key) is one e-mail",
    run: async (say) => {
      const body = {
        to: "ada@example.com",
        subject: `Demo: receipt ${crypto.randomUUID().slice(0, 8)}`,
        html: "<p>Receipt</p>",
        idempotency_key: `demo-receipt-${crypto.randomUUID()}`,
      };
      const [a, b] = [await sendEmail(body), await sendEmail(body)];
      const [first, second] = [await a.json(), await b.json()];
      say(`first → ${a.status} ${first.id}`);
      say(`again → ${b.status} ${second.id} (idempotent-replayed: ${b.headers.get("idempotent-replayed")})`);
      const sql = connect(dbUrl, 1);
      try {
        const [{ n }] = await sql`select count(*)::int as n from public.email_queue where subject = ${body.subject}`;
        expect(first.id === second.id && n === 1, "the duplicate made a second row");
        return "the same row answered twice; one row in the queue";
      } finally {
        await sql.end();
      }
    },
  },
  {
    title: "a processor killed (SIGKILL) mid-batch: 300 e-mails, nothing lost or sent twice",
    run: (say) =>
      withQueue({ batchSize: 50, leaseSeconds: 3 }, async (sql, queue) => {
        await enqueueBulk(sql, queue, 300);
        const before = (await deliveriesOf(`Ticket `)).length;
        const doomed = spawnProcessor(queue, fakeResend);
        while ((await deliveriesOf("Ticket ")).length === before) await sleep(20);
        doomed.kill("SIGKILL");
        await doomed.status;
        const [{ leased }] = await sql`
          select count(*)::int as leased from public.email_queue where queue = ${queue} and status <> 'sent'`;
        say(`killed after its first batch; ${leased} e-mails not yet sent, some of them leased to the dead process`);
        const next = spawnProcessor(queue, fakeResend);
        await next.status;
        await next.stdout.cancel();
        const mine = (await deliveriesOf("Ticket ")).filter((d) => d.subject.endsWith(`(${queue})`));
        const distinct = new Set(mine.map((d) => d.subject)).size;
        say(`a new processor finished: ${mine.length} deliveries, ${distinct} distinct e-mails`);
        expect(mine.length === 300 && distinct === 300, "lost or doubled");
        return "300 delivered exactly once across the crash";
      }),
  },
  {
    title: "a dead letter (the provider refuses it, 422) and its replay",
    run: (say) =>
      withQueue({}, async (sql, queue) => {
        const [id] = await enqueueMany(sql, queue, 1);
        await command("/__fail", { n: 1, status: 422 });
        await run(sql, narrated(say), queue, 0);
        const [dead] = await sql`select status, error from public.email_queue where id = ${id}`;
        say(`${dead.status}: ${dead.error}`);
        const replayed = await sql`select public.replay_email_dead_letters(array[${id}]::uuid[]) as id`;
        say(
          `replay_email_dead_letters(array['${
            id.slice(0, 8)
          }…']), as tools/email-queue.ts replay --id does → ${replayed.length} replayed`,
        );
        await run(sql, narrated(say), queue, 0);
        const [row] = await sql`select status from public.email_queue where id = ${id}`;
        expect(dead.status === "dead_letter" && row.status === "sent", `${dead.status} then ${row.status}`);
        return "dead letter with its reason, replayed, then sent";
      }),
  },
];
