// Who the gateway and the function take the caller to be, and the events they staff:
// the first thing to call when a client's token or staff setup seems wrong.
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { json, methodNotAllowed, type RequestContext } from "../_shared/http.ts";

export interface WhoamiDeps {
  sql: Sql;
  auth: Authenticator;
}

export async function handleWhoami(req: Request, deps: WhoamiDeps, _ctx: RequestContext): Promise<Response> {
  if (req.method !== "GET") throw methodNotAllowed(["GET"]);
  const caller = await deps.auth.caller(req);
  const staff = caller.userId === null ? [] : await deps.sql<{ event_id: string; role: string }[]>`
    select event_id, role from public.event_staff where user_id = ${caller.userId} order by event_id, role`;
  return json({ role: caller.role, user_id: caller.userId, staff: staff.map((s) => ({ ...s })) });
}
