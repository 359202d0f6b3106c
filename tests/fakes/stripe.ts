// A fake of the one Stripe endpoint Usher calls: POST /v1/checkout/sessions, form-encoded,
// answering with a session object. It checks what Stripe checks that we could get wrong
// (the bearer key, the form encoding, the required fields) and keeps Stripe's idempotency
// rules: the first answer for an Idempotency-Key is saved, a failure on command included,
// and replayed for every later request with that key; the key with other parameters is
// refused with a 400 idempotency_error. As at Stripe, a request refused by validation saves
// nothing.
//
// It also sends the webhooks Stripe would send about the sessions it made, on command (POST
// a JSON object; a command that is wrong gets a 400 naming the field, and none is recorded):
// - /__events {"session","type","payment_status"?,"amount_refunded"?} makes an event about a
//   session: a checkout.session.* type carries the session in the state the type means, and
//   charge.refunded the charge of its payment intent, refunded in full unless amount_refunded
//   says how much. The answer is the event, stored for /__deliver; 404 for an unknown session.
// - /__deliver {"events":[ids],"copies"?,"order"?,"concurrent"?,"delay_ms"?,"timestamp"?,
//   "tamper"?} POSTs each event `copies` times (each event's copies side by side), in the
//   order given, reversed or shuffled, one after another or all at once, waiting delay_ms
//   before each; signed as of `timestamp` (unix seconds) if given, to show a stale signature
//   refused, and with `tamper` the body is sent under another event id than the one signed,
//   as a forger replaying a captured event would. Signed by Stripe's own library, so that our
//   verifier is held to Stripe's signing rather than to itself. The answer lists each delivery
//   in the order sent: {"deliveries":[{"event","status","body"}]}.
// - /__complete {"session","copies"?} makes a checkout.session.completed (paid) and delivers
//   it; the answer is /__deliver's with the event.
// The commands are served by a front (webhook_sender.ts) that relays the API to fake.ts.
import Stripe from "npm:stripe@23.1.0";
import { type Fake, type Recorded, startFake } from "./fake.ts";
import {
  command,
  copiesOf,
  noEndpoint,
  notMade,
  send,
  type Sent,
  serveControls,
  type WebhookEndpoint,
} from "./webhook_sender.ts";

export interface FakeStripeOptions {
  port?: number;
  /** Where events are delivered, signed with the whole whsec_… string as Stripe keys it. */
  webhook?: WebhookEndpoint;
}

export interface StripeEventJson {
  id: string;
  object: "event";
  type: string;
  data: { object: Record<string, unknown> };
  [field: string]: unknown;
}

type Saved = { params: string; status: number; body: unknown };
type Session = Record<string, unknown> & { id: string; amount_total: number; currency: string | null };
type Order = "given" | "reverse" | "shuffle";
type Delivery = { events: string[]; copies: number; order: Order; concurrent: boolean } & Signing;
type Signing = { delayMs: number; timestamp?: number; tamper: boolean };

// What a checkout event says of its session. A completed session can be unpaid: the buyer
// chose a delayed method, and async_payment_succeeded or _failed follows.
const CHECKOUT_STATES: Record<string, { status: string; payment_status: string }> = {
  "checkout.session.completed": { status: "complete", payment_status: "paid" },
  "checkout.session.async_payment_succeeded": { status: "complete", payment_status: "paid" },
  "checkout.session.async_payment_failed": { status: "complete", payment_status: "unpaid" },
  "checkout.session.expired": { status: "expired", payment_status: "unpaid" },
};
const EVENT_TYPES = [...Object.keys(CHECKOUT_STATES), "charge.refunded"];
const ORDERS = ["given", "reverse", "shuffle"];
const MAX_DELAY_MS = 60_000;
// What server.ts reads the endpoint from, for the answer to a delivery it cannot make.
const ENDPOINT_VARIABLES = "USHER_STRIPE_WEBHOOK_URL and STRIPE_WEBHOOK_SECRETS";
const STRIPE_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
};

