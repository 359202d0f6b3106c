// What the code itself says, before the database is asked: the wasm core verifies signed
// codes; a legacy code is recognised by its shape. A genuine code for another event fails
// its MAC (the event is bound, not carried), so a MAC failure is re-checked against the
// claimed ticket's own event to tell `wrong_event` from a forgery.
import type { Sql } from "../_shared/db.ts";
import { claimedTicket, type QrKeys, type QrReason } from "../_shared/wasm.ts";

export type CodeKind = "print" | "live" | "legacy" | "unknown";

export interface Verdict {
  verdict: "ok" | "wrong_event" | QrReason;
  kind: CodeKind;
  ticketId: string | null;
}

const legacyPattern = /^[A-Z0-9]{8}$/;

export async function verdictFor(code: string, eventId: string, now: number, keys: QrKeys, sql: Sql): Promise<Verdict> {
  if (!code.startsWith("v1.")) {
    return legacyPattern.test(code)
      ? { verdict: "ok", kind: "legacy", ticketId: null }
      : { verdict: "malformed", kind: "unknown", ticketId: null };
  }
  const checked = keys.verify(code, eventId, now);
  if (checked.ok) return { verdict: "ok", kind: checked.kind, ticketId: checked.ticketId };

  // The kind letter is only trusted for the log line, never for a decision.
  const kind: CodeKind = checked.reason === "malformed" ? "unknown" : code[3] === "l" ? "live" : "print";
  if (checked.reason === "invalid_signature") {
    const claimed = claimedTicket(code);
    const [row] = claimed
      ? await sql<{ event_id: string | null }[]>`select public.ticket_event(${claimed}) as event_id`
      : [];
    if (claimed && row?.event_id && row.event_id !== eventId) {
      const elsewhere = keys.verify(code, row.event_id, now);
      if (elsewhere.ok || elsewhere.reason === "expired" || elsewhere.reason === "not_yet_valid") {
        return { verdict: "wrong_event", kind, ticketId: claimed };
      }
    }
  }
  return { verdict: checked.reason, kind, ticketId: null };
}
