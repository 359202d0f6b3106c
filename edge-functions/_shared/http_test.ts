import assert from "node:assert/strict";
import { HttpError, readJsonObject, serve } from "./http.ts";

const quiet = { log: () => {} };
const silence = <T>(f: () => Promise<T>): Promise<T> => {
  const original = console.log;
  console.log = () => {};
  return f().finally(() => (console.log = original));
};

Deno.test("a thrown error becomes a 500 naming the request id, without a stack trace or its text", async () => {
  const lines: string[] = [];
  const fetch = serve("t", () => Promise.reject(new Error("secret detail postgres://u:pw@db")), quiet, (l) => {
    lines.push(l);
  });
  const res = await fetch(new Request("http://x/t", { headers: { "x-request-id": "req-12345678" } }));
  assert.equal(res.status, 500);
  const id = res.headers.get("x-request-id")!;
  assert.match(id, /^[0-9a-f-]{36}\.req-12345678$/, "our own prefix, then the caller's id");
  const body = await res.json();
  assert.equal(body.error.code, "internal_error");
  assert.ok(body.error.message.includes(id));
  assert.doesNotMatch(JSON.stringify(body), /secret detail|http_test|at /);
  // The log says what kind of error and where, never its message.
  const logged = lines.join("\n");
  assert.match(logged, /"error":"Error"/);
  assert.match(logged, /http_test\.ts:\d+/);
  assert.doesNotMatch(logged, /secret detail|pw@db/);
});

Deno.test("two requests naming the same x-request-id get different ids", async () => {
  const fetch = serve("t", () => Promise.resolve(new Response("ok")), quiet, () => {});
  const ids = await Promise.all([1, 2].map(async () => {
    const res = await fetch(new Request("http://x/t", { headers: { "x-request-id": "same-id-123" } }));
    await res.body?.cancel();
    return res.headers.get("x-request-id");
  }));
  assert.notEqual(ids[0], ids[1]);
});

Deno.test("fields the handler put in the context reach every answer, errors included", async () => {
  const fetch = serve(
    "t",
    (_req, _deps, ctx) => {
      ctx.headers.set("ratelimit", '"x";r=1;t=2');
      return Promise.reject(new HttpError(404, "not_found", "No such thing"));
    },
    quiet,
    () => {},
  );
  const res = await fetch(new Request("http://x/t"));
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("ratelimit"), '"x";r=1;t=2');
  await res.body?.cancel();
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
  assert.equal(big.status, 413);
  assert.equal(big.code, "body_too_large");
  // RFC 8259: JSON is UTF-8. A broken sequence is refused, not replaced by U+FFFD.
  const broken = await rejection(
    readJsonObject(post(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])), 64),
  );
  assert.equal(broken.status, 400);
  assert.equal(broken.code, "invalid_encoding");
  const halfChar = await rejection(
    readJsonObject(post(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d])), 64),
  );
  assert.equal(halfChar.code, "invalid_encoding");
  assert.deepEqual(await readJsonObject(post('{"a":"Türen € 🎫"}'), 64), { a: "Türen € 🎫" });
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

Deno.test("a body that stops short of its end is given up with a 408", async () => {
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"a":'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const err = await rejection(readJsonObject(post(stalled), 4096, 50));
  assert.equal(err.status, 408);
  assert.equal(err.code, "request_timeout");
  assert.ok(cancelled, "the read was stopped");
});
