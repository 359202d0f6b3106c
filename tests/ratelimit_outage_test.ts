// The limiter when its store misbehaves, in-process against the real Postgres and Redis
// behind loopback stand-ins that hang, refuse or slow down on command:
//
// - a store that does not answer, or refuses the connection, opens the breaker: the takes
//   after the first fail at once without reaching the store, and the fail mode applies
//   (checkout's limits fail open);
// - once the store answers again, a probe closes the breaker and takes are decided again;
// - a store too slow for the flood it is sent (this instance's own overload) never fails
//   open: what cannot be asked in time is refused with a 503 and a Retry-After.
import assert from "node:assert/strict";
import { connect } from "../edge-functions/_shared/db.ts";
import { logger } from "../edge-functions/_shared/log.ts";
import { enforce, type LimitCheck, perMinute, type Verdict } from "../edge-functions/_shared/ratelimit/limits.ts";
import { PostgresStore } from "../edge-functions/_shared/ratelimit/postgres.ts";
import { RedisStore } from "../edge-functions/_shared/ratelimit/redis.ts";
import type { RateLimitStore } from "../edge-functions/_shared/ratelimit/store.ts";
import { StoreUnavailable } from "../edge-functions/_shared/ratelimit/store.ts";
import type { Tuning } from "../edge-functions/_shared/ratelimit/dispatch.ts";
import { dbUrl, stackEnv } from "./support/stack.ts";
import { tcpProxy } from "./support/tcp_proxy.ts";

const silent = logger({}, () => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server that accepts connections and never says a word. */
function hungServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) conns.push(c);
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const c of conns) c.close();
    },
  };
}

/** A logger that keeps its lines' messages about the store, for a test to read. */
function recording() {
  const errors: string[] = [];
  return { errors, log: logger({}, (line) => errors.push(JSON.parse(line).error ?? "")) };
}

/** Checkout's two limits, failing open, under names of this run. */
function checkoutChecks(user: string): LimitCheck[] {
  const run = crypto.randomUUID().slice(0, 8);
  return [
    { limit: { name: `o${run}-user`, quota: perMinute(5), failMode: "open" }, key: user },
    { limit: { name: `o${run}-ip`, quota: perMinute(1000), failMode: "open" }, key: "198.18.0.1" },
  ];
}

function postgresStore(port: number, timeoutMs: number, tuning: Partial<Tuning> = {}): PostgresStore {
  return new PostgresStore(connect(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, 1), timeoutMs, tuning);
}

function redisStore(port: number, timeoutMs: number, tuning: Partial<Tuning> = {}): RedisStore {
  return new RedisStore(`redis://127.0.0.1:${port}`, timeoutMs, () => {}, tuning);
}

const stores: Record<string, (port: number, timeoutMs: number, tuning?: Partial<Tuning>) => RateLimitStore> = {
  postgres: postgresStore,
  redis: redisStore,
};
const realPorts: Record<string, number> = {
  postgres: Number(new URL(dbUrl).port),
  redis: Number(new URL(stackEnv.REDIS_URL).port),
};

for (const [kind, make] of Object.entries(stores)) {
  Deno.test(`a ${kind} store that does not answer opens the breaker; later takes fail open without reaching it`, async () => {
    const server = hungServer();
    // No probe during the test: the breaker stays open once the first call timed out.
    const store = make(server.port, 300, { probeEveryMs: 60_000 });
    try {
      const checks = checkoutChecks(crypto.randomUUID());
      const first = recording();
      const verdict = await enforce(store, checks, first.log);
      assert.ok(verdict.allowed && verdict.degraded, "the first take timed out and failed open");
      assert.match(first.errors[0], /unreachable: TimeoutError/);
      // The ones after it are refused by the breaker, without a wait of their own.
      const later = recording();
      const verdicts = await Promise.all(Array.from({ length: 200 }, () => enforce(store, checks, later.log)));
      assert.ok(verdicts.every((v) => v.allowed && v.degraded), "every later take failed open");
      assert.equal(later.errors.length, 200);
      assert.ok(later.errors.every((e) => /down for \d+ ms \(TimeoutError\)/.test(e)), later.errors[0]);
      await assert.rejects(
        store.takeAll([{ key: "k", quota: perMinute(5) }]),
        (e: unknown) => e instanceof StoreUnavailable && /down for \d+ ms/.test(e.message),
      );
    } finally {
      await store.close();
      await server.close();
    }
  });

  Deno.test(`a ${kind} store that refuses connections opens the breaker, and a probe closes it when it is back`, async () => {
    const gate = tcpProxy(realPorts[kind]);
    const store = make(gate.port, 2000, { probeEveryMs: 50 });
    const checks = checkoutChecks(crypto.randomUUID());
    try {
      assert.equal((await enforce(store, checks, silent)).allowed, true);
      await gate.cut();
      const first = recording();
      const down = await enforce(store, checks, first.log);
      assert.ok(down.allowed && down.degraded, "with the store gone, checkout fails open");
      assert.match(first.errors[0], /unreachable/);
      const later = recording();
      await Promise.all(Array.from({ length: 50 }, () => enforce(store, checks, later.log)));
      assert.ok(later.errors.every((e) => /down for \d+ ms/.test(e)), later.errors[0]);

      gate.restore();
      // Takes that find the breaker open start probes; wait (bounded) for one to answer.
      let back: Verdict | null = null;
      for (let i = 0; i < 100 && !(back?.allowed && !back.degraded); i++) {
        await sleep(50);
        back = await enforce(store, checks, silent);
      }
      assert.ok(back?.allowed && !back.degraded, "decided by the store again");
      assert.match(back.headers.ratelimit, /-user";r=3;t=\d+/, "the outage took nothing from the user");
    } finally {
      await store.close();
      await gate.close();
    }
  });

  Deno.test(`a flood a slow ${kind} store cannot keep up with is refused as overload, never admitted`, async () => {
    const gate = tcpProxy(realPorts[kind]);
    // One call at a time, of at most 8 requests, and at most 100 ms in the queue; each
    // call then takes over 300 ms, so most of the flood cannot be asked in time. A call
    // answers well within its 1 s, but the whole flood takes longer to get through: a
    // bound that counted the wait in the queue would take the store for down, and fail open.
    const store = make(gate.port, 1000, { maxInFlight: 1, maxBatch: 8, maxWaitMs: 100 });
    const checks = checkoutChecks(crypto.randomUUID());
    try {
      // Connect before the slowness starts, so only the calls are slow.
      await store.takeAll([{ key: `warm:${crypto.randomUUID()}`, quota: perMinute(5) }]);
      gate.delayMs = 150;
      const verdicts = await Promise.all(Array.from({ length: 200 }, () => enforce(store, checks, silent)));
      const admitted = verdicts.filter((v) => v.allowed);
      assert.equal(admitted.length, 5, "exactly the user's quota, decided by the store");
      assert.ok(admitted.every((v) => v.allowed && !v.degraded), "none failed open");
      const codes = verdicts.flatMap((v) => (v.allowed ? [] : [v.error.code]));
      assert.ok(codes.includes("rate_limit_overloaded"));
      for (const v of verdicts) {
        if (v.allowed) continue;
        assert.ok(["rate_limited", "rate_limit_overloaded"].includes(v.error.code));
        assert.match(new Headers(v.error.headers).get("retry-after") ?? "", /^[1-9][0-9]*$/);
      }
    } finally {
      gate.delayMs = 0;
      await store.close();
      await gate.close();
    }
  });
}
