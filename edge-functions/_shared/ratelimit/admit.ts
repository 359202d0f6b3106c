// The step every limited handler takes: enforce the checks, refuse with the verdict's
// error, and otherwise put the RateLimit fields on every answer the request gets, errors
// included (through the request context, which `serve` applies).
import type { RequestContext } from "../http.ts";
import { enforce, type LimitCheck } from "./limits.ts";
import type { RateLimitStore } from "./store.ts";

export async function admit(store: RateLimitStore, checks: readonly LimitCheck[], ctx: RequestContext): Promise<void> {
  const verdict = await enforce(store, checks, ctx.log);
  if (!verdict.allowed) throw verdict.error;
  for (const [name, value] of Object.entries(verdict.headers)) ctx.headers.set(name, value);
}
