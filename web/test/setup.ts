// Every test file gets a real HTTP server for the page's own origin, which serves the wasm
// core as the dashboard's server does (pkg/web by the path Vite gives it, as application/wasm),
// so web/src/core/usher.ts loads pkg/web exactly as it does in a browser.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

// A path, not `new URL(…, import.meta.url)`, which Vite would rewrite as an asset's URL.
const pkgWeb = resolve(dirname(fileURLToPath(import.meta.url)), "../../pkg/web") + "/";

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  // Vite names files outside the root /@fs/<absolute path>; only pkg/web is served.
  const file = path.startsWith("/@fs/") ? path.slice(4) : "";
  if (!file.startsWith(pkgWeb) || file.includes("..")) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": file.endsWith(".wasm") ? "application/wasm" : "text/javascript" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
(globalThis as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${origin}/`);

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
