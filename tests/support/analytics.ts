// A fresh event with known figures for the analytics tests, the browser tests and the demo:
// its organizer, an analyst, paid orders with tickets at given hours, scans by door and
// ticket e-mails with their delivery events, then a refresh of the views. The rows are
// written directly: they stand for history that the other features made.
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { dbUrl } from "./stack.ts";

export interface AnalyticsSeed {
  capacity?: number;
  /** Paid orders: when, how many tickets, the amount. */
  orders: { paidAt: Date; tickets: number; amountCents: number }[];
  /** Scans of this event's tickets: when, at which door, with what result. */
  scans?: { at: Date; door: string; result: string }[];
  /** Ticket e-mails by their end: `delivered`, `bounced`, `sent`, `failed`, `suppressed`. */
  emails?: string[];
  /** When the e-mails were queued; now unless given. */
  emailsAt?: Date;
}

export interface AnalyticsEvent {
  eventId: string;
  organizerId: string;
  analystId: string;
  ticketIds: string[];
}

export async function seedAnalyticsEvent(sql: Sql, seed: AnalyticsSeed): Promise<AnalyticsEvent> {
  const [eventId, organizerId, analystId, holderId] = [0, 1, 2, 3].map(() => crypto.randomUUID());
  await sql`insert into auth.users (id, email) values
    (${organizerId}, ${`organizer-${organizerId}@test.example`}), (${analystId}, ${`analyst-${analystId}@test.example`}),
    (${holderId}, ${`holder-${holderId}@test.example`})`;
  await sql`insert into public.events (id, name, starts_at, organizer_id, capacity)
    values (${eventId}, 'Analytics test event', now() + interval '7 days', ${organizerId}, ${seed.capacity ?? null})`;
  await sql`insert into public.event_staff (event_id, user_id, role) values (${eventId}, ${analystId}, 'analyst')`;
  const ticketIds: string[] = [];
  for (const order of seed.orders) {
    const [{ id }] = await sql<{ id: string }[]>`
      insert into public.orders (user_id, event_id, status, amount_cents, paid_at, created_at)
      values (${holderId}, ${eventId}, 'paid', ${order.amountCents}, ${order.paidAt}, ${order.paidAt}) returning id`;
    const rows = await sql<{ id: string }[]>`
      insert into public.tickets (order_id, event_id, user_id, created_at)
      select ${id}, ${eventId}, ${holderId}, ${order.paidAt} from generate_series(1, ${order.tickets}) returning id`;
    ticketIds.push(...rows.map((r) => r.id));
  }
  for (const s of seed.scans ?? []) {
    await sql`insert into public.ticket_scans (ticket_id, event_id, device_id, scanner_id, result, code_kind, scanned_at)
      values (${ticketIds[0]}, ${eventId}, ${s.door}, ${holderId}, ${s.result}, 'print', ${s.at})`;
  }
  for (const [i, end] of (seed.emails ?? []).entries()) {
    const status = end === "delivered" || end === "bounced" ? "sent" : end === "failed" ? "dead_letter" : end;
    const messageId = status === "sent" ? `msg-${crypto.randomUUID()}` : null;
    const tags = [{ name: "kind", value: "ticket" }, { name: "ticket_id", value: ticketIds[i % ticketIds.length] }];
    const queuedAt = seed.emailsAt ?? new Date();
    await sql`insert into public.email_queue (to_email, subject, html, request_hash, tags, status, provider_message_id,
                                              sent_at, created_at)
      values (${`holder-${holderId}@test.example`}, 'Your ticket', '<p>ticket</p>', '\\x00', ${sql.json(tags)},
              ${status}, ${messageId}, ${messageId ? queuedAt : null}, ${queuedAt})`;
    if (end === "delivered" || end === "bounced") {
      await sql`insert into public.email_delivery_events (svix_id, message_id, type, occurred_at)
        values (${`msg_${crypto.randomUUID()}`}, ${messageId}, ${end}, now())`;
    }
  }
  await sql`select public.refresh_analytics(p_wait => true)`;
  return { eventId, organizerId, analystId, ticketIds };
}

/**
 * Runs `work` while another session holds a view as a refresh of it would: `concurrently`
 * holds the lock a concurrent refresh takes (other refreshes wait; reads go on), otherwise
 * the access exclusive lock of a plain refresh (reads wait too), until `work` is done.
 */
export async function whileRefreshing<T>(view: string, concurrently: boolean, work: () => Promise<T>): Promise<T> {
  const blocker = connect(dbUrl, 1);
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => locked = r);
  const holding = blocker.begin(async (tx) => {
    await tx.unsafe(`refresh materialized view ${concurrently ? "concurrently " : ""}analytics.${view}`);
    locked();
    await held;
  });
  try {
    await isLocked;
    return await work();
  } finally {
    release();
    await holding;
    await blocker.end();
  }
}
