// What the rate limit benchmarks share. They measure the path a limited request takes,
// `enforce` over an endpoint's real limits and key shapes on a store configured as the
// functions configure it, against rate-limiter-flexible doing the same work on the same
// server: one consume per limit, all at once (what its RateLimiterUnion does, with each
// limit's own key, since the keys differ). Three figures per endpoint: decisions per
// second under a closed-loop load, and the latency of a lone request (p50, p99). Not a
// benchmark itself.
import { logger } from "../../../edge-functions/_shared/log.ts";
import { enforce, type LimitCheck, type NamedLimit } from "../../../edge-functions/_shared/ratelimit/limits.ts";
import { checkoutLimits, pushLimits, scannerLimits } from "../../../edge-functions/_shared/ratelimit/named.ts";
import type { RateLimitStore } from "../../../edge-functions/_shared/ratelimit/store.ts";
import { report } from "./report.ts";

/** Runs `op` from `concurrency` workers for `ms`; returns operations per second. */
async function runFor(op: (i: number) => Promise<unknown>, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    let i = w;
    while (performance.now() < deadline) {
      await op(i);
      i += concurrency;
      done++;
    }
  }));
  return done / ((performance.now() - started) / 1000);
}

/**
 * Measures each contender in `rounds` alternating rounds of `seconds`, after a one-second
 * warm-up each, so that a noisy neighbour or a warming JIT does not favour whichever runs
 * first; returns each one's mean operations per second.
 */
export async function compare(
  contenders: Record<string, (i: number) => Promise<unknown>>,
  { concurrency, seconds, rounds }: { concurrency: number; seconds: number; rounds: number },
): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const [name, op] of Object.entries(contenders)) {
    await runFor(op, concurrency, 1000);
    totals[name] = 0;
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(contenders)) totals[name] += await runFor(op, concurrency, seconds * 1000);
  }
  return Object.fromEntries(Object.entries(totals).map(([name, total]) => [name, total / rounds]));
}

/**
 * The p50 and p99, in microseconds, of `n` calls of each contender one after the other,
 * alternating between them call by call so that a change in the machine's load falls on
 * both alike.
 */
async function lone(
  contenders: Record<string, (i: number) => Promise<unknown>>,
  n: number,
): Promise<Record<string, { p50: number; p99: number }>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let i = -n / 10; i < n; i++) {
    for (const [name, op] of Object.entries(contenders)) {
      const started = performance.now();
      await op(i + n / 10);
      if (i >= 0) samples[name].push((performance.now() - started) * 1000);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, us]) => {
      us.sort((a, b) => a - b);
      return [name, { p50: us[Math.floor(n * 0.5)], p99: us[Math.floor(n * 0.99)] }];
    }),
  );
}

/** A rate-limiter-flexible limiter: `consume` resolves when admitted, rejects with a result when not. */
export interface FlexibleLimiter {
  consume(key: string): Promise<unknown>;
}

/** One endpoint's limits and the keys its requests carry, request `i` of the run. */
interface Endpoint {
  name: string;
  limits: NamedLimit[];
  keys: (i: number) => string[];
}

/** The endpoints as their handlers call enforce, with key spreads of a busy event. */
export function endpoints(run: string): Endpoint[] {
  const none = () => undefined;
  const checkout = checkoutLimits(none);
  const push = pushLimits(none);
  const scanner = scannerLimits(none);
  return [
    {
      name: "checkout",
      limits: [checkout.user, checkout.ip],
      keys: (i) => [`bench-${run}-user-${i % 2000}`, `bench-${run}-ip-${(i * 7) % 5000}`],
    },
    {
      name: "push",
      limits: [push.user, push.global],
      keys: (i) => [`bench-${run}-user-${i % 2000}`, `bench-${run}-all`],
    },
    // scanner-validate limits each scanner account by itself, with one check.
    { name: "scan", limits: Object.values(scanner), keys: (i) => [`bench-${run}-scanner-${i % 200}`] },
  ];
}

