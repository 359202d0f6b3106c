#!/usr/bin/env bash
# Stops everything `make up` started. Data stays in .local/ for the next `make up`.
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
source "$ROOT/tools/local/postgres.sh"

if [ -f "$LOCAL/gateway.pid" ]; then
  kill -- -"$(cat "$LOCAL/gateway.pid")" 2>/dev/null && echo "gateway and functions stopped"
  rm -f "$LOCAL/gateway.pid"
fi
if [ -f "$LOCAL/fakes.pid" ]; then
  kill -- -"$(cat "$LOCAL/fakes.pid")" 2>/dev/null && echo "fake providers stopped"
  rm -f "$LOCAL/fakes.pid"
fi
if [ -f "$LOCAL/redis/redis.pid" ]; then
  redis-cli -p "$USHER_REDIS_PORT" shutdown nosave >/dev/null 2>&1 && echo "redis stopped"
  rm -f "$LOCAL/redis/redis.pid"
fi
stop_postgres
exit 0
