// Webhooks that never lose an event: a real checkout through create-checkout, completed by the
// stack's fake Stripe, which signs and delivers its webhooks as Stripe does (duplicated,
// reordered, stale or tampered on command); a poison event through the retry queue on an
// injected clock, to its dead letter and back; and a bounce the fake Resend reports, which
// suppresses the address.
import { connect, type Sql } from "../../edge-functions/_shared/db.ts";
import { logger } from "../../edge-functions/_shared/log.ts";
import { QrKeys } from "../../edge-functions/_shared/wasm.ts";
import { runWebhookRetries } from "../../edge-functions/process-webhook-retries/processor.ts";
import { createQueue, dropQueue } from "../../tests/support/email.ts";
import { dbUrl, fn, functionsUrl, qrSigningKeys, repoRoot, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { checkoutSession, createPendingOrders, deliverStripe, stripeEvent } from "../../tests/support/webhooks.ts";
import { expect, type Step } from "./report.ts";

const fakeStripe = `http://127.0.0.1:${Deno.env.get("USHER_FAKE_STRIPE_PORT") ?? 54410}`;
const fakeResend = `http://127.0.0.1:${Deno.env.get("USHER_FAKE_RESEND_PORT") ?? 54412}`;

interface Delivery {
  event?: string;
  status: number;
  body: { outcome?: string; error?: { reason?: string } };
}

async function control<T>(base: string, path: string, body: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });
  const answer = await res.json();
  expect(res.ok, `the fake refused ${path}: ${JSON.stringify(answer)}`);
  return answer as T;
}

const describe = (d: Delivery) => `${d.status} ${d.body.outcome ?? d.body.error?.reason ?? ""}`.trim();

/** A demo buyer's checkout of `quantity` tickets through create-checkout: its order and session. */
async function checkout(sql: Sql, quantity: number): Promise<{ orderId: string; sessionId: string; email: string }> {
  const userId = crypto.randomUUID();
  const email = `buyer-${userId.slice(0, 8)}@usher.example`;
  await sql`insert into auth.users (id, email) values (${userId}, ${email})`;
  const [{ id: eventId }] = await sql`
    insert into public.events (name, starts_at, venue) values ('Webhook demo night', now() + interval '30 days', 'Hall 3')
    returning id`;
  // The per-IP checkout limit keys on the caller's address: a loopback address of its own.
  const b = crypto.getRandomValues(new Uint8Array(2));
  const client = Deno.createHttpClient({ localAddress: `127.78.${b[0]}.${1 + (b[1] % 254)}` });
  try {
    const res = await fetch(`${functionsUrl}/create-checkout`, {
      client,
      method: "POST",
      headers: { authorization: `Bearer ${await userJwt(userId)}`, "content-type": "application/json" },
      body: JSON.stringify({ event_id: eventId, quantity }),
    });
    const body = await res.json();
    expect(res.status === 201, `create-checkout answered ${res.status}: ${JSON.stringify(body)}`);
    const [{ session }] = await sql`
      select stripe_checkout_session_id as session from public.orders where id = ${body.order_id}`;
    return { orderId: body.order_id, sessionId: session, email };
  } finally {
    client.close();
  }
}

async function order(sql: Sql, orderId: string): Promise<{ status: string; tickets: string[] }> {
  const [o] = await sql`select status from public.orders where id = ${orderId}`;
  const tickets = await sql`select status from public.tickets where order_id = ${orderId} order by status`;
  return { status: o.status, tickets: tickets.map((t) => t.status) };
}

const ticketsText = (o: { status: string; tickets: string[] }) =>
  `order ${o.status}, ${o.tickets.length} ticket${o.tickets.length === 1 ? "" : "s"} ${
    [...new Set(o.tickets)].join("/")
  }`;

async function withSql<T>(f: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(dbUrl, 2);
  try {
    return await f(sql);
  } finally {
    await sql.end();
  }
}

/** A poison event: a completion whose order is not recorded (yet). Answers it and how to fix it. */
async function poison(sql: Sql) {
  const { eventId, orders: [template] } = await createPendingOrders(sql, 1, 1);
  const o = { ...template, orderId: crypto.randomUUID(), sessionId: `cs_demo_${crypto.randomUUID().slice(0, 8)}` };
  const event = stripeEvent("checkout.session.completed", checkoutSession(o));
  const fix = () =>
    sql`insert into public.orders (id, user_id, event_id, status, amount_cents, quantity, stripe_checkout_session_id)
        values (${o.orderId}, ${o.userId}, ${eventId}, 'pending', 2500, 1, ${o.sessionId})`;
  return { event, orderId: o.orderId, fix };
}

async function retryRow(sql: Sql, eventId: string) {
  const [r] =
    await sql`select status, attempts, next_retry_at from public.webhook_retry_queue where event_id = ${eventId}`;
  return r as { status: string; attempts: number; next_retry_at: Date };
}

/** One retry run as process-webhook-retries makes it, at the time the row falls due. */
function runAt(sql: Sql, queue: string, at: number) {
  return runWebhookRetries(
    {
      sql,
      keys: new QrKeys(qrSigningKeys),
      emailQueue: queue,
      log: logger({ demo: "webhooks" }, () => {}),
      now: () => at,
    },
    { worker: `demo/${crypto.randomUUID()}`, budgetMs: 0 },
  );
}

