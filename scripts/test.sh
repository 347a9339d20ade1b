#!/usr/bin/env bash
# `make test`: install what the suite needs, start a throwaway PostgreSQL cluster and Redis on
# loopback, lint, run the whole suite on SQLite and then on PostgreSQL, and stop the servers.
# Extra arguments go to pytest (e.g. `scripts/test.sh -k login -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
WORK=$(mktemp -d /tmp/inkwell-test.XXXXXX)
chmod 755 "$WORK"
PG_HOME="$WORK/postgres"
PG_DATA="$PG_HOME/data"
PG_BIN=""
REDIS_PID=""
AS_PG=()

log() { printf '\n==> %s\n' "$*"; }

# CI=true, 1 or yes, in any case, is CI: the same rule as ci_enabled() in tests/helpers.py.
in_ci() { case "${CI:-}" in [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;; *) return 1 ;; esac; }

pg_bindir() {
  local dir
  dir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cleanup() {
  local status=$?
  if [ -n "$PG_BIN" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

install_system_packages() {
  local missing=()
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    log "Installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]} (sudo apt-get install ${missing[*]})." >&2
    echo "Tests that need them are skipped locally and fail under CI=true." >&2
  fi
}

start_postgres() {
  PG_BIN=$(pg_bindir) || { PG_BIN=""; return 0; }
  if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres system user.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    mkdir -p "$PG_HOME" && chown postgres "$PG_HOME"
    AS_PG=(runuser -u postgres --)
  else
    mkdir -p "$PG_HOME"
  fi
  PG_PORT=$(free_port)
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  # Durability off: this cluster lives for one test run.
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_HOME -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres inkwell_test
  export TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/inkwell_test"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

start_redis() {
  command -v redis-server >/dev/null || return 0
  local port
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
  for _ in $(seq 50); do [ -s "$WORK/redis.pid" ] && break; sleep 0.1; done
  REDIS_PID=$(cat "$WORK/redis.pid")
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  log "Redis $(redis-server --version | awk '{print $3}' | tr -d 'v=') on 127.0.0.1:$port"
}

install_system_packages
start_postgres
start_redis

log "Lint: ruff check, ruff format --check, mypy and stubtest"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"
# The stubs in typings/ against the installed packages (slower than mypy, so not in `make lint`).
# shellcheck disable=SC2046  # one argument per package that typings/ has stubs for
"$PY" -m mypy.stubtest --mypy-config-file pyproject.toml --ignore-missing-stub $(ls typings)

status=0
log "Test suite on SQLite"
TEST_DATABASE_URL="" "$PY" -m pytest -m "not faults" --junitxml="$WORK/sqlite.xml" "$@" || status=1

if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  log "Test suite on PostgreSQL"
  TEST_DATABASE_URL="$TEST_POSTGRES_URL" "$PY" -m pytest -m "not faults" \
    --junitxml="$WORK/postgresql.xml" "$@" || status=1
elif in_ci; then
  echo "PostgreSQL is required in CI (CI=true) but could not be found or started." >&2
  status=1
else
  echo "PostgreSQL not available: the suite ran on SQLite only." >&2
fi

# The fault suite starts and stops its own PostgreSQL, Redis, SMTP and gunicorn: run once.
log "Fault suite (tests/faults)"
"$PY" -m pytest -m faults tests/faults --junitxml="$WORK/faults.xml" "$@" || {
  code=$?
  [ "$code" -eq 5 ] && [ $# -gt 0 ] || status=1  # 5: arguments (-k …) selected no fault test
}

"$PY" scripts/summarize_junit.py "$WORK"/*.xml || status=1
exit "$status"
