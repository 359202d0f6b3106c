// send-email in-process against the real database: who may call it, what each bad field
// is told, and what a repeated idempotency key gets.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { dbUrl, jwtSecret, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../../tools/local/jwt.ts";
import { handleSendEmail } from "./handler.ts";

async function withFunction(t: (call: (body: unknown, token?: string) => Promise<Response>) => Promise<void>) {
  const sql = connect(dbUrl, 2);
  const service = await mintJwt(jwtSecret, { role: "service_role" }, 600);
  const served = serve("send-email", handleSendEmail, { sql, auth: new Authenticator(jwtSecret) }, () => {});
  const subject = `send-email test ${crypto.randomUUID()}`;
  const call = (body: unknown, token = service) =>
    served(
      new Request("http://x/send-email", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(
          typeof body === "object" && body !== null && !Array.isArray(body) ? { subject, ...body } : body,
        ),
      }),
    );
  try {
    await t(call);
  } finally {
    // The stack's own processor would send these; they were only ever test rows.
    await sql`delete from public.email_queue where subject = ${subject}`;
    await sql.end();
  }
}

const good = { to: "fan@example.com", html: "<p>Hello</p>" };

Deno.test("a good e-mail is accepted with 202 and its queue row", () =>
  withFunction(async (call) => {
    const res = await call({ ...good, text: "Hello", tags: [{ name: "kind", value: "test" }] });
    assert.equal(res.status, 202);
    const body = await res.json();
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.status, "pending");
  }));

Deno.test("a repeated idempotency_key answers the first row; the same key with another e-mail is a 422", () =>
  withFunction(async (call) => {
    const key = `order-${crypto.randomUUID()}`;
    const first = await (await call({ ...good, idempotency_key: key })).json();
    const repeat = await call({ ...good, idempotency_key: key });
    assert.equal(repeat.status, 202);
    assert.equal(repeat.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await repeat.json(), first);
    const reused = await call({ ...good, html: "<p>Other</p>", idempotency_key: key });
    assert.equal(reused.status, 422);
    assert.equal((await reused.json()).error.code, "idempotency_key_reused");
  }));

Deno.test("only the service role may send e-mail", () =>
  withFunction(async (call) => {
    const res = await call(good, await userJwt(crypto.randomUUID()));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "forbidden");
    assert.equal((await call(good, "not-a-jwt")).status, 401);
  }));

const bad: [string, Record<string, unknown>][] = [
  ["to", { to: undefined }],
  ["to", { to: "not an address" }],
  ["to", { to: "a@b" }],
  ["to", { to: "Fan <fan@example.com>" }],
  ["to", { to: "fan@example.com, other@example.com" }],
  ["to", { to: "fan@exa\r\nmple.com" }],
  ["to", { to: `${"a".repeat(65)}@example.com` }],
  ["to", { to: ["fan@example.com"] }],
  ["subject", { subject: "" }],
  ["subject", { subject: "x".repeat(501) }],
  ["subject", { subject: "Hi\r\nBcc: victim@example.com" }],
  ["html", { html: undefined }],
  ["html", { html: "x".repeat(256 * 1024 + 1) }],
  ["text", { text: 42 }],
  ["tags", { tags: [{ name: "has space", value: "x" }] }],
  ["tags", { tags: Array.from({ length: 11 }, (_, i) => ({ name: `t${i}`, value: "x" })) }],
  ["idempotency_key", { idempotency_key: "" }],
  ["idempotency_key", { idempotency_key: "with space" }],
  ["cc", { cc: "other@example.com" }],
];

for (const [field, change] of bad) {
  Deno.test(`a bad ${field} (${JSON.stringify(change).slice(0, 60)}) is a 400 naming it`, () =>
    withFunction(async (call) => {
      const res = await call({ ...good, ...change });
      assert.equal(res.status, 400);
      const { error } = await res.json();
      assert.deepEqual([error.code, error.field], ["invalid_field", field]);
      assert.ok(error.message.length > 10);
    }));
}

Deno.test("a body that is not a JSON object is refused by what it is", () =>
  withFunction(async (call) => {
    assert.equal((await (await call([good])).json()).error.code, "invalid_body");
  }));
