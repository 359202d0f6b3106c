#!/usr/bin/env bash
# Runs every suite against real parts: Rust natively and on wasm, pgTAP in the local
# PostgreSQL, Deno tests in-process and over HTTP through the gateway. Prints one closing
# line, "N passed, N failed", totalled from each runner's own summary.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
logs="$LOCAL/test-logs"
mkdir -p "$logs"
passed=0 failed=0 broken=()

# Runs one suite, keeping its output in a log, and adds its counts to the totals.
# $1 name, $2 the awk program that prints "passed failed" from the output, then the command.
suite() {
  local name=$1 counter=$2; shift 2
  step "$name"
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]} counts p f
  counts=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" | awk "$counter")
  read -r p f <<<"${counts:-0 0}"
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; then
    broken+=("$name (exit $rc, $p passed)")
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
}
cargo_counts='/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p+0, f+0 }'
deno_counts='/^(ok|FAILED) \| [0-9]+ passed/ { p += $3; match($0, /[0-9]+ failed/); f += substr($0, RSTART, RLENGTH - 7) } END { print p+0, f+0 }'
vitest_counts='/^ *Tests +[0-9]/ { if (match($0, /[0-9]+ passed/)) p += substr($0, RSTART, RLENGTH - 7); if (match($0, /[0-9]+ failed/)) f += substr($0, RSTART, RLENGTH - 7) } END { print p+0, f+0 }'
prove_counts='/^Files=.*Tests=/ { match($0, /Tests=[0-9]+/); t = substr($0, RSTART+6, RLENGTH-6) } /^Failed [0-9]+\/[0-9]+ subtests/ { split($2, a, "/"); f += a[1] } END { print t-f, f+0 }'

suite cargo-test "$cargo_counts" cargo test --workspace --color never
for crate in crates/*/; do
  suite "wasm-test-$(basename "$crate")" "$cargo_counts" wasm-pack --log-level warn test --node "$crate"
done
# The dashboard's unit tests (Vitest, happy-dom); they start their own HTTP server.
suite web-test "$vitest_counts" node web/node_modules/vitest/vitest.mjs run --root web

stack_was_up=false
[ -f "$LOCAL/gateway.pid" ] && kill -0 "$(cat "$LOCAL/gateway.pid")" 2>/dev/null && stack_was_up=true
bash tools/local/up.sh || { echo "the local stack did not start"; exit 1; }
$stack_was_up || trap 'bash tools/local/down.sh' EXIT

source tools/local/postgres.sh
psql "$DB_URL" -q -v ON_ERROR_STOP=1 -f supabase/tests/helpers.psql >/dev/null
suite pgtap "$prove_counts" pg_prove --dbname "$DB_URL" --ext .sql supabase/tests/
suite deno-test "$deno_counts" deno test --allow-all --no-check=remote edge-functions/ tests/

echo
for b in "${broken[@]}"; do echo "failed suite: $b"; done
echo "tests: $passed passed, $failed failed" | tee "$LOCAL/test-summary"
[ "$failed" -eq 0 ]
