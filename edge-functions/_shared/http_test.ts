import assert from "node:assert/strict";
import { HttpError, readJsonObject, serve } from "./http.ts";

const quiet = { log: () => {} };
const silence = <T>(f: () => Promise<T>): Promise<T> => {
  const original = console.log;
  console.log = () => {};
  return f().finally(() => (console.log = original));
};

Deno.test("a thrown error becomes a 500 naming the request id, without a stack trace", async () => {
  const fetch = serve("t", () => Promise.reject(new Error("secret detail at line 12")), quiet);
  const res = await silence(() => fetch(new Request("http://x/t", { headers: { "x-request-id": "req-12345678" } })));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("x-request-id"), "req-12345678");
  const body = await res.json();
  assert.equal(body.error.code, "internal_error");
  assert.match(body.error.message, /req-12345678/);
  assert.doesNotMatch(JSON.stringify(body), /secret detail|line 12|at /);
});

Deno.test("an HttpError keeps its status, code, message and headers", async () => {
  const fetch = serve(
    "t",
    () => Promise.reject(new HttpError(429, "rate_limited", "Slow down", { "retry-after": "3" })),
    quiet,
  );
  const res = await silence(() => fetch(new Request("http://x/t")));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "3");
  assert.deepEqual(await res.json(), { error: { code: "rate_limited", message: "Slow down" } });
});

Deno.test("a malformed x-request-id is replaced by a fresh uuid", async () => {
  const fetch = serve("t", () => Promise.resolve(new Response("ok")), quiet);
  const res = await silence(() => fetch(new Request("http://x/t", { headers: { "x-request-id": "bad id\n" } })));
  assert.match(res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  await res.body?.cancel();
});

Deno.test("preflight requests get CORS headers and no handler call", async () => {
  let called = false;
  const fetch = serve("t", () => {
    called = true;
    return Promise.resolve(new Response("no"));
  }, quiet);
  const res = await silence(() => fetch(new Request("http://x/t", { method: "OPTIONS" })));
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-headers")!, /authorization/);
  assert.equal(called, false);
});

function post(body: BodyInit, type = "application/json", headers: Record<string, string> = {}): Request {
  return new Request("http://x/t", { method: "POST", body, headers: { "content-type": type, ...headers } });
}

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HttpError, `expected HttpError, got ${e}`);
    return e;
  }
  assert.fail("expected a rejection");
}

Deno.test("readJsonObject accepts an object within the limit", async () => {
  assert.deepEqual(await readJsonObject(post('{"a":1}'), 64), { a: 1 });
});

Deno.test("readJsonObject refuses bad input with a 4xx naming the problem", async () => {
  assert.equal((await rejection(readJsonObject(post("{"), 64))).code, "invalid_json");
  assert.equal((await rejection(readJsonObject(post("[1]"), 64))).code, "invalid_body");
  assert.equal((await rejection(readJsonObject(post("null"), 64))).code, "invalid_body");
  assert.equal((await rejection(readJsonObject(post("{}", "text/plain"), 64))).status, 415);
  const big = await rejection(readJsonObject(post(JSON.stringify({ a: "x".repeat(100) })), 64));
  assert.equal(big.status, 400);
  assert.equal(big.code, "body_too_large");
});

Deno.test("readJsonObject reads a body of declared length whole, and holds it to the limit", async () => {
  const body = '{"a":1}';
  assert.deepEqual(await readJsonObject(post(body, undefined, { "content-length": String(body.length) }), 64), {
    a: 1,
  });
  const over = JSON.stringify({ a: "x".repeat(100) });
  assert.equal(
    (await rejection(readJsonObject(post(over, undefined, { "content-length": "200" }), 64))).code,
    "body_too_large",
  );
  // In-process, nothing holds a body to its header: a short claim for a long body is caught too.
  assert.equal(
    (await rejection(readJsonObject(post(over, undefined, { "content-length": "10" }), 64))).code,
    "body_too_large",
  );
});

Deno.test("readJsonObject stops reading a streamed body once it passes the limit", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024).fill(32));
    },
  });
  const err = await rejection(readJsonObject(post(endless), 4096));
  assert.equal(err.code, "body_too_large");
  assert.ok(pulled < 10, `read ${pulled} chunks`);
});
