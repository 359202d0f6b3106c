// The local stand-in for Supabase's functions gateway and edge runtime. It loads every
// function listed in supabase/config.toml into this process, as the edge runtime loads
// each into a worker of its own, and serves
//   http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/<name>[/...]
// verifying the caller's JWT (HS256, the local secret) where the function's `verify_jwt`
// is on, then handing the request to the function's `export default { fetch }` with the
// path the edge runtime gives it (`/<name>[/...]`) and the caller's address appended to
// X-Forwarded-For, as the hosted edge does (docs/client-ip.md). What it refuses itself is
// answered in the functions' JSON error shape, with their CORS headers, and logged.
import { parse as parseToml } from "npm:smol-toml@1.6.0";
import { errors as joseErrors, jwtVerify } from "npm:jose@6.2.18";
import { requireEnv } from "../../edge-functions/_shared/config.ts";
import { corsHeaders } from "../../edge-functions/_shared/http.ts";
import { describeError, logger } from "../../edge-functions/_shared/log.ts";
import { VerifiedTokens } from "../../edge-functions/_shared/token_cache.ts";

type Fetch = (req: Request) => Response | Promise<Response>;
type Fn = { name: string; entrypoint: URL; verifyJwt: boolean; fetch: Fetch };

const root = new URL("../../", import.meta.url);
const gatewayPort = Number(Deno.env.get("USHER_GATEWAY_PORT") ?? 54321);
const jwtSecret = new TextEncoder().encode(requireEnv(["JWT_SECRET"]).JWT_SECRET);
const verified = new VerifiedTokens<true>();
const log = logger({ component: "gateway" });
/** Methods the Fetch API refuses to put in a Request, so no function can be handed one. */
const unforwardable = new Set(["CONNECT", "TRACE", "TRACK"]);

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

/** A refusal by the gateway itself: the functions' error shape and CORS headers, and a log line. */
function refuse(
  req: Request,
  status: number,
  code: string,
  message: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Response {
  // The path without its query, which may carry an API key; never a header or a token.
  log.log(status >= 500 ? "error" : "info", "gateway refused", {
    method: req.method,
    path: new URL(req.url).pathname,
    status,
    code,
    ...fields,
  });
  return Response.json({ error: { code, message } }, { status, headers: { ...corsHeaders, ...headers } });
}

/** Null when the bearer token verifies; otherwise why not, for the answer and the log. */
async function jwtProblem(req: Request): Promise<{ message: string; reason: string } | null> {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "");
  if (!match) return { message: "Missing authorization header", reason: "missing" };
  if (verified.get(match[1])) return null;
  try {
    // Supabase's tokens always carry an expiry; one without it would be valid forever.
    const { payload } = await jwtVerify(match[1], jwtSecret, { algorithms: ["HS256"], requiredClaims: ["exp"] });
    verified.set(match[1], true, payload.exp! * 1000);
    return null;
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return { message: "JWT has expired", reason: "expired" };
    if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "exp") {
      return { message: "Invalid JWT: it has no exp claim", reason: "no_exp" };
    }
    return { message: "Invalid JWT", reason: "invalid" };
  }
}

const functions = await loadFunctions();
const byName = new Map(functions.map((f) => [f.name, f]));

Deno.serve({
  hostname: "127.0.0.1",
  port: gatewayPort,
  onListen: () => log.log("info", "gateway ready", { port: gatewayPort, functions: [...byName.keys()].join(",") }),
}, async (req, info) => {
  const url = new URL(req.url);
  const match = /^\/functions\/v1\/([^/?#]+)(\/.*)?$/.exec(url.pathname);
  const fn = match ? byName.get(match[1]) : undefined;
  if (!match || !fn) return refuse(req, 404, "not_found", `No function at ${url.pathname}`);
  if (unforwardable.has(req.method.toUpperCase())) {
    // Only the function knows its own methods; these are the ones the functions use at all.
    return refuse(req, 405, "method_not_allowed", `${req.method} is not supported`, { function: fn.name }, {
      allow: corsHeaders["access-control-allow-methods"],
    });
  }
  // Browsers send CORS preflights without credentials; they pass through to the function.
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const problem = await jwtProblem(req);
    if (problem) {
      return refuse(req, 401, "unauthorized", problem.message, { function: fn.name, reason: problem.reason });
    }
  }
  // Cloudflare, in front of hosted Supabase, appends the address it saw the request come
  // from (docs/client-ip.md); a client can write anything to the left of it, never this entry.
  const headers = new Headers(req.headers);
  const peer = (info.remoteAddr as Deno.NetAddr).hostname;
  const forwarded = headers.get("x-forwarded-for");
  headers.set("x-forwarded-for", forwarded ? `${forwarded}, ${peer}` : peer);
  try {
    // The caller's abort signal is not passed on: no function watches it, and following it
    // would cost a dependent signal and an abort error for every request.
    const inner = new Request(`${url.origin}/${fn.name}${match[2] ?? ""}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
    });
    return await fn.fetch(inner);
  } catch (e) {
    // The functions' own wrapper answers every error; reaching here means it was bypassed.
    return refuse(req, 500, "internal_error", `Function ${fn.name} failed`, {
      function: fn.name,
      error: describeError(e),
    });
  }
});
