// One run of the e-mail processor: claim due rows, send each send (one request, one
// Idempotency-Key) through the provider, record what became of it, and go on while rows fall
// due within the run, so the 1 s and 5 s retries happen inside one run. The rules of what a
// failure deserves are crates/usher-retry's, through wasm; every state change is one of the
// queue's SQL functions (migration 20261201000600_email_queue, docs/email-queue.md).
import type { Sql } from "../_shared/db.ts";
import { describeError, type Logger } from "../_shared/log.ts";
import type { OutgoingEmail, SendOutcome } from "../_shared/providers/resend.ts";
import { classifyFailure, nextRetry, retryAfterMs } from "../_shared/wasm.ts";

/** The provider, as the processor needs it: ResendClient, or a no-op in benchmarks. */
export interface Sender {
  /** The `from` of new sends; a kept send keeps the one it was made with. */
  readonly from: string;
  send(idempotencyKey: string, emails: OutgoingEmail[], batch: boolean, from: string): Promise<SendOutcome>;
}

export interface ProcessorDeps {
  sql: Sql;
  sender: Sender;
  log: Logger;
}

export interface RunOptions {
  /** Names this run's leases; unique per run. */
  worker: string;
  /** The queue to work on; `default` unless given. */
  queue?: string;
  /**
   * How long the run claims. A send may still start up to one send timeout later (it waited
   * for the provider's rate) and takes at most one, so a run ends within budgetMs + 2 sendMs;
   * a send that would start later is given back unsent.
   */
  budgetMs: number;
  /** The longest a send can take (the provider call's timeout). */
  sendMs: number;
  claimSize?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** The longest wait between looks at the queue when nothing is due yet. */
  pollMs?: number;
}

export interface RunReport {
  claimed: number;
  sends: number;
  sent: number;
  retried: number;
  deferred: number;
  split: number;
  deadLettered: number;
  /** Rows whose lease another run took over before this one recorded them. */
  leaseLost: number;
  /** Rows given back unsent, because their lease or the run would have ended mid-send. */
  released: number;
  ms: number;
}

type Claimed = {
  send_id: string;
  send_key: string;
  endpoint: "email" | "batch";
  sender: string | null;
  locked_until: Date;
  id: string;
  to_email: string;
  subject: string;
  html: string;
  text: string | null;
  tags: { name: string; value: string }[];
  attachments: OutgoingEmail["attachments"];
  attempts: number;
  max_attempts: number;
};

