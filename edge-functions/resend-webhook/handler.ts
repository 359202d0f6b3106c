// Resend's webhook endpoint (verify_jwt off: Svix signs for Resend). Standard Webhooks headers
// come as webhook-* or, as Resend sends them, svix-*; the raw body is verified against them
// before anything is parsed, and the event is recorded once by its svix id
// (_shared/webhooks/resend_events.ts). Failures go to the retry queue, as Stripe's do.
import { methodNotAllowed, parseJsonObject, readRawBody, type RequestContext } from "../_shared/http.ts";
import { describeError } from "../_shared/log.ts";
import { acknowledged, maxWebhookBytes, signatureRefused } from "../_shared/webhooks/answers.ts";
import { applyResendEvent, resendEvent } from "../_shared/webhooks/resend_events.ts";
import { queueForRetry } from "../_shared/webhooks/retry_queue.ts";
import type { Sql } from "../_shared/db.ts";
import type { StandardSignatureVerifier } from "../_shared/wasm.ts";

export interface ResendWebhookDeps {
  sql: Sql;
  verifier: StandardSignatureVerifier;
  now?: () => number;
}

/** A Standard Webhooks header under either of its names. */
function header(req: Request, name: "id" | "timestamp" | "signature"): string | null {
  return req.headers.get(`webhook-${name}`) ?? req.headers.get(`svix-${name}`);
}

const svixId = /^[\x21-\x7e]{1,255}$/;

export async function handleResendWebhook(
  req: Request,
  deps: ResendWebhookDeps,
  ctx: RequestContext,
): Promise<Response> {
  if (req.method !== "POST") throw methodNotAllowed(["POST"]);
  const body = await readRawBody(req, maxWebhookBytes);
  const id = header(req, "id"), timestamp = header(req, "timestamp"), signature = header(req, "signature");
  if (id === null || !svixId.test(id)) return signatureRefused("webhook-id", "missing_id");
  if (timestamp === null) return signatureRefused("webhook-timestamp", "missing_timestamp");
  if (signature === null) return signatureRefused("webhook-signature", "no_signature");
  const nowMs = (deps.now ?? Date.now)();
  const verdict = deps.verifier.verify(id, timestamp, signature, body, Math.floor(nowMs / 1000));
  if (!verdict.ok) return signatureRefused("webhook-signature", verdict.reason);
  const event = resendEvent(id, parseJsonObject(body));
  try {
    return acknowledged(await applyResendEvent(deps.sql, event));
  } catch (e) {
    const retry = await queueForRetry(deps.sql, "resend", id, event, e, nowMs);
    ctx.log.log("warn", "resend event queued for retry", {
      event: id,
      type: event.type,
      retry,
      error: describeError(e),
    });
    return acknowledged("queued_for_retry");
  }
}
