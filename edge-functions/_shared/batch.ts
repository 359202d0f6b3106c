// Requests that ask for the same kind of database call at about the same time travel
// together in calls of at most `maxBatch`: one round trip and one commit for many, each
// item decided exactly as it would be alone.
//
// `maxInFlight` says how many calls may be out at once. With no bound, whatever arrived in
// one tick goes at once. With a bound, items wait while that many calls are out and then
// leave together: under light load every item goes at once, alone, and under heavy load
// the batches grow instead of the queue of calls.
//
// With `spread`, the items waiting are shared out over the calls that may go out, up to
// `maxBatch` each: a few items go in small calls side by side, where a store that
// pipelines (Redis on one connection) answers the first while it reads the next, and a
// flood still goes in calls of `maxBatch`. Without it every call takes as many as it can.
//
// `maxWaitMs` bounds the time an item may spend in that queue: one that has waited longer
// when its turn comes is refused with a QueueTimeout and never sent. That is this side's
// own overload, which a caller must not mistake for the store failing to answer.

/** An item that waited more than `maxWaitMs` for a call to go out in; it was never sent. */
export class QueueTimeout extends Error {
  override name = "QueueTimeout";
}

type Pending<T, R> = { item: T; since: number; resolve: (r: R) => void; reject: (e: unknown) => void };

export class Batcher<T, R> {
  #queue: Pending<T, R>[] = [];
  #inFlight = 0;

  readonly maxWaitMs: number;
  readonly spread: boolean;

  /** `send` answers one result per item, in order. */
  constructor(
    readonly maxBatch: number,
    readonly send: (batch: T[]) => Promise<R[]>,
    readonly maxInFlight = Infinity,
    { maxWaitMs = Infinity, spread = false }: { maxWaitMs?: number; spread?: boolean } = {},
  ) {
    if (!(maxBatch >= 1 && maxInFlight >= 1 && maxWaitMs >= 0) || (spread && maxInFlight === Infinity)) {
      throw new RangeError("maxBatch and maxInFlight must be at least 1 (finite to spread), maxWaitMs not negative");
    }
    this.maxWaitMs = maxWaitMs;
    this.spread = spread;
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, since: performance.now(), resolve, reject });
      if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  /** Refuses every item not yet sent with `error`, as when the store is known to be down. */
  rejectQueued(error: unknown): void {
    const dropped = this.#queue;
    this.#queue = [];
    for (const p of dropped) p.reject(error);
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.maxInFlight) {
      this.#expire();
      const size = this.spread
        ? Math.min(this.maxBatch, Math.ceil(this.#queue.length / (this.maxInFlight - this.#inFlight)))
        : this.maxBatch;
      const batch = this.#queue.splice(0, size);
      if (batch.length === 0) return;
      this.#inFlight++;
      this.send(batch.map((p) => p.item))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i])),
          (e) => batch.forEach((p) => p.reject(e)),
        )
        .finally(() => {
          this.#inFlight--;
          this.#flush();
        });
    }
  }

  /** Refuses the items at the head of the queue that have waited too long; they arrived first. */
  #expire(): void {
    if (this.maxWaitMs === Infinity) return;
    const cutoff = performance.now() - this.maxWaitMs;
    let n = 0;
    while (n < this.#queue.length && this.#queue[n].since < cutoff) n++;
    if (n === 0) return;
    const error = new QueueTimeout(`waited more than ${this.maxWaitMs} ms for a call to go out`);
    for (const p of this.#queue.splice(0, n)) p.reject(error);
  }
}
