#!/usr/bin/env bash
# `make bench`: the benchmarks the issues set targets for, each measured against a named
# peer in the same run. Results go to the terminal and to .local/bench.txt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash tools/local/up.sh >/dev/null
out="$LOCAL/bench.txt"
: >"$out"
for crate in usher-qr usher-ratelimit; do
  step "cargo bench -p $crate"
  cargo bench -q -p "$crate" 2>/dev/null | grep -E '_ns_per_op ' | sed 's/$/ ns/' | tee -a "$out"
done
for bench in tests/bench/*.ts; do
  step "$bench"
  deno run --allow-all "$bench" | tee -a "$out"
done
echo
echo "All figures: $out"
