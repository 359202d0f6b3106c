// Resend's events (sent through Svix), from a verified body to the record of each e-mail's
// delivery and the suppression list (20261202000200_email_deliveries.sql). resend-webhook
// records an event as it arrives; process-webhook-retries records the ones that failed.
import type { Sql } from "../db.ts";
import { HttpError } from "../http.ts";

/** An event as Usher keeps it: Resend's payload with the svix id that deduplicates it. */
export interface ResendEvent {
  svixId: string;
  type: string;
  createdAt: string;
  data: { email_id?: string; to?: string[]; bounce?: { type?: string; subType?: string } };
}

const eventType = /^[a-z]{1,20}\.[a-z_]{1,40}$/;
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The event a verified body holds, under the svix id it came with; or a 400 saying what is wrong. */
export function resendEvent(svixId: string, body: Record<string, unknown>): ResendEvent {
  if (typeof body.type !== "string" || !eventType.test(body.type)) {
    throw new HttpError(400, "invalid_body", "A Resend event needs a type like email.delivered");
  }
  const createdAt = typeof body.created_at === "string" ? body.created_at : "";
  // Strictly ISO 8601, as Resend writes it: Date.parse takes strings Postgres refuses.
  if (!isoTime.test(createdAt) || Number.isNaN(Date.parse(createdAt))) {
    throw new HttpError(400, "invalid_body", "A Resend event needs created_at, an ISO 8601 time");
  }
  const data = body.data as ResendEvent["data"] | null;
  if (typeof data !== "object" || data === null) throw new HttpError(400, "invalid_body", "A Resend event needs data");
  if (body.type.startsWith("email.")) {
    if (typeof data.email_id !== "string" || data.email_id.length < 1 || data.email_id.length > 255) {
      throw new HttpError(400, "invalid_body", "An e-mail event needs data.email_id");
    }
    if (
      data.to !== undefined &&
      !(Array.isArray(data.to) && data.to.every((a) => typeof a === "string" && a.length <= 320))
    ) {
      throw new HttpError(400, "invalid_body", "data.to must be a list of addresses");
    }
  }
  return { svixId, type: body.type, createdAt, data };
}

/** Records the event once: `recorded`, `suppressed` (a hard bounce or complaint), `ignored` or `duplicate`. */
export async function applyResendEvent(sql: Sql, e: ResendEvent): Promise<string> {
  const bounce = e.data.bounce ?? {};
  const [{ outcome }] = await sql<{ outcome: string }[]>`
    select public.record_resend_event(
      ${e.svixId}, ${e.type}, ${e.type.startsWith("email.") ? e.data.email_id! : null}, ${e.createdAt}::timestamptz,
      ${e.data.to ?? []}::text[], ${typeof bounce.type === "string" ? bounce.type : null},
      ${typeof bounce.subType === "string" ? bounce.subType : null}) as outcome`;
  return outcome;
}
