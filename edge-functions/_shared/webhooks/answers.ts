// The answers both webhook functions give: a refused signature is a 400 naming its reason
// (the provider's dashboard shows it; the sender of a forgery learns nothing it did not
// know), and an event is acknowledged with what became of it.
import { json } from "../http.ts";

/** 400 `invalid_signature`, with the refusal's reason code and the header at fault. */
export function signatureRefused(field: string, reason: string): Response {
  return json({
    error: { code: "invalid_signature", message: `The ${field} header does not verify: ${reason}`, field, reason },
  }, 400);
}

/** 200: the event is applied, a repeat, or safe in the retry queue. */
export function acknowledged(outcome: string): Response {
  return json({ received: true, outcome });
}

/** The largest webhook body taken: Stripe's and Resend's events are a few kilobytes. */
export const maxWebhookBytes = 1024 * 1024;
