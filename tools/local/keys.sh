# Writes .local/env: the URLs and API keys of the local stack, in `KEY=value` lines that
# both the shell and the edge functions read.
# shellcheck shell=bash
write_env() {
  local secret
  secret=$(grep '^JWT_SECRET=' "$ROOT/tools/local/secrets.env" | cut -d= -f2-)
  local anon service
  anon=$(JWT_SECRET=$secret deno run --allow-env "$ROOT/tools/local/jwt.ts" anon)
  service=$(JWT_SECRET=$secret deno run --allow-env "$ROOT/tools/local/jwt.ts" service_role)
  cat >"$LOCAL/env" <<ENV
USHER_GATEWAY_PORT=$USHER_GATEWAY_PORT
SUPABASE_URL=http://127.0.0.1:$USHER_GATEWAY_PORT
SUPABASE_DB_URL=$DB_URL
REDIS_URL=redis://127.0.0.1:$USHER_REDIS_PORT
JWT_SECRET=$secret
SUPABASE_ANON_KEY=$anon
SUPABASE_SERVICE_ROLE_KEY=$service
ENV
}
