// Fresh rows for a test: an event with its own scanner and ticket holder, so tests never
// share state and can run against a stack that the demo or another test has used.
import type { Sql } from "../../edge-functions/_shared/db.ts";
import { issueTicket } from "../../edge-functions/_shared/tickets.ts";
import type { QrKeys } from "../../edge-functions/_shared/wasm.ts";

export interface EventFixture {
  eventId: string;
  scannerId: string;
  holderId: string;
  orderId: string;
}

export async function createEvent(
  sql: Sql,
  settings: { requireLiveCodes?: boolean; allowLegacyCodes?: boolean } = {},
): Promise<EventFixture> {
  const [eventId, scannerId, holderId, orderId] = [0, 1, 2, 3].map(() => crypto.randomUUID());
  await sql`insert into auth.users (id, email) values
    (${scannerId}, ${`scanner-${scannerId}@test.example`}), (${holderId}, ${`holder-${holderId}@test.example`})`;
  await sql`insert into public.events (id, name, starts_at, require_live_codes, allow_legacy_codes)
    values (${eventId}, 'Test event', now() + interval '1 day',
            ${settings.requireLiveCodes ?? false}, ${settings.allowLegacyCodes ?? true})`;
  await sql`insert into public.event_staff (event_id, user_id, role) values (${eventId}, ${scannerId}, 'scanner')`;
  await sql`insert into public.orders (id, user_id, event_id, status, amount_cents)
    values (${orderId}, ${holderId}, ${eventId}, 'paid', 1000)`;
  return { eventId, scannerId, holderId, orderId };
}

export function createTicket(sql: Sql, keys: QrKeys, f: EventFixture, now?: number) {
  return issueTicket(sql, keys, { orderId: f.orderId, eventId: f.eventId, userId: f.holderId }, now);
}

/** A ticket with only a legacy 8-character code, as tickets were before signed codes. */
export async function createLegacyTicket(sql: Sql, f: EventFixture): Promise<{ ticketId: string; code: string }> {
  const ticketId = crypto.randomUUID();
  const code = ticketId.replace(/-/g, "").slice(0, 8).toUpperCase();
  await sql`insert into public.tickets (id, order_id, event_id, user_id, qr_code)
    values (${ticketId}, ${f.orderId}, ${f.eventId}, ${f.holderId}, ${code})`;
  return { ticketId, code };
}
