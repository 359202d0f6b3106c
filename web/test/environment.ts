// Vitest's happy-dom environment, but with Node's own fetch and its companions. Node's
// WebAssembly.instantiateStreaming takes only Node's Response, so with happy-dom's fetch the
// wasm core could not load the way it loads in a browser (streamed from a server); and the
// hook tests talk to a real HTTP server, for which Node's fetch is the real client.
import { builtinEnvironments, type Environment } from "vitest/runtime";

const kept = ["fetch", "Request", "Response", "Headers", "AbortController", "AbortSignal", "URL", "URLSearchParams"];

export default {
  name: "happy-dom-node-fetch",
  viteEnvironment: "client",
  async setup(global, options) {
    const native = Object.fromEntries(kept.map((k) => [k, global[k]]));
    const env = await builtinEnvironments["happy-dom"].setup(global, options);
    Object.assign(global, native);
    return env;
  },
} satisfies Environment;
