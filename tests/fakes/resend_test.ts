// The fake Resend over real HTTP on loopback: every rule it claims to keep, each failure on
// command, and a cross-check of its request and answer formats with Resend's own Node client;
// and the webhooks it sends on command, verified by Standard Webhooks' own library.
import assert from "node:assert/strict";
import { Resend } from "npm:resend@6.38.0";
import { Webhook } from "npm:standardwebhooks@1.1.1";
import { type FakeResend, type FakeResendOptions, startFakeResend } from "./resend.ts";

const KEY = "re_test_123";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const email = (to: string | string[] = "ada@example.com", subject = "Your tickets") => ({
  from: "Usher <tickets@usher.example>",
  to,
  subject,
  html: "<p>See you there</p>",
});

function post(
  fake: FakeResend,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(fake.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

async function withFake(options: FakeResendOptions, fn: (fake: FakeResend) => Promise<void>) {
  const fake = startFakeResend(options);
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

// A fixed clock keeps the one-second rate window from ending mid-test; tests that need the
// window, the quota day or a key's 24 hours to pass move it themselves.
function clock() {
  const c = { t: 1_700_000_000_000, now: () => c.t };
  return c;
}

Deno.test("POST /emails answers a message id and counts one delivery", () =>
  withFake({ now: clock().now }, async (fake) => {
    const res = await post(fake, "/emails", email());
    assert.deepEqual(res.status, 200);
    const { id } = await res.json();
    assert.match(id, UUID);
    assert.deepEqual(fake.deliveries, [{
      id,
      from: "Usher <tickets@usher.example>",
      to: ["ada@example.com"],
      subject: "Your tickets",
      idempotencyKey: null,
      createdAt: new Date(1_700_000_000_000).toISOString(),
    }]);
    const listed = await (await fetch(`${fake.url}/__deliveries`)).json();
    assert.deepEqual(listed, { count: 1, deliveries: fake.deliveries });
    assert.deepEqual(fake.requests.length, 1, "reading /__deliveries is not a request to the API");
  }));

Deno.test("refusals carry Resend's names and deliver nothing", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ["/emails", email(), { authorization: "" }, 401, "missing_api_key"],
      ["/emails", email(), { authorization: "Bearer sk_test_1" }, 403, "invalid_api_key"],
      ["/nope", email(), {}, 404, "not_found"],
      ["/emails", "{not json", {}, 400, "validation_error"],
      ["/emails", { ...email(), to: undefined }, {}, 422, "missing_required_field"],
      ["/emails", { ...email(), html: undefined }, {}, 422, "missing_required_field"],
      ["/emails", { ...email(), from: "not an address" }, {}, 422, "invalid_from_address"],
      ["/emails", email("Ada <ada@>"), {}, 422, "validation_error"],
      ["/emails", email(Array.from({ length: 51 }, (_, i) => `p${i}@example.com`)), {}, 422, "validation_error"],
      ["/emails", { ...email(), tags: [{ name: "kind", value: "a b" }] }, {}, 422, "validation_error"],
      ["/emails", { ...email(), headers: { "X-Entity-Ref-ID": 7 } }, {}, 422, "validation_error"],
      ["/emails", { ...email(), attachments: [{ filename: "qr.png" }] }, {}, 422, "invalid_attachment"],
      ["/emails", email(), { "idempotency-key": "k".repeat(257) }, 400, "invalid_idempotency_key"],
    ];
    for (const [path, body, headers, status, name] of cases) {
      const res = await post(fake, path, body, headers);
      assert.deepEqual([res.status, (await res.json()).name], [status, name], `${path} ${JSON.stringify(headers)}`);
    }
    assert.deepEqual(fake.deliveries.length, 0);
    const named = await post(fake, "/emails", email(["Ada Lovelace <ada@example.com>", "grace@example.com"]));
    assert.deepEqual(named.status, 200, "a display name with the address in angle brackets is an address");
  }));

Deno.test("an inline image by content_id and tags are accepted on /emails", () =>
  withFake({ now: clock().now }, async (fake) => {
    const res = await post(fake, "/emails", {
      ...email(),
      text: "ADA00001",
      tags: [{ name: "kind", value: "ticket" }],
      headers: { "X-Entity-Ref-ID": "order-1" },
      attachments: [{ filename: "qr.png", content: "iVBORw0KGgo=", content_type: "image/png", content_id: "qr" }],
    });
    assert.deepEqual(res.status, 200);
    assert.deepEqual(fake.deliveries.length, 1);
  }));