/** An id as Stripe writes them: the object's prefix and 24 letters and digits. */
const stripeId = (prefix: string) => prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);

export function startFakeStripe(options: FakeStripeOptions = {}): Fake {
  const saved = new Map<string, Saved>();
  const sessions = new Map<string, { session: Session; paymentIntent: string; email: string | null }>();
  const events = new Map<string, StripeEventJson>();
  const inner = startFake(0, (req: Recorded, failure) => {
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
    // As at Stripe, the payment intent exists only once the buyer pays, so the session
    // answered has none; the fake draws it now for the events it will send.
    const session: Session = {
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
      payment_status: "unpaid",
      payment_intent: null,
    };
    sessions.set(id, { session, paymentIntent: stripeId("pi_"), email: form.get("customer_email") });
    if (key) saved.set(key, { params: req.body, status: 200, body: session });
    return Response.json(session);
  });

  /** An event of `type` about a session, stored for delivery. */
  function eventAbout(sessionId: string, type: string, paymentStatus?: string, amountRefunded?: number) {
    const made = sessions.get(sessionId);
    if (!made) return null;
    const { session, paymentIntent, email } = made;
    const state = CHECKOUT_STATES[type];
    const object = state
      ? {
        ...session,
        url: null,
        status: state.status,
        payment_status: paymentStatus ?? state.payment_status,
        payment_intent: paymentIntent,
        customer_details: { email, name: null, phone: null, address: null, tax_exempt: "none", tax_ids: [] },
      }
      : {
        id: stripeId("ch_"),
        object: "charge",
        amount: session.amount_total,
        amount_refunded: amountRefunded ?? session.amount_total,
        refunded: (amountRefunded ?? session.amount_total) === session.amount_total,
        payment_intent: paymentIntent,
        currency: session.currency,
      };
    const event = stripeEvent(type, object);
    events.set(event.id, event);
    return event;
  }

  async function deliver(endpoint: WebhookEndpoint, d: Delivery): Promise<({ event: string } & Sent)[]> {
    const list = d.events.flatMap((id) => Array<StripeEventJson>(d.copies).fill(events.get(id)!));
    if (d.order === "reverse") list.reverse();
    if (d.order === "shuffle") shuffle(list);
    const one = async (event: StripeEventJson) => {
      await new Promise((resolve) => setTimeout(resolve, d.delayMs));
      return { event: event.id, ...(await sendSigned(endpoint, event, d)) };
    };
    if (d.concurrent) return Promise.all(list.map(one));
    const sent = [];
    for (const event of list) sent.push(await one(event));
    return sent;
  }

  const front = serveControls(options.port ?? 0, inner.url, {
    "/__events": (req) =>
      command(req, parseEvent, (c) => {
        const event = eventAbout(c.session, c.type, c.paymentStatus, c.amountRefunded);
        return Promise.resolve(event ? Response.json(event) : notMade(`Checkout Session ${c.session}`));
      }),
    "/__deliver": (req) =>
      command(req, parseDelivery, async (d) => {
        if (!options.webhook) return noEndpoint(ENDPOINT_VARIABLES);
        const missing = d.events.find((id) => !events.has(id));
        if (missing) return notMade(`event ${missing}`);
        return Response.json({ deliveries: await deliver(options.webhook, d) });
      }),
    "/__complete": (req) =>
      command(req, parseCompletion, async (c) => {
        if (!options.webhook) return noEndpoint(ENDPOINT_VARIABLES);
        const event = eventAbout(c.session, "checkout.session.completed", "paid");
        if (!event) return notMade(`Checkout Session ${c.session}`);
        const deliveries = await deliver(options.webhook, {
          events: [event.id],
          copies: c.copies,
          order: "given",
          concurrent: false,
          delayMs: 0,
          tamper: false,
        });
        return Response.json({ event, deliveries });
      }),
  });
  return {
    url: front.url,
    requests: inner.requests,
    failNext: inner.failNext,
    async close() {
      await front.close();
      await inner.close();
    },
  };
}

