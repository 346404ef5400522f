#!/usr/bin/env bash
# The benchmark (issue 14): a release build on SQLite and on a throwaway PostgreSQL, each
# driven by scripts/bench.py. Prints, per database, `/projects` as the member and as an
# administrator acting as her (wrk, 2 threads, 16 connections; req/s, p50, p99), their ratio,
# and start + exit cycles a second (two administrators at once); then checks the audit chain.
# Member and acting alternate in rounds (ACTAS_BENCH_ROUNDS, odd, 3 by default; bench.py): at
# 10 s a run, about 100 s a database.
#   scripts/bench.sh [SECONDS]      (10 by default)
# To compare with another build in the same run (figures vary from run to run), name its
# binary (with its hash.txt beside it): ACTAS_BENCH_BEFORE=/path/to/actas scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
scripts/setup.sh bench
scripts/build-release.sh >/dev/null

work=$(mktemp -d /tmp/actas-bench.XXXXXX)
# A folder of its own: PostgreSQL's user must be able to reach it.
pg_dir=$(mktemp -d /tmp/actas-bench-pg.XXXXXX)
app_pid= second_pid=
cleanup() {
  for pid in $app_pid $second_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  scripts/postgres.sh stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT

ulimit -n 8192 2>/dev/null || true # 2,000 open pages, each a connection
export ACTAS_DEMO_PASSWORD=bench-demo-password RUST_LOG=warn LEPTOS_SITE_ROOT=target/site
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ACTAS_ADDR="127.0.0.1:$port"

# Until the instance at this address answers /readyz (at most 10 s).
wait_ready() {
  for _ in $(seq 100); do
    curl -sf "http://$1/readyz" >/dev/null && return
    sleep 0.1
  done
}

# One database: start the app on it, drive it, stop it, verify its chain.
measure() {
  local label=$1 binary=${3:-target/release/actas}
  export DATABASE_URL=$2
  "$binary" >"$work/$label.log" 2>&1 &
  app_pid=$!
  wait_ready "$ACTAS_ADDR"
  python3 scripts/bench.py "http://$ACTAS_ADDR" "$label" "$seconds"
  kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
  app_pid=
  target/release/actas verify-audit >"$work/$label-verify.log" 2>&1 ||
    { echo "verify-audit failed on $label:" >&2; cat "$work/$label-verify.log" >&2; exit 1; }
}

empty_database() {
  psql -q "$1" -c 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
}

echo "| database | the member's own /projects | an administrator acting as her | ratio (each round) | start + exit cycles/s |"
echo "|---|---|---|---|---|"
before=${ACTAS_BENCH_BEFORE:-}
[ -n "$before" ] && measure "SQLite, before" "sqlite://$work/before.db" "$before"
measure SQLite "sqlite://$work/actas.db"
postgres=$(scripts/postgres.sh start "$pg_dir")
if [ -n "$before" ]; then
  measure "PostgreSQL (fsync off), before" "$postgres" "$before"
  empty_database "$postgres" # the next measure starts from nothing, as the first did
fi
measure "PostgreSQL (fsync off)" "$postgres"
echo "(wrk -t2 -c16 -d${seconds}s; verify-audit passed on both)"

# Open pages where nothing happens: what they cost the app and the database.
idle() {
  local label=$1 binary=${3:-target/release/actas}
  export DATABASE_URL=$2
  "$binary" >"$work/idle.log" 2>&1 &
  app_pid=$!
  wait_ready "$ACTAS_ADDR"
  python3 scripts/bench.py "http://$ACTAS_ADDR" "$label" "$seconds" idle "$app_pid"
  kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
  app_pid=
}
echo
echo "| open pages, nothing happening | pages | the app's CPU | database transactions/s |"
echo "|---|---|---|---|"
[ -n "$before" ] && idle "SQLite, before" "sqlite://$work/idle-before.db" "$before"
idle SQLite "sqlite://$work/idle.db"
if [ -n "$before" ]; then
  empty_database "$postgres" # the other build's migrations would refuse the newer schema
  idle "PostgreSQL (fsync off), before" "$postgres" "$before"
fi
empty_database "$postgres"
idle "PostgreSQL (fsync off)" "$postgres"

# Two instances on one PostgreSQL, an administrator acting through both at once.
empty_database "$postgres"
second_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL=$postgres
target/release/actas >"$work/first.log" 2>&1 &
app_pid=$!
wait_ready "$ACTAS_ADDR"
ACTAS_ADDR="127.0.0.1:$second_port" target/release/actas >"$work/second.log" 2>&1 &
second_pid=$!
wait_ready "127.0.0.1:$second_port"
echo
echo "| two instances, one PostgreSQL | acting on the first | acting on the second | acting in all |"
echo "|---|---|---|---|"
python3 scripts/bench.py "http://$ACTAS_ADDR,http://127.0.0.1:$second_port" "PostgreSQL (fsync off)" "$seconds"
kill "$second_pid" && wait "$second_pid" 2>/dev/null || true
kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
app_pid= second_pid=
target/release/actas verify-audit >"$work/two-verify.log" 2>&1 ||
  { echo "verify-audit failed after two instances:" >&2; cat "$work/two-verify.log" >&2; exit 1; }
echo "(wrk -t2 -c16 -d${seconds}s on each instance at once; verify-audit passed: $(tail -n 1 "$work/two-verify.log"))"
