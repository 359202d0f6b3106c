// The browser's binding of Usher's wasm core: pkg/web (wasm-bindgen's `web` target), bound to
// the typed API the edge functions use too (edge-functions/_shared/core/api.ts), so the
// dashboard and the functions compute retries, codes and signatures with the same code.
//
// Exports:
//   loadCore(): Promise<UsherCore>  fetches and instantiates usher_bg.wasm once (Vite bundles
//                                   it as an asset); every call answers the same core, and a
//                                   failed load is tried again by the next call.
//   retryDelayMs(schedule, attempt, seed): number       the jittered delay; "dashboard" for
//                                                       TanStack Query's retryDelay.
//   retryAfterMs(value, nowMs): number | null           a Retry-After header's wait.
//   classifyFailure(status, name?): FailureClass        "retry" | "defer" | "give_up".
//   nextRetry(schedule, maxAttempts, attempt, failure, retryAfterMs, seed): RetryDecision
//   The four are synchronous, as TanStack Query's callbacks are, and throw an Error until
//   loadCore() has resolved; the rest of the API is on the UsherCore it resolves to.
//   Types: UsherCore, RetrySchedule, FailureClass, RetryDecision (and the rest of api.ts's).
import init, * as wasm from "../../../pkg/web/usher.js";
import { bindCore, type UsherCore } from "../../../edge-functions/_shared/core/api.ts";

export type * from "../../../edge-functions/_shared/core/api.ts";

let core: UsherCore | undefined;
let loading: Promise<UsherCore> | undefined;

/** The typed core, once usher_bg.wasm is fetched and instantiated. */
export function loadCore(): Promise<UsherCore> {
  loading ??= init({ module_or_path: new URL("../../../pkg/web/usher_bg.wasm", import.meta.url) }).then(
    ({ memory }) => (core = bindCore(wasm, memory)),
    (error) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

function loaded(): UsherCore {
  if (core === undefined) throw new Error("the wasm core is not loaded yet: await loadCore() first");
  return core;
}

export const retryDelayMs: UsherCore["retryDelayMs"] = (schedule, attempt, seed) =>
  loaded().retryDelayMs(schedule, attempt, seed);

export const retryAfterMs: UsherCore["retryAfterMs"] = (value, nowMs) => loaded().retryAfterMs(value, nowMs);

export const classifyFailure: UsherCore["classifyFailure"] = (status, name) => loaded().classifyFailure(status, name);

export const nextRetry: UsherCore["nextRetry"] = (schedule, maxAttempts, attempt, failure, retryAfter, seed) =>
  loaded().nextRetry(schedule, maxAttempts, attempt, failure, retryAfter, seed);
