#!/usr/bin/env bash
# Stops everything `make up` started for the stack in $USHER_LOCAL_DIR (.local/ by default),
# found by its own pid files, so the ports need not be given again. Data stays for the next
# `make up`. When nothing of that stack runs, it says so and names the stacks started from
# this checkout that still run.
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tools/local/postgres.sh"

# The live processes a stack's folder records: the pg_net worker, the gateway, the fakes,
# the dashboard's server, Redis and PostgreSQL.
live_pids() {
  local f pid
  for f in "$1/pg_net.pid" "$1/gateway.pid" "$1/fakes.pid" "$1/web.pid" "$1/redis/redis.pid" "$1/pg/data/postmaster.pid"; do
    [ -f "$f" ] && pid=$(head -n 1 "$f") && kill -0 "$pid" 2>/dev/null && echo "$pid"
  done
}

if [ -z "$(live_pids "$LOCAL")" ]; then
  echo "no stack runs from $LOCAL (USHER_LOCAL_DIR)"
  if [ -f "$STACKS" ]; then
    while read -r dir; do
      [ "$dir" != "$LOCAL" ] && [ -n "$(live_pids "$dir")" ] \
        && echo "  one runs from $dir: stop it with USHER_LOCAL_DIR=$dir make down"
    done <"$STACKS"
  fi
  exit 0
fi

# True while process $1 runs; an exited one that its adopter has not reaped yet does not.
running() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

# The pg_net worker first, and waited for: it records the requests it has in flight (for up
# to 5 seconds) before it exits, which needs the gateway and the database still there.
for what in pg_net gateway fakes web; do
  if [ -f "$LOCAL/$what.pid" ]; then
    pid=$(cat "$LOCAL/$what.pid")
    if kill -- -"$pid" 2>/dev/null; then
      [ "$what" = pg_net ] && for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
      echo "$what stopped"
    fi
    rm -f "$LOCAL/$what.pid"
  fi
done
if [ -f "$LOCAL/redis/redis.pid" ]; then
  # By its pid, not its port: a port from the environment may be another stack's Redis.
  pid=$(cat "$LOCAL/redis/redis.pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "redis stopped"
  fi
  rm -f "$LOCAL/redis/redis.pid"
fi
stop_postgres
exit 0
