import assert from "node:assert/strict";
import { Batcher, QueueTimeout } from "./batch.ts";

/** A send that records its batches and answers each item doubled once `release` is called. */
function gatedSend() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const send = (batch: number[]) => {
    batches.push(batch);
    return new Promise<number[]>((resolve) => gates.push(() => resolve(batch.map((n) => n * 2))));
  };
  return { batches, send, release: () => gates.shift()!() };
}

Deno.test("items added in one tick go together, in calls of at most maxBatch, each answered its own", async () => {
  const g = gatedSend();
  const b = new Batcher(3, g.send);
  const answers = Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)));
  await Promise.resolve();
  assert.deepEqual(g.batches, [[1, 2, 3], [4, 5]]);
  g.release();
  g.release();
  assert.deepEqual(await answers, [2, 4, 6, 8, 10]);
});

Deno.test("with one call in flight, later items wait for it and then leave together", async () => {
  const g = gatedSend();
  const b = new Batcher(10, g.send, 1);
  const first = b.add(1);
  await Promise.resolve();
  const later = [2, 3, 4].map((n) => b.add(n));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(g.batches, [[1]], "nothing leaves while the first call is out");
  g.release();
  assert.equal(await first, 2);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(g.batches, [[1], [2, 3, 4]]);
  g.release();
  assert.deepEqual(await Promise.all(later), [4, 6, 8]);
});

Deno.test("a failed call rejects its own items only, and the next call still goes", async () => {
  let calls = 0;
  const b = new Batcher(10, (batch: number[]) => {
    calls++;
    return calls === 1 ? Promise.reject(new Error("down")) : Promise.resolve(batch);
  }, 1);
  const failed = b.add(1);
  await Promise.resolve();
  const next = b.add(2);
  await assert.rejects(failed, /down/);
  assert.equal(await next, 2);
});

Deno.test("with two calls in flight, a third batch waits for one of them", async () => {
  const g = gatedSend();
  const b = new Batcher(10, g.send, 2);
  const first = b.add(1);
  await Promise.resolve();
  const second = b.add(2);
  await Promise.resolve();
  const third = [3, 4].map((n) => b.add(n));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(g.batches, [[1], [2]]);
  g.release();
  assert.equal(await first, 2);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(g.batches, [[1], [2], [3, 4]]);
  g.release();
  g.release();
  assert.equal(await second, 4);
  assert.deepEqual(await Promise.all(third), [6, 8]);
});

Deno.test("an item that waited longer than maxWaitMs for its turn is refused, never sent", async () => {
  const g = gatedSend();
  const b = new Batcher(10, g.send, 1, { maxWaitMs: 20 });
  const first = b.add(1);
  await Promise.resolve();
  const stale = b.add(2);
  await new Promise((r) => setTimeout(r, 40));
  // Arrives after the wait bound of the one before it has passed, so it is still fresh.
  const fresh = b.add(3);
  g.release();
  assert.equal(await first, 2);
  await assert.rejects(stale, QueueTimeout);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(g.batches, [[1], [3]], "the stale item never went out");
  g.release();
  assert.equal(await fresh, 6);
});

Deno.test("rejectQueued refuses what has not gone out and leaves calls in flight alone", async () => {
  const g = gatedSend();
  const b = new Batcher(10, g.send, 1);
  const sent = b.add(1);
  await Promise.resolve();
  const queued = [b.add(2), b.add(3)];
  b.rejectQueued(new Error("store down"));
  for (const q of queued) await assert.rejects(q, /store down/);
  g.release();
  assert.equal(await sent, 2);
  assert.deepEqual(g.batches, [[1]]);
});

Deno.test("spread shares the waiting items out over the calls that may go, up to maxBatch each", async () => {
  const g = gatedSend();
  const b = new Batcher(4, g.send, 3, { spread: true });
  const answers = Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)));
  await Promise.resolve();
  assert.deepEqual(g.batches, [[1, 2], [3, 4], [5]], "five items over three calls");
  g.release();
  g.release();
  g.release();
  assert.deepEqual(await answers, [2, 4, 6, 8, 10]);
  const flood = Promise.all(Array.from({ length: 20 }, (_, n) => b.add(n)));
  await Promise.resolve();
  assert.deepEqual(g.batches.slice(3).map((batch) => batch.length), [4, 4, 4], "a flood fills calls of maxBatch");
  while (g.batches.length < 8) {
    g.release();
    await new Promise((r) => setTimeout(r, 0));
  }
  for (let i = 0; i < 3; i++) g.release();
  assert.equal((await flood).length, 20);
});

Deno.test("a batcher needs room for at least one item and one call", () => {
  assert.throws(() => new Batcher(0, (b: number[]) => Promise.resolve(b)), RangeError);
  assert.throws(() => new Batcher(1, (b: number[]) => Promise.resolve(b), 0), RangeError);
  assert.throws(() => new Batcher(1, (b: number[]) => Promise.resolve(b), 1, { maxWaitMs: -1 }), RangeError);
  assert.throws(() => new Batcher(1, (b: number[]) => Promise.resolve(b), Infinity, { spread: true }), RangeError);
});
