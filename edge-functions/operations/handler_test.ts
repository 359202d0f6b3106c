// operations in-process against the real database, through `serve` as the gateway calls it:
// who may see the page, each panel's figures on rows the test makes (an e-mail queue and an
// event of its own; for the tables every part of the stack writes to, the difference the
// test's rows make inside one repeatable-read snapshot, so other traffic cannot move them),
// the replay of dead letters exactly once, and a 503 when the database is unreachable. The
// last test goes through the local gateway, as a browser would.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect, type Sql } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { createQueue, dropQueue } from "../../tests/support/email.ts";
import { dbUrl, fn, jwtSecret, seedUsers, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../../tools/local/jwt.ts";
import { handleOperations } from "./handler.ts";

const auth = new Authenticator(jwtSecret);

function served(sql: Sql) {
  const call = serve("operations", handleOperations, { sql, auth }, () => {});
  return {
    get: (query: string, token?: string) =>
      call(
        new Request(`http://x/operations${query}`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }),
      ),
    replay: (body: unknown, token: string) =>
      call(
        new Request("http://x/operations/replay", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      ),
  };
}

async function withSql(t: (sql: Sql) => Promise<void>) {
  const sql = connect(dbUrl, 2);
  try {
    await t(sql);
  } finally {
    await sql.end();
  }
}

/**
 * Runs `t` in one repeatable-read snapshot, rolled back: whatever the rest of the stack
 * commits meanwhile is invisible, so the difference between two answers is the test's rows.
 */
async function inSnapshot(t: (sql: Sql) => Promise<void>) {
  const pool = connect(dbUrl, 1);
  const sql = await pool.reserve();
  try {
    await sql`begin isolation level repeatable read`;
    await t(sql);
  } finally {
    await sql`rollback`;
    sql.release();
    await pool.end();
  }
}

/** A panel's answer, after checking its status and envelope. */
async function panel(res: Response, name: string): Promise<Record<string, unknown>> {
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.panel, name);
  assert.ok(!Number.isNaN(Date.parse(body.as_of)), "as_of is a time");
  return body.data;
}

const adminToken = () => userJwt(seedUsers.ops);

// E-mails of a queue of the test's own: one due, one leased, two dead letters.
async function emailRows(sql: Sql, queue: string): Promise<string[]> {
  const dead = [crypto.randomUUID(), crypto.randomUUID()];
  await sql`
    insert into public.email_queue (id, queue, request_hash, to_email, subject, html, status, next_retry_at,
                                    locked_by, locked_until, attempts, error, updated_at)
    values (gen_random_uuid(), ${queue}, '\\x00', 'due@example.com', 'Due', '<p/>', 'pending',
            now() - interval '2 minutes', null, null, 0, null, now()),
           (gen_random_uuid(), ${queue}, '\\x00', 'held@example.com', 'Held', '<p/>', 'failed',
            now() - interval '1 minute', 'w', now() + interval '1 minute', 1, '503', now()),
           (${dead[0]}, ${queue}, '\\x00', 'carol@dead.example', 'First dead', '<p/>', 'dead_letter',
            now(), null, null, 6, '422 validation_error', now() - interval '1 second'),
           (${dead[1]}, ${queue}, '\\x00', 'dave@dead.example', 'Second dead', '<p/>', 'dead_letter',
            now(), null, null, 6, '500 internal', now() - interval '2 seconds')`;
  return dead;
}

Deno.test("only a platform admin sees the page: 401 without a token, 403 for anyone else", () =>
  withSql(async (sql) => {
    const { get, replay } = served(sql);
    const noToken = await get("?panel=email_queue");
    assert.equal(noToken.status, 401);
    assert.equal((await noToken.json()).error.code, "unauthorized");
    for (
      const token of [
        await userJwt(seedUsers.organizer),
        await mintJwt(jwtSecret, { role: "anon" }, 600),
        await mintJwt(jwtSecret, { role: "service_role" }, 600),
      ]
    ) {
      for (const res of [await get("?panel=email_queue", token), await replay({ queue: "email", ids: [] }, token)]) {
        assert.equal(res.status, 403);
        assert.equal((await res.json()).error.code, "forbidden");
      }
    }
    assert.equal((await get("?panel=email_queue", await adminToken())).status, 200);
  }));

