// The one way tickets get their codes: issue, backfill and re-issue all sign here with
// the active key and store through one SQL function each; and the one way a code reaches
// its holder, the ticket e-mail (ticket_email.ts, through the e-mail queue). The demo, the
// seed backfill and the Stripe webhook (which issues a paid order's tickets) call this module.
import type { Sql } from "./db.ts";
import type { EmailRequest } from "./email.ts";
import { ticketEmail } from "./ticket_email.ts";
import type { QrKeys } from "./wasm.ts";

export { enqueueTicketEmail, type TicketEmail, ticketEmail } from "./ticket_email.ts";

const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface NewTicket {
  orderId: string;
  eventId: string;
  userId: string;
}

/** Creates a ticket with a signed print code; returns its id and code. */
export async function issueTicket(
  sql: Sql,
  keys: QrKeys,
  t: NewTicket,
  now = nowSeconds(),
): Promise<{ ticketId: string; code: string }> {
  const ticketId = crypto.randomUUID();
  const code = keys.signPrint(ticketId, t.eventId, now);
  await sql`select public.issue_ticket(${ticketId}, ${t.orderId}, ${t.eventId}, ${t.userId}, ${code})`;
  return { ticketId, code };
}

/** A paid order, as the Stripe webhook reads it before issuing its tickets. */
export interface PaidOrder {
  orderId: string;
  eventId: string;
  eventName: string;
  quantity: number;
  /** The buyer's address, where the ticket e-mails go. */
  email: string;
}

/** A ticket to issue with its signed print code and its e-mail, before anything is stored. */
export interface PreparedTicket {
  id: string;
  code: string;
  email: EmailRequest;
}

/**
 * The order's tickets, signed and with their e-mails built, for apply_stripe_event to store
 * and queue in the transaction that marks the order paid. Only the chosen one of several
 * preparations for one order is ever stored; the others' ids and codes are never seen.
 */
export function prepareTickets(keys: QrKeys, order: PaidOrder, now = nowSeconds()): PreparedTicket[] {
  return Array.from({ length: order.quantity }, () => {
    const id = crypto.randomUUID();
    const code = keys.signPrint(id, order.eventId, now);
    return { id, code, email: ticketEmail({ ticketId: id, code, to: order.email, eventName: order.eventName }) };
  });
}

/** Replaces a ticket's print code; the old one is refused as `revoked` from then on. */
export async function reissuePrintCode(
  sql: Sql,
  keys: QrKeys,
  ticketId: string,
  now = nowSeconds(),
): Promise<string> {
  const [row] = await sql<{ event_id: string | null }[]>`select public.ticket_event(${ticketId}) as event_id`;
  if (!row.event_id) throw new Error(`no ticket ${ticketId}`);
  const code = keys.signPrint(ticketId, row.event_id, now);
  await sql`select public.set_ticket_print_code(${ticketId}, ${code}, true)`;
  return code;
}

/**
 * Gives every ticket without a signed code one, in batches; safe to re-run and to run
 * beside re-issues (it only fills missing codes). Returns how many tickets it signed.
 */
export async function backfillPrintCodes(sql: Sql, keys: QrKeys, batch = 500, now = nowSeconds()): Promise<number> {
  let signed = 0;
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await sql<{ id: string; event_id: string }[]>`
      select id, event_id from public.tickets
       where qr_code_signed is null and id > ${after}
       order by id limit ${batch}`;
    if (rows.length === 0) return signed;
    for (const r of rows) {
      const [{ took }] = await sql<{ took: boolean }[]>`
        select public.set_ticket_print_code(${r.id}, ${keys.signPrint(r.id, r.event_id, now)}, false) as took`;
      if (took) signed++;
    }
    after = rows[rows.length - 1].id;
  }
}
