// A circuit breaker in front of a rate limit store. Once a call has shown the store down
// (it refused the connection, or did not answer in time), every take fails at once
// instead of waiting for the client's reconnect back-off or for a timeout of its own: an
// outage then costs each request microseconds, and the limit's fail mode (open or closed)
// applies straight away.
//
// While open, the breaker sends a probe (the store's cheapest round trip) at most every
// `probeEveryMs`, started by the takes it refuses rather than by a timer, so an idle
// function does no work and holds no timer. A probe that answers closes the breaker; the
// take that started it has already been refused, the ones after it go to the store.
export class Breaker {
  #openedAt: number | null = null;
  #lastProbe = 0;
  #probe: Promise<void> | null = null;

  constructor(
    readonly ping: () => Promise<unknown>,
    readonly probeEveryMs: number,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the store is taken for down. */
  get isOpen(): boolean {
    return this.#openedAt !== null;
  }

  /** Milliseconds since the breaker opened, or 0 when closed. */
  get openForMs(): number {
    return this.#openedAt === null ? 0 : this.now() - this.#openedAt;
  }

  /** Whether a call may go to the store; while open, starts a probe when one is due. */
  allows(): boolean {
    if (this.#openedAt === null) return true;
    const now = this.now();
    if (this.#probe === null && now - this.#lastProbe >= this.probeEveryMs) {
      this.#lastProbe = now;
      this.#probe = this.ping().then(
        () => void (this.#openedAt = null),
        () => {},
      ).finally(() => (this.#probe = null));
    }
    return false;
  }

  /** A call found the store down: refuse calls until a probe answers. */
  trip(): void {
    if (this.#openedAt !== null) return;
    this.#openedAt = this.#lastProbe = this.now();
  }

  /** Waits for a probe in flight, so that closing a store leaves nothing running. */
  async settle(): Promise<void> {
    await this.#probe;
  }
}