Deno.test("a panel must be named, and one of the six", () =>
  withSql(async (sql) => {
    const { get } = served(sql);
    const token = await adminToken();
    for (const query of ["", "?panel=", "?panel=users", "?panel=EMAIL_QUEUE"]) {
      const res = await get(query, token);
      assert.equal(res.status, 400);
      const { error } = await res.json();
      assert.equal(error.code, "invalid_field");
      assert.equal(error.field, "panel");
    }
    const res = await get("/other?panel=email_queue", token);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  }));

Deno.test("email_queue: the test's queue by status, and its dead letters masked, newest first", () =>
  withSql(async (sql) => {
    const queue = await createQueue(sql);
    try {
      const dead = await emailRows(sql, queue);
      const data = await panel(await served(sql).get("?panel=email_queue", await adminToken()), "email_queue");
      const mine = (data.queues as Record<string, unknown>[]).find((q) => q.queue === queue)!;
      assert.equal(typeof mine.oldest_due_seconds, "number");
      assert.ok((mine.oldest_due_seconds as number) >= 120);
      assert.deepEqual(
        { ...mine, oldest_due_at: undefined, oldest_due_seconds: undefined },
        {
          queue,
          pending: 1,
          failed: 1,
          in_flight: 1,
          dead_letters: 2,
          oldest_due_at: undefined,
          oldest_due_seconds: undefined,
          next_due_at: null,
        },
      );
      const letters = (data.dead_letters as Record<string, unknown>[]).filter((d) => d.queue === queue);
      assert.deepEqual(letters.map((d) => [d.id, d.to_masked, d.subject, d.error, d.attempts]), [
        [dead[0], "c***@dead.example", "First dead", "422 validation_error", 6],
        [dead[1], "d***@dead.example", "Second dead", "500 internal", 6],
      ]);
    } finally {
      await dropQueue(sql, queue);
    }
  }));

Deno.test("webhook_queue and provider_rates: exactly what the test's rows add", () =>
  inSnapshot(async (sql) => {
    const { get } = served(sql);
    const token = await adminToken();
    const before = await panel(await get("?panel=webhook_queue", token), "webhook_queue");
    const ratesBefore = await panel(await get("?panel=provider_rates", token), "provider_rates");
    const tag = crypto.randomUUID().slice(0, 8);
    const [{ id: deadId }] = await sql<{ id: string }[]>`
      with made as (
        insert into public.webhook_retry_queue (webhook_type, event_id, payload, attempts, next_retry_at, status,
                                                last_error)
        values ('stripe', ${`evt_ops_${tag}_p`}, '{"type": "charge.refunded"}', 2, now(), 'pending', 'UR008'),
               ('stripe', ${`evt_ops_${tag}_d`}, '{"type": "charge.refunded"}', 6, now(), 'dead_letter', 'UR008'),
               ('resend', ${`msg_ops_${tag}_d`}, '{"type": "email.bounced"}', 6, now(), 'dead_letter', '40001')
        returning id, status
      )
      select max(id) as id from made where status = 'dead_letter'`;
    await sql`insert into public.webhook_events (provider, event_id, type, outcome)
              values ('stripe', ${`evt_ops_${tag}_1`}, 'checkout.session.completed', 'paid'),
                     ('stripe', ${`evt_ops_${tag}_2`}, 'charge.refunded', 'refunded')`;
    const after = await panel(await get("?panel=webhook_queue", token), "webhook_queue");
    const ratesAfter = await panel(await get("?panel=provider_rates", token), "provider_rates");

    const counts = (d: Record<string, unknown>) =>
      Object.fromEntries(
        (d.queues as Record<string, number>[]).map((q) => [q.webhook_type, [q.pending, q.processing, q.dead_letters]]),
      );
    const [b, a] = [counts(before), counts(after)];
    assert.deepEqual(
      Object.fromEntries(Object.keys(a).map((k) => [k, a[k].map((n, i) => n - b[k][i])])),
      { resend: [0, 0, 1], stripe: [1, 0, 1] },
    );
    const letters = (after.dead_letters as Record<string, unknown>[]).filter((d) =>
      String(d.event_id).includes(`_ops_${tag}_`)
    );
    assert.deepEqual(letters.map((d) => [d.webhook_type, d.event_id, d.event_type, d.attempts, d.replays]), [
      ["resend", `msg_ops_${tag}_d`, "email.bounced", 6, 0],
      ["stripe", `evt_ops_${tag}_d`, "charge.refunded", 6, 0],
    ]);
    assert.equal(String(letters[0].id), String(deadId), "the newest dead letter comes first");

    const stripe = (d: Record<string, unknown>) =>
      (d.providers as Record<string, Record<string, number>>).stripe as Record<string, number>;
    const diff = Object.fromEntries(
      Object.entries(stripe(ratesAfter)).map(([k, n]) => [k, n - (stripe(ratesBefore)[k] ?? 0)]).filter(([, n]) =>
        n !== 0
      ),
    );
    assert.deepEqual(diff, { paid: 1, refunded: 1, retrying: 1, dead_letters: 1 });
    assert.deepEqual(
      Object.keys((ratesAfter.providers as Record<string, Record<string, number>>).resend).sort(),
      ["bounced", "complained", "delivered", "failed", "sent"],
    );
    assert.equal(ratesAfter.window_hours, 24);
  }));

