#!/usr/bin/env bash
# Starts the local stack on loopback, in the background, with all state under
# $USHER_LOCAL_DIR (.local/ by default):
# PostgreSQL 15 (pg_cron, pgTAP), Redis, the Supabase bootstrap, the migrations (applied
# by the real Supabase CLI), every edge function behind the gateway, the fake providers and
# the pg_net worker, and the dashboard (web/dist) with its /config.json. Safe to re-run.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
mkdir -p "$LOCAL" "$(dirname "$STACKS")"
# `make down` without this stack's USHER_LOCAL_DIR looks here to name it.
grep -qxF "$LOCAL" "$STACKS" 2>/dev/null || echo "$LOCAL" >>"$STACKS"

# Logs are kept across restarts; one past 10 MB is first moved aside to NAME.1.
keep_log() {
  if [ -f "$1" ] && [ "$(stat -c %s "$1")" -gt 10485760 ]; then mv "$1" "$1.1"; fi
}

source tools/local/postgres.sh
start_postgres

step "redis on 127.0.0.1:$USHER_REDIS_PORT"
mkdir -p "$LOCAL/redis"
if ! timeout 2 redis-cli -p "$USHER_REDIS_PORT" ping >/dev/null 2>&1; then
  port_open "$USHER_REDIS_PORT" && fail "port $USHER_REDIS_PORT is in use by something that is not Redis; set USHER_REDIS_PORT"
  redis-server --port "$USHER_REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir "$LOCAL/redis" --pidfile "$LOCAL/redis/redis.pid" --logfile "$LOCAL/redis/redis.log"
  for _ in $(seq 50); do redis-cli -p "$USHER_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

step "bootstrap (Supabase roles, auth schema) and migrations (supabase db push)"
PGOPTIONS="-c client_min_messages=warning" psql "$DB_URL" -q -v ON_ERROR_STOP=1 -f tools/local/bootstrap.sql >/dev/null
# --include-all: a migration dated before one this database already has (from work done in
# parallel) is applied too, so the local database follows the migrations folder.
pushed=$(supabase db push --db-url "$DB_URL?sslmode=disable" --include-all --include-seed --yes --workdir "$ROOT" 2>&1) \
  || { printf '%s\n' "$pushed" >&2; fail "supabase db push failed; its output is above"; }
grep -v -e '^Connecting' -e '^Remote database is up to date' <<<"$pushed" || true

step "signed print codes for tickets that have none"
( set -a; source tools/local/secrets.env; set +a
  SUPABASE_DB_URL=$DB_URL deno run --allow-all tools/backfill-print-codes.ts )

source tools/local/keys.sh
write_env

step "fake Stripe, push and Resend providers on 127.0.0.1:$USHER_FAKE_STRIPE_PORT, :$USHER_FAKE_PUSH_PORT and :$USHER_FAKE_RESEND_PORT"
if ! { [ -f "$LOCAL/fakes.pid" ] && kill -0 "$(cat "$LOCAL/fakes.pid")" 2>/dev/null; }; then
  for port in "$USHER_FAKE_STRIPE_PORT" "$USHER_FAKE_PUSH_PORT" "$USHER_FAKE_RESEND_PORT"; do
    port_open "$port" \
      && fail "port $port is in use by another program; set USHER_FAKE_STRIPE_PORT / USHER_FAKE_PUSH_PORT / USHER_FAKE_RESEND_PORT"
  done
  keep_log "$LOCAL/fakes.log"
  # The webhooks they send on command go to the functions, signed with the functions' secrets.
  (
    set -a; source tools/local/secrets.env; set +a
    export USHER_STRIPE_WEBHOOK_URL="http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/stripe-webhook"
    export USHER_RESEND_WEBHOOK_URL="http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/resend-webhook"
    exec setsid deno run --allow-net --allow-env tests/fakes/server.ts
  ) >>"$LOCAL/fakes.log" 2>&1 &
  echo $! >"$LOCAL/fakes.pid"
fi

step "edge functions behind the gateway on 127.0.0.1:$USHER_GATEWAY_PORT"
if [ -f "$LOCAL/gateway.pid" ] && kill -0 "$(cat "$LOCAL/gateway.pid")" 2>/dev/null; then
  echo "gateway already running (pid $(cat "$LOCAL/gateway.pid")); restarting it to pick up changes"
  kill -- -"$(cat "$LOCAL/gateway.pid")" 2>/dev/null || true
  for _ in $(seq 50); do port_open "$USHER_GATEWAY_PORT" || break; sleep 0.1; done
fi
port_open "$USHER_GATEWAY_PORT" && fail "port $USHER_GATEWAY_PORT is in use by another program; set USHER_GATEWAY_PORT"
keep_log "$LOCAL/gateway.log"
(
  set -a; source "$LOCAL/env"; source tools/local/secrets.env; set +a
  exec setsid deno run --allow-all tools/local/gateway.ts
) >>"$LOCAL/gateway.log" 2>&1 &
echo $! >"$LOCAL/gateway.pid"
gateway_failed() {
  kill -- -"$(cat "$LOCAL/gateway.pid")" 2>/dev/null
  rm -f "$LOCAL/gateway.pid"
  tail -n 30 "$LOCAL/gateway.log" >&2
  fail "$1; the gateway's log is above"
}
for _ in $(seq 600); do
  curl -fsS "http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$LOCAL/gateway.pid")" 2>/dev/null || gateway_failed "the gateway exited"
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$USHER_GATEWAY_PORT/functions/v1/health" >/dev/null 2>&1 \
  || gateway_failed "health did not answer within 2 minutes"