Deno.test("POST /emails/batch: up to 100 e-mails, no attachments, refused whole if one is invalid", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const res = await post(fake, "/emails/batch", [email("a@example.com", "one"), email("b@example.com", "two")]);
    assert.deepEqual(res.status, 200);
    const { data } = await res.json();
    assert.deepEqual(data.map((d: { id: string }) => d.id), fake.deliveries.map((d) => d.id));
    assert.deepEqual(fake.deliveries.map((d) => d.subject), ["one", "two"]);

    const refused = [
      Array.from({ length: 101 }, () => email()),
      [],
      [email(), { ...email(), attachments: [{ filename: "qr.png", content: "AA==" }] }],
      [email(), { ...email(), subject: undefined }],
    ];
    for (const batch of refused) {
      const r = await post(fake, "/emails/batch", batch);
      assert.deepEqual(r.status, 422, `${batch.length} e-mails`);
      await r.body?.cancel();
    }
    assert.deepEqual(fake.deliveries.length, 2);
    const full = await post(fake, "/emails/batch", Array.from({ length: 100 }, (_, i) => email(`p${i}@example.com`)));
    assert.deepEqual((await full.json()).data.length, 100);
    assert.deepEqual(fake.deliveries.length, 102);
  }));

Deno.test("an Idempotency-Key replays its message id for 24 hours and refuses another body", () => {
  const c = clock();
  return withFake({ now: c.now, requestsPerSecond: 100 }, async (fake) => {
    const key = { "idempotency-key": "ticket-email/30000000-0000-4000-8000-000000000001" };
    const first = await (await post(fake, "/emails", email(), key)).json();
    const again = await (await post(fake, "/emails", email(), key)).json();
    assert.deepEqual(again.id, first.id);
    assert.deepEqual(fake.deliveries.length, 1, "a replay is not a delivery");
    assert.deepEqual(fake.deliveries[0].idempotencyKey, key["idempotency-key"]);

    const other = await post(fake, "/emails", email("grace@example.com"), key);
    assert.deepEqual([other.status, (await other.json()).name], [409, "invalid_idempotent_request"]);
    const batch = await post(fake, "/emails/batch", [email()], key);
    assert.deepEqual([batch.status, (await batch.json()).name], [409, "invalid_idempotent_request"]);

    c.t += 24 * 3600_000 - 1;
    assert.deepEqual((await (await post(fake, "/emails", email(), key)).json()).id, first.id);
    c.t += 1;
    const expired = await (await post(fake, "/emails", email(), key)).json();
    assert.ok(expired.id !== first.id, "a key older than 24 hours is forgotten");
    assert.deepEqual(fake.deliveries.length, 2);
  });
});

Deno.test("a key whose first request is in flight gets 409 concurrent_idempotent_requests", () =>
  withFake({ now: clock().now, requestsPerSecond: 100, processingMs: 400 }, async (fake) => {
    const key = { "idempotency-key": "k-in-flight" };
    const started = performance.now();
    const first = post(fake, "/emails", email(), key);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await post(fake, "/emails", email(), key);
    assert.deepEqual([second.status, (await second.json()).name], [409, "concurrent_idempotent_requests"]);
    const { id } = await (await first).json();
    assert.ok(performance.now() - started >= 400, "the first answer waited its processing time");
    assert.deepEqual((await (await post(fake, "/emails", email(), key)).json()).id, id);
    assert.deepEqual(fake.deliveries.length, 1);
  }));

Deno.test("more than the requests per second get 429 rate_limit_exceeded with Resend's headers", () => {
  const c = clock();
  return withFake({ now: c.now }, async (fake) => {
    const first = await post(fake, "/emails", email());
    assert.deepEqual(
      ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map((h) => first.headers.get(h)),
      ["2", "1", "1"],
    );
    await first.body?.cancel();
    assert.deepEqual((await post(fake, "/emails", email())).headers.get("ratelimit-remaining"), "0");
    const third = await post(fake, "/emails", email());
    assert.deepEqual([third.status, (await third.json()).name], [429, "rate_limit_exceeded"]);
    assert.deepEqual(third.headers.get("retry-after"), "1");
    assert.deepEqual(third.headers.get("ratelimit-remaining"), "0");
    assert.deepEqual(fake.deliveries.length, 2);
    c.t += 1000;
    const later = await post(fake, "/emails", email());
    assert.deepEqual(later.status, 200, "a new window admits again");
    await later.body?.cancel();
  });
});

