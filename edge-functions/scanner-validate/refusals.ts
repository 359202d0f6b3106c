// The scanner's rate limit counts refused scans, per scanner account. What floods this
// function is scans that admit nobody: a stranger's token (not staff: 403), garbage and
// forged codes. A door at human speed scans genuine tickets and is refused perhaps once a
// minute (a stray QR code), so it never comes near the limit, and genuine scans — however
// fast a door goes — never wait on a rate-limit store, which would add a database write
// to every admission. A caller that has used up its refusals is refused with a 429 until
// its Retry-After: at once, without asking the store, by each instance that has counted
// one of its refusals since it ran out.
import { HttpError, type RequestContext } from "../_shared/http.ts";
import { policyField, retryAfterField } from "../_shared/ratelimit/headers.ts";
import { enforce, type NamedLimit } from "../_shared/ratelimit/limits.ts";
import type { RateLimitStore } from "../_shared/ratelimit/store.ts";
import { VerifiedTokens } from "../_shared/token_cache.ts";

/** Scan results that no genuine ticket at a door produces. */
const suspicious: ReadonlySet<string> = new Set(["malformed", "invalid_signature", "unknown_key", "not_found"]);

/** Whether a scan answered `result` counts against its caller's refusals. */
export function countsAsRefused(result: string): boolean {
  return suspicious.has(result);
}

export class RefusalLimit {
  /** Callers out of refusals, until they may scan again (an expiring map, as for tokens). */
  readonly #blocked = new VerifiedTokens<true>();

  constructor(readonly store: RateLimitStore, readonly limit: NamedLimit) {}

  /** Throws the 429 for a caller this instance knows to be out of refusals. */
  check(scannerId: string, ctx: RequestContext, nowMs = Date.now()): void {
    const until = this.#blocked.expiry(scannerId, nowMs);
    if (until === undefined) return;
    ctx.log.log("debug", "scan refused", { scanner: scannerId, reason: "rate_limited" });
    throw this.#tooMany(until - nowMs);
  }

  /**
   * Counts one refused scan of `scannerId` and logs it; when that used up the caller's
   * refusals, remembers it until its Retry-After. A store that cannot be asked counts
   * nothing: the limit fails open, since the doors must keep working.
   */
  async count(scannerId: string, reason: string, ctx: RequestContext, nowMs = Date.now()): Promise<void> {
    ctx.log.log("info", "scan refused", { scanner: scannerId, reason });
    const verdict = await enforce(this.store, [{ limit: this.limit, key: scannerId }], ctx.log);
    if (verdict.allowed || verdict.error.status !== 429) return;
    const waitS = Number(new Headers(verdict.error.headers).get("retry-after") ?? "1");
    this.#blocked.set(scannerId, true, nowMs + waitS * 1000);
    ctx.log.log("warn", "scanner account out of refused scans", { scanner: scannerId, retry_after_s: waitS });
  }

  #tooMany(waitMs: number): HttpError {
    const retryAfter = retryAfterField([waitMs * 1000], []);
    return new HttpError(
      429,
      "rate_limited",
      `Too many refused scans (${this.limit.name} limit); retry after ${retryAfter} s`,
      { "retry-after": retryAfter, "ratelimit-policy": policyField([this.limit]) },
    );
  }
}
