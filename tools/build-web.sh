#!/usr/bin/env bash
# Builds the dashboard (web/) into web/dist with Vite. It bundles the browser build of the
# wasm core, so it runs after tools/build-wasm.sh; it ends with the gzip size of what a
# browser downloads (web/scripts/size.mjs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT/web"
[ -f ../pkg/web/usher_bg.wasm ] || fail "pkg/web is missing: build the wasm core first (tools/build-wasm.sh)"
step "vite build web/ into web/dist"
node node_modules/vite/bin/vite.js build --logLevel warn
node scripts/size.mjs
