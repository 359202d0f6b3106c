import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { ApiError, MalformedData } from "../src/analytics/api/queries.ts";
import { loadCore, retryAfterMs } from "../src/core/usher.ts";
import { keySeed, maxRetries, pollDelay, retryDelay, shouldRetry } from "../src/query/retry.ts";

const vectors = JSON.parse(
  readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), "../../tests/vectors/retry.json"), "utf8"),
) as { delays: { schedule: string; attempt: number; seed: number; delay_ms: number }[] };

beforeAll(() => loadCore());

describe("shouldRetry", () => {
  test.each([
    [0, 503, true],
    [2, 503, true],
    [3, 503, false],
    [0, 500, true],
    [0, 504, true],
    [0, 408, true],
    [0, 429, true],
    [0, 0, true],
    [0, 400, false],
    [0, 401, false],
    [0, 403, false],
    [0, 404, false],
    [0, 422, false],
  ])("after %i failures, status %i: %s", (failures, status, expected) => {
    expect(shouldRetry(failures, new ApiError(status, "x"))).toBe(expected);
  });

  test("malformed data and programming errors are not retried", () => {
    expect(shouldRetry(0, new MalformedData("sales", "data"))).toBe(false);
    expect(shouldRetry(0, new TypeError("boom"))).toBe(false);
  });

  test("three retries, as the crate's dashboard schedule has", () => {
    expect(maxRetries).toBe(3);
  });
});

describe("retryDelay", () => {
  const dashboard = vectors.delays.filter((v) => v.schedule === "dashboard");

  test("replays the dashboard schedule's vectors: the delays are the wasm core's", () => {
    expect(dashboard.length).toBeGreaterThan(0);
    // The retries' delays, then (beyond them) the polls', which repeat the schedule's last.
    const failed = new ApiError(503, "x");
    for (const v of dashboard) {
      const ours = v.attempt < maxRetries
        ? retryDelay(v.attempt, failed, v.seed)
        : pollDelay(failed, v.seed, v.attempt - maxRetries + 1);
      expect(ours).toBe(v.delay_ms);
    }
  });

  test("1 s, 3 s and 10 s, each within ±10 %", () => {
    const seed = keySeed(["analytics", "e", "sales", "30d"]);
    [1000, 3000, 10000].forEach((base, attempt) => {
      const d = retryDelay(attempt, new ApiError(503, "x"), seed);
      expect(d).toBeGreaterThanOrEqual(base * 0.9);
      expect(d).toBeLessThanOrEqual(base * 1.1);
    });
  });

  test("the server's Retry-After, as the core reads it, is a floor under the schedule's delay", () => {
    const error = new ApiError(429, "rate_limited", retryAfterMs("12", Date.now()));
    expect(retryDelay(0, error, 1)).toBe(12_000);
    expect(pollDelay(error, 1, 5)).toBe(12_000);
    // A shorter wait than the schedule's (a 503's Retry-After: 1) leaves the schedule's delay.
    const short = new ApiError(503, "database_unavailable", retryAfterMs("1", Date.now()));
    expect(retryDelay(2, short, 1)).toBe(retryDelay(2, new ApiError(503, "x"), 1));
    expect(retryDelay(2, short, 1)).toBeGreaterThan(9000);
    const date = new Date(Date.now() + 30_000).toUTCString();
    expect(retryAfterMs(date, Date.now())).toBeGreaterThan(28_000);
  });

  test("polling after the retries waits the schedule's last delay", () => {
    for (let n = 0; n < 20; n++) {
      const d = pollDelay(new ApiError(503, "x"), 7, n);
      expect(d).toBeGreaterThanOrEqual(9000);
      expect(d).toBeLessThanOrEqual(11000);
    }
  });
});

describe("keySeed", () => {
  test("is a stable 32-bit number per key, and differs between widgets", () => {
    const a = keySeed(["analytics", "e", "sales", "30d"]);
    expect(a).toBe(keySeed(["analytics", "e", "sales", "30d"]));
    expect(Number.isInteger(a) && a >= 0 && a < 2 ** 32).toBe(true);
    expect(a).not.toBe(keySeed(["analytics", "e", "capacity", "30d"]));
    // FNV-1a (32 bits) of TanStack's hashKey, `["a"]`, as Python computes it: the seed must not drift.
    expect(keySeed(["a"])).toBe(0xca0f9962);
  });
});
