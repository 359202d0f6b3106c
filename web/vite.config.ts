// One build serves any stack: the functions' URL comes from /config.json next to the app at
// run time, and `base: './'` keeps every asset relative so the app works under any path.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  base: "./",
  // React's automatic JSX runtime through Vite's own transform: no React plugin needed.
  oxc: { jsx: { runtime: "automatic" } },
  server: {
    // The app imports the browser build of the wasm core and the typed layer over it, which
    // live outside web/.
    fs: { allow: [here("."), here("../pkg/web"), here("../edge-functions/_shared")] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The wasm core is fetched by URL and instantiated streaming; inlining it as base64
    // would make it a third larger and block the parse of the main chunk.
    assetsInlineLimit: (file) => (file.endsWith(".wasm") ? false : undefined),
    rolldownOptions: {
      // TanStack marks its modules "use client" for React Server Components, which a
      // single-page app has no use for: dropping the directive is what is meant here.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
  test: {
    environment: "./test/environment.ts",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
  },
});
