// tests/vectors/retry.json replayed through the wasm build as the edge functions load it
// (edge-functions/_shared/wasm.ts): the same delays, classes, Retry-After waits and
// decisions as the Rust crate, to the millisecond.
import assert from "node:assert/strict";
import {
  classifyFailure,
  nextRetry,
  retryAfterMs,
  retryDelayMs,
  type RetrySchedule,
} from "../edge-functions/_shared/wasm.ts";

const vectors = JSON.parse(Deno.readTextFileSync(new URL("./vectors/retry.json", import.meta.url)));

Deno.test("every jittered delay of retry.json, through the wasm build", () => {
  for (const v of vectors.delays) {
    assert.equal(retryDelayMs(v.schedule as RetrySchedule, v.attempt, v.seed), v.delay_ms, JSON.stringify(v));
  }
});

Deno.test("every classification of retry.json", () => {
  for (const v of vectors.classify) assert.equal(classifyFailure(v.status, v.name), v.class, JSON.stringify(v));
});

Deno.test("every Retry-After case of retry.json: a wait, or null where the schedule decides", () => {
  for (const v of vectors.retry_after) {
    assert.equal(retryAfterMs(v.value, v.now_ms), v.error === null ? v.delay_ms : null, JSON.stringify(v));
  }
});

Deno.test("every next decision of retry.json", () => {
  for (const v of vectors.next) {
    const d = nextRetry(v.schedule, v.max_attempts, v.attempt, v.class, v.retry_after_ms, v.seed);
    assert.deepEqual(
      d,
      { kind: v.decision, delayMs: v.decision === "dead_letter" ? null : v.delay_ms },
      JSON.stringify(v),
    );
  }
});

Deno.test("bad arguments are TypeErrors, not wrong answers", () => {
  assert.throws(() => retryDelayMs("sms" as RetrySchedule, 0, 1), TypeError);
  assert.throws(() => retryDelayMs("email", -1, 1), TypeError);
  assert.throws(() => nextRetry("email", 5, 0, "maybe" as "retry", null, 1), TypeError);
});
