#!/usr/bin/env bash
# Time until the first page is interactive (issue 14): builds the release, serves it on a fresh
# SQLite file with the demo accounts, and opens /sign-in, a member's /projects and an
# administrator's /admin/users in Debian's Chromium over an emulated slow link (150 ms,
# 1.6 Mbit/s down, 750 kbit/s up), each with a cold cache. Prints figures, asserts nothing.
# First it prints, per page, the bytes of wasm a browser needs (raw, gzip -9, brotli).
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

# Per page: the first wasm, plus the page's own files as the split manifest lists them.
python3 - "$site/pkg" <<'PY'
import glob, json, os, subprocess, sys
pkg = sys.argv[1]
def sizes(stem):
    path = f"{pkg}/{stem}.wasm"
    gz = subprocess.run(["gzip", "-9", "-c", path], capture_output=True, check=True).stdout
    br = os.path.getsize(path + ".br") if os.path.exists(path + ".br") else 0
    return [os.path.getsize(path), len(gz), br]
first = os.path.basename(glob.glob(f"{pkg}/actas.*.wasm")[0])[: -len(".wasm")]
manifests = glob.glob(f"{pkg}/__wasm_split_manifest*.json")
pages = json.load(open(manifests[0])) if manifests else {}
print("The wasm a browser needs, in bytes: the first file, plus the files of a page")
print("or of a part of the frame shown only sometimes.")
print("| page | files | raw | gzip -9 | brotli |")
print("|---|---|---|---|---|")
rows = [("the first file (all a visitor's /sign-in needs)", [])]
def label(key):  # `__projects_view_<n>`: a page; `acting_banner_<n>`: a lazy part of the frame
    if "_view_" in key:
        return "/" + key.split("_view_")[0].strip("_").replace("_", "-")
    return key.rsplit("_", 1)[0].replace("_", " ") + " (when shown)"
rows += [(label(key), files) for key, files in sorted(pages.items())]
for name, files in rows:
    total = sizes(first)
    for stem in files:
        total = [a + b for a, b in zip(total, sizes(stem))]
    print(f"| {name} | {1 + len(files)} | {total[0]:,} | {total[1]:,} | {total[2]:,} |")
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
