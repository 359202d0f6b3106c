// The Redis store: the GCRA Lua script run with EVALSHA (one round trip; EVAL once when
// the server does not know the script yet, after a restart or a SCRIPT FLUSH), one call
// for all the requests of a batch (./dispatch.ts), pipelined on one connection.
//
// All keys of a call must live on one Redis node: a single primary, as here, or a cluster
// whose keys share a hash tag.
import { createHash } from "node:crypto";
import { Redis } from "npm:ioredis@6.0.0";
import { type Backend, defaultTuning, Dispatcher, type Request, type Tuning } from "./dispatch.ts";
import { gcraLua } from "./gcra_lua.ts";
import type { Decision, RateLimitStore, Take } from "./store.ts";

const scriptSha = createHash("sha1").update(gcraLua).digest("hex");

/** Redis error prefixes that mean "not now" rather than "wrong call". */
const unavailableReply = /^(LOADING|BUSY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

export class RedisStore implements RateLimitStore {
  readonly kind = "redis";
  readonly redis: Redis;
  readonly #dispatch: Dispatcher;

  /**
   * Connects lazily to `url`. `timeoutMs` bounds each call from the moment it is sent;
   * while Redis is down, ioredis keeps reconnecting in the background, the first call to
   * fail opens the breaker and later takes fail at once until a probe answers.
   */
  constructor(
    url: string,
    timeoutMs = defaultTuning.timeoutMs,
    onError: (e: Error) => void = () => {},
    tuning: Partial<Tuning> = {},
  ) {
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
    const backend: Backend = {
      call: (batch) => this.#call(batch),
      ping: () => this.redis.ping(),
      // A reply error about the call (a bug in the script or its arguments) is surfaced as
      // is. A server that is loading, busy, out of memory or without its primary cannot
      // answer now, like a refused, reset or timed-out connection.
      unavailable: (e) => !(e instanceof Error && e.name === "ReplyError" && !unavailableReply.test(e.message)),
    };
    // Calls pipeline on the one connection: eight out at once keep Redis busy while the
    // client encodes the next (tests/bench/ratelimit_redis.ts).
    this.#dispatch = new Dispatcher(this.kind, backend, { ...defaultTuning, maxInFlight: 8, timeoutMs, ...tuning });
  }

  takeAll(takes: readonly Take[], cost = 1, nowUs?: number): Promise<Decision[]> {
    return this.#dispatch.take(takes, cost, nowUs);
  }

  async close(): Promise<void> {
    await this.#dispatch.settle();
    this.redis.disconnect();
  }

  async #call(batch: readonly Request[]): Promise<number[]> {
    const keys: string[] = [];
    const numbers: (number | string)[] = [batch.length];
    for (const r of batch) {
      numbers.push(r.cost, r.nowUs ?? "n", r.takes.length);
      for (const t of r.takes) {
        keys.push(t.key);
        numbers.push(t.quota.count, t.quota.periodUs, t.quota.burst);
      }
    }
    const args = numbers.join(",");
    // The first call starts the connection; commands wait in ioredis's queue meanwhile.
    if (this.redis.status === "wait") this.redis.connect().catch(() => {});
    let reply: string;
    try {
      reply = (await this.redis.evalsha(scriptSha, keys.length, ...keys, args)) as string;
    } catch (e) {
      if (!(e instanceof Error && e.message.startsWith("NOSCRIPT"))) throw e;
      // EVAL both runs the script and caches it, so the next EVALSHA finds it.
      reply = (await this.redis.eval(gcraLua, keys.length, ...keys, args)) as string;
    }
    return reply.split(",").map(Number);
  }
}
