// One run of the push receipt processor: give up on receipts that will not come, claim sent
// pushes whose receipt is due, ask the provider for their receipts in chunks of at most 1000
// ids, and record each chunk's answers in one statement (delivered, the error, the token
// retired for DeviceNotRegistered, or still waiting). A provider failure releases the
// chunk's rows and the rest of the claim, with their checks given back, and ends the run: the
// next run (pg_cron's, 5 minutes later) asks again, so no row is lost and an outage is not
// hammered. The clock is injected, so tests move time instead of waiting.
import type { Sql } from "../_shared/db.ts";
import { describeError, type Logger } from "../_shared/log.ts";
import { type PushReceipt, receiptIdLimit } from "../_shared/providers/push.ts";
import { ProviderError } from "../_shared/providers/stripe.ts";

export interface ReceiptSource {
  getReceipts(ids: string[]): Promise<Map<string, PushReceipt>>;
}

export interface ReceiptProcessorDeps {
  sql: Sql;
  push: ReceiptSource;
  log: Logger;
  /** Unix milliseconds now. */
  now?: () => number;
}

export interface ReceiptRunOptions {
  worker: string;
  /** Claiming stops this long after the start. */
  budgetMs: number;
  /** How long after its send (and after its last check) a receipt is asked for: 900 s. */
  minAgeSeconds?: number;
  /** Rows a claim leases (1000), for leaseSeconds (300). */
  claimSize?: number;
  leaseSeconds?: number;
  /** Ids per provider request: 1000, Expo's limit, and never more. */
  chunkSize?: number;
}

export interface ReceiptRunReport {
  expired: number;
  claimed: number;
  delivered: number;
  errors: number;
  retired: number;
  /** Asked for, with no receipt yet: they wait for the next check. */
  waiting: number;
  /** Claimed but not asked about, for the provider failed: released for the next run. */
  released: number;
  /** Claimed rows that were neither recorded nor released by this run (their lease ran out). */
  lost: number;
  /** The provider's failure that ended the run, if one did. */
  provider_error: string | null;
}

interface Claimed {
  id: string;
  provider_ticket_id: string;
  receipt_checks: number;
}

export async function runPushReceipts(deps: ReceiptProcessorDeps, o: ReceiptRunOptions): Promise<ReceiptRunReport> {
  const now = deps.now ?? Date.now;
  // The database's own clock unless a test injects one: rows are judged by the time they
  // were stamped with, in the database, to the microsecond.
  const at = () => deps.now ? new Date(deps.now()).toISOString() : null;
  const claimSize = o.claimSize ?? 1000;
  const chunkSize = Math.min(o.chunkSize ?? receiptIdLimit, receiptIdLimit);
  const report: ReceiptRunReport = {
    expired: 0,
    claimed: 0,
    delivered: 0,
    errors: 0,
    retired: 0,
    waiting: 0,
    released: 0,
    lost: 0,
    provider_error: null,
  };
  const started = now();
  [{ expired: report.expired }] = await deps.sql<{ expired: number }[]>`
    select public.expire_push_receipts(${at()}::timestamptz) as expired`;
  // One claim at least, then more while the budget lasts.
  do {
    const rows = await deps.sql<Claimed[]>`
      select * from public.claim_push_receipts(${o.worker}, ${claimSize}, ${o.leaseSeconds ?? 300},
                                               ${at()}::timestamptz, ${o.minAgeSeconds ?? 900})`;
    report.claimed += rows.length;
    for (let i = 0; i < rows.length; i += chunkSize) {
      const chunk = rows.slice(i, i + chunkSize);
      let receipts: Map<string, PushReceipt>;
      try {
        receipts = await deps.push.getReceipts(chunk.map((r) => r.provider_ticket_id));
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        const rest = rows.slice(i).map((r) => r.id);
        const [{ released }] = await deps.sql<{ released: number }[]>`
          select public.release_push_receipts(${o.worker}, ${rest}::uuid[]) as released`;
        report.released += released;
        report.lost += rest.length - released;
        report.provider_error = e.message;
        deps.log.log("warn", "push receipts not fetched; the rows wait for the next run", {
          status: e.status,
          released,
          error: describeError(e),
        });
        return report;
      }
      // Every id asked for is named: JSON null for one with no receipt yet, so its lease is
      // released at once instead of running out.
      const answers: Record<string, { status: string; message?: string; details?: { error: string | null } } | null> =
        {};
      for (const r of chunk) {
        const receipt = receipts.get(r.provider_ticket_id);
        answers[r.provider_ticket_id] = receipt === undefined
          ? null
          : receipt.status === "ok"
          ? { status: "ok" }
          : { status: "error", message: receipt.message, details: { error: receipt.error } };
      }
      const [counts] = await deps.sql<{ delivered: number; errors: number; retired: number; waiting: number }[]>`
        select * from public.record_push_receipts(${o.worker}, ${deps.sql.json(answers)}, ${at()}::timestamptz)`;
      report.delivered += counts.delivered;
      report.errors += counts.errors;
      report.retired += counts.retired;
      report.waiting += counts.waiting;
      report.lost += chunk.length - (counts.delivered + counts.errors + counts.waiting);
    }
    // A short claim drained what was due; claiming again would only find rows this run has
    // just been told to wait for.
    if (rows.length < claimSize) break;
  } while (now() - started <= o.budgetMs);
  return report;
}
