// The Resend adapter against any answer a server can give: it never throws, calls a send
// done only with one message id per e-mail, and its failure summary (what the queue stores)
// is the status and at most Resend's error name, never the answer's text.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { ResendClient } from "./resend.ts";

Deno.test("any answer is an outcome: ids only from a 2xx with one id per e-mail, summaries without the body", async () => {
  let next = { status: 200, body: "" };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return new Response(next.body, { status: next.status, headers: { "content-type": "application/json" } });
  });
  const client = new ResendClient(`http://127.0.0.1:${server.addr.port}`, "re_test", "a@example.com", 2_000);
  const email = { to: "fan@example.com", subject: "s", html: "h" };
  const body = fc.oneof(
    fc.json(),
    fc.string(),
    fc.record({ id: fc.oneof(fc.string(), fc.integer()) }).map((v) => JSON.stringify(v)),
    fc.record({ data: fc.array(fc.record({ id: fc.string() }), { maxLength: 3 }) }).map((v) => JSON.stringify(v)),
    fc.record({ name: fc.string(), message: fc.constant("SECRET-TEXT") }).map((v) => JSON.stringify(v)),
  );
  try {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 200, max: 599 }), body, fc.boolean(), async (status, text, batch) => {
        next = { status, body: [204, 205, 304].includes(status) ? "" : text };
        if ([204, 205, 304].includes(status)) return;
        const emails = batch ? [email, email] : [email];
        const outcome = await client.send("k", emails, batch);
        if (outcome.ok) {
          assert.ok(status < 300);
          assert.equal(outcome.ids.length, emails.length);
        } else {
          assert.doesNotMatch(outcome.summary, /SECRET-TEXT/);
          assert.ok(outcome.summary.length <= 100, outcome.summary);
        }
      }),
      { numRuns: 300 },
    );
  } finally {
    await server.shutdown();
  }
});
