// Serves the dashboard's build (web/dist) on 127.0.0.1:$USHER_WEB_PORT, with /config.json
// pointing the app at this stack's gateway, so one build serves any stack. Files are read
// at each request, so a new build shows at the next reload.
//   deno run --allow-net --allow-read --allow-env tools/local/web.ts
const port = Number(Deno.env.get("USHER_WEB_PORT") ?? "54323");
const gatewayPort = Number(Deno.env.get("USHER_GATEWAY_PORT") ?? "54321");
const dist = new URL("../../web/dist/", import.meta.url);
const config = JSON.stringify({ functionsUrl: `http://127.0.0.1:${gatewayPort}/functions/v1` });

const types: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  // WebAssembly.instantiateStreaming insists on this type.
  wasm: "application/wasm",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
};

async function serve(req: Request): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
  const path = decodeURIComponent(new URL(req.url).pathname);
  if (path === "/config.json") {
    return new Response(config, { headers: { "content-type": types.json, "cache-control": "no-store" } });
  }
  // Only plain names below dist/: no "..", no hidden files.
  if (path.split("/").some((part) => part.startsWith("."))) return new Response("not found\n", { status: 404 });
  const file = path === "/" ? "index.html" : path.slice(1);
  let body: Uint8Array;
  try {
    body = await Deno.readFile(new URL(file, dist));
  } catch {
    return new Response("not found\n", { status: 404 });
  }
  const ext = file.slice(file.lastIndexOf(".") + 1);
  return new Response(req.method === "HEAD" ? null : body as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": types[ext] ?? "application/octet-stream",
      // Vite names every asset by its hash; the page itself must be asked for again.
      "cache-control": file.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    },
  });
}

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log(`web: http://127.0.0.1:${port}/`) }, serve);