step "pg_net worker (tools/local/pg_net.ts) and the Vault secrets project_url and service_role_key"
# Upserted, so a new port or key replaces the old. The key reaches psql on its standard
# input, never on a command line (which `ps` shows), and psql's output is not shown.
( source "$LOCAL/env"
  psql "$DB_URL" -q -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<SQL
\\set project_url 'http://127.0.0.1:$USHER_GATEWAY_PORT'
\\set service_role_key '$SUPABASE_SERVICE_ROLE_KEY'
begin;
select vault.update_secret(id, :'project_url') from vault.decrypted_secrets
 where name = 'project_url' and decrypted_secret is distinct from :'project_url';
select vault.create_secret(:'project_url', 'project_url', 'The functions gateway, for pg_cron jobs')
 where not exists (select from vault.secrets where name = 'project_url');
select vault.update_secret(id, :'service_role_key') from vault.decrypted_secrets
 where name = 'service_role_key' and decrypted_secret is distinct from :'service_role_key';
select vault.create_secret(:'service_role_key', 'service_role_key', 'The local service-role JWT, for pg_cron jobs')
 where not exists (select from vault.secrets where name = 'service_role_key');
commit;
SQL
) || fail "storing the Vault secrets project_url and service_role_key failed; $PG/log may say why"
if ! { [ -f "$LOCAL/pg_net.pid" ] && kill -0 "$(cat "$LOCAL/pg_net.pid")" 2>/dev/null; }; then
  keep_log "$LOCAL/pg_net.log"
  (
    set -a; source "$LOCAL/env"; set +a
    exec setsid deno run --allow-net --allow-env tools/local/pg_net.ts
  ) >>"$LOCAL/pg_net.log" 2>&1 &
  echo $! >"$LOCAL/pg_net.pid"
fi
# Ready once it holds its connection, which it opens to LISTEN before it reads the queue.
worker_up="select exists (select from pg_stat_activity where application_name = 'usher_pg_net' and query ilike 'listen%')"
for _ in $(seq 100); do
  [ "$(psql "$DB_URL" -tAq -c "$worker_up")" = t ] && break
  kill -0 "$(cat "$LOCAL/pg_net.pid")" 2>/dev/null || break
  sleep 0.1
done
if [ "$(psql "$DB_URL" -tAq -c "$worker_up")" != t ]; then
  kill -- -"$(cat "$LOCAL/pg_net.pid")" 2>/dev/null
  rm -f "$LOCAL/pg_net.pid"
  tail -n 30 "$LOCAL/pg_net.log" >&2
  fail "the pg_net worker did not start listening within 10 seconds; its log is above"
fi

step "dashboard (web/dist) on 127.0.0.1:$USHER_WEB_PORT"
# Restarted like the gateway, so /config.json names this run's gateway port.
if [ -f "$LOCAL/web.pid" ] && kill -0 "$(cat "$LOCAL/web.pid")" 2>/dev/null; then
  kill -- -"$(cat "$LOCAL/web.pid")" 2>/dev/null || true
  for _ in $(seq 50); do port_open "$USHER_WEB_PORT" || break; sleep 0.1; done
fi
rm -f "$LOCAL/web.pid"
web_url="(not built: make build, or tools/build-web.sh)"
if [ -f web/dist/index.html ]; then
  port_open "$USHER_WEB_PORT" && fail "port $USHER_WEB_PORT is in use by another program; set USHER_WEB_PORT"
  keep_log "$LOCAL/web.log"
  ( exec setsid deno run --allow-net --allow-read --allow-env tools/local/web.ts ) >>"$LOCAL/web.log" 2>&1 &
  echo $! >"$LOCAL/web.pid"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$USHER_WEB_PORT/config.json" >/dev/null 2>&1 && break
    kill -0 "$(cat "$LOCAL/web.pid")" 2>/dev/null || break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$USHER_WEB_PORT/config.json" >/dev/null 2>&1 \
    || { tail -n 20 "$LOCAL/web.log" >&2; fail "the dashboard's server did not start; its log is above"; }
  web_url="http://127.0.0.1:$USHER_WEB_PORT/"
else
  echo "web/dist is not built, so the dashboard is not served (make build, or tools/build-web.sh)"
fi

source "$LOCAL/env"
cat <<INFO

Usher's local stack is up.
  Dashboard   $web_url
  Functions   $SUPABASE_URL/functions/v1/<name>
  Database    $SUPABASE_DB_URL
  Redis       $REDIS_URL
  Fakes       Stripe http://127.0.0.1:$USHER_FAKE_STRIPE_PORT, push http://127.0.0.1:$USHER_FAKE_PUSH_PORT, Resend http://127.0.0.1:$USHER_FAKE_RESEND_PORT
  anon key          $SUPABASE_ANON_KEY
  service_role key  $SUPABASE_SERVICE_ROLE_KEY
  A user JWT:  set -a; . $LOCAL/env; set +a; tools/cli/node_modules/.bin/deno run --allow-env tools/local/jwt.ts user <uuid>
  Logs        $LOCAL/gateway.log, $LOCAL/fakes.log, $LOCAL/pg_net.log, $LOCAL/web.log, $LOCAL/pg/log
  Stop with   $(down_command)
INFO