Deno.test("a daily quota counts recipients and answers 429 daily_quota_exceeded", () => {
  const c = clock();
  return withFake({ now: c.now, requestsPerSecond: 100, dailyQuota: 3 }, async (fake) => {
    const two = await post(fake, "/emails", email(["a@example.com", "b@example.com"]));
    assert.deepEqual(two.status, 200);
    await two.body?.cancel();
    const over = await post(fake, "/emails", email(["c@example.com", "d@example.com"]));
    assert.deepEqual([over.status, (await over.json()).name], [429, "daily_quota_exceeded"]);
    assert.deepEqual((await post(fake, "/emails", email("c@example.com"))).status, 200);
    c.t += 24 * 3600_000;
    assert.deepEqual((await post(fake, "/emails", email(["c@example.com", "d@example.com"]))).status, 200);
    assert.deepEqual(fake.deliveries.length, 3);
  });
});

Deno.test("failures on command are answered Resend's way and save nothing under the key", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const key = { "idempotency-key": "k-fail" };
    const cases: [number, number | undefined, string][] = [
      [500, undefined, "internal_server_error"],
      [503, 7, "application_error"],
      [429, 3, "rate_limit_exceeded"],
      [422, undefined, "validation_error"],
    ];
    for (const [status, retryAfter, name] of cases) {
      fake.failNext(1, status, retryAfter);
      const res = await post(fake, "/emails", email(), key);
      const body = await res.json();
      assert.deepEqual([res.status, body.statusCode, body.name], [status, status, name]);
      assert.deepEqual(res.headers.get("retry-after"), retryAfter === undefined ? null : String(retryAfter));
    }
    assert.deepEqual(fake.deliveries.length, 0);
    const ok = await post(fake, "/emails", email(), key);
    assert.deepEqual(ok.status, 200, "the key is free after failures");
    assert.deepEqual((await ok.json()).id, fake.deliveries[0].id);
  }));

Deno.test("a held request is answered never, until the client gives up", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const key = { "idempotency-key": "k-hold" };
    fake.holdNext(1);
    await assert.rejects(() => post(fake, "/emails", email(), key, AbortSignal.timeout(300)), DOMException);
    assert.deepEqual(fake.deliveries.length, 0, "held before acceptance, nothing was sent");
    fake.holdNext(1, "after");
    await assert.rejects(() => post(fake, "/emails", email(), key, AbortSignal.timeout(300)), DOMException);
    assert.deepEqual(fake.deliveries.length, 1, "held after acceptance, the e-mail went out");
    const retry = await (await post(fake, "/emails", email(), key)).json();
    assert.deepEqual(retry.id, fake.deliveries[0].id, "the retry with the key learns the id");
    assert.deepEqual(fake.requests.length, 3);
  }));

Deno.test("a dropped connection ends without a byte of answer", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const key = { "idempotency-key": "k-drop" };
    fake.dropNext(1);
    const started = performance.now();
    // A TypeError is fetch's network error; the timeout would have been a DOMException.
    await assert.rejects(() => post(fake, "/emails", email(), key, AbortSignal.timeout(5000)), TypeError);
    assert.ok(performance.now() - started < 2000, "dropped at once, not held");
    assert.deepEqual(fake.deliveries.length, 0);

    // The raw bytes: the socket is closed with nothing written on it.
    fake.dropNext(1, "after");
    const { port } = new URL(fake.url);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const body = JSON.stringify(email());
    await conn.write(new TextEncoder().encode(
      `POST /emails HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\nidempotency-key: k-drop\r\n` +
        `content-length: ${body.length}\r\n\r\n${body}`,
    ));
    assert.deepEqual(await conn.read(new Uint8Array(16)), null);
    conn.close();
    assert.deepEqual(fake.deliveries.length, 1, "dropped after acceptance, the e-mail went out");
    assert.deepEqual((await (await post(fake, "/emails", email(), key)).json()).id, fake.deliveries[0].id);
  }));

