#!/usr/bin/env bash
# Installs what Actas needs, skipping what is already there. Safe to run again and again.
#   scripts/setup.sh run    what building and running needs: the wasm target, cargo-leptos,
#                           the wasm-bindgen CLI, wasm-opt (scripts/run.sh)
#   scripts/setup.sh test   all that, and what the tests need: Chromium, PostgreSQL and
#                           Playwright (scripts/test.sh; the default)
#   scripts/setup.sh bench  what `run` needs, and PostgreSQL and wrk (scripts/bench.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-test}
case "$purpose" in run | test | bench) ;; *) echo "usage: $0 [run|test|bench]" >&2; exit 2 ;; esac

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages: node and npm for wasm-opt; for the tests, a browser and PostgreSQL.
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "$purpose" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  # The deployment example is tested for real behind Debian's nginx.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  # The README's receipt check is run as written, in Python (server/tests/integration/receipts.rs).
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  # requests.spec.ts moves an access request a day back in its instance's SQLite file.
  command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
fi
if [ "$purpose" = bench ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  # Packages here are tools the tests start themselves: none may start a service of its own
  # (Debian's nginx would otherwise take port 80).
  no_services=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    no_services=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ "$no_services" = 1 ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
fi

# --- Rust: the browser target, cargo-leptos, and the wasm-bindgen CLI the lock file asks for.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  # 0.3.11 needs a newer rustc than this machine has; no_downloads: every tool comes from here.
  say "building cargo-leptos 0.3.10 (about 15 minutes, once)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
  say "building wasm-bindgen-cli $bindgen (about 3 minutes, once)"
  # --locked fails here: a locked dependency is missing from the registry.
  cargo install wasm-bindgen-cli --version "$bindgen"
fi

# --- Node packages, each folder installed when its lock file is newer than what is there.
npm_folder() {
  if [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    say "installing the npm packages of $1/"
    (cd "$1" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
# binaryen's wasm-opt, for release builds.
npm_folder tools
# Playwright, driving Debian's chromium (never a downloaded browser).
if [ "$purpose" = test ]; then npm_folder end2end; fi
say "setup complete ($purpose)"