let paidCheckout: { orderId: string; email: string } | undefined;

export const webhookSteps: Step[] = [
  {
    title:
      "a checkout completed: the fake Stripe's signed webhook pays the order, issues its tickets, and the ticket e-mail goes out",
    run: (say) =>
      withSql(async (sql) => {
        const c = await checkout(sql, 2);
        say(`create-checkout → order ${c.orderId.slice(0, 8)}…, session ${c.sessionId.slice(0, 16)}…`);
        const { deliveries } = await control<{ deliveries: Delivery[] }>(fakeStripe, "/__complete", {
          session: c.sessionId,
        });
        say(`fake Stripe → checkout.session.completed → stripe-webhook: ${deliveries.map(describe).join(", ")}`);
        const state = await order(sql, c.orderId);
        say(ticketsText(state));
        // What pg_cron does every minute, now: one run of the e-mail processor.
        const run = await fn("process-email-queue", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ budget_ms: 5_000 }),
        }, stackEnv.SUPABASE_SERVICE_ROLE_KEY);
        say(`process-email-queue → ${run.status} ${JSON.stringify(await run.json())}`);
        const mails = await sql`select status, provider_message_id from public.email_queue where to_email = ${c.email}`;
        say(`ticket e-mails: ${mails.map((m) => m.status).join(", ")}`);
        expect(state.status === "paid" && state.tickets.length === 2, "the order was not paid with its two tickets");
        expect(mails.length === 2 && mails.every((m) => m.status === "sent"), "the ticket e-mails were not sent");
        paidCheckout = c;
        return "order paid, 2 tickets with signed codes, 2 ticket e-mails sent through the fake Resend";
      }),
  },
  {
    title: "the same event delivered five times at once: one effect",
    run: (say) =>
      withSql(async (sql) => {
        const c = await checkout(sql, 3);
        const event = await control<{ id: string }>(fakeStripe, "/__events", {
          session: c.sessionId,
          type: "checkout.session.completed",
        });
        const { deliveries } = await control<{ deliveries: Delivery[] }>(fakeStripe, "/__deliver", {
          events: [event.id],
          copies: 5,
          concurrent: true,
        });
        say(`5 deliveries of ${event.id.slice(0, 12)}… → ${deliveries.map(describe).join(", ")}`);
        const state = await order(sql, c.orderId);
        const [{ mails }] =
          await sql`select count(*)::int as mails from public.email_queue where to_email = ${c.email}`;
        say(`${ticketsText(state)}; ${mails} ticket e-mails queued`);
        const paid = deliveries.filter((d) => d.body.outcome === "paid").length;
        expect(paid === 1 && state.tickets.length === 3 && mails === 3, "the repeats had an effect");
        return "one paid, four duplicates; 3 tickets and 3 e-mails, not 15";
      }),
  },
  {
    title: "a forged and a stale webhook are refused with their reason and change nothing",
    run: (say) =>
      withSql(async (sql) => {
        const c = await checkout(sql, 1);
        const event = await control<{ id: string }>(fakeStripe, "/__events", {
          session: c.sessionId,
          type: "checkout.session.completed",
        });
        const forged = await control<{ deliveries: Delivery[] }>(fakeStripe, "/__deliver", {
          events: [event.id],
          tamper: true,
        });
        const stale = await control<{ deliveries: Delivery[] }>(fakeStripe, "/__deliver", {
          events: [event.id],
          timestamp: Math.floor(Date.now() / 1000) - 600,
        });
        say(`body changed after signing → ${describe(forged.deliveries[0])}`);
        say(`signed 10 minutes ago → ${describe(stale.deliveries[0])}`);
        const state = await order(sql, c.orderId);
        say(ticketsText(state));
        expect(
          forged.deliveries[0].status === 400 && stale.deliveries[0].status === 400,
          "a bad signature was accepted",
        );
        expect(state.status === "pending" && state.tickets.length === 0, "a refused webhook changed the order");
        return "400 mismatch and 400 timestamp_too_old; the order is still pending";
      }),
  },
  {
    title: "a refund that arrives before the completion it refunds: the same end as in order",
    run: (say) =>
      withSql(async (sql) => {
        const c = await checkout(sql, 2);
        const completed = await control<{ id: string }>(fakeStripe, "/__events", {
          session: c.sessionId,
          type: "checkout.session.completed",
        });
        const refunded = await control<{ id: string }>(fakeStripe, "/__events", {
          session: c.sessionId,
          type: "charge.refunded",
        });
        const { deliveries } = await control<{ deliveries: Delivery[] }>(fakeStripe, "/__deliver", {
          events: [completed.id, refunded.id],
          order: "reverse",
        });
        say(`charge.refunded, then checkout.session.completed → ${deliveries.map(describe).join(", ")}`);
        const state = await order(sql, c.orderId);
        const [{ mails }] =
          await sql`select count(*)::int as mails from public.email_queue where to_email = ${c.email}`;
        say(`${ticketsText(state)}; ${mails} ticket e-mails`);
        expect(
          state.status === "refunded" && state.tickets.every((t) => t === "refunded"),
          "the early refund was lost",
        );
        return "order refunded, its 2 tickets refunded (the door refuses them as revoked), no ticket e-mail";
      }),
  },
  {
    title: "a failing apply is queued, Stripe gets 200, and the retry succeeds once the cause is fixed",
    run: (say) =>
      withSql(async (sql) => {
        const queue = await createQueue(sql);
        try {
          const p = await poison(sql);
          const res = await deliverStripe(JSON.stringify(p.event));
          say(`completion for an order not recorded yet → ${res.status} ${(await res.json()).outcome}`);
          let row = await retryRow(sql, p.event.id);
          say(
            `retry queue: ${row.status}, try ${row.attempts} failed, next in ${
              Math.round((row.next_retry_at.getTime() - Date.now()) / 1000)
            } s`,
          );
          const first = row.next_retry_at.getTime();
          await runAt(sql, queue, first);
          row = await retryRow(sql, p.event.id);
          say(
            `+1 min: try ${row.attempts} fails too; next ${
              Math.round((row.next_retry_at.getTime() - first) / 60000)
            } min later`,
          );
          await p.fix();
          say("the order is recorded");
          const report = await runAt(sql, queue, row.next_retry_at.getTime());
          row = await retryRow(sql, p.event.id);
          const state = await order(sql, p.orderId);
          say(`+5 min: ${JSON.stringify(report)} → ${row.status}; ${ticketsText(state)}`);
          expect(row.status === "succeeded" && state.status === "paid", "the retry did not apply the event");
          return "queued, retried on the 1 min / 5 min schedule (clock injected), applied once";
        } finally {
          await dropQueue(sql, queue);
        }
      }),
  },
  {
    title: "a dead letter, replayed by event id with tools/webhook-retries.ts, applies once",
    run: (say) =>
      withSql(async (sql) => {
        const queue = await createQueue(sql);
        try {
          const p = await poison(sql);
          await deliverStripe(JSON.stringify(p.event));
          for (
            let row = await retryRow(sql, p.event.id);
            row.status === "pending";
            row = await retryRow(sql, p.event.id)
          ) {
            await runAt(sql, queue, row.next_retry_at.getTime());
          }
          const dead = await retryRow(sql, p.event.id);
          say(`after ${dead.attempts} tries on 1 min, 5 min, 30 min, 2 h, 24 h: ${dead.status}`);
          await p.fix();
          const tool = await new Deno.Command("deno", {
            args: ["run", "--allow-all", `${repoRoot}tools/webhook-retries.ts`, "replay", "--event", p.event.id],
            env: { SUPABASE_DB_URL: dbUrl },
          }).output();
          say(
            `webhook-retries.ts replay --event ${p.event.id.slice(0, 12)}… → ${
              new TextDecoder().decode(tool.stdout).trim()
            }`,
          );
          await runAt(sql, queue, Date.now());
          const state = await order(sql, p.orderId);
          const row = await retryRow(sql, p.event.id);
          say(`next run → ${row.status}; ${ticketsText(state)}`);
          expect(
            dead.status === "dead_letter" && row.status === "succeeded" && state.tickets.length === 1,
            "the replay failed",
          );
          return "dead letter after the sixth try, replayed, applied once";
        } finally {
          await dropQueue(sql, queue);
        }
      }),
  },
  {
    title: "a hard bounce reported by Resend's webhook suppresses the address: its next e-mail is not sent",
    run: (say) =>
      withSql(async (sql) => {
        expect(paidCheckout !== undefined, "the first step's ticket e-mails are needed");
        const { email } = paidCheckout!;
        const [mail] =
          await sql`select id, provider_message_id from public.email_queue where to_email = ${email} limit 1`;
        const { deliveries } = await control<{ deliveries: Delivery[] }>(fakeResend, "/__webhook", {
          email_id: mail.provider_message_id,
          type: "email.bounced",
          bounce: { type: "Permanent", subType: "General" },
          copies: 2,
        });
        say(
          `fake Resend → email.bounced (Permanent), twice under one svix-id → ${deliveries.map(describe).join(", ")}`,
        );
        const [state] = await sql`select * from public.email_delivery_states(${[mail.id]}::uuid[])`;
        say(`the ticket e-mail's delivery state: ${state.delivery_state}`);
        const queue = await createQueue(sql);
        try {
          await sql`select * from public.enqueue_email(${email}, 'Doors open at 7', '<p>See you</p>', null, '[]', null, null, 5, ${queue})`;
          const claimed = await sql`select * from public.claim_email_batch('demo', 10, ${queue})`;
          const [{ status }] = await sql`select status from public.email_queue where queue = ${queue}`;
          say(`a new e-mail to ${email}: claimed ${claimed.length}, status ${status}`);
          expect(
            state.delivery_state === "bounced" && claimed.length === 0 && status === "suppressed",
            "the bounce did not suppress",
          );
        } finally {
          await dropQueue(sql, queue);
        }
        return "bounced, suppressed: the queue does not send to the address again";
      }),
  },
];
