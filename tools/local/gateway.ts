// The local stand-in for Supabase's functions gateway and edge runtime. It loads every
// function listed in supabase/config.toml into this process, as the edge runtime loads
// each into a worker of its own, and serves
//   http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/<name>[/...]
// verifying the caller's JWT (HS256, the local secret) where the function's `verify_jwt`
// is on, then handing the request to the function's `export default { fetch }` with the
// path the edge runtime gives it (`/<name>[/...]`).
import { parse as parseToml } from "npm:smol-toml@1.6.0";
import { jwtVerify } from "npm:jose@6.2.18";
import { requireEnv } from "../../edge-functions/_shared/config.ts";
import { VerifiedTokens } from "../../edge-functions/_shared/token_cache.ts";

type Fetch = (req: Request) => Response | Promise<Response>;
type Fn = { name: string; entrypoint: URL; verifyJwt: boolean; fetch: Fetch };

const root = new URL("../../", import.meta.url);
const gatewayPort = Number(Deno.env.get("USHER_GATEWAY_PORT") ?? 54321);
const jwtSecret = new TextEncoder().encode(requireEnv(["JWT_SECRET"]).JWT_SECRET);
const verified = new VerifiedTokens<true>();

async function loadFunctions(): Promise<Fn[]> {
  const configUrl = new URL("supabase/config.toml", root);
  const config = parseToml(await Deno.readTextFile(configUrl)) as {
    functions?: Record<string, { entrypoint?: string; verify_jwt?: boolean }>;
  };
  const loaded: Fn[] = [];
  for (const [name, f] of Object.entries(config.functions ?? {})) {
    const entrypoint = new URL(f.entrypoint ?? `../edge-functions/${name}/index.ts`, configUrl);
    try {
      const mod = await import(entrypoint.href);
      if (typeof mod.default?.fetch !== "function") throw new Error("it has no `export default { fetch }`");
      // Supabase verifies JWTs unless a function opts out.
      loaded.push({ name, entrypoint, verifyJwt: f.verify_jwt ?? true, fetch: mod.default.fetch });
    } catch (e) {
      console.error(`gateway: function ${name} failed to start: ${e instanceof Error ? e.message : e}`);
      Deno.exit(1);
    }
  }
  return loaded;
}

function json(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

async function authorized(req: Request): Promise<Response | null> {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return json(401, "unauthorized", "Missing authorization header");
  if (verified.get(match[1])) return null;
  try {
    const { payload } = await jwtVerify(match[1], jwtSecret, { algorithms: ["HS256"] });
    verified.set(match[1], true, typeof payload.exp === "number" ? payload.exp * 1000 : undefined);
    return null;
  } catch {
    return json(401, "unauthorized", "Invalid JWT");
  }
}

const functions = await loadFunctions();
const byName = new Map(functions.map((f) => [f.name, f]));

Deno.serve({
  hostname: "127.0.0.1",
  port: gatewayPort,
  onListen: () =>
    console.log(JSON.stringify({ msg: "gateway ready", port: gatewayPort, functions: [...byName.keys()] })),
}, async (req) => {
  const url = new URL(req.url);
  const match = /^\/functions\/v1\/([^/?#]+)(\/.*)?$/.exec(url.pathname);
  const fn = match ? byName.get(match[1]) : undefined;
  if (!match || !fn) return json(404, "not_found", `No function at ${url.pathname}`);
  // Browsers send CORS preflights without credentials; they pass through to the function.
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const denied = await authorized(req);
    if (denied) return denied;
  }
  // The caller's abort signal is not passed on: no function watches it, and following it
  // would cost a dependent signal and an abort error for every request.
  const inner = new Request(`${url.origin}/${fn.name}${match[2] ?? ""}${url.search}`, {
    method: req.method,
    headers: req.headers,
    body: req.body,
  });
  try {
    return await fn.fetch(inner);
  } catch (e) {
    // The functions' own wrapper answers every error; reaching here means it was bypassed.
    console.error(JSON.stringify({ msg: "function threw", function: fn.name, error: String(e) }));
    return json(500, "internal_error", `Function ${fn.name} failed`);
  }
});
