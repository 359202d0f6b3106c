// What the code itself says, before the database is asked: the wasm core verifies signed
// codes; a legacy code is recognised by its shape. A genuine code for another event fails
// its MAC (the event is bound, not carried), so a MAC failure is re-checked against the
// claimed ticket's own event to tell `wrong_event` from a forgery.
import { claimedTicket, type QrKeys, type QrReason } from "../_shared/wasm.ts";

export type CodeKind = "print" | "live" | "legacy" | "unknown";

export interface Verdict {
  verdict: "ok" | "wrong_event" | QrReason;
  kind: CodeKind;
  ticketId: string | null;
}

const legacyPattern = /^[A-Z0-9]{8}$/;

/** `ticketEvent` answers the event a ticket belongs to, or null for no such ticket. */
export async function verdictFor(
  code: string,
  eventId: string,
  now: number,
  keys: QrKeys,
  ticketEvent: (ticketId: string) => Promise<string | null>,
): Promise<Verdict> {
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
    const claimedEvent = claimed ? await ticketEvent(claimed) : null;
    if (claimed && claimedEvent && claimedEvent !== eventId) {
      const elsewhere = keys.verify(code, claimedEvent, now);
      if (elsewhere.ok || elsewhere.reason === "expired" || elsewhere.reason === "not_yet_valid") {
        return { verdict: "wrong_event", kind, ticketId: claimed };
      }
    }
  }
  return { verdict: checked.reason, kind, ticketId: null };
}
