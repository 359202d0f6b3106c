// process-push-receipts in-process against the real database and a local fake of Expo's push
// API, with pushes sent by the real send-push handler. The processor sees every due row in the
// database, other tests' too; only this test's fake knows this test's tickets, so receipts
// (delivered, errors, retirements) are counted exactly, and rows are checked by this test's user.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect, type Sql } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import { PushClient } from "../_shared/providers/push.ts";
import { pushLimits } from "../_shared/ratelimit/named.ts";
import { RedisStore } from "../_shared/ratelimit/redis.ts";
import { type FakePush, startFakePush } from "../../tests/fakes/push.ts";
import { dbUrl, functionsUrl, jwtSecret, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../../tools/local/jwt.ts";
import { handleSendPush, type PushDeps } from "../send-push/handler.ts";
import { handleProcessReceipts, type ProcessReceiptsDeps } from "./handler.ts";
import { runPushReceipts } from "./processor.ts";

type Row = {
  token: string;
  status: string;
  receipt_status: string | null;
  receipt_error: string | null;
  receipt_checks: number;
  receipt_locked_by: string | null;
};

type Env = {
  sql: Sql;
  fake: FakePush;
  deps: ProcessReceiptsDeps;
  userId: string;
  /** A token of this test's own. */
  token: (name: string) => string;
  sendPush: (token: string) => Promise<Response>;
  run: (body?: unknown, token?: string) => Promise<Response>;
  rows: () => Promise<Row[]>;
  retired: () => Promise<string[]>;
};

async function setup(t: (env: Env) => Promise<void>) {
  const sql = connect(dbUrl, 2);
  const fake = startFakePush();
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  const service = await mintJwt(jwtSecret, { role: "service_role" }, 600);
  const limits = pushLimits(() => undefined);
  const pushDeps: PushDeps = {
    sql,
    auth: new Authenticator(jwtSecret),
    store: new RedisStore(stackEnv.REDIS_URL, 500),
    limits: {
      user: { ...limits.user, name: `t${userId.slice(0, 8)}-push-user` },
      global: { ...limits.global, name: `t${userId.slice(0, 8)}-push-global` },
    },
    push: new PushClient(fake.url),
  };
  const deps: ProcessReceiptsDeps = {
    sql,
    auth: new Authenticator(jwtSecret),
    push: new PushClient(fake.url),
    budgetMs: 5_000,
    minAgeSeconds: 900,
  };
  const served = serve("send-push", handleSendPush, pushDeps, () => {});
  const runs = serve("process-push-receipts", handleProcessReceipts, deps, () => {});
  const post = (url: string, body: unknown, token: string) =>
    new Request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const env: Env = {
    sql,
    fake,
    deps,
    userId,
    token: (name) => `ExponentPushToken[${name}-${userId}]`,
    sendPush: (token) =>
      served(post("http://x/send-push", { user_id: userId, token, title: "Doors open", body: "Now" }, service)),
    run: (body = { min_age_seconds: 0 }, token = service) => runs(post("http://x/process-push-receipts", body, token)),
    rows: () =>
      sql<Row[]>`select token, status, receipt_status, receipt_error, receipt_checks, receipt_locked_by
                   from public.push_deliveries where user_id = ${userId} order by created_at, token`,
    retired: async () =>
      (await sql<{ token: string }[]>`select token from public.push_retired_tokens where token like ${`%-${userId}]`}
                                        order by token`).map((r) => r.token),
  };
  try {
    await t(env);
  } finally {
    await sql`delete from public.push_retired_tokens where token like ${`%-${userId}]`}`;
    await sql`delete from auth.users where id = ${userId}`;
    await pushDeps.store.close();
    await fake.close();
    await sql.end();
  }
}

const receiptRequests = (fake: FakePush) =>
  fake.requests.filter((r) => r.path === "/--/api/v2/push/getReceipts").map((r) => JSON.parse(r.body).ids as string[]);

Deno.test("a sent push's receipt is fetched and recorded delivered, once", async () => {
  await setup(async ({ fake, token, sendPush, run, rows }) => {
    assert.equal((await sendPush(token("fine"))).status, 200);
    const res = await run();
    assert.equal(res.status, 200);
    const report = await res.json();
    assert.deepEqual([report.delivered, report.errors, report.retired, report.provider_error], [1, 0, 0, null]);
    assert.ok(report.claimed >= 1);
    const [row] = await rows();
    assert.deepEqual(row, {
      token: token("fine"),
      status: "sent",
      receipt_status: "delivered",
      receipt_error: null,
      receipt_checks: 1,
      receipt_locked_by: null,
    });
    const [ticket] = [...fake.tickets.keys()];
    assert.ok(receiptRequests(fake).some((ids) => ids.includes(ticket)), "its ticket id was asked for");
    const again = await (await run()).json();
    assert.equal(again.delivered, 0, "a second run records nothing for it");
    assert.equal((await rows())[0].receipt_checks, 1, "nor asks again");
  });
});

