// The webhook retry queue's TypeScript side (20261202000300_webhook_retry_queue.sql): when a
// failed event's next try is due, by crates/usher-retry's webhook schedule through wasm, and
// the one way an event enters the queue.
import type { Sql } from "../db.ts";
import { describeError } from "../log.ts";
import { nextRetry } from "../wasm.ts";

export type WebhookType = "stripe" | "resend";

/** The retries after the inline try (the schedule's 1 min, 5 min, 30 min, 2 h and 24 h). */
export const webhookMaxAttempts = 5;

/** The jitter seed of an event: FNV-1a of its id, so every processor draws the same delays for it. */
export function seedOfEvent(eventId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    h ^= eventId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * When the event's next try is due after `attempts` tries failed, or null for the dead
 * letter. Every failure counts: a failed apply is our database or our code, never the
 * provider's request, so no failure is told to wait without spending a try.
 */
export function nextAttemptAt(eventId: string, attempts: number, maxAttempts: number, nowMs: number): Date | null {
  const d = nextRetry("webhook", maxAttempts, attempts - 1, "retry", null, seedOfEvent(eventId));
  return d.kind === "dead_letter" ? null : new Date(nowMs + d.delayMs);
}

/**
 * Queues an event whose inline apply failed, due one step of the schedule from now, and
 * answers its row's id. An event queued already keeps its row. If this throws, the caller
 * must answer the provider with an error, so that the provider delivers the event again.
 */
export async function queueForRetry(
  sql: Sql,
  type: WebhookType,
  eventId: string,
  payload: unknown,
  error: unknown,
  nowMs = Date.now(),
): Promise<string> {
  const due = nextAttemptAt(eventId, 1, webhookMaxAttempts, nowMs)!;
  const [{ id }] = await sql<{ id: string }[]>`
    select public.enqueue_webhook_retry(${type}, ${eventId}, ${sql.json(payload as never)}, ${describeError(error)},
                                        ${due.toISOString()}::timestamptz, ${webhookMaxAttempts}) as id`;
  return id;
}