Deno.test("door_scans: the last hour's outcomes at each door of the test's event", () =>
  withSql(async (sql) => {
    const eventId = crypto.randomUUID();
    const scanner = crypto.randomUUID();
    await sql`insert into public.events (id, name, starts_at) values (${eventId}, 'Ops test gig', now())`;
    try {
      await sql`
        insert into public.ticket_scans (event_id, device_id, scanner_id, result, code_kind, scanned_at)
        values (${eventId}, 'gate-1', ${scanner}, 'redeemed', 'print', now() - interval '3 minutes'),
               (${eventId}, 'gate-1', ${scanner}, 'redeemed', 'live', now() - interval '2 minutes'),
               (${eventId}, 'gate-2', ${scanner}, 'revoked', 'print', now() - interval '1 minute'),
               (${eventId}, 'gate-2', ${scanner}, 'redeemed', 'print', now() - interval '3 hours')`;
      const data = await panel(await served(sql).get("?panel=door_scans", await adminToken()), "door_scans");
      const mine = (data.doors as Record<string, unknown>[]).filter((d) => d.event_id === eventId);
      assert.deepEqual(mine.map((d) => [d.event_name, d.door, d.result, d.scans]), [
        ["Ops test gig", "gate-1", "redeemed", 2],
        ["Ops test gig", "gate-2", "revoked", 1],
      ]);
      assert.equal(data.window_minutes, 60);
    } finally {
      await sql`delete from public.ticket_scans where event_id = ${eventId}`;
      await sql`delete from public.events where id = ${eventId}`;
    }
  }));

Deno.test("refresh_runs: the overall freshness, each view's, and the latest runs newest first", () =>
  withSql(async (sql) => {
    const data = await panel(await served(sql).get("?panel=refresh_runs", await adminToken()), "refresh_runs");
    const [freshness] = await sql<{ data_as_of: Date | null; stale: boolean }[]>`
      select * from public.analytics_freshness()`;
    const reported = data.freshness as { data_as_of: string | null; stale: boolean };
    assert.equal(reported.stale, freshness.stale);
    assert.equal(
      reported.data_as_of === null ? null : Date.parse(reported.data_as_of),
      freshness.data_as_of?.getTime() ?? null,
    );
    const [{ views }] = await sql<{ views: string[] }[]>`select public.analytics_views() as views`;
    assert.deepEqual((data.views as { view_name: string }[]).map((v) => v.view_name), views);
    const runs = data.runs as { id: number; started_at: string }[];
    assert.ok(runs.length > 0 && runs.length <= 20);
    assert.deepEqual(runs.map((r) => r.id), runs.map((r) => r.id).sort((x, y) => y - x), "newest first");
  }));

Deno.test("push_states: each delivery state of the last day, exactly what the test's pushes add", () =>
  inSnapshot(async (sql) => {
    const { get } = served(sql);
    const token = await adminToken();
    const states = async () => {
      const data = await panel(await get("?panel=push_states", token), "push_states");
      assert.equal(data.window_hours, 24);
      return Object.fromEntries((data.states as { state: string; count: number }[]).map((s) => [s.state, s.count]));
    };
    const before = await states();
    await sql`
      insert into public.push_deliveries (user_id, token, title, status, provider_ticket_id, receipt_status, created_at)
      values (${seedUsers.ada}, 'ExponentPushToken[ops]', 't', 'sent', 'tk-a', null, now()),
             (${seedUsers.ada}, 'ExponentPushToken[ops]', 't', 'sent', 'tk-b', 'delivered', now()),
             (${seedUsers.ada}, 'ExponentPushToken[ops]', 't', 'sent', 'tk-c', 'error', now()),
             (${seedUsers.ada}, 'ExponentPushToken[ops]', 't', 'failed', null, null, now()),
             (${seedUsers.ada}, 'ExponentPushToken[ops]', 't', 'sent', 'tk-d', 'delivered', now() - interval '2 days')`;
    const after = await states();
    assert.deepEqual(Object.keys(after), [
      "pending",
      "rate_limited",
      "failed",
      "awaiting_receipt",
      "delivered",
      "receipt_error",
      "receipt_expired",
    ]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - before[k]]).filter(([, n]) => n !== 0)),
      { failed: 1, awaiting_receipt: 1, delivered: 1, receipt_error: 1 },
    );
  }));

