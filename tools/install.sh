#!/usr/bin/env bash
# Installs everything `make demo`, `make test` and `make bench` need, without prompts, then
# checks that every command they run is on PATH. Each step checks first, so a second run on
# a prepared machine takes a few seconds. `--check` only checks.
#   tools/install.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib.sh

# Every command that the Makefile's targets and the scripts they run (tools/*.sh,
# tools/local/*.sh, .ci/run) or their tests start, and where it comes from. Shell builtins
# and the scripts' own functions are not listed. tests/install_test.ts reads the scripts
# and fails when one of them runs a command that is missing here.
required_commands=(
  "apt-get apt (Debian)"
  "awk mawk (Debian)"
  "basename coreutils (Debian)"
  "bash bash (Debian)"
  "cargo rustup (a prerequisite)"
  "cat coreutils (Debian)"
  "chmod coreutils (Debian)"
  "chown coreutils (Debian)"
  "chromium chromium (Debian, installed here; playwright-core drives it in tests/browser/)"
  "cmp diffutils (Debian)"
  "cp coreutils (Debian)"
  "curl curl (Debian, installed here)"
  "cut coreutils (Debian)"
  "date coreutils (Debian)"
  "deno npm package deno (npm ci in tools/cli, here)"
  "dirname coreutils (Debian)"
  "dpkg-query dpkg (Debian)"
  "env coreutils (Debian)"
  "grep grep (Debian)"
  "gzip gzip (Debian)"
  "head coreutils (Debian)"
  "id coreutils (Debian)"
  "initdb postgresql-15 (Debian, installed here)"
  "ln coreutils (Debian)"
  "make make (Debian; it runs these targets)"
  "mkdir coreutils (Debian)"
  "mv coreutils (Debian)"
  "node Node.js 20 (a prerequisite)"
  "npm Node.js 20 (a prerequisite)"
  "pg_ctl postgresql-15 (Debian, installed here)"
  "pg_prove libtap-parser-sourcehandler-pgtap-perl (Debian, installed here)"
  "pgbench postgresql-15 (Debian, installed here)"
  "psql postgresql-client-15 (Debian, with postgresql-15 here)"
  "readlink coreutils (Debian)"
  "redis-cli redis-tools (Debian, with redis-server here)"
  "redis-server redis-server (Debian, installed here)"
  "rm coreutils (Debian)"
  "runuser util-linux (Debian)"
  "rustup rustup (a prerequisite)"
  "sed sed (Debian)"
  "seq coreutils (Debian)"
  "setsid util-linux (Debian)"
  "sh dash (Debian)"
  "sha256sum coreutils (Debian)"
  "sleep coreutils (Debian)"
  "stat coreutils (Debian)"
  "shellcheck shellcheck (Debian, installed here)"
  "sudo sudo (Debian; only when not run as root)"
  "supabase npm package supabase (npm ci in tools/cli, here)"
  "tail coreutils (Debian)"
  "tee coreutils (Debian)"
  "timeout coreutils (Debian)"
  "wasm-as npm package binaryen (npm ci in tools/cli, here)"
  "wasm-opt npm package binaryen (npm ci in tools/cli, here)"
  "wasm-pack cargo install wasm-pack (here)"
  "wc coreutils (Debian)"
  "wrk wrk (Debian, installed here)"
)

# Names the commands that are not on PATH, with where each comes from, and fails.
check_commands() {
  local entry cmd missing=()
  for entry in "${required_commands[@]}"; do
    cmd=${entry%% *}
    # as_root (lib.sh) calls sudo only for a user who is not root.
    [ "$cmd" = sudo ] && [ "$(id -u)" = 0 ] && continue
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd (from ${entry#* })")
  done
  [ ${#missing[@]} -eq 0 ] || fail "not on PATH after the install: ${missing[*]}"
}

if [ "${1:-}" = --check ]; then
  check_commands
  exit 0
fi

apt_packages=(postgresql-15 postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  redis-server wrk curl shellcheck chromium)
# chromium: the dashboard's browser tests drive Debian's build through npm:playwright-core@1.64.1,
# whose bundled Chromium has the same major (156); playwright-core never downloads a browser.
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

# npm ci installs exactly the committed lock file's versions, and runs again only when that
# file changed since the last install. Packages are kept in .cache/npm, so a reinstall (a
# deleted node_modules, a lock file switched back) takes them from there before the registry.
npm_ci() {
  local dir=$1 what=$2
  [ -f "$dir/package-lock.json" ] || return 0
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.usher-installed" && return 0
  step "npm ci in $dir/ ($what)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error --cache "$ROOT/.cache/npm" --prefer-offline)
  cp "$dir/package-lock.json" "$dir/node_modules/.usher-installed"
}
npm_ci tools/cli "Deno, Supabase CLI, binaryen"
npm_ci web "React dashboard"

check_commands
