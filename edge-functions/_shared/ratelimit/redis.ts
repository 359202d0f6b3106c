// The Redis store: the GCRA Lua script run with EVALSHA (one round trip; EVAL once when
// the server does not know the script yet, after a restart or a SCRIPT FLUSH).
//
// Takes asked for in the same tick (concurrent requests in one function instance) travel
// together in one script call, each decided exactly as it would be alone. All keys of a
// call must then live on one Redis node: a single primary, as here, or a cluster whose
// keys share a hash tag.
import { createHash } from "node:crypto";
import { Redis } from "npm:ioredis@6.0.0";
import {
  checkCost,
  checkQuota,
  type Decision,
  type Quota,
  type RateLimitStore,
  StoreUnavailable,
  type Take,
} from "./store.ts";
import { gcraLua } from "./gcra_lua.ts";
import { Batcher } from "../batch.ts";
import { describeError } from "../log.ts";
import { withTimeout } from "../timeout.ts";

const scriptSha = createHash("sha1").update(gcraLua).digest("hex");

/** Redis error prefixes that mean "not now" rather than "wrong call". */
const unavailableReply = /^(LOADING|BUSY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

type Pending = Take & { cost: number; nowUs?: number };

/** The most takes sent in one script call; 8 measured best in tests/bench/ratelimit_redis.ts. */
const maxBatch = 8;

export class RedisStore implements RateLimitStore {
  readonly kind = "redis";
  readonly redis: Redis;
  readonly #batcher = new Batcher<Pending, Decision>(
    maxBatch,
    (batch) => this.#run("each", batch, (p) => p.cost, (p) => p.nowUs),
  );

  /**
   * Connects lazily to `url`. `timeoutMs` bounds each call: while Redis is down, ioredis
   * keeps reconnecting in the background and each take fails within that bound.
   */
  constructor(url: string, readonly timeoutMs = 2000, onError: (e: Error) => void = () => {}) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      // Limiter calls are short; a long offline queue would only delay the inevitable.
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    // ioredis reports connection trouble as events; without a listener they would be
    // printed as unhandled. The failing take reports it to its caller anyway.
    this.redis.on("error", onError);
  }

  take(key: string, quota: Quota, cost = 1, nowUs?: number): Promise<Decision> {
    checkQuota(quota);
    checkCost(cost, nowUs);
    return this.#batcher.add({ key, quota, cost, nowUs });
  }

  takeAll(takes: readonly Take[], cost = 1, nowUs?: number): Promise<Decision[]> {
    takes.forEach((t) => checkQuota(t.quota));
    checkCost(cost, nowUs);
    if (new Set(takes.map((t) => t.key)).size !== takes.length || takes.length === 0) {
      throw new TypeError("rate limit keys must be distinct, and at least one");
    }
    return this.#run("all", takes, () => cost, () => nowUs);
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }

  async #run<T extends Take>(
    mode: "each" | "all",
    takes: readonly T[],
    costOf: (t: T) => number,
    nowOf: (t: T) => number | undefined,
  ): Promise<Decision[]> {
    const keys = takes.map((t) => t.key);
    const args: string[] = [mode];
    for (const t of takes) {
      const now = nowOf(t);
      args.push(
        String(t.quota.count),
        String(t.quota.periodUs),
        String(t.quota.burst),
        String(costOf(t)),
        now === undefined ? "" : String(now),
      );
    }
    let reply: number[];
    try {
      reply = await withTimeout(this.#evalsha(keys, args), this.timeoutMs, "redis");
    } catch (e) {
      // A reply error about the call (a bug in the script or its arguments) is surfaced as
      // is. A server that is loading, busy, out of memory or without its primary cannot
      // answer now, like a refused, reset or timed-out connection.
      if (e instanceof Error && e.name === "ReplyError" && !unavailableReply.test(e.message)) throw e;
      throw new StoreUnavailable(`rate limit store (redis) unreachable: ${describeError(e)}`);
    }
    return takes.map((_, i) => {
      const [allowed, tooLarge, remaining, retry, reset, tat] = reply.slice(i * 6, i * 6 + 6);
      return {
        allowed: allowed === 1,
        tooLarge: tooLarge === 1,
        remaining,
        retryAfterUs: retry < 0 ? null : retry,
        resetAfterUs: reset,
        tatUs: tat < 0 ? null : tat,
      };
    });
  }

  async #evalsha(keys: string[], args: string[]): Promise<number[]> {
    if (this.redis.status === "wait") await this.redis.connect();
    try {
      return (await this.redis.evalsha(scriptSha, keys.length, ...keys, ...args)) as number[];
    } catch (e) {
      if (!(e instanceof Error && e.message.startsWith("NOSCRIPT"))) throw e;
      // EVAL both runs the script and caches it, so the next EVALSHA finds it.
      return (await this.redis.eval(gcraLua, keys.length, ...keys, ...args)) as number[];
    }
  }
}
