// Stripe webhooks per second end to end: 16 senders post signed checkout.session.completed
// events through the gateway to stripe-webhook (verify, dedupe, prepare the tickets with their
// QR e-mails, apply, answer), one in ten a repeat of an earlier event; against the ceiling
// pgbench reaches with 16 clients calling apply_stripe_event alone, with the same ticket and
// e-mail payload, on the same database.
import { connect } from "../../edge-functions/_shared/db.ts";
import { prepareTickets } from "../../edge-functions/_shared/tickets.ts";
import { QrKeys, signStripe } from "../../edge-functions/_shared/wasm.ts";
import { dbUrl, functionsUrl, qrSigningKeys, stripeWebhookSecret } from "../support/stack.ts";
import { checkoutSession, createPendingOrders, type PendingOrder, stripeEvent } from "../support/webhooks.ts";
import { pgbench as runPgbench } from "./lib/pgbench.ts";
import { report } from "./lib/report.ts";

const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 8);
const senders = 16;
const sql = connect(dbUrl, 4);
const keys = new QrKeys(qrSigningKeys);

const pgbench = (clients: number, script: string) => runPgbench(dbUrl, clients, seconds, script);

/** Removes the run's rows, so every run starts from the same tables and the queue sends nothing of ours. */
async function cleanUp(orders: PendingOrder[]): Promise<void> {
  const emails = orders.map((o) => o.email);
  for (let i = 0; i < emails.length; i += 5000) {
    await sql`delete from public.email_queue where to_email in ${sql(emails.slice(i, i + 5000))}`;
  }
}

/**
 * The ceiling: apply_stripe_event alone, each call paying a new order of one ticket with the
 * ticket and e-mail (its QR image included) that stripe-webhook would prepare.
 */
async function applyTps(): Promise<number> {
  const { eventId, orders } = await createPendingOrders(sql, 20_000, 1);
  const [template] = prepareTickets(keys, {
    orderId: orders[0].orderId,
    eventId: crypto.randomUUID(),
    eventName: "Webhook test event",
    quantity: 1,
    email: orders[0].email,
  });
  await sql`drop schema if exists bench cascade`;
  await sql`create schema bench`;
  await sql`create table bench.orders as
    select row_number() over () as n, o.id, o.stripe_checkout_session_id as session
      from public.orders o where o.event_id = ${eventId}`;
  await sql`create index on bench.orders (n)`;
  await sql`create sequence bench.next`;
  // A function body takes no parameters: the e-mail goes in as a dollar-quoted literal.
  const email = JSON.stringify(templateEmail(template));
  if (email.includes("$email$")) throw new Error("the template e-mail cannot be quoted");
  await sql.unsafe(`create function bench.apply(p_n bigint) returns text language sql as $$
    select public.apply_stripe_event('evt_bench_' || o.n || '_' || o.id, 'checkout.session.completed',
             jsonb_build_object('id', o.session, 'payment_status', 'paid', 'metadata', jsonb_build_object('order_id', o.id)),
             jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'code', 'v1.bench.' || gen_random_uuid(),
               'email', jsonb_set($email$${email}$email$::jsonb, '{idempotency_key}', to_jsonb('bench/' || o.id::text)))),
             'bench')
      from bench.orders o where o.n = p_n
  $$`);
  await sql`insert into public.email_settings (queue) values ('bench') on conflict do nothing`;
  try {
    return await pgbench(senders, "select bench.apply(nextval('bench.next'));\n");
  } finally {
    await sql`drop schema bench cascade`;
    await sql`delete from public.email_queue where queue = 'bench'`;
    await cleanUp(orders);
  }
}

function templateEmail(t: ReturnType<typeof prepareTickets>[number]) {
  const e = t.email;
  return { to: e.to, subject: e.subject, html: e.html, text: e.text, tags: e.tags, attachments: e.attachments };
}

/** Events per second through the gateway: each event once, and one in ten of them twice. */
async function gatewayRate(): Promise<{ rate: number; paid: number; duplicates: number; failed: number }> {
  const count = seconds * 250;
  const { orders } = await createPendingOrders(sql, count, 1);
  const now = Math.floor(Date.now() / 1000);
  const bodies = orders.map((o) => JSON.stringify(stripeEvent("checkout.session.completed", checkoutSession(o))));
  const items = bodies.flatMap((b, i) => (i % 10 === 9 ? [b, bodies[i - 5]] : [b]));
  // Signed before the clock starts: the client's work is not the server's.
  const signed = items.map((body) => ({ body, signature: signStripe(body, stripeWebhookSecret, now) }));
  let next = 0, paid = 0, duplicates = 0, failed = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: senders }, async () => {
    while (next < signed.length) {
      const { body, signature } = signed[next++];
      const res = await fetch(`${functionsUrl}/stripe-webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body,
      });
      const outcome = res.ok ? (await res.json()).outcome : (await res.body?.cancel(), "failed");
      if (outcome === "paid") paid++;
      else if (outcome === "duplicate") duplicates++;
      else failed++;
    }
  }));
  const rate = signed.length / ((performance.now() - started) / 1000);
  await cleanUp(orders);
  return { rate, paid, duplicates, failed };
}

try {
  const ceiling = await applyTps();
  const ours = await gatewayRate();
  report("pgbench_apply_stripe_event_tps_c16", ceiling.toFixed(0), "tps (one ticket with its QR e-mail each)");
  report(
    "stripe_webhooks_per_second_c16",
    ours.rate.toFixed(0),
    `events/s (${ours.paid} paid, ${ours.duplicates} duplicates)`,
  );
  report("stripe_webhooks_over_pgbench_apply", ((100 * ours.rate) / ceiling).toFixed(1), "%");
  if (ours.failed !== 0) throw new Error(`${ours.failed} deliveries were neither applied nor duplicates`);
} finally {
  await sql.end();
}
