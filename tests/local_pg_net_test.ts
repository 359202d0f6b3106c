// The local stand-ins for pg_net and Vault (tools/local/bootstrap.sql, tools/local/pg_net.ts),
// against the running stack: net.http_post from SQL reaches a server this test starts, with
// what it was given, only once its transaction commits, and its answer (or its timeout, or
// its failure) lands in net._http_response; Vault keeps and returns a secret; and `make up`
// stored the two secrets a pg_cron job reads, with which the job's call reaches a function. Which roles may reach either schema is
// supabase/tests/005_local_net_vault.sql's.
import assert from "node:assert/strict";
import { connect, type Sql } from "../edge-functions/_shared/db.ts";
import { dbUrl, stackEnv } from "./support/stack.ts";

type Received = { method: string; path: string; headers: Headers; body: string };

/** A loopback server that records each request; /slow answers only when the server closes. */
function startReceiver() {
  const received: Received[] = [];
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    received.push({
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      body: await req.text(),
    });
    if (url.pathname === "/slow") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        closing.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()));
      });
      return new Response("too late");
    }
    return new Response("created", { status: 201, headers: { "content-type": "text/plain", "x-answer": "yes" } });
  });
  const { port } = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${port}`, received, close: () => (closing.abort(), server.shutdown()) };
}

type Response_ = {
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
};

/** The worker's record of request `id`, waited for up to `ms`. */
async function responseOf(sql: Sql, id: string, ms = 10_000): Promise<Response_> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const [row] = await sql<Response_[]>`
      select status_code, content_type, headers, content, timed_out, error_msg from net._http_response where id = ${id}`;
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no net._http_response row for request ${id} within ${ms} ms: is the pg_net worker running?`);
}

/** Thrown to roll a test's transaction back, leaving nothing behind. */
class RolledBack extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withStack(fn: (sql: Sql, receiver: ReturnType<typeof startReceiver>) => Promise<void>) {
  const sql = connect(dbUrl, 4);
  const receiver = startReceiver();
  try {
    await fn(sql, receiver);
  } finally {
    await receiver.close();
    await sql.end();
  }
}

Deno.test("net.http_post from SQL as service_role sends the method, URL, headers and JSON body given", () =>
  withStack(async (sql, receiver) => {
    const body = { job: "process-email-queue", batch: [1, 2], note: "é ✓" };
    const id = await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const [row] = await tx<{ id: string }[]>`
        select net.http_post(
          url := ${receiver.url + "/functions/v1/hook"},
          body := ${tx.json(body)},
          params := ${tx.json({ run: "a b&c", n: 1 })}, -- jsonb orders keys: n before run
          headers := ${tx.json({ "Content-Type": "application/json", Authorization: "Bearer local-test-key" })},
          timeout_milliseconds := 5000
        ) as id`;
      return row.id;
    });
    const answer = await responseOf(sql, id);
    assert.equal(receiver.received.length, 1);
    const [got] = receiver.received;
    assert.equal(got.method, "POST");
    assert.equal(got.path, "/functions/v1/hook?n=1&run=a%20b%26c");
    assert.equal(got.headers.get("authorization"), "Bearer local-test-key");
    assert.equal(got.headers.get("content-type"), "application/json");
    assert.match(got.headers.get("user-agent") ?? "", /^pg_net\//);
    assert.deepEqual(JSON.parse(got.body), body);
    assert.deepEqual(
      { ...answer, headers: null },
      {
        status_code: 201,
        content_type: "text/plain",
        headers: null,
        content: "created",
        timed_out: false,
        error_msg: null,
      },
    );
    assert.equal(answer.headers?.["x-answer"], "yes");
  }));

Deno.test("net.http_post's defaults: an empty JSON object, Content-Type added; net.http_get sends no body", () =>
  withStack(async (sql, receiver) => {
    const [post] = await sql<{ id: string }[]>`
      select net.http_post(${receiver.url + "/default"}, headers := '{"X-Usher": "1"}') as id`;
    const [get] = await sql<{ id: string }[]>`select net.http_get(${receiver.url + "/get"}, '{"q": "1"}') as id`;
    await responseOf(sql, post.id);
    await responseOf(sql, get.id);
    const byPath = Object.fromEntries(receiver.received.map((r) => [r.path, r]));
    assert.equal(byPath["/default"].body, "{}");
    assert.equal(byPath["/default"].headers.get("content-type"), "application/json");
    assert.equal(byPath["/default"].headers.get("x-usher"), "1");
    assert.deepEqual([byPath["/get?q=1"].method, byPath["/get?q=1"].body], ["GET", ""]);
    await assert.rejects(
      () => sql`select net.http_post(${receiver.url}, headers := '{"Content-Type": "text/plain"}')`,
      /Content-Type header must be "application\/json"/,
    );
  }));

