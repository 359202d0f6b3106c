# PostgreSQL 15 for the local stack: its own data folder, port and socket folder.
# shellcheck shell=bash
PG="$LOCAL/pg"
export DB_URL="postgresql://postgres:postgres@127.0.0.1:$USHER_DB_PORT/postgres"

# PostgreSQL refuses to run as root; as root we run it as the `postgres` user.
# It runs from / so that a working folder private to root does not trouble it.
pg_run() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The server's user must reach the data folder. A clone inside a private folder (mktemp -d
# makes those) is not reachable, so the data then lives in /var/tmp and .local/pg links to it.
prepare_pg_folder() {
  if [ -e "$PG" ]; then PG=$(readlink -f "$PG"); return 0; fi
  if [ "$(id -u)" = 0 ]; then
    chmod o+x "$LOCAL"
    if ! runuser -u postgres -- test -x "$LOCAL"; then
      local alt
      alt="/var/tmp/usher-pg-$(printf '%s' "$LOCAL" | sha256sum | cut -c1-12)"
      mkdir -p "$alt"
      ln -sfn "$alt" "$PG"
      echo "note: $LOCAL is private to root; PostgreSQL's data lives in $alt (linked from .local/pg)"
    fi
  fi
  PG=$(readlink -f "$PG")
  mkdir -p "$PG"
  [ "$(id -u)" = 0 ] && chown postgres: "$PG"
  return 0
}

start_postgres() {
  step "postgres 15 on 127.0.0.1:$USHER_DB_PORT (data in $PG)"
  prepare_pg_folder
  if [ ! -f "$PG/data/PG_VERSION" ]; then
    pg_run sh -c "echo postgres > '$PG/pwfile'"
    pg_run initdb -D "$PG/data" -U postgres --pwfile="$PG/pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    pg_run mkdir -p "$PG/run"
    pg_run tee -a "$PG/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $USHER_DB_PORT
# As hosted Supabase: sessions in UTC, whatever the machine's own zone.
timezone = 'UTC'
unix_socket_directories = '$PG/run'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
max_connections = 300
CONF
  fi
  if pg_run pg_ctl -D "$PG/data" status >/dev/null 2>&1; then
    echo "postgres already running"
    return 0
  fi
  port_open "$USHER_DB_PORT" && fail "port $USHER_DB_PORT is in use by another program; set USHER_DB_PORT"
  pg_run pg_ctl -D "$PG/data" -l "$PG/log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$PG/log"; fail "postgres did not start; log above"; }
}

stop_postgres() {
  [ -e "$PG" ] && PG=$(readlink -f "$PG")
  [ -f "$PG/data/PG_VERSION" ] || return 0
  if pg_run pg_ctl -D "$PG/data" status >/dev/null 2>&1; then
    pg_run pg_ctl -D "$PG/data" -m fast -w stop >/dev/null && echo "postgres stopped"
  fi
}