Deno.test("a receipt not ready waits for the next check; the default minimum age waits 15 minutes", async () => {
  await setup(async ({ fake, token, sendPush, run, rows }) => {
    assert.equal((await sendPush(token("slow"))).status, 200);
    assert.equal((await (await run({})).json()).delivered, 0, "not asked for right after the send");
    assert.equal((await rows())[0].receipt_checks, 0);
    fake.setReceipt({ token: token("slow") }, "missing");
    const first = await (await run()).json();
    assert.equal(first.delivered, 0);
    assert.ok(first.waiting >= 1);
    assert.deepEqual((await rows()).map((r) => [r.receipt_status, r.receipt_checks, r.receipt_locked_by]), [
      [null, 1, null],
    ]);
    fake.setReceipt({ token: token("slow") }, "ok");
    assert.equal((await (await run()).json()).delivered, 1);
    assert.deepEqual((await rows()).map((r) => [r.receipt_status, r.receipt_checks]), [["delivered", 2]]);
  });
});

Deno.test("DeviceNotRegistered retires the token, and send-push then refuses it without the provider", async () => {
  await setup(async ({ fake, token, sendPush, run, rows, retired }) => {
    fake.setReceipt({ token: token("gone") }, "DeviceNotRegistered");
    fake.setReceipt({ token: token("big") }, "MessageTooBig");
    for (const name of ["gone", "big", "fine"]) assert.equal((await sendPush(token(name))).status, 200);
    const report = await (await run()).json();
    assert.deepEqual([report.delivered, report.errors, report.retired], [1, 2, 1]);
    assert.deepEqual(
      (await rows()).map((r) => [r.token, r.receipt_status, r.receipt_error?.split(":")[0] ?? null]),
      [
        [token("gone"), "error", "DeviceNotRegistered"],
        [token("big"), "error", "MessageTooBig"],
        [token("fine"), "delivered", null],
      ],
    );
    assert.deepEqual(await retired(), [token("gone")], "only the unregistered token is retired");

    const sends = fake.requests.filter((r) => r.path.endsWith("/send")).length;
    const refused = await sendPush(token("gone"));
    assert.equal(refused.status, 410);
    assert.equal((await refused.json()).error.code, "device_unregistered");
    assert.equal(fake.requests.filter((r) => r.path.endsWith("/send")).length, sends, "the provider was not asked");
    assert.equal((await sendPush(token("big"))).status, 200, "a message too big retires nothing");
  });
});

Deno.test("a provider 5xx or 429 keeps the rows, with their checks given back, for a later run", async () => {
  await setup(async ({ fake, token, sendPush, run, rows }) => {
    assert.equal((await sendPush(token("a"))).status, 200);
    assert.equal((await sendPush(token("b"))).status, 200);
    for (const [status, retryAfter] of [[503, undefined], [429, 30]] as const) {
      fake.failNext(1, status, retryAfter);
      const report = await (await run()).json();
      assert.match(report.provider_error, new RegExp(`answered ${status}`));
      assert.equal(report.delivered, 0);
      assert.equal(report.released, report.claimed, "everything claimed is released");
      assert.equal(report.lost, 0);
      assert.deepEqual((await rows()).map((r) => [r.receipt_status, r.receipt_checks, r.receipt_locked_by]), [
        [null, 0, null],
        [null, 0, null],
      ]);
    }
    const report = await (await run()).json();
    assert.deepEqual([report.delivered, report.provider_error], [2, null], "the next run records them");
  });
});

