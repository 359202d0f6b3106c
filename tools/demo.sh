#!/usr/bin/env bash
# `make demo`: starts the local stack, walks through each hardening feature with progress
# output and a final report, and leaves the stack up for exploring (`--stop` stops it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
stop=false
for arg in "$@"; do
  case "$arg" in
    --stop) stop=true ;;
    *) fail "unknown demo flag $arg (the one flag is --stop)" ;;
  esac
done
bash tools/local/up.sh
$stop && trap 'bash tools/local/down.sh' EXIT
step "walk-through"
deno run --allow-all tools/demo/main.ts
$stop || printf '\nThe stack is still up for exploring; `%s` stops it.\n' "$(down_command)"
