#!/usr/bin/env bash
# Time until the first page is interactive (issues 14 and 25): builds the release, serves it on
# a fresh SQLite file with the demo accounts, and opens /sign-in, a member's /projects and
# /settings/impersonation (an island) and an administrator's /admin/users in Debian's Chromium
# over an emulated slow link (150 ms, 1.6 Mbit/s down, 750 kbit/s up), each with a cold cache.
# Prints figures, asserts nothing.
# First it prints the bytes of the browser files every page needs (raw, gzip -9, brotli).
#   scripts/first-page.sh [RUNS]        (3 visits per page by default)
#   scripts/first-page.sh --no-build [RUNS]   measures the build already in target/
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
runs=${1:-3}
if [ "$build" = 1 ]; then
  scripts/setup.sh test
  scripts/build-release.sh >/dev/null
fi
bin=${ACTAS_BIN:-target/release/actas}
site=${LEPTOS_SITE_ROOT:-target/site}

work=$(mktemp -d /tmp/actas-first-page.XXXXXX)
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Every page needs the same files: the client's wasm and its JavaScript loader.
python3 - "$site/pkg" <<'PY'
import glob, os, subprocess, sys
pkg = sys.argv[1]
print("The browser files every page needs, in bytes:")
print("| file | raw | gzip -9 | brotli |")
print("|---|---|---|---|")
for kind in ("wasm", "js"):
    path = glob.glob(f"{pkg}/actas.*.{kind}")[0]
    gz = subprocess.run(["gzip", "-9", "-c", path], capture_output=True, check=True).stdout
    br = os.path.getsize(path + ".br") if os.path.exists(path + ".br") else 0
    print(f"| {os.path.basename(path)} | {os.path.getsize(path):,} | {len(gz):,} | {br:,} |")
print()
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password=first-page-demo-password
ACTAS_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/actas.db" ACTAS_DEMO_PASSWORD=$password \
  LEPTOS_SITE_ROOT=$site RUST_LOG=warn "$bin" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done
(cd end2end && node first-page.mjs "http://127.0.0.1:$port" "$password" "$runs")