/** A new event of `type` about `object`, as Stripe's API of the pinned library's version sends it. */
export function stripeEvent(type: string, object: Record<string, unknown>): StripeEventJson {
  return {
    id: stripeId("evt_"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** Sends one event with a Stripe-Signature made by Stripe's library. */
async function sendSigned(endpoint: WebhookEndpoint, event: StripeEventJson, s: Signing): Promise<Sent> {
  // Stripe sends its events indented by two spaces; the signature covers those exact bytes.
  const payload = JSON.stringify(event, null, 2);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: endpoint.secret,
    timestamp: s.timestamp,
  });
  const body = s.tamper ? JSON.stringify({ ...event, id: stripeId("evt_") }, null, 2) : payload;
  return send(endpoint.url, { ...STRIPE_HEADERS, "stripe-signature": signature }, body);
}

function parseEvent(c: Record<string, unknown>) {
  if (typeof c.session !== "string") return "session must be the id of a Checkout Session the fake made";
  if (typeof c.type !== "string" || !EVENT_TYPES.includes(c.type)) {
    return `type must be one of ${EVENT_TYPES.join(", ")}`;
  }
  const checkout = c.type in CHECKOUT_STATES;
  if (c.payment_status !== undefined && !(checkout && (c.payment_status === "paid" || c.payment_status === "unpaid"))) {
    return 'payment_status must be "paid" or "unpaid", and only for a checkout.session event';
  }
  if (
    c.amount_refunded !== undefined &&
    !(!checkout && Number.isSafeInteger(c.amount_refunded) && (c.amount_refunded as number) > 0)
  ) {
    return "amount_refunded must be a positive whole number of the currency's smallest unit, and only for charge.refunded";
  }
  return {
    session: c.session,
    type: c.type,
    paymentStatus: c.payment_status as string | undefined,
    amountRefunded: c.amount_refunded as number | undefined,
  };
}

function parseDelivery(c: Record<string, unknown>): Delivery | string {
  if (!Array.isArray(c.events) || c.events.length === 0 || !c.events.every((id) => typeof id === "string")) {
    return "events must be a non-empty list of event ids";
  }
  const copies = copiesOf(c.copies);
  if (typeof copies === "string") return copies;
  if (c.order !== undefined && !ORDERS.includes(c.order as string)) return `order must be one of ${ORDERS.join(", ")}`;
  if (c.concurrent !== undefined && typeof c.concurrent !== "boolean") return "concurrent must be true or false";
  if (c.delay_ms !== undefined && !(typeof c.delay_ms === "number" && c.delay_ms >= 0 && c.delay_ms <= MAX_DELAY_MS)) {
    return `delay_ms must be a number of milliseconds from 0 to ${MAX_DELAY_MS}`;
  }
  if (c.timestamp !== undefined && !(Number.isSafeInteger(c.timestamp) && (c.timestamp as number) > 0)) {
    return "timestamp must be a positive whole number of unix seconds";
  }
  if (c.tamper !== undefined && typeof c.tamper !== "boolean") return "tamper must be true or false";
  return {
    events: c.events,
    copies,
    order: (c.order as Order | undefined) ?? "given",
    concurrent: c.concurrent === true,
    delayMs: (c.delay_ms as number | undefined) ?? 0,
    timestamp: c.timestamp as number | undefined,
    tamper: c.tamper === true,
  };
}

function parseCompletion(c: Record<string, unknown>) {
  if (typeof c.session !== "string") return "session must be the id of a Checkout Session the fake made";
  const copies = copiesOf(c.copies);
  return typeof copies === "string" ? copies : { session: c.session, copies };
}

/** Fisher–Yates, in place. */
function shuffle<T>(list: T[]) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
}

function stripeError(status: number, type: string, message: string): Response {
  return Response.json({ error: { type, message } }, { status });
}
