# Shared shell helpers for the Makefile's scripts: paths, ports and progress output.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
export PATH="$ROOT/tools/cli/node_modules/.bin:$HOME/.cargo/bin:/usr/lib/postgresql/15/bin:$PATH"
export DENO_DIR="$ROOT/.cache/deno"
export DENO_NO_UPDATE_CHECK=1
# All state of the local stack lives here; a second stack (say, a clean clone's CI run beside
# a developer's) takes its own folder and ports.
LOCAL=${USHER_LOCAL_DIR:-$ROOT/.local}
export USHER_LOCAL_DIR="$LOCAL"
# The state folders of the stacks started from this checkout, one a line (up.sh, down.sh).
# shellcheck disable=SC2034
STACKS="$ROOT/.cache/stacks"
# The command that stops this stack: `make down` needs its folder unless it is the default.
down_command() {
  if [ "$LOCAL" = "$ROOT/.local" ]; then echo "make down"; else echo "USHER_LOCAL_DIR=$LOCAL make down"; fi
}

# Ports follow `supabase start`'s defaults so URLs look familiar; each can be moved.
export USHER_GATEWAY_PORT=${USHER_GATEWAY_PORT:-54321}
export USHER_DB_PORT=${USHER_DB_PORT:-54322}
export USHER_REDIS_PORT=${USHER_REDIS_PORT:-54379}
export USHER_FAKE_STRIPE_PORT=${USHER_FAKE_STRIPE_PORT:-54410}
export USHER_FAKE_PUSH_PORT=${USHER_FAKE_PUSH_PORT:-54411}
export USHER_FAKE_RESEND_PORT=${USHER_FAKE_RESEND_PORT:-54412}
# The dashboard (web/dist), on the port `supabase start` gives Studio, which does not run here.
export USHER_WEB_PORT=${USHER_WEB_PORT:-54323}

# Colour is for a person at a terminal: NO_COLOR (no-color.org) turns it off, and so does
# output to a file or a pipe. Exporting NO_COLOR tells the programs these scripts start the
# same, which matters because Deno colours its output even into a pipe.
[ -t 1 ] || export NO_COLOR=1
step_mark='==>' fail_mark='error:'
if [ -z "${NO_COLOR:-}" ]; then
  step_mark=$'\033[1;34m==>\033[0m'
  [ -t 2 ] && fail_mark=$'\033[1;31merror:\033[0m'
fi
step() { printf '%s %s\n' "$step_mark" "$*"; }
fail() { printf '%s %s\n' "$fail_mark" "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
