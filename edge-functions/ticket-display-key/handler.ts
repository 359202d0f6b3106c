// GET ?ticket_id=… by the ticket's owner: the per-ticket display key their phone signs
// live codes with, offline, every 30 s. It can forge live codes for this one ticket only.
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { HttpError, invalidField, json, methodNotAllowed, type RequestContext } from "../_shared/http.ts";
import type { QrKeys } from "../_shared/wasm.ts";
import { uuidPattern } from "../_shared/ids.ts";

export interface DisplayKeyDeps {
  sql: Sql;
  auth: Authenticator;
  keys: QrKeys;
}

export async function handleDisplayKey(req: Request, deps: DisplayKeyDeps, _ctx: RequestContext): Promise<Response> {
  if (req.method !== "GET") throw methodNotAllowed(["GET"]);
  const owner = await deps.auth.user(req);
  const ticketId = new URL(req.url).searchParams.get("ticket_id") ?? "";
  if (!uuidPattern.test(ticketId)) throw invalidField("ticket_id", "ticket_id must be a UUID");
  const [ticket] = await deps.sql<{ ticket_id: string; event_id: string; status: string }[]>`
    select * from public.owned_ticket(${ticketId}, ${owner.userId})`;
  // Someone else's ticket gets the same answer as no ticket, so ids cannot be probed.
  if (!ticket) throw new HttpError(404, "not_found", "No such ticket of yours");
  if (ticket.status === "cancelled" || ticket.status === "refunded") {
    throw new HttpError(409, "ticket_inactive", `The ticket is ${ticket.status}`);
  }
  const { kid, key } = deps.keys.displayKey(ticket.ticket_id, ticket.event_id);
  return json(
    { ticket_id: ticket.ticket_id, event_id: ticket.event_id, kid, key, step_seconds: 30 },
    200,
    { "cache-control": "no-store" },
  );
}
