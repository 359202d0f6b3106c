// resend-webhook in-process against the real database, with events signed by the Standard
// Webhooks library: both header spellings, refused signatures (the empty `v1,` among them),
// delivery states recorded once per svix id, and a hard bounce that suppresses its address
// in the e-mail queue.
import assert from "node:assert/strict";
import { connect, type Sql } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { StandardSignatureVerifier } from "../_shared/wasm.ts";
import { createQueue } from "../../tests/support/email.ts";
import { dbUrl, resendWebhookSecret } from "../../tests/support/stack.ts";
import { resendEvent, resendHeaders } from "../../tests/support/webhooks.ts";
import { handleResendWebhook } from "./handler.ts";

async function withFunction(
  t: (sql: Sql, post: (body: string, headers: Record<string, string>) => Promise<Response>) => Promise<void>,
) {
  const sql = connect(dbUrl, 2);
  const served = serve("resend-webhook", handleResendWebhook, {
    sql,
    verifier: new StandardSignatureVerifier([resendWebhookSecret]),
  }, () => {});
  const post = (body: string, headers: Record<string, string>) =>
    served(
      new Request("http://x/resend-webhook", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );
  try {
    await t(sql, post);
  } finally {
    await sql.end();
  }
}

const address = () => `reader-${crypto.randomUUID()}@test.example`;

/** An e-mail the queue sent, with the message id Resend gave it. */
async function sentEmail(sql: Sql, to: string): Promise<{ id: string; messageId: string }> {
  const queue = await createQueue(sql);
  const messageId = crypto.randomUUID();
  const [{ id }] =
    await sql`select id from public.enqueue_email(${to}, 'Hi', '<p>x</p>', null, '[]', null, null, 5, ${queue})`;
  const [{ send_id }] = await sql`select send_id from public.claim_email_batch('t', 1, ${queue})`;
  await sql`select public.complete_email_send(${send_id}, 't', ${[messageId]})`;
  return { id, messageId };
}

Deno.test("each delivery event is recorded once, and the e-mail shows its latest state", () =>
  withFunction(async (sql, post) => {
    const to = address();
    const mail = await sentEmail(sql, to);
    const sent = JSON.stringify(resendEvent("email.sent", mail.messageId, [to]));
    const headers = resendHeaders(sent);
    assert.deepEqual(await (await post(sent, headers)).json(), { received: true, outcome: "recorded" });
    assert.equal((await (await post(sent, headers)).json()).outcome, "duplicate", "Svix's retry keeps its id");
    const later = new Date(Date.now() + 1000).toISOString();
    const delivered = JSON.stringify({ ...resendEvent("email.delivered", mail.messageId, [to]), created_at: later });
    // The Standard Webhooks names, which Resend may send as well as the svix- ones.
    const h = resendHeaders(delivered);
    const standard = {
      "webhook-id": h["svix-id"],
      "webhook-timestamp": h["svix-timestamp"],
      "webhook-signature": h["svix-signature"],
    };
    assert.equal((await (await post(delivered, standard)).json()).outcome, "recorded");
    const [state] = await sql`select * from public.email_delivery_states(${[mail.id]}::uuid[])`;
    assert.equal(state.delivery_state, "delivered");
    assert.equal(state.status, "sent");
  }));

Deno.test("a delivery event can arrive before the queue knows the message id", () =>
  withFunction(async (sql, post) => {
    const early = crypto.randomUUID();
    const body = JSON.stringify(resendEvent("email.delivered", early, [address()]));
    assert.equal((await (await post(body, resendHeaders(body))).json()).outcome, "recorded");
    const [{ n }] = await sql`select count(*)::int as n from public.email_delivery_events where message_id = ${early}`;
    assert.equal(n, 1, "kept by message id, for the row that gets it");
  }));

Deno.test("a hard bounce suppresses the address: its queued e-mails are not sent", () =>
  withFunction(async (sql, post) => {
    const to = address();
    const mail = await sentEmail(sql, to);
    const soft = JSON.stringify(
      resendEvent("email.bounced", mail.messageId, [to], { bounce: { type: "Transient", subType: "MailboxFull" } }),
    );
    assert.equal((await (await post(soft, resendHeaders(soft))).json()).outcome, "recorded");
    const hard = JSON.stringify(
      resendEvent("email.bounced", mail.messageId, [to.toUpperCase()], {
        bounce: { type: "Permanent", subType: "General" },
      }),
    );
    assert.equal((await (await post(hard, resendHeaders(hard))).json()).outcome, "suppressed");
    const queue = await createQueue(sql);
    await sql`select * from public.enqueue_email(${to}, 'Again', '<p>y</p>', null, '[]', null, null, 5, ${queue})`;
    assert.equal((await sql`select * from public.claim_email_batch('t', 10, ${queue})`).length, 0, "nothing to send");
    const [{ status }] = await sql`select status from public.email_queue where queue = ${queue}`;
    assert.equal(status, "suppressed");
    await sql`delete from public.email_suppressions where address = ${to}`;
  }));

Deno.test("refused signatures answer 400 with their reason and record nothing", () =>
  withFunction(async (sql, post) => {
    const body = JSON.stringify(resendEvent("email.delivered", crypto.randomUUID(), [address()]));
    const good = resendHeaders(body);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Record<string, string>, string][] = [
      ["the empty v1, bypass", { ...good, "svix-signature": "v1," }, "mismatch"],
      [
        "another secret",
        resendHeaders(body, good["svix-id"], new Date(), "whsec_" + btoa("another-secret-of-32-bytes-long!")),
        "mismatch",
      ],
      ["a changed id", { ...good, "svix-id": good["svix-id"] + "x" }, "mismatch"],
      ["stale", resendHeaders(body, good["svix-id"], new Date((now - 301) * 1000)), "timestamp_too_old"],
      ["from the future", resendHeaders(body, good["svix-id"], new Date((now + 301) * 1000)), "timestamp_in_future"],
      ["no id", { "svix-timestamp": good["svix-timestamp"], "svix-signature": good["svix-signature"] }, "missing_id"],
      ["no signature", { "svix-id": good["svix-id"], "svix-timestamp": good["svix-timestamp"] }, "no_signature"],
    ];
    for (const [name, headers, reason] of cases) {
      const res = await post(body, headers);
      assert.equal(res.status, 400, name);
      const { error } = await res.json();
      assert.equal(error.code, "invalid_signature", name);
      assert.equal(error.reason, reason, name);
    }
    assert.equal((await post(body + " ", good)).status, 400, "a changed body");
    const [{ n }] = await sql`select count(*)::int as n from public.webhook_events where event_id = ${good["svix-id"]}`;
    assert.equal(n, 0);
  }));

Deno.test("a verified body that is no Resend event is a 400 naming the problem", () =>
  withFunction(async (_sql, post) => {
    const cases: [string, unknown][] = [
      ["no type", { created_at: new Date().toISOString(), data: {} }],
      ["a time Postgres would refuse", {
        ...resendEvent("email.sent", crypto.randomUUID(), [address()]),
        created_at: "1",
      }],
      ["no email_id", { type: "email.sent", created_at: new Date().toISOString(), data: { to: [address()] } }],
      ["to not a list", {
        ...resendEvent("email.sent", crypto.randomUUID(), [address()]),
        data: { email_id: "m", to: "x" },
      }],
    ];
    for (const [name, event] of cases) {
      const body = JSON.stringify(event);
      const res = await post(body, resendHeaders(body));
      assert.equal(res.status, 400, name);
      assert.equal((await res.json()).error.code, "invalid_body", name);
    }
  }));
