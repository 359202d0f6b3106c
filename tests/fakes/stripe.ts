// A fake of the one Stripe endpoint Usher calls: POST /v1/checkout/sessions, form-encoded,
// answering with a session object. It checks what Stripe checks that we could get wrong
// (the bearer key, the form encoding, the required fields) and keeps Stripe's idempotency
// rules: the first answer for an Idempotency-Key is saved, a failure on command included,
// and replayed for every later request with that key; the key with other parameters is
// refused with a 400 idempotency_error. As at Stripe, a request refused by validation saves
// nothing.
import { type Fake, type Recorded, startFake } from "./fake.ts";

type Saved = { params: string; status: number; body: unknown };

export function startFakeStripe(port = 0): Fake {
  const saved = new Map<string, Saved>();
  return startFake(port, (req: Recorded, failure) => {
    if (req.method !== "POST" || req.path !== "/v1/checkout/sessions") {
      return stripeError(404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${req.path})`);
    }
    if (!/^Bearer sk_(test|live)_\w+$/.test(req.headers["authorization"] ?? "")) {
      return stripeError(401, "invalid_request_error", "Invalid API Key provided");
    }
    if (req.headers["content-type"] !== "application/x-www-form-urlencoded") {
      return stripeError(400, "invalid_request_error", "Content-Type must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams(req.body);
    for (const field of ["mode", "success_url", "line_items[0][quantity]"]) {
      if (!form.get(field)) return stripeError(400, "invalid_request_error", `Missing required param: ${field}.`);
    }
    const key = req.headers["idempotency-key"];
    const earlier = key ? saved.get(key) : undefined;
    if (earlier && earlier.params !== req.body) {
      return stripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
      );
    }
    if (earlier) return Response.json(earlier.body, { status: earlier.status });
    if (failure) {
      const body = { error: { type: "api_error", message: "fake provider failure on command" } };
      if (key) saved.set(key, { params: req.body, status: failure.status, body });
      return Response.json(body, { status: failure.status });
    }
    const id = `cs_test_${crypto.randomUUID().replaceAll("-", "")}`;
    const session = {
      id,
      object: "checkout.session",
      url: `https://checkout.stripe.com/c/pay/${id}`,
      mode: form.get("mode"),
      client_reference_id: form.get("client_reference_id"),
      metadata: { order_id: form.get("metadata[order_id]") },
      amount_total: Number(form.get("line_items[0][price_data][unit_amount]")) *
        Number(form.get("line_items[0][quantity]")),
      currency: form.get("line_items[0][price_data][currency]"),
      status: "open",
    };
    if (key) saved.set(key, { params: req.body, status: 200, body: session });
    return Response.json(session);
  });
}

function stripeError(status: number, type: string, message: string): Response {
  return Response.json({ error: { type, message } }, { status });
}