Deno.test("Resend's Node client (resend@6.38.0) sends what the fake reads and reads what it answers", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const resend = new Resend(KEY, { baseUrl: fake.url });
    const sent = await resend.emails.send({
      ...email(),
      text: "ADA00001",
      tags: [{ name: "kind", value: "ticket" }],
      attachments: [{ filename: "qr.png", content: "iVBORw0KGgo=", contentType: "image/png", contentId: "qr" }],
    }, { idempotencyKey: "k-client" });
    assert.deepEqual(sent.error, null);
    assert.deepEqual(sent.data?.id, fake.deliveries[0].id);
    assert.deepEqual(sent.headers?.["ratelimit-limit"], "100");
    const recorded = fake.requests[0];
    assert.deepEqual([recorded.method, recorded.path, recorded.headers["idempotency-key"]], [
      "POST",
      "/emails",
      "k-client",
    ]);
    assert.deepEqual(JSON.parse(recorded.body).attachments[0].content_id, "qr");

    const conflict = await resend.emails.send(email("grace@example.com"), { idempotencyKey: "k-client" });
    assert.deepEqual(conflict.error, {
      statusCode: 409,
      name: "invalid_idempotent_request",
      message: "Same idempotency key used with a different request payload.",
    });
    const batch = await resend.batch.send([email("a@example.com"), email("b@example.com")]);
    assert.deepEqual(batch.data?.data.map((d) => d.id), fake.deliveries.slice(1).map((d) => d.id));
    fake.dropNext(1);
    const dropped = await resend.emails.send(email());
    assert.deepEqual([dropped.error?.name, dropped.error?.statusCode], ["application_error", null]);
    assert.deepEqual(fake.deliveries.length, 3);
  }));