Deno.test("replay: an e-mail dead letter goes back to the queue once; a second replay answers 0", () =>
  withSql(async (sql) => {
    const queue = await createQueue(sql);
    try {
      const [first, second] = await emailRows(sql, queue);
      const { replay } = served(sql);
      const token = await adminToken();
      const res = await replay({ queue: "email", ids: [first] }, token);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { replayed: 1 });
      const rows = await sql<{ id: string; status: string; attempts: number }[]>`
        select id, status, attempts from public.email_queue where id in (${first}, ${second}) order by subject`;
      assert.deepEqual(rows.map((r) => [r.id, r.status, r.attempts]), [[first, "pending", 0], [
        second,
        "dead_letter",
        6,
      ]]);
      assert.deepEqual(await (await replay({ queue: "email", ids: [first] }, token)).json(), { replayed: 0 });
    } finally {
      await dropQueue(sql, queue);
    }
  }));

Deno.test("replay: a webhook dead letter is due again once; a second replay answers 0", () =>
  withSql(async (sql) => {
    const [{ id }] = await sql<{ id: string }[]>`
      insert into public.webhook_retry_queue (webhook_type, event_id, payload, attempts, next_retry_at, status)
      values ('stripe', ${`evt_ops_replay_${crypto.randomUUID().slice(0, 8)}`}, '{}', 6, now(), 'dead_letter')
      returning id`;
    try {
      const { replay } = served(sql);
      const token = await adminToken();
      assert.deepEqual(await (await replay({ queue: "webhook", ids: [Number(id)] }, token)).json(), { replayed: 1 });
      const [row] = await sql`select status, attempts, replays from public.webhook_retry_queue where id = ${id}`;
      assert.deepEqual({ ...row }, { status: "pending", attempts: 0, replays: 1 });
      assert.deepEqual(await (await replay({ queue: "webhook", ids: [Number(id)] }, token)).json(), { replayed: 0 });
    } finally {
      await sql`delete from public.webhook_retry_queue where id = ${id}`;
    }
  }));

Deno.test("replay refuses a bad queue or bad ids, naming the field", () =>
  withSql(async (sql) => {
    const { replay } = served(sql);
    const token = await adminToken();
    const cases: [unknown, string][] = [
      [{ queue: "sms", ids: [crypto.randomUUID()] }, "queue"],
      [{ ids: [crypto.randomUUID()] }, "queue"],
      [{ queue: "email" }, "ids"],
      [{ queue: "email", ids: [] }, "ids"],
      [{ queue: "email", ids: ["not-a-uuid"] }, "ids"],
      [{ queue: "email", ids: [1] }, "ids"],
      [{ queue: "email", ids: Array.from({ length: 101 }, () => crypto.randomUUID()) }, "ids"],
      [{ queue: "webhook", ids: ["1"] }, "ids"],
      [{ queue: "webhook", ids: [0] }, "ids"],
      [{ queue: "webhook", ids: [1.5] }, "ids"],
      [{ queue: "webhook", ids: [2 ** 53] }, "ids"],
    ];
    for (const [body, field] of cases) {
      const res = await replay(body, token);
      const { error } = await res.json();
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual([error.code, error.field], ["invalid_field", field], JSON.stringify(body));
    }
  }));

Deno.test("an unreachable database is a 503, not a 500", async () => {
  const sql = connect("postgresql://postgres:postgres@127.0.0.1:1/postgres", 1);
  try {
    const res = await served(sql).get("?panel=email_queue", await adminToken());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.equal((await res.json()).error.code, "database_unavailable");
  } finally {
    await sql.end();
  }
});

Deno.test("through the gateway: CORS on every answer, 401 before the function, a panel for the admin", async () => {
  const anon = await fn("operations?panel=door_scans");
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const res = await fn("operations?panel=door_scans", {}, await adminToken());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal((await res.json()).panel, "door_scans");
  const preflight = await fn("operations/replay", { method: "OPTIONS" });
  assert.equal(preflight.status, 204);
  assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
  await preflight.body?.cancel();
});