/**
 * Races `enforce` on `store` against rate-limiter-flexible limiters made by `flexible`
 * (one per limit, for its quota) and reports, per endpoint, both rates, both lone-request
 * latencies and the ratios, under `prefix`.
 */
export async function compareEndpoints(
  prefix: string,
  store: RateLimitStore,
  flexible: (limit: NamedLimit) => Promise<FlexibleLimiter>,
  run: string,
  concurrency: number,
): Promise<void> {
  const log = logger({}, () => {});
  const ours = (endpoint: Endpoint) => (i: number) => {
    const keys = endpoint.keys(i);
    const checks: LimitCheck[] = endpoint.limits.map((limit, j) => ({ limit, key: keys[j] }));
    return enforce(store, checks, log);
  };
  // A refusal rejects with a RateLimiterRes; that is a decision too, and counts.
  const peer = (endpoint: Endpoint, theirs: FlexibleLimiter[]) => (i: number) => {
    const keys = endpoint.keys(i);
    return Promise.all(theirs.map((l, j) =>
      l.consume(keys[j]).catch((r: unknown) => {
        if (r instanceof Error) throw r;
      })
    ));
  };
  // Lone requests go to keys of their own, so the load before has not spent their quotas.
  const loneEndpoints = endpoints(`${run}-lone`);
  for (const [e, endpoint] of endpoints(run).entries()) {
    // One after the other: each of their limiters creates its table (or key space) when made.
    const theirs: FlexibleLimiter[] = [];
    for (const limit of endpoint.limits) theirs.push(await flexible(limit));
    const name = `${prefix}_${endpoint.name}`;
    const rate = await compare({ usher: ours(endpoint), flexible: peer(endpoint, theirs) }, {
      concurrency,
      seconds: 2,
      rounds: 3,
    });
    report(`${name}_usher`, Math.round(rate.usher).toString(), "decisions/s");
    report(`${name}_rate_limiter_flexible`, Math.round(rate.flexible).toString(), "decisions/s");
    report(`${name}_usher_vs_rate_limiter_flexible`, (rate.usher / rate.flexible).toFixed(2), "ratio (target > 1)");

    const latency = await lone({ usher: ours(loneEndpoints[e]), flexible: peer(loneEndpoints[e], theirs) }, 3000);
    for (const p of ["p50", "p99"] as const) {
      report(`${name}_lone_${p}_usher`, latency.usher[p].toFixed(0), "us");
      report(`${name}_lone_${p}_rate_limiter_flexible`, latency.flexible[p].toFixed(0), "us");
      report(
        `${name}_lone_${p}_usher_vs_rate_limiter_flexible`,
        (latency.flexible[p] / latency.usher[p]).toFixed(2),
        "speed-up (target >= 1)",
      );
    }
  }
}

/**
 * The latency of lone checkouts (p50, p99) while the store refuses connections: `enforce`
 * on `store` (which fails open at once once its breaker is open) against the peer's two
 * consumes on a client of the same store, which find out for themselves each time.
 */
export async function compareOutage(
  prefix: string,
  store: RateLimitStore,
  theirs: (limit: NamedLimit) => FlexibleLimiter,
  run: string,
): Promise<void> {
  const log = logger({}, () => {});
  const [checkout] = endpoints(run);
  const peers = checkout.limits.map(theirs);
  const latency = await lone({
    usher: (i) => {
      const keys = checkout.keys(i);
      return enforce(store, checkout.limits.map((limit, j) => ({ limit, key: keys[j] })), log);
    },
    // Their consume rejects with the connection error; that is its answer, and counts.
    flexible: (i) => {
      const keys = checkout.keys(i);
      return Promise.all(peers.map((l, j) => l.consume(keys[j]).catch(() => {})));
    },
  }, 20);
  for (const p of ["p50", "p99"] as const) {
    report(`${prefix}_store_down_${p}_usher`, latency.usher[p].toFixed(0), "us");
    report(`${prefix}_store_down_${p}_rate_limiter_flexible`, latency.flexible[p].toFixed(0), "us");
  }
}