Deno.test("another process commands failures over HTTP: POST /__fail, /__drop and /__hold", () =>
  withFake({ now: clock().now, requestsPerSecond: 100 }, async (fake) => {
    const command = async (path: string, body: unknown) => {
      const res = await fetch(fake.url + path, { method: "POST", body: JSON.stringify(body) });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    assert.deepEqual(await command("/__fail", { n: 2, status: 503, retryAfter: 1 }), { status: 204, body: null });
    for (let i = 0; i < 2; i++) {
      const res = await post(fake, "/emails", email());
      assert.deepEqual([res.status, (await res.json()).name], [503, "application_error"]);
      assert.deepEqual(res.headers.get("retry-after"), "1");
    }
    const ok = await post(fake, "/emails", email());
    assert.deepEqual(ok.status, 200, "only the n commanded fail");
    await ok.body?.cancel();

    assert.deepEqual((await command("/__drop", { n: 1, when: "after" })).status, 204);
    await assert.rejects(() => post(fake, "/emails", email()), TypeError);
    assert.deepEqual(fake.deliveries.length, 2, "dropped after acceptance, the e-mail went out");

    assert.deepEqual((await command("/__hold", { n: 1 })).status, 204);
    await assert.rejects(() => post(fake, "/emails", email(), {}, AbortSignal.timeout(300)), DOMException);
    assert.deepEqual(fake.deliveries.length, 2, "held before acceptance (the default), nothing was sent");

    const wrong: [string, unknown, RegExp][] = [
      ["/__fail", { n: 1, status: 200 }, /status/],
      ["/__fail", { n: -1, status: 500 }, /^n /],
      ["/__fail", { n: 1, status: 500, retryAfter: "soon" }, /retryAfter/],
      ["/__drop", { n: 1, when: "during" }, /when/],
      ["/__hold", [1], /object/],
    ];
    for (const [path, body, message] of wrong) {
      const answer = await command(path, body);
      assert.deepEqual(answer.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.match(answer.body.error, message);
    }
    assert.deepEqual((await fetch(`${fake.url}/__fail`)).status, 405, "a command is a POST");
    assert.deepEqual(fake.requests.length, 5, "commands are not requests to the API");
    assert.deepEqual((await post(fake, "/emails", email())).status, 200, "a refused command changes nothing");
  }));

const WEBHOOK_SECRET = "whsec_" + btoa("fake-resend-test-webhook-key-32b");

/**
 * The webhook endpoint: verifies each delivery with Standard Webhooks' library as a Resend
 * integration would, answers 200 or 400 with the verdict, and keeps what came.
 */
function startReceiver() {
  const received: { headers: Headers; body: string; verified: unknown; error: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    // Svix names the headers svix-*; the library reads them under Standard Webhooks' names.
    const headers = Object.fromEntries(
      ["id", "timestamp", "signature"].map((h) => [`webhook-${h}`, req.headers.get(`svix-${h}`) ?? ""]),
    );
    try {
      const verified = new Webhook(WEBHOOK_SECRET).verify(body, headers);
      received.push({ headers: req.headers, body, verified, error: null });
      return Response.json({ received: true });
    } catch (e) {
      received.push({ headers: req.headers, body, verified: null, error: (e as Error).message });
      return Response.json({ error: (e as Error).message }, { status: 400 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/resend-webhook`, received, close: () => server.shutdown() };
}

async function withWebhook(fn: (fake: FakeResend, receiver: ReturnType<typeof startReceiver>) => Promise<void>) {
  const receiver = startReceiver();
  try {
    await withFake(
      { now: clock().now, requestsPerSecond: 100, webhook: { url: receiver.url, secret: WEBHOOK_SECRET } },
      (fake) => fn(fake, receiver),
    );
  } finally {
    await receiver.close();
  }
}

async function webhook(fake: FakeResend, body: unknown) {
  const res = await fetch(`${fake.url}/__webhook`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

Deno.test("POST /__webhook sends Resend's event about a message, signed so that Standard Webhooks verifies it", () =>
  withWebhook(async (fake, receiver) => {
    const { id } = await (await post(fake, "/emails", email(["ada@example.com", "grace@example.com"]))).json();
    const answer = await webhook(fake, { email_id: id, type: "email.delivered" });
    assert.deepEqual(answer.status, 200);
    const { svix_id, event, deliveries } = answer.body;
    assert.deepEqual(deliveries, [{ status: 200, body: { received: true } }]);
    assert.match(svix_id, /^msg_\w{27}$/);
    assert.deepEqual(event, {
      type: "email.delivered",
      created_at: event.created_at,
      data: {
        email_id: id,
        from: "Usher <tickets@usher.example>",
        to: ["ada@example.com", "grace@example.com"],
        subject: "Your tickets",
        created_at: fake.deliveries[0].createdAt,
      },
    });
    assert.ok(Math.abs(Date.parse(event.created_at) - Date.now()) < 5000, "the event is of the real time");
    const [got] = receiver.received;
    assert.deepEqual([got.error, got.verified, JSON.parse(got.body)], [null, event, event]);
    assert.deepEqual(got.headers.get("svix-id"), svix_id);
    assert.match(got.headers.get("svix-signature")!, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(fake.requests.length, 1, "a webhook command is not a request to the API");
  }));

Deno.test("a bounce carries its kind, and copies share one svix id", () =>
  withWebhook(async (fake, receiver) => {
    const { id } = await (await post(fake, "/emails", email())).json();
    const hard = await webhook(fake, { email_id: id, type: "email.bounced", copies: 3, svix_id: "msg_retried" });
    assert.deepEqual(
      hard.body.event.data.bounce,
      { type: "Permanent", subType: "General" },
      "a hard bounce by default",
    );
    assert.deepEqual(hard.body.deliveries.map((d: { status: number }) => d.status), [200, 200, 200]);
    assert.deepEqual(receiver.received.map((r) => [r.headers.get("svix-id"), r.error]), [
      ["msg_retried", null],
      ["msg_retried", null],
      ["msg_retried", null],
    ]);
    const soft = await webhook(fake, {
      email_id: id,
      type: "email.bounced",
      bounce: { type: "Transient", subType: "MailboxFull" },
    });
    assert.deepEqual(soft.body.event.data.bounce, { type: "Transient", subType: "MailboxFull" });
    const opened = await webhook(fake, { email_id: id, type: "email.opened" });
    assert.ok(!("bounce" in opened.body.event.data), "only a bounce has one");
  }));

Deno.test("a wrong webhook command gets a 400 naming the field; an unknown message a 404; no endpoint a 409", async () => {
  await withWebhook(async (fake) => {
    const { id } = await (await post(fake, "/emails", email())).json();
    const wrong: [unknown, RegExp][] = [
      [{ type: "email.sent" }, /^email_id /],
      [{ email_id: id, type: "contact.created" }, /^type /],
      [{ email_id: id, type: "email.delivered", bounce: { type: "Permanent", subType: "General" } }, /^bounce /],
      [{ email_id: id, type: "email.bounced", bounce: { type: "Hard", subType: "General" } }, /^bounce /],
      [{ email_id: id, type: "email.sent", copies: 0 }, /^copies /],
      [{ email_id: id, type: "email.sent", svix_id: "" }, /^svix_id /],
      ["email.sent", /object/],
    ];
    for (const [body, message] of wrong) {
      const answer = await webhook(fake, body);
      assert.deepEqual(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, message, JSON.stringify(body));
    }
    assert.deepEqual(await webhook(fake, { email_id: "never", type: "email.sent" }), {
      status: 404,
      body: { error: "no e-mail with id never" },
    });
  });
  await withFake({ now: clock().now }, async (fake) => {
    const { id } = await (await post(fake, "/emails", email())).json();
    const answer = await webhook(fake, { email_id: id, type: "email.sent" });
    assert.deepEqual(answer.status, 409);
    assert.match(answer.body.error, /USHER_RESEND_WEBHOOK_URL/);
  });
});
