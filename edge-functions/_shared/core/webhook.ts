// Webhook signatures through the wasm core (crates/usher-webhook): Stripe's `Stripe-Signature`
// and Standard Webhooks (Svix, as Resend sends them). Part of api.ts's `bindCore`, the one
// typed API; a module of its own only to keep that file short. Each verifier checks its
// secrets once and keeps them in wasm memory for the life of the instance, so no secret
// crosses the boundary per webhook, and a verification answers a number that this module types.

/** What this module uses of the wasm-bindgen module; see `WasmCore` in api.ts. */
export interface WebhookCore {
  StripeWebhookVerifier: new (secrets: string[], toleranceS?: number) => {
    verify(payload: Uint8Array, header: string, now: number): number;
  };
  StandardWebhookVerifier: new (secrets: string[], toleranceS?: number) => {
    verify(id: string, timestamp: string, signatureHeader: string, payload: Uint8Array, now: number): number;
  };
  webhookRefusals(): string[];
  webhookSignStripe(payload: Uint8Array, secret: string, timestamp: number): string;
  webhookSignStandard(id: string, timestamp: number, payload: Uint8Array, secret: string): string;
}

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

/** The webhook half of the typed API over `wasm`. */
export function webhookApi(wasm: WebhookCore) {
  // Asked of the core at the first refusal, not at binding, as api.ts does with the QR reasons:
  // most functions never refuse a webhook, and every call into wasm at import is cold-start time.
  let refusals: WebhookRefusal[] | undefined;
  const encoder = new TextEncoder();

  /** The reason a verifier's answer `-1 - i` stands for. */
  const refusal = (answer: number): WebhookRefusal =>
    (refusals ??= wasm.webhookRefusals() as WebhookRefusal[])[-1 - answer];

  const bytes = (payload: Uint8Array | string): Uint8Array =>
    typeof payload === "string" ? encoder.encode(payload) : payload;

  /**
   * Verifies `Stripe-Signature` against the endpoint's secrets (several during a rotation). A
   * timestamp more than `toleranceS` (300) from now is refused on either side: unlike Stripe's
   * library, a future one too, since Stripe signs each delivery as it sends it.
   */
  class StripeSignatureVerifier {
    readonly #core: InstanceType<WebhookCore["StripeWebhookVerifier"]>;

    /** Throws a TypeError naming the position (never the value) of an empty secret, or for no secret. */
    constructor(secrets: readonly string[], toleranceS?: number) {
      this.#core = new wasm.StripeWebhookVerifier([...secrets], toleranceS);
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
  class StandardSignatureVerifier {
    readonly #core: InstanceType<WebhookCore["StandardWebhookVerifier"]>;

    /** Throws a TypeError naming the position (never the value) of a secret that is not base64, or for no secret. */
    constructor(secrets: readonly string[], toleranceS?: number) {
      this.#core = new wasm.StandardWebhookVerifier([...secrets], toleranceS);
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

  return {
    StripeSignatureVerifier,
    StandardSignatureVerifier,

    /** The whole `Stripe-Signature` value, `t=…,v1=…`, Stripe would send for `payload` at `timestamp`: for tests and fakes. */
    signStripe(payload: Uint8Array | string, secret: string, timestamp: number): string {
      return wasm.webhookSignStripe(bytes(payload), secret, timestamp);
    },

    /** The `webhook-signature` value, `v1,<base64>`, for a Standard Webhooks request: for tests and fakes. */
    signStandard(id: string, timestamp: number, payload: Uint8Array | string, secret: string): string {
      return wasm.webhookSignStandard(id, timestamp, bytes(payload), secret);
    },
  };
}
