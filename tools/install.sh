#!/usr/bin/env bash
# Installs everything `make demo`, `make test` and `make bench` need, without prompts.
# Each step checks first, so a second run on a prepared machine takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib.sh

apt_packages=(postgresql-15 postgresql-15-cron postgresql-15-pgtap redis-server wrk)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a cluster and a Redis of its own on install; ours run on their own ports and data folders.

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null 2>&1; then
  step "cargo install wasm-pack (about 3 minutes, once)"
  cargo install wasm-pack
fi

# npm ci runs again only when the lock file changed since the last install.
npm_ci() {
  local dir=$1 what=$2
  [ -f "$dir/package-lock.json" ] || return 0
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.usher-installed" && return 0
  step "npm ci in $dir/ ($what)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$dir/node_modules/.usher-installed"
}
npm_ci tools/cli "Deno, Supabase CLI, binaryen"
npm_ci web "React dashboard"
