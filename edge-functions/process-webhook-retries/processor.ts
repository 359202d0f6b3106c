// One run of the webhook retry processor: claim due events, apply each as its webhook
// function would, settle it (succeeded, due again on the schedule, or a dead letter), and
// go on while rows are due within the budget. `tools/webhook-retries.ts run` runs it as a
// process of its own; the clock is injected, so tests walk the schedule without waiting.
import type { Sql } from "../_shared/db.ts";
import { describeError, type Logger } from "../_shared/log.ts";
import { applyResendEvent, type ResendEvent } from "../_shared/webhooks/resend_events.ts";
import { nextAttemptAt, type WebhookType } from "../_shared/webhooks/retry_queue.ts";
import { applyStripeEvent, type StripeEvent } from "../_shared/webhooks/stripe_events.ts";
import type { QrKeys } from "../_shared/wasm.ts";

export interface RetryProcessorDeps {
  sql: Sql;
  keys: QrKeys;
  emailQueue: string;
  log: Logger;
  /** Unix milliseconds now. */
  now?: () => number;
}

export interface RetryRunOptions {
  worker: string;
  /** Claiming stops this long after the start. */
  budgetMs: number;
  /** Rows a claim leases (5), each worked in turn within the lease (300 s). */
  claimSize?: number;
  leaseSeconds?: number;
}

export interface RetryRunReport {
  claimed: number;
  succeeded: number;
  retried: number;
  dead_lettered: number;
  /** Rows whose lease ran out before they were settled: another run has them now. */
  lost: number;
}

interface Claimed {
  id: string;
  webhook_type: WebhookType;
  event_id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

function apply(deps: RetryProcessorDeps, row: Claimed): Promise<string> {
  return row.webhook_type === "stripe"
    ? applyStripeEvent(deps, row.payload as StripeEvent)
    : applyResendEvent(deps.sql, row.payload as ResendEvent);
}

export async function runWebhookRetries(deps: RetryProcessorDeps, o: RetryRunOptions): Promise<RetryRunReport> {
  const now = deps.now ?? Date.now;
  const started = now();
  const report: RetryRunReport = { claimed: 0, succeeded: 0, retried: 0, dead_lettered: 0, lost: 0 };
  while (now() - started <= o.budgetMs) {
    const rows = await deps.sql<Claimed[]>`
      select * from public.claim_webhook_retries(${o.worker}, ${o.claimSize ?? 5}, ${o.leaseSeconds ?? 300},
                                                 ${new Date(now()).toISOString()}::timestamptz)`;
    if (rows.length === 0) break;
    report.claimed += rows.length;
    // One at a time: events of one order must apply in a row anyway, and a retry run is
    // not in a hurry.
    for (const row of rows) await settle(deps, o.worker, row, report, now);
  }
  return report;
}

async function settle(
  deps: RetryProcessorDeps,
  worker: string,
  row: Claimed,
  report: RetryRunReport,
  now: () => number,
): Promise<void> {
  let outcome: string;
  try {
    outcome = await apply(deps, row);
  } catch (e) {
    const next = nextAttemptAt(row.event_id, row.attempts, row.max_attempts, now());
    const [{ held }] = await deps.sql<{ held: boolean }[]>`
      select public.settle_webhook_retry(${row.id}, ${worker}, false, ${next?.toISOString() ?? null}::timestamptz,
                                         ${describeError(e)}) as held`;
    if (!held) report.lost++;
    else if (next) report.retried++;
    else report.dead_lettered++;
    deps.log.log(next ? "warn" : "error", next ? "webhook retry failed" : "webhook event dead-lettered", {
      retry: row.id,
      event: row.event_id,
      attempts: row.attempts,
      error: describeError(e),
    });
    return;
  }
  // Applied. A failure to settle now is not the event's: it ends the run, the lease runs out,
  // and the next claim finds the event applied and settles it.
  const [{ held }] = await deps.sql<{ held: boolean }[]>`
    select public.settle_webhook_retry(${row.id}, ${worker}, true) as held`;
  if (held) report.succeeded++;
  deps.log.log("info", "webhook retry applied", { retry: row.id, event: row.event_id, outcome });
  if (!held) report.lost++;
}
