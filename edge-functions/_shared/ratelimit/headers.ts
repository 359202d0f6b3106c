// The HTTP face of a decision: `Retry-After` (RFC 9110) and the `RateLimit-Policy` and
// `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-10, both Structured Field
// Lists (RFC 8941) of policy names as sf-strings with integer parameters:
//
//   RateLimit-Policy: "checkout-user";q=5;w=60, "checkout-ip";q=20;w=60
//   RateLimit: "checkout-user";r=0;t=60, "checkout-ip";r=19;t=3
//
// q is the quota (requests per window), w the window in seconds, r the requests remaining
// now and t the seconds until the key is back to its full quota. Seconds are rounded up,
// so a client that waits as told is never early.
import type { Decision, Quota } from "./store.ts";

const secondUs = 1_000_000;

/** Whole seconds, rounded up, as the crate's `ceil_seconds`: never negative. */
export function ceilSeconds(us: number): number {
  return us <= 0 ? 0 : Math.ceil(us / secondUs);
}

/** A policy name must be a printable-ASCII sf-string without quotes or backslashes. */
function sfString(name: string): string {
  if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(name)) throw new TypeError(`bad policy name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function policyField(policies: readonly { name: string; quota: Quota }[]): string {
  return policies.map((p) => `${sfString(p.name)};q=${p.quota.count};w=${ceilSeconds(p.quota.periodUs)}`).join(", ");
}

export function rateLimitField(states: readonly { name: string; decision: Decision }[]): string {
  return states.map((s) => `${sfString(s.name)};r=${s.decision.remaining};t=${ceilSeconds(s.decision.resetAfterUs)}`)
    .join(", ");
}

/** The `Retry-After` delay in seconds: at least 1, since 0 would invite an instant retry. */
export function retryAfterField(retryAfterUs: number): string {
  return String(Math.max(1, ceilSeconds(retryAfterUs)));
}
