#!/usr/bin/env bash
# The benchmark (issue 14): a release build on SQLite and on a throwaway PostgreSQL, each
# driven by scripts/bench.py. Prints, per database, `/projects` as the member and as an
# administrator acting as her (wrk, 2 threads, 16 connections; req/s, p50, p99), their ratio,
# and start + exit cycles a second (two administrators at once); then checks the audit chain.
#   scripts/bench.sh [SECONDS]      (10 by default)
# To compare with another build in the same run (figures vary from run to run), name its
# binary (with its hash.txt beside it): ACTAS_BENCH_BEFORE=/path/to/actas scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
scripts/setup.sh bench
export PATH="$PWD/tools/node_modules/.bin:$PATH" # wasm-opt, for the release build
cargo leptos build --release --precompress >/dev/null

work=$(mktemp -d /tmp/actas-bench.XXXXXX)
# A folder of its own: PostgreSQL's user must be able to reach it.
pg_dir=$(mktemp -d /tmp/actas-bench-pg.XXXXXX)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  scripts/postgres.sh stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT

export ACTAS_DEMO_PASSWORD=bench-demo-password RUST_LOG=warn LEPTOS_SITE_ROOT=target/site
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ACTAS_ADDR="127.0.0.1:$port"

# One database: start the app on it, drive it, stop it, verify its chain.
measure() {
  local label=$1 binary=${3:-target/release/actas}
  export DATABASE_URL=$2
  "$binary" >"$work/$label.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://$ACTAS_ADDR/readyz" >/dev/null && break
    sleep 0.1
  done
  python3 scripts/bench.py "http://$ACTAS_ADDR" "$label" "$seconds"
  kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
  app_pid=
  target/release/actas verify-audit >"$work/$label-verify.log" 2>&1 ||
    { echo "verify-audit failed on $label:" >&2; cat "$work/$label-verify.log" >&2; exit 1; }
}

echo "| database | the member's own /projects | an administrator acting as her | ratio | start + exit cycles/s |"
echo "|---|---|---|---|---|"
before=${ACTAS_BENCH_BEFORE:-}
[ -n "$before" ] && measure "SQLite, before" "sqlite://$work/before.db" "$before"
measure SQLite "sqlite://$work/actas.db"
postgres=$(scripts/postgres.sh start "$pg_dir")
if [ -n "$before" ]; then
  measure "PostgreSQL (fsync off), before" "$postgres" "$before"
  # The next measure starts from an empty database, as the first did.
  psql -q "$postgres" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
fi
measure "PostgreSQL (fsync off)" "$postgres"
echo "(wrk -t2 -c16 -d${seconds}s; verify-audit passed on both)"
