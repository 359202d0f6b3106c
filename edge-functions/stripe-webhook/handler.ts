// Stripe's webhook endpoint (verify_jwt off: Stripe signs, it sends no JWT). The raw body is
// verified against Stripe-Signature before anything is parsed; the event is then applied
// exactly once (_shared/webhooks/stripe_events.ts). A failed apply goes to the retry queue and
// is acknowledged: Stripe retries every non-2xx for up to three days and expects an answer in
// seconds, so the inline apply is bounded by the pool's statement timeout and the queue does
// the retrying. Only when even the queue cannot take it does Stripe get a 500, and deliver again.
import { methodNotAllowed, parseJsonObject, readRawBody, type RequestContext } from "../_shared/http.ts";
import { describeError } from "../_shared/log.ts";
import { queueForRetry } from "../_shared/webhooks/retry_queue.ts";
import { acknowledged, maxWebhookBytes, signatureRefused } from "../_shared/webhooks/answers.ts";
import { applyStripeEvent, type StripeApplyDeps, stripeEvent } from "../_shared/webhooks/stripe_events.ts";
import type { StripeSignatureVerifier } from "../_shared/wasm.ts";

export interface StripeWebhookDeps extends StripeApplyDeps {
  verifier: StripeSignatureVerifier;
  /** Unix milliseconds now; tests pass a clock. */
  now?: () => number;
}

export async function handleStripeWebhook(
  req: Request,
  deps: StripeWebhookDeps,
  ctx: RequestContext,
): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const body = await readRawBody(req, maxWebhookBytes);
  const nowMs = (deps.now ?? Date.now)();
  const verdict = deps.verifier.verify(body, req.headers.get("stripe-signature") ?? "", Math.floor(nowMs / 1000));
  if (!verdict.ok) return signatureRefused("stripe-signature", verdict.reason);
  const event = stripeEvent(parseJsonObject(body));
  try {
    return acknowledged(await applyStripeEvent(deps, event));
  } catch (e) {
    const id = await queueForRetry(deps.sql, "stripe", event.id, event, e, nowMs);
    ctx.log.log("warn", "stripe event queued for retry", {
      event: event.id,
      type: event.type,
      retry: id,
      error: describeError(e),
    });
    return acknowledged("queued_for_retry");
  }
}
