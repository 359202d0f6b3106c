// E-mail queues of a test's own: a queue name with its own settings and limiter keys, so a
// test's rows are never claimed by the stack's own processor (pg_cron's every minute) nor by
// another test, and its limits are whatever the test needs.
import type { Sql } from "../../edge-functions/_shared/db.ts";
import { enqueueEmail } from "../../edge-functions/_shared/email.ts";
import { logger } from "../../edge-functions/_shared/log.ts";
import { type RunOptions, runProcessor, type Sender } from "../../edge-functions/process-email-queue/processor.ts";
import { dbUrl, repoRoot } from "./stack.ts";

export interface QueueSettings {
  globalPerMinute?: number;
  recipientPerMinute?: number;
  providerRequestsPerSecond?: number;
  batchSize?: number;
  leaseSeconds?: number;
  /** Whose request rate the queue shares; a test's own fake is an account of its own. */
  providerAccount?: string;
}

/** A fresh queue; generous limits unless the test asks for others. */
export async function createQueue(sql: Sql, s: QueueSettings = {}): Promise<string> {
  const queue = `t-${crypto.randomUUID().slice(0, 8)}`;
  await sql`insert into public.email_settings
      (queue, provider_account, global_per_minute, recipient_per_minute, provider_requests_per_second, batch_size,
       lease_seconds)
    values (${queue}, ${s.providerAccount ?? queue}, ${s.globalPerMinute ?? 1_000_000}, ${
    s.recipientPerMinute ?? 1_000_000
  },
            ${s.providerRequestsPerSecond ?? 10_000}, ${s.batchSize ?? 100}, ${s.leaseSeconds ?? 30})`;
  return queue;
}

/** Enqueues `n` e-mails, each to its own address unless `to` is given; answers their ids. */
export async function enqueueMany(sql: Sql, queue: string, n: number, to?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = await enqueueEmail(sql, {
      to: to ?? `fan${i}-${queue}@example.com`,
      subject: `Ticket ${i} (${queue})`,
      html: `<p>Ticket ${i}</p>`,
      text: null,
      tags: [],
      attachments: null,
      idempotencyKey: null,
    }, queue);
    ids.push(row.id);
  }
  return ids;
}

/** Enqueues `n` e-mails in one statement, for the tests and benchmarks of thousands. */
export async function enqueueBulk(sql: Sql, queue: string, n: number, to?: string): Promise<void> {
  await sql`
    select public.enqueue_email(coalesce(${to ?? null}, 'fan' || i || '-' || ${queue} || '@example.com'),
                                'Ticket ' || i || ' (' || ${queue} || ')', '<p>Ticket ' || i || '</p>',
                                null, '[]'::jsonb, null, null, 5, ${queue})
      from generate_series(1, ${n}) i`;
}

export type Row = {
  id: string;
  status: string;
  attempts: number;
  deferrals: number;
  next_retry_at: Date;
  error: string | null;
  provider_message_id: string | null;
  send_id: string | null;
  solo: boolean;
};

export function rows(sql: Sql, queue: string): Promise<Row[]> {
  return sql<Row[]>`
    select id, status, attempts, deferrals, next_retry_at, error, provider_message_id, send_id, solo
      from public.email_queue where queue = ${queue} order by created_at, id`;
}

export async function counts(sql: Sql, queue: string): Promise<Record<string, number>> {
  const [{ health }] = await sql<{ health: Record<string, number> }[]>`
    select public.email_queue_health(${queue}) as health`;
  return health;
}

/** One processor run over `queue` in this process. */
export function runOnce(sql: Sql, sender: Sender, queue: string, opts: Partial<RunOptions> = {}) {
  return runProcessor({ sql, sender, log: logger({ test: queue }, () => {}) }, {
    worker: `test/${crypto.randomUUID()}`,
    queue,
    budgetMs: 2_000,
    sendMs: 1_500,
    ...opts,
  });
}

export async function dropQueue(sql: Sql, queue: string): Promise<void> {
  await sql`delete from public.email_sends where id in (select send_id from public.email_queue where queue = ${queue})`;
  await sql`delete from public.email_queue where queue = ${queue}`;
  await sql`delete from public.email_settings where queue = ${queue}`;
  await sql`delete from public.rate_limits where key like ${`email:${queue}:%`} or key = ${`email:provider:${queue}`}`;
}

/** A processor run as a process of its own (tools/email-queue.ts run), sending to `apiBase`. */
export function spawnProcessor(queue: string, apiBase: string, budgetMs = 60_000): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      `${repoRoot}tools/email-queue.ts`,
      "run",
      "--queue",
      queue,
      "--budget-ms",
      `${budgetMs}`,
    ],
    env: {
      SUPABASE_DB_URL: dbUrl,
      RESEND_API_BASE: apiBase,
      RESEND_API_KEY: "re_test_key",
      EMAIL_FROM: "Usher <tickets@usher.test>",
      EMAIL_SEND_TIMEOUT_MS: "1000",
      LOG_LEVEL: "error",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Every row of `queue` sent, each with its own message id, and the deliveries that match. */
export async function assertDeliveredOnce(
  sql: Sql,
  queue: string,
  deliveries: { id: string; subject: string }[],
  n: number,
): Promise<void> {
  const sent = await sql<{ to_email: string; provider_message_id: string }[]>`
    select to_email, provider_message_id from public.email_queue where queue = ${queue} and status = 'sent'`;
  // Every e-mail a test enqueues has a subject of its own.
  const subjects = deliveries.map((d) => d.subject);
  const ids = new Set(deliveries.map((d) => d.id));
  const problems = [
    sent.length !== n && `${sent.length} of ${n} rows sent`,
    deliveries.length !== n && `${deliveries.length} deliveries for ${n} e-mails`,
    new Set(subjects).size !== subjects.length && `${subjects.length - new Set(subjects).size} sent twice`,
    sent.some((r) => !ids.has(r.provider_message_id)) && "a message id no delivery has",
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(problems.join("; "));
}