Deno.test("a run that dies mid-way leaves its lease; once it runs out the next run records each receipt once", async () => {
  await setup(async ({ sql, fake, token, sendPush, rows, retired }) => {
    fake.setReceipt({ token: token("gone") }, "DeviceNotRegistered");
    assert.equal((await sendPush(token("gone"))).status, 200);
    assert.equal((await sendPush(token("fine"))).status, 200);
    const log = logger({ test: "receipts" }, () => {});
    const t0 = Date.now();
    const crash = { getReceipts: () => Promise.reject(new Error("the worker died")) };
    await assert.rejects(
      runPushReceipts({ sql, push: crash, log, now: () => t0 }, { worker: "dead", budgetMs: 0, minAgeSeconds: 0 }),
      /the worker died/,
    );
    assert.deepEqual((await rows()).map((r) => [r.receipt_status, r.receipt_checks, r.receipt_locked_by]), [
      [null, 1, "dead"],
      [null, 1, "dead"],
    ]);
    const push = new PushClient(fake.url);
    const opts = { budgetMs: 0, minAgeSeconds: 0, leaseSeconds: 300 };
    const early = await runPushReceipts({ sql, push, log, now: () => t0 + 299_000 }, { worker: "w1", ...opts });
    assert.equal(early.delivered + early.errors, 0, "a live lease keeps the rows from the next run");
    const late = await runPushReceipts({ sql, push, log, now: () => t0 + 301_000 }, { worker: "w2", ...opts });
    assert.deepEqual([late.delivered, late.errors, late.retired], [1, 1, 1]);
    assert.deepEqual((await rows()).map((r) => [r.receipt_status, r.receipt_checks, r.receipt_locked_by]).sort(), [
      ["delivered", 2, null],
      ["error", 2, null],
    ]);
    // The dead worker's answer arriving late changes nothing.
    const [late2] = await sql`select * from public.record_push_receipts('dead', ${
      sql.json(Object.fromEntries([...fake.tickets.keys()].map((id) => [id, { status: "ok" }])))
    })`;
    assert.deepEqual({ ...late2 }, { delivered: 0, errors: 0, retired: 0, waiting: 0 });
    const after = await runPushReceipts({ sql, push, log, now: () => t0 + 700_000 }, { worker: "w3", ...opts });
    assert.equal(after.delivered + after.errors + after.retired, 0, "and a later run finds nothing to record");
    assert.deepEqual(await retired(), [token("gone")]);
  });
});

Deno.test("receipts are asked for in chunks, never more than the chunk size (at most 1000) at once", async () => {
  await setup(async ({ sql, fake, token, sendPush, rows }) => {
    for (const name of ["a", "b", "c", "d", "e"]) assert.equal((await sendPush(token(name))).status, 200);
    const log = logger({ test: "receipts" }, () => {});
    const report = await runPushReceipts({ sql, push: new PushClient(fake.url), log }, {
      worker: "chunks",
      budgetMs: 0,
      minAgeSeconds: 0,
      chunkSize: 2,
    });
    assert.equal(report.delivered, 5);
    const asked = receiptRequests(fake);
    assert.ok(asked.every((ids) => ids.length <= 2), JSON.stringify(asked.map((ids) => ids.length)));
    assert.deepEqual(asked.flat().filter((id) => fake.tickets.has(id)).sort(), [...fake.tickets.keys()].sort());
    assert.ok((await rows()).every((r) => r.receipt_status === "delivered"));
    await assert.rejects(new PushClient(fake.url).getReceipts(Array(1001).fill("x")), RangeError);
  });
});

Deno.test("only the service role runs it, and min_age_seconds is checked", async () => {
  await setup(async ({ run, userId }) => {
    const user = await run(undefined, await userJwt(userId));
    assert.deepEqual([user.status, (await user.json()).error.code], [403, "forbidden"]);
    for (const m of [-1, 1.5, "0", 901]) {
      const res = await run({ min_age_seconds: m });
      assert.deepEqual([res.status, (await res.json()).error.field], [400, "min_age_seconds"]);
    }
    const res = await run(undefined);
    assert.equal(res.status, 200, "pg_cron's call has no body");
    const report = await res.json();
    for (const k of ["expired", "claimed", "delivered", "errors", "retired", "waiting", "released", "lost"]) {
      assert.equal(typeof report[k], "number", k);
    }
  });
});

Deno.test("through the stack's gateway: send-push, then process-push-receipts with min_age_seconds 0", async () => {
  const sql = connect(dbUrl, 1);
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  const key = stackEnv.SUPABASE_SERVICE_ROLE_KEY;
  const call = (name: string, body: unknown) =>
    fetch(`${functionsUrl}/${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  try {
    const sent = await call("send-push", {
      user_id: userId,
      token: `ExponentPushToken[gateway-${userId}]`,
      title: "Doors open",
      body: "Now",
    });
    assert.equal(sent.status, 200);
    const res = await call("process-push-receipts", { min_age_seconds: 0 });
    assert.equal(res.status, 200);
    assert.ok((await res.json()).delivered >= 1);
    const [row] = await sql`select receipt_status from public.push_deliveries where user_id = ${userId}`;
    assert.equal(row.receipt_status, "delivered");
    const anon = await fetch(`${functionsUrl}/process-push-receipts`, { method: "POST" });
    assert.equal(anon.status, 401, "the gateway wants a JWT");
  } finally {
    await sql`delete from auth.users where id = ${userId}`;
    await sql.end();
  }
});
