// Takes asked for in the same tick (concurrent requests in one function instance) travel
// to the store together, in calls of at most `maxBatch`: one round trip for many, each
// decided exactly as it would be alone. Small batches keep several calls in flight, so the
// store works on one while this side prepares the next.

type Pending<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

export class MicroBatcher<T, R> {
  #queue: Pending<T, R>[] = [];

  /** `send` answers one result per item, in order. */
  constructor(readonly maxBatch: number, readonly send: (batch: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      this.send(batch.map((p) => p.item)).then(
        (results) => batch.forEach((p, i) => p.resolve(results[i])),
        (e) => batch.forEach((p) => p.reject(e)),
      );
    }
  }
}
