// The fake Expo push API over real HTTP on loopback: tickets and their receipts, receipts set
// by ticket id and by token in-process and over HTTP, its refusals, failures on command in
// Expo's error shape, and a cross-check of both routes with Expo's own Node client.
import assert from "node:assert/strict";
import { type FakePush, startFakePush } from "./push.ts";

async function withFake(fn: (fake: FakePush) => Promise<void>) {
  const fake = startFakePush();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

const post = (fake: FakePush, path: string, body: unknown) =>
  fetch(fake.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function send(fake: FakePush, ...tokens: string[]): Promise<string[]> {
  const res = await post(fake, "/--/api/v2/push/send", tokens.map((to) => ({ to, title: "Hi", body: "there" })));
  assert.equal(res.status, 200);
  return (await res.json()).data.map((t: { id: string }) => t.id);
}

async function receipts(fake: FakePush, ids: unknown): Promise<Record<string, unknown>> {
  const res = await post(fake, "/--/api/v2/push/getReceipts", { ids });
  assert.equal(res.status, 200);
  return (await res.json()).data;
}

Deno.test("a ticket's receipt is ok by default, and an id never issued has none", () =>
  withFake(async (fake) => {
    const [id] = await send(fake, "ExponentPushToken[a]");
    assert.equal(fake.tickets.get(id), "ExponentPushToken[a]");
    assert.deepEqual(await receipts(fake, [id, "no-such-ticket"]), { [id]: { status: "ok" } });
    assert.deepEqual(await receipts(fake, []), {});
  }));

Deno.test("receipts are set by token and by ticket id, the ticket id's winning; missing leaves one out", () =>
  withFake(async (fake) => {
    const [a1, a2, b] = await send(fake, "ExponentPushToken[a]", "ExponentPushToken[a]", "ExponentPushToken[b]");
    fake.setReceipt({ token: "ExponentPushToken[a]" }, "DeviceNotRegistered");
    fake.setReceipt({ ticketId: a2 }, "ok");
    fake.setReceipt({ ticketId: b }, "missing");
    assert.deepEqual(await receipts(fake, [a1, a2, b]), {
      [a1]: {
        status: "error",
        message: "The recipient device is not registered with FCM or APNs",
        details: { error: "DeviceNotRegistered" },
      },
      [a2]: { status: "ok" },
    });
    for (const error of ["MessageTooBig", "MessageRateExceeded", "InvalidCredentials"] as const) {
      fake.setReceipt({ ticketId: b }, error);
      const got = (await receipts(fake, [b]))[b] as { status: string; details: { error: string } };
      assert.deepEqual([got.status, got.details.error], ["error", error]);
    }
  }));

Deno.test("POST /__receipts sets a receipt from another process, is checked, and is not recorded", () =>
  withFake(async (fake) => {
    const [id] = await send(fake, "ExponentPushToken[c]");
    const ok = await post(fake, "/__receipts", { token: "ExponentPushToken[c]", receipt: "MessageTooBig" });
    assert.equal(ok.status, 204);
    assert.equal(((await receipts(fake, [id]))[id] as { status: string }).status, "error");
    assert.equal((await post(fake, "/__receipts", { ticket_id: id, receipt: "missing" })).status, 204);
    assert.deepEqual(await receipts(fake, [id]), {});
    for (
      const [body, wrong] of [
        [{ ticket_id: id, receipt: "Lost" }, /receipt must be/],
        [{ receipt: "ok" }, /either ticket_id or token/],
        [{ ticket_id: id, token: "t", receipt: "ok" }, /either ticket_id or token/],
        ["[1]", /JSON object/],
      ] as const
    ) {
      const res = await post(fake, "/__receipts", body);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, wrong);
    }
    assert.equal((await fetch(`${fake.url}/__receipts`)).status, 405);
    assert.deepEqual(fake.requests.map((r) => r.path), [
      "/--/api/v2/push/send",
      "/--/api/v2/push/getReceipts",
      "/--/api/v2/push/getReceipts",
    ]);
  }));

Deno.test("getReceipts refuses what Expo refuses: no ids array, or more than 1000 ids", () =>
  withFake(async (fake) => {
    for (
      const [body, code] of [
        ["{not json", "VALIDATION_ERROR"],
        [{ ids: "a" }, "VALIDATION_ERROR"],
        [{ ids: [1] }, "VALIDATION_ERROR"],
        [{ ids: Array.from({ length: 1001 }, (_, i) => `id-${i}`) }, "PUSH_TOO_MANY_RECEIPTS"],
      ] as const
    ) {
      const res = await post(fake, "/--/api/v2/push/getReceipts", body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
      assert.equal((await res.json()).errors[0].code, code);
    }
    assert.equal((await post(fake, "/--/api/v2/push/getReceipts", { ids: Array(1000).fill("x") })).status, 200);
  }));

Deno.test("failures on command answer both routes in Expo's error shape, in-process and over HTTP", () =>
  withFake(async (fake) => {
    fake.failNext(1, 503);
    const down = await post(fake, "/--/api/v2/push/getReceipts", { ids: [] });
    assert.deepEqual([down.status, (await down.json()).errors[0].code], [503, "INTERNAL_SERVER_ERROR"]);
    assert.equal((await post(fake, "/__fail", { n: 2, status: 429, retryAfter: 7 })).status, 204);
    for (const path of ["/--/api/v2/push/getReceipts", "/--/api/v2/push/send"]) {
      const res = await post(fake, path, path.endsWith("send") ? [] : { ids: [] });
      assert.deepEqual([res.status, res.headers.get("retry-after"), (await res.json()).errors[0].code], [
        429,
        "7",
        "TOO_MANY_REQUESTS",
      ]);
    }
    assert.equal((await post(fake, "/--/api/v2/push/getReceipts", { ids: [] })).status, 200, "then it recovers");
  }));

Deno.test("Expo's own Node client sends and reads receipts against the fake", async () => {
  const fake = startFakePush();
  // The client reads its base URL once, when it is loaded.
  Deno.env.set("EXPO_BASE_URL", fake.url);
  try {
    const { Expo } = await import("npm:expo-server-sdk@7.2.0");
    const expo = new Expo();
    const tickets = await expo.sendPushNotificationsAsync([
      { to: "ExponentPushToken[fine]", title: "Doors open" },
      { to: "ExponentPushToken[gone]", title: "Doors open" },
    ]);
    const ids = tickets.map((t) => t.status === "ok" ? t.id : t.message);
    assert.deepEqual(tickets.map((t) => t.status), ["ok", "ok"]);
    fake.setReceipt({ token: "ExponentPushToken[gone]" }, "DeviceNotRegistered");
    const got = await expo.getPushNotificationReceiptsAsync(ids);
    assert.deepEqual(got[ids[0]], { status: "ok" });
    assert.deepEqual(got[ids[1]], {
      status: "error",
      message: "The recipient device is not registered with FCM or APNs",
      details: { error: "DeviceNotRegistered" },
    });
    assert.deepEqual(JSON.parse(fake.requests.at(-1)!.body), { ids });
  } finally {
    Deno.env.delete("EXPO_BASE_URL");
    await fake.close();
  }
});
