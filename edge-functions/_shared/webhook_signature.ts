// Webhook signatures through the wasm core (crates/usher-webhook): Stripe's `Stripe-Signature`
// and Standard Webhooks (Svix, as Resend sends them). Re-exported from wasm.ts, the one typed
// API; a module of its own only to keep that file short. Each verifier checks its secrets once
// and keeps them in wasm memory for the life of the function instance, so no secret crosses
// the boundary per webhook, and a verification answers a number that this module types.
import * as core from "../../pkg/deno/mod.js";

/** Why a webhook was refused: crates/usher-webhook's `Refusal::ALL`, in its order. */
export type WebhookRefusal =
  | "missing_timestamp"
  | "bad_timestamp"
  | "malformed_header"
  | "no_signature"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "bad_secret"
  | "mismatch";

export type StripeVerification = { ok: true; timestamp: number } | { ok: false; reason: WebhookRefusal };
export type StandardVerification = { ok: true } | { ok: false; reason: WebhookRefusal };

// Asked of the core at the first refusal, not at import, as wasm.ts does with the QR reasons:
// most functions never refuse a webhook, and every call into wasm at import is cold-start time.
let refusals: WebhookRefusal[] | undefined;
const encoder = new TextEncoder();

/** The reason a verifier's answer `-1 - i` stands for. */
function refusal(answer: number): WebhookRefusal {
  return (refusals ??= core.webhookRefusals() as WebhookRefusal[])[-1 - answer];
}

function bytes(payload: Uint8Array | string): Uint8Array {
  return typeof payload === "string" ? encoder.encode(payload) : payload;
}

/**
 * Verifies `Stripe-Signature` against the endpoint's secrets (several during a rotation). A
 * timestamp more than `toleranceS` (300) from now is refused on either side: unlike Stripe's
 * library, a future one too, since Stripe signs each delivery as it sends it.
 */
export class StripeSignatureVerifier {
  readonly #core: core.StripeWebhookVerifier;

  /** Throws a TypeError naming the position (never the value) of an empty secret, or for no secret. */
  constructor(secrets: readonly string[], toleranceS?: number) {
    this.#core = new core.StripeWebhookVerifier([...secrets], toleranceS);
  }

  /** `payload` is the raw body, byte for byte. Throws only for a `nowSeconds` that is not an integer. */
  verify(payload: Uint8Array, header: string, nowSeconds: number): StripeVerification {
    const answer = this.#core.verify(payload, header, nowSeconds);
    return answer >= 0 ? { ok: true, timestamp: answer } : { ok: false, reason: refusal(answer) };
  }
}

/**
 * Verifies a Standard Webhooks request against `whsec_<base64>` secrets (several during a
 * rotation), within `toleranceS` (300) of now on either side. The values are those of
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` (or their `svix-` twins).
 */
export class StandardSignatureVerifier {
  readonly #core: core.StandardWebhookVerifier;

  /** Throws a TypeError naming the position (never the value) of a secret that is not base64, or for no secret. */
  constructor(secrets: readonly string[], toleranceS?: number) {
    this.#core = new core.StandardWebhookVerifier([...secrets], toleranceS);
  }

  /** `payload` is the raw body, byte for byte. Throws only for a `nowSeconds` that is not an integer. */
  verify(
    id: string,
    timestamp: string,
    signatureHeader: string,
    payload: Uint8Array,
    nowSeconds: number,
  ): StandardVerification {
    const answer = this.#core.verify(id, timestamp, signatureHeader, payload, nowSeconds);
    return answer === 0 ? { ok: true } : { ok: false, reason: refusal(answer) };
  }
}

/** The whole `Stripe-Signature` value, `t=…,v1=…`, Stripe would send for `payload` at `timestamp`: for tests and fakes. */
export function signStripe(payload: Uint8Array | string, secret: string, timestamp: number): string {
  return core.webhookSignStripe(bytes(payload), secret, timestamp);
}

/** The `webhook-signature` value, `v1,<base64>`, for a Standard Webhooks request: for tests and fakes. */
export function signStandard(id: string, timestamp: number, payload: Uint8Array | string, secret: string): string {
  return core.webhookSignStandard(id, timestamp, bytes(payload), secret);
}