type Send = { id: string; key: string; batch: boolean; from: string | null; leaseEnds: number; rows: Claimed[] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runProcessor(deps: ProcessorDeps, opts: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const lastClaim = started + opts.budgetMs;
  const report: RunReport = {
    claimed: 0,
    sends: 0,
    sent: 0,
    retried: 0,
    deferred: 0,
    split: 0,
    deadLettered: 0,
    leaseLost: 0,
    released: 0,
    ms: 0,
  };
  const queue = opts.queue ?? "default";
  // At least one claim, however small the budget: a run of budget 0 is one pass.
  for (let first = true; first || Date.now() < lastClaim; first = false) {
    const rows = await deps.sql<Claimed[]>`
      select * from public.claim_email_batch(${opts.worker}, ${opts.claimSize ?? 200}, ${queue}, ${deps.sender.from})`;
    if (rows.length === 0) {
      const [{ due }] = await deps.sql<{ due: Date | null }[]>`select public.email_next_due(${queue}) as due`;
      if (due === null || due.getTime() > lastClaim) break;
      await sleep(Math.min(Math.max(due.getTime() - Date.now(), 10), opts.pollMs ?? 1000));
      continue;
    }
    report.claimed += rows.length;
    const sends = groupBySend(rows);
    if (sends[0].leaseEnds - Date.now() < 2 * opts.sendMs) {
      // Every send would be given back for ever: a setting to fix, said loudly.
      await Promise.all(sends.map((s) => deps.sql`select public.release_email_send(${s.id}, ${opts.worker})`));
      throw new Error(`the queue's lease_seconds must be at least twice the send timeout (${opts.sendMs} ms)`);
    }
    report.sends += sends.length;
    const startBy = lastClaim + opts.sendMs;
    await inParallel(sends, opts.concurrency ?? 4, (s) => deliver(deps, opts, queue, s, startBy, report));
  }
  report.ms = Date.now() - started;
  return report;
}

function groupBySend(rows: Claimed[]): Send[] {
  const sends = new Map<string, Send>();
  for (const r of rows) {
    let s = sends.get(r.send_id);
    if (!s) {
      s = {
        id: r.send_id,
        key: r.send_key,
        batch: r.endpoint === "batch",
        from: r.sender,
        leaseEnds: r.locked_until.getTime(),
        rows: [],
      };
      sends.set(r.send_id, s);
    }
    s.rows.push(r);
  }
  return [...sends.values()];
}

async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

/** One send, whatever happens: a database error leaves its rows leased, to be claimed again. */
async function deliver(
  deps: ProcessorDeps,
  opts: RunOptions,
  queue: string,
  send: Send,
  startBy: number,
  report: RunReport,
) {
  try {
    await attempt(deps, opts, queue, send, startBy, report);
  } catch (e) {
    deps.log.log("error", "e-mail send not recorded", { send: send.id, error: describeError(e) });
  }
}

async function attempt(
  deps: ProcessorDeps,
  opts: RunOptions,
  queue: string,
  send: Send,
  startBy: number,
  report: RunReport,
) {
  const worker = opts.worker;
  await providerSlot(deps.sql, queue);
  // A send that could outlast its lease would race the run that takes the lease over; one
  // that could outlast the run would be cut off by the platform. Either goes back unsent.
  if (Date.now() > Math.min(send.leaseEnds - opts.sendMs, startBy)) {
    const [{ n }] = await deps.sql<{ n: number }[]>`select public.release_email_send(${send.id}, ${worker}) as n`;
    report.released += n;
    return;
  }
  const outcome = await deps.sender.send(send.key, send.rows.map(outgoing), send.batch, send.from ?? deps.sender.from);
  if (outcome.ok) {
    const [{ n }] = await deps.sql<{ n: number }[]>`
      select public.complete_email_send(${send.id}, ${worker}, ${outcome.ids}::text[]) as n`;
    report.sent += n;
    report.leaseLost += send.rows.length - n;
    return;
  }
  const verdict = failureVerdict(send, outcome, Date.now());
  const [{ n }] = await deps.sql<{ n: number }[]>`
    select public.fail_email_send(${send.id}, ${worker}, ${verdict.outcome}, ${verdict.unknown},
                                  ${verdict.nextRetryAt}::timestamptz, ${outcome.summary}) as n`;
  report.leaseLost += send.rows.length - n;
  const counted = ({ retry: "retried", defer: "deferred", split: "split", dead_letter: "deadLettered" } as const)[
    verdict.outcome
  ];
  report[counted] += n;
  deps.log.log(verdict.outcome === "dead_letter" ? "warn" : "info", "e-mail send failed", {
    send: send.id,
    rows: send.rows.length,
    outcome: verdict.outcome,
    error: outcome.summary,
  });
}

export type FailOutcome = "retry" | "defer" | "split" | "dead_letter";

/**
 * What a failed send deserves, for all its rows at once (a batch's rows share their
 * attempts), and whether the outcome is unknown: no answer, a 5xx, or a key still in flight
 * at the provider leave open whether it was accepted, so the send must keep its key; any
 * other answer is a refusal.
 */
export function failureVerdict(
  send: { rows: { id: string; attempts: number; max_attempts: number }[] },
  o: Extract<SendOutcome, { ok: false }>,
  nowMs: number,
): { outcome: FailOutcome; unknown: boolean; nextRetryAt: string | null } {
  const failure = classifyFailure(o.status, o.name);
  const unknown = o.status === null || o.status >= 500 || o.name === "concurrent_idempotent_requests";
  const first = send.rows[0];
  const maxAttempts = Math.min(...send.rows.map((r) => r.max_attempts));
  const retryAfter = o.retryAfter === null ? null : retryAfterMs(o.retryAfter, nowMs);
  const decision = nextRetry("email", maxAttempts, first.attempts - 1, failure, retryAfter, seedOf(first.id));
  if (decision.kind === "dead_letter") {
    // Only the provider's validation of this very body says nothing was stored under its key.
    const validation = o.status === 400 || o.status === 422;
    const outcome = failure === "give_up" && validation && send.rows.length > 1 ? "split" : "dead_letter";
    return { outcome, unknown, nextRetryAt: null };
  }
  const nextRetryAt = new Date(nowMs + decision.delayMs).toISOString();
  return { outcome: decision.kind === "defer" ? "defer" : "retry", unknown, nextRetryAt };
}

/** The jitter seed of a row: the first 32 bits of its id, fixed for the row's life. */
export function seedOf(id: string): number {
  return parseInt(id.slice(0, 8), 16) >>> 0;
}

/** Waits for the provider's request rate (email_settings), shared by every processor. */
async function providerSlot(sql: Sql, queue: string): Promise<void> {
  for (;;) {
    const [{ wait }] = await sql<{ wait: string }[]>`select public.email_send_slot(${queue}) as wait`;
    if (Number(wait) <= 0) return;
    await sleep(Math.ceil(Number(wait) / 1000));
  }
}

function outgoing(r: Claimed): OutgoingEmail {
  return { to: r.to_email, subject: r.subject, html: r.html, text: r.text, tags: r.tags, attachments: r.attachments };
}
