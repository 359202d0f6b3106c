// The Stripe adapter: the one call Usher makes, creating a Checkout Session, over fetch
// with a configurable base URL so tests reach a local fake. The request is form-encoded
// with bracketed keys, as Stripe's API (and its official client) sends it.
import { describeError } from "../log.ts";

export interface CheckoutSessionInput {
  orderId: string;
  eventName: string;
  unitAmountCents: number;
  currency: string;
  quantity: number;
  successUrl: string;
  cancelUrl: string;
}

export interface CheckoutSession {
  id: string;
  url: string;
}

/** Stripe answered with an error status, or not at all; the message is safe to log. */
export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(readonly provider: string, readonly status: number | null, message: string) {
    super(message);
  }
}

export class StripeClient {
  constructor(
    readonly apiBase: string,
    readonly secretKey: string,
    readonly timeoutMs = 10_000,
  ) {}

  /**
   * Creates a Checkout Session. The order id is Stripe's Idempotency-Key, so calls for one
   * order get one session: a client's retry with the same Idempotency-Key is given the
   * same order id by begin_checkout, while a request without one draws a fresh order id
   * and so a fresh session.
   */
  async createCheckoutSession(input: CheckoutSessionInput): Promise<CheckoutSession> {
    const form = new URLSearchParams({
      mode: "payment",
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      client_reference_id: input.orderId,
      "metadata[order_id]": input.orderId,
      "line_items[0][quantity]": String(input.quantity),
      "line_items[0][price_data][currency]": input.currency,
      "line_items[0][price_data][unit_amount]": String(input.unitAmountCents),
      "line_items[0][price_data][product_data][name]": input.eventName,
    });
    let res: Response;
    try {
      res = await fetch(`${this.apiBase}/v1/checkout/sessions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.secretKey}`,
          "content-type": "application/x-www-form-urlencoded",
          "idempotency-key": `checkout-${input.orderId}`,
        },
        body: form,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ProviderError("stripe", null, `Stripe unreachable: ${describeError(e)}`);
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      // Stripe's error messages describe the request, never the key; keep them short.
      const detail = typeof body?.error?.message === "string" ? body.error.message.slice(0, 200) : "no detail";
      throw new ProviderError("stripe", res.status, `Stripe answered ${res.status}: ${detail}`);
    }
    // The id and url are stored and handed to the customer, so they must be what Stripe's are.
    if (
      typeof body?.id !== "string" || !/^cs_[A-Za-z0-9_]{1,250}$/.test(body.id) ||
      typeof body?.url !== "string" || !/^https:\/\/[\x21-\x7e]{1,2040}$/.test(body.url)
    ) {
      throw new ProviderError("stripe", res.status, "Stripe answered without a session id and url");
    }
    return { id: body.id, url: body.url };
  }
}