Deno.test("a request leaves only once its transaction commits, and a rolled-back one never", () =>
  withStack(async (sql, receiver) => {
    // Longer than the worker's one-second poll, so a request taken before the commit would show.
    let id = "";
    await sql.begin(async (tx) => {
      [{ id }] = await tx<{ id: string }[]>`select net.http_post(${receiver.url + "/committed"}) as id`;
      await sleep(1500);
      assert.equal(receiver.received.length, 0, "nothing is sent while the transaction is open");
    });
    await responseOf(sql, id);
    assert.deepEqual(receiver.received.map((r) => r.path), ["/committed"]);

    const rolledBack = await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`select net.http_post(${receiver.url + "/rolled-back"}) as id`;
      await tx`select 1 / 0`;
      return row.id;
    }).catch(() => null);
    assert.equal(rolledBack, null);
    await sleep(1500);
    assert.deepEqual(receiver.received.map((r) => r.path), ["/committed"], "the rolled-back request was never sent");
  }));

Deno.test("a request past its timeout_milliseconds is recorded as timed out; one that cannot connect, as failed", () =>
  withStack(async (sql, receiver) => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedUrl = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}/nobody`;
    closed.close();
    const [slow] = await sql<{ id: string }[]>`
      select net.http_post(${receiver.url + "/slow"}, timeout_milliseconds := 300) as id`;
    const [refused] = await sql<{ id: string }[]>`select net.http_post(${closedUrl}) as id`;
    const started = performance.now();
    const timedOut = await responseOf(sql, slow.id);
    assert.ok(performance.now() - started < 3000, "given up near its 300 ms, not at the server's leisure");
    assert.deepEqual([timedOut.status_code, timedOut.timed_out, timedOut.content], [null, true, null]);
    assert.match(timedOut.error_msg ?? "", /^Timeout of 300 ms reached/);
    const failed = await responseOf(sql, refused.id);
    assert.deepEqual([failed.status_code, failed.timed_out], [null, false]);
    assert.ok(failed.error_msg, "a failure without an answer says why");
  }));

Deno.test("vault.create_secret and vault.decrypted_secrets round-trip, as service_role", async () => {
  const sql = connect(dbUrl, 1);
  try {
    await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const name = `usher_test_${crypto.randomUUID()}`;
      const [{ id }] = await tx<{ id: string }[]>`select vault.create_secret('s3cret ✓', ${name}, 'a test') as id`;
      const read = () => tx`select name, description, decrypted_secret from vault.decrypted_secrets where id = ${id}`;
      assert.deepEqual([...await read()], [{ name, description: "a test", decrypted_secret: "s3cret ✓" }]);
      await tx`select vault.update_secret(${id}, 'rotated')`;
      assert.equal((await read())[0].decrypted_secret, "rotated");
      await assert.rejects(
        () => tx.savepoint((sp) => sp`select vault.create_secret('again', ${name})`),
        /duplicate key/,
      );
      throw new RolledBack();
    }).catch((e) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  } finally {
    await sql.end();
  }
});

Deno.test("make up stored project_url and service_role_key in Vault, as a pg_cron job reads them", async () => {
  const sql = connect(dbUrl, 1);
  try {
    const rows = await sql<{ name: string; decrypted_secret: string }[]>`
      select name, decrypted_secret from vault.decrypted_secrets
       where name in ('project_url', 'service_role_key') order by name`;
    assert.deepEqual(rows.map((r) => r.name), ["project_url", "service_role_key"]);
    assert.equal(rows[0].decrypted_secret, stackEnv.SUPABASE_URL);
    // Compared without printing: a failing deepEqual would write the key into the test output.
    assert.ok(rows[1].decrypted_secret === stackEnv.SUPABASE_SERVICE_ROLE_KEY, "service_role_key is the stack's key");
  } finally {
    await sql.end();
  }
});

Deno.test("a job's call as on hosted Supabase: URL and key from Vault, through the gateway to a function", async () => {
  const sql = connect(dbUrl, 1);
  try {
    // The Scheduling Edge Functions guide's statement, as a GET because whoami answers only GET.
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(
        url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
               || '/functions/v1/whoami',
        headers := jsonb_build_object('Authorization', 'Bearer ' || (
          select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')),
        timeout_milliseconds := 10000
      ) as id`;
    const answer = await responseOf(sql, id, 15_000);
    assert.deepEqual([answer.status_code, answer.error_msg], [200, null]);
    assert.equal(JSON.parse(answer.content ?? "{}").role, "service_role", "the gateway took the key from Vault");
  } finally {
    await sql.end();
  }
});
