// The local stand-in for Supabase's functions gateway. It starts every function listed in
// supabase/config.toml under `deno serve` on its own port, then serves
//   http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/<name>[/...]
// verifying the caller's JWT (HS256, the local secret) where the function's `verify_jwt`
// is on, and passing the request through unchanged, as Supabase's gateway does.
import { parse as parseToml } from "npm:smol-toml@1.6.0";
import { jwtVerify } from "npm:jose@6.2.18";

type Fn = { name: string; entrypoint: string; verifyJwt: boolean; port: number };

const root = new URL("../../", import.meta.url);
const gatewayPort = Number(Deno.env.get("USHER_GATEWAY_PORT") ?? 54321);
const firstFunctionPort = Number(Deno.env.get("USHER_FUNCTIONS_PORT") ?? 54400);
const jwtSecret = new TextEncoder().encode(mustEnv("JWT_SECRET"));

function mustEnv(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`gateway: ${name} is not set`);
  return v;
}

function loadFunctions(): Fn[] {
  const configUrl = new URL("supabase/config.toml", root);
  const config = parseToml(Deno.readTextFileSync(configUrl)) as {
    functions?: Record<string, { entrypoint?: string; verify_jwt?: boolean }>;
  };
  return Object.entries(config.functions ?? {}).map(([name, f], i) => ({
    name,
    entrypoint: new URL(f.entrypoint ?? `../edge-functions/${name}/index.ts`, configUrl).pathname,
    // Supabase verifies JWTs unless a function opts out.
    verifyJwt: f.verify_jwt ?? true,
    port: firstFunctionPort + i,
  }));
}

function json(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

async function authorized(req: Request): Promise<Response | null> {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return json(401, "unauthorized", "Missing authorization header");
  try {
    await jwtVerify(match[1], jwtSecret, { algorithms: ["HS256"] });
    return null;
  } catch {
    return json(401, "unauthorized", "Invalid JWT");
  }
}

function startFunction(fn: Fn): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "serve", "--quiet", "--host", "127.0.0.1", "--port", String(fn.port),
      "--allow-net", "--allow-env", "--allow-sys", "--allow-read", fn.entrypoint,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}

async function waitForPort(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

const functions = loadFunctions();
const byName = new Map(functions.map((f) => [f.name, f]));
const children = functions.map(startFunction);
for (const [i, fn] of functions.entries()) {
  const status = await Promise.race([
    children[i].status.then((s) => `exited with code ${s.code}`),
    waitForPort(fn.port, 60_000).then((up) => (up ? "up" : "did not open its port in 60 s")),
  ]);
  if (status !== "up") {
    console.error(`gateway: function ${fn.name} ${status}`);
    for (const child of children) child.kill();
    Deno.exit(1);
  }
}

Deno.serve({ hostname: "127.0.0.1", port: gatewayPort, onListen: () => {
  console.log(JSON.stringify({ msg: "gateway ready", port: gatewayPort, functions: functions.map((f) => f.name) }));
} }, async (req) => {
  const url = new URL(req.url);
  const match = /^\/functions\/v1\/([^/?#]+)(\/.*)?$/.exec(url.pathname);
  const fn = match ? byName.get(match[1]) : undefined;
  if (!match || !fn) return json(404, "not_found", `No function at ${url.pathname}`);
  // Browsers send CORS preflights without credentials; they pass through to the function.
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const denied = await authorized(req);
    if (denied) return denied;
  }
  const target = `http://127.0.0.1:${fn.port}/${fn.name}${match[2] ?? ""}${url.search}`;
  try {
    return await fetch(target, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: "manual",
    });
  } catch (e) {
    console.error(JSON.stringify({ msg: "function unreachable", function: fn.name, error: String(e) }));
    return json(502, "function_unreachable", `Function ${fn.name} is not answering`);
  }
});
