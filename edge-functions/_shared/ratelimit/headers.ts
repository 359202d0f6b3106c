// The HTTP face of a decision: `Retry-After` (RFC 9110) and the `RateLimit-Policy` and
// `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-10, both Structured Field
// Lists (RFC 8941) of policy names as sf-strings with integer parameters:
//
//   RateLimit-Policy: "checkout-user";q=5;w=60, "checkout-ip";q=20;w=60
//   RateLimit: "checkout-user";r=0;t=12, "checkout-ip";r=19;t=3
//
// q is the quota (requests per window), w the window in seconds, r the requests remaining
// now and t, the draft's reset, the seconds "until additional quota is made available":
// until r grows by one. A key at its full quota has nothing more to come and gets no t.
// Seconds are rounded up, so a client that waits as told is never early.
import type { Decision, Quota } from "./store.ts";

const secondUs = 1_000_000;

/** Whole seconds, rounded up, as the crate's `ceil_seconds`: never negative. */
export function ceilSeconds(us: number): number {
  return us <= 0 ? 0 : Math.ceil(us / secondUs);
}

/**
 * Microseconds until one more unit of `quota` is available to the key `d` was decided
 * for, or null when none can be (the key is at its full burst, or the cost was above the
 * burst): the crate's `Decision::next_unit_after_us`, replayed on tests/vectors/gcra.json.
 */
export function nextUnitAfterUs(quota: Quota, d: Decision): number | null {
  if (d.tooLarge || d.resetAfterUs <= 0) return null;
  const interval = Math.floor(quota.periodUs / quota.count);
  return d.resetAfterUs - (interval * quota.burst - interval * (d.remaining + 1));
}

/** A policy name must be a printable-ASCII sf-string without quotes or backslashes. */
function sfString(name: string): string {
  if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(name)) throw new TypeError(`bad policy name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function policyField(policies: readonly { name: string; quota: Quota }[]): string {
  return policies.map((p) => `${sfString(p.name)};q=${p.quota.count};w=${ceilSeconds(p.quota.periodUs)}`).join(", ");
}

/** One policy's state: `t` is absent when no more quota is to come. */
export interface PolicyState {
  name: string;
  quota: Quota;
  decision: Decision;
}

export function rateLimitField(states: readonly PolicyState[]): string {
  return states.map((s) => {
    const next = nextUnitAfterUs(s.quota, s.decision);
    return `${sfString(s.name)};r=${s.decision.remaining}${next === null ? "" : `;t=${ceilSeconds(next)}`}`;
  }).join(", ");
}

/**
 * The `Retry-After` delay in seconds of a refusal: the longest of the refusing policies'
 * waits, and never earlier than any `t` in the same answer, as the draft asks (§6). At
 * least 1, since 0 would invite an instant retry.
 */
export function retryAfterField(waitsUs: readonly number[], states: readonly PolicyState[]): string {
  const resets = states.map((s) => nextUnitAfterUs(s.quota, s.decision) ?? 0);
  return String(Math.max(1, ceilSeconds(Math.max(...waitsUs, ...resets))));
}
