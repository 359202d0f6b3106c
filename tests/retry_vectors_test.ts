// tests/vectors/retry.json replayed through both builds of the wasm core, each bound to the
// one typed API (edge-functions/_shared/core/api.ts): the embedded build as the edge functions
// load it (_shared/wasm.ts) and pkg/web as the browser dashboard loads it (web/src/core/usher.ts).
// Both must give the same delays, classes, Retry-After waits and decisions as the Rust crate,
// to the millisecond.
import assert from "node:assert/strict";
import type { RetrySchedule, UsherCore } from "../edge-functions/_shared/core/api.ts";
import * as functions from "../edge-functions/_shared/wasm.ts";
import * as browser from "../web/src/core/usher.ts";

// The browser's entry is its core with usher.ts's own retry functions over it, which TanStack
// Query's callbacks call.
const builds: [string, UsherCore][] = [
  ["edge functions", functions],
  ["browser", { ...await browser.loadCore(), ...browser }],
];
const vectors = JSON.parse(Deno.readTextFileSync(new URL("./vectors/retry.json", import.meta.url)));

for (const [build, core] of builds) {
  Deno.test(`${build}: every jittered delay of retry.json`, () => {
    for (const v of vectors.delays) {
      assert.equal(core.retryDelayMs(v.schedule as RetrySchedule, v.attempt, v.seed), v.delay_ms, JSON.stringify(v));
    }
  });

  Deno.test(`${build}: every classification of retry.json`, () => {
    for (const v of vectors.classify) assert.equal(core.classifyFailure(v.status, v.name), v.class, JSON.stringify(v));
  });

  Deno.test(`${build}: every Retry-After case of retry.json: a wait, or null where the schedule decides`, () => {
    for (const v of vectors.retry_after) {
      assert.equal(core.retryAfterMs(v.value, v.now_ms), v.error === null ? v.delay_ms : null, JSON.stringify(v));
    }
  });

  Deno.test(`${build}: every next decision of retry.json`, () => {
    for (const v of vectors.next) {
      const d = core.nextRetry(v.schedule, v.max_attempts, v.attempt, v.class, v.retry_after_ms, v.seed);
      assert.deepEqual(
        d,
        { kind: v.decision, delayMs: v.decision === "dead_letter" ? null : v.delay_ms },
        JSON.stringify(v),
      );
    }
  });

  Deno.test(`${build}: bad arguments are TypeErrors, not wrong answers`, () => {
    assert.throws(() => core.retryDelayMs("sms" as RetrySchedule, 0, 1), TypeError);
    assert.throws(() => core.retryDelayMs("email", -1, 1), TypeError);
    assert.throws(() => core.nextRetry("email", 5, 0, "maybe" as "retry", null, 1), TypeError);
  });
}

Deno.test("the dashboard's schedule is in the file: 1 s, 3 s and 10 s, ±10 %, three retries", () => {
  const dashboard = vectors.schedules.find((s: { name: string }) => s.name === "dashboard");
  assert.deepEqual(dashboard, {
    name: "dashboard",
    delays_ms: [1000, 3000, 10000],
    jitter_percent: 10,
    max_attempts: 3,
  });
  assert.ok(vectors.delays.filter((v: { schedule: string }) => v.schedule === "dashboard").length >= 40);
  assert.ok(
    vectors.next.some((v: { schedule: string; attempt: number; decision: string }) =>
      v.schedule === "dashboard" && v.attempt === 3 && v.decision === "dead_letter"
    ),
    "the fourth failure of a dashboard fetch is its last",
  );
});
