// Accepts an e-mail for the durable queue, for other services and internal callers (service
// role only), and answers 202 with its row: from here the queue delivers it exactly once or
// makes it a dead letter an operator can see and replay. A repeated idempotency_key answers
// the row the first request made (and the same key with another e-mail is a 422).
import type { Authenticator } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { enqueueEmail, parseEmailRequest } from "../_shared/email.ts";
import { HttpError, json, methodNotAllowed, readJsonObject, type RequestContext } from "../_shared/http.ts";

export interface SendEmailDeps {
  sql: Sql;
  auth: Authenticator;
}

/** The largest request: the two bodies at their caps, JSON-escaped, and the rest. */
export const maxRequestBytes = 1024 * 1024;

export async function handleSendEmail(req: Request, deps: SendEmailDeps, _ctx: RequestContext): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const caller = await deps.auth.caller(req);
  if (caller.role !== "service_role") {
    throw new HttpError(403, "forbidden", "Only the service role may send e-mail");
  }
  const email = parseEmailRequest(await readJsonObject(req, maxRequestBytes));
  const row = await enqueueEmail(deps.sql, email);
  return json({ id: row.id, status: row.status }, 202, row.created ? {} : { "idempotent-replayed": "true" });
}
