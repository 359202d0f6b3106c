// Bearer tokens already verified, by their exact text, until they expire. A door scanner
// sends the same JWT with every scan, and checking its HMAC again through WebCrypto cost
// about a tenth of a scan's time. The key is the whole signed token, so a hit is the very
// token that verified; expiry is checked again on every hit.
export class VerifiedTokens<T> {
  readonly #entries = new Map<string, { value: T; expiresAtMs: number }>();

  /** `max` bounds memory: past it, the oldest entry makes room. */
  constructor(readonly max = 10_000) {}

  get(token: string, nowMs = Date.now()): T | undefined {
    return this.#live(token, nowMs)?.value;
  }

  /** When an entry that has not expired yet expires, in ms since the epoch. */
  expiry(token: string, nowMs = Date.now()): number | undefined {
    return this.#live(token, nowMs)?.expiresAtMs;
  }

  #live(token: string, nowMs: number): { value: T; expiresAtMs: number } | undefined {
    const hit = this.#entries.get(token);
    if (!hit) return undefined;
    if (hit.expiresAtMs <= nowMs) {
      this.#entries.delete(token);
      return undefined;
    }
    return hit;
  }

  /** Remembers a verified token until `expiresAtMs`; one without an expiry is not kept. */
  set(token: string, value: T, expiresAtMs: number | undefined): void {
    if (expiresAtMs === undefined) return;
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { value, expiresAtMs });
  }
}
