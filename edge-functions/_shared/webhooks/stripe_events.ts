// Stripe's events, from a verified body to their effect: what an event must look like, and
// applying it exactly once (20261202000100_stripe_webhook_events.sql). stripe-webhook applies
// an event as it arrives and process-webhook-retries applies the ones that failed, both here.
import type { Sql } from "../db.ts";
import { HttpError } from "../http.ts";
import { type PreparedTicket, prepareTickets } from "../tickets.ts";
import type { QrKeys } from "../wasm.ts";

/** The part of a Stripe event Usher reads; the object is kept whole for the retry queue. */
export interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

export interface StripeApplyDeps {
  sql: Sql;
  keys: QrKeys;
  /** The e-mail queue ticket e-mails go to. */
  emailQueue: string;
}

const eventId = /^evt_[A-Za-z0-9_]{1,250}$/;
const eventType = /^[a-z0-9_.]{1,100}$/;

/** The event a verified body holds, or a 400 naming what is missing. */
export function stripeEvent(body: Record<string, unknown>): StripeEvent {
  if (typeof body.id !== "string" || !eventId.test(body.id)) {
    throw new HttpError(400, "invalid_body", "A Stripe event needs an id like evt_…");
  }
  if (typeof body.type !== "string" || !eventType.test(body.type)) {
    throw new HttpError(400, "invalid_body", "A Stripe event needs a type");
  }
  const data = body.data as { object?: unknown } | null;
  if (typeof data !== "object" || data === null || typeof data.object !== "object" || data.object === null) {
    throw new HttpError(400, "invalid_body", "A Stripe event needs data.object");
  }
  return body as unknown as StripeEvent;
}

/** Whether the event pays for its order, and so needs tickets prepared. */
function pays(e: StripeEvent): boolean {
  if (e.type === "checkout.session.async_payment_succeeded") return true;
  const status = e.data.object.payment_status;
  return e.type === "checkout.session.completed" && (status === "paid" || status === "no_payment_required");
}

interface OrderRow {
  applied: boolean;
  order_id: string | null;
  event_id: string;
  quantity: number;
  email: string | null;
  event_name: string;
  has_tickets: boolean;
}

/**
 * Prepares the order's tickets if the event pays for an order that has none yet: null when
 * there is nothing to issue, or `duplicate` when the event was applied already. An order the
 * event does not name is for apply_stripe_event to refuse.
 */
async function prepare(deps: StripeApplyDeps, e: StripeEvent): Promise<PreparedTicket[] | null | "duplicate"> {
  if (!pays(e)) return null;
  const [o] = await deps.sql<OrderRow[]>`
    select * from public.stripe_event_order(${e.id}, ${deps.sql.json(e.data.object as never)})`;
  if (o.applied) return "duplicate";
  if (o.order_id === null || o.has_tickets) return null;
  if (o.email === null) throw new Error(`order ${o.order_id} has no buyer address`);
  return prepareTickets(deps.keys, {
    orderId: o.order_id,
    eventId: o.event_id,
    eventName: o.event_name,
    quantity: o.quantity,
    email: o.email,
  });
}

function ticketsJson(tickets: PreparedTicket[]) {
  return tickets.map((t) => ({
    id: t.id,
    code: t.code,
    email: {
      to: t.email.to,
      subject: t.email.subject,
      html: t.email.html,
      text: t.email.text,
      tags: t.email.tags,
      attachments: t.email.attachments,
      idempotency_key: t.email.idempotencyKey,
    },
  }));
}

const staleTickets = "UR009";

/**
 * Applies the event once, in one transaction; a repeat answers `duplicate` and changes
 * nothing. A preparation the order outdated meanwhile (UR009) is made again once; any other
 * failure is the caller's to queue for a retry.
 */
export async function applyStripeEvent(deps: StripeApplyDeps, e: StripeEvent): Promise<string> {
  for (let tries = 0;; tries++) {
    const tickets = await prepare(deps, e);
    if (tickets === "duplicate") return "duplicate";
    try {
      const [{ outcome }] = await deps.sql<{ outcome: string }[]>`
        select public.apply_stripe_event(
          ${e.id}, ${e.type}, ${deps.sql.json(e.data.object as never)},
          ${tickets === null ? null : deps.sql.json(ticketsJson(tickets) as never)}, ${deps.emailQueue}) as outcome`;
      return outcome;
    } catch (err) {
      if (tries === 0 && (err as { code?: string }).code === staleTickets) continue;
      throw err;
    }
  }
}
