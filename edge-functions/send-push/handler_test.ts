// send-push in-process against the real database, a real Redis store and a local fake of
// Expo's push API.
import assert from "node:assert/strict";
import { Authenticator } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { serve } from "../_shared/http.ts";
import { PushClient } from "../_shared/providers/push.ts";
import { pushLimits } from "../_shared/ratelimit/named.ts";
import { RedisStore } from "../_shared/ratelimit/redis.ts";
import { startFakePush } from "../../tests/fakes/push.ts";
import { freePort } from "../../tests/support/ports.ts";
import { dbUrl, jwtSecret, stackEnv, userJwt } from "../../tests/support/stack.ts";
import { mintJwt } from "../../tools/local/jwt.ts";
import { handleSendPush, type PushDeps } from "./handler.ts";

type Env = {
  deps: PushDeps;
  call: (body: unknown, token?: string, lines?: string[]) => Promise<Response>;
  userId: string;
  push: ReturnType<typeof startFakePush>;
  deliveries: () => Promise<{ status: string; provider_ticket_id: string | null; error: string | null }[]>;
};

async function setup(t: (env: Env) => Promise<void>, redisUrl = stackEnv.REDIS_URL) {
  const sql = connect(dbUrl, 2);
  const push = startFakePush();
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${userId + "@test.example"})`;
  const service = await mintJwt(jwtSecret, { role: "service_role" }, 600);
  const limits = pushLimits(() => undefined);
  const deps: PushDeps = {
    sql,
    auth: new Authenticator(jwtSecret),
    store: new RedisStore(redisUrl, 500),
    // Production quotas under names of this run, so no other test shares the global key.
    limits: {
      user: { ...limits.user, name: `t${userId.slice(0, 8)}-push-user` },
      global: { ...limits.global, name: `t${userId.slice(0, 8)}-push-global` },
    },
    push: new PushClient(push.url),
  };
  let lines: string[] = [];
  const served = serve("send-push", handleSendPush, deps, (l) => lines.push(l));
  const call = (body: unknown, token = service, into: string[] = []) => {
    lines = into;
    return served(
      new Request("http://x/send-push", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  };
  const deliveries = async () =>
    (await sql<{ status: string; provider_ticket_id: string | null; error: string | null }[]>`
      select status, provider_ticket_id, error from public.push_deliveries where user_id = ${userId}
      order by created_at`).map((r) => ({ ...r }));
  try {
    await t({ deps, call, userId, push, deliveries });
  } finally {
    await sql`delete from public.push_retired_tokens where token like ${`%-${userId}]`}`;
    await sql`delete from auth.users where id = ${userId}`;
    await deps.store.close();
    await push.close();
    await sql.end();
  }
}

const message = (userId: string, token = "ExponentPushToken[test-device]") => ({
  user_id: userId,
  token,
  title: "Doors open",
  body: "Night at the Planetarium starts in 30 minutes",
  data: { event_id: "10000000-0000-4000-8000-000000000001" },
});

Deno.test("a push is sent in Expo's shape and tracked with its ticket id", async () => {
  await setup(async ({ call, userId, push, deliveries }) => {
    const res = await call(message(userId));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "sent");
    assert.match(res.headers.get("ratelimit")!, /-push-user";r=9;t=360, "t\w+-push-global";r=599;t=1$/);
    assert.equal(push.requests.length, 1);
    assert.deepEqual(JSON.parse(push.requests[0].body), [{
      to: "ExponentPushToken[test-device]",
      title: "Doors open",
      body: "Night at the Planetarium starts in 30 minutes",
      data: { event_id: "10000000-0000-4000-8000-000000000001" },
    }]);
    assert.deepEqual(await deliveries(), [{ status: "sent", provider_ticket_id: body.ticket_id, error: null }]);
  });
});

Deno.test("the eleventh push to a user in an hour is refused with a 429 and recorded as rate_limited", async () => {
  await setup(async ({ call, userId, push, deliveries }) => {
    for (let i = 0; i < 10; i++) assert.equal((await call(message(userId))).status, 200);
    const res = await call(message(userId));
    assert.equal(res.status, 429);
    assert.equal((await res.json()).error.code, "rate_limited");
    // Ten per hour is one every six minutes.
    assert.equal(res.headers.get("retry-after"), "360");
    assert.equal(push.requests.length, 10);
    const rows = await deliveries();
    assert.equal(rows.filter((r) => r.status === "sent").length, 10);
    assert.equal(rows.at(-1)!.status, "rate_limited");
  });
});

Deno.test("the global push limit holds across users", async () => {
  await setup(async ({ deps, call, userId }) => {
    deps.limits = {
      ...deps.limits,
      global: { ...deps.limits.global, quota: { count: 2, periodUs: 60_000_000, burst: 2 } },
    };
    assert.equal((await call(message(userId))).status, 200);
    assert.equal((await call(message(userId))).status, 200);
    const res = await call(message(userId));
    assert.equal(res.status, 429);
    assert.match((await res.json()).error.message, /-push-global limit/);
  });
});

Deno.test("push fails closed: with the limit store unreachable nothing is sent, the caller gets a 503", async () => {
  const closedPort = freePort();
  await setup(async ({ call, userId, push, deliveries }) => {
    const lines: string[] = [];
    const res = await call(message(userId), undefined, lines);
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "rate_limit_unavailable");
    assert.equal(res.headers.get("retry-after"), "5");
    assert.equal(push.requests.length, 0);
    assert.equal((await deliveries())[0].status, "failed");
    assert.match(lines.join("\n"), /fail closed/);
  }, `redis://127.0.0.1:${closedPort}`);
});

