#!/usr/bin/env bash
# Builds the wasm facade once and lays it out twice:
#   pkg/web   wasm-bindgen's `web` target, for the browser (and Node tests), loaded by URL;
#   pkg/deno  the same glue with the wasm bytes embedded in a JS module and instantiated
#             synchronously at import, the way Deno's standard library ships its wasm.
# Embedding is deliberate: `supabase functions deploy` bundles the import graph, and a
# `.wasm` read by URL is not in that graph (it needs `static_files`, which bundles have
# dropped). tests/deploy_bundle_test.ts proves the embedded module loads from a copy of
# the import graph alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

step "wasm-pack build crates/usher-wasm (release, simd128)"
# SIMD128 lets sha2 schedule SHA-256's message words four at a time, a fifth off every
# code verification. Every engine we target has it: Deno and Node (V8 9.1+), Chrome 91,
# Firefox 89, Safari 16.4; an engine without it refuses the whole module.
RUSTFLAGS="-C target-feature=+simd128" \
  wasm-pack --log-level warn build crates/usher-wasm --release --target web \
  --out-dir "$ROOT/pkg/web" --out-name usher --no-pack
rm -f pkg/web/.gitignore

step "wasm-opt -O3 (binaryen 132 from npm)"
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  pkg/web/usher_bg.wasm -o pkg/web/usher_bg.wasm

step "pkg/deno: embed the wasm bytes"
rm -rf pkg/deno && mkdir -p pkg/deno
cp pkg/web/usher.js pkg/web/usher.d.ts pkg/deno/
node tools/embed-wasm.mjs pkg/web/usher_bg.wasm pkg/deno
printf 'pkg/web/usher_bg.wasm: %s bytes (%s gzipped)\n' \
  "$(stat -c %s pkg/web/usher_bg.wasm)" "$(gzip -9c pkg/web/usher_bg.wasm | wc -c)"
