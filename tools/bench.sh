#!/usr/bin/env bash
# `make bench`: the benchmarks the issues set targets for, each measured against a named
# peer in the same run. Results go to the terminal and to .local/bench.txt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash tools/local/up.sh >/dev/null
out="$LOCAL/bench.txt"
: >"$out"
# `tools/bench.sh tests/bench/email_queue.ts …` runs only the benchmarks named (and not
# cargo's), for working on one of them; `make bench` names none and runs them all.
benches=("$@")
if [ $# -eq 0 ]; then
  benches=(tests/bench/*.ts)
  # Native code verification, the figure the wasm build is held against. (The GCRA has no
  # native benchmark: no request decides in Rust; the stores decide in SQL and Lua, and
  # tests/bench/ratelimit_*.ts time them on the path requests take.)
  step "cargo bench -p usher-qr"
  cargo bench -q -p usher-qr 2>/dev/null | grep -E '_ns_per_op ' | sed 's/$/ ns/' | tee -a "$out"
  # The same verification with sha2's portable code, the only SHA-256 wasm can run: the floor
  # that tests/bench/qr_verify.ts holds the wasm build against, beside the figure above, which
  # uses the CPU's SHA instructions where it has them. Its own target folder, so the flag does
  # not rebuild the default one.
  step "cargo bench -p usher-qr, sha2_backend=soft"
  RUSTFLAGS='--cfg sha2_backend="soft"' CARGO_TARGET_DIR="$ROOT/target/sha2-soft" \
    cargo bench -q -p usher-qr --bench verify 2>/dev/null | grep -E '_ns_per_op ' |
    sed 's/_rust_/_rust_soft_sha_/; s/$/ ns/' | tee -a "$out"
fi
# A benchmark that fails is named at the end, and the others still run: one broken
# benchmark should not hide every figure after it.
failed=()
for bench in "${benches[@]}"; do
  step "$bench"
  BENCH_OUT="$out" deno run --allow-all "$bench" | tee -a "$out" || failed+=("$bench")
done
echo
echo "All figures: $out"
[ ${#failed[@]} -eq 0 ] || fail "failed: ${failed[*]}"
