// How a store's takes reach it, the same for Postgres and Redis: the takes of concurrent
// requests in one function instance travel together in one call (one statement or one
// script run for many requests, each decided as if alone), a bounded number of calls are
// out at once, and the time spent getting there is kept apart from the time the store
// takes to answer:
//
// - "could not ask": a take waits in this instance's own queue while `maxInFlight` calls
//   are out. One that has waited `maxWaitMs` is refused with StoreOverloaded. Every call
//   has a connection of its own (the Postgres store's pool has `maxInFlight` connections,
//   the Redis store pipelines on one), so no call waits for a connection another holds.
// - "the store did not answer": a call that fails to connect, is refused, or is not
//   answered within `timeoutMs` of being sent rejects its takes with StoreUnavailable,
//   opens the breaker (./breaker.ts) and refuses every take still queued the same way.
import { Batcher, QueueTimeout } from "../batch.ts";
import { describeError } from "../log.ts";
import { TimeoutError, withTimeout } from "../timeout.ts";
import { Breaker } from "./breaker.ts";
import {
  checkTakes,
  type Decision,
  decisionAt,
  type RateLimitStore,
  StoreOverloaded,
  StoreUnavailable,
  type Take,
} from "./store.ts";

/** One request's takes, all or nothing. */
export interface Request {
  takes: readonly Take[];
  cost: number;
  nowUs: number | undefined;
}

/** What a store must provide: one call for many requests, a probe, and its failure rule. */
export interface Backend {
  /** Decides `batch` in one round trip; answers six integers per take (see decisionAt). */
  call(batch: readonly Request[]): Promise<number[]>;
  /** The cheapest round trip, to learn whether the store answers again. */
  ping(): Promise<unknown>;
  /** Whether `e`, thrown by `call`, means the store cannot answer now rather than a bug. */
  unavailable(e: unknown): boolean;
}

export interface Tuning {
  /** A call the store has not answered this long after it was sent counts as unanswered. */
  timeoutMs: number;
  /** The longest a take may wait in this instance's queue before it is refused as overload. */
  maxWaitMs: number;
  /** Requests per call at most; fewer go in each of several calls while few are waiting. */
  maxBatch: number;
  /** Calls out at once. */
  maxInFlight: number;
  /** How often an open breaker probes the store. */
  probeEveryMs: number;
}

export const defaultTuning: Tuning = {
  timeoutMs: 2000,
  maxWaitMs: 1000,
  maxBatch: 128,
  maxInFlight: 2,
  probeEveryMs: 500,
};

export class Dispatcher {
  readonly #batcher: Batcher<Request, Decision[]>;
  readonly #breaker: Breaker;
  #lastError = "";

  constructor(readonly kind: RateLimitStore["kind"], readonly backend: Backend, readonly tuning: Tuning) {
    this.#batcher = new Batcher(tuning.maxBatch, (batch) => this.#send(batch), tuning.maxInFlight, {
      maxWaitMs: tuning.maxWaitMs,
      spread: true,
    });
    this.#breaker = new Breaker(
      () => withTimeout(backend.ping(), tuning.timeoutMs, kind),
      tuning.probeEveryMs,
    );
  }

  take(takes: readonly Take[], cost = 1, nowUs?: number): Promise<Decision[]> {
    checkTakes(takes, cost, nowUs);
    if (!this.#breaker.allows()) return Promise.reject(this.#known());
    return this.#batcher.add({ takes, cost, nowUs }).catch((e) => {
      throw e instanceof QueueTimeout
        ? new StoreOverloaded(`rate limit store (${this.kind}) not asked: ${e.message}`)
        : e;
    });
  }

  /** Waits for a probe in flight, for a store's close. */
  settle(): Promise<void> {
    return this.#breaker.settle();
  }

  async #send(batch: Request[]): Promise<Decision[][]> {
    let flat: number[];
    try {
      flat = await withTimeout(this.backend.call(batch), this.tuning.timeoutMs, this.kind);
    } catch (e) {
      if (!(e instanceof TimeoutError) && !this.backend.unavailable(e)) throw e;
      this.#lastError = describeError(e);
      this.#breaker.trip();
      this.#batcher.rejectQueued(this.#known());
      throw new StoreUnavailable(`rate limit store (${this.kind}) unreachable: ${this.#lastError}`);
    }
    let at = 0;
    return batch.map((r) => r.takes.map(() => decisionAt(flat, at++)));
  }

  #known(): StoreUnavailable {
    const ms = Math.round(this.#breaker.openForMs);
    return new StoreUnavailable(`rate limit store (${this.kind}) down for ${ms} ms (${this.#lastError})`);
  }
}
