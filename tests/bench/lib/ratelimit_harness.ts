// What the rate limit benchmarks share: a closed-loop load of `concurrency` workers for a
// fixed time, with contenders measured in alternating rounds, so that a noisy neighbour or
// a warming JIT does not favour whichever runs first. Not a benchmark itself.
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
 * warm-up each, and returns each one's mean operations per second.
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

/** A rate-limiter-flexible limiter: `consume` resolves when admitted, rejects with a result when not. */
export interface FlexibleLimiter {
  consume(key: string): Promise<unknown>;
}

/**
 * Races Usher's store (`ours(i)`) against rate-limiter-flexible on the same backend and
 * reports both rates and their ratio under `name`.
 */
export async function compareWithFlexible(
  name: string,
  ours: (i: number) => Promise<unknown>,
  theirs: FlexibleLimiter,
  keys: number,
  concurrency: number,
): Promise<void> {
  const result = await compare({
    usher: ours,
    // A refusal rejects with a RateLimiterRes; that is a decision too, and counts.
    flexible: (i) =>
      theirs.consume(`bench:${i % keys}`).catch((r: unknown) => {
        if (r instanceof Error) throw r;
      }),
  }, { concurrency, seconds: 4, rounds: 3 });
  report(`${name}_usher`, Math.round(result.usher).toString(), "decisions/s");
  report(`${name}_rate_limiter_flexible`, Math.round(result.flexible).toString(), "decisions/s");
  report(`${name}_usher_vs_rate_limiter_flexible`, (result.usher / result.flexible).toFixed(2), "ratio (target > 1)");
}