Deno.test("a token the provider refuses is tracked as failed with the provider's reason, and retired", async () => {
  await setup(async ({ deps, call, userId, push, deliveries }) => {
    const token = `ExponentPushToken[DeviceNotRegistered-${userId}]`;
    const res = await call(message(userId, token));
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).error, "DeviceNotRegistered");
    const [row] = await deliveries();
    assert.equal(row.status, "failed");
    assert.match(row.error!, /^DeviceNotRegistered: /);
    assert.deepEqual(
      (await deps.sql`select reason from public.push_retired_tokens where token = ${token}`).map((r) => r.reason),
      ["DeviceNotRegistered"],
    );
    const again = await call(message(userId, token));
    assert.equal(again.status, 410);
    assert.equal(push.requests.length, 1, "a retired token never reaches the provider");
  });
});

Deno.test("a retired token is a 410 device_unregistered, recorded failed, with no quota used and nothing sent", async () => {
  await setup(async ({ deps, call, userId, push, deliveries }) => {
    const token = `ExponentPushToken[retired-${userId}]`;
    await deps.sql`select public.retire_push_token(${token}, 'DeviceNotRegistered')`;
    const res = await call(message(userId, token));
    assert.equal(res.status, 410);
    assert.equal((await res.json()).error.code, "device_unregistered");
    assert.equal(res.headers.get("ratelimit"), null, "no quota was asked for");
    assert.equal(push.requests.length, 0);
    const [row] = await deliveries();
    assert.equal(row.status, "failed");
    assert.match(row.error!, /^DeviceNotRegistered: token retired at .* \(DeviceNotRegistered\)$/);
    const live = await call(message(userId));
    assert.equal(live.status, 200, "another token of the user's is sent");
    assert.match(live.headers.get("ratelimit")!, /-push-user";r=9;/, "as the user's first push");
  });
});

Deno.test("a provider outage is a 502, tracked as failed", async () => {
  await setup(async ({ call, userId, push, deliveries }) => {
    push.failNext(1, 503);
    const res = await call(message(userId));
    assert.equal(res.status, 502);
    assert.equal((await deliveries())[0].status, "failed");
  });
});

Deno.test("only the service role may send, and bad input names the field", async () => {
  await setup(async ({ call, userId, push, deliveries }) => {
    const user = await call(message(userId), await userJwt(userId));
    assert.equal(user.status, 403);
    for (
      const [body, code] of [
        [{ ...message(userId), user_id: "x" }, "user_id"],
        [{ ...message(userId), token: "" }, "token"],
        [{ ...message(userId), token: "ExponentPushToken[a\u0000b]" }, "token"],
        [{ ...message(userId), title: "" }, "title"],
        [{ ...message(userId), title: "Doors\u0000open" }, "title"],
        [{ ...message(userId), title: "Doors \ud83c open" }, "title"],
        [{ ...message(userId), body: 5 }, "body"],
        [{ ...message(userId), body: "Starts\u0000soon" }, "body"],
        [{ ...message(userId), data: [1] }, "data"],
      ] as const
    ) {
      const res = await call(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const { error } = await res.json();
      assert.equal(error.code, "invalid_field");
      assert.equal(error.field, code);
    }
    assert.deepEqual(await deliveries(), [], "nothing refused is recorded");
    const unknown = await call(message(crypto.randomUUID()));
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, "unknown_user");
    assert.equal(push.requests.length, 0, "nothing is sent for a user who does not exist");
  });
});

Deno.test("a multi-line body goes out as sent", async () => {
  await setup(async ({ call, userId, push }) => {
    const res = await call({ ...message(userId), body: "Doors open.\n\tSee you soon 🎫" });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(push.requests[0].body)[0].body, "Doors open.\n\tSee you soon 🎫");
  });
});

Deno.test("the delivery row exists, pending, before the provider is asked", async () => {
  await setup(async ({ deps, call, userId, deliveries }) => {
    const seen: string[] = [];
    const provider = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
      const [row] = await deps.sql<{ status: string }[]>`
        select status from public.push_deliveries where user_id = ${userId}`;
      seen.push(row?.status ?? "no row");
      return Response.json({ data: [{ status: "ok", id: crypto.randomUUID() }] });
    });
    try {
      deps.push = new PushClient(`http://127.0.0.1:${provider.addr.port}`);
      assert.equal((await call(message(userId))).status, 200);
      assert.deepEqual(seen, ["pending"]);
      assert.deepEqual((await deliveries()).map((d) => d.status), ["sent"]);
    } finally {
      await provider.shutdown();
    }
  });
});

Deno.test("a push the provider took is answered as sent even when its outcome cannot be written", async () => {
  await setup(async ({ deps, call, userId, deliveries }) => {
    // The function's own pool, lost (ended) while the provider handles the push.
    const pool = connect(dbUrl, 1);
    deps.sql = pool;
    const provider = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
      await pool.end();
      return Response.json({ data: [{ status: "ok", id: crypto.randomUUID() }] });
    });
    try {
      deps.push = new PushClient(`http://127.0.0.1:${provider.addr.port}`);
      const lines: string[] = [];
      const res = await call(message(userId), undefined, lines);
      assert.equal(res.status, 200, "not a 500 that a caller would retry, sending twice");
      assert.equal((await res.json()).status, "sent");
      assert.match(lines.join("\n"), /push delivery not settled; its row stays pending/);
      assert.deepEqual((await deliveries()).map((d) => d.status), ["pending"]);
    } finally {
      await provider.shutdown();
    }
  });
});
