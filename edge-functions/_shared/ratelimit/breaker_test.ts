import assert from "node:assert/strict";
import { Breaker } from "./breaker.ts";

/** A breaker on a clock the test moves, whose probes the test answers. */
function setup() {
  let now = 0;
  const probes: { resolve: () => void; reject: () => void }[] = [];
  const breaker = new Breaker(
    () => new Promise<void>((resolve, reject) => probes.push({ resolve, reject: () => reject(new Error("down")) })),
    500,
    () => now,
  );
  return { breaker, probes, advance: (ms: number) => (now += ms) };
}

Deno.test("a closed breaker lets every call through and never probes", () => {
  const { breaker, probes } = setup();
  for (let i = 0; i < 10; i++) assert.equal(breaker.allows(), true);
  assert.equal(probes.length, 0);
  assert.equal(breaker.isOpen, false);
});

Deno.test("once tripped it refuses calls, probing at most once per interval, until a probe answers", async () => {
  const { breaker, probes, advance } = setup();
  breaker.trip();
  assert.equal(breaker.allows(), false);
  assert.equal(probes.length, 0, "no probe before the interval has passed");
  advance(500);
  for (let i = 0; i < 5; i++) assert.equal(breaker.allows(), false);
  assert.equal(probes.length, 1, "one probe for the calls of one interval");
  advance(1000);
  breaker.allows();
  assert.equal(probes.length, 1, "and none while one is out");

  probes[0].reject();
  await breaker.settle();
  assert.equal(breaker.isOpen, true, "a failed probe leaves it open");
  assert.equal(breaker.allows(), false);
  assert.equal(probes.length, 2, "the next probe is due at once: the interval passed meanwhile");

  probes[1].resolve();
  await breaker.settle();
  assert.equal(breaker.isOpen, false);
  assert.equal(breaker.allows(), true);
});

Deno.test("tripping an open breaker does not restart its clock", () => {
  const { breaker, advance } = setup();
  breaker.trip();
  advance(300);
  breaker.trip();
  assert.equal(breaker.openForMs, 300);
});
