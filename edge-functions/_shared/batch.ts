// Requests that ask for the same kind of database call at about the same time travel
// together in calls of at most `maxBatch`: one round trip and one commit for many, each
// item decided exactly as it would be alone.
//
// `maxInFlight` says how many calls may be out at once. With no bound, whatever arrived in
// one tick goes at once, so the store works on one call while this side prepares the
// next (the rate limiters). With a bound, items wait while that many calls are out and
// then leave together: under light load every item goes at once, alone, and under heavy
// load the batches grow instead of the queue of calls (the scanner).

type Pending<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

export class Batcher<T, R> {
  #queue: Pending<T, R>[] = [];
  #inFlight = 0;

  /** `send` answers one result per item, in order. */
  constructor(
    readonly maxBatch: number,
    readonly send: (batch: T[]) => Promise<R[]>,
    readonly maxInFlight = Infinity,
  ) {
    if (!(maxBatch >= 1 && maxInFlight >= 1)) throw new RangeError("maxBatch and maxInFlight must be at least 1");
  }

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.maxInFlight) {
      const batch = this.#queue.splice(0, this.maxBatch);
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
}
