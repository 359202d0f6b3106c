// The one module that loads Usher's wasm core and re-exports a typed API. The bytes are
// embedded in pkg/deno/usher_wasm.js and instantiated synchronously at import, so the
// module survives `supabase functions deploy` without `static_files` or an async init.
import * as core from "../../pkg/deno/mod.js";

/** The version of the Rust core compiled into the wasm module. */
export const coreVersion: string = core.version();

/** `n` bytes from the platform's CSPRNG, through the core (used for key generation). */
export function randomBytes(n: number): Uint8Array {
  return core.randomBytes(n);
}
